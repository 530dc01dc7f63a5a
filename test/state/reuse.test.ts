// Step reuse (src/state/reuse.ts): an effect recorded on one state and replayed on another state that
// agrees in the cells the step read gives what running the step there gives: the same cells, the same
// fingerprint. Steps here are small programs over cells whose reads depend on the values read.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Store } from '../../src/state/store.js';
import { StepCache, StepRecorder, applyEffect, lanesAfter, effectsIndependent, readsOf, writesOf, addsOf, ReuseError } from '../../src/state/reuse.js';

const SPECS = [{ name: 'a' }, { name: 'b' }, { name: 'stats', counter: true }];

/** step k: read a pointer cell, follow it, maybe write; bump a statistic (step 3: store without reading) */
function step(st: Store, k: number): number {
  const a = st.segs[0]!, b = st.segs[1]!, c = st.segs[2]!;
  const p = a.get(k) & 15;
  if (k === 3) {
    // re-arm: stores without reading first (their old values vary from state to state)
    b.set(p, 5);
    a.set(16 + (p & 3), p + 7);
    return 2;
  }
  const v = b.get(p);
  c.add(k, 1);
  if (v > 2) {
    a.set(16 + k, v - 1);
    b.set(p, 0);
    return 1;
  }
  if (v === 0) b.set(p, 0); // a store of the value held
  return 0;
}

function snapshot(st: Store): string {
  const out: string[] = [];
  for (const s of st.segs) for (let i = 0; i < 32; i++) out.push(String(s.peek(i)));
  return out.join(',');
}

describe('state/reuse', () => {
  it('a replayed effect gives the cells and fingerprint a fresh run gives, on every state', () => {
    let replayed = 0;
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 4 })), { maxLength: 12 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 30 }),
      (init, steps) => {
        const cache = new StepCache();
        const rec = new StepRecorder();
        let st = new Store(SPECS);
        for (const [k, p, v] of init) {
          st.segs[0]!.set(k, p);
          st.segs[1]!.set(p & 15, v);
        }
        for (const k of steps) {
          const e = cache.lookup(st, k);
          const fresh = st.clone();
          rec.begin(fresh);
          const r = step(fresh, k);
          const eff = rec.end(r);
          if (e === null) cache.insert(k, rec, eff);
          else {
            replayed++;
            const re = st.clone();
            applyEffect(re, e);
            expect(e.result).toBe(r);
            expect(snapshot(re)).toBe(snapshot(fresh));
            expect([re.f1, re.f2, re.c1]).toEqual([fresh.f1, fresh.f2, fresh.c1]);
            // the successor's lanes from the parent and the effect alone, and the raw replay that takes them
            const l = lanesAfter(st, e, { f1: 0, f2: 0, c1: 0 });
            expect([l.f1, l.f2, l.c1]).toEqual([fresh.f1, fresh.f2, fresh.c1]);
            const raw = st.clone();
            applyEffect(raw, e, l);
            expect(snapshot(raw)).toBe(snapshot(fresh));
            expect(raw.recompute()).toEqual({ f1: fresh.f1, f2: fresh.f2, c1: fresh.c1 });
          }
          st = fresh;
        }
      }), { numRuns: 300 });
    expect(replayed).toBeGreaterThan(300);
  });

  it('effects recorded on one state say which steps commute', () => {
    const st = new Store(SPECS);
    st.segs[0]!.set(0, 1);
    st.segs[0]!.set(1, 2);
    st.segs[0]!.set(2, 1);
    st.segs[1]!.set(1, 5);
    st.segs[1]!.set(2, 5);
    const rec = new StepRecorder();
    const eff = (k: number) => {
      const c = st.clone();
      rec.begin(c);
      return rec.end(step(c, k));
    };
    // steps 0 and 1 follow different pointers: they commute (their statistics add)
    expect(effectsIndependent(eff(0), eff(1))).toBe(true);
    // steps 0 and 2 both take b[1]
    expect(effectsIndependent(eff(0), eff(2))).toBe(false);
    // a statistic added to is neither a read nor a write: adds commute
    expect(writesOf(eff(0)).length).toBe(2);
    expect(eff(0).d.length).toBe(3);
    expect(addsOf(eff(0)).length).toBe(1);
    expect([...readsOf(eff(0))]).not.toContain(2 * 4294967296 + 0);
  });

  it('a step that decides on a value it reads (even of a counter segment) is keyed by it', () => {
    const cache = new StepCache();
    const rec = new StepRecorder();
    const decide = (st: Store) => (st.segs[2]!.get(0) > 1 ? 1 : 0);
    const results: number[] = [];
    for (const v of [0, 5]) {
      const st = new Store(SPECS);
      st.segs[2]!.set(0, v);
      const hit = cache.lookup(st, 0);
      expect(hit).toBeNull();
      rec.begin(st);
      const e = rec.end(decide(st));
      cache.insert(0, rec, e);
      results.push(e.result);
    }
    expect(results).toEqual([0, 1]);
  });

  it('a step that depends on something outside the store is caught when its reads disagree', () => {
    const cache = new StepCache();
    const rec = new StepRecorder();
    let outside = 0;
    const sneaky = (st: Store) => st.segs[0]!.get(outside);
    for (const o of [0, 1]) {
      outside = o;
      const st = new Store(SPECS);
      rec.begin(st);
      sneaky(st);
      const e = rec.end(0);
      if (o === 0) cache.insert(0, rec, e);
      else expect(() => cache.insert(0, rec, e)).toThrow(ReuseError);
    }
  });

  it('a full cache empties and starts again', () => {
    const cache = new StepCache(8);
    const rec = new StepRecorder();
    for (let v = 0; v < 20; v++) {
      const st = new Store(SPECS);
      st.segs[0]!.set(0, v);
      rec.begin(st);
      st.segs[1]!.get(st.segs[0]!.get(0));
      cache.insert(0, rec, rec.end(0));
    }
    expect(cache.stats.flushes).toBeGreaterThan(0);
    expect(cache.stats.nodes).toBeLessThanOrEqual(8);
  });
  it('a step that touches more cells than the recorder\'s table holds keeps every value it read', () => {
    // (the table grows while the step runs: a value recorded as the growth happened was once lost)
    const st = new Store(SPECS);
    for (let i = 0; i < 3000; i++) st.segs[0]!.set(i, i + 1);
    const c = st.clone();
    const rec = new StepRecorder();
    rec.begin(c);
    for (let i = 0; i < 3000; i++) c.segs[0]!.set(i, c.segs[0]!.get(i) * 2);
    const e = rec.end(0);
    const l = lanesAfter(st, e, { f1: 0, f2: 0, c1: 0 });
    expect([l.f1, l.f2, l.c1]).toEqual([c.f1, c.f2, c.c1]);
  });

  it('effects stay intact when many are kept (their arrays share slabs)', () => {
    const rec = new StepRecorder();
    const kept: { e: ReturnType<StepRecorder['end']>; w: number[]; r: number[] }[] = [];
    for (let n = 0; n < 3000; n++) {
      const st = new Store(SPECS);
      rec.begin(st);
      const a = st.segs[0]!, b = st.segs[1]!;
      for (let j = 0; j < 1 + (n % 23); j++) a.get(n * 7 + j);
      for (let j = 0; j < 1 + (n % 17); j++) b.set(n * 5 + j, n + j + 1);
      const e = rec.end(n);
      kept.push({ e, w: [...e.w], r: [...readsOf(e)] });
    }
    for (const k of kept) {
      expect([...k.e.w]).toEqual(k.w);
      expect([...readsOf(k.e)]).toEqual(k.r);
    }
  });
});

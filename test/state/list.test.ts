// Lists in cells (src/state/list.ts): canonical cells, and steps recorded by what they ask of a list and
// do to it. A step keyed by its questions' answers is replayed on states whose lists hold other values
// in other orders, and must give what running it there gives: the same cells, the same lanes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Store } from '../../src/state/store.js';
import { CellList, listQuestion } from '../../src/state/list.js';
import { StepCache, StepRecorder, applyEffect, lanesAfter, readsOf, changesOf, CELL_KEY } from '../../src/state/reuse.js';

const SPECS = [{ name: 'lists' }, { name: 'entries' }];
const MAX = 6;
const full = (): never => {
  throw new Error('full');
};
const listA = (st: Store) => new CellList(st.segs[0]!, 0, MAX, full);
const listB = (st: Store) => new CellList(st.segs[0]!, 16, MAX, full);
/** the first value whose entry (segment 1, cell v) holds a value in [a, a + b) */
const Q_FIRST_IN = listQuestion((vals, n, read, a, b) => {
  for (let j = 0; j < n; j++) {
    const x = read(1, vals[j]!);
    if (x >= a && x < a + b) return vals[j]!;
  }
  return 0;
});

/** steps: 0 move A's head to B's tail; 1 take every entry of A in [1, 3) out of it (their number stored in entry 0); 2 push value 7 on A if it is not there */
function step(st: Store, k: number): number {
  const A = listA(st), B = listB(st), E = st.segs[1]!;
  if (k === 0) {
    const h = A.at(0);
    if (h === 0) return 0;
    A.remove(h);
    B.push(h);
    return 1;
  }
  if (k === 1) {
    let n = 0;
    for (let v = A.ask(Q_FIRST_IN, 1, 2); v !== 0; v = A.ask(Q_FIRST_IN, 1, 2)) {
      A.remove(v);
      n++;
    }
    E.set(0, n);
    return n;
  }
  if (A.has(7) || B.has(7)) return 0;
  A.push(7);
  E.set(7, 1);
  return 1;
}

function cells(st: Store): string {
  const out: string[] = [];
  for (const s of st.segs) for (let i = 0; i < 32; i++) out.push(String(s.peek(i)));
  return out.join(',');
}

describe('state/list', () => {
  it('keeps a list canonical: values in order, the cells past its end zero', () => {
    const st = new Store(SPECS);
    const A = listA(st);
    for (const v of [3, 5, 9, 4]) A.push(v);
    A.remove(5);
    expect([A.length, A.at(0), A.at(1), A.at(2), A.at(3)]).toEqual([3, 3, 9, 4, 0]);
    const other = new Store(SPECS);
    for (const v of [3, 9, 4]) listA(other).push(v);
    expect(cells(st)).toBe(cells(other));
    expect([st.f1, st.f2]).toEqual([other.f1, other.f2]);
    expect(A.indexOf(4)).toBe(2);
    expect(A.has(5)).toBe(false);
    for (const v of [1, 2, 6]) A.push(v);
    expect(() => A.push(8)).toThrow('full');
  });

  it('a step keyed by its questions is replayed on lists in any order as running it there', () => {
    let replayed = 0, fewer = 0, removedReplayed = 0;
    fc.assert(fc.property(
      fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 5 }),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 4 })), { maxLength: 12 }),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 20 }),
      (init, entries, steps) => {
        const cache = new StepCache();
        const rec = new StepRecorder();
        let st = new Store(SPECS);
        for (const [i, v] of entries) st.segs[1]!.set(i, v);
        for (const v of init) listA(st).push(v);
        const keysPerKind = new Map<number, Set<string>>();
        for (const k of steps) {
          const e = cache.lookup(st, k);
          const fresh = st.clone();
          rec.begin(fresh);
          const r = step(fresh, k);
          const eff = rec.end(r);
          expect(eff.noCache).toBe(false);
          // the footprint does not depend on the list's length: the whole list is in it
          const listCells = [...readsOf(eff)].filter((x) => x < CELL_KEY && x <= MAX).length;
          expect(listCells).toBe(MAX + 1);
          if (e === null) cache.insert(k, rec, eff);
          else {
            replayed++;
            // (a question asked after the step's own operations is answered on the list as they left it)
            if (k === 1 && r > 0) removedReplayed++;
            expect(e.result).toBe(r);
            const l = lanesAfter(st, e, { f1: 0, f2: 0, c1: 0 });
            expect([l.f1, l.f2]).toEqual([fresh.f1, fresh.f2]);
            const raw = st.clone();
            applyEffect(raw, e, l);
            expect(cells(raw)).toBe(cells(fresh));
            expect(raw.recompute()).toEqual({ f1: fresh.f1, f2: fresh.f2, c1: fresh.c1 });
            const slow = st.clone();
            applyEffect(slow, e);
            expect(cells(slow)).toBe(cells(fresh));
            // every list cell the replay changed is among the effect's changes
            const changed = new Set([...changesOf(e)]);
            for (let i = 0; i < 32; i++) if (st.segs[0]!.peek(i) !== fresh.segs[0]!.peek(i)) expect(changed.has(i)).toBe(true);
          }
          const ks = keysPerKind.get(k) ?? new Set();
          ks.add(cells(st));
          keysPerKind.set(k, ks);
          st = fresh;
        }
        if (cache.stats.effects < [...keysPerKind.values()].reduce((a, s) => a + s.size, 0)) fewer++;
      }), { numRuns: 300, seed: 20261206 });
    expect(replayed).toBeGreaterThan(300);
    expect(removedReplayed).toBeGreaterThan(20);
    // replays across states that differ in their lists (the point of asking by meaning)
    expect(fewer).toBeGreaterThan(50);
  });

  it('a question that sees a store of its own step makes the step unkeyable', () => {
    const st = new Store(SPECS);
    for (const v of [2, 3]) listA(st).push(v);
    const rec = new StepRecorder();
    rec.begin(st);
    st.segs[1]!.set(3, 1); // entry 3 now in range
    const v = listA(st).ask(Q_FIRST_IN, 1, 2);
    const e = rec.end(v);
    expect(v).toBe(3);
    expect(e.noCache).toBe(true);
    expect(rec.unkeyable).toMatch(/had stored into/);
    const cache = new StepCache();
    cache.insert(0, rec, e);
    expect(cache.stats.effects).toBe(0);
  });

  it('reading a list cell raw after an operation on it makes the step unkeyable', () => {
    const st = new Store(SPECS);
    listA(st).push(4);
    const rec = new StepRecorder();
    rec.begin(st);
    listA(st).push(5);
    st.segs[0]!.get(2);
    expect(rec.end(0).noCache).toBe(true);
  });
});

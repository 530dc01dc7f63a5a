// Machine states copy and hash themselves: a clone is independent of its original, equal states
// have equal fingerprints whatever path led to them, and different states differ.
import { describe, expect, it } from 'vitest';
import { StateHasher, FingerprintSet } from '../../src/explore/hash.js';
import { growableArray, growArray } from '../../src/explore/growable.js';
import { stepOnce, enabledThreads } from '../../src/explore/search.js';
import type { Machine } from '../../src/sched/machine.js';
import { PageTable, PGTABLE_SEGMENTS } from '../../src/kernel/mm/pgtable.js';
import { Store } from '../../src/state/store.js';
import { afterSetup, scenario, INDEPENDENT, LIVE, UNPROTECT_FIRST } from './helpers.js';

function fp(m: Machine): { full: string; control: string } {
  const h = new StateHasher();
  m.fingerprint(h);
  return { full: `${h.fullHi()}:${h.fullLo()}`, control: `${h.controlHi()}:${h.controlLo()}` };
}
const threadIndex = (m: Machine, name: string) => m.threads.findIndex((t) => t.name === name);

describe('Machine.clone', () => {
  it('a clone has the same fingerprint, and stepping it leaves the original alone', () => {
    const m = afterSetup(scenario(LIVE), 'v6.12');
    const before = fp(m).full;
    const c = m.clone();
    expect(fp(c).full).toBe(before);
    // run the clone to the end: faults, splits, copies, un-protects
    for (let en = enabledThreads(c); en.length; en = enabledThreads(c)) stepOnce(c, en[0]!);
    expect(fp(c).full).not.toBe(before);
    expect(fp(m).full).toBe(before);
    // and the original still runs to the same end
    for (let en = enabledThreads(m); en.length; en = enabledThreads(m)) stepOnce(m, en[0]!);
    expect(fp(m).full).toBe(fp(c).full);
  });

  it('re-links every reference into the copied kernel', () => {
    const m = afterSetup(scenario(LIVE), 'v6.12');
    stepOnce(m, threadIndex(m, 'vcpu0')); // faults and sleeps in handle_userfault
    const c = m.clone();
    expect(c.k).not.toBe(m.k);
    for (const t of c.threads) expect(c.k.tasks).toContain(t.task);
    const v = c.vars.get('uffd')!;
    expect(v.kind === 'uffd' && c.k.uffds.includes(v.ctx)).toBe(true);
    const ctx = c.k.uffds[0]!;
    expect(ctx.mm).toBe(c.k.mms[0]);
    const u = ctx.pending.at(0)!;
    expect(u.task).toBe(c.threads[threadIndex(c, 'vcpu0')]!.task);
    expect(u.task.uwq).toBe(u);
    expect(c.k.mms[0]!.vmas.find((x) => x.uffd)!.uffd).toBe(ctx);
    // the copy's page tables are its own once written
    const t0 = [...m.k.mms[0]!.tables.values()].find((t) => t.level === 2)!;
    const t1 = c.k.mms[0]!.tables.get(t0.pfn)!;
    expect(t1).not.toBe(t0);
    t1.setRaw(5, 0x1234, 0);
    expect(t0.lo(5)).toBe(0);
  });

  it('page contents are copy-on-write', () => {
    const m = afterSetup(scenario(INDEPENDENT), 'v6.12');
    const c = m.clone();
    const pfn = [...m.k.data.pfns()][0]!;
    c.k.data.writeByte(pfn, 7, 0x5a);
    expect(c.k.data.readByte(pfn, 7)).toBe(0x5a);
    expect(m.k.data.readByte(pfn, 7)).toBe(0);
    m.k.data.writeByte(pfn, 9, 0x33);
    expect(c.k.data.readByte(pfn, 9)).toBe(0);
  });
});

describe('fingerprints', () => {
  it('independent steps taken in either order give the same fingerprint', () => {
    const m = afterSetup(scenario(INDEPENDENT), 'v6.12');
    const l = threadIndex(m, 'left'), r = threadIndex(m, 'right');
    const a = m.clone(), b = m.clone();
    stepOnce(a, l);
    stepOnce(a, r);
    stepOnce(b, r);
    stepOnce(b, l);
    expect(fp(a).full).toBe(fp(b).full);
    expect(fp(a).full).not.toBe(fp(m).full);
  });

  it('a different byte in memory is a different state', () => {
    const m = afterSetup(scenario(INDEPENDENT), 'v6.12');
    const c = m.clone();
    const pfn = [...c.k.data.pfns()][0]!;
    c.k.data.writeByte(pfn, 100, 1);
    expect(fp(c).full).not.toBe(fp(m).full);
    c.k.data.writeByte(pfn, 100, 0);
    expect(fp(c).full).toBe(fp(m).full);
  });

  it('statistics change the full fingerprint but not the control view', () => {
    const m = afterSetup(scenario(INDEPENDENT), 'v6.12');
    const c = m.clone();
    c.k.vmstat.pgfault += 3;
    c.threads[0]!.task!.min_flt++;
    expect(fp(c).full).not.toBe(fp(m).full);
    expect(fp(c).control).toBe(fp(m).control);
  });

  it('the fingerprint set finds what it holds and grows', () => {
    const s = new FingerprintSet(4);
    for (let i = 0; i < 1000; i++) s.add(i * 7919, i ^ 0x55, i);
    expect(s.size).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(s.get(i * 7919, i ^ 0x55)).toBe(i);
    expect(s.get(1, 1)).toBe(-1);
    s.add(0, 0, 1234);
    expect(s.get(0, 0)).toBe(1234);
  });

  it('the fingerprint set grows in place and past its reservation, and finds every entry after each growth', () => {
    // a 96-byte reservation: each sub-table outgrows it after its first growth (8 slots, 12 bytes each)
    for (const reserve of [96, 64 << 20]) {
      const s = new FingerprintSet(6, reserve);
      let x = 0x2545f491;
      const next = () => (x = (Math.imul(x, 1103515245) + 12345) | 0);
      const his: number[] = [], los: number[] = [];
      for (let i = 0; i < 50_000; i++) {
        his.push(next());
        los.push(next());
        s.add(his[i]!, los[i]!, i);
        // every 997th insertion, all of those so far are still found (growths happen in between)
        if (i % 997 === 0) for (let k = 0; k <= i; k += 13) expect(s.get(his[k]!, los[k]!)).toBe(k);
      }
      let wrong = 0;
      for (let i = 0; i < 50_000; i++) if (s.get(his[i]!, los[i]!) !== i) wrong++;
      expect(wrong, `reserve ${reserve}`).toBe(0);
      expect(s.get(7, 7)).toBe(-1);
    }
  });

  it('growable arrays keep their elements, fill what they gain, and grow in their own buffer while it has room', () => {
    const a = growableArray(Int32Array, 4);
    a.set([1, 2, 3, 4]);
    const b = growArray(a, 10, -1);
    expect([...b]).toEqual([1, 2, 3, 4, -1, -1, -1, -1, -1, -1]);
    expect(b.buffer).toBe(a.buffer);
    const plain = new Uint8Array([5, 6]);
    const c = growArray(plain, 3);
    expect([...c]).toEqual([5, 6, 0]);
    expect((c.buffer as ArrayBuffer).resizable).toBe(true);
  });

  it('the fingerprint set holds 200,000 random 64-bit fingerprints, signed or not, across its sub-tables', () => {
    const s = new FingerprintSet(6);
    let x = 0x12345678;
    const next = () => (x = (Math.imul(x, 1664525) + 1013904223) | 0);
    const his: number[] = [], los: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      his.push(next());
      los.push(next());
      s.add(his[i]!, los[i]!, i);
    }
    expect(s.size).toBe(200_000);
    let wrong = 0;
    // the same values given signed or unsigned find the same entry
    for (let i = 0; i < 200_000; i++) if (s.get(his[i]! >>> 0, los[i]!) !== i || s.get(his[i]!, los[i]! >>> 0) !== i) wrong++;
    expect(wrong).toBe(0);
    let found = 0;
    for (let i = 0; i < 10_000; i++) if (s.get(next(), next()) !== -1) found++;
    expect(found).toBe(0);
    // memory: 3 words per slot, each sub-table at least 5/12 full once grown
    expect(s.bytes).toBeLessThanOrEqual(200_000 * (12 / 5) * 12 * 1.05);
  });
});

// A state the explorer reaches through a chain of clones (each step taken on a fresh copy, the
// original then stepped in place or dropped, as search.ts does) must be the state a fresh machine
// reaches by taking the same steps: same fingerprint, records, schedule and last results.
describe('clones against a fresh replay', () => {
  const cases: [string, string][] = [
    [LIVE, 'v6.12'], [LIVE, 'v4.19-uffd-wp-2018'], [LIVE, 'v4.19-uffd-wp-2018+fault-retry-unlimited'],
    [UNPROTECT_FIRST, 'v6.12'], [INDEPENDENT, 'v6.12'],
  ];
  for (const [file, k] of cases) {
    it(`${file.split('/').pop()} on ${k}`, () => {
      const sc = scenario(file);
      let seed = 12345;
      const rnd = (n: number) => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return (seed >>> 8) % n;
      };
      for (let walk = 0; walk < 20; walk++) {
        const root = afterSetup(sc, k);
        let m = root;
        const siblings: Machine[] = [];
        const schedule: number[] = [];
        for (let depth = 0; depth < 40; depth++) {
          const en = enabledThreads(m);
          if (en.length === 0) break;
          const t = en[rnd(en.length)]!;
          // a sibling taken first from the same state must not disturb the one we follow
          const other = en[rnd(en.length)]!;
          const sib = m.clone();
          stepOnce(sib, other);
          siblings.push(sib);
          const c = rnd(3) === 0 ? m : m.clone();
          stepOnce(c, t);
          schedule.push(t);
          m = c;
        }
        const fresh = afterSetup(sc, k);
        for (const t of schedule) stepOnce(fresh, t);
        expect(fp(m)).toEqual(fp(fresh));
        expect(m.taken).toEqual(fresh.taken);
        expect(m.records.map((r) => [r.id, r.thread, r.errno, r.result, r.step])).toEqual(fresh.records.map((r) => [r.id, r.thread, r.errno, r.result, r.step]));
        expect([...m.lastRecord]).toEqual([...fresh.lastRecord]);
        // records asked for, then more steps: the arrays keep growing correctly
        const en = enabledThreads(m);
        if (en.length) {
          stepOnce(m, en[0]!);
          stepOnce(fresh, en[0]!);
          expect(m.taken).toEqual(fresh.taken);
          expect(m.records.length).toBe(fresh.records.length);
          expect(fp(m)).toEqual(fp(fresh));
        }
      }
    });
  }

  it('a clone shares records and schedule but never sees the original step', () => {
    const m = afterSetup(scenario(LIVE), 'v6.12');
    const n0 = m.records.length;
    const a = m.clone(), b = m.clone();
    stepOnce(a, threadIndex(a, 'vcpu0'));
    stepOnce(b, threadIndex(b, 'vcpu1'));
    stepOnce(b, threadIndex(b, 'handler'));
    expect(m.taken).toEqual([]);
    expect(a.taken).toEqual(['vcpu0']);
    expect(b.taken).toEqual(['vcpu1', 'handler']);
    expect(m.records.length).toBe(n0);
    expect(b.records.length).toBeGreaterThan(n0);
    expect(b.records.slice(0, n0)).toEqual(m.records);
  });
});

describe('page-table fingerprints', () => {
  it('the lanes kept up to date by setRaw equal the ones computed afresh, through copy-on-write copies', () => {
    let seed = 99;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    let st = new Store(PGTABLE_SEGMENTS);
    const view = (s: Store, slot: number) => PageTable.create(s.segs[0]!, s.segs[1]!, slot, 0x1234 + slot, 1, slot * 0x200000);
    let ts = [view(st, 3), view(st, 600)];
    const shadow = [new Int32Array(1024), new Int32Array(1024)];
    for (let step = 0; step < 2000; step++) {
      const w = rnd(2), i = rnd(512);
      const v = rnd(4) === 0 ? [0, 0] : [(rnd(0x7fffffff) * 2 + rnd(2)) | 0, rnd(0xfffff)];
      if (rnd(50) === 0) {
        const c = st.clone();
        ts = ts.map((t) => PageTable.at(c.segs[0]!, c.segs[1]!, t.slot, t.pfn)!);
        st = c;
      }
      ts[w]!.setRaw(i, v[0]!, v[1]!);
      shadow[w]![2 * i] = v[0]!;
      shadow[w]![2 * i + 1] = v[1]!;
      if (rnd(20) === 0) {
        const r = st.recompute();
        expect([st.f1, st.f2]).toEqual([r.f1, r.f2]);
      }
    }
    for (const w of [0, 1]) {
      let nr = 0;
      for (let i = 0; i < 512; i++) {
        expect([ts[w]!.lo(i), ts[w]!.hi(i)]).toEqual([shadow[w]![2 * i], shadow[w]![2 * i + 1]]);
        if (shadow[w]![2 * i] || shadow[w]![2 * i + 1]) nr++;
      }
      expect(ts[w]!.nr).toBe(nr);
    }
    const r = st.recompute();
    expect([st.f1, st.f2]).toEqual([r.f1, r.f2]);
  });
});

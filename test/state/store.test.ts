// The Store (src/state/store.ts): copy-on-write isolation between a state and its copies, the
// incremental fingerprint against one recomputed from the cells, and the recorder.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Store, type Recorder } from '../../src/state/store.js';

// segment 3 is flat (its root list holds its leaves)
const SPECS = [{ name: 'a' }, { name: 'b' }, { name: 'stats', counter: true }, { name: 'small', flat: true }];

/** a plain model of a store: one Map per segment */
type Plain = Map<number, number>[];
const plainOf = (): Plain => SPECS.map(() => new Map());
function read(p: Plain, seg: number, i: number): number {
  return p[seg]!.get(i) ?? 0;
}

const opArb = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), seg: fc.integer({ min: 0, max: 3 }), i: fc.integer({ min: 0, max: 700 }), v: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ kind: fc.constant('clone' as const), which: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('clear' as const), seg: fc.integer({ min: 0, max: 3 }), i: fc.integer({ min: 0, max: 700 }), n: fc.integer({ min: 1, max: 200 }) }),
  // reads between the writes (the segment's cache of its last leaf must never answer for another copy's
  // or a replaced leaf), and the one-lookup read-and-write forms inc and or
  fc.record({ kind: fc.constant('get' as const), seg: fc.integer({ min: 0, max: 3 }), i: fc.integer({ min: 0, max: 700 }) }),
  fc.record({ kind: fc.constant('inc' as const), seg: fc.integer({ min: 0, max: 3 }), i: fc.integer({ min: 0, max: 700 }), v: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ kind: fc.constant('or' as const), seg: fc.integer({ min: 0, max: 3 }), i: fc.integer({ min: 0, max: 700 }), v: fc.integer({ min: 0, max: 7 }) }),
);

describe('Store', () => {
  it('copies are isolated, and every fingerprint equals the one recomputed from its cells', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), opArb), { maxLength: 80 }), (ops) => {
      const stores = [new Store(SPECS)];
      const plains = [plainOf()];
      for (const [who, op] of ops) {
        const j = who % stores.length;
        const st = stores[j]!, p = plains[j]!;
        if (op.kind === 'set') {
          st.segs[op.seg]!.set(op.i, op.v);
          p[op.seg]!.set(op.i, op.v);
        } else if (op.kind === 'get') {
          expect(st.segs[op.seg]!.get(op.i)).toBe(read(p, op.seg, op.i));
        } else if (op.kind === 'inc') {
          st.segs[op.seg]!.inc(op.i, op.v);
          p[op.seg]!.set(op.i, read(p, op.seg, op.i) + op.v);
        } else if (op.kind === 'or') {
          st.segs[op.seg]!.or(op.i, op.v);
          p[op.seg]!.set(op.i, read(p, op.seg, op.i) | op.v);
        } else if (op.kind === 'clear') {
          st.segs[op.seg]!.clear(op.i, op.n);
          for (let x = op.i; x < op.i + op.n; x++) p[op.seg]!.delete(x);
        } else {
          stores.push(st.clone());
          plains.push(p.map((m) => new Map(m)));
        }
      }
      for (let j = 0; j < stores.length; j++) {
        const st = stores[j]!;
        for (let seg = 0; seg < SPECS.length; seg++) for (let i = 0; i <= 900; i += 7) expect(st.segs[seg]!.get(i)).toBe(read(plains[j]!, seg, i));
        const r = st.recompute();
        expect([st.f1, st.f2, st.c1]).toEqual([r.f1, r.f2, r.c1]);
      }
      // equal cells, equal fingerprints, whatever the history
      for (let a = 0; a < stores.length; a++) for (let b = 0; b < stores.length; b++) {
        const same = plains[a]!.every((m, seg) => {
          const o = plains[b]![seg]!;
          const nz = (x: Map<number, number>) => [...x].filter(([, v]) => v !== 0).sort((u, w) => u[0] - w[0]).join(';');
          return nz(m) === nz(o);
        });
        if (same) expect([stores[a]!.f1, stores[a]!.f2, stores[a]!.c1]).toEqual([stores[b]!.f1, stores[b]!.f2, stores[b]!.c1]);
        // changed(): exactly the cells whose values differ (stores of one family share nodes)
        for (let seg = 0; seg < SPECS.length; seg++) {
          const got: number[] = [];
          stores[a]!.segs[seg]!.changed(stores[b]!.segs[seg]!, got);
          const keys = new Set([...plains[a]![seg]!.keys(), ...plains[b]![seg]!.keys()]);
          const want = [...keys].filter((i) => read(plains[a]!, seg, i) !== read(plains[b]!, seg, i)).sort((u, w) => u - w);
          expect(got).toEqual(want);
        }
      }
    }), { numRuns: 150 });
  });

  it('cloneCells: a copy that borrows segment objects reads and writes like a clone, while its source is left alone', () => {
    const lazyOp = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), seg: fc.integer({ min: 0, max: 3 }), i: fc.integer({ min: 0, max: 700 }), v: fc.integer({ min: -3, max: 3 }) }),
      fc.record({ kind: fc.constant('lazy' as const) }),
      fc.record({ kind: fc.constant('clone' as const) }),
      fc.record({ kind: fc.constant('own' as const) }),
    );
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), lazyOp), { maxLength: 80 }), (ops) => {
      const stores = [new Store(SPECS)];
      const plains = [plainOf()];
      // the explorer's discipline: a store a lazy copy was taken from is not written again
      const frozen = [false];
      for (const [who, op] of ops) {
        const j = who % stores.length;
        const st = stores[j]!, p = plains[j]!;
        if (op.kind === 'set') {
          if (frozen[j]) continue;
          st.segW(op.seg).set(op.i, op.v);
          p[op.seg]!.set(op.i, op.v);
        } else if (op.kind === 'own') st.ownAll();
        else {
          stores.push(op.kind === 'lazy' ? st.cloneCells() : st.clone());
          plains.push(p.map((m) => new Map(m)));
          frozen.push(false);
          if (op.kind === 'lazy') frozen[j] = true;
        }
      }
      for (let j = 0; j < stores.length; j++) {
        const st = stores[j]!;
        for (let seg = 0; seg < SPECS.length; seg++) for (let i = 0; i <= 700; i += 3) expect(st.segs[seg]!.peek(i)).toBe(read(plains[j]!, seg, i));
        const r = st.recompute();
        expect([st.f1, st.f2, st.c1]).toEqual([r.f1, r.f2, r.c1]);
      }
    }), { numRuns: 150 });
  });

  it('counter cells stay out of the control lanes', () => {
    const a = new Store(SPECS);
    const b = a.clone();
    b.segs[2]!.set(5, 42);
    expect([b.f1, b.f2]).toEqual([a.f1, a.f2]);
    expect(b.c1).not.toBe(a.c1);
    b.segs[0]!.set(5, 42);
    expect(b.f1).not.toBe(a.f1);
  });

  it('a recorder hears every read and every write, also of the value a cell holds', () => {
    const st = new Store(SPECS);
    const log: string[] = [];
    const rec: Recorder = { read: (s, i) => log.push(`r${s}:${i}`), write: (s, i, o, n) => log.push(`w${s}:${i}:${o}->${n}`), add: (s, i, d) => log.push(`a${s}:${i}:${d}`) };
    st.rec = rec;
    st.segs[1]!.set(3, 9);
    st.segs[1]!.set(3, 9);
    st.segs[1]!.add(4, 2);
    expect(st.segs[1]!.get(3)).toBe(9);
    expect(st.segs[1]!.peek(3)).toBe(9);
    st.rec = null;
    st.segs[0]!.get(1);
    expect(log).toEqual(['w1:3:0->9', 'w1:3:9->9', 'a1:4:2', 'r1:3']);
    // inc and or: a read, then a write (also of the value the cell holds), as get then set
    log.length = 0;
    st.rec = rec;
    st.segs[1]!.inc(3, 2);
    st.segs[1]!.or(3, 1);
    st.segs[1]!.or(3, 1);
    st.rec = null;
    expect(log).toEqual(['r1:3', 'w1:3:9->11', 'r1:3', 'w1:3:11->11', 'r1:3', 'w1:3:11->11']);
    expect(st.segs[1]!.peek(4)).toBe(2);
  });

  it('a clone shares its leaves until written: only the written leaf is copied', () => {
    const a = new Store(SPECS);
    for (let i = 0; i < 640; i++) a.segs[0]!.set(i, i + 1);
    const b = a.clone();
    expect(b.stats().leaves).toBe(10);
    b.segs[0]!.set(70, -1);
    const leaves = (st: Store) => {
      const out: Int32Array[] = [];
      st.segs[0]!.forEachLeaf((_, l) => out.push(l));
      return out;
    };
    const la = leaves(a), lb = leaves(b);
    expect(la.filter((l, t) => l === lb[t]).length).toBe(9);
    expect(a.segs[0]!.get(70)).toBe(71);
  });

  it('a sparse index space costs only what is written, and a clone copies one pointer per 2^18 cells', () => {
    const a = new Store(SPECS);
    a.segs[1]!.set(600 * 1024, 5);
    a.segs[1]!.set(3 * 2 ** 20, 6);
    expect(a.stats().leaves).toBe(2);
    expect(a.segs[1]!.roots.length).toBe(13);
    const b = a.clone();
    expect(b.segs[1]!.get(3 * 2 ** 20)).toBe(6);
    expect(b.segs[1]!.get(600 * 1024 + 1)).toBe(0);
  });

  it('a store that does not hash catches up in one recomputation', () => {
    const a = new Store(SPECS);
    a.hashing = false;
    a.segs[0]!.set(1, 2);
    a.segs[2]!.set(1, 2);
    a.startHashing();
    const r = a.recompute();
    expect([a.f1, a.f2, a.c1]).toEqual([r.f1, r.f2, r.c1]);
    a.segs[0]!.set(1, 3);
    const r2 = a.recompute();
    expect([a.f1, a.f2]).toEqual([r2.f1, r2.f2]);
  });
});

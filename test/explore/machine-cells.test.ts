// The scenario machine's state is cells of the kernel's Store (src/sched/cells.ts): a step's recorded
// cell writes, applied by hand to a copy of the state before it, give the state the step produced in
// every cell and in the machine's views (what step reuse will do: the kernel's objects not in cells yet
// are not compared, and Machine.resync refuses until they are); the machine's fingerprint follows its
// cells, and only them.
import { describe, expect, it } from 'vitest';
import { StateHasher } from '../../src/explore/hash.js';
import { stepOnce, enabledThreads } from '../../src/explore/search.js';
import type { Machine } from '../../src/sched/machine.js';
import type { Recorder, Store } from '../../src/state/store.js';
import { Machine as MachineClass } from '../../src/sched/machine.js';
import { internedCount } from '../../src/state/intern.js';
import { loadScenario } from '../../src/scenario/load.js';
import { touchEachPage } from '../../bench/run-memory.js';
import { afterSetup, kernel, scenario, LIVE, UNPROTECT_FIRST } from './helpers.js';

function fp(m: Machine): string {
  const h = new StateHasher();
  m.fingerprint(h);
  return `${h.fullHi()}:${h.fullLo()}`;
}

/** everything the machine's views show, with kernel objects by their position */
function machineView(m: Machine): unknown {
  const k = m.k;
  const thread = (t: Machine['setup']) => {
    const w = t.wait;
    return {
      status: t.status, pc: t.pc, progress: t.progress, spins: t.spins, killedBy: t.killedBy, signal: t.signal, operands: t.operands,
      task: t.task === null ? -1 : k.tasks.indexOf(t.task),
      wait: w === null ? null : w.kind === 'uffd_read' ? { kind: w.kind, ctx: k.uffds.indexOf(w.ctx) } : w,
    };
  };
  const vars = [...m.vars].map(([n, v]) => [n, v.kind === 'uffd' ? { kind: 'uffd', ctx: k.uffds.indexOf(v.ctx) } : v]);
  const procs = [...m.procs].map(([n, p]) => [n, k.mms.indexOf(p.mm), p.pid]);
  return {
    setup: thread(m.setup), threads: m.threads.map(thread), vars, procs, last: [...m.lastRecord], snapshots: [...m.snapshots],
    copies: [...m.copies], deadlock: m.deadlock,
  };
}

/** the cells of every segment of a, compared with b's: the indices that differ */
function cellDiff(a: Store, b: Store): string[] {
  const out: string[] = [];
  a.segs.forEach((s, i) => {
    const ch: number[] = [];
    s.changed(b.segs[i]!, ch);
    for (const c of ch) out.push(`${a.specs[i]!.name}[${c}]`);
  });
  return out;
}

describe('machine state in cells', () => {
  for (const [file, k] of [[LIVE, 'v6.12'], [LIVE, 'v4.19-uffd-wp-2018'], [UNPROTECT_FIRST, 'v6.12']] as const) {
    it(`a step's recorded cell writes replayed on a copy give the step's state (${file.split('/').pop()} on ${k})`, () => {
      const sc = scenario(file);
      let seed = 7;
      const rnd = (n: number) => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return (seed >>> 8) % n;
      };
      let steps = 0;
      for (let walk = 0; walk < 6; walk++) {
        let m = afterSetup(sc, k);
        fp(m); // the store hashes from here on, and so do its copies
        for (let en = enabledThreads(m); en.length; en = enabledThreads(m)) {
          const before = m.clone();
          const copy = m.clone();
          // stores, and statistics added to (Segment.add)
          const writes: [number, number, number, boolean][] = [];
          const rec: Recorder = {
            read() {},
            write(seg, i, _old, now) { writes.push([seg, i, now, false]); },
            add(seg, i, delta) { writes.push([seg, i, delta, true]); },
          };
          m.k.st.rec = rec;
          stepOnce(m, en[rnd(en.length)]!);
          m.k.st.rec = null;
          for (const [seg, i, v, add] of writes) {
            const s = copy.k.st.segs[seg]!;
            s.set(i, add ? s.peek(i) + v : v);
          }
          copy.resyncViews();
          expect(cellDiff(copy.k.st, m.k.st)).toEqual([]);
          expect(machineView(copy)).toEqual(machineView(m));
          expect([copy.k.st.f1, copy.k.st.f2, copy.k.st.c1]).toEqual([m.k.st.f1, m.k.st.f2, m.k.st.c1]);
          // and the step did write: the state before it is not the state after it
          expect(writes.length).toBeGreaterThan(0);
          expect(cellDiff(before.k.st, m.k.st).length).toBeGreaterThan(0);
          // the incremental lanes are the ones computed afresh from the cells
          expect(m.k.st.recompute()).toEqual({ f1: m.k.st.f1, f2: m.k.st.f2, c1: m.k.st.c1 });
          steps++;
          m = rnd(2) === 0 ? m : m.clone();
        }
      }
      expect(steps).toBeGreaterThan(20);
    });
  }

  it('what decides outcomes changes the fingerprint; putting it back restores it', () => {
    const m = afterSetup(scenario(LIVE), 'v6.12');
    const f0 = fp(m);
    const cases: ((c: Machine) => void)[] = [
      (c) => { c.threads[0]!.pc++; },
      (c) => { c.threads[1]!.status = 'killed'; },
      (c) => { c.threads[0]!.operands = { addr: 0x1000, len: 1, lo: 5, hi: 0 }; },
      (c) => { c.vars.set('ram', { kind: 'mapping', addr: 0x1000n, len: 0x2000n, addrN: 0x1000, lenN: 0x2000 }); },
      (c) => { c.vars.delete('uffd'); },
      (c) => { c.noteRecord({ id: c.threads[0]!.ops[0]!.id, thread: c.threads[0]!.name, op: 'write', errno: 'EFAULT', result: null, step: 1 }, c.opIndex(c.threads[0]!)); },
      (c) => { c.takeCheckpoint('final'); },
      (c) => { c.noteCopy([...c.copies.keys()][0]!, { ...[...c.copies.values()][0]!, copies: 1, mismatches: 1, detail: 'x' }); },
      (c) => { c.deadlock = true; },
    ];
    for (const change of cases) {
      const c = m.clone();
      const view0 = machineView(c);
      change(c);
      expect(fp(c)).not.toBe(f0);
      // the same cells reached from another state agree
      expect(m.clone().k.st.recompute()).toEqual({ f1: m.k.st.f1, f2: m.k.st.f2, c1: m.k.st.c1 });
      expect(c.k.st.recompute()).toEqual({ f1: c.k.st.f1, f2: c.k.st.f2, c1: c.k.st.c1 });
      expect(machineView(m)).toEqual(view0);
    }
    expect(fp(m)).toBe(f0);
  });

  it('a copy check\'s first mismatch is kept for people, not told apart by the fingerprint', () => {
    const m = afterSetup(scenario(LIVE), 'v6.12');
    const key = [...m.copies.keys()][0]!, c0 = m.copies.get(key)!;
    const a = m.clone(), b = m.clone();
    a.noteCopy(key, { ...c0, copies: 1, mismatches: 1, detail: 'copy of 0x1000 holds 0x1' });
    b.noteCopy(key, { ...c0, copies: 1, mismatches: 1, detail: 'copy of 0x2000 holds 0x2' });
    expect(a.copies.get(key)!.detail).toBe('copy of 0x1000 holds 0x1');
    expect(b.copies.get(key)!.detail).toBe('copy of 0x2000 holds 0x2');
    expect(fp(a)).toBe(fp(b));
    const c = m.clone();
    c.noteCopy(key, { ...c0, copies: 1, mismatches: 0, detail: null });
    expect(fp(c)).not.toBe(fp(a));
  });

  it('a plain run (fresh ids, no keys) and a hashing one (interned) fingerprint alike', () => {
    const sc = scenario(LIVE);
    // a: hashes from the start, so every value is interned; b: a plain run until its first fingerprint
    const a = new MachineClass(sc, kernel('v6.12'), { trace: false });
    fp(a);
    a.runSetup();
    const b = afterSetup(sc, 'v6.12');
    for (let i = 0; i < 12; i++) {
      const en = enabledThreads(a);
      if (!en.length) break;
      stepOnce(a, en[i % en.length]!);
      stepOnce(b, en[i % en.length]!);
    }
    expect(b.k.st.hashing).toBe(false);
    // (b's last records go into cells at its first fingerprint)
    expect(fp(b)).toBe(fp(a));
    expect(machineView(b)).toEqual(machineView(a));
    // and a run without history, whose last records are in its history until asked for
    const c = new MachineClass(sc, kernel('v6.12'), { trace: false, history: false });
    c.runSetup();
    for (const t of b.taken) stepOnce(c, c.threads.findIndex((x) => x.name === t));
    expect(machineView(c)).toEqual(machineView(a));
  });

  it('a run without history gives back the values its cells no longer hold', () => {
    // 4,096 pages, 3 operation records and 2 messages per page (bench/run-memory.ts)
    const sc = loadScenario('touch.yaml', touchEachPage('16M'));
    const n0 = internedCount();
    const m = new MachineClass(sc, kernel('v6.18'), { trace: false, history: false });
    m.runSetup();
    m.runDefault();
    expect(m.step).toBeGreaterThan(20000);
    // what the cells hold at the end, not a value per step
    expect(internedCount() - n0).toBeLessThan(64);
  });
});

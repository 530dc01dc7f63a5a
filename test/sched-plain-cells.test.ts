// A plain run (a store that neither hashes nor records) writes a thread's memory-operation numbers
// (operands, progress, the fault count at the current byte) straight into its leaf, and only when the
// operation outlives its step (exec.ts memoryOp); a watched store gets them through the accessors as they
// change. Both must leave the same cells after every step: for every scenario of the corpus with threads,
// on its kernel, a plain machine and one whose store hashes from the start take the default schedule
// step by step, and the scenario machine's cells (the threads' blocks, variables, results) and the
// kernel's fingerprint agree after each step.
import { describe, expect, it } from 'vitest';
import { scenarioFiles } from './helpers.js';
import { loadScenario } from '../src/scenario/load.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { Machine } from '../src/sched/machine.js';
import { StateHasher } from '../src/state/hasher.js';
import { internHash } from '../src/state/intern.js';

const corpus = scenarioFiles();

/** the machine segment's cells (a cell holding an interned value by the value's hash: a plain run takes fresh ids) */
function machineCells(m: Machine): number[] {
  const out: number[] = [];
  for (let i = 0; i < m.layout.size; i++) {
    const v = m.segs.C.peek(i);
    out.push(v !== 0 && m.layout.isValue[i] === 1 ? internHash(v) : v);
  }
  return out;
}

/** one step of the default schedule (Machine.runDefault's choice), false when no thread can run */
function step(m: Machine): boolean {
  const t = m.threads.find((x) => m.runnable(x));
  if (!t) return false;
  m.stepThread(t);
  m.adoptThreads();
  return true;
}

function attempt(f: () => boolean): boolean | string {
  try {
    return f();
  } catch (e) {
    return `threw ${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe('a plain run leaves the cells a watched run leaves, after every step', () => {
  it('covers the corpus', () => expect(corpus.length).toBeGreaterThan(100));
  for (const file of corpus) {
    const sc = loadScenario(file);
    if (!sc.kernel || sc.threads.length === 0) continue;
    it(file, () => {
      const spec = resolveKernel(sc.kernel!, [], sc.config);
      const plain = new Machine(sc, spec, { trace: false, history: false });
      const watched = new Machine(sc, spec, { trace: false });
      const setup = [attempt(() => (plain.runSetup(), true)), attempt(() => (watched.runSetup(), true))];
      expect(setup[0]).toEqual(setup[1]);
      if (setup[0] !== true) return;
      // the watched store hashes from here on: every thread step goes through the accessors
      watched.fingerprint(new StateHasher());
      expect(watched.k.st.hashing).toBe(true);
      // the plain run's last records into cells from here on, as the watched one's are (not a watch)
      plain.lastRecordAt(0);
      for (let n = 0; n < 2000; n++) {
        const a = attempt(() => step(plain)), b = attempt(() => step(watched));
        expect(a).toEqual(b);
        expect(plain.k.st.hashing).toBe(false);
        expect(machineCells(plain), `after step ${n + 1}`).toEqual(machineCells(watched));
        if (a !== true) break;
      }
      const h1 = new StateHasher(), h2 = new StateHasher();
      plain.k.st.startHashing();
      plain.k.fingerprint(h1);
      watched.k.fingerprint(h2);
      expect([h1.controlHi(), h1.controlLo()]).toEqual([h2.controlHi(), h2.controlLo()]);
    });
  }
});

// Sleep sets must not lose anything: the same final states, deadlocks and cycles with and without.
import { describe, expect, it } from 'vitest';
import { search } from '../../src/explore/search.js';
import { StateHasher } from '../../src/explore/hash.js';
import { readSet, writeSet, dependent } from '../../src/explore/footprint.js';
import { stepOnce } from '../../src/explore/search.js';
import type { Machine } from '../../src/sched/machine.js';
import { afterSetup, scenario, INDEPENDENT, LIVE, UNPROTECT_FIRST } from './helpers.js';

function finals(sc: ReturnType<typeof scenario>, k: string, reduction: boolean) {
  const h = new StateHasher();
  const key = (m: Machine, control = false) => {
    h.reset();
    m.fingerprint(h);
    return control ? `${h.controlHi()}:${h.controlLo()}` : `${h.fullHi()}:${h.fullLo()}`;
  };
  const terminal = new Set<string>(), cycles = new Set<string>();
  const r = search(afterSetup(sc, k), { reduction, onTerminal: (m) => terminal.add(key(m)), onCycle: (c) => cycles.add(key(c.machine, true)) });
  return { terminal, cycles, stats: r.stats };
}

describe('sleep sets keep every final state', () => {
  const cases: [string, string][] = [
    [LIVE, 'v6.12'], [LIVE, 'v4.19-uffd-wp-2018'], [LIVE, 'v4.19-uffd-wp-2018+fault-retry-unlimited'],
    [UNPROTECT_FIRST, 'v6.12'], [INDEPENDENT, 'v6.12'],
  ];
  for (const [file, k] of cases) {
    it(`${file.split('/').pop()} on ${k}`, () => {
      const sc = scenario(file);
      const off = finals(sc, k, false), on = finals(sc, k, true);
      expect([...on.terminal].sort()).toEqual([...off.terminal].sort());
      expect([...on.cycles].sort()).toEqual([...off.cycles].sort());
      expect(on.stats.distinct).toBe(off.stats.distinct);
      expect(on.stats.transitions).toBeLessThanOrEqual(off.stats.transitions);
    });
  }
  it('saves transitions on live-snapshot v6.12 (vCPU stores to different pages commute)', () => {
    const sc = scenario(LIVE);
    expect(finals(sc, 'v6.12', true).stats.transitions).toBeLessThan(finals(sc, 'v6.12', false).stats.transitions);
  });
});

describe('footprints', () => {
  it('stores to different pages are independent; to the same page, dependent', () => {
    const m = afterSetup(scenario(INDEPENDENT), 'v6.12');
    const fpOf = (t: number) => {
      const f = readSet(m, t);
      const c = m.clone();
      stepOnce(c, t);
      writeSet(m, c, f);
      return f;
    };
    const left = fpOf(0), right = fpOf(1);
    expect(dependent(left, right)).toBe(false);
    expect(dependent(left, left)).toBe(true);
  });

  it('a fault that queues a uffd message depends on the handler reading the queue', () => {
    const m = afterSetup(scenario(LIVE), 'v6.12');
    stepOnce(m, 0); // vcpu0 faults: its message is pending
    const fpOf = (t: number) => {
      const f = readSet(m, t);
      const c = m.clone();
      stepOnce(c, t);
      writeSet(m, c, f);
      return f;
    };
    expect(dependent(fpOf(1), fpOf(2))).toBe(true); // vcpu1 faults into the same uffd; handler reads it
  });

  it('operations that reshape the address space are global', () => {
    const sc = scenario(INDEPENDENT);
    const m = afterSetup(sc, 'v6.12');
    // pretend the left thread's next op were an mprotect
    const t = m.threads[0]!;
    const saved = t.ops;
    t.ops = [{ id: 'x', line: 1, op: 'mprotect', addr: { k: 'num', v: '0' }, len: { k: 'num', v: '4096' }, prot: 1 }];
    expect(readSet(m, 0).global).toBe(true);
    t.ops = saved;
  });
});

// Sleep sets must not lose anything: the same final states, deadlocks and cycles with and without.
import { describe, expect, it } from 'vitest';
import { search } from '../../src/explore/search.js';
import { StateHasher } from '../../src/explore/hash.js';
import { readSet, writeSet, dependent, RES } from '../../src/explore/footprint.js';
import { stepOnce, enabledThreads } from '../../src/explore/search.js';
import type { Machine } from '../../src/sched/machine.js';
import { afterSetup, scenario, INDEPENDENT, LIVE, UNPROTECT_FIRST } from './helpers.js';

const fpHasher = new StateHasher();
function fpKey(m: Machine): string {
  fpHasher.reset();
  m.fingerprint(fpHasher);
  return `${fpHasher.fullHi()}:${fpHasher.fullLo()}`;
}
const threadIndex = (m: Machine, name: string) => m.threads.findIndex((t) => t.name === name);

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

  it('uffd queues: appends commute with taking the head of a non-empty queue and with waking other pages', () => {
    const m = afterSetup(scenario(LIVE), 'v6.12');
    const vcpu0 = threadIndex(m, 'vcpu0'), vcpu1 = threadIndex(m, 'vcpu1'), handler = threadIndex(m, 'handler');
    const fpOf = (x: Machine, t: number) => {
      const f = readSet(x, t);
      const c = x.clone();
      stepOnce(c, t);
      writeSet(x, c, f);
      return f;
    };
    const commute = (x: Machine, a: number, b: number) => {
      const p = x.clone(), q = x.clone();
      stepOnce(p, a);
      stepOnce(p, b);
      stepOnce(q, b);
      stepOnce(q, a);
      return fpKey(p) === fpKey(q);
    };
    // empty queue: the handler's read blocks unless the fault comes first
    expect(dependent(fpOf(m, vcpu0), fpOf(m, handler))).toBe(true);
    expect(commute(m, vcpu0, handler)).toBe(false);
    // two faults append in their order
    expect(dependent(fpOf(m, vcpu0), fpOf(m, vcpu1))).toBe(true);
    stepOnce(m, vcpu0); // vcpu0's message is pending
    // the handler takes vcpu0's message whether or not vcpu1 appends its own first
    expect(dependent(fpOf(m, vcpu1), fpOf(m, handler))).toBe(false);
    expect(commute(m, vcpu1, handler)).toBe(true);
    stepOnce(m, handler); // read_uffd: vcpu0's message
    stepOnce(m, handler); // read: the saved copy
    // the first un-protect splits the THP: every later walk sees it
    expect(dependent(fpOf(m, vcpu1), fpOf(m, handler))).toBe(true);
    stepOnce(m, handler); // un-protect (split) and wake vcpu0
    stepOnce(m, vcpu0); // vcpu0's first store completes
    stepOnce(m, vcpu1); // vcpu1 faults on its page
    stepOnce(m, handler); // read_uffd: vcpu1's message
    stepOnce(m, handler); // read: the saved copy
    // un-protecting (and waking) vcpu1's page and vcpu0's fault on another page commute
    expect(dependent(fpOf(m, vcpu0), fpOf(m, handler))).toBe(false);
    expect(commute(m, vcpu0, handler)).toBe(true);
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

describe('write sets', () => {
  it('page-table entries: what the tracked writes give equals a comparison of every entry', () => {
    const ENTRY = RES.entry * 2 ** 44;
    for (const k of ['v6.12', 'v4.19-uffd-wp-2018']) {
      const root = afterSetup(scenario(LIVE), k);
      let seed = 7;
      const rnd = (n: number) => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return (seed >>> 8) % n;
      };
      for (let walk = 0; walk < 15; walk++) {
        let m = root.clone();
        for (let depth = 0; depth < 30; depth++) {
          const en = enabledThreads(m);
          if (en.length === 0) break;
          for (const t of en) {
            const f = readSet(m, t);
            const c = m.clone();
            stepOnce(c, t);
            writeSet(m, c, f);
            const want: number[] = [];
            for (let i = 0; i < c.k.mms.length; i++) {
              for (const tb of c.k.mms[i]!.tables.values()) {
                const pfn = tb.pfn;
                const ta = m.k.mms[i]?.tables.get(pfn);
                if (!ta || ta.level !== tb.level) continue;
                for (let j = 0; j < 512; j++) if (ta.lo(j) !== tb.lo(j) || ta.hi(j) !== tb.hi(j)) want.push(ENTRY + pfn * 512 + j);
              }
            }
            expect(f.w.filter((x) => Math.floor(x / 2 ** 44) === RES.entry)).toEqual(want.sort((a, b) => a - b));
          }
          const c = m.clone();
          stepOnce(c, en[rnd(en.length)]!);
          m = c;
        }
      }
    }
  });
});

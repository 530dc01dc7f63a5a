// Step reuse in the explorer (explore/step.ts): with --verify-reuse every step replayed from the cache
// is also run, and the two states compared cell by cell; a search with reuse finds the same states,
// verdicts, outcomes and counterexamples as one without it, on every scenario of scenarios/check
// (the small ones: the 5- and 6-vCPU ones are the bench's) and on kernels before and after the fixes.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkScenario, type CheckResult } from '../../src/explore/check.js';
import { formatCheck } from '../../src/explore/report.js';
import { scenario, kernel, ROOT } from './helpers.js';

const FILES = readdirSync(join(ROOT, 'scenarios/check')).filter((f) => f.endsWith('.yaml') && !/-(5|6)vcpu\.yaml$/.test(f));
const KERNELS = ['v4.19-uffd-wp-2018', 'v4.19-uffd-wp-2018+fault-retry-unlimited', 'v6.1', 'v6.18'];
/** scenarios the older kernels refuse as not modelled (khugepaged on shmem is modelled on v6.18 only) */
const ONLY: Record<string, string[]> = { 'khugepaged-shmem-punch.yaml': ['v6.18'] };

/** what a user is shown, without the figures that vary from run to run */
function shown(r: CheckResult): string {
  return formatCheck(r, { traces: true, stats: false }).filter((l) => !/^Time |^Run: /.test(l)).join('\n');
}

describe('step reuse', () => {
  it('has scenarios to check', () => expect(FILES.length).toBeGreaterThanOrEqual(4));
  for (const f of FILES) {
    for (const k of ONLY[f] ?? KERNELS) {
      it(`${f} on ${k}: verified replays, and the same states and output as without reuse`, () => {
        const sc = scenario(`scenarios/check/${f}`);
        const off = checkScenario(sc, kernel(k), { reuse: 'off', maxStates: 60_000 });
        const verify = checkScenario(sc, kernel(k), { reuse: 'verify', maxStates: 60_000 });
        const on = checkScenario(sc, kernel(k), { reuse: 'on', maxStates: 60_000 });
        // (a search cut short by the budget covers a part of the graph that depends on the order and on
        // the footprints, which reuse makes exact: compared only when complete)
        if (off.complete) {
          for (const r of [verify, on]) {
            expect(r.complete).toBe(true);
            expect(r.stats.distinct).toBe(off.stats.distinct);
            expect(shown(r)).toBe(shown(off));
          }
        }
        const u = (on.stats as { reuse?: { hits: number; misses: number } }).reuse!;
        expect(u.hits + u.misses).toBe(on.stats.transitions);
        const v = (verify.stats as { reuse?: { hits: number } }).reuse!;
        // replays happened, so the verification compared something
        if (off.stats.transitions > 50) expect(v.hits).toBeGreaterThan(0);
      });
    }
  }
});

// A sysfs or sysctl knob that a release does not have (CONFIG_KNOBS[key].since): an override that changes
// it there is refused, by the command line and at the scenario's config key; the profile's value stands
// for what that kernel does. And shmem keeps small pages before 800d8c63b2e9 (v4.8), whatever asks.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { loadScenario, scenarioKernel, ScenarioError } from '../src/scenario/load.js';
import { MissingKnobError, resolveKernel } from '../src/profiles/profiles.js';
import { PATCH } from '../src/profiles/patches.js';
import { runScenario } from '../src/run.js';
import type { KernelSpec } from '../src/kernel/kernel.js';

const SHMEM_THP = `name: shmem-thp
config:
  shmem_enabled: always
setup:
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 2M }
  - mmap: { as: m, len: 2M, align: 2M, fd: f, flags: [shared] }
  - write: { addr: m, value: 1 }
observe:
  pages: [m]
`;

/** is the page of m mapped by a huge PMD at the end of the run? */
function hugeOn(spec: KernelSpec): boolean {
  const r = runScenario(loadScenario('t.yaml', SHMEM_THP), spec, { trace: false });
  const p = r.observation.snapshots.final!.pages.m!;
  return p.pte === null && p.pmd !== null;
}

describe('knobs a kernel does not have', () => {
  it('shmem_enabled: refused on v4.7 at the scenario key, taken on v4.8 (a PMD-mapped shmem THP)', () => {
    const sc = loadScenario('t.yaml', SHMEM_THP);
    let e: unknown;
    try { scenarioKernel(sc, 'v4.7'); } catch (x) { e = x; }
    expect(e).toBeInstanceOf(ScenarioError);
    const se = e as ScenarioError;
    expect([se.line, se.col, se.field]).toEqual([3, 3, 'config.shmem_enabled']);
    expect(se.detail).toMatch(/kernel 'v4\.7' has no \/sys\/kernel\/mm\/transparent_hugepage\/shmem_enabled \(it came with 800d8c63b2e9 "shmem: add huge pages support", v4\.8\)/);
    expect(hugeOn(scenarioKernel(sc, 'v4.8'))).toBe(true);
  });
  it('the profile own value is accepted where the knob is missing (what the kernel does without it)', () => {
    expect(resolveKernel('v4.7', [], ['shmem_enabled=never']).config.shmem_enabled).toBe('never');
    expect(resolveKernel('v5.7', [], ['max_ptes_shared=256']).config.max_ptes_shared).toBe(256);
    expect(resolveKernel('v4.19', [], ['unprivileged_userfaultfd=y']).config.unprivileged_userfaultfd).toBe(true);
  });
  it('a change of a missing knob from the command line names the knob, the commit and the release', () => {
    expect(() => resolveKernel('v5.7', [], ['max_ptes_shared=3'])).toThrow(MissingKnobError);
    expect(() => resolveKernel('v5.7', [], ['max_ptes_shared=3'])).toThrow(/71a2c112a0f6 .*v5\.8\); without it the kernel behaves as max_ptes_shared=256/);
    expect(() => resolveKernel('v4.19', [], ['unprivileged_userfaultfd=n'])).toThrow(/has no \/proc\/sys\/vm\/unprivileged_userfaultfd .*cefdca0a86be/);
    expect(resolveKernel('v5.8', [], ['max_ptes_shared=3']).config.max_ptes_shared).toBe(3);
    // the command line's value replaces the scenario's: the error is the command line's (no file position)
    const sc = loadScenario('t.yaml', SHMEM_THP);
    expect(() => scenarioKernel(sc, 'v4.7', [], ['shmem_enabled=advise'])).toThrow(/^config shmem_enabled=advise: kernel 'v4\.7'/);
    expect(scenarioKernel(sc, 'v4.7', [], ['shmem_enabled=never']).config.shmem_enabled).toBe('never');
  });
  it('without the row the kernel keeps shmem pages small even with shmem_enabled=always (what bisect runs)', () => {
    const with48 = resolveKernel('v4.8', [], ['shmem_enabled=always']);
    const without = { ...with48, patches: new Set([...with48.patches].filter((p) => p !== PATCH.shmemHuge)) };
    expect(hugeOn(with48)).toBe(true);
    expect(hugeOn(without)).toBe(false);
  });
  it('the CLI: exit 2, one line, at the scenario key', () => {
    const r = spawnSync(process.execPath, ['bin/mmsim.js', 'run', 'scenarios/differential/shmem-thp-pmd.yaml', '-k', 'v4.7', '-q'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/shmem-thp-pmd\.yaml:\d+:\d+: config\.shmem_enabled: config shmem_enabled=\w+: kernel 'v4\.7' has no/);
  });
});

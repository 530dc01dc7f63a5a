// The bug corpus (../shared/reference/bug-corpus.md) as scenarios: each one passes its expectations
// with and without the patch that fixed it, the fixed kernel's expectations fail on the buggy kernel's
// outcome (the model reproduces the bug and its fix), the bug is shown on its `before` kernel and absent on
// its `after` kernel, and `mmsim bisect` between those two names the bug's own fix commit.
import { expectationPasses } from '../src/scenario/outcome.js';
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { evalExpectations } from '../src/scenario/outcome.js';
import { PROFILES, resolveKernel } from '../src/profiles/profiles.js';
import { patchById } from '../src/profiles/patches.js';
import { bisectScenario } from '../src/cli/bisect.js';
import { bugVerdict, bugFiles, bugRow, formatBugs } from '../src/cli/bugs.js';
import { kernel, P } from './helpers.js';

const DIR = 'scenarios/bugs';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
const isProfile = (k: string | null) => k !== null && PROFILES.some((p) => p.name === k);

describe('bug corpus', () => {
  it('has scenarios', () => expect(files.length).toBeGreaterThanOrEqual(11));
  for (const f of files) {
    const sc = loadScenario(join(DIR, f));
    it(`${f}${sc.bug ? ` (corpus ${sc.bug.corpus}, fixed by ${sc.bug.fixed_by})` : ''}`, () => {
      const fixed = resolveKernel(sc.kernel!, [], sc.config);
      const a = runScenario(sc, fixed);
      expect(a.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
      if (!sc.bug) return;
      const buggy = kernel(sc.kernel!, { remove: [P(sc.bug.fixed_by)] }, sc.config);
      const b = runScenario(sc, buggy);
      expect(b.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
      // what the fixed kernel promises does not hold on the buggy one
      const cross = evalExpectations(sc, fixed, { obs: b.observation, events: b.events });
      expect(cross.some((e) => e.ok === false)).toBe(true);
    });
  }
});

describe('each bug on its two kernels, and bisect between them', () => {
  for (const f of files) {
    const sc = loadScenario(join(DIR, f));
    if (!sc.bug) continue;
    const bug = sc.bug;
    it(`${f}: shown on ${bug.before}, absent on ${bug.after}, bisect names ${bug.fix}`, () => {
      expect(bug.before, 'the scenario names the kernel before the fix').not.toBeNull();
      expect(bug.after, 'the scenario names the kernel after the fix').not.toBeNull();
      expect(bug.fix).toBe(patchById(bug.fixed_by)!.commit);
      const before = resolveKernel(bug.before!, [], sc.config);
      const after = resolveKernel(bug.after!, [], sc.config);
      expect(bugVerdict(sc, before).verdict).toBe('shown');
      expect(bugVerdict(sc, after).verdict).toBe('absent');
      const r = bisectScenario(sc, before, after);
      expect(r.differ).toBe(true);
      expect(r.culprits.map((s) => s.patch?.commit)).toContain(bug.fix);
    });
  }

  it('shows the bugs on real releases where profiles allow: the new ones and the ones moved onto release pairs', () => {
    const real = files.map((f) => loadScenario(join(DIR, f)).bug).filter((b) => b && isProfile(b.before) && isProfile(b.after)).map((b) => b!.fixed_by).sort();
    expect(real).toEqual(['foll-cow', 'fork-early-cow-pinned', 'gup-force-cow-break', 'gup-ro-pin-unshare', 'huge-zero-pmd-fork-copies', 'hugetlb-migration-uffd-wp', 'khugepaged-isolate-uffd-wp', 'madv-dontneed-hugetlb-align-down', 'madv-free-reclaim-extra-refs', 'pagemap-pmd-file', 'pagemap-scan-fast-path-wp-only', 'pagemap-scan-swp-uffd-wp', 'pagemap-scan-wp-vma-check', 'soft-dirty-can-change-fix', 'soft-dirty-hole-before-vma', 'soft-dirty-pte-hole', 'soft-dirty-thp-split', 'soft-dirty-vma-reuse', 'swp-soft-dirty', 'thp-foll-force-cow', 'thp-migration-uffd-wp', 'thp-split-carries-dirty', 'touch-pmd-write-only', 'uffd-wp-fork-child-vma', 'uffd-wp-fork-child-vma', 'uffd-wp-marker-fork-drop', 'uffd-wp-writenotify', 'unuse-pte-keeps-bits', 'vma-merge-case3-pgoff'].concat(
      // corpus 2 and 3 on loongarch64 release profiles (docs/arch.md)
      ['loongarch-mkdirty-needs-write', 'thp-split-dirty-partly-reverted'],
      // userfaultfd MINOR and UFFDIO_CONTINUE: corpus 14 and 30
      ['uffd-register-minor-wp-check', 'foll-force-anon-exclusive'],
      // device: corpus 38 on v6.0 -> v6.1-rc1 (device-coherent memory, move_pages)
      ['follow-page-nonlru-put'],
      // bugs beyond the corpus (docs/fidelity.md), each on the releases around its fix
      ['collapse-hend-clamp', 'collapse-page-count-eagain', 'mprotect-limit-check', 'pagemap-scan-huge-zero-pfnzero', 'uffd-api-einval-unsupported', 'pagemap-scan-vec-buf-null', 'mremap-expand-inside-vma', 'hugetlb-wp-skip-uffd-wp', 'hugetlb-fork-uffd-wp',
        // rows the model had before, guarded by a scenario of their own
        'mremap-clear-uffd-wp', 'uffd-move-soft-dirty'],
      // round two
      ['pagemap-scan-vec-len-overflow', 'uffd-api-ignore-unknown-reverted', 'uffd-vma-merge-pgoff', 'thp-disabled-no-pmd-map',
        'uffd-shmem-private-anon', 'uffd-register-maywrite', 'uffd-shmem-copy-page-dirty'],
      // round three
      ['mincore-hugetlb-pte-markers', 'hugetlb-uffd-wp-prealloc', 'uffd-wp-regardless-of-vm-write'],
      // round four
      ['madv-pageout-private-file-anon', 'madv-free-large-folio-sharers', 'madv-cold-large-folio-sharers', 'madv-cold-estimated-sharers-zero',
        'folio-likely-mapped-shared'],
      // UFFDIO_POISON
      ['hugetlb-change-protection-poison'],
      // round five
      ['uffd-continue-fallocated', 'uffd-unregister-own-ctx', 'zap-swap-entry-with-details', 'khugepaged-referenced-swapin-only', 'hugetlb-continue-file-rmap'],
      // round six
      ['soft-dirty-merge-ignore', 'hugetlb-shared-write-fault', 'swapoff-uffd-wp-compare', 'pagemap-scan-soft-dirty', 'hugetlb-no-soft-dirty-writenotify'],
      // round seven
      ['uffd-mmap-changing-count', 'uffd-api-init-cmpxchg', 'hugetlb-fork-pinned-early-cow', 'uffd-copy-src-range-check', 'uffd-register-vma-iterator'],
      // round eight (madv-cold-exclusive-only is a counterfactual pair: no profile between v5.4 and v5.6)
      ['madv-dontneed-locked', 'mremap-dup-private-einval']).sort());
  });

  it('the counterfactual pairs left: no tagged release had the bug (6, 26), no mainline commit of the fix found (34), no profile before the fix (madv-cold-exclusive-only: v5.4 and v5.5)', () => {
    const cf = files.map((f) => loadScenario(join(DIR, f)).bug).filter((b) => b && !(isProfile(b.before) && isProfile(b.after))).map((b) => b!.corpus === 'beyond' ? b!.fixed_by : b!.corpus).sort();
    expect(cf).toEqual(['26', '34', '6', 'madv-cold-exclusive-only']);
  });
});

describe('mmsim bugs', () => {
  it('README.md shows the table `mmsim bugs --markdown` prints', () => {
    const profiles = PROFILES.map((p) => p.name);
    const table = formatBugs(bugFiles(DIR).map((f) => bugRow(f, profiles)!).filter(Boolean), profiles, true);
    const readme = readFileSync('README.md', 'utf8');
    const m = /<!-- mmsim bugs --markdown -->\n([\s\S]*?)\n<!-- end mmsim bugs -->/.exec(readme);
    expect(m, 'README.md has the generated block').not.toBeNull();
    expect(m![1]).toBe(table);
  });

  it('--json: one entry per bug with its verdict on every profile', () => {
    const r = spawnSync(process.execPath, ['bin/mmsim.js', 'bugs', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; fix: string; verdicts: Record<string, string> }[];
    const fork = rows.find((x) => x.name === 'uffd-wp-fork-child-vma')!;
    expect(fork.fix).toBe('8f34f1eac382');
    expect(fork.verdicts['v5.13']).toBe('shown');
    expect(fork.verdicts['v5.14']).toBe('absent');
    expect(fork.verdicts['v4.19']).toBe('n/a'); // no uffd-wp at all
  });
});

describe('mmsim bisect', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/mmsim.js', ...args], { encoding: 'utf8' });
  const FILE = 'scenarios/bugs/pagemap-scan-wp-unregistered-vma.yaml';

  it('names the row whose commit changed the outcome, with what changed (text and --json)', () => {
    const t = cli(['bisect', FILE, '--good', 'v6.7-rc4', '--bad', 'v6.7']);
    expect(t.status).toBe(0);
    expect(t.stdout).toContain('+pagemap-scan-wp-vma-check  0dff1b407def  v6.7');
    expect(t.stdout).toContain('first: 0dff1b407def (pagemap-scan-wp-vma-check)');
    const j = JSON.parse(cli(['bisect', FILE, '--good', 'v6.7-rc4', '--bad', 'v6.7', '--json']).stdout);
    // v6.7-rc4 -> v6.7: the two PAGEMAP_SCAN fixes and the VMA-lock accounting fix; only one changes this outcome
    expect(j.steps.map((s: { patch: { id: string } }) => s.patch.id).sort()).toEqual(['pagemap-scan-fast-path-wp-only', 'pagemap-scan-wp-vma-check', 'vma-lock-retry-tried']);
    expect(j.commits).toEqual(['0dff1b407def']);
    expect(j.first.commit).toBe('0dff1b407def');
  });

  it('walks backwards too (a newer good kernel), taking rows out newest first, each before what it requires', () => {
    const j = JSON.parse(cli(['bisect', FILE, '--good', 'v6.7', '--bad', 'v6.6', '--json']).stdout);
    const ids = j.steps.map((s: { action: string; patch: { id: string } }) => `${s.action} ${s.patch.id}`);
    expect(ids.every((x: string) => x.startsWith('remove '))).toBe(true);
    // pagemap-scan goes after the two fixes that require it
    expect(ids.indexOf('remove pagemap-scan')).toBeGreaterThan(ids.indexOf('remove pagemap-scan-wp-vma-check'));
    expect(ids.indexOf('remove pagemap-scan')).toBeGreaterThan(ids.indexOf('remove pagemap-scan-fast-path-wp-only'));
    expect(j.commits).toContain('0dff1b407def');
  });

  it('exits 1 when no row between the two kernels changes the outcome; a configuration default that differs is a step of its own', () => {
    const r = cli(['bisect', FILE, '--good', 'v6.12', '--bad', 'v6.18', '--config', 'soft_dirty=n']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('no row changes it');
    // v6.18 is configured like this machine (soft-dirty compiled out): that, not a row, changes the PTE
    const c = cli(['bisect', FILE, '--good', 'v6.12', '--bad', 'v6.18']);
    expect(c.status).toBe(0);
    expect(c.stdout).toContain('first: the configuration (soft_dirty=y -> n)');
  });

  it('bad input is exit 2 with one line: unknown profile (naming the option), missing --bad, a bad scenario', () => {
    const u = cli(['bisect', FILE, '--good', 'v9.9', '--bad', 'v6.7']);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/^mmsim: --good: unknown kernel profile 'v9\.9'/);
    expect(u.stderr.trim().split('\n')).toHaveLength(1);
    const m = cli(['bisect', FILE, '--good', 'v6.7']);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/needs --good and --bad/);
    const s = spawnSync(process.execPath, ['bin/mmsim.js', 'bisect', '-', '--good', 'v6.1', '--bad', 'v6.6'], { encoding: 'utf8', input: 'name: t\nsetup:\n  - mmap: { as: m, len: 4K, prot: 5 }\n' });
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/^mmsim: <stdin>:3:35: setup\.0\.mmap\.prot/);
  });

  it('a bug scenario names its kernels right: an unknown one, or a `before` that already has the fix, is an error with its place', () => {
    const base = readFileSync(FILE, 'utf8');
    const bad1 = base.replace('before: v6.7-rc4', 'before: v6.7');
    expect(() => loadScenario('x.yaml', bad1)).toThrow(/x\.yaml:\d+:\d+: bug\.before: kernel 'v6\.7' already has the fix/);
    const bad2 = base.replace('after: v6.7 }', 'after: v9.9 }');
    expect(() => loadScenario('x.yaml', bad2)).toThrow(/bug\.after: unknown kernel profile 'v9\.9'/);
    const bad3 = base.replace('fix: 0dff1b407def', 'fix: 4980e837cab7');
    expect(() => loadScenario('x.yaml', bad3)).toThrow(/bug\.fix: '4980e837cab7' is not the commit of patch 'pagemap-scan-wp-vma-check'/);
  });
});

// The release profiles older than the model's 4.19 baseline (v3.11 .. v4.15, docs/fidelity.md "The releases
// before 4.19"): what they refuse, where, and how; pagemap's page-shift bits before v4.3 are kernel-wide.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { PROFILES, resolveKernel } from '../src/profiles/profiles.js';
import { Kernel } from '../src/kernel/kernel.js';
import { run } from './helpers.js';

const cli = (args: string[], input: string) => spawnSync(process.execPath, ['bin/mmsim.js', ...args], { encoding: 'utf8', input });
const OLD = PROFILES.filter((p) => p.outOfScope);

describe('old release profiles', () => {
  it('are the ones below v4.19, each in docs/fidelity.md\'s profile table', () => {
    expect(OLD.map((p) => p.name)).toEqual(['v3.11-rc4', 'v3.11', 'v3.12', 'v3.16', 'v3.17', 'v3.18', 'v4.7', 'v4.8', 'v4.9', 'v4.10', 'v4.14', 'v4.15']);
    const doc = readFileSync('docs/fidelity.md', 'utf8');
    for (const p of [...OLD, PROFILES.find((x) => x.name === 'v6.1-rc1')!]) expect(doc, p.name).toContain(`\`${p.name}\``);
  });

  it('refuse an area they leave out at the operation, with the kernel named, exit 2', () => {
    const r = cli(['run', '-', '--kernel', 'v4.8'], 'name: t\nsetup:\n  - mmap: { as: m, len: 4M, align: 2M }\n  - khugepaged: { addr: m }\n');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^mmsim: <stdin>:4:5: setup\.1\.khugepaged: not modelled on v4\.8: khugepaged before 4\.19/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // userfaultfd exists from v4.3 but its 4.3 .. 4.18 form is not modelled; before v4.3 it is ENOSYS, which is
    const u = cli(['run', '-', '--kernel', 'v4.15'], 'name: t\nsetup:\n  - userfaultfd: { as: u }\n');
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/<stdin>:3:5: setup\.0\.userfaultfd: not modelled on v4\.15: userfaultfd of 4\.3 \.\. 4\.18/);
    const e = cli(['run', '-', '--kernel', 'v3.18'], 'name: t\nsetup:\n  - userfaultfd: { as: u, id: uf }\nexpect:\n  - { op: uf, errno: ENOSYS }\n');
    expect(e.status).toBe(0);
  });

  it('refuse shared memory before v4.5 and hugetlb before v4.19; v4.7 .. v4.15 map shmem (oldfile)', () => {
    const shared = 'name: t\nsetup:\n  - mmap: { as: m, len: 4K, flags: [shared, anonymous] }\n  - write: { addr: m }\n';
    const r = cli(['run', '-', '--kernel', 'v3.18'], shared);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/<stdin>:3:5: setup\.0\.mmap: not modelled on v3\.18: shared memory, memfd and files before 4\.5/);
    expect(cli(['run', '-', '--kernel', 'v4.14'], shared).status).toBe(0);
    const h = cli(['run', '-', '--kernel', 'v4.14'], 'name: t\nsetup:\n  - mmap: { as: m, len: 2M, flags: [private, anonymous, hugetlb] }\n');
    expect(h.status).toBe(2);
    expect(h.stderr).toMatch(/<stdin>:3:5: setup\.0\.mmap: not modelled on v4\.14: hugetlb before 4\.19/);
  });

  it('refuse a THP before the v4.5 rework at the faulting operation\'s address', () => {
    const r = cli(['run', '-', '--kernel', 'v3.17'], 'name: t\nsetup:\n  - mmap: { as: m, len: 2M, align: 2M }\n  - write: { addr: m }\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/<stdin>:4:5: setup\.1\.write\.addr: not modelled on v3\.17: a transparent huge page before the THP refcounting rework/);
    // without THP for the range the same write is modelled
    const s = cli(['run', '-', '--kernel', 'v3.17', '--config', 'thp=never'], 'name: t\nsetup:\n  - mmap: { as: m, len: 2M, align: 2M }\n  - write: { addr: m }\n');
    expect(s.status).toBe(0);
  });

  it('pagemap before v4.3: one clear_refs 4 switches every process to the v2 flags, for good', () => {
    // the parent writes 4; the child's entry changes format too (bits 57 and 58 are the page shift 12)
    const yaml = `
name: v2-global
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4K }
  - write: { addr: m }
  - fork: { as: child }
  - checkpoint: boot
  - clear_refs: 4
expect:
  - { process: child, pagemap: m, at: boot, has: [present, uffd_wp], lacks: [soft_dirty] }
  - { process: child, pagemap: m, has: [present, soft_dirty], lacks: [uffd_wp, mmap_exclusive] }
  - { pagemap: m, has: [present], lacks: [soft_dirty, uffd_wp] }
`;
    const r = run(yaml, resolveKernel('v3.18'));
    expect(r.expectations.map((e) => e.ok)).toEqual([true, true, true]);
    // from v4.3 the flags are there from boot: the same scenario's first expectation fails
    const modern = run(yaml, resolveKernel('v4.7'));
    expect(modern.expectations.map((e) => e.ok)).toEqual([false, true, true]);
  });

  it('the kernel-wide flag is state: a clone keeps it, a new kernel has it clear', () => {
    const k = new Kernel(resolveKernel('v3.18'));
    expect(k.softDirtyCleared).toBe(false);
    k.softDirtyCleared = true;
    expect(k.clone().softDirtyCleared).toBe(true);
    expect(new Kernel(resolveKernel('v3.18')).softDirtyCleared).toBe(false);
  });

  it('mmsim kernels says what each old profile leaves out', () => {
    const r = spawnSync(process.execPath, ['bin/mmsim.js', 'kernels'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/v4\.8 [\s\S]*?not modelled on it: userfaultfd, mremap, khugepaged, migrate, gup-pin, hugetlb/);
    expect(r.stdout).toMatch(/v3\.18 [\s\S]*?not modelled on it: mremap, khugepaged, migrate, gup-pin, shmem, hugetlb, swap/);
    expect(r.stdout).toMatch(/v3\.11 [\s\S]*?not modelled on it: mremap, khugepaged, migrate, gup-pin, shmem, hugetlb, shmem-collapse \(/);
    // a path read at v6.18 only (scopeOf): every older profile lists it, v6.18 lists nothing
    const lines = r.stdout.split('\n');
    const gapsOf = (name: string) => {
      const i = lines.findIndex((l) => l.startsWith(`  ${name} `));
      expect(i, name).toBeGreaterThanOrEqual(0);
      const next = lines.slice(i + 1).findIndex((l) => /^  \S/.test(l));
      return lines.slice(i + 1, next < 0 ? undefined : i + 1 + next).find((l) => l.includes('not modelled on it:')) ?? '';
    };
    expect(gapsOf('v6.12')).toMatch(/not modelled on it: shmem-collapse \(/);
    expect(gapsOf('v4.19')).toMatch(/not modelled on it: shmem-collapse \(/);
    expect(gapsOf('v6.18')).toBe('');
    expect(gapsOf('v6.18-arm64')).toBe('');
  });
});

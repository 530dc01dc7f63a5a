// An operation the model does not carry out says so: `mmsim run` exits 2 with "not modelled" at the
// operation's file:line:column, never a kernel errno or a silent no-op (issue 7, findings 5, 6 and 8).
import { describe, expect, it, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, ScenarioError } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { MAP_ANONYMOUS, MAP_POPULATE, MAP_PRIVATE } from '../src/kernel/include/uapi.js';
import { errno, kernel, run } from './helpers.js';

const ADVISE = (advice: string) => `name: t
observe: { pages: [ram] }
setup:
  - mmap: { as: ram, len: 64K }
  - write: { addr: ram }
  - madvise: { addr: ram, len: 8K, advice: ${advice}, id: op }
`;

/** a PMD-mapped shmem THP of a memfd (shmem_enabled=advise, MADV_HUGEPAGE), then the advice on part or all of it
 * (MADV_COLLAPSE of shmem is modelled on v6.18 only: a declared limit on the releases before) */
const SHMEM_THP = (advice: string, len = '2M') => `name: t
config: { shmem_enabled: advise }
setup:
  - memfd_create: { as: fd }
  - ftruncate: { fd: fd, len: 2M }
  - mmap: { as: ram, len: 2M, fd: fd, align: 2M }
  - madvise: { addr: ram, len: 2M, advice: hugepage }
  - write: { addr: ram, value: 1 }
  - madvise: { addr: ram, len: ${len}, advice: ${advice}, id: op }
`;

/** the ScenarioError a run of the compiled scenario ends with */
function runError(sc: ReturnType<typeof loadScenario>, profile = 'v6.18', config: string[] = []): ScenarioError {
  try {
    runScenario(sc, kernel(profile, {}, config));
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('the run ended without an error');
}

describe('madvise advice the model does not carry out', () => {
  for (const [advice, name] of [['pageout', 'MADV_PAGEOUT'], ['cold', 'MADV_COLD']] as const) {
    // both are modelled on private anonymous memory (MADV_PAGEOUT: test/swap.test.ts; MADV_COLD:
    // scenarios/differential/madv-cold-deactivates.yaml) and on shmem, small pages and THPs (test/shmem-reclaim.test.ts,
    // scenarios/differential/shmem-pageout-*.yaml, shmem-thp-*.yaml, shmem-cold-deactivates.yaml): no refusal
    it(`${advice} of shmem pages and of a shmem THP is modelled`, () => {
      expect(() => run(ADVISE(advice).replace('len: 64K }', 'len: 64K, flags: [shared, anonymous] }'), kernel('v6.18'))).not.toThrow();
      for (const len of ['2M', '4K']) {
        const r = runScenario(loadScenario('adv.yaml', SHMEM_THP(advice, len)), kernel('v6.18', {}, ['shmem_enabled=advise']));
        expect(r.observation.ops['op']?.errno ?? null, len).toBeNull();
      }
    });
    it(`${advice} is EINVAL where the kernel does not know it (v4.19), and ENOMEM on no mapping`, () => {
      expect(errno(run(ADVISE(advice), kernel('v4.19')), 'op')).toBe('EINVAL');
      const sc = ADVISE(advice).replace('addr: ram, len: 8K', 'addr: ram + 1M, len: 8K');
      expect(errno(run(sc, kernel('v6.18')), 'op')).toBe('ENOMEM');
      expect(errno(run(ADVISE(advice).replace('addr: ram,', 'addr: ram + 1,'), kernel('v6.18')), 'op')).toBe('EINVAL');
    });
  }
  it('advice the model carries out is not refused', () => {
    for (const a of ['normal', 'random', 'sequential', 'willneed', 'dontneed', 'free', 'remove', 'dontfork', 'dofork',
      'mergeable', 'unmergeable', 'hugepage', 'nohugepage', 'dontdump', 'dodump', 'wipeonfork', 'keeponfork',
      'populate_read', 'populate_write', 'collapse', 'cold']) {
      expect(() => run(ADVISE(a), kernel('v6.18')), a).not.toThrow();
    }
  });
});

describe('mmap flags the model cannot honour', () => {
  const MMAP = (flags: string) => `name: t\nsetup:\n  - mmap: { as: ram, len: 64K, flags: [${flags}] }\n`;
  it('a mapping that is neither anonymous nor of a file is an error at its flags', () => {
    let e: unknown;
    try {
      loadScenario('m.yaml', MMAP('shared'));
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(ScenarioError);
    const s = e as ScenarioError;
    expect([s.line, s.field]).toEqual([3, 'setup.0.mmap.flags']);
    expect(s.detail).toMatch(/needs a file: fd/);
  });
  it('MAP_POPULATE too (the model does not prefault a new mapping)', () => {
    expect(() => loadScenario('m.yaml', MMAP('private, anonymous, populate'))).toThrow(/m\.yaml:3:\d+: setup\.0\.mmap\.flags: not modelled: MAP_POPULATE/);
  });
  // an operation built without the loader (a fuzzer's) reaches the model itself: no EINVAL
  it('MAP_SHARED|MAP_ANONYMOUS is shmem, which the model maps (shmem_zero_setup)', () => {
    expect(() => run(MMAP('shared, anonymous') + '  - write: { addr: ram, value: 1 }\n', kernel('v6.18'))).not.toThrow();
  });
  for (const [name, flags] of [['MAP_POPULATE', MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE]] as const) {
    it(`the model refuses ${name} itself, at the operation`, () => {
      const sc = loadScenario('m.yaml', MMAP('private, anonymous'));
      const op = sc.setup[0]!;
      if (op.op !== 'mmap') throw new Error('not an mmap');
      op.flags = flags;
      const e = runError(sc);
      expect([e.line, e.col, e.field]).toEqual([3, 5, 'setup.0.mmap.flags']);
      expect(e.detail).toMatch(new RegExp(`^not modelled: ${name} `));
    });
  }
});

describe('the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmsim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/mmsim.js', ...args], { encoding: 'utf8' });
  it('mmsim run exits 2 with one line naming the file, line, column and field', () => {
    const f = join(dir, 'collapse.yaml');
    writeFileSync(f, SHMEM_THP('collapse'));
    const r = cli(['run', f, '--kernel', 'v6.12']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^mmsim: ${f.replace(/[.]/g, '\\.')}:9:5: setup\\.5\\.madvise\\.advice: not modelled on v6\\.12[^:]*: MADV_COLLAPSE of shmem `));
  });
  it('the reclaim device on a shmem THP is modelled (split, then swapped out page by page)', () => {
    const f = join(dir, 'reclaim.yaml');
    writeFileSync(f, SHMEM_THP('pageout').replace(/  - madvise: \{ addr: ram, len: 2M, advice: pageout, id: op \}\n/, '  - swapon: { pages: 64 }\n  - reclaim: { addr: ram, len: 2M }\n'));
    const r = cli(['run', f, '--kernel', 'v6.18']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  it('and for mremap of part of a private hugetlb mapping that owns its reservations (the kernel would leak the rest)', () => {
    const f = join(dir, 'hugetlb-part.yaml');
    writeFileSync(f, 'name: t\nconfig: { nr_hugepages: 2 }\nsetup:\n  - mmap: { as: m, len: 4M, flags: [private, anonymous, hugetlb] }\n' +
      '  - mmap: { as: d, len: 4M, align: 2M, prot: none }\n  - mremap: { addr: m, old_len: 2M, new_len: 2M, flags: [maymove, fixed], new_addr: d }\n');
    const r = cli(['run', f, '--kernel', 'v6.18']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${f}:6:5: setup.2.mremap.old_len: not modelled: mremap of part of a private hugetlb mapping that owns its reservations`);
  });
  it('and for MADV_COLLAPSE of shmem on a release before v6.18 (modelled on v6.18 only)', () => {
    const f = join(dir, 'shmem-collapse.yaml');
    writeFileSync(f, 'name: t\nsetup:\n  - mmap: { as: m, len: 2M, flags: [shared, anonymous], align: 2M }\n  - write: { addr: m }\n' +
      '  - madvise: { addr: m, len: 2M, advice: collapse }\n');
    expect(cli(['run', f, '--kernel', 'v6.18']).status).toBe(0);
    const r = cli(['run', f, '--kernel', 'v6.12']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${f.replace(/[.]/g, '\\.')}:5:5: setup\\.2\\.madvise\\.advice: not modelled on v6\\.12[^:]*: MADV_COLLAPSE of shmem before v6\\.18`));
  });
  it('and for khugepaged on shmem on a release before v6.18, at the operation\'s addr', () => {
    const f = join(dir, 'shmem-khugepaged.yaml');
    writeFileSync(f, 'name: t\nconfig: { shmem_enabled: always }\nsetup:\n  - mmap: { as: m, len: 2M, flags: [shared, anonymous], align: 2M }\n  - write: { addr: m }\n' +
      '  - khugepaged: { addr: m, id: k }\n');
    expect(cli(['run', f, '--kernel', 'v6.18']).status).toBe(0);
    const r = cli(['run', f, '--kernel', 'v6.6']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${f.replace(/[.]/g, '\\.')}:6:5: setup\\.2\\.khugepaged\\.addr: not modelled on v6\\.6[^:]*: khugepaged on shmem before v6\\.18`));
  });
});

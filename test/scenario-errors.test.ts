// A bad scenario is reported with file, line, column, field and what was expected; never a stack trace.
import { err } from './helpers.js';
import { describe, expect, it, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../src/scenario/load.js';


const HEAD = 'name: t\nsetup:\n';

describe('scenario errors name the place and the field', () => {
  it('a field of the wrong type', () => {
    const e = err(HEAD + '  - mmap: { as: m, len: 4K, prot: 5 }\n');
    expect([e.line, e.col, e.field]).toEqual([3, 35, 'setup.0.mmap.prot']);
    expect(e.message).toMatch(/^bad\.yaml:3:35: setup\.0\.mmap\.prot: /);
  });
  it('an unknown operation', () => {
    const e = err(HEAD + '  - mmap: { as: m, len: 4K }\n  - mremapp: { addr: m }\n');
    expect([e.line, e.col]).toEqual([4, 5]);
    expect(e.detail).toMatch(/unknown operation 'mremapp'; known: mmap, munmap/);
  });
  it('an unknown field, with the expected form', () => {
    const e = err(HEAD + '  - mmap: { as: m, lenght: 4K }\n');
    expect(e.line).toBe(3);
    expect(e.detail).toMatch(/unknown field 'lenght'.*expected mmap: \{ as, len/);
  });
  it('a shared hugetlb mapping is accepted by the loader (the model keeps its pages in a page cache)', () => {
    expect(() => loadScenario('t.yaml', HEAD + '  - mmap: { as: m, len: 2M, flags: [shared, anonymous, hugetlb] }\n')).not.toThrow();
  });
  it('setuid to root is refused (a process cannot regain it)', () => {
    const e = err(HEAD + '  - setuid: 0\n');
    expect([e.line, e.field]).toEqual([3, 'setup.0.setuid']);
  });
  it('a missing required field', () => {
    const e = err(HEAD + '  - munmap: { addr: 0x10000 }\n');
    expect(e.field).toBe('setup.0.munmap.len');
    expect(e.detail).toMatch(/missing required field/);
  });
  it('an overlapping mapping', () => {
    const e = err(HEAD + '  - mmap: { as: a, addr: 0x7f0000000000, len: 2M }\n  - mmap: { as: b, addr: 0x7f0000100000, len: 2M }\n');
    expect([e.line, e.col, e.field]).toEqual([4, 26, 'setup.1.mmap.addr']);
    expect(e.detail).toMatch(/overlaps 'a'/);
  });
  it('a name that nothing defines', () => {
    const e = err(HEAD + '  - write: { addr: ram + 4K }\n');
    expect(e.field).toBe('setup.0.write.addr');
    expect(e.detail).toMatch(/unknown name 'ram'/);
  });
  it('a bad expression', () => {
    const e = err(HEAD + '  - mmap: { as: m, len: 4K }\n  - write: { addr: m + + }\n');
    expect(e.line).toBe(4);
    expect(e.detail).toMatch(/bad expression/);
  });
  it('a config key in when: that does not exist (it would never match)', () => {
    const e = err(HEAD + '  - mmap: { as: m, len: 4K }\nexpect:\n  - when: { not: { config: { zero_pages: n } } }\n    that: [{ vma_count: 1 }]\n');
    expect([e.line, e.field]).toEqual([5, 'expect.0.when.not.config.zero_pages']);
    expect(e.detail).toMatch(/unknown config key 'zero_pages'; known: .*zero_page/);
  });
  it('YAML syntax', () => {
    const e = err('name: t\nsetup: [\n');
    expect(e.message).toMatch(/^bad\.yaml:\d+:\d+: YAML: /);
  });
  it('an expectation about an unknown thread', () => {
    const e = err(HEAD + '  - mmap: { as: m, len: 4K }\nexpect:\n  - { thread: vcpu, signal: SIGBUS }\n');
    expect(e.line).toBe(5);
    expect(e.detail).toMatch(/unknown thread 'vcpu'/);
  });
});

describe('the CLI exits 2 with one line on bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmsim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/mmsim.js', ...args], { encoding: 'utf8' });
  it('a bad scenario file', () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, HEAD + '  - mmap: { as: m, len: 4K, prot: 5 }\n');
    const r = cli(['run', f, '--kernel', 'v6.18']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${f}:3:35: setup.0.mmap.prot`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it('a limit of the model met by a memory access (32 faults waiting on one uffd queue): the place, exit 2', () => {
    // 32 threads store into one write-protected page and nobody reads the uffd: the 32nd fault would
    // be the 32nd entry of the queue, past what the model keeps
    const threads = Array.from({ length: 32 }, (_, i) => `  t${i}:\n    - write: { addr: ram + ${i * 8}, value: 1 }\n`).join('');
    const f = join(dir, 'limit.yaml');
    writeFileSync(f, 'name: limit\nsetup:\n  - mmap: { as: ram, len: 4K, prot: rw }\n  - write: { addr: ram, value: 7 }\n' +
      '  - userfaultfd: { as: uffd }\n  - uffdio_register: { uffd: uffd, addr: ram, len: 4K, mode: [wp] }\n' +
      '  - uffdio_writeprotect: { uffd: uffd, addr: ram, len: 4K, mode: [wp] }\nthreads:\n' + threads);
    const r = cli(['run', f, '--kernel', 'v6.18', '-q']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/limit\.yaml:\d+:\d+: threads\.t31\.0.*model limit: more than 31 faults waiting on one userfaultfd queue/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    // 31 threads stay within it: every one sleeps in handle_userfault (a deadlock, not an error)
    writeFileSync(f, 'name: limit\nsetup:\n  - mmap: { as: ram, len: 4K, prot: rw }\n  - write: { addr: ram, value: 7 }\n' +
      '  - userfaultfd: { as: uffd }\n  - uffdio_register: { uffd: uffd, addr: ram, len: 4K, mode: [wp] }\n' +
      '  - uffdio_writeprotect: { uffd: uffd, addr: ram, len: 4K, mode: [wp] }\nthreads:\n' + threads.split('  t31:')[0]);
    const ok = cli(['run', f, '--kernel', 'v6.18', '-q']);
    expect(ok.stderr).not.toMatch(/model limit|internal error/);
  });
  it('an unknown profile', () => {
    const r = cli(['run', 'scenarios/seed-thp-split-uffd-wp.yaml', '--kernel', 'v9.99']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown kernel profile 'v9\.99'; known: v3\.11-rc4, v3\.11, v3\.12, .*v4\.19, v4\.19-uffd-wp-2018/);
  });
  it('an unknown patch', () => {
    const r = cli(['run', 'scenarios/seed-thp-split-uffd-wp.yaml', '--patch', '+no-such-patch']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown patch 'no-such-patch'/);
  });
  it('a missing file', () => {
    const r = cli(['run', join(dir, 'nope.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmsim: .*nope\.yaml/);
  });
});

describe('inputs that once crashed mmsim are positioned errors (exit 2)', () => {
  const cases: [string, string, RegExp][] = [
    ['an alias bomb', 'name: t\na: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nsetup: []\n', /^bad\.yaml:3:\d+: YAML: too many aliases/],
    ['an alias to no anchor', HEAD + '  - mmap: { as: m, len: *nope }\n', /^bad\.yaml:3:\d+: YAML: Unresolved alias/],
    ['3,000 nested parentheses', HEAD + '  - mmap: { as: m, len: 4K }\n  - write: { addr: ' + '('.repeat(3000) + 'm' + ')'.repeat(3000) + ' }\n', /setup\.1\.write\.addr: bad expression .*\(6001 characters\)': nested more than 64 deep/],
    ['0x_ as a number', HEAD + '  - mmap: { as: m, len: 4K }\n  - write: { addr: m, value: 0x_ }\n', /setup\.1\.write\.value: bad expression '0x_'/],
    ['a literal past 64 bits', HEAD + '  - mmap: { as: m, len: 4K }\n  - write: { addr: 0x10000000000000000 }\n', /setup\.1\.write\.addr: 18446744073709551616 does not fit in 64 bits/],
    ['an expression literal past 64 bits', HEAD + '  - mmap: { as: m, len: 4K }\n  - write: { addr: m + 0x10000000000000000 }\n', /does not fit in 64 bits/],
    ['observe.pages that is not a list', 'name: t\nobserve:\n  pages: 5\nsetup: []\n', /^bad\.yaml:3:\d+: observe\.pages/],
    ['observe.mappings that is not a list', 'name: t\nobserve:\n  mappings: 5\nsetup: []\n', /^bad\.yaml:3:\d+: observe\.mappings: expected a list/],
  ];
  for (const [what, yaml, re] of cases) {
    it(what, () => {
      const e = err(yaml);
      expect(e.message).toMatch(re);
    });
  }
});

describe('a schedule step the file names that cannot be taken', () => {
  it('is an error of the file at its schedule (exit 2), not an unpositioned one (the file fuzzer found it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmsim-sched-'));
    try {
      const f = join(dir, 'sched.yaml');
      // thread `b` has nothing to do: it has finished before the schedule names it
      writeFileSync(f, HEAD + '  - mmap: { as: m, len: 4K }\nthreads:\n  a:\n    - write: { addr: m }\n  b: []\nschedule: a b\n');
      const r = spawnSync(process.execPath, ['bin/mmsim.js', 'run', f, '-q', '-k', 'v6.18'], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/sched\.yaml:8:11: schedule: schedule step 2: thread 'b' cannot run \(finished\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mmap align', () => {
  it('is a power of two, checked without 32-bit arithmetic', () => {
    expect(err(HEAD + '  - mmap: { as: m, len: 4K, align: 0x200001000 }\n').message).toMatch(/setup\.0\.mmap\.align: align must be a power of two from 4K to 1T, got 0x200001000/);
    expect(err(HEAD + '  - mmap: { as: m, len: 4K, align: 3K }\n').message).toMatch(/align must be a power of two/);
    expect(() => loadScenario('ok.yaml', HEAD + '  - mmap: { as: m, len: 4K, align: 1G }\n')).not.toThrow();
  });
});

describe('expectations name operations by their default ids too', () => {
  it('{ op: setup#1 } and { op: t#2 } are accepted; an id that does not exist is refused at its place', () => {
    const sc = loadScenario('ok.yaml', HEAD + '  - mmap: { as: m, len: 4K }\nthreads:\n  t:\n    - write: { addr: m }\n    - read: { addr: m }\nexpect:\n  - { op: setup#1, errno: none }\n  - { op: t#2, errno: none }\n');
    expect(sc.expect).toHaveLength(2);
    const e = err(HEAD + '  - mmap: { as: m, len: 4K }\nexpect:\n  - { op: setup#9, errno: none }\n');
    expect(e.message).toMatch(/expect\.0\.op: unknown operation id 'setup#9'/);
  });
});

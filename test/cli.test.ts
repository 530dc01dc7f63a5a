// The mmsim command as a newcomer meets it: --version, completion, `-` for standard input, one meaning
// per exit code (0 as expected, 1 not as expected, 2 bad input, 3 incomplete, 4 a bug of mmsim).
import { describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { internalError } from '../src/cli/main.js';
import { parseDuration } from '../src/cli/host.js';
import { CHECK_NODE_FLAGS, missingNodeFlags, nodeFlagsFor } from '../src/cli/node-flags.js';

const cli = (args: string[], input?: string) => spawnSync(process.execPath, ['bin/mmsim.js', ...args], { encoding: 'utf8', input });
const SEED = 'scenarios/seed-thp-split-uffd-wp.yaml';

describe('the mmsim command', () => {
  it('--version prints the package version', () => {
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('`check` runs in a node started again with its options (a small young generation); output, exit codes and standard input as without', () => {
    expect(nodeFlagsFor('check')).toEqual(CHECK_NODE_FLAGS);
    expect(CHECK_NODE_FLAGS).toContain('--max-semi-space-size=1');
    for (const c of ['run', 'kernels', undefined]) expect(nodeFlagsFor(c)).toEqual([]);
    expect(missingNodeFlags(CHECK_NODE_FLAGS, [...CHECK_NODE_FLAGS])).toEqual([]);
    expect(missingNodeFlags(CHECK_NODE_FLAGS, ['--expose-gc', CHECK_NODE_FLAGS[0]!])).toEqual(CHECK_NODE_FLAGS.slice(1));
    const args = ['check', 'scenarios/check/live-snapshot.yaml', '-k', 'v4.19-uffd-wp-2018', '--json'];
    const again = cli(args);
    const here = spawnSync(process.execPath, ['bin/mmsim.js', ...args], { encoding: 'utf8', env: { ...process.env, MMSIM_NODE_FLAGS: 'off' } });
    expect(again.status).toBe(0);
    expect(here.status).toBe(0);
    // what depends on the run (time, rate) aside
    const strip = (s: string) => (JSON.parse(s) as { run?: unknown }[]).map((j) => ({ ...j, run: undefined }));
    expect(strip(again.stdout)).toEqual(strip(here.stdout));
    // the command really runs in a node with them (and only check does)
    const shown = (cmd: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['bin/mmsim.js', ...cmd], { encoding: 'utf8', env: { ...process.env, MMSIM_SHOW_NODE_FLAGS: '1', ...env } }).stderr;
    for (const f of CHECK_NODE_FLAGS) expect(shown(args)).toContain(f);
    expect(shown(args, { MMSIM_NODE_FLAGS: 'off' })).not.toContain(CHECK_NODE_FLAGS[0]!);
    expect(shown(['kernels'])).toMatch(/^mmsim: node options: \(none\)$/m);
    const bad = cli(['check', '-'], 'name: t\nsetup:\n  - mmap: { as: m, len: 4K, prot: 5 }\n');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^mmsim: <stdin>:3:35: setup\.0\.mmap\.prot/);
  });

  it('`check` runs in a process with little address space (RLIMIT_AS 2.5 GB): its growable tables reserve in proportion to use', () => {
    const r = spawnSync('bash', ['-c', 'ulimit -v 2500000 && exec node bin/mmsim.js check scenarios/check/live-snapshot-4vcpu.yaml -k v6.18 --workers 1'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/34,726 distinct states/);
  });

  it('`-` reads the scenario from standard input, and errors name it <stdin>', () => {
    const r = cli(['run', '-', '-k', 'v4.19-uffd-wp-2018', '--format', 'klog'], readFileSync(SEED, 'utf8'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('FAULT_FLAG_ALLOW_RETRY missing 71');
    const bad = cli(['run', '-', '-k', 'v6.18'], 'name: t\nsetup:\n  - mmap: { as: m, len: 4K, prot: 5 }\n');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^mmsim: <stdin>:3:35: setup\.0\.mmap\.prot/);
  });

  it('a directory or a missing file is bad input (exit 2, one line, no stack)', () => {
    for (const arg of ['scenarios', 'scenarios/no-such.yaml']) {
      const r = cli(['run', arg]);
      expect(r.status, arg).toBe(2);
      expect(r.stderr.trim().split('\n'), arg).toHaveLength(1);
      expect(r.stderr, arg).not.toMatch(/\n\s+at /);
    }
    expect(cli(['run', 'scenarios']).stderr).toMatch(/is a directory/);
  });

  it('an expectation that does not hold exits 1; one that cannot be evaluated fails too, never passes', () => {
    const ok = 'name: t\nkernel: v6.18\nsetup:\n  - mmap: { as: m, len: 4K }\n  - write: { addr: m }\nexpect:\n  - { smaps: m, Rss: 4 }\n';
    expect(cli(['run', '-', '-q'], ok).status).toBe(0);
    expect(cli(['run', '-', '-q'], ok.replace('Rss: 4', 'Rss: 8')).status).toBe(1);
    // a checkpoint the only thread never reaches: nothing to evaluate the expectation on
    const blocked = `name: t
kernel: v6.18
setup:
  - mmap: { as: m, len: 4K }
  - userfaultfd: { as: u, flags: [] }
threads:
  t:
    - read_uffd: { uffd: u, as: msg }
    - checkpoint: later
expect:
  - { smaps: m, Rss: 0, at: later }
`;
    const r = cli(['run', '-', '-q'], blocked);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/cannot be evaluated/);
  });

  it('completion scripts come from the command definitions', () => {
    const bash = cli(['completion', 'bash']);
    expect(bash.status).toBe(0);
    expect(bash.stdout).toContain('complete -F _mmsim');
    for (const c of ['run', 'compare', 'check', 'host', 'kernels']) expect(bash.stdout).toMatch(new RegExp(`\\b${c}\\) opts="`));
    expect(bash.stdout).toContain('--max-states');
    expect(bash.stdout).toContain('v4.19-uffd-wp-2018');
    expect(cli(['completion', 'zsh']).stdout).toContain('bashcompinit');
    expect(cli(['completion', 'fish']).status).toBe(2);
    const s = spawnSync('bash', ['-c', 'eval "$(node bin/mmsim.js completion bash)"; COMP_WORDS=(mmsim check --max-s); COMP_CWORD=2; _mmsim; echo "${COMPREPLY[@]}"'], { encoding: 'utf8' });
    expect(s.stdout.trim()).toBe('--max-states');
  });

  it('an internal error is exit 4, one line naming it a bug of mmsim; the stack only with --debug', () => {
    let err = '';
    const w = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      expect(internalError(new TypeError('x is not a function'), false)).toBe(4);
      expect(err).toMatch(/^mmsim: internal error \(a bug of mmsim, not of your input\): TypeError: x is not a function\n/);
      expect(err).not.toMatch(/\n\s+at /);
      err = '';
      internalError(new TypeError('x is not a function'), true);
      expect(err).toMatch(/\n\s+at /);
    } finally {
      w.mockRestore();
    }
  });

  it('host --timeout is in seconds, with an optional unit', () => {
    expect(parseDuration('30')).toBe(30_000);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('0')).toBeNull();
    expect(parseDuration('soon')).toBeNull();
  });
});

describe('the kernel log is what that kernel would print', () => {
  it('the 2018 debug printk of mwriteprotect_range appears only on the 2018 branch', () => {
    const old = cli(['run', SEED, '-k', 'v4.19-uffd-wp-2018', '--format', 'klog']).stdout;
    expect(old).toContain('kernel: mwriteprotect_range: vm_flags: 0xa0121073');
    for (const k of ['v6.18', 'v5.7', 'v4.19']) {
      expect(cli(['run', SEED, '-k', k, '--format', 'klog']).stdout, k).not.toContain('mwriteprotect_range');
    }
  });
});

describe('mmsim compare', () => {
  const ONE = 'name: t\nkernel: v6.18\nsetup:\n  - mmap: { as: m, len: 4K }\n  - write: { addr: m }\nexpect:\n  - when: { kernel: v6.1 }\n    that: [{ smaps: m, Rss: 8 }]\n';
  it('names the expectations that failed, per kernel, and exits 1', () => {
    const r = cli(['compare', '-', '-k', 'v6.1', '-k', 'v6.18'], ONE);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\[1\] v6\.1: 1 expectation not as expected\n {2}line 8: \{ smaps: m, Rss: 8 \}\n\s+m: AnonHugePages 0 kB, Rss 4 kB/);
    expect(r.stdout).not.toMatch(/\[2\] v6\.18: .*not as expected/);
  });
  it('--json gives every row and each kernel\'s expectations', () => {
    const r = cli(['compare', '-', '-k', 'v6.1', '-k', 'v6.18', '--json'], ONE);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; kernels: { kernel: string; ok: boolean }[]; rows: { label: string; values: string[]; differ: boolean }[] };
    expect(doc.ok).toBe(false);
    expect(doc.kernels.map((k) => [k.kernel, k.ok])).toEqual([['v6.1', false], ['v6.18', true]]);
    expect(doc.rows.find((x) => x.label === 'expectations')!.values).toEqual(['FAIL', '-']);
  });
});

describe('mmsim run evaluates the conditions of check on its one execution', () => {
  const base = readFileSync('scenarios/check/independent-writers.yaml', 'utf8');
  it('an execution that violates a never: condition fails (exit 1) and says so', () => {
    const text = base.replace(/ {4}verdict: \[\{ is: Always \}\]\n/, '')
      .replace('forall: { all: [{ thread: left, state: done }, { thread: right, state: done }] }', 'never: { thread: left, state: done }');
    const r = cli(['run', '-', '-q'], text);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✗ both_finish \(line \d+\): never \{ thread: left, state: done \}\n\s+P holds here; never: P: contradicted by this execution/);
  });
  it('an execution consistent with the expected verdict passes', () => {
    const r = cli(['run', 'scenarios/check/live-snapshot.yaml', '-k', 'v4.19-uffd-wp-2018', '--schedule', 'vcpu1 handler*3 vcpu1', '-q']);
    expect(r.stdout).toMatch(/✓ no_sigbus .*\n\s+P holds here; expected Sometimes or Always: consistent/);
    expect(r.status).toBe(0);
    // the same schedule against a scenario expecting Never there is contradicted
    const never = readFileSync('scenarios/check/live-snapshot.yaml', 'utf8').replace(/is: \[Sometimes, Always\]/, 'is: Never');
    const n = cli(['run', '-', '-k', 'v4.19-uffd-wp-2018', '--schedule', 'vcpu1 handler*3 vcpu1', '-q'], never);
    expect(n.status).toBe(1);
  });
});

describe('budgets bound the whole command, setup included: exit 3 with what was under way', () => {
  // (a memset of a page costs a fault and no bytes: 64 GiB is some seconds of setup)
  const HUGE = 'name: t\nkernel: v6.18\nsetup:\n  - mmap: { as: m, len: 64G }\n  - memset: { addr: m, len: 64G, value: 1 }\n';
  it('run --max-time stops a setup memset', () => {
    const r = cli(['run', '-', '-q', '--max-time', '1'], HUGE);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^mmsim: incomplete: --max-time 1 s ran out during setup op setup#2 memset \(line 5\), [\d.]+ [MG]iB done\n$/);
  });
  it('run --max-memory stops a memset that would need more than the budget', () => {
    const r = cli(['run', '-', '-q', '--max-memory', '200M'], HUGE);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/the memory budget \(200 MiB, --max-memory\) ran out during setup op setup#2 memset/);
  });
  it('check --max-time bounds the setup too', () => {
    const r = cli(['check', '-', '--max-time', '1'], HUGE + 'threads:\n  a:\n    - write: { addr: m }\n');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/--max-time 1 s \(v6\.18\) ran out during setup op setup#2 memset/);
  });
  it('a server loop that never blocks is incomplete (exit 3), not bad input', () => {
    const spin = 'name: t\nkernel: v6.18\nsetup:\n  - mmap: { as: m, len: 4K }\nthreads:\n  s:\n    loop: true\n    ops:\n      - write: { addr: m }\n';
    const r = cli(['run', '-', '-q', '--max-steps', '5000'], spin);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/incomplete: .*5000 steps/);
  });
  it('budget options are checked', () => {
    expect(cli(['run', SEED, '--max-time', 'soon']).status).toBe(2);
    expect(cli(['run', SEED, '--max-memory', 'lots']).status).toBe(2);
    expect(cli(['run', SEED, '--max-steps', '-1']).status).toBe(2);
  });
});

describe('sizes and addresses the model cannot hold are refused at the operation', () => {
  it('a read of 1 TiB, a memset of 127 TiB, a UFFDIO_ZEROPAGE of 64 TiB: exit 2 with the place', () => {
    const read = cli(['run', '-', '-q'], 'name: t\nkernel: v6.18\nsetup:\n  - mmap: { as: m, len: 4K }\n  - read: { addr: m, len: 1T }\n');
    expect(read.status).toBe(2);
    expect(read.stderr).toMatch(/^mmsim: <stdin>:5:5: setup\.1\.read\.len: a read of 1099511627776 bytes is more than the model keeps in a buffer/);
    const memset = cli(['run', '-', '-q'], 'name: t\nkernel: v6.18\nsetup:\n  - mmap: { as: m, len: 127T }\n  - memset: { addr: m, len: 127T, value: 0 }\n');
    expect(memset.status).toBe(2);
    expect(memset.stderr).toMatch(/setup\.1\.memset\.len: .*127\.0 TiB\) is more than the model can populate/);
    const zp = cli(['run', '-', '-q'], 'name: t\nkernel: v6.18\nsetup:\n  - mmap: { as: m, len: 64T }\n  - userfaultfd: { as: u }\n  - uffdio_register: { uffd: u, addr: m, len: 64T, mode: [missing] }\n  - uffdio_zeropage: { uffd: u, addr: m, len: 64T }\n');
    expect(zp.status).toBe(2);
    expect(zp.stderr).toMatch(/setup\.3\.uffdio_zeropage\.len/);
  });
  it('a user access above the user address space is the SIGSEGV the CPU gives, not an error of mmsim', () => {
    const r = cli(['run', 'scenarios/differential/access-beyond-user-space.yaml', '-q']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/t: signal \(SIGSEGV\)/);
  });
});

describe('mmsim host skips what this kernel cannot run: exit 3 with the reason', () => {
  it('a soft-dirty scenario on a kernel without soft-dirty', async (ctx) => {
    const { hostUnavailable } = await import('./host/available.js');
    const { probeHost } = await import('../src/host/probe.js');
    const why = await hostUnavailable();
    if (why) return ctx.skip(why);
    if ((await probeHost()).soft_dirty) return ctx.skip('this kernel has soft-dirty: the scenario runs here');
    const r = cli(['host', 'scenarios/bugs/soft-dirty-pte-hole.yaml']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/skipped .*soft-dirty-pte-hole\.yaml: the scenario sets soft_dirty=y; this machine has soft_dirty=false/);
  });
});

describe('an expectation is echoed as the file has it', () => {
  it('quotes and spacing kept; a block joined on one line', () => {
    const r = cli(['run', '-', '-q'], 'name: t\nkernel: v6.18\nsetup:\n  - mmap: { as: m, len: 4K }\nexpect:\n  - { klog: "two  spaces and: colon", count: 0 }\n  - pagemap: m\n    lacks: [present]\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('line 6: { klog: "two  spaces and: colon", count: 0 }');
    expect(r.stdout).toContain('line 7: pagemap: m; lacks: [present]');
  });
});

describe('mmsim host: a run the watchdog stops is incomplete (exit 3)', () => {
  it('--timeout 300ms on a 1 GiB memset', async (ctx) => {
    const { hostUnavailable } = await import('./host/available.js');
    const why = await hostUnavailable();
    if (why) return ctx.skip(why);
    const r = cli(['host', '-', '--timeout', '300ms'], 'name: long\nsetup:\n  - mmap: { as: ram, len: 1G }\n  - memset: { addr: ram, len: 1G, value: 1 }\n');
    expect(r.stdout + r.stderr).toMatch(/hung: no result within 300 ?ms/);
    expect(r.status).toBe(3);
  }, 0);
});

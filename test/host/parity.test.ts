// The host runner is the model's equal (issue 8, item 5): loop threads, the SKIPPED rule, a deadlock that
// is not a success, addresses that cannot collide with the executor's own mappings, the executor's limits
// as positioned errors at load, and errors of a run that name the operation's place.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, ScenarioError } from '../../src/scenario/load.js';
import { runOnHost, checkHostLimits, HOST_MAX_PROCS } from '../../src/host/run.js';
import { differential } from '../../src/host/differential.js';
import { executorPath } from '../../src/host/executor.js';
import { runScenario } from '../../src/run.js';
import { resolveKernel } from '../../src/profiles/profiles.js';
import { BudgetExceeded } from '../../src/sched/budget.js';
import { hostUnavailable } from './available.js';

const unavailable = await hostUnavailable();
const cli = (args: string[], input?: string) => spawnSync(process.execPath, ['bin/mmsim.js', ...args], { encoding: 'utf8', input });
const LIVE = 'scenarios/check/live-snapshot.yaml';

describe('loop threads on the host', () => {
  it('live-snapshot: the handler serves every fault and ends idle, as in the model (default schedule)', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const d = await differential(loadScenario(LIVE), []);
    if (d.kind === 'skipped') return ctx.skip(d.reason);
    expect(d.host.kind === 'ok' ? 'ok' : d.host.reason).toBe('ok');
    if (d.host.kind !== 'ok') return;
    expect(d.host.observation.threads.handler!.state).toBe('idle');
    expect(d.host.observation.threads.vcpu0!.state).toBe('done');
    expect(d.host.observation.deadlock).toBe(false);
    expect(d.rows.filter((r) => r.status !== 'agree').map((r) => `${r.field}: model ${r.model}, kernel ${r.kernel}`)).toEqual([]);
  }, 0);

  it('live-snapshot under given schedules agrees too', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    for (const schedule of ['vcpu0 handler*3 vcpu1 handler vcpu0', 'vcpu1 vcpu0 handler*4', 'vcpu0 vcpu1 handler*3 vcpu0 handler*3 vcpu1 vcpu1',
      'vcpu0 handler*2 vcpu1 handler vcpu0 vcpu0 handler*4', 'handler vcpu0 handler vcpu1 handler*2']) {
      const d = await differential(loadScenario(LIVE), [], { schedule });
      if (d.kind === 'skipped') return ctx.skip(d.reason);
      expect(d.host.kind === 'ok' ? 'ok' : d.host.reason, schedule).toBe('ok');
      expect(d.rows.filter((r) => r.status !== 'agree').map((r) => `${r.field}: model ${r.model}, kernel ${r.kernel}`), schedule).toEqual([]);
    }
  }, 0);

  it('a loop thread that never blocks ends the run as the model does, not as a hang', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const sc = loadScenario('spin.yaml', 'name: spin\nsetup:\n  - mmap: { as: ram, len: 4K }\nthreads:\n  t:\n    loop: true\n    ops:\n      - write: { addr: ram, value: 1 }\n');
    expect(() => runScenario(sc, resolveKernel('v6.18'))).toThrow(/did not end after/);
    await expect(runOnHost(sc, 'v6.18', 'test', { stepLimit: 500 })).rejects.toThrow(BudgetExceeded);
    await expect(runOnHost(sc, 'v6.18', 'test', { stepLimit: 500 })).rejects.toThrow(/the default schedule did not end after 500 steps/);
  }, 0);
});

describe('a deadlock on the host is not a success', () => {
  const STUCK = (expect: string) => `name: stuck
setup:
  - mmap: { as: ram, len: 16K }
  - memset: { addr: ram, len: 16K, value: 1 }
  - userfaultfd: { as: uffd }
  - uffdio_register: { uffd: uffd, addr: ram, len: 16K, mode: [wp] }
  - uffdio_writeprotect: { uffd: uffd, addr: ram, len: 16K, mode: [wp] }
threads:
  t:
    - write: { addr: ram, value: 2 }
${expect}`;
  it('mmsim host exits 1 on a deadlock the scenario does not expect, 0 when it expects the thread blocked', (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const r = cli(['host', '-'], STUCK(''));
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/deadlock/);
    const j = cli(['host', '-', '--json'], STUCK(''));
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout).ok).toBe(false);
    expect(cli(['host', '-'], STUCK('expect:\n  - { thread: t, state: blocked }\n')).status).toBe(0);
  }, 0);
  it('an idle server loop is no deadlock: mmsim host on live-snapshot exits 0', (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const r = cli(['host', LIVE]);
    expect(r.stdout).toMatch(/handler: idle/);
    expect(r.status).toBe(0);
  }, 0);
});

describe('the SKIPPED rule on the host', () => {
  it('operations that name what a failed call never produced are SKIPPED on both sides', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const d = await differential(loadScenario('scenarios/differential/skipped-after-failed-call.yaml'), []);
    if (d.kind === 'skipped') return ctx.skip(d.reason);
    expect(d.host.kind === 'ok' ? 'ok' : d.host.reason).toBe('ok');
    if (d.host.kind !== 'ok') return;
    for (const id of ['write_empty', 'advise_empty', 'register_bad', 'read_msg', 'read_bad']) {
      expect(d.host.observation.ops[id]?.errno, id).toBe('SKIPPED');
      expect(d.model.observation.ops[id]?.errno, id).toBe('SKIPPED');
    }
    expect(d.rows.filter((r) => r.status !== 'agree').map((r) => `${r.field}: model ${r.model}, kernel ${r.kernel}`)).toEqual([]);
  }, 0);
});

describe("the scenario's fixed addresses cannot collide with the executor's own mappings", () => {
  // With address-space randomisation off (setarch -R) the executor's layout is the same from one run to
  // the next: in a first run, a 64 MiB mapping placed by the kernel lands just below the executor's own
  // mappings (too large for the holes between the libraries), so they lie above it; a second run maps a
  // fixed range exactly there. The executor reserves the scenario's fixed ranges before it maps anything
  // of its own, so the mapping succeeds.
  const THREADS = 'threads:\n  a:\n    - write: { addr: probe, value: 1 }\n  b:\n    - write: { addr: probe, value: 2 }\n  c:\n    - write: { addr: probe, value: 3 }\n';
  it('a fixed range where the executor would otherwise put its thread stacks', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    if (spawnSync('setarch', ['-R', 'true']).status !== 0) return ctx.skip('setarch -R (no address-space randomisation) is not available');
    const dir = mkdtempSync(join(tmpdir(), 'mmsim-norandom-'));
    const wrapper = join(dir, 'mmsim-exec');
    writeFileSync(wrapper, `#!/bin/sh\nexec setarch -R ${executorPath()} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const saved = process.env.MMSIM_EXEC;
    process.env.MMSIM_EXEC = wrapper;
    try {
      const first = await runOnHost(loadScenario('a.yaml', `name: a\nsetup:\n  - mmap: { as: probe, len: 64M }\n${THREADS}`), 'v6.18', 'test');
      expect(first.kind === 'ok' ? 'ok' : first.reason).toBe('ok');
      if (first.kind !== 'ok') return;
      const probe = BigInt(first.observation.mappings.probe!.addr);
      // above the probe and its guard page: the executor's own mappings of the first run
      const fixed = '0x' + (probe + 0x4000000n + 0x2000n).toString(16);
      const sc = loadScenario('b.yaml', `name: b\nsetup:\n  - mmap: { as: probe, len: 64M }\n  - mmap: { as: ram, addr: ${fixed}, len: 2M, id: fixed }\n  - write: { addr: ram + 1M, value: 7 }\n${THREADS}`);
      const second = await runOnHost(sc, 'v6.18', 'test');
      expect(second.kind === 'ok' ? 'ok' : second.reason).toBe('ok');
      if (second.kind !== 'ok') return;
      expect(second.observation.ops.fixed).toMatchObject({ errno: null, result: fixed });
      for (const t of ['a', 'b', 'c']) expect(second.observation.threads[t]!.state, t).toBe('done');
    } finally {
      if (saved === undefined) delete process.env.MMSIM_EXEC;
      else process.env.MMSIM_EXEC = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 0);
});

describe("the executor's limits are errors of the file, at load", () => {
  const forks = (n: number) => `name: many\nsetup:\n  - mmap: { as: ram, len: 4K }\n${Array.from({ length: n }, (_, i) => `  - fork: { as: p${i} }\n`).join('')}`;
  it(`more than ${HOST_MAX_PROCS} processes: exit 2 at the fork that exceeds the limit, before anything runs`, async () => {
    const ok = loadScenario('ok.yaml', forks(HOST_MAX_PROCS - 1));
    expect(() => checkHostLimits(ok)).not.toThrow();
    const sc = loadScenario('many.yaml', forks(HOST_MAX_PROCS));
    // the model has no such limit
    expect(runScenario(sc, resolveKernel('v6.18')).ok).toBe(true);
    const line = 3 + HOST_MAX_PROCS;
    expect(() => checkHostLimits(sc)).toThrow(ScenarioError);
    expect(() => checkHostLimits(sc)).toThrow(new RegExp(`^many\\.yaml:${line}:5: setup\\.${HOST_MAX_PROCS}\\.fork: .*at most ${HOST_MAX_PROCS} processes`));
    await expect(runOnHost(sc, 'v6.18', 'test')).rejects.toThrow(ScenarioError);
    await expect(differential(sc, [])).rejects.toThrow(ScenarioError);
    const r = cli(['host', '-'], forks(HOST_MAX_PROCS));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^mmsim: <stdin>:${line}:5: setup\\.${HOST_MAX_PROCS}\\.fork: `));
  }, 0);
  it('a fork in a loop thread (one more process each lap) is refused at the fork', () => {
    const sc = loadScenario('lf.yaml', 'name: lf\nsetup:\n  - mmap: { as: ram, len: 4K }\nthreads:\n  t:\n    loop: true\n    ops:\n      - write: { addr: ram }\n      - fork: { as: child }\n');
    expect(() => checkHostLimits(sc)).toThrow(/^lf\.yaml:9:9: threads\.t\.ops\.1\.fork: mmsim host runs one process per fork operation/);
  });
});

describe('errors of a run name the operation', () => {
  const SEGV = 'name: segv\nsetup:\n  - mmap: { as: ram, len: 4K, prot: r }\n  - write: { addr: ram, value: 1 }\n';
  it('a setup operation that dies of a signal: file:line:column on the model and on the host, exit 2', async (ctx) => {
    const sc = loadScenario('segv.yaml', SEGV);
    expect(() => runScenario(sc, resolveKernel('v6.18'))).toThrow(/^segv\.yaml:4:5: setup\.1\.write: setup operation setup#2 died of SIGSEGV/);
    expect(cli(['run', '-', '-k', 'v6.18'], SEGV).stderr).toMatch(/^mmsim: <stdin>:4:5: setup\.1\.write: setup operation setup#2 died of SIGSEGV/);
    if (unavailable) return ctx.skip(unavailable);
    await expect(runOnHost(sc, 'v6.18', 'test')).rejects.toThrow(/^segv\.yaml:4:5: setup\.1\.write: setup operation setup#2 died of SIGSEGV/);
    const r = cli(['host', '-'], SEGV);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmsim: <stdin>:4:5: setup\.1\.write: setup operation setup#2 died of SIGSEGV/);
  }, 0);
  it('a setup operation that blocks: the same error at once on the host, not a hang until the watchdog', async (ctx) => {
    const BLOCK = (op: string) => `name: block
setup:
  - mmap: { as: ram, len: 16K }
  - memset: { addr: ram, len: 16K, value: 1 }
  - userfaultfd: { as: uffd, flags: [cloexec] }
  - uffdio_register: { uffd: uffd, addr: ram, len: 16K, mode: [wp] }
  - uffdio_writeprotect: { uffd: uffd, addr: ram, len: 16K, mode: [wp] }
  - ${op}
`;
    for (const op of ['write: { addr: ram + 4K, value: 2 }', 'read_uffd: { uffd: uffd, as: msg }']) {
      const sc = loadScenario('block.yaml', BLOCK(op));
      const want = /^block\.yaml:8:5: setup\.5\.(write|read_uffd): setup operation setup#6 blocked; setup must not wait for a thread$/;
      expect(() => runScenario(sc, resolveKernel('v6.18')), op).toThrow(want);
      if (unavailable) return ctx.skip(unavailable);
      await expect(runOnHost(sc, 'v6.18', 'test', { timeoutMs: 60_000 }), op).rejects.toThrow(want);
    }
  }, 0);
  it("a uffd that was never opened is the SKIPPED rule, not an error without a place", () => {
    const sc = loadScenario('u.yaml', 'name: u\nsetup:\n  - mmap: { as: ram, len: 4K }\n  - userfaultfd: { as: u, flags: [bit1] }\n  - poll_uffd: u\n');
    const r = runScenario(sc, resolveKernel('v6.18'));
    expect(r.observation.ops['setup#3']).toMatchObject({ errno: 'SKIPPED' });
  });
  it('the watchdog speaks in seconds, as --timeout does', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const sc = loadScenario('spin.yaml', 'name: spin\nsetup:\n  - mmap: { as: ram, len: 4K }\nthreads:\n  t:\n    loop: true\n    ops:\n      - write: { addr: ram, value: 1 }\n');
    const r = await runOnHost(sc, 'v6.18', 'test', { timeoutMs: 1500, stepLimit: 1e12 });
    expect(r.kind === 'failed' && r.reason).toMatch(/^hung: no result within 1\.5 s/);
  }, 0);
});

// The host runner's safety and its pieces: the watchdog kills a run that takes too long and leaves no
// process behind, a scenario that dies of a signal is an outcome, the executor refuses what it does not
// know in one line, missing capabilities skip with a reason, and the comparison honours known differences.
import { describe, it, expect } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { runOnHost, executorPlan } from '../../src/host/run.js';
import { runExecutor } from '../../src/host/executor.js';
import { missingCapability } from '../../src/host/requirements.js';
import { hostSpec, HostCaps } from '../../src/host/probe.js';
import { compareObservations, relativize } from '../../src/host/compare.js';
import { runScenario } from '../../src/run.js';
import { resolveKernel } from '../../src/profiles/profiles.js';
import { hostUnavailable } from './available.js';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const unavailable = await hostUnavailable();

const CAPS: HostCaps = {
  release: '6.18.44-test', root: true, thp: 'madvise', use_zero_page: true, unprivileged_userfaultfd: false,
  uffd_syscall: true, uffd_dev: true, uffd_user_mode_only: true, uffd_features: '0x1ffff', uffd_api_ioctls: '0x8000000000000003',
  pagemap_scan: true, pfn: true, kpageflags: true, soft_dirty: false, split_huge_pages: false,
};

const LONG = `
name: long
observe: { pages: [ram] }
setup:
  - mmap: { as: ram, len: 1G }
  - memset: { addr: ram, len: 1G, value: 1 }
`;

function groupGone(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('mmsim host runner', () => {
  it('a run that outlives the watchdog is an outcome, and its process group is gone', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const sc = loadScenario('long.yaml', LONG);
    let pid = 0;
    const r = await runOnHost(sc, 'v6.18', 'test', { timeoutMs: 50, onSpawn: (p) => { pid = p; } });
    expect(r.kind).toBe('failed');
    expect(r.kind === 'failed' && r.reason).toMatch(/^hung: no result within 50 ms/);
    expect(pid).toBeGreaterThan(0);
    expect(groupGone(pid)).toBe(true);
  }, 0);

  it('a forked child process is gone after the run', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const sc = loadScenario('scenarios/differential/fork-then-write-parent.yaml');
    let pid = 0;
    const r = await runOnHost(sc, 'v6.18', 'test', { onSpawn: (p) => { pid = p; } });
    expect(r.kind).toBe('ok');
    expect(groupGone(pid)).toBe(true);
  }, 0);

  it('a thread that dies of SIGSEGV is an outcome: its process-mates are killed, the run goes on', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const sc = loadScenario('scenarios/differential/mprotect-write-readonly-segv.yaml');
    const r = await runOnHost(sc, 'v6.18', 'test');
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.observation.threads.a).toMatchObject({ state: 'signal', signal: 'SIGSEGV' });
    expect(r.observation.threads.b).toMatchObject({ state: 'killed', signal: 'SIGSEGV' });
    expect(r.observation.snapshots.final).toBeDefined();
  }, 0);

  it('a thread blocked forever is a deadlock outcome, not a hang', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const sc = loadScenario('stuck.yaml', `
name: stuck
setup:
  - mmap: { as: ram, len: 16K }
  - memset: { addr: ram, len: 16K, value: 1 }
  - userfaultfd: { as: uffd }
  - uffdio_register: { uffd: uffd, addr: ram, len: 16K, mode: [wp] }
  - uffdio_writeprotect: { uffd: uffd, addr: ram, len: 16K, mode: [wp] }
threads:
  t:
    - write: { addr: ram, value: 2 }
`);
    const r = await runOnHost(sc, 'v6.18', 'test');
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.observation.deadlock).toBe(true);
    expect(r.observation.threads.t!.state).toBe('blocked');
  }, 0);

  it('the executor refuses an operation it does not know, in one line', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const sc = loadScenario('x.yaml', 'name: x\nsetup:\n  - mmap: { as: ram, len: 4K }\n');
    const plan = JSON.parse(executorPlan(sc, {}));
    plan.scenario.setup.push({ id: 'bogus', line: 9, op: 'bogus' });
    const r = await runExecutor([], JSON.stringify(plan), 10_000);
    expect(r.kind).toBe('exit');
    expect(JSON.parse(r.stdout)).toEqual({ ok: false, error: "unknown operation 'bogus' for the executor" });
  }, 0);

  it('the executor refuses khugepaged with the reason (mmsim host skips such scenarios before it gets there)', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const sc = loadScenario('x.yaml', 'name: x\nsetup:\n  - mmap: { as: ram, len: 2M, align: 2M }\n  - khugepaged: { addr: ram, id: k }\n');
    const r = await runExecutor([], executorPlan(sc, {}), 10_000);
    expect(r.kind).toBe('exit');
    expect(JSON.parse(r.stdout)).toEqual({ ok: false, error: 'operation khugepaged cannot be carried out on the host: khugepaged is a kernel thread whose scan and collapse no process can start or pause' });
  }, 0);
});

describe('capabilities', () => {
  const sc = loadScenario('scenarios/differential/uffd-dev-node.yaml');
  it('a scenario runs when everything is there', () => {
    expect(missingCapability(sc, CAPS)).toBeNull();
  });
  it('without root it is skipped with the reason', () => {
    expect(missingCapability(sc, { ...CAPS, root: false, pfn: false, kpageflags: false })).toMatch(/needs root/);
  });
  it('without /dev/userfaultfd, or a feature, or PAGEMAP_SCAN, it says which', () => {
    expect(missingCapability(sc, { ...CAPS, uffd_dev: false })).toMatch(/\/dev\/userfaultfd/);
    const unpop = loadScenario('scenarios/differential/wp-unpopulated-markers.yaml');
    expect(missingCapability(unpop, { ...CAPS, uffd_features: '0x1dfff' })).toMatch(/wp_unpopulated/);
    const scan = loadScenario('scenarios/differential/errno-pagemap-scan.yaml');
    expect(missingCapability(scan, { ...CAPS, pagemap_scan: false })).toMatch(/PAGEMAP_SCAN/);
  });
  it('a scenario whose config the machine does not have is skipped', () => {
    const s = loadScenario('c.yaml', 'name: c\nconfig: { thp: always }\nsetup:\n  - mmap: { as: ram, len: 4K }\n');
    expect(missingCapability(s, CAPS)).toMatch(/thp=always/);
  });
  it('the kernel release and config choose the model profile', () => {
    const { spec, note } = hostSpec(CAPS);
    expect(spec.profile).toBe('v6.18');
    expect(spec.config).toMatchObject({ soft_dirty: false, thp: 'madvise', pte_marker_uffd_wp: true });
    expect(note).toBeNull();
    expect(hostSpec({ ...CAPS, release: '6.19.1' }).note).toMatch(/comparing with v6.18/);
  });
});

describe('the probe configures the model as the kernel behaved, not as sysfs says', () => {
  // what native/mmsim-exec.c probe_behaviour reports on a host that maps the zero pages
  const SEEN: HostCaps = {
    ...CAPS, read_fault_maps: 'zero', read_fault_pagemap: '0x8000000000003928', thp_read_fault_maps: 'huge_zero_page',
    thp_write_fault: { madvised: true, plain: false }, uffd_zeropage_maps: 'zero',
  };
  it('a host that maps the zero pages', () => {
    expect(hostSpec(SEEN).spec.config).toMatchObject({ zero_page: true, use_zero_page: true, thp: 'madvise' });
  });
  it('a host whose read faults allocate (the zero page forbidden), though sysfs says use_zero_page 1', () => {
    const caps: HostCaps = { ...SEEN, read_fault_maps: 'page', read_fault_pagemap: '0x8100000000123456', thp_read_fault_maps: 'thp', uffd_zeropage_maps: 'page' };
    const { spec } = hostSpec(caps);
    expect(spec.config).toMatchObject({ zero_page: false, thp: 'madvise' });
    // a model so configured does what that kernel did
    const r = runScenario(loadScenario('scenarios/differential/read-zero-page-4k.yaml'), spec);
    expect(r.observation.threads.t!.minflt).toBe(1);
    expect(r.ok).toBe(true);
    const z = loadScenario('scenarios/differential/missing-write-zeropage.yaml');
    expect(missingCapability(z, caps, spec)).toBeNull();
  });
  it('a host with use_zero_page 0: the huge zero page off, the 4 KiB one on', () => {
    const { spec } = hostSpec({ ...SEEN, use_zero_page: false, thp_read_fault_maps: 'thp' });
    expect(spec.config).toMatchObject({ zero_page: true, use_zero_page: false });
  });
  it('THP as write faults showed it, where sysfs disagrees', () => {
    expect(hostSpec({ ...SEEN, thp: 'never', thp_write_fault: { madvised: true, plain: true } }).spec.config.thp).toBe('always');
    expect(hostSpec({ ...SEEN, thp: 'always', thp_write_fault: { madvised: false, plain: false } }).spec.config.thp).toBe('never');
  });
  it('UFFDIO_ZEROPAGE that maps the zero page while read faults allocate matches no configuration: skipped, with why', () => {
    const caps: HostCaps = { ...SEEN, read_fault_maps: 'page', thp_read_fault_maps: 'thp', uffd_zeropage_maps: 'zero' };
    const z = loadScenario('scenarios/differential/missing-write-zeropage.yaml');
    expect(missingCapability(z, caps)).toMatch(/UFFDIO_ZEROPAGE on this kernel maps the zero page/);
    expect(missingCapability(loadScenario('scenarios/differential/read-zero-page-4k.yaml'), caps)).toBeNull();
  });
  it('--kernel and --config override the probe', () => {
    const { spec, note } = hostSpec(SEEN, { kernel: 'v6.12', config: ['zero_page=n'] });
    expect(spec.profile).toBe('v6.12');
    expect(spec.config.zero_page).toBe(false);
    expect(note).toMatch(/v6.12/);
  });
  it('a scenario that sets a config the probe did not find is skipped', () => {
    const s = loadScenario('c.yaml', 'name: c\nconfig: { zero_page: n }\nsetup:\n  - mmap: { as: ram, len: 4K }\n');
    expect(missingCapability(s, SEEN)).toMatch(/zero_page=n/);
  });
});

describe('comparison', () => {
  const sc = loadScenario('scenarios/differential/sync-fault-round-trip.yaml');
  const spec = resolveKernel('v6.18');
  const a = runScenario(sc, spec).observation;
  it('an observation agrees with itself on every field', () => {
    const rows = compareObservations(sc, a, a);
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.filter((r) => r.status !== 'agree')).toEqual([]);
  });
  it('addresses compare relative to the mapping they are in, wherever the mapping is', () => {
    const moved = structuredClone(a);
    const shift = (h: string) => '0x' + (BigInt(h) + 0x40000000n).toString(16);
    for (const m of Object.values(moved.mappings)) m.addr = shift(m.addr);
    for (const m of Object.values(moved.msgs)) m.address = shift(m.address);
    for (const o of Object.values(moved.ops)) if (o.result) o.result = o.result.replace(/0x[0-9a-f]{6,}/g, (h) => shift(h));
    expect(compareObservations(sc, a, moved).filter((r) => r.status !== 'agree')).toEqual([]);
    expect(relativize('at 0x' + BigInt(a.mappings.ram!.addr).toString(16), a.mappings)).toBe('at ram');
  });
  it('a field that differs is a disagreement; a documented one is a known difference', () => {
    const b = structuredClone(a);
    b.threads.vcpu!.minflt = 2;
    const rows = compareObservations(sc, a, b);
    expect(rows.find((r) => r.field === 'thread vcpu: minflt')).toMatchObject({ model: '1', kernel: '2', status: 'differ' });
    const known = [{ field: 'thread vcpu: minflt', model: '1', kernel: '2', reason: 'test' }];
    expect(compareObservations(sc, a, b, known).find((r) => r.field === 'thread vcpu: minflt')?.status).toBe('known');
    // a known difference with other values than recorded is a plain disagreement again
    const c = structuredClone(a);
    c.threads.vcpu!.minflt = 3;
    expect(compareObservations(sc, a, c, known).find((r) => r.field === 'thread vcpu: minflt')?.status).toBe('differ');
  });
  it('KPF_IDLE is not compared; the other kpageflags bits are, KPF_LRU too', () => {
    const b = structuredClone(a);
    const p = b.snapshots.final!.pages['ram + 0x5000']!;
    p.kpageflags = '0x' + (BigInt(p.kpageflags!) | (1n << 25n)).toString(16);
    expect(compareObservations(sc, a, b).filter((r) => r.status !== 'agree')).toEqual([]);
    const lru = structuredClone(b);
    const q = lru.snapshots.final!.pages['ram + 0x5000']!;
    q.kpageflags = '0x' + (BigInt(q.kpageflags!) ^ (1n << 5n)).toString(16);
    expect(compareObservations(sc, a, lru).filter((r) => r.status !== 'agree').map((r) => r.field)).toEqual(['@final ram + 0x5000: kpageflags']);
    p.kpageflags = '0x' + (BigInt(p.kpageflags!) ^ (1n << 4n)).toString(16);
    expect(compareObservations(sc, a, b).filter((r) => r.status !== 'agree').map((r) => r.field)).toEqual(['@final ram + 0x5000: kpageflags']);
  });
});

describe('executors run one at a time on a machine (system-wide vmstat counters stay the scenario\'s own)', () => {
  it('an executor waits while another holds the machine lock, and its timeout counts from when it holds it', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    if (spawnSync('flock', ['--version']).status !== 0) return ctx.skip('the flock command (util-linux) is not installed');
    const dir = mkdtempSync(join(tmpdir(), 'mmsim-lock-'));
    const lock = join(dir, 'exec.lock');
    const saved = process.env.MMSIM_EXEC_LOCK;
    process.env.MMSIM_EXEC_LOCK = lock;
    // another "executor" holds the lock for 3 s
    const holder = spawn('flock', [lock, '-c', 'echo held; sleep 3'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
      const t0 = Date.now();
      const sc = loadScenario('tiny.yaml', 'name: tiny\nsetup:\n  - mmap: { as: ram, len: 4K }\n  - write: { addr: ram }\n');
      // a run queued that long is not hung (before session 15 the watchdog counted the wait: a CI run whose
      // executor waited behind two others was killed as hung)
      const queued = await runOnHost(sc, 'v6.18', 'test', { timeoutMs: 1000 });
      expect(queued.kind === 'failed' ? queued.reason : queued.kind).toBe('ok');
      // it waited for the lock: it could not end before the holder let go
      expect(Date.now() - t0).toBeGreaterThan(2500);
    } finally {
      holder.kill();
      if (saved === undefined) delete process.env.MMSIM_EXEC_LOCK;
      else process.env.MMSIM_EXEC_LOCK = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Swap on the real kernel never outlives a run: the swap files mmsim makes for a scenario's swapon are
// swapped off and deleted when the run ends, when the executor is killed midway, when mmsim itself gets
// SIGTERM midway, and (by the next swap run) when mmsim was SIGKILLed. Other test runs share this kernel.
import { afterAll, describe, it, expect } from 'vitest';
import { expectStateFileRestore } from '../statefile-restore.js';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../src/scenario/load.js';
import { runOnHost } from '../../src/host/run.js';
import { probeHost } from '../../src/host/probe.js';
import { activeSwaps, swapOwner, swapBaseDir, SWAP_DIR_PREFIX, sweepStaleSwap, writeSwapFile, swaponOps, liveSwapDirs, restorePageCluster } from '../../src/host/swap.js';
import { missingCapability } from '../../src/host/requirements.js';
import { hostUnavailable } from './available.js';

const unavailable = await hostUnavailable();

// swapon first, then a long setup step (the window in which the run is killed)
const LONG = `
name: swap-long
observe: { pages: [ram] }
setup:
  - swapon: { pages: 64 }
  - mmap: { as: ram, len: 1G }
  - memset: { addr: ram, len: 1G, value: 1 }
`;

// the scenario as a file, for the mmsim processes the tests start and kill
const LONG_DIR = mkdtempSync(join(tmpdir(), 'mmsim-swap-test-'));
const LONG_FILE = join(LONG_DIR, 'swap-long.yaml');
writeFileSync(LONG_FILE, LONG);
afterAll(() => rmSync(LONG_DIR, { recursive: true, force: true }));

const ours = (pid: number) => activeSwaps().filter((s) => swapOwner(s.path) === pid);
const dirsOf = (pid: number) => readdirSync(swapBaseDir()).filter((d) => d.startsWith(`${SWAP_DIR_PREFIX}${pid}-`));

/** wait (polling) until `cond` holds; false when it did not within `tries` polls of 20 ms */
async function until(cond: () => boolean, tries = 1500): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

async function swapSkip(): Promise<string | null> {
  if (unavailable) return unavailable;
  const caps = await probeHost();
  return missingCapability(loadScenario('swap-long.yaml', LONG), caps);
}

describe('swap files on the host', () => {
  it('a swapon operation gets a file of its own, with a mkswap header', () => {
    const sc = loadScenario('swap-long.yaml', LONG);
    expect(swaponOps(sc).map((o) => o.pages)).toEqual([64]);
    const dir = mkdtempSync(join(swapBaseDir(), 'mmsim-test-'));
    try {
      const f = join(dir, 'f');
      writeSwapFile(f, 16);
      const b = readFileSync(f);
      expect([b.length, b.readUInt32LE(1024), b.readUInt32LE(1028), b.toString('latin1', 4096 - 10, 4096)]).toEqual([16 * 4096, 1, 15, 'SWAPSPACE2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the executor killed midway: the file is swapped off and its directory deleted', async (ctx) => {
    const skip = await swapSkip();
    if (skip) return ctx.skip(skip);
    const sc = loadScenario('swap-long.yaml', LONG);
    let pid = 0;
    const run = runOnHost(sc, 'v6.18', 'host', { timeoutMs: 120_000, onSpawn: (p) => (pid = p) });
    const pageCluster = () => readFileSync('/proc/sys/vm/page-cluster', 'utf8').trim();
    const before = pageCluster();
    // killed once the kernel has the swap file
    expect(await until(() => ours(process.pid).length > 0), 'the swap file was enabled').toBe(true);
    // swap readahead held to the faulting slot while the run's swap is on (native/mmsim-exec.c page_cluster_zero)
    expect(pageCluster()).toBe('0');
    process.kill(-pid, 'SIGKILL');
    const r = await run;
    expect(r.kind).toBe('failed');
    expect(ours(process.pid)).toEqual([]);
    expect(dirsOf(process.pid)).toEqual([]);
    expect(liveSwapDirs()).toEqual([]);
    // given back by mmsim from the executor's state file, the executor having been killed
    expect(pageCluster()).toBe(before);
  }, 0);

  it('mmsim gets SIGTERM midway: its handler kills the executor, swaps off and deletes before it dies', async (ctx) => {
    const skip = await swapSkip();
    if (skip) return ctx.skip(skip);
    const child = spawn(process.execPath, ['bin/mmsim.js', 'host', LONG_FILE, '--timeout', '120s'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, s) => res(s)));
    expect(await until(() => ours(child.pid!).length > 0), 'the swap file was enabled').toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(ours(child.pid!)).toEqual([]);
    expect(dirsOf(child.pid!)).toEqual([]);
  }, 0);

  it('mmsim gets SIGKILL midway: the executor swaps its file off as it ends, and the next swap run sweeps what is left', async (ctx) => {
    const skip = await swapSkip();
    if (skip) return ctx.skip(skip);
    const child = spawn(process.execPath, ['bin/mmsim.js', 'host', LONG_FILE, '--timeout', '120s'], { stdio: 'ignore' });
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    expect(await until(() => ours(child.pid!).length > 0), 'the swap file was enabled').toBe(true);
    child.kill('SIGKILL');
    await exited;
    // the executor, alone now, finishes the memset and swaps the file off before it writes its result
    expect(await until(() => ours(child.pid!).length === 0), 'the executor swapped its file off').toBe(true);
    // the directory is left: the next swap run's sweep deletes it (and would swap off a file still on)
    sweepStaleSwap();
    expect(dirsOf(child.pid!)).toEqual([]);
  }, 0);
});

describe('vm.page-cluster', () => {
  it('mmsim gives it back from the state file of an executor that is gone, never of one alive', () => {
    expectStateFileRestore({ env: 'MMSIM_PAGE_CLUSTER_STATE', now: '0', prev: '3', expected: 3, restore: restorePageCluster });
  });
});

describe('sweepStaleSwap', () => {
  it('swaps off and deletes a swap file whose mmsim is gone', async (ctx) => {
    const skip = await swapSkip();
    if (skip) return ctx.skip(skip);
    if (!existsSync('/usr/sbin/swapon') && !existsSync('/sbin/swapon')) return ctx.skip('no swapon(8) to enable a stale file with');
    // a pid that is gone: a process that ran and exited
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('exit', r));
    const dir = mkdtempSync(join(swapBaseDir(), `${SWAP_DIR_PREFIX}${gone.pid}-`));
    const f = join(dir, 'swap-x');
    writeSwapFile(f, 16);
    const on = spawn('swapon', [f]);
    const code = await new Promise((r) => on.on('exit', r));
    try {
      expect(code).toBe(0);
      expect(ours(gone.pid!).map((s) => s.path)).toEqual([f]);
      expect(sweepStaleSwap()).toEqual([f]);
      expect(ours(gone.pid!)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
    } finally {
      spawn('swapoff', [f]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Swap files for the scenarios that use `swapon` on the real kernel. mmsim (not the executor) owns them: it
// makes a directory of its own, writes one swap file per `swapon` operation there (a mkswap header, no
// holes), and hands the paths to the executor, which calls swapon(2)/swapoff(2) at the scenario's
// operations and swapoff(2)s what it enabled before it exits. Whatever happens to the executor (killed,
// hung, crashed), mmsim swaps each file off and deletes the directory afterwards: in a finally path, in a
// process 'exit' handler and on SIGINT/SIGTERM/SIGHUP. A file left by an mmsim that was SIGKILLed is
// swapped off by the next swap run (sweepStaleSwap). Other test runs share this kernel: swap must never stay.
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledScenario } from '../scenario/load.js';
import type { CompiledOp } from '../scenario/ops.js';
import { executorPath } from './executor.js';
import { processAlive as alive, restoreFromStateFile } from './statefile.js';

const PAGE = 4096;
/** the directory prefix: `mmsim-swap-<pid of the mmsim that made it>-XXXXXX` */
export const SWAP_DIR_PREFIX = 'mmsim-swap-';
/** the largest swap file mmsim host makes (1 GiB); the model allows more */
export const HOST_MAX_SWAP_PAGES = 262144;
/** the priority our swap files are enabled with (SWAP_FLAG_PREFER): the highest, so that they are used first */
export const SWAP_PRIO = 32767;

export function swaponOps(sc: CompiledScenario): (CompiledOp & { op: 'swapon' })[] {
  return [...sc.setup, ...sc.threads.flatMap((t) => t.ops)].filter((o): o is CompiledOp & { op: 'swapon' } => o.op === 'swapon');
}

export function usesSwap(sc: CompiledScenario): boolean {
  return [...sc.setup, ...sc.threads.flatMap((t) => t.ops)].some((o) => o.op === 'swapon' || o.op === 'swapoff');
}

/** one line of /proc/swaps: the file and its type (file, partition) */
export interface SwapEntry { path: string; type: string }

/** the swap devices the kernel has enabled now (/proc/swaps; a deleted file keeps its name with " (deleted)") */
export function activeSwaps(): SwapEntry[] {
  let text: string;
  try {
    text = readFileSync('/proc/swaps', 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').slice(1).filter((l) => l.trim()).map((l) => {
    // the name is octal-escaped (\040 for a space) and followed by the type column
    const m = /^(\S+)\s+(\S+)/.exec(l)!;
    const path = m[1]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    return { path, type: m[2]! };
  });
}

/** the pid of the mmsim that made a swap file of ours, from its path (null: not ours) */
export function swapOwner(path: string): number | null {
  const m = new RegExp(`/${SWAP_DIR_PREFIX}(\\d+)-[^/]+/`).exec(path);
  return m ? Number(m[1]) : null;
}

/** swapoff(2) through the executor (`mmsim-exec --swapoff PATH`); node has no swapoff of its own */
function swapoffSync(path: string): void {
  spawnSync(executorPath(), ['--swapoff', path], { stdio: 'ignore', timeout: 120_000 });
}

/**
 * what an mmsim that is gone (killed with SIGKILL, so its handlers never ran) left: its swap files still
 * enabled are swapped off, and its directories deleted. Returns the files it swapped off.
 */
/** where the executor keeps the previous vm.page-cluster while a run's swap is on (MMSIM_PAGE_CLUSTER_STATE overrides, as for the executor) */
export function pageClusterStatePath(): string {
  return process.env.MMSIM_PAGE_CLUSTER_STATE ?? '/tmp/mmsim-page-cluster.prev';
}

/**
 * vm.page-cluster written back from the state file an executor left (it holds it at 0 while the run's swap
 * is on, so that swap readahead reads the faulting slot only, as the model does; native/mmsim-exec.c
 * page_cluster_zero), once that executor is gone (`pid`: the one that just ended). Returns the value or null.
 * (`sysctl`: the file written, for tests)
 */
export function restorePageCluster(pid?: number, sysctl = '/proc/sys/vm/page-cluster'): number | null {
  const prev = restoreFromStateFile(pageClusterStatePath(), /\d+/, sysctl, pid);
  return prev === null ? null : Number(prev);
}

export function sweepStaleSwap(): string[] {
  const done: string[] = [];
  for (const s of activeSwaps()) {
    const owner = swapOwner(s.path);
    if (owner === null || alive(owner)) continue;
    const file = s.path.replace(/ \(deleted\)$/, '');
    swapoffSync(file);
    const dir = file.slice(0, file.lastIndexOf('/'));
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // (being removed by another mmsim's sweep at the same moment)
    }
    done.push(file);
  }
  const base = swapBaseDir();
  let names: string[] = [];
  try {
    names = readdirSync(base);
  } catch {
    // no such directory: nothing was left there
  }
  for (const d of names) {
    const owner = swapOwner(`/${d}/`);
    if (owner === null || alive(owner)) continue;
    try {
      rmSync(join(base, d), { recursive: true, force: true });
    } catch {
      // another mmsim sweeping the same directory at the same moment (ENOTDIR, ENOTEMPTY): its work
    }
  }
  return done;
}

/** other swap devices than ours: with one of them enabled, the swap type and the slots are not the scenario's alone */
export function foreignSwaps(): SwapEntry[] {
  return activeSwaps().filter((s) => swapOwner(s.path) === null);
}

const TMPFS_MAGIC = 0x01021994, RAMFS_MAGIC = 0x858458f6, OVERLAYFS_MAGIC = 0x794c7630;

/** where swap files go: $MMSIM_SWAP_DIR, else the first of /var/tmp and the temp directory on a filesystem that can hold one */
export function swapBaseDir(): string {
  if (process.env.MMSIM_SWAP_DIR) return process.env.MMSIM_SWAP_DIR;
  for (const d of ['/var/tmp', tmpdir()]) {
    try {
      const t = Number(statfsSync(d).type);
      if (t !== TMPFS_MAGIC && t !== RAMFS_MAGIC && t !== OVERLAYFS_MAGIC) return d;
    } catch {
      // not there
    }
  }
  return '/var/tmp';
}

/**
 * a swap file of `pages` pages as mkswap writes it (version 1, last_page = pages - 1, no bad pages, the
 * SWAPSPACE2 magic at the end of the first page), every block written so that the file has no holes
 */
export function writeSwapFile(path: string, pages: number): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    const header = Buffer.alloc(PAGE);
    header.writeUInt32LE(1, 1024); // version
    header.writeUInt32LE(Math.max(0, pages - 1), 1028); // last_page
    header.writeUInt32LE(0, 1032); // nr_badpages
    header.write('SWAPSPACE2', PAGE - 10, 'latin1');
    writeSync(fd, header);
    const zero = Buffer.alloc(64 * PAGE);
    for (let left = Math.max(0, pages - 1); left > 0;) {
      const n = Math.min(left, 64);
      writeSync(fd, zero, 0, n * PAGE);
      left -= n;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** what the executor is given (options.swap): the file of each swapon operation, and a file that is no swap file */
export interface SwapPlan {
  dir: string;
  /** operation id -> swap file */
  files: Record<string, string>;
  /** swapoff with nothing enabled targets this existing non-swap file: EINVAL, as the model's "no device" */
  none: string;
}

const live = new Map<string, SwapPlan>();
const executors = new Set<number>();
let handlersOn = false;

/** swap the plan's files off (if the kernel still has them) and delete its directory */
export function cleanupSwap(plan: SwapPlan): void {
  const files = new Set(Object.values(plan.files));
  for (const s of activeSwaps()) {
    const file = s.path.replace(/ \(deleted\)$/, '');
    if (files.has(file)) swapoffSync(file);
  }
  rmSync(plan.dir, { recursive: true, force: true });
  live.delete(plan.dir);
  if (live.size === 0) removeHandlers();
}

function cleanupAll(): void {
  // the executors first: they may still be swapping pages in or out
  for (const pid of executors) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const plan of [...live.values()]) cleanupSwap(plan);
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
function onSignal(sig: NodeJS.Signals): void {
  cleanupAll();
  removeHandlers();
  // die of the signal as the process would have without the handler
  process.kill(process.pid, sig);
}
function installHandlers(): void {
  if (handlersOn) return;
  handlersOn = true;
  process.on('exit', cleanupAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}
function removeHandlers(): void {
  if (!handlersOn) return;
  handlersOn = false;
  process.removeListener('exit', cleanupAll);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** the executor of a swap run (its process group is killed before the files are swapped off on a signal) */
export function trackExecutor(pid: number): () => void {
  executors.add(pid);
  return () => executors.delete(pid);
}

/** a directory of swap files for the scenario's swapon operations (null: it has none and no swapoff) */
export function prepareSwap(sc: CompiledScenario): SwapPlan | null {
  if (!usesSwap(sc)) return null;
  sweepStaleSwap();
  const dir = mkdtempSync(join(swapBaseDir(), `${SWAP_DIR_PREFIX}${process.pid}-`));
  const plan: SwapPlan = { dir, files: {}, none: join(dir, 'not-swap') };
  live.set(dir, plan);
  installHandlers();
  try {
    writeSwapFile(plan.none, 1);
    // a file of one page with a header saying so is no swap area the kernel accepts: make it plain zeroes
    const fd = openSync(plan.none, 'r+');
    writeSync(fd, Buffer.alloc(PAGE), 0, PAGE, 0);
    closeSync(fd);
    for (const op of swaponOps(sc)) {
      const f = join(dir, `swap-${op.id.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
      writeSwapFile(f, Math.max(1, Math.min(op.pages, HOST_MAX_SWAP_PAGES)));
      plan.files[op.id] = f;
    }
  } catch (e) {
    cleanupSwap(plan);
    throw e;
  }
  return plan;
}

/** the swap files of live runs (tests) */
export function liveSwapDirs(): string[] {
  return [...live.keys()].filter((d) => existsSync(d));
}

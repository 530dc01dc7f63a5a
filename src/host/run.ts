// Run a compiled scenario on the real kernel through the native executor, and turn what it reports
// into the model's Observation type, so that the two compare field by field.
import { ScenarioError, type CompiledScenario } from '../scenario/load.js';
import type { CompiledOp } from '../scenario/ops.js';
import { evalExpr, type Expr } from '../scenario/expr.js';
import type { Observation, OpObs, OutObs, ThreadObs } from '../scenario/outcome.js';
import { whereIs, shortHex } from '../scenario/outcome.js';
import { numberPfns, type Snapshot, type PageObs } from '../scenario/observe.js';
import { digestBytes } from '../sched/exec.js';
import { formatSchedule, parseSchedule, MachineError, DEFAULT_STEP_LIMIT } from '../sched/machine.js';
import { BudgetExceeded } from '../sched/budget.js';
import { ERRNO_NAME } from '../kernel/include/errno.js';
import { SIGNAL_NAME } from '../kernel/include/signal.js';
import { runExecutor, LOCK_WAIT_MS } from './executor.js';
import { MMAP_BASE } from '../kernel/mm/mmap.js';
import { prepareSwap, cleanupSwap, trackExecutor, restorePageCluster, type SwapPlan } from './swap.js';
import { needsHugetlbPool, restoreHugetlbPool, scenarioHugepages } from './hugetlb.js';
import { restoreShmemEnabled, scenarioShmemEnabled } from './shmem-thp.js';

export interface HostRunOptions {
  /** thread names, one per step, then the default policy (as `mmsim run --schedule`) */
  schedule?: string;
  /** the watchdog, in ms (default 10 s) */
  timeoutMs?: number;
  /** the executor's own limit for one step that neither finishes nor blocks (default 5 s) */
  stepTimeoutMs?: number;
  /** steps the default schedule may take before the run is called non-terminating (the model's DEFAULT_STEP_LIMIT) */
  stepLimit?: number;
  /** told the executor's pid (= its process group) */
  onSpawn?: (pid: number) => void;
  /**
   * per mapping name, how far below its top (MMAP_BASE) the model placed it (modelPlacement): the
   * executor lays the mappings without a fixed address out the same way below a 2 MiB-aligned top of
   * its own, since whether a range can hold a THP, where a PMD is split and which mappings share a page
   * table depend on the layout within 2 MiB blocks
   */
  placement?: Record<string, number>;
}

/** how far below MMAP_BASE the model placed each of its mappings (what HostRunOptions.placement takes) */
export function modelPlacement(obs: Observation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, m] of Object.entries(obs.mappings)) {
    const d = MMAP_BASE - Number(BigInt(m.addr));
    if (d > 0) out[name] = d;
  }
  return out;
}

/** what the executor prints (native/mmsim-exec.c run_scenario) */
interface RawRun {
  ok: boolean;
  error?: string;
  /** the error is the scenario's or the schedule's (mmsim exits 2), not a failure of the run */
  input?: boolean;
  /** the run reached a bound before it ended (the default schedule's steps; mmsim exits 3) */
  incomplete?: boolean;
  /** the run cannot be carried out on this machine (the hugetlb pool could not be set): why, in one line */
  skip?: string;
  /** a step neither finished nor blocked within the step timeout */
  hung?: boolean;
  /** the operation the error is about: thread index (-1 setup) and operation index */
  at?: { t: number; i: number };
  threads: { name: string; state: string; signal: number; minflt: number; majflt: number }[];
  /** the last run of each operation that ran; skipped: the SKIPPED rule (an argument had no value) */
  records: { t: number; i: number; errno: number; skipped?: boolean; result: string | null; out?: OutObs }[];
  vars: Record<string, RawVar>;
  snapshots: Record<string, RawSnapshot>;
  taken: string[];
  deadlock: boolean;
  timing: { setup_ns: number; run_ns: number };
}
type RawVar =
  | { kind: 'mapping'; addr: string; len: string }
  | { kind: 'msg'; address: string; flags: number; event: number; ptid: number }
  | { kind: 'data'; addr: string; hex: string }
  | { kind: 'ioctls'; value: string }
  | { kind: 'uffd'; fd: number }
  | { kind: 'process'; pid: number }
  | { kind: 'other' };
interface RawSnapshot {
  /** pfn: the raw PFN of a present page (turned into pfn_id) */
  pages: Record<string, { addr: string; pagemap: string; kpageflags: string | null; pfn?: string }>;
  mem: Record<string, string | null>;
  smaps: Record<string, { AnonHugePages: number; Rss: number }>;
  vma_count: number;
  vmstat: Record<string, number>;
  /** the hugetlb lines of /proc/meminfo, when the run set a hugetlb pool */
  meminfo?: Record<string, number>;
}

export type HostRun =
  | { kind: 'ok'; observation: Observation; timing: { setupMs: number; runMs: number }; ms: number }
  /** the scenario could not be carried out: the executor said why, crashed, or hung */
  | { kind: 'failed'; reason: string; ms: number; hung?: boolean }
  /** this machine cannot run it (the hugetlb pool it needs could not be set up): why, in one line */
  | { kind: 'skipped'; reason: string; ms: number };

function hexBytes(hex: string): Uint8Array {
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

/** the JSON the executor reads: the compiled scenario and how to run it */
export function executorPlan(sc: CompiledScenario, opts: HostRunOptions, swap: SwapPlan | null = null): string {
  const { setup, threads, pages, mems, mappings, names, checkpoints, name } = sc;
  return JSON.stringify({
    scenario: { name, setup, threads, pages, mems, mappings, names, checkpoints },
    options: {
      // --schedule, else the scenario's own `schedule:` (as the model's run takes it)
      schedule: (opts.schedule ?? sc.schedule) ? parseSchedule((opts.schedule ?? sc.schedule)!) : null,
      step_timeout_ms: opts.stepTimeoutMs ?? 5000,
      step_limit: opts.stepLimit ?? DEFAULT_STEP_LIMIT,
      placement: opts.placement ?? null,
      swap,
      // the hugetlb pool the executor sets for the run (vm.nr_hugepages) and gives back afterwards
      hugepages: needsHugetlbPool(sc) ? scenarioHugepages(sc) : null,
      // shmem_enabled the executor sets for the run and gives back afterwards (null: the host's own)
      shmem_enabled: scenarioShmemEnabled(sc),
    },
  });
}

/** the executor's limits (MAXP, MAXT, MAXV in native/mmsim-exec.c); the model has none */
export const HOST_MAX_PROCS = 16;
export const HOST_MAX_THREADS = 64;
export const HOST_MAX_NAMES = 512;

function errorAt(sc: CompiledScenario, op: CompiledOp, detail: string): ScenarioError {
  return new ScenarioError(sc.file, op.line, op.col ?? 1, op.field ?? op.id, detail);
}

/**
 * A scenario the executor cannot hold is an error of the file, at the operation that goes past the limit,
 * before anything runs (mmsim exits 2): more processes than MAXP (main and its forks), threads than MAXT,
 * names than MAXV, and a fork in a loop thread (the executor has one process per fork operation; each lap
 * would fork another).
 */
export function checkHostLimits(sc: CompiledScenario): void {
  for (const t of sc.threads) {
    const fork = t.loop ? t.ops.find((o) => o.op === 'fork') : undefined;
    if (fork) throw errorAt(sc, fork, `mmsim host runs one process per fork operation: a loop thread (${t.name}) cannot fork`);
  }
  const ops = [...sc.setup, ...sc.threads.flatMap((t) => t.ops)];
  let procs = 1;
  const names = new Set<string>();
  for (const op of ops) {
    if (op.op === 'fork' && ++procs > HOST_MAX_PROCS) {
      throw errorAt(sc, op, `mmsim host runs at most ${HOST_MAX_PROCS} processes (main and ${HOST_MAX_PROCS - 1} forks); this fork makes ${procs} (the model has no such limit)`);
    }
    const as = 'as' in op ? op.as : null;
    if (as && !names.has(as)) {
      names.add(as);
      if (names.size > HOST_MAX_NAMES) throw errorAt(sc, op, `mmsim host holds at most ${HOST_MAX_NAMES} names (as:); this is name ${names.size}`);
    }
  }
  if (sc.threads.length > HOST_MAX_THREADS) {
    const t = sc.threads[HOST_MAX_THREADS]!;
    const op = t.ops[0];
    const detail = `mmsim host runs at most ${HOST_MAX_THREADS} threads; this is thread ${HOST_MAX_THREADS + 1}`;
    throw op ? new ScenarioError(sc.file, op.line, op.col ?? 1, `threads.${t.name}`, detail) : new ScenarioError(sc.file, 1, 1, `threads.${t.name}`, detail);
  }
}

const PAGE = 0x1000n;
/** the executor reserves at most this many fixed ranges (MAXRES) */
const MAX_RESERVED = 64;

/**
 * The address ranges the scenario maps at a fixed address that does not depend on an earlier operation
 * (`mmap: { addr: 0x7f205fe00000, len: 1G }`), page-aligned and merged: the executor reserves them before it
 * maps anything of its own (native/mmsim-exec.c reserve_ranges), so that the scenario's mmap finds them free.
 */
export function fixedRanges(sc: CompiledScenario): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  for (const op of [...sc.setup, ...sc.threads.flatMap((t) => t.ops)]) {
    // an mremap to a fixed destination (MREMAP_FIXED, flag 2) maps there too
    const fixedTo = op.op === 'mremap' && (op.flags & 2) !== 0 && op.new_addr !== null;
    if ((op.op !== 'mmap' || !op.addr) && !fixedTo) continue;
    let a: bigint, l: bigint;
    try {
      a = evalExpr(op.op === 'mremap' ? op.new_addr! : (op as { addr: Expr }).addr, () => undefined);
      l = evalExpr(op.op === 'mremap' ? op.new_len : (op as { len: Expr }).len, () => undefined);
    } catch {
      continue; // it names an earlier mapping: inside the scenario's own memory
    }
    const s = a & ~(PAGE - 1n), e = (a + l + PAGE - 1n) & ~(PAGE - 1n);
    // x86-64 user space ends at 2^47 (the executor does not ask for 5-level paging)
    if (l <= 0n || s < 0x10000n || e > 1n << 47n || e <= s) continue;
    out.push([s, e]);
  }
  out.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const r of out) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = r[1] > last[1] ? r[1] : last[1];
    else merged.push([r[0], r[1]]);
  }
  return merged.slice(0, MAX_RESERVED);
}

/** "50 ms", "1.5 s", "10 s": a duration as --timeout takes it */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(3))} s`;
}

function opAt(sc: CompiledScenario, t: number, i: number): { op: CompiledOp; thread: string } | null {
  if (t < 0) return sc.setup[i] ? { op: sc.setup[i]!, thread: 'setup' } : null;
  const th = sc.threads[t];
  return th && th.ops[i] ? { op: th.ops[i]!, thread: th.name } : null;
}

export function toObservation(sc: CompiledScenario, raw: RawRun, kernel: string, release: string): Observation {
  const threads: Record<string, ThreadObs> = {};
  for (const t of raw.threads) {
    threads[t.name] = { state: t.state, signal: t.signal ? SIGNAL_NAME[t.signal] ?? `signal ${t.signal}` : null, minflt: t.minflt, majflt: t.majflt };
  }
  const mappings: Observation['mappings'] = {};
  for (const [n, v] of Object.entries(raw.vars)) if (v.kind === 'mapping') mappings[n] = { addr: v.addr, len: v.len };
  const ops: Observation['ops'] = {};
  for (const r of raw.records) {
    const at = opAt(sc, r.t, r.i);
    if (!at) continue;
    let result = r.result;
    if (result !== null && result.startsWith('bytes:')) result = digestBytes(hexBytes(result.slice(6)));
    const errno = r.skipped ? 'SKIPPED' : r.errno ? ERRNO_NAME[r.errno] ?? String(r.errno) : null;
    const rec: OpObs = { thread: at.thread, op: at.op.op, errno, result: errno ? null : result };
    if (r.out) rec.out = r.out;
    ops[at.op.id] = rec;
  }
  const msgs: Observation['msgs'] = {};
  const buffers: Observation['buffers'] = {};
  for (const [n, v] of Object.entries(raw.vars)) {
    if (v.kind === 'msg') msgs[n] = { event: v.event, flags: v.flags, address: v.address, where: whereIs(mappings, BigInt(v.address)) };
    else if (v.kind === 'data') {
      const bytes = hexBytes(v.hex);
      buffers[n] = { addr: whereIs(mappings, BigInt(v.addr)), digest: digestBytes(bytes), hex: shortHex(bytes) };
    }
  }
  const snapshots: Record<string, Snapshot> = {};
  for (const [name, s] of Object.entries(raw.snapshots)) {
    const pages: Record<string, PageObs> = {};
    for (const [key, p] of Object.entries(s.pages)) {
      pages[key] = { addr: p.addr, pagemap: p.pagemap, kpageflags: p.kpageflags };
    }
    snapshots[name] = { pages, smaps: s.smaps, vma_count: s.vma_count, vmstat: s.vmstat, data: {}, mem: s.mem ?? {}, ...(s.meminfo ? { meminfo: s.meminfo } : {}) };
  }
  // the kernel's PFNs become identities (pfn_id), as the model's do; the PFNs themselves are not kept
  const numbered = numberPfns(snapshots, (snap, key) => raw.snapshots[snap]!.pages[key]!.pfn ?? null);
  return {
    scenario: sc.name, kernel, release, source: 'host', threads, ops, mappings, msgs, buffers, snapshots: numbered,
    deadlock: raw.deadlock, schedule: formatSchedule(raw.taken),
  };
}

/**
 * run the scenario on this machine's kernel. An error of the scenario (more processes than the executor
 * holds, a setup operation that dies of a signal) is thrown as a ScenarioError at the operation, a bad
 * schedule as a MachineError, as the model does (mmsim exits 2), a default schedule that does not end as
 * BudgetExceeded (exit 3, as the model's); a run that cannot be carried out is `failed`.
 */
export async function runOnHost(sc: CompiledScenario, kernel: string, release: string, opts: HostRunOptions = {}): Promise<HostRun> {
  checkHostLimits(sc);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const fixed = fixedRanges(sc);
  const args = fixed.length ? [`--reserve=${fixed.map(([s, e]) => `0x${s.toString(16)}-0x${e.toString(16)}`).join(',')}`] : [];
  // a scenario with swapon gets swap files of its own, always swapped off and deleted afterwards (swap.ts)
  const swap = prepareSwap(sc);
  // vm.page-cluster an earlier, killed run left at 0
  if (swap) restorePageCluster();
  let untrack = () => {};
  let r: Awaited<ReturnType<typeof runExecutor>>;
  const pool = needsHugetlbPool(sc);
  // a pool an earlier, killed run left set
  if (pool) restoreHugetlbPool();
  const shmemThp = scenarioShmemEnabled(sc) !== null;
  if (shmemThp) restoreShmemEnabled();
  let execPid: number | undefined;
  try {
    r = await runExecutor(args, executorPlan(sc, opts, swap), timeoutMs, (pid) => {
      execPid = pid;
      if (swap) untrack = trackExecutor(pid);
      opts.onSpawn?.(pid);
    }, true);
  } finally {
    untrack();
    if (swap) cleanupSwap(swap);
    // the executor gives vm.page-cluster back with its swap; this is for one that was killed before it could
    if (swap) restorePageCluster(execPid);
    // the executor gives vm.nr_hugepages back itself; this is for one that was killed before it could
    if (pool) restoreHugetlbPool(execPid);
    if (shmemThp) restoreShmemEnabled(execPid);
  }
  if (r.kind === 'timeout' && r.lockWait) {
    return { kind: 'failed', reason: `the machine lock (${process.env.MMSIM_EXEC_LOCK ?? '/tmp/mmsim-exec.lock'}) stayed taken by another executor for ${formatDuration(LOCK_WAIT_MS)}; this run was killed before it started`, ms: r.ms };
  }
  if (r.kind === 'timeout') return { kind: 'failed', reason: `hung: no result within ${formatDuration(timeoutMs)}; the executor and its processes were killed`, ms: r.ms, hung: true };
  if (r.kind === 'signal') return { kind: 'failed', reason: `the executor died of ${r.signal}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`, ms: r.ms };
  let raw: RawRun;
  try {
    raw = JSON.parse(r.stdout) as RawRun;
  } catch {
    return { kind: 'failed', reason: `the executor exited with ${r.code} and no result${r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`, ms: r.ms };
  }
  if (!raw.ok && raw.skip) return { kind: 'skipped', reason: raw.skip, ms: r.ms };
  if (!raw.ok) {
    const error = raw.error ?? 'the executor failed';
    const at = raw.at ? opAt(sc, raw.at.t, raw.at.i) : null;
    if (raw.input) throw at ? errorAt(sc, at.op, error) : new MachineError(error);
    if (raw.incomplete) throw new BudgetExceeded('max-steps', error);
    return { kind: 'failed', reason: at ? `${sc.file}:${at.op.line}:${at.op.col ?? 1}: ${at.op.field ?? at.op.id}: ${error}` : error, ms: r.ms, ...(raw.hung ? { hung: true } : {}) };
  }
  return {
    kind: 'ok', observation: toObservation(sc, raw, kernel, release), ms: r.ms,
    timing: { setupMs: raw.timing.setup_ns / 1e6, runMs: raw.timing.run_ns / 1e6 },
  };
}

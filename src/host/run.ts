// Run a compiled scenario on the real kernel through the native executor, and turn what it reports
// into the model's Observation type, so that the two compare field by field.
import type { CompiledScenario } from '../scenario/load.js';
import type { CompiledOp } from '../scenario/ops.js';
import type { Observation, OpObs, OutObs, ThreadObs } from '../scenario/outcome.js';
import { whereIs, shortHex } from '../scenario/outcome.js';
import { numberPfns, type Snapshot, type PageObs } from '../scenario/observe.js';
import { digestBytes } from '../sched/exec.js';
import { formatSchedule, parseSchedule } from '../sched/machine.js';
import { ERRNO_NAME } from '../kernel/include/errno.js';
import { SIGNAL_NAME } from '../kernel/include/signal.js';
import { runExecutor } from './executor.js';

export interface HostRunOptions {
  /** thread names, one per step, then the default policy (as `mmsim run --schedule`) */
  schedule?: string;
  /** the watchdog, in ms (default 10 s) */
  timeoutMs?: number;
  /** the executor's own limit for one step that neither finishes nor blocks (default 5 s) */
  stepTimeoutMs?: number;
  /** told the executor's pid (= its process group) */
  onSpawn?: (pid: number) => void;
}

/** what the executor prints (native/mmsim-exec.c run_scenario) */
interface RawRun {
  ok: boolean;
  error?: string;
  threads: { name: string; state: string; signal: number; minflt: number; majflt: number }[];
  records: { t: number; i: number; errno: number; result: string | null; out?: OutObs }[];
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
}

export type HostRun =
  | { kind: 'ok'; observation: Observation; timing: { setupMs: number; runMs: number }; ms: number }
  /** the scenario could not be carried out: the executor said why, crashed, or hung */
  | { kind: 'failed'; reason: string; ms: number };

function hexBytes(hex: string): Uint8Array {
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

/** the JSON the executor reads: the compiled scenario and how to run it */
export function executorPlan(sc: CompiledScenario, opts: HostRunOptions): string {
  const { setup, threads, pages, mems, mappings, names, checkpoints, name } = sc;
  return JSON.stringify({
    scenario: { name, setup, threads, pages, mems, mappings, names, checkpoints },
    options: {
      schedule: opts.schedule ? parseSchedule(opts.schedule) : null,
      step_timeout_ms: opts.stepTimeoutMs ?? 5000,
    },
  });
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
    const rec: OpObs = { thread: at.thread, op: at.op.op, errno: r.errno ? ERRNO_NAME[r.errno] ?? String(r.errno) : null, result: r.errno ? null : result };
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
    snapshots[name] = { pages, smaps: s.smaps, vma_count: s.vma_count, vmstat: s.vmstat, data: {}, mem: s.mem ?? {} };
  }
  // the kernel's PFNs become identities (pfn_id), as the model's do; the PFNs themselves are not kept
  const numbered = numberPfns(snapshots, (snap, key) => raw.snapshots[snap]!.pages[key]!.pfn ?? null);
  return {
    scenario: sc.name, kernel, release, source: 'host', threads, ops, mappings, msgs, buffers, snapshots: numbered,
    deadlock: raw.deadlock, schedule: formatSchedule(raw.taken),
  };
}

/** run the scenario on this machine's kernel */
export async function runOnHost(sc: CompiledScenario, kernel: string, release: string, opts: HostRunOptions = {}): Promise<HostRun> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const r = await runExecutor([], executorPlan(sc, opts), timeoutMs, opts.onSpawn);
  if (r.kind === 'timeout') return { kind: 'failed', reason: `hung: no result within ${timeoutMs} ms; the executor and its processes were killed`, ms: r.ms };
  if (r.kind === 'signal') return { kind: 'failed', reason: `the executor died of ${r.signal}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`, ms: r.ms };
  let raw: RawRun;
  try {
    raw = JSON.parse(r.stdout) as RawRun;
  } catch {
    return { kind: 'failed', reason: `the executor exited with ${r.code} and no result${r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`, ms: r.ms };
  }
  if (!raw.ok) return { kind: 'failed', reason: raw.error ?? 'the executor failed', ms: r.ms };
  return {
    kind: 'ok', observation: toObservation(sc, raw, kernel, release), ms: r.ms,
    timing: { setupMs: raw.timing.setup_ns / 1e6, runMs: raw.timing.run_ns / 1e6 },
  };
}

// Benchmark of `mmsim check`: distinct states/s and transitions/s of the exhaustive search on the
// live-snapshot scenario and its 4-vCPU version, with and without sleep sets, and the time to the
// first counterexample; printed against the throughput anchors of ../shared/reference/anchors.md
// §2.3 (SPIN with partial-order reduction on a toy uffd-wp model, a packed-state JavaScript BFS).
//
// Runnable on its own (`node dist/bench/check.js [--quick] [--json]`) or from bench/run.ts through
// runCheckBench(). Rates are given per wall-clock second and per CPU second of this process (the
// machines are shared; CPU time is what the search itself cost). After a warm-up of about 10^5
// steps (at most 10 s), each case runs at least `repeat` times and at least 1.5 s; rates are total work
// over total time, the ms column is the median run, and the per-run states/CPU-s are given as median
// and range (searches of a few ms are below the resolution of CPU time: read their wall-clock rates).
// Then timed runs of their own (search's `timing` option) give where a transition's time goes. This
// machine's speed drifts by up to 2x within minutes: compare versions interleaved, not run after run.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { loadScenario } from '../src/scenario/load.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { Machine } from '../src/sched/machine.js';
import { search, type SearchStats, type SearchTiming } from '../src/explore/search.js';
import { checkScenario, checkScenarioAsync } from '../src/explore/check.js';
import { checkSearchOptions } from '../src/cli/check.js';
import { CHECK_NODE_FLAGS } from '../src/cli/node-flags.js';
import { readFileSync } from 'node:fs';

/** anchors.md §2.3 (measured on these machines) */
export const ANCHORS = {
  target: { statesPerSec: 500_000, what: 'target of the issue (distinct states/s, one core)' },
  spinPor: { statesPerSec: 1_150_000, what: 'SPIN 6.5.2 with partial-order reduction, toy 4-PTE x 3-thread model' },
  spinNoPor: { statesPerSec: 490_000, transitionsPerSec: 2_600_000, what: 'SPIN 6.5.2 without POR, same toy model' },
  jsPackedBfs: { statesPerSec: 420_000, transitionsPerSec: 21_700_000, what: 'JavaScript BFS over uint32-packed states' },
  jsJsonBfs: { transitionsPerSec: 740_000, what: 'JavaScript BFS with JSON.stringify keys' },
} as const;

export interface SearchCase {
  name: string;
  scenario: string;
  kernel: string;
  reduction: boolean;
  distinct: number;
  transitions: number;
  pruned: number;
  /** runs measured (after the warm-up) */
  runs: number;
  /** medians over the runs */
  wallMs: number;
  cpuMs: number;
  /** total work over total time */
  statesPerSec: number;
  transitionsPerSec: number;
  statesPerCpuSec: number;
  transitionsPerCpuSec: number;
  /** per-run distinct states per CPU-second: median and range (the machine is shared) */
  statesPerCpuSecMedian: number;
  statesPerCpuSecMin: number;
  statesPerCpuSecMax: number;
  /** where a transition's time goes, us (a separate timed run: its clock reads add about 0.1 us) */
  split: { clone: number; step: number; fingerprint: number; footprint: number; other: number; total: number };
  complete: boolean;
}

export interface FirstCounterexampleCase {
  name: string;
  scenario: string;
  kernel: string;
  condition: string;
  /** ms from the start of the search to the first state that violates the condition */
  firstViolationMs: number | null;
  /** the whole check: search, shortest counterexample, replay with trace */
  totalMs: number;
  steps: number | null;
}

export interface CheckBenchResult {
  node: string;
  cpus: number;
  loadavg: number[];
  searches: SearchCase[];
  firstCounterexample: FirstCounterexampleCase[];
  anchor: SpinAnchor;
}

/** issue 9, item 8: the explorer against SPIN on live-snapshot with N vCPUs */
export const SPIN_TARGETS = {
  /** distinct states/s on one worker, at 5 and 6 vCPUs */
  statesPerSec: 250_000,
  /** 2 workers over 1 on this 2-core machine */
  speedup2: 1.7,
  /** peak memory per distinct state */
  bytesPerState: 48,
  /** the vCPU counts the rate target applies to */
  rateAt: [5, 6],
} as const;

/** distinct states of live-snapshot with N vCPUs (issue 9), for N = 2..6 */
export const LIVE_SNAPSHOT_STATES: Record<number, number> = { 2: 224, 3: 2774, 4: 34_726, 5: 460_082, 6: 6_659_300 };

export interface AnchorCase {
  vcpus: number;
  scenario: string;
  kernel: string;
  /** mmsim check (sleep sets, one worker), in a process of its own */
  mmsim: {
    distinct: number;
    transitions: number;
    wallMs: number;
    cpuMs: number;
    statesPerSec: number;
    /** the process's peak RSS, and its growth over the RSS before the search */
    peakRssBytes: number;
    rssBeforeBytes: number;
    bytesPerState: number;
    complete: boolean;
  };
  /**
   * pan's multi-core search with 2 cores (-DNCORE=2), beside mmsim's 2 workers: what two cores give the
   * anchor itself on the same graph (null without spin or without 2 workers asked for)
   */
  spin2: null | NonNullable<AnchorCase['spin']>;
  /** pan on bench/spin/live-snapshot.pml (gcc -O2 -DSAFETY), null when spin is not installed */
  spin: null | {
    states: number;
    transitions: number;
    /** pan's own elapsed time (its search), and the wall clock of the pan process */
    elapsedMs: number;
    wallMs: number;
    statesPerSec: number;
    /** pan's "total actual memory usage" (its hash table is preallocated: -w) over the states */
    memoryBytes: number;
    bytesPerState: number;
    hashBits: number;
    /** error text when the run failed (compile error, pan error) */
    error?: string;
  };
  /** the same search with 2 workers (a process of its own), when asked for */
  twoWorkers: null | {
    distinct: number;
    wallMs: number;
    cpuMs: number;
    statesPerSec: number;
    peakRssBytes: number;
    bytesPerState: number;
    /** its states/s over one worker's */
    speedup: number;
    /**
     * 2 x one worker's CPU time over two workers': the speed-up if both cores were the search's alone
     * and the work split evenly (on a shared machine, the wall-clock speed-up says little)
     */
    cpuSpeedup: number;
    /** the 1-minute load average before and after the two runs (this machine is shared) */
    load: [number, number];
    complete: boolean;
    /** the explorers that took part (1: the search was over before the worker thread was ready), and why not all */
    workersUsed: number;
    workersNote: string | null;
  };
  /** the one-worker search without step reuse (`check --no-reuse`), a process of its own, when asked for */
  noReuse: null | {
    distinct: number;
    wallMs: number;
    cpuMs: number;
    statesPerSec: number;
    peakRssBytes: number;
    bytesPerState: number;
    /** the default search's (with reuse) states/s over this one's */
    speedup: number;
    complete: boolean;
  };
  /** SPIN's count equals mmsim's distinct states */
  equal: boolean | null;
  /** mmsim's distinct states/s over SPIN's */
  ratio: number | null;
}

export interface SpinAnchor {
  /** `spin -V`, or null when spin (or gcc) is not on PATH */
  spin: string | null;
  note: string | null;
  cases: AnchorCase[];
}

const here = dirname(fileURLToPath(import.meta.url));
/** the repository root, from src (bench/) or from dist (dist/bench/) */
function root(): string {
  for (const up of ['..', join('..', '..')]) {
    const r = join(here, up);
    if (existsSync(join(r, 'scenarios', 'check', 'live-snapshot.yaml'))) return r;
  }
  throw new Error('cannot find scenarios/check from ' + here);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function runSearch(file: string, kernel: string, reduction: boolean, maxStates?: number, timing?: SearchTiming) {
  const sc = loadScenario(file);
  const m = new Machine(sc, resolveKernel(kernel), { trace: false });
  m.runSetup();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = search(m, { reduction, maxStates, timing });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { r, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function scenarioFor(dir: string, vcpus: number): string {
  return join(dir, 'scenarios', 'check', vcpus === 2 ? 'live-snapshot.yaml' : `live-snapshot-${vcpus}vcpu.yaml`);
}

/**
 * This process's peak RSS. On Linux, VmHWM of /proc/self/status (the high-water mark of this process's own
 * memory): getrusage's maxRSS of a spawned child starts from its parent's high-water mark (Linux keeps
 * it across the exec of a vfork'd child), which made every search below the bench process's own size look
 * as large as it (153 MiB at 4 and at 5 vCPUs)
 */
function peakRss(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: getrusage
  }
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * The child process of an anchor run: `mmsim check --workers N` (the CLI's options, checkScenarioAsync:
 * the setup, the search, the verdicts), then its figures as one JSON line. With one
 * worker, the search on this thread (sleep sets, no explored edges); with several, parallel.ts, the
 * worker threads' start-up included.
 */
async function anchorChild(file: string, kernel: string, workers: number, reuse: boolean): Promise<void> {
  const sc = loadScenario(file);
  const spec = resolveKernel(kernel);
  const opts = checkSearchOptions({ kernel: [], patch: [], config: [], progress: false, workers, reuse }, workers, false);
  const rssBefore = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await checkScenarioAsync(sc, spec, { ...opts, trace: false });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const peak = peakRss();
  process.stdout.write(JSON.stringify({
    distinct: r.stats.distinct, transitions: (r.stats as SearchStats).transitions, wallMs, cpuMs: (cpu.user + cpu.system) / 1000,
    rssBefore, peak, complete: r.complete, workersUsed: r.workers, workersNote: r.workersNote,
  }) + '\n');
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** pan on the Promela model with `vcpus` vCPUs, compiled in a temporary directory */
function runSpin(model: string, vcpus: number, ncore = 1): NonNullable<AnchorCase['spin']> {
  const dir = mkdtempSync(join(tmpdir(), 'mmsim-spin-'));
  // the hash table is preallocated: 2^w slots, about one per state (pan's default is 2^19)
  const hashBits = Math.max(16, Math.ceil(Math.log2(LIVE_SNAPSHOT_STATES[vcpus] ?? 1 << 20)));
  const fail = (error: string) => ({ states: 0, transitions: 0, elapsedMs: 0, wallMs: 0, statesPerSec: 0, memoryBytes: 0, bytesPerState: 0, hashBits, error });
  try {
    copyFileSync(model, join(dir, 'model.pml'));
    const gen = spawnSync('spin', [`-DNVCPU=${vcpus}`, '-a', 'model.pml'], { cwd: dir, encoding: 'utf8' });
    if (gen.status !== 0) return fail(`spin -a: ${(gen.stdout + gen.stderr).trim().split('\n').slice(-3).join(' ')}`);
    // ncore > 1: pan's multi-core search (-DNCORE: one process per core over a shared hash table)
    const cc = spawnSync('gcc', ['-O2', '-DSAFETY', ...(ncore > 1 ? [`-DNCORE=${ncore}`] : []), '-w', '-o', 'pan', 'pan.c'], { cwd: dir, encoding: 'utf8' });
    if (cc.status !== 0) return fail(`gcc: ${cc.stderr.trim().split('\n').slice(-3).join(' ')}`);
    const t0 = performance.now();
    const run = spawnSync('./pan', [`-w${hashBits}`], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 24 });
    const wallMs = performance.now() - t0;
    const out = run.stdout ?? '';
    const num = (re: RegExp) => { const x = re.exec(out); return x ? Number(x[1]) : NaN; };
    const states = num(/^\s*(\d+) states, stored/m);
    const errors = num(/errors: (\d+)/);
    if (!Number.isFinite(states)) return fail(`pan printed no state count (exit ${run.status}): ${out.trim().split('\n').slice(-3).join(' ')}`);
    // (multi-core: the first core's, which waits for the others)
    const elapsed = ncore > 1 ? num(/cpu0: elapsed time ([\d.e+]+) seconds/) : num(/pan: elapsed time ([\d.e+]+) seconds/);
    // pan prints its elapsed time in 10 ms steps: below 0.1 s, the process's wall clock says more
    const elapsedMs = Number.isFinite(elapsed) && elapsed >= 0.1 ? elapsed * 1000 : wallMs;
    const memoryBytes = num(/([\d.]+)\s+total actual memory usage/) * 1024 * 1024;
    return {
      states, transitions: num(/^\s*(\d+) transitions/m), elapsedMs, wallMs, statesPerSec: (states / elapsedMs) * 1000,
      memoryBytes, bytesPerState: memoryBytes / states, hashBits,
      ...(errors !== 0 ? { error: `pan found ${errors} error(s): an assertion of the model failed` } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** live-snapshot with each number of vCPUs: mmsim check in a process of its own, then SPIN */
export function runSpinAnchor(opts: { vcpus: number[]; log?: (s: string) => void; workers2?: boolean; noReuse?: boolean }): SpinAnchor {
  const dir = root();
  const log = opts.log ?? (() => {});
  const model = join(dir, 'bench', 'spin', 'live-snapshot.pml');
  const haveSpin = which('spin') && which('gcc');
  const spin = haveSpin ? (spawnSync('spin', ['-V'], { encoding: 'utf8' }).stdout ?? '').trim() : null;
  const note = haveSpin ? null : 'spin (or gcc) is not installed: no SPIN run (Debian: apt-get install spin; the bench installs nothing)';
  const kernel = 'v6.18';
  const self = fileURLToPath(import.meta.url);
  const cases: AnchorCase[] = [];
  for (const vcpus of opts.vcpus) {
    const file = scenarioFor(dir, vcpus);
    log(`  anchor: mmsim check live-snapshot, ${vcpus} vCPUs ...`);
    type ChildOut = { distinct: number; transitions: number; wallMs: number; cpuMs: number; rssBefore: number; peak: number; complete: boolean; workersUsed: number; workersNote: string | null };
    // the search as `mmsim check` runs it by default (step reuse on), unless reuse is false
    const runChild = (workers: number, reuse = true): ChildOut => {
      // with the node options `mmsim check` runs with (bin/mmsim.js, src/cli/node-flags.ts)
      const child = spawnSync(process.execPath, [...CHECK_NODE_FLAGS, self, '--anchor-child', file, kernel, String(workers), reuse ? 'reuse' : 'fresh'], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (child.status !== 0) throw new Error(`anchor run of ${file} (${workers} workers) failed: ${child.stderr}`);
      return JSON.parse(child.stdout.trim().split('\n').pop()!) as ChildOut;
    };
    const load0 = loadavg()[0]!;
    const x = runChild(1);
    const mm: AnchorCase['mmsim'] = {
      distinct: x.distinct, transitions: x.transitions, wallMs: x.wallMs, cpuMs: x.cpuMs, statesPerSec: (x.distinct / x.wallMs) * 1000,
      peakRssBytes: x.peak, rssBeforeBytes: x.rssBefore, bytesPerState: (x.peak - x.rssBefore) / x.distinct, complete: x.complete,
    };
    let two: AnchorCase['twoWorkers'] = null;
    if (opts.workers2 !== false) {
      log(`  anchor: mmsim check live-snapshot, ${vcpus} vCPUs, 2 workers ...`);
      const y = runChild(2);
      const rate = (y.distinct / y.wallMs) * 1000;
      two = {
        distinct: y.distinct, wallMs: y.wallMs, cpuMs: y.cpuMs, statesPerSec: rate, peakRssBytes: y.peak,
        bytesPerState: (y.peak - y.rssBefore) / y.distinct, speedup: rate / mm.statesPerSec, cpuSpeedup: (2 * x.cpuMs) / y.cpuMs,
        load: [load0, loadavg()[0]!], complete: y.complete, workersUsed: y.workersUsed, workersNote: y.workersNote,
      };
    }
    let re: AnchorCase['noReuse'] = null;
    if (opts.noReuse !== false) {
      log(`  anchor: mmsim check --no-reuse live-snapshot, ${vcpus} vCPUs ...`);
      const z = runChild(1, false);
      const rate = (z.distinct / z.wallMs) * 1000;
      re = {
        distinct: z.distinct, wallMs: z.wallMs, cpuMs: z.cpuMs, statesPerSec: rate, peakRssBytes: z.peak,
        bytesPerState: (z.peak - z.rssBefore) / z.distinct, speedup: mm.statesPerSec / rate, complete: z.complete,
      };
    }
    let sp: AnchorCase['spin'] = null;
    if (haveSpin) {
      log(`  anchor: SPIN on bench/spin/live-snapshot.pml, ${vcpus} vCPUs ...`);
      sp = runSpin(model, vcpus);
    }
    let sp2: AnchorCase['spin2'] = null;
    if (haveSpin && opts.workers2 !== false) {
      log(`  anchor: SPIN with 2 cores (-DNCORE=2), ${vcpus} vCPUs ...`);
      sp2 = runSpin(model, vcpus, 2);
    }
    const ok = sp !== null && sp.error === undefined;
    cases.push({
      vcpus, scenario: file, kernel, mmsim: mm, twoWorkers: two, noReuse: re, spin: sp, spin2: sp2,
      equal: ok ? sp!.states === mm.distinct : null,
      ratio: ok ? mm.statesPerSec / sp!.statesPerSec : null,
    });
  }
  return { spin, note, cases };
}

export function runCheckBench(opts: { quick?: boolean; repeat?: number; six?: boolean; log?: (s: string) => void } = {}): CheckBenchResult {
  const dir = root();
  const live = join(dir, 'scenarios', 'check', 'live-snapshot.yaml');
  const live4 = join(dir, 'scenarios', 'check', 'live-snapshot-4vcpu.yaml');
  const repeat = opts.repeat ?? (opts.quick ? 1 : 3);
  const minMs = opts.quick ? 300 : 1500;
  const log = opts.log ?? (() => {});
  const searches: SearchCase[] = [];
  const cases: [string, string, string, boolean, number | undefined][] = [
    ['live-snapshot', live, 'v6.12', true, undefined],
    ['live-snapshot', live, 'v6.12', false, undefined],
    ['live-snapshot', live, 'v4.19-uffd-wp-2018+fault-retry-unlimited', true, undefined],
    ['live-snapshot-4vcpu', live4, 'v6.12', true, opts.quick ? 5000 : undefined],
    ['live-snapshot-4vcpu', live4, 'v6.12', false, opts.quick ? 5000 : undefined],
  ];
  for (const [name, file, kernel, reduction, maxStates] of cases) {
    // warm-up: the JIT needs some 10^5 steps before the model's code is optimised
    for (let warm = 0, t0 = performance.now(); warm < 100_000 && performance.now() - t0 < 10_000;) {
      warm += runSearch(file, kernel, reduction, Math.min(maxStates ?? 5000, 5000)).r.stats.transitions;
    }
    // repeat until `repeat` runs and at least minMs of searching, then rate = total work / total time
    const runs: ReturnType<typeof runSearch>[] = [];
    let spent = 0;
    while (runs.length < repeat || spent < minMs) {
      const x = runSearch(file, kernel, reduction, maxStates);
      runs.push(x);
      spent += x.wallMs;
    }
    const sum = (f: (x: (typeof runs)[number]) => number) => runs.reduce((a, x) => a + f(x), 0);
    const wallAll = sum((x) => x.wallMs), cpuAll = sum((x) => x.cpuMs);
    const st = runs[0]!.r.stats;
    const perRun = runs.map((x) => (x.r.stats.distinct / Math.max(x.cpuMs, 1e-3)) * 1000);
    // the time split, from timed runs of their own
    const timing: SearchTiming = { clone: 0, step: 0, fingerprint: 0, footprint: 0, total: 0 };
    let timedTransitions = 0;
    for (let i = 0, spentT = 0; i < Math.max(1, Math.min(repeat, 3)) || spentT < minMs / 3; i++) {
      const x = runSearch(file, kernel, reduction, maxStates, timing);
      timedTransitions += x.r.stats.transitions;
      spentT += x.wallMs;
    }
    const us = (ms: number) => (ms / Math.max(timedTransitions, 1)) * 1000;
    const split = {
      clone: us(timing.clone), step: us(timing.step), fingerprint: us(timing.fingerprint), footprint: us(timing.footprint),
      other: us(timing.total - timing.clone - timing.step - timing.fingerprint - timing.footprint), total: us(timing.total),
    };
    const c: SearchCase = {
      name, scenario: file, kernel, reduction, distinct: st.distinct, transitions: st.transitions, pruned: st.pruned, runs: runs.length,
      wallMs: median(runs.map((x) => x.wallMs)), cpuMs: median(runs.map((x) => x.cpuMs)),
      statesPerSec: (sum((x) => x.r.stats.distinct) / wallAll) * 1000, transitionsPerSec: (sum((x) => x.r.stats.transitions) / wallAll) * 1000,
      statesPerCpuSec: (sum((x) => x.r.stats.distinct) / cpuAll) * 1000, transitionsPerCpuSec: (sum((x) => x.r.stats.transitions) / cpuAll) * 1000,
      statesPerCpuSecMedian: median(perRun), statesPerCpuSecMin: Math.min(...perRun), statesPerCpuSecMax: Math.max(...perRun),
      split, complete: runs[0]!.r.complete,
    };
    searches.push(c);
    log(`  ${name} ${kernel} ${reduction ? 'sleep sets' : 'no reduction'}: ${c.distinct} states in ${c.wallMs.toFixed(0)} ms (${runs.length} runs)`);
  }
  const firstCounterexample: FirstCounterexampleCase[] = [];
  const fc: [string, string, string, string][] = [
    ['live-snapshot', live, 'v4.19-uffd-wp-2018', 'no_sigbus'],
    ['live-snapshot', live, 'v4.19-uffd-wp-2018+fault-retry-unlimited', 'no_livelock'],
    ['live-snapshot-4vcpu', live4, 'v4.19-uffd-wp-2018', 'no_sigbus'],
  ];
  for (const [name, file, kernel, cond] of fc) {
    const sc = loadScenario(file);
    checkScenario(sc, resolveKernel(kernel), { maxStates: 200, trace: false }); // warm-up
    const runs = Array.from({ length: repeat }, () => {
      const t0 = performance.now();
      const r = checkScenario(sc, resolveKernel(kernel), {});
      return { r, totalMs: performance.now() - t0 };
    });
    const r = runs[0]!.r;
    const c = r.conditions.find((x) => x.name === cond)!;
    firstCounterexample.push({
      name, scenario: file, kernel, condition: cond,
      firstViolationMs: runs.every((x) => x.r.firstViolationMs !== null) ? median(runs.map((x) => x.r.firstViolationMs!)) : null,
      totalMs: median(runs.map((x) => x.totalMs)), steps: c.counterexample?.steps ?? null,
    });
    log(`  first counterexample ${name} ${kernel}: ${c.counterexample?.schedule ?? 'none'}`);
  }
  const anchor = runSpinAnchor({ vcpus: opts.quick ? [4] : opts.six ? [4, 5, 6] : [4, 5], log });
  return { node: process.version, cpus: cpus().length, loadavg: loadavg(), searches, firstCounterexample, anchor };
}

const k = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0));
const ratio = (x: number, anchor: number) => `${((x / anchor) * 100).toFixed(1)} %`;

export function formatCheckBench(b: CheckBenchResult): string[] {
  const out: string[] = [];
  out.push(`mmsim check benchmark  (node ${b.node}, ${b.cpus} CPUs, load ${b.loadavg.map((x) => x.toFixed(2)).join(' ')}; one core)`);
  out.push('');
  out.push('Exhaustive search                      states   transitions  pruned  ms (median)   states/s   trans/s   states/CPU-s  trans/CPU-s   states/CPU-s per run: median [min-max]');
  for (const c of b.searches) {
    const label = `${c.name} ${c.kernel.replace('v4.19-uffd-wp-2018+', '2018+')}${c.reduction ? ' +SS' : ''}`;
    out.push(`  ${label.padEnd(38)}${String(c.distinct).padStart(7)}${String(c.transitions).padStart(13)}${String(c.pruned).padStart(8)}` +
      `${c.wallMs.toFixed(0).padStart(11)}${k(c.statesPerSec).padStart(11)}${k(c.transitionsPerSec).padStart(10)}${k(c.statesPerCpuSec).padStart(15)}${k(c.transitionsPerCpuSec).padStart(13)}` +
      `   ${k(c.statesPerCpuSecMedian)} [${k(c.statesPerCpuSecMin)}-${k(c.statesPerCpuSecMax)}] (${c.runs} runs)${c.complete ? '' : '  (cut)'}`);
  }
  out.push('  (+SS: sleep sets; pruned: steps the sleep sets did not take)');
  out.push('');
  out.push('Time per transition (us, timed runs)       clone     step  fingerprint  footprints  search   total');
  for (const c of b.searches) {
    const label = `${c.name} ${c.kernel.replace('v4.19-uffd-wp-2018+', '2018+')}${c.reduction ? ' +SS' : ''}`;
    const x = c.split;
    out.push(`  ${label.padEnd(38)}${x.clone.toFixed(2).padStart(9)}${x.step.toFixed(2).padStart(9)}${x.fingerprint.toFixed(2).padStart(13)}${x.footprint.toFixed(2).padStart(12)}${x.other.toFixed(2).padStart(8)}${x.total.toFixed(2).padStart(8)}`);
  }
  out.push('  (step: the kernel model and scenario ops; footprints: read/write sets of sleep sets; search: the rest)');
  out.push('');
  out.push('Time to the first counterexample');
  for (const c of b.firstCounterexample) {
    out.push(`  ${`${c.name} ${c.kernel} ${c.condition}`.padEnd(66)} first violation ${c.firstViolationMs === null ? '-' : c.firstViolationMs.toFixed(1) + ' ms'}, ` +
      `whole check with shortest counterexample + traced replay ${c.totalMs.toFixed(0)} ms (${c.steps ?? '-'} steps)`);
  }
  out.push('');
  const best = b.searches.reduce((a, c) => (c.statesPerCpuSec > a.statesPerCpuSec ? c : a));
  const bestT = b.searches.reduce((a, c) => (c.transitionsPerCpuSec > a.transitionsPerCpuSec ? c : a));
  out.push(`Against the anchors (best case: ${best.name} ${best.kernel}${best.reduction ? ' +SS' : ''}, ${k(best.statesPerCpuSec)} distinct states per CPU-second; ${k(bestT.transitionsPerCpuSec)} transitions per CPU-second)`);
  out.push(`  target 500 k states/s (issue):                 ${ratio(best.statesPerCpuSec, ANCHORS.target.statesPerSec)}  ${best.statesPerCpuSec >= ANCHORS.target.statesPerSec ? 'MET' : 'NOT MET'}`);
  out.push(`  SPIN with POR, 1.15 M states/s:                ${ratio(best.statesPerCpuSec, ANCHORS.spinPor.statesPerSec)}`);
  out.push(`  SPIN without POR, 0.49 M states/s, 2.6 M tr/s: ${ratio(best.statesPerCpuSec, ANCHORS.spinNoPor.statesPerSec)} of its states/s, ${ratio(bestT.transitionsPerCpuSec, ANCHORS.spinNoPor.transitionsPerSec)} of its transitions/s`);
  out.push(`  packed JS BFS, 0.42 M states/s, 21.7 M tr/s:   ${ratio(best.statesPerCpuSec, ANCHORS.jsPackedBfs.statesPerSec)} of its states/s, ${ratio(bestT.transitionsPerCpuSec, ANCHORS.jsPackedBfs.transitionsPerSec)} of its transitions/s`);
  out.push(`  JSON-keyed JS BFS, 0.74 M tr/s:                ${ratio(bestT.transitionsPerCpuSec, ANCHORS.jsJsonBfs.transitionsPerSec)} of its transitions/s`);
  out.push('  (the anchors step a 48-byte toy state; a step here runs the kernel model: page walk, fault path,');
  out.push('   handle_userfault, THP split, change_protection, a 4 KiB copy; and the state is the whole machine)');
  out.push('');
  out.push(...formatSpinAnchor(b.anchor));
  return out;
}

const mb = (x: number) => `${(x / 1048576).toFixed(0)} MiB`;

export function formatSpinAnchor(a: SpinAnchor): string[] {
  const out: string[] = [];
  out.push(`Speed anchor: live-snapshot with N vCPUs (v6.18), mmsim check as it runs by default (sleep sets, step reuse; one worker, a process of its own) against SPIN`);
  out.push(`  on bench/spin/live-snapshot.pml (the same state graph; gcc -O2 -DSAFETY)${a.spin ? `: ${a.spin}` : ''}`);
  if (a.note) out.push(`  note: ${a.note}`);
  out.push('  vCPUs   distinct states   mmsim s   mmsim states/s   peak RSS (growth)   bytes/state      SPIN states   SPIN s   SPIN states/s   SPIN bytes/state   mmsim/SPIN');
  for (const c of a.cases) {
    const m = c.mmsim, s = c.spin;
    const spinCols = s === null ? '               -        -               -                  -            -'
      : s.error !== undefined && s.states === 0 ? `   error: ${s.error}`
      : `${String(s.states).padStart(16)}${(s.elapsedMs / 1000).toFixed(2).padStart(9)}${k(s.statesPerSec).padStart(16)}${s.bytesPerState.toFixed(0).padStart(19)}` +
        `${(c.ratio === null ? '-' : `${(c.ratio * 100).toFixed(1)} %`).padStart(13)}`;
    out.push(`  ${String(c.vcpus).padStart(5)}${String(m.distinct).padStart(18)}${(m.wallMs / 1000).toFixed(2).padStart(10)}${k(m.statesPerSec).padStart(17)}` +
      `${`${mb(m.peakRssBytes)} (${mb(m.peakRssBytes - m.rssBeforeBytes)})`.padStart(20)}${m.bytesPerState.toFixed(0).padStart(14)}${spinCols}${m.complete ? '' : '  (cut)'}`);
  }
  for (const c of a.cases) {
    const t = c.twoWorkers;
    if (t === null) continue;
    out.push(`  ${c.vcpus} vCPUs, 2 workers: ${t.distinct} distinct states${t.distinct === c.mmsim.distinct ? '' : ' (ONE WORKER FOUND ' + c.mmsim.distinct + ')'} in ${(t.wallMs / 1000).toFixed(2)} s` +
      ` (CPU ${(t.cpuMs / 1000).toFixed(2)} s), ${k(t.statesPerSec)} states/s: ${t.speedup.toFixed(2)}x one worker` +
      ` (target >= ${SPIN_TARGETS.speedup2}x: ${t.speedup >= SPIN_TARGETS.speedup2 ? 'met' : 'not met'}); CPU ${(c.mmsim.cpuMs / 1000).toFixed(2)} s -> ${(t.cpuMs / 1000).toFixed(2)} s,` +
      ` ${t.cpuSpeedup.toFixed(2)}x if both cores were its own; load ${t.load.map((x) => x.toFixed(2)).join(' -> ')}; peak RSS ${mb(t.peakRssBytes)}, ${t.bytesPerState.toFixed(0)} B/state` +
      `${t.workersUsed < 2 ? ` (ONE EXPLORER TOOK PART: ${t.workersNote ?? ''})` : ''}`);
    const s1 = c.spin, s2 = c.spin2;
    if (s1 !== null && s2 !== null && s1.error === undefined) {
      out.push(s2.error !== undefined && s2.states === 0 ? `    SPIN with 2 cores (-DNCORE=2): ${s2.error}`
        : `    SPIN with 2 cores (-DNCORE=2) on the same graph: ${s2.states} states in ${(s2.elapsedMs / 1000).toFixed(2)} s, ${k(s2.statesPerSec)} states/s: ${(s2.statesPerSec / s1.statesPerSec).toFixed(2)}x its one core`);
    }
  }
  for (const c of a.cases) {
    const z = c.noReuse;
    if (z === null) continue;
    out.push(`  ${c.vcpus} vCPUs, without step reuse (--no-reuse): ${z.distinct} distinct states${z.distinct === c.mmsim.distinct ? '' : ' (WITH REUSE: ' + c.mmsim.distinct + ')'} in ${(z.wallMs / 1000).toFixed(2)} s` +
      ` (CPU ${(z.cpuMs / 1000).toFixed(2)} s), ${k(z.statesPerSec)} states/s: reuse is ${z.speedup.toFixed(2)}x faster; peak RSS ${mb(z.peakRssBytes)}, ${z.bytesPerState.toFixed(0)} B/state` +
      `${c.ratio === null || c.spin === null ? '' : `; ${((z.statesPerSec / c.spin.statesPerSec) * 100).toFixed(1)} % of SPIN`}`);
  }
  for (const c of a.cases) {
    if (c.spin === null) continue;
    if (c.spin.error !== undefined) out.push(`  ${c.vcpus} vCPUs: SPIN: ${c.spin.error}`);
    else if (c.equal) out.push(`  ${c.vcpus} vCPUs: the state counts are equal (${c.mmsim.distinct}); pan's transitions ${c.spin.transitions} (stored + matched, the initial state included), mmsim's ${c.mmsim.transitions} (sleep sets)`);
    else out.push(`  ${c.vcpus} vCPUs: THE STATE COUNTS DIFFER: mmsim ${c.mmsim.distinct}, SPIN ${c.spin.states}: the model or the explorer changed the state graph`);
    const known = LIVE_SNAPSHOT_STATES[c.vcpus];
    if (known !== undefined && c.mmsim.complete && c.mmsim.distinct !== known) out.push(`  ${c.vcpus} vCPUs: mmsim's count differs from the issue's ${known}`);
  }
  out.push('  (peak RSS: the child process\'s maximum; bytes/state: its growth during the search over the distinct states.');
  out.push('   SPIN bytes/state: pan\'s total memory, its preallocated hash table of 2^w slots included, over its states)');
  out.push(`  Targets (issue 9): >= ${k(SPIN_TARGETS.statesPerSec)} distinct states/s on one worker at ${SPIN_TARGETS.rateAt.join(' and ')} vCPUs; <= ${SPIN_TARGETS.bytesPerState} bytes of peak memory per distinct state`);
  for (const c of a.cases) {
    const m = c.mmsim;
    const rate = (SPIN_TARGETS.rateAt as readonly number[]).includes(c.vcpus)
      ? `rate ${k(m.statesPerSec)}/s ${m.statesPerSec >= SPIN_TARGETS.statesPerSec ? 'met' : 'not met'}`
      : `rate ${k(m.statesPerSec)}/s (the target is for ${SPIN_TARGETS.rateAt.join(' and ')} vCPUs)`;
    const memo = `memory ${m.bytesPerState.toFixed(0)} B/state ${m.bytesPerState <= SPIN_TARGETS.bytesPerState ? 'met' : 'not met'}`;
    const spin = c.ratio === null ? '' : `; ${(c.ratio * 100).toFixed(1)} % of SPIN's ${k(c.spin!.statesPerSec)}/s in this run`;
    out.push(`    ${c.vcpus} vCPUs: ${rate}; ${memo}${spin}`);
  }
  return out;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
export function main(): void {
  const ai = process.argv.indexOf('--anchor-child');
  if (ai >= 0) {
    void anchorChild(process.argv[ai + 1]!, process.argv[ai + 2]!, Number(process.argv[ai + 3] ?? '1'), process.argv[ai + 4] === 'reuse');
    return;
  }
  const quick = process.argv.includes('--quick');
  const json = process.argv.includes('--json');
  const six = process.argv.includes('--six');
  if (process.argv.includes('--anchor')) {
    // the anchor alone: 4 and 5 vCPUs (and 6 with --six)
    const a = runSpinAnchor({ vcpus: six ? [4, 5, 6] : [4, 5], log: json ? undefined : (s) => process.stderr.write(s + '\n') });
    process.stdout.write(json ? JSON.stringify(a, null, 2) + '\n' : formatSpinAnchor(a).join('\n') + '\n');
    return;
  }
  const b = runCheckBench({ quick, six, log: json ? undefined : (s) => process.stderr.write(s + '\n') });
  process.stdout.write(json ? JSON.stringify(b, null, 2) + '\n' : formatCheckBench(b).join('\n') + '\n');
}
if (isMain) main();

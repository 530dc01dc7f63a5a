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
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { loadScenario } from '../src/scenario/load.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { Machine } from '../src/sched/machine.js';
import { search, type SearchTiming } from '../src/explore/search.js';
import { checkScenario } from '../src/explore/check.js';

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

export function runCheckBench(opts: { quick?: boolean; repeat?: number; log?: (s: string) => void } = {}): CheckBenchResult {
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
  return { node: process.version, cpus: cpus().length, loadavg: loadavg(), searches, firstCounterexample };
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
  return out;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
export function main(): void {
  const quick = process.argv.includes('--quick');
  const json = process.argv.includes('--json');
  const b = runCheckBench({ quick, log: json ? undefined : (s) => process.stderr.write(s + '\n') });
  process.stdout.write(json ? JSON.stringify(b, null, 2) + '\n' : formatCheckBench(b).join('\n') + '\n');
}
if (isMain) main();

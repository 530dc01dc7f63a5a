// `mmsim check FILE`: explore every interleaving of a scenario's threads on one or more kernels and
// print herd7-style verdicts (see explore/check.ts). Exit status: 0 when every kernel gives the
// verdicts the scenario expects (or, without a verdict list, every condition holds), 1 otherwise,
// 2 on bad input.
import { availableParallelism } from 'node:os';
import { readScenarioArg } from './input.js';
import { ScenarioError, scenarioKernel, type Verdict } from '../scenario/load.js';
import { Budget, defaultMemoryBytes, parseMemory } from '../sched/budget.js';
import { checkScenarioAsync, type CheckOptions, type CheckResult } from '../explore/check.js';
import { REDUCTION_NAMES, type ReductionName } from '../explore/reduction.js';
import { MAX_WORKERS } from '../explore/shared-table.js';
import { CheckError } from '../explore/errors.js';
import { checkJson, formatCheck, progressLine } from '../explore/report.js';

export interface CheckCliOptions {
  kernel: string[];
  patch: string[];
  config: string[];
  maxStates?: number;
  maxTime?: number;
  maxDepth?: number;
  maxMemory?: string;
  /** --reduction NAME, or false from --no-reduction (its old spelling) */
  reduction?: string | boolean;
  workers?: number;
  /** --reuse (the default) / --no-reuse */
  reuse?: boolean;
  verifyReuse?: boolean;
  stats?: boolean;
  random?: number;
  seed?: number;
  pct?: boolean;
  pctDepth?: number;
  json?: boolean;
  quiet?: boolean;
  progress: boolean;
}

/**
 * 0: every condition as expected; 1: one is not, and no further exploration could change that; 3: a
 * budget stopped the search before an answer. An incomplete search still knows something: having seen
 * P true rules out Never, having seen it false rules out Always; a condition is decided when every
 * verdict still possible gives the same answer.
 */
export function checkExitCode(r: CheckResult): 0 | 1 | 3 {
  if (r.conditions.length === 0) return r.deadlocks + r.livelocks > 0 ? 1 : r.complete ? 0 : 3;
  let undecided = false;
  for (const c of r.conditions) {
    const possible: Verdict[] = r.complete ? [c.observation]
      : (['Always', 'Sometimes', 'Never'] as Verdict[]).filter((v) => !(v === 'Never' && c.positive > 0) && !(v === 'Always' && c.negative > 0));
    const okIf = (v: Verdict) => (c.expected ? c.expected.includes(v) : c.kind === 'exists' ? v !== 'Never' : c.kind === 'forall' ? v === 'Always' : v === 'Never');
    const answers = new Set(possible.map(okIf));
    if (answers.size > 1) undecided = true;
    else if (!answers.has(true)) return 1;
  }
  return undecided ? 3 : 0;
}

/**
 * ms a search without --workers runs on the main thread alone before it starts the worker threads (a
 * search over by then starts none; the main thread's search goes on either way)
 */
export const WORKERS_AFTER_MS = 20;

/** the search's options as `mmsim check` gives them (without the progress line) */
export function checkSearchOptions(o: CheckCliOptions, workers: number, debug: boolean): CheckOptions {
  const reduction: ReductionName = o.reduction === false ? 'none' : o.reduction === undefined || o.reduction === true ? 'sleep' : o.reduction as ReductionName;
  return {
    reduction, workers: Math.min(workers, MAX_WORKERS),
    // without --workers, a search over within WORKERS_AFTER_MS starts no worker thread
    workersAfterMs: o.workers === undefined ? WORKERS_AFTER_MS : 0, maxStates: o.maxStates, maxTime: o.maxTime, maxDepth: o.maxDepth,
    random: o.random, seed: o.seed, pct: o.pct, pctDepth: o.pctDepth, debug,
    reuse: o.verifyReuse ? 'verify' : o.reuse === false ? 'off' : 'on',
  };
}

function badMemory(v: string): never {
  throw new CheckError(`--max-memory must be a size: 512, 512M, 2G, not '${v}'`);
}

/** `mmsim check FILE` with its options (registered in commands.ts): prints the verdicts, returns the exit status */
export async function checkCommand(file: string, o: CheckCliOptions, debug: boolean): Promise<number> {
  const sc = readScenarioArg(file);
  const reduction: ReductionName = o.reduction === false ? 'none' : o.reduction === undefined || o.reduction === true ? 'sleep' : o.reduction as ReductionName;
  if (!REDUCTION_NAMES.includes(reduction)) throw new CheckError(`--reduction must be one of ${REDUCTION_NAMES.join(', ')}, not '${String(o.reduction)}'`);
  const workers = o.workers ?? availableParallelism();
  if (o.workers !== undefined && (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > MAX_WORKERS)) {
    throw new CheckError(`--workers must be a whole number from 1 to ${MAX_WORKERS}, not '${o.workers}'`);
  }
  const kernels = o.kernel.length ? o.kernel : sc.kernel ? [sc.kernel] : [];
  if (kernels.length === 0) throw new ScenarioError(sc.file, 1, 1, 'kernel', "no kernel given (use --kernel, or 'kernel:' in the scenario)");
  if (o.seed !== undefined && o.random === undefined) throw new CheckError('--seed goes with --random');
  if ((o.pct || o.pctDepth !== undefined) && o.random === undefined) throw new CheckError('--pct goes with --random');
  const specs = kernels.map((k) => scenarioKernel(sc, k, o.patch, o.config));
  const tty = process.stderr.isTTY === true && o.progress !== false;
  const results: CheckResult[] = [];
  // the setup (and anything else outside the search) is bounded too: the search stops itself at
  // --max-time with what it found; a budget per kernel, a little later, stops what the search does not
  const maxMemoryBytes = o.maxMemory !== undefined ? parseMemory(o.maxMemory) ?? badMemory(o.maxMemory) : defaultMemoryBytes();
  for (const spec of specs) await new Budget({
    maxTimeMs: o.maxTime !== undefined ? o.maxTime * 1000 * 1.1 + 500 : undefined,
    timeLabel: `--max-time ${o.maxTime} s (${spec.name})`,
    maxMemoryBytes,
  }).runAsync(async () => {
    const r = await checkScenarioAsync(sc, spec, {
      ...checkSearchOptions(o, workers, debug),
      onProgress: tty ? (p) => process.stderr.write(`\r\x1b[K${progressLine(p, spec.name)}`) : undefined,
    });
    if (tty) process.stderr.write('\r\x1b[K');
    results.push(r);
    if (!o.json) {
      process.stdout.write(formatCheck(r, { traces: !o.quiet, stats: o.stats === true }).join('\n') + '\n');
      if (specs.length > 1) process.stdout.write('\n');
    }
  });
  if (o.json) process.stdout.write(JSON.stringify(results.map(checkJson), (_k, v) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v), 2) + '\n');
  else if (results.length > 1) {
    process.stdout.write('Summary\n');
    for (const r of results) {
      const v = r.conditions.map((c) => `${c.name}=${c.observation}`).join(' ');
      process.stdout.write(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.kernel.padEnd(44)} ${v}${r.complete ? '' : ' (incomplete)'}\n`);
    }
  }
  return Math.max(...results.map(checkExitCode));
}

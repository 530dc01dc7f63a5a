// `mmsim check FILE`: explore every interleaving of a scenario's threads on one or more kernels and
// print herd7-style verdicts (see explore/check.ts). Exit status: 0 when every kernel gives the
// verdicts the scenario expects (or, without a verdict list, every condition holds), 1 otherwise,
// 2 on bad input.
import type { Command } from 'commander';
import { readScenarioArg } from './input.js';
import { ScenarioError, type Verdict } from '../scenario/load.js';
import { Budget, defaultMemoryBytes, parseMemory } from '../sched/budget.js';
import { resolveKernel } from '../profiles/profiles.js';
import { checkScenario, CheckError, CheckResult } from '../explore/check.js';
import { checkJson, formatCheck, progressLine } from '../explore/report.js';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function count(name: string, min: number) {
  return (v: string): number => {
    const x = Number(v.replace(/_/g, ''));
    if (!Number.isFinite(x) || x < min || (min >= 1 && !Number.isInteger(x))) throw new CheckError(`--${name} must be a number ≥ ${min}, not '${v}'`);
    return x;
  };
}

interface CheckCliOptions {
  kernel: string[];
  patch: string[];
  config: string[];
  maxStates?: number;
  maxTime?: number;
  maxDepth?: number;
  maxMemory?: string;
  reduction: boolean;
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

function badMemory(v: string): never {
  throw new CheckError(`--max-memory must be a size: 512, 512M, 2G, not '${v}'`);
}

/** debug: the whole-state invariants after every step explored (mmsim --debug) */
export function registerCheck(program: Command, setExit: (code: number) => void, debug = false): void {
  program.command('check')
    .description('explore every interleaving of the scenario threads; herd7-style verdicts and replayable counterexamples')
    .argument('<file>', 'scenario file (YAML)')
    .option('-k, --kernel <profile>', 'kernel profile (repeat for several; default: the scenario\'s kernel)', collect, [])
    .option('-p, --patch <edits>', 'add/remove patches on every kernel: +id,-id (repeatable)', collect, [])
    .option('-c, --config <kv>', 'config overrides: thp=always,soft_dirty=n (repeatable)', collect, [])
    .option('--max-states <n>', 'stop after this many distinct states', count('max-states', 1))
    .option('--max-time <seconds>', 'stop after this many seconds', count('max-time', 0))
    .option('--max-depth <steps>', 'do not go deeper than this many steps', count('max-depth', 1))
    .option('--no-reduction', 'explore both orders of independent steps (no sleep sets)')
    .option('--random <walks>', 'random walks instead of the exhaustive search', count('random', 1))
    .option('--seed <n>', 'seed of the random walks (printed; replays every walk)', count('seed', 0))
    .option('--pct', 'random walks with PCT priority scheduling')
    .option('--pct-depth <d>', 'PCT bug depth (priority change points + 1)', count('pct-depth', 1))
    .option('--max-memory <size>', 'stop (exit 3) when the search needs more memory: MiB, or 512M, 2G')
    .option('--json', 'one JSON document (a list, one entry per kernel)')
    .option('-q, --quiet', 'no counterexample traces')
    .option('--no-progress', 'no progress line on the terminal')
    .action((file: string, o: CheckCliOptions) => {
      const sc = readScenarioArg(file);
      const kernels = o.kernel.length ? o.kernel : sc.kernel ? [sc.kernel] : [];
      if (kernels.length === 0) throw new ScenarioError(sc.file, 1, 1, 'kernel', "no kernel given (use --kernel, or 'kernel:' in the scenario)");
      if (o.seed !== undefined && o.random === undefined) throw new CheckError('--seed goes with --random');
      if ((o.pct || o.pctDepth !== undefined) && o.random === undefined) throw new CheckError('--pct goes with --random');
      const specs = kernels.map((k) => resolveKernel(k, o.patch, [...sc.config, ...o.config]));
      const tty = process.stderr.isTTY === true && o.progress !== false;
      const results: CheckResult[] = [];
      // the setup (and anything else outside the search) is bounded too: the search stops itself at
      // --max-time with what it found; this budget, a little later, stops what the search does not
      const budget = new Budget({
        maxTimeMs: o.maxTime !== undefined ? o.maxTime * 1000 * 1.1 + 500 : undefined,
        timeLabel: `--max-time ${o.maxTime} s`,
        maxMemoryBytes: o.maxMemory !== undefined ? parseMemory(o.maxMemory) ?? badMemory(o.maxMemory) : defaultMemoryBytes(),
      });
      budget.run(() => { for (const spec of specs) {
        const r = checkScenario(sc, spec, {
          reduction: o.reduction, maxStates: o.maxStates, maxTime: o.maxTime, maxDepth: o.maxDepth,
          random: o.random, seed: o.seed, pct: o.pct, pctDepth: o.pctDepth, debug,
          onProgress: tty ? (p) => process.stderr.write(`\r\x1b[K${progressLine(p, spec.name)}`) : undefined,
        });
        if (tty) process.stderr.write('\r\x1b[K');
        results.push(r);
        if (!o.json) {
          process.stdout.write(formatCheck(r, { traces: !o.quiet }).join('\n') + '\n');
          if (specs.length > 1) process.stdout.write('\n');
        }
      } });
      if (o.json) process.stdout.write(JSON.stringify(results.map(checkJson), (_k, v) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v), 2) + '\n');
      else if (results.length > 1) {
        process.stdout.write('Summary\n');
        for (const r of results) {
          const v = r.conditions.map((c) => `${c.name}=${c.observation}`).join(' ');
          process.stdout.write(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.kernel.padEnd(44)} ${v}${r.complete ? '' : ' (incomplete)'}\n`);
        }
      }
      setExit(Math.max(...results.map(checkExitCode)));
    });
}

// `mmsim fuzz`: random scenarios. With --host, each runs on this machine's kernel and on the model
// configured as the probe says, and every disagreement is shrunk and written as a scenario file;
// without, each runs on every model profile with the whole-state invariants checked after every step.
import pc from 'picocolors';
import { HostError } from '../host/executor.js';
import { packageRoot } from '../host/executor.js';
import { probeHost, hostSpec } from '../host/probe.js';
import { hostUnavailable } from '../host/available.js';
import { hostFuzz, configDiff, HostFuzzStats, Finding } from '../fuzz/host.js';
import { modelFuzz, ModelFuzzStats, ModelFailure } from '../fuzz/model.js';
import { loadKnownLines, differentialDir } from '../fuzz/signature.js';
import { PROFILES } from '../profiles/profiles.js';
import { fileFuzz, generateFileInput } from '../fuzz/files.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class FuzzUsageError extends Error {}

export interface FuzzOpts {
  host?: boolean;
  files?: boolean;
  maxTime: string;
  runs?: string;
  ops?: string;
  seed?: string;
  run?: string;
  out: string;
  kernel: string[];
  shrink: string;
  progress: boolean;
}

function num(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(x) || x < min) throw new FuzzUsageError(`--${name} must be an integer ≥ ${min}, not '${v}'`);
  return x;
}

const err = (s: string) => process.stderr.write(s);
const out = (s: string) => process.stdout.write(s + '\n');

/** a progress reporter: a rewritten line on a terminal, a line every `every` runs otherwise */
function progress(enabled: boolean, total: number, line: () => string): { tick: (run: number) => void; clear: () => void } {
  const tty = enabled && process.stderr.isTTY === true;
  let last = 0;
  const every = Math.max(1, Math.min(1000, Math.ceil(total / 10)));
  return {
    tick: (run) => {
      if (tty) {
        const now = Date.now();
        if (now - last < 100) return;
        last = now;
        err(`\r\x1b[K${line()}`);
      } else if (enabled && (run + 1) % every === 0) err(`${line()}\n`);
    },
    clear: () => {
      if (tty) err('\r\x1b[K');
    },
  };
}

/** `mmsim fuzz` with its options (registered in commands.ts): the exit status; usage and host errors are printed here, exit 2 */
export async function fuzzCommand(o: FuzzOpts): Promise<number> {
  try {
    return o.files ? await filesCommand(o) : o.host ? await hostCommand(o) : await modelCommand(o);
  } catch (e) {
    if (e instanceof HostError || e instanceof FuzzUsageError) {
      err(`mmsim fuzz: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** `mmsim run ...` in this process: its exit status and what it wrote to stderr (stdout is dropped) */
export async function runInProcess(argv: string[]): Promise<{ exit: number; stderr: string }> {
  const { main } = await import('./main.js');
  const ow = process.stdout.write, ew = process.stderr.write;
  let stderr = '';
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => { stderr += String(c); return true; }) as typeof process.stderr.write;
  try {
    return { exit: await main(argv), stderr };
  } catch (e) {
    return { exit: 99, stderr: `${stderr}uncaught: ${(e as Error).stack ?? e}` };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

async function filesCommand(o: FuzzOpts): Promise<number> {
  const seed = seedOf(o);
  const runs = num('runs', o.runs, 1) ?? 1000;
  const only = num('run', o.run, 0);
  const maxTimeS = num('max-time', o.maxTime, 1)!;
  const dir = join(packageRoot(), 'scenarios');
  out(pc.bold(`mmsim fuzz --files --seed ${seed}${only !== undefined ? ` --run ${only}` : ` --runs ${runs}`}: mutations of ${dir}, each through mmsim run within ${maxTimeS} s`));
  const p = progress(o.progress !== false, only !== undefined ? 1 : runs, () => line);
  let line = '';
  const t0 = performance.now();
  const stats = await fileFuzz({
    dir, seed, runs, only, maxTimeS, maxMemory: '1G', exec: runInProcess,
    onRun: (run, s) => {
      line = `input ${s.runs}/${runs}  exits ${Object.entries(s.byExit).map(([k, v]) => `${k}:${v}`).join(' ')}  findings ${s.findings.length}  ${((performance.now() - t0) / 1000).toFixed(0)} s`;
      p.tick(run);
    },
  });
  p.clear();
  out(`${stats.runs} inputs, ${((performance.now() - t0) / 1000).toFixed(1)} s: exit ${[0, 1, 2, 3, 4].map((c) => `${c}: ${stats.byExit[c] ?? 0}`).join(', ')}; slowest ${(stats.slowestMs / 1000).toFixed(1)} s of CPU`);
  if (stats.findings.length) {
    mkdirSync(o.out, { recursive: true });
    out(pc.red(`Findings (${stats.findings.length}):`));
    for (const f of stats.findings) {
      const keep = join(o.out, `files-${seed}-${f.run}.yaml`);
      writeFileSync(keep, generateFileInput(dir, seed, f.run));
      out(`  run ${f.run}: ${f.why}: ${f.what}
        ${f.stderr}
        input: ${keep}   again: mmsim fuzz --files --seed ${seed} --run ${f.run}`);
    }
    return 1;
  }
  out(pc.green('Every input exited 0, 1, 2 (positioned) or 3, within its budget.'));
  return 0;
}

function seedOf(o: FuzzOpts): number {
  return num('seed', o.seed, 0) ?? Math.floor(Math.random() * 0x7fffffff);
}

async function hostCommand(o: FuzzOpts): Promise<number> {
  const why = await hostUnavailable();
  if (why) {
    err(`mmsim fuzz --host: skipped: ${why}\n`);
    return 2;
  }
  const seed = seedOf(o);
  const runs = num('runs', o.runs, 1) ?? 100;
  const only = num('run', o.run, 0);
  const caps = await probeHost();
  const { spec, note } = hostSpec(caps);
  const cfg = Object.entries(configDiff(spec)).map(([k, v]) => `${k}=${v}`).join(',');
  const known = loadKnownLines(differentialDir(packageRoot()));
  out(pc.bold(`mmsim fuzz --host --seed ${seed}${only !== undefined ? ` --run ${only}` : ` --runs ${runs}`}: model ${spec.profile}${cfg ? ` --config ${cfg}` : ''} vs. Linux ${caps.release}`) +
    (note ? pc.dim(`  ${note}`) : ''));
  let stats: HostFuzzStats | null = null;
  const p = progress(o.progress !== false, only !== undefined ? 1 : runs, () => statusLine(stats!, runs));
  stats = await hostFuzz({
    runs, seed, only, outDir: o.out, known, shrinkBudget: num('shrink', o.shrink, 0),
    onProgress: (s, run) => { stats = s; p.tick(run); },
    onFinding: (f) => { p.clear(); printFinding(f); },
  });
  p.clear();
  out('');
  out(`${stats.runs} runs, ${stats.ops} operations, ${(stats.ms / 1000).toFixed(1)} s: ${stats.agree} agree, ${stats.disagree} disagree` +
    ` (${stats.known} known, ${stats.disagree - stats.known} in ${stats.findings.length} new group(s))${stats.skipped ? `, ${stats.skipped} skipped (capabilities)` : ''}`);
  const refused = Object.entries(stats.refused);
  if (refused.length) {
    out(`Runs that reached an operation the model does not carry out (a declared limit, not a disagreement; the kernel's run is not compared):`);
    for (const [why, n] of refused) out(`  ${n}x  ${why}`);
  }
  const fresh = stats.findings.filter((f) => !f.unreproducible);
  const flaky = stats.findings.filter((f) => f.unreproducible);
  if (fresh.length) {
    out(pc.red(`New disagreements (${fresh.length}):`));
    for (const f of fresh) out(`  ${f.count}x  ${f.file}\n        ${f.lines.join('\n        ')}\n        runs: ${f.runs.join(' ')}`);
  }
  if (flaky.length) {
    out(pc.yellow(`Disagreements that did not show again each time their case ran twice more (${flaky.length}; not counted as new):`));
    for (const f of flaky) out(`  ${f.count}x  ${f.file}\n        ${f.lines.join('\n        ')}\n        runs: ${f.runs.join(' ')}`);
  }
  if (!fresh.length) out(pc.green('No new disagreement.'));
  return fresh.length ? 1 : 0;
}

function statusLine(s: HostFuzzStats, runs: number): string {
  return `run ${s.runs}/${runs}  ${s.ops} ops  agree ${s.agree}  disagree ${s.disagree} (known ${s.known}, new groups ${s.findings.length})  ${(s.ms / 1000).toFixed(0)} s`;
}

function printFinding(f: Finding): void {
  if (f.unreproducible) out(pc.yellow(`run ${f.run}: a disagreement that did not show again: ${f.file}`));
  else out(pc.red(`run ${f.run}: new disagreement, shrunk from ${f.originalOps} to ${f.ops} operations: ${f.file}`));
  for (const l of f.lines) out(`    ${l}`);
}

async function modelCommand(o: FuzzOpts): Promise<number> {
  const seed = seedOf(o);
  const runs = num('runs', o.runs, 1) ?? Number.MAX_SAFE_INTEGER;
  const ops = num('ops', o.ops, 1) ?? 100_000;
  const only = num('run', o.run, 0);
  for (const k of o.kernel) if (!PROFILES.some((p) => p.name === k)) throw new FuzzUsageError(`unknown profile '${k}'; known: ${PROFILES.map((p) => p.name).join(', ')}`);
  const profiles = o.kernel.length ? o.kernel : PROFILES.map((p) => p.name);
  out(pc.bold(`mmsim fuzz --seed ${seed}${only !== undefined ? ` --run ${only}` : ''}: ${only !== undefined ? 'one scenario' : `${o.runs ? `${runs} scenarios or ` : ''}${ops} operations`} on ${profiles.join(' ')}, invariants after every step`));
  let stats: ModelFuzzStats | null = null;
  const p = progress(o.progress !== false, only !== undefined ? 1 : Math.min(runs, Math.ceil(ops / 15 / profiles.length)), () =>
    `${stats!.cases} scenarios  ${stats!.runs} runs  ${stats!.ops}/${ops} ops  failures ${stats!.failures.length}  ${(stats!.ms / 1000).toFixed(0)} s`);
  stats = await modelFuzz({
    runs, ops, seed, only, outDir: o.out, profiles, shrinkBudget: num('shrink', o.shrink, 0),
    onProgress: (s, run) => { stats = s; p.tick(run); },
    onFailure: (f) => { p.clear(); printFailure(f); },
  });
  p.clear();
  out('');
  out(`${stats.cases} scenarios, ${stats.runs} runs (scenario x profile), ${stats.ops} operations, ${(stats.ms / 1000).toFixed(1)} s: ` +
    `${stats.failures.length} failure(s)${stats.repeats ? ` (+${stats.repeats} repeats)` : ''}`);
  const refused = Object.entries(stats.refused);
  if (refused.length) {
    out('Runs stopped at an operation the model does not carry out (a declared limit, not a failure):');
    for (const [what, n] of refused) out(`  ${n}x  ${what}`);
  }
  if (stats.failures.length) {
    out(pc.red('Failures:'));
    for (const f of stats.failures) out(`  ${f.count}x  ${f.profile}  [${f.kind}]  ${f.file}`);
    out(`Replay one with: mmsim run FILE --debug   (or: mmsim fuzz --seed ${seed} --run I)`);
  } else out(pc.green('Every invariant held.'));
  return stats.failures.length ? 1 : 0;
}

function printFailure(f: ModelFailure): void {
  out(pc.red(`run ${f.run} on ${f.profile}: [${f.kind}], shrunk from ${f.originalOps} to ${f.ops} operations: ${f.file}`));
  out(`    ${f.message.split('\n')[0]!.slice(0, 400)}`);
}

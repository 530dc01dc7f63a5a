// The mmsim command. Start-up loads only commander, the profiles and the patch table: every command's
// implementation (the scenario loader and its zod schemas, the model, the explorer, the host executor,
// the fuzzers) is imported by its action when it runs (run-command.ts, commands.ts).
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { completionScript } from './completion.js';
import pc from 'picocolors';
import { resolveKernel, SpecError, PROFILES, profilePatches, scopeOf } from '../profiles/profiles.js';
import { PATCH_LIST } from '../profiles/patches.js';
import { formatConfig } from '../profiles/config.js';
import { Budget, BudgetExceeded, DEFAULT_STEP_LIMIT, defaultMemoryBytes, parseMemory, parseSeconds } from '../sched/budget.js';
import type { VmBugError } from '../kernel/mm/debug_vm.js';
import { registerCheck, registerFuzz, registerHostCommand, registerServe } from './commands.js';
import { ARCHS } from '../profiles/arch.js';
import { archRules } from '../kernel/arch/arch.js';

/** the version in package.json (two levels above dist/src/cli, or src/cli under a test runner) */
function packageVersion(): string {
  for (const up of ['../../../package.json', '../../package.json']) {
    try {
      const p = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (p.name === 'mmsim' && p.version) return p.version;
    } catch { /* try the next */ }
  }
  return 'unknown';
}

interface BudgetOpts {
  maxTime?: string;
  maxSteps?: string;
  maxMemory?: string;
  progress?: boolean;
}

let progressShown = false;
function clearProgress(): void {
  if (progressShown) process.stderr.write('\r\x1b[K');
  progressShown = false;
}

/** the budget of a run or compare: --max-time, --max-steps, --max-memory, and a progress line on a terminal */
export function budgetOf(o: BudgetOpts): Budget {
  const maxTimeMs = o.maxTime === undefined ? undefined : parseSeconds(o.maxTime) ?? badOption('--max-time', o.maxTime, 'a duration: 30, 30s, 500ms, 2m');
  const steps = o.maxSteps === undefined ? undefined : Number(o.maxSteps);
  if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) badOption('--max-steps', o.maxSteps!, 'a positive whole number');
  const maxMemoryBytes = o.maxMemory === undefined ? defaultMemoryBytes() : parseMemory(o.maxMemory) ?? badOption('--max-memory', o.maxMemory, 'a size: 512, 512M, 2G');
  const tty = process.stderr.isTTY === true && o.progress !== false;
  return new Budget({ maxTimeMs, maxSteps: steps, maxMemoryBytes }, tty ? (p) => {
    progressShown = true;
    process.stderr.write(`\r\x1b[K${pc.dim(`mmsim: ${(p.elapsedMs / 1000).toFixed(1)} s  ${p.what}`)}`);
  } : undefined);
}

function badOption(name: string, value: string, want: string): never {
  throw new UsageError(`${name} must be ${want}, not '${value}'`);
}

/** errors a user can cause: printed in one line, exit 2 */
class UsageError extends Error {}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function out(lines: string[] | string): void {
  process.stdout.write((Array.isArray(lines) ? lines.join('\n') : lines) + '\n');
}

/** a VM_BUG_ON report: where, then one line per violated check */
export function formatVmBug(e: VmBugError): string {
  return [`VM_BUG_ON ${e.where}:`, ...e.bugs.map((b) => `  [${b.check}] ${b.what}`)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program.name('mmsim').description('An executable, bit-exact model of Linux memory management').exitOverride()
    .version(packageVersion(), '-V, --version', 'print the version of mmsim')
    .option('--debug', 'debugging: check the whole model state after every step of run and check (VM_BUG_ON-style invariants, exit 4 when one breaks: a bug of the model), and print the stack of an internal error (exit 4)');
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let code = 0;
  // --debug goes anywhere on the command line (it is taken out before commander parses it)
  const debug = argv.includes('--debug');

  program.command('run')
    .description('run a scenario once and print its trace and outcome')
    .argument('<file>', 'scenario file (YAML)')
    .option('-k, --kernel <profile>', 'kernel profile (see mmsim kernels); PROFILE+patch-patch also works')
    .option('-p, --patch <edits>', 'add/remove patches: +id,-id (repeatable)', collect, [])
    .option('-c, --config <kv>', 'config overrides: thp=always,soft_dirty=n (repeatable)', collect, [])
    .option('-f, --format <fmt>', 'text | json | klog', 'text')
    .option('-s, --schedule <steps>', 'thread names, one per step: "vcpu uffd*3 vcpu"')
    .option('-q, --quiet', 'text: outcome only, no trace')
    .option('--states', 'json: a state event after every step (page-table walk of each observed address, folios, VMAs, uffds, threads)')
    .option('--max-time <duration>', 'stop (exit 3) after this long, setup included: seconds, or 500ms, 2m')
    .option('--max-steps <n>', 'stop (exit 3) after this many scheduler steps', String(DEFAULT_STEP_LIMIT))
    .option('--max-memory <size>', 'stop (exit 3) when the model needs more memory: MiB, or 512M, 2G')
    .option('--no-progress', 'no progress line on the terminal')
    .action(async (file: string, o: { kernel?: string; patch: string[]; config: string[]; format: string; schedule?: string; quiet?: boolean; states?: boolean } & BudgetOpts) => {
      if (o.states && o.format !== 'json') throw new UsageError('--states goes with --format json');
      if (!['text', 'json', 'klog'].includes(o.format)) throw new UsageError(`--format must be text, json or klog, not '${o.format}'`);
      const { readScenarioArg, kernelFor, runScenario, printRun } = await import('./run-command.js');
      const sc = readScenarioArg(file);
      const spec = kernelFor(sc, o.kernel, o.patch, o.config);
      // the trace is recorded only for an output that prints it (text without -q, json, klog); the
      // scenario's klog:/event: expectations record it anyway (runScenario)
      const trace = o.format !== 'text' || !o.quiet;
      const r = budgetOf(o).run(() => runScenario(sc, spec, { schedule: o.schedule, debug, trace, states: o.states }));
      clearProgress();
      printRun(r, sc, o.format, !!o.quiet);
      code = r.ok ? 0 : 1;
    });

  program.command('compare')
    .description('run a scenario on several kernels and print the outcomes side by side')
    .argument('<file>', 'scenario file (YAML)')
    .option('-k, --kernel <profile>', 'kernel profile (repeat for each column)', collect, [])
    .option('-p, --patch <edits>', 'patch edits applied to every kernel', collect, [])
    .option('-c, --config <kv>', 'config overrides for every kernel', collect, [])
    .option('--all', 'show every row, not only the rows that differ')
    .option('--json', 'every row and each kernel\'s expectations as JSON')
    .option('--max-time <duration>', 'stop (exit 3) after this long in all: seconds, or 500ms, 2m')
    .option('--max-steps <n>', 'stop (exit 3) when one run takes more scheduler steps', String(DEFAULT_STEP_LIMIT))
    .option('--max-memory <size>', 'stop (exit 3) when the model needs more memory: MiB, or 512M, 2G')
    .option('--no-progress', 'no progress line on the terminal')
    .action(async (file: string, o: { kernel: string[]; patch: string[]; config: string[]; all?: boolean; json?: boolean } & BudgetOpts) => {
      const { readScenarioArg, kernelFor, runScenario, compareTable, compareJson } = await import('./run-command.js');
      const sc = readScenarioArg(file);
      if (o.kernel.length === 0) throw new UsageError('compare needs --kernel at least once');
      const specs = o.kernel.map((k) => kernelFor(sc, k, o.patch, o.config));
      const runs = budgetOf(o).run(() => specs.map((spec) => runScenario(sc, spec, { trace: true })));
      clearProgress();
      out(o.json ? JSON.stringify(compareJson(sc, runs), (_k, v) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v), 2) : compareTable(sc, runs, !!o.all));
      code = runs.every((r) => r.ok) ? 0 : 1;
    });

  registerCheck(program, (c) => (code = c), debug);

  program.command('bisect')
    .description('which upstream commit changes a scenario\'s outcome: walk the patch rows between two kernels, running it on each')
    .argument('<file>', 'scenario file (YAML)')
    .option('--good <kernel>', 'the kernel to start from (profile, PROFILE+patch-patch)')
    .option('--bad <kernel>', 'the kernel to end at')
    .option('-c, --config <kv>', 'config overrides for every kernel', collect, [])
    .option('--json', 'the steps and the commits that changed the outcome, as JSON')
    .action(async (file: string, o: { good?: string; bad?: string; config: string[]; json?: boolean }) => {
      if (!o.good || !o.bad) throw new UsageError('bisect needs --good and --bad (two kernels: mmsim kernels lists them)');
      const { readScenarioArg } = await import('./run-command.js');
      const { bisectKernel, bisectScenario, formatBisect, bisectJson } = await import('./bisect.js');
      const sc = readScenarioArg(file);
      const good = bisectKernel('--good', o.good, [...sc.config, ...o.config]);
      const bad = bisectKernel('--bad', o.bad, [...sc.config, ...o.config]);
      const r = bisectScenario(sc, good, bad);
      out(o.json ? JSON.stringify(bisectJson(sc, r), null, 2) : formatBisect(sc, r));
      code = r.culprits.length ? 0 : 1;
    });

  program.command('bugs')
    .description('the bug corpus (scenarios/bugs): each bug, its fix commit, and whether each profile shows it')
    .option('--dir <dir>', 'where the bug scenarios are', 'scenarios/bugs')
    .option('--json', 'machine-readable')
    .option('--markdown', 'a Markdown table (as README.md shows it)')
    .action(async (o: { dir: string; json?: boolean; markdown?: boolean }) => {
      const { bugFiles, bugRow, formatBugs, bugsJson } = await import('./bugs.js');
      const { existsSync } = await import('node:fs');
      if (!existsSync(o.dir)) throw new UsageError(`--dir: no directory '${o.dir}'`);
      const profiles = PROFILES.map((p) => p.name);
      const rows = bugFiles(o.dir).map((f) => bugRow(f, profiles)).filter((r) => r !== null);
      out(o.json ? JSON.stringify(bugsJson(rows), null, 2) : formatBugs(rows, profiles, !!o.markdown));
    });

  program.command('kernels')
    .description('list the kernel profiles and the patch table')
    .option('--json', 'machine-readable')
    .action((o: { json?: boolean }) => {
      if (o.json) {
        out(JSON.stringify({
          profiles: PROFILES.map((p) => ({ ...p, arch: p.arch ?? 'x86_64', config: resolveKernel(p.name).config, extra: p.extra.map((x) => x.id), patches: [...profilePatches(p)].map((x) => x.id) })),
          archs: ARCHS.map((a) => ({ ...a, own: a.own.map((x) => x.id), standsFor: (a.standsFor ?? []).map(([x, y]) => [x.id, y.id]), fields: archRules(a.name).fields })),
          patches: PATCH_LIST,
        }, null, 2));
        return;
      }
      out(pc.bold('Architectures') + '  (src/kernel/arch/arch.ts; docs/arch.md)');
      for (const a of ARCHS) {
        out(`  ${a.name.padEnd(12)} ${a.description}`);
        out(`  ${''.padEnd(12)} ${pc.dim(`own rows: ${a.own.map((x) => x.id).join(', ')}; entry bits: ${archRules(a.name).fields.filter((f) => !f.rare).map((f) => f.lo === f.hi ? `${f.name}(${f.lo})` : `${f.name}(${f.hi}-${f.lo})`).join(' ')}`)}`);
      }
      out(pc.bold('\nProfiles'));
      for (const p of PROFILES) {
        out(`  ${p.name.padEnd(20)} ${(p.arch ?? 'x86_64').padEnd(7)} ${p.release.padEnd(12)} ${profilePatches(p).size} patches  ${p.description}`);
        const c = resolveKernel(p.name).config; // as the profile resolves (some defaults follow its patches)
        out(`  ${''.padEnd(28)} config: ${formatConfig(c).replaceAll(',', ' ')}`);
        const gaps = Object.keys(scopeOf(p));
        if (gaps.length) out(`  ${''.padEnd(28)} not modelled on it: ${gaps.join(', ')} (docs/fidelity.md: "The releases before 4.19", "Not modelled")`);
      }
      out(pc.bold('\nPatches') + '  (+ in profile, by column: ' + PROFILES.map((p, i) => `${i + 1}=${p.name}`).join(' ') + ')');
      const sets = PROFILES.map((p) => profilePatches(p));
      for (const x of PATCH_LIST) {
        const cols = sets.map((s) => (s.has(x) ? '+' : '.')).join('');
        out(`  ${cols}  ${x.id.padEnd(34)} ${(x.commit || '-').padEnd(12)} ${x.release.padEnd(10)} ${x.subject}`);
        out(`  ${''.padEnd(cols.length)}  ${''.padEnd(34)} ${pc.dim(x.summary)}`);
      }
    });

  registerHostCommand(program, (c) => { code = c; });
  registerFuzz(program, (c) => { code = c; });
  registerServe(program, (c) => { code = c; });

  program.command('schema')
    .description('print a JSON Schema: scenario files (schema/scenario.schema.json), or the lines of run --format json (schema/trace.schema.json)')
    .argument('[what]', 'scenario | trace', 'scenario')
    .action(async (what: string) => {
      if (what === 'trace') {
        const { traceSchema } = await import('../trace/events.js');
        out(JSON.stringify(traceSchema(), null, 2));
        return;
      }
      if (what !== 'scenario') throw new UsageError(`schema: unknown schema '${what}'; there are: scenario, trace`);
      const { scenarioSchema } = await import('../scenario/schema.js');
      out(JSON.stringify(scenarioSchema(), null, 2));
    });

  program.command('completion')
    .description('print a shell completion script: eval "$(mmsim completion bash)", or zsh')
    .argument('[shell]', 'bash or zsh', 'bash')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new UsageError(`completion: unknown shell '${shell}'; bash or zsh`);
      out(completionScript(program, shell));
    });

  try {
    await program.parseAsync(argv.filter((a) => a !== '--debug'), { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    clearProgress();
    if (e instanceof BudgetExceeded) {
      process.stderr.write(`mmsim: incomplete: ${e.message}\n`);
      return 3;
    }
    // the classes of the errors a user can cause live in the modules that throw them: they are loaded
    // here (on the way out) rather than at start-up; an error of a module never loaded is none of them
    const [{ ScenarioError }, { MachineError }, { EvalError }, { CheckError }, { VmBugError }, { FuzzUsageError }, { InputError }] = await Promise.all([
      import('../scenario/load.js'), import('../sched/machine.js'), import('../scenario/expr.js'), import('../explore/errors.js'),
      import('../kernel/mm/debug_vm.js'), import('./fuzz.js'), import('./input.js'),
    ]);
    if (e instanceof VmBugError) {
      // a model invariant broke (--debug): a bug of mmsim's model
      process.stderr.write(`mmsim: ${formatVmBug(e)}\n`);
      return 4;
    }
    if (e instanceof ScenarioError || e instanceof SpecError || e instanceof FuzzUsageError || e instanceof UsageError || e instanceof MachineError ||
        e instanceof EvalError || e instanceof CheckError || e instanceof InputError) {
      process.stderr.write(`mmsim: ${e.message}\n`);
      return 2;
    }
    return internalError(e, debug);
  }
}

/** exit 4: a failure of mmsim itself, never of the user's input; one line, the stack only with --debug */
export function internalError(e: unknown, debug: boolean): number {
  const what = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
  process.stderr.write(`mmsim: internal error (a bug of mmsim, not of your input): ${what}\n` +
    `mmsim: please report it with the command line and the scenario file${debug ? '' : '; --debug prints the stack'}\n`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  return 4;
}

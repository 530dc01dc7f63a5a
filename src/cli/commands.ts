// The commands whose implementation is large (check, host, fuzz): their names, arguments and options,
// registered at start-up, and an action that imports the implementation only when the command runs,
// so that `mmsim kernels`, `--version` or `completion` do not load the explorer, the host executor or
// the fuzzers.
import type { Command } from 'commander';
import { CheckError } from '../explore/errors.js';
import type { CheckCliOptions } from './check.js';
import type { HostOpts } from './host.js';
import type { FuzzOpts } from './fuzz.js';

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
    .option('--reduction <name>', 'none | sleep (sleep sets, the default)')
    .option('--no-reduction', 'the same as --reduction none (explore both orders of independent steps)')
    .option('-j, --workers <n>', 'worker threads for the exhaustive search (default: the cores there are; 1: on the main thread)', count('workers', 1))
    .option('--reuse', 'replay steps whose cells read are those of a step already run (step reuse: docs/check.md); the default')
    .option('--no-reuse', 'run the model for every step instead (about 3x slower on live-snapshot)')
    .option('--verify-reuse', 'replay each step from the reuse cache and run it too; stop at the first difference')
    .option('--stats', 'also print the figures of this run: transitions, revisits, workers, time (they vary from run to run)')
    .option('--random <walks>', 'random walks instead of the exhaustive search', count('random', 1))
    .option('--seed <n>', 'seed of the random walks (printed; replays every walk)', count('seed', 0))
    .option('--pct', 'random walks with PCT priority scheduling')
    .option('--pct-depth <d>', 'PCT bug depth (priority change points + 1)', count('pct-depth', 1))
    .option('--max-memory <size>', 'stop (exit 3) when the search needs more memory: MiB, or 512M, 2G')
    .option('--json', 'one JSON document (a list, one entry per kernel)')
    .option('-q, --quiet', 'no counterexample traces')
    .option('--no-progress', 'no progress line on the terminal')
    .action(async (file: string, o: CheckCliOptions) => {
      const { checkCommand } = await import('./check.js');
      setExit(await checkCommand(file, o, debug));
    });
}

/** adds `mmsim host` to the program; setCode receives the exit status */
export function registerHostCommand(program: Command, setCode: (c: number) => void): void {
  program.command('host')
    .description('run a scenario on this machine\'s kernel (root, userfaultfd); --compare puts the model next to it, field by field')
    .argument('[file]', 'scenario file (YAML)')
    .option('--probe', 'print what this kernel offers and which model profile matches it')
    .option('--compare', 'also run the model with the matching profile; exit 1 on any disagreement')
    .option('--timeout <duration>', 'watchdog for the executor: seconds, or with a unit (500ms, 30s, 2m)', '10s')
    .option('-s, --schedule <steps>', 'thread names, one per step: "vcpu uffd*3 vcpu"')
    .option('--json', 'print the observation(s) as JSON')
    .option('--all', 'with --compare: print every field, not only those that disagree')
    .option('-k, --kernel <profile>', 'compare with this model profile instead of the probed one')
    .option('-p, --patch <edits>', 'patch edits on the model: +a,-b (repeatable)', collect, [])
    .option('-c, --config <kv>', 'config knobs on top of the probed ones: zero_page=n,thp=always (repeatable)', collect, [])
    .action(async (file: string | undefined, o: HostOpts) => {
      const { hostAction } = await import('./host.js');
      setCode(await hostAction(file, o));
    });
}

export function registerFuzz(program: Command, setCode: (c: number) => void): void {
  program.command('fuzz')
    .description('random scenarios: on every model profile with VM_BUG_ON-style invariants after every step, or (--host) model vs. this kernel')
    .option('--host', 'compare each scenario on this machine\'s kernel with the model (as `mmsim host --compare`)')
    .option('--files', 'mutate the project\'s scenario files (and hostile inputs) and run each through `mmsim run`: only exits 0-3, positioned errors, within the budget')
    .option('--max-time <s>', 'with --files: the budget of each input, in seconds', '5')
    .option('--runs <n>', 'scenarios to generate (default: 100 with --host; without, as many as --ops takes)')
    .option('--ops <n>', 'model fuzzing: stop once this many operations ran (each scenario\'s operations on each profile)', '100000')
    .option('--seed <n>', 'seed (default: random, printed); run i of seed s is always the same scenario')
    .option('--run <i>', 'only run i of the seed (replays one scenario)')
    .option('--out <dir>', 'where shrunk scenarios are written', 'fuzz-out')
    .option('-k, --kernel <profile>', 'model fuzzing: only these profiles (repeatable; default every profile)', collect, [])
    .option('--shrink <n>', 'most candidates tried when shrinking one finding', '200')
    .option('--no-progress', 'no progress output')
    .action(async (o: FuzzOpts) => {
      const { fuzzCommand } = await import('./fuzz.js');
      setCode(await fuzzCommand(o));
    });
}

/** `mmsim serve`: the page, served from this machine (the model runs in the browser) */
export function registerServe(program: Command, setCode: (c: number) => void): void {
  program.command('serve')
    .description('serve the web page that draws page tables step by step and compares kernels (the model runs in the page); --export writes a static copy')
    .argument('[file]', 'scenario file (YAML) the page opens')
    .option('--port <n>', 'port (0: any free one)', '8080')
    .option('--host <address>', 'listen on this address instead of 127.0.0.1 (a warning: others can then read the scenario files)')
    .option('--open', 'open the page in the default browser')
    .option('--export <dir>', 'write the page and the scenarios to DIR as static files, for any static web host, and exit')
    .action(async (file: string | undefined, o: import('./serve.js').ServeOptions) => {
      const { serveCommand } = await import('./serve.js');
      setCode(await serveCommand(file, o));
    });
}

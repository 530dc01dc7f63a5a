// Start-up of the CLI (issue 9, item 7): the median wall time of `mmsim kernels` against bare
// `node -e 0`, each run N times alternately (N = MMSIM_BENCH_STARTUP_RUNS, default 10). Target: within
// 0.1 s of bare Node. A benchmark: it prints, it never fails.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGET_S = 0.1;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function wallMs(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`bench: node ${args.join(' ')} exited ${r.status}`);
  return ms;
}

export interface StartupResult { runs: number; nodeMs: number; cliMs: number; versionMs: number }

export function runStartupBench(runs = Number(process.env.MMSIM_BENCH_STARTUP_RUNS ?? 10)): StartupResult {
  const bare: number[] = [], cli: number[] = [], version: number[] = [];
  const mmsim = join(root, 'bin', 'mmsim.js');
  wallMs(['-e', '0']); wallMs([mmsim, 'kernels']); // warm the file cache
  for (let i = 0; i < runs; i++) {
    bare.push(wallMs(['-e', '0']));
    cli.push(wallMs([mmsim, 'kernels']));
    version.push(wallMs([mmsim, '--version']));
  }
  return { runs, nodeMs: median(bare), cliMs: median(cli), versionMs: median(version) };
}

export function startupLines(r: StartupResult): string[] {
  const over = (r.cliMs - r.nodeMs) / 1000;
  return [
    `start-up (median of ${r.runs}): node -e 0 ${r.nodeMs.toFixed(0)} ms, mmsim kernels ${r.cliMs.toFixed(0)} ms, mmsim --version ${r.versionMs.toFixed(0)} ms`,
    `  mmsim kernels - node -e 0 = ${over.toFixed(3)} s (${(r.cliMs / r.nodeMs).toFixed(2)}x); target <= ${TARGET_S} s over: ${over <= TARGET_S ? 'met' : 'NOT met'}`,
  ];
}

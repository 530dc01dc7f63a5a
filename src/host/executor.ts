// The native executor (native/mmsim-exec.c) as a child process under a watchdog: it runs in a process
// group of its own, and whatever happens to it (a crash, a hang, a scenario that never ends) the
// group is killed and the run becomes an outcome, never a hang of mmsim.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** the package root: the nearest directory above this module with native/ and package.json */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'native'))) return d;
    const up = dirname(d);
    if (up === d) return process.cwd();
    d = up;
  }
}

/** the executor binary, built by `npm run build` (scripts/build-native.js) */
export function executorPath(): string {
  const override = process.env.MMSIM_EXEC;
  if (override) return override;
  return join(packageRoot(), 'native', 'build', 'mmsim-exec');
}

export function executorBuilt(): boolean {
  return existsSync(executorPath());
}

export class HostError extends Error {}

export type ExecOutcome =
  | { kind: 'exit'; code: number; stdout: string; stderr: string; ms: number }
  | { kind: 'signal'; signal: string; stdout: string; stderr: string; ms: number }
  | { kind: 'timeout'; stdout: string; stderr: string; ms: number };

/** Run the executor with `args`, feeding `input` on stdin; kill its whole process group after timeoutMs. */
export function runExecutor(args: string[], input: string, timeoutMs: number, onSpawn?: (pid: number) => void): Promise<ExecOutcome> {
  const path = executorPath();
  if (!existsSync(path)) {
    throw new HostError(`the native executor is not built (${path}); run 'npm run build' on a machine with gcc`);
  }
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new HostError(`cannot start the executor: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // a child process the executor forked must not outlive it
      killGroup();
      const ms = Date.now() - t0;
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) resolve({ kind: 'timeout', stdout, stderr, ms });
      else if (signal) resolve({ kind: 'signal', signal, stdout, stderr, ms });
      else resolve({ kind: 'exit', code: code ?? 0, stdout, stderr, ms });
    });
    child.stdin.on('error', () => {
      // the executor may exit before reading everything (a usage error): its exit status says why
    });
    child.stdin.end(input);
  });
}

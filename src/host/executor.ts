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
  | { kind: 'timeout'; stdout: string; stderr: string; ms: number; /** it never got the machine lock */ lockWait?: boolean };

/**
 * How long a run may wait for the machine lock (native/mmsim-exec.c lock_machine) before it counts as hung:
 * another executor holds it for at most its own run's timeout, and several may be queued (two test files, a
 * fuzzer)
 */
export const LOCK_WAIT_MS = 600_000;

/**
 * Run the executor with `args`, feeding `input` on stdin; kill its whole process group after timeoutMs.
 * With `locks` (a scenario run), the executor first waits for the machine lock, and says on its fd 3 when
 * it holds it: timeoutMs counts from then, so a run queued behind other executors is not taken as hung
 * (that wait has LOCK_WAIT_MS of its own).
 */
export function runExecutor(args: string[], input: string, timeoutMs: number, onSpawn?: (pid: number) => void, locks = false): Promise<ExecOutcome> {
  const path = executorPath();
  if (!existsSync(path)) {
    throw new HostError(`the native executor is not built (${path}); run 'npm run build' on a machine with gcc`);
  }
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(path, args, {
      stdio: locks ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'], detached: true,
      ...(locks ? { env: { ...process.env, MMSIM_LOCKED_FD: '3' } } : {}),
    });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut: 'run' | 'lock' | null = null;
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    };
    const expire = (why: 'run' | 'lock') => () => {
      timedOut = why;
      killGroup();
    };
    let timer = setTimeout(expire(locks ? 'lock' : 'run'), locks ? LOCK_WAIT_MS : timeoutMs);
    if (locks) {
      // the lock is held (a byte), or the executor ended before taking it (the pipe closes): the run's own timeout from now
      let started = false;
      const start = () => {
        if (started || timedOut !== null) return;
        started = true;
        clearTimeout(timer);
        timer = setTimeout(expire('run'), timeoutMs);
      };
      const lockPipe = child.stdio[3] as NodeJS.ReadableStream | null;
      lockPipe?.on('data', start);
      lockPipe?.on('end', start);
      lockPipe?.on('error', start);
    }
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
      if (timedOut !== null) resolve({ kind: 'timeout', lockWait: timedOut === 'lock', stdout, stderr, ms });
      else if (signal) resolve({ kind: 'signal', signal, stdout, stderr, ms });
      else resolve({ kind: 'exit', code: code ?? 0, stdout, stderr, ms });
    });
    child.stdin.on('error', () => {
      // the executor may exit before reading everything (a usage error): its exit status says why
    });
    child.stdin.end(input);
  });
}

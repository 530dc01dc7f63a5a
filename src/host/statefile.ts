// The state files an executor leaves while it has changed a system-wide setting for a run (vm.nr_hugepages,
// the shmem THP knob): "<previous value> <pid>". A later mmsim restores the previous value once that
// executor is gone, so a killed run never leaves the machine changed.
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/** is a process of that pid alive (EPERM: alive, someone else's) */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * write the previous value a state file at `path` holds back to `target` and remove the file, when the
 * executor that wrote it is gone (`pid`: the one that just ended, whatever /proc says); `value` is the
 * pattern of the value's field. Returns the value written back, or null (no file, not ours to restore yet,
 * or a write that failed)
 */
export function restoreFromStateFile(path: string, value: RegExp, target: string, pid?: number): string | null {
  if (!existsSync(path)) return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const m = new RegExp(`^(${value.source}) (\\d+)`).exec(text);
  if (!m) return null;
  const prev = m[1]!, owner = Number(m[2]);
  if (owner !== pid && processAlive(owner)) return null;
  try {
    writeFileSync(target, `${prev}\n`);
    unlinkSync(path);
  } catch {
    return null;
  }
  return prev;
}

// The shape shared by the tests of a host setting that mmsim gives back from an executor's state file
// (src/host/statefile.ts): vm.nr_hugepages, shmem_enabled, vm.page-cluster.
import { expect } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A state file naming this (alive) process leaves the setting alone; naming it as the executor that just
 * ended gives `prev` back and removes the state file; then nothing is left to give back. `restore` is
 * the function under test (pid, path of the setting), `env` the variable that places its state file.
 */
export function expectStateFileRestore<T>(o: { env: string; now: string; prev: string; expected: T; restore: (pid: number | undefined, path: string) => T | null }): void {
  const dir = mkdtempSync(join(tmpdir(), 'mmsim-statefile-test-'));
  const state = join(dir, 'prev'), setting = join(dir, 'setting');
  const was = process.env[o.env];
  process.env[o.env] = state;
  try {
    writeFileSync(setting, `${o.now}\n`);
    writeFileSync(state, `${o.prev} ${process.pid}\n`); // this process is alive: not touched
    expect(o.restore(undefined, setting)).toBe(null);
    expect(readFileSync(setting, 'utf8')).toBe(`${o.now}\n`);
    expect(existsSync(state)).toBe(true);
    expect(o.restore(process.pid, setting)).toBe(o.expected); // the executor that just ended, by its pid
    expect(readFileSync(setting, 'utf8')).toBe(`${o.prev}\n`);
    expect(existsSync(state)).toBe(false);
    expect(o.restore(undefined, setting)).toBe(null); // nothing left to give back
    expect(readFileSync(setting, 'utf8')).toBe(`${o.prev}\n`);
  } finally {
    if (was === undefined) delete process.env[o.env];
    else process.env[o.env] = was;
    rmSync(dir, { recursive: true, force: true });
  }
}

// Shared helpers of the explorer tests: load a scenario, build its machine after setup.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadScenario, CompiledScenario } from '../../src/scenario/load.js';
import { resolveKernel } from '../../src/profiles/profiles.js';
import { Machine } from '../../src/sched/machine.js';
import type { KernelSpec } from '../../src/kernel/kernel.js';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const scenario = (rel: string): CompiledScenario => loadScenario(join(ROOT, rel));
export const kernel = (name: string): KernelSpec => resolveKernel(name);

/** a machine after its setup, untraced (what check starts from) */
export function afterSetup(sc: CompiledScenario, k: string): Machine {
  const m = new Machine(sc, kernel(k), { trace: false });
  m.runSetup();
  return m;
}

export const LIVE = 'scenarios/check/live-snapshot.yaml';
export const INDEPENDENT = 'scenarios/check/independent-writers.yaml';
export const UNPROTECT_FIRST = 'scenarios/check/snapshot-unprotect-first.yaml';

/** run the mmsim command line in this process, capturing what it writes */
export async function mmsim(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

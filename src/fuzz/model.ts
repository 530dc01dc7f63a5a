// `mmsim fuzz` without --host: the same generator over every profile, each case under a random
// configuration, with the whole-state invariants (kernel/mm/debug_vm.ts) checked after every step. A
// failure (a VM_BUG_ON, or the model throwing) is shrunk on the profile it happened on and written
// as a scenario that `mmsim run FILE --debug` replays.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadScenario } from '../scenario/load.js';
import { runScenario } from '../run.js';
import { hasKnob, PROFILES, resolveKernel } from '../profiles/profiles.js';
import type { KernelConfig } from '../profiles/config.js';
import { CONFIG_KEYS } from '../profiles/config.js';
import { VmBugError } from '../kernel/mm/debug_vm.js';
import { ScenarioError } from '../scenario/load.js';
import { caseArb, FuzzCase, MODEL_TARGET, renderCase } from './gen.js';
import { generate, shrink } from './rng.js';

/** a case and the configuration it runs under (config keys that exist in this build) */
export interface ModelCase {
  c: FuzzCase;
  config: Record<string, string>;
}

/** configurations: each knob its profile default (shrinks there) or a value that changes behaviour */
function configArb(): fc.Arbitrary<Record<string, string>> {
  const knobs: Record<string, fc.Arbitrary<string | null>> = {
    thp: fc.constantFrom(null, 'always', 'never', 'madvise'),
    use_zero_page: fc.constantFrom(null, 'n', 'y'),
    // shmem THP: PMD-sized folios at faults, and khugepaged's shmem visits (its VMA check enforces the setting)
    shmem_enabled: fc.constantFrom(null, 'advise', 'always'),
  };
  // the knob the probe measures on hosts that never map the zero page (mm_forbids_zeropage), where this build has it
  if ((CONFIG_KEYS as readonly string[]).includes('zero_page')) knobs.zero_page = fc.constantFrom(null, 'n');
  return fc.record(knobs).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as Record<string, string>);
}

export function modelCaseArb(): fc.Arbitrary<ModelCase> {
  return fc.record({ c: caseArb(MODEL_TARGET), config: configArb() });
}

export interface ModelFailure {
  profile: string;
  /** the violated checks ("mapcount,refcount") or the error's class */
  kind: string;
  message: string;
  run: number;
  count: number;
  file: string;
  ops: number;
  originalOps: number;
}

export interface ModelFuzzStats {
  /** cases generated */
  cases: number;
  /** case x profile runs */
  runs: number;
  /** operations run (each case's operations on each profile) */
  ops: number;
  failures: ModelFailure[];
  /** failures of a kind already reported on that profile */
  repeats: number;
  /**
   * runs that stopped at a limit the model declares (an operation it refuses as not modelled, exit 2:
   * e.g. migration of a PTE-mapped large folio), by the refusal's text: not failures, but runs whose later
   * operations did not run
   */
  refused: Record<string, number>;
  ms: number;
}

export interface ModelFuzzOptions {
  /** stop after this many cases, or once this many operations ran (whichever comes first) */
  runs: number;
  ops: number;
  seed: number;
  outDir: string;
  profiles?: string[];
  shrinkBudget?: number;
  only?: number;
  onProgress?: (s: ModelFuzzStats, run: number) => void;
  onFailure?: (f: ModelFailure) => void;
}

/**
 * run one case on one profile with the invariants on: null when nothing broke, else what did (`refused`:
 * the run reached an operation the model does not carry out, which is a declared limit, not a failure)
 */
function failureOf(mc: ModelCase, profile: string, name: string): { kind: string; message: string; refused?: true } | null {
  // a knob this release does not have stays at the profile's value (an override of it is refused)
  const base = resolveKernel(profile);
  const config = Object.fromEntries(Object.entries(mc.config).filter(([k]) => hasKnob(base, k as keyof KernelConfig)));
  const r = renderCase(mc.c, { name, kernel: profile, config });
  const sc = loadScenario(`${name}.yaml`, r.yaml);
  const spec = resolveKernel(profile, [], sc.config);
  try {
    runScenario(sc, spec, { debug: true, trace: false });
    return null;
  } catch (e) {
    // a gap of the model, or of its older releases (`not modelled on v4.8: ...`, ProfileDef.outOfScope and rows)
    if (e instanceof ScenarioError && /^not modelled( on [^:]+)?:/.test(e.detail)) return { kind: 'refused', message: e.detail, refused: true };
    if (e instanceof VmBugError) return { kind: [...new Set(e.bugs.map((b) => b.check))].sort().join(','), message: e.message };
    const err = e as Error;
    return { kind: err.constructor?.name ?? 'Error', message: `${err.constructor?.name}: ${err.message}\n${(err.stack ?? '').split('\n').slice(1, 4).join('\n')}` };
  }
}

export async function modelFuzz(o: ModelFuzzOptions): Promise<ModelFuzzStats> {
  const arb = modelCaseArb();
  const profiles = o.profiles ?? PROFILES.map((p) => p.name);
  const stats: ModelFuzzStats = { cases: 0, runs: 0, ops: 0, failures: [], repeats: 0, refused: {}, ms: 0 };
  const t0 = Date.now();
  const first = o.only ?? 0, last = o.only !== undefined ? o.only + 1 : o.runs;
  for (let run = first; run < last && (o.only !== undefined || stats.ops < o.ops); run++) {
    const v = generate(arb, o.seed, run);
    const name = `fuzz-model-${o.seed}-${run}`;
    const { ops } = renderCase(v.value_.c, { name, kernel: 'v6.18' });
    stats.cases++;
    for (const p of profiles) {
      stats.runs++;
      stats.ops += ops;
      const f = failureOf(v.value_, p, name);
      if (!f) continue;
      if (f.refused) {
        stats.refused[f.message] = (stats.refused[f.message] ?? 0) + 1;
        continue;
      }
      const seen = stats.failures.find((x) => x.profile === p && x.kind === f.kind);
      if (seen) {
        seen.count++;
        stats.repeats++;
        continue;
      }
      const s = await shrink(arb, v, (x) => failureOf(x, p, name)?.kind === f.kind, o.shrinkBudget ?? 400);
      const small = failureOf(s.value.value_, p, name) ?? f;
      mkdirSync(o.outDir, { recursive: true });
      const file = join(o.outDir, `${name}-${p}.yaml`);
      const r = renderCase(s.value.value_.c, {
        name: `${name}-${p}`, kernel: p, config: s.value.value_.config,
        comment: [
          `mmsim fuzz --seed ${o.seed} --run ${run}: the model broke an invariant on ${p}; shrunk from ${ops} to the operations below.`,
          ...small.message.split('\n').map((l) => `  ${l}`),
          `Replay: mmsim run ${file} --debug`,
        ],
      });
      writeFileSync(file, r.yaml);
      const failure: ModelFailure = { profile: p, kind: f.kind, message: small.message, run, count: 1, file, ops: r.ops, originalOps: ops };
      stats.failures.push(failure);
      o.onFailure?.(failure);
    }
    stats.ms = Date.now() - t0;
    o.onProgress?.(stats, run);
  }
  stats.ms = Date.now() - t0;
  return stats;
}

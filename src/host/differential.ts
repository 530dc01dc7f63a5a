// One differential run: the scenario on this machine's kernel and on the model profile that matches
// it, compared field by field (what `mmsim host --compare` and the differential tests do).
import type { CompiledScenario } from '../scenario/load.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { runScenario, RunResult } from '../run.js';
import { evalExpectations, ExpectResult } from '../scenario/outcome.js';
import { probeHost, hostSpec, HostCaps, SpecOverrides } from './probe.js';
import { missingCapability } from './requirements.js';
import { runOnHost, checkHostLimits, HostRun, HostRunOptions, modelPlacement } from './run.js';
import { compareObservations, CompareRow, KnownDifference } from './compare.js';
import { hugetlbPoolConfig } from './hugetlb.js';
import { shmemThpConfig } from './shmem-thp.js';

export type Differential =
  | { kind: 'skipped'; reason: string }
  | {
      kind: 'ran';
      caps: HostCaps;
      spec: KernelSpec;
      note: string | null;
      host: HostRun;
      model: RunResult;
      /** the scenario's expectations evaluated on the kernel's observation */
      hostExpectations: ExpectResult[];
      rows: CompareRow[];
      /** kernel runs whose vmstat counters and minor-fault counts were combined (1 unless one disagreed at first) */
      vmstatRuns: number;
    };

/** how many kernel runs at most, when a system-wide vmstat counter or a thread's minor-fault count disagrees */
export const VMSTAT_RUNS = 3;

/**
 * the vmstat counters of /proc/vmstat are system-wide: another process faulting or splitting THPs
 * during one of the scenario's steps adds to them, never takes away. Where they disagree, the scenario
 * runs again on the kernel and each counter keeps its smallest value over the runs (everything else
 * stays as the first run saw it).
 */
export function minVmstat(into: HostRun & { kind: 'ok' }, other: HostRun & { kind: 'ok' }): void {
  for (const [name, snap] of Object.entries(into.observation.snapshots)) {
    const o = other.observation.snapshots[name];
    if (!o) continue;
    for (const [c, v] of Object.entries(snap.vmstat)) {
      const w = o.vmstat[c];
      if (w !== undefined && w < v) snap.vmstat[c] = w;
    }
  }
}

/**
 * a thread's minor-fault count on the kernel is now and then one too high, in a run that repeats without
 * it (docs/fidelity.md, "one minor fault too many"): the kernel counts a fault it finds nothing to do for
 * as minor, and what makes one is outside the scenario. Where a count disagrees, the scenario runs again
 * and each thread keeps its smallest count over the runs, as the vmstat counters do; a count that is
 * wrong every time still disagrees.
 */
export function minMinflt(into: HostRun & { kind: 'ok' }, other: HostRun & { kind: 'ok' }): void {
  for (const [name, t] of Object.entries(into.observation.threads)) {
    const o = other.observation.threads[name];
    if (o && o.minflt < t.minflt) t.minflt = o.minflt;
  }
}

/**
 * the overrides with the scenario's hugetlb pool and shmem_enabled, which the executor sets this machine's
 * to for the run: the model the host run is put beside (and whose placement of the mappings the executor
 * follows) runs with them too
 */
export function withScenarioPools(sc: CompiledScenario, over: SpecOverrides | undefined): SpecOverrides | undefined {
  const pool = [...hugetlbPoolConfig(sc), ...shmemThpConfig(sc)];
  return pool.length ? { ...over, config: [...pool, ...(over?.config ?? [])] } : over;
}

export async function differential(sc: CompiledScenario, known: KnownDifference[], opts: HostRunOptions & { over?: SpecOverrides } = {}): Promise<Differential> {
  // what the executor cannot hold is an error of the file, before either side runs
  checkHostLimits(sc);
  const caps = await probeHost();
  const { spec, note } = hostSpec(caps, withScenarioPools(sc, opts.over));
  const why = missingCapability(sc, caps, spec);
  if (why) return { kind: 'skipped', reason: why };
  const model = runScenario(sc, spec, { schedule: opts.schedule, trace: true });
  opts = { ...opts, placement: modelPlacement(model.observation) };
  const host = await runOnHost(sc, spec.name, caps.release, opts);
  if (host.kind === 'skipped') return { kind: 'skipped', reason: host.reason };
  if (host.kind !== 'ok') return { kind: 'ran', caps, spec, note, host, model, hostExpectations: [], rows: [], vmstatRuns: 1 };
  let rows = compareObservations(sc, model.observation, host.observation, known);
  let vmstatRuns = 1;
  const countDiffers = (rs: CompareRow[]) => rs.some((r) => r.status === 'differ' && (/ vmstat /.test(r.field) || / minflt$/.test(r.field)));
  while (countDiffers(rows) && vmstatRuns < VMSTAT_RUNS) {
    const again = await runOnHost(sc, spec.name, caps.release, opts);
    if (again.kind === 'skipped') break;
    if (again.kind !== 'ok') break;
    vmstatRuns++;
    minVmstat(host, again);
    minMinflt(host, again);
    rows = compareObservations(sc, model.observation, host.observation, known);
  }
  const hostExpectations = evalExpectations(sc, spec, { obs: host.observation, events: null });
  return { kind: 'ran', caps, spec, note, host, model, hostExpectations, rows, vmstatRuns };
}

// One differential run: the scenario on this machine's kernel and on the model profile that matches
// it, compared field by field (what `mmsim host --compare` and the differential tests do).
import type { CompiledScenario } from '../scenario/load.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { runScenario, RunResult } from '../run.js';
import { evalExpectations, ExpectResult, type Observation } from '../scenario/outcome.js';
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
      /**
       * kernel runs (1 unless a field disagreed at first): their vmstat counters and minor-fault counts
       * combined, and a later run that agreed on every field kept instead of the first
       */
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

type OkRun = HostRun & { kind: 'ok' };

/**
 * The comparison of a kernel run with the model's observation, run again where it disagrees (up to
 * VMSTAT_RUNS runs in all, `rerun` making each):
 * - a system-wide vmstat counter or a thread's minor-fault count: each keeps its smallest value over the runs
 *   (others' work only adds to them; minVmstat, minMinflt);
 * - any other field: a run that agrees on every field is the one kept (its counters the smallest over the
 *   runs). The executor holds the schedule, so a kernel that answers both ways answered the model's way too;
 *   what moves it is outside the scenario: another process's access setting PG_referenced, the machine's own
 *   reclaim (DAMON here) taking a page to the swap cache. A field the model gets wrong disagrees in every run,
 *   and is reported as the first run saw it (with the counters combined).
 */
export async function settle(sc: CompiledScenario, model: Observation, first: OkRun, known: KnownDifference[],
  rerun: () => Promise<HostRun>): Promise<{ host: OkRun; rows: CompareRow[]; runs: number }> {
  let host = first;
  let rows = compareObservations(sc, model, host.observation, known);
  let runs = 1;
  const countDiffers = (rs: CompareRow[]) => rs.some((r) => r.status === 'differ' && (/ vmstat /.test(r.field) || / minflt$/.test(r.field)));
  while (countDiffers(rows) && runs < VMSTAT_RUNS) {
    const again = await rerun();
    if (again.kind !== 'ok') break;
    runs++;
    minVmstat(host, again);
    minMinflt(host, again);
    rows = compareObservations(sc, model, host.observation, known);
  }
  while (rows.some((r) => r.status === 'differ') && runs < VMSTAT_RUNS) {
    const again = await rerun();
    if (again.kind !== 'ok') break;
    runs++;
    minVmstat(again, host);
    minMinflt(again, host);
    const rowsAgain = compareObservations(sc, model, again.observation, known);
    if (!rowsAgain.some((r) => r.status === 'differ')) {
      host = again;
      rows = rowsAgain;
      break;
    }
    minVmstat(host, again);
    minMinflt(host, again);
    rows = compareObservations(sc, model, host.observation, known);
  }
  return { host, rows, runs };
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
  const settled = await settle(sc, model.observation, host, known, () => runOnHost(sc, spec.name, caps.release, opts));
  const host1 = settled.host, rows = settled.rows, vmstatRuns = settled.runs;
  const hostExpectations = evalExpectations(sc, spec, { obs: host1.observation, events: null });
  return { kind: 'ran', caps, spec, note, host: host1, model, hostExpectations, rows, vmstatRuns };
}

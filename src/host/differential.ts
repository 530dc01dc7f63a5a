// One differential run: the scenario on this machine's kernel and on the model profile that matches
// it, compared field by field (what `mmsim host --compare` and the differential tests do).
import type { CompiledScenario } from '../scenario/load.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { runScenario, RunResult } from '../run.js';
import { evalExpectations, ExpectResult } from '../scenario/outcome.js';
import { probeHost, hostSpec, HostCaps } from './probe.js';
import { missingCapability } from './requirements.js';
import { runOnHost, HostRun, HostRunOptions } from './run.js';
import { compareObservations, CompareRow, KnownDifference } from './compare.js';

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
    };

export async function differential(sc: CompiledScenario, known: KnownDifference[], opts: HostRunOptions = {}): Promise<Differential> {
  const caps = await probeHost();
  const why = missingCapability(sc, caps);
  if (why) return { kind: 'skipped', reason: why };
  const { spec, note } = hostSpec(caps);
  const model = runScenario(sc, spec, { schedule: opts.schedule, trace: true });
  const host = await runOnHost(sc, spec.name, caps.release, opts);
  if (host.kind !== 'ok') return { kind: 'ran', caps, spec, note, host, model, hostExpectations: [], rows: [] };
  const hostExpectations = evalExpectations(sc, spec, { obs: host.observation, events: null });
  const rows = compareObservations(sc, model.observation, host.observation, known);
  return { kind: 'ran', caps, spec, note, host, model, hostExpectations, rows };
}

// Run a compiled scenario once on one kernel: setup, threads under a schedule, final snapshot, expectations.
import type { CompiledScenario } from './scenario/load.js';
import type { KernelSpec } from './kernel/kernel.js';
import { Machine, parseSchedule } from './sched/machine.js';
import { buildObservation, evalExpectations, expectationPasses, ExpectResult, Observation } from './scenario/outcome.js';
import type { TraceEvent } from './trace/events.js';

export interface RunResult {
  spec: KernelSpec;
  machine: Machine;
  observation: Observation;
  expectations: ExpectResult[];
  events: TraceEvent[];
  /** every applicable expectation held */
  ok: boolean;
}

export interface RunOptions {
  schedule?: string;
  trace?: boolean;
}

export function runScenario(sc: CompiledScenario, spec: KernelSpec, opts: RunOptions = {}): RunResult {
  const m = new Machine(sc, spec, { trace: opts.trace !== false });
  m.runSetup();
  if (opts.schedule) m.runSchedule(parseSchedule(opts.schedule));
  else m.runDefault();
  m.finish();
  const observation = buildObservation(m, spec);
  const events = m.k.tr?.events ?? [];
  const expectations = evalExpectations(sc, spec, { obs: observation, events });
  return { spec, machine: m, observation, expectations, events, ok: expectations.every(expectationPasses) };
}

// Run a compiled scenario once on one kernel: setup, threads under a schedule, final snapshot, expectations.
import type { CompiledScenario, Condition, Verdict } from './scenario/load.js';
import type { KernelSpec } from './kernel/kernel.js';
import { Machine, MachineError, parseSchedule, ThreadState } from './sched/machine.js';
import { ScenarioError } from './scenario/error.js';
import { traceKind } from './scenario/predicates.js';
import { buildObservation } from './sched/observation.js';
import { evalExpectations, evalPred, expectationPasses, ExpectResult, Observation, whenMatches } from './scenario/outcome.js';
import type { TraceEvent } from './trace/events.js';
import { budgetDoing } from './sched/budget.js';
import { traceStateAfterStep, debugVmAfterStep } from './sched/states.js';

export interface RunResult {
  spec: KernelSpec;
  machine: Machine;
  observation: Observation;
  expectations: ExpectResult[];
  events: TraceEvent[];
  /** the scenario's conditions (`mmsim check`'s) on this one execution */
  conditions: RunCondition[];
  /** every applicable expectation held, and no condition is contradicted by this execution */
  ok: boolean;
}

/** a condition evaluated on one execution: its predicate P here, and whether that agrees with what the scenario expects */
export interface RunCondition {
  name: string;
  kind: Condition['kind'];
  text: string;
  line: number;
  /** P on this execution (null: it cannot be evaluated) */
  p: boolean | null;
  /** the verdicts the scenario expects on this kernel, if it states them */
  expected: Verdict[] | null;
  /** this execution is consistent with the expected verdict (or, with none, does not violate the condition) */
  ok: boolean;
  detail: string;
}

/** one execution contradicts a verdict of Never when P holds, of Always when it does not; without verdicts, never:/forall: */
export function evalRunConditions(sc: CompiledScenario, spec: KernelSpec, obs: Observation, events: TraceEvent[]): RunCondition[] {
  return (sc.conditions ?? []).map((c) => {
    const r = evalPred(c.pred, { obs, events });
    const ve = (c.verdicts ?? []).find((v) => whenMatches(v.when, spec)) ?? null;
    const expected = ve ? ve.anyOf ?? [ve.verdict] : null;
    let ok: boolean;
    if (r.ok === null) ok = false;
    else if (expected) ok = expected.includes('Sometimes') || expected.includes(r.ok ? 'Always' : 'Never');
    else ok = c.kind === 'never' ? !r.ok : c.kind === 'forall' ? r.ok : true;
    return { name: c.name ?? 'condition', kind: c.kind, text: c.text, line: c.line, p: r.ok, expected, ok, detail: r.detail };
  });
}

export interface RunOptions {
  schedule?: string;
  /**
   * false: the caller does not need the trace (RunResult.events is then empty), and the run records
   * none unless the scenario's own expectations or conditions read it (klog:, event:; see scenarioReadsTrace)
   */
  trace?: boolean;
  /** check the whole kernel state after every step (kernel/mm/debug_vm.ts); a violation throws VmBugError */
  debug?: boolean;
  /**
   * with the trace: a `state` event after every step, setup's included (sched/states.ts): the page-table
   * walk of each observed address, folios, VMAs, uffds, threads; for readers that draw the run step by step
   */
  states?: boolean;
}

export { debugVmAfterStep } from './sched/states.js';

/** the scenario's expectations or conditions read the trace (klog:, event:), not only the final state */
export function scenarioReadsTrace(sc: CompiledScenario): boolean {
  const conds = [...(sc.conditions ?? []), ...(sc.condition ? [sc.condition] : [])];
  return sc.expect.some((e) => traceKind(e.pred) !== null) || conds.some((c) => traceKind(c.pred) !== null);
}

/** the scenario file's own schedule: a step that cannot be taken is an error of the file, at its `schedule` */
function runFileSchedule(m: Machine, sc: CompiledScenario): void {
  try {
    m.runSchedule(parseSchedule(sc.schedule!));
  } catch (e) {
    if (!(e instanceof MachineError) || !sc.scheduleAt) throw e;
    throw new ScenarioError(sc.file, sc.scheduleAt.line, sc.scheduleAt.col, 'schedule', e.message);
  }
}

export function runScenario(sc: CompiledScenario, spec: KernelSpec, opts: RunOptions = {}): RunResult {
  const trace = opts.trace !== false || scenarioReadsTrace(sc);
  // untraced, the run keeps no per-step history either: only what its observation reports (the last
  // result of each operation, the schedule as text), so its memory does not grow with its steps
  const states = trace && opts.states === true;
  const afterStep = opts.debug && states ? (mm: Machine, t: ThreadState) => { debugVmAfterStep(mm, t); traceStateAfterStep(mm, t); }
    : opts.debug ? debugVmAfterStep : states ? traceStateAfterStep : undefined;
  const m = new Machine(sc, spec, { trace, history: trace, afterStep });
  budgetDoing(() => m.describeNow());
  m.runSetup();
  if (opts.schedule) m.runSchedule(parseSchedule(opts.schedule));
  else if (sc.schedule) runFileSchedule(m, sc);
  else m.runDefault();
  m.finish();
  const observation = buildObservation(m, spec);
  const events = m.k.tr?.events ?? [];
  const expectations = evalExpectations(sc, spec, { obs: observation, events });
  const conditions = evalRunConditions(sc, spec, observation, events);
  return { spec, machine: m, observation, expectations, events, conditions, ok: expectations.every(expectationPasses) && conditions.every((c) => c.ok) };
}

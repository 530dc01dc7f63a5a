// `mmsim check`: every schedule of a scenario's threads on one kernel, with herd7-style results.
//
// The machine runs the scenario's setup once; from there the search (search.ts) or random walks
// (random.ts) visit schedules. Each terminal state (no thread can run) is an outcome; so is each
// cycle in which a thread keeps stepping without finishing an operation (a livelock, the endless
// fault loop). Outcomes are grouped by what the threads ended as; every condition of the scenario
// is evaluated on every outcome and gets herd7's verdict: Always, Sometimes or Never. A condition
// that does not hold comes with the shortest schedule that shows it, replayable with
// `mmsim run --schedule`.
import { budgetDoing } from '../sched/budget.js';
import type { CompiledScenario, Condition, Verdict } from '../scenario/load.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { Machine, formatSchedule } from '../sched/machine.js';
import { evalPred, whenMatches, Observation } from '../scenario/outcome.js';
import { buildObservation } from '../sched/observation.js';
import { traceKind } from '../scenario/predicates.js';
import { search, SearchStats, Progress, StateGraph } from './search.js';
import { randomWalks, RandomStats } from './random.js';
import { runScenario, debugVmAfterStep } from '../run.js';
import type { TraceEvent } from '../trace/events.js';

export interface CheckOptions {
  reduction?: boolean;
  maxStates?: number;
  maxTime?: number;
  maxDepth?: number;
  onProgress?: (p: Progress) => void;
  /** random walks instead of the exhaustive search */
  random?: number;
  seed?: number;
  /** PCT priority scheduling for the random walks, with this bug depth (default 3 when pct is on) */
  pct?: boolean;
  pctDepth?: number;
  /** replay counterexamples with tracing (default true) */
  trace?: boolean;
  /** check the whole kernel state after every step of every state explored (kernel/mm/debug_vm.ts) */
  debug?: boolean;
}

export type OutcomeKind = 'final' | 'deadlock' | 'livelock' | 'cycle';

export interface Outcome {
  /** what the threads ended as: "vcpu0=signal:SIGBUS vcpu1=killed:SIGBUS handler=killed:SIGBUS" */
  key: string;
  kind: OutcomeKind;
  /** distinct final states (exhaustive) or walks (random) with this outcome */
  count: number;
  /** per condition (in scenario order): does its expectation hold here? */
  holds: boolean[];
  /** one observation of the outcome (the first found) */
  observation: Observation;
  /** exhaustive: state ids of the outcome's states (terminal states; for cycles, the cycle start) */
  states: number[];
  /** for livelocks/cycles found: the shortest known lasso */
  lasso?: { prefix: number[]; loop: number[] };
  /** random: the schedule of the first walk that ended here, and its index */
  walk?: { index: number; schedule: number[]; loop?: number[] };
}

export interface Counterexample {
  /** thread names, one per step ("vcpu0 handler*3 vcpu0") */
  schedule: string;
  steps: number;
  outcome: string;
  /** for a livelock: the part of the schedule that repeats forever */
  loop?: string;
  /** random walks: the walk that found it */
  walk?: number;
  /** the replay: `mmsim run FILE -k KERNEL --schedule ...` of the same steps */
  replay: { outcome: string; reproduced: boolean; events: TraceEvent[]; observation: Observation } | null;
}

export interface ConditionResult {
  name: string;
  kind: Condition['kind'];
  text: string;
  line: number;
  /** outcomes (weighted by count) where the predicate is true / false */
  positive: number;
  negative: number;
  /** herd7's Observation: how often the predicate is true */
  observation: Verdict;
  /** does the condition hold (exists: some positive; forall: no negative; never: no positive)? */
  holds: boolean;
  /** the verdicts the scenario expects on this kernel (null: none stated) */
  expected: Verdict[] | null;
  /** expected verdict met, or (no expectation) the condition holds */
  ok: boolean;
  counterexample: Counterexample | null;
}

export interface CheckResult {
  scenario: string;
  file: string;
  kernel: string;
  release: string;
  mode: 'exhaustive' | 'random';
  complete: boolean;
  stopped: string | null;
  reduction: boolean;
  stats: SearchStats | RandomStats;
  /** complete executions in the explored graph (exhaustive) */
  interleavings: { paths: number; cyclic: boolean } | null;
  outcomes: Outcome[];
  conditions: ConditionResult[];
  deadlocks: number;
  livelocks: number;
  /** the shortest schedule to a deadlock and to a livelock (`mmsim run --schedule` replays it), when one was found */
  deadlockSchedule: string | null;
  livelockSchedule: string | null;
  /** ms from the start of the search to the first state violating a condition (null: none) */
  firstViolationMs: number | null;
  seed?: number;
  ok: boolean;
}

import { CheckError } from './errors.js';
export { CheckError };

function outcomeKey(obs: Observation, deadlock: boolean): string {
  const parts = Object.entries(obs.threads).map(([n, t]) => `${n}=${t.state}${t.signal && t.state !== 'livelock' ? ':' + t.signal : ''}`);
  return parts.join(' ') + (deadlock ? ' (deadlock)' : '');
}

export function checkScenario(sc: CompiledScenario, spec: KernelSpec, opts: CheckOptions = {}): CheckResult {
  const conds = sc.conditions ?? (sc.condition ? [sc.condition] : []);
  for (const c of conds) {
    const p = traceKind(c.pred);
    if (p) throw new CheckError(`${sc.file}:${c.line}: condition ${c.name ?? ''}: '${p}' predicates depend on the trace of one run, not on a state; check cannot evaluate them`);
  }
  const root = new Machine(sc, spec, { trace: false, afterStep: opts.debug ? debugVmAfterStep : undefined });
  budgetDoing(() => root.describeNow());
  root.runSetup();

  const outcomes = new Map<string, Outcome>();
  const t0 = performance.now();
  let firstViolationMs: number | null = null;
  const evalConds = (obs: Observation): boolean[] =>
    conds.map((c) => {
      const r = evalPred(c.pred, { obs, events: [] });
      if (r.ok === null) throw new CheckError(`${sc.file}:${c.line}: condition ${c.name}: cannot be evaluated on a state (${r.detail})`);
      return r.ok;
    });
  const violates = (holds: boolean[]) => conds.some((c, i) => (c.kind === 'forall' ? !holds[i] : c.kind === 'never' ? holds[i] : false));
  const record = (m: Machine, kind: OutcomeKind, livelocked: number[], add: (o: Outcome) => void) => {
    m.deadlock = kind === 'deadlock';
    m.finish();
    const obs = buildObservation(m, spec);
    for (const ti of livelocked) obs.threads[m.threads[ti]!.name]!.state = 'livelock';
    const key = outcomeKey(obs, kind === 'deadlock') + (kind === 'cycle' ? ' (cycle)' : '');
    // outcomes are told apart by how the threads ended and by what each condition says of them
    const holds = evalConds(obs);
    const group = key + '|' + holds.map((x) => (x ? 1 : 0)).join('');
    let o = outcomes.get(group);
    if (!o) {
      o = { key, kind, count: 0, holds, observation: obs, states: [] };
      outcomes.set(group, o);
    }
    add(o);
    if (firstViolationMs === null && violates(o.holds)) firstViolationMs = performance.now() - t0;
  };
  const terminalKind = (m: Machine): OutcomeKind => (m.threads.some((t) => t.status === 'blocked' && !m.idle(t)) ? 'deadlock' : 'final');

  let graph: StateGraph | null = null;
  const cycleStarts = new Set<number>();
  let stats: SearchStats | RandomStats;
  let complete: boolean, stopped: string | null;
  let reduction = opts.reduction !== false;
  if (opts.random !== undefined) {
    const seed = opts.seed ?? (Math.random() * 2 ** 31) >>> 0;
    opts.seed = seed;
    const r = randomWalks(root, {
      walks: opts.random, seed, pct: opts.pct === true, pctDepth: opts.pctDepth ?? 3, maxDepth: opts.maxDepth, maxTime: opts.maxTime,
      onProgress: opts.onProgress,
      onTerminal: (m, index, schedule) => record(m, terminalKind(m), [], (o) => {
        o.count++;
        if (!o.walk || schedule.length < o.walk.schedule.length) o.walk = { index, schedule };
      }),
      onCycle: (m, index, schedule, loop, livelocked) => record(m, livelocked.length ? 'livelock' : 'cycle', livelocked, (o) => {
        o.count++;
        if (!o.walk || schedule.length + loop.length < o.walk.schedule.length + (o.walk.loop?.length ?? 0)) o.walk = { index, schedule, loop };
      }),
    });
    stats = r.stats;
    complete = false;
    stopped = r.stopped;
  } else {
    const r = search(root, {
      reduction, maxStates: opts.maxStates, maxTime: opts.maxTime, maxDepth: opts.maxDepth, onProgress: opts.onProgress,
      onTerminal: (m, id) => record(m, terminalKind(m), [], (o) => {
        o.count++;
        o.states.push(id);
      }),
      onCycle: (c) => {
        // every path into a cycle closes it again: count each cycle start once
        const start = c.prefix[c.prefix.length - 1]!;
        const first = !cycleStarts.has(start);
        cycleStarts.add(start);
        record(c.machine, c.livelocked.length ? 'livelock' : 'cycle', c.livelocked, (o) => {
          if (first) {
            o.count++;
            o.states.push(start);
          }
          if (!o.lasso || c.prefix.length + c.loop.length < o.lasso.prefix.length + o.lasso.loop.length) o.lasso = { prefix: c.prefix, loop: c.loop };
        });
      },
    });
    graph = r.graph;
    stats = r.stats;
    reduction = r.reduction;
    complete = r.complete;
    stopped = r.stopped;
  }

  const outs = [...outcomes.values()].sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || a.key.localeCompare(b.key));
  const bfs = graph ? graph.bfsParents() : null;
  const names = root.threads.map((t) => t.name);
  const schedOf = (steps: number[]) => formatSchedule(steps.map((i) => names[i]!));

  /** the shortest path to an outcome: [steps to reach, loop] */
  const pathTo = (o: Outcome): { steps: number[]; loop: number[]; walk?: number } | null => {
    if (o.walk) return { steps: o.walk.schedule, loop: o.walk.loop ?? [], walk: o.walk.index };
    if (!graph || !bfs) return null;
    let best: number[] | null = null;
    if (o.kind === 'livelock' || o.kind === 'cycle') {
      if (!o.lasso) return null;
      // the shortest way to the cycle's start, then around the cycle
      const start = o.lasso.prefix[o.lasso.prefix.length - 1]!;
      best = graph.shortestPath(start, bfs);
      return best ? { steps: best, loop: o.lasso.loop } : null;
    }
    let bestDist = Infinity;
    let bestId = -1;
    for (const id of o.states) {
      const d = bfs.dist[id]!;
      if (d >= 0 && d < bestDist) {
        bestDist = d;
        bestId = id;
      }
    }
    if (bestId < 0) return null;
    best = graph.shortestPath(bestId, bfs);
    return best ? { steps: best, loop: [] } : null;
  };

  const conditions: ConditionResult[] = conds.map((c, ci) => {
    let positive = 0, negative = 0;
    for (const o of outs) {
      if (o.holds[ci]) positive += o.count;
      else negative += o.count;
    }
    const observation: Verdict = positive === 0 ? 'Never' : negative === 0 ? 'Always' : 'Sometimes';
    const holds = c.kind === 'exists' ? positive > 0 : c.kind === 'forall' ? negative === 0 : positive === 0;
    const ve = (c.verdicts ?? []).find((v) => whenMatches(v.when, spec)) ?? null;
    const expected = ve ? ve.anyOf ?? [ve.verdict] : null;
    const ok = expected ? expected.includes(observation) : holds;
    let counterexample: Counterexample | null = null;
    if (!holds && c.kind !== 'exists') {
      // the offending outcomes: P true for `never`, P false for `forall`; the shortest schedule to one
      let best: { steps: number[]; loop: number[]; walk?: number; o: Outcome } | null = null;
      for (const o of outs) {
        if (o.holds[ci] !== (c.kind === 'never')) continue;
        const p = pathTo(o);
        if (p && (!best || p.steps.length + p.loop.length < best.steps.length + best.loop.length)) best = { ...p, o };
      }
      if (best) counterexample = makeCounterexample(sc, spec, best.steps, best.loop, best.o, schedOf, best.walk, opts.trace !== false, evalConds);
    }
    return {
      name: c.name ?? 'condition', kind: c.kind, text: c.text, line: c.line, positive, negative, observation, holds, expected, ok, counterexample,
    };
  });

  const deadlocks = outs.filter((o) => o.kind === 'deadlock').reduce((a, o) => a + o.count, 0);
  const livelocks = outs.filter((o) => o.kind === 'livelock').reduce((a, o) => a + o.count, 0);
  const shortestTo = (kind: OutcomeKind): string | null => {
    let best: { steps: number[]; loop: number[] } | null = null;
    for (const o of outs) {
      if (o.kind !== kind) continue;
      const p = pathTo(o);
      if (p && (!best || p.steps.length + p.loop.length < best.steps.length + best.loop.length)) best = p;
    }
    return best ? schedOf([...best.steps, ...best.loop]) : null;
  };
  const deadlockSchedule = deadlocks ? shortestTo('deadlock') : null;
  const livelockSchedule = livelocks ? shortestTo('livelock') : null;
  // without conditions, a scenario asks that every schedule end: no deadlock, no livelock
  const ok = conds.length ? conditions.every((c) => c.ok) : deadlocks === 0 && livelocks === 0;
  return {
    scenario: sc.name, file: sc.file, kernel: spec.name, release: spec.release,
    mode: opts.random !== undefined ? 'random' : 'exhaustive', complete, stopped, reduction: opts.random === undefined && reduction,
    stats, interleavings: graph ? graph.countPaths() : null, outcomes: outs, conditions, deadlocks, livelocks, deadlockSchedule, livelockSchedule, firstViolationMs,
    ...(opts.random !== undefined ? { seed: opts.seed } : {}), ok,
  };
}

function kindRank(k: OutcomeKind): number {
  return k === 'final' ? 0 : k === 'deadlock' ? 1 : k === 'livelock' ? 2 : 3;
}

/** a counterexample, replayed with tracing: the same steps on a fresh machine must give the same outcome */
function makeCounterexample(
  sc: CompiledScenario, spec: KernelSpec, steps: number[], loop: number[], o: Outcome, schedOf: (s: number[]) => string,
  walk: number | undefined, trace: boolean, evalConds: (obs: Observation) => boolean[],
): Counterexample {
  const schedule = schedOf([...steps, ...loop]);
  let replay: Counterexample['replay'] = null;
  if (trace) {
    const r = runScenario(sc, spec, { schedule, trace: true });
    const key = outcomeKey(r.observation, r.observation.deadlock);
    // a livelock replays as far as the model's retry guard, which ends the looping thread as 'livelock'
    const reproduced = o.kind === 'livelock'
      ? Object.entries(o.observation.threads).every(([n, t]) => t.state !== 'livelock' || r.observation.threads[n]!.state === 'livelock')
      : key === o.key && evalConds(r.observation).every((x, i) => x === o.holds[i]);
    replay = { outcome: key, reproduced, events: r.events, observation: r.observation };
  }
  return {
    schedule, steps: steps.length + loop.length, outcome: o.key, ...(loop.length ? { loop: schedOf(loop) } : {}),
    ...(walk !== undefined ? { walk } : {}), replay,
  };
}

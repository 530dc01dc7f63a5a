// `mmsim check`: every schedule of a scenario's threads on one kernel, with herd7-style results.
//
// The machine runs the scenario's setup once; from there the search (search.ts) or random walks
// (random.ts) visit schedules. Each terminal state (no thread can run) is an outcome; so is each
// cycle in which a thread keeps stepping without finishing an operation (a livelock, the endless
// fault loop). Outcomes are grouped by what the threads ended as; every condition of the scenario
// is evaluated on every outcome and gets herd7's verdict: Always, Sometimes or Never. A condition
// that does not hold comes with the shortest schedule that shows it, replayable with
// `mmsim run --schedule`.
import type { CompiledScenario, Condition, Verdict } from '../scenario/load.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { Machine, formatSchedule } from '../sched/machine.js';
import { whenMatches, Observation } from '../scenario/outcome.js';
import { traceKind } from '../scenario/predicates.js';
import { search, stepOnce, SearchStats, Progress, StateGraph } from './search.js';
import { randomWalks, RandomStats } from './random.js';
import { runScenario } from '../run.js';
import { checkRoot } from './root.js';
import type { TraceEvent } from '../trace/events.js';
import { FingerprintSet, StateHasher } from './hash.js';
import { Outcome, OutcomeKind, OutcomeRecorder, kindRank, outcomeKey } from './outcomes.js';
import { shortestSchedules, type ShortestRequest } from './shortest.js';
import type { ReductionName } from './reduction.js';
import type { ReuseMode } from './step.js';

export type { Outcome, OutcomeKind };

export interface CheckOptions {
  /** 'sleep' (default) or 'none'; false means 'none' */
  reduction?: boolean | ReductionName;
  /** worker threads for the exhaustive search (checkScenarioAsync; default 1) */
  workers?: number;
  /**
   * with several workers: start the worker threads once this thread has searched for this many ms (it
   * searches from the start, and hands them work when they are ready); a search over by then starts none.
   * Default 0: at once
   */
  workersAfterMs?: number;
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
  /** step reuse (explore/step.ts): 'on', 'off', or 'verify' (run every step too and compare) */
  reuse?: ReuseMode;
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
  /** the reduction the search used ('none' for random walks) */
  reduction: ReductionName;
  /** worker threads that explored (1: the search on the calling thread) */
  workers: number;
  /** why a search with several workers was not used or was redone on one (null: it was not asked for, or it was used) */
  workersNote: string | null;
  stats: SearchStats | RandomStats;
  /** complete executions in the explored graph (exhaustive; with a reduction they depend on the order of the search) */
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

/** what an exhaustive search (one worker or several) leaves for the verdicts */
export interface SearchPhase {
  outcomes: Map<string, Outcome>;
  stats: SearchStats;
  complete: boolean;
  stopped: string | null;
  reduction: ReductionName;
  /** the explored graph (one worker), for lassos and the interleaving count */
  graph: StateGraph | null;
  interleavings: { paths: number; cyclic: boolean } | null;
  firstViolationAt: number | null;
  workers: number;
  workersNote: string | null;
}

function refuseTraceConditions(sc: CompiledScenario): void {
  const conds = sc.conditions ?? (sc.condition ? [sc.condition] : []);
  for (const c of conds) {
    const p = traceKind(c.pred);
    if (p) throw new CheckError(`${sc.file}:${c.line}: condition ${c.name ?? ''}: '${p}' predicates depend on the trace of one run, not on a state; check cannot evaluate them`);
  }
}

export { checkRoot };

/**
 * the search on this thread (one worker). The explored edges, most of a search's memory per state, are
 * kept only where something needs them: the interleaving count (no reduction) and the shortest paths
 * into cycles. A search without them that closes a cycle is run again with them, from a copy of the
 * root taken before (the search may step the root itself).
 */
export function searchPhase(root: Machine, sc: CompiledScenario, spec: KernelSpec, opts: CheckOptions): SearchPhase {
  const wantEdges = opts.reduction === 'none' || opts.reduction === false;
  const spare = wantEdges ? null : root.clone();
  const first = searchOnce(root, sc, spec, opts, wantEdges);
  if (spare !== null && first.stats.cycles > 0) return searchOnce(spare, sc, spec, opts, true);
  return first;
}

function searchOnce(root: Machine, sc: CompiledScenario, spec: KernelSpec, opts: CheckOptions, edges: boolean): SearchPhase {
  const rec = new OutcomeRecorder(sc, spec);
  const cycleStarts = new Set<number>();
  const r = search(root, {
    reduction: opts.reduction, maxStates: opts.maxStates, maxTime: opts.maxTime, maxDepth: opts.maxDepth, onProgress: opts.onProgress, edges, reuse: opts.reuse,
    onTerminal: (m, id, depth, hi, lo) => rec.terminal(m, id, depth, hi, lo),
    onCycle: (c) => {
      // every path into a cycle closes it again: count each cycle start once
      const start = c.prefix[c.prefix.length - 1]!;
      const first = !cycleStarts.has(start);
      cycleStarts.add(start);
      rec.record(c.machine, c.livelocked.length ? 'livelock' : 'cycle', c.livelocked, (o) => {
        if (first) {
          o.count++;
          o.states.push(start);
        }
        if (!o.lasso || c.prefix.length + c.loop.length < o.lasso.prefix.length + o.lasso.loop.length) o.lasso = { prefix: c.prefix, loop: c.loop };
      });
    },
  });
  return {
    outcomes: rec.groups, stats: r.stats, complete: r.complete, stopped: r.stopped, reduction: r.reduction, graph: r.graph,
    interleavings: r.graph.keepEdges ? r.graph.countPaths() : null, firstViolationAt: rec.firstViolationAt, workers: 1, workersNote: null,
  };
}

/** `mmsim check` of one scenario on one kernel, on this thread (one worker) */
export function checkScenario(sc: CompiledScenario, spec: KernelSpec, opts: CheckOptions = {}): CheckResult {
  refuseTraceConditions(sc);
  const root = checkRoot(sc, spec, opts.debug === true);
  const t0 = performance.timeOrigin + performance.now();
  if (opts.random !== undefined) return randomCheck(root, sc, spec, opts, t0);
  const fresh = root.clone();
  return verdicts(sc, spec, opts, fresh, searchPhase(root, sc, spec, opts), t0);
}

/**
 * The same with `opts.workers` worker threads (parallel.ts) when more than one is asked for and the
 * search allows it; otherwise checkScenario.
 */
export async function checkScenarioAsync(sc: CompiledScenario, spec: KernelSpec, opts: CheckOptions = {}): Promise<CheckResult> {
  const workers = opts.workers ?? 1;
  if (workers <= 1 || opts.random !== undefined) return checkScenario(sc, spec, opts);
  refuseTraceConditions(sc);
  const root = checkRoot(sc, spec, opts.debug === true);
  const t0 = performance.timeOrigin + performance.now();
  const fresh = root.clone();
  const { searchParallel } = await import('./parallel.js');
  const ph = await searchParallel(root, sc, spec, opts, workers, opts.workersAfterMs ?? 0);
  return verdicts(sc, spec, opts, fresh, ph, t0);
}

function randomCheck(root: Machine, sc: CompiledScenario, spec: KernelSpec, opts: CheckOptions, t0: number): CheckResult {
  const rec = new OutcomeRecorder(sc, spec);
  const seed = opts.seed ?? (Math.random() * 2 ** 31) >>> 0;
  opts.seed = seed;
  const r = randomWalks(root, {
    walks: opts.random!, seed, pct: opts.pct === true, pctDepth: opts.pctDepth ?? 3, maxDepth: opts.maxDepth, maxTime: opts.maxTime,
    onProgress: opts.onProgress,
    onTerminal: (m, index, schedule) => rec.record(m, rec.terminalKind(m), [], (o) => {
      o.count++;
      if (!o.walk || schedule.length < o.walk.schedule.length) o.walk = { index, schedule };
    }),
    onCycle: (m, index, schedule, loop, livelocked) => rec.record(m, livelocked.length ? 'livelock' : 'cycle', livelocked, (o) => {
      o.count++;
      if (!o.walk || schedule.length + loop.length < o.walk.schedule.length + (o.walk.loop?.length ?? 0)) o.walk = { index, schedule, loop };
    }),
  });
  return verdicts(sc, spec, opts, null, {
    outcomes: rec.groups, stats: r.stats as unknown as SearchStats, complete: false, stopped: r.stopped, reduction: 'none', graph: null,
    interleavings: null, firstViolationAt: rec.firstViolationAt, workers: 1, workersNote: null,
  }, t0, r.stats, root.threads.map((t) => t.name));
}

/** conditions, verdicts and counterexamples from what the search found */
function verdicts(
  sc: CompiledScenario, spec: KernelSpec, opts: CheckOptions, fresh: Machine | null, ph: SearchPhase, t0: number, randomStats?: RandomStats,
  threadNames?: string[],
): CheckResult {
  const rec = new OutcomeRecorder(sc, spec);
  const conds = rec.conds;
  const evalConds = (obs: Observation) => rec.evalConds(obs);
  const graph = ph.graph;
  const outs = [...ph.outcomes.values()].sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || a.key.localeCompare(b.key));
  const bfs = graph && graph.keepEdges ? graph.bfsParents() : null;
  const names = threadNames ?? fresh!.threads.map((t) => t.name);
  const schedOf = (steps: number[]) => formatSchedule(steps.map((i) => names[i]!));
  const random = opts.random !== undefined;

  // Shortest schedules to terminal states: in the full transition graph (shortest.ts), whatever the
  // order of the search; one breadth-first pass answers every request.
  const targets = new FingerprintSet(10);
  outs.forEach((o, gi) => {
    for (let j = 0; j < o.fps.length; j += 2) targets.add(o.fps[j]!, o.fps[j + 1]!, gi);
  });
  const requests: ShortestRequest[] = [];
  const requestOf = new Map<string, number>();
  const ask = (label: string, pick: (o: Outcome) => boolean) => {
    const groups = new Set<number>();
    // the search reached one of them at this depth: the shortest path is no longer
    let bound = Infinity;
    outs.forEach((o, gi) => {
      if (pick(o) && o.fps.length && (o.kind === 'final' || o.kind === 'deadlock')) {
        groups.add(gi);
        bound = Math.min(bound, o.minDepth);
      }
    });
    if (groups.size) {
      requestOf.set(label, requests.length);
      requests.push({ groups, bound });
    }
  };
  const violatedBy = (ci: number, c: Condition) => (o: Outcome) => o.holds[ci] === (c.kind === 'never');
  const holdsOf = conds.map((c, ci) => {
    let positive = 0, negative = 0;
    for (const o of outs) {
      if (o.holds[ci]) positive += o.count;
      else negative += o.count;
    }
    return { positive, negative };
  });
  if (!random && fresh) {
    conds.forEach((c, ci) => {
      const { positive, negative } = holdsOf[ci]!;
      const holds = c.kind === 'exists' ? positive > 0 : c.kind === 'forall' ? negative === 0 : positive === 0;
      if (!holds && c.kind !== 'exists') ask(`c${ci}`, violatedBy(ci, c));
    });
    ask('deadlock', (o) => o.kind === 'deadlock');
  }
  const answers = fresh && requests.length ? shortestSchedules(fresh, targets, requests) : [];
  const terminalPath = (label: string): number[] | null => {
    const i = requestOf.get(label);
    return i === undefined ? null : answers[i] ?? null;
  };

  /** the shortest path into a cycle outcome and around it (over the explored graph of one worker) */
  const lassoTo = (o: Outcome): { steps: number[]; loop: number[] } | null => {
    if (!graph || !bfs || !o.lasso) return null;
    const start = o.lasso.prefix[o.lasso.prefix.length - 1]!;
    const best = graph.shortestPath(start, bfs);
    return best ? { steps: best, loop: o.lasso.loop } : null;
  };
  /** the best path to an outcome with `pick`: the terminal one (full graph), or a lasso, or a random walk */
  const bestPath = (label: string, pick: (o: Outcome) => boolean): { steps: number[]; loop: number[]; walk?: number; o: Outcome } | null => {
    let best: { steps: number[]; loop: number[]; walk?: number; o: Outcome } | null = null;
    const consider = (p: { steps: number[]; loop: number[]; walk?: number }, o: Outcome) => {
      if (!best || p.steps.length + p.loop.length < best.steps.length + best.loop.length) best = { ...p, o };
    };
    const tp = terminalPath(label);
    if (tp) {
      // the outcome the path ends in: the group of its last state
      const o = outs.find((x, gi) => requests[requestOf.get(label)!]!.groups.has(gi) && endsIn(fresh!, tp, x));
      if (o) consider({ steps: tp, loop: [] }, o);
    }
    for (const o of outs) {
      if (!pick(o)) continue;
      if (o.walk) consider({ steps: o.walk.schedule, loop: o.walk.loop ?? [], walk: o.walk.index }, o);
      else if (o.kind === 'livelock' || o.kind === 'cycle') {
        const p = lassoTo(o);
        if (p) consider(p, o);
      }
    }
    return best;
  };

  const conditions: ConditionResult[] = conds.map((c, ci) => {
    const { positive, negative } = holdsOf[ci]!;
    const observation: Verdict = positive === 0 ? 'Never' : negative === 0 ? 'Always' : 'Sometimes';
    const holds = c.kind === 'exists' ? positive > 0 : c.kind === 'forall' ? negative === 0 : positive === 0;
    const ve = (c.verdicts ?? []).find((v) => whenMatches(v.when, spec)) ?? null;
    const expected = ve ? ve.anyOf ?? [ve.verdict] : null;
    const ok = expected ? expected.includes(observation) : holds;
    let counterexample: Counterexample | null = null;
    if (!holds && c.kind !== 'exists') {
      // the offending outcomes: P true for `never`, P false for `forall`; the shortest schedule to one
      const best = bestPath(`c${ci}`, violatedBy(ci, c));
      if (best) counterexample = makeCounterexample(sc, spec, best.steps, best.loop, best.o, schedOf, best.walk, opts.trace !== false, evalConds);
    }
    return {
      name: c.name ?? 'condition', kind: c.kind, text: c.text, line: c.line, positive, negative, observation, holds, expected, ok, counterexample,
    };
  });

  const deadlocks = outs.filter((o) => o.kind === 'deadlock').reduce((a, o) => a + o.count, 0);
  const livelocks = outs.filter((o) => o.kind === 'livelock').reduce((a, o) => a + o.count, 0);
  const shortestTo = (kind: OutcomeKind): string | null => {
    const best = bestPath(kind, (o) => o.kind === kind);
    return best ? schedOf([...best.steps, ...best.loop]) : null;
  };
  const deadlockSchedule = deadlocks ? shortestTo('deadlock') : null;
  const livelockSchedule = livelocks ? shortestTo('livelock') : null;
  // without conditions, a scenario asks that every schedule end: no deadlock, no livelock
  const ok = conds.length ? conditions.every((c) => c.ok) : deadlocks === 0 && livelocks === 0;
  return {
    scenario: sc.name, file: sc.file, kernel: spec.name, release: spec.release,
    mode: random ? 'random' : 'exhaustive', complete: ph.complete, stopped: ph.stopped, reduction: random ? 'none' : ph.reduction,
    workers: ph.workers, workersNote: ph.workersNote,
    stats: randomStats ?? ph.stats, interleavings: ph.interleavings, outcomes: outs, conditions, deadlocks, livelocks, deadlockSchedule, livelockSchedule,
    firstViolationMs: ph.firstViolationAt === null ? null : Math.max(0, ph.firstViolationAt - t0),
    ...(random ? { seed: opts.seed } : {}), ok,
  };
}

/** whether the schedule `steps` from `root` ends in a state of outcome o (by fingerprint) */
function endsIn(root: Machine, steps: number[], o: Outcome): boolean {
  const m = root.clone();
  for (const t of steps) stepOnce(m, t);
  const h = new StateHasher();
  m.fingerprint(h);
  const hi = h.fullHi(), lo = h.fullLo();
  for (let j = 0; j < o.fps.length; j += 2) if (o.fps[j] === hi && o.fps[j + 1] === lo) return true;
  return false;
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

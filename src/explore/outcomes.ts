// Outcomes of a check: terminal states (and cycles) grouped by how the threads ended and by what each
// condition says there. Used by the search on the main thread and by every worker (worker.ts), whose
// groups the main thread merges (mergeOutcomes): the groups, their counts and their representative
// observations do not depend on the order in which states were found.
import type { CompiledScenario, Condition } from '../scenario/load.js';
import type { KernelSpec } from '../kernel/kernel.js';
import type { Machine } from '../sched/machine.js';
import { evalPred, Observation } from '../scenario/outcome.js';
import { buildObservation } from '../sched/observation.js';
import { CheckError } from './errors.js';

export type OutcomeKind = 'final' | 'deadlock' | 'livelock' | 'cycle';

export interface Outcome {
  /** what the threads ended as: "vcpu0=signal:SIGBUS vcpu1=killed:SIGBUS handler=killed:SIGBUS" */
  key: string;
  kind: OutcomeKind;
  /** distinct final states (exhaustive) or walks (random) with this outcome */
  count: number;
  /** per condition (in scenario order): does its expectation hold here? */
  holds: boolean[];
  /**
   * one observation of the outcome: for terminal states, that of the state with the smallest
   * fingerprint (so that it does not depend on the order of the search); otherwise the first found
   */
  observation: Observation;
  /** exhaustive: state ids of the outcome's states (terminal states; for cycles, the cycle start) */
  states: number[];
  /** exhaustive, terminal states: their fingerprints, (hi, lo) pairs */
  fps: number[];
  /** the representative's fingerprint (terminal states) */
  repHi: number;
  repLo: number;
  /** the least depth at which the search found one of the states (a bound for the shortest path) */
  minDepth: number;
  /** for livelocks/cycles found: the shortest known lasso */
  lasso?: { prefix: number[]; loop: number[] };
  /** random: the schedule of the first walk that ended here, and its index */
  walk?: { index: number; schedule: number[]; loop?: number[] };
}

export function outcomeKey(obs: Observation, deadlock: boolean): string {
  const parts = Object.entries(obs.threads).map(([n, t]) => `${n}=${t.state}${t.signal && t.state !== 'livelock' ? ':' + t.signal : ''}`);
  return parts.join(' ') + (deadlock ? ' (deadlock)' : '');
}

export function kindRank(k: OutcomeKind): number {
  return k === 'final' ? 0 : k === 'deadlock' ? 1 : k === 'livelock' ? 2 : 3;
}

/** unsigned (hi, lo) < (hi2, lo2) */
function fpLess(hi: number, lo: number, hi2: number, lo2: number): boolean {
  return hi >>> 0 !== hi2 >>> 0 ? hi >>> 0 < hi2 >>> 0 : lo >>> 0 < lo2 >>> 0;
}

export class OutcomeRecorder {
  readonly groups = new Map<string, Outcome>();
  /** performance.timeOrigin + performance.now() when a state violating a condition was first found */
  firstViolationAt: number | null = null;
  readonly conds: Condition[];

  constructor(private sc: CompiledScenario, private spec: KernelSpec) {
    this.conds = sc.conditions ?? (sc.condition ? [sc.condition] : []);
  }

  evalConds(obs: Observation): boolean[] {
    return this.conds.map((c) => {
      const r = evalPred(c.pred, { obs, events: [] });
      if (r.ok === null) throw new CheckError(`${this.sc.file}:${c.line}: condition ${c.name}: cannot be evaluated on a state (${r.detail})`);
      return r.ok;
    });
  }

  violates(holds: boolean[]): boolean {
    return this.conds.some((c, i) => (c.kind === 'forall' ? !holds[i] : c.kind === 'never' ? holds[i] : false));
  }

  terminalKind(m: Machine): OutcomeKind {
    return m.threads.some((t) => t.status === 'blocked' && !m.idle(t)) ? 'deadlock' : 'final';
  }

  /** an outcome seen in machine m (finished here); `add` counts it in its group */
  record(m: Machine, kind: OutcomeKind, livelocked: number[], add: (o: Outcome, obs: Observation) => void): void {
    m.deadlock = kind === 'deadlock';
    m.finish();
    const obs = buildObservation(m, this.spec);
    for (const ti of livelocked) obs.threads[m.threads[ti]!.name]!.state = 'livelock';
    const key = outcomeKey(obs, kind === 'deadlock') + (kind === 'cycle' ? ' (cycle)' : '');
    // outcomes are told apart by how the threads ended and by what each condition says of them
    const holds = this.evalConds(obs);
    const group = key + '|' + holds.map((x) => (x ? 1 : 0)).join('');
    let o = this.groups.get(group);
    if (!o) {
      o = { key, kind, count: 0, holds, observation: obs, states: [], fps: [], repHi: -1, repLo: -1, minDepth: Infinity };
      this.groups.set(group, o);
    }
    add(o, obs);
    if (this.firstViolationAt === null && this.violates(o.holds)) this.firstViolationAt = performance.timeOrigin + performance.now();
  }

  /** a terminal state of the exhaustive search: id, depth found at, fingerprint */
  terminal(m: Machine, id: number, depth: number, hi: number, lo: number): void {
    this.record(m, this.terminalKind(m), [], (o, obs) => {
      // many schedules reach a state, and which one the search took first depends on its order
      obs.schedule = '';
      o.count++;
      o.states.push(id);
      o.fps.push(hi, lo);
      if (depth < o.minDepth) o.minDepth = depth;
      if (o.count === 1 || fpLess(hi, lo, o.repHi, o.repLo)) {
        o.observation = obs;
        o.repHi = hi;
        o.repLo = lo;
      }
    });
  }
}

/** the groups of several recorders (one per worker) as one: counts added, the least representative */
export function mergeOutcomes(parts: Map<string, Outcome>[]): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  for (const p of parts) {
    for (const [g, o] of p) {
      const x = out.get(g);
      if (!x) {
        out.set(g, { ...o, states: [...o.states], fps: [...o.fps] });
        continue;
      }
      x.count += o.count;
      x.states.push(...o.states);
      x.fps.push(...o.fps);
      x.minDepth = Math.min(x.minDepth, o.minDepth);
      if (fpLess(o.repHi, o.repLo, x.repHi, x.repLo)) {
        x.observation = o.observation;
        x.repHi = o.repHi;
        x.repLo = o.repLo;
      }
    }
  }
  return out;
}

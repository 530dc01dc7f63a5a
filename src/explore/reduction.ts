// Explorer reductions, pluggable beside the search loop: what to explore from a state, what to carry to
// a child, and what to do when a state is reached again. The search loops (search.ts, one worker;
// worker.ts, several) call only this interface; a new reduction implements it and is registered in
// REDUCTIONS, without touching either loop.
//
// - `none`: every enabled step of every state is taken.
// - `sleep`: sleep sets (Godefroid 1996) with state caching (see search.ts and footprint.ts).
import type { Machine } from '../sched/machine.js';
import { Footprint, dependent, readSet, writeSet, queuesDependent, type QueueFootprint } from './footprint.js';
import { effectsIndependent, type Effect } from '../state/reuse.js';

/**
 * The reduction's part of one expansion of a state (a frame of the depth-first search). The loop asks,
 * for each step t it considers from the state, `asleep(t)`; for a step it takes, `before` (with the state
 * still intact), then `after` (with the successor), which gives the successor's frame.
 */
export interface ReductionFrame {
  /** steps not to take from this state (bit mask over thread indices) */
  readonly mask: number;
  /**
   * Step t is about to be taken from m; `last`: no other step follows from this state; `exact`: the
   * step's effect (its exact footprint) will be given to after(). Returns whether the reduction needs m
   * intact after the step (then the loop steps a clone, never m itself).
   */
  before(m: Machine, t: number, last: boolean, exact: boolean): boolean;
  /**
   * m stepped by t into c (m intact if before() said so): the frame c is expanded with, if it is. eff:
   * the step's recorded effect (step reuse), whose cells read and written are its exact footprint; with
   * an effect, c may be null (a replayed step is made only if the search needs the state).
   */
  after(m: Machine, c: Machine | null, t: number, eff: Effect | null): ReductionFrame;
  /** the steps in `missing` must be taken from this state after all (a cycle closed through it) */
  wake(missing: number): void;
}

/**
 * A cell holding the mask a state was stored with (one per distinct state: an element of a typed array
 * for one worker, an atomic word of the shared table for several).
 */
export interface MaskCell {
  get(): number;
  /** cell &= x, atomically; returns the value before */
  and(x: number): number;
}

export interface Reduction {
  readonly name: ReductionName;
  /** at most this many threads (a mask is 32 bits); with more, the search uses `none` */
  readonly maxThreads: number;
  /** the frame of the root, and of a sub-tree handed to another worker (nothing carried) */
  root(): ReductionFrame;
  /** the mask stored with a state first reached with frame f */
  stored(f: ReductionFrame): number;
  /**
   * A state stored with `cell` is reached again with frame f: the steps to take from it now (bit mask;
   * 0: nothing). The cell is updated so that each step is handed out once, to whichever caller finds
   * it missing first.
   */
  revisit(cell: MaskCell, f: ReductionFrame): number;
}

export type ReductionName = 'none' | 'sleep';
export const REDUCTION_NAMES: readonly ReductionName[] = ['none', 'sleep'];

// ---- none ----

const NONE_FRAME: ReductionFrame = {
  mask: 0,
  before: () => false,
  after: () => NONE_FRAME,
  wake: () => {},
};

export const noReduction: Reduction = {
  name: 'none',
  maxThreads: Infinity,
  root: () => NONE_FRAME,
  stored: () => 0,
  revisit: () => 0,
};

// ---- sleep sets ----

/** a sleeping step and its footprint: estimated (footprint.ts) or exact (a recorded effect); never both kinds in one search */
interface Asleep {
  thread: number;
  fp: Footprint | null;
  eff: Effect | null;
}

/**
 * Whether two recorded steps may not commute, remembered by the pair: a search meets the same few
 * thousand effects in the same pairs again and again. A direct-mapped table of (lower id, higher id,
 * answer): a collision forgets the older pair.
 */
const PAIR_BITS = 18;
const pairs = new Int32Array(3 << PAIR_BITS);
function effectsDependent(a: Effect, b: Effect): boolean {
  const lo = a.id < b.id ? a.id : b.id, hi = a.id < b.id ? b.id : a.id;
  const o = ((Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca6b)) >>> (32 - PAIR_BITS)) * 3;
  if (pairs[o] === lo && pairs[o + 1] === hi) return pairs[o + 2] === 1;
  const dep = !effectsIndependent(a, b) || queuesDependent(a.sem as QueueFootprint, b.sem as QueueFootprint);
  pairs[o] = lo;
  pairs[o + 1] = hi;
  pairs[o + 2] = dep ? 1 : 0;
  return dep;
}

function asleepDependent(a: Asleep, fp: Footprint | null, eff: Effect | null): boolean {
  if (a.eff !== null && eff !== null) return effectsDependent(a.eff, eff);
  if (a.fp !== null && fp !== null) return dependent(a.fp, fp);
  throw new Error('sleep sets: an estimated footprint met an exact one');
}

/**
 * A state's sleep set: the inherited entries (steps asleep in the parent that are independent of the
 * step that led here), then one entry per step explored from here (it sleeps while the siblings after
 * it are explored).
 */
class SleepFrame implements ReductionFrame {
  mask: number;
  /** the footprint of the step between before() and after() */
  private fp: Footprint | null = null;

  constructor(private sleep: Asleep[], private inherited: number, mask: number) {
    this.mask = mask;
  }

  before(m: Machine, t: number, last: boolean, exact: boolean): boolean {
    // an exact footprint comes with the effect; m stays intact while something sleeps here (a cycle
    // through this state may wake it: wake() in search.ts)
    if (exact) return this.sleep.length > 0;
    // an estimate is needed while something sleeps here or siblings are still to come
    this.fp = this.sleep.length > 0 || !last ? readSet(m, t) : null;
    return this.fp !== null;
  }

  after(m: Machine, c: Machine | null, t: number, eff: Effect | null): ReductionFrame {
    const fp = this.fp;
    if (!fp && !eff) return new SleepFrame([], 0, 0);
    this.fp = null;
    if (fp) writeSet(m, c!, fp);
    const childSleep: Asleep[] = [];
    let childMask = 0;
    const sl = this.sleep;
    for (let j = 0; j < sl.length; j++) {
      const a = sl[j]!;
      if (!asleepDependent(a, fp, eff)) {
        childSleep.push(a);
        childMask |= 1 << a.thread;
      }
    }
    sl.push({ thread: t, fp, eff });
    this.mask = (this.mask | (1 << t)) >>> 0;
    return new SleepFrame(childSleep, childSleep.length, childMask >>> 0);
  }

  wake(missing: number): void {
    if (missing === 0) return;
    const kept: Asleep[] = [];
    let inherited = 0;
    for (let i = 0; i < this.sleep.length; i++) {
      const a = this.sleep[i]!;
      if (i < this.inherited && ((missing >>> a.thread) & 1) !== 0) continue;
      if (i < this.inherited) inherited++;
      kept.push(a);
    }
    this.sleep = kept;
    this.inherited = inherited;
    let x = 0;
    for (const a of kept) x |= 1 << a.thread;
    this.mask = x >>> 0;
  }
}

export const sleepSets: Reduction = {
  name: 'sleep',
  maxThreads: 32,
  root: () => new SleepFrame([], 0, 0),
  stored: (f) => f.mask,
  revisit(cell, f) {
    const now = f.mask;
    const stored = cell.get();
    if ((stored & ~now) === 0) return 0;
    const before = cell.and(now);
    return (before & ~now) >>> 0;
  },
};

export const REDUCTIONS: Record<ReductionName, Reduction> = { none: noReduction, sleep: sleepSets };

/** the reduction a search uses on a machine with `threads` threads */
export function reductionFor(name: ReductionName, threads: number): Reduction {
  const r = REDUCTIONS[name];
  return threads <= r.maxThreads ? r : noReduction;
}

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
  /**
   * The loop is done with frame f (its state popped off the stack, or a successor not expanded): the
   * reduction may reuse it. Nothing may look at f afterwards.
   */
  release(f: ReductionFrame): void;
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
  release: () => {},
};

// ---- sleep sets ----

/**
 * Whether two recorded steps may not commute, remembered by the pair: a search meets the same few
 * thousand effects in the same pairs again and again. A direct-mapped table of (lower id, higher id,
 * answer) (effect ids start at 1: a zero id is an empty slot); a collision forgets the older pair. It
 * starts small and grows (emptied: it is a cache) while it fills: its pages are touched at random, so a
 * table larger than the pairs a search meets is memory of its own (3 MiB at its largest).
 */
const PAIR_BITS_MAX = 18;
let pairBits = 12;
let pairs = new Int32Array(3 << pairBits);
let pairsFilled = 0;
function effectsDependent(a: Effect, b: Effect): boolean {
  const lo = a.id < b.id ? a.id : b.id, hi = a.id < b.id ? b.id : a.id;
  const o = ((Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca6b)) >>> (32 - pairBits)) * 3;
  if (pairs[o] === lo && pairs[o + 1] === hi) return pairs[o + 2] === 1;
  const dep = !effectsIndependent(a, b) || queuesDependent(a.sem as QueueFootprint, b.sem as QueueFootprint);
  if (pairs[o] === 0 && ++pairsFilled > 1 << (pairBits - 1) && pairBits < PAIR_BITS_MAX) {
    pairBits += 2;
    pairs = new Int32Array(3 << pairBits);
    pairsFilled = 0;
    return dep;
  }
  pairs[o] = lo;
  pairs[o + 1] = hi;
  pairs[o + 2] = dep ? 1 : 0;
  return dep;
}

function asleepDependent(afp: Footprint | null, aeff: Effect | null, fp: Footprint | null, eff: Effect | null): boolean {
  if (aeff !== null && eff !== null) return effectsDependent(aeff, eff);
  if (afp !== null && fp !== null) return dependent(afp, fp);
  throw new Error('sleep sets: an estimated footprint met an exact one');
}

/** at most this many entries in a sleep set: one per thread */
const MAX_SLEEP = 32;

/**
 * A state's sleep set (a sleeping step's footprint: estimated, footprint.ts, or exact, a recorded effect;
 * never both kinds in one search): the inherited entries (steps asleep in the parent that are independent of the
 * step that led here), then one entry per step explored from here (it sleeps while the siblings after
 * it are explored). An entry is a thread and its footprint, kept by value in the frame's own arrays:
 * frames are reused (release(): the search is depth-first, so a few dozen frames serve a whole search
 * without allocating one per transition).
 */
class SleepFrame implements ReductionFrame {
  mask = 0;
  /** entries, the first `inherited` of them inherited */
  n = 0;
  inherited = 0;
  readonly thr = new Int8Array(MAX_SLEEP);
  readonly effs: (Effect | null)[] = new Array<Effect | null>(MAX_SLEEP).fill(null);
  readonly fps: (Footprint | null)[] = new Array<Footprint | null>(MAX_SLEEP).fill(null);
  /** the footprint of the step between before() and after() */
  private fp: Footprint | null = null;

  before(m: Machine, t: number, last: boolean, exact: boolean): boolean {
    // an exact footprint comes with the effect; m stays intact while something sleeps here (a cycle
    // through this state may wake it: wake() in search.ts)
    if (exact) return this.n > 0;
    // an estimate is needed while something sleeps here or siblings are still to come
    this.fp = this.n > 0 || !last ? readSet(m, t) : null;
    return this.fp !== null;
  }

  after(m: Machine, c: Machine | null, t: number, eff: Effect | null): ReductionFrame {
    const fp = this.fp;
    const child = newSleepFrame();
    if (!fp && !eff) return child;
    this.fp = null;
    if (fp) writeSet(m, c!, fp);
    let k = 0, childMask = 0;
    const n = this.n, thr = this.thr, effs = this.effs, fps = this.fps;
    for (let j = 0; j < n; j++) {
      if (!asleepDependent(fps[j]!, effs[j]!, fp, eff)) {
        const a = thr[j]!;
        child.thr[k] = a;
        child.effs[k] = effs[j]!;
        child.fps[k] = fps[j]!;
        k++;
        childMask |= 1 << a;
      }
    }
    child.n = child.inherited = k;
    child.mask = childMask >>> 0;
    thr[n] = t;
    effs[n] = eff;
    fps[n] = fp;
    this.n = n + 1;
    this.mask = (this.mask | (1 << t)) >>> 0;
    return child;
  }

  /** empty, holding no footprint (a released frame keeps nothing alive) */
  reset(): void {
    for (let i = 0; i < this.n; i++) this.effs[i] = this.fps[i] = null;
    this.n = this.inherited = this.mask = 0;
    this.fp = null;
  }

  wake(missing: number): void {
    if (missing === 0) return;
    // the inherited entries of the threads in `missing` leave, the others keep their order
    let k = 0, inherited = 0, x = 0;
    const thr = this.thr, effs = this.effs, fps = this.fps;
    for (let i = 0; i < this.n; i++) {
      const a = thr[i]!;
      if (i < this.inherited && ((missing >>> a) & 1) !== 0) continue;
      if (i < this.inherited) inherited++;
      thr[k] = a;
      effs[k] = effs[i]!;
      fps[k] = fps[i]!;
      x |= 1 << a;
      k++;
    }
    for (let i = k; i < this.n; i++) effs[i] = fps[i] = null;
    this.n = k;
    this.inherited = inherited;
    this.mask = x >>> 0;
  }
}

/** released frames, reused by newSleepFrame (one pool per thread: a worker has its own module instance) */
const sleepPool: SleepFrame[] = [];

function newSleepFrame(): SleepFrame {
  const f = sleepPool.pop();
  if (f === undefined) return new SleepFrame();
  return f;
}

export const sleepSets: Reduction = {
  name: 'sleep',
  maxThreads: 32,
  root: () => newSleepFrame(),
  stored: (f) => f.mask,
  revisit(cell, f) {
    const now = f.mask;
    const stored = cell.get();
    if ((stored & ~now) === 0) return 0;
    const before = cell.and(now);
    return (before & ~now) >>> 0;
  },
  release(f) {
    (f as SleepFrame).reset();
    sleepPool.push(f as SleepFrame);
  },
};

export const REDUCTIONS: Record<ReductionName, Reduction> = { none: noReduction, sleep: sleepSets };

/** the reduction a search uses on a machine with `threads` threads */
export function reductionFor(name: ReductionName, threads: number): Reduction {
  const r = REDUCTIONS[name];
  return threads <= r.maxThreads ? r : noReduction;
}

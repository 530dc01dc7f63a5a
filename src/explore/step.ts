// One transition of the explorer, shared by the search loops (search.ts, one worker; worker.ts,
// several): the reduction's look before the step, the successor (a clone stepped, or an effect
// replayed), the reduction's frame for it, and its fingerprint.
//
// Step reuse (src/state/reuse.ts): with `reuse` on, a step is looked up by the cells it read last time
// (its thread's position, the entries its walk met, ...); a hit writes the recorded cells into a copy
// of the state instead of running the model, and its footprint for the sleep sets is exact (the cells
// read and written). `verify` runs every step fresh as well and stops at the first difference.
import type { Machine } from '../sched/machine.js';
import type { StateHasher } from './hash.js';
import type { ReductionFrame } from './reduction.js';
import type { SearchTiming } from './search.js';
import { applyListOp } from '../state/list.js';
import { StepCache, StepRecorder, applyEffect, carried, lanesAfter, readsOf, writesOf, addsOf, ReuseError, type Effect, type ReuseStats } from '../state/reuse.js';
import type { Lanes, Store } from '../state/store.js';
import { isUffdQueueCell } from '../kernel/fs/userfaultfd.js';
import { Footprint, queueStepReads, queueStepWrites, type QueueFootprint } from './footprint.js';

export type ReuseMode = 'off' | 'on' | 'verify';
export type StepResult = 'done' | 'blocked' | 'ended';
const RESULTS: readonly StepResult[] = ['done', 'blocked', 'ended'];

/** the threads that can take a step */
export function enabledThreads(m: Machine): number[] {
  const out: number[] = [];
  const ts = m.threads;
  for (let i = 0; i < ts.length; i++) if (m.runnable(ts[i]!)) out.push(i);
  return stepsWhere(out, ALL);
}

/**
 * The steps of `from` that `keep` lets through, in an array of the one shape every array of steps the
 * search loops see has: made with new Array(n), exactly as long (holey small integers), as
 * Stepper.enabled() makes them. An array of another shape (filter()'s, a literal's, a structured clone's)
 * sends the loop's optimised code back to the interpreter and the compiler when it first meets one,
 * once per thread of a parallel search.
 */
export function stepsWhere(from: readonly number[], keep: (t: number) => boolean): number[] {
  let n = 0;
  for (let j = 0; j < from.length; j++) if (keep(from[j]!)) n++;
  const out = new Array<number>(n);
  for (let j = 0, k = 0; j < from.length; j++) if (keep(from[j]!)) out[k++] = from[j]!;
  return out;
}
const ALL = (): boolean => true;

/** one step of thread ti in m (mutates m); 'blocked' when the thread made no progress */
export function stepOnce(m: Machine, ti: number): StepResult {
  const r = m.stepThread(m.threads[ti]!);
  m.adoptThreads();
  return r;
}

/**
 * A state of the search: its cells, and a machine over them once one is needed. A state made by
 * replaying recorded steps is cells only; the machine (the kernel's and the scenario's views) is made
 * when a step from it must run fresh, or a terminal state or cycle is reported (Stepper.machine()).
 */
export interface State {
  st: Store;
  m: Machine | null;
  /**
   * with reuse on, states are made in place in one store (Stepper's `W`): the length of its undo log
   * when this state is the store's content, and its lanes (undefined: a state of its own, not yet taken
   * into the store)
   */
  undo?: number;
  f1?: number;
  f2?: number;
  c1?: number;
  /** with reuse: the recorded "thread t can run" of each thread, once enabled() looked */
  run?: (Effect | null)[];
  /** with reuse: the parent's `run` and the step from it, whose stores tell which of them still hold */
  prevRun?: (Effect | null)[];
  via?: Effect;

}

/** the state of a machine */
export const stateOf = (m: Machine): State => ({ st: m.k.st, m, undo: undefined, f1: undefined, f2: undefined, c1: undefined, run: undefined, prevRun: undefined, via: undefined });

/** what Stepper.next() gives: the successor and its fingerprint */
export interface Successor {
  /**
   * the successor, or null when it was not made: a replayed step is fingerprinted from its parent and
   * its effect, and the state is made only if the search needs it (Stepper.state())
   */
  c: State | null;
  r: StepResult;
  red: ReductionFrame;
  fullHi: number;
  fullLo: number;
  ctrlHi: number;
  ctrlLo: number;
}

/** the queue footprint of a step that touched no uffd queue */
const NO_QUEUE: QueueFootprint = { fp: new Footprint(), global: false, cells: false };

/** the step-cache kinds of "thread t can run" are ENABLED_KIND + t (steps are kinds 0..threads - 1) */
const ENABLED_KIND = 64;

export class Stepper {
  private readonly cache: StepCache | null;
  private readonly rec: StepRecorder | null;
  readonly out: Successor = { c: null, r: 'done', red: null as unknown as ReductionFrame, fullHi: 0, fullLo: 0, ctrlHi: 0, ctrlLo: 0 };
  private clock = 0;
  /** a successor not made yet: its parent, the effect to replay on it, and whether in place */
  private pendParent: State | null = null;
  private pendEffect: Effect | null = null;
  private pendInPlace = false;
  /** the lanes of the successor not made yet */
  private readonly lanes: Lanes = { f1: 0, f2: 0, c1: 0 };
  /**
   * With reuse on, the states of the search are one store, W, stepped forward by the effects replayed
   * and back by an undo log (segment, cell, old value), as a depth-first search goes down and up: a
   * successor is made by writing its effect's cells into W, not by copying its parent. A machine over a
   * state is made over a copy of W (machine()), so that it stays valid whatever W becomes.
   */
  private readonly inPlace: boolean;
  private W: Store | null = null;
  private log = new Int32Array(3 << 12);
  private logN = 0;

  /** template: a machine of the search (the root), after which the machines of states are made */
  constructor(private readonly template: Machine, private readonly h: StateHasher, readonly reuse: ReuseMode, private readonly timing?: SearchTiming, maxNodes?: number) {
    this.cache = reuse === 'off' ? null : new StepCache(maxNodes);
    this.rec = reuse === 'off' ? null : new StepRecorder();
    this.inPlace = reuse === 'on';
  }

  /** W made state s's content (s taken into W first if it is a state of its own) */
  private at(s: State): void {
    if (s.undo === undefined) {
      // a state of its own (the root, a worker's start): W becomes a copy of it, with an empty log
      const w = (this.W = s.st.cloneCells());
      if (!w.hashing) w.startHashing();
      this.logN = 0;
      s.undo = 0;
      s.f1 = w.f1;
      s.f2 = w.f2;
      s.c1 = w.c1;
      s.st = w;
      return;
    }
    if (this.logN === s.undo) return;
    const W = this.W!, log = this.log;
    if (s.undo > this.logN) throw new Error('BUG: the search went back to a state W has left');
    for (let j = this.logN - 3; j >= s.undo; j -= 3) {
      const i = log[j + 1]!;
      W.segW(log[j]!).leafW(i)[i & 63] = log[j + 2]!;
    }
    this.logN = s.undo;
    W.f1 = s.f1!;
    W.f2 = s.f2!;
    W.c1 = s.c1!;
  }

  /** the old value of cell i of segment seg, logged before W's write */
  private logOld(seg: number, i: number, old: number): void {
    if (this.logN + 3 > this.log.length) {
      const g = new Int32Array(this.log.length * 2);
      g.set(this.log);
      this.log = g;
    }
    const log = this.log, n = this.logN;
    log[n] = seg;
    log[n + 1] = i;
    log[n + 2] = old;
    this.logN = n + 3;
  }

  private readonly diff: number[] = [];
  /** W made equal to st (a copy of W stepped: what a step that cannot be replayed did), every old value logged */
  private forwardTo(st: Store): void {
    const W = this.W!, cells = this.diff;
    for (let seg = 0; seg < W.segs.length; seg++) {
      cells.length = 0;
      W.segs[seg]!.changed(st.segs[seg]!, cells);
      if (cells.length === 0) continue;
      const S = W.segW(seg), T = st.segs[seg]!;
      for (const i of cells) {
        this.logOld(seg, i, S.peek(i));
        S.leafW(i)[i & 63] = T.peek(i);
      }
    }
    W.f1 = st.f1;
    W.f2 = st.f2;
    W.c1 = st.c1;
  }

  /** effect e written into W (its lanes after: `lanes`), every old value logged */
  private forward(e: Effect, lanes: Lanes): void {
    const W = this.W!, w = e.w, d = e.d;
    for (let j = 0; j < w.length; j += 3) {
      const seg = w[j]!, i = w[j + 1]!, S = W.segW(seg), old = S.peek(i), v = w[j + 2]!;
      if (old === v) continue;
      this.logOld(seg, i, old);
      S.leafW(i)[i & 63] = v;
    }
    for (let j = 0; j < d.length; j += 3) {
      const seg = d[j]!, i = d[j + 1]!, S = W.segW(seg), old = S.peek(i);
      this.logOld(seg, i, old);
      S.leafW(i)[i & 63] = (old + d[j + 2]!) | 0;
    }
    const ops = e.ops;
    if (ops !== null) {
      for (let o = 0; o < ops.length; o += 4) {
        // a list operation stores into the list's count and its values up to one past its end
        const seg = ops[o + 1]!, base = ops[o + 2]!, S = W.segW(seg);
        for (let i = base, end = base + S.peek(base) + 1; i <= end; i++) this.logOld(seg, i, S.peek(i));
        applyListOp(S, base, ops[o]!, ops[o + 3]!);
      }
    }
    W.f1 = lanes.f1;
    W.f2 = lanes.f2;
    W.c1 = lanes.c1;
  }

  get reuseStats(): ReuseStats | null {
    return this.cache?.stats ?? null;
  }

  private lap(part: 'clone' | 'step' | 'fingerprint' | 'footprint'): void {
    const now = performance.now();
    this.timing![part] += now - this.clock;
    this.clock = now;
  }

  /** the machine of state s (made over its cells if it has none; in place, over a copy of W) */
  machine(s: State): Machine {
    if (s.m !== null) return s.m;
    if (!this.inPlace) return (s.m = this.template.over(s.st));
    this.at(s);
    return (s.m = this.template.over(this.W!.clone()));
  }

  /**
   * The threads that can take a step in s. With reuse, whether each thread can run is looked up by the
   * cells that decide it (its status, position, what it waits on), like a step: a state made by replay
   * needs no machine for it.
   */
  enabled(s: State, into?: number[]): number[] {
    const cache = this.cache;
    if (cache === null) return enabledThreads(this.machine(s));
    if (this.inPlace) this.at(s);
    const n = this.template.threads.length;
    const run: (Effect | null)[] = (s.run = this.runPool.pop() ?? new Array<Effect | null>(n).fill(null));
    const prev = s.prevRun, via = s.via;
    let count = 0;
    for (let t = 0; t < n; t++) {
      let hit: Effect | null = null;
      if (this.reuse === 'on') {
        // unchanged since the parent unless the step stored into a cell that decided it
        const p = prev?.[t];
        hit = p != null && carried(via!, p) ? p : cache.lookup(s.st, ENABLED_KIND + t, false);
      }
      run[t] = hit ??= this.runnable(s, t);
      if (hit.result === 1) count++;
    }
    s.prevRun = s.via = undefined;
    // (an array of the exact length: push() would give it room for 17, and at 5 vCPUs that raised the
    // peak memory by 12 MiB; or the caller's, reused)
    let out: number[];
    if (into === undefined) out = new Array<number>(count);
    else {
      out = into;
      out.length = count;
    }
    for (let t = 0, j = 0; t < n; t++) if (run[t]!.result === 1) out[j++] = t;
    return out;
  }

  /** `run` arrays of states the search is done with (release), for the next enabled() */
  private runPool: (Effect | null)[][] = [];

  /**
   * The search is done with state s (its frame left the stack): its children read its `run` when they
   * were made, and nothing reads it any more
   */
  release(s: State): void {
    const r = s.run;
    if (r !== undefined) {
      s.run = undefined;
      this.runPool.push(r);
    }
    // a state made in place (state()) is reused whole: nothing keeps it once its frame is gone
    if (this.inPlace && s.undo !== undefined && s.st === this.W) {
      s.m = null;
      s.prevRun = s.via = undefined;
      this.statePool.push(s);
    }
  }
  private statePool: State[] = [];

  /** whether thread t can run in s (result 1), found on its machine and recorded */
  private runnable(s: State, t: number): Effect {
    const m = this.machine(s), rec = this.rec!, cache = this.cache!;
    rec.filter = null;
    rec.strictQuestions = true;
    rec.begin(m.k.st);
    let can: boolean;
    try {
      can = m.runnable(m.threads[t]!);
    } finally {
      if (m.k.st.rec === rec) m.k.st.rec = null;
    }
    const eff = rec.end(can ? 1 : 0);
    if (eff.w.length !== 0 || eff.d.length !== 0 || eff.ops !== null) throw new ReuseError(`whether thread ${t} can run: looking changed the state`);
    const seen = cache.lookup(s.st, ENABLED_KIND + t, false);
    if (seen === null) cache.insert(ENABLED_KIND + t, rec, eff);
    else if (seen.result !== eff.result) throw new ReuseError(`--verify-reuse: whether thread ${t} can run: recorded ${seen.result === 1}, found ${can}`);
    return eff;
  }

  /** the successor of the last next(), made now if it was not */
  state(): State {
    const o = this.out;
    if (o.c !== null) return o.c;
    const p = this.pendParent!, e = this.pendEffect!;
    if (this.inPlace) {
      this.at(p);
      this.forward(e, this.lanes);
      const l = this.lanes;
      const c = this.statePool.pop();
      if (c === undefined) o.c = { st: this.W!, m: null, undo: this.logN, f1: l.f1, f2: l.f2, c1: l.c1, run: undefined, prevRun: p.run, via: e };
      else {
        c.st = this.W!;
        c.m = null;
        c.undo = this.logN;
        c.f1 = l.f1;
        c.f2 = l.f2;
        c.c1 = l.c1;
        c.run = undefined;
        c.prevRun = p.run;
        c.via = e;
        o.c = c;
      }
      this.pendParent = this.pendEffect = null;
      return o.c;
    }
    const st = this.pendInPlace ? p.st : p.st.cloneCells();
    if (this.pendInPlace) p.m = null; // its views no longer match the cells
    applyEffect(st, e, this.lanes);
    o.c = { st, m: null, undo: undefined, f1: undefined, f2: undefined, c1: undefined, run: undefined, prevRun: p.run, via: e };
    this.pendParent = this.pendEffect = null;
    return o.c;
  }

  /**
   * The successor of s by thread t under frame red; `last`: no other step follows from s, which may
   * then be stepped in place unless the reduction needs it intact. A step replayed from the cache is
   * not made (out.c is null) until state() is asked for; s must not change before then.
   */
  next(s: State, red: ReductionFrame, t: number, last: boolean): Successor {
    const o = this.out, timing = this.timing;
    if (timing) this.clock = performance.now();
    this.pendParent = this.pendEffect = null;
    let c: Machine;
    let eff: Effect | undefined;
    if (this.cache === null) {
      const m = this.machine(s);
      const keep = red.before(m, t, last, false);
      if (timing) this.lap('footprint');
      c = last && !keep ? m : m.clone();
      if (timing) this.lap('clone');
      o.r = stepOnce(c, t);
      if (timing) this.lap('step');
      o.red = red.after(m, c, t, null);
      if (timing) this.lap('footprint');
    } else {
      if (this.inPlace) this.at(s);
      const keep = red.before(s.m as Machine, t, last, true);
      const hit = this.cache.lookup(s.st, t);
      if (hit !== null && this.reuse === 'on') {
        if (timing) this.lap('step');
        o.r = RESULTS[hit.result]!;
        o.red = red.after(s.m as Machine, null, t, hit);
        if (timing) this.lap('footprint');
        o.c = null;
        this.pendParent = s;
        this.pendEffect = hit;
        this.pendInPlace = last && !keep;
        this.fingerprint(lanesAfter(s.st, hit, this.lanes));
        if (timing) this.lap('fingerprint');
        return o;
      }
      const m = this.machine(s);
      // the queue part of the footprint needs the state before the step: no stepping in place
      const q = queueStepReads(m, t);
      c = m.clone();
      if (timing) this.lap('clone');
      const rec = this.rec!;
      rec.filter = q.global ? null : this.queueCells(c.k.st);
      rec.strictQuestions = false;
      rec.begin(c.k.st);
      let r: StepResult;
      try {
        // whether the thread may run is part of what the step read
        if (!c.runnable(c.threads[t]!)) throw new ReuseError(`thread ${t} stepped while not runnable`);
        r = stepOnce(c, t);
      } finally {
        if (c.k.st.rec === rec) c.k.st.rec = null;
      }
      eff = rec.end(RESULTS.indexOf(r));
      queueStepWrites(m, c, q);
      q.cells = eff.filtered;
      // (most steps touch no queue: they share one description, kept for the whole search)
      eff.sem = q.global || q.cells || q.fp.global || q.fp.r.length > 0 || q.fp.w.length > 0 ? q : NO_QUEUE;
      if (this.reuse === 'verify') {
        // the effect's lanes from its own parent: what a replay of it anywhere starts from
        const l = lanesAfter(m.k.st, eff, { f1: 0, f2: 0, c1: 0 }), b = c.k.st;
        if (l.f1 !== b.f1 || l.f2 !== b.f2 || l.c1 !== b.c1) throw new ReuseError(`--verify-reuse: the lanes of the step of thread ${c.threads[t]!.name} computed from its parent and its effect (${l.f1}, ${l.f2}, ${l.c1}) are not the run's (${b.f1}, ${b.f2}, ${b.c1})`);
      }
      if (hit === null) this.cache.insert(t, rec, eff);
      else this.verify(m, c, t, hit, eff);
      if (timing) this.lap('step');
      o.r = r;
      o.red = red.after(m, c, t, eff);
      if (timing) this.lap('footprint');
      if (this.inPlace && eff.noCache) {
        // a step that cannot be replayed (its recorded stores may not replay in order): W takes c's cells
        this.forwardTo(c.k.st);
        const W = this.W!;
        o.c = { st: W, m: null, undo: this.logN, f1: W.f1, f2: W.f2, c1: W.c1, run: undefined, prevRun: s.run, via: eff };
        const h = this.h;
        h.reset();
        c.fingerprint(h);
        this.read();
        return o;
      }
      if (this.inPlace) {
        // the successor is made in W like a replayed one (c, a machine of its own, is dropped)
        o.c = null;
        this.pendParent = s;
        this.pendEffect = eff;
        this.fingerprint(lanesAfter(s.st, eff, this.lanes));
        if (timing) this.lap('fingerprint');
        return o;
      }
    }
    o.c = { st: c.k.st, m: c, undo: undefined, f1: undefined, f2: undefined, c1: undefined, run: undefined, prevRun: s.run, via: eff };
    const h = this.h;
    h.reset();
    c.fingerprint(h);
    this.read();
    if (timing) this.lap('fingerprint');
    return o;
  }

  private fingerprint(l: Lanes): void {
    const h = this.h;
    h.reset();
    h.pair(l.f1, l.f2);
    h.counter(l.c1);
    this.read();
  }
  private read(): void {
    const h = this.h, o = this.out;
    o.fullHi = h.fullHi();
    o.fullLo = h.fullLo();
    o.ctrlHi = h.controlHi();
    o.ctrlLo = h.controlLo();
  }

  private uffdSeg = -2;
  /** the recorder's filter: the uffd queues' cells (their footprint is QueueFootprint's) */
  private queueCells(st: Store): (seg: number, cell: number) => boolean {
    if (this.uffdSeg === -2) this.uffdSeg = st.specs.findIndex((x) => x.name === 'uffd');
    const u = this.uffdSeg;
    return (seg, cell) => seg === u && isUffdQueueCell(cell);
  }

  /** --verify-reuse: the replay of `hit` on m must give the state c (and the footprint) that running the step gave (eff) */
  private verify(m: Machine, c: Machine, t: number, hit: Effect, eff: Effect): void {
    const fpKey = (e: Effect) => {
      const q = e.sem as QueueFootprint;
      return `${[...readsOf(e)]} / ${[...writesOf(e)]} / ${[...addsOf(e)]} / ${q.global} ${q.cells} ${q.fp.global} ${q.fp.r} / ${q.fp.w}`;
    };
    if (fpKey(hit) !== fpKey(eff)) {
      throw new ReuseError(`--verify-reuse: the step of thread ${c.threads[t]!.name} has another footprint than the recorded one: ran ${fpKey(eff)}; recorded ${fpKey(hit)}`);
    }
    const re = m.clone();
    applyEffect(re.k.st, hit);
    re.resync();
    const a = re.k.st, b = c.k.st;
    const diffs: string[] = [];
    for (let s = 0; s < a.segs.length && diffs.length < 8; s++) {
      const cells: number[] = [];
      a.segs[s]!.changed(b.segs[s]!, cells);
      for (const i of cells.slice(0, 8 - diffs.length)) diffs.push(`${a.specs[s]!.name}[${i}]: replayed ${a.segs[s]!.peek(i)}, ran ${b.segs[s]!.peek(i)}`);
    }
    const l = lanesAfter(m.k.st, hit, { f1: 0, f2: 0, c1: 0 });
    if (l.f1 !== b.f1 || l.f2 !== b.f2 || l.c1 !== b.c1) diffs.push(`the lanes found from the parent and the effect (${l.f1}, ${l.f2}, ${l.c1}) are not the run state's (${b.f1}, ${b.f2}, ${b.c1})`);
    if (diffs.length === 0) {
      const h = this.h;
      h.reset();
      re.fingerprint(h);
      const x = `${h.fullHi()}:${h.fullLo()}`;
      h.reset();
      c.fingerprint(h);
      if (x !== `${h.fullHi()}:${h.fullLo()}`) diffs.push('equal cells, different fingerprints: state outside the store');
    }
    if (diffs.length) {
      throw new ReuseError(`--verify-reuse: the step of thread ${c.threads[t]!.name} replayed from the cache differs from the step run: ${diffs.join('; ')}`);
    }
  }
}

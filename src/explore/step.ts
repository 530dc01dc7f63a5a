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
import { StepCache, StepRecorder, applyEffect, ReuseError, type Effect, type ReuseStats } from '../state/reuse.js';

export type ReuseMode = 'off' | 'on' | 'verify';
export type StepResult = 'done' | 'blocked' | 'ended';
const RESULTS: readonly StepResult[] = ['done', 'blocked', 'ended'];

/** one step of thread ti in m (mutates m); 'blocked' when the thread made no progress */
export function stepOnce(m: Machine, ti: number): StepResult {
  const r = m.stepThread(m.threads[ti]!);
  m.adoptThreads();
  return r;
}

/** what Stepper.next() gives: the successor and its fingerprint */
export interface Successor {
  c: Machine;
  r: StepResult;
  red: ReductionFrame;
  fullHi: number;
  fullLo: number;
  ctrlHi: number;
  ctrlLo: number;
}

export class Stepper {
  private readonly cache: StepCache | null;
  private readonly rec: StepRecorder | null;
  readonly out: Successor = { c: null as unknown as Machine, r: 'done', red: null as unknown as ReductionFrame, fullHi: 0, fullLo: 0, ctrlHi: 0, ctrlLo: 0 };
  private clock = 0;

  constructor(private readonly h: StateHasher, readonly reuse: ReuseMode, private readonly timing?: SearchTiming, maxNodes?: number) {
    this.cache = reuse === 'off' ? null : new StepCache(maxNodes);
    this.rec = reuse === 'off' ? null : new StepRecorder();
  }

  get reuseStats(): ReuseStats | null {
    return this.cache?.stats ?? null;
  }

  private lap(part: 'clone' | 'step' | 'fingerprint' | 'footprint'): void {
    const now = performance.now();
    this.timing![part] += now - this.clock;
    this.clock = now;
  }

  /**
   * The successor of m by thread t under frame red; `last`: no other step follows from m, which may
   * then be stepped in place unless the reduction needs it intact.
   */
  next(m: Machine, red: ReductionFrame, t: number, last: boolean): Successor {
    const o = this.out, timing = this.timing;
    if (timing) this.clock = performance.now();
    if (this.cache === null) {
      const keep = red.before(m, t, last, false);
      if (timing) this.lap('footprint');
      const c = last && !keep ? m : m.clone();
      if (timing) this.lap('clone');
      o.r = stepOnce(c, t);
      if (timing) this.lap('step');
      o.red = red.after(m, c, t, null);
      if (timing) this.lap('footprint');
      o.c = c;
    } else {
      const keep = red.before(m, t, last, true);
      const inPlace = last && !keep;
      const st = m.k.st;
      const hit = this.cache.lookup(st, t);
      let eff: Effect;
      let c: Machine;
      if (hit !== null && this.reuse === 'on') {
        c = inPlace ? m : m.clone();
        if (timing) this.lap('clone');
        applyEffect(c.k.st, hit);
        c.resync();
        eff = hit;
        if (timing) this.lap('step');
      } else {
        c = inPlace && hit === null ? m : m.clone();
        if (timing) this.lap('clone');
        const rec = this.rec!;
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
        if (hit === null) this.cache.insert(t, rec, eff);
        else this.verify(m, c, t, hit);
        if (timing) this.lap('step');
      }
      o.r = RESULTS[eff.result]!;
      o.red = red.after(m, c, t, eff);
      if (timing) this.lap('footprint');
      o.c = c;
    }
    const h = this.h;
    h.reset();
    o.c.fingerprint(h);
    o.fullHi = h.fullHi();
    o.fullLo = h.fullLo();
    o.ctrlHi = h.controlHi();
    o.ctrlLo = h.controlLo();
    if (timing) this.lap('fingerprint');
    return o;
  }

  /** --verify-reuse: the replay of `hit` on m must give the state c that running the step gave */
  private verify(m: Machine, c: Machine, t: number, hit: Effect): void {
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

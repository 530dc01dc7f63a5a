// Random walks over schedules, for scenarios too big to explore exhaustively (TLC's -simulate,
// Shuttle's RandomScheduler / PctScheduler). Every walk starts from the state after setup and picks
// the next thread at random until no thread can run, the walk returns to a state it has already
// been in (a cycle: the control fingerprint repeats), or the depth bound.
//
// With `pct`, walks follow PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): threads
// get random distinct priorities, the highest-priority runnable thread runs, and at d-1 random steps
// the running thread drops to the lowest priorities. A bug of depth d is found with probability at
// least 1/(n k^(d-1)) per walk (n threads, k steps).
//
// Walk i uses a generator seeded from (seed, i): the seed printed with the result replays every walk.
import type { Machine } from '../sched/machine.js';
import { FingerprintSet, StateHasher } from './hash.js';
import { enabledThreads, Progress, stepOnce } from './search.js';

export interface RandomOptions {
  walks: number;
  seed: number;
  pct: boolean;
  pctDepth: number;
  /** steps per walk before it is cut (default 10000) */
  maxDepth?: number;
  maxTime?: number;
  onProgress?: (p: Progress) => void;
  onTerminal?: (m: Machine, walk: number, schedule: number[]) => void;
  /** the walk came back to a state: schedule up to the cycle's start, then the cycle */
  onCycle?: (m: Machine, walk: number, schedule: number[], loop: number[], livelocked: number[]) => void;
}

export interface RandomStats {
  walks: number;
  /** distinct states met over all walks */
  distinct: number;
  transitions: number;
  /** walks cut by the depth bound */
  cut: number;
  maxDepth: number;
  elapsedMs: number;
  seed: number;
  scheduler: 'random' | 'pct';
}

/** mulberry32: a small, fast, seedable 32-bit generator */
export function rng32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function walkSeed(seed: number, walk: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(walk + 1, 0xc2b2ae35)) >>> 0;
}

export function randomWalks(root: Machine, o: RandomOptions): { stats: RandomStats; stopped: string | null } {
  const maxDepth = o.maxDepth ?? 10000;
  const seen = new FingerprintSet(16);
  const h = new StateHasher();
  const stats: RandomStats = {
    walks: 0, distinct: 0, transitions: 0, cut: 0, maxDepth: 0, elapsedMs: 0, seed: o.seed, scheduler: o.pct ? 'pct' : 'random',
  };
  const t0 = performance.now();
  let last = t0;
  let stopped: string | null = null;
  const n = root.threads.length;
  // PCT's k: the longest walk so far (a first guess from the number of operations)
  let k = Math.max(1, root.threads.reduce((a, t) => a + t.ops.length, 0) * 2);

  for (let w = 0; w < o.walks; w++) {
    if (o.maxTime !== undefined && performance.now() - t0 >= o.maxTime * 1000) {
      stopped = 'max-time';
      break;
    }
    const rnd = rng32(walkSeed(o.seed, w));
    const m = root.clone();
    const schedule: number[] = [];
    const progressed: boolean[] = [];
    // control fingerprint -> step index, for this walk
    const visited = new Map<number, number[]>();
    const note = (step: number): number => {
      h.reset();
      m.fingerprint(h);
      const fh = h.fullHi(), fl = h.fullLo();
      if (seen.get(fh, fl) < 0) {
        seen.add(fh, fl, seen.size);
        stats.distinct++;
      }
      const ch = h.controlHi(), cl = h.controlLo();
      const l = visited.get(ch);
      if (l) for (let i = 0; i < l.length; i += 2) if (l[i] === cl) return l[i + 1]!;
      if (l) l.push(cl, step);
      else visited.set(ch, [cl, step]);
      return -1;
    };
    note(0);
    // PCT: priorities n+d-1 .. d (higher runs first), change points in [1, k]
    const prio = new Float64Array(n);
    const change = new Map<number, number>();
    if (o.pct) {
      const order = [...Array(n).keys()];
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      order.forEach((t, i) => (prio[t] = o.pctDepth + i));
      for (let i = 1; i < o.pctDepth; i++) change.set(1 + Math.floor(rnd() * k), o.pctDepth - i);
    }
    for (;;) {
      const en = enabledThreads(m);
      if (en.length === 0) {
        o.onTerminal?.(m, w, schedule);
        break;
      }
      if (schedule.length >= maxDepth) {
        stats.cut++;
        break;
      }
      let t: number;
      if (o.pct) {
        t = en[0]!;
        for (const x of en) if (prio[x]! > prio[t]!) t = x;
        const cp = change.get(schedule.length + 1);
        if (cp !== undefined) prio[t] = cp;
      } else t = en[Math.floor(rnd() * en.length)]!;
      const r = stepOnce(m, t);
      stats.transitions++;
      schedule.push(t);
      progressed.push(r !== 'blocked');
      const at = note(schedule.length);
      if (at >= 0) {
        const loop = schedule.slice(at), lp = progressed.slice(at);
        const livelocked = [...new Set(loop)].filter((th) => loop.every((x, j) => x !== th || !lp[j]));
        o.onCycle?.(m, w, schedule.slice(0, at), loop, livelocked);
        break;
      }
    }
    stats.walks++;
    if (schedule.length > stats.maxDepth) stats.maxDepth = schedule.length;
    if (schedule.length > k) k = schedule.length;
    const now = performance.now();
    if (o.onProgress && now - last >= 1000) {
      last = now;
      const el = now - t0;
      o.onProgress({ distinct: stats.distinct, transitions: stats.transitions, depth: schedule.length, maxDepth: stats.maxDepth, frontier: o.walks - w - 1, elapsedMs: el, statesPerSec: (stats.distinct / el) * 1000 });
    }
  }
  stats.elapsedMs = performance.now() - t0;
  return { stats, stopped };
}

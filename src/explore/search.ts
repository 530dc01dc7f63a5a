// The exhaustive search over schedules: a stateful depth-first search from the machine state at the
// end of a scenario's setup, as SPIN does it.
//
// - Each step is one atomic step of one scenario thread (Machine.stepThread). A state is a whole
//   machine; a successor is made by cloning the state and stepping the clone.
// - Visited states are kept as 64-bit fingerprints (hash.ts) with a few bytes of per-state data and
//   the explored edges (for shortest counterexamples and for counting interleavings).
// - Reduction: sleep sets (Godefroid 1996) with state caching. After a step t has been explored from
//   a state, t sleeps while its siblings are explored, and stays asleep below them as long as each
//   step taken is independent of it (footprint.ts). A state reached again with a sleep set that is
//   not a superset of the one it was explored with has the missing steps explored then. Sleep sets
//   never lose a reachable state, terminal state or deadlock; they save transitions.
// - Cycles: the control fingerprint (everything but statistics) of every state on the DFS stack is
//   indexed; a step that returns to one closes a cycle, reported as a lasso (the path to the cycle
//   and the cycle). A thread that takes steps around the cycle but never completes an operation is
//   livelocked (the endless fault loop).
// - Budgets (states, time, depth) stop the search cleanly; the result says it is incomplete.
import type { Machine } from '../sched/machine.js';
import { FingerprintSet, StateHasher } from './hash.js';
import { type MaskCell, type Reduction, type ReductionFrame, type ReductionName, reductionFor } from './reduction.js';
import { Stepper, stateOf, enabledThreads, stepsWhere, type ReuseMode, type State } from './step.js';
import type { ReuseStats } from '../state/reuse.js';
import { growableArray, growArray } from './growable.js';

export interface SearchOptions {
  /**
   * step reuse (step.ts): replay recorded effects ('on'), also run every step and compare ('verify'),
   * or run every step ('off', the default)
   */
  reuse?: ReuseMode;
  /** the reduction (reduction.ts): 'sleep' (sleep sets, the default) or 'none'; false means 'none' */
  reduction?: boolean | ReductionName;
  /** stop after this many distinct states */
  maxStates?: number;
  /** stop after this many seconds */
  maxTime?: number;
  /** do not expand states deeper than this many steps */
  maxDepth?: number;
  /** called at least every progressEveryMs (default 1000) while the search runs */
  onProgress?: (p: Progress) => void;
  progressEveryMs?: number;
  /** a terminal state (no thread can run); `id` is its state id, (hi, lo) its fingerprint */
  onTerminal?: (m: Machine, id: number, depth: number, hi: number, lo: number) => void;
  /** a cycle closed by the step from the top of the stack */
  onCycle?: (c: CycleInfo) => void;
  /**
   * keep the explored edges (default true): the interleaving count and the shortest paths into cycles
   * need them; without them the search takes a fraction of the memory per state
   */
  edges?: boolean;
  /**
   * when given, the time spent in each part of a transition is added to it (ms); the clock reads
   * cost about 0.1 us per transition (bench/check.ts measures the split in a separate run)
   */
  timing?: SearchTiming;
}

/** where a search's time goes (ms): copying states, stepping, hashing, footprints (sleep sets) */
export interface SearchTiming {
  clone: number;
  step: number;
  fingerprint: number;
  footprint: number;
  total: number;
}

export interface Progress {
  distinct: number;
  transitions: number;
  depth: number;
  maxDepth: number;
  frontier: number;
  elapsedMs: number;
  statesPerSec: number;
}

export interface SearchStats {
  /** distinct states (fingerprints) */
  distinct: number;
  /** state expansions (a state is expanded again when revisited with a smaller sleep set) */
  explored: number;
  /** steps executed */
  transitions: number;
  /** steps not executed because they were asleep */
  pruned: number;
  /** steps that reached a state already seen */
  revisits: number;
  /** expansions caused by a revisit with a smaller sleep set */
  reexpanded: number;
  terminal: number;
  cycles: number;
  maxDepth: number;
  elapsedMs: number;
  /** several workers: sub-trees handed from one worker to another */
  handedOver?: number;
  /** step reuse: steps replayed (hits), run (misses), the cache's size */
  reuse?: ReuseStats;
}

export interface SearchResult {
  complete: boolean;
  /** the reduction used (sleep sets need at most 32 threads) */
  reduction: ReductionName;
  /** why the search stopped early, if it did */
  stopped: null | 'max-states' | 'max-time' | 'max-depth';
  stats: SearchStats;
  graph: StateGraph;
}

export interface CycleInfo {
  /** state ids from the root to the state where the cycle starts (inclusive) */
  prefix: number[];
  /** thread index of each step around the cycle, from the cycle's start back to it */
  loop: number[];
  /** whether each of those steps completed an operation */
  loopProgress: boolean[];
  /** threads that step around the cycle without completing an operation */
  livelocked: number[];
  /** the state that closes the cycle (its control view equals the cycle's start) */
  machine: Machine;
  /** its state id */
  id: number;
}

export { stepOnce } from './step.js';

export { enabledThreads } from './step.js';

/**
 * The explored part of the state graph: per-state data and edges, in typed arrays. The edges (for the
 * interleaving count and the paths into cycles) and the depths (for --max-depth) are kept only when
 * asked for: they are most of a search's memory per state.
 */
export class StateGraph {
  size = 0;
  depth: Int32Array;
  /**
   * sleep set (thread bit mask) the state was explored with: bytes when the threads fit in 8 bits, 16-bit
   * words in 16, 32-bit ones beyond (a mask is at most 32 bits: reduction.ts)
   */
  sleep: Uint8Array | Uint16Array | Uint32Array;
  /** FLAG_* */
  flags = growableArray(Uint8Array, 1024);
  firstEdge: Int32Array;
  edges = 0;
  eTo: Int32Array;
  eNext: Int32Array;
  eThread: Uint8Array;
  eProgress: Uint8Array;

  constructor(readonly keepEdges = true, readonly keepDepth = true, threads = 32) {
    this.sleep = threads <= 8 ? growableArray(Uint8Array, 1024) : threads <= 16 ? growableArray(Uint16Array, 1024) : growableArray(Uint32Array, 1024);
    this.depth = growableArray(Int32Array, keepDepth ? 1024 : 0);
    this.firstEdge = growableArray(Int32Array, keepEdges ? 1024 : 0).fill(-1);
    const e = keepEdges ? 4096 : 0;
    this.eTo = growableArray(Int32Array, e);
    this.eNext = growableArray(Int32Array, e);
    this.eThread = growableArray(Uint8Array, e);
    this.eProgress = growableArray(Uint8Array, e);
  }

  addState(depth: number): number {
    const id = this.size++;
    if (id >= this.flags.length) {
      const n = this.flags.length + (this.flags.length >> 1);
      if (this.keepDepth) this.depth = growArray(this.depth, n);
      this.sleep = growArray(this.sleep, n);
      this.flags = growArray(this.flags, n);
      if (this.keepEdges) this.firstEdge = growArray(this.firstEdge, n, -1);
    }
    if (this.keepDepth) this.depth[id] = depth;
    return id;
  }

  addEdge(from: number, to: number, thread: number, progress: boolean): void {
    const e = this.edges++;
    if (!this.keepEdges) return;
    if (e >= this.eTo.length) {
      const n = this.eTo.length + (this.eTo.length >> 1);
      this.eTo = growArray(this.eTo, n);
      this.eNext = growArray(this.eNext, n);
      this.eThread = growArray(this.eThread, n);
      this.eProgress = growArray(this.eProgress, n);
    }
    this.eTo[e] = to;
    this.eThread[e] = thread;
    this.eProgress[e] = progress ? 1 : 0;
    this.eNext[e] = this.firstEdge[from]!;
    this.firstEdge[from] = e;
  }

  /**
   * Shortest paths from the root (id 0) over the explored edges: for each state, the edge that
   * reaches it first in breadth-first order (-1 for the root and unreached states).
   */
  bfsParents(): { parentEdge: Int32Array; parent: Int32Array; dist: Int32Array } {
    const n = this.size;
    const parentEdge = new Int32Array(n).fill(-1);
    const parent = new Int32Array(n).fill(-1);
    const dist = new Int32Array(n).fill(-1);
    if (n === 0) return { parentEdge, parent, dist };
    const q = new Int32Array(n);
    let head = 0, tail = 0;
    q[tail++] = 0;
    dist[0] = 0;
    while (head < tail) {
      const v = q[head++]!;
      // edges are prepended: walk them in insertion order for a stable choice
      const es: number[] = [];
      for (let e = this.firstEdge[v]!; e >= 0; e = this.eNext[e]!) es.push(e);
      for (let j = es.length - 1; j >= 0; j--) {
        const e = es[j]!;
        const w = this.eTo[e]!;
        if (dist[w]! >= 0) continue;
        dist[w] = dist[v]! + 1;
        parent[w] = v;
        parentEdge[w] = e;
        q[tail++] = w;
      }
    }
    return { parentEdge, parent, dist };
  }

  /** thread indices along the shortest path from the root to `id` */
  shortestPath(id: number, bfs = this.bfsParents()): number[] | null {
    if (bfs.dist[id]! < 0) return null;
    const out: number[] = [];
    for (let v = id; v !== 0; v = bfs.parent[v]!) out.push(this.eThread[bfs.parentEdge[v]!]!);
    return out.reverse();
  }

  /**
   * Complete executions in the explored graph: paths from the root to terminal states. Edges that
   * close a cycle are not followed (`cyclic` says whether there were any). Counts beyond 2^53 are
   * approximate.
   */
  countPaths(): { paths: number; cyclic: boolean } {
    const n = this.size;
    if (n === 0) return { paths: 0, cyclic: false };
    const count = new Float64Array(n);
    const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
    let cyclic = false;
    const stack: number[] = [0];
    const edgeCursor = new Int32Array(n).fill(-2);
    while (stack.length) {
      const v = stack[stack.length - 1]!;
      if (edgeCursor[v] === -2) {
        state[v] = 1;
        edgeCursor[v] = this.firstEdge[v]!;
        if ((this.flags[v]! & FLAG_TERMINAL) !== 0) count[v] = 1;
      }
      const e = edgeCursor[v]!;
      if (e >= 0) {
        edgeCursor[v] = this.eNext[e]!;
        const w = this.eTo[e]!;
        if (state[w] === 1) cyclic = true;
        else if (state[w] === 0) stack.push(w);
        continue;
      }
      // all edges done: sum the children
      let c = count[v]!;
      for (let f = this.firstEdge[v]!; f >= 0; f = this.eNext[f]!) {
        const w = this.eTo[f]!;
        if (state[w] === 2) c += count[w]!;
      }
      count[v] = c;
      state[v] = 2;
      stack.pop();
    }
    return { paths: count[0]!, cyclic };
  }

  get bytes(): number {
    return this.depth.byteLength + this.sleep.byteLength + this.flags.byteLength + this.firstEdge.byteLength +
      this.eTo.byteLength + this.eNext.byteLength + this.eThread.byteLength + this.eProgress.byteLength;
  }
}

export const FLAG_TERMINAL = 1;
export const FLAG_EXPANDED = 2;
export const FLAG_CUT = 4;

interface Frame {
  /** the state (its cells; its machine once one was needed) */
  s: State;
  id: number;
  depth: number;
  /** steps to try from here, in order */
  todo: number[];
  cursor: number;
  /** the reduction's part: what is asleep here */
  red: ReductionFrame;
  /** the step that led here, and whether it completed an operation */
  via: number;
  viaProgress: boolean;
  ctrlHi: number;
  ctrlLo: number;
}

/** the stored mask of state `id` in the graph's per-state array */
class GraphCell implements MaskCell {
  id = 0;
  constructor(private graph: StateGraph) {}
  get(): number {
    return this.graph.sleep[this.id]!;
  }
  and(x: number): number {
    const old = this.graph.sleep[this.id]!;
    this.graph.sleep[this.id] = (old & x) >>> 0;
    return old;
  }
}

/** a frame with nothing asleep: what a cycle wakes a stack state to */
const AWAKE = { mask: 0 } as ReductionFrame;

/**
 * A state on the stack is reached again with nothing asleep (a cycle): the steps it was expanded with
 * asleep must be taken from it after all, as for any state reached again with a smaller sleep set; its
 * frame takes them when the search returns to it. Its machine is still intact: a frame with something
 * asleep never steps its own machine in place.
 */
function wake(f: Frame, reduction: Reduction, cell: GraphCell): void {
  cell.id = f.id;
  const missing = reduction.revisit(cell, AWAKE);
  if (missing === 0) return;
  f.red.wake(missing);
  for (let t = 0; t < 32; t++) {
    if (((missing >>> t) & 1) === 0) continue;
    // taken when the cursor reaches it; if the cursor is past it, at the end
    let pending = false;
    for (let j = f.cursor; j < f.todo.length; j++) if (f.todo[j] === t) pending = true;
    if (!pending) f.todo.push(t);
  }
}

/**
 * The control fingerprints of the states on the DFS stack, by stack index: a hash table whose
 * buckets chain stack indices from the top down (the stack pops in reverse order of pushes, so the
 * popped index is always at the head of its bucket). At most one state per control view is on the
 * stack (a second one would have closed a cycle instead).
 */
/** a copy of a with n elements (the stack index is as small as the stack is deep) */
function copied<T extends Int32Array | Uint32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

export class StackIndex {
  private head = new Int32Array(1024).fill(-1);
  private next = new Int32Array(256);
  private hi = new Uint32Array(256);
  private lo = new Uint32Array(256);

  push(hi: number, lo: number, idx: number): void {
    if (idx >= this.next.length) {
      const n = Math.max(idx + 1, this.next.length * 2);
      this.next = copied(this.next, n);
      this.hi = copied(this.hi, n);
      this.lo = copied(this.lo, n);
    }
    const b = hi & 1023;
    this.hi[idx] = hi;
    this.lo[idx] = lo;
    this.next[idx] = this.head[b]!;
    this.head[b] = idx;
  }
  /** the top of the stack (index idx) is popped */
  pop(idx: number): void {
    this.head[this.hi[idx]! & 1023] = this.next[idx]!;
  }
  find(hi: number, lo: number): number {
    for (let i = this.head[hi & 1023]!; i >= 0; i = this.next[i]!) if (this.hi[i] === hi && this.lo[i] === lo) return i;
    return -1;
  }
}

/** Explore every schedule from `root` (a machine after its setup, untraced). */
export function search(root: Machine, opts: SearchOptions = {}): SearchResult {
  const reduction = reductionFor(opts.reduction === false ? 'none' : opts.reduction === true || opts.reduction === undefined ? 'sleep' : opts.reduction, root.threads.length);
  const maxStates = opts.maxStates ?? Infinity;
  const maxTimeMs = (opts.maxTime ?? Infinity) * 1000;
  const maxDepth = opts.maxDepth ?? Infinity;
  const every = opts.progressEveryMs ?? 1000;
  const timing = opts.timing;
  const seen = new FingerprintSet(10);
  const graph = new StateGraph(opts.edges !== false, opts.maxDepth !== undefined && opts.maxDepth !== Infinity, root.threads.length);
  const cell = new GraphCell(graph);
  const h = new StateHasher();
  const stepper = new Stepper(root.clone(), h, opts.reuse ?? 'off', timing);
  const stats: SearchStats = {
    distinct: 0, explored: 0, transitions: 0, pruned: 0, revisits: 0, reexpanded: 0, terminal: 0, cycles: 0, maxDepth: 0, elapsedMs: 0,
  };
  const t0 = performance.now();
  let lastProgress = t0;
  let stopped: SearchResult['stopped'] = null;
  let depthCut = false;

  const onStack = new StackIndex();
  const pushCtrl = (hi: number, lo: number, idx: number) => onStack.push(hi, lo, idx);
  const popCtrl = (idx: number) => onStack.pop(idx);
  const findCtrl = (hi: number, lo: number): number => onStack.find(hi, lo);

  const stack: Frame[] = [];
  const framePool: Frame[] = [];
  const todoPool: number[][] = [];
  h.reset();
  root.fingerprint(h);
  const rootId = graph.addState(0);
  seen.add(h.fullHi(), h.fullLo(), rootId);
  stats.distinct = 1;
  const rootEnabled = enabledThreads(root);
  if (rootEnabled.length === 0) {
    graph.flags[rootId] |= FLAG_TERMINAL;
    stats.terminal++;
    opts.onTerminal?.(root, rootId, 0, h.fullHi(), h.fullLo());
  } else {
    stack.push({ s: stateOf(root), id: rootId, depth: 0, todo: rootEnabled, cursor: 0, red: reduction.root(), via: -1, viaProgress: false, ctrlHi: h.controlHi(), ctrlLo: h.controlLo() });
    pushCtrl(h.controlHi(), h.controlLo(), 0);
    graph.flags[rootId] |= FLAG_EXPANDED;
    stats.explored++;
  }

  const progress = (now: number) => {
    const el = now - t0;
    opts.onProgress?.({
      distinct: stats.distinct, transitions: stats.transitions, depth: stack.length, maxDepth: stats.maxDepth,
      frontier: stack.reduce((a, f) => a + f.todo.length - f.cursor, 0), elapsedMs: el,
      statesPerSec: el > 0 ? (stats.distinct / el) * 1000 : 0,
    });
  };

  while (stack.length) {
    if ((stats.transitions & 255) === 0) {
      const now = performance.now();
      if (now - t0 >= maxTimeMs) {
        stopped = 'max-time';
        break;
      }
      if (opts.onProgress && now - lastProgress >= every) {
        lastProgress = now;
        progress(now);
      }
    }
    if (stats.distinct >= maxStates) {
      stopped = 'max-states';
      break;
    }
    const f = stack[stack.length - 1]!;
    if (f.cursor >= f.todo.length) {
      stack.pop();
      popCtrl(stack.length);
      reduction.release(f.red);
      stepper.release(f.s);
      f.s = null!;
      todoPool.push(f.todo);
      f.todo = null!;
      framePool.push(f);
      continue;
    }
    const t = f.todo[f.cursor++]!;
    const red = f.red;
    if (((red.mask >>> t) & 1) !== 0) {
      stats.pruned++;
      continue;
    }
    const last = f.cursor >= f.todo.length;
    // (the last step from a state may take the state itself: nothing looks at it afterwards; its
    // clones share copy-on-write parts with it, which stepping it in place respects)
    // (c: null when the step was replayed and the state not made; stepper.state() makes it)
    const { r, red: childRed, fullHi, fullLo, ctrlHi, ctrlLo } = stepper.next(f.s, red, t, last);
    stats.transitions++;
    const progressed = r !== 'blocked';

    const depth = f.depth + 1;
    let id = seen.get(fullHi, fullLo);
    const fresh = id < 0;
    if (fresh) {
      id = graph.addState(depth);
      seen.add(fullHi, fullLo, id);
      stats.distinct++;
      if (depth > stats.maxDepth) stats.maxDepth = depth;
    }
    graph.addEdge(f.id, id, t, progressed);

    // back to a state on the stack (as far as the control view goes): a cycle
    const si = findCtrl(ctrlHi, ctrlLo);
    if (si >= 0) {
      stats.cycles++;
      graph.flags[id] |= FLAG_CUT;
      // The state on the stack was expanded with sleeping steps that are awake here: as for any state
      // reached again with a smaller sleep set, those steps must be taken from it after all (its
      // frame takes them when the search returns to it).
      for (let j = si; j < stack.length; j++) wake(stack[j]!, reduction, cell);
      if (opts.onCycle) {
        const loop: number[] = [], loopProgress: boolean[] = [];
        for (let j = si + 1; j < stack.length; j++) {
          loop.push(stack[j]!.via);
          loopProgress.push(stack[j]!.viaProgress);
        }
        loop.push(t);
        loopProgress.push(progressed);
        const livelocked: number[] = [];
        for (const th of new Set(loop)) if (loop.every((x, j) => x !== th || !loopProgress[j])) livelocked.push(th);
        opts.onCycle({ prefix: stack.slice(0, si + 1).map((x) => x.id), loop, loopProgress, livelocked, machine: stepper.machine(stepper.state()), id });
      }
      reduction.release(childRed);
      continue;
    }

    let todo: number[] | null = null;
    let c: State;
    if (fresh) {
      c = stepper.state();
      const en = stepper.enabled(c, todoPool.pop());
      if (en.length === 0) {
        graph.flags[id] |= FLAG_TERMINAL;
        stats.terminal++;
        opts.onTerminal?.(stepper.machine(c), id, depth, fullHi, fullLo);
        reduction.release(childRed);
        continue;
      }
      if (depth >= maxDepth) {
        depthCut = true;
        graph.flags[id] |= FLAG_CUT;
        reduction.release(childRed);
        continue;
      }
      graph.sleep[id] = reduction.stored(childRed);
      todo = en;
    } else {
      stats.revisits++;
      if ((graph.flags[id]! & FLAG_TERMINAL) !== 0) { reduction.release(childRed); continue; }
      if (maxDepth !== Infinity && depth < graph.depth[id]! && depth < maxDepth) {
        // reached sooner than before: what was cut below the old depth may now be in reach
        graph.depth[id] = depth;
        graph.sleep[id] = reduction.stored(childRed);
        graph.flags[id]! &= ~FLAG_CUT;
        c = stepper.state();
        todo = stepper.enabled(c);
      } else if ((graph.flags[id]! & FLAG_EXPANDED) !== 0) {
        cell.id = id;
        const missing = reduction.revisit(cell, childRed);
        if (missing === 0) { reduction.release(childRed); continue; }
        c = stepper.state();
        todo = stepsWhere(stepper.enabled(c), (x) => ((missing >>> x) & 1) !== 0);
        if (todo.length === 0) { reduction.release(childRed); continue; }
        stats.reexpanded++;
      } else { reduction.release(childRed); continue; }
    }
    graph.flags[id] |= FLAG_EXPANDED;
    stats.explored++;
    // (frames are reused: a depth-first search needs as many as its deepest stack)
    const nf = framePool.pop();
    if (nf === undefined) stack.push({ s: c, id, depth, todo, cursor: 0, red: childRed, via: t, viaProgress: progressed, ctrlHi, ctrlLo });
    else {
      nf.s = c;
      nf.id = id;
      nf.depth = depth;
      nf.todo = todo;
      nf.cursor = 0;
      nf.red = childRed;
      nf.via = t;
      nf.viaProgress = progressed;
      nf.ctrlHi = ctrlHi;
      nf.ctrlLo = ctrlLo;
      stack.push(nf);
    }
    pushCtrl(ctrlHi, ctrlLo, stack.length - 1);
  }
  stats.elapsedMs = performance.now() - t0;
  if (stepper.reuseStats) stats.reuse = { ...stepper.reuseStats };
  if (timing) timing.total += stats.elapsedMs;
  if (!stopped && depthCut) stopped = 'max-depth';
  if (opts.onProgress) progress(performance.now());
  return { complete: stopped === null, reduction: reduction.name, stopped, stats, graph };
}

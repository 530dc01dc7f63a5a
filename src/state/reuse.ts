// Step reuse: a step's effect is a function of the cells it read, so it is kept, keyed by those cells'
// values, and replayed on any later state where they hold the same values, instead of running the
// model again.
//
// - A step runs fresh with a StepRecorder on the store: the recorder keeps the cells the step read
//   before writing them (in the order read, with the values seen), its writes (the last value of each
//   cell) and what it added to statistics (Segment.add: a vmstat event or fault count goes up without
//   its old value being read, so it is not part of the key, and the replay adds the same delta).
// - The reads of a step depend on the values it read before (a walk reads the next table where the
//   entry points), so the cache is a tree: a node names the next cell the step reads, its children
//   are keyed by that cell's value, and a path ends at the effect. Looking a step up reads the cells
//   the tree names, in order, from the state at hand; a step whose path ends at an effect is
//   replayed by writing the effect's cells.
// - A step must be a function of cells alone. A step that reads state outside the store (a JS field,
//   a cache) would go down a path another state shares and be given a wrong effect: the explorer's
//   --verify-reuse runs every step fresh as well and stops at the first difference; and an insertion
//   whose reads disagree with the tree (the same values read, then another cell named) is reported at
//   once (ReuseError).
// - The cache is bounded (maxNodes): past it, it is emptied and starts again, so that a search whose
//   steps rarely repeat pays its memory per state, not per step.
import type { Recorder, Store } from './store.js';

/** the key of a cell in footprints: segment * 2^32 + index */
export const CELL_KEY = 4294967296;

/** what one step did: its writes, counter deltas, result and footprint */
export interface Effect {
  /** control writes: (segment, cell, value) triples */
  readonly w: Int32Array;
  /** statistics added to: (segment, cell, delta) triples */
  readonly d: Int32Array;
  /** what the step returned (the caller's code) */
  readonly result: number;
  /** cells read before being written (the key), sorted, as CELL_KEY numbers */
  readonly reads: Float64Array;
  /** cells written, sorted */
  readonly writes: Float64Array;
  /** statistics added to, sorted (adds commute with adds, not with reads) */
  readonly adds: Float64Array;
}

export class ReuseError extends Error {}

/**
 * A run of cells the step reads next, in order: all but the last must hold the values in `vals` (a run
 * has one way through), and what follows depends on the last one's value. Runs keep the tree small and
 * a lookup a tight loop of reads and compares; a step that reads another value inside a run splits it.
 */
class Node {
  kids = new Map<number, Node | Effect>();
  constructor(public segs: Int32Array, public cells: Int32Array, public vals: Int32Array) {}
}

function runOf(rec: StepRecorder, from: number): Node {
  const n = rec.pSeg.length - from;
  const segs = new Int32Array(n), cells = new Int32Array(n), vals = new Int32Array(n - 1);
  for (let j = 0; j < n; j++) {
    segs[j] = rec.pSeg[from + j]!;
    cells[j] = rec.pCell[from + j]!;
    if (j < n - 1) vals[j] = rec.pVal[from + j]!;
  }
  return new Node(segs, cells, vals);
}

/** Listens to a store while one step runs fresh (Store.rec) */
export class StepRecorder implements Recorder {
  /** cells seen this step: key -> 1 (read first) | 2 (written first) */
  private seen = new Map<number, number>();
  /** the key reads, in order */
  readonly pSeg: number[] = [];
  readonly pCell: number[] = [];
  readonly pVal: number[] = [];
  /** final value of each written cell, by key (insertion order) */
  private wv = new Map<number, number>();
  /** statistics' deltas by key */
  private dv = new Map<number, number>();
  private st: Store | null = null;

  /** start recording one step on st */
  begin(st: Store): void {
    this.st = st;
    this.seen.clear();
    this.pSeg.length = this.pCell.length = this.pVal.length = 0;
    this.wv.clear();
    this.dv.clear();
    st.rec = this;
  }

  /** stop recording; the effect of the step, which returned `result` */
  end(result: number): Effect {
    const st = this.st!;
    st.rec = null;
    this.st = null;
    const w = new Int32Array(this.wv.size * 3);
    const writes = new Float64Array(this.wv.size);
    let j = 0, n = 0;
    for (const [k, v] of this.wv) {
      const seg = Math.floor(k / CELL_KEY);
      w[j++] = seg;
      w[j++] = k - seg * CELL_KEY;
      w[j++] = v;
      writes[n++] = k;
    }
    const d = new Int32Array(this.dv.size * 3);
    const adds = new Float64Array(this.dv.size);
    j = 0;
    n = 0;
    for (const [k, v] of this.dv) {
      const seg = Math.floor(k / CELL_KEY);
      adds[n++] = k;
      if (v === 0) continue;
      d[j++] = seg;
      d[j++] = k - seg * CELL_KEY;
      d[j++] = v;
    }
    const reads = new Float64Array(this.pSeg.length);
    for (let i = 0; i < reads.length; i++) reads[i] = this.pSeg[i]! * CELL_KEY + this.pCell[i]!;
    reads.sort();
    writes.sort();
    adds.sort();
    return { w, d: j === d.length ? d : d.slice(0, j), result, reads, writes, adds };
  }

  read(seg: number, i: number): void {
    const k = seg * CELL_KEY + (i >>> 0);
    if (this.seen.has(k)) return;
    this.seen.set(k, 1);
    this.pSeg.push(seg);
    this.pCell.push(i);
    this.pVal.push(this.st!.segs[seg]!.peek(i));
  }

  write(seg: number, i: number, old: number, now: number): void {
    void old;
    const k = seg * CELL_KEY + (i >>> 0);
    if (!this.seen.has(k)) this.seen.set(k, 2);
    // a value stored over what was added before it: the value is what the replay stores
    this.dv.delete(k);
    this.wv.set(k, now);
  }

  add(seg: number, i: number, delta: number): void {
    const k = seg * CELL_KEY + (i >>> 0);
    const w = this.wv.get(k);
    // added to a value this step stored: the sum is stored
    if (w !== undefined) this.wv.set(k, (w + delta) | 0);
    else this.dv.set(k, ((this.dv.get(k) ?? 0) + delta) | 0);
  }
}

export interface ReuseStats {
  hits: number;
  misses: number;
  nodes: number;
  effects: number;
  /** times the cache was emptied for being full */
  flushes: number;
}

/** The effects of steps, by step kind (e.g. thread index) and the values of the cells they read. */
export class StepCache {
  private roots: (Node | Effect | undefined)[] = [];
  readonly stats: ReuseStats = { hits: 0, misses: 0, nodes: 0, effects: 0, flushes: 0 };

  constructor(readonly maxNodes = 1 << 20) {}

  /** the effect of step `kind` on st, if a step of that kind has run on a state equal in what it read */
  lookup(st: Store, kind: number): Effect | null {
    let n = this.roots[kind];
    const segs = st.segs;
    walk: while (n instanceof Node) {
      const ss = n.segs, cs = n.cells, vs = n.vals, last = ss.length - 1;
      for (let j = 0; j < last; j++) {
        if (segs[ss[j]!]!.peek(cs[j]!) !== vs[j]) {
          n = undefined;
          break walk;
        }
      }
      n = n.kids.get(segs[ss[last]!]!.peek(cs[last]!));
    }
    if (n === undefined) {
      this.stats.misses++;
      return null;
    }
    this.stats.hits++;
    return n;
  }

  /** keep the effect of a step of this kind recorded by rec (its reads in rec's path) */
  insert(kind: number, rec: StepRecorder, e: Effect): void {
    const len = rec.pSeg.length;
    if (this.stats.nodes + len > this.maxNodes) this.flush();
    const where = `step kind ${kind}`;
    if (len === 0) {
      const x = this.roots[kind];
      if (x instanceof Node) throw new ReuseError(`${where}: read nothing, where an earlier step of its kind read cells`);
      this.roots[kind] = e;
      this.stats.effects++;
      return;
    }
    let cur = this.roots[kind];
    if (cur === undefined) {
      const r = runOf(rec, 0);
      r.kids.set(rec.pVal[len - 1]!, e);
      this.roots[kind] = r;
      this.stats.nodes += len;
      this.stats.effects++;
      return;
    }
    // the reads agree with the tree up to p; set(x) puts what follows in place of cur
    let p = 0;
    let set = (x: Node | Effect) => { this.roots[kind] = x; };
    for (;;) {
      if (!(cur instanceof Node)) throw new ReuseError(`${where}: read more cells than an earlier step that read the same values`);
      const node: Node = cur;
      const ss = node.segs, cs = node.cells, last = ss.length - 1;
      for (let j = 0; j <= last; j++, p++) {
        if (p >= len) throw new ReuseError(`${where}: read fewer cells than an earlier step that read the same values`);
        if (ss[j] !== rec.pSeg[p] || cs[j] !== rec.pCell[p]) {
          throw new ReuseError(`${where}: read cell ${rec.pCell[p]} of segment ${rec.pSeg[p]} where an earlier step that read the same values read cell ${cs[j]} of segment ${ss[j]}: the step depends on state outside the store`);
        }
        if (j < last && node.vals[j] !== rec.pVal[p]) {
          // another value inside the run: split it after j
          const tail = new Node(ss.subarray(j + 1), cs.subarray(j + 1), node.vals.subarray(j + 1));
          tail.kids = node.kids;
          const head = new Node(ss.subarray(0, j + 1), cs.subarray(0, j + 1), node.vals.subarray(0, j));
          head.kids.set(node.vals[j]!, tail);
          set(head);
          this.addRest(head, rec, p, e);
          return;
        }
      }
      const v = rec.pVal[p - 1]!;
      const next = node.kids.get(v);
      if (next === undefined) {
        if (p === len) {
          node.kids.set(v, e);
          this.stats.effects++;
        } else this.addRest(node, rec, p - 1, e);
        return;
      }
      if (p === len) {
        if (next instanceof Node) throw new ReuseError(`${where}: read fewer cells than an earlier step that read the same values`);
        return; // the same effect again (a lookup missed it only because it ran before it was kept)
      }
      set = (x) => node.kids.set(v, x);
      cur = next;
    }
  }

  /** under node, keyed by the value read at p, the rest of rec's path (from p + 1) and the effect */
  private addRest(node: Node, rec: StepRecorder, p: number, e: Effect): void {
    const len = rec.pSeg.length;
    if (p + 1 === len) node.kids.set(rec.pVal[p]!, e);
    else {
      const r = runOf(rec, p + 1);
      r.kids.set(rec.pVal[len - 1]!, e);
      node.kids.set(rec.pVal[p]!, r);
      this.stats.nodes += len - p - 1;
    }
    this.stats.effects++;
  }

  /** empty the cache */
  flush(): void {
    this.roots = [];
    this.stats.nodes = 0;
    this.stats.effects = 0;
    this.stats.flushes++;
  }
}

/** write an effect into st (a copy of a state equal, in the effect's reads, to the one it was recorded on) */
export function applyEffect(st: Store, e: Effect): void {
  const segs = st.segs, w = e.w, d = e.d;
  for (let j = 0; j < w.length; j += 3) segs[w[j]!]!.set(w[j + 1]!, w[j + 2]!);
  for (let j = 0; j < d.length; j += 3) {
    const s = segs[d[j]!]!, i = d[j + 1]!;
    s.set(i, (s.peek(i) + d[j + 2]!) | 0);
  }
}

/**
 * Do two steps, both recorded on the same state, commute? Neither writes a cell the other read,
 * wrote or added to, and neither adds to a cell the other read (two adds commute).
 */
export function effectsIndependent(a: Effect, b: Effect): boolean {
  return !meets(a.writes, b.reads) && !meets(a.writes, b.writes) && !meets(b.writes, a.reads) &&
    !meets(a.writes, b.adds) && !meets(b.writes, a.adds) && !meets(a.adds, b.reads) && !meets(b.adds, a.reads);
}

function meets(x: Float64Array, y: Float64Array): boolean {
  let i = 0, j = 0;
  while (i < x.length && j < y.length) {
    const a = x[i]!, b = y[j]!;
    if (a === b) return true;
    if (a < b) i++;
    else j++;
  }
  return false;
}

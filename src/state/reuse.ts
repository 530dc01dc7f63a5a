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
import type { Lanes, Recorder, Segment, Store } from './store.js';
import { applyListOp, evaluateList, OP_PUSH, type CellList, type CellReader, type ListRecorder } from './list.js';

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
  /** a number of its own (from 1), for caches of pairs of effects */
  readonly id: number;
  /**
   * The footprint, as CELL_KEY numbers, four sorted runs one after another (one array: an effect is kept
   * for the whole search, and every typed array costs its own objects): [0, nr) the cells read before
   * being written (the key), [nr, nw) the cells written, [nw, na) the statistics added to (adds commute
   * with adds, not with reads), [na, end) every cell stored or added to, queue cells included (filter or
   * not). readsOf() and the others give them as arrays.
   */
  readonly keys: Float64Array;
  readonly nr: number;
  readonly nw: number;
  readonly na: number;
  /**
   * some cells were left out of reads, writes and adds (StepRecorder.filter): the caller describes what
   * the step did to them in `sem`
   */
  readonly filtered: boolean;
  /** the caller's description of the cells left out (set once, after the step is recorded) */
  sem: unknown;
  /** the lanes' move by the stores over cells in the key (the same wherever the effect is replayed) */
  readonly k1: number;
  readonly k2: number;
  readonly kc: number;
  /**
   * the stores over cells not in the key: (segment, cell, value, and the value's share of lanes f1, f2
   * and c1) sextuples; only the old value's share is left to compute where the effect is replayed
   */
  readonly blind: Int32Array;
  /** a bit per hash of every key in reads, writes and adds (BLOOM_WORDS words): most pairs of steps are told independent by it alone */
  readonly bloom: Int32Array;
  /** operations on lists (state/list.ts), replayed after the writes: (op, segment, base, value) quads, or null */
  readonly ops: Int32Array | null;
  /** the step cannot be replayed from its key (a question about a list saw the step's own stores): not to be kept */
  readonly noCache: boolean;
  /**
   * a question of the step read cells outside its list (an entry's fields), which are in neither its key
   * nor its footprint: whether a later state still has this effect must be looked up (see carried())
   */
  readonly outside: boolean;
}

/**
 * An empty array that holds doubles. The arrays StepRecorder.end() fills hold cell keys (segment * 2^32 +
 * cell: doubles from segment 1 on) and values (any int32): an array that starts with small integers
 * changes shape at its first double, and each shape end()'s compiled code had not seen sent it back to
 * the interpreter and the compiler again (four to seven compilations of it per search and thread).
 */
function doubles(): number[] {
  const a = [0.5];
  a.length = 0;
  return a;
}

/** the footprint's runs of an effect */
export const readsOf = (e: Effect): Float64Array => e.keys.subarray(0, e.nr);
export const writesOf = (e: Effect): Float64Array => e.keys.subarray(e.nr, e.nw);
export const addsOf = (e: Effect): Float64Array => e.keys.subarray(e.nw, e.na);
export const changesOf = (e: Effect): Float64Array => e.keys.subarray(e.na);

const BLOOM_WORDS = 32;
const bloomBit = (k: number): number => {
  const seg = Math.floor(k / CELL_KEY), cell = k - seg * CELL_KEY;
  return (Math.imul(cell, 0x9e3779b1) ^ Math.imul(seg + 1, 0x85ebca6b)) >>> 22;
};
/**
 * An effect's arrays are views into shared slabs: an array of its own each would be a small native
 * allocation each, kept for the whole search or dropped in bulk when the cache is emptied, which leaves
 * the native heap fragmented (a 6-vCPU search peaked at nearly 1 GB of resident memory that way).
 */
const EFFECT_SLAB = 1 << 16;
let effSlab = new ArrayBuffer(EFFECT_SLAB);
let effOff = 0;
function slabBytes(bytes: number): number {
  const n = (bytes + 7) & ~7;
  if (effOff + n > effSlab.byteLength) {
    effSlab = new ArrayBuffer(Math.max(EFFECT_SLAB, n));
    effOff = 0;
  }
  const at = effOff;
  effOff += n;
  return at;
}
function i32(n: number): Int32Array {
  const at = slabBytes(n * 4); // (first: it may start a new slab)
  return new Int32Array(effSlab, at, n);
}
function i32From(a: readonly number[]): Int32Array {
  const v = i32(a.length);
  v.set(a);
  return v;
}
function f64(n: number): Float64Array {
  const at = slabBytes(n * 8);
  return new Float64Array(effSlab, at, n);
}

function bloomOf(keys: Float64Array, end: number): Int32Array {
  const b = i32(BLOOM_WORDS);
  for (let i = 0; i < end; i++) {
    const x = bloomBit(keys[i]!);
    b[x >>> 5] |= 1 << (x & 31);
  }
  return b;
}

export class ReuseError extends Error {}

let nextEffectId = 1;

/**
 * A run of cells the step reads next, in order: all but the last must hold the values recorded with them
 * (a run has one way through), and what follows depends on the last one's value. Runs keep the tree
 * small and a lookup a tight loop of reads and compares; a step that reads another value inside a run
 * splits it. A run is `len` (segment, cell, value) triples of its cache's pool from `off`; the first
 * child is kept in the node, more in a map (most nodes have one or two).
 */
class Node {
  v0 = 0;
  c0: Node | Effect | undefined = undefined;
  more: Map<number, Node | Effect> | null = null;
  constructor(public off: number, public len: number) {}
  get(v: number): Node | Effect | undefined {
    if (this.v0 === v && this.c0 !== undefined) return this.c0;
    return this.more === null ? undefined : this.more.get(v);
  }
  set(v: number, x: Node | Effect): void {
    if (this.c0 === undefined || this.v0 === v) {
      this.v0 = v;
      this.c0 = x;
    } else (this.more ??= new Map()).set(v, x);
  }
  /** the children of `o`, taken over (a split run's tail) */
  take(o: Node): void {
    this.v0 = o.v0;
    this.c0 = o.c0;
    this.more = o.more;
  }
}

/** the triples of a cache's runs, in one growing array */
class Pool {
  a = new Int32Array(3 << 12);
  n = 0;
  /** rec's reads from `from` on, as a run */
  run(rec: StepRecorder, from: number): Node {
    const len = rec.pSeg.length - from;
    while ((this.n + len) * 3 > this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    const a = this.a, off = this.n;
    for (let j = 0; j < len; j++) {
      const o = (off + j) * 3;
      a[o] = rec.pSeg[from + j]!;
      a[o + 1] = rec.pCell[from + j]!;
      a[o + 2] = rec.pVal[from + j]!;
    }
    this.n += len;
    return new Node(off, len);
  }
}

/**
 * The cells one step touched, by (segment, cell): open addressing over typed arrays (a Map keyed by
 * numbers past 2^31 boxes every key), emptied in O(1) by a generation count.
 */
class CellTable {
  private cap = 0;
  private gen!: Int32Array;
  seg!: Int32Array;
  cell!: Int32Array;
  /**
   * 1: read before written (a key read); 2: written first; 3: read by a question about a list or by a
   * list operation only (in the footprint's reads, not in the key)
   */
  seen!: Uint8Array;
  /** stored by a list operation (replayed as the operation, not as a store) */
  sOn!: Uint8Array;
  /** the value a key read saw (seen 1) */
  rv!: Int32Array;
  /** the value last stored (wOn), the sum added (dOn) */
  wv!: Int32Array;
  wOn!: Uint8Array;
  dv!: Int32Array;
  dOn!: Uint8Array;
  /** slots in the order of their first store, of their first add */
  wOrder: number[] = [];
  dOrder: number[] = [];
  /** slots in the order of their first store by a list operation; of their first touch by a question (seen 3) */
  sOrder: number[] = [];
  tOrder: number[] = [];
  private g = 1;
  private used = 0;

  constructor() {
    this.alloc(1024);
  }
  private alloc(cap: number): void {
    this.cap = cap;
    this.gen = new Int32Array(cap);
    this.seg = new Int32Array(cap);
    this.cell = new Int32Array(cap);
    this.seen = new Uint8Array(cap);
    this.rv = new Int32Array(cap);
    this.wv = new Int32Array(cap);
    this.wOn = new Uint8Array(cap);
    this.dv = new Int32Array(cap);
    this.dOn = new Uint8Array(cap);
    this.sOn = new Uint8Array(cap);
  }
  clear(): void {
    if (++this.g === 0x7fffffff) {
      this.gen.fill(0);
      this.g = 1;
    }
    this.used = 0;
    this.wOrder.length = 0;
    this.dOrder.length = 0;
    this.sOrder.length = 0;
    this.tOrder.length = 0;
  }
  /** the slot of (seg, i), or -1 */
  find(seg: number, i: number): number {
    const mask = this.cap - 1, g = this.g;
    for (let h = (Math.imul(i, 0x9e3779b1) ^ Math.imul(seg + 1, 0x85ebca6b)) & mask; ; h = (h + 1) & mask) {
      if (this.gen[h] !== g) return -1;
      if (this.cell[h] === i && this.seg[h] === seg) return h;
    }
  }
  /** the slot of (seg, i), made (seen = how) if missing */
  slot(seg: number, i: number, how: number): number {
    const mask = this.cap - 1, g = this.g;
    let h = (Math.imul(i, 0x9e3779b1) ^ Math.imul(seg + 1, 0x85ebca6b)) & mask;
    for (; ; h = (h + 1) & mask) {
      if (this.gen[h] !== g) break;
      if (this.cell[h] === i && this.seg[h] === seg) return h;
    }
    if (2 * (this.used + 1) > this.cap) {
      this.grow();
      return this.slot(seg, i, how);
    }
    this.used++;
    this.gen[h] = g;
    this.seg[h] = seg;
    this.cell[h] = i;
    this.seen[h] = how;
    this.wOn[h] = 0;
    this.dOn[h] = 0;
    this.sOn[h] = 0;
    return h;
  }
  private grow(): void {
    const o = { gen: this.gen, seg: this.seg, cell: this.cell, seen: this.seen, rv: this.rv, wv: this.wv, wOn: this.wOn, dv: this.dv, dOn: this.dOn, sOn: this.sOn, cap: this.cap, g: this.g };
    const map = new Map<number, number>();
    this.alloc(o.cap * 2);
    this.used = 0;
    for (let x = 0; x < o.cap; x++) {
      if (o.gen[x] !== o.g) continue;
      const y = this.slot(o.seg[x]!, o.cell[x]!, o.seen[x]!);
      this.rv[y] = o.rv[x]!;
      this.wv[y] = o.wv[x]!;
      this.wOn[y] = o.wOn[x]!;
      this.dv[y] = o.dv[x]!;
      this.dOn[y] = o.dOn[x]!;
      this.sOn[y] = o.sOn[x]!;
      map.set(x, y);
    }
    this.wOrder = this.wOrder.map((x) => map.get(x)!);
    this.dOrder = this.dOrder.map((x) => map.get(x)!);
    this.sOrder = this.sOrder.map((x) => map.get(x)!);
    this.tOrder = this.tOrder.map((x) => map.get(x)!);
  }
}

/**
 * A derived read in a step's key: segment DERIVED, and the number of a Question (below) as the cell.
 * Its value is the answer the question has on the state looked up.
 */
export const DERIVED = -1;

/** a question about a list, as a key: the list, the question and its arguments, and the step's operations on the list before it */
interface Question {
  q: number;
  seg: number;
  base: number;
  a: number;
  b: number;
  /** (op, value) pairs, or null */
  ops: Int32Array | null;
}
/** questions by number (for the life of the process, as page contents are) */
const questionTable: Question[] = [];
const questionByKey = new Map<string, number>();

function questionId(q: number, seg: number, base: number, a: number, b: number, ops: number[]): number {
  const key = `${q}:${seg}:${base}:${a}:${b}:${ops.join(',')}`;
  let id = questionByKey.get(key);
  if (id === undefined) {
    id = questionTable.length;
    questionTable.push({ q, seg, base, a, b, ops: ops.length === 0 ? null : Int32Array.from(ops) });
    questionByKey.set(key, id);
  }
  return id;
}

/** the answer of question id on st (its cells not recorded) */
function answer(st: Store, id: number): number {
  const d = questionTable[id]!;
  answerSegs = st.segs;
  return evaluateList(d.seg, d.base, d.ops, d.q, d.a, d.b, peekAnswer);
}
/** the segments answer() reads (one reader, not a closure per lookup) */
let answerSegs: readonly Segment[] = [];
const peekAnswer: CellReader = (seg, i) => answerSegs[seg]!.peek(i);

/** Listens to a store while one step runs fresh (Store.rec) */
export class StepRecorder implements Recorder, ListRecorder {
  private readonly cells = new CellTable();
  /** the key reads, in order (a derived read: segment DERIVED, cell the question's number) */
  readonly pSeg: number[] = [];
  readonly pCell: number[] = [];
  readonly pVal: number[] = [];
  private st: Store | null = null;
  /**
   * cells left out of the effect's footprint (reads, writes, adds; not of its key or its writes) when
   * end() is called with this set: the caller describes what the step did to them by other means
   */
  filter: ((seg: number, cell: number) => boolean) | null = null;
  /** > 0 while a question about a list is answered or a list operation runs: reads are not keys */
  private touching = 0;
  /** > 0 while a list operation runs: its stores are replayed as the operation */
  private semantic = 0;
  /** the list a question or operation is about, while one runs (its cells may hold the step's own list stores) */
  private listSeg = -1;
  private listLo = 0;
  private listHi = 0;
  /** the step's list operations: (op, segment, base, value) */
  private readonly ops: number[] = [];
  /** the lists the step asked about or changed: (segment, base) */
  private readonly lists: number[] = [];
  /**
   * a question may read cells outside its list (an entry's fields) only where the list's owner
   * describes the step's footprint by meaning (the explorer's uffd queue footprints): for other
   * recordings (whether a thread can run) such a question makes the step unkeyable
   */
  strictQuestions = false;
  /** why the step cannot be replayed from its key, if it cannot */
  private poisoned: string | null = null;
  /** a question read cells outside its list */
  private outside = false;
  private readonly get: CellReader = (seg, i) => this.st!.segs[seg]!.get(i);

  /** start recording one step on st */
  begin(st: Store): void {
    this.st = st;
    this.cells.clear();
    this.pSeg.length = this.pCell.length = this.pVal.length = 0;
    this.ops.length = this.lists.length = 0;
    this.poisoned = null;
    this.outside = false;
    this.touching = this.semantic = 0;
    st.rec = this;
  }

  /** why the last step recorded cannot be kept (null: it can) */
  get unkeyable(): string | null {
    return this.poisoned;
  }

  /** stop recording; the effect of the step, which returned `result` */
  end(result: number): Effect {
    const st = this.st!;
    st.rec = null;
    this.st = null;
    const filter = this.filter;
    let filtered = false;
    const kept = (seg: number, cell: number): boolean => {
      if (filter === null || !filter(seg, cell)) return true;
      filtered = true;
      return false;
    };
    const T = this.cells;
    const key = (x: number) => T.seg[x]! * CELL_KEY + (T.cell[x]! >>> 0);
    const wo = T.wOrder;
    const w = i32(wo.length * 3);
    const writes = doubles();
    // the lanes' move by the stores over key reads (their old values are the key's), and the stores
    // made without reading first (their old values vary: lanesAfter looks)
    const kd: Lanes = { f1: 0, f2: 0, c1: 0 };
    const blind = doubles();
    let j = 0;
    for (const x of wo) {
      const seg = T.seg[x]!, cell = T.cell[x]!, v = T.wv[x]!;
      w[j++] = seg;
      w[j++] = cell;
      w[j++] = v;
      if (kept(seg, cell)) writes.push(key(x));
      if (T.seen[x] !== 1) {
        const z: Lanes = { f1: 0, f2: 0, c1: 0 };
        st.segs[seg]!.moveLanes(z, cell, 0, v);
        blind.push(seg, cell, v, z.f1, z.f2, z.c1);
      }
      else if (T.rv[x] !== v) st.segs[seg]!.moveLanes(kd, cell, T.rv[x]!, v);
    }
    for (const x of T.sOrder) if (kept(T.seg[x]!, T.cell[x]!)) writes.push(key(x));
    const d = doubles();
    const adds = doubles();
    for (const x of T.dOrder) {
      if (T.dOn[x] === 0) continue; // stored over afterwards: part of the writes
      const seg = T.seg[x]!, cell = T.cell[x]!;
      if (kept(seg, cell)) adds.push(key(x));
      if (T.dv[x] === 0) continue;
      d.push(seg, cell, T.dv[x]!);
    }
    const reads = doubles();
    for (let i = 0; i < this.pSeg.length; i++) {
      const seg = this.pSeg[i]!;
      if (seg !== DERIVED && kept(seg, this.pCell[i]!)) reads.push(seg * CELL_KEY + (this.pCell[i]! >>> 0));
    }
    // what questions and list operations read (unless it became a key read afterwards)
    for (const x of T.tOrder) if (T.seen[x] === 3 && kept(T.seg[x]!, T.cell[x]!)) reads.push(key(x));
    const changes = doubles();
    for (const x of wo) changes.push(key(x));
    for (const x of T.sOrder) changes.push(key(x));
    for (const x of T.dOrder) if (T.dOn[x] === 1) changes.push(key(x));
    const nr = reads.length, nw = nr + writes.length, na = nw + adds.length;
    const keys = f64(na + changes.length);
    const put = (from: number, a: number[]) => {
      keys.set(a, from);
      keys.subarray(from, from + a.length).sort();
    };
    put(0, reads);
    put(nr, writes);
    put(nw, adds);
    put(na, changes);
    return {
      w, d: i32From(d), result, id: nextEffectId++, keys, nr, nw, na, filtered, sem: undefined, bloom: bloomOf(keys, na),
      k1: kd.f1, k2: kd.f2, kc: kd.c1, blind: i32From(blind),
      ops: this.ops.length === 0 ? null : i32From(this.ops), noCache: this.poisoned !== null, outside: this.outside,
    };
  }

  read(seg: number, i: number): void {
    const T = this.cells, x = T.find(seg, i);
    if (this.touching > 0) {
      this.touch(seg, i, x);
      return;
    }
    let v = this.st!.segs[seg]!.peek(i);
    if (x >= 0) {
      if (T.sOn[x] === 1) this.poison(`cell ${i} of segment ${seg} read as a cell after a list operation stored into it`);
      if (T.seen[x] === 3 && T.wOn[x] === 0 && T.dOn[x] === 0) {
        // read by a question before, now read as a cell: a key read after all (nothing stored into it yet)
        T.seen[x] = 1;
        T.rv[x] = v;
        this.path(seg, i, v);
        return;
      }
      // read after a store: not a key; read after adds only: a key, with the value before them
      if (T.seen[x] !== 2 || T.wOn[x] === 1) return;
      T.seen[x] = 1;
      v = (v - T.dv[x]!) | 0;
      T.rv[x] = v;
    } else {
      // (slot() first: it may grow the table, which replaces T.rv)
      const y = T.slot(seg, i, 1);
      T.rv[y] = v;
    }
    this.path(seg, i, v);
  }

  private path(seg: number, i: number, v: number): void {
    this.pSeg.push(seg);
    this.pCell.push(i);
    this.pVal.push(v);
  }

  /**
   * A read by a question or a list operation: not in the key. The list's cells are all in the
   * footprint's reads (enter()), whatever its length, so that the footprint is the same on every
   * state the step is replayed on; other cells (an entry's fields) are left to the owner's footprint.
   */
  private touch(seg: number, i: number, x: number): void {
    const T = this.cells;
    const inList = seg === this.listSeg && i >= this.listLo && i <= this.listHi;
    if (!inList) {
      this.outside = true;
      if (this.strictQuestions) this.poison(`a question about a list read cell ${i} of segment ${seg}, outside the list`);
    }
    if (x < 0) return;
    // a question is answered on the state looked up (with the step's earlier operations on its own
    // list): it must not see other stores of the step
    if (T.wOn[x] === 1 || T.dOn[x] === 1 || (T.sOn[x] === 1 && !inList)) {
      this.poison(`a question about a list read cell ${i} of segment ${seg}, which the step had stored into`);
    }
  }

  write(seg: number, i: number, old: number, now: number): void {
    void old;
    const T = this.cells, x = T.slot(seg, i, 2);
    if (this.semantic > 0) {
      if (T.wOn[x] === 1 || T.dOn[x] === 1) this.poison(`a list operation stored into cell ${i} of segment ${seg}, which the step had stored into`);
      if (T.sOn[x] === 0) {
        T.sOn[x] = 1;
        T.sOrder.push(x);
      }
      return;
    }
    if (T.sOn[x] === 1) this.poison(`cell ${i} of segment ${seg} stored into as a cell after a list operation stored into it`);
    // a value stored over what was added before it: the value is what the replay stores
    T.dOn[x] = 0;
    if (T.wOn[x] === 0) {
      T.wOn[x] = 1;
      T.wOrder.push(x);
    }
    T.wv[x] = now;
  }

  add(seg: number, i: number, delta: number): void {
    const T = this.cells, x = T.slot(seg, i, 2);
    if (this.semantic > 0 || T.sOn[x] === 1) this.poison(`a statistic added to in cell ${i} of segment ${seg}, a list's`);
    // added to a value this step stored: the sum is stored
    if (T.wOn[x] === 1) {
      T.wv[x] = (T.wv[x]! + delta) | 0;
      return;
    }
    if (T.dOn[x] === 0) {
      T.dOn[x] = 1;
      T.dv[x] = 0;
      T.dOrder.push(x);
    }
    T.dv[x] = (T.dv[x]! + delta) | 0;
  }

  /** the step's operations so far on the list at (seg, base), as (op, value) pairs */
  private opsOn(seg: number, base: number): number[] {
    const out: number[] = [], o = this.ops;
    for (let j = 0; j < o.length; j += 4) if (o[j + 1] === seg && o[j + 2] === base) out.push(o[j]!, o[j + 3]!);
    return out;
  }

  private enter(l: CellList): void {
    if (this.touching > 0) throw new Error('BUG: a list question or operation inside another');
    const seg = l.S.id, lo = l.base, hi = l.base + l.max;
    this.listSeg = seg;
    this.listLo = lo;
    this.listHi = hi;
    this.touching++;
    const ls = this.lists;
    for (let j = 0; j < ls.length; j += 2) if (ls[j] === seg && ls[j + 1] === lo) return;
    ls.push(seg, lo);
    // the whole list in the footprint's reads (a cell the step had read as a key stays one)
    const T = this.cells;
    for (let i = lo; i <= hi; i++) {
      if (T.find(seg, i) >= 0) continue;
      // (slot() first: it may grow the table, which replaces T.tOrder)
      const y = T.slot(seg, i, 3);
      T.tOrder.push(y);
    }
  }
  private leave(): void {
    this.touching--;
    this.listSeg = -1;
  }

  listAsk(l: CellList, q: number, a: number, b: number): number {
    const seg = l.S.id;
    this.enter(l);
    let v: number;
    try {
      // on the store as it is now: the state looked up with the step's operations on this list so far
      v = evaluateList(seg, l.base, null, q, a, b, this.get);
    } finally {
      this.leave();
    }
    this.path(DERIVED, questionId(q, seg, l.base, a, b, this.opsOn(seg, l.base)), v);
    return v;
  }

  listOp(l: CellList, op: number, x: number): void {
    this.enter(l);
    this.semantic++;
    try {
      applyListOp(l.S, l.base, op, x);
    } finally {
      this.semantic--;
      this.leave();
    }
    this.ops.push(op, l.S.id, l.base, x);
    // the whole list in the footprint's writes, whatever cells this operation stored into
    const T = this.cells, seg = l.S.id;
    for (let i = l.base; i <= l.base + l.max; i++) {
      const y = T.slot(seg, i, 2);
      if (T.wOn[y] === 1 || T.dOn[y] === 1) this.poison(`a list operation on cells the step had stored into (segment ${seg}, cell ${i})`);
      if (T.sOn[y] === 0) {
        T.sOn[y] = 1;
        T.sOrder.push(y);
      }
    }
  }

  private poison(why: string): void {
    this.poisoned ??= why;
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
  private pool = new Pool();
  readonly stats: ReuseStats = { hits: 0, misses: 0, nodes: 0, effects: 0, flushes: 0 };

  constructor(readonly maxNodes = 1 << 20) {}

  /** the effect of step `kind` on st, if a step of that kind has run on a state equal in what it read (count: in stats' hits and misses) */
  lookup(st: Store, kind: number, count = true): Effect | null {
    let n = this.roots[kind];
    const segs = st.segs, a = this.pool.a;
    walk: while (n instanceof Node) {
      const end = (n.off + n.len - 1) * 3;
      for (let o = n.off * 3; o < end; o += 3) {
        const s = a[o]!;
        if ((s !== DERIVED ? segs[s]!.peek(a[o + 1]!) : answer(st, a[o + 1]!)) !== a[o + 2]) {
          n = undefined;
          break walk;
        }
      }
      const s = a[end]!;
      n = n.get(s !== DERIVED ? segs[s]!.peek(a[end + 1]!) : answer(st, a[end + 1]!));
    }
    if (n === undefined) {
      if (count) this.stats.misses++;
      return null;
    }
    if (count) this.stats.hits++;
    return n;
  }

  /** keep the effect of a step of this kind recorded by rec (its reads in rec's path) */
  insert(kind: number, rec: StepRecorder, e: Effect): void {
    if (e.noCache) return;
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
      const r = this.pool.run(rec, 0);
      r.set(rec.pVal[len - 1]!, e);
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
      const a = this.pool.a, last = node.len - 1;
      for (let j = 0; j <= last; j++, p++) {
        const o = (node.off + j) * 3;
        if (p >= len) throw new ReuseError(`${where}: read fewer cells than an earlier step that read the same values`);
        if (a[o] !== rec.pSeg[p] || a[o + 1] !== rec.pCell[p]) {
          throw new ReuseError(`${where}: read cell ${rec.pCell[p]} of segment ${rec.pSeg[p]} where an earlier step that read the same values read cell ${a[o + 1]} of segment ${a[o]}: the step depends on state outside the store`);
        }
        if (j < last && a[o + 2] !== rec.pVal[p]) {
          // another value inside the run: split it after j
          const tail = new Node(node.off + j + 1, last - j);
          tail.take(node);
          const head = new Node(node.off, j + 1);
          head.set(a[o + 2]!, tail);
          set(head);
          this.addRest(head, rec, p, e);
          return;
        }
      }
      const v = rec.pVal[p - 1]!;
      const next = node.get(v);
      if (next === undefined) {
        if (p === len) {
          node.set(v, e);
          this.stats.effects++;
        } else this.addRest(node, rec, p - 1, e);
        return;
      }
      if (p === len) {
        if (next instanceof Node) throw new ReuseError(`${where}: read fewer cells than an earlier step that read the same values`);
        return; // the same effect again (a lookup missed it only because it ran before it was kept)
      }
      set = (x) => node.set(v, x);
      cur = next;
    }
  }

  /** under node, keyed by the value read at p, the rest of rec's path (from p + 1) and the effect */
  private addRest(node: Node, rec: StepRecorder, p: number, e: Effect): void {
    const len = rec.pSeg.length;
    if (p + 1 === len) node.set(rec.pVal[p]!, e);
    else {
      const r = this.pool.run(rec, p + 1);
      r.set(rec.pVal[len - 1]!, e);
      node.set(rec.pVal[p]!, r);
      this.stats.nodes += len - p - 1;
    }
    this.stats.effects++;
  }

  /** empty the cache */
  flush(): void {
    this.roots = [];
    this.pool = new Pool();
    this.stats.nodes = 0;
    this.stats.effects = 0;
    this.stats.flushes++;
  }
}

/**
 * The lanes a state st (equal, in the effect's key, to the one it was recorded on) would have after
 * the effect: its successor is fingerprinted without being made.
 */
export function lanesAfter(st: Store, e: Effect, out: Lanes): Lanes {
  if (!st.hashing) st.startHashing();
  out.f1 = (st.f1 + e.k1) | 0;
  out.f2 = (st.f2 + e.k2) | 0;
  out.c1 = (st.c1 + e.kc) | 0;
  const segs = st.segs, b = e.blind, d = e.d;
  for (let j = 0; j < b.length; j += 6) {
    const s = segs[b[j]!]!, i = b[j + 1]!, old = s.peek(i);
    if (old === b[j + 2]) continue;
    // the old value's share out (moveLanes from old to 0), the new value's in (kept with the effect)
    if (old !== 0) s.moveLanes(out, i, old, 0);
    out.f1 = (out.f1 + b[j + 3]!) | 0;
    out.f2 = (out.f2 + b[j + 4]!) | 0;
    out.c1 = (out.c1 + b[j + 5]!) | 0;
  }
  for (let j = 0; j < d.length; j += 3) {
    const s = segs[d[j]!]!, i = d[j + 1]!, old = s.peek(i), v = (old + d[j + 2]!) | 0;
    if (old !== v) s.moveLanes(out, i, old, v);
  }
  if (e.ops !== null) opsLanes(st, e.ops, out);
  return out;
}

/** the lanes' move by an effect's list operations on st: each list's cells before and after, compared */
function opsLanes(st: Store, ops: Int32Array, out: Lanes): void {
  const segs = st.segs;
  for (let o = 0; o < ops.length; o += 4) {
    const seg = ops[o + 1]!, base = ops[o + 2]!;
    // each list once, with every operation on it (they touch nothing but their list's cells)
    let first = true;
    for (let p = 0; p < o && first; p += 4) if (ops[p + 1] === seg && ops[p + 2] === base) first = false;
    if (!first) continue;
    const S = segs[seg]!, n0 = S.peek(base);
    if (n0 + ops.length / 4 + 1 > opsAfter.length) opsAfter = new Int32Array(2 * (n0 + ops.length / 4 + 1));
    const after = opsAfter;
    let n1 = n0;
    for (let j = 0; j < n0; j++) after[j] = S.peek(base + 1 + j);
    for (let p = o; p < ops.length; p += 4) {
      if (ops[p + 1] !== seg || ops[p + 2] !== base) continue;
      const x = ops[p + 3]!;
      if (ops[p] === OP_PUSH) after[n1++] = x;
      else {
        let j = 0;
        while (j < n1 && after[j] !== x) j++;
        after.copyWithin(j, j + 1, n1);
        n1--;
      }
    }
    if (n0 !== n1) S.moveLanes(out, base, n0, n1);
    for (let j = 0, m = n0 > n1 ? n0 : n1; j < m; j++) {
      const old = j < n0 ? S.peek(base + 1 + j) : 0, v = j < n1 ? after[j]! : 0;
      if (old !== v) S.moveLanes(out, base + 1 + j, old, v);
    }
  }
}
let opsAfter = new Int32Array(64);

/** an effect's list operations carried out on st */
function applyOps(st: Store, ops: Int32Array): void {
  for (let o = 0; o < ops.length; o += 4) applyListOp(st.segW(ops[o + 1]!), ops[o + 2]!, ops[o]!, ops[o + 3]!);
}

/**
 * Write an effect into st (a copy of a state equal, in the effect's reads, to the one it was recorded
 * on). `lanes`: what lanesAfter gave for st, taken as the new lanes instead of following each store.
 */
export function applyEffect(st: Store, e: Effect, lanes?: Lanes): void {
  const w = e.w, d = e.d;
  if (lanes !== undefined && st.rec === null && st.hashing) {
    for (let j = 0; j < w.length; j += 3) {
      const s = st.segW(w[j]!), i = w[j + 1]!;
      s.leafW(i)[i & 63] = w[j + 2]!;
    }
    for (let j = 0; j < d.length; j += 3) {
      const s = st.segW(d[j]!), i = d[j + 1]!;
      s.leafW(i)[i & 63] = (s.peek(i) + d[j + 2]!) | 0;
    }
    if (e.ops !== null) applyOps(st, e.ops);
    st.f1 = lanes.f1;
    st.f2 = lanes.f2;
    st.c1 = lanes.c1;
    return;
  }
  for (let j = 0; j < w.length; j += 3) st.segW(w[j]!).set(w[j + 1]!, w[j + 2]!);
  for (let j = 0; j < d.length; j += 3) {
    const s = st.segW(d[j]!), i = d[j + 1]!;
    s.set(i, (s.peek(i) + d[j + 2]!) | 0);
  }
  if (e.ops !== null) applyOps(st, e.ops);
}

/**
 * Do two steps, both recorded on the same state, commute? Neither writes a cell the other read,
 * wrote or added to, and neither adds to a cell the other read (two adds commute).
 */
export function effectsIndependent(a: Effect, b: Effect): boolean {
  // each of a few written or added keys of one step is looked for in the other's bloom bits first
  return !writesMeet(a, b) && !writesMeet(b, a) && !addsMeet(a, b) && !addsMeet(b, a);
}

/** does x write a cell y read, wrote or added to? */
function writesMeet(x: Effect, y: Effect): boolean {
  const ks = x.keys, bl = y.bloom, yk = y.keys;
  for (let i = x.nr; i < x.nw; i++) {
    const k = ks[i]!, bit = bloomBit(k);
    if ((bl[bit >>> 5]! & (1 << (bit & 31))) === 0) continue;
    if (inRun(yk, 0, y.nr, k) || inRun(yk, y.nr, y.nw, k) || inRun(yk, y.nw, y.na, k)) return true;
  }
  return false;
}

/** does x add to a cell y read? */
function addsMeet(x: Effect, y: Effect): boolean {
  const ks = x.keys, bl = y.bloom, yk = y.keys;
  for (let i = x.nw; i < x.na; i++) {
    const k = ks[i]!, bit = bloomBit(k);
    if ((bl[bit >>> 5]! & (1 << (bit & 31))) === 0) continue;
    if (inRun(yk, 0, y.nr, k)) return true;
  }
  return false;
}

/**
 * Does e store or add to a cell that r read (its key)? Remembered by the pair (a direct-mapped table of
 * (e's id, r's id, answer); ids are never reused): a search asks it of the same few thousand effects
 * again and again.
 */
export function changesAny(e: Effect, r: Effect): boolean {
  const o = ((Math.imul(e.id, 0x9e3779b1) ^ Math.imul(r.id, 0x85ebca6b)) >>> (32 - CHANGES_BITS)) * 3;
  const t = changesPairs;
  if (t[o] === e.id && t[o + 1] === r.id) return t[o + 2] === 1;
  const c = e.keys, rk = r.keys;
  let hit = false;
  for (let i = 0; i < r.nr && !hit; i++) if (inRun(c, e.na, c.length, rk[i]!)) hit = true;
  t[o] = e.id;
  t[o + 1] = r.id;
  t[o + 2] = hit ? 1 : 0;
  return hit;
}
const CHANGES_BITS = 16;

/**
 * Is r, the effect of a step on a state (whether a thread can run), still its effect on the successor by
 * e? It is when e stored into no cell r read. r's footprint leaves out the cells of the caller's filter (the uffd
 * queues): when both r and e touched such cells, r is not carried; nor when r's questions read cells
 * outside their lists, which no footprint names.
 */
export function carried(e: Effect, r: Effect): boolean {
  return !r.outside && !r.noCache && !(r.filtered && e.filtered) && !changesAny(e, r);
}
const changesPairs = new Int32Array(3 << CHANGES_BITS);

/** is k in the sorted run a[lo, hi)? */
function inRun(a: Float64Array, lo: number, hi: number, k: number): boolean {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1, x = a[mid]!;
    if (x === k) return true;
    if (x < k) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

// The machine's state as one thing: a Store of Segments, each a growable array of 32-bit cells.
//
// - Copy-on-write: a segment is a list of leaves of 64 cells. A clone copies the lists (one pointer
//   per 64 cells), not the cells; the first write to a leaf on either side copies that leaf. Whether
//   a leaf belongs to a state is the epoch stamped in its 65th cell: cloning gives both sides new
//   epochs, so every leaf is shared until written.
// - Fingerprint: every write adds the new value's share and removes the old one's (Zobrist-style,
//   two 32-bit lanes summed over the non-zero cells; cells of a counter segment go to a third lane
//   instead), so reading a fingerprint costs nothing and a clone carries its parent's. A cell that
//   holds zero adds nothing: structures zero the cells they stop using, and a state's fingerprint
//   depends only on its cells, never on its history.
// - Recording: while a Recorder is set, every read and write of a cell is reported (the explorer's
//   footprints and step reuse).
//
// The kernel model never sees any of this: its structures (src/kernel) read and write cells through
// accessors named after the kernel's, and the Store is the only thing a clone copies.

const LEAF_SHIFT = 6;
const LEAF = 1 << LEAF_SHIFT;
const LEAF_MASK = LEAF - 1;
/** the cell of a leaf that holds its owner's epoch */
const OWNER = LEAF;

let nextEpoch = 1;

/** what a recorder is told: segment id and cell index (every write, also of the value a cell holds) */
export interface Recorder {
  read(seg: number, i: number): void;
  write(seg: number, i: number, old: number, now: number): void;
  /** Segment.add: a statistic changed by delta, its old value not read */
  add(seg: number, i: number, delta: number): void;
}

/** a cell's share of the fingerprint, lane 1 (0 for a zero value) */
function z1(seg: number, i: number, v: number): number {
  let x = Math.imul(v ^ Math.imul(i + 0x632be5ab, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(seg + 1, 0x27d4eb2f);
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d);
  x ^= x >>> 12;
  x = Math.imul(x, 0x297a2d39);
  return x ^ (x >>> 15);
}
/** lane 2 */
function z2(seg: number, i: number, v: number): number {
  let y = Math.imul(i ^ Math.imul(v + 0x61c88647, 0xcc9e2d51), 0x1b873593) + Math.imul(seg + 7, 0x165667b1);
  y ^= y >>> 16;
  y = Math.imul(y, 0x85ebca6b);
  y ^= y >>> 13;
  y = Math.imul(y, 0xc2b2ae35);
  return y ^ (y >>> 16);
}

export interface SegmentSpec {
  /** for messages and dumps */
  name: string;
  /** statistics only (vmstat): hashed into the counter lane, outside the control view */
  counter?: boolean;
  /**
   * the cells of a segment that are counters (1) among others that are not: a structure that keeps a
   * few statistics beside its control cells (the scenario machine's fault counts, in each thread's
   * leaf) without a segment of their own, whose leaf a step would copy too
   */
  counterAt?: Uint8Array;
  /**
   * display only (a mapping's name, a task's comm): in no lane, so never part of a state's identity;
   * copied, recorded and replayed like any other cell
   */
  display?: boolean;
  /**
   * cells that hold ids of values kept elsewhere (page contents): the fingerprint takes this hash of
   * the value instead of the id, so equal values give equal fingerprints whatever id they got (never 0
   * for a non-zero v). `i` is the cell: a segment may mix such cells with plain numbers (the scenario
   * machine's keeps a thread's numbers and ids in one leaf), whose hash is then v itself.
   */
  hashValue?: (v: number, i: number) => number;
  /**
   * a small segment (a few hundred cells: kernel scalars, mm and task fields, the scenario machine):
   * its root list holds the leaves themselves, so that the first write after a copy copies one leaf,
   * not a leaf and the two nodes above it; a copy of the store copies one pointer per 64 cells of it
   */
  flat?: boolean;
}

/** a state's fingerprint lanes: the control view's two, and the counter lane */
export interface Lanes {
  f1: number;
  f2: number;
  c1: number;
}

export class Store implements Lanes {
  /** lanes of the control view, and the counter lane */
  f1 = 0;
  f2 = 0;
  c1 = 0;
  epoch: number;
  rec: Recorder | null = null;
  /**
   * the lanes follow every write (true), or are left alone (a plain run that never fingerprints;
   * startHashing() brings them up to date once)
   */
  hashing = true;
  readonly segs: Segment[];
  /**
   * segments (1) this store still borrows from the store it was copied from (cloneCells): the other
   * store's own objects, read through, and replaced by this store's own at the first write (segW)
   */
  private lent: Uint8Array | null = null;

  constructor(specs: readonly SegmentSpec[]);
  constructor(specs: readonly SegmentSpec[], from: Store, lazy?: boolean);
  constructor(readonly specs: readonly SegmentSpec[], from?: Store, lazy = false) {
    this.epoch = nextEpoch++;
    if (from === undefined) {
      this.segs = specs.map((s, id) => new Segment(this, id, s.counter === true, [], s.hashValue ?? null, s.counterAt ?? null, s.flat === true, s.display === true));
    } else {
      this.f1 = from.f1;
      this.f2 = from.f2;
      this.c1 = from.c1;
      this.hashing = from.hashing;
      if (lazy) {
        this.segs = from.segs.slice();
        this.lent = new Uint8Array(this.segs.length).fill(1);
        return;
      }
      // (the root lists are shared too: a segment copies its list at its first write, ownLeaf)
      const segs = from.segs, n = segs.length, out = new Array<Segment>(n);
      for (let i = 0; i < n; i++) out[i] = segs[i]!.copyFor(this);
      this.segs = out;
    }
  }

  /** a copy that shares every cell until either side writes it */
  clone(): Store {
    const c = new Store(this.specs, this);
    // the leaves this store owned are shared now
    this.epoch = nextEpoch++;
    return c;
  }

  /**
   * A copy as clone() makes, cheaper for a state that is mostly read: it borrows this store's segment
   * objects until it writes one (through segW) or is given to views (ownAll). This store must not be
   * written while the copy is used (the explorer's parent states are not, but by the step from them
   * in place, after which their earlier successors are gone).
   */
  cloneCells(): Store {
    const c = new Store(this.specs, this, true);
    this.epoch = nextEpoch++;
    return c;
  }

  /** segment i, this store's own, for writing */
  segW(i: number): Segment {
    const lent = this.lent;
    if (lent === null || lent[i] === 0) return this.segs[i]!;
    lent[i] = 0;
    return (this.segs[i] = this.segs[i]!.copyFor(this));
  }

  /** every segment this store's own (before views are made over it: they write through the segments) */
  ownAll(): void {
    if (this.lent === null) return;
    for (let i = 0; i < this.segs.length; i++) this.segW(i);
    this.lent = null;
  }

  /** the fingerprint lanes of a state recomputed from its cells (tests of the incremental ones) */
  recompute(): { f1: number; f2: number; c1: number } {
    let f1 = 0, f2 = 0, c1 = 0;
    for (const s of this.segs) {
      if (s.display) continue;
      s.forEachLeaf((base, leaf) => {
        for (let j = 0; j < LEAF; j++) {
          const v = leaf[j]!;
          if (v === 0) continue;
          const i = base | j, hv = s.hashValue === null ? v : s.hashValue(v, i);
          if (s.counter || (s.counterAt !== null && s.counterAt[i] === 1)) c1 = (c1 + z1(s.id, i, hv)) | 0;
          else {
            f1 = (f1 + z1(s.id, i, hv)) | 0;
            f2 = (f2 + z2(s.id, i, hv)) | 0;
          }
        }
      });
    }
    return { f1, f2, c1 };
  }

  /** the lanes kept up to date from now on (computed once from the cells if they were not) */
  startHashing(): void {
    if (this.hashing) return;
    const r = this.recompute();
    this.f1 = r.f1;
    this.f2 = r.f2;
    this.c1 = r.c1;
    this.hashing = true;
  }

  /** leaves this state has (for memory accounting) */
  stats(): { leaves: number; cells: number } {
    let leaves = 0;
    for (const s of this.segs) s.forEachLeaf(() => leaves++);
    return { leaves, cells: leaves * LEAF };
  }
}

/** a leaf: 64 cells, and the owner's epoch in its 65th */
export type Leaf = Int32Array;

// A typed array of 65 cells gets a backing store of its own, which costs far more to allocate than the
// array (it was the largest single cost of a search's transition), so leaves are views into slabs. A
// plain run (a store that does not hash: no copies, so no leaf ever dies) takes them from slabs of its
// segment (Segment.slabLeaf: 1 KiB, doubling up to 64 KiB), so that the leaves of one segment lie side by
// side in memory: a bulk path walking one segment (a page table's entries, the folios' flags) streams
// through it instead of stepping over every other segment's leaves made by the same faults. Stores
// that are copied (the explorer's) take them from shared slabs of 8 KiB (31 leaves): a slab's memory is
// given back when its last leaf dies, so what dead leaves can hold is bounded by the live leaves (the
// states on the search's stack) times 8 KiB.
const SLAB_MIN_BYTES = 1024;
const SLAB_BYTES = 65536;
const COPY_SLAB_BYTES = 8192;
const LEAF_BYTES = (LEAF + 1) * 4;
let copySlab: ArrayBuffer | null = null;
let copyOff = COPY_SLAB_BYTES;
function copySlabLeaf(): Leaf {
  if (copyOff + LEAF_BYTES > COPY_SLAB_BYTES) {
    copySlab = new ArrayBuffer(COPY_SLAB_BYTES);
    copyOff = 0;
  }
  const l = new Int32Array(copySlab!, copyOff, LEAF + 1);
  copyOff += LEAF_BYTES;
  return l;
}
/** a copy of a leaf, this state's own */
function copyLeaf(leaf: Leaf, epoch: number): Leaf {
  const l = copySlabLeaf();
  l.set(leaf);
  l[OWNER] = epoch;
  return l;
}

/** a node of the upper levels: NODE children, and its owner's epoch at index NODE */
type Node<T> = (T | number | undefined)[];

const NODE_SHIFT = 6;
const NODE = 1 << NODE_SHIFT;
const NODE_MASK = NODE - 1;
/** cells under one mid node, and under one top node */
const MID_SHIFT = LEAF_SHIFT + NODE_SHIFT;
const TOP_SHIFT = MID_SHIFT + NODE_SHIFT;

function newNode<T>(epoch: number): Node<T> {
  const n: Node<T> = new Array<T | number | undefined>(NODE + 1).fill(undefined);
  n[NODE] = epoch;
  return n;
}

/**
 * One growable array of cells in a Store; cells never written read as 0. A radix tree of three levels
 * under a root list: a top node covers 2^18 cells, a mid node 2^12, a leaf 64. A clone copies the root
 * list only (a pointer per 2^18 cells), so an index space may be sparse (cells at slot * 1024) at no cost.
 */
export class Segment {
  constructor(
    readonly store: Store,
    readonly id: number,
    readonly counter: boolean,
    /** top nodes by index (undefined: all zero) */
    public roots: (Node<Node<Leaf>> | Leaf | undefined)[],
    /** SegmentSpec.hashValue */
    readonly hashValue: ((v: number, i: number) => number) | null,
    /** SegmentSpec.counterAt */
    readonly counterAt: Uint8Array | null,
    /** SegmentSpec.flat: roots are leaves */
    readonly flat: boolean,
    /** SegmentSpec.display: no lane */
    readonly display: boolean,
  ) {}

  /**
   * Raw access for bulk paths. leafR: the leaf holding cell i (undefined: zeroes), for reading cells
   * i & ~63 .. | 63 without a call each (reads are not recorded: call noteRead). leafW: the same leaf,
   * this state's own, for writing; every raw write must be followed by noted(i, old, now) so that the
   * fingerprint and the recorder follow it.
   */
  leafR(i: number): Leaf | undefined {
    return this.leafAt(i);
  }
  leafW(i: number): Leaf {
    const leaf = this.leafAt(i);
    return leaf !== undefined && leaf[OWNER] === this.store.epoch ? leaf : this.ownLeaf(i);
  }
  /**
   * is this leaf (from leafR or leafW) this state's own? An own leaf stays the one holding its cells
   * until the store is copied (a copy makes every leaf shared again): a view may keep it as a cache
   * while this holds
   */
  owns(leaf: Leaf): boolean {
    return leaf[OWNER] === this.store.epoch;
  }
  /** does a raw write need noted()? (the store hashes or records) */
  get watched(): boolean {
    return this.store.hashing || this.store.rec !== null;
  }
  noteRead(i: number): void {
    const rec = this.store.rec;
    if (rec !== null) rec.read(this.id, i);
  }
  noted(i: number, old: number, v: number): void {
    const st = this.store;
    // a write of the value a cell holds is still a write for the recorder (a step that stores 5 over 5
    // does not commute with one that stores 7, and its replay must store 5)
    if (st.rec !== null) st.rec.write(this.id, i, old, v);
    if (old !== v && st.hashing) this.moveLanes(st, i, old, v);
  }
  /** move the lanes `st` by cell i going from old to v (the store's own, or a preview's: Store.lanesAfter) */
  moveLanes(st: Lanes, i: number, old: number, v: number): void {
    if (this.display) return;
    const hv = this.hashValue;
    if (hv !== null) {
      if (old !== 0) old = hv(old, i);
      if (v !== 0) v = hv(v, i);
    }
    if (this.counter || (this.counterAt !== null && this.counterAt[i] === 1)) st.c1 = (st.c1 - (old === 0 ? 0 : z1(this.id, i, old)) + (v === 0 ? 0 : z1(this.id, i, v))) | 0;
    else {
      if (old !== 0) {
        st.f1 = (st.f1 - z1(this.id, i, old)) | 0;
        st.f2 = (st.f2 - z2(this.id, i, old)) | 0;
      }
      if (v !== 0) {
        st.f1 = (st.f1 + z1(this.id, i, v)) | 0;
        st.f2 = (st.f2 + z2(this.id, i, v)) | 0;
      }
    }
  }

  /** a segment of store `st` holding this one's cells (a copy of a store: see Store) */
  copyFor(st: Store): Segment {
    return new Segment(st, this.id, this.counter, this.roots, this.hashValue, this.counterAt, this.flat, this.display);
  }

  /** the epoch of the store that owns `roots` (a copy of the store shares the list until it writes) */
  private rootsOwner = -1;

  /** the leaf looked up last, and its index (i >>> 6): most accesses stay within one leaf */
  private cT = -1;
  private cLeaf: Leaf | undefined = undefined;

  private leafAt(i: number): Leaf | undefined {
    // (the hit kept small, so that get and set stay small enough to be inlined everywhere)
    return i >>> LEAF_SHIFT === this.cT ? this.cLeaf : this.leafMiss(i);
  }
  private leafMiss(i: number): Leaf | undefined {
    const t = i >>> LEAF_SHIFT;
    let leaf: Leaf | undefined;
    if (this.flat) leaf = this.roots[t] as Leaf | undefined;
    else {
      const top = this.roots[i >>> TOP_SHIFT] as Node<Node<Leaf>> | undefined;
      const mid = top === undefined ? undefined : top[(i >>> MID_SHIFT) & NODE_MASK] as Node<Leaf> | undefined;
      leaf = mid === undefined ? undefined : mid[(i >>> LEAF_SHIFT) & NODE_MASK] as Leaf | undefined;
    }
    this.cT = t;
    this.cLeaf = leaf;
    return leaf;
  }

  get(i: number): number {
    const st = this.store;
    if (st.rec !== null) st.rec.read(this.id, i);
    const leaf = this.leafAt(i);
    return leaf === undefined ? 0 : leaf[i & LEAF_MASK]!;
  }

  /**
   * A statistic (a vmstat event, a task's fault count) goes up by delta. Its old value is not a read of
   * the step: nothing is decided on a statistic, so two steps that count the same event commute, and a
   * step is reused whatever the count was (the recorder keeps the delta).
   */
  add(i: number, delta: number): void {
    const st = this.store;
    if (st.rec === null && !st.hashing) {
      // (a plain run: nothing to report, the cell's own leaf changed in place)
      const leaf = this.leafAt(i);
      if (leaf !== undefined && leaf[OWNER] === st.epoch) {
        leaf[i & LEAF_MASK] = (leaf[i & LEAF_MASK]! + delta) | 0;
        return;
      }
    }
    if (st.rec !== null) {
      const r = st.rec;
      st.rec = null;
      this.set(i, this.peek(i) + delta);
      st.rec = r;
      r.add(this.id, i, delta);
    } else this.set(i, this.peek(i) + delta);
  }

  /**
   * set(i, get(i) + delta) with one lookup of the leaf: the same read and write reported to a recorder
   * (a control cell: its old value is a read of the step, unlike add's statistics)
   */
  inc(i: number, delta: number): void {
    const st = this.store;
    if (st.rec !== null) st.rec.read(this.id, i);
    const leaf = this.leafAt(i);
    if (leaf !== undefined && leaf[OWNER] === st.epoch && st.rec === null && !st.hashing) {
      // (a plain run: nothing to report, the cell's own leaf changed in place)
      leaf[i & LEAF_MASK] = (leaf[i & LEAF_MASK]! + delta) | 0;
      return;
    }
    this.set(i, (leaf === undefined ? 0 : leaf[i & LEAF_MASK]!) + delta);
  }
  /** set(i, get(i) | bits) with one lookup of the leaf, reported as those two */
  or(i: number, bits: number): void {
    const st = this.store;
    if (st.rec !== null) st.rec.read(this.id, i);
    const leaf = this.leafAt(i);
    if (leaf !== undefined && leaf[OWNER] === st.epoch && st.rec === null && !st.hashing) {
      leaf[i & LEAF_MASK] |= bits;
      return;
    }
    this.set(i, (leaf === undefined ? 0 : leaf[i & LEAF_MASK]!) | bits);
  }

  /** get() that is not recorded: for code whose reads are recorded otherwise (bulk paths, dumps) */
  peek(i: number): number {
    const leaf = this.leafAt(i);
    return leaf === undefined ? 0 : leaf[i & LEAF_MASK]!;
  }

  /** this segment's slab for a plain run's leaves (see SLAB_BYTES), the offset of its free part */
  private slab: ArrayBuffer | null = null;
  private slabOff = 0;

  /** a new leaf of zeroes owned by epoch */
  private newLeaf(epoch: number): Leaf {
    let l: Leaf;
    if (!this.store.hashing) {
      let slab = this.slab;
      if (slab === null || this.slabOff + LEAF_BYTES > slab.byteLength) {
        slab = this.slab = new ArrayBuffer(slab === null ? SLAB_MIN_BYTES : Math.min(2 * slab.byteLength, SLAB_BYTES));
        this.slabOff = 0;
      }
      l = new Int32Array(slab, this.slabOff, LEAF + 1);
      this.slabOff += LEAF_BYTES;
    } else l = copySlabLeaf();
    l[OWNER] = epoch;
    return l;
  }

  /** the leaf holding cell i, this state's own (copied if shared, made if missing) */
  private ownLeaf(i: number): Leaf {
    const epoch = this.store.epoch;
    const r = i >>> TOP_SHIFT;
    // the root list is this state's own once written (a copy of the store shares it until then)
    if (this.rootsOwner !== epoch) {
      this.roots = this.roots.slice();
      this.rootsOwner = epoch;
    }
    const roots = this.roots;
    if (this.flat) {
      const t = i >>> LEAF_SHIFT;
      let leaf = roots[t] as Leaf | undefined;
      if (leaf === undefined) {
        while (roots.length < t) roots.push(undefined);
        roots[t] = leaf = this.newLeaf(epoch);
      } else if (leaf[OWNER] !== epoch) {
        roots[t] = leaf = copyLeaf(leaf, epoch);
      }
      this.cT = t;
      this.cLeaf = leaf;
      return leaf;
    }
    let top = roots[r] as Node<Node<Leaf>> | undefined;
    if (top === undefined) {
      while (roots.length < r) roots.push(undefined);
      top = roots[r] = newNode<Node<Leaf>>(epoch);
    } else if (top[NODE] !== epoch) {
      top = roots[r] = top.slice();
      top[NODE] = epoch;
    }
    const m = (i >>> MID_SHIFT) & NODE_MASK;
    let mid = top[m] as Node<Leaf> | undefined;
    if (mid === undefined) top[m] = mid = newNode<Leaf>(epoch);
    else if (mid[NODE] !== epoch) {
      top[m] = mid = mid.slice();
      mid[NODE] = epoch;
    }
    const l = (i >>> LEAF_SHIFT) & NODE_MASK;
    let leaf = mid[l] as Leaf | undefined;
    if (leaf === undefined) {
      mid[l] = leaf = this.newLeaf(epoch);
    } else if (leaf[OWNER] !== epoch) {
      mid[l] = leaf = copyLeaf(leaf, epoch);
    }
    this.cT = i >>> LEAF_SHIFT;
    this.cLeaf = leaf;
    return leaf;
  }

  set(i: number, v: number): void {
    v |= 0;
    let leaf = this.leafAt(i);
    const j = i & LEAF_MASK;
    const old = leaf === undefined ? 0 : leaf[j]!;
    const st = this.store;
    if (old === v) {
      // (recorded all the same: see noted)
      if (st.rec !== null) st.rec.write(this.id, i, old, v);
      return;
    }
    if (leaf === undefined || leaf[OWNER] !== st.epoch) leaf = this.ownLeaf(i);
    leaf[j] = v;
    if (st.hashing || st.rec !== null) this.wrote(st, i, old, v);
  }
  /** set()'s report of a changed cell (out of line: a plain run neither hashes nor records) */
  private wrote(st: Store, i: number, old: number, v: number): void {
    if (st.hashing) this.moveLanes(st, i, old, v);
    if (st.rec !== null) st.rec.write(this.id, i, old, v);
  }

  /** every leaf with its first cell index (for whole-state walks: recompute, stats, changed) */
  forEachLeaf(fn: (base: number, leaf: Leaf) => void): void {
    const roots = this.roots;
    if (this.flat) {
      for (let t = 0; t < roots.length; t++) {
        const leaf = roots[t] as Leaf | undefined;
        if (leaf !== undefined) fn(t << LEAF_SHIFT, leaf);
      }
      return;
    }
    for (let r = 0; r < roots.length; r++) {
      const top = roots[r] as Node<Node<Leaf>> | undefined;
      if (top === undefined) continue;
      for (let m = 0; m < NODE; m++) {
        const mid = top[m] as Node<Leaf> | undefined;
        if (mid === undefined) continue;
        for (let l = 0; l < NODE; l++) {
          const leaf = mid[l] as Leaf | undefined;
          if (leaf !== undefined) fn((r << TOP_SHIFT) | (m << MID_SHIFT) | (l << LEAF_SHIFT), leaf);
        }
      }
    }
  }

  /**
   * the cells whose values differ between this segment and o (a copy of it, or its original), in
   * ascending order: nodes both still share are skipped without looking under them
   */
  changed(o: Segment, out: number[]): void {
    const a = this.roots, b = o.roots;
    if (this.flat) {
      for (let t = 0, n = Math.max(a.length, b.length); t < n; t++) {
        const xl = a[t] as Leaf | undefined, yl = b[t] as Leaf | undefined;
        if (xl === yl) continue;
        for (let j = 0; j < LEAF; j++) {
          const u = xl === undefined ? 0 : xl[j]!, v = yl === undefined ? 0 : yl[j]!;
          if (u !== v) out.push((t << LEAF_SHIFT) | j);
        }
      }
      return;
    }
    for (let r = 0, n = Math.max(a.length, b.length); r < n; r++) {
      const x = a[r] as Node<Node<Leaf>> | undefined, y = b[r] as Node<Node<Leaf>> | undefined;
      if (x === y) continue;
      for (let m = 0; m < NODE; m++) {
        const xm = x?.[m] as Node<Leaf> | undefined, ym = y?.[m] as Node<Leaf> | undefined;
        if (xm === ym) continue;
        for (let l = 0; l < NODE; l++) {
          const xl = xm?.[l] as Leaf | undefined, yl = ym?.[l] as Leaf | undefined;
          if (xl === yl) continue;
          const base = (r << TOP_SHIFT) | (m << MID_SHIFT) | (l << LEAF_SHIFT);
          for (let j = 0; j < LEAF; j++) {
            const u = xl === undefined ? 0 : xl[j]!, v = yl === undefined ? 0 : yl[j]!;
            if (u !== v) out.push(base | j);
          }
        }
      }
    }
  }

  /** n cells from i set to zero */
  clear(i: number, n: number): void {
    for (let j = i; j < i + n; j++) {
      const leaf = this.leafAt(j);
      if (leaf === undefined) {
        // a whole missing leaf is already zero
        j = ((j >>> LEAF_SHIFT) + 1) * LEAF - 1;
        continue;
      }
      if (leaf[j & LEAF_MASK] !== 0) this.set(j, 0);
    }
  }
}

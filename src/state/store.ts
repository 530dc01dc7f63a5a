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

/** what a recorder is told: segment id and cell index */
export interface Recorder {
  read(seg: number, i: number): void;
  write(seg: number, i: number, old: number, now: number): void;
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
}

export class Store {
  /** lanes of the control view, and the counter lane */
  f1 = 0;
  f2 = 0;
  c1 = 0;
  epoch: number;
  rec: Recorder | null = null;
  readonly segs: Segment[];

  constructor(specs: readonly SegmentSpec[]);
  constructor(specs: readonly SegmentSpec[], from: Store);
  constructor(readonly specs: readonly SegmentSpec[], from?: Store) {
    this.epoch = nextEpoch++;
    if (from === undefined) {
      this.segs = specs.map((s, id) => new Segment(this, id, s.counter === true, []));
    } else {
      this.f1 = from.f1;
      this.f2 = from.f2;
      this.c1 = from.c1;
      this.segs = from.segs.map((s) => new Segment(this, s.id, s.counter, s.leaves.slice()));
    }
  }

  /** a copy that shares every cell until either side writes it */
  clone(): Store {
    const c = new Store(this.specs, this);
    // the leaves this store owned are shared now
    this.epoch = nextEpoch++;
    return c;
  }

  /** the fingerprint lanes of a state recomputed from its cells (tests of the incremental ones) */
  recompute(): { f1: number; f2: number; c1: number } {
    let f1 = 0, f2 = 0, c1 = 0;
    for (const s of this.segs) {
      for (let t = 0; t < s.leaves.length; t++) {
        const leaf = s.leaves[t];
        if (leaf === undefined) continue;
        for (let j = 0; j < LEAF; j++) {
          const v = leaf[j]!;
          if (v === 0) continue;
          const i = (t << LEAF_SHIFT) | j;
          if (s.counter) c1 = (c1 + z1(s.id, i, v)) | 0;
          else {
            f1 = (f1 + z1(s.id, i, v)) | 0;
            f2 = (f2 + z2(s.id, i, v)) | 0;
          }
        }
      }
    }
    return { f1, f2, c1 };
  }

  /** cells that hold something, and leaves this state has (for memory accounting) */
  stats(): { leaves: number; cells: number } {
    let leaves = 0;
    for (const s of this.segs) for (const l of s.leaves) if (l !== undefined) leaves++;
    return { leaves, cells: leaves * LEAF };
  }
}

type Leaf = Int32Array;

/** one growable array of cells in a Store; cells never written read as 0 */
export class Segment {
  constructor(
    readonly store: Store,
    readonly id: number,
    readonly counter: boolean,
    /** leaves by index (undefined: all zero) */
    readonly leaves: (Leaf | undefined)[],
  ) {}

  get(i: number): number {
    const st = this.store;
    if (st.rec !== null) st.rec.read(this.id, i);
    const leaf = this.leaves[i >>> LEAF_SHIFT];
    return leaf === undefined ? 0 : leaf[i & LEAF_MASK]!;
  }

  /** get() that is not recorded: for code whose reads are recorded otherwise (bulk paths, dumps) */
  peek(i: number): number {
    const leaf = this.leaves[i >>> LEAF_SHIFT];
    return leaf === undefined ? 0 : leaf[i & LEAF_MASK]!;
  }

  set(i: number, v: number): void {
    v |= 0;
    const st = this.store;
    const t = i >>> LEAF_SHIFT, j = i & LEAF_MASK;
    let leaf = this.leaves[t];
    const old = leaf === undefined ? 0 : leaf[j]!;
    if (old === v) return;
    if (leaf === undefined) {
      leaf = new Int32Array(LEAF + 1);
      leaf[OWNER] = st.epoch;
      const ls = this.leaves;
      // keep the list packed (a store far past its end would make it a dictionary)
      while (ls.length < t) ls.push(undefined);
      ls[t] = leaf;
    } else if (leaf[OWNER] !== st.epoch) {
      leaf = leaf.slice();
      leaf[OWNER] = st.epoch;
      this.leaves[t] = leaf;
    }
    leaf[j] = v;
    if (this.counter) st.c1 = (st.c1 - (old === 0 ? 0 : z1(this.id, i, old)) + (v === 0 ? 0 : z1(this.id, i, v))) | 0;
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
    if (st.rec !== null) st.rec.write(this.id, i, old, v);
  }

  /**
   * the cells whose values differ between this segment and o (a copy of it, or its original), in
   * ascending order: leaves both still share are skipped without looking at their cells
   */
  changed(o: Segment, out: number[]): void {
    const a = this.leaves, b = o.leaves;
    const n = Math.max(a.length, b.length);
    for (let t = 0; t < n; t++) {
      const x = a[t], y = b[t];
      if (x === y) continue;
      for (let j = 0; j < LEAF; j++) {
        const u = x === undefined ? 0 : x[j]!, v = y === undefined ? 0 : y[j]!;
        if (u !== v) out.push((t << LEAF_SHIFT) | j);
      }
    }
  }

  /** n cells from i set to zero */
  clear(i: number, n: number): void {
    for (let j = i; j < i + n; j++) {
      const leaf = this.leaves[j >>> LEAF_SHIFT];
      if (leaf === undefined) {
        // a whole missing leaf is already zero
        j = ((j >>> LEAF_SHIFT) + 1) * LEAF - 1;
        continue;
      }
      if (leaf[j & LEAF_MASK] !== 0) this.set(j, 0);
    }
  }
}

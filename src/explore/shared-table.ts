// The visited set shared by the workers of a parallel search (parallel.ts, worker.ts): an
// open-addressing hash table in a SharedArrayBuffer, keyed by a state's 64-bit fingerprint.
//
// A slot is four 32-bit words: [word, hi, lo, id].
// - `word` is 0 while the slot is empty. A worker claims an empty slot with one compare-and-exchange
//   (0 -> CLAIMING), writes hi, lo and the state's id, and then publishes it with one atomic store of
//   PUBLISHED | mask. A reader that finds CLAIMING waits for the store; it reads hi and lo only after
//   seeing PUBLISHED (the atomic store and load order the plain writes before them), so the two halves
//   of a key are never seen apart, and one key is never stored twice: two workers inserting it race
//   for the same first empty slot of its probe sequence, and the loser sees the winner's key there.
// - The low 30 bits of `word` are the reduction's stored mask (reduction.ts: the sleep set a state was
//   explored with). A revisit with a smaller sleep set clears bits with Atomics.and, which returns the
//   word before: each bit is cleared, and its step handed out, exactly once.
// - Ids are small integers (each worker takes blocks of ID_BLOCK from an atomic counter in the control
//   array; a block's unused ids are never any state's): the workers' edges and outcomes name states by
//   id, which survives the table being grown.
//
// The table grows stopped: at half full, a worker asks for it (GROW), every worker stops at its next
// safe point (no insertion under way), the main thread copies the published slots into a table twice
// as large and hands it to each worker (growInto).

/**
 * Control words (an Int32Array over a SharedArrayBuffer shared by all workers), laid out so that words
 * read at every step (stop, grow), the counter every insertion bumps (nextId) and each worker's own
 * words sit on cache lines of their own (16 words = 64 bytes).
 */
export const CTL = {
  /** 0 running; otherwise why the search stops (STOP_*) */
  stop: 0,
  /** 1: a worker asked for a bigger table */
  grow: 1,
  /** idle workers waiting for a sub-tree; a donor claims one by decrementing it */
  hungry: 2,
  /** the table's capacity, log2 */
  capLog2: 3,
  /** the next block of state ids (a bound on the states stored: the table's load) */
  nextId: 16,
  /** per worker i: transitions so far (for the progress line) at transitions + 16 i */
  transitions: 32,
  /** per worker i: a mailbox counter at mail + 16 i, bumped with Atomics.notify when a message is posted to it */
  mail: 33,
  /** words per worker */
  stride: 16,
  length: 32 + 16 * 64,
} as const;
export const MAX_WORKERS = 64;

export const STOP_DONE = 1;
/** a worker closed a cycle: the search is redone by one worker */
export const STOP_CYCLE = 2;
export const STOP_MAX_STATES = 3;
export const STOP_MAX_TIME = 4;
/** a worker failed (an exception): the search is redone by one worker, which reports it */
export const STOP_ERROR = 5;

const CLAIMING = -0x80000000 | 0;
const PUBLISHED = 0x40000000;
export const MASK_BITS = 0x3fffffff;
/** the most threads whose masks fit */
export const MAX_MASK_THREADS = 30;

function slotOf(hi: number, lo: number, mask: number): number {
  let h = (hi ^ Math.imul(lo, 0x9e3779b1)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) & mask;
}

/** ids are taken from CTL.nextId in blocks of this many (one atomic add per block, not per state) */
export const ID_BLOCK = 64;

/** a worker's block of ids: [next, end), taken `size` at a time (1 under --max-states, to count exactly) */
export interface IdBlock {
  next: number;
  end: number;
  size: number;
}

export class SharedTable {
  readonly words: Int32Array;
  readonly capacity: number;
  private readonly slotMask: number;
  /** after insert(): whether the key was new, and its slot (for the mask cell) */
  fresh = false;
  slot = 0;

  /** ids for new states; a worker keeps its block when it swaps tables */
  constructor(readonly buffer: SharedArrayBuffer, private readonly ctl: Int32Array, readonly ids: IdBlock = { next: 0, end: 0, size: ID_BLOCK }) {
    this.words = new Int32Array(buffer);
    this.capacity = this.words.length >>> 2;
    this.slotMask = this.capacity - 1;
  }

  static create(capLog2: number): SharedArrayBuffer {
    return new SharedArrayBuffer((1 << capLog2) * 16);
  }

  /**
   * The id of the state with this fingerprint; when absent, it is inserted with `mask` and a new id.
   * `fresh` says which; `slot` is its slot either way.
   */
  insert(hi: number, lo: number, mask: number): number {
    const w = this.words;
    if (hi === 0 && lo === 0) lo = 1;
    hi |= 0;
    lo |= 0;
    let i = slotOf(hi, lo, this.slotMask);
    for (let probes = 0; ; probes++) {
      if (probes > this.capacity) throw new Error('shared state table full');
      const b = i << 2;
      let word = Atomics.load(w, b);
      if (word === 0) {
        const was = Atomics.compareExchange(w, b, 0, CLAIMING);
        if (was === 0) {
          w[b + 1] = hi;
          w[b + 2] = lo;
          const ids = this.ids;
          if (ids.next === ids.end) {
            ids.next = Atomics.add(this.ctl, CTL.nextId, ids.size);
            ids.end = ids.next + ids.size;
            // ids handed out bound the states stored: ask for a bigger table at half full
            if (ids.end * 2 > this.capacity && Atomics.load(this.ctl, CTL.grow) === 0) Atomics.store(this.ctl, CTL.grow, 1);
          }
          const id = ids.next++;
          w[b + 3] = id;
          Atomics.store(w, b, PUBLISHED | (mask & MASK_BITS));
          this.fresh = true;
          this.slot = i;
          return id;
        }
        word = was;
      }
      while (word === CLAIMING) word = Atomics.load(w, b);
      if (w[b + 1] === hi && w[b + 2] === lo) {
        this.fresh = false;
        this.slot = i;
        return w[b + 3]!;
      }
      i = (i + 1) & this.slotMask;
    }
  }

  /** the id stored for this fingerprint, or -1 */
  get(hi: number, lo: number): number {
    const w = this.words;
    if (hi === 0 && lo === 0) lo = 1;
    hi |= 0;
    lo |= 0;
    let i = slotOf(hi, lo, this.slotMask);
    for (;;) {
      const b = i << 2;
      let word = Atomics.load(w, b);
      if (word === 0) return -1;
      while (word === CLAIMING) word = Atomics.load(w, b);
      if (w[b + 1] === hi && w[b + 2] === lo) return w[b + 3]!;
      i = (i + 1) & this.slotMask;
    }
  }

  /** the stored mask of a slot */
  maskAt(slot: number): number {
    return Atomics.load(this.words, slot << 2) & MASK_BITS;
  }

  /** mask &= x, atomically; returns the mask before */
  andMask(slot: number, x: number): number {
    return Atomics.and(this.words, slot << 2, PUBLISHED | (x & MASK_BITS)) & MASK_BITS;
  }

  /** published slots (only when no worker inserts) */
  count(): number {
    let n = 0;
    for (let i = 0; i < this.capacity; i++) if (this.words[i << 2] !== 0) n++;
    return n;
  }

  /** copy every published slot into `to` (only when no worker inserts); the ids and masks are kept */
  growInto(to: SharedTable): void {
    const w = this.words, t = to.words;
    for (let j = 0; j < this.capacity; j++) {
      const b = j << 2;
      const word = w[b]!;
      if (word === 0) continue;
      const hi = w[b + 1]!, lo = w[b + 2]!;
      let i = slotOf(hi, lo, to.slotMask);
      while (t[i << 2] !== 0) i = (i + 1) & to.slotMask;
      const nb = i << 2;
      t[nb] = word;
      t[nb + 1] = hi;
      t[nb + 2] = lo;
      t[nb + 3] = w[b + 3]!;
    }
  }
}

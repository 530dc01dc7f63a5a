// The explorer's set of fingerprints seen; the hasher itself is src/state/hasher.ts.
import { fmix32 } from '../state/hasher.js';
import { reserveFor, resizableBuffer } from './growable.js';
export { StateHasher, fmix32 } from '../state/hasher.js';

/** sub-tables of a FingerprintSet (by the low bits of a fingerprint's mixed hash) */
const PARTS_LOG2 = 6;
const PARTS = 1 << PARTS_LOG2;
/**
 * A sub-table grows by half when an insertion would fill more than its limit: from 5/8 full (sub-table
 * 0) to 13/16 (sub-table 63), so that the sub-tables, which fill alike, do not all grow at one moment
 * (the old tables' memory is given back only when the collector runs)
 */
const LOAD_DEN = 1024;
const loadLimit = (p: number) => 640 + Math.floor((192 * p) / (PARTS - 1));

/** the mark of an entry not yet placed again while a sub-table grows (bit 31 of the id word) */
const OLD = 0x80000000;

/**
 * The set of fingerprints seen, with the state id of each (its index in the explorer's per-state
 * arrays). Open addressing with linear probing, slots of three 32-bit words (hi, lo, id) side by side,
 * so that a probe touches one cache line; (0, 0) is stored as (0, 1). Ids are below 2^31.
 *
 * Memory is most of a search's per state, so: the table is split into 64 sub-tables that grow one at
 * a time, by half, not double (any size: a slot is found by scaling the hash to the size, not by
 * masking), so that each is between 5/12 and 13/16 full; and a sub-table grows in place: it lives in a
 * resizable ArrayBuffer (address space reserved, pages committed as they are first written), whose
 * entries are placed again where they are (grow()); past its reservation (8 times its size) it moves. A table copied into a new buffer leaves the old one
 * to the collector, which frees an array buffer only when it runs: a search's dead tables were a third
 * of its peak memory.
 */
export class FingerprintSet {
  private parts: Uint32Array[];
  private bufs: ArrayBuffer[];
  /** slots of each sub-table */
  private sizes: Int32Array;
  private counts: Int32Array;
  size = 0;

  /**
   * reserveBytes: address space a sub-table may first grow in before it moves to a larger reservation
   * (growable.ts reserveFor)
   */
  constructor(capacityLog2 = 16, reserveBytes = -1) {
    const per = 1 << Math.max(3, capacityLog2 - PARTS_LOG2);
    this.parts = [];
    this.bufs = [];
    for (let p = 0; p < PARTS; p++) {
      const b = resizableBuffer(per * 12, reserveBytes < 0 ? reserveFor(per * 12) : reserveBytes);
      this.bufs.push(b);
      this.parts.push(new Uint32Array(b, 0, per * 3));
    }
    this.sizes = new Int32Array(PARTS).fill(per);
    this.counts = new Int32Array(PARTS);
  }

  private static mix(hi: number, lo: number): number {
    return fmix32(hi ^ Math.imul(lo, 0x9e3779b1));
  }

  /**
   * The slot (word index) of this fingerprint in table t of n slots, or of the empty slot where it
   * goes. The first slot probed is bits 8..31 of the mixed hash scaled to n (the low bits chose the
   * sub-table); n < 2^29 keeps the product exact. (Scaled by n / 2^24, a fraction: the multiplication is
   * a floating-point one from the first call, where (x >>> 8) * n would be compiled as a 32-bit one and
   * sent back to the interpreter when it overflows, with the search loop it is inlined into.)
   */
  private static slot(t: Uint32Array, n: number, x: number, hi: number, lo: number): number {
    let i = FingerprintSet.home(x, n);
    for (;;) {
      const j = i * 3;
      const h = t[j]!, l = t[j + 1]!;
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return j;
      if (++i === n) i = 0;
    }
  }

  private static home(x: number, n: number): number {
    return Math.floor((x >>> 8) * (n / 16777216));
  }

  /** the id stored for this fingerprint, or -1 */
  get(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) lo = 1;
    hi >>>= 0;
    lo >>>= 0;
    const x = FingerprintSet.mix(hi, lo), p = x & (PARTS - 1);
    const t = this.parts[p]!;
    const j = FingerprintSet.slot(t, this.sizes[p]!, x, hi, lo);
    return t[j] === 0 && t[j + 1] === 0 ? -1 : t[j + 2]! | 0;
  }

  /** insert (must be absent) */
  add(hi: number, lo: number, id: number): void {
    if (hi === 0 && lo === 0) lo = 1;
    hi >>>= 0;
    lo >>>= 0;
    const x = FingerprintSet.mix(hi, lo), p = x & (PARTS - 1);
    if ((this.counts[p]! + 1) * LOAD_DEN > this.sizes[p]! * loadLimit(p)) this.grow(p);
    const t = this.parts[p]!;
    const j = FingerprintSet.slot(t, this.sizes[p]!, x, hi, lo);
    t[j] = hi;
    t[j + 1] = lo;
    t[j + 2] = id;
    this.counts[p]!++;
    this.size++;
  }

  /**
   * Sub-table p grows by half, in place: its buffer is resized (the new slots are zero), every entry
   * is marked old, and each old entry is taken out and placed again from its home in the larger table;
   * an old entry in the way is evicted and placed in turn. A placed entry is never moved again, so
   * every slot between an entry's home and its place holds a placed entry at the end: the probe
   * sequences hold.
   */
  private grow(p: number): void {
    const n0 = this.sizes[p]!;
    const n = n0 + (n0 >> 1);
    let b = this.bufs[p]!;
    if (n * 12 > b.maxByteLength) {
      // past the reservation: a larger one, copied once
      const nb = resizableBuffer(n0 * 12, reserveFor(n * 12));
      new Uint32Array(nb).set(new Uint32Array(b, 0, n0 * 3));
      b = nb;
      this.bufs[p] = b;
    }
    b.resize(n * 12);
    const t = new Uint32Array(b, 0, n * 3);
    for (let j = 0; j < n0 * 3; j += 3) if (t[j] !== 0 || t[j + 1] !== 0) t[j + 2] = (t[j + 2]! | OLD) >>> 0;
    for (let j0 = 0; j0 < n0 * 3; j0 += 3) {
      if ((t[j0 + 2]! & OLD) === 0 || (t[j0] === 0 && t[j0 + 1] === 0)) continue;
      let h = t[j0]!, l = t[j0 + 1]!, id = t[j0 + 2]! & ~OLD;
      t[j0] = 0;
      t[j0 + 1] = 0;
      t[j0 + 2] = 0;
      let i = FingerprintSet.home(FingerprintSet.mix(h, l), n);
      for (;;) {
        const j = i * 3;
        const th = t[j]!, tl = t[j + 1]!;
        if (th === 0 && tl === 0) {
          t[j] = h;
          t[j + 1] = l;
          t[j + 2] = id;
          break;
        }
        const tid = t[j + 2]!;
        if ((tid & OLD) !== 0) {
          // an old entry in the way: this one takes its slot, it is placed next
          t[j] = h;
          t[j + 1] = l;
          t[j + 2] = id;
          h = th;
          l = tl;
          id = tid & ~OLD;
          i = FingerprintSet.home(FingerprintSet.mix(h, l), n);
          continue;
        }
        if (++i === n) i = 0;
      }
    }
    this.parts[p] = t;
    this.sizes[p] = n;
  }

  /** bytes held by the table */
  get bytes(): number {
    let b = 0;
    for (const t of this.parts) b += t.byteLength;
    return b;
  }
}

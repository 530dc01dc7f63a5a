// The explorer's set of fingerprints seen; the hasher itself is src/state/hasher.ts.
import { fmix32 } from '../state/hasher.js';
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

/**
 * The set of fingerprints seen, with the state id of each (its index in the explorer's per-state
 * arrays). Open addressing with linear probing, slots of three 32-bit words (hi, lo, id) side by side,
 * so that a probe touches one cache line; (0, 0) is stored as (0, 1).
 *
 * Memory is most of a search's per state, so: the table is split into 64 sub-tables that grow one at
 * a time (growing one table of all the slots holds the old and the new at once, and that moment
 * decides the peak), and a sub-table grows by half, not double (any size: a slot is found by scaling
 * the hash to the size, not by masking), so that it is between 5/12 and 13/16 full.
 */
export class FingerprintSet {
  private parts: Uint32Array[];
  /** slots of each sub-table */
  private sizes: Int32Array;
  private counts: Int32Array;
  size = 0;

  constructor(capacityLog2 = 16) {
    const per = 1 << Math.max(3, capacityLog2 - PARTS_LOG2);
    this.parts = [];
    for (let p = 0; p < PARTS; p++) this.parts.push(new Uint32Array(per * 3));
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
    let i = Math.floor((x >>> 8) * (n / 16777216));
    for (;;) {
      const j = i * 3;
      const h = t[j]!, l = t[j + 1]!;
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return j;
      if (++i === n) i = 0;
    }
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

  private grow(p: number): void {
    const o = this.parts[p]!;
    const n = this.sizes[p]! + (this.sizes[p]! >> 1);
    const t = new Uint32Array(n * 3);
    for (let j = 0; j < o.length; j += 3) {
      const h = o[j]!, l = o[j + 1]!;
      if (h === 0 && l === 0) continue;
      const k = FingerprintSet.slot(t, n, FingerprintSet.mix(h, l), h, l);
      t[k] = h;
      t[k + 1] = l;
      t[k + 2] = o[j + 2]!;
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

// The explorer's set of fingerprints seen; the hasher itself is src/state/hasher.ts.
import { fmix32 } from '../state/hasher.js';
export { StateHasher, fmix32 } from '../state/hasher.js';

/** sub-tables of a FingerprintSet (by the top bits of a fingerprint's mixed hash) */
const PARTS_LOG2 = 6;
const PARTS = 1 << PARTS_LOG2;
/** a sub-table grows (doubles) when an insertion would fill more than 11/16 of it */
const LOAD_NUM = 11, LOAD_DEN = 16;

/**
 * The set of fingerprints seen, with the state id of each (its index in the explorer's per-state
 * arrays). Open addressing with linear probing, slots of three 32-bit words (hi, lo, id) side by side,
 * so that a probe touches one cache line; (0, 0) is stored as (0, 1).
 *
 * The table is split into 64 sub-tables that grow one at a time: growing one table of all the slots
 * would hold the old and the new table at once (three times the slots at the moment of the copy),
 * and that moment decides a search's peak memory. Here the transient is 1/64 of it.
 */
export class FingerprintSet {
  private parts: Uint32Array[];
  private masks: Int32Array;
  private counts: Int32Array;
  size = 0;

  constructor(capacityLog2 = 16) {
    const per = 1 << Math.max(2, capacityLog2 - PARTS_LOG2);
    this.parts = [];
    for (let p = 0; p < PARTS; p++) this.parts.push(new Uint32Array(per * 3));
    this.masks = new Int32Array(PARTS).fill(per - 1);
    this.counts = new Int32Array(PARTS);
  }

  private static mix(hi: number, lo: number): number {
    return fmix32(hi ^ Math.imul(lo, 0x9e3779b1));
  }

  /** the slot index (in words) of this fingerprint in table t, or of the empty slot where it goes */
  private static slot(t: Uint32Array, mask: number, x: number, hi: number, lo: number): number {
    let i = x & mask;
    for (;;) {
      const j = i * 3;
      const h = t[j]!, l = t[j + 1]!;
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return j;
      i = (i + 1) & mask;
    }
  }

  /** the id stored for this fingerprint, or -1 */
  get(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) lo = 1;
    hi >>>= 0;
    lo >>>= 0;
    const x = FingerprintSet.mix(hi, lo), p = x >>> (32 - PARTS_LOG2);
    const t = this.parts[p]!;
    const j = FingerprintSet.slot(t, this.masks[p]!, x, hi, lo);
    return t[j] === 0 && t[j + 1] === 0 ? -1 : t[j + 2]! | 0;
  }

  /** insert (must be absent) */
  add(hi: number, lo: number, id: number): void {
    if (hi === 0 && lo === 0) lo = 1;
    hi >>>= 0;
    lo >>>= 0;
    const x = FingerprintSet.mix(hi, lo), p = x >>> (32 - PARTS_LOG2);
    if ((this.counts[p]! + 1) * LOAD_DEN > (this.masks[p]! + 1) * LOAD_NUM) this.grow(p);
    const t = this.parts[p]!;
    const j = FingerprintSet.slot(t, this.masks[p]!, x, hi, lo);
    t[j] = hi;
    t[j + 1] = lo;
    t[j + 2] = id;
    this.counts[p]!++;
    this.size++;
  }

  private grow(p: number): void {
    const o = this.parts[p]!;
    const n = (this.masks[p]! + 1) * 2, mask = n - 1;
    const t = new Uint32Array(n * 3);
    for (let j = 0; j < o.length; j += 3) {
      const h = o[j]!, l = o[j + 1]!;
      if (h === 0 && l === 0) continue;
      const k = FingerprintSet.slot(t, mask, FingerprintSet.mix(h, l), h, l);
      t[k] = h;
      t[k + 1] = l;
      t[k + 2] = o[j + 2]!;
    }
    this.parts[p] = t;
    this.masks[p] = mask;
  }

  /** bytes held by the table */
  get bytes(): number {
    let b = 0;
    for (const t of this.parts) b += t.byteLength;
    return b;
  }
}

// The explorer's set of fingerprints seen; the hasher itself is src/state/hasher.ts.
import { fmix32 } from '../state/hasher.js';
export { StateHasher, fmix32 } from '../state/hasher.js';

/**
 * The set of fingerprints seen: open addressing over two Uint32Arrays (hi, lo), each slot holding the
 * state's id (its index in the explorer's per-state arrays). (0, 0) is stored as (0, 1).
 */
export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private ids: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacityLog2 = 16) {
    const n = 1 << capacityLog2;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.ids = new Int32Array(n);
    this.mask = n - 1;
  }

  private slot(hi: number, lo: number): number {
    let i = (fmix32(hi ^ Math.imul(lo, 0x9e3779b1)) >>> 0) & this.mask;
    for (;;) {
      const h = this.hi[i]!, l = this.lo[i]!;
      if (h === 0 && l === 0) return i;
      if (h === hi && l === lo) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** the id stored for this fingerprint, or -1 */
  get(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) lo = 1;
    const i = this.slot(hi, lo);
    return this.hi[i] === 0 && this.lo[i] === 0 ? -1 : this.ids[i]!;
  }

  /** insert (must be absent) */
  add(hi: number, lo: number, id: number): void {
    if (hi === 0 && lo === 0) lo = 1;
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const i = this.slot(hi, lo);
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.ids[i] = id;
    this.size++;
  }

  private grow(): void {
    const oh = this.hi, ol = this.lo, oi = this.ids;
    const n = (this.mask + 1) * 2;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.ids = new Int32Array(n);
    this.mask = n - 1;
    for (let j = 0; j < oh.length; j++) {
      const h = oh[j]!, l = ol[j]!;
      if (h === 0 && l === 0) continue;
      const i = this.slot(h, l);
      this.hi[i] = h;
      this.lo[i] = l;
      this.ids[i] = oi[j]!;
    }
  }

  /** bytes held by the table */
  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength + this.ids.byteLength;
  }
}

// A page-table entry value in two 32-bit words, the form the model computes with on hot paths. The
// words are kept as signed int32 (| 0) so that V8 stores them as small integers, never as doubles.
// Printing and parsing go through BigInt (edges only).

export const PFN_LO_BITS = 20; // pfn bits 0..19 live in lo bits 12..31
export const TWO20 = 1 << 20;

export class Pte {
  lo = 0;
  hi = 0;
  static of(lo: number, hi: number): Pte {
    const p = new Pte();
    p.lo = lo | 0;
    p.hi = hi | 0;
    return p;
  }
  static fromBig(v: bigint): Pte {
    return Pte.of(Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn));
  }
  set(lo: number, hi: number): this {
    this.lo = lo | 0;
    this.hi = hi | 0;
    return this;
  }
  copyFrom(o: Pte): this {
    this.lo = o.lo;
    this.hi = o.hi;
    return this;
  }
  clone(): Pte {
    return Pte.of(this.lo, this.hi);
  }
  equals(o: Pte): boolean {
    return this.lo === o.lo && this.hi === o.hi;
  }
  isZero(): boolean {
    return this.lo === 0 && this.hi === 0;
  }
  big(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }
  /** The kernel's printk of a pte_t/pgprot_t: lower-case hex, no leading zeros. */
  hex(): string {
    return this.big().toString(16);
  }
  /** 0x-prefixed, 16 digits: 0x8000000000000825 */
  toString(): string {
    return '0x' + this.big().toString(16).padStart(16, '0');
  }
}

export function hex64(lo: number, hi: number): string {
  return '0x' + ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16).padStart(16, '0');
}

/** pfn stored in bits 12..51 */
export function entryPfn(lo: number, hi: number): number {
  return (lo >>> 12) + (hi & 0xfffff) * TWO20;
}
export function setEntryPfn(e: Pte, pfn: number): void {
  e.lo = ((e.lo & 0xfff) | ((pfn % TWO20) << 12)) | 0;
  e.hi = ((e.hi & ~0xfffff) | (Math.floor(pfn / TWO20) & 0xfffff)) | 0;
}

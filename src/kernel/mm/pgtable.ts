// Page-table pages and the walk from the PGD down (include/linux/pgtable.h, mm/pgtable-generic.c,
// mm/memory.c __pte_alloc/__pmd_alloc). x86-64 with 4 levels: PGD(4) -> PUD(3) -> PMD(2) -> PTE(1);
// the P4D level is folded. Tables are sparse: a level exists once something below it was populated.
import { Pte } from '../arch/x86/include/pte.js';
import { _PAGE_TABLE, PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT, PGDIR_SHIFT } from '../arch/x86/include/pgtable_types.js';

export const LEVEL_PTE = 1, LEVEL_PMD = 2, LEVEL_PUD = 3, LEVEL_PGD = 4;
const SHIFT = [0, PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT, PGDIR_SHIFT];
const SPAN = SHIFT.map((s) => 2 ** s);

export function levelShift(level: number): number { return SHIFT[level]!; }
export function levelSpan(level: number): number { return SPAN[level]!; }
/** pte_index / pmd_index / pud_index / pgd_index */
export function levelIndex(level: number, addr: number): number {
  return Math.floor(addr / SPAN[level]!) & 511;
}
export const pte_index = (addr: number) => Math.floor(addr / 4096) & 511;
export const pmd_index = (addr: number) => Math.floor(addr / 2097152) & 511;

/** one 4 KiB page-table page: 512 entries of two 32-bit words */
export class PageTable {
  /** the entries; replaced (never written) while shared with a copy-on-write clone */
  e: Int32Array;
  /** entries that are not none */
  nr = 0;
  /** `e` is shared with a clone made by cow(): copy it before the first write (explorer) */
  shared = false;
  /** cached fingerprint of the entries (two 32-bit lanes), valid while hashOk */
  hashA = 0;
  hashB = 0;
  hashOk = false;
  /**
   * explorer write sets: the shared array `e` was copied from at the first write after cow(), and
   * the indices written since (null: not tracked, or too many)
   */
  origin: Int32Array | null = null;
  written: number[] | null = null;
  constructor(readonly pfn: number, readonly level: number, readonly base: number, words?: Int32Array) {
    this.e = words ?? new Int32Array(1024);
  }
  copy(): PageTable {
    const t = new PageTable(this.pfn, this.level, this.base, this.e.slice());
    t.nr = this.nr;
    return t;
  }
  /** a copy that shares the entries until either side writes (machine snapshots of the explorer) */
  cow(): PageTable {
    const t = new PageTable(this.pfn, this.level, this.base, this.e);
    t.nr = this.nr;
    t.hashA = this.hashA;
    t.hashB = this.hashB;
    t.hashOk = this.hashOk;
    t.shared = this.shared = true;
    return t;
  }
  /**
   * fingerprint of the entries: the sum over non-none entries of a hash of (index, entry), in two
   * lanes; cached, and kept up to date by setRaw once computed
   */
  hash(): void {
    if (this.hashOk) return;
    const e = this.e;
    let a = 0, b = 0;
    for (let i = 0; i < 512; i++) {
      const lo = e[2 * i]!, hi = e[2 * i + 1]!;
      if (lo === 0 && hi === 0) continue;
      a = (a + entryHashA(i, lo, hi)) | 0;
      b = (b + entryHashB(i, lo, hi)) | 0;
    }
    this.hashA = a;
    this.hashB = b;
    this.hashOk = true;
  }
  get(i: number, out: Pte): Pte {
    out.lo = this.e[2 * i]!;
    out.hi = this.e[2 * i + 1]!;
    return out;
  }
  lo(i: number): number { return this.e[2 * i]!; }
  hi(i: number): number { return this.e[2 * i + 1]!; }
  isNone(i: number): boolean { return this.e[2 * i] === 0 && this.e[2 * i + 1] === 0; }
  set(i: number, v: Pte): void { this.setRaw(i, v.lo, v.hi); }
  setRaw(i: number, lo: number, hi: number): void {
    if (this.e[2 * i] === (lo | 0) && this.e[2 * i + 1] === (hi | 0)) return;
    if (this.shared) {
      this.origin = this.e;
      this.written = [];
      this.e = this.e.slice();
      this.shared = false;
    }
    if (this.written !== null) {
      if (this.written.length < 64) this.written.push(i);
      else this.written = null;
    }
    const oldLo = this.e[2 * i]!, oldHi = this.e[2 * i + 1]!;
    const was = oldLo !== 0 || oldHi !== 0;
    const now = lo !== 0 || hi !== 0;
    this.e[2 * i] = lo;
    this.e[2 * i + 1] = hi;
    if (was !== now) this.nr += now ? 1 : -1;
    if (this.hashOk) {
      // the entry's share of the fingerprint, out with the old value and in with the new
      const newLo = this.e[2 * i]!, newHi = this.e[2 * i + 1]!;
      let a = this.hashA, b = this.hashB;
      if (oldLo !== 0 || oldHi !== 0) {
        a = (a - entryHashA(i, oldLo, oldHi)) | 0;
        b = (b - entryHashB(i, oldLo, oldHi)) | 0;
      }
      if (newLo !== 0 || newHi !== 0) {
        a = (a + entryHashA(i, newLo, newHi)) | 0;
        b = (b + entryHashB(i, newLo, newHi)) | 0;
      }
      this.hashA = a;
      this.hashB = b;
    }
  }
  clear(i: number): void { this.setRaw(i, 0, 0); }
  /** virtual address mapped by entry i */
  addrOf(i: number): number { return this.base + i * SPAN[this.level]!; }
}

function entryHashA(i: number, lo: number, hi: number): number {
  let x = Math.imul(lo ^ Math.imul(i + 1, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(hi ^ 0x27d4eb2f, 0xc2b2ae35);
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d);
  x ^= x >>> 12;
  return x;
}
function entryHashB(i: number, lo: number, hi: number): number {
  let y = Math.imul(hi ^ Math.imul(i + 7, 0x165667b1), 0xcc9e2d51) ^ Math.imul(lo ^ 0x61c88647, 0x1b873593);
  y ^= y >>> 16;
  y = Math.imul(y, 0x297a2d39);
  y ^= y >>> 13;
  return y;
}

/** a pointer to one entry: (table, index), the model's pmd_t * / pte_t * */
export interface Slot {
  t: PageTable;
  i: number;
}

/** entry of a non-leaf level that points to `child` (pmd_populate, pud_populate, ...) */
export function tableEntry(child: PageTable, out: Pte): Pte {
  out.lo = (((child.pfn % 0x100000) << 12) | _PAGE_TABLE) | 0;
  out.hi = Math.floor(child.pfn / 0x100000) | 0;
  return out;
}

// Page-table pages: their entries, allocation and freeing (include/linux/pgtable.h, arch/x86/mm/pgtable.c;
// the walk from the PGD down is in pagewalk.ts). x86-64 with 4 levels: PGD(4) -> PUD(3) -> PMD(2) -> PTE(1);
// the P4D level is folded. Tables are sparse: a level exists once something below it was populated.
import type { Kernel } from '../kernel.js';
import type { MmStruct } from '../include/mm_types.js';
import { Pte } from '../arch/x86/include/pte.js';
import type { Leaf, Segment, SegmentSpec } from '../../state/store.js';
import { PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT, PGDIR_SHIFT } from '../arch/x86/include/pgtable_types.js';
import { PG_table } from './folio.js';

export const LEVEL_PTE = 1, LEVEL_PMD = 2, LEVEL_PUD = 3, LEVEL_PGD = 4;
const SHIFT = [0, PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT, PGDIR_SHIFT];
const SPAN = SHIFT.map((s) => 2 ** s);

export function levelShift(level: number): number { return SHIFT[level]!; }
export function levelSpan(level: number): number { return SPAN[level]!; }
// An index is the low 9 bits of addr / span. For an address (a non-negative integer below 2^53) the
// quotient by a power of two is exact, and `& 511` truncates it to an int32 (modulo 2^32, a multiple of
// 512) before taking those bits: Math.floor(addr / span) & 511 without the call, so that pte_index and
// pmd_index stay small enough for V8 to inline them everywhere (an address past 2^31 passed to a call
// that is not inlined is a new heap number each time).
/** pte_index / pmd_index / pud_index / pgd_index */
export function levelIndex(level: number, addr: number): number {
  return (addr / SPAN[level]!) & 511;
}
export const pte_index = (addr: number) => (addr / 4096) & 511;
export const pmd_index = (addr: number) => (addr / 2097152) & 511;

/** the segments page tables keep their state in (src/state/store.ts): entries, then per-table data */
export const PGTABLE_SEGMENTS: readonly SegmentSpec[] = [{ name: 'pgtable' }, { name: 'pgtable.meta' }];
/** cells of one table's entries: 512 entries of two 32-bit words, at the table page's folio slot * 1024 */
const TABLE = 1024;
/** per-table cells: level, the base address (low 32 bits, high bits), entries that are not none */
const META = 4;
const M_LEVEL = 0, M_BASE_LO = 1, M_BASE_HI = 2, M_NR = 3;

/**
 * One 4 KiB page-table page: a view of its cells in the kernel's Store (the entries at its page's folio
 * slot), so a copy of the Store copies no table and the fingerprint follows every entry written.
 */
export class PageTable {
  private constructor(
    private readonly E: Segment,
    private readonly M: Segment,
    /** the folio slot of the table's page */
    readonly slot: number,
    readonly pfn: number,
    readonly level: number,
    readonly base: number,
  ) {
    this.cT = -1;
    this.cL = null;
  }

  /**
   * A cache, not state: the leaf of entries this view used last while it is the state's own
   * (Segment.owns: an own leaf holds its cells until the store is copied), so that a fault going back
   * and forth between a PMD table and a PTE table does not walk the segment's tree each time. Reads
   * are reported to a recorder all the same.
   */
  private cT: number;
  private cL: Leaf | null;
  /** E.leafR(b), from the cache when it holds that leaf */
  private rd(b: number): Leaf | undefined {
    const L = this.cL, E = this.E;
    if (L !== null && b >>> 6 === this.cT && E.owns(L)) return L;
    const l = E.leafR(b);
    if (l !== undefined && E.owns(l)) {
      this.cT = b >>> 6;
      this.cL = l;
    }
    return l;
  }
  /** E.leafW(b), from the cache when it holds that leaf */
  private wr(b: number): Leaf {
    const L = this.cL, E = this.E;
    if (L !== null && b >>> 6 === this.cT && E.owns(L)) return L;
    const l = E.leafW(b);
    this.cT = b >>> 6;
    this.cL = l;
    return l;
  }

  /** a new, empty table at the page of folio slot `slot` (its cells are zero: a freed table is cleared) */
  static create(E: Segment, M: Segment, slot: number, pfn: number, level: number, base: number): PageTable {
    const m = slot * META;
    M.set(m + M_LEVEL, level);
    M.set(m + M_BASE_LO, base % 4294967296);
    M.set(m + M_BASE_HI, Math.floor(base / 4294967296));
    return new PageTable(E, M, slot, pfn, level, base);
  }

  /** a lookup of the table at slot answered from a cache of views: the reads PageTable.at makes */
  static noteLookup(M: Segment, slot: number): void {
    const m = slot * META;
    M.noteRead(m + M_LEVEL);
    M.noteRead(m + M_BASE_LO);
    M.noteRead(m + M_BASE_HI);
  }
  /** the table at folio slot `slot` (page pfn) as its cells say, or null when there is none */
  static at(E: Segment, M: Segment, slot: number, pfn: number): PageTable | null {
    const m = slot * META;
    const level = M.get(m + M_LEVEL);
    if (level === 0) return null;
    return new PageTable(E, M, slot, pfn, level, (M.get(m + M_BASE_LO) >>> 0) + (M.get(m + M_BASE_HI) >>> 0) * 4294967296);
  }

  /** the table's cells zeroed, when its page is freed */
  destroy(): void {
    this.E.clear(this.slot * TABLE, TABLE);
    this.M.clear(this.slot * META, META);
  }

  /** entries that are not none */
  get nr(): number { return this.M.get(this.slot * META + M_NR); }

  get(i: number, out: Pte): Pte {
    const E = this.E, b = this.slot * TABLE + 2 * i;
    const leaf = this.rd(b);
    if (leaf === undefined) {
      out.lo = 0;
      out.hi = 0;
    } else {
      out.lo = leaf[b & 63]!;
      out.hi = leaf[(b & 63) + 1]!;
    }
    E.noteRead(b);
    E.noteRead(b + 1);
    return out;
  }
  /**
   * Bulk reads: the cell index of entry i's low word, and the leaf of cells holding it (undefined: all
   * none), whose [wordIndex & 63] and [+1] are the entry; valid until the next write to the table. The
   * reads are not reported to a recorder: a bulk reader calls noteRead for each entry when `recording`.
   */
  wordIndex(i: number): number { return this.slot * TABLE + 2 * i; }
  words(i: number): Leaf | undefined {
    return this.rd(this.slot * TABLE + 2 * i);
  }
  /**
   * Bulk writes of present entries into present ones (the count of entries stays): the leaf holding
   * entry i, this state's own; after writing its two words, call wrote() when `watched`.
   */
  wordsW(i: number): Leaf {
    return this.wr(this.slot * TABLE + 2 * i);
  }
  get watched(): boolean { return this.E.watched; }
  wrote(i: number, oldLo: number, oldHi: number, lo: number, hi: number): void {
    const b = this.slot * TABLE + 2 * i;
    this.E.noted(b, oldLo, lo);
    this.E.noted(b + 1, oldHi, hi);
  }
  /** is a recorder listening? (bulk readers then report each entry they read: noteRead) */
  get recording(): boolean { return this.E.store.rec !== null; }
  noteRead(i: number): void {
    const b = this.slot * TABLE + 2 * i;
    this.E.noteRead(b);
    this.E.noteRead(b + 1);
  }
  /**
   * entry i's low and high words, each reported as E.get would, through the view's own leaf (rd): a PMD
   * entry read between accesses to the PTE table under it would otherwise walk the segment's tree, its
   * one remembered leaf being the PTE table's
   */
  lo(i: number): number {
    const b = this.slot * TABLE + 2 * i, leaf = this.rd(b);
    this.E.noteRead(b);
    return leaf === undefined ? 0 : leaf[b & 63]!;
  }
  hi(i: number): number {
    const b = this.slot * TABLE + 2 * i + 1, leaf = this.rd(b);
    this.E.noteRead(b);
    return leaf === undefined ? 0 : leaf[b & 63]!;
  }
  isNone(i: number): boolean { return this.lo(i) === 0 && this.hi(i) === 0; }
  set(i: number, v: Pte): void { this.setRaw(i, v.lo, v.hi); }
  setRaw(i: number, lo: number, hi: number): void {
    // an entry's two words share a leaf: one lookup for both
    const E = this.E, b = this.slot * TABLE + 2 * i, j = b & 63;
    let leaf = this.rd(b);
    const oldLo = leaf === undefined ? 0 : leaf[j]!, oldHi = leaf === undefined ? 0 : leaf[j + 1]!;
    lo |= 0;
    hi |= 0;
    if (oldLo === lo && oldHi === hi) {
      // (a recorder hears it all the same: a store of the value held is a write, store.ts noted)
      if (E.store.rec !== null) {
        E.noted(b, oldLo, lo);
        E.noted(b + 1, oldHi, hi);
      }
      return;
    }
    leaf = this.wr(b);
    leaf[j] = lo;
    leaf[j + 1] = hi;
    if (E.watched) {
      E.noted(b, oldLo, lo);
      E.noted(b + 1, oldHi, hi);
    }
    const was = oldLo !== 0 || oldHi !== 0, now = lo !== 0 || hi !== 0;
    if (was !== now) {
      this.M.inc(this.slot * META + M_NR, now ? 1 : -1);
    }
  }
  clear(i: number): void { this.setRaw(i, 0, 0); }
  /** setRaw of an entry that is not none by one that is not none either (the count of entries stays) */
  rewrite(i: number, lo: number, hi: number): void {
    const E = this.E, b = this.slot * TABLE + 2 * i, j = b & 63;
    const leaf = this.wr(b);
    const oldLo = leaf[j]!, oldHi = leaf[j + 1]!;
    leaf[j] = lo | 0;
    leaf[j + 1] = hi | 0;
    if (E.watched) {
      E.noted(b, oldLo, lo | 0);
      E.noted(b + 1, oldHi, hi | 0);
    }
  }
  /** virtual address mapped by entry i */
  addrOf(i: number): number { return this.base + i * SPAN[this.level]!; }

  /**
   * What differs between two Stores' page tables (explorer write sets), by the folio slot of each
   * table's page: the tables made or freed, and the entries written in the others (a changed count of
   * entries alone is seen in its entries).
   */
  static changes(E: Segment, M: Segment, fromE: Segment, fromM: Segment): { tables: number[]; entries: { slot: number; i: number }[] } {
    const meta: number[] = [];
    M.changed(fromM, meta);
    const tables: number[] = [];
    for (const c of meta) {
      const slot = Math.floor(c / META);
      if (c % META === M_NR || tables[tables.length - 1] === slot) continue;
      tables.push(slot);
    }
    const cells: number[] = [];
    E.changed(fromE, cells);
    const entries: { slot: number; i: number }[] = [];
    let last = -1;
    for (const c of cells) {
      const slot = Math.floor(c / TABLE), i = (c % TABLE) >>> 1;
      const key = slot * 512 + i;
      if (key === last || tables.includes(slot)) continue;
      last = key;
      entries.push({ slot, i });
    }
    return { tables, entries };
  }
}

/** a pointer to one entry: (table, index), the model's pmd_t * / pte_t * */
export interface Slot {
  t: PageTable;
  i: number;
}

/** entry of a non-leaf level that points to `child` (pmd_populate, pud_populate, ...: the arch's rule) */
export function tableEntry(k: Kernel, child: PageTable, out: Pte): Pte {
  return k.pgt.mk_table_entry(out, child.pfn);
}

/** a zeroed page-table page, as pte_alloc_one / pmd_alloc_one / pud_alloc_one give (arch/x86/mm/pgtable.c @v6.18) */
export function allocTable(k: Kernel, level: number, base: number): PageTable {
  const slot = k.folios.alloc(0, PG_table);
  return k.tableMade(PageTable.create(k.pgtE, k.pgtM, slot, k.folios.pfn(slot), level, base));
}

/** give a page-table page back (pte_free / pmd_free in free_pgtables, khugepaged): the walk's caches forget it */
export function freeTable(k: Kernel, mm: MmStruct, t: PageTable): void {
  k.tableFreed(t);
  mm.pmdCacheKey = -1;
  mm.pmdCacheTable = null;
  mm.pteCacheTable = null;
  t.destroy();
  const slot = k.folios.slotOf(t.pfn);
  if (slot >= 0) k.folios.free(slot);
}

/** the table an upper-level entry points to, or null when the entry is none or a leaf */
export function childTable(k: Kernel, mm: MmStruct, t: PageTable, i: number): PageTable | null {
  const lo = t.lo(i), hi = t.hi(i);
  if (!k.pgt.table_entry_points(lo, hi)) return null;
  // (mm.tables.get, called directly)
  void mm;
  return k.pageTable(k.pgt.table_pfn(lo, hi));
}

/** include/linux/pgtable.h is_zero_pfn() @v6.18: the pfn of ZERO_PAGE(0) */
export function is_zero_pfn(k: Kernel, pfn: number): boolean {
  return pfn === k.zero_pfn;
}

// The page-table walk from the PGD down to a PMD or PTE table: pgd_offset .. pte_offset_map
// (include/linux/pgtable.h), the allocating walk (mm/memory.c __pud_alloc, __pmd_alloc, __pte_alloc)
// and walk_page_range's PMD loop (mm/pagewalk.c). The walk keeps the last PMD and PTE table of each
// mm (mm.pmdCacheKey, pmdCacheTable, pteCacheTable); freeTable() forgets them. The PMD cache skips
// reading the upper entries, so it is not used while the store records a step (step reuse).
import type { Kernel } from '../kernel.js';
import type { MmStruct } from '../include/mm_types.js';
import { Pte } from '../arch/x86/include/pte.js';
import { PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import {
  PageTable, Slot, LEVEL_PGD, LEVEL_PUD, LEVEL_PMD, LEVEL_PTE, levelIndex, pmd_index, tableEntry, allocTable, childTable,
} from './pgtable.js';

// a temporary of populateTable, holds nothing between calls
const scratch = new Pte();

/** pud_populate / pmd_populate: a new, empty table of `level` under entry i of parent */
function populateTable(k: Kernel, mm: MmStruct, parent: PageTable, i: number, level: number): PageTable {
  const child = allocTable(k, level, parent.addrOf(i));
  parent.set(i, tableEntry(k, child, scratch));
  return child;
}

/**
 * pgd_offset + pud_offset + pmd_offset (include/linux/pgtable.h @v6.18) without a Slot object: the PMD
 * table covering addr (its entry is pmd_index(addr)), or null where an upper level is missing
 */
export function pmdTable(k: Kernel, mm: MmStruct, addr: number): PageTable | null {
  const key = Math.floor(addr / 0x40000000);
  // (not while a recorder listens: a step's reads must not depend on what an earlier step left here)
  if (key === mm.pmdCacheKey && k.st.rec === null) return mm.pmdCacheTable;
  const pud = childTable(k, mm, mm.pgd, levelIndex(LEVEL_PGD, addr));
  if (!pud) return null;
  const pmd = childTable(k, mm, pud, levelIndex(LEVEL_PUD, addr));
  if (!pmd) return null;
  mm.pmdCacheKey = key;
  mm.pmdCacheTable = pmd;
  return pmd;
}

/** pmdTable, allocating the missing upper tables on the way (mm/memory.c __pud_alloc() and __pmd_alloc() @v6.18) */
export function pmdAllocTable(k: Kernel, mm: MmStruct, addr: number): PageTable {
  const found = pmdTable(k, mm, addr);
  if (found !== null) return found;
  const gi = levelIndex(LEVEL_PGD, addr);
  const pud = childTable(k, mm, mm.pgd, gi) ?? populateTable(k, mm, mm.pgd, gi, LEVEL_PUD);
  const ui = levelIndex(LEVEL_PUD, addr);
  return childTable(k, mm, pud, ui) ?? populateTable(k, mm, pud, ui, LEVEL_PMD);
}

/** the PUD table covering addr, allocated where the PGD entry is none (mm/memory.c __pud_alloc() @v6.18) */
export function pudAllocTable(k: Kernel, mm: MmStruct, addr: number): PageTable {
  const gi = levelIndex(LEVEL_PGD, addr);
  return childTable(k, mm, mm.pgd, gi) ?? populateTable(k, mm, mm.pgd, gi, LEVEL_PUD);
}

/** pmdAllocTable as a Slot: the PMD entry for addr */
export function pmdAlloc(k: Kernel, mm: MmStruct, addr: number): Slot {
  return { t: pmdAllocTable(k, mm, addr), i: levelIndex(LEVEL_PMD, addr) };
}

/** include/linux/pgtable.h pte_offset_map() @v6.18: the PTE table under a PMD entry that points to one, else null */
export function pte_offset_map(k: Kernel, mm: MmStruct, pmd: Slot): PageTable | null {
  return pteTableAt(k, mm, pmd.t, pmd.i);
}

/** pte_offset_map for entry i of the PMD table pmdt (no Slot object) */
export function pteTableAt(k: Kernel, mm: MmStruct, pmdt: PageTable, i: number): PageTable | null {
  return pteTableOf(k, mm, pmdt.lo(i), pmdt.hi(i));
}

/** pte_offset_map for a PMD entry already read (its words lo and hi): the PTE table it points to, else null */
export function pteTableOf(k: Kernel, mm: MmStruct, lo: number, hi: number): PageTable | null {
  const g = k.pgt;
  if (!g.table_entry_points(lo, hi)) return null;
  const pfn = g.table_pfn(lo, hi);
  const c = mm.pteCacheTable;
  // (not while a recorder listens, as the PMD cache: the lookup's reads must be the same either way)
  if (c !== null && c.pfn === pfn && k.st.rec === null) return c;
  // (mm.tables.get(pfn), called directly: the closure of each mm would make this call polymorphic)
  const t = k.pageTable(pfn);
  mm.pteCacheTable = t;
  return t;
}

/** include/linux/mm.h pte_alloc() @v6.18 (mm/memory.c __pte_alloc + pmd_populate): the PTE table under pmd, a new one if the entry is none */
export function pte_alloc(k: Kernel, mm: MmStruct, pmd: Slot): PageTable {
  return pteTableAt(k, mm, pmd.t, pmd.i) ?? populateTable(k, mm, pmd.t, pmd.i, LEVEL_PTE);
}

/** the PTE entry for addr, if a PTE table exists there */
export function pteSlot(k: Kernel, mm: MmStruct, addr: number): Slot | null {
  const pmdt = pmdTable(k, mm, addr);
  if (pmdt === null) return null;
  const t = pteTableAt(k, mm, pmdt, levelIndex(LEVEL_PMD, addr));
  return t ? { t, i: levelIndex(LEVEL_PTE, addr) } : null;
}

/**
 * walk_pmd_range's loop (mm/pagewalk.c @v6.18): fn for each PMD entry overlapping [start,end), with
 * the part of the range it covers; a missing upper level is skipped (or allocated, with alloc)
 */
export function forEachPmd(k: Kernel, mm: MmStruct, start: number, end: number, alloc: boolean,
  fn: (pmd: Slot, addr: number, next: number) => void): void {
  let addr = start;
  while (addr < end) {
    const pudEnd = Math.min(end, (Math.floor(addr / 2 ** 30) + 1) * 2 ** 30);
    const t = alloc ? pmdAllocTable(k, mm, addr) : pmdTable(k, mm, addr);
    if (t === null) {
      addr = pudEnd;
      continue;
    }
    // one slot object for the whole PMD table: callers use it only during the callback
    const slot: Slot = { t, i: 0 };
    for (let i = pmd_index(addr); addr < pudEnd; i++) {
      const next = Math.min(pudEnd, (Math.floor(addr / PMD_SIZE) + 1) * PMD_SIZE);
      slot.i = i;
      fn(slot, addr, next);
      addr = next;
    }
  }
}

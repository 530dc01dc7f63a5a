// Reverse-map accounting of folios: mapcounts, PG_anon, PG_anon_exclusive (mm/rmap.c @v4.19/@v6.12), and
// from v6.15 the MM owner tracking of large folios (include/linux/rmap.h, CONFIG_MM_ID).
// The model keeps the counts the observable state depends on (pagemap exclusivity, kpageflags, reuse).
import type { Kernel } from '../kernel.js';
import { FP_ANON_EXCLUSIVE } from '../../profiles/fastpath.js';
import type { MmStruct } from '../include/mm_types.js';
import { pmd_index, type Slot } from './pgtable.js';
import { pmdTable } from './pagewalk.js';
import { PATCH } from '../../profiles/patches.js';
import {
  PG_anon, PG_anon_exclusive, PG_lru, PG_swapbacked, PG_uptodate, PG_deferred_split, MM_ID_DUMMY, MM_ID_MASK, FOLIO_MM_IDS_SHARED_BIT,
} from './folio.js';

// ---- MM owner tracking of large folios (6af8cb80d3a9, v6.15; the model keeps it with the row that reads it) ----

/** does this kernel keep _large_mapcount and the MM ids of large folios (CONFIG_MM_ID)? */
export function mm_id_tracking(k: Kernel): boolean {
  return k.has(PATCH.cowReusePteMappedThp);
}

/** folio_large_mapcount (include/linux/mm.h @v6.15): every PTE and PMD mapping of any page of the folio */
export function folio_large_mapcount(k: Kernel, slot: number): number {
  return k.folios.mmTrack(slot, 0) + 1;
}

/** folio_mm_id (include/linux/rmap.h @v6.15): the MM id in slot idx (MM_ID_DUMMY when free) */
export function folio_mm_id(k: Kernel, slot: number, idx: number): number {
  return k.folios.mmTrack(slot, 1 + idx) & MM_ID_MASK;
}

/** folio_set_mm_id (include/linux/rmap.h @v6.15): the flag bit above the id is kept */
function folio_set_mm_id(k: Kernel, slot: number, idx: number, id: number): void {
  const f = k.folios, j = 1 + idx;
  f.setMmTrack(slot, j, (f.mmTrack(slot, j) & ~MM_ID_MASK) | id);
}

/** folio_test_large_maybe_mapped_shared (include/linux/page-flags.h @v6.15; inlined into its callers later) */
export function folio_test_large_maybe_mapped_shared(k: Kernel, slot: number): boolean {
  return (k.folios.mmTrack(slot, 2) & FOLIO_MM_IDS_SHARED_BIT) !== 0;
}

/**
 * folio_mapcount as include/linux/mm.h has it from v6.9 (folio_large_mapcount for a large folio): each PMD and
 * each PTE mapping counts once. (The model's Folios.folioMapcount counts a PMD mapping once per page.)
 */
export function folio_mapcount_large(k: Kernel, slot: number): number {
  const f = k.folios;
  let n = f.mapcount(slot);
  if (f.hasSub(slot)) for (let i = 0, e = f.nrPages(slot); i < e; i++) n += f.subMapcount(slot, i);
  return n;
}

/**
 * include/linux/mm.h folio_maybe_mapped_shared() @v6.15..v6.18 (003fde4492c8), with folio_likely_mapped_shared()
 * @v6.10..v6.14 (ebb34f78d72c) before it: may another mm map this folio? A small (or hugetlb) folio: mapped more than once. A
 * large one mapped once is exclusive; else from v6.15 the MM owner tracking's "maybe mapped shared" bit answers;
 * before, a guess: shared when PMD-mapped, when mapped more times than it has pages, or when its first page is
 * mapped more than once. The two differ for a PTE-mapped THP that two mms map in part (shared, where the guess
 * from the first page may say exclusive), and one mm maps twice at its first page (exclusive, where the guess says
 * shared).
 */
export function folio_maybe_mapped_shared(k: Kernel, slot: number): boolean {
  const f = k.folios;
  // (hugetlb folios, which the kernel treats as small here, never reach the model's callers)
  if (!f.isLarge(slot)) return f.folioMapcount(slot) > 1;
  const mapcount = folio_mapcount_large(k, slot);
  if (mapcount <= 1) return false;
  if (k.has(PATCH.folioMaybeMappedShared)) return folio_test_large_maybe_mapped_shared(k, slot);
  if (f.mapcount(slot) > 0 || mapcount > f.nrPages(slot)) return true;
  return f.hasSub(slot) && f.subMapcount(slot, 0) > 1;
}

function set_maybe_mapped_shared(k: Kernel, slot: number, on: boolean): void {
  const f = k.folios, w = f.mmTrack(slot, 2);
  f.setMmTrack(slot, 2, on ? w | FOLIO_MM_IDS_SHARED_BIT : w & ~FOLIO_MM_IDS_SHARED_BIT);
}

/** folio_set_large_mapcount (include/linux/rmap.h @v6.15): a new folio's first `mapcount` mappings, all by mm */
export function folio_set_large_mapcount(k: Kernel, slot: number, mapcount: number, mm: MmStruct): void {
  const f = k.folios;
  // mapcounts start at -1
  f.setMmTrack(slot, 0, mapcount - 1);
  f.setMmTrack(slot, 3, mapcount - 1);
  folio_set_mm_id(k, slot, 0, mm.id);
}

/**
 * folio_add_large_mapcount (include/linux/rmap.h @v6.15): diff more mappings by mm. An mm that owns a
 * slot counts there; a new mm takes a free slot; with no slot free it is not tracked at all. Taking
 * slot 1, or slot 0 while other mappings exist, marks the folio "maybe mapped shared".
 * (The 32-bit overflow branch is left out: the model is x86-64.)
 */
export function folio_add_large_mapcount(k: Kernel, slot: number, diff: number, mm: MmStruct): void {
  const f = k.folios;
  const id = mm.id;
  const v = f.mmTrack(slot, 0) + diff;
  f.setMmTrack(slot, 0, v);
  if (folio_mm_id(k, slot, 0) === id) {
    f.setMmTrack(slot, 3, f.mmTrack(slot, 3) + diff);
  } else if (folio_mm_id(k, slot, 1) === id) {
    f.setMmTrack(slot, 4, f.mmTrack(slot, 4) + diff);
  } else if (folio_mm_id(k, slot, 0) === MM_ID_DUMMY) {
    folio_set_mm_id(k, slot, 0, id);
    f.setMmTrack(slot, 3, diff - 1);
    // there may be mappings by other mms already
    if (v !== diff - 1) set_maybe_mapped_shared(k, slot, true);
  } else if (folio_mm_id(k, slot, 1) === MM_ID_DUMMY) {
    folio_set_mm_id(k, slot, 1, id);
    f.setMmTrack(slot, 4, diff - 1);
    // slot 0 has mappings too
    set_maybe_mapped_shared(k, slot, true);
  }
}

/**
 * folio_sub_large_mapcount (include/linux/rmap.h @v6.15): diff fewer mappings by mm. A slot whose
 * count goes below zero is freed; then, if one slot holds every remaining mapping (or none is left),
 * the folio is "mapped exclusively" again.
 */
export function folio_sub_large_mapcount(k: Kernel, slot: number, diff: number, mm: MmStruct): void {
  const f = k.folios;
  const id = mm.id;
  const v = f.mmTrack(slot, 0) - diff;
  f.setMmTrack(slot, 0, v);
  if (folio_mm_id(k, slot, 0) === id) {
    f.setMmTrack(slot, 3, f.mmTrack(slot, 3) - diff);
    if (f.mmTrack(slot, 3) >= 0) return;
    f.setMmTrack(slot, 3, -1);
    folio_set_mm_id(k, slot, 0, MM_ID_DUMMY);
  } else if (folio_mm_id(k, slot, 1) === id) {
    f.setMmTrack(slot, 4, f.mmTrack(slot, 4) - diff);
    if (f.mmTrack(slot, 4) >= 0) return;
    f.setMmTrack(slot, 4, -1);
    folio_set_mm_id(k, slot, 1, MM_ID_DUMMY);
  }
  if (f.mmTrack(slot, 3) === v || f.mmTrack(slot, 4) === v) set_maybe_mapped_shared(k, slot, false);
}

// ---- adding and removing mappings ---------------------------------------------------------------

/** folio_add_new_anon_rmap / page_add_new_anon_rmap: a freshly allocated anon folio gets its first mapping, by mm */
export function folio_add_new_anon_rmap(k: Kernel, slot: number, pmdMapped: boolean, mm: MmStruct): void {
  const f = k.folios;
  // (the folio's order read once: nothing here changes it)
  const large = f.isLarge(slot);
  if (!large) {
    // folio_test_large() false: the mapcount, and (v5.19) SetPageAnonExclusive, which for a small folio is
    // its PG_anon_exclusive: one write of the flags with PG_anon and the others
    f.setFlag(slot, PG_anon | PG_swapbacked | PG_uptodate | PG_lru | (k.fp & FP_ANON_EXCLUSIVE ? PG_anon_exclusive : 0));
    f.setMapcount(slot, 1);
    return;
  }
  f.setFlag(slot, PG_anon | PG_swapbacked | PG_uptodate | PG_lru);
  if (!pmdMapped) {
    for (let i = 0, n = f.nrPages(slot); i < n; i++) f.setSubMapcount(slot, i, 1);
  } else {
    f.setMapcount(slot, 1);
  }
  if (mm_id_tracking(k)) folio_set_large_mapcount(k, slot, pmdMapped ? 1 : f.nrPages(slot), mm);
  // v5.19: a new anonymous page is exclusive to its mm (RMAP_EXCLUSIVE)
  if (k.fp & FP_ANON_EXCLUSIVE) {
    if (!pmdMapped) for (let i = 0, n = f.nrPages(slot); i < n; i++) f.setSubExclusive(slot, i, true);
    f.setPageAnonExclusive(slot, f.pfn(slot), true);
  }
}

/** mm/rmap.c folio_add_file_rmap_ptes() @v6.18: nr PTEs of mm map pages pfn.. of a page-cache folio (the caller holds their references) */
export function folio_add_file_rmap_ptes(k: Kernel, slot: number, pfn: number, nr: number, mm: MmStruct): void {
  const f = k.folios;
  if (!f.isLarge(slot)) {
    f.setMapcount(slot, f.mapcount(slot) + nr);
    return;
  }
  const i0 = pfn - f.pfn(slot);
  for (let i = i0; i < i0 + nr; i++) f.setSubMapcount(slot, i, f.subMapcount(slot, i) + 1);
  if (mm_id_tracking(k)) folio_add_large_mapcount(k, slot, nr, mm);
}

/** mm/rmap.c folio_add_file_rmap_pmd() @v6.18: a PMD of mm maps the whole page-cache folio (the caller holds its reference) */
export function folio_add_file_rmap_pmd(k: Kernel, slot: number, mm: MmStruct): void {
  const f = k.folios;
  f.setMapcount(slot, f.mapcount(slot) + 1);
  if (mm_id_tracking(k)) folio_add_large_mapcount(k, slot, 1, mm);
}

/** folio_add_anon_rmap_ptes: nr PTEs of a large folio in mm start mapping pages pfn.. (PMD split) */
export function folio_add_anon_rmap_ptes(k: Kernel, slot: number, pfn: number, nr: number, exclusive: boolean, mm: MmStruct): void {
  const f = k.folios;
  f.makeSub(slot);
  const i0 = pfn - f.pfn(slot);
  for (let i = i0; i < i0 + nr; i++) {
    f.setSubMapcount(slot, i, f.subMapcount(slot, i) + 1);
    if (exclusive) f.setSubExclusive(slot, i, true);
  }
  if (mm_id_tracking(k)) folio_add_large_mapcount(k, slot, nr, mm);
}

/** folio_try_dup_anon_rmap_pte (fork, copy_present_pte): the child's mm (dst) maps the page at pfn too */
export function page_dup_rmap(k: Kernel, slot: number, pfn: number, dst: MmStruct): void {
  const f = k.folios;
  if (f.isLarge(slot)) {
    const i = pfn - f.pfn(slot);
    f.setSubMapcount(slot, i, f.subMapcount(slot, i) + 1);
    if (mm_id_tracking(k)) folio_add_large_mapcount(k, slot, 1, dst);
  } else f.setMapcount(slot, f.mapcount(slot) + 1);
  f.setRefcount(slot, f.refcount(slot) + 1);
}

/** folio_try_dup_anon_rmap_pmd (fork, copy_huge_pmd): the child's mm (dst) maps the THP with a PMD too */
export function folio_try_dup_anon_rmap_pmd(k: Kernel, slot: number, dst: MmStruct): void {
  const f = k.folios;
  f.setMapcount(slot, f.mapcount(slot) + 1);
  f.setRefcount(slot, f.refcount(slot) + 1);
  if (mm_id_tracking(k)) folio_add_large_mapcount(k, slot, 1, dst);
}

/** folio_remove_rmap_pte: one PTE of mm stops mapping pfn; a partially mapped large folio is queued for deferred split */
export function folio_remove_rmap_pte(k: Kernel, slot: number, pfn: number, mm: MmStruct): void {
  folio_remove_rmap_ptes(k, slot, pfn, 1, mm);
}

/** folio_remove_rmap_ptes (mm/rmap.c @v6.18): nr PTEs of mm mapping pfn.. of one folio go at once; only then is a
 * still partly mapped large folio queued for deferred split */
export function folio_remove_rmap_ptes(k: Kernel, slot: number, pfn: number, nr: number, mm: MmStruct): void {
  const f = k.folios;
  if (!f.isLarge(slot)) {
    f.setMapcount(slot, f.mapcount(slot) - nr);
    return;
  }
  if (mm_id_tracking(k)) folio_sub_large_mapcount(k, slot, nr, mm);
  f.makeSub(slot);
  const i0 = pfn - f.pfn(slot);
  // __folio_remove_rmap: only pages this removal left unmapped count ("nr"), and a PMD mapping elsewhere
  // keeps the folio entirely mapped; partially_mapped = nr && the folio is still mapped
  let unmapped = 0;
  for (let i = i0; i < i0 + nr; i++) {
    const c = f.subMapcount(slot, i) - 1;
    f.setSubMapcount(slot, i, c);
    if (c === 0) unmapped++;
  }
  // deferred_split_folio: anonymous folios only (a page-cache folio partly mapped is not queued)
  if (unmapped && f.test(slot, PG_anon) && f.mapcount(slot) === 0 && f.folioMapped(slot) && !f.test(slot, PG_deferred_split)) {
    f.setFlag(slot, PG_deferred_split);
    k.vmstat.thp_deferred_split_page++;
  }
}

/** folio_remove_rmap_pmd: mm's PMD mapping of the THP goes */
export function folio_remove_rmap_pmd(k: Kernel, slot: number, mm: MmStruct): void {
  const f = k.folios;
  f.setMapcount(slot, f.mapcount(slot) - 1);
  if (mm_id_tracking(k)) folio_sub_large_mapcount(k, slot, 1, mm);
  // __folio_remove_rmap @v6.18 (RMAP_LEVEL_PMD): the last PMD mapping of an anonymous THP whose pages are
  // still in part mapped by PTEs (a COW after fork split one mm's PMD) leaves it partially mapped: queued
  // for deferred split (as page_remove_anon_compound_rmap did in v6.1)
  if (f.mapcount(slot) !== 0 || !f.test(slot, PG_anon) || f.test(slot, PG_deferred_split) || !f.hasSub(slot)) return;
  let pteMapped = 0;
  const n = f.nrPages(slot);
  for (let i = 0; i < n; i++) if (f.subMapcount(slot, i) > 0) pteMapped++;
  if (pteMapped > 0 && pteMapped < n) {
    f.setFlag(slot, PG_deferred_split);
    k.vmstat.thp_deferred_split_page++;
  }
}

/** mm/rmap.c mm_find_pmd() @v6.18: the PMD entry for addr, or null where an upper level is missing */
export function mm_find_pmd(k: Kernel, mm: MmStruct, addr: number): Slot | null {
  const t = pmdTable(k, mm, addr);
  return t === null ? null : { t, i: pmd_index(addr) };
}

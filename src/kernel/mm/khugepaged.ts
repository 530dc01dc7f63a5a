// Collapse of PTE-mapped anonymous memory into a THP (mm/khugepaged.c): MADV_COLLAPSE in one call, and
// khugepaged's collapse of one PMD as two steps (the scan with the mmap lock held for read, then, after
// the lock was dropped, the revalidation, swap-in, isolation, copy and PMD install with it held for write).
// MADV_COLLAPSE of shmem (v6.18 only): the file's small folios of the block replaced in the page cache by one
// PMD-sized folio (hpage_collapse_scan_file, collapse_file), the empty PTE tables of other mappings retracted,
// and the caller's block mapped by a PMD (collapse_pte_mapped_thp).
import type { Kernel } from '../kernel.js';
import { VM_HUGETLB, VM_MAYBE_GUARD } from '../include/vm_flags.js';
import { Pte } from '../arch/x86/include/pte.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { fail, notModelled, notModelledOnRelease } from '../include/errno.js';
import { FAULT_FLAG_ALLOW_RETRY, VM_FAULT_ERROR, VM_FAULT_RETRY } from '../include/fault.js';
import { PATCH } from '../../profiles/patches.js';
import { PG_anon, PG_locked, PG_lru, PG_referenced, PG_swapcache } from './folio.js';
import { folio_add_new_anon_rmap, folio_mapcount_large, folio_maybe_mapped_shared, folio_remove_rmap_ptes, mm_find_pmd } from './rmap.js';
import { do_swap_page, isUffdWpMarker, thp_range_in_vma, transparent_hugepage_enabled, vm_normal_page, type VmFault } from './memory.js';
import { set_pmd_at } from './huge_memory.js';
import { userfaultfd_armed } from '../fs/userfaultfd.js';
import { find_vma, vmas_in, vma_lookup } from './mmap.js';
import { VM_NOHUGEPAGE, VM_WRITE } from '../include/vm_flags.js';
import { pmdAlloc, pte_offset_map } from './pagewalk.js';
import { freeTable, is_zero_pfn, type PageTable, type Slot } from './pgtable.js';
import { folio_put, folio_put_refs } from './swap.js';
import { is_migration_entry } from './migrate.js';
import { folio_free_swap } from './swapfile.js';
import { linear_page_index, do_set_pmd } from './memory.js';
import { filemap_add_folio, filemap_get_entry, filemap_remove_folio, folio_index, i_mmap, unmap_mapping_pages, type AddressSpace } from './filemap.js';
import { folio_file_pfn, SGP_NOALLOC, shmem_allowable_huge, shmem_get_folio, thp_vma_suitable_pmd } from './shmem.js';
import { userfaultfd_missing, userfaultfd_wp } from '../fs/userfaultfd.js';
import { PG_dirty, PG_swapbacked, PG_uptodate } from './folio.js';
import { is_vm_hugetlb_page } from './hugetlb.js';

/**
 * enum scan_result, by the names its tracepoints print (include/trace/events/huge_memory.h SCAN_STATUS):
 * what a khugepaged operation records as its result
 */
export const SCAN_RESULT_NAMES = [
  'failed', 'succeeded', 'pmd_null', 'pmd_none', 'page_pmd_mapped', 'exceed_none_pte', 'exceed_swap_pte',
  'exceed_shared_pte', 'pte_non_present', 'pte_uffd_wp', 'page_null', 'not_suitable_page_count',
  'page_not_in_lru', 'page_locked', 'page_not_anon', 'vma_null', 'vma_check_failed',
  'not_suitable_address_range', 'lack_referenced_page', 'page_compound', 'could_not_delete_page_from_lru',
  // the file path's (hpage_collapse_scan_file, collapse_file)
  'pte_mapped_hugepage', 'truncated',
  // SCAN_PAGE_RO, before 62b98015d988 (v6.18)
  'no_writable_page',
] as const;
export type ScanResult = (typeof SCAN_RESULT_NAMES)[number];

/** struct collapse_control: who asked (khugepaged applies the max_ptes_* limits and wants young pages) */
export interface CollapseControl {
  readonly is_khugepaged: boolean;
}
const MADV_CC: CollapseControl = { is_khugepaged: false };
export const KHUGEPAGED_CC: CollapseControl = { is_khugepaged: true };

/** what the scan found, for collapse_huge_page */
export interface ScanOutcome {
  result: ScanResult;
  referenced: number;
  unmapped: number;
}

/** the results madvise_collapse goes on after (its "whitelisted set", v6.1..v6.18); any other failure ends the call */
const SCAN_CONTINUE: ReadonlySet<ScanResult> = new Set<ScanResult>([
  'pmd_null', 'pte_non_present', 'pte_uffd_wp', 'no_writable_page', 'lack_referenced_page', 'page_null', 'not_suitable_page_count',
  'page_locked', 'page_compound', 'page_not_in_lru', 'could_not_delete_page_from_lru',
]);

/** mm/khugepaged.c find_pmd_or_thp_or_none() @v6.2..v6.18 */
function find_pmd_or_thp_or_none(k: Kernel, mm: MmStruct, haddr: number): { result: ScanResult; pmd: Slot | null } {
  const pmd = mm_find_pmd(k, mm, haddr);
  if (!pmd) return { result: 'pmd_null', pmd: null };
  const pmdv = pmd.t.get(pmd.i, new Pte());
  const g = k.pgt;
  if (g.pmd_none(pmdv)) return { result: 'pmd_none', pmd };
  if (!g.pmd_present(pmdv)) return { result: 'pmd_null', pmd };
  if (g.pmd_trans_huge(pmdv)) return { result: 'page_pmd_mapped', pmd };
  return { result: 'succeeded', pmd };
}

/**
 * mm/khugepaged.c is_refcount_suitable() @v6.2..v6.18: every reference of the folio is one of its
 * mappings (or the swap cache's): no GUP pin or other holder. Before 9445689f3b61 (v5.8) the test was
 * page_count == 1 + PageSwapCache (@v4.19, v5.7): one mapping only. The mappings are counted as the kernel's
 * folio_mapcount() (total_mapcount() before v6.3) counts them, a PMD mapping once, as it holds one reference: a
 * THP another process still maps by PMD while this one maps it by PTEs (khugepaged.c collapse_fork_compound) is
 * no pinned page. (Folios.folioMapcount, which counts a PMD mapping once per page, refused it with EAGAIN.)
 */
function is_refcount_suitable(k: Kernel, slot: number): boolean {
  const f = k.folios;
  const cache = f.test(slot, PG_swapcache) ? f.nrPages(slot) : 0;
  if (!k.has(PATCH.khugepagedCollapseShared)) return f.refcount(slot) === 1 + cache;
  return f.refcount(slot) === folio_mapcount_large(k, slot) + cache;
}

/**
 * the shared-page limit of the scan and the isolation (71a2c112a0f6, v5.8): false when the page ends the scan. A
 * page counts as shared when it is mapped more than once; from 1bafe96e89f0 (v6.10) when its folio is likely mapped
 * shared (folio_likely_mapped_shared's guess), from 003fde4492c8 (v6.15) maybe mapped shared (the MM owner
 * tracking): then every PTE of a large folio another mm maps counts
 */
function shared_ok(k: Kernel, cc: CollapseControl, slot: number, pfn: number, shared: { n: number }): boolean {
  if (!k.has(PATCH.khugepagedMaxPtesShared)) return true;
  if (k.has(PATCH.khugepagedFolioLikelyShared) ? !folio_maybe_mapped_shared(k, slot) : k.folios.pageMapcount(slot, pfn) <= 1) return true;
  return !(++shared.n > k.config.max_ptes_shared && cc.is_khugepaged);
}

/** the young test of the scan and the isolation: pte_young, or PG_referenced (page_idle's young flag is not modelled) */
function referenced_page(k: Kernel, e: Pte, slot: number): boolean {
  return k.pgt.pte_young(e) || k.folios.test(slot, PG_referenced);
}

/** the uffd-wp test of a swap PTE in the scan: pte_swp_uffd_wp, or a uffd-wp marker (pte_swp_uffd_wp_any) */
function swp_uffd_wp_any(k: Kernel, e: Pte): boolean {
  return k.pgt.pte_swp_uffd_wp(e) || isUffdWpMarker(k, e);
}

/**
 * mm/khugepaged.c hpage_collapse_scan_pmd() @v6.2, v6.3, v6.18 (khugepaged_scan_pmd before v6.1): can this
 * 2 MiB be collapsed? Swap PTEs up to max_ptes_swap, none or zero-page PTEs up to max_ptes_none (none in
 * a uffd-registered VMA), pages mapped more than once up to max_ptes_shared (limits of khugepaged only);
 * a uffd-wp PTE or swap PTE refuses the block from e1e267c7928f (v5.7); a pinned page (refcount above its
 * mappings) too. khugepaged also wants one young PTE or referenced page (and half of them young when it
 * must swap in). Before 62b98015d988 (v6.18) the block also needed a writable PTE (else SCAN_PAGE_RO).
 */
export function hpage_collapse_scan_pmd(k: Kernel, mm: MmStruct, vma: VmArea, haddr: number, cc: CollapseControl): ScanOutcome {
  const g = k.pgt, f = k.folios, c = k.config;
  const out: ScanOutcome = { result: 'succeeded', referenced: 0, unmapped: 0 };
  const found = find_pmd_or_thp_or_none(k, mm, haddr);
  if (found.result !== 'succeeded') {
    out.result = found.result;
    return out;
  }
  const t = pte_offset_map(k, mm, found.pmd!);
  if (!t) {
    out.result = 'pmd_null';
    return out;
  }
  const skipWp = k.has(PATCH.khugepagedSkipUffdWp), compound = k.has(PATCH.khugepagedPteMappedThp);
  // before 62b98015d988 a block with no writable PTE was SCAN_PAGE_RO
  let writable = k.has(PATCH.khugepagedCollapseReadOnly);
  let none_or_zero = 0;
  const shared = { n: 0 };
  const e = new Pte();
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    t.get(i, e);
    if (g.is_swap_pte(e)) {
      if (is_migration_entry(k, e)) notModelled('addr', 'a collapse of a block with a migration entry (khugepaged / MADV_COLLAPSE during a migration)');
      ++out.unmapped;
      if (!cc.is_khugepaged || out.unmapped <= c.max_ptes_swap) {
        if (skipWp && swp_uffd_wp_any(k, e)) return { ...out, result: 'pte_uffd_wp' };
        continue;
      }
      return { ...out, result: 'exceed_swap_pte' };
    }
    if (g.pte_none(e) || is_zero_pfn(k, g.pte_pfn(e))) {
      ++none_or_zero;
      // a registered VMA may not get new zero-filled pages behind the handler's back
      if (!userfaultfd_armed(vma) && (!cc.is_khugepaged || none_or_zero <= c.max_ptes_none)) continue;
      return { ...out, result: 'exceed_none_pte' };
    }
    if (skipWp && g.pte_uffd_wp(e)) return { ...out, result: 'pte_uffd_wp' };
    if (g.pte_write(e)) writable = true;
    const slot = vm_normal_page(k, vma, e);
    if (slot < 0) return { ...out, result: 'page_null' };
    if (!shared_ok(k, cc, slot, g.pte_pfn(e), shared)) return { ...out, result: 'exceed_shared_pte' };
    if (!compound && f.isLarge(slot)) return { ...out, result: 'page_compound' };
    if (!f.test(slot, PG_lru)) return { ...out, result: 'page_not_in_lru' };
    if (f.test(slot, PG_locked)) return { ...out, result: 'page_locked' };
    if (!f.test(slot, PG_anon)) return { ...out, result: 'page_not_anon' };
    if (!is_refcount_suitable(k, slot)) return { ...out, result: 'not_suitable_page_count' };
    if (cc.is_khugepaged && referenced_page(k, e, slot)) out.referenced++;
  }
  if (!writable) out.result = 'no_writable_page';
  // one young page, and half of them where swap PTEs must be swapped in, from ffe945e633b5 (v5.8); before, one
  // young page passed the scan and collapse_huge_page wanted half of them young whatever the block held
  else if (cc.is_khugepaged && (!out.referenced || (out.unmapped && out.referenced < HPAGE_PMD_NR / 2 && k.has(PATCH.khugepagedReferencedSwapinOnly)))) out.result = 'lack_referenced_page';
  return out;
}

/**
 * mm/khugepaged.c hugepage_vma_revalidate() @v6.2..v6.18, for an anonymous collapse after the mmap lock was
 * dropped: the VMA at haddr still holds the whole block, may have a THP (khugepaged: sysfs `enabled` too),
 * and has an anon_vma
 */
function hugepage_vma_revalidate(k: Kernel, mm: MmStruct, haddr: number, cc: CollapseControl): { result: ScanResult; vma: VmArea | null } {
  // find_vma: the first VMA that ends above haddr, which may start past it
  const vma = find_vma(k, mm, haddr);
  if (!vma) return { result: 'vma_null', vma: null };
  if (!thp_range_in_vma(vma, haddr)) return { result: 'not_suitable_address_range', vma };
  if (cc.is_khugepaged ? !transparent_hugepage_enabled(k, vma) : (vma.vm_flags & VM_NOHUGEPAGE) !== 0) return { result: 'vma_check_failed', vma };
  if (vma.anon_vma === null) return { result: 'page_not_anon', vma };
  return { result: 'succeeded', vma };
}

/**
 * mm/khugepaged.c __collapse_huge_page_swapin() @v6.2..v6.18: do_swap_page (FAULT_FLAG_ALLOW_RETRY, no
 * accounting to a task) for every swap PTE of the block
 */
function __collapse_huge_page_swapin(k: Kernel, mm: MmStruct, vma: VmArea, haddr: number, pmd: Slot): ScanResult {
  const g = k.pgt;
  const t = pte_offset_map(k, mm, pmd);
  if (!t) return 'pmd_null';
  const e = new Pte();
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    t.get(i, e);
    if (!g.is_swap_pte(e)) continue;
    const vmf: VmFault = {
      vma, mm, address: haddr + i * PAGE_SIZE, real_address: haddr + i * PAGE_SIZE, flags: FAULT_FLAG_ALLOW_RETRY,
      pmd, pte: { t, i }, orig_pte: e.clone(), orig_pmd: new Pte(),
    };
    const ret = do_swap_page(k, vmf);
    if (ret & VM_FAULT_RETRY) return 'page_locked';
    if (ret & VM_FAULT_ERROR) return 'failed';
  }
  return 'succeeded';
}

/**
 * mm/khugepaged.c __collapse_huge_page_isolate() @v6.2, v6.3, v6.18, on the PTE table once the PMD is
 * cleared: the scan's tests again (the state may have changed while the mmap lock was dropped), except
 * swap PTEs, which are refused (SCAN_PTE_NON_PRESENT); a uffd-wp PTE only from dd47ac428c3f (v6.3: before,
 * a page write-protected after the scan was collapsed and lost its protection), and before 62b98015d988
 * (v6.18) a writable PTE (SCAN_PAGE_RO); then each page is locked and taken off the LRU (here: nothing else
 * runs until the copy)
 */
function __collapse_huge_page_isolate(k: Kernel, vma: VmArea, t: PageTable, cc: CollapseControl): ScanResult {
  const g = k.pgt, f = k.folios, c = k.config;
  const recheckWp = k.has(PATCH.khugepagedIsolateUffdWp), compound = k.has(PATCH.khugepagedPteMappedThp);
  let none_or_zero = 0, referenced = 0;
  let writable = k.has(PATCH.khugepagedCollapseReadOnly);
  const shared = { n: 0 };
  const e = new Pte();
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    t.get(i, e);
    if (g.pte_none(e) || (g.pte_present(e) && is_zero_pfn(k, g.pte_pfn(e)))) {
      ++none_or_zero;
      if (!userfaultfd_armed(vma) && (!cc.is_khugepaged || none_or_zero <= c.max_ptes_none)) continue;
      return 'exceed_none_pte';
    }
    if (!g.pte_present(e)) return 'pte_non_present';
    if (recheckWp && g.pte_uffd_wp(e)) return 'pte_uffd_wp';
    const slot = vm_normal_page(k, vma, e);
    if (slot < 0) return 'page_null';
    if (!shared_ok(k, cc, slot, g.pte_pfn(e), shared)) return 'exceed_shared_pte';
    if (!compound && f.isLarge(slot)) return 'page_compound';
    if (f.test(slot, PG_locked)) return 'page_locked';
    if (!is_refcount_suitable(k, slot)) return 'not_suitable_page_count';
    // folio_isolate_lru
    if (!f.test(slot, PG_lru)) return 'could_not_delete_page_from_lru';
    if (cc.is_khugepaged && referenced_page(k, e, slot)) referenced++;
    if (g.pte_write(e)) writable = true;
  }
  if (!writable) return 'no_writable_page';
  if (cc.is_khugepaged && !referenced) return 'lack_referenced_page';
  return 'succeeded';
}

/**
 * mm/khugepaged.c collapse_huge_page() @v6.2, v6.3, v6.18, from the point where the mmap lock was dropped
 * after the scan: the new THP is allocated (thp_collapse_alloc counts it even if the collapse then fails),
 * the VMA revalidated, swap PTEs swapped in, the PMD cleared, the pages isolated, copied and freed, and
 * the THP mapped by a dirty PMD (writable where the VMA is). One step of the model: the window between
 * the swap-in (mmap lock for read) and the write lock is not a step boundary.
 */
export function collapse_huge_page(k: Kernel, mm: MmStruct, haddr: number, referenced: number, unmapped: number, cc: CollapseControl): ScanResult {
  // alloc_charge_folio
  const nslot = k.folios.alloc(HPAGE_PMD_ORDER, 0);
  k.vmstat.thp_collapse_alloc++;
  const r = collapse_locked(k, mm, haddr, referenced, unmapped, cc, nslot);
  if (r !== 'succeeded') folio_put(k, nslot);
  k.tr?.emit('collapse', 'collapse_huge_page', r === 'succeeded' ? { addr: haddr, new_pfn: k.folios.pfn(nslot) } : { addr: haddr, result: r });
  return r;
}

function collapse_locked(k: Kernel, mm: MmStruct, haddr: number, referenced: number, unmapped: number, cc: CollapseControl, nslot: number): ScanResult {
  const g = k.pgt;
  let rv = hugepage_vma_revalidate(k, mm, haddr, cc);
  if (rv.result !== 'succeeded') return rv.result;
  let found = find_pmd_or_thp_or_none(k, mm, haddr);
  if (found.result !== 'succeeded') return found.result;
  // before ffe945e633b5 (v5.8) __collapse_huge_page_swapin ran for every block and first wanted half of the
  // PTEs young ("we only decide to swapin, if there is enough young ptes"): a block the scan passed with fewer
  // gave up here, after the allocation, with the result still SCAN_FAIL
  if (cc.is_khugepaged && !k.has(PATCH.khugepagedReferencedSwapinOnly) && referenced < HPAGE_PMD_NR / 2) return 'failed';
  if (unmapped) {
    const r = __collapse_huge_page_swapin(k, mm, rv.vma!, haddr, found.pmd!);
    if (r !== 'succeeded') return r;
  }
  // mmap_write_lock: revalidate, check_pmd_still_valid (nothing ran in between in the model)
  rv = hugepage_vma_revalidate(k, mm, haddr, cc);
  if (rv.result !== 'succeeded') return rv.result;
  found = find_pmd_or_thp_or_none(k, mm, haddr);
  if (found.result !== 'succeeded') return found.result;
  const vma = rv.vma!, pmd = found.pmd!;
  const t = pte_offset_map(k, mm, pmd);
  if (!t) return 'pmd_null';
  // pmdp_collapse_flush, then the isolation; on failure pmd_populate puts the table back (here: never cleared)
  const iso = __collapse_huge_page_isolate(k, vma, t, cc);
  if (iso !== 'succeeded') return iso;
  __collapse_huge_page_copy(k, mm, vma, t, nslot);
  pmd.t.clear(pmd.i);
  freeTable(k, mm, t);
  const npfn = k.folios.pfn(nslot);
  const entry = g.mk_huge_pmd(new Pte(), npfn, vma.vm_page_prot);
  g.pmd_mkdirty(entry);
  if (vma.vm_flags & VM_WRITE) g.pmd_mkwrite(entry);
  folio_add_new_anon_rmap(k, nslot, true, mm);
  mm.anonPages += HPAGE_PMD_NR;
  set_pmd_at(k, pmd, entry, haddr, 'collapse_huge_page');
  return 'succeeded';
}

/**
 * mm/khugepaged.c __collapse_huge_page_copy() and __collapse_huge_page_copy_succeeded() @v6.18: the 512
 * pages into the new THP (none and zero PTEs stay zero), each old page's mapping and reference dropped
 */
function __collapse_huge_page_copy(k: Kernel, mm: MmStruct, vma: VmArea, t: PageTable, nslot: number): void {
  const g = k.pgt;
  const npfn = k.folios.pfn(nslot);
  const e = new Pte();
  const batching = k.has(PATCH.collapseCopyBatching);
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    t.get(i, e);
    if (!g.pte_present(e)) continue;
    const pfn = g.pte_pfn(e);
    if (is_zero_pfn(k, pfn)) continue;
    k.data.copyPage(npfn + i, pfn);
    const slot = vm_normal_page(k, vma, e);
    if (slot < 0) continue;
    // __collapse_huge_page_copy_succeeded (v6.17 291f9ebaa5d6): the PTEs of one large folio go as a batch
    let nr = 1;
    if (batching && k.folios.isLarge(slot)) {
      const end = k.folios.pfn(slot) + k.folios.nrPages(slot);
      const n = new Pte();
      while (i + nr < HPAGE_PMD_NR && pfn + nr < end) {
        t.get(i + nr, n);
        if (!g.pte_present(n) || g.pte_pfn(n) !== pfn + nr) break;
        nr++;
      }
      for (let j = 1; j < nr; j++) k.data.copyPage(npfn + i + j, pfn + j);
    }
    folio_remove_rmap_ptes(k, slot, pfn, nr, mm);
    // free_page_and_swap_cache -> free_swap_cache: a folio no longer mapped leaves the swap cache
    if (k.folios.test(slot, PG_swapcache) && !k.folios.folioMapped(slot)) folio_free_swap(k, slot);
    folio_put_refs(k, slot, nr);
    mm.anonPages -= nr;
    i += nr - 1;
  }
}

/** what khugepaged does next after its scan of a block, once other threads ran (the wait's stage) */
export const KH_DONE = 0, KH_COLLAPSE_HUGE_PAGE = 1, KH_COLLAPSE_FILE = 2, KH_COLLAPSE_PTE_MAPPED_THP = 3;

/** what the first step of a khugepaged visit leaves for the next: the stage, and the numbers that stage needs */
export interface KhugepagedScan extends ScanOutcome {
  haddr: number;
  /** KH_DONE: the result is final; else the step that comes next */
  next: number;
  /** the file's inode and the block's first index (KH_COLLAPSE_FILE: the kernel holds the file across the scan and collapse_file) */
  ino: number;
  index: number;
}

/**
 * khugepaged's visit of one PMD of an mm, first step (mm/khugepaged.c khugepaged_scan_mm_slot() @v6.2..v6.18,
 * with the mmap lock held for read): the VMA check (thp_vma_allowable_order with sysfs enforced), then the
 * scan. Anonymous memory: hpage_collapse_scan_pmd, `succeeded` means collapse_huge_page is next, after the
 * lock was dropped. Shmem (v6.18): the lock is dropped and hpage_collapse_scan_file runs; `succeeded` means
 * collapse_file is next, `pte_mapped_hugepage` (the block is one PMD-sized folio already) that
 * collapse_pte_mapped_thp is, with the lock taken again (khugepaged_collapse_step).
 */
export function khugepaged_scan_step(k: Kernel, mm: MmStruct, addr: number): KhugepagedScan {
  const haddr = Math.floor(addr / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
  // khugepaged_scan_mm_slot skips a VMA thp_vma_allowable_order refuses (a VMA never faulted has no
  // anon_vma) and scans only the blocks wholly inside one
  const vma = vma_lookup(k, mm, addr);
  const done = (result: ScanResult): KhugepagedScan => ({ result, referenced: 0, unmapped: 0, haddr, next: KH_DONE, ino: 0, index: 0 });
  if (vma && vma.vm_file !== 0) return khugepaged_scan_file_step(k, vma, haddr, done);
  let out: ScanOutcome;
  if (!vma) out = done('vma_null');
  else if (!transparent_hugepage_enabled(k, vma) || vma.anon_vma === null) out = done('vma_check_failed');
  else if (!thp_range_in_vma(vma, haddr)) out = done('not_suitable_address_range');
  else out = hpage_collapse_scan_pmd(k, mm, vma, haddr, KHUGEPAGED_CC);
  k.tr?.emit('collapse', 'hpage_collapse_scan_pmd', { addr: haddr, result: out.result, referenced: out.referenced, unmapped: out.unmapped });
  return { ...out, haddr, next: out.result === 'succeeded' ? KH_COLLAPSE_HUGE_PAGE : KH_DONE, ino: 0, index: 0 };
}

/** the shmem branch of khugepaged_scan_mm_slot() @v6.18: the VMA check, then hpage_collapse_scan_file without the mmap lock */
function khugepaged_scan_file_step(k: Kernel, vma: VmArea, haddr: number, done: (r: ScanResult) => KhugepagedScan): KhugepagedScan {
  // VM_NO_KHUGEPAGED (VM_HUGETLB among them) on every release
  if (is_vm_hugetlb_page(vma)) return done('vma_check_failed');
  // the file path of khugepaged was read at v6.18 only, as MADV_COLLAPSE's (madvise_collapse says what differs before)
  const late = k.spec.outOfScope['shmem-collapse'];
  if (late !== undefined) notModelledOnRelease('addr', `khugepaged on shmem ${late}`);
  if (!thp_vma_allowable_khugepaged_file(k, vma)) return done('vma_check_failed');
  if (!thp_range_in_vma(vma, haddr)) return done('not_suitable_address_range');
  const m = k.inode(vma.vm_file)!;
  const index = linear_page_index(vma, haddr);
  const result = hpage_collapse_scan_file(k, haddr, m, index, KHUGEPAGED_CC);
  const next = result === 'succeeded' ? KH_COLLAPSE_FILE : result === 'pte_mapped_hugepage' ? KH_COLLAPSE_PTE_MAPPED_THP : KH_DONE;
  return { result, referenced: 0, unmapped: 0, haddr, next, ino: m.ino, index };
}

/**
 * khugepaged's second step, after other threads ran: collapse_huge_page (anonymous: the mmap lock was
 * dropped after the scan), collapse_file (shmem: the file's folios, without the mmap lock; khugepaged does not
 * map the new folio: retract_page_tables leaves the block to a later fault), or collapse_pte_mapped_thp without
 * a PMD install (shmem whose block was one PMD-sized folio already, with the mmap lock taken again; a PMD there
 * is success)
 */
export function khugepaged_collapse_step(k: Kernel, mm: MmStruct, s: Pick<KhugepagedScan, 'haddr' | 'referenced' | 'unmapped' | 'next' | 'ino' | 'index'>): ScanResult {
  if (s.next === KH_COLLAPSE_HUGE_PAGE) return collapse_huge_page(k, mm, s.haddr, s.referenced, s.unmapped, KHUGEPAGED_CC);
  if (s.next === KH_COLLAPSE_FILE) {
    const m = k.inode(s.ino);
    if (!m) notModelled('addr', 'khugepaged on shmem whose file was released between the scan and collapse_file (the kernel holds a reference to the file)');
    return collapse_file(k, mm, s.haddr, m, s.index, KHUGEPAGED_CC);
  }
  const r = collapse_pte_mapped_thp(k, mm, s.haddr, false);
  return r === 'page_pmd_mapped' ? 'succeeded' : r;
}

/** madvise_collapse (mm/khugepaged.c @v6.18), for every VMA of the range as madvise_walk_vmas calls it */
export function madvise_collapse(k: Kernel, mm: MmStruct, start: number, end: number): void {
  // madvise_walk_vmas calls madvise_collapse once per VMA, which first asks thp_vma_allowable_order
  for (const v of vmas_in(mm, start, end)) {
    if (v.vm_file !== 0 && !is_vm_hugetlb_page(v)) {
      // the shmem collapse of v6.18 (hpage_collapse_scan_file, collapse_file, collapse_pte_mapped_thp) was read at
      // that release only; older ones differ (collapse_pte_mapped_thp took the mmap lock for write before v6.6, ...)
      const late = k.spec.outOfScope['shmem-collapse'];
      if (late !== undefined) notModelledOnRelease('advice', `MADV_COLLAPSE of shmem ${late}`);
      if (!thp_vma_allowable_collapse_file(k, v)) fail('EINVAL', 'MADV_COLLAPSE: the shmem VMA cannot hold a PMD-mapped THP');
      collapse_range(k, mm, Math.max(start, v.vm_start), Math.min(end, v.vm_end));
      continue;
    }
    if (!thp_vma_allowable_collapse(v)) fail('EINVAL', 'MADV_COLLAPSE: the VMA cannot hold a PMD-mapped THP');
    collapse_range(k, mm, Math.max(start, v.vm_start), Math.min(end, v.vm_end));
  }
}

/**
 * thp_vma_allowable_order(vma, vm_flags, 0, PMD_ORDER) for MADV_COLLAPSE (mm/huge_memory.c
 * __thp_vma_allowable_orders @v6.18): sysfs is not consulted, VM_NOHUGEPAGE is; outside a fault the
 * VMA must contain an aligned 2 MiB range (thp_vma_suitable_order of vm_end - HPAGE_PMD_SIZE) and have
 * an anon_vma (a VMA never faulted has nothing to collapse)
 */
function thp_vma_allowable_collapse(vma: VmArea): boolean {
  if (vma.vm_flags & VM_NOHUGEPAGE) return false;
  if (vma.vm_flags & VM_HUGETLB) return false; // __thp_vma_allowable_orders: never hugetlb
  const haddr = Math.floor((vma.vm_end - HPAGE_PMD_SIZE) / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
  if (haddr < vma.vm_start || haddr + HPAGE_PMD_SIZE > vma.vm_end) return false;
  return vma.anon_vma !== null;
}

/** mm/khugepaged.c madvise_collapse_errno() @v6.1..v6.18 */
function madvise_collapse_errno(k: Kernel, r: ScanResult): never {
  switch (r) {
    case 'exceed_none_pte':
      if (k.has(PATCH.collapseNoneEbusy)) fail('EBUSY', 'range has empty PTEs in a uffd-registered VMA');
      break;
    case 'not_suitable_page_count':
      // an unexpected reference (a GUP pin) was EINVAL until ae63c898f400 called it temporary
      if (!k.has(PATCH.collapsePageCountEagain)) break;
      fail('EAGAIN', `collapse failed: ${r} (trying again might succeed)`);
    case 'page_locked': case 'page_not_in_lru': case 'could_not_delete_page_from_lru':
      fail('EAGAIN', `collapse failed: ${r} (trying again might succeed)`);
  }
  fail('EINVAL', `collapse failed: ${r}`);
}

/**
 * the PMD loop of madvise_collapse over [start, end) of one VMA: anonymous memory through khugepaged's scan and
 * collapse, shmem (v6.18) through the file scan, collapse_file and collapse_pte_mapped_thp
 */
function collapse_range(k: Kernel, mm: MmStruct, start: number, end: number): void {
  const hstart = Math.ceil(start / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
  let hend = Math.floor(end / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
  // a range inside one 2 MiB block that does not start on it: hstart passes hend, and the kernel's
  // "thps == (hend - hstart) >> HPAGE_PMD_SHIFT" compares 0 with a huge unsigned count, so it fails with
  // the errno of its initial SCAN_FAIL
  if (hstart > hend) fail('EINVAL', 'MADV_COLLAPSE of a range that holds no aligned 2 MiB block and does not start on one');
  let last: ScanResult = 'failed';
  let thps = 0, done = 0;
  // collapse_huge_page drops the mmap lock; the next block retakes it and revalidates the VMA
  let mmap_locked = true;
  for (let a = hstart; a < hend; a += HPAGE_PMD_SIZE) {
    thps++;
    const vma = vma_lookup(k, mm, a);
    // hugepage_vma_revalidate where the lock was dropped (a file VMA's scan drops it)
    const file = !!vma && vma.vm_file !== 0;
    if (!vma || a + HPAGE_PMD_SIZE > vma.vm_end || (vma.vm_flags & VM_NOHUGEPAGE) ||
        (file && (!thp_vma_suitable_pmd(vma, a) || !thp_vma_allowable_collapse_file(k, vma)))) {
      last = 'vma_check_failed';
      break;
    }
    if (!mmap_locked) {
      mmap_locked = true;
      // the VMA may have shrunk while unlocked; before 52dc031088f0 the walk took its end for its own
      const vend = Math.floor(vma.vm_end / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
      hend = k.has(PATCH.collapseHendClamp) ? Math.min(hend, vend) : vend;
    }
    let r: ScanResult;
    if (file) {
      // the file scan runs with the mmap lock dropped
      mmap_locked = false;
      const m = k.inode(vma.vm_file)!, index = linear_page_index(vma, a);
      r = hpage_collapse_scan_file(k, a, m, index, MADV_CC);
      if (r === 'succeeded') r = collapse_file(k, mm, a, m, index, MADV_CC);
      if (r === 'pte_mapped_hugepage') r = collapse_pte_mapped_thp(k, mm, a, true);
    } else {
      const s = hpage_collapse_scan_pmd(k, mm, vma, a, MADV_CC);
      r = s.result;
      if (r === 'succeeded') {
        r = collapse_huge_page(k, mm, a, s.referenced, s.unmapped, MADV_CC);
        mmap_locked = false;
      }
    }
    if (r === 'succeeded' || r === 'page_pmd_mapped') {
      done++;
      continue;
    }
    last = r;
    k.tr?.emit('collapse', 'madvise_collapse', { addr: a, result: r });
    if (!SCAN_CONTINUE.has(r as ScanResult)) break;
  }
  if (done === thps) return;
  madvise_collapse_errno(k, last);
}

// ---- MADV_COLLAPSE of shmem (mm/khugepaged.c @v6.18) -------------------------------------------------------

/**
 * thp_vma_allowable_order(vma, vm_flags, TVA_FORCED_COLLAPSE, PMD_ORDER) for a shmem VMA (mm/huge_memory.c
 * __thp_vma_allowable_orders, mm/shmem.c shmem_allowable_huge_orders with shmem_huge_force @v6.18): not with
 * VM_NOHUGEPAGE nor shmem_enabled deny (a forced collapse passes every mount's huge= and the other settings;
 * the PMD size's own knob inherits shmem_enabled), not a special VMA, and the VMA holds an aligned 2 MiB block
 * at an aligned file offset (thp_vma_suitable_order of its last 2 MiB)
 */
function thp_vma_allowable_collapse_file(k: Kernel, vma: VmArea): boolean {
  if (vma.vm_flags & (VM_NOHUGEPAGE | VM_HUGETLB)) return false;
  if (k.config.shmem_enabled === 'deny') return false;
  return thp_vma_suitable_pmd(vma, vma.vm_end - HPAGE_PMD_SIZE);
}

/**
 * thp_vma_allowable_order(vma, vm_flags, TVA_KHUGEPAGED, PMD_ORDER) for a shmem VMA (mm/huge_memory.c
 * __thp_vma_allowable_orders @v6.18): as for MADV_COLLAPSE (not VM_NOHUGEPAGE, the VMA's last 2 MiB suitable),
 * but the shmem settings are enforced, shmem_allowable_huge_orders(inode, vma, vm_pgoff, 0, false): shmem_enabled
 * and the mount's huge= (advise and within_size want VM_HUGEPAGE, the model's tmpfs mount is huge=never). The
 * anonymous `enabled` knob is not consulted for shmem.
 */
function thp_vma_allowable_khugepaged_file(k: Kernel, vma: VmArea): boolean {
  if (vma.vm_flags & (VM_NOHUGEPAGE | VM_HUGETLB)) return false;
  if (!thp_vma_suitable_pmd(vma, vma.vm_end - HPAGE_PMD_SIZE)) return false;
  return shmem_allowable_huge(k, k.inode(vma.vm_file)!, vma, vma.vm_pgoff, 0);
}

/**
 * mm/khugepaged.c hpage_collapse_scan_file() @v6.18: the folios of the file's 512 indices from start. A PMD-sized
 * folio there is pte_mapped_hugepage (collapse_pte_mapped_thp is next); a folio off the LRU ends the scan
 * (page_not_in_lru), as does one with a reference besides the cache's and its mappings' (folio_expected_ref_count:
 * not_suitable_page_count, a pin). khugepaged wants at least 512 - max_ptes_none pages in the cache
 * (exceed_none_pte); MADV_COLLAPSE has no limit. No young-page test and no max_ptes_shared on this path. The
 * kernel calls collapse_file at the end when the scan `succeeded`; the callers do here (khugepaged as a step of its
 * own, so that other threads run in between, as they can: neither the scan nor collapse_file holds the mmap lock).
 * Swap entries in the cache count against max_ptes_swap (khugepaged only), not as present pages.
 */
function hpage_collapse_scan_file(k: Kernel, addr: number, m: AddressSpace, start: number, cc: CollapseControl): ScanResult {
  const f = k.folios;
  let result: ScanResult = 'succeeded';
  let present = 0, swap = 0;
  for (let idx = start; idx < start + HPAGE_PMD_NR;) {
    const slot = filemap_get_entry(k, m, idx);
    if (slot < 0) {
      // a swap entry (xa_is_value): khugepaged takes up to max_ptes_swap of them, collapse_file swaps them in
      if (m.swapAt(idx) >= 0 && ++swap > k.config.max_ptes_swap && cc.is_khugepaged) {
        result = 'exceed_swap_pte';
        break;
      }
      idx++;
      continue;
    }
    if (f.order(slot) === HPAGE_PMD_ORDER && folio_index(k, slot) === start) {
      result = 'pte_mapped_hugepage';
      break;
    }
    if (!f.test(slot, PG_lru)) {
      result = 'page_not_in_lru';
      break;
    }
    if (f.refcount(slot) !== f.nrPages(slot) + f.folioMapcount(slot)) {
      result = 'not_suitable_page_count';
      break;
    }
    present += f.nrPages(slot);
    idx = folio_index(k, slot) + f.nrPages(slot);
  }
  if (result === 'succeeded' && cc.is_khugepaged && present < HPAGE_PMD_NR - k.config.max_ptes_none) result = 'exceed_none_pte';
  k.tr?.emit('collapse', 'hpage_collapse_scan_file', { addr, result });
  return result;
}

/**
 * mm/khugepaged.c collapse_file() @v6.18 for shmem: a new PMD-sized folio (THP_COLLAPSE_ALLOC); every folio of the
 * block isolated from the LRU and unmapped from every page table (try_to_unmap: a uffd-wp PTE of a VMA registered
 * for WP leaves a marker), a fallocated one zeroed first; a block with no folio at all is truncated. Holes are
 * filled with zeroes, unless a VMA of the file registered for MISSING faults covers the block (exceed_none_pte:
 * rolled back, the old folios back on the LRU but still unmapped). Then the new folio replaces them in the cache
 * (up to date, dirty, on the LRU), the other mappings' empty PTE tables are retracted, and MADV_COLLAPSE goes on
 * with collapse_pte_mapped_thp (pte_mapped_hugepage); khugepaged is done (succeeded: a later fault maps the folio).
 * What changed since the scan (khugepaged runs it as a step of its own) is tested again: a PMD-sized folio there
 * now (pte_mapped_hugepage), a locked folio (page_locked), one off the LRU (could_not_delete_page_from_lru), one
 * with a reference left once unmapped, a pin (not_suitable_page_count: put back on the LRU, the call rolled back)
 */
function collapse_file(k: Kernel, mm: MmStruct, addr: number, m: AddressSpace, start: number, cc: CollapseControl): ScanResult {
  const f = k.folios;
  const end = start + HPAGE_PMD_NR;
  if (end * PAGE_SIZE > Math.ceil(m.i_size / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE) notModelled('addr', 'a collapse (MADV_COLLAPSE or khugepaged) of a shmem block past the end of the file');
  // alloc_charge_folio
  const nslot = f.alloc(HPAGE_PMD_ORDER, PG_swapbacked);
  k.vmstat.thp_collapse_alloc++;
  const old: number[] = [];
  let nr_none = 0;
  let result: ScanResult = 'succeeded';
  for (let idx = start; idx < end;) {
    let slot = filemap_get_entry(k, m, idx);
    if (slot < 0 && m.swapAt(idx) >= 0) {
      // shmem_get_folio(SGP_NOALLOC) swaps it in (up to date, dirty, in the cache again); its reference is the
      // kernel's own, which the model does not keep
      slot = shmem_get_folio(k, m, idx, SGP_NOALLOC, null).slot;
      folio_put_refs(k, slot, 1);
    }
    if (slot < 0) {
      // the extent was truncated or hole-punched and is now empty (a swap entry is not empty)
      if (idx === start && m.nextIndex(start, end, true) < 0) {
        result = 'truncated';
        break;
      }
      nr_none++;
      idx++;
      continue;
    }
    // folio_trylock
    if (f.test(slot, PG_locked)) {
      result = 'page_locked';
      break;
    }
    // shmem_get_folio(SGP_NOALLOC) of a fallocated folio: zeroed and up to date
    if (!f.test(slot, PG_uptodate)) {
      k.data.clearRange(f.pfn(slot), f.nrPages(slot));
      f.setFlag(slot, PG_uptodate);
    }
    // a truncate and a fault since the scan may have left a PMD-sized folio there
    if (f.isLarge(slot)) {
      result = f.order(slot) === HPAGE_PMD_ORDER && folio_index(k, slot) === start ? 'pte_mapped_hugepage' : 'page_compound';
      break;
    }
    // folio_isolate_lru, then try_to_unmap of a mapped folio
    if (!f.test(slot, PG_lru)) {
      result = 'could_not_delete_page_from_lru';
      break;
    }
    f.clearFlag(slot, PG_lru);
    if (f.folioMapped(slot)) unmap_mapping_pages(k, m, folio_index(k, slot), f.nrPages(slot), false);
    // only the cache's references left (with the kernel's own and the isolation's): no pin, no mapping
    if (f.refcount(slot) !== f.nrPages(slot)) {
      f.setFlag(slot, PG_lru);
      result = 'not_suitable_page_count';
      break;
    }
    old.push(slot);
    idx = folio_index(k, slot) + f.nrPages(slot);
  }
  if (result === 'succeeded' && nr_none) {
    // a MISSING-registered VMA could expect a fault on a hole (vma_interval_tree_foreach over [start, end])
    for (const { vma } of i_mmap(k, m)) {
      const last = vma.vm_pgoff + (vma.vm_end - vma.vm_start) / PAGE_SIZE - 1;
      if (vma.vm_pgoff <= end && last >= start && userfaultfd_missing(vma)) {
        result = 'exceed_none_pte';
        break;
      }
    }
  }
  if (result !== 'succeeded') {
    // rollback: the old folios back on the LRU (their mappings are gone); the new folio freed
    for (const slot of old) f.setFlag(slot, PG_lru);
    folio_put(k, nslot);
    k.tr?.emit('collapse', 'collapse_file', { addr, result });
    return result;
  }
  // the copy: each old folio's pages at their indices, zeroes in the holes
  const npfn = f.pfn(nslot);
  k.data.clearRange(npfn, HPAGE_PMD_NR);
  for (const slot of old) {
    const fi = folio_index(k, slot);
    for (let i = 0; i < f.nrPages(slot); i++) k.data.copyPage(npfn + fi + i - start, folio_file_pfn(k, slot, fi + i));
  }
  for (const slot of old) filemap_remove_folio(k, m, slot);
  f.setFlag(nslot, PG_uptodate | PG_dirty | PG_lru);
  filemap_add_folio(k, m, nslot, start);
  // folio_ref_add(new_folio, HPAGE_PMD_NR - 1): the allocation's reference is one of the cache's
  f.setRefcount(nslot, f.refcount(nslot) - 1);
  retract_page_tables(k, m, start);
  // MADV_COLLAPSE maps it in the caller's mm next; khugepaged leaves that to a fault
  result = cc.is_khugepaged ? 'succeeded' : 'pte_mapped_hugepage';
  k.tr?.emit('collapse', 'collapse_file', { addr, result, pfn: npfn, holes: nr_none });
  return result;
}

/**
 * mm/khugepaged.c retract_page_tables() @v6.18: in every VMA that maps the block's first index at a 2 MiB aligned
 * address with the whole block inside it, the PTE table there (empty: collapse_file unmapped every page) is freed
 * and its PMD cleared, so a fault maps the new folio with a PMD; not in a VMA with an anon_vma (a private mapping
 * written to) nor one registered for uffd-wp (markers may be there)
 */
function retract_page_tables(k: Kernel, m: AddressSpace, pgoff: number): void {
  for (const { mm, vma } of i_mmap(k, m)) {
    if (vma.anon_vma) continue;
    const pages = (vma.vm_end - vma.vm_start) / PAGE_SIZE;
    if (pgoff < vma.vm_pgoff || pgoff >= vma.vm_pgoff + pages) continue;
    const addr = vma.vm_start + (pgoff - vma.vm_pgoff) * PAGE_SIZE;
    if (addr % HPAGE_PMD_SIZE !== 0 || vma.vm_end < addr + HPAGE_PMD_SIZE) continue;
    const found = find_pmd_or_thp_or_none(k, mm, addr);
    if (found.result !== 'succeeded') continue;
    if (userfaultfd_wp(vma)) continue;
    // file_backed_vma_is_retractable (49e14dabed7a): not a VMA that may hold guard markers
    if (vma.vm_flags & VM_MAYBE_GUARD) continue;
    const t = pte_offset_map(k, mm, found.pmd!);
    if (!t) continue;
    for (let i = 0; i < HPAGE_PMD_NR; i++) if (!t.isNone(i)) notModelled('addr', 'a shmem collapse retracting a PTE table that still holds an entry');
    // pmdp_collapse_flush, mm_dec_nr_ptes, pte_free_defer
    found.pmd!.t.clear(found.pmd!.i);
    freeTable(k, mm, t);
    k.tr?.emit('collapse', 'retract_page_tables', { mm: mm.id, addr });
  }
}

/**
 * mm/khugepaged.c collapse_pte_mapped_thp() @v6.18, install_pmd for MADV_COLLAPSE (khugepaged: only the PTE table
 * goes, a later fault maps the PMD): the block of the caller's VMA
 * whose file folio is PMD-sized is mapped by a PMD (set_huge_pmd: do_set_pmd without a write fault, read-only and
 * clean, and the mapping's reference). A PMD already there is page_pmd_mapped; a VMA registered for uffd-wp keeps
 * its PTE table (pte_uffd_wp); a PTE table left (an anon_vma kept it) must hold only none entries or PTEs of the
 * folio's own pages at their places, which go (a swap-form entry: pte_non_present; another page: failed)
 */
function collapse_pte_mapped_thp(k: Kernel, mm: MmStruct, haddr: number, install_pmd: boolean): ScanResult {
  const g = k.pgt, f = k.folios;
  const vma = vma_lookup(k, mm, haddr);
  if (!vma || vma.vm_file === 0 || haddr < vma.vm_start || haddr + HPAGE_PMD_SIZE > vma.vm_end) return 'vma_check_failed';
  let found = find_pmd_or_thp_or_none(k, mm, haddr);
  if (found.result === 'page_pmd_mapped') return found.result;
  if (!thp_vma_allowable_collapse_file(k, vma) || !thp_vma_suitable_pmd(vma, haddr)) return 'vma_check_failed';
  if (userfaultfd_wp(vma)) return 'pte_uffd_wp';
  const m = k.inode(vma.vm_file)!;
  const index = linear_page_index(vma, haddr);
  const slot = filemap_get_entry(k, m, index);
  if (slot < 0) return 'page_null';
  if (f.order(slot) !== HPAGE_PMD_ORDER) return 'page_compound';
  found = find_pmd_or_thp_or_none(k, mm, haddr);
  if (found.result === 'succeeded') {
    const t = pte_offset_map(k, mm, found.pmd!);
    if (t) {
      const e = new Pte();
      const base = f.pfn(slot);
      // step 1: every mapped PTE maps the folio's page of its index
      for (let i = 0; i < HPAGE_PMD_NR; i++) {
        t.get(i, e);
        if (g.pte_none(e)) continue;
        if (!g.pte_present(e)) return 'pte_non_present';
        if (g.pte_pfn(e) !== base + i) return 'failed';
      }
      // step 2 and 3: the PTEs cleared, their rmap, references and rss dropped
      for (let i = 0; i < HPAGE_PMD_NR; i++) {
        t.get(i, e);
        if (g.pte_none(e)) continue;
        t.clear(i);
        folio_remove_rmap_ptes(k, slot, base + i, 1, mm);
        f.setRefcount(slot, f.refcount(slot) - 1);
        mm.shmemPages -= 1;
      }
      // step 4: the empty PTE table removed
      found.pmd!.t.clear(found.pmd!.i);
      freeTable(k, mm, t);
    }
  } else if (found.result !== 'pmd_null' && found.result !== 'pmd_none') return found.result;
  if (!install_pmd) {
    k.tr?.emit('collapse', 'collapse_pte_mapped_thp', { addr: haddr, pfn: f.pfn(slot), install: false });
    return 'succeeded';
  }
  // SCAN_PMD_NULL (no PMD table covers the block) is mapped as SCAN_PMD_NONE is, the tables allocated on the way
  // ("mm/khugepaged: do not fail collapse_pte_mapped_thp() on SCAN_PMD_NULL", f8a01513f574 in mm-stable for v6.18:
  // before it MADV_COLLAPSE of such a block failed with EINVAL; the model has shmem collapse on v6.18 only)
  const pmd = found.pmd ?? pmdAlloc(k, mm, haddr);
  // step 5: set_huge_pmd
  const vmf: VmFault = {
    vma, mm, address: haddr, real_address: haddr, flags: 0, pmd, pte: null, orig_pte: new Pte(), orig_pmd: new Pte(),
  };
  if (do_set_pmd(k, vmf, slot) !== 0) return 'failed';
  f.setRefcount(slot, f.refcount(slot) + 1);
  k.tr?.emit('collapse', 'collapse_pte_mapped_thp', { addr: haddr, pfn: f.pfn(slot) });
  return 'succeeded';
}

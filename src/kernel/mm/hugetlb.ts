// hugetlb with a pool of 2 MiB pages (mm/hugetlb.c @v6.18, fs/hugetlbfs/inode.c hugetlbfs_file_mmap):
// the hstate counters (nr, free, reserved, surplus), the per-VMA reservation map of a private mapping,
// faults (hugetlb_fault, hugetlb_no_page, hugetlb_wp), fork (copy_hugetlb_page_range), zapping
// (__unmap_hugepage_range), protection changes (hugetlb_change_protection) and the pagemap entry.
//
// A huge page is a folio of order 9 with PG_hugetlb, mapped on x86-64 by a huge PTE stored in the PMD
// slot (_PAGE_PSE set), whose non-present forms (migration entries, the uffd-wp PTE marker) use the PTE
// swap encoding. The pool is counted, not kept: a free huge page has no folio of its own until a fault
// takes one (alloc_hugetlb_folio allocates an order-9 folio and lowers free_huge_pages), and a freed
// one is given back as a count (free_huge_folio). PFNs are never compared by value, so which page of
// the pool a fault gets is not observable in the model.
import type { Kernel } from '../kernel.js';
import { Pte } from '../arch/x86/include/pte.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, PAGE_SIZE, PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import type { Segment, SegmentSpec } from '../../state/store.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { VM_HUGETLB, VM_MAYSHARE, VM_MAYWRITE, VM_NORESERVE, VM_SHARED, VM_SOFTDIRTY, VM_UFFD_MINOR, VM_UFFD_MISSING, VM_UFFD_WP, VM_WRITE } from '../include/vm_flags.js';
import {
  FAULT_FLAG_UNSHARE, FAULT_FLAG_WRITE, VM_FAULT_HWPOISON_LARGE, VM_FAULT_SIGBUS,
} from '../include/fault.js';
import { PATCH } from '../../profiles/patches.js';
import { folio_maybe_dma_pinned } from './gup.js';
import { PG_anon, PG_anon_exclusive, PG_dirty, PG_uptodate } from './folio.js';
import { pmdAllocTable, pmdTable } from './pagewalk.js';
import { pmd_index, type PageTable, type Slot } from './pgtable.js';
import { anon_vma_prepare } from './vma.js';
import { fail, notModelled } from '../include/errno.js';
import { handle_userfault, userfaultfd_minor, userfaultfd_wp, userfaultfd_wp_async, vma_has_uffd_without_event_remap } from '../fs/userfaultfd.js';
import { isUffdWpMarker, is_pte_marker, is_poisoned_marker, make_pte_marker, migration_entry_wait, SWP_PTE_MARKER, PTE_MARKER_POISONED, PTE_MARKER_UFFD_WP, type VmFault } from './memory.js';
import {
  is_migration_entry, is_migration_entry_dirty, is_migration_entry_young, make_migration_entry, make_readable_migration, migrationKind,
} from './migrate.js';
import { PM } from '../include/uapi.js';
import { type AddressSpace, INODE_HUGETLB as INODE_HUGETLB_FLAG, filemap_add_folio, filemap_remove_folio, folio_mapping, i_mmap } from './filemap.js';

// ---- state: the hstate and each VMA's reservation map ---------------------------------------------

/** PG_hugetlb (folio_test_hugetlb: a page of the huge page pool) and PG_hugetlb_restore_reserve, folio flags */
export const PG_hugetlb = 1 << 24;
export const PG_hugetlb_restore_reserve = 1 << 25;
/** model bookkeeping during a migration: the new page was taken from the pool (not a kernel flag) */
const PG_hugetlb_from_pool = 1 << 26;
/** isolated for migration (isolate_hugetlb: off the active list, HPG_migratable cleared); the isolation holds a reference */
export const PG_hugetlb_isolated = 1 << 27;
/**
 * model bookkeeping, no kernel flag: a page-cache huge page that a private UFFDIO_CONTINUE before ab74ef708dc5
 * (v6.0) gave an anonymous rmap, so its PageAnon and entire mapcount are the bug's (debug_vm lets them be)
 */
export const PG_hugetlb_cache_anon = 1 << 28;

/** the segments: the hstate counters and mms' hugetlb_usage (flat), the VMAs' reservation maps */
export const HUGETLB_SEGMENTS: readonly SegmentSpec[] = [{ name: 'hugetlb', flat: true }, { name: 'hugetlb.resv' }];
const H_NR = 0, H_FREE = 1, H_RESV = 2, H_SURPLUS = 3;
/** mm->hugetlb_usage (pages), at H_USAGE + mm id */
const H_USAGE = 64;
/**
 * the free list (h->hugepage_freelists, LIFO: enqueue_hugetlb_folio adds at the head, dequeue takes the head)
 * as far as it is observable: a page keeps its PG_dirty in the pool, so the stack of the pages freed since
 * boot holds each one's dirty bit (1 clean, 2 dirty), its depth at H_FREE_N; below it, the pages never used,
 * all clean
 */
const H_FREE_N = 4, H_FREE_STACK = 1024;
/**
 * model bookkeeping, no kernel counter: reservations resv_huge_pages lost for good. Before 1d8d14641fd9 (v6.0) a
 * write fault in a shared mapping copied the file's page, and the copy took the index's reservation again (the
 * file's map said it was there, though its page had consumed it): HugePages_Rsvd one short for ever (-1 in the
 * fix's report). debug_vm's count allows for them
 */
const H_RESV_LOST = 5;

/**
 * vm_private_data of a hugetlb VMA (is_vma_resv_set): a private mapping's reservation map and its
 * HPAGE_RESV_OWNER / HPAGE_RESV_UNMAPPED flags, kept at the VMA's slot * RESV_CELLS: a word of flags,
 * then a bitmap of the file indices whose reservation was consumed (a private map's entries). The VMA's
 * cells move with it (VmArea.moveTo). A map is shared by the pieces of a split VMA in the kernel; here each
 * piece has a copy of the part it covers (a piece only ever reads and writes the indices of its own range).
 */
const RESV_CELLS = 64;
const RESV_MAP = 1, HPAGE_RESV_OWNER = 2, HPAGE_RESV_UNMAPPED = 4;
/** the largest file index a reservation map holds (the model's limit) */
const RESV_MAX_IDX = (RESV_CELLS - 1) * 32;

/** struct hstate of the 2 MiB size (default_hstate): the pool's counters, cells of the kernel's Store */
export class HState {
  constructor(private readonly H: Segment) {}
  /** the segment (the free list's cells are hugetlb.ts's business) */
  get seg(): Segment { return this.H; }
  get nr_huge_pages(): number { return this.H.get(H_NR); }
  set nr_huge_pages(v: number) { this.H.set(H_NR, v); }
  get free_huge_pages(): number { return this.H.get(H_FREE); }
  set free_huge_pages(v: number) { this.H.set(H_FREE, v); }
  get resv_huge_pages(): number { return this.H.get(H_RESV); }
  set resv_huge_pages(v: number) { this.H.set(H_RESV, v); }
  get surplus_huge_pages(): number { return this.H.get(H_SURPLUS); }
  set surplus_huge_pages(v: number) { this.H.set(H_SURPLUS, v); }
  /** reservations the kernel's count lost (H_RESV_LOST, model bookkeeping) */
  get resv_lost(): number { return this.H.get(H_RESV_LOST); }
  set resv_lost(v: number) { this.H.set(H_RESV_LOST, v); }
  /** mm->hugetlb_usage, in base pages */
  usage(mm: MmStruct): number { return this.H.get(H_USAGE + mm.id); }
  setUsage(mm: MmStruct, v: number): void { this.H.set(H_USAGE + mm.id, v); }
}

/** hugetlb_sysctl_handler (vm.nr_hugepages) at boot: the pool made of config.nr_hugepages free pages */
export function hugetlb_init(k: Kernel): void {
  const h = k.hstate;
  h.nr_huge_pages = k.config.nr_hugepages;
  h.free_huge_pages = k.config.nr_hugepages;
}

export function is_vm_hugetlb_page(vma: VmArea): boolean {
  return (vma.vm_flags & VM_HUGETLB) !== 0;
}

const resvBase = (slot: number) => slot * RESV_CELLS;
function resvFlags(k: Kernel, vma: VmArea): number { return k.hugetlbResv.get(resvBase(vma.slot)); }
function setResvFlags(k: Kernel, vma: VmArea, v: number): void { k.hugetlbResv.set(resvBase(vma.slot), v); }
function is_vma_resv_set(k: Kernel, vma: VmArea, flag: number): boolean { return (resvFlags(k, vma) & flag) !== 0; }
function resvTest(k: Kernel, vma: VmArea, idx: number): boolean {
  return (k.hugetlbResv.get(resvBase(vma.slot) + 1 + (idx >>> 5)) & (1 << (idx & 31))) !== 0;
}
function resvSet(k: Kernel, vma: VmArea, idx: number, on: boolean): void {
  if (idx >= RESV_MAX_IDX) notModelled('len', `model limit: a hugetlb mapping past file index ${RESV_MAX_IDX} (${RESV_MAX_IDX * 2} MiB)`);
  const c = resvBase(vma.slot) + 1 + (idx >>> 5);
  const w = k.hugetlbResv.get(c);
  k.hugetlbResv.set(c, on ? w | (1 << (idx & 31)) : w & ~(1 << (idx & 31)));
}

/** the VMA's reservation cells moved with its other cells (VmArea.moveTo); `from`'s zero afterwards */
export function hugetlb_resv_move(k: Kernel, from: number, to: number): void {
  const R = k.hugetlbResv, f = resvBase(from), t = resvBase(to);
  for (let i = 0; i < RESV_CELLS; i++) R.set(t + i, R.get(f + i));
  R.clear(f, RESV_CELLS);
}
/** vm_area_dup copies vm_private_data (and hugetlb_vm_op_open takes a reference on the map) */
export function hugetlb_resv_copy(k: Kernel, from: number, to: number): void {
  const R = k.hugetlbResv, f = resvBase(from), t = resvBase(to);
  for (let i = 0; i < RESV_CELLS; i++) R.set(t + i, R.get(f + i));
}
/** a freed VMA's reservation cells zeroed (vm_area_free) */
export function hugetlb_resv_clear(k: Kernel, slot: number): void {
  k.hugetlbResv.clear(resvBase(slot), RESV_CELLS);
}

/** mm/hugetlb.c vma_hugecache_offset() @v6.18: the file index of addr, in huge pages */
export function vma_hugecache_offset(vma: VmArea, addr: number): number {
  return Math.floor((addr - vma.vm_start) / PMD_SIZE) + Math.floor(vma.vm_pgoff / HPAGE_PMD_NR);
}

/** mm/hugetlb.c hugetlb_vm_op_split() @v6.18: a hugetlb VMA splits only at a huge page boundary */
export function hugetlb_vm_op_split(vma: VmArea, addr: number): void {
  if (addr % PMD_SIZE !== 0) fail('EINVAL', 'splitting a hugetlb VMA at an address that is not 2 MiB aligned');
}

/** after __split_vma: each piece keeps the entries of its own range of the (shared) map, the others cleared */
export function hugetlb_split_resv(k: Kernel, a: VmArea, b: VmArea): void {
  for (const v of [a, b]) {
    if (!is_vma_resv_set(k, v, RESV_MAP)) continue;
    const lo = vma_hugecache_offset(v, v.vm_start), hi = vma_hugecache_offset(v, v.vm_end);
    for (let i = 0; i < RESV_MAX_IDX; i++) if ((i < lo || i >= hi) && resvTest(k, v, i)) resvSet(k, v, i, false);
  }
}

/** mm/hugetlb.c hugetlb_dup_vma_private() @v6.18 (dup_mmap): a child's private mapping has no reservations */
export function hugetlb_dup_vma_private(k: Kernel, vma: VmArea): void {
  if (!(vma.vm_flags & VM_MAYSHARE)) hugetlb_resv_clear(k, vma.slot);
}

// ---- the pool ---------------------------------------------------------------------------------------

/**
 * mm/hugetlb.c hugetlb_acct_memory() @v6.18 with gather_surplus_pages() and return_unused_surplus_pages():
 * a reservation of delta pages succeeds while the free pages cover every reservation; with
 * vm.nr_overcommit_hugepages 0 (the model's) no surplus page is made. -1: ENOMEM
 */
export function hugetlb_acct_memory(k: Kernel, delta: number): number {
  const h = k.hstate;
  if (delta === 0) return 0;
  if (delta > 0) {
    const needed = h.resv_huge_pages + delta - h.free_huge_pages;
    if (needed > 0) return -1;
    h.resv_huge_pages += delta;
    return 0;
  }
  h.resv_huge_pages += delta;
  return 0;
}

/**
 * mm/hugetlb.c hugetlb_reserve_pages() @v6.18 (hugetlbfs_file_mmap): a private mapping reserves its whole range
 * up front (the VMA owns a new, empty reservation map), a shared one the indices the file's map lacks
 * (hugetlb_reserve_file_pages), unless VM_NORESERVE. false: ENOMEM
 */
export function hugetlb_reserve_pages(k: Kernel, vma: VmArea, from: number, to: number, vm_flags: number): boolean {
  if (vm_flags & VM_NORESERVE) return true;
  if (vma.vm_flags & VM_MAYSHARE) return hugetlb_reserve_file_pages(k, vma.vm_file, from, to);
  if (to > RESV_MAX_IDX) notModelled('len', `model limit: a hugetlb mapping of more than ${RESV_MAX_IDX} huge pages`);
  setResvFlags(k, vma, RESV_MAP | HPAGE_RESV_OWNER);
  if (hugetlb_acct_memory(k, to - from) < 0) {
    hugetlb_resv_clear(k, vma.slot);
    return false;
  }
  return true;
}

/**
 * mm/hugetlb.c hugetlb_vm_op_close() @v6.18: the owner's reservations not consumed go back to the pool
 * (the map's entries are the consumed ones); the map goes with the VMA
 */
export function hugetlb_vm_op_close(k: Kernel, vma: VmArea): void {
  if (!is_vma_resv_set(k, vma, RESV_MAP) || !is_vma_resv_set(k, vma, HPAGE_RESV_OWNER)) return;
  const start = vma_hugecache_offset(vma, vma.vm_start), end = vma_hugecache_offset(vma, vma.vm_end);
  let consumed = 0;
  for (let i = start; i < end; i++) if (resvTest(k, vma, i)) consumed++;
  const reserve = end - start - consumed;
  if (reserve) hugetlb_acct_memory(k, -reserve);
  hugetlb_resv_clear(k, vma.slot);
}

/**
 * mm/hugetlb.c __vma_reservation_common(VMA_NEEDS_RESV) @v6.18 for a private mapping: 0 while the owner's
 * reservation for this index is unused, 1 when there is none (consumed, or a VMA without a map)
 */
function vma_needs_reservation(k: Kernel, vma: VmArea, addr: number): number {
  // a shared mapping's map is its inode's (region_chg of one index: 1 when the index has no entry)
  if (vma.vm_flags & VM_MAYSHARE) return vma.vm_file !== 0 && iresvTest(k, vma.vm_file, vma_hugecache_offset(vma, addr)) ? 0 : 1;
  if (!is_vma_resv_set(k, vma, RESV_MAP)) return 1;
  return resvTest(k, vma, vma_hugecache_offset(vma, addr)) ? 1 : 0;
}

/**
 * mm/hugetlb.c vma_has_reserves() @v6.12: a shared mapping uses the file's reservation of the index when it
 * has one (with MAP_NORESERVE too: another mapping made it); a private one the owner's unused reservation
 */
function vma_has_reserves(k: Kernel, vma: VmArea, chg: number): boolean {
  if (vma.vm_flags & VM_NORESERVE) return (vma.vm_flags & VM_MAYSHARE) !== 0 && chg === 0;
  if (vma.vm_flags & VM_MAYSHARE) return chg === 0;
  return is_vma_resv_set(k, vma, HPAGE_RESV_OWNER) && chg === 0;
}

/**
 * mm/hugetlb.c dequeue_hugetlb_folio_vma() @v6.12: a free huge page from the pool, taking a reservation when
 * the caller has one (`has`); without, only a page no reservation holds. -1 when there is none (no surplus
 * pages: alloc_buddy_hugetlb_folio_with_mpol is not modelled)
 */
function dequeue_hugetlb_folio(k: Kernel, has: boolean): number {
  const h = k.hstate;
  if (!has && h.free_huge_pages - h.resv_huge_pages === 0) return -1;
  if (h.free_huge_pages === 0) return -1;
  h.free_huge_pages--;
  let flags = PG_hugetlb | dequeue_dirty(k);
  if (has) {
    flags |= PG_hugetlb_restore_reserve;
    h.resv_huge_pages--;
  }
  return k.folios.alloc(HPAGE_PMD_ORDER, flags);
}

/**
 * mm/hugetlb.c alloc_hugetlb_folio() @v6.18 (dequeue_hugetlb_folio_vma): a page of the pool, taking the
 * VMA's reservation for addr when it has one; without one, only a page no reservation counts on. Returns
 * the folio's slot, or -1 (-ENOSPC: the fault gets SIGBUS)
 */
export function alloc_hugetlb_folio(k: Kernel, vma: VmArea, addr: number, cow_from_owner: boolean): number {
  const map_chg = vma_needs_reservation(k, vma, addr);
  const gbl_chg = map_chg || cow_from_owner ? 1 : 0;
  const has = !cow_from_owner && vma_has_reserves(k, vma, gbl_chg);
  const slot = dequeue_hugetlb_folio(k, has);
  if (slot < 0) return -1;
  // vma_commit_reservation: the index's reservation is consumed (an entry in a private map); a shared
  // mapping's index gets its entry in the file's map (region_add: already there when it was reserved)
  if (vma.vm_flags & VM_MAYSHARE) { if (vma.vm_file !== 0) iresvSet(k, vma.vm_file, vma_hugecache_offset(vma, addr), true); }
  else if (is_vma_resv_set(k, vma, RESV_MAP)) resvSet(k, vma, vma_hugecache_offset(vma, addr), true);
  k.tr?.emit('alloc_hugetlb_folio', 'alloc_hugetlb_folio', { addr, pfn: k.folios.pfn(slot), reserved: has });
  return slot;
}

/** mm/hugetlb.c free_huge_folio() @v6.18: back to the pool, its reservation restored when it carried one */
export function free_huge_folio(k: Kernel, slot: number): void {
  const f = k.folios, h = k.hstate;
  const restore = f.test(slot, PG_hugetlb_restore_reserve);
  enqueue_dirty(k, f.test(slot, PG_dirty));
  k.data.clearRange(f.pfn(slot), f.nrPages(slot));
  f.free(slot);
  h.free_huge_pages++;
  if (restore) h.resv_huge_pages++;
}

/** enqueue_hugetlb_folio: the page freed goes on top of the free list, its PG_dirty with it */
function enqueue_dirty(k: Kernel, dirty: boolean): void {
  const H = k.hstate.seg, n = H.get(H_FREE_N);
  H.set(H_FREE_STACK + n, dirty ? 2 : 1);
  H.set(H_FREE_N, n + 1);
}
/** dequeue_hugetlb_folio_node_exact: the page on top of the free list; its PG_dirty (0 for a page never used) */
function dequeue_dirty(k: Kernel): number {
  const H = k.hstate.seg, n = H.get(H_FREE_N);
  if (n === 0) return 0;
  const v = H.get(H_FREE_STACK + n - 1);
  H.set(H_FREE_STACK + n - 1, 0);
  H.set(H_FREE_N, n - 1);
  return v === 2 ? PG_dirty : 0;
}

/** hugetlb_count_add / hugetlb_count_sub: mm->hugetlb_usage */
function hugetlb_count_add(k: Kernel, mm: MmStruct, n: number): void {
  k.hstate.setUsage(mm, k.hstate.usage(mm) + n);
}

// ---- rmap of a hugetlb folio: the entire mapcount and PageAnonExclusive of the head -------------------

/** include/linux/rmap.h hugetlb_add_new_anon_rmap() @v6.18: mapped once, exclusive; the reservation it took is consumed */
function hugetlb_add_new_anon_rmap(k: Kernel, slot: number): void {
  const f = k.folios;
  f.clearFlag(slot, PG_hugetlb_restore_reserve);
  f.setFlag(slot, PG_anon | PG_uptodate | PG_anon_exclusive);
  f.setMapcount(slot, 1);
}
/** include/linux/rmap.h hugetlb_add_file_rmap() @v6.12: a page-cache page mapped once more (its entire mapcount) */
function hugetlb_add_file_rmap(k: Kernel, slot: number): void {
  k.folios.setMapcount(slot, k.folios.mapcount(slot) + 1);
}
/** include/linux/rmap.h hugetlb_remove_rmap() @v6.18 */
function hugetlb_remove_rmap(k: Kernel, slot: number): void {
  k.folios.setMapcount(slot, k.folios.mapcount(slot) - 1);
}
/** PageAnonExclusive of the head page (hugetlb keeps it on the head only) */
function hugetlbExclusive(k: Kernel, slot: number): boolean {
  return k.folios.test(slot, PG_anon_exclusive);
}
function setHugetlbExclusive(k: Kernel, slot: number, on: boolean): void {
  if (on) k.folios.setFlag(slot, PG_anon_exclusive);
  else k.folios.clearFlag(slot, PG_anon_exclusive);
}

// ---- entries ------------------------------------------------------------------------------------------

/** the huge PTE slot of addr (huge_pte_offset), or null when there is no PMD table */
export function hugetlb_walk(k: Kernel, mm: MmStruct, addr: number): Slot | null {
  const t = pmdTable(k, mm, addr);
  return t ? { t, i: pmd_index(addr) } : null;
}

/** mm/hugetlb.c make_huge_pte() @v6.18: mk_huge_pte, dirty and writable or write-protected, young, huge */
function make_huge_pte(k: Kernel, vma: VmArea, pfn: number, try_mkwrite: boolean): Pte {
  const g = k.pgt;
  const e = g.pfn_pte(new Pte(), pfn, vma.vm_page_prot);
  if (try_mkwrite && (vma.vm_flags & VM_WRITE)) g.pte_mkwrite(g.pte_mkdirty(e));
  else g.pte_wrprotect(e);
  g.pte_mkyoung(e);
  return g.pmd_mkhuge(e);
}

/** set_huge_pte_at: the huge entry stored (traced as set_pte) */
export function setHuge(k: Kernel, s: Slot, e: Pte, addr: number, fn: string): void {
  if (k.tr) k.tr.emit('set_pte', fn, { addr, old: s.t.get(s.i, new Pte()).toString(), new: e.toString() });
  s.t.set(s.i, e);
}

/** the uffd-wp PTE marker (make_pte_marker(PTE_MARKER_UFFD_WP)) as a huge entry */
export function uffdWpMarker(k: Kernel): Pte {
  return k.pgt.swp_entry_to_pte(new Pte(), SWP_PTE_MARKER, PTE_MARKER_UFFD_WP);
}

/** pte_swp_uffd_wp_any(): a swap or migration entry with the uffd-wp bit, or the uffd-wp marker */
export function pte_swp_uffd_wp_any(k: Kernel, e: Pte): boolean {
  return k.pgt.pte_swp_uffd_wp(e) || isUffdWpMarker(k, e);
}

// ---- faults -------------------------------------------------------------------------------------------

const hvmf: VmFault = {
  vma: null!, mm: null!, address: 0, real_address: 0, flags: 0, pmd: { t: null!, i: 0 }, pte: null,
  orig_pte: new Pte(), orig_pmd: new Pte(),
};

/** mm/hugetlb.c hugetlb_fault() @v6.18 (handle_mm_fault sends every fault of a hugetlb VMA here) */
export function hugetlb_fault(k: Kernel, vma: VmArea, address: number, flags: number): number {
  const g = k.pgt;
  const mm = k.current!.mm;
  const haddr = Math.floor(address / PMD_SIZE) * PMD_SIZE;
  const t = pmdAllocTable(k, mm, haddr);
  const vmf = hvmf;
  vmf.vma = vma;
  vmf.mm = mm;
  vmf.address = haddr;
  vmf.real_address = address;
  vmf.flags = flags;
  vmf.pmd = { t, i: pmd_index(haddr) };
  vmf.pte = vmf.pmd;
  t.get(vmf.pmd.i, vmf.orig_pte);
  vmf.orig_pmd.lo = vmf.orig_pte.lo;
  vmf.orig_pmd.hi = vmf.orig_pte.hi;
  const orig = vmf.orig_pte;
  // the poison marker (UFFDIO_POISON, 8a13897fb0da, v6.6): VM_FAULT_HWPOISON_LARGE with the hstate's index
  if (is_poisoned_marker(k, orig)) return VM_FAULT_HWPOISON_LARGE;
  // huge_pte_none_mostly: none, or a PTE marker
  if (g.pte_none(orig) || isUffdWpMarker(k, orig)) return hugetlb_no_page(k, vmf);
  if (!g.pte_present(orig)) {
    if (is_migration_entry(k, orig)) return migration_entry_wait(k, vmf);
    return 0;
  }
  const write = (flags & FAULT_FLAG_WRITE) !== 0;
  if (userfaultfd_wp(vma) && g.pte_uffd_wp(orig) && write && !g.pte_write(orig)) {
    if (!userfaultfd_wp_async(vma)) return handle_userfault(k, vmf, VM_UFFD_WP);
    g.pte_clear_uffd_wp(orig);
    setHuge(k, vmf.pte, orig, haddr, 'hugetlb_fault');
  }
  if (flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) {
    if (!g.pte_write(orig)) return hugetlb_wp(k, vmf);
    if (write) g.pte_mkdirty(orig);
  }
  const e = orig.clone();
  g.pte_mkyoung(e);
  // huge_ptep_set_access_flags (x86 ptep_set_access_flags): stored only by a write fault, when it changed
  const cur = t.get(vmf.pmd.i, new Pte());
  if (write && !e.equals(cur)) setHuge(k, vmf.pte, e, haddr, 'hugetlb_fault');
  return 0;
}

/**
 * mm/hugetlb.c hugetlb_no_page() @v6.12: the page of the file's page cache at the index (a MAP_PRIVATE|MAP_ANONYMOUS
 * mapping has none: its file is the model's vm_file 0), mapped read-only in a private mapping; else a page of the
 * pool, zeroed, added to the cache for a shared mapping (hugetlb_add_to_page_cache) or anonymous for a private one.
 * SIGBUS past i_size or without a page; a cached page in a VMA registered for MINOR faults goes to userspace
 */
function hugetlb_no_page(k: Kernel, vmf: VmFault): number {
  const g = k.pgt, f = k.folios;
  const vma = vmf.vma;
  if (is_vma_resv_set(k, vma, HPAGE_RESV_UNMAPPED)) {
    k.printk('hugetlb_no_page', `PID ${k.current!.tid} killed due to inadequate hugepage pool`);
    return VM_FAULT_SIGBUS;
  }
  const mapping = vma.vm_file !== 0 ? k.inode(vma.vm_file) : null;
  const idx = vma_hugecache_offset(vma, vmf.address);
  // filemap_lock_hugetlb_folio: the cached page, with a reference the page table takes over
  let slot = mapping ? hugetlb_cache_folio(k, mapping, idx) : -1;
  let anon_rmap = false;
  if (slot >= 0) {
    // a page in the cache of a VMA registered for MINOR faults: userspace decides (UFFDIO_CONTINUE maps it)
    if (userfaultfd_minor(vma)) return handle_userfault(k, vmf, VM_UFFD_MINOR);
    f.setRefcount(slot, f.refcount(slot) + 1);
  } else {
    if (mapping && idx >= Math.floor(mapping.i_size / PMD_SIZE)) {
      k.tr?.emit('hugetlb_no_page', 'hugetlb_no_page', { addr: vmf.address, sigbus: 'past the end of the file' });
      return VM_FAULT_SIGBUS;
    }
    if (vma.vm_flags & VM_UFFD_MISSING) return handle_userfault(k, vmf, VM_UFFD_MISSING);
    if (!(vma.vm_flags & VM_MAYSHARE)) anon_vma_prepare(vmf.mm, vma);
    slot = alloc_hugetlb_folio(k, vma, vmf.address, false);
    if (slot < 0) {
      k.tr?.emit('hugetlb_no_page', 'hugetlb_no_page', { addr: vmf.address, sigbus: 'no huge page in the pool' });
      return VM_FAULT_SIGBUS;
    }
    // folio_zero_user: the pool's pages come back zeroed (free_huge_folio drops the contents)
    if (vma.vm_flags & VM_MAYSHARE) hugetlb_add_to_page_cache(k, mapping!, slot, idx);
    else anon_rmap = true;
  }
  if (anon_rmap) hugetlb_add_new_anon_rmap(k, slot);
  else hugetlb_add_file_rmap(k, slot);
  const e = make_huge_pte(k, vma, k.folios.pfn(slot), (vma.vm_flags & VM_SHARED) !== 0);
  if (isUffdWpMarker(k, vmf.orig_pte)) g.pte_mkuffd_wp(e);
  setHuge(k, vmf.pte!, e, vmf.address, 'hugetlb_no_page');
  hugetlb_count_add(k, vmf.mm, HPAGE_PMD_NR);
  k.tr?.emit('hugetlb_no_page', 'hugetlb_no_page', { addr: vmf.address, pfn: k.folios.pfn(slot), pte: e.toString() });
  if ((vmf.flags & FAULT_FLAG_WRITE) && !(vma.vm_flags & VM_SHARED)) {
    vmf.pte!.t.get(vmf.pte!.i, vmf.orig_pte);
    return hugetlb_wp(k, vmf);
  }
  return 0;
}

/** set_huge_ptep_writable: the entry made dirty and writable */
function set_huge_ptep_writable(k: Kernel, vmf: VmFault): void {
  const g = k.pgt;
  const e = vmf.pte!.t.get(vmf.pte!.i, new Pte());
  g.pte_mkwrite(g.pte_mkdirty(e));
  setHuge(k, vmf.pte!, e, vmf.address, 'hugetlb_wp');
}

/** mm/hugetlb.c hugetlb_wp() @v6.18: reuse an exclusive anon page, else copy it into a new one (COW) */
function hugetlb_wp(k: Kernel, vmf: VmFault): number {
  const g = k.pgt, f = k.folios;
  const vma = vmf.vma;
  const unshare = (vmf.flags & FAULT_FLAG_UNSHARE) !== 0;
  const pte = vmf.pte!.t.get(vmf.pte!.i, new Pte());
  // 60d5b473d61b (v6.3): never COW (or reuse) a write-protected entry; only hugetlb_no_page's COW for a
  // private write gets here with one, and the fault is retried into handle_userfault. Before, the page was
  // made writable with its uffd-wp bit still set, and the write went through without a message
  if (!unshare && g.pte_uffd_wp(pte) && k.has(PATCH.hugetlbWpSkipUffdWp)) return 0;
  // a write fault without VM_WRITE comes only from GUP with FOLL_FORCE (the CPU's is refused by access_error):
  // v6.18 breaks COW and leaves the entry read-only (set_huge_ptep_maybe_writable; make_huge_pte checks VM_WRITE);
  // v6.2 .. v6.12 refused it (check_vma_flags EFAULT, WARN and SIGSEGV here): docs/fidelity.md
  // 1d8d14641fd9 (v6.0): a shared mapping's entry is made writable in place; before, such a fault (an entry
  // write-protected by uffd-wp and left so when the uffd went, v5.19) went on to the COW below, which maps an
  // anonymous copy of the file's page into the shared mapping
  if ((vma.vm_flags & VM_MAYSHARE) && k.has(PATCH.hugetlbSharedWriteFault)) {
    set_huge_ptep_writable(k, vmf);
    return 0;
  }
  const old = f.slotOf(g.pte_pfn(pte));
  for (;;) {
    if (f.mapcount(old) === 1 && f.test(old, PG_anon)) {
      if (!hugetlbExclusive(k, old)) setHugetlbExclusive(k, old, true); // folio_move_anon_rmap
      // set_huge_ptep_maybe_writable: only in a VMA with VM_WRITE (a FOLL_FORCE write leaves it read-only)
      if (!unshare && (vma.vm_flags & VM_WRITE)) set_huge_ptep_writable(k, vmf);
      k.tr?.emit('hugetlb_wp', 'hugetlb_wp', { addr: vmf.address, reuse: true });
      return 0;
    }
    const cow_from_owner = is_vma_resv_set(k, vma, HPAGE_RESV_OWNER) && f.test(old, PG_anon);
    const nslot = alloc_hugetlb_folio(k, vma, vmf.address, cow_from_owner);
    if (nslot < 0) {
      if (cow_from_owner) {
        // unmap_ref_private: the owner takes the page back from the processes that share it, and loops
        unmap_ref_private(k, vmf.mm, vma, old, vmf.address);
        const now = vmf.pte!.t.get(vmf.pte!.i, new Pte());
        if (now.equals(pte)) continue;
        return 0;
      }
      k.tr?.emit('hugetlb_wp', 'hugetlb_wp', { addr: vmf.address, sigbus: 'no huge page in the pool for the copy' });
      return VM_FAULT_SIGBUS;
    }
    // a shared mapping gets here only before 1d8d14641fd9: the copy took the reservation the file's page had
    // consumed already, and hugetlb_add_new_anon_rmap drops its restore flag, so the count never gets it back
    if ((vma.vm_flags & VM_MAYSHARE) && f.test(nslot, PG_hugetlb_restore_reserve)) k.hstate.resv_lost++;
    anon_vma_prepare(vmf.mm, vma);
    const opfn = f.pfn(old), npfn = f.pfn(nslot);
    for (let i = 0; i < HPAGE_PMD_NR; i++) k.data.copyPage(npfn + i, opfn + i);
    const e = make_huge_pte(k, vma, npfn, !unshare);
    hugetlb_remove_rmap(k, old);
    hugetlb_add_new_anon_rmap(k, nslot);
    // 0f230bc24b6e (v6.4): the copy keeps uffd-wp (an UNSHARE of a write-protected page); before, it lost it
    if (g.pte_uffd_wp(pte) && k.has(PATCH.hugetlbUnshareKeepsUffdWp)) g.pte_mkuffd_wp(e);
    setHuge(k, vmf.pte!, e, vmf.address, 'hugetlb_wp');
    folio_put_hugetlb(k, old);
    k.tr?.emit('hugetlb_wp', 'hugetlb_wp', { addr: vmf.address, copy: true, pfn: npfn });
    return 0;
  }
}

/** drop a reference (folio_put): at zero the page goes back to the pool */
function folio_put_hugetlb(k: Kernel, slot: number): void {
  const f = k.folios;
  f.setRefcount(slot, f.refcount(slot) - 1);
  if (f.refcount(slot) <= 0) free_huge_folio(k, slot);
}

/**
 * mm/hugetlb.c unmap_ref_private() @v6.18: the page is unmapped from every other VMA that maps it and holds
 * no reservation of its own (a child of the owner), which is marked HPAGE_RESV_UNMAPPED: its next fault
 * there is SIGBUS
 */
function unmap_ref_private(k: Kernel, mm: MmStruct, vma: VmArea, slot: number, address: number): void {
  const pfn = k.folios.pfn(slot);
  for (const omm of k.mms) {
    for (const v of omm.vmas) {
      if (v === vma || !is_vm_hugetlb_page(v) || is_vma_resv_set(k, v, HPAGE_RESV_OWNER)) continue;
      for (let a = v.vm_start; a < v.vm_end; a += PMD_SIZE) {
        const s = hugetlb_walk(k, omm, a);
        if (!s) continue;
        const e = s.t.get(s.i, new Pte());
        if (k.pgt.pte_present(e) && k.pgt.pte_pfn(e) === pfn) __unmap_hugepage_range(k, omm, v, a, a + PMD_SIZE, slot, true);
      }
    }
  }
  void mm;
  void address;
}

// ---- shared hugetlb: the file's reservation map and page cache (mm/hugetlb.c @v6.12) --------------------
//
// A hugetlbfs inode (a MAP_SHARED|MAP_ANONYMOUS|MAP_HUGETLB mapping's file, a MFD_HUGETLB memfd) keeps its huge
// pages in the generic page cache of mm/filemap.ts (an order-9 folio at each of its 512 page indices) and its
// reservation map (inode->i_mapping->i_private_data, a resv_map of file regions) as a bitmap of huge-page
// indices in the hugetlb.resv segment, past every VMA's cells: an index has an entry while it holds a
// reservation or a page (region_add when reserved or when a page is allocated there, region_del when the page
// or the range goes). The pool's reserved count for the file is then its entries without a page.

/** where an inode's reservation bitmap lives in hugetlb.resv (past every VMA slot's cells) */
const IRESV_BASE = 1 << 26;
const iresvBase = (ino: number) => IRESV_BASE + ino * RESV_CELLS;
function iresvTest(k: Kernel, ino: number, idx: number): boolean {
  if (idx >= RESV_MAX_IDX) return false;
  return (k.hugetlbResv.get(iresvBase(ino) + 1 + (idx >>> 5)) & (1 << (idx & 31))) !== 0;
}
function iresvSet(k: Kernel, ino: number, idx: number, on: boolean): void {
  if (idx >= RESV_MAX_IDX) notModelled('len', `model limit: a hugetlbfs file past huge page ${RESV_MAX_IDX} (${RESV_MAX_IDX * 2} MiB)`);
  const c = iresvBase(ino) + 1 + (idx >>> 5);
  const w = k.hugetlbResv.get(c);
  k.hugetlbResv.set(c, on ? w | (1 << (idx & 31)) : w & ~(1 << (idx & 31)));
}
/** mm/hugetlb.c region_chg() @v6.12 over [f, t): the indices without an entry */
function region_chg(k: Kernel, ino: number, f: number, t: number): number {
  let n = 0;
  for (let i = f; i < t; i++) if (!iresvTest(k, ino, i)) n++;
  return n;
}
/** mm/hugetlb.c region_add() @v6.12 over [f, t): the entries added */
function region_add(k: Kernel, ino: number, f: number, t: number): number {
  let n = 0;
  for (let i = f; i < t; i++) if (!iresvTest(k, ino, i)) { iresvSet(k, ino, i, true); n++; }
  return n;
}
/** mm/hugetlb.c region_del() @v6.12 over [f, t) (t capped at the model's limit): the entries removed */
function region_del(k: Kernel, ino: number, f: number, t: number): number {
  let n = 0;
  for (let i = f, e = Math.min(t, RESV_MAX_IDX); i < e; i++) if (iresvTest(k, ino, i)) { iresvSet(k, ino, i, false); n++; }
  return n;
}

/** hugetlb_reserve_pages for a shared mapping or a file (vma NULL): the indices of [from, to) the map lacks are reserved, then entered. false: ENOMEM */
export function hugetlb_reserve_file_pages(k: Kernel, ino: number, from: number, to: number): boolean {
  if (to > RESV_MAX_IDX) notModelled('len', `model limit: a hugetlbfs file of more than ${RESV_MAX_IDX} huge pages`);
  const chg = region_chg(k, ino, from, to);
  if (hugetlb_acct_memory(k, chg) < 0) return false;
  region_add(k, ino, from, to);
  return true;
}

/**
 * mm/hugetlb.c hugetlb_unreserve_pages() @v6.12: the entries of [start, end) go; the reservations among them that no
 * page consumed (`freed` of them were pages removed) go back to the pool
 */
export function hugetlb_unreserve_pages(k: Kernel, ino: number, start: number, end: number, freed: number): void {
  const chg = region_del(k, ino, start, end);
  hugetlb_acct_memory(k, -(chg - freed));
}

/** the inode's reservation cells zeroed (resv_map_release at eviction) */
export function hugetlb_resv_map_release(k: Kernel, ino: number): void {
  k.hugetlbResv.clear(iresvBase(ino), RESV_CELLS);
}

/** filemap_lock_hugetlb_folio without the lock or the reference: the page at huge-page index idx of the file (-1: none) */
export function hugetlb_cache_folio(_k: Kernel, mapping: AddressSpace, idx: number): number {
  return mapping.folioAt(idx * HPAGE_PMD_NR);
}

/**
 * mm/hugetlb.c hugetlb_add_to_page_cache() @v6.12: the new page enters the cache at idx (the cache takes a reference
 * per base page), its reservation flag cleared (the file's map keeps the index), marked dirty (noop_dirty_folio) so
 * that nothing but hugetlbfs removes it, and up to date
 */
export function hugetlb_add_to_page_cache(k: Kernel, mapping: AddressSpace, slot: number, idx: number): void {
  const f = k.folios;
  filemap_add_folio(k, mapping, slot, idx * HPAGE_PMD_NR);
  f.clearFlag(slot, PG_hugetlb_restore_reserve);
  f.setFlag(slot, PG_dirty | PG_uptodate);
}

/** fs/hugetlbfs/inode.c hugetlb_delete_from_page_cache() @v6.12: out of the cache, clean and not up to date; the cache's references go */
export function hugetlb_delete_from_page_cache(k: Kernel, mapping: AddressSpace, slot: number): void {
  k.folios.clearFlag(slot, PG_dirty | PG_uptodate);
  filemap_remove_folio(k, mapping, slot);
}

/**
 * alloc_hugetlb_folio for hugetlbfs_fallocate's pseudo-VMA (VM_HUGETLB | VM_MAYSHARE | VM_SHARED over the file from
 * 0): the file's reservation of idx when it has one, else a page no reservation counts on; the index gets its
 * entry. The folio's slot, or -1 (ENOSPC)
 */
export function alloc_hugetlb_folio_file(k: Kernel, ino: number, idx: number): number {
  const slot = dequeue_hugetlb_folio(k, iresvTest(k, ino, idx));
  if (slot < 0) return -1;
  iresvSet(k, ino, idx, true);
  return slot;
}

/** the huge page an address of a hugetlb VMA maps (a present entry), -1 otherwise */
export function hugetlb_mapped_folio(k: Kernel, mm: MmStruct, addr: number): number {
  const s = hugetlb_walk(k, mm, Math.floor(addr / PMD_SIZE) * PMD_SIZE);
  if (!s) return -1;
  const e = s.t.get(s.i, new Pte());
  return k.pgt.pte_present(e) ? k.folios.slotOf(k.pgt.pte_pfn(e)) : -1;
}

/**
 * the hugetlb VMAs mapping part of the file's huge pages [start, end) (end 0: to the end) zapped there
 * (fs/hugetlbfs/inode.c hugetlb_vmdelete_list() @v6.12, vma_offset_start/end): every entry of the range goes,
 * a private mapping's copies too; dropMarker (ZAP_FLAG_DROP_MARKER: truncation) drops the uffd-wp markers, a
 * hole punched keeps them
 */
export function hugetlb_vmdelete_list(k: Kernel, mapping: AddressSpace, start: number, end: number, dropMarker: boolean): void {
  const pgStart = start * HPAGE_PMD_NR, pgEnd = end * HPAGE_PMD_NR;
  for (const { mm, vma } of i_mmap(k, mapping)) {
    if (!is_vm_hugetlb_page(vma)) continue;
    const vlast = vma.vm_pgoff + (vma.vm_end - vma.vm_start) / PAGE_SIZE;
    if (vlast <= pgStart || (end !== 0 && vma.vm_pgoff >= pgEnd)) continue;
    const v_start = vma.vm_start + (vma.vm_pgoff < pgStart ? (pgStart - vma.vm_pgoff) * PAGE_SIZE : 0);
    let v_end = vma.vm_end;
    if (end !== 0) v_end = Math.min(v_end, (pgEnd - vma.vm_pgoff) * PAGE_SIZE + vma.vm_start);
    if (v_end > v_start) __unmap_hugepage_range(k, mm, vma, v_start, v_end, -1, dropMarker);
  }
}

/**
 * the pool's reserved count as the reservations it stands for (debug_vm, check 'hugetlb-resv'): each hugetlbfs file's
 * entries without a cached page, each owner's private indices not yet consumed, and the pages allocated against a
 * reservation they still hold (PG_hugetlb_restore_reserve) sum to resv_huge_pages; a huge page of the pool that is
 * neither anonymous, nor cached, nor isolated for migration is leaked
 */
export function hugetlb_check(k: Kernel, bug: (check: string, what: string) => void): void {
  const h = k.hstate, f = k.folios;
  let want = 0;
  for (let ino = 1; ino <= k.nrInodes; ino++) {
    const m = k.inode(ino)!;
    if (!m.live || !(m.flags & INODE_HUGETLB_FLAG)) {
      for (let i = 0; i < RESV_CELLS; i++) if (k.hugetlbResv.get(iresvBase(ino) + i) !== 0) { bug('hugetlb-resv', `inode ${ino} is not a live hugetlbfs file, yet its reservation cells are not zero`); break; }
      continue;
    }
    for (let idx = 0; idx < RESV_MAX_IDX; idx++) if (iresvTest(k, ino, idx) && hugetlb_cache_folio(k, m, idx) < 0) want++;
  }
  for (const mm of k.mms) {
    for (const v of mm.vmas) {
      if (!is_vm_hugetlb_page(v) || !is_vma_resv_set(k, v, RESV_MAP) || !is_vma_resv_set(k, v, HPAGE_RESV_OWNER)) continue;
      for (let i = vma_hugecache_offset(v, v.vm_start), e = vma_hugecache_offset(v, v.vm_end); i < e; i++) if (!resvTest(k, v, i)) want++;
    }
  }
  for (let slot = 0; slot < f.nslots; slot++) {
    const fl = f.flags(slot);
    if (!(fl & PG_hugetlb) || f.refcount(slot) === 0) continue;
    // an anonymous page the owner's zap let go while something still holds it (a pin, or a forked child's
    // mapping): __unmap_hugepage_range gave its index back to the owner's map (df7a6d1f6405) and marked the page
    // to restore a reservation when freed, and neither is in resv_huge_pages until free_huge_folio adds it: the
    // kernel's count is short by both meanwhile (a refault, or the owner's munmap, takes the index's
    // reservation: HugePages_Rsvd -1, measured on 6.18, hugetlb-gup-pin-private, hugetlb-fork-unmap-restore-reserve)
    if (fl & PG_hugetlb_restore_reserve) want += (fl & PG_anon) ? -1 : 1;
    // a file page that truncation (remove_inode_hugepages) took out of its cache lives on, unmapped, while a
    // GUP caller (a pin, a pipe) holds it; free_huge_folio takes it when the last reference goes
    if (!(fl & (PG_anon | PG_hugetlb_isolated)) && folio_mapping(k, slot) === 0) {
      if (f.gupRefs(slot) === 0) bug('folio-leak', `hugetlb folio at slot ${slot}: neither anonymous nor in a page cache`);
      else if (f.mapcount(slot) !== 0) bug('folio-leak', `hugetlb folio at slot ${slot}: taken out of its page cache, yet still mapped`);
    }
  }
  want -= h.resv_lost;
  if (want !== h.resv_huge_pages) bug('hugetlb-resv', `HugePages_Rsvd ${h.resv_huge_pages}, but the reservation maps and pages hold ${want}`);
  if (h.resv_huge_pages > h.free_huge_pages) bug('hugetlb-resv', `HugePages_Rsvd ${h.resv_huge_pages} above HugePages_Free ${h.free_huge_pages}`);
}

// ---- fork, zap, protection -----------------------------------------------------------------------------

/** mm/hugetlb.c copy_hugetlb_page_range() @v6.18, private mappings (cow): both sides write-protected */
export function copy_hugetlb_page_range(k: Kernel, dmm: MmStruct, smm: MmStruct, dst: VmArea, src: VmArea): void {
  const g = k.pgt, f = k.folios;
  const cow = (src.vm_flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
  for (let addr = src.vm_start; addr < src.vm_end; addr += PMD_SIZE) {
    const s = hugetlb_walk(k, smm, addr);
    if (!s) continue;
    const e = s.t.get(s.i, new Pte());
    if (g.pte_none(e)) continue;
    const dt = pmdAllocTable(k, dmm, addr);
    const d: Slot = { t: dt, i: pmd_index(addr) };
    if (is_pte_marker(k, e)) {
      // copy_pte_marker: the poison marker always, the uffd-wp marker only into a child registered for WP
      if (is_poisoned_marker(k, e)) setHuge(k, d, make_pte_marker(k, PTE_MARKER_POISONED), addr, 'copy_hugetlb_page_range');
      else if (userfaultfd_wp(dst)) setHuge(k, d, e.clone(), addr, 'copy_hugetlb_page_range');
      continue;
    }
    if (!g.pte_present(e)) {
      if (is_migration_entry(k, e)) {
        const uffd_wp = g.pte_swp_uffd_wp(e);
        let c = e.clone();
        if (cow && migrationKind(k, e) === 2 /* writable */) {
          c = make_readable_migration(k, new Pte(), e);
          if (uffd_wp) g.pte_swp_mkuffd_wp(c);
          setHuge(k, s, c.clone(), addr, 'copy_hugetlb_page_range');
        }
        if (!userfaultfd_wp(dst)) g.pte_swp_clear_uffd_wp(c);
        setHuge(k, d, c, addr, 'copy_hugetlb_page_range');
        hugetlb_count_add(k, dmm, HPAGE_PMD_NR);
        continue;
      }
      notModelled('addr', 'fork of a hugetlb entry that is neither present nor a migration entry nor a marker');
    }
    const slot = f.slotOf(g.pte_pfn(e));
    // copy_hugetlb_page_range @v5.13: before the anon-exclusive rework, page_needs_cow_for_dma() asked of any
    // page of a COW mapping whether the mm has pinned (MMF_HAS_PINNED) and the page may be pinned; such a page is
    // copied for the child at once, from 4eae4efa2c29 (v5.12). Before, it was shared write-protected as any other
    if (!k.has(PATCH.anonExclusive) && k.has(PATCH.hugetlbForkPinnedEarlyCow) && cow && smm.hasPinned && folio_maybe_dma_pinned(k, slot)) {
      hugetlb_copy_pinned_folio(k, dmm, dst, d, addr, e, slot);
      continue;
    }
    if (f.test(slot, PG_anon) && hugetlbExclusive(k, slot)) {
      // hugetlb_try_dup_anon_rmap: an exclusive page that may be pinned (folio_needs_cow_for_dma) is not
      // shared: the child gets a copy at once, the parent keeps its page and its writable entry
      if (k.has(PATCH.anonExclusive) && cow && smm.hasPinned && f.pincount(slot) > 0) {
        hugetlb_copy_pinned_folio(k, dmm, dst, d, addr, e, slot);
        continue;
      }
      setHugetlbExclusive(k, slot, false);
    }
    f.setMapcount(slot, f.mapcount(slot) + 1);
    f.setRefcount(slot, f.refcount(slot) + 1);
    const c = e.clone();
    if (cow) {
      if (g.pte_write(e)) {
        const w = e.clone();
        g.pte_wrprotect(w);
        setHuge(k, s, w, addr, 'copy_hugetlb_page_range');
      }
      g.pte_wrprotect(c);
    }
    // 5a2f8d22ace4 (v6.4): a child not registered for WP (no EVENT_FORK) gets the entry without uffd-wp;
    // before, it kept the bit in a VMA no uffd tracks
    if (!userfaultfd_wp(dst)) {
      if (k.has(PATCH.hugetlbForkUffdWp)) g.pte_clear_uffd_wp(c);
      else if (g.pte_uffd_wp(c)) dst.uffd_wp_left = true;
    }
    setHuge(k, d, c, addr, 'copy_hugetlb_page_range');
    hugetlb_count_add(k, dmm, HPAGE_PMD_NR);
  }
}

/**
 * mm/hugetlb.c copy_hugetlb_page_range() @v6.18 (@v5.13, from 4eae4efa2c29), its branch for a page that may be pinned: a page of the pool for
 * the child (alloc_hugetlb_folio without a reservation: the child's private map has none), the contents copied
 * (copy_user_large_folio), mapped by hugetlb_install_folio: new, exclusive, writable in a VMA with VM_WRITE,
 * dirty and young, uffd-wp kept only for a child registered for WP
 */
function hugetlb_copy_pinned_folio(k: Kernel, dmm: MmStruct, dst: VmArea, d: Slot, addr: number, e: Pte, old: number): void {
  const g = k.pgt, f = k.folios;
  const nslot = alloc_hugetlb_folio(k, dst, addr, false);
  // -ENOSPC makes fork fail (copy_page_range's error) after the VMAs copied so far: not modelled
  if (nslot < 0) notModelled('addr', 'fork that must copy a pinned hugetlb page when the pool has no free page (fork fails with the error of alloc_hugetlb_folio)');
  const opfn = f.pfn(old), npfn = f.pfn(nslot);
  for (let i = 0; i < HPAGE_PMD_NR; i++) k.data.copyPage(npfn + i, opfn + i);
  hugetlb_add_new_anon_rmap(k, nslot);
  const n = make_huge_pte(k, dst, npfn, true);
  // hugetlb_install_folio carries uffd-wp into a child registered for WP from 5a2f8d22ace4 (v6.4); never before
  if (userfaultfd_wp(dst) && g.pte_uffd_wp(e) && k.has(PATCH.hugetlbForkUffdWp)) g.pte_mkuffd_wp(n);
  setHuge(k, d, n, addr, 'hugetlb_install_folio');
  hugetlb_count_add(k, dmm, HPAGE_PMD_NR);
  k.tr?.emit('hugetlb_wp', 'copy_hugetlb_page_range', { addr, copy: true, pfn: npfn, why: 'the page may be pinned' });
}

/**
 * mm/hugetlb.c __unmap_hugepage_range() @v6.18: [start, end) (huge-page aligned) emptied; an entry with
 * uffd-wp leaves the marker unless dropMarker (munmap: ZAP_FLAG_DROP_MARKER); `ref` limits the zap to
 * that folio (unmap_ref_private). From df7a6d1f6405 (v6.9) an anon page of the owner that nothing maps
 * any more gets its reservation back (its index is no longer consumed, and the page returns it when freed)
 */
export function __unmap_hugepage_range(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number, ref: number, dropMarker: boolean): void {
  const g = k.pgt, f = k.folios, h = k.hstate;
  if (start % PMD_SIZE || end % PMD_SIZE) throw new Error('BUG: __unmap_hugepage_range of an unaligned range');
  for (let addr = start; addr < end; addr += PMD_SIZE) {
    const s = hugetlb_walk(k, mm, addr);
    if (!s) continue;
    const e = s.t.get(s.i, new Pte());
    if (g.pte_none(e)) continue;
    if (!g.pte_present(e)) {
      if (pte_swp_uffd_wp_any(k, e) && !dropMarker) setHuge(k, s, uffdWpMarker(k), addr, '__unmap_hugepage_range');
      else s.t.clear(s.i);
      if (is_migration_entry(k, e)) hugetlb_count_add(k, mm, -HPAGE_PMD_NR);
      continue;
    }
    const slot = f.slotOf(g.pte_pfn(e));
    if (ref >= 0) {
      if (slot !== ref) continue;
      setResvFlags(k, vma, resvFlags(k, vma) | HPAGE_RESV_UNMAPPED);
    }
    s.t.clear(s.i);
    if (g.pte_dirty(e)) f.setFlag(slot, PG_dirty); // set_page_dirty
    if (g.pte_uffd_wp(e) && !dropMarker) setHuge(k, s, uffdWpMarker(k), addr, '__unmap_hugepage_range');
    hugetlb_count_add(k, mm, -HPAGE_PMD_NR);
    hugetlb_remove_rmap(k, slot);
    // (also a page another process still maps, after a fork: the owner's index is given back, and the
    // page restores a reservation when its last mapping goes)
    if (k.has(PATCH.hugetlbRestoreReserve) && !h.surplus_huge_pages && !(vma.vm_flags & VM_MAYSHARE) &&
        is_vma_resv_set(k, vma, RESV_MAP) && f.test(slot, PG_anon)) {
      f.setFlag(slot, PG_hugetlb_restore_reserve);
      // vma_needs_reservation, then vma_add_reservation (private: the map's entry deleted)
      if (vma_needs_reservation(k, vma, addr)) resvSet(k, vma, vma_hugecache_offset(vma, addr), false);
    }
    folio_put_hugetlb(k, slot);
    k.tr?.emit('zap_huge_pmd', '__unmap_hugepage_range', { addr });
  }
}

/**
 * mm/hugetlb.c hugetlb_change_protection() @v6.18: every entry of [start, end) gets newprot (huge_pte_modify),
 * or, with uffd_wp / uffd_wp_resolve, the uffd-wp bit set or cleared (a none entry gets the uffd-wp marker, a
 * marker is dropped on resolve). A writable migration entry becomes readable(-exclusive); from 44f86392bdd1
 * (v6.2, corpus 11) the uffd-wp bit is set or cleared on every migration entry and kept otherwise. Returns
 * the entries changed
 */
/**
 * the WARN_ON_ONCE(!pte_marker_uffd_wp(pte)) of hugetlb_change_protection() @v6.6..v6.8 (the model keeps no
 * once-per-boot state for warnings: it logs the line each time)
 */
function hugetlb_poison_marker_warning(k: Kernel): void {
  k.printk('hugetlb_change_protection', 'WARNING: mm/hugetlb.c hugetlb_change_protection: a PTE marker other than uffd-wp');
}

export function hugetlb_change_protection(k: Kernel, vma: VmArea, start: number, end: number, newprot: Pte, uffd_wp: boolean, uffd_wp_resolve: boolean): number {
  const g = k.pgt;
  const mm = vma.vm_mm!;
  let pages = 0;
  for (let addr = start; addr < end; addr += PMD_SIZE) {
    let s = hugetlb_walk(k, mm, addr);
    if (!s) {
      // huge_pte_alloc when a marker must be installed (fed15f1345dc, v6.2); before, an address with no page
      // table was skipped: a write-protect of a range no PMD table covers left no marker, and no protection
      if (!uffd_wp || !k.has(PATCH.hugetlbUffdWpPrealloc)) continue;
      s = { t: pmdAllocTable(k, mm, addr), i: pmd_index(addr) };
    }
    const e = s.t.get(s.i, new Pte());
    if (is_poisoned_marker(k, e)) {
      // c5977c95dff1 (v6.9): a poison marker is left alone; before, the marker branch warned that it was not
      // the uffd-wp one (WARN_ON_ONCE) and an un-protect cleared it, so the page read as new memory
      if (k.has(PATCH.hugetlbChangeProtectionPoison)) continue;
      hugetlb_poison_marker_warning(k);
      if (uffd_wp_resolve) s.t.clear(s.i);
      continue;
    }
    if (isUffdWpMarker(k, e)) {
      if (uffd_wp_resolve) s.t.clear(s.i);
      continue;
    }
    if (!g.pte_none(e) && !g.pte_present(e)) {
      if (is_migration_entry(k, e)) {
        const kind = migrationKind(k, e);
        let c = e.clone();
        if (k.has(PATCH.hugetlbMigrationUffdWp)) {
          if (kind === 2 /* writable */) {
            c = make_readable_migration(k, new Pte(), e);
            if (g.pte_swp_uffd_wp(e)) g.pte_swp_mkuffd_wp(c);
            pages++;
          }
          if (uffd_wp) g.pte_swp_mkuffd_wp(c);
          else if (uffd_wp_resolve) g.pte_swp_clear_uffd_wp(c);
        } else if (kind !== 0 /* !is_readable_migration_entry: writable or readable-exclusive */) {
          // v5.19..v6.1: the entry is made afresh (readable-exclusive for an anon page), so its uffd-wp bit is
          // set or cleared as asked, and lost when neither is asked; a readable entry is left as it is
          c = make_readable_migration(k, new Pte(), e);
          if (uffd_wp) g.pte_swp_mkuffd_wp(c);
          else if (uffd_wp_resolve) g.pte_swp_clear_uffd_wp(c);
          pages++;
        }
        if (!c.equals(e)) setHuge(k, s, c, addr, 'hugetlb_change_protection');
      }
      continue;
    }
    if (g.pte_none(e)) {
      // a none entry gets the marker (60dfaad65aa9, v5.19)
      if (uffd_wp) setHuge(k, s, uffdWpMarker(k), addr, 'hugetlb_change_protection');
      continue;
    }
    // huge_ptep_modify_prot_start / huge_pte_modify / huge_ptep_modify_prot_commit
    const c = g.pte_modify(e.clone(), newprot);
    g.pmd_mkhuge(c); // arch_make_huge_pte
    if (uffd_wp) g.pte_mkuffd_wp(c);
    else if (uffd_wp_resolve) g.pte_clear_uffd_wp(c);
    setHuge(k, s, c, addr, 'hugetlb_change_protection');
    pages++;
  }
  return pages;
}

// ---- mremap (mm/hugetlb.c @v6.18, from 550a7d60bd5e, v5.16) --------------------------------------------

/**
 * mm/hugetlb.c move_huge_pte() @v6.18: the entry taken from the old slot and set in the new one as it is (hugetlb
 * keeps no soft-dirty); from 0cef0bb836e3 (v6.13) a VMA whose uffd gets no REMAP events loses the uffd-wp bit of a
 * present or swap-form entry, and a uffd-wp marker is dropped
 */
function move_huge_pte(k: Kernel, vma: VmArea, old_addr: number, new_addr: number, src: Slot, dst: Slot): void {
  const g = k.pgt;
  const need_clear_uffd_wp = k.has(PATCH.mremapClearUffdWp) && vma_has_uffd_without_event_remap(vma);
  const e = src.t.get(src.i, new Pte());
  src.t.clear(src.i); // huge_ptep_get_and_clear
  if (need_clear_uffd_wp && isUffdWpMarker(k, e)) return; // huge_pte_clear
  if (need_clear_uffd_wp) {
    if (g.pte_present(e)) g.pte_clear_uffd_wp(e);
    else g.pte_swp_clear_uffd_wp(e);
  }
  setHuge(k, dst, e, new_addr, 'move_huge_pte');
  void old_addr;
}

/**
 * mm/hugetlb.c move_hugetlb_page_tables() @v6.18 (mremap's move_page_tables for a hugetlb VMA): huge page by huge
 * page over [old_addr, old_addr+len), every entry that is not none (a page, a migration entry, a uffd-wp marker)
 * moved to the same offset from new_addr (huge_pte_alloc there). PMD tables are never shared in the model (a shared
 * mapping over an aligned 1 GiB is refused at mmap), so huge_pmd_unshare has nothing to do. Returns the length moved
 */
export function move_hugetlb_page_tables(k: Kernel, mm: MmStruct, vma: VmArea, new_vma: VmArea, old_addr: number, new_addr: number, len: number): number {
  const g = k.pgt;
  for (let off = 0; off < len; off += PMD_SIZE) {
    const src = hugetlb_walk(k, mm, old_addr + off);
    if (!src || g.pte_none(src.t.get(src.i, new Pte()))) continue;
    const dst: Slot = { t: pmdAllocTable(k, mm, new_addr + off), i: pmd_index(new_addr + off) };
    move_huge_pte(k, vma, old_addr + off, new_addr + off, src, dst);
  }
  void new_vma;
  k.tr?.emit('mremap', 'move_hugetlb_page_tables', { old_addr, new_addr, len });
  return len;
}

/** does the private hugetlb VMA own a reservation map (HPAGE_RESV_OWNER: the mapping that reserved its pages at mmap) */
export function hugetlb_vma_resv_owner(k: Kernel, vma: VmArea): boolean {
  return is_vm_hugetlb_page(vma) && !(vma.vm_flags & VM_MAYSHARE) && is_vma_resv_set(k, vma, RESV_MAP) && is_vma_resv_set(k, vma, HPAGE_RESV_OWNER);
}

/**
 * mm/hugetlb.c fixup_hugetlb_reservations() @v6.18 (clear_vma_resv_huge_pages, 550a7d60bd5e): after a move the old
 * VMA drops its reference on the private reservation map, which the new VMA (vm_area_dup) holds now, and keeps no
 * map (hugetlb_dup_vma_private): its close returns nothing to the pool
 */
export function fixup_hugetlb_reservations(k: Kernel, vma: VmArea): void {
  if (is_vm_hugetlb_page(vma)) hugetlb_dup_vma_private(k, vma);
}

// ---- migration (mm/rmap.c try_to_migrate_one, mm/migrate.c remove_migration_pte: their hugetlb branches) ----

/**
 * mm/rmap.c try_to_migrate_one() @v6.18 for a hugetlb mapping: the huge entry becomes a migration entry
 * (writable if it was, readable-exclusive for an exclusive anon page, with its young, dirty, soft-dirty and
 * uffd-wp bits), the mapping's reference dropped. An exclusive page that may be pinned stays (false)
 */
export function hugetlb_try_to_migrate_one(k: Kernel, slot: number, mm: MmStruct, t: PageTable, i: number): boolean {
  const g = k.pgt, f = k.folios;
  const e = t.get(i, new Pte());
  const pfn = g.pte_pfn(e);
  const anon_exclusive = k.has(PATCH.anonExclusive) && hugetlbExclusive(k, slot);
  // hugetlb_try_share_anon_rmap: a maybe-pinned exclusive page cannot be shared
  if (anon_exclusive && f.pincount(slot) > 0) return false;
  if (anon_exclusive) setHugetlbExclusive(k, slot, false);
  if (g.pte_dirty(e)) f.setFlag(slot, PG_dirty); // folio_mark_dirty
  const kind = g.pte_write(e) ? 2 : anon_exclusive ? 1 : 0;
  const swp = make_migration_entry(k, new Pte(), kind, pfn, g.pte_young(e), g.pte_dirty(e));
  if (g.pte_soft_dirty(e)) g.pte_swp_mksoft_dirty(swp);
  if (g.pte_uffd_wp(e) && k.has(PATCH.migrationUffdWp)) g.pte_swp_mkuffd_wp(swp);
  setHuge(k, { t, i }, swp, t.addrOf(i), 'try_to_migrate_one');
  hugetlb_remove_rmap(k, slot);
  f.setRefcount(slot, f.refcount(slot) - 1);
  return true;
}

/**
 * mm/migrate.c remove_migration_pte() @v6.18 for a hugetlb entry: a huge entry for the page `nslot` from
 * vm_page_prot (arch_make_huge_pte), soft-dirty, young and dirty from the entry, writable from a writable
 * entry, else uffd-wp from its bit; exclusive unless the entry was readable
 */
export function remove_migration_hugetlb(k: Kernel, nslot: number, vma: VmArea, t: PageTable, i: number, npfn: number): void {
  const g = k.pgt, f = k.folios;
  const old = t.get(i, new Pte());
  const kind = migrationKind(k, old);
  f.setRefcount(nslot, f.refcount(nslot) + 1);
  const n = g.pfn_pte(new Pte(), npfn, vma.vm_page_prot);
  if (g.pte_swp_soft_dirty(old)) g.pte_mksoft_dirty(n);
  if (!is_migration_entry_young(k, old)) g.pte_mkold(n);
  if (f.test(nslot, PG_dirty) && is_migration_entry_dirty(k, old)) g.pte_mkdirty(n);
  if (kind === 2) g.pte_mkwrite(n);
  else if (g.pte_swp_uffd_wp(old) && k.has(PATCH.migrationUffdWp)) g.pte_mkuffd_wp(n);
  g.pmd_mkhuge(n);
  // hugetlb_add_anon_rmap
  f.setMapcount(nslot, f.mapcount(nslot) + 1);
  if (k.has(PATCH.anonExclusive) && kind !== 0) setHugetlbExclusive(k, nslot, true);
  setHuge(k, { t, i }, n, t.addrOf(i), 'remove_migration_pte');
}

/**
 * the new page of a hugetlb migration (alloc_hugetlb_folio_nodemask, or a temporary surplus page when the pool
 * has none to spare; move_hugetlb_state then hands the old page's place in the pool to the new one): the pool's
 * counts do not change
 */
export function alloc_migration_hugetlb(k: Kernel, old: number): number {
  const f = k.folios, h = k.hstate;
  let flags = PG_hugetlb | (f.flags(old) & (PG_anon | PG_uptodate | PG_dirty));
  // a free page no reservation holds comes from the pool (its PG_dirty with it): the old one takes its place
  const fromPool = h.free_huge_pages - h.resv_huge_pages > 0;
  if (fromPool) {
    h.free_huge_pages--;
    flags |= dequeue_dirty(k) | PG_hugetlb_from_pool;
  }
  return f.alloc(HPAGE_PMD_ORDER, flags);
}
/** the old page of a migrated hugetlb folio: into the pool in the new one's place, or back to the buddy allocator */
export function free_migrated_hugetlb(k: Kernel, old: number, nslot: number): void {
  const f = k.folios;
  if (f.test(nslot, PG_hugetlb_from_pool)) {
    f.clearFlag(nslot, PG_hugetlb_from_pool);
    enqueue_dirty(k, f.test(old, PG_dirty));
    k.hstate.free_huge_pages++;
  }
  k.data.clearRange(f.pfn(old), f.nrPages(old));
  f.free(old);
}

// ---- userfaultfd ------------------------------------------------------------------------------------

/**
 * mm/userfaultfd.c mfill_atomic_hugetlb() @v6.18 with hugetlb_mfill_atomic_pte() (UFFDIO_COPY): huge page by
 * huge page, a page of the pool (taking the reservation) filled by `copy`, mapped dirty and young, writable
 * unless `wp` (then uffd-wp). EINVAL for a range off huge page boundaries; EEXIST for a populated page and
 * ENOMEM for an empty pool, thrown on the first page, else the bytes copied so far
 */
export function mfill_atomic_hugetlb(k: Kernel, mm: MmStruct, vma: VmArea, dst: number, len: number, wp: boolean, copy: (addr: number, pfn: number) => void,
  unreadable: (addr: number) => string | null = () => null): number {
  const g = k.pgt;
  if (dst % PMD_SIZE || len % PMD_SIZE) fail('EINVAL', 'a hugetlb destination or length that is not 2 MiB aligned');
  let copied = 0;
  // a shared mapping fills its file's page cache (hugetlb_mfill_atomic_pte @v6.12: EEXIST where the cache holds
  // the page, EFAULT past i_size)
  const mapping = (vma.vm_flags & VM_SHARED) && vma.vm_file !== 0 ? k.inode(vma.vm_file) : null;
  for (let a = dst; a < dst + len; a += PMD_SIZE) {
    const s: Slot = { t: pmdAllocTable(k, mm, a), i: pmd_index(a) };
    if (mapping) {
      const idx = vma_hugecache_offset(vma, a);
      const why = hugetlb_cache_folio(k, mapping, idx) >= 0 ? 'EEXIST' : idx >= Math.floor(mapping.i_size / PMD_SIZE) ? 'EFAULT' : null;
      if (why) {
        if (copied === 0) fail(why, why === 'EEXIST' ? `the page cache holds huge page ${idx} of the file already` : `huge page ${idx} is past the end of the file`);
        break;
      }
    }
    const cur = s.t.get(s.i, new Pte());
    // huge_pte_none_mostly: a marker (uffd-wp, poison) may be filled
    if (!g.pte_none(cur) && !is_pte_marker(k, cur)) {
      if (copied === 0) fail('EEXIST', `destination huge page 0x${a.toString(16)} is already populated`);
      break;
    }
    // copy_folio_from_user fails, and so does mfill_atomic's retry outside the lock: -EFAULT
    const bad = unreadable(a);
    if (bad) {
      if (copied === 0) fail('EFAULT', bad.replace(/^EFAULT: /, ''));
      break;
    }
    const slot = alloc_hugetlb_folio(k, vma, a, false);
    if (slot < 0) {
      if (copied === 0) fail('ENOMEM', 'no huge page in the pool for UFFDIO_COPY');
      break;
    }
    const pfn = k.folios.pfn(slot);
    copy(a, pfn);
    if (mapping) {
      hugetlb_add_to_page_cache(k, mapping, slot, vma_hugecache_offset(vma, a));
      hugetlb_add_file_rmap(k, slot);
    } else hugetlb_add_new_anon_rmap(k, slot);
    mfill_install_huge_pte(k, mm, vma, s, a, pfn, !wp, wp);
    copied += PMD_SIZE;
  }
  return copied;
}

/**
 * mm/hugetlb.c hugetlb_mfill_atomic_pte() @v6.12, its common end (COPY and CONTINUE): the huge entry made
 * (writable or not), dirty and young, uffd-wp with MODE_WP, set, and counted in the mm's hugetlb pages
 */
function mfill_install_huge_pte(k: Kernel, mm: MmStruct, vma: VmArea, s: Slot, a: number, pfn: number, writable: boolean, wp: boolean): void {
  const g = k.pgt;
  const e = make_huge_pte(k, vma, pfn, writable);
  g.pte_mkyoung(g.pte_mkdirty(e));
  if (wp) g.pte_mkuffd_wp(e);
  setHuge(k, s, e, a, 'hugetlb_mfill_atomic_pte');
  hugetlb_count_add(k, mm, HPAGE_PMD_NR);
}

/**
 * mm/userfaultfd.c mfill_atomic_hugetlb() @v6.6..v6.18 with MFILL_ATOMIC_POISON (hugetlb_mfill_atomic_pte's
 * POISON branch, 8a13897fb0da): huge page by huge page, the poison marker set where the entry is none; any other
 * entry, a marker too, is EEXIST (thrown on the first page, else the poisoning ends short). EINVAL off huge page
 * boundaries. Nothing is allocated or counted. The bytes poisoned
 */
export function mfill_atomic_hugetlb_poison(k: Kernel, mm: MmStruct, vma: VmArea, dst: number, len: number): number {
  const g = k.pgt;
  if (dst % PMD_SIZE || len % PMD_SIZE) fail('EINVAL', 'a hugetlb destination or length that is not 2 MiB aligned');
  let done = 0;
  for (let a = dst; a < dst + len; a += PMD_SIZE) {
    const s: Slot = { t: pmdAllocTable(k, mm, a), i: pmd_index(a) };
    // mfill_atomic_hugetlb: huge_pte_none_mostly first; then "don't overwrite any existing PTEs (even markers)"
    if (!g.pte_none(s.t.get(s.i, new Pte()))) {
      if (done === 0) fail('EEXIST', `destination huge page 0x${a.toString(16)} is not empty`);
      break;
    }
    setHuge(k, s, make_pte_marker(k, PTE_MARKER_POISONED), a, 'hugetlb_mfill_atomic_pte');
    done += PMD_SIZE;
  }
  void vma;
  return done;
}

/**
 * mm/userfaultfd.c mfill_atomic_hugetlb() @v6.12 with MFILL_ATOMIC_CONTINUE (hugetlb_mfill_atomic_pte's CONTINUE
 * branch): huge page by huge page, the page the file's cache holds at the index mapped (EFAULT where it holds none,
 * EEXIST where the entry is neither none nor a marker), dirty and young, writable only in a shared writable mapping
 * without MODE_WP (then uffd-wp). EINVAL off huge page boundaries; the first page's error is thrown, a later one
 * ends it short. The bytes mapped (mfill_atomic_continue's hugetlb branch)
 */
export function mfill_atomic_hugetlb_continue(k: Kernel, mm: MmStruct, vma: VmArea, dst: number, len: number, wp: boolean): number {
  const g = k.pgt, f = k.folios;
  if (dst % PMD_SIZE || len % PMD_SIZE) fail('EINVAL', 'a hugetlb destination or length that is not 2 MiB aligned');
  const mapping = vma.vm_file !== 0 ? k.inode(vma.vm_file) : null;
  const shared = (vma.vm_flags & VM_SHARED) !== 0;
  // __mcopy_atomic_hugetlb @v5.13..v6.8: a private VMA gets its anon_vma first (from 867a43a34ff8, v6.9,
  // uffd_mfill_lock gives a private writable one its anon_vma before: find_dst_vma)
  if (!shared && !k.has(PATCH.uffdMfillVmaLock)) anon_vma_prepare(mm, vma);
  let done = 0;
  for (let a = dst; a < dst + len; a += PMD_SIZE) {
    const idx = vma_hugecache_offset(vma, a);
    const slot = mapping ? hugetlb_cache_folio(k, mapping, idx) : -1;
    if (slot < 0) {
      if (done === 0) fail('EFAULT', `no huge page at index ${idx} in the page cache`);
      break;
    }
    const s: Slot = { t: pmdAllocTable(k, mm, a), i: pmd_index(a) };
    const cur = s.t.get(s.i, new Pte());
    if (!g.pte_none(cur) && !is_pte_marker(k, cur)) {
      if (done === 0) fail('EEXIST', `destination huge page 0x${a.toString(16)} is already populated`);
      break;
    }
    // filemap_lock_hugetlb_folio's reference is the entry's
    f.setRefcount(slot, f.refcount(slot) + 1);
    // a page-cache page: a file rmap, from ab74ef708dc5 (v6.0); before, the rmap followed vm_shared, so a
    // CONTINUE in a private mapping made the cache's page anonymous (hugepage_add_new_anon_rmap: PageAnon,
    // mapcount reset to one), which a later write fault then reused in place instead of copying
    if (shared || k.has(PATCH.hugetlbContinueFileRmap)) hugetlb_add_file_rmap(k, slot);
    else {
      hugetlb_add_new_anon_rmap(k, slot);
      f.setFlag(slot, PG_hugetlb_cache_anon);
    }
    mfill_install_huge_pte(k, mm, vma, s, a, f.pfn(slot), shared && !wp, wp);
    done += PMD_SIZE;
  }
  return done;
}

/**
 * fs/userfaultfd.c userfaultfd_huge_must_wait() @v6.18: the faulting thread sleeps while the huge entry is
 * none or a marker, or, for a WP fault, not writable
 */
export function userfaultfd_huge_must_wait(k: Kernel, mm: MmStruct, address: number, reason: number): boolean {
  const g = k.pgt;
  const s = hugetlb_walk(k, mm, Math.floor(address / PMD_SIZE) * PMD_SIZE);
  if (!s) return true;
  const e = s.t.get(s.i, new Pte());
  if (g.pte_none(e) || is_pte_marker(k, e)) return true;
  return !g.pte_write(e) && (reason & VM_UFFD_WP) !== 0;
}

// ---- madvise ---------------------------------------------------------------------------------------

/**
 * mm/madvise.c madvise_dontneed_free_valid_vma() @v6.18 for a hugetlb VMA: the end a MADV_DONTNEED of
 * [start, end) zaps to (EINVAL for MADV_FREE and for a start off a huge page boundary). From 90e7e7f5ef3f
 * (v5.18) the end was rounded up to the huge page size; from 8ebe0a5eaaeb (v6.1, corpus 36) it is rounded
 * down, so a 4 KiB request zaps nothing. Before 90e7e7f5ef3f, EINVAL on any hugetlb VMA
 */
export function hugetlb_dontneed_end(k: Kernel, vma: VmArea, start: number, end: number, dontneed: boolean): number {
  if (!k.has(PATCH.madvDontneedHugetlb)) fail('EINVAL', 'MADV_DONTNEED on a hugetlb mapping (before 90e7e7f5ef3f, v5.18)');
  if (!dontneed) fail('EINVAL', 'MADV_FREE on a hugetlb mapping');
  if (start % PMD_SIZE !== 0) fail('EINVAL', 'MADV_DONTNEED of a hugetlb mapping at an address that is not 2 MiB aligned');
  const e = k.has(PATCH.madvDontneedHugetlbAlignDown) ? Math.floor(end / PMD_SIZE) * PMD_SIZE : Math.ceil(end / PMD_SIZE) * PMD_SIZE;
  return Math.min(e, vma.vm_end);
}

// ---- /proc ---------------------------------------------------------------------------------------------

const bit = (n: number) => 1n << BigInt(n);

/** fs/proc/task_mmu.c pagemap_hugetlb_range() @v6.18: one 4 KiB entry of a hugetlb VMA (with the PFN) */
export function pagemap_hugetlb_entry(k: Kernel, mm: MmStruct, vma: VmArea, addr: number): bigint {
  const g = k.pgt, f = k.folios;
  let flags = 0n, frame = 0n;
  if (vma.vm_flags & VM_SOFTDIRTY) flags |= bit(PM.soft_dirty);
  const s = hugetlb_walk(k, mm, addr);
  if (!s) return flags;
  const e = s.t.get(s.i, new Pte());
  if (g.pte_present(e)) {
    const slot = f.slotOf(g.pte_pfn(e));
    if (!f.test(slot, PG_anon)) flags |= bit(PM.file);
    if (f.mapcount(slot) === 1) flags |= bit(PM.mmap_exclusive);
    if (g.pte_uffd_wp(e)) flags |= bit(PM.uffd_wp);
    flags |= bit(PM.present);
    frame = BigInt(g.pte_pfn(e) + Math.floor((addr % PMD_SIZE) / PAGE_SIZE));
  } else if (!g.pte_none(e) && pte_swp_uffd_wp_any(k, e)) {
    flags |= bit(PM.uffd_wp);
  }
  return flags | frame;
}

/** /proc/meminfo's hugetlb lines (hugetlb_report_meminfo @v6.18) */
export function hugetlb_meminfo(k: Kernel): Record<string, number> {
  const h = k.hstate;
  return {
    HugePages_Total: h.nr_huge_pages, HugePages_Free: h.free_huge_pages, HugePages_Rsvd: h.resv_huge_pages,
    HugePages_Surp: h.surplus_huge_pages,
  };
}


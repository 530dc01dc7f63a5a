// fork(): dup_mmap and copy_page_range for private anonymous memory (kernel/fork.c, mm/memory.c
// copy_present_pte / copy_huge_pmd @v4.19 and @v6.12).
import type { Kernel } from '../kernel.js';
import { Pte } from '../arch/x86/include/pte.js';
import type { Slot } from '../mm/pgtable.js';
import { HPAGE_PMD_NR, PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import { MmStruct, VmArea } from '../include/mm_types.js';
import { anon_vma_fork, unlink_anon_vmas } from '../mm/vma.js';
import { VM_DONTCOPY, VM_UFFD_WP, VM_WIPEONFORK, VM_SHARED, VM_MAYWRITE, VM_HUGETLB, VM_MAYBE_GUARD } from '../include/vm_flags.js';
import { copy_hugetlb_page_range, hugetlb_dup_vma_private } from '../mm/hugetlb.js';
import { dup_userfaultfd, userfaultfd_reset_ctx, userfaultfd_wp } from '../fs/userfaultfd.js';
import { PATCH } from '../../profiles/patches.js';
import { PG_anon } from '../mm/folio.js';
import { folio_try_dup_anon_rmap_pmd, page_dup_rmap } from '../mm/rmap.js';
import { is_guard_marker, is_poisoned_marker, make_pte_marker, PTE_MARKER_GUARD, PTE_MARKER_POISONED, vm_normal_page } from '../mm/memory.js';
import { forEachPmd } from '../mm/pagewalk.js';
import { is_huge_zero_pmd } from '../mm/huge_memory.js';
import { pte_index, PageTable } from '../mm/pgtable.js';
import { folio_maybe_dma_pinned } from '../mm/gup.js';
import { folio_add_new_anon_rmap } from '../mm/rmap.js';
import { __split_huge_pmd } from '../mm/huge_memory.js';
import { maybe_mkwrite } from '../mm/memory.js';
import { swap_duplicate, swpOffsetOf } from '../mm/swapfile.js';
import { is_migration_entry, make_readable_migration, migrationKind } from '../mm/migrate.js';
import { pmdAlloc, pte_alloc, pte_offset_map } from '../mm/pagewalk.js';
import { copy_shmem_files } from '../mm/shmem.js';

/** is_cow_mapping: private and may be written */
function is_cow_mapping(flags: number): boolean {
  return (flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
}

/**
 * kernel/fork.c copy_files() @v6.18 (dup_fd): the child's fd table is a copy of the parent's, so every
 * userfaultfd file open in the parent is open in the child too (one more reference to release)
 */
export function copy_files(k: Kernel, parent: MmStruct, child: MmStruct): void {
  for (const ctx of k.uffds) if (ctx.openIn(parent)) ctx.files = (ctx.files | (1 << child.id)) >>> 0;
  copy_shmem_files(k, parent, child);
}

/** dup_mmap: the child's address space */
export function dup_mmap(k: Kernel, parent: MmStruct): MmStruct {
  const child = k.newMm();
  for (const v of parent.vmas) {
    if (v.vm_flags & VM_DONTCOPY) continue;
    const c = v.dup();
    // a VM_WIPEONFORK VMA gets its anon_vma at its first fault; the others are linked to the parent's
    // anon_vmas and get one of their own (anon_vma_fork)
    if (v.vm_flags & VM_WIPEONFORK) unlink_anon_vmas(c);
    else anon_vma_fork(k, c, v);
    // dup_userfaultfd: without UFFD_FEATURE_EVENT_FORK the child is not registered; with it, the child's
    // VMA keeps its modes in a new context of the child's, announced by a FORK event after the copy
    if (c.uffd) {
      // (a shared VMA that leaves a WP registration gets its vm_page_prot again: userfaultfd_set_vm_flags)
      const nctx = dup_userfaultfd(k, c.uffd, child);
      if (nctx) c.uffd = nctx;
      else userfaultfd_reset_ctx(k, c);
    }
    // hugetlb_dup_vma_private: the child's private hugetlb mapping has no reservations of its own
    if (c.vm_flags & VM_HUGETLB) hugetlb_dup_vma_private(k, c);
    child.insertVma(child.vmas.length, c);
    if (v.vm_flags & VM_HUGETLB) {
      // copy_page_range: hugetlb has its own copy; vma_needs_copy held for VM_HUGETLB until bcd51a3c679d (v6.0),
      // from which a hugetlb VMA without an anon_vma (a shared one) is left to refault from the page cache
      if (!(v.vm_flags & VM_WIPEONFORK) && (!k.has(PATCH.hugetlbLazyForkCopy) || vma_needs_copy(k, c, v))) copy_hugetlb_page_range(k, child, parent, c, v);
    } else if (!(v.vm_flags & VM_WIPEONFORK) && vma_needs_copy(k, c, v)) copy_page_range(k, c, v, child, parent);
  }
  k.tr?.emit('fork', 'dup_mmap', { vmas: child.vmas.length });
  return child;
}

/** mm/memory.c vma_needs_copy() @v6.18 (no VM_PFNMAP/MIXEDMAP/HUGETLB here): an anon_vma, or (c56d1b62cce8, v5.19) a child registered for WP */
function vma_needs_copy(k: Kernel, dst: VmArea, src: VmArea): boolean {
  if (k.has(PATCH.forkCopyUffdWpVma) && userfaultfd_wp(dst)) return true;
  if (src.anon_vma !== null) return true;
  // VM_COPY_ON_FORK (ab04b530e7e8, with 49e14dabed7a): a VMA that may hold guard markers (VM_PFNMAP and
  // VM_MIXEDMAP, in the same mask, do not occur here)
  return k.has(PATCH.guardVmaFlag) && (src.vm_flags & VM_MAYBE_GUARD) !== 0;
}

/** copy_page_range: share every anonymous page with the child, write-protected in both */
/**
 * mm/huge_memory.c copy_huge_pmd() @v6.18 for a PMD migration entry (is_swap_pmd): a writable or exclusive
 * entry becomes readable in the parent too (uffd-wp kept from 8f34f1eac382, v5.14), the child gets the same
 * entry and the rss, without uffd-wp unless its VMA is registered for WP. Before 8f34f1eac382 the child's
 * entry went through pmd_clear_uffd_wp(), the present-PMD helper, when the parent's VMA was not registered:
 * on x86 that clears bit 10 of the swap entry, a bit of its (inverted) offset, so the child's entry refers
 * to another page (the fork crash of 5.10..5.13 that Hugh Dickins tracked down)
 */
function copy_huge_pmd_migration(k: Kernel, src: VmArea, dmm: MmStruct, spmd: Slot, e: Pte, addr: number, cow: boolean, keepWp: boolean): void {
  const g = k.pgt;
  const fixed = k.has(PATCH.uffdWpForkChildVma);
  if (migrationKind(k, e) !== 0 && cow) {
    const r = make_readable_migration(k, new Pte(), e);
    if (fixed && g.pte_swp_uffd_wp(e)) g.pte_swp_mkuffd_wp(r);
    spmd.t.set(spmd.i, r);
    e.copyFrom(r);
  }
  dmm.anonPages += HPAGE_PMD_NR;
  const c = e.clone();
  if (fixed) {
    if (!keepWp) g.pte_swp_clear_uffd_wp(c);
  } else if (k.has(PATCH.uffdWpApplyBit) && !keepWp) g.pmd_clear_uffd_wp(c);
  const d = pmdAlloc(k, dmm, addr);
  d.t.set(d.i, c);
  void src;
}

function copy_page_range(k: Kernel, dst: VmArea, src: VmArea, dmm: MmStruct, smm: MmStruct): void {
  const g = k.pgt;
  const f = k.folios;
  const e = new Pte();
  const cow = is_cow_mapping(src.vm_flags);
  // b569a1760782 (v5.7) drops the uffd-wp bit when the VMA is not registered for WP, but tested the
  // parent's VMA until 8f34f1eac382 (v5.14) looked at the child's
  const keepWp = ((k.has(PATCH.uffdWpForkChildVma) ? dst : src).vm_flags & VM_UFFD_WP) !== 0;
  forEachPmd(k, smm, src.vm_start, src.vm_end, false, (spmd, addr, next) => {
    spmd.t.get(spmd.i, e);
    if (g.pmd_none(e)) return;
    if (is_migration_entry(k, e)) {
      copy_huge_pmd_migration(k, src, dmm, spmd, e, addr, cow, keepWp);
      return;
    }
    // copy_huge_pmd @v6.18: a file VMA's huge PMD is not copied, the child refaults it (shmthp)
    if (g.pmd_trans_huge(e) && dst.vm_file !== 0) return;
    if (g.pmd_trans_huge(e) && !is_huge_zero_pmd(k, e) && cow && page_needs_cow_for_dma(k, smm, f.slotOf(g.pmd_pfn(e)), g.pmd_pfn(e))) {
      // copy_huge_pmd: a maybe-pinned THP is not shared: its PMD is split and the PTEs copied (-EAGAIN)
      __split_huge_pmd(k, smm, src, spmd, addr, false);
      spmd.t.get(spmd.i, e);
    }
    if (g.pmd_trans_huge(e)) {
      // copy_huge_pmd
      const d = pmdAlloc(k, dmm, addr);
      if (is_huge_zero_pmd(k, e) && !k.has(PATCH.hugeZeroPmdForkCopies)) {
        // before 5fc7a5f6fd04 (v5.14): set_huge_zero_page() builds the child's entry afresh from the VMA's
        // vm_page_prot (mm/huge_memory.c copy_huge_pmd() @v5.13): young, and the uffd-wp bit is not carried
        const c = g.mk_huge_pmd(new Pte(), g.pmd_pfn(e), src.vm_page_prot);
        d.t.set(d.i, c);
        return;
      }
      if (!is_huge_zero_pmd(k, e)) {
        const slot = f.slotOf(g.pmd_pfn(e));
        folio_try_dup_anon_rmap_pmd(k, slot, dmm);
        if (k.has(PATCH.anonExclusive)) f.setPageAnonExclusive(slot, f.pfn(slot), false);
        dmm.anonPages += HPAGE_PMD_NR; // add_mm_counter(dst_mm, MM_ANONPAGES, HPAGE_PMD_NR)
        if (cow) {
          g.pmd_wrprotect(e);
          spmd.t.set(spmd.i, e);
        }
      }
      const c = e.clone();
      g.pmd_mkold(c);
      if (!keepWp) g.pmd_clear_uffd_wp(c);
      d.t.set(d.i, c);
      return;
    }
    const st = pte_offset_map(k, smm, spmd);
    if (!st) return;
    const dpmd = pmdAlloc(k, dmm, addr);
    const dt = pte_alloc(k, dmm, dpmd);
    for (let a = addr; a < next; a += PAGE_SIZE) {
      const i = pte_index(a);
      if (st.isNone(i)) continue;
      st.get(i, e);
      if (!g.pte_present(e)) {
        if (is_migration_entry(k, e)) {
          // copy_nonpresent_pte @v6.18: a migration entry counts in the child's rss; in a COW mapping a
          // writable or exclusive one becomes readable in both (soft-dirty kept, uffd-wp from f45ec5ff16a7)
          dmm.anonPages++;
          if (migrationKind(k, e) !== 0 && cow) {
            const r = make_readable_migration(k, new Pte(), e);
            if (g.pte_swp_uffd_wp(e) && k.has(PATCH.migrationUffdWp)) g.pte_swp_mkuffd_wp(r);
            st.set(i, r);
            e.copyFrom(r);
          }
          const c = e.clone();
          // the child keeps uffd-wp only where its VMA is registered for WP (8f34f1eac382); before, the
          // non-present path of copy_one_pte returned before b569a1760782's clear
          if (k.has(PATCH.uffdWpForkChildVma) && !keepWp) g.pte_swp_clear_uffd_wp(c);
          dt.set(i, c);
          continue;
        }
        const off = swpOffsetOf(k, e);
        if (off >= 0) {
          // copy_nonpresent_pte @v6.18: the slot gets the child's reference; an exclusive swap PTE is
          // shared from now on (the parent's loses the bit too); the child keeps uffd-wp only with WP
          swap_duplicate(k, off);
          if (g.pte_swp_exclusive(e)) {
            g.pte_swp_clear_exclusive(e);
            st.set(i, e);
          }
          dmm.swapEnts++;
          const c = e.clone();
          if (!keepWp) g.pte_swp_clear_uffd_wp(c);
          dt.set(i, c);
          continue;
        }
        // PTE markers: without WP on the child VMA they are dropped (49d6d7fb6313, v6.2); from c56d1b62cce8
        // (v5.19) until then copy_nonpresent_pte() copied them whatever the child VMA (mm/memory.c @v6.1).
        // copy_pte_marker @v6.6..v6.18: the poison marker is always copied, afresh (a uffd-wp bit that
        // PAGEMAP_SCAN set on it stays behind)
        // (v6.13..v6.18: the guard marker likewise, whatever the child VMA)
        if (is_poisoned_marker(k, e)) dt.set(i, make_pte_marker(k, PTE_MARKER_POISONED));
        else if (is_guard_marker(k, e)) dt.set(i, make_pte_marker(k, PTE_MARKER_GUARD));
        else if (keepWp || !k.has(PATCH.uffdWpMarkerForkDrop)) dt.set(i, e);
        continue;
      }
      const slot = vm_normal_page(k, src, e);
      if (slot >= 0 && cow && f.test(slot, PG_anon) && page_needs_cow_for_dma(k, smm, slot, g.pte_pfn(e))) {
        copy_present_page(k, dst, dmm, dt, i, a, e, slot);
        continue;
      }
      if (slot >= 0) {
        page_dup_rmap(k, slot, g.pte_pfn(e), dmm);
        if (k.has(PATCH.anonExclusive) && f.test(slot, PG_anon)) f.setPageAnonExclusive(slot, g.pte_pfn(e), false);
        if (f.test(slot, PG_anon)) dmm.anonPages++; // rss[mm_counter(folio)]++
        else dmm.shmemPages++;
      }
      if (cow && g.pte_write(e)) {
        g.pte_wrprotect(e);
        st.set(i, e);
      }
      const c = e.clone();
      // (__copy_present_ptes @v6.18, copy_one_pte before: a shared mapping's copy is clean in the child, so the
      // page's dirtiness stays with the parent's PTE; such a VMA is copied only for uffd-wp or guard markers)
      if (src.vm_flags & VM_SHARED) g.pte_mkclean(c);
      g.pte_mkold(c);
      if (!keepWp) g.pte_clear_uffd_wp(c);
      dt.set(i, c);
    }
  });
}

/**
 * Must fork copy this anonymous page now instead of sharing it? 70e806e4e645 (v5.9): the parent has pinned
 * pages (MMF_HAS_PINNED) and this one may be pinned; from 6c287605fd56 (v5.19) folio_try_dup_anon_rmap_pte
 * refuses (-EBUSY) to share an exclusive page that may be pinned, whatever the mm's flag said before
 */
function page_needs_cow_for_dma(k: Kernel, smm: MmStruct, slot: number, pfn: number): boolean {
  if (slot < 0 || !k.folios.test(slot, PG_anon)) return false;
  if (k.has(PATCH.anonExclusive)) return k.folios.pageAnonExclusive(slot, pfn) && smm.hasPinned && folio_maybe_dma_pinned(k, slot);
  if (!k.has(PATCH.forkEarlyCowPinned)) return false;
  return smm.hasPinned && folio_maybe_dma_pinned(k, slot);
}

/**
 * copy_present_page (mm/memory.c @v5.9, @v6.18): the child gets a copy of a pinned page, mapped writable and
 * dirty where its VMA may be written, exclusive to it; the parent keeps its page and PTE as they are
 */
function copy_present_page(k: Kernel, dst: VmArea, dmm: MmStruct, dt: PageTable, i: number, addr: number, srcPte: Pte, slot: number): void {
  const g = k.pgt;
  const nslot = k.folios.alloc(0, 0);
  const npfn = k.folios.pfn(nslot);
  k.data.copyPage(npfn, g.pte_pfn(srcPte));
  folio_add_new_anon_rmap(k, nslot, false, dmm);
  dmm.anonPages++;
  const c = maybe_mkwrite(k, g.pte_mkdirty(g.pfn_pte(new Pte(), npfn, dst.vm_page_prot)), dst);
  // the copy keeps the parent PTE's uffd-wp (write-protected) where the child's VMA is registered for WP
  // from 8f34f1eac382 (v5.14); before, it was mapped writable without the bit (corpus 9 (b))
  if (k.has(PATCH.uffdWpForkChildVma) && (dst.vm_flags & VM_UFFD_WP) && g.pte_uffd_wp(srcPte)) g.pte_mkuffd_wp(c);
  dt.set(i, c);
  k.tr?.emit('wp_page_copy', 'copy_present_page', { addr, old_pfn: g.pte_pfn(srcPte), new_pfn: npfn, why: 'fork: the page may be pinned' });
  void slot;
}

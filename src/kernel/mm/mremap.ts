// mremap(2) (mm/mremap.c @v4.19, @v5.7, @v6.1, @v6.12, @v6.18) of private anonymous memory, and of shared
// anonymous memory and memfd/tmpfs files mapped shared or privately (their vm_pgoff carried, their PTEs moved
// like anonymous ones): resizing in place, moving a VMA with its page tables (entry by entry, a whole PTE
// table, or a huge PMD), MREMAP_FIXED, MREMAP_DONTUNMAP, the duplication of a shared mapping (old_len 0), and
// the userfaultfd side (UFFD_EVENT_REMAP, or the moved VMA leaving its uffd). A hugetlb VMA (private or shared)
// shrinks and moves in whole huge pages (align_hugetlb, move_hugetlb_page_tables in hugetlb.ts); it never grows.
// Releases differ in rows x86-move-pmd, mremap-dontunmap, mremap-dontunmap-any-vma, mremap-realign,
// mremap-clear-uffd-wp and mremap-hugetlb (and in vma_merge's case 3, vma.ts).
import type { Kernel } from '../kernel.js';
import { VM_HUGETLB } from '../include/vm_flags.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { Pte } from '../arch/x86/include/pte.js';
import { PAGE_SIZE, PMD_SIZE, TASK_SIZE } from '../arch/x86/include/pgtable_types.js';
import { MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, UFFD_FEATURE } from '../include/uapi.js';
import { VM_DONTEXPAND, VM_PFNMAP, VM_SHARED, VM_MAYSHARE, VM_UFFD_WP, VM_ACCOUNT } from '../include/vm_flags.js';
import { fail, notModelled } from '../include/errno.js';
import { PATCH } from '../../profiles/patches.js';
import type { UnmapEvents, UserfaultfdCtx } from '../fs/userfaultfd.js';
import { userfaultfd_armed, userfaultfd_reset_ctx, userfaultfd_unmap_prep_vma, vma_has_uffd_without_event_remap } from '../fs/userfaultfd.js';
import { do_munmap, vma_lookup, vmas_in, vma_is_anonymous, MMAP_BASE } from './mmap.js';
import { vma_merge_new_range, unlink_anon_vmas } from './vma.js';
import { isUffdWpMarker } from './memory.js';
import { __split_huge_pmd, haddrOf, set_pmd_at } from './huge_memory.js';
import { is_migration_entry } from './migrate.js';
import { fixup_hugetlb_reservations, hugetlb_vma_resv_owner, move_hugetlb_page_tables } from './hugetlb.js';
import { LEVEL_PGD, LEVEL_PMD, LEVEL_PUD, LEVEL_PTE, childTable, levelIndex, pmd_index, pte_index, PageTable, tableEntry, type Slot } from './pgtable.js';
import { pmdTable, pmdAlloc, pte_alloc, pteTableAt, pudAllocTable } from './pagewalk.js';

const PUD_SIZE = 2 ** 30;

/**
 * The userfaultfd events an mremap sends once its work is done, in the kernel's order (notify_uffd): the
 * UNMAP events of the MREMAP_FIXED destination's munmap (uf_unmap_early: one munmap per VMA piece v6.17's
 * remap_move moves, in the order of the pieces), REMAP (vm_userfaultfd_ctx uf), then the UNMAP events of
 * the shrunk tail and of the old range (uf_unmap). Each context in a list was counted in its mmap_changing
 * when the event was prepared.
 */
export interface MremapUf {
  early: UnmapEvents[];
  remap: { ctx: UserfaultfdCtx; from: number; to: number; len: number } | null;
  late: UnmapEvents[];
  /**
   * the lengths a hugetlb VMA's move was made of (align_hugetlb rounds them up to the huge page size), which its
   * events are of too; null for any other VMA (the call's lengths, page-rounded)
   */
  hugetlbLens: { old_len: number; new_len: number } | null;
}
export type { UnmapEvents };

/**
 * do_vmi_munmap with a uffd unmap list: userfaultfd_unmap_prep of each VMA it gathers, once that VMA's splits
 * are done (vms_gather_munmap_vmas); the events of the VMAs gathered go out even when a later split fails
 * the call (a hugetlb VMA off a huge page boundary; from 65ac132027a8, v6.5: before, every split came first),
 * and none when the first does
 */
function munmap_uf(k: Kernel, mm: MmStruct, start: number, len: number, list: UnmapEvents[]): void {
  const end = start + len;
  const ctxs: UserfaultfdCtx[] = [];
  try {
    do_munmap(k, mm, start, len, (v) => userfaultfd_unmap_prep_vma(v, ctxs));
  } finally {
    if (ctxs.length) list.push({ ctxs, start, end });
  }
}

/**
 * fs/userfaultfd.c mremap_userfaultfd_prep() @v6.18 (the same @v4.19): the new VMA's context keeps it only
 * with UFFD_FEATURE_EVENT_REMAP, whose event is then prepared; otherwise the VMA leaves the context
 * (userfaultfd_reset_ctx: VM_UFFD_* cleared, no merge)
 */
function mremap_userfaultfd_prep(k: Kernel, new_vma: VmArea, uf: MremapUf, from: number, to: number, len: number): void {
  const ctx = new_vma.uffd;
  if (!ctx) return;
  if (ctx.features & UFFD_FEATURE.event_remap) {
    ctx.mmap_changing = ctx.mmap_changing + 1;
    uf.remap = { ctx, from, to, len };
    return;
  }
  const wp = (new_vma.vm_flags & VM_UFFD_WP) !== 0;
  userfaultfd_reset_ctx(k, new_vma);
  // before 0cef0bb836e3 the moved entries keep their uffd-wp bits in the unregistered VMA (debug_vm bookkeeping)
  if (wp && !k.has(PATCH.mremapClearUffdWp)) new_vma.uffd_wp_left = true;
}

// ---- page tables ------------------------------------------------------------------------------------

const mvOld = new Pte(), mvNew = new Pte();

/** mm/mremap.c move_soft_dirty_pte() @v6.18: a moved entry is soft-dirty (present or swap-like) */
function move_soft_dirty_pte(k: Kernel, e: Pte): void {
  if (!k.config.soft_dirty) return;
  const g = k.pgt;
  if (g.pte_present(e)) g.pte_mksoft_dirty(e);
  else if (g.is_swap_pte(e)) g.pte_swp_mksoft_dirty(e);
}

/**
 * mm/mremap.c move_ptes() @v6.18 (@v4.19 without the uffd-wp part): each entry of [old_addr, old_addr+extent)
 * taken from the old table and set in the new one, soft-dirty; with 0cef0bb836e3 a VMA whose uffd gets
 * no REMAP events loses the uffd-wp bits (a uffd-wp marker is dropped)
 */
function move_ptes(k: Kernel, mm: MmStruct, vma: VmArea, oldT: PageTable, old_addr: number, extent: number, newT: PageTable, new_addr: number): void {
  const g = k.pgt;
  const need_clear_uffd_wp = k.has(PATCH.mremapClearUffdWp) && vma_has_uffd_without_event_remap(vma);
  for (let off = 0; off < extent; off += PAGE_SIZE) {
    const oi = pte_index(old_addr + off), ni = pte_index(new_addr + off);
    if (oldT.isNone(oi)) continue;
    const e = oldT.get(oi, mvOld).clone();
    oldT.clear(oi);
    move_soft_dirty_pte(k, e);
    if (need_clear_uffd_wp && isUffdWpMarker(k, e)) continue; // pte_clear
    if (need_clear_uffd_wp) {
      if (g.pte_present(e)) g.pte_clear_uffd_wp(e);
      else if (g.is_swap_pte(e)) g.pte_swp_clear_uffd_wp(e);
    }
    newT.set(ni, e);
  }
  void mm;
  k.tr?.emit('mremap', 'move_ptes', { old_addr, new_addr, len: extent, clear_uffd_wp: need_clear_uffd_wp });
}

/**
 * mm/huge_memory.c move_huge_pmd() @v6.18: a huge PMD (or a PMD migration entry) moved whole into an empty
 * PMD, soft-dirty (move_soft_dirty_pmd); with 0cef0bb836e3 its uffd-wp bit is cleared where the VMA's uffd
 * gets no REMAP events (clear_uffd_wp_pmd)
 */
function move_huge_pmd(k: Kernel, vma: VmArea, old_addr: number, new_addr: number, oldPmd: Slot, newPmd: Slot): boolean {
  const g = k.pgt;
  if (!newPmd.t.isNone(newPmd.i)) return false;
  const e = oldPmd.t.get(oldPmd.i, mvOld).clone();
  oldPmd.t.clear(oldPmd.i);
  if (k.config.soft_dirty) {
    if (is_migration_entry(k, e)) g.pte_swp_mksoft_dirty(e);
    else if (g.pmd_present(e)) g.pmd_mksoft_dirty(e);
  }
  if (k.has(PATCH.mremapClearUffdWp) && vma_has_uffd_without_event_remap(vma)) {
    if (g.pmd_present(e)) g.pmd_clear_uffd_wp(e);
    else g.pte_swp_clear_uffd_wp(e);
  }
  set_pmd_at(k, newPmd, e, new_addr, 'move_huge_pmd');
  void old_addr;
  return true;
}

/**
 * mm/mremap.c move_normal_pmd() @v6.18 (x86 from 9f132f7e1455, v5.0): the PTE table under the old PMD
 * becomes the new PMD's, its entries untouched (no soft-dirty, uffd-wp kept); refused where the new PMD is
 * not empty, and from 0cef0bb836e3 for a VMA whose uffd gets no REMAP events
 */
function move_normal_pmd(k: Kernel, mm: MmStruct, vma: VmArea, new_vma: VmArea, oldPmd: Slot, newPmd: Slot, new_addr: number): boolean {
  if (!(k.has(PATCH.x86MovePmd) || k.has(PATCH.arm64MovePmd))) return false;
  if (!newPmd.t.isNone(newPmd.i)) return false;
  // uffd_supports_page_table_move (v6.17 checks both VMAs; the new one has the old one's context here)
  if (k.has(PATCH.mremapClearUffdWp) && (vma_has_uffd_without_event_remap(vma) || vma_has_uffd_without_event_remap(new_vma))) return false;
  const t = pteTableAt(k, mm, oldPmd.t, oldPmd.i);
  if (t === null) return false; // racing with collapse: not present, or a leaf
  oldPmd.t.clear(oldPmd.i);
  // the table's page now maps the new range: its base moves with it (pmd_populate of the same page)
  const moved = k.tableMade(PageTable.create(k.pgtE, k.pgtM, t.slot, t.pfn, LEVEL_PTE, haddrOf(new_addr)));
  newPmd.t.set(newPmd.i, tableEntry(k, moved, mvNew));
  mm.pmdCacheKey = -1;
  mm.pmdCacheTable = null;
  mm.pteCacheTable = null;
  k.tr?.emit('mremap', 'move_normal_pmd', { old_addr: t.base, new_addr: haddrOf(new_addr) });
  return true;
}

/**
 * mm/mremap.c move_normal_pud() @v6.18 (c49dd3401802; x86 from be37c98d1134, v5.11): the PMD table under the
 * old PUD entry becomes the new entry's, its huge PMDs and PTE tables untouched (no soft-dirty); refused where
 * the new entry is not empty, and as move_normal_pmd for a VMA whose uffd gets no REMAP events. False where
 * the old entry is none too (the caller's PMD loop then finds nothing to move either).
 */
function move_normal_pud(k: Kernel, mm: MmStruct, vma: VmArea, new_vma: VmArea, old_addr: number, new_addr: number): boolean {
  const oldPud = childTable(k, mm, mm.pgd, levelIndex(LEVEL_PGD, old_addr));
  if (oldPud === null) return false;
  const oi = levelIndex(LEVEL_PUD, old_addr);
  const t = childTable(k, mm, oldPud, oi);
  if (t === null) return false;
  // alloc_new_pud
  const newPud = pudAllocTable(k, mm, new_addr);
  const ni = levelIndex(LEVEL_PUD, new_addr);
  if (!newPud.isNone(ni)) return false;
  if (k.has(PATCH.mremapClearUffdWp) && (vma_has_uffd_without_event_remap(vma) || vma_has_uffd_without_event_remap(new_vma))) return false;
  oldPud.clear(oi);
  // the PMD table's page now maps the new gigabyte (pud_populate of the same page), and so do the PTE tables under it
  const moved = k.tableMade(PageTable.create(k.pgtE, k.pgtM, t.slot, t.pfn, LEVEL_PMD, new_addr));
  for (let i = 0; i < 512; i++) {
    const c = childTable(k, mm, moved, i);
    if (c !== null) k.tableMade(PageTable.create(k.pgtE, k.pgtM, c.slot, c.pfn, LEVEL_PTE, moved.addrOf(i)));
  }
  newPud.set(ni, tableEntry(k, moved, mvNew));
  mm.pmdCacheKey = -1;
  mm.pmdCacheTable = null;
  mm.pteCacheTable = null;
  k.tr?.emit('mremap', 'move_normal_pud', { old_addr, new_addr });
  return true;
}

/** mm/mremap.c can_align_down() @v6.18 (not for stack moves): addr starts its VMA and nothing is mapped below it down to the boundary */
function can_align_down(mm: MmStruct, vma: VmArea, addr: number, size: number): boolean {
  if (vma.vm_start !== addr) return false;
  const masked = Math.floor(addr / size) * size;
  return vmas_in(mm, masked, vma.vm_start).length === 0;
}

/**
 * mm/mremap.c move_page_tables() @v6.18: PMD by PMD over the old range; a huge PMD moves whole when the
 * extent is a whole PMD (else it is split first), a PTE table moves whole when the extent covers it
 * (move_normal_pmd), otherwise entry by entry (move_ptes). From af8ca1c14906 (v6.7) the start is first
 * realigned down to a PMD boundary where that is safe. A hugetlb VMA's entries move huge page by huge page
 * (move_hugetlb_page_tables, hugetlb.ts). Returns the length moved.
 */
export function move_page_tables(k: Kernel, mm: MmStruct, vma: VmArea, old_addr: number, new_vma: VmArea, new_addr: number, len: number): number {
  if (len === 0) return 0;
  if (vma.vm_flags & VM_HUGETLB) return move_hugetlb_page_tables(k, mm, vma, new_vma, old_addr, new_addr, len);
  const g = k.pgt;
  const old_end = old_addr + len;
  // try_realign_addr (can_realign_addr)
  if (k.has(PATCH.mremapRealign)) {
    const oa = old_addr % PMD_SIZE, na = new_addr % PMD_SIZE;
    if (len >= PMD_SIZE - oa && oa !== 0 && oa === na && can_align_down(mm, vma, old_addr, PMD_SIZE) && can_align_down(mm, new_vma, new_addr, PMD_SIZE)) {
      old_addr -= oa;
      new_addr -= na;
    }
  }
  for (; old_addr < old_end;) {
    // get_extent(NORMAL_PUD): a whole aligned PUD moves at once (move_normal_pud) where the arch has HAVE_MOVE_PUD
    let extent = Math.min(PUD_SIZE - (old_addr % PUD_SIZE), old_end - old_addr, PUD_SIZE - (new_addr % PUD_SIZE));
    if (extent === PUD_SIZE && (k.has(PATCH.x86MovePud) || k.has(PATCH.arm64MovePud)) && move_normal_pud(k, mm, vma, new_vma, old_addr, new_addr)) {
      old_addr += extent;
      new_addr += extent;
      continue;
    }
    extent = Math.min(PMD_SIZE - (old_addr % PMD_SIZE), old_end - old_addr, PMD_SIZE - (new_addr % PMD_SIZE));
    const step = extent;
    const oldT = pmdTable(k, mm, old_addr);
    if (oldT === null || oldT.isNone(pmd_index(old_addr))) {
      old_addr += step;
      new_addr += step;
      continue;
    }
    const oldPmd: Slot = { t: oldT, i: pmd_index(old_addr) };
    const newPmd = pmdAlloc(k, mm, new_addr);
    const pv = oldPmd.t.get(oldPmd.i, mvOld);
    if (is_migration_entry(k, pv) || g.pmd_trans_huge(pv)) {
      if (extent === PMD_SIZE && move_huge_pmd(k, vma, old_addr, new_addr, oldPmd, newPmd)) {
        old_addr += step;
        new_addr += step;
        continue;
      }
      if (is_migration_entry(k, pv)) notModelled('addr', 'mremap of part of a THP under migration (a PMD migration entry split)');
      __split_huge_pmd(k, mm, vma, oldPmd, haddrOf(old_addr), false);
    } else if (extent === PMD_SIZE && move_normal_pmd(k, mm, vma, new_vma, oldPmd, newPmd, new_addr)) {
      old_addr += step;
      new_addr += step;
      continue;
    }
    if (oldPmd.t.isNone(oldPmd.i)) {
      old_addr += step;
      new_addr += step;
      continue;
    }
    const ot = pteTableAt(k, mm, oldPmd.t, oldPmd.i)!;
    const nt = pte_alloc(k, mm, newPmd);
    move_ptes(k, mm, vma, ot, old_addr, extent, nt, new_addr);
    old_addr += step;
    new_addr += step;
  }
  return len;
}

// ---- VMAs -------------------------------------------------------------------------------------------

/**
 * mm/vma.c copy_vma() @v6.18: the VMA the moved range becomes at addr: a neighbour extended over it
 * (vma_merge_new_range, with the source's anon_vma and uffd context), or a copy of the source
 * (vm_area_dup, anon_vma_clone, and a reference on its file). An unfaulted anonymous source takes the new
 * address as its pgoff (a file's keeps its offset), so it may merge with itself, with MREMAP_DONTUNMAP
 * too, and a source whose uffd gets no REMAP events too (mainline has neither Debian's 6.1.y/6.12.y
 * `keep_source` self-merge prohibition nor its no-merge test for such a source: the context then dropped
 * from the new VMA is dropped from what it merged with, as on this 6.18 host). Returns the new VMA and the source (which a merge may have
 * replaced by the new VMA).
 */
function copy_vma(k: Kernel, mm: MmStruct, vma: VmArea, addr: number, len: number, pgoff: number): { new_vma: VmArea; vma: VmArea } {
  const vma_start = vma.vm_start;
  // an unfaulted anonymous VMA (no file: shared anonymous memory is a shmem file) keeps no file offset
  // (a private MAP_HUGETLB mapping has a hugetlbfs file in the kernel, the model's vm_file 0: it keeps its offset)
  if (vma_is_anonymous(vma) && !(vma.vm_flags & VM_HUGETLB) && !vma.anon_vma) pgoff = Math.floor(addr / PAGE_SIZE);
  const new_vma = vma_merge_new_range(k, mm, addr, addr + len, vma.vm_flags, pgoff, {
    source: vma, anon_vma: vma.anon_vma, uffd_ctx: vma.uffd, vm_flags_hi: vma.vm_flags_hi,
  });
  if (new_vma) {
    // the source merged into the new VMA (only an unfaulted one can)
    if (vma_start >= new_vma.vm_start && vma_start < new_vma.vm_end) vma = new_vma;
    return { new_vma, vma };
  }
  const v = vma.dup(); // vm_area_dup + anon_vma_clone
  v.vm_start = addr;
  v.vm_end = addr + len;
  v.vm_pgoff = pgoff;
  let i = 0;
  while (i < mm.vmas.length && mm.vmas[i]!.vm_start < addr) i++;
  mm.insertVma(i, v);
  return { new_vma: v, vma };
}

/**
 * mm/mremap.c move_vma() @v6.18 (copy_vma_and_data, dontunmap_complete, unmap_source_vma): copy the VMA,
 * move its page tables, hand the new VMA to the uffd side (and a hugetlb VMA's reservation map to the new
 * VMA), then unmap the old range, or with MREMAP_DONTUNMAP keep it (its anon_vma unlinked when it was moved
 * whole)
 */
function move_vma(k: Kernel, mm: MmStruct, vma: VmArea, addr: number, old_len: number, new_len: number, new_addr: number, flags: number, uf: MremapUf): number {
  // clear_vma_resv_huge_pages leaves what stays of the old VMA without the reservation map the new one takes: the
  // kernel never gives those reservations back (HugePages_Rsvd stays raised until reboot, on a host run too)
  if (hugetlb_vma_resv_owner(k, vma) && (addr !== vma.vm_start || addr + old_len !== vma.vm_end)) {
    notModelled('old_len', 'mremap of part of a private hugetlb mapping that owns its reservations (clear_vma_resv_huge_pages: the part left behind would leak its reservations from the pool)');
  }
  const new_pgoff = vma.vm_pgoff + (addr - vma.vm_start) / PAGE_SIZE;
  const c = copy_vma(k, mm, vma, new_addr, new_len, new_pgoff);
  vma = c.vma;
  move_page_tables(k, mm, vma, addr, c.new_vma, new_addr, old_len);
  mremap_userfaultfd_prep(k, c.new_vma, uf, addr, new_addr, old_len);
  fixup_hugetlb_reservations(k, vma);
  k.tr?.emit('mremap', 'move_vma', { old_addr: addr, old_len, new_addr, new_len, dontunmap: (flags & MREMAP_DONTUNMAP) !== 0 });
  if (flags & MREMAP_DONTUNMAP) {
    // dontunmap_complete: VM_ACCOUNT cleared too from b714ccb02a76 (v6.15) until 0e59f47c15ce (v6.18-rc3)
    if (k.has(PATCH.mremapMoveVmaRefactor) && !k.has(PATCH.mremapDontunmapKeepsAccount)) vma.vm_flags = (vma.vm_flags & ~VM_ACCOUNT) >>> 0;
    if (c.new_vma !== vma && vma.vm_start === addr && vma.vm_end === addr + old_len) unlink_anon_vmas(vma);
    return new_addr;
  }
  // old_len 0 duplicates a shared mapping: do_vmi_munmap refuses the empty range, which move_vma ignores. A private
  // one (before dba58d3b8c50, v4.14) had VM_ACCOUNT taken off to hide the old reservation from that munmap, and its
  // failure (move_vma's OOM path: vm_unacct_memory, excess 0) left it off
  if (old_len === 0) {
    if (!(vma.vm_flags & (VM_SHARED | VM_MAYSHARE))) vma.vm_flags = (vma.vm_flags & ~VM_ACCOUNT) >>> 0;
    return new_addr;
  }
  munmap_uf(k, mm, addr, old_len, uf.late);
  return new_addr;
}

/**
 * mm/mremap.c check_prep_vma() @v6.18 (its remap_is_valid part, a85dc37186a5 and 9b2301bf8d65 in v6.17;
 * remap_is_valid @v6.16, vma_to_resize @v4.19 .. v6.12): may the range of vma be moved or grown to new_len?
 */
function remap_is_valid(k: Kernel, vma: VmArea, addr: number, old_len: number, new_len: number, flags: number): void {
  // dba58d3b8c50 (v4.14); before, a private mapping was "duplicated" into a fresh one (move_vma)
  if (old_len === 0 && !(vma.vm_flags & (VM_SHARED | VM_MAYSHARE)) && k.has(PATCH.mremapDupPrivateEinval)) fail('EINVAL', 'old_len 0 duplicates a mapping, which a private mapping cannot');
  if ((flags & MREMAP_DONTUNMAP) && (vma.vm_flags & (VM_DONTEXPAND | VM_PFNMAP))) fail('EINVAL', 'MREMAP_DONTUNMAP of a VM_DONTEXPAND or VM_PFNMAP mapping');
  // before a4609387859f (v5.13) MREMAP_DONTUNMAP took private anonymous mappings only
  if ((flags & MREMAP_DONTUNMAP) && !k.has(PATCH.mremapDontunmapAnyVma) && (!vma_is_anonymous(vma) || (vma.vm_flags & VM_SHARED))) {
    fail('EINVAL', 'MREMAP_DONTUNMAP of a shared or file mapping (private anonymous ones only before v5.13)');
  }
  // before 550a7d60bd5e (v5.16) vma_to_resize refused hugetlb: only a shrink in place (an munmap) got past it
  if ((vma.vm_flags & VM_HUGETLB) && !k.has(PATCH.mremapHugetlb)) fail('EINVAL', 'mremap moving or growing a hugetlb mapping (before v5.16)');
  if (old_len > vma.vm_end - addr) fail('EFAULT', 'the old range crosses the end of its VMA (mremap cannot span VMAs)');
  if (new_len <= old_len) return;
  if (vma.vm_flags & (VM_DONTEXPAND | VM_PFNMAP)) fail('EFAULT', 'a VM_DONTEXPAND or VM_PFNMAP mapping cannot grow');
}

/** the address of a new range of len bytes: top-down below every mapping, or the hint where it is free (get_unmapped_area) */
function unmapped_area(k: Kernel, mm: MmStruct, hint: number, len: number): number {
  if (hint && hint % PAGE_SIZE === 0 && hint + len <= TASK_SIZE && vmas_in(mm, hint, hint + len).length === 0) return hint;
  let top = MMAP_BASE;
  for (const v of mm.vmas) if (v.vm_start < top) top = v.vm_start;
  const a = Math.floor((top - PAGE_SIZE - len) / PAGE_SIZE) * PAGE_SIZE;
  if (a <= 0) fail('ENOMEM', 'no room left in the address space');
  void k;
  return a;
}

/** mm/mremap.c vma_expandable() @v6.18: nothing mapped in [vm_end, vm_end + delta), below TASK_SIZE */
function vma_expandable(mm: MmStruct, vma: VmArea, delta: number): boolean {
  const end = vma.vm_end + delta;
  if (end > TASK_SIZE) return false;
  return vmas_in(mm, vma.vm_end, end).length === 0;
}

/**
 * mm/vma.c vma_merge_extend() @v6.18: vma grows by delta (and merges with next where it now can); null when
 * the merge fails. From ca3d76b0aa80 (v6.1) until 6f12be792fde (v6.2) mremap gave the extension the pgoff of
 * vm_pgoff + old_len pages, right only when addr is the VMA's start: from inside the VMA neither vma nor
 * next would take it, and the growth failed
 */
function vma_merge_extend(k: Kernel, mm: MmStruct, vma: VmArea, addr: number, old_len: number, delta: number): VmArea | null {
  const pages = k.has(PATCH.mremapExpandInsideVma) ? (addr + old_len - vma.vm_start) / PAGE_SIZE : old_len / PAGE_SIZE;
  const pgoff = vma.vm_pgoff + pages;
  return vma_merge_new_range(k, mm, vma.vm_end, vma.vm_end + delta, vma.vm_flags, pgoff, {
    source: vma, anon_vma: vma.anon_vma, uffd_ctx: vma.uffd, vm_flags_hi: vma.vm_flags_hi,
  });
}

/** mm/mremap.c mremap_to() @v6.18: MREMAP_FIXED (the destination unmapped first, once the source passed check_prep_vma) or MREMAP_DONTUNMAP */
function mremap_to(k: Kernel, mm: MmStruct, addr: number, old_len: number, new_len: number, flags: number, new_addr: number, uf: MremapUf): number {
  if (new_len > TASK_SIZE || new_addr > TASK_SIZE - new_len) fail('EINVAL', 'the new range is past TASK_SIZE');
  if (addr + old_len > new_addr && new_addr + new_len > addr) fail('EINVAL', 'the old and new ranges overlap');
  // a85dc37186a5 (v6.17): check_prep_vma checks the source before anything is unmapped (the tail a shrink
  // unmaps may cross the VMA's end: only what moves must lie in it); before, after both unmaps
  const early = k.has(PATCH.mremapCheckEarly);
  if (early) {
    const src = vma_lookup(k, mm, addr);
    if (!src) fail('EFAULT', 'no VMA at addr');
    remap_is_valid(k, src, addr, Math.min(old_len, new_len), new_len, flags);
  }
  if (flags & MREMAP_FIXED) {
    munmap_uf(k, mm, new_addr, new_len, uf.early);
    if (!vma_lookup(k, mm, addr)) fail('EFAULT', 'no VMA at addr after unmapping the destination');
  }
  if (old_len > new_len) {
    munmap_uf(k, mm, addr + new_len, old_len - new_len, uf.late);
    old_len = new_len;
  }
  const vma = vma_lookup(k, mm, addr);
  if (!vma) fail('EFAULT', 'no VMA at addr');
  if (!early) remap_is_valid(k, vma, addr, old_len, new_len, flags);
  if (!(flags & MREMAP_FIXED)) new_addr = unmapped_area(k, mm, new_addr, new_len);
  return move_vma(k, mm, vma, addr, old_len, new_len, new_addr, flags, uf);
}

/**
 * mm/mremap.c align_hugetlb() @v6.18 (check_prep_vma; in do_mremap from 550a7d60bd5e, v5.16): the lengths of a
 * hugetlb VMA's mremap rounded up to the huge page size; addr or new_address (as passed, with or without
 * MREMAP_FIXED) off a huge page boundary, or a growth, is EINVAL (its reservations cannot be split)
 */
function align_hugetlb(vma: VmArea, addr: number, new_addr: number, old_len: number, new_len: number): { old_len: number; new_len: number } {
  old_len = Math.ceil(old_len / PMD_SIZE) * PMD_SIZE;
  new_len = Math.ceil(new_len / PMD_SIZE) * PMD_SIZE;
  if (addr % PMD_SIZE !== 0) fail('EINVAL', 'mremap of a hugetlb mapping at an address that is not 2 MiB aligned');
  if (new_addr % PMD_SIZE !== 0) fail('EINVAL', 'mremap of a hugetlb mapping to a new_address that is not 2 MiB aligned');
  if (new_len > old_len) fail('EINVAL', 'mremap growing a hugetlb mapping');
  void vma;
  return { old_len, new_len };
}

/**
 * mm/mremap.c do_mremap() @v6.18 (SYSCALL_DEFINE5(mremap) @v4.19..v6.12): checks, then a move to a given
 * place (mremap_to), a shrink, a growth in place, or a move to a new place (MREMAP_MAYMOVE). The uffd
 * events to send afterwards are collected in `uf`, also when a later check fails. Returns the address.
 */
export function do_mremap(k: Kernel, mm: MmStruct, addr: number, old_len: number, new_len: number, flags: number, new_addr: number, uf: MremapUf): number {
  const known = MREMAP_FIXED | MREMAP_MAYMOVE | (k.has(PATCH.mremapDontunmap) ? MREMAP_DONTUNMAP : 0);
  if (flags & ~known) fail('EINVAL', `unknown mremap flags 0x${(flags & ~known).toString(16)}`);
  if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) fail('EINVAL', 'MREMAP_FIXED without MREMAP_MAYMOVE');
  if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len !== new_len)) fail('EINVAL', 'MREMAP_DONTUNMAP needs MREMAP_MAYMOVE and old_len == new_len');
  if (addr % PAGE_SIZE !== 0) fail('EINVAL', 'addr is not page aligned');
  old_len = Math.ceil(old_len / PAGE_SIZE) * PAGE_SIZE;
  new_len = Math.ceil(new_len / PAGE_SIZE) * PAGE_SIZE;
  if (new_len === 0) fail('EINVAL', 'new_len is 0');
  const to = (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0;
  if (to && new_addr % PAGE_SIZE !== 0) fail('EINVAL', 'new_address is not page aligned');
  // d23cb648e365 (v6.17): a move of the same length to a fixed place may span several VMAs (vrm_move_only)
  if (k.has(PATCH.mremapMoveMultiVma) && (flags & MREMAP_FIXED) && old_len === new_len) return remap_move(k, mm, addr, old_len, flags, new_addr, uf);
  const vma = vma_lookup(k, mm, addr);
  if (!vma) fail('EFAULT', 'no VMA at addr');
  if ((vma.vm_flags & VM_HUGETLB) && k.has(PATCH.mremapHugetlb)) {
    ({ old_len, new_len } = align_hugetlb(vma, addr, new_addr, old_len, new_len));
    uf.hugetlbLens = { old_len, new_len };
  }
  if (to) return mremap_to(k, mm, addr, old_len, new_len, flags, new_addr, uf);
  if (old_len === new_len) return addr;
  if (old_len > new_len) {
    munmap_uf(k, mm, addr + new_len, old_len - new_len, uf.late);
    return addr;
  }
  remap_is_valid(k, vma, addr, old_len, new_len, flags);
  if (old_len === vma.vm_end - addr && vma_expandable(mm, vma, new_len - old_len)) {
    if (!k.has(PATCH.mremapMergeAfterResize)) {
      // vma_adjust (v6.0 and before): the VMA grows alone, a next VMA now adjacent stays apart
      vma.vm_end = addr + new_len;
      k.tr?.emit('mremap', 'vma_adjust', { addr, old_len, new_len });
      return addr;
    }
    if (!vma_merge_extend(k, mm, vma, addr, old_len, new_len - old_len)) {
      if (k.has(PATCH.mremapExpandInsideVma)) throw new Error('BUG: vma_merge_extend did not extend the VMA');
      fail('ENOMEM', 'vma_merge() refused the extension (its pgoff counted from addr, not vm_start)');
    }
    k.tr?.emit('mremap', 'vma_merge_extend', { addr, old_len, new_len });
    return addr;
  }
  if (!(flags & MREMAP_MAYMOVE)) fail('ENOMEM', 'the mapping cannot grow in place and MREMAP_MAYMOVE is not set');
  const dst = unmapped_area(k, mm, 0, new_len);
  return move_vma(k, mm, vma, addr, old_len, new_len, dst, flags, uf);
}

/** mm/mremap.c vma_multi_allowed() @v6.17 (anonymous memory): a VMA that may be moved with others (no uffd registration) */
function vma_multi_allowed(vma: VmArea): boolean {
  return !userfaultfd_armed(vma);
}

/**
 * mm/mremap.c remap_move() @v6.17 (d23cb648e365, with "mm/mremap: catch invalid multi VMA moves earlier"):
 * every VMA of [addr, addr+len) moves by itself (mremap_to), the gaps between them kept at the
 * destination; a gap at the start is EFAULT, and a VMA that may not be moved with others (uffd-armed)
 * only alone. Returns the first piece's new address.
 */
function remap_move(k: Kernel, mm: MmStruct, start: number, len: number, flags: number, new_addr: number, uf: MremapUf): number {
  const end = start + len;
  // check_mremap_params (v6.17): the whole ranges first
  if (len > TASK_SIZE || new_addr > TASK_SIZE - len) fail('EINVAL', 'the new range is past TASK_SIZE');
  if (end > new_addr && new_addr + len > start) fail('EINVAL', 'the old and new ranges overlap');
  let res = -1, seen = false, last_end = 0, target = new_addr;
  for (;;) {
    // for_each_vma_range: the next VMA of the range, looked up again after each move from where the last
    // one ended (a search from past the range's end finds nothing, whatever a move merged across it)
    const from = seen ? last_end : start;
    if (from >= end) break;
    const vma = vmas_in(mm, from, end)[0];
    if (!vma) break;
    if (!seen && start < vma.vm_start) fail('EFAULT', 'no VMA at addr');
    const a = Math.max(vma.vm_start, start), l = Math.min(end, vma.vm_end) - a;
    const offset = seen ? vma.vm_start - last_end : 0;
    last_end = vma.vm_end;
    if (!vma_multi_allowed(vma) && (seen || vma.vm_end < end)) fail('EFAULT', 'a uffd-registered VMA can only be moved alone');
    // check_prep_vma: a hugetlb VMA's piece is aligned first (its lengths rounded up to the huge page size)
    let ol = l, nl = l;
    if (vma.vm_flags & VM_HUGETLB) {
      ({ old_len: ol, new_len: nl } = align_hugetlb(vma, a, target + offset, l, l));
      uf.hugetlbLens = { old_len: ol, new_len: nl };
    }
    const r = mremap_to(k, mm, a, ol, nl, flags, target + offset, uf);
    if (!seen) res = r;
    seen = true;
    target = r + nl;
  }
  if (!seen) fail('EFAULT', 'no VMA at addr');
  return res;
}

/** an empty event list */
export function mremap_uf(): MremapUf {
  return { early: [], remap: null, late: [], hugetlbLens: null };
}


// /proc/PID/pagemap, smaps counters, clear_refs and PAGEMAP_SCAN (fs/proc/task_mmu.c @v4.19, @v6.1, @v6.18).
import type { Kernel } from '../../kernel.js';
import { Pte } from '../../arch/x86/include/pte.js';
import { HPAGE_PMD_SIZE, PAGE_SHIFT, PAGE_SIZE, PMD_SIZE } from '../../arch/x86/include/pgtable_types.js';
import type { MmStruct, VmArea } from '../../include/mm_types.js';
import { VM_HUGETLB, VM_SOFTDIRTY, VM_UFFD_WP } from '../../include/vm_flags.js';
import { hugetlb_walk, pagemap_hugetlb_entry, pte_swp_uffd_wp_any, setHuge, uffdWpMarker } from '../../mm/hugetlb.js';
import { PM, PAGE_IS, PM_SCAN_WP_MATCHING, PM_SCAN_CHECK_WPASYNC, CLEAR_REFS_ALL, CLEAR_REFS_ANON, CLEAR_REFS_MAPPED, CLEAR_REFS_MM_HIWATER_RSS, CLEAR_REFS_SOFT_DIRTY } from '../../include/uapi.js';
import { fail, notModelled, notModelledOnRelease, SyscallError } from '../../include/errno.js';
import { PATCH } from '../../../profiles/patches.js';
import { KernelBug } from '../../include/bug.js';
import { PG_anon, PG_referenced } from '../../mm/folio.js';
import { vm_normal_page, isUffdWpMarker, is_guard_marker, is_pte_marker, SWP_PTE_MARKER, PTE_MARKER_UFFD_WP } from '../../mm/memory.js';
import { is_huge_zero_pmd, set_pmd_at, __split_huge_pmd } from '../../mm/huge_memory.js';
import { vma_soft_dirty_enabled } from '../../mm/mprotect.js';
import { forEachPmd } from '../../mm/pagewalk.js';
import { find_vma, vma_set_page_prot, vmas_in, vma_lookup } from '../../mm/mmap.js';
import { uffd_wp_range } from '../../mm/userfaultfd.js';
import { userfaultfd_wp_async, userfaultfd_wp_use_markers } from '../userfaultfd.js';
import type { PageTable } from '../../mm/pgtable.js';
import { mm_find_pmd } from '../../mm/rmap.js';
import { pmdAllocTable, pte_offset_map } from '../../mm/pagewalk.js';
import { is_migration_entry, migration_entry_pfn } from '../../mm/migrate.js';
import { is_zero_pfn, pmd_index } from '../../mm/pgtable.js';

const bit = (n: number) => 1n << BigInt(n);

/**
 * the offset pagemap reports for a migration entry: its pfn alone from v6.1 (swp_offset_pfn, 0d206b5d2e0d,
 * of the series that put the A/D bits above it: 2e3468778dbe), the whole offset before (no bits above then)
 */
function migrationOffset(k: Kernel, e: Pte): number {
  return k.has(PATCH.migrationKeepsYoungDirty) ? migration_entry_pfn(k, e) : k.pgt.swp_offset(e);
}

/**
 * fs/proc/task_mmu.c pagemap_pte_hole() @v3.17 and @v3.18: the entry of an address no VMA covers. From
 * 81d0fa623c5b (v3.18) it is clean; before, an address with no page table (a hole of the walk, which
 * starts at the address read) took VM_SOFTDIRTY from find_vma(), the first VMA above it
 */
function unmappedEntry(k: Kernel, mm: MmStruct, addr: number): bigint {
  if (k.has(PATCH.softDirtyHoleBeforeVma) || !k.has(PATCH.softDirtyPteHole) || !k.has(PATCH.softDirtyVmaReuse)) return 0n;
  const above = find_vma(k, mm, addr);
  if (above === null || (above.vm_flags & VM_SOFTDIRTY) === 0) return 0n;
  // a page table under addr: pagemap_pte_range, which reports the address not present and clean
  const pmd = mm_find_pmd(k, mm, addr);
  if (pmd !== null && !pmd.t.isNone(pmd.i)) return 0n;
  return bit(PM.soft_dirty);
}

/**
 * one /proc/PID/pagemap entry (as root: with the PFN). fs/proc/task_mmu.c @v3.11..v4.2: before
 * deb945441b94 (v4.3) bits 55-60 hold PAGE_SHIFT (PM_PSHIFT) for every entry until a write of 4 to any
 * clear_refs (soft_dirty_cleared, global), then the "v2" flags, of which only 55 (soft-dirty) exists
 * before 77bb499bb60f (PM_MMAP_EXCLUSIVE, bit 56, v4.3)
 */
export function pagemap_entry(k: Kernel, mm: MmStruct, addr: number): bigint {
  let pm = pagemapEntryV2(k, mm, addr);
  if (!k.has(PATCH.pagemapMmapExclusive)) pm &= ~bit(PM.mmap_exclusive);
  if (!k.has(PATCH.pagemapFlagsV2) && !k.softDirtyCleared) pm = (pm & ~(0x3fn << 55n)) | (BigInt(PAGE_SHIFT) << 55n);
  return pm;
}

/** fs/proc/task_mmu.c pagemap_pmd_range/pte_to_pagemap_entry @v6.18, @v4.19: the entry with the flags of v4.3 on */
function pagemapEntryV2(k: Kernel, mm: MmStruct, addr: number): bigint {
  const g = k.pgt;
  const f = k.folios;
  const vma = vma_lookup(k, mm, addr);
  const vmaSoftDirty = vma !== null && (vma.vm_flags & VM_SOFTDIRTY) !== 0 && k.has(PATCH.softDirtyVmaReuse);
  // pagemap_pte_hole: no page table here (68b5a6524856 reports the VMA's VM_SOFTDIRTY)
  const hole = vmaSoftDirty && k.has(PATCH.softDirtyPteHole) ? bit(PM.soft_dirty) : 0n;
  if (!vma) return unmappedEntry(k, mm, addr);
  // walk_hugetlb_range: a hugetlb VMA's entries go to pagemap_hugetlb_range
  if (vma.vm_flags & VM_HUGETLB) return pagemap_hugetlb_entry(k, mm, vma, addr);
  const pmd = mm_find_pmd(k, mm, addr);
  if (!pmd) return hole;
  const pmdv = pmd.t.get(pmd.i, new Pte());
  let flags = 0n, frame = 0n;
  if (is_migration_entry(k, pmdv)) {
    // pagemap_pmd_range @v6.18, a PMD migration entry (thp_migration_supported): PM_SWAP, the entry's
    // soft-dirty and uffd-wp, frame = type | (pfn + index) << MAX_SWAPFILES_SHIFT; not exclusive (unmapped)
    const idx = Math.floor((addr % HPAGE_PMD_SIZE) / PAGE_SIZE);
    frame = BigInt(g.swp_type(pmdv)) | (BigInt(migrationOffset(k, pmdv) + idx) << 5n);
    flags |= bit(PM.swap);
    if (g.pte_swp_soft_dirty(pmdv)) flags |= bit(PM.soft_dirty);
    if (k.has(PATCH.pagemapUffdWp) && g.pte_swp_uffd_wp(pmdv)) flags |= bit(PM.uffd_wp);
    if (vmaSoftDirty) flags |= bit(PM.soft_dirty);
    return flags | frame;
  }
  // pagemap_pmd_range: pmd_present() also holds for a PROT_NONE huge PMD (PROTNONE, or PSE alone)
  if (g.pmd_trans_huge(pmdv) && g.pmd_present(pmdv)) {
    // pagemap_pmd_range: every 4 KiB of the PMD reports the same flags, the PFN advances
    const idx = Math.floor((addr % HPAGE_PMD_SIZE) / PAGE_SIZE);
    const pfn = g.pmd_pfn(pmdv) + idx;
    frame = BigInt(pfn);
    flags |= bit(PM.present);
    if (g.pmd_soft_dirty(pmdv)) flags |= bit(PM.soft_dirty);
    if (k.has(PATCH.pagemapUffdWp) && g.pmd_uffd_wp(pmdv)) flags |= bit(PM.uffd_wp);
    const slot = f.slotOf(g.pmd_pfn(pmdv));
    if (slot >= 0) {
      if (k.has(PATCH.pagemapPmdFile) && !f.test(slot, PG_anon)) flags |= bit(PM.file);
      // per page from 2c1f057e5be6 (v6.11: folio_precise_page_mapcount of the page); before, and again from
      // eb16876971ea (v6.15, which passes the head page for every page), the head page decides for the PMD
      const perPage = k.has(PATCH.pagemapPmdExclusivePerPage) && !k.has(PATCH.pagemapPmdExclusiveHeadAgain);
      const at = perPage ? pfn : f.pfn(slot);
      if (f.pageMapcount(slot, at) === 1) flags |= bit(PM.mmap_exclusive);
    }
    if (vmaSoftDirty) flags |= bit(PM.soft_dirty);
    return flags | frame;
  }
  const t = pte_offset_map(k, mm, pmd);
  if (!t) return hole;
  const e = t.get(Math.floor(addr / PAGE_SIZE) & 511, new Pte());
  if (g.pte_none(e)) return vmaSoftDirty ? bit(PM.soft_dirty) : 0n;
  let slot = -1;
  let pfn = 0;
  if (g.pte_present(e)) {
    pfn = g.pte_pfn(e);
    frame = BigInt(pfn);
    flags |= bit(PM.present);
    if (g.pte_soft_dirty(e)) flags |= bit(PM.soft_dirty);
    if (k.has(PATCH.pagemapUffdWp) && g.pte_uffd_wp(e)) flags |= bit(PM.uffd_wp);
    slot = vm_normal_page(k, vma, e);
  } else {
    // swap entry / PTE marker / migration entry: type in bits 0-4, offset above
    frame = BigInt(g.swp_type(e)) | (BigInt(is_migration_entry(k, e) ? migrationOffset(k, e) : g.swp_offset(e)) << 5n);
    flags |= bit(PM.swap);
    if (g.pte_swp_soft_dirty(e)) flags |= bit(PM.soft_dirty);
    if (k.has(PATCH.pagemapUffdWp) && (g.pte_swp_uffd_wp(e) || isUffdWpMarker(k, e))) flags |= bit(PM.uffd_wp);
    // PM_GUARD_REGION (8e2f2aeb8b48, v6.15): a guard marker; before, a plain swap entry (type 31, offset 4)
    if (k.has(PATCH.pagemapGuardRegion) && is_guard_marker(k, e)) flags |= bit(PM.guard_region);
  }
  if (slot >= 0) {
    if (!f.test(slot, PG_anon)) flags |= bit(PM.file);
    if (f.pageMapcount(slot, pfn) === 1) flags |= bit(PM.mmap_exclusive);
  }
  if (vmaSoftDirty) flags |= bit(PM.soft_dirty);
  return flags | frame;
}

/** smaps: AnonHugePages (kB) and Rss (kB) of the VMAs intersecting [start,end) */
export function smaps_counters(k: Kernel, mm: MmStruct, start: number, end: number): { AnonHugePages: number; Rss: number } {
  const g = k.pgt;
  let anonHuge = 0, rss = 0;
  const pmdv = new Pte();
  const e = new Pte();
  for (const vma of mm.vmas) {
    if (vma.vm_end <= start || vma.vm_start >= end) continue;
    // smaps_hugetlb_range: hugetlb pages count as Private_Hugetlb / Shared_Hugetlb, not in Rss
    if (vma.vm_flags & VM_HUGETLB) continue;
    forEachPmd(k, mm, vma.vm_start, vma.vm_end, false, (pmd, addr, next) => {
      pmd.t.get(pmd.i, pmdv);
      if (g.pmd_trans_huge(pmdv)) {
        if (!is_huge_zero_pmd(k, pmdv)) {
          const slot = k.folios.slotOf(g.pmd_pfn(pmdv));
          const kb = (next - addr) / 1024;
          rss += kb;
          if (slot >= 0 && k.folios.test(slot, PG_anon)) anonHuge += kb;
        }
        return;
      }
      const t = pte_offset_map(k, mm, pmd);
      if (!t) return;
      for (let a = addr; a < next; a += PAGE_SIZE) {
        t.get(Math.floor(a / PAGE_SIZE) & 511, e);
        if (g.pte_present(e) && vm_normal_page(k, vma, e) >= 0) rss += 4;
      }
    });
  }
  return { AnonHugePages: anonHuge, Rss: rss };
}

/** write to /proc/PID/clear_refs */
/** fs/proc/task_mmu.c clear_refs_write() @v6.18: the text is read with kstrtoint(strstrip(buf), 10) (EINVAL unless a decimal int, ERANGE past int) */
export function clear_refs_parse(text: string): number {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) fail('EINVAL', `clear_refs: '${text}' is not a number`);
  const n = Number(t);
  if (n < -(2 ** 31) || n > 2 ** 31 - 1) fail('ERANGE', `clear_refs: ${t} does not fit an int`);
  return n;
}

export function clear_refs_write(k: Kernel, mm: MmStruct, type: number): void {
  if (type < CLEAR_REFS_ALL || type > CLEAR_REFS_MM_HIWATER_RSS) fail('EINVAL', `clear_refs value ${type}`);
  // clear_refs_write @v3.18: CLEAR_REFS_LAST is 5 before 695f05593693 (v4.0)
  if (type === CLEAR_REFS_MM_HIWATER_RSS && !k.has(PATCH.clearRefsHiwaterRss)) fail('EINVAL', 'clear_refs value 5 is unknown before v4.0');
  if (type === CLEAR_REFS_MM_HIWATER_RSS) return;
  const g = k.pgt;
  const soft = type === CLEAR_REFS_SOFT_DIRTY;
  // clear_refs_write @v3.11..v4.2: the first CLEAR_REFS_SOFT_DIRTY switches pagemap to its v2 flags (for good)
  if (soft && !k.has(PATCH.pagemapFlagsV2)) k.softDirtyCleared = true;
  if (soft && !k.config.soft_dirty) return; // clear_soft_dirty*() are empty without CONFIG_MEM_SOFT_DIRTY
  if (soft) {
    for (const v of mm.vmas) {
      if (!(v.vm_flags & VM_SOFTDIRTY)) continue;
      v.vm_flags = (v.vm_flags & ~VM_SOFTDIRTY) >>> 0;
      vma_set_page_prot(k, v);
    }
  }
  const pmdv = new Pte();
  const e = new Pte();
  for (const vma of mm.vmas) {
    // clear_refs_walk_ops has no hugetlb_entry: walk_page_range passes hugetlb VMAs over
    if (vma.vm_flags & VM_HUGETLB) continue;
    // clear_refs_test_walk: 2 takes the VMAs without a file, 3 those with one (shared anonymous memory has
    // its shmem file; a private file mapping's anonymous copies go with their VMA)
    if (type === CLEAR_REFS_ANON && vma.vm_file !== 0) continue;
    if (type === CLEAR_REFS_MAPPED && vma.vm_file === 0) continue;
    forEachPmd(k, mm, vma.vm_start, vma.vm_end, false, (pmd, addr, next) => {
      pmd.t.get(pmd.i, pmdv);
      if (g.pmd_trans_huge(pmdv)) {
        if (soft) {
          // clear_soft_dirty_pmd: write-protect and clear soft-dirty, keeping A/D
          const n = pmdv.clone();
          g.pmd_wrprotect(n);
          g.pmd_clear_soft_dirty(n);
          if (!n.equals(pmdv)) set_pmd_at(k, pmd, n, addr, 'clear_soft_dirty_pmd');
        } else {
          const n = g.pmd_mkold(pmdv.clone());
          if (!n.equals(pmdv)) pmd.t.set(pmd.i, n);
          const slot = k.folios.slotOf(g.pmd_pfn(pmdv));
          if (slot >= 0) k.folios.clearFlag(slot, PG_referenced);
        }
        return;
      }
      const t = pte_offset_map(k, mm, pmd);
      if (!t) return;
      for (let a = addr; a < next; a += PAGE_SIZE) {
        const i = Math.floor(a / PAGE_SIZE) & 511;
        t.get(i, e);
        if (!g.pte_present(e)) {
          // clear_soft_dirty @v6.18: a swap PTE loses its soft-dirty bit
          if (soft && g.is_swap_pte(e) && g.pte_swp_soft_dirty(e)) t.set(i, g.pte_swp_clear_soft_dirty(e.clone()));
          continue;
        }
        const n = e.clone();
        if (soft) {
          g.pte_wrprotect(n);
          g.pte_clear_soft_dirty(n);
        } else {
          // vm_normal_folio: the zero page and other special PTEs are left as they are
          const slot = vm_normal_page(k, vma, e);
          if (slot < 0) continue;
          g.pte_mkold(n);
          k.folios.clearFlag(slot, PG_referenced);
        }
        if (!n.equals(e)) t.set(i, n);
      }
    });
  }
  k.tr?.emit('clear_refs', 'clear_refs_write', { value: type });
  void PMD_SIZE;
  void vma_soft_dirty_enabled;
}

export function vmaOf(k: Kernel, mm: MmStruct, addr: number): VmArea | null {
  return vma_lookup(k, mm, addr);
}

// ---- PAGEMAP_SCAN (v6.7 52526ca7fdb9; fs/proc/task_mmu.c do_pagemap_scan @v6.18) -----------------

/** struct pm_scan_arg, as far as the model reads it */
export interface PmScanArg {
  size: number;
  flags: number;
  start: number;
  end: number;
  vec_len: number;
  max_pages: number;
  category_inverted: number;
  category_mask: number;
  category_anyof_mask: number;
  return_mask: number;
}
export interface PageRegion {
  start: number;
  end: number;
  categories: number;
}
export const PM_SCAN_ARG_SIZE = 96;
/** PAGEMAP_WALK_SIZE >> PAGE_SHIFT: the kernel's bounce buffer holds at most this many regions per round */
const PM_SCAN_BOUNCE = 512;

class ScanPriv {
  vec: PageRegion[] = [];
  /** the bounce buffer of the current round */
  buf: PageRegion[] = [{ start: 0, end: 0, categories: 0 }];
  bufLen: number;
  found = 0;
  walk_end = 0;
  vec_len: number;
  max_pages: number;
  cur_vma_category = 0;
  constructor(readonly arg: PmScanArg) {
    this.vec_len = arg.vec_len;
    this.bufLen = Math.min(PM_SCAN_BOUNCE, arg.vec_len);
    this.max_pages = arg.max_pages || Number.MAX_SAFE_INTEGER;
  }
}

/** pagemap_scan_is_interesting_page */
function scan_interesting(p: ScanPriv, categories: number): boolean {
  const c = (categories ^ p.arg.category_inverted) >>> 0;
  if ((c & p.arg.category_mask) !== p.arg.category_mask) return false;
  if (p.arg.category_anyof_mask && !(c & p.arg.category_anyof_mask)) return false;
  return true;
}

/** pagemap_scan_push_range */
function scan_push(p: ScanPriv, categories: number, addr: number, end: number): boolean {
  let cur = p.buf[p.buf.length - 1]!;
  if (addr === cur.end && categories === cur.categories) {
    cur.end = end;
    return true;
  }
  if (cur.end) {
    if (p.buf.length >= p.bufLen) return false;
    cur = { start: 0, end: 0, categories: 0 };
    p.buf.push(cur);
  }
  cur.start = addr;
  cur.end = end;
  cur.categories = categories;
  return true;
}

/** fs/proc/task_mmu.c pagemap_scan_backout_range() @v6.18: [addr, end), just output, taken back from the last range */
function pagemap_scan_backout_range(k: Kernel, p: ScanPriv, addr: number, end: number): void {
  if (p.bufLen === 0) {
    // vec_len 0: no bounce buffer (p->vec_buf NULL); before 28aa29986dde the function read it anyway
    if (!k.has(PATCH.pagemapScanVecBufNull)) {
      throw new KernelBug('fs/proc/task_mmu.c pagemap_scan_backout_range', 'general protection fault: NULL pointer dereference of p->vec_buf (PAGEMAP_SCAN with vec_len 0 write-protecting part of a huge page)');
    }
    return;
  }
  const cur = p.buf[p.buf.length - 1]!;
  if (cur.start !== addr) cur.end = addr;
  else cur.start = cur.end = 0;
  p.found -= (end - addr) / PAGE_SIZE;
}

/**
 * fs/proc/task_mmu.c pagemap_scan_get_args() @v6.18: access_ok() of the output vector, vec_len regions of
 * 24 bytes. From 669b0cb81e4e the size is size_mul(), which saturates at SIZE_MAX; before, vec_len * 24
 * wrapped modulo 2^64 (vec_len 2^61 asks for 0 bytes). The model knows the size only, not where the vector
 * is: a size of 2^63 or more fails access_ok() wherever it starts, on every release; a smaller one is taken
 * to fit (the vector the scenario gets is as long as the regions it can hold)
 */
function scan_vec_access_ok(k: Kernel, vec_len: number): boolean {
  const bytes = BigInt(vec_len) * 24n;
  const size = k.has(PATCH.pagemapScanVecLenOverflow) ? (bytes > U64_MAX ? U64_MAX : bytes) : bytes & U64_MAX;
  if (size >= 1n << 63n) return false;
  // x86's access_ok() limit moved (the sign bit on 6.7 .. 6.11, USER_PTR_MAX from 6.12): where a vector of
  // more than the user address space ends depends on its address and the release
  if (size > 1n << 47n) notModelled('vec_len', `a PAGEMAP_SCAN vector of ${size} bytes (more than the user address space, less than 2^63)`);
  return true;
}
const U64_MAX = (1n << 64n) - 1n;

/** pagemap_scan_output: returns [ret, end] (ret -1 = ENOSPC) */
function scan_output(p: ScanPriv, categories: number, addr: number, end: number): [number, number] {
  if (p.bufLen === 0) return [0, end];
  categories &= p.arg.return_mask;
  let n = (end - addr) / PAGE_SIZE;
  let ret = 0;
  if (p.found + n > p.max_pages) {
    const tooMuch = p.found + n - p.max_pages;
    end -= tooMuch * PAGE_SIZE;
    n -= tooMuch;
    ret = -1;
  }
  if (!scan_push(p, categories, addr, end)) {
    end = addr;
    n = 0;
    ret = -1;
  }
  p.found += n;
  if (ret) p.walk_end = end;
  return [ret, end];
}

/** pagemap_page_category, for a PTE (a none PTE is WRITTEN from 07b4377bdbe7) */
function scan_pte_category(k: Kernel, p: ScanPriv, vma: VmArea, e: Pte): number {
  const g = k.pgt;
  let c = 0;
  if (g.pte_present(e)) {
    c |= PAGE_IS.present;
    if (!g.pte_uffd_wp(e)) c |= PAGE_IS.written;
    const slot = vm_normal_page(k, vma, e);
    if (slot >= 0 && !k.folios.test(slot, PG_anon)) c |= PAGE_IS.file;
    if (is_zero_pfn(k, g.pte_pfn(e))) c |= PAGE_IS.pfnzero;
    if (g.pte_soft_dirty(e)) c |= PAGE_IS.soft_dirty;
  } else if (g.is_swap_pte(e)) {
    c |= PAGE_IS.swapped;
    if (!(g.pte_swp_uffd_wp(e) || isUffdWpMarker(k, e))) c |= PAGE_IS.written;
    // PAGE_IS_GUARD (a516403787e0, v6.16): a guard marker; before, swapped (and written) like any marker
    if (k.has(PATCH.pagemapScanGuard) && is_guard_marker(k, e)) c |= PAGE_IS.guard;
    if (g.pte_swp_soft_dirty(e)) c |= PAGE_IS.soft_dirty;
  } else if (k.has(PATCH.pagemapScanNoneWritten)) {
    c |= PAGE_IS.written;
  }
  void p;
  return c;
}

/** make_uffd_wp_pte */
function make_uffd_wp_pte(k: Kernel, t: PageTable, i: number, e: Pte): void {
  const g = k.pgt;
  const n = e.clone();
  if (g.pte_present(e)) g.pte_mkuffd_wp(n);
  else if (g.is_swap_pte(e)) g.pte_swp_mkuffd_wp(n);
  else g.swp_entry_to_pte(n, SWP_PTE_MARKER, PTE_MARKER_UFFD_WP);
  t.set(i, n);
}

/**
 * the uffd-wp test of pagemap_scan_pmd_entry's fast paths: from 2c7ad9a590d1 (v6.9) the present bit or the
 * swap bit; before, pte_uffd_wp() on any entry, which in an x86 swap PTE reads bit 10 (bit 1 of the
 * inverted offset) and takes a PTE marker's bit 10 for uffd-wp too
 */
function pte_is_uffd_wp(k: Kernel, e: Pte): boolean {
  const g = k.pgt;
  if (!k.has(PATCH.pagemapScanSwpUffdWp)) return g.pte_uffd_wp(e);
  return (g.pte_present(e) && g.pte_uffd_wp(e)) || (g.is_swap_pte(e) && (g.pte_swp_uffd_wp(e) || isUffdWpMarker(k, e)));
}

/**
 * fs/proc/task_mmu.c pagemap_scan_pte_hole() @v6.18: no page table under [addr, end); with 40de8160ca7f
 * (part of the pagemap-scan-none-written backport) the hole counts as written in a uffd-wp VMA only
 */
function scan_hole(k: Kernel, p: ScanPriv, vma: VmArea, addr: number, end: number): number {
  let cats = p.cur_vma_category;
  const huge = (vma.vm_flags & VM_HUGETLB) !== 0;
  // (hugetlb differs: a hole there is not written, as a none huge entry is not)
  if (k.has(PATCH.pagemapScanNoneWritten) && (vma.vm_flags & VM_UFFD_WP) && !huge) cats |= PAGE_IS.written;
  if (!scan_interesting(p, cats)) return 0;
  const [ret, e] = scan_output(p, cats, addr, end);
  if (addr === e) return ret;
  if (!(p.arg.flags & PM_SCAN_WP_MATCHING)) return ret;
  if (huge) {
    // before the backport, uffd_wp_range -> hugetlb_change_protection took the hugetlb VMA lock for writing while
    // walk_hugetlb_range held it for reading: the task hung
    if (!k.has(PATCH.pagemapScanNoneWritten)) notModelledOnRelease('flags', 'PAGEMAP_SCAN with PM_SCAN_WP_MATCHING over a hugetlb range without page tables before the pagemap-scan-none-written backport (the walk deadlocks on the hugetlb VMA lock)');
    pagemap_scan_hugetlb_hole_wp(k, vma.vm_mm!, addr, e);
    return ret;
  }
  uffd_wp_range(k, vma, addr, e - addr, true);
  return ret;
}

/** pagemap_scan_thp_entry: -2 when the PMD is not (or no longer) huge */
function scan_thp(k: Kernel, p: ScanPriv, mm: MmStruct, vma: VmArea, pmd: { t: PageTable; i: number }, start: number, end: number): number {
  const g = k.pgt;
  const v = pmd.t.get(pmd.i, new Pte());
  if (!g.pmd_trans_huge(v)) return -2;
  let cats = p.cur_vma_category | PAGE_IS.huge | PAGE_IS.present;
  if (!g.pmd_uffd_wp(v)) cats |= PAGE_IS.written;
  if (is_huge_zero_pmd(k, v)) {
    // before 4a5e85f4eb8f the test was is_zero_pfn(pmd_pfn()): the huge zero folio is not the zero page
    if (k.has(PATCH.pagemapScanHugeZeroPfnzero)) cats |= PAGE_IS.pfnzero;
  } else {
    const slot = k.folios.slotOf(g.pmd_pfn(v));
    if (slot >= 0 && !k.folios.test(slot, PG_anon)) cats |= PAGE_IS.file;
  }
  if (g.pmd_soft_dirty(v)) cats |= PAGE_IS.soft_dirty;
  if (!scan_interesting(p, cats)) return 0;
  const [ret, e] = scan_output(p, cats, start, end);
  if (start === e) return ret;
  if (!(p.arg.flags & PM_SCAN_WP_MATCHING) || !(cats & PAGE_IS.written)) return ret;
  if (e !== start + HPAGE_PMD_SIZE) {
    // WP of a part of the THP: split the PMD, take the range back, and redo it at PTE level
    __split_huge_pmd(k, mm, vma, pmd, Math.floor(start / PMD_SIZE) * PMD_SIZE, false);
    pagemap_scan_backout_range(k, p, start, e);
    return -2;
  }
  const n = v.clone();
  g.pmd_mkuffd_wp(n);
  set_pmd_at(k, pmd, n, start, 'make_uffd_wp_pmd');
  return ret;
}

/** fs/proc/task_mmu.c pagemap_hugetlb_category() @v6.18: a none entry is only HUGE; the uffd-wp marker is a swap entry */
function pagemap_hugetlb_category(k: Kernel, e: Pte): number {
  const g = k.pgt;
  let c = PAGE_IS.huge;
  if (g.pte_present(e)) {
    c |= PAGE_IS.present;
    if (!g.pte_uffd_wp(e)) c |= PAGE_IS.written;
    const slot = k.folios.slotOf(g.pte_pfn(e));
    if (slot < 0 || !k.folios.test(slot, PG_anon)) c |= PAGE_IS.file;
    if (is_zero_pfn(k, g.pte_pfn(e))) c |= PAGE_IS.pfnzero;
    if (g.pte_soft_dirty(e)) c |= PAGE_IS.soft_dirty;
  } else if (!g.pte_none(e)) {
    c |= PAGE_IS.swapped;
    if (!pte_swp_uffd_wp_any(k, e)) c |= PAGE_IS.written;
    if (g.pte_swp_soft_dirty(e)) c |= PAGE_IS.soft_dirty;
  }
  return c;
}

/**
 * fs/proc/task_mmu.c make_uffd_wp_huge_pte() @v6.18: a migration entry gets the swap uffd-wp bit, a present one
 * uffd-wp (write-protected), a none one the marker; a marker stays as it is
 */
function make_uffd_wp_huge_pte(k: Kernel, s: { t: PageTable; i: number }, addr: number, e: Pte): void {
  const g = k.pgt;
  if (is_pte_marker(k, e)) return;
  if (is_migration_entry(k, e)) setHuge(k, s, g.pte_swp_mkuffd_wp(e.clone()), addr, 'make_uffd_wp_huge_pte');
  else if (!g.pte_none(e)) setHuge(k, s, g.pte_mkuffd_wp(e.clone()), addr, 'make_uffd_wp_huge_pte');
  else setHuge(k, s, uffdWpMarker(k), addr, 'make_uffd_wp_huge_pte');
}

/**
 * fs/proc/task_mmu.c pagemap_scan_hugetlb_entry() @v6.18: one huge entry over [start, end) (the part of the
 * huge page in the walk). With PM_SCAN_WP_MATCHING a written page is write-protected whole; when only part of
 * it was output (the walk's range or max_pages cut it) the part is taken back, walk_end set to start, and the
 * walk goes on (ret 0)
 */
function pagemap_scan_hugetlb_entry(k: Kernel, p: ScanPriv, s: { t: PageTable; i: number }, start: number, end: number): number {
  const e = s.t.get(s.i, new Pte());
  const cats = p.cur_vma_category | pagemap_hugetlb_category(k, e);
  if (!scan_interesting(p, cats)) return 0;
  const [ret, oend] = scan_output(p, cats, start, end);
  if (!(p.arg.flags & PM_SCAN_WP_MATCHING)) return ret;
  if (start === oend || !(cats & PAGE_IS.written)) return ret;
  if (oend !== start + PMD_SIZE) {
    // a part of a huge page cannot be write-protected
    pagemap_scan_backout_range(k, p, start, oend);
    p.walk_end = start;
    return 0;
  }
  make_uffd_wp_huge_pte(k, s, start, e);
  return ret;
}

/**
 * fs/proc/task_mmu.c pagemap_scan_hugetlb_hole_wp() (6.12.103, 6.18.44: with the pagemap-scan-none-written
 * backport): each huge page of a hole without a page table gets its table and the uffd-wp marker
 */
function pagemap_scan_hugetlb_hole_wp(k: Kernel, mm: MmStruct, addr: number, end: number): void {
  for (let a = addr - (addr % PMD_SIZE); a < end; a += PMD_SIZE) {
    const s = { t: pmdAllocTable(k, mm, a), i: pmd_index(a) };
    make_uffd_wp_huge_pte(k, s, a, s.t.get(s.i, new Pte()));
  }
}

/** walk_hugetlb_range with pagemap_scan_ops over [s, e) of a hugetlb VMA: hugetlb_entry per huge page, pte_hole where no table */
function scan_walk_hugetlb(k: Kernel, p: ScanPriv, mm: MmStruct, vma: VmArea, s: number, e: number): number {
  for (let addr = s; addr < e;) {
    const next = Math.min(e, addr - (addr % PMD_SIZE) + PMD_SIZE);
    const t = hugetlb_walk(k, mm, addr);
    const r = t ? pagemap_scan_hugetlb_entry(k, p, t, addr, next) : scan_hole(k, p, vma, addr, next);
    if (r) return r;
    addr = next;
  }
  return 0;
}

/** pagemap_scan_pmd_entry */
function scan_pmd(k: Kernel, p: ScanPriv, mm: MmStruct, vma: VmArea, pmd: { t: PageTable; i: number }, start: number, end: number): number {
  let ret = scan_thp(k, p, mm, vma, pmd, start, end);
  if (ret !== -2) return ret;
  ret = 0;
  const t = pte_offset_map(k, mm, pmd);
  if (!t) return scan_hole(k, p, vma, start, end);
  const e = new Pte();
  const wp = (p.arg.flags & PM_SCAN_WP_MATCHING) !== 0;
  // before 4980e837cab7 (v6.7-rc5) the fast path was taken for any scan without an output vector
  if ((wp || !k.has(PATCH.pagemapScanFastPathWpOnly)) && p.bufLen === 0) {
    // fast path for an exclusive WP without output
    for (let a = start; a < end; a += PAGE_SIZE) {
      const i = Math.floor(a / PAGE_SIZE) & 511;
      t.get(i, e);
      if (pte_is_uffd_wp(k, e)) continue;
      make_uffd_wp_pte(k, t, i, e);
    }
    return 0;
  }
  const a0 = p.arg;
  const writtenOnly = !a0.category_anyof_mask && !a0.category_inverted && a0.category_mask === PAGE_IS.written && a0.return_mask === PAGE_IS.written;
  for (let a = start; a < end; a += PAGE_SIZE) {
    const i = Math.floor(a / PAGE_SIZE) & 511;
    t.get(i, e);
    let cats: number;
    if (writtenOnly) {
      if (pte_is_uffd_wp(k, e)) continue;
      cats = p.cur_vma_category | PAGE_IS.written;
    } else {
      cats = p.cur_vma_category | scan_pte_category(k, p, vma, e);
      if (!scan_interesting(p, cats)) continue;
    }
    const [r, next] = scan_output(p, cats, a, a + PAGE_SIZE);
    ret = r;
    if (next === a) break;
    if (!wp || !(cats & PAGE_IS.written)) continue;
    make_uffd_wp_pte(k, t, i, e);
  }
  return ret;
}

/** pagemap_scan_test_walk: 1 to skip the VMA, -EPERM, or 0 */
function scan_test_vma(k: Kernel, p: ScanPriv, vma: VmArea): number {
  const wpAllowed = userfaultfd_wp_async(vma) && userfaultfd_wp_use_markers(k, vma);
  if (!wpAllowed) {
    if (p.arg.flags & PM_SCAN_CHECK_WPASYNC) return -1;
    // before 0dff1b407def (v6.7-rc5) such a VMA was walked, and write-protected, all the same
    if ((p.arg.flags & PM_SCAN_WP_MATCHING) && k.has(PATCH.pagemapScanWpVmaCheck)) return 1;
  }
  let cat = 0;
  if (wpAllowed) cat |= PAGE_IS.wpallowed;
  if (vma.vm_flags & VM_SOFTDIRTY) cat |= PAGE_IS.soft_dirty;
  const required = p.arg.category_mask & PAGE_IS.wpallowed;
  if ((((cat ^ p.arg.category_inverted) >>> 0) & required) !== required) return 1;
  p.cur_vma_category = cat;
  return 0;
}

/** walk_page_range with pagemap_scan_ops over [start, end): 0, -1 (ENOSPC) or throws EPERM */
function scan_walk(k: Kernel, p: ScanPriv, mm: MmStruct, start: number, end: number): number {
  for (const vma of vmas_in(mm, start, end)) {
    const s = Math.max(start, vma.vm_start), e = Math.min(end, vma.vm_end);
    const t = scan_test_vma(k, p, vma);
    if (t === -1) fail('EPERM', 'PM_SCAN_CHECK_WPASYNC on a VMA without async uffd-wp');
    if (t === 1) continue;
    if (vma.vm_flags & VM_HUGETLB) {
      const r = scan_walk_hugetlb(k, p, mm, vma, s, e);
      if (r) return r;
      continue;
    }
    for (let addr = s; addr < e;) {
      const pmd = mm_find_pmd(k, mm, addr);
      if (!pmd) {
        const next = Math.min(e, (Math.floor(addr / 2 ** 30) + 1) * 2 ** 30);
        const r = scan_hole(k, p, vma, addr, next);
        if (r) return r;
        addr = next;
        continue;
      }
      const next = Math.min(e, (Math.floor(addr / PMD_SIZE) + 1) * PMD_SIZE);
      const v = pmd.t.get(pmd.i, new Pte());
      const r = k.pgt.pmd_none(v) ? scan_hole(k, p, vma, addr, next) : scan_pmd(k, p, mm, vma, pmd, addr, next);
      if (r) return r;
      addr = next;
    }
  }
  return 0;
}

/** pagemap_scan_flush_buffer */
function scan_flush(p: ScanPriv): number {
  if (p.bufLen === 0) return 0;
  const last = p.buf[p.buf.length - 1]!;
  const out = p.buf.filter((r, i) => i < p.buf.length - 1 || r.end !== r.start);
  void last;
  if (!out.length) return 0;
  p.vec.push(...out.map((r) => ({ ...r })));
  p.vec_len -= out.length;
  p.bufLen = Math.min(p.bufLen, p.vec_len);
  p.buf = [{ start: 0, end: 0, categories: 0 }];
  return out.length;
}

/** what PAGEMAP_SCAN writes back to user space: pm_scan_arg.walk_end and the regions copied to its vector */
export interface PmScanUser {
  walk_end?: number;
  regions?: PageRegion[];
}

/**
 * fs/proc/task_mmu.c do_pagemap_scan() @v6.18: the PAGEMAP_SCAN ioctl on the pagemap of mm. Once the
 * arguments are accepted, walk_end and the regions found are written back (`user`) even when the walk
 * fails (EPERM)
 */
export function do_pagemap_scan(k: Kernel, mm: MmStruct, arg: PmScanArg, user: PmScanUser = {}): { n: number; regions: PageRegion[]; walk_end: number } {
  if (!k.has(PATCH.pagemapScan)) fail('ENOTTY', 'PAGEMAP_SCAN is unknown before v6.7');
  // pagemap_scan_get_args
  if (arg.size !== PM_SCAN_ARG_SIZE) fail('EINVAL', `arg.size ${arg.size} is not sizeof(struct pm_scan_arg)`);
  if (arg.flags & ~(PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC)) fail('EINVAL', 'unknown PAGEMAP_SCAN flags');
  // PM_SCAN_CATEGORIES: seven on v6.7, PAGE_IS_SOFT_DIRTY from e6a9a2cbc13b (v6.8), PAGE_IS_GUARD from a516403787e0
  const known = 0x7f | (k.has(PATCH.pagemapScanSoftDirty) ? PAGE_IS.soft_dirty : 0) | (k.has(PATCH.pagemapScanGuard) ? PAGE_IS.guard : 0);
  if ((arg.category_inverted | arg.category_mask | arg.category_anyof_mask | arg.return_mask) & ~known) fail('EINVAL', 'unknown PAGE_IS_ category');
  if (arg.start % PAGE_SIZE) fail('EINVAL', 'start is not page aligned');
  if (arg.vec_len && !scan_vec_access_ok(k, arg.vec_len)) fail('EFAULT', `vec_len ${arg.vec_len}: the output vector's size passes the user address space`);
  const end = Math.ceil(arg.end / PAGE_SIZE) * PAGE_SIZE;
  const p = new ScanPriv(arg);
  let n = 0;
  let ret = 0;
  let err: SyscallError | null = null;
  for (let walkStart = arg.start; walkStart < end; walkStart = p.walk_end) {
    try {
      ret = scan_walk(k, p, mm, walkStart, end);
    } catch (e) {
      if (!(e instanceof SyscallError)) throw e;
      err = e;
    }
    n += scan_flush(p);
    if (err || ret !== -1) break;
    if (p.vec_len === 0 || p.found === p.max_pages) break;
  }
  // the walk_end isn't set when the walk ended by itself; pagemap_scan_writeback_args
  const walk_end = p.walk_end || end;
  user.walk_end = walk_end;
  user.regions = p.vec;
  k.trace('pagemap_scan', 'do_pagemap_scan', { start: arg.start, end, flags: arg.flags, regions: n, walk_end, ...(err ? { errno: err.errno } : {}) });
  if (err) throw err;
  return { n, regions: p.vec, walk_end };
}

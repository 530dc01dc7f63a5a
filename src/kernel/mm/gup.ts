// get_user_pages and pin_user_pages (mm/gup.c @v4.9 .. @v6.18): the VMA checks, follow_page_mask with its
// FOLL_* flags per release (FOLL_COW and can_follow_write_pte, the PageAnonExclusive rules, FAULT_FLAG_UNSHARE
// for read-only pins), faultin_page, and __get_user_pages' walk over a range, which stops (returning the pages
// done) when a fault released the mmap lock: handle_userfault slept, or asked for a retry. Pins are counted in
// the folio's cells (GUP_PIN_COUNTING_BIAS, _pincount). MADV_POPULATE_* (mm/madvise.ts) and the scenario's
// pin, vmsplice and /proc/PID/mem operations (mm/gup_ops.ts) drive it; a fault that sleeps leaves task.uwq
// set, as on the CPU path.
import type { Kernel } from '../kernel.js';
import { VM_HUGETLB } from '../include/vm_flags.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { Pte } from '../arch/x86/include/pte.js';
import { HPAGE_PMD_NR, PAGE_SIZE, PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import { hugetlb_walk, setHuge } from './hugetlb.js';
import { VM_IO, VM_MAYREAD, VM_MAYSHARE, VM_MAYWRITE, VM_PFNMAP, VM_READ, VM_SHARED, VM_WRITE } from '../include/vm_flags.js';
import {
  FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_KILLABLE, FAULT_FLAG_TRIED, FAULT_FLAG_UNSHARE, FAULT_FLAG_WRITE, VM_FAULT_ERROR, VM_FAULT_HWPOISON,
  VM_FAULT_HWPOISON_LARGE, VM_FAULT_OOM, VM_FAULT_RETRY, VM_FAULT_WRITE, VM_FAULT_COMPLETED, flagNames, FAULT_FLAG_NAMES,
} from '../include/fault.js';
import { ERRNO, notModelled, notModelledOnRelease } from '../include/errno.js';
import { cond_resched } from '../kernel/sched/core.js';
import { handle_mm_fault, vm_normal_page } from './memory.js';
import { pte_index, is_zero_pfn } from './pgtable.js';
import { PG_active, PG_anon, PG_dirty, PG_referenced, PG_unevictable, PG_zero } from './folio.js';
import { PATCH } from '../../profiles/patches.js';
import { vma_soft_dirty_enabled } from './mprotect.js';
import { userfaultfd_huge_pmd_wp, userfaultfd_pte_wp } from '../fs/userfaultfd.js';
import { is_huge_zero_pmd } from './huge_memory.js';
import { folio_put_refs } from './swap.js';
import { mm_find_pmd } from './rmap.js';
import { pte_offset_map } from './pagewalk.js';
import { vma_lookup } from './mmap.js';
import { folio_is_zone_device } from './memremap.js';

import { FOLL_WRITE, FOLL_TOUCH, FOLL_GET, FOLL_FORCE, FOLL_COW, FOLL_LONGTERM, FOLL_PIN, FOLL_UNLOCKABLE, FOLL_HWPOISON, FOLL_NAMES } from '../include/foll.js';
export * from '../include/foll.js';

/** GUP_PIN_COUNTING_BIAS (include/linux/mm.h @v5.7): what one FOLL_PIN adds to a small folio's refcount */
export const GUP_PIN_COUNTING_BIAS = 1024;

/** is_cow_mapping (include/linux/mm.h): private and may be written */
export function is_cow_mapping(flags: number): boolean {
  return (flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
}

/**
 * check_vma_flags (mm/gup.c @v6.18) for an anonymous VMA: 0 when GUP may access it with these FOLL_*
 * flags, else -EFAULT as an errno (a write without VM_WRITE needs FOLL_FORCE and a COW mapping, and from
 * f347454d0341 (v6.2) until 052ccfbcc6cd (v6.14) no hugetlb VMA; a read without VM_READ needs FOLL_FORCE and
 * VM_MAYREAD)
 */
export function check_vma_flags(k: Kernel, vma: VmArea, foll: number): number {
  const f = vma.vm_flags;
  if (f & (VM_IO | VM_PFNMAP)) return ERRNO.EFAULT;
  if (foll & FOLL_WRITE) {
    if (!(f & VM_WRITE)) {
      if (!(foll & FOLL_FORCE)) return ERRNO.EFAULT;
      if (f & VM_HUGETLB) {
        // before v6.2 follow_hugetlb_page took the forced write, which the model does not have
        if (!k.has(PATCH.gupHugetlbNoForceWrite)) notModelledOnRelease('addr', 'a FOLL_FORCE write into a hugetlb VMA before v6.2 (follow_hugetlb_page)');
        if (!k.has(PATCH.hugetlbFollForceWrite)) return ERRNO.EFAULT;
      }
      if (!is_cow_mapping(f)) return ERRNO.EFAULT;
    }
  } else if (!(f & VM_READ)) {
    if (!(foll & FOLL_FORCE)) return ERRNO.EFAULT;
    if (!(f & VM_MAYREAD)) return ERRNO.EFAULT;
  }
  return 0;
}

/**
 * can_follow_write_pte / can_follow_write_pmd (mm/gup.c, mm/huge_memory.c): may a write GUP use this
 * read-only entry? v4.9 (19be0eaffa3a): only after its own COW fault (FOLL_COW) left it dirty, and with
 * FOLL_FORCE (not needed while 17839856fd58 forced COW breaks, v5.8); v6.0 (5535be309971): only an exclusive
 * anonymous page of a private mapping without VM_WRITE, unless soft-dirty or uffd-wp tracking wants the write
 * fault. Before v4.9 never (faultin_page dropped FOLL_WRITE instead).
 */
function can_follow_write(k: Kernel, vma: VmArea, e: Pte, slot: number, pfn: number, foll: number, huge: boolean): boolean {
  const g = k.pgt;
  if (g.pte_write(e)) return true;
  if (k.has(PATCH.follForceAnonExclusive)) {
    if (!(foll & FOLL_FORCE)) return false;
    if (!(vma.vm_flags & VM_MAYWRITE) || (vma.vm_flags & (VM_WRITE | VM_SHARED | VM_MAYSHARE))) return false;
    if (slot < 0 || !k.folios.test(slot, PG_anon) || !k.folios.pageAnonExclusive(slot, pfn)) return false;
    if (vma_soft_dirty_enabled(k, vma) && !g.pte_soft_dirty(e)) return false;
    return !(huge ? userfaultfd_huge_pmd_wp(k, vma, e) : userfaultfd_pte_wp(k, vma, e));
  }
  if (huge && !k.has(PATCH.thpFollForceCow)) return false;
  if (!k.has(PATCH.follCow)) return false;
  const forceNeeded = !(k.has(PATCH.gupForceCowBreak) && !k.has(PATCH.gupNoForceCowBreak));
  if (forceNeeded && !(foll & FOLL_FORCE)) return false;
  return (foll & FOLL_COW) !== 0 && g.pte_dirty(e);
}

/**
 * gup_must_unshare (include/linux/mm.h @v5.19, @v6.2): a read-only pin (FOLL_PIN without FOLL_WRITE) of
 * an anonymous page that is not PageAnonExclusive must unshare it first (a7f226604170); from 84209e87c696
 * a long-term one of a page that is not anonymous in a COW mapping too (the shared zero page); without the
 * VMA (gup_fast) such a pin must fall back to the slow path
 */
export function gup_must_unshare(k: Kernel, vma: VmArea | null, foll: number, slot: number, pfn: number): boolean {
  if (!k.has(PATCH.gupRoPinUnshare)) return false;
  if ((foll & (FOLL_WRITE | FOLL_PIN)) !== FOLL_PIN) return false;
  if (slot < 0 || !k.folios.test(slot, PG_anon)) {
    if (!k.has(PATCH.gupLongtermRoCow) || !(foll & FOLL_LONGTERM)) return false;
    return vma === null || is_cow_mapping(vma.vm_flags);
  }
  return !k.folios.pageAnonExclusive(slot, pfn);
}

/** folio_maybe_dma_pinned (include/linux/mm.h @v5.7..v6.18): a large folio's _pincount, a small one's refcount past the bias */
export function folio_maybe_dma_pinned(k: Kernel, slot: number): boolean {
  if (!k.has(PATCH.gupPinCounting)) return false;
  const f = k.folios;
  if (f.isLarge(slot)) return f.pincount(slot) > 0;
  return f.refcount(slot) >= GUP_PIN_COUNTING_BIAS;
}

/**
 * try_grab_folio (mm/gup.c @v6.18): refs references of a GUP caller. FOLL_GET: refcount + refs. FOLL_PIN
 * (3faa52c03f44, v5.7): a small folio's refcount + refs * GUP_PIN_COUNTING_BIAS, a large one's refcount and
 * _pincount + refs; before, a pin is a get. The zero pages are not counted (v6.5 is_zero_folio; the model
 * never frees them).
 */
export function try_grab_folio(k: Kernel, slot: number, refs: number, foll: number): void {
  const f = k.folios;
  if (f.test(slot, PG_zero)) return;
  let n = refs;
  if ((foll & FOLL_PIN) && k.has(PATCH.gupPinCounting)) {
    if (f.isLarge(slot)) f.setPincount(slot, f.pincount(slot) + refs);
    else n = refs * GUP_PIN_COUNTING_BIAS;
  }
  f.setRefcount(slot, f.refcount(slot) + n);
  f.setGupRefs(slot, f.gupRefs(slot) + n);
}

/** unpin_user_page / put_page (mm/gup.c gup_put_folio @v6.18): what try_grab_folio took; the last reference frees the folio */
export function gup_put_folio(k: Kernel, slot: number, refs: number, foll: number): void {
  const f = k.folios;
  if (f.test(slot, PG_zero)) return;
  let n = refs;
  if ((foll & FOLL_PIN) && k.has(PATCH.gupPinCounting)) {
    if (f.isLarge(slot)) f.setPincount(slot, f.pincount(slot) - refs);
    else n = refs * GUP_PIN_COUNTING_BIAS;
  }
  f.setGupRefs(slot, f.gupRefs(slot) - n);
  folio_put_refs(k, slot, n);
}

/** the page follow_page_mask found: its pfn and folio slot (-1: the zero page, or no struct folio) */
export const followed = { pfn: -1, slot: -1 };

/**
 * follow_page_mask (mm/gup.c follow_page_pte, follow_huge_pmd / follow_trans_huge_pmd, per release): is a
 * page mapped at addr that GUP may take with these FOLL_* flags? Returns how many pages GUP may step over
 * (the rest of a huge PMD) with the page in `followed`, 0 when there is none (fault it in), or -EMLINK when a
 * read-only pin must unshare it first. With FOLL_TOUCH GUP touches the page: a huge PMD becomes young and
 * dirty (for a write only, from a8f97366452e); a small page's folio is marked accessed, and dirty for a write
 * through a clean PTE. The PTE itself is left as it is (unlike a CPU access).
 */
export function follow_page_mask(k: Kernel, mm: MmStruct, vma: VmArea, addr: number, foll: number): number {
  const g = k.pgt;
  const write = (foll & FOLL_WRITE) !== 0;
  if (vma.vm_flags & VM_HUGETLB) return follow_huge_pmd(k, mm, vma, addr, foll);
  const pmd = mm_find_pmd(k, mm, addr);
  if (!pmd) return 0;
  const e = pmd.t.get(pmd.i, new Pte());
  if (g.pmd_trans_huge(e)) {
    // pmd_present/pte_present: a PROT_NONE entry is present (x86 _PAGE_PROTNONE), and GUP follows it in a
    // VMA that is not accessible (gup_can_follow_protnone: NUMA hinting entries are not modelled), which
    // only FOLL_FORCE reaches (check_vma_flags): /proc/self/mem writes a PROT_NONE private mapping
    if (!(e.lo & g.presentLo)) return 0;
    const head = g.pmd_pfn(e);
    const slot = k.folios.slotOf(head);
    const pfn = head + (Math.floor(addr / PAGE_SIZE) % HPAGE_PMD_NR);
    if (write && !can_follow_write(k, vma, e, slot, head, foll, true)) return 0;
    if (!g.pmd_write(e) && gup_must_unshare(k, vma, foll, is_huge_zero_pmd(k, e) ? -1 : slot, head)) return -ERRNO.EMLINK;
    if (foll & FOLL_TOUCH) {
      // touch_pmd
      const t = g.pmd_mkyoung(e.clone());
      if (write || !k.has(PATCH.touchPmdWriteOnly)) g.pmd_mkdirty(t);
      if (!t.equals(e)) pmd.t.set(pmd.i, t);
    }
    followed.pfn = pfn;
    followed.slot = slot;
    return HPAGE_PMD_NR - (Math.floor(addr / PAGE_SIZE) % HPAGE_PMD_NR);
  }
  const pt = pte_offset_map(k, mm, pmd);
  if (!pt) return 0;
  pt.get(pte_index(addr), e);
  if (!g.pte_present(e)) return 0;
  const pfn = g.pte_pfn(e);
  const zero = g.pte_special(e) || is_zero_pfn(k, pfn);
  const slot = zero ? (is_zero_pfn(k, pfn) ? k.zeroSlot : -1) : k.folios.slotOf(pfn);
  if (write && !can_follow_write(k, vma, e, zero ? -1 : slot, pfn, foll, false)) return 0;
  if (!g.pte_write(e) && gup_must_unshare(k, vma, foll, zero ? -1 : slot, pfn)) return -ERRNO.EMLINK;
  followed.pfn = pfn;
  followed.slot = slot;
  if (zero || slot < 0) return 1;
  if (foll & FOLL_TOUCH) {
    if (write && !g.pte_dirty(e)) k.folios.setFlag(slot, PG_dirty); // set_page_dirty
    mark_page_accessed(k, slot);
  }
  return 1;
}

/**
 * mm/gup.c follow_pmd_mask() and follow_huge_pmd() @v6.18 for a hugetlb VMA (x86: the huge entry is a PMD
 * leaf): none, not present (a migration entry, the uffd-wp marker) or a write it may not follow give 0 (fault
 * it in, hugetlb_fault), a read-only pin of a page that is not exclusive -EMLINK (unshare); else the page,
 * the entry touched with FOLL_TOUCH (touch_pmd: pmd_trans_huge holds for it on x86; young, dirty for a write),
 * and the rest of the huge page to step over. (v6.5 .. v6.9 hugetlb_follow_page_mask and before
 * follow_hugetlb_page decide the same for these entries.)
 */
function follow_huge_pmd(k: Kernel, mm: MmStruct, vma: VmArea, addr: number, foll: number): number {
  const g = k.pgt;
  const s = hugetlb_walk(k, mm, addr);
  if (!s) return 0;
  const e = s.t.get(s.i, new Pte());
  // pmd_present: a PROT_NONE entry is present and followed (gup_can_follow_protnone: an inaccessible VMA)
  if (!g.pte_present(e)) return 0;
  const head = g.pte_pfn(e);
  const slot = k.folios.slotOf(head);
  const idx = Math.floor((addr % PMD_SIZE) / PAGE_SIZE);
  // (hugetlb keeps PageAnonExclusive on the head page, which pageAnonExclusive reads for a folio without sub-page counts)
  if ((foll & FOLL_WRITE) && !can_follow_write(k, vma, e, slot, head, foll, true)) return 0;
  if (!g.pte_write(e) && gup_must_unshare(k, vma, foll, slot, head)) return -ERRNO.EMLINK;
  if (foll & FOLL_TOUCH) {
    // touch_pmd: pmdp_set_access_flags stores it only when it changed
    const t = g.pte_mkyoung(e.clone());
    if (foll & FOLL_WRITE) g.pte_mkdirty(t);
    if (!t.equals(e)) setHuge(k, s, t, addr - addr % PMD_SIZE, 'touch_pmd');
  }
  followed.pfn = head + idx;
  followed.slot = slot;
  return HPAGE_PMD_NR - idx;
}

/**
 * mm/gup.c gup_fast() @v6.18 (gup_fast_pte_range, gup_fast_pmd_leaf): the lockless walk that
 * get_user_pages_fast and pin_user_pages_fast take first, from start, page by page, while the entry is
 * present and not PROT_NONE, writable for FOLL_WRITE, not special (the zero page), its folio may be taken so
 * (not a ZONE_DEVICE one for FOLL_LONGTERM) and a read-only pin needs no unshare (gup_must_unshare without a
 * VMA: a long-term one of a page that is not anonymous falls back). A page taken gets PG_referenced
 * (folio_set_referenced: no FOLL_TOUCH, no activation, the entry left as it is). Returns the pages taken;
 * the slow path (__get_user_pages) does the rest. A hugetlb entry is a PMD leaf (gup_fast_pmd_leaf; the
 * folio is allowed: gup_fast_folio_allowed passes hugetlb).
 */
export function gup_fast(k: Kernel, mm: MmStruct, start: number, end: number, foll: number, grab: (pfn: number, slot: number) => void): number {
  const g = k.pgt;
  // 17839856fd58 (v5.8, until a308c71bf1e6): the fast walk asks for write access even for reads, so that a
  // COW-shared page goes to the slow path and has its COW broken there (internal_get_user_pages_fast)
  const write = (foll & FOLL_WRITE) !== 0 || (k.has(PATCH.gupForceCowBreak) && !k.has(PATCH.gupNoForceCowBreak));
  const e = new Pte();
  let n = 0;
  for (let addr = start; addr < end;) {
    const vma = vma_lookup(k, mm, addr);
    if (!vma) break;
    let pfn: number, slot: number, pages: number;
    // the PMD entry, or a hugetlb VMA's huge entry, which is a PMD leaf on x86 (gup_fast_pmd_range)
    const pmd = vma.vm_flags & VM_HUGETLB ? hugetlb_walk(k, mm, addr) : mm_find_pmd(k, mm, addr);
    if (!pmd) break;
    pmd.t.get(pmd.i, e);
    if ((vma.vm_flags & VM_HUGETLB) || g.pmd_trans_huge(e)) {
      // pmd_present, not PROT_NONE, then gup_fast_pmd_leaf: pmd_access_permitted (_PAGE_PRESENT, and the
      // write bit for a write: a migration entry or the uffd-wp marker, which x86's pmd_present may count as
      // present by their _PAGE_PSE, is not taken), then every page of the range within this PMD
      if (!g.pmd_present(e) || g.pmd_protnone(e) || !g.pte_present(e) || (write && !g.pmd_write(e))) break;
      const head = g.pmd_pfn(e);
      slot = k.folios.slotOf(head);
      pfn = head + (Math.floor(addr / PAGE_SIZE) % HPAGE_PMD_NR);
      if (!g.pmd_write(e) && gup_must_unshare(k, null, foll, is_huge_zero_pmd(k, e) ? -1 : slot, head)) break;
      pages = Math.min(HPAGE_PMD_NR - (Math.floor(addr / PAGE_SIZE) % HPAGE_PMD_NR), (end - addr) / PAGE_SIZE);
    } else {
      const pt = pte_offset_map(k, mm, pmd);
      if (!pt) break;
      pt.get(pte_index(addr), e);
      if (!g.pte_present(e) || g.pte_protnone(e) || (write && !g.pte_write(e))) break;
      // pte_special (the zero page, a pfn map): vm_normal_page finds no folio
      slot = vm_normal_page(k, vma, e);
      if (slot < 0) break;
      pfn = g.pte_pfn(e);
      if (!g.pte_write(e) && gup_must_unshare(k, null, foll, slot, pfn)) break;
      pages = 1;
    }
    if (slot >= 0 && (foll & FOLL_LONGTERM) && folio_is_zone_device(k, slot)) break;
    for (let i = 0; i < pages; i++) grab(pfn + i, slot);
    if (slot >= 0) k.folios.setFlag(slot, PG_referenced);
    n += pages;
    addr += pages * PAGE_SIZE;
  }
  return n;
}


/**
 * mark_page_accessed / folio_mark_accessed (mm/swap.c @v6.18, without MGLRU): the first access sets
 * PG_referenced, the next activates the folio (an evictable, inactive one) and clears it again
 */
export function mark_page_accessed(k: Kernel, slot: number): void {
  const f = k.folios;
  if (!f.test(slot, PG_referenced)) f.setFlag(slot, PG_referenced);
  else if (!f.test(slot, PG_unevictable) && !f.test(slot, PG_active)) {
    f.setFlag(slot, PG_active);
    f.clearFlag(slot, PG_referenced);
  }
}

/**
 * vm_fault_to_errno (include/linux/mm.h @v6.18): the errno of a failed fault; a poisoned page (a poison marker) is
 * EHWPOISON only for a caller that asked with FOLL_HWPOISON (MADV_POPULATE_*), EFAULT for the others (vmsplice,
 * pins, /proc/pid/mem)
 */
function vm_fault_to_errno(ret: number, foll: number): number {
  if (ret & VM_FAULT_OOM) return ERRNO.ENOMEM;
  if (ret & (VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE)) return foll & FOLL_HWPOISON ? ERRNO.EHWPOISON : ERRNO.EFAULT;
  return ERRNO.EFAULT; // VM_FAULT_SIGBUS, VM_FAULT_SIGSEGV
}

/** faults of one page, in a row and without progress, before the model calls GUP a livelock */
export const GUP_RETRY_LIMIT = 64;

/** where a __get_user_pages walk stands; the caller keeps it across handle_userfault's sleep and cond_resched */
export interface GupState {
  write: boolean;
  /** the page the walk is at */
  addr: number;
  /** end of the range */
  end: number;
  /** FOLL_TRIED: the walk retries the page at addr after a VM_FAULT_RETRY */
  tried: boolean;
  /** faults of the page at addr so far (a livelock guard; the kernel would spin) */
  attempts: number;
  /**
   * the walk's foll_flags (FOLL_*; FOLL_COW set by a fault stays for the rest of the walk, as the kernel's
   * local variable does); absent: MADV_POPULATE's FOLL_TOUCH [| FOLL_WRITE] | FOLL_UNLOCKABLE
   */
  foll?: number;
  /** stop at the cond_resched() after a fault that asks to follow the page again (a thread's step ends there) */
  yields?: boolean;
}

/**
 * how a walk ended: 'done' (state.addr reached state.end), 'unlocked' (a fault returned VM_FAULT_RETRY
 * and released the mmap lock: task.uwq is set when handle_userfault sleeps), 'resched' (s.yields: the walk
 * stops at cond_resched() before following the faulted page again), 'livelock', or an errno (the walk stopped
 * at state.addr)
 */
export type GupEnd = 'done' | 'unlocked' | 'resched' | 'livelock' | number;

/**
 * __get_user_pages (mm/gup.c @v4.9 .. @v6.18) over [s.addr, s.end): per VMA vma_lookup (a hole: EFAULT, ENOMEM for MADV_POPULATE_*)
 * and check_vma_flags; 17839856fd58 (v5.8, until a308c71bf1e6) adds FOLL_WRITE for a FOLL_GET or FOLL_PIN
 * walk in a COW mapping. Per page follow_page_mask, else faultin_page and follow again; each page followed
 * goes to `grab` (try_grab_folio, with the pfn and folio slot). Without FOLL_UNLOCKABLE a uffd fault cannot
 * sleep (handle_userfault without FAULT_FLAG_ALLOW_RETRY gives VM_FAULT_SIGBUS: -EFAULT). The faults carry
 * neither FAULT_FLAG_USER nor, on the caller's own mm, FAULT_FLAG_REMOTE. Advances s.addr over the pages done.
 */
export function __get_user_pages(k: Kernel, mm: MmStruct, s: GupState, grab?: (pfn: number, slot: number) => void): GupEnd {
  let vma: VmArea | null = null;
  const populate = s.foll === undefined;
  while (s.addr < s.end) {
    const foll0 = s.foll ?? (FOLL_TOUCH | FOLL_UNLOCKABLE | (s.write ? FOLL_WRITE : 0));
    let foll = foll0;
    if (!vma || s.addr >= vma.vm_end) {
      vma = vma_lookup(k, mm, s.addr);
      // a hole: -EFAULT for every GUP caller; MADV_POPULATE_* reports ENOMEM (madvise_populate, FOLL_MADV_POPULATE)
      if (!vma) return populate ? ERRNO.ENOMEM : ERRNO.EFAULT;
      const bad = check_vma_flags(k, vma, foll);
      // MADV_POPULATE_* reports a VMA it may not touch as EINVAL (madvise_populate)
      if (bad) return populate ? ERRNO.EINVAL : bad;
    }
    // should_force_cow_break (17839856fd58, v5.8; removed by a308c71bf1e6)
    if (k.has(PATCH.gupForceCowBreak) && !k.has(PATCH.gupNoForceCowBreak) && is_cow_mapping(vma.vm_flags) && (foll & (FOLL_GET | FOLL_PIN))) foll |= FOLL_WRITE;
    cond_resched();
    const step = follow_page_mask(k, mm, vma, s.addr, foll);
    if (step > 0) {
      if (grab) grab(followed.pfn, followed.slot);
      const n = grab ? 1 : step; // a caller that takes pages takes them one by one
      s.addr = Math.min(s.end, s.addr + n * PAGE_SIZE);
      s.attempts = 0;
      // FOLL_TRIED is passed for the one page that fired VM_FAULT_RETRY (__get_user_pages_locked)
      s.tried = false;
      continue;
    }
    if (++s.attempts > GUP_RETRY_LIMIT) return 'livelock';
    const unshare = step === -ERRNO.EMLINK;
    // faultin_page: FOLL_UNLOCKABLE gives ALLOW_RETRY | KILLABLE (no FOLL_INTERRUPTIBLE)
    let flags = (foll & FOLL_UNLOCKABLE ? FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE : 0) | (s.tried ? FAULT_FLAG_TRIED : 0);
    if (unshare) flags |= FAULT_FLAG_UNSHARE;
    else if (foll & FOLL_WRITE) flags |= FAULT_FLAG_WRITE;
    const ret = handle_mm_fault(k, vma, s.addr, flags);
    // faultin_page_range (MADV_POPULATE_*) asks with FOLL_HWPOISON
    if (ret & VM_FAULT_ERROR) return vm_fault_to_errno(ret, foll | (populate ? FOLL_HWPOISON : 0));
    if (ret & VM_FAULT_COMPLETED) {
      // -EAGAIN, *locked = 0 (d92725256b4f, v5.19): the fault is done but dropped the lock; the walk returns and
      // __get_user_pages_locked takes it again and retries this page with FOLL_TRIED (MADV_POPULATE_* from
      // 631426ba1d45, v6.9; before, madvise_populate called GUP afresh)
      s.tried = s.foll !== undefined || k.has(PATCH.madvPopulateRetry);
      k.tr?.emit('fault_retry', 'faultin_page', { address: s.addr, flags, flag_names: flagNames(flags, FAULT_FLAG_NAMES), why: 'VM_FAULT_COMPLETED: the mmap lock was released' });
      if (s.yields) return 'resched';
      continue;
    }
    if (ret & VM_FAULT_RETRY) {
      // -EBUSY, *locked = 0: the walk returns the pages done so far
      k.tr?.emit('fault_retry', 'faultin_page', {
        address: s.addr, flags, flag_names: flagNames(flags, FAULT_FLAG_NAMES),
        why: k.current?.uwq ? 'handle_userfault sleeps; GUP returns the pages done' : 'mmap lock released; GUP returns the pages done',
      });
      return 'unlocked';
    }
    // a COW fault in a VMA without VM_WRITE: FOLL_COW from 19be0eaffa3a (v4.9) to 5535be309971 (v6.0); before,
    // FOLL_WRITE dropped for the rest of the walk
    if ((ret & VM_FAULT_WRITE) && !(vma.vm_flags & VM_WRITE) && s.foll !== undefined && !unshare) {
      if (k.has(PATCH.follForceAnonExclusive)) { /* no FOLL_COW */ } else if (k.has(PATCH.follCow)) s.foll |= FOLL_COW;
      else s.foll &= ~FOLL_WRITE;
    }
    k.tr?.emit('fault_retry', 'faultin_page', { address: s.addr, flags, flag_names: flagNames(flags, FAULT_FLAG_NAMES), foll: flagNames(s.foll ?? foll0, FOLL_NAMES) });
    // 0: follow the page again (goto retry), after cond_resched()
    if (s.yields) return 'resched';
  }
  return 'done';
}

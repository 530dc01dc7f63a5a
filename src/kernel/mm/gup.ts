// The part of GUP that MADV_POPULATE_(READ|WRITE) drives (mm/gup.c @v5.14, @v6.18): the VMA checks,
// follow_page_mask with FOLL_TOUCH, faultin_page, and __get_user_pages' walk over a range, which
// stops (returning the pages done) when a fault released the mmap lock: handle_userfault slept, or
// asked for a retry. The callers (mm/madvise.ts) retry and resume; a fault that sleeps leaves
// task.uwq set, as on the CPU path.
import type { Kernel } from '../kernel.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { Pte } from '../arch/x86/include/pte.js';
import { HPAGE_PMD_NR, PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import { VM_IO, VM_PFNMAP, VM_READ, VM_WRITE } from '../include/vm_flags.js';
import {
  FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_KILLABLE, FAULT_FLAG_TRIED, FAULT_FLAG_WRITE, VM_FAULT_ERROR, VM_FAULT_HWPOISON,
  VM_FAULT_HWPOISON_LARGE, VM_FAULT_OOM, VM_FAULT_RETRY, flagNames, FAULT_FLAG_NAMES,
} from '../include/fault.js';
import { ERRNO } from '../include/errno.js';
import { cond_resched } from '../kernel/sched/core.js';
import { handle_mm_fault } from './memory.js';
import { pte_index, is_zero_pfn } from './pgtable.js';
import { PG_active, PG_dirty, PG_referenced, PG_unevictable } from './folio.js';
import { mm_find_pmd } from './rmap.js';
import { pte_offset_map } from './pagewalk.js';
import { vma_lookup } from './mmap.js';

/** check_vma_flags (mm/gup.c @v6.18) for an anonymous VMA, without FOLL_FORCE: may GUP access it? */
export function check_vma_flags(vma: VmArea, write: boolean): boolean {
  if (vma.vm_flags & (VM_IO | VM_PFNMAP)) return false;
  if (write) return (vma.vm_flags & VM_WRITE) !== 0;
  return (vma.vm_flags & VM_READ) !== 0;
}

/**
 * follow_page_mask with FOLL_TOUCH (mm/gup.c follow_page_pte, follow_huge_pmd @v6.18): is a page mapped
 * at addr with the access asked for? If so GUP touches it: a huge PMD becomes young (and dirty for a
 * write, touch_pmd); a small page's folio is marked accessed, and dirty for a write through a clean
 * PTE. The PTE itself is left as it is (unlike a CPU access). Returns how many pages GUP may step over
 * (the rest of a huge PMD: ctx.page_mask), 0 when there is no page to follow.
 */
export function follow_page_mask(k: Kernel, mm: MmStruct, addr: number, write: boolean): number {
  const g = k.pgt;
  const pmd = mm_find_pmd(k, mm, addr);
  if (!pmd) return 0;
  const e = pmd.t.get(pmd.i, new Pte());
  if (g.pmd_trans_huge(e)) {
    if (!(e.lo & 1) || (write && !g.pmd_write(e))) return 0;
    const t = g.pmd_mkyoung(e.clone());
    if (write) g.pmd_mkdirty(t);
    if (!t.equals(e)) pmd.t.set(pmd.i, t);
    return HPAGE_PMD_NR - (Math.floor(addr / PAGE_SIZE) % HPAGE_PMD_NR);
  }
  const pt = pte_offset_map(k, mm, pmd);
  if (!pt) return 0;
  pt.get(pte_index(addr), e);
  if (!(e.lo & 1) || (write && !g.pte_write(e))) return 0;
  const pfn = g.pte_pfn(e);
  if (g.pte_special(e) || is_zero_pfn(k, pfn)) return 1;
  const slot = k.folios.slotOf(pfn);
  if (slot < 0) return 1;
  if (write && !g.pte_dirty(e)) k.folios.setFlag(slot, PG_dirty); // set_page_dirty
  mark_page_accessed(k, slot);
  return 1;
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

/** vm_fault_to_errno (include/linux/mm.h @v6.18) with FOLL_HWPOISON: the errno of a failed fault */
function vm_fault_to_errno(ret: number): number {
  if (ret & VM_FAULT_OOM) return ERRNO.ENOMEM;
  if (ret & (VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE)) return ERRNO.EHWPOISON;
  return ERRNO.EFAULT; // VM_FAULT_SIGBUS, VM_FAULT_SIGSEGV
}

/** faults of one page, in a row and without progress, before the model calls GUP a livelock */
export const GUP_RETRY_LIMIT = 64;

/** where a __get_user_pages walk stands; the caller keeps it across handle_userfault's sleep */
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
}

/**
 * how a walk ended: 'done' (state.addr reached state.end), 'unlocked' (a fault returned VM_FAULT_RETRY
 * and released the mmap lock: task.uwq is set when handle_userfault sleeps), 'livelock', or an errno
 * (the walk stopped at state.addr)
 */
export type GupEnd = 'done' | 'unlocked' | 'livelock' | number;

/**
 * __get_user_pages (mm/gup.c @v6.18) for FOLL_TOUCH | FOLL_HWPOISON | FOLL_UNLOCKABLE |
 * FOLL_MADV_POPULATE [| FOLL_WRITE] [| FOLL_TRIED], without pages[]: per VMA vma_lookup (ENOMEM in a
 * hole) and check_vma_flags (EINVAL); per page follow_page_mask, else faultin_page and follow again.
 * The faults carry neither FAULT_FLAG_USER nor FAULT_FLAG_REMOTE (GUP on the caller's own mm), so a
 * UFFD_USER_MODE_ONLY userfaultfd refuses them. Advances state.addr over the pages done.
 */
export function __get_user_pages(k: Kernel, mm: MmStruct, s: GupState): GupEnd {
  let vma: VmArea | null = null;
  while (s.addr < s.end) {
    if (!vma || s.addr >= vma.vm_end) {
      vma = vma_lookup(k, mm, s.addr);
      if (!vma) return ERRNO.ENOMEM;
      if (!check_vma_flags(vma, s.write)) return ERRNO.EINVAL;
    }
    cond_resched();
    const step = follow_page_mask(k, mm, s.addr, s.write);
    if (step > 0) {
      s.addr = Math.min(s.end, s.addr + step * PAGE_SIZE);
      s.attempts = 0;
      // FOLL_TRIED is passed for the one page that fired VM_FAULT_RETRY (__get_user_pages_locked)
      s.tried = false;
      continue;
    }
    if (++s.attempts > GUP_RETRY_LIMIT) return 'livelock';
    // faultin_page: FOLL_UNLOCKABLE gives ALLOW_RETRY | KILLABLE (no FOLL_INTERRUPTIBLE)
    const flags = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | (s.write ? FAULT_FLAG_WRITE : 0) | (s.tried ? FAULT_FLAG_TRIED : 0);
    const ret = handle_mm_fault(k, vma, s.addr, flags);
    if (ret & VM_FAULT_ERROR) return vm_fault_to_errno(ret);
    if (ret & VM_FAULT_RETRY) {
      // -EBUSY, *locked = 0: the walk returns the pages done so far
      k.tr?.emit('fault_retry', 'faultin_page', {
        address: s.addr, flags, flag_names: flagNames(flags, FAULT_FLAG_NAMES),
        why: k.current?.uwq ? 'handle_userfault sleeps; GUP returns the pages done' : 'mmap lock released; GUP returns the pages done',
      });
      return 'unlocked';
    }
    // 0: follow the page again (goto retry)
  }
  return 'done';
}

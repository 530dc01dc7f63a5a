// madvise(2) (mm/madvise.c @v4.19, @v6.18): the VMA-flag advices, MADV_DONTNEED, MADV_FREE,
// MADV_POPULATE_(READ|WRITE), MADV_COLD and MADV_PAGEOUT of anonymous memory and shmem (reclaim: mm/vmscan.ts),
// MADV_REMOVE and MADV_COLLAPSE.
import type { Kernel } from '../kernel.js';
import { hugetlb_dontneed_end } from './hugetlb.js';
import { hugetlbfs_fallocate, is_file_hugepages } from '../fs/hugetlbfs.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import {
  VM_DONTCOPY, VM_HUGEPAGE, VM_IO, VM_LOCKED, VM_MERGEABLE, VM_NOHUGEPAGE, VM_PFNMAP, VM_SHARED, VM_WIPEONFORK,
  VM_DONTDUMP, VM_MAYSHARE, VM_HUGETLB, VM_MIXEDMAP, VM_DONTEXPAND, VM_RAND_READ, VM_SEQ_READ, VM_WRITE, VM_MAYWRITE, VM_SPECIAL, VM_MAYBE_GUARD, VM_STICKY,
} from '../include/vm_flags.js';
import { MADV, MadviseName } from '../include/uapi.js';
import { ERRNO, fail, notModelled, notModelledOnRelease, SyscallError } from '../include/errno.js';
import { PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import { PATCH } from '../../profiles/patches.js';
import { vma_modify, vmas_in, find_vma, vma_is_anonymous, vma_lookup } from './mmap.js';
import { userfaultfd_remove, type UffdMsg, type UserfaultfdCtx } from '../fs/userfaultfd.js';
import { is_guard_marker, is_poisoned_marker, make_pte_marker, PTE_MARKER_GUARD, set_pte_at, unmap_page_range, zap_folio_pte_batch } from './memory.js';
import { anon_vma_prepare } from './vma.js';
import { is_migration_entry } from './migrate.js';
import { VM_FAULT_RETRY } from '../include/fault.js';
import { __get_user_pages, type GupState } from './gup.js';
import { madvise_collapse } from './khugepaged.js';
import { Pte } from '../arch/x86/include/pte.js';
import { HPAGE_PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import { PG_active, PG_anon, PG_dirty, PG_lru, PG_referenced, PG_swapbacked, PG_swapcache, PG_unevictable, PG_zero } from './folio.js';
import { folio_free_swap, free_swap_and_cache, swpOffsetOf } from './swapfile.js';
import { reclaim_pages } from './vmscan.js';
import { forEachPmd } from './pagewalk.js';
import { folio_mapcount_large, folio_maybe_mapped_shared, mm_find_pmd } from './rmap.js';
import type { Patch } from '../../profiles/patches.js';
import { is_huge_zero_pmd, split_huge_page } from './huge_memory.js';
import { vm_normal_page } from './memory.js';
import { pte_index } from './pgtable.js';
import { pmdAlloc, pte_alloc, pte_offset_map } from './pagewalk.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, shmem_fallocate, shmem_split_folio } from './shmem.js';
import { INODE_TMPFS_FILE, folio_mapping } from './filemap.js';

/** the new vm_flags an advice asks for, or null when the advice does not change flags */
function madvise_flags(k: Kernel, vma: VmArea, advice: number): number | null {
  let f = vma.vm_flags;
  switch (advice) {
    case MADV.normal:
      return (f & ~(VM_RAND_READ | VM_SEQ_READ)) >>> 0;
    case MADV.sequential:
      return ((f & ~VM_RAND_READ) | VM_SEQ_READ) >>> 0;
    case MADV.random:
      return ((f & ~VM_SEQ_READ) | VM_RAND_READ) >>> 0;
    case MADV.hugepage:
      // hugepage_madvise
      return ((f & ~VM_NOHUGEPAGE) | VM_HUGEPAGE) >>> 0;
    case MADV.nohugepage:
      return ((f & ~VM_HUGEPAGE) | VM_NOHUGEPAGE) >>> 0;
    case MADV.dontfork:
      if (f & VM_IO) fail('EINVAL', 'MADV_DONTFORK on VM_IO');
      return (f | VM_DONTCOPY) >>> 0;
    case MADV.dofork:
      return (f & ~VM_DONTCOPY) >>> 0;
    case MADV.wipeonfork:
      // anonymous memory only: no file (a MAP_HUGETLB mapping has a hugetlbfs file in the kernel), not shared
      if (vma.vm_file !== 0 || (f & (VM_SHARED | VM_HUGETLB))) fail('EINVAL', 'MADV_WIPEONFORK on a file, shared or hugetlb mapping');
      return (f | VM_WIPEONFORK) >>> 0;
    case MADV.keeponfork:
      return (f & ~VM_WIPEONFORK) >>> 0;
    case MADV.dontdump:
      return (f | VM_DONTDUMP) >>> 0;
    case MADV.dodump:
      return (f & ~VM_DONTDUMP) >>> 0;
    case MADV.mergeable:
      // ksm_madvise: special mappings are left alone
      if (f & (VM_MERGEABLE | VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_HUGETLB | VM_MIXEDMAP)) return f;
      return (f | VM_MERGEABLE) >>> 0;
    case MADV.unmergeable:
      return (f & ~VM_MERGEABLE) >>> 0;
  }
  void k;
  return null;
}

/**
 * what a madvise call left to do: nothing (null), or a MADV_POPULATE_* whose GUP fault sleeps in
 * handle_userfault (resume it with madvise_populate_resume once woken), or one that keeps faulting
 */
export type MadviseResult = null | { kind: 'blocked'; cont: PopulateCont } | { kind: 'livelock'; address: number } | MadviseEvent;

/**
 * a MADV_DONTNEED that sent a REMOVE event (userfaultfd_remove) before zapping [start, end) of a VMA and
 * waits for it to be read: resume with madvise_dontneed_resume; `next` is where the walk goes on after
 * that VMA, `walkEnd` the end of the call's range, `unmapped` whether it met a hole so far
 */
export interface MadviseEvent {
  kind: 'event';
  ctx: UserfaultfdCtx;
  msg: UffdMsg;
  start: number;
  end: number;
  next: number;
  walkEnd: number;
  unmapped: boolean;
  /** a MADV_REMOVE's hole, fixed before the wait (the file it holds, and the byte offset of start in it) */
  remove?: { inode: number; offset: number };
}

/** MADV_DONTNEED, or MADV_DONTNEED_LOCKED (9457056ac426, v5.18), which takes the same path */
function is_dontneed(advice: number): boolean {
  return advice === MADV.dontneed || advice === MADV.dontneed_locked;
}

/** mm/madvise.c madvise_dontneed_free_valid_vma() @v5.18..v6.18, a VMA that is not hugetlb: the flags that refuse it (EINVAL) */
function dontneed_forbidden(advice: number): number {
  return advice === MADV.dontneed_locked ? VM_PFNMAP : VM_LOCKED | VM_PFNMAP;
}

/** do_madvise */
export function do_madvise(k: Kernel, mm: MmStruct, start: number, len: number, name: MadviseName): MadviseResult {
  const advice = MADV[name];
  if (advice === undefined) fail('EINVAL', `unknown advice ${name}`);
  if (start % PAGE_SIZE !== 0) fail('EINVAL', 'madvise start is not page aligned');
  if ((advice === MADV.populate_read || advice === MADV.populate_write) && !k.has(PATCH.madvPopulate)) fail('EINVAL', 'MADV_POPULATE_* is unknown before v5.14');
  if (advice === MADV.collapse && !k.has(PATCH.madvCollapse)) fail('EINVAL', 'MADV_COLLAPSE is unknown before v6.1');
  if (advice === MADV.dontneed_locked && !k.has(PATCH.madvDontneedLocked)) fail('EINVAL', 'MADV_DONTNEED_LOCKED is unknown before v5.18');
  if (advice === MADV.cold && !k.has(PATCH.madvCold)) fail('EINVAL', 'MADV_COLD is unknown before v5.4');
  if (advice === MADV.pageout && !k.has(PATCH.madvPageout)) fail('EINVAL', 'MADV_PAGEOUT is unknown before v5.4');
  // madvise_behavior_valid @v4.4: no MADV_FREE before 854e9ed09ded; @v4.13: no MADV_WIPEONFORK/KEEPONFORK before d2cd9ede6e19
  if (advice === MADV.free && !k.has(PATCH.madvFree)) fail('EINVAL', 'MADV_FREE is unknown before v4.5');
  // madvise_behavior_valid @v6.12: MADV_GUARD_INSTALL/REMOVE are unknown before 662df3e5c376 (v6.13)
  if ((advice === MADV.guard_install || advice === MADV.guard_remove) && !k.has(PATCH.guardRegions)) fail('EINVAL', `MADV_GUARD_${advice === MADV.guard_install ? 'INSTALL' : 'REMOVE'} is unknown before v6.13`);
  if ((advice === MADV.wipeonfork || advice === MADV.keeponfork) && !k.has(PATCH.madvWipeonfork)) fail('EINVAL', `MADV_${advice === MADV.wipeonfork ? 'WIPEONFORK' : 'KEEPONFORK'} is unknown before v4.14`);
  len = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  const end = start + len;
  if (end === start) return null;
  if (advice === MADV.populate_read || advice === MADV.populate_write) {
    k.tr?.emit('madvise', 'do_madvise', { start, end, advice: name });
    return madvise_populate(k, mm, start, end, advice === MADV.populate_write);
  }
  k.tr?.emit('madvise', 'do_madvise', { start, end, advice: name });
  return madvise_walk_vmas(k, mm, start, end, advice, false);
}

/**
 * mm/madvise.c madvise_walk_vmas() @v6.18: each VMA of [start, end) in turn; a hole is skipped and makes
 * the call ENOMEM at the end, an error stops it; after a VMA changed, the walk goes on after the VMA that
 * now covers it. A MADV_DONTNEED that must wait for its REMOVE event returns it (MadviseEvent).
 */
function madvise_walk_vmas(k: Kernel, mm: MmStruct, start: number, end: number, advice: number, unmapped: boolean): MadviseResult {
  let vma = find_vma(k, mm, start);
  let s = start;
  for (;;) {
    if (!vma) {
      unmapped = true;
      break;
    }
    if (s < vma.vm_start) {
      unmapped = true;
      s = vma.vm_start;
      if (s >= end) break;
    }
    const tmp = Math.min(vma.vm_end, end);
    if (is_dontneed(advice) && (vma.vm_flags & VM_HUGETLB)) {
      // madvise_dontneed_free_valid_vma (hugetlb): EINVAL, or the end the zap stops at; an empty range is 0
      const hend = hugetlb_dontneed_end(k, vma, s, tmp, true);
      if (hend > s) {
        const ev = userfaultfd_remove(vma, s, hend);
        if (ev) return { kind: 'event', ctx: ev.ctx, msg: ev.msg, start: s, end: hend, next: tmp, walkEnd: end, unmapped };
        unmap_page_range(k, mm, vma, s, hend);
      }
      s = tmp;
      if (s >= end) break;
      vma = find_vma(k, mm, tmp);
      continue;
    }
    if ((is_dontneed(advice) || advice === MADV.free) && !(vma.vm_flags & (dontneed_forbidden(advice) | VM_HUGETLB))) {
      // madvise_dontneed_free: userfaultfd_remove first (MADV_FREE too, from v4.13: before any profile with
      // UFFD_FEATURE_EVENT_REMOVE after v4.10; a shared mapping's MADV_FREE then fails), which drops the
      // mmap lock to wait for the event
      const ev = userfaultfd_remove(vma, s, tmp);
      if (ev) return { kind: 'event', ctx: ev.ctx, msg: ev.msg, start: s, end: tmp, next: tmp, walkEnd: end, unmapped };
    }
    if (advice === MADV.remove) {
      // madvise_remove: its checks, then userfaultfd_remove (the mmap lock dropped to wait for the event),
      // then the hole punched in the file it holds; the walk goes on at tmp (find_vma: the lock was dropped)
      const hole = madvise_remove_prep(k, vma, s);
      const ev = userfaultfd_remove(vma, s, tmp);
      if (ev) return { kind: 'event', ctx: ev.ctx, msg: ev.msg, start: s, end: tmp, next: tmp, walkEnd: end, unmapped, remove: hole };
      madvise_remove_punch(k, hole, tmp - s);
      s = tmp;
      if (s >= end) break;
      vma = find_vma(k, mm, tmp);
      continue;
    }
    const after = madvise_vma_behavior(k, mm, vma, s, tmp, advice);
    s = Math.max(tmp, after.vm_end);
    if (s >= end) break;
    vma = find_vma(k, mm, after.vm_end);
  }
  if (unmapped) fail('ENOMEM', 'part of the range is not mapped');
  return null;
}

/**
 * mm/madvise.c madvise_dontneed_free() @v6.18 after userfaultfd_remove() returned false: the mmap lock is
 * taken again and the VMA looked up again at start (gone: ENOMEM; shrunk: the zap stops at its end, and
 * the event is not sent again for the rest), the zap done, and the walk goes on after it
 */
export function madvise_dontneed_resume(k: Kernel, mm: MmStruct, e: { start: number; end: number; next: number; walkEnd: number; unmapped: boolean; advice: number }): MadviseResult {
  const vma = vma_lookup(k, mm, e.start);
  if (!vma) fail('ENOMEM', 'the VMA went away while the REMOVE event was read');
  let end = Math.min(e.end, vma.vm_end);
  // madvise_dontneed_free_valid_vma again (a hugetlb VMA takes MADV_DONTNEED only)
  if (vma.vm_flags & VM_HUGETLB) end = hugetlb_dontneed_end(k, vma, e.start, end, is_dontneed(e.advice));
  else if (vma.vm_flags & dontneed_forbidden(e.advice)) fail('EINVAL', 'MADV_DONTNEED on a locked or special mapping');
  if (end > e.start) madvise_dontneed_or_free(k, mm, vma, e.start, end, e.advice);
  if (e.next >= e.walkEnd) {
    if (e.unmapped) fail('ENOMEM', 'part of the range is not mapped');
    return null;
  }
  return madvise_walk_vmas(k, mm, e.next, e.walkEnd, e.advice, e.unmapped);
}

/**
 * mm/madvise.c madvise_dontneed_free() @v6.18, its end: madvise_dontneed_single_vma, or
 * madvise_free_single_vma (only anonymous memory: EINVAL for a file or shared mapping)
 */
function madvise_dontneed_or_free(k: Kernel, mm: MmStruct, v: VmArea, start: number, end: number, advice: number): void {
  if (is_dontneed(advice)) {
    madvise_dontneed_single_vma(k, mm, v, start, end);
    return;
  }
  if (v.vm_file !== 0) fail('EINVAL', 'MADV_FREE on a file or shared mapping');
  if (!k.has(PATCH.madvFreeLazyfreeLru)) {
    notModelledOnRelease('advice', 'MADV_FREE before f7ad2a6cb9f7 (v4.12): lazily freed pages stayed swap-backed on the anonymous LRU');
  }
  madvise_free_single_vma(k, mm, v, start, end);
}

/**
 * mm/madvise.c madvise_remove() @v6.18 after userfaultfd_remove() returned false: the hole is punched in
 * the file the call holds (whatever became of the VMA meanwhile: nothing is looked up again), and the walk
 * goes on after the VMA's part of the range
 */
export function madvise_remove_resume(k: Kernel, mm: MmStruct, e: { start: number; end: number; walkEnd: number; unmapped: boolean; remove: { inode: number; offset: number } }): MadviseResult {
  madvise_remove_punch(k, e.remove, e.end - e.start);
  if (e.end >= e.walkEnd) {
    if (e.unmapped) fail('ENOMEM', 'part of the range is not mapped');
    return null;
  }
  return madvise_walk_vmas(k, mm, e.end, e.walkEnd, MADV.remove, e.unmapped);
}

/** a MADV_POPULATE_* under way: the GUP walk, and (before fa9fcd8bb6e4) the madvise VMA walk around it */
export interface PopulateCont {
  gup: GupState;
  /** end of the madvise range */
  walkEnd: number;
  /** the madvise VMA walk met a hole (-ENOMEM once it is over) */
  unmapped: boolean;
}

/**
 * madvise_populate (mm/madvise.c @v6.18): faultin_page_range() over the whole range, -ENOMEM at the first
 * hole (fa9fcd8bb6e4, v6.10); before, the madvise VMA walk calls it for each VMA's part of the range and
 * skips holes, -ENOMEM at the end (@v6.1)
 */
function madvise_populate(k: Kernel, mm: MmStruct, start: number, end: number, write: boolean): MadviseResult {
  const c: PopulateCont = { gup: { write, addr: start, end: start, tried: false, attempts: 0 }, walkEnd: end, unmapped: false };
  if (k.has(PATCH.madvPopulateNoVmaWalk)) {
    c.gup.end = end;
    return populate_range(k, mm, c);
  }
  return madvise_walk_populate(k, mm, c);
}

/**
 * a MADV_POPULATE_* whose fault slept in handle_userfault, once woken (handle_userfault returned
 * VM_FAULT_RETRY, the mmap lock is taken again): from 631426ba1d45 (v6.9) __get_user_pages_locked retries
 * the page that fired the retry with FOLL_TRIED (a fault there counts as major); before, madvise_populate
 * called GUP afresh from that page
 */
export function madvise_populate_resume(k: Kernel, mm: MmStruct, c: PopulateCont): MadviseResult {
  const task = k.current!;
  task.uwq = null;
  k.tr?.emit('fault_resume', 'handle_userfault', { address: c.gup.addr, ret: VM_FAULT_RETRY, ret_names: 'RETRY' });
  c.gup.tried = k.has(PATCH.madvPopulateRetry);
  const r = populate_range(k, mm, c);
  if (r !== null || k.has(PATCH.madvPopulateNoVmaWalk)) return r;
  return madvise_walk_populate(k, mm, c);
}

/**
 * madvise_walk_vmas (mm/madvise.c @v6.1) for MADV_POPULATE_*, from c.gup.end on: each VMA's part of the
 * range goes to madvise_populate; holes are skipped and make the call fail with ENOMEM at the end
 */
function madvise_walk_populate(k: Kernel, mm: MmStruct, c: PopulateCont): MadviseResult {
  let start = c.gup.end;
  while (start < c.walkEnd) {
    const vma = find_vma(k, mm, start);
    if (!vma) {
      c.unmapped = true;
      break;
    }
    if (start < vma.vm_start) {
      c.unmapped = true;
      start = vma.vm_start;
      if (start >= c.walkEnd) break;
    }
    const tmp = Math.min(vma.vm_end, c.walkEnd);
    c.gup.addr = start;
    c.gup.end = tmp;
    c.gup.tried = false;
    c.gup.attempts = 0;
    const r = populate_range(k, mm, c);
    if (r !== null) return r;
    start = tmp;
  }
  if (c.unmapped) fail('ENOMEM', 'part of the range is not mapped');
  return null;
}

/**
 * madvise_populate's loop over faultin_page_range (@v6.18; faultin_vma_page_range before 631426ba1d45):
 * GUP until c.gup.end; a fault that released the mmap lock without sleeping is retried at once; a GUP
 * error becomes the call's errno (EINVAL: a VMA GUP may not touch; EFAULT: VM_FAULT_SIGBUS/SIGSEGV;
 * ENOMEM: a hole, or out of memory)
 */
function populate_range(k: Kernel, mm: MmStruct, c: PopulateCont): MadviseResult {
  for (;;) {
    const r = __get_user_pages(k, mm, c.gup);
    if (r === 'done') return null;
    if (r === 'livelock') return { kind: 'livelock', address: c.gup.addr };
    if (r === 'unlocked') {
      if (k.current?.uwq) return { kind: 'blocked', cont: c };
      // handle_userfault did not sleep (must_wait was false): take the lock again and retry
      c.gup.tried = k.has(PATCH.madvPopulateRetry);
      continue;
    }
    const why = r === ERRNO.EINVAL ? 'GUP may not access this VMA (check_vma_flags)'
      : r === ERRNO.EFAULT ? 'the fault failed with VM_FAULT_SIGBUS or VM_FAULT_SIGSEGV'
      : r === ERRNO.ENOMEM ? 'a hole in the range, or out of memory' : 'GUP failed';
    // EINTR, EINVAL, EHWPOISON and EFAULT pass; anything else is ENOMEM
    const errno = r === ERRNO.EINTR || r === ERRNO.EINVAL || r === ERRNO.EHWPOISON || r === ERRNO.EFAULT ? r : ERRNO.ENOMEM;
    throw new SyscallError(errno, `populate at 0x${c.gup.addr.toString(16)}: ${why}`);
  }
}

/**
 * mm/madvise.c madvise_vma_behavior() @v6.18 for one VMA's part [start, end) of the range: returns the
 * VMA that covers it afterwards (madvise_update_vma may have merged it into a neighbour)
 */
function madvise_vma_behavior(k: Kernel, mm: MmStruct, v: VmArea, start: number, end: number, advice: number): VmArea {
  if (advice === MADV.collapse) {
    madvise_collapse(k, mm, start, end);
    return v;
  }
  if ((is_dontneed(advice) || advice === MADV.free) && (v.vm_flags & VM_HUGETLB)) {
    hugetlb_dontneed_end(k, v, start, end, is_dontneed(advice)); // MADV_FREE: EINVAL
    return v;
  }
  if (is_dontneed(advice) || advice === MADV.free) {
    if (v.vm_flags & dontneed_forbidden(advice)) fail('EINVAL', 'MADV_DONTNEED on a locked or special mapping');
    madvise_dontneed_or_free(k, mm, v, start, end, advice);
    return v;
  }
  if (advice === MADV.cold || advice === MADV.pageout) {
    madvise_cold_or_pageout(k, mm, v, start, end, advice === MADV.pageout);
    return v;
  }
  if (advice === MADV.guard_install) {
    madvise_guard_install(k, mm, v, start, end);
    return v;
  }
  if (advice === MADV.guard_remove) {
    madvise_guard_remove(k, mm, v, start, end);
    return v;
  }
  const nf = madvise_flags(k, v, advice);
  if (nf === null || nf === v.vm_flags) return v;
  // madvise_update_vma: vma_modify_flags, then vm_flags_reset on the VMA that covers the range (with the sticky
  // flags a merge gathered: vma_modify_flags' residual flags, 9119d6c2095b)
  const x = vma_modify(k, mm, v, start, end, { vm_flags: nf });
  x.vm_flags = (nf | (x.vm_flags & VM_STICKY)) >>> 0;
  return x;
}

// ---- guard regions (662df3e5c376, v6.13): MADV_GUARD_INSTALL / MADV_GUARD_REMOVE ----------------------------

/**
 * mm/madvise.c is_valid_guard_vma() @v6.13, @v6.15..v6.18: never a VM_SPECIAL or hugetlb VMA, nor for install
 * an mlocked one (removing markers destroys nothing); before f807123d578d (v6.15) also only an anonymous VMA
 * that may be written (vma_is_anonymous and VM_MAYWRITE: not shmem nor any file mapping; a private anonymous
 * mapping always has VM_MAYWRITE, PROT_READ or not)
 */
function is_valid_guard_vma(k: Kernel, vma: VmArea, allow_locked: boolean): boolean {
  const disallowed = VM_SPECIAL | VM_HUGETLB | (allow_locked ? 0 : VM_LOCKED);
  if (vma.vm_flags & disallowed) return false;
  if (!k.has(PATCH.guardRegionsFile) && (!vma_is_anonymous(vma) || !(vma.vm_flags & VM_MAYWRITE))) return false;
  return true;
}

/**
 * mm/madvise.c madvise_guard_install() @v6.13, @v6.18: the VMA gets its anon_vma (so that fork copies its page
 * tables, a file VMA's too; from 49e14dabed7a, in 6.18.y, VM_MAYBE_GUARD instead, and an anonymous VMA its
 * anon_vma), then every PTE of [start, end) that is none takes the guard marker
 * (guard_install_set_pte; page tables allocated as the walk's install_pte does), one that is a guard
 * marker stays. Anything else (a page, a huge PMD, a swap entry, another marker) makes the kernel zap the
 * range without ZAP_FLAG_DROP_MARKER (zap_page_range_single, NULL details) and walk again. The kernel tries
 * that three times and then restarts the syscall, for page faults that may race in between its walks; a
 * model step runs the call alone, so one zap always suffices and that retry loop is not modelled. A file
 * VMA's uffd-wp state survives such a zap (a uffd-wp PTE leaves the uffd-wp marker, a marker stays), so the
 * walk never succeeds and the kernel restarts the call for ever (measured on this 6.18: a memfd mapping
 * registered for WP with WP_UNPOPULATED, write-protected, then MADV_GUARD_INSTALL spins until killed): refused
 */
function madvise_guard_install(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number): void {
  if (!is_valid_guard_vma(k, vma, false)) fail('EINVAL', 'MADV_GUARD_INSTALL on a VMA that may not take guard markers (is_valid_guard_vma)');
  if (k.has(PATCH.guardVmaFlag)) {
    // 49e14dabed7a: VM_MAYBE_GUARD (set atomically under the read lock: no split, no merge), and an anon_vma for
    // anonymous memory only (fork copies a VMA with the flag anyway)
    vma.vm_flags = (vma.vm_flags | VM_MAYBE_GUARD) >>> 0;
    if (vma_is_anonymous(vma)) anon_vma_prepare(mm, vma);
  } else anon_vma_prepare(mm, vma);
  const g = k.pgt;
  const e = new Pte();
  const busy = (): boolean => {
    for (let a = start; a < end;) {
      const pmd = mm_find_pmd(k, mm, a);
      const next = Math.min(end, (Math.floor(a / HPAGE_PMD_SIZE) + 1) * HPAGE_PMD_SIZE);
      if (pmd) {
        pmd.t.get(pmd.i, e);
        if (g.pmd_trans_huge(e) || is_migration_entry(k, e)) return true;
        const t = pte_offset_map(k, mm, pmd);
        for (let x = a; t && x < next; x += PAGE_SIZE) {
          t.get(pte_index(x), e);
          if (!g.pte_none(e) && !is_guard_marker(k, e)) return true;
        }
      }
      a = next;
    }
    return false;
  };
  if (busy()) {
    // guard_install_pte_entry/pmd_entry returned 1: zap_page_range_single(vma, start, len, NULL)
    unmap_page_range(k, mm, vma, start, end, { mapping: 0, even_cows: true });
    if (busy()) notModelled('advice', 'MADV_GUARD_INSTALL over an entry its zap leaves (a uffd-wp marker of a file VMA): the kernel restarts the call for ever');
  }
  let n = 0;
  for (let a = start; a < end; a += PAGE_SIZE) {
    const t = pte_alloc(k, mm, pmdAlloc(k, mm, a));
    const i = pte_index(a);
    if (!t.isNone(i)) continue;
    set_pte_at(k, { t, i }, make_pte_marker(k, PTE_MARKER_GUARD), a, 'guard_install_set_pte');
    n++;
  }
  k.tr?.emit('madvise', 'madvise_guard_install', { start, end, advice: 'guard_install', installed: n });
}

/**
 * mm/madvise.c madvise_guard_remove() @v6.13, @v6.18: is_valid_guard_vma (mlocked allowed), then each guard
 * marker of [start, end) is cleared (guard_remove_pte_entry); pages, other markers and huge PMDs stay, and no
 * page table is allocated or freed
 */
function madvise_guard_remove(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number): void {
  if (!is_valid_guard_vma(k, vma, true)) fail('EINVAL', 'MADV_GUARD_REMOVE on a VMA that may not take guard markers (is_valid_guard_vma)');
  const e = new Pte();
  let n = 0;
  for (let a = start; a < end;) {
    const next = Math.min(end, (Math.floor(a / HPAGE_PMD_SIZE) + 1) * HPAGE_PMD_SIZE);
    const pmd = mm_find_pmd(k, mm, a);
    const t = pmd ? pte_offset_map(k, mm, pmd) : null;
    for (let x = a; t && x < next; x += PAGE_SIZE) {
      const i = pte_index(x);
      if (!is_guard_marker(k, t.get(i, e))) continue;
      set_pte_at(k, { t, i }, new Pte(), x, 'guard_remove_pte_entry');
      n++;
    }
    a = next;
  }
  k.tr?.emit('madvise', 'madvise_guard_remove', { start, end, advice: 'guard_remove', removed: n });
}

/**
 * mm/madvise.c madvise_dontneed_single_vma() @v6.18: zap_page_range_single with even_cows and, from v6.14
 * (x86-pt-reclaim), reclaim_pt; no ZAP_FLAG_DROP_MARKER, so a file VMA keeps its uffd-wp state as markers
 */
function madvise_dontneed_single_vma(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number): void {
  unmap_page_range(k, mm, vma, start, end, { mapping: 0, even_cows: true, reclaim_pt: true });
}

/**
 * madvise_remove (mm/madvise.c @v4.19..v6.18), its checks: it punches a hole in the file behind a VMA
 * (anonymous memory has none); returns that file and the byte offset of start in it
 */
function madvise_remove_prep(k: Kernel, vma: VmArea, start: number): { inode: number; offset: number } {
  if (vma.vm_flags & VM_LOCKED) fail('EINVAL', 'MADV_REMOVE on a locked VMA');
  // (a MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB mapping has a hugetlbfs file in the kernel, vm_file 0 in the model)
  if (vma.vm_file === 0 && !(vma.vm_flags & VM_HUGETLB)) fail('EINVAL', 'MADV_REMOVE on a VMA without a file (private anonymous memory)');
  // mm/madvise.c madvise_remove() @v6.18: only a shared mapping that may be written (e8e17ee90eaf, v6.7:
  // VM_MAYWRITE; before, VM_WRITE); then vfs_fallocate(PUNCH_HOLE|KEEP_SIZE)
  const want = VM_SHARED | (k.has(PATCH.vmaSharedMaywrite) ? VM_MAYWRITE : VM_WRITE);
  if ((vma.vm_flags & want) !== want) fail('EACCES', 'MADV_REMOVE on a mapping that is not shared and writable');
  return { inode: vma.vm_file, offset: (start - vma.vm_start) + vma.vm_pgoff * PAGE_SIZE };
}

/** madvise_remove (mm/madvise.c @v4.19..v6.18), its end: vfs_fallocate(PUNCH_HOLE|KEEP_SIZE) of len bytes at the hole's offset */
function madvise_remove_punch(k: Kernel, hole: { inode: number; offset: number }, len: number): void {
  const m = k.inode(hole.inode)!;
  if (is_file_hugepages(m)) hugetlbfs_fallocate(k, m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, hole.offset, len);
  else shmem_fallocate(k, m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, hole.offset, len);
}

// ---- oldfile: the reclaim device -------------------------------------------------------------------

/**
 * The model's `reclaim` operation (no kernel function: a model device). Memory pressure reclaims exactly the
 * pages of [start, start + len) that MADV_PAGEOUT would isolate (present, on the LRU, mapped by this process
 * only), as shrink_page_list would on reaching them at the tail of the inactive list with no references since
 * they were last scanned (mm/vmscan.c shrink_page_list @v3.11, shrink_folio_list @v6.18; add_to_swap, then
 * try_to_unmap_one, then pageout): on any release, MADV_PAGEOUT (v5.4) or not. It fails as MADV_PAGEOUT does
 * (EINVAL: unaligned, or a locked or special VMA; ENOMEM: a hole), so that the host runs it as MADV_PAGEOUT.
 */
export function reclaim_range(k: Kernel, mm: MmStruct, start: number, len: number): void {
  if (start % PAGE_SIZE !== 0) fail('EINVAL', 'reclaim start is not page aligned');
  len = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  if (len === 0) return;
  k.tr?.emit('madvise', 'reclaim (model device)', { start, end: start + len, advice: 'pageout' });
  const r = madvise_walk_vmas(k, mm, start, start + len, MADV.pageout, false);
  if (r !== null) notModelled('op', 'reclaim that waits for a userfaultfd event');
}

/**
 * madvise_cold, madvise_pageout (mm/madvise.c @v5.4..v6.18): can_madv_lru_vma(), then the page walk. MADV_PAGEOUT
 * of a file VMA (shmem here) whose file the caller could not write does nothing in a shared mapping, and takes
 * only the anonymous COW copies of a private one (pageout_anon_only_filter, fd3b1bc3c86e, v6.2; before, nothing)
 */
function madvise_cold_or_pageout(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number, pageout: boolean): void {
  if (vma.vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB)) fail('EINVAL', `MADV_${pageout ? 'PAGEOUT' : 'COLD'} on a locked or special VMA`);
  const anonOnly = pageout && vma.vm_file !== 0 && !can_do_file_pageout(k, vma);
  // before fd3b1bc3c86e (v6.2) can_do_pageout() refused such a VMA whole, the COW copies of a private one too
  if (anonOnly && ((vma.vm_flags & VM_MAYSHARE) || !k.has(PATCH.madvPageoutPrivateFileAnon))) return;
  madvise_pageout_page_range(k, mm, vma, start, end, pageout, anonOnly);
}

/**
 * mm/madvise.c can_do_file_pageout() @v6.18: the caller owns the file's inode or may write it (inode_owner_or_capable,
 * file_permission(MAY_WRITE)). Root may (CAP_FOWNER); a memfd's and a shared anonymous mapping's inode is mode 0777,
 * so anyone may write it; a tmpfs file of `open` is mode 0600: its owner only.
 */
function can_do_file_pageout(k: Kernel, vma: VmArea): boolean {
  const task = k.current;
  if (!task || task.uid === 0) return true;
  const m = k.inode(vma.vm_file)!;
  return !(m.flags & INODE_TMPFS_FILE) || m.i_uid === task.uid;
}

/**
 * include/linux/huge_mm.h split_folio() @v6.18 as the MADV_COLD/PAGEOUT walk calls it: an anonymous THP by
 * split_huge_page; a page-cache (shmem) one by the file split, which unmaps it everywhere (its pages are not mapped
 * back: they refault). 0, or -EBUSY.
 */
function split_folio(k: Kernel, slot: number): number {
  const f = k.folios;
  if (f.test(slot, PG_anon)) return split_huge_page(k, slot);
  return shmem_split_folio(k, k.inode(folio_mapping(k, slot))!, slot, true);
}

/**
 * may another mapping share this PTE-mapped large folio, as the MADV_COLD/PAGEOUT and MADV_FREE walks ask before they
 * split it (mm/madvise.c @v5.4..v6.18), by release: the mapcount of the page at pfn (page_mapcount() != 1, v5.4 on);
 * from `regression` (the folio conversions 07e8c82b5eff, v6.3, and 98b211d6415f, v6.1) folio_mapcount() != 1, which
 * holds for any large folio mapped by two PTEs, so the walk never split one; from `fix` (2f406263e3e9 and
 * 0e0e9bd5f7b9, v6.5) folio_estimated_sharers() != 1, the first page's mapcount, which took a folio whose first page
 * is unmapped for shared; from `zero` (cc864ebba5f6, v6.9, MADV_COLD/PAGEOUT only) > 1; from ebb34f78d72c (v6.10)
 * folio_likely_mapped_shared(), and folio_maybe_mapped_shared() from 003fde4492c8 (v6.15)
 */
function madvise_large_folio_shared(k: Kernel, slot: number, pfn: number, regression: Patch, fix: Patch, zero?: Patch): boolean {
  const f = k.folios;
  if (k.has(PATCH.folioLikelyMappedShared)) return folio_maybe_mapped_shared(k, slot);
  if (k.has(fix)) {
    const sharers = f.pageMapcount(slot, f.pfn(slot));
    return zero && k.has(zero) ? sharers > 1 : sharers !== 1;
  }
  if (k.has(regression)) return folio_mapcount_large(k, slot) !== 1;
  return f.pageMapcount(slot, pfn) !== 1;
}

/** mm/swap.c folio_deactivate() @v6.18 (lru_deactivate, without MGLRU): an active evictable folio goes to the inactive list, unreferenced */
function folio_deactivate(k: Kernel, slot: number): void {
  const f = k.folios;
  if (f.test(slot, PG_unevictable) || !f.test(slot, PG_active)) return;
  f.clearFlag(slot, PG_active | PG_referenced);
}

/** mm/madvise.c madvise_folio_pte_batch() @v6.18: folio_pte_batch with the flags zap_present_ptes passes too */
function madvise_folio_pte_batch(k: Kernel, t: import('./pgtable.js').PageTable, i: number, max: number, slot: number, first: Pte): number {
  return zap_folio_pte_batch(k, t, i, max, slot, first);
}

/**
 * madvise_cold_or_pageout_pte_range (mm/madvise.c @v5.4..v6.18): per PMD, the folios mapped only here (folio_mapcount
 * == its pages; every folio before 12e967fd8e4e, v5.6) lose PG_referenced; with pageout they are isolated, and reclaim_pages() reclaims them at the end
 * of that PMD's walk; without (MADV_COLD) their entries are made old and they are deactivated. A THP the range
 * covers only in part is split first; the huge zero page, swap entries and markers are skipped. (With pageout the
 * model leaves the entries' accessed bits as they were: the kernel clears them too.)
 */
function madvise_pageout_page_range(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number, pageout = true, anonOnly = false): void {
  const g = k.pgt;
  const f = k.folios;
  const e = new Pte();
  forEachPmd(k, mm, start, end, false, (pmd, addr, next) => {
    const list: number[] = [];
    pmd.t.get(pmd.i, e);
    let ptes = true;
    if (g.pmd_trans_huge(e)) {
      ptes = false;
      if (!is_huge_zero_pmd(k, e)) {
        const slot = f.slotOf(g.pmd_pfn(e));
        // before 12e967fd8e4e (v5.6) only a THP the range covers in part was asked whether another mapping shares it
        const whole = next - addr === HPAGE_PMD_SIZE;
        const shared = slot >= 0 && (!whole || k.has(PATCH.madvColdExclusiveOnly)) && folio_maybe_mapped_shared(k, slot);
        if (slot >= 0 && !shared && !(anonOnly && !f.test(slot, PG_anon))) {
          if (!whole) ptes = split_folio(k, slot) === 0;
          else if (!pageout) {
            // the whole THP: its PMD made old, then folio_deactivate
            if (g.pmd_young(e)) pmd.t.set(pmd.i, g.pmd_mkold(e));
            f.clearFlag(slot, PG_referenced);
            folio_deactivate(k, slot);
          } else {
            f.clearFlag(slot, PG_referenced);
            if (f.test(slot, PG_lru) && !f.test(slot, PG_unevictable)) list.push(slot);
          }
        }
      }
    }
    if (ptes) {
      const t = pte_offset_map(k, mm, pmd);
      if (t) {
        for (let a = addr; a < next; a += PAGE_SIZE) {
          const i = pte_index(a);
          t.get(i, e);
          if (!g.pte_present(e)) continue;
          const slot = vm_normal_page(k, vma, e);
          if (slot < 0 || f.test(slot, PG_zero) || list.includes(slot)) continue;
          if (f.isLarge(slot)) {
            // a large folio the range does not cover whole (madvise_folio_pte_batch: the PTEs from here that
            // map its next pages and differ only in write, young, dirty and soft-dirty, a uffd-wp bit breaking
            // the batch) is split, and this page taken again; a split that fails passes this page over
            const base = f.pfn(slot), n = f.nrPages(slot);
            const from = g.pte_pfn(e);
            // before 2f406263e3e9 (v6.5) every large folio went this way, and one that was shared or did not split
            // ended the walk of the PMD ("break"); the batch of a whole folio is the model's from v6.5
            const old = !k.has(PATCH.madvColdLargeFolioSharers);
            const covered = !old && from === base && a + n * PAGE_SIZE <= next && madvise_folio_pte_batch(k, t, i, n, slot, e) === n;
            if (!covered) {
              if (madvise_large_folio_shared(k, slot, from, PATCH.madvColdFolioMapcount, PATCH.madvColdLargeFolioSharers, PATCH.madvColdEstimatedSharersZero) ||
                  (anonOnly && !f.test(slot, PG_anon)) || split_folio(k, slot) !== 0) {
                if (old) break;
                continue;
              }
              a -= PAGE_SIZE;
              continue;
            }
          }
          // a page another mapping maps too is left alone from 12e967fd8e4e (v5.6); before, a COW page a fork shares
          // was deactivated, or reclaimed from every mapping
          if (!f.test(slot, PG_lru) || (k.has(PATCH.madvColdExclusiveOnly) && f.folioMapcount(slot) !== f.nrPages(slot))) continue;
          if (anonOnly && !f.test(slot, PG_anon)) continue;
          if (!pageout) {
            // clear_young_dirty_ptes(CYDP_CLEAR_YOUNG) over the folio's PTEs from here, then folio_deactivate
            const nr = f.isLarge(slot) ? f.nrPages(slot) : 1;
            const y = new Pte();
            for (let j = 0; j < nr; j++) {
              t.get(i + j, y);
              if (g.pte_young(y)) t.set(i + j, g.pte_mkold(y));
            }
            f.clearFlag(slot, PG_referenced);
            folio_deactivate(k, slot);
            a += (nr - 1) * PAGE_SIZE;
            continue;
          }
          f.clearFlag(slot, PG_referenced);
          if (!f.test(slot, PG_unevictable)) list.push(slot);
        }
      }
    }
    if (list.length) reclaim_pages(k, list);
  });
}

/** folio_mark_lazyfree (mm/swap.c): once its lru_lazyfree batch drains, a clean-able anon folio moves to
 * the file LRU, inactive, unreferenced and no longer swap-backed (reclaim may then drop it) */
function folio_mark_lazyfree(k: Kernel, slot: number): void {
  const f = k.folios;
  if (!f.test(slot, PG_anon) || !f.test(slot, PG_swapbacked) || f.test(slot, PG_unevictable)) return;
  f.clearFlag(slot, PG_active | PG_referenced | PG_swapbacked);
}

/** madvise_free_huge_pmd (mm/huge_memory.c @v4.19..v6.18): true when the whole PMD was handled */
function madvise_free_huge_pmd(k: Kernel, mm: MmStruct, vma: VmArea, pmd: { t: import('./pgtable.js').PageTable; i: number }, addr: number, next: number): boolean {
  const g = k.pgt;
  const f = k.folios;
  const v = pmd.t.get(pmd.i, new Pte());
  if (is_huge_zero_pmd(k, v)) return true;
  const slot = f.slotOf(g.pmd_pfn(v));
  if (slot < 0 || folio_maybe_mapped_shared(k, slot)) return true; // shared with another mm: skip it
  if (next - addr !== HPAGE_PMD_SIZE) {
    // a part of the THP: split the folio (and with it the PMD), then lazyfree the pages in range
    split_huge_page(k, slot);
    return false;
  }
  f.clearFlag(slot, PG_dirty);
  if (g.pmd_young(v) || g.pmd_dirty(v)) {
    g.pmd_mkold(v);
    g.pmd_mkclean(v);
    pmd.t.set(pmd.i, v);
  }
  folio_mark_lazyfree(k, slot);
  void mm;
  return true;
}

/** madvise_free_single_vma + madvise_free_pte_range (mm/madvise.c @v6.18) */
function madvise_free_single_vma(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number): void {
  const g = k.pgt;
  const f = k.folios;
  const e = new Pte();
  forEachPmd(k, mm, start, end, false, (pmd, addr, next) => {
    pmd.t.get(pmd.i, e);
    if (g.pmd_trans_huge(e) && madvise_free_huge_pmd(k, mm, vma, pmd, addr, next)) return;
    const t = pte_offset_map(k, mm, pmd);
    if (!t) return;
    for (let a = addr; a < next; a += PAGE_SIZE) {
      const i = pte_index(a);
      t.get(i, e);
      if (!g.pte_present(e)) {
        // a swap PTE: the slot is freed and the entry cleared (no swap-in later, a zeroed page instead:
        // free_swap_and_cache_nr); a poisoned entry is cleared too (is_poisoned_swp_entry: UFFDIO_POISON's
        // marker, the swap-in error marker before v6.6; host fuzz seed 6419 run 228); none, the other markers
        // and migration entries stay
        const off = swpOffsetOf(k, e);
        if (off >= 0) {
          mm.swapEnts--;
          free_swap_and_cache(k, off);
          t.clear(i);
        } else if (is_poisoned_marker(k, e)) t.clear(i);
        continue;
      }
      let slot = vm_normal_page(k, vma, e);
      if (slot < 0 || f.test(slot, PG_zero)) continue;
      let nr = 1;
      if (f.isLarge(slot)) {
        // the run of PTEs mapping this folio from here, within the range and the table
        const pfn = g.pte_pfn(e);
        const n = new Pte();
        while (a + nr * PAGE_SIZE < next && pfn + nr < f.pfn(slot) + f.nrPages(slot)) {
          t.get(i + nr, n);
          if (!g.pte_present(n) || g.pte_pfn(n) !== pfn + nr) break;
          nr++;
        }
        const whole = pfn === f.pfn(slot) && nr === f.nrPages(slot);
        if (!whole || !k.has(PATCH.madvFreeLargeFolioBatch)) {
          // split the folio first (before dce7d10be4bb always), then take this page as a small folio; before
          // dce7d10be4bb a folio that was shared or did not split ended the walk of the PMD ("break")
          if (madvise_large_folio_shared(k, slot, pfn, PATCH.madvFreeFolioMapcount, PATCH.madvFreeLargeFolioSharers) || split_huge_page(k, slot) !== 0) {
            if (!k.has(PATCH.madvFreeLargeFolioBatch)) return;
            a += (nr - 1) * PAGE_SIZE;
            continue;
          }
          nr = 1;
          t.get(i, e);
          slot = vm_normal_page(k, vma, e);
          if (slot < 0) continue;
        }
      }
      if (f.test(slot, PG_swapcache) || f.test(slot, PG_dirty)) {
        // a dirty or swap-cache folio some other mapping shares (after a fork) keeps PG_dirty, its PTEs and
        // its place on the LRU: it is skipped altogether; so is one whose swap slot cannot go (folio_free_swap)
        if (f.folioMapcount(slot) !== f.nrPages(slot) || (f.test(slot, PG_swapcache) && !folio_free_swap(k, slot))) {
          a += (nr - 1) * PAGE_SIZE;
          continue;
        }
        f.clearFlag(slot, PG_dirty);
      }
      // clear_young_dirty_ptes: young and dirty go from every PTE of the batch
      for (let j = 0; j < nr; j++) {
        t.get(i + j, e);
        if (g.pte_young(e) || g.pte_dirty(e)) {
          g.pte_mkold(e);
          g.pte_mkclean(e);
          t.set(i + j, e);
        }
      }
      folio_mark_lazyfree(k, slot);
      a += (nr - 1) * PAGE_SIZE;
    }
  });
  k.tr?.emit('madvise_free', 'madvise_free_single_vma', { start, end });
}

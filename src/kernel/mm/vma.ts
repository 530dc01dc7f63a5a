// VMA merging and splitting (mm/vma.c @v6.18) and the anon_vma bookkeeping that decides it (mm/rmap.c
// anon_vma_prepare, anon_vma_clone, anon_vma_fork, unlink_anon_vmas), for anonymous memory and shmem/tmpfs
// file mappings (merged by file and file offset: is_mergeable_vma, can_vma_merge_before/after): no
// mempolicies, anon_vma names, vm_ops or special mappings. Releases differ in the anon_vma test of a merge
// (PATCH.vmaMergeUnfaultedAnon) and in the file offset of vma_merge()'s case 3 (vma_merge_case3_pgoff).
import type { Kernel } from '../kernel.js';
import { AnonVma, MmStruct, VmArea } from '../include/mm_types.js';
import { VM_ACCESS_FLAGS, VM_HUGETLB, VM_SOFTDIRTY, VM_SPECIAL, VM_STICKY } from '../include/vm_flags.js';
import { hugetlb_split_resv, hugetlb_vm_op_split } from './hugetlb.js';
import type { UserfaultfdCtx } from '../fs/userfaultfd.js';
import { PAGE_SIZE, PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import { PATCH } from '../../profiles/patches.js';
import { split_huge_pmd_address } from './memory.js';

// ---- anon_vma (mm/rmap.c) ---------------------------------------------------------------------------

/**
 * The kernel's counters of an anon_vma, counted from the VMAs of every mm: num_active_vmas (VMAs whose
 * anon_vma it is), whether its interval tree is empty (no VMA links it in its anon_vma_chain), and
 * num_children (its live children, plus one for a live root's link to itself). An anon_vma whose tree
 * empties is never linked again, so counting the live ones gives what the increments and decrements of
 * anon_vma_fork, __anon_vma_prepare and unlink_anon_vmas leave.
 */
function anon_vma_counts(k: Kernel, a: AnonVma): { active: number; linked: boolean; children: number } {
  let active = 0, linked = false;
  const children = new Set<AnonVma>();
  for (const mm of k.mms) {
    for (const v of mm.vmas) {
      if (v.anon_vma === a) active++;
      for (const c of v.anon_vma_chain) {
        if (c === a) linked = true;
        else if (c.parent === a) children.add(c);
      }
    }
  }
  return { active, linked, children: children.size + (linked && a.root === null ? 1 : 0) };
}

/** mm/rmap.c __anon_vma_prepare() @v6.18: the first fault of a VMA gives it an anon_vma, a neighbour's if it can */
export function anon_vma_prepare(mm: MmStruct, vma: VmArea): void {
  if (vma.anon_vma) return;
  const a = find_mergeable_anon_vma(mm, vma) ?? AnonVma.alloc(mm.k, null);
  vma.anon_vma = a;
  vma.anon_vma_chain = [a];
}

/**
 * mm/rmap.c anon_vma_clone() @v6.18: link dst to every anon_vma src is linked to; when dst has no
 * anon_vma yet (fork), reuse one of them that no VMA uses and that has fewer than two children
 */
export function anon_vma_clone(k: Kernel, dst: VmArea, src: VmArea): void {
  const chain = src.anon_vma_chain;
  for (let i = chain.length - 1; i >= 0; i--) {
    const a = chain[i]!;
    dst.anon_vma_chain = [a, ...dst.anon_vma_chain];
    if (!dst.anon_vma && src.anon_vma) {
      const c = anon_vma_counts(k, a);
      if (c.children < 2 && c.active === 0) dst.anon_vma = a;
    }
  }
}

/** mm/rmap.c anon_vma_fork() @v6.18: the child VMA's chain is its parent's plus an anon_vma of its own */
export function anon_vma_fork(k: Kernel, vma: VmArea, pvma: VmArea): void {
  vma.anon_vma = null;
  vma.anon_vma_chain = [];
  if (!pvma.anon_vma) return;
  anon_vma_clone(k, vma, pvma);
  if (vma.anon_vma) return; // an existing anon_vma has been reused
  const a = AnonVma.alloc(k, pvma.anon_vma);
  vma.anon_vma = a;
  vma.anon_vma_chain = [a, ...vma.anon_vma_chain];
}

/** mm/rmap.c unlink_anon_vmas() @v6.18: a VMA going away (munmap, merged into another) leaves its anon_vmas */
export function unlink_anon_vmas(vma: VmArea): void {
  vma.anon_vma = null;
  vma.anon_vma_chain = [];
}

/** mm/vma.c anon_vma_compatible() @v6.18: could b have been split from a (or a from b) for its anon_vma? */
function anon_vma_compatible(a: VmArea, b: VmArea): boolean {
  return a.vm_end === b.vm_start &&
    ((a.vm_flags ^ b.vm_flags) & ~(VM_ACCESS_FLAGS | VM_SOFTDIRTY | VM_STICKY)) === 0 && a.vm_flags_hi === b.vm_flags_hi &&
    b.vm_pgoff === a.vm_pgoff + (b.vm_start - a.vm_start) / PAGE_SIZE;
}

/** mm/vma.c reusable_anon_vma() @v6.18: old's anon_vma, if a and b are compatible and old was not forked */
function reusable_anon_vma(old: VmArea, a: VmArea, b: VmArea): AnonVma | null {
  if (anon_vma_compatible(a, b) && old.anon_vma && old.anon_vma_chain.length === 1) return old.anon_vma;
  return null;
}

/**
 * mm/vma.c find_mergeable_anon_vma() @v6.18: the anon_vma of the next VMA, else of the previous one,
 * when they differ from vma only in their access flags, so that an mprotect() back can merge them
 */
export function find_mergeable_anon_vma(mm: MmStruct, vma: VmArea): AnonVma | null {
  const i = mm.vmas.indexOf(vma);
  const next = mm.vmas[i + 1];
  if (next) {
    const a = reusable_anon_vma(next, vma, next);
    if (a) return a;
  }
  const prev = i > 0 ? mm.vmas[i - 1] : undefined;
  return prev ? reusable_anon_vma(prev, prev, vma) : null;
}

// ---- merging (mm/vma.c) -----------------------------------------------------------------------------

/** what a VMA (or a range of one) is about to become: the fields a merge compares (struct vma_merge_struct) */
export interface VmaMergeState {
  start: number;
  end: number;
  pgoff: number;
  vm_flags: number;
  vm_flags_hi: number;
  uffd_ctx: UserfaultfdCtx | null;
  /** vmg->file: the inode id of the file mapped (0: anonymous) */
  file: number;
  /** the anon_vma of the VMA being changed (vmg->anon_vma), null for a new mapping */
  anon_vma: AnonVma | null;
  /** the VMA being changed (vmg->middle), null for a new mapping */
  middle: VmArea | null;
  prev: VmArea | null;
  next: VmArea | null;
}

/** mm/vma.c vma_had_uncowed_parents() @v6.18: a forked child's VMA, linked to its parents' anon_vmas too */
function vma_had_uncowed_parents(vma: VmArea | null): boolean {
  return !!vma && !!vma.anon_vma && vma.anon_vma_chain.length !== 1;
}

/**
 * mm/vma.c is_mergeable_vma() @v6.18: the same flags but VM_SOFTDIRTY (VM_IGNORE_MERGE, from 34228d473efe; with the sticky
 * VM_MAYBE_GUARD where that exists), the same file, and the same userfaultfd context
 */
function is_mergeable_vma(k: Kernel, vmg: VmaMergeState, vma: VmArea): boolean {
  // 34228d473efe (v3.14): VM_SOFTDIRTY is ignored; on v3.12 and v3.13 it had to match, and a new mapping's
  // flags never carry it (mmap_region sets it afterwards), so nothing merged with a soft-dirty VMA
  const ignore = k.has(PATCH.softDirtyMergeIgnore) ? VM_SOFTDIRTY | VM_STICKY : VM_STICKY;
  if (((vma.vm_flags ^ vmg.vm_flags) & ~ignore) !== 0 || vma.vm_flags_hi !== vmg.vm_flags_hi) return false;
  if (vma.vm_file !== vmg.file) return false;
  return vma.uffd === vmg.uffd_ctx; // is_mergeable_vm_userfaultfd_ctx
}

/**
 * mm/vma.c is_mergeable_anon_vma() @v6.18: may the anon_vmas of the range and of tgt (the VMA it would
 * merge into) be combined? From 879bca0a2c4f (v6.16) a faulted range may merge into an unfaulted VMA
 * (dup_anon_vma gives it the anon_vma) unless the range's VMA was forked; before, a missing anon_vma on
 * one side was only accepted when tgt's anon_vma_chain was a single link, which an unfaulted tgt's is not
 */
function is_mergeable_anon_vma(k: Kernel, vmg: VmaMergeState, tgt: VmArea): boolean {
  const tgtAnon = tgt.anon_vma, srcAnon = vmg.anon_vma;
  if (!k.has(PATCH.vmaMergeUnfaultedAnon)) {
    if ((!srcAnon || !tgtAnon) && tgt.anon_vma_chain.length === 1) return true;
    return srcAnon === tgtAnon;
  }
  if (!tgtAnon && srcAnon) return !vma_had_uncowed_parents(vmg.middle);
  if (tgtAnon && !srcAnon) return !vma_had_uncowed_parents(tgt);
  return srcAnon === tgtAnon;
}

/** mm/vma.c can_vma_merge_before() @v6.18: the range can become the start of next */
function can_vma_merge_before(k: Kernel, vmg: VmaMergeState, next: VmArea): boolean {
  return is_mergeable_vma(k, vmg, next) && is_mergeable_anon_vma(k, vmg, next) &&
    next.vm_pgoff === vmg.pgoff + (vmg.end - vmg.start) / PAGE_SIZE;
}

/** mm/vma.c can_vma_merge_after() @v6.18: the range can become the end of prev */
function can_vma_merge_after(k: Kernel, vmg: VmaMergeState, prev: VmArea): boolean {
  return is_mergeable_vma(k, vmg, prev) && is_mergeable_anon_vma(k, vmg, prev) &&
    prev.vm_pgoff + (prev.vm_end - prev.vm_start) / PAGE_SIZE === vmg.pgoff;
}

/** mm/vma.c can_vma_merge_left() @v6.18 */
function can_vma_merge_left(k: Kernel, vmg: VmaMergeState): boolean {
  return !!vmg.prev && vmg.prev.vm_end === vmg.start && can_vma_merge_after(k, vmg, vmg.prev);
}

/** mm/vma.c can_vma_merge_right() @v6.18: also prev and next must be compatible when both merge */
function can_vma_merge_right(k: Kernel, vmg: VmaMergeState, can_merge_left: boolean): boolean {
  const next = vmg.next;
  if (!next || vmg.end !== next.vm_start || !can_vma_merge_before(k, vmg, next)) return false;
  if (!can_merge_left) return true;
  const prev = vmg.prev!;
  return !prev.anon_vma || !next.anon_vma || prev.anon_vma === next.anon_vma;
}

/** mm/vma.c dup_anon_vma() @v6.18: an unfaulted VMA that takes over faulted memory gets its anon_vmas */
function dup_anon_vma(k: Kernel, dst: VmArea, src: VmArea): void {
  if (src.anon_vma && !dst.anon_vma) {
    dst.anon_vma = src.anon_vma;
    anon_vma_clone(k, dst, src);
  }
}

/** mm/huge_memory.c split_huge_pmd_if_needed() @v6.18: a huge PMD may not straddle a new VMA boundary */
function split_huge_pmd_if_needed(k: Kernel, mm: MmStruct, vma: VmArea, addr: number): void {
  if (addr % PMD_SIZE === 0) return;
  const lo = Math.floor(addr / PMD_SIZE) * PMD_SIZE;
  if (lo >= vma.vm_start && lo + PMD_SIZE <= vma.vm_end) split_huge_pmd_address(k, mm, vma, addr);
}

/**
 * the VMA removed by a merge into target: out of the tree, its anon_vmas left, freed (vma_complete,
 * anon_vma_merge, remove_vma); the model's uffd_wp_left bookkeeping goes with its range
 */
function remove_merged(mm: MmStruct, vma: VmArea, target: VmArea): void {
  target.uffd_wp_left ||= vma.uffd_wp_left;
  mm.removeVma(vma);
  unlink_anon_vmas(vma);
  vma.free();
}

/**
 * mm/vma.c vma_merge_existing_range() @v6.18: the range [start, end) of middle is about to change to
 * vmg's flags and context; merge it into prev and/or next when they already look like that. Only a
 * range that touches an end of middle can merge. Returns the VMA the range is now part of, or null.
 */
function vma_merge_existing_range(k: Kernel, mm: MmStruct, vmg: VmaMergeState): VmArea | null {
  const middle = vmg.middle!;
  const { start, end } = vmg;
  const left_side = start === middle.vm_start, right_side = end === middle.vm_end;
  if ((vmg.vm_flags & VM_SPECIAL) || (!left_side && !right_side)) return null;
  const merge_left = left_side && can_vma_merge_left(k, vmg);
  let merge_right = false;
  const next = right_side ? vmg.next : null;
  if (right_side) merge_right = can_vma_merge_right(k, vmg, merge_left);
  if (!merge_left && !merge_right) return null;
  const merge_both = merge_left && merge_right;
  const remove_middle = left_side && right_side;
  const prev = vmg.prev;
  // the sticky flags of the range (vmg's, middle's own) and of the VMAs it joins stay on the target (64212ba02e66)
  const sticky = (vmg.vm_flags | (merge_left ? prev!.vm_flags : 0) | (merge_right ? next!.vm_flags : 0)) & VM_STICKY;
  let target: VmArea;
  if (merge_both) {
    // prev takes middle and next
    target = prev!;
    dup_anon_vma(k, target, next!.anon_vma ? next! : middle);
    split_huge_pmd_if_needed(k, mm, target, target.vm_start);
    target.vm_end = next!.vm_end;
    remove_merged(mm, middle, target);
    remove_merged(mm, next!, target);
  } else if (merge_left) {
    // prev grows over [start, end); middle shrinks to [end, ...) or goes
    target = prev!;
    dup_anon_vma(k, target, middle);
    split_huge_pmd_if_needed(k, mm, middle, end);
    target.vm_end = end;
    target.uffd_wp_left ||= middle.uffd_wp_left;
    if (remove_middle) remove_merged(mm, middle, target);
    else {
      middle.vm_pgoff += (end - middle.vm_start) / PAGE_SIZE;
      middle.vm_start = end;
    }
  } else {
    // next grows down over [start, end); middle shrinks to [..., start) or goes
    target = next!;
    dup_anon_vma(k, target, middle);
    split_huge_pmd_if_needed(k, mm, middle, start);
    target.vm_pgoff -= (target.vm_start - start) / PAGE_SIZE;
    target.vm_start = start;
    target.uffd_wp_left ||= middle.uffd_wp_left;
    if (remove_middle) remove_merged(mm, middle, target);
    else middle.vm_end = start;
  }
  target.vm_flags = (target.vm_flags | sticky) >>> 0;
  k.tr?.emit('vma_merge', 'vma_merge_existing_range', { start: target.vm_start, end: target.vm_end });
  return target;
}

/** mm/vma.c __split_vma() @v6.18: split at addr; the new VMA is the part above it, returned */
export function __split_vma(k: Kernel, mm: MmStruct, vma: VmArea, addr: number): VmArea {
  if (addr % PAGE_SIZE !== 0 || addr <= vma.vm_start || addr >= vma.vm_end) throw new Error('bad split');
  // vm_ops->may_split: a hugetlb VMA splits at a huge page boundary only (EINVAL)
  if (vma.vm_flags & VM_HUGETLB) hugetlb_vm_op_split(vma, addr);
  // vma_adjust_trans_huge: a huge PMD that straddles addr is split first
  if (addr % PMD_SIZE !== 0) split_huge_pmd_address(k, mm, vma, addr);
  const tail = vma.dup(); // vm_area_dup, and anon_vma_clone: the same anon_vma and chain
  tail.vm_start = addr;
  tail.vm_pgoff = vma.vm_pgoff + (addr - vma.vm_start) / PAGE_SIZE;
  vma.vm_end = addr;
  mm.insertVma(mm.vmas.indexOf(vma) + 1, tail);
  if (vma.vm_flags & VM_HUGETLB) hugetlb_split_resv(k, vma, tail);
  return tail;
}

/** the attributes a vma_modify_*() caller asks for */
export interface VmaChange {
  vm_flags: number;
  vm_flags_hi?: number;
  /** the new userfaultfd context (vma_modify_flags_uffd); the VMA's own when absent */
  uffd_ctx?: UserfaultfdCtx | null;
  /** the pgoff the merge is asked with; absent: the range's own (a caller that passed the VMA's, see userfaultfd) */
  pgoff?: number;
}

/**
 * mm/vma.c vma_modify() @v6.18 (vma_modify_flags, vma_modify_flags_uffd): [start, end) of vma is about
 * to get the attributes `change`; merge it with a neighbour that already has them, or else split it off.
 * Returns the VMA that now covers the range; the caller sets the attributes on it (vm_flags_reset,
 * userfaultfd_set_ctx), as the kernel's callers do.
 */
export function vma_modify(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number, change: VmaChange): VmArea {
  const i = mm.vmas.indexOf(vma);
  const vmg: VmaMergeState = {
    start, end,
    pgoff: change.pgoff ?? vma.vm_pgoff + (start - vma.vm_start) / PAGE_SIZE,
    vm_flags: change.vm_flags >>> 0,
    vm_flags_hi: change.vm_flags_hi ?? vma.vm_flags_hi,
    uffd_ctx: change.uffd_ctx === undefined ? vma.uffd : change.uffd_ctx,
    file: vma.vm_file,
    anon_vma: vma.anon_vma,
    middle: vma,
    // prev is vma itself when the range starts inside it (it cannot merge then)
    prev: start > vma.vm_start ? vma : (i > 0 ? mm.vmas[i - 1]! : null),
    next: mm.vmas[i + 1] ?? null,
  };
  const merged = vma_merge_existing_range(k, mm, vmg);
  if (merged) return merged;
  let v = vma;
  if (v.vm_start < start) v = __split_vma(k, mm, v, start);
  if (v.vm_end > end) __split_vma(k, mm, v, end);
  return v;
}

/**
 * what a new range carries besides its flags when it comes from an existing VMA (copy_vma for mremap,
 * vma_merge_extend): that VMA's anon_vma and userfaultfd context (VMG_VMA_STATE)
 */
export interface NewRangeSource {
  source: VmArea;
  anon_vma: AnonVma | null;
  uffd_ctx: UserfaultfdCtx | null;
  vm_flags_hi: number;
}

/**
 * mm/vma.c vma_merge_new_range() @v6.18 for mmap_region: a new VMA (no anon_vma) over [start, end)
 * joins prev and/or next when they have the same flags and no userfaultfd context. Returns the VMA it
 * became, or null (then the caller inserts it as a VMA of its own).
 */
export function vma_merge_new_range(k: Kernel, mm: MmStruct, start: number, end: number, vm_flags: number, pgoff: number, from?: NewRangeSource, file = 0): VmArea | null {
  let i = 0;
  while (i < mm.vmas.length && mm.vmas[i]!.vm_end <= start) i++;
  const prev: VmArea | null = i > 0 ? mm.vmas[i - 1]! : null;
  const next: VmArea | null = mm.vmas[i] ?? null;
  const vmg: VmaMergeState = {
    start, end, pgoff, vm_flags: vm_flags >>> 0, vm_flags_hi: from?.vm_flags_hi ?? 0, uffd_ctx: from?.uffd_ctx ?? null,
    file: from?.source ? from.source.vm_file : file,
    anon_vma: from?.anon_vma ?? null, middle: null, prev, next,
  };
  if ((vm_flags & VM_SPECIAL) || (!prev && !next)) return null;
  const left = can_vma_merge_left(k, vmg);
  const right = can_vma_merge_right(k, vmg, left);
  if (!left && !right) return null;
  let target: VmArea;
  // vma_expand / the merge: the sticky flags of the range and of the VMAs it joins stay (64212ba02e66)
  const sticky = (vmg.vm_flags | (left ? prev!.vm_flags : 0) | (right ? next!.vm_flags : 0)) & VM_STICKY;
  if (left) {
    // vma_expand: prev grows over the range, and over next too when both merge
    target = prev!;
    if (from?.source) dup_anon_vma(k, target, from.source);
    target.vm_end = end;
    if (right) {
      dup_anon_vma(k, target, next!);
      target.vm_end = next!.vm_end;
      remove_merged(mm, next!, target);
    }
  } else {
    // next grows down over the range (case 3 of the vma_merge() of v6.11 and before)
    target = next!;
    if (from?.source) dup_anon_vma(k, target, from.source);
    const pglen = (target.vm_start - start) / PAGE_SIZE;
    // mmap_region expanded next itself before v6.12 (vma_expand, next's pgoff less pglen); copy_vma and
    // vma_merge_extend called vma_merge()
    target.vm_pgoff = from ? vma_merge_case3_pgoff(k, target, pglen) : target.vm_pgoff - pglen;
    target.vm_start = start;
  }
  target.vm_flags = (target.vm_flags | sticky) >>> 0;
  k.tr?.emit('vma_merge', 'vma_merge_new_range', { start: target.vm_start, end: target.vm_end });
  return target;
}

/**
 * mm/mmap.c vma_merge() @v6.3, @v6.4: case 3's vma_pgoff, the file offset of next once it has grown down
 * over pglen pages below it. __vma_adjust() was given next's pgoff less pglen (v6.2 and before); the
 * rewrite without it (0503ea8f5ba7, v6.3) took mid's pgoff, and in case 3 mid is next itself, so next kept
 * its pgoff while its start moved down: every page of it read the file pglen pages too far (corpus 35,
 * rpm on 6.3) until 7e7757876f25 (v6.4, 6.3.1) subtracted pglen again. Case 8 (mid an existing VMA next
 * takes over whole) was right throughout, as are vma_merge_existing_range's cases here.
 */
function vma_merge_case3_pgoff(k: Kernel, next: VmArea, pglen: number): number {
  if (k.has(PATCH.vmaMergeNoVmaAdjust) && !k.has(PATCH.vmaMergeCase3Pgoff)) return next.vm_pgoff; // vma_pgoff = mid->vm_pgoff
  return next.vm_pgoff - pglen;
}

// madvise(2) for private anonymous memory (mm/madvise.c @v4.19, @v6.18): the VMA-flag advices,
// MADV_DONTNEED and MADV_POPULATE_(READ|WRITE).
import type { Kernel } from '../kernel.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import {
  VM_DONTCOPY, VM_HUGEPAGE, VM_IO, VM_LOCKED, VM_MERGEABLE, VM_NOHUGEPAGE, VM_PFNMAP, VM_SHARED, VM_WIPEONFORK,
  VM_DONTDUMP, VM_MAYSHARE, VM_HUGETLB, VM_MIXEDMAP, VM_DONTEXPAND, VM_WRITE,
} from '../include/vm_flags.js';
import { MADV, MadviseName } from '../include/uapi.js';
import { fail } from '../include/errno.js';
import { PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import { PATCH } from '../../profiles/patches.js';
import { vma_modify, vmas_in } from './mmap.js';
import { unmap_page_range, handle_mm_fault } from './memory.js';
import { FAULT_FLAG_WRITE, FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_KILLABLE, FAULT_FLAG_REMOTE, VM_FAULT_ERROR, VM_FAULT_RETRY } from '../include/fault.js';
import { mmu_access } from '../arch/x86/mmu.js';
import { madvise_collapse } from './khugepaged.js';

/** the new vm_flags an advice asks for, or null when the advice does not change flags */
function madvise_flags(k: Kernel, vma: VmArea, advice: number): number | null {
  let f = vma.vm_flags;
  switch (advice) {
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
      if (f & VM_SHARED) fail('EINVAL', 'MADV_WIPEONFORK on a shared mapping');
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

/** do_madvise */
export function do_madvise(k: Kernel, mm: MmStruct, start: number, len: number, name: MadviseName): void {
  const advice = MADV[name];
  if (advice === undefined) fail('EINVAL', `unknown advice ${name}`);
  if (start % PAGE_SIZE !== 0) fail('EINVAL', 'madvise start is not page aligned');
  if ((advice === MADV.populate_read || advice === MADV.populate_write) && !k.has(PATCH.madvPopulate)) fail('EINVAL', 'MADV_POPULATE_* is unknown before v5.14');
  if (advice === MADV.collapse && !k.has(PATCH.madvCollapse)) fail('EINVAL', 'MADV_COLLAPSE is unknown before v6.1');
  len = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  const end = start + len;
  if (end === start) return;
  const vs = vmas_in(mm, start, end);
  let unmapped = vs.length === 0;
  let at = start;
  for (const v of vs) {
    if (v.vm_start > at) unmapped = true;
    at = v.vm_end;
  }
  if (at < end) unmapped = true;
  k.tr?.emit('madvise', 'do_madvise', { start, end, advice: name });
  if (advice === MADV.collapse) {
    madvise_collapse(k, mm, start, end);
  } else {
    for (const v of vs.slice()) {
      const s = Math.max(start, v.vm_start), e = Math.min(end, v.vm_end);
      if (advice === MADV.dontneed || advice === MADV.free) {
        if (v.vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB)) fail('EINVAL', 'MADV_DONTNEED on a locked or special mapping');
        unmap_page_range(k, mm, v, s, e);
        continue;
      }
      if (advice === MADV.populate_read || advice === MADV.populate_write) {
        populate(k, mm, v, s, e, advice === MADV.populate_write);
        continue;
      }
      const nf = madvise_flags(k, v, advice);
      if (nf === null || nf === v.vm_flags) continue;
      vma_modify(k, mm, v, s, e, (x) => { x.vm_flags = nf; });
    }
  }
  if (unmapped) fail('ENOMEM', 'part of the range is not mapped');
}

/** madvise_populate: fault the range in through GUP (faultin_page) without touching the data */
function populate(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number, write: boolean): void {
  if (write && !(vma.vm_flags & VM_WRITE)) fail('EINVAL', 'MADV_POPULATE_WRITE on a read-only mapping');
  for (let a = start; a < end; a += PAGE_SIZE) {
    for (let tries = 0; tries < 4; tries++) {
      if (mmu_access(k, mm, a, write) >= 0) break;
      const flags = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_REMOTE | (write ? FAULT_FLAG_WRITE : 0);
      const ret = handle_mm_fault(k, vma, a, flags);
      if (ret & VM_FAULT_ERROR) fail('EFAULT', `populate failed at 0x${a.toString(16)}`);
      if (k.current?.uwq) {
        // a userfault during populate: the model does not sleep inside GUP
        k.current.uwq = null;
        fail('EFAULT', 'populate hit a userfaultfd-registered page');
      }
      void VM_FAULT_RETRY;
    }
  }
}

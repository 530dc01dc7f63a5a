// VMA bookkeeping: mmap_region, do_vmi_munmap and free_pgtables (mm/mmap.c @v4.19; mm/vma.c @v6.18),
// reduced to private anonymous memory; merging and splitting are in vma.ts.
import type { Pte } from '../arch/x86/include/pte.js';
import type { Kernel } from '../kernel.js';
import { MmStruct, VmArea } from '../include/mm_types.js';
import { __split_vma, vma_merge_new_range, unlink_anon_vmas } from './vma.js';
export { __split_vma, vma_modify } from './vma.js';
import {
  VM_ACCOUNT, VM_MAYEXEC, VM_MAYREAD, VM_MAYSHARE, VM_MAYWRITE, VM_NORESERVE, VM_READ, VM_SHARED,
  VM_SOFTDIRTY, VM_WRITE, VM_EXEC, VM_UFFD_WP, VM_HUGETLB, VM_DONTEXPAND,
} from '../include/vm_flags.js';
import { hugetlb_reserve_pages, hugetlb_vm_op_close, __unmap_hugepage_range } from './hugetlb.js';
import { hugetlb_file_setup, hugetlbfs_mmap_size, is_file_hugepages } from '../fs/hugetlbfs.js';
import { HPAGE_PMD_NR } from '../arch/x86/include/pgtable_types.js';
import {
  MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_HUGETLB, MAP_NORESERVE, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE,
} from '../include/uapi.js';
import { PAGE_SIZE, PMD_SIZE, TASK_SIZE } from '../arch/x86/include/pgtable_types.js';
import { fail, notModelled, notModelledOnRelease } from '../include/errno.js';
import { unmap_page_range } from './memory.js';
import type { AddressSpace } from './filemap.js';
import { F_SEAL_FUTURE_WRITE, F_SEAL_WRITE, shmem_zero_setup } from './shmem.js';
import { vma_soft_dirty_enabled } from './mprotect.js';
import { PATCH } from '../../profiles/patches.js';
import { userfaultfd_unmap_prep_vma, type UnmapEvents } from '../fs/userfaultfd.js';
import { LEVEL_PTE, LEVEL_PMD, LEVEL_PUD, levelIndex, PageTable, childTable, freeTable } from './pgtable.js';

/** the top of the mmap area; mappings are placed top-down below it, as with the legacy-free x86-64 layout */
export const MMAP_BASE = 0x7f2100000000;

/** mm/mmap.c find_vma() @v6.18: the first VMA with vm_end > addr */
export function find_vma(_k: Kernel, mm: MmStruct, addr: number): VmArea | null {
  const v = mm.vmas;
  let lo = 0, hi = v.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v[mid]!.endsAtOrBelow(addr)) lo = mid + 1;
    else hi = mid;
  }
  return lo < v.length ? v[lo]! : null;
}

/** include/linux/mm.h vma_lookup() @v6.18: the VMA containing addr */
export function vma_lookup(k: Kernel, mm: MmStruct, addr: number): VmArea | null {
  const v = find_vma(k, mm, addr);
  return v && v.startsAtOrBelow(addr) ? v : null;
}

/** calc_vm_prot_bits */
export function calc_vm_prot_bits(prot: number): number {
  return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0);
}

/**
 * mm/mmap.c vma_set_page_prot() @v6.18: vm_page_prot from vm_flags, without the write bit where the VMA
 * wants write faults (vma_wants_writenotify: protection_map of the flags without VM_SHARED)
 */
export function vma_set_page_prot(k: Kernel, vma: VmArea): void {
  let flags = vma.vm_flags;
  if (vma_wants_writenotify(k, vma, k.pgt.vm_get_page_prot(flags))) flags &= ~VM_SHARED;
  vma.vm_page_prot = k.pgt.vm_get_page_prot(flags);
}

/**
 * mm/mmap.c vma_wants_writenotify() @v6.18 for the mappings the model has: a shared writable mapping wants
 * write faults while soft-dirty is tracked in it, and (51d3d5eb74ff, v6.2) while it is registered for uffd-wp;
 * shmem has no page_mkwrite and no dirty accounting (no writeback). A vm_page_prot that is not the one
 * vm_flags give (one already write-protected for writenotify, or the previous flags' one that mprotect asks
 * with) answers no, as the kernel's pgprot_modify() comparison does (the model has no cache bits to keep)
 */
export function vma_wants_writenotify(k: Kernel, vma: VmArea, vm_page_prot: Pte): boolean {
  if ((vma.vm_flags & (VM_SHARED | VM_WRITE)) !== (VM_SHARED | VM_WRITE)) return false;
  if (!vm_page_prot.equals(k.pgt.vm_get_page_prot(vma.vm_flags))) return false;
  // hugetlb does not track soft-dirty: from f96f7a40874d (v6.0) it is left out here; before, a shared hugetlb
  // VMA clear_refs 4 had cleaned was write-notified like any other, and mprotect mapped its pages read-only
  if (vma_soft_dirty_enabled(k, vma) && !((vma.vm_flags & VM_HUGETLB) && k.has(PATCH.hugetlbNoSoftDirtyWritenotify))) return true;
  if (k.has(PATCH.uffdWpWritenotify) && (vma.vm_flags & VM_UFFD_WP)) return true;
  return false;
}

/** include/linux/mm.h vma_is_anonymous() @v6.18: no vm_ops, that is no file (shared anonymous memory is shmem) */
export function vma_is_anonymous(vma: VmArea): boolean {
  return vma.vm_file === 0;
}

function insertVma(mm: MmStruct, vma: VmArea): void {
  let i = 0;
  while (i < mm.vmas.length && mm.vmas[i]!.vm_start < vma.vm_start) i++;
  mm.insertVma(i, vma);
}

/** get_unmapped_area, top-down: below every mapping, aligned, leaving one page free on each side */
export function get_unmapped_area(k: Kernel, mm: MmStruct, len: number, align: number): number {
  let top = MMAP_BASE;
  for (const v of mm.vmas) if (v.vm_start < top) top = v.vm_start;
  const a = Math.max(align, PAGE_SIZE);
  let addr = Math.floor((top - PAGE_SIZE - len) / a) * a;
  if (addr <= 0) fail('ENOMEM', 'no room left in the address space');
  void k;
  return addr;
}

export interface MmapArgs {
  addr: number;
  len: number;
  prot: number;
  flags: number;
  align: number;
  label: string;
  /** the file mapped (an open fd's inode) and its mode, and the byte offset */
  file?: { m: AddressSpace; read: boolean; write: boolean } | null;
  offset?: number;
}

/**
 * mm/mmap.c do_mmap() + mmap_region @v6.18: private or shared anonymous memory (shared is a shmem file of
 * its own, shmem_zero_setup), or a shmem/tmpfs file at a page-aligned offset. `uf` is the caller's uffd
 * unmap list (vm_mmap_pgoff's, from 897ab3e0c49e, v4.11): the UNMAP events of what a MAP_FIXED mapping
 * replaces, which the caller sends once the call is done (userfaultfd_unmap_complete)
 */
export function do_mmap(k: Kernel, mm: MmStruct, a: MmapArgs, uf: UnmapEvents | null = null): number {
  const file = (a.flags & MAP_ANONYMOUS) ? null : a.file ?? null;
  const offset = a.offset ?? 0;
  if (!(a.flags & MAP_ANONYMOUS) && !file) notModelled('flags', 'a file mapping without a file');
  if (offset % PAGE_SIZE !== 0) fail('EINVAL', 'mmap offset is not page aligned');
  if (a.len <= 0) fail('EINVAL', 'length must be positive');
  const len = Math.ceil(a.len / PAGE_SIZE) * PAGE_SIZE;
  const type = a.flags & (MAP_SHARED | MAP_PRIVATE);
  if (type !== MAP_SHARED && type !== MAP_PRIVATE) fail('EINVAL', 'mmap needs exactly one of MAP_SHARED and MAP_PRIVATE');
  // a gap of the model, not an answer of the kernel: the GUP walk of MAP_POPULATE (__mm_populate)
  if (a.flags & MAP_POPULATE) notModelled('flags', 'MAP_POPULATE (the model does not prefault a new mapping)');
  // mm/mmap.c ksys_mmap_pgoff() @v6.18: MAP_HUGETLB sets up a hugetlbfs file of the length rounded up to the
  // huge page size (hugetlb_file_setup, no reservation of its own); hugetlb_get_unmapped_area places it on a
  // huge page boundary (a fixed address off one is EINVAL); hugetlbfs_file_mmap reserves the pages
  // A file of hugetlbfs is mapped the same way whether MAP_HUGETLB is given or not; MAP_HUGETLB with another file is EINVAL
  const hugeFile = file !== null && is_file_hugepages(file.m);
  if (file && (a.flags & MAP_HUGETLB) && !hugeFile) fail('EINVAL', 'MAP_HUGETLB with a file that is not of hugetlbfs');
  const huge = (a.flags & MAP_HUGETLB) !== 0 || hugeFile;
  if (huge && (a.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && a.addr % PMD_SIZE !== 0) fail('EINVAL', 'MAP_HUGETLB at an address that is not 2 MiB aligned');
  if (huge) return do_mmap_hugetlb(k, mm, a, Math.ceil(a.len / PMD_SIZE) * PMD_SIZE, file, offset, uf);
  let addr: number;
  if ((a.flags & MAP_FIXED_NOREPLACE) && !(a.flags & MAP_FIXED) && !k.has(PATCH.mapFixedNoreplace)) {
    // before a4ff8e8620d3 (v4.17) the flag is an unknown bit, ignored: the address is a hint, which
    // get_unmapped_area takes when the range is free; elsewhere it searches, which the model does not do
    // for a hint (it places mappings top-down by itself)
    const v = a.addr % PAGE_SIZE === 0 && a.addr + len <= TASK_SIZE ? find_vma(k, mm, a.addr) : null;
    if (a.addr % PAGE_SIZE !== 0 || a.addr + len > TASK_SIZE || (v && v.vm_start < a.addr + len)) {
      notModelledOnRelease('flags', 'MAP_FIXED_NOREPLACE before v4.17 is an unknown flag: the address is a hint, and a hint the range of which is not free is not modelled');
    }
    addr = a.addr;
  } else if (a.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (a.addr % PAGE_SIZE !== 0) fail('EINVAL', 'MAP_FIXED address is not page aligned');
    addr = fixedAddress(k, mm, a, len);
  } else {
    addr = get_unmapped_area(k, mm, len, a.align);
  }
  let vm_flags = calc_vm_prot_bits(a.prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (file) {
    // do_mmap: the file's open mode limits the mapping
    if (!file.read) fail('EACCES', 'mmap of a file not open for reading');
    if (type === MAP_SHARED) {
      if ((a.prot & PROT_WRITE) && !file.write) fail('EACCES', 'a shared writable mapping of a file not open for writing');
      vm_flags |= VM_SHARED | VM_MAYSHARE;
      if (!file.write) vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
      // shmem_mmap -> seal_check_write (mm/internal.h @v6.18): a write-sealed file is not mapped shared writable
      if ((vm_flags & VM_SHARED) && (file.m.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))) {
        if (vm_flags & VM_WRITE) fail('EPERM', 'a shared writable mapping of a write-sealed file');
        vm_flags &= ~VM_MAYWRITE;
      }
    }
  } else if (type === MAP_SHARED) vm_flags |= VM_SHARED | VM_MAYSHARE;
  // accountable_mapping: private writable memory is charged unless MAP_NORESERVE
  if (a.flags & MAP_NORESERVE) vm_flags |= VM_NORESERVE;
  else if ((vm_flags & (VM_WRITE | VM_SHARED)) === VM_WRITE) vm_flags |= VM_ACCOUNT;
  // a shared anonymous mapping ignores the offset (pgoff 0); a file mapping's is the file offset
  const pgoff = file ? offset / PAGE_SIZE : type === MAP_SHARED ? 0 : null;
  return mmap_region(k, mm, addr, len, vm_flags, a.label, file ? file.m.ino : 0, pgoff, uf);
}

/** the address of a MAP_FIXED or MAP_FIXED_NOREPLACE mapping of len bytes (mm/mmap.c do_mmap @v6.18: ENOMEM past TASK_SIZE, EEXIST over a mapping for NOREPLACE) */
function fixedAddress(k: Kernel, mm: MmStruct, a: MmapArgs, len: number): number {
  if (a.addr + len > TASK_SIZE) fail('ENOMEM', 'mapping past TASK_SIZE');
  if (a.flags & MAP_FIXED_NOREPLACE) {
    const v = find_vma(k, mm, a.addr);
    if (v && v.vm_start < a.addr + len) fail('EEXIST', 'MAP_FIXED_NOREPLACE over an existing mapping');
  }
  return a.addr;
}

/**
 * the MAP_HUGETLB and hugetlbfs part of ksys_mmap_pgoff, do_mmap and __mmap_region @v6.18 (read in v6.12 for the
 * shared and file cases): a VMA of its own (VM_HUGETLB | VM_DONTEXPAND never merge). MAP_ANONYMOUS makes a file of
 * the length (hugetlb_file_setup; the model keeps none for a private one, whose cache stays empty: vm_file 0 and
 * vm_pgoff 0); a hugetlbfs file is mapped at a 2 MiB aligned offset (EINVAL otherwise, hugetlbfs_file_mmap).
 * hugetlbfs_file_mmap reserves the huge pages (hugetlb_reserve_pages: a private mapping all of them in a map of
 * its own, a shared one those its file's map lacks; ENOMEM when the pool cannot cover them, unless MAP_NORESERVE)
 * and a writable mapping grows the file to its end. No VM_ACCOUNT: hugetlb does its own accounting. A shared
 * mapping that spans an aligned 1 GiB is not modelled (x86-64 would share its PMD table: huge_pmd_share)
 */
function do_mmap_hugetlb(k: Kernel, mm: MmStruct, a: MmapArgs, len: number, file: MmapArgs['file'] | null, offset: number, uf: UnmapEvents | null): number {
  const type = a.flags & (MAP_SHARED | MAP_PRIVATE);
  let addr: number;
  if (a.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    addr = fixedAddress(k, mm, a, len);
  } else {
    addr = get_unmapped_area(k, mm, len, Math.max(a.align, PMD_SIZE));
  }
  let vm_flags = calc_vm_prot_bits(a.prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_HUGETLB | VM_DONTEXPAND;
  if (file) {
    // do_mmap: the file's open mode limits the mapping
    if (!file.read) fail('EACCES', 'mmap of a file not open for reading');
    if (type === MAP_SHARED && (a.prot & PROT_WRITE) && !file.write) fail('EACCES', 'a shared writable mapping of a file not open for writing');
  }
  if (type === MAP_SHARED) {
    vm_flags |= VM_SHARED | VM_MAYSHARE;
    if (file && !file.write) vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
  }
  if (file && offset % PMD_SIZE !== 0) fail('EINVAL', 'a hugetlbfs file mapped at an offset that is not 2 MiB aligned');
  if ((vm_flags & VM_MAYSHARE) && Math.floor((addr + len) / 2 ** 30) * 2 ** 30 >= Math.ceil(addr / 2 ** 30) * 2 ** 30 + 2 ** 30) {
    notModelled('len', 'a shared hugetlb mapping over an aligned 1 GiB (PMD table sharing, huge_pmd_share)');
  }
  // hugetlb applies strict overcommit unless MAP_NORESERVE
  if (a.flags & MAP_NORESERVE) vm_flags |= VM_NORESERVE;
  const pgoff = offset / PAGE_SIZE;
  const vma = VmArea.alloc(k, addr, addr + len, vm_flags >>> 0, k.pgt.vm_get_page_prot(vm_flags), pgoff, a.label);
  // the file: the one mapped, or a new one for MAP_SHARED|MAP_ANONYMOUS (the VMA's reference is its only one)
  if (file) vma.vm_file = file.m.ino;
  else if (type === MAP_SHARED) vma.vm_file = hugetlb_file_setup(k, 'anon_hugepage', len, 0).ino;
  // what the mapping replaces is unmapped first, its pages and reservations given back, and only then does
  // hugetlbfs_file_mmap reserve (mmap_region's munmap before call_mmap @v4.19..v6.11; vms_clean_up_area before
  // it @v6.12, v6.18): a MAP_FIXED mapping over hugetlb memory may take the pool's pages that memory held, and
  // one that fails leaves a hole (its UNMAP events are sent all the same)
  munmap_replaced(k, mm, addr, len, uf);
  if (!hugetlb_reserve_pages(k, vma, pgoff / HPAGE_PMD_NR, pgoff / HPAGE_PMD_NR + len / PMD_SIZE, vma.vm_flags)) {
    vma.free();
    fail('ENOMEM', `the hugetlb pool cannot reserve ${len / PMD_SIZE} huge page(s) (HugePages_Free ${k.hstate.free_huge_pages}, HugePages_Rsvd ${k.hstate.resv_huge_pages})`);
  }
  if (vma.vm_file !== 0) hugetlbfs_mmap_size(k.inode(vma.vm_file)!, offset + len, (vm_flags & VM_WRITE) !== 0);
  insertVma(mm, vma);
  vma_set_page_prot(k, vma);
  if (k.config.soft_dirty && k.has(PATCH.softDirtyVmaReuse)) vma.vm_flags = (vma.vm_flags | VM_SOFTDIRTY) >>> 0;
  k.tr?.emit('mmap', 'mmap_region', { start: addr, end: addr + len, vm_flags: vma.vm_flags >>> 0, label: a.label });
  return addr;
}

/**
 * mm/vma.c __mmap_region() @v6.18: unmap what is there, then extend a neighbour over the range
 * (vma_merge_new_range) or add a new VMA; a new or expanded VMA is soft-dirty
 */
export function mmap_region(k: Kernel, mm: MmStruct, addr: number, len: number, vm_flags: number, label: string, file = 0, filePgoff: number | null = null,
  uf: UnmapEvents | null = null): number {
  munmap_replaced(k, mm, addr, len, uf);
  const softdirty = k.config.soft_dirty && k.has(PATCH.softDirtyVmaReuse);
  const pgoff = filePgoff ?? Math.floor(addr / PAGE_SIZE);
  let vma = vma_merge_new_range(k, mm, addr, addr + len, vm_flags, pgoff, undefined, file);
  if (!vma) {
    vma = VmArea.alloc(k, addr, addr + len, vm_flags, k.pgt.vm_get_page_prot(vm_flags), pgoff, label);
    insertVma(mm, vma);
    // call_mmap (shmem_mmap) takes the file's reference; a shared anonymous mapping gets a file of its own
    if (file !== 0) vma.vm_file = file;
    else if (vm_flags & VM_SHARED) shmem_zero_setup(k, vma);
  }
  if (softdirty) vma.vm_flags = (vma.vm_flags | VM_SOFTDIRTY) >>> 0;
  // __mmap_region: VM_SOFTDIRTY first, then vma_set_page_prot (a new mapping wants no writenotify for soft-dirty)
  vma_set_page_prot(k, vma);
  k.tr?.emit('mmap', 'mmap_region', { start: addr, end: addr + len, vm_flags: vm_flags >>> 0, label });
  return addr;
}

/**
 * mm/vma.c __mmap_prepare() @v6.18 (mmap_region's do_munmap @v4.19): what a new mapping replaces is unmapped
 * with the uffd unmap list of the mmap call, userfaultfd_unmap_prep of each VMA once its splits are done; the
 * events carry the whole new range, as an munmap's do
 */
function munmap_replaced(k: Kernel, mm: MmStruct, addr: number, len: number, uf: UnmapEvents | null): void {
  if (uf === null) return do_munmap(k, mm, addr, len);
  uf.start = addr;
  uf.end = addr + len;
  const ctxs = uf.ctxs;
  do_munmap(k, mm, addr, len, (v) => userfaultfd_unmap_prep_vma(v, ctxs));
}

/** the VMAs that intersect [start, end), in order */
export function vmas_in(mm: MmStruct, start: number, end: number): VmArea[] {
  const out: VmArea[] = [];
  for (const v of mm.vmas) if (v.vm_start < end && v.vm_end > start) out.push(v);
  return out;
}

/**
 * mm/vma.c do_vmi_munmap() @v6.18: an unaligned start, a range past TASK_SIZE or an empty one is EINVAL; the
 * length is rounded up to pages; then split the VMAs at the edges, zap and free what was mapped, drop them.
 * `gathered` sees each VMA once its splits are done (vms_gather_munmap_vmas' userfaultfd_unmap_prep): a
 * split that fails leaves the VMAs after it unseen
 */
export function do_munmap(k: Kernel, mm: MmStruct, start: number, len: number, gathered?: (v: VmArea) => void): void {
  if (start % PAGE_SIZE !== 0 || start > TASK_SIZE || len > TASK_SIZE - start) fail('EINVAL', 'munmap start is not page aligned, or the range is past TASK_SIZE');
  const end = start + Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  if (end === start) fail('EINVAL', 'munmap of an empty range');
  const hit = vmas_in(mm, start, end);
  if (hit.length === 0) return;
  // vms_gather_munmap_vmas: every split at the edges first; one that fails (a hugetlb VMA off a huge page
  // boundary) fails the call with the splits before it left in place and nothing unmapped. From 65ac132027a8
  // (v6.5) each VMA is handed to userfaultfd_unmap_prep as it is gathered, so the VMAs before a failed split
  // have their events; before, only once every split was done
  const perVma = k.has(PATCH.uffdUnmapPrepPerVma);
  const gone: VmArea[] = [];
  for (const v0 of hit) {
    let v = v0;
    if (v.vm_start < start) v = __split_vma(k, mm, v, start);
    if (v.vm_end > end) __split_vma(k, mm, v, end);
    if (perVma) gathered?.(v);
    gone.push(v);
  }
  if (!perVma && gathered) for (const v of gone) gathered(v);
  zapAndRemoveVmas(k, mm, gone);
  free_pgtables(k, mm, start, end);
  k.tr?.emit('munmap', 'do_vmi_munmap', { start, end });
}

/** what an munmap and exit_mmap do to each VMA they take out: zap it, free it and drop its references */
function zapAndRemoveVmas(k: Kernel, mm: MmStruct, gone: readonly VmArea[]): void {
  for (const v of gone) {
    // unmap_vmas (ZAP_FLAG_DROP_MARKER), and for hugetlb the vm_ops->close of remove_vma
    if (v.vm_flags & VM_HUGETLB) __unmap_hugepage_range(k, mm, v, v.vm_start, v.vm_end, -1, true);
    else unmap_page_range(k, mm, v, v.vm_start, v.vm_end);
    if (v.vm_flags & VM_HUGETLB) hugetlb_vm_op_close(k, v);
    mm.removeVma(v);
    unlink_anon_vmas(v); // free_pgtables
    v.free(); // remove_vma
  }
}

/**
 * mm/mmap.c exit_mmap() @v6.18 (from mmput, once the last user of the mm is gone): every VMA is zapped and
 * freed and every page table with them, with no userfaultfd event (nobody is left to wait for one); mm_users
 * is then 0, which mmget_not_zero() of a userfaultfd context that outlives the process tells
 */
export function exit_mmap(k: Kernel, mm: MmStruct): void {
  const n = mm.vmas.length;
  zapAndRemoveVmas(k, mm, [...mm.vmas]);
  free_pgtables(k, mm, 0, TASK_SIZE);
  mm.users = 0;
  k.tr?.emit('exit_mmap', 'exit_mmap', { vmas: n });
}

/** free_pgtables: free page-table pages whose whole span no longer has a VMA */
export function free_pgtables(k: Kernel, mm: MmStruct, start: number, end: number): void {
  const covered = (a: number, b: number) => vmas_in(mm, a, b).length > 0;
  const walk = (t: PageTable) => {
    const span = t.level === LEVEL_PMD ? PMD_SIZE : t.level === LEVEL_PUD ? 2 ** 30 : 2 ** 39;
    const first = Math.max(0, Math.floor((start - t.base) / span));
    const last = Math.min(511, Math.floor((end - 1 - t.base) / span));
    for (let i = first; i <= last; i++) {
      const child = childTable(k, mm, t, i);
      if (!child) continue;
      const a = t.addrOf(i);
      if (child.level > LEVEL_PTE) walk(child);
      if (!covered(a, a + span) && (child.level === LEVEL_PTE || child.nr === 0)) {
        // the PTEs are already zapped: drop the table and the entry pointing to it
        t.clear(i);
        freeTable(k, mm, child);
      }
    }
  };
  walk(mm.pgd);
  void levelIndex;
}

/** the one VMA that must cover [start,end) for anon-only operations, or null when there is a hole */
export function find_covering_vmas(mm: MmStruct, start: number, end: number): VmArea[] | null {
  const vs = vmas_in(mm, start, end);
  let at = start;
  for (const v of vs) {
    if (v.vm_start > at) return null;
    at = v.vm_end;
  }
  return at >= end ? vs : null;
}



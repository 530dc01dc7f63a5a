// shmem (mm/shmem.c @v6.18), memfd_create (mm/memfd.c @v6.18) and the file operations the model has on
// a tmpfs file: the page cache of each file is mm/filemap.ts's. shmem has no writeback: a dirty folio
// stays dirty until it is freed, or until reclaim swaps it out (shmem_writeout: its cache entry becomes a
// swap entry, and the next lookup swaps it in: shmem_swapin_folio).
import type { Kernel } from '../kernel.js';
import type { Task } from '../include/sched.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { fail, notModelled } from '../include/errno.js';
import { PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import { PG_active, PG_dirty, PG_lru, PG_swapbacked, PG_uptodate, PG_referenced } from './folio.js';
import {
  AddressSpace, INODE_ANON_SHARED, INODE_INDEX_MAX, INODE_MEMFD, INODE_PAGES_MAX, INODE_TMPFS_FILE, filemap_add_folio, filemap_get_entry,
  filemap_remove_folio, new_inode, unmap_mapping_range, i_mmap, folio_index, pmdIndex, unmap_mapping_pages, folio_mapping,
} from './filemap.js';
import { VM_FAULT_SIGBUS, VM_FAULT_OOM, VM_FAULT_MAJOR } from '../include/fault.js';
import {
  delete_from_swap_cache, folio_alloc_swap, free_swap_and_cache, read_swap_cache_async, swap_cache_get_folio, swap_duplicate, swap_free,
  swap_writepage,
} from './swapfile.js';
import { folio_put_refs } from './swap.js';
import { handle_userfault, userfaultfd_missing, userfaultfd_minor } from '../fs/userfaultfd.js';
import { VM_UFFD_MISSING, VM_UFFD_MINOR, VM_NORESERVE, VM_HUGEPAGE, VM_NOHUGEPAGE } from '../include/vm_flags.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import type { VmFault } from './memory.js';
import { mark_page_accessed } from './gup.js';
import { PATCH } from '../../profiles/patches.js';
import { hugetlb_file_setup, hugetlbfs_evict_inode, is_file_hugepages } from '../fs/hugetlbfs.js';
import { try_to_unmap } from './vmscan.js';

// ---- uapi (include/uapi/linux/memfd.h, fcntl.h, falloc.h) -------------------------------------------
export const MFD_CLOEXEC = 0x1, MFD_ALLOW_SEALING = 0x2, MFD_HUGETLB = 0x4, MFD_NOEXEC_SEAL = 0x8, MFD_EXEC = 0x10;
export const F_SEAL_SEAL = 0x1, F_SEAL_SHRINK = 0x2, F_SEAL_GROW = 0x4, F_SEAL_WRITE = 0x8, F_SEAL_FUTURE_WRITE = 0x10, F_SEAL_EXEC = 0x20;
export const FALLOC_FL_KEEP_SIZE = 0x1, FALLOC_FL_PUNCH_HOLE = 0x2;
/** NAME_MAX - strlen("memfd:") */
const MFD_NAME_MAX_LEN = 255 - 6;
/** MAX_LFS_FILESIZE on 64-bit, and the model's own limit (1 TiB; small pages only in the first 16 GiB) */
const MODEL_MAX_BYTES = INODE_INDEX_MAX * PAGE_SIZE;

/** enum sgp_type (mm/shmem.c) */
export const SGP_READ = 0, SGP_NOALLOC = 1, SGP_CACHE = 2, SGP_WRITE = 3, SGP_FALLOC = 4;

/** mm/shmem.c shmem_file_setup() @v6.18 (__shmem_file_setup): a new inode of that size on the internal tmpfs mount */
export function shmem_file_setup(k: Kernel, name: string, size: number, flags: number): AddressSpace {
  if (size < 0 || size > MODEL_MAX_BYTES) fail('EINVAL', 'shmem file size out of range');
  const m = new_inode(k, flags, name);
  m.i_size = size;
  return m;
}

/**
 * mm/shmem.c shmem_zero_setup() @v6.18: a MAP_SHARED|MAP_ANONYMOUS mapping is a file of its own ("dev/zero"),
 * sized as the VMA, which holds the only reference to it
 */
export function shmem_zero_setup(k: Kernel, vma: VmArea): void {
  const m = shmem_file_setup(k, 'dev/zero', vma.vm_end - vma.vm_start, INODE_ANON_SHARED | (vma.vm_flags & VM_NORESERVE ? 0 : 0));
  vma.vm_file = m.ino;
}

/** mm/shmem.c vma_is_anon_shmem() @v6.18: a shared anonymous mapping */
export function vma_is_anon_shmem(k: Kernel, vma: VmArea): boolean {
  const m = k.inode(vma.vm_file);
  return m !== null && (m.flags & INODE_ANON_SHARED) !== 0;
}

/**
 * mm/memfd.c memfd_create() @v6.18: a tmpfs file "memfd:NAME" open O_RDWR in the caller's fd table. Unknown
 * flags are EINVAL, as is a name longer than 249 bytes; without MFD_ALLOW_SEALING the file is sealed against
 * further seals (F_SEAL_SEAL). MFD_HUGETLB makes a hugetlbfs file instead (fs/hugetlbfs.ts).
 */
export function memfd_create(k: Kernel, task: Task, name: string, flags: number): AddressSpace {
  // MFD_ALL_FLAGS by release: MFD_HUGETLB from 749df87bd7be (v4.14), MFD_NOEXEC_SEAL and MFD_EXEC from 105ff5339f49 (v6.3)
  const all = MFD_CLOEXEC | MFD_ALLOW_SEALING | (k.has(PATCH.memfdHugetlb) ? MFD_HUGETLB : 0)
    | (k.has(PATCH.memfdNoexecSeal) ? MFD_NOEXEC_SEAL | MFD_EXEC : 0);
  // with MFD_HUGETLB, bits 26..31 may name the huge page size (MFD_HUGE_SHIFT)
  if ((flags & ~all & ((flags & all & MFD_HUGETLB) ? 0x03ffffff : ~0)) !== 0) fail('EINVAL', 'unknown memfd_create flags');
  // the model has the 2 MiB huge page size
  if ((flags & MFD_HUGETLB) && (flags >>> 26) !== 0 && (flags >>> 26) !== 21) notModelled('flags', 'a MFD_HUGETLB page size other than 2 MiB');
  if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL)) fail('EINVAL', 'MFD_EXEC with MFD_NOEXEC_SEAL');
  if (name.length > MFD_NAME_MAX_LEN) fail('EINVAL', 'memfd name longer than 249 bytes');
  // MFD_HUGETLB: hugetlb_file_setup on the internal hugetlbfs mount (VM_NORESERVE, size 0)
  const m = flags & MFD_HUGETLB ? hugetlb_file_setup(k, `memfd:${name}`, 0, INODE_MEMFD) : shmem_file_setup(k, `memfd:${name}`, 0, INODE_MEMFD);
  // memfd_alloc_file: F_SEAL_SEAL unless sealing is allowed; MFD_NOEXEC_SEAL allows sealing and seals exec
  if (flags & MFD_NOEXEC_SEAL) m.seals = F_SEAL_EXEC;
  else if (!(flags & MFD_ALLOW_SEALING)) m.seals = F_SEAL_SEAL;
  m.files = (1 << task.mm.id) >>> 0;
  k.tr?.emit('memfd_create', 'memfd_create', { name: m.name, ino: m.ino, flags });
  return m;
}

/**
 * fs/open.c do_sys_open() for a regular file of the model's tmpfs: O_CREAT makes it, else ENOENT; `hugetlbfs`: a file
 * of the run's hugetlbfs directory instead (hugetlbfs_create: an inode of hugetlbfs, size 0; fs/hugetlbfs.ts)
 */
export function shmem_open(k: Kernel, task: Task, path: string, create: boolean, hugetlbfs = false): AddressSpace {
  for (let ino = 1; ino <= k.nrInodes; ino++) {
    const m = k.inode(ino)!;
    if (m.live && (m.flags & INODE_TMPFS_FILE) && is_file_hugepages(m) === hugetlbfs && m.name === path) {
      m.files = (m.files | (1 << task.mm.id)) >>> 0;
      return m;
    }
  }
  if (!create) fail('ENOENT', `no file ${path}`);
  // (a hugetlbfs file's seals: F_SEAL_SEAL, which hugetlbfs_get_inode sets and no operation of the model changes)
  const m = hugetlbfs ? hugetlb_file_setup(k, path, 0, INODE_TMPFS_FILE) : shmem_file_setup(k, path, 0, INODE_TMPFS_FILE);
  m.files = (1 << task.mm.id) >>> 0;
  // shmem_get_inode: owned by the caller's fsuid (the mode, 0600, is the executor's)
  m.i_uid = task.uid;
  return m;
}

/** the file of this process's fd: EBADF when its fd table does not hold it */
export function shmem_fdget(k: Kernel, mm: MmStruct, ino: number): AddressSpace {
  const m = k.inode(ino);
  if (m === null || !m.live || !m.openIn(mm)) fail('EBADF', 'this process has no such file descriptor open');
  return m;
}

/** fs/open.c close_fd() for a file: the process's entry goes; the last reference evicts the inode */
export function shmem_close(k: Kernel, mm: MmStruct, m: AddressSpace): void {
  m.files = (m.files & ~(1 << mm.id)) >>> 0;
  // a regular tmpfs file keeps its name (a dentry) and pages until it is unlinked, which the model never does
  if (m.files === 0 && m.maps === 0 && !(m.flags & INODE_TMPFS_FILE)) shmem_evict_inode(k, m);
}

/** kernel/fork.c dup_fd() @v6.18 for the files the model has: every file open in parent is open in child */
export function copy_shmem_files(k: Kernel, parent: MmStruct, child: MmStruct): void {
  for (let ino = 1; ino <= k.nrInodes; ino++) {
    const m = k.inode(ino)!;
    if (m.live && m.openIn(parent)) m.files = (m.files | (1 << child.id)) >>> 0;
  }
}

/** mm/shmem.c shmem_evict_inode() @v6.18: the last reference gone, every page goes and the inode with them */
export function shmem_evict_inode(k: Kernel, m: AddressSpace): void {
  // evict(): the file system's evict_inode (a hugetlbfs file's pages go back to the pool)
  if (is_file_hugepages(m)) return hugetlbfs_evict_inode(k, m);
  shmem_truncate_range(k, m, 0, -1);
  m.name = '';
  m.i_size = 0;
  m.seals = 0;
  m.i_uid = 0;
  m.flags = 0;
  k.tr?.emit('shmem_evict_inode', 'shmem_evict_inode', { ino: m.ino });
}

/** the folio a new page of the file gets (shmem_alloc_and_add_folio): swap-backed, locked while added, on the LRU */
function shmem_alloc_and_add_folio(k: Kernel, m: AddressSpace, index: number): number {
  const slot = k.folios.alloc(0, PG_swapbacked);
  filemap_add_folio(k, m, slot, index);
  // the allocation's reference is the caller's (the fault's, or put by the caller)
  k.folios.setFlag(slot, PG_lru);
  k.tr?.emit('shmem_alloc_folio', 'shmem_alloc_and_add_folio', { ino: m.ino, index, pfn: k.folios.pfn(slot) });
  return slot;
}

/**
 * mm/shmem.c shmem_get_folio_gfp() @v6.18: the folio at index with a reference for the caller, allocated
 * in a hole unless sgp is SGP_READ (-1: a hole, left to the caller) or SGP_NOALLOC (ENOENT). An index at or
 * past i_size is EINVAL for SGP_READ/NOALLOC/CACHE. A hole of a VMA registered for MISSING faults, and a
 * cached folio of one registered for MINOR faults, go to userspace (the `uffd` result). A new folio, or one fallocate left not up to date, is zeroed and marked up
 * to date except for SGP_WRITE/SGP_FALLOC (whose caller fills it).
 */
export function shmem_get_folio(k: Kernel, m: AddressSpace, index: number, sgp: number, vmf: VmFault | null, write_end = 0): { slot: number; uffd?: number; major?: boolean } {
  if (index >= INODE_INDEX_MAX) notModelled('addr', `model limit: a file of more than ${INODE_INDEX_MAX} pages`);
  if (sgp <= SGP_CACHE && index * PAGE_SIZE >= m.i_size) fail('EINVAL', 'page index past i_size');
  const f = k.folios;
  let slot = filemap_get_entry(k, m, index);
  const swp = slot < 0 ? m.swapAt(index) : -1;
  // userfaultfd MINOR (c949b097ef2e, v5.14): a folio in the cache, even one fallocate left not up to date, or
  // a swap entry, is not mapped by the fault of a VMA registered for MINOR faults: userspace is told (and CONTINUEs)
  if ((slot >= 0 || swp >= 0) && vmf && userfaultfd_minor(vmf.vma)) return { slot: -1, uffd: handle_userfault(k, vmf, VM_UFFD_MINOR) };
  // a swap entry: the page comes back from swap (up to date, dirty, in the cache again)
  if (swp >= 0) return shmem_swapin_folio(k, m, index, swp, sgp);
  if (slot >= 0) {
    f.setRefcount(slot, f.refcount(slot) + 1);
    // a folio found in the cache is accessed by a write (folio_mark_accessed: a referenced one is activated);
    // a new one below only gets PG_referenced (__folio_set_referenced)
    if (sgp === SGP_WRITE) mark_page_accessed(k, slot);
    if (f.test(slot, PG_uptodate) || sgp === SGP_READ) {
      if (!f.test(slot, PG_uptodate)) {
        // a fallocated folio reads as a hole
        f.setRefcount(slot, f.refcount(slot) - 1);
        return { slot: -1 };
      }
      return { slot };
    }
  } else {
    if (sgp === SGP_READ) return { slot: -1 };
    if (sgp === SGP_NOALLOC) fail('ENOENT', 'a hole');
    if (vmf && userfaultfd_missing(vmf.vma)) return { slot: -1, uffd: handle_userfault(k, vmf, VM_UFFD_MISSING) };
    // shmem_allowable_huge_orders: a PMD-sized folio where shmem_enabled (or the mount) allows one (shmthp)
    slot = shmem_alloc_huge_folio(k, m, index, vmf, write_end);
    if (slot < 0 && index >= INODE_PAGES_MAX) notModelled('addr', `model limit: a small page of a file past ${INODE_PAGES_MAX} pages (16 GiB; PMD-sized folios reach 1 TiB)`);
    if (slot < 0) slot = shmem_alloc_and_add_folio(k, m, index);
    if (sgp === SGP_WRITE) f.setFlag(slot, PG_referenced);
    if (sgp === SGP_FALLOC) sgp = SGP_WRITE;
  }
  if (sgp !== SGP_WRITE && !f.test(slot, PG_uptodate)) {
    k.data.clearRange(f.pfn(slot), f.nrPages(slot));
    f.setFlag(slot, PG_uptodate);
  }
  return { slot };
}

/**
 * mm/shmem.c shmem_fault() @v6.18: the page-cache folio at the fault's file index, with a reference for the
 * fault (vmf.page), or VM_FAULT_SIGBUS past i_size. Returns [vm_fault bits, slot].
 */
export function shmem_fault(k: Kernel, vmf: VmFault, pgoff: number): { ret: number; slot: number; pfn: number } {
  const m = k.inode(vmf.vma.vm_file)!;
  if (pgoff * PAGE_SIZE >= m.i_size) return { ret: VM_FAULT_SIGBUS, slot: -1, pfn: -1 };
  const r = shmem_get_folio(k, m, pgoff, SGP_CACHE, vmf);
  if (r.uffd !== undefined) return { ret: r.uffd, slot: -1, pfn: -1 };
  if (r.slot < 0) return { ret: VM_FAULT_OOM, slot: -1, pfn: -1 };
  // vmf->page = folio_file_page(folio, pgoff); a page read back from swap makes the fault major
  return { ret: r.major ? VM_FAULT_MAJOR : 0, slot: r.slot, pfn: folio_file_pfn(k, r.slot, pgoff) };
}

/**
 * mm/shmem.c shmem_undo_range() @v6.18 (shmem_truncate_range): the folios wholly inside the byte range
 * [lstart, lend] (lend -1: to the end) leave the cache, unmapped first where a page table still maps them
 * (truncate_inode_folio); the partial pages at either end keep their folio with the range zeroed
 */
export function shmem_truncate_range(k: Kernel, m: AddressSpace, lstart: number, lend: number): void {
  const f = k.folios;
  const start = Math.ceil(lstart / PAGE_SIZE);
  const endByte = lend < 0 ? INODE_INDEX_MAX * PAGE_SIZE : lend + 1;
  const end = Math.min(INODE_INDEX_MAX, Math.floor(endByte / PAGE_SIZE));
  // shmem_free_swap: a swap entry of the range goes, and its slot's reference (free_swap_and_cache_nr: a
  // folio left alone in the swap cache is freed with it)
  if (m.swapped > 0) {
    for (let i = m.nextIndex(start, end, true); i >= 0; i = m.nextIndex(i + 1, end, true)) {
      const off = m.swapAt(i);
      if (off < 0) continue;
      m.setEntry(i, -1);
      m.swapped--;
      free_swap_and_cache(k, off);
      if (m.swapped === 0) break;
    }
  }
  if (m.nrpages > 0) {
    for (let i = m.nextIndex(start, end); i >= 0; i = m.nextIndex(i + 1, end)) {
      let slot = m.folioAt(i);
      if (f.isLarge(slot)) {
        // shmthp: a large folio wholly inside goes whole (truncate_inode_folio); one the range covers in part
        // is split (truncate_inode_partial_folio: split_folio), or, when it cannot be, kept with the range zeroed
        const fi = folio_index(k, slot), nr = f.nrPages(slot);
        if (fi >= start && fi + nr <= end) {
          if (f.folioMapped(slot)) unmap_mapping_range(k, m, fi * PAGE_SIZE, nr * PAGE_SIZE, false);
          filemap_remove_folio(k, m, slot);
          i = fi + nr - 1;
          continue;
        }
        if (shmem_split_folio(k, m, slot) !== 0) {
          const a = Math.max(i, fi), b = Math.min(end, fi + nr);
          for (let j = a; j < b; j++) k.data.clearPage(f.pfn(slot) + (j - fi));
          i = b - 1;
          continue;
        }
        slot = m.folioAt(i);
        if (slot < 0) continue;
      }
      if (f.folioMapped(slot)) unmap_mapping_range(k, m, i * PAGE_SIZE, PAGE_SIZE, false);
      filemap_remove_folio(k, m, slot);
    }
  }
  // the partial pages: zero what the range covers of them
  const zero = (index: number, from: number, to: number) => {
    const slot = m.folioAt(index);
    if (slot < 0 || from >= to) return;
    k.data.fillBytes(folio_file_pfn(k, slot, index), from, to - from, 0);
  };
  const sIdx = Math.floor(lstart / PAGE_SIZE), sOff = lstart % PAGE_SIZE;
  if (sOff !== 0) zero(sIdx, sOff, Math.floor((endByte - 1) / PAGE_SIZE) === sIdx ? ((endByte - 1) % PAGE_SIZE) + 1 : PAGE_SIZE);
  const eIdx = Math.floor(endByte / PAGE_SIZE), eOff = endByte % PAGE_SIZE;
  if (lend >= 0 && eOff !== 0 && eIdx !== sIdx) zero(eIdx, 0, eOff);
}

/** fs/open.c do_ftruncate() / mm/shmem.c shmem_setattr() @v6.18: the new size; a shrink unmaps and frees what lies past it (private copies too) */
export function shmem_setattr_size(k: Kernel, m: AddressSpace, newsize: number): void {
  if (newsize < 0) fail('EINVAL', 'negative length');
  if (newsize > MODEL_MAX_BYTES) notModelled('len', `model limit: a file of more than ${INODE_INDEX_MAX} pages`);
  const oldsize = m.i_size;
  if ((newsize < oldsize && (m.seals & F_SEAL_SHRINK)) || (newsize > oldsize && (m.seals & F_SEAL_GROW))) fail('EPERM', 'the file is sealed against this size change');
  if (newsize === oldsize) return;
  m.i_size = newsize;
  if (newsize < oldsize) {
    const holebegin = Math.ceil(newsize / PAGE_SIZE) * PAGE_SIZE;
    unmap_mapping_range(k, m, holebegin, 0, true);
    shmem_truncate_range(k, m, newsize, -1);
    unmap_mapping_range(k, m, holebegin, 0, true);
  }
  k.tr?.emit('shmem_setattr', 'shmem_setattr', { ino: m.ino, old: oldsize, size: newsize });
}

/**
 * mm/shmem.c shmem_fallocate() @v6.18 (after vfs_fallocate's checks): FALLOC_FL_PUNCH_HOLE (with KEEP_SIZE)
 * unmaps the whole pages of the range from every mapping (private copies stay) and frees them, zeroing the
 * partial ones; mode 0 or KEEP_SIZE allocates the holes of the range (dirty, not up to date: they read as
 * zeroes) and extends i_size unless KEEP_SIZE
 */
export function shmem_fallocate(k: Kernel, m: AddressSpace, mode: number, offset: number, len: number): void {
  if (offset < 0 || len <= 0) fail('EINVAL', 'fallocate offset < 0 or len <= 0');
  if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) fail('EOPNOTSUPP', 'fallocate mode not supported by tmpfs');
  if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE)) fail('EOPNOTSUPP', 'PUNCH_HOLE without KEEP_SIZE');
  if (offset + len > MODEL_MAX_BYTES) notModelled('len', `model limit: a file of more than ${INODE_INDEX_MAX} pages`);
  if (mode & FALLOC_FL_PUNCH_HOLE) {
    if (m.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) fail('EPERM', 'the file is sealed against writes');
    const unmapStart = Math.ceil(offset / PAGE_SIZE) * PAGE_SIZE;
    const unmapEnd = Math.floor((offset + len) / PAGE_SIZE) * PAGE_SIZE - 1;
    if (unmapEnd > unmapStart) unmap_mapping_range(k, m, unmapStart, 1 + unmapEnd - unmapStart, false);
    shmem_truncate_range(k, m, offset, offset + len - 1);
    k.tr?.emit('shmem_fallocate', 'shmem_fallocate', { ino: m.ino, mode, offset, len });
    return;
  }
  if (!(mode & FALLOC_FL_KEEP_SIZE) && offset + len > m.i_size && (m.seals & F_SEAL_GROW)) fail('EPERM', 'the file is sealed against growing');
  const f = k.folios;
  for (let i = Math.floor(offset / PAGE_SIZE), e = Math.ceil((offset + len) / PAGE_SIZE); i < e; i++) {
    const r = shmem_get_folio(k, m, i, SGP_FALLOC, null);
    // shmem_fallocate marks every folio it went through dirty, then drops its reference
    f.setFlag(r.slot, PG_dirty);
    f.setRefcount(r.slot, f.refcount(r.slot) - 1);
  }
  if (!(mode & FALLOC_FL_KEEP_SIZE) && offset + len > m.i_size) m.i_size = offset + len;
  k.tr?.emit('shmem_fallocate', 'shmem_fallocate', { ino: m.ino, mode, offset, len });
}

/**
 * mm/shmem.c shmem_file_read_iter() @v6.18: up to len bytes from offset, stopping at i_size; a hole (or a
 * folio fallocate left not up to date) reads as zeroes. Returns the bytes as [pfn or -1, offset in page, n] runs.
 */
export function shmem_file_read(k: Kernel, m: AddressSpace, offset: number, len: number): { pfn: number; off: number; n: number }[] {
  if (offset < 0) fail('EINVAL', 'negative offset');
  const out: { pfn: number; off: number; n: number }[] = [];
  const end = Math.min(offset + len, m.i_size);
  for (let pos = offset; pos < end;) {
    const index = Math.floor(pos / PAGE_SIZE), off = pos % PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - off, end - pos);
    const r = shmem_get_folio(k, m, index, SGP_READ, null);
    if (r.slot >= 0) {
      // the folio is marked accessed when the read starts at its beginning
      if (off === 0) mark_page_accessed(k, r.slot);
      out.push({ pfn: folio_file_pfn(k, r.slot, index), off, n });
      k.folios.setRefcount(r.slot, k.folios.refcount(r.slot) - 1);
    } else out.push({ pfn: -1, off, n });
    pos += n;
  }
  return out;
}

/**
 * mm/shmem.c shmem_file_write_iter() @v6.18 (generic_perform_write with shmem_write_begin/end): the bytes
 * written page by page into the cache (a hole gets a folio, zeroed around what is written), each folio
 * marked dirty; i_size grows to the end of the write. EPERM where a seal forbids it.
 */
export function shmem_file_write(k: Kernel, m: AddressSpace, offset: number, bytes: Uint8Array): number {
  if (offset < 0) fail('EINVAL', 'negative offset');
  if (m.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) fail('EPERM', 'the file is sealed against writes');
  const end = offset + bytes.length;
  if (end > m.i_size && (m.seals & F_SEAL_GROW)) fail('EPERM', 'the file is sealed against growing');
  if (end > MODEL_MAX_BYTES) notModelled('offset', `model limit: a file of more than ${INODE_INDEX_MAX} pages`);
  const f = k.folios;
  for (let pos = offset; pos < end;) {
    const index = Math.floor(pos / PAGE_SIZE), off = pos % PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - off, end - pos);
    const { slot } = shmem_get_folio(k, m, index, SGP_WRITE, null, pos + n);
    const pfn = folio_file_pfn(k, slot, index);
    if (!f.test(slot, PG_uptodate)) {
      // shmem_write_end: a folio not up to date gets zeroes around the bytes copied (every page of a large one)
      k.data.clearRange(f.pfn(slot), f.nrPages(slot));
      f.setFlag(slot, PG_uptodate);
    }
    k.data.writeBytes(pfn, off, bytes, pos - offset, n);
    f.setFlag(slot, PG_dirty);
    f.setRefcount(slot, f.refcount(slot) - 1);
    pos += n;
    if (pos > m.i_size) m.i_size = pos;
  }
  k.tr?.emit('shmem_write', 'shmem_file_write_iter', { ino: m.ino, offset, len: bytes.length });
  return bytes.length;
}

/** the VMAs mapping m (for the debug checks and tests) */
export function shmem_mappings(k: Kernel, m: AddressSpace): VmArea[] {
  return i_mmap(k, m).map((x) => x.vma);
}

// ---- shmem THP (shmthp): PMD-sized page-cache folios (mm/shmem.c @v6.18) ------------------------------

/** the page of a page-cache folio that holds file index `index` (folio_file_page), as a pfn */
export function folio_file_pfn(k: Kernel, slot: number, index: number): number {
  return k.folios.pfn(slot) + (k.folios.isLarge(slot) ? index - folio_index(k, slot) : 0);
}

/**
 * mm/shmem.c shmem_huge_global_enabled() @v6.18 for the PMD order: shmem_enabled deny refuses and force
 * allows every mount; otherwise the mount's huge= decides: the internal shm mount's follows shmem_enabled
 * (memfds, shared anonymous memory), the model's tmpfs mount is huge=never. within_size: the block up to
 * the next PMD boundary after index lies inside max(i_size, write_end); advise (and within_size past
 * i_size): the VMA has VM_HUGEPAGE
 */
export function shmem_huge_global_enabled(k: Kernel, m: AddressSpace, index: number, write_end: number, vm_flags: number): boolean {
  // before 800d8c63b2e9 (v4.8) shmem had small pages only: no shmem_enabled, no huge= mount option
  if (!k.has(PATCH.shmemHuge)) return false;
  const mode = k.config.shmem_enabled;
  if (mode === 'deny') return false;
  if (mode === 'force') return true;
  const huge = m.flags & INODE_TMPFS_FILE ? 'never' : mode;
  if (huge === 'always') return true;
  if (huge === 'within_size') {
    const upTo = Math.ceil((index + 1) / HPAGE_PMD_NR) * HPAGE_PMD_NR;
    const size = Math.ceil(Math.max(write_end, m.i_size) / PAGE_SIZE);
    if (size >= upTo) return true;
  }
  if (huge === 'within_size' || huge === 'advise') return (vm_flags & VM_HUGEPAGE) !== 0;
  return false;
}

/**
 * mm/shmem.c shmem_allowable_huge_orders() @v6.18 for the PMD order (the per-size knobs at their defaults:
 * the PMD size inherits shmem_enabled, the others never): none in a VMA with VM_NOHUGEPAGE (vma_thp_disabled)
 */
export function shmem_allowable_huge(k: Kernel, m: AddressSpace, vma: VmArea | null, index: number, write_end: number): boolean {
  if (vma !== null && (vma.vm_flags & VM_NOHUGEPAGE)) return false;
  return shmem_huge_global_enabled(k, m, index, write_end, vma ? vma.vm_flags : 0);
}

/**
 * include/linux/huge_mm.h thp_vma_suitable_order() @v6.18 for a file VMA and the PMD order: the VMA maps
 * the file at an offset aligned as its address, and the PMD-aligned block around addr lies inside it
 */
export function thp_vma_suitable_pmd(vma: VmArea, addr: number): boolean {
  if (((vma.vm_start / PAGE_SIZE - vma.vm_pgoff) % HPAGE_PMD_NR + HPAGE_PMD_NR) % HPAGE_PMD_NR !== 0) return false;
  const haddr = Math.floor(addr / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
  return haddr >= vma.vm_start && haddr + HPAGE_PMD_SIZE <= vma.vm_end;
}

/**
 * mm/shmem.c shmem_alloc_and_add_folio() @v6.18 with the PMD order (shmem_suitable_orders): a fault needs a
 * block the VMA can map with a PMD; a block that already holds a page of the cache falls back to order 0
 * (-1). The folio goes into the cache at the aligned index; THP_FILE_ALLOC is not a counter of the model.
 */
function shmem_alloc_huge_folio(k: Kernel, m: AddressSpace, index: number, vmf: VmFault | null, write_end: number): number {
  const vma = vmf ? vmf.vma : null;
  if (!shmem_allowable_huge(k, m, vma, index, write_end)) return -1;
  if (vmf !== null && !thp_vma_suitable_pmd(vmf.vma, vmf.address)) return -1;
  const aligned = pmdIndex(index);
  if (aligned + HPAGE_PMD_NR > INODE_INDEX_MAX) return -1;
  // any entry in the block, a swap entry too (xa_find), makes it order 0
  if (m.nextIndex(aligned, aligned + HPAGE_PMD_NR, true) >= 0) return -1;
  const slot = k.folios.alloc(HPAGE_PMD_ORDER, PG_swapbacked);
  filemap_add_folio(k, m, slot, aligned);
  k.folios.setFlag(slot, PG_lru);
  k.tr?.emit('shmem_alloc_folio', 'shmem_alloc_and_add_folio', { ino: m.ino, index: aligned, pfn: k.folios.pfn(slot), order: HPAGE_PMD_ORDER });
  return slot;
}

/**
 * mm/huge_memory.c split_huge_page() @v6.18 of a shmem folio (split_folio from truncate_inode_partial_folio):
 * every mapping of it goes (unmap_folio: a PMD is cleared, PTEs unmapped, uffd-wp leaving markers; file
 * pages are not mapped back, they refault), then, unless something else holds a reference (a pin: -EBUSY,
 * the folio stays whole), it becomes order-0 folios in the cache with the head's flags; pages at or past
 * i_size leave the cache (__split_huge_page). Returns 0 or -EBUSY.
 */
export function shmem_split_folio(k: Kernel, m: AddressSpace, slot: number, rmap = false): number {
  const f = k.folios;
  const fi = folio_index(k, slot), nr = f.nrPages(slot);
  // can_split_folio: the mappings, the cache's references and nothing else
  let mapRefs = f.mapcount(slot);
  if (f.hasSub(slot)) for (let i = 0; i < nr; i++) mapRefs += f.subMapcount(slot, i);
  if (f.refcount(slot) !== mapRefs + nr) return -16;
  // unmap_folio: by the rmap walk (`rmap`: try_to_unmap with TTU_SPLIT_HUGE_PMD, as reclaim's split_folio runs
  // it: a PMD split, thp_split_pmd), else by the file's range (truncation has unmapped all but the ends already)
  if (f.folioMapped(slot)) {
    if (rmap) try_to_unmap(k, slot);
    else unmap_mapping_pages(k, m, fi, nr, false);
  }
  if (f.refcount(slot) !== nr) return -16;
  if (fi + nr > INODE_PAGES_MAX) notModelled('addr', `model limit: splitting a PMD-sized folio of a file past ${INODE_PAGES_MAX} pages (small pages only in the first 16 GiB)`);
  m.setHugeEntry(fi, -1);
  const slots = f.splitLarge(slot);
  k.vmstat.thp_split_page++;
  const end = Math.ceil(m.i_size / PAGE_SIZE);
  for (let i = 0; i < nr; i++) {
    const s = slots[i]!;
    f.setRefcount(s, 1);
    m.setEntry(fi + i, s);
    k.folioMap.set(s * 2, m.ino);
    k.folioMap.set(s * 2 + 1, fi + i);
  }
  for (let i = 0; i < nr; i++) if (fi + i >= end) filemap_remove_folio(k, m, slots[i]!);
  k.tr?.emit('split_huge_page', 'split_huge_page', { ino: m.ino, index: fi, pfn: f.pfn(slots[0]!) });
  return 0;
}

// ---- swap (mm/shmem.c @v6.18) -------------------------------------------------------------------------

/**
 * mm/shmem.c shmem_writeout() @v6.18, from shrink_folio_list's pageout() (the folio unmapped, its dirty bit
 * given to the I/O): the folio gets a swap slot, leaves the page cache, whose entry becomes the slot's swap
 * entry (the entry holds the slot's swap count: folio_dup_swap), and is written (swap_writepage). Without a
 * swap device or a free slot it stays, dirty ('activate': AOP_WRITEPAGE_ACTIVATE). A folio fallocate left not
 * up to date is zeroed and written all the same. A PMD-sized folio is split first (the swap file has no
 * clusters for it); the slot of the folio that went on (its first page) is returned with the result.
 */
export function shmem_writeout(k: Kernel, slot: number, list: number[]): { r: 'activate' | 'zero' | 'writeback'; slot: number } {
  const f = k.folios;
  const m = k.inode(folio_mapping(k, slot))!;
  const index = folio_index(k, slot);
  // no swap device (total_swap_pages == 0): redirty
  if (k.swap.max === 0) {
    f.setFlag(slot, PG_dirty);
    return { r: 'activate', slot };
  }
  if (f.isLarge(slot)) {
    // a PMD-sized folio: the swap file allocates no cluster for it (folio_alloc_swap fails), so try_split: it is
    // dirtied again and split (split_folio_to_list: its other pages join reclaim's list, dirty), and its first
    // page goes on, clean; a split that fails redirties it
    f.setFlag(slot, PG_dirty);
    const nr = f.nrPages(slot);
    if (shmem_split_folio(k, m, slot) !== 0) return { r: 'activate', slot };
    const tails: number[] = [];
    for (let i = nr - 1; i >= 1; i--) {
      const s = m.folioAt(index + i);
      if (s >= 0) tails.push(s);
    }
    list.unshift(...tails);
    slot = m.folioAt(index);
    f.clearFlag(slot, PG_dirty);
  }
  if (!f.test(slot, PG_uptodate)) {
    k.data.clearRange(f.pfn(slot), 1);
    f.setFlag(slot, PG_uptodate);
  }
  if (!folio_alloc_swap(k, slot)) {
    f.setFlag(slot, PG_dirty);
    return { r: 'activate', slot };
  }
  // shmem_recalc_inode(inode, 0, nr_pages): one more page swapped
  m.swapped++;
  const off = k.swap.folioSwap(slot);
  swap_duplicate(k, off);
  shmem_delete_from_page_cache(k, m, slot, index, off);
  k.tr?.emit('shrink_folio_list', 'shmem_writeout', { action: 'to the swap cache', ino: m.ino, index, pfn: f.pfn(slot), swap: off });
  return { r: swap_writepage(k, slot), slot };
}

/** mm/shmem.c shmem_delete_from_page_cache() @v6.18: the swap entry replaces the folio at index; the cache's reference goes */
function shmem_delete_from_page_cache(k: Kernel, m: AddressSpace, slot: number, index: number, off: number): void {
  m.setSwapEntry(index, off);
  m.nrpages -= 1;
  k.folioMap.set(slot * 2, 0);
  k.folioMap.set(slot * 2 + 1, 0);
  folio_put_refs(k, slot, 1);
}

/**
 * mm/shmem.c shmem_swapin_folio() @v6.18 for the swap entry at index (shmem_get_folio's lookup found it): the
 * folio from the swap cache, or read from the slot into a new one (a major fault for a fault: the caller's
 * VM_FAULT_MAJOR; the swap file is no SWP_SYNCHRONOUS_IO device, so through the swap cache, with the refault's
 * activation, and without readahead in the model); then back in the page cache in place of the entry, out of
 * the swap cache, dirty, the slot freed. The folio comes with a reference for the caller.
 */
function shmem_swapin_folio(k: Kernel, m: AddressSpace, index: number, off: number, sgp: number): { slot: number; major: boolean } {
  const f = k.folios;
  let major = false;
  let slot = swap_cache_get_folio(k, off);
  if (slot >= 0) f.setRefcount(slot, f.refcount(slot) + 1);
  else {
    // shmem_swapin_cluster: swap_cluster_readahead (the faulting slot only)
    slot = read_swap_cache_async(k, off, false);
    if (k.has(PATCH.anonWorkingsetRefault) && k.swap.takeShadow(off)) f.setFlag(slot, PG_active);
    major = true;
  }
  // shmem_add_to_page_cache in place of the swap entry, then shmem_recalc_inode(inode, 0, -nr_pages)
  filemap_add_folio(k, m, slot, index);
  m.swapped--;
  if (sgp === SGP_WRITE) mark_page_accessed(k, slot);
  delete_from_swap_cache(k, slot);
  f.setFlag(slot, PG_dirty);
  swap_free(k, off);
  k.tr?.emit('do_swap_page', 'shmem_swapin_folio', { ino: m.ino, index, pfn: f.pfn(slot), swap: off, major });
  return { slot, major };
}

/**
 * mm/shmem.c shmem_unuse() @v6.18 (swapoff's try_to_unuse, before the mms' swap PTEs): every swap entry of
 * every shmem file is swapped in (shmem_unuse_inode: SGP_CACHE, no fault), its folio left in the cache, dirty
 */
export function shmem_unuse(k: Kernel): void {
  for (let ino = 1; ino <= k.nrInodes; ino++) {
    const m = k.inode(ino)!;
    if (!m.live || m.swapped === 0) continue;
    const end = Math.min(INODE_PAGES_MAX, Math.ceil(m.i_size / PAGE_SIZE));
    for (let i = m.nextIndex(0, end, true); i >= 0 && m.swapped > 0; i = m.nextIndex(i + 1, end, true)) {
      const off = m.swapAt(i);
      if (off < 0) continue;
      const r = shmem_swapin_folio(k, m, i, off, SGP_CACHE);
      folio_put_refs(k, r.slot, 1);
    }
    if (m.swapped !== 0) throw new Error(`BUG: swapoff left ${m.swapped} swap entries in inode ${ino}'s page cache`);
  }
}

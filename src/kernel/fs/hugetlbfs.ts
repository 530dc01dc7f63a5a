// hugetlbfs (fs/hugetlbfs/inode.c @v6.12): the files of shared hugetlb memory. A MAP_SHARED|MAP_ANONYMOUS|MAP_HUGETLB
// mapping's file and a MFD_HUGETLB memfd are inodes of the kernel's internal hugetlbfs mount (hugetlb_file_setup);
// their pages are 2 MiB folios of the pool in the generic page cache (mm/filemap.ts), their reservations the
// inode's map (mm/hugetlb.ts). The file operations hugetlbfs has: mmap, read (no write: EINVAL), fallocate
// (allocate, PUNCH_HOLE), truncation (setattr, whole huge pages only) and eviction.
import type { Kernel } from '../kernel.js';
import { HPAGE_PMD_NR, PAGE_SIZE, PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import { fail, notModelled } from '../include/errno.js';
import { AddressSpace, INODE_HUGETLB, INODE_PAGES_MAX, new_inode } from '../mm/filemap.js';
import {
  alloc_hugetlb_folio_file, hugetlb_add_to_page_cache, hugetlb_cache_folio, hugetlb_delete_from_page_cache,
  hugetlb_reserve_file_pages, hugetlb_resv_map_release, hugetlb_unreserve_pages, hugetlb_vmdelete_list,
} from '../mm/hugetlb.js';
import { F_SEAL_FUTURE_WRITE, F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_WRITE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../mm/shmem.js';

/** the largest file the model keeps (the page cache's limit, in bytes; a function: the modules import each other) */
const modelMaxBytes = () => INODE_PAGES_MAX * PAGE_SIZE;
/** remove_inode_hugepages' lend for truncation (LLONG_MAX) */
const LLONG_MAX = -1;

/** include/linux/hugetlb.h is_file_hugepages(): a file of hugetlbfs */
export function is_file_hugepages(m: AddressSpace): boolean {
  return (m.flags & INODE_HUGETLB) !== 0;
}

/**
 * fs/hugetlbfs/inode.c hugetlb_file_setup() @v6.12 (hugetlbfs_get_inode): an inode of the internal mount of that
 * size, sealed against seals (F_SEAL_SEAL), with an empty reservation map; VM_NORESERVE (every caller the model
 * has: memfd_create and MAP_HUGETLB) reserves nothing here, the mmap does
 */
export function hugetlb_file_setup(k: Kernel, name: string, size: number, flags: number): AddressSpace {
  if (size < 0 || size > modelMaxBytes()) notModelled('len', `model limit: a hugetlbfs file of more than ${INODE_PAGES_MAX} pages`);
  const m = new_inode(k, flags | INODE_HUGETLB, name);
  m.i_size = size;
  m.seals = F_SEAL_SEAL;
  return m;
}

/**
 * fs/hugetlbfs/inode.c hugetlbfs_file_mmap() @v6.12 for the VMA just made: the offset must be huge-page aligned
 * (EINVAL), the file's huge pages [pgoff, pgoff + len) are reserved (hugetlb_reserve_pages, in mm/mmap.ts), and a
 * writable mapping grows i_size to its end
 */
export function hugetlbfs_mmap_size(m: AddressSpace, end: number, writable: boolean): void {
  if (writable && m.i_size < end) m.i_size = end;
}

/**
 * fs/hugetlbfs/inode.c remove_inode_hugepages() @v6.12: the cached huge pages of [lstart, lend) (lend LLONG_MAX, -1
 * here: truncation) leave the cache, unmapped first where something still maps them (hugetlb_unmap_file_folio);
 * a hole punched gives up each page's entry of the reservation map (hugetlb_unreserve_pages of that index, a
 * reservation consumed: no change of the pool's count), truncation every entry from lstart on, returning the
 * reservations no page consumed
 */
export function remove_inode_hugepages(k: Kernel, m: AddressSpace, lstart: number, lend: number): void {
  const truncate_op = lend === LLONG_MAX;
  const start = Math.floor(lstart / PMD_SIZE);
  const end = truncate_op ? INODE_PAGES_MAX / HPAGE_PMD_NR : Math.floor(lend / PMD_SIZE);
  let freed = 0;
  if (m.nrpages > 0) {
    for (let idx = start; idx < end; idx++) {
      const slot = hugetlb_cache_folio(k, m, idx);
      if (slot < 0) continue;
      if (k.folios.folioMapped(slot)) hugetlb_vmdelete_list(k, m, idx, idx + 1, true);
      hugetlb_delete_from_page_cache(k, m, slot);
      freed++;
      if (!truncate_op) hugetlb_unreserve_pages(k, m.ino, idx, idx + 1, 1);
    }
  }
  if (truncate_op) hugetlb_unreserve_pages(k, m.ino, start, Number.MAX_SAFE_INTEGER, freed);
}

/** fs/hugetlbfs/inode.c hugetlbfs_evict_inode() @v6.12: every page and reservation goes, then the map and the inode */
export function hugetlbfs_evict_inode(k: Kernel, m: AddressSpace): void {
  remove_inode_hugepages(k, m, 0, LLONG_MAX);
  hugetlb_resv_map_release(k, m.ino);
  m.name = '';
  m.i_size = 0;
  m.seals = 0;
  m.flags = 0;
  k.tr?.emit('shmem_evict_inode', 'hugetlbfs_evict_inode', { ino: m.ino });
}

/**
 * fs/hugetlbfs/inode.c hugetlbfs_setattr() @v6.12 (ATTR_SIZE) with hugetlb_vmtruncate(): a size off a huge page
 * boundary is EINVAL, a sealed change EPERM; the new size, then every mapping past it zapped (private copies too,
 * uffd-wp markers dropped) and the pages there removed with their reservations
 */
export function hugetlbfs_setattr_size(k: Kernel, m: AddressSpace, newsize: number): void {
  if (newsize < 0) fail('EINVAL', 'negative length');
  if (newsize % PMD_SIZE !== 0) fail('EINVAL', 'a hugetlbfs file size that is not a multiple of 2 MiB');
  if (newsize > modelMaxBytes()) notModelled('len', `model limit: a file of more than ${INODE_PAGES_MAX} pages`);
  const oldsize = m.i_size;
  if ((newsize < oldsize && (m.seals & F_SEAL_SHRINK)) || (newsize > oldsize && (m.seals & F_SEAL_GROW))) fail('EPERM', 'the file is sealed against this size change');
  m.i_size = newsize;
  hugetlb_vmdelete_list(k, m, newsize / PMD_SIZE, 0, true);
  remove_inode_hugepages(k, m, newsize, LLONG_MAX);
  k.tr?.emit('shmem_setattr', 'hugetlbfs_setattr', { ino: m.ino, old: oldsize, size: newsize });
}

/** fs/hugetlbfs/inode.c hugetlbfs_zero_partial_page() @v6.12: bytes [start, end) of one huge page zeroed when it is cached */
function hugetlbfs_zero_partial_page(k: Kernel, m: AddressSpace, start: number, end: number): void {
  const slot = hugetlb_cache_folio(k, m, Math.floor(start / PMD_SIZE));
  if (slot < 0) return;
  const s = start % PMD_SIZE;
  const e = end % PMD_SIZE === 0 ? PMD_SIZE : end % PMD_SIZE;
  const pfn = k.folios.pfn(slot);
  for (let off = s; off < e;) {
    const n = Math.min(PAGE_SIZE - (off % PAGE_SIZE), e - off);
    k.data.fillBytes(pfn + Math.floor(off / PAGE_SIZE), off % PAGE_SIZE, n, 0);
    off += n;
  }
}

/**
 * fs/hugetlbfs/inode.c hugetlbfs_punch_hole() @v6.12: EPERM when sealed against writes; the partial huge pages at
 * either end are zeroed over the range, the whole ones are unmapped from every mapping (private copies too, uffd-wp
 * markers kept) and removed
 */
function hugetlbfs_punch_hole(k: Kernel, m: AddressSpace, offset: number, len: number): void {
  const hole_start = Math.ceil(offset / PMD_SIZE) * PMD_SIZE;
  const hole_end = Math.floor((offset + len) / PMD_SIZE) * PMD_SIZE;
  if (m.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) fail('EPERM', 'the file is sealed against writes');
  if (offset < hole_start) hugetlbfs_zero_partial_page(k, m, offset, Math.min(offset + len, hole_start));
  if (hole_end > hole_start) hugetlb_vmdelete_list(k, m, hole_start / PMD_SIZE, hole_end / PMD_SIZE, false);
  if (offset + len > hole_end && offset + len > hole_start) hugetlbfs_zero_partial_page(k, m, hole_end, offset + len);
  if (hole_end > hole_start) remove_inode_hugepages(k, m, hole_start, hole_end);
}

/**
 * fs/hugetlbfs/inode.c hugetlbfs_fallocate() @v6.12 (after vfs_fallocate's checks): EOPNOTSUPP for other modes;
 * PUNCH_HOLE (with KEEP_SIZE: vfs_fallocate's rule); otherwise each huge page of the range (rounded out) that is not
 * cached gets a zeroed page of the pool, the file's reservation of its index when there is one (ENOSPC when the
 * pool has none left: the pages added so far stay), and the size grows unless KEEP_SIZE
 */
export function hugetlbfs_fallocate(k: Kernel, m: AddressSpace, mode: number, offset: number, len: number): void {
  if (offset < 0 || len <= 0) fail('EINVAL', 'fallocate offset < 0 or len <= 0');
  if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE)) fail('EOPNOTSUPP', 'PUNCH_HOLE without KEEP_SIZE');
  if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) fail('EOPNOTSUPP', 'fallocate mode not supported by hugetlbfs');
  if (offset + len > modelMaxBytes()) notModelled('len', `model limit: a file of more than ${INODE_PAGES_MAX} pages`);
  if (mode & FALLOC_FL_PUNCH_HOLE) {
    hugetlbfs_punch_hole(k, m, offset, len);
    k.tr?.emit('shmem_fallocate', 'hugetlbfs_fallocate', { ino: m.ino, mode, offset, len });
    return;
  }
  const start = Math.floor(offset / PMD_SIZE), end = Math.ceil((offset + len) / PMD_SIZE);
  if ((m.seals & F_SEAL_GROW) && offset + len > m.i_size) fail('EPERM', 'the file is sealed against growing');
  const f = k.folios;
  for (let idx = start; idx < end; idx++) {
    if (hugetlb_cache_folio(k, m, idx) >= 0) continue;
    const slot = alloc_hugetlb_folio_file(k, m.ino, idx);
    if (slot < 0) fail('ENOSPC', 'no huge page in the pool for fallocate');
    hugetlb_add_to_page_cache(k, m, slot, idx);
    // the allocation's reference goes: the cache holds the page
    f.setRefcount(slot, f.refcount(slot) - 1);
  }
  if (!(mode & FALLOC_FL_KEEP_SIZE) && offset + len > m.i_size) m.i_size = offset + len;
  k.tr?.emit('shmem_fallocate', 'hugetlbfs_fallocate', { ino: m.ino, mode, offset, len });
}

/**
 * fs/hugetlbfs/inode.c hugetlbfs_read_iter() @v6.12: up to len bytes from offset, stopping at i_size; a hole reads as
 * zeroes. The bytes as [pfn or -1, offset in page, n] runs (as shmem_file_read gives them)
 */
export function hugetlbfs_read(k: Kernel, m: AddressSpace, offset: number, len: number): { pfn: number; off: number; n: number }[] {
  if (offset < 0) fail('EINVAL', 'negative offset');
  const out: { pfn: number; off: number; n: number }[] = [];
  const end = Math.min(offset + len, m.i_size);
  for (let pos = offset; pos < end;) {
    const off = pos % PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - off, end - pos);
    const slot = hugetlb_cache_folio(k, m, Math.floor(pos / PMD_SIZE));
    out.push({ pfn: slot < 0 ? -1 : k.folios.pfn(slot) + Math.floor((pos % PMD_SIZE) / PAGE_SIZE), off, n });
    pos += n;
  }
  return out;
}

/** hugetlbfs has no write_iter: vfs_write of its file is EINVAL */
export function hugetlbfs_write(): never {
  fail('EINVAL', 'hugetlbfs files cannot be written with write(2) (no write_iter)');
}

/** mmap's reservation of a hugetlbfs file's huge pages [from, to) for a shared mapping (hugetlb_reserve_pages with no private map) */
export function hugetlbfs_reserve(k: Kernel, m: AddressSpace, from: number, to: number): boolean {
  return hugetlb_reserve_file_pages(k, m.ino, from, to);
}

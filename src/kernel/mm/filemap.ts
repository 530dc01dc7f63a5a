// The page cache: struct inode and its struct address_space (include/linux/fs.h), the folios of a file by
// index (mm/filemap.c @v6.18), and unmapping a range of a file from every address space that maps it
// (mm/memory.c unmap_mapping_range @v6.18). Generic: a folio of any order is stored at each index it
// covers; shmem (mm/shmem.ts) is the only file system that fills it so far.
//
// State (cells of the kernel's Store, docs/state.md): the `inode` segment (flat) holds the number of
// inodes ever made (cell 0) and, per inode id (from 1), I_CELLS cells; `inode.pages` holds, per inode,
// the folio slot + 1 at each page index (inode id * INODE_PAGES_MAX + index), or, for a page shmem swapped
// out, its swap entry as a value entry (-(offset + 1): xa_is_value); `folio.mapping` holds, per
// folio slot, folio->mapping (the inode id, 0: none) and folio->index; the name is a display cell.
// An inode's id is its place in the order inodes were made (as a uffd context's): an id is not reused,
// and a freed inode's cells are zero.
import type { Kernel } from '../kernel.js';
import type { Segment, SegmentSpec } from '../../state/store.js';
import { notModelled } from '../include/errno.js';
import { internString, internedValue } from '../../state/intern.js';
import { get64, set64, type MmStruct, type VmArea } from '../include/mm_types.js';
import { PAGE_SIZE, PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import { folio_put_refs } from './swap.js';
import { unmap_page_range } from './memory.js';
import { PG_dirty, PG_lru, PG_swapbacked } from './folio.js';

/** the segments of inodes and their page caches, in this order */
export const INODE_SEGMENTS: readonly SegmentSpec[] = [{ name: 'inode', flat: true }, { name: 'inode.pages' }, { name: 'folio.mapping' }];

/** inodes a kernel may make (ids 1 .. INODE_MAX) */
export const INODE_MAX = 255;
/** pages per file the model keeps in small folios (16 GiB) */
export const INODE_PAGES_MAX = 1 << 22;
/**
 * shmthp: the page cache's PMD-sized folios are one entry per 2 MiB block (as an xarray multi-index entry),
 * in `inode.pages` from HUGE_BASE at ino * INODE_BLOCKS_MAX + block, so that a file may reach 1 TiB
 * (INODE_INDEX_MAX pages) where its pages past INODE_PAGES_MAX are PMD-sized folios
 */
export const INODE_INDEX_MAX = 1 << 28;
const INODE_BLOCKS_MAX = INODE_INDEX_MAX / 512;
const HUGE_BASE = 1 << 30;
const I_CELLS = 16;
const I_FLAGS = 0, I_SIZE = 1, I_SEALS = 3, I_FILES = 4, I_MAPS = 5, I_NRPAGES = 6, I_SWAPPED = 7, I_UID = 8;
/** inode flags: live, and what made it */
export const INODE_LIVE = 1, INODE_MEMFD = 2, INODE_TMPFS_FILE = 4, INODE_ANON_SHARED = 8;
/** the inode names in the display segment (after the VMAs' and uffds') */
const NAME_BASE = 1 << 24;

/**
 * struct inode with its address_space (i_mapping) of a shmem file: a view of cells. `files` is the set of
 * processes whose fd table holds a file of it (bit mm.id, as for a uffd); `maps` the VMAs whose vm_file it
 * is. The last of both gone, the inode is evicted (shmem_evict_inode: its pages freed).
 */
export class AddressSpace {
  constructor(private readonly k: Kernel, private readonly I: Segment, private readonly P: Segment, private readonly N: Segment, readonly ino: number) {}
  private get b(): number { return this.ino * I_CELLS; }
  get flags(): number { return this.I.get(this.b + I_FLAGS); }
  set flags(v: number) { this.I.set(this.b + I_FLAGS, v); }
  get live(): boolean { return (this.flags & INODE_LIVE) !== 0; }
  /** i_size, in bytes */
  get i_size(): number { return get64(this.I, this.b + I_SIZE); }
  set i_size(v: number) { set64(this.I, this.b + I_SIZE, v); }
  /** shmem_inode_info.seals (F_SEAL_*) */
  get seals(): number { return this.I.get(this.b + I_SEALS); }
  set seals(v: number) { this.I.set(this.b + I_SEALS, v); }
  get files(): number { return this.I.get(this.b + I_FILES) >>> 0; }
  set files(v: number) { this.I.set(this.b + I_FILES, v); }
  get maps(): number { return this.I.get(this.b + I_MAPS); }
  set maps(v: number) { this.I.set(this.b + I_MAPS, v); }
  /** mapping->nrpages */
  get nrpages(): number { return this.I.get(this.b + I_NRPAGES); }
  set nrpages(v: number) { this.I.set(this.b + I_NRPAGES, v); }
  /** shmem_inode_info.swapped: the file's pages whose cache entry is a swap entry */
  get swapped(): number { return this.I.get(this.b + I_SWAPPED); }
  set swapped(v: number) { this.I.set(this.b + I_SWAPPED, v); }
  /** i_uid: the uid of the task that made the file (a tmpfs file of `open`; others are root's, mode 0777) */
  get i_uid(): number { return this.I.get(this.b + I_UID); }
  set i_uid(v: number) { this.I.set(this.b + I_UID, v); }
  /** the file's name (memfd:NAME, a path): display only */
  get name(): string { return internedValue<string>(this.N.get(NAME_BASE + this.ino)) ?? ''; }
  set name(s: string) { this.N.set(NAME_BASE + this.ino, internString(s)); }
  /** does this process's fd table hold a file of this inode? */
  openIn(mm: MmStruct): boolean { return (this.files & (1 << mm.id)) !== 0; }

  /** the folio slot at index (-1: a hole, or a swap entry) */
  folioAt(index: number): number {
    if (index >= INODE_INDEX_MAX) return -1;
    const h = this.P.get(HUGE_BASE + this.ino * INODE_BLOCKS_MAX + (index >>> 9));
    if (h !== 0) return h - 1;
    if (index >= INODE_PAGES_MAX) return -1;
    const v = this.P.get(this.ino * INODE_PAGES_MAX + index);
    return v > 0 ? v - 1 : -1;
  }
  /** the swap offset of the swap entry at index (a page shmem_writeout swapped out), or -1 */
  swapAt(index: number): number {
    if (index >= INODE_PAGES_MAX) return -1;
    const v = this.P.get(this.ino * INODE_PAGES_MAX + index);
    return v < 0 ? -v - 1 : -1;
  }
  /** the entry at index set to a swap entry for offset off (a value entry) */
  setSwapEntry(index: number, off: number): void {
    this.P.set(this.ino * INODE_PAGES_MAX + index, -(off + 1));
  }
  /** the entry at index set to slot (-1: cleared): a small folio's */
  setEntry(index: number, slot: number): void {
    this.P.set(this.ino * INODE_PAGES_MAX + index, slot + 1);
  }
  /** the entry of the 2 MiB block holding index set to a PMD-sized folio's slot (-1: cleared) */
  setHugeEntry(index: number, slot: number): void {
    this.P.set(HUGE_BASE + this.ino * INODE_BLOCKS_MAX + (index >>> 9), slot + 1);
  }
  /**
   * the first index >= from holding a folio (`swap`: or a swap entry), below end (-1: none); a block of a
   * PMD-sized folio in one step
   */
  nextIndex(from: number, end: number, swap = false): number {
    end = Math.min(end, INODE_INDEX_MAX);
    for (let i = from; i < end;) {
      const blockEnd = Math.min(end, (Math.floor(i / 512) + 1) * 512);
      if (this.P.get(HUGE_BASE + this.ino * INODE_BLOCKS_MAX + (i >>> 9)) !== 0) return i;
      if (i < INODE_PAGES_MAX) {
        for (let j = i, e = Math.min(blockEnd, INODE_PAGES_MAX); j < e; j++) {
          const v = this.P.get(this.ino * INODE_PAGES_MAX + j);
          if (v > 0 || (v < 0 && swap)) return j;
        }
      }
      i = blockEnd;
    }
    return -1;
  }
}

/** a new inode (new_inode): live, size 0, no pages; its id */
export function new_inode(k: Kernel, flags: number, name: string): AddressSpace {
  const I = k.inodeSeg;
  const n = I.get(0);
  if (n >= INODE_MAX) notModelled('op', `model limit: more than ${INODE_MAX} files`);
  I.set(0, n + 1);
  const m = k.inode(n + 1)!;
  m.flags = flags | INODE_LIVE;
  m.name = name;
  return m;
}

/** mm/filemap.c filemap_get_entry() @v6.18 (without the reference): the folio slot caching index of mapping, -1 */
export function filemap_get_entry(_k: Kernel, mapping: AddressSpace, index: number): number {
  return mapping.folioAt(index);
}

/** mm/filemap.c __filemap_add_folio() @v6.18: the folio at index (aligned to its size) in the cache, which takes one reference per page */
export function filemap_add_folio(k: Kernel, mapping: AddressSpace, slot: number, index: number): void {
  const f = k.folios;
  const nr = f.nrPages(slot);
  if (nr === 512 && index % 512 === 0 && index + nr <= INODE_INDEX_MAX) mapping.setHugeEntry(index, slot);
  else {
    if (index + nr > INODE_PAGES_MAX) notModelled('addr', `model limit: small pages of a file past ${INODE_PAGES_MAX} pages`);
    for (let i = 0; i < nr; i++) mapping.setEntry(index + i, slot);
  }
  f.setRefcount(slot, f.refcount(slot) + nr);
  mapping.nrpages += nr;
  k.folioMap.set(slot * 2, mapping.ino);
  k.folioMap.set(slot * 2 + 1, index);
}

/** mm/filemap.c filemap_remove_folio() @v6.18 (__filemap_remove_folio, filemap_free_folio): out of the cache, its references dropped */
export function filemap_remove_folio(k: Kernel, mapping: AddressSpace, slot: number): void {
  const f = k.folios;
  const nr = f.nrPages(slot);
  const index = folio_index(k, slot);
  if (nr === 512 && index % 512 === 0) mapping.setHugeEntry(index, -1);
  else for (let i = 0; i < nr; i++) mapping.setEntry(index + i, -1);
  mapping.nrpages -= nr;
  // the dirty and LRU states go with the cache's references (folio_cancel_dirty, the LRU isolation)
  f.clearFlag(slot, PG_dirty | PG_lru | PG_swapbacked);
  k.folioMap.set(slot * 2, 0);
  k.folioMap.set(slot * 2 + 1, 0);
  folio_put_refs(k, slot, nr);
}

/** include/linux/pagemap.h folio_mapping(): the inode whose cache holds the folio (0: none, or anonymous) */
export function folio_mapping(k: Kernel, slot: number): number {
  return k.folioMap.get(slot * 2);
}

/** folio->index: the file index of its first page */
export function folio_index(k: Kernel, slot: number): number {
  return k.folioMap.get(slot * 2 + 1);
}

/** the VMAs of every address space that map mapping (i_mmap), in order: mms by id, each one's VMAs by address */
export function i_mmap(k: Kernel, mapping: AddressSpace): { mm: MmStruct; vma: VmArea }[] {
  const out: { mm: MmStruct; vma: VmArea }[] = [];
  if (mapping.maps === 0) return out;
  for (const mm of k.mms) for (const vma of mm.vmas) if (vma.vm_file === mapping.ino) out.push({ mm, vma });
  return out;
}

/**
 * mm/memory.c unmap_mapping_pages() @v6.18: the PTEs mapping pages [first, first + nr) of the file go in
 * every VMA that maps them; even_cows: the private copies (anonymous pages of MAP_PRIVATE mappings) too,
 * as truncation does (zap_skip_check_mapping); a hole punched keeps them
 */
export function unmap_mapping_pages(k: Kernel, mapping: AddressSpace, first: number, nr: number, even_cows: boolean): void {
  const last = first + nr; // exclusive
  for (const { mm, vma } of i_mmap(k, mapping)) {
    const vs = vma.vm_pgoff, ve = vs + (vma.vm_end - vma.vm_start) / PAGE_SIZE;
    const a = Math.max(vs, first), b = Math.min(ve, last);
    if (a >= b) continue;
    const start = vma.vm_start + (a - vs) * PAGE_SIZE, end = vma.vm_start + (b - vs) * PAGE_SIZE;
    unmap_page_range(k, mm, vma, start, end, { mapping: mapping.ino, even_cows });
  }
}

/** what zap_pte_range is told when a file's range is unmapped (struct zap_details) */
export interface ZapDetails {
  /** the inode whose pages go (0: every page, as MADV_DONTNEED zaps) */
  mapping: number;
  /** the private COW copies go too */
  even_cows: boolean;
  /** ZAP_FLAG_DROP_MARKER: uffd-wp markers of a file VMA go too (unmap_vmas, munmap; null details say so too) */
  drop_markers?: boolean;
  /** reclaim_pt: a PTE table the zap empties whole is freed (MADV_DONTNEED; mm/pt_reclaim.c, x86-pt-reclaim) */
  reclaim_pt?: boolean;
}

/** mm/memory.c unmap_mapping_range() @v6.18: the byte range [holebegin, holebegin + holelen) (0: to the end) rounded to pages */
export function unmap_mapping_range(k: Kernel, mapping: AddressSpace, holebegin: number, holelen: number, even_cows: boolean): void {
  const first = Math.floor(holebegin / PAGE_SIZE);
  let nr = Math.floor((holelen + PAGE_SIZE - 1) / PAGE_SIZE);
  if (holelen === 0 || first + nr > INODE_INDEX_MAX) nr = INODE_INDEX_MAX - first;
  unmap_mapping_pages(k, mapping, first, nr, even_cows);
}

/** the PMD-aligned block a file index lies in (its first index) */
export function pmdIndex(index: number): number {
  const n = PMD_SIZE / PAGE_SIZE;
  return Math.floor(index / n) * n;
}

// ---- hugetlbfs (fs/hugetlbfs.ts) ------------------------------------------------------------------------
/** an inode of hugetlbfs (a MAP_SHARED|MAP_HUGETLB mapping's file, a MFD_HUGETLB memfd): its cache holds huge pages */
export const INODE_HUGETLB = 16;

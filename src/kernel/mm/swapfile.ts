// The swap device, its slots' swap counts, the swap cache, swapon and swapoff (mm/swapfile.c,
// mm/swap_state.c, mm/page_io.c @v4.19..v6.18). The model has one swap device, type 0: a swap file on a
// rotational disk, as `mmsim host` makes one (no clusters for large folios: a THP is split to be swapped).
// Everything is in cells of the kernel's Store (docs/state.md): the header, a swap_map cell per slot,
// what was written to each slot (a content id), the swap cache both ways (slot -> folio, folio -> slot).
import type { Kernel } from '../kernel.js';
import type { Segment, SegmentSpec } from '../../state/store.js';
import { contentHash } from '../../state/content.js';
import { fail, notModelled } from '../include/errno.js';
import { Pte } from '../arch/x86/include/pte.js';
import { _PAGE_PROTNONE } from '../arch/x86/include/pgtable_types.js';
import { PG_active, PG_anon, PG_dirty, PG_swapbacked, PG_swapcache, PG_uptodate, PG_lru } from './folio.js';
import { folio_put_refs } from './swap.js';
import { PATCH } from '../../profiles/patches.js';
import { LEVEL_PTE, type PageTable } from './pgtable.js';
import { vma_lookup } from './mmap.js';
import type { MmStruct } from '../include/mm_types.js';
import { shmem_unuse } from './shmem.js';

/** the swap segments, appended to the kernel's (kernel.ts) */
export const SWAP_SEGMENTS: readonly SegmentSpec[] = [
  { name: 'swap', flat: true }, { name: 'swap.map' }, { name: 'swap.data', hashValue: contentHash }, { name: 'swap.cache' },
  { name: 'folio.swap' },
];

/** the swap type of the model's one device */
export const SWP_TYPE = 0;
/** swap_map: SWAP_HAS_CACHE (include/linux/swap.h): the slot's folio is in the swap cache */
export const SWAP_HAS_CACHE = 0x40;
const COUNT_MASK = 0x3f;
/** the model's zeromap bit of a slot (si->zeromap, v6.12), kept beside its swap_map byte */
const ZEROMAP = 0x100;
/** the model's mark of a slot whose folio reclaim evicted: the swap cache holds its shadow entry (workingset_eviction) */
const SHADOW = 0x200;
/** the bits of a swap_map cell that are references (the count and SWAP_HAS_CACHE) */
const REFS = COUNT_MASK | SWAP_HAS_CACHE;
// header cells: the device's size in pages (header page included; 0: no swap), inuse_pages, the next
// offset the allocator tries (a next-fit scan, as the cluster_next of a rotational device)
const H_MAX = 0, H_INUSE = 1, H_NEXT = 2;

/**
 * struct swap_info_struct of type 0, and the swap cache, as a view over cells: swap_map[offset] in
 * `swap.map`, the bytes written to a slot (a content id, 0: zeroes) in `swap.data`, the folio in the swap
 * cache at an offset (slot + 1) in `swap.cache`, and folio->swap (offset + 1) by folio slot in `folio.swap`
 */
export class SwapInfo {
  constructor(private readonly H: Segment, private readonly M: Segment, private readonly D: Segment,
    private readonly C: Segment, private readonly FS: Segment) {}
  /** si->max (0: swapoff'd, no device) */
  get max(): number { return this.H.get(H_MAX); }
  set max(v: number) { this.H.set(H_MAX, v); }
  get inuse(): number { return this.H.get(H_INUSE); }
  set inuse(v: number) { this.H.set(H_INUSE, v); }
  get next(): number { return this.H.get(H_NEXT); }
  set next(v: number) { this.H.set(H_NEXT, v); }
  map(off: number): number { return this.M.get(off); }
  setMap(off: number, v: number): void { this.M.set(off, v); }
  data(off: number): number { return this.D.get(off); }
  /** the slot had a shadow entry (its folio was evicted); it is consumed (workingset_refault) */
  takeShadow(off: number): boolean {
    const v = this.M.get(off);
    if (!(v & SHADOW)) return false;
    this.M.set(off, v & ~SHADOW);
    return true;
  }
  setData(off: number, id: number): void { this.D.set(off, id); }
  /** the folio slot in the swap cache at off, or -1 */
  cacheSlot(off: number): number { return this.C.get(off) - 1; }
  setCache(off: number, slot: number): void { this.C.set(off, slot + 1); }
  /** folio->swap of a folio in the swap cache: its offset, or -1 */
  folioSwap(slot: number): number { return this.FS.get(slot) - 1; }
  setFolioSwap(slot: number, off: number): void { this.FS.set(slot, off + 1); }
}

/** swap_count(swap_map[offset]): the references of swap PTEs (SWAP_HAS_CACHE and the zeromap bit aside) */
export function __swap_count(k: Kernel, off: number): number {
  return k.swap.map(off) & COUNT_MASK;
}

/** include/linux/swap.h vm_swap_full() @v6.18: more than half of the swap space is in use */
export function vm_swap_full(k: Kernel): boolean {
  const si = k.swap, total = si.max > 0 ? si.max - 1 : 0;
  return total > 0 && (total - si.inuse) * 2 < total;
}

/** mm/swapfile.c sys_swapon() @v6.18 for a swap file of `pages` pages (the header page included) */
export function sys_swapon(k: Kernel, pages: number): void {
  const si = k.swap;
  if (si.max > 0) notModelled('swapon', 'a second swap device (the model has one, type 0)');
  // read_swap_header: mkswap needs 10 pages; a header without a usable page is EINVAL
  if (!Number.isSafeInteger(pages) || pages < 10) fail('EINVAL', `swapon: ${pages} pages is too small (mkswap needs 10)`);
  if (pages > 1 << 24) notModelled('pages', 'model limit: a swap device of more than 16M pages');
  si.max = pages;
  si.next = 1;
  k.tr?.emit('swapon', 'sys_swapon', { pages });
}

/**
 * mm/swapfile.c scan_swap_map_slots() for one slot (get_swap_pages): the next free slot from si->next,
 * wrapping past the end (slot 0 is the header); -1 when the device is full or there is none
 */
function scan_swap_map_slots(k: Kernel): number {
  const si = k.swap, max = si.max;
  if (max === 0 || si.inuse >= max - 1) return -1;
  for (let n = 0, off = si.next; n < max; n++, off++) {
    if (off >= max) off = 1;
    if (si.map(off) === 0) {
      si.next = off + 1 >= max ? 1 : off + 1;
      return off;
    }
  }
  return -1;
}

/**
 * mm/swap_slots.c folio_alloc_swap() + add_to_swap_cache() (mm/swap_state.c @v6.18): a slot for a small
 * folio, which enters the swap cache (PG_swapcache, folio->swap, a reference per page, SWAP_HAS_CACHE).
 * A large folio gets none: the device is a file (no SWP_BLKDEV), so get_swap_pages() allocates no
 * cluster. Returns false when there is no slot.
 */
export function folio_alloc_swap(k: Kernel, slot: number): boolean {
  const f = k.folios;
  if (f.isLarge(slot)) return false;
  const off = scan_swap_map_slots(k);
  if (off < 0) return false;
  const si = k.swap;
  si.setMap(off, SWAP_HAS_CACHE);
  si.inuse = si.inuse + 1;
  add_to_swap_cache(k, slot, off);
  return true;
}

/** mm/swap_state.c add_to_swap_cache() @v6.18 (swapcache_prepare done by the caller) */
function add_to_swap_cache(k: Kernel, slot: number, off: number): void {
  const f = k.folios, si = k.swap;
  si.setCache(off, slot);
  si.setFolioSwap(slot, off);
  f.setFlag(slot, PG_swapcache);
  f.setRefcount(slot, f.refcount(slot) + 1);
}

/** the swap cache's folio for this offset (swap_cache_get_folio, mm/swap_state.c @v6.18), or -1 */
export function swap_cache_get_folio(k: Kernel, off: number): number {
  return k.swap.max > 0 ? k.swap.cacheSlot(off) : -1;
}

/** a slot whose swap_map dropped to zero is free again: inuse_pages, its data and its zeromap bit go (swap_entry_range_free) */
function swap_range_free(k: Kernel, off: number): void {
  const si = k.swap;
  si.setMap(off, 0);
  si.setData(off, 0);
  si.inuse = si.inuse - 1;
}

/** mm/swapfile.c swap_duplicate() @v6.18: one more swap PTE refers to the slot (try_to_unmap_one, fork) */
export function swap_duplicate(k: Kernel, off: number): void {
  const si = k.swap;
  const v = si.map(off);
  if ((v & COUNT_MASK) === COUNT_MASK) notModelled('op', 'model limit: a swap slot referred to by more than 62 PTEs (swap count continuation)');
  si.setMap(off, v + 1);
}

/** mm/swapfile.c swap_free() @v6.18: a swap PTE that referred to the slot is gone; the slot is freed with its last reference */
export function swap_free(k: Kernel, off: number): void {
  const si = k.swap;
  const v = si.map(off) - 1;
  if ((v & REFS) === 0) swap_range_free(k, off);
  else si.setMap(off, v);
}

/**
 * mm/swap_state.c __delete_from_swap_cache() + put_swap_folio() @v6.18: the folio leaves the swap cache;
 * when reclaim evicts it (`shadow`), a shadow entry stays for the slot (workingset_eviction)
 */
export function delete_from_swap_cache(k: Kernel, slot: number, shadow = false): void {
  const f = k.folios, si = k.swap;
  const off = si.folioSwap(slot);
  if (shadow) si.setMap(off, si.map(off) | SHADOW);
  si.setCache(off, -1);
  si.setFolioSwap(slot, -1);
  f.clearFlag(slot, PG_swapcache);
  const v = si.map(off) & ~SWAP_HAS_CACHE;
  if ((v & REFS) === 0) swap_range_free(k, off);
  else si.setMap(off, v);
  folio_put_refs(k, slot, 1);
}

/**
 * mm/swapfile.c folio_free_swap() @v6.18: a folio in the swap cache whose slot no swap PTE refers to any
 * more leaves the cache and is dirty (its only copy is in memory again); false when it may not
 */
export function folio_free_swap(k: Kernel, slot: number): boolean {
  const f = k.folios, si = k.swap;
  if (!f.test(slot, PG_swapcache)) return false;
  if (__swap_count(k, si.folioSwap(slot)) > 0) return false;
  f.setFlag(slot, PG_dirty);
  delete_from_swap_cache(k, slot);
  return true;
}

/**
 * mm/swapfile.c free_swap_and_cache_nr() @v6.18 for one swap PTE being zapped: drop its reference; a
 * slot left with only its folio in the swap cache, not mapped, is reclaimed (__try_to_reclaim_swap with
 * TTRS_UNMAPPED)
 */
export function free_swap_and_cache(k: Kernel, off: number): void {
  const si = k.swap;
  swap_free(k, off);
  if ((si.map(off) & REFS) !== SWAP_HAS_CACHE) return;
  const slot = si.cacheSlot(off);
  if (slot >= 0 && !k.folios.folioMapped(slot)) folio_free_swap(k, slot);
}

/**
 * mm/page_io.c swap_writepage() @v6.18 (pageout() of a folio in the swap cache): what the folio holds is
 * written to its slot. From v6.12 (0ca0c24e3211) a zero-filled folio is not written: its slot is marked
 * in the zeromap and the write completes at once ('zero'); otherwise the folio is under writeback until
 * the I/O completes ('writeback'), and stays in the swap cache
 */
export function swap_writepage(k: Kernel, slot: number): 'zero' | 'writeback' {
  const f = k.folios, si = k.swap;
  const off = si.folioSwap(slot);
  const pfn = f.pfn(slot);
  f.clearFlag(slot, PG_dirty); // folio_clear_dirty_for_io
  if (k.has(PATCH.swapZeromap) && k.data.isZero(pfn)) {
    si.setMap(off, si.map(off) | ZEROMAP);
    si.setData(off, 0);
    k.vmstat.swpout_zero++;
    return 'zero';
  }
  si.setMap(off, si.map(off) & ~ZEROMAP);
  si.setData(off, k.data.idOf(pfn));
  k.vmstat.pswpout++;
  return 'writeback';
}

/**
 * mm/swap_state.c read_swap_cache_async() + mm/page_io.c swap_read_folio() @v6.18: a new folio for the
 * slot enters the swap cache (SWAP_HAS_CACHE) holding what the slot holds (a zeromap slot reads as zeroes,
 * without I/O, from v6.12); the caller maps it (`anon`: do_swap_page, which makes it anonymous; shmem puts it
 * in the page cache instead). Returns the folio's slot.
 */
export function read_swap_cache_async(k: Kernel, off: number, anon = true): number {
  const f = k.folios, si = k.swap;
  const slot = f.alloc(0, (anon ? PG_anon : 0) | PG_swapbacked | PG_uptodate | PG_lru);
  // the new folio's reference is the caller's; the swap cache takes one of its own
  si.setMap(off, si.map(off) | SWAP_HAS_CACHE);
  add_to_swap_cache(k, slot, off);
  if (si.map(off) & ZEROMAP) k.vmstat.swpin_zero++;
  else {
    k.data.setId(f.pfn(slot), si.data(off));
    k.vmstat.pswpin++;
  }
  return slot;
}

/** the swap offset a swap PTE of the model's device refers to, or -1 for another non-present entry (a PTE marker) */
export function swpOffsetOf(k: Kernel, e: Pte): number {
  const g = k.pgt;
  if (!g.is_swap_pte(e) || g.swp_type(e) !== SWP_TYPE) return -1;
  return g.swp_offset(e);
}

/**
 * mm/swapfile.c sys_swapoff() -> try_to_unuse() @v6.18: every swap PTE of the device, in every mm, is
 * replaced by a mapping of its page (unuse_pte: read into the swap cache first where it is not there),
 * then the swap cache is emptied and the device goes. EINVAL when there is no device. Returns false when
 * try_to_unuse can never empty the device (a uffd-wp swap PTE before 099dd6878b9b): the kernel retries until a
 * signal comes, and the state is what one pass left
 */
export function sys_swapoff(k: Kernel): boolean {
  const si = k.swap;
  if (si.max === 0) fail('EINVAL', 'swapoff: no swap device');
  // try_to_unuse: shmem's swap entries first (shmem_unuse), then every mm's swap PTEs
  shmem_unuse(k);
  const e = new Pte();
  let stuck = false;
  for (const mm of k.mms) {
    if (mm.users <= 0) continue;
    for (const t of mm.tables.values()) {
      if (t.level !== LEVEL_PTE) continue;
      for (let i = 0; i < 512; i++) {
        const lo = t.lo(i);
        if ((lo === 0 && t.hi(i) === 0) || (lo & k.pgt.presentLo)) continue;
        const off = swpOffsetOf(k, t.get(i, e));
        if (off < 0) continue;
        let slot = swap_cache_get_folio(k, off);
        if (slot >= 0) k.folios.setRefcount(slot, k.folios.refcount(slot) + 1);
        else {
          slot = read_swap_cache_async(k, off);
          if (k.has(PATCH.anonWorkingsetRefault) && si.takeShadow(off)) k.folios.setFlag(slot, PG_active);
        }
        if (!unuse_pte(k, mm, t, i, slot, off, e)) stuck = true;
        // unuse_pte_range: folio_free_swap once the page is mapped, then the lookup's reference goes
        folio_free_swap(k, slot);
        folio_put_refs(k, slot, 1);
      }
    }
  }
  // try_to_unuse's last loop: a folio still in the swap cache (no swap PTE refers to its slot now; it may
  // be mapped, as a page swapped in by a fault is) leaves it through folio_free_swap, so it is dirty: its
  // only copy is in memory now (measured: a page read back from its slot before swapoff shows KPF_DIRTY)
  for (let off = 1; off < si.max; off++) {
    const slot = si.cacheSlot(off);
    if (slot >= 0 && !folio_free_swap(k, slot) && !stuck) throw new Error(`BUG: swapoff could not free swap slot ${off} from the swap cache`);
  }
  // try_to_unuse: entries still in use (si->inuse_pages), so `goto retry`, which finds the same PTE unmatched
  if (stuck) return false;
  for (let off = 1; off < si.max; off++) if (si.map(off) !== 0) throw new Error(`BUG: swapoff left swap slot ${off} in use (${si.map(off)})`);
  si.max = 0;
  si.next = 0;
  k.tr?.emit('swapoff', 'sys_swapoff', {});
  return true;
}

/**
 * mm/swapfile.c unuse_pte() @v6.18: the swap PTE becomes an old, non-writable mapping of the page from
 * vm_page_prot (exclusive if the swap PTE said so), with the swap PTE's soft-dirty and uffd-wp from
 * 14a762dd1977 (v5.19); before, vm_page_prot alone
 */
function unuse_pte(k: Kernel, mm: MmStruct, t: PageTable, i: number, slot: number, off: number, old: Pte): boolean {
  const g = k.pgt, f = k.folios;
  const addr = t.addrOf(i);
  // pte_same_as_swp: the swap PTE must still be the entry looked up; 099dd6878b9b (v5.13) compares without the
  // uffd-wp bit, as it always did without soft-dirty. Before, a write-protected swap PTE never matched: left
  // as it was, its page stayed in the swap cache
  if (!k.has(PATCH.swapoffUffdWpCompare) && g.pte_swp_uffd_wp(old)) {
    k.tr?.emit('swapoff', 'unuse_pte', { addr, skipped: 'pte_same_as_swp: uffd-wp bit not masked' });
    return false;
  }
  const vma = vma_lookup(k, mm, addr);
  if (!vma) throw new Error(`BUG: swap PTE at 0x${addr.toString(16)} outside every VMA`);
  const pfn = f.pfn(slot);
  mm.swapEnts--;
  mm.anonPages++;
  f.setRefcount(slot, f.refcount(slot) + 1);
  f.setMapcount(slot, f.mapcount(slot) + 1);
  if (k.has(PATCH.swpExclusive) && g.pte_swp_exclusive(old)) f.setPageAnonExclusive(slot, pfn, true);
  const n = g.pte_mkold(g.pfn_pte(new Pte(), pfn, vma.vm_page_prot));
  if (k.has(PATCH.unusePteKeepsBits)) {
    if (g.pte_swp_soft_dirty(old)) g.pte_mksoft_dirty(n);
    if (g.pte_swp_uffd_wp(old)) g.pte_mkuffd_wp(n);
  }
  t.set(i, n);
  k.tr?.emit('set_pte', 'unuse_pte', { addr, old: old.toString(), new: n.toString() });
  swap_free(k, off);
  return true;
}

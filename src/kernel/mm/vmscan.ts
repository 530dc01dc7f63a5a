// Reclaim of anonymous and shmem folios (mm/vmscan.c reclaim_pages, shrink_folio_list @v5.4..v6.18; shmem's
// writeout is mm/shmem.ts) and the rmap walk that unmaps them (mm/rmap.c try_to_unmap, try_to_unmap_one). The
// model reclaims only what MADV_PAGEOUT isolates: there is no memory pressure, no kswapd and no LRU scan.
import type { Kernel } from '../kernel.js';
import { Pte } from '../arch/x86/include/pte.js';
import { PATCH } from '../../profiles/patches.js';
import { folio_maybe_dma_pinned } from './gup.js';
import { LEVEL_PMD } from './pgtable.js';
import { PG_active, PG_anon, PG_dirty, PG_mlocked, PG_swapbacked, PG_swapcache, PG_unevictable } from './folio.js';
import { __split_huge_pmd, folio_mappings, split_huge_page } from './huge_memory.js';
import { folio_remove_rmap_pte } from './rmap.js';
import { folio_put } from './swap.js';
import { vma_lookup } from './mmap.js';
import { notModelled } from '../include/errno.js';
import { pte_install_uffd_wp_if_needed } from './memory.js';
import { shmem_writeout } from './shmem.js';
import { filemap_remove_folio, folio_mapping } from './filemap.js';
import {
  SWP_TYPE, delete_from_swap_cache, folio_alloc_swap, folio_free_swap, swap_duplicate, swap_writepage, vm_swap_full,
} from './swapfile.js';

/**
 * mm/vmscan.c reclaim_pages() @v6.18: every isolated folio loses PG_active (folio_clear_active: one that is
 * kept goes back to the inactive list), then through shrink_folio_list; the split pages of a large one follow it
 */
export function reclaim_pages(k: Kernel, slots: number[]): void {
  for (const s of slots) k.folios.clearFlag(s, PG_active);
  const list = slots.slice();
  while (list.length > 0) shrink_folio_list(k, list.shift()!, list);
}

/** split_folio_to_list(): split a large folio; its live pages other than the first join the list. The first page's slot, or -1 */
function split_folio_to_list(k: Kernel, slot: number, list: number[]): number {
  const f = k.folios;
  const base = f.pfn(slot), n = f.nrPages(slot);
  if (split_huge_page(k, slot) !== 0) return -2;
  const tails: number[] = [];
  for (let i = 1; i < n; i++) {
    const s = f.slotOf(base + i);
    if (s >= 0) tails.push(s);
  }
  list.unshift(...tails);
  return f.slotOf(base);
}

/**
 * mm/vmscan.c shrink_folio_list() @v6.18 for one anonymous folio MADV_PAGEOUT isolated (references
 * ignored): a swap-backed folio gets a swap slot (a large one is split first: the device allocates no
 * clusters), is unmapped (try_to_unmap), written (pageout, unless something else still holds it) and, once
 * clean, freed; a folio that could not
 * be unmapped or given a slot is activated. A lazyfree folio (MADV_FREE) is discarded if it is still clean.
 */
export function shrink_folio_list(k: Kernel, slot: number, list: number[]): void {
  const f = k.folios;
  if (f.test(slot, PG_unevictable)) return;
  if (!f.test(slot, PG_anon)) return shrink_shmem_folio(k, slot, list);
  const lazyfree = !f.test(slot, PG_swapbacked);
  if (lazyfree && f.isLarge(slot)) notModelled('advice', 'MADV_PAGEOUT of a lazyfree (MADV_FREE) THP (unmap_huge_pmd_locked, v6.11)');
  if (!lazyfree && !f.test(slot, PG_swapcache)) {
    // keep_locked: a pinned folio gets no swap slot (feb889fb40fa, v5.11), and stays as it is
    if (k.has(PATCH.noSwapcachePinned) && folio_maybe_dma_pinned(k, slot)) {
      k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: 'kept (maybe DMA-pinned)', pfn: f.pfn(slot) });
      return;
    }
    if (f.isLarge(slot) && f.mapcount(slot) === 0) {
      // a PTE-mapped large folio is split before it is given swap
      slot = split_folio_to_list(k, slot, list);
      if (slot === -2) return;
      if (slot < 0) return;
    }
    if (!folio_alloc_swap(k, slot)) {
      if (!f.isLarge(slot)) return activate_locked(k, slot, 'no swap slot');
      // fall back to swapping its small pages
      const head = split_folio_to_list(k, slot, list);
      if (head === -2) return activate_locked(k, slot, 'split failed');
      k.vmstat.thp_swpout_fallback++;
      if (head < 0) return;
      slot = head;
      if (!folio_alloc_swap(k, slot)) return activate_locked(k, slot, 'no swap slot');
    }
    // add_to_swap: folio_mark_dirty (a PTE's dirty bit would be moved into the folio at unmap anyway)
    f.setFlag(slot, PG_dirty);
  }
  if (f.folioMapped(slot)) {
    try_to_unmap(k, slot);
    if (f.refcount(slot) === 0) {
      k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: 'discarded (lazyfree, clean)' });
      return;
    }
    if (f.folioMapped(slot)) return activate_locked(k, slot, !lazyfree ? 'still mapped' : f.test(slot, PG_dirty) ? 'lazyfree folio redirtied' : 'lazyfree folio referenced');
    // unmapped, it cannot be pinned anew: a pinned one is not reclaimed (d824ec2a1546, v6.4)
    if (k.has(PATCH.noReclaimPinned) && folio_maybe_dma_pinned(k, slot)) return activate_locked(k, slot, 'maybe DMA-pinned');
    if (lazyfree && !f.test(slot, PG_dirty)) {
      // unmapped, but someone else holds it (only before 6c8e2a256915): page_ref_freeze fails, keep_locked; the
      // holder's last put frees it
      k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: 'kept (lazyfree, unmapped, still referenced)', pfn: f.pfn(slot) });
      return;
    }
  }
  if (f.test(slot, PG_dirty)) {
    // pageout(): is_page_cache_freeable() first, only the isolation and the swap cache may hold the folio
    // (the model takes no reference to isolate it); held by more (a pipe, a GUP reference), PAGE_KEEP: not
    // written, kept dirty in the swap cache (keep_locked)
    if (f.refcount(slot) !== f.nrPages(slot)) {
      k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: 'kept (referenced: not written)', pfn: f.pfn(slot) });
      return;
    }
    // pageout() -> swap_writepage()
    if (swap_writepage(k, slot) === 'writeback') {
      // under writeback: kept in the swap cache, clean once the I/O completes, back on the inactive LRU
      k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: 'written: kept in the swap cache', pfn: f.pfn(slot) });
      return;
    }
  }
  // clean: __remove_mapping takes it out of the swap cache and frees it
  k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: 'freed', pfn: f.pfn(slot) });
  if (f.test(slot, PG_swapcache)) delete_from_swap_cache(k, slot, true);
}

/**
 * mm/vmscan.c shrink_folio_list() @v6.18 for a shmem folio (swap-backed, in a page cache) MADV_PAGEOUT isolated:
 * unmapped from every PTE (try_to_unmap: a PTE's dirty bit moves into the folio); a dirty one goes through
 * pageout() (is_page_cache_freeable: nothing but the cache holds it, else kept) to shmem_writeout, which moves it
 * from the page cache to the swap cache and writes it (kept there while written; a zero-filled one is freed at
 * once, from v6.12), or activates it (no swap); a clean one leaves the cache and is freed (__remove_mapping)
 */
function shrink_shmem_folio(k: Kernel, slot: number, list: number[]): void {
  const f = k.folios;
  if (f.folioMapped(slot)) {
    try_to_unmap(k, slot);
    if (f.folioMapped(slot)) return activate_locked(k, slot, 'still mapped');
  }
  // unmapped, it cannot be pinned anew: a pinned one is not reclaimed (d824ec2a1546, v6.4)
  if (k.has(PATCH.noReclaimPinned) && folio_maybe_dma_pinned(k, slot)) return activate_locked(k, slot, 'maybe DMA-pinned');
  if (f.test(slot, PG_dirty)) {
    if (f.refcount(slot) !== f.nrPages(slot)) {
      k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: 'kept (referenced: not written)', pfn: f.pfn(slot) });
      return;
    }
    // pageout(): folio_clear_dirty_for_io, then the mapping's writeout (a large folio is split there)
    f.clearFlag(slot, PG_dirty);
    const w = shmem_writeout(k, slot, list);
    const r = w.r;
    slot = w.slot;
    if (r === 'activate') return activate_locked(k, slot, k.swap.max === 0 ? 'no swap device' : 'no swap slot');
    if (r === 'writeback') {
      k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: 'written: kept in the swap cache', pfn: f.pfn(slot) });
      return;
    }
    // written at once (zeromap): clean, in the swap cache; __remove_mapping frees it
    k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: 'freed', pfn: f.pfn(slot) });
    delete_from_swap_cache(k, slot, true);
    return;
  }
  // clean (a hole's zeroed page never written): __remove_mapping takes it out of the page cache (no shadow entry:
  // shmem is not on the file LRU) and frees it; the index reads as a hole again
  if (f.refcount(slot) !== f.nrPages(slot)) {
    k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: 'kept (referenced)', pfn: f.pfn(slot) });
    return;
  }
  k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: 'freed (clean page cache)', pfn: f.pfn(slot) });
  filemap_remove_folio(k, k.inode(folio_mapping(k, slot))!, slot);
}

/** shrink_folio_list's activate_locked: a folio in the swap cache gives its slot back when swap is full; the folio goes to the active list */
function activate_locked(k: Kernel, slot: number, why: string): void {
  const f = k.folios;
  if (f.test(slot, PG_swapcache) && (vm_swap_full(k) || f.test(slot, PG_mlocked))) folio_free_swap(k, slot);
  if (!f.test(slot, PG_mlocked)) f.setFlag(slot, PG_active);
  k.tr?.emit('shrink_folio_list', 'shrink_folio_list', { action: `activated (${why})`, pfn: f.pfn(slot) });
}

/**
 * mm/rmap.c try_to_unmap() @v6.18: every PTE that maps the folio, in every mm, through try_to_unmap_one; stops at
 * the first that refuses. A page-cache folio's PMD is split (TTU_SPLIT_HUGE_PMD: for a file, the PMD cleared)
 */
export function try_to_unmap(k: Kernel, slot: number): void {
  for (const mp of folio_mappings(k, slot)) {
    if (mp.level === LEVEL_PMD) {
      if (k.folios.test(slot, PG_anon)) notModelled('advice', 'try_to_unmap of a PMD-mapped folio');
      const addr = mp.t.addrOf(mp.i);
      __split_huge_pmd(k, mp.mm, vma_lookup(k, mp.mm, addr)!, { t: mp.t, i: mp.i }, addr, false);
      continue;
    }
    if (!try_to_unmap_one(k, slot, mp.mm, mp.t, mp.i)) return;
  }
}

const pteval = new Pte();
const swpPte = new Pte();

/**
 * mm/rmap.c try_to_unmap_one() @v6.18 for one PTE of an anonymous small folio: the PTE is cleared (its
 * dirty bit moves into the folio). A lazyfree folio still clean is discarded, a redirtied one is mapped
 * back and swap-backed again (false: the walk stops), one held by an extra reference is mapped back and
 * stays lazyfree (swap-backed again before faeb2831b517). A swap-backed one leaves a swap PTE referring to its
 * slot, with the PTE's soft-dirty (179ef71cbc08), uffd-wp (f45ec5ff16a7) and PageAnonExclusive
 * (1493a1913e34) kept in the swap PTE's bits.
 */
export function try_to_unmap_one(k: Kernel, slot: number, mm: import('../include/mm_types.js').MmStruct, t: import('./pgtable.js').PageTable, i: number): boolean {
  const g = k.pgt, f = k.folios;
  const addr = t.addrOf(i);
  t.get(i, pteval);
  const pfn = g.pte_pfn(pteval);
  // ptep_clear_flush
  t.clear(i);
  if (g.pte_dirty(pteval)) f.setFlag(slot, PG_dirty);
  if (!f.test(slot, PG_anon)) {
    // a file folio (shmem): the PTE goes (a uffd-wp one leaves the marker in a file VMA registered for WP),
    // with the file rss counter
    const vma = vma_lookup(k, mm, addr)!;
    pte_install_uffd_wp_if_needed(k, vma, t, i, pteval);
    mm.shmemPages--;
    k.tr?.emit('try_to_unmap_one', 'try_to_unmap_one', { addr, old: pteval.toString(), new: t.get(i, swpPte).toString() });
    folio_remove_rmap_pte(k, slot, pfn, mm);
    folio_put(k, slot);
    return true;
  }
  if (!f.test(slot, PG_swapbacked)) {
    // lazyfree: discarded when nobody wrote it since MADV_FREE and, from 6c8e2a256915 (v5.18), when the only
    // references are the mappings (and reclaim's): before, a GUP reference (direct I/O in flight) did not count
    const onlyMappings = f.refcount(slot) === f.folioMapcount(slot);
    if ((onlyMappings || !k.has(PATCH.madvFreeReclaimExtraRefs)) && !f.test(slot, PG_dirty)) {
      mm.anonPages--;
      k.tr?.emit('try_to_unmap_one', 'try_to_unmap_one', { addr, old: pteval.toString(), new: '0', action: 'discard' });
      folio_remove_rmap_pte(k, slot, pfn, mm);
      folio_put(k, slot);
      return true;
    }
    // not discarded: mapped back, the walk stops. Up to v6.14 it is swap-backed again whatever kept it; from
    // faeb2831b517 (mm/rmap.c try_to_unmap_one() @v6.15) only when dirty: a clean one held by an extra
    // reference stays lazyfree, discarded on a later pass once the reference is gone
    t.set(i, pteval);
    const dirty = f.test(slot, PG_dirty);
    if (dirty || !k.has(PATCH.lazyfreeSwapbackedIffDirty)) f.setFlag(slot, PG_swapbacked);
    k.tr?.emit('try_to_unmap_one', 'try_to_unmap_one', {
      addr, pte: pteval.toString(),
      action: dirty ? 'redirtied: mapped back' : f.test(slot, PG_swapbacked) ? 'referenced: mapped back, swap-backed' : 'referenced: mapped back, still lazyfree',
    });
    return false;
  }
  const off = k.swap.folioSwap(slot);
  swap_duplicate(k, off);
  const exclusive = k.has(PATCH.anonExclusive) && f.pageAnonExclusive(slot, pfn);
  // folio_try_share_anon_rmap_pte: the page is no longer exclusive once unmapped (a pinned one never gets
  // here from v5.11: shrink_folio_list keeps it, feb889fb40fa)
  if (exclusive) f.setPageAnonExclusive(slot, pfn, false);
  mm.anonPages--;
  mm.swapEnts++;
  g.swp_entry_to_pte(swpPte, SWP_TYPE, off);
  if (exclusive && k.has(PATCH.swpExclusive)) g.pte_swp_mkexclusive(swpPte);
  if (g.pte_soft_dirty(pteval) && k.has(PATCH.swpSoftDirty)) g.pte_swp_mksoft_dirty(swpPte);
  if (g.pte_uffd_wp(pteval) && k.has(PATCH.swpUffdWp)) g.pte_swp_mkuffd_wp(swpPte);
  t.set(i, swpPte);
  k.tr?.emit('try_to_unmap_one', 'try_to_unmap_one', { addr, old: pteval.toString(), new: swpPte.toString() });
  folio_remove_rmap_pte(k, slot, pfn, mm);
  folio_put(k, slot);
  return true;
}

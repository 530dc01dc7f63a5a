// Reverse-map accounting of folios: mapcounts, PG_anon, PG_anon_exclusive (mm/rmap.c @v4.19/@v6.12).
// The model keeps the counts the observable state depends on (pagemap exclusivity, kpageflags, reuse).
import { type Kernel, FP_ANON_EXCLUSIVE } from '../kernel.js';
import { PATCH } from '../../profiles/patches.js';
import { PG_anon, PG_lru, PG_swapbacked, PG_uptodate, PG_deferred_split } from './folio.js';

/** folio_add_new_anon_rmap / page_add_new_anon_rmap: a freshly allocated anon folio gets its first mapping */
export function folio_add_new_anon_rmap(k: Kernel, slot: number, pmdMapped: boolean): void {
  const f = k.folios;
  f.setFlag(slot, PG_anon | PG_swapbacked | PG_uptodate | PG_lru);
  if (f.isLarge(slot) && !pmdMapped) {
    const s = f.subpages(slot);
    s.mapcount.fill(1);
  } else {
    f.mapcount[slot] = 1;
  }
  // v5.19: a new anonymous page is exclusive to its mm (RMAP_EXCLUSIVE)
  if (k.fp & FP_ANON_EXCLUSIVE) {
    if (f.isLarge(slot) && !pmdMapped) f.subpages(slot).exclusive.fill(1);
    f.setPageAnonExclusive(slot, f.pfn[slot]!, true);
  }
}

/** folio_add_anon_rmap_ptes: nr PTEs of a large folio start mapping pages pfn.. (PMD split, fork) */
export function folio_add_anon_rmap_ptes(k: Kernel, slot: number, pfn: number, nr: number, exclusive: boolean): void {
  const f = k.folios;
  const s = f.subpages(slot);
  const i0 = pfn - f.pfn[slot]!;
  for (let i = i0; i < i0 + nr; i++) {
    s.mapcount[i]!++;
    if (exclusive) s.exclusive[i] = 1;
  }
}

/** folio_add_anon_rmap_pte for an order-0 folio that gains a mapping (fork) */
export function page_dup_rmap(k: Kernel, slot: number, pfn: number): void {
  const f = k.folios;
  if (f.isLarge(slot)) f.subpages(slot).mapcount[pfn - f.pfn[slot]!]!++;
  else f.mapcount[slot]!++;
  f.refcount[slot]!++;
}

/** folio_remove_rmap_pte: one PTE stops mapping pfn; a partially mapped large folio is queued for deferred split */
export function folio_remove_rmap_pte(k: Kernel, slot: number, pfn: number): void {
  folio_remove_rmap_ptes(k, slot, pfn, 1);
}

/** folio_remove_rmap_ptes (mm/rmap.c @v6.18): nr PTEs mapping pfn.. of one folio go at once; only then is a
 * still partly mapped large folio queued for deferred split */
export function folio_remove_rmap_ptes(k: Kernel, slot: number, pfn: number, nr: number): void {
  const f = k.folios;
  if (!f.isLarge(slot)) {
    f.mapcount[slot] = f.mapcount[slot]! - nr;
    return;
  }
  const s = f.subpages(slot);
  const i0 = pfn - f.pfn[slot]!;
  // __folio_remove_rmap: only pages this removal left unmapped count ("nr"), and a PMD mapping elsewhere
  // keeps the folio entirely mapped; partially_mapped = nr && the folio is still mapped
  let unmapped = 0;
  for (let i = i0; i < i0 + nr; i++) if (--s.mapcount[i]! === 0) unmapped++;
  if (unmapped && f.mapcount[slot] === 0 && f.folioMapped(slot) && !f.test(slot, PG_deferred_split)) {
    f.setFlag(slot, PG_deferred_split);
    k.vmstat.thp_deferred_split_page++;
  }
}

/** folio_remove_rmap_pmd */
export function folio_remove_rmap_pmd(k: Kernel, slot: number): void {
  k.folios.mapcount[slot]!--;
}

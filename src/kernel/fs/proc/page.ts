// /proc/kpageflags (fs/proc/page.c stable_page_flags @v4.19, @v6.1, @v6.18)
import type { Kernel } from '../../kernel.js';
import { KPF } from '../../include/uapi.js';
import { PATCH } from '../../../profiles/patches.js';
import {
  PG_active, PG_anon, PG_anon_exclusive, PG_dirty, PG_locked, PG_lru, PG_mlocked, PG_referenced, PG_swapbacked,
  PG_table, PG_unevictable, PG_uptodate, PG_zero, PG_idle, PG_reserved, PG_swapcache,
} from '../../mm/folio.js';
import { PG_hugetlb } from '../../mm/hugetlb.js';
import { PG_zone_device } from '../../mm/memremap.js';

const B = (n: number) => 1n << BigInt(n);

/** stable_page_flags(page): the u64 /proc/kpageflags reports for pfn */
export function stable_page_flags(k: Kernel, pfn: number): bigint {
  const f = k.folios;
  const slot = f.slotOf(pfn);
  if (slot < 0) return B(KPF.nopage);
  let u = 0n;
  const fl = f.flags(slot);
  // kpageflags_read: pfn_to_online_page() is NULL for a ZONE_DEVICE pfn (mm/memory_hotplug.c @v6.1), and
  // stable_page_flags(NULL) is KPF_NOPAGE
  if (fl & PG_zone_device) return B(KPF.nopage);
  const large = f.isLarge(slot);
  const head = f.pfn(slot);
  const isHead = pfn === head;
  if (fl & PG_table) return B(KPF.pgtable);
  // v6.10 dee3d0bef2b0: the page-flag bits come from the folio; before, from the page itself (tails have none)
  const folioFlags = k.has(PATCH.kpageflagsFolio);
  const own = !large || isHead || folioFlags;
  // page_mapped (folio_mapped from v6.17 476d87d6a061 differs only for unmapped pages of a mapped folio)
  const mapped = f.pageMapcount(slot, pfn) > 0;
  if (mapped) u |= B(KPF.mmap);
  if (fl & PG_anon) u |= B(KPF.anon);
  // KPF_ZERO_PAGE (and KPF_THP for the huge zero page) from 56873f43abdc (v4.0); before, neither
  if ((fl & PG_zero) && k.has(PATCH.kpageflagsZeroPage)) {
    u |= B(KPF.zero_page);
    if (large) u |= B(KPF.thp);
  }
  if (large) {
    u |= isHead ? B(KPF.compound_head) : B(KPF.compound_tail);
    // a page of the hugetlb pool is KPF_HUGE (folio_test_hugetlb), never KPF_THP
    if (fl & PG_hugetlb) u |= B(KPF.huge);
    else if (fl & (PG_lru | PG_anon)) u |= B(KPF.thp);
  }
  if (own) {
    if (fl & PG_locked) u |= B(KPF.locked);
    if (fl & PG_referenced) u |= B(KPF.referenced);
    if (fl & PG_uptodate) u |= B(KPF.uptodate);
    if (fl & PG_dirty) u |= B(KPF.dirty);
    if (fl & PG_lru) u |= B(KPF.lru);
    if (fl & PG_active) u |= B(KPF.active);
    if (fl & PG_swapbacked) u |= B(KPF.swapbacked);
    if (fl & PG_unevictable) u |= B(KPF.unevictable);
    if (fl & PG_mlocked) u |= B(KPF.mlocked);
    if (fl & PG_idle) u |= B(KPF.idle);
    // folio_test_swapcache (PG_owner_priv_1 of a swap-backed folio): KPF_SWAPCACHE, and the raw bit KPF_OWNER_PRIVATE
    if (fl & PG_swapcache) u |= B(KPF.swapcache) | B(KPF.owner_private);
  }
  // kpf_copy_bit(k, KPF_RESERVED, PG_reserved) (fs/proc/page.c @v4.19..v6.18)
  if (fl & PG_reserved) u |= B(KPF.reserved);
  // PG_anon_exclusive aliases PG_mappedtodisk / PG_owner_2 (bit 34): per page before v6.10, the head's after
  if (k.has(PATCH.anonExclusive)) {
    const excl = folioFlags ? f.pageAnonExclusive(slot, head) : f.pageAnonExclusive(slot, pfn);
    if (excl) u |= B(KPF.owner_2);
  }
  void PG_anon_exclusive;
  return u;
}

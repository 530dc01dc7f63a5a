// Dropping folio references (include/linux/mm.h folio_put, folio_put_refs; mm/swap.c __folio_put).
import type { Kernel } from '../kernel.js';
import { PG_zero } from './folio.js';
import { PG_hugetlb, free_huge_folio } from './hugetlb.js';
import { PG_zone_device, free_zone_device_folio } from './memremap.js';

/** include/linux/mm.h folio_put_refs() @v6.18: drop refs references; at zero __folio_put frees it (its contents are gone) */
export function folio_put_refs(k: Kernel, slot: number, refs: number): void {
  const f = k.folios;
  f.setRefcount(slot, f.refcount(slot) - refs);
  if (f.refcount(slot) <= 0 && f.test(slot, PG_hugetlb)) {
    free_huge_folio(k, slot); // a page of the hugetlb pool goes back to it
    return;
  }
  if (f.refcount(slot) <= 0 && f.test(slot, PG_zone_device)) {
    free_zone_device_folio(k, slot); // __folio_put: a device page goes back to its driver
    return;
  }
  if (f.refcount(slot) <= 0 && !f.test(slot, PG_zero)) {
    k.data.clearRange(f.pfn(slot), f.nrPages(slot));
    f.free(slot);
  }
}

/** include/linux/mm.h folio_put() @v6.18: drop a reference */
export function folio_put(k: Kernel, slot: number): void {
  folio_put_refs(k, slot, 1);
}

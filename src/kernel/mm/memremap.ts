// ZONE_DEVICE memory of type MEMORY_DEVICE_COHERENT (f25cbb7a95a2, v6.0) as the kernel's HMM test driver
// provides it (lib/test_hmm.c loaded with spm_addr_dev0/spm_addr_dev1: /dev/hmm_dmirror2 is a coherent
// device): pages the CPU maps with ordinary present PTEs, on no LRU, handed out by the driver from its own
// free list and given back to it (mm/memremap.c free_zone_device_page, the driver's page_free) when their
// last reference goes. A device page is a folio slot of the model with PG_zone_device set (page_zonenum()
// == ZONE_DEVICE); a free one keeps its slot and pfn (refcount 0) on the driver's free list, so the pfns of
// device memory never go to the page allocator, as on the real machine.
import type { Kernel } from '../kernel.js';
import type { Segment, SegmentSpec } from '../../state/store.js';
import { PG_anon, PG_anon_exclusive } from './folio.js';

/** is_zone_device_page(): not a real page flag, the page's zone (as PG_zero stands for is_zero_pfn) */
export const PG_zone_device = 1 << 23;

/**
 * lib/test_hmm.c DEVMEM_CHUNK_SIZE (256 MiB) in pages: a coherent device's memory is one chunk at
 * spm_addr_dev0 (dmirror_allocate_chunk maps the range the module parameter names, and a second chunk of the
 * same range cannot be mapped), so the device runs out after this many pages
 */
export const DEVMEM_COHERENT_PAGES = (256 << 20) / 4096;

/** the segment the device's driver keeps its state in (src/state/store.ts) */
export const DEVMEM_SEGMENTS: readonly SegmentSpec[] = [{ name: 'devmem', flat: true }];
/** mdevice->calloc, mdevice->cfree, the depth of the free list, the pages of the chunk handed out so far */
const D_CALLOC = 0, D_CFREE = 1, D_NFREE = 2, D_PAGES = 3;
/** the free list (mdevice->free_pages, LIFO: page_free pushes, alloc pops), as folio slots + 1 */
const D_FREE = 16;

/** the driver's state (struct dmirror_device of the coherent device), a view over its cells */
export class DevMem {
  constructor(private readonly D: Segment) {}
  /** mdevice->calloc: device pages handed out (dmirror_devmem_alloc_page) */
  get calloc(): number { return this.D.get(D_CALLOC); }
  /** mdevice->cfree: device pages given back (dmirror_devmem_free) */
  get cfree(): number { return this.D.get(D_CFREE); }
  /** pages of the chunk ever handed out (the rest of the chunk is still on the driver's list) */
  get pages(): number { return this.D.get(D_PAGES); }
  /** device pages in use now */
  get inUse(): number { return this.calloc - this.cfree; }

  /** dmirror_devmem_alloc_page + zone_device_page_init: a device page with refcount 1, or -1 when the chunk is used up */
  alloc(k: Kernel): number {
    const f = k.folios;
    const n = this.D.get(D_NFREE);
    let slot: number;
    if (n > 0) {
      slot = this.D.get(D_FREE + n - 1) - 1;
      this.D.set(D_FREE + n - 1, 0);
      this.D.set(D_NFREE, n - 1);
      f.setRefcount(slot, 1);
    } else {
      if (this.pages >= DEVMEM_COHERENT_PAGES) return -1;
      slot = f.alloc(0, PG_zone_device);
      this.D.set(D_PAGES, this.pages + 1);
    }
    this.D.set(D_CALLOC, this.calloc + 1);
    return slot;
  }

  /** dmirror_devmem_free: back on the driver's list */
  free(slot: number): void {
    const n = this.D.get(D_NFREE);
    this.D.set(D_FREE + n, slot + 1);
    this.D.set(D_NFREE, n + 1);
    this.D.set(D_CFREE, this.cfree + 1);
  }
}

/** is_zone_device_page / folio_is_zone_device */
export function folio_is_zone_device(k: Kernel, slot: number): boolean {
  return slot >= 0 && k.folios.test(slot, PG_zone_device);
}

/**
 * mm/memremap.c free_zone_device_page() @v6.1 for a MEMORY_DEVICE_COHERENT page whose last reference went:
 * PageAnonExclusive cleared, the stale mapping (PG_anon) cleared, the driver's page_free (dmirror_devmem_free)
 * takes it back; its refcount stays 0 until the driver hands it out again. Its contents are the device's
 * business: the model forgets them.
 */
export function free_zone_device_folio(k: Kernel, slot: number): void {
  const f = k.folios;
  f.clearFlag(slot, PG_anon_exclusive | PG_anon);
  f.setFlags(slot, PG_zone_device);
  f.setRefcount(slot, 0);
  k.data.clearRange(f.pfn(slot), 1);
  k.devmem.free(slot);
}

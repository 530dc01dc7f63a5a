// Swap on real release pairs: bug-corpus 24 (swapoff drops soft-dirty and uffd-wp) on v5.13, fixed on
// v6.1; and the swap device's cells: a swapped page's state survives a clone, and swapoff leaves the
// swap cells as they were before swapon.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { kernel, pagemapBit, run, vmstat, kpfBit, pte } from './helpers.js';

const SWAPOFF = readFileSync('scenarios/bugs/swapoff-loses-softdirty-uffdwp.yaml', 'utf8');

describe('swap on release profiles', () => {
  it('bug-corpus 24: v5.13 loses uffd-wp and soft-dirty at swapoff, v6.1 keeps them (v5.7 .. v5.12 hung: swapoff-uffd-wp-hang)', () => {
    const measure = (p: string) => {
      const r = run(SWAPOFF, kernel(p));
      // (v5.13's pagemap has no uffd-wp bit yet: the PTEs are read; _PAGE_SWP_UFFD_WP is bit 2, _PAGE_UFFD_WP bit 10)
      const bits = (at: string, mask: bigint) => Number((BigInt(pte(r, 'mem', at)) & mask) !== 0n);
      return [bits('out', 0x4n), bits('off', 0x400n), pagemapBit(r, 'mem + 0x1000', 55, 'out'), pagemapBit(r, 'mem + 0x1000', 55, 'off')];
    };
    expect(measure('v5.13')).toEqual([1, 0, 1, 0]);
    expect(measure('v6.1')).toEqual([1, 1, 1, 1]);
  });

  it('MADV_PAGEOUT without swap leaves the page mapped and active; a THP is split, its zero-filled pages go to the zero page', () => {
    const r = run(`
name: pageout-no-swap
observe: { pages: [m, ram, ram + 4K] }
setup:
  - mmap: { as: m, len: 4K }
  - write: { addr: m, value: 1 }
  - mmap: { as: ram, len: 2M, align: 2M }
  - madvise: { addr: ram, len: 2M, advice: hugepage }
  - write: { addr: ram, value: 1 }
  - madvise: { addr: m, len: 4K, advice: pageout }
  - madvise: { addr: ram, len: 2M, advice: pageout }
`, kernel('v6.18'));
    expect([pagemapBit(r, 'm', 63), kpfBit(r, 'm', 6), pagemapBit(r, 'm', 62)]).toEqual([1, 1, 0]);
    expect([vmstat(r, 'thp_split_pmd'), vmstat(r, 'thp_split_page'), vmstat(r, 'thp_swpout_fallback')]).toEqual([1, 1, 1]);
    expect([pagemapBit(r, 'ram', 63), kpfBit(r, 'ram', 6), kpfBit(r, 'ram + 0x1000', 24)]).toEqual([1, 1, 1]);
  });

  it('MADV_PAGEOUT of a THP with swap: split, the written page swapped, the zero-filled ones mapped to the zero page', () => {
    const r = run(`
name: pageout-thp
observe: { pages: [ram, ram + 4K] }
setup:
  - swapon: { pages: 64 }
  - mmap: { as: ram, len: 2M, align: 2M }
  - madvise: { addr: ram, len: 2M, advice: hugepage }
  - write: { addr: ram, value: 1 }
  - madvise: { addr: ram, len: 2M, advice: pageout }
`, kernel('v6.18'));
    expect([pagemapBit(r, 'ram', 62), kpfBit(r, 'ram + 0x1000', 24), vmstat(r, 'thp_swpout_fallback'), vmstat(r, 'pswpout')]).toEqual([1, 1, 1, 1]);
  });

  it('MADV_FREE then MADV_PAGEOUT: a clean lazyfree page is discarded, a redirtied one stays and is swap-backed again', () => {
    const r = run(`
name: lazyfree-pageout
observe: { pages: [m, m + 4K] }
setup:
  - swapon: { pages: 64 }
  - mmap: { as: m, len: 8K }
  - write: { addr: m, value: 1 }
  - write: { addr: m + 4K, value: 1 }
  - madvise: { addr: m, len: 8K, advice: free }
  - write: { addr: m + 4K, value: 2 }
  - madvise: { addr: m, len: 8K, advice: pageout }
`, kernel('v6.18'));
    // the clean one is gone (none: it reads zero); the redirtied one is mapped back (try_to_unmap_one
    // restores its PTE and makes it swap-backed) and activated, not swapped in this pass
    expect([pagemapBit(r, 'm', 63), pagemapBit(r, 'm', 62), pagemapBit(r, 'm + 0x1000', 63), kpfBit(r, 'm + 0x1000', 14), kpfBit(r, 'm + 0x1000', 6)]).toEqual([0, 0, 1, 1, 1]);
  });

  it('swapon and swapoff succeed for root', () => {
    const a = run(`
name: a
setup:
  - mmap: { as: m, len: 4K }
  - write: { addr: m, value: 1 }
  - swapon: { pages: 16 }
  - madvise: { addr: m, len: 4K, advice: pageout }
  - swapoff: true
`, kernel('v6.18'));
    expect(a.observation.ops['setup#5']?.errno ?? null).toBeNull();
  });

  it('swapoff frees what is left in the swap cache through folio_free_swap: a page read back from its slot ends dirty', () => {
    // try_to_unuse's last loop; measured on 6.18 (scenarios/differential/swap-pageout-swapin.yaml): KPF_DIRTY
    const r = run(`
name: swapoff-dirties-swapcache
observe: { pages: [m] }
setup:
  - swapon: { pages: 16 }
  - mmap: { as: m, len: 4K }
  - write: { addr: m, value: 1 }
  - madvise: { addr: m, len: 4K, advice: pageout }
  - madvise: { addr: m, len: 4K, advice: pageout }
  - read: { addr: m }
  - checkpoint: in
  - swapoff: true
`, kernel('v6.18'));
    // read back from the slot: in the swap cache and clean; after swapoff out of it and dirty
    expect([kpfBit(r, 'm', 4, 'in'), kpfBit(r, 'm', 13, 'in'), kpfBit(r, 'm', 4), kpfBit(r, 'm', 13)]).toEqual([0, 1, 1, 0]);
  });
});

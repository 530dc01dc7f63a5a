// Copy-on-write of PTE-mapped THPs: the MM owner tracking of large folios (6af8cb80d3a9) and the reuse
// decision that reads it (__wp_can_reuse_large_anon_folio, 1da190f4d0a6, v6.15), driven through the
// kernel model's own entry points so that the folio's words can be read between the steps.
import { describe, expect, it } from 'vitest';
import { Kernel, type KernelSpec } from '../src/kernel/kernel.js';
import type { MmStruct } from '../src/kernel/include/mm_types.js';
import { do_mmap } from '../src/kernel/mm/mmap.js';
import { do_madvise } from '../src/kernel/mm/madvise.js';
import { do_mprotect } from '../src/kernel/mm/mprotect.js';
import { do_user_addr_fault } from '../src/kernel/arch/x86/mm/fault.js';
import { dup_mmap } from '../src/kernel/kernel/fork.js';
import { follow_pfn } from '../src/kernel/mm/memory.js';
import { folio_large_mapcount, folio_mm_id, folio_test_large_maybe_mapped_shared } from '../src/kernel/mm/rmap.js';
import { MM_TRACK, PG_anon } from '../src/kernel/mm/folio.js';
import { LEVEL_PMD, LEVEL_PTE } from '../src/kernel/mm/pgtable.js';
import { Pte } from '../src/kernel/arch/x86/include/pte.js';
import { PATCH } from '../src/profiles/patches.js';
import { kernel } from './helpers.js';

const M2 = 2 ** 21;
const X86_PF_WRITE_USER = 6;

interface World { k: Kernel; mm: MmStruct; ram: number; slot: number }

/** a THP faulted in whole by a write, then PTE-mapped by an mprotect of its second page (the folio stays whole) */
function ptemappedThp(profile: string | KernelSpec): World {
  const k = new Kernel(typeof profile === 'string' ? kernel(profile) : profile);
  const mm = k.newMm();
  k.current = k.newTask('main', mm);
  const ram = do_mmap(k, mm, { addr: 0, len: M2, prot: 3, flags: 0x22, align: M2, label: 'ram' });
  do_madvise(k, mm, ram, M2, 'hugepage');
  write(k, mm, ram);
  do_mprotect(k, mm, ram + 0x1000, 0x1000, 1);
  const slot = k.folios.slotOf(follow_pfn(k, mm, ram));
  expect(k.folios.isLarge(slot)).toBe(true);
  return { k, mm, ram, slot };
}

function write(k: Kernel, mm: MmStruct, addr: number): void {
  const t = k.tasks.find((x) => x.mm === mm) ?? k.newTask('t', mm);
  k.current = t;
  do_user_addr_fault(k, t, addr, X86_PF_WRITE_USER);
}

/** the folio's words: [large mapcount, mm id 0, mm id 1, mapcount of slot 0, of slot 1, maybe mapped shared] */
function track(w: World): [number, number, number, number, number, boolean] {
  const { k, slot } = w;
  const f = k.folios;
  return [folio_large_mapcount(k, slot), folio_mm_id(k, slot, 0), folio_mm_id(k, slot, 1), f.mmTrack(slot, 3) + 1, f.mmTrack(slot, 4) + 1,
    folio_test_large_maybe_mapped_shared(k, slot)];
}

/** did the write at addr keep the page (same pfn, still in the large folio)? */
function writeKeeps(w: World, mm: MmStruct, addr: number): boolean {
  const before = follow_pfn(w.k, mm, addr);
  write(w.k, mm, addr);
  const after = follow_pfn(w.k, mm, addr);
  return before === after && w.k.folios.slotOf(after) === w.slot && w.k.folios.isLarge(w.slot);
}

describe('MM owner tracking of a large folio (v6.18)', () => {
  it('a THP fault, its PMD split, a fork and the child dropping it: the slots and the shared bit as the kernel keeps them', () => {
    const w = ptemappedThp('v6.18');
    const P = w.mm.id;
    // folio_set_large_mapcount at the fault (1 PMD mapping), then +512 PTEs and -1 PMD at the split
    expect(track(w)).toEqual([512, P, 0, 512, 0, false]);
    const child = dup_mmap(w.k, w.mm);
    expect(track(w)).toEqual([1024, P, child.id, 512, 512, true]);
    expect(w.k.folios.refcount(w.slot)).toBe(1024);
    // the child drops half: it keeps its slot, the folio stays maybe mapped shared
    do_madvise(w.k, child, w.ram, M2 / 2, 'dontneed');
    expect(track(w)).toEqual([768, P, child.id, 512, 256, true]);
    // ... then the rest: its slot is freed and slot 0 holds every mapping again
    do_madvise(w.k, child, w.ram + M2 / 2, M2 / 2, 'dontneed');
    expect(track(w)).toEqual([512, P, 0, 512, 0, false]);
  });

  it('a third mm gets no slot: the folio stays maybe mapped shared while it maps pages, even alone', () => {
    const w = ptemappedThp('v6.18');
    const first = dup_mmap(w.k, w.mm);
    const second = dup_mmap(w.k, w.mm);
    expect(track(w)).toEqual([1536, w.mm.id, first.id, 512, 512, true]);
    do_madvise(w.k, w.mm, w.ram, M2, 'dontneed');
    do_madvise(w.k, first, w.ram, M2, 'dontneed');
    expect(track(w)).toEqual([512, 0, 0, 0, 0, true]);
    expect(writeKeeps(w, second, w.ram + 0x5000)).toBe(false);
  });

  it('the order matters: once the first child is gone, a later child takes slot 1 and can be left exclusive', () => {
    const w = ptemappedThp('v6.18');
    const first = dup_mmap(w.k, w.mm);
    do_madvise(w.k, first, w.ram, M2, 'dontneed');
    const second = dup_mmap(w.k, w.mm);
    expect(track(w)).toEqual([1024, w.mm.id, second.id, 512, 512, true]);
    do_madvise(w.k, w.mm, w.ram, M2, 'dontneed');
    expect(track(w)).toEqual([512, 0, second.id, 0, 512, false]);
    expect(writeKeeps(w, second, w.ram + 0x5000)).toBe(true);
  });

  it('a PMD-mapped THP shared by fork: one mapping per mm', () => {
    const k = new Kernel(kernel('v6.18'));
    const mm = k.newMm();
    k.current = k.newTask('main', mm);
    const ram = do_mmap(k, mm, { addr: 0, len: M2, prot: 3, flags: 0x22, align: M2, label: 'ram' });
    do_madvise(k, mm, ram, M2, 'hugepage');
    write(k, mm, ram);
    const w = { k, mm, ram, slot: k.folios.slotOf(follow_pfn(k, mm, ram)) };
    const child = dup_mmap(k, mm);
    expect(track(w)).toEqual([2, mm.id, child.id, 1, 1, true]);
    do_madvise(k, child, ram, M2, 'dontneed');
    expect(track(w)).toEqual([1, mm.id, 0, 1, 0, false]);
  });

  it('is not kept by kernels without the row (v6.12): the words stay as allocated', () => {
    const w = ptemappedThp('v6.12');
    dup_mmap(w.k, w.mm);
    expect(track(w)).toEqual([0, 0, 0, 0, 0, false]);
  });
});

describe('do_wp_page on a PTE-mapped THP after fork', () => {
  /** fork, then the child drops the whole range: every mapping left is the parent's */
  function childGone(profile: string | KernelSpec): World {
    const w = ptemappedThp(profile);
    const child = dup_mmap(w.k, w.mm);
    do_madvise(w.k, child, w.ram, M2, 'dontneed');
    return w;
  }

  it('v6.18 reuses the page in place and marks only that page PageAnonExclusive', () => {
    const w = childGone('v6.18');
    const pfn = follow_pfn(w.k, w.mm, w.ram + 0x5000);
    expect(w.k.folios.pageAnonExclusive(w.slot, pfn)).toBe(false);
    expect(writeKeeps(w, w.mm, w.ram + 0x5000)).toBe(true);
    expect(w.k.folios.pageAnonExclusive(w.slot, pfn)).toBe(true);
    expect(w.k.folios.pageAnonExclusive(w.slot, pfn + 1)).toBe(false);
    expect(w.k.vmstat.thp_deferred_split_page).toBe(0);
    // the next page is a fault of its own, reused too
    expect(writeKeeps(w, w.mm, w.ram + 0x6000)).toBe(true);
  });

  it('v6.12 copies it (a large folio is never reused) and the THP is queued for deferred split', () => {
    const w = childGone('v6.12');
    expect(writeKeeps(w, w.mm, w.ram + 0x5000)).toBe(false);
    expect(w.k.vmstat.thp_deferred_split_page).toBe(1);
  });

  it('v6.12 with the row added reuses, as v6.18 does', () => {
    const w = childGone(kernel('v6.12', { add: [PATCH.cowReusePteMappedThp] }));
    expect(writeKeeps(w, w.mm, w.ram + 0x5000)).toBe(true);
    expect(w.k.vmstat.thp_deferred_split_page).toBe(0);
  });

  it('a reference that is not a mapping (a GUP pin, as get_user_pages takes) refuses the reuse', () => {
    const w = childGone('v6.18');
    w.k.folios.setRefcount(w.slot, w.k.folios.refcount(w.slot) + 1);
    expect(writeKeeps(w, w.mm, w.ram + 0x5000)).toBe(false);
    // the copy dropped one mapping and its reference: one extra reference is left
    expect(w.k.folios.refcount(w.slot)).toBe(folio_large_mapcount(w.k, w.slot) + 1);
  });

  it('while the child still maps a page of the folio, even another page is copied', () => {
    const w = ptemappedThp('v6.18');
    const child = dup_mmap(w.k, w.mm);
    do_madvise(w.k, child, w.ram, M2 - 0x1000, 'dontneed');
    expect(writeKeeps(w, w.mm, w.ram + 0x5000)).toBe(false);
    do_madvise(w.k, child, w.ram + M2 - 0x1000, 0x1000, 'dontneed');
    expect(writeKeeps(w, w.mm, w.ram + 0x6000)).toBe(true);
  });

  it('the last mapped page of the folio is copied, and the THP freed with it', () => {
    const w = childGone('v6.18');
    do_madvise(w.k, w.mm, w.ram, 0x5000, 'dontneed');
    do_madvise(w.k, w.mm, w.ram + 0x6000, M2 - 0x6000, 'dontneed');
    expect(folio_large_mapcount(w.k, w.slot)).toBe(1);
    const live = w.k.folios.liveFolios;
    expect(writeKeeps(w, w.mm, w.ram + 0x5000)).toBe(false);
    // the new small folio in, the THP out
    expect(w.k.folios.liveFolios).toBe(live);
  });
});

describe('the tracking stays sound under random operations (v6.18)', () => {
  /** every mapping of every large anon folio, by slot and by mm id, from the page tables of every mm */
  function mappings(k: Kernel): Map<number, Map<number, number>> {
    const out = new Map<number, Map<number, number>>();
    const f = k.folios;
    const e = new Pte();
    for (const mm of k.mms) {
      for (const t of mm.tables.values()) {
        if (t.level !== LEVEL_PMD && t.level !== LEVEL_PTE) continue;
        for (let i = 0; i < 512; i++) {
          const lo = t.lo(i);
          // present, or PROT_NONE (_PAGE_PROTNONE, bit 8; never set in a swap entry or marker)
          if (!(lo & 1) && !(lo & 0x100)) continue;
          if (t.level === LEVEL_PMD && !(lo & 0x80)) continue; // a PTE table
          const slot = f.slotOf(k.pgt.pte_pfn(t.get(i, e))); // a PROT_NONE entry holds its pfn inverted
          if (slot < 0 || !f.isLarge(slot) || !f.test(slot, PG_anon)) continue;
          const m = out.get(slot) ?? new Map<number, number>();
          m.set(mm.id, (m.get(mm.id) ?? 0) + 1);
          out.set(slot, m);
        }
      }
    }
    return out;
  }

  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 4294967296;
    };
  }

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: large mapcount, slot counts and the shared bit agree with the page tables after every step`, () => {
      const r = rng(seed);
      const k = new Kernel(kernel('v6.18'));
      const LEN = 4 * M2;
      const mms: MmStruct[] = [k.newMm()];
      k.current = k.newTask('main', mms[0]!);
      const ram = do_mmap(k, mms[0]!, { addr: 0, len: LEN, prot: 3, flags: 0x22, align: M2, label: 'ram' });
      do_madvise(k, mms[0]!, ram, LEN, 'hugepage');
      for (let step = 0; step < 120; step++) {
        const mm = mms[Math.floor(r() * mms.length)]!;
        const page = Math.floor(r() * (LEN / 4096));
        const len = Math.min(LEN - page * 4096, (1 + Math.floor(r() * 700)) * 4096);
        const at = ram + page * 4096;
        const x = r();
        try {
          if (x < 0.4) write(k, mm, at);
          else if (x < 0.5 && mms.length < 4) mms.push(dup_mmap(k, mm));
          else if (x < 0.7) do_madvise(k, mm, at, len, 'dontneed');
          else if (x < 0.8) do_mprotect(k, mm, at, len, [1, 3, 0][Math.floor(r() * 3)]!);
          else if (x < 0.85) do_madvise(k, mm, at, len, 'free');
          else if (x < 0.9) do_madvise(k, mm, ram + Math.floor(r() * 4) * M2, M2, 'collapse');
          else do_mprotect(k, mm, at, len, 3);
        } catch {
          // an errno (a write to a read-only page, a refused collapse) is an outcome, not a failure here
        }
        for (const [slot, byMm] of mappings(k)) {
          const total = [...byMm.values()].reduce((a, b) => a + b, 0);
          const words = Array.from({ length: MM_TRACK }, (_, j) => k.folios.mmTrack(slot, j));
          const where = `step ${step}, slot ${slot}: mappings ${JSON.stringify([...byMm])}, words ${[...words].join(',')}`;
          expect(folio_large_mapcount(k, slot), where).toBe(total);
          for (const idx of [0, 1]) {
            const id = folio_mm_id(k, slot, idx), mc = words[3 + idx]! + 1;
            // a slot counts only mappings made while it held the mm (an mm may have mapped pages untracked before)
            if (id === 0) expect(mc, where).toBe(0);
            else expect(mc, where).toBeLessThanOrEqual(byMm.get(id) ?? 0);
          }
          // "certainly mapped exclusively" is never wrong: without the shared bit, one mm maps every page
          if (!folio_test_large_maybe_mapped_shared(k, slot)) expect(byMm.size, where).toBe(1);
          // and the reuse test never sees a reference that is not a mapping
          expect(k.folios.refcount(slot), where).toBe(total);
        }
      }
    });
  }
});

// change_pte_range's direct path (change_pte_direct in src/kernel/mm/mprotect.ts) is a second copy of
// the x86 PTE rules (pte_modify, the saved-dirty bit, the uffd-wp and soft-dirty bits) and of
// can_change_pte_writable, written as word arithmetic for speed. The rules are defined once, in
// arch/x86/include/pgtable.ts (X86Pgtable) and pte_writable_ok; change_pte_range's general path
// composes those. This test runs both paths on the same table holding every class of PTE value,
// for every profile that has the direct path (v6.0 on; with and without soft-dirty, and with each
// patch these rules read toggled),
// every VMA kind, protection and change_protection flag, and requires the same entries.
// The general path is taken by tracing the run: the direct path never runs while a tracer watches.
import { describe, expect, it } from 'vitest';
import { Kernel } from '../src/kernel/kernel.js';
import { Tracer } from '../src/trace/events.js';
import { PATCH } from '../src/profiles/patches.js';
import { VmArea } from '../src/kernel/include/mm_types.js';
import { PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED_EXEC } from '../src/kernel/arch/x86/include/pgtable.js';
import {
  _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_HI_NX, _PAGE_HI_SAVED_DIRTY, _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_RW, _PAGE_SOFT_DIRTY,
  _PAGE_SPECIAL, _PAGE_UFFD_WP, _PAGE_USER, PAGE_SIZE, PMD_SIZE,
} from '../src/kernel/arch/x86/include/pgtable_types.js';
import { VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_SHARED, VM_MAYSHARE, VM_SOFTDIRTY, VM_UFFD_WP, VM_WRITE } from '../src/kernel/include/vm_flags.js';
import { MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP, MM_CP_UFFD_WP_RESOLVE } from '../src/kernel/include/mm_cp.js';
import { PG_anon, PG_anon_exclusive } from '../src/kernel/mm/folio.js';
import { change_pte_range } from '../src/kernel/mm/mprotect.js';
import { pmdAlloc, pte_alloc } from '../src/kernel/mm/pagewalk.js';
import type { PageTable } from '../src/kernel/mm/pgtable.js';
import { expectSameEntries, type kernel, restoreTable, tableWords, x86DirectSpecs } from './helpers.js';

const BASE = 0x7f0000000000;

/** a kernel with one PTE table at BASE filled with every class of entry; the same for the same spec */
function setup(spec: ReturnType<typeof kernel>): { k: Kernel; t: PageTable } {
  const k = new Kernel(spec);
  const mm = k.newMm();
  const t = pte_alloc(k, mm, pmdAlloc(k, mm, BASE));
  let i = 0;
  const put = (lo: number, hi: number) => t.setRaw(i++, lo | 0, hi | 0);
  const his = [0, _PAGE_HI_SAVED_DIRTY, _PAGE_HI_NX, _PAGE_HI_NX | _PAGE_HI_SAVED_DIRTY];
  const small = (flags: number) => k.folios.pfn(k.folios.alloc(0, flags));
  for (let bits = 0; bits < 32; bits++) {
    const lo = _PAGE_PRESENT | _PAGE_USER | (bits & 1 ? _PAGE_RW : 0) | (bits & 2 ? _PAGE_DIRTY : 0) | (bits & 4 ? _PAGE_ACCESSED : 0) |
      (bits & 8 ? _PAGE_SOFT_DIRTY : 0) | (bits & 16 ? _PAGE_UFFD_WP : 0);
    for (const hi of his) {
      // an exclusive anon page, a shared (not exclusive) anon page, the zero page
      for (const [pfn, special] of [[small(PG_anon | PG_anon_exclusive), 0], [small(PG_anon), 0], [k.zero_pfn, _PAGE_SPECIAL]] as const) {
        put((lo | special | ((pfn % 0x100000) << 12)), hi | Math.floor(pfn / 0x100000));
      }
    }
    // entries the direct path leaves to the general one: none, PROT_NONE
    if (bits % 8 === 0) put(0, 0);
    if (bits % 8 === 4) {
      const pfn = small(PG_anon | PG_anon_exclusive);
      put(_PAGE_PROTNONE | _PAGE_ACCESSED | (bits & 16 ? _PAGE_UFFD_WP : 0) | ((~pfn & 0xfffff) << 12), ~Math.floor(pfn / 0x100000) & 0xfffff);
    }
  }
  // a large folio (order 2) mapped by four PTEs
  const large = k.folios.alloc(2, PG_anon | PG_anon_exclusive);
  for (let j = 0; j < 4; j++) {
    const pfn = k.folios.pfn(large) + j;
    put(_PAGE_PRESENT | _PAGE_USER | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED | ((pfn % 0x100000) << 12), 0);
  }
  expect(i).toBeLessThanOrEqual(512);
  return { k, t };
}

function specs(): ReturnType<typeof kernel>[] {
  // the direct path exists from v6.0's can_change_pte_writable on (change_pte_range's `modern`), on x86
  return x86DirectSpecs([PATCH.x86SavedDirty, PATCH.softDirtyCanChangeFix, PATCH.mprotectCleanAnonWritable, PATCH.mprotectPteBatching, PATCH.uffdWpApplyBit],
    (s) => s.patches.has(PATCH.mprotectExclusiveAnonWritable));
}

describe('change_pte_direct agrees with the x86 rules (the general path of change_pte_range)', () => {
  it('every PTE class, profile, VMA, protection and flag', () => {
    const vmaFlags: number[] = [];
    for (const w of [0, VM_WRITE]) {
      for (const sh of [0, VM_SHARED | VM_MAYSHARE]) {
        for (const extra of [0, VM_UFFD_WP, VM_SOFTDIRTY, VM_UFFD_WP | VM_SOFTDIRTY]) vmaFlags.push(VM_READ | VM_MAYREAD | VM_MAYWRITE | w | sh | extra);
      }
    }
    const prots = [PAGE_READONLY, PAGE_SHARED, PAGE_SHARED_EXEC, PAGE_NONE];
    const flags = [0, MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP, MM_CP_UFFD_WP_RESOLVE, MM_CP_UFFD_WP_RESOLVE | MM_CP_TRY_CHANGE_WRITABLE];
    let runs = 0, differs = 0;
    for (const spec of specs()) {
      const a = setup(spec), b = setup(spec);
      const e0 = tableWords(a.t), nr0 = a.t.nr;
      expect(Array.from(tableWords(b.t))).toEqual(Array.from(e0));
      b.k.tr = new Tracer();
      b.k.tr.keep = false;
      for (const vf of vmaFlags) {
        for (const prot of prots) {
          for (const cp of flags) {
            restoreTable(a.t, e0);
            restoreTable(b.t, e0);
            expect(a.t.nr).toBe(nr0);
            const vma = VmArea.alloc(a.k, BASE, BASE + PMD_SIZE, vf, prot.clone(), 0, 'm');
            const pa = change_pte_range(a.k, vma, a.t, BASE, BASE + PMD_SIZE, prot, cp);
            const pb = change_pte_range(b.k, vma, b.t, BASE, BASE + PMD_SIZE, prot, cp);
            runs++;
            const ea = tableWords(a.t), eb = tableWords(b.t);
            expectSameEntries(`${spec.name} vm_flags 0x${vf.toString(16)} prot ${prot} cp_flags ${cp}`, e0, ea, eb);
            vma.free();
            expect(pa).toBe(pb);
            expect(a.t.nr).toBe(b.t.nr);
            if (ea.some((x, i) => x !== e0[i])) differs++;
          }
        }
      }
    }
    // most runs change something (the comparison is not between two unchanged tables)
    expect(differs).toBeGreaterThan(runs / 2);
  });
});

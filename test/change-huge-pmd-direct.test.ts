// change_protection's direct path for runs of huge PMDs (change_huge_pmd_direct in
// src/kernel/mm/huge_memory.ts) is a second copy of the x86 PMD rules (pmd_modify with its masks,
// the saved-dirty moves, pmd_mkuffd_wp / pmd_clear_uffd_wp / pmd_wrprotect), written as word
// arithmetic for speed (W3 of the bench). The rules are defined once, in arch/x86/include/pgtable.ts
// (X86Pgtable), and changeHugePmdWith composes them. This test runs change_protection on two copies of
// one PMD table holding every class of huge entry (and entries the direct path leaves to the general
// one: none, PROT_NONE, a PTE table), one untraced (direct) and one traced (the direct path never runs
// while a tracer watches), for every x86 profile with and without the patches these rules read, every
// protection and change_protection flag, and requires the same entries and the same count.
import { describe, expect, it } from 'vitest';
import { Kernel } from '../src/kernel/kernel.js';
import { Tracer } from '../src/trace/events.js';
import { PATCH } from '../src/profiles/patches.js';
import { VmArea } from '../src/kernel/include/mm_types.js';
import { PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED_EXEC } from '../src/kernel/arch/x86/include/pgtable.js';
import {
  _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_HI_NX, _PAGE_HI_SAVED_DIRTY, _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_PSE, _PAGE_RW,
  _PAGE_SOFT_DIRTY, _PAGE_UFFD_WP, _PAGE_USER, PMD_SIZE,
} from '../src/kernel/arch/x86/include/pgtable_types.js';
import { VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_UFFD_WP, VM_WRITE } from '../src/kernel/include/vm_flags.js';
import { MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP, MM_CP_UFFD_WP_RESOLVE } from '../src/kernel/include/mm_cp.js';
import { PG_anon, PG_anon_exclusive } from '../src/kernel/mm/folio.js';
import { change_protection } from '../src/kernel/mm/mprotect.js';
import { pmdAlloc, pte_alloc } from '../src/kernel/mm/pagewalk.js';
import type { PageTable } from '../src/kernel/mm/pgtable.js';
import { expectSameEntries, type kernel, restoreTable, tableWords, x86DirectSpecs } from './helpers.js';

const BASE = 0x7f0000000000;

/** a kernel with one PMD table at BASE holding every class of entry; the same for the same spec */
function setup(spec: ReturnType<typeof kernel>): { k: Kernel; t: PageTable; n: number } {
  const k = new Kernel(spec);
  const mm = k.newMm();
  k.current = k.newTask('t', mm);
  const t = pmdAlloc(k, mm, BASE).t;
  let i = 0;
  const put = (lo: number, hi: number) => t.setRaw(i++, lo | 0, hi | 0);
  const huge = (flags: number) => k.folios.pfn(k.folios.alloc(9, flags));
  const his = [0, _PAGE_HI_SAVED_DIRTY, _PAGE_HI_NX, _PAGE_HI_NX | _PAGE_HI_SAVED_DIRTY];
  for (let bits = 0; bits < 32; bits++) {
    const lo = _PAGE_PRESENT | _PAGE_USER | _PAGE_PSE | (bits & 1 ? _PAGE_RW : 0) | (bits & 2 ? _PAGE_DIRTY : 0) |
      (bits & 4 ? _PAGE_ACCESSED : 0) | (bits & 8 ? _PAGE_SOFT_DIRTY : 0) | (bits & 16 ? _PAGE_UFFD_WP : 0);
    for (const hi of his) {
      // an exclusive THP, a shared one
      for (const pfn of [huge(PG_anon | PG_anon_exclusive), huge(PG_anon)]) put(lo | ((pfn % 0x100000) << 12), hi | Math.floor(pfn / 0x100000));
    }
    // entries the direct path leaves to the general one: none, PROT_NONE, a PTE table
    if (bits % 8 === 0) put(0, 0);
    if (bits % 8 === 4) {
      const pfn = huge(PG_anon | PG_anon_exclusive);
      put(_PAGE_PROTNONE | _PAGE_PSE | _PAGE_ACCESSED | (bits & 16 ? _PAGE_UFFD_WP : 0) | ((~pfn & 0xfffff) << 12), ~Math.floor(pfn / 0x100000) & 0xfffff);
    }
    if (bits % 8 === 6) pte_alloc(k, mm, { t, i: i++ });
  }
  expect(i).toBeLessThanOrEqual(512);
  return { k, t, n: i };
}

function specs(): ReturnType<typeof kernel>[] {
  return x86DirectSpecs([PATCH.x86SavedDirty, PATCH.x86PmdModifyKeepsDirty, PATCH.uffdWpApplyBit, PATCH.hugePmdTryChangeWritable]);
}

describe('change_huge_pmd_direct agrees with the x86 rules (changeHugePmdWith)', () => {
  it('every huge PMD class, profile, protection and flag, whole and part of the table', () => {
    const prots = [PAGE_READONLY, PAGE_SHARED, PAGE_SHARED_EXEC, PAGE_NONE];
    const flags = [0, MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP, MM_CP_UFFD_WP_RESOLVE, MM_CP_UFFD_WP_RESOLVE | MM_CP_TRY_CHANGE_WRITABLE];
    let runs = 0, differs = 0;
    for (const spec of specs()) {
      const a = setup(spec), b = setup(spec);
      const e0 = tableWords(a.t);
      expect(Array.from(tableWords(b.t))).toEqual(Array.from(e0));
      b.k.tr = new Tracer();
      b.k.tr.keep = false;
      // the whole table, and a range that starts and ends inside it (PMD-aligned)
      for (const [from, to] of [[0, 512], [3, a.n - 5]] as const) {
        for (const vf of [VM_READ | VM_MAYREAD | VM_MAYWRITE, VM_READ | VM_MAYREAD | VM_MAYWRITE | VM_WRITE | VM_UFFD_WP]) {
          for (const prot of prots) {
            for (const cp of flags) {
              restoreTable(a.t, e0);
              restoreTable(b.t, e0);
              const start = BASE + from * PMD_SIZE, end = BASE + to * PMD_SIZE;
              const va = VmArea.alloc(a.k, start, end, vf, prot.clone(), 0, 'm');
              const vb = VmArea.alloc(b.k, start, end, vf, prot.clone(), 0, 'm');
              const pa = change_protection(a.k, va, start, end, prot, cp);
              const pb = change_protection(b.k, vb, start, end, prot, cp);
              runs++;
              const ea = tableWords(a.t), eb = tableWords(b.t);
              expectSameEntries(`${spec.name} [${from}, ${to}) vm_flags 0x${vf.toString(16)} prot ${prot} cp_flags ${cp}`, e0, ea, eb);
              va.free();
              vb.free();
              expect(pa).toBe(pb);
              if (ea.some((x, i) => x !== e0[i])) differs++;
            }
          }
        }
      }
    }
    // most runs change something (the comparison is not between two unchanged tables)
    expect(differs).toBeGreaterThan(runs / 2);
  });
});

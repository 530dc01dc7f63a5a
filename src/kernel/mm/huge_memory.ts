// Transparent huge pages (mm/huge_memory.c @v4.19 and @v6.12): the anonymous THP fault, the write
// fault on a huge PMD, change_huge_pmd and the PMD split.
import type { Kernel } from '../kernel.js';
import { entryBitNames } from '../arch/arch.js';
import { PG_hugetlb } from './hugetlb.js';
import { Pte } from '../arch/x86/include/pte.js';
import type { X86Pgtable } from '../arch/x86/include/pgtable.js';
import { _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_PSE, _PAGE_HI_SAVED_DIRTY, _PAGE_RW, HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { VM_LOCKED, VM_UFFD_WP, VM_WRITE } from '../include/vm_flags.js';
import { FAULT_FLAG_UNSHARE, FAULT_FLAG_WRITE, VM_FAULT_FALLBACK, VM_FAULT_WRITE } from '../include/fault.js';
import { PATCH } from '../../profiles/patches.js';
import { PG_anon, PG_deferred_split, PG_dirty, PG_mlocked, PG_referenced, PG_zero } from './folio.js';
import { folio_add_anon_rmap_ptes, folio_add_new_anon_rmap, folio_remove_rmap_pmd } from './rmap.js';
import { Slot, tableEntry, pte_index, PageTable, LEVEL_PMD, LEVEL_PTE } from './pgtable.js';
import { maybe_mkwrite, mm_forbids_zeropage, VmFault, transparent_hugepage_enabled, thp_range_in_vma, follow_pfn } from './memory.js';
import { anon_vma_prepare } from './vma.js';
import { handle_userfault, userfaultfd_huge_pmd_wp, userfaultfd_missing, userfaultfd_wp_2018, userfaultfd_wp_async } from '../fs/userfaultfd.js';
import { VM_UFFD_MISSING } from '../include/vm_flags.js';
import { can_change_pmd_writable } from './mprotect.js';
import { MM_CP_PROT_NUMA, MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP, MM_CP_UFFD_WP_RESOLVE } from '../include/mm_cp.js';
import { pte_alloc } from './pagewalk.js';
import { vma_lookup } from './mmap.js';
import { KernelBug } from '../include/bug.js';
import { notModelledOnRelease } from '../include/errno.js';
import { folio_maybe_dma_pinned } from './gup.js';
import { folio_put } from './swap.js';

/** mm/huge_memory.c mm_get_huge_zero_folio() @v6.18: the huge zero folio, allocated (and counted) on first use */
export function mm_get_huge_zero_folio(k: Kernel): number {
  if (k.hugeZeroSlot < 0) {
    // get_huge_zero_folio (mm/huge_memory.c @v6.18): a zeroed folio_alloc, never marked uptodate or referenced
    k.hugeZeroSlot = k.folios.alloc(HPAGE_PMD_ORDER, PG_zero);
    k.vmstat.thp_zero_page_alloc++;
  }
  return k.hugeZeroSlot;
}

/** the pfn is the head of the huge zero folio (is_huge_zero_folio on a pfn) */
export function isHugeZeroPfn(k: Kernel, pfn: number): boolean {
  return k.hugeZeroSlot >= 0 && pfn === k.folios.pfn(k.hugeZeroSlot);
}

export function haddrOf(addr: number): number {
  return Math.floor(addr / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
}

/** maybe_pmd_mkwrite */
function maybe_pmd_mkwrite(k: Kernel, e: Pte, vma: VmArea): Pte {
  if (vma.vm_flags & VM_WRITE) k.pgt.pmd_mkwrite(e);
  return e;
}

/** set_pmd_at with a trace record */
export function set_pmd_at(k: Kernel, s: Slot, e: Pte, addr: number, fn: string): void {
  if (k.tr !== null) {
    const old = s.t.get(s.i, new Pte());
    k.tr?.emit('set_pmd', fn, { addr, old: old.toString(), new: e.toString(), bits: entryBitNames(k.pgt.arch, e.big()) });
  }
  s.t.set(s.i, e);
}

/** is_huge_zero_pmd (include/linux/huge_mm.h) */
export function is_huge_zero_pmd(k: Kernel, e: Pte): boolean {
  return k.pgt.pmd_trans_huge(e) && isHugeZeroPfn(k, k.pgt.pmd_pfn(e));
}

/** do_huge_pmd_anonymous_page: first touch of a PMD-sized, PMD-aligned range of a THP-enabled VMA */
export function do_huge_pmd_anonymous_page(k: Kernel, vmf: VmFault): number {
  const g = k.pgt;
  const vma = vmf.vma;
  const haddr = haddrOf(vmf.address);
  if (!thp_range_in_vma(vma, haddr)) return VM_FAULT_FALLBACK;
  if (!k.has(PATCH.thpRefcountRework)) {
    notModelledOnRelease('addr', 'a transparent huge page before the THP refcounting rework (53f9263baba6, v4.5): a PMD split then split the page itself');
  }
  anon_vma_prepare(vmf.mm, vma);
  if (!(vmf.flags & FAULT_FLAG_WRITE) && !mm_forbids_zeropage(k, vmf.mm) && k.config.use_zero_page) {
    // a read fault maps the huge zero page
    const zslot = mm_get_huge_zero_folio(k);
    if (userfaultfd_missing(vma)) return handle_userfault(k, vmf, VM_UFFD_MISSING);
    const entry = g.mk_huge_pmd(new Pte(), k.folios.pfn(zslot), vma.vm_page_prot);
    if (k.has(PATCH.hugeZeroPmdSpecial)) g.pte_mkspecial(entry); // pmd_mkspecial (v6.18)
    set_pmd_at(k, vmf.pmd, entry, haddr, 'set_huge_zero_page');
    k.tr?.emit('do_huge_pmd_anonymous_page', 'do_huge_pmd_anonymous_page', { addr: haddr, huge_zero_page: true, pmd: entry.toString() });
    return 0;
  }
  const slot = k.folios.alloc(HPAGE_PMD_ORDER, 0);
  return __do_huge_pmd_anonymous_page(k, vmf, slot);
}

/** __do_huge_pmd_anonymous_page: map a fresh, zeroed THP: dirty, young, writable if VM_WRITE */
function __do_huge_pmd_anonymous_page(k: Kernel, vmf: VmFault, slot: number): number {
  const g = k.pgt;
  const vma = vmf.vma;
  const haddr = haddrOf(vmf.address);
  if (userfaultfd_missing(vma)) {
    folio_put(k, slot);
    return handle_userfault(k, vmf, VM_UFFD_MISSING);
  }
  const pfn = k.folios.pfn(slot);
  const entry = g.mk_huge_pmd(new Pte(), pfn, vma.vm_page_prot);
  maybe_pmd_mkwrite(k, g.pmd_mkdirty(entry), vma);
  folio_add_new_anon_rmap(k, slot, true, vmf.mm);
  vmf.mm.anonPages += HPAGE_PMD_NR;
  set_pmd_at(k, vmf.pmd, entry, haddr, '__do_huge_pmd_anonymous_page');
  // THP_FAULT_ALLOC counts a THP once it is mapped: a fault handed to userfaultfd allocates and frees one uncounted
  k.vmstat.thp_fault_alloc++;
  k.tr?.emit('do_huge_pmd_anonymous_page', '__do_huge_pmd_anonymous_page', { addr: haddr, pfn, pmd: entry.toString() });
  return 0;
}

/** huge_pmd_set_accessed */
export function huge_pmd_set_accessed(k: Kernel, vmf: VmFault): void {
  const g = k.pgt;
  const entry = g.pmd_mkyoung(vmf.orig_pmd.clone());
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  if (write) g.pmd_mkdirty(entry);
  // pmdp_set_access_flags: the arch says what is stored (x86: only a write fault's changed entry)
  const stored = g.set_access_flags(vmf.orig_pmd, entry, write);
  if (stored !== null) set_pmd_at(k, vmf.pmd, stored, haddrOf(vmf.address), 'huge_pmd_set_accessed');
}

/** wp_huge_pmd (mm/memory.c): the uffd-wp hook, then do_huge_pmd_wp_page; a file VMA's PMD (shmem has no huge_fault) is split and the fault falls back to the PTEs */
export function wp_huge_pmd(k: Kernel, vmf: VmFault): number {
  const vma = vmf.vma;
  const unshare = (vmf.flags & FAULT_FLAG_UNSHARE) !== 0;
  if (vma.vm_file !== 0) {
    // COW or write-notify handled on pte level: split pmd
    __split_huge_pmd(k, vmf.mm, vma, vmf.pmd, haddrOf(vmf.address), false);
    k.tr?.emit('wp_huge_pmd', 'wp_huge_pmd', { addr: vmf.address, pmd: vmf.orig_pmd.toString(), action: 'file PMD: split, fall back to the PTEs' });
    return VM_FAULT_FALLBACK;
  }
  if (k.has(PATCH.uffdWp2018Branch) && userfaultfd_wp_2018(vma)) {
    k.tr?.emit('wp_huge_pmd', 'wp_huge_pmd', { addr: vmf.address, pmd: vmf.orig_pmd.toString(), action: 'userfault (VMA flag hook)' });
    return handle_userfault(k, vmf, VM_UFFD_WP);
  }
  if (!unshare && k.has(PATCH.uffdWpFaultHook) && userfaultfd_huge_pmd_wp(k, vma, vmf.orig_pmd)) {
    if (userfaultfd_wp_async(vma)) {
      // WP_ASYNC tracks 4 KiB granularity: split and retry at PTE level
      __split_huge_pmd(k, vmf.mm, vma, vmf.pmd, haddrOf(vmf.address), false);
      return VM_FAULT_FALLBACK;
    }
    k.tr?.emit('wp_huge_pmd', 'wp_huge_pmd', { addr: vmf.address, pmd: vmf.orig_pmd.toString(), action: 'userfault (uffd-wp bit)' });
    return handle_userfault(k, vmf, VM_UFFD_WP);
  }
  return do_huge_pmd_wp_page(k, vmf);
}

/**
 * do_huge_pmd_wp_page: write to a read-only huge PMD.
 * v4.19: reuse when the THP has no other mapping, else copy into a new THP (the huge zero page too).
 * v5.8 "thp: change CoW semantics for anon-THP": no THP copy: split the PMD and COW at PTE level.
 * v5.19 PG_anon_exclusive: reuse an exclusive THP, or one with refcount 1.
 */
export function do_huge_pmd_wp_page(k: Kernel, vmf: VmFault): number {
  const g = k.pgt;
  const vma = vmf.vma;
  const haddr = haddrOf(vmf.address);
  const orig = vmf.orig_pmd;
  const f = k.folios;
  if (is_huge_zero_pmd(k, orig)) {
    if (k.has(PATCH.thpCowSplitsPmd) && !k.has(PATCH.thpZeroWpAllocates)) return fallback(k, vmf, 'huge zero page: split');
    // allocate a fresh THP in place of the huge zero page
    const nslot = f.alloc(HPAGE_PMD_ORDER, 0);
    k.vmstat.thp_fault_alloc++;
    const entry = g.mk_huge_pmd(new Pte(), f.pfn(nslot), vma.vm_page_prot);
    maybe_pmd_mkwrite(k, g.pmd_mkdirty(entry), vma);
    folio_add_new_anon_rmap(k, nslot, true, vmf.mm);
    vmf.mm.anonPages += HPAGE_PMD_NR;
    set_pmd_at(k, vmf.pmd, entry, haddr, 'do_huge_pmd_wp_page');
    k.tr?.emit('do_huge_pmd_wp_page', 'do_huge_pmd_wp_page', { addr: haddr, action: 'new THP for the huge zero page' });
    return VM_FAULT_WRITE;
  }
  const slot = f.slotOf(g.pmd_pfn(orig));
  let reuse: boolean;
  if (k.has(PATCH.anonExclusive)) {
    reuse = f.pageAnonExclusive(slot, f.pfn(slot)) || f.refcount(slot) === 1;
    if (reuse) f.setPageAnonExclusive(slot, f.pfn(slot), true);
    // FAULT_FLAG_UNSHARE (c89357e27f20, with a7f226604170): an exclusive THP needs nothing more; a shared one is split below
    if (reuse && (vmf.flags & FAULT_FLAG_UNSHARE)) return 0;
  } else {
    // reuse_swap_page(head): the THP is mapped once
    reuse = f.folioMapcount(slot) <= HPAGE_PMD_NR && f.mapcount(slot) === 1;
  }
  if (reuse) {
    const entry = g.pmd_mkyoung(orig.clone());
    maybe_pmd_mkwrite(k, g.pmd_mkdirty(entry), vma);
    set_pmd_at(k, vmf.pmd, entry, haddr, 'do_huge_pmd_wp_page');
    k.tr?.emit('do_huge_pmd_wp_page', 'do_huge_pmd_wp_page', { addr: haddr, action: 'reuse' });
    return VM_FAULT_WRITE;
  }
  if (k.has(PATCH.thpCowSplitsPmd)) return fallback(k, vmf, 'shared THP: split');
  // v4.19: copy the whole THP
  const nslot = f.alloc(HPAGE_PMD_ORDER, 0);
  k.vmstat.thp_fault_alloc++;
  const npfn = f.pfn(nslot);
  for (let i = 0; i < HPAGE_PMD_NR; i++) k.data.copyPage(npfn + i, f.pfn(slot) + i);
  const entry = g.mk_huge_pmd(new Pte(), npfn, vma.vm_page_prot);
  maybe_pmd_mkwrite(k, g.pmd_mkdirty(entry), vma);
  folio_add_new_anon_rmap(k, nslot, true, vmf.mm);
  set_pmd_at(k, vmf.pmd, entry, haddr, 'do_huge_pmd_wp_page');
  folio_remove_rmap_pmd(k, slot, vmf.mm);
  folio_put(k, slot);
  k.tr?.emit('do_huge_pmd_wp_page', 'do_huge_pmd_wp_page', { addr: haddr, action: 'copy THP' });
  return VM_FAULT_WRITE;
}

function fallback(k: Kernel, vmf: VmFault, why: string): number {
  __split_huge_pmd(k, vmf.mm, vmf.vma, vmf.pmd, haddrOf(vmf.address), false);
  k.tr?.emit('do_huge_pmd_wp_page', 'do_huge_pmd_wp_page', { addr: vmf.address, action: why });
  return VM_FAULT_FALLBACK;
}


const chpOld = new Pte(), chpEntry = new Pte();
/**
 * change_huge_pmd: rewrite a whole huge PMD. Returns 0 if it is not huge (any more), 1 when skipped,
 * HPAGE_PMD_NR when rewritten. v4.19 has no write upgrade at PMD level; v6.2 adds can_change_pmd_writable.
 */
export function change_huge_pmd(k: Kernel, vma: VmArea, pmd: Slot, addr: number, newprot: Pte, cp_flags: number): number {
  void addr;
  return changeHugePmdWith(k, vma, pmd, pmd.t.get(pmd.i, chpOld), newprot, hugePmdChange(k, cp_flags));
}

/** change_huge_pmd's per-range decisions (HPC_*), taken once for a whole range of PMDs */
export function hugePmdChange(k: Kernel, cp_flags: number): number {
  let hc = 0;
  if (k.has(PATCH.uffdWpApplyBit)) {
    if (cp_flags & MM_CP_UFFD_WP) hc |= HPC_MKUFFD_WP;
    else if (cp_flags & MM_CP_UFFD_WP_RESOLVE) hc |= HPC_CLEAR_UFFD_WP;
  } else if (cp_flags & MM_CP_UFFD_WP) hc |= HPC_WRPROTECT;
  if (k.has(PATCH.hugePmdTryChangeWritable) && (cp_flags & MM_CP_TRY_CHANGE_WRITABLE)) hc |= HPC_TRY_WRITABLE;
  if (cp_flags & MM_CP_PROT_NUMA) hc |= HPC_NUMA;
  return hc;
}
const HPC_MKUFFD_WP = 1, HPC_CLEAR_UFFD_WP = 2, HPC_WRPROTECT = 4, HPC_TRY_WRITABLE = 8, HPC_NUMA = 16;

/**
 * mm/huge_memory.c change_huge_pmd() @v6.18 with the per-range decisions `hc` (hugePmdChange) taken by the
 * caller, on the entry `old` read from pmd: pmd_modify, the uffd-wp bit, can_change_pmd_writable, set_pmd_at.
 * Returns as change_huge_pmd (0: not huge, 1: skipped, HPAGE_PMD_NR: rewritten).
 */
export function changeHugePmdWith(k: Kernel, vma: VmArea, pmd: Slot, old: Pte, newprot: Pte, hc: number): number {
  const g = k.pgt;
  if (!g.pmd_trans_huge(old)) return 0;
  if ((hc & HPC_NUMA) !== 0 && (is_huge_zero_pmd(k, old) || g.pmd_protnone(old))) return 1;
  // pmdp_invalidate: the hardware A/D bits are in `old`
  const entry = g.pmd_modify(chpEntry.copyFrom(old), newprot);
  if (hc & HPC_MKUFFD_WP) g.pmd_mkuffd_wp(entry);
  else if (hc & HPC_CLEAR_UFFD_WP) g.pmd_clear_uffd_wp(entry);
  else if (hc & HPC_WRPROTECT) g.pmd_wrprotect(entry);
  // (the address is made only where it is used: a heap number per entry otherwise)
  if ((hc & HPC_TRY_WRITABLE) !== 0 && !g.pmd_write(entry) && can_change_pmd_writable(k, vma, pmd.t.addrOf(pmd.i), entry)) g.pmd_mkwrite(entry);
  if (k.tr !== null) set_pmd_at(k, pmd, entry, pmd.t.addrOf(pmd.i), 'change_huge_pmd');
  else pmd.t.rewrite(pmd.i, entry.lo, entry.hi); // a huge PMD stays an entry (pmd_modify keeps the pfn)
  return HPAGE_PMD_NR;
}

/**
 * The x86 words of what changeHugePmdWith does to a present huge PMD under decisions `hc`, for
 * change_huge_pmd_direct: pmd_modify's masks and newprot's bits, and its flags (0 when hc asks for
 * what only the general path does: can_change_pmd_writable, NUMA hinting; or newprot is PROT_NONE).
 */
export interface HugePmdDirect {
  maskLo: number;
  maskHi: number;
  protLo: number;
  protHi: number;
  /** HPD_* bits; 0: no direct path */
  mode: number;
  UFFD_WP: number;
  devmapHi: number;
}
// the literals change_huge_pmd_direct computes with
if (_PAGE_PRESENT !== 0x1 || _PAGE_RW !== 0x2 || _PAGE_DIRTY !== 0x40 || _PAGE_PSE !== 0x80 || _PAGE_HI_SAVED_DIRTY !== 0x4000000) {
  throw new Error('change_huge_pmd_direct: its bit literals no longer match pgtable_types.ts');
}
const HPD_ON = 1, HPD_SAVED_DIRTY = 2, HPD_MKUFFD_WP = 4, HPD_CLEAR_UFFD_WP = 8, HPD_WRPROTECT = 16;

/** the direct path's words for hc and newprot on x86 (mode 0 elsewhere, or where the general path must run) */
export function hugePmdDirect(g: X86Pgtable, newprot: Pte, hc: number, out: HugePmdDirect): HugePmdDirect {
  out.mode = 0;
  if ((hc & (HPC_TRY_WRITABLE | HPC_NUMA)) !== 0 || (newprot.lo & _PAGE_PRESENT) === 0) return out;
  // pmd_modify's masks (X86Pgtable.pmd_modify)
  out.maskLo = g.opt.pmdModifyDropsDirty ? (g.hpageChgLo & ~_PAGE_DIRTY) | 0 : g.hpageChgLo;
  out.maskHi = g.chgHi;
  out.protLo = newprot.lo & ~out.maskLo;
  out.protHi = newprot.hi & ~out.maskHi;
  out.UFFD_WP = g.UFFD_WP;
  out.devmapHi = g.devmapHi;
  out.mode = HPD_ON | (g.savedDirty ? HPD_SAVED_DIRTY : 0) | ((hc & HPC_MKUFFD_WP) !== 0 ? HPD_MKUFFD_WP : 0) |
    ((hc & HPC_CLEAR_UFFD_WP) !== 0 ? HPD_CLEAR_UFFD_WP : 0) | ((hc & HPC_WRPROTECT) !== 0 ? HPD_WRPROTECT : 0);
  return out;
}

/**
 * mm/huge_memory.c change_huge_pmd() @v6.18 over the present huge PMDs [i, iEnd) of a table, untraced:
 * changeHugePmdWith's arithmetic (pmd_modify, the saved-dirty moves, the uffd-wp bit) on the entries'
 * words, for the decisions of hugePmdDirect (mode not 0). Every entry is written back, changed or not, as
 * set_pmd_at does. Returns the first index it leaves to the general path (not a present huge PMD), or
 * iEnd. A second copy of the x86 rules, kept for speed (W3 of the bench): test/change-huge-pmd-direct.test.ts
 * checks it against changeHugePmdWith.
 */
export function change_huge_pmd_direct(t: PageTable, i: number, iEnd: number, d: HugePmdDirect): number {
  const PRESENT = 0x1, RW = 0x2, DIRTY = 0x40, PSE = 0x80, HI_SAVED_DIRTY = 0x4000000;
  const maskLo = d.maskLo | 0, maskHi = d.maskHi | 0, protLo = d.protLo | 0, protHi = d.protHi | 0, mode = d.mode | 0;
  const UFFD_WP = d.UFFD_WP | 0, devmapHi = d.devmapHi | 0;
  const savedDirty = mode & HPD_SAVED_DIRTY, mkUffdWp = mode & HPD_MKUFFD_WP, clearUffdWp = mode & HPD_CLEAR_UFFD_WP;
  const wrprotect = mode & HPD_WRPROTECT;
  const recording = t.recording, watched = t.watched;
  for (; i < iEnd; i++) {
    if (recording) t.noteRead(i);
    const w = t.wordIndex(i);
    const words = t.words(i);
    const lo = words === undefined ? 0 : words[w & 63]!, hi = words === undefined ? 0 : words[(w & 63) + 1]!;
    // pmd_present with _PAGE_PRESENT (not PROT_NONE: pmd_modify inverts its pfn), pmd_trans_huge
    if ((lo & PRESENT) === 0 || (lo & PSE) === 0 || (hi & devmapHi) !== 0) break;
    let nlo = (lo & maskLo) | protLo, nhi = (hi & maskHi) | protHi;
    if (savedDirty !== 0) {
      // pmd_modify: mksaveddirty if the old entry was writable, else clear_saveddirty
      if ((lo & RW) !== 0) {
        if ((nlo & (RW | DIRTY)) === DIRTY) { nhi |= HI_SAVED_DIRTY; nlo &= ~DIRTY; }
      } else if ((nlo & RW) !== 0 && (nhi & HI_SAVED_DIRTY) !== 0) { nlo |= DIRTY; nhi &= ~HI_SAVED_DIRTY; }
    }
    if (mkUffdWp !== 0 || wrprotect !== 0) {
      // pmd_mkuffd_wp (the bit, then pmd_wrprotect) / pmd_wrprotect: a dirty bit is saved once write is clear
      if (mkUffdWp !== 0) nlo |= UFFD_WP;
      nlo &= ~RW;
      if (savedDirty !== 0 && (nlo & DIRTY) !== 0) { nhi |= HI_SAVED_DIRTY; nlo &= ~DIRTY; }
    } else if (clearUffdWp !== 0) nlo &= ~UFFD_WP;
    // PageTable.rewrite: written back (and recorded) even when equal
    const own = t.wordsW(i);
    own[w & 63] = nlo;
    own[(w & 63) + 1] = nhi;
    if (watched) t.wrote(i, lo, hi, nlo, nhi);
  }
  return i;
}

/** __split_huge_pmd: split the huge PMD at haddr into a table of 512 PTEs (the folio stays whole) */
export function __split_huge_pmd(k: Kernel, mm: MmStruct, vma: VmArea, pmd: Slot, haddr: number, freeze: boolean): void {
  const e = pmd.t.get(pmd.i, new Pte());
  if (!k.pgt.pmd_trans_huge(e)) return;
  const slot = k.folios.slotOf(k.pgt.pmd_pfn(e));
  if (slot >= 0 && !k.folios.test(slot, PG_anon) && !k.folios.test(slot, PG_zero)) return __split_huge_pmd_file(k, mm, pmd, haddr, e, slot);
  if (slot >= 0) k.folios.clearFlag(slot, PG_mlocked);
  __split_huge_pmd_locked(k, mm, vma, pmd, haddr, freeze);
}

/** __split_huge_zero_page_pmd: 512 special PTEs of the zero page (uffd-wp carried from v6.3 42b2af2c9b7e) */
function __split_huge_zero_page_pmd(k: Kernel, mm: MmStruct, vma: VmArea, pmd: Slot, haddr: number, old: Pte): void {
  const g = k.pgt;
  const uffd_wp = k.has(PATCH.hugeZeroSplitKeepsUffdWp) && g.pmd_uffd_wp(old);
  pmd.t.clear(pmd.i);
  const t = pte_alloc(k, mm, pmd);
  const entry = new Pte();
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    g.pte_mkspecial(g.pfn_pte(entry, k.zero_pfn, vma.vm_page_prot));
    if (uffd_wp) g.pte_mkuffd_wp(entry);
    t.set(i, entry);
  }
  k.tr?.emit('split_huge_pmd', '__split_huge_zero_page_pmd', { addr: haddr, old_pmd: old.toString(), pte: entry.toString() });
}

/**
 * __split_huge_pmd_locked: how each PTE is built from the old PMD is where versions differ most:
 * - v4.19: maybe_mkwrite, pte_wrprotect unless the PMD was writable, mkold unless young,
 *   mksoft_dirty; never pte_mkdirty (the PMD's dirty bit goes to PG_dirty of the head page)
 * - 2018 proposal (Peter Xu): pte_mkdirty when the PMD was dirty
 * - v5.7: pte_mkuffd_wp when the PMD had _PAGE_UFFD_WP
 * - v5.19: every subpage inherits PageAnonExclusive
 * - v6.1-rc1 0ccf7f168e17 pte_mkdirty; v6.1 624a2c94f5b7 takes it out again; v6.2 e833bc503405 puts it back
 */
export function __split_huge_pmd_locked(k: Kernel, mm: MmStruct, vma: VmArea, pmd: Slot, haddr: number, _freeze: boolean): void {
  const g = k.pgt;
  const f = k.folios;
  k.vmstat.thp_split_pmd++;
  const old = pmd.t.get(pmd.i, new Pte());
  if (is_huge_zero_pmd(k, old)) {
    __split_huge_zero_page_pmd(k, mm, vma, pmd, haddr, old);
    return;
  }
  // pmdp_invalidate: from here the old value (with the hardware A/D bits) is what counts
  const pfn = g.pmd_pfn(old);
  const slot = f.slotOf(pfn);
  const dirty = g.pmd_dirty(old);
  if (dirty) f.setFlag(slot, PG_dirty); // SetPageDirty(page) / folio_set_dirty(folio)
  const write = g.pmd_write(old);
  const young = g.pmd_young(old);
  const soft_dirty = k.has(PATCH.softDirtyThpSplit) && g.pmd_soft_dirty(old);
  const uffd_wp = k.has(PATCH.uffdWpApplyBit) && g.pmd_uffd_wp(old);
  const anon_exclusive = k.has(PATCH.anonExclusive) && f.pageAnonExclusive(slot, pfn);
  f.setRefcount(slot, f.refcount(slot) + HPAGE_PMD_NR - 1);

  // on x86 the order of pte_wrprotect and pte_mkdirty, and maybe_mkwrite + wrprotect versus a plain
  // mkwrite when the PMD was writable (v6.4 5436d6556937 / 1462c52e9f2b), give the same entry
  const mkdirty =
    k.has(PATCH.peterx2018SplitMkdirty) ||
    (k.has(PATCH.thpSplitCarriesDirty) && !k.has(PATCH.thpSplitDirtyPartlyReverted)) ||
    k.has(PATCH.thpSplitReapplyMkdirty);
  const reapply = k.has(PATCH.thpSplitReapplyMkdirty);

  // the deposited page table becomes the PTE table (pgtable_trans_huge_withdraw + pmd_populate)
  pmd.t.clear(pmd.i);
  const t = pte_alloc(k, mm, pmd);
  const entry = new Pte();
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    g.pfn_pte(entry, pfn + i, vma.vm_page_prot);
    maybe_mkwrite(k, entry, vma);
    // e833bc503405 moved pte_wrprotect after pte_mkdirty, for the archs whose mkdirty sets the write bit
    if (!write && !reapply) g.pte_wrprotect(entry);
    if (!young) g.pte_mkold(entry);
    if (mkdirty && dirty) g.pte_mkdirty(entry);
    if (!write && reapply) g.pte_wrprotect(entry);
    if (soft_dirty) g.pte_mksoft_dirty(entry);
    if (uffd_wp) g.pte_mkuffd_wp(entry);
    t.set(i, entry);
  }
  folio_add_anon_rmap_ptes(k, slot, pfn, HPAGE_PMD_NR, anon_exclusive, mm);
  folio_remove_rmap_pmd(k, slot, mm);
  k.tr?.emit('split_huge_pmd', '__split_huge_pmd_locked', {
    addr: haddr, old_pmd: old.toString(), dirty, write, young, soft_dirty, uffd_wp,
    first_pte: t.get(0, new Pte()).toString(),
  });
  void pte_index;
  void tableEntry;
  void PAGE_SIZE;
  void VM_UFFD_WP;
}

/** zap_huge_pmd: unmap a whole huge PMD (a page-cache folio's: the file rss, and a dirty PMD dirties the folio) */
export function zap_huge_pmd(k: Kernel, mm: MmStruct, _vma: VmArea, pmd: Slot, addr: number): void {
  const e = pmd.t.get(pmd.i, new Pte());
  pmd.t.clear(pmd.i);
  if (is_huge_zero_pmd(k, e)) return;
  const slot = k.folios.slotOf(k.pgt.pmd_pfn(e));
  folio_remove_rmap_pmd(k, slot, mm);
  if (k.folios.test(slot, PG_anon)) mm.anonPages -= HPAGE_PMD_NR;
  else {
    mm.shmemPages -= HPAGE_PMD_NR;
    if (k.pgt.pmd_dirty(e)) k.folios.setFlag(slot, PG_dirty);
  }
  folio_put(k, slot);
  k.tr?.emit('zap_huge_pmd', 'zap_huge_pmd', { addr });
}


/**
 * every page-table entry, in every address space, that maps a page of the folio at slot (the rmap walk);
 * a PROT_NONE entry maps its page too (pte_present: PRESENT or PROTNONE; its pfn is stored inverted)
 */
export function folio_mappings(k: Kernel, slot: number): { mm: MmStruct; t: PageTable; i: number; level: number }[] {
  const g = k.pgt;
  const f = k.folios;
  const base = f.pfn(slot), end = base + f.nrPages(slot);
  const out: { mm: MmStruct; t: PageTable; i: number; level: number }[] = [];
  const e = new Pte();
  for (const mm of k.mms) {
    for (const t of mm.tables.values()) {
      if (t.level !== LEVEL_PMD && t.level !== LEVEL_PTE) continue;
      for (let i = 0; i < 512; i++) {
        const lo = t.lo(i);
        if (!(lo & g.presentLo)) continue;
        if (t.level === LEVEL_PMD && !g.pmd_leaf_lo(lo)) continue;
        const pfn = g.pte_pfn(t.get(i, e));
        if (pfn >= base && pfn < end) out.push({ mm, t, i, level: t.level });
      }
    }
  }
  return out;
}

/**
 * split_huge_page (mm/huge_memory.c split_huge_page_to_list_to_order): PMD mappings are split first
 * (TTU_SPLIT_HUGE_PMD), the PTEs go through migration entries and come back mapping order-0 folios.
 * Before v6.1 2e3468778dbe the returning PTE is rebuilt old and clean (soft-dirty and write kept);
 * from v6.1 migration entries remember the accessed and dirty bits. Returns 0, or -EBUSY when the
 * folio has references other than its mappings.
 */
export function split_huge_page(k: Kernel, slot: number): number {
  const g = k.pgt;
  const f = k.folios;
  if (!f.isLarge(slot) || !f.test(slot, PG_anon) || f.test(slot, PG_zero)) return -16;
  // the racy can_split_folio before unmap_folio splits the PMDs: a folio with other references (a pin)
  // keeps its PMD mappings (measured: MADV_PAGEOUT of part of a pinned THP leaves it whole)
  let mapRefs = f.mapcount(slot); // a reference per PMD mapping, and per PTE mapping of a page
  if (f.hasSub(slot)) for (let i = 0, n = f.nrPages(slot); i < n; i++) mapRefs += f.subMapcount(slot, i);
  if (f.refcount(slot) !== mapRefs) return -16;
  const mappings = folio_mappings(k, slot);
  const queues = unmap_folio_queues_deferred_split(k, slot, mappings);
  for (const mp of mappings) {
    if (mp.level !== LEVEL_PMD) continue;
    const vma = vma_lookup(k, mp.mm, mp.t.addrOf(mp.i));
    if (vma) __split_huge_pmd(k, mp.mm, vma, { t: mp.t, i: mp.i }, mp.t.addrOf(mp.i), true);
  }
  if (f.refcount(slot) !== f.folioMapcount(slot)) return -16; // can_split_folio
  if (queues) {
    // deferred_split_folio(folio, true); the split takes it off the queue again
    f.setFlag(slot, PG_deferred_split);
    k.vmstat.thp_deferred_split_page++;
  }
  const keepAD = k.has(PATCH.migrationKeepsYoungDirty);
  const base = f.pfn(slot);
  const e = new Pte();
  for (const mp of folio_mappings(k, slot)) {
    const vma = vma_lookup(k, mp.mm, mp.t.addrOf(mp.i));
    if (!vma) continue;
    mp.t.get(mp.i, e);
    // remove_migration_pte
    const pfn = g.pte_pfn(e);
    if (k.has(PATCH.thpSplitRemapZeropage) && try_to_map_unused_to_zeropage(k, mp.mm, vma, slot, pfn - base, { t: mp.t, i: mp.i }, e)) continue;
    const n = g.pfn_pte(new Pte(), pfn, vma.vm_page_prot);
    if (keepAD) {
      if (!g.pte_young(e)) g.pte_mkold(n);
      if (g.pte_dirty(e)) g.pte_mkdirty(n);
    } else g.pte_mkold(n);
    if (g.pte_soft_dirty(e)) g.pte_mksoft_dirty(n);
    if (g.pte_uffd_wp(e)) g.pte_mkuffd_wp(n);
    else if (g.pte_write(e)) maybe_mkwrite(k, n, vma);
    mp.t.set(mp.i, n);
  }
  const slots = f.splitLarge(slot);
  slots.forEach((s, i) => {
    if (f.refcount(s) === 0) {
      k.data.clearPage(base + i);
      f.free(s);
    }
  });
  k.vmstat.thp_split_page++;
  k.tr?.emit('split_huge_page', 'split_huge_page', { pfn: base });
  return 0;
}

/**
 * unmap_folio (mm/huge_memory.c @v6.18): try_to_migrate's rmap walk turns each mapping into migration
 * entries in turn, a PMD whole (split with freeze) and a PTE one page at a time. __folio_remove_rmap queues
 * the folio for deferred split (thp_deferred_split_page +1, once) when a PTE's removal leaves its page
 * unmapped while the folio is still mapped, or the last PMD's leaves it mapped only in part. The model
 * changes the entries itself (split_huge_page); this is the accounting of the walk: will it queue?
 */
function unmap_folio_queues_deferred_split(k: Kernel, slot: number, mappings: { level: number; t: PageTable; i: number }[]): boolean {
  const f = k.folios;
  if (f.test(slot, PG_deferred_split)) return false;
  const n = f.nrPages(slot);
  const base = f.pfn(slot);
  const pages = f.isLarge(slot) ? f.subMapcounts(slot) : new Int32Array(n);
  let entire = f.mapcount(slot);
  let ptemapped = 0;
  for (let i = 0; i < n; i++) if (pages[i]! > 0) ptemapped++;
  const e = new Pte();
  for (const mp of mappings) {
    let partial = false;
    if (mp.level === LEVEL_PMD) {
      if (--entire === 0) partial = ptemapped > 0;
    } else {
      const i = k.pgt.pte_pfn(mp.t.get(mp.i, e)) - base;
      if (--pages[i]! === 0) {
        ptemapped--;
        partial = entire === 0 && ptemapped > 0;
      }
    }
    if (partial) return true;
  }
  return false;
}

/**
 * try_to_map_unused_to_zeropage (mm/migrate.c @v6.12, v6.18): a zero-filled page of a THP being split maps
 * the shared zero page instead (special, the VMA's protection; soft-dirty and uffd-wp carried over from
 * 9658d698a8a8), and the mm's rss drops by the page. Not for an mlocked folio or VM_LOCKED VMA, nor where
 * mm_forbids_zeropage() holds.
 */
function try_to_map_unused_to_zeropage(k: Kernel, mm: MmStruct, vma: VmArea, slot: number, idx: number, pte: Slot, old: Pte): boolean {
  const g = k.pgt;
  const f = k.folios;
  if (f.test(slot, PG_mlocked) || (vma.vm_flags & VM_LOCKED) || mm_forbids_zeropage(k, mm)) return false;
  const pfn = f.pfn(slot) + idx;
  if (!k.data.isZero(pfn)) return false;
  const n = g.pte_mkspecial(g.pfn_pte(new Pte(), k.zero_pfn, vma.vm_page_prot));
  if (k.has(PATCH.thpSplitZeropageKeepsWp)) {
    if (g.pte_soft_dirty(old)) g.pte_mksoft_dirty(n);
    if (g.pte_uffd_wp(old)) g.pte_mkuffd_wp(n);
  }
  pte.t.set(pte.i, n);
  f.setSubMapcount(slot, idx, f.subMapcount(slot, idx) - 1);
  mm.anonPages--;
  k.tr?.emit('set_pte', 'try_to_map_unused_to_zeropage', { addr: pte.t.addrOf(pte.i), old: old.toString(), new: n.toString() });
  return true;
}

/** debugfs split_huge_pages for one process and range (split_huge_pages_pid): the number of THPs split */
export function split_huge_pages_range(k: Kernel, mm: MmStruct, start: number, len: number): number {
  let split = 0;
  const seen = new Set<number>();
  for (let a = start; a < start + len; a += PAGE_SIZE) {
    const pfn = follow_pfn(k, mm, a);
    if (pfn < 0) continue;
    const slot = k.folios.slotOf(pfn);
    // split_huge_pages_pid: only THPs (a page of the hugetlb pool is never split this way)
    if (slot < 0 || !k.folios.isLarge(slot) || seen.has(slot) || (k.folios.flags(slot) & PG_hugetlb)) continue;
    seen.add(slot);
    if (split_huge_page(k, slot) === 0) split++;
  }
  return split;
}

/**
 * PageAnonExclusive() of the huge zero page, as UFFDIO_MOVE asked it before 5d4747a6cc8e: the page is not
 * anonymous, so a CONFIG_DEBUG_VM kernel hits VM_BUG_ON_PGFLAGS(!PageAnon(page)) and oopses; without it
 * the flag reads clear (false: the move is refused with EBUSY)
 */
export function huge_zero_anon_exclusive(k: Kernel, addr: number): false {
  if (k.config.debug_vm) {
    throw new KernelBug('include/linux/page-flags.h (PageAnonExclusive)', `VM_BUG_ON_PGFLAGS(!PageAnon(page)): UFFDIO_MOVE of the huge zero page at 0x${addr.toString(16)}`);
  }
  return false;
}

/**
 * mm/huge_memory.c move_pages_huge_pmd() @v6.8, @v6.9, @v6.18: UFFDIO_MOVE of a whole, aligned huge PMD into
 * an empty PMD; 0 or -errno. A THP must be exclusive and unpinned; it arrives dirty and writable. The huge
 * zero PMD: an oops or EBUSY before 5d4747a6cc8e, EBUSY until eb1521dad8f3 (v6.9), then moved; from
 * fae654083bfa (v7.0, in 6.18.y) the entry itself moves, made soft-dirty and without uffd-wp.
 */
export function move_pages_huge_pmd(k: Kernel, mm: MmStruct, dst_pmd: Slot, src_pmd: Slot, dst_vma: VmArea, dst_addr: number, src_addr: number): number {
  const g = k.pgt, f = k.folios;
  const src = src_pmd.t.get(src_pmd.i, new Pte());
  if (!g.pmd_trans_huge(src)) return -2;
  const pfn = g.pmd_pfn(src);
  let e: Pte;
  if (is_huge_zero_pmd(k, src)) {
    if (!k.has(PATCH.uffdMoveHugeZeroPage)) return huge_zero_anon_exclusive(k, src_addr) ? 0 : -16;
    // with 5d4747a6cc8e alone move_pages refuses a huge zero PMD before calling this
    if (!k.has(PATCH.uffdMoveZeropage)) return -16;
    src_pmd.t.clear(src_pmd.i);
    if (k.has(PATCH.uffdMoveHugeZeroPmdKeep)) {
      // fae654083bfa: the source entry itself (special from d82d09e48219), as move_huge_pmd treats one
      e = src.clone();
      if (k.config.soft_dirty) g.pmd_mksoft_dirty(e); // move_soft_dirty_pmd
      g.pmd_clear_uffd_wp(e);
    } else {
      // eb1521dad8f3: mk_huge_pmd(src_page, vm_page_prot); from e3981db444a0 (v6.16) folio_mk_pmd of a NULL
      // folio, a bogus pfn on SPARSEMEM_VMEMMAP, which the model does not reproduce (docs/fidelity.md)
      e = g.mk_huge_pmd(new Pte(), pfn, dst_vma.vm_page_prot);
    }
  } else {
    const slot = f.slotOf(pfn);
    if (!f.pageAnonExclusive(slot, pfn) || folio_maybe_dma_pinned(k, slot)) return -16;
    src_pmd.t.clear(src_pmd.i);
    // folio_move_anon_rmap and folio->index are not modelled (docs/fidelity.md); "follow mremap(): dirty"
    e = g.mk_huge_pmd(new Pte(), pfn, dst_vma.vm_page_prot);
    g.pmd_mkwrite(g.pmd_mkdirty(e));
  }
  set_pmd_at(k, dst_pmd, e, dst_addr, 'move_pages_huge_pmd');
  return 0;
}

/**
 * mm/huge_memory.c __split_huge_pmd_locked() @v6.18 for a page-cache folio (!vma_is_anonymous): no PTE table
 * is deposited for it, so the PMD is cleared and the pages refault; a dirty PMD dirties the folio, a young
 * one marks it referenced; the mapping's reference and the file rss go (shmthp)
 */
function __split_huge_pmd_file(k: Kernel, mm: MmStruct, pmd: Slot, haddr: number, old: Pte, slot: number): void {
  const g = k.pgt, f = k.folios;
  k.vmstat.thp_split_pmd++;
  pmd.t.clear(pmd.i);
  if (!f.test(slot, PG_dirty) && g.pmd_dirty(old)) f.setFlag(slot, PG_dirty);
  if (!f.test(slot, PG_referenced) && g.pmd_young(old)) f.setFlag(slot, PG_referenced);
  folio_remove_rmap_pmd(k, slot, mm);
  folio_put(k, slot);
  mm.shmemPages -= HPAGE_PMD_NR;
  k.tr?.emit('split_huge_pmd', '__split_huge_pmd_locked', { addr: haddr, old_pmd: old.toString(), file: true });
}

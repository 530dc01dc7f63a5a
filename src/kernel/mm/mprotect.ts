// change_protection and mprotect (mm/mprotect.c @v4.19, @v6.1, @v6.6, @v6.18).
import type { Leaf } from '../../state/store.js';
import type { Kernel } from '../kernel.js';
import { Pte } from '../arch/x86/include/pte.js';
import { X86Pgtable } from '../arch/x86/include/pgtable.js';
import {
  HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SIZE, PMD_SIZE, _PAGE_DIRTY, _PAGE_HI_SAVED_DIRTY, _PAGE_PRESENT, _PAGE_RW, _PAGE_SPECIAL,
} from '../arch/x86/include/pgtable_types.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { hugetlb_change_protection } from './hugetlb.js';
import { VM_UFFD_WP, VM_ACCOUNT, VM_NORESERVE, VM_ACCESS_FLAGS, VM_HUGETLB, VM_SHARED, VM_SOFTDIRTY, VM_STICKY, VM_WRITE } from '../include/vm_flags.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../include/uapi.js';
import { fail } from '../include/errno.js';
import { PATCH } from '../../profiles/patches.js';
import { PageTable, pte_index, Slot } from './pgtable.js';
import { FolioStore, PG_anon, PG_anon_exclusive, PG_dirty } from './folio.js';
import { vm_normal_page, set_pte_at, PTE_MARKER_UFFD_WP, SWP_PTE_MARKER, isUffdWpMarker } from './memory.js';
import { change_huge_pmd, change_huge_pmd_direct, changeHugePmdWith, hugePmdChange, hugePmdDirect, set_pmd_at, __split_huge_pmd, type HugePmdDirect } from './huge_memory.js';
import { MM_CP_PROT_NUMA, MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP, MM_CP_UFFD_WP_RESOLVE } from '../include/mm_cp.js';
import { calc_vm_prot_bits, vma_is_anonymous, vma_modify, vma_set_page_prot, vma_wants_writenotify, vmas_in } from './mmap.js';
import { userfaultfd_pte_wp, userfaultfd_wp_use_markers } from '../fs/userfaultfd.js';
import { swpOffsetOf } from './swapfile.js';
import { is_migration_entry, make_readable_migration, migrationKind } from './migrate.js';
import { notModelled } from '../include/errno.js';
import { pmdAllocTable, pmdTable, pte_alloc, pte_offset_map } from './pagewalk.js';
import { pmd_index } from './pgtable.js';

/** vma_soft_dirty_enabled: soft-dirty tracking is on for this VMA (config y and VM_SOFTDIRTY cleared) */
export function vma_soft_dirty_enabled(k: Kernel, vma: VmArea): boolean {
  return k.config.soft_dirty && (vma.vm_flags & VM_SOFTDIRTY) === 0;
}

/** the per-VMA part of can_change_pte_writable, computed once per range */
export interface WritableCheck {
  vmaWritable: boolean;
  shared: boolean;
  needDirty: boolean;
  /** soft-dirty tracking needs the write fault when the entry is not soft-dirty */
  softDirtyWp: boolean;
  uffdVma: boolean;
}

export function writable_check(k: Kernel, vma: VmArea): WritableCheck {
  return {
    vmaWritable: (vma.vm_flags & VM_WRITE) !== 0,
    shared: (vma.vm_flags & VM_SHARED) !== 0,
    needDirty: !k.has(PATCH.mprotectCleanAnonWritable),
    softDirtyWp: softDirtyNeedsWp(k, vma, false),
    uffdVma: (vma.vm_flags & VM_UFFD_WP) !== 0,
  };
}

/**
 * can_change_pte_writable: may mprotect/uffd-unprotect set the write bit without a fault?
 * v6.0 64fe24a3e05e (exclusive anon, dirty PTE required; soft-dirty test inverted until 76aefad628aa),
 * v6.2 d84887739d5c (no dirty requirement for anon).
 */
export function can_change_pte_writable(k: Kernel, vma: VmArea, addr: number, pte: Pte): boolean {
  return pte_writable_ok(k, writable_check(k, vma), pte);
}

/** can_change_pte_writable's per-entry tests, given the VMA's */
export function pte_writable_ok(k: Kernel, c: WritableCheck, pte: Pte): boolean {
  const g = k.pgt;
  if (!c.vmaWritable) return false;
  if (g.pte_protnone(pte)) return false;
  if (c.needDirty && !g.pte_dirty(pte)) return false;
  if (c.softDirtyWp && !g.pte_soft_dirty(pte)) return false;
  if (c.uffdVma && g.pte_uffd_wp(pte)) return false;
  if (!c.shared) {
    // vm_normal_page() is anon and PageAnonExclusive(); special PTEs (the zero page) have no page
    if (g.pte_special(pte)) return false;
    return k.folios.anonExclusiveAt(g.pte_pfn(pte));
  }
  return g.pte_dirty(pte);
}

/** the soft-dirty test of can_change_*_writable, before and after 76aefad628aa */
function softDirtyNeedsWp(k: Kernel, vma: VmArea, entrySoftDirty: boolean): boolean {
  if (k.has(PATCH.softDirtyCanChangeFix)) return vma_soft_dirty_enabled(k, vma) && !entrySoftDirty;
  // 64fe24a3e05e as merged: VM_SOFTDIRTY *set* was taken to mean "tracking on"
  return (vma.vm_flags & VM_SOFTDIRTY) !== 0 && !entrySoftDirty;
}

/** can_change_pmd_writable (v6.2 c27f479ef542) */
export function can_change_pmd_writable(k: Kernel, vma: VmArea, addr: number, pmd: Pte): boolean {
  const g = k.pgt;
  if (!(vma.vm_flags & VM_WRITE)) return false;
  if (g.pmd_protnone(pmd)) return false;
  if (softDirtyNeedsWp(k, vma, g.pmd_soft_dirty(pmd))) return false;
  if ((vma.vm_flags & 0x1000) && g.pmd_uffd_wp(pmd)) return false; // userfaultfd_huge_pmd_wp
  if (!(vma.vm_flags & VM_SHARED)) {
    const slot = k.folios.slotOf(g.pmd_pfn(pmd));
    return slot >= 0 && k.folios.test(slot, PG_anon) && k.folios.pageAnonExclusive(slot, k.folios.pfn(slot));
  }
  void addr;
  return g.pmd_dirty(pmd);
}


// temporaries of change_pte_range and change_protection (neither is re-entered)
const cprEntry = new Pte();
const cprOld = new Pte();
const cpPmd = new Pte();

/**
 * change_pte_range: apply newprot (and the uffd-wp flags) to the present PTEs of [addr,end) in one
 * table. Returns the number of entries visited or changed, as the kernel counts them.
 */
export function change_pte_range(k: Kernel, vma: VmArea, t: PageTable, addr: number, end: number, newprot: Pte, cp_flags: number): number {
  const g = k.pgt;
  // 292924b26024 (v5.7) gives MM_CP_UFFD_WP / _RESOLVE their meaning: set or clear _PAGE_UFFD_WP
  const applyBit = k.has(PATCH.uffdWpApplyBit);
  const uffd_wp = applyBit && (cp_flags & MM_CP_UFFD_WP) !== 0;
  const uffd_wp_resolve = applyBit && (cp_flags & MM_CP_UFFD_WP_RESOLVE) !== 0;
  const tryWritable = (cp_flags & MM_CP_TRY_CHANGE_WRITABLE) !== 0;
  const modern = k.has(PATCH.mprotectExclusiveAnonWritable);
  const pageDirty2018 = k.has(PATCH.peterx2018PageDirty);
  const batching = k.has(PATCH.mprotectPteBatching);
  const useMarkers = uffd_wp && userfaultfd_wp_use_markers(k, vma);
  const tracing = k.tr !== null;
  const wc = modern && tryWritable ? writable_check(k, vma) : null;
  let pages = 0;
  const e = cprEntry;
  const old = cprOld;
  const first = pte_index(addr);
  const n = Math.round((end - addr) / PAGE_SIZE);
  const f = k.folios;
  // The direct path (change_pte_direct) where nothing else watches the writes (no tracing); v6.0+
  // (mprotectExclusiveAnonWritable) only, and a present newprot (PROT_NONE inverts the pfn).
  // MM_CP_PROT_NUMA and MM_CP_UFFD_WP with a writable check are left to it too (no caller asks for them).
  // The direct path is a copy of the x86 rules (X86Pgtable): other architectures take the general path.
  const x86 = g instanceof X86Pgtable ? g : null;
  const direct = x86 !== null && modern && !tracing && (newprot.lo & _PAGE_PRESENT) !== 0 &&
    (cp_flags & MM_CP_PROT_NUMA) === 0 && !(uffd_wp && wc !== null);
  let mode = 0, chgLo = 0, chgHi = 0, protLo = 0, protHi = 0;
  if (direct && x86 !== null) {
    chgLo = x86.chgLo;
    chgHi = x86.chgHi;
    protLo = newprot.lo & ~chgLo;
    protHi = newprot.hi & ~chgHi;
    const wr = wc !== null && wc.vmaWritable ? wc : null;
    mode = (x86.savedDirty ? D_SAVED_DIRTY : 0) | (uffd_wp ? D_UFFD_WP : 0) | (uffd_wp_resolve ? D_UFFD_WP_RESOLVE : 0);
    if (wr !== null) {
      mode |= D_WRITABLE | (wr.needDirty ? D_NEED_DIRTY : 0) | (wr.softDirtyWp ? D_SOFT_DIRTY_WP : 0) |
        (wr.uffdVma ? D_UFFD_VMA : 0) | (wr.shared ? D_SHARED : 0);
    }
    // the folio tells a large one (batching, per-subpage PageAnonExclusive) from a small one
    if (batching || (wr !== null && !wr.shared)) mode |= D_NEED_SLOT;
  }
  for (let j = 0; j < n; j++) {
    if (direct) {
      const stop = change_pte_direct(t, f, first + j, first + n, chgLo, chgHi, protLo, protHi, mode, x86!.UFFD_WP, x86!.SOFT_DIRTY);
      pages += stop - (first + j);
      j = stop - first;
      if (j >= n) break;
    }
    const i = first + j;
    const lo = t.lo(i), hi = t.hi(i);
    if (lo === 0 && hi === 0) {
      if (useMarkers) {
        g.swp_entry_to_pte(e, SWP_PTE_MARKER, PTE_MARKER_UFFD_WP);
        t.set(i, e);
        pages++;
      }
      continue;
    }
    if ((lo & g.presentLo) === 0) {
      // not present: a uffd-wp PTE marker, or a swap PTE of the device
      old.set(lo, hi);
      if (isUffdWpMarker(k, old)) {
        if (uffd_wp_resolve) {
          t.clear(i);
          pages++;
        }
        continue;
      }
      if (is_migration_entry(k, old)) {
        if (change_migration_entry(k, old, e, uffd_wp, uffd_wp_resolve, false)) {
          t.set(i, e);
          pages++;
        }
        continue;
      }
      if (swpOffsetOf(k, old) >= 0 && k.has(PATCH.swpUffdWp)) {
        // change_pte_range @v6.18: a swap PTE takes or loses its uffd-wp bit (pages++ only when it changed)
        const n = old.clone();
        if (uffd_wp) g.pte_swp_mkuffd_wp(n);
        else if (uffd_wp_resolve) g.pte_swp_clear_uffd_wp(n);
        if (!n.equals(old)) {
          t.set(i, n);
          pages++;
        }
      }
      continue;
    }
    const a = addr + j * PAGE_SIZE;
    old.lo = lo;
    old.hi = hi;
    // mprotect PTE batching (v6.17): PTEs mapping consecutive pages of one large folio, equal but for A/D
    let nr = 1;
    if (batching && !g.pte_special(old)) {
      const pfn = g.pte_pfn(old);
      if (f.isLargePfn(pfn)) nr = folio_pte_batch(k, t, i, Math.min(n - j, 512 - i), f.slotOf(pfn), old);
    }
    e.lo = lo;
    e.hi = hi;
    if (nr > 1) {
      // modify_prot_start_ptes: the batch's accessed/dirty bits gather on the first entry
      for (let b = 1; b < nr; b++) g.batch_gather(e, t.lo(i + b), t.hi(i + b));
    }
    g.pte_modify(e, newprot);
    if (uffd_wp) {
      g.pte_wrprotect(e);
      g.pte_mkuffd_wp(e);
    } else if (uffd_wp_resolve) {
      g.pte_clear_uffd_wp(e);
    }
    let writableMask: boolean[] | null = null;
    if (!modern) {
      // v4.19 "Avoid taking write faults for known dirty pages" (dirty_accountable)
      let dirty = g.pte_dirty(e);
      if (!dirty && pageDirty2018) {
        const s = vm_normal_page(k, vma, e);
        dirty = s >= 0 && k.folios.test(s, PG_dirty); // PageDirty() is PF_HEAD
      }
      if (tryWritable && dirty && (g.pte_soft_dirty(e) || !(vma.vm_flags & VM_SOFTDIRTY))) g.pte_mkwrite(e);
    } else if (tryWritable && !g.pte_write(e)) {
      if (nr === 1) {
        if (pte_writable_ok(k, wc!, e)) g.pte_mkwrite(e);
      } else {
        // maybe_change_pte_writable + commit_anon_folio_batch: runs of equal PageAnonExclusive
        writableMask = [];
        const probe = e.clone();
        for (let b = 0; b < nr; b++) {
          // e's bits with the pfn of page b
          g.pte_advance_pfn(probe.copyFrom(e), b);
          writableMask.push(pte_writable_ok(k, wc!, probe));
        }
      }
    }
    if (nr === 1) {
      if (e.lo !== lo || e.hi !== hi) {
        if (tracing) set_pte_at(k, { t, i }, e, a, 'change_pte_range');
        else t.setRaw(i, e.lo, e.hi);
      }
    } else {
      const w = new Pte();
      for (let b = 0; b < nr; b++) {
        // set_ptes: each next entry by pte_advance_pfn (a PROT_NONE entry keeps its pfn inverted)
        g.pte_advance_pfn(w.copyFrom(e), b);
        if (writableMask && writableMask[b]) g.pte_mkwrite(w);
        const s: Slot = { t, i: i + b };
        if (tracing) set_pte_at(k, s, w, a + b * PAGE_SIZE, 'change_pte_range');
        else t.set(i + b, w);
      }
    }
    pages += nr;
    j += nr - 1;
  }
  return pages;
}

const D_SAVED_DIRTY = 1, D_UFFD_WP = 2, D_UFFD_WP_RESOLVE = 4, D_WRITABLE = 8, D_NEED_DIRTY = 16, D_SOFT_DIRTY_WP = 32,
  D_UFFD_VMA = 64, D_SHARED = 128, D_NEED_SLOT = 256;
// the literals change_pte_direct computes with (and the folio cell layout)
if (_PAGE_PRESENT !== 0x1 || _PAGE_RW !== 0x2 || _PAGE_DIRTY !== 0x40 || _PAGE_SPECIAL !== 0x200 ||
    _PAGE_HI_SAVED_DIRTY !== 0x4000000 || (PG_anon | PG_anon_exclusive) !== 0x2080 ||
    FolioStore.prototype.flagsCell(5) !== 5) {
  throw new Error('change_pte_direct: its bit literals no longer match pgtable_types.ts / folio.ts');
}

/**
 * mm/mprotect.c change_pte_range() @v6.18 for the present PTEs of small folios and the zero page
 * in [i, iEnd) of a table: the general path's per-entry arithmetic (pte_modify, the uffd-wp bit,
 * can_change_pte_writable + pte_mkwrite) with the per-range decisions given in `mode`, written
 * straight into the entries (present to present: the table's count of entries stays). Returns the
 * index of the first entry it leaves to the general path (none, not present, in a large folio), or iEnd.
 * A second copy of the x86 rules (X86Pgtable) and of pte_writable_ok, kept for speed (W2/W4 of the
 * bench): test/change-pte-direct.test.ts checks it against them on every class of entry and profile.
 */
function change_pte_direct(t: PageTable, f: FolioStore, i: number, iEnd: number, chgLo: number, chgHi: number,
  protLo: number, protHi: number, mode: number, UFFD_WP: number, SOFT_DIRTY: number): number {
  // Optimized code reloads (and hole-checks) an imported or module-level binding at every use, and
  // tests a boolean local as any value: the loop uses only int32 locals and the literals below
  // (checked against pgtable_types.ts / folio.ts when this module loads).
  const PRESENT = 0x1, RW = 0x2, DIRTY = 0x40, SPECIAL = 0x200, HI_SAVED_DIRTY = 0x4000000, ANON_EXCLUSIVE = 0x2080;
  // a word with bit 31 set arrives as a heap number, not a small integer
  i |= 0; iEnd |= 0; chgLo |= 0; chgHi |= 0; protLo |= 0; protHi |= 0; mode |= 0; UFFD_WP |= 0; SOFT_DIRTY |= 0;
  const savedDirty = mode & D_SAVED_DIRTY, needSlot = mode & D_NEED_SLOT, uffd_wp = mode & D_UFFD_WP;
  // un-protect clears the uffd-wp bit
  const clearLo = ((mode & D_UFFD_WP_RESOLVE) !== 0 ? UFFD_WP : 0) | 0;
  const shared = mode & D_SHARED, needDirty = mode & D_NEED_DIRTY;
  // soft-dirty tracking wants the write fault and the entry cannot carry the bit (compiled out)
  const writable = (mode & D_WRITABLE) !== 0 && !((mode & D_SOFT_DIRTY_WP) !== 0 && SOFT_DIRTY === 0) ? 1 : 0;
  // can_change_pte_writable's entry bits in one test: write clear, soft-dirty set where tracking
  // wants it, uffd-wp clear in a VM_UFFD_WP VMA
  const sdBits = ((mode & D_SOFT_DIRTY_WP) !== 0 ? SOFT_DIRTY : 0) | 0;
  const wrMask = (RW | sdBits | ((mode & D_UFFD_VMA) !== 0 ? UFFD_WP : 0)) | 0;
  // the folio's slot matters only to the PageAnonExclusive test of a private VMA
  const wantSlot = writable !== 0 && shared === 0 ? 1 : 0;
  let sect = -1, kind = 0, smapBase = 0, smapKey = -1, flagsKey = -1;
  let smap: Leaf | undefined, flags: Leaf | undefined;
  // the entries' words a leaf of cells at a time (t.words), written back through t.setRaw
  let words: Leaf | undefined, wordsKey = -1, owned = false;
  const recording = t.recording, watched = t.watched;
  for (; i < iEnd; i++) {
    if (recording) t.noteRead(i);
    const w = t.wordIndex(i);
    if (w >>> 6 !== wordsKey) {
      wordsKey = w >>> 6;
      words = t.words(i);
      owned = false;
    }
    const lo = words === undefined ? 0 : words[w & 63]!, hi = words === undefined ? 0 : words[(w & 63) + 1]!;
    if ((lo & PRESENT) === 0) break;
    let slot = -1;
    if (needSlot !== 0 && (lo & SPECIAL) === 0) {
      // the folio's section, looked up once per 512 pfns: pfn >> 9 straight from the entry's words
      const s = (lo >>> 21) + (hi & 0xfffff) * 2048;
      if (s !== sect) {
        sect = s;
        kind = f.sectionKind(s);
        if (kind === 1) smapBase = f.smapCell(s, 0);
      }
      if (kind === 2) break;
      if (wantSlot !== 0 && kind === 1) {
        // f.smallSlot(s, idx), a leaf of the section's map at a time
        const c = smapBase + ((lo >>> 12) & 511);
        if (c >>> 6 !== smapKey) {
          smapKey = c >>> 6;
          smap = f.smapLeaf(c);
        }
        slot = (smap === undefined ? 0 : smap[c & 63]!) - 1;
        if (recording) f.noteSmapRead(c);
      }
    }
    // pte_modify (arch/x86 @v6.18): present to present, no pfn inversion
    let nlo = (lo & chgLo) | protLo, nhi = (hi & chgHi) | protHi;
    if (uffd_wp !== 0) {
      // pte_mkuffd_wp + pte_wrprotect: whatever pte_modify's saved-dirty step did, a dirty bit ends
      // up saved (bit 58) once the write bit is clear
      nlo = (nlo | UFFD_WP) & ~RW;
      if (savedDirty !== 0 && (nlo & DIRTY) !== 0) { nhi |= HI_SAVED_DIRTY; nlo &= ~DIRTY; }
    } else {
      if (savedDirty !== 0) {
        // pte_modify: mksaveddirty if the old entry was writable, else clear_saveddirty
        if ((lo & RW) !== 0) {
          if ((nlo & (RW | DIRTY)) === DIRTY) { nhi |= HI_SAVED_DIRTY; nlo &= ~DIRTY; }
        } else if ((nlo & RW) !== 0 && (nhi & HI_SAVED_DIRTY) !== 0) { nlo |= DIRTY; nhi &= ~HI_SAVED_DIRTY; }
      }
      nlo &= ~clearLo;
      if (writable !== 0 && (nlo & wrMask) === sdBits) {
        // can_change_pte_writable (mm/mprotect.c @v6.18), as pte_writable_ok
        const dirty = (nlo & DIRTY) !== 0 || (savedDirty !== 0 && (nhi & HI_SAVED_DIRTY) !== 0);
        // vm_normal_page() is an exclusive anon page; the zero page (special) has none (slot -1)
        let ok = false;
        if (shared !== 0) ok = dirty;
        else if (slot >= 0 && (dirty || needDirty === 0)) {
          // f.flags(slot), a leaf of folios at a time
          const c = slot; // FolioStore.flagsCell(slot)
          if (c >>> 6 !== flagsKey) {
            flagsKey = c >>> 6;
            flags = f.flagsLeaf(c);
          }
          ok = ((flags === undefined ? 0 : flags[c & 63]!) & ANON_EXCLUSIVE) === ANON_EXCLUSIVE;
          if (recording) f.noteFlagsRead(c);
        }
        if (ok) {
          // pte_mkwrite
          nlo |= RW;
          if (savedDirty !== 0 && (nhi & HI_SAVED_DIRTY) !== 0) { nlo |= DIRTY; nhi &= ~HI_SAVED_DIRTY; }
        }
      }
    }
    if (nlo !== lo || nhi !== hi) {
      // present to present: the table's count of entries stays; the leaf is made this state's own once
      if (!owned) {
        words = t.wordsW(i);
        owned = true;
      }
      words![w & 63] = nlo;
      words![(w & 63) + 1] = nhi;
      if (watched) t.wrote(i, lo, hi, nlo, nhi);
    }
  }
  return i;
}

const fpbScratch = new Pte();
/** folio_pte_batch (FPB_RESPECT_SOFT_DIRTY | FPB_RESPECT_WRITE): how many PTEs from i map the same folio alike */
function folio_pte_batch(k: Kernel, t: PageTable, i: number, max: number, slot: number, first: Pte): number {
  const f = k.folios;
  const pfn0 = k.pgt.pte_pfn(first);
  const folioEnd = f.pfn(slot) + f.nrPages(slot);
  const g = k.pgt;
  const loMask = ~g.protBatchIgnoreLo;
  const hiMask = ~g.protBatchIgnoreHi;
  const n = fpbScratch;
  let nr = 1;
  while (nr < max && pfn0 + nr < folioEnd) {
    const lo = t.lo(i + nr), hi = t.hi(i + nr);
    // bit 0: _PAGE_PRESENT on x86, PTE_VALID on arm64
    if ((lo & 1) === 0) break;
    if (((lo ^ first.lo) & loMask) !== 0 || ((hi ^ first.hi) & hiMask) !== 0) break;
    const pfn = g.pte_pfn(n.set(lo, hi));
    if (pfn !== pfn0 + nr) break;
    nr++;
  }
  return nr;
}

/** change_pmd_range / change_protection_range for one VMA */
const cpPmdNew = new Pte();
const hugeSlot: Slot = { t: null!, i: 0 };
const hpDirect: HugePmdDirect = { maskLo: 0, maskHi: 0, protLo: 0, protHi: 0, mode: 0, UFFD_WP: 0, devmapHi: 0 };

/**
 * A migration entry under change_protection: mm/mprotect.c change_pte_range() and mm/huge_memory.c
 * change_huge_pmd() @v6.18. A writable entry becomes readable (readable-exclusive for an anonymous page from
 * v5.19), keeping soft-dirty, and uffd-wp from f45ec5ff16a7 (PTE, v5.7) / 8f34f1eac382 (PMD, v5.14); then
 * MM_CP_UFFD_WP / _RESOLVE set or clear the entry's uffd-wp bit (PTE: f45ec5ff16a7; PMD: only from
 * 24bf08c43760, v6.3, which before ignored a PMD entry that was already readable). Writes the new entry to
 * `out`; true when it differs from `old`.
 */
function change_migration_entry(k: Kernel, old: Pte, out: Pte, uffd_wp: boolean, uffd_wp_resolve: boolean, pmd: boolean): boolean {
  const g = k.pgt;
  out.copyFrom(old);
  const kind = migrationKind(k, old);
  if (kind === 2) {
    make_readable_migration(k, out, old);
    if (g.pte_swp_uffd_wp(old) && k.has(pmd ? PATCH.uffdWpForkChildVma : PATCH.migrationUffdWp)) g.pte_swp_mkuffd_wp(out);
  }
  const applies = pmd ? k.has(PATCH.thpMigrationUffdWp) : k.has(PATCH.migrationUffdWp);
  if (applies) {
    if (uffd_wp) g.pte_swp_mkuffd_wp(out);
    else if (uffd_wp_resolve) g.pte_swp_clear_uffd_wp(out);
  }
  return !out.equals(old);
}

export function change_protection(k: Kernel, vma: VmArea, start: number, end: number, newprot: Pte, cp_flags: number): number {
  const g = k.pgt;
  // vma->vm_mm: UFFDIO_WRITEPROTECT from another process and a uffd's release work on the context's mm
  const mm = vma.vm_mm ?? k.current!.mm;
  if ((cp_flags & MM_CP_UFFD_WP) && (cp_flags & MM_CP_UFFD_WP_RESOLVE)) throw new Error('BUG: both uffd-wp flags');
  if (vma.vm_flags & VM_HUGETLB) {
    const n = hugetlb_change_protection(k, vma, start, end, newprot, (cp_flags & MM_CP_UFFD_WP) !== 0, (cp_flags & MM_CP_UFFD_WP_RESOLVE) !== 0);
    k.tr?.emit('change_protection', 'hugetlb_change_protection', { start, end, newprot: newprot.toString(), cp_flags, pages: n * HPAGE_PMD_NR });
    return n * HPAGE_PMD_NR;
  }
  const populate = (cp_flags & MM_CP_UFFD_WP) !== 0 && userfaultfd_wp_use_markers(k, vma);
  let pages = 0;
  const pmdv = cpPmd;
  // change_pmd_range for one PMD entry (the huge ones change_protection's loop does not take itself)
  const pmdEntry = (pmd: Slot, addr: number, next: number) => {
    pmd.t.get(pmd.i, pmdv);
    if (is_migration_entry(k, pmdv)) {
      // change_pmd_range: is_swap_pmd goes to change_huge_pmd whole; part of one would be split first
      if (next - addr !== HPAGE_PMD_SIZE) notModelled('addr', 'changing part of a THP under migration (a PMD migration entry split)');
      if (change_migration_entry(k, pmdv, cpPmdNew, (cp_flags & MM_CP_UFFD_WP) !== 0, (cp_flags & MM_CP_UFFD_WP_RESOLVE) !== 0, true)) {
        set_pmd_at(k, pmd, cpPmdNew, addr, 'change_huge_pmd');
      }
      pages += HPAGE_PMD_NR;
      return;
    }
    if (g.pmd_none(pmdv)) {
      // change_pmd_prepare: WP_UNPOPULATED needs a PTE table for its markers
      if (!populate) return;
      pte_alloc(k, mm, pmd);
    } else if (g.pmd_trans_huge(pmdv)) {
      // pgtable_split_needed (shmthp): uffd-wp on a file VMA's huge PMD splits it (cleared), and the markers
      // need a PTE table (change_pmd_prepare)
      if (next - addr !== HPAGE_PMD_SIZE || (vma.vm_file !== 0 && (cp_flags & MM_CP_UFFD_WP) !== 0)) {
        __split_huge_pmd(k, mm, vma, pmd, Math.floor(addr / PMD_SIZE) * PMD_SIZE, false);
        if (populate && pmd.t.isNone(pmd.i)) pte_alloc(k, mm, pmd);
      } else {
        const r = change_huge_pmd(k, vma, pmd, addr, newprot, cp_flags);
        if (r === HPAGE_PMD_NR) {
          pages += HPAGE_PMD_NR;
          return;
        }
        if (r !== 0) return;
      }
    }
    const t = pte_offset_map(k, mm, pmd);
    if (t) pages += change_pte_range(k, vma, t, addr, next, newprot, cp_flags);
  };
  // walk_pmd_range's loop (forEachPmd) written out, so that a whole present huge PMD goes straight to
  // change_huge_pmd (the per-range tests hoisted: hugePmdChange) without the general entry's tests
  const hc = hugePmdChange(k, cp_flags);
  const splitFilePmd = vma.vm_file !== 0 && (cp_flags & MM_CP_UFFD_WP) !== 0;
  const slot = hugeSlot;
  // whole present huge PMDs in a row, straight on their words (x86, untraced: change_huge_pmd_direct)
  const direct = g instanceof X86Pgtable && k.tr === null && !splitFilePmd ? hugePmdDirect(g, newprot, hc, hpDirect) : null;
  const pmdDirect = direct !== null && direct.mode !== 0 ? direct : null;
  let addr = start;
  while (addr < end) {
    const pudEnd = Math.min(end, (Math.floor(addr / 2 ** 30) + 1) * 2 ** 30);
    const t = populate ? pmdAllocTable(k, mm, addr) : pmdTable(k, mm, addr);
    if (t === null) {
      addr = pudEnd;
      continue;
    }
    slot.t = t;
    let boundary = (Math.floor(addr / PMD_SIZE) + 1) * PMD_SIZE;
    for (let i = pmd_index(addr); addr < pudEnd; i++, boundary += PMD_SIZE) {
      if (pmdDirect !== null && addr === boundary - PMD_SIZE && boundary <= pudEnd) {
        const stop = change_huge_pmd_direct(t, i, i + Math.floor((pudEnd - addr) / PMD_SIZE), pmdDirect);
        pages += (stop - i) * HPAGE_PMD_NR;
        addr += (stop - i) * PMD_SIZE;
        boundary += (stop - i) * PMD_SIZE;
        i = stop;
        if (addr >= pudEnd) break;
      }
      const next = boundary < pudEnd ? boundary : pudEnd;
      slot.i = i;
      // a present huge PMD (a PROT_NONE one too: pmd_present; not a migration entry)
      let r = 0;
      if (next - addr === HPAGE_PMD_SIZE && !splitFilePmd && g.pmd_present(t.get(i, pmdv))) r = changeHugePmdWith(k, vma, slot, pmdv, newprot, hc);
      if (r === HPAGE_PMD_NR) pages += HPAGE_PMD_NR;
      else if (r !== 1) pmdEntry(slot, addr, next);
      addr = next;
    }
  }
  slot.t = null!;
  k.tr?.emit('change_protection', 'change_protection', { start, end, newprot: newprot.toString(), cp_flags, pages });
  return pages;
}

/**
 * vma_wants_manual_pte_write_upgrade (v6.2) / the v6.0 inline test: private VM_WRITE VMAs. mprotect_fixup()
 * asks it with the new vm_flags but before vma_set_page_prot(), so a shared mapping asks with the old
 * flags' vm_page_prot (dirty_accountable before v6.0, asked the same way)
 */
function mprotect_try_writable(k: Kernel, vma: VmArea): boolean {
  if (vma.vm_flags & VM_SHARED) return vma_wants_writenotify(k, vma, vma.vm_page_prot);
  if (!k.has(PATCH.mprotectExclusiveAnonWritable)) return false; // 4.19: vma_wants_writenotify() is 0 for private
  return (vma.vm_flags & VM_WRITE) !== 0;
}

/**
 * mm/mprotect.c mprotect_fixup() @v6.18: [start, end) of vma gets newflags (merged into a neighbour or
 * split off, vma_modify_flags), then change_protection; returns the VMA that covers the range. A private
 * mapping that becomes writable is charged (VM_ACCOUNT); from 9b9143298585 (v6.7) one that becomes
 * read-only before its first fault (anonymous, no anon_vma) is uncharged again
 */
export function mprotect_fixup(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number, newflags: number): VmArea {
  const oldflags = vma.vm_flags;
  if (newflags === oldflags) return vma;
  if (newflags & VM_WRITE) {
    if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE))) newflags = (newflags | VM_ACCOUNT) >>> 0;
  } else if ((oldflags & VM_ACCOUNT) && vma_is_anonymous(vma) && !vma.anon_vma && k.has(PATCH.mprotectUnaccountUnfaulted)) {
    newflags = (newflags & ~VM_ACCOUNT) >>> 0;
  }
  const v = vma_modify(k, mm, vma, start, end, { vm_flags: newflags });
  v.vm_flags = (newflags | (v.vm_flags & VM_STICKY)) >>> 0; // vm_flags_reset_once, the sticky flags a merge gathered kept (9119d6c2095b)
  const cp = mprotect_try_writable(k, v) ? MM_CP_TRY_CHANGE_WRITABLE : 0;
  vma_set_page_prot(k, v);
  change_protection(k, v, start, end, v.vm_page_prot, cp);
  return v;
}

/**
 * mm/mprotect.c do_mprotect_pkey() @v6.18 (@v6.3 for the end check): the VMAs of the range one after
 * another; a hole (ENOMEM) or a refused permission (EACCES) ends the call, and what was changed before it
 * stays changed
 */
export function do_mprotect(k: Kernel, mm: MmStruct, start: number, len: number, prot: number): void {
  if (start % PAGE_SIZE !== 0) fail('EINVAL', 'mprotect start is not page aligned');
  if (len === 0) return;
  len = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  const end = start + len;
  if (end <= start) fail('ENOMEM', 'mprotect range wraps around');
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) fail('EINVAL', 'unknown PROT_ bits');
  let vma: VmArea | undefined = vmas_in(mm, start, end)[0];
  if (!vma || vma.vm_start > start) fail('ENOMEM', 'mprotect range starts in a hole');
  const newbits = calc_vm_prot_bits(prot);
  let nstart = start, tmp = vma.vm_start;
  while (vma && vma.vm_start < end) {
    if (vma.vm_start !== tmp) fail('ENOMEM', 'mprotect range has a hole');
    const newflags = ((vma.vm_flags & ~VM_ACCESS_FLAGS) | newbits) >>> 0;
    // VM_MAY* shifted in place of VM_*: each permission asked for must be allowed
    if ((newflags & ~(newflags >>> 4)) & VM_ACCESS_FLAGS) fail('EACCES', 'mprotect asks for a permission the mapping does not allow');
    tmp = Math.min(vma.vm_end, end);
    const v = mprotect_fixup(k, mm, vma, nstart, tmp, newflags);
    tmp = v.vm_end; // vma_iter_end
    nstart = tmp;
    vma = mm.vmas[mm.vmas.indexOf(v) + 1];
  }
  k.tr?.emit('mprotect', 'do_mprotect_pkey', { start, end, prot });
  // v6.3 and v6.4 tested vma_iter_end(), the end of the gap the search stopped in: it reaches past `end`
  // when the range ends in a hole, so the call succeeded (mprotect-vma-iterator, mprotect-limit-check)
  const limitChecked = !k.has(PATCH.mprotectVmaIterator) || k.has(PATCH.mprotectLimitCheck);
  if (tmp < end && limitChecked) fail('ENOMEM', 'mprotect range is not fully mapped');
}

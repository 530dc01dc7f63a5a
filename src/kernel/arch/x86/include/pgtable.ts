// arch/x86/include/asm/pgtable.h helpers (pte_* / pmd_*), pgtable-invert.h and pgprot.c protection_map.
// The helpers mutate a Pte value in place and return it. Behaviour that changed upstream is chosen
// once, when a kernel is built from its profile (X86PgtableOptions, derived in src/profiles/fastpath.ts).
import { Pte } from './pte.js';
import type { Pgtable } from '../../pgtable.js';
import {
  _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_HI_DEVMAP, _PAGE_HI_DEVMAP_V4, _PAGE_HI_NX, _PAGE_HI_SAVED_DIRTY,
  _PAGE_PAT, _PAGE_PAT_LARGE, _PAGE_PCD, _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_PSE, _PAGE_PWT, _PAGE_RW,
  _PAGE_SOFT_DIRTY, _PAGE_SPECIAL, _PAGE_SWP_EXCLUSIVE, _PAGE_SWP_SOFT_DIRTY, _PAGE_SWP_UFFD_WP,
  _PAGE_UFFD_WP, _PAGE_USER, _PAGE_TABLE,
} from './pgtable_types.js';

export interface X86PgtableOptions {
  /** CONFIG_MEM_SOFT_DIRTY: _PAGE_SOFT_DIRTY is bit 11, else 0 */
  softDirty: boolean;
  /** _PAGE_UFFD_WP exists (v5.7 "userfaultfd: wp: add WP pagetable tracking to x86") */
  uffdWpBit: boolean;
  /** _PAGE_SAVED_DIRTY and the mksaveddirty dance (v6.6 shadow-stack series) */
  savedDirty: boolean;
  /** _PAGE_CHG_MASK keeps _PAGE_PAT (bit 7) for 4K PTEs (v6.12 layout) */
  chgMaskHasPat: boolean;
  /** pmd_modify masks the hardware dirty bit off (bb3aadf7d446, v6.6, until f7491d7c81db) */
  pmdModifyDropsDirty: boolean;
  /** swap PTEs in the L1TF-safe layout (958f338e96f8, v4.19); false: the v3.11 layout (pgtable_64.h @v3.11) */
  swapL1tf?: boolean;
}

const PFN_HI_MASK = 0x000fffff; // bits 32..51

export class X86Pgtable implements Pgtable {
  readonly arch = 'x86_64' as const;
  /** pte_present: _PAGE_PRESENT or _PAGE_PROTNONE */
  readonly presentLo = _PAGE_PRESENT | _PAGE_PROTNONE;
  readonly validLo = _PAGE_PRESENT;
  readonly haveArchUffdWp = true;
  /** include/linux/swapops.h SWP_PFN_BITS on x86_64 with 4-level tables: MAX_PHYSMEM_BITS (46) - PAGE_SHIFT */
  readonly swpPfnBits = 34;
  /** the PTE bits folio_pte_batch ignores for zap_present_ptes: write, accessed, dirty (with x86's saved dirty), soft-dirty, the pfn */
  readonly zapIgnoreLo: number;
  readonly zapIgnoreHi = _PAGE_HI_SAVED_DIRTY | PFN_HI_MASK;
  readonly protBatchIgnoreLo = (_PAGE_ACCESSED | _PAGE_DIRTY | 0xfffff000) | 0;
  readonly protBatchIgnoreHi = _PAGE_HI_SAVED_DIRTY | PFN_HI_MASK;
  readonly SOFT_DIRTY: number;
  readonly UFFD_WP: number;
  readonly savedDirty: boolean;
  /** _PAGE_CHG_MASK split in words (PFN included) */
  readonly chgLo: number;
  readonly chgHi: number;
  readonly hpageChgLo: number;
  readonly devmapHi: number;

  constructor(readonly opt: X86PgtableOptions) {
    this.SOFT_DIRTY = opt.softDirty ? _PAGE_SOFT_DIRTY : 0;
    this.UFFD_WP = opt.uffdWpBit ? _PAGE_UFFD_WP : 0;
    this.savedDirty = opt.savedDirty;
    this.devmapHi = opt.savedDirty ? _PAGE_HI_DEVMAP : _PAGE_HI_DEVMAP_V4;
    // _PAGE_CHG_MASK: PTE_PFN_MASK | _PAGE_PCD | _PAGE_PWT | _PAGE_SPECIAL | _PAGE_ACCESSED |
    //   _PAGE_DIRTY_BITS | _PAGE_SOFT_DIRTY | _PAGE_DEVMAP | _PAGE_UFFD_WP (| _PAGE_PAT)
    this.chgLo = (0xfffff000 | _PAGE_PCD | _PAGE_PWT | _PAGE_SPECIAL | _PAGE_ACCESSED | _PAGE_DIRTY |
      this.SOFT_DIRTY | this.UFFD_WP | (opt.chgMaskHasPat ? _PAGE_PAT : 0)) | 0;
    this.chgHi = (PFN_HI_MASK | this.devmapHi | (opt.savedDirty ? _PAGE_HI_SAVED_DIRTY : 0)) | 0;
    // _HPAGE_CHG_MASK adds _PAGE_PSE (and _PAGE_PAT_LARGE in 6.x); bit 7 there means PSE, not PAT
    this.hpageChgLo = ((this.chgLo & ~_PAGE_PAT) | _PAGE_PSE | (opt.chgMaskHasPat ? _PAGE_PAT_LARGE : 0)) | 0;
    this.zapIgnoreLo = (_PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_SOFT_DIRTY | 0xfffff000) | 0;
  }

  // ---- tests --------------------------------------------------------------------------------
  pte_none(e: Pte): boolean { return e.lo === 0 && e.hi === 0; }
  pte_present(e: Pte): boolean { return (e.lo & (_PAGE_PRESENT | _PAGE_PROTNONE)) !== 0; }
  pte_protnone(e: Pte): boolean { return (e.lo & (_PAGE_PRESENT | _PAGE_PROTNONE)) === _PAGE_PROTNONE; }
  pte_write(e: Pte): boolean { return (e.lo & _PAGE_RW) !== 0; }
  pte_dirty(e: Pte): boolean {
    return (e.lo & _PAGE_DIRTY) !== 0 || (this.savedDirty && (e.hi & _PAGE_HI_SAVED_DIRTY) !== 0);
  }
  pte_young(e: Pte): boolean { return (e.lo & _PAGE_ACCESSED) !== 0; }
  pte_special(e: Pte): boolean { return (e.lo & _PAGE_SPECIAL) !== 0; }
  pte_soft_dirty(e: Pte): boolean { return (e.lo & this.SOFT_DIRTY) !== 0; }
  pte_uffd_wp(e: Pte): boolean { return (e.lo & this.UFFD_WP) !== 0; }

  pmd_none(e: Pte): boolean { return e.lo === 0 && e.hi === 0; }
  /** x86 pmd_present: PRESENT, PROTNONE or PSE (a splitting/invalidated huge PMD stays "present") */
  pmd_present(e: Pte): boolean { return (e.lo & (_PAGE_PRESENT | _PAGE_PROTNONE | _PAGE_PSE)) !== 0; }
  pmd_trans_huge(e: Pte): boolean { return (e.lo & _PAGE_PSE) !== 0 && (e.hi & this.devmapHi) === 0; }
  pmd_write(e: Pte): boolean { return this.pte_write(e); }
  pmd_dirty(e: Pte): boolean { return this.pte_dirty(e); }
  pmd_young(e: Pte): boolean { return this.pte_young(e); }
  pmd_soft_dirty(e: Pte): boolean { return this.pte_soft_dirty(e); }
  pmd_uffd_wp(e: Pte): boolean { return this.pte_uffd_wp(e); }
  pmd_protnone(e: Pte): boolean { return this.pte_protnone(e); }

  // ---- saved dirty (x86/mm: Introduce _PAGE_SAVED_DIRTY, v6.6) ----------------------------
  /** mksaveddirty_shift: a Write=0 entry keeps its dirtiness in bit 58 instead of bit 6 */
  private mksaveddirty(e: Pte): Pte {
    if (this.savedDirty && (e.lo & _PAGE_RW) === 0 && (e.lo & _PAGE_DIRTY) !== 0) {
      e.hi = (e.hi | _PAGE_HI_SAVED_DIRTY) | 0;
      e.lo = (e.lo & ~_PAGE_DIRTY) | 0;
    }
    return e;
  }
  /** clear_saveddirty_shift: a Write=1 entry carries dirtiness in bit 6 */
  private clear_saveddirty(e: Pte): Pte {
    if (this.savedDirty && (e.lo & _PAGE_RW) !== 0 && (e.hi & _PAGE_HI_SAVED_DIRTY) !== 0) {
      e.lo = (e.lo | _PAGE_DIRTY) | 0;
      e.hi = (e.hi & ~_PAGE_HI_SAVED_DIRTY) | 0;
    }
    return e;
  }

  // ---- modifiers (PTE and PMD share the x86 bit semantics) ---------------------------------
  pte_mkdirty(e: Pte): Pte {
    e.lo = (e.lo | _PAGE_DIRTY | this.SOFT_DIRTY) | 0;
    return this.mksaveddirty(e);
  }
  pte_mkclean(e: Pte): Pte {
    e.lo = (e.lo & ~_PAGE_DIRTY) | 0;
    e.hi = (e.hi & ~_PAGE_HI_SAVED_DIRTY) | 0;
    return e;
  }
  pte_wrprotect(e: Pte): Pte {
    e.lo = (e.lo & ~_PAGE_RW) | 0;
    return this.mksaveddirty(e);
  }
  /** pte_mkwrite(pte, vma) in >= v6.6 (no shadow-stack VMAs are modelled) */
  pte_mkwrite(e: Pte): Pte {
    e.lo = (e.lo | _PAGE_RW) | 0;
    return this.clear_saveddirty(e);
  }
  pte_mkyoung(e: Pte): Pte { e.lo = (e.lo | _PAGE_ACCESSED) | 0; return e; }
  pte_mkold(e: Pte): Pte { e.lo = (e.lo & ~_PAGE_ACCESSED) | 0; return e; }
  pte_mkspecial(e: Pte): Pte { e.lo = (e.lo | _PAGE_SPECIAL) | 0; return e; }
  pte_mksoft_dirty(e: Pte): Pte { e.lo = (e.lo | this.SOFT_DIRTY) | 0; return e; }
  pte_clear_soft_dirty(e: Pte): Pte { e.lo = (e.lo & ~this.SOFT_DIRTY) | 0; return e; }
  /** pte_mkuffd_wp: set bit 10, then pte_wrprotect */
  pte_mkuffd_wp(e: Pte): Pte {
    e.lo = (e.lo | this.UFFD_WP) | 0;
    return this.pte_wrprotect(e);
  }
  pte_clear_uffd_wp(e: Pte): Pte { e.lo = (e.lo & ~this.UFFD_WP) | 0; return e; }

  pmd_mkdirty(e: Pte): Pte { return this.pte_mkdirty(e); }
  pmd_mkclean(e: Pte): Pte { return this.pte_mkclean(e); }
  pmd_wrprotect(e: Pte): Pte { return this.pte_wrprotect(e); }
  pmd_mkwrite(e: Pte): Pte { return this.pte_mkwrite(e); }
  pmd_mkyoung(e: Pte): Pte { return this.pte_mkyoung(e); }
  pmd_mkold(e: Pte): Pte { return this.pte_mkold(e); }
  pmd_mkhuge(e: Pte): Pte { e.lo = (e.lo | _PAGE_PSE) | 0; return e; }
  pmd_mksoft_dirty(e: Pte): Pte { return this.pte_mksoft_dirty(e); }
  pmd_clear_soft_dirty(e: Pte): Pte { return this.pte_clear_soft_dirty(e); }
  pmd_mkuffd_wp(e: Pte): Pte { return this.pte_mkuffd_wp(e); }
  pmd_clear_uffd_wp(e: Pte): Pte { return this.pte_clear_uffd_wp(e); }

  /** pte_modify: keep _PAGE_CHG_MASK bits of the entry, take the rest from newprot; PROT_NONE pfn inversion */
  pte_modify(e: Pte, prot: Pte): Pte {
    return this.modify(e, prot, this.chgLo, this.chgHi);
  }
  pmd_modify(e: Pte, prot: Pte): Pte {
    const mask = this.opt.pmdModifyDropsDirty ? (this.hpageChgLo & ~_PAGE_DIRTY) | 0 : this.hpageChgLo;
    return this.modify(e, prot, mask, this.chgHi);
  }
  private modify(e: Pte, prot: Pte, maskLo: number, maskHi: number): Pte {
    const oldLo = e.lo, oldHi = e.hi;
    let lo = ((oldLo & maskLo) | (prot.lo & ~maskLo)) | 0;
    let hi = ((oldHi & maskHi) | (prot.hi & ~maskHi)) | 0;
    // flip_protnone_guard (pgtable-invert.h): invert the pfn when crossing present <-> PROT_NONE
    if (((oldLo & lo) & _PAGE_PRESENT) === 0 &&
        ((oldLo !== 0 || oldHi !== 0) && (oldLo & _PAGE_PRESENT) === 0) !== ((lo !== 0 || hi !== 0) && (lo & _PAGE_PRESENT) === 0)) {
      lo = ((lo & 0xfff) | (~lo & 0xfffff000)) | 0;
      hi = ((hi & ~PFN_HI_MASK) | (~hi & PFN_HI_MASK)) | 0;
    }
    e.lo = lo;
    e.hi = hi;
    if (this.savedDirty) {
      if (oldLo & _PAGE_RW) this.mksaveddirty(e);
      else this.clear_saveddirty(e);
    }
    return e;
  }

  /** pfn of an entry; for a PROT_NONE entry the stored pfn is inverted (protnone_mask) */
  pte_pfn(e: Pte): number {
    let lo = e.lo, hi = e.hi;
    if ((lo !== 0 || hi !== 0) && (lo & _PAGE_PRESENT) === 0) {
      lo = ~lo;
      hi = ~hi;
    }
    return (lo >>> 12) + (hi & PFN_HI_MASK) * 0x100000;
  }
  pmd_pfn(e: Pte): number { return this.pte_pfn(e); }
  /** pte_advance_pfn (x86, pgtable.h): the entry for the page nr further on; a PROT_NONE entry's inverted pfn goes down */
  pte_advance_pfn(e: Pte, nr: number): Pte {
    const raw = (e.lo >>> 12) + (e.hi & PFN_HI_MASK) * 0x100000;
    const next = (e.lo !== 0 || e.hi !== 0) && (e.lo & _PAGE_PRESENT) === 0 ? raw - nr : raw + nr;
    e.lo = ((e.lo & 0xfff) | ((next % 0x100000) << 12)) | 0;
    e.hi = ((e.hi & ~PFN_HI_MASK) | (Math.floor(next / 0x100000) & PFN_HI_MASK)) | 0;
    return e;
  }

  /** pfn_pte / mk_pte: pfn<<12 | prot (prot is already masked by __supported_pte_mask) */
  pfn_pte(e: Pte, pfn: number, prot: Pte): Pte {
    e.lo = ((prot.lo & 0xfff) | ((pfn % 0x100000) << 12)) | 0;
    e.hi = ((prot.hi & ~PFN_HI_MASK) | (Math.floor(pfn / 0x100000) & PFN_HI_MASK)) | 0;
    if ((e.lo & _PAGE_PRESENT) === 0 && !(e.lo === 0 && e.hi === 0)) {
      // PROT_NONE: pfn_pte applies protnone_mask
      e.lo = ((e.lo & 0xfff) | (~e.lo & 0xfffff000)) | 0;
      e.hi = ((e.hi & ~PFN_HI_MASK) | (~e.hi & PFN_HI_MASK)) | 0;
    }
    return e;
  }
  /** mk_huge_pmd = pmd_mkhuge(mk_pmd(page, prot)) */
  mk_huge_pmd(e: Pte, pfn: number, prot: Pte): Pte {
    return this.pmd_mkhuge(this.pfn_pte(e, pfn, prot));
  }

  // ---- swap entries and PTE markers (arch/x86/include/asm/pgtable_64.h, L1TF-safe layout) --
  /** swap PTE: type in bits 59..63, ~offset in bits 9..58 (v3.11: type in bits 1..5, offset from bit 9) */
  swp_entry_to_pte(e: Pte, type: number, offset: number): Pte {
    if (this.opt.swapL1tf === false) {
      // oldfile: __swp_entry @v3.11: type << (_PAGE_BIT_PRESENT + 1), offset << SWP_OFFSET_SHIFT (_PAGE_BIT_PROTNONE + 1)
      const v = (BigInt(type) << 1n) | (BigInt(offset) << 9n);
      e.lo = Number(v & 0xffffffffn) | 0;
      e.hi = Number(v >> 32n) | 0;
      return e;
    }
    // offset occupies 50 bits starting at bit 9, stored inverted
    const inv = BigInt.asUintN(50, ~BigInt(offset));
    const v = (BigInt(type) << 59n) | (inv << 9n);
    e.lo = Number(v & 0xffffffffn);
    e.hi = Number(v >> 32n);
    return e;
  }
  is_swap_pte(e: Pte): boolean { return !this.pte_none(e) && !this.pte_present(e); }
  /** is_swap_pmd: x86 pmd_present also counts _PAGE_PSE */
  is_swap_pmd(e: Pte): boolean { return this.is_swap_pte(e) && (e.lo & _PAGE_PSE) === 0; }
  swp_type(e: Pte): number { return this.opt.swapL1tf === false ? (e.lo >>> 1) & 31 : e.hi >>> 27; }
  swp_offset(e: Pte): number {
    const v = ((BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0)) >> 9n;
    // v3.11: __swp_offset is the value above SWP_OFFSET_SHIFT (no inversion)
    if (this.opt.swapL1tf === false) return Number(v);
    return Number(BigInt.asUintN(50, ~v) & ((1n << 50n) - 1n));
  }
  /** _PAGE_SWP_SOFT_DIRTY: bit 1 (_PAGE_RW); in the v3.11 layout bit 7 (_PAGE_PSE, 179ef71cbc08) */
  private get swpSoftDirtyBit(): number { return this.opt.swapL1tf === false ? _PAGE_PSE : _PAGE_SWP_SOFT_DIRTY; }
  pte_swp_soft_dirty(e: Pte): boolean { return this.opt.softDirty && (e.lo & this.swpSoftDirtyBit) !== 0; }
  pte_swp_uffd_wp(e: Pte): boolean { return this.opt.uffdWpBit && (e.lo & _PAGE_SWP_UFFD_WP) !== 0; }
  pte_swp_mkuffd_wp(e: Pte): Pte { e.lo = (e.lo | _PAGE_SWP_UFFD_WP) | 0; return e; }
  pte_swp_clear_uffd_wp(e: Pte): Pte { e.lo = (e.lo & ~_PAGE_SWP_UFFD_WP) | 0; return e; }
  pte_swp_exclusive(e: Pte): boolean { return (e.lo & _PAGE_SWP_EXCLUSIVE) !== 0; }
  pte_swp_mkexclusive(e: Pte): Pte { e.lo = (e.lo | _PAGE_SWP_EXCLUSIVE) | 0; return e; }
  pte_swp_clear_exclusive(e: Pte): Pte { e.lo = (e.lo & ~_PAGE_SWP_EXCLUSIVE) | 0; return e; }
  /** _PAGE_SWP_SOFT_DIRTY is 0 without CONFIG_MEM_SOFT_DIRTY */
  pte_swp_mksoft_dirty(e: Pte): Pte { if (this.opt.softDirty) e.lo = (e.lo | this.swpSoftDirtyBit) | 0; return e; }
  pte_swp_clear_soft_dirty(e: Pte): Pte { e.lo = (e.lo & ~this.swpSoftDirtyBit) | 0; return e; }

  // ---- tables, the walk and the MMU ----------------------------------------------------------------
  /** an upper-level entry that points to a table: present and not _PAGE_PSE */
  table_entry_points(lo: number, _hi: number): boolean { return (lo & _PAGE_PRESENT) !== 0 && (lo & _PAGE_PSE) === 0; }
  table_pfn(lo: number, hi: number): number { return (lo >>> 12) + (hi & PFN_HI_MASK) * 0x100000; }
  /** pmd_populate (arch/x86/include/asm/pgalloc.h): _PAGE_TABLE | the table's address */
  mk_table_entry(out: Pte, pfn: number): Pte {
    out.lo = (((pfn % 0x100000) << 12) | _PAGE_TABLE) | 0;
    out.hi = Math.floor(pfn / 0x100000) | 0;
    return out;
  }
  /** _PAGE_PSE: a huge PMD, present or PROT_NONE (or invalidated while splitting) */
  pmd_leaf_lo(lo: number): boolean { return (lo & _PAGE_PSE) !== 0; }
  /** SDM vol. 3, 4.8: present and user checks, write needs RW; the CPU sets A, and D on a write */
  hw_access(e: Pte, write: boolean): number {
    if ((e.lo & _PAGE_PRESENT) === 0) return -1;
    if ((e.lo & _PAGE_USER) === 0) return -2;
    if (write && (e.lo & _PAGE_RW) === 0) return -2;
    e.lo = (e.lo | _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0)) | 0;
    return 0;
  }
  vm_get_page_prot(vm_flags: number): Pte { return vm_get_page_prot(vm_flags); }
  /** arch/x86/mm/pgtable.c ptep_set_access_flags: a changed entry is stored only on a write (dirty) */
  set_access_flags(cur: Pte, entry: Pte, dirty: boolean): Pte | null {
    return dirty && !entry.equals(cur) ? entry : null;
  }
  /** the batch's accessed and dirty bits (with the saved-dirty bit) OR-ed onto the first entry */
  batch_gather(e: Pte, lo: number, hi: number): Pte {
    e.lo = (e.lo | (lo & (_PAGE_ACCESSED | _PAGE_DIRTY))) | 0;
    e.hi = (e.hi | (hi & _PAGE_HI_SAVED_DIRTY)) | 0;
    return e;
  }
}

// ---- protection_map (arch/x86/mm/pgprot.c @v6.12; pgtable_types.h __P/__S @v4.19) ----------
const NX = _PAGE_HI_NX;
const P_U_A = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_NONE = Pte.of(_PAGE_PROTNONE | _PAGE_ACCESSED, 0); // 0x120
export const PAGE_READONLY = Pte.of(P_U_A, NX); // 0x8000000000000025
export const PAGE_COPY = PAGE_READONLY;
export const PAGE_READONLY_EXEC = Pte.of(P_U_A, 0); // 0x25
export const PAGE_COPY_EXEC = PAGE_READONLY_EXEC;
export const PAGE_SHARED = Pte.of(P_U_A | _PAGE_RW, NX); // 0x8000000000000027
export const PAGE_SHARED_EXEC = Pte.of(P_U_A | _PAGE_RW, 0); // 0x27

/** protection_map[vm_flags & (VM_READ|VM_WRITE|VM_EXEC|VM_SHARED)] */
export const protection_map: readonly Pte[] = [
  PAGE_NONE, PAGE_READONLY, PAGE_COPY, PAGE_COPY, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_COPY_EXEC, PAGE_COPY_EXEC,
  PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_SHARED_EXEC, PAGE_SHARED_EXEC,
];

/** vm_get_page_prot(vm_flags) (mm/mmap.c @v4.19, arch/x86/mm/pgprot.c @v6.12): no pkeys, no SME */
export function vm_get_page_prot(vm_flags: number): Pte {
  return protection_map[vm_flags & 0xf]!.clone();
}

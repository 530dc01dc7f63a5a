// LoongArch64 page-table entries with 4 KiB pages and 4 levels (CONFIG_4KB_4LEVEL: 2 MiB PMDs, as the
// model's x86 and arm64 rows): the bits of arch/loongarch/include/asm/pgtable-bits.h, the helpers of
// asm/pgtable.h, and protection_map of arch/loongarch/mm/cache.c, @v6.0..v6.1. LoongArch is the
// architecture whose pte_mkdirty() also made an entry writable until bf2f34a506e6 (v6.1): _PAGE_DIRTY
// (bit 1) is the TLB's "D", the hardware write permission, and _PAGE_MODIFIED (bit 9) the software
// dirty bit. The TLB is refilled by software (arch/loongarch/mm/tlbex.S), which the model's hw_access
// follows. No uffd-wp (no HAVE_ARCH_USERFAULTFD_WP), no soft-dirty, no swap exclusive bit in these releases.
import { Pte } from '../../x86/include/pte.js';
import { pfnField, setPfnField, type Pgtable } from '../../pgtable.js';

export const _PAGE_VALID = 1 << 0; // also _PAGE_ACCESSED
export const _PAGE_DIRTY = 1 << 1; // the TLB's D: writes allowed
export const _PAGE_PLV = 3 << 2;
export const _PAGE_USER = 3 << 2; // PLV_USER << _PAGE_PLV_SHIFT
export const _CACHE_CC = 1 << 4; // coherent cached
export const _CACHE_MASK = 3 << 4;
export const _PAGE_GLOBAL = 1 << 6;
export const _PAGE_HUGE = 1 << 6; // a PMD bit
export const _PAGE_PRESENT = 1 << 7;
export const _PAGE_WRITE = 1 << 8;
export const _PAGE_MODIFIED = 1 << 9;
export const _PAGE_PROTNONE = 1 << 10;
export const _PAGE_SPECIAL = 1 << 11;
export const _PAGE_HGLOBAL = 1 << 12; // a PMD bit
// high word (bit - 32)
export const _PAGE_HI_PRESENT_INVALID = 1 << (60 - 32);
export const _PAGE_HI_NO_READ = 1 << (61 - 32);
export const _PAGE_HI_NO_EXEC = 1 << (62 - 32);
/** _PFN_MASK: bits 12 (_PFN_SHIFT) .. 47 (_PAGE_PFN_END_SHIFT 48) */
const PFN_HI_MASK = (1 << (48 - 32)) - 1;
/** _PAGE_CHG_MASK (lo word; the high PFN bits are kept too): _PAGE_MODIFIED | _PAGE_SPECIAL | _PFN_MASK | _CACHE_MASK | _PAGE_PLV */
const CHG_LO = (_PAGE_MODIFIED | _PAGE_SPECIAL | 0xfffff000 | _CACHE_MASK | _PAGE_PLV) | 0;
/** _HPAGE_CHG_MASK adds _PAGE_HUGE */
const HCHG_LO = (CHG_LO | _PAGE_HUGE) | 0;

// ---- protection_map (arch/loongarch/mm/cache.c) -------------------------------------------------------
const RD = _CACHE_CC | _PAGE_VALID | _PAGE_USER | _PAGE_PRESENT;
/** PAGE_NONE: _CACHE_CC | _PAGE_USER | _PAGE_PROTNONE | _PAGE_NO_EXEC | _PAGE_NO_READ: 0x600000000000041c */
export const PAGE_NONE = Pte.of(_CACHE_CC | _PAGE_USER | _PAGE_PROTNONE, _PAGE_HI_NO_EXEC | _PAGE_HI_NO_READ);
/** readable: VALID|USER|PRESENT|CC, NO_EXEC: 0x400000000000009d */
export const PAGE_READONLY = Pte.of(RD, _PAGE_HI_NO_EXEC);
export const PAGE_READONLY_EXEC = Pte.of(RD, 0); // 0x9d
/** shared writable: + _PAGE_WRITE: 0x400000000000019d */
export const PAGE_SHARED = Pte.of(RD | _PAGE_WRITE, _PAGE_HI_NO_EXEC);
export const PAGE_SHARED_EXEC = Pte.of(RD | _PAGE_WRITE, 0); // 0x19d
export const protection_map: readonly Pte[] = [
  PAGE_NONE, PAGE_READONLY, PAGE_READONLY, PAGE_READONLY, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC,
  PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_SHARED_EXEC, PAGE_SHARED_EXEC,
];

export interface LoongarchPgtableOptions {
  /** bf2f34a506e6 (v6.1): {pte,pmd}_mkdirty set _PAGE_DIRTY only on a _PAGE_WRITE entry; before, always (mkdirty made it writable) */
  mkdirtyNeedsWrite: boolean;
  /** 54e6cd42a183 (v6.1): {pte,pmd}_mkwrite set _PAGE_DIRTY only on a _PAGE_MODIFIED entry; before, always */
  mkwriteNeedsModified: boolean;
}

export class LoongarchPgtable implements Pgtable {
  readonly arch = 'loongarch64' as const;
  /** pte_present: _PAGE_PRESENT | _PAGE_PROTNONE */
  readonly presentLo = _PAGE_PRESENT | _PAGE_PROTNONE;
  /** the model's "valid for the CPU": present (the TLB handlers refill any present entry) */
  readonly validLo = _PAGE_PRESENT;
  /** MAX_PHYSMEM_BITS 48 - PAGE_SHIFT */
  readonly swpPfnBits = 36;
  readonly SOFT_DIRTY = 0;
  readonly haveArchUffdWp = false;
  readonly zapIgnoreLo = (_PAGE_VALID | _PAGE_DIRTY | _PAGE_MODIFIED | _PAGE_WRITE | 0xfffff000) | 0;
  readonly zapIgnoreHi = PFN_HI_MASK;
  readonly protBatchIgnoreLo = (_PAGE_VALID | _PAGE_DIRTY | _PAGE_MODIFIED | 0xfffff000) | 0;
  readonly protBatchIgnoreHi = PFN_HI_MASK;

  constructor(readonly opt: LoongarchPgtableOptions) {}

  pte_none(e: Pte): boolean { return (e.lo & ~_PAGE_GLOBAL) === 0 && e.hi === 0; }
  pte_present(e: Pte): boolean { return (e.lo & (_PAGE_PRESENT | _PAGE_PROTNONE)) !== 0; }
  pte_protnone(e: Pte): boolean { return (e.lo & (_PAGE_PROTNONE | _PAGE_PRESENT)) === _PAGE_PROTNONE; }
  pte_write(e: Pte): boolean { return (e.lo & _PAGE_WRITE) !== 0; }
  /** pte_dirty: _PAGE_MODIFIED */
  pte_dirty(e: Pte): boolean { return (e.lo & _PAGE_MODIFIED) !== 0; }
  /** pte_young: _PAGE_ACCESSED, which is _PAGE_VALID */
  pte_young(e: Pte): boolean { return (e.lo & _PAGE_VALID) !== 0; }
  pte_special(e: Pte): boolean { return (e.lo & _PAGE_SPECIAL) !== 0; }
  pte_soft_dirty(_e: Pte): boolean { return false; }
  pte_uffd_wp(_e: Pte): boolean { return false; }

  pmd_none(e: Pte): boolean { return e.lo === 0 && e.hi === 0; }
  /** pmd_present of a huge PMD: PRESENT, PROTNONE or PRESENT_INVALID; of a table pointer: not none */
  pmd_present(e: Pte): boolean {
    if (e.lo & _PAGE_HUGE) return (e.lo & (_PAGE_PRESENT | _PAGE_PROTNONE)) !== 0 || (e.hi & _PAGE_HI_PRESENT_INVALID) !== 0;
    return !(e.lo === 0 && e.hi === 0);
  }
  pmd_trans_huge(e: Pte): boolean { return (e.lo & _PAGE_HUGE) !== 0 && this.pmd_present(e); }
  pmd_write(e: Pte): boolean { return this.pte_write(e); }
  pmd_dirty(e: Pte): boolean { return this.pte_dirty(e); }
  pmd_young(e: Pte): boolean { return this.pte_young(e); }
  pmd_soft_dirty(_e: Pte): boolean { return false; }
  pmd_uffd_wp(_e: Pte): boolean { return false; }
  pmd_protnone(e: Pte): boolean { return this.pte_protnone(e); }

  /** pte_mkdirty: _PAGE_MODIFIED, and _PAGE_DIRTY (writable!) always before bf2f34a506e6, only on a writable entry after */
  pte_mkdirty(e: Pte): Pte {
    e.lo |= _PAGE_MODIFIED;
    if (!this.opt.mkdirtyNeedsWrite || (e.lo & _PAGE_WRITE) !== 0) e.lo |= _PAGE_DIRTY;
    e.lo |= 0;
    return e;
  }
  pte_mkclean(e: Pte): Pte { e.lo = (e.lo & ~(_PAGE_DIRTY | _PAGE_MODIFIED)) | 0; return e; }
  /** pte_wrprotect: a hardware-dirty entry keeps its dirtiness in _PAGE_MODIFIED; _PAGE_WRITE and _PAGE_DIRTY go */
  pte_wrprotect(e: Pte): Pte {
    if (e.lo & _PAGE_DIRTY) e.lo |= _PAGE_MODIFIED;
    e.lo = (e.lo & ~(_PAGE_WRITE | _PAGE_DIRTY)) | 0;
    return e;
  }
  /** pte_mkwrite: _PAGE_WRITE, and _PAGE_DIRTY always before 54e6cd42a183, only on a modified entry after */
  pte_mkwrite(e: Pte): Pte {
    e.lo |= _PAGE_WRITE;
    if (!this.opt.mkwriteNeedsModified || (e.lo & _PAGE_MODIFIED) !== 0) e.lo |= _PAGE_DIRTY;
    e.lo |= 0;
    return e;
  }
  pte_mkyoung(e: Pte): Pte { e.lo = (e.lo | _PAGE_VALID) | 0; return e; }
  pte_mkold(e: Pte): Pte { e.lo = (e.lo & ~_PAGE_VALID) | 0; return e; }
  pte_mkspecial(e: Pte): Pte { e.lo = (e.lo | _PAGE_SPECIAL) | 0; return e; }
  pte_mksoft_dirty(e: Pte): Pte { return e; }
  pte_clear_soft_dirty(e: Pte): Pte { return e; }
  /** no HAVE_ARCH_USERFAULTFD_WP: the generic stubs leave the entry alone */
  pte_mkuffd_wp(e: Pte): Pte { return e; }
  pte_clear_uffd_wp(e: Pte): Pte { return e; }

  pmd_mkdirty(e: Pte): Pte { return this.pte_mkdirty(e); }
  pmd_mkclean(e: Pte): Pte { return this.pte_mkclean(e); }
  pmd_wrprotect(e: Pte): Pte { return this.pte_wrprotect(e); }
  pmd_mkwrite(e: Pte): Pte { return this.pte_mkwrite(e); }
  pmd_mkyoung(e: Pte): Pte { return this.pte_mkyoung(e); }
  pmd_mkold(e: Pte): Pte { return this.pte_mkold(e); }
  /** pmd_mkhuge: _PAGE_GLOBAL moves to _PAGE_HGLOBAL, _PAGE_HUGE set */
  pmd_mkhuge(e: Pte): Pte {
    const g = (e.lo & _PAGE_GLOBAL) !== 0;
    e.lo = ((e.lo & ~_PAGE_GLOBAL) | (g ? _PAGE_HGLOBAL : 0) | _PAGE_HUGE) | 0;
    return e;
  }
  pmd_mksoft_dirty(e: Pte): Pte { return e; }
  pmd_clear_soft_dirty(e: Pte): Pte { return e; }
  pmd_mkuffd_wp(e: Pte): Pte { return e; }
  pmd_clear_uffd_wp(e: Pte): Pte { return e; }

  /** pte_modify: _PAGE_DIRTY saved in _PAGE_MODIFIED, then _PAGE_CHG_MASK from the entry and the rest from newprot */
  pte_modify(e: Pte, prot: Pte): Pte { return this.modify(e, prot, CHG_LO); }
  pmd_modify(e: Pte, prot: Pte): Pte { return this.modify(e, prot, HCHG_LO); }
  private modify(e: Pte, prot: Pte, chg: number): Pte {
    if (e.lo & _PAGE_DIRTY) e.lo |= _PAGE_MODIFIED;
    e.lo = ((e.lo & chg) | (prot.lo & ~chg)) | 0;
    e.hi = ((e.hi & PFN_HI_MASK) | (prot.hi & ~PFN_HI_MASK)) | 0;
    return e;
  }

  pte_pfn(e: Pte): number { return pfnField(e.lo, e.hi, PFN_HI_MASK); }
  pmd_pfn(e: Pte): number { return this.pte_pfn(e); }
  pte_advance_pfn(e: Pte, nr: number): Pte { return this.setPfn(e, this.pte_pfn(e) + nr); }
  private setPfn(e: Pte, pfn: number): Pte { return setPfnField(e, pfn, PFN_HI_MASK); }
  /** pfn_pte: pfn << _PFN_SHIFT | prot */
  pfn_pte(e: Pte, pfn: number, prot: Pte): Pte {
    e.lo = prot.lo & 0xfff;
    e.hi = prot.hi & ~PFN_HI_MASK;
    return this.setPfn(e, pfn);
  }
  /** mk_huge_pmd = pmd_mkhuge(mk_pmd(page, prot)) (arch/loongarch/mm/pgtable.c mk_pmd: pfn << _PFN_SHIFT | prot) */
  mk_huge_pmd(e: Pte, pfn: number, prot: Pte): Pte { return this.pmd_mkhuge(this.pfn_pte(e, pfn, prot)); }

  // ---- swap entries: type in bits 16..23, offset from bit 24 (mk_swap_pte) ---------------------------
  swp_entry_to_pte(e: Pte, type: number, offset: number): Pte {
    const v = (BigInt(type & 0xff) << 16n) | (BigInt.asUintN(40, BigInt(offset)) << 24n);
    e.lo = Number(v & 0xffffffffn) | 0;
    e.hi = Number(v >> 32n) | 0;
    return e;
  }
  is_swap_pte(e: Pte): boolean { return !this.pte_none(e) && !this.pte_present(e); }
  is_swap_pmd(e: Pte): boolean { return this.is_swap_pte(e); }
  swp_type(e: Pte): number { return (e.lo >>> 16) & 0xff; }
  swp_offset(e: Pte): number { return (e.lo >>> 24) + (e.hi >>> 0) * 256; }
  pte_swp_soft_dirty(_e: Pte): boolean { return false; }
  pte_swp_uffd_wp(_e: Pte): boolean { return false; }
  pte_swp_mkuffd_wp(e: Pte): Pte { return e; }
  pte_swp_clear_uffd_wp(e: Pte): Pte { return e; }
  /** no __HAVE_ARCH_PTE_SWP_EXCLUSIVE in v6.0/v6.1: the generic stubs */
  pte_swp_exclusive(_e: Pte): boolean { return false; }
  pte_swp_mkexclusive(e: Pte): Pte { return e; }
  pte_swp_clear_exclusive(e: Pte): Pte { return e; }
  pte_swp_mksoft_dirty(e: Pte): Pte { return e; }
  pte_swp_clear_soft_dirty(e: Pte): Pte { return e; }

  // ---- tables, the walk and the TLB refill handlers -----------------------------------------------
  /**
   * a table pointer: not none and not _PAGE_HUGE. (LoongArch stores the table's kernel virtual address,
   * and an empty entry points to invalid_pte_table; the model stores the table's pfn << 12 and leaves an
   * empty entry zero, which nothing the model observes can tell apart.)
   */
  table_entry_points(lo: number, hi: number): boolean { return !(lo === 0 && hi === 0) && (lo & _PAGE_HUGE) === 0; }
  table_pfn(lo: number, hi: number): number { return pfnField(lo, hi, PFN_HI_MASK); }
  mk_table_entry(out: Pte, pfn: number): Pte {
    out.lo = 0;
    out.hi = 0;
    return this.setPfn(out, pfn);
  }
  pmd_leaf_lo(lo: number): boolean { return (lo & _PAGE_HUGE) !== 0; }
  /**
   * arch/loongarch/mm/tlbex.S: a load needs _PAGE_VALID, or a present entry, which handle_tlb_load makes
   * valid; a store goes through when the TLB entry has V and D (_PAGE_VALID and _PAGE_DIRTY: whatever
   * _PAGE_WRITE says), else handle_tlb_store / handle_tlb_modify need _PAGE_PRESENT and _PAGE_WRITE and
   * set _PAGE_VALID | _PAGE_DIRTY | _PAGE_MODIFIED; anything else goes to do_page_fault.
   */
  hw_access(e: Pte, write: boolean): number {
    if (!write) {
      if (e.lo & _PAGE_VALID) return 0;
      if ((e.lo & _PAGE_PRESENT) === 0) return -1;
      e.lo = (e.lo | _PAGE_VALID) | 0;
      return 0;
    }
    if ((e.lo & (_PAGE_VALID | _PAGE_DIRTY)) === (_PAGE_VALID | _PAGE_DIRTY)) return 0;
    if ((e.lo & (_PAGE_PRESENT | _PAGE_WRITE)) === (_PAGE_PRESENT | _PAGE_WRITE)) {
      e.lo = (e.lo | _PAGE_VALID | _PAGE_DIRTY | _PAGE_MODIFIED) | 0;
      return 0;
    }
    return (e.lo & _PAGE_PRESENT) !== 0 ? -2 : -1;
  }
  vm_get_page_prot(vm_flags: number): Pte { return protection_map[vm_flags & 0xf]!.clone(); }
  /** the generic ptep_set_access_flags: any change is stored */
  set_access_flags(cur: Pte, entry: Pte, _dirty: boolean): Pte | null { return entry.equals(cur) ? null : entry; }
  batch_gather(e: Pte, lo: number, _hi: number): Pte {
    if (lo & _PAGE_MODIFIED) this.pte_mkdirty(e);
    if (lo & _PAGE_VALID) this.pte_mkyoung(e);
    return e;
  }
}

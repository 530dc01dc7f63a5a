// arm64 page-table entries with a 4 KiB granule and 4 levels (48-bit VA, 48-bit PA, no LPA2, no EPAN,
// no BTI/MTE/POE on user pages, the contiguous bit never set): the bit layout of
// arch/arm64/include/asm/pgtable-hwdef.h and pgtable-prot.h, the helpers of asm/pgtable.h and the
// protection_map of arch/arm64/mm/mmap.c, @v6.10..v6.18 (PTE_PRESENT_INVALID overlays PTE_NG, 55564814a838).
// A 64-bit entry is two 32-bit words as on x86 (lo = bits 0..31, hi = bits 32..63).
import { Pte } from '../../x86/include/pte.js';
import { pfnField, setPfnField, type Pgtable } from '../../pgtable.js';

// ---- pgtable-hwdef.h: level 3 descriptor (PTE) and the section (PMD leaf) bits --------------------------
export const PTE_VALID = 1 << 0;
/** PTE_TYPE_PAGE = 3 << 0; in a PMD, PMD_TABLE_BIT: set = table, clear = section (a huge PMD) */
export const PTE_TABLE_BIT = 1 << 1;
export const PTE_TYPE_PAGE = 3;
/** AttrIndx[2:0], bits 2..4 (MT_NORMAL = 0 for user memory) */
export const PTE_ATTRINDX_MASK = 7 << 2;
export const PTE_USER = 1 << 6; // AP[1]
export const PTE_RDONLY = 1 << 7; // AP[2]
export const PTE_SHARED = 3 << 8; // SH[1:0], inner shareable
export const PTE_AF = 1 << 10; // Access Flag
export const PTE_NG = 1 << 11; // nG
// high word (bit - 32)
export const PTE_HI_GP = 1 << (50 - 32); // BTI guarded
export const PTE_HI_DBM = 1 << (51 - 32); // Dirty Bit Management
export const PTE_HI_CONT = 1 << (52 - 32); // contiguous (never set by the model)
export const PTE_HI_PXN = 1 << (53 - 32);
export const PTE_HI_UXN = 1 << (54 - 32);
/** PTE_PO_IDX_MASK, bits 60..62 (POE) */
export const PTE_HI_PO_IDX_MASK = 7 << (60 - 32);
/** PTE_ADDR_LOW: the output address, bits 12..49 */
export const PTE_HI_ADDR_MASK = (1 << (50 - 32)) - 1;

// ---- pgtable-prot.h: software bits -----------------------------------------------------------------
/** PTE_WRITE is PTE_DBM (bit 51) */
export const PTE_HI_WRITE = PTE_HI_DBM;
export const PTE_HI_DIRTY = 1 << (55 - 32);
export const PTE_HI_SPECIAL = 1 << (56 - 32);
/** PTE_UFFD_WP, bit 58, with CONFIG_HAVE_ARCH_USERFAULTFD_WP (5b32510af77b, v6.10) */
export const PTE_HI_UFFD_WP = 1 << (58 - 32);
/** PTE_PRESENT_INVALID overlays PTE_NG, only when !PTE_VALID (PROT_NONE, pmd_mkinvalid) */
export const PTE_PRESENT_INVALID = PTE_NG;
/** swap PTEs: PTE_SWP_EXCLUSIVE bit 2, PTE_SWP_UFFD_WP bit 3 */
export const PTE_SWP_EXCLUSIVE = 1 << 2;
export const PTE_SWP_UFFD_WP = 1 << 3;
/** swap entry: type bits 6..10, offset bits 12..61 (asm/pgtable.h __SWP_*) */
export const __SWP_TYPE_SHIFT = 6, __SWP_TYPE_BITS = 5, __SWP_OFFSET_SHIFT = 12, __SWP_OFFSET_BITS = 50;
/** PMD_TYPE_TABLE | PMD_TABLE_PXN (bit 59): what pmd_populate/pud_populate/p4d_populate write for a user table */
export const PMD_TYPE_TABLE = 3;
export const PMD_HI_TABLE_PXN = 1 << (59 - 32);

// ---- pgtable-prot.h protection values ---------------------------------------------------------------
/** _PAGE_DEFAULT = PTE_TYPE_PAGE | PTE_AF | PTE_SHARED | PTE_ATTRINDX(MT_NORMAL) */
const _PAGE_DEFAULT = PTE_TYPE_PAGE | PTE_AF | PTE_SHARED;
const U_RO_NG = _PAGE_DEFAULT | PTE_USER | PTE_RDONLY | PTE_NG;
/** PAGE_NONE: !VALID, PRESENT_INVALID, RDONLY, NG, PXN, UXN: 0x0060000000000f82 */
export const PAGE_NONE = Pte.of((_PAGE_DEFAULT & ~PTE_VALID) | PTE_PRESENT_INVALID | PTE_RDONLY | PTE_NG, PTE_HI_PXN | PTE_HI_UXN);
/** PAGE_SHARED: clean shared writable, so RDONLY|WRITE: 0x0068000000000fc3 */
export const PAGE_SHARED = Pte.of(U_RO_NG, PTE_HI_PXN | PTE_HI_UXN | PTE_HI_WRITE);
export const PAGE_SHARED_EXEC = Pte.of(U_RO_NG, PTE_HI_PXN | PTE_HI_WRITE); // 0x0028000000000fc3
export const PAGE_READONLY = Pte.of(U_RO_NG, PTE_HI_PXN | PTE_HI_UXN); // 0x0060000000000fc3
export const PAGE_READONLY_EXEC = Pte.of(U_RO_NG, PTE_HI_PXN); // 0x0020000000000fc3

/** arch/arm64/mm/mmap.c protection_map (no EPAN: VM_EXEC alone is PAGE_READONLY_EXEC; private writable is PAGE_READONLY) */
export const protection_map: readonly Pte[] = [
  PAGE_NONE, PAGE_READONLY, PAGE_READONLY, PAGE_READONLY, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC,
  PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_SHARED_EXEC, PAGE_SHARED_EXEC,
];

export interface Arm64PgtableOptions {
  /** CONFIG_HAVE_ARCH_USERFAULTFD_WP: PTE_UFFD_WP (bit 58) and PTE_SWP_UFFD_WP (bit 3), from 5b32510af77b (v6.10) */
  uffdWpBit: boolean;
}

/** pte_modify's mask: USER|PXN|UXN|RDONLY|PRESENT_INVALID|VALID|WRITE|GP|ATTRINDX|PO_IDX */
const MODIFY_LO = PTE_USER | PTE_RDONLY | PTE_PRESENT_INVALID | PTE_VALID | PTE_ATTRINDX_MASK;
const MODIFY_HI = PTE_HI_PXN | PTE_HI_UXN | PTE_HI_WRITE | PTE_HI_GP | PTE_HI_PO_IDX_MASK;

export class Arm64Pgtable implements Pgtable {
  readonly arch = 'arm64' as const;
  /** pte_present: PTE_VALID, or PTE_PRESENT_INVALID (bit 11) with VALID clear */
  readonly presentLo = PTE_VALID | PTE_PRESENT_INVALID;
  readonly validLo = PTE_VALID;
  /** MAX_PHYSMEM_BITS (CONFIG_ARM64_PA_BITS = 48) - PAGE_SHIFT */
  readonly swpPfnBits = 36;
  /** no HAVE_ARCH_SOFT_DIRTY on arm64 (Ryan Roberts' 2024 series proposed it; it was dropped) */
  readonly SOFT_DIRTY = 0;
  readonly UFFD_WP_HI: number;
  readonly SWP_UFFD_WP: number;
  readonly haveArchUffdWp: boolean;
  /** folio_pte_batch's ignored bits: pte_mkclean, pte_wrprotect, pte_mkold reach AF, RDONLY, DIRTY, WRITE */
  readonly zapIgnoreLo = (PTE_AF | PTE_RDONLY | 0xfffff000) | 0;
  readonly zapIgnoreHi = PTE_HI_DIRTY | PTE_HI_WRITE | PTE_HI_ADDR_MASK;
  /** mprotect's batch respects write: pte_mkclean and pte_mkold reach AF, RDONLY, DIRTY */
  readonly protBatchIgnoreLo = (PTE_AF | PTE_RDONLY | 0xfffff000) | 0;
  readonly protBatchIgnoreHi = PTE_HI_DIRTY | PTE_HI_ADDR_MASK;

  constructor(readonly opt: Arm64PgtableOptions) {
    this.haveArchUffdWp = opt.uffdWpBit;
    this.UFFD_WP_HI = opt.uffdWpBit ? PTE_HI_UFFD_WP : 0;
    this.SWP_UFFD_WP = opt.uffdWpBit ? PTE_SWP_UFFD_WP : 0;
  }

  // ---- tests (asm/pgtable.h) ---------------------------------------------------------------------
  pte_none(e: Pte): boolean { return e.lo === 0 && e.hi === 0; }
  pte_present(e: Pte): boolean { return (e.lo & (PTE_VALID | PTE_PRESENT_INVALID)) !== 0; }
  /** present-invalid, !PTE_USER and !pte_user_exec (UXN set) */
  pte_protnone(e: Pte): boolean {
    return (e.lo & (PTE_VALID | PTE_PRESENT_INVALID)) === PTE_PRESENT_INVALID && (e.lo & PTE_USER) === 0 && (e.hi & PTE_HI_UXN) !== 0;
  }
  pte_write(e: Pte): boolean { return (e.hi & PTE_HI_WRITE) !== 0; }
  /** pte_hw_dirty: WRITE and !RDONLY */
  private hw_dirty(lo: number, hi: number): boolean { return (hi & PTE_HI_WRITE) !== 0 && (lo & PTE_RDONLY) === 0; }
  /** pte_sw_dirty || pte_hw_dirty */
  pte_dirty(e: Pte): boolean { return (e.hi & PTE_HI_DIRTY) !== 0 || this.hw_dirty(e.lo, e.hi); }
  pte_young(e: Pte): boolean { return (e.lo & PTE_AF) !== 0; }
  pte_special(e: Pte): boolean { return (e.hi & PTE_HI_SPECIAL) !== 0; }
  /** include/linux/pgtable.h stub without CONFIG_HAVE_ARCH_SOFT_DIRTY */
  pte_soft_dirty(_e: Pte): boolean { return false; }
  pte_uffd_wp(e: Pte): boolean { return (e.hi & this.UFFD_WP_HI) !== 0; }

  pmd_none(e: Pte): boolean { return e.lo === 0 && e.hi === 0; }
  pmd_present(e: Pte): boolean { return this.pte_present(e); }
  /** pmd_trans_huge: not none, present, and not a table even with PTE_VALID forced (bit 1 clear) */
  pmd_trans_huge(e: Pte): boolean {
    return !(e.lo === 0 && e.hi === 0) && this.pte_present(e) && (e.lo & PTE_TABLE_BIT) === 0;
  }
  pmd_write(e: Pte): boolean { return this.pte_write(e); }
  pmd_dirty(e: Pte): boolean { return this.pte_dirty(e); }
  pmd_young(e: Pte): boolean { return this.pte_young(e); }
  pmd_soft_dirty(_e: Pte): boolean { return false; }
  pmd_uffd_wp(e: Pte): boolean { return this.pte_uffd_wp(e); }
  pmd_protnone(e: Pte): boolean { return this.pte_protnone(e); }

  // ---- modifiers -----------------------------------------------------------------------------------
  /** pte_mkdirty: set PTE_DIRTY; a writable entry also loses PTE_RDONLY (hardware dirty) */
  pte_mkdirty(e: Pte): Pte {
    e.hi = (e.hi | PTE_HI_DIRTY) | 0;
    if (e.hi & PTE_HI_WRITE) e.lo = (e.lo & ~PTE_RDONLY) | 0;
    return e;
  }
  /** pte_mkclean: clear PTE_DIRTY, set PTE_RDONLY */
  pte_mkclean(e: Pte): Pte {
    e.hi = (e.hi & ~PTE_HI_DIRTY) | 0;
    e.lo = (e.lo | PTE_RDONLY) | 0;
    return e;
  }
  /** pte_wrprotect: hardware dirtiness moves to PTE_DIRTY; clear PTE_WRITE, set PTE_RDONLY */
  pte_wrprotect(e: Pte): Pte {
    if (this.hw_dirty(e.lo, e.hi)) e.hi = (e.hi | PTE_HI_DIRTY) | 0;
    e.hi = (e.hi & ~PTE_HI_WRITE) | 0;
    e.lo = (e.lo | PTE_RDONLY) | 0;
    return e;
  }
  /** pte_mkwrite_novma: set PTE_WRITE; a software-dirty entry loses PTE_RDONLY */
  pte_mkwrite(e: Pte): Pte {
    e.hi = (e.hi | PTE_HI_WRITE) | 0;
    if (e.hi & PTE_HI_DIRTY) e.lo = (e.lo & ~PTE_RDONLY) | 0;
    return e;
  }
  pte_mkyoung(e: Pte): Pte { e.lo = (e.lo | PTE_AF) | 0; return e; }
  pte_mkold(e: Pte): Pte { e.lo = (e.lo & ~PTE_AF) | 0; return e; }
  pte_mkspecial(e: Pte): Pte { e.hi = (e.hi | PTE_HI_SPECIAL) | 0; return e; }
  pte_mksoft_dirty(e: Pte): Pte { return e; }
  pte_clear_soft_dirty(e: Pte): Pte { return e; }
  /** pte_mkuffd_wp: set PTE_UFFD_WP, then pte_wrprotect */
  pte_mkuffd_wp(e: Pte): Pte {
    e.hi = (e.hi | this.UFFD_WP_HI) | 0;
    return this.pte_wrprotect(e);
  }
  pte_clear_uffd_wp(e: Pte): Pte { e.hi = (e.hi & ~this.UFFD_WP_HI) | 0; return e; }

  pmd_mkdirty(e: Pte): Pte { return this.pte_mkdirty(e); }
  pmd_mkclean(e: Pte): Pte { return this.pte_mkclean(e); }
  pmd_wrprotect(e: Pte): Pte { return this.pte_wrprotect(e); }
  pmd_mkwrite(e: Pte): Pte { return this.pte_mkwrite(e); }
  pmd_mkyoung(e: Pte): Pte { return this.pte_mkyoung(e); }
  pmd_mkold(e: Pte): Pte { return this.pte_mkold(e); }
  /** pmd_mkhuge: clear PMD_TABLE_BIT (a section) */
  pmd_mkhuge(e: Pte): Pte { e.lo = (e.lo & ~PTE_TABLE_BIT) | 0; return e; }
  pmd_mksoft_dirty(e: Pte): Pte { return e; }
  pmd_clear_soft_dirty(e: Pte): Pte { return e; }
  pmd_mkuffd_wp(e: Pte): Pte { return this.pte_mkuffd_wp(e); }
  pmd_clear_uffd_wp(e: Pte): Pte { return this.pte_clear_uffd_wp(e); }

  /**
   * pte_modify: hardware dirtiness saved in PTE_DIRTY first, the mask's bits taken from newprot, and a
   * software-dirty result made hardware-dirty again by pte_mkdirty
   */
  pte_modify(e: Pte, prot: Pte): Pte {
    if (this.hw_dirty(e.lo, e.hi)) e.hi = (e.hi | PTE_HI_DIRTY) | 0;
    e.lo = ((e.lo & ~MODIFY_LO) | (prot.lo & MODIFY_LO)) | 0;
    e.hi = ((e.hi & ~MODIFY_HI) | (prot.hi & MODIFY_HI)) | 0;
    if (e.hi & PTE_HI_DIRTY) this.pte_mkdirty(e);
    return e;
  }
  /** pmd_modify = pte_modify of the PMD */
  pmd_modify(e: Pte, prot: Pte): Pte { return this.pte_modify(e, prot); }

  /** pte_pfn: (pte & PTE_ADDR_LOW) >> PAGE_SHIFT */
  pte_pfn(e: Pte): number { return pfnField(e.lo, e.hi, PTE_HI_ADDR_MASK); }
  /** pmd_pfn: the address masked to the PMD (PMD_MASK) */
  pmd_pfn(e: Pte): number { return this.pte_pfn(e) - (this.pte_pfn(e) % 512); }
  /** pte_advance_pfn = pfn_pte(pte_pfn(pte) + nr, pte_pgprot(pte)) */
  pte_advance_pfn(e: Pte, nr: number): Pte { return this.setPfn(e, this.pte_pfn(e) + nr); }
  private setPfn(e: Pte, pfn: number): Pte { return setPfnField(e, pfn, PTE_HI_ADDR_MASK); }
  /** pfn_pte: pfn << PAGE_SHIFT | prot (no inversion on arm64) */
  pfn_pte(e: Pte, pfn: number, prot: Pte): Pte {
    e.lo = prot.lo & 0xfff;
    e.hi = prot.hi & ~PTE_HI_ADDR_MASK;
    return this.setPfn(e, pfn);
  }
  /** mk_huge_pmd = pmd_mkhuge(pfn_pmd(pfn, prot)) */
  mk_huge_pmd(e: Pte, pfn: number, prot: Pte): Pte { return this.pmd_mkhuge(this.pfn_pte(e, pfn, prot)); }

  // ---- swap entries (type bits 6..10, offset bits 12..61; bits 0, 1 and 11 clear) -------------------
  swp_entry_to_pte(e: Pte, type: number, offset: number): Pte {
    const v = (BigInt(type & 31) << BigInt(__SWP_TYPE_SHIFT)) | (BigInt.asUintN(__SWP_OFFSET_BITS, BigInt(offset)) << BigInt(__SWP_OFFSET_SHIFT));
    e.lo = Number(v & 0xffffffffn) | 0;
    e.hi = Number(v >> 32n) | 0;
    return e;
  }
  is_swap_pte(e: Pte): boolean { return !this.pte_none(e) && !this.pte_present(e); }
  is_swap_pmd(e: Pte): boolean { return this.is_swap_pte(e); }
  swp_type(e: Pte): number { return (e.lo >>> __SWP_TYPE_SHIFT) & 31; }
  swp_offset(e: Pte): number {
    const v = ((BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0)) >> BigInt(__SWP_OFFSET_SHIFT);
    return Number(BigInt.asUintN(__SWP_OFFSET_BITS, v));
  }
  pte_swp_soft_dirty(_e: Pte): boolean { return false; }
  pte_swp_uffd_wp(e: Pte): boolean { return (e.lo & this.SWP_UFFD_WP) !== 0; }
  pte_swp_mkuffd_wp(e: Pte): Pte { e.lo = (e.lo | this.SWP_UFFD_WP) | 0; return e; }
  pte_swp_clear_uffd_wp(e: Pte): Pte { e.lo = (e.lo & ~this.SWP_UFFD_WP) | 0; return e; }
  pte_swp_exclusive(e: Pte): boolean { return (e.lo & PTE_SWP_EXCLUSIVE) !== 0; }
  pte_swp_mkexclusive(e: Pte): Pte { e.lo = (e.lo | PTE_SWP_EXCLUSIVE) | 0; return e; }
  pte_swp_clear_exclusive(e: Pte): Pte { e.lo = (e.lo & ~PTE_SWP_EXCLUSIVE) | 0; return e; }
  pte_swp_mksoft_dirty(e: Pte): Pte { return e; }
  pte_swp_clear_soft_dirty(e: Pte): Pte { return e; }

  // ---- tables, the walk and the MMU ----------------------------------------------------------------
  /** pmd_table: PMD_TYPE_TABLE in bits 0..1 */
  table_entry_points(lo: number, _hi: number): boolean { return (lo & 3) === PMD_TYPE_TABLE; }
  table_pfn(lo: number, hi: number): number { return pfnField(lo, hi, PTE_HI_ADDR_MASK); }
  /** pmd_populate (asm/pgalloc.h): PMD_TYPE_TABLE | PMD_TABLE_PXN for a user table */
  mk_table_entry(out: Pte, pfn: number): Pte {
    out.lo = PMD_TYPE_TABLE;
    out.hi = PMD_HI_TABLE_PXN;
    return this.setPfn(out, pfn);
  }
  /** a section: bit 0 or bit 11 set and bit 1 clear */
  pmd_leaf_lo(lo: number): boolean { return (lo & (PTE_VALID | PTE_PRESENT_INVALID)) !== 0 && (lo & PTE_TABLE_BIT) === 0; }
  /**
   * EL0 access with FEAT_HAFDBS (hardware access flag and dirty state, as the model assumes of every
   * arm64 CPU): an invalid entry is a translation fault; AP[1] (PTE_USER) clear a permission fault; a
   * write to an AP[2]=1 (PTE_RDONLY) entry is a permission fault unless DBM (PTE_WRITE) is set, when the
   * CPU clears PTE_RDONLY itself; the CPU sets PTE_AF on any access.
   */
  hw_access(e: Pte, write: boolean): number {
    if ((e.lo & PTE_VALID) === 0) return -1;
    if ((e.lo & PTE_USER) === 0) return -2;
    if (write && (e.lo & PTE_RDONLY) !== 0) {
      if ((e.hi & PTE_HI_DBM) === 0) return -2;
      e.lo = (e.lo & ~PTE_RDONLY) | 0;
    }
    e.lo = (e.lo | PTE_AF) | 0;
    return 0;
  }
  vm_get_page_prot(vm_flags: number): Pte { return protection_map[vm_flags & 0xf]!.clone(); }
  /**
   * arch/arm64/mm/fault.c __ptep_set_access_flags: any change is stored; only AF, WRITE and DIRTY are
   * added from the entry, and PTE_RDONLY becomes the more permissive (clear) of the two
   */
  set_access_flags(cur: Pte, entry: Pte, _dirty: boolean): Pte | null {
    if (entry.equals(cur)) return null;
    const eLo = (entry.lo & (PTE_RDONLY | PTE_AF)) ^ PTE_RDONLY, eHi = entry.hi & (PTE_HI_WRITE | PTE_HI_DIRTY);
    const lo = (((cur.lo ^ PTE_RDONLY) | eLo) ^ PTE_RDONLY) | 0;
    return Pte.of(lo, cur.hi | eHi);
  }
  /** get_and_clear_full_ptes: pte_mkdirty when the other is dirty, pte_mkyoung when it is young */
  batch_gather(e: Pte, lo: number, hi: number): Pte {
    if ((hi & PTE_HI_DIRTY) !== 0 || this.hw_dirty(lo, hi)) this.pte_mkdirty(e);
    if (lo & PTE_AF) this.pte_mkyoung(e);
    return e;
  }
}

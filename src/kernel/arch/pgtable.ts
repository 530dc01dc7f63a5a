// The one interface through which mm/ reads and changes page-table entries: each architecture's row of
// the arch table (arch.ts) gives a class of this shape (x86/include/pgtable.ts, arm64/include/pgtable.ts).
// The helpers mutate a Pte value in place and return it, as the x86 ones always did.
import type { Pte } from './x86/include/pte.js';

/**
 * An entry whose pfn is a plain field from bit 12 up (arm64, loongarch64: no inversion, no pfn above the
 * mask): the pfn, given the high word's mask of the field
 */
export function pfnField(lo: number, hi: number, hiMask: number): number {
  return (lo >>> 12) + (hi & hiMask) * 1048576;
}
/** the same field of e set to pfn, the other bits kept */
export function setPfnField(e: Pte, pfn: number, hiMask: number): Pte {
  e.lo = ((e.lo & 0xfff) | ((pfn % 1048576) << 12)) | 0;
  e.hi = ((e.hi & ~hiMask) | (Math.floor(pfn / 1048576) & hiMask)) | 0;
  return e;
}

/** the architectures the model has rules for (src/kernel/arch/arch.ts) */
export type ArchName = 'x86_64' | 'arm64' | 'loongarch64';

export interface Pgtable {
  readonly arch: ArchName;
  /** the lo-word bits of which one makes an entry present (pte_present), for loops that test raw words */
  readonly presentLo: number;
  /** the lo-word bit the CPU reads as valid (x86 _PAGE_PRESENT, arm64 PTE_VALID) */
  readonly validLo: number;
  /** swp_offset bits the pfn of a migration entry takes (include/linux/swapops.h SWP_PFN_BITS) */
  readonly swpPfnBits: number;
  /**
   * CONFIG_HAVE_ARCH_USERFAULTFD_WP: without it UFFDIO_API drops UFFD_FEATURE_PAGEFAULT_FLAG_WP (and the
   * marker features, PTE_MARKER_UFFD_WP depending on it) and UFFDIO_REGISTER refuses MODE_WP with EINVAL.
   * x86 selects it with uffd-wp itself (v5.7), so the x86 row answers true.
   */
  readonly haveArchUffdWp: boolean;
  /** CONFIG_MEM_SOFT_DIRTY is set and the arch has the bit (x86: bit 11; 0 where none) */
  readonly SOFT_DIRTY: number;

  pte_none(e: Pte): boolean;
  pte_present(e: Pte): boolean;
  pte_protnone(e: Pte): boolean;
  pte_write(e: Pte): boolean;
  pte_dirty(e: Pte): boolean;
  pte_young(e: Pte): boolean;
  pte_special(e: Pte): boolean;
  pte_soft_dirty(e: Pte): boolean;
  pte_uffd_wp(e: Pte): boolean;
  pmd_none(e: Pte): boolean;
  pmd_present(e: Pte): boolean;
  pmd_trans_huge(e: Pte): boolean;
  pmd_write(e: Pte): boolean;
  pmd_dirty(e: Pte): boolean;
  pmd_young(e: Pte): boolean;
  pmd_soft_dirty(e: Pte): boolean;
  pmd_uffd_wp(e: Pte): boolean;
  pmd_protnone(e: Pte): boolean;

  pte_mkdirty(e: Pte): Pte;
  pte_mkclean(e: Pte): Pte;
  pte_wrprotect(e: Pte): Pte;
  pte_mkwrite(e: Pte): Pte;
  pte_mkyoung(e: Pte): Pte;
  pte_mkold(e: Pte): Pte;
  pte_mkspecial(e: Pte): Pte;
  pte_mksoft_dirty(e: Pte): Pte;
  pte_clear_soft_dirty(e: Pte): Pte;
  pte_mkuffd_wp(e: Pte): Pte;
  pte_clear_uffd_wp(e: Pte): Pte;
  pmd_mkdirty(e: Pte): Pte;
  pmd_mkclean(e: Pte): Pte;
  pmd_wrprotect(e: Pte): Pte;
  pmd_mkwrite(e: Pte): Pte;
  pmd_mkyoung(e: Pte): Pte;
  pmd_mkold(e: Pte): Pte;
  pmd_mkhuge(e: Pte): Pte;
  pmd_mksoft_dirty(e: Pte): Pte;
  pmd_clear_soft_dirty(e: Pte): Pte;
  pmd_mkuffd_wp(e: Pte): Pte;
  pmd_clear_uffd_wp(e: Pte): Pte;
  pte_modify(e: Pte, prot: Pte): Pte;
  pmd_modify(e: Pte, prot: Pte): Pte;

  pte_pfn(e: Pte): number;
  pmd_pfn(e: Pte): number;
  pte_advance_pfn(e: Pte, nr: number): Pte;
  pfn_pte(e: Pte, pfn: number, prot: Pte): Pte;
  mk_huge_pmd(e: Pte, pfn: number, prot: Pte): Pte;

  swp_entry_to_pte(e: Pte, type: number, offset: number): Pte;
  is_swap_pte(e: Pte): boolean;
  /** is_swap_pmd (include/linux/swapops.h): not none and not pmd_present */
  is_swap_pmd(e: Pte): boolean;
  swp_type(e: Pte): number;
  swp_offset(e: Pte): number;
  pte_swp_soft_dirty(e: Pte): boolean;
  pte_swp_uffd_wp(e: Pte): boolean;
  pte_swp_mkuffd_wp(e: Pte): Pte;
  pte_swp_clear_uffd_wp(e: Pte): Pte;
  pte_swp_exclusive(e: Pte): boolean;
  pte_swp_mkexclusive(e: Pte): Pte;
  pte_swp_clear_exclusive(e: Pte): Pte;
  pte_swp_mksoft_dirty(e: Pte): Pte;
  pte_swp_clear_soft_dirty(e: Pte): Pte;

  // ---- what the tables and the CPU do with entries (pmd_populate, the page walk, the MMU) ----
  /** an upper-level entry (raw words) that points to a table (pmd_table / pud_table: present, not a leaf) */
  table_entry_points(lo: number, hi: number): boolean;
  /** the pfn of the table an upper-level entry points to */
  table_pfn(lo: number, hi: number): number;
  /** pmd_populate / pud_populate / p4d_populate of a user table: the entry pointing to the table at pfn */
  mk_table_entry(out: Pte, pfn: number): Pte;
  /** a PMD entry (raw lo word) that is a huge leaf, valid or not (x86 _PAGE_PSE; arm64 present with the table bit clear) */
  pmd_leaf_lo(lo: number): boolean;
  /**
   * The CPU's access to a leaf entry by user code: 0 when it goes through (e then holds the entry as the
   * CPU leaves it: accessed, and dirty on a write), -1 for a translation fault (not valid), -2 for a
   * permission fault.
   */
  hw_access(e: Pte, write: boolean): number;
  /**
   * ptep_set_access_flags / pmdp_set_access_flags: the entry the fault handler stores for `entry` (the
   * faulting entry made young, and dirty on a write) over `cur`, or null when it stores nothing
   */
  set_access_flags(cur: Pte, entry: Pte, dirty: boolean): Pte | null;
  /** vm_get_page_prot(vm_flags): protection_map[vm_flags & (VM_READ|VM_WRITE|VM_EXEC|VM_SHARED)] */
  vm_get_page_prot(vm_flags: number): Pte;
  /**
   * The batch gather of modify_prot_start_ptes / get_and_clear_full_ptes: another PTE of the batch (raw
   * words) adds its accessed and dirty state to e
   */
  batch_gather(e: Pte, lo: number, hi: number): Pte;
  /** the raw-word bits folio_pte_batch ignores for zap_present_ptes (write, young, dirty, soft-dirty, the pfn) */
  readonly zapIgnoreLo: number;
  readonly zapIgnoreHi: number;
  /** the raw-word bits folio_pte_batch ignores for mprotect (FPB_RESPECT_SOFT_DIRTY | FPB_RESPECT_WRITE): young, dirty, the pfn */
  readonly protBatchIgnoreLo: number;
  readonly protBatchIgnoreHi: number;
}

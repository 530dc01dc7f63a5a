// Freeing the PTE tables a zap empties (mm/pt_reclaim.c @v6.18, CONFIG_PT_RECLAIM): Qi Zheng's series
// "synchronously scan and reclaim empty user PTE pages" (6375e95f381e, v6.14), selected on x86-64 by
// 4817f70c25b6 (the x86-pt-reclaim row). Only MADV_DONTNEED asks for it (zap_details.reclaim_pt);
// zap_pte_range decides, these helpers take the table away.
import type { Kernel } from '../kernel.js';
import type { MmStruct } from '../include/mm_types.js';
import { PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import { PATCH } from '../../profiles/patches.js';
import { freeTable, type PageTable, type Slot } from './pgtable.js';
import type { ZapDetails } from './filemap.js';

/** mm/pt_reclaim.c reclaim_pt_is_enabled() @v6.18: the zap asked for it and covers a whole PTE table (false without CONFIG_PT_RECLAIM) */
export function reclaim_pt_is_enabled(k: Kernel, start: number, end: number, details: ZapDetails | null): boolean {
  if (!k.has(PATCH.x86PtReclaim)) return false;
  return details !== null && details.reclaim_pt === true && end - start >= PMD_SIZE;
}

/** mm/pt_reclaim.c try_get_and_clear_pmd() @v6.18: clear the PMD that points to the table (its spin_trylock never fails in the model: no other CPU holds it) */
export function try_get_and_clear_pmd(pmd: Slot): void {
  pmd.t.clear(pmd.i);
}

/** mm/pt_reclaim.c free_pte() @v6.18: the PTE table's page goes back (pte_free_tlb; the model keeps no nr_ptes) */
export function free_pte(k: Kernel, mm: MmStruct, t: PageTable): void {
  freeTable(k, mm, t);
}

// The hardware page walk of the CPU for a user access: the walk down to the leaf entry, then the arch's
// check of that entry and the accessed/dirty state the CPU sets on success (Pgtable.hw_access: x86 SDM
// vol. 3, 4.8; arm64 with FEAT_HAFDBS). The result is the model's fault code in x86 terms: both
// architectures' fault handlers take a user fault as (write?, permission or translation fault?).
import type { Kernel } from '../../kernel.js';
import type { MmStruct } from '../../include/mm_types.js';
import { PAGE_SIZE } from './include/pgtable_types.js';
import { Pte } from './include/pte.js';
import { X86_PF_PROT, X86_PF_USER, X86_PF_WRITE } from '../../include/fault.js';
import { pmd_index, pte_index } from '../../mm/pgtable.js';
import { pmdTable, pteTableOf } from '../../mm/pagewalk.js';

const leaf = new Pte();

/** the pfn the access reaches, or a negative #PF error code */
export function mmu_access(k: Kernel, mm: MmStruct, addr: number, write: boolean): number {
  const g = k.pgt;
  const err = X86_PF_USER | (write ? X86_PF_WRITE : 0);
  const pmdt = pmdTable(k, mm, addr);
  if (pmdt === null) return -err;
  let t = pmdt, i = pmd_index(addr);
  // (both words of an entry in one read: PageTable.get)
  t.get(i, leaf);
  let pfnOffset = 0;
  if (g.pmd_leaf_lo(leaf.lo)) {
    // a huge PMD, valid or not: hw_access decides
    pfnOffset = Math.floor(addr / PAGE_SIZE) & 511;
  } else {
    // (pteTableOf asks table_entry_points: null when the entry points to no table)
    const pt = pteTableOf(k, mm, leaf.lo, leaf.hi);
    if (pt === null) return -err;
    t = pt;
    i = pte_index(addr);
    t.get(i, leaf);
  }
  const lo = leaf.lo, hi = leaf.hi;
  const r = g.hw_access(leaf, write);
  if (r === -1) return -err;
  if (r < 0) return -(err | X86_PF_PROT);
  // the CPU sets the accessed (and on a write the dirty) state in the leaf entry
  if (leaf.lo !== lo || leaf.hi !== hi) t.setRaw(i, leaf.lo, leaf.hi);
  return g.pte_pfn(leaf) + pfnOffset;
}

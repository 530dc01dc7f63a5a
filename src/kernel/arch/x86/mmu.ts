// The hardware page walk of an x86-64 CPU for a user access: present and write checks on the leaf
// entry, and the accessed/dirty bits the CPU sets on success (SDM vol. 3, 4.8).
import type { Kernel } from '../../kernel.js';
import type { MmStruct } from '../../include/mm_types.js';
import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_PSE, _PAGE_RW, _PAGE_USER, PAGE_SIZE } from './include/pgtable_types.js';
import { X86_PF_PROT, X86_PF_USER, X86_PF_WRITE } from '../../include/fault.js';
import { pmd_index, pte_index } from '../../mm/pgtable.js';
import { pmdTable, pteTableAt } from '../../mm/pagewalk.js';

/** the pfn the access reaches, or a negative #PF error code */
export function mmu_access(k: Kernel, mm: MmStruct, addr: number, write: boolean): number {
  const err = X86_PF_USER | (write ? X86_PF_WRITE : 0);
  const pmdt = pmdTable(k, mm, addr);
  if (pmdt === null) return -err;
  let t = pmdt, i = pmd_index(addr);
  let lo = t.lo(i);
  if (!(lo & _PAGE_PRESENT)) return -err;
  let pfnOffset = 0;
  if (lo & _PAGE_PSE) {
    pfnOffset = Math.floor(addr / PAGE_SIZE) & 511;
  } else {
    const pt = pteTableAt(k, mm, pmdt, i);
    if (pt === null) return -err;
    t = pt;
    i = pte_index(addr);
    lo = t.lo(i);
    if (!(lo & _PAGE_PRESENT)) return -err;
  }
  if (!(lo & _PAGE_USER)) return -(err | X86_PF_PROT);
  if (write && !(lo & _PAGE_RW)) return -(err | X86_PF_PROT);
  // the CPU sets A, and D on a write, in the leaf entry
  const set = _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0);
  if ((lo & set) !== set) t.setRaw(i, (lo | set) | 0, t.hi(i));
  const hi = t.hi(i);
  return (lo >>> 12) + (hi & 0xfffff) * 0x100000 + pfnOffset;
}

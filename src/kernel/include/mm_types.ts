// struct mm_struct, struct vm_area_struct, struct anon_vma (include/linux/mm_types.h, rmap.h), reduced
// to the fields the model reads.
import { Pte } from '../arch/x86/include/pte.js';
import type { PageTable } from '../mm/pgtable.js';
import type { UserfaultfdCtx } from '../fs/userfaultfd.js';

let anonVmaIds = 0;
/** struct anon_vma: VMAs split from one another share it; fork gives the child a new one (chained) */
export class AnonVma {
  readonly id = ++anonVmaIds;
  constructor(readonly root: AnonVma | null = null) {}
}

export class VmArea {
  vm_start: number;
  vm_end: number;
  vm_flags: number;
  /** vm_flags bits 32..63 (VM_UFFD_MINOR...) */
  vm_flags_hi = 0;
  vm_page_prot: Pte;
  anon_vma: AnonVma | null = null;
  /** vm_userfaultfd_ctx.ctx */
  uffd: UserfaultfdCtx | null = null;
  vm_pgoff: number;
  /** the scenario's name for the mapping this VMA came from (display only) */
  label: string;

  constructor(start: number, end: number, flags: number, prot: Pte, pgoff: number, label: string) {
    this.vm_start = start;
    this.vm_end = end;
    this.vm_flags = flags >>> 0;
    this.vm_page_prot = prot;
    this.vm_pgoff = pgoff;
    this.label = label;
  }

  /** a copy for vma splitting and for machine snapshots (uffd/anon_vma are re-linked by the caller) */
  dup(): VmArea {
    const v = new VmArea(this.vm_start, this.vm_end, this.vm_flags, this.vm_page_prot.clone(), this.vm_pgoff, this.label);
    v.vm_flags_hi = this.vm_flags_hi;
    v.anon_vma = this.anon_vma;
    v.uffd = this.uffd;
    return v;
  }
}

export class MmStruct {
  readonly tables = new Map<number, PageTable>();
  vmas: VmArea[] = [];
  /** MM_ANONPAGES rss counter */
  anonPages = 0;
  /** userfaultfd: non-zero while a uffd event (fork/remap/remove) is being delivered */
  mmap_changing = 0;
  /** MMF_HAS_PINNED */
  hasPinned = false;
  users = 1;

  constructor(readonly id: number, public pgd: PageTable) {}
}

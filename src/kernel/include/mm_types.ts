// struct mm_struct, struct vm_area_struct, struct anon_vma (include/linux/mm_types.h, rmap.h), reduced
// to the fields the model reads.
import { Pte } from '../arch/x86/include/pte.js';
import type { PageTable } from '../mm/pgtable.js';
import type { UserfaultfdCtx } from '../fs/userfaultfd.js';
import type { StateHasher } from '../../state/hasher.js';
import type { Segment } from '../../state/store.js';

/** canonical numbering of objects whose identity matters but whose ids depend on history (explorer) */
export interface FingerprintIds {
  ctx(c: UserfaultfdCtx | null): number;
  anonVma(a: AnonVma | null): number;
}

let anonVmaIds = 0;
/**
 * struct anon_vma (include/linux/rmap.h): VMAs split from one another share it; fork gives the child a
 * new one whose parent is the parent VMA's. Immutable here: the kernel's counters (num_children,
 * num_active_vmas) and whether its interval tree is empty are counted from the VMAs' anon_vma and
 * anon_vma_chain when needed (mm/vma.ts), so machine snapshots can share these objects.
 */
export class AnonVma {
  readonly id = ++anonVmaIds;
  /** null: this is a root (its own root and parent) */
  readonly root: AnonVma | null;
  readonly parent: AnonVma | null;
  constructor(parent: AnonVma | null = null) {
    this.parent = parent;
    this.root = parent ? parent.root ?? parent : null;
  }
}

export class VmArea {
  vm_start: number;
  vm_end: number;
  vm_flags: number;
  /** vm_flags bits 32..63 (VM_UFFD_MINOR...) */
  vm_flags_hi = 0;
  vm_page_prot: Pte;
  anon_vma: AnonVma | null = null;
  /**
   * the anon_vmas of vma->anon_vma_chain, newest first (anon_vma_chain_link adds at the head): its own
   * anon_vma and, in a forked child, those of its ancestors; empty until the VMA is first faulted
   */
  anon_vma_chain: AnonVma[] = [];
  /** vm_userfaultfd_ctx.ctx */
  uffd: UserfaultfdCtx | null = null;
  vm_pgoff: number;
  /** the scenario's name for the mapping this VMA came from (display only) */
  label: string;
  /**
   * model bookkeeping for the debug checks, no kernel field: a registration without WP mode took
   * VM_UFFD_WP from this range and left its uffd-wp bits and markers in place, as the kernel does
   * (a later fault clears a marker, pte_marker_handle_uffd_wp)
   */
  uffd_wp_left = false;

  constructor(start: number, end: number, flags: number, prot: Pte, pgoff: number, label: string) {
    this.vm_start = start;
    this.vm_end = end;
    this.vm_flags = flags >>> 0;
    this.vm_page_prot = prot;
    this.vm_pgoff = pgoff;
    this.label = label;
  }

  /** Fingerprint (explorer): everything but the display label; anon_vma and uffd by canonical number */
  fingerprint(h: StateHasher, ids: FingerprintIds): void {
    h.num(this.vm_start);
    h.num(this.vm_end);
    h.u32(this.vm_flags);
    h.u32(this.vm_flags_hi);
    h.pair(this.vm_page_prot.lo, this.vm_page_prot.hi);
    h.num(this.vm_pgoff);
    h.u32(ids.anonVma(this.anon_vma));
    h.u32(this.anon_vma_chain.length);
    for (const a of this.anon_vma_chain) h.u32(ids.anonVma(a));
    h.u32(ids.ctx(this.uffd));
  }

  /** a copy for vma splitting and for machine snapshots (uffd/anon_vma are re-linked by the caller) */
  dup(): VmArea {
    const v = new VmArea(this.vm_start, this.vm_end, this.vm_flags, this.vm_page_prot.clone(), this.vm_pgoff, this.label);
    v.vm_flags_hi = this.vm_flags_hi;
    v.anon_vma = this.anon_vma;
    v.anon_vma_chain = this.anon_vma_chain.slice();
    v.uffd = this.uffd;
    v.uffd_wp_left = this.uffd_wp_left;
    return v;
  }
}

/** the cells of one mm_struct in the mm segment (at id * MM_CELLS) */
const MM_CELLS = 4;
const MM_ANON = 0, MM_CHANGING = 1, MM_PINNED = 2, MM_USERS = 3;

export class MmStruct {
  readonly tables = new Map<number, PageTable>();
  vmas: VmArea[] = [];
  /** MM_ANONPAGES rss counter */
  get anonPages(): number { return this.S.get(this.id * MM_CELLS + MM_ANON); }
  set anonPages(v: number) { this.S.set(this.id * MM_CELLS + MM_ANON, v); }
  /** userfaultfd: non-zero while a uffd event (fork/remap/remove) is being delivered */
  get mmap_changing(): number { return this.S.get(this.id * MM_CELLS + MM_CHANGING); }
  set mmap_changing(v: number) { this.S.set(this.id * MM_CELLS + MM_CHANGING, v); }
  /** MMF_HAS_PINNED */
  get hasPinned(): boolean { return this.S.get(this.id * MM_CELLS + MM_PINNED) !== 0; }
  set hasPinned(v: boolean) { this.S.set(this.id * MM_CELLS + MM_PINNED, v ? 1 : 0); }
  /** mm_users */
  get users(): number { return this.S.get(this.id * MM_CELLS + MM_USERS); }
  set users(v: number) { this.S.set(this.id * MM_CELLS + MM_USERS, v); }
  /** the model's walk cache: the PMD table covering the 1 GiB pmdCacheKey (not kernel state) */
  pmdCacheKey = -1;
  pmdCacheTable: PageTable | null = null;
  /** ... and the last PTE table found (checked against the PMD entry's pfn on every use) */
  pteCacheTable: PageTable | null = null;

  /** S: the kernel's mm segment, where the counters above live */
  constructor(readonly id: number, public pgd: PageTable, private readonly S: Segment) {}

  /** a copy for machine snapshots: page tables copy-on-write, VMAs duplicated (Kernel.clone re-links uffd) */
  clone(rebind: (t: PageTable) => PageTable, S: Segment): MmStruct {
    const pgd0 = this.pgd;
    const pgd = rebind(pgd0);
    const c = new MmStruct(this.id, pgd, S);
    const tables = c.tables;
    for (const t of this.tables.values()) tables.set(t.pfn, t === pgd0 ? pgd : rebind(t));
    const vs = this.vmas, n = vs.length;
    const vmas: VmArea[] = new Array(n);
    for (let i = 0; i < n; i++) vmas[i] = vs[i]!.dup();
    c.vmas = vmas;
    // the walk cache, pointing at the copy's own table
    if (this.pmdCacheTable !== null) {
      const t = tables.get(this.pmdCacheTable.pfn);
      if (t !== undefined) {
        c.pmdCacheKey = this.pmdCacheKey;
        c.pmdCacheTable = t;
      }
    }
    return c;
  }

  /** Fingerprint (explorer): counters, every page table (by content), every VMA in order */
  fingerprint(h: StateHasher, ids: FingerprintIds): void {
    h.u32(this.id);
    h.num(this.pgd.pfn);
    // (the counters are cells of the Store)
    // (the tables are cells of the Store: Kernel.fingerprint covers them)
    h.u32(this.vmas.length);
    for (const v of this.vmas) v.fingerprint(h, ids);
  }
}

// The generic fault path and page zapping (mm/memory.c @v4.19, @v6.12 and @v6.18): handle_mm_fault,
// handle_pte_fault, do_anonymous_page, do_wp_page, wp_page_reuse, wp_page_copy, zap_*_range.
import type { Kernel } from '../kernel.js';
import { entryBitNames } from '../arch/arch.js';
import { FP_ACCOUNTING_IN_CORE, FP_PTE_MARKERS } from '../../profiles/fastpath.js';
import { Pte } from '../arch/x86/include/pte.js';
import {
  HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE, PMD_SIZE,
} from '../arch/x86/include/pgtable_types.js';
import { MmStruct, VmArea } from '../include/mm_types.js';
import { anon_vma_prepare } from './vma.js';
import { VM_SHARED, VM_WRITE, VM_HUGEPAGE, VM_NOHUGEPAGE, VM_UFFD_WP, VM_LOCKED, VM_MAYSHARE, VM_HI_UFFD_MINOR } from '../include/vm_flags.js';
import { folio_mapping, folio_index, type ZapDetails } from './filemap.js';
import { mark_page_accessed, is_cow_mapping } from './gup.js';
import { VM_SEQ_READ, VM_RAND_READ } from '../include/vm_flags.js';
import { shmem_fault, folio_file_pfn, thp_vma_suitable_pmd, vma_is_anon_shmem } from './shmem.js';
import {
  FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_RETRY_NOWAIT, FAULT_FLAG_TRIED, FAULT_FLAG_UNSHARE, FAULT_FLAG_WRITE, VM_FAULT_ERROR, VM_FAULT_FALLBACK, VM_FAULT_MAJOR,
  VM_FAULT_OOM, VM_FAULT_RETRY, VM_FAULT_SIGBUS, VM_FAULT_HWPOISON, VM_FAULT_SIGSEGV, VM_FAULT_WRITE, VM_FAULT_COMPLETED, VM_FAULT_NOPAGE,
} from '../include/fault.js';
import { PATCH } from '../../profiles/patches.js';
import { Slot, pte_index, pmd_index, PageTable, LEVEL_PMD, is_zero_pfn } from './pgtable.js';
import { PG_active, PG_anon, PG_anon_exclusive, PG_mlocked, PG_swapcache, PG_zero, PG_dirty, PG_uptodate } from './folio.js';
import { folio_add_file_rmap_ptes, folio_add_file_rmap_pmd, folio_add_new_anon_rmap, folio_remove_rmap_pte, folio_remove_rmap_ptes, folio_large_mapcount, folio_test_large_maybe_mapped_shared, mm_find_pmd } from './rmap.js';
import {
  do_huge_pmd_anonymous_page, wp_huge_pmd, huge_pmd_set_accessed, __split_huge_pmd, zap_huge_pmd, set_pmd_at,
} from './huge_memory.js';
import { handle_userfault, userfaultfd_missing, userfaultfd_pte_wp, userfaultfd_wp, userfaultfd_wp_async, userfaultfd_wp_2018 } from '../fs/userfaultfd.js';
import { VM_UFFD_MISSING, VM_HUGETLB } from '../include/vm_flags.js';
import { hugetlb_fault, __unmap_hugepage_range } from './hugetlb.js';
import { pmdAllocTable, pte_alloc, pte_offset_map, pteTableOf } from './pagewalk.js';
import { folio_put, folio_put_refs } from './swap.js';
import {
  __swap_count, folio_free_swap, free_swap_and_cache, read_swap_cache_async, swap_cache_get_folio, swap_free, swpOffsetOf, vm_swap_full,
} from './swapfile.js';
import { vma_soft_dirty_enabled } from './mprotect.js';
import { is_migration_entry } from './migrate.js';
import { notModelled } from '../include/errno.js';
import { reclaim_pt_is_enabled, try_get_and_clear_pmd, free_pte } from './pt_reclaim.js';
import { PGFAULT, PGMAJFAULT } from './vmstat.js';

/** struct vm_fault */
export interface VmFault {
  vma: VmArea;
  mm: MmStruct;
  /** page-aligned faulting address */
  address: number;
  real_address: number;
  flags: number;
  pmd: Slot;
  pte: Slot | null;
  orig_pte: Pte;
  orig_pmd: Pte;
}

/** maybe_mkwrite: make the entry writable if the VMA is */
export function maybe_mkwrite(k: Kernel, e: Pte, vma: VmArea): Pte {
  if (vma.vm_flags & VM_WRITE) k.pgt.pte_mkwrite(e);
  return e;
}

/** vm_normal_page: the folio slot mapped by a present PTE, or -1 for special mappings (the zero page) */
export function vm_normal_page(k: Kernel, _vma: VmArea, e: Pte): number {
  if (k.pgt.pte_special(e)) return -1;
  const pfn = k.pgt.pte_pfn(e);
  if (is_zero_pfn(k, pfn)) return -1;
  return k.folios.slotOf(pfn);
}


/** hugepage_vma_check / thp_vma_allowable_order for a fault: THP enabled for this VMA? */
export function transparent_hugepage_enabled(k: Kernel, vma: VmArea): boolean {
  if (vma.vm_flags & VM_NOHUGEPAGE) return false;
  const mode = k.config.thp;
  if (mode === 'never') return false;
  if (mode === 'madvise' && !(vma.vm_flags & VM_HUGEPAGE)) return false;
  return true;
}

/** thp fault range check: the PMD-aligned 2 MiB must lie inside the VMA */
export function thp_range_in_vma(vma: VmArea, addr: number): boolean {
  const haddr = Math.floor(addr / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
  return haddr >= vma.vm_start && haddr + HPAGE_PMD_SIZE <= vma.vm_end;
}

/** handle_mm_fault; from v5.9 the fault is accounted here (mm_account_fault) */
export function handle_mm_fault(k: Kernel, vma: VmArea, address: number, flags: number): number {
  k.vmstat.count(PGFAULT);
  k.tr?.emit('handle_mm_fault', 'handle_mm_fault', { address, flags });
  // is_vm_hugetlb_page: hugetlb_fault instead of the generic walk
  const ret = vma.vm_flags & VM_HUGETLB ? hugetlb_fault(k, vma, address, flags) : __handle_mm_fault(k, vma, address, flags);
  // the scratch vm_fault must not keep the last mm (and its page tables) alive after the fault
  vmfScratch.vma = null!;
  vmfScratch.mm = null!;
  if (k.fp & FP_ACCOUNTING_IN_CORE) mm_account_fault(k, flags, ret);
  return ret;
}

/** mm_account_fault (mm/memory.c, v5.9+): completed faults only; TRIED counts as major */
export function mm_account_fault(k: Kernel, flags: number, ret: number): void {
  if (ret & (VM_FAULT_ERROR | VM_FAULT_RETRY)) return;
  const major = (ret & VM_FAULT_MAJOR) !== 0 || (flags & FAULT_FLAG_TRIED) !== 0;
  const t = k.current;
  if (!t) return;
  t.countFault(major);
  if (major) k.vmstat.count(PGMAJFAULT);
}

/**
 * The vm_fault of the running fault. A fault never starts another before it returns (handle_userfault
 * only queues a message), so one object and its Slots and Ptes serve every fault: nothing keeps them.
 */
const vmfScratch: VmFault = {
  vma: null!, mm: null!, address: 0, real_address: 0, flags: 0, pmd: { t: null!, i: 0 }, pte: null,
  orig_pte: new Pte(), orig_pmd: new Pte(),
};
/** the PTE slot vmfScratch.pte points to when set */
const vmfPteSlot: Slot = { t: null!, i: 0 };
const pmdvScratch = new Pte();

/**
 * mm/migrate.c migration_entry_wait() / pmd_migration_entry_wait() @v6.18: the fault sleeps on the folio
 * until its migration ends, then returns 0 and the access faults again. The model ends the step there: the
 * thread blocks until the entry is gone (sched/exec.ts); a fault that may not sleep in the model (GUP,
 * MADV_POPULATE) is not modelled
 */
export function migration_entry_wait(k: Kernel, vmf: VmFault): number {
  if (!k.migrationWaitOk) notModelled('addr', 'a GUP or populate fault on a page under migration (migration_entry_wait); only CPU accesses wait in the model');
  k.migrationWait = vmf.address;
  k.tr?.emit('migration_entry_wait', 'migration_entry_wait', { address: vmf.address });
  return 0;
}

/** __handle_mm_fault: PMD level first (THP), then the PTE level */
export function __handle_mm_fault(k: Kernel, vma: VmArea, real_address: number, flags: number): number {
  const mm = vma === null ? null! : k.current!.mm;
  const pmdt = pmdAllocTable(k, mm, real_address);
  const vmf = vmfScratch;
  vmf.vma = vma;
  vmf.mm = mm;
  vmf.address = Math.floor(real_address / PAGE_SIZE) * PAGE_SIZE;
  vmf.real_address = real_address;
  vmf.flags = flags;
  vmf.pmd.t = pmdt;
  vmf.pmd.i = pmd_index(real_address);
  vmf.pte = null;
  vmf.orig_pte.lo = 0;
  vmf.orig_pte.hi = 0;
  pmdt.get(vmf.pmd.i, vmf.orig_pmd);
  const g = k.pgt;
  // is_swap_pmd: a PMD migration entry (THP migration, v4.14)
  if (is_migration_entry(k, vmf.orig_pmd)) return migration_entry_wait(k, vmf);
  if (g.pmd_none(vmf.orig_pmd) && vma.vm_file === 0 && transparent_hugepage_enabled(k, vma) && thp_range_in_vma(vma, real_address)) {
    const ret = do_huge_pmd_anonymous_page(k, vmf);
    if (!(ret & VM_FAULT_FALLBACK)) return ret;
  } else if (g.pmd_trans_huge(vmf.orig_pmd)) {
    const wants = (flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) !== 0;
    if (wants && !g.pmd_write(vmf.orig_pmd)) {
      const ret = wp_huge_pmd(k, vmf);
      if (!(ret & VM_FAULT_FALLBACK)) return ret;
    } else {
      huge_pmd_set_accessed(k, vmf);
      return 0;
    }
  }
  return handle_pte_fault(k, vmf);
}

/** handle_pte_fault */
export function handle_pte_fault(k: Kernel, vmf: VmFault): number {
  const g = k.pgt;
  const pmdv = vmf.pmd.t.get(vmf.pmd.i, pmdvScratch);
  vmf.pte = null;
  if (!g.pmd_none(pmdv)) {
    if (g.pmd_trans_huge(pmdv)) return 0; // raced with a THP being mapped: retry the access
    // pte_offset_map of the entry just read
    const t = pteTableOf(k, vmf.mm, pmdv.lo, pmdv.hi)!;
    const i = pte_index(vmf.address);
    t.get(i, vmf.orig_pte);
    if (!g.pte_none(vmf.orig_pte)) {
      const s = vmf === vmfScratch ? vmfPteSlot : { t, i };
      s.t = t;
      s.i = i;
      vmf.pte = s;
    }
  }
  if (!vmf.pte) return vmf.vma.vm_file === 0 ? do_anonymous_page(k, vmf) : do_fault(k, vmf);
  if (!g.pte_present(vmf.orig_pte)) return do_swap_page(k, vmf);
  const entry = vmf.orig_pte.clone();
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  const unshare = (vmf.flags & FAULT_FLAG_UNSHARE) !== 0;
  if (write || unshare) {
    if (!g.pte_write(entry)) return do_wp_page(k, vmf);
    if (write) g.pte_mkdirty(entry);
  }
  g.pte_mkyoung(entry);
  // ptep_set_access_flags: the arch says what is stored (x86: only a write fault's changed entry)
  const stored = g.set_access_flags(vmf.orig_pte, entry, write);
  if (stored !== null) set_pte_at(k, vmf.pte, stored, vmf.address, 'handle_pte_fault');
  return 0;
}

/** set_pte_at with a trace record of the change */
export function set_pte_at(k: Kernel, s: Slot, e: Pte, addr: number, fn: string): void {
  if (k.tr) {
    const old = s.t.get(s.i, new Pte());
    k.tr?.emit('set_pte', fn, { addr, old: old.toString(), new: e.toString(), bits: entryBitNames(k.pgt.arch, e.big()) });
  }
  s.t.set(s.i, e);
}

// temporaries of do_anonymous_page (it is not re-entered: nothing it calls faults)
const anonSlot: Slot = { t: null!, i: 0 };
const anonEntry = new Pte();
const anonProt = new Pte();

/** include/linux/pgtable.h mm_forbids_zeropage() @v6.18: true where the zero pages must not be mapped (config zero_page=n) */
export function mm_forbids_zeropage(k: Kernel, _mm: MmStruct): boolean {
  return !k.config.zero_page;
}

/** do_anonymous_page: a first touch of private anonymous memory at PTE level */
export function do_anonymous_page(k: Kernel, vmf: VmFault): number {
  const g = k.pgt;
  const vma = vmf.vma;
  if (vma.vm_flags & VM_SHARED) return VM_FAULT_SIGBUS;
  const t = pte_alloc(k, vmf.mm, vmf.pmd);
  const slot = anonSlot;
  slot.t = t;
  slot.i = pte_index(vmf.address);
  const entry = anonEntry.set(0, 0);
  // the uffd-wp marker this none PTE may carry (vmf_orig_pte_uffd_wp, 6.x)
  const markerWp = (k.fp & FP_PTE_MARKERS) !== 0 && isUffdWpMarker(k, vmf.orig_pte);
  if (!(vmf.flags & FAULT_FLAG_WRITE) && !mm_forbids_zeropage(k, vmf.mm)) {
    // map the shared zero page read-only (where it is forbidden, a read fault allocates as a write does)
    g.pte_mkspecial(g.pfn_pte(entry, k.zero_pfn, vma.pageProt(anonProt)));
    if (userfaultfd_missing(vma)) return handle_userfault(k, vmf, VM_UFFD_MISSING);
    if (markerWp) g.pte_mkuffd_wp(entry);
    set_pte_at(k, slot, entry, vmf.address, 'do_anonymous_page');
    k.tr?.emit('do_anonymous_page', 'do_anonymous_page', { addr: vmf.address, zero_page: true, pte: entry.toString() });
    return 0;
  }
  // the anon_vma first (vmf_anon_prepare; anon_vma_prepare @v4.19), then the folio, and only then, under the
  // PT lock, a missing-mode registration hands the fault to userspace: a VMA whose write fault went to
  // handle_userfault has its anon_vma (which, for one, keeps mremap's copy_vma from moving its pgoff)
  anon_vma_prepare(vmf.mm, vma);
  if (userfaultfd_missing(vma)) return handle_userfault(k, vmf, VM_UFFD_MISSING);
  const fslot = k.folios.alloc(0, 0);
  const pfn = k.folios.pfn(fslot);
  g.pfn_pte(entry, pfn, vma.pageProt(anonProt));
  if (vma.vm_flags & VM_WRITE) g.pte_mkwrite(g.pte_mkdirty(entry));
  if (markerWp) g.pte_mkuffd_wp(entry);
  vmf.mm.addAnonPages(1);
  folio_add_new_anon_rmap(k, fslot, false, vmf.mm);
  set_pte_at(k, slot, entry, vmf.address, 'do_anonymous_page');
  k.tr?.emit('do_anonymous_page', 'do_anonymous_page', { addr: vmf.address, pfn, pte: entry.toString() });
  return 0;
}


// ---- faults on file mappings (shmem) -------------------------------------------------------------

/** include/linux/pagemap.h linear_page_index() @v6.18: the file index a VMA maps at addr */
export function linear_page_index(vma: VmArea, addr: number): number {
  return (addr - vma.vm_start) / PAGE_SIZE + vma.vm_pgoff;
}

/** mm/memory.c fault_around_pages @v6.18: fault_around_bytes (64 KiB) in pages */
const FAULT_AROUND_PAGES = 16;

/**
 * mm/memory.c do_fault() @v6.18 (a file VMA's none PTE): a read maps the page-cache page (do_read_fault),
 * a write to a private mapping copies it (do_cow_fault), a write to a shared one dirties it (do_shared_fault)
 */
export function do_fault(k: Kernel, vmf: VmFault): number {
  if (!(vmf.flags & FAULT_FLAG_WRITE)) return do_read_fault(k, vmf);
  if (!(vmf.vma.vm_flags & VM_SHARED)) return do_cow_fault(k, vmf);
  return do_shared_fault(k, vmf);
}

/** mm/memory.c should_fault_around() @v6.18: shmem has map_pages; uffd-wp and minor registration turn it off (uffd_disable_fault_around) */
function should_fault_around(vmf: VmFault): boolean {
  if ((vmf.vma.vm_flags & VM_UFFD_WP) || (vmf.vma.vm_flags_hi & VM_HI_UFFD_MINOR)) return false;
  return FAULT_AROUND_PAGES > 1;
}

/**
 * mm/memory.c do_fault_around() + mm/filemap.c filemap_map_pages() @v6.18: the up-to-date page-cache pages of
 * the 64 KiB window around the fault (clamped to the VMA, the PTE table and i_size) are mapped where their PTE
 * is none, the faulting one too when it is cached; VM_FAULT_NOPAGE when it was
 */
function do_fault_around(k: Kernel, vmf: VmFault): number {
  const vma = vmf.vma;
  const m = k.inode(vma.vm_file)!;
  const pgoff = linear_page_index(vma, vmf.address);
  const pteOff = pte_index(vmf.address);
  const vmaOff = pgoff - vma.vm_pgoff;
  const fromPte = Math.max(Math.floor(pteOff / FAULT_AROUND_PAGES) * FAULT_AROUND_PAGES, pteOff - Math.min(pteOff, vmaOff));
  const toPte = Math.min(fromPte + FAULT_AROUND_PAGES, 512, pteOff + (vma.vm_end - vma.vm_start) / PAGE_SIZE - vmaOff) - 1;
  const start = pgoff + fromPte - pteOff;
  const fileEnd = Math.ceil(m.i_size / PAGE_SIZE) - 1;
  const end = Math.min(pgoff + toPte - pteOff, fileEnd);
  if (m.nrpages === 0 || start > end) return 0;
  let ret = 0;
  const f = k.folios;
  let t: PageTable | null = null;
  let first = true;
  for (let idx = m.nextIndex(start, end + 1); idx >= 0; idx = m.nextIndex(idx + 1, end + 1)) {
    const slot = m.folioAt(idx);
    // next_uptodate_folio: a folio not up to date (fallocated) is left to the fault
    if (!f.test(slot, PG_uptodate)) continue;
    if (first) {
      // filemap_map_pmd (shmthp): with the first folio of the window, a huge PMD already there ends the
      // fault; a PMD-sized folio is mapped by do_set_pmd where the PMD is none and the VMA allows it
      first = false;
      const pv = vmf.pmd.t.get(vmf.pmd.i, new Pte());
      if (k.pgt.pmd_trans_huge(pv)) return VM_FAULT_NOPAGE;
      if (k.pgt.pmd_none(pv) && f.isLarge(slot)) {
        f.setRefcount(slot, f.refcount(slot) + 1);
        if (do_set_pmd(k, vmf, slot) === 0) return VM_FAULT_NOPAGE;
        folio_put(k, slot);
      }
    }
    if (t === null) t = pte_alloc(k, vmf.mm, vmf.pmd);
    const addr = vma.vm_start + (idx - vma.vm_pgoff) * PAGE_SIZE;
    const i = pte_index(addr);
    // filemap_map_order0_folio: a PTE that is not none (a marker too) is left alone
    if (!t.isNone(i)) continue;
    if (f.isLarge(slot) && k.has(PATCH.faultAroundWholeFolio)) {
      // 357b92761d94 (v6.18): a large folio inside the VMA and one page table is mapped whole
      const fi = folio_index(k, slot), nr = f.nrPages(slot);
      const a0 = vma.vm_start + (fi - vma.vm_pgoff) * PAGE_SIZE;
      if (a0 >= vma.vm_start && a0 + nr * PAGE_SIZE <= vma.vm_end && Math.floor(a0 / PMD_SIZE) === Math.floor((a0 + nr * PAGE_SIZE - 1) / PMD_SIZE)) {
        for (let j = 0; j < nr; j++) {
          const aj = a0 + j * PAGE_SIZE, ij = pte_index(aj);
          if (!t.isNone(ij)) continue;
          if (aj === vmf.address) ret = VM_FAULT_NOPAGE;
          f.setRefcount(slot, f.refcount(slot) + 1);
          set_pte_range(k, vmf, slot, f.pfn(slot) + j, { t, i: ij }, aj, false);
          vmf.mm.shmemPages++;
        }
        idx = fi + nr - 1;
        continue;
      }
    }
    if (addr === vmf.address) ret = VM_FAULT_NOPAGE;
    f.setRefcount(slot, f.refcount(slot) + 1);
    set_pte_range(k, vmf, slot, folio_file_pfn(k, slot, idx), { t, i }, addr, false);
    vmf.mm.shmemPages++;
  }
  return ret;
}

/**
 * mm/memory.c set_pte_range() @v6.18 for one page: mk_pte with vm_page_prot, dirty and writable (if the VMA
 * is) for a write, uffd-wp where the none PTE was a marker of a VMA registered for WP; a private write maps
 * a new anonymous page (the copy), anything else the page-cache page (folio_add_file_rmap_ptes)
 */
function set_pte_range(k: Kernel, vmf: VmFault, slot: number, pfn: number, s: Slot, addr: number, markerWp: boolean): void {
  const g = k.pgt, vma = vmf.vma;
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  const entry = g.pfn_pte(new Pte(), pfn, vma.vm_page_prot);
  if (write) maybe_mkwrite(k, g.pte_mkdirty(entry), vma);
  if (markerWp) g.pte_mkuffd_wp(entry);
  if (write && !(vma.vm_flags & VM_SHARED)) folio_add_new_anon_rmap(k, slot, false, vmf.mm);
  else folio_add_file_rmap_ptes(k, slot, pfn, 1, vmf.mm);
  set_pte_at(k, s, entry, addr, 'set_pte_range');
}

/**
 * mm/memory.c finish_fault() @v6.18 for an order-0 page: map the page the fault found (or its copy) at the
 * faulting address, unless the PTE is no longer none (a fault-around or another thread mapped it)
 */
function finish_fault(k: Kernel, vmf: VmFault, slot: number, pfn: number): number {
  // shmthp: a PMD-sized folio is mapped by a PMD where the PMD is none and do_set_pmd can (shmem maps
  // across i_size), else by a PTE of the faulting page; a huge PMD there already: retry
  const pv = vmf.pmd.t.get(vmf.pmd.i, new Pte());
  if (k.pgt.pmd_none(pv) && k.folios.isLarge(slot)) {
    const r = do_set_pmd(k, vmf, slot);
    if (r !== VM_FAULT_FALLBACK) return r;
  } else if (k.pgt.pmd_trans_huge(pv)) return VM_FAULT_NOPAGE;
  const t = pte_alloc(k, vmf.mm, vmf.pmd);
  // shmthp: the whole large folio by PTEs where it fits the VMA and the page table (43e027e41423, v6.11, for
  // shared anonymous memory; 19773df031bc, v6.18, for every file VMA); not under uffd (userfaultfd_armed)
  const wf = finishFaultWholeFolio(k, vmf, slot, pfn);
  if (wf !== null) return wf;
  const i = pte_index(vmf.address);
  const e = t.get(i, new Pte());
  const markerWp = (k.fp & FP_PTE_MARKERS) !== 0 && (vmf.vma.vm_flags & VM_UFFD_WP) !== 0 && isUffdWpMarker(k, e);
  if (!k.pgt.pte_none(e) && !markerWp) return VM_FAULT_NOPAGE;
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  set_pte_range(k, vmf, slot, pfn, { t, i }, vmf.address, markerWp);
  if (write && !(vmf.vma.vm_flags & VM_SHARED)) vmf.mm.anonPages++;
  else vmf.mm.shmemPages++;
  return 0;
}

/** mm/memory.c __do_fault() @v6.18: vma->vm_ops->fault, shmem_fault here (VM_FAULT_MAJOR when it swapped the page in, which the caller keeps) */
function __do_fault(k: Kernel, vmf: VmFault): { ret: number; slot: number; pfn: number } {
  return shmem_fault(k, vmf, linear_page_index(vmf.vma, vmf.address));
}

/** mm/memory.c do_read_fault() @v6.18: fault-around first, then the page itself; its lookup reference becomes the mapping's */
function do_read_fault(k: Kernel, vmf: VmFault): number {
  if (should_fault_around(vmf)) {
    const ret = do_fault_around(k, vmf);
    if (ret) {
      k.tr?.emit('do_read_fault', 'do_read_fault', { addr: vmf.address, fault_around: true });
      return ret;
    }
  }
  const r = __do_fault(k, vmf);
  if (r.ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) return r.ret;
  if (r.slot < 0) return r.ret;
  const ret = r.ret | finish_fault(k, vmf, r.slot, r.pfn);
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) folio_put(k, r.slot);
  k.tr?.emit('do_read_fault', 'do_read_fault', { addr: vmf.address, pfn: r.pfn });
  return ret;
}

/** mm/memory.c do_cow_fault() @v6.18: a write to a private file mapping copies the page-cache page into a new anonymous page */
function do_cow_fault(k: Kernel, vmf: VmFault): number {
  anon_vma_prepare(vmf.mm, vmf.vma);
  const nslot = k.folios.alloc(0, 0);
  const r = __do_fault(k, vmf);
  if ((r.ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) || r.slot < 0) {
    folio_put(k, nslot);
    return r.ret;
  }
  k.data.copyPage(k.folios.pfn(nslot), r.pfn);
  const ret = r.ret | finish_fault(k, vmf, nslot, k.folios.pfn(nslot));
  folio_put(k, r.slot);
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) folio_put(k, nslot);
  k.tr?.emit('do_cow_fault', 'do_cow_fault', { addr: vmf.address, old_pfn: r.pfn, new_pfn: k.folios.pfn(nslot) });
  return ret;
}

/** mm/memory.c do_shared_fault() @v6.18: a write to a shared mapping maps the page-cache page writable and dirty, and dirties the folio (fault_dirty_shared_page) */
function do_shared_fault(k: Kernel, vmf: VmFault): number {
  const r = __do_fault(k, vmf);
  if (r.ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY) || r.slot < 0) return r.ret;
  const ret = r.ret | finish_fault(k, vmf, r.slot, r.pfn);
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) {
    folio_put(k, r.slot);
    return ret;
  }
  k.tr?.emit('do_shared_fault', 'do_shared_fault', { addr: vmf.address, pfn: r.pfn });
  return ret | fault_dirty_shared_page(k, vmf, r.slot);
}

/** mm/memory.c wp_page_shared() @v6.18 without page_mkwrite (shmem): the PTE made writable and dirty in place, the folio dirtied */
function wp_page_shared(k: Kernel, vmf: VmFault, slot: number): number {
  const ret = wp_page_reuse(k, vmf, slot);
  return slot >= 0 ? ret | fault_dirty_shared_page(k, vmf, slot) : ret;
}

/**
 * mm/memory.c fault_dirty_shared_page() @v6.18 without page_mkwrite (shmem): the folio dirtied; when that
 * dirtied it (it was clean) and the fault may drop its lock (maybe_unlock_mmap_for_io: the first attempt with
 * ALLOW_RETRY, not RETRY_NOWAIT), balance_dirty_pages runs unlocked and the fault returns VM_FAULT_COMPLETED
 * (d92725256b4f, v5.19), VM_FAULT_RETRY before (89b15332af7c, v5.5), with its work done
 */
function fault_dirty_shared_page(k: Kernel, vmf: VmFault, slot: number): number {
  const f = k.folios;
  const dirtied = !f.test(slot, PG_dirty);
  f.setFlag(slot, PG_dirty);
  if (!dirtied || !k.has(PATCH.faultDirtyDropsLock)) return 0;
  const flags = vmf.flags;
  if (!(flags & FAULT_FLAG_ALLOW_RETRY) || (flags & (FAULT_FLAG_TRIED | FAULT_FLAG_RETRY_NOWAIT))) return 0;
  return k.has(PATCH.faultCompleted) ? VM_FAULT_COMPLETED : VM_FAULT_RETRY;
}

/** is this non-present PTE the uffd-wp PTE marker (PTE_MARKER_UFFD_WP)? */
export function isUffdWpMarker(k: Kernel, e: Pte): boolean {
  return k.pgt.is_swap_pte(e) && k.pgt.swp_type(e) === SWP_PTE_MARKER && (k.pgt.swp_offset(e) & PTE_MARKER_UFFD_WP) !== 0;
}
/** SWP_PTE_MARKER: the last swap type (MAX_SWAPFILES_SHIFT 5 => 31) */
export const SWP_PTE_MARKER = 31;
export const PTE_MARKER_UFFD_WP = 1;
/** PTE_MARKER_POISONED (af19487f00f3, v6.6: PTE_MARKER_SWAPIN_ERROR renamed; UFFDIO_POISON installs it) */
export const PTE_MARKER_POISONED = 2;
/** PTE_MARKER_GUARD (the series of 662df3e5c376, v6.13: MADV_GUARD_INSTALL installs it; a fault on it is VM_FAULT_SIGSEGV) */
export const PTE_MARKER_GUARD = 4;

/** include/linux/swapops.h is_pte_marker() @v5.19..v6.18: a PTE marker of any kind */
export function is_pte_marker(k: Kernel, e: Pte): boolean {
  return k.pgt.is_swap_pte(e) && k.pgt.swp_type(e) === SWP_PTE_MARKER;
}

/** include/linux/swapops.h is_poisoned_swp_entry() @v6.6..v6.18: the poison marker (UFFDIO_POISON) */
export function is_poisoned_marker(k: Kernel, e: Pte): boolean {
  return is_pte_marker(k, e) && (k.pgt.swp_offset(e) & PTE_MARKER_POISONED) !== 0;
}

/** include/linux/swapops.h is_guard_swp_entry() @v6.13..v6.18: the guard marker (MADV_GUARD_INSTALL) */
export function is_guard_marker(k: Kernel, e: Pte): boolean {
  return is_pte_marker(k, e) && (k.pgt.swp_offset(e) & PTE_MARKER_GUARD) !== 0;
}

/** include/linux/swapops.h make_pte_marker() @v6.6..v6.18 */
export function make_pte_marker(k: Kernel, marker: number): Pte {
  return k.pgt.swp_entry_to_pte(new Pte(), SWP_PTE_MARKER, marker);
}

/** include/linux/mm_inline.h pte_none_mostly() @v5.19..v6.18: none, or a PTE marker (which UFFDIO_COPY and CONTINUE may fill; no marker exists before 5c041f5d1f23) */
export function pte_none_mostly(k: Kernel, e: Pte): boolean {
  return k.pgt.pte_none(e) || is_pte_marker(k, e);
}

/**
 * mm/memory.c do_swap_page() @v4.19..v6.18: a PTE marker goes to handle_pte_marker; a swap PTE of the
 * device is swapped in: the folio from the swap cache (a minor fault) or read from the slot into a new
 * one (VM_FAULT_MAJOR), mapped with the swap PTE's soft-dirty and uffd-wp; reused (writable, dirty) when
 * the swap PTE says exclusive (v5.19) or reuse_swap_page() allows it (before), on a read fault too from
 * v6.11; a write fault it did not resolve goes on to do_wp_page (a uffd-wp PTE: handle_userfault)
 */
export function do_swap_page(k: Kernel, vmf: VmFault): number {
  // handle_pte_marker @v6.6..v6.18: the poison marker comes before uffd-wp ("data corrupted"): VM_FAULT_HWPOISON
  if (is_poisoned_marker(k, vmf.orig_pte)) return VM_FAULT_HWPOISON;
  // handle_pte_marker @v6.13..v6.18: "hitting a guard page is always a fatal condition" (before any uffd handling)
  if (is_guard_marker(k, vmf.orig_pte)) return VM_FAULT_SIGSEGV;
  if (k.has(PATCH.pteMarkers) && isUffdWpMarker(k, vmf.orig_pte)) {
    // handle_pte_marker -> pte_marker_handle_uffd_wp: a marker left in a VMA that is no longer VM_UFFD_WP
    // (re-registered without WP) is cleared and the access faults again; else it counts as none, and
    // do_anonymous_page keeps the bit
    if (!userfaultfd_wp(vmf.vma)) return pte_marker_clear(k, vmf);
    // do_pte_missing: a file VMA faults the page in (finish_fault keeps the bit)
    return vmf.vma.vm_file === 0 ? do_anonymous_page(k, vmf) : do_fault(k, vmf);
  }
  if (is_migration_entry(k, vmf.orig_pte)) return migration_entry_wait(k, vmf);
  const off = swpOffsetOf(k, vmf.orig_pte);
  if (off < 0 || k.swap.max === 0) return VM_FAULT_SIGBUS; // print_bad_pte
  const g = k.pgt, f = k.folios, vma = vmf.vma, mm = vmf.mm;
  const orig = vmf.orig_pte.clone();
  let ret = 0;
  let slot = swap_cache_get_folio(k, off);
  if (slot >= 0) f.setRefcount(slot, f.refcount(slot) + 1);
  else {
    // swapin_readahead (no readahead in the model: the faulting slot only)
    slot = read_swap_cache_async(k, off);
    if (k.has(PATCH.anonWorkingsetRefault) && k.swap.takeShadow(off)) f.setFlag(slot, PG_active);
    ret = VM_FAULT_MAJOR;
  }
  const pfn = f.pfn(slot);
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  const pte = g.pfn_pte(new Pte(), pfn, vma.vm_page_prot);
  let exclusive = false;
  if (k.has(PATCH.swpExclusive)) {
    // c145e0b47c77 / 1493a1913e34 (v5.19): the swap PTE's exclusive bit; should_try_to_free_swap() also
    // frees the slot on a write fault when the lookup and the swap cache hold the only references
    exclusive = g.pte_swp_exclusive(orig);
    swap_free(k, off);
    if (should_try_to_free_swap(k, slot, vma, vmf.flags)) folio_free_swap(k, slot);
    mm.anonPages++;
    mm.swapEnts--;
    const sole = exclusive || f.refcount(slot) === 1;
    if (k.has(PATCH.swapinMapWritable)) {
      if (g.pte_swp_soft_dirty(orig)) g.pte_mksoft_dirty(pte);
      if (g.pte_swp_uffd_wp(orig)) g.pte_mkuffd_wp(pte);
      if (sole) {
        if ((vma.vm_flags & VM_WRITE) && !userfaultfd_pte_wp(k, vma, pte) && !pte_needs_soft_dirty_wp(k, vma, pte)) {
          g.pte_mkwrite(pte);
          if (vmf.flags & FAULT_FLAG_WRITE) {
            g.pte_mkdirty(pte);
            vmf.flags &= ~FAULT_FLAG_WRITE;
          }
        }
        exclusive = true;
      }
    } else {
      if (sole) {
        if (write) {
          maybe_mkwrite(k, g.pte_mkdirty(pte), vma);
          vmf.flags &= ~FAULT_FLAG_WRITE;
          ret |= VM_FAULT_WRITE;
        }
        exclusive = true;
      }
      if (g.pte_swp_soft_dirty(orig)) g.pte_mksoft_dirty(pte);
      if (g.pte_swp_uffd_wp(orig)) g.pte_mkuffd_wp(pte);
    }
  } else {
    // reuse_swap_page() (@v4.19, v5.7): a write fault reuses the page when this mapping and this swap PTE
    // are its only users, and takes it out of the swap cache; then the slot's reference goes
    if (write && f.mapcount(slot) + __swap_count(k, off) <= 1) {
      maybe_mkwrite(k, g.pte_mkdirty(pte), vma);
      vmf.flags &= ~FAULT_FLAG_WRITE;
      ret |= VM_FAULT_WRITE;
    }
    swap_free(k, off);
    if (!(vmf.flags & FAULT_FLAG_WRITE) && write) folio_free_swap(k, slot);
    else if (vm_swap_full(k) || (vma.vm_flags & VM_LOCKED)) folio_free_swap(k, slot);
    mm.anonPages++;
    mm.swapEnts--;
    if (g.pte_swp_soft_dirty(orig)) g.pte_mksoft_dirty(pte);
    if (g.pte_swp_uffd_wp(orig)) g.pte_mkuffd_wp(pte);
  }
  // do_page_add_anon_rmap / folio_add_anon_rmap_pte: the lookup's reference is the mapping's
  f.setMapcount(slot, f.mapcount(slot) + 1);
  if (exclusive && k.has(PATCH.anonExclusive)) f.setPageAnonExclusive(slot, pfn, true);
  set_pte_at(k, vmf.pte!, pte, vmf.address, 'do_swap_page');
  vmf.orig_pte.copyFrom(pte);
  k.tr?.emit('do_swap_page', 'do_swap_page', { addr: vmf.address, swp: orig.toString(), pte: pte.toString(), major: (ret & VM_FAULT_MAJOR) !== 0 });
  if (vmf.flags & FAULT_FLAG_WRITE) {
    ret |= do_wp_page(k, vmf);
    if (ret & VM_FAULT_ERROR) ret &= VM_FAULT_ERROR;
  }
  return ret;
}

/** mm/memory.c should_try_to_free_swap() @v5.19..v6.18 */
function should_try_to_free_swap(k: Kernel, slot: number, vma: VmArea, flags: number): boolean {
  const f = k.folios;
  if (!f.test(slot, PG_swapcache)) return false;
  if (vm_swap_full(k) || (vma.vm_flags & VM_LOCKED) || f.test(slot, PG_mlocked)) return true;
  return (flags & FAULT_FLAG_WRITE) !== 0 && f.refcount(slot) === 1 + f.nrPages(slot);
}

/** include/linux/mm.h pte_needs_soft_dirty_wp() @v6.11: soft-dirty is tracked in this VMA and the PTE is not soft-dirty yet */
function pte_needs_soft_dirty_wp(k: Kernel, vma: VmArea, pte: Pte): boolean {
  return vma_soft_dirty_enabled(k, vma) && !k.pgt.pte_soft_dirty(pte);
}

/** pte_marker_clear (mm/memory.c @v6.4..v6.18): the marker becomes a none PTE; the fault is done */
function pte_marker_clear(k: Kernel, vmf: VmFault): number {
  vmf.pte!.t.clear(vmf.pte!.i);
  k.tr?.emit('set_pte', 'pte_marker_clear', { addr: vmf.address, old: vmf.orig_pte.toString(), new: '0' });
  return 0;
}

/** do_wp_page: a write to a present, read-only PTE */
export function do_wp_page(k: Kernel, vmf: VmFault): number {
  const g = k.pgt;
  const vma = vmf.vma;
  const unshare = (vmf.flags & FAULT_FLAG_UNSHARE) !== 0;
  // Andrea's 2018 hook: every write fault in a VM_UFFD_WP VMA goes to userspace
  if (k.has(PATCH.uffdWp2018Branch) && userfaultfd_wp_2018(vma)) {
    k.tr?.emit('do_wp_page', 'do_wp_page', { addr: vmf.address, pte: vmf.orig_pte.toString(), action: 'userfault (VMA flag hook)' });
    return handle_userfault(k, vmf, VM_UFFD_WP);
  }
  if (!unshare && k.has(PATCH.uffdWpFaultHook) && userfaultfd_pte_wp(k, vma, vmf.orig_pte)) {
    if (!userfaultfd_wp_async(vma)) {
      k.tr?.emit('do_wp_page', 'do_wp_page', { addr: vmf.address, pte: vmf.orig_pte.toString(), action: 'userfault (uffd-wp bit)' });
      return handle_userfault(k, vmf, VM_UFFD_WP);
    }
    // WP_ASYNC: resolve in the kernel by dropping the bit, then handle as a normal write fault
    g.pte_clear_uffd_wp(vmf.orig_pte);
    set_pte_at(k, vmf.pte!, vmf.orig_pte, vmf.address, 'do_wp_page');
  }
  const slot = vm_normal_page(k, vma, vmf.orig_pte);
  // a shared mapping: the page-cache page is written in place (wp_page_shared)
  if (vma.vm_flags & (VM_SHARED | VM_MAYSHARE)) {
    k.tr?.emit('do_wp_page', 'do_wp_page', { addr: vmf.address, pte: vmf.orig_pte.toString(), action: 'reuse (shared)' });
    return wp_page_shared(k, vmf, slot);
  }
  if (slot < 0) {
    k.tr?.emit('do_wp_page', 'do_wp_page', { addr: vmf.address, pte: vmf.orig_pte.toString(), action: 'copy (zero page)' });
    return wp_page_copy(k, vmf, -1);
  }
  const f = k.folios;
  if (f.test(slot, PG_anon)) {
    const pfn = g.pte_pfn(vmf.orig_pte);
    if (wp_can_reuse(k, slot, pfn, vmf.mm)) {
      if (unshare) return 0;
      k.tr?.emit('do_wp_page', 'do_wp_page', { addr: vmf.address, pte: vmf.orig_pte.toString(), action: 'reuse' });
      return wp_page_reuse(k, vmf, slot);
    }
  }
  k.tr?.emit('do_wp_page', 'do_wp_page', { addr: vmf.address, pte: vmf.orig_pte.toString(), action: 'copy' });
  return wp_page_copy(k, vmf, slot);
}

/**
 * May do_wp_page write to the anonymous page in place?
 * - v4.19: reuse_swap_page(): every mapping of the page is this one (page_trans_huge_map_swapcount <= 1)
 * - v5.9 "mm: do_wp_page() simplification": only when page_count() == 1 (a PTE-mapped THP is copied)
 * - v5.19 PG_anon_exclusive: reuse an exclusive page, or one wp_can_reuse_anon_folio() allows, and mark
 *   the page exclusive (small folios only until v6.15 1da190f4d0a6)
 */
function wp_can_reuse(k: Kernel, slot: number, pfn: number, mm: MmStruct): boolean {
  const f = k.folios;
  if (k.has(PATCH.anonExclusive)) {
    if (f.pageAnonExclusive(slot, pfn)) return true;
    if (!wp_can_reuse_anon_folio(k, slot, mm)) return false;
    // do_wp_page: SetPageAnonExclusive(vmf->page), that page only
    f.setPageAnonExclusive(slot, pfn, true);
    return true;
  }
  if (k.has(PATCH.doWpPageSimplification)) return wp_reuse_small_folio(k, slot);
  // page_trans_huge_map_swapcount: max over subpages of their mapcount plus the PMD mappings
  if (!f.isLarge(slot)) return f.mapcount(slot) <= 1;
  let max = 0;
  if (f.hasSub(slot)) for (let i = 0, n = f.nrPages(slot); i < n; i++) max = Math.max(max, f.subMapcount(slot, i));
  return max + f.mapcount(slot) <= 1;
}

/**
 * wp_can_reuse_anon_folio (mm/memory.c @v6.12 and @v6.18): a large folio only through
 * __wp_can_reuse_large_anon_folio (v6.15), never before; a small one when its mapping holds the only
 * reference (KSM merging and per-CPU LRU batches are not modelled).
 */
function wp_can_reuse_anon_folio(k: Kernel, slot: number, mm: MmStruct): boolean {
  const f = k.folios;
  if (f.isLarge(slot)) return k.has(PATCH.cowReusePteMappedThp) && __wp_can_reuse_large_anon_folio(k, slot, mm);
  return wp_reuse_small_folio(k, slot);
}

/**
 * the small-folio test of wp_can_reuse_anon_folio (@v6.18) and do_wp_page (@v5.10): the mapping holds the
 * only reference but for the swap cache's, which is given up (folio_free_swap) when no swap PTE refers to
 * the slot any more
 */
function wp_reuse_small_folio(k: Kernel, slot: number): boolean {
  const f = k.folios;
  const cache = f.test(slot, PG_swapcache) ? 1 : 0;
  if (f.refcount(slot) > 1 + cache) return false;
  if (cache) folio_free_swap(k, slot);
  return f.refcount(slot) === 1;
}

/** __wp_can_reuse_large_anon_folio (mm/memory.c @v6.15..v6.18): the folio is this mm's alone */
function __wp_can_reuse_large_anon_folio(k: Kernel, slot: number, mm: MmStruct): boolean {
  // only one page mapped: copy it and let the large folio go
  if (folio_large_mapcount(k, slot) <= 1) return false;
  // another mm maps (or may map) a page of it
  if (folio_test_large_maybe_mapped_shared(k, slot)) return false;
  // (KSM folios are never large; the model has no swap cache)
  // every reference is a mapping, and every mapping is in this mm: no pin, GUP or other reference
  if (folio_large_mapcount(k, slot) !== k.folios.refcount(slot)) return false;
  void mm; // VM_WARN_ON_ONCE: mm holds one of the two MM id slots (folio_mm_id)
  return true;
}

/** wp_page_reuse: mkyoung, mkdirty, maybe_mkwrite in place */
export function wp_page_reuse(k: Kernel, vmf: VmFault, slot: number): number {
  const g = k.pgt;
  const entry = g.pte_mkyoung(vmf.orig_pte.clone());
  maybe_mkwrite(k, g.pte_mkdirty(entry), vmf.vma);
  set_pte_at(k, vmf.pte!, entry, vmf.address, 'wp_page_reuse');
  void slot;
  return VM_FAULT_WRITE;
}

/** wp_page_copy: COW into a new page (zero-filled when the old one was the zero page) */
export function wp_page_copy(k: Kernel, vmf: VmFault, oldSlot: number): number {
  const g = k.pgt;
  const vma = vmf.vma;
  anon_vma_prepare(vmf.mm, vma);
  const nslot = k.folios.alloc(0, 0);
  const npfn = k.folios.pfn(nslot);
  const oldPfn = g.pte_pfn(vmf.orig_pte);
  if (oldSlot >= 0) k.data.copyPage(npfn, oldPfn);
  const entry = g.pfn_pte(new Pte(), npfn, vma.vm_page_prot);
  if (vmf.flags & FAULT_FLAG_UNSHARE) {
    if (g.pte_soft_dirty(vmf.orig_pte)) g.pte_mksoft_dirty(entry);
    if (g.pte_uffd_wp(vmf.orig_pte)) g.pte_mkuffd_wp(entry);
  } else {
    maybe_mkwrite(k, g.pte_mkdirty(entry), vma);
  }
  // a page-cache page copied: the mapping's rss moves from the file counter to the anonymous one
  if (oldSlot < 0 || !k.folios.test(oldSlot, PG_anon)) vmf.mm.anonPages++;
  if (oldSlot >= 0 && !k.folios.test(oldSlot, PG_anon)) vmf.mm.shmemPages--;
  folio_add_new_anon_rmap(k, nslot, false, vmf.mm);
  set_pte_at(k, vmf.pte!, entry, vmf.address, 'wp_page_copy');
  if (oldSlot >= 0) {
    folio_remove_rmap_pte(k, oldSlot, oldPfn, vmf.mm);
    folio_put(k, oldSlot);
  }
  k.tr?.emit('wp_page_copy', 'wp_page_copy', { addr: vmf.address, old_pfn: oldPfn, new_pfn: npfn });
  return VM_FAULT_WRITE;
}

// ---- unmapping ------------------------------------------------------------------------------

/** zap_pte_range: clear PTEs of [start,end) in one PTE table, dropping their pages; from v6.9 (10ebac4f95e7,
 * zap_present_ptes) the PTEs of one large folio go as a batch, one rmap removal for all of them; from v6.14 on
 * x86-64 (x86-pt-reclaim) a MADV_DONTNEED of the whole table that skipped nothing frees it (mm/memory.c @v6.18) */
export function zap_pte_range(k: Kernel, mm: MmStruct, vma: VmArea, pmd: Slot, t: PageTable, start: number, end: number, details: ZapDetails | null = null): void {
  const g = k.pgt;
  const e = new Pte();
  const batch = k.has(PATCH.zapPteBatch);
  // an entry left in the table (skipped, or a uffd-wp marker put in its place) keeps the table (any_skipped)
  let can_reclaim_pt = reclaim_pt_is_enabled(k, start, end, details);
  for (let addr = start; addr < end; addr += PAGE_SIZE) {
    const i = pte_index(addr);
    if (t.isNone(i)) continue;
    t.get(i, e);
    // a file VMA keeps its uffd-wp state unless the zap drops markers (munmap): a marker stays, a uffd-wp PTE
    // leaves one (zap_install_uffd_wp_if_needed, pte_install_uffd_wp_if_needed)
    const keepWp = details !== null && !details.drop_markers && vma.vm_file !== 0 && (k.fp & FP_PTE_MARKERS) !== 0;
    if (keepWp && isUffdWpMarker(k, e)) {
      can_reclaim_pt = false;
      continue;
    }
    // zap_nonpresent_ptes @v6.13..v6.18: a guard marker goes only with ZAP_FLAG_DROP_MARKER (munmap, exit: null
    // details here); MADV_DONTNEED/FREE, truncation, hole punching and MADV_GUARD_INSTALL's own zap leave it
    if (details !== null && !details.drop_markers && is_guard_marker(k, e)) {
      can_reclaim_pt = false;
      continue;
    }
    if (details !== null && details.mapping !== 0) {
      // unmap_mapping_range: only the file's pages (and the private copies when even_cows); swap entries
      // and markers of the range stay (zap_nonpresent_ptes skips them without even_cows). Before
      // 5abfd71d936a (v5.18) every swap or migration entry stayed, even in a truncation (even_cows): a private
      // copy swapped out survived the truncation of its file
      if (!g.pte_present(e)) {
        if (!details.even_cows || !k.has(PATCH.zapSwapEntryWithDetails)) {
          can_reclaim_pt = false;
          continue;
        }
      } else {
        // (a PTE without a normal page, the zero page's, goes whatever the mapping: zap_present_ptes)
        const s = vm_normal_page(k, vma, e);
        if (s >= 0 && !details.even_cows && folio_mapping(k, s) !== details.mapping) {
          can_reclaim_pt = false;
          continue;
        }
      }
    }
    t.clear(i);
    if (!g.pte_present(e)) {
      // a migration entry still counts in rss (zap_nonpresent_ptes); a swap entry's slot reference goes
      // (free_swap_and_cache); a marker just goes
      if (is_migration_entry(k, e)) {
        mm.anonPages--;
        continue;
      }
      const off = swpOffsetOf(k, e);
      if (off >= 0) {
        mm.swapEnts--;
        free_swap_and_cache(k, off);
        // zap_install_uffd_wp_if_needed (pte_swp_uffd_wp_any): a uffd-wp swap entry of a file VMA registered for
        // WP (a private mapping's COW copy swapped out) leaves the marker in a zap that keeps them
        if (keepWp && (vma.vm_flags & VM_UFFD_WP) && g.pte_swp_uffd_wp(e)) {
          t.set(i, g.swp_entry_to_pte(new Pte(), SWP_PTE_MARKER, PTE_MARKER_UFFD_WP));
          can_reclaim_pt = false;
        }
      }
      continue;
    }
    const slot = vm_normal_page(k, vma, e);
    if (slot < 0) {
      // zap_present_ptes @v6.18 without a page (the zero page): cleared, a uffd-wp one leaves its marker
      if (zap_install_uffd_wp_if_needed(k, vma, t, i, 1, e, keepWp)) can_reclaim_pt = false;
      continue;
    }
    const nr = batch && k.folios.isLarge(slot) ? zap_folio_pte_batch(k, t, i, (end - addr) / PAGE_SIZE, slot, e) : 1;
    for (let j = 1; j < nr; j++) t.clear(i + j);
    if (zap_install_uffd_wp_if_needed(k, vma, t, i, nr, e, keepWp)) can_reclaim_pt = false;
    if (k.folios.test(slot, PG_anon)) mm.anonPages -= nr;
    else {
      // zap_present_folio_ptes: a file page's dirty PTE dirties the folio, a young one marks it accessed
      // (vma_has_recency: not under MADV_SEQUENTIAL/RANDOM); the file rss counter
      if (g.pte_dirty(e)) k.folios.setFlag(slot, PG_dirty);
      if (g.pte_young(e) && !(vma.vm_flags & (VM_SEQ_READ | VM_RAND_READ))) mark_page_accessed(k, slot);
      mm.shmemPages -= nr;
    }
    folio_remove_rmap_ptes(k, slot, g.pte_pfn(e), nr, mm);
    folio_put_refs(k, slot, nr);
    addr += (nr - 1) * PAGE_SIZE;
  }
  // the fast path: the PMD cleared under the PTE lock, then the table freed (the model's zap never drops the
  // PTE lock midway, so try_to_free_pte's recheck of every entry is never needed)
  if (can_reclaim_pt) {
    try_get_and_clear_pmd(pmd);
    free_pte(k, mm, t);
  }
}


/**
 * mm/memory.c zap_install_uffd_wp_if_needed() @v6.18 for present PTEs (pte_install_uffd_wp_if_needed): in a
 * file VMA registered for uffd-wp, a zap that keeps markers (keepWp) puts the uffd-wp marker in place of nr
 * cleared PTEs whose first, pteval, was write-protected; returns whether it did (any_skipped)
 */
function zap_install_uffd_wp_if_needed(k: Kernel, vma: VmArea, t: PageTable, i: number, nr: number, pteval: Pte, keepWp: boolean): boolean {
  if (!keepWp || !(vma.vm_flags & VM_UFFD_WP) || !k.pgt.pte_uffd_wp(pteval)) return false;
  for (let j = 0; j < nr; j++) t.set(i + j, k.pgt.swp_entry_to_pte(new Pte(), SWP_PTE_MARKER, PTE_MARKER_UFFD_WP));
  return true;
}

/**
 * include/linux/mm_inline.h pte_install_uffd_wp_if_needed() @v6.18 for a present PTE just cleared (try_to_unmap_one):
 * in a file VMA registered for uffd-wp (PTE markers, v5.19), a write-protected PTE leaves the uffd-wp marker
 */
export function pte_install_uffd_wp_if_needed(k: Kernel, vma: VmArea, t: PageTable, i: number, pteval: Pte): boolean {
  const keepWp = vma.vm_file !== 0 && (k.fp & FP_PTE_MARKERS) !== 0;
  return zap_install_uffd_wp_if_needed(k, vma, t, i, 1, pteval, keepWp);
}

/**
 * folio_pte_batch (mm/internal.h @v6.9..v6.18) as zap_present_ptes calls it: how many PTEs from i, at most
 * max, map the next pages of the folio and differ from the first only in write, accessed, dirty and soft-dirty
 */
export function zap_folio_pte_batch(k: Kernel, t: PageTable, i: number, max: number, slot: number, first: Pte): number {
  const g = k.pgt;
  const f = k.folios;
  const pfn0 = g.pte_pfn(first);
  const folioEnd = f.pfn(slot) + f.nrPages(slot);
  const n = new Pte();
  let nr = 1;
  while (nr < max && pfn0 + nr < folioEnd) {
    t.get(i + nr, n);
    if (!g.pte_present(n) || g.pte_pfn(n) !== pfn0 + nr) break;
    // the PTE bits folio_pte_batch ignores for zap_present_ptes: the arch's write, accessed, dirty, soft-dirty
    if (((n.lo ^ first.lo) & ~g.zapIgnoreLo) !== 0 || ((n.hi ^ first.hi) & ~g.zapIgnoreHi) !== 0) break;
    nr++;
  }
  return nr;
}

/** unmap_page_range / zap_pmd_range: zap [start,end) of one VMA */
export function unmap_page_range(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number, details: ZapDetails | null = null): void {
  // unmap_single_vma: a hugetlb VMA is zapped by __unmap_hugepage_range (uffd-wp markers kept: MADV_DONTNEED)
  if (vma.vm_flags & VM_HUGETLB) return __unmap_hugepage_range(k, mm, vma, start, end, -1, false);
  const g = k.pgt;
  const pmdv = new Pte();
  for (let addr = start; addr < end;) {
    const next = Math.min(end, (Math.floor(addr / PMD_SIZE) + 1) * PMD_SIZE);
    const pmd = mm_find_pmd(k, mm, addr);
    if (!pmd) {
      // no PMD table here: skip to the next PUD boundary
      addr = Math.min(end, (Math.floor(addr / 2 ** 30) + 1) * 2 ** 30);
      continue;
    }
    pmd.t.get(pmd.i, pmdv);
    if (is_migration_entry(k, pmdv)) {
      // zap_huge_pmd of a PMD migration entry: it goes, with its rss; a part of it would split it (not modelled)
      if (next - addr !== HPAGE_PMD_SIZE) notModelled('addr', 'zapping part of a THP under migration (a PMD migration entry split)');
      pmd.t.clear(pmd.i);
      mm.anonPages -= HPAGE_PMD_NR;
      addr = next;
      continue;
    }
    if (g.pmd_trans_huge(pmdv)) {
      if (next - addr === HPAGE_PMD_SIZE) {
        zap_huge_pmd(k, mm, vma, pmd, addr);
        addr = next;
        continue;
      }
      __split_huge_pmd(k, mm, vma, pmd, Math.floor(addr / PMD_SIZE) * PMD_SIZE, false);
    }
    const t = pte_offset_map(k, mm, pmd);
    if (t) zap_pte_range(k, mm, vma, pmd, t, addr, next, details);
    addr = next;
  }
}

/** split_huge_pmd_address: split the huge PMD mapping addr, if any */
export function split_huge_pmd_address(k: Kernel, mm: MmStruct, vma: VmArea, addr: number): void {
  const pmd = mm_find_pmd(k, mm, addr);
  if (!pmd) return;
  const v = pmd.t.get(pmd.i, new Pte());
  if (k.pgt.pmd_trans_huge(v)) __split_huge_pmd(k, mm, vma, pmd, Math.floor(addr / PMD_SIZE) * PMD_SIZE, false);
}


/** follow_page for the model's own reads (copy_from_user without faulting): the pfn mapping addr, or -1 */
export function follow_pfn(k: Kernel, mm: MmStruct, addr: number): number {
  const g = k.pgt;
  const pmd = mm_find_pmd(k, mm, addr);
  if (!pmd) return -1;
  const v = pmd.t.get(pmd.i, new Pte());
  if (g.pmd_trans_huge(v)) {
    if (!(v.lo & 1)) return -1;
    return g.pmd_pfn(v) + (Math.floor(addr / PAGE_SIZE) & 511);
  }
  const t = pte_offset_map(k, mm, pmd);
  if (!t) return -1;
  const e = t.get(pte_index(addr), new Pte());
  if (!(e.lo & 1)) return -1;
  return g.pte_pfn(e);
}

// ---- PMD mappings of page-cache folios (shmthp) ------------------------------------------------------

/**
 * mm/memory.c do_set_pmd() @v6.18: map a PMD-sized page-cache folio with one PMD (vm_page_prot; dirty and
 * writable where the VMA is, for a write), taking the caller's folio reference for the mapping. Not in a
 * VMA with VM_NOHUGEPAGE (vma_thp_disabled), nor where the VMA cannot hold the aligned block at an aligned
 * file offset; with the fix of corpus 34 (do-set-pmd-no-cow) not for a write or unshare fault of a COW
 * mapping either, which is about to copy a page. VM_FAULT_FALLBACK, or 0 once mapped.
 */
export function do_set_pmd(k: Kernel, vmf: VmFault, slot: number): number {
  const g = k.pgt, f = k.folios, vma = vmf.vma;
  const haddr = Math.floor(vmf.address / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
  // vma_thp_disabled (2b0f922323cc, v6.12): a folio already in the cache is not PMD-mapped where THPs are off;
  // before, only the allocation asked
  if ((vma.vm_flags & VM_NOHUGEPAGE) && k.has(PATCH.thpDisabledNoPmdMap)) return VM_FAULT_FALLBACK;
  if (!thp_vma_suitable_pmd(vma, haddr)) return VM_FAULT_FALLBACK;
  if (k.has(PATCH.doSetPmdNoCow) && is_cow_mapping(vma.vm_flags) && (vmf.flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE))) return VM_FAULT_FALLBACK;
  if (f.order(slot) !== HPAGE_PMD_ORDER) return VM_FAULT_FALLBACK;
  if (!g.pmd_none(vmf.pmd.t.get(vmf.pmd.i, new Pte()))) return 0;
  const entry = g.mk_huge_pmd(new Pte(), f.pfn(slot), vma.vm_page_prot);
  if (vmf.flags & FAULT_FLAG_WRITE) {
    g.pmd_mkdirty(entry);
    if (vma.vm_flags & VM_WRITE) g.pmd_mkwrite(entry);
  }
  vmf.mm.shmemPages += HPAGE_PMD_NR;
  folio_add_file_rmap_pmd(k, slot, vmf.mm);
  set_pmd_at(k, vmf.pmd, entry, haddr, 'do_set_pmd');
  return 0;
}

/**
 * the large-folio part of mm/memory.c finish_fault() @v6.18 (shmthp): where the folio lies inside the VMA and
 * one page table, every page of it is mapped by a PTE at once (all of them none, else VM_FAULT_NOPAGE), the
 * file rss and the references going up by its size; null where the faulting page alone is mapped (a small
 * folio, a VMA registered with uffd, a folio that does not fit, or a release without the rows)
 */
function finishFaultWholeFolio(k: Kernel, vmf: VmFault, slot: number, pfn: number): number | null {
  const f = k.folios, vma = vmf.vma;
  if (!f.isLarge(slot) || f.test(slot, PG_anon)) return null;
  if (!(k.has(PATCH.finishFaultWholeFileFolio) || (k.has(PATCH.finishFaultLargeFolio) && vma_is_anon_shmem(k, vma)))) return null;
  if (vma.vm_flags & (VM_UFFD_MISSING | VM_UFFD_WP) || (vma.vm_flags_hi & VM_HI_UFFD_MINOR)) return null;
  const nr = f.nrPages(slot), idx = pfn - f.pfn(slot);
  const vmaOff = linear_page_index(vma, vmf.address) - vma.vm_pgoff, pteOff = pte_index(vmf.address);
  if (vmaOff < idx || vmaOff + (nr - idx) > (vma.vm_end - vma.vm_start) / PAGE_SIZE || pteOff < idx || pteOff + (nr - idx) > 512) return null;
  const t = pte_alloc(k, vmf.mm, vmf.pmd);
  const addr0 = vmf.address - idx * PAGE_SIZE;
  for (let j = 0; j < nr; j++) if (!t.isNone(pte_index(addr0 + j * PAGE_SIZE))) return VM_FAULT_NOPAGE;
  // folio_ref_add(folio, nr_pages - 1): the fault's reference is the first mapping's
  f.setRefcount(slot, f.refcount(slot) + nr - 1);
  for (let j = 0; j < nr; j++) set_pte_range(k, vmf, slot, f.pfn(slot) + j, { t, i: pte_index(addr0 + j * PAGE_SIZE) }, addr0 + j * PAGE_SIZE, false);
  vmf.mm.shmemPages += nr;
  return 0;
}

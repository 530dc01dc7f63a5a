// MADV_COLLAPSE (mm/khugepaged.c madvise_collapse @v6.1, @v6.18): collapse PTE-mapped ranges into a new THP.
import type { Kernel } from '../kernel.js';
import { Pte } from '../arch/x86/include/pte.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { fail } from '../include/errno.js';
import { PATCH } from '../../profiles/patches.js';
import { PG_anon } from './folio.js';
import { folio_add_new_anon_rmap, folio_remove_rmap_ptes, mm_find_pmd } from './rmap.js';
import { vm_normal_page } from './memory.js';
import { set_pmd_at } from './huge_memory.js';
import { userfaultfd_armed } from '../fs/userfaultfd.js';
import { vmas_in, vma_lookup } from './mmap.js';
import { VM_NOHUGEPAGE, VM_WRITE } from '../include/vm_flags.js';
import { pte_offset_map } from './pagewalk.js';
import { freeTable, is_zero_pfn } from './pgtable.js';
import { folio_put, folio_put_refs } from './swap.js';

type ScanResult = 'succeed' | 'pmd_mapped' | 'pmd_null' | 'pmd_none' | 'pte_uffd_wp' | 'exceed_none_pte' | 'page_not_anon' | 'vma_check';

/** the results madvise_collapse goes on after (its "whitelisted set"); any other failure ends the call */
const SCAN_CONTINUE: ReadonlySet<ScanResult> = new Set(['pmd_null', 'pte_uffd_wp']);

/**
 * mm/khugepaged.c hpage_collapse_scan_pmd() @v6.18, for MADV_COLLAPSE (no max_ptes_* limits): can this
 * 2 MiB be collapsed? No PMD table is SCAN_PMD_NULL (the walk goes on), an empty PMD SCAN_PMD_NONE (it
 * ends), as find_pmd_or_thp_or_none says. A range without a writable PTE is collapsed too (6.18 dropped
 * SCAN_PAGE_RO; see docs/fidelity.md)
 */
function scan_pmd(k: Kernel, mm: MmStruct, vma: VmArea, haddr: number): ScanResult {
  const g = k.pgt;
  const pmd = mm_find_pmd(k, mm, haddr);
  if (!pmd) return 'pmd_null';
  const pmdv = pmd.t.get(pmd.i, new Pte());
  if (g.pmd_trans_huge(pmdv)) return 'pmd_mapped';
  const t = pte_offset_map(k, mm, pmd);
  if (!t) return 'pmd_none';
  const e = new Pte();
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    t.get(i, e);
    if (g.pte_none(e) || (g.pte_present(e) && is_zero_pfn(k, g.pte_pfn(e)))) {
      // a registered VMA may not get new zero-filled pages behind the handler's back
      if (userfaultfd_armed(vma)) return 'exceed_none_pte';
      continue;
    }
    if (!g.pte_present(e)) {
      if (g.pte_swp_uffd_wp(e) || g.swp_type(e) === 31) return 'pte_uffd_wp';
      return 'exceed_none_pte';
    }
    if (g.pte_uffd_wp(e)) return 'pte_uffd_wp';
    const slot = vm_normal_page(k, vma, e);
    if (slot < 0 || !k.folios.test(slot, PG_anon)) return 'page_not_anon';
  }
  return 'succeed';
}

/** collapse_huge_page: copy the 512 pages into a fresh THP and map it with a PMD */
function collapse_huge_page(k: Kernel, mm: MmStruct, vma: VmArea, haddr: number): void {
  const g = k.pgt;
  const pmd = mm_find_pmd(k, mm, haddr)!;
  const t = pte_offset_map(k, mm, pmd)!;
  const nslot = k.folios.alloc(HPAGE_PMD_ORDER, 0);
  k.vmstat.thp_collapse_alloc++;
  const npfn = k.folios.pfn(nslot);
  const e = new Pte();
  const batching = k.has(PATCH.collapseCopyBatching);
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    t.get(i, e);
    if (!g.pte_present(e)) continue;
    const pfn = g.pte_pfn(e);
    if (is_zero_pfn(k, pfn)) continue;
    k.data.copyPage(npfn + i, pfn);
    const slot = vm_normal_page(k, vma, e);
    if (slot < 0) continue;
    // __collapse_huge_page_copy_succeeded (v6.17 291f9ebaa5d6): the PTEs of one large folio go as a batch
    let nr = 1;
    if (batching && k.folios.isLarge(slot)) {
      const end = k.folios.pfn(slot) + k.folios.nrPages(slot);
      const n = new Pte();
      while (i + nr < HPAGE_PMD_NR && pfn + nr < end) {
        t.get(i + nr, n);
        if (!g.pte_present(n) || g.pte_pfn(n) !== pfn + nr) break;
        nr++;
      }
      for (let j = 1; j < nr; j++) k.data.copyPage(npfn + i + j, pfn + j);
    }
    folio_remove_rmap_ptes(k, slot, pfn, nr, mm);
    folio_put_refs(k, slot, nr);
    mm.anonPages -= nr;
    i += nr - 1;
  }
  pmd.t.clear(pmd.i);
  freeTable(k, mm, t);
  const entry = g.mk_huge_pmd(new Pte(), npfn, vma.vm_page_prot);
  g.pmd_mkdirty(entry);
  if (vma.vm_flags & VM_WRITE) g.pmd_mkwrite(entry);
  folio_add_new_anon_rmap(k, nslot, true, mm);
  mm.anonPages += HPAGE_PMD_NR;
  set_pmd_at(k, pmd, entry, haddr, 'collapse_huge_page');
  k.tr?.emit('collapse', 'collapse_huge_page', { addr: haddr, new_pfn: npfn });
}

/** madvise_collapse (mm/khugepaged.c @v6.18), for every VMA of the range as madvise_walk_vmas calls it */
export function madvise_collapse(k: Kernel, mm: MmStruct, start: number, end: number): void {
  // madvise_walk_vmas calls madvise_collapse once per VMA, which first asks thp_vma_allowable_order
  for (const v of vmas_in(mm, start, end)) {
    if (!thp_vma_allowable_collapse(v)) fail('EINVAL', 'MADV_COLLAPSE: the VMA cannot hold a PMD-mapped THP');
    collapse_range(k, mm, Math.max(start, v.vm_start), Math.min(end, v.vm_end));
  }
}

/**
 * thp_vma_allowable_order(vma, vm_flags, 0, PMD_ORDER) for MADV_COLLAPSE (mm/huge_memory.c
 * __thp_vma_allowable_orders @v6.18): sysfs is not consulted, VM_NOHUGEPAGE is; outside a fault the
 * VMA must contain an aligned 2 MiB range (thp_vma_suitable_order of vm_end - HPAGE_PMD_SIZE) and have
 * an anon_vma (a VMA never faulted has nothing to collapse)
 */
function thp_vma_allowable_collapse(vma: VmArea): boolean {
  if (vma.vm_flags & VM_NOHUGEPAGE) return false;
  const haddr = Math.floor((vma.vm_end - HPAGE_PMD_SIZE) / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
  if (haddr < vma.vm_start || haddr + HPAGE_PMD_SIZE > vma.vm_end) return false;
  return vma.anon_vma !== null;
}

/** the PMD loop of madvise_collapse over [start, end) of one VMA */
function collapse_range(k: Kernel, mm: MmStruct, start: number, end: number): void {
  const hstart = Math.ceil(start / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
  const hend = Math.floor(end / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
  // a range inside one 2 MiB block that does not start on it: hstart passes hend, and the kernel's
  // "thps == (hend - hstart) >> HPAGE_PMD_SHIFT" compares 0 with a huge unsigned count, so it fails with
  // the errno of its initial SCAN_FAIL
  if (hstart > hend) fail('EINVAL', 'MADV_COLLAPSE of a range that holds no aligned 2 MiB block and does not start on one');
  let last: ScanResult = 'succeed';
  let thps = 0, done = 0;
  for (let a = hstart; a < hend; a += HPAGE_PMD_SIZE) {
    thps++;
    const vma = vma_lookup(k, mm, a);
    if (!vma || a + HPAGE_PMD_SIZE > vma.vm_end || (vma.vm_flags & VM_NOHUGEPAGE)) {
      last = 'vma_check';
      break;
    }
    const r = scan_pmd(k, mm, vma, a);
    if (r === 'succeed') {
      collapse_huge_page(k, mm, vma, a);
      done++;
    } else if (r === 'pmd_mapped') {
      done++;
    } else {
      last = r;
      k.tr?.emit('collapse', 'madvise_collapse', { addr: a, result: r });
      if (!SCAN_CONTINUE.has(r)) break;
    }
  }
  if (done === thps) return;
  // madvise_collapse_errno
  if (last === 'exceed_none_pte' && k.has(PATCH.collapseNoneEbusy)) fail('EBUSY', 'range has empty PTEs in a uffd-registered VMA');
  fail('EINVAL', `collapse failed: ${last}`);
  void PAGE_SIZE;
}

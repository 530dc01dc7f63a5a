// mincore(2) (mm/mincore.c @v6.18; the same rules @v4.19 for what the model has): one byte per page of the
// range, 1 where the page is resident. A page mapped by a present PTE or a huge PMD is; an address with no
// entry (or a PTE marker) asks the page cache of a file VMA and is 0 in an anonymous one; a swap entry asks
// the swap cache; a migration entry is resident. A hugetlb entry is resident unless it is none, or (from
// 63cf584203f3, v6.3) a PTE marker: before, a hugetlb uffd-wp marker read as a resident page.
import type { Kernel } from '../kernel.js';
import { Pte } from '../arch/x86/include/pte.js';
import { PAGE_SIZE, PMD_SIZE, TASK_SIZE } from '../arch/x86/include/pgtable_types.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { fail, notModelled } from '../include/errno.js';
import { VM_HUGETLB } from '../include/vm_flags.js';
import { PATCH } from '../../profiles/patches.js';
import { vma_lookup } from './mmap.js';
import { mm_find_pmd } from './rmap.js';
import { pte_offset_map } from './pagewalk.js';
import { hugetlb_walk } from './hugetlb.js';
import { SWP_PTE_MARKER, linear_page_index } from './memory.js';
import { is_migration_entry } from './migrate.js';
import { swap_cache_get_folio, swpOffsetOf } from './swapfile.js';
import { filemap_get_entry } from './filemap.js';
import { PG_uptodate } from './folio.js';

/** the pages one call reads at most in the model (the kernel loops over any length, a page of bytes at a time) */
export const MINCORE_MAX_PAGES = 4096;

/** include/linux/swapops.h is_pte_marker() @v6.18: is e a PTE marker (any kind; the model makes uffd-wp ones only) */
function is_pte_marker(k: Kernel, e: Pte): boolean {
  return k.pgt.is_swap_pte(e) && k.pgt.swp_type(e) === SWP_PTE_MARKER;
}

/** mm/mincore.c mincore_swap() @v6.18 (mincore_page of the swap address space before): the swap cache has the page, up to date */
function mincore_swap(k: Kernel, off: number): number {
  const slot = swap_cache_get_folio(k, off);
  return slot >= 0 && k.folios.test(slot, PG_uptodate) ? 1 : 0;
}

/**
 * mm/mincore.c mincore_page() @v6.18 (filemap_get_incore_folio): the file's page at index is in the cache and
 * up to date; a shmem page swapped out (a value entry in the cache) is as resident as its swap cache page
 */
function mincore_page(k: Kernel, vma: VmArea, addr: number): number {
  const m = k.inode(vma.vm_file);
  if (!m) return 0;
  const e = filemap_get_entry(k, m, linear_page_index(vma, addr));
  if (e >= 0) return k.folios.test(e, PG_uptodate) ? 1 : 0;
  if (e === -1) return 0;
  return mincore_swap(k, -e - 1);
}

/** mm/mincore.c __mincore_unmapped_range() @v6.18: the page cache decides for a file VMA, an anonymous one has nothing */
function mincore_unmapped(k: Kernel, vma: VmArea, addr: number): number {
  return vma.vm_file !== 0 ? mincore_page(k, vma, addr) : 0;
}

/** mm/mincore.c mincore_hugetlb() @v6.18: a huge entry that is not none (nor, from 63cf584203f3, a PTE marker) */
function mincore_hugetlb(k: Kernel, mm: MmStruct, addr: number): number {
  const s = hugetlb_walk(k, mm, addr);
  if (!s) return 0;
  const e = s.t.get(s.i, new Pte());
  if (k.pgt.pte_none(e)) return 0;
  if (is_pte_marker(k, e) && k.has(PATCH.mincoreHugetlbPteMarkers)) return 0;
  return 1;
}

/** mm/mincore.c mincore_pte_range() @v6.18 for one page of a VMA that is not hugetlb */
function mincore_one(k: Kernel, mm: MmStruct, vma: VmArea, addr: number): number {
  const g = k.pgt;
  const pmd = mm_find_pmd(k, mm, addr);
  if (!pmd) return mincore_unmapped(k, vma, addr);
  const pmdv = pmd.t.get(pmd.i, new Pte());
  // pmd_trans_huge_lock: a huge PMD (the huge zero page too) or a PMD migration entry: every page is resident
  if (is_migration_entry(k, pmdv) || (g.pmd_trans_huge(pmdv) && g.pmd_present(pmdv))) return 1;
  const t = pte_offset_map(k, mm, pmd);
  if (!t) return mincore_unmapped(k, vma, addr);
  const e = t.get(Math.floor(addr / PAGE_SIZE) & 511, new Pte());
  // pte_none_mostly: a PTE marker is an address with nothing mapped
  if (g.pte_none(e) || is_pte_marker(k, e)) return mincore_unmapped(k, vma, addr);
  if (g.pte_present(e)) return 1;
  const off = swpOffsetOf(k, e);
  // a migration (or device) entry: non_swap_entry, always up to date
  if (off < 0) return 1;
  return mincore_swap(k, off);
}

/**
 * mm/mincore.c sys_mincore() / do_mincore() @v6.18: the residency of each page of [start, start + len), len
 * rounded up to pages; EINVAL for an unaligned start, ENOMEM for a range past TASK_SIZE or one that leaves
 * the VMAs (the bytes of the pages before the hole are written, which the model does not show).
 * can_do_mincore() lets root (CAP_FOWNER) see every file's cache; the model runs file mappings as root only.
 */
export function sys_mincore(k: Kernel, mm: MmStruct, uid: number, start: number, len: number): number[] {
  if (start % PAGE_SIZE !== 0) fail('EINVAL', 'start is not page aligned');
  if (start > TASK_SIZE || len > TASK_SIZE - start) fail('ENOMEM', 'the range is past TASK_SIZE (access_ok)');
  const pages = Math.ceil(len / PAGE_SIZE);
  if (pages > MINCORE_MAX_PAGES) notModelled('len', `model limit: mincore of more than ${MINCORE_MAX_PAGES} pages`);
  const vec: number[] = [];
  for (let i = 0; i < pages; i++) {
    const addr = start + i * PAGE_SIZE;
    const vma = vma_lookup(k, mm, addr);
    if (!vma) fail('ENOMEM', `no VMA at 0x${addr.toString(16)}`);
    if (vma.vm_file !== 0 && uid !== 0) notModelled('op', 'mincore of a file mapping by a user other than root (can_do_mincore: the file\'s owner and write permission)');
    vec.push(vma.vm_flags & VM_HUGETLB ? mincore_hugetlb(k, mm, addr - (addr % PMD_SIZE)) : mincore_one(k, mm, vma, addr));
  }
  return vec;
}

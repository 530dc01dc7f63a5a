// /proc/PID/pagemap, smaps counters and clear_refs (fs/proc/task_mmu.c @v4.19, @v6.1, @v6.18).
import type { Kernel } from '../../kernel.js';
import { Pte } from '../../arch/x86/include/pte.js';
import { HPAGE_PMD_SIZE, PAGE_SIZE, PMD_SIZE } from '../../arch/x86/include/pgtable_types.js';
import type { MmStruct, VmArea } from '../../include/mm_types.js';
import { VM_SOFTDIRTY } from '../../include/vm_flags.js';
import { PM, CLEAR_REFS_ALL, CLEAR_REFS_ANON, CLEAR_REFS_MAPPED, CLEAR_REFS_MM_HIWATER_RSS, CLEAR_REFS_SOFT_DIRTY } from '../../include/uapi.js';
import { fail } from '../../include/errno.js';
import { PATCH } from '../../../profiles/patches.js';
import { PG_anon, PG_referenced } from '../../mm/folio.js';
import { vm_normal_page, isUffdWpMarker } from '../../mm/memory.js';
import { is_huge_zero_pmd, set_pmd_at } from '../../mm/huge_memory.js';
import { forEachPmd, vma_soft_dirty_enabled } from '../../mm/mprotect.js';
import { vma_set_page_prot } from '../../mm/mmap.js';

const bit = (n: number) => 1n << BigInt(n);

/** one /proc/PID/pagemap entry (as root: with the PFN) */
export function pagemap_entry(k: Kernel, mm: MmStruct, addr: number): bigint {
  const g = k.pgt;
  const f = k.folios;
  const vma = k.vma_lookup(mm, addr);
  const vmaSoftDirty = vma !== null && (vma.vm_flags & VM_SOFTDIRTY) !== 0 && k.has(PATCH.softDirtyVmaReuse);
  // pagemap_pte_hole: no page table here (68b5a6524856 reports the VMA's VM_SOFTDIRTY)
  const hole = vmaSoftDirty && k.has(PATCH.softDirtyPteHole) ? bit(PM.soft_dirty) : 0n;
  if (!vma) return 0n;
  const pmd = k.pmdSlot(mm, addr);
  if (!pmd) return hole;
  const pmdv = pmd.t.get(pmd.i, new Pte());
  let flags = 0n, frame = 0n;
  if (g.pmd_trans_huge(pmdv) && (pmdv.lo & 1)) {
    // pagemap_pmd_range: every 4 KiB of the PMD reports the same flags, the PFN advances
    const idx = Math.floor((addr % HPAGE_PMD_SIZE) / PAGE_SIZE);
    const pfn = g.pmd_pfn(pmdv) + idx;
    frame = BigInt(pfn);
    flags |= bit(PM.present);
    if (g.pmd_soft_dirty(pmdv)) flags |= bit(PM.soft_dirty);
    if (k.has(PATCH.pagemapUffdWp) && g.pmd_uffd_wp(pmdv)) flags |= bit(PM.uffd_wp);
    const slot = f.slotOf(g.pmd_pfn(pmdv));
    if (slot >= 0) {
      if (k.has(PATCH.pagemapPmdFile) && !f.test(slot, PG_anon)) flags |= bit(PM.file);
      // 4.19 and 6.18 judge exclusivity by the head page for the whole PMD
      if (f.pageMapcount(slot, f.pfn[slot]!) === 1) flags |= bit(PM.mmap_exclusive);
    }
    if (vmaSoftDirty) flags |= bit(PM.soft_dirty);
    return flags | frame;
  }
  const t = k.pteTable(mm, pmd);
  if (!t) return hole;
  const e = t.get(Math.floor(addr / PAGE_SIZE) & 511, new Pte());
  if (g.pte_none(e)) return vmaSoftDirty ? bit(PM.soft_dirty) : 0n;
  let slot = -1;
  let pfn = 0;
  if (g.pte_present(e)) {
    pfn = g.pte_pfn(e);
    frame = BigInt(pfn);
    flags |= bit(PM.present);
    if (g.pte_soft_dirty(e)) flags |= bit(PM.soft_dirty);
    if (k.has(PATCH.pagemapUffdWp) && g.pte_uffd_wp(e)) flags |= bit(PM.uffd_wp);
    slot = vm_normal_page(k, vma, e);
  } else {
    // swap entry / PTE marker: type in bits 0-4, offset above
    frame = BigInt(g.swp_type(e)) | (BigInt(g.swp_offset(e)) << 5n);
    flags |= bit(PM.swap);
    if (g.pte_swp_soft_dirty(e)) flags |= bit(PM.soft_dirty);
    if (k.has(PATCH.pagemapUffdWp) && (g.pte_swp_uffd_wp(e) || isUffdWpMarker(k, e))) flags |= bit(PM.uffd_wp);
  }
  if (slot >= 0) {
    if (!f.test(slot, PG_anon)) flags |= bit(PM.file);
    if (f.pageMapcount(slot, pfn) === 1) flags |= bit(PM.mmap_exclusive);
  }
  if (vmaSoftDirty) flags |= bit(PM.soft_dirty);
  return flags | frame;
}

/** smaps: AnonHugePages (kB) and Rss (kB) of the VMAs intersecting [start,end) */
export function smaps_counters(k: Kernel, mm: MmStruct, start: number, end: number): { AnonHugePages: number; Rss: number } {
  const g = k.pgt;
  let anonHuge = 0, rss = 0;
  const pmdv = new Pte();
  const e = new Pte();
  for (const vma of mm.vmas) {
    if (vma.vm_end <= start || vma.vm_start >= end) continue;
    forEachPmd(k, mm, vma.vm_start, vma.vm_end, false, (pmd, addr, next) => {
      pmd.t.get(pmd.i, pmdv);
      if (g.pmd_trans_huge(pmdv)) {
        if (!is_huge_zero_pmd(k, pmdv)) {
          const slot = k.folios.slotOf(g.pmd_pfn(pmdv));
          const kb = (next - addr) / 1024;
          rss += kb;
          if (slot >= 0 && k.folios.test(slot, PG_anon)) anonHuge += kb;
        }
        return;
      }
      const t = k.pteTable(mm, pmd);
      if (!t) return;
      for (let a = addr; a < next; a += PAGE_SIZE) {
        t.get(Math.floor(a / PAGE_SIZE) & 511, e);
        if (g.pte_present(e) && vm_normal_page(k, vma, e) >= 0) rss += 4;
      }
    });
  }
  return { AnonHugePages: anonHuge, Rss: rss };
}

/** write to /proc/PID/clear_refs */
export function clear_refs_write(k: Kernel, mm: MmStruct, type: number): void {
  if (type < CLEAR_REFS_ALL || type > CLEAR_REFS_MM_HIWATER_RSS) fail('EINVAL', `clear_refs value ${type}`);
  if (type === CLEAR_REFS_MM_HIWATER_RSS) return;
  const g = k.pgt;
  const soft = type === CLEAR_REFS_SOFT_DIRTY;
  if (soft && !k.config.soft_dirty) return; // clear_soft_dirty*() are empty without CONFIG_MEM_SOFT_DIRTY
  if (soft) {
    for (const v of mm.vmas) {
      if (!(v.vm_flags & VM_SOFTDIRTY)) continue;
      v.vm_flags = (v.vm_flags & ~VM_SOFTDIRTY) >>> 0;
      vma_set_page_prot(v);
    }
  }
  const pmdv = new Pte();
  const e = new Pte();
  for (const vma of mm.vmas) {
    forEachPmd(k, mm, vma.vm_start, vma.vm_end, false, (pmd, addr, next) => {
      pmd.t.get(pmd.i, pmdv);
      if (g.pmd_trans_huge(pmdv)) {
        if (soft) {
          // clear_soft_dirty_pmd: write-protect and clear soft-dirty, keeping A/D
          const n = pmdv.clone();
          g.pmd_wrprotect(n);
          g.pmd_clear_soft_dirty(n);
          if (!n.equals(pmdv)) set_pmd_at(k, pmd, n, addr, 'clear_soft_dirty_pmd');
        } else if (type === CLEAR_REFS_ALL || type === CLEAR_REFS_ANON) {
          const n = g.pmd_mkold(pmdv.clone());
          if (!n.equals(pmdv)) pmd.t.set(pmd.i, n);
          const slot = k.folios.slotOf(g.pmd_pfn(pmdv));
          if (slot >= 0) k.folios.clearFlag(slot, PG_referenced);
        }
        return;
      }
      const t = k.pteTable(mm, pmd);
      if (!t) return;
      for (let a = addr; a < next; a += PAGE_SIZE) {
        const i = Math.floor(a / PAGE_SIZE) & 511;
        t.get(i, e);
        if (!g.pte_present(e)) continue;
        const n = e.clone();
        if (soft) {
          g.pte_wrprotect(n);
          g.pte_clear_soft_dirty(n);
        } else {
          const slot = vm_normal_page(k, vma, e);
          if (type === CLEAR_REFS_MAPPED && slot >= 0 && k.folios.test(slot, PG_anon)) continue;
          if (type === CLEAR_REFS_ANON && (slot < 0 || !k.folios.test(slot, PG_anon))) continue;
          g.pte_mkold(n);
          if (slot >= 0) k.folios.clearFlag(slot, PG_referenced);
        }
        if (!n.equals(e)) t.set(i, n);
      }
    });
  }
  k.tr?.emit('clear_refs', 'clear_refs_write', { value: type });
  void PMD_SIZE;
  void vma_soft_dirty_enabled;
}

export function vmaOf(k: Kernel, mm: MmStruct, addr: number): VmArea | null {
  return k.vma_lookup(mm, addr);
}

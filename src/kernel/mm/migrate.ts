// Page migration of private anonymous memory in two steps (mm/migrate.c migrate_pages_batch @v6.18): unmap
// (try_to_migrate: every mapping of each folio becomes a migration entry), then move (copy into a new folio
// and remove_migration_ptes). Between the two, other threads see the migration entries: a fault on one waits
// (migration_entry_wait) until the move, and mprotect, UFFDIO_WRITEPROTECT, fork, zap and pagemap meet them.
import type { Kernel } from '../kernel.js';
import { Pte } from '../arch/x86/include/pte.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, PAGE_SIZE, PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { ERRNO, fail, notModelled, notModelledOnRelease } from '../include/errno.js';
import { PATCH } from '../../profiles/patches.js';
import { PG_anon, PG_anon_exclusive, PG_dirty, PG_swapbacked, PG_swapcache, PG_uptodate, PG_lru, PG_active, PG_referenced, PG_zero } from './folio.js';
import { folio_add_anon_rmap_ptes, folio_remove_rmap_pmd, folio_remove_rmap_pte, mm_id_tracking, folio_add_large_mapcount } from './rmap.js';
import { folio_put } from './swap.js';
import { vma_lookup, vmas_in } from './mmap.js';
import { maybe_mkwrite } from './memory.js';
import { LEVEL_PMD, LEVEL_PTE, type PageTable } from './pgtable.js';
import { pmdTable, pteTableAt } from './pagewalk.js';
import { folio_mappings } from './huge_memory.js';
import { levelIndex } from './pgtable.js';
import { VM_WRITE, VM_READ, VM_HUGETLB, VM_IO, VM_DONTEXPAND, VM_PFNMAP, VM_MIXEDMAP } from '../include/vm_flags.js';
import { PG_zone_device, folio_is_zone_device } from './memremap.js';
import { FOLL_GET, gup_put_folio, try_grab_folio } from './gup.js';
import { is_zero_pfn } from './pgtable.js';
import { is_huge_zero_pmd } from './huge_memory.js';
import { _PAGE_PSE } from '../arch/x86/include/pgtable_types.js';
import { PG_hugetlb, PG_hugetlb_isolated, alloc_migration_hugetlb, free_migrated_hugetlb, hugetlb_try_to_migrate_one, remove_migration_hugetlb } from './hugetlb.js';

/** include/linux/swap.h: MAX_SWAPFILES_SHIFT */
const MAX_SWAPFILES_SHIFT = 5;

/**
 * include/linux/swap.h: the swap types of migration entries, counted down from 31 (x86_64, CONFIG_DEVICE_PRIVATE
 * with four device types as v5.14..v6.14; SWP_PTE_MARKER from 5c041f5d1f23, SWP_MIGRATION_READ_EXCLUSIVE from
 * 6c287605fd56): [read, read-exclusive (-1 before v5.19), write]
 */
export function swp_migration_types(k: Kernel): readonly [number, number, number] {
  const marker = k.has(PATCH.pteMarkers) ? 1 : 0;
  const excl = k.has(PATCH.anonExclusive);
  const max = (1 << MAX_SWAPFILES_SHIFT) - 4 - (excl ? 3 : 2) - 1 - marker; // MAX_SWAPFILES
  const read = max + 1; // MAX_SWAPFILES + SWP_HWPOISON_NUM
  return excl ? [read, read + 1, read + 2] : [read, -1, read + 1];
}

/** the kind of a migration entry's type: 0 read, 1 read-exclusive, 2 write; -1 for any other entry */
export function migrationKind(k: Kernel, e: Pte): number {
  const g = k.pgt;
  if (!g.is_swap_pmd(e)) return -1;
  const t = g.swp_type(e);
  const m = swp_migration_types(k);
  return t === m[0] ? 0 : t === m[1] ? 1 : t === m[2] ? 2 : -1;
}

/** include/linux/swapops.h is_migration_entry() of a PTE or PMD value */
export function is_migration_entry(k: Kernel, e: Pte): boolean {
  return migrationKind(k, e) >= 0;
}

/** include/linux/swapops.h SWP_MIG_YOUNG_BIT / SWP_MIG_DIRTY_BIT above the arch's SWP_PFN_BITS (Pgtable.swpPfnBits) */
const swpMigYoung = (k: Kernel) => 2 ** k.pgt.swpPfnBits;
const swpMigDirty = (k: Kernel) => 2 ** (k.pgt.swpPfnBits + 1);

/** swp_offset_pfn(): the pfn a migration entry refers to (without the A/D bits of 2e3468778dbe) */
export function migration_entry_pfn(k: Kernel, e: Pte): number {
  return k.pgt.swp_offset(e) % swpMigYoung(k);
}
export function is_migration_entry_young(k: Kernel, e: Pte): boolean {
  return k.has(PATCH.migrationKeepsYoungDirty) && Math.floor(k.pgt.swp_offset(e) / swpMigYoung(k)) % 2 === 1;
}
export function is_migration_entry_dirty(k: Kernel, e: Pte): boolean {
  return k.has(PATCH.migrationKeepsYoungDirty) && Math.floor(k.pgt.swp_offset(e) / swpMigDirty(k)) % 2 === 1;
}

/**
 * make_{readable,readable_exclusive,writable}_migration_entry + make_migration_entry_young/dirty +
 * swp_entry_to_pte (include/linux/swapops.h @v6.1..v6.18): the entry for pfn with the A/D bits where the
 * kernel keeps them (2e3468778dbe, v6.1)
 */
export function make_migration_entry(k: Kernel, out: Pte, kind: number, pfn: number, young: boolean, dirty: boolean): Pte {
  let off = pfn;
  if (k.has(PATCH.migrationKeepsYoungDirty)) {
    if (young) off += swpMigYoung(k);
    if (dirty) off += swpMigDirty(k);
  }
  return k.pgt.swp_entry_to_pte(out, swp_migration_types(k)[kind]!, off);
}

/**
 * make_readable_migration_entry / make_readable_exclusive_migration_entry (an anonymous page, v5.19) of the
 * offset of `old` (its A/D bits too), plus soft-dirty: what mprotect and fork make of a writable entry
 */
export function make_readable_migration(k: Kernel, out: Pte, old: Pte): Pte {
  const g = k.pgt;
  const excl = k.has(PATCH.anonExclusive);
  g.swp_entry_to_pte(out, swp_migration_types(k)[excl ? 1 : 0]!, g.swp_offset(old));
  if (g.pte_swp_soft_dirty(old)) g.pte_swp_mksoft_dirty(out);
  return out;
}

const pteval = new Pte();
const swp = new Pte();

/** folio_maybe_dma_pinned (include/linux/mm.h @v5.9..v6.18): refcount past GUP_PIN_COUNTING_BIAS, or _pincount of a large folio */
function folio_maybe_dma_pinned(k: Kernel, slot: number): boolean {
  const f = k.folios;
  return f.isLarge(slot) ? f.pincount(slot) > 0 : f.refcount(slot) >= 1024;
}

/**
 * mm/rmap.c try_to_migrate_one() @v6.18 (try_to_unmap_one with TTU_MIGRATION before v5.15) for one PTE:
 * the PTE becomes a migration entry, writable if the PTE was, readable-exclusive for an exclusive anon
 * page (v5.19), with the PTE's soft-dirty, uffd-wp (f45ec5ff16a7, v5.7) and, from v6.1, young and dirty
 * bits; the dirty bit also goes to the folio. An exclusive page that may be pinned is left mapped
 * (folio_try_share_anon_rmap_pte: false, the migration of this folio fails).
 */
export function try_to_migrate_one(k: Kernel, slot: number, mm: MmStruct, t: PageTable, i: number): boolean {
  const g = k.pgt, f = k.folios;
  t.get(i, pteval);
  const pfn = g.pte_pfn(pteval);
  const anon_exclusive = k.has(PATCH.anonExclusive) && f.pageAnonExclusive(slot, pfn);
  if (anon_exclusive && folio_maybe_dma_pinned(k, slot)) return false;
  if (anon_exclusive) f.setPageAnonExclusive(slot, pfn, false);
  if (g.pte_dirty(pteval)) f.setFlag(slot, PG_dirty);
  const kind = g.pte_write(pteval) ? 2 : anon_exclusive ? 1 : 0;
  make_migration_entry(k, swp, kind, pfn, g.pte_young(pteval), g.pte_dirty(pteval));
  if (g.pte_soft_dirty(pteval)) g.pte_swp_mksoft_dirty(swp);
  if (g.pte_uffd_wp(pteval) && k.has(PATCH.migrationUffdWp)) g.pte_swp_mkuffd_wp(swp);
  t.set(i, swp);
  k.tr?.emit('set_pte', 'try_to_migrate_one', { addr: t.addrOf(i), old: pteval.toString(), new: swp.toString() });
  folio_remove_rmap_pte(k, slot, pfn, mm);
  folio_put(k, slot);
  return true;
}

/**
 * mm/huge_memory.c set_pmd_migration_entry() @v6.18 (v4.14+): a huge PMD becomes a PMD migration entry with
 * the PMD's soft-dirty, young and dirty (v6.1) bits; its uffd-wp bit only from 24bf08c43760 (v6.3): before,
 * migrating a write-protected THP lost the protection
 */
export function set_pmd_migration_entry(k: Kernel, slot: number, mm: MmStruct, t: PageTable, i: number): boolean {
  const g = k.pgt, f = k.folios;
  t.get(i, pteval);
  const pfn = g.pmd_pfn(pteval);
  const anon_exclusive = k.has(PATCH.anonExclusive) && f.pageAnonExclusive(slot, pfn);
  if (anon_exclusive && folio_maybe_dma_pinned(k, slot)) return false;
  if (anon_exclusive) f.setPageAnonExclusive(slot, pfn, false);
  if (g.pmd_dirty(pteval)) f.setFlag(slot, PG_dirty);
  const kind = g.pmd_write(pteval) ? 2 : anon_exclusive ? 1 : 0;
  make_migration_entry(k, swp, kind, pfn, g.pmd_young(pteval), g.pmd_dirty(pteval));
  if (g.pmd_soft_dirty(pteval)) g.pte_swp_mksoft_dirty(swp);
  if (g.pmd_uffd_wp(pteval) && k.has(PATCH.thpMigrationUffdWp)) g.pte_swp_mkuffd_wp(swp);
  t.set(i, swp);
  k.tr?.emit('set_pmd', 'set_pmd_migration_entry', { addr: t.addrOf(i), old: pteval.toString(), new: swp.toString() });
  folio_remove_rmap_pmd(k, slot, mm);
  folio_put(k, slot);
  return true;
}

/** every migration entry, in every mm, that refers to a page of the folio whose pages start at base (remove_migration_ptes' rmap walk) */
function migration_entries(k: Kernel, base: number, nr: number): { mm: MmStruct; t: PageTable; i: number; level: number }[] {
  const out: { mm: MmStruct; t: PageTable; i: number; level: number }[] = [];
  const e = new Pte();
  for (const mm of k.mms) {
    for (const t of mm.tables.values()) {
      if (t.level !== LEVEL_PMD && t.level !== LEVEL_PTE) continue;
      for (let i = 0; i < 512; i++) {
        const lo = t.lo(i);
        if (lo === 0 && t.hi(i) === 0) continue;
        if (lo & k.pgt.presentLo) continue;
        t.get(i, e);
        if (!is_migration_entry(k, e)) continue;
        const pfn = migration_entry_pfn(k, e);
        if (pfn >= base && pfn < base + nr) out.push({ mm, t, i, level: t.level });
      }
    }
  }
  return out;
}

/**
 * mm/migrate.c remove_migration_pte() @v6.18 for one PTE migration entry: a PTE for the page of `nslot`
 * from the VMA's vm_page_prot, old (and clean) before v6.1, with the entry's young and dirty bits from
 * 2e3468778dbe; soft-dirty kept; writable again (maybe_mkwrite) from a writable entry, else uffd-wp
 * (f45ec5ff16a7) from the entry's bit; PageAnonExclusive from a writable or readable-exclusive entry (v5.19)
 */
function remove_migration_pte(k: Kernel, nslot: number, mm: MmStruct, vma: VmArea, t: PageTable, i: number, npfn: number): void {
  const g = k.pgt, f = k.folios;
  t.get(i, pteval);
  const kind = migrationKind(k, pteval);
  f.setRefcount(nslot, f.refcount(nslot) + 1);
  const n = g.pfn_pte(new Pte(), npfn, vma.vm_page_prot);
  if (g.pte_swp_soft_dirty(pteval)) g.pte_mksoft_dirty(n);
  if (!is_migration_entry_young(k, pteval)) g.pte_mkold(n);
  // "this may contain setting soft-dirty on some archs": x86's pte_mkdirty sets it too
  if (f.test(nslot, PG_dirty) && is_migration_entry_dirty(k, pteval)) g.pte_mkdirty(n);
  if (kind === 2) maybe_mkwrite(k, n, vma);
  else if (g.pte_swp_uffd_wp(pteval) && k.has(PATCH.migrationUffdWp)) g.pte_mkuffd_wp(n);
  const exclusive = k.has(PATCH.anonExclusive) && kind !== 0;
  if (f.isLarge(nslot)) folio_add_anon_rmap_ptes(k, nslot, npfn, 1, exclusive, mm);
  else {
    f.setMapcount(nslot, f.mapcount(nslot) + 1);
    if (exclusive) f.setPageAnonExclusive(nslot, npfn, true);
  }
  t.set(i, n);
  k.tr?.emit('set_pte', 'remove_migration_pte', { addr: t.addrOf(i), old: pteval.toString(), new: n.toString() });
}

/**
 * mm/huge_memory.c remove_migration_pmd() @v6.18: a huge PMD for the new THP from vm_page_prot, soft-dirty
 * kept, old unless the entry says young and dirty if it says dirty (v6.1), uffd-wp (write-protected) from the
 * entry's bit since 8f34f1eac382 (v5.14), writable again from a writable entry; exclusive as for a PTE
 */
function remove_migration_pmd(k: Kernel, nslot: number, mm: MmStruct, vma: VmArea, t: PageTable, i: number, npfn: number): void {
  const g = k.pgt, f = k.folios;
  t.get(i, pteval);
  const kind = migrationKind(k, pteval);
  f.setRefcount(nslot, f.refcount(nslot) + 1);
  const n = g.mk_huge_pmd(new Pte(), npfn, vma.vm_page_prot);
  if (g.pte_swp_soft_dirty(pteval)) g.pmd_mksoft_dirty(n);
  if (g.pte_swp_uffd_wp(pteval) && k.has(PATCH.uffdWpForkChildVma)) g.pmd_mkuffd_wp(n);
  if (!is_migration_entry_young(k, pteval)) g.pmd_mkold(n);
  if (f.test(nslot, PG_dirty) && is_migration_entry_dirty(k, pteval)) g.pmd_mkdirty(n);
  if (kind === 2) {
    if (vma.vm_flags & VM_WRITE) g.pmd_mkwrite(n); // maybe_pmd_mkwrite
  } else g.pmd_wrprotect(n);
  f.setMapcount(nslot, f.mapcount(nslot) + 1);
  if (mm_id_tracking(k)) folio_add_large_mapcount(k, nslot, 1, mm);
  if (k.has(PATCH.anonExclusive) && kind !== 0) f.setPageAnonExclusive(nslot, npfn, true);
  t.set(i, n);
  k.tr?.emit('set_pmd', 'remove_migration_pmd', { addr: t.addrOf(i), old: pteval.toString(), new: n.toString() });
}

/**
 * The unmap step of migrating [start, start+len) of mm (queue_pages_range + migrate_pages_batch's
 * migrate_folio_unmap, @v6.18): each anonymous folio mapped there and not shared (MPOL_MF_MOVE, not _ALL)
 * is isolated (a reference) and every mapping of it, in every mm, becomes a migration entry (a fork during
 * the migration copies the entries). A folio none of whose mappings could be turned
 * (an exclusive page that may be pinned) is put back at once. Returns the head pfns of the folios now
 * under migration. EFAULT for a range with a hole, EINVAL for an unaligned start.
 */
export function migrate_pages_unmap(k: Kernel, mm: MmStruct, start: number, len: number): number[] {
  if (start % PAGE_SIZE !== 0) fail('EINVAL', 'the start is not page aligned');
  const end = start + Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  let at = start;
  for (const v of vmas_in(mm, start, end)) {
    if (v.vm_start > at) fail('EFAULT', 'a hole in the range');
    if (v.vm_file !== 0) notModelled('addr', 'migration of shmem pages (a shared or file mapping)');
    at = v.vm_end;
  }
  if (at < end) fail('EFAULT', 'a hole in the range');
  const g = k.pgt, f = k.folios;
  const heads: number[] = [];
  const e = new Pte();
  for (let a = start; a < end;) {
    const pmdt = pmdTable(k, mm, a);
    const next = Math.min(end, (Math.floor(a / PMD_SIZE) + 1) * PMD_SIZE);
    if (pmdt === null) {
      a = Math.min(end, (Math.floor(a / 2 ** 30) + 1) * 2 ** 30);
      continue;
    }
    const pi = levelIndex(LEVEL_PMD, a);
    pmdt.get(pi, e);
    let pfns: number[] = [];
    if (g.pmd_trans_huge(e) && (e.lo & g.validLo)) pfns = [g.pmd_pfn(e)];
    else {
      const t = pteTableAt(k, mm, pmdt, pi);
      if (t !== null) {
        for (let b = a; b < next; b += PAGE_SIZE) {
          t.get(levelIndex(LEVEL_PTE, b), e);
          if (g.pte_present(e) && !g.pte_protnone(e)) pfns.push(g.pte_pfn(e));
        }
      }
    }
    for (const pfn of pfns) {
      const slot = f.slotOf(pfn);
      if (slot < 0 || f.test(slot, PG_zero) || !f.test(slot, PG_anon)) continue;
      if (f.test(slot, PG_zone_device)) continue; // queue_pages_pte_range skips zone-device pages (3218f8712d6b)
      const head = f.pfn(slot);
      if (heads.includes(head)) continue;
      // migrate_folio_add: without MPOL_MF_MOVE_ALL a folio mapped more than once is left where it is (no failure)
      if (folio_maybe_mapped_shared(k, slot)) {
        k.tr?.emit('migrate', 'migrate_folio_add', { pfn: head, result: 'skipped (mapped shared)' });
        continue;
      }
      if (f.test(slot, PG_swapcache)) notModelled('migrate', 'migration of a folio in the swap cache');
      unmapFolio(k, slot, heads, head);
    }
    a = next;
  }
  return heads;
}

/**
 * include/linux/mm.h folio_maybe_mapped_shared() @v6.18, as mm/mempolicy.c migrate_folio_add() asks it: the
 * folio is mapped more than once (a small folio) or in more than one mm (a PMD-mapped THP)
 */
function folio_maybe_mapped_shared(k: Kernel, slot: number): boolean {
  const maps = folio_mappings(k, slot);
  return k.folios.isLarge(slot) ? new Set(maps.map((m) => m.mm.id)).size > 1 : maps.length > 1;
}

/** migrate_folio_unmap for one folio: isolate it and try_to_migrate every mapping */
function unmapFolio(k: Kernel, slot: number, heads: number[], head: number): void {
  const f = k.folios;
  const maps = folio_mappings(k, slot);
  if (f.isLarge(slot) && maps.some((m) => m.level === LEVEL_PTE)) {
    notModelled('migrate', 'migration of a PTE-mapped large folio (the model migrates small folios and PMD-mapped THPs)');
  }
  // folio_isolate_lru: a reference, and off the LRU (PG_lru clear) until putback or the move
  f.setRefcount(slot, f.refcount(slot) + 1);
  const huge = f.test(slot, PG_hugetlb);
  if (huge) f.setFlag(slot, PG_hugetlb_isolated); // isolate_hugetlb
  else f.clearFlag(slot, PG_lru);
  let unmapped = 0;
  for (const m of maps) {
    const ok = huge ? hugetlb_try_to_migrate_one(k, slot, m.mm, m.t, m.i)
      : m.level === LEVEL_PMD ? set_pmd_migration_entry(k, slot, m.mm, m.t, m.i) : try_to_migrate_one(k, slot, m.mm, m.t, m.i);
    if (!ok) break;
    unmapped++;
  }
  if (unmapped < maps.length) {
    // try_to_migrate stopped: the folio's migration entries go back to the folio itself
    restore(k, slot, head);
    if (!huge) f.setFlag(slot, PG_lru);
    else f.clearFlag(slot, PG_hugetlb_isolated);
    folio_put(k, slot); // putback_lru_page (folio_putback_hugetlb)
    return;
  }
  heads.push(head);
}

/** remove_migration_ptes(src, src): migration failed, the entries map the old folio again */
function restore(k: Kernel, slot: number, head: number): void {
  const f = k.folios;
  const nr = f.nrPages(slot);
  for (const m of migration_entries(k, head, nr)) {
    const vma = vma_lookup(k, m.mm, m.t.addrOf(m.i));
    if (!vma) continue;
    const pfn = migration_entry_pfn(k, m.t.get(m.i, new Pte()));
    if (f.test(slot, PG_hugetlb)) remove_migration_hugetlb(k, slot, vma, m.t, m.i, pfn);
    else if (m.level === LEVEL_PMD) remove_migration_pmd(k, slot, m.mm, vma, m.t, m.i, pfn);
    else remove_migration_pte(k, slot, m.mm, vma, m.t, m.i, pfn);
  }
}

/**
 * The move step (migrate_folio_move @v6.18, with migrate_folio's refcount check): for each folio under
 * migration whose only reference left is the isolation's (no pin, no GUP reference), a new folio of the same
 * order gets its contents and flags (folio_migrate_flags) and every migration entry is replaced by a mapping
 * of the new one (remove_migration_ptes); the old folio is freed. A folio with other references stays
 * (-EAGAIN after the retries): its entries map it again. Returns the number of pages that did not move.
 */
export function migrate_pages_move(k: Kernel, heads: readonly number[]): number {
  const f = k.folios;
  let failed = 0;
  for (const head of heads) {
    const slot = f.slotOf(head);
    if (slot < 0) continue;
    const nr = f.nrPages(slot);
    if (f.refcount(slot) !== 1) {
      restore(k, slot, head);
      if (!f.test(slot, PG_hugetlb)) f.setFlag(slot, PG_lru);
      else f.clearFlag(slot, PG_hugetlb_isolated);
      folio_put(k, slot);
      failed += nr;
      k.tr?.emit('migrate', 'migrate_folio_move', { pfn: head, result: 'EAGAIN (extra references)' });
      continue;
    }
    const huge = f.test(slot, PG_hugetlb);
    const nslot = huge ? alloc_migration_hugetlb(k, slot) : f.alloc(nr === 1 ? 0 : HPAGE_PMD_ORDER, 0);
    const npfn = f.pfn(nslot);
    for (let i = 0; i < nr; i++) k.data.copyPage(npfn + i, head + i);
    // folio_migrate_flags (and the mapping: PG_anon)
    const keep = PG_anon | PG_swapbacked | PG_uptodate | PG_lru | PG_active | PG_referenced | PG_dirty;
    for (const bit of [PG_anon, PG_swapbacked, PG_uptodate, PG_lru, PG_active, PG_referenced, PG_dirty]) {
      if (keep & bit && f.test(slot, bit)) f.setFlag(nslot, bit);
    }
    if (!huge) f.setFlag(nslot, PG_lru); // putback of the new folio (hugetlb folios are on no LRU)
    for (const m of migration_entries(k, head, nr)) {
      const vma = vma_lookup(k, m.mm, m.t.addrOf(m.i));
      if (!vma) continue;
      const pfn = migration_entry_pfn(k, m.t.get(m.i, new Pte())) - head + npfn;
      if (huge) remove_migration_hugetlb(k, nslot, vma, m.t, m.i, pfn);
      else if (m.level === LEVEL_PMD) remove_migration_pmd(k, nslot, m.mm, vma, m.t, m.i, pfn);
      else remove_migration_pte(k, nslot, m.mm, vma, m.t, m.i, pfn);
    }
    folio_put(k, nslot); // the allocation's reference: the mappings hold theirs
    f.clearFlag(slot, PG_anon_exclusive);
    if (huge) free_migrated_hugetlb(k, slot, nslot); // into the pool in the new page's place, or to the buddy allocator
    else folio_put(k, slot); // the isolation's reference: the old folio is freed
    k.tr?.emit('migrate', 'migrate_folio_move', { pfn: head, new_pfn: npfn, nr });
  }
  return failed;
}

/** whether the access at addr in mm would wait for a migration (a PTE or PMD migration entry maps it): migration_entry_wait's condition */
export function migration_entry_at(k: Kernel, mm: MmStruct, addr: number): boolean {
  const pmdt = pmdTable(k, mm, addr);
  if (pmdt === null) return false;
  const pi = levelIndex(LEVEL_PMD, addr);
  const e = pmdt.get(pi, new Pte());
  if (is_migration_entry(k, e)) return true;
  const t = pteTableAt(k, mm, pmdt, pi);
  if (t === null) return false;
  return is_migration_entry(k, t.get(levelIndex(LEVEL_PTE, addr), e));
}


// ---- device: device-coherent memory (test_hmm's HMM_DMIRROR_MIGRATE_TO_DEV) and move_pages(2) (corpus 38) ----

/** include/uapi/linux/mempolicy.h MPOL_MF_MOVE, MPOL_MF_MOVE_ALL (the flags move_pages(2) takes) */
export const MPOL_MF_MOVE = 1 << 1;
export const MPOL_MF_MOVE_ALL = 1 << 2;
/** MAX_NUMNODES of x86_64's CONFIG_NODES_SHIFT=10 (a node past it is -ENODEV, as one without memory) */
const MAX_NUMNODES = 1 << 10;

/** folio_migrate_flags (mm/migrate.c @v6.1) of a system folio onto a device page: no LRU there */
function migrate_flags_to_device(k: Kernel, slot: number, nslot: number): void {
  const f = k.folios;
  for (const bit of [PG_anon, PG_swapbacked, PG_uptodate, PG_active, PG_referenced, PG_dirty]) {
    if (f.test(slot, bit)) f.setFlag(nslot, bit);
  }
}

/**
 * lib/test_hmm.c dmirror_migrate_to_device() @v6.1 of a device-coherent dmirror (spm_addr_dev0: /dev/hmm_dmirror2),
 * with mm/migrate_device.c migrate_vma_setup / migrate_vma_pages / migrate_vma_finalize: every anonymous page of
 * [start, start + npages pages) mapped by this process only, with no reference but its mapping, is replaced by a
 * page of device memory (dmirror_devmem_alloc_page) holding its contents, mapped by an ordinary PTE rebuilt as
 * remove_migration_pte does (writable, soft-dirty, uffd-wp, young and dirty as the migration entry kept them);
 * the system page is freed. Pages already on the device, swapped out, of a file, or with other references stay.
 * Returns the pages the device mirror now maps (cmd->cpages); -EINVAL for a hole or a VMA without VM_READ
 * (the pages before it were migrated), -ENOENT when a page of the range is not on the device afterwards
 * (dmirror_do_read). Not modelled: a hole or the zero page (migrate_vma_insert_page), a THP, a page mapped
 * more than once.
 */
export function dmirror_migrate_to_device(k: Kernel, mm: MmStruct, start: number, npages: number): number {
  if (!k.has(PATCH.deviceCoherent)) {
    // (the release has no such device: modprobe test_hmm refuses spm_addr_dev0 before the coherent series)
    notModelledOnRelease('to', 'device-coherent memory, which came with v6.0 (MEMORY_DEVICE_COHERENT, f25cbb7a95a2, and test_hmm\'s spm_addr_dev0)');
  }
  if (start % PAGE_SIZE !== 0) fail('EINVAL', 'the start is not page aligned (migrate_vma_setup)');
  const g = k.pgt, f = k.folios;
  const end = start + npages * PAGE_SIZE;
  const e = new Pte();
  for (let a = start; a < end; a += PAGE_SIZE) {
    const vma = vma_lookup(k, mm, a);
    if (!vma || !(vma.vm_flags & VM_READ)) fail('EINVAL', 'no VMA, or one without VM_READ (dmirror_migrate_to_device)');
    if (vma.vm_flags & (VM_HUGETLB | VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP)) fail('EINVAL', 'a hugetlb or VM_SPECIAL VMA (migrate_vma_setup)');
    const pmdt = pmdTable(k, mm, a);
    const pi = levelIndex(LEVEL_PMD, a);
    if (pmdt !== null && g.pmd_trans_huge(pmdt.get(pi, e)) && (e.lo & g.validLo)) {
      notModelled('addr', 'migration of a THP to device memory (migrate_vma_collect_pmd splits it first)');
    }
    const t = pmdt === null ? null : pteTableAt(k, mm, pmdt, pi);
    const i = levelIndex(LEVEL_PTE, a);
    if (t === null || t.get(i, e).isZero()) {
      if (vma.vm_file === 0) notModelled('addr', 'migration of an empty PTE to device memory (migrate_vma_insert_page)');
      continue;
    }
    if (!g.pte_present(e)) continue; // a swap or migration entry: migrate_vma_collect_pmd leaves it
    const pfn = g.pte_pfn(e);
    if (g.pte_special(e) || is_zero_pfn(k, pfn)) notModelled('addr', 'migration of the zero page to device memory (migrate_vma_insert_page)');
    const slot = f.slotOf(pfn);
    if (slot < 0 || f.test(slot, PG_zone_device) || !f.test(slot, PG_anon)) continue; // on the device already, or a file page
    if (f.mapcount(slot) !== 1) notModelled('addr', 'migration to device memory of a page mapped more than once');
    if (f.test(slot, PG_swapcache)) notModelled('addr', 'migration to device memory of a folio in the swap cache');
    if (f.refcount(slot) !== 1) continue; // migrate_vma_check_page: references besides the mapping (a pin)
    const nslot = k.devmem.alloc(k);
    if (nslot < 0) continue; // the device's memory is used up: dmirror_devmem_alloc_page fails, the page stays
    // migrate_vma_collect_pmd: a reference, and the PTE becomes a migration entry (the mapping's reference goes)
    f.setRefcount(slot, f.refcount(slot) + 1);
    f.clearFlag(slot, PG_lru);
    try_to_migrate_one(k, slot, mm, t, i);
    // dmirror_migrate_alloc_and_copy + migrate_vma_pages (migrate_folio: contents and flags)
    const npfn = f.pfn(nslot);
    k.data.copyPage(npfn, pfn);
    migrate_flags_to_device(k, slot, nslot);
    // migrate_vma_finalize: remove_migration_ptes(src, dst), then the source and the allocation's references go
    remove_migration_pte(k, nslot, mm, vma, t, i, npfn);
    f.clearFlag(slot, PG_anon_exclusive);
    folio_put(k, slot);
    folio_put(k, nslot);
    k.tr?.emit('migrate', 'dmirror_migrate_to_device', { pfn, new_pfn: npfn, nr: 1 });
  }
  // dmirror_do_read: every page of the range must be in the device's mirror (here: mapped by a device page)
  let cpages = 0;
  for (let a = start; a < end; a += PAGE_SIZE) {
    const pmdt = pmdTable(k, mm, a);
    const t = pmdt === null ? null : pteTableAt(k, mm, pmdt, levelIndex(LEVEL_PMD, a));
    if (t === null || !g.pte_present(t.get(levelIndex(LEVEL_PTE, a), e))) continue;
    if (folio_is_zone_device(k, f.slotOf(g.pte_pfn(e)))) cpages++;
  }
  if (cpages < npages) fail('ENOENT', 'a page of the range is not in device memory (dmirror_do_read)');
  return cpages;
}

/** what add_page_for_migration found at an address: the page's folio and pfn, or why none */
type Looked = { slot: number; pfn: number; zero: boolean } | 'none' | 'nonpresent';

/** the page mapped at addr as follow_page_mask / folio_walk_start see it (a huge PMD: its page there) */
function lookup_page(k: Kernel, mm: MmStruct, addr: number): Looked {
  const g = k.pgt, f = k.folios;
  const e = new Pte();
  const pmdt = pmdTable(k, mm, addr);
  if (pmdt === null) return 'none';
  const pi = levelIndex(LEVEL_PMD, addr);
  pmdt.get(pi, e);
  if (g.pmd_trans_huge(e)) {
    if (!(e.lo & g.presentLo)) return 'nonpresent';
    const head = g.pmd_pfn(e);
    return { slot: f.slotOf(head), pfn: head + (Math.floor(addr / PAGE_SIZE) % HPAGE_PMD_NR), zero: is_huge_zero_pmd(k, e) };
  }
  if (is_migration_entry(k, e)) return 'nonpresent';
  const t = pteTableAt(k, mm, pmdt, pi);
  if (t === null) return 'none';
  t.get(levelIndex(LEVEL_PTE, addr), e);
  if (e.isZero()) return 'none';
  if (!g.pte_present(e)) return 'nonpresent';
  const pfn = g.pte_pfn(e);
  const zero = g.pte_special(e) || is_zero_pfn(k, pfn);
  return { slot: zero ? -1 : f.slotOf(pfn), pfn, zero };
}

/**
 * mm/migrate.c add_page_for_migration() @v6.0, @v6.1 (follow_page(FOLL_GET | FOLL_DUMP)) and
 * add_folio_for_migration() @v6.12 (folio_walk_start(FW_ZEROPAGE), 7dff875c9436) on a machine with one memory
 * node: the status of one page. -EFAULT for no VMA; a page on the node asked for (every page, on one node) is
 * 0 and nothing moves. FOLL_DUMP (d899844e9c98, v4.3) makes an empty PTE or a missing table -EFAULT until
 * v6.12 (-ENOENT since); the zero page is -EFAULT; a swap or migration entry -ENOENT. A device page is -ENOENT;
 * until f7091ed64ec8 (v6.1) the FOLL_GET reference follow_page took on it was never dropped (corpus 38).
 */
function add_page_for_migration(k: Kernel, mm: MmStruct, addr: number, node: number): number {
  const vma = vma_lookup(k, mm, addr);
  // vma_migratable
  if (!vma || (vma.vm_flags & (VM_IO | VM_PFNMAP))) return -ERRNO.EFAULT;
  if (vma.vm_flags & VM_HUGETLB) notModelled('pages', 'move_pages(2) of a hugetlb page (follow_huge_pmd, isolate_hugetlb)');
  const got = lookup_page(k, mm, addr);
  if (k.has(PATCH.movePagesFolioWalk)) {
    if (typeof got === 'string') return -ERRNO.ENOENT;
    if (got.zero) return -ERRNO.EFAULT;
    if (folio_is_zone_device(k, got.slot)) return -ERRNO.ENOENT;
    return node; // folio_nid(folio) == node: already there
  }
  // follow_page(FOLL_GET | FOLL_DUMP): no_page_table() is -EFAULT for FOLL_DUMP in an anonymous VMA (or one
  // without ->fault); a non-present, non-none PTE is NULL
  if (got === 'none') return vma.vm_file === 0 ? -ERRNO.EFAULT : -ERRNO.ENOENT;
  if (got === 'nonpresent') return -ERRNO.ENOENT;
  if (got.zero) return -ERRNO.EFAULT;
  if (got.slot < 0) return -ERRNO.ENOENT;
  try_grab_folio(k, got.slot, 1, FOLL_GET);
  if (folio_is_zone_device(k, got.slot)) {
    if (k.has(PATCH.followPageNonLruPut)) gup_put_folio(k, got.slot, 1, FOLL_GET); // goto out_putpage
    else k.tr?.emit('migrate', 'add_page_for_migration', { pfn: got.pfn, result: 'ENOENT, the FOLL_GET reference kept (zone device page)' });
    return -ERRNO.ENOENT;
  }
  gup_put_folio(k, got.slot, 1, FOLL_GET); // page_to_nid(page) == node: out_putpage
  return node;
}

/**
 * mm/migrate.c kernel_move_pages() @v6.0 .. @v6.18 for pid 0 (the calling process) with a nodes array
 * (do_pages_move), on a machine whose one memory node is 0: the flags are checked (-EINVAL; MPOL_MF_MOVE_ALL
 * needs CAP_SYS_NICE: -EPERM), then each page in turn: a node that is not 0 ends the call with -ENODEV (the
 * statuses stored so far stay, the rest are not written), otherwise the page's status is stored at once
 * (add_page_for_migration: nothing is queued, every page is on its node already). Returns the statuses
 * written (null: not written) and the call's result (0: no page failed to migrate).
 */
export function kernel_move_pages(k: Kernel, mm: MmStruct, uid: number, addrs: readonly number[], nodes: readonly number[], flags: number): { ret: number; status: (number | null)[] } {
  if (flags & ~(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) fail('EINVAL', 'move_pages flags other than MPOL_MF_MOVE and MPOL_MF_MOVE_ALL');
  if ((flags & MPOL_MF_MOVE_ALL) && uid !== 0) fail('EPERM', 'MPOL_MF_MOVE_ALL needs CAP_SYS_NICE');
  const status: (number | null)[] = addrs.map(() => null);
  for (let i = 0; i < addrs.length; i++) {
    const node = nodes[i]!;
    if (node < 0 || node >= MAX_NUMNODES || node !== 0) return { ret: -ERRNO.ENODEV, status };
    status[i] = add_page_for_migration(k, mm, addrs[i]!, node);
  }
  return { ret: 0, status };
}

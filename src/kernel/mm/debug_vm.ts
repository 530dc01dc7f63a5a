// Whole-state consistency checks in the spirit of CONFIG_DEBUG_VM: the VM_BUG_ON_FOLIO / VM_BUG_ON_VMA
// / VM_BUG_ON_MM assertions the kernel sprinkles over mm/ (include/linux/mmdebug.h), check_mm()'s
// "Bad rss-counter state" (kernel/fork.c) and dump_page()/dump_vma() (mm/debug.c), gathered into one
// walk that reads the whole model state. It changes nothing, so it may run after every step
// (`mmsim run --debug`, `mmsim check --debug`, `mmsim fuzz`). Each check names what it asserts; the
// uffd-wp check is asserted only where the modelled release guarantees it (see uffdWpConfined).
import type { Kernel } from '../kernel.js';
import { PG_hugetlb, PG_hugetlb_cache_anon, PG_hugetlb_isolated, hugetlb_check } from './hugetlb.js';
import { __swap_count, swpOffsetOf } from './swapfile.js';
import type { MmStruct, VmArea } from '../include/mm_types.js';
import { Pte } from '../arch/x86/include/pte.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import { PG_anon, PG_lru, PG_swapcache, PG_table, PG_zero } from './folio.js';
import { folio_index, folio_mapping } from './filemap.js';
import { is_migration_entry } from './migrate.js';
import { LEVEL_PGD, LEVEL_PMD, LEVEL_PTE, PageTable, is_zero_pfn } from './pgtable.js';
import { VM_UFFD_MISSING, VM_UFFD_WP, VM_HI_UFFD_MINOR, VM_HUGETLB } from '../include/vm_flags.js';
import { isUffdWpMarker, is_guard_marker, is_poisoned_marker } from './memory.js';
import { PATCH } from '../../profiles/patches.js';
import { vma_lookup } from './mmap.js';
import { isHugeZeroPfn } from './huge_memory.js';
import { PG_zone_device } from './memremap.js';

/** one violated assertion: which check, and a dump of what it saw */
export interface VmBug {
  /** the check: vma, anon-vma, pgtable, freed-folio, pmd-leaf, compound, mapcount, refcount, folio-leak, rss, uffd-ctx, uffd-wp, hugetlb-resv, shmem-swap */
  check: string;
  what: string;
}

/** thrown by assert_vm_state: the model's state broke an invariant the kernel asserts or relies on */
export class VmBugError extends Error {
  constructor(readonly bugs: VmBug[], readonly where: string) {
    super(`VM_BUG_ON ${where}: ${bugs.map((b) => `[${b.check}] ${b.what}`).join('; ')}`);
  }
}

const hex = (n: number) => '0x' + n.toString(16);

/** dump_page (mm/debug.c), reduced to the model's fields */
function dump_folio(k: Kernel, slot: number): string {
  const f = k.folios;
  let ptes = 0;
  if (f.hasSub(slot)) for (let i = 0, n = f.nrPages(slot); i < n; i++) ptes += f.subMapcount(slot, i);
  return `pfn:${hex(f.pfn(slot))} order:${f.order(slot)} refcount:${f.refcount(slot)} ` +
    (f.order(slot) ? `entire_mapcount:${f.mapcount(slot)} pte_mapcount:${ptes}` : `mapcount:${f.mapcount(slot)}`) +
    ` flags:${hex(f.flags(slot))}`;
}

/** dump_vma (mm/debug.c) */
function dump_vma(v: VmArea): string {
  return `vma ${hex(v.vm_start)}-${hex(v.vm_end)} flags:${hex(v.vm_flags)}${v.vm_flags_hi ? ` hi:${hex(v.vm_flags_hi)}` : ''}`;
}

/**
 * Does the modelled release keep uffd-wp bits (and markers) out of VMAs without VM_UFFD_WP? Only from
 * f369b07c8614 (v6.0: unregister resets write protection) and 8f34f1eac382 (v5.14: fork tests the
 * child's VMA); before them an unregistered range, or a forked child's, can keep the bit. Even then a
 * registration in MISSING mode alone over a WP range drops VM_UFFD_WP and leaves the bits (VmArea.uffd_wp_left),
 * and so do UFFDIO_MOVE of a uffd-wp swap entry into a VMA not registered for WP and, before 5a2f8d22ace4
 * (v6.4), the fork of a write-protected hugetlb entry into a child without EVENT_FORK.
 * Where PTE markers exist, fork drops them in an unregistered child only from 49d6d7fb6313 (v6.2); where
 * PAGEMAP_SCAN exists, it protects only registered VMAs, and only when asked, from 0dff1b407def and
 * 4980e837cab7 (v6.7-rc5).
 */
export function uffdWpConfined(k: Kernel): boolean {
  return (k.has(PATCH.uffdWpPteBit) || k.has(PATCH.arm64UffdWp)) && k.has(PATCH.uffdUnregisterResetsWp) && k.has(PATCH.uffdWpForkChildVma) &&
    (!k.has(PATCH.pteMarkers) || k.has(PATCH.uffdWpMarkerForkDrop)) &&
    (!k.has(PATCH.pagemapScan) || (k.has(PATCH.pagemapScanWpVmaCheck) && k.has(PATCH.pagemapScanFastPathWpOnly)));
}

interface Counts {
  /** slot -> PMD mappings */
  pmd: Map<number, number>;
  /** slot -> PTE mappings per page of the folio */
  pte: Map<number, Int32Array>;
}

/** check every VMA list, page table, folio and uffd context; returns what is wrong (nothing: []) */
export function debug_vm_check(k: Kernel): VmBug[] {
  const bugs: VmBug[] = [];
  const bug = (check: string, what: string) => {
    if (bugs.length < 20) bugs.push({ check, what });
  };
  const counts: Counts = { pmd: new Map(), pte: new Map() };
  for (const mm of k.mms) checkMm(k, mm, counts, bug);
  checkFolios(k, counts, bug);
  checkShmemSwap(k, bug);
  hugetlb_check(k, bug);
  for (const ctx of k.uffds) {
    if (!k.mms.includes(ctx.mm)) bug('uffd-ctx', `uffd ${ctx.name}: its mm is not a live address space`);
  }
  return bugs;
}

/**
 * shmem's swap entries (mm/shmem.c shmem_inode_info.swapped): a file's page-cache entries that are swap entries
 * number `swapped` and refer to slots in use (files of up to 64k pages are read whole; larger ones are not read)
 */
function checkShmemSwap(k: Kernel, bug: (c: string, w: string) => void): void {
  for (let ino = 1; ino <= k.nrInodes; ino++) {
    const m = k.inode(ino)!;
    if (!m.live) continue;
    const pages = Math.ceil(m.i_size / PAGE_SIZE);
    if (m.swapped < 0 || (m.swapped > 0 && k.swap.max === 0)) bug('shmem-swap', `inode ${ino}: ${m.swapped} pages swapped out, with no swap device`);
    if (m.swapped === 0 || pages > 1 << 16) continue;
    let n = 0;
    for (let i = m.nextIndex(0, pages, true); i >= 0; i = m.nextIndex(i + 1, pages, true)) {
      const off = m.swapAt(i);
      if (off < 0) continue;
      n++;
      if (off === 0 || off >= k.swap.max || __swap_count(k, off) === 0) bug('shmem-swap', `inode ${ino}: page ${i}'s swap entry refers to slot ${off}, which is not in use`);
    }
    if (n !== m.swapped) bug('shmem-swap', `inode ${ino}: ${n} swap entries in its page cache, swapped says ${m.swapped}`);
  }
}

/** debug_vm_check, throwing VmBugError when something is wrong */
export function assert_vm_state(k: Kernel, where: string): void {
  const bugs = debug_vm_check(k);
  if (bugs.length) throw new VmBugError(bugs, where);
}

function checkMm(k: Kernel, mm: MmStruct, counts: Counts, bug: (c: string, w: string) => void): void {
  const g = k.pgt;
  const f = k.folios;
  const vmas = mm.vmas;
  // VMAs: page aligned, non-empty, sorted and disjoint (the maple tree's order); uffd registration
  // (vm_userfaultfd_ctx) set exactly when a VM_UFFD_* flag is, and pointing at a context of this mm
  for (let i = 0; i < vmas.length; i++) {
    const v = vmas[i]!;
    if (v.vm_start % PAGE_SIZE || v.vm_end % PAGE_SIZE || v.vm_start >= v.vm_end) bug('vma', `mm ${mm.id}: bad ${dump_vma(v)}`);
    if (i > 0 && vmas[i - 1]!.vm_end > v.vm_start) bug('vma', `mm ${mm.id}: ${dump_vma(vmas[i - 1]!)} overlaps or follows ${dump_vma(v)}`);
    const registered = (v.vm_flags & (VM_UFFD_MISSING | VM_UFFD_WP)) !== 0 || (v.vm_flags_hi & VM_HI_UFFD_MINOR) !== 0;
    if (registered && !v.uffd) bug('uffd-ctx', `mm ${mm.id}: ${dump_vma(v)} has VM_UFFD_* flags but no userfaultfd context`);
    if (!registered && v.uffd) bug('uffd-ctx', `mm ${mm.id}: ${dump_vma(v)} has a userfaultfd context (${v.uffd.name}) but no VM_UFFD_* flag`);
    if (v.uffd && v.uffd.mm !== mm) bug('uffd-ctx', `mm ${mm.id}: ${dump_vma(v)} is registered with uffd ${v.uffd.name} of mm ${v.uffd.mm.id}`);
    // anon_vma: a VMA is linked to its own anon_vma (anon_vma_chain), and every anon_vma of its chain
    // has the same root; an unfaulted VMA has neither
    const chain = v.anon_vma_chain;
    if (v.anon_vma && !chain.includes(v.anon_vma)) bug('anon-vma', `mm ${mm.id}: ${dump_vma(v)} is not linked to its own anon_vma`);
    if (!v.anon_vma && chain.length) bug('anon-vma', `mm ${mm.id}: ${dump_vma(v)} has no anon_vma but an anon_vma_chain of ${chain.length}`);
    if (chain.some((a) => (a.root ?? a) !== (chain[0]!.root ?? chain[0]))) bug('anon-vma', `mm ${mm.id}: ${dump_vma(v)} is linked to anon_vmas of different roots`);
  }
  const confined = uffdWpConfined(k);
  const vmaAt = (addr: number): VmArea | null => vma_lookup(k, mm, addr);
  const e = new Pte();
  let rss = 0, shmemRss = 0;
  // hugetlb pages are counted in mm->hugetlb_usage, not in MM_ANONPAGES
  let hugetlb = 0;
  const reached = new Set<PageTable>();
  const walk = (t: PageTable) => {
    reached.add(t);
    let nr = 0;
    for (let i = 0; i < 512; i++) {
      if (t.isNone(i)) continue;
      nr++;
      t.get(i, e);
      const addr = t.addrOf(i);
      if (t.level > LEVEL_PMD || (t.level === LEVEL_PMD && !g.pmd_leaf_lo(e.lo) && !g.pmd_trans_huge(e))) {
        // an upper-level entry, or a PMD pointing to a PTE table
        if (t.level === LEVEL_PMD && is_migration_entry(k, e)) {
          // a PMD migration entry: a THP under migration, still counted in rss (a hugetlb page in hugetlb_usage)
          const mv = vmaAt(addr);
          if (!mv) bug('pgtable', `mm ${mm.id}: PMD migration entry at ${hex(addr)} outside every VMA`);
          if (mv && (mv.vm_flags & VM_HUGETLB)) hugetlb += HPAGE_PMD_NR;
          else rss += HPAGE_PMD_NR;
          continue;
        }
        if (t.level === LEVEL_PMD && is_poisoned_marker(k, e)) {
          // the poison marker of a hugetlb entry (UFFDIO_POISON)
          const mv = vmaAt(addr);
          if (!mv || !(mv.vm_flags & VM_HUGETLB)) bug('pgtable', `mm ${mm.id}: poison marker at PMD ${hex(addr)} outside a hugetlb VMA`);
          continue;
        }
        if (t.level === LEVEL_PMD && isUffdWpMarker(k, e)) {
          // the uffd-wp marker of a hugetlb entry (a huge PTE in the PMD slot)
          const mv = vmaAt(addr);
          if (!mv || !(mv.vm_flags & VM_HUGETLB)) bug('pgtable', `mm ${mm.id}: uffd-wp marker at PMD ${hex(addr)} outside a hugetlb VMA`);
          continue;
        }
        if (!g.table_entry_points(e.lo, e.hi)) {
          bug('pgtable', `mm ${mm.id}: level ${t.level} entry at ${hex(addr)} is not present and not none (${e.toString()}): no swap or migration entries at this level`);
          continue;
        }
        const child = mm.tables.get(g.pte_pfn(e));
        if (!child) {
          bug('pgtable', `mm ${mm.id}: level ${t.level} entry at ${hex(addr)} points to pfn ${hex(g.pte_pfn(e))}, which is not a page table of this mm`);
          continue;
        }
        if (child.level !== t.level - 1 || child.base !== addr) {
          bug('pgtable', `mm ${mm.id}: the table under level ${t.level} entry ${hex(addr)} has level ${child.level} base ${hex(child.base)}`);
          continue;
        }
        walk(child);
        continue;
      }
      if (t.level === LEVEL_PMD) {
        // a PMD leaf (present, or PROT_NONE: pmd_present holds for both): a PMD-order folio, mapped
        // whole from its head, in a 2 MiB range that one VMA covers
        const v = vmaAt(addr);
        if (!v || v.vm_end < addr + HPAGE_PMD_SIZE) bug('pmd-leaf', `mm ${mm.id}: huge PMD at ${hex(addr)} is not inside one VMA${v ? ` (${dump_vma(v)})` : ''}`);
        else if (confined && g.pmd_uffd_wp(e) && !(v.vm_flags & VM_UFFD_WP) && !v.uffd_wp_left) bug('uffd-wp', `mm ${mm.id}: huge PMD at ${hex(addr)} has uffd-wp in ${dump_vma(v)} without VM_UFFD_WP`);
        const pfn = g.pmd_pfn(e);
        if (isHugeZeroPfn(k, pfn)) continue;
        const slot = f.slotOf(pfn);
        if (slot < 0 || f.refcount(slot) === 0) {
          bug('freed-folio', `mm ${mm.id}: huge PMD at ${hex(addr)} maps pfn ${hex(pfn)}, which belongs to no live folio`);
          continue;
        }
        if (f.order(slot) !== HPAGE_PMD_ORDER || f.pfn(slot) !== pfn) {
          bug('pmd-leaf', `mm ${mm.id}: huge PMD at ${hex(addr)} maps pfn ${hex(pfn)} of ${dump_folio(k, slot)}: not the head of a PMD-order folio`);
          continue;
        }
        if (v && !v.anon_vma && f.test(slot, PG_anon) && !f.test(slot, PG_hugetlb_cache_anon)) bug('anon-vma', `mm ${mm.id}: huge PMD at ${hex(addr)} maps an anonymous THP in ${dump_vma(v)}, which has no anon_vma`);
        counts.pmd.set(slot, (counts.pmd.get(slot) ?? 0) + 1);
        if (f.test(slot, PG_hugetlb)) {
          hugetlb += HPAGE_PMD_NR;
          if (v && !(v.vm_flags & VM_HUGETLB)) bug('pmd-leaf', `mm ${mm.id}: huge PMD at ${hex(addr)} maps a hugetlb page in ${dump_vma(v)}, which is not a hugetlb VMA`);
        } else if (f.test(slot, PG_anon)) rss += HPAGE_PMD_NR;
        else shmemRss += HPAGE_PMD_NR;
        continue;
      }
      // a PTE
      const v = vmaAt(addr);
      if (!g.pte_present(e)) {
        if (is_migration_entry(k, e)) {
          // a page under migration, still counted in rss (zap_nonpresent_ptes)
          if (!v) bug('pgtable', `mm ${mm.id}: migration entry at ${hex(addr)} outside every VMA`);
          rss++;
          continue;
        }
        // a swap PTE of the device refers to a slot in use; anything else must be the uffd-wp marker
        const off = swpOffsetOf(k, e);
        if (off >= 0) {
          if (off === 0 || off >= k.swap.max || __swap_count(k, off) === 0) bug('pgtable', `mm ${mm.id}: swap PTE at ${hex(addr)} (${e.toString()}) refers to slot ${off}, which is not in use`);
          if (!v) bug('pgtable', `mm ${mm.id}: swap PTE at ${hex(addr)} outside every VMA`);
          else if (confined && g.pte_swp_uffd_wp(e) && !(v.vm_flags & VM_UFFD_WP) && !v.uffd_wp_left) bug('uffd-wp', `mm ${mm.id}: swap PTE at ${hex(addr)} has uffd-wp in ${dump_vma(v)} without VM_UFFD_WP`);
          continue;
        }
        if (is_poisoned_marker(k, e)) {
          // the poison marker (UFFDIO_POISON): in a VMA, counted nowhere
          if (!v) bug('pgtable', `mm ${mm.id}: poison marker at ${hex(addr)} outside every VMA`);
          continue;
        }
        if (is_guard_marker(k, e)) {
          // the guard marker (MADV_GUARD_INSTALL): in a VMA that is not hugetlb, counted nowhere
          if (!v || (v.vm_flags & VM_HUGETLB)) bug('pgtable', `mm ${mm.id}: guard marker at ${hex(addr)} outside every non-hugetlb VMA`);
          continue;
        }
        if (!isUffdWpMarker(k, e)) bug('pgtable', `mm ${mm.id}: PTE at ${hex(addr)} is a swap entry (${e.toString()}) other than the uffd-wp marker`);
        else if (!v) bug('pgtable', `mm ${mm.id}: uffd-wp marker at ${hex(addr)} outside every VMA`);
        else if (confined && !(v.vm_flags & VM_UFFD_WP) && !v.uffd_wp_left) bug('uffd-wp', `mm ${mm.id}: uffd-wp marker at ${hex(addr)} in ${dump_vma(v)} without VM_UFFD_WP`);
        continue;
      }
      if (!v) bug('pgtable', `mm ${mm.id}: PTE at ${hex(addr)} maps pfn ${hex(g.pte_pfn(e))} outside every VMA`);
      else if (confined && g.pte_uffd_wp(e) && !(v.vm_flags & VM_UFFD_WP) && !v.uffd_wp_left) bug('uffd-wp', `mm ${mm.id}: PTE at ${hex(addr)} has uffd-wp in ${dump_vma(v)} without VM_UFFD_WP`);
      const pfn = g.pte_pfn(e);
      if (is_zero_pfn(k, pfn) || isHugeZeroPfn(k, pfn - (pfn % HPAGE_PMD_NR))) continue;
      const slot = f.slotOf(pfn);
      if (slot < 0 || f.refcount(slot) === 0) {
        bug('freed-folio', `mm ${mm.id}: PTE at ${hex(addr)} maps pfn ${hex(pfn)}, which belongs to no live folio`);
        continue;
      }
      if (f.test(slot, PG_table)) {
        bug('freed-folio', `mm ${mm.id}: PTE at ${hex(addr)} maps pfn ${hex(pfn)}, a page table`);
        continue;
      }
      if (v && !v.anon_vma && f.test(slot, PG_anon)) bug('anon-vma', `mm ${mm.id}: PTE at ${hex(addr)} maps an anonymous page in ${dump_vma(v)}, which has no anon_vma`);
      let per = counts.pte.get(slot);
      if (!per) counts.pte.set(slot, (per = new Int32Array(f.nrPages(slot))));
      per[pfn - f.pfn(slot)]!++;
      if (f.test(slot, PG_anon)) rss++;
      else shmemRss++;
    }
    if (nr !== t.nr) bug('pgtable', `mm ${mm.id}: level ${t.level} table at ${hex(t.base)} counts ${t.nr} entries, holds ${nr}`);
  };
  if (mm.pgd.level !== LEVEL_PGD) bug('pgtable', `mm ${mm.id}: the pgd has level ${mm.pgd.level}`);
  walk(mm.pgd);
  for (const t of mm.tables.values()) {
    const slot = f.slotOf(t.pfn);
    if (slot < 0 || !f.test(slot, PG_table)) bug('pgtable', `mm ${mm.id}: page table at pfn ${hex(t.pfn)} (level ${t.level}) is not a PageTable page`);
  }
  // check_mm: MM_ANONPAGES equals the anonymous pages the tables map
  if (k.hstate.usage(mm) !== hugetlb) bug('rss', `mm ${mm.id}: hugetlb_usage ${k.hstate.usage(mm)}, the page tables map ${hugetlb} pages of huge pages`);
  if (mm.anonPages !== rss) bug('rss', `mm ${mm.id}: Bad rss-counter state: MM_ANONPAGES ${mm.anonPages}, the page tables map ${rss} anonymous pages`);
  if (mm.shmemPages !== shmemRss) bug('rss', `mm ${mm.id}: Bad rss-counter state: MM_SHMEMPAGES ${mm.shmemPages}, the page tables map ${shmemRss} shmem pages`);
  void LEVEL_PTE;
  void reached;
}

function checkFolios(k: Kernel, counts: Counts, bug: (c: string, w: string) => void): void {
  const f = k.folios;
  for (let slot = 0; slot < f.nslots; slot++) {
    const rc = f.refcount(slot), fl = f.flags(slot);
    if (rc === 0 && fl === 0) continue; // free
    if (rc === 0 && fl === PG_zone_device) continue; // a free device page, on its driver's list (mm/memremap.ts)
    if (fl & (PG_table | PG_zero)) continue; // page tables and the zero pages keep no mapcount
    const pfn = f.pfn(slot);
    const order = f.order(slot);
    // compound head/tail: a large folio is a whole PMD-sized, aligned section whose every pfn leads back
    // to its head; an order-0 folio is its own pfn's
    if (order !== 0 && order !== HPAGE_PMD_ORDER) bug('compound', `${dump_folio(k, slot)}: order ${order} (only order 0 and PMD order are modelled)`);
    if (order === 0) {
      if (f.slotOf(pfn) !== slot) bug('compound', `${dump_folio(k, slot)}: its pfn leads to slot ${f.slotOf(pfn)}, not ${slot}`);
    } else {
      if (pfn % HPAGE_PMD_NR !== 0) bug('compound', `${dump_folio(k, slot)}: head pfn not aligned to its order`);
      for (const i of [0, 1, HPAGE_PMD_NR - 1]) {
        if (f.slotOf(pfn + i) !== slot) bug('compound', `${dump_folio(k, slot)}: tail pfn ${hex(pfn + i)} leads to slot ${f.slotOf(pfn + i)}`);
      }
    }
    // mapcounts equal the mappings the page tables hold
    const pmdMaps = counts.pmd.get(slot) ?? 0;
    const ptes = counts.pte.get(slot);
    let mapped = 0;
    if (order === 0) {
      const n = ptes ? ptes[0]! : 0;
      if (f.mapcount(slot) !== n) bug('mapcount', `${dump_folio(k, slot)}: the page tables map it ${n} time(s)`);
      mapped = f.mapcount(slot);
    } else {
      // (a page-cache huge page a CONTINUE made anonymous before ab74ef708dc5 had its entire mapcount reset to one)
      if (f.mapcount(slot) !== pmdMaps && !(fl & PG_hugetlb_cache_anon)) bug('mapcount', `${dump_folio(k, slot)}: ${pmdMaps} huge PMD(s) map it`);
      const sub = f.hasSub(slot);
      let wrong = -1;
      for (let i = 0; i < HPAGE_PMD_NR; i++) {
        const have = sub ? f.subMapcount(slot, i) : 0, want = ptes ? ptes[i]! : 0;
        if (have !== want && wrong < 0) wrong = i;
        mapped += have;
      }
      if (wrong >= 0) bug('mapcount', `${dump_folio(k, slot)}: page ${wrong} has mapcount ${sub ? f.subMapcount(slot, wrong) : 0}, ${ptes ? ptes[wrong] : 0} PTE(s) map it`);
      mapped += f.mapcount(slot);
    }
    // every mapping holds a reference
    if (rc < mapped) bug('refcount', `${dump_folio(k, slot)}: refcount below its ${mapped} mapping(s)`);
    if (rc <= 0) bug('refcount', `${dump_folio(k, slot)}: live with refcount ${rc}`);
    // nothing but mappings, GUP callers (pins and gets) and the swap cache holds anonymous folios in the model (no LRU isolation)
    // a folio isolated for migration (off the LRU) holds the isolation's reference too
    // a page-cache folio: one reference per page held by the cache (mm/filemap.ts), and it leads back there
    const ino = folio_mapping(k, slot);
    const inCache = ino !== 0 ? f.nrPages(slot) : 0;
    if (ino !== 0 && k.inode(ino)!.folioAt(folio_index(k, slot)) !== slot) bug('refcount', `${dump_folio(k, slot)}: its mapping (inode ${ino}) does not hold it at index ${folio_index(k, slot)}`);
    // a file folio that truncation took out of its cache lives on, unmapped, while GUP callers (a pin, a pipe) hold it
    if (!(fl & PG_anon) && !(fl & PG_hugetlb) && ino === 0 && !(fl & PG_swapcache)) {
      if (f.gupRefs(slot) === 0) bug('folio-leak', `${dump_folio(k, slot)}: neither anonymous nor in a page cache`);
      else if (mapped !== 0) bug('folio-leak', `${dump_folio(k, slot)}: taken out of its page cache, yet still mapped`);
    }
    // (a hugetlb page is on no LRU: isolated for migration is PG_hugetlb_isolated)
    // (a device page is on no LRU either: mm/memremap.ts)
    const isolated = fl & PG_hugetlb ? (fl & PG_hugetlb_isolated) !== 0 : (fl & PG_anon) !== 0 && !(fl & PG_lru) && !(fl & PG_zone_device);
    const cached = ((fl & PG_swapcache) !== 0 ? 1 : 0) + (isolated ? 1 : 0) + inCache, gup = f.gupRefs(slot);
    if ((fl & PG_swapcache) && k.swap.cacheSlot(k.swap.folioSwap(slot)) !== slot) bug('refcount', `${dump_folio(k, slot)}: in the swap cache, but its slot does not lead back to it`);
    if (cached ? rc < mapped + gup + cached : rc !== mapped + gup) bug('refcount', `${dump_folio(k, slot)}: refcount ${rc} is not its ${mapped} mapping(s) plus the ${gup} reference(s) GUP callers hold${cached ? ' and the swap cache' : ''}`);
    if ((fl & PG_anon) && mapped === 0 && gup === 0 && !cached) bug('folio-leak', `${dump_folio(k, slot)}: nobody maps it, yet it is not freed`);
  }
}

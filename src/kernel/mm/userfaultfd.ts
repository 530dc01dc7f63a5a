// Page-table side of the userfaultfd ioctls (mm/userfaultfd.c): mwriteprotect_range / uffd_wp_range
// and the mfill_atomic family (UFFDIO_COPY, UFFDIO_ZEROPAGE).
import type { Kernel } from '../kernel.js';
import { Pte } from '../arch/x86/include/pte.js';
import { PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import { vm_get_page_prot } from '../arch/x86/include/pgtable.js';
import type { VmArea } from '../include/mm_types.js';
import { VM_MAYWRITE, VM_SHARED, VM_UFFD_WP, VM_WRITE } from '../include/vm_flags.js';
import { fail } from '../include/errno.js';
import { cond_resched } from '../kernel/sched/core.js';
import { PATCH } from '../../profiles/patches.js';
import { change_protection } from './mprotect.js';
import { MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP, MM_CP_UFFD_WP_RESOLVE } from '../include/mm_cp.js';
import { vma_is_anonymous, vmas_in, vma_lookup } from './mmap.js';
import { follow_pfn, isUffdWpMarker, mm_forbids_zeropage, set_pte_at } from './memory.js';
import { anon_vma_prepare } from './vma.js';
import { pte_index, type PageTable } from './pgtable.js';
import { folio_add_new_anon_rmap } from './rmap.js';
import type { UserfaultfdCtx } from '../fs/userfaultfd.js';
import { pmdAlloc, pte_alloc } from './pagewalk.js';

/**
 * uffd_wp_range (v6.0 f369b07c8614 split it out of mwriteprotect_range). Before v6.3 the new protection
 * is computed from vm_flags and un-protect only clears the uffd-wp bit; from v6.3 931298e103c2 it uses
 * vm_page_prot and lets change_pte_range make exclusive anon pages writable at once.
 */
export function uffd_wp_range(k: Kernel, vma: VmArea, start: number, len: number, enable_wp: boolean): number {
  if (k.has(PATCH.uffdWpRangeVmPageProt)) {
    let cp = enable_wp ? MM_CP_UFFD_WP : MM_CP_UFFD_WP_RESOLVE;
    // vma_wants_manual_pte_write_upgrade: private VMAs with VM_WRITE
    if (!enable_wp && (vma.vm_flags & VM_WRITE) && !(vma.vm_flags & VM_SHARED)) cp |= MM_CP_TRY_CHANGE_WRITABLE;
    return change_protection(k, vma, start, start + len, vma.vm_page_prot, cp);
  }
  const newprot = vm_get_page_prot(enable_wp ? vma.vm_flags & ~VM_WRITE : vma.vm_flags);
  if (!k.has(PATCH.uffdWpIoctl)) {
    // the 2018 branch: change_protection(vma, start, end, newprot, dirty_accountable = !enable_wp, 0)
    const dirty_accountable = !enable_wp && !k.has(PATCH.glisse2018NoDirtyAccountable);
    return change_protection(k, vma, start, start + len, newprot, dirty_accountable ? MM_CP_TRY_CHANGE_WRITABLE : 0);
  }
  return change_protection(k, vma, start, start + len, newprot, enable_wp ? MM_CP_UFFD_WP : MM_CP_UFFD_WP_RESOLVE);
}

/** the single VMA that must hold [start, start+len) (find_dst_vma) */
function find_dst_vma(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number): VmArea | null {
  const v = vma_lookup(k, ctx.mm, start);
  // mm/userfaultfd.c uffd_mfill_lock() @v6.18: since 867a43a34ff8 (v6.9) the VMA is looked up (under its
  // lock, find_vma_and_prepare_anon) and a private writable one gets its anon_vma before the range is
  // checked, so even a refused UFFDIO_COPY/ZEROPAGE gives the VMA one
  if (v && k.has(PATCH.uffdMfillVmaLock) && (v.vm_flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE) anon_vma_prepare(ctx.mm, v);
  if (!v || start + len > v.vm_end) return null;
  if (!v.uffd || v.uffd !== ctx) return null;
  return v;
}

/** mwriteprotect_range: UFFDIO_WRITEPROTECT's page-table work, with the trace Peter Xu's debug patch printed */
export function mwriteprotect_range(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number, enable_wp: boolean): void {
  if (k.has(PATCH.uffdWpMultiVma)) {
    // v6.5+: every VMA of the range, stopping at the first that is not registered for WP
    const vs = vmas_in(ctx.mm, start, start + len);
    if (vs.length === 0) fail('ENOENT', 'no VMA in the range');
    for (const v of vs) {
      if (!(v.vm_flags & VM_UFFD_WP)) fail('ENOENT', `the VMA at 0x${v.vm_start.toString(16)} is not registered for write-protect`);
      const s = Math.max(start, v.vm_start), e = Math.min(start + len, v.vm_end);
      report(k, v, s, e, enable_wp, uffd_wp_range(k, v, s, e - s, enable_wp));
    }
    return;
  }
  const vma = find_dst_vma(k, ctx, start, len);
  if (!vma || (vma.vm_flags & VM_SHARED) || !(vma.vm_flags & VM_UFFD_WP) || !vma_is_anonymous(vma)) {
    fail('ENOENT', 'the range is not inside one anonymous VMA registered for write-protect');
  }
  report(k, vma, start, start + len, enable_wp, uffd_wp_range(k, vma, start, len, enable_wp));
}

function report(k: Kernel, vma: VmArea, start: number, end: number, wp: boolean, pages: number): void {
  if (!k.tr) return;
  const newprot = k.has(PATCH.uffdWpRangeVmPageProt) ? vma.vm_page_prot : vm_get_page_prot(wp ? vma.vm_flags & ~VM_WRITE : vma.vm_flags);
  k.tr?.emit('mwriteprotect_range', 'mwriteprotect_range', {
    vm_flags: vma.vm_flags >>> 0, start, end, pages, newprot: newprot.hex(), wp: wp ? 1 : 0,
  });
  // Peter Xu's debug printk in the seed thread's kernel (the 2018 branch); no released kernel logs these
  if (k.has(PATCH.uffdWp2018Branch)) {
    k.printk('mwriteprotect_range', `mwriteprotect_range: vm_flags: 0x${(vma.vm_flags >>> 0).toString(16)}`);
    k.printk('mwriteprotect_range', `mwriteprotect_range: 0x${start.toString(16)}-0x${end.toString(16)} changed ${pages} pages (newprot=${newprot.hex()}, wp=${wp ? 1 : 0})`);
  }
}

/** copy_from_user of one page of the source buffer (the model reads through the page tables) */
function read_source_page(k: Kernel, ctx: UserfaultfdCtx, src: number, dstPfn: number): void {
  const pfn = follow_pfn(k, ctx.mm, src);
  if (pfn >= 0) k.data.copyPage(dstPfn, pfn);
}

/** mm/userfaultfd.c mfill_atomic_install_pte() @v6.18: map a newly allocated anonymous page at `a` */
function mfill_atomic_install_pte(k: Kernel, ctx: UserfaultfdCtx, vma: VmArea, t: PageTable, i: number, a: number, slot: number, wp: boolean): void {
  const g = k.pgt;
  const e = g.pfn_pte(new Pte(), k.folios.pfn(slot), vma.vm_page_prot);
  if (k.has(PATCH.mfillUnconditionalMkdirty)) g.pte_mkdirty(e);
  if (vma.vm_flags & VM_WRITE) {
    if (!k.has(PATCH.mfillUnconditionalMkdirty)) g.pte_mkdirty(e);
    if (wp) g.pte_mkuffd_wp(e);
    else g.pte_mkwrite(e);
  } else if (wp) g.pte_mkuffd_wp(e);
  folio_add_new_anon_rmap(k, slot, false, ctx.mm);
  ctx.mm.anonPages++;
  set_pte_at(k, { t, i }, e, a, 'mfill_atomic_install_pte');
}

/**
 * mm/userfaultfd.c mfill_atomic() @v6.18: the loop over the destination pages, each filled by `fill`
 * (mfill_atomic_pte), which says why the page is busy or returns null; bytes done. A page that fails
 * ends it short; the first one throws (EEXIST)
 */
function mfill_atomic(k: Kernel, ctx: UserfaultfdCtx, dst: number, len: number,
  fill: (t: PageTable, i: number, a: number) => string | null): number {
  const g = k.pgt;
  let done = 0;
  for (let a = dst; a < dst + len; a += PAGE_SIZE) {
    cond_resched();
    const pmd = pmdAlloc(k, ctx.mm, a);
    const pmdv = pmd.t.get(pmd.i, new Pte());
    if (g.pmd_trans_huge(pmdv)) {
      if (done === 0) fail('EEXIST', 'destination is mapped by a huge PMD');
      break;
    }
    const busy = fill(pte_alloc(k, ctx.mm, pmd), pte_index(a), a);
    if (busy !== null) {
      if (done === 0) fail('EEXIST', busy);
      break;
    }
    done += PAGE_SIZE;
  }
  return done;
}

/** mm/userfaultfd.c mfill_atomic() @v6.18 (UFFDIO_COPY): bytes copied; a page that fails ends it short, the first one throws */
export function mfill_atomic_copy(k: Kernel, ctx: UserfaultfdCtx, dst: number, src: number, len: number, wp: boolean): number {
  const g = k.pgt;
  const vma = find_dst_vma(k, ctx, dst, len);
  if (!vma) fail('ENOENT', 'destination is not inside one VMA registered with this uffd');
  if (wp && !(vma.vm_flags & VM_UFFD_WP)) fail('EINVAL', 'UFFDIO_COPY_MODE_WP on a VMA not registered for WP');
  anon_vma_prepare(ctx.mm, vma);
  const cur = new Pte();
  const done = mfill_atomic(k, ctx, dst, len, (t, i, a) => {
    // mfill_atomic_pte_copy: pte_none_mostly (a uffd-wp marker may be filled)
    t.get(i, cur);
    if (!g.pte_none(cur) && !(k.has(PATCH.pteMarkers) && isUffdWpMarker(k, cur))) {
      return `destination page 0x${a.toString(16)} is already populated`;
    }
    const slot = k.folios.alloc(0, 0);
    read_source_page(k, ctx, src + (a - dst), k.folios.pfn(slot));
    mfill_atomic_install_pte(k, ctx, vma, t, i, a, slot, wp);
    return null;
  });
  k.tr?.emit('uffdio_copy', 'mfill_atomic_copy', { dst, src, len, copied: done, wp });
  return done;
}

/** mm/userfaultfd.c mfill_atomic() @v6.18 (UFFDIO_ZEROPAGE): the zero page, read-only; short or throwing as mfill_atomic_copy */
export function mfill_atomic_zeropage(k: Kernel, ctx: UserfaultfdCtx, dst: number, len: number): number {
  const g = k.pgt;
  const vma = find_dst_vma(k, ctx, dst, len);
  if (!vma) fail('ENOENT', 'destination is not inside one VMA registered with this uffd');
  // mfill_atomic: the VMA has an anon_vma before anything is filled, zero pages too
  anon_vma_prepare(ctx.mm, vma);
  const done = mfill_atomic(k, ctx, dst, len, (t, i, a) => {
    // mfill_atomic_pte_zeropage: pte_none (a marker counts as busy)
    if (!t.isNone(i)) return `destination page 0x${a.toString(16)} is not empty`;
    if (mm_forbids_zeropage(k, ctx.mm) && k.has(PATCH.uffdZeropageForbidden)) {
      // mfill_atomic_pte_zeroed_folio: a fresh zeroed page instead of the shared zero page
      anon_vma_prepare(ctx.mm, vma);
      mfill_atomic_install_pte(k, ctx, vma, t, i, a, k.folios.alloc(0, 0), false);
    } else {
      const e = g.pte_mkspecial(g.pfn_pte(new Pte(), k.zero_pfn, vma.vm_page_prot));
      set_pte_at(k, { t, i }, e, a, 'mfill_atomic_pte_zeropage');
    }
    return null;
  });
  k.tr?.emit('uffdio_zeropage', 'mfill_atomic_zeropage', { dst, len, done });
  return done;
}

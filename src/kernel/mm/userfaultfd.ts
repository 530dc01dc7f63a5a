// Page-table side of the userfaultfd ioctls (mm/userfaultfd.c): mwriteprotect_range / uffd_wp_range
// the mfill_atomic family (UFFDIO_COPY, UFFDIO_ZEROPAGE) and move_pages (UFFDIO_MOVE).
import type { Kernel } from '../kernel.js';
import { Pte } from '../arch/x86/include/pte.js';
import { HPAGE_PMD_NR, PAGE_SIZE, PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import { mfill_atomic_hugetlb, mfill_atomic_hugetlb_continue, mfill_atomic_hugetlb_poison } from './hugetlb.js';
import type { VmArea } from '../include/mm_types.js';
import { VM_EXEC, VM_HUGETLB, VM_IO, VM_LOCKED, VM_MAYWRITE, VM_MIXEDMAP, VM_PFNMAP, VM_READ, VM_SHARED, VM_UFFD_WP, VM_WRITE } from '../include/vm_flags.js';
import { ERRNO_NAME, fail, notModelled, SyscallError } from '../include/errno.js';
import { do_user_addr_fault } from '../arch/x86/mm/fault.js';
import { userfaultfd_armed } from '../fs/userfaultfd.js';
import type { MmStruct } from '../include/mm_types.js';
import { HPAGE_PMD_SIZE } from '../arch/x86/include/pgtable_types.js';
import { UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES } from '../include/uapi.js';
import { __split_huge_pmd, haddrOf, huge_zero_anon_exclusive, isHugeZeroPfn, move_pages_huge_pmd, split_huge_page } from './huge_memory.js';
import { folio_maybe_dma_pinned } from './gup.js';
import { mm_find_pmd } from './rmap.js';
import { cond_resched } from '../kernel/sched/core.js';
import { PATCH } from '../../profiles/patches.js';
import { change_protection } from './mprotect.js';
import { MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP, MM_CP_UFFD_WP_RESOLVE } from '../include/mm_cp.js';
import { find_vma, vma_is_anonymous, vmas_in, vma_lookup, vma_wants_writenotify } from './mmap.js';
import { follow_pfn, is_pte_marker, linear_page_index, make_pte_marker, mm_forbids_zeropage, pte_none_mostly, PTE_MARKER_POISONED, set_pte_at, vm_normal_page } from './memory.js';
import { anon_vma_prepare } from './vma.js';
import { is_zero_pfn, pte_index, type PageTable, type Slot } from './pgtable.js';
import { folio_add_file_rmap_ptes, folio_add_new_anon_rmap } from './rmap.js';
import { filemap_add_folio, folio_index } from './filemap.js';
import { shmem_get_folio, SGP_NOALLOC, SGP_READ } from './shmem.js';
import { PG_dirty, PG_lru, PG_swapbacked, PG_uptodate } from './folio.js';
import type { UserfaultfdCtx } from '../fs/userfaultfd.js';
import { pmdAlloc, pte_alloc, pte_offset_map } from './pagewalk.js';

/**
 * uffd_wp_range (v6.0 f369b07c8614 split it out of mwriteprotect_range). Before v6.3 the new protection
 * is computed from vm_flags and un-protect only clears the uffd-wp bit; from v6.3 931298e103c2 it uses
 * vm_page_prot and lets change_pte_range make exclusive anon pages writable at once.
 */
export function uffd_wp_range(k: Kernel, vma: VmArea, start: number, len: number, enable_wp: boolean): number {
  if (k.has(PATCH.uffdWpRangeVmPageProt)) {
    let cp = enable_wp ? MM_CP_UFFD_WP : MM_CP_UFFD_WP_RESOLVE;
    // vma_wants_manual_pte_write_upgrade: private VMAs with VM_WRITE, shared ones that want writenotify
    if (!enable_wp && ((vma.vm_flags & VM_SHARED) ? vma_wants_writenotify(k, vma, vma.vm_page_prot) : (vma.vm_flags & VM_WRITE) !== 0)) cp |= MM_CP_TRY_CHANGE_WRITABLE;
    return change_protection(k, vma, start, start + len, vma.vm_page_prot, cp);
  }
  const newprot = k.pgt.vm_get_page_prot(enable_wp ? vma.vm_flags & ~VM_WRITE : vma.vm_flags);
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
  // registered with a userfaultfd, whichever: the check enforces registration's VM_MAYWRITE test, and a uffd
  // of the same mm may fill the range another one registered (UFFDIO_MOVE alone asks for its own)
  if (!v.uffd) return null;
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
      if ((v.vm_flags & VM_HUGETLB) && (start % PMD_SIZE || len % PMD_SIZE)) fail('EINVAL', 'a hugetlb range that is not 2 MiB aligned');
      const s = Math.max(start, v.vm_start), e = Math.min(start + len, v.vm_end);
      report(k, v, s, e, enable_wp, uffd_wp_range(k, v, s, e - s, enable_wp));
    }
    return;
  }
  const vma = find_dst_vma(k, ctx, start, len);
  // v5.19 (b1f9e876862d): any VMA vma_can_userfault allows; before, anonymous memory only
  if (!vma || !(vma.vm_flags & VM_UFFD_WP) || (!k.has(PATCH.uffdWpShmem) && ((vma.vm_flags & VM_SHARED) || !vma_is_anonymous(vma)))) {
    fail('ENOENT', 'the range is not inside one anonymous VMA registered for write-protect');
  }
  if ((vma.vm_flags & VM_HUGETLB) && (start % PMD_SIZE || len % PMD_SIZE)) fail('EINVAL', 'a hugetlb range that is not 2 MiB aligned');
  report(k, vma, start, start + len, enable_wp, uffd_wp_range(k, vma, start, len, enable_wp));
}

function report(k: Kernel, vma: VmArea, start: number, end: number, wp: boolean, pages: number): void {
  if (!k.tr) return;
  const newprot = k.has(PATCH.uffdWpRangeVmPageProt) ? vma.vm_page_prot : k.pgt.vm_get_page_prot(wp ? vma.vm_flags & ~VM_WRITE : vma.vm_flags);
  k.tr?.emit('mwriteprotect_range', 'mwriteprotect_range', {
    vm_flags: vma.vm_flags >>> 0, start, end, pages, newprot: newprot.hex(), wp: wp ? 1 : 0,
  });
  // Peter Xu's debug printk in the seed thread's kernel (the 2018 branch); no released kernel logs these
  if (k.has(PATCH.uffdWp2018Branch)) {
    k.printk('mwriteprotect_range', `mwriteprotect_range: vm_flags: 0x${(vma.vm_flags >>> 0).toString(16)}`);
    k.printk('mwriteprotect_range', `mwriteprotect_range: 0x${start.toString(16)}-0x${end.toString(16)} changed ${pages} pages (newprot=${newprot.hex()}, wp=${wp ? 1 : 0})`);
  }
}

/**
 * The source page that holds byte `src`, in the caller's mm (current->mm: with a FORK message's uffd the
 * destination is another process's; the model read the source through the destination's page tables until
 * event-fork-copy-source). mfill_atomic_pte_copy copies with page faults disabled; where the source page is not
 * mapped that fails, and mfill_atomic drops its locks and copies again with faults enabled
 * (copy_folio_from_user): a read fault of the caller's, counted in its min_flt, or EFAULT (no VMA, or one with
 * no access: copy-src-unaligned-unreadable). A source in a range registered with a userfaultfd, whose fault
 * could sleep inside the ioctl, is not modelled. The pfn to copy from, or why not (`EFAULT: ...`)
 */
function source_page(k: Kernel, src: number): number | string {
  const task = k.current!;
  let pfn = follow_pfn(k, task.mm, src);
  if (pfn >= 0) return pfn;
  const vma = vma_lookup(k, task.mm, src);
  if (vma && userfaultfd_armed(vma)) notModelled('src', `UFFDIO_COPY from a source page that is not mapped, in a range registered with a userfaultfd (its fault would sleep inside the ioctl)`);
  const r = do_user_addr_fault(k, task, src, 0, true);
  if (r.kind === 'livelock') notModelled('src', 'UFFDIO_COPY whose source fault retries for ever');
  if (r.kind === 'blocked') notModelled('src', 'UFFDIO_COPY whose source fault sleeps');
  pfn = r.kind === 'done' ? follow_pfn(k, task.mm, src) : -1;
  return pfn >= 0 ? pfn : `EFAULT: the source at 0x${src.toString(16)} cannot be read (copy_from_user)`;
}

/**
 * The source of one destination page, [src, src + PAGE_SIZE): the pfns of the page it starts in and, for a
 * source off a page boundary (the kernel never asked for alignment; from 2ef5d7245d9c, v6.6,
 * validate_unaligned_range says so in as many words), of the next one (-1 otherwise); or why not
 */
function source_pages(k: Kernel, src: number): [number, number] | string {
  const first = source_page(k, src);
  if (typeof first === 'string') return first;
  const off = src % PAGE_SIZE;
  if (off === 0) return [first, -1];
  const second = source_page(k, src - off + PAGE_SIZE);
  if (typeof second === 'string') return second;
  // (the second page's fault cannot have taken the first away: both are the caller's, read-faulted)
  return [first, second];
}

/** copy_from_user of one page of the source (source_pages) into the destination page */
function copy_source(k: Kernel, src: number, from: [number, number], dstPfn: number): void {
  const off = src % PAGE_SIZE;
  if (from[1] < 0) {
    k.data.copyPage(dstPfn, from[0]);
    return;
  }
  const buf = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < PAGE_SIZE - off; i++) buf[i] = k.data.readByte(from[0], off + i);
  for (let i = 0; i < off; i++) buf[PAGE_SIZE - off + i] = k.data.readByte(from[1], i);
  k.data.clearPage(dstPfn);
  k.data.writeBytes(dstPfn, 0, buf, 0, PAGE_SIZE);
}

/** mm/userfaultfd.c mfill_atomic_install_pte() @v6.18 (mcopy_atomic_pte before v5.13): map a newly allocated anonymous page at `a` */
function mfill_atomic_install_pte(k: Kernel, ctx: UserfaultfdCtx, vma: VmArea, t: PageTable, i: number, a: number, slot: number, wp: boolean): void {
  const g = k.pgt;
  const e = g.pfn_pte(new Pte(), k.folios.pfn(slot), vma.vm_page_prot);
  if (k.has(PATCH.mfillUnconditionalMkdirty)) g.pte_mkdirty(e);
  if (vma.vm_flags & VM_WRITE) {
    if (!k.has(PATCH.mfillUnconditionalMkdirty)) g.pte_mkdirty(e);
    if (wp) g.pte_mkuffd_wp(e);
    else g.pte_mkwrite(e);
  } else if (wp && k.has(PATCH.uffdWpRegardlessOfVmWrite)) {
    // 0e88904cb700 (v5.18): MODE_WP marks the PTE in a VMA without VM_WRITE too; before, only the write bit
    // decided, and a page copied in while the VMA was read-only lost its protection at the next mprotect
    g.pte_mkuffd_wp(e);
  }
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
      // a reason may name its errno ("EFAULT: ...", "EINVAL: ..."); else the page was busy (EEXIST)
      if (done === 0) fail((/^(EFAULT|EINVAL|EIO): /.exec(busy)?.[1] ?? 'EEXIST') as 'EEXIST', busy);
      break;
    }
    done += PAGE_SIZE;
  }
  return done;
}

/**
 * mm/userfaultfd.c mfill_atomic_pte() @v6.18: a shared shmem mapping is filled through the page cache, a private
 * one with anonymous memory (5b51072e97d5, v4.20); before, every shmem mapping went to the page cache
 */
function mfill_into_cache(k: Kernel, vma: VmArea): boolean {
  if (vma.vm_flags & VM_SHARED) return true;
  return !k.has(PATCH.uffdShmemPrivateAnon) && vma.vm_file !== 0;
}

/**
 * mm/shmem.c shmem_mfill_atomic_pte() @v6.18 with mfill_atomic_install_pte(): UFFDIO_COPY or ZEROPAGE into a
 * shared shmem mapping fills the page cache: a new folio (the source's bytes, or zeroes: never the zero page)
 * added at the file index (EEXIST where the cache holds one, EFAULT past i_size), mapped dirty, writable where
 * the VMA is, uffd-wp with MODE_WP; the PTE must be none or a marker
 */
function shmem_mfill(k: Kernel, ctx: UserfaultfdCtx, vma: VmArea, dst: number, src: number, len: number, wp: boolean, kind: 'copy' | 'zeropage'): number {
  const g = k.pgt, f = k.folios;
  const m = k.inode(vma.vm_file)!;
  const cur = new Pte();
  const done = mfill_atomic(k, ctx, dst, len, (t, i, a) => {
    const idx = linear_page_index(vma, a);
    if (idx >= Math.ceil(m.i_size / PAGE_SIZE)) return `EFAULT: page 0x${a.toString(16)} is past the end of the file`;
    // shmem_add_to_page_cache expects a hole: a folio, or a swap entry (a page swapped out), is EEXIST
    if (m.folioAt(idx) >= 0 || m.swapAt(idx) >= 0) return `the page cache holds page ${idx} of the file already${m.swapAt(idx) >= 0 ? ' (swapped out)' : ''}`;
    t.get(i, cur);
    if (!pte_none_mostly(k, cur)) return `destination page 0x${a.toString(16)} is already populated`;
    // (the source is read before anything is allocated: where it fails, nothing is left behind)
    const from = kind === 'copy' ? source_pages(k, src + (a - dst)) : null;
    if (typeof from === 'string') return from;
    const slot = f.alloc(0, PG_swapbacked);
    if (from !== null) copy_source(k, src + (a - dst), from, f.pfn(slot));
    else k.data.clearPage(f.pfn(slot));
    f.setFlag(slot, PG_uptodate);
    filemap_add_folio(k, m, slot, idx);
    f.setFlag(slot, PG_lru);
    const e = g.pfn_pte(new Pte(), f.pfn(slot), vma.vm_page_prot);
    if (k.has(PATCH.mfillUnconditionalMkdirty) || (vma.vm_flags & VM_WRITE)) g.pte_mkdirty(e);
    if (vma.vm_flags & VM_WRITE) g.pte_mkwrite(e);
    // v4.20 .. v5.15 (dcf7fe9d8976): a clean PTE, so the page itself is dirtied, or reclaim would drop it
    else if (k.has(PATCH.uffdShmemCopyPageDirty) && !k.has(PATCH.mfillUnconditionalMkdirty)) f.setFlag(slot, PG_dirty);
    if (wp) g.pte_mkuffd_wp(e);
    folio_add_file_rmap_ptes(k, slot, f.pfn(slot), 1, ctx.mm);
    ctx.mm.shmemPages++;
    set_pte_at(k, { t, i }, e, a, 'mfill_atomic_install_pte');
    return null;
  });
  k.tr?.emit(kind === 'copy' ? 'uffdio_copy' : 'uffdio_zeropage', 'shmem_mfill_atomic_pte', { dst, len, done, wp });
  return done;
}

/** mm/userfaultfd.c mfill_atomic() @v6.18 (UFFDIO_COPY): bytes copied; a page that fails ends it short, the first one throws */
export function mfill_atomic_copy(k: Kernel, ctx: UserfaultfdCtx, dst: number, src: number, len: number, wp: boolean): number {
  const vma = find_dst_vma(k, ctx, dst, len);
  if (!vma) fail('ENOENT', 'destination is not inside one VMA registered with a userfaultfd');
  if (wp && !(vma.vm_flags & VM_UFFD_WP)) fail('EINVAL', 'UFFDIO_COPY_MODE_WP on a VMA not registered for WP');
  if (vma.vm_flags & VM_HUGETLB) {
    // find_vma_and_prepare_anon: a COW (private) mapping gets its anon_vma
    if (!(vma.vm_flags & VM_SHARED)) anon_vma_prepare(ctx.mm, vma);
    const n = mfill_atomic_hugetlb(k, ctx.mm, vma, dst, len, wp, (a, pfn) => {
      for (let i = 0; i < HPAGE_PMD_NR; i++) {
        const at = src + (a - dst) + i * PAGE_SIZE;
        const from = source_pages(k, at);
        // (the pre-check below faulted every source page in: only a fault's later loss could fail here)
        if (typeof from === 'string') fail('EFAULT', from);
        copy_source(k, at, from, pfn + i);
      }
    }, (a) => {
      // (the kernel allocates the huge page before the copy fails: an empty pool is ENOMEM first, here EFAULT)
      for (let i = 0; i < HPAGE_PMD_NR; i++) {
        const from = source_pages(k, src + (a - dst) + i * PAGE_SIZE);
        if (typeof from === 'string') return from;
      }
      return null;
    });
    k.tr?.emit('uffdio_copy', 'mfill_atomic_hugetlb', { dst, src, len, copied: n, wp });
    return n;
  }
  if (mfill_into_cache(k, vma)) return shmem_mfill(k, ctx, vma, dst, src, len, wp, 'copy');
  anon_vma_prepare(ctx.mm, vma);
  const cur = new Pte();
  const done = mfill_atomic(k, ctx, dst, len, (t, i, a) => {
    // mfill_atomic_pte_copy: pte_none_mostly (a marker, uffd-wp or poison, may be filled)
    t.get(i, cur);
    if (!pte_none_mostly(k, cur)) return `destination page 0x${a.toString(16)} is already populated`;
    const from = source_pages(k, src + (a - dst));
    if (typeof from === 'string') return from;
    const slot = k.folios.alloc(0, 0);
    copy_source(k, src + (a - dst), from, k.folios.pfn(slot));
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
  if (!vma) fail('ENOENT', 'destination is not inside one VMA registered with a userfaultfd');
  // mfill_atomic_hugetlb: no zero page for hugetlb
  if (vma.vm_flags & VM_HUGETLB) fail('EINVAL', 'UFFDIO_ZEROPAGE on a hugetlb VMA');
  if (mfill_into_cache(k, vma)) return shmem_mfill(k, ctx, vma, dst, 0, len, false, 'zeropage');
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

// ---- UFFDIO_CONTINUE (v5.13 7677f7fd8be7 for hugetlb, v5.14 for shmem): map what the page cache holds ----

/**
 * mm/userfaultfd.c mfill_atomic_install_pte() @v5.14, @v5.16, @v6.1, @v6.18 for a page the page cache holds
 * (UFFDIO_CONTINUE): the PTE maps the cached page itself, writable only in a shared writable VMA (a private
 * mapping must COW it on a write), dirty unconditionally from 9ae0f87d009c (v5.16; before, only when
 * writable), write-protected with the uffd-wp bit for MODE_WP. The PTE must be none or a uffd-wp marker
 * (pte_none_mostly) and the page inside i_size. The cache's reference taken by the lookup becomes the
 * mapping's; a reason (EEXIST, EFAULT) when nothing was mapped
 */
function mfill_atomic_install_cache_pte(k: Kernel, ctx: UserfaultfdCtx, vma: VmArea, t: PageTable, i: number, a: number, slot: number, pfn: number, wp: boolean): string | null {
  const g = k.pgt;
  // page_in_cache && !vm_shared: writable = false
  let writable = (vma.vm_flags & VM_WRITE) !== 0 && (vma.vm_flags & VM_SHARED) !== 0;
  const e = g.pfn_pte(new Pte(), pfn, vma.vm_page_prot);
  if (k.has(PATCH.mfillUnconditionalMkdirty) || writable) g.pte_mkdirty(e);
  if (wp) {
    g.pte_mkuffd_wp(e);
    writable = false;
  }
  if (writable) g.pte_mkwrite(e);
  else g.pte_wrprotect(e);
  const m = k.inode(vma.vm_file)!;
  // mfill_file_over_size: serialized against truncation by the page-table lock
  if (linear_page_index(vma, a) >= Math.ceil(m.i_size / PAGE_SIZE)) return `EFAULT: page 0x${a.toString(16)} is past the end of the file`;
  const cur = t.get(i, new Pte());
  if (!pte_none_mostly(k, cur)) return `destination page 0x${a.toString(16)} is already mapped`;
  folio_add_file_rmap_ptes(k, slot, pfn, 1, ctx.mm);
  ctx.mm.shmemPages++;
  set_pte_at(k, { t, i }, e, a, 'mfill_atomic_install_pte');
  return null;
}

/**
 * mm/userfaultfd.c mfill_atomic_pte_continue() @v6.18 (mcontinue_atomic_pte @v5.15, @v5.18, @v6.1): the shmem folio at
 * the page's file index without allocating (shmem_get_folio SGP_NOALLOC: a hole is EFAULT, a page at or past
 * i_size EINVAL, a folio fallocate left not up to date is zeroed first; SGP_READ before v5.19), mapped by
 * mfill_atomic_install_cache_pte; the lookup's reference is dropped when nothing was mapped
 */
function mfill_atomic_pte_continue(k: Kernel, ctx: UserfaultfdCtx, vma: VmArea, t: PageTable, i: number, a: number, wp: boolean): string | null {
  const m = k.inode(vma.vm_file)!;
  const idx = linear_page_index(vma, a);
  let slot: number;
  try {
    // SGP_NOALLOC from 73f37dbcfe17 (v5.19); SGP_READ before, which answers a folio fallocate left not up to
    // date as a hole (slot -1), so CONTINUE of such a page was EFAULT
    slot = shmem_get_folio(k, m, idx, k.has(PATCH.uffdContinueFallocated) ? SGP_NOALLOC : SGP_READ, null).slot;
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    // "our caller expects us to return -EFAULT if we failed to find folio"
    if (e.errno === 2) return `EFAULT: no page at index ${idx} in the page cache`;
    return `${ERRNO_NAME[e.errno] ?? 'EINVAL'}: ${e.why}`;
  }
  if (slot < 0) return `EFAULT: no up-to-date page at index ${idx} in the page cache (SGP_READ)`;
  const f = k.folios;
  const pfn = f.pfn(slot) + (idx - folio_index(k, slot));
  const busy = mfill_atomic_install_cache_pte(k, ctx, vma, t, i, a, slot, pfn, wp);
  if (busy !== null) f.setRefcount(slot, f.refcount(slot) - 1);
  return busy;
}

/**
 * mm/userfaultfd.c mfill_atomic() @v6.18 with MFILL_ATOMIC_CONTINUE (mfill_atomic_continue): one VMA registered
 * with a userfaultfd must hold the range (ENOENT), MODE_WP needs VM_UFFD_WP (EINVAL), hugetlb goes to its own routine,
 * anything but shmem is EINVAL; then page by page as mfill_atomic_copy. Bytes mapped; a page that fails ends
 * it short, the first one throws
 */
export function mfill_atomic_continue(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number, wp: boolean): number {
  const vma = find_dst_vma(k, ctx, start, len);
  if (!vma) fail('ENOENT', 'the range is not inside one VMA registered with a userfaultfd');
  if (wp && !(vma.vm_flags & VM_UFFD_WP)) fail('EINVAL', 'UFFDIO_CONTINUE_MODE_WP on a VMA not registered for WP');
  if (vma.vm_flags & VM_HUGETLB) {
    // mfill_atomic_hugetlb with MFILL_ATOMIC_CONTINUE: the file's cached huge pages (mm/hugetlb.ts)
    const done = mfill_atomic_hugetlb_continue(k, ctx.mm, vma, start, len, wp);
    k.tr?.emit('uffdio_continue', 'mfill_atomic_hugetlb', { start, len, mapped: done, wp });
    return done;
  }
  // !vma_is_shmem && CONTINUE: EINVAL; shmem's CONTINUE came with c949b097ef2e's series (v5.14)
  if (vma.vm_file === 0 || !k.has(PATCH.uffdMinorShmem)) fail('EINVAL', 'UFFDIO_CONTINUE on memory that is not shmem or hugetlb');
  if (!(vma.vm_flags & VM_SHARED)) anon_vma_prepare(ctx.mm, vma);
  const done = mfill_atomic(k, ctx, start, len, (t, i, a) => mfill_atomic_pte_continue(k, ctx, vma, t, i, a, wp));
  k.tr?.emit('uffdio_continue', 'mfill_atomic_continue', { start, len, mapped: done, wp });
  return done;
}

// ---- UFFDIO_POISON (v6.6 fc71884a5f59): the poison marker --------------------------------------------

/**
 * mm/userfaultfd.c mfill_atomic_pte_poison() @v6.6..v6.18: the poison marker (PTE_MARKER_POISONED) where the PTE
 * is none; past i_size of a file VMA EFAULT (mfill_file_over_size), any other entry, a uffd-wp marker or a
 * poison marker too, EEXIST. Nothing is allocated or counted; a reason when nothing was set
 */
function mfill_atomic_pte_poison(k: Kernel, vma: VmArea, t: PageTable, i: number, a: number): string | null {
  if (vma.vm_file !== 0) {
    const m = k.inode(vma.vm_file)!;
    if (linear_page_index(vma, a) >= Math.ceil(m.i_size / PAGE_SIZE)) return `EFAULT: page 0x${a.toString(16)} is past the end of the file`;
  }
  // "refuse to overwrite any PTE, even a PTE marker (e.g. UFFD WP)"
  if (!t.isNone(i)) return `destination page 0x${a.toString(16)} is not empty`;
  set_pte_at(k, { t, i }, make_pte_marker(k, PTE_MARKER_POISONED), a, 'mfill_atomic_pte_poison');
  return null;
}

/**
 * mm/userfaultfd.c mfill_atomic_poison() @v6.6..v6.18 (mfill_atomic with MFILL_ATOMIC_POISON): one VMA registered
 * with a userfaultfd must hold the range (ENOENT); hugetlb goes to its own routine (2 MiB aligned, EINVAL
 * otherwise); anything but anonymous memory and shmem is EINVAL; a private VMA gets its anon_vma; then page by
 * page. Bytes poisoned; a page that fails ends it short, the first one throws
 */
export function mfill_atomic_poison(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number): number {
  const vma = find_dst_vma(k, ctx, start, len);
  if (!vma) fail('ENOENT', 'the range is not inside one VMA registered with a userfaultfd');
  if (vma.vm_flags & VM_HUGETLB) {
    // mfill_atomic_hugetlb: the alignment first, then a private mapping's anon_vma
    if (start % PMD_SIZE || len % PMD_SIZE) fail('EINVAL', 'a hugetlb destination or length that is not 2 MiB aligned');
    if (!(vma.vm_flags & VM_SHARED)) anon_vma_prepare(ctx.mm, vma);
    const done = mfill_atomic_hugetlb_poison(k, ctx.mm, vma, start, len);
    k.tr?.emit('uffdio_poison', 'mfill_atomic_hugetlb', { start, len, updated: done });
    return done;
  }
  if (!(vma.vm_flags & VM_SHARED)) anon_vma_prepare(ctx.mm, vma);
  const done = mfill_atomic(k, ctx, start, len, (t, i, a) => mfill_atomic_pte_poison(k, vma, t, i, a));
  k.tr?.emit('uffdio_poison', 'mfill_atomic_poison', { start, len, updated: done });
  return done;
}

// ---- UFFDIO_MOVE (v6.8 adef440691ba): move_pages and its helpers ----------------------------------

/** move_pages_pte's outcome: 0 (moved, or a hole skipped), or -errno */
type MoveErr = number;
const EBUSY = -16, EEXIST = -17, ENOENT = -2, EINVAL = -22, EFAULT = -14;

/** mm/userfaultfd.c move_present_pte() @v6.18: a present, exclusive, unpinned small folio changes address */
function move_present_pte(k: Kernel, dst_vma: VmArea, dst: Slot, src: Slot, dst_addr: number, orig_src: Pte, slot: number): MoveErr {
  const g = k.pgt, f = k.folios;
  if (f.isLarge(slot) || folio_maybe_dma_pinned(k, slot) || !f.pageAnonExclusive(slot, g.pte_pfn(orig_src))) return EBUSY;
  // ptep_clear_flush; folio_move_anon_rmap and folio->index (the model keeps neither: docs/fidelity.md)
  src.t.clear(src.i);
  const e = g.pfn_pte(new Pte(), g.pte_pfn(orig_src), dst_vma.vm_page_prot);
  if (k.has(PATCH.uffdMoveSoftDirty)) {
    // 75cb1cca2c88: soft-dirty tells the checkpointer the page moved; dirty only if it was
    if (k.config.soft_dirty) g.pte_mksoft_dirty(e);
    if (g.pte_dirty(orig_src)) g.pte_mkdirty(e);
  } else {
    // v6.8: "follow mremap() and treat the entry dirty after the move" (x86 pte_mkdirty sets soft-dirty too)
    g.pte_mkdirty(e);
  }
  g.pte_mkwrite(e);
  set_pte_at(k, dst, e, dst_addr, 'move_present_pte');
  return 0;
}

/** mm/userfaultfd.c move_swap_pte() @v6.18: an exclusive swap entry changes address (its swap count does not change) */
function move_swap_pte(k: Kernel, dst_vma: VmArea, dst: Slot, src: Slot, dst_addr: number, orig_src: Pte): MoveErr {
  src.t.clear(src.i);
  const e = orig_src.clone();
  // the entry keeps its uffd-wp bit, in a destination that need not be registered for WP (measured here,
  // uffdio-move-swap): the invariant checker's bookkeeping must know the kernel leaves it there
  if (k.pgt.pte_swp_uffd_wp(e) && !(dst_vma.vm_flags & VM_UFFD_WP)) dst_vma.uffd_wp_left = true;
  // 75cb1cca2c88: pte_swp_mksoft_dirty (before: the entry's bits unchanged)
  if (k.has(PATCH.uffdMoveSoftDirty)) k.pgt.pte_swp_mksoft_dirty(e);
  set_pte_at(k, dst, e, dst_addr, 'move_swap_pte');
  return 0;
}

/** mm/userfaultfd.c move_zeropage_pte() @v6.18 (v6.9 eb1521dad8f3): the zero page mapped at dst, src cleared */
function move_zeropage_pte(k: Kernel, dst_vma: VmArea, dst: Slot, src: Slot, dst_addr: number): MoveErr {
  const g = k.pgt;
  const e = g.pte_mkspecial(g.pfn_pte(new Pte(), k.zero_pfn, dst_vma.vm_page_prot));
  src.t.clear(src.i);
  set_pte_at(k, dst, e, dst_addr, 'move_zeropage_pte');
  return 0;
}

/**
 * mm/userfaultfd.c move_pages_pte() @v6.18: one page from src_addr to dst_addr; 0 or -errno. A large folio
 * is split first (split_folio; a refused split is EBUSY), then the page is looked at again.
 */
function move_pages_pte(k: Kernel, mm: MmStruct, dst_pmd: Slot, src_pmd: Slot, dst_vma: VmArea, src_vma: VmArea,
  dst_addr: number, src_addr: number, mode: number): MoveErr {
  const g = k.pgt;
  for (;;) {
    const dt = pte_alloc(k, mm, dst_pmd), st = pte_offset_map(k, mm, src_pmd);
    if (st === null) return EINVAL;
    const dst: Slot = { t: dt, i: pte_index(dst_addr) }, src: Slot = { t: st, i: pte_index(src_addr) };
    const orig_dst = dt.get(dst.i, new Pte());
    // a uffd-wp marker at dst counts as populated
    if (!g.pte_none(orig_dst)) return EEXIST;
    const orig_src = st.get(src.i, new Pte());
    if (g.pte_none(orig_src)) return (mode & UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES) ? 0 : ENOENT;
    if (g.pte_present(orig_src)) {
      if (is_zero_pfn(k, g.pte_pfn(orig_src))) {
        if (k.has(PATCH.uffdMoveZeropage)) return move_zeropage_pte(k, dst_vma, dst, src, dst_addr);
        return EBUSY; // v6.8: vm_normal_folio() of the zero page is NULL
      }
      const slot = vm_normal_page(k, src_vma, orig_src);
      // PageAnonExclusive(&folio->page): the folio's first page, not the mapped one (a PTE-mapped large
      // folio whose head is shared is refused before any split, whatever the page to move)
      if (slot < 0 || !k.folios.pageAnonExclusive(slot, k.folios.pfn(slot))) return EBUSY;
      if (k.folios.isLarge(slot)) {
        // split_folio: -EAGAIN (extra references) is EBUSY, "do not retry, extra refs may be held forever"
        if (split_huge_page(k, slot) !== 0) return EBUSY;
        continue;
      }
      return move_present_pte(k, dst_vma, dst, src, dst_addr, orig_src, slot);
    }
    // a non-present entry: a PTE marker (uffd-wp, poison) is neither swap nor migration: EFAULT
    if (is_pte_marker(k, orig_src)) return EFAULT;
    if (!g.pte_swp_exclusive(orig_src)) return EBUSY;
    return move_swap_pte(k, dst_vma, dst, src, dst_addr, orig_src);
  }
}

/** mm/userfaultfd.c move_splits_huge_pmd() @v6.18 */
function move_splits_huge_pmd(dst_addr: number, src_addr: number, src_end: number): boolean {
  return src_addr % HPAGE_PMD_SIZE !== 0 || dst_addr % HPAGE_PMD_SIZE !== 0 || src_end - src_addr < HPAGE_PMD_SIZE;
}

/** mm/userfaultfd.c validate_move_areas() @v6.18; v6.8 also gives dst its anon_vma here (867a43a34ff8 moved it to the lookup) */
function validate_move_areas(k: Kernel, ctx: UserfaultfdCtx, src_vma: VmArea, dst_vma: VmArea): void {
  const ACCESS = VM_READ | VM_WRITE | VM_EXEC;
  const sp = src_vma.vm_page_prot, dp = dst_vma.vm_page_prot;
  if ((src_vma.vm_flags & ACCESS) !== (dst_vma.vm_flags & ACCESS) || sp.lo !== dp.lo || sp.hi !== dp.hi) {
    fail('EINVAL', 'source and destination VMAs differ in access or protection');
  }
  if ((src_vma.vm_flags & VM_LOCKED) !== (dst_vma.vm_flags & VM_LOCKED)) fail('EINVAL', 'one VMA is mlocked and the other is not');
  if (!(src_vma.vm_flags & VM_WRITE)) fail('EINVAL', 'only writable VMAs can be moved between');
  if ((src_vma.vm_flags | dst_vma.vm_flags) & (VM_PFNMAP | VM_IO | VM_HUGETLB | VM_MIXEDMAP)) fail('EINVAL', 'a VMA whose pages cannot be moved');
  if (dst_vma.uffd !== ctx) fail('EINVAL', 'the destination VMA is not registered with this userfaultfd');
  if (!vma_is_anonymous(src_vma) || !vma_is_anonymous(dst_vma)) fail('EINVAL', 'only anonymous VMAs');
  if (!k.has(PATCH.uffdMfillVmaLock)) anon_vma_prepare(ctx.mm, dst_vma);
}

/** the VMAs of a move: v6.9+ uffd_move_lock()/find_vmas_mm_locked() (ENOENT), v6.8 find_vma() (EINVAL) */
function move_find_vmas(k: Kernel, ctx: UserfaultfdCtx, dst_start: number, src_start: number, len: number): { dst_vma: VmArea; src_vma: VmArea } {
  const mm = ctx.mm;
  let dst_vma: VmArea | null, src_vma: VmArea | null;
  if (k.has(PATCH.uffdMfillVmaLock)) {
    // find_vma_and_prepare_anon: the destination gets its anon_vma before anything is checked
    dst_vma = vma_lookup(k, mm, dst_start);
    if (!dst_vma) fail('ENOENT', 'no VMA at the destination');
    if (!(dst_vma.vm_flags & VM_SHARED)) anon_vma_prepare(mm, dst_vma);
    src_vma = src_start >= dst_vma.vm_start && src_start < dst_vma.vm_end ? dst_vma : vma_lookup(k, mm, src_start);
    if (!src_vma) fail('ENOENT', 'no VMA at the source');
    // move_pages() re-checks ctx->mmap_changing under map_changing_lock: its -EAGAIN is written into `move`
    if (ctx.mmap_changing) fail('EAGAIN', 'mmap_changing');
  } else {
    src_vma = find_vma(k, mm, src_start);
    if (!src_vma || (src_vma.vm_flags & VM_SHARED) || src_start < src_vma.vm_start) fail('EINVAL', 'no private VMA at the source');
    if (src_start + len > src_vma.vm_end) fail('EINVAL', 'the source range is not inside one VMA');
    dst_vma = find_vma(k, mm, dst_start);
    if (!dst_vma || (dst_vma.vm_flags & VM_SHARED) || dst_start < dst_vma.vm_start) fail('EINVAL', 'no private VMA at the destination');
    if (dst_start + len > dst_vma.vm_end) fail('EINVAL', 'the destination range is not inside one VMA');
    return { dst_vma, src_vma };
  }
  if ((src_vma.vm_flags & VM_SHARED) || src_start + len > src_vma.vm_end) fail('EINVAL', 'the source range is not inside one private VMA');
  if ((dst_vma.vm_flags & VM_SHARED) || dst_start + len > dst_vma.vm_end) fail('EINVAL', 'the destination range is not inside one private VMA');
  return { dst_vma, src_vma };
}

/**
 * mm/userfaultfd.c move_pages() @v6.8, @v6.9, @v6.12, @v6.18: remap the anonymous pages of [src, src+len) to
 * dst, page by page or a PMD at a time. Returns the bytes moved, or throws the error that stopped it
 * before the first page; an error after some pages ends it short (the caller reports -EAGAIN).
 */
export function move_pages(k: Kernel, ctx: UserfaultfdCtx, dst_start: number, src_start: number, len: number, mode: number): number {
  const g = k.pgt, mm = ctx.mm;
  if (src_start % PAGE_SIZE || dst_start % PAGE_SIZE || len % PAGE_SIZE || len === 0) fail('EINVAL', 'unaligned or empty range');
  const { dst_vma, src_vma } = move_find_vmas(k, ctx, dst_start, src_start, len);
  validate_move_areas(k, ctx, src_vma, dst_vma);
  let moved = 0, err: MoveErr = 0;
  let src_addr = src_start, dst_addr = dst_start;
  const why: string[] = [];
  while (src_addr < src_start + len) {
    cond_resched();
    let src_pmd = mm_find_pmd(k, mm, src_addr);
    if (src_pmd === null) {
      if (!(mode & UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES)) { err = ENOENT; why.push('a hole in the source'); break; }
      src_pmd = pmdAlloc(k, mm, src_addr);
    }
    const dst_pmd = pmdAlloc(k, mm, dst_addr);
    const dst_pmdval = dst_pmd.t.get(dst_pmd.i, new Pte());
    if (g.pmd_trans_huge(dst_pmdval)) { err = EEXIST; why.push('the destination is a huge PMD'); break; }
    const src_pmdval = src_pmd.t.get(src_pmd.i, new Pte());
    let step: number;
    if (g.pmd_trans_huge(src_pmdval)) {
      const pfn = g.pmd_pfn(src_pmdval);
      const hzp = isHugeZeroPfn(k, pfn);
      // 5d4747a6cc8e (v6.8): any huge zero PMD of the source is EBUSY, before a split or a move is
      // considered; eb1521dad8f3 (v6.9) removed that check when it taught both paths the zero page
      if (hzp && k.has(PATCH.uffdMoveHugeZeroPage) && !k.has(PATCH.uffdMoveZeropage)) {
        err = EBUSY; why.push('a huge zero PMD in the source'); break;
      }
      if (move_splits_huge_pmd(dst_addr, src_addr, src_start + len) || !g.pmd_none(dst_pmdval)) {
        // before 5d4747a6cc8e the huge zero page was asked PageAnonExclusive() too (an oops on CONFIG_DEBUG_VM);
        // from eb1521dad8f3 it is split without the question
        const excl = hzp ? (k.has(PATCH.uffdMoveZeropage) || huge_zero_anon_exclusive(k, src_addr)) : k.folios.pageAnonExclusive(k.folios.slotOf(pfn), pfn);
        if (!excl) { err = EBUSY; why.push('the source THP is not exclusive'); break; }
        __split_huge_pmd(k, mm, src_vma, src_pmd, haddrOf(src_addr), false);
        continue; // the folio is split by move_pages_pte
      }
      err = move_pages_huge_pmd(k, mm, dst_pmd, src_pmd, dst_vma, dst_addr, src_addr);
      step = HPAGE_PMD_SIZE;
    } else {
      if (g.pmd_none(src_pmdval)) {
        if (!(mode & UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES)) { err = ENOENT; why.push('a hole in the source'); break; }
        pte_alloc(k, mm, src_pmd);
      }
      err = move_pages_pte(k, mm, dst_pmd, src_pmd, dst_vma, src_vma, dst_addr, src_addr, mode);
      step = PAGE_SIZE;
    }
    if (err) { why.push(`at source 0x${src_addr.toString(16)}`); break; }
    dst_addr += step;
    src_addr += step;
    moved += step;
  }
  k.tr?.emit('uffdio_move', 'move_pages', { dst: dst_start, src: src_start, len, moved, errno: err ? ERRNO_NAME[-err] ?? -err : 0 });
  if (moved) return moved;
  if (err) throw new SyscallError(-err, why.join(': ') || 'move_pages');
  return moved;
}

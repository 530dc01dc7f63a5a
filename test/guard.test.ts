// Guard regions (mm/madvise.c madvise_guard_install / madvise_guard_remove, PTE_MARKER_GUARD in
// include/linux/swapops.h, mm/memory.c handle_pte_marker / zap_nonpresent_ptes / copy_pte_marker): the marker an
// install leaves, the fault on it, what zaps, fork, mprotect and UFFDIO_COPY do with it, and which releases
// take which VMAs (662df3e5c376 v6.13, f807123d578d and 8e2f2aeb8b48 v6.15, a516403787e0 v6.16).
import { describe, expect, it } from 'vitest';
import { kernel, run, errno, result, thread, pagemapBit, events, page, vmstat, anonHuge } from './helpers.js';
import { PATCH } from '../src/profiles/patches.js';

/** a guard marker as pagemap shows it to root (measured on this 6.18): PM_SWAP | PM_GUARD_REGION, type 31, offset 4 */
const GUARD_PAGEMAP = '0x440000000000009f';

/** private anonymous m (4 pages), `pre` in the setup, then `threads` */
function anon(pre: string, threads = '  t:\n    - read: { addr: m }', extra = ''): string {
  return `
name: guard
observe: { pages: [m, m + 4K, m + 8K] }
setup:
  - mmap: { as: m, len: 16K }
${extra}${pre}
threads:
${threads}
`;
}

describe('MADV_GUARD_INSTALL', () => {
  const v618 = kernel('v6.18');

  it('puts the guard marker in each PTE of the range; a read is SIGSEGV (VM_FAULT_SIGSEGV, SEGV_MAPERR), not a MISSING message', () => {
    const r = run(anon(`  - userfaultfd: { as: u, api: true }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
  - madvise: { addr: m, len: 8K, advice: guard_install, id: g }`, '  t:\n    - read: { addr: m + 4K }'), v618);
    expect(result(r, 'g')).toBe('0');
    expect(page(r, 'm').pagemap).toBe(GUARD_PAGEMAP);
    expect(page(r, 'm + 0x1000').pagemap).toBe(GUARD_PAGEMAP);
    expect(pagemapBit(r, 'm + 0x2000', 62)).toBe(0);
    expect(thread(r, 't')).toMatchObject({ state: 'signal', signal: 'SIGSEGV' });
    expect(events(r, 'handle_userfault')).toEqual([]);
    const sig = events(r, 'signal')[0]!;
    expect(sig).toMatchObject({ fn: 'mm_fault_error', code: 1 });
    expect(sig.ret_names).toContain('SIGSEGV');
    expect(events(r, 'madvise').find((e) => e.fn === 'madvise_guard_install')).toMatchObject({ installed: 2 });
    // nothing is allocated: no rss
    expect(r.observation.snapshots.final!.smaps['m']!.Rss).toBe(0);
  });

  it('is an unknown advice before v6.13 (EINVAL), install and remove alike, and leaves the PTEs alone', () => {
    const y = anon('  - write: { addr: m }\n  - madvise: { addr: m, len: 8K, advice: guard_install, id: g }\n  - madvise: { addr: m, len: 8K, advice: guard_remove, id: r }');
    const old = run(y, kernel('v6.12'));
    expect(errno(old, 'g')).toBe('EINVAL');
    expect(errno(old, 'r')).toBe('EINVAL');
    expect(pagemapBit(old, 'm', 63)).toBe(1);
    expect(thread(old, 't').signal).toBeNull();
    const without = run(y, kernel('v6.18', { remove: [PATCH.guardRegions, PATCH.guardRegionsFile, PATCH.pagemapGuardRegion] }));
    expect(errno(without, 'g')).toBe('EINVAL');
  });

  it('zaps pages and THPs in the range first (a THP the range covers in part is split), and keeps a guard marker already there', () => {
    const r = run(`
name: guard-thp
config: { thp: madvise }
observe: { pages: [m, m + 4K, h, h + 4K] }
setup:
  - mmap: { as: m, len: 16K }
  - memset: { addr: m, len: 16K, value: 1 }
  - madvise: { addr: m + 4K, len: 4K, advice: guard_install }
  - madvise: { addr: m, len: 8K, advice: guard_install, id: again }
  - mmap: { as: h, len: 4M, align: 2M }
  - madvise: { addr: h, len: 4M, advice: hugepage }
  - memset: { addr: h, len: 4M, value: 2 }
  - madvise: { addr: h + 4K, len: 4K, advice: guard_install, id: part }
  - madvise: { addr: h + 2M, len: 2M, advice: guard_install, id: whole }
`, v618);
    expect(result(r, 'again')).toBe('0');
    expect(page(r, 'm').pagemap).toBe(GUARD_PAGEMAP);
    expect(page(r, 'm + 0x1000').pagemap).toBe(GUARD_PAGEMAP);
    expect(events(r, 'madvise').filter((e) => e.fn === 'madvise_guard_install').map((e) => e.installed)).toEqual([1, 1, 1, 512]);
    expect(page(r, 'h + 0x1000').pagemap).toBe(GUARD_PAGEMAP);
    expect(pagemapBit(r, 'h', 63)).toBe(1);
    // the first THP was split (its other pages stay), the second zapped whole
    expect(vmstat(r, 'thp_split_pmd')).toBe(1);
    expect(anonHuge(r, 'h')).toBe(0);
    expect(r.observation.snapshots.final!.smaps['h']!.Rss).toBe(511 * 4);
  });

  it('refuses hugetlb (EINVAL) and, before f807123d578d (v6.15), anything but private anonymous memory', () => {
    const y = `
name: guard-vmas
setup:
  - mmap: { as: sh, len: 4K, flags: [shared, anonymous] }
  - memfd_create: { as: fd }
  - ftruncate: { fd: fd, len: 4K }
  - mmap: { as: priv, len: 4K, fd: fd, flags: [private] }
  - mmap: { as: huge, len: 2M, flags: [private, anonymous, hugetlb] }
  - mmap: { as: ro, len: 4K, prot: r }
  - madvise: { addr: sh, len: 4K, advice: guard_install, id: sh }
  - madvise: { addr: priv, len: 4K, advice: guard_install, id: priv }
  - madvise: { addr: huge, len: 2M, advice: guard_install, id: huge }
  - madvise: { addr: huge, len: 2M, advice: guard_remove, id: huge_rm }
  - madvise: { addr: ro, len: 4K, advice: guard_install, id: ro }
  - madvise: { addr: sh, len: 4K, advice: guard_remove, id: sh_rm }
`;
    const now = run(y, kernel('v6.18', {}, ['nr_hugepages=1']));
    expect(['sh', 'priv', 'huge', 'huge_rm', 'ro', 'sh_rm'].map((id) => errno(now, id))).toEqual([null, null, 'EINVAL', 'EINVAL', null, null]);
    const v613 = run(y, kernel('v6.18', { remove: [PATCH.guardRegionsFile, PATCH.pagemapGuardRegion, PATCH.pagemapScanGuard] }, ['nr_hugepages=1']));
    expect(['sh', 'priv', 'huge', 'huge_rm', 'ro', 'sh_rm'].map((id) => errno(v613, id))).toEqual(['EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', null, 'EINVAL']);
  });
});

describe('the guard marker', () => {
  const v618 = kernel('v6.18');

  it('outlives MADV_DONTNEED, MADV_FREE and mprotect; munmap drops it', () => {
    const r = run(anon(`  - madvise: { addr: m, len: 8K, advice: guard_install }
  - madvise: { addr: m, len: 16K, advice: [dontneed, free] }
  - mprotect: { addr: m, len: 16K, prot: r }
  - mprotect: { addr: m, len: 16K, prot: rw }
  - checkpoint: kept
  - munmap: { addr: m + 4K, len: 4K }
  - mmap: { addr: m + 4K, len: 4K, flags: [private, anonymous, fixed] }`, '  t:\n    - read: { addr: m + 4K }'), v618);
    expect(page(r, 'm', 'kept').pagemap).toBe(GUARD_PAGEMAP);
    expect(page(r, 'm + 0x1000', 'kept').pagemap).toBe(GUARD_PAGEMAP);
    expect(page(r, 'm').pagemap).toBe(GUARD_PAGEMAP);
    expect(pagemapBit(r, 'm + 0x1000', 58)).toBe(0);
    expect(thread(r, 't').signal).toBeNull();
  });

  it('is copied by fork (MADV_GUARD_INSTALL gave the VMA its anon_vma, so page tables are copied with no page written)', () => {
    const r = run(`
name: guard-fork
observe: { pages: [m], process: [main, child] }
setup:
  - mmap: { as: m, len: 16K }
  - madvise: { addr: m, len: 4K, advice: guard_install }
threads:
  t:
    - fork: { as: child }
  kid:
    process: child
    ops:
      - checkpoint: forked
      - write: { addr: m }
`, v618);
    expect(thread(r, 'kid')).toMatchObject({ state: 'signal', signal: 'SIGSEGV' });
    // (seen before the write: the SIGSEGV takes the child down whole, its pagemap with it)
    expect(page(r, 'child:m', 'forked').pagemap).toBe(GUARD_PAGEMAP);
    expect(page(r, 'm').pagemap).toBe(GUARD_PAGEMAP);
  });

  it('MADV_GUARD_REMOVE clears guard markers only: pages stay, and an anonymous guard page reads as zeroes afterwards', () => {
    const r = run(anon(`  - write: { addr: m + 8K, value: 7 }
  - madvise: { addr: m, len: 8K, advice: guard_install }
  - madvise: { addr: m, len: 16K, advice: guard_remove, id: rm }`, '  t:\n    - read: { addr: m }'), v618);
    expect(result(r, 'rm')).toBe('0');
    expect(events(r, 'madvise').find((e) => e.fn === 'madvise_guard_remove')).toMatchObject({ removed: 2 });
    expect(pagemapBit(r, 'm + 0x2000', 63)).toBe(1);
    expect(pagemapBit(r, 'm + 0x1000', 62)).toBe(0);
    expect(thread(r, 't').signal).toBeNull();
  });

  it('UFFDIO_COPY fills it (pte_none_mostly on 6.18), UFFDIO_ZEROPAGE and UFFDIO_POISON find it busy (EEXIST)', () => {
    const r = run(anon(`  - mmap: { as: src, len: 4K }
  - write: { addr: src, value: 0x5a }
  - madvise: { addr: m, len: 12K, advice: guard_install }
  - userfaultfd: { as: u, api: true }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
  - uffdio_copy: { uffd: u, dst: m, src: src, len: 4K, id: c }
  - uffdio_zeropage: { uffd: u, addr: m + 4K, len: 4K, id: z }
  - uffdio_poison: { uffd: u, addr: m + 8K, len: 4K, id: p }`), v618);
    expect(result(r, 'c')).toBe('4096');
    expect(errno(r, 'z')).toBe('EEXIST');
    expect(errno(r, 'p')).toBe('EEXIST');
    expect(pagemapBit(r, 'm', 63)).toBe(1);
    expect(page(r, 'm + 0x1000').pagemap).toBe(GUARD_PAGEMAP);
    expect(thread(r, 't').signal).toBeNull();
  });

  it('reads as a plain swap entry in pagemap before 8e2f2aeb8b48 (v6.15) and has no PAGE_IS_GUARD before a516403787e0 (v6.16)', () => {
    const y = anon(`  - madvise: { addr: m, len: 4K, advice: guard_install }
  - pagemap_scan: { addr: m, len: 4K, return_mask: [swapped, written], id: scan }`);
    const v614 = run(y, kernel('v6.18', { remove: [PATCH.pagemapGuardRegion, PATCH.pagemapScanGuard, PATCH.guardRegionsFile] }));
    expect(page(v614, 'm').pagemap).toBe('0x400000000000009f');
    expect(result(v614, 'scan')).toMatch(/^1 /);
    const now = run(anon(`  - madvise: { addr: m, len: 4K, advice: guard_install }
  - pagemap_scan: { addr: m, len: 4K, category_mask: [guard], return_mask: [guard], id: scan }`), v618);
    expect(now.observation.ops['scan']!.out).toMatchObject({ regions: [{ categories: 0x100 }] });
  });

  it('passes debug_vm\'s page-table checks, and a file VMA\'s uffd-wp marker under an install is refused (the kernel restarts the call for ever)', () => {
    const dbg = kernel('v6.18', {}, ['debug_vm=y']);
    const ok = run(anon(`  - write: { addr: m }
  - madvise: { addr: m, len: 8K, advice: guard_install }`, '  t:\n    - fork: { as: c }'), dbg);
    expect(events(ok, 'bug')).toEqual([]);
    expect(() => run(`
name: guard-file-wp
setup:
  - memfd_create: { as: fd }
  - ftruncate: { fd: fd, len: 8K }
  - mmap: { as: m, len: 8K, fd: fd }
  - userfaultfd: { as: u, api: true, features: [wp_unpopulated] }
  - uffdio_register: { uffd: u, addr: m, len: 8K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 8K, mode: [wp] }
  - madvise: { addr: m, len: 4K, advice: guard_install }
`, v618)).toThrow(/not modelled: MADV_GUARD_INSTALL over an entry its zap leaves/);
  });
});

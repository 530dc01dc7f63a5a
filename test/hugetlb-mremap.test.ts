// mremap of hugetlb VMAs (src/kernel/mm/mremap.ts align_hugetlb, src/kernel/mm/hugetlb.ts
// move_hugetlb_page_tables): the releases before and after 550a7d60bd5e (v5.16), the reservation map going with
// the new VMA (the pool's check holds after a move), the declared limit for a partial move of a reservation
// owner, and the uffd-wp bits before and after 0cef0bb836e3.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../src/run.js';
import { Kernel } from '../src/kernel/kernel.js';
import { do_mmap } from '../src/kernel/mm/mmap.js';
import { do_mremap, mremap_uf } from '../src/kernel/mm/mremap.js';
import { do_user_addr_fault } from '../src/kernel/arch/x86/mm/fault.js';
import { debug_vm_check } from '../src/kernel/mm/debug_vm.js';
import { MAP_ANONYMOUS, MAP_HUGETLB, MAP_NORESERVE, MAP_PRIVATE, MREMAP_FIXED, MREMAP_MAYMOVE } from '../src/kernel/include/uapi.js';
import { ScenarioError } from '../src/scenario/error.js';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { errno, kernel, pagemapBit, run } from './helpers.js';

const M2 = 2 * 1024 * 1024;
const UFFD_WP = 57, PRESENT = 63;
const meminfo = (r: RunResult, n: string, at = 'final') => r.observation.snapshots[at]!.meminfo![n];

const MOVE = `
name: hm
config: { nr_hugepages: 4 }
observe: { pages: [m, c] }
setup:
  - mmap: { as: m, len: 4M, flags: [private, anonymous, hugetlb] }
  - write: { addr: m, value: 1 }
  - mmap: { as: dst, len: 8M, align: 2M, prot: none }
  - mremap: { addr: m, old_len: 4M, new_len: 4M, flags: [maymove, fixed], new_addr: dst + 2M, as: c, id: mv }
  - mremap: { addr: c, old_len: 4M, new_len: 2M, id: shrink }
expect:
  - { op: mv, result: dst + 2M }
`;

describe('mremap of a hugetlb VMA', () => {
  it('moves from v5.16 (550a7d60bd5e); before, a move is EINVAL and a shrink in place still works', () => {
    const before = `
name: hm-old
config: { nr_hugepages: 4 }
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4M, flags: [private, anonymous, hugetlb] }
  - write: { addr: m, value: 1 }
  - mmap: { as: dst, len: 8M, align: 2M, prot: none }
  - mremap: { addr: m, old_len: 4M, new_len: 4M, flags: [maymove, fixed], new_addr: dst + 2M, id: mv }
  - mremap: { addr: m, old_len: 4M, new_len: 2M, id: shrink }
  - mremap: { addr: m, old_len: 2M, new_len: 4M, flags: [maymove], id: grow }
`;
    const old = run(before, kernel('v5.14', {}, ['nr_hugepages=4']));
    expect([errno(old, 'mv'), errno(old, 'shrink'), errno(old, 'grow')]).toEqual(['EINVAL', null, 'EINVAL']);
    expect(pagemapBit(old, 'm', PRESENT)).toBe(1);
    for (const p of ['v5.17', 'v6.12', 'v6.18']) {
      const r = run(MOVE, kernel(p, {}, ['nr_hugepages=4']));
      expect([errno(r, 'mv'), errno(r, 'shrink')]).toEqual([null, null]);
      expect(r.ok).toBe(true);
      expect(pagemapBit(r, 'c', PRESENT)).toBe(1);
      // the moved owner's map went with it: its unused reservation was returned when the tail was unmapped
      expect([meminfo(r, 'HugePages_Free'), meminfo(r, 'HugePages_Rsvd')]).toEqual([3, 0]);
    }
  });

  it('hands the private reservation map to the new VMA: the pool check holds, the old range\'s close returns nothing', () => {
    const k = new Kernel(kernel('v6.18', {}, ['nr_hugepages=4', 'debug_vm=y']));
    const mm = k.newMm();
    k.current = k.newTask('main', mm);
    const a = do_mmap(k, mm, { addr: 0, len: 3 * M2, prot: 3, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, align: 4096, label: 'm' });
    expect(do_user_addr_fault(k, k.current!, a + M2, 6).kind).toBe('done');
    const dst = 0x7e0000000000;
    const r = do_mremap(k, mm, a, 3 * M2, 3 * M2, MREMAP_MAYMOVE | MREMAP_FIXED, dst, mremap_uf());
    expect(r).toBe(dst);
    expect([k.hstate.free_huge_pages, k.hstate.resv_huge_pages]).toEqual([3, 2]);
    expect(debug_vm_check(k)).toEqual([]);
    // the unused reservations are still the new VMA's: faults there take them
    expect(do_user_addr_fault(k, k.current!, dst, 6).kind).toBe('done');
    expect([k.hstate.free_huge_pages, k.hstate.resv_huge_pages]).toEqual([2, 1]);
    expect(debug_vm_check(k)).toEqual([]);
  });

  it('refuses a partial move of a mapping that owns its reservations, and moves part of one that owns none', () => {
    const part = (flags: string) => `
name: hm-part
config: { nr_hugepages: 4 }
observe: { pages: [c] }
setup:
  - mmap: { as: m, len: 4M, flags: [${flags}] }
  - write: { addr: m + 2M, value: 1 }
  - mmap: { as: dst, len: 8M, align: 2M, prot: none }
  - mremap: { addr: m + 2M, old_len: 2M, new_len: 2M, flags: [maymove, fixed], new_addr: dst, as: c, id: mv }
`;
    let e: unknown = null;
    try {
      run(part('private, anonymous, hugetlb'), kernel('v6.18', {}, ['nr_hugepages=4']));
    } catch (x) { e = x; }
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as ScenarioError).detail).toMatch(/^not modelled: mremap of part of a private hugetlb mapping that owns its reservations/);
    for (const f of ['private, anonymous, hugetlb, noreserve', 'shared, anonymous, hugetlb']) {
      const r = run(part(f), kernel('v6.18', {}, ['nr_hugepages=4']));
      expect(errno(r, 'mv')).toBe(null);
      expect(pagemapBit(r, 'c', PRESENT)).toBe(1);
    }
  });

  it('aligns each hugetlb piece of a multi-VMA move (v6.17): an unaligned destination is EINVAL, lengths round up', () => {
    const k = new Kernel(kernel('v6.18', {}, ['nr_hugepages=4']));
    const mm = k.newMm();
    k.current = k.newTask('main', mm);
    const a = do_mmap(k, mm, { addr: 0, len: M2, prot: 3, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE, align: 4096, label: 'm' });
    expect(() => do_mremap(k, mm, a, M2, M2, MREMAP_MAYMOVE | MREMAP_FIXED, 0x7e0000001000, mremap_uf())).toThrow(/EINVAL|2 MiB/);
    // 4 KiB of a 2 MiB hugetlb VMA moves the whole huge page
    expect(do_mremap(k, mm, a, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, 0x7e0000000000, mremap_uf())).toBe(0x7e0000000000);
    expect(mm.vmas.find((v) => v.vm_start === 0x7e0000000000)!.vm_end).toBe(0x7e0000000000 + M2);
  });

  it('keeps the uffd-wp bit and marker in an unregistered destination before 0cef0bb836e3 (v6.11), clears them after', () => {
    const sc = `
name: hm-wp
config: { nr_hugepages: 4 }
observe: { pages: [c, c + 0x200000] }
setup:
  - mmap: { as: m, len: 4M, flags: [private, anonymous, hugetlb] }
  - write: { addr: m, value: 1 }
  - mmap: { as: dst, len: 8M, align: 2M, prot: none }
  - userfaultfd: { as: u, api: true, features: [wp_hugetlbfs_shmem] }
  - uffdio_register: { uffd: u, addr: m, len: 4M, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 4M, mode: [wp] }
  - mremap: { addr: m, old_len: 4M, new_len: 4M, flags: [maymove, fixed], new_addr: dst + 2M, as: c }
`;
    const old = run(sc, kernel('v6.11', {}, ['nr_hugepages=4']));
    expect([pagemapBit(old, 'c', UFFD_WP), pagemapBit(old, 'c + 0x200000', UFFD_WP)]).toEqual([1, 1]);
    const now = run(sc, kernel('v6.18', {}, ['nr_hugepages=4']));
    expect([pagemapBit(now, 'c', UFFD_WP), pagemapBit(now, 'c + 0x200000', UFFD_WP)]).toEqual([0, 0]);
    expect(pagemapBit(now, 'c', PRESENT)).toBe(1);
  });
});

describe('the uffd events of a hugetlb mremap are of the lengths align_hugetlb rounded up', () => {
  it('a 4 KiB and a 12 KiB move of a hugetlb mapping send REMAP and UNMAP messages of 2 MiB (host fuzz 6449 run 1464)', () => {
    const sc = loadScenario('scenarios/differential/mremap-hugetlb-short-len-events.yaml');
    const r = runScenario(sc, kernel('v6.18', {}, ['nr_hugepages=4']));
    const msg = (n: string) => r.observation.msgs[n]!;
    // REMAP: from, to, len (the rounded length, 2 MiB)
    expect([msg('remap').event, msg('remap').where]).toEqual([0x14, 'a+0x200000']);
    // UNMAP of the old range: [start, end) = [a, a + 2 MiB), [b, b + 2 MiB): not 4 KiB, not 12 KiB
    expect([msg('unmap_a').event, msg('unmap_a').where]).toEqual([0x16, 'a+0x200000']);
    expect([msg('unmap_b').event, msg('unmap_b').where]).toEqual([0x16, 'b+0x200000']);
  });
});

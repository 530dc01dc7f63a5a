// hugetlb with a pool (src/kernel/mm/hugetlb.ts): the hstate counters through reservations, faults, COW,
// zaps and munmap; the reservation map's cells follow their VMA, are zero once it is gone, and equal states
// reached in different orders have equal cells; the host requirement and the pool the differential run asks for.
import { describe, expect, it } from 'vitest';
import { expectStateFileRestore } from './statefile-restore.js';
import { Kernel } from '../src/kernel/kernel.js';
import type { MmStruct } from '../src/kernel/include/mm_types.js';
import { do_mmap, do_munmap } from '../src/kernel/mm/mmap.js';
import { do_user_addr_fault } from '../src/kernel/arch/x86/mm/fault.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_HUGETLB, MAP_NORESERVE, MAP_PRIVATE, MAP_SHARED } from '../src/kernel/include/uapi.js';
import { Pte } from '../src/kernel/arch/x86/include/pte.js';
import { debug_vm_check } from '../src/kernel/mm/debug_vm.js';
import { memfd_create, MFD_HUGETLB } from '../src/kernel/mm/shmem.js';
import { hugetlbfs_fallocate, hugetlbfs_setattr_size } from '../src/kernel/fs/hugetlbfs.js';
import { mfill_atomic_hugetlb_continue } from '../src/kernel/mm/hugetlb.js';
import { pmdTable } from '../src/kernel/mm/pagewalk.js';
import { pmd_index } from '../src/kernel/mm/pgtable.js';
import { SyscallError } from '../src/kernel/include/errno.js';
import { kernel, run } from './helpers.js';
import { needsHugetlbPool, restoreHugetlbPool, scenarioHugepages } from '../src/host/hugetlb.js';
import { loadScenario } from '../src/scenario/load.js';

const WRITE = 6, READ = 4;
const HUGE = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
const M2 = 2 * 1024 * 1024;

function world(pool: number, profile = 'v6.18'): { k: Kernel; mm: MmStruct } {
  const k = new Kernel(kernel(profile, {}, [`nr_hugepages=${pool}`]));
  const mm = k.newMm();
  k.current = k.newTask('main', mm);
  return { k, mm };
}
const counts = (k: Kernel) => [k.hstate.nr_huge_pages, k.hstate.free_huge_pages, k.hstate.resv_huge_pages];
function mmap(k: Kernel, mm: MmStruct, len: number, flags = HUGE, addr = 0): number {
  return do_mmap(k, mm, { addr, len, prot: 3, flags: flags | (addr ? MAP_FIXED : 0), align: 4096, label: 'm' });
}

describe('the hugetlb pool', () => {
  it('reserves at mmap, takes the reservation at the first fault, gives both back at munmap', () => {
    const { k, mm } = world(3);
    expect(counts(k)).toEqual([3, 3, 0]);
    const a = mmap(k, mm, 2 * M2);
    expect(a % M2).toBe(0);
    expect(counts(k)).toEqual([3, 3, 2]);
    expect(do_user_addr_fault(k, k.current!, a + 4096, WRITE).kind).toBe('done');
    expect(counts(k)).toEqual([3, 2, 1]);
    expect(k.hstate.usage(mm)).toBe(512);
    // a third page is free and unreserved: a MAP_NORESERVE mapping may fault it in, a fourth would be SIGBUS
    const b = mmap(k, mm, 2 * M2, HUGE | MAP_NORESERVE);
    expect(counts(k)).toEqual([3, 2, 1]);
    expect(do_user_addr_fault(k, k.current!, b, READ).kind).toBe('done');
    expect(counts(k)).toEqual([3, 1, 1]);
    expect(do_user_addr_fault(k, k.current!, b + M2, READ).kind).toBe('signal');
    // a mapping the pool cannot cover is ENOMEM, and leaves the counts as they were
    expect(() => mmap(k, mm, 2 * M2)).toThrow(SyscallError);
    expect(counts(k)).toEqual([3, 1, 1]);
    do_munmap(k, mm, a, 2 * M2);
    expect(counts(k)).toEqual([3, 2, 0]);
    do_munmap(k, mm, b, 2 * M2);
    expect(counts(k)).toEqual([3, 3, 0]);
    expect(k.hstate.usage(mm)).toBe(0);
  });

  it('keeps a VMA\'s reservation map with it when VMAs before it come and go, and zeroes it when the VMA goes', () => {
    const { k, mm } = world(2);
    const base = 0x7f0000000000;
    const a = mmap(k, mm, 2 * M2, HUGE, base + 8 * M2);
    do_user_addr_fault(k, k.current!, a, WRITE);
    const slot0 = mm.vmas[0]!.slot;
    // an anonymous mapping below it moves the hugetlb VMA up one slot: the consumed index goes with it
    mmap(k, mm, 4096, MAP_PRIVATE | MAP_ANONYMOUS, base);
    expect(mm.vmas[1]!.slot).toBe(slot0 + 1);
    expect(k.hugetlbResv.get(slot0 * 64)).toBe(0);
    do_munmap(k, mm, a, M2); // the first huge page (consumed) goes: no reservation to give back for it
    expect(counts(k)).toEqual([2, 2, 1]);
    do_munmap(k, mm, a + M2, M2);
    expect(counts(k)).toEqual([2, 2, 0]);
    for (let i = 0; i < 4 * 64; i++) expect(k.hugetlbResv.get(i), `cell ${i}`).toBe(0);
  });

  it('reaches equal pool and reservation cells by two orders of the same faults', () => {
    const cells = (k: Kernel) => ['vma', 'hugetlb', 'hugetlb.resv'].map((name) => {
      const seg = k.st.segs.find((x) => k.st.specs[x.id]!.name === name)!;
      const out: number[] = [];
      seg.forEachLeaf((base, leaf) => { for (let j = 0; j < 64; j++) if (leaf[j] !== 0) out.push(base + j, leaf[j]!); });
      return out;
    });
    const make = (order: number[]) => {
      const { k, mm } = world(2);
      const a = mmap(k, mm, 2 * M2, HUGE, 0x7f0000000000);
      for (const i of order) do_user_addr_fault(k, k.current!, a + i * M2, WRITE);
      return cells(k);
    };
    expect(make([1, 0])).toEqual(make([0, 1]));
  });

  it('a copy of the kernel has its own pool', () => {
    const { k, mm } = world(1);
    const a = mmap(k, mm, M2);
    const c = k.clone();
    do_user_addr_fault(k, k.current!, a, WRITE);
    expect(counts(k)).toEqual([1, 0, 0]);
    expect(counts(c)).toEqual([1, 1, 1]);
  });

  it('a scenario\'s pool is its nr_hugepages config, and the host needs one for a hugetlb mapping', () => {
    const sc = loadScenario('p.yaml', 'name: p\nconfig: { nr_hugepages: 3 }\nsetup:\n  - mmap: { as: m, len: 2M, flags: [private, anonymous, hugetlb] }\n');
    expect([needsHugetlbPool(sc), scenarioHugepages(sc)]).toEqual([true, 3]);
    const plain = loadScenario('p.yaml', 'name: p\nsetup:\n  - mmap: { as: m, len: 4K }\n');
    expect([needsHugetlbPool(plain), scenarioHugepages(plain)]).toEqual([false, 0]);
  });

  it('mmsim gives vm.nr_hugepages back from the state file of an executor that is gone, never of one alive', () => {
    expectStateFileRestore({ env: 'MMSIM_HUGETLB_STATE', now: '4', prev: '2', expected: 2, restore: restoreHugetlbPool });
  });

  it('meminfo reports the pool in every snapshot', () => {
    const r = run('name: p\nobserve: { pages: [m] }\nsetup:\n  - mmap: { as: m, len: 2M, flags: [private, anonymous, hugetlb] }\n  - checkpoint: mapped\n  - write: { addr: m, value: 1 }\n',
      kernel('v6.18', {}, ['nr_hugepages=2']));
    expect(r.observation.snapshots.mapped!.meminfo).toEqual({ HugePages_Total: 2, HugePages_Free: 2, HugePages_Rsvd: 1, HugePages_Surp: 0 });
    expect(r.observation.snapshots.final!.meminfo).toEqual({ HugePages_Total: 2, HugePages_Free: 1, HugePages_Rsvd: 0, HugePages_Surp: 0 });
  });
});

// ---- shared hugetlb: the file's page cache and reservation map (hugeshared) ------------------------------
describe('shared hugetlb', () => {
  const SHARED = MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB;
  const cellsOf = (k: Kernel, name: string) => {
    const seg = k.st.segs.find((x) => k.st.specs[x.id]!.name === name)!;
    const out: number[] = [];
    seg.forEachLeaf((base, leaf) => { for (let j = 0; j < 64; j++) if (leaf[j] !== 0) out.push(base + j, leaf[j]!); });
    return out;
  };

  it('reserves every huge page of the file at mmap, keeps a faulted page in the cache after munmap of a second mapping, and gives all back when the file goes', () => {
    const { k, mm } = world(3);
    const a = mmap(k, mm, 2 * M2, SHARED);
    expect(counts(k)).toEqual([3, 3, 2]);
    const ino = mm.vmas[0]!.vm_file;
    expect(k.inode(ino)!.i_size).toBe(2 * M2);
    expect(do_user_addr_fault(k, k.current!, a + 4096, WRITE).kind).toBe('done');
    expect(counts(k)).toEqual([3, 2, 1]);
    expect(k.inode(ino)!.nrpages).toBe(512);
    // the cache holds one reference per base page, the mapping one
    const slot = k.folios.slotOf(k.pgt.pte_pfn(pmdEntry(k, mm, a)));
    expect(k.folios.refcount(slot)).toBe(513);
    expect(debug_vm_check(k)).toEqual([]);
    do_munmap(k, mm, a, 2 * M2);
    // the VMA held the file's only reference: evicted, page and reservation back, the map's cells zero
    expect(counts(k)).toEqual([3, 3, 0]);
    expect(k.inode(ino)!.live).toBe(false);
    expect(cellsOf(k, 'hugetlb.resv')).toEqual([]);
    expect(debug_vm_check(k)).toEqual([]);
  });

  it('a memfd of hugetlbfs: a size in huge pages, a second mapping reserves nothing more, truncation gives back pages and reservations', () => {
    const { k, mm } = world(4);
    const m = memfd_create(k, k.current!, 'h', MFD_HUGETLB);
    expect(() => hugetlbfs_setattr_size(k, m, M2 + 4096)).toThrow(SyscallError);
    hugetlbfs_setattr_size(k, m, 2 * M2);
    const file = { m, read: true, write: true };
    const a = do_mmap(k, mm, { addr: 0, len: 2 * M2, prot: 3, flags: MAP_SHARED, align: 4096, label: 'a', file });
    expect(counts(k)).toEqual([4, 4, 2]);
    const b = do_mmap(k, mm, { addr: 0, len: 2 * M2, prot: 3, flags: MAP_SHARED, align: 4096, label: 'b', file });
    expect(counts(k)).toEqual([4, 4, 2]);
    do_user_addr_fault(k, k.current!, a, WRITE);
    do_user_addr_fault(k, k.current!, b, READ);
    // one page in the cache, mapped twice
    expect(counts(k)).toEqual([4, 3, 1]);
    expect(k.pgt.pte_pfn(pmdEntry(k, mm, a))).toBe(k.pgt.pte_pfn(pmdEntry(k, mm, b)));
    expect(debug_vm_check(k)).toEqual([]);
    hugetlbfs_setattr_size(k, m, 0);
    expect(counts(k)).toEqual([4, 4, 0]);
    expect(k.pgt.pte_none(pmdEntry(k, mm, a))).toBe(true);
    expect(debug_vm_check(k)).toEqual([]);
  });

  it('debug_vm names a pool count that the reservation maps do not account for', () => {
    const { k, mm } = world(2);
    mmap(k, mm, M2, SHARED);
    expect(debug_vm_check(k)).toEqual([]);
    k.hstate.resv_huge_pages = 2;
    expect(debug_vm_check(k).map((b) => b.check)).toContain('hugetlb-resv');
  });

  it('reaches equal cells by two orders of the same faults on a shared mapping', () => {
    const make = (order: number[]) => {
      const { k, mm } = world(2);
      const a = mmap(k, mm, 2 * M2, SHARED, 0x7f0000000000);
      for (const i of order) do_user_addr_fault(k, k.current!, a + i * M2, WRITE);
      // (the cache's cells hold folio slots, which follow the allocation order as for any page cache)
      return ['hugetlb', 'hugetlb.resv', 'inode'].map((n) => cellsOf(k, n));
    };
    expect(make([1, 0])).toEqual(make([0, 1]));
  });

  it('a copy of the kernel has its own file cache and reservations', () => {
    const { k, mm } = world(1);
    const a = mmap(k, mm, M2, SHARED);
    const c = k.clone();
    do_user_addr_fault(k, k.current!, a, WRITE);
    expect(counts(k)).toEqual([1, 0, 0]);
    expect(counts(c)).toEqual([1, 1, 1]);
    expect(c.inode(mm.vmas[0]!.vm_file)!.nrpages).toBe(0);
  });
});

/** the huge entry of addr (the PMD slot) */
function pmdEntry(k: Kernel, mm: MmStruct, addr: number): Pte {
  return pmdTable(k, mm, addr)!.get(pmd_index(addr), new Pte());
}

describe('UFFDIO_CONTINUE on hugetlb (mfill_atomic_hugetlb_continue, for the "minor" work\'s hook)', () => {
  it('maps the cached huge page: writable in a shared mapping, read-only in a private one; EFAULT without a page, EEXIST over an entry', () => {
    const { k, mm } = world(3);
    const m = memfd_create(k, k.current!, 'c', MFD_HUGETLB);
    hugetlbfs_fallocate(k, m, 0, 0, M2);
    const file = { m, read: true, write: true };
    const sh = do_mmap(k, mm, { addr: 0, len: 2 * M2, prot: 3, flags: MAP_SHARED, align: 4096, label: 's', file });
    const pv = do_mmap(k, mm, { addr: 0, len: M2, prot: 3, flags: MAP_PRIVATE, align: 4096, label: 'p', file });
    const g = k.pgt;
    expect(mfill_atomic_hugetlb_continue(k, mm, mm.vmas.find((v) => v.vm_start === sh)!, sh, M2, false)).toBe(M2);
    const e = pmdEntry(k, mm, sh);
    expect([g.pte_present(e), g.pte_write(e), g.pte_dirty(e)]).toEqual([true, true, true]);
    expect(mfill_atomic_hugetlb_continue(k, mm, mm.vmas.find((v) => v.vm_start === pv)!, pv, M2, false)).toBe(M2);
    const p = pmdEntry(k, mm, pv);
    expect([g.pte_present(p), g.pte_write(p), g.pte_pfn(p)]).toEqual([true, false, g.pte_pfn(e)]);
    const errOf = (f: () => unknown) => { try { f(); } catch (x) { return (x as SyscallError).errno; } return 0; };
    const shv = mm.vmas.find((v) => v.vm_start === sh)!;
    expect(errOf(() => mfill_atomic_hugetlb_continue(k, mm, shv, sh, M2, false))).toBe(17); // EEXIST
    expect(errOf(() => mfill_atomic_hugetlb_continue(k, mm, shv, sh + M2, M2, false))).toBe(14); // EFAULT
    // a shared mapping's second index and the private mapping's page stay reserved
    expect(counts(k)).toEqual([3, 2, 2]);
    expect(debug_vm_check(k)).toEqual([]);
  });
});

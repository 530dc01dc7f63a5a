// Reclaim of shmem (MADV_PAGEOUT, MADV_COLD and the reclaim device on shared and file mappings, @v6.18): what the
// page cache, the swap device and the folios hold after a page is swapped out of a file and back in, and that the
// differential scenarios of shmem reclaim hold the debug checks (CONFIG_DEBUG_VM) at every step.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { loadScenario } from '../src/scenario/load.js';
import { Machine } from '../src/sched/machine.js';
import { runScenario } from '../src/run.js';
import { kernel, kpfBit, pagemapBit, run } from './helpers.js';
import { PG_active, PG_dirty, PG_swapcache } from '../src/kernel/mm/folio.js';
import { __swap_count } from '../src/kernel/mm/swapfile.js';
import type { AddressSpace } from '../src/kernel/mm/filemap.js';
import { debug_vm_check } from '../src/kernel/mm/debug_vm.js';
import { PINNED_SHMEM_PAGEOUT } from './scenarios.js';

function machine(yaml: string, config: string[] = []): Machine {
  const m = new Machine(loadScenario('inline.yaml', yaml), kernel('v6.18', {}, config));
  m.runSetup();
  return m;
}

/** the memfd's inode (the first file the scenario made) */
function inode(m: Machine): AddressSpace {
  return m.k.inode(1)!;
}

const FOUR = `
name: shmem-pageout
setup:
  - swapon: { pages: 64 }
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 16K }
  - mmap: { as: m, len: 16K, fd: f }
  - write: { addr: m, value: 1 }
  - write: { addr: m + 4K, value: 0 }
  - read: { addr: m + 8K, as: r }
  - madvise: { addr: m, len: 16K, advice: pageout }
`;

describe('shmem_writeout: a page leaves the page cache for the swap cache', () => {
  it('a written page: its cache slot holds its swap entry (one swap reference), the folio stays in the swap cache, clean', () => {
    const m = machine(FOUR);
    const k = m.k, ino = inode(m);
    const off = ino.swapAt(0);
    expect(off).toBeGreaterThan(0);
    expect(ino.folioAt(0)).toBe(-1);
    expect(__swap_count(k, off)).toBe(1);
    const slot = k.swap.cacheSlot(off);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect([k.folios.test(slot, PG_swapcache), k.folios.test(slot, PG_dirty), k.folios.refcount(slot)]).toEqual([true, false, 1]);
    // the zero-filled page is swapped too (zeromap), its folio freed; the clean page (a hole read) just dropped
    const zoff = ino.swapAt(1);
    expect(zoff).toBeGreaterThan(0);
    expect(k.swap.cacheSlot(zoff)).toBe(-1);
    expect([ino.swapAt(2), ino.folioAt(2)]).toEqual([-1, -1]);
    expect([ino.swapped, ino.nrpages, k.swap.inuse]).toEqual([2, 0, 2]);
    expect(k.mms[0]!.shmemPages).toBe(0);
  });

  it('a fault swaps the page back into the page cache: dirty, out of the swap cache, its slot free; from the slot, a major fault', () => {
    const r = run(FOUR.replace('name: shmem-pageout', 'name: back\nobserve: { pages: [m, m + 4K] }') + `threads:
  t:
    - read: { addr: m, as: a }
    - read: { addr: m + 4K, as: b }
`, kernel('v6.18'));
    const t = r.observation.threads['t']!;
    expect([t.minflt, t.majflt]).toEqual([1, 1]);
    expect([kpfBit(r, 'm', 4), kpfBit(r, 'm', 13), kpfBit(r, 'm', 6)]).toEqual([1, 0, 0]);
    // the zero-filled page came back from its slot: a refault, active
    expect([kpfBit(r, 'm + 0x1000', 4), kpfBit(r, 'm + 0x1000', 6)]).toEqual([1, 1]);
    const m = machine(FOUR + '  - read: { addr: m, as: a }\n  - pread: { fd: f, offset: 4K, len: 1, as: b }\n');
    expect([inode(m).swapped, inode(m).nrpages, m.k.swap.inuse]).toEqual([0, 2, 0]);
    expect(m.k.folios.test(inode(m).folioAt(1), PG_dirty)).toBe(true);
  });

  it('without swap the page is unmapped, redirtied and activated, still cached; MADV_COLD only deactivates', () => {
    const m = machine(FOUR.replace('  - swapon: { pages: 64 }\n', ''));
    const ino = inode(m), f = m.k.folios;
    const s = ino.folioAt(0);
    expect([ino.swapped, ino.swapAt(0), f.test(s, PG_dirty), f.test(s, PG_active), f.folioMapped(s)]).toEqual([0, -1, true, true, false]);
    const c = machine(FOUR.replace('advice: pageout', 'advice: cold'));
    expect([inode(c).swapped, inode(c).nrpages, c.k.mms[0]!.shmemPages]).toEqual([0, 3, 3]);
  });

  it('a punched hole, a truncation and the last close free the swap entries and their slots', () => {
    const punched = machine(FOUR + '  - fallocate: { fd: f, mode: [keep_size, punch_hole], offset: 0, len: 4K }\n');
    expect([inode(punched).swapAt(0), inode(punched).swapped, punched.k.swap.inuse]).toEqual([-1, 1, 1]);
    const truncated = machine(FOUR + '  - ftruncate: { fd: f, len: 0 }\n');
    expect([inode(truncated).swapped, truncated.k.swap.inuse]).toEqual([0, 0]);
    const closed = machine(FOUR + '  - munmap: { addr: m, len: 16K }\n  - close: f\n');
    expect([inode(closed).live, closed.k.swap.inuse, closed.k.swap.cacheSlot(1)]).toEqual([false, 0, -1]);
  });

  it('swapoff brings every page of the file back (shmem_unuse), dirty, and the device goes empty', () => {
    const m = machine(FOUR + '  - swapoff: true\n');
    const ino = inode(m);
    expect([ino.swapped, ino.nrpages, m.k.swap.max]).toEqual([0, 2, 0]);
    expect([m.k.folios.test(ino.folioAt(0), PG_dirty), m.k.folios.test(ino.folioAt(0), PG_swapcache)]).toEqual([true, false]);
  });

  it('the debug checks catch a swapped count that disagrees with the cache, and an entry whose slot is free', () => {
    const m = machine(FOUR);
    expect(debug_vm_check(m.k)).toEqual([]);
    inode(m).swapped = 3;
    expect(debug_vm_check(m.k).map((b) => b.check)).toEqual(['shmem-swap']);
    inode(m).swapped = 2;
    inode(m).setSwapEntry(3, 40);
    inode(m).swapped = 3;
    expect(debug_vm_check(m.k).map((b) => b.what)).toEqual(['inode 1: page 3\'s swap entry refers to slot 40, which is not in use']);
  });

  it('UFFDIO_COPY onto a swapped-out page is EEXIST (the cache holds its swap entry)', () => {
    const r = run(`
name: copy-eexist
setup:
  - swapon: { pages: 64 }
  - mmap: { as: m, len: 8K, flags: [shared, anonymous] }
  - write: { addr: m, value: 2 }
  - mmap: { as: src, len: 4K }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 8K, mode: [missing] }
  - madvise: { addr: m, len: 8K, advice: pageout }
  - uffdio_copy: { uffd: u, dst: m, src: src, len: 4K, id: c0 }
  - uffdio_copy: { uffd: u, dst: m + 4K, src: src, len: 4K, id: c1 }
`, kernel('v6.18'));
    expect([r.observation.ops['c0']?.errno, r.observation.ops['c1']?.errno ?? null]).toEqual(['EEXIST', null]);
  });
});

describe('which folios MADV_PAGEOUT takes from a file mapping', () => {
  it('a private mapping: its read-only cache page to the page cache\'s swap entry, its COW copy to a swap PTE; a page mapped twice stays', () => {
    const r = run(`
name: private
observe: { pages: [pv, pv + 4K, pv + 8K] }
setup:
  - swapon: { pages: 64 }
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 12K }
  - pwrite: { fd: f, offset: 0, len: 12K, value: 5 }
  - mmap: { as: pv, len: 12K, flags: [private], fd: f }
  - mmap: { as: sh, len: 4K, fd: f, offset: 8K }
  - read: { addr: sh, as: s }
  - read: { addr: pv, as: a }
  - write: { addr: pv + 4K, value: 7 }
  - madvise: { addr: pv, len: 12K, advice: pageout }
`, kernel('v6.18'));
    expect([pagemapBit(r, 'pv', 63), pagemapBit(r, 'pv', 62)]).toEqual([0, 0]);
    expect([pagemapBit(r, 'pv + 0x1000', 62), pagemapBit(r, 'pv + 0x2000', 63)]).toEqual([1, 1]);
  });

  it('a task that is not root: nothing of a shared mapping of root\'s tmpfs file, a memfd as root would', () => {
    const yaml = `
name: owner
observe: { pages: [t, mf] }
setup:
  - swapon: { pages: 64 }
  - open: { as: f, path: rootfile }
  - pwrite: { fd: f, offset: 0, len: 4K, value: 7 }
  - memfd_create: { as: fd }
  - ftruncate: { fd: fd, len: 4K }
  - setuid: 1000
  - open: { as: g, path: mine }
  - pwrite: { fd: g, offset: 0, len: 4K, value: 8 }
  - mmap: { as: t, len: 4K, fd: f }
  - mmap: { as: own, len: 4K, fd: g }
  - mmap: { as: mf, len: 4K, fd: fd }
  - read: { addr: t, as: t0 }
  - read: { addr: own, as: o0 }
  - write: { addr: mf, value: 2 }
  - madvise: { addr: t, len: 4K, advice: pageout }
  - madvise: { addr: own, len: 4K, advice: pageout }
  - madvise: { addr: mf, len: 4K, advice: pageout }
`;
    const r = run(yaml, kernel('v6.18'));
    expect([pagemapBit(r, 't', 63), pagemapBit(r, 'mf', 63)]).toEqual([1, 0]);
    // the file the task made itself is its own (i_uid): paged out
    const m = machine(yaml);
    expect([m.k.inode(1)!.swapped, m.k.inode(3)!.swapped, m.k.inode(2)!.swapped]).toEqual([0, 1, 1]);
  });
});

describe('a pinned shmem page (no-reclaim-pinned, d824ec2a1546, v6.4)', () => {
  const PINNED = PINNED_SHMEM_PAGEOUT;
  it('is unmapped, then activated from v6.4; kept inactive on v6.3; never swapped', () => {
    for (const [p, active] of [['v6.3', 0], ['v6.4', 1], ['v6.18', 1]] as const) {
      const r = run(PINNED, kernel(p));
      expect([pagemapBit(r, 'm', 63), kpfBit(r, 'm', 6), kpfBit(r, 'm', 4)], p).toEqual([1, active, 1]);
      const m = machine(PINNED.replace('  - unpin: p\n  - read: { addr: m, as: a }\n', ''));
      expect([inode(m).swapped, m.k.folios.folioMapped(inode(m).folioAt(0))]).toEqual([0, false]);
    }
  });
});

describe('a shmem THP', () => {
  const THP = (swap: number) => `
name: thp
setup:
  - swapon: { pages: ${swap} }
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 2M }
  - mmap: { as: m, len: 2M, fd: f, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - write: { addr: m, value: 1 }
  - write: { addr: m + 0x1ff000, value: 2 }
  - madvise: { addr: m, len: 2M, advice: pageout }
`;
  it('is split by reclaim and swapped out page by page: the first page, then the last ones while slots last (63: pages 0 and 450..511)', () => {
    const m = machine(THP(64), ['shmem_enabled=advise']);
    const ino = inode(m), k = m.k;
    expect([k.vmstat.thp_split_pmd, k.vmstat.thp_split_page]).toEqual([1, 1]);
    expect([ino.swapped, ino.nrpages]).toEqual([63, 512 - 63]);
    expect([ino.swapAt(0) > 0, ino.swapAt(511) > 0, ino.swapAt(450) > 0, ino.swapAt(449)]).toEqual([true, true, true, -1]);
    const kept = ino.folioAt(449);
    expect([k.folios.isLarge(kept), k.folios.test(kept, PG_active), k.folios.test(kept, PG_dirty)]).toEqual([false, true, true]);
    const all = machine(THP(1100), ['shmem_enabled=advise']);
    expect([inode(all).swapped, inode(all).nrpages]).toEqual([512, 0]);
  });
});

describe('the differential scenarios of shmem reclaim hold the debug checks on v6.18', () => {
  const files = readdirSync('scenarios/differential').filter((f) => /^shmem-(pageout|thp-pageout|thp-cold|cold|private-swap)/.test(f));
  it('there are at least ten', () => expect(files.length).toBeGreaterThanOrEqual(10));
  for (const f of files) {
    it(f, () => {
      const sc = loadScenario(`scenarios/differential/${f}`);
      expect(() => runScenario(sc, kernel('v6.18', {}, sc.config), { debug: true, trace: false })).not.toThrow();
    });
  }
});

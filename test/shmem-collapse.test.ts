// MADV_COLLAPSE of shmem (src/kernel/mm/khugepaged.ts hpage_collapse_scan_file, collapse_file,
// retract_page_tables, collapse_pte_mapped_thp @v6.18): the page cache after a collapse (one PMD-sized folio
// with the cache's references, the old folios freed, the debug_vm checks clean) and the releases it is refused on
// (khugepaged's visits of shmem: test/shmem-khugepaged.test.ts).
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../src/scenario/error.js';
import { debug_vm_check } from '../src/kernel/mm/debug_vm.js';
import { errno, kernel, kpfBit, pagemapBit, run } from './helpers.js';

const THP = 22, PRESENT = 63;

const COLLAPSE = `
name: sc
observe: { pages: [m, m + 0x5000] }
setup:
  - memfd_create: { as: fd, name: c }
  - ftruncate: { fd: fd, len: 2M }
  - mmap: { as: m, len: 2M, fd: fd, align: 2M }
  - write: { addr: m + 0x5000, value: 5 }
  - mmap: { as: p, len: 2M, flags: [private], fd: fd, align: 2M }
  - read: { addr: p + 0x5000 }
  - madvise: { addr: m, len: 2M, advice: collapse, id: c }
`;

describe('MADV_COLLAPSE of shmem', () => {
  it('leaves one PMD-sized folio in the cache, mapped by a PMD, and a state the debug_vm checks accept', () => {
    const r = run(COLLAPSE, kernel('v6.18', {}, ['debug_vm=y']));
    expect(errno(r, 'c')).toBe(null);
    expect([pagemapBit(r, 'm', PRESENT), kpfBit(r, 'm', THP), kpfBit(r, 'm + 0x5000', THP)]).toEqual([1, 1, 1]);
    const k = r.machine.k;
    expect(debug_vm_check(k)).toEqual([]);
    // the cache's 512 references and the PMD's one; the private mapping's PTE went with the old folio
    const m = k.inode(1)!;
    const slot = m.folioAt(0);
    expect([k.folios.order(slot), k.folios.refcount(slot), k.folios.mapcount(slot)]).toEqual([9, 513, 1]);
    expect(m.nrpages).toBe(512);
    expect(k.vmstat.thp_collapse_alloc).toBe(1);
  });

  it('is refused as not modelled before v6.18 (the shmem collapse of those releases was not read)', () => {
    for (const p of ['v6.1', 'v6.12']) {
      let e: unknown = null;
      try { run(COLLAPSE, kernel(p)); } catch (x) { e = x; }
      expect(e, p).toBeInstanceOf(ScenarioError);
      expect((e as ScenarioError).detail).toMatch(/^not modelled on [^:]+: MADV_COLLAPSE of shmem before v6\.18/);
    }
  });
});

// The model in both zero-page configurations: a kernel that maps the shared zero pages on read faults
// (zero_page=y, the default) and one whose mm_forbids_zeropage() holds (zero_page=n), where a read
// fault allocates a page of its own, as some hosts of this project do. use_zero_page=n keeps the 4 KiB
// zero page and turns off only the huge one.
import { describe, expect, it } from 'vitest';
import { kernel, run, pagemapBit, kpfBit, thread, vmstat, anonHuge, page, errno, pte } from './helpers.js';

const PM_EXCLUSIVE = 56;
const PM_FILE = 61;
const PM_PRESENT = 63;
const KPF_THP = 22;
const KPF_ZERO_PAGE = 24;

const READ_4K = `
name: read-4k
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
threads:
  t:
    - read: { addr: m, len: 8 }
    - checkpoint: read
    - write: { addr: m, value: 9 }
`;

const READ_THP = `
name: read-thp
observe: { pages: [m, m + 0x3000] }
setup:
  - mmap: { as: m, len: 2M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
threads:
  t:
    - read: { addr: m + 0x3000, len: 8 }
    - checkpoint: read
    - write: { addr: m + 0x3000, value: 9 }
`;

describe.each(['v4.19', 'v6.1', 'v6.18'])('zero pages on %s', (profile) => {
  it('zero_page=y: a read maps the zero page, the write after it faults again', () => {
    const r = run(READ_4K, kernel(profile));
    expect(pagemapBit(r, 'm', PM_PRESENT, 'read')).toBe(1);
    expect(kpfBit(r, 'm', KPF_ZERO_PAGE, 'read')).toBe(1);
    expect(r.observation.snapshots.read!.smaps.m!.Rss).toBe(0);
    expect(thread(r, 't').minflt).toBe(2);
    expect(kpfBit(r, 'm', KPF_ZERO_PAGE)).toBe(0);
  });

  it('zero_page=n: a read allocates a writable, dirty page of its own; the write does not fault', () => {
    const r = run(READ_4K, kernel(profile, {}, ['zero_page=n']));
    expect(kpfBit(r, 'm', KPF_ZERO_PAGE, 'read')).toBe(0);
    expect(r.observation.snapshots.read!.smaps.m!.Rss).toBe(4);
    if (profile !== 'v4.19') expect(pagemapBit(r, 'm', PM_EXCLUSIVE, 'read')).toBe(1);
    // do_anonymous_page makes the entry writable and dirty in a VM_WRITE VMA whatever the fault was
    expect(pte(r, 'm', 'read')).toBe(pte(r, 'm'));
    expect(thread(r, 't').minflt).toBe(1);
    expect(page(r, 'm', 'read').pfn).toBe(page(r, 'm').pfn);
  });

  it('zero_page=y, use_zero_page=y: a read of a THP range maps the huge zero page', () => {
    const r = run(READ_THP, kernel(profile, {}, ['thp=madvise']));
    expect(pagemapBit(r, 'm', PM_PRESENT, 'read')).toBe(1);
    expect(kpfBit(r, 'm + 0x3000', KPF_ZERO_PAGE, 'read')).toBe(1);
    expect(anonHuge(r, 'm', 'read')).toBe(0);
    expect(vmstat(r, 'thp_fault_alloc', null, 'read')).toBe(0);
    expect(thread(r, 't').minflt).toBe(2);
  });

  for (const cfg of [['zero_page=n'], ['use_zero_page=n'], ['zero_page=n', 'use_zero_page=y']]) {
    it(`${cfg.join(',')}: a read of a THP range allocates a whole THP`, () => {
      const r = run(READ_THP, kernel(profile, {}, ['thp=madvise', ...cfg]));
      expect(kpfBit(r, 'm + 0x3000', KPF_ZERO_PAGE, 'read')).toBe(0);
      expect(kpfBit(r, 'm + 0x3000', KPF_THP, 'read')).toBe(1);
      expect(pagemapBit(r, 'm', PM_FILE, 'read')).toBe(0);
      expect(anonHuge(r, 'm', 'read')).toBe(2048);
      expect(vmstat(r, 'thp_fault_alloc', null, 'read')).toBe(1);
      expect(thread(r, 't').minflt).toBe(1);
    });
  }

  it('use_zero_page=n keeps the 4 KiB zero page', () => {
    const r = run(READ_4K, kernel(profile, {}, ['use_zero_page=n']));
    expect(kpfBit(r, 'm', KPF_ZERO_PAGE, 'read')).toBe(1);
  });
});

describe('other paths that would map a zero page', () => {
  const POPULATE = `
name: populate-read
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - madvise: { addr: m, len: 64K, advice: populate_read, id: pop }
`;
  it('MADV_POPULATE_READ maps the zero page, or fresh pages where it is forbidden', () => {
    const y = run(POPULATE, kernel('v6.18'));
    const n = run(POPULATE, kernel('v6.18', {}, ['zero_page=n']));
    expect(errno(y, 'pop')).toBe(null);
    expect(kpfBit(y, 'm', KPF_ZERO_PAGE)).toBe(1);
    expect(y.observation.snapshots.final!.smaps.m!.Rss).toBe(0);
    expect(kpfBit(n, 'm', KPF_ZERO_PAGE)).toBe(0);
    expect(n.observation.snapshots.final!.smaps.m!.Rss).toBe(64);
  });

  const FORK = `
name: fork-after-read
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - read: { addr: m }
  - fork: { as: child }
expect:
  - { process: child, pagemap: m, has: [present] }
`;
  it('a page read before fork is shared copy-on-write where the zero page is forbidden (not exclusive in either)', () => {
    const n = run(FORK, kernel('v6.18', {}, ['zero_page=n']));
    expect(pagemapBit(n, 'm', PM_PRESENT)).toBe(1);
    expect(pagemapBit(n, 'm', PM_EXCLUSIVE)).toBe(0);
    expect(kpfBit(n, 'm', KPF_ZERO_PAGE)).toBe(0);
    expect(pagemapBit(n, 'child:m', PM_PRESENT)).toBe(1);
    const y = run(FORK, kernel('v6.18'));
    expect(kpfBit(y, 'm', KPF_ZERO_PAGE)).toBe(1);
  });

  const SCAN = `
name: scan-pfnzero
setup:
  - mmap: { as: m, len: 64K }
  - read: { addr: m }
  - pagemap_scan: { addr: m, len: 4K, return_mask: [pfnzero, present], id: scan }
`;
  it('PAGEMAP_SCAN reports PFNZERO only where the zero page is mapped', () => {
    const y = run(SCAN, kernel('v6.18'));
    const n = run(SCAN, kernel('v6.18', {}, ['zero_page=n']));
    // one region each: PAGE_IS_PFNZERO (0x20) | PAGE_IS_PRESENT (0x8), or PRESENT alone
    expect(y.observation.ops.scan!.result).toMatch(/^1 0x[0-9a-f]+-0x[0-9a-f]+:0x28 walk_end=/);
    expect(n.observation.ops.scan!.result).toMatch(/^1 0x[0-9a-f]+-0x[0-9a-f]+:0x8 walk_end=/);
  });
});

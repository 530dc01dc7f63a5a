// GUP through /proc/self/mem into a PROT_NONE private mapping: FOLL_FORCE passes check_vma_flags for a COW
// mapping and follow_page_pte follows the PROT_NONE PTE (pte_present on x86 includes _PAGE_PROTNONE;
// gup_can_follow_protnone in a VMA that is not accessible). Measured on 6.18
// (scenarios/differential/gup-proc-mem-write.yaml): the write and the read succeed.
import { describe, expect, it } from 'vitest';
import { kernel, run, errno, result, pagemapBit, vmstat, kpfBit } from './helpers.js';

describe('GUP and PROT_NONE', () => {
  it('proc_mem_write and proc_mem_read reach a PROT_NONE private mapping (no livelock, no EIO)', () => {
    const r = run(`
name: protnone
observe: { pages: [none] }
setup:
  - mmap: { as: none, len: 4K, prot: none }
  - proc_mem_write: { addr: none, value: 0x5a, id: w }
  - proc_mem_read: { addr: none, len: 1, id: r }
`, kernel('v6.18'));
    expect([errno(r, 'w'), result(r, 'w'), errno(r, 'r')]).toEqual([null, '1', null]);
    expect([pagemapBit(r, 'none', 63), pagemapBit(r, 'none', 56)]).toEqual([1, 1]);
  });

  it('a hole is EFAULT for pin and vmsplice (measured on 6.18), ENOMEM for MADV_POPULATE_*', () => {
    const r = run(`
name: hole
setup:
  - mmap: { as: gone, len: 4K }
  - munmap: { addr: gone, len: 4K }
  - pin: { addr: gone, len: 4K, flags: [write, longterm], as: p, id: pin }
  - vmsplice: { addr: gone, len: 4K, as: s, id: splice }
  - madvise: { addr: gone, len: 4K, advice: populate_write, id: populate }
`, kernel('v6.18'));
    expect([errno(r, 'pin'), errno(r, 'splice'), errno(r, 'populate')]).toEqual(['EFAULT', 'EFAULT', 'ENOMEM']);
  });

  it('a pinned THP is not split: can_split_folio refuses before the PMD is split (measured on 6.18)', () => {
    const sc = (pinned: boolean) => `
name: pinned-split
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 2M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - write: { addr: m, value: 1 }
${pinned ? '  - pin: { addr: m, len: 4K, flags: [write, longterm], as: p }\n' : ''}  - madvise: { addr: m, len: 4K, advice: pageout }
`;
    const pinned = run(sc(true), kernel('v6.18')), plain = run(sc(false), kernel('v6.18'));
    expect([vmstat(pinned, 'thp_split_pmd'), pinned.observation.snapshots.final!.smaps.m!.AnonHugePages]).toEqual([0, 2048]);
    expect([vmstat(plain, 'thp_split_pmd'), plain.observation.snapshots.final!.smaps.m!.AnonHugePages]).toEqual([1, 0]);
  });
});

describe('gup_fast (mm/gup.c gup_fast_pte_range, gup_fast_pmd_leaf @v6.18)', () => {
  // KPF bits: 2 referenced, 4 dirty, 5 lru, 6 active
  const aging = (r: ReturnType<typeof run>, key: string) => [kpfBit(r, key, 2), kpfBit(r, key, 4), kpfBit(r, key, 6)];
  const sc = (op: string) => `
name: fast
observe: { pages: [m, thp] }
setup:
  - mmap: { as: m, len: 4K, flags: [shared, anonymous] }
  - read: { addr: m, len: 8 }
  - mmap: { as: thp, len: 2M, align: 2M }
  - madvise: { addr: thp, len: 2M, advice: hugepage }
  - write: { addr: thp, value: 1 }
  - ${op.replace(/ADDR/, 'm')}
  - ${op.replace(/ADDR/, 'thp').replace(/as: (\w+)/, 'as: $1t')}
`;
  it('a fast write pin of a present page neither marks it accessed nor dirties it; the slow path does both', () => {
    const fast = run(sc('pin: { addr: ADDR, len: 4K, flags: [write, longterm, fast], as: p }'), kernel('v6.18'));
    const slow = run(sc('pin: { addr: ADDR, len: 4K, flags: [write, longterm], as: p }'), kernel('v6.18'));
    // the shmem page, read once: gup_fast sets PG_referenced, nothing else
    expect(aging(fast, 'm')).toEqual([1, 0, 0]);
    // follow_page_pte with FOLL_TOUCH: marked accessed, and dirty for FOLL_WRITE of a clean PTE
    expect(aging(slow, 'm')).toEqual([1, 1, 0]);
    // a PMD-mapped THP: gup_fast_pmd_leaf sets PG_referenced; follow_huge_pmd only touches the PMD
    expect(kpfBit(fast, 'thp', 2)).toBe(1);
    expect(kpfBit(slow, 'thp', 2)).toBe(0);
  });

  it('vmsplice is get_user_pages_fast; a page the fast walk cannot take (not present) goes through the slow path', () => {
    const r = run(sc('vmsplice: { addr: ADDR, len: 4K, as: s }'), kernel('v6.18'));
    expect(aging(r, 'm')).toEqual([1, 0, 0]);
    const cold = run(`
name: cold
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4K }
  - write: { addr: m }
  - madvise: { addr: m, len: 4K, advice: dontneed }
  - vmsplice: { addr: m, len: 4K, as: s }
`, kernel('v6.18'));
    // not present: faulted in by the slow path (the zero page, which nothing marks), the pipe holds it
    expect(pagemapBit(cold, 'm', 63)).toBe(1);
  });
});

// shmem THP (shmthp): PMD-sized page-cache folios per shmem_enabled (mm/shmem.c @v6.18), mapped by a PMD
// (do_set_pmd) where the VMA can hold the aligned block, by PTEs otherwise; the split of a file PMD (cleared,
// the pages refault), private COW per 4 KiB, truncation and hole punching that split a large folio. Each
// scenario runs with the whole-state checks (debug_vm) after every step and must meet its expectations.
import { describe, expect, it } from 'vitest';
import { expectStateFileRestore } from './statefile-restore.js';
import { readFileSync } from 'node:fs';
import { restoreShmemEnabled, scenarioShmemEnabled, shmemThpConfig } from '../src/host/shmem-thp.js';
import { executorPlan } from '../src/host/run.js';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { expectationPasses } from '../src/scenario/outcome.js';
import { kernel, pagemapBit, run } from './helpers.js';

/** runs yaml on v6.18 with config (and debug checks at every step); the expectations that failed */
function failures(yaml: string, config: string[], profile = 'v6.18'): string[] {
  const sc = loadScenario('inline.yaml', yaml);
  const r = runScenario(sc, kernel(profile, {}, config), { debug: true });
  return r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`);
}

const SHARED = (more: string, expect: string) => `
name: shared-thp
observe: { pages: [mem, mem + 0x1000, mem + 0x100000] }
setup:
  - memfd_create: { as: fd, name: thp }
  - ftruncate: { fd: fd, len: 4M }
  - mmap: { as: mem, len: 2M, fd: fd, align: 2M }
  - madvise: { addr: mem, len: 2M, advice: hugepage }
  - memset: { addr: mem, len: 2M, value: 1 }
  - checkpoint: pmd
${more}
expect:
${expect}
`;

describe('a memfd with shmem_enabled', () => {
  it('advise and MADV_HUGEPAGE: one PMD-sized folio, mapped by a PMD (pagemap, kpageflags, smaps)', () => {
    expect(failures(SHARED('', `
  - { pmd: mem, mask: 0x80, value: 0x80 }                 # PSE: a huge PMD
  - { pagemap: mem, has: [present, file, mmap_exclusive], index: 0 }
  - { pagemap: mem + 0x1000, has: [present, file], index: 1 }
  - { kpageflags: mem, has: [thp, compound_head, lru, dirty, uptodate, swapbacked], lacks: [anon] }
  - { kpageflags: mem + 0x1000, has: [thp, compound_tail] }
  - { smaps: mem, Rss: 2048, AnonHugePages: 0 }`), ['shmem_enabled=advise'])).toEqual([]);
  });
  it('never, or advise without MADV_HUGEPAGE, or deny: small pages; force: a THP without the advice', () => {
    const small = `
  - { pagemap: mem, has: [present, file], index: 0 }
  - { kpageflags: mem, lacks: [thp, compound_head] }`;
    expect(failures(SHARED('', small), ['shmem_enabled=never'])).toEqual([]);
    expect(failures(SHARED('', small), ['shmem_enabled=deny'])).toEqual([]);
    expect(failures(SHARED('', small).replace('  - madvise: { addr: mem, len: 2M, advice: hugepage }\n', ''), ['shmem_enabled=advise'])).toEqual([]);
    expect(failures(SHARED('', small).replace('advice: hugepage', 'advice: nohugepage'), ['shmem_enabled=force'])).toEqual([]);
    expect(failures(SHARED('', '  - { kpageflags: mem, has: [thp, compound_head] }').replace('  - madvise: { addr: mem, len: 2M, advice: hugepage }\n', ''), ['shmem_enabled=force'])).toEqual([]);
  });
  it('within_size: a THP only where the block lies inside i_size', () => {
    const yaml = (len: string) => `
name: within
observe: { pages: [mem] }
setup:
  - memfd_create: { as: fd, name: thp }
  - ftruncate: { fd: fd, len: ${len} }
  - mmap: { as: mem, len: 2M, fd: fd, align: 2M }
  - write: { addr: mem }
expect:
  - { kpageflags: mem, ${len === '2M' ? 'has' : 'lacks'}: [thp] }
`;
    expect(failures(yaml('2M'), ['shmem_enabled=within_size'])).toEqual([]);
    expect(failures(yaml('1M'), ['shmem_enabled=within_size'])).toEqual([]);
  });
  it('a tmpfs file is on a mount with huge=never: small pages under always, a THP under force', () => {
    const yaml = (huge: boolean) => `
name: tmpfs
observe: { pages: [mem] }
setup:
  - open: { as: fd, path: f, flags: [rdwr, create] }
  - ftruncate: { fd: fd, len: 2M }
  - mmap: { as: mem, len: 2M, fd: fd, align: 2M }
  - write: { addr: mem }
expect:
  - { kpageflags: mem, ${huge ? 'has' : 'lacks'}: [thp] }
`;
    expect(failures(yaml(false), ['shmem_enabled=always'])).toEqual([]);
    expect(failures(yaml(true), ['shmem_enabled=force'])).toEqual([]);
  });
  it('a mapping the block does not fit (unaligned file offset) gets small folios from its faults; pwrite fills a THP that such a mapping maps by PTEs', () => {
    expect(failures(`
name: unaligned
observe: { pages: [mem] }
setup:
  - memfd_create: { as: fd, name: thp }
  - ftruncate: { fd: fd, len: 4M }
  - mmap: { as: mem, len: 2M, fd: fd, offset: 4K, align: 2M }
  - write: { addr: mem }
expect:
  - { kpageflags: mem, lacks: [thp] }
`, ['shmem_enabled=always'])).toEqual([]);
    expect(failures(`
name: pwrite-then-map
observe: { pages: [mem, mem + 0x1000] }
setup:
  - memfd_create: { as: fd, name: thp }
  - ftruncate: { fd: fd, len: 4M }
  - pwrite: { fd: fd, offset: 8K, value: 5 }
  - mmap: { as: mem, len: 1M, fd: fd, offset: 4K, align: 2M }
  - read: { addr: mem + 0x1000, as: b }
expect:
  - { pagemap: mem + 0x1000, has: [present, file], index: 2 }   # page 2 of the THP, mapped by a PTE
  - { pte: mem + 0x1000, flags: 0x8000000000000027 }   # shared, writable, clean
  - { pagemap: mem, has: [present], index: 1 }                   # fault-around mapped its neighbour
  - { mem: mem + 0x1000, value: 5 }
`, ['shmem_enabled=always'])).toEqual([]);
  });
});

describe('a file PMD split, zapped, written privately', () => {
  it('MADV_DONTNEED of one page clears the whole PMD; the rest refaults by PTEs from the same folio', () => {
    expect(failures(SHARED(`
  - madvise: { addr: mem + 0x1000, len: 4K, advice: dontneed }
  - checkpoint: zapped
  - read: { addr: mem + 0x100000 }`, `
  - { pagemap: mem, lacks: [present], at: zapped }
  - { vmstat: thp_split_pmd, delta: 1, since: pmd }
  - { pagemap: mem + 0x100000, has: [present, file], index: 256 }
  - { mem: mem + 0x1000, value: 1 }                       # the page cache keeps it
  - { kpageflags: mem + 0x100000, has: [thp, dirty] }`), ['shmem_enabled=advise'])).toEqual([]);
  });
  it('munmap of the whole PMD unmaps it; mprotect of half splits it', () => {
    expect(failures(SHARED(`
  - mprotect: { addr: mem, len: 1M, prot: r }
  - checkpoint: split
  - read: { addr: mem + 0x100000 }
  - munmap: { addr: mem, len: 2M }`, `
  - { pagemap: mem, lacks: [present], at: split }
  - { vmstat: thp_split_pmd, delta: 1, since: pmd }`), ['shmem_enabled=advise'])).toEqual([]);
  });
  it('a private mapping: a read maps the folio by a read-only PMD, a write splits it and copies one 4 KiB page', () => {
    const yaml = `
name: private
observe: { pages: [mem, mem + 0x1000] }
setup:
  - memfd_create: { as: fd, name: thp }
  - ftruncate: { fd: fd, len: 2M }
  - pwrite: { fd: fd, offset: 0, value: 3 }
  - mmap: { as: mem, len: 2M, fd: fd, flags: [private], align: 2M }
  - read: { addr: mem }
  - checkpoint: read
  - write: { addr: mem + 0x1000, value: 9 }
  - read: { addr: mem, as: b }
expect:
  - { pmd: mem, mask: 0x82, value: 0x80, at: read }        # huge, read-only
  - { pagemap: mem, has: [present, file], at: read }
  - { pagemap: mem + 0x1000, has: [present, mmap_exclusive], lacks: [file] }
  - { pagemap: mem, has: [present, file], index: 0 }
  - { mem: mem + 0x1000, value: 9 }
  - { mem: mem, value: 3 }
  - when: { has: [fault-around-whole-folio] }              # 357b92761d94 (v6.18): the whole folio (511 pages) and the copy
    that: [{ smaps: mem, Rss: 2048 }]
  - when: { lacks: [fault-around-whole-folio] }            # the copy, and the 15 other pages of the 64 KiB window
    that: [{ smaps: mem, Rss: 64 }]
`;
    expect(failures(yaml, ['shmem_enabled=always'])).toEqual([]);
    expect(failures(yaml, ['shmem_enabled=always'], 'v6.12')).toEqual([]);
  });
  it('fork leaves a file PMD to the child to refault', () => {
    expect(failures(SHARED(`
  - fork: { as: child }
  - checkpoint: forked`, `
  - { pagemap: mem, process: child, lacks: [present], at: forked }
  - { pagemap: mem, has: [present, file] }`), ['shmem_enabled=advise'])).toEqual([]);
  });
});

describe('truncation and hole punching of a large folio', () => {
  it('ftruncate into the folio splits it: the pages past the end go, the rest stay in the cache', () => {
    expect(failures(SHARED(`
  - ftruncate: { fd: fd, len: 1M }
  - checkpoint: cut
  - read: { addr: mem + 0x1000 }`, `
  - { pagemap: mem, lacks: [present], at: cut }
  - { vmstat: thp_split_page, delta: 1, since: pmd }
  - { kpageflags: mem + 0x1000, lacks: [thp, compound_tail], has: [dirty] }
  - { pagemap: mem + 0x1000, has: [present, file], index: 0 }
  - { mem: mem + 0x1000, value: 1 }
  - { pagemap: mem + 0x100000, lacks: [present] }`), ['shmem_enabled=advise'])).toEqual([]);
  });
  it('a punched hole inside the folio splits it and reads zeroes; a pinned folio is not split, the hole is zeroed in it', () => {
    const hole = (pin: string) => SHARED(`${pin}
  - fallocate: { fd: fd, mode: [punch_hole, keep_size], offset: 8K, len: 8K }
  - read: { addr: mem + 0x1000 }
  - read: { addr: mem + 0x2000 }`, pin ? `
  - { mem: mem + 0x2000, value: 0 }
  - { mem: mem + 0x1000, value: 1 }
  - { kpageflags: mem + 0x1000, has: [thp] }` : `
  - { mem: mem + 0x2000, value: 0 }
  - { mem: mem + 0x1000, value: 1 }
  - { kpageflags: mem + 0x1000, lacks: [thp] }
  - { vmstat: thp_split_page, delta: 1, since: pmd }`);
    expect(failures(hole(''), ['shmem_enabled=advise'])).toEqual([]);
    expect(failures(hole('\n  - pin: { addr: mem + 0x100000, len: 4K, as: p }'), ['shmem_enabled=advise'])).toEqual([]);
  });
  it('a truncation past the whole folio frees it at once', () => {
    const r = run(SHARED(`
  - munmap: { addr: mem, len: 2M }
  - ftruncate: { fd: fd, len: 0 }`, '  - { vmstat: thp_split_page, delta: 0, since: pmd }'), kernel('v6.18', {}, ['shmem_enabled=advise']));
    expect(r.expectations.every(expectationPasses)).toBe(true);
  });
});

describe('pagemap of a PMD-mapped shmem THP across releases (corpus 18)', () => {
  it('PM_FILE from v6.11, per-page PM_MMAP_EXCLUSIVE from v6.11', () => {
    const yaml = SHARED('  - mmap: { as: tail, len: 4K, fd: fd }\n  - read: { addr: tail }', '  - { pagemap: mem, has: [present] }');
    const on = (p: string) => run(yaml, kernel(p, {}, ['shmem_enabled=advise']));
    expect([pagemapBit(on('v6.10'), 'mem', 61), pagemapBit(on('v6.10'), 'mem + 0x1000', 56)]).toEqual([0, 0]);
    expect([pagemapBit(on('v6.11'), 'mem', 61), pagemapBit(on('v6.11'), 'mem + 0x1000', 56)]).toEqual([1, 1]);
  });
});

describe('the differential scenario of shmem THP', () => {
  it('shmem-thp-pmd meets its expectations with the debug checks at every step', () => {
    expect(failures(readFileSync('scenarios/differential/shmem-thp-pmd.yaml', 'utf8'), ['shmem_enabled=advise'])).toEqual([]);
  });
});

describe('mmsim host and shmem_enabled', () => {
  it('the executor is told the scenario\'s shmem_enabled (null: the machine\'s own), and the model runs with it', () => {
    const sc = loadScenario('scenarios/differential/shmem-thp-pmd.yaml');
    expect(scenarioShmemEnabled(sc)).toBe('advise');
    expect(shmemThpConfig(sc)).toEqual(['shmem_enabled=advise']);
    expect(JSON.parse(executorPlan(sc, {})).options.shmem_enabled).toBe('advise');
    const plain = loadScenario('scenarios/differential/memfd-punch-hole.yaml');
    expect([scenarioShmemEnabled(plain), shmemThpConfig(plain), JSON.parse(executorPlan(plain, {})).options.shmem_enabled]).toEqual([null, [], null]);
  });
  it('mmsim gives shmem_enabled back from the state file of an executor that is gone, never of one alive', () => {
    expectStateFileRestore({ env: 'MMSIM_SHMEM_THP_STATE', now: 'advise', prev: 'never', expected: 'never', restore: restoreShmemEnabled });
  });
});

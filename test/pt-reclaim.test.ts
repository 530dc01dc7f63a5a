// MADV_DONTNEED frees the PTE table it empties (mm/pt_reclaim.c, CONFIG_PT_RECLAIM; row x86-pt-reclaim,
// v6.14 on x86-64): only a zap that covers the whole table, skips no entry and was asked to (MADV_DONTNEED,
// also when it resumes after a REMOVE event) frees it. The differential scenarios of the row run here on
// the model in the three zero-page configurations, whatever the host.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PATCH } from '../src/profiles/patches.js';
import { expectationPasses } from '../src/scenario/outcome.js';
import type { RunResult } from '../src/run.js';
import { kernel, run, page, pagemapBit } from './helpers.js';

/** the PMD entry of the page at key is none (its table was freed, or never made) */
const pmdNone = (r: RunResult, key: string) => BigInt(page(r, key).pmd ?? '0') === 0n;

const SCENARIOS = [
  'dontneed-frees-pte-table-huge-zero', 'dontneed-frees-pte-table', 'dontneed-partial-keeps-pte-table',
  'dontneed-file-marker-keeps-pte-table', 'madv-free-keeps-pte-table',
];

describe.each(['zero_page=y', 'zero_page=y,use_zero_page=n', 'zero_page=n'])('the PTE-table reclaim scenarios on v6.18, %s', (cfg) => {
  for (const name of SCENARIOS) {
    it(name, () => {
      const r = run(readFileSync(`scenarios/differential/${name}.yaml`, 'utf8'), kernel('v6.18', {}, [cfg]));
      expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
    });
  }
});

/** one page written in a 2 MiB-aligned range, then MADV_DONTNEED of `len` from its start */
const zap = (len: string) => `
name: zap
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 4M, advice: nohugepage }
  - write: { addr: m + 0x1000, value: 1 }
  - write: { addr: m + 0x200000, value: 1 }
threads:
  t:
    - madvise: { addr: m, len: ${len}, advice: dontneed }
`;

describe('which zaps free the PTE table', () => {
  it('a MADV_DONTNEED of the whole table clears its PMD; without the row, or on arm64, the PMD keeps the empty table', () => {
    expect(pmdNone(run(zap('2M'), kernel('v6.18')), 'm')).toBe(true);
    expect(pmdNone(run(zap('2M'), kernel('v6.18', { remove: [PATCH.x86PtReclaim] })), 'm')).toBe(false);
    expect(pmdNone(run(zap('2M'), kernel('v6.18-arm64')), 'm')).toBe(false);
    expect(pmdNone(run(zap('2M'), kernel('v6.12')), 'm')).toBe(false);
  });

  it('a zap that ends one page short of the table keeps it', () => {
    expect(pmdNone(run(zap('0x1ff000'), kernel('v6.18')), 'm')).toBe(false);
  });

  it('a zap of more than one table frees each table it covers whole', () => {
    const r = run(zap('3M').replace('observe: { pages: [m] }', 'observe: { pages: [m, m + 0x200000] }'), kernel('v6.18'));
    expect(pmdNone(r, 'm')).toBe(true);
    expect(pmdNone(r, 'm + 0x200000')).toBe(false);
  });

  it('munmap of part of a table leaves the table to free_pgtables, which keeps it while a VMA covers the rest', () => {
    const r = run(zap('2M').replace('- madvise: { addr: m, len: 2M, advice: dontneed }', '- munmap: { addr: m + 0x1000, len: 0x1ff000 }'), kernel('v6.18'));
    expect(pmdNone(r, 'm')).toBe(false);
  });

  it('a MADV_DONTNEED that waited for its REMOVE event frees the table when it zaps', () => {
    const sc = `
name: remove
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 2M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: nohugepage }
  - write: { addr: m + 0x1000, value: 1 }
  - userfaultfd: { as: uffd, features: [event_remove] }
  - uffdio_register: { uffd: uffd, addr: m, len: 2M, mode: [missing] }
threads:
  worker:
    - madvise: { addr: m, len: 2M, advice: dontneed, id: dn }
  handler:
    - read_uffd: { uffd: uffd, as: rm }
expect:
  - { msg: rm, event: remove, address: m + 2M }
  - { op: dn }
`;
    for (const [spec, freed] of [[kernel('v6.18'), true], [kernel('v6.18', { remove: [PATCH.x86PtReclaim] }), false]] as const) {
      const r = run(sc, spec);
      expect(r.expectations.filter((e) => !expectationPasses(e))).toEqual([]);
      expect(pmdNone(r, 'm')).toBe(freed);
    }
  });

  it('the zap after a REMOVE event keeps the uffd-wp markers of a file VMA, and with them the table', () => {
    const r = run(`
name: remove-shmem
observe: { pages: [m, m + 0x1000] }
setup:
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 2M }
  - mmap: { as: m, len: 2M, align: 2M, fd: f, flags: [shared] }
  - write: { addr: m, value: 1 }
  - userfaultfd: { as: uffd, features: [event_remove, wp_unpopulated] }
  - uffdio_register: { uffd: uffd, addr: m, len: 2M, mode: [wp] }
  - uffdio_writeprotect: { uffd: uffd, addr: m, len: 8K, mode: [wp] }
threads:
  worker:
    - madvise: { addr: m, len: 2M, advice: dontneed, id: dn }
  handler:
    - read_uffd: { uffd: uffd, as: rm }
expect:
  - { msg: rm, event: remove, address: m + 2M }
  - { op: dn }
`, kernel('v6.18'));
    expect(r.expectations.filter((e) => !expectationPasses(e))).toEqual([]);
    expect(pmdNone(r, 'm')).toBe(false);
    // PM_UFFD_WP: the marker put in place of the write-protected PTE, and the one of the page never faulted
    expect(pagemapBit(r, 'm', 57)).toBe(1);
    expect(pagemapBit(r, 'm + 0x1000', 57)).toBe(1);
  });
});

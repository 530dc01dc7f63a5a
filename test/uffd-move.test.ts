// UFFDIO_MOVE (mm/userfaultfd.c move_pages): what each release does, beyond the patch-row cases in
// patches.test.ts (the selftest scenarios scenarios/selftests/uffd-unit-move*.yaml run in
// test/selftests.test.ts).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PATCH } from '../src/profiles/patches.js';
import { expectationPasses } from '../src/scenario/outcome.js';
import { kernel, run, errno, result, pte, vmstat } from './helpers.js';

const MOVE = (fill: string, mv: string, pre = '') => `
name: move
observe: { pages: [src, dst] }
setup:
  - mmap: { as: src, len: 8K }
  - mmap: { as: dst, len: 8K }
  ${pre}
  - userfaultfd: { as: u, api: true, features: [move] }
  - uffdio_register: { uffd: u, addr: dst, len: 8K, mode: [missing] }
  ${fill}
  - uffdio_move: { uffd: u, ${mv}, id: mv }
`;

describe('UFFDIO_MOVE', () => {
  it('is an unknown ioctl (EINVAL) before v6.8', () => {
    const sc = MOVE('- write: { addr: src, value: 1 }', 'dst: dst, src: src, len: 4K');
    expect(errno(run(sc, kernel('v6.7')), 'mv')).toBe('EINVAL');
    expect(result(run(sc, kernel('v6.8')), 'mv')).toBe('4096');
  });

  it('a missing source VMA is EINVAL on v6.8 (find_vma), ENOENT from v6.9 (867a43a34ff8), which also gives dst its anon_vma first', () => {
    const sc = MOVE('- munmap: { addr: src, len: 8K }', 'dst: dst, src: src, len: 4K');
    expect(errno(run(sc, kernel('v6.8')), 'mv')).toBe('EINVAL');
    expect(errno(run(sc, kernel('v6.9')), 'mv')).toBe('ENOENT');
    expect(errno(run(sc, kernel('v6.9', { remove: [PATCH.uffdMfillVmaLock] })), 'mv')).toBe('EINVAL');
  });

  it('a moved present PTE is dirty on v6.8 even if the source was clean; from 75cb1cca2c88 only if it was', () => {
    // a page read back from swap is mapped clean
    const sc = MOVE('- write: { addr: src, value: 1 }\n  - madvise: { addr: src, len: 4K, advice: pageout }\n  - read: { addr: src }',
      'dst: dst, src: src, len: 4K', '- swapon: { pages: 16 }');
    const old = run(sc, kernel('v6.8')), fixed = run(sc, kernel('v6.12'));
    expect(result(old, 'mv')).toBe('4096');
    const dirty = (r: ReturnType<typeof run>) => Number((BigInt(pte(r, 'dst')) >> 6n) & 1n); // _PAGE_DIRTY
    expect(dirty(old)).toBe(1);
    expect(dirty(fixed)).toBe(0);
    expect(dirty(run(sc, kernel('v6.12', { remove: [PATCH.uffdMoveSoftDirty] })))).toBe(1);
  });

  it('refuses a pinned page (EBUSY) and a uffd-wp marker in the source (EFAULT), and a marker at dst is populated (EEXIST)', () => {
    const pinned = MOVE('- write: { addr: src, value: 1 }\n  - pin: { addr: src, len: 4K, flags: [write], as: p }', 'dst: dst, src: src, len: 4K');
    expect(errno(run(pinned, kernel('v6.18')), 'mv')).toBe('EBUSY');
    const marker = `
name: marker
setup:
  - mmap: { as: src, len: 8K }
  - mmap: { as: dst, len: 8K }
  - userfaultfd: { as: u, api: true, features: [move, wp_unpopulated] }
  - uffdio_register: { uffd: u, addr: dst, len: 8K, mode: [missing, wp] }
  - uffdio_register: { uffd: u, addr: src, len: 8K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: src, len: 4K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: dst + 0x1000, len: 4K, mode: [wp] }
  - write: { addr: src + 0x1000, value: 1 }
  - uffdio_move: { uffd: u, dst: dst, src: src, len: 4K, id: from_marker }
  - uffdio_move: { uffd: u, dst: dst + 0x1000, src: src + 0x1000, len: 4K, id: onto_marker }
`;
    const r = run(marker, kernel('v6.18'));
    expect(errno(r, 'from_marker')).toBe('EFAULT');
    expect(errno(r, 'onto_marker')).toBe('EEXIST');
  });

  it('on v6.8 a huge zero PMD of the source is EBUSY before any split (5d4747a6cc8e checks it in move_pages itself)', () => {
    const sc = `
name: hzp
observe: { pages: [src, dst] }
setup:
  - mmap: { as: src, len: 2M, align: 2M }
  - mmap: { as: dst, len: 2M, align: 2M }
  - madvise: { addr: src, len: 2M, advice: hugepage }
  - read: { addr: src }
  - userfaultfd: { as: u, api: true, features: [move] }
  - uffdio_register: { uffd: u, addr: dst, len: 2M, mode: [missing] }
  - uffdio_move: { uffd: u, dst: dst + 0x1000, src: src + 0x1000, len: 4K, id: mv }
`;
    const old = run(sc, kernel('v6.8'));
    expect(errno(old, 'mv')).toBe('EBUSY');
    expect(vmstat(old, 'thp_split_pmd')).toBe(0);
    // v6.9 (eb1521dad8f3) splits it and moves the zero page
    const v69 = run(sc, kernel('v6.9'));
    expect(result(v69, 'mv')).toBe('4096');
    expect(vmstat(v69, 'thp_split_pmd')).toBe(1);
  });

  it('asks PageAnonExclusive of the large folio\'s first page, not of the page to move (uffdio-move-shared-head, measured here)', () => {
    const r = run(readFileSync('scenarios/differential/uffdio-move-shared-head.yaml', 'utf8'), kernel('v6.18'));
    expect(errno(r, 'mv')).toBe('EBUSY');
    expect(vmstat(r, 'thp_split_page')).toBe(0);
    expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
  });

  it('a move while a non-cooperative event is under way is EAGAIN on every release, written back from 95567729173e', () => {
    const sc = readFileSync('scenarios/differential/uffdio-move-mmap-changing.yaml', 'utf8');
    for (const [k, written] of [['v6.8', false], ['v6.9', false], ['v6.12', true], ['v6.18', true]] as const) {
      const r = run(sc, kernel(k));
      expect(errno(r, 'during'), k).toBe('EAGAIN');
      expect(r.observation.ops['during']?.out?.move ?? null, k).toBe(written ? -11 : null);
      expect(result(r, 'after'), k).toBe('4096');
    }
  });

  // the selftest scenarios scenarios/selftests/uffd-unit-move*.yaml run in test/selftests.test.ts
});

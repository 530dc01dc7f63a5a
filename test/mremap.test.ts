// mremap (src/kernel/mm/mremap.ts): what each release does beyond the patch-row cases in patches.test.ts,
// the uffd side (EVENT_REMAP, the moved VMA leaving a uffd), and the uffd-wp-mremap selftest scenario on
// the releases with and without 0cef0bb836e3.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { expectationPasses } from '../src/scenario/outcome.js';
import { kernel, run, errno, result, pagemapBit, thread, vmstat, P } from './helpers.js';

const SD = 55, UFFD_WP = 57, PRESENT = 63;

describe('mremap', () => {
  it('moved PTEs and a moved huge PMD are soft-dirty (move_soft_dirty_pte / move_soft_dirty_pmd)', () => {
    const sc = `
name: sd
observe: { pages: [b, c] }
setup:
  - mmap: { as: a, len: 16K }
  - madvise: { addr: a, len: 16K, advice: nohugepage }
  - memset: { addr: a, len: 16K, value: 1 }
  - mmap: { as: t, len: 2M, align: 2M }
  - madvise: { addr: t, len: 2M, advice: hugepage }
  - memset: { addr: t, len: 2M, value: 1 }
  - mmap: { as: res, len: 8M, align: 2M, prot: none }
  - clear_refs: 4
  - mremap: { addr: a, old_len: 16K, new_len: 16K, flags: [maymove, fixed], new_addr: res + 16K, as: b }
  - mremap: { addr: t, old_len: 2M, new_len: 2M, flags: [maymove, fixed], new_addr: res + 4M, as: c }
`;
    const r = run(sc, kernel('v6.12'));
    expect([pagemapBit(r, 'b', PRESENT), pagemapBit(r, 'b', SD)]).toEqual([1, 1]);
    expect([pagemapBit(r, 'c', PRESENT), pagemapBit(r, 'c', SD)]).toEqual([1, 1]);
    expect(vmstat(r, 'thp_split_pmd')).toBe(0);
    // soft-dirty compiled out (this machine's 6.18): nothing to set
    expect(pagemapBit(run(sc, kernel('v6.18')), 'b', SD)).toBe(0);
  });

  it('grows in place into free space and merges with a compatible next VMA; shrinks by unmapping the tail', () => {
    const sc = `
name: grow
observe: { pages: [m] }
setup:
  - mmap: { as: r, len: 64K, prot: none }
  - munmap: { addr: r, len: 64K }
  - mmap: { as: m, addr: r, len: 16K, flags: [private, anonymous, fixed] }
  - mmap: { as: n, addr: r + 32K, len: 16K, flags: [private, anonymous, fixed] }
  - mremap: { addr: m, old_len: 16K, new_len: 32K, id: grow }
  - checkpoint: grown
  - mremap: { addr: m, old_len: 48K, new_len: 8K, id: shrink }
`;
    const r = run(sc, kernel('v6.18'));
    expect(result(r, 'grow')).toBe(result(r, 'shrink'));
    expect(r.observation.snapshots.grown!.vma_count).toBe(1);
    expect(r.observation.snapshots.final!.vma_count).toBe(1);
  });

  it('without MREMAP_MAYMOVE a growth that does not fit is ENOMEM; with it the VMA moves and keeps its bytes', () => {
    const sc = `
name: maymove
observe: { pages: [b] }
setup:
  - mmap: { as: m, len: 8K }
  - memset: { addr: m, len: 8K, value: 3 }
  - mmap: { as: n, addr: m + 8K, len: 4K, flags: [private, anonymous, fixed], prot: r }
  - mremap: { addr: m, old_len: 8K, new_len: 16K, id: stuck }
  - mremap: { addr: m, old_len: 8K, new_len: 16K, flags: [maymove], as: b, id: moved }
  - read: { addr: b + 4K, len: 1, id: kept }
`;
    const r = run(sc, kernel('v6.18'));
    expect(errno(r, 'stuck')).toBe('ENOMEM');
    expect(errno(r, 'moved')).toBe(null);
    expect(result(r, 'moved')).not.toBe(result(r, 'stuck'));
    expect(result(r, 'kept')).toMatch(/^1B nonzero=1 /);
  });

  it('a uffd without EVENT_REMAP: the moved VMA leaves it (no message, a MISSING range no longer faults to the uffd)', () => {
    const sc = `
name: unreg
observe: { pages: [b] }
setup:
  - mmap: { as: a, len: 16K }
  - mmap: { as: res, len: 64K, prot: none }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: a, len: 16K, mode: [missing] }
  - mremap: { addr: a, old_len: 16K, new_len: 16K, flags: [maymove, fixed], new_addr: res + 16K, as: b, id: mv }
  - poll_uffd: { uffd: u, id: poll }
threads:
  t:
    - read: { addr: b, len: 8 }
`;
    const r = run(sc, kernel('v6.18'));
    expect(errno(r, 'mv')).toBe(null);
    expect(result(r, 'poll')).toBe('0x0');
    expect(thread(r, 't').state).toBe('done');
  });

  it('with EVENT_REMAP the mremap waits for its REMAP message and UFFDIO_COPY is EAGAIN until it is read', () => {
    const sc = `
name: remap
observe: { pages: [b] }
setup:
  - mmap: { as: a, len: 16K }
  - mmap: { as: s, len: 4K }
  - mmap: { as: res, len: 64K, prot: none }
  - userfaultfd: { as: u, features: [event_remap] }
  - uffdio_register: { uffd: u, addr: a, len: 16K, mode: [missing] }
threads:
  mover:
    - mremap: { addr: a, old_len: 16K, new_len: 16K, flags: [maymove, fixed], new_addr: res + 16K, as: b, id: mv }
  handler:
    - uffdio_copy: { uffd: u, dst: res + 16K, src: s, len: 4K, id: during }
    - read_uffd: { uffd: u, as: m, id: rd }
    - uffdio_copy: { uffd: u, dst: res + 16K, src: s, len: 4K, id: after }
schedule: mover handler handler mover handler
`;
    const r = run(sc, kernel('v6.18'));
    expect(errno(r, 'during')).toBe('EAGAIN');
    expect(result(r, 'rd')).toMatch(/^event=0x14 flags=0x[0-9a-f]+ address=0x[0-9a-f]+ len=0x4000$/);
    expect(result(r, 'after')).toBe('4096');
    expect(result(r, 'mv')).toBe(result(r, 'rd')!.replace(/^.* address=(0x[0-9a-f]+) .*$/, '$1'));
  });

  it('with EVENT_REMAP uffd-wp travels with the pages on every release (pagemap shows it from v5.14)', () => {
    const sc = `
name: keep
observe: { pages: [b] }
setup:
  - mmap: { as: a, len: 16K }
  - memset: { addr: a, len: 16K, value: 1 }
  - mmap: { as: res, len: 64K, prot: none }
  - userfaultfd: { as: u, features: [event_remap] }
  - uffdio_register: { uffd: u, addr: a, len: 16K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: a, len: 16K, mode: [wp] }
threads:
  mover:
    - mremap: { addr: a, old_len: 16K, new_len: 16K, flags: [maymove, fixed], new_addr: res + 16K, as: b }
  handler:
    - read_uffd: { uffd: u }
`;
    for (const k of ['v5.14', 'v6.6', 'v6.12', 'v6.18']) {
      expect(pagemapBit(run(sc, kernel(k)), 'b', UFFD_WP), k).toBe(1);
    }
  });

  it('MREMAP_DONTUNMAP: an unknown flag before v5.7; after, the old VMA stays, empty and still registered', () => {
    const sc = `
name: dontunmap
observe: { pages: [a, b] }
setup:
  - mmap: { as: a, len: 8K }
  - memset: { addr: a, len: 8K, value: 1 }
  - mremap: { addr: a, old_len: 8K, new_len: 8K, flags: [maymove, dontunmap], as: b, id: mv }
`;
    expect(errno(run(sc, kernel('v4.19')), 'mv')).toBe('EINVAL');
    const r = run(sc, kernel('v5.7'));
    expect(errno(r, 'mv')).toBe(null);
    expect(pagemapBit(r, 'a', PRESENT)).toBe(0);
    expect(pagemapBit(r, 'b', PRESENT)).toBe(1);
    expect(r.observation.snapshots.final!.vma_count).toBe(2);
  });

  for (const k of ['v6.12', 'v6.18']) {
    it(`selftest uffd-wp-mremap passes on ${k}`, () => {
      const r = run(readFileSync('scenarios/selftests/uffd-wp-mremap.yaml', 'utf8'), kernel(k));
      expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
    });
  }
  for (const k of ['v5.19', 'v6.6', 'v6.9']) {
    it(`selftest uffd-wp-mremap fails on ${k} (no 0cef0bb836e3): the moved entries keep uffd-wp`, () => {
      const r = run(readFileSync('scenarios/selftests/uffd-wp-mremap.yaml', 'utf8'), kernel(k));
      const failed = r.expectations.filter((e) => !expectationPasses(e)).map((e) => e.line);
      expect(failed.length).toBe(7);
    });
  }
});

describe('the UNMAP events of the destinations of several VMAs moved by one mremap (remap_move, d23cb648e365)', () => {
  const TWO = readFileSync('scenarios/differential/event-unmap-remap-move-two-vmas.yaml', 'utf8');
  const msg = (r: ReturnType<typeof run>, name: string) => {
    const e = r.observation.msgs[name];
    const base = r.observation.mappings['dst']!.addr;
    return e ? [e.event, Number(e.flags) - base, Number(e.address) - base] : null;
  };

  it('v6.18 sends one per piece, in the order of the pieces, each for its piece\'s destination, then returns', () => {
    const r = run(TWO, kernel('v6.18'));
    expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
    expect([msg(r, 'e1'), msg(r, 'e2'), msg(r, 'e3')]).toEqual([[0x16, 0, 0x2000], [0x16, 0x2000, 0x4000], [0x16, 0x5000, 0x6000]]);
    expect(thread(r, 'w').state).toBe('done');
  });

  it('before remap_move (v6.12) the destination is unmapped whole, with one event, and the call is EFAULT', () => {
    const r = run(TWO, kernel('v6.12'));
    expect(msg(r, 'e1')).toEqual([0x16, 0, 0x6000]);
    expect(errno(r, 'move')).toBe('EFAULT');
    // no second event: the handler's next read sleeps
    expect(thread(r, 'h').state).toBe('blocked');
  });

  it('without the row but with a85dc37186a5 the source is checked before the destination is unmapped: EFAULT, no event', () => {
    const r = run(TWO, kernel('v6.18', { remove: [P('mremap-move-multi-vma')] }));
    expect(errno(r, 'move')).toBe('EFAULT');
    expect(msg(r, 'e1')).toBeNull();
  });

  it('two uffds: each piece\'s contexts in turn, a piece whose destination is not registered sends none', () => {
    const r = run(readFileSync('scenarios/differential/event-unmap-remap-move-two-ctx.yaml', 'utf8'), kernel('v6.18'));
    expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
    expect([msg(r, 'ea'), msg(r, 'eb1'), msg(r, 'eb2')]).toEqual([[0x16, 0x1000, 0x3000], [0x16, 0x1000, 0x3000], [0x16, 0x3000, 0x4000]]);
  });

  it('a move that fails at an armed VMA after two pieces sends their events, then returns EFAULT', () => {
    const r = run(readFileSync('scenarios/differential/event-unmap-remap-move-efault.yaml', 'utf8'), kernel('v6.18'));
    expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
    expect(errno(r, 'move')).toBe('EFAULT');
  });

  it('more than three pieces with events is a model limit (exit 2 at the operation)', () => {
    const four = `
name: four
setup:
  - mmap: { as: src, len: 16K }
  - mprotect: { addr: src + 4K, len: 4K, prot: [read] }
  - mprotect: { addr: src + 12K, len: 4K, prot: [read] }
  - mmap: { as: dst, len: 16K }
  - userfaultfd: { as: u, flags: [cloexec], features: [event_unmap] }
  - uffdio_register: { uffd: u, addr: dst, len: 16K, mode: [missing] }
threads:
  w:
    - mremap: { addr: src, old_len: 16K, new_len: 16K, flags: [maymove, fixed], new_addr: dst }
`;
    expect(() => run(four, kernel('v6.18'))).toThrow(/model limit: UNMAP events of more than 3 destinations/);
  });
});

// File mappings (shmem/memfd/tmpfs) under mremap and VMA merging (src/kernel/mm/mremap.ts, vma.ts), and the
// writenotify question mprotect asks with a shared VMA's old protection (src/kernel/mm/mmap.ts,
// mprotect.ts): what the host cannot show (other releases, soft-dirty, which it compiles out).
import { describe, expect, it } from 'vitest';
import { kernel, run, pagemapBit, pte, result, P } from './helpers.js';
import type { RunResult } from '../src/run.js';
import { vma_wants_writenotify } from '../src/kernel/mm/mmap.js';

const vmas = (r: RunResult) => r.machine.k.mms[0]!.vmas.map((v) => [v.vm_start, v.vm_end, v.vm_pgoff, v.vm_file]);

describe('mprotect of a shared mapping asks vma_wants_writenotify() with the old vm_page_prot (mm/vma.h @v6.18)', () => {
  // the corpus 6 steps on a shared memfd: the read-only protection is not what RW flags give, so
  // dirty_accountable / MM_CP_TRY_CHANGE_WRITABLE is not set and the PTE stays read-only on every release
  const plain = `
name: plain
observe: { pages: [m] }
setup:
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 4K }
  - mmap: { as: m, len: 4K, fd: f }
  - write: { addr: m }
  - clear_refs: 4
  - mprotect: { addr: m, len: 4K, prot: r }
  - mprotect: { addr: m, len: 4K, prot: rw }
  - checkpoint: rw
  - write: { addr: m, value: 2 }
`;
  for (const k of ['v4.19', 'v5.19', 'v6.0', 'v6.18']) {
    it(`${k}: the write after mprotect(RW) faults and is tracked`, () => {
      const r = run(plain, kernel(k, {}, ['soft_dirty=y']));
      expect(Number(BigInt(pte(r, 'm', 'rw').split(' ')[0]!) & 2n)).toBe(0);
      expect(pagemapBit(r, 'm', 55)).toBe(1);
    });
  }
  it('even with the v6.0 merge window\'s upside-down soft-dirty test (v6.0 without 76aefad628aa)', () => {
    const r = run(plain, kernel('v6.0', { remove: [P('soft-dirty-can-change-fix')] }, ['soft_dirty=y']));
    expect(pagemapBit(r, 'm', 55)).toBe(1);
  });
  it('vma_wants_writenotify: no with a protection that is not the flags\' own, yes with it (soft-dirty tracked)', () => {
    const r = run(plain.replace(/  - mprotect[\s\S]*$/, ''), kernel('v6.18', {}, ['soft_dirty=y']));
    const k = r.machine.k, vma = k.mms[0]!.vmas[0]!;
    expect(vma_wants_writenotify(k, vma, k.pgt.vm_get_page_prot(vma.vm_flags))).toBe(true);
    expect(vma_wants_writenotify(k, vma, k.pgt.vm_get_page_prot(vma.vm_flags & ~0x2))).toBe(false);
  });
});

describe('VMAs of a file merge by file and offset (is_mergeable_vma, can_vma_merge_before/after)', () => {
  const two = (off2: string, fd2 = 'f') => `
name: merge
setup:
  - memfd_create: { as: f }
  - memfd_create: { as: g }
  - ftruncate: { fd: f, len: 64K }
  - ftruncate: { fd: g, len: 64K }
  - mmap: { as: r, len: 64K, prot: none }
  - mmap: { as: a, addr: r, len: 8K, fd: f, offset: 8K, flags: [shared, fixed] }
  - mmap: { as: b, addr: r + 8K, len: 8K, fd: ${fd2}, offset: ${off2}, flags: [shared, fixed] }
  - munmap: { addr: r + 16K, len: 48K }
`;
  it('the next offsets of the same file: one VMA', () => {
    const r = run(two('16K'), kernel('v6.18'));
    expect(vmas(r)).toHaveLength(1);
    expect(vmas(r)[0]![2]).toBe(2);
  });
  it('another offset, or another file: two', () => {
    expect(vmas(run(two('24K'), kernel('v6.18')))).toHaveLength(2);
    expect(vmas(run(two('16K', 'g'), kernel('v6.18')))).toHaveLength(2);
  });
});

describe('mremap of file mappings (mm/mremap.c @v6.18)', () => {
  // 4 file pages holding 1..4, mapped from offset 4K, nothing faulted; pages 1-2 of the mapping moved away
  const moved = (k: string) => run(`
name: mv
setup:
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 20K }
  - pwrite: { fd: f, offset: 4K, len: 4K, value: 1 }
  - pwrite: { fd: f, offset: 8K, len: 4K, value: 2 }
  - pwrite: { fd: f, offset: 12K, len: 4K, value: 3 }
  - pwrite: { fd: f, offset: 16K, len: 4K, value: 4 }
  - mmap: { as: m, len: 16K, fd: f, offset: 4K }
  - mmap: { as: res, len: 64K, prot: none }
  - mremap: { addr: m + 4K, old_len: 8K, new_len: 8K, flags: [maymove, fixed], new_addr: res + 32K, as: n, id: mv }
  - read: { addr: n, len: 1, id: r2 }
  - read: { addr: n + 4K, len: 1, id: r3 }
`, kernel(k));
  it('the moved VMA keeps its file offset (not the address an unfaulted anonymous VMA takes)', () => {
    const r = moved('v6.18');
    const v = r.machine.k.mms[0]!.vmas.filter((x) => x.vm_file !== 0);
    expect(v.map((x) => x.vm_pgoff)).toEqual([2, 1, 4]);
    expect(new Set(v.map((x) => x.vm_file)).size).toBe(1);
    expect(result(r, 'r2')).not.toBe(result(r, 'r3'));
  });
  it('MREMAP_DONTUNMAP of it is EINVAL before v5.13', () => {
    const y = `
name: du
setup:
  - mmap: { as: m, len: 4K, flags: [shared, anonymous] }
  - mremap: { addr: m, old_len: 4K, new_len: 4K, flags: [maymove, dontunmap], id: mv }
`;
    expect(run(y, kernel('v5.9')).observation.ops['mv']!.errno).toBe('EINVAL');
    expect(run(y, kernel('v5.14')).observation.ops['mv']!.errno).toBeNull();
  });
});

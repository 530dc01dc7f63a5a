// VMA merging and anon_vmas (src/kernel/mm/vma.ts) where the host cannot show them: the VMAs of a
// forked process (mmsim host compares the main process's VMA count only) and the reuse of anon_vmas
// across generations of forks.
import { describe, expect, it } from 'vitest';
import { kernel, run } from './helpers.js';
import type { RunResult } from '../src/run.js';
import type { MmStruct } from '../src/kernel/include/mm_types.js';

function mms(r: RunResult): MmStruct[] {
  return r.machine.k.mms;
}

describe('merging in a forked child (vma_had_uncowed_parents, mm/vma.c @v6.18)', () => {
  // ram: MADV_RANDOM on its first 16 KiB, the rest written (an anon_vma), then fork; in each process the
  // rest gets MADV_RANDOM too. The parent merges the written part into the untouched one; the child may
  // not, its written part being linked to the parent's anon_vma as well.
  const yaml = (who: string) => `
name: fork-merge
setup:
  - mmap: { as: ram, len: 64K }
  - madvise: { addr: ram, len: 16K, advice: random }
  - write: { addr: ram + 16K, value: 1 }
  - fork: { as: child }
threads:
  kid:
    process: child
    ops:
${who === 'child' ? '      - madvise: { addr: ram + 16K, len: 48K, advice: random }' : '      - read: { addr: ram, len: 8 }'}
  t:
${who === 'parent' ? '    - madvise: { addr: ram + 16K, len: 48K, advice: random }' : '    - read: { addr: ram, len: 8 }'}
`;
  it('the parent merges, the child does not', () => {
    const p = run(yaml('parent'), kernel('v6.18'));
    expect(mms(p)[0]!.vmas.length).toBe(1);
    expect(mms(p)[1]!.vmas.length).toBe(2);
    const c = run(yaml('child'), kernel('v6.18'));
    expect(mms(c)[0]!.vmas.length).toBe(2);
    expect(mms(c)[1]!.vmas.length).toBe(2);
    // the child's written VMA: its own anon_vma, then the parent's
    const v = mms(c)[1]!.vmas[1]!;
    expect(v.anon_vma_chain.length).toBe(2);
    expect(v.anon_vma_chain[1]).toBe(mms(c)[0]!.vmas[1]!.anon_vma);
    expect(v.anon_vma!.parent).toBe(mms(c)[0]!.vmas[1]!.anon_vma);
  });

  it('a forked neighbour lends no anon_vma at the first fault (reusable_anon_vma)', () => {
    // in the parent, the rwx half was written; in the child the rw half is written first, its neighbour
    // is a fork child, so it gets an anon_vma of its own and mprotect back does not merge them
    const r = run(`
name: fork-no-reuse
setup:
  - mmap: { as: ram, len: 64K }
  - mprotect: { addr: ram + 32K, len: 32K, prot: rwx }
  - write: { addr: ram + 32K, value: 2 }
  - fork: { as: child }
threads:
  kid:
    process: child
    ops:
      - write: { addr: ram, value: 1 }
      - mprotect: { addr: ram + 32K, len: 32K, prot: rw }
  t:
    - write: { addr: ram, value: 1 }
    - mprotect: { addr: ram + 32K, len: 32K, prot: rw }
`, kernel('v6.18'));
    expect(mms(r)[0]!.vmas.length).toBe(1);
    expect(mms(r)[1]!.vmas.length).toBe(2);
  });
});

describe('anon_vma_fork reuses an anon_vma no VMA uses any more (anon_vma_clone, mm/rmap.c @v6.18)', () => {
  it('the grandchild of a process that unmapped its copy gets that process\'s anon_vma', () => {
    const r = run(`
name: fork-reuse
setup:
  - mmap: { as: ram, len: 16K }
  - write: { addr: ram, value: 1 }
  - fork: { as: child }
threads:
  kid:
    process: child
    ops:
      - fork: { as: grandchild }
      - munmap: { addr: ram, len: 16K }
  gkid:
    process: grandchild
    ops:
      - fork: { as: great }
`, kernel('v6.18'), 'kid kid gkid');
    const [p, c, g, h] = mms(r);
    expect(c!.vmas.length).toBe(0);
    const a = p!.vmas[0]!.anon_vma!, gv = g!.vmas[0]!, hv = h!.vmas[0]!;
    // the child's anon_vma (parent a) is still linked by the grandchild, but no VMA uses it and it has one
    // child (the grandchild's): the great-grandchild's VMA takes it instead of a new one
    const b = gv.anon_vma_chain[1]!;
    expect(b.parent).toBe(a);
    expect(gv.anon_vma!.parent).toBe(b);
    expect(hv.anon_vma).toBe(b);
    expect(hv.anon_vma_chain).toEqual(gv.anon_vma_chain);
  });
});

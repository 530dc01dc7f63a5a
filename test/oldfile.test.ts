// Shared memory and tmpfs files on the v4.7 .. v4.15 profiles (read at v4.9), and Dirty COW (bug-corpus 27)
// on v4.8 -> v4.9 in its own form; docs/fidelity.md, "The releases before 4.19".
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/load.js';
import { checkScenario } from '../src/explore/check.js';
import { errno, kernel, page, pagemapBit, run, result } from './helpers.js';

describe('shmem on the old profiles', () => {
  it('a private file mapping copies on write and a shared one writes the page cache, on v4.8 as on v4.19', () => {
    const yaml = `
name: file-faults
observe: { pages: [p, s] }
setup:
  - open: { as: fd, path: f, flags: [rdwr, create] }
  - pwrite: { fd: fd, offset: 0, len: 8K, value: 0x11 }
  - pread: { fd: fd, offset: 0, len: 1, as: orig, id: r0 }
  - mmap: { as: p, len: 8K, flags: [private], fd: fd }
  - mmap: { as: s, len: 8K, flags: [shared], fd: fd }
  - read: { addr: p }
  - write: { addr: p, value: 0x22 }
  - write: { addr: s + 4K, value: 0x33 }
  - pread: { fd: fd, offset: 0, len: 1, as: a, id: ra }
  - pread: { fd: fd, offset: 4K, len: 1, as: b, id: rb }
  - read: { addr: p + 4K, id: pb }
`;
    const outs = ['v4.8', 'v4.9', 'v4.15', 'v4.19'].map((k) => {
      const r = run(yaml, kernel(k));
      return [result(r, 'r0'), result(r, 'ra'), result(r, 'rb'), result(r, 'pb')];
    });
    for (const o of outs) expect(o).toEqual(outs[3]);
    // the private write stayed private (the file keeps 0x11); the shared write reached the file and the
    // private mapping's page it had not copied
    const [orig, a, b, pb] = outs[0]!;
    expect(a).toBe(orig);
    expect(b).not.toBe(orig);
    expect(pb).toBe(b);
  });
});

describe('Dirty COW (bug-corpus 27) on v4.8 and v4.9', () => {
  it('mmsim check finds the write into the file by itself on v4.8, and no interleaving does on v4.9', () => {
    const sc = loadScenario('scenarios/check/dirty-cow.yaml');
    for (const k of ['v4.8', 'v4.9']) {
      const c = checkScenario(sc, kernel(k), { debug: true });
      expect(c.complete).toBe(true);
      expect(c.conditions.every((x) => x.ok)).toBe(true);
      const w = c.conditions.find((x) => x.name === 'file_written')!;
      expect(w.observation).toBe(k === 'v4.8' ? 'Sometimes' : 'Never');
      expect(w.positive > 0).toBe(k === 'v4.8');
    }
  });
});

describe('the reclaim device and swap on v3.11 (bug-corpus 20)', () => {
  const yaml = (op: string, k = '') => `
name: reclaim
observe: { pages: [m] }
setup:
  - swapon: { pages: 64 }
  - mmap: { as: m, len: 8K }
  - write: { addr: m, value: 5 }
  - write: { addr: m + 4K, value: 6 }
  - ${op}
  - checkpoint: out
  - read: { addr: m, as: back, id: back }
${k}`;

  it('reclaims what MADV_PAGEOUT does, on a release that has it: the same pages, PTEs and pagemap', () => {
    for (const k of ['v5.7', 'v6.1', 'v6.18']) {
      const a = run(yaml('reclaim: { addr: m, len: 8K, id: op }'), kernel(k));
      const b = run(yaml('madvise: { addr: m, len: 8K, advice: pageout, id: op }'), kernel(k));
      expect(result(a, 'op')).toBe('0');
      expect(a.observation.snapshots['out']).toEqual(b.observation.snapshots['out']);
      expect(a.observation.snapshots['final']).toEqual(b.observation.snapshots['final']);
    }
  });

  it('swaps out and back in on v3.11-rc4 and v3.11, with the v3.11 swap PTE layout', () => {
    for (const k of ['v3.11-rc4', 'v3.11']) {
      const r = run(yaml('reclaim: { addr: m, len: 4K, id: op }'), kernel(k));
      // type 0, offset 1 (1 << 9); with 179ef71cbc08 the written page's soft-dirty is bit 7 (_PAGE_PSE)
      expect(page(r, 'm', 'out').pte).toBe(k === 'v3.11' ? '0x0000000000000280' : '0x0000000000000200');
      expect(pagemapBit(r, 'm', 62, 'out')).toBe(1);
      expect(pagemapBit(r, 'm', 63)).toBe(1);
      expect(result(r, 'back')).toBe(result(run(yaml('madvise: { addr: m, len: 4K, advice: normal }'), kernel(k)), 'back'));
    }
  });

  it('fails as MADV_PAGEOUT does, and is refused where the swap PTE layout is not modelled', () => {
    expect(errno(run(yaml('reclaim: { addr: m + 1, len: 4K, id: op }'), kernel('v3.11')), 'op')).toBe('EINVAL');
    expect(errno(run(yaml('reclaim: { addr: m, len: 16K, id: op }'), kernel('v3.11')), 'op')).toBe('ENOMEM');
    expect(() => run(yaml('reclaim: { addr: m, len: 4K, id: op }'), kernel('v3.18'))).toThrow(/not modelled on v3\.18: swap-out \(the reclaim operation\) on 3\.12 \.\. 4\.18/);
    expect(() => run(yaml('reclaim: { addr: m, len: 4K, id: op }'), kernel('v4.15'))).toThrow(/not modelled on v4\.15: swap-out/);
  });
});

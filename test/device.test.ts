// Device-coherent memory (the HMM test driver's coherent device, mm/memremap.ts) and move_pages(2)
// (mm/migrate.ts kernel_move_pages): what the operations do, per release, and what the model refuses.
import { describe, expect, it } from 'vitest';
import { kernel, run, result, errno, page } from './helpers.js';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { expectationPasses } from '../src/scenario/outcome.js';

const setup = (body: string, pages = '[buf]') => `
name: device
observe: { pages: ${pages} }
setup:
  - mmap: { as: buf, len: 16K }
${body}
`;

describe('hmm_migrate (HMM_DMIRROR_MIGRATE_TO_DEV on a coherent device)', () => {
  it('moves a written page into device memory: same contents, a new page the CPU still maps, the old one freed', () => {
    const r = run(setup(`  - memset: { addr: buf, len: 4K, value: 0x5a }
  - read: { addr: buf, len: 4K, as: before }
  - checkpoint: sys
  - hmm_migrate: { addr: buf, len: 4K, to: coherent, id: op }
  - read: { addr: buf, len: 4K, as: after }`), kernel('v6.18'));
    expect(result(r, 'op')).toBe('1');
    expect(r.observation.buffers.after!.digest).toBe(r.observation.buffers.before!.digest);
    const p = page(r, 'buf');
    expect(BigInt(p.kpageflags!)).toBe(1n << 20n); // KPF_NOPAGE
    expect(BigInt(p.pagemap) >> 63n).toBe(1n); // still present in pagemap
    expect(p.refcount).toBe(1);
    expect(r.observation.snapshots.final!.devmem).toEqual({ allocated: 1, freed: 0, in_use: 1 });
  });

  it('leaves a pinned page where it is (-ENOENT: not every page of the range is on the device)', () => {
    const r = run(setup(`  - write: { addr: buf }
  - pin: { addr: buf, as: p }
  - hmm_migrate: { addr: buf, len: 4K, to: coherent, id: op }`), kernel('v6.18'));
    expect(errno(r, 'op')).toBe('ENOENT');
    expect(BigInt(page(r, 'buf').kpageflags!) & (1n << 20n)).toBe(0n);
  });

  it('is EINVAL at a hole and refuses an empty PTE as not modelled', () => {
    const r = run(setup('  - hmm_migrate: { addr: buf + 1G, len: 4K, to: coherent, id: op }'), kernel('v6.18'));
    expect(errno(r, 'op')).toBe('EINVAL');
    expect(() => run(setup('  - hmm_migrate: { addr: buf, len: 4K, to: coherent, id: op }'), kernel('v6.18'))).toThrow(/not modelled: migration of an empty PTE/);
  });

  it('gives a freed device page back to the driver, which hands it out again (LIFO)', () => {
    const r = run(setup(`  - memset: { addr: buf, len: 8K, value: 1 }
  - hmm_migrate: { addr: buf, len: 8K, to: coherent }
  - checkpoint: two
  - munmap: { addr: buf, len: 4K }
  - mmap: { as: again, len: 4K }
  - write: { addr: again }
  - hmm_migrate: { addr: again, len: 4K, to: coherent }`), kernel('v6.18'));
    expect(r.observation.snapshots.two!.devmem).toEqual({ allocated: 2, freed: 0, in_use: 2 });
    expect(r.observation.snapshots.final!.devmem).toEqual({ allocated: 3, freed: 1, in_use: 2 });
  });

  it('refuses the operations whose device-page paths the model does not follow', () => {
    expect(() => run(setup(`  - write: { addr: buf }
  - hmm_migrate: { addr: buf, len: 4K, to: coherent }
  - fork: { as: child }`), kernel('v6.18'))).toThrow(/not modelled: fork while device-coherent memory is in use/);
  });

  it('mbind migration (the migrate operation) skips a device page, as queue_pages_pte_range does', () => {
    const r = run(setup(`  - write: { addr: buf }
  - hmm_migrate: { addr: buf, len: 4K, to: coherent }
  - checkpoint: dev
  - migrate: { addr: buf, len: 4K, id: op }`), kernel('v6.18'));
    expect(errno(r, 'op')).toBeNull();
    expect(page(r, 'buf').pfn).toBe(page(r, 'buf', 'dev').pfn);
  });
});

describe('move_pages(2)', () => {
  const statuses = (k: string) => result(run(setup(`  - write: { addr: buf }
  - read: { addr: buf + 4K }
  - move_pages: { pages: [buf, buf + 4K, buf + 8K, buf + 1G], id: op }`), kernel(k)), 'op');

  it('reports each page: its node, the zero page -EFAULT, nothing mapped -EFAULT (v4.3..v6.11) or -ENOENT (v6.12), no VMA -EFAULT', () => {
    expect(statuses('v6.1')).toBe('0 status=0,-EFAULT,-EFAULT,-EFAULT');
    expect(statuses('v6.9')).toBe('0 status=0,-EFAULT,-EFAULT,-EFAULT');
    expect(statuses('v6.12')).toBe('0 status=0,-EFAULT,-ENOENT,-EFAULT');
    expect(statuses('v6.18')).toBe('0 status=0,-EFAULT,-ENOENT,-EFAULT');
  });

  it('checks flags and nodes: EINVAL, EPERM for move_all without root, ENODEV for a node without memory', () => {
    const one = (op: string, extra = '') => run(setup(`  - write: { addr: buf }${extra}\n  - ${op}`), kernel('v6.18'));
    expect(errno(one('move_pages: { pages: [buf], flags: [bit0], id: op }'), 'op')).toBe('EINVAL');
    expect(errno(one('move_pages: { pages: [buf], flags: [move_all], id: op }'), 'op')).toBeNull();
    expect(errno(one('move_pages: { pages: [buf], flags: [move_all], id: op }', '\n  - setuid: 65534'), 'op')).toBe('EPERM');
    expect(errno(one('move_pages: { pages: [buf, buf], nodes: [0, 1], id: op }'), 'op')).toBe('ENODEV');
  });

  it('takes no reference it does not give back, on a system page, on every release', () => {
    for (const k of ['v6.0', 'v6.1-rc1', 'v6.18']) {
      const r = run(setup(`  - write: { addr: buf }
  - move_pages: { pages: [buf, buf], id: op }`), kernel(k));
      expect(page(r, 'buf').refcount, k).toBe(1);
    }
  });

  it('is refused on the profiles older than 4.19, whose migration code was not read', () => {
    expect(() => run(setup('  - move_pages: { pages: [buf] }'), kernel('v4.15'))).toThrow(/not modelled on v4.15/);
  });

  it('a status expectation names the statuses and is checked against the result', () => {
    const sc = loadScenario('inline.yaml', setup(`  - write: { addr: buf }
  - move_pages: { pages: [buf, buf + 4K], id: op }`) + `expect:
  - { op: op, result: 0, status: [0, -ENOENT] }
  - { not: { op: op, status: [0, -EFAULT] } }
`);
    const r = runScenario(sc, kernel('v6.18'));
    expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => e.detail)).toEqual([]);
    expect(() => loadScenario('inline.yaml', setup('  - write: { addr: buf, id: w }') + 'expect:\n  - { op: w, status: [0] }\n')).toThrow(/'status' is a field of move_pages/);
  });
});

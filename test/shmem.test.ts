// shmem, memfd and the page cache (src/kernel/mm/shmem.ts, filemap.ts): what the model keeps of a file, and
// that the differential scenarios of shmem hold the debug checks (CONFIG_DEBUG_VM) at every step.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadScenario } from '../src/scenario/load.js';
import { Machine } from '../src/sched/machine.js';
import { runScenario } from '../src/run.js';
import { StateHasher } from '../src/state/hasher.js';
import { kernel, run, pagemapBit } from './helpers.js';
import { PG_dirty, PG_uptodate } from '../src/kernel/mm/folio.js';
import { debug_vm_check } from '../src/kernel/mm/debug_vm.js';

const SHMEM_SCENARIOS = ['shmem-shared-anon-fork', 'memfd-private-cow', 'memfd-truncate-unmaps', 'memfd-punch-hole', 'tmpfs-file-open', 'shmem-uffd-missing-copy', 'shmem-uffd-wp-markers'];

function machine(yaml: string, config: string[] = []): Machine {
  const m = new Machine(loadScenario('inline.yaml', yaml), kernel('v6.18', {}, config));
  m.runSetup();
  return m;
}

describe('the page cache of a memfd', () => {
  const MEMFD = `
name: memfd
setup:
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 64K }
  - mmap: { as: m, len: 64K, fd: f }
  - memset: { addr: m, len: 16K, value: 1 }
`;
  it('holds one reference per page besides each mapping, and the pages a write dirtied are dirty folios', () => {
    const m = machine(MEMFD);
    const k = m.k, ino = k.mms[0]!.vmas.find((v) => v.vm_file !== 0)!.vm_file;
    const f = k.inode(ino)!;
    expect(f.nrpages).toBe(4);
    expect(f.i_size).toBe(64 * 1024);
    const slot = f.folioAt(0);
    expect(k.folios.refcount(slot)).toBe(2);
    expect(k.folios.mapcount(slot)).toBe(1);
    expect(k.folios.test(slot, PG_dirty)).toBe(true);
    expect(k.folios.test(slot, PG_uptodate)).toBe(true);
    expect(f.folioAt(4)).toBe(-1);
    expect(k.mms[0]!.shmemPages).toBe(4);
    expect(k.mms[0]!.anonPages).toBe(0);
  });
  it('is freed with the file when the last descriptor and mapping go, in either order', () => {
    for (const tail of ['  - close: f\n  - munmap: { addr: m, len: 64K }\n', '  - munmap: { addr: m, len: 64K }\n  - close: f\n']) {
      const base = machine('name: none\nsetup:\n  - mmap: { as: x, len: 4K }\n');
      const m = machine(MEMFD + tail);
      expect(m.k.folios.liveFolios).toBe(base.k.folios.liveFolios);
      expect(m.k.inode(1)!.live).toBe(false);
      expect(m.k.inode(1)!.nrpages).toBe(0);
    }
  });
  it('keeps the file while a mapping holds it after close', () => {
    const m = machine(MEMFD + '  - close: f\n');
    expect(m.k.inode(1)!.live).toBe(true);
    expect(m.k.inode(1)!.nrpages).toBe(4);
  });
  it('is copied with the kernel: a clone written does not change the original, and equal states fingerprint alike', () => {
    const m = machine(MEMFD);
    const c = m.clone();
    const h = (x: Machine) => {
      const s = new StateHasher();
      x.fingerprint(s);
      return `${s.controlHi()}:${s.controlLo()}`;
    };
    expect(h(c)).toBe(h(m));
    const f = c.k.inode(1)!;
    c.k.current = c.setup.task;
    c.k.inode(1)!.i_size = 4096;
    expect(m.k.inode(1)!.i_size).toBe(64 * 1024);
    expect(f.i_size).toBe(4096);
    expect(h(c)).not.toBe(h(m));
  });
});

describe('fault-around on a read of a file mapping (do_fault_around, filemap_map_pages)', () => {
  const pre = (n: number) => `
name: around
observe: { pages: [m, m + 0xf000, m + 0x10000] }
setup:
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 128K }
  - pwrite: { fd: f, offset: 0, len: ${n}, value: 1 }
  - mmap: { as: m, len: 128K, fd: f, align: 2M }
  - read: { addr: m + 0x1000, as: r }
`;
  it('maps the cached pages of the 64 KiB window, not past it', () => {
    const r = run(pre(128 * 1024), kernel('v6.18'));
    expect([pagemapBit(r, 'm', 63), pagemapBit(r, 'm + 0xf000', 63), pagemapBit(r, 'm + 0x10000', 63)]).toEqual([1, 1, 0]);
  });
  it('maps nothing that is not in the cache', () => {
    const r = run(pre(4096), kernel('v6.18'));
    expect([pagemapBit(r, 'm', 63), pagemapBit(r, 'm + 0xf000', 63)]).toEqual([1, 0]);
  });
});

describe('the shmem differential scenarios hold the debug checks after every step', () => {
  for (const s of SHMEM_SCENARIOS) {
    it(s, () => {
      const sc = loadScenario(`${s}.yaml`, readFileSync(`scenarios/differential/${s}.yaml`, 'utf8'));
      const m = new Machine(sc, kernel('v6.18'));
      const bugs: string[] = [];
      let steps = 0;
      m.afterStep = (x) => {
        steps++;
        for (const b of debug_vm_check(x.k)) bugs.push(`${b.check}: ${b.what}`);
      };
      m.runSetup();
      expect(bugs).toEqual([]);
      expect(steps).toBeGreaterThan(3);
      const r = runScenario(sc, kernel('v6.18'));
      expect(r.ok).toBe(true);
    });
  }
});

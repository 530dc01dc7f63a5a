// A process's exit (the `exit` operation: kernel/exit.c do_group_exit, exit_mm -> mm/mmap.c exit_mmap,
// exit_files @v6.18): its other threads are killed, its address space and page tables go, its files are
// closed, and a userfaultfd context that outlives it in another process finds no mm (mmget_not_zero:
// ESRCH / ENOMEM; UFFDIO_WRITEPROTECT from cb185d5f1ebf, v5.15). The differential scenarios exit-* agree
// with this 6.18.
import { describe, expect, it } from 'vitest';
import { err, errno, kernel, orphanUffd, page, run, thread } from './helpers.js';
import { runScenario } from '../src/run.js';
import { loadScenario } from '../src/scenario/load.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { PG_table, PG_zero } from '../src/kernel/mm/folio.js';
import type { Kernel } from '../src/kernel/kernel.js';

/** the folios alive that are neither page tables nor the zero page (the memory of processes and files) */
function memoryFolios(k: Kernel): number {
  let n = 0;
  for (let s = 0; s < 1 << 14; s++) if (k.folios.refcount(s) > 0 && !(k.folios.flags(s) & (PG_table | PG_zero))) n++;
  return n;
}

describe('exit', () => {
  it('takes the address space down: no VMA, no page table, the folios only this process mapped freed, mm_users 0', () => {
    const yaml = `
name: k
setup:
  - mmap: { as: ram, len: 4M, align: 2M }
  - madvise: { addr: ram, len: 4M, advice: hugepage }
threads:
  main:
    - fork: { as: a }
  x:
    process: a
    ops:
      - memset: { addr: ram, len: 2M, value: 1 }
      - write: { addr: ram + 2M, value: 2 }
      - exit: 7
`;
    const sc = loadScenario('k.yaml', yaml);
    const r = runScenario(sc, resolveKernel('v6.18'), { schedule: 'main x*3' });
    const k = r.machine.k;
    const child = r.machine.procs.get('a')!.mm;
    expect(child.users).toBe(0);
    expect(child.vmas.length).toBe(0);
    // only the PGD is left of the child's page tables
    expect([...child.tables.values()].length).toBe(1);
    // the THP and the small page the child faulted are gone (the parent never touched the range)
    expect(memoryFolios(k)).toBe(0);
    expect(r.observation.ops['x#3']!.result).toBe('7');
    expect(thread(r, 'x').state).toBe('done');
  });

  it('kills the other threads of the process (SIGKILL), the unborn ones too, and leaves other processes alone', () => {
    const yaml = `
name: k
setup:
  - mmap: { as: m, len: 8K }
threads:
  main:
    - fork: { as: a }
    - write: { addr: m, value: 1 }
  s:
    process: a
    ops:
      - userfaultfd: { as: u, flags: [cloexec] }
      - uffdio_register: { uffd: u, addr: m + 4K, len: 4K, mode: [missing] }
      - write: { addr: m + 4K, value: 1 }
  idle:
    process: a
    ops:
      - read: { addr: m }
  x:
    process: a
    ops:
      - exit: 0
`;
    const r = run(yaml, kernel('v6.18'), 'main s*3 x main');
    expect(thread(r, 's')).toMatchObject({ state: 'killed', signal: 'SIGKILL' });
    expect(thread(r, 'idle')).toMatchObject({ state: 'killed', signal: 'SIGKILL' });
    expect(thread(r, 'main').state).toBe('done');
    // the dead process's pages are not observed (its pagemap cannot be read)
    expect(r.observation.ops['main#2']!.errno).toBe(null);
  });

  it('the orphaned context: COPY, ZEROPAGE, POISON ESRCH without writing their field, REGISTER/UNREGISTER ENOMEM, WAKE 0', () => {
    const spec = kernel('v6.18');
    const c = run(orphanUffd('uffdio_copy: { uffd: u, dst: ram + 4K, src: src, len: 4K, id: c }'), spec);
    expect(errno(c, 'c')).toBe('ESRCH');
    expect(c.observation.ops.c!.out).toBeUndefined();
    expect(errno(run(orphanUffd('uffdio_zeropage: { uffd: u, addr: ram + 4K, len: 4K, id: c }'), spec), 'c')).toBe('ESRCH');
    expect(errno(run(orphanUffd('uffdio_poison: { uffd: u, addr: ram + 4K, len: 4K, id: c }'), spec), 'c')).toBe('ESRCH');
    expect(errno(run(orphanUffd('uffdio_register: { uffd: u, addr: ram, len: 64K, mode: [missing], id: c }'), spec), 'c')).toBe('ENOMEM');
    expect(errno(run(orphanUffd('uffdio_unregister: { uffd: u, addr: ram, len: 64K, id: c }'), spec), 'c')).toBe('ENOMEM');
    expect(errno(run(orphanUffd('uffdio_wake: { uffd: u, addr: ram, len: 4K, id: c }'), spec), 'c')).toBe(null);
    // the range is checked first: an unaligned one is EINVAL, as on the host
    expect(errno(run(orphanUffd('uffdio_register: { uffd: u, addr: ram + 1, len: 4K, mode: [missing], id: c }'), spec), 'c')).toBe('EINVAL');
    // UFFDIO_MOVE from another mm is EINVAL before the mm is looked at
    expect(errno(run(orphanUffd('uffdio_move: { uffd: u, dst: ram + 4K, src: ram, len: 4K, id: c }'), spec), 'c')).toBe('EINVAL');
  });

  it('UFFDIO_WRITEPROTECT on the orphaned context: ESRCH from cb185d5f1ebf (v5.15: v5.17 here), refused as not modelled before', () => {
    const yaml = orphanUffd('uffdio_writeprotect: { uffd: u, addr: ram, len: 4K, mode: [wp], id: c }', '[missing, wp]');
    expect(errno(run(yaml, kernel('v5.17')), 'c')).toBe('ESRCH');
    expect(errno(run(yaml, kernel('v6.12')), 'c')).toBe('ESRCH');
    expect(() => run(yaml, kernel('v5.14'))).toThrow(/not modelled on v5\.14: UFFDIO_WRITEPROTECT after the process of the userfaultfd exited/);
    // COPY was ESRCH long before (d2005e3f41d4, v4.7): on the oldest profile with userfaultfd too
    expect(errno(run(orphanUffd('uffdio_copy: { uffd: u, dst: ram + 4K, src: src, len: 4K, id: c }'), kernel('v4.19')), 'c')).toBe('ESRCH');
  });

  it('the child of a copy-on-write page: once the sharer exits, the page is exclusive again and a write reuses it', () => {
    const yaml = `
name: k
setup:
  - mmap: { as: ram, len: 4K }
  - write: { addr: ram, value: 1 }
threads:
  main:
    - fork: { as: a }
    - checkpoint: shared
    - write: { addr: ram, value: 2 }
  x:
    process: a
    ops:
      - exit: 0
observe:
  pages: [ram]
`;
    const before = run(yaml, kernel('v6.18'), 'main*2 x main');
    // PM_MMAP_EXCLUSIVE (bit 56) while the child lives, and again once it has exited
    expect((BigInt(page(before, 'ram', 'shared').pagemap) >> 56n) & 1n).toBe(0n);
    expect((BigInt(page(before, 'ram').pagemap) >> 56n) & 1n).toBe(1n);
    expect(page(before, 'ram').pfn_id).toBe(page(before, 'ram', 'shared').pfn_id);
    // the same write while the child lives copies the page
    const alive = run(yaml, kernel('v6.18'), 'main*3 x');
    expect(page(alive, 'ram').pfn_id).not.toBe(page(alive, 'ram', 'shared').pfn_id);
  });

  it('closes the process\'s files: a memfd only it held is evicted, a uffd only it held is released', () => {
    const yaml = `
name: k
threads:
  main:
    - fork: { as: a }
  x:
    process: a
    ops:
      - memfd_create: { as: f }
      - ftruncate: { fd: f, len: 8K }
      - pwrite: { fd: f, len: 8K, value: 3 }
      - userfaultfd: { as: u }
      - exit: 0
`;
    const r = run(yaml, kernel('v6.18'));
    const k = r.machine.k;
    expect(memoryFolios(k)).toBe(0);
    expect(k.uffds.every((c) => c.released)).toBe(true);
  });

  it('a fatal signal takes a forked process down whole; not the main process, nor one whose threads pin', () => {
    const yaml = (pin: string) => `
name: k
setup:
  - mmap: { as: ram, len: 8K }
  - write: { addr: ram, value: 1 }
threads:
  main:
    - fork: { as: a }
  x:
    process: a
    ops:${pin}
      - write: { addr: 0x10, value: 3 }
  m:
    - write: { addr: 0x20, value: 3 }
`;
    const r = run(yaml(''), kernel('v6.18'), 'main x m');
    expect(thread(r, 'x')).toMatchObject({ state: 'signal', signal: 'SIGSEGV' });
    expect(r.machine.procs.get('a')!.mm.users).toBe(0);
    expect(r.machine.procs.get('a')!.mm.vmas.length).toBe(0);
    // the main process's death by a signal leaves its address space (the executor's main process cannot die)
    expect(thread(r, 'm').state).toBe('signal');
    expect(r.machine.mainMm().users).toBe(1);
    expect(r.machine.mainMm().vmas.length).toBeGreaterThan(0);
    // a process that pins keeps its address space (and so the pin's folio its mapping)
    const p = run(yaml('\n      - pin: { addr: ram, as: p }'), kernel('v6.18'), 'main x*2');
    expect(p.machine.procs.get('a')!.mm.users).toBe(1);
  });

  it('is refused where it cannot be: in the setup, in the main process, before the end of its thread, in a process that pins', () => {
    expect(err('name: k\nsetup:\n  - exit: 0\n').message).toMatch(/^bad\.yaml:3:\d+: setup\.0\.exit: exit in the setup/);
    expect(err('name: k\nthreads:\n  t:\n    - exit: 0\n').message).toMatch(/^bad\.yaml:4:\d+: threads\.t\.0\.exit: exit in thread 't' of the main process/);
    const notLast = 'name: k\nsetup:\n  - mmap: { as: m, len: 4K }\nthreads:\n  main:\n    - fork: { as: a }\n  t:\n    process: a\n    ops:\n      - exit: 0\n      - write: { addr: m }\n';
    expect(err(notLast).message).toMatch(/^bad\.yaml:10:\d+: threads\.t\.ops\.0\.exit: exit must be the last operation of thread 't'/);
    const pins = 'name: k\nsetup:\n  - mmap: { as: m, len: 4K }\nthreads:\n  main:\n    - fork: { as: a }\n  t:\n    process: a\n    ops:\n      - pin: { addr: m, as: p }\n  x:\n    process: a\n    ops:\n      - exit: 0\n';
    expect(err(pins).message).toMatch(/^bad\.yaml:10:\d+: threads\.t\.ops\.0\.pin: not modelled: pin in process 'a', which exits/);
    expect(err('name: k\nthreads:\n  main:\n    - fork: { as: a }\n  t:\n    process: a\n    ops:\n      - exit: 256\n').message).toMatch(/^bad\.yaml:8:\d+: threads\.t\.ops\.0\.exit/);
  });
});

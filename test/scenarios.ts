// Small scenarios the patch tests share (inline YAML).
import type { KernelSpec } from '../src/kernel/kernel.js';
import { loadScenario } from '../src/scenario/load.js';
import { Machine } from '../src/sched/machine.js';
import { handle_userfault } from '../src/kernel/fs/userfaultfd.js';
import type { VmFault } from '../src/kernel/mm/memory.js';
import { Pte } from '../src/kernel/arch/x86/include/pte.js';
import { VM_UFFD_MISSING } from '../src/kernel/include/vm_flags.js';

/**
 * MADV_PAGEOUT of a shmem page held by a long-term pin (no-reclaim-pinned; measured on 6.18,
 * scenarios/differential/shmem-pageout-pinned.yaml): unmapped, then activated from v6.4
 */
export const PINNED_SHMEM_PAGEOUT = `
name: pinned-shmem-pageout
observe: { pages: [m] }
setup:
  - swapon: { pages: 64 }
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 4K }
  - mmap: { as: m, len: 4K, fd: f }
  - write: { addr: m, value: 1 }
  - pin: { addr: m, len: 4K, flags: [write, longterm], as: p }
  - madvise: { addr: m, len: 4K, advice: pageout }
  - unpin: p
  - read: { addr: m, as: a }
`;

/** write-protect a whole THP, a write faults, the handler un-protects 4 KiB */
export const THP_WP = `
name: thp-wp
observe: { pages: [m, m + 0x1000, m + 0x7f000] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - write: { addr: m }
  - checkpoint: populated
  - userfaultfd: { as: u, flags: [] }
  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp], id: reg }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 2M, mode: [wp] }
threads:
  w:
    - write: { addr: m + 0x7f010 }
  h:
    - read_uffd: { uffd: u, as: msg }
    - uffdio_writeprotect: { uffd: u, addr: msg.address, len: 4K }
    - checkpoint: unprotected
`;

/** the handler wakes the fault without resolving it, then resolves the second report */
export const SPURIOUS_WAKE = `
name: spurious-wake
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - write: { addr: m }
  - userfaultfd: { as: u, flags: [] }
  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 2M, mode: [wp] }
threads:
  w:
    - write: { addr: m + 0x1000 }
  h:
    - read_uffd: { uffd: u, as: msg }
    - uffdio_wake: { uffd: u, addr: msg.address, len: 4K }
    - read_uffd: { uffd: u, as: msg2 }
    - uffdio_writeprotect: { uffd: u, addr: msg2.address, len: 4K }
`;

/** 4 KiB pages: write, write-protect, un-protect */
export const WP_4K = `
name: wp-4k
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - madvise: { addr: m, len: 64K, advice: nohugepage }
  - write: { addr: m }
  - userfaultfd: { as: u, flags: [] }
  - uffdio_register: { uffd: u, addr: m, len: 64K, mode: [wp], id: reg }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp] }
  - checkpoint: protected
  - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [] }
`;

/** a THP, then mprotect of one 4 KiB page (splitting the PMD) and back */
export const MPROTECT_SPLIT = `
name: mprotect-split
observe: { pages: [m, m + 0x1000] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - write: { addr: m }
  - mprotect: { addr: m + 0x1000, len: 4K, prot: r }
  - checkpoint: split
  - mprotect: { addr: m + 0x1000, len: 4K, prot: rw }
threads:
  w:
    - write: { addr: m + 0x1000 }
`;

/** fork a process that shares a THP, then the parent writes */
export const FORK_THP = `
name: fork-thp
observe: { pages: [m, m + 0x1000] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - write: { addr: m }
  - fork: { as: child }
threads:
  parent:
    - write: { addr: m + 0x1000 }
`;

/** WP_UNPOPULATED: protect empty memory, then write to it */
export const WP_UNPOPULATED = `
name: wp-unpopulated
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - userfaultfd: { as: u, flags: [], features: [wp_unpopulated], id: uffd }
  - uffdio_register: { uffd: u, addr: m, len: 64K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 64K, mode: [wp] }
threads:
  w:
    - write: { addr: m }
  h:
    - read_uffd: { uffd: u, as: msg }
    - uffdio_writeprotect: { uffd: u, addr: msg.address, len: 4K }
`;

/** one op to test for its errno or result */
export function oneOp(op: string, pre = ''): string {
  return `
name: one-op
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - mmap: { as: src, len: 4K }
${pre}
  - ${op}
`;
}

/**
 * handle_userfault's return for a fault at a MISSING-registered page whose context's release has begun
 * (`released` set before userfaultfd_release takes the mmap write lock), with fault flags `flags`
 */
export function releasedFault(spec: KernelSpec, flags: number): number {
  const sc = loadScenario('inline.yaml', `
name: released
setup:
  - mmap: { as: m, len: 64K }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 64K, mode: [missing] }
`);
  const m = new Machine(sc, spec);
  m.runSetup();
  const k = m.k, mm = k.mms[0]!;
  const vma = mm.vmas.find((v) => (v.vm_flags & VM_UFFD_MISSING) !== 0)!;
  vma.uffd!.released = true;
  k.current = m.setup.task;
  const vmf = { vma, mm, address: vma.vm_start, real_address: vma.vm_start, flags, pmd: null, pte: null, orig_pte: new Pte(), orig_pmd: new Pte() } as unknown as VmFault;
  const r = handle_userfault(k, vmf, VM_UFFD_MISSING);
  k.current = null;
  if (m.setup.task!.uwq !== null) throw new Error('the fault slept on a released context');
  return r;
}

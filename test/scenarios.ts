// Small scenarios the patch tests share (inline YAML).

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

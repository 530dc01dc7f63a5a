// Each row of the patch table has a test here that fails without it: the same scenario on a kernel
// with and without that one patch gives the documented, different results.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PATCH, PATCH_LIST } from '../src/profiles/patches.js';
import type { RunResult } from '../src/run.js';
import {
  kernel, run, pte, pmd, pagemapBit, kpfBit, errno, result, thread, vmstat, anonHuge, events, page, orphanUffd,
} from './helpers.js';
import { THP_WP, PINNED_SHMEM_PAGEOUT, SPURIOUS_WAKE, WP_4K, MPROTECT_SPLIT, FORK_THP, WP_UNPOPULATED, oneOp, releasedFault } from './scenarios.js';
import { loadScenario } from '../src/scenario/load.js';
import { Machine } from '../src/sched/machine.js';
import { VM_UFFD_WP } from '../src/kernel/include/vm_flags.js';
import { vma_set_page_prot } from '../src/kernel/mm/mmap.js';
import { FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_USER, VM_FAULT_NOPAGE, VM_FAULT_RETRY, VM_FAULT_SIGBUS } from '../src/kernel/include/fault.js';

interface Case {
  patch: (typeof PATCH)[keyof typeof PATCH];
  /** profile to start from; `add` adds the patch for "with", otherwise it is removed for "without" */
  base: string;
  add?: boolean;
  /** other patches to add/remove in both runs */
  alsoRemove?: (typeof PATCH)[keyof typeof PATCH][];
  alsoAdd?: (typeof PATCH)[keyof typeof PATCH][];
  scenario: string;
  /**
   * instead of running `scenario`: measure the kernel directly, for a row no scenario can reach in the
   * model (a window of the kernel the model's steps do not open; the row's docs say which)
   */
  direct?: (spec: ReturnType<typeof kernel>) => unknown;
  /** --config for both runs */
  config?: string[];
  schedule?: string;
  measure: (r: RunResult) => unknown;
  withIt: unknown;
  without: unknown;
}

/** a write pin of a page of shared anonymous memory write-protected with uffd-wp (WP_ASYNC) */
const SHMEM_WP_PIN = 'name: gw\nsetup:\n  - mmap: { as: m, len: 4K, flags: [shared, anonymous] }\n' +
  '  - userfaultfd: { as: u, flags: [nonblock], features: [wp_async] }\n  - uffdio_register: { uffd: u, addr: m, len: 4K, mode: [wp] }\n' +
  '  - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp] }\nthreads:\n  t:\n    - pin: { addr: m, len: 4K, flags: [write, longterm], as: p }\n';
/** a thread's first write to a page of shared anonymous memory (shmem) */
const SHMEM_WRITE_FAULT = 'name: sw\nsetup:\n  - mmap: { as: m, len: 4K, flags: [shared, anonymous] }\nthreads:\n  t:\n    - write: { addr: m }\n';

/** the first page of a never-faulted mapping moved with MREMAP_DONTUNMAP, then an accounted page mapped after the kept source */
const DONTUNMAP_ACCOUNT = 'name: dtu\nsetup:\n  - mmap: { as: ram, len: 12K }\n' +
  '  - mremap: { addr: ram, old_len: 4K, new_len: 4K, flags: [maymove, dontunmap], as: moved }\n' +
  '  - mmap: { as: y, addr: ram + 12K, len: 4K, flags: [private, anonymous, fixed] }\n';

/** the write bit of a shared writable memfd mapping's vm_page_prot, before and after VM_UFFD_WP is set on it (vma_set_page_prot) */
function sharedWpPageProtWrite(spec: ReturnType<typeof kernel>): [boolean, boolean] {
  const sc = loadScenario('inline.yaml', 'name: wp\nsetup:\n  - memfd_create: { as: f }\n  - ftruncate: { fd: f, len: 4K }\n  - mmap: { as: m, len: 4K, fd: f }\n');
  const m = new Machine(sc, spec);
  m.runSetup();
  const k = m.k, vma = k.mms[0]!.vmas.find((v) => v.vm_file !== 0)!;
  const before = k.pgt.pte_write(vma.vm_page_prot);
  vma.vm_flags = (vma.vm_flags | VM_UFFD_WP) >>> 0;
  vma_set_page_prot(k, vma);
  return [before, k.pgt.pte_write(vma.vm_page_prot)];
}

const bugFile = (slug: string) => readFileSync(`scenarios/bugs/${slug}.yaml`, 'utf8');
/** a shared memfd page of 0x11 and a uffd offering MINOR_SHMEM, then `more` */
const MINOR_MEMFD = (more: string) => `
name: minor-memfd
observe: { pages: [m] }
setup:
  - memfd_create: { as: fd }
  - pwrite: { fd: fd, offset: 0, len: 4K, value: 0x11 }
  - mmap: { as: m, len: 4K, flags: [shared], fd: fd }
  - userfaultfd: { as: u, features: [minor_shmem] }
  - ${more}
`;
/** a 1-byte read of '1' (0x31) or '2' (0x32), as `read` records it */
const READ_0X31 = '1B nonzero=1 h=ece66b8856944894', READ_0X32 = '1B nonzero=1 h=fee7ae7590c1c702';
/** shmthp: a 2 MiB shmem mapping (`map`: its flags or fd) written by a PMD, zapped, MADV_NOHUGEPAGE, then `access` of its second page */
const NOHUGE_REFAULT = (map: string, access: 'read' | 'write') => `
name: nohuge-refault
observe: { pages: [m], mappings: [m] }
setup:
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 2M }
  - mmap: { as: m, len: 2M, align: 2M, ${map} }
  - write: { addr: m }
  - madvise: { addr: m, len: 2M, advice: [dontneed, nohugepage] }
  - ${access}: { addr: m + 0x1000 }
`;
/** smaps Rss (kB) of a mapping at the end */
const rssOf = (key: string) => (r: RunResult) => r.observation.snapshots.final!.smaps[key]!.Rss;
/** a private hugetlb mapping of one huge page, filled with 0xaa, then `more` */
const HUGETLB_ONE = (more: string) => `
name: hugetlb-one
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 2M, flags: [private, anonymous, hugetlb] }
  - memset: { addr: m, len: 2M, value: 0xaa }
  ${more}
`;
/** the digest of one byte 0xaa read back (the read operation's result) */
const HASH_AA = '8447a09625994da7';
/** the digest of one zero byte read back */
const ZERO_1B = '1B nonzero=0 h=00000000d9aaf7d3';
/** what `f` returns, or the start of the `not modelled on <kernel>` refusal it ends with */
function refused(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    const m = /not modelled on [^:]+/.exec(e instanceof Error ? e.message : String(e));
    if (!m) throw e;
    return m[0];
  }
}
/** pagemap bits 55-60 (the page shift before v4.3 until clear_refs got 4, then flags) */
const pmFlags = (r: RunResult, at: string, key = 'm') => Number((BigInt(page(r, key, at).pagemap) >> 55n) & 0x3fn);
/** a written page read at boot, after clear_refs 4, after a second write; `other` is mapped and written after the clear_refs */
const PAGEMAP_V2 = `
name: pagemap-v2
observe: { pages: [m, other] }
setup:
  - mmap: { as: m, len: 4K }
  - write: { addr: m }
  - checkpoint: boot
  - clear_refs: 4
  - checkpoint: cleared
  - write: { addr: m, value: 2 }
  - mmap: { as: other, len: 4K }
  - write: { addr: other }
`;
/** 512 written small pages, then a fork and the parent's own copy of all but the first: khugepaged in the parent */
const KHUGEPAGED_FORKED = `
name: khugepaged-forked
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 2M, align: 2M }
  - memset: { addr: m, len: 2M, value: 1 }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - fork: { as: child }
  - memset: { addr: m + 4K, len: 2M - 4K, value: 2 }
  - khugepaged: { addr: m, id: k }
`;
/** 512 written small pages in a MADV_HUGEPAGE block registered for uffd-wp, then `more` in the setup, then `threads` */
const KHUGEPAGED_ONE = (more: string, threads: string) => `
name: khugepaged-one
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 2M, align: 2M }
  - memset: { addr: m, len: 2M, value: 1 }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - userfaultfd: { as: u, api: true }
  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }
  ${more}
${threads}
`;
/** an mremap scenario observing its destination `dst` */
const MREMAP_SD = (setup: string) => `
name: mremap-row
observe: { pages: [dst] }
setup:
  ${setup}
`;
const GUP_RACE = `
name: gup-race
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4K, prot: r }
  - mmap: { as: other, len: 4K, prot: r }
  - read: { addr: m }
  - read: { addr: other }
threads:
  poker:
    - proc_mem_write: { addr: m, value: 0x42, id: poke }
  zapper:
    - madvise: { addr: m, len: 4K, advice: dontneed }
  reader:
    - read: { addr: other, id: peek }
schedule: poker zapper
`;
const VMSPLICE_SHARED = `
name: vmsplice-shared
setup:
  - mmap: { as: m, len: 4K }
  - memset: { addr: m, len: 4K, value: 1 }
  - fork: { as: child }
  - vmsplice: { addr: m, len: 4K, as: p }
  - read_pipe: { pipe: p }
`;
const feature = (bit: number) => (r: RunResult) => (BigInt(result(r, 'uffd') ?? '0') >> BigInt(bit)) & 1n;
const FEATURE_OP = oneOp('userfaultfd: { as: u, id: uffd }');


const UFFD_WP_M = `- userfaultfd: { as: u, api: true }
  - uffdio_register: { uffd: u, addr: m, len: 4K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp] }`;
/**
 * a mapping m of len (a THP when 2M), written, \`before\` (setup ops); thread mig migrates it in two steps
 * while thread obs runs \`obs\` and takes checkpoint mid in between (schedule "mig obs mig")
 */
const MIGRATE_ONE = (before: string, m: string, len: string, obs = '') => `
name: migrate-one
observe: { pages: [${m}] }
setup:
  - mmap: { as: ${m}, len: ${len}, align: ${len} }
  - madvise: { addr: ${m}, len: ${len}, advice: hugepage }
  - memset: { addr: ${m}, len: ${len}, value: 1 }
  ${before}
threads:
  mig:
    - migrate: { addr: ${m}, len: ${len} }
  obs:
    ${obs}
    - checkpoint: mid
`;
/** a swap file, one written page, \`before\` (setup ops), MADV_PAGEOUT (checkpoint out), \`after\` (setup), then thread t reads it (or \`t\`) */
const SWAP_ONE_PAGE = (before: string, after = '', t = '  - read: { addr: m }') => `
name: swap-one-page
observe: { pages: [m] }
setup:
  - swapon: { pages: 64 }
  - mmap: { as: m, len: 4K }
  - write: { addr: m, value: 1 }
  ${before}
  - madvise: { addr: m, len: 4K, advice: pageout }
  - checkpoint: out
  ${after}
threads:
  t:
  ${t}
`;

/** UFFDIO_MOVE from src to dst (both 2M-aligned, MADV_HUGEPAGE, dst registered MISSING): `fill` fills src first */
const MOVE = (fill: string, len = '2M', extra = '') => `
name: move
observe: { pages: [src, dst] }
setup:
  - swapon: { pages: 64 }
  - mmap: { as: src, len: 2M, align: 2M }
  - mmap: { as: dst, len: 2M, align: 2M }
  - madvise: { addr: src, len: 2M, advice: hugepage }
  - madvise: { addr: dst, len: 2M, advice: hugepage }
  ${fill}
  - userfaultfd: { as: u, api: true, features: [move] }
  - uffdio_register: { uffd: u, addr: dst, len: 2M, mode: [missing] }
  - uffdio_move: { uffd: u, dst: dst, src: src, len: ${len}, id: mv }
  ${extra}
`;

/** a handler's UFFDIO_COPY and UFFDIO_MOVE while the worker's MADV_DONTNEED waits for its REMOVE event to be read */
const EAGAIN_DURING_REMOVE = `
name: eagain-during-remove
setup:
  - mmap: { as: m, len: 64K }
  - madvise: { addr: m, len: 64K, advice: nohugepage }
  - memset: { addr: m, len: 64K, value: 1 }
  - mmap: { as: src, len: 4K }
  - memset: { addr: src, len: 4K, value: 9 }
  - userfaultfd: { as: u, api: true, features: [event_remove, move] }
  - uffdio_register: { uffd: u, addr: m, len: 64K, mode: [missing] }
threads:
  worker:
    - madvise: { addr: m, len: 8K, advice: dontneed, id: dn }
  handler:
    - uffdio_copy: { uffd: u, dst: m + 0x4000, src: src, len: 4K, id: cp }
    - uffdio_move: { uffd: u, dst: m + 0x4000, src: m + 0x8000, len: 4K, id: mv }
    - read_uffd: { uffd: u, as: rm }
`;

const CASES: Case[] = [
  {
    patch: PATCH.softDirtyVmaReuse, base: 'v6.1',
    scenario: `
name: vma-reuse
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - read: { addr: m }
`, measure: (r) => pagemapBit(r, 'm', 55), withIt: 1, without: 0,
  },
  {
    patch: PATCH.softDirtyPteHole, base: 'v6.1',
    scenario: oneOp('checkpoint: here').replace('name: one-op', 'name: hole\nobserve: { pages: [m] }'),
    measure: (r) => pagemapBit(r, 'm', 55), withIt: 1, without: 0,
  },
  {
    patch: PATCH.softDirtyHoleBeforeVma, base: 'v6.1',
    scenario: `
name: hole-before-vma
observe: { pages: [m - 0x1000] }
setup:
  - mmap: { as: m, len: 2M, align: 2M }
`, measure: (r) => pagemapBit(r, 'm - 0x1000', 55), withIt: 0, without: 1,
  },
  { patch: PATCH.softDirtyThpSplit, base: 'v6.1', scenario: MPROTECT_SPLIT, measure: (r) => pte(r, 'm', 'split'), withIt: '0x8000000000000827', without: '0x8000000000000027' },
  {
    patch: PATCH.uffdWpForkChildVma, base: 'v6.1',
    scenario: `
name: fork-wp
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - write: { addr: m }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 64K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp] }
  - fork: { as: child }
expect:
  - { process: child, pagemap: m, has: [present] }
`, measure: (r) => pagemapBit(r, 'child:m', 57), withIt: 0, without: 1,
  },
  { patch: PATCH.uffdWp2018Branch, base: 'v4.19-uffd-wp-2018', scenario: WP_4K, measure: (r) => errno(r, 'reg'), withIt: null, without: 'EINVAL' },
  { patch: PATCH.peterx2018SplitMkdirty, base: 'v4.19-uffd-wp-2018', add: true, scenario: THP_WP, measure: (r) => pte(r, 'm + 0x7f000', 'unprotected'), withIt: '0x8000000000000867', without: '0x8000000000000825' },
  { patch: PATCH.peterx2018PageDirty, base: 'v4.19-uffd-wp-2018', add: true, scenario: THP_WP, measure: (r) => pte(r, 'm + 0x7f000', 'unprotected'), withIt: '0x8000000000000827', without: '0x8000000000000825' },
  { patch: PATCH.glisse2018NoDirtyAccountable, base: 'v4.19-uffd-wp-2018', add: true, scenario: WP_4K, measure: (r) => pte(r, 'm'), withIt: '0x8000000000000865', without: '0x8000000000000867' },
  { patch: PATCH.faultFlagInterruptible, base: 'v5.7', scenario: THP_WP, measure: (r) => events(r, 'page_fault').find((e) => e.thread === 'w')?.flags, withIt: 0x255, without: 0x55 },
  { patch: PATCH.faultRetryUnlimited, base: 'v5.7', scenario: SPURIOUS_WAKE, measure: (r) => thread(r, 'w').signal, withIt: null, without: 'SIGBUS' },
  { patch: PATCH.uffdWpPteBit, base: 'v5.7', scenario: THP_WP, measure: (r) => pmd(r, 'm', 'setup'), withIt: '0x8000000000000ce5', without: '0x80000000000008e5' },
  { patch: PATCH.uffdWpApplyBit, base: 'v5.7', scenario: THP_WP, measure: (r) => [pmd(r, 'm', 'setup'), thread(r, 'h').state], withIt: ['0x8000000000000ce5', 'done'], without: ['0x80000000000008e5', 'blocked'] },
  { patch: PATCH.uffdWpFaultHook, base: 'v5.7', scenario: THP_WP, measure: (r) => [thread(r, 'w').state, thread(r, 'h').state], withIt: ['done', 'done'], without: ['done', 'blocked'] },
  { patch: PATCH.uffdWpIoctl, base: 'v5.7', scenario: WP_4K, measure: (r) => errno(r, 'reg'), withIt: null, without: 'EINVAL' },
  { patch: PATCH.thpCowSplitsPmd, base: 'v6.1', scenario: FORK_THP, measure: (r) => [anonHuge(r, 'm'), vmstat(r, 'thp_split_pmd')], withIt: [0, 1], without: [2048, 0] },
  { patch: PATCH.uffdSimplifyFaultHandling, base: 'v6.12', scenario: THP_WP, measure: (r) => [thread(r, 'w').minflt, thread(r, 'w').majflt], withIt: [1, 0], without: [0, 1] },
  { patch: PATCH.faultAccountingInCore, base: 'v6.1', scenario: THP_WP, measure: (r) => [thread(r, 'w').minflt, thread(r, 'w').majflt], withIt: [0, 1], without: [1, 0] },
  { patch: PATCH.doWpPageSimplification, base: 'v5.7', add: true, scenario: MPROTECT_SPLIT, measure: (r) => [kpfBit(r, 'm + 0x1000', 22), Number(BigInt(page(r, 'm + 0x1000').pagemap) & 0x1ffn)], withIt: [0, 0], without: [1, 1] },
  // ---- GUP, pins, FOLL_FORCE, unsharing ----
  // a /proc/self/mem write into a PROT_READ page raced by MADV_DONTNEED after its COW fault (Dirty COW on
  // anonymous memory): without FOLL_COW the retry follows the zero page for reading and writes into it
  { patch: PATCH.follCow, base: 'v4.19', alsoRemove: [PATCH.thpFollForceCow], scenario: GUP_RACE, measure: (r) => result(r, 'peek'), withIt: '1B nonzero=0 h=00000000d9aaf7d3', without: '1B nonzero=1 h=b88e20bd75a28fbd' },
  { patch: PATCH.thpFollForceCow, base: 'v4.19', scenario: bugFile('thp-foll-force-infinite-loop'), measure: (r) => [thread(r, 'ptrace').state, result(r, 'poke')], withIt: ['signal', '1'], without: ['livelock', null] },
  { patch: PATCH.touchPmdWriteOnly, base: 'v4.19', scenario: bugFile('huge-dirty-cow'), measure: (r) => kpfBit(r, 'write_thp', 24), withIt: 0, without: 1 },
  // v6.1's fork refuses to share an exclusive page only when it may be pinned: a pin that is a plain reference is not seen
  { patch: PATCH.gupPinCounting, base: 'v6.1', alsoRemove: [PATCH.forkEarlyCowPinned, PATCH.noSwapcachePinned], scenario: bugFile('fork-pinned-page-early-cow'), measure: (r) => result(r, 'setup#7') === result(r, 'setup#8'), withIt: true, without: false },
  { patch: PATCH.gupForceCowBreak, base: 'v5.7', add: true, scenario: bugFile('gup-cow-wrong-direction'), measure: (r) => result(r, 'child#3') === result(r, 'setup#3'), withIt: true, without: false },
  // a vmsplice of a COW-shared page copies it (a forced COW break) only without a308c71bf1e6
  { patch: PATCH.gupNoForceCowBreak, base: 'v6.1', scenario: VMSPLICE_SHARED, measure: (r) => events(r, 'wp_page_copy').length, withIt: 0, without: 1 },
  { patch: PATCH.forkEarlyCowPinned, base: 'v5.7', add: true, scenario: bugFile('fork-pinned-page-early-cow'), measure: (r) => result(r, 'setup#7') === result(r, 'setup#8'), withIt: true, without: false },
  {
    patch: PATCH.noSwapcachePinned, base: 'v6.18',
    // MADV_PAGEOUT of a pinned page (measured on 6.18, scenarios/differential/gup-pinned-pageout.yaml): kept mapped, not swapped
    scenario: `
name: pinned-pageout
observe: { pages: [m] }
setup:
  - swapon: { pages: 16 }
  - mmap: { as: m, len: 4K }
  - write: { addr: m, value: 1 }
  - pin: { addr: m, len: 4K, flags: [write, longterm], as: p }
  - madvise: { addr: m, len: 4K, advice: pageout }
`,
    measure: (r) => [pagemapBit(r, 'm', 63), pagemapBit(r, 'm', 62)], withIt: [1, 0], without: [0, 1],
  },
  {
    patch: PATCH.noReclaimPinned, base: 'v6.18',
    // MADV_PAGEOUT of a pinned shmem page (measured on 6.18, scenarios/differential/shmem-pageout-pinned.yaml):
    // unmapped, then activated instead of kept inactive; it stays in the page cache either way
    scenario: PINNED_SHMEM_PAGEOUT,
    measure: (r) => [pagemapBit(r, 'm', 63), kpfBit(r, 'm', 6)], withIt: [1, 1], without: [1, 0],
  },
  { patch: PATCH.gupRoPinUnshare, base: 'v6.1', scenario: bugFile('gup-ro-pin-unshare'), measure: (r) => result(r, 'setup#8') === result(r, 'setup#9'), withIt: true, without: false },
  // the same race on v6.1: the write follows the fresh exclusive page at once, where FOLL_COW needed it dirty (one more fault)
  { patch: PATCH.follForceAnonExclusive, base: 'v6.1', scenario: GUP_RACE, measure: (r) => [events(r, 'handle_mm_fault').filter((e) => e.thread === 'poker').length, result(r, 'peek')], withIt: [2, '1B nonzero=0 h=00000000d9aaf7d3'], without: [3, '1B nonzero=0 h=00000000d9aaf7d3'] },
  { patch: PATCH.gupLongtermRoCow, base: 'v6.18', scenario: oneOp('pin: { addr: m, flags: [longterm], as: h, id: op }', '  - read: { addr: m }').replace('name: one-op', 'name: ro-pin-zero\nobserve: { pages: [m] }'), measure: (r) => kpfBit(r, 'm', 24), withIt: 0, without: 1 },
  // as uid 65534, with vm.unprivileged_userfaultfd=0 (the default from v5.11 on)
  { patch: PATCH.uffdSysctlUnprivileged, base: 'v6.1', alsoRemove: [PATCH.uffdSysctlUserModeOnly], scenario: oneOp('userfaultfd: { as: u, id: uffd }', '  - setuid: 65534'), measure: (r) => errno(r, 'uffd'), withIt: 'EPERM', without: null },
  { patch: PATCH.uffdEventForkCap, base: 'v6.1', scenario: oneOp('userfaultfd: { as: u, flags: [user_mode_only], features: [event_fork], id: uffd }', '  - setuid: 65534'), measure: (r) => errno(r, 'uffd'), withIt: 'EPERM', without: null },
  { patch: PATCH.uffdSysctlUserModeOnly, base: 'v6.1', scenario: oneOp('userfaultfd: { as: u, flags: [user_mode_only], id: uffd }', '  - setuid: 65534'), measure: (r) => errno(r, 'uffd'), withIt: null, without: 'EPERM' },
  { patch: PATCH.uffdUserModeOnly, base: 'v6.1', scenario: oneOp('userfaultfd: { as: u, flags: [user_mode_only], id: uffd }'), measure: (r) => errno(r, 'uffd'), withIt: null, without: 'EINVAL' },
  { patch: PATCH.uffdMinorHugetlbfs, base: 'v6.1', scenario: FEATURE_OP, measure: feature(9), withIt: 1n, without: 0n },
  { patch: PATCH.uffdMinorShmem, base: 'v6.1', scenario: FEATURE_OP, measure: feature(10), withIt: 1n, without: 0n },
  { patch: PATCH.pagemapUffdWp, base: 'v6.1', scenario: WP_4K, measure: (r) => pagemapBit(r, 'm', 57, 'protected'), withIt: 1, without: 0 },
  // a range past every mapping: ENOMEM once the advice is known (what COLD and PAGEOUT do to mapped pages is
  // not modelled: test/not-modelled.test.ts), EINVAL before
  { patch: PATCH.madvCold, base: 'v6.1', scenario: oneOp('madvise: { addr: m + 8M, len: 4K, advice: cold, id: op }'), measure: (r) => errno(r, 'op'), withIt: 'ENOMEM', without: 'EINVAL' },
  { patch: PATCH.madvPageout, base: 'v6.1', scenario: oneOp('madvise: { addr: m + 8M, len: 4K, advice: pageout, id: op }'), measure: (r) => errno(r, 'op'), withIt: 'ENOMEM', without: 'EINVAL' },
  { patch: PATCH.madvPopulate, base: 'v6.1', scenario: oneOp('madvise: { addr: m, len: 2M, advice: populate_write, id: op }'), measure: (r) => errno(r, 'op'), withIt: null, without: 'EINVAL' },
  // a populate whose fault slept: the retry of that page (a COW of the zero page UFFDIO_ZEROPAGE mapped) is
  // FAULT_FLAG_TRIED, a major fault; before, GUP started afresh there and the fault was minor
  {
    patch: PATCH.madvPopulateRetry, base: 'v6.12',
    scenario: `
name: populate-retry
setup:
  - mmap: { as: m, len: 16K }
  - userfaultfd: { as: u, flags: [cloexec] }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
threads:
  populator:
    - madvise: { addr: m, len: 4K, advice: populate_write, id: pop }
  handler:
    - read_uffd: { uffd: u, as: msg }
    - uffdio_zeropage: { uffd: u, addr: msg.address, len: 4K }
`, measure: (r) => [errno(r, 'pop'), thread(r, 'populator').minflt, thread(r, 'populator').majflt], withIt: [null, 0, 1], without: [null, 1, 0],
  },
  // a hole: the GUP walk stops there; the madvise VMA walk went on to the VMA after it
  {
    patch: PATCH.madvPopulateNoVmaWalk, base: 'v6.12',
    scenario: `
name: populate-hole
observe: { pages: [m, m + 0x2000] }
setup:
  - mmap: { as: m, len: 16K }
  - munmap: { addr: m + 0x1000, len: 4K }
  - madvise: { addr: m, len: 16K, advice: populate_write, id: pop }
`, measure: (r) => [errno(r, 'pop'), pagemapBit(r, 'm', 63), pagemapBit(r, 'm + 0x2000', 63)], withIt: ['ENOMEM', 1, 0], without: ['ENOMEM', 1, 1],
  },
  {
    patch: PATCH.mfillUnconditionalMkdirty, base: 'v6.1',
    scenario: `
name: copy-ro
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K, prot: r }
  - mmap: { as: src, len: 4K }
  - write: { addr: src, value: 7 }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 64K, mode: [missing] }
  - uffdio_copy: { uffd: u, dst: m, src: src, len: 4K }
`, measure: (r) => pte(r, 'm'), withIt: '0x8000000000000865', without: '0x8000000000000025',
  },
  { patch: PATCH.uffdExactAddress, base: 'v6.3', scenario: oneOp('userfaultfd: { as: u, features: [exact_address], id: uffd }'), measure: (r) => errno(r, 'uffd'), withIt: null, without: 'EINVAL' },
  { patch: PATCH.anonExclusive, base: 'v6.1', scenario: WP_4K, measure: (r) => kpfBit(r, 'm', 34), withIt: 1, without: 0 },
  { patch: PATCH.pteMarkers, base: 'v6.6', scenario: WP_UNPOPULATED, measure: (r) => thread(r, 'w').signal, withIt: null, without: 'SIGBUS' },
  { patch: PATCH.uffdWpShmem, base: 'v6.1', scenario: FEATURE_OP, measure: feature(12), withIt: 1n, without: 0n },
  {
    patch: PATCH.mprotectExclusiveAnonWritable, base: 'v6.1',
    scenario: `
name: mprotect-4k
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - write: { addr: m }
  - mprotect: { addr: m, len: 4K, prot: r }
  - mprotect: { addr: m, len: 4K, prot: rw }
`, measure: (r) => pte(r, 'm'), withIt: '0x8000000000000867', without: '0x8000000000000865',
  },
  {
    patch: PATCH.softDirtyCanChangeFix, base: 'v6.1',
    scenario: `
name: soft-dirty-mprotect
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - write: { addr: m }
  - clear_refs: 4
  - mprotect: { addr: m, len: 4K, prot: r }
  - mprotect: { addr: m, len: 4K, prot: rw }
  - write: { addr: m, value: 2 }
`, measure: (r) => pagemapBit(r, 'm', 55), withIt: 1, without: 0,
  },
  {
    patch: PATCH.uffdUnregisterResetsWp, base: 'v6.1',
    scenario: WP_4K.replace("  - checkpoint: protected\n  - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [] }", '  - uffdio_unregister: { uffd: u, addr: m, len: 64K }\n  - checkpoint: protected'),
    measure: (r) => pagemapBit(r, 'm', 57), withIt: 0, without: 1,
  },
  { patch: PATCH.thpSplitCarriesDirty, base: 'v6.1', alsoRemove: [PATCH.thpSplitDirtyPartlyReverted], scenario: MPROTECT_SPLIT, measure: (r) => pte(r, 'm', 'split'), withIt: '0x8000000000000867', without: '0x8000000000000827' },
  { patch: PATCH.thpSplitDirtyPartlyReverted, base: 'v6.1', scenario: MPROTECT_SPLIT, measure: (r) => pte(r, 'm', 'split'), withIt: '0x8000000000000827', without: '0x8000000000000867' },
  {
    patch: PATCH.madvCollapse, base: 'v6.1',
    scenario: `
name: collapse
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - memset: { addr: m, len: 2M, value: 1 }
  - madvise: { addr: m, len: 2M, advice: collapse, id: op }
`, measure: (r) => [errno(r, 'op'), anonHuge(r, 'm')], withIt: [null, 2048], without: ['EINVAL', 0],
  },
  {
    patch: PATCH.migrationKeepsYoungDirty, base: 'v6.1',
    scenario: oneOp('split_huge_page: { addr: m, len: 2M, id: op }', '  - madvise: { addr: m, len: 2M, advice: hugepage }\n  - write: { addr: m }').replace('name: one-op', 'name: split\nobserve: { pages: [m] }'),
    measure: (r) => [result(r, 'op'), pte(r, 'm')], withIt: ['1', '0x8000000000000827'], without: ['1', '0x8000000000000807'],
  },
  { patch: PATCH.uffdDevNode, base: 'v6.1', scenario: oneOp('userfaultfd: { as: u, via: dev, id: uffd }'), measure: (r) => errno(r, 'uffd'), withIt: null, without: 'ENOENT' },
  { patch: PATCH.thpSplitReapplyMkdirty, base: 'v6.1', add: true, scenario: MPROTECT_SPLIT, measure: (r) => pte(r, 'm', 'split'), withIt: '0x8000000000000867', without: '0x8000000000000827' },
  { patch: PATCH.mprotectCleanAnonWritable, base: 'v6.1', add: true, scenario: MPROTECT_SPLIT, measure: (r) => pte(r, 'm + 0x1000', 'setup'), withIt: '0x8000000000000827', without: '0x8000000000000825' },
  {
    patch: PATCH.hugePmdTryChangeWritable, base: 'v6.12',
    scenario: `
name: mprotect-thp
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - write: { addr: m }
  - mprotect: { addr: m, len: 2M, prot: r }
  - mprotect: { addr: m, len: 2M, prot: rw }
`, measure: (r) => pmd(r, 'm'), withIt: '0x80000000000008e7', without: '0x84000000000008a5',
  },
  {
    patch: PATCH.hugeZeroSplitKeepsUffdWp, base: 'v6.6',
    scenario: `
name: zero-wp-split
observe: { pages: [m + 0x1000] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - read: { addr: m }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 2M, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [] }
`, measure: (r) => pagemapBit(r, 'm + 0x1000', 57), withIt: 1, without: 0,
  },
  { patch: PATCH.uffdWpRangeVmPageProt, base: 'v6.12', scenario: THP_WP, measure: (r) => pte(r, 'm + 0x7f000', 'unprotected'), withIt: '0x8000000000000867', without: '0x8400000000000825' },
  { patch: PATCH.uffdWpUnpopulated, base: 'v6.6', scenario: WP_UNPOPULATED, measure: (r) => errno(r, 'uffd'), withIt: null, without: 'EINVAL' },
  { patch: PATCH.x86VmaLockFault, base: 'v6.6', scenario: THP_WP, measure: (r) => (events(r, 'handle_mm_fault').find((e) => e.thread === 'w')!.flags as number) & 0x1000, withIt: 0x1000, without: 0 },
  { patch: PATCH.x86SavedDirty, base: 'v6.12', alsoRemove: [PATCH.x86PmdModifyKeepsDirty], scenario: THP_WP, measure: (r) => pmd(r, 'm', 'setup'), withIt: '0x8000000000000ca5', without: '0x8000000000000ce5' },
  { patch: PATCH.x86PmdModifyKeepsDirty, base: 'v6.6', add: true, scenario: THP_WP, measure: (r) => [pmd(r, 'm', 'setup'), kpfBit(r, 'm', 4, 'unprotected')], withIt: ['0x8400000000000ca5', 1], without: ['0x8000000000000ca5', 0] },
  { patch: PATCH.uffdUnderVmaLock, base: 'v6.6', scenario: THP_WP, measure: (r) => [thread(r, 'w').minflt, thread(r, 'w').majflt], withIt: [1, 0], without: [0, 1] },
  { patch: PATCH.uffdPoison, base: 'v6.6', scenario: FEATURE_OP, measure: feature(14), withIt: 1n, without: 0n },
  {
    // the ioctl itself: the poison marker and the SIGBUS of a read; before, an unknown ioctl (EINVAL) and a
    // read of the zero page
    patch: PATCH.uffdPoison, base: 'v6.6',
    scenario: `
name: poison
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 8K }
  - userfaultfd: { as: u, api: true, features: [] }
  - uffdio_register: { uffd: u, addr: m, len: 8K, mode: [wp] }
  - uffdio_poison: { uffd: u, addr: m, len: 4K, id: poison }
threads:
  t:
    - read: { addr: m, len: 1 }
`, measure: (r) => [errno(r, 'poison'), thread(r, 't').state, pagemapBit(r, 'm', 62)], withIt: [null, 'signal', 1], without: ['EINVAL', 'done', 0],
  },
  {
    // UFFDIO_WRITEPROTECT's un-protect of a poisoned huge page: the marker stays with the fix (the read is
    // SIGBUS); before, it was cleared and the read mapped a new huge page
    patch: PATCH.hugetlbChangeProtectionPoison, base: 'v6.9', config: ['nr_hugepages=1'], scenario: bugFile('hugetlb-uffd-unprotect-clears-poison'),
    measure: (r) => [thread(r, 't').state, pagemapBit(r, 'mem', 63)], withIt: ['signal', 0], without: ['done', 1],
  },
  {
    patch: PATCH.uffdWpMultiVma, base: 'v6.6',
    scenario: `
name: wp-multi
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - write: { addr: m }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 32K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 64K, mode: [wp], id: op }
`, measure: (r) => [errno(r, 'op'), pagemapBit(r, 'm', 57)], withIt: ['ENOENT', 1], without: ['ENOENT', 0],
  },
  { patch: PATCH.uffdWpAsync, base: 'v6.12', scenario: oneOp('userfaultfd: { as: u, features: [wp_async], id: uffd }'), measure: (r) => errno(r, 'uffd'), withIt: null, without: 'EINVAL' },
  { patch: PATCH.uffdMove, base: 'v6.12', scenario: FEATURE_OP, measure: feature(16), withIt: 1n, without: 0n },
  { patch: PATCH.vmaLockRetryTried, base: 'v6.12', alsoRemove: [PATCH.uffdSimplifyFaultHandling], scenario: THP_WP, measure: (r) => [thread(r, 'w').minflt, thread(r, 'w').majflt], withIt: [0, 1], without: [1, 0] },
  { patch: PATCH.kpageflagsFolio, base: 'v6.12', scenario: THP_WP, measure: (r) => kpfBit(r, 'm + 0x7f000', 4, 'unprotected'), withIt: 1, without: 0 },
  // shmthp: corpus 18's series and corpus 34's fix, on their bug scenarios
  {
    patch: PATCH.pagemapPmdExclusivePerPage, base: 'v6.12', config: ['shmem_enabled=advise'], scenario: bugFile('pagemap-pmd-file-thp-pm-file'),
    measure: (r) => [pagemapBit(r, 'mem', 56), pagemapBit(r, 'mem + 0x1000', 56)], withIt: [0, 1], without: [0, 0],
  },
  // a PMD-sized folio left in the cache, its PMD zapped, then MADV_NOHUGEPAGE: do_set_pmd refuses and the
  // fault maps PTEs (a write: finish_fault alone; a read: fault-around first)
  { patch: PATCH.finishFaultLargeFolio, base: 'v6.12', config: ['shmem_enabled=always'], scenario: NOHUGE_REFAULT('flags: [shared, anonymous]', 'write'), measure: rssOf('m'), withIt: 2048, without: 4 },
  { patch: PATCH.finishFaultWholeFileFolio, base: 'v6.18', config: ['shmem_enabled=always'], scenario: NOHUGE_REFAULT('fd: f', 'write'), measure: rssOf('m'), withIt: 2048, without: 4 },
  { patch: PATCH.faultAroundWholeFolio, base: 'v6.18', config: ['shmem_enabled=always'], scenario: NOHUGE_REFAULT('fd: f', 'read'), measure: rssOf('m'), withIt: 2048, without: 64 },
  {
    patch: PATCH.pagemapPmdExclusiveHeadAgain, base: 'v6.18', config: ['shmem_enabled=advise'], scenario: bugFile('pagemap-pmd-file-thp-pm-file'),
    measure: (r) => [pagemapBit(r, 'mem', 56), pagemapBit(r, 'mem + 0x1000', 56)], withIt: [0, 0], without: [0, 1],
  },
  {
    patch: PATCH.doSetPmdNoCow, base: 'v6.18', add: true, config: ['shmem_enabled=always'], scenario: bugFile('gup-ro-pin-file-thp-loop'),
    measure: (r) => [thread(r, 't').state, pagemapBit(r, 'mem', 61)], withIt: ['done', 0], without: ['livelock', 1],
  },
  { patch: PATCH.pagemapPmdFile, base: 'v6.18', scenario: oneOp('read: { addr: m }', '  - madvise: { addr: m, len: 2M, advice: hugepage }').replace('name: one-op', 'name: zero\nobserve: { pages: [m] }'), measure: (r) => pagemapBit(r, 'm', 61), withIt: 1, without: 0 },
  {
    patch: PATCH.mprotectPteBatching, base: 'v6.18',
    scenario: `
name: batching
observe: { pages: [m + 0x3000] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - write: { addr: m }
  - mprotect: { addr: m + 0x1000, len: 4K, prot: r }
  - clear_refs: 1
  - read: { addr: m + 0x2000 }
  - mprotect: { addr: m + 0x2000, len: 0x1fe000, prot: r }
`, measure: (r) => Number(BigInt(page(r, 'm + 0x3000').pte!) & 0x20n), withIt: 0x20, without: 0,
  },
  { patch: PATCH.hugeZeroPmdSpecial, base: 'v6.18', scenario: oneOp('read: { addr: m }', '  - madvise: { addr: m, len: 2M, advice: hugepage }').replace('name: one-op', 'name: zero\nobserve: { pages: [m] }'), measure: (r) => pmd(r, 'm'), withIt: '0x80000000000002a5', without: '0x80000000000000a5' },
  {
    patch: PATCH.thpZeroWpAllocates, base: 'v6.18',
    scenario: oneOp('write: { addr: m }', '  - madvise: { addr: m, len: 2M, advice: hugepage }\n  - read: { addr: m }'),
    measure: (r) => [anonHuge(r, 'm'), vmstat(r, 'thp_split_pmd', 'setup', 'final')], withIt: [2048, 0], without: [0, 0],
  },
  {
    patch: PATCH.collapseNoneEbusy, base: 'v6.18',
    scenario: oneOp('madvise: { addr: m, len: 2M, advice: collapse, id: op }', '  - userfaultfd: { as: u }\n  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }\n  - write: { addr: m }'),
    measure: (r) => errno(r, 'op'), withIt: 'EBUSY', without: 'EINVAL',
  },
  {
    // on a kernel that forbids the zero page (config zero_page=n), UFFDIO_ZEROPAGE maps a page of its own
    patch: PATCH.uffdZeropageForbidden, base: 'v6.18',
    scenario: oneOp('uffdio_zeropage: { uffd: u, addr: m, len: 4K }', '  - userfaultfd: { as: u }\n  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [missing] }')
      .replace('name: one-op', 'name: zeropage-forbidden\nobserve: { pages: [m] }'),
    config: ['zero_page=n'],
    measure: (r) => [pagemapBit(r, 'm', 56), kpfBit(r, 'm', 24)], withIt: [1, 0], without: [0, 1],
  },
  // rows added with the host comparison (scenarios/differential, docs/fidelity.md)
  {
    patch: PATCH.madvFreeLargeFolioBatch, base: 'v6.18',
    // a PTE-mapped THP (split by a 4 KiB mprotect round trip), then MADV_FREE over all of it
    scenario: oneOp('madvise: { addr: m, len: 2M, advice: free }', `  - madvise: { addr: m, len: 2M, advice: hugepage }
  - memset: { addr: m, len: 2M, value: 1 }
  - mprotect: { addr: m + 0x5000, len: 4K, prot: r }
  - mprotect: { addr: m + 0x5000, len: 4K, prot: rw }`),
    measure: (r) => vmstat(r, 'thp_split_page'), withIt: 0, without: 1,
  },
  {
    patch: PATCH.pagemapScan, base: 'v6.18',
    scenario: oneOp('pagemap_scan: { addr: m, len: 64K, return_mask: [present], id: scan }'),
    measure: (r) => errno(r, 'scan'), withIt: null, without: 'ENOTTY',
  },
  {
    patch: PATCH.guardRegions, base: 'v6.18', alsoRemove: [PATCH.guardRegionsFile, PATCH.pagemapGuardRegion],
    scenario: oneOp('madvise: { addr: m, len: 4K, advice: guard_install, id: g }').replace('name: one-op', 'name: guard\nobserve: { pages: [m] }'),
    // the marker: swap type 31, offset PTE_MARKER_GUARD (4); before v6.13 the advice is unknown
    measure: (r) => [errno(r, 'g'), pagemapBit(r, 'm', 62), Number(BigInt(page(r, 'm').pagemap) & 0x7fn)], withIt: [null, 1, 0x1f], without: ['EINVAL', 0, 0],
  },
  {
    patch: PATCH.guardRegionsFile, base: 'v6.18',
    // shared anonymous memory (shmem): EINVAL before v6.15; a PROT_READ private anonymous mapping may be written
    // (VM_MAYWRITE) and took guard markers from v6.13
    scenario: oneOp('madvise: { addr: ro, len: 4K, advice: guard_install, id: g2 }', `  - mmap: { as: sh, len: 4K, flags: [shared, anonymous] }
  - mmap: { as: ro, len: 4K, prot: r }
  - madvise: { addr: sh, len: 4K, advice: guard_install, id: g1 }`),
    measure: (r) => [errno(r, 'g1'), errno(r, 'g2')], withIt: [null, null], without: ['EINVAL', null],
  },
  {
    patch: PATCH.guardVmaFlag, base: 'v6.18',
    // shared anonymous memory split by a WP registration, guarded across the split, then unregistered: the halves
    // merge back (no anon_vma on a shmem VMA, the sticky flag stops no merge); before, each half had an anon_vma
    scenario: `
name: sticky
setup:
  - mmap: { as: sh, len: 64K, flags: [shared, anonymous] }
  - userfaultfd: { as: u, api: true }
  - uffdio_register: { uffd: u, addr: sh, len: 8K, mode: [wp] }
  - madvise: { addr: sh, len: 64K, advice: guard_install }
  - uffdio_unregister: { uffd: u, addr: sh, len: 8K }
`,
    measure: (r) => r.observation.snapshots.final!.vma_count, withIt: 1, without: 2,
  },
  {
    patch: PATCH.pagemapGuardRegion, base: 'v6.18',
    scenario: oneOp('madvise: { addr: m, len: 4K, advice: guard_install, id: g }').replace('name: one-op', 'name: guard\nobserve: { pages: [m] }'),
    measure: (r) => [pagemapBit(r, 'm', 58), pagemapBit(r, 'm', 62)], withIt: [1, 1], without: [0, 1],
  },
  {
    patch: PATCH.pagemapScanGuard, base: 'v6.18',
    scenario: oneOp('pagemap_scan: { addr: m, len: 64K, return_mask: [present, guard], id: scan }'),
    measure: (r) => errno(r, 'scan'), withIt: null, without: 'EINVAL',
  },
  {
    patch: PATCH.pagemapScanNoneWritten, base: 'v6.18',
    // page 0 is written, pages 1..15 are none PTEs in the same table: their region's categories
    scenario: oneOp('pagemap_scan: { addr: m, len: 64K, return_mask: [written, present], id: scan }', '  - write: { addr: m }'),
    measure: (r) => result(r, 'scan')?.split(' ')[2]?.split(':')[1], withIt: '0x2', without: '0x0',
  },
  {
    patch: PATCH.collapseCopyBatching, base: 'v6.18',
    scenario: oneOp('madvise: { addr: m, len: 2M, advice: collapse, id: collapse }', `  - madvise: { addr: m, len: 2M, advice: hugepage }
  - memset: { addr: m, len: 2M, value: 1 }
  - mprotect: { addr: m + 0x5000, len: 4K, prot: r }
  - mprotect: { addr: m + 0x5000, len: 4K, prot: rw }`),
    measure: (r) => [errno(r, 'collapse'), vmstat(r, 'thp_deferred_split_page')], withIt: [null, 0], without: [null, 1],
  },
  {
    patch: PATCH.cowReusePteMappedThp, base: 'v6.18',
    // a PTE-mapped THP shared by fork, dropped by the child (scenarios/differential/fork-thp-reuse-after-child-dontneed.yaml):
    // the parent's write keeps page 5 of the THP, or copies it and leaves the THP partly mapped
    scenario: readFileSync('scenarios/differential/fork-thp-reuse-after-child-dontneed.yaml', 'utf8'),
    measure: (r) => [Number(BigInt(page(r, 'ram + 0x5000').pagemap) & 0x1ffn), kpfBit(r, 'ram + 0x5000', 22), vmstat(r, 'thp_deferred_split_page', 'child_dropped')],
    withIt: [5, 1, 0], without: [0, 0, 1],
  },
  {
    patch: PATCH.zapPteBatch, base: 'v6.18',
    // munmap of all of a PTE-mapped THP: one batch, never partly mapped; or PTE by PTE, partly mapped after the first
    scenario: readFileSync('scenarios/differential/zap-pte-mapped-thp-batch.yaml', 'utf8'),
    measure: (r) => [vmstat(r, 'thp_deferred_split_page', 'split', 'unmapped'), vmstat(r, 'thp_deferred_split_page', 'unmapped')],
    withIt: [0, 1], without: [1, 1],
  },
  {
    patch: PATCH.x86PtReclaim, base: 'v6.18',
    // MADV_DONTNEED of a whole aligned 2 MiB frees the PTE table it empties: a read after MADV_HUGEPAGE maps the
    // huge zero page (thp, zero_page); without the row the empty table stays and the read maps a 4 KiB zero page
    scenario: readFileSync('scenarios/differential/dontneed-frees-pte-table.yaml', 'utf8'),
    measure: (r) => [kpfBit(r, 'm', 22), kpfBit(r, 'm', 24), pagemapBit(r, 'm + 0x5000', 63)],
    withIt: [1, 1, 1], without: [0, 1, 0],
  },
  {
    patch: PATCH.thpSplitRemapZeropage, base: 'v6.18', alsoRemove: [PATCH.thpSplitZeropageKeepsWp],
    // MADV_FREE of page 5 of a THP written in pages 0 and 5 splits it: the 510 zero-filled pages map the zero page
    scenario: readFileSync('scenarios/differential/split-remaps-zero-pages.yaml', 'utf8'),
    measure: (r) => [r.observation.snapshots.final!.smaps.ram!.Rss, kpfBit(r, 'ram + 0x1000', 24), pagemapBit(r, 'ram + 0x1000', 56)],
    withIt: [8, 1, 0], without: [2048, 0, 1],
  },
  {
    patch: PATCH.thpSplitZeropageKeepsWp, base: 'v6.18',
    // the zero page that replaces a write-protected zero-filled page at split keeps uffd-wp: the write raises a message
    scenario: readFileSync('scenarios/differential/split-zero-pages-keep-wp.yaml', 'utf8'),
    measure: (r) => [pagemapBit(r, 'ram + 0x1000', 57, 'split'), pagemapBit(r, 'ram + 0x2000', 57, 'split'), kpfBit(r, 'ram + 0x2000', 24, 'split')],
    withIt: [1, 1, 1], without: [0, 0, 1],
  },
  {
    patch: PATCH.mprotectUnaccountUnfaulted, base: 'v6.18',
    // an untouched part made read-only loses VM_ACCOUNT, a written part keeps it: they stay two VMAs
    scenario: readFileSync('scenarios/differential/mprotect-unaccount-unfaulted.yaml', 'utf8'),
    measure: (r) => r.observation.snapshots.final!.vma_count, withIt: 2, without: 1,
  },
  {
    patch: PATCH.vmaMergeUnfaultedAnon, base: 'v6.18',
    // the written part takes the flags of the untouched part before it: one VMA, or two
    scenario: readFileSync('scenarios/differential/vma-merge-into-unfaulted.yaml', 'utf8'),
    measure: (r) => r.observation.snapshots.final!.vma_count, withIt: 1, without: 2,
  },
  {
    patch: PATCH.uffdMfillVmaLock, base: 'v6.18',
    // a refused UFFDIO_ZEROPAGE leaves the VMA with an anon_vma, so mprotect keeps its VM_ACCOUNT
    scenario: readFileSync('scenarios/differential/zeropage-enoent-prepares-anon-vma.yaml', 'utf8'),
    measure: (r) => [errno(r, 'zp'), r.observation.snapshots.final!.vma_count], withIt: ['ENOENT', 3], without: ['ENOENT', 2],
  },
  {
    patch: PATCH.vmaLockDelayAnonVmaCheck, base: 'v6.18',
    scenario: `
name: missing-round-trip
setup:
  - mmap: { as: src, len: 4K }
  - write: { addr: src, value: 0x42 }
  - mmap: { as: m, len: 16K }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
threads:
  reader:
    - read: { addr: m, len: 8 }
  handler:
    - read_uffd: { uffd: u, as: msg }
    - uffdio_copy: { uffd: u, dst: m, src: src, len: 4K }
`, measure: (r) => [thread(r, 'reader').minflt, thread(r, 'reader').majflt], withIt: [1, 0], without: [0, 1],
  },
  // ---- rows of fixes the model had built in (task releases) ----
  {
    patch: PATCH.hugeZeroPmdForkCopies, base: 'v5.14',
    // a write-protected huge zero PMD, forked with UFFD_FEATURE_EVENT_FORK: the child's PMD is the parent's made
    // old, uffd-wp kept; before, a fresh one from vm_page_prot (accessed, no uffd-wp)
    scenario: `
name: fork-huge-zero
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - read: { addr: m }
  - userfaultfd: { as: u, features: [event_fork], flags: [] }
  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 2M, mode: [wp] }
threads:
  # fork() waits until its FORK event is read
  parent:
    - fork: { as: child }
  monitor:
    - read_uffd: { uffd: u, as: f, fork_uffd: cu }
expect:
  - { process: child, pagemap: m, has: [present] }
`, measure: (r) => [pmd(r, 'm'), pmd(r, 'child:m')], withIt: ['0x80000000000004a5', '0x8000000000000485'], without: ['0x80000000000004a5', '0x80000000000000a5'],
  },
  {
    patch: PATCH.uffdWpMarkerForkDrop, base: 'v6.6',
    // a uffd-wp marker on an unpopulated page, fork without UFFD_FEATURE_EVENT_FORK: the child's page is none
    scenario: `
name: fork-marker
observe: { pages: [m + 0x1000] }
setup:
  - mmap: { as: m, len: 64K }
  - write: { addr: m }
  - userfaultfd: { as: u, features: [wp_unpopulated] }
  - uffdio_register: { uffd: u, addr: m, len: 64K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m + 0x1000, len: 4K, mode: [wp] }
  - fork: { as: child }
expect:
  - { process: child, pagemap: m + 0x1000, lacks: [present] }
`, measure: (r) => [pagemapBit(r, 'm + 0x1000', 57), pagemapBit(r, 'child:m + 0x1000', 57)], withIt: [1, 0], without: [1, 1],
  },
  {
    patch: PATCH.madvFreeReclaimExtraRefs, base: 'v5.18',
    // a clean lazyfree page with a GUP reference besides its mapping, reclaimed: mapped back (and swap-backed
    // again) with the row; discarded without it (the process then reads a zero page, the pin the old one)
    scenario: bugFile('madv-free-dio-discard'),
    measure: (r) => [pagemapBit(r, 'buf', 63, 'reclaimed'), kpfBit(r, 'buf', 14, 'reclaimed')],
    withIt: [1, 1], without: [0, -1],
  },
  {
    patch: PATCH.hugetlbFollForceWrite, base: 'v6.18', config: ['nr_hugepages=6'],
    // /proc/self/mem writes into a read-only private hugetlb mapping (absent page, page shared after fork): written
    // with the row, EIO without it (check_vma_flags refuses the VMA); a shared mapping is EIO either way
    scenario: readFileSync('scenarios/differential/hugetlb-gup-proc-mem-force.yaml', 'utf8'),
    measure: (r) => [errno(r, 'absent'), errno(r, 'shared_cow'), errno(r, 'shared_map')],
    withIt: [null, null, 'EIO'], without: ['EIO', 'EIO', 'EIO'],
  },
  {
    patch: PATCH.gupHugetlbNoForceWrite, base: 'v6.12', config: ['nr_hugepages=6'],
    // the same writes on v6.12 refused; without the row (before v6.2) the forced write went through
    // follow_hugetlb_page, which the model does not have: the run stops at the first one
    scenario: readFileSync('scenarios/differential/hugetlb-gup-proc-mem-force.yaml', 'utf8'),
    direct: (spec) => {
      try {
        return errno(run(readFileSync('scenarios/differential/hugetlb-gup-proc-mem-force.yaml', 'utf8'), spec), 'absent');
      } catch (e) {
        return /not modelled on [^:]+: a FOLL_FORCE write into a hugetlb VMA before v6\.2/.test(String(e)) ? 'not modelled' : String(e);
      }
    },
    withIt: 'EIO', without: 'not modelled',
  },
  {
    patch: PATCH.lazyfreeSwapbackedIffDirty, base: 'v6.18',
    // a clean lazyfree page held by a long-term pin, paged out: mapped back and still lazyfree with the row,
    // so after the unpin a second MADV_PAGEOUT discards it; without it, swap-backed again and (no swap) kept
    scenario: readFileSync('scenarios/differential/madv-free-pinned-pageout-stays-lazyfree.yaml', 'utf8'),
    measure: (r) => [pagemapBit(r, 'm', 63, 'kept'), kpfBit(r, 'm', 14, 'kept'), pagemapBit(r, 'm', 63)],
    withIt: [1, 0, 0], without: [1, 1, 1],
  },
  {
    patch: PATCH.lazyfreeSwapbackedIffDirty, base: 'v6.18',
    // the same page written after MADV_FREE: dirty, so swap-backed again with or without the row
    scenario: readFileSync('scenarios/differential/madv-free-pinned-redirtied-pageout.yaml', 'utf8'),
    measure: (r) => [pagemapBit(r, 'm', 63, 'kept'), kpfBit(r, 'm', 14, 'kept')],
    withIt: [1, 1], without: [1, 1],
  },
  {
    patch: PATCH.forkCopyUffdWpVma, base: 'v6.18',
    // markers of WP_UNPOPULATED in a VMA that was never faulted (no anon_vma), fork with EVENT_FORK: the child's
    // VMA is registered for WP, so vma_needs_copy copies the page tables and the child keeps the markers
    scenario: readFileSync('scenarios/selftests/uffd-unit-wp-fork-with-event-marker.yaml', 'utf8'),
    measure: (r) => [pagemapBit(r, 'child:area', 57, 'forked'), thread(r, 'monitor').state],
    withIt: [1, 'done'], without: [0, 'blocked'],   // without: the child's write is not reported
  },
  {
    patch: PATCH.pagemapScanWpVmaCheck, base: 'v6.18',
    // PM_SCAN_WP_MATCHING over memory no userfaultfd knows of: skipped; before, its written page was protected
    scenario: `
name: scan-wp-unregistered
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - write: { addr: m }
  - pagemap_scan: { addr: m, len: 64K, flags: [wp_matching], category_mask: [written], return_mask: [written], id: scan }
`, measure: (r) => [pagemapBit(r, 'm', 57), pte(r, 'm')], withIt: [0, '0x8000000000000067'], without: [1, '0x8400000000000425'],
  },
  {
    patch: PATCH.pagemapScanFastPathWpOnly, base: 'v6.18',
    // a scan without output vector and without PM_SCAN_WP_MATCHING changes nothing; before, it protected the range
    scenario: `
name: scan-no-vector
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - write: { addr: m }
  - userfaultfd: { as: u, features: [wp_async, wp_unpopulated] }
  - uffdio_register: { uffd: u, addr: m, len: 64K, mode: [wp] }
  - pagemap_scan: { addr: m, len: 64K, vec_len: 0, category_mask: [written], return_mask: [written], id: scan }
`, measure: (r) => [pagemapBit(r, 'm', 57), pte(r, 'm')], withIt: [0, '0x8000000000000067'], without: [1, '0x8400000000000425'],
  },
  // ---- page migration (issue 10 item 5) --------------------------------------------------------------
  {
    patch: PATCH.migrationUffdWp, base: 'v6.1', schedule: 'mig obs mig',
    // a write-protected page under migration: its migration entry carries uffd-wp (pagemap 57 on a swap
    // entry, 62) and the page comes back write-protected, or loses it
    scenario: MIGRATE_ONE(UFFD_WP_M, 'm', '4K'),
    measure: (r) => [pagemapBit(r, 'm', 62, 'mid'), pagemapBit(r, 'm', 57, 'mid'), pagemapBit(r, 'm', 57), pagemapBit(r, 'm', 63)],
    withIt: [1, 1, 1, 1], without: [1, 0, 0, 1],
  },
  {
    patch: PATCH.thpMigrationUffdWp, base: 'v6.3', schedule: 'mig obs obs mig',
    // UFFDIO_WRITEPROTECT while the THP is a PMD migration entry: from 24bf08c43760 it sets the entry's
    // uffd-wp bit and the THP comes back protected; before, a PMD entry's bit was never set
    scenario: MIGRATE_ONE(`- userfaultfd: { as: u, api: true }
  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }`, 'm', '2M',
    '- uffdio_writeprotect: { uffd: u, addr: m, len: 2M, mode: [wp] }'),
    measure: (r) => [pagemapBit(r, 'm', 62, 'mid'), pagemapBit(r, 'm', 57, 'mid'), pagemapBit(r, 'm', 57), kpfBit(r, 'm', 22)],
    withIt: [1, 1, 1, 1], without: [1, 0, 0, 1],
  },
  // ---- hugetlb (issue 12 item 4) -------------------------------------------------------------------
  {
    // MADV_DONTNEED of a whole huge page: zapped from 90e7e7f5ef3f (the read after it sees a new, zeroed page), EINVAL before
    patch: PATCH.madvDontneedHugetlb, base: 'v5.18', config: ['nr_hugepages=1'],
    scenario: HUGETLB_ONE('- madvise: { addr: m, len: 2M, advice: dontneed, id: d }\n  - read: { addr: m, len: 1, id: r }'),
    measure: (r) => [errno(r, 'd'), result(r, 'r')], withIt: [null, ZERO_1B], without: ['EINVAL', `1B nonzero=1 h=${HASH_AA}`],
  },
  {
    // corpus 36: a 4 KiB MADV_DONTNEED rounded down to nothing (8ebe0a5eaaeb), or up to the whole huge page before
    patch: PATCH.madvDontneedHugetlbAlignDown, base: 'v6.1', config: ['nr_hugepages=1'], scenario: bugFile('hugetlb-madv-dontneed-roundup'),
    measure: (r) => [errno(r, 'dontneed'), result(r, 'after')], withIt: [null, `1B nonzero=1 h=${HASH_AA}`], without: [null, ZERO_1B],
  },
  {
    // corpus 11: UFFDIO_WRITEPROTECT of a hugetlb page whose migration entry is a readable one: from 44f86392bdd1 the
    // entry takes the uffd-wp bit and the write after the migration waits for the handler; before, it went through
    patch: PATCH.hugetlbMigrationUffdWp, base: 'v6.2', config: ['nr_hugepages=1'], scenario: bugFile('hugetlb-uffd-wp-migration-entry'),
    measure: (r) => [pagemapBit(r, 'mem', 57, 'migrated'), thread(r, 'vcpu').state], withIt: [1, 'blocked'], without: [0, 'done'],
  },
  {
    // a page zapped by MADV_DONTNEED gives the owner's reservation back (df7a6d1f6405): a second mapping cannot reserve
    // the pool's one page, and the first can still fault it in; before, the second took the reservation
    patch: PATCH.hugetlbRestoreReserve, base: 'v6.9', config: ['nr_hugepages=1'],
    scenario: HUGETLB_ONE('- madvise: { addr: m, len: 2M, advice: dontneed }\n  - mmap: { as: n, len: 2M, flags: [private, anonymous, hugetlb], id: second }'),
    measure: (r) => errno(r, 'second'), withIt: 'ENOMEM', without: null,
  },
  {
    // a fork of a shared hugetlb mapping: from bcd51a3c679d the child's VMA (no anon_vma) gets no entries and the child
    // refaults the page from the file's cache (one minor fault); before, copy_hugetlb_page_range gave it the entry
    patch: PATCH.hugetlbLazyForkCopy, base: 'v6.0', config: ['nr_hugepages=1'],
    scenario: `
name: hugetlb-shared-fork
setup:
  - mmap: { as: m, len: 2M, flags: [shared, anonymous, hugetlb] }
  - write: { addr: m, value: 1 }
  - fork: { as: child }
threads:
  c:
    process: child
    ops:
      - read: { addr: m }
`,
    measure: (r) => thread(r, 'c').minflt, withIt: 1, without: 0,
  },
  // ---- khugepaged as steps (issue 10 item 7) --------------------------------------------------------
  {
    patch: PATCH.khugepagedSkipUffdWp, base: 'v6.2',
    // khugepaged over 512 small pages, one of them write-protected: from e1e267c7928f the scan refuses the
    // block; before, the collapse mapped a THP without uffd-wp
    scenario: KHUGEPAGED_ONE('- uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp] }\n  - khugepaged: { addr: m }', ''),
    measure: (r) => [kpfBit(r, 'm', 22), pagemapBit(r, 'm', 57)], withIt: [0, 1], without: [1, 0],
  },
  {
    patch: PATCH.khugepagedCollapseShared, base: 'v5.8', alsoRemove: [PATCH.khugepagedMaxPtesShared],
    // a block whose first page is still shared with a forked child: from 9445689f3b61 its references are
    // its two mappings and it may be collapsed; before, a page had to be mapped once
    scenario: KHUGEPAGED_FORKED, measure: (r) => [result(r, 'k'), kpfBit(r, 'm', 22)], withIt: ['succeeded', 1], without: ['not_suitable_page_count', 0],
  },
  {
    patch: PATCH.khugepagedMaxPtesShared, base: 'v5.8', config: ['max_ptes_shared=0'],
    // the same block with max_ptes_shared 0: from 71a2c112a0f6 the one shared page is one too many
    scenario: KHUGEPAGED_FORKED, measure: (r) => [result(r, 'k'), kpfBit(r, 'm', 22)], withIt: ['exceed_shared_pte', 0], without: ['succeeded', 1],
  },
  {
    patch: PATCH.khugepagedPteMappedThp, base: 'v5.8',
    // a THP whose PMD was split (mprotect of one page, then back): from 5503fbf2b0b8 khugepaged collapses its
    // PTEs into a new THP; before, it refused a compound page
    scenario: `
name: khugepaged-pte-mapped-thp
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 2M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - memset: { addr: m, len: 2M, value: 1 }
  - mprotect: { addr: m, len: 4K, prot: r }
  - mprotect: { addr: m, len: 4K, prot: rw }
  - checkpoint: split
  - khugepaged: { addr: m, id: k }
`, measure: (r) => [result(r, 'k'), pagemapBit(r, 'm', 63), anonHuge(r, 'm')],
    withIt: ['succeeded', 1, 2048], without: ['page_compound', 1, 0],
  },
  {
    patch: PATCH.khugepagedIsolateUffdWp, base: 'v6.3', schedule: 'k p k',
    // the page is write-protected between the scan and the isolation (bug-corpus 12): from dd47ac428c3f the
    // isolation refuses it; before, the collapse mapped a THP without uffd-wp
    scenario: KHUGEPAGED_ONE('', `threads:
  k:
    - khugepaged: { addr: m }
  p:
    - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp] }`),
    measure: (r) => [kpfBit(r, 'm', 22), pagemapBit(r, 'm', 57)], withIt: [0, 1], without: [1, 0],
  },
  // ---- swap (issue 10 item 4) ----------------------------------------------------------------------
  {
    patch: PATCH.swpSoftDirty, base: 'v6.1',
    // a soft-dirty page swapped out and in keeps its soft-dirty bit (pagemap 55), on the swap PTE and after
    scenario: SWAP_ONE_PAGE('- clear_refs: 4\n  - write: { addr: m, value: 2 }'),
    measure: (r) => [pagemapBit(r, 'm', 55, 'out'), pagemapBit(r, 'm', 55)], withIt: [1, 1], without: [0, 0],
  },
  {
    patch: PATCH.swpUffdWp, base: 'v6.1',
    // a write-protected page swapped out and in keeps uffd-wp (pagemap 57)
    scenario: SWAP_ONE_PAGE(UFFD_WP_M),
    measure: (r) => [pagemapBit(r, 'm', 57, 'out'), pagemapBit(r, 'm', 57)], withIt: [1, 1], without: [0, 0],
  },
  {
    patch: PATCH.swpExclusive, base: 'v6.1',
    // the swap PTE remembers PageAnonExclusive: the read fault maps the page exclusive (kpageflags 34)
    scenario: SWAP_ONE_PAGE(''),
    measure: (r) => [kpfBit(r, 'm', 34), kpfBit(r, 'm', 13)], withIt: [1, 1], without: [0, 1],
  },
  {
    patch: PATCH.unusePteKeepsBits, base: 'v6.1',
    // swapoff maps a write-protected swapped page with its uffd-wp bit, or without it
    scenario: SWAP_ONE_PAGE(UFFD_WP_M, '- swapoff: true'),
    measure: (r) => [pagemapBit(r, 'm', 57, 'out'), pagemapBit(r, 'm', 57), pagemapBit(r, 'm', 63)], withIt: [1, 1, 1], without: [1, 0, 1],
  },
  {
    patch: PATCH.pagemapScanSwpUffdWp, base: 'v6.18',
    // a swap PTE at slot 1 has bit 10 set (bit 1 of the inverted offset): before the fix the WRITTEN-only
    // fast path took it for write-protected and neither reported nor protected it
    scenario: `
name: scan-swapped
observe: { pages: [m] }
setup:
  - swapon: { pages: 64 }
  - mmap: { as: m, len: 4K }
  - write: { addr: m, value: 1 }
  - userfaultfd: { as: u, api: true, features: [wp_async, wp_unpopulated] }
  - uffdio_register: { uffd: u, addr: m, len: 4K, mode: [wp] }
  - madvise: { addr: m, len: 4K, advice: pageout }
  - pagemap_scan: { addr: m, len: 4K, flags: [wp_matching, check_wpasync], category_mask: [written], return_mask: [written], id: scan }
`, measure: (r) => [String(result(r, 'scan')).split(' ')[0], pagemapBit(r, 'm', 57)], withIt: ['1', 1], without: ['0', 0],
  },
  {
    patch: PATCH.swapinMapWritable, base: 'v6.18',
    // the read fault maps the exclusive page writable: the write after it does not fault
    scenario: SWAP_ONE_PAGE('', '- read: { addr: m }', '  - write: { addr: m, value: 5 }'),
    measure: (r) => thread(r, 't').minflt, withIt: 0, without: 1,
  },
  {
    patch: PATCH.swapZeromap, base: 'v6.18',
    // a zero-filled page is not written out: the folio is freed, and the read reads a new page (major)
    scenario: SWAP_ONE_PAGE('- write: { addr: m, value: 0 }', '', '  - read: { addr: m + 1 }'),
    measure: (r) => [thread(r, 't').majflt, vmstat(r, 'swpout_zero'), vmstat(r, 'pswpout')], withIt: [1, 1, 0], without: [0, 0, 1],
  },
  {
    patch: PATCH.anonWorkingsetRefault, base: 'v6.18',
    // the zero-filled page evicted at once and read again is a refault: it starts on the active list (KPF_ACTIVE)
    scenario: SWAP_ONE_PAGE('- write: { addr: m, value: 0 }'),
    measure: (r) => [kpfBit(r, 'm', 6), thread(r, 't').majflt], withIt: [1, 1], without: [0, 1],
  },
  {
    patch: PATCH.uffdReleaseResetsWp, base: 'v6.12',
    scenario: WP_4K.replace("  - checkpoint: protected\n  - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [] }", '  - close: u\n  - checkpoint: protected'),
    measure: (r) => [pagemapBit(r, 'm', 57), r.observation.snapshots['protected']!.vma_count], withIt: [0, 1], without: [1, 1],
  },
  {
    patch: PATCH.uffdReleaseRetry, base: 'v6.18', scenario: '', measure: () => null,
    // a fault on a context whose release has begun (released set, its VMAs not yet unregistered)
    direct: (spec) => [releasedFault(spec, FAULT_FLAG_USER | FAULT_FLAG_ALLOW_RETRY), releasedFault(spec, FAULT_FLAG_USER)],
    withIt: [VM_FAULT_RETRY, VM_FAULT_SIGBUS], without: [VM_FAULT_NOPAGE, VM_FAULT_NOPAGE],
  },
  // ---- UFFDIO_MOVE ----
  {
    patch: PATCH.uffdMoveHugeZeroPage, base: 'v6.8', config: ['debug_vm=y'],
    // 4K of a huge zero PMD: the fix refuses any huge zero PMD (EBUSY) before splitting it; before, the
    // split path asks PageAnonExclusive() of the huge zero page: VM_BUG_ON_PGFLAGS kills the mover
    scenario: MOVE('- read: { addr: src }', '4K').replace('  - uffdio_move:', 'threads:\n  mover:\n    - uffdio_move:'),
    measure: (r) => [errno(r, 'mv'), vmstat(r, 'thp_split_pmd'), thread(r, 'mover').state], withIt: ['EBUSY', 0, 'done'], without: [null, 0, 'killed'],
  },
  {
    patch: PATCH.uffdMoveZeropage, base: 'v6.9',
    // the huge zero PMD moves whole; before, EBUSY ("zeropages are not handled yet")
    scenario: MOVE('- read: { addr: src }'),
    measure: (r) => [errno(r, 'mv'), pagemapBit(r, 'dst', 63), pagemapBit(r, 'src', 63)], withIt: [null, 1, 0], without: ['EBUSY', 0, 1],
  },
  {
    patch: PATCH.uffdMoveSoftDirty, base: 'v6.12',
    // a swap entry written before clear_refs arrives soft-dirty only with the fix
    scenario: MOVE(`- write: { addr: src, value: 1 }
  - madvise: { addr: src, len: 2M, advice: pageout }
  - clear_refs: 4`, '4K'),
    measure: (r) => [errno(r, 'mv'), pagemapBit(r, 'dst', 62), pagemapBit(r, 'dst', 55)], withIt: [null, 1, 1], without: [null, 1, 0],
  },
  {
    patch: PATCH.uffdMoveHugeZeroPmdKeep, base: 'v6.18', config: ['soft_dirty=y'],
    // the moved huge zero PMD keeps the special bit (9) and is made soft-dirty (bit 55 of pagemap);
    // before, an entry built afresh from vm_page_prot: neither
    scenario: MOVE('- read: { addr: src }\n  - clear_refs: 4'),
    measure: (r) => [errno(r, 'mv'), Number((BigInt(pmd(r, 'dst')) >> 9n) & 1n), pagemapBit(r, 'dst', 55)], withIt: [null, 1, 1], without: [null, 0, 0],
  },
  {
    patch: PATCH.uffdBelowMmapMinAddr, base: 'v6.18',
    // UFFDIO_COPY and UFFDIO_MOVE at 0x1000, where nothing is mapped: past validate_range, no VMA (ENOENT)
    scenario: `
name: below-mmap-min-addr
setup:
  - mmap: { as: m, len: 4K }
  - userfaultfd: { as: u, api: true, features: [move] }
  - uffdio_copy: { uffd: u, dst: 0x1000, src: m, len: 4K, id: cp }
  - uffdio_move: { uffd: u, dst: 0x1000, src: m, len: 4K, id: mv }
`,
    measure: (r) => [errno(r, 'cp'), errno(r, 'mv')], withIt: ['ENOENT', 'ENOENT'], without: ['EINVAL', 'EINVAL'],
  },
  {
    patch: PATCH.uffdEagainOutput, base: 'v6.18',
    // UFFDIO_COPY and UFFDIO_MOVE while a REMOVE event is under way: EAGAIN either way; the fix writes it back
    scenario: EAGAIN_DURING_REMOVE,
    measure: (r) => [errno(r, 'cp'), r.observation.ops['cp']?.out?.copy ?? null, errno(r, 'mv'), r.observation.ops['mv']?.out?.move ?? null],
    withIt: ['EAGAIN', -11, 'EAGAIN', -11], without: ['EAGAIN', null, 'EAGAIN', null],
  },
  {
    // UFFDIO_WRITEPROTECT on a uffd whose process exited (its child holds the file): ESRCH, or (before) the
    // walk of freed VMAs, refused as not modelled
    patch: PATCH.uffdWpMmget, base: 'v6.18', scenario: '',
    direct: (spec) => refused(() => errno(run(orphanUffd('uffdio_writeprotect: { uffd: u, addr: ram, len: 4K, mode: [wp], id: w }', '[missing, wp]'), spec), 'w')),
    measure: () => null, withIt: 'ESRCH', without: 'not modelled on v6.18-uffd-wp-mmget',
  },
  // ---- mremap -------------------------------------------------------------------------------------
  {
    // a whole, aligned 2 MiB of PTEs: the table moves as it is (soft-dirty stays clear) or entry by entry
    patch: PATCH.x86MovePmd, base: 'v5.7',
    scenario: MREMAP_SD(`- mmap: { as: src, len: 2M, align: 2M }
  - madvise: { addr: src, len: 2M, advice: nohugepage }
  - memset: { addr: src, len: 16K, value: 1 }
  - mmap: { as: res, len: 4M, align: 2M, prot: none }
  - clear_refs: 4
  - mremap: { addr: src, old_len: 2M, new_len: 2M, flags: [maymove, fixed], new_addr: res + 2M, as: dst, id: mv }`),
    measure: (r) => [errno(r, 'mv'), pagemapBit(r, 'dst', 63), pagemapBit(r, 'dst', 55)], withIt: [null, 1, 0], without: [null, 1, 1],
  },
  {
    // a whole, aligned gigabyte holding a THP: its PMD table moves as it is (the huge PMD stays clean), or PMD by
    // PMD, where move_huge_pmd makes the huge PMD soft-dirty
    patch: PATCH.x86MovePud, base: 'v5.13',
    scenario: MREMAP_SD(`- mmap: { as: src, len: 1G, align: 1G }
  - madvise: { addr: src, len: 1G, advice: hugepage }
  - write: { addr: src, value: 1 }
  - mmap: { as: res, len: 2G, align: 1G, prot: none }
  - clear_refs: 4
  - mremap: { addr: src, old_len: 1G, new_len: 1G, flags: [maymove, fixed], new_addr: res + 1G, as: dst, id: mv }`),
    measure: (r) => [errno(r, 'mv'), events(r, 'mremap').filter((e) => e.fn === 'move_normal_pud').length, pagemapBit(r, 'dst', 63), pagemapBit(r, 'dst', 55)],
    withIt: [null, 1, 1, 0], without: [null, 0, 1, 1],
  },
  // ---- arm64 rows (src/profiles/arch.ts): measured on v6.18-arm64 with and without the row ----------
  {
    // the aligned 2 MiB of PTEs moves as one table (move_normal_pmd) only with HAVE_MOVE_PMD
    patch: PATCH.arm64MovePmd, base: 'v6.18-arm64',
    scenario: MREMAP_SD(`- mmap: { as: src, len: 2M, align: 2M }
  - madvise: { addr: src, len: 2M, advice: nohugepage }
  - memset: { addr: src, len: 16K, value: 1 }
  - mmap: { as: res, len: 4M, align: 2M, prot: none }
  - mremap: { addr: src, old_len: 2M, new_len: 2M, flags: [maymove, fixed], new_addr: res + 2M, as: dst, id: mv }`),
    measure: (r) => [errno(r, 'mv'), events(r, 'mremap').filter((e) => e.fn === 'move_normal_pmd').length, pagemapBit(r, 'dst', 63)], withIt: [null, 1, 1], without: [null, 0, 1],
  },
  {
    // the aligned gigabyte moves as one PMD table (move_normal_pud) only with HAVE_MOVE_PUD
    patch: PATCH.arm64MovePud, base: 'v6.18-arm64',
    scenario: MREMAP_SD(`- mmap: { as: src, len: 1G, align: 1G }
  - madvise: { addr: src, len: 1G, advice: hugepage }
  - write: { addr: src, value: 1 }
  - mmap: { as: res, len: 2G, align: 1G, prot: none }
  - mremap: { addr: src, old_len: 1G, new_len: 1G, flags: [maymove, fixed], new_addr: res + 1G, as: dst, id: mv }`),
    measure: (r) => [errno(r, 'mv'), events(r, 'mremap').filter((e) => e.fn === 'move_normal_pud').length, pagemapBit(r, 'dst', 63)], withIt: [null, 1, 1], without: [null, 0, 1],
  },
  { patch: PATCH.arm64VmaLockFault, base: 'v6.18-arm64', scenario: THP_WP, measure: (r) => (events(r, 'handle_mm_fault').find((e) => e.thread === 'w')!.flags as number) & 0x1000, withIt: 0x1000, without: 0 },
  // without HAVE_ARCH_USERFAULTFD_WP, UFFDIO_REGISTER refuses MODE_WP (and the PTE has no bit 58)
  { patch: PATCH.arm64UffdWp, base: 'v6.18-arm64', scenario: WP_4K, measure: (r) => [errno(r, 'reg'), pagemapBit(r, 'm', 57, 'protected')], withIt: [null, 1], without: ['EINVAL', 0] },
  // ---- loongarch64 rows: v6.1-loongarch64 with and without the row --------------------------------
  // UFFDIO_COPY into a read-only VMA: without bf2f34a506e6 pte_mkdirty sets _PAGE_DIRTY (the TLB's write bit)
  { patch: PATCH.loongarchMkdirtyNeedsWrite, base: 'v6.1-loongarch64', scenario: bugFile('mkdirty-implies-write-ro-vma'), measure: (r) => [thread(r, 'writer').signal, pte(r, 'dst')], withIt: ['SIGSEGV', '0x400000000000029d'], without: [null, '0x400000000000029f'] },
  {
    // a clean, writable page (MADV_FREE) migrated: remove_migration_pte's pte_mkwrite sets _PAGE_DIRTY only on a modified entry
    patch: PATCH.loongarchMkwriteNeedsModified, base: 'v6.1-loongarch64',
    scenario: `
name: mkwrite-clean
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4K }
  - write: { addr: m, value: 1 }
  - madvise: { addr: m, len: 4K, advice: free }
  - migrate: { addr: m, len: 4K }
`, measure: (r) => pte(r, 'm'), withIt: '0x400000000000019c', without: '0x400000000000019e',
  },
  {
    patch: PATCH.mremapDontunmap, base: 'v5.7',
    scenario: MREMAP_SD(`- mmap: { as: src, len: 16K }
  - memset: { addr: src, len: 16K, value: 1 }
  - mremap: { addr: src, old_len: 16K, new_len: 16K, flags: [maymove, dontunmap], as: dst, id: mv }`),
    measure: (r) => [errno(r, 'mv'), (result(r, 'mv') ?? '').startsWith('0x')], withIt: [null, true], without: ['EINVAL', false],
  },
  {
    // source and destination 4 KiB past a PMD boundary with nothing below them: the first PTE table moves whole
    patch: PATCH.mremapRealign, base: 'v6.7',
    scenario: MREMAP_SD(`- mmap: { as: r, len: 8M, align: 2M, prot: none }
  - munmap: { addr: r, len: 6M }
  - mmap: { as: src, addr: r + 4K, len: 2M, flags: [private, anonymous, fixed] }
  - madvise: { addr: src, len: 2M, advice: nohugepage }
  - memset: { addr: src, len: 16K, value: 1 }
  - clear_refs: 4
  - mremap: { addr: src, old_len: 2M, new_len: 2M, flags: [maymove, fixed], new_addr: r + 4M + 4K, as: dst, id: mv }`),
    measure: (r) => [errno(r, 'mv'), pagemapBit(r, 'dst', 63), pagemapBit(r, 'dst', 55)], withIt: [null, 1, 0], without: [null, 1, 1],
  },
  {
    // two VMAs (different protections) moved by one MREMAP_FIXED call, or EFAULT (the range crosses the first one's end)
    patch: PATCH.mremapMoveMultiVma, base: 'v6.18',
    scenario: `
name: multi
observe: { pages: [res + 0x6000, src + 0x2000] }
setup:
  - mmap: { as: src, len: 16K }
  - memset: { addr: src, len: 16K, value: 1 }
  - mprotect: { addr: src + 8K, len: 8K, prot: r }
  - mmap: { as: res, len: 64K, prot: none }
  - mremap: { addr: src, old_len: 16K, new_len: 16K, flags: [maymove, fixed], new_addr: res + 16K, id: mv }
`,
    measure: (r) => [errno(r, 'mv'), pagemapBit(r, 'res + 0x6000', 63), pagemapBit(r, 'src + 0x2000', 63)], withIt: [null, 1, 0], without: ['EFAULT', 0, 1],
  },
  {
    // an munmap over a registered VMA and a hugetlb VMA it would split off a huge page boundary: EINVAL either
    // way; the first VMA's UNMAP event is sent (and read), or none was prepared before the split failed
    // (scenarios/differential/event-unmap-munmap-later-split-fails.yaml)
    patch: PATCH.uffdUnmapPrepPerVma, base: 'v6.18', config: ['nr_hugepages=2'],
    scenario: readFileSync('scenarios/differential/event-unmap-munmap-later-split-fails.yaml', 'utf8'),
    measure: (r) => [errno(r, 'un'), r.observation.msgs['um']?.event ?? null], withIt: ['EINVAL', 0x16], without: ['EINVAL', null],
  },
  {
    // a refused move to a populated fixed place (a growth of a range crossing its VMA's end): the destination
    // keeps its page, or was unmapped before the refusal (scenarios/differential/mremap-fixed-checks-before-unmap.yaml)
    patch: PATCH.mremapCheckEarly, base: 'v6.18',
    scenario: `
name: check-early
observe: { pages: [dst] }
setup:
  - mmap: { as: src, len: 16K }
  - mmap: { as: dst, len: 16K }
  - write: { addr: dst }
  - mremap: { addr: src + 8K, old_len: 12K, new_len: 16K, flags: [maymove, fixed], new_addr: dst, id: mv }
`,
    measure: (r) => [errno(r, 'mv'), pagemapBit(r, 'dst', 63)], withIt: ['EFAULT', 1], without: ['EFAULT', 0],
  },
  {
    // a write-protected page moved by a uffd without EVENT_REMAP: uffd-wp cleared, or left in an unregistered VMA
    patch: PATCH.mremapClearUffdWp, base: 'v6.12',
    scenario: MREMAP_SD(`- mmap: { as: src, len: 16K }
  - memset: { addr: src, len: 16K, value: 1 }
  - mmap: { as: res, len: 64K, prot: none }
  - userfaultfd: { as: uffd }
  - uffdio_register: { uffd: uffd, addr: src, len: 16K, mode: [wp] }
  - uffdio_writeprotect: { uffd: uffd, addr: src, len: 16K, mode: [wp] }
  - mremap: { addr: src, old_len: 16K, new_len: 16K, flags: [maymove, fixed], new_addr: res + 16K, as: dst, id: mv }`),
    measure: (r) => [errno(r, 'mv'), pagemapBit(r, 'dst', 63), pagemapBit(r, 'dst', 57)], withIt: [null, 1, 0], without: [null, 1, 1],
  },
  // ---- shmem, memfd and the page cache ----
  {
    // corpus 4: a write-protected page of a shared memfd, mprotect read-only and back: with writenotify the
    // PTE stays read-only (the write faults to userspace), without it mprotect makes it writable
    patch: PATCH.uffdWpWritenotify, base: 'v6.2', scenario: bugFile('uffd-wp-shmem-writable-remap'),
    measure: (r) => [thread(r, 't').state, sharedWpPageProtWrite(r.spec)], withIt: ['blocked', [true, false]], without: ['done', [true, true]],
  },
  // ---- filemap: mremap of file mappings, vma_merge() case 3 (corpus 35) ----
  // LTP mremap06's third case: the page moved back next to page 2 joins it (case 3) and reads file page 2
  // ('2') where vma_merge() left page 2's pgoff, page 1 ('1') where it was given pgoff less the range
  { patch: PATCH.vmaMergeNoVmaAdjust, base: 'v6.3', scenario: bugFile('mremap-vma-merge-pgoff'), measure: (r) => result(r, 'page1'), withIt: READ_0X32, without: READ_0X31 },
  { patch: PATCH.vmaMergeCase3Pgoff, base: 'v6.4', scenario: bugFile('mremap-vma-merge-pgoff'), measure: (r) => result(r, 'page1'), withIt: READ_0X31, without: READ_0X32 },
  {
    // MREMAP_DONTUNMAP of a shared memfd mapping: allowed, or EINVAL (private anonymous mappings only)
    patch: PATCH.mremapDontunmapAnyVma, base: 'v5.13',
    scenario: `
name: dontunmap-shared
setup:
  - memfd_create: { as: f }
  - ftruncate: { fd: f, len: 4K }
  - mmap: { as: m, len: 4K, fd: f }
  - mremap: { addr: m, old_len: 4K, new_len: 4K, flags: [maymove, dontunmap], id: mv }
`,
    measure: (r) => errno(r, 'mv'), withIt: null, without: 'EINVAL',
  },
  {
    // a whole private hugetlb mapping moves to a fixed place with its page; before 550a7d60bd5e, EINVAL
    patch: PATCH.mremapHugetlb, base: 'v5.17', config: ['nr_hugepages=2'],
    scenario: `
name: mremap-hugetlb
config: { nr_hugepages: 2 }
observe: { pages: [d + 0x200000] }
setup:
  - mmap: { as: m, len: 2M, flags: [private, anonymous, hugetlb] }
  - write: { addr: m, value: 1 }
  - mmap: { as: d, len: 4M, align: 2M, prot: none }
  - mremap: { addr: m, old_len: 2M, new_len: 2M, flags: [maymove, fixed], new_addr: d + 2M, id: mv }
`,
    measure: (r) => [errno(r, 'mv'), pagemapBit(r, 'd + 0x200000', 63)], withIt: [null, 1], without: ['EINVAL', 0],
  },
  // ---- the releases before the 4.19 baseline (oldrel) ----
  // pagemap's bits 55-60 of a written page: the page shift (12) until some clear_refs got 4, then the v2 flags
  {
    patch: PATCH.pagemapFlagsV2, base: 'v4.8', scenario: PAGEMAP_V2,
    measure: (r) => [pmFlags(r, 'boot'), pmFlags(r, 'cleared'), pmFlags(r, 'final'), pmFlags(r, 'final', 'other')],
    withIt: [3, 2, 3, 3], without: [12, 2, 3, 3],
  },
  { patch: PATCH.clearRefsHiwaterRss, base: 'v4.8', scenario: oneOp('clear_refs: 5', ''), measure: (r) => errno(r, 'setup#3'), withIt: null, without: 'EINVAL' },
  { patch: PATCH.kpageflagsZeroPage, base: 'v4.8', scenario: 'name: zp\nobserve: { pages: [z] }\nsetup:\n  - mmap: { as: z, len: 4K }\n  - read: { addr: z }\n', measure: (r) => [kpfBit(r, 'z', 24), kpfBit(r, 'z', 11)], withIt: [1, 0], without: [0, 0] },
  { patch: PATCH.pagemapMmapExclusive, base: 'v4.8', scenario: PAGEMAP_V2, measure: (r) => pagemapBit(r, 'm', 56), withIt: 1, without: 0 },
  { patch: PATCH.userfaultfdSyscall, base: 'v4.19', scenario: oneOp('userfaultfd: { as: u, id: op }'), measure: (r) => errno(r, 'op'), withIt: null, without: 'ENOSYS' },
  {
    patch: PATCH.thpRefcountRework, base: 'v4.8', scenario: oneOp('write: { addr: m }'),
    direct: (spec) => refused(() => anonHuge(run(oneOp('write: { addr: m }'), spec), 'm')),
    measure: () => null, withIt: 2048, without: 'not modelled on v4.8-thp-refcount-rework',
  },
  {
    // shmem_enabled does not exist without the row (an override is refused): the run sets the knob
    // itself, as bisect's steps do, so that only the row differs
    patch: PATCH.shmemHuge, base: 'v4.8', scenario: '',
    direct: (spec) => pmd(run('name: shm\nobserve: { pages: [m] }\nsetup:\n  - memfd_create: { as: f }\n  - ftruncate: { fd: f, len: 2M }\n' +
      '  - mmap: { as: m, len: 2M, align: 2M, fd: f, flags: [shared] }\n  - write: { addr: m, value: 1 }\n',
    { ...spec, config: { ...spec.config, shmem_enabled: 'always' } }), 'm'),
    measure: () => null, withIt: '0x80000000000008e7', without: '0x0000000000000067',
  },
  { patch: PATCH.splitHugePagesRange, base: 'v6.1', scenario: oneOp('split_huge_page: { addr: m, len: 2M, id: op }', '  - madvise: { addr: m, len: 2M, advice: hugepage }\n  - write: { addr: m }'), measure: (r) => [errno(r, 'op'), result(r, 'op')], withIt: [null, '1'], without: ['EINVAL', null] },
  { patch: PATCH.madvFree, base: 'v4.19', scenario: oneOp('madvise: { addr: m, len: 4K, advice: free, id: op }'), measure: (r) => errno(r, 'op'), withIt: null, without: 'EINVAL' },
  {
    patch: PATCH.madvFreeLazyfreeLru, base: 'v4.19', scenario: '',
    direct: (spec) => refused(() => errno(run(oneOp('madvise: { addr: m, len: 4K, advice: free, id: op }'), spec), 'op')),
    measure: () => null, withIt: null, without: 'not modelled on v4.19-madv-free-lazyfree-lru',
  },
  // MADV_REMOVE of a shared memfd mapping that mprotect made read-only: VM_MAYWRITE is enough from v6.7
  {
    patch: PATCH.vmaSharedMaywrite, base: 'v6.12',
    scenario: 'name: rm\nsetup:\n  - memfd_create: { as: f }\n  - ftruncate: { fd: f, len: 4K }\n  - mmap: { as: m, len: 4K, fd: f }\n' +
      '  - mprotect: { addr: m, len: 4K, prot: r }\n  - madvise: { addr: m, len: 4K, advice: remove, id: op }\n',
    measure: (r) => errno(r, 'op'), withIt: null, without: 'EACCES',
  },
  // MREMAP_DONTUNMAP's kept source and an accounted page mapped right after it: merged while the source keeps VM_ACCOUNT
  { patch: PATCH.mremapMoveVmaRefactor, base: 'v6.12', add: true, scenario: DONTUNMAP_ACCOUNT, measure: (r) => r.observation.snapshots.final!.vma_count, withIt: 3, without: 2 },
  { patch: PATCH.mremapDontunmapKeepsAccount, base: 'v6.18', scenario: DONTUNMAP_ACCOUNT, measure: (r) => r.observation.snapshots.final!.vma_count, withIt: 2, without: 3 },
  // the first write to a clean shmem page dirties it in fault_dirty_shared_page: VM_FAULT_RETRY (counted as a
  // major fault on the TRIED retry, v5.9 accounting) until VM_FAULT_COMPLETED (a minor fault)
  {
    patch: PATCH.faultDirtyDropsLock, base: 'v5.13', scenario: SHMEM_WRITE_FAULT,
    measure: (r) => [r.observation.threads['t']!.minflt, r.observation.threads['t']!.majflt], withIt: [0, 1], without: [1, 0],
  },
  // GUP (a write pin) of a uffd-wp (async) shmem page: the first fault dirties the page and drops the lock,
  // the second (the uffd-wp one) is retried with FOLL_TRIED: a major fault. A RETRY instead is not counted
  {
    patch: PATCH.faultCompleted, base: 'v6.18', scenario: SHMEM_WP_PIN,
    measure: (r) => [r.observation.threads['t']!.minflt, r.observation.threads['t']!.majflt], withIt: [1, 1], without: [0, 1],
  },
  { patch: PATCH.madvWipeonfork, base: 'v4.19', scenario: oneOp('madvise: { addr: m, len: 4K, advice: wipeonfork, id: op }'), measure: (r) => errno(r, 'op'), withIt: null, without: 'EINVAL' },
  {
    // a free range: the same mapping either way; a taken one: EEXIST, or (an unknown flag, a hint) not modelled
    patch: PATCH.mapFixedNoreplace, base: 'v4.19', scenario: '',
    direct: (spec) => [
      result(run(oneOp('mmap: { addr: 0x7e0000000000, len: 4K, flags: [private, anonymous, fixed_noreplace], id: op }'), spec), 'op'),
      refused(() => errno(run(oneOp('mmap: { addr: m, len: 4K, flags: [private, anonymous, fixed_noreplace], id: op }'), spec), 'op')),
    ],
    measure: () => null, withIt: ['0x7e0000000000', 'EEXIST'], without: ['0x7e0000000000', 'not modelled on v4.19-map-fixed-noreplace'],
  },
  // ---- userfaultfd MINOR and UFFDIO_CONTINUE (test/uffd-minor.test.ts has the rest) ----
  {
    // corpus 14: MINOR|WP on shmem without CONFIG_PTE_MARKER_UFFD_WP
    patch: PATCH.uffdRegisterMinorWpCheck, base: 'v6.18', config: ['pte_marker_uffd_wp=n'],
    scenario: MINOR_MEMFD('uffdio_register: { uffd: u, addr: m, len: 4K, mode: [minor, wp], id: op }'),
    measure: (r) => errno(r, 'op'), withIt: 'EINVAL', without: null,
  },
  {
    patch: PATCH.uffdContinueModeWp, base: 'v6.18',
    scenario: MINOR_MEMFD('uffdio_register: { uffd: u, addr: m, len: 4K, mode: [minor, wp] }\n  - uffdio_continue: { uffd: u, addr: m, len: 4K, mode: [wp], id: op }'),
    measure: (r) => [errno(r, 'op'), pagemapBit(r, 'm', 57)], withIt: [null, 1], without: ['EINVAL', 0],
  },
  // ---- device: device-coherent memory and move_pages(2) (corpus 38; test/device.test.ts) ----
  {
    // the HMM test driver's coherent device exists from v6.0; before, the operation has no device to use
    patch: PATCH.deviceCoherent, base: 'v6.0', scenario: '',
    alsoRemove: [PATCH.followPageNonLruPut],
    direct: (spec) => {
      try {
        return result(run(oneOp('hmm_migrate: { addr: src, len: 4K, to: coherent, id: op }', '  - write: { addr: src }'), spec), 'op');
      } catch (e) {
        return /not modelled on v6.0[^:]*: device-coherent memory, which came with v6.0/.test(String(e)) ? 'refused' : String(e);
      }
    },
    measure: () => null, withIt: '1', without: 'refused',
  },
  {
    // the FOLL_GET reference move_pages took on a device page: kept before f7091ed64ec8, put back with it
    patch: PATCH.followPageNonLruPut, base: 'v6.1-rc1',
    scenario: oneOp('move_pages: { pages: [src], id: op }', '  - write: { addr: src }\n  - hmm_migrate: { addr: src, len: 4K, to: coherent }\n  - move_pages: { pages: [src] }').replace('name: one-op', 'name: one-op\nobserve: { pages: [src] }'),
    measure: (r) => [result(r, 'op'), page(r, 'src').refcount], withIt: ['0 status=-ENOENT', 1], without: ['0 status=-ENOENT', 3],
  },
  {
    // an address with nothing mapped: -EFAULT through follow_page(FOLL_DUMP), -ENOENT through folio_walk
    patch: PATCH.movePagesFolioWalk, base: 'v6.18',
    scenario: oneOp('move_pages: { pages: [src, m, m + 4K], id: op }', '  - write: { addr: src }\n  - read: { addr: m }'),
    measure: (r) => result(r, 'op'), withIt: '0 status=0,-EFAULT,-ENOENT', without: '0 status=0,-EFAULT,-EFAULT',
  },
  // ---- oldfile: the x86 swap PTE layout (the reclaim device swaps on any release) ----
  {
    // slot 1 of type 0: L1TF-safe (type in 59-63, ~offset from bit 9) with the row; v3.11's type << 1 | offset << 9
    // without; the soft-dirty bit of the swap PTE is bit 1 there and bit 7 (_PAGE_PSE) in the v3.11 layout
    patch: PATCH.x86SwapL1tf, base: 'v4.19',
    scenario: 'name: l1tf\nobserve: { pages: [m] }\nsetup:\n  - swapon: { pages: 64 }\n  - mmap: { as: m, len: 4K }\n  - write: { addr: m, value: 7 }\n  - reclaim: { addr: m, len: 4K }\n',
    measure: (r) => [page(r, 'm').pte, pagemapBit(r, 'm', 62), pagemapBit(r, 'm', 55), Number((BigInt(page(r, 'm').pagemap) & 0x7fffffffffffffn))],
    withIt: ['0x07fffffffffffc02', 1, 1, 0x20], without: ['0x0000000000000280', 1, 1, 0x20],
  },
  // ---- oldfile: memfd_create's flags by release ----
  {
    // MFD_HUGETLB: a hugetlbfs memfd (fs/hugetlbfs.ts) from v4.14; an unknown flag before
    patch: PATCH.memfdHugetlb, base: 'v4.15', scenario: '',
    direct: (spec) => {
      try {
        return errno(run(oneOp('memfd_create: { as: f, flags: [hugetlb], id: op }'), spec), 'op');
      } catch (e) {
        return /not modelled: MFD_HUGETLB/.test(String(e)) ? 'not modelled: MFD_HUGETLB' : e;
      }
    },
    measure: () => null, withIt: null, without: 'EINVAL',
  },
  {
    patch: PATCH.memfdNoexecSeal, base: 'v6.3', scenario: oneOp('memfd_create: { as: f, flags: [noexec_seal], id: op }', '  - memfd_create: { as: g, flags: [exec], id: op2 }'),
    measure: (r) => [errno(r, 'op2'), errno(r, 'op')], withIt: [null, null], without: ['EINVAL', 'EINVAL'],
  },
  // ---- fixes beyond the corpus (scenarios/bugs, docs/fidelity.md "Bugs beyond the corpus") ----
  {
    // MADV_COLLAPSE of two of four blocks: the walk stops at the end asked for; before, it went on to the
    // VMA's end, collapsed the third block and failed at the empty fourth
    patch: PATCH.collapseHendClamp, base: 'v6.2', scenario: bugFile('madv-collapse-past-requested-end'),
    measure: (r) => [errno(r, 'collapse'), kpfBit(r, 'm + 0x401000', 22), vmstat(r, 'thp_collapse_alloc')],
    withIt: [null, 0, 2], without: ['EINVAL', 1, 3],
  },
  {
    patch: PATCH.collapsePageCountEagain, base: 'v6.2', scenario: bugFile('madv-collapse-pinned-einval'),
    measure: (r) => [errno(r, 'refused'), errno(r, 'collapse')], withIt: ['EAGAIN', null], without: ['EINVAL', null],
  },
  {
    // mprotect of 16K over 8K mapped: the VMA iterator's end check lets the call succeed
    patch: PATCH.mprotectVmaIterator, base: 'v6.4', scenario: bugFile('mprotect-trailing-hole-success'),
    measure: (r) => [errno(r, 'ro'), thread(r, 't').signal], withIt: [null, 'SIGSEGV'], without: ['ENOMEM', 'SIGSEGV'],
  },
  {
    patch: PATCH.mprotectLimitCheck, base: 'v6.6', scenario: bugFile('mprotect-trailing-hole-success'),
    measure: (r) => [errno(r, 'ro'), thread(r, 't').signal], withIt: ['ENOMEM', 'SIGSEGV'], without: [null, 'SIGSEGV'],
  },
  {
    patch: PATCH.pagemapScanHugeZeroPfnzero, base: 'v6.18', scenario: bugFile('pagemap-scan-huge-zero-pfnzero'),
    measure: (r) => [String(result(r, 'zero')).split(' ')[0], String(result(r, 'all')).split(' ')[1]?.split(':')[1]],
    withIt: ['1', '0x68'], without: ['0', '0x48'],
  },
  {
    // a feature the configuration leaves out: EINVAL with the fix; before, taken and left out of the answer
    patch: PATCH.uffdApiEinvalUnsupported, base: 'v6.10', config: ['pte_marker_uffd_wp=n'], scenario: bugFile('uffdio-api-unsupported-feature'),
    measure: (r) => [errno(r, 'api'), result(r, 'api')], withIt: ['EINVAL', null], without: [null, '0x14fff'],
  },
  {
    // PAGEMAP_SCAN with vec_len 0 write-protecting half a THP: the task survives with the fix; before, it oopses
    patch: PATCH.pagemapScanVecBufNull, base: 'v6.18', scenario: bugFile('pagemap-scan-no-vec-oops'),
    measure: (r) => [thread(r, 't').state, vmstat(r, 'thp_split_pmd'), pagemapBit(r, 'm', 57)], withIt: ['done', 1, 1], without: ['killed', 1, 0],
  },
  {
    // growth in place from inside the VMA: vma_merge of the extension (and of the VMA after it); before, vma_adjust alone
    patch: PATCH.mremapMergeAfterResize, base: 'v6.0', add: true, alsoAdd: [PATCH.mremapExpandInsideVma], scenario: bugFile('mremap-expand-inside-vma'),
    measure: (r) => [errno(r, 'grow'), r.observation.snapshots.final!.vma_count], withIt: [null, 1], without: [null, 2],
  },
  {
    patch: PATCH.mremapExpandInsideVma, base: 'v6.2', scenario: bugFile('mremap-expand-inside-vma'),
    measure: (r) => [errno(r, 'grow'), r.observation.snapshots.final!.vma_count], withIt: [null, 1], without: ['ENOMEM', 2],
  },
  {
    // a private hugetlb page written under a uffd-wp marker: a WP message with the fix; before, the write went through
    patch: PATCH.hugetlbWpSkipUffdWp, base: 'v6.3', config: ['nr_hugepages=1'], scenario: bugFile('hugetlb-uffd-wp-marker-cow-write'),
    measure: (r) => [thread(r, 'vcpu').state, errno(r, 'read')], withIt: ['blocked', null], without: ['done', 'EAGAIN'],
  },
  {
    // fork of a write-protected private hugetlb page without EVENT_FORK: the child's entry loses uffd-wp with the
    // fix; before, it kept it, and v6.3's hugetlb_wp (which never COWs a write-protected entry) refaulted for ever
    patch: PATCH.hugetlbForkUffdWp, base: 'v6.4', config: ['nr_hugepages=2'], scenario: bugFile('hugetlb-fork-keeps-uffd-wp'),
    measure: (r) => [pagemapBit(r, 'child:mem', 57, 'forked'), thread(r, 'kid').state], withIt: [0, 'done'], without: [1, 'livelock'],
  },
  {
    // the same fork on v6.2 (no refault loop): the child's write copies the page; the copy keeps uffd-wp with the fix
    patch: PATCH.hugetlbUnshareKeepsUffdWp, base: 'v6.2', add: true, config: ['nr_hugepages=2'], scenario: bugFile('hugetlb-fork-keeps-uffd-wp'),
    measure: (r) => [thread(r, 'kid').state, pagemapBit(r, 'child:mem', 57)], withIt: ['done', 1], without: ['done', 0],
  },
  // ---- fixes beyond the corpus, round two ----
  {
    // vec_len 2^61 (0 bytes of 24-byte regions modulo 2^64): EFAULT with the fix; before, the scan ran
    patch: PATCH.pagemapScanVecLenOverflow, base: 'v6.18', scenario: bugFile('pagemap-scan-vec-len-overflow'),
    measure: (r) => [errno(r, 'wrap'), errno(r, 'big')], withIt: ['EFAULT', 'EFAULT'], without: [null, 'EFAULT'],
  },
  {
    // UFFDIO_API with an unknown feature bit, and with api 0xab: both taken from 914eedcb9ba0 until its revert
    patch: PATCH.uffdApiIgnoreUnknown, base: 'v6.0', scenario: bugFile('uffdio-api-unrecognized-feature-accepted'),
    measure: (r) => [errno(r, 'unknown'), errno(r, 'badapi'), errno(r, 'reg')], withIt: [null, null, null], without: ['EINVAL', 'EINVAL', 'EINVAL'],
  },
  {
    patch: PATCH.uffdApiIgnoreUnknownReverted, base: 'v6.3', scenario: bugFile('uffdio-api-unrecognized-feature-accepted'),
    measure: (r) => [errno(r, 'unknown'), errno(r, 'badapi'), errno(r, 'reg')], withIt: ['EINVAL', 'EINVAL', 'EINVAL'], without: [null, null, null],
  },
  {
    // the tail of a VMA unregistered (then registered) next to a VMA that matches: merged with the fix
    patch: PATCH.uffdVmaMergePgoff, base: 'v6.4', scenario: bugFile('uffd-unregister-tail-no-merge'),
    measure: (r) => [r.observation.snapshots.unregistered!.vma_count, r.observation.snapshots.final!.vma_count], withIt: [3, 4], without: [4, 6],
  },
  {
    // a shmem THP faulted in through a MADV_NOHUGEPAGE VMA: PTE-mapped with the fix (zapping a page splits nothing)
    patch: PATCH.thpDisabledNoPmdMap, base: 'v6.12', config: ['shmem_enabled=advise'], scenario: bugFile('shmem-thp-pmd-in-nohugepage-vma'),
    measure: (r) => [vmstat(r, 'thp_split_pmd', 'mapped'), pagemapBit(r, 'b + 0x2000', 63)], withIt: [0, 1], without: [1, 0],
  },
  {
    // UFFDIO_COPY into a private shmem mapping: anonymous memory with the fix; before, the file's page
    patch: PATCH.uffdShmemPrivateAnon, base: 'v5.7', scenario: bugFile('uffd-copy-private-shmem-into-file'),
    measure: (r) => [pagemapBit(r, 'priv', 61), result(r, 'copy')], withIt: [0, '4096'], without: [1, '4096'],
  },
  {
    // a shared mapping of a file opened read-only: EPERM with the fix (CVE-2018-18397)
    patch: PATCH.uffdRegisterMaywrite, base: 'v5.7', scenario: bugFile('uffd-register-readonly-file'),
    measure: (r) => [errno(r, 'reg'), errno(r, 'copy')], withIt: ['EPERM', 'ENOENT'], without: [null, null],
  },
  {
    // UFFDIO_COPY through a read-only shared shmem mapping: the page is dirty with the fix (KPF_DIRTY, bit 4)
    patch: PATCH.uffdShmemCopyPageDirty, base: 'v5.7', scenario: bugFile('uffd-copy-shmem-readonly-vma-lost'),
    measure: (r) => [kpfBit(r, 'm', 4, 'filled')], withIt: [1], without: [0],
  },
  // ---- fixes beyond the corpus, round three ----
  {
    // UFFDIO_COPY MODE_WP into a read-only VMA, made writable again: the page keeps its protection with the fix
    patch: PATCH.uffdWpRegardlessOfVmWrite, base: 'v5.18', scenario: bugFile('uffd-copy-wp-readonly-vma'),
    measure: (r) => [pagemapBit(r, 'mem', 57, 'copied'), thread(r, 'vcpu').state], withIt: [1, 'blocked'], without: [0, 'done'],
  },
  {
    // UFFDIO_WRITEPROTECT of an untouched hugetlb range with no page table: a marker with the fix (the write
    // waits for the monitor); before, nothing, and the write went through
    patch: PATCH.hugetlbUffdWpPrealloc, base: 'v6.2', config: ['nr_hugepages=1'], scenario: bugFile('hugetlb-uffd-wp-no-pgtable'),
    measure: (r) => [pagemapBit(r, 'mem', 57, 'protected'), thread(r, 'vcpu').state], withIt: [1, 'blocked'], without: [0, 'done'],
  },
  {
    // mincore of a hugetlb range write-protected while untouched: its uffd-wp markers are not resident with the fix
    patch: PATCH.mincoreHugetlbPteMarkers, base: 'v6.3', config: ['nr_hugepages=2'], scenario: bugFile('mincore-hugetlb-uffd-wp-marker'),
    measure: (r) => [result(r, 'marker'), result(r, 'mapped')], withIt: ['0 status=0,0', '0 status=1,1'], without: ['0 status=1,1', '0 status=1,1'],
  },
  // ---- round four ----
  {
    // MADV_COLLAPSE of a block mapped read-only (measured on 6.18, scenarios/differential/collapse-read-only-block.yaml)
    patch: PATCH.khugepagedCollapseReadOnly, base: 'v6.18', scenario: readFileSync('scenarios/differential/collapse-read-only-block.yaml', 'utf8'),
    measure: (r) => [errno(r, 'collapse'), anonHuge(r, 'm')], withIt: [null, 2048], without: ['EINVAL', 0],
  },
  {
    // MADV_COLD of a page of a THP two mms map half of each (measured on 6.18,
    // scenarios/differential/thp-cold-mapped-in-part-by-two-mms.yaml): left whole with the row, split before
    patch: PATCH.folioMaybeMappedShared, base: 'v6.18', scenario: readFileSync('scenarios/differential/thp-cold-mapped-in-part-by-two-mms.yaml', 'utf8'),
    measure: (r) => [kpfBit(r, 'ram + 0x5000', 22)], withIt: [1], without: [0],
  },
  {
    // MADV_PAGEOUT of a private mapping of a file the caller may not write: its COW copy is swapped out with the fix
    patch: PATCH.madvPageoutPrivateFileAnon, base: 'v6.2', scenario: bugFile('madv-pageout-private-file-cow-kept'),
    measure: (r) => [pagemapBit(r, 'pv', 62), pagemapBit(r, 'pv', 63)], withIt: [1, 0], without: [0, 1],
  },
  // MADV_FREE and MADV_COLD of one page of a PTE-mapped THP only this process maps: split, except between the folio
  // conversions (folio_mapcount() != 1 for any THP mapped by two PTEs) and the v6.5 fixes
  {
    patch: PATCH.madvFreeFolioMapcount, base: 'v6.4', alsoRemove: [PATCH.madvFreeLargeFolioSharers], scenario: bugFile('madv-free-pte-mapped-thp-skipped'),
    measure: (r) => [kpfBit(r, 'ram + 0x5000', 22)], withIt: [1], without: [0],
  },
  {
    patch: PATCH.madvFreeLargeFolioSharers, base: 'v6.6', scenario: bugFile('madv-free-pte-mapped-thp-skipped'),
    measure: (r) => [kpfBit(r, 'ram + 0x5000', 22)], withIt: [0], without: [1],
  },
  {
    patch: PATCH.madvColdFolioMapcount, base: 'v6.4', alsoRemove: [PATCH.madvColdLargeFolioSharers], scenario: bugFile('madv-cold-pte-mapped-thp-skipped'),
    measure: (r) => [kpfBit(r, 'ram + 0x5000', 22)], withIt: [1], without: [0],
  },
  {
    patch: PATCH.madvColdLargeFolioSharers, base: 'v6.6', scenario: bugFile('madv-cold-pte-mapped-thp-skipped'),
    measure: (r) => [kpfBit(r, 'ram + 0x5000', 22)], withIt: [0], without: [1],
  },
  // the same walks over a PTE-mapped THP whose first page is unmapped: folio_estimated_sharers() == 0 read as shared
  {
    patch: PATCH.madvColdEstimatedSharersZero, base: 'v6.9', scenario: bugFile('madv-cold-first-page-unmapped-skipped'),
    measure: (r) => [kpfBit(r, 'ram + 0x5000', 22)], withIt: [0], without: [1],
  },
  {
    // khugepaged over a PTE-mapped THP a forked child maps half of: 256 pages mapped twice (not over max_ptes_shared);
    // counted by folio, all 512 (then, before v6.18, the scan would have ended for want of a writable PTE)
    patch: PATCH.khugepagedFolioLikelyShared, base: 'v6.12', scenario: `
name: khugepaged-shared-thp
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 2M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - memset: { addr: m, len: 2M, value: 1 }
  - mprotect: { addr: m + 4K, len: 4K, prot: r }
  - mprotect: { addr: m + 4K, len: 4K, prot: rw }
  - fork: { as: child }
threads:
  kid:
    process: child
    ops:
      - madvise: { addr: m, len: 1M, advice: dontneed }
  k:
    - khugepaged: { addr: m, id: k }
`,
    measure: (r) => [result(r, 'k')], withIt: ['exceed_shared_pte'], without: ['no_writable_page'],
  },
  {
    patch: PATCH.folioLikelyMappedShared, base: 'v6.10', alsoRemove: [PATCH.folioMaybeMappedShared], scenario: bugFile('madv-free-first-page-unmapped-skipped'),
    measure: (r) => [kpfBit(r, 'ram + 0x5000', 22)], withIt: [0], without: [1],
  },
  {
    // UFFDIO_CONTINUE of a page fallocate left not up to date: mapped (zeroed) with the fix; EFAULT before
    patch: PATCH.uffdContinueFallocated, base: 'v5.19', scenario: bugFile('uffd-continue-fallocated-efault'),
    measure: (r) => [errno(r, 'fallocated'), pagemapBit(r, 'mem + 0x1000', 63)], withIt: [null, 1], without: ['EFAULT', 0],
  },
  {
    // UFFDIO_UNREGISTER through another userfaultfd: EINVAL and the owner keeps the range; before, unregistered
    patch: PATCH.uffdUnregisterOwnCtx, base: 'v6.18', scenario: bugFile('uffd-unregister-other-uffd'),
    measure: (r) => [errno(r, 'other'), thread(r, 't').state], withIt: ['EINVAL', 'blocked'], without: [null, 'done'],
  },
  {
    // truncation of a file whose private copy is in swap: the swap entry goes with the fix; before, it stayed
    patch: PATCH.zapSwapEntryWithDetails, base: 'v5.18', scenario: bugFile('truncate-keeps-swapped-cow-copy'),
    measure: (r) => [pagemapBit(r, 'm', 62, 'truncated'), pagemapBit(r, 'm', 63)], withIt: [0, 1], without: [1, 1],
  },
  {
    // a block with one young page: collapsed with the fix; before, the swap-in step gave up after the allocation
    patch: PATCH.khugepagedReferencedSwapinOnly, base: 'v5.8', scenario: bugFile('khugepaged-few-young-never-collapsed'),
    measure: (r) => [result(r, 'k'), kpfBit(r, 'm', 22), vmstat(r, 'thp_collapse_alloc')], withIt: ['succeeded', 1, 1], without: ['failed', 0, 1],
  },
  {
    // CONTINUE into a private hugetlb mapping, then a write: copied with the fix; before, written into the file
    patch: PATCH.hugetlbContinueFileRmap, base: 'v6.0', scenario: bugFile('hugetlb-continue-private-writes-file'), config: ['nr_hugepages=4'],
    measure: (r) => [pagemapBit(r, 'p', 61, 'continued'), thread(r, 'vcpu').state], withIt: [1, 'done'], without: [0, 'done'],
  },
  // ---- round six ----
  {
    // an mmap next to a soft-dirty VMA: merged with the fix; before, a VMA of its own
    patch: PATCH.softDirtyMergeIgnore, base: 'v3.16', scenario: bugFile('soft-dirty-vma-no-merge'), config: ['soft_dirty=y'],
    measure: (r) => r.observation.snapshots['mapped']!.vma_count, withIt: 1, without: 2,
  },
  {
    // swapoff of a uffd-wp swap PTE: swapped in with the fix; before, try_to_unuse retried for ever
    patch: PATCH.swapoffUffdWpCompare, base: 'v5.13', scenario: bugFile('swapoff-uffd-wp-hang'),
    measure: (r) => [thread(r, 'admin').state, pagemapBit(r, 'mem', 63), pagemapBit(r, 'mem', 62)], withIt: ['done', 1, 0], without: ['livelock', 0, 1],
  },
  {
    // PAGEMAP_SCAN asked to return PAGE_IS_SOFT_DIRTY: the second region is soft-dirty with the fix; before, EINVAL
    patch: PATCH.pagemapScanSoftDirty, base: 'v6.8', scenario: bugFile('pagemap-scan-soft-dirty-einval'), config: ['soft_dirty=y'],
    measure: (r) => [errno(r, 'scan'), result(r, 'scan')], withIt: [null, '2 0x7f20ffffb000-0x7f20ffffc000:0x8 0x7f20ffffc000-0x7f20ffffd000:0x88 walk_end=0x7f20fffff000'], without: ['EINVAL', null],
  },
  {
    // clear_refs 4 then mprotect back to writable on shared hugetlb: the PMD writable with the fix; before,
    // read-only (write-notify), and without 1d8d14641fd9 too the write made an anonymous copy
    patch: PATCH.hugetlbNoSoftDirtyWritenotify, base: 'v6.0', alsoRemove: [PATCH.hugetlbSharedWriteFault], scenario: bugFile('hugetlb-soft-dirty-mprotect-cow'),
    config: ['nr_hugepages=2', 'soft_dirty=y'],
    measure: (r) => [Number((BigInt(pmd(r, 'm', 'rw')) & 2n) !== 0n), pagemapBit(r, 'm', 61)], withIt: [1, 1], without: [0, 0],
  },
  {
    // a write to the read-only entry a released uffd left in a shared hugetlb mapping: made writable in place
    // with the fix; before, an anonymous copy (not the file's page)
    patch: PATCH.hugetlbSharedWriteFault, base: 'v6.0', scenario: bugFile('hugetlb-shared-write-fault-cow'), config: ['nr_hugepages=2'],
    measure: (r) => [pagemapBit(r, 'm', 61), r.observation.snapshots.final!.meminfo?.HugePages_Rsvd ?? null], withIt: [1, 0], without: [0, -1],
  },
  // ---- round seven ----
  {
    // two REMOVE events under way, the first read: UFFDIO_COPY is EAGAIN with the count; before, the bool the
    // first waiter cleared let it through
    patch: PATCH.uffdMmapChangingCount, base: 'v5.17', scenario: bugFile('uffd-mmap-changing-first-read-clears'),
    measure: (r) => [errno(r, 'between'), result(r, 'between')], withIt: ['EAGAIN', null], without: [null, '4096'],
  },
  {
    // a second UFFDIO_API asking for EVENT_FORK without CAP_SYS_PTRACE: EPERM with the fix (its checks run
    // first); before, EINVAL at once
    patch: PATCH.uffdApiInitCmpxchg, base: 'v5.17', scenario: bugFile('uffdio-api-second-call-eperm'),
    measure: (r) => [errno(r, 'again_fork'), errno(r, 'again')], withIt: ['EPERM', 'EINVAL'], without: ['EINVAL', 'EINVAL'],
  },
  {
    // fork of a pinned private hugetlb page, then a write: the pin sees the write with the fix (the child got
    // the copy); before, the parent's write copied the page away from the pin
    patch: PATCH.hugetlbForkPinnedEarlyCow, base: 'v5.13', scenario: bugFile('hugetlb-fork-pinned-page-cow'), config: ['nr_hugepages=2'],
    measure: (r) => result(r, 'setup#7') === result(r, 'setup#8'), withIt: true, without: false,
  },
  {
    // UFFDIO_COPY from a source past TASK_SIZE: EINVAL (the range check) with the fix; before, EFAULT from
    // copy_from_user
    patch: PATCH.uffdCopySrcRangeCheck, base: 'v6.6', scenario: bugFile('uffdio-copy-src-past-task-size'),
    measure: (r) => errno(r, 'kernel_src'), withIt: 'EINVAL', without: 'EFAULT',
  },
  {
    // UFFDIO_REGISTER and UNREGISTER above the last VMA: EINVAL with the vma iterator; before, the ENOMEM left in ret
    patch: PATCH.uffdRegisterVmaIterator, base: 'v6.3', scenario: bugFile('uffdio-register-above-last-vma-enomem'),
    measure: (r) => [errno(r, 'reg_above'), errno(r, 'unreg_above')], withIt: ['EINVAL', 'EINVAL'], without: ['ENOMEM', 'ENOMEM'],
  },
  {
    // a child's MADV_PAGEOUT of a page and a whole THP its parent maps too: both stay present (bit 63) in the
    // parent with the fix; before, reclaim swapped them out of both (bit 62)
    patch: PATCH.madvColdExclusiveOnly, base: 'v5.7', scenario: bugFile('madv-pageout-cow-page'),
    measure: (r) => [pagemapBit(r, 'm', 63, 'paged'), pagemapBit(r, 'm', 62, 'paged'), pagemapBit(r, 'thp', 62, 'paged')],
    withIt: [1, 0, 0], without: [0, 1, 1],
  },
  {
    // MADV_DONTNEED_LOCKED: a known advice that zaps from v5.18; an unknown one (EINVAL) before
    patch: PATCH.madvDontneedLocked, base: 'v5.18', scenario: bugFile('madv-dontneed-locked-unknown'),
    measure: (r) => [errno(r, 'zap'), pagemapBit(r, 'm', 63, 'advised')], withIt: [null, 0], without: ['EINVAL', 1],
  },
  {
    // mremap of a private mapping with old_len 0: EINVAL with the fix; before, a second, unrelated mapping
    patch: PATCH.mremapDupPrivateEinval, base: 'v4.14', scenario: bugFile('mremap-dup-private-mapping'),
    measure: (r) => [errno(r, 'duplicate'), r.observation.snapshots.duplicated!.vma_count], withIt: ['EINVAL', 1], without: [null, 2],
  },
];

describe('every patch changes what it says it changes', () => {
  for (const c of CASES) {
    it(`${c.patch.id} (${c.patch.commit || c.patch.ref}, ${c.patch.release})`, () => {
      const others = { add: c.alsoAdd ?? [], remove: c.alsoRemove ?? [] };
      const withSpec = kernel(c.base, { add: [...others.add, ...(c.add ? [c.patch] : [])], remove: [...others.remove] }, c.config);
      const withoutSpec = kernel(c.base, { add: [...others.add], remove: [...others.remove, c.patch] }, c.config);
      expect(withSpec.patches.has(c.patch)).toBe(true);
      expect(withoutSpec.patches.has(c.patch)).toBe(false);
      const a = c.direct ? c.direct(withSpec) : c.measure(run(c.scenario, withSpec, c.schedule));
      const b = c.direct ? c.direct(withoutSpec) : c.measure(run(c.scenario, withoutSpec, c.schedule));
      expect(a, `with ${c.patch.id}`).toEqual(c.withIt);
      expect(b, `without ${c.patch.id}`).toEqual(c.without);
    });
  }
});

describe('the patch table', () => {
  it('has a test for every row', () => {
    const tested = new Set(CASES.map((c) => c.patch.id));
    const untested = PATCH_LIST.filter((p) => !tested.has(p.id)).map((p) => p.id);
    expect(untested).toEqual([]);
  });
  it('names an upstream commit (12 hex) and release for every upstream row', () => {
    for (const p of PATCH_LIST) {
      if (p.kind === 'upstream') {
        expect(p.commit, p.id).toMatch(/^[0-9a-f]{12}$/);
        expect(p.release, p.id).toMatch(/^v\d+\.\d+$/);
      } else {
        expect(p.ref ?? p.commit, p.id).toBeTruthy();
      }
      expect(p.subject.length, p.id).toBeGreaterThan(10);
    }
  });
});

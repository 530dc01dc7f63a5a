// Random valid scenarios for `mmsim fuzz`: a fast-check arbitrary of abstract cases (mappings, a
// userfaultfd setup, the operations of a worker thread, of a uffd handler thread and of a forked
// child's thread), rendered as scenario YAML that goes through the real loader. Every part of a case
// may be dropped or simplified by shrinking and the rendering still gives a valid scenario: addresses
// are a mapping and a page index (taken modulo the mapping's size), names are given at rendering, and
// what needs a userfaultfd or a fork is left out when the case has none.
import fc from 'fast-check';
import { UFFD_FEATURE } from '../kernel/include/uapi.js';

/** what the generator may use on the kernel it targets */
export interface FuzzTarget {
  /** UFFDIO_API features the kernel offers (the model: all) */
  features: number;
  pagemapScan: boolean;
  splitHugePages: boolean;
  /** swap operations (a swap file, MADV_PAGEOUT, swapoff): only where mmsim host can make a swap file */
  swap?: boolean;
  /**
   * the pins it may take: 'any' flags (the model), 'io_uring' (the host: an io_uring fixed buffer,
   * pin_user_pages_fast with FOLL_WRITE | FOLL_LONGTERM only), 'none' (the host cannot register buffers)
   */
  pins?: 'any' | 'io_uring' | 'none';
  /** page migration (`migrate`): the model only (mmsim host runs a migrate of the setup, never one in a thread) */
  migrate?: boolean;
  /** khugepaged's visit of a 2 MiB block (`khugepaged`): the model only, no process can drive khugepaged on the host */
  khugepaged?: boolean;
  /**
   * mremap growing a mapping in place: the model only (on the host the pages between the scenario's
   * mappings belong to the executor's PROT_NONE reservation, so a mapping that ends there cannot grow)
   */
  growInPlace?: boolean;
  /** move_pages(2) to node 0: where that is the only node with memory (the model's one node) */
  movePages?: boolean;
  /**
   * mmap(MAP_FIXED) of fresh private anonymous memory over a range of a mapping (what it replaces is unmapped
   * first, with its UNMAP events; absent: the cases of a seed are the ones generated before it was drawn)
   */
  mmapFixed?: boolean;
  /**
   * MADV_GUARD_INSTALL / MADV_GUARD_REMOVE over a range (the host: where its probe saw MADV_GUARD_INSTALL work;
   * absent: the cases of a seed are the ones generated before guard regions were drawn)
   */
  guardRegions?: boolean;
  /**
   * what else than private anonymous memory a mapping may be backed by (absent: private anonymous only, and
   * the cases of a seed are the ones generated before shared memory existed): shared anonymous memory, a
   * memfd mapped shared or private, private hugetlb memory (a pool of 2 MiB pages in the case's config), a
   * file of the run's tmpfs directory (`open`) mapped shared or private, a hugetlbfs memfd mapped shared
   */
  backings?: readonly Backing[];
  /**
   * the child's thread may end with exit(2) of the child (absent: it never does, and the cases of a seed are
   * the ones generated before it was drawn)
   */
  exit?: boolean;
  /**
   * UFFD_FEATURE_EVENT_FORK in some cases with a handler thread (FuzzCase.fork): the worker's fork then waits
   * until the handler reads the FORK message, which names the child's uffd, and the handler may use that uffd
   * on the child (absent: never, and the cases of a seed are the ones generated before it was drawn)
   */
  eventFork?: boolean;
}

export type Backing = 'shared' | 'memfd' | 'memfd_private' | 'hugetlb' | 'tmpfs' | 'tmpfs_private' | 'memfd_hugetlb';

/** backings whose pages are 2 MiB pages of the hugetlb pool */
const HUGETLB_BACKINGS: readonly (Backing | undefined)[] = ['hugetlb', 'memfd_hugetlb'];
/** backings a range may be registered for MINOR faults over (shmem and hugetlb VMAs: vma_can_userfault) */
const MINOR_BACKINGS: readonly (Backing | undefined)[] = ['shared', 'memfd', 'memfd_private', 'hugetlb', 'tmpfs', 'tmpfs_private', 'memfd_hugetlb'];

export const MODEL_TARGET: FuzzTarget = {
  features: 0x1ffff, pagemapScan: true, splitHugePages: true, swap: false, pins: 'any', migrate: true, khugepaged: true, growInPlace: true, movePages: true, mmapFixed: true, guardRegions: true, exit: true, eventFork: true,
  backings: ['shared', 'memfd', 'memfd_private', 'hugetlb', 'tmpfs', 'tmpfs_private', 'memfd_hugetlb'],
};

/** a page of a mapping: the page index is taken modulo the mapping's pages at rendering */
export interface Addr {
  m: number;
  page: number;
  /** byte offset inside the page (writes and reads) */
  off: number;
}
/** a range from a page: len in pages (0 = to the end of the mapping) */
export interface Range {
  at: Addr;
  pages: number;
}

export interface MapSpec {
  /** pages: 4, 16, 512 (2 MiB) or 1024 (4 MiB) */
  pages: number;
  /** aligned to 2 MiB and MADV_HUGEPAGE */
  thp: boolean;
  /** populated by a write to each of these pages in the setup */
  populate: number[];
  /** what backs it (absent: private anonymous memory) */
  backing?: Backing;
}

export type Advice = 'dontneed' | 'free' | 'hugepage' | 'nohugepage' | 'collapse' | 'populate_read' | 'populate_write' | 'dontfork' | 'wipeonfork'
  | 'cold' | 'willneed' | 'random' | 'sequential' | 'normal' | 'dofork' | 'keeponfork' | 'guard_install' | 'guard_remove';
export const SCAN_CATEGORIES = ['wpallowed', 'written', 'present', 'swapped', 'pfnzero', 'huge'] as const;

export type FuzzOp =
  | { op: 'write'; at: Addr; size: 1 | 2 | 4 | 8; value: number }
  | { op: 'read'; at: Addr; len: number }
  | { op: 'memset'; r: Range; value: number }
  | { op: 'mprotect'; r: Range; prot: 'none' | 'r' | 'rw' }
  | { op: 'madvise'; r: Range; advice: Advice }
  | { op: 'munmap'; r: Range }
  // mmap(MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS) over a range (FuzzTarget.mmapFixed)
  | { op: 'mmap_fixed'; r: Range }
  | { op: 'fork' }
  | { op: 'register'; r: Range; mode: RegisterMode[] }
  | { op: 'unregister'; r: Range }
  | { op: 'writeprotect'; r: Range; mode: 'wp' | 'unprotect' | 'dontwake' }
  | { op: 'copy'; at: Addr; mode: 'wp' | '' }
  | { op: 'zeropage'; at: Addr }
  | { op: 'wake'; r: Range }
  // UFFDIO_CONTINUE of a range (of a MINOR-registered shmem or hugetlb range: the page cache's pages), poll(2) of the uffd
  // (`reg`: the range itself, the first page of the range the setup registers, or all of it)
  | { op: 'continue'; r: Range; mode: '' | 'wp' | 'dontwake'; reg?: 'first' | 'all' }
  // UFFDIO_POISON of a range (where the kernel offers UFFD_FEATURE_POISON): a later access of it is SIGBUS
  | { op: 'poison'; r: Range; mode: '' | 'dontwake' }
  | { op: 'poll' }
  // a read or a write of the first or last page of the range the setup registers (where the setup left
  // pages in the page cache: a MINOR fault when registered so)
  | { op: 'access'; last: boolean; write: boolean; value: number }
  // move_pages(2) of up to three pages to node 0 (the model's one node, and this machine's): each page's status
  // (pages of hugetlb memory are left out)
  | { op: 'move_pages'; at: Addr[]; all: boolean }
  | { op: 'scan'; r: Range; wp: boolean; mask: number; anyof: number; ret: number; max: number }
  | { op: 'checkpoint' }
  | { op: 'clear_refs'; value: 1 | 2 | 4 | 5 }
  | { op: 'split'; r: Range }
  // GUP: a pin (pin_read and unpin use the thread's latest live pin), vmsplice (read_pipe and pin_read use
  // its latest pipe), /proc/self/mem
  | { op: 'pin'; r: Range; flags: PinFlag[] }
  | { op: 'pin_read'; pipe: boolean }
  | { op: 'unpin' }
  | { op: 'vmsplice'; r: Range }
  | { op: 'read_pipe' }
  | { op: 'proc_mem_write'; at: Addr; size: 1 | 2 | 4 | 8; value: number }
  | { op: 'proc_mem_read'; at: Addr; len: number }
  // swap (FuzzCase.swap enables a device in the setup)
  | { op: 'pageout'; r: Range }
  // the model's memory-pressure device (`reclaim`: mmsim host runs it as MADV_PAGEOUT)
  | { op: 'reclaim'; r: Range }
  | { op: 'swapoff' }
  // close(2) of the uffd (in the child: its own copy), UFFDIO_MOVE (where the kernel offers
  // UFFD_FEATURE_MOVE), page migration of a range (FuzzTarget.migrate)
  | { op: 'close' }
  | { op: 'move'; dst: Addr; src: Addr; pages: number; mode: ('dontwake' | 'allow_src_holes')[] }
  | { op: 'migrate'; r: Range }
  // khugepaged's scan and collapse of the 2 MiB block holding a page (FuzzTarget.khugepaged)
  | { op: 'khugepaged'; at: Addr }
  // mremap: a move to a fixed place (with MREMAP_DONTUNMAP or not), or a resize in place (no MAYMOVE: a
  // move would land where the kernel likes, which a host run cannot compare)
  | { op: 'mremap'; r: Range; dst: Addr; kind: 'fixed' | 'fixed_dontunmap' | 'grow' | 'shrink' }
  // the file under a memfd mapping (FuzzTarget.backings; left out where the mapping has no file): a write or
  // read through the file descriptor at a page, a hole punched over a range, the file cut at a page and
  // grown back to the mapping's length; MADV_REMOVE of a range (shared mappings)
  | { op: 'pwrite'; at: Addr; value: number }
  | { op: 'pread'; at: Addr }
  | { op: 'punch'; r: Range }
  // fallocate of a range without punch_hole: page-cache pages (not up to date) that no mapping maps yet
  | { op: 'fallocate'; r: Range }
  | { op: 'truncate'; at: Addr }
  | { op: 'remove'; r: Range };

export type PinFlag = 'write' | 'longterm' | 'force' | 'get' | 'fast';

/**
 * The non-cooperative events a case may ask for (UFFD_FEATURE_EVENT_*): MADV_DONTNEED/REMOVE, munmap and
 * mremap then wait in the kernel until the handler thread reads the event (userfaultfd_event_wait_completion),
 * so they are asked for only where a handler thread reads the uffd (with none, the thread would wait for
 * ever). EVENT_FORK is drawn apart (FuzzCase.fork), with a fork and handler rounds that take the child's uffd.
 */
const NONCOOP_EVENTS = ['event_remove', 'event_unmap', 'event_remap'];

/**
 * one round of the handler thread: read a message, then resolve the fault it reports (or act on the event's
 * address); `continue` answers a MINOR fault with UFFDIO_CONTINUE, `pwrite_continue` first writes 8 bytes into
 * the file's page at the fault (where the registered mapping has a file descriptor), so the bytes the faulting
 * thread sees are compared
 */
export type Resolve = 'unprotect' | 'unprotect_all' | 'copy' | 'zeropage' | 'wake' | 'unprotect_dontwake_wake' | 'continue' | 'pwrite_continue';

export type RegisterMode = 'missing' | 'wp' | 'minor';

export interface UffdSpec {
  features: string[];
  /** (`minor` is left out where the registered mapping is private anonymous memory, which MINOR does not take) */
  mode: RegisterMode[];
  /** registered range (mapping, from page, pages) */
  r: Range;
  /** write-protect the registered range after registering */
  protect: boolean;
  /**
   * before registering, MADV_DONTNEED of the registered range: the pages the setup wrote stay in a shared or
   * file mapping's page cache, unmapped, so the next access to them is a MINOR fault (absent in older cases)
   */
  zap?: boolean;
  /**
   * before registering, the file under the registered range gets pages in its page cache that no mapping maps:
   * 8 bytes written (pwrite) into the range's first and last pages, or, on hugetlbfs (no write(2)), the range
   * allocated (fallocate)
   */
  fill?: boolean;
}

export interface FuzzCase {
  maps: MapSpec[];
  uffd: UffdSpec | null;
  /** null: one thread; else the rounds of a handler thread */
  handler: Resolve[] | null;
  ops: FuzzOp[];
  /** the child's thread, when ops fork */
  kid: FuzzOp[];
  /** a swap file of this many pages enabled first in the setup (null: none; absent in older cases) */
  swap?: number | null;
  /** the child's thread ends with exit(2) of the child (FuzzTarget.exit; absent in older cases) */
  kidExit?: boolean;
  /** UFFD_FEATURE_EVENT_FORK (FuzzTarget.eventFork; null or absent: without it) */
  fork?: ForkEvent | null;
}

/**
 * A case whose uffd asks for UFFD_FEATURE_EVENT_FORK: rendered only with a handler thread (which reads the
 * FORK message, the only way the worker's fork returns) and a fork of the worker (inserted where it has none).
 * Each handler round's read names the child's uffd (`fork_uffd: cuN`); only the round whose message is the
 * FORK message defines it, and in the others the round's child action is SKIPPED (an argument no operation
 * produced), on the model and on the kernel alike.
 */
export interface ForkEvent {
  /** where the fork goes among the worker's operations when it has none (modulo their number + 1) */
  at: number;
  /** what each handler round then does with the child's uffd (index i: round i; missing: nothing) */
  child: ChildAct[];
}

/**
 * what the handler does with the child's uffd (UFFDIO ioctls act on the child's mm, ctx->mm): `serve` reads a
 * message of it (a fault of the child's thread, or an event it sends) and resolves it as the round resolves
 * its own; `wp`/`unprotect` of a range, `copy`/`zeropage` of a page (the source is the handler's), `wake`,
 * `register` (over a range of the child) and `unregister`, `poll`, `close` of it
 */
export type ChildAct =
  | { act: 'none' } | { act: 'serve' } | { act: 'poll' } | { act: 'close' }
  | { act: 'wp' | 'unprotect' | 'wake' | 'unregister' | 'zeropage' | 'copy'; r: Range }
  | { act: 'register'; r: Range; mode: RegisterMode[] };

const PAGE = 4096;

// ---- arbitraries ---------------------------------------------------------------------------------

/** page indices weighted toward the 2 MiB boundary (511, 512, 513) and the ends of a mapping */
const pageArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 511, 512, 513, 1023, 3) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 1023 }) },
);
const offArb = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 511 }).map((x) => x * 8) });
const addrArb = fc.record({ m: fc.integer({ min: 0, max: 1 }), page: pageArb, off: offArb });
/** range lengths in pages: one page, two, a THP less or more a page, a THP, to the end */
const pagesArb = fc.constantFrom(1, 2, 512, 0, 511, 513, 16);
const rangeArb = fc.record({ at: fc.record({ m: fc.integer({ min: 0, max: 1 }), page: pageArb, off: fc.constant(0) }), pages: pagesArb });
const valueArb = fc.integer({ min: 1, max: 255 });

function opArb(t: FuzzTarget, child: boolean): fc.Arbitrary<FuzzOp> {
  const w = (weight: number, arbitrary: fc.Arbitrary<FuzzOp>) => ({ weight, arbitrary });
  const list = [
    w(12, fc.record({ op: fc.constant('write' as const), at: addrArb, size: fc.constantFrom(1 as const, 8 as const, 4 as const, 2 as const), value: fc.integer({ min: 0, max: 0xffff }) })),
    w(6, fc.record({ op: fc.constant('read' as const), at: addrArb, len: fc.constantFrom(8, 4096) })),
    w(1, fc.record({ op: fc.constant('memset' as const), r: fc.record({ at: rangeArb.map((r) => r.at), pages: fc.constantFrom(1, 2) }), value: valueArb })),
    w(4, fc.record({ op: fc.constant('mprotect' as const), r: rangeArb, prot: fc.constantFrom('r' as const, 'rw' as const, 'none' as const) })),
    w(7, fc.record({
      op: fc.constant('madvise' as const), r: rangeArb,
      advice: fc.constantFrom<Advice>('dontneed', 'populate_write', 'hugepage', 'collapse', 'free', 'populate_read', 'nohugepage', 'dontfork', 'wipeonfork',
        'cold', 'willneed', 'random', 'sequential', 'normal', 'dofork', 'keeponfork'),
    })),
    w(1, fc.record({ op: fc.constant('munmap' as const), r: rangeArb })),
    w(2, fc.record({ op: fc.constant('checkpoint' as const) })),
    w(1, fc.record({ op: fc.constant('clear_refs' as const), value: fc.constantFrom(1 as const, 2 as const, 4 as const, 5 as const) })),
  ];
  // GUP ranges stay small (a pipe and a pinned buffer of at most 16 pages), page-aligned
  const gupRange = fc.record({ at: rangeArb.map((r) => r.at), pages: fc.constantFrom(1, 2, 16) });
  list.push(
    w(2, fc.record({ op: fc.constant('proc_mem_write' as const), at: addrArb, size: fc.constantFrom(1 as const, 8 as const, 4 as const, 2 as const), value: fc.integer({ min: 0, max: 0xffff }) })),
    w(1, fc.record({ op: fc.constant('proc_mem_read' as const), at: addrArb, len: fc.constantFrom(8, 4096) })),
  );
  if (!child) {
    const pins = t.pins ?? 'any';
    if (pins !== 'none') {
      // (io_uring's buffer registration is pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM))
      const flags: fc.Arbitrary<PinFlag[]> = pins === 'io_uring' ? fc.constant<PinFlag[]>(['write', 'longterm', 'fast'])
        : fc.constantFrom<PinFlag[]>(['write', 'longterm', 'fast'], ['write', 'longterm'], ['longterm'], ['write'], [], ['write', 'force'], ['get'], ['write', 'get'], ['fast']);
      list.push(
        w(2, fc.record({ op: fc.constant('pin' as const), r: gupRange, flags })),
        w(1, fc.record({ op: fc.constant('unpin' as const) })),
      );
    }
    list.push(
      w(2, fc.record({ op: fc.constant('pin_read' as const), pipe: fc.boolean() })),
      w(2, fc.record({ op: fc.constant('vmsplice' as const), r: gupRange })),
      w(1, fc.record({ op: fc.constant('read_pipe' as const) })),
    );
    if (t.swap) {
      list.push(
        w(3, fc.record({ op: fc.constant('pageout' as const), r: rangeArb })),
        w(1, fc.record({ op: fc.constant('reclaim' as const), r: rangeArb })),
        w(1, fc.record({ op: fc.constant('swapoff' as const) })),
      );
    }
    list.push(
      w(2, fc.record({ op: fc.constant('fork' as const) })),
      w(3, fc.record({ op: fc.constant('register' as const), r: rangeArb, mode: registerModeArb(t) })),
      w(2, fc.record({ op: fc.constant('unregister' as const), r: rangeArb })),
      w(6, fc.record({ op: fc.constant('writeprotect' as const), r: rangeArb, mode: fc.constantFrom('wp' as const, 'unprotect' as const, 'dontwake' as const) })),
      w(2, fc.record({ op: fc.constant('copy' as const), at: addrArb.map((a) => ({ ...a, off: 0 })), mode: fc.constantFrom('' as const, 'wp' as const) })),
      w(2, fc.record({ op: fc.constant('zeropage' as const), at: addrArb.map((a) => ({ ...a, off: 0 })) })),
      w(1, fc.record({ op: fc.constant('wake' as const), r: rangeArb })),
      w(1, fc.record({ op: fc.constant('poll' as const) })),
    );
    if (t.features & (UFFD_FEATURE.minor_shmem | UFFD_FEATURE.minor_hugetlbfs)) {
      // mostly over what the setup registers (its first page, or all of it), else a range anywhere
      list.push(w(4, fc.record({ op: fc.constant('access' as const), last: fc.boolean(), write: fc.boolean(), value: valueArb })));
      list.push(w(3, fc.record({
        op: fc.constant('continue' as const), r: rangeArb, mode: fc.constantFrom('' as const, '' as const, 'wp' as const, 'dontwake' as const),
        reg: fc.constantFrom<'first' | 'all' | undefined>('first', 'all', 'first', undefined),
      })));
    }
    if (t.features & UFFD_FEATURE.poison) {
      list.push(w(1, fc.record({ op: fc.constant('poison' as const), r: rangeArb, mode: fc.constantFrom('' as const, '' as const, 'dontwake' as const) })));
    }
    if (t.pagemapScan) {
      const cats = fc.integer({ min: 0, max: (1 << SCAN_CATEGORIES.length) - 1 });
      list.push(w(4, fc.record({
        op: fc.constant('scan' as const), r: rangeArb, wp: fc.boolean(),
        mask: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: cats }),
        anyof: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: cats }),
        ret: fc.oneof({ weight: 1, arbitrary: fc.constant((1 << SCAN_CATEGORIES.length) - 1) }, { weight: 1, arbitrary: cats.filter((x) => x !== 0) }),
        max: fc.constantFrom(0, 0, 1, 3),
      })));
    }
    if (t.splitHugePages) list.push(w(1, fc.record({ op: fc.constant('split' as const), r: rangeArb })));
    if (t.features & UFFD_FEATURE.move) {
      // the destination mostly where the setup registers (m0 from page 0, 1 or 512), the source anywhere
      const at = addrArb.map((a) => ({ ...a, off: 0 }));
      const dst = fc.oneof({ weight: 2, arbitrary: fc.record({ m: fc.constant(0), page: fc.constantFrom(0, 1, 512), off: fc.constant(0) }) }, { weight: 1, arbitrary: at });
      list.push(w(3, fc.record({
        op: fc.constant('move' as const), dst, src: at, pages: fc.constantFrom(1, 2, 512, 16),
        mode: fc.constantFrom<('dontwake' | 'allow_src_holes')[]>([], ['allow_src_holes'], ['dontwake']),
      })));
    }
  }
  if (!child) {
    list.push(w(2, fc.record({
      op: fc.constant('mremap' as const), r: rangeArb, dst: addrArb.map((a) => ({ ...a, off: 0 })),
      kind: t.growInPlace ? fc.constantFrom('fixed' as const, 'fixed' as const, 'fixed_dontunmap' as const, 'grow' as const, 'shrink' as const)
        : fc.constantFrom('fixed' as const, 'fixed' as const, 'fixed_dontunmap' as const, 'shrink' as const),
    })));
  }
  // a close of the uffd in the child closes its own copy; the file is released when both are closed
  list.push(w(1, fc.record({ op: fc.constant('close' as const) })));
  if (t.mmapFixed && !child) list.push(w(1, fc.record({ op: fc.constant('mmap_fixed' as const), r: rangeArb })));
  // guard markers (v6.13+; EINVAL before, as the kernel answers an unknown advice): installed more often than removed
  if (t.guardRegions) {
    list.push(w(2, fc.record({ op: fc.constant('madvise' as const), r: rangeArb, advice: fc.constantFrom<Advice>('guard_install', 'guard_install', 'guard_remove') })));
  }
  if (t.movePages) list.push(w(1, fc.record({ op: fc.constant('move_pages' as const), at: fc.array(addrArb, { minLength: 1, maxLength: 3 }), all: fc.boolean() })));
  if (t.migrate) list.push(w(2, fc.record({ op: fc.constant('migrate' as const), r: rangeArb })));
  if (t.khugepaged) list.push(w(2, fc.record({ op: fc.constant('khugepaged' as const), at: addrArb.map((a) => ({ ...a, off: 0 })) })));
  if (t.backings?.length) {
    list.push(
      w(2, fc.record({ op: fc.constant('pwrite' as const), at: addrArb, value: valueArb })),
      w(1, fc.record({ op: fc.constant('pread' as const), at: addrArb })),
      w(1, fc.record({ op: fc.constant('punch' as const), r: rangeArb })),
      w(1, fc.record({ op: fc.constant('fallocate' as const), r: rangeArb })),
      w(1, fc.record({ op: fc.constant('remove' as const), r: rangeArb })),
    );
    if (!child) list.push(w(1, fc.record({ op: fc.constant('truncate' as const), at: addrArb })));
  }
  return fc.oneof(...list);
}

const mapArb = fc.record({
  pages: fc.constantFrom(512, 1024, 16, 4),
  thp: fc.boolean(),
  populate: fc.array(pageArb, { maxLength: 3 }),
});
/** a mapping of a target that has other backings: private anonymous memory half of the time */
function mapArbOf(t: FuzzTarget): fc.Arbitrary<MapSpec> {
  const backings = t.backings ?? [];
  if (!backings.length) return mapArb;
  const backing = fc.oneof({ weight: backings.length, arbitrary: fc.constant(undefined) }, { weight: backings.length, arbitrary: fc.constantFrom(...backings) });
  return fc.record({ pages: fc.constantFrom(512, 1024, 16, 4), thp: fc.boolean(), populate: fc.array(pageArb, { maxLength: 3 }), backing })
    .map((m) => {
      if (m.backing === undefined) {
        const { backing: _, ...anon } = m;
        return anon;
      }
      // hugetlb memory is mapped in whole 2 MiB pages at a 2 MiB boundary
      return HUGETLB_BACKINGS.includes(m.backing) ? { ...m, pages: Math.max(512, m.pages), thp: true } : m;
    });
}

/** registration modes: MISSING, WP or both, and, where the kernel offers MINOR faults, MINOR alone or with WP or MISSING */
function registerModeArb(t: FuzzTarget): fc.Arbitrary<RegisterMode[]> {
  const classic = fc.constantFrom<RegisterMode[]>(['wp'], ['missing', 'wp'], ['missing']);
  if (!(t.features & (UFFD_FEATURE.minor_shmem | UFFD_FEATURE.minor_hugetlbfs))) return classic;
  return fc.oneof({ weight: 1, arbitrary: classic }, { weight: 1, arbitrary: fc.constantFrom<RegisterMode[]>(['minor'], ['minor', 'wp'], ['missing', 'minor']) });
}

function uffdArb(t: FuzzTarget): fc.Arbitrary<UffdSpec> {
  const offered = Object.entries(UFFD_FEATURE).filter(([, b]) => (t.features & b) !== 0).map(([n]) => n);
  const useful = ['wp_unpopulated', 'wp_async', 'thread_id', ...NONCOOP_EVENTS, 'minor_shmem', 'minor_hugetlbfs'].filter((n) => offered.includes(n));
  return fc.record({
    features: fc.subarray(useful, { maxLength: 3 }),
    mode: registerModeArb(t),
    r: fc.record({ at: fc.record({ m: fc.constant(0), page: fc.constantFrom(0, 0, 512, 1), off: fc.constant(0) }), pages: fc.constantFrom(0, 512, 1, 2) }),
    protect: fc.boolean(),
    zap: fc.boolean(),
    fill: fc.boolean(),
  });
}

/** the handler's resolutions: CONTINUE too where the kernel offers MINOR faults */
function resolveArb(t: FuzzTarget): fc.Arbitrary<Resolve> {
  const classic = fc.constantFrom<Resolve>('unprotect', 'copy', 'zeropage', 'wake', 'unprotect_all', 'unprotect_dontwake_wake');
  if (!(t.features & (UFFD_FEATURE.minor_shmem | UFFD_FEATURE.minor_hugetlbfs))) return classic;
  return fc.oneof({ weight: 3, arbitrary: classic }, { weight: 2, arbitrary: fc.constantFrom<Resolve>('continue', 'pwrite_continue') });
}

/** a range mostly where the setup registers (m0 from page 0, 1 or 512: its first page, two, a THP, to the end), else anywhere */
const regRangeArb: fc.Arbitrary<Range> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ at: fc.record({ m: fc.constant(0), page: fc.constantFrom(0, 1, 512), off: fc.constant(0) }), pages: fc.constantFrom(1, 0, 2, 512) }) },
  { weight: 1, arbitrary: rangeArb },
);

/** what a handler round does with the child's uffd (FuzzCase.fork) */
function childActArb(t: FuzzTarget): fc.Arbitrary<ChildAct> {
  const w = (weight: number, arbitrary: fc.Arbitrary<ChildAct>) => ({ weight, arbitrary });
  return fc.oneof(
    w(2, fc.record({ act: fc.constant('none' as const) })),
    w(4, fc.record({ act: fc.constant('serve' as const) })),
    w(2, fc.record({ act: fc.constantFrom('wp' as const, 'unprotect' as const), r: regRangeArb })),
    w(2, fc.record({ act: fc.constantFrom('copy' as const, 'zeropage' as const), r: regRangeArb })),
    w(1, fc.record({ act: fc.constantFrom('wake' as const, 'unregister' as const), r: regRangeArb })),
    w(1, fc.record({ act: fc.constant('register' as const), r: rangeArb, mode: registerModeArb(t) })),
    w(1, fc.oneof(fc.record({ act: fc.constant('poll' as const) }), fc.record({ act: fc.constant('close' as const) }))),
  );
}

/** the arbitrary of whole cases for a target kernel */
export function caseArb(t: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc.record({
    maps: fc.array(mapArbOf(t), { minLength: 1, maxLength: 2 }),
    uffd: fc.option(uffdArb(t), { freq: 3, nil: null }),
    handler: fc.option(fc.array(resolveArb(t), { minLength: 1, maxLength: 4 }), { freq: 2, nil: null }),
    ops: fc.array(opArb(t, false), { minLength: 1, maxLength: 14 }),
    kid: fc.array(opArb(t, true), { maxLength: 4 }),
    // a swap file of 64 pages, or of 12 (11 slots: MADV_PAGEOUT runs out of them)
    swap: t.swap ? fc.option(fc.constantFrom(64, 12), { freq: 4, nil: null }) : fc.constant(null),
    ...(t.exit ? { kidExit: fc.boolean() } : {}),
    // UFFD_FEATURE_EVENT_FORK in about one case in ten that has a uffd and a handler thread (shrinks to none)
    ...(t.eventFork && (t.features & UFFD_FEATURE.event_fork) ? {
      fork: fc.oneof(
        { weight: 9, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.record({ at: fc.nat({ max: 14 }), child: fc.array(childActArb(t), { maxLength: 4 }) }) },
      ),
    } : {}),
  });
}

// ---- rendering -----------------------------------------------------------------------------------

export interface Rendered {
  yaml: string;
  /** operations in the scenario (setup and threads) */
  ops: number;
}

/** a YAML flow map of plain values (numbers, expressions, lists of names) */
function flow(o: Record<string, string | number | string[] | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    parts.push(`${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : v}`);
  }
  return `{ ${parts.join(', ')} }`;
}
const hex = (n: number) => '0x' + n.toString(16);

export interface RenderOptions {
  name: string;
  kernel: string;
  /** config lines (key: value) written under `config:` */
  config?: Record<string, string>;
  /** comment lines at the top of the file */
  comment?: string[];
  /** expectations (YAML flow maps) written after the observation-only ones */
  expect?: string[];
}

/** the scenario YAML of a case */
export function renderCase(c: FuzzCase, o: RenderOptions): Rendered {
  const maps = c.maps.length ? c.maps : [{ pages: 16, thp: false, populate: [] }];
  const mname = (m: number) => `m${m % maps.length}`;
  const npages = (m: number) => maps[m % maps.length]!.pages;
  const pageOf = (a: Addr) => a.page % npages(a.m);
  const addr = (a: Addr, withOff = false) => {
    const off = pageOf(a) * PAGE + (withOff ? a.off % PAGE : 0);
    return off ? `${mname(a.m)} + ${hex(off)}` : mname(a.m);
  };
  const range = (r: Range): { addr: string; len: string; first: Addr; last: Addr } => {
    const from = pageOf(r.at);
    const left = npages(r.at.m) - from;
    const n = r.pages === 0 ? left : Math.min(r.pages, left);
    return { addr: addr(r.at), len: hex(n * PAGE), first: { ...r.at, page: from }, last: { m: r.at.m, page: from + n - 1, off: 0 } };
  };
  /** the descriptor of the memfd under a mapping, if it has one */
  const fileOf = (m: number): string | undefined => {
    const b = maps[m % maps.length]!.backing;
    return b === 'memfd' || b === 'memfd_private' || b === 'tmpfs' || b === 'tmpfs_private' || b === 'memfd_hugetlb' ? `f${m % maps.length}` : undefined;
  };
  const observed = new Map<string, Addr>();
  const observe = (a: Addr) => {
    const key = `${a.m % maps.length}:${pageOf(a)}`;
    if (!observed.has(key) && observed.size < 16) observed.set(key, { m: a.m, page: pageOf(a), off: 0 });
  };
  const kidObserved = new Map<string, Addr>();
  const mems = new Map<string, string>();
  const setup: string[] = [];
  let nops = 0;
  const op = (list: string[], name: string, body: string) => {
    list.push(`${name}: ${body}`);
    nops++;
  };
  if (c.swap) op(setup, 'swapon', flow({ pages: c.swap }));
  maps.forEach((m, i) => {
    const len = hex(m.pages * PAGE), align = m.thp ? '2M' : undefined;
    if (m.backing === 'memfd' || m.backing === 'memfd_private' || m.backing === 'tmpfs' || m.backing === 'tmpfs_private') {
      // a memfd, or a file of the run's tmpfs directory (open O_RDWR | O_CREAT)
      if (m.backing === 'tmpfs' || m.backing === 'tmpfs_private') op(setup, 'open', flow({ as: `f${i}`, path: `t${i}` }));
      else op(setup, 'memfd_create', flow({ as: `f${i}`, name: `m${i}` }));
      op(setup, 'ftruncate', flow({ fd: `f${i}`, len }));
      op(setup, 'mmap', flow({ as: `m${i}`, len, align, fd: `f${i}`, flags: [m.backing === 'memfd' || m.backing === 'tmpfs' ? 'shared' : 'private'] }));
    } else if (m.backing === 'memfd_hugetlb') {
      // a file of hugetlbfs (MFD_HUGETLB), mapped shared: its pages stay in its page cache when a mapping lets them go
      op(setup, 'memfd_create', flow({ as: `f${i}`, name: `m${i}`, flags: ['cloexec', 'hugetlb'] }));
      op(setup, 'ftruncate', flow({ fd: `f${i}`, len }));
      op(setup, 'mmap', flow({ as: `m${i}`, len, align: '2M', fd: `f${i}`, flags: ['shared'] }));
    } else if (m.backing === 'shared') {
      op(setup, 'mmap', flow({ as: `m${i}`, len, align, flags: ['shared', 'anonymous'] }));
    } else if (m.backing === 'hugetlb') {
      op(setup, 'mmap', flow({ as: `m${i}`, len, align: '2M', flags: ['private', 'anonymous', 'hugetlb'] }));
    } else {
      op(setup, 'mmap', flow({ as: `m${i}`, len, align }));
    }
    if (m.thp && !HUGETLB_BACKINGS.includes(m.backing)) op(setup, 'madvise', flow({ addr: `m${i}`, len, advice: 'hugepage' }));
    for (const p of m.populate) {
      const a = { m: i, page: p, off: 0 };
      op(setup, 'write', flow({ addr: addr(a), value: 1 + (p % 200) }));
      observe(a);
    }
  });
  // a MINOR registration over private anonymous memory (which MINOR does not take) goes to the other mapping
  // where that one can take it (the registered range is then that mapping's)
  let uffd = c.uffd && c.uffd.mode.includes('minor') && !MINOR_BACKINGS.includes(maps[c.uffd.r.at.m % maps.length]!.backing)
    && maps.some((m) => MINOR_BACKINGS.includes(m.backing))
    ? { ...c.uffd, r: { ...c.uffd.r, at: { ...c.uffd.r.at, m: maps.findIndex((m) => MINOR_BACKINGS.includes(m.backing)) } } } : c.uffd;
  // on hugetlb memory the registered range is whole huge pages (a part is EINVAL)
  if (uffd && HUGETLB_BACKINGS.includes(maps[uffd.r.at.m % maps.length]!.backing)) {
    uffd = { ...uffd, r: { at: { ...uffd.r.at, page: Math.floor(pageOf(uffd.r.at) / 512) * 512 }, pages: Math.ceil(uffd.r.pages / 512) * 512 } };
  }
  const twoThreads = uffd !== null && c.handler !== null && c.handler.length > 0;
  // EVENT_FORK only where the handler thread can read the FORK message (with none the fork waits for ever)
  const forkEvent = twoThreads && c.fork ? c.fork : null;
  if (uffd) {
    op(setup, 'mmap', flow({ as: 'src', len: '4K' }));
    op(setup, 'memset', flow({ addr: 'src', len: '4K', value: 0x5a }));
    const features = twoThreads ? [...uffd.features, ...(forkEvent ? ['event_fork'] : [])] : uffd.features.filter((f) => !NONCOOP_EVENTS.includes(f));
    op(setup, 'userfaultfd', flow({ as: 'uffd', flags: twoThreads ? ['cloexec'] : ['nonblock', 'cloexec'], features: features.length ? features : undefined }));
    const r = range(uffd.r);
    const um = uffd.r.at.m % maps.length;
    if (uffd.fill && fileOf(um)) {
      if (HUGETLB_BACKINGS.includes(maps[um]!.backing)) {
        op(setup, 'fallocate', flow({ fd: fileOf(um)!, mode: ['keep_size'], offset: hex(pageOf(uffd.r.at) * PAGE), len: r.len }));
      } else {
        op(setup, 'pwrite', flow({ fd: fileOf(um)!, offset: hex(pageOf(r.first) * PAGE + 8), len: 8, value: 0x3c }));
        op(setup, 'pwrite', flow({ fd: fileOf(um)!, offset: hex(pageOf(r.last) * PAGE + 16), len: 8, value: 0x3d }));
      }
    }
    if (uffd.zap) {
      // the range's first page written first, so that the page cache keeps it once the range is zapped
      op(setup, 'write', flow({ addr: r.addr, value: 0x2b }));
      op(setup, 'madvise', flow({ addr: r.addr, len: r.len, advice: 'dontneed' }));
    }
    // MINOR takes shmem and hugetlb VMAs only: over private anonymous memory the case registers without it
    const minorOk = MINOR_BACKINGS.includes(maps[uffd.r.at.m % maps.length]!.backing);
    const mode = minorOk ? uffd.mode : uffd.mode.filter((x) => x !== 'minor');
    op(setup, 'uffdio_register', flow({ uffd: 'uffd', addr: r.addr, len: r.len, mode: mode.length ? mode : ['missing'] }));
    if (uffd.protect) op(setup, 'uffdio_writeprotect', flow({ uffd: 'uffd', addr: r.addr, len: r.len, mode: ['wp'] }));
    observe(r.first);
    observe(r.last);
  }
  let checkpoints = 0, bufs = 0, forked = false, handles = 0, fixed = 0;
  const thread = (ops: FuzzOp[], child: boolean): string[] => {
    const out: string[] = [];
    // the thread's live pins and pipes, latest last (a handle is used only while it holds pages)
    const pinsLive: string[] = [], pipesLive: string[] = [];
    const seen = child ? (a: Addr) => {
      const key = `${a.m % maps.length}:${pageOf(a)}`;
      if (!kidObserved.has(key) && kidObserved.size < 4) kidObserved.set(key, { m: a.m, page: pageOf(a), off: 0 });
    } : observe;
    for (const x of ops) {
      switch (x.op) {
        case 'write': {
          const size = x.size;
          const a = { ...x.at, off: Math.min(x.at.off % PAGE, PAGE - size) };
          op(out, 'write', flow({ addr: addr(a, true), value: hex(x.value), size: size === 1 ? undefined : size }));
          seen(a);
          if (!child && mems.size < 6) mems.set(addr(a, true), addr(a, true));
          break;
        }
        case 'read': {
          const a = { ...x.at, off: x.len === PAGE ? 0 : Math.min(x.at.off % PAGE, PAGE - x.len) };
          op(out, 'read', flow({ addr: addr(a, true), len: x.len, as: `b${++bufs}` }));
          seen(a);
          break;
        }
        case 'memset': {
          const r = range(x.r);
          op(out, 'memset', flow({ addr: r.addr, len: r.len, value: x.value }));
          seen(r.first);
          break;
        }
        case 'mprotect': case 'munmap': case 'madvise': {
          const r = range(x.r);
          op(out, x.op, flow({ addr: r.addr, len: r.len, prot: x.op === 'mprotect' ? x.prot : undefined, advice: x.op === 'madvise' ? x.advice : undefined }));
          seen(r.first);
          seen(r.last);
          break;
        }
        case 'fork':
          if (child || forked) break;
          forked = true;
          op(out, 'fork', flow({ as: 'child' }));
          break;
        case 'checkpoint':
          op(out, 'checkpoint', `c${++checkpoints}`);
          break;
        case 'clear_refs':
          op(out, 'clear_refs', String(x.value));
          break;
        case 'split': {
          const r = range(x.r);
          op(out, 'split_huge_page', flow({ addr: r.addr, len: r.len }));
          seen(r.first);
          break;
        }
        case 'proc_mem_write': {
          const a = { ...x.at, off: Math.min(x.at.off % PAGE, PAGE - x.size) };
          op(out, 'proc_mem_write', flow({ addr: addr(a, true), value: hex(x.value), size: x.size === 1 ? undefined : x.size }));
          seen(a);
          break;
        }
        case 'proc_mem_read': {
          const a = { ...x.at, off: x.len === PAGE ? 0 : Math.min(x.at.off % PAGE, PAGE - x.len) };
          op(out, 'proc_mem_read', flow({ addr: addr(a, true), len: x.len, as: `b${++bufs}` }));
          seen(a);
          break;
        }
        case 'pin': case 'vmsplice': {
          if (child) break;
          const r = range(x.r);
          const h = `${x.op === 'pin' ? 'p' : 'pipe'}${++handles}`;
          if (x.op === 'pin') op(out, 'pin', flow({ addr: r.addr, len: r.len, flags: x.flags, as: h }));
          else op(out, 'vmsplice', flow({ addr: r.addr, len: r.len, as: h }));
          (x.op === 'pin' ? pinsLive : pipesLive).push(h);
          seen(r.first);
          seen(r.last);
          break;
        }
        case 'pin_read': {
          const h = (x.pipe ? pipesLive : pinsLive).at(-1) ?? pinsLive.at(-1) ?? pipesLive.at(-1);
          if (!h || child) break;
          op(out, 'pin_read', flow({ pin: h, as: `b${++bufs}` }));
          break;
        }
        case 'unpin': case 'read_pipe': {
          const live = x.op === 'unpin' ? pinsLive : pipesLive;
          const h = live.pop();
          if (!h || child) break;
          if (x.op === 'unpin') op(out, 'unpin', h);
          else op(out, 'read_pipe', flow({ pipe: h, as: `b${++bufs}` }));
          break;
        }
        case 'pageout': case 'reclaim': {
          if (child) break;
          const r = range(x.r);
          if (x.op === 'reclaim') op(out, 'reclaim', flow({ addr: r.addr, len: r.len }));
          else op(out, 'madvise', flow({ addr: r.addr, len: r.len, advice: 'pageout' }));
          seen(r.first);
          seen(r.last);
          break;
        }
        case 'swapoff':
          if (child || !c.swap) break;
          op(out, 'swapoff', 'true');
          break;
        case 'close':
          // (also while a handler thread may sleep in read_uffd of it: that read holds the file, and the
          // release waits for it to return)
          if (!uffd) break;
          op(out, 'close', 'uffd');
          break;
        case 'khugepaged': {
          // a block of a THP mapping where there is one (only those are 2 MiB-aligned and MADV_HUGEPAGE)
          const thpMap = maps.findIndex((m) => m.thp);
          const at = maps[x.at.m % maps.length]!.thp || thpMap < 0 ? x.at : { ...x.at, m: thpMap };
          const r = range({ at, pages: 1 });
          op(out, 'khugepaged', flow({ addr: r.addr }));
          seen(r.first);
          break;
        }
        case 'migrate': {
          const r = range(x.r);
          op(out, 'migrate', flow({ addr: r.addr, len: r.len }));
          seen(r.first);
          seen(r.last);
          break;
        }
        case 'mremap': {
          if (child) break;
          const r = range(x.r);
          const len = Number(r.len);
          if (x.kind === 'grow' || x.kind === 'shrink') {
            const nlen = x.kind === 'grow' ? len * 2 : Math.max(PAGE, Math.floor(len / 2 / PAGE) * PAGE);
            op(out, 'mremap', flow({ addr: r.addr, old_len: r.len, new_len: hex(nlen) }));
          } else {
            // the destination range stays inside its mapping, as every range does: past the scenario's mappings
            // the host has the executor's own memory, which MREMAP_FIXED would unmap (hugetlb moves whole huge pages)
            const dm = npages(x.dst.m);
            const n = Math.min(len / PAGE, dm);
            const moved = HUGETLB_BACKINGS.includes(maps[x.r.at.m % maps.length]!.backing) ? Math.ceil(n / 512) * 512 : n;
            if (moved > dm) break;
            const d = { ...x.dst, page: Math.min(pageOf(x.dst), dm - moved), off: 0 };
            op(out, 'mremap', flow({
              addr: r.addr, old_len: hex(n * PAGE), new_len: hex(n * PAGE), flags: x.kind === 'fixed' ? ['maymove', 'fixed'] : ['maymove', 'fixed', 'dontunmap'], new_addr: addr(d),
            }));
            seen(d);
          }
          seen(r.first);
          seen(r.last);
          break;
        }
        case 'mmap_fixed': {
          if (child) break;
          const r = range(x.r);
          op(out, 'mmap', flow({ as: `fx${++fixed}`, addr: r.addr, len: r.len, flags: ['private', 'anonymous', 'fixed'] }));
          seen(r.first);
          seen(r.last);
          break;
        }
        case 'pwrite': case 'pread': case 'punch': case 'truncate': case 'fallocate': {
          const m = (x.op === 'punch' || x.op === 'fallocate' ? x.r.at : x.at).m;
          const fd = fileOf(m);
          if (!fd) break;
          if (x.op === 'pwrite') {
            const a = { ...x.at, off: Math.min(x.at.off % PAGE, PAGE - 8) };
            op(out, 'pwrite', flow({ fd, offset: hex(pageOf(a) * PAGE + a.off), len: 8, value: x.value }));
            seen(a);
          } else if (x.op === 'pread') {
            op(out, 'pread', flow({ fd, offset: hex(pageOf(x.at) * PAGE), len: 8, as: `b${++bufs}` }));
          } else if (x.op === 'punch' || x.op === 'fallocate') {
            const r = range(x.r);
            op(out, 'fallocate', flow({ fd, mode: x.op === 'punch' ? ['punch_hole', 'keep_size'] : ['keep_size'], offset: hex(pageOf(x.r.at) * PAGE), len: r.len }));
            seen(r.first);
            seen(r.last);
          } else {
            op(out, 'ftruncate', flow({ fd, len: hex(pageOf(x.at) * PAGE) }));
            op(out, 'ftruncate', flow({ fd, len: hex(npages(m) * PAGE) }));
            seen(x.at);
          }
          break;
        }
        case 'remove': {
          const r = range(x.r);
          op(out, 'madvise', flow({ addr: r.addr, len: r.len, advice: 'remove' }));
          seen(r.first);
          seen(r.last);
          break;
        }
        case 'move_pages': {
          // (MPOL_MF_MOVE_ALL moves pages mapped more than once too; it needs CAP_SYS_NICE, which a run as root has)
          // (not of hugetlb memory, whose move_pages the model does not carry out)
          const pages = x.at.map((a) => ({ ...a, off: 0 })).filter((a) => !HUGETLB_BACKINGS.includes(maps[a.m % maps.length]!.backing));
          if (!pages.length) break;
          op(out, 'move_pages', flow({ pages: pages.map((a) => addr(a)), flags: x.all ? ['move_all'] : undefined }));
          for (const a of pages) seen(a);
          break;
        }
        case 'access': {
          const a = uffd ? (x.last ? range(uffd.r).last : range(uffd.r).first) : { m: 0, page: 0, off: 0 };
          const at = { ...a, off: 24 };
          if (x.write) op(out, 'write', flow({ addr: addr(at, true), value: hex(x.value) }));
          else op(out, 'read', flow({ addr: addr(at, true), len: 8, as: `b${++bufs}` }));
          seen(at);
          if (x.write && !child && mems.size < 6) mems.set(addr(at, true), addr(at, true));
          break;
        }
        case 'poll':
          // (the child polls its own copy of the descriptor)
          if (!uffd) break;
          op(out, 'poll_uffd', 'uffd');
          break;
        case 'continue': {
          if (!uffd || child) break;
          const r = range(x.reg ? { at: uffd.r.at, pages: x.reg === 'first' ? (HUGETLB_BACKINGS.includes(maps[uffd.r.at.m % maps.length]!.backing) ? 512 : 1) : uffd.r.pages } : x.r);
          op(out, 'uffdio_continue', flow({ uffd: 'uffd', addr: r.addr, len: r.len, mode: x.mode ? [x.mode] : undefined }));
          seen(r.first);
          seen(r.last);
          break;
        }
        case 'poison': {
          if (!uffd || child) break;
          const r = range(x.r);
          op(out, 'uffdio_poison', flow({ uffd: 'uffd', addr: r.addr, len: r.len, mode: x.mode ? [x.mode] : undefined }));
          seen(r.first);
          seen(r.last);
          break;
        }
        case 'move': {
          if (!uffd || child) break;
          const dst = range({ at: x.dst, pages: x.pages }), src = range({ at: x.src, pages: x.pages });
          // the shorter of the two ranges, both inside their mappings
          const len = Math.min(Number(dst.len), Number(src.len));
          op(out, 'uffdio_move', flow({ uffd: 'uffd', dst: dst.addr, src: src.addr, len: hex(len), mode: x.mode.length ? x.mode : undefined }));
          seen(dst.first);
          seen(src.first);
          break;
        }
        default: {
          if (!uffd || child) break;
          if (x.op === 'copy' || x.op === 'zeropage') {
            const a = { ...x.at, off: 0 };
            if (x.op === 'copy') op(out, 'uffdio_copy', flow({ uffd: 'uffd', dst: addr(a), src: 'src', len: '4K', mode: x.mode ? [x.mode] : undefined }));
            else op(out, 'uffdio_zeropage', flow({ uffd: 'uffd', addr: addr(a), len: '4K' }));
            seen(a);
            break;
          }
          const r = range(x.r);
          if (x.op === 'register') op(out, 'uffdio_register', flow({ uffd: 'uffd', addr: r.addr, len: r.len, mode: x.mode }));
          else if (x.op === 'unregister') op(out, 'uffdio_unregister', flow({ uffd: 'uffd', addr: r.addr, len: r.len }));
          else if (x.op === 'wake') op(out, 'uffdio_wake', flow({ uffd: 'uffd', addr: r.addr, len: r.len }));
          else if (x.op === 'writeprotect') {
            op(out, 'uffdio_writeprotect', flow({ uffd: 'uffd', addr: r.addr, len: r.len, mode: x.mode === 'wp' ? ['wp'] : x.mode === 'dontwake' ? ['dontwake'] : [] }));
          } else if (x.op === 'scan') {
            const cats = (bits: number) => SCAN_CATEGORIES.filter((_, i) => bits & (1 << i));
            op(out, 'pagemap_scan', flow({
              addr: r.addr, len: r.len, flags: x.wp ? ['wp_matching', 'check_wpasync'] : undefined,
              category_mask: x.mask ? cats(x.mask) : x.wp ? ['written'] : undefined, category_anyof: x.anyof ? cats(x.anyof) : undefined,
              return_mask: cats(x.ret), max_pages: x.max || undefined,
            }));
          }
          seen(r.first);
          seen(r.last);
        }
      }
    }
    return out;
  };
  // a case with EVENT_FORK forks in the worker (the first fork of its operations, or one inserted)
  const mainOps = forkEvent && !c.ops.some((x) => x.op === 'fork')
    ? [...c.ops.slice(0, forkEvent.at % (c.ops.length + 1)), { op: 'fork' as const }, ...c.ops.slice(forkEvent.at % (c.ops.length + 1))] : c.ops;
  const main = thread(mainOps, false);
  const handler: string[] = [];
  /** the operations that resolve message `msg` of uffd `ufd` as `res` says */
  const resolve = (res: Resolve, ufd: string, msg: string) => {
    if (res === 'unprotect') op(handler, 'uffdio_writeprotect', flow({ uffd: ufd, addr: `${msg}.address`, len: '4K', mode: [] }));
    else if (res === 'unprotect_all') op(handler, 'uffdio_writeprotect', flow({ uffd: ufd, addr: 'm0', len: hex(npages(0) * PAGE), mode: [] }));
    else if (res === 'copy') op(handler, 'uffdio_copy', flow({ uffd: ufd, dst: `${msg}.address`, src: 'src', len: '4K' }));
    else if (res === 'zeropage') op(handler, 'uffdio_zeropage', flow({ uffd: ufd, addr: `${msg}.address`, len: '4K' }));
    else if (res === 'wake') op(handler, 'uffdio_wake', flow({ uffd: ufd, addr: `${msg}.address`, len: '4K' }));
    else if (res === 'continue' || res === 'pwrite_continue') {
      // the registered mapping's page cache at the fault: a huge page of a hugetlb mapping, else the page
      const huge = HUGETLB_BACKINGS.includes(maps[uffd!.r.at.m % maps.length]!.backing);
      const fd = fileOf(uffd!.r.at.m);
      // (the mapping maps its file from offset 0; hugetlbfs has no write(2))
      if (res === 'pwrite_continue' && fd && !huge) op(handler, 'pwrite', flow({ fd, offset: `${msg}.address - ${mname(uffd!.r.at.m)}`, len: 8, value: 0x77 }));
      op(handler, 'uffdio_continue', flow({ uffd: ufd, addr: huge ? `${msg}.address & ~0x1fffff` : `${msg}.address`, len: huge ? '2M' : '4K' }));
    } else {
      op(handler, 'uffdio_writeprotect', flow({ uffd: ufd, addr: `${msg}.address`, len: '4K', mode: ['dontwake'] }));
      op(handler, 'uffdio_wake', flow({ uffd: ufd, addr: `${msg}.address`, len: '4K' }));
    }
  };
  if (twoThreads) {
    c.handler!.forEach((res, i) => {
      const msg = `msg${i + 1}`;
      // (with EVENT_FORK every read may be the one that takes the FORK message: each names the child's uffd)
      const cu = forkEvent ? `cu${i + 1}` : undefined;
      op(handler, 'read_uffd', flow({ uffd: 'uffd', as: msg, fork_uffd: cu }));
      resolve(res, 'uffd', msg);
      const act = forkEvent?.child[i];
      if (!cu || !act || act.act === 'none') return;
      if (act.act === 'serve') {
        // a message of the child's uffd: a fault of the child's thread, or an event of the child's
        op(handler, 'read_uffd', flow({ uffd: cu, as: `c${msg}` }));
        resolve(res, cu, `c${msg}`);
      } else if (act.act === 'poll') op(handler, 'poll_uffd', cu);
      else if (act.act === 'close') op(handler, 'close', flow({ uffd: cu }));
      else {
        const r = range(act.r);
        if (act.act === 'copy') op(handler, 'uffdio_copy', flow({ uffd: cu, dst: r.addr, src: 'src', len: '4K' }));
        else if (act.act === 'zeropage') op(handler, 'uffdio_zeropage', flow({ uffd: cu, addr: r.addr, len: '4K' }));
        else if (act.act === 'wake') op(handler, 'uffdio_wake', flow({ uffd: cu, addr: r.addr, len: r.len }));
        else if (act.act === 'unregister') op(handler, 'uffdio_unregister', flow({ uffd: cu, addr: r.addr, len: r.len }));
        else if (act.act === 'register') op(handler, 'uffdio_register', flow({ uffd: cu, addr: r.addr, len: r.len, mode: act.mode }));
        else op(handler, 'uffdio_writeprotect', flow({ uffd: cu, addr: r.addr, len: r.len, mode: act.act === 'wp' ? ['wp'] : [] }));
        const key = `${r.first.m % maps.length}:${pageOf(r.first)}`;
        if (!kidObserved.has(key) && kidObserved.size < 4) kidObserved.set(key, { ...r.first, page: pageOf(r.first), off: 0 });
      }
    });
  }
  const kid = forked ? thread(c.kid, true) : [];
  // the child exits at the end of its thread (a process that holds pins or pipes may not: the loader refuses it)
  if (forked && c.kidExit && !kid.some((s) => /^(pin|vmsplice):/.test(s))) op(kid, 'exit', '0');
  // every mapping's first page, and the pages on both sides of a THP boundary
  maps.forEach((m, i) => {
    observe({ m: i, page: 0, off: 0 });
    if (m.pages > 512) {
      observe({ m: i, page: 511, off: 0 });
      observe({ m: i, page: 512, off: 0 });
    }
  });

  const L: string[] = [];
  for (const line of o.comment ?? []) L.push(`# ${line}`.trimEnd());
  L.push(`name: ${o.name}`);
  L.push(`kernel: ${o.kernel}`);
  // hugetlb mappings take their pages from a pool: one per 2 MiB mapped, and as many again for COW copies after a fork
  const hugePages = maps.reduce((n, m) => n + (HUGETLB_BACKINGS.includes(m.backing) ? m.pages / 512 : 0), 0);
  const config = { ...(o.config ?? {}) };
  if (hugePages && config.nr_hugepages === undefined) config.nr_hugepages = String(2 * hugePages);
  const cfg = Object.entries(config);
  if (cfg.length) L.push(`config: { ${cfg.map(([k, v]) => `${k}: ${v}`).join(', ')} }`);
  L.push('observe:');
  L.push(`  pages: [${[...observed.values()].map((a) => addr(a)).join(', ')}]`);
  L.push('setup:');
  for (const s of setup) L.push(`  - ${s}`);
  L.push('threads:');
  const w = twoThreads ? 'w' : 't';
  L.push(`  ${w}:`);
  if (main.length === 0) {
    op(main, 'checkpoint', `c${++checkpoints}`);
  }
  for (const s of main) L.push(`    - ${s}`);
  if (twoThreads) {
    L.push('  h:');
    for (const s of handler) L.push(`    - ${s}`);
  }
  if (kid.length) {
    L.push('  kid:');
    L.push('    process: child');
    L.push('    ops:');
    for (const s of kid) L.push(`      - ${s}`);
  }
  const expect = [
    // observation only: each of these holds whatever the value, and makes the snapshots report it
    ...[...kidObserved.values()].map((a) => `{ process: child, pagemap: ${addr(a)} }`),
    ...[...mems.values()].map((a) => `{ any: [{ mem: ${a}, size: 8, value: 0 }, { not: { mem: ${a}, size: 8, value: 0 } }] }`),
    ...(o.expect ?? []),
  ];
  if (expect.length) {
    L.push('expect:');
    for (const e of expect) L.push(`  - ${e}`);
  }
  return { yaml: L.join('\n') + '\n', ops: nops };
}

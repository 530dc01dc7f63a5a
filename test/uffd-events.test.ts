// Non-cooperative userfaultfd events (fs/userfaultfd.c @v4.19..v6.18): FORK, REMOVE and UNMAP, the
// blocking of the thread that causes them, mmap_changing, and what a release does to their waiters.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { expectationPasses } from '../src/scenario/outcome.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { loadScenario } from '../src/scenario/load.js';
import { Machine } from '../src/sched/machine.js';
import { missingCapability } from '../src/host/requirements.js';
import { userfaultfd_release } from '../src/kernel/fs/userfaultfd.js';
import { VM_UFFD_WP } from '../src/kernel/include/vm_flags.js';
import { run, errno, result, thread, pagemapBit, kernel, events } from './helpers.js';

const KERNELS = ['v4.19', 'v5.7', 'v6.1', 'v6.6', 'v6.12', 'v6.18'];

const REMOVE = `
name: remove
observe: { pages: [m, m + 0x2000], mappings: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - madvise: { addr: m, len: 64K, advice: nohugepage }
  - memset: { addr: m, len: 64K, value: 1 }
  - mmap: { as: src, len: 4K }
  - userfaultfd: { as: u, features: [event_remove], flags: [] }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
  - uffdio_register: { uffd: u, addr: m + 0x8000, len: 16K, mode: [missing] }
threads:
  worker:
    - madvise: { addr: m, len: 48K, advice: dontneed, id: dn }
  handler:
    - uffdio_zeropage: { uffd: u, addr: m + 0x2000, len: 4K, id: during }
    - checkpoint: before_read
    - read_uffd: { uffd: u, as: r1 }
    - checkpoint: after_first
    - read_uffd: { uffd: u, as: r2 }
`;

describe('UFFD_EVENT_REMOVE', () => {
  it('blocks MADV_DONTNEED before each registered VMA is zapped, one event per VMA, on every release', () => {
    for (const k of KERNELS) {
      const r = run(REMOVE, resolveKernel(k));
      const m = r.observation.mappings['m']!;
      const base = BigInt(m.addr);
      expect(result(r, 'handler#3'), k).toBe(`event=0x15 flags=0x${base.toString(16)} address=0x${(base + 0x4000n).toString(16)}`);
      expect(result(r, 'handler#5'), k).toBe(`event=0x15 flags=0x${(base + 0x8000n).toString(16)} address=0x${(base + 0xc000n).toString(16)}`);
      // nothing is zapped until the first event is read
      expect(pagemapBit(r, 'm', 63, 'before_read'), k).toBe(1);
      // mmap_changing while an event is under way
      expect(errno(r, 'during'), k).toBe('EAGAIN');
      expect(errno(r, 'dn'), k).toBe(null);
      expect(pagemapBit(r, 'm', 63), k).toBe(0);
      expect(thread(r, 'worker').state, k).toBe('done');
    }
  });

  it('is not sent without the feature', () => {
    const r = run(REMOVE.replace('features: [event_remove]', 'features: []'), resolveKernel('v6.18'));
    // the worker zapped without waiting: the handler's ZEROPAGE fills the hole, its read finds nothing
    expect(errno(r, 'during')).toBe(null);
    expect(thread(r, 'handler').state).toBe('blocked');
  });

  it('is sent for MADV_FREE too (madvise_dontneed_free, v4.13), as for MADV_DONTNEED, on every release', () => {
    for (const k of KERNELS) {
      const f = run(REMOVE.replace('advice: dontneed', 'advice: free'), resolveKernel(k));
      expect(errno(f, 'dn'), k).toBe(null);
      expect(errno(f, 'during'), k).toBe('EAGAIN');
      expect(f.observation.msgs['r1']?.event, k).toBe(0x15);
      expect(f.observation.msgs['r2']?.event, k).toBe(0x15);
      expect(thread(f, 'worker').state, k).toBe('done');
    }
  });
});

/** 64 KiB, three VMAs registered with two uffds that have EVENT_UNMAP (u twice, v once) */
const TWO_UFFDS = `
  - mmap: { as: m, len: 64K }
  - userfaultfd: { as: u, features: [event_unmap], flags: [] }
  - userfaultfd: { as: v, features: [event_unmap], flags: [] }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
  - uffdio_register: { uffd: u, addr: m + 0x8000, len: 8K, mode: [missing] }
  - uffdio_register: { uffd: v, addr: m + 0xc000, len: 16K, mode: [missing] }`;

const UNMAP = `
name: unmap
observe: { pages: [m], mappings: [m] }
setup:${TWO_UFFDS}
threads:
  worker:
    - munmap: { addr: m, len: 64K, id: un }
  h1:
    - checkpoint: unmapped
    - read_uffd: { uffd: u, as: a }
    - read_uffd: { uffd: v, as: b }
`;

describe('UFFD_EVENT_UNMAP', () => {
  it('unmaps first, then sends one event per uffd for the whole range, in turn', () => {
    for (const k of KERNELS) {
      const r = run(UNMAP, resolveKernel(k));
      expect(r.observation.snapshots['unmapped']!.vma_count, k).toBe(0);
      const base = BigInt(r.observation.mappings['m']!.addr);
      const want = `flags=0x${base.toString(16)} address=0x${(base + 0x10000n).toString(16)}`;
      expect(result(r, 'h1#2'), k).toBe(`event=0x16 ${want}`);
      expect(result(r, 'h1#3'), k).toBe(`event=0x16 ${want}`);
      expect(thread(r, 'worker').state, k).toBe('done');
    }
  });
});

const MMAP_FIXED = `
name: mmap-fixed
observe: { pages: [m, m + 0x4000], mappings: [m, fresh] }
setup:${TWO_UFFDS}
  - mmap: { as: src, len: 4K }
threads:
  worker:
    - mmap: { addr: m + 0x2000, len: 48K, flags: [private, anonymous, fixed], as: fresh, id: fx }
  h1:
    - checkpoint: mapped
    - uffdio_copy: { uffd: u, dst: m, src: src, len: 4K, id: during }
    - read_uffd: { uffd: u, as: a }
    - read_uffd: { uffd: v, as: b }
`;

describe('UFFD_EVENT_UNMAP of mmap(MAP_FIXED)', () => {
  it('maps first, then sends one event per uffd for the whole new range, and returns once they are read, on every release', () => {
    for (const k of KERNELS) {
      const r = run(MMAP_FIXED, resolveKernel(k));
      // the new mapping is in place before the first event is read: what is left of the two registered
      // ends, the new one between them, and src
      expect(r.observation.snapshots['mapped']!.vma_count, k).toBe(4);
      const base = BigInt(r.observation.mappings['m']!.addr);
      const want = `flags=0x${(base + 0x2000n).toString(16)} address=0x${(base + 0xe000n).toString(16)}`;
      expect(result(r, 'h1#3'), k).toBe(`event=0x16 ${want}`);
      expect(result(r, 'h1#4'), k).toBe(`event=0x16 ${want}`);
      expect(errno(r, 'during'), k).toBe('EAGAIN');
      expect(result(r, 'fx'), k).toBe(`0x${(base + 0x2000n).toString(16)}`);
      expect(BigInt(r.observation.mappings['fresh']!.addr), k).toBe(base + 0x2000n);
      expect(thread(r, 'worker').state, k).toBe('done');
    }
  });

  it('is not sent without the feature, nor by an mmap that replaces no registered VMA', () => {
    const r = run(MMAP_FIXED.replace(/features: \[event_unmap\]/g, 'features: []'), resolveKernel('v6.18'));
    expect(errno(r, 'during')).toBe(null);
    expect(thread(r, 'worker').state).toBe('done');
    // (the handler's read sleeps: no message comes)
    expect(thread(r, 'h1').state).toBe('blocked');
    expect(r.observation.msgs['a']).toBeUndefined();
    const s = run(MMAP_FIXED.replace('addr: m + 0x2000, len: 48K', 'addr: m + 0x5000, len: 8K'), resolveKernel('v6.18'));
    expect(errno(s, 'during')).toBe(null);
    expect(thread(s, 'worker').state).toBe('done');
    expect(thread(s, 'h1').state).toBe('blocked');
  });
});

describe('the UNMAP events of one call, to several uffds', () => {
  it('go out in the order of the VMAs (the unmap list), not of the contexts\' ids, for munmap and mmap(MAP_FIXED)', () => {
    const r = run(readFileSync('scenarios/differential/event-unmap-vma-order.yaml', 'utf8'), resolveKernel('v6.18'));
    expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
    const sent = events(r, 'uffd_event').map((e) => e.uffd);
    expect(sent).toEqual(['c', 'b', 'a', 'c', 'b', 'a']);
  });
});

describe('a MAP_FIXED hugetlb mmap whose reservation fails', () => {
  it('has unmapped what it replaces first: the UNMAP event, then ENOMEM, a hole, the old page back in the pool, on every release', () => {
    const sc = readFileSync('scenarios/differential/event-unmap-mmap-fixed-hugetlb-enomem.yaml', 'utf8');
    for (const k of KERNELS) {
      const r = run(sc, resolveKernel(k, [], ['nr_hugepages=1']));
      expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`), k).toEqual([]);
    }
  });
});

const FORK = `
name: fork-event
observe: { pages: [m], mappings: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - madvise: { addr: m, len: 64K, advice: nohugepage }
  - write: { addr: m }
  - userfaultfd: { as: u, features: [event_fork], flags: [] }
  - uffdio_register: { uffd: u, addr: m, len: 64K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp] }
threads:
  parent:
    - fork: { as: child, id: fk }
  handler:
    - poll_uffd: { uffd: u, id: poll }
    - read_uffd: { uffd: u, as: f, fork_uffd: cu }
    - read_uffd: { uffd: cu, as: cw }
    - uffdio_writeprotect: { uffd: cu, addr: m, len: 4K, mode: [] }
  cthread:
    process: child
    ops:
      - write: { addr: m, value: 2 }
`;

describe('UFFD_EVENT_FORK', () => {
  it('holds fork() until the event is read; the child keeps its registration and uffd-wp bits under a new uffd', () => {
    for (const k of ['v5.7', 'v6.1', 'v6.6', 'v6.12', 'v6.18']) {
      const r = run(FORK, resolveKernel(k));
      expect(result(r, 'poll'), k).toBe('0x8'); // a blocking uffd: POLLERR
      expect(result(r, 'handler#2'), k).toBe('event=0x13 flags=0x0 address=0x0');
      expect(errno(r, 'fk'), k).toBe(null);
      // the child's write is a WP fault on the child's uffd, resolved by the handler
      expect(result(r, 'handler#3'), k).toMatch(/^event=0x12 flags=0x3 /);
      expect(thread(r, 'cthread').state, k).toBe('done');
      expect(thread(r, 'parent').state, k).toBe('done');
      // the parent's page stays protected (pagemap reports the bit from fb8e37f35a2f, v5.14)
      if (k !== 'v5.7') expect(pagemapBit(r, 'm', 57), k).toBe(1);
    }
  });

  it('without the feature the child is not registered and fork() does not wait', () => {
    const r = run(FORK.replace('features: [event_fork]', 'features: []'), resolveKernel('v6.18'));
    expect(errno(r, 'fk')).toBe(null);
    expect(thread(r, 'cthread').state).toBe('done');
    expect(thread(r, 'handler').state).toBe('blocked');
  });

  it('a close of the parent uffd does not release it: the child, not running yet, holds a copy of the fd, and fork() waits on', () => {
    const yaml = FORK.replace(`  handler:
    - poll_uffd: { uffd: u, id: poll }
    - read_uffd: { uffd: u, as: f, fork_uffd: cu }
    - read_uffd: { uffd: cu, as: cw }
    - uffdio_writeprotect: { uffd: cu, addr: m, len: 4K, mode: [] }`, `  handler:
    - close: { uffd: u, id: cl }`);
    const r = run(yaml, resolveKernel('v6.18'));
    expect(errno(r, 'cl')).toBe(null);
    expect(thread(r, 'parent').state).toBe('blocked');
    expect(thread(r, 'cthread').state).toBe('unborn');
    expect(r.observation.deadlock).toBe(true);
  });

  it('a release while the event waits lets fork() return, the child unregistered (userfaultfd_release_new)', () => {
    // the release of the last reference, as when the child's copy is gone too: released by hand here
    const sc = loadScenario('inline.yaml', FORK);
    const m = new Machine(sc, resolveKernel('v6.18'));
    m.runSetup();
    expect(m.stepThread(m.threads[0]!)).toBe('blocked');
    const u = m.k.uffds[0]!;
    userfaultfd_release(m.k, u);
    expect(m.runnable(m.threads[0]!)).toBe(true);
    expect(m.stepThread(m.threads[0]!)).toBe('ended');
    const child = m.k.mms[1]!;
    expect(child.vmas.every((v) => v.uffd === null && (v.vm_flags & VM_UFFD_WP) === 0)).toBe(true);
    expect(u.mmap_changing).toBe(0);
    expect(u.events.length).toBe(0);
  });

  it('needs CAP_SYS_PTRACE from v5.5 (3c1c24d91ffd), as before', () => {
    const yaml = `
name: fork-cap
setup:
  - setuid: 65534
  - userfaultfd: { as: u, flags: [user_mode_only], features: [event_fork], id: mk }
`;
    expect(errno(run(yaml, kernel('v6.18', {}, ['unprivileged_userfaultfd=y'])), 'mk')).toBe('EPERM');
  });

  it('runs on the host executor (its controller forks while the thread waits), except where the executor cannot schedule the wait', () => {
    const caps = { uffd_features: '0x1ffff', uffd_syscall: true, pfn: true, kpageflags: true } as unknown as Parameters<typeof missingCapability>[1];
    const need = (yaml: string) => missingCapability(loadScenario('inline.yaml', yaml), caps, resolveKernel('v6.18'));
    expect(need(FORK)).toBeNull();
    // a fork in the setup: nothing can read its event before the setup ends
    expect(need(FORK.replace('threads:', '  - fork: { as: early, id: early }\nthreads:'))).toMatch(/fork in the setup with UFFD_FEATURE_EVENT_FORK/);
    // forks in two threads of one process: one controller forks for both
    expect(need(FORK.replace('  handler:\n', '  other:\n    - fork: { as: child2 }\n  handler:\n'))).toMatch(/threads parent and other of process main both fork/);
    // a forked process's fork: the scheduler cannot settle that process's memory while the fork waits
    expect(need(FORK.replace('      - write: { addr: m, value: 2 }', '      - write: { addr: m, value: 2 }\n      - fork: { as: grandchild, id: gfk }'))).toMatch(/operation gfk forks process child with UFFD_FEATURE_EVENT_FORK/);
    // without the feature a fork anywhere runs
    expect(need(FORK.replace('features: [event_fork]', 'features: []').replace('threads:', '  - fork: { as: early }\nthreads:'))).toBeNull();
  });

  it('the machine keeps the forking thread blocked and the child unborn until the read', () => {
    const sc = loadScenario('inline.yaml', FORK);
    const m = new Machine(sc, resolveKernel('v6.18'));
    m.runSetup();
    expect(m.stepThread(m.threads[0]!)).toBe('blocked');
    expect(m.threads[2]!.status).toBe('unborn');
    expect(m.runnable(m.threads[0]!)).toBe(false);
  });
});

const MADV_REMOVE_EVENT = `
name: madv-remove-event
observe: { pages: [m, m + 0x1000], mappings: [m] }
setup:
  - mmap: { as: m, len: 16K, flags: [shared, anonymous] }
  - memset: { addr: m, len: 16K, value: 7 }
  - mmap: { as: p, len: 16K }
  - userfaultfd: { as: u, features: [event_remove], flags: [] }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
  - uffdio_register: { uffd: u, addr: p, len: 16K, mode: [missing] }
threads:
  worker:
    - madvise: { addr: m, len: 8K, advice: remove, id: rm }
    - madvise: { addr: p, len: 4K, advice: remove, id: rmp }
  handler:
    - checkpoint: before_read
    - read_uffd: { uffd: u, as: ev }
`;

describe('UFFD_EVENT_REMOVE of MADV_REMOVE (madvise_remove: userfaultfd_remove between its checks and the hole)', () => {
  it('waits for the event before punching, and a private anonymous mapping fails its checks (EINVAL) without one, on every release', () => {
    for (const k of KERNELS) {
      const r = run(MADV_REMOVE_EVENT, resolveKernel(k));
      // before the read: the worker waits, the pages are still there
      expect(pagemapBit(r, 'm', 63, 'before_read'), k).toBe(1);
      expect(r.observation.msgs['ev']?.event, k).toBe(0x15);
      expect(errno(r, 'rm'), k).toBeNull();
      expect(errno(r, 'rmp'), k).toBe('EINVAL');
      expect(pagemapBit(r, 'm', 63), k).toBe(0);
      expect(pagemapBit(r, 'm + 0x1000', 63), k).toBe(0);
      expect(thread(r, 'worker').state, k).toBe('done');
    }
  });
});

const WAITER_FIRST = `
name: waiter-first
observe: { pages: [m], mappings: [m] }
setup:
  - mmap: { as: m, len: 16K }
  - memset: { addr: m, len: 16K, value: 1 }
  - userfaultfd: { as: u, features: [event_unmap], flags: [] }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 16K, mode: [wp] }
threads:
  worker:
    - munmap: { addr: m + 0x2000, len: 8K, id: unmap }
  handler:
    - read_uffd: { uffd: u, as: ev }
    - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [], id: unprotect }
`;

describe('the default schedule after a read that takes an event', () => {
  it('gives the thread the read let go its step at once, then the reader goes on (no EAGAIN from mmap_changing)', () => {
    const r = run(WAITER_FIRST, resolveKernel('v6.18'));
    expect(r.observation.schedule).toBe('worker handler worker handler');
    expect(errno(r, 'unprotect')).toBeNull();
    // an explicit schedule can still put the reader's ioctl first: then mmap_changing is still raised
    const s = run(WAITER_FIRST, resolveKernel('v6.18'), 'worker handler handler worker');
    expect(errno(s, 'unprotect')).toBe('EAGAIN');
  });
});

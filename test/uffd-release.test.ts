// close(2) of a uffd and the release of its last reference (fs/userfaultfd.c userfaultfd_release): what
// it does to the registrations, the uffd-wp bits and the waiting faults, per release; and
// handle_userfault on a context being released (fe4cdc2c4e24).
import { describe, expect, it } from 'vitest';
import { PATCH } from '../src/profiles/patches.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { loadScenario } from '../src/scenario/load.js';
import { Machine } from '../src/sched/machine.js';
import { releasedFault } from './scenarios.js';
import {
  FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_USER, FAULT_FLAG_WRITE, VM_FAULT_NOPAGE, VM_FAULT_RETRY, VM_FAULT_SIGBUS,
} from '../src/kernel/include/fault.js';
import { ScenarioError } from '../src/scenario/load.js';
import { kernel, run, pagemapBit, errno, thread, pte } from './helpers.js';

const CLOSE_WP = `
name: close-wp
observe: { pages: [m, m + 0x4000, m + 0x8000], mappings: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - madvise: { addr: m, len: 64K, advice: nohugepage }
  - write: { addr: m }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [wp] }
  - uffdio_register: { uffd: u, addr: m + 0x8000, len: 16K, mode: [missing] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp] }
  - checkpoint: protected
  - close: { uffd: u, id: close }
  - checkpoint: closed
  - uffdio_wake: { uffd: u, addr: m, len: 4K, id: after }
  - close: { uffd: u, id: again }
  - write: { addr: m + 0x8000, value: 2 }
`;

describe('close of a uffd', () => {
  it('unregisters every VMA of the context and merges them back (4.19 to 6.18)', () => {
    for (const k of ['v4.19-uffd-wp-2018', 'v5.7', 'v6.1', 'v6.6', 'v6.12', 'v6.18']) {
      const r = run(CLOSE_WP, resolveKernel(k));
      expect(r.observation.snapshots['protected']!.vma_count, k).toBe(4);
      expect(r.observation.snapshots['closed']!.vma_count, k).toBe(1);
      expect(errno(r, 'close'), k).toBe(null);
      // the fd is gone: the next ioctl and a second close see EBADF
      expect(errno(r, 'after'), k).toBe('EBADF');
      expect(errno(r, 'again'), k).toBe('EBADF');
      // a write into the formerly MISSING range is an ordinary fault (setup would have blocked otherwise)
      expect(pagemapBit(r, 'm + 0x8000', 63), k).toBe(1);
    }
  });

  it('leaves the uffd-wp bits before c88033efe9a3 (v6.9), clears them from it', () => {
    const bit = (k: string) => pagemapBit(run(CLOSE_WP, resolveKernel(k)), 'm', 57, 'closed');
    expect(bit('v6.1')).toBe(1);
    expect(bit('v6.6')).toBe(1);
    expect(bit('v6.12')).toBe(1 - 1);
    expect(bit('v6.18')).toBe(0);
    expect(bit('v6.6+uffd-release-resets-wp')).toBe(0);
    // the PTE left behind keeps _PAGE_UFFD_WP (bit 10) without VM_UFFD_WP; 6.12 makes it writable again
    expect(pte(run(CLOSE_WP, resolveKernel('v6.6')), 'm', 'closed')).toMatch(/^0x84000000000004|^0x8400000000000c/);
    expect(pte(run(CLOSE_WP, resolveKernel('v6.12')), 'm', 'closed')).toBe('0x8000000000000867');
  });

  it('wakes a fault waiting in the range; its retry is an ordinary fault, counted as after UFFDIO_UNREGISTER', () => {
    const yaml = `
name: close-wakes
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - madvise: { addr: m, len: 64K, advice: nohugepage }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 64K, mode: [missing] }
threads:
  faulter:
    - write: { addr: m, value: 7, id: w }
  closer:
    - read_uffd: { uffd: u, as: msg }
    - close: { uffd: u, id: close }
    - read: { addr: m, len: 1, as: back }
expect:
  - { thread: faulter, state: done }
  - { msg: msg, flags: 0x1, address: m }
`;
    for (const k of ['v4.19', 'v5.7', 'v6.1', 'v6.18']) {
      const r = run(yaml, resolveKernel(k));
      expect(r.expectations.every((e) => e.ok), k).toBe(true);
      expect(thread(r, 'faulter').state, k).toBe('done');
      // the woken fault is retried as after UFFDIO_UNREGISTER, which wakes a MISSING range too: the
      // same counts (a major fault from the sleep or the retry, per release)
      const u = run(yaml.replace("- close: { uffd: u, id: close }", "- uffdio_unregister: { uffd: u, addr: m, len: 64K }"), resolveKernel(k));
      const t = thread(r, 'faulter'), tu = thread(u, 'faulter');
      expect([t.minflt, t.majflt], k).toEqual([tu.minflt, tu.majflt]);
      expect(t.minflt + t.majflt, k).toBeGreaterThan(0);
      expect(pagemapBit(r, 'm', 63), k).toBe(1);
    }
  });

  it('does not release while a forked child still has the file', () => {
    const yaml = `
name: close-after-fork
observe: { pages: [m], mappings: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - write: { addr: m }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp] }
  - fork: { as: child }
  - close: { uffd: u, id: parent_close }
  - checkpoint: parent_closed
threads:
  c:
    process: child
    ops:
      - close: { uffd: u, id: child_close }
      - checkpoint: both_closed
`;
    const r = run(yaml, resolveKernel('v6.18'));
    expect(errno(r, 'parent_close')).toBe(null);
    expect(errno(r, 'child_close')).toBe(null);
    expect(r.observation.snapshots['parent_closed']!.vma_count).toBe(2);
    expect(pagemapBit(r, 'm', 57, 'parent_closed')).toBe(1);
    expect(r.observation.snapshots['both_closed']!.vma_count).toBe(1);
    expect(pagemapBit(r, 'm', 57, 'both_closed')).toBe(0);
  });

  it('a close while another thread is blocked in read(2) on the file removes the descriptor only (the read holds the file)', () => {
    const yaml = `
name: close-under-read
setup:
  - userfaultfd: { as: u, flags: [] }
threads:
  reader:
    - read_uffd: { uffd: u }
  closer:
    - close: u
`;
    const sc = loadScenario('inline.yaml', yaml);
    const m = new Machine(sc, resolveKernel('v6.18'));
    m.runSetup();
    expect(m.stepThread(m.threads[0]!)).toBe('blocked');
    expect(m.stepThread(m.threads[1]!)).toBe('ended');
    const ctx = m.k.uffds[0]!;
    expect([ctx.files, ctx.released, ctx.closedInRead]).toEqual([0, false, true]);
    expect(m.runnable(m.threads[0]!)).toBe(false);
  });
});

describe('handle_userfault on a context being released (the window before the mmap write lock)', () => {
  const user = FAULT_FLAG_USER | FAULT_FLAG_WRITE;
  it('returns NOPAGE before fe4cdc2c4e24, even without ALLOW_RETRY', () => {
    const k = kernel('v6.18', { remove: [PATCH.uffdReleaseRetry] });
    expect(releasedFault(k, user | FAULT_FLAG_ALLOW_RETRY)).toBe(VM_FAULT_NOPAGE);
    expect(releasedFault(k, user)).toBe(VM_FAULT_NOPAGE);
    expect(releasedFault(kernel('v6.6'), user | FAULT_FLAG_ALLOW_RETRY)).toBe(VM_FAULT_NOPAGE);
  });
  it('returns RETRY from fe4cdc2c4e24 (v6.15; in 6.12.117), and SIGBUS without ALLOW_RETRY', () => {
    for (const k of [kernel('v6.18'), kernel('v6.12')]) {
      expect(releasedFault(k, user | FAULT_FLAG_ALLOW_RETRY)).toBe(VM_FAULT_RETRY);
      expect(releasedFault(k, user)).toBe(VM_FAULT_SIGBUS);
    }
  });
});

// close(2) while threads sleep in read(2) of the same uffd: each read holds the file (fdget), so the
// descriptor goes at once and the release waits for the last of those reads to return
const CLOSE_IN_READ = (readers: number, extra = '') => `
name: close-in-read
observe: { pages: [m, m + 0x1000], mappings: [m] }
setup:
  - mmap: { as: m, len: 16K }
  - userfaultfd: { as: u, flags: [cloexec] }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
  - mmap: { as: src, len: 4K }
threads:
${Array.from({ length: readers }, (_, i) => `  h${i + 1}:
    - read_uffd: { uffd: u, as: msg${i + 1} }
    - uffdio_copy: { uffd: u, dst: msg${i + 1}.address, src: src, len: 4K }
`).join('')}  main:
    - close: { uffd: u }
    - checkpoint: closed
    - write: { addr: m + 0x10, value: 5 }
${extra}`;

describe('close of a uffd while a thread sleeps in read(2) of it', () => {
  it('keeps the registration until that read returns, then releases: the fault it took retries unregistered', () => {
    for (const k of ['v4.19', 'v6.1', 'v6.12', 'v6.18']) {
      const r = run(CLOSE_IN_READ(1), resolveKernel(k));
      // closed, but still registered (one VMA of 16K, the uffd's; not merged back with anything)
      expect(errno(r, 'main#1'), k).toBe(null);
      const msg = r.observation.msgs['msg1']!;
      expect([msg.event, BigInt(msg.address)], k).toEqual([0x12, BigInt(r.observation.mappings['m']!.addr)]);
      // the handler's fd is gone: its UFFDIO_COPY is EBADF; the write went through on its own
      expect(errno(r, 'h1#2'), k).toBe('EBADF');
      expect(thread(r, 'main').state, k).toBe('done');
      expect(pagemapBit(r, 'm', 63), k).toBe(1);
      expect(r.events.some((e) => e.type === 'uffd_release'), k).toBe(true);
    }
  });

  it('while another reader still holds the file, nothing is released: the fault keeps waiting', () => {
    const r = run(CLOSE_IN_READ(2), resolveKernel('v6.18'));
    expect(errno(r, 'h1#2')).toBe('EBADF');
    expect(thread(r, 'main').state).toBe('blocked');
    expect(thread(r, 'h2').state).toBe('blocked');
    expect(pagemapBit(r, 'm', 63)).toBe(0);
    expect(r.events.some((e) => e.type === 'uffd_release')).toBe(false);
  });

  it('with no message ever, the reader sleeps on and the range stays registered: another fault waits too', () => {
    const yaml = `
name: close-in-read-idle
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 16K }
  - userfaultfd: { as: u, flags: [cloexec] }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
threads:
  h:
    - read_uffd: { uffd: u, as: msg }
  main:
    - close: { uffd: u }
    - poll_uffd: { uffd: u, id: poll }
    - close: { uffd: u, id: again }
`;
    const r = run(yaml, resolveKernel('v6.18'));
    expect(errno(r, 'poll')).toBe('EBADF');
    expect(errno(r, 'again')).toBe('EBADF');
    expect(thread(r, 'h').state).toBe('blocked');
    expect(r.events.some((e) => e.type === 'uffd_release')).toBe(false);
  });
});

// A fatal signal (a sibling thread's SIGSEGV kills every thread of the process) to threads asleep on a
// userfaultfd: a fault's waiter takes its entry off the queue (fs/userfaultfd.c handle_userfault @v6.18),
// a reader of a closed uffd drops its reference to the file (the last one releases the context), and an
// event's waiter takes its event off the queue unread and its call goes on with later events dropped. The differential scenarios
// uffd-fault-waiter-killed(-after-read) agree with this kernel.
import { describe, expect, it } from 'vitest';
import { kernel, run, errno, thread } from './helpers.js';

describe('a fatal signal to threads asleep on a uffd', () => {
  it('a fault waiter: its message leaves the pending queue (another reader gets EAGAIN), on v5.7 as on v6.18', () => {
    const yaml = `
name: k
setup:
  - mmap: { as: m, len: 4K }
  - userfaultfd: { as: u, flags: [nonblock] }
  - uffdio_register: { uffd: u, addr: m, len: 4K, mode: [missing] }
  - fork: { as: child }
threads:
  a:
    - write: { addr: m, value: 1 }
  b:
    - write: { addr: 0x10, value: 1 }
  kid:
    process: child
    ops:
      - read_uffd: { uffd: u, as: msg, id: rd }
`;
    for (const k of ['v5.7', 'v6.18']) {
      const r = run(yaml, kernel(k), 'a b kid');
      expect(thread(r, 'a').state).toBe('killed');
      expect(errno(r, 'rd'), k).toBe('EAGAIN');
      // the same read before the kill gets the message
      expect(errno(run(yaml, kernel(k), 'a kid b'), 'rd')).toBe(null);
    }
  });

  it('a reader of a closed uffd: its reference goes with it, the release wakes the other process\'s fault', () => {
    const yaml = `
name: k
setup:
  - mmap: { as: m, len: 4K }
  - userfaultfd: { as: u, flags: [cloexec] }
  - uffdio_register: { uffd: u, addr: m, len: 4K, mode: [missing] }
  - fork: { as: child }
  - close: u
threads:
  w:
    - write: { addr: m, value: 1 }
  r:
    process: child
    ops:
      - read_uffd: { uffd: u, as: msg }
  c:
    process: child
    ops:
      - close: u
      - write: { addr: 0x10, value: 1 }
`;
    // r sleeps in read(2), c closes the last fd (r holds the file), w's fault queues, and c dies of SIGSEGV
    // before r runs again: r is killed in its read, and with it the file's last reference goes
    const r = run(yaml, kernel('v6.18'), 'r c w c w');
    expect(thread(r, 'r').state).toBe('killed');
    expect(thread(r, 'c').signal).toBe('SIGSEGV');
    // released: the fault was woken and retried on an unregistered VMA
    expect(thread(r, 'w').state).toBe('done');
  });

  it('an event waiter: its event leaves the queue unread, mmap_changing drops, the call ends with later events dropped', () => {
    const yaml = (schedule: string) => `
name: k
setup:
  - mmap: { as: m, len: 12K }
  - mmap: { as: src, len: 4K }
  - userfaultfd: { as: u, flags: [nonblock], features: [event_unmap] }
  - uffdio_register: { uffd: u, addr: m, len: 12K, mode: [missing] }
  - fork: { as: child }
threads:
  a:
    - munmap: { addr: m, len: 4K }
  b:
    - write: { addr: 0x10, value: 1 }
  kid:
    process: child
    ops:
      - read_uffd: { uffd: u, as: msg, id: rd }
      - uffdio_copy: { uffd: u, dst: m + 8K, src: src, len: 4K, id: cp }
schedule: ${schedule}
`;
    // (userfaultfd_event_wait_completion @v6.1 and @v6.18: fatal_signal_pending -> __remove_wait_queue, mmap_changing--)
    const killed = run(yaml('a b kid kid'), kernel('v6.18'));
    expect(thread(killed, 'a').state).toBe('killed');
    expect(errno(killed, 'rd')).toBe('EAGAIN');
    expect(errno(killed, 'cp')).toBe(null);
    // alive, the waiter's event is read and the copy, while the munmap still waits, is EAGAIN (mmap_changing)
    const alive = run(yaml('a kid kid'), kernel('v6.18'));
    expect(errno(alive, 'rd')).toBe(null);
    expect(errno(alive, 'cp')).toBe('EAGAIN');
  });

  it('a killed munmap over two uffds: the second event is dropped at once too (the call goes on to its end)', () => {
    const yaml = `
name: k
setup:
  - mmap: { as: m, len: 8K }
  - madvise: { addr: m, len: 8K, advice: nohugepage }
  - userfaultfd: { as: u1, flags: [nonblock], features: [event_unmap] }
  - userfaultfd: { as: u2, flags: [nonblock], features: [event_unmap] }
  - uffdio_register: { uffd: u1, addr: m, len: 4K, mode: [missing] }
  - uffdio_register: { uffd: u2, addr: m + 4K, len: 4K, mode: [missing] }
  - fork: { as: child }
threads:
  a:
    - munmap: { addr: m, len: 8K }
  b:
    - write: { addr: 0x10, value: 1 }
  kid:
    process: child
    ops:
      - read_uffd: { uffd: u1, as: m1, id: r1 }
      - read_uffd: { uffd: u2, as: m2, id: r2 }
schedule: a b kid kid
`;
    const r = run(yaml, kernel('v6.18'));
    expect([errno(r, 'r1'), errno(r, 'r2')]).toEqual(['EAGAIN', 'EAGAIN']);
  });
});

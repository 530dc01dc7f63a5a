// A fatal signal (a sibling thread's SIGSEGV kills every thread of the process) to threads asleep on a
// userfaultfd: a fault's waiter takes its entry off the queue (fs/userfaultfd.c handle_userfault @v6.18),
// a reader of a closed uffd drops its reference to the file (the last one releases the context), and an
// event's waiter is a declared limit of the model (exit 2). The differential scenarios
// uffd-fault-waiter-killed(-after-read) agree with this kernel.
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../src/scenario/load.js';
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
    // r sleeps in read(2), c closes the last fd (r holds the file), w's fault queues, r takes w's message,
    // ... here instead c dies of SIGSEGV before r reads: r is killed in its read, the file's last reference goes
    const r = run(yaml, kernel('v6.18'), 'r c w c w');
    expect(thread(r, 'r').state).toBe('killed');
    expect(thread(r, 'c').signal).toBe('SIGSEGV');
    // released: the fault was woken and retried on an unregistered VMA
    expect(thread(r, 'w').state).toBe('done');
  });

  it('an event waiter: a declared limit at the operation of the thread whose signal kills the process', () => {
    const yaml = `
name: k
setup:
  - mmap: { as: m, len: 8K }
  - userfaultfd: { as: u, features: [event_unmap] }
  - uffdio_register: { uffd: u, addr: m, len: 8K, mode: [missing] }
threads:
  a:
    - munmap: { addr: m, len: 4K }
  b:
    - write: { addr: 0x10, value: 1 }
`;
    let e: unknown;
    try { run(yaml, kernel('v6.18'), 'a b'); } catch (x) { e = x; }
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as ScenarioError).field).toMatch(/^threads\.b\.0/);
    expect((e as ScenarioError).detail).toMatch(/not modelled: a fatal signal to thread a while it waits for its UFFD_EVENT to be read/);
  });
});

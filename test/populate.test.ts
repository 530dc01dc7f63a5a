// MADV_POPULATE_(READ|WRITE) through the model's GUP (src/kernel/mm/gup.ts, madvise.ts): a fault that
// reaches a userfaultfd-registered page sleeps in handle_userfault and the call resumes once woken, on
// every release that has the advice; the cases the host cannot show (older releases, the explorer, the
// livelock guard) are here, the others in scenarios/differential/populate-*.yaml.
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/load.js';
import { checkScenario } from '../src/explore/check.js';
import { kernel, run, errno, thread, pagemapBit, events } from './helpers.js';

/** two VMAs around a hole: [m, m+4K) registered MISSING, nothing at m+4K, [m+8K, m+16K) plain */
const HOLE = `
name: populate-across-hole
observe: { pages: [m, m + 0x2000, m + 0x3000] }
setup:
  - mmap: { as: m, len: 16K }
  - munmap: { addr: m + 0x1000, len: 4K }
  - userfaultfd: { as: u, flags: [cloexec] }
  - uffdio_register: { uffd: u, addr: m, len: 4K, mode: [missing] }
threads:
  populator:
    - madvise: { addr: m, len: 16K, advice: populate_write, id: pop }
  handler:
    - read_uffd: { uffd: u, as: msg }
    - uffdio_zeropage: { uffd: u, addr: msg.address, len: 4K }
`;

describe('MADV_POPULATE_* that reaches a registered page', () => {
  for (const k of ['v6.1', 'v6.6', 'v6.12', 'v6.18']) {
    it(`${k}: sleeps in handle_userfault (a WRITE message) and resumes after the handler's wake-up`, () => {
      const r = run(HOLE, kernel(k));
      const read = r.observation.ops['handler#1']!;
      expect(read.result).toMatch(/^event=0x12 flags=0x1 address=/);
      expect(thread(r, 'populator').state).toBe('done');
      expect(r.observation.schedule).toBe('populator handler*2 populator');
      expect(errno(r, 'pop')).toBe('ENOMEM');
      expect(pagemapBit(r, 'm', 63)).toBe(1);
      // the VMA after the hole: populated by the madvise VMA walk before fa9fcd8bb6e4 (v6.10), not after
      const walk = k === 'v6.1' || k === 'v6.6';
      expect(pagemapBit(r, 'm + 0x2000', 63)).toBe(walk ? 1 : 0);
      expect(pagemapBit(r, 'm + 0x3000', 63)).toBe(walk ? 1 : 0);
      // the retry of the page that slept copies the zero page: TRIED (major) from 631426ba1d45 (v6.9)
      const t = thread(r, 'populator');
      expect([t.minflt, t.majflt]).toEqual(walk ? [3, 0] : [0, 1]);
    });
  }

  it('a GUP fault is neither a user nor a remote fault: no FAULT_FLAG_USER, no FAULT_FLAG_REMOTE', () => {
    const r = run(HOLE, kernel('v6.18'));
    const f = events(r, 'handle_mm_fault').filter((e) => e.thread === 'populator');
    expect(f.length).toBeGreaterThan(1);
    for (const e of f) expect((e.flags as number) & 0xc0).toBe(0);
    // the retry after the sleep carries FAULT_FLAG_TRIED (0x20), the first attempt does not
    expect(f.map((e) => (e.flags as number) & 0x20)).toEqual([0, 0x20]);
  });

  it('the advices after a populate that slept run once it resumes (one madvise call each, in order)', () => {
    const text = HOLE.replace('len: 16K, advice: populate_write, id: pop', 'len: 4K, advice: [populate_write, dontneed], id: pop');
    const r = run(text, kernel('v6.18'));
    expect(errno(r, 'pop')).toBeNull();
    expect(thread(r, 'populator').state).toBe('done');
    // populated (the retry's COW), then zapped by MADV_DONTNEED
    expect(thread(r, 'populator').majflt).toBe(1);
    expect(pagemapBit(r, 'm', 63)).toBe(0);
  });

  it('with nobody to handle the fault the call never returns: a deadlock, the faults before it counted', () => {
    const text = `
name: populate-forever
setup:
  - mmap: { as: m, len: 16K }
  - userfaultfd: { as: u, flags: [cloexec] }
  - uffdio_register: { uffd: u, addr: m + 0x2000, len: 4K, mode: [missing] }
threads:
  t:
    - madvise: { addr: m, len: 16K, advice: populate_read, id: pop }
    - write: { addr: m, value: 1 }
`;
    for (const k of ['v6.1', 'v6.18']) {
      const r = run(text, kernel(k));
      expect(thread(r, 't').state).toBe('blocked');
      expect(thread(r, 't').minflt).toBe(2);
      expect(r.observation.deadlock).toBe(true);
      expect(r.observation.ops['pop']).toBeUndefined();
    }
  });

  it('UFFD_FEATURE_SIGBUS and UFFD_USER_MODE_ONLY: VM_FAULT_SIGBUS, the call fails with EFAULT and nothing sleeps', () => {
    for (const uffd of ['userfaultfd: { as: u, flags: [cloexec], features: [sigbus] }', 'userfaultfd: { as: u, flags: [cloexec, user_mode_only] }']) {
      const r = run(`
name: populate-sigbus
setup:
  - mmap: { as: m, len: 16K }
  - ${uffd}
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
  - madvise: { addr: m + 0x1000, len: 8K, advice: populate_read, id: pop }
`, kernel('v6.18'));
      expect(errno(r, 'pop')).toBe('EFAULT');
    }
  });

  it('a VMA GUP may not access is EINVAL: MADV_POPULATE_READ of PROT_NONE, MADV_POPULATE_WRITE of read-only memory', () => {
    for (const [prot, advice] of [['none', 'populate_read'], ['none', 'populate_write'], ['r', 'populate_write']]) {
      const r = run(`
name: populate-einval
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 16K }
  - mprotect: { addr: m + 0x1000, len: 4K, prot: ${prot} }
  - madvise: { addr: m, len: 16K, advice: ${advice}, id: pop }
`, kernel('v6.18'));
      expect(errno(r, 'pop'), `${prot} ${advice}`).toBe('EINVAL');
      // the page before the refused VMA was populated first
      expect(pagemapBit(r, 'm', 63)).toBe(1);
    }
  });

  it('a handler that only wakes, never resolves: the populate faults again and sleeps again', () => {
    const r = run(`
name: populate-wake-only
setup:
  - mmap: { as: m, len: 16K }
  - userfaultfd: { as: u, flags: [cloexec] }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
threads:
  populator:
    - madvise: { addr: m, len: 4K, advice: populate_read, id: pop }
  handler:
    - read_uffd: { uffd: u, as: a }
    - uffdio_wake: { uffd: u, addr: a.address, len: 4K }
    - read_uffd: { uffd: u, as: b }
`, kernel('v6.18'));
    expect(r.observation.ops['handler#3']!.result).toMatch(/^event=0x12 flags=0x0 address=/);
    expect(thread(r, 'populator').state).toBe('blocked');
    expect(r.observation.deadlock).toBe(true);
  });

  it('the explorer follows a populate through its sleep in every interleaving (the wait is cloned and hashed)', () => {
    const sc = loadScenario('hole.yaml', HOLE + 'expect:\n  - { thread: populator, state: done }\n');
    const r = checkScenario(sc, kernel('v6.18'), { trace: false });
    expect(r.complete).toBe(true);
    expect(r.deadlocks).toBe(0);
    expect(r.ok).toBe(true);
    expect(r.outcomes.length).toBeGreaterThanOrEqual(1);
  });
});

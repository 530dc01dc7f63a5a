// A memory operation that sleeps in a fault retries with the operands it started with: a CPU retries
// the faulting instruction at the address in its registers, whatever the scenario's variables became
// while the thread slept (here `msg`, which the handler thread reads anew in its loop).
import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../src/scenario/load.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { Machine } from '../src/sched/machine.js';
import { follow_pfn } from '../src/kernel/mm/memory.js';

const TEXT = `name: retry-operands
kernel: v6.18
setup:
  - mmap: { as: ram, len: 16K, prot: rw }
  - userfaultfd: { as: uffd }
  - uffdio_register: { uffd: uffd, addr: ram, len: 16K, mode: [missing] }
threads:
  vcpu:
    - write: { addr: ram, value: 1 }
  handler:
    loop: true
    ops:
      - read_uffd: { uffd: uffd, as: msg }
      - uffdio_zeropage: { uffd: uffd, addr: msg.address, len: 4K }
  follower:
    - write: { addr: msg.address + 4K, value: 0x5a }
`;

describe('a memory operation retried after a fault', () => {
  it('stores at the address it started with, not at its expression evaluated again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmsim-retry-'));
    try {
      const file = join(dir, 'retry.yaml');
      writeFileSync(file, TEXT);
      const m = new Machine(loadScenario(file), resolveKernel('v6.18'), { trace: false });
      m.runSetup();
      const ram = Number((m.vars.get('ram') as { addr: bigint }).addr);
      const step = (name: string) => {
        const t = m.threads.find((x) => x.name === name)!;
        expect(m.runnable(t), name).toBe(true);
        const r = m.stepThread(t);
        m.adoptThreads();
        return r;
      };
      // the vCPU faults on page 0; the handler reads that message; the follower's store to page 1
      // (msg.address + 4K) faults and sleeps
      expect(step('vcpu')).toBe('blocked');
      step('handler');
      expect(step('follower')).toBe('blocked');
      // the handler resolves page 0, then reads the follower's message (msg is page 1 now) and resolves it
      step('handler');
      step('handler');
      step('handler');
      expect(Number((m.vars.get('msg') as { msg: { address: number } }).msg.address)).toBe(ram + 4096);
      // the follower retries at page 1 (not msg.address + 4K = page 2, which would fault again)
      expect(step('follower')).toBe('ended');
      const mm = m.mainMm();
      const at = (a: number) => {
        const pfn = follow_pfn(m.k, mm, a);
        return pfn < 0 ? null : m.k.data.readByte(pfn, 0);
      };
      expect(at(ram + 4096)).toBe(0x5a);
      expect(at(ram + 8192)).toBe(null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Deadlocks: every live thread blocked. Without conditions, check asks that every schedule ends.
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { checkScenario } from '../../src/explore/check.js';
import { kernel } from './helpers.js';
import { runScenario } from '../../src/run.js';
import { formatCheck } from '../../src/explore/report.js';

const text = `
name: forgetful-handler
kernel: v6.12
setup:
  - mmap: { as: ram, len: 2M, prot: rw, align: 2M }
  - madvise: { addr: ram, len: 2M, advice: hugepage }
  - write: { addr: ram, value: 1 }
  - userfaultfd: { as: uffd, flags: [cloexec] }
  - uffdio_register: { uffd: uffd, addr: ram, len: 2M, mode: [wp] }
  - uffdio_writeprotect: { uffd: uffd, addr: ram, len: 2M, mode: [wp] }
threads:
  vcpu:
    - write: { addr: ram, value: 2 }
  handler:
    - read_uffd: { uffd: uffd, as: msg }
`;

describe('deadlock', () => {
  it('a vCPU whose fault is read but never resolved sleeps forever: a deadlock', () => {
    const r = checkScenario(loadScenario('forgetful-handler.yaml', text), kernel('v6.12'), { trace: false });
    expect(r.complete).toBe(true);
    expect(r.deadlocks).toBe(1);
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]!.kind).toBe('deadlock');
    expect(r.outcomes[0]!.key).toBe('vcpu=blocked handler=done (deadlock)');
    expect(r.outcomes[0]!.observation.deadlock).toBe(true);
    // no condition: the scenario asks for no deadlock and no livelock
    expect(r.ok).toBe(false);
    // with a schedule that replays it
    expect(r.deadlockSchedule).not.toBeNull();
    const replay = runScenario(loadScenario('forgetful-handler.yaml', text), kernel('v6.12'), { schedule: r.deadlockSchedule! });
    expect(replay.observation.deadlock).toBe(true);
    expect(formatCheck(r).join('\n')).toMatch(/Deadlock: 1 final state.*\n {2}shortest: .*replay: mmsim run forgetful-handler\.yaml -k v6\.12 --schedule /);
  });

  it('a loop thread waiting for messages when everyone else is done is idle, not deadlocked', () => {
    const looped = text.replace('  handler:\n    - read_uffd: { uffd: uffd, as: msg }', `  handler:
    loop: true
    ops:
      - read_uffd: { uffd: uffd, as: msg }
      - uffdio_writeprotect: { uffd: uffd, addr: msg.address, len: 4K, mode: [] }`);
    const r = checkScenario(loadScenario('server.yaml', looped), kernel('v6.12'), { trace: false });
    expect(r.deadlocks).toBe(0);
    expect(r.outcomes.map((o) => o.key)).toEqual(['vcpu=done handler=idle']);
    expect(r.ok).toBe(true);
  });
});

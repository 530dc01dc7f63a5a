// System-wide vmstat counters and per-thread minor-fault counts: combining kernel runs keeps each counter's
// smallest value and nothing else.
import { describe, it, expect } from 'vitest';
import { minVmstat, minMinflt } from '../../src/host/differential.js';
import type { HostRun } from '../../src/host/run.js';

function run(setup: Record<string, number>, final: Record<string, number>, vmaCount: number): HostRun & { kind: 'ok' } {
  const snap = (vmstat: Record<string, number>) => ({ pages: {}, mem: {}, smaps: {}, vma_count: vmaCount, vmstat, data: {} });
  return {
    kind: 'ok', ms: 1, timing: { setupMs: 0, runMs: 0 },
    observation: { snapshots: { setup: snap(setup), final: snap(final) } } as unknown as (HostRun & { kind: 'ok' })['observation'],
  };
}

describe('minVmstat', () => {
  it('keeps the smallest value of each counter in each snapshot, and the first run for the rest', () => {
    const a = run({ thp_fault_alloc: 2, thp_split_pmd: 0 }, { thp_fault_alloc: 3, thp_split_pmd: 1 }, 5);
    const b = run({ thp_fault_alloc: 1, thp_split_pmd: 1 }, { thp_fault_alloc: 4, thp_split_pmd: 1 }, 7);
    minVmstat(a, b);
    expect(a.observation.snapshots.setup!.vmstat).toEqual({ thp_fault_alloc: 1, thp_split_pmd: 0 });
    expect(a.observation.snapshots.final!.vmstat).toEqual({ thp_fault_alloc: 3, thp_split_pmd: 1 });
    expect(a.observation.snapshots.final!.vma_count).toBe(5);
  });
  it('ignores snapshots and counters the other run lacks', () => {
    const a = run({ thp_fault_alloc: 2 }, { thp_fault_alloc: 2 }, 1);
    const b = run({}, { thp_fault_alloc: 2 }, 1);
    delete (b.observation.snapshots as Record<string, unknown>).final;
    minVmstat(a, b);
    expect(a.observation.snapshots.setup!.vmstat).toEqual({ thp_fault_alloc: 2 });
    expect(a.observation.snapshots.final!.vmstat).toEqual({ thp_fault_alloc: 2 });
  });
});

describe('minMinflt', () => {
  const threads = (t: Record<string, [number, number]>): HostRun & { kind: 'ok' } => ({
    kind: 'ok', ms: 1, timing: { setupMs: 0, runMs: 0 },
    observation: {
      snapshots: {},
      threads: Object.fromEntries(Object.entries(t).map(([n, [minflt, majflt]]) => [n, { state: 'done', signal: null, minflt, majflt }])),
    } as unknown as (HostRun & { kind: 'ok' })['observation'],
  });
  it('keeps the smallest minor-fault count of each thread, and the first run for the major count', () => {
    const a = threads({ parent: [1028, 0], child: [5, 1] });
    const b = threads({ parent: [1027, 2], child: [6, 0] });
    minMinflt(a, b);
    expect(a.observation.threads).toEqual({
      parent: { state: 'done', signal: null, minflt: 1027, majflt: 0 },
      child: { state: 'done', signal: null, minflt: 5, majflt: 1 },
    });
  });
  it('ignores threads the other run lacks', () => {
    const a = threads({ t1: [3, 0], t2: [4, 0] });
    minMinflt(a, threads({ t1: [2, 0] }));
    expect(a.observation.threads.t1!.minflt).toBe(2);
    expect(a.observation.threads.t2!.minflt).toBe(4);
  });
});

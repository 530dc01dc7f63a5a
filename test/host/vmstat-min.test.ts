// System-wide vmstat counters and per-thread minor-fault counts: combining kernel runs keeps each counter's
// smallest value and nothing else; and settle(), which runs the kernel again where a field disagrees.
import { describe, it, expect } from 'vitest';
import { minVmstat, minMinflt, settle } from '../../src/host/differential.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/run.js';
import { resolveKernel } from '../../src/profiles/profiles.js';
import type { Observation } from '../../src/scenario/outcome.js';
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

describe('settle: a disagreement makes the kernel run again', () => {
  const sc = loadScenario('settle.yaml', `
name: settle
observe: { pages: [ram] }
setup:
  - mmap: { as: ram, len: 8K }
threads:
  t:
    - write: { addr: ram, value: 1 }
`);
  const model = runScenario(sc, resolveKernel('v6.18')).observation;
  const ok = (f: (o: Observation) => void = () => {}): HostRun & { kind: 'ok' } => {
    const o = structuredClone(model);
    f(o);
    return { kind: 'ok', ms: 1, timing: { setupMs: 0, runMs: 0 }, observation: o };
  };
  const flipReferenced = (o: Observation) => {
    const p = Object.values(o.snapshots.final!.pages)[0]!;
    p.kpageflags = '0x' + (BigInt(p.kpageflags!) ^ (1n << 2n)).toString(16);
  };
  const bumpMinflt = (o: Observation) => { o.threads.t!.minflt++; };
  const differs = (rows: { status: string }[]) => rows.filter((r) => r.status === 'differ').length;
  const queue = (runs: (HostRun & { kind: 'ok' } | { kind: 'failed'; reason: string; ms: number })[]) => {
    return async (): Promise<HostRun> => runs.shift()!;
  };

  it('agrees at once: no second run', async () => {
    const rerun = queue([]);
    const r = await settle(sc, model, ok(), [], rerun);
    expect([differs(r.rows), r.runs]).toEqual([0, 1]);
  });
  it('a page flag that another process moved once: the next run, agreeing on every field, is the one kept', async () => {
    const second = ok();
    const r = await settle(sc, model, ok(flipReferenced), [], queue([second]));
    expect([differs(r.rows), r.runs, r.host === second]).toEqual([0, 2, true]);
  });
  it('a field wrong in every run still disagrees, as the first run saw it, after 3 runs', async () => {
    const first = ok(flipReferenced);
    const r = await settle(sc, model, first, [], queue([ok(flipReferenced), ok(flipReferenced)]));
    expect([differs(r.rows), r.runs, r.host === first]).toEqual([1, 3, true]);
    expect(r.rows.find((x) => x.status === 'differ')!.field).toMatch(/kpageflags/);
  });
  it('one minor fault too many, once: the counts keep their smallest value', async () => {
    const r = await settle(sc, model, ok(bumpMinflt), [], queue([ok()]));
    expect([differs(r.rows), r.runs]).toEqual([0, 2]);
  });
  it('a minor fault too many in every run still disagrees', async () => {
    const r = await settle(sc, model, ok(bumpMinflt), [], queue([ok(bumpMinflt), ok(bumpMinflt)]));
    expect(r.rows.filter((x) => x.status === 'differ').map((x) => x.field)).toEqual(['thread t: minflt']);
  });
  it('a run again that fails stops the runs: the first run is reported', async () => {
    const first = ok(flipReferenced);
    const r = await settle(sc, model, first, [], queue([{ kind: 'failed', reason: 'hung', ms: 1 }]));
    expect([differs(r.rows), r.runs, r.host === first]).toEqual([1, 1, true]);
  });
});

// The `state` events of a traced run with states (src/sched/states.ts): what the page of `mmsim serve`
// draws at each step, checked against the seed's known values.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import type { TraceEvent } from '../src/trace/events.js';

const SEED = 'scenarios/seed-thp-split-uffd-wp.yaml';

function states(kernel: string): TraceEvent[] {
  const sc = loadScenario(SEED);
  return runScenario(sc, resolveKernel(kernel, [], sc.config), { trace: true, states: true }).events.filter((e) => e.type === 'state');
}

type Row = { level: string; entry: string; leaf: boolean; entries?: Record<string, string>; folded?: boolean };
const page = (e: TraceEvent, key: string) => (e.pages as { key: string; walk: Row[]; page: { order: number } | null }[]).find((p) => p.key === key)!;
const thread = (e: TraceEvent, name: string) => (e.threads as { name: string; state: string; signal?: string; wait?: string }[]).find((t) => t.name === name)!;

describe('state events', () => {
  it('are off unless asked for', () => {
    const sc = loadScenario(SEED);
    expect(runScenario(sc, resolveKernel('v6.18', [], sc.config), { trace: true }).events.some((e) => e.type === 'state')).toBe(false);
  });

  it('close every setup operation and every step, in order', () => {
    const sc = loadScenario(SEED);
    const r = runScenario(sc, resolveKernel('v4.19-uffd-wp-2018', [], sc.config), { trace: true, states: true });
    const st = r.events.filter((e) => e.type === 'state');
    const steps = r.machine.step;
    expect(st.filter((e) => e.step > 0).map((e) => e.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    expect(st.filter((e) => e.step === 0).length).toBe(sc.setup.length);
    expect(r.events[r.events.length - 1]!.type).toBe('state');
  });

  it('on the 2018 branch: the un-protect leaves a clean, read-only PTE in a 512-entry table, the vCPU asleep, then SIGBUS', () => {
    const st = states('v4.19-uffd-wp-2018');
    const un = st.find((e) => e.op === 'unprotect')!;
    const w = page(un, 'ram + 0x7f000').walk;
    expect(w.map((r) => r.level)).toEqual(['pgd', 'p4d', 'pud', 'pmd', 'pte']);
    expect(w[1]!.folded).toBe(true);
    expect(BigInt(w[4]!.entry) & 0xfff0000000000fffn).toBe(0x8000000000000825n);
    expect(Object.keys(w[4]!.entries!).length).toBe(512);
    expect(thread(un, 'vcpu')).toMatchObject({ state: 'blocked', wait: 'handle_userfault' });
    expect(thread(st[st.length - 1]!, 'vcpu')).toMatchObject({ state: 'signal', signal: 'SIGBUS' });
  });

  it('before the split the observed address is under a PMD leaf of an order-9 folio', () => {
    const st = states('v6.18');
    const first = st.find((e) => e.step === 0 && page(e, 'ram + 0x7f000').walk.some((r) => r.level === 'pmd' && r.leaf))!;
    expect(page(first, 'ram + 0x7f000').page!.order).toBe(9);
    expect(thread(st[st.length - 1]!, 'vcpu')).toMatchObject({ state: 'done' });
  });

  it('mmsim run --format json --states prints them, each line valid JSON; --states without json is bad input', () => {
    const r = spawnSync(process.execPath, ['bin/mmsim.js', 'run', SEED, '-k', 'v6.18', '--format', 'json', '--states'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; pages?: unknown[] });
    const st = lines.filter((l) => l.type === 'state');
    expect(st.length).toBe(states('v6.18').length);
    expect(st.every((l) => Array.isArray(l.pages) && l.pages.length === 3)).toBe(true);
    const bad = spawnSync(process.execPath, ['bin/mmsim.js', 'run', SEED, '--states'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('mmsim: --states goes with --format json\n');
  });
});

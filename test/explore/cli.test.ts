// `mmsim check` on the command line: exit status 0 / 1 / 2 / 3, herd7-shaped text, --json.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, LIVE, INDEPENDENT, mmsim } from './helpers.js';

afterEach(() => vi.restoreAllMocks());

const dir = mkdtempSync(join(tmpdir(), 'mmsim-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('mmsim check', () => {
  it('prints herd7-style results and exits 0 when the expected verdicts hold', async () => {
    const r = await mmsim('check', join(ROOT, LIVE), '-q', '--no-progress');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Test live-snapshot on v4\.19-uffd-wp-2018/m);
    expect(r.out).toMatch(/^States \d+/m);
    expect(r.out).toMatch(/^Positive: 20 Negative: 0$/m);
    // each outcome line says whether the property a condition names held there: a SIGBUS outcome has no_sigbus=F
    expect(r.out).toMatch(/^ +10 \*> .*SIGBUS.* no_sigbus=F consistent_snapshot=T no_livelock=T$/m);
    expect(r.out).toMatch(/^Observation live-snapshot\/no_sigbus Always 20 0/m);
    expect(r.out).toMatch(/replay: +mmsim run .*live-snapshot\.yaml -k v4\.19-uffd-wp-2018 --schedule "vcpu\d handler\*3 vcpu\d"/);
    expect(r.out).toMatch(/^Hash=[0-9a-f]{32}$/m);
    expect(r.out).toMatch(/^PASS$/m);
  });

  it('exits 1 when a verdict is not the expected one', async () => {
    // v6.12 has no SIGBUS: a scenario that expects one fails
    const text = readFileSync(join(ROOT, LIVE), 'utf8').replace('kernel: v4.19-uffd-wp-2018\n', 'kernel: v6.12\n')
      .replace(/- when: \{ kernel: v4\.19-uffd-wp-2018, lacks: \[peterx-2018-pagedirty, peterx-2018-split-mkdirty, fault-retry-unlimited\] \}/, '- when: { kernel: v6.12 }');
    const r = await mmsim('check', file('expects-sigbus.yaml', text), '-q', '--no-progress');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/NOT as expected/);
    expect(r.out).toMatch(/^FAIL$/m);
  });

  it('without a verdict list, exits 1 when a condition does not hold', async () => {
    const text = readFileSync(join(ROOT, INDEPENDENT), 'utf8').replace(/verdict: \[\{ is: Always \}\]\n/, '')
      .replace('forall: { all: [{ thread: left, state: done }, { thread: right, state: done }] }', 'never: { thread: left, state: done }');
    const r = await mmsim('check', file('never-done.yaml', text), '-q', '--no-progress');
    expect(r.code).toBe(1);
  });

  it('--json gives one document per kernel, with the counterexample and its replay', async () => {
    const r = await mmsim('check', join(ROOT, LIVE), '--json', '-k', 'v4.19-uffd-wp-2018', '-k', 'v6.12');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { kernel: string; complete: boolean; conditions: { name: string; observation: string; counterexample: { schedule: string; replayed: { reproduced: boolean; trace: unknown[] } } | null }[]; stats: { distinct: number; transitions: number } }[];
    expect(doc.map((d) => d.kernel)).toEqual(['v4.19-uffd-wp-2018', 'v6.12']);
    expect(doc[0]!.complete).toBe(true);
    const c = doc[0]!.conditions.find((x) => x.name === 'no_sigbus')!;
    expect(c.observation).toBe('Always');
    expect(c.counterexample!.replayed.reproduced).toBe(true);
    expect(c.counterexample!.replayed.trace.length).toBeGreaterThan(0);
    expect(doc[1]!.conditions.find((x) => x.name === 'no_sigbus')!.observation).toBe('Never');
    expect(doc[1]!.stats.distinct).toBeGreaterThan(0);
  });

  it('budgets mark the result incomplete, and exit 3 while the verdicts seen could still change', async () => {
    const r = await mmsim('check', join(ROOT, LIVE), '-k', 'v6.12', '--max-states', '10', '-q', '--no-progress');
    expect(r.out).toMatch(/INCOMPLETE \(max-states\)/);
    expect(r.code).toBe(3);
    // the same scenario explored whole answers 0
    expect((await mmsim('check', join(ROOT, LIVE), '-k', 'v6.12', '-q', '--no-progress')).code).toBe(0);
  });

  it('a violation found before the budget ran out is final: exit 1, not 3', async () => {
    const text = readFileSync(join(ROOT, INDEPENDENT), 'utf8').replace(/verdict: \[\{ is: Always \}\]\n/, '')
      .replace('forall: { all: [{ thread: left, state: done }, { thread: right, state: done }] }', 'never: { thread: left, state: done }');
    const r = await mmsim('check', file('never-done-budget.yaml', text), '-q', '--no-progress', '--max-states', '8');
    expect(r.out).toMatch(/INCOMPLETE/);
    expect(r.code).toBe(1);
  });

  it('random walks print their seed; walks that saw only Always prove nothing: exit 3', async () => {
    const r = await mmsim('check', join(ROOT, LIVE), '--random', '10', '--seed', '42', '-q');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/random walks, seed 42/);
    expect(r.out).toMatch(/walk \d+ of seed 42/);
  });

  it('exits 2 on bad input, with one line and a position', async () => {
    const bad = file('bad.yaml', 'name: bad\nkernel: v6.12\nthreads:\n  t:\n    loop: yes please\n    ops: []\n');
    const r = await mmsim('check', bad);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/bad\.yaml:5:\d+: threads\.t\.loop: expected true or false/);
    const r2 = await mmsim('check', join(ROOT, LIVE), '--max-states', 'lots');
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/--max-states must be a number/);
    const r3 = await mmsim('check', join(ROOT, LIVE), '-k', 'v9.9');
    expect(r3.code).toBe(2);
    expect(r3.err).toMatch(/unknown kernel profile 'v9\.9'/);
  });

  it('rejects conditions on the trace, which a state cannot answer', async () => {
    const text = readFileSync(join(ROOT, INDEPENDENT), 'utf8').replace('forall: { all: [{ thread: left, state: done }, { thread: right, state: done }] }', 'never: { klog: "oops" }');
    const r = await mmsim('check', file('klog.yaml', text));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/klog\.yaml:\d+: condition both_finish: 'klog' predicates depend on the trace/);
  });
});

describe('scenario syntax for check', () => {
  it('data_at names a buffer and a checkpoint that exist', async () => {
    const base = readFileSync(join(ROOT, LIVE), 'utf8');
    const r1 = await mmsim('check', file('d1.yaml', base.replace('data_at: copy, at: protected', 'data_at: nocopy, at: protected')));
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/d1\.yaml:\d+:\d+: .*'nocopy' is not a buffer read by read/);
    const r2 = await mmsim('check', file('d2.yaml', base.replace('data_at: copy, at: protected', 'data_at: copy, at: later')));
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/d2\.yaml:\d+:\d+: .*unknown checkpoint 'later'/);
  });

  it('verdicts are Always, Sometimes or Never', async () => {
    const base = readFileSync(join(ROOT, LIVE), 'utf8');
    const r = await mmsim('check', file('v.yaml', base.replace('      - is: Always', '      - is: Often')));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/v\.yaml:\d+:\d+: conditions\.1\.verdict\.0\.is: expected is: Always \| Sometimes \| Never/);
  });
});

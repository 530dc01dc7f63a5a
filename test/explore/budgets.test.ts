// Budgets stop the search cleanly and say so; random walks replay from their seed.
import { describe, expect, it } from 'vitest';
import { checkScenario } from '../../src/explore/check.js';
import { runScenario } from '../../src/run.js';
import { scenario, kernel, LIVE } from './helpers.js';

const sc = scenario(LIVE);

describe('budgets', () => {
  it('--max-states stops early, marked incomplete', () => {
    const r = checkScenario(sc, kernel('v6.12'), { maxStates: 20, trace: false });
    expect(r.complete).toBe(false);
    expect(r.stopped).toBe('max-states');
    expect(r.stats.distinct).toBe(20);
  });

  it('--max-depth cuts deep schedules, marked incomplete', () => {
    const r = checkScenario(sc, kernel('v6.12'), { maxDepth: 5, trace: false });
    expect(r.complete).toBe(false);
    expect(r.stopped).toBe('max-depth');
    expect((r.stats as { maxDepth: number }).maxDepth).toBeLessThanOrEqual(5);
  });

  it('--max-time 0 stops at once but still reports', () => {
    const r = checkScenario(sc, kernel('v6.12'), { maxTime: 0, trace: false });
    expect(r.complete).toBe(false);
    expect(r.stopped).toBe('max-time');
    expect(r.conditions.length).toBe(3);
  });

  it('a violation found before the budget is still reported', () => {
    const r = checkScenario(sc, kernel('v4.19-uffd-wp-2018'), { maxStates: 30, trace: false });
    expect(r.complete).toBe(false);
    expect(r.conditions.find((c) => c.name === 'no_sigbus')!.holds).toBe(false);
  });
});

describe('random walks', () => {
  for (const pct of [false, true]) {
    it(`${pct ? 'PCT' : 'uniform'} walks find the SIGBUS, and a walk's schedule replays`, () => {
      const r = checkScenario(sc, kernel('v4.19-uffd-wp-2018'), { random: 20, seed: 7, pct, trace: false });
      expect(r.mode).toBe('random');
      expect(r.seed).toBe(7);
      const c = r.conditions.find((x) => x.name === 'no_sigbus')!;
      expect(c.holds).toBe(false);
      expect(c.positive + c.negative).toBe(20);
      const cx = c.counterexample!;
      expect(cx.walk).toBeGreaterThanOrEqual(0);
      const run = runScenario(sc, kernel('v4.19-uffd-wp-2018'), { schedule: cx.schedule });
      expect(Object.values(run.observation.threads).some((t) => t.signal === 'SIGBUS')).toBe(true);
    });
  }

  it('the same seed gives the same walks', () => {
    const a = checkScenario(sc, kernel('v6.12'), { random: 15, seed: 123, trace: false });
    const b = checkScenario(sc, kernel('v6.12'), { random: 15, seed: 123, trace: false });
    expect(b.outcomes.map((o) => [o.key, o.count, o.walk?.schedule.join(',')])).toEqual(a.outcomes.map((o) => [o.key, o.count, o.walk?.schedule.join(',')]));
    expect(b.stats).toMatchObject({ transitions: (a.stats as { transitions: number }).transitions });
  });

  it('walks find the livelock as a cycle', () => {
    const r = checkScenario(sc, kernel('v4.19-uffd-wp-2018+fault-retry-unlimited'), { random: 5, seed: 1, trace: false });
    expect(r.livelocks).toBe(5);
    expect(r.conditions.find((c) => c.name === 'no_livelock')!.holds).toBe(false);
  });
});

describe('progress', () => {
  it('reports states, rate, depth and frontier while searching', async () => {
    const { search } = await import('../../src/explore/search.js');
    const { afterSetup } = await import('./helpers.js');
    const seen: { distinct: number; depth: number; frontier: number; statesPerSec: number }[] = [];
    const r = search(afterSetup(sc, 'v6.12'), { progressEveryMs: 0, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(1);
    const last = seen.at(-1)!;
    expect(last.distinct).toBe(r.stats.distinct);
    expect(seen.every((p) => p.depth >= 0 && p.frontier >= 0 && p.statesPerSec >= 0)).toBe(true);
    expect(seen.some((p) => p.depth > 0 && p.frontier > 0)).toBe(true);
  });
});

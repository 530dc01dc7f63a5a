// Counting interleavings, and what the sleep-set reduction saves: two threads of three independent
// steps have C(6,3) = 20 interleavings; with sleep sets one remains, and no state is lost.
import { describe, expect, it } from 'vitest';
import { search } from '../../src/explore/search.js';
import { StateHasher } from '../../src/explore/hash.js';
import type { Machine } from '../../src/sched/machine.js';
import { loadScenario } from '../../src/scenario/load.js';
import { afterSetup, scenario, INDEPENDENT, ROOT } from './helpers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const fp = (m: Machine) => {
  const h = new StateHasher();
  m.fingerprint(h);
  return `${h.fullHi()}:${h.fullLo()}`;
};

describe('interleavings of two independent threads of three ops', () => {
  const sc = scenario(INDEPENDENT);

  it('without reduction: 20 interleavings, 16 states, 24 transitions', () => {
    const r = search(afterSetup(sc, 'v6.12'), { reduction: false });
    expect(r.graph.countPaths()).toEqual({ paths: 20, cyclic: false });
    expect(r.stats.distinct).toBe(16);
    expect(r.stats.transitions).toBe(24);
    expect(r.stats.pruned).toBe(0);
    expect(r.stats.terminal).toBe(1);
  });

  it('with sleep sets: fewer interleavings and transitions, the same states', () => {
    const r = search(afterSetup(sc, 'v6.12'), { reduction: true });
    const p = r.graph.countPaths();
    expect(p.paths).toBeLessThan(20);
    expect(p.paths).toBe(1);
    expect(r.stats.transitions).toBeLessThan(24);
    expect(r.stats.pruned).toBeGreaterThan(0);
    expect(r.stats.distinct).toBe(16);
    expect(r.stats.terminal).toBe(1);
  });

  it('steps that touch the same page are not reduced', () => {
    // the same threads, but every store goes to one page: every pair of steps conflicts
    const text = readFileSync(join(ROOT, INDEPENDENT), 'utf8').replace(/addr: [ab]( \+ \d+K)?/g, 'addr: a');
    const same = loadScenario('same-page.yaml', text);
    const off = search(afterSetup(same, 'v6.12'), { reduction: false });
    const on = search(afterSetup(same, 'v6.12'), { reduction: true });
    expect(off.graph.countPaths().paths).toBe(20);
    expect(on.graph.countPaths().paths).toBe(20);
    expect(on.stats.pruned).toBe(0);
  });

  it('every interleaving of the independent threads ends in one and the same state', () => {
    const finals = new Set<string>();
    search(afterSetup(sc, 'v6.12'), { reduction: false, onTerminal: (m) => finals.add(fp(m)) });
    expect(finals.size).toBe(1);
  });
});

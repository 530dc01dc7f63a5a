// The explored edges are kept only where something needs them: the interleaving count (no reduction)
// and the paths into cycles (a search that closes one runs again with them).
import { describe, expect, it } from 'vitest';
import { checkRoot, searchPhase } from '../../src/explore/check.js';
import { scenario, kernel, LIVE } from './helpers.js';

describe('explored edges', () => {
  it('a search with sleep sets and no cycle keeps none, and the same states as one that keeps them', () => {
    const sc = scenario(LIVE), spec = kernel('v6.18');
    const lean = searchPhase(checkRoot(sc, spec, false), sc, spec, {});
    const full = searchPhase(checkRoot(sc, spec, false), sc, spec, { reduction: 'none' });
    expect(lean.graph!.keepEdges).toBe(false);
    expect(lean.graph!.eTo.length).toBe(0);
    expect(lean.interleavings).toBe(null);
    expect(full.graph!.keepEdges).toBe(true);
    expect(full.interleavings!.paths).toBeGreaterThan(0);
    expect(lean.stats.distinct).toBe(full.stats.distinct);
  });

  it('a search that closes a cycle runs again with them, so that its lassos have paths', () => {
    const sc = scenario(LIVE), spec = kernel('v4.19-uffd-wp-2018+fault-retry-unlimited');
    const r = searchPhase(checkRoot(sc, spec, false), sc, spec, {});
    expect(r.stats.cycles).toBeGreaterThan(0);
    expect(r.graph!.keepEdges).toBe(true);
    const live = [...r.outcomes.values()].filter((o) => o.kind === 'livelock');
    expect(live.length).toBeGreaterThan(0);
    expect(live.every((o) => o.lasso !== null && o.lasso !== undefined)).toBe(true);
    // the edges reach every state the lassos start from
    const bfs = r.graph!.bfsParents();
    for (const o of live) expect(r.graph!.shortestPath(o.lasso!.prefix[o.lasso!.prefix.length - 1]!, bfs)).not.toBe(null);
  });
});

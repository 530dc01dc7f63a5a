// `mmsim check --workers N`: the same output for any number of workers (verdicts, outcomes,
// counterexamples, the order-independent figures), the shared visited table under concurrent insertion,
// the cycle check over the workers' edges, and the errors of bad options.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SharedTable, CTL, ID_BLOCK } from '../../src/explore/shared-table.js';
import { graphShape } from '../../src/explore/parallel.js';
import { checkScenario, checkScenarioAsync } from '../../src/explore/check.js';
import { ROOT, LIVE, INDEPENDENT, UNPROTECT_FIRST, scenario, kernel, mmsim } from './helpers.js';

afterEach(() => vi.restoreAllMocks());

const LIVE4 = 'scenarios/check/live-snapshot-4vcpu.yaml';
const LIVE5 = 'scenarios/check/live-snapshot-5vcpu.yaml';

describe('check --workers N: the same output for N = 1, 2, 3', () => {
  const cases: [string, string, string[]][] = [
    [LIVE, 'v4.19-uffd-wp-2018', []], // SIGBUS counterexamples
    [LIVE, 'v6.18', []],
    [LIVE, 'v4.19-uffd-wp-2018+fault-retry-unlimited', []], // a livelock: a cycle, searched again by one worker
    [INDEPENDENT, 'v6.12', []],
    [INDEPENDENT, 'v6.12', ['--reduction', 'none']], // the interleaving count is printed
    [UNPROTECT_FIRST, 'v6.12', []], // a forall that fails
    [LIVE4, 'v6.18', []], // 34,726 states: the table grows, sub-trees change hands
    [LIVE4, 'v4.19-uffd-wp-2018', ['--json']],
    // step reuse in every worker (each steps its states in one store, forward and back)
    [LIVE4, 'v6.18', ['--reuse']],
    [LIVE, 'v4.19-uffd-wp-2018', ['--reuse']],
  ];
  for (const [file, k, extra] of cases) {
    it(`${file} on ${k} ${extra.join(' ')}`, async () => {
      const outs: string[] = [];
      for (const n of ['1', '2', '3']) {
        const r = await mmsim('check', join(ROOT, file), '-k', k, '-q', '--no-progress', '--workers', n, ...extra);
        expect(r.err).toBe('');
        outs.push(extra.includes('--json') ? JSON.stringify((JSON.parse(r.out) as { run: unknown }[]).map((d) => ({ ...d, run: null }))) : r.out);
        expect(r.code).toBe(0);
      }
      expect(outs[1]).toBe(outs[0]);
      expect(outs[2]).toBe(outs[0]);
      if (extra.includes('none')) expect(outs[0]).toMatch(/^Search: 16 distinct states, 1 final, 20 interleavings$/m);
    });
  }

  // (5 vCPUs: a search of about 2 s; the 4-vCPU one, 0.1 to 0.3 s, could be over before a worker thread was
  // ready on a slow or busy machine, and then ran on the main thread alone, as it should)
  it('with several workers the search really runs on them, and its figures are in --stats and run', async () => {
    const r = await mmsim('check', join(ROOT, LIVE5), '-k', 'v6.18', '-q', '--no-progress', '--workers', '2', '--stats');
    expect(r.out).toMatch(/^Run: 2 workers, \d+ sub-trees handed over; /m);
    expect(r.out).toMatch(/^Search: 460,082 distinct states, /m);
    const j = await mmsim('check', join(ROOT, LIVE5), '-k', 'v6.18', '--no-progress', '--workers', '2', '--json');
    const doc = JSON.parse(j.out) as { stats: { distinct: number }; run: { workers: number; transitions: number; workersNote: string | null } }[];
    expect(doc[0]!.stats.distinct).toBe(460_082);
    expect(doc[0]!.run.workers).toBe(2);
    expect(doc[0]!.run.workersNote).toBeNull();
    expect(doc[0]!.run.transitions).toBeGreaterThan(460_082 - 1);
  });

  it('the main thread searches while the worker threads start: a search over before they start is its alone, with the same result', async () => {
    const sc = scenario(LIVE), k = kernel('v4.19-uffd-wp-2018');
    const one = checkScenario(sc, k, { trace: false });
    // worker threads started only after 60 s of search: the main thread does it all
    const alone = await checkScenarioAsync(sc, k, { workers: 2, workersAfterMs: 60_000, trace: false });
    expect(alone.workers).toBe(1);
    expect(alone.workersNote).toMatch(/^over within 60000 ms: on the main thread$/);
    // started at once: the main thread does not wait for them (224 states: it is over before they are ready)
    const started = await checkScenarioAsync(sc, k, { workers: 3, workersAfterMs: 0, trace: false });
    for (const r of [alone, started]) {
      expect(r.stats.distinct).toBe(one.stats.distinct);
      expect(r.outcomes.map((o) => [o.key, o.count, o.holds])).toEqual(one.outcomes.map((o) => [o.key, o.count, o.holds]));
      expect(r.conditions.map((c) => [c.observation, c.counterexample?.schedule])).toEqual(one.conditions.map((c) => [c.observation, c.counterexample?.schedule]));
    }
  });

  it('a cycle makes the search one worker\'s, and says so', async () => {
    const r = await checkScenarioAsync(scenario(LIVE), kernel('v4.19-uffd-wp-2018+fault-retry-unlimited'), { workers: 2, trace: false });
    expect(r.workers).toBe(1);
    expect(r.workersNote).toMatch(/cycle/);
    expect(r.livelocks).toBeGreaterThan(0);
  });
});

describe('counterexamples do not depend on the order of the search', () => {
  it('the shortest schedule in the full graph, least by thread index', () => {
    const r = checkScenario(scenario(LIVE), kernel('v4.19-uffd-wp-2018'), { trace: false });
    // vcpu0 and vcpu1 are symmetric: both orders give a SIGBUS in 5 steps; thread 0 comes first
    expect(r.conditions[0]!.counterexample!.schedule).toBe('vcpu0 handler*3 vcpu0');
    const none = checkScenario(scenario(LIVE), kernel('v4.19-uffd-wp-2018'), { trace: false, reduction: 'none' });
    expect(none.conditions[0]!.counterexample!.schedule).toBe('vcpu0 handler*3 vcpu0');
  });
});

describe('the shared visited table', () => {
  const tableUrl = pathToFileURL(join(ROOT, 'dist', 'src', 'explore', 'shared-table.js')).href;
  // each worker inserts every key (in its own order), then clears some mask bits of each key
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then(({ SharedTable }) => {
      const ctl = new Int32Array(workerData.ctl);
      const t = new SharedTable(workerData.table, ctl);
      const { keys, w, n } = workerData;
      const ids = new Int32Array(keys), fresh = [], got = new Int32Array(keys);
      for (let j = 0; j < keys; j++) {
        const k = (j * (2 * w + 1) + w * 7919) % keys; // a different order per worker
        const id = t.insert(k * 0x9e3779b1 | 0, (k % 3 === 0 ? 0 : k) | 0, 0x3fffffff);
        ids[k] = id;
        if (t.fresh) fresh.push(k);
        // worker w clears bit w and bit 29 of every key: bit 29 is handed to exactly one of them
        got[k] = t.andMask(t.slot, ~((1 << w) | (1 << 29)) & 0x3fffffff) & ((1 << w) | (1 << 29));
      }
      parentPort.postMessage({ ids, fresh, got });
    });`;

  it('loses and duplicates no state, and hands each cleared bit out once', async () => {
    const n = 3, keys = 16_384; // odd strides (2w + 1) visit every key
    const ctlBuf = new SharedArrayBuffer(CTL.length * 4);
    const ctl = new Int32Array(ctlBuf);
    const buf = SharedTable.create(16); // 65,536 slots: no growth
    const results = await Promise.all(Array.from({ length: n }, (_, w) => new Promise<{ ids: Int32Array; fresh: number[]; got: Int32Array }>((resolve, reject) => {
      const worker = new Worker(code, { eval: true, workerData: { url: tableUrl, ctl: ctlBuf, table: buf, keys, w, n } });
      worker.on('message', (m) => {
        resolve(m);
        void worker.terminate();
      });
      worker.on('error', reject);
    })));
    const table = new SharedTable(buf, ctl);
    expect(table.count()).toBe(keys);
    // ids come in blocks: at most one partly used block per worker
    expect(ctl[CTL.nextId]).toBeGreaterThanOrEqual(keys);
    expect(ctl[CTL.nextId]).toBeLessThanOrEqual(keys + n * ID_BLOCK);
    // every key was new to exactly one worker, and every worker got the same id for it
    const freshAll = results.flatMap((r) => r.fresh).sort((a, b) => a - b);
    expect(freshAll).toEqual(Array.from({ length: keys }, (_, i) => i));
    for (let k = 0; k < keys; k++) for (const r of results) expect(r.ids[k]).toBe(results[0]!.ids[k]);
    expect(new Set(results[0]!.ids).size).toBe(keys);
    for (const id of results[0]!.ids) expect(id).toBeLessThan(ctl[CTL.nextId]!);
    for (let k = 0; k < keys; k++) {
      let bit29 = 0;
      for (let w = 0; w < n; w++) {
        expect(results[w]!.got[k]! & (1 << w)).toBe(1 << w);
        if (results[w]!.got[k]! & (1 << 29)) bit29++;
      }
      expect(bit29).toBe(1);
      const id = table.get(k * 0x9e3779b1 | 0, (k % 3 === 0 ? 0 : k) | 0);
      expect(id).toBe(results[0]!.ids[k]);
    }
    // growing keeps every key, its id and its mask
    const big = new SharedTable(SharedTable.create(17), ctl);
    table.growInto(big);
    expect(big.count()).toBe(keys);
    for (let k = 0; k < keys; k += 97) expect(big.get(k * 0x9e3779b1 | 0, (k % 3 === 0 ? 0 : k) | 0)).toBe(results[0]!.ids[k]);
  });
});

describe('the cycle check over the workers\' edges', () => {
  it('finds a cycle closed across edge lists, and counts paths of an acyclic graph', () => {
    // 0 -> 1 -> 3, 0 -> 2 -> 3, 2 -> 4: terminals 3 and 4: 3 paths
    expect(graphShape(5, [Int32Array.of(0, 1, 1, 3), Int32Array.of(0, 2, 2, 3, 2, 4)], [3, 4])).toEqual({ cyclic: false, paths: 3 });
    // 1 -> 2 in one list, 2 -> 1 in another
    expect(graphShape(3, [Int32Array.of(0, 1, 1, 2), Int32Array.of(2, 1)], []).cyclic).toBe(true);
    expect(graphShape(5, [Int32Array.of(0, 1, 1, 3), Int32Array.of(0, 2, 2, 3, 2, 4)], [3, 4], false)).toEqual({ cyclic: false, paths: null });
  });
});

describe('options', () => {
  it('a bad --workers is a one-line error, exit 2', async () => {
    for (const bad of ['0', 'many', '1.5', '65']) {
      const r = await mmsim('check', join(ROOT, LIVE), '--workers', bad, '--no-progress');
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/--workers must be/);
    }
  });

  it('--reduction none is --no-reduction; an unknown reduction is exit 2', async () => {
    const a = await mmsim('check', join(ROOT, INDEPENDENT), '-q', '--no-progress', '--reduction', 'none', '--workers', '1');
    const b = await mmsim('check', join(ROOT, INDEPENDENT), '-q', '--no-progress', '--no-reduction', '--workers', '1');
    expect(a.out).toMatch(/\[exhaustive, no reduction\]/);
    expect(b.out).toBe(a.out);
    const c = await mmsim('check', join(ROOT, INDEPENDENT), '--reduction', 'magic', '--no-progress');
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--reduction must be one of none, sleep, not 'magic'/);
  });
});

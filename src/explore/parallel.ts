// `mmsim check --workers N`: the exhaustive search on N worker threads (worker.ts) over one visited set
// (shared-table.ts), coordinated from the main thread.
//
// - Work is handed out as sub-trees: a path from the root (thread indices) and the steps to take from
//   the state it reaches. Worker 0 starts with the root; an idle worker says so, the main thread counts
//   it in CTL.hungry, and a busy worker gives away the untried steps of the shallowest state on its
//   stack (the receiver replays the path). The search ends when every worker is idle and no sub-tree
//   is on its way.
// - Sleep sets stay sound: a sub-tree is explored with nothing asleep at its root (sleep sets only
//   save work; an empty one is always sound), and the stored mask of every state is in the shared
//   table, cleared with Atomics.and on a revisit, so each missing step is taken by exactly one worker.
// - Cycles: a worker detects a cycle closed on its own path from the root (the replayed prefix and its
//   stack). A cycle can also close across workers (a state on one worker's stack reached by another),
//   which no path shows; so the explored edges are kept (8 bytes each) and, after the search, checked
//   for a cycle (Kahn's algorithm). Any cycle, found either way, makes the main thread search again
//   with one worker, whose cycle detection and livelock verdicts are today's: the result is the one
//   worker's, exactly. Without a cycle, the result does not depend on the order of the search:
//   the set of reachable states and of terminal states is the same for any order.
// - The depth bound (--max-depth) needs one worker (it re-expands states found again at a smaller
//   depth); so do more than 30 threads with sleep sets (masks are 30 bits in the shared table).
import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { CompiledScenario } from '../scenario/load.js';
import type { KernelSpec } from '../kernel/kernel.js';
import type { Machine } from '../sched/machine.js';
import type { CheckOptions, SearchPhase } from './check.js';
import { searchPhase } from './check.js';
import { StateHasher } from './hash.js';
import { enabledThreads, type SearchStats } from './search.js';
import { mergeOutcomes, type Outcome } from './outcomes.js';
import { reductionFor } from './reduction.js';
import {
  CTL, MAX_MASK_THREADS, MAX_WORKERS, SharedTable, STOP_CYCLE, STOP_DONE, STOP_ERROR, STOP_MAX_STATES, STOP_MAX_TIME,
} from './shared-table.js';
import { specToData, type WorkItem, type WorkerInit, type WorkerStats } from './worker.js';

/** the worker's script: next to this file once built; from the sources (tests), the built copy */
function workerUrl(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL('./worker.js', import.meta.url);
  const built = join(dirname(here), '..', '..', 'dist', 'src', 'explore', 'worker.js');
  if (!existsSync(built)) throw new Error(`check --workers: ${built} is missing (npm run build)`);
  return new URL('file://' + built);
}

interface Done {
  stats: WorkerStats;
  groups: Map<string, Outcome>;
  firstViolationAt: number | null;
  /** explored edges, (from id, to id) pairs, in chunks */
  edges: Int32Array[];
}

/** the search with `workers` worker threads; falls back to one worker where it must (see above) */
export async function searchParallel(
  root: Machine, sc: CompiledScenario, spec: KernelSpec, opts: CheckOptions, workers: number,
): Promise<SearchPhase> {
  const reductionName = opts.reduction === false ? 'none' : opts.reduction === true || opts.reduction === undefined ? 'sleep' : opts.reduction;
  const reduction = reductionFor(reductionName, root.threads.length);
  const one = (note: string | null): SearchPhase => ({ ...searchPhase(root, sc, spec, opts), workersNote: note });
  if (opts.maxDepth !== undefined) return one('--max-depth needs one worker');
  if (reduction.name !== 'none' && root.threads.length > MAX_MASK_THREADS) return one(`more than ${MAX_MASK_THREADS} threads`);
  const n = Math.min(workers, MAX_WORKERS);
  if (enabledThreads(root).length === 0) return one(null);

  const t0 = performance.now();
  const ctlBuf = new SharedArrayBuffer(CTL.length * 4);
  const ctl = new Int32Array(ctlBuf);
  let capLog2 = 16;
  const maxStates = opts.maxStates ?? Infinity;
  let table = new SharedTable(SharedTable.create(capLog2), ctl, { next: 0, end: 0, size: 1 });
  ctl[CTL.capLog2] = capLog2;
  const h = new StateHasher();
  root.fingerprint(h);
  const rootId = table.insert(h.fullHi(), h.fullLo(), 0);
  const deadline = opts.maxTime !== undefined ? Date.now() + opts.maxTime * 1000 : Number.MAX_SAFE_INTEGER;
  const url = workerUrl();

  const ports: MessagePort[] = [];
  const threads: Worker[] = [];
  const done: (Done | null)[] = Array.from({ length: n }, () => null);
  const errors: string[] = [];
  const idle = new Set<number>();
  const paused = new Set<number>();
  const queue: WorkItem[] = [];
  let finishing = false;

  const send = (w: number, msg: unknown) => {
    ports[w]!.postMessage(msg);
    Atomics.add(ctl, CTL.mail + CTL.stride * w, 1);
    Atomics.notify(ctl, CTL.mail + CTL.stride * w);
  };
  const growing = () => Atomics.load(ctl, CTL.grow) !== 0;

  const result = await new Promise<Done[] | Error>((resolve) => {
    const progress = opts.onProgress ? setInterval(() => {
      let tr = 0;
      for (let i = 0; i < n; i++) tr += Atomics.load(ctl, CTL.transitions + CTL.stride * i);
      const el = performance.now() - t0;
      const distinct = Atomics.load(ctl, CTL.nextId);
      opts.onProgress!({ distinct, transitions: tr, depth: 0, maxDepth: 0, frontier: queue.length, elapsedMs: el, statesPerSec: el > 0 ? (distinct / el) * 1000 : 0 });
    }, 1000) : null;
    const end = (x: Done[] | Error) => {
      if (progress) clearInterval(progress);
      resolve(x);
    };
    const maybeFinish = () => {
      if (finishing) return;
      const stopping = Atomics.load(ctl, CTL.stop) !== 0;
      if (idle.size === n && (stopping || (queue.length === 0 && Atomics.load(ctl, CTL.hungry) === n))) {
        finishing = true;
        Atomics.compareExchange(ctl, CTL.stop, 0, STOP_DONE);
        for (let w = 0; w < n; w++) send(w, { type: 'finish' });
      }
    };
    const maybeGrow = () => {
      if (!growing() || paused.size + idle.size < n) return;
      // every worker is stopped at a safe point or idle: copy into a table twice as large
      capLog2++;
      const bigger = new SharedTable(SharedTable.create(capLog2), ctl);
      table.growInto(bigger);
      table = bigger;
      ctl[CTL.capLog2] = capLog2;
      Atomics.store(ctl, CTL.grow, 0);
      for (let w = 0; w < n; w++) send(w, { type: 'table', buffer: bigger.buffer });
      paused.clear();
      dispatch();
    };
    const dispatch = () => {
      while (!growing() && queue.length && idle.size) {
        const w = idle.values().next().value as number;
        idle.delete(w);
        send(w, queue.shift());
      }
    };
    const onMessage = (w: number, msg: { type: string; [k: string]: unknown }) => {
      switch (msg.type) {
        case 'idle':
          // hungry = idle workers - sub-trees on their way - sub-trees queued (donors take one each)
          idle.add(w);
          Atomics.add(ctl, CTL.hungry, 1);
          dispatch();
          maybeGrow();
          maybeFinish();
          break;
        case 'item':
          if (finishing || Atomics.load(ctl, CTL.stop) !== 0) break;
          queue.push(msg as unknown as WorkItem);
          dispatch();
          break;
        case 'paused':
          paused.add(w);
          maybeGrow();
          break;
        case 'error':
          errors.push(String(msg.message));
          break;
        case 'done':
          done[w] = msg as unknown as Done;
          if (done.every((d) => d !== null)) end(done as Done[]);
          break;
      }
    };
    for (let w = 0; w < n; w++) {
      const { port1, port2 } = new MessageChannel();
      const init: WorkerInit & { mmsimCheckWorker: true } = {
        mmsimCheckWorker: true, index: w, sc, spec: specToData(spec), reduction: reduction.name, debug: opts.debug === true, reuse: opts.reuse,
        ctl: ctlBuf, table: table.buffer, port: port2, maxStates, deadline,
      };
      const worker = new Worker(url, { workerData: init, transferList: [port2] });
      worker.on('error', (e) => end(e instanceof Error ? e : new Error(String(e))));
      worker.on('exit', (code) => {
        if (code !== 0 && done[w] === null) end(new Error(`check worker ${w} exited with status ${code}`));
      });
      port1.on('message', (msg) => onMessage(w, msg));
      ports.push(port1);
      threads.push(worker);
    }
    // worker 0 takes the root; the others ask for work
    for (let w = 1; w < n; w++) idle.add(w);
    Atomics.store(ctl, CTL.hungry, n - 1);
    send(0, { type: 'item', path: [], steps: enabledThreads(root), id: rootId } satisfies WorkItem);
  });
  for (const p of ports) p.close();
  await Promise.all(threads.map((t) => t.terminate()));
  const elapsedMs = performance.now() - t0;
  if (result instanceof Error) throw result;

  const why = Atomics.load(ctl, CTL.stop);
  if (why === STOP_CYCLE) return one(`a cycle: searched again by one worker`);
  if (why === STOP_ERROR || errors.length) return one(`a worker failed (${errors[0] ?? 'unknown'}): searched again by one worker`);
  // ids are handed out in blocks: the root and what each worker stored first are the distinct states
  const distinct = 1 + result.reduce((a, d) => a + d.stats.distinct, 0);
  // the explored edges of every worker: a cycle among them closed across workers
  // (the interleavings are counted only where they are printed: without a reduction)
  const shape = graphShape(Atomics.load(ctl, CTL.nextId), result.flatMap((d) => d.edges), result.flatMap((d) => [...d.groups.values()].flatMap((o) => o.states)), reduction.name === 'none');
  if (shape.cyclic) return one(`a cycle across workers: searched again by one worker`);

  const sum = (f: (s: WorkerStats) => number) => result.reduce((a, d) => a + f(d.stats), 0);
  const stats: SearchStats = {
    distinct, explored: sum((s) => s.explored), transitions: sum((s) => s.transitions), pruned: sum((s) => s.pruned),
    revisits: sum((s) => s.revisits), reexpanded: sum((s) => s.reexpanded), terminal: sum((s) => s.terminal), cycles: 0,
    maxDepth: Math.max(...result.map((d) => d.stats.maxDepth)), elapsedMs, handedOver: sum((s) => s.donated),
  };
  const firsts = result.map((d) => d.firstViolationAt).filter((x): x is number => x !== null);
  const stopped = why === STOP_MAX_STATES ? 'max-states' : why === STOP_MAX_TIME ? 'max-time' : null;
  return {
    outcomes: mergeOutcomes(result.map((d) => d.groups)), stats, complete: stopped === null, stopped, reduction: reduction.name, graph: null,
    interleavings: stopped === null && shape.paths !== null ? { paths: shape.paths, cyclic: false } : null,
    firstViolationAt: firsts.length ? Math.min(...firsts) : null, workers: n, workersNote: null,
  };
}

/**
 * Whether the explored edges (pairs of state ids, from each worker) close a cycle (Kahn's algorithm:
 * a graph is acyclic when repeatedly removing states without incoming edges removes all of them), and
 * the number of paths from the root (id 0) to terminal states.
 */
export function graphShape(nStates: number, edgeLists: Int32Array[], terminals: number[], countPaths = true): { cyclic: boolean; paths: number | null } {
  const outDeg = new Int32Array(nStates + 1);
  const inDeg = new Int32Array(nStates);
  let m = 0;
  for (const e of edgeLists) {
    for (let j = 0; j < e.length; j += 2) {
      outDeg[e[j]! + 1]!++;
      inDeg[e[j + 1]!]!++;
    }
    m += e.length >> 1;
  }
  for (let i = 0; i < nStates; i++) outDeg[i + 1]! += outDeg[i]!;
  const start = outDeg; // prefix sums: edges of v are at [start[v], start[v + 1])
  const fill = start.slice(0, nStates);
  const to = new Int32Array(m);
  for (const e of edgeLists) for (let j = 0; j < e.length; j += 2) to[fill[e[j]!]!++] = e[j + 1]!;
  const order = new Int32Array(nStates);
  let head = 0, tail = 0;
  for (let v = 0; v < nStates; v++) if (inDeg[v] === 0) order[tail++] = v;
  while (head < tail) {
    const v = order[head++]!;
    for (let k = start[v]!; k < start[v + 1]!; k++) if (--inDeg[to[k]!]! === 0) order[tail++] = to[k]!;
  }
  if (tail < nStates) return { cyclic: true, paths: null };
  if (!countPaths) return { cyclic: false, paths: null };
  // paths to terminal states, in reverse topological order
  const count = new Float64Array(nStates);
  for (const t of terminals) count[t] = 1;
  for (let i = nStates - 1; i >= 0; i--) {
    const v = order[i]!;
    let c = count[v]!;
    for (let k = start[v]!; k < start[v + 1]!; k++) c += count[to[k]!]!;
    count[v] = c;
  }
  return { cyclic: false, paths: nStates ? count[0]! : 0 };
}

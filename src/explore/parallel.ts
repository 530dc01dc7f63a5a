// `mmsim check --workers N`: the exhaustive search by N explorers (worker.ts) over one visited set
// (shared-table.ts): the main thread's own and N - 1 worker threads, coordinated from the main thread.
//
// - The main thread searches from the start, from the root, while the worker threads start (each loads
//   the model and runs the scenario's setup, a few tenths of a second); a worker thread says when it is
//   ready, and only then is it handed work. So no one waits for the workers, a search that ends before
//   they are ready is the main thread's alone, and nothing the main thread found is thrown away.
// - Work is handed out as sub-trees: a path from the root (thread indices) and the steps to take from
//   the state it reaches. An idle explorer says so, the main thread counts it in CTL.hungry, and a busy
//   explorer gives away the untried steps of the shallowest state on its stack (the receiver replays
//   the path). The search ends when every explorer that is ready is idle and no sub-tree is on its way.
// - The main thread coordinates between two steps of its own search (every 16 steps it looks whether a
//   worker posted a message: one atomic load), and, when it has nothing to explore, waits for messages
//   with the event loop running. It grows the table itself, at one of its safe points.
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
import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
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
import { createExplorer, specToData, type Explorer, type ExplorerDone, type WorkItem, type WorkerInit, type WorkerStats } from './worker.js';

/** the worker's script: next to this file once built; from the sources (tests), the built copy */
function workerUrl(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL('./worker.js', import.meta.url);
  const built = join(dirname(here), '..', '..', 'dist', 'src', 'explore', 'worker.js');
  if (!existsSync(built)) throw new Error(`check --workers: ${built} is missing (npm run build)`);
  return new URL('file://' + built);
}

/** Atomics.waitAsync (Node.js 16 and later; not in TypeScript's ES2022 library) */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, timeout: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/**
 * The young generation of a worker thread, MiB (1 MiB semi-spaces): V8's default grows them to 16 MiB,
 * which only adds memory to a search (it keeps its states in typed arrays; a transition leaves about 115
 * bytes of garbage). The main thread's cannot be set once the process runs (V8 reads
 * --max-semi-space-size when it makes the heap): docs/check.md, "The SPIN anchor".
 */
export const CHECK_YOUNG_GENERATION_MB = 3;

/** what a worker thread that never took part found: nothing */
const NOTHING = (): ExplorerDone => ({
  stats: { distinct: 0, explored: 0, transitions: 0, pruned: 0, revisits: 0, reexpanded: 0, terminal: 0, maxDepth: 0, donated: 0 },
  groups: new Map(), firstViolationAt: null, edges: [],
});

/** a worker that failed to report for this long while the main thread waits for it to stop is taken as dead */
const STALL_MS = 30_000;

/**
 * The search with `workers` explorers: this thread's and workers - 1 worker threads, started once this
 * thread has searched for `startAfterMs` (0: at once; a search over before then starts none); falls back
 * to one worker where it must (see above).
 */
export async function searchParallel(
  root: Machine, sc: CompiledScenario, spec: KernelSpec, opts: CheckOptions, workers: number, startAfterMs = 0,
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

  // explorer 0 is this thread's; 1 .. n - 1 are worker threads
  const ports: (MessagePort | null)[] = Array.from({ length: n }, () => null);
  const threads: (Worker | null)[] = Array.from({ length: n }, () => null);
  const done: (ExplorerDone | null)[] = Array.from({ length: n }, () => null);
  /** a worker thread is ready once it said it is idle (before, it holds no work and inserts nothing) */
  const ready = new Uint8Array(n);
  ready[0] = 1;
  const gotWork = new Uint8Array(n);
  gotWork[0] = 1;
  const errors: string[] = [];
  const idle = new Set<number>();
  const paused = new Set<number>();
  const queue: WorkItem[] = [];
  let finishing = false;
  let ended = false;
  let fatal: Error | null = null;
  let started = false;
  /** the sub-tree this thread explores next */
  let mainItem: WorkItem | null = { type: 'item', path: [], steps: enabledThreads(root), id: rootId };
  /** this thread is at a safe point (in its explorer's grown()) */
  let mainSafe = false;

  const send = (w: number, msg: unknown) => {
    ports[w]!.postMessage(msg);
    Atomics.add(ctl, CTL.mail + CTL.stride * w, 1);
    Atomics.notify(ctl, CTL.mail + CTL.stride * w);
  };
  const growing = () => Atomics.load(ctl, CTL.grow) !== 0;
  const stopping = () => Atomics.load(ctl, CTL.stop) !== 0;

  const maybeFinish = () => {
    if (finishing) return;
    // every explorer that is ready is idle (a worker thread still starting holds no work)
    for (let w = 0; w < n; w++) if (ready[w] && !idle.has(w)) return;
    // hungry = idle explorers - sub-trees on their way - sub-trees queued
    if (stopping() || (queue.length === 0 && Atomics.load(ctl, CTL.hungry) === idle.size)) {
      finishing = true;
      Atomics.compareExchange(ctl, CTL.stop, 0, STOP_DONE);
      done[0] = mainEx.done();
      for (let w = 1; w < n; w++) {
        if (ready[w]) send(w, { type: 'finish' });
        else done[w] = NOTHING();
      }
    }
  };
  const maybeGrow = () => {
    if (!growing()) return;
    // every explorer that may insert is stopped at a safe point or idle
    if (!mainSafe && !idle.has(0)) return;
    for (let w = 1; w < n; w++) if (ready[w] && !paused.has(w) && !idle.has(w)) return;
    capLog2++;
    const bigger = new SharedTable(SharedTable.create(capLog2), ctl);
    table.growInto(bigger);
    table = bigger;
    ctl[CTL.capLog2] = capLog2;
    Atomics.store(ctl, CTL.grow, 0);
    // (a worker still starting takes it too: its messages are read in order)
    for (let w = 1; w < n; w++) if (ports[w] !== null) send(w, { type: 'table', buffer: bigger.buffer });
    if (!mainSafe) mainEx.setTable(bigger.buffer);
    paused.clear();
    dispatch();
  };
  const dispatch = () => {
    while (!growing() && queue.length && idle.size) {
      // this thread first (its code is warm), then the workers in order
      const w = idle.has(0) ? 0 : (idle.values().next().value as number);
      idle.delete(w);
      gotWork[w] = 1;
      const item = queue.shift()!;
      if (w === 0) mainItem = item;
      else send(w, item);
    }
  };
  const onMessage = (w: number, msg: { type: string; [k: string]: unknown }) => {
    switch (msg.type) {
      case 'idle':
        if (finishing) break;
        ready[w] = 1;
        idle.add(w);
        Atomics.add(ctl, CTL.hungry, 1);
        dispatch();
        maybeGrow();
        maybeFinish();
        break;
      case 'item':
        if (finishing || stopping()) break;
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
        done[w] = msg as unknown as ExplorerDone;
        break;
    }
  };
  /** read every worker thread's messages */
  const pump = () => {
    for (let w = 1; w < n; w++) {
      const p = ports[w];
      if (p === null) continue;
      for (let r = receiveMessageOnPort(p); r !== undefined; r = receiveMessageOnPort(p)) onMessage(w, r.message as { type: string });
    }
  };
  let lastProgress = t0;
  const progress = (now: number) => {
    if (!opts.onProgress || now - lastProgress < 1000) return;
    lastProgress = now;
    let tr = 0;
    for (let i = 0; i < n; i++) tr += Atomics.load(ctl, CTL.transitions + CTL.stride * i);
    const el = now - t0;
    const distinct = Atomics.load(ctl, CTL.nextId);
    opts.onProgress({ distinct, transitions: tr, depth: 0, maxDepth: 0, frontier: queue.length, elapsedMs: el, statesPerSec: el > 0 ? (distinct / el) * 1000 : 0 });
  };
  const start = () => {
    started = true;
    const url = workerUrl();
    for (let w = 1; w < n; w++) {
      const { port1, port2 } = new MessageChannel();
      const init: WorkerInit & { mmsimCheckWorker: true } = {
        mmsimCheckWorker: true, index: w, sc, spec: specToData(spec), reduction: reduction.name, debug: opts.debug === true, reuse: opts.reuse,
        ctl: ctlBuf, table: table.buffer, port: port2, maxStates, deadline,
      };
      const worker = new Worker(url, { workerData: init, transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: CHECK_YOUNG_GENERATION_MB } });
      worker.on('error', (e) => { if (!ended) fatal ??= e instanceof Error ? e : new Error(String(e)); });
      worker.on('exit', (code) => {
        if (!ended && code !== 0 && done[w] === null) fatal ??= new Error(`check worker ${w} exited with status ${code}`);
      });
      ports[w] = port1;
      threads[w] = worker;
    }
  };

  let mailSeen = 0;
  let polls = 0;
  const mainEx: Explorer = createExplorer({
    index: 0, sc, spec, root, reduction: reduction.name, reuse: opts.reuse, ctl: ctlBuf, table: table.buffer, maxStates, deadline,
  }, {
    post: (msg) => onMessage(0, msg),
    grown: () => {
      // wait, reading messages, until every other explorer is stopped or idle; then grow the table here
      mainSafe = true;
      try {
        let last = performance.now();
        for (;;) {
          const v = Atomics.load(ctl, CTL.mail);
          pump();
          maybeGrow();
          if (!growing()) return table.buffer;
          if (Atomics.wait(ctl, CTL.mail, v, 50) !== 'timed-out') last = performance.now();
          else if (performance.now() - last > STALL_MS) {
            // a worker thread died without a word: stop (the search is done again on one worker)
            Atomics.compareExchange(ctl, CTL.stop, 0, STOP_ERROR);
            errors.push(`a worker did not stop for the table to grow within ${STALL_MS / 1000} s`);
            return table.buffer;
          }
        }
      } finally {
        mainSafe = false;
      }
    },
    poll: () => {
      // (every 16 steps: one atomic load, unless a worker posted something)
      const v = Atomics.load(ctl, CTL.mail);
      if (v !== mailSeen) {
        mailSeen = v;
        pump();
      }
      if ((++polls & 63) === 0) {
        const now = performance.now();
        if (!started && now - t0 >= startAfterMs) start();
        progress(now);
      }
    },
  });

  if (startAfterMs <= 0) start();
  try {
    for (;;) {
      if (fatal !== null) break;
      if (mainItem !== null) {
        const item = mainItem;
        mainItem = null;
        try {
          if (!stopping()) mainEx.explore(item);
        } catch (e) {
          Atomics.compareExchange(ctl, CTL.stop, 0, STOP_ERROR);
          errors.push((e as Error).message);
        }
        onMessage(0, { type: 'idle' });
        continue;
      }
      if (finishing && done.every((d) => d !== null)) break;
      const v = Atomics.load(ctl, CTL.mail);
      pump();
      if (mainItem !== null || (finishing && done.every((d) => d !== null))) continue;
      progress(performance.now());
      // idle: wait for a message, letting the event loop run (a worker's error or exit)
      const r = waitAsync(ctl, CTL.mail, v, 50);
      if (r.async) await r.value;
    }
  } finally {
    ended = true;
    for (const p of ports) p?.close();
    await Promise.all(threads.map((t) => t?.terminate()));
  }
  const elapsedMs = performance.now() - t0;
  if (fatal !== null) throw fatal;
  const result = done as ExplorerDone[];

  const why = Atomics.load(ctl, CTL.stop);
  if (why === STOP_CYCLE) return one(`a cycle: searched again by one worker`);
  if (why === STOP_ERROR || errors.length) return one(`a worker failed (${errors[0] ?? 'unknown'}): searched again by one worker`);
  // ids are handed out in blocks: the root and what each explorer stored first are the distinct states
  const distinct = 1 + result.reduce((a, d) => a + d.stats.distinct, 0);
  // the explored edges of every explorer: a cycle among them closed across explorers
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
  const took = gotWork.reduce((a, x) => a + x, 0);
  return {
    outcomes: mergeOutcomes(result.map((d) => d.groups)), stats, complete: stopped === null, stopped, reduction: reduction.name, graph: null,
    interleavings: stopped === null && shape.paths !== null ? { paths: shape.paths, cyclic: false } : null,
    firstViolationAt: firsts.length ? Math.min(...firsts) : null, workers: took,
    workersNote: took === n ? null : !started ? `over within ${startAfterMs} ms: on the main thread` : `over before ${n - took} of the ${n - 1} worker threads took part`,
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

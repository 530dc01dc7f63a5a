// The explorer of a parallel `mmsim check` (parallel.ts), run by the main thread and by each worker
// thread. A worker thread rebuilds the machine from the compiled scenario and the kernel spec (setup,
// untraced), says it is idle, then explores the sub-trees the main thread hands it, as paths from the
// root (thread indices) that it replays. The visited set is the shared table (shared-table.ts); the
// reduction is reduction.ts's, as in search.ts. While it explores, an explorer gives the shallowest
// untried steps of its stack to an idle one when one asks (CTL.hungry).
//
// The depth-first loop is search.ts's, minus what needs one worker: the depth bound and the cycle
// proviso. A step back to a state on this worker's path from the root (the replayed prefix and the
// stack, by control view) closes a cycle: the worker stops every worker (STOP_CYCLE) and the main
// thread searches again with one (docs/check.md, "Several workers").
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { CompiledScenario } from '../scenario/load.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { PATCH_LIST } from '../profiles/patches.js';
import type { Machine } from '../sched/machine.js';
import { StateHasher } from './hash.js';
import { StackIndex, enabledThreads } from './search.js';
import { Stepper, stepOnce, stateOf, stepsWhere, type ReuseMode, type State } from './step.js';
import { checkRoot } from './root.js';
import { OutcomeRecorder, type Outcome } from './outcomes.js';
import { REDUCTIONS, type MaskCell, type ReductionFrame, type ReductionName } from './reduction.js';
import { CTL, ID_BLOCK, SharedTable, STOP_CYCLE, STOP_ERROR, STOP_MAX_STATES, STOP_MAX_TIME } from './shared-table.js';

export interface SpecData {
  name: string;
  profile: string;
  release: string;
  patches: number[];
  config: KernelSpec['config'];
  arch: KernelSpec['arch'];
  outOfScope: KernelSpec['outOfScope'];
}

export interface WorkerInit {
  index: number;
  /** the compiled scenario (plain data: a structured clone of the main thread's, no loading again) */
  sc: CompiledScenario;
  spec: SpecData;
  reduction: ReductionName;
  debug: boolean;
  ctl: SharedArrayBuffer;
  table: SharedArrayBuffer;
  port: MessagePort;
  maxStates: number;
  /** epoch ms after which the search stops */
  deadline: number;
  /** step reuse (step.ts) */
  reuse?: ReuseMode;
}

/** a sub-tree: the state reached by `path` from the root (its id), and the steps to take from it */
export interface WorkItem {
  type: 'item';
  path: number[];
  steps: number[];
  id: number;
}

export interface WorkerStats {
  /** states this worker stored first */
  distinct: number;
  explored: number;
  transitions: number;
  pruned: number;
  revisits: number;
  reexpanded: number;
  terminal: number;
  maxDepth: number;
  donated: number;
}

export function specFromData(d: SpecData): KernelSpec {
  return { name: d.name, profile: d.profile, release: d.release, patches: new Set(d.patches.map((i) => PATCH_LIST[i]!)), config: d.config, arch: d.arch, outOfScope: d.outOfScope };
}

export function specToData(s: KernelSpec): SpecData {
  return { name: s.name, profile: s.profile, release: s.release, patches: [...s.patches].map((p) => p.index), config: s.config, arch: s.arch, outOfScope: s.outOfScope };
}

interface Frame {
  s: State;
  id: number;
  depth: number;
  todo: number[];
  cursor: number;
  red: ReductionFrame;
  via: number;
}

/** what an explorer needs from the thread it runs on (a worker thread's port, or the main thread's coordinator) */
export interface ExplorerHost {
  /** a message to the coordinator: a sub-tree given away ('item'), 'idle', 'error' */
  post(msg: { type: string; [k: string]: unknown }): void;
  /**
   * CTL.grow is set and this explorer is at a safe point (no insertion under way): return the buffer of
   * the table to use from now on (after every explorer stopped and the table was grown)
   */
  grown(): SharedArrayBuffer;
  /** called every 16 steps, between two steps (the main thread's coordinator reads its messages) */
  poll?(): void;
}

export interface Explorer {
  /** explore a sub-tree (returns when it is done, or the search stops) */
  explore(item: WorkItem): void;
  /** the table was grown while this explorer was idle: use this one */
  setTable(buffer: SharedArrayBuffer): void;
  /** what it found (once, at the end) */
  done(): ExplorerDone;
  readonly stats: WorkerStats;
}

/** what an explorer found, handed to the coordinator at the end */
export interface ExplorerDone {
  stats: WorkerStats;
  groups: Map<string, Outcome>;
  firstViolationAt: number | null;
  /** explored edges, (from id, to id) pairs, in chunks */
  edges: Int32Array[];
}

export interface ExplorerInit {
  index: number;
  sc: CompiledScenario;
  spec: KernelSpec;
  /** the machine after the scenario's setup (not stepped: the explorer steps clones of it) */
  root: Machine;
  reduction: ReductionName;
  reuse?: ReuseMode;
  ctl: SharedArrayBuffer;
  table: SharedArrayBuffer;
  maxStates: number;
  deadline: number;
}

/**
 * The depth-first explorer of sub-trees over the shared table: one per thread of a parallel search (the
 * main thread's and each worker thread's).
 */
export function createExplorer(init: ExplorerInit, host: ExplorerHost): Explorer {
  const ctl = new Int32Array(init.ctl);
  const transIdx = CTL.transitions + CTL.stride * init.index;
  let table = new SharedTable(init.table, ctl, { next: 0, end: 0, size: Number.isFinite(init.maxStates) ? 1 : ID_BLOCK });
  const post = host.post;
  const poll = host.poll;
  const root = init.root;
  const reduction = REDUCTIONS[init.reduction];
  const rec = new OutcomeRecorder(init.sc, init.spec);
  const h = new StateHasher();
  const stepper = new Stepper(root.clone(), h, init.reuse ?? 'off');
  const stats: WorkerStats = { distinct: 0, explored: 0, transitions: 0, pruned: 0, revisits: 0, reexpanded: 0, terminal: 0, maxDepth: 0, donated: 0 };
  // explored edges (from id, to id), in chunks: no copy when they grow, and handed over without one
  const EDGE_CHUNK = 1 << 20;
  const chunks: Int32Array[] = [];
  let edges = new Int32Array(1 << 12);
  let nEdges = 0;
  const addEdge = (from: number, to: number) => {
    if (nEdges === edges.length) {
      if (edges.length < EDGE_CHUNK) {
        const e = new Int32Array(edges.length * 4);
        e.set(edges);
        edges = e;
      } else {
        chunks.push(edges);
        edges = new Int32Array(EDGE_CHUNK);
        nEdges = 0;
      }
    }
    edges[nEdges++] = from;
    edges[nEdges++] = to;
  };
  const cell: MaskCell & { slot: number } = {
    slot: 0,
    get() {
      return table.maskAt(this.slot);
    },
    and(x: number) {
      return table.andMask(this.slot, x);
    },
  };

  /** a safe point: no insertion under way. Stop, or wait while the table is grown. */
  const safePoint = (): boolean => {
    if (Atomics.load(ctl, CTL.grow) !== 0) table = new SharedTable(host.grown(), ctl, table.ids);
    return Atomics.load(ctl, CTL.stop) === 0;
  };

  const stop = (why: number) => {
    Atomics.compareExchange(ctl, CTL.stop, 0, why);
  };
  // frames popped off the stack, for the next pushes
  const framePool: Frame[] = [];
  const todoPool: number[][] = [];
  const explore = (item: WorkItem) => {
    const onStack = new StackIndex();
    // replay the path from the root, indexing the control view of every state on it
    const m = root.clone();
    h.reset();
    m.fingerprint(h);
    onStack.push(h.controlHi(), h.controlLo(), 0);
    for (let i = 0; i < item.path.length; i++) {
      stepOnce(m, item.path[i]!);
      h.reset();
      m.fingerprint(h);
      onStack.push(h.controlHi(), h.controlLo(), i + 1);
    }
    const base = item.path.length;
    // (a structured clone's array has another shape than the search's: see stepsWhere)
    const stack: Frame[] = [{ s: stateOf(m), id: item.id, depth: base, todo: stepsWhere(item.steps, () => true), cursor: 0, red: reduction.root(), via: item.path[base - 1] ?? -1 }];
    stats.explored++;
    let tick = 0;
    while (stack.length) {
      if ((ctl[CTL.grow]! | ctl[CTL.stop]!) !== 0 && !safePoint()) return;
      if ((++tick & 15) === 0) {
        if (poll !== undefined) poll();
        if (Atomics.load(ctl, CTL.hungry) > 0) donate(item.path, stack);
        if ((tick & 1023) === 0) {
          Atomics.store(ctl, transIdx, stats.transitions);
          if (Date.now() > init.deadline) {
            stop(STOP_MAX_TIME);
            return;
          }
        }
      }
      const f = stack[stack.length - 1]!;
      if (f.cursor >= f.todo.length) {
        stack.pop();
        onStack.pop(base + stack.length);
        reduction.release(f.red);
        stepper.release(f.s);
        f.s = null!;
        todoPool.push(f.todo);
        f.todo = null!;
        framePool.push(f);
        continue;
      }
      const t = f.todo[f.cursor++]!;
      const red = f.red;
      if (((red.mask >>> t) & 1) !== 0) {
        stats.pruned++;
        continue;
      }
      const last = f.cursor >= f.todo.length;
      // (c: null when the step was replayed and the state not made; stepper.state() makes it)
      const { red: childRed, fullHi, fullLo, ctrlHi, ctrlLo } = stepper.next(f.s, red, t, last);
      stats.transitions++;
      const id = table.insert(fullHi, fullLo, reduction.stored(childRed));
      const fresh = table.fresh;
      const slot = table.slot;
      addEdge(f.id, id);
      if (onStack.find(ctrlHi, ctrlLo) >= 0) {
        stop(STOP_CYCLE);
        return;
      }
      const depth = f.depth + 1;
      let todo: number[];
      let c: State;
      if (fresh) {
        c = stepper.state();
        stats.distinct++;
        if (ctl[CTL.nextId]! >= init.maxStates) stop(STOP_MAX_STATES);
        if (depth > stats.maxDepth) stats.maxDepth = depth;
        const en = stepper.enabled(c, todoPool.pop());
        if (en.length === 0) {
          stats.terminal++;
          rec.terminal(stepper.machine(c), id, depth, fullHi, fullLo);
          reduction.release(childRed);
          continue;
        }
        todo = en;
      } else {
        stats.revisits++;
        cell.slot = slot;
        const missing = reduction.revisit(cell, childRed);
        if (missing === 0) { reduction.release(childRed); continue; }
        c = stepper.state();
        todo = stepsWhere(stepper.enabled(c), (x) => ((missing >>> x) & 1) !== 0);
        if (todo.length === 0) { reduction.release(childRed); continue; }
        stats.reexpanded++;
      }
      stats.explored++;
      // (frames are reused: a depth-first search needs as many as its deepest stack)
      const nf = framePool.pop();
      if (nf === undefined) stack.push({ s: c, id, depth, todo, cursor: 0, red: childRed, via: t });
      else {
        nf.s = c;
        nf.id = id;
        nf.depth = depth;
        nf.todo = todo;
        nf.cursor = 0;
        nf.red = childRed;
        nf.via = t;
        stack.push(nf);
      }
      onStack.push(ctrlHi, ctrlLo, base + stack.length - 1);
    }
  };

  /**
   * An idle worker asks for work: hand it the untried steps of the shallowest frame that has some (the
   * largest sub-trees), keeping at least one step for this worker.
   */
  const donate = (prefix: number[], stack: Frame[]) => {
    for (let k = 0; k < stack.length; k++) {
      const f = stack[k]!;
      let left = 0;
      for (let j = f.cursor; j < f.todo.length; j++) if (((f.red.mask >>> f.todo[j]!) & 1) === 0) left++;
      if (left === 0) continue;
      const rest: number[] = [];
      for (let j = f.cursor; j < f.todo.length; j++) if (((f.red.mask >>> f.todo[j]!) & 1) === 0) rest.push(f.todo[j]!);
      const top = k === stack.length - 1;
      if (top && rest.length < 2) return;
      const give = top ? rest.slice(rest.length >> 1) : rest;
      // claim one request
      let v = Atomics.load(ctl, CTL.hungry);
      for (;;) {
        if (v <= 0) return;
        const was = Atomics.compareExchange(ctl, CTL.hungry, v, v - 1);
        if (was === v) break;
        v = was;
      }
      const given = new Set(give);
      const kept = [...f.todo.slice(0, f.cursor), ...f.todo.slice(f.cursor).filter((x) => !given.has(x))];
      f.todo = stepsWhere(kept, () => true);
      const path = prefix.slice();
      for (let j = 1; j <= k; j++) path.push(stack[j]!.via);
      stats.donated++;
      post({ type: 'item', path, steps: give, id: f.id } satisfies WorkItem);
      return;
    }
  };

  const done = (): ExplorerDone => {
    Atomics.store(ctl, transIdx, stats.transitions);
    // observations as the main thread would print them: a structured clone keeps data, not methods (toJSON)
    for (const o of rec.groups.values()) o.observation = plain(o.observation) as typeof o.observation;
    return { stats, groups: rec.groups, firstViolationAt: rec.firstViolationAt, edges: [...chunks, edges.subarray(0, nEdges)] };
  };
  return {
    explore: (item: WorkItem) => {
      explore(item);
      Atomics.store(ctl, transIdx, stats.transitions);
    },
    setTable: (buffer: SharedArrayBuffer) => {
      table = new SharedTable(buffer, ctl, table.ids);
    },
    done,
    stats,
  };
}

/** a worker thread: its explorer, fed by the main thread's messages */
function run(init: WorkerInit): void {
  const ctl = new Int32Array(init.ctl);
  const port = init.port;
  const mailIdx = CTL.mail + CTL.stride * init.index;
  // the main thread's mailbox: bumped after every message posted to it
  const mainIdx = CTL.mail;
  const post = (msg: unknown, transfer?: ArrayBuffer[]) => {
    port.postMessage(msg, transfer ?? []);
    Atomics.add(ctl, mainIdx, 1);
    Atomics.notify(ctl, mainIdx);
  };
  const wait = (): { type: string; [k: string]: unknown } => {
    for (;;) {
      const v = Atomics.load(ctl, mailIdx);
      const r = receiveMessageOnPort(port);
      if (r) return r.message as { type: string };
      Atomics.wait(ctl, mailIdx, v);
    }
  };
  const sc = init.sc;
  const spec = specFromData(init.spec);
  let ex: Explorer | null = null;
  try {
    const root = checkRoot(sc, spec, init.debug);
    ex = createExplorer({
      index: init.index, sc, spec, root, reduction: init.reduction, reuse: init.reuse, ctl: init.ctl, table: init.table,
      maxStates: init.maxStates, deadline: init.deadline,
    }, {
      post: (msg) => post(msg),
      grown: () => {
        post({ type: 'paused' });
        const msg = wait();
        if (msg.type !== 'table') throw new Error(`worker ${init.index}: unexpected message '${msg.type}' while paused`);
        return msg.buffer as SharedArrayBuffer;
      },
    });
  } catch (e) {
    Atomics.compareExchange(ctl, CTL.stop, 0, STOP_ERROR);
    post({ type: 'error', message: (e as Error).message, stack: (e as Error).stack });
  }
  // ready: ask for work
  post({ type: 'idle' });
  for (;;) {
    const msg = wait();
    if (msg.type === 'table') {
      // (grown while this worker was idle)
      ex?.setTable(msg.buffer as SharedArrayBuffer);
      continue;
    }
    if (msg.type === 'finish') break;
    if (msg.type === 'item') {
      // (without an explorer, its setup failed: the search is stopping, and redone on one worker)
      try {
        if (ex !== null && Atomics.load(ctl, CTL.stop) === 0) ex.explore(msg as unknown as WorkItem);
      } catch (e) {
        Atomics.compareExchange(ctl, CTL.stop, 0, STOP_ERROR);
        post({ type: 'error', message: (e as Error).message, stack: (e as Error).stack });
      }
      post({ type: 'idle' });
    }
  }
  const d = ex?.done() ?? { stats: null, groups: new Map(), firstViolationAt: null, edges: [] };
  post({ type: 'done', ...d }, d.edges.map((e) => e.buffer as ArrayBuffer));
}

/** x with every object that has a toJSON() replaced by what it returns (bigints kept) */
function plain(x: unknown): unknown {
  if (x === null || typeof x !== 'object') return x;
  const j = (x as { toJSON?: () => unknown }).toJSON;
  if (typeof j === 'function') return plain(j.call(x));
  if (Array.isArray(x)) return x.map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) out[k] = plain(v);
  return out;
}

if (parentPort && workerData && (workerData as { mmsimCheckWorker?: boolean }).mmsimCheckWorker) {
  run(workerData as WorkerInit);
}

// The scenario machine's state in cells of the kernel's Store (src/state/store.ts; docs/state.md): its
// threads, variables, processes, the last result of each operation, checkpoints and data_at tallies.
// Everything here is a view: an object that holds the segments and immutable facts of the scenario
// (names, the layout below) and keeps no state of its own, so a copy of the Store is a copy of the
// machine and a step's recorded cell writes are the whole of what it did to the machine.
//
// Three segments, after the kernel's:
// - `machine`: plain numbers (thread positions, statuses, waits, operands; the process table; which
//   data_at checks have seen a mismatch; deadlock);
// - `machine.stats`: counters (faults at one byte, fault attempts, copies and mismatches counted),
//   hashed into the counter lane as the kernel's vmstat is;
// - `machine.values`: ids of interned values (state/intern.ts): variables, the last record of each
//   operation (errno, result, written-back fields), snapshots, signals, a copy check's first
//   mismatch. The fingerprint takes the hash of each value's key, so workers, which intern in other
//   orders, agree.
import type { Segment, SegmentSpec } from '../state/store.js';
import { intern, internedValue, internHash, internString } from '../state/intern.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/include/sched.js';
import type { MmStruct } from '../kernel/include/mm_types.js';
import type { FaultCont } from '../kernel/arch/x86/mm/fault.js';
import type { UserfaultfdCtx, UffdMsg } from '../kernel/fs/userfaultfd.js';
import type { PopulateCont } from '../kernel/mm/madvise.js';
import type { CompiledScenario } from '../scenario/load.js';
import type { CompiledOp } from '../scenario/ops.js';
import type { Snapshot } from '../scenario/observe.js';
import type { CopyCheck, OpOut, VarValue } from '../scenario/values.js';
import type { Bytes } from '../state/content.js';
import { StateHasher } from '../state/hasher.js';
import { hashPlain } from '../state/hash_values.js';

export const MACHINE_SEGMENTS: readonly SegmentSpec[] = [
  { name: 'machine' },
  { name: 'machine.stats', counter: true },
  { name: 'machine.values', hashValue: internHash },
];

export type ThreadStatus = 'ready' | 'blocked' | 'done' | 'signal' | 'killed' | 'livelock' | 'unborn';
const STATUS: readonly ThreadStatus[] = ['unborn', 'ready', 'blocked', 'done', 'signal', 'killed', 'livelock'];
const STATUS_CODE: Record<ThreadStatus, number> = { unborn: 0, ready: 1, blocked: 2, done: 3, signal: 4, killed: 5, livelock: 6 };

export type Wait =
  | { kind: 'fault'; cont: FaultCont; write: boolean }
  | { kind: 'uffd_read'; ctx: UserfaultfdCtx }
  /** a madvise(MADV_POPULATE_*) whose GUP fault sleeps in handle_userfault: advice `advice` of the op, on [addr, addr+len) */
  | { kind: 'gup'; cont: PopulateCont; advice: number; addr: number; len: number };
export type WaitKind = Wait['kind'];

/** see ThreadState.operands; never changed once made */
export interface MemOperands {
  readonly addr: number;
  readonly len: number;
  /** the stored value's bytes 0..3 and 4..7 (writes) */
  readonly lo: number;
  readonly hi: number;
}

export interface DeliveredSignal {
  readonly sig: number;
  readonly code: number;
  readonly addr: number;
}

// ---- layout --------------------------------------------------------------------------------------

/** cells of one thread in `machine`, at its slot * T_STRIDE (slot 0: setup, slot i + 1: thread i) */
const T_STRIDE = 32;
const T_STATUS = 0, T_PC = 1, T_PROG = 2 /* 2 cells */, T_OPS = 4 /* 0: none; 1 */, T_ADDR = 5 /* 2 */, T_LEN = 7 /* 2 */,
  T_VLO = 9, T_VHI = 10, T_KILLED = 11, T_TASK = 12 /* index + 1 */, T_WAIT = 13 /* 0 none, 1 uffd_read, 2 fault, 3 gup */,
  T_W = 14 /* the wait's fields, up to 14 cells */;
const W_NONE = 0, W_UFFD = 1, W_FAULT = 2, W_GUP = 3;
const WAIT_KINDS: readonly (WaitKind | null)[] = [null, 'uffd_read', 'fault', 'gup'];
// fault: address (2), error_code, flags, major, stage (1 vma_lock, 2 mmap_lock), write
// gup: advice, addr (2), len (2), gup.addr (2), gup.end (2), gup.write, gup.tried, walkEnd (2), unmapped
// uffd_read: the context's index in k.uffds + 1
const W_CELLS = 14;
/** cells of one thread in `machine.stats`: faults at the current byte, attempts of the wait's fault */
const S_STRIDE = 2;

const align = (n: number) => Math.ceil(n / 64) * 64;

/**
 * Where each piece of a scenario's machine lives in the three segments: fixed by the scenario (the
 * names its operations define, its checkpoints, processes and data_at checks), so that every machine
 * of the scenario, in every worker, uses the same cells. Immutable, shared by all of them.
 */
export class Layout {
  readonly slots: number;
  /** cells per thread slot in `machine` and in `machine.stats` */
  readonly threadStride = T_STRIDE;
  readonly statStride = S_STRIDE;
  // machine
  readonly procBase: number;
  readonly procNames: readonly string[];
  readonly procIndex: ReadonlyMap<string, number>;
  readonly copyBase: number;
  readonly deadlockCell: number;
  readonly machineEnd: number;
  // machine.stats
  readonly copyStatBase: number;
  // machine.values
  readonly varBase: number;
  readonly varNames: readonly string[];
  readonly varIndex: ReadonlyMap<string, number>;
  readonly recBase: number;
  /** thread operations in all (op indices 0..nOps-1: thread 0's ops, then thread 1's, ...) */
  readonly nOps: number;
  /** the first op index of each thread */
  readonly opBases: Int32Array;
  /** the thread of each op index */
  readonly opThread: Int32Array;
  readonly snapBase: number;
  readonly snapNames: readonly string[];
  readonly snapIndex: ReadonlyMap<string, number>;
  readonly detailBase: number;
  readonly copyKeys: readonly string[];
  readonly copyChecks: readonly { buffer: string; at: string }[];

  constructor(sc: CompiledScenario) {
    this.slots = sc.threads.length + 1;
    const all: CompiledOp[] = [...sc.setup];
    for (const t of sc.threads) all.push(...t.ops);
    const procs = ['main'], vars: string[] = [], snaps = ['setup'];
    const add = (a: string[], n: string) => {
      if (!a.includes(n)) a.push(n);
    };
    for (const op of all) {
      if ('as' in op && typeof op.as === 'string') add(vars, op.as);
      if (op.op === 'read') add(vars, `\0buf:${op.id}`);
      if (op.op === 'fork') add(procs, op.as);
      if (op.op === 'checkpoint') add(snaps, op.name);
    }
    add(snaps, 'final');
    this.copyChecks = (sc.copyChecks ?? []).map((c) => ({ buffer: c.buffer, at: c.at }));
    this.copyKeys = this.copyChecks.map((c) => `${c.buffer}@${c.at}`);
    this.procNames = procs;
    this.procIndex = new Map(procs.map((n, i) => [n, i]));
    this.varNames = vars;
    this.varIndex = new Map(vars.map((n, i) => [n, i]));
    this.snapNames = snaps;
    this.snapIndex = new Map(snaps.map((n, i) => [n, i]));
    this.procBase = this.slots * T_STRIDE;
    this.copyBase = align(this.procBase + 2 * procs.length);
    this.deadlockCell = this.copyBase + this.copyChecks.length;
    this.machineEnd = this.deadlockCell + 1;
    this.copyStatBase = align(this.slots * S_STRIDE);
    this.opBases = new Int32Array(sc.threads.length);
    let n = 0;
    sc.threads.forEach((t, i) => {
      this.opBases[i] = n;
      n += t.ops.length;
    });
    this.nOps = n;
    this.opThread = new Int32Array(n);
    sc.threads.forEach((t, i) => this.opThread.fill(i, this.opBases[i]!, this.opBases[i]! + t.ops.length));
    this.varBase = align(this.slots);
    this.recBase = align(this.varBase + vars.length);
    this.snapBase = align(this.recBase + 3 * n);
    this.detailBase = align(this.snapBase + snaps.length);
  }

  static of(sc: CompiledScenario): Layout {
    let l = layouts.get(sc);
    if (l === undefined) layouts.set(sc, (l = new Layout(sc)));
    return l;
  }
}
const layouts = new WeakMap<CompiledScenario, Layout>();

/** the segments of a machine: `machine`, `machine.stats`, `machine.values` (MACHINE_SEGMENTS) */
export interface MachineSegs {
  readonly C: Segment;
  readonly S: Segment;
  readonly V: Segment;
}

// ---- numbers up to 2^53 in two cells ---------------------------------------------------------------

const TWO32 = 4294967296;
function getNum(s: Segment, i: number): number {
  return (s.get(i) >>> 0) + s.get(i + 1) * TWO32;
}
function setNum(s: Segment, i: number, v: number): void {
  s.set(i, v % TWO32);
  s.set(i + 1, Math.floor(v / TWO32));
}

// ---- interned values --------------------------------------------------------------------------------

/** a variable as a cell holds it: the value, or (a uffd) the context's position in k.uffds */
type StoredVar = VarValue | { kind: 'uffdAt'; index: number };

/** the key of a variable's value: equal values, equal keys (a buffer by its contents' hashes) */
function varKey(v: StoredVar): string {
  switch (v.kind) {
    case 'mapping': return `m:${v.addrN}:${v.lenN}`;
    case 'uffdAt': return `u:${v.index}`;
    case 'uffd': throw new Error('varKey: a uffd is kept by its index');
    case 'msg': return `g:${v.msg.event}:${v.msg.flags}:${v.msg.address}:${v.msg.ptid}`;
    case 'data': {
      const b = v.bytes;
      return `d:${v.addr}:${b.length}:${b.filled}:${b.nz}:${b.h1}:${b.h2}`;
    }
    case 'ioctls': return `i:${v.value}`;
    case 'process': return `p:${v.name}`;
  }
}

/** "none" in a record's errno or result cell (0 is "no record") */
const NULL_ID = internString('\0null');
const strId = (s: string | null) => (s === null ? NULL_ID : internString(s));
const strOf = (id: number) => (id === NULL_ID ? null : internedValue<string>(id));

/** the hash of a snapshot (every field, the pfns and the memory image's hash included) */
const snapHasher = new StateHasher();
function snapId(s: Snapshot): number {
  hashPlain(snapHasher.reset(), s);
  return intern(`s:${snapHasher.controlHi()}:${snapHasher.controlLo()}`, s);
}

// ---- threads -------------------------------------------------------------------------------------------

/**
 * One scenario thread (or the setup), a view over its cells: name, process, operations and `loop` are
 * the scenario's; everything else is read from and written to cells.
 */
export class ThreadState {
  /** cells of this thread in `machine` and `machine.stats` */
  private readonly b: number;
  private readonly sb: number;
  constructor(
    readonly name: string,
    /** -1: the setup */
    readonly index: number,
    readonly process: string,
    readonly ops: CompiledOp[],
    /** a server thread: after its last operation it starts again at the first (scenario `loop: true`) */
    readonly loop: boolean,
    private readonly k: Kernel,
    private readonly g: MachineSegs,
  ) {
    this.b = (index + 1) * T_STRIDE;
    this.sb = (index + 1) * S_STRIDE;
  }

  get status(): ThreadStatus { return STATUS[this.g.C.get(this.b + T_STATUS)]!; }
  set status(s: ThreadStatus) { this.g.C.set(this.b + T_STATUS, STATUS_CODE[s]); }
  get pc(): number { return this.g.C.get(this.b + T_PC); }
  set pc(v: number) { this.g.C.set(this.b + T_PC, v); }
  /** bytes of the current memory operation already done */
  get progress(): number { return getNum(this.g.C, this.b + T_PROG); }
  set progress(v: number) { setNum(this.g.C, this.b + T_PROG, v); }
  /** faults taken at the current byte without progress (a livelock guard) */
  get spins(): number { return this.g.S.get(this.sb); }
  set spins(v: number) { this.g.S.set(this.sb, v); }
  /** the signal the thread died of */
  get killedBy(): number { return this.g.C.get(this.b + T_KILLED); }
  set killedBy(v: number) { this.g.C.set(this.b + T_KILLED, v); }

  get task(): Task | null {
    const i = this.g.C.get(this.b + T_TASK);
    return i === 0 ? null : this.k.tasks[i - 1]!;
  }
  set task(t: Task | null) { this.g.C.set(this.b + T_TASK, t === null ? 0 : this.k.tasks.indexOf(t) + 1); }

  /**
   * the operands of the memory operation under way (address, length, stored value), evaluated when it
   * started: a CPU retries the faulting instruction at the address in its registers, whatever the
   * scenario's variables became while the thread slept (null between operations)
   */
  get operands(): MemOperands | null {
    const C = this.g.C, b = this.b;
    if (C.get(b + T_OPS) === 0) return null;
    return { addr: getNum(C, b + T_ADDR), len: getNum(C, b + T_LEN), lo: C.get(b + T_VLO) >>> 0, hi: C.get(b + T_VHI) >>> 0 };
  }
  set operands(o: MemOperands | null) {
    const C = this.g.C, b = this.b;
    if (o === null) {
      C.clear(b + T_OPS, T_VHI + 1 - T_OPS);
      return;
    }
    C.set(b + T_OPS, 1);
    setNum(C, b + T_ADDR, o.addr);
    setNum(C, b + T_LEN, o.len);
    C.set(b + T_VLO, o.lo);
    C.set(b + T_VHI, o.hi);
  }

  /**
   * the fatal signal a fault delivered (an interned value: its fingerprint share is the signal number's,
   * as the code and address only describe it)
   */
  get signal(): DeliveredSignal | null {
    const id = this.g.V.get(this.index + 1);
    return id === 0 ? null : internedValue<DeliveredSignal>(id);
  }
  set signal(s: DeliveredSignal | null) {
    this.g.V.set(this.index + 1, s === null ? 0 : intern(`sig:${s.sig}:${s.code}:${s.addr}`, { sig: s.sig, code: s.code, addr: s.addr }, `sig:${s.sig}`));
  }

  /** what a blocked thread waits for (without building the Wait) */
  get waitKind(): WaitKind | null { return WAIT_KINDS[this.g.C.get(this.b + T_WAIT)]!; }
  /** the context a thread blocked in read(2) of a uffd waits on */
  get waitCtx(): UserfaultfdCtx { return this.k.uffds[this.g.C.get(this.b + T_W) - 1]!; }

  /** what a blocked thread waits for: a Wait made from the cells (a copy: change it through the setter) */
  get wait(): Wait | null {
    const C = this.g.C, w = this.b + T_W;
    switch (C.get(this.b + T_WAIT)) {
      case W_NONE: return null;
      case W_UFFD: return { kind: 'uffd_read', ctx: this.k.uffds[C.get(w) - 1]! };
      case W_FAULT: return {
        kind: 'fault',
        cont: { address: getNum(C, w), error_code: C.get(w + 2), flags: C.get(w + 3), major: C.get(w + 4), stage: C.get(w + 5) === 1 ? 'vma_lock' : 'mmap_lock', attempts: this.g.S.get(this.sb + 1) },
        write: C.get(w + 6) === 1,
      };
      default: return {
        kind: 'gup', advice: C.get(w), addr: getNum(C, w + 1), len: getNum(C, w + 3),
        cont: {
          gup: { addr: getNum(C, w + 5), end: getNum(C, w + 7), write: C.get(w + 9) === 1, tried: C.get(w + 10) === 1, attempts: this.g.S.get(this.sb + 1) },
          walkEnd: getNum(C, w + 11), unmapped: C.get(w + 13) === 1,
        },
      };
    }
  }
  set wait(x: Wait | null) {
    const C = this.g.C, w = this.b + T_W;
    C.clear(w, W_CELLS);
    if (x === null) {
      C.set(this.b + T_WAIT, W_NONE);
      this.g.S.set(this.sb + 1, 0);
      return;
    }
    switch (x.kind) {
      case 'uffd_read':
        C.set(this.b + T_WAIT, W_UFFD);
        C.set(w, this.k.uffds.indexOf(x.ctx) + 1);
        this.g.S.set(this.sb + 1, 0);
        return;
      case 'fault': {
        const c = x.cont;
        C.set(this.b + T_WAIT, W_FAULT);
        setNum(C, w, c.address);
        C.set(w + 2, c.error_code);
        C.set(w + 3, c.flags);
        C.set(w + 4, c.major);
        C.set(w + 5, c.stage === 'vma_lock' ? 1 : 2);
        C.set(w + 6, x.write ? 1 : 0);
        this.g.S.set(this.sb + 1, c.attempts);
        return;
      }
      case 'gup': {
        const c = x.cont, gp = c.gup;
        C.set(this.b + T_WAIT, W_GUP);
        C.set(w, x.advice);
        setNum(C, w + 1, x.addr);
        setNum(C, w + 3, x.len);
        setNum(C, w + 5, gp.addr);
        setNum(C, w + 7, gp.end);
        C.set(w + 9, gp.write ? 1 : 0);
        C.set(w + 10, gp.tried ? 1 : 0);
        setNum(C, w + 11, c.walkEnd);
        C.set(w + 13, c.unmapped ? 1 : 0);
        this.g.S.set(this.sb + 1, gp.attempts);
        return;
      }
    }
  }
}

// ---- variables, processes, records, checkpoints, data_at tallies ---------------------------------------

/** a read-only Map over cells, in the layout's order (the scenario's), for the code that reads Maps */
abstract class CellMap<V> implements ReadonlyMap<string, V> {
  protected abstract names(): readonly string[];
  /** the value of the name at index i, undefined when unset */
  protected abstract at(i: number): V | undefined;
  protected abstract indexOf(name: string): number | undefined;
  get(name: string): V | undefined {
    const i = this.indexOf(name);
    return i === undefined ? undefined : this.at(i);
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  get size(): number {
    let n = 0;
    for (let i = 0; i < this.names().length; i++) if (this.at(i) !== undefined) n++;
    return n;
  }
  *entries(): MapIterator<[string, V]> {
    const ns = this.names();
    for (let i = 0; i < ns.length; i++) {
      const v = this.at(i);
      if (v !== undefined) yield [ns[i]!, v];
    }
  }
  *keys(): MapIterator<string> {
    for (const [n] of this.entries()) yield n;
  }
  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
  forEach(fn: (v: V, k: string, m: ReadonlyMap<string, V>) => void): void {
    for (const [n, v] of this.entries()) fn(v, n, this);
  }
}

/** the scenario's variables (names defined with `as:`, and the hidden buffers of reads under way) */
export class Vars extends CellMap<VarValue> {
  constructor(private readonly l: Layout, private readonly V: Segment, private readonly k: Kernel) {
    super();
  }
  protected names(): readonly string[] { return this.l.varNames; }
  protected indexOf(name: string): number | undefined { return this.l.varIndex.get(name); }
  protected at(i: number): VarValue | undefined {
    const id = this.V.get(this.l.varBase + i);
    if (id === 0) return undefined;
    const v = internedValue<StoredVar>(id);
    return v.kind === 'uffdAt' ? { kind: 'uffd', ctx: this.k.uffds[v.index]! } : v;
  }
  set(name: string, v: VarValue): void {
    const i = this.l.varIndex.get(name);
    if (i === undefined) throw new Error(`variable '${name}' is not defined by any operation of the scenario`);
    const s: StoredVar = v.kind === 'uffd' ? { kind: 'uffdAt', index: this.k.uffds.indexOf(v.ctx) } : v;
    this.V.set(this.l.varBase + i, intern(varKey(s), s));
  }
  delete(name: string): void {
    const i = this.l.varIndex.get(name);
    if (i !== undefined) this.V.set(this.l.varBase + i, 0);
  }
}

export interface Process {
  name: string;
  mm: MmStruct;
  pid: number;
}

/** the process table: a process's mm (by position in k.mms) and pid */
export class Procs extends CellMap<Process> {
  constructor(private readonly l: Layout, private readonly C: Segment, private readonly k: Kernel) {
    super();
  }
  protected names(): readonly string[] { return this.l.procNames; }
  protected indexOf(name: string): number | undefined { return this.l.procIndex.get(name); }
  protected at(i: number): Process | undefined {
    const c = this.l.procBase + 2 * i;
    const mm = this.C.get(c);
    return mm === 0 ? undefined : { name: this.l.procNames[i]!, mm: this.k.mms[mm - 1]!, pid: this.C.get(c + 1) };
  }
  set(name: string, p: Process): void {
    const i = this.l.procIndex.get(name);
    if (i === undefined) throw new Error(`process '${name}' is not made by any operation of the scenario`);
    const c = this.l.procBase + 2 * i;
    this.C.set(c, this.k.mms.indexOf(p.mm) + 1);
    this.C.set(c + 1, p.pid);
  }
}

/** the checkpoints taken: a snapshot each (interned by its hash) */
export class Snapshots extends CellMap<Snapshot> {
  constructor(private readonly l: Layout, private readonly V: Segment) {
    super();
  }
  protected names(): readonly string[] { return this.l.snapNames; }
  protected indexOf(name: string): number | undefined { return this.l.snapIndex.get(name); }
  protected at(i: number): Snapshot | undefined {
    const id = this.V.get(this.l.snapBase + i);
    return id === 0 ? undefined : internedValue<Snapshot>(id);
  }
  set(name: string, s: Snapshot): void {
    const i = this.l.snapIndex.get(name);
    if (i === undefined) throw new Error(`checkpoint '${name}' is not taken by any operation of the scenario`);
    this.V.set(this.l.snapBase + i, snapId(s));
  }
}

/**
 * The data_at tallies, "buffer@checkpoint" -> CopyCheck: whether a mismatch was seen (control), how
 * many copies and mismatches (counters, as before), and the first mismatch's description (for people:
 * interned with the hash of a constant, so that it does not tell states apart)
 */
export class Copies extends CellMap<CopyCheck> {
  private readonly keyIndex: ReadonlyMap<string, number>;
  constructor(private readonly l: Layout, private readonly g: MachineSegs) {
    super();
    this.keyIndex = new Map(l.copyKeys.map((k, i) => [k, i]));
  }
  protected names(): readonly string[] { return this.l.copyKeys; }
  protected indexOf(name: string): number | undefined { return this.keyIndex.get(name); }
  protected at(i: number): CopyCheck | undefined {
    const l = this.l, g = this.g;
    const c = l.copyChecks[i]!;
    const d = g.V.get(l.detailBase + i);
    return {
      buffer: c.buffer, at: c.at, copies: g.S.get(l.copyStatBase + 2 * i), mismatches: g.S.get(l.copyStatBase + 2 * i + 1),
      detail: d === 0 ? null : internedValue<string>(d),
    };
  }
  /** a new machine's tallies: nothing seen */
  init(): void {
    for (let i = 0; i < this.l.copyChecks.length; i++) this.g.C.set(this.l.copyBase + i, 1);
  }
  set(key: string, c: CopyCheck): void {
    const i = this.keyIndex.get(key);
    if (i === undefined) throw new Error(`no data_at check ${key}`);
    const l = this.l, g = this.g;
    g.C.set(l.copyBase + i, c.mismatches > 0 ? 2 : 1);
    g.S.set(l.copyStatBase + 2 * i, c.copies);
    g.S.set(l.copyStatBase + 2 * i + 1, c.mismatches);
    g.V.set(l.detailBase + i, c.detail === null ? 0 : intern(`detail:${c.detail}`, c.detail, 'detail'));
  }
}

/** the last result of a thread operation, as cells keep it */
export interface LastResult {
  id: string;
  thread: string;
  op: string;
  errno: string | null;
  result: string | null;
  out?: OpOut;
}

/** the last record of each thread operation: errno, result and written-back fields, at recBase + 3 * op index */
export class Results {
  constructor(private readonly l: Layout, private readonly V: Segment, private readonly sc: CompiledScenario) {}
  note(i: number, errno: string | null, result: string | null, out: OpOut | undefined, outText: (o: OpOut) => string): void {
    const c = this.l.recBase + 3 * i;
    this.V.set(c, strId(errno));
    this.V.set(c + 1, strId(result));
    this.V.set(c + 2, out === undefined ? 0 : intern(`out:${outText(out)}`, out));
  }
  /** the last result of op index i, or undefined when it has not run */
  at(i: number): LastResult | undefined {
    const c = this.l.recBase + 3 * i;
    const e = this.V.get(c);
    if (e === 0) return undefined;
    const ti = this.l.opThread[i]!, t = this.sc.threads[ti]!, op = t.ops[i - this.l.opBases[ti]!]!;
    const o = this.V.get(c + 2);
    const r: LastResult = { id: op.id, thread: t.name, op: op.op, errno: strOf(e), result: strOf(this.V.get(c + 1)) };
    if (o !== 0) r.out = internedValue<OpOut>(o);
    return r;
  }
}

export type { Bytes, UffdMsg };

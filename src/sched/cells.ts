// The scenario machine's state in cells of the kernel's Store (src/state/store.ts; docs/state.md): its
// threads, variables, processes, the last result of each operation, checkpoints and data_at tallies.
// Everything here is a view: an object that holds the segment and immutable facts of the scenario
// (names, the Layout below) and keeps no state of its own, so a copy of the Store is a copy of the
// machine, and a step's recorded cell writes are the whole of what it did to the machine.
//
// One segment, `machine`, after the kernel's, laid out by the scenario (Layout): a block of cells per
// thread (its numbers: status, position, operands, wait; two counters; the ids of its signal, of the last
// record of each of its operations and of the variables only it defines), then the process table, the
// data_at tallies, the deadlock flag, and the other variables and the checkpoints. Cells holding ids of
// interned values (state/intern.ts) are hashed by the value's key (so workers, which intern in other
// orders, agree), counters go to the counter lane (SegmentSpec.hashValue and counterAt).
import type { Leaf, Segment, SegmentSpec } from '../state/store.js';
import { intern, internFresh, internedValue, internHash, isFresh, releaseFresh } from '../state/intern.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/include/sched.js';
import type { MmStruct } from '../kernel/include/mm_types.js';
import type { FaultCont } from '../kernel/arch/x86/mm/fault.js';
import type { UserfaultfdCtx } from '../kernel/fs/userfaultfd.js';
import type { PopulateCont } from '../kernel/mm/madvise.js';
import type { GupState } from '../kernel/mm/gup.js';
import type { CompiledScenario } from '../scenario/load.js';
import type { CompiledOp } from '../scenario/ops.js';
import { decimal, type Expr } from '../scenario/expr.js';
import type { Snapshot } from '../scenario/observe.js';
import type { CopyCheck, OpOut, VarValue } from '../scenario/values.js';
import { StateHasher } from '../state/hasher.js';
import { hashPlain } from '../state/hash_values.js';

export type ThreadStatus = 'ready' | 'blocked' | 'done' | 'signal' | 'killed' | 'livelock' | 'unborn';
const STATUS: readonly ThreadStatus[] = ['unborn', 'ready', 'blocked', 'done', 'signal', 'killed', 'livelock'];
const STATUS_CODE: Record<ThreadStatus, number> = { unborn: 0, ready: 1, blocked: 2, done: 3, signal: 4, killed: 5, livelock: 6 };

export type Wait =
  | { kind: 'fault'; cont: FaultCont; write: boolean }
  | { kind: 'uffd_read'; ctx: UserfaultfdCtx }
  /** a madvise(MADV_POPULATE_*) whose GUP fault sleeps in handle_userfault: advice `advice` of the op, on [addr, addr+len) */
  | { kind: 'gup'; cont: PopulateCont; advice: number; addr: number; len: number }
  /** a GUP operation (pin, vmsplice, /proc/PID/mem) stopped at cond_resched() or sleeping in handle_userfault */
  | { kind: 'gupop'; gup: GupState }
  /**
   * a fork, madvise or munmap whose userfaultfd event waits to be read (task.uwq holds the event): what
   * the operation still has to do, up to 6 numbers (exec.ts says what each operation keeps there)
   */
  | { kind: 'uffd_event'; v: number[] }
  /** a migrate operation between its unmap and move steps (the folios in a hidden variable) */
  | { kind: 'migrate' }
  /** a CPU access whose fault met a migration entry (migration_entry_wait): runnable once the entry is gone */
  | { kind: 'migration'; address: number; write: boolean }
  /**
   * a khugepaged operation between its scan and its collapse (the mmap lock dropped): the block, what the scan
   * counted, the step next (KH_* of kernel/mm/khugepaged.ts) and, for shmem, the file and the block's first index
   */
  | { kind: 'khugepaged'; haddr: number; referenced: number; unmapped: number; next: number; ino: number; index: number };
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

// A thread's block in `machine` (slot 0: setup, slot i + 1: thread i): its numbers, then the ids of its
// signal, of the last record of each of its operations and of the variables only it defines, so that a
// step usually changes one leaf of 64 cells (a copy of a leaf is most of what a write costs after a clone).
const T_STATUS = 0, T_PC = 1, T_PROG = 2 /* 2 cells */, T_OPS = 4 /* 0: none; 1 */, T_ADDR = 5 /* 2 */, T_LEN = 7 /* 2 */,
  T_VLO = 9, T_VHI = 10, T_KILLED = 11, T_TASK = 12 /* index + 1 */, T_WAIT = 13 /* 0 none, 1 uffd_read, 2 fault, 3 gup, 4 gupop, 5 uffd_event, 6 migrate, 7 migration, 8 khugepaged */,
  T_W = 14 /* the wait's fields, up to W_CELLS */;
const W_CELLS = 14;
/** counters: faults taken at the current byte (a livelock guard), attempts of the fault the thread waits in */
const T_SPINS = T_W + W_CELLS, T_ATTEMPTS = T_SPINS + 1;
/** the thread's signal (an id), then its records and variables */
const T_SIG = T_ATTEMPTS + 1;
const W_NONE = 0, W_UFFD = 1, W_FAULT = 2, W_GUP = 3, W_GUPOP = 4, W_EVENT = 5, W_MIGRATE = 6, W_MIGWAIT = 7, W_KHUGEPAGED = 8;
const WAIT_KINDS: readonly (WaitKind | null)[] = [null, 'uffd_read', 'fault', 'gup', 'gupop', 'uffd_event', 'migrate', 'migration', 'khugepaged'];
/** uffd_event: how many numbers (at most 6, two cells each), then the numbers */
const EV_MAX = 6;
// migration: address (2), write
// khugepaged: haddr (2), referenced, unmapped, next, ino, index (2)
// fault: address (2), error_code, flags, major, stage (1 vma_lock, 2 mmap_lock), write
// gup: advice, addr (2), len (2), gup.addr (2), gup.end (2), gup.write, gup.tried, walkEnd (2), unmapped
// gupop: gup.addr (2), gup.end (2), gup.tried, gup.foll
// uffd_read: the context's index in k.uffds + 1
/** what a cell of `machine` belongs to (Layout.ownerKind), for the explorer's write sets */
export const OWNER = { thread: 1, record: 2, variable: 3, process: 4, copy: 5, snapshot: 6, deadlock: 7 } as const;

/**
 * Where each piece of a scenario's machine lives in its two segments: fixed by the scenario (its
 * threads and operations, the names they define, its checkpoints, processes and data_at checks), so
 * that every machine of the scenario, in every worker, uses the same cells. Immutable, shared by all.
 */
export class Layout {
  /** the setup and the threads */
  readonly slots: number;
  /** first cell of each slot's block in `machine` */
  readonly slotBase: Int32Array;
  /** the cell of each thread operation's last record (op index: thread 0's ops, then thread 1's, ...) */
  readonly recCell: Int32Array;
  /** the first op index of each thread, and the thread of each op index */
  readonly opBases: Int32Array;
  readonly opThread: Int32Array;
  readonly nOps: number;
  /** op index by operation id (thread operations): made when first asked for (a plain run never does) */
  get opIndexById(): ReadonlyMap<string, number> {
    let m = this.byId;
    if (m === null) {
      m = this.byId = new Map();
      const byId = m;
      this.sc.threads.forEach((t, i) => t.ops.forEach((op, j) => byId.set(op.id, this.opBases[i]! + j)));
    }
    return m;
  }
  private byId: Map<string, number> | null = null;
  readonly varNames: readonly string[];
  readonly varIndex: ReadonlyMap<string, number>;
  readonly varCell: Int32Array;
  readonly procNames: readonly string[];
  readonly procIndex: ReadonlyMap<string, number>;
  /** two cells each: the mm's position in k.mms + 1, the pid */
  readonly procCell: Int32Array;
  readonly snapNames: readonly string[];
  readonly snapIndex: ReadonlyMap<string, number>;
  readonly snapCell: Int32Array;
  readonly copyChecks: readonly { buffer: string; at: string }[];
  readonly copyKeys: readonly string[];
  readonly copyIndex: ReadonlyMap<string, number>;
  /** a check's control cell (1: no mismatch seen, 2: seen) and its first mismatch's id */
  readonly copyCell: Int32Array;
  readonly detailCell: Int32Array;
  readonly deadlockCell: number;
  /** cells of `machine` */
  readonly size: number;
  /** 1 for the cells of `machine` that hold interned ids (the others hold numbers) */
  readonly isValue: Uint8Array;
  /** 1 for the cells that are counters (hashed into the counter lane) */
  readonly isCounter: Uint8Array;
  /** a check's counts of copies and of mismatches (counters) */
  readonly copyCountCell: Int32Array;
  /** OWNER.* of each cell, and which thread slot, op index, variable, process, check or checkpoint */
  readonly ownerKind: Uint8Array;
  readonly ownerIndex: Int32Array;
  /** the segment specs of a machine of this scenario, after the kernel's */
  readonly segments: readonly SegmentSpec[];
  /**
   * The threads' memory operations, compiled once (exec.ts memoryOp reads these instead of the operation's
   * object and expression trees, which a long scenario reads once each, from memory no cache holds):
   * by op index, MEM_WRITE, MEM_MEMSET, MEM_READ or 0 (another operation).
   */
  readonly memKind: Uint8Array;
  /**
   * an address `v`, `v + c` or `c + v` (v a variable, with or without a field; c a decimal constant, a
   * safe integer): v's index + 1 (negated when v has a field, which addrField holds), and c; 0 when the
   * address has another form
   */
  readonly addrVar: Int32Array;
  readonly addrField: readonly (string | undefined)[];
  readonly addrConst: Float64Array;
  /** a write: its size, and its value when that is a constant of at most 32 bits and size <= 4 (else -1) */
  readonly writeSize: Uint8Array;
  readonly writeValue: Float64Array;

  constructor(private readonly sc: CompiledScenario) {
    const nT = sc.threads.length;
    this.slots = nT + 1;
    const slotOps: CompiledOp[][] = [sc.setup, ...sc.threads.map((t) => t.ops)];
    // the names each slot's operations define, and where
    // checkpoints in the order a run takes them: setup's, 'setup', the threads' (in program order), 'final'
    const procs = ['main'], vars: string[] = [], snaps: string[] = [];
    const varSlots = new Map<string, Set<number>>();
    const add = (a: string[], n: string) => {
      if (!a.includes(n)) a.push(n);
    };
    const def = (n: string, slot: number) => {
      add(vars, n);
      let at = varSlots.get(n);
      if (at === undefined) varSlots.set(n, (at = new Set()));
      at.add(slot);
    };
    // the threads' memory operations' compiled forms (MemCompile), made in the same pass over the
    // operations, which a long scenario reads from memory no cache holds: each is read once here
    let nOps = 0;
    for (const t of sc.threads) nOps += t.ops.length;
    const mc = new MemCompile(nOps);
    let oi = 0;
    for (let slot = 0; slot < slotOps.length; slot++) {
      for (const op of slotOps[slot]!) {
        // (what the operation defines, in this order)
        if ('as' in op && typeof op.as === 'string') def(op.as, slot);
        const o = op.op;
        if (o === 'read') def(`\0buf:${op.id}`, slot);
        else if (o === 'pin' || o === 'vmsplice' || o === 'proc_mem_read') def(`\0gup:${op.id}`, slot);
        else if (o === 'read_uffd') {
          if (op.fork_uffd) def(op.fork_uffd, slot);
        } else if (o === 'migrate') def(`\0mig:${op.id}`, slot);
        else if (o === 'fork') add(procs, op.as);
        else if (o === 'checkpoint') add(snaps, op.name);
        if (slot === 0) continue;
        const i = oi++;
        if (o === 'write' || o === 'memset' || o === 'read') mc.op(op, i);
      }
      if (slot === 0) add(snaps, 'setup');
    }
    add(snaps, 'final');
    this.varNames = vars;
    this.varIndex = new Map(vars.map((n, i) => [n, i]));
    // (the compiled addresses' variables by their index now)
    const { memKind, addrVar, fields, addrConst, writeSize, writeValue } = mc.done(this.varIndex);
    this.memKind = memKind;
    this.addrVar = addrVar;
    this.addrField = fields;
    this.addrConst = addrConst;
    this.writeSize = writeSize;
    this.writeValue = writeValue;
    this.procNames = procs;
    this.procIndex = new Map(procs.map((n, i) => [n, i]));
    this.snapNames = snaps;
    this.snapIndex = new Map(snaps.map((n, i) => [n, i]));
    this.copyChecks = (sc.copyChecks ?? []).map((c) => ({ buffer: c.buffer, at: c.at }));
    this.copyKeys = this.copyChecks.map((c) => `${c.buffer}@${c.at}`);
    this.copyIndex = new Map(this.copyKeys.map((k, i) => [k, i]));
    // op indices
    this.opBases = new Int32Array(nT);
    let n = 0;
    sc.threads.forEach((t, i) => {
      this.opBases[i] = n;
      n += t.ops.length;
    });
    this.nOps = n;
    this.opThread = new Int32Array(n);
    sc.threads.forEach((t, i) => this.opThread.fill(i, this.opBases[i]!, this.opBases[i]! + t.ops.length));
    // cells: each slot's block, then what no single thread owns
    const cols = new CellColumns();
    const cell = (kind: number, index: number, value: boolean, counter = false) => cols.cell(kind, index, value, counter);
    const pad = () => cols.pad();
    this.slotBase = new Int32Array(this.slots);
    this.recCell = new Int32Array(n);
    this.varCell = new Int32Array(vars.length).fill(-1);
    const owner = (v: string) => {
      const s = varSlots.get(v)!;
      return s.size === 1 && !s.has(0) ? [...s][0]! : -1;
    };
    for (let slot = 0; slot < this.slots; slot++) {
      this.slotBase[slot] = cols.n;
      for (let j = 0; j < T_SPINS; j++) cell(OWNER.thread, slot, false);
      cell(OWNER.thread, slot, false, true);
      cell(OWNER.thread, slot, false, true);
      cell(OWNER.thread, slot, true);
      if (slot > 0) for (let j = 0, b = this.opBases[slot - 1]!; j < slotOps[slot]!.length; j++) this.recCell[b + j] = cols.cell(OWNER.record, b + j, true, false);
      vars.forEach((v, i) => {
        if (owner(v) === slot) this.varCell[i] = cell(OWNER.variable, i, true);
      });
      pad();
    }
    this.procCell = new Int32Array(procs.length);
    procs.forEach((_, i) => {
      this.procCell[i] = cell(OWNER.process, i, false);
      cell(OWNER.process, i, false);
    });
    this.copyCell = new Int32Array(this.copyChecks.length);
    this.copyCountCell = new Int32Array(this.copyChecks.length);
    this.copyChecks.forEach((_, i) => {
      this.copyCell[i] = cell(OWNER.copy, i, false);
      this.copyCountCell[i] = cell(OWNER.copy, i, false, true);
      cell(OWNER.copy, i, false, true);
    });
    this.deadlockCell = cell(OWNER.deadlock, 0, false);
    vars.forEach((_, i) => {
      if (this.varCell[i] === -1) this.varCell[i] = cell(OWNER.variable, i, true);
    });
    this.snapCell = new Int32Array(snaps.length);
    snaps.forEach((_, i) => (this.snapCell[i] = cell(OWNER.snapshot, i, true)));
    this.detailCell = new Int32Array(this.copyChecks.length);
    this.copyChecks.forEach((_, i) => (this.detailCell[i] = cell(OWNER.copy, i, true)));
    this.size = cols.n;
    this.ownerKind = cols.kind.slice(0, cols.n);
    this.ownerIndex = cols.index.slice(0, cols.n);
    const isValue = (this.isValue = cols.value.slice(0, cols.n));
    this.isCounter = cols.counter.slice(0, cols.n);
    this.segments = [{ name: 'machine', hashValue: (v: number, i: number) => (isValue[i] === 1 ? internHash(v) : v), counterAt: this.isCounter, flat: true }];
  }

  static of(sc: CompiledScenario): Layout {
    let l = layouts.get(sc);
    if (l === undefined) layouts.set(sc, (l = new Layout(sc)));
    return l;
  }
}
const layouts = new WeakMap<CompiledScenario, Layout>();

/** Layout.memKind */
export const MEM_WRITE = 1, MEM_MEMSET = 2, MEM_READ = 3;

/** the threads' memory operations' compiled forms while Layout's pass makes them (Layout.memKind and after) */
class MemCompile {
  readonly memKind: Uint8Array;
  readonly addrVar: Int32Array;
  readonly addrConst: Float64Array;
  readonly writeSize: Uint8Array;
  readonly writeValue: Float64Array;
  readonly fields: (string | undefined)[] = [];
  /** a variable an address names, numbered by first sight until the scenario's variables are known */
  private readonly named = new Map<string, number>();
  private readonly namedList: string[] = [];
  constructor(private readonly n: number) {
    this.memKind = new Uint8Array(n);
    this.addrVar = new Int32Array(n);
    this.addrConst = new Float64Array(n);
    this.writeSize = new Uint8Array(n);
    this.writeValue = new Float64Array(n).fill(-1);
  }
  /** thread operation i, a write, memset or read */
  op(op: Extract<CompiledOp, { op: 'write' | 'memset' | 'read' }>, i: number): void {
    const o = op.op;
    this.memKind[i] = o === 'write' ? MEM_WRITE : o === 'memset' ? MEM_MEMSET : MEM_READ;
    const c = symPlusConst(op.addr);
    if (c !== null) {
      let id = this.named.get(c.name);
      if (id === undefined) {
        this.named.set(c.name, (id = this.namedList.length + 1));
        this.namedList.push(c.name);
      }
      // (negative: with a field)
      if (c.field !== undefined) {
        this.addrVar[i] = -id;
        while (this.fields.length < i) this.fields.push(undefined);
        this.fields[i] = c.field;
      } else this.addrVar[i] = id;
      this.addrConst[i] = c.c;
    }
    if (o === 'write') {
      this.writeSize[i] = op.size;
      const v = op.value.k === 'num' ? decimal(op.value.v) : NaN;
      if (op.size <= 4 && Number.isSafeInteger(v) && v >= 0 && v <= 0xffffffff) this.writeValue[i] = v;
    }
  }
  /** the variables are known: a name -> its index + 1 (0: no variable of the scenario; the general path reports it) */
  done(varIndex: ReadonlyMap<string, number>): this {
    const remap = new Int32Array(this.namedList.length + 1);
    this.namedList.forEach((name, j) => (remap[j + 1] = (varIndex.get(name) ?? -1) + 1));
    const a = this.addrVar;
    for (let i = 0; i < this.n; i++) {
      const v = a[i]!;
      if (v !== 0) a[i] = v > 0 ? remap[v]! : -remap[-v]!;
    }
    return this;
  }
}

/** symPlusConst's result (one object: Layout's pass makes none per operation) */
const symScratch = { name: '', field: undefined as string | undefined, c: 0 };
/** `v`, `v + c` or `c + v` as (v, its field, c) in symScratch, c a safe integer; null for another form (Layout.addrVar) */
function symPlusConst(e: Expr): typeof symScratch | null {
  let s: Expr, n: Expr | null;
  if (e.k === 'sym') {
    s = e;
    n = null;
  } else if (e.k === 'bin' && e.op === '+') {
    s = e.a.k === 'sym' ? e.a : e.b;
    n = e.a.k === 'sym' ? e.b : e.a;
  } else return null;
  if (s.k !== 'sym' || (n !== null && n.k !== 'num')) return null;
  const c = n === null ? 0 : decimal(n.v);
  if (!Number.isSafeInteger(c)) return null;
  symScratch.name = s.name;
  symScratch.field = s.field;
  symScratch.c = c;
  return symScratch;
}

/** Layout's cells while they are laid out: owner kind and index, value and counter marks, in typed columns that double as they fill */
class CellColumns {
  kind = new Uint8Array(1024);
  index = new Int32Array(1024);
  value = new Uint8Array(1024);
  counter = new Uint8Array(1024);
  n = 0;
  cell(kind: number, index: number, value: boolean, counter: boolean): number {
    if (this.n === this.kind.length) this.grow(this.n + 1);
    const i = this.n++;
    this.kind[i] = kind;
    this.index[i] = index;
    this.value[i] = value ? 1 : 0;
    this.counter[i] = counter ? 1 : 0;
    return i;
  }
  /** zero cells up to a multiple of 64 */
  pad(): void {
    const n = Math.ceil(this.n / 64) * 64;
    if (n > this.kind.length) this.grow(n);
    this.n = n;
  }
  private grow(atLeast: number): void {
    let cap = this.kind.length * 2;
    while (cap < atLeast) cap *= 2;
    const more = <T extends Uint8Array | Int32Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.kind = more(this.kind, new Uint8Array(cap));
    this.index = more(this.index, new Int32Array(cap));
    this.value = more(this.value, new Uint8Array(cap));
    this.counter = more(this.counter, new Uint8Array(cap));
  }
}

/** the segment of a machine: `machine` (numbers, counters and interned ids) */
export interface MachineSegs {
  readonly C: Segment;
}

// ---- numbers up to 2^53 in two cells ---------------------------------------------------------------

const TWO32 = 4294967296;
function getNum(s: Segment, i: number): number {
  return (s.get(i) >>> 0) + s.get(i + 1) * TWO32;
}
function setNum(s: Segment, i: number, v: number): void {
  if (v >= 0 && v <= 0x7fffffff) {
    s.set(i, v);
    s.set(i + 1, 0);
    return;
  }
  // (no v % TWO32: a floating-point remainder costs more than the rest of the step's bookkeeping;
  // v - hi * TWO32 is congruent to it modulo 2^32, so the cell, an int32, is the same)
  const hi = Math.floor(v / TWO32);
  s.set(i, v - hi * TWO32);
  s.set(i + 1, hi);
}

/** setNum's writes, straight into a leaf (cells j, j + 1 of it) */
function setNumL(L: Int32Array, j: number, v: number): void {
  if (v >= 0 && v <= 0x7fffffff) {
    L[j] = v;
    L[j + 1] = 0;
    return;
  }
  const hi = Math.floor(v / TWO32);
  L[j] = v - hi * TWO32;
  L[j + 1] = hi;
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
    case 'pin': return `n:${v.addr}:${v.foll}:${v.pfns.join(',')}`;
    case 'file': return `f:${v.ino}:${v.read ? 1 : 0}:${v.write ? 1 : 0}`;
  }
}

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
  /** the first cell of this thread's block */
  private readonly b: number;
  private readonly C: Segment;
  constructor(
    readonly name: string,
    /** -1: the setup */
    readonly index: number,
    readonly process: string,
    readonly ops: CompiledOp[],
    /** a server thread: after its last operation it starts again at the first (scenario `loop: true`) */
    readonly loop: boolean,
    private readonly k: Kernel,
    l: Layout,
    g: MachineSegs,
  ) {
    this.b = l.slotBase[index + 1]!;
    this.C = g.C;
  }

  /**
   * The leaf of the thread's numbers (cells 0..T_SIG of its block, which starts a leaf), this state's
   * own, for writing straight into it when nobody watches the store (a plain run: it neither hashes nor
   * records); null when somebody does. A step's several writes then cost one lookup; a watched store
   * is told the same Segment.get/set calls as through the accessors.
   */
  plainLeaf(): Int32Array | null {
    const C = this.C;
    return C.watched ? null : C.leafW(this.b);
  }

  /** bytes of the current memory operation done (`progress`), read from plainLeaf()'s leaf */
  progressIn(L: Int32Array): number {
    return (L[T_PROG]! >>> 0) + L[T_PROG + 1]! * TWO32;
  }
  /** faults counted at the current byte (`spins`), read from plainLeaf()'s leaf */
  spinsIn(L: Int32Array): number {
    return L[T_SPINS]!;
  }
  /**
   * (a plain run: exec.ts memoryOp keeps the operation's numbers in locals while the step runs, as they
   * are zero again once it is done, and writes them when the operation outlives the step) into
   * plainLeaf()'s leaf: the operands when `operands`, progress, and the spin count when >= 0
   */
  putPlain(L: Int32Array, operands: boolean, addr: number, len: number, lo: number, hi: number, progress: number, spins: number): void {
    if (operands) {
      L[T_OPS] = 1;
      setNumL(L, T_ADDR, addr);
      setNumL(L, T_LEN, len);
      L[T_VLO] = lo;
      L[T_VHI] = hi;
    }
    setNumL(L, T_PROG, progress);
    if (spins >= 0) L[T_SPINS] = spins;
  }

  /**
   * The operation under way is done: the next one (pc + 1) starts from scratch (no progress, spins or
   * operands). Returns the new pc.
   */
  nextOp(): number {
    const L = this.plainLeaf();
    if (L !== null) {
      const pc = L[T_PC]! + 1;
      L[T_PC] = pc;
      // (stores, not fill(): a call into the runtime costs more than nine of them)
      L[T_PROG] = 0;
      L[T_PROG + 1] = 0;
      L[T_OPS] = 0;
      L[T_ADDR] = 0;
      L[T_ADDR + 1] = 0;
      L[T_LEN] = 0;
      L[T_LEN + 1] = 0;
      L[T_VLO] = 0;
      L[T_VHI] = 0;
      L[T_SPINS] = 0;
      return pc;
    }
    this.pc = this.pc + 1;
    this.progress = 0;
    this.spins = 0;
    this.operands = null;
    return this.pc;
  }

  /**
   * operands without an object: false between operations, else true with out[0..3] = addr, len, lo, hi
   * (the `operands` getter's reads)
   */
  loadOperands(out: Float64Array): boolean {
    const C = this.C, b = this.b;
    if (C.store.rec === null) {
      const L = C.leafR(b);
      if (L === undefined || L[T_OPS] === 0) return false;
      out[0] = (L[T_ADDR]! >>> 0) + L[T_ADDR + 1]! * TWO32;
      out[1] = (L[T_LEN]! >>> 0) + L[T_LEN + 1]! * TWO32;
      out[2] = L[T_VLO]! >>> 0;
      out[3] = L[T_VHI]! >>> 0;
      return true;
    }
    const o = this.operands;
    if (o === null) return false;
    out[0] = o.addr;
    out[1] = o.len;
    out[2] = o.lo;
    out[3] = o.hi;
    return true;
  }

  /** the `operands` setter without an object */
  storeOperands(addr: number, len: number, lo: number, hi: number): void {
    const L = this.plainLeaf();
    if (L === null) {
      this.operands = { addr, len, lo, hi };
      return;
    }
    L[T_OPS] = 1;
    setNumL(L, T_ADDR, addr);
    setNumL(L, T_LEN, len);
    L[T_VLO] = lo;
    L[T_VHI] = hi;
  }

  /** a user access faulted at the current byte: one more fault counted there (returned: the livelock guard's count) */
  spin(): number {
    const L = this.plainLeaf();
    return L === null ? ++this.spins : ++L[T_SPINS]!;
  }

  /** an access went through: the faults counted at the byte are forgotten */
  accessed(): void {
    const C = this.C;
    if (C.store.rec === null) {
      const L = C.leafR(this.b);
      if (L === undefined || L[T_SPINS] === 0) return;
    }
    if (this.spins !== 0) this.spins = 0;
  }

  get status(): ThreadStatus { return STATUS[this.C.get(this.b + T_STATUS)]!; }
  set status(s: ThreadStatus) { this.C.set(this.b + T_STATUS, STATUS_CODE[s]); }
  get pc(): number { return this.C.get(this.b + T_PC); }
  set pc(v: number) { this.C.set(this.b + T_PC, v); }
  /** bytes of the current memory operation already done */
  get progress(): number { return getNum(this.C, this.b + T_PROG); }
  set progress(v: number) {
    const L = this.plainLeaf();
    if (L === null) setNum(this.C, this.b + T_PROG, v);
    else setNumL(L, T_PROG, v);
  }
  /** faults taken at the current byte without progress (a livelock guard) */
  get spins(): number { return this.C.get(this.b + T_SPINS); }
  set spins(v: number) { this.C.set(this.b + T_SPINS, v); }
  /** the signal the thread died of */
  get killedBy(): number { return this.C.get(this.b + T_KILLED); }
  set killedBy(v: number) { this.C.set(this.b + T_KILLED, v); }

  get task(): Task | null {
    const i = this.C.get(this.b + T_TASK);
    return i === 0 ? null : this.k.taskAt(i - 1);
  }
  set task(t: Task | null) { this.C.set(this.b + T_TASK, t === null ? 0 : this.k.tasks.indexOf(t) + 1); }

  /**
   * the operands of the memory operation under way (address, length, stored value), evaluated when it
   * started: a CPU retries the faulting instruction at the address in its registers, whatever the
   * scenario's variables became while the thread slept (null between operations)
   */
  get operands(): MemOperands | null {
    const C = this.C, b = this.b;
    if (C.get(b + T_OPS) === 0) return null;
    return { addr: getNum(C, b + T_ADDR), len: getNum(C, b + T_LEN), lo: C.get(b + T_VLO) >>> 0, hi: C.get(b + T_VHI) >>> 0 };
  }
  set operands(o: MemOperands | null) {
    const C = this.C, b = this.b;
    if (o === null) {
      if (C.get(b + T_OPS) === 0) return;
      C.set(b + T_OPS, 0);
      C.set(b + T_ADDR, 0);
      C.set(b + T_ADDR + 1, 0);
      C.set(b + T_LEN, 0);
      C.set(b + T_LEN + 1, 0);
      C.set(b + T_VLO, 0);
      C.set(b + T_VHI, 0);
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
    const id = this.C.get(this.b + T_SIG);
    return id === 0 ? null : internedValue<DeliveredSignal>(id);
  }
  set signal(s: DeliveredSignal | null) {
    this.C.set(this.b + T_SIG, s === null ? 0 : intern(`sig:${s.sig}:${s.code}:${s.addr}`, { sig: s.sig, code: s.code, addr: s.addr }, `sig:${s.sig}`));
  }

  /** what a blocked thread waits for (without building the Wait) */
  get waitKind(): WaitKind | null { return WAIT_KINDS[this.C.get(this.b + T_WAIT)]!; }
  /** the context a thread blocked in read(2) of a uffd waits on */
  get waitCtx(): UserfaultfdCtx { return this.k.uffds[this.C.get(this.b + T_W) - 1]!; }

  /** what a blocked thread waits for: a Wait made from the cells (a copy: change it through the setter) */
  get wait(): Wait | null {
    const C = this.C, w = this.b + T_W;
    switch (C.get(this.b + T_WAIT)) {
      case W_NONE: return null;
      case W_UFFD: return { kind: 'uffd_read', ctx: this.k.uffds[C.get(w) - 1]! };
      case W_EVENT: {
        const v: number[] = [];
        for (let i = 0, n = C.get(w); i < n; i++) v.push(getNum(C, w + 1 + 2 * i));
        return { kind: 'uffd_event', v };
      }
      case W_FAULT: return {
        kind: 'fault',
        cont: { address: getNum(C, w), error_code: C.get(w + 2), flags: C.get(w + 3), major: C.get(w + 4), stage: C.get(w + 5) === 1 ? 'vma_lock' : 'mmap_lock', attempts: this.C.get(this.b + T_ATTEMPTS) },
        write: C.get(w + 6) === 1,
      };
      case W_MIGRATE: return { kind: 'migrate' };
      case W_MIGWAIT: return { kind: 'migration', address: getNum(C, w), write: C.get(w + 2) === 1 };
      case W_KHUGEPAGED: return {
        kind: 'khugepaged', haddr: getNum(C, w), referenced: C.get(w + 2), unmapped: C.get(w + 3), next: C.get(w + 4), ino: C.get(w + 5), index: getNum(C, w + 6),
      };
      case W_GUPOP: return {
        kind: 'gupop',
        gup: { addr: getNum(C, w), end: getNum(C, w + 2), write: false, tried: C.get(w + 4) === 1, foll: C.get(w + 5), yields: true, attempts: this.C.get(this.b + T_ATTEMPTS) },
      };
      default: return {
        kind: 'gup', advice: C.get(w), addr: getNum(C, w + 1), len: getNum(C, w + 3),
        cont: {
          gup: { addr: getNum(C, w + 5), end: getNum(C, w + 7), write: C.get(w + 9) === 1, tried: C.get(w + 10) === 1, attempts: this.C.get(this.b + T_ATTEMPTS) },
          walkEnd: getNum(C, w + 11), unmapped: C.get(w + 13) === 1,
        },
      };
    }
  }
  set wait(x: Wait | null) {
    const L = this.plainLeaf();
    if (L !== null) {
      this.waitPlain(L, x);
      return;
    }
    const C = this.C, w = this.b + T_W;
    const was = C.get(this.b + T_WAIT);
    if (x === null && was === W_NONE) return;
    // the fields of the wait before (a wait's cells are zero while there is none)
    if (was !== W_NONE) C.clear(w, W_CELLS);
    if (x === null) {
      C.set(this.b + T_WAIT, W_NONE);
      this.C.set(this.b + T_ATTEMPTS, 0);
      return;
    }
    switch (x.kind) {
      case 'uffd_read':
        C.set(this.b + T_WAIT, W_UFFD);
        C.set(w, this.k.uffds.indexOf(x.ctx) + 1);
        this.C.set(this.b + T_ATTEMPTS, 0);
        return;
      case 'uffd_event':
        if (x.v.length > EV_MAX) throw new Error('BUG: an event wait keeps more than 6 numbers');
        C.set(this.b + T_WAIT, W_EVENT);
        C.set(w, x.v.length);
        x.v.forEach((n, i) => setNum(C, w + 1 + 2 * i, n));
        this.C.set(this.b + T_ATTEMPTS, 0);
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
        this.C.set(this.b + T_ATTEMPTS, c.attempts);
        return;
      }
      case 'migrate':
        C.set(this.b + T_WAIT, W_MIGRATE);
        this.C.set(this.b + T_ATTEMPTS, 0);
        return;
      case 'migration':
        C.set(this.b + T_WAIT, W_MIGWAIT);
        setNum(C, w, x.address);
        C.set(w + 2, x.write ? 1 : 0);
        this.C.set(this.b + T_ATTEMPTS, 0);
        return;
      case 'khugepaged':
        C.set(this.b + T_WAIT, W_KHUGEPAGED);
        setNum(C, w, x.haddr);
        C.set(w + 2, x.referenced);
        C.set(w + 3, x.unmapped);
        C.set(w + 4, x.next);
        C.set(w + 5, x.ino);
        setNum(C, w + 6, x.index);
        this.C.set(this.b + T_ATTEMPTS, 0);
        return;
      case 'gupop': {
        const gp = x.gup;
        C.set(this.b + T_WAIT, W_GUPOP);
        setNum(C, w, gp.addr);
        setNum(C, w + 2, gp.end);
        C.set(w + 4, gp.tried ? 1 : 0);
        C.set(w + 5, gp.foll ?? 0);
        this.C.set(this.b + T_ATTEMPTS, gp.attempts);
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
        this.C.set(this.b + T_ATTEMPTS, gp.attempts);
        return;
      }
    }
  }

  /** `wait = { kind: 'fault', cont: c, write }` without the object */
  waitFault(c: FaultCont, write: boolean): void {
    const L = this.plainLeaf();
    if (L === null) {
      this.wait = { kind: 'fault', cont: c, write };
      return;
    }
    if (L[T_WAIT] !== W_NONE) for (let j = T_W; j < T_W + W_CELLS; j++) L[j] = 0;
    faultPlain(L, c, write);
  }

  /**
   * the fault a thread waits in (waitKind 'fault'), read into `out` as the `wait` getter reads it
   * (the same cells, in the same order); returns the wait's `write`
   */
  faultWait(out: FaultCont): boolean {
    const C = this.C, w = this.b + T_W;
    out.address = getNum(C, w);
    out.error_code = C.get(w + 2);
    out.flags = C.get(w + 3);
    out.major = C.get(w + 4);
    out.stage = C.get(w + 5) === 1 ? 'vma_lock' : 'mmap_lock';
    out.attempts = C.get(this.b + T_ATTEMPTS);
    return C.get(w + 6) === 1;
  }

  /** the `wait` setter's writes, straight into the thread's leaf (plainLeaf) */
  private waitPlain(L: Int32Array, x: Wait | null): void {
    const w = T_W;
    if (L[T_WAIT] !== W_NONE) for (let j = w; j < w + W_CELLS; j++) L[j] = 0;
    else if (x === null) return;
    if (x === null) {
      L[T_WAIT] = W_NONE;
      L[T_ATTEMPTS] = 0;
      return;
    }
    switch (x.kind) {
      case 'uffd_read':
        L[T_WAIT] = W_UFFD;
        L[w] = this.k.uffds.indexOf(x.ctx) + 1;
        L[T_ATTEMPTS] = 0;
        return;
      case 'uffd_event':
        if (x.v.length > EV_MAX) throw new Error('BUG: an event wait keeps more than 6 numbers');
        L[T_WAIT] = W_EVENT;
        L[w] = x.v.length;
        x.v.forEach((n, i) => setNumL(L, w + 1 + 2 * i, n));
        L[T_ATTEMPTS] = 0;
        return;
      case 'fault':
        faultPlain(L, x.cont, x.write);
        return;
      case 'migrate':
        L[T_WAIT] = W_MIGRATE;
        L[T_ATTEMPTS] = 0;
        return;
      case 'migration':
        L[T_WAIT] = W_MIGWAIT;
        setNumL(L, w, x.address);
        L[w + 2] = x.write ? 1 : 0;
        L[T_ATTEMPTS] = 0;
        return;
      case 'khugepaged':
        L[T_WAIT] = W_KHUGEPAGED;
        setNumL(L, w, x.haddr);
        L[w + 2] = x.referenced;
        L[w + 3] = x.unmapped;
        L[w + 4] = x.next;
        L[w + 5] = x.ino;
        setNumL(L, w + 6, x.index);
        L[T_ATTEMPTS] = 0;
        return;
      case 'gupop': {
        const gp = x.gup;
        L[T_WAIT] = W_GUPOP;
        setNumL(L, w, gp.addr);
        setNumL(L, w + 2, gp.end);
        L[w + 4] = gp.tried ? 1 : 0;
        L[w + 5] = gp.foll ?? 0;
        L[T_ATTEMPTS] = gp.attempts;
        return;
      }
      case 'gup': {
        const c = x.cont, gp = c.gup;
        L[T_WAIT] = W_GUP;
        L[w] = x.advice;
        setNumL(L, w + 1, x.addr);
        setNumL(L, w + 3, x.len);
        setNumL(L, w + 5, gp.addr);
        setNumL(L, w + 7, gp.end);
        L[w + 9] = gp.write ? 1 : 0;
        L[w + 10] = gp.tried ? 1 : 0;
        setNumL(L, w + 11, c.walkEnd);
        L[w + 13] = c.unmapped ? 1 : 0;
        L[T_ATTEMPTS] = gp.attempts;
        return;
      }
    }
  }
}

/** a fault wait's cells, straight into a thread's leaf whose wait cells are zero */
function faultPlain(L: Int32Array, c: FaultCont, write: boolean): void {
  const w = T_W;
  L[T_WAIT] = W_FAULT;
  setNumL(L, w, c.address);
  L[w + 2] = c.error_code;
  L[w + 3] = c.flags;
  L[w + 4] = c.major;
  L[w + 5] = c.stage === 'vma_lock' ? 1 : 2;
  L[w + 6] = write ? 1 : 0;
  L[T_ATTEMPTS] = c.attempts;
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

/**
 * May a view give back the fresh id a cell held when it overwrites it (releaseFresh)? While the
 * machine has never been copied: no other state can hold the id then. One object per machine, shared
 * by its views (Machine.clone turns it off before the copy shares the cells).
 */
export interface Recycling {
  on: boolean;
}

/**
 * How a view puts a value into a cell: interned (equal values, one id) once the store hashes (the
 * explorer compares states); before, a fresh id (internFresh: no key built, nothing looked up, the
 * hash computed only if asked for), given back when overwritten if the machine is never copied.
 */
function putValue<T>(C: Segment, cell: number, v: T, key: (v: T) => string, recycle: Recycling): void {
  const old = C.get(cell);
  C.set(cell, C.store.hashing ? intern(key(v), v) : internFresh(v, key));
  if (recycle.on && old !== 0 && isFresh(old)) releaseFresh(old);
}

/** the scenario's variables (names defined with `as:`, and the hidden buffers of reads under way) */
export class Vars extends CellMap<VarValue> {
  constructor(private readonly l: Layout, private readonly C: Segment, private readonly k: Kernel, private readonly recycle: Recycling) {
    super();
  }
  protected names(): readonly string[] { return this.l.varNames; }
  /** the name looked up last and its index (a cache of the layout's, not state) */
  private lastName: string | null = null;
  private lastIndex = -1;
  protected indexOf(name: string): number | undefined {
    if (name === this.lastName) return this.lastIndex;
    const i = this.l.varIndex.get(name);
    if (i !== undefined) {
      this.lastName = name;
      this.lastIndex = i;
    }
    return i;
  }
  /** the value of the variable at index i (Layout.varIndex), undefined when unset: get(name) without the name */
  valueAt(i: number): VarValue | undefined {
    return this.at(i);
  }
  /**
   * A cache, not state: the leaf of variable cells read last while the state owns it (Segment.owns: an
   * own leaf holds its cells until the store is copied), so that a memory operation's address, read on
   * every step, does not take the segment's one remembered leaf from the thread's own block (the next
   * access to it would walk the segment again). A recorder hears the read all the same.
   */
  private vT = -1;
  private vL: Leaf | null = null;
  /** the id variable cell c holds: C.get(c) */
  private idIn(c: number): number {
    const C = this.C, L = this.vL;
    if (L !== null && c >>> 6 === this.vT && C.owns(L)) {
      C.noteRead(c);
      return L[c & 63]!;
    }
    const id = C.get(c);
    const l = C.leafR(c);
    if (l !== undefined && C.owns(l)) {
      this.vT = c >>> 6;
      this.vL = l;
    }
    return id;
  }
  protected at(i: number): VarValue | undefined {
    const id = this.idIn(this.l.varCell[i]!);
    if (id === 0) return undefined;
    const v = internedValue<StoredVar>(id);
    return v.kind === 'uffdAt' ? { kind: 'uffd', ctx: this.k.uffds[v.index]! } : v;
  }
  /** the uffd context a name holds (get(name).ctx without the object), undefined when it holds none */
  uffd(name: string): UserfaultfdCtx | undefined {
    const i = this.indexOf(name);
    if (i === undefined) return undefined;
    const id = this.idIn(this.l.varCell[i]!);
    if (id === 0) return undefined;
    const v = internedValue<StoredVar>(id);
    return v.kind === 'uffdAt' ? this.k.uffds[v.index]! : v.kind === 'uffd' ? v.ctx : undefined;
  }
  set(name: string, v: VarValue): void {
    const i = this.l.varIndex.get(name);
    if (i === undefined) throw new Error(`variable '${name}' is not defined by any operation of the scenario`);
    const s: StoredVar = v.kind === 'uffd' ? { kind: 'uffdAt', index: this.k.uffds.indexOf(v.ctx) } : v;
    putValue(this.C, this.l.varCell[i]!, s, varKey, this.recycle);
  }
  delete(name: string): void {
    const i = this.l.varIndex.get(name);
    if (i === undefined) return;
    const c = this.l.varCell[i]!, old = this.C.get(c);
    if (old === 0) return;
    this.C.set(c, 0);
    if (this.recycle.on && isFresh(old)) releaseFresh(old);
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
    const c = this.l.procCell[i]!;
    const mm = this.C.get(c);
    return mm === 0 ? undefined : { name: this.l.procNames[i]!, mm: this.k.mms[mm - 1]!, pid: this.C.get(c + 1) };
  }
  set(name: string, p: Process): void {
    const i = this.l.procIndex.get(name);
    if (i === undefined) throw new Error(`process '${name}' is not made by any operation of the scenario`);
    const c = this.l.procCell[i]!;
    this.C.set(c, this.k.mms.indexOf(p.mm) + 1);
    this.C.set(c + 1, p.pid);
  }
}

/** the checkpoints taken: a snapshot each (interned by its hash) */
export class Snapshots extends CellMap<Snapshot> {
  constructor(private readonly l: Layout, private readonly C: Segment) {
    super();
  }
  protected names(): readonly string[] { return this.l.snapNames; }
  protected indexOf(name: string): number | undefined { return this.l.snapIndex.get(name); }
  protected at(i: number): Snapshot | undefined {
    const id = this.C.get(this.l.snapCell[i]!);
    return id === 0 ? undefined : internedValue<Snapshot>(id);
  }
  set(name: string, s: Snapshot): void {
    const i = this.l.snapIndex.get(name);
    if (i === undefined) throw new Error(`checkpoint '${name}' is not taken by any operation of the scenario`);
    this.C.set(this.l.snapCell[i]!, snapId(s));
  }
}

/**
 * The data_at tallies, "buffer@checkpoint" -> CopyCheck: whether a mismatch was seen (control), how
 * many copies and mismatches (counters, as before), and the first mismatch's description (for people:
 * interned with the hash of a constant, so that it does not tell states apart)
 */
export class Copies extends CellMap<CopyCheck> {
  constructor(private readonly l: Layout, private readonly g: MachineSegs) {
    super();
  }
  protected names(): readonly string[] { return this.l.copyKeys; }
  protected indexOf(name: string): number | undefined { return this.l.copyIndex.get(name); }
  protected at(i: number): CopyCheck | undefined {
    const l = this.l, g = this.g;
    const c = l.copyChecks[i]!;
    const d = g.C.get(l.detailCell[i]!);
    return {
      buffer: c.buffer, at: c.at, copies: g.C.get(l.copyCountCell[i]!), mismatches: g.C.get(l.copyCountCell[i]! + 1),
      detail: d === 0 ? null : internedValue<string>(d),
    };
  }
  /** a new machine's tallies: nothing seen */
  init(): void {
    for (let i = 0; i < this.l.copyChecks.length; i++) this.g.C.set(this.l.copyCell[i]!, 1);
  }
  set(key: string, c: CopyCheck): void {
    const i = this.l.copyIndex.get(key);
    if (i === undefined) throw new Error(`no data_at check ${key}`);
    const l = this.l, g = this.g;
    g.C.set(l.copyCell[i]!, c.mismatches > 0 ? 2 : 1);
    g.C.set(l.copyCountCell[i]!, c.copies);
    g.C.set(l.copyCountCell[i]! + 1, c.mismatches);
    g.C.set(l.detailCell[i]!, c.detail === null ? 0 : intern(`detail:${c.detail}`, c.detail, 'detail'));
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

/** what a record's cell holds: its errno, result and written-back fields (interned as one value) */
interface StoredResult {
  errno: string | null;
  result: string | null;
  out: OpOut | undefined;
  /** how out reads as text (formatOut), for the key */
  outText: ((o: OpOut) => string) | null;
}

/** a record's key: null and "" differ, the key marks which is which */
function resultKey(r: StoredResult): string {
  return `${r.errno === null ? '\u0001' : 'e' + r.errno}\u0000${r.result === null ? '\u0001' : 'r' + r.result}\u0000${r.out === undefined ? '' : r.outText!(r.out)}`;
}

/** the ids of records without errno or written-back fields, by result (interned values live as long) */
const okResults = new Map<string | null, number>();

/** the last record of each thread operation, one cell each (Layout.recCell) */
export class Results {
  constructor(private readonly l: Layout, private readonly C: Segment, private readonly sc: CompiledScenario, private readonly recycle: Recycling) {}
  note(i: number, errno: string | null, result: string | null, out: OpOut | undefined, outText: (o: OpOut) => string): void {
    const cell = this.l.recCell[i]!, C = this.C;
    if (!C.store.hashing) {
      putValue(C, cell, { errno, result, out, outText }, resultKey, this.recycle);
      return;
    }
    // the common record (no errno, nothing written back) by its result alone
    let id = errno === null && out === undefined ? okResults.get(result) : undefined;
    if (id === undefined) {
      const r: StoredResult = { errno, result, out, outText };
      id = intern(resultKey(r), r);
      if (errno === null && out === undefined) okResults.set(result, id);
    }
    C.set(cell, id);
  }
  /** the last result of op index i, or undefined when it has not run */
  at(i: number): LastResult | undefined {
    const id = this.C.get(this.l.recCell[i]!);
    if (id === 0) return undefined;
    const v = internedValue<StoredResult>(id);
    const ti = this.l.opThread[i]!, t = this.sc.threads[ti]!, op = t.ops[i - this.l.opBases[ti]!]!;
    const r: LastResult = { id: op.id, thread: t.name, op: op.op, errno: v.errno, result: v.result };
    if (v.out !== undefined) r.out = v.out;
    return r;
  }
}


// The machine a scenario runs on: the kernel model, one task per scenario thread, and a scheduler that
// lets one thread take one atomic step (an operation, or the resumption of a blocked one) at a time.
import { BudgetExceeded, budgetStep, budgetStepLimit, DEFAULT_STEP_LIMIT } from './budget.js';
import { Kernel, KernelSpec } from '../kernel/kernel.js';
import type { Task } from '../kernel/include/sched.js';
import type { MmStruct } from '../kernel/include/mm_types.js';
import type { FaultCont } from '../kernel/arch/x86/mm/fault.js';
import type { UserfaultfdCtx, UffdMsg } from '../kernel/fs/userfaultfd.js';
import type { PopulateCont } from '../kernel/mm/madvise.js';
import { Tracer } from '../trace/events.js';
import { ScenarioError, type CompiledScenario } from '../scenario/load.js';
import type { CompiledOp } from '../scenario/ops.js';
import { SIGNAL_NAME } from '../kernel/include/signal.js';
import { execOp, resumeOp, formatOut, type OpOut } from './exec.js';
import { takeSnapshot, takeMemoryImage, Snapshot } from '../scenario/observe.js';
import { StateHasher as StateHasherClass, fmix32, type StateHasher } from '../state/hasher.js';
import { hashPlain } from '../state/hash_values.js';
import type { VarValue } from '../scenario/values.js';
import type { CopyCheck } from '../scenario/values.js';
import { ScheduleText, ScheduleSyntaxError, formatSchedule, parseSchedule as parseScheduleText } from './schedule.js';

export type ThreadStatus = 'ready' | 'blocked' | 'done' | 'signal' | 'killed' | 'livelock' | 'unborn';

export type Wait =
  | { kind: 'fault'; cont: FaultCont; write: boolean }
  | { kind: 'uffd_read'; ctx: UserfaultfdCtx }
  /** a madvise(MADV_POPULATE_*) whose GUP fault sleeps in handle_userfault: advice `advice` of the op, on [addr, addr+len) */
  | { kind: 'gup'; cont: PopulateCont; advice: number; addr: number; len: number };

export interface ThreadState {
  name: string;
  index: number;
  process: string;
  task: Task | null;
  ops: CompiledOp[];
  pc: number;
  status: ThreadStatus;
  wait: Wait | null;
  /** bytes of the current memory operation already done */
  progress: number;
  /** faults taken at the current byte without progress (a livelock guard) */
  spins: number;
  /**
   * the operands of the memory operation under way (address, length, stored value), evaluated when it
   * started: a CPU retries the faulting instruction at the address in its registers, whatever the
   * scenario's variables became while the thread slept (null between operations)
   */
  operands: MemOperands | null;
  signal: { sig: number; code: number; addr: number } | null;
  killedBy: number;
  /** a server thread: after its last operation it starts again at the first (scenario `loop: true`) */
  loop: boolean;
  /**
   * the explorer's hash of this thread's control fields (fingerprint), valid while hashOk. Only a
   * step of the thread itself (stepThread), killProcess and adoptThreads change a thread; they drop it.
   */
  hashA: number;
  hashB: number;
  hashOk: boolean;
}

/** see ThreadState.operands; never changed once made */
export interface MemOperands {
  readonly addr: number;
  readonly len: number;
  /** the stored value's bytes 0..3 and 4..7 (writes) */
  readonly lo: number;
  readonly hi: number;
}

export type { CopyCheck } from '../scenario/values.js';

export interface OpRecord {
  id: string;
  thread: string;
  op: string;
  errno: string | null;
  result: string | null;
  step: number;
  /** the fields an ioctl wrote back into its argument, when it wrote any (also when it failed) */
  out?: OpOut;
}

export type { VarValue } from '../scenario/values.js';

export interface Process {
  name: string;
  mm: MmStruct;
  pid: number;
}

export class MachineError extends Error {}


export class Machine {
  readonly k: Kernel;
  readonly threads: ThreadState[];
  readonly setup: ThreadState;
  readonly procs: Map<string, Process>;
  readonly vars: Map<string, VarValue>;
  /**
   * Every operation's record, and the schedule taken (thread names), in order. The explorer clones a
   * machine for every step it tries: a clone shares these as persistent lists (newest first) with
   * its original; the arrays are made when someone asks for them (`records`, `taken`).
   */
  private recList: Cons<OpRecord> | null;
  private recArr: OpRecord[] | null;
  private takenList: Cons<string> | null;
  private takenArr: string[] | null;
  /**
   * A machine without history (`history: false`, an untraced run) keeps neither: only the last record
   * of each operation id, in the order the ids first ran, and the schedule as text (runs and repeated
   * blocks, schedule.ts), so that its memory does not grow with the steps it takes. It is not cloned.
   */
  private setupById: Map<string, OpRecord> | null;
  /** without history: the thread operations (by op index) in the order they first ran */
  private runOrder: number[] | null;
  private sched: ScheduleText | null;
  /**
   * The last record of each thread operation (a loop thread runs an op many times), by op index
   * (opIndexOf); setup ops are in `records` only. Shared with a clone until changed (bit 1). The
   * unordered sum of their hashes is kept up to date (lastSumA/B) for fingerprints.
   */
  private lastRec: (OpRecord | undefined)[];
  /** the hash of each of them (two lanes per index), copied on write with lastRec */
  private lastRecH: number[];
  private lastSumA: number;
  private lastSumB: number;
  /**
   * lastRecH/lastSum are kept up to date only once a fingerprint has been asked for (exploration);
   * a single run never hashes its records. lastHashOk is false while they lag behind lastRec.
   */
  private hashLast: boolean;
  private lastHashOk: boolean;
  /** data_at checks: "buffer@checkpoint" -> what the copies into the buffer looked like */
  copies: Map<string, CopyCheck>;
  /** lastRec, copies and snapshots are shared with a clone until changed (bits 1, 2, 4) */
  private sharedMaps: number;
  snapshots: Map<string, Snapshot>;
  /** hash of `snapshots` (valid while snapHashOk; snapshots never change once taken) */
  private snapHashA: number;
  private snapHashB: number;
  private snapHashOk: boolean;
  step: number;
  deadlock: boolean;
  /**
   * called after every step (setup operations included): `--debug` and the fuzzer check the whole
   * kernel state here (kernel/mm/debug_vm.ts); clones keep it
   */
  afterStep: ((m: Machine, t: ThreadState) => void) | null;

  /**
   * A machine for a scenario and kernel (its setup not run yet), or (`from`) the copy clone() makes:
   * one constructor for both, and no field with an initializer, so the compiler sees every field set
   * on either path.
   */
  constructor(readonly sc: CompiledScenario, spec: KernelSpec, opts: { trace?: boolean; history?: boolean; afterStep?: (m: Machine, t: ThreadState) => void } = {},
    from?: { o: Machine; k: Kernel; threads: ThreadState[]; setup: ThreadState; procs: Map<string, Process>; vars: Map<string, VarValue> }) {
    if (from) {
      const o = from.o;
      this.k = from.k;
      this.threads = from.threads;
      this.setup = from.setup;
      this.procs = from.procs;
      this.vars = from.vars;
      // records and schedule: persistent lists shared with the original (clone() made them)
      this.recList = o.recList;
      this.recArr = null;
      this.takenList = o.takenList;
      this.takenArr = null;
      this.setupById = null;
      this.runOrder = null;
      this.sched = null;
      // shared until changed (sharedMaps)
      this.lastRec = o.lastRec;
      this.lastRecH = o.lastRecH;
      this.lastSumA = o.lastSumA;
      this.lastSumB = o.lastSumB;
      this.hashLast = o.hashLast;
      this.lastHashOk = o.lastHashOk;
      this.copies = o.copies;
      this.sharedMaps = 7;
      this.snapshots = o.snapshots;
      this.snapHashA = o.snapHashA;
      this.snapHashB = o.snapHashB;
      this.snapHashOk = o.snapHashOk;
      this.step = o.step;
      this.deadlock = o.deadlock;
      this.afterStep = o.afterStep;
      return;
    }
    this.procs = new Map<string, Process>();
    this.vars = new Map<string, VarValue>();
    this.recList = null;
    this.recArr = [];
    this.takenList = null;
    this.takenArr = [];
    this.setupById = null;
    this.runOrder = null;
    this.sched = null;
    this.lastRec = [];
    this.lastRecH = [];
    this.lastSumA = 0;
    this.lastSumB = 0;
    this.hashLast = false;
    this.lastHashOk = true;
    this.copies = new Map<string, CopyCheck>();
    this.sharedMaps = 0;
    this.snapshots = new Map<string, Snapshot>();
    this.snapHashA = 0;
    this.snapHashB = 0;
    this.snapHashOk = false;
    this.step = 0;
    this.deadlock = false;
    this.k = new Kernel(spec);
    this.afterStep = opts.afterStep ?? null;
    if (opts.history === false) {
      this.recArr = null;
      this.takenArr = null;
      this.setupById = new Map();
      this.runOrder = [];
      this.sched = new ScheduleText();
    }
    if (opts.trace !== false) this.k.tr = new Tracer();
    const mm = this.k.newMm();
    const main: Process = { name: 'main', mm, pid: 0 };
    this.procs.set('main', main);
    const mk = (name: string, index: number, process: string, ops: CompiledOp[], loop = false): ThreadState => ({
      name, index, process, task: null, ops, pc: 0, status: 'unborn', wait: null, progress: 0, spins: 0, operands: null, signal: null, killedBy: 0, loop,
      hashA: 0, hashB: 0, hashOk: false,
    });
    this.setup = mk('setup', -1, 'main', sc.setup);
    this.setup.task = this.k.newTask('setup', mm);
    main.pid = this.setup.task.tid;
    this.setup.status = 'ready';
    this.threads = sc.threads.map((t, i) => mk(t.name, i, t.process, t.ops, t.loop === true));
    for (const c of sc.copyChecks ?? []) {
      this.copies.set(`${c.buffer}@${c.at}`, { buffer: c.buffer, at: c.at, copies: 0, mismatches: 0, detail: null });
    }
    this.adoptThreads();
  }

  /** threads whose process exists get their task */
  adoptThreads(): void {
    for (const t of this.threads) {
      if (t.status !== 'unborn') continue;
      const p = this.procs.get(t.process);
      if (!p) continue;
      t.task = this.k.newTask(t.name, p.mm, p.pid);
      t.status = 'ready';
      t.hashOk = false;
    }
  }

  /** run the setup operations in order; none of them may block or die (an error of the scenario, at the operation) */
  runSetup(): void {
    const s = this.setup;
    const at = (op: CompiledOp, detail: string) => new ScenarioError(this.sc.file, op.line, op.col ?? 1, op.field ?? op.id, detail);
    while (s.pc < s.ops.length && s.status === 'ready') {
      const r = this.stepThread(s);
      if (r === 'blocked') throw at(s.ops[s.pc]!, `setup operation ${s.ops[s.pc]!.id} blocked; setup must not wait for a thread`);
    }
    if (s.status === 'signal') {
      const op = s.ops[s.pc]!;
      throw at(op, `setup operation ${op.id} died of ${SIGNAL_NAME[s.signal!.sig] ?? `signal ${s.signal!.sig}`}`);
    }
    // a process forked by setup has its threads before the first step
    this.adoptThreads();
    this.takeCheckpoint('setup');
  }

  runnable(t: ThreadState): boolean {
    if (t.status === 'ready') return t.pc < t.ops.length;
    if (t.status !== 'blocked' || !t.wait) return false;
    if (t.wait.kind !== 'uffd_read') return t.task!.uwq?.waken === true || t.task!.uwq === null;
    return t.wait.ctx.pending.length > 0 || t.wait.ctx.released;
  }

  runnableThreads(): ThreadState[] {
    return this.threads.filter((t) => this.runnable(t));
  }

  /** one atomic step of thread t */
  stepThread(t: ThreadState): 'done' | 'blocked' | 'ended' {
    const k = this.k;
    t.hashOk = false;
    k.current = t.task;
    if (k.tr) {
      k.tr.thread = t.name;
      k.tr.step = t === this.setup ? 0 : this.step + 1;
    }
    budgetStep();
    this.cur = t;
    if (t !== this.setup) {
      this.step++;
      if (this.takenArr !== null) this.takenArr.push(t.name);
      else if (this.sched !== null) this.sched.push(t.name);
      else this.takenList = { v: t.name, next: this.takenList };
    }
    const r = t.status === 'blocked' ? resumeOp(this, t) : execOp(this, t);
    k.current = null;
    if (this.afterStep !== null) this.afterStep(this, t);
    if (r === 'done') {
      t.pc++;
      t.progress = 0;
      t.spins = 0;
      t.operands = null;
      if (t.pc >= t.ops.length) {
        if (t.loop) {
          t.pc = 0;
          return 'done';
        }
        t.status = 'done';
        return 'ended';
      }
      return 'done';
    }
    if (r === 'blocked') {
      t.status = 'blocked';
      return 'blocked';
    }
    return 'ended';
  }

  /** a fatal signal kills every thread of the process (the default disposition of SIGBUS/SIGSEGV) */
  killProcess(t: ThreadState, sig: number): void {
    for (const o of [this.setup, ...this.threads]) {
      if (o === t || o.process !== t.process) continue;
      if (o.status === 'ready' || o.status === 'blocked' || o.status === 'unborn') {
        o.status = 'killed';
        o.hashOk = false;
        o.killedBy = sig;
        if (o.task?.uwq) o.task.uwq = null;
      }
    }
  }

  /** the thread of the step under way (for the progress line and budget messages) */
  cur: ThreadState | null = null;

  /** what the machine is doing now: "setup op setup#2 memset (line 5), 1.2 GiB done" */
  describeNow(): string {
    const t = this.cur;
    if (!t) return '';
    const op = t.ops[t.pc];
    if (!op) return `${t.name === 'setup' ? 'the setup' : `thread ${t.name}`}`;
    const done = t.progress > 0 ? `, ${fmtBytes(t.progress)} done` : '';
    return `${t.name === 'setup' ? 'setup' : `thread ${t.name}`} op ${op.id} ${op.op} (line ${op.line})${done}`;
  }

  /** a loop thread waiting for a uffd message at the head of its loop: a server with no work, not a deadlock */
  idle(t: ThreadState): boolean {
    return t.loop && t.status === 'blocked' && t.pc === 0 && t.wait?.kind === 'uffd_read';
  }

  /** the default schedule: the lowest-numbered runnable thread runs until it blocks or ends */
  runDefault(): void {
    let cur: ThreadState | null = null;
    // under a budget with --max-steps, that budget stops the run (budgetStep); otherwise this bound
    const limit = budgetStepLimit() === undefined ? DEFAULT_STEP_LIMIT : Infinity;
    for (let n = 0; ; n++) {
      if (n >= limit) throw new BudgetExceeded('max-steps', `the default schedule did not end after ${DEFAULT_STEP_LIMIT} steps (a loop thread that never blocks?); --max-steps sets the limit`);
      if (!cur || !this.runnable(cur)) {
        cur = null;
        for (const t of this.threads) {
          if (this.runnable(t)) {
            cur = t;
            break;
          }
        }
      }
      if (!cur) break;
      const r = this.stepThread(cur);
      if (r !== 'done') cur = null;
      this.adoptThreads();
    }
    this.deadlock = this.threads.some((t) => t.status === 'blocked' && !this.idle(t));
  }

  /** follow a schedule (thread names, one step each), then finish with the default policy */
  runSchedule(steps: string[]): void {
    steps.forEach((name, i) => {
      const t = this.threads.find((x) => x.name === name);
      if (!t) throw new MachineError(`schedule step ${i + 1}: unknown thread '${name}'`);
      if (!this.runnable(t)) throw new MachineError(`schedule step ${i + 1}: thread '${name}' cannot run (${describe(t)})`);
      this.stepThread(t);
      this.adoptThreads();
    });
    this.runDefault();
  }

  takeCheckpoint(name: string): void {
    const snap = takeSnapshot(this);
    if (this.sc.images?.includes(name)) snap.memory = takeMemoryImage(this);
    if (this.sharedMaps & 4) {
      this.snapshots = new Map(this.snapshots);
      this.sharedMaps &= ~4;
    }
    this.snapshots.set(name, snap);
    this.snapHashOk = false;
  }

  /** the machine keeps every record and the schedule step by step (not `history: false`) */
  get keepsHistory(): boolean {
    return this.sched === null;
  }

  /** every operation's record, in order (a machine with history only) */
  get records(): OpRecord[] {
    if (this.sched !== null) throw new MachineError('records: this machine keeps no history (history: false)');
    if (this.recArr === null) {
      this.recArr = listToArray(this.recList);
      this.recList = null;
    }
    return this.recArr;
  }

  /** the schedule so far: the thread of every step (a machine with history only) */
  get taken(): string[] {
    if (this.sched !== null) throw new MachineError('taken: this machine keeps no history (history: false)');
    if (this.takenArr === null) {
      this.takenArr = listToArray(this.takenList);
      this.takenList = null;
    }
    return this.takenArr;
  }

  /**
   * what the machine keeps of its past, in objects: operation records and schedule entries (steps, or
   * runs and blocks of ScheduleText). With history it grows with the steps; without, with the scenario's
   * operation ids and the schedule's non-repeating thread switches.
   */
  historySize(): { records: number; schedule: number } {
    if (this.sched !== null) return { records: this.setupById!.size + this.runOrder!.length, schedule: this.sched.size };
    let records = this.recArr?.length ?? 0, schedule = this.takenArr?.length ?? 0;
    for (let l = this.recList; l !== null; l = l.next) records++;
    for (let l = this.takenList; l !== null; l = l.next) schedule++;
    return { records, schedule };
  }

  /** the last record of each operation id (setup's too), in the order the ids first ran */
  opRecords(): Iterable<OpRecord> {
    if (this.setupById !== null) {
      // setup runs before every thread: its records first, then each thread operation's last
      const out = [...this.setupById.values()];
      for (const i of this.runOrder!) out.push(this.lastRec[i]!);
      return out;
    }
    const last = new Map<string, OpRecord>();
    for (const r of this.records) last.set(r.id, r);
    return last.values();
  }

  /** the schedule so far as text ("vcpu handler*3 vcpu", repeated blocks as "(handler*3 vcpu)*N") */
  scheduleText(): string {
    return this.sched !== null ? this.sched.toString() : formatSchedule(this.taken);
  }

  /** the last record of each thread operation id, in the order of the scenario's operations */
  get lastRecord(): Map<string, OpRecord> {
    const out = new Map<string, OpRecord>();
    for (const r of this.lastRec) if (r) out.set(r.id, r);
    return out;
  }

  /** the last record of thread operation i (opIndexOf); for explorer write sets */
  lastRecordAt(i: number): OpRecord | undefined {
    return this.lastRec[i];
  }
  /** how many operation indices lastRecordAt may answer for */
  get lastRecordCount(): number {
    return this.lastRec.length;
  }

  /** remember an operation's result (exec.ts) */
  /** index of thread t's current operation among all thread operations (opIndexOf, without the lookup) */
  opIndex(t: ThreadState): number {
    let base = this.opBases;
    if (!base) {  // clones (MachineCopy) start without it
      base = this.opBases = new Int32Array(this.threads.length);
      let n = 0;
      this.threads.forEach((x, i) => { base![i] = n; n += x.ops.length; });
    }
    return base[t.index]! + t.pc;
  }
  private opBases: Int32Array | null = null;

  noteRecord(rec: OpRecord, index?: number): void {
    const setup = rec.thread === 'setup';
    if (this.recArr !== null) this.recArr.push(rec);
    else if (this.setupById !== null) {
      if (setup) this.setupById.set(rec.id, rec);
    } else this.recList = { v: rec, next: this.recList };
    if (setup) return;
    if (this.sharedMaps & 1) {
      this.lastRec = this.lastRec.slice();
      this.lastRecH = this.lastRecH.slice();
      this.sharedMaps &= ~1;
    }
    const i = index ?? opIndexOf(this.sc, rec.id);
    if (this.runOrder !== null && this.lastRec[i] === undefined) this.runOrder.push(i);
    if (!this.hashLast) {
      while (this.lastRec.length < i) this.lastRec.push(undefined);
      this.lastRec[i] = rec;
      this.lastHashOk = false;
      return;
    }
    const hs = this.lastRecH;
    if (this.lastRec[i]) {
      this.lastSumA = (this.lastSumA - hs[2 * i]!) | 0;
      this.lastSumB = (this.lastSumB - hs[2 * i + 1]!) | 0;
    }
    while (this.lastRec.length < i) this.lastRec.push(undefined);
    while (hs.length < 2 * i) hs.push(0);
    this.lastRec[i] = rec;
    recordHash(rec);
    hs[2 * i] = recHashA;
    hs[2 * i + 1] = recHashB;
    this.lastSumA = (this.lastSumA + recHashA) | 0;
    this.lastSumB = (this.lastSumB + recHashB) | 0;
  }

  /** recompute the hashes of lastRec and switch noteRecord to keeping them incrementally */
  private rehashLast(): void {
    const hs: number[] = [];
    let a = 0, b = 0;
    for (let i = 0; i < this.lastRec.length; i++) {
      const r = this.lastRec[i];
      if (!r) { hs.push(0, 0); continue; }
      recordHash(r);
      hs.push(recHashA, recHashB);
      a = (a + recHashA) | 0;
      b = (b + recHashB) | 0;
    }
    this.lastRecH = hs;
    this.lastSumA = a;
    this.lastSumB = b;
    this.sharedMaps &= ~1; // lastRecH is new; lastRec itself may still be shared
    this.lastRec = this.lastRec.slice();
    this.hashLast = true;
    this.lastHashOk = true;
  }

  /** update a data_at tally (scenario/copies.ts) */
  noteCopy(key: string, c: CopyCheck): void {
    if (this.sharedMaps & 2) {
      this.copies = new Map(this.copies);
      this.sharedMaps &= ~2;
    }
    this.copies.set(key, c);
  }

  finish(): void {
    this.takeCheckpoint('final');
  }

  mainMm(): MmStruct {
    return this.procs.get('main')!.mm;
  }

  /**
   * A copy of the whole machine (kernel, tasks, threads, variables, records, checkpoints), for the
   * explorer: every reference into the kernel (tasks, uffd contexts, mms) points into the copy's
   * kernel. Operations, messages, finished buffers and snapshots never change, so they are shared;
   * records and the schedule are shared as persistent lists. The copy is not traced.
   */
  /**
   * After cells were written behind the machine's back (an effect replayed, explore/step.ts): views and
   * caches made from cells are made again. (Every piece of state is not in cells yet: until it is,
   * step reuse is refused by the explorer.)
   */
  resync(): void {
    throw new MachineError('resync: the machine keeps state outside its store (step reuse needs all of it in cells)');
  }

  clone(): Machine {
    if (this.sched !== null) throw new MachineError('clone: a machine without history (history: false) is not cloned');
    const k0 = this.k;
    const k = k0.clone();
    const ts = this.threads, n = ts.length;
    const threads: ThreadState[] = new Array(n);
    for (let i = 0; i < n; i++) threads[i] = cloneThread(ts[i]!, k0, k);
    const procs = new Map<string, Process>();
    for (const [name, p] of this.procs) procs.set(name, { name: p.name, mm: k.mms[k0.mms.indexOf(p.mm)] ?? p.mm, pid: p.pid });
    const vars = new Map<string, VarValue>();
    for (const [name, v] of this.vars) {
      if (v.kind === 'uffd') vars.set(name, { kind: 'uffd', ctx: k.uffds[k0.uffds.indexOf(v.ctx)] ?? v.ctx });
      else vars.set(name, v);
    }
    // records and schedule: persistent lists from now on, shared with the copy
    if (this.recArr !== null) {
      this.recList = arrayToList(this.recArr);
      this.recArr = null;
    }
    if (this.takenArr !== null) {
      this.takenList = arrayToList(this.takenArr);
      this.takenArr = null;
    }
    this.sharedMaps = 7;
    return new Machine(this.sc, this.k.spec, {}, { o: this, k, threads, setup: cloneThread(this.setup, k0, k), procs, vars });
  }

  /**
   * Fingerprint of the machine state (explorer): the kernel, every thread's position and wait, the
   * variables, the last result of each operation, the checkpoints and the data_at tallies. What only
   * describes the path taken (step count, schedule, record order, fault/retry counts) is left out or
   * goes to the counter lane.
   */
  fingerprint(h: StateHasher): void {
    const k = this.k;
    k.fingerprint(h);
    const uffds = k.uffds;
    const ts = this.threads;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      if (!t.hashOk) threadHash(t, uffds);
      h.pair(t.hashA, t.hashB);
      h.counter(t.spins);
      const w = t.wait;
      if (w !== null && w.kind === 'fault') h.counter(w.cont.attempts);
      else if (w !== null && w.kind === 'gup') h.counter(w.cont.gup.attempts);
    }
    h.setBegin();
    for (const p of this.procs.values()) {
      h.item();
      h.strc(p.name);
      h.u32(p.mm.id);
      h.u32(p.pid);
      h.itemEnd();
    }
    h.setEnd();
    h.setBegin();
    for (const [n, v] of this.vars) {
      h.item();
      if (v.kind === 'uffd') {
        // re-made by every clone (it points into the clone's kernel)
        h.strc(n);
        h.u32(2);
        h.u32(uffds.indexOf(v.ctx));
      } else {
        // variables are replaced, not changed: their hash is kept
        let c = varHashes.get(v);
        if (c === undefined || c.name !== n) {
          c = varHash(n, v, uffds);
          varHashes.set(v, c);
        }
        h.pair(c.a, c.b);
      }
      h.itemEnd();
    }
    h.setEnd();
    // the last record of each operation: an unordered set, its sum kept by noteRecord
    if (!this.lastHashOk) this.rehashLast();
    h.pair(this.lastSumA, this.lastSumB);
    if (!this.snapHashOk) {
      const s = snapScratch.reset();
      s.setBegin();
      for (const [n, snap] of this.snapshots) {
        s.item();
        s.strc(n);
        hashPlain(s, snap);
        s.itemEnd();
      }
      s.setEnd();
      this.snapHashA = s.controlHi();
      this.snapHashB = s.controlLo();
      this.snapHashOk = true;
    }
    h.pair(this.snapHashA, this.snapHashB);
    for (const c of this.copies.values()) {
      h.strc(c.buffer);
      h.strc(c.at);
      h.counter(c.copies);
      h.bool(c.mismatches > 0);
      h.counter(c.mismatches);
    }
  }
}


/** a node of a persistent list (newest first) */
interface Cons<T> {
  readonly v: T;
  readonly next: Cons<T> | null;
}

function arrayToList<T>(a: T[]): Cons<T> | null {
  let l: Cons<T> | null = null;
  for (let i = 0; i < a.length; i++) l = { v: a[i]!, next: l };
  return l;
}

function listToArray<T>(l: Cons<T> | null): T[] {
  const out: T[] = [];
  for (let x = l; x !== null; x = x.next) out.push(x.v);
  return out.reverse();
}

/** a thread of a machine cloned from k0's into k (same indices of tasks and uffd contexts) */
function cloneThread(t: ThreadState, k0: Kernel, k: Kernel): ThreadState {
  const w = t.wait;
  let wait: Wait | null = null;
  if (w !== null) {
    if (w.kind === 'fault') {
      const c = w.cont;
      wait = {
        kind: 'fault',
        cont: { address: c.address, error_code: c.error_code, flags: c.flags, major: c.major, attempts: c.attempts, stage: c.stage },
        write: w.write,
      };
    } else if (w.kind === 'gup') {
      wait = { ...w, cont: { ...w.cont, gup: { ...w.cont.gup } } };
    } else wait = { kind: 'uffd_read', ctx: k.uffds[k0.uffds.indexOf(w.ctx)] ?? w.ctx };
  }
  const task = t.task === null ? null : (k.tasks[k0.tasks.indexOf(t.task)] ?? t.task);
  return {
    name: t.name, index: t.index, process: t.process, task, ops: t.ops, pc: t.pc, status: t.status, wait,
    progress: t.progress, spins: t.spins, operands: t.operands, signal: t.signal, killedBy: t.killedBy, loop: t.loop,
    hashA: t.hashA, hashB: t.hashB, hashOk: t.hashOk,
  };
}

/** thread operation ids -> small indices, per scenario (Machine.lastRec) */
const opIndices = new WeakMap<CompiledScenario, Map<string, number>>();
function opIndexOf(sc: CompiledScenario, id: string): number {
  let m = opIndices.get(sc);
  if (!m) {
    m = new Map();
    for (const t of sc.threads) for (const op of t.ops) if (!m.has(op.id)) m.set(op.id, m.size);
    opIndices.set(sc, m);
  }
  let i = m.get(id);
  if (i === undefined) {
    i = m.size;
    m.set(id, i);
  }
  return i;
}

const snapScratch = new StateHasherClass();

/** steps the default schedule may take before it is called non-terminating (defined in budget.ts, which the CLI loads at start-up) */
export { DEFAULT_STEP_LIMIT };

function statusCode(s: ThreadStatus): number {
  switch (s) {
    case 'ready': return 1;
    case 'blocked': return 2;
    case 'done': return 3;
    case 'signal': return 4;
    case 'killed': return 5;
    case 'livelock': return 6;
    case 'unborn': return 7;
  }
}

/** a thread's position, status and wait (not its statistics), into t.hashA/B */
const threadScratch = new StateHasherClass();
function threadHash(t: ThreadState, uffds: UserfaultfdCtx[]): void {
  const h = threadScratch.reset();
  h.u32(statusCode(t.status));
  h.u32(t.pc);
  h.u32(t.progress);
  const o = t.operands;
  if (o === null) h.u32(0);
  else {
    h.u32(1);
    h.num(o.addr);
    h.num(o.len);
    h.u32(o.lo);
    h.u32(o.hi);
  }
  h.u32(t.signal ? t.signal.sig : 0);
  h.u32(t.killedBy);
  const w = t.wait;
  if (!w) h.u32(0);
  else if (w.kind === 'uffd_read') {
    h.u32(1);
    h.u32(uffds.indexOf(w.ctx));
  } else if (w.kind === 'gup') {
    const g = w.cont.gup;
    h.u32(3);
    h.u32(w.advice);
    h.num(w.addr);
    h.num(w.len);
    h.num(g.addr);
    h.num(g.end);
    h.bool(g.write);
    h.bool(g.tried);
    h.num(w.cont.walkEnd);
    h.bool(w.cont.unmapped);
  } else {
    const c = w.cont;
    h.u32(2);
    h.num(c.address);
    h.u32(c.error_code);
    h.u32(c.flags);
    h.u32(c.major);
    h.u32(c.stage === 'vma_lock' ? 1 : 2);
    h.bool(w.write);
  }
  t.hashA = h.controlHi();
  t.hashB = h.controlLo();
  t.hashOk = true;
}

/** the hash of a variable (name and value), kept per value object (values are replaced, not changed) */
const varHashes = new WeakMap<VarValue, { name: string; a: number; b: number }>();
const varScratch = new StateHasherClass();
function varHash(n: string, v: VarValue, uffds: UserfaultfdCtx[]): { name: string; a: number; b: number } {
  const h = varScratch.reset();
  h.strc(n);
  switch (v.kind) {
    case 'mapping': h.u32(1); h.num(Number(v.addr)); h.num(Number(v.len)); break;
    case 'uffd': h.u32(2); h.u32(uffds.indexOf(v.ctx)); break;
    case 'msg': h.u32(3); h.u32(v.msg.event); h.u32(v.msg.flags); h.num(v.msg.address); h.u32(v.msg.ptid); break;
    case 'data': {
      h.u32(4);
      h.num(Number(v.addr));
      h.u32(v.bytes.length);
      h.u32(v.bytes.filled);
      h.u32(v.bytes.nz);
      h.pair(v.bytes.h1, v.bytes.h2);
      break;
    }
    case 'ioctls': h.u32(5); h.num(Number(v.value & 0xffffffffn)); h.num(Number(v.value >> 32n)); break;
    case 'process': h.u32(6); h.strc(v.name); break;
  }
  return { name: n, a: h.controlHi(), b: h.controlLo() };
}

export function describe(t: ThreadState): string {
  if (t.status === 'blocked') return t.wait?.kind === 'uffd_read' ? 'blocked reading its userfaultfd' : 'blocked in handle_userfault';
  if (t.status === 'ready' && t.pc >= t.ops.length) return 'finished';
  return t.status;
}

/** "vcpu uffd*3 vcpu" / "vcpu,uffd,uffd" / "(uffd*3 vcpu)*2" -> one name per step (schedule.ts) */
export function parseSchedule(s: string): string[] {
  try {
    return parseScheduleText(s);
  } catch (e) {
    if (e instanceof ScheduleSyntaxError) throw new MachineError(e.message);
    throw e;
  }
}

/** one thread name per step -> "vcpu uffd*3 vcpu", repeated blocks as "(uffd*3 vcpu)*N" (schedule.ts) */
export { formatSchedule };

let recHashA = 0, recHashB = 0;
/** the hash of a record's operation id, errno, result and written-back fields, in recHashA/recHashB */
function recordHash(r: OpRecord): void {
  let a = 0x2f1b3c4d ^ Math.imul(r.id.length, 0x9e3779b1), b = 0x6c8e9cf5;
  for (let j = 0; j < 4; j++) {
    const s = j === 0 ? r.id : j === 1 ? r.errno : j === 2 ? r.result : r.out ? formatOut(r.out) : null;
    if (s === null) {
      a = Math.imul(a ^ 0x7fffffff, 0x01000193);
      b = (Math.imul(b, 0x5bd1e995) + 0x7fffffff) | 0;
      continue;
    }
    a = Math.imul(a ^ (s.length + 0x10000), 0x01000193);
    b = (Math.imul(b ^ (b >>> 15), 0x5bd1e995) + s.length) | 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = (Math.imul(b ^ (b >>> 15), 0x5bd1e995) + c) | 0;
    }
  }
  recHashA = fmix32(a ^ Math.imul(b, 0x85ebca6b));
  recHashB = fmix32(b + Math.imul(a, 0xc2b2ae35));
}

function fmtBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n} B`;
}

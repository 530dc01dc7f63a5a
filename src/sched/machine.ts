// The machine a scenario runs on: the kernel model, one task per scenario thread, and a scheduler that
// lets one thread take one atomic step (an operation, or the resumption of a blocked one) at a time.
import { migration_entry_at } from '../kernel/mm/migrate.js';
import { BudgetExceeded, budgetStep, budgetStepLimit, DEFAULT_STEP_LIMIT } from './budget.js';
import { Kernel, KernelSpec } from '../kernel/kernel.js';
import type { MmStruct } from '../kernel/include/mm_types.js';
import { Tracer } from '../trace/events.js';
import type { CompiledScenario } from '../scenario/load.js';
import { ScenarioError } from '../scenario/error.js';
import type { CompiledOp } from '../scenario/ops.js';
import { SIGNAL_NAME } from '../kernel/include/signal.js';
import { execOp, fatalSignalWake, resumeOp, formatOut, notModelledAt, type OpOut } from './exec.js';
import { NotModelledError } from '../kernel/include/errno.js';
import { userfaultfd_event_done } from '../kernel/fs/userfaultfd.js';
import { takeSnapshot, takeMemoryImage } from '../scenario/observe.js';
import type { StateHasher } from '../state/hasher.js';
import type { Store } from '../state/store.js';
import type { CopyCheck } from '../scenario/values.js';
import { ScheduleText, ScheduleSyntaxError, formatSchedule, parseSchedule as parseScheduleText } from './schedule.js';
import { Copies, Layout, Procs, Results, Snapshots, ThreadState, Vars, type LastResult, type MachineSegs, type Recycling } from './cells.js';
import { IntLog, LastRecords, RecordLog, type OpRecord } from './records.js';
import type { OpOut as RecordOut } from '../scenario/values.js';
import { PATH_AREAS, type ScopeArea } from '../profiles/profiles.js';

export { ThreadState, type ThreadStatus, type Wait, type MemOperands, type Process, type LastResult } from './cells.js';

export type { CopyCheck } from '../scenario/values.js';

export type { OpRecord } from './records.js';

export type { VarValue } from '../scenario/values.js';

export class MachineError extends Error {}


/**
 * The machine's state is in cells of its kernel's Store (sched/cells.ts: threads, variables, processes,
 * the last result of each operation, checkpoints, data_at tallies), so a copy of the machine is a copy
 * of the Store with new views over it, and its fingerprint is the Store's. What is left in fields is
 * history (every record and the schedule taken, for `run` output and counterexamples), the step count,
 * and the immutable scenario.
 */
export class Machine {
  readonly k: Kernel;
  /** where the machine's cells are (immutable, per scenario), and its segment (the explorer's write sets read both) */
  readonly layout: Layout;
  segs: MachineSegs;
  threads: ThreadState[];
  setup: ThreadState;
  procs: Procs;
  vars: Vars;
  /** data_at checks: "buffer@checkpoint" -> what the copies into the buffer looked like */
  copies: Copies;
  snapshots: Snapshots;
  /** the last result of each thread operation, by op index */
  private results: Results;
  /**
   * History, not state (nothing `check` decides reads it): every operation's record, and the schedule
   * taken (thread names), in order. The explorer clones a machine for every step it tries: a clone
   * shares these as persistent lists (newest first) with its original; the arrays are made when
   * someone asks for them (`records`, `taken`).
   */
  private recList: Cons<OpRecord> | null;
  private recArr: OpRecord[] | null;
  private takenList: Cons<string> | null;
  private takenArr: string[] | null;
  /**
   * A machine with history that was never copied keeps its records and schedule as columns instead
   * (records.ts: no object per step), made into recArr and takenArr when someone asks for them
   * (`records`, `taken`, a copy); from then on it keeps objects.
   */
  private recLog: RecordLog | null;
  private takenLog: IntLog | null;
  /**
   * A machine without history (`history: false`, an untraced run) keeps neither: only the last record
   * of each operation id, in the order the ids first ran, and the schedule as text (runs and repeated
   * blocks, schedule.ts), so that its memory does not grow with the steps it takes. It is not cloned.
   */
  private setupById: Map<string, OpRecord> | null;
  /** without history: the last record of each thread operation (by op index), and the order they first ran in */
  private last: LastRecords | null;
  private sched: ScheduleText | null;
  /** steps taken (history: the fingerprint leaves it out) */
  step: number;
  /**
   * called after every step (setup operations included): `--debug` and the fuzzer check the whole
   * kernel state here (kernel/mm/debug_vm.ts); clones keep it
   */
  afterStep: ((m: Machine, t: ThreadState) => void) | null;
  /** the thread of the step under way (for the progress line and budget messages) */
  cur: ThreadState | null;
  /**
   * while the machine has never been copied, values its cells no longer hold are given back (cells.ts
   * putValue), with history or without: else a plain run's interned values (a read_uffd's message per
   * step) outlive it, and every run after it in the process pays for them in garbage collection
   */
  private readonly recycle: Recycling;
  /**
   * Are the last records in cells yet? A plain run keeps them in its history only (the records, or
   * without history the last one of each operation), as the store does not hash until asked: they are
   * written into cells on the first fingerprint, copy, recording or look at lastRecord
   * (ensureRecordCells), and from then on by every step.
   */
  private recordCells: boolean;
  /** made by clone() or over(): its thread operations' records are in cells, its history may be another machine's */
  private readonly isCopy: boolean;
  /** may a thread still be unborn? (derived from the cells by resyncViews: only adoptThreads and killProcess end an unborn thread) */
  private unborn: boolean;
  /** does the profile leave areas of the model out (KernelSpec.outOfScope)? exec.ts asks per operation only then */
  readonly scoped: boolean;

  /**
   * A machine for a scenario and kernel (its setup not run yet), or (`from`) the copy clone() makes:
   * one constructor for both, and no field with an initializer, so the compiler sees every field set
   * on either path.
   */
  constructor(readonly sc: CompiledScenario, spec: KernelSpec, opts: { trace?: boolean; history?: boolean; afterStep?: (m: Machine, t: ThreadState) => void } = {},
    from?: { o: Machine; k: Kernel }) {
    this.layout = Layout.of(sc);
    this.recycle = { on: !from };
    this.k = from ? from.k : new Kernel(spec, null, this.layout.segments);
    this.scoped = Object.keys(this.k.spec.outOfScope ?? {}).some((a) => !PATH_AREAS.has(a as ScopeArea));
    // views over the cells (set again by resyncViews)
    this.segs = null!;
    this.unborn = true;
    this.recordCells = from !== undefined;
    this.isCopy = from !== undefined;
    this.threads = null!;
    this.setup = null!;
    this.procs = null!;
    this.vars = null!;
    this.copies = null!;
    this.snapshots = null!;
    this.results = null!;
    this.resyncViews();
    this.cur = null;
    if (from) {
      const o = from.o;
      // records and schedule: persistent lists shared with the original (clone() made them)
      this.recList = o.recList;
      this.recArr = null;
      this.takenList = o.takenList;
      this.takenArr = null;
      this.recLog = null;
      this.takenLog = null;
      this.setupById = null;
      this.last = null;
      this.sched = null;
      this.step = o.step;
      this.afterStep = o.afterStep;
      return;
    }
    this.recList = null;
    this.recArr = null;
    this.takenList = null;
    this.takenArr = null;
    this.recLog = new RecordLog();
    this.takenLog = new IntLog();
    this.setupById = null;
    this.last = null;
    this.sched = null;
    this.step = 0;
    this.afterStep = opts.afterStep ?? null;
    if (opts.history === false) {
      this.recLog = null;
      this.takenLog = null;
      this.setupById = new Map();
      this.last = new LastRecords(this.layout.nOps);
      this.sched = new ScheduleText();
    }
    if (opts.trace !== false) this.k.tr = new Tracer();
    const mm = this.k.newMm();
    this.setup.task = this.k.newTask('setup', mm);
    this.procs.set('main', { name: 'main', mm, pid: this.setup.task.tid });
    this.setup.status = 'ready';
    this.copies.init();
    this.adoptThreads();
  }

  /**
   * (Re)make the scenario machine's views over its cells: after a clone, or after cell writes applied
   * from outside (step reuse replays a step's recorded writes: resync). The views keep nothing of their
   * own but caches derived from cells, so this is all the machine's part of resync.
   */
  resyncViews(): void {
    const C = this.k.extraSegments()[0]!;
    const g: MachineSegs = { C };
    const l = this.layout, sc = this.sc, k = this.k;
    this.segs = g;
    this.setup = new ThreadState('setup', -1, 'main', sc.setup, false, k, l, g);
    this.threads = sc.threads.map((t, i) => new ThreadState(t.name, i, t.process, t.ops, t.loop === true, k, l, g));
    this.procs = new Procs(l, C, k);
    this.vars = new Vars(l, C, k, this.recycle);
    this.copies = new Copies(l, g);
    this.snapshots = new Snapshots(l, C);
    this.results = new Results(l, C, sc, this.recycle);
    this.unborn = this.threads.some((t) => t.status === 'unborn');
  }


  /** the runs ended in a deadlock (blocked threads that are not idle servers) */
  get deadlock(): boolean { return this.segs.C.get(this.layout.deadlockCell) === 1; }
  set deadlock(v: boolean) { this.segs.C.set(this.layout.deadlockCell, v ? 1 : 0); }

  /** threads whose process exists get their task */
  adoptThreads(): void {
    if (!this.unborn) return;
    let left = false;
    for (const t of this.threads) {
      if (t.status !== 'unborn') continue;
      const p = this.procs.get(t.process);
      if (!p) {
        left = true;
        continue;
      }
      t.task = this.k.newTask(t.name, p.mm, p.pid);
      t.status = 'ready';
    }
    this.unborn = left;
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
    const s = t.status;
    if (s === 'ready') return t.pc < t.ops.length;
    if (s !== 'blocked') return false;
    const w = t.waitKind;
    if (w === null) return false;
    if (w === 'migration') {
      // migration_entry_wait: the folio's lock is released when the move step removes the entries
      const x = t.wait as { kind: 'migration'; address: number };
      return !migration_entry_at(this.k, t.task!.mm, x.address);
    }
    if (w === 'uffd_event') {
      const q = t.task!.uwq;
      return q === null || userfaultfd_event_done(q);
    }
    if (w !== 'uffd_read') {
      const q = t.task!.uwq;
      return q === null || q.waken === true;
    }
    const ctx = t.waitCtx;
    return ctx.pending.length > 0 || ctx.events.length > 0 || ctx.released;
  }

  runnableThreads(): ThreadState[] {
    return this.threads.filter((t) => this.runnable(t));
  }

  /** one atomic step of thread t (its task is k.current while the step runs: exec.ts reads it there, not from the cells) */
  stepThread(t: ThreadState): 'done' | 'blocked' | 'ended' {
    const k = this.k;
    k.current = t.task;
    if (k.tr) {
      k.tr.thread = t.name;
      k.tr.step = t === this.setup ? 0 : this.step + 1;
    }
    budgetStep();
    this.cur = t;
    if (t !== this.setup) {
      this.step++;
      if (this.takenLog !== null) this.takenLog.push(t.index);
      else if (this.takenArr !== null) this.takenArr.push(t.name);
      else if (this.sched !== null) this.sched.push(t.name);
      else this.takenList = { v: t.name, next: this.takenList };
    }
    let r: 'done' | 'blocked' | 'ended';
    try {
      r = t.status === 'blocked' ? resumeOp(this, t) : execOp(this, t);
    } catch (e) {
      // a limit of the model met on the way (a memory access's fault, not only a system call): an error
      // at the operation's place in the file, never an internal error
      if (e instanceof NotModelledError) throw notModelledAt(this, t.ops[t.pc]!, e);
      throw e;
    }
    k.current = null;
    if (this.afterStep !== null) this.afterStep(this, t);
    if (r === 'done') {
      if (t.nextOp() >= t.ops.length) {
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
        const blocked = o.status === 'blocked';
        o.status = 'killed';
        o.killedBy = sig;
        if (blocked) fatalSignalWake(this, o);
        else if (o.task?.uwq) o.task.uwq = null;
      }
    }
  }

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
    return t.loop && t.status === 'blocked' && t.pc === 0 && t.waitKind === 'uffd_read';
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
      // a read of a uffd that takes an event lets the thread waiting for it go: that thread takes its step
      // at once, then the reader goes on (the kernel lets it go on inside its syscall the moment the read
      // takes the event, and the host's executor waits for it there: docs/fidelity.md; run_default in
      // native/mmsim-exec.c does the same)
      const waiters = this.eventWaitersBefore(cur);
      const r = this.stepThread(cur);
      this.adoptThreads();
      if (waiters !== null) {
        const w = waiters.find((x) => this.runnable(x));
        if (w !== undefined) {
          this.stepThread(w);
          this.adoptThreads();
        }
      }
      if (r !== 'done') cur = null;
    }
    this.deadlock = this.threads.some((t) => t.status === 'blocked' && !this.idle(t));
  }

  /** before cur's step: the threads waiting for their uffd event, when cur's step may let one go (a read of a uffd) */
  private eventWaitersBefore(cur: ThreadState): ThreadState[] | null {
    if (!this.eventWaitHint) return null;
    // first whether any thread waits for its event at all (clearing the hint when none does), and only then
    // whether cur reads: reading cur's operation object each step costs a run of many operations a cache
    // miss per step
    let any = false;
    for (const t of this.threads) {
      if (t.status === 'blocked' && t.waitKind === 'uffd_event') {
        any = true;
        break;
      }
    }
    if (!any) {
      this.eventWaitHint = false;
      return null;
    }
    const reads = cur.status === 'ready' ? cur.ops[cur.pc]?.op === 'read_uffd' : cur.status === 'blocked' && cur.waitKind === 'uffd_read';
    if (!reads) return null;
    let out: ThreadState[] | null = null;
    for (const t of this.threads) {
      if (t.status === 'blocked' && t.waitKind === 'uffd_event' && t !== cur && !this.runnable(t)) (out ??= []).push(t);
    }
    return out;
  }

  /**
   * A hint for the default schedule, no state of the machine: some thread may wait for its uffd event
   * (set by the operations that start such a wait, sched/exec.ts; cleared when a look finds none)
   */
  eventWaitHint = true;
  /** the thread whose system call its death is finishing (exec.ts finishKilledCall): its call returns no result */
  killedCall: ThreadState | null = null;

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
    this.snapshots.set(name, snap);
  }

  /** the machine keeps every record and the schedule step by step (not `history: false`) */
  get keepsHistory(): boolean {
    return this.sched === null;
  }

  /** every operation's record, in order (a machine with history only) */
  get records(): OpRecord[] {
    if (this.sched !== null) throw new MachineError('records: this machine keeps no history (history: false)');
    if (this.recLog !== null) {
      const log = this.recLog, out: OpRecord[] = [];
      for (let i = 0; i < log.length; i++) out.push(log.record(this.sc, this.layout, i));
      this.recArr = out;
      this.recLog = null;
    }
    if (this.recArr === null) {
      this.recArr = listToArray(this.recList);
      this.recList = null;
    }
    return this.recArr;
  }

  /** the schedule so far: the thread of every step (a machine with history only) */
  get taken(): string[] {
    if (this.sched !== null) throw new MachineError('taken: this machine keeps no history (history: false)');
    if (this.takenLog !== null) {
      const log = this.takenLog, out: string[] = [];
      for (let i = 0; i < log.length; i++) out.push(this.threads[log.at(i)]!.name);
      this.takenArr = out;
      this.takenLog = null;
    }
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
    if (this.sched !== null) return { records: this.setupById!.size + this.last!.order.length, schedule: this.sched.size };
    let records = this.recArr?.length ?? this.recLog?.length ?? 0, schedule = this.takenArr?.length ?? this.takenLog?.length ?? 0;
    for (let l = this.recList; l !== null; l = l.next) records++;
    for (let l = this.takenList; l !== null; l = l.next) schedule++;
    return { records, schedule };
  }

  /**
   * the last record of each operation id (setup's too), in the order the ids first ran; in a copy, in
   * the scenario's order (its records are read from cells; `step` is -1)
   */
  opRecords(): Iterable<OpRecord> {
    if (this.setupById !== null) {
      // setup runs before every thread: its records first, then each thread operation's last
      const out = [...this.setupById.values()];
      const last = this.last!;
      for (let j = 0; j < last.order.length; j++) out.push(last.record(this.sc, this.layout, last.order.at(j)));
      return out;
    }
    if (this.isCopy) {
      // a copy (the explorer's states, many made over cells alone: their history is their template's):
      // setup's records, then each thread operation's last from its cell, in the scenario's order
      const out: OpRecord[] = [];
      for (const r of this.records) if (r.thread === 'setup') out.push(r);
      for (let i = 0; i < this.layout.nOps; i++) {
        const r = this.lastRecordAt(i);
        if (r !== undefined) out.push({ ...r, step: -1 });
      }
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

  /** the last result of each thread operation id that ran, in the order of the scenario's operations (from cells) */
  get lastRecord(): Map<string, LastResult> {
    this.ensureRecordCells();
    const out = new Map<string, LastResult>();
    for (let i = 0; i < this.layout.nOps; i++) {
      const r = this.results.at(i);
      if (r) out.set(r.id, r);
    }
    return out;
  }

  /** the last result of thread operation i (opIndex) */
  lastRecordAt(i: number): LastResult | undefined {
    this.ensureRecordCells();
    return this.results.at(i);
  }

  /** the last record of each thread operation into its cell, from the history, if they are not there yet */
  private ensureRecordCells(): void {
    if (this.recordCells) return;
    this.recordCells = true;
    const put = (i: number, r: OpRecord) => this.results.note(i, r.errno, r.result, r.out, formatOut);
    const last = this.last;
    if (last !== null) {
      for (let j = 0; j < last.order.length; j++) {
        const i = last.order.at(j);
        this.results.note(i, last.errno(i), last.result(i), last.out(i), formatOut);
      }
      return;
    }
    const log = this.recLog;
    if (log !== null) {
      for (let j = 0; j < log.length; j++) {
        const i = log.ref(j);
        if (i >= 0) this.results.note(i, log.errno(j), log.result(j), log.out(j), formatOut);
      }
      return;
    }
    const byId = this.layout.opIndexById;
    for (const r of this.records) {
      if (r.thread === 'setup') continue;
      const i = byId.get(r.id);
      if (i !== undefined) put(i, r);
    }
  }

  /** index of thread t's current operation among all thread operations (thread 0's first) */
  opIndex(t: ThreadState): number {
    return this.layout.opBases[t.index]! + t.pc;
  }

  /**
   * remember the result of thread t's current operation (exec.ts), without a record object where the
   * machine keeps columns (records.ts); `oi`: its op index where the caller knows it (opIndex)
   */
  noteResult(t: ThreadState, errno: string | null, result: string | null, out: RecordOut | undefined, oi = -1): void {
    const setup = t === this.setup;
    const i = setup ? -1 : oi >= 0 ? oi : this.opIndex(t);
    if (this.recLog !== null) this.recLog.push(setup ? -(t.pc + 1) : i, this.step, errno, result, out);
    else if (this.last !== null && !setup) this.last.note(i, this.step, errno, result, out);
    else {
      const op = t.ops[t.pc]!;
      this.noteRecord(out !== undefined ? { id: op.id, thread: t.name, op: op.op, errno, result, step: this.step, out } : { id: op.id, thread: t.name, op: op.op, errno, result, step: this.step },
        setup ? undefined : i);
      return;
    }
    if (setup) return;
    if (this.recordCells) this.results.note(i, errno, result, out, formatOut);
    else {
      const st = this.k.st;
      if (st.hashing || st.rec !== null) this.ensureRecordCells();
    }
  }

  /** remember an operation's result as a record object; `index`: opIndex of a thread's operation (none for setup's) */
  noteRecord(rec: OpRecord, index?: number): void {
    const setup = rec.thread === 'setup';
    if (this.recLog !== null) {
      // (a record made elsewhere: the log becomes objects)
      void this.records;
    }
    if (this.recArr !== null) this.recArr.push(rec);
    else if (this.setupById !== null) {
      if (setup) this.setupById.set(rec.id, rec);
    } else this.recList = { v: rec, next: this.recList };
    if (setup || index === undefined) return;
    if (this.last !== null) this.last.note(index, rec.step, rec.errno, rec.result, rec.out);
    if (this.recordCells) this.results.note(index, rec.errno, rec.result, rec.out, formatOut);
    else {
      const st = this.k.st;
      if (st.hashing || st.rec !== null) this.ensureRecordCells();
    }
  }

  /** update a data_at tally (scenario/copies.ts) */
  noteCopy(key: string, c: CopyCheck): void {
    this.copies.set(key, c);
  }

  finish(): void {
    this.takeCheckpoint('final');
  }

  mainMm(): MmStruct {
    return this.procs.get('main')!.mm;
  }

  /**
   * After cells were written behind the machine's back (an effect replayed, explore/step.ts): views and
   * caches made from cells are made again, the kernel's (Kernel.resync) and then the machine's
   * (resyncViews, whose threads' tasks are the kernel's views).
   */
  resync(): void {
    this.k.resync();
    this.resyncViews();
  }

  /**
   * A copy of the whole machine, for the explorer: the kernel's copy (its Store holds the machine's
   * cells) and new views over it. The scenario is shared; records and the schedule (history) are
   * shared as persistent lists. The copy is not traced.
   */
  clone(): Machine {
    this.prepareCopy();
    return new Machine(this.sc, this.k.spec, {}, { o: this, k: this.k.clone() });
  }

  /** before a copy shares this machine's cells and history */
  private prepareCopy(): void {
    if (this.sched !== null) throw new MachineError('clone: a machine without history (history: false) is not cloned');
    this.ensureRecordCells();
    // the copy shares the cells, and the ids in them: none is given back from now on
    this.recycle.on = false;
    // records and schedule: persistent lists from now on, shared with the copy
    if (this.recLog !== null) void this.records;
    if (this.takenLog !== null) void this.taken;
    if (this.recArr !== null) {
      this.recList = arrayToList(this.recArr);
      this.recArr = null;
    }
    if (this.takenArr !== null) {
      this.takenList = arrayToList(this.takenArr);
      this.takenArr = null;
    }
  }

  /**
   * A machine like clone()'s copy of this one, over `st`: a copy of this machine's cells (possibly
   * changed since) that no other machine uses. The explorer keeps states it made by replaying recorded
   * steps as cells only, and makes a machine over them when it needs one.
   */
  over(st: Store): Machine {
    this.prepareCopy();
    return new Machine(this.sc, this.k.spec, {}, { o: this, k: this.k.over(st) });
  }

  /**
   * Fingerprint of the machine state (explorer): the kernel's, whose Store holds the machine's cells
   * too. What only describes the path taken (step count, schedule, record order) is not in cells;
   * fault and retry counts are in the counter lane.
   */
  fingerprint(h: StateHasher): void {
    this.ensureRecordCells();
    this.k.fingerprint(h);
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

/** steps the default schedule may take before it is called non-terminating (defined in budget.ts, which the CLI loads at start-up) */
export { DEFAULT_STEP_LIMIT };

export function describe(t: ThreadState): string {
  if (t.status === 'blocked') {
    const w = t.waitKind;
    return w === 'uffd_read' ? 'blocked reading its userfaultfd' : w === 'migration' ? 'waiting for a migration to end (migration_entry_wait)'
      : w === 'migrate' ? 'between the unmap and move steps of its migration'
      : w === 'khugepaged' ? 'between two steps of its khugepaged visit (the mmap lock dropped)' : 'blocked in handle_userfault';
  }
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

function fmtBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n} B`;
}

// The machine a scenario runs on: the kernel model, one task per scenario thread, and a scheduler that
// lets one thread take one atomic step (an operation, or the resumption of a blocked one) at a time.
import { Kernel, KernelSpec } from '../kernel/kernel.js';
import type { Task } from '../kernel/include/sched.js';
import type { MmStruct } from '../kernel/include/mm_types.js';
import type { FaultCont } from '../kernel/arch/x86/mm/fault.js';
import type { UserfaultfdCtx, UffdMsg } from '../kernel/fs/userfaultfd.js';
import { Tracer } from '../trace/events.js';
import type { CompiledScenario } from '../scenario/load.js';
import type { CompiledOp } from '../scenario/ops.js';
import { execOp, resumeOp } from './exec.js';
import { takeSnapshot, takeMemoryImage, Snapshot } from '../scenario/observe.js';
import { StateHasher as StateHasherClass, type StateHasher } from '../explore/hash.js';
import { hashPlain, bytesHashCached } from '../explore/hash_values.js';

export type ThreadStatus = 'ready' | 'blocked' | 'done' | 'signal' | 'killed' | 'livelock' | 'unborn';

export type Wait =
  | { kind: 'fault'; cont: FaultCont; write: boolean }
  | { kind: 'uffd_read'; ctx: UserfaultfdCtx };

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
  signal: { sig: number; code: number; addr: number } | null;
  killedBy: number;
  /** a server thread: after its last operation it starts again at the first (scenario `loop: true`) */
  loop: boolean;
}

/** what the data_at checks saw of the copies read into one buffer (see scenario/copies.ts) */
export interface CopyCheck {
  buffer: string;
  at: string;
  /** copies compared with the checkpoint's memory */
  copies: number;
  /** copies that differed from it (or were made before the checkpoint existed) */
  mismatches: number;
  /** the first mismatch, for people */
  detail: string | null;
}

export interface OpRecord {
  id: string;
  thread: string;
  op: string;
  errno: string | null;
  result: string | null;
  step: number;
}

export type VarValue =
  | { kind: 'mapping'; addr: bigint; len: bigint }
  | { kind: 'uffd'; ctx: UserfaultfdCtx }
  | { kind: 'msg'; msg: UffdMsg }
  | { kind: 'data'; addr: bigint; bytes: Uint8Array }
  | { kind: 'ioctls'; value: bigint }
  | { kind: 'process'; name: string };

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
  readonly procs = new Map<string, Process>();
  readonly vars = new Map<string, VarValue>();
  readonly records: OpRecord[] = [];
  /** the last record of each thread operation id (a loop thread runs an op many times); setup ops are in `records` only */
  lastRecord = new Map<string, OpRecord>();
  /** data_at checks: "buffer@checkpoint" -> what the copies into the buffer looked like */
  copies = new Map<string, CopyCheck>();
  /** lastRecord, copies and snapshots are shared with a clone until changed (bits 1, 2, 4) */
  private sharedMaps = 0;
  snapshots = new Map<string, Snapshot>();
  /** page contents at each checkpoint, for data_at predicates: checkpoint -> pfn digests by address key */
  step = 0;
  readonly taken: string[] = [];
  deadlock = false;

  constructor(readonly sc: CompiledScenario, spec: KernelSpec, opts: { trace?: boolean } = {}) {
    this.k = new Kernel(spec);
    if (opts.trace !== false) this.k.tr = new Tracer();
    const mm = this.k.newMm();
    const main: Process = { name: 'main', mm, pid: 0 };
    this.procs.set('main', main);
    const mk = (name: string, index: number, process: string, ops: CompiledOp[], loop = false): ThreadState => ({
      name, index, process, task: null, ops, pc: 0, status: 'unborn', wait: null, progress: 0, spins: 0, signal: null, killedBy: 0, loop,
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
    }
  }

  /** run the setup operations in order; none of them may block */
  runSetup(): void {
    const s = this.setup;
    while (s.pc < s.ops.length && s.status === 'ready') {
      const r = this.stepThread(s);
      if (r === 'blocked') throw new MachineError(`setup operation ${s.ops[s.pc]!.id} (line ${s.ops[s.pc]!.line}) blocked; setup must not wait for a thread`);
    }
    if (s.status === 'signal') {
      const op = s.ops[s.pc]!;
      throw new MachineError(`setup operation ${op.id} (line ${op.line}) died of signal ${s.signal!.sig}`);
    }
    // a process forked by setup has its threads before the first step
    this.adoptThreads();
    this.takeCheckpoint('setup');
  }

  runnable(t: ThreadState): boolean {
    if (t.status === 'ready') return t.pc < t.ops.length;
    if (t.status !== 'blocked' || !t.wait) return false;
    if (t.wait.kind === 'fault') return t.task!.uwq?.waken === true || t.task!.uwq === null;
    return t.wait.ctx.pending.length > 0 || t.wait.ctx.released;
  }

  runnableThreads(): ThreadState[] {
    return this.threads.filter((t) => this.runnable(t));
  }

  /** one atomic step of thread t */
  stepThread(t: ThreadState): 'done' | 'blocked' | 'ended' {
    const k = this.k;
    k.current = t.task;
    if (k.tr) {
      k.tr.thread = t.name;
      k.tr.step = t === this.setup ? 0 : this.step + 1;
    }
    if (t !== this.setup) {
      this.step++;
      this.taken.push(t.name);
    }
    const r = t.status === 'blocked' ? resumeOp(this, t) : execOp(this, t);
    k.current = null;
    if (r === 'done') {
      t.pc++;
      t.progress = 0;
      t.spins = 0;
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
        o.killedBy = sig;
        if (o.task?.uwq) o.task.uwq = null;
      }
    }
  }

  /** a loop thread waiting for a uffd message at the head of its loop: a server with no work, not a deadlock */
  idle(t: ThreadState): boolean {
    return t.loop && t.status === 'blocked' && t.pc === 0 && t.wait?.kind === 'uffd_read';
  }

  /** the default schedule: the lowest-numbered runnable thread runs until it blocks or ends */
  runDefault(): void {
    let cur: ThreadState | null = null;
    for (let n = 0; ; n++) {
      if (n >= DEFAULT_STEP_LIMIT) throw new MachineError(`the default schedule did not end after ${DEFAULT_STEP_LIMIT} steps (a loop thread that never blocks?)`);
      if (!cur || !this.runnable(cur)) cur = this.threads.find((t) => this.runnable(t)) ?? null;
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
  }

  /** remember an operation's result (exec.ts) */
  noteRecord(rec: OpRecord): void {
    this.records.push(rec);
    if (rec.thread === 'setup') return;
    if (this.sharedMaps & 1) {
      this.lastRecord = new Map(this.lastRecord);
      this.sharedMaps &= ~1;
    }
    this.lastRecord.set(rec.id, rec);
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
   * kernel. Operations, messages, finished buffers and snapshots never change, so they are shared.
   * The copy is not traced.
   */
  clone(): Machine {
    const k0 = this.k;
    const k = k0.clone();
    const ctxOf = (c: UserfaultfdCtx) => k.uffds[k0.uffds.indexOf(c)] ?? c;
    const wait = (w: Wait | null): Wait | null => {
      if (!w) return null;
      if (w.kind === 'fault') return { kind: 'fault', cont: { ...w.cont }, write: w.write };
      return { kind: 'uffd_read', ctx: ctxOf(w.ctx) };
    };
    const th = (t: ThreadState): ThreadState => ({
      name: t.name, index: t.index, process: t.process, task: t.task ? k.tasks[k0.tasks.indexOf(t.task)] ?? t.task : null, ops: t.ops,
      pc: t.pc, status: t.status, wait: wait(t.wait), progress: t.progress, spins: t.spins, signal: t.signal,
      killedBy: t.killedBy, loop: t.loop,
    });
    const procs = new Map<string, Process>();
    for (const [n, p] of this.procs) procs.set(n, { name: p.name, mm: k.mms[k0.mms.indexOf(p.mm)] ?? p.mm, pid: p.pid });
    const vars = new Map<string, VarValue>();
    for (const [n, v] of this.vars) {
      if (v.kind === 'uffd') vars.set(n, { kind: 'uffd', ctx: ctxOf(v.ctx) });
      // a read in progress keeps filling its buffer across wake-ups: the copy needs its own
      else if (v.kind === 'data' && n.startsWith('\0buf:')) vars.set(n, { kind: 'data', addr: v.addr, bytes: v.bytes.slice() });
      else vars.set(n, v);
    }
    this.sharedMaps = 7;
    const c = Object.create(Machine.prototype) as Machine;
    return Object.assign(c, {
      sc: this.sc, k, threads: this.threads.map(th), setup: th(this.setup), procs, vars, records: this.records.slice(),
      lastRecord: this.lastRecord, copies: this.copies, snapshots: this.snapshots, sharedMaps: 7,
      step: this.step, taken: this.taken.slice(), deadlock: this.deadlock,
    });
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
    for (const t of this.threads) {
      h.u32(STATUS_CODE[t.status]);
      h.u32(t.pc);
      h.u32(t.progress);
      h.counter(t.spins);
      h.u32(t.signal ? t.signal.sig : 0);
      h.u32(t.killedBy);
      const w = t.wait;
      if (!w) h.u32(0);
      else if (w.kind === 'uffd_read') {
        h.u32(1);
        h.u32(k.uffds.indexOf(w.ctx));
      } else {
        const c = w.cont;
        h.u32(2);
        h.num(c.address);
        h.u32(c.error_code);
        h.u32(c.flags);
        h.u32(c.major);
        h.u32(c.stage === 'vma_lock' ? 1 : 2);
        h.counter(c.attempts);
        h.bool(w.write);
      }
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
      h.strc(n);
      switch (v.kind) {
        case 'mapping': h.u32(1); h.num(Number(v.addr)); h.num(Number(v.len)); break;
        case 'uffd': h.u32(2); h.u32(k.uffds.indexOf(v.ctx)); break;
        case 'msg': h.u32(3); h.u32(v.msg.event); h.u32(v.msg.flags); h.num(v.msg.address); h.u32(v.msg.ptid); break;
        case 'data': {
          h.u32(4);
          h.num(Number(v.addr));
          h.u32(v.bytes.length);
          const bh = bytesHashCached(v.bytes, n.startsWith('\0buf:'));
          h.pair(bh[0], bh[1]);
          break;
        }
        case 'ioctls': h.u32(5); h.num(Number(v.value & 0xffffffffn)); h.num(Number(v.value >> 32n)); break;
        case 'process': h.u32(6); h.strc(v.name); break;
      }
      h.itemEnd();
    }
    h.setEnd();
    h.setBegin();
    for (const r of this.lastRecord.values()) {
      h.item();
      const rh = recordHash(r);
      h.pair(rh[0], rh[1]);
      h.itemEnd();
    }
    h.setEnd();
    h.setBegin();
    for (const [n, snap] of this.snapshots) {
      h.item();
      h.strc(n);
      hashPlain(h, snap);
      h.itemEnd();
    }
    h.setEnd();
    for (const c of this.copies.values()) {
      h.strc(c.buffer);
      h.strc(c.at);
      h.counter(c.copies);
      h.bool(c.mismatches > 0);
      h.counter(c.mismatches);
    }
  }
}

/** steps the default schedule may take before it is called non-terminating */
export const DEFAULT_STEP_LIMIT = 1_000_000;

const STATUS_CODE: Record<ThreadStatus, number> = { ready: 1, blocked: 2, done: 3, signal: 4, killed: 5, livelock: 6, unborn: 7 };

export function describe(t: ThreadState): string {
  if (t.status === 'blocked') return t.wait?.kind === 'fault' ? 'blocked in handle_userfault' : 'blocked reading its userfaultfd';
  if (t.status === 'ready' && t.pc >= t.ops.length) return 'finished';
  return t.status;
}

/** "vcpu uffd*3 vcpu" / "vcpu,uffd,uffd" -> one name per step */
export function parseSchedule(s: string): string[] {
  const out: string[] = [];
  for (const tok of s.split(/[\s,]+/).filter(Boolean)) {
    const m = /^([A-Za-z_]\w*)(?:\*(\d+))?$/.exec(tok);
    if (!m) throw new MachineError(`bad schedule step '${tok}' (expected thread or thread*N)`);
    for (let i = 0; i < Number(m[2] ?? 1); i++) out.push(m[1]!);
  }
  return out;
}

/** compress step names back: "vcpu uffd*3 vcpu" */
export function formatSchedule(steps: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < steps.length;) {
    let j = i;
    while (j < steps.length && steps[j] === steps[i]) j++;
    out.push(j - i > 1 ? `${steps[i]}*${j - i}` : steps[i]!);
    i = j;
  }
  return out.join(' ');
}

const recordHashes = new WeakMap<OpRecord, [number, number]>();
const recordScratch = new StateHasherClass();
/** records never change once made: their hashes are kept */
function recordHash(r: OpRecord): [number, number] {
  let v = recordHashes.get(r);
  if (!v) {
    const h = recordScratch.reset();
    h.strc(r.id);
    h.str(r.errno ?? '');
    h.str(r.result ?? '');
    v = [h.controlHi(), h.controlLo()];
    recordHashes.set(r, v);
  }
  return v;
}

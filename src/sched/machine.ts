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
import { takeSnapshot, Snapshot } from '../scenario/observe.js';

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
  readonly snapshots = new Map<string, Snapshot>();
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
    const mk = (name: string, index: number, process: string, ops: CompiledOp[]): ThreadState => ({
      name, index, process, task: null, ops, pc: 0, status: 'unborn', wait: null, progress: 0, spins: 0, signal: null, killedBy: 0,
    });
    this.setup = mk('setup', -1, 'main', sc.setup);
    this.setup.task = this.k.newTask('setup', mm);
    main.pid = this.setup.task.tid;
    this.setup.status = 'ready';
    this.threads = sc.threads.map((t, i) => mk(t.name, i, t.process, t.ops));
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

  /** the default schedule: the lowest-numbered runnable thread runs until it blocks or ends */
  runDefault(): void {
    let cur: ThreadState | null = null;
    for (;;) {
      if (!cur || !this.runnable(cur)) cur = this.threads.find((t) => this.runnable(t)) ?? null;
      if (!cur) break;
      const r = this.stepThread(cur);
      if (r !== 'done') cur = null;
      this.adoptThreads();
    }
    this.deadlock = this.threads.some((t) => t.status === 'blocked');
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
    this.snapshots.set(name, takeSnapshot(this));
  }

  finish(): void {
    this.takeCheckpoint('final');
  }

  mainMm(): MmStruct {
    return this.procs.get('main')!.mm;
  }
}

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

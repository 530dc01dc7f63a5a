// struct task_struct, reduced to what the model observes: the mm, fault counters and the signal
// a fault delivered (include/linux/sched.h).
import type { MmStruct } from './mm_types.js';
import type { Uwq } from '../fs/userfaultfd.js';
import type { Kernel } from '../kernel.js';
import type { Segment } from '../../state/store.js';
import { internString, internedValue } from '../../state/intern.js';

export interface DeliveredSignal {
  sig: number;
  code: number;
  addr: number;
}

/** the cells of one task in the task segment (at index * TASK_CELLS), and its two counters */
const TASK_CELLS = 9;
const T_FLAGS = 0, T_SIG = 1, T_CODE = 2, T_ADDR_LO = 3, T_ADDR_HI = 4, T_UID = 5, T_TID = 6, T_PID = 7, T_MM = 8;
/** tasks (their comm is at their index in the names segment) */
export const TASK_MAX = 2048;
const F_SIGNAL = 1, F_EXITING = 2, F_FATAL = 4;

/**
 * A view of one task's cells in the kernel's Store (docs/state.md): one view per task per kernel
 * (Kernel.tasks), nothing kept outside the cells.
 */
export class Task {
  /**
   * index: the task's position in the kernel's list; S and C: the kernel's task segment and counter
   * segment, where the fields below live; N: the display segment (comm at the task's index)
   */
  constructor(private readonly k: Kernel, readonly index: number, private readonly S: Segment, private readonly C: Segment,
    private readonly N: Segment) {}

  /** a new task's cells (Kernel.newTask) */
  init(tid: number, comm: string, mm: MmStruct, pid: number): void {
    this.setCell(T_TID, tid);
    this.setCell(T_PID, pid);
    this.mm = mm;
    this.N.set(this.index, internString(comm));
  }

  get tid(): number { return this.cell(T_TID); }
  get pid(): number { return this.cell(T_PID); }
  /** the task's name (display only: not part of the state's identity) */
  get comm(): string { return internedValue<string>(this.N.get(this.index)) ?? ''; }
  get mm(): MmStruct { return this.k.mmAt(this.cell(T_MM)); }
  set mm(mm: MmStruct) { this.setCell(T_MM, mm.id); }
  /**
   * the wait-queue entry while the task sleeps in handle_userfault (an entry belongs to its task: its
   * slot is the task's index); cleared when the task goes on, which frees an entry no queue holds
   */
  get uwq(): Uwq | null {
    const u = this.k.uwqOf(this.index);
    return u.held ? u : null;
  }
  set uwq(u: Uwq | null) {
    if (u !== null && u.index !== this.index) throw new Error('BUG: a task sleeps on another task\'s queue entry');
    const w = this.k.uwqOf(this.index);
    if (u !== null) w.held = true;
    else if (w.held) {
      w.held = false;
      w.release();
    }
  }

  /** fault counts (statistics: the counter lane; Segment.add, never a read of the step) */
  get min_flt(): number { return this.C.peek(2 * this.index); }
  set min_flt(v: number) { this.C.add(2 * this.index, v - this.C.peek(2 * this.index)); }
  get maj_flt(): number { return this.C.peek(2 * this.index + 1); }
  set maj_flt(v: number) { this.C.add(2 * this.index + 1, v - this.C.peek(2 * this.index + 1)); }
  /** `current->min_flt++` (maj_flt++ with major) as one Segment.add, without the getter's read */
  countFault(major: boolean): void { this.C.add(2 * this.index + (major ? 1 : 0), 1); }

  private cell(j: number): number { return this.S.get(this.index * TASK_CELLS + j); }
  private setCell(j: number, v: number): void { this.S.set(this.index * TASK_CELLS + j, v); }

  /** the fatal signal a fault delivered to this task (the thread dies of it) */
  get signal(): DeliveredSignal | null {
    if ((this.cell(T_FLAGS) & F_SIGNAL) === 0) return null;
    return { sig: this.cell(T_SIG), code: this.cell(T_CODE), addr: (this.cell(T_ADDR_LO) >>> 0) + (this.cell(T_ADDR_HI) >>> 0) * 4294967296 };
  }
  set signal(s: DeliveredSignal | null) {
    const f = this.cell(T_FLAGS);
    this.setCell(T_FLAGS, s === null ? f & ~F_SIGNAL : f | F_SIGNAL);
    this.setCell(T_SIG, s === null ? 0 : s.sig);
    this.setCell(T_CODE, s === null ? 0 : s.code);
    this.setCell(T_ADDR_LO, s === null ? 0 : s.addr % 4294967296);
    this.setCell(T_ADDR_HI, s === null ? 0 : Math.floor(s.addr / 4294967296));
  }
  /** fatal_signal_pending(): a signal that kills the process (SIGKILL from the group exit) is on its way */
  get fatal(): boolean { return (this.cell(T_FLAGS) & F_FATAL) !== 0; }
  set fatal(v: boolean) {
    const f = this.cell(T_FLAGS);
    this.setCell(T_FLAGS, v ? f | F_FATAL : f & ~F_FATAL);
  }
  /** PF_EXITING */
  get exiting(): boolean { return (this.cell(T_FLAGS) & F_EXITING) !== 0; }
  set exiting(v: boolean) {
    const f = this.cell(T_FLAGS);
    this.setCell(T_FLAGS, v ? f | F_EXITING : f & ~F_EXITING);
  }
  /**
   * the credentials, reduced to the uid (struct cred): uid 0 holds every capability, any other uid
   * none (what setresuid() from root leaves without SECBIT_KEEP_CAPS)
   */
  get uid(): number { return this.cell(T_UID); }
  set uid(v: number) { this.setCell(T_UID, v); }
}

/** capable(cap) for the task (include/linux/capability.h): root has every capability, others none */
export function capable(task: Task, cap: number): boolean {
  void cap;
  return task.uid === 0;
}
export const CAP_SYS_PTRACE = 19;
export const CAP_SYS_ADMIN = 21;

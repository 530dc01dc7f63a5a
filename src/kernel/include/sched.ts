// struct task_struct, reduced to what the model observes: the mm, fault counters and the signal
// a fault delivered (include/linux/sched.h).
import type { MmStruct } from './mm_types.js';
import type { Uwq } from '../fs/userfaultfd.js';
import type { FingerprintIds } from './mm_types.js';
import type { StateHasher } from '../../state/hasher.js';
import type { Segment } from '../../state/store.js';

export interface DeliveredSignal {
  sig: number;
  code: number;
  addr: number;
}

/** the cells of one task in the task segment (at index * TASK_CELLS), and its two counters */
const TASK_CELLS = 6;
const T_FLAGS = 0, T_SIG = 1, T_CODE = 2, T_ADDR_LO = 3, T_ADDR_HI = 4, T_UID = 5;
const F_SIGNAL = 1, F_EXITING = 2;

export class Task {
  /** set while the task sleeps in handle_userfault */
  uwq: Uwq | null = null;

  /**
   * index: the task's position in the kernel's list; S and C: the kernel's task segment and counter
   * segment, where the fields below live
   */
  constructor(readonly tid: number, readonly comm: string, public mm: MmStruct, readonly pid: number,
    readonly index: number, private readonly S: Segment, private readonly C: Segment) {}

  /** fault counts (statistics: the counter lane; Segment.add, never a read of the step) */
  get min_flt(): number { return this.C.peek(2 * this.index); }
  set min_flt(v: number) { this.C.add(2 * this.index, v - this.C.peek(2 * this.index)); }
  get maj_flt(): number { return this.C.peek(2 * this.index + 1); }
  set maj_flt(v: number) { this.C.add(2 * this.index + 1, v - this.C.peek(2 * this.index + 1)); }

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

  /** the same task over a copy of the Store (its cells come with the copy; Kernel.clone re-links uwq) */
  dup(mm: MmStruct, S: Segment, C: Segment): Task {
    return new Task(this.tid, this.comm, mm, this.pid, this.index, S, C);
  }

  /** Fingerprint (explorer): the sleeping fault's queue entry (the other fields are cells of the Store) */
  fingerprint(h: StateHasher, ids: FingerprintIds): void {
    h.u32(this.tid);
    h.u32(this.mm.id);
    if (this.uwq) this.uwq.fingerprint(h, ids);
    else h.u32(0);
  }
}

/** capable(cap) for the task (include/linux/capability.h): root has every capability, others none */
export function capable(task: Task, cap: number): boolean {
  void cap;
  return task.uid === 0;
}
export const CAP_SYS_PTRACE = 19;
export const CAP_SYS_ADMIN = 21;

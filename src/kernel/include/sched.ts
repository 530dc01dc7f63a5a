// struct task_struct, reduced to what the model observes: the mm, fault counters and the signal
// a fault delivered (include/linux/sched.h).
import type { MmStruct } from './mm_types.js';
import type { Uwq } from '../fs/userfaultfd.js';

export interface DeliveredSignal {
  sig: number;
  code: number;
  addr: number;
}

export class Task {
  min_flt = 0;
  maj_flt = 0;
  /** the fatal signal a fault delivered to this task (the thread dies of it) */
  signal: DeliveredSignal | null = null;
  /** PF_EXITING */
  exiting = false;
  /** set while the task sleeps in handle_userfault */
  uwq: Uwq | null = null;

  constructor(readonly tid: number, readonly comm: string, public mm: MmStruct, readonly pid: number) {}

  dup(mm: MmStruct): Task {
    const t = new Task(this.tid, this.comm, mm, this.pid);
    t.min_flt = this.min_flt;
    t.maj_flt = this.maj_flt;
    t.signal = this.signal ? { ...this.signal } : null;
    t.exiting = this.exiting;
    return t;
  }
}

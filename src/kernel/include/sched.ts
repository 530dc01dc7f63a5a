// struct task_struct, reduced to what the model observes: the mm, fault counters and the signal
// a fault delivered (include/linux/sched.h).
import type { MmStruct } from './mm_types.js';
import type { Uwq } from '../fs/userfaultfd.js';
import type { FingerprintIds } from './mm_types.js';
import type { StateHasher } from '../../explore/hash.js';

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
  /**
   * the credentials, reduced to the uid (struct cred): uid 0 holds every capability, any other uid
   * none (what setresuid() from root leaves without SECBIT_KEEP_CAPS)
   */
  uid = 0;

  constructor(readonly tid: number, readonly comm: string, public mm: MmStruct, readonly pid: number) {}

  dup(mm: MmStruct): Task {
    const t = new Task(this.tid, this.comm, mm, this.pid);
    t.min_flt = this.min_flt;
    t.maj_flt = this.maj_flt;
    t.signal = this.signal ? { ...this.signal } : null;
    t.exiting = this.exiting;
    t.uid = this.uid;
    return t;
  }

  /** Fingerprint (explorer): fault counts are statistics; the sleeping fault's queue entry is state */
  fingerprint(h: StateHasher, ids: FingerprintIds): void {
    h.u32(this.tid);
    h.u32(this.mm.id);
    h.counter(this.min_flt);
    h.counter(this.maj_flt);
    if (this.signal) {
      h.u32(this.signal.sig);
      h.u32(this.signal.code);
      h.num(this.signal.addr);
    } else h.u32(0);
    h.bool(this.exiting);
    h.u32(this.uid);
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

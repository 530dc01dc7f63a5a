// The x86 page-fault entry for user addresses (arch/x86/mm/fault.c: __do_page_fault @v4.19,
// do_user_addr_fault @v5.7..v6.18): fault flags, the retry loop, the per-VMA-lock attempt, accounting
// before v5.9, and the signal a failed fault sends. A fault that sleeps in handle_userfault returns
// 'blocked' with its continuation; resume_user_addr_fault() carries on after the wake-up.
import type { Kernel } from '../../../kernel.js';
import { FP_ACCOUNTING_IN_CORE, FP_INTERRUPTIBLE, FP_UFFD_UNDER_VMA_LOCK, FP_VMA_LOCK, FP_VMA_LOCK_DELAY_ANON } from '../../../../profiles/fastpath.js';
import type { Task } from '../../../include/sched.js';
import type { VmArea } from '../../../include/mm_types.js';
import {
  FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_INSTRUCTION, FAULT_FLAG_INTERRUPTIBLE, FAULT_FLAG_KILLABLE, FAULT_FLAG_TRIED,
  FAULT_FLAG_USER, FAULT_FLAG_VMA_LOCK, FAULT_FLAG_WRITE, VM_FAULT_ERROR, VM_FAULT_MAJOR, VM_FAULT_OOM, VM_FAULT_RETRY,
  VM_FAULT_SIGBUS, VM_FAULT_SIGSEGV, VM_FAULT_HWPOISON, VM_FAULT_HWPOISON_LARGE, X86_PF_INSTR, X86_PF_PROT, X86_PF_WRITE, flagNames,
  FAULT_FLAG_NAMES, VM_FAULT_NAMES, VM_FAULT_COMPLETED,
} from '../../../include/fault.js';
import { VM_EXEC, VM_READ, VM_WRITE } from '../../../include/vm_flags.js';
import { BUS_ADRERR, SEGV_ACCERR, SEGV_MAPERR, SIGBUS, SIGKILL, SIGNAL_NAME, SIGSEGV } from '../../../include/signal.js';
import { PATCH } from '../../../../profiles/patches.js';
import { handle_mm_fault } from '../../../mm/memory.js';
import { userfaultfd_armed } from '../../../fs/userfaultfd.js';
import { find_vma, vma_lookup } from '../../../mm/mmap.js';
import { PGMAJFAULT } from '../../../mm/vmstat.js';

/** where a fault stands: enough to resume it after handle_userfault's sleep */
export interface FaultCont {
  address: number;
  error_code: number;
  flags: number;
  /** 4.19..5.8: VM_FAULT_MAJOR seen on any attempt */
  major: number;
  stage: 'vma_lock' | 'mmap_lock';
  /** attempts so far (a fault that keeps retrying without sleeping is a livelock) */
  attempts: number;
}

export type FaultResult =
  | { kind: 'done' }
  | { kind: 'signal'; sig: number; code: number; addr: number }
  | { kind: 'blocked'; cont: FaultCont }
  | { kind: 'livelock'; cont: FaultCont };

/** attempts of one fault before the model calls it a livelock */
export const FAULT_RETRY_LIMIT = 64;

/**
 * the name of the arch's fault entry in the trace: arm64's do_page_fault (arch/arm64/mm/fault.c) runs the
 * same steps as x86's (flags, the per-VMA-lock attempt, the retry loop, access_error by vm_flags, the
 * signals), so one model serves both; the error code stays in x86 terms (docs/arch.md)
 */
function entryName(k: Kernel, x86: string): string {
  return k.pgt.arch === 'x86_64' ? x86 : 'do_page_fault';
}

/** FAULT_FLAG_DEFAULT (v5.7: + FAULT_FLAG_INTERRUPTIBLE) */
function fault_flag_default(k: Kernel): number {
  let f = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
  if (k.fp & FP_INTERRUPTIBLE) f |= FAULT_FLAG_INTERRUPTIBLE;
  return f;
}

/** access_error: the VMA does not allow this kind of access */
function access_error(error_code: number, vma: VmArea): boolean {
  if (error_code & X86_PF_WRITE) return (vma.vm_flags & VM_WRITE) === 0;
  if (error_code & X86_PF_INSTR) return (vma.vm_flags & VM_EXEC) === 0;
  return (vma.vm_flags & (VM_READ | VM_EXEC | VM_WRITE)) === 0;
}

/** lock_vma_under_rcu: the per-VMA-lock attempt; v6.4/v6.5 refuse uffd-armed VMAs and VMAs without anon_vma */
function lock_vma_under_rcu(k: Kernel, task: Task, address: number): VmArea | null {
  const vma = vma_lookup(k, task.mm, address);
  if (!vma) return null;
  // v6.4..v6.9 bail out without an anon_vma; a373baed5a9d (v6.10) checks later, in vmf_anon_prepare
  if (!vma.anon_vma && !(k.fp & FP_VMA_LOCK_DELAY_ANON)) return null;
  if (!(k.fp & FP_UFFD_UNDER_VMA_LOCK) && userfaultfd_armed(vma)) return null;
  return vma;
}

/**
 * do_user_addr_fault (__do_page_fault @v4.19): flags, then the per-VMA-lock attempt (v6.4+) and the mmap_lock
 * retry loop. `kernel`: the access of a kernel copy from user memory (copy_from_user), without FAULT_FLAG_USER
 */
export function do_user_addr_fault(k: Kernel, task: Task, address: number, error_code: number, kernel = false): FaultResult {
  let flags = fault_flag_default(k) | (kernel ? 0 : FAULT_FLAG_USER);
  if (error_code & X86_PF_WRITE) flags |= FAULT_FLAG_WRITE;
  if (error_code & X86_PF_INSTR) flags |= FAULT_FLAG_INSTRUCTION;
  k.tr?.emit('page_fault', entryName(k, k.fp & FP_INTERRUPTIBLE ? 'do_user_addr_fault' : '__do_page_fault'), { address, error_code, flags, flag_names: flagNames(flags, FAULT_FLAG_NAMES) });
  // a fault never faults again before it returns, so one FaultCont serves every fresh fault; blocked()
  // and the livelock result hand out a copy
  const c = scratchCont;
  c.address = address;
  c.error_code = error_code;
  c.flags = flags;
  c.major = 0;
  c.stage = k.fp & FP_VMA_LOCK ? 'vma_lock' : 'mmap_lock';
  c.attempts = 0;
  return run(k, task, c, null, address);
}

const scratchCont: FaultCont = { address: 0, error_code: 0, flags: 0, major: 0, stage: 'mmap_lock', attempts: 0 };

/** the caller's own FaultCont: a copy of the scratch one */
function own(c: FaultCont): FaultCont {
  return c === scratchCont
    ? { address: c.address, error_code: c.error_code, flags: c.flags, major: c.major, stage: c.stage, attempts: c.attempts }
    : c;
}

/** the result of a fault that completed (shared: results are only read) */
const DONE: FaultResult = { kind: 'done' };

/** continue a fault whose task slept in handle_userfault and was woken */
export function resume_user_addr_fault(k: Kernel, task: Task, c: FaultCont): FaultResult {
  // (read before the entry goes: clearing task.uwq frees an entry no queue holds)
  const ret = task.uwq!.sleepRet;
  task.uwq = null;
  k.tr?.emit('fault_resume', 'handle_userfault', { address: c.address, ret, ret_names: flagNames(ret, VM_FAULT_NAMES) });
  return run(k, task, c, ret, c.address);
}

function blocked(c: FaultCont): FaultResult {
  return { kind: 'blocked', cont: own(c) };
}

/**
 * the fault's attempts; `address` is c.address, passed on as the caller has it (an address past 2^31 is a
 * double: read from the FaultCont, it would be boxed again for the calls that are not inlined)
 */
function run(k: Kernel, task: Task, c: FaultCont, resumed: number | null, address: number): FaultResult {
  if (c.stage === 'vma_lock') {
    let ret = 0;
    let attempted = resumed !== null;
    if (resumed === null) {
      const vma = lock_vma_under_rcu(k, task, address);
      if (vma) {
        if (access_error(c.error_code, vma)) return bad_area(k, c, SEGV_ACCERR);
        c.attempts++;
        ret = handle_mm_fault(k, vma, address, c.flags | FAULT_FLAG_VMA_LOCK);
        attempted = true;
        if (task.uwq) return blocked(c);
      }
    } else {
      ret = resumed;
      resumed = null;
    }
    c.stage = 'mmap_lock';
    if (attempted) {
      if (!(ret & VM_FAULT_RETRY)) return finish(k, task, c, ret);
      // 46e714c729c8 (v6.8): a retry after a major fault under the VMA lock counts as tried
      if (k.has(PATCH.vmaLockRetryTried) && (ret & VM_FAULT_MAJOR)) c.flags |= FAULT_FLAG_TRIED;
      k.tr?.emit('fault_retry', entryName(k, 'do_user_addr_fault'), { address: c.address, flags: c.flags, why: 'VMA lock attempt returned VM_FAULT_RETRY' });
    }
  }
  for (;;) {
    let ret: number;
    if (resumed === null) {
      if (c.attempts >= FAULT_RETRY_LIMIT) return { kind: 'livelock', cont: own(c) };
      const vma = find_vma(k, task.mm, address);
      if (!vma || vma.vm_start > address) return bad_area(k, c, SEGV_MAPERR);
      if (access_error(c.error_code, vma)) return bad_area(k, c, SEGV_ACCERR);
      c.attempts++;
      ret = handle_mm_fault(k, vma, address, c.flags);
      if (task.uwq) return blocked(c);
    } else {
      ret = resumed;
      resumed = null;
    }
    c.major |= ret & VM_FAULT_MAJOR;
    if (ret & VM_FAULT_RETRY) {
      if (k.has(PATCH.faultRetryUnlimited)) {
        c.flags |= FAULT_FLAG_TRIED;
      } else if (c.flags & FAULT_FLAG_ALLOW_RETRY) {
        // v4.19: "retry at most once"
        c.flags = (c.flags & ~FAULT_FLAG_ALLOW_RETRY) | FAULT_FLAG_TRIED;
      } else {
        // user mode: return; the instruction faults again
        k.tr?.emit('fault_return', entryName(k, '__do_page_fault'), { address: c.address, why: 'VM_FAULT_RETRY without ALLOW_RETRY' });
        return DONE;
      }
      k.tr?.emit('fault_retry', entryName(k, k.has(PATCH.faultFlagInterruptible) ? 'do_user_addr_fault' : '__do_page_fault'), {
        address: c.address, flags: c.flags, flag_names: flagNames(c.flags, FAULT_FLAG_NAMES),
      });
      continue;
    }
    return finish(k, task, c, ret);
  }
}

function finish(k: Kernel, task: Task, c: FaultCont, ret: number): FaultResult {
  if (ret & VM_FAULT_ERROR) return mm_fault_error(k, c, ret);
  if (!(k.fp & FP_ACCOUNTING_IN_CORE) && !(ret & VM_FAULT_COMPLETED)) {
    task.countFault(c.major !== 0);
    if (c.major) k.vmstat.count(PGMAJFAULT);
  }
  k.tr?.emit('fault_done', entryName(k, 'do_user_addr_fault'), { address: c.address, ret, ret_names: flagNames(ret, VM_FAULT_NAMES) });
  return DONE;
}

/** mm_fault_error: SIGBUS (do_sigbus), SIGSEGV, or the OOM killer */
function mm_fault_error(k: Kernel, c: FaultCont, ret: number): FaultResult {
  let sig = SIGBUS, code = BUS_ADRERR;
  if (ret & VM_FAULT_OOM) { sig = SIGKILL; code = 0; }
  // VM_FAULT_SIGSEGV (a guard marker): bad_area_nosemaphore, SEGV_MAPERR (measured on this 6.18: si_code 1)
  else if (ret & VM_FAULT_SIGSEGV) { sig = SIGSEGV; code = SEGV_MAPERR; }
  // do_sigbus: a VM_FAULT_HWPOISON(_LARGE) fault (a poison marker) is BUS_MCEERR_AR with the page's shift
  // where CONFIG_MEMORY_FAILURE is built; this host's kernel leaves it out, and the model with it: BUS_ADRERR
  else if (ret & (VM_FAULT_SIGBUS | VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE)) { sig = SIGBUS; code = BUS_ADRERR; }
  k.tr?.emit('signal', ret & (VM_FAULT_SIGBUS | VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE) ? 'do_sigbus' : 'mm_fault_error', { address: c.address, sig, sig_name: SIGNAL_NAME[sig] ?? String(sig), code, ret, ret_names: flagNames(ret, VM_FAULT_NAMES) });
  return { kind: 'signal', sig, code, addr: c.address };
}

function bad_area(k: Kernel, c: FaultCont, code: number): FaultResult {
  k.tr?.emit('signal', 'bad_area', { address: c.address, sig: SIGSEGV, sig_name: SIGNAL_NAME[SIGSEGV]!, code });
  return { kind: 'signal', sig: SIGSEGV, code, addr: c.address };
}


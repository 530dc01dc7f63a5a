// Executing scenario operations on the model: system calls (errno recorded) and user memory accesses
// (through the MMU, with page faults that may sleep in handle_userfault).
import { memfd_create, shmem_close, shmem_fallocate, shmem_fdget, shmem_file_read, shmem_file_write, shmem_open, shmem_setattr_size } from '../kernel/mm/shmem.js';
import type { AddressSpace } from '../kernel/mm/filemap.js';
import { cond_resched } from '../kernel/kernel/sched/core.js';
import type { Machine, ThreadState, VarValue, Wait } from './machine.js';
import type { CompiledOp } from '../scenario/ops.js';
import { andNotNum, binNum, decimal, evalExpr, EvalError, Expr, type Env } from '../scenario/expr.js';
import { varsEnv, type OpOut } from '../scenario/values.js';
export type { OpOut };
import { SyscallError, ERRNO_NAME, NotModelledError, fail, notModelled } from '../kernel/include/errno.js';
import { ScenarioError } from '../scenario/error.js';
import type { ScopeArea } from '../profiles/profiles.js';
import { MADV, MAP_HUGETLB, MAP_SHARED } from '../kernel/include/uapi.js';
import { hugetlbfs_fallocate, hugetlbfs_read, hugetlbfs_setattr_size, hugetlbfs_write, is_file_hugepages } from '../kernel/fs/hugetlbfs.js';
import { PATCH } from '../profiles/patches.js';
import { do_mmap, do_munmap } from '../kernel/mm/mmap.js';
import { do_mprotect } from '../kernel/mm/mprotect.js';
import { do_mremap, mremap_uf, type MremapUf } from '../kernel/mm/mremap.js';
import { do_madvise, madvise_dontneed_resume, madvise_populate_resume, madvise_remove_resume, type MadviseResult } from '../kernel/mm/madvise.js';
import { clear_refs_parse, clear_refs_write, do_pagemap_scan, PageRegion, PmScanUser } from '../kernel/fs/proc/task_mmu.js';
import { mmu_access } from '../kernel/arch/x86/mmu.js';
import { do_user_addr_fault, resume_user_addr_fault, FaultResult, type FaultCont } from '../kernel/arch/x86/mm/fault.js';
import { X86_PF_USER, X86_PF_WRITE } from '../kernel/include/fault.js';
import {
  sys_userfaultfd, userfaultfd_api, userfaultfd_copy, userfaultfd_ctx_read, userfaultfd_poll, userfaultfd_register, userfaultfd_unregister,
  userfaultfd_wake, userfaultfd_writeprotect, userfaultfd_zeropage, userfaultfd_move, userfaultfd_continue, userfaultfd_poison, UserfaultfdCtx, UffdioCopyUser, UffdioZeropageUser, UffdioMoveUser, UffdioContinueUser, UffdioPoisonUser,
  sys_close_uffd, releaseAfterRead, uffd_fdget, userfaultfd_event_wait, userfaultfd_event_finish, userfaultfd_unmap_prep_vma, unmap_msg, userfaultfd_fault_fatal,
  dup_userfaultfd_next, type UffdMsg, type UnmapEvents,
} from '../kernel/fs/userfaultfd.js';
import type { MmStruct } from '../kernel/include/mm_types.js';
import { copy_files, dup_mmap } from '../kernel/kernel/fork.js';
import { exit_files, exit_mm } from '../kernel/kernel/exit.js';
import { split_huge_pages_range } from '../kernel/mm/huge_memory.js';
import { __get_user_pages, gup_fast, gup_put_folio, try_grab_folio, FOLL_FORCE, FOLL_GET, FOLL_LONGTERM, FOLL_PIN, FOLL_REMOTE, FOLL_TOUCH, FOLL_UNLOCKABLE, FOLL_WRITE, type GupState } from '../kernel/mm/gup.js';
import { PG_dirty, PG_zero } from '../kernel/mm/folio.js';
import { VM_FAULT_RETRY } from '../kernel/include/fault.js';
import { ERRNO } from '../kernel/include/errno.js';
import { sys_swapon, sys_swapoff } from '../kernel/mm/swapfile.js';
import { reclaim_range } from '../kernel/mm/madvise.js';
import { migrate_pages_move, migrate_pages_unmap } from '../kernel/mm/migrate.js';
import { dmirror_migrate_to_device, kernel_move_pages } from '../kernel/mm/migrate.js';
import { KH_COLLAPSE_FILE, KH_COLLAPSE_PTE_MAPPED_THP, KH_DONE, khugepaged_collapse_step, khugepaged_scan_step } from '../kernel/mm/khugepaged.js';
import { PAGE_SIZE, TASK_SIZE } from '../kernel/arch/x86/include/pgtable_types.js';
import { SIGKILL, SIGSEGV, SEGV_MAPERR } from '../kernel/include/signal.js';
import { UFFD_API, UFFD_EVENT_PAGEFAULT, UFFD_EVENT_REMAP } from '../kernel/include/uapi.js';
import { checkCopy } from '../scenario/copies.js';
import { sys_mincore } from '../kernel/mm/mincore.js';
import { MEM_MEMSET, MEM_READ, MEM_WRITE } from './cells.js';
import { Bytes } from '../state/content.js';
import { KernelBug } from '../kernel/include/bug.js';
export { digestBytes } from '../state/content.js';

/** the bytes of one store (at most 8) */
const storeBuf = new Uint8Array(8);

/** a thread's operands, read without an object (ThreadState.loadOperands) */
const operandsBuf = new Float64Array(4);

/** the offset bits of an address in a page */
const PAGE_MASK_LO = PAGE_SIZE - 1;

/** how many faults at one byte, without progress, before the model calls it a livelock */
const SPIN_LIMIT = 32;

/** the environment expressions are evaluated in (scenario/values.ts) */
export function envOf(m: Machine): Env {
  return varsEnv(m.vars);
}

/**
 * evalExpr (scenario/expr.ts) with plain numbers over the machine's variables, the hot path: exact while
 * every value stays a safe integer, NaN when one does not (callers then fall back to evalExpr); the same
 * EvalError for a name with no value
 */
function numExpr(m: Machine, e: Expr): number {
  switch (e.k) {
    case 'num': {
      const v = decimal(e.v);
      return Number.isSafeInteger(v) ? v : NaN;
    }
    case 'sym': {
      const v = numVar(m, e.name, e.field);
      if (v === undefined) throw new EvalError(`'${e.name}${e.field ? '.' + e.field : ''}' has no value here`);
      return v;
    }
    case 'bin': {
      const a = numExpr(m, e.a);
      // `a & ~x`: ~x itself is past 2^53, the result is not
      if (e.op === '&' && e.b.k === 'un') return andNotNum(a, numExpr(m, e.b.x));
      const b = numExpr(m, e.b);
      if (e.op === '+') {
        const r = a + b;
        return Number.isSafeInteger(r) ? r : NaN;
      }
      return binNum(e.op, a, b);
    }
    case 'un':
      return NaN; // ~x of a safe integer is not one
  }
}

/** a variable as a number (envOf's values; NaN for an ioctl mask that is not a safe integer) */
function numVar(m: Machine, name: string, field: string | undefined): number | undefined {
  const v = m.vars.get(name);
  if (!v) return undefined;
  return numOfVar(v, field);
}

/** numVar of a variable's value */
function numOfVar(v: VarValue | { kind: 'uffdAt' }, field: string | undefined): number | undefined {
  switch (v.kind) {
    case 'mapping':
      return field === 'len' ? v.lenN : field === undefined || field === 'addr' ? v.addrN : undefined;
    case 'msg':
      if (field === 'address' || field === undefined || field === 'end' || field === 'to') return v.msg.address;
      if (field === 'flags' || field === 'start' || field === 'from') return v.msg.flags;
      if (field === 'event') return v.msg.event;
      if (field === 'ptid' || field === 'len') return v.msg.ptid;
      return undefined;
    case 'data':
      return field === 'addr' || field === undefined ? Number(v.addr) : undefined;
    case 'ioctls':
      return Number.isSafeInteger(Number(v.value)) ? Number(v.value) : NaN;
    default:
      return undefined;
  }
}

function num(m: Machine, e: Expr): number {
  const n = numExpr(m, e);
  if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) return n;
  const v = evalExpr(e, envOf(m));
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new SyscallError(22, `value ${v} out of range`);
  return Number(v);
}

/** the most one operation may populate page by page (memset, UFFDIO_COPY/ZEROPAGE, MADV_POPULATE_*) */
export const SPAN_MAX = 2 ** 40;

/**
 * the length of an operation that fills memory page by page: past SPAN_MAX (1 TiB, 2^28 pages of 4 KiB)
 * no model run can hold the result, and the scenario is refused at the operation before any work
 */
function span(m: Machine, op: CompiledOp, field: string, e: Expr, populates = true): number {
  const n = num(m, e);
  if (populates && n > SPAN_MAX) {
    throw new ScenarioError(m.sc.file, op.line, op.col ?? 1, `${op.field ?? op.id}.${field}`,
      `${n} bytes (${(n / 2 ** 40).toFixed(1)} TiB) is more than the model can populate in one operation (at most 1 TiB)`);
  }
  return n;
}

/** the largest `read` buffer the model keeps (a read's bytes are held whole, for digests and same_data) */
export const READ_BUFFER_MAX = 256 * 2 ** 20;

/** a user-space address as a number, or -1 when it is at or above TASK_SIZE (no user access can reach it) */
function userAddr(m: Machine, e: Expr): number {
  const n = numExpr(m, e);
  if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) return n < TASK_SIZE ? n : -1;
  return evalExpr(e, envOf(m)) < BigInt(TASK_SIZE) ? Number(evalExpr(e, envOf(m))) : -1;
}

/** the uffd a name stands for; none when the userfaultfd call that defines it failed or has not run (SKIPPED) */
function uffdOf(m: Machine, name: string): UserfaultfdCtx {
  const ctx = m.vars.uffd(name);
  // the loader checked that the name is defined by a userfaultfd operation
  if (ctx === undefined) throw new EvalError(`'${name}' is not an open userfaultfd at this point`);
  // the calling process's fd: EBADF once it closed it (or when it never had it)
  return uffd_fdget(m.k.current!, ctx);
}

/** the file a name holds, as this process's fd table has it (EBADF when it closed it or never had it) */
function fileOf(m: Machine, name: string): { m: AddressSpace; read: boolean; write: boolean } {
  const v = m.vars.get(name);
  if (!v || v.kind !== 'file') throw new EvalError(`'${name}' is not an open file at this point`);
  return { m: shmem_fdget(m.k, m.k.current!.mm, v.ino), read: v.read, write: v.write };
}

function setVar(m: Machine, name: string | null, v: VarValue): void {
  if (name) m.vars.set(name, v);
}

function record(m: Machine, t: ThreadState, op: CompiledOp, errno: number | null, result: string | null, out: OpOut | null = null): void {
  const e = errno === null ? null : ERRNO_NAME[errno] ?? String(errno);
  // a call its thread's death ends (finishKilledCall) never returns to user space: it has no result
  if (m.killedCall !== t) m.noteResult(t, e, result, out ?? undefined);
  if (m.k.tr) m.k.tr.emit('syscall', op.op, out ? { id: op.id, errno: e, result, out: formatOut(out) } : { id: op.id, errno: e, result });
}

/** run one operation; 'done' when it completed (successfully or with an errno), 'blocked' when it sleeps */
export function execOp(m: Machine, t: ThreadState): 'done' | 'blocked' | 'ended' {
  try {
    return execOpInner(m, t);
  } catch (e) {
    if (!(e instanceof EvalError)) throw e;
    // an argument names something an earlier, failed operation never produced: skip the operation
    const op = t.ops[t.pc]!;
    m.noteResult(t, 'SKIPPED', null, undefined);
    m.k.tr?.emit('skipped', op.op, { id: op.id, why: e.message });
    t.wait = null;
    return 'done';
  }
}

/** the area of the model an operation belongs to, for a profile that leaves areas out (ProfileDef.outOfScope) */
const OP_AREA: Partial<Record<CompiledOp['op'], ScopeArea>> = {
  userfaultfd: 'userfaultfd', uffdio_api: 'userfaultfd', uffdio_register: 'userfaultfd', uffdio_unregister: 'userfaultfd',
  uffdio_writeprotect: 'userfaultfd', uffdio_copy: 'userfaultfd', uffdio_zeropage: 'userfaultfd', uffdio_move: 'userfaultfd', uffdio_continue: 'userfaultfd', uffdio_poison: 'userfaultfd',
  uffdio_wake: 'userfaultfd', read_uffd: 'userfaultfd', poll_uffd: 'userfaultfd', close: 'userfaultfd',
  mremap: 'mremap', khugepaged: 'khugepaged', migrate: 'migrate', pin: 'gup-pin', vmsplice: 'gup-pin',
  move_pages: 'migrate', hmm_migrate: 'migrate',
  memfd_create: 'shmem', open: 'shmem', ftruncate: 'shmem', fallocate: 'shmem', pwrite: 'shmem', pread: 'shmem',
  reclaim: 'swap',
};

function execOpInner(m: Machine, t: ThreadState): 'done' | 'blocked' | 'ended' {
  const pc = t.pc;
  // a thread's memory operation is run from its compiled form (Layout.memKind): its object is read only
  // where that does not serve (a profile that leaves areas out, a trace, another form of operand)
  const oi = t.index >= 0 ? m.layout.opBases[t.index]! + pc : -1;
  const kind = oi >= 0 ? m.layout.memKind[oi]! : 0;
  if (kind !== 0 && !m.scoped) {
    // (the general path's reads, in its order, for a recorder: device memory in use (memory operations
    // follow device pages), then the task's mm, which memoryOp reads)
    if (m.k.st.rec !== null) void (m.k.devmem.inUse > 0);
    return memoryOp(m, t, null, kind, oi);
  }
  const op = t.ops[pc]!;
  const k = m.k;
  // a shared or file mapping is shmem's area too (MAP_SHARED anonymous memory is shmem); a MAP_HUGETLB one hugetlb's
  // (a profile that leaves no area out, the common case, skips the look-up)
  const area = !m.scoped ? undefined : op.op === 'mmap' && (op.flags & MAP_HUGETLB) !== 0 ? 'hugetlb'
    : op.op === 'mmap' && ((op.flags & MAP_SHARED) !== 0 || op.fd !== undefined) ? 'shmem' : OP_AREA[op.op];
  const why = area === undefined ? undefined : k.spec.outOfScope?.[area];
  // an mremap of old_len 0 (a duplication) moves no page table: the paths not read at an old release are not met
  const dup = op.op === 'mremap' && area === 'mremap' && num(m, op.old_len) === 0;
  if (why !== undefined && !dup) throw new ScenarioError(m.sc.file, op.line, op.col ?? 1, op.field ?? op.id, `not modelled on ${k.spec.name}: ${why}`);
  // device: while device memory is mapped, only the operations whose paths the model follows for device pages
  if (k.devmem.inUse > 0 && !DEVICE_OPS.has(op.op)) {
    throw new ScenarioError(m.sc.file, op.line, op.col ?? 1, op.field ?? op.id, `not modelled: ${op.op} while device-coherent memory is in use (only ${[...DEVICE_OPS].join(', ')} follow device pages in the model)`);
  }
  const task = m.k.current!;
  const mm = task.mm;
  if (op.op === 'write' || op.op === 'memset' || op.op === 'read') return memoryOp(m, t, op, MEM_KIND[op.op], oi);
  if (op.op === 'madvise') return madviseOp(m, t, op, null);
  if (op.op === 'pin' || op.op === 'vmsplice' || op.op === 'proc_mem_write' || op.op === 'proc_mem_read') return gupOp(m, t, op, null);
  if (op.op === 'unpin' || op.op === 'pin_read' || op.op === 'read_pipe') return pinHandleOp(m, t, op);
  if (op.op === 'migrate') return migrateOp(m, t, op, false);
  if (op.op === 'khugepaged') return khugepagedOp(m, t, op, null);
  if (op.op === 'read_uffd') {
    let ctx: UserfaultfdCtx;
    try {
      ctx = uffdOf(m, op.uffd);
    } catch (e) {
      if (!(e instanceof SyscallError)) throw e;
      record(m, t, op, e.errno, null);
      return 'done';
    }
    return readUffd(m, t, op, ctx, false);
  }
  // what an ioctl writes back into its argument struct, kept when it fails too
  let out: OpOut | null = null;
  try {
    let result: string | null = '0';
    switch (op.op) {
      case 'mmap': {
        const file = op.fd !== undefined ? fileOf(m, op.fd) : null;
        // vm_mmap_pgoff's uffd unmap list: the UNMAP events of what a MAP_FIXED mapping replaces
        const uf: UnmapEvents = { ctxs: [], start: 0, end: 0 };
        let addr = 0, errno = 0;
        try {
          addr = do_mmap(k, mm, {
            addr: op.addr ? num(m, op.addr) : 0, len: num(m, op.len), prot: op.prot, flags: op.flags, align: op.align, label: op.as ?? op.id,
            file: file ? { m: file.m, read: file.read, write: file.write } : null, offset: op.offset ? num(m, op.offset) : 0,
          }, uf);
        } catch (e) {
          // the events of the VMAs gathered go out whatever came next (a later VMA's split, or hugetlb's
          // reservation, failed), then the errno
          if (!uf.ctxs.length || !(e instanceof SyscallError)) throw e;
          errno = e.errno;
          k.tr?.emit('errno', op.op, { id: op.id, errno: ERRNO_NAME[e.errno] ?? e.errno, why: e.why });
        }
        const len = Math.ceil(num(m, op.len) / PAGE_SIZE) * PAGE_SIZE;
        // userfaultfd_unmap_complete after the mmap lock is dropped: the result once the events are read
        if (uf.ctxs.length) return unmapEvents(m, t, op, uf.ctxs.map((c) => c.id), uf.start, uf.end, len, errno);
        setVar(m, op.as, { kind: 'mapping', addr: BigInt(addr), len: BigInt(len), addrN: addr, lenN: len });
        result = '0x' + addr.toString(16);
        break;
      }
      case 'munmap': {
        const start = num(m, op.addr), len = num(m, op.len);
        // userfaultfd_unmap_prep of each VMA the call gathers, once its splits are done
        const end = start + Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
        const uf: UserfaultfdCtx[] = [];
        let errno = 0;
        try {
          do_munmap(k, mm, start, len, (v) => userfaultfd_unmap_prep_vma(v, uf));
        } catch (e) {
          // the kernel sends the events of the VMAs gathered before a split failed (they stay mapped), and
          // returns the errno
          if (!uf.length || !(e instanceof SyscallError)) throw e;
          errno = e.errno;
          k.tr?.emit('errno', op.op, { id: op.id, errno: ERRNO_NAME[e.errno] ?? e.errno, why: e.why });
        }
        if (uf.length) return unmapEvents(m, t, op, uf.map((c) => c.id), start, end, 0, errno);
        break;
      }
      case 'mprotect':
        do_mprotect(k, mm, num(m, op.addr), num(m, op.len), op.prot);
        break;
      case 'mremap':
        return mremapOp(m, t, op);
      case 'fork': {
        const child = dup_mmap(k, mm);
        copy_files(k, mm, child);
        const ctask = k.newTask(op.as, child);
        ctask.uid = task.uid; // copy_creds
        // dup_userfaultfd_complete: the FORK events, one at a time, before fork() returns (the child is not
        // a process of the scenario until then)
        const next = dup_userfaultfd_next(k, child);
        if (next) return forkEvent(m, t, next.octx, next.msg, child.id, ctask.index);
        result = forkDone(m, op, child, ctask.tid);
        break;
      }
      case 'exit': {
        // do_group_exit: SIGKILL to the other threads of the process (each leaves what it slept in), then
        // this thread's do_exit: exit_mm (the mm's last user: exit_mmap), exit_files
        const others = m.threads.filter((o) => o !== t && o.process === t.process && (o.status === 'ready' || o.status === 'blocked' || o.status === 'unborn')).length;
        k.tr?.emit('exit', 'do_group_exit', { status: op.status, process: t.process, killed: others });
        m.killProcess(t, SIGKILL);
        processExit(m, mm);
        result = String(op.status);
        break;
      }
      case 'userfaultfd': {
        const ctx = sys_userfaultfd(k, task, { nonblock: op.nonblock, userModeOnly: op.user_mode_only, extra: op.extra_flags ?? 0 }, op.via === 'dev', op.as);
        setVar(m, op.as, { kind: 'uffd', ctx });
        if (op.api) result = '0x' + userfaultfd_api(k, ctx, UFFD_API, op.features, task).features.toString(16);
        break;
      }
      case 'uffdio_api':
        result = '0x' + userfaultfd_api(k, uffdOf(m, op.uffd), op.api, op.features, task).features.toString(16);
        break;
      case 'uffdio_register': {
        const io = userfaultfd_register(k, uffdOf(m, op.uffd), num(m, op.addr), num(m, op.len), op.mode);
        setVar(m, op.as, { kind: 'ioctls', value: io });
        result = '0x' + io.toString(16);
        break;
      }
      case 'uffdio_unregister':
        userfaultfd_unregister(k, uffdOf(m, op.uffd), num(m, op.addr), num(m, op.len));
        break;
      case 'uffdio_writeprotect':
        userfaultfd_writeprotect(k, uffdOf(m, op.uffd), num(m, op.addr), num(m, op.len), op.mode);
        break;
      case 'uffdio_copy': {
        const user: UffdioCopyUser = {};
        out = user;
        result = String(userfaultfd_copy(k, uffdOf(m, op.uffd), num(m, op.dst), num(m, op.src), span(m, op, 'len', op.len), op.mode, user));
        break;
      }
      case 'uffdio_zeropage': {
        const user: UffdioZeropageUser = {};
        out = user;
        result = String(userfaultfd_zeropage(k, uffdOf(m, op.uffd), num(m, op.addr), span(m, op, 'len', op.len), op.mode, user));
        break;
      }
      case 'uffdio_move': {
        const user: UffdioMoveUser = {};
        out = user;
        result = String(userfaultfd_move(k, uffdOf(m, op.uffd), num(m, op.dst), num(m, op.src), num(m, op.len), op.mode, user, task));
        break;
      }
      case 'uffdio_poison': {
        const user: UffdioPoisonUser = {};
        out = user;
        result = String(userfaultfd_poison(k, uffdOf(m, op.uffd), num(m, op.addr), span(m, op, 'len', op.len), op.mode, user));
        break;
      }
      case 'uffdio_continue': {
        const user: UffdioContinueUser = {};
        out = user;
        result = String(userfaultfd_continue(k, uffdOf(m, op.uffd), num(m, op.addr), span(m, op, 'len', op.len), op.mode, user));
        break;
      }
      case 'uffdio_wake':
        userfaultfd_wake(k, uffdOf(m, op.uffd), num(m, op.addr), num(m, op.len));
        break;
      case 'close': {
        if (op.file) {
          shmem_close(k, mm, fileOf(m, op.uffd).m);
          break;
        }
        const ctx = uffdOf(m, op.uffd);
        // a read(2) blocked on the file holds a reference to it
        sys_close_uffd(k, task, ctx, readersOf(m, ctx, null));
        break;
      }
      case 'poll_uffd': {
        // poll({fd, POLLIN}, 1, 0): revents
        const revents = userfaultfd_poll(uffdOf(m, op.uffd));
        result = '0x' + revents.toString(16);
        k.tr?.emit('uffd_poll', 'userfaultfd_poll', { uffd: op.uffd, revents });
        break;
      }
      case 'setuid':
        // setgroups + setresgid + setresuid, which glibc applies to every thread of the process
        for (const x of k.tasks) if (x.pid === task.pid) x.uid = op.uid;
        k.tr?.emit('setuid', 'setresuid', { uid: op.uid, gid: op.gid });
        break;
      case 'clear_refs':
        clear_refs_write(k, mm, op.text !== undefined ? clear_refs_parse(op.text) : op.value);
        break;
      case 'pagemap_scan': {
        const start = num(m, op.addr);
        const user: PmScanUser = {};
        out = user;
        const r = do_pagemap_scan(k, mm, {
          size: op.size, flags: op.flags, start, end: start + num(m, op.len), vec_len: op.vec_len, max_pages: op.max_pages,
          category_inverted: op.category_inverted, category_mask: op.category_mask, category_anyof_mask: op.category_anyof_mask,
          return_mask: op.return_mask,
        }, user);
        result = formatScan(r);
        break;
      }
      case 'checkpoint':
        m.takeCheckpoint(op.name);
        break;
      // ---- device: move_pages(2) and the HMM test driver (mm/migrate.ts) ----
      case 'move_pages': {
        const r = kernel_move_pages(k, mm, task.uid, op.pages.map((e) => num(m, e)), op.nodes, op.flags);
        if (r.ret < 0) fail(ERRNO_NAME[-r.ret]!, 'move_pages: a node without memory');
        result = `${r.ret} status=${r.status.map(statusText).join(',')}`;
        break;
      }
      case 'mincore':
        // mm/mincore.c sys_mincore @v6.18 (src/kernel/mm/mincore.ts): the mmap lock read, nothing faulted
        result = `0 status=${sys_mincore(k, mm, task.uid, num(m, op.addr), num(m, op.len)).join(',')}`;
        break;
      case 'hmm_migrate':
        result = String(dmirror_migrate_to_device(k, mm, num(m, op.addr), Math.ceil(num(m, op.len) / PAGE_SIZE)));
        break;
      case 'split_huge_page':
        // mm/huge_memory.c split_huge_pages_write @v5.13; the file came with the v4.5 THP rework
        if (!k.has(PATCH.thpRefcountRework)) fail('ENOENT', 'no debugfs split_huge_pages before v4.5');
        if (!k.has(PATCH.splitHugePagesRange)) fail('EINVAL', 'debugfs split_huge_pages takes only "1" before v5.13 (fa6c02315f74)');
        result = String(split_huge_pages_range(k, mm, num(m, op.addr), num(m, op.len)));
        break;
      case 'swapon':
        // CAP_SYS_ADMIN
        if (task.uid !== 0) fail('EPERM', 'swapon needs CAP_SYS_ADMIN');
        sys_swapon(k, op.pages);
        break;
      case 'reclaim':
        // the model's reclaim device (oldfile): memory pressure reclaims exactly these pages
        reclaim_range(k, mm, num(m, op.addr), num(m, op.len));
        break;
      case 'swapoff':
        if (task.uid !== 0) fail('EPERM', 'swapoff needs CAP_SYS_ADMIN');
        if (!sys_swapoff(k)) {
          // try_to_unuse retries for ever (until a signal): the call never returns
          t.status = 'livelock';
          k.tr?.emit('livelock', 'try_to_unuse', {});
          return 'ended';
        }
        break;
      // ---- shmem and tmpfs files ----
      case 'memfd_create': {
        const f = memfd_create(k, task, op.name, op.flags);
        setVar(m, op.as, { kind: 'file', ino: f.ino, read: true, write: true });
        result = 'fd';
        break;
      }
      case 'open': {
        const acc = op.flags & 3;
        const f = shmem_open(k, task, op.path, (op.flags & 0x40) !== 0, op.hugetlbfs === true);
        setVar(m, op.as, { kind: 'file', ino: f.ino, read: acc !== 1, write: acc !== 0 });
        result = 'fd';
        break;
      }
      case 'ftruncate': {
        const f = fileOf(m, op.fd);
        // do_sys_ftruncate: a file not open for writing is EINVAL
        if (!f.write) fail('EINVAL', 'ftruncate of a file not open for writing');
        if (is_file_hugepages(f.m)) hugetlbfs_setattr_size(k, f.m, num(m, op.len));
        else shmem_setattr_size(k, f.m, num(m, op.len));
        break;
      }
      case 'fallocate': {
        const f = fileOf(m, op.fd);
        // vfs_fallocate: offset and length first, then the file's mode
        const offset = num(m, op.offset), len = num(m, op.len);
        if (offset < 0 || len <= 0) fail('EINVAL', 'fallocate offset < 0 or len <= 0');
        if (!f.write) fail('EBADF', 'fallocate of a file not open for writing');
        if (is_file_hugepages(f.m)) hugetlbfs_fallocate(k, f.m, op.mode, offset, len);
        else shmem_fallocate(k, f.m, op.mode, offset, len);
        break;
      }
      case 'pwrite': {
        const f = fileOf(m, op.fd);
        if (!f.write) fail('EBADF', 'pwrite to a file not open for writing');
        if (is_file_hugepages(f.m)) hugetlbfs_write();
        result = String(shmem_file_write(k, f.m, num(m, op.offset), new Uint8Array(num(m, op.len)).fill(op.value)));
        break;
      }
      case 'pread': {
        const f = fileOf(m, op.fd);
        if (!f.read) fail('EBADF', 'pread of a file not open for reading');
        const runs = is_file_hugepages(f.m) ? hugetlbfs_read(k, f.m, num(m, op.offset), num(m, op.len)) : shmem_file_read(k, f.m, num(m, op.offset), num(m, op.len));
        let out = Bytes.empty(runs.reduce((a, r) => a + r.n, 0));
        for (const r of runs) out = out.append(r.pfn < 0 ? null : k.data.content(r.pfn), r.off, r.n);
        setVar(m, op.as, { kind: 'data', addr: BigInt(num(m, op.offset)), bytes: out });
        result = out.digest();
        break;
      }
    }
    record(m, t, op, null, result, out && outWritten(out) ? out : null);
  } catch (e) {
    if (e instanceof SyscallError) {
      record(m, t, op, e.errno, null, out && outWritten(out) ? out : null);
      k.tr?.emit('errno', op.op, { id: op.id, errno: ERRNO_NAME[e.errno] ?? e.errno, why: e.why });
    } else if (e instanceof NotModelledError) {
      throw notModelledAt(m, op, e);
    } else if (e instanceof KernelBug) {
      // the oops: "kernel BUG at ...", and the task dies in make_task_dead(SIGSEGV); the call never returns
      k.printk('BUG', `kernel BUG at ${e.where}!`);
      k.printk('BUG', e.what);
      t.status = 'killed';
      t.killedBy = SIGSEGV;
      return 'ended';
    } else throw e;
  }
  return 'done';
}

/**
 * madvise(2), one call per advice of the list (the executor's order), stopping at the first error. A
 * MADV_POPULATE_* whose GUP fault sleeps in handle_userfault blocks the thread like a CPU fault does;
 * once woken, the next step resumes it (`w`) where it stopped, then goes on with the advices left.
 */
function madviseOp(m: Machine, t: ThreadState, op: Extract<CompiledOp, { op: 'madvise' }>, w: Extract<Wait, { kind: 'gup' | 'uffd_event' }> | null): 'done' | 'blocked' | 'ended' {
  const k = m.k;
  const task = m.k.current!;
  const mm = task.mm;
  try {
    let i = 0, addr: number, len: number;
    let r: MadviseResult;
    if (w !== null && w.kind === 'uffd_event') {
      // a MADV_DONTNEED or MADV_REMOVE whose REMOVE event was read (or dropped): [advice * 2 + unmapped, addr,
      // len, start, end, next]; a MADV_REMOVE's: [advice * 2 + unmapped + inode * 256, addr, len, start, end, offset]
      t.wait = null;
      const [iu, a, l, start, end, x] = w.v as [number, number, number, number, number, number];
      i = (iu & 255) >> 1;
      addr = a;
      len = l;
      eventFinish(k, task);
      const walkEnd = addr + Math.ceil(len / PAGE_SIZE) * PAGE_SIZE, unmapped = (iu & 1) !== 0;
      r = op.advice[i] === 'remove'
        ? madvise_remove_resume(k, mm, { start, end, walkEnd, unmapped, remove: { inode: Math.floor(iu / 256), offset: x } })
        : madvise_dontneed_resume(k, mm, { start, end, next: x, walkEnd, unmapped, advice: MADV[op.advice[i]!] });
    } else if (w !== null) {
      t.wait = null;
      ({ advice: i, addr, len } = w);
      r = madvise_populate_resume(k, mm, w.cont);
    } else {
      addr = num(m, op.addr);
      len = span(m, op, 'len', op.len, op.advice.some((a) => a === 'populate_read' || a === 'populate_write'));
      r = op.advice.length ? do_madvise(k, mm, addr, len, op.advice[0]!) : null;
    }
    for (;;) {
      if (r !== null) {
        if (r.kind === 'blocked') {
          t.wait = { kind: 'gup', cont: r.cont, advice: i, addr, len };
          return 'blocked';
        }
        if (r.kind === 'event') {
          userfaultfd_event_wait(k, r.ctx, task, r.msg);
          const iu = i * 2 + (r.unmapped ? 1 : 0);
          m.eventWaitHint = true;
          t.wait = { kind: 'uffd_event', v: r.remove ? [iu + r.remove.inode * 256, addr, len, r.start, r.end, r.remove.offset] : [iu, addr, len, r.start, r.end, r.next] };
          return 'blocked';
        }
        t.status = 'livelock';
        k.tr?.emit('livelock', 'faultin_page', { address: r.address });
        return 'ended';
      }
      if (++i >= op.advice.length) break;
      r = do_madvise(k, mm, addr, len, op.advice[i]!);
    }
    record(m, t, op, null, '0');
  } catch (e) {
    if (e instanceof SyscallError) {
      record(m, t, op, e.errno, null);
      k.tr?.emit('errno', op.op, { id: op.id, errno: ERRNO_NAME[e.errno] ?? e.errno, why: e.why });
    } else if (e instanceof NotModelledError) {
      throw notModelledAt(m, op, e);
    } else throw e;
  }
  return 'done';
}

type GupOp = Extract<CompiledOp, { op: 'pin' | 'vmsplice' | 'proc_mem_write' | 'proc_mem_read' }>;

/**
 * The operations that go through GUP: pin (pin_user_pages, or get_user_pages with `get`, as a driver or
 * io_uring's buffer registration does), vmsplice (a read-only reference per page, held by the pipe), and
 * pwrite/pread of /proc/self/mem (mem_rw -> access_remote_vm: FOLL_FORCE | FOLL_REMOTE, one page at a time,
 * copied and put at once; without `locked`, so a uffd fault cannot sleep there). In a thread the walk's step
 * ends at the cond_resched() after a fault (a GUP write can be raced there, as Dirty COW was); `w` resumes it.
 */
function gupOp(m: Machine, t: ThreadState, op: GupOp, w: GupState | null): 'done' | 'blocked' | 'ended' {
  const k = m.k;
  const task = k.current!;
  const mm = task.mm;
  let addr: number, len: number, lo = 0, hi = 0;
  let s: GupState;
  if (w === null) {
    addr = userAddr(m, op.addr);
    len = op.op === 'proc_mem_write' ? op.size : num(m, op.len);
    if (op.op === 'proc_mem_write') {
      const v = evalExpr(op.value, envOf(m));
      lo = Number(v & 0xffffffffn);
      hi = Number((v >> 32n) & 0xffffffffn);
    }
    const proc = op.op === 'proc_mem_write' || op.op === 'proc_mem_read';
    if (addr < 0 || len <= 0 || (!proc && len > SPAN_MAX)) {
      record(m, t, op, addr < 0 && proc ? ERRNO.EIO : ERRNO.EFAULT, null);
      return 'done';
    }
    t.storeOperands(addr, len, lo, hi);
    const foll = op.op === 'pin' ? op.foll | FOLL_TOUCH | FOLL_UNLOCKABLE
      : op.op === 'vmsplice' ? FOLL_GET | FOLL_TOUCH | FOLL_UNLOCKABLE
      : FOLL_FORCE | FOLL_GET | FOLL_TOUCH | FOLL_REMOTE | (op.op === 'proc_mem_write' ? FOLL_WRITE : 0);
    // mm_set_has_pinned_flag (008cfe4418b3, v5.9; MMF_HAS_PINNED)
    if (foll & FOLL_PIN) mm.hasPinned = true;
    const start = addr - (addr % PAGE_SIZE);
    s = { write: false, addr: start, end: Math.ceil((addr + len) / PAGE_SIZE) * PAGE_SIZE, tried: false, attempts: 0, foll, yields: t !== m.setup };
    m.vars.delete(`\0gup:${op.id}`);
  } else {
    t.wait = null;
    s = w;
    if (task.uwq !== null) {
      // woken from handle_userfault: __get_user_pages_locked retries the page with FOLL_TRIED
      task.uwq = null;
      s.tried = true;
      k.tr?.emit('fault_resume', 'handle_userfault', { address: s.addr, ret: VM_FAULT_RETRY, ret_names: 'RETRY' });
    }
    t.loadOperands(operandsBuf);
    addr = operandsBuf[0]!;
    len = operandsBuf[1]!;
    lo = operandsBuf[2]!;
    hi = operandsBuf[3]!;
  }
  // what was taken (pin, vmsplice) or read (proc_mem_read) before the walk stopped last
  const prev = m.vars.get(`\0gup:${op.id}`);
  const pfns: number[] = prev && prev.kind === 'pin' ? [...prev.pfns] : [];
 let out: Bytes | null = op.op === 'proc_mem_read' ? (prev && prev.kind === 'data' ? prev.bytes : Bytes.empty(len)) : null;
  let copied = op.op === 'proc_mem_read' ? out!.filled : op.op === 'proc_mem_write' ? Math.max(0, s.addr - addr) : 0;
  const foll = () => s.foll ?? 0;
  const grab = (pfn: number, slot: number): void => {
    if (op.op === 'pin' || op.op === 'vmsplice') {
      if (slot >= 0) try_grab_folio(k, slot, 1, foll());
      pfns.push(pfn);
      return;
    }
    // access_remote_vm: copy to or from this page, then put it
    const page = s.addr;
    const from = Math.max(addr, page), to = Math.min(addr + len, page + PAGE_SIZE);
    const n = to - from;
    if (op.op === 'proc_mem_write') {
      for (let i = 0; i < n; i++) {
        const b = from - addr + i;
        storeBuf[i] = b < 4 ? (lo >>> (8 * b)) & 0xff : (hi >>> (8 * (b - 4))) & 0xff;
      }
      k.data.writeBytes(pfn, from - page, storeBuf, 0, n);
      // set_page_dirty_lock
      if (slot >= 0 && !k.folios.test(slot, PG_zero)) k.folios.setFlag(slot, PG_dirty);
    } else out = out!.append(k.data.content(pfn), from - page, n);
    copied += n;
  };
  // get_user_pages_fast (vmsplice) and pin_user_pages_fast (a `fast` pin) try the lockless walk first
  // (gup_fast_fallback); the slow path takes the rest, from the first page it could not take
  if (w === null && (op.op === 'vmsplice' || (op.op === 'pin' && op.fast))) s.addr += gup_fast(k, mm, s.addr, s.end, foll(), grab) * PAGE_SIZE;
  for (;;) {
    const r = __get_user_pages(k, mm, s, grab);
    if (r === 'unlocked' && task.uwq === null) {
      // handle_userfault did not sleep: take the lock again and retry the page
      s.tried = true;
      continue;
    }
    if (r === 'resched' || r === 'unlocked') {
      if (op.op === 'proc_mem_read') m.vars.set(`\0gup:${op.id}`, { kind: 'data', addr: BigInt(addr), bytes: out! });
      else if (op.op !== 'proc_mem_write') m.vars.set(`\0gup:${op.id}`, { kind: 'pin', addr: BigInt(addr), foll: foll(), pfns });
      t.wait = { kind: 'gupop', gup: s };
      return 'blocked';
    }
    m.vars.delete(`\0gup:${op.id}`);
    if (r === 'livelock') {
      t.status = 'livelock';
      k.tr?.emit('livelock', 'faultin_page', { address: s.addr, attempts: s.attempts });
      return 'ended';
    }
    const errno = r === 'done' ? null : r;
    if (op.op === 'pin' || op.op === 'vmsplice') {
      // pin_user_pages returns the pages pinned, or the error when there are none
      if (pfns.length === 0 && errno !== null) record(m, t, op, errno, null);
      else {
        setVar(m, op.as, { kind: 'pin', addr: BigInt(addr), foll: foll() & (FOLL_PIN | FOLL_GET | FOLL_WRITE | FOLL_LONGTERM), pfns });
        record(m, t, op, null, op.op === 'vmsplice' ? String(Math.min(len, pfns.length * PAGE_SIZE - (addr % PAGE_SIZE))) : String(pfns.length));
      }
    } else if (copied === 0 && errno !== null) record(m, t, op, ERRNO.EIO, null); // mem_rw: nothing copied is -EIO
    else {
      if (op.op === 'proc_mem_read') setVar(m, op.as, { kind: 'data', addr: BigInt(addr), bytes: out! });
      record(m, t, op, null, op.op === 'proc_mem_read' ? out!.digest() : String(copied));
    }
    return 'done';
  }
}

/**
 * migrate: page migration of [addr, addr+len) as mbind(MPOL_MF_MOVE) or move_pages(2) asks for it on one
 * node (kernel/mm/migrate.ts). In a thread it takes two steps: the unmap (every mapping of each folio
 * becomes a migration entry), then, when the thread runs again, the copy and remove_migration_ptes; other
 * threads run in between and meet the entries. In the setup both run at once. A folio mapped more than once
 * stays (MPOL_MF_MOVE without _ALL). The result is 0 (mbind
 * without MPOL_MF_STRICT: pages that could not move are not an error); errors: EINVAL (unaligned addr),
 * EFAULT (a hole in the range).
 */
function migrateOp(m: Machine, t: ThreadState, op: Extract<CompiledOp, { op: 'migrate' }>, resumed: boolean): 'done' | 'blocked' {
  const k = m.k;
  const key = `\0mig:${op.id}`;
  let heads: number[];
  if (!resumed) {
    try {
      heads = migrate_pages_unmap(k, k.current!.mm, num(m, op.addr), num(m, op.len));
    } catch (e) {
      if (e instanceof SyscallError) {
        record(m, t, op, e.errno, null);
        k.tr?.emit('errno', op.op, { id: op.id, errno: ERRNO_NAME[e.errno] ?? e.errno, why: e.why });
        return 'done';
      }
      if (e instanceof NotModelledError) throw notModelledAt(m, op, e);
      throw e;
    }
    k.tr?.emit('migrate', 'migrate_pages_unmap', { heads: heads.length });
    if (t !== m.setup) {
      m.vars.set(key, { kind: 'pin', addr: 0n, foll: 0, pfns: heads });
      t.wait = { kind: 'migrate' };
      return 'blocked';
    }
  } else {
    t.wait = null;
    const v = m.vars.get(key);
    heads = v && v.kind === 'pin' ? [...v.pfns] : [];
    m.vars.delete(key);
  }
  migrate_pages_move(k, heads);
  record(m, t, op, null, '0');
  return 'done';
}

/**
 * khugepaged: khugepaged's visit of the 2 MiB block at addr in the thread's process (kernel/mm/khugepaged.ts).
 * In a thread it takes steps, as mm/khugepaged.c drops the mmap lock between them, and other threads run in
 * between. Anonymous memory: the scan (hpage_collapse_scan_pmd, with the VMA check), then collapse_huge_page
 * (revalidation, swap-in, isolation, copy, PMD). Shmem: the VMA check and hpage_collapse_scan_file, then
 * collapse_file (isolation, unmap, copy, the cache's new folio, retract_page_tables); where the block is one
 * PMD-sized folio already (the scan's or collapse_file's pte_mapped_hugepage), collapse_pte_mapped_thp is the
 * next step. In the setup they all run at once. The result is the scan_result's name as its tracepoints print it
 * (`succeeded`, `pte_uffd_wp`, ...): the first step's when it ends the visit, else the last one's. khugepaged
 * is a kernel thread: no errno.
 */
function khugepagedOp(m: Machine, t: ThreadState, op: Extract<CompiledOp, { op: 'khugepaged' }>, w: Extract<Wait, { kind: 'khugepaged' }> | null): 'done' | 'blocked' {
  const k = m.k, mm = k.current!.mm;
  try {
    let scan = w;
    if (!scan) {
      const s = khugepaged_scan_step(k, mm, num(m, op.addr));
      if (s.next === KH_DONE) {
        record(m, t, op, null, s.result);
        return 'done';
      }
      scan = { kind: 'khugepaged', haddr: s.haddr, referenced: s.referenced, unmapped: s.unmapped, next: s.next, ino: s.ino, index: s.index };
      if (t !== m.setup) {
        t.wait = scan;
        return 'blocked';
      }
    } else t.wait = null;
    for (;;) {
      const r = khugepaged_collapse_step(k, mm, scan);
      // khugepaged_scan_mm_slot: collapse_file found the block collapsed already; collapse_pte_mapped_thp, with the mmap lock taken again
      if (scan.next === KH_COLLAPSE_FILE && r === 'pte_mapped_hugepage') {
        scan = { ...scan, next: KH_COLLAPSE_PTE_MAPPED_THP };
        if (t !== m.setup) {
          t.wait = scan;
          return 'blocked';
        }
        continue;
      }
      record(m, t, op, null, r);
      return 'done';
    }
  } catch (e) {
    if (e instanceof NotModelledError) throw notModelledAt(m, op, e);
    throw e;
  }
}

/** unpin, pin_read, read_pipe: what a pin or vmsplice handle holds (the pages as they are now), and letting it go */
function pinHandleOp(m: Machine, t: ThreadState, op: Extract<CompiledOp, { op: 'unpin' | 'pin_read' | 'read_pipe' }>): 'done' {
  const k = m.k;
  const name = op.op === 'read_pipe' ? op.pipe : op.pin;
  const h = m.vars.get(name);
  if (!h || h.kind !== 'pin') throw new EvalError(`'${name}' holds no pages here`);
  let result: string | null = '0';
  if (op.op !== 'unpin') {
    let out = Bytes.empty(h.pfns.length * PAGE_SIZE);
    for (const pfn of h.pfns) out = out.append(k.data.content(pfn), 0, PAGE_SIZE);
    setVar(m, op.as, { kind: 'data', addr: h.addr - (h.addr % 4096n), bytes: out });
    result = out.digest();
  }
  if (op.op !== 'pin_read') {
    for (const pfn of h.pfns) {
      const slot = k.folios.slotOf(pfn);
      if (slot >= 0) gup_put_folio(k, slot, 1, h.foll);
    }
    m.vars.delete(name);
  }
  record(m, t, op, null, result);
  return 'done';
}

/** an operation the model does not carry out ends the run as a scenario error at the operation's place (exit 2) */
export function notModelledAt(m: Machine, op: CompiledOp, e: NotModelledError): ScenarioError {
  const msg = e.release ? `not modelled on ${m.k.spec.name}: ${e.why}` : e.message;
  return new ScenarioError(m.sc.file, op.line, op.col ?? 1, `${op.field ?? op.id}.${e.field}`, msg);
}

function readUffd(m: Machine, t: ThreadState, op: Extract<CompiledOp, { op: 'read_uffd' }>, ctx: UserfaultfdCtx, resumed: boolean): 'done' | 'blocked' {
  try {
    const got = userfaultfd_ctx_read(m.k, ctx, op.size ?? 32, m.k.current!, op.fork_uffd ?? undefined);
    if (!got) {
      if (ctx.nonblock) throw new SyscallError(11, 'no message pending (O_NONBLOCK)');
      t.wait = { kind: 'uffd_read', ctx };
      if (!resumed) m.k.tr?.emit('uffd_read_wait', 'userfaultfd_read', { uffd: ctx.name });
      return 'blocked';
    }
    t.wait = null;
    const msg = got.msg;
    setVar(m, op.as, { kind: 'msg', msg });
    if (got.fork && op.fork_uffd) setVar(m, op.fork_uffd, { kind: 'uffd', ctx: got.fork });
    record(m, t, op, null, msgHead(msg.event, msg.flags) + hex(msg.address) + (msg.event === UFFD_EVENT_REMAP ? ` len=0x${hex(msg.ptid)}` : ''));
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    t.wait = null;
    record(m, t, op, e.errno, null);
  }
  // a read that slept returns: its reference to the file goes, the last one of a closed fd releases it
  if (resumed && ctx.closedInRead) releaseAfterRead(m.k, ctx, readersOf(m, ctx, t));
  return 'done';
}

/**
 * thread o of a process a fatal signal kills (Machine.killProcess; o's status is already `killed`): asleep
 * in handle_userfault, its entry leaves the uffd's queue (userfaultfd_fault_fatal); asleep in read(2) of a
 * uffd, its reference to the file goes (the last one of a closed fd releases it); asleep in
 * userfaultfd_event_wait_completion, its call ends (finishKilledCall).
 */
export function fatalSignalWake(m: Machine, o: ThreadState): void {
  const task = o.task;
  const u = task ? task.uwq : null;
  if (u !== null) {
    if (u.msg.event === UFFD_EVENT_PAGEFAULT) userfaultfd_fault_fatal(m.k, task!);
    else finishKilledCall(m, o);
  }
  if (o.waitKind === 'uffd_read') {
    const ctx = o.waitCtx;
    if (ctx.closedInRead) releaseAfterRead(m.k, ctx, readersOf(m, ctx, o));
  }
}

/**
 * the system call of o, killed while it waits for its event to be read: the kernel's waiter takes its event
 * off the queue unread (fatal_signal_pending in userfaultfd_event_wait_completion), the call goes on to its
 * end with every later event dropped at once (Task.fatal), and the thread dies on its way out. The call's
 * work is done in the killing thread's step, as o's (its task current meanwhile); it returns no result
 * (record() keeps none: the host shows none either, exit-event-waiter-killed).
 */
function finishKilledCall(m: Machine, o: ThreadState): void {
  const k = m.k, task = o.task!, cur = k.current, thread = k.tr?.thread;
  task.fatal = true;
  k.current = task;
  if (k.tr) k.tr.thread = o.name;
  m.killedCall = o;
  try {
    for (let n = 0; o.waitKind === 'uffd_event'; n++) {
      if (n > 64) throw new Error(`BUG: thread ${o.name}'s killed call does not end`);
      const r = resumeOp(m, o);
      if (r !== 'blocked') break;
    }
  } finally {
    m.killedCall = null;
    k.current = cur;
    if (k.tr && thread !== undefined) k.tr.thread = thread;
    o.status = 'killed';
  }
}

/** threads other than `but` asleep in read(2) of ctx (each holds a reference to its file) */
function readersOf(m: Machine, ctx: UserfaultfdCtx, but: ThreadState | null): number {
  let n = 0;
  for (const o of m.threads) if (o !== but && o.status === 'blocked' && o.waitKind === 'uffd_read' && o.waitCtx === ctx) n++;
  return n;
}

/** "event=0x.. flags=0x.. address=0x" of a read_uffd result, made once per event and flags */
const msgHeads = new Map<number, string>();
function msgHead(event: number, flags: number): string {
  const small = event >= 0 && event < 0x4000 && flags >= 0 && flags < 0x10000;
  let s = small ? msgHeads.get(event * 0x10000 + flags) : undefined;
  if (s === undefined) {
    s = `event=0x${event.toString(16)} flags=0x${flags.toString(16)} address=0x`;
    if (small && msgHeads.size < 256) msgHeads.set(event * 0x10000 + flags, s);
  }
  return s;
}

/** userfaultfd_event_wait_completion's end, traced */
function eventFinish(k: Machine['k'], task: NonNullable<Machine['k']['current']>): boolean {
  const u = task.uwq!;
  const uffd = u.ctx.name, event = u.msg.event;
  const read = userfaultfd_event_finish(k, task);
  k.tr?.emit('uffd_event_wait', 'userfaultfd_event_wait_completion', { uffd, event: EVENT_NAME[event] ?? String(event), read, ...(task.fatal ? { killed: true } : {}) });
  return read;
}
const EVENT_NAME: Record<number, string> = { 0x13: 'FORK', 0x14: 'REMAP', 0x15: 'REMOVE', 0x16: 'UNMAP' };

/** a fork that sends octx its FORK event and waits: [child mm id, child task index] */
function forkEvent(m: Machine, t: ThreadState, octx: UserfaultfdCtx, msg: UffdMsg, childMm: number, childTask: number): 'blocked' {
  userfaultfd_event_wait(m.k, octx, m.k.current!, msg);
  m.eventWaitHint = true;
  t.wait = { kind: 'uffd_event', v: [childMm, childTask] };
  return 'blocked';
}

/** fork() returns: the child is a process of the scenario; the result is its pid */
function forkDone(m: Machine, op: Extract<CompiledOp, { op: 'fork' }>, child: MmStruct, pid: number): string {
  m.procs.set(op.as, { name: op.as, mm: child, pid });
  setVar(m, op.as, { kind: 'process', name: op.as });
  return String(pid);
}

/** the contexts still to be sent an event, in the order of the unmap list: each id + 1 in 5 bits, the next first */
const UNMAP_SEQ_MAX = 10;

/**
 * the UNMAP events of an munmap, or of an mmap(MAP_FIXED) over what it replaces (userfaultfd_unmap_complete),
 * one at a time, in the order of the list (of the VMAs): [the contexts left (UNMAP_SEQ_MAX), start, end], then
 * for mmap the new mapping's length (its address is start, the result once the last event is read; 0 for
 * munmap), then the errno the call ends with where it failed after preparing them (a later VMA's split,
 * hugetlb's reservation)
 */
function unmapEvents(m: Machine, t: ThreadState, op: CompiledOp, ids: number[], start: number, end: number, mapLen = 0, errno = 0): 'done' | 'blocked' {
  if (ids.length === 0) {
    if (errno) {
      record(m, t, op, errno, null);
    } else if (op.op === 'mmap') {
      setVar(m, op.as, { kind: 'mapping', addr: BigInt(start), len: BigInt(mapLen), addrN: start, lenN: mapLen });
      record(m, t, op, null, '0x' + start.toString(16));
    } else {
      record(m, t, op, null, '0');
    }
    return 'done';
  }
  const [first, ...rest] = ids as [number, ...number[]];
  if (rest.length > UNMAP_SEQ_MAX) notModelled('op', `model limit: UNMAP events of one call for more than ${UNMAP_SEQ_MAX + 1} userfaultfd contexts`);
  let seq = 0;
  for (let i = rest.length - 1; i >= 0; i--) {
    if (rest[i]! >= 31) notModelled('op', 'model limit: UNMAP events for a userfaultfd context past the 31st');
    seq = seq * 32 + rest[i]! + 1;
  }
  userfaultfd_event_wait(m.k, m.k.uffds[first]!, m.k.current!, unmap_msg(start, end));
  m.eventWaitHint = true;
  t.wait = { kind: 'uffd_event', v: errno ? [seq, start, end, mapLen, errno] : op.op === 'mmap' ? [seq, start, end, mapLen] : [seq, start, end] };
  return 'blocked';
}

/**
 * mremap(2) (kernel/mm/mremap.ts do_mremap). Its userfaultfd events go out after the work, one at a
 * time, each waited for until read: the destination's UNMAP events (MREMAP_FIXED), REMAP, then the
 * UNMAP events of the shrunk tail and of the old range. The wait keeps [addr, old_len, new_len, dst,
 * pending, len]: the lengths the events are made of (the call's, or the one VMA piece v6.17's remap_move
 * moved), the destination (the result on success), pending with a bit per context id (below 8) in four
 * bytes, one per group, and in bits 32..39 the errno the call ends with (0: success), and the length of
 * the mapping the call's `as` names.
 */
function mremapOp(m: Machine, t: ThreadState, op: Extract<CompiledOp, { op: 'mremap' }>): 'done' | 'blocked' {
  const k = m.k, mm = k.current!.mm;
  const addr = num(m, op.addr), old_len = num(m, op.old_len), new_len = num(m, op.new_len);
  const new_addr = op.new_addr ? num(m, op.new_addr) : 0;
  const uf = mremap_uf();
  let res = 0, errno = 0;
  try {
    res = do_mremap(k, mm, addr, old_len, new_len, op.flags, new_addr, uf);
  } catch (e) {
    if (e instanceof NotModelledError) throw notModelledAt(m, op, e);
    if (!(e instanceof SyscallError)) throw e;
    errno = e.errno;
    k.tr?.emit('errno', op.op, { id: op.id, errno: ERRNO_NAME[e.errno] ?? e.errno, why: e.why });
  }
  let pending = 0;
  const bit = (ctx: UserfaultfdCtx, group: number) => {
    if (ctx.id >= 8) notModelled('op', 'model limit: mremap events for a userfaultfd context past the 8th');
    pending += 2 ** (group * 8 + ctx.id);
  };
  // a hugetlb VMA's events are of the lengths align_hugetlb rounded up to 2 MiB (before session 15 the model
  // made them of the page-rounded ones: host fuzz seed 6449 run 1464)
  const alen = uf.hugetlbLens?.old_len ?? Math.ceil(old_len / PAGE_SIZE) * PAGE_SIZE;
  const nlen = uf.hugetlbLens?.new_len ?? Math.ceil(new_len / PAGE_SIZE) * PAGE_SIZE;
  // the destinations of several pieces (v6.17's remap_move of several VMAs), or of a piece after the first
  const early = uf.early[0] ?? null;
  if (uf.early.length > 1 || (early !== null && errno === 0 && early.start !== res)) return mremapPieces(m, t, op, uf, res, errno, nlen);
  const dst = uf.remap ? uf.remap.to : early ? early.start : res;
  // the lengths the events are made of: the call's, or (v6.17's remap_move of a range whose one VMA ends
  // before it, a gap after) that VMA's piece: [addr, addr + piece) moved to [dst, dst + piece)
  let evOld = alen, evNew = nlen;
  const piece = early ? early.end - early.start : uf.remap ? uf.remap.len : nlen;
  if (piece !== nlen || (uf.remap !== null && uf.remap.len !== Math.min(alen, nlen))) {
    const one = alen === nlen && (early === null || (early.start === dst && early.end - early.start === piece)) &&
      (uf.remap === null || (uf.remap.from === addr && uf.remap.len === piece)) &&
      uf.late.every((l) => l.start === addr && l.end === addr + piece);
    if (!one) notModelled('op', 'model limit: UNMAP or REMAP events of pieces of several VMAs moved by one mremap');
    evOld = evNew = piece;
  }
  if (early) for (const c of early.ctxs) bit(c, 0);
  if (uf.remap) bit(uf.remap.ctx, 1);
  for (const l of uf.late) for (const c of l.ctxs) bit(c, l.start === addr + evNew && l.end === addr + evOld && evOld > evNew ? 2 : 3);
  // (the result is the destination, dst, on success: v's last number is the new mapping's length)
  if (errno === 0 && dst !== res) throw new Error(`BUG: mremap's events went to 0x${dst.toString(16)}, its result is 0x${res.toString(16)}`);
  return mremapEvents(m, t, op, [addr, evOld, evNew, dst, pending + errno * 2 ** 32, nlen]);
}

/** the pieces of an mremapPieces wait, and the pages of an offset or a length in one */
const PIECES_MAX = 3, PIECE_PAGES = 2 ** 20;

/**
 * The destination UNMAP events of v6.17's remap_move of several VMAs (mremapOp): each piece's munmap
 * prepared its own (notify_uffd sends uf_unmap_early in the order of the pieces); a move of several VMAs
 * has no REMAP and no old-range events (a uffd-armed VMA only moves alone). The wait keeps five numbers
 * (mremapEvents' six tell the two apart): the base address (the result on success, else the first event's
 * start), the mapping's length in pages plus 2^36 times the errno, then up to three pieces with events
 * left, each its offset from the base and its length in pages (20 bits each) and above them a bit per
 * context id (below 8) still to be sent, lowest id first.
 */
function mremapPieces(m: Machine, t: ThreadState, op: Extract<CompiledOp, { op: 'mremap' }>, uf: MremapUf, res: number, errno: number, nlen: number): 'done' | 'blocked' {
  if (uf.remap !== null || uf.late.length > 0) notModelled('op', 'model limit: REMAP or old-range UNMAP events with the destination events of several VMAs moved by one mremap');
  if (uf.early.length > PIECES_MAX) notModelled('op', `model limit: UNMAP events of more than ${PIECES_MAX} destinations of one mremap`);
  const base = errno === 0 ? res : uf.early[0]!.start;
  const v = [base, nlen / PAGE_SIZE + errno * 2 ** 36, 0, 0, 0];
  uf.early.forEach((e, i) => {
    const off = (e.start - base) / PAGE_SIZE, len = (e.end - e.start) / PAGE_SIZE;
    if (off < 0 || off >= PIECE_PAGES || len >= PIECE_PAGES) notModelled('op', 'model limit: UNMAP events of an mremap destination 4 GiB or more past the result');
    let mask = 0;
    for (const c of e.ctxs) {
      if (c.id >= 8) notModelled('op', 'model limit: mremap events for a userfaultfd context past the 8th');
      mask |= 1 << c.id;
    }
    v[2 + i] = mask * 2 ** 40 + off * PIECE_PAGES + len;
  });
  return mremapPieceEvents(m, t, op, v);
}

/** the next of mremapPieces' events, or the call's result when none is left */
function mremapPieceEvents(m: Machine, t: ThreadState, op: Extract<CompiledOp, { op: 'mremap' }>, v: number[]): 'done' | 'blocked' {
  const base = v[0]!, pages = v[1]! % 2 ** 36, errno = Math.floor(v[1]! / 2 ** 36);
  const p = v[2]!;
  if (p === 0) {
    if (errno) {
      record(m, t, op, errno, null);
    } else {
      const len = pages * PAGE_SIZE;
      if (op.as) setVar(m, op.as, { kind: 'mapping', addr: BigInt(base), len: BigInt(len), addrN: base, lenN: len });
      record(m, t, op, null, '0x' + base.toString(16));
    }
    return 'done';
  }
  const mask = Math.floor(p / 2 ** 40), off = Math.floor(p / PIECE_PAGES) % PIECE_PAGES, len = p % PIECE_PAGES;
  let id = 0;
  while (!(mask & (1 << id))) id++;
  const start = base + off * PAGE_SIZE;
  userfaultfd_event_wait(m.k, m.k.uffds[id]!, m.k.current!, unmap_msg(start, start + len * PAGE_SIZE));
  m.eventWaitHint = true;
  // this context's bit taken off; a piece with none left gives its place to the next
  const rest = mask & ~(1 << id);
  const next = rest !== 0 ? [rest * 2 ** 40 + off * PIECE_PAGES + len, v[3]!, v[4]!] : [v[3]!, v[4]!, 0];
  t.wait = { kind: 'uffd_event', v: [base, v[1]!, ...next] };
  return 'blocked';
}

/** the next of an mremap's events (mremapOp), or its result when none is left */
function mremapEvents(m: Machine, t: ThreadState, op: Extract<CompiledOp, { op: 'mremap' }>, v: number[]): 'done' | 'blocked' {
  if (v.length === 5) return mremapPieceEvents(m, t, op, v);
  const [addr, old_len, new_len, dst, word, len] = v as [number, number, number, number, number, number];
  const pending = word % 2 ** 32, errno = Math.floor(word / 2 ** 32);
  if (pending === 0) {
    if (errno) {
      record(m, t, op, errno, null);
    } else {
      if (op.as) setVar(m, op.as, { kind: 'mapping', addr: BigInt(dst), len: BigInt(len), addrN: dst, lenN: len });
      record(m, t, op, null, '0x' + dst.toString(16));
    }
    return 'done';
  }
  let b = 0;
  while (Math.floor(pending / 2 ** b) % 2 === 0) b++;
  const group = b >> 3, ctx = m.k.uffds[b & 7]!;
  const moved = Math.min(old_len, new_len);
  const msg: UffdMsg = group === 0 ? unmap_msg(dst, dst + new_len)
    : group === 1 ? { event: UFFD_EVENT_REMAP, flags: addr, address: dst, ptid: moved }
    : group === 2 ? unmap_msg(addr + new_len, addr + old_len)
    : unmap_msg(addr, addr + moved);
  userfaultfd_event_wait(m.k, ctx, m.k.current!, msg);
  m.eventWaitHint = true;
  t.wait = { kind: 'uffd_event', v: [addr, old_len, new_len, dst, word - 2 ** b, len] };
  return 'blocked';
}

/** kernel/exit.c do_exit() @v6.18 once the threads of mm's process are dead: exit_mm (exit_mmap), then exit_files */
function processExit(m: Machine, mm: MmStruct): void {
  exit_mm(m.k, mm);
  exit_files(m.k, mm, (ctx) => readersOf(m, ctx, null));
}

/**
 * does a fatal signal take the whole of this process down (exit_mm, exit_files), as the kernel does? A forked
 * process does, unless its threads pin or vmsplice (the model keeps those references, which on the host
 * belong to files the death closes). The main process's address space stays: the executor's main process
 * cannot die, so it stands the death for its threads' only (docs/fidelity.md)
 */
function diesWhole(m: Machine, process: string): boolean {
  return process !== 'main' && !m.sc.threads.some((x) => x.process === process && x.ops.some((o) => o.op === 'pin' || o.op === 'vmsplice'));
}

/** a fork, munmap or madvise whose event was read (or dropped: its uffd released) goes on */
function resumeEvent(m: Machine, t: ThreadState, op: CompiledOp, w: Extract<Wait, { kind: 'uffd_event' }>): 'done' | 'blocked' | 'ended' {
  const k = m.k, task = k.current!;
  try {
    switch (op.op) {
      case 'madvise':
        return madviseOp(m, t, op, w);
      case 'munmap':
      case 'mmap': {
        t.wait = null;
        eventFinish(k, task);
        const [seq0, start, end, mapLen, errno] = w.v as [number, number, number, number | undefined, number | undefined];
        const ids: number[] = [];
        for (let seq = seq0; seq > 0; seq = Math.floor(seq / 32)) ids.push((seq % 32) - 1);
        return unmapEvents(m, t, op, ids, start, end, mapLen ?? 0, errno ?? 0);
      }
      case 'mremap':
        t.wait = null;
        eventFinish(k, task);
        return mremapEvents(m, t, op, w.v);
      case 'fork': {
        t.wait = null;
        eventFinish(k, task);
        const [mmId, ti] = w.v as [number, number];
        const child = k.mms[mmId - 1]!;
        const next = dup_userfaultfd_next(k, child);
        if (next) return forkEvent(m, t, next.octx, next.msg, mmId, ti);
        record(m, t, op, null, forkDone(m, op, child, k.tasks[ti]!.tid));
        return 'done';
      }
      default:
        throw new Error(`BUG: ${op.op} waits for a userfaultfd event`);
    }
  } catch (e) {
    if (e instanceof NotModelledError) throw notModelledAt(m, op, e);
    throw e;
  }
}

/** continue a blocked operation after its wake-up */
export function resumeOp(m: Machine, t: ThreadState): 'done' | 'blocked' | 'ended' {
  const op = t.ops[t.pc]!;
  if (t.waitKind === 'uffd_read') {
    // (the context without building the Wait)
    const ctx = t.waitCtx;
    t.status = 'ready';
    return readUffd(m, t, op as Extract<CompiledOp, { op: 'read_uffd' }>, ctx, true);
  }
  if (t.waitKind === 'fault') {
    // (the fault's continuation read into a scratch object rather than a Wait made from the cells)
    const c = resumeCont;
    const write = t.faultWait(c);
    t.status = 'ready';
    t.wait = null;
    const r = resume_user_addr_fault(m.k, m.k.current!, c);
    const after = faultOutcome(m, t, r, write);
    if (after !== 'retry') return after;
    return memoryOp(m, t, op as MemOp, MEM_KIND[op.op as MemOp['op']], opIndexOf(m, t));
  }
  const w = t.wait as Exclude<Wait, { kind: 'uffd_read' | 'fault' }>;
  t.status = 'ready';
  if (w.kind === 'gup') return madviseOp(m, t, op as Extract<CompiledOp, { op: 'madvise' }>, w);
  if (w.kind === 'gupop') return gupOp(m, t, op as GupOp, w.gup);
  if (w.kind === 'uffd_event') return resumeEvent(m, t, op, w);
  if (w.kind === 'migrate') return migrateOp(m, t, op as Extract<CompiledOp, { op: 'migrate' }>, true);
  if (w.kind === 'khugepaged') return khugepagedOp(m, t, op as Extract<CompiledOp, { op: 'khugepaged' }>, w);
  if (w.kind === 'migration') {
    // the migration ended: the access faults again
    t.wait = null;
    return memoryOp(m, t, op as MemOp, MEM_KIND[op.op as MemOp['op']], opIndexOf(m, t));
  }
  throw new Error(`BUG: a thread waits for '${(w as { kind: string }).kind}'`);
}

/**
 * the continuation of the fault a resumed thread slept in (resumeOp): the fault's own until it returns;
 * a fault that blocks again has its fields copied into the thread's cells (faultOutcome)
 */
const resumeCont: FaultCont = { address: 0, error_code: 0, flags: 0, major: 0, stage: 'mmap_lock', attempts: 0 };

/** what a fault result means for the access in progress */
function faultOutcome(m: Machine, t: ThreadState, r: FaultResult, write: boolean): 'retry' | 'blocked' | 'ended' {
  switch (r.kind) {
    case 'done':
      return 'retry';
    case 'blocked':
      t.waitFault(r.cont, write);
      return 'blocked';
    case 'signal':
      t.status = 'signal';
      t.signal = { sig: r.sig, code: r.code, addr: r.addr };
      t.task!.signal = t.signal;
      m.killProcess(t, r.sig);
      if (diesWhole(m, t.process)) processExit(m, t.task!.mm);
      return 'ended';
    case 'livelock':
      t.status = 'livelock';
      m.k.tr?.emit('livelock', 'do_user_addr_fault', { address: r.cont.address, attempts: r.cont.attempts });
      return 'ended';
  }
}

type MemOp = Extract<CompiledOp, { op: 'write' | 'memset' | 'read' }>;
const MEM_KIND: Record<MemOp['op'], number> = { write: MEM_WRITE, memset: MEM_MEMSET, read: MEM_READ };

/** thread t's current operation's index among the thread operations (Machine.opIndex), -1 for the setup's */
function opIndexOf(m: Machine, t: ThreadState): number {
  return t.index >= 0 ? m.opIndex(t) : -1;
}

/**
 * The address of memory operation `oi` from its compiled form (Layout.addrVar: a variable plus a constant),
 * into out[0]: 0, or -1 when it is at or above TASK_SIZE (userAddr's value), or -2 when the form does not
 * serve (no compiled form, a variable without a number, a sum past 2^53: userAddr then decides, with the
 * same reads). (The address is handed back in a Float64Array: a double returned from a call is a new
 * heap number.)
 */
function compiledAddr(m: Machine, oi: number, out: Float64Array): number {
  const L = m.layout;
  const vi = L.addrVar[oi]!;
  if (vi === 0) return -2;
  const v = m.vars.valueAt((vi > 0 ? vi : -vi) - 1);
  if (v === undefined) return -2;
  let a: number | undefined;
  if (vi > 0 && v.kind === 'mapping') a = v.addrN;
  else {
    a = numOfVar(v, vi > 0 ? undefined : L.addrField[oi]);
    if (a === undefined) return -2;
  }
  const r = a + L.addrConst[oi]!;
  if (!Number.isSafeInteger(r) || r < 0) return -2;
  if (r >= TASK_SIZE) return -1;
  out[0] = r;
  return 0;
}

/**
 * a user-space load/store of one or more bytes, page by page, faulting as the CPU would; `op` may be
 * null for a thread's operation (`oi` >= 0): it is read from the thread only where the compiled form
 * (Layout.mem*) does not serve
 */
function memoryOp(m: Machine, t: ThreadState, op: MemOp | null, kind: number, oi: number): 'done' | 'blocked' | 'ended' {
  const k = m.k;
  const task = k.current!;
  const mm = task.mm;
  const write = kind !== MEM_READ;
  // A plain run (nobody watches the store: no recorder, no hashing): the thread's leaf of numbers. The
  // operands, the progress and the fault count at the current byte are kept in locals while the step runs
  // (an operation that is done leaves them zero: nextOp), and written into the leaf only when the
  // operation outlives the step (it sleeps, or the thread ends) or the step throws; the progress also
  // before a fault, as through the accessors, for the budget's progress line (Machine.describeNow).
  const TL = t.plainLeaf();
  // the operands, evaluated when the operation started (a retry after a fault uses the same ones)
  let addr: number, len: number, lo = 0, hi = 0;
  /** are the operands in cells? (a plain run writes them when the operation outlives the step) */
  let stored = true;
  if (t.loadOperands(operandsBuf)) {
    addr = operandsBuf[0]!;
    len = operandsBuf[1]!;
    lo = operandsBuf[2]!;
    hi = operandsBuf[3]!;
  } else {
    const c = oi >= 0 ? compiledAddr(m, oi, operandsBuf) : -2;
    addr = c === 0 ? operandsBuf[0]! : c === -1 ? -1 : userAddr(m, (op ??= t.ops[t.pc] as MemOp).addr);
    if (addr < 0) {
      // above the user address space (the kernel half, or non-canonical): the CPU faults and the kernel
      // sends SIGSEGV (do_user_addr_fault / the #GP handler); nothing is read or written
      return faultOutcome(m, t, { kind: 'signal', sig: SIGSEGV, code: SEGV_MAPERR, addr: 0 }, write) as 'ended';
    }
    if (kind === MEM_WRITE) {
      // the stored value as little-endian bytes: lo holds bytes 0..3, hi bytes 4..7
      const c = oi >= 0 ? m.layout.writeValue[oi]! : -1;
      if (c >= 0) {
        len = m.layout.writeSize[oi]!;
        lo = c;
      } else {
        const w = (op ??= t.ops[t.pc] as MemOp) as Extract<MemOp, { op: 'write' }>;
        len = w.size;
        const n = w.size <= 4 ? numExpr(m, w.value) : NaN;
        if (n >= 0 && n <= 0xffffffff) lo = n;
        else {
          const v = evalExpr(w.value, envOf(m));
          lo = Number(v & 0xffffffffn);
          hi = Number((v >> 32n) & 0xffffffffn);
        }
      }
    } else {
      const o = (op ??= t.ops[t.pc] as MemOp) as Extract<MemOp, { op: 'memset' | 'read' }>;
      len = span(m, o, 'len', o.len);
      if (kind === MEM_READ && len > READ_BUFFER_MAX) {
        throw new ScenarioError(m.sc.file, o.line, o.col ?? 1, `${o.field ?? o.id}.len`,
          `a read of ${len} bytes is more than the model keeps in a buffer (at most ${READ_BUFFER_MAX / 2 ** 20} MiB)`);
      }
    }
    if (TL === null) t.storeOperands(addr, len, lo, hi);
    else stored = false;
  }
  // a read's buffer so far (immutable: each page read makes a new one), kept across faults in a hidden
  // variable: set when the operation stops short of its end (at a fault), not after every page (no
  // closure for it: one made per operation, capturing `out`, cost more than the rest of a 1-byte write)
  let out: Bytes | null = null;
  let fresh = false;
  if (kind === MEM_READ) {
    op ??= t.ops[t.pc] as MemOp;
    const prev = m.vars.get(`\0buf:${op.id}`);
    out = prev && prev.kind === 'data' ? prev.bytes : Bytes.empty(len);
  }
  let progress = TL === null ? t.progress : t.progressIn(TL);
  /** a plain run: the progress in the cells, and the fault count at the current byte (-1: the cell's) */
  let progressCell = progress, spins = -1;
  try {
    while (progress < len) {
      cond_resched();
      const a = addr + progress;
      const pfn = mmu_access(k, mm, a, write);
      if (pfn < 0) {
        if (TL === null) t.progress = progress;
        else if (progress !== progressCell) {
          t.putPlain(TL, false, 0, 0, 0, 0, progress, -1);
          progressCell = progress;
        }
        if (fresh) {
          m.vars.set(`\0buf:${op!.id}`, { kind: 'data', addr: BigInt(addr), bytes: out! });
          fresh = false;
        }
        if (TL === null) spins = t.spin();
        else spins = (spins < 0 ? t.spinsIn(TL) : spins) + 1;
        if (spins > SPIN_LIMIT) {
          t.status = 'livelock';
          k.tr?.emit('livelock', 'user access', { address: a, faults: spins });
          if (TL !== null) t.putPlain(TL, !stored, addr, len, lo, hi, progress, spins);
          return 'ended';
        }
        const err = -pfn | X86_PF_USER | (write ? X86_PF_WRITE : 0);
        k.migrationWait = -1;
        k.migrationWaitOk = true;
        let r: FaultResult;
        try {
          r = do_user_addr_fault(k, task, a, err);
        } finally {
          k.migrationWaitOk = false;
        }
        if (k.migrationWait >= 0 && r.kind === 'done') {
          // migration_entry_wait: the thread sleeps until the migration's move step
          k.migrationWait = -1;
          if (t !== m.setup) {
            t.wait = { kind: 'migration', address: a, write };
            if (TL !== null) t.putPlain(TL, !stored, addr, len, lo, hi, progress, spins);
            return 'blocked';
          }
        }
        const o = faultOutcome(m, t, r, write);
        if (o !== 'retry') {
          if (TL !== null) t.putPlain(TL, !stored, addr, len, lo, hi, progress, spins);
          return o;
        }
        continue;
      }
      if (TL === null) t.accessed();
      else spins = 0;
      // a is a safe non-negative integer: its low bits without a floating-point remainder (fmod)
      const off = a & PAGE_MASK_LO;
      const n = Math.min(len - progress, PAGE_SIZE - off);
      if (kind === MEM_READ) {
        out = out!.append(k.data.content(pfn), off, n);
        fresh = true;
      } else if (kind === MEM_MEMSET) k.data.fillBytes(pfn, off, n, ((op ??= t.ops[t.pc] as MemOp) as Extract<MemOp, { op: 'memset' }>).value);
      else {
        const from = progress;
        for (let i = 0; i < n; i++) {
          const b = from + i;
          storeBuf[i] = b < 4 ? (lo >>> (8 * b)) & 0xff : (hi >>> (8 * (b - 4))) & 0xff;
        }
        k.data.writeBytes(pfn, off, storeBuf, 0, n);
      }
      progress += n;
    }
  } catch (e) {
    // (what the accessors would have written by now: the progress of the last fault)
    if (TL !== null) t.putPlain(TL, !stored, addr, len, lo, hi, progressCell, spins);
    throw e;
  }
  // (a plain run: the operation is done, nextOp clears what it kept)
  if (TL === null) t.progress = progress;
  if (kind === MEM_READ) {
    op ??= t.ops[t.pc] as MemOp;
    // the buffer is finished: the next run of this op (a loop thread) fills a new one
    m.vars.delete(`\0buf:${op.id}`);
    const as = (op as Extract<MemOp, { op: 'read' }>).as;
    setVar(m, as, { kind: 'data', addr: BigInt(addr), bytes: out! });
    if (as && m.copies.size) checkCopy(m, as, addr, out!);
  }
  if (k.tr) {
    op ??= t.ops[t.pc] as MemOp;
    k.tr.emit('access', op.op, { id: op.id, addr, len, write });
    record(m, t, op, null, kind === MEM_READ ? out!.digest() : null);
  } else m.noteResult(t, null, kind === MEM_READ ? out!.digest() : null, undefined, oi);
  return 'done';
}

/** n.toString(16) for a safe non-negative integer, by bytes (toString(16) of a number past int32 is slow) */
const HEX2: string[] = [], HEX1: string[] = [];
for (let i = 0; i < 256; i++) {
  HEX1.push(i.toString(16));
  HEX2.push(i.toString(16).padStart(2, '0'));
}
export function hex(n: number): string {
  if (n < 256) return HEX1[n]!;
  let hi = Math.floor(n / 0x100000000), lo = n >>> 0;
  let s = '';
  while (hi !== 0 || lo >= 256) {
    s = HEX2[lo & 255]! + s;
    lo = ((lo >>> 8) | ((hi & 255) << 24)) >>> 0;
    hi >>>= 8;
  }
  return HEX1[lo]! + s;
}

/** device: the operations the model carries out while device-coherent pages are mapped (docs/fidelity.md) */
const DEVICE_OPS: ReadonlySet<CompiledOp['op']> = new Set<CompiledOp['op']>([
  'mmap', 'munmap', 'mprotect', 'write', 'memset', 'read', 'checkpoint', 'clear_refs', 'migrate', 'move_pages', 'hmm_migrate',
]);

/** device: a move_pages(2) status as the result shows it: a node number, -ENAME, or ? where nothing was written */
export function statusText(v: number | null): string {
  return v === null ? '?' : v < 0 ? `-${ERRNO_NAME[-v] ?? -v}` : String(v);
}

function outWritten(o: OpOut): boolean {
  return o.copy !== undefined || o.zeropage !== undefined || o.move !== undefined || o.mapped !== undefined || o.updated !== undefined || o.walk_end !== undefined || o.regions !== undefined;
}

/** an OpOut as text: "copy=4096", "zeropage=-17", "0xS-0xE:0xCATS ... walk_end=0xW" (as formatScan without the count) */
export function formatOut(o: OpOut): string {
  const parts: string[] = [];
  if (o.copy !== undefined) parts.push(`copy=${o.copy}`);
  if (o.zeropage !== undefined) parts.push(`zeropage=${o.zeropage}`);
  if (o.move !== undefined) parts.push(`move=${o.move}`);
  if (o.mapped !== undefined) parts.push(`mapped=${o.mapped}`);
  if (o.updated !== undefined) parts.push(`updated=${o.updated}`);
  if (o.regions) for (const x of o.regions) parts.push(`0x${x.start.toString(16)}-0x${x.end.toString(16)}:0x${x.categories.toString(16)}`);
  if (o.walk_end !== undefined) parts.push(`walk_end=0x${o.walk_end.toString(16)}`);
  return parts.join(' ');
}

/** a PAGEMAP_SCAN result as the model and the host executor both print it: "N 0xS-0xE:0xCATS ... walk_end=0xW" */
export function formatScan(r: { n: number; regions: PageRegion[]; walk_end: number }): string {
  const regions = r.regions.map((x) => ` 0x${x.start.toString(16)}-0x${x.end.toString(16)}:0x${x.categories.toString(16)}`).join('');
  return `${r.n}${regions} walk_end=0x${r.walk_end.toString(16)}`;
}

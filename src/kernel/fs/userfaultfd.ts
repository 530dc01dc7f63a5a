// The userfaultfd file (fs/userfaultfd.c @v4.19, @v5.7, @v6.1, @v6.18): the context, handle_userfault
// and its must-wait rules, read(2) of uffd_msg, and the ioctls. Page-table work of the ioctls is in
// mm/userfaultfd.ts.
import type { Kernel } from '../kernel.js';
import { userfaultfd_huge_must_wait } from '../mm/hugetlb.js';
import { Pte } from '../arch/x86/include/pte.js';
import { PAGE_SIZE, PMD_SIZE, TASK_SIZE } from '../arch/x86/include/pgtable_types.js';
import { get64, set64, type MmStruct, type VmArea } from '../include/mm_types.js';
import type { Segment } from '../../state/store.js';
import { CellList, listQuestion } from '../../state/list.js';
import { internString, internedValue } from '../../state/intern.js';
import { Task, TASK_MAX, capable, CAP_SYS_PTRACE } from '../include/sched.js';
import {
  VM_MAYWRITE, VM_SHARED, VM_UFFD_MISSING, VM_UFFD_WP, VM_HUGETLB, VM_HI_UFFD_MINOR, VM_UFFD_MINOR, VM_STICKY,
} from '../include/vm_flags.js';
import {
  FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_RETRY_NOWAIT, FAULT_FLAG_USER, FAULT_FLAG_WRITE, VM_FAULT_MAJOR,
  VM_FAULT_NOPAGE, VM_FAULT_RETRY, VM_FAULT_SIGBUS, flagNames, FAULT_FLAG_NAMES,
} from '../include/fault.js';
import {
  UFFD_API, UFFD_EVENT_PAGEFAULT, UFFD_EVENT_FORK, UFFD_EVENT_REMAP, UFFD_EVENT_REMOVE, UFFD_EVENT_UNMAP, UFFD_FEATURE, UFFD_PAGEFAULT_FLAG_MINOR, UFFD_PAGEFAULT_FLAG_WP,
  UFFD_PAGEFAULT_FLAG_WRITE, UFFD_USER_MODE_ONLY, UFFDIO_REGISTER_MODE_MINOR, UFFDIO_REGISTER_MODE_MISSING,
  UFFDIO_REGISTER_MODE_WP, UFFDIO_WRITEPROTECT_MODE_DONTWAKE, UFFDIO_WRITEPROTECT_MODE_WP, _UFFDIO_API,
  _UFFDIO_CONTINUE, _UFFDIO_COPY, _UFFDIO_MOVE, _UFFDIO_POISON, _UFFDIO_REGISTER, _UFFDIO_UNREGISTER,
  _UFFDIO_WAKE, _UFFDIO_WRITEPROTECT, _UFFDIO_ZEROPAGE, UFFDIO_COPY_MODE_DONTWAKE, UFFDIO_COPY_MODE_WP,
  UFFDIO_ZEROPAGE_MODE_DONTWAKE, UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES, UFFDIO_MOVE_MODE_DONTWAKE,
  UFFDIO_CONTINUE_MODE_DONTWAKE, UFFDIO_CONTINUE_MODE_WP, UFFDIO_POISON_MODE_DONTWAKE,
} from '../include/uapi.js';
import { fail, notModelled, notModelledOnRelease, SyscallError } from '../include/errno.js';
import { PATCH } from '../../profiles/patches.js';
import { isUffdWpMarker, VmFault } from '../mm/memory.js';
import { vma_modify, vmas_in, vma_set_page_prot } from '../mm/mmap.js';
import { pmd_index } from '../mm/pgtable.js';
import { mwriteprotect_range, mfill_atomic_copy, mfill_atomic_zeropage, mfill_atomic_continue, mfill_atomic_poison, move_pages, uffd_wp_range } from '../mm/userfaultfd.js';
import { pmdTable, pteTableAt } from '../mm/pagewalk.js';

/**
 * struct uffd_msg: the event and the three words of its argument union, named after the pagefault form:
 * `flags` is pagefault.flags, fork.ufd, remap.from or remove.start; `address` is pagefault.address,
 * remap.to or remove.end; `ptid` is pagefault.feat.ptid or remap.len. A FORK message holds the new
 * context's id + 1 in `flags` until read(2) installs its file (the kernel's reserved1, a pointer until
 * resolve_userfault_fork); the model reads it back as 0, the fd number being the process's business.
 */
export interface UffdMsg {
  event: number;
  flags: number;
  address: number;
  ptid: number;
}

// The uffd segment (flat: a first write after a copy copies one leaf): the first 16 contexts at
// id * CTX_CELLS (their fields, then their two queues in one leaf of 64 cells), the tasks' wait-queue
// entries from UWQ_BASE (at the task's index * UWQ_CELLS), the other contexts after those, so that
// the cells a scenario uses are few leaves near the start.
const CTX_CELLS = 128;
/** userfaultfd contexts (their names are at NAME_BASE + id in the names segment) */
export const UFFD_MAX = 1024;
const NAME_BASE = 2048;
const UWQ_BASE = 16 * CTX_CELLS;
const UWQ_CELLS = 16;
/** the first cell of context id */
function ctxBase(id: number): number {
  return id < 16 ? id * CTX_CELLS : UWQ_BASE + TASK_MAX * UWQ_CELLS + (id - 16) * CTX_CELLS;
}
const U_CTX = 0, U_EVENT = 1, U_FLAGS = 2 /* 2 cells */, U_ADDR = 4 /* 2 */, U_PTID = 6 /* 2 */, U_STATE = 8, U_RET = 9;
/** U_STATE: woken; its task holds it (task.uwq) */
const US_WAKEN = 1, US_HELD = 2;

/**
 * the wait-queue entry of a faulting task (struct userfaultfd_wait_queue): a view of cells. A task
 * sleeps on one entry at a time, so an entry's slot is its task's index; it is freed (zeroed) once
 * neither its task nor a queue holds it.
 */
export class Uwq {
  private readonly b: number;
  /** S: the uffd segment of k's Store; index: the task's */
  constructor(private readonly k: Kernel, private readonly S: Segment, readonly index: number) {
    this.b = UWQ_BASE + index * UWQ_CELLS;
  }

  /** a new entry for task's fault, in no queue yet */
  static create(k: Kernel, ctx: UserfaultfdCtx, task: Task, msg: UffdMsg): Uwq {
    const u = k.uwqOf(task.index), S = k.uffdSeg, b = u.b;
    if (S.get(b + U_CTX) !== 0) throw new Error(`BUG: task ${task.tid} sleeps on two userfaultfd queue entries`);
    S.set(b + U_CTX, ctx.id + 1);
    S.set(b + U_EVENT, msg.event);
    set64(S, b + U_FLAGS, msg.flags);
    set64(S, b + U_ADDR, msg.address);
    set64(S, b + U_PTID, msg.ptid);
    S.set(b + U_RET, VM_FAULT_RETRY);
    return u;
  }

  get ctx(): UserfaultfdCtx { return this.k.uffds[this.S.get(this.b + U_CTX) - 1]!; }
  get task(): Task { return this.k.taskAt(this.index); }
  /** the message (a new object each time: it is never changed) */
  get msg(): UffdMsg {
    const S = this.S, b = this.b;
    return { event: S.get(b + U_EVENT), flags: get64(S, b + U_FLAGS), address: get64(S, b + U_ADDR), ptid: get64(S, b + U_PTID) };
  }
  get address(): number { return get64(this.S, this.b + U_ADDR); }
  /** the same message as o's */
  sameMsg(o: Uwq): boolean {
    const S = this.S, b = this.b, T = o.S, c = o.b;
    for (let i = U_EVENT; i <= U_PTID + 1; i++) if (S.get(b + i) !== T.get(c + i)) return false;
    return true;
  }
  private state(f: number): boolean { return (this.S.get(this.b + U_STATE) & f) !== 0; }
  private setState(f: number, v: boolean): void {
    const x = this.S.get(this.b + U_STATE);
    this.S.set(this.b + U_STATE, v ? x | f : x & ~f);
  }
  get waken(): boolean { return this.state(US_WAKEN); }
  set waken(v: boolean) { this.setState(US_WAKEN, v); }
  /** its task sleeps on it (Task.uwq) */
  get held(): boolean { return this.state(US_HELD); }
  set held(v: boolean) { this.setState(US_HELD, v); }
  /** the value handle_userfault returns once the task wakes up */
  get sleepRet(): number { return this.S.get(this.b + U_RET); }
  set sleepRet(v: number) { this.S.set(this.b + U_RET, v); }

  /** the entry's cells zeroed when neither its task nor a queue of its context holds it any more */
  release(): void {
    if (this.S.get(this.b + U_CTX) === 0 || this.held) return;
    const ctx = this.ctx;
    if (ctx.pending.has(this) || ctx.waiting.has(this) || ctx.events.has(this)) return;
    this.S.clear(this.b, UWQ_CELLS);
  }
}

/**
 * a context's queue: the entries' task indices + 1 in a list of cells (state/list.ts: under the explorer's
 * recorder, a step is keyed by what it asks of the queue, not by every entry)
 */
const QUEUE_MAX = 31;
const queueFull = (): never => notModelled('op', `model limit: more than ${QUEUE_MAX} faults waiting on one userfaultfd queue`);
/** the first entry whose message address is in [a, a + b) (b 0: any), as its task index + 1, or 0 */
const Q_FIRST_IN_RANGE = listQuestion((vals, n, read, start, len, seg) => {
  for (let j = 0; j < n; j++) {
    // the entry's message address (Uwq.address), in the queue's segment
    const at = UWQ_BASE + (vals[j]! - 1) * UWQ_CELLS + U_ADDR;
    const address = (read(seg, at) >>> 0) + (read(seg, at + 1) >>> 0) * 4294967296;
    if (len === 0 || (address >= start && address < start + len)) return vals[j]!;
  }
  return 0;
});
export class UwqQueue {
  private readonly list: CellList;
  constructor(private readonly k: Kernel, S: Segment, base: number) {
    this.list = new CellList(S, base, QUEUE_MAX, queueFull);
  }
  get length(): number { return this.list.length; }
  /** whether the queue holds an entry (one question, whatever the count) */
  get nonEmpty(): boolean { return this.list.at(0) !== 0; }
  at(i: number): Uwq | undefined {
    const v = this.list.at(i);
    return v === 0 ? undefined : this.k.uwqOf(v - 1);
  }
  indexOf(u: Uwq): number { return this.list.indexOf(u.index + 1); }
  has(u: Uwq): boolean { return this.list.has(u.index + 1); }
  push(u: Uwq): void { this.list.push(u.index + 1); }
  /** u taken out (the ones after it move up) */
  remove(u: Uwq): void { this.list.remove(u.index + 1); }
  shift(): Uwq | undefined {
    const u = this.at(0);
    if (u !== undefined) this.remove(u);
    return u;
  }
  /** the first entry for an address in [start, start + len) (len 0: the first) */
  firstIn(start: number, len: number): Uwq | undefined {
    const v = this.list.ask(Q_FIRST_IN_RANGE, start, len);
    return v === 0 ? undefined : this.k.uwqOf(v - 1);
  }
  toArray(): Uwq[] {
    const out: Uwq[] = [];
    for (let i = 0, n = this.length; i < n; i++) out.push(this.at(i)!);
    return out;
  }
  [Symbol.iterator](): Iterator<Uwq> {
    return this.toArray()[Symbol.iterator]();
  }
}

/**
 * a context's fields (at id * CTX_CELLS), its event queue at + 32, its pending queue at + 64 and its
 * waiting queue at + 96
 */
const C_MM = 0, C_FLAGS = 1, C_FEATURES = 2, C_FILES = 3, C_CHANGING = 4, C_FORK_ORIG = 5, C_EVENTS = 32, C_PENDING = 64, C_WAITING = 96;
const CF_API = 1, CF_RELEASED = 2, CF_NONBLOCK = 4, CF_USER_MODE_ONLY = 8, CF_CLOSED_IN_READ = 16;

/**
 * Whether cell i of the uffd segment holds part of a context's pending or waiting queue (a layout fact:
 * the explorer describes what a step does to a queue by the messages it holds, not by these cells).
 */
export function isUffdQueueCell(i: number): boolean {
  const entries = UWQ_BASE + TASK_MAX * UWQ_CELLS;
  if (i >= UWQ_BASE && i < entries) return false;
  const off = i < UWQ_BASE ? i : i - entries;
  return off % CTX_CELLS >= C_PENDING;
}

/** a process's bit in UserfaultfdCtx.files (mm ids start at 1) */
function fileBit(mm: MmStruct): number {
  if (mm.id > 31) notModelled('op', 'model limit: a userfaultfd file in the fd tables of more than 31 processes');
  return (1 << mm.id) >>> 0;
}

/** struct userfaultfd_ctx: a view of cells; its id is its index in the kernel's list (Kernel.uffds) */
export class UserfaultfdCtx {
  /** fault_pending_wqh: messages not read yet */
  readonly pending: UwqQueue;
  /** fault_wqh: messages read, faults still waiting */
  readonly waiting: UwqQueue;
  /** event_wqh: the events not read yet, each with the task that waits for it to be read */
  readonly events: UwqQueue;
  private readonly b: number;

  /** S: the uffd segment, N: the display segment (the name) */
  constructor(private readonly k: Kernel, private readonly S: Segment, private readonly N: Segment, readonly id: number) {
    this.b = ctxBase(id);
    this.pending = new UwqQueue(k, S, this.b + C_PENDING);
    this.waiting = new UwqQueue(k, S, this.b + C_WAITING);
    this.events = new UwqQueue(k, S, this.b + C_EVENTS);
  }

  /** a new context's cells (sys_userfaultfd); `files`: the process (mm id) whose fd table gets its file */
  init(mm: MmStruct, nonblock: boolean, userModeOnly: boolean, name: string, files: MmStruct = mm): void {
    this.S.set(this.b + C_MM, mm.id);
    this.S.set(this.b + C_FILES, fileBit(files));
    this.S.set(this.b + C_FLAGS, (nonblock ? CF_NONBLOCK : 0) | (userModeOnly ? CF_USER_MODE_ONLY : 0));
    this.N.set(NAME_BASE + this.id, internString(name));
  }

  get mm(): MmStruct { return this.k.mmAt(this.S.get(this.b + C_MM)); }
  private flag(f: number): boolean { return (this.S.get(this.b + C_FLAGS) & f) !== 0; }
  private setFlag(f: number, v: boolean): void {
    const i = this.b + C_FLAGS, x = this.S.get(i);
    this.S.set(i, v ? x | f : x & ~f);
  }
  get nonblock(): boolean { return this.flag(CF_NONBLOCK); }
  get userModeOnly(): boolean { return this.flag(CF_USER_MODE_ONLY); }
  /** UFFDIO_API done (ctx->state / features initialized) */
  get apiDone(): boolean { return this.flag(CF_API); }
  set apiDone(v: boolean) { this.setFlag(CF_API, v); }
  get released(): boolean { return this.flag(CF_RELEASED); }
  set released(v: boolean) { this.setFlag(CF_RELEASED, v); }
  /**
   * the last fd table entry is gone while threads sleep in read(2) of the file: their references keep it
   * open, and the release waits for the last of those reads to return (sys_close_uffd, releaseAfterRead)
   */
  get closedInRead(): boolean { return this.flag(CF_CLOSED_IN_READ); }
  set closedInRead(v: boolean) { this.setFlag(CF_CLOSED_IN_READ, v); }
  get features(): number { return this.S.get(this.b + C_FEATURES) >>> 0; }
  /**
   * the processes whose fd table holds the file (bit mm.id of each): fork copies the table (copy_files),
   * close(2) removes the caller's entry, and the last one's fput releases the context (userfaultfd_release)
   */
  get files(): number { return this.S.get(this.b + C_FILES) >>> 0; }
  set files(v: number) { this.S.set(this.b + C_FILES, v); }
  /**
   * ctx->mmap_changing: events under way (fork, remap, remove, unmap from their prep until the event is
   * read or dropped); UFFDIO_COPY, ZEROPAGE and WRITEPROTECT are EAGAIN meanwhile
   */
  get mmap_changing(): number { return this.S.get(this.b + C_CHANGING); }
  set mmap_changing(v: number) { this.S.set(this.b + C_CHANGING, v); }
  /** a context dup_userfaultfd made for a child: the parent's context (its FORK event not read yet), or null */
  get forkOrig(): UserfaultfdCtx | null {
    const x = this.S.get(this.b + C_FORK_ORIG);
    return x === 0 ? null : this.k.uffds[x - 1]!;
  }
  set forkOrig(c: UserfaultfdCtx | null) { this.S.set(this.b + C_FORK_ORIG, c === null ? 0 : c.id + 1); }
  /** the name in the scenario (a fork's context takes the name its FORK message is read into) */
  rename(name: string): void { this.N.set(NAME_BASE + this.id, internString(name)); }
  /** this process's fd table holds the file */
  openIn(mm: MmStruct): boolean { return (this.files & fileBit(mm)) !== 0; }
  set features(v: number) { this.S.set(this.b + C_FEATURES, v); }
  /** the file's name in the scenario (display only: not part of the state's identity) */
  get name(): string { return internedValue<string>(this.N.get(NAME_BASE + this.id)) ?? ''; }
}


// ---- VMA predicates (include/linux/userfaultfd_k.h) ------------------------------------------
export function userfaultfd_missing(vma: VmArea): boolean {
  return (vma.vm_flags & VM_UFFD_MISSING) !== 0;
}
/** userfaultfd_minor (include/linux/userfaultfd_k.h @v5.13..v6.18): the VMA is registered in MINOR mode */
export function userfaultfd_minor(vma: VmArea): boolean {
  return (vma.vm_flags_hi & VM_HI_UFFD_MINOR) !== 0;
}
/** userfaultfd_wp (include/linux/userfaultfd_k.h @v5.7..v6.18): the VMA is registered in WP mode */
export function userfaultfd_wp(vma: VmArea): boolean {
  return (vma.vm_flags & VM_UFFD_WP) !== 0;
}
/** the 2018 branch's VMA-only test (userfaultfd_wp(vma)) */
export function userfaultfd_wp_2018(vma: VmArea): boolean {
  return (vma.vm_flags & VM_UFFD_WP) !== 0;
}
/** userfaultfd_pte_wp (v5.7): VM_UFFD_WP and _PAGE_UFFD_WP */
export function userfaultfd_pte_wp(k: Kernel, vma: VmArea, pte: Pte): boolean {
  return (vma.vm_flags & VM_UFFD_WP) !== 0 && k.pgt.pte_uffd_wp(pte);
}
/** userfaultfd_huge_pmd_wp (v5.7): VM_UFFD_WP and the PMD's _PAGE_UFFD_WP */
export function userfaultfd_huge_pmd_wp(k: Kernel, vma: VmArea, pmd: Pte): boolean {
  return (vma.vm_flags & VM_UFFD_WP) !== 0 && k.pgt.pmd_uffd_wp(pmd);
}
/** userfaultfd_wp_async (v6.7) */
export function userfaultfd_wp_async(vma: VmArea): boolean {
  return vma.uffd !== null && (vma.uffd.features & UFFD_FEATURE.wp_async) !== 0;
}
/** userfaultfd_wp_use_markers: anonymous VMAs need WP_UNPOPULATED (v6.4) */
export function userfaultfd_wp_use_markers(k: Kernel, vma: VmArea): boolean {
  if (!(vma.vm_flags & VM_UFFD_WP)) return false;
  // a file VMA (shmem) always needs markers (change_pte_range's none PTEs since v5.19)
  if (vma.vm_file !== 0) return k.has(PATCH.pteMarkers);
  if (!k.has(PATCH.uffdWpUnpopulated)) return false;
  return vma.uffd !== null && (vma.uffd.features & UFFD_FEATURE.wp_unpopulated) !== 0;
}
/** include/linux/userfaultfd_k.h vma_has_uffd_without_event_remap() @v6.13: a uffd context that gets no REMAP events */
export function vma_has_uffd_without_event_remap(vma: VmArea): boolean {
  const ctx = vma.uffd;
  return ctx !== null && (ctx.features & UFFD_FEATURE.event_remap) === 0;
}

/** userfaultfd_armed: any uffd registration mode on the VMA */
export function userfaultfd_armed(vma: VmArea): boolean {
  return (vma.vm_flags & (VM_UFFD_MISSING | VM_UFFD_WP)) !== 0 || (vma.vm_flags_hi & VM_HI_UFFD_MINOR) !== 0;
}

/**
 * the features UFFDIO_API offers on this kernel: UFFD_API_FEATURES of the release, less what its
 * configuration and architecture leave out (configured = false: the release's UFFD_API_FEATURES alone)
 */
export function uffd_api_features(k: Kernel, configured = true): number {
  const F = UFFD_FEATURE;
  let f = F.event_fork | F.event_remap | F.event_remove | F.missing_hugetlbfs | F.missing_shmem | F.event_unmap |
    F.sigbus | F.thread_id;
  if (k.has(PATCH.uffdWpIoctl)) f |= F.pagefault_flag_wp;
  if (k.has(PATCH.uffdMinorHugetlbfs)) f |= F.minor_hugetlbfs;
  if (k.has(PATCH.uffdMinorShmem)) f |= F.minor_shmem;
  if (k.has(PATCH.uffdExactAddress)) f |= F.exact_address;
  if (k.has(PATCH.uffdWpShmem)) f |= F.wp_hugetlbfs_shmem;
  if (k.has(PATCH.uffdWpUnpopulated)) f |= F.wp_unpopulated;
  if (k.has(PATCH.uffdPoison)) f |= F.poison;
  if (k.has(PATCH.uffdWpAsync)) f |= F.wp_async;
  if (k.has(PATCH.uffdMove)) f |= F.move;
  if (!configured) return f >>> 0;
  // userfaultfd_api: without CONFIG_PTE_MARKER_UFFD_WP the marker features are taken out
  if (!k.config.pte_marker_uffd_wp) f &= ~(F.wp_hugetlbfs_shmem | F.wp_unpopulated | F.wp_async);
  // an arch without HAVE_ARCH_USERFAULTFD_WP (arm64 before 5b32510af77b) offers no WP faults, and has no
  // PTE_MARKER_UFFD_WP for the marker features
  if (!k.pgt.haveArchUffdWp) f &= ~(F.pagefault_flag_wp | F.wp_hugetlbfs_shmem | F.wp_unpopulated | F.wp_async);
  return f >>> 0;
}

/** the ioctls UFFDIO_REGISTER may report for a range (UFFD_API_RANGE_IOCTLS) */
function range_ioctls(k: Kernel): number {
  let m = (1 << _UFFDIO_WAKE) | (1 << _UFFDIO_COPY) | (1 << _UFFDIO_ZEROPAGE);
  if (k.has(PATCH.uffdWp2018Branch) || k.has(PATCH.uffdWpIoctl)) m |= 1 << _UFFDIO_WRITEPROTECT;
  if (k.has(PATCH.uffdMinorHugetlbfs)) m |= 1 << _UFFDIO_CONTINUE;
  if (k.has(PATCH.uffdPoison)) m |= 1 << _UFFDIO_POISON;
  if (k.has(PATCH.uffdMove)) m |= 1 << _UFFDIO_MOVE;
  return m;
}

// ---- the fault side ---------------------------------------------------------------------------

/** userfault_msg */
function userfault_msg(k: Kernel, ctx: UserfaultfdCtx, vmf: VmFault, reason: number): UffdMsg {
  let flags = 0;
  if (vmf.flags & FAULT_FLAG_WRITE) flags |= UFFD_PAGEFAULT_FLAG_WRITE;
  if (reason & VM_UFFD_WP) flags |= UFFD_PAGEFAULT_FLAG_WP;
  if (reason === VM_UFFD_MINOR) flags |= UFFD_PAGEFAULT_FLAG_MINOR;
  const exact = k.has(PATCH.uffdExactAddress) && (ctx.features & UFFD_FEATURE.exact_address) !== 0;
  return {
    event: UFFD_EVENT_PAGEFAULT,
    flags,
    address: exact ? vmf.real_address : vmf.address,
    ptid: (ctx.features & UFFD_FEATURE.thread_id) ? k.current!.tid : 0,
  };
}

/**
 * userfaultfd_must_wait: re-check the page tables after queueing the message (lockless walk).
 * 4.19 vanilla waits only on none entries; the WP tests came with the write-protect series (2018
 * branch / v5.7); v6.1 also waits on PTE markers (pte_none_mostly); 8e80af52db65 (2026) stops
 * applying pte_write() to non-present entries.
 */
const mustWaitPmd = new Pte(), mustWaitPte = new Pte();
export function userfaultfd_must_wait(k: Kernel, mm: MmStruct, address: number, reason: number): boolean {
  const g = k.pgt;
  const wpTests = k.has(PATCH.uffdWp2018Branch) || k.has(PATCH.uffdWpIoctl);
  const pmdt = pmdTable(k, mm, address);
  if (!pmdt) return true;
  const pi = pmd_index(address);
  const pmdv = pmdt.get(pi, mustWaitPmd);
  if (g.pmd_none(pmdv)) return true;
  if (!g.pmd_present(pmdv)) return false;
  if (g.pmd_trans_huge(pmdv)) return wpTests && !g.pmd_write(pmdv) && (reason & VM_UFFD_WP) !== 0;
  const t = pteTableAt(k, mm, pmdt, pi);
  if (!t) return true;
  const pte = t.get(Math.floor(address / PAGE_SIZE) & 511, mustWaitPte);
  if (g.pte_none(pte)) return true;
  if (k.has(PATCH.pteMarkers) && isUffdWpMarker(k, pte)) return true;
  // (8e80af52db65, 2026: no pte_write() test of non-present entries; the model has no swap entries)
  return wpTests && !g.pte_write(pte) && (reason & VM_UFFD_WP) !== 0;
}

/** The function names the model's call stack holds at a dump_stack(), innermost first */
function dump_stack(k: Kernel): string[] {
  const stack = new Error().stack ?? '';
  const names: string[] = [];
  for (const line of stack.split('\n').slice(1)) {
    const m = /at (?:Object\.)?([A-Za-z_$][\w$]*) /.exec(line.trim());
    if (!m) continue;
    const n = m[1]!;
    if (n === 'dump_stack') continue;
    // handle_pte_fault and wp_huge_pmd are static and inlined: real stacks do not show them
    if (/^(handle_userfault|do_wp_page|do_anonymous_page|do_huge_pmd_anonymous_page|__handle_mm_fault|handle_mm_fault|do_swap_page)$/.test(n)) names.push(n);
  }
  if (k.has(PATCH.faultFlagInterruptible)) names.push('do_user_addr_fault', 'exc_page_fault', 'asm_exc_page_fault');
  else names.push('__do_page_fault', 'do_page_fault', 'page_fault');
  return names;
}

/** handle_userfault's trace event (a closure only when tracing is on) */
function userfaultEvent(k: Kernel, vmf: VmFault, reason: number, flags: number) {
  return (action: string, extra: Record<string, string | number | boolean> = {}) =>
    k.tr?.emit('handle_userfault', 'handle_userfault', {
      addr: vmf.real_address, reason: reason === VM_UFFD_MINOR ? 'MINOR' : reason & VM_UFFD_WP ? 'WP' : 'MISSING', flags, flag_names: flagNames(flags, FAULT_FLAG_NAMES), action, ...extra,
    });
}
function noEvent(_action: string, _extra?: Record<string, string | number | boolean>): void {}

/**
 * handle_userfault: report the fault to the uffd reader and put the task to sleep. Returns the fault
 * code for the arch handler; when the task sleeps, task.uwq is set and the arch handler blocks.
 */
export function handle_userfault(k: Kernel, vmf: VmFault, reason: number): number {
  const task = k.current!;
  const ctx = vmf.vma.uffd;
  const flags = vmf.flags;
  const ev = k.tr ? userfaultEvent(k, vmf, reason, flags) : noEvent;
  if (task.exiting) { ev('sigbus: task exiting'); return VM_FAULT_SIGBUS; }
  if (!ctx) { ev('sigbus: no uffd context'); return VM_FAULT_SIGBUS; }
  if (ctx.features & UFFD_FEATURE.sigbus) { ev('sigbus: UFFD_FEATURE_SIGBUS'); return VM_FAULT_SIGBUS; }
  if (k.has(PATCH.uffdUserModeOnly) && !(flags & FAULT_FLAG_USER) && ctx.userModeOnly) { ev('sigbus: kernel fault, user-mode-only uffd'); return VM_FAULT_SIGBUS; }
  // a context being released: before fe4cdc2c4e24 (v6.15) NOPAGE, tested before ALLOW_RETRY
  if (ctx.released && !k.has(PATCH.uffdReleaseRetry)) { ev('nopage: uffd released'); return VM_FAULT_NOPAGE; }
  if (!(flags & FAULT_FLAG_ALLOW_RETRY)) {
    if (flags & FAULT_FLAG_RETRY_NOWAIT) throw new Error('BUG: RETRY_NOWAIT without ALLOW_RETRY');
    if (k.config.debug_vm) {
      k.printk('handle_userfault', `FAULT_FLAG_ALLOW_RETRY missing ${flags.toString(16)}`);
      k.tr?.emit('dump_stack', 'dump_stack', { comm: task.comm, pid: task.tid, release: k.spec.release, frames: dump_stack(k) });
    }
    ev('sigbus: FAULT_FLAG_ALLOW_RETRY missing');
    return VM_FAULT_SIGBUS;
  }
  let ret = VM_FAULT_RETRY;
  if (flags & FAULT_FLAG_RETRY_NOWAIT) { ev('retry: RETRY_NOWAIT'); return ret; }
  // from fe4cdc2c4e24: RETRY with the fault lock released, so that GUP cannot spin under it
  if (ctx.released) { ev('retry: uffd released'); return ret; }
  const msg = userfault_msg(k, ctx, vmf, reason);
  const uwq = Uwq.create(k, ctx, task, msg);
  ctx.pending.push(uwq);
  const must_wait = vmf.vma.vm_flags & VM_HUGETLB ? userfaultfd_huge_must_wait(k, vmf.mm, vmf.real_address, reason)
    : userfaultfd_must_wait(k, vmf.mm, vmf.real_address, reason);
  if (must_wait && !ctx.released) {
    // schedule(): 4.19..5.8 return VM_FAULT_MAJOR after sleeping; f9bf352224d7 (v5.9) drops it
    uwq.sleepRet = k.has(PATCH.uffdSimplifyFaultHandling) ? VM_FAULT_RETRY : VM_FAULT_RETRY | VM_FAULT_MAJOR;
    task.uwq = uwq;
    ev('sleep', { msg_flags: msg.flags, msg_address: msg.address });
    return ret;
  }
  // no need to wait: withdraw the message and let the fault be retried
  ctx.pending.remove(uwq);
  uwq.release();
  ev('retry: must_wait is false');
  return ret;
}

/**
 * fs/userfaultfd.c handle_userfault() @v6.18 (@v4.19), after schedule(), for a task a fatal signal woke
 * (its sleep is killable): the entry leaves whichever queue still holds it (pending, or waiting once
 * read(2) took its message), so no later read returns its message and no wake-up finds it
 */
export function userfaultfd_fault_fatal(k: Kernel, task: Task): void {
  const u = task.uwq;
  if (u === null) return;
  const ctx = u.ctx;
  const queue = ctx.pending.has(u) ? 'pending' : ctx.waiting.has(u) ? 'waiting' : null;
  if (queue === 'pending') ctx.pending.remove(u);
  else if (queue === 'waiting') ctx.waiting.remove(u);
  if (k.tr) {
    const f = u.msg.flags;
    const reason = f & UFFD_PAGEFAULT_FLAG_MINOR ? 'MINOR' : f & UFFD_PAGEFAULT_FLAG_WP ? 'WP' : 'MISSING';
    k.tr.emit('handle_userfault', 'handle_userfault', { reason, killed: true, queue, msg_address: u.address });
  }
  task.uwq = null;
}

/** __wake_userfault on one queue: wake and unlink the entries in range; how many */
function wake_queue(q: UwqQueue, start: number, len: number): number {
  let n = 0;
  for (let u = q.firstIn(start, len); u !== undefined; u = q.firstIn(start, len)) {
    // (the entry's page, as a cell read: the explorer's footprint of the step names it)
    void u.address;
    u.waken = true;
    q.remove(u);
    u.release();
    n++;
  }
  return n;
}

/** wake_userfault: wake the faults whose message address is in [start, start+len) (len 0: all) */
export function wake_userfault(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number): number {
  const n = wake_queue(ctx.pending, start, len) + wake_queue(ctx.waiting, start, len);
  if (n) k.tr?.emit('uffd_wake', 'wake_userfault', { uffd: ctx.name, start, len, woken: n });
  return n;
}

// ---- the file side ------------------------------------------------------------------------------

/**
 * fs/userfaultfd.c userfaultfd_syscall_allowed() @v6.18: the syscall's permission check; before v5.11
 * (d0d4730ac2e4) UFFD_USER_MODE_ONLY was no exemption, before v5.2 (cefdca0a86be) there was no check
 */
function userfaultfd_syscall_allowed(k: Kernel, task: Task, userModeOnly: boolean): boolean {
  if (!k.has(PATCH.uffdSysctlUnprivileged)) return true;
  if (userModeOnly && k.has(PATCH.uffdSysctlUserModeOnly)) return true;
  if (k.config.unprivileged_userfaultfd) return true;
  return capable(task, CAP_SYS_PTRACE);
}

/** userfaultfd(2) / USERFAULTFD_IOC_NEW */
export function sys_userfaultfd(k: Kernel, task: Task, flags: { nonblock: boolean; userModeOnly: boolean; extra?: number }, viaDev: boolean, name: string): UserfaultfdCtx {
  // new_userfaultfd: only O_CLOEXEC, O_NONBLOCK and UFFD_USER_MODE_ONLY are known flags
  if (flags.extra) fail('EINVAL', `unknown userfaultfd flags 0x${flags.extra.toString(16)}`);
  if (viaDev && !k.has(PATCH.uffdDevNode)) fail('ENOENT', '/dev/userfaultfd does not exist before v6.1');
  if (!viaDev && !k.has(PATCH.userfaultfdSyscall)) fail('ENOSYS', 'no userfaultfd system call before v4.3 (86039bd3b4e6)');
  if (flags.userModeOnly && !k.has(PATCH.uffdUserModeOnly)) fail('EINVAL', 'UFFD_USER_MODE_ONLY is unknown before v5.11');
  // the device node is crw------- root (host-kernel-probe.md §1): the VFS refuses the open to others
  if (viaDev && task.uid !== 0) fail('EACCES', '/dev/userfaultfd is mode 0600, owned by root');
  if (!viaDev && !userfaultfd_syscall_allowed(k, task, flags.userModeOnly)) {
    fail('EPERM', 'userfaultfd(2) without CAP_SYS_PTRACE while vm.unprivileged_userfaultfd is 0' + (k.has(PATCH.uffdSysctlUserModeOnly) ? ' (UFFD_USER_MODE_ONLY would be allowed)' : ''));
  }
  const ctx = k.newUffdCtx();
  ctx.init(task.mm, flags.nonblock, flags.userModeOnly, name);
  k.tr?.emit('userfaultfd', viaDev ? 'userfaultfd_dev_ioctl' : 'sys_userfaultfd', { uffd: name, nonblock: flags.nonblock, user_mode_only: flags.userModeOnly });
  return ctx;
}

/** fs/userfaultfd.c userfaultfd_api() @v6.18 (UFFDIO_API); `task` is the caller, for capable() */
export function userfaultfd_api(k: Kernel, ctx: UserfaultfdCtx, api: number, features: number, task: Task = k.current!): { features: number; ioctls: bigint } {
  // before 22e5fe2a2a27 (v5.15) ctx->state was tested first; from it the checks below run on a second call too,
  // and only the cmpxchg of ctx->features at the end refuses it
  const initOnce = k.has(PATCH.uffdApiInitCmpxchg);
  if (!initOnce && ctx.apiDone) fail('EINVAL', 'UFFDIO_API was already done on this uffd (ctx->state is not UFFD_STATE_WAIT_API)');
  // 914eedcb9ba0 (v6.0) took the requested features masked with the known ones, and dropped the api check
  // with the old test; its revert 2ff559f31a5d (v6.3) brought both back
  const ignoreUnknown = k.has(PATCH.uffdApiIgnoreUnknown) && !k.has(PATCH.uffdApiIgnoreUnknownReverted);
  if (ignoreUnknown) features = (features & uffd_api_features(k, false)) >>> 0;
  else if (api !== UFFD_API) fail('EINVAL', `api must be 0xaa, not 0x${api.toString(16)}`);
  if ((features & UFFD_FEATURE.event_fork) && k.has(PATCH.uffdEventForkCap) && !capable(task, CAP_SYS_PTRACE)) {
    fail('EPERM', 'UFFD_FEATURE_EVENT_FORK needs CAP_SYS_PTRACE');
  }
  const avail = uffd_api_features(k);
  if (k.has(PATCH.uffdApiEinvalUnsupported)) {
    if (features & ~avail) fail('EINVAL', `features 0x${(features & ~avail).toString(16)} are not offered by this kernel`);
  } else {
    // before 1723f04caacb only a feature the release does not know was refused; one its configuration
    // leaves out was taken, and left out of the answer only
    const known = uffd_api_features(k, false);
    if (features & ~known) fail('EINVAL', `features 0x${(features & ~known).toString(16)} are not known to this kernel`);
    // the context keeps such a feature; with WP_UNPOPULATED or WP_ASYNC the kernel then goes where
    // CONFIG_PTE_MARKER_UFFD_WP is not built in (the warning the fix names), which the model does not follow
    const kept = features & ~avail & (UFFD_FEATURE.wp_unpopulated | UFFD_FEATURE.wp_async);
    if (kept) notModelledOnRelease('features', 'UFFD_FEATURE_WP_UNPOPULATED or WP_ASYNC taken without PTE markers (before 1723f04caacb)');
  }
  if (features & UFFD_FEATURE.wp_async) features |= UFFD_FEATURE.wp_unpopulated;
  // the answer is copied out, then the cmpxchg fails: err_out zeroes the caller's struct
  if (initOnce && ctx.apiDone) fail('EINVAL', 'UFFDIO_API was already done on this uffd (cmpxchg of ctx->features)');
  ctx.features = features >>> 0;
  ctx.apiDone = true;
  const ioctls = (1n << BigInt(_UFFDIO_REGISTER)) | (1n << BigInt(_UFFDIO_UNREGISTER)) | (1n << BigInt(_UFFDIO_API));
  k.tr?.emit('uffdio_api', 'userfaultfd_api', { uffd: ctx.name, features: avail, ioctls: '0x' + ioctls.toString(16) });
  return { features: avail, ioctls };
}

function needApi(ctx: UserfaultfdCtx): void {
  if (!ctx.apiDone) fail('EINVAL', 'UFFDIO_API has not been done on this uffd');
}

/** fs/userfaultfd.c validate_range() @v6.12 (6.12.118), @v6.18: page-aligned, non-empty, below TASK_SIZE */
export function validate_range(k: Kernel, start: number, len: number): void {
  if (start % PAGE_SIZE !== 0) fail('EINVAL', 'start is not page aligned');
  validate_unaligned_range(k, start, len, 'range');
}

/** fs/userfaultfd.c validate_unaligned_range() @v6.6, @v6.18 (2ef5d7245d9c; before, the body of validate_range): non-empty, below TASK_SIZE */
function validate_unaligned_range(k: Kernel, start: number, len: number, what: string): void {
  if (len % PAGE_SIZE !== 0) fail('EINVAL', 'len is not a multiple of the page size');
  if (len === 0) fail('EINVAL', 'len is 0');
  // mmap_min_addr (65536): refused before 161ce69c2c89; from it the range only has to lie in VMAs
  if (start < 0x10000 && !k.has(PATCH.uffdBelowMmapMinAddr)) fail('EINVAL', `the ${what} starts below mmap_min_addr`);
  if (start >= TASK_SIZE || len > TASK_SIZE - start) fail('EINVAL', `the ${what} is past TASK_SIZE`);
}

/**
 * include/linux/userfaultfd_k.h vma_can_userfault() @v5.7..v6.18: private anonymous memory, shmem and
 * private hugetlb, per mode and release: WP on shmem and hugetlb from b1f9e876862d (v5.19) where PTE
 * markers are compiled in (CONFIG_PTE_MARKER_UFFD_WP), before that only anonymous memory could be
 * write-protected; MINOR on hugetlb (v5.13) and shmem (v5.14) only. From b1f9e876862d until 67eae54bc227
 * (v6.1) a MINOR request returned early for shmem and hugetlb, so WP was not checked with it (corpus 14)
 */
function vma_can_userfault(k: Kernel, vma: VmArea, mode: number): boolean {
  const minor = (mode & UFFDIO_REGISTER_MODE_MINOR) !== 0;
  const minorReturnsEarly = minor && k.has(PATCH.uffdWpShmem) && !k.has(PATCH.uffdRegisterMinorWpCheck);
  if (vma.vm_flags & VM_HUGETLB) {
    if (minorReturnsEarly) return true;
    if (mode & UFFDIO_REGISTER_MODE_WP) return k.has(PATCH.uffdWpShmem) && k.config.pte_marker_uffd_wp;
    return true;
  }
  if (vma.vm_file !== 0) {
    // c949b097ef2e (v5.14): shmem may be registered for MINOR faults; before, hugetlb only
    if (minor && !k.has(PATCH.uffdMinorShmem)) return false;
    if (minorReturnsEarly) return true;
    if ((mode & UFFDIO_REGISTER_MODE_WP) && !(k.has(PATCH.uffdWpShmem) && k.config.pte_marker_uffd_wp)) return false;
    return true;
  }
  if (minor) return false; // minor faults: shmem/hugetlb only
  return true;
}

/**
 * UFFDIO_REGISTER and UNREGISTER of a range no VMA meets: EINVAL from 11a9b90274f6 (v6.3, vma_find up to the range's
 * end); before, find_vma found no VMA at or above start and the ret still held -ENOMEM (of mmget_not_zero), and
 * only a VMA starting at or past the end was EINVAL
 */
function no_vma_in_range(k: Kernel, mm: MmStruct, start: number): never {
  if (!k.has(PATCH.uffdRegisterVmaIterator) && !mm.vmas.some((v) => v.vm_end > start)) fail('ENOMEM', 'no VMA at or above the range (find_vma)');
  fail('EINVAL', 'no VMA in the range');
}

/** userfaultfd_register (fs/userfaultfd.c @v4.19; mm/userfaultfd.c userfaultfd_register_range @v6.12, v6.18): a VMA already tracked by this uffd in every mode asked for is skipped */
export function userfaultfd_register(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number, mode: number): bigint {
  needApi(ctx);
  const mm = ctx.mm;
  if (mode === 0 || mode & ~(UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP | UFFDIO_REGISTER_MODE_MINOR)) fail('EINVAL', 'bad register mode');
  if ((mode & UFFDIO_REGISTER_MODE_WP) && !(k.has(PATCH.uffdWp2018Branch) || k.has(PATCH.uffdWpIoctl))) fail('EINVAL', 'UFFDIO_REGISTER_MODE_WP is not supported by this kernel');
  if ((mode & UFFDIO_REGISTER_MODE_WP) && !k.pgt.haveArchUffdWp) fail('EINVAL', 'UFFDIO_REGISTER_MODE_WP: the architecture has no HAVE_ARCH_USERFAULTFD_WP');
  if ((mode & UFFDIO_REGISTER_MODE_MINOR) && !k.has(PATCH.uffdMinorHugetlbfs)) fail('EINVAL', 'UFFDIO_REGISTER_MODE_MINOR is not supported by this kernel');
  validate_range(k, start, len);
  if (!mmget_not_zero(mm)) fail('ENOMEM', 'the process of this userfaultfd has exited (mmget_not_zero)');
  const end = start + len;
  const vs = vmas_in(mm, start, end);
  if (vs.length === 0) no_vma_in_range(k, mm, start);
  for (const v of vs) {
    if (!vma_can_userfault(k, v, mode)) fail('EINVAL', `the VMA at 0x${v.vm_start.toString(16)} cannot be registered in this mode`);
    // a hugetlb VMA: the range starts, and ends inside it, on a huge page boundary
    if ((v.vm_flags & VM_HUGETLB) && ((v.vm_start <= start && start % PMD_SIZE) || (end <= v.vm_end && end % PMD_SIZE))) {
      fail('EINVAL', 'a hugetlb range that is not 2 MiB aligned');
    }
    // 29ec90660d68 (v4.20): before, a shared mapping of a file opened read-only could be registered
    if (!(v.vm_flags & VM_MAYWRITE) && k.has(PATCH.uffdRegisterMaywrite)) fail('EPERM', 'VMA without VM_MAYWRITE');
    if (v.uffd && v.uffd !== ctx) fail('EBUSY', 'the range is registered with another userfaultfd');
  }
  let vm_flags = 0;
  if (mode & UFFDIO_REGISTER_MODE_MISSING) vm_flags |= VM_UFFD_MISSING;
  if (mode & UFFDIO_REGISTER_MODE_WP) vm_flags |= VM_UFFD_WP;
  // VM_UFFD_MINOR is a high flag (bit 38): the model keeps it in vm_flags_hi
  const vm_flags_hi = mode & UFFDIO_REGISTER_MODE_MINOR ? VM_HI_UFFD_MINOR : 0;
  // (read before the registration: it may merge or split the VMAs, whose views then go)
  const basic = vs.some((v) => (v.vm_flags & VM_HUGETLB) !== 0);
  userfaultfd_register_range(k, ctx, vs[0]!, vm_flags, start, end, vm_flags_hi);
  let ioctls = range_ioctls(k);
  // UFFD_API_RANGE_IOCTLS_BASIC when a hugetlb VMA is in the range: no ZEROPAGE, no MOVE
  if (basic) ioctls &= ~((1 << _UFFDIO_ZEROPAGE) | (1 << _UFFDIO_MOVE));
  // "userfaultfd: wp: declare _UFFDIO_WRITEPROTECT conditionally" (14819305e09f) came with the WP ioctl in v5.7;
  // CONTINUE is declared for MINOR ranges only from its first release (v5.13)
  if (k.has(PATCH.uffdWpIoctl) && !(mode & UFFDIO_REGISTER_MODE_WP)) ioctls &= ~(1 << _UFFDIO_WRITEPROTECT);
  if (k.has(PATCH.uffdMinorHugetlbfs) && !(mode & UFFDIO_REGISTER_MODE_MINOR)) ioctls &= ~(1 << _UFFDIO_CONTINUE);
  k.tr?.emit('uffdio_register', 'userfaultfd_register', { uffd: ctx.name, start, end, mode, ioctls });
  return BigInt(ioctls);
}

/**
 * mm/userfaultfd.c userfaultfd_register_range() @v6.18: each VMA of the range is put in the context with
 * the modes asked for (merged with a neighbour that already has them, or split off), except one already
 * in this context with at least those modes, which is left as it is
 */
function userfaultfd_register_range(k: Kernel, ctx: UserfaultfdCtx, first: VmArea, vm_flags: number, start: number, end: number, vm_flags_hi = 0): void {
  const mm = ctx.mm;
  let vma: VmArea | undefined = first;
  while (vma && vma.vm_start < end) {
    let next: VmArea = vma;
    if (!(vma.uffd === ctx && (vma.vm_flags & vm_flags) === vm_flags && (vma.vm_flags_hi & vm_flags_hi) === vm_flags_hi)) {
      if (vma.vm_start > start) start = vma.vm_start;
      const vma_end = Math.min(end, vma.vm_end);
      // the 2018 branch kept the modes a VMA had (new_flags = vm_flags | the old ones); upstream, from the
      // first release with WP mode, the modes asked for replace them
      const keep = k.has(PATCH.uffdWp2018Branch) ? 0 : VM_UFFD_MISSING | VM_UFFD_WP;
      const new_flags = ((vma.vm_flags & ~keep) | vm_flags) >>> 0;
      const lostWp = (vma.vm_flags & VM_UFFD_WP) !== 0 && (new_flags & VM_UFFD_WP) === 0;
      // __VM_UFFD_FLAGS: the MINOR bit of the high word is replaced with the others
      const new_hi = ((vma.vm_flags_hi & ~VM_HI_UFFD_MINOR) | vm_flags_hi) >>> 0;
      next = vma_modify(k, mm, vma, start, vma_end, { vm_flags: new_flags, vm_flags_hi: new_hi, uffd_ctx: ctx, pgoff: uffd_merge_pgoff(k, vma) });
      next.vm_flags_hi = new_hi;
      // userfaultfd_set_ctx: the VMA that now covers the range, whichever it is
      next.uffd = ctx;
      // a range that loses VM_UFFD_WP here keeps its uffd-wp bits and markers (debug_vm bookkeeping)
      if (lostWp) next.uffd_wp_left = true;
      userfaultfd_set_vm_flags(k, next, ((next.vm_flags & ~keep) | vm_flags) >>> 0);
    }
    start = next.vm_end;
    vma = mm.vmas[mm.vmas.indexOf(next) + 1];
  }
}

/**
 * mm/userfaultfd.c userfaultfd_clear_vma() @v6.18: a WP registration's protection goes first
 * (f369b07c8614, v6.0), then the range leaves the context (vma_modify_flags_uffd, userfaultfd_reset_ctx)
 */
function userfaultfd_clear_vma(k: Kernel, mm: MmStruct, vma: VmArea, start: number, end: number): VmArea {
  if (k.has(PATCH.uffdUnregisterResetsWp) && (vma.vm_flags & VM_UFFD_WP)) uffd_wp_range(k, vma, start, end - start, false);
  const hi = (vma.vm_flags_hi & ~VM_HI_UFFD_MINOR) >>> 0;
  const v = vma_modify(k, mm, vma, start, end, { vm_flags: (vma.vm_flags & ~(VM_UFFD_MISSING | VM_UFFD_WP)) >>> 0, vm_flags_hi: hi, uffd_ctx: null, pgoff: uffd_merge_pgoff(k, vma) });
  v.uffd = null;
  v.vm_flags_hi = hi;
  userfaultfd_set_vm_flags(k, v, (v.vm_flags & ~(VM_UFFD_MISSING | VM_UFFD_WP)) >>> 0);
  return v;
}

/**
 * the pgoff UFFDIO_REGISTER and UNREGISTER merge a range with: its own from 5543d3c43c41 (v6.4); before,
 * vma_merge() was given the VMA's vm_pgoff, right only when the range starts where the VMA does, so the
 * tail of a VMA never merged with the VMA after it (prev, the VMA itself then, cannot merge anyway)
 */
function uffd_merge_pgoff(k: Kernel, vma: VmArea): number | undefined {
  return k.has(PATCH.uffdVmaMergePgoff) ? undefined : vma.vm_pgoff;
}

/**
 * mm/userfaultfd.c userfaultfd_reset_ctx() @v6.18 (in dup_userfaultfd and mremap_userfaultfd_prep before
 * v6.12): the VMA leaves its context, VM_UFFD_* cleared through userfaultfd_set_vm_flags
 */
export function userfaultfd_reset_ctx(k: Kernel, vma: VmArea): void {
  vma.uffd = null;
  vma.vm_flags_hi = (vma.vm_flags_hi & ~VM_HI_UFFD_MINOR) >>> 0;
  userfaultfd_set_vm_flags(k, vma, (vma.vm_flags & ~(VM_UFFD_MISSING | VM_UFFD_WP)) >>> 0);
}

/**
 * mm/userfaultfd.c userfaultfd_set_vm_flags() @v6.2..v6.18 (51d3d5eb74ff): the new flags, and a shared VMA
 * whose VM_UFFD_WP changed gets its vm_page_prot again (vma_wants_writenotify); before, vm_flags alone
 */
function userfaultfd_set_vm_flags(k: Kernel, vma: VmArea, flags: number): void {
  const changed = ((vma.vm_flags ^ flags) & VM_UFFD_WP) !== 0;
  // the sticky flags a merge gathered stay (vma_modify_flags_uffd's residual flags, 9119d6c2095b)
  vma.vm_flags = (flags | (vma.vm_flags & VM_STICKY)) >>> 0;
  if (k.has(PATCH.uffdWpWritenotify) && (vma.vm_flags & VM_SHARED) && changed) vma_set_page_prot(k, vma);
}

/**
 * fs/userfaultfd.c userfaultfd_unregister() @v6.18 (@v6.12): a MISSING registration wakes the faults waiting in
 * its range (a WP-only one does not); from f369b07c8614 (v6.0) WP-mode ranges are un-protected first; from
 * 23ec90eb122f (v6.17) a range another userfaultfd registered is EINVAL
 */
export function userfaultfd_unregister(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number): void {
  needApi(ctx);
  validate_range(k, start, len);
  const mm = ctx.mm;
  if (!mmget_not_zero(mm)) fail('ENOMEM', 'the process of this userfaultfd has exited (mmget_not_zero)');
  const end = start + len;
  const vs = vmas_in(mm, start, end);
  if (vs.length === 0) no_vma_in_range(k, mm, start);
  // a first VMA of huge pages: the range starts on a huge page boundary (the end is not checked)
  if ((vs[0]!.vm_flags & VM_HUGETLB) && start % PMD_SIZE) fail('EINVAL', 'a hugetlb range that does not start on a 2 MiB boundary');
  // a VMA registered with another userfaultfd of the mm is EINVAL, before anything changed, from 23ec90eb122f
  // (v6.17); before, the other userfaultfd unregistered it as its own
  if (k.has(PATCH.uffdUnregisterOwnCtx) && vs.some((v) => v.uffd && v.uffd !== ctx)) fail('EINVAL', 'the range is registered with another userfaultfd');
  // the VMAs of the range in turn, each (but an unregistered one) taken out of the context and merged
  // with a neighbour where it can (userfaultfd_clear_vma)
  let vma: VmArea | undefined = vs[0];
  let s = start;
  while (vma && vma.vm_start < end) {
    let next: VmArea = vma;
    if (vma.uffd) {
      if (vma.vm_start > s) s = vma.vm_start;
      const vma_end = Math.min(end, vma.vm_end);
      // only a MISSING registration wakes the faults waiting in the range: those of the VMA's own context
      if (vma.vm_flags & VM_UFFD_MISSING) wake_userfault(k, vma.uffd, s, vma_end - s);
      next = userfaultfd_clear_vma(k, mm, vma, s, vma_end);
    }
    s = next.vm_end;
    vma = mm.vmas[mm.vmas.indexOf(next) + 1];
  }
  k.tr?.emit('uffdio_unregister', 'userfaultfd_unregister', { uffd: ctx.name, start, end });
}

/**
 * mm/userfaultfd.c userfaultfd_release_all() @v6.18 (fs/userfaultfd.c userfaultfd_release() @v4.19): every
 * VMA of the context's mm still in it leaves it (flags and ctx cleared, merged with its neighbours where
 * they now match); the uffd-wp bits of a WP range are cleared first only from c88033efe9a3 (v6.9)
 */
function userfaultfd_release_all(k: Kernel, ctx: UserfaultfdCtx): void {
  const mm = ctx.mm;
  for (let i = 0; i < mm.vmas.length; i++) {
    const vma = mm.vmas[i]!;
    if (vma.uffd !== ctx) continue;
    const wp = (vma.vm_flags & VM_UFFD_WP) !== 0;
    if (wp && k.has(PATCH.uffdReleaseResetsWp)) uffd_wp_range(k, vma, vma.vm_start, vma.vm_end - vma.vm_start, false);
    const hi = (vma.vm_flags_hi & ~VM_HI_UFFD_MINOR) >>> 0;
    const v = vma_modify(k, mm, vma, vma.vm_start, vma.vm_end, { vm_flags: (vma.vm_flags & ~(VM_UFFD_MISSING | VM_UFFD_WP)) >>> 0, vm_flags_hi: hi, uffd_ctx: null });
    // userfaultfd_reset_ctx: through userfaultfd_set_vm_flags, so a shared VMA leaving WP mode gets its
    // vm_page_prot again (writable without writenotify), from 51d3d5eb74ff (v6.2) as on unregister
    userfaultfd_reset_ctx(k, v);
    // a WP range released without the reset keeps its uffd-wp bits and markers (debug_vm bookkeeping)
    if (wp && !k.has(PATCH.uffdReleaseResetsWp)) v.uffd_wp_left = true;
    i = mm.vmas.indexOf(v);
  }
}

/**
 * fs/userfaultfd.c userfaultfd_release() @v6.18 (the same steps @v4.19): the last reference to the file
 * is gone. The context is marked released, its VMAs leave it (userfaultfd_release_all), then every fault
 * waiting on it, read or not, is woken (len 0: all), and so are the events' waiters, which see `released`
 * and give up their event (userfaultfd_event_wait_completion). Returns the faults woken.
 */
export function userfaultfd_release(k: Kernel, ctx: UserfaultfdCtx): number {
  ctx.released = true;
  userfaultfd_release_all(k, ctx);
  const n = wake_queue(ctx.pending, 0, 0) + wake_queue(ctx.waiting, 0, 0);
  k.tr?.emit('uffd_release', 'userfaultfd_release', { uffd: ctx.name, woken: n });
  return n;
}

/**
 * close(2) of a uffd in task's process (fs/file.c close_fd, then fput of the file): EBADF when this
 * process's fd table does not hold it; the release of the last reference runs userfaultfd_release.
 * `readers`: threads asleep in read(2) of the file, each holding a reference of its own (fdget of a
 * process with threads takes one): the release then waits until the last of them returns
 * (releaseAfterRead); the registrations stay, and faults still go to the context meanwhile.
 */
export function sys_close_uffd(k: Kernel, task: Task, ctx: UserfaultfdCtx, readers: number): boolean {
  if (!ctx.openIn(task.mm)) fail('EBADF', 'this process has no such file descriptor open');
  return uffd_file_put(k, ctx, task.mm, readers, 'close_fd');
}

/**
 * fs/file.c filp_close() -> fput() of a uffd's file for process mm's descriptor (close(2) as close_fd, a
 * process's exit as exit_files): the last reference releases the context, unless `readers` threads asleep
 * in read(2) still hold theirs (releaseAfterRead then does it). Returns whether it released it.
 */
export function uffd_file_put(k: Kernel, ctx: UserfaultfdCtx, mm: MmStruct, readers: number, fn: string): boolean {
  ctx.files = (ctx.files & ~fileBit(mm)) >>> 0;
  if (ctx.files !== 0) {
    k.tr?.emit('uffd_close', fn, { uffd: ctx.name, last: false });
    return false;
  }
  if (readers > 0) {
    ctx.closedInRead = true;
    k.tr?.emit('uffd_close', fn, { uffd: ctx.name, last: false, readers });
    return false;
  }
  k.tr?.emit('uffd_close', fn, { uffd: ctx.name, last: true });
  userfaultfd_release(k, ctx);
  return true;
}

/**
 * A read(2) of a uffd whose fd was closed while it slept has returned (its fdput; the last reference's
 * __fput runs before the thread is back in user space): with no other reader left holding the file,
 * userfaultfd_release runs. `readersLeft`: the threads still asleep in read(2) of it. Returns whether it
 * released the context.
 */
export function releaseAfterRead(k: Kernel, ctx: UserfaultfdCtx, readersLeft: number): boolean {
  if (!ctx.closedInRead || readersLeft > 0) return false;
  ctx.closedInRead = false;
  k.tr?.emit('uffd_close', 'fput', { uffd: ctx.name, last: true });
  userfaultfd_release(k, ctx);
  return true;
}

/** the uffd of an fd of task's process: EBADF once this process closed it (or never had it) */
export function uffd_fdget(task: Task, ctx: UserfaultfdCtx): UserfaultfdCtx {
  if (!ctx.openIn(task.mm)) fail('EBADF', 'this process has no such file descriptor open');
  return ctx;
}

/** UFFDIO_WRITEPROTECT */
export function userfaultfd_writeprotect(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number, mode: number): void {
  needApi(ctx);
  if (!(k.has(PATCH.uffdWp2018Branch) || k.has(PATCH.uffdWpIoctl))) fail('EINVAL', 'UFFDIO_WRITEPROTECT is unknown to this kernel');
  if (ctx.mmap_changing) fail('EAGAIN', 'mmap_changing: a non-cooperative event is under way');
  validate_range(k, start, len);
  if (mode & ~(UFFDIO_WRITEPROTECT_MODE_WP | UFFDIO_WRITEPROTECT_MODE_DONTWAKE)) fail('EINVAL', 'unknown mode bits');
  const wp = (mode & UFFDIO_WRITEPROTECT_MODE_WP) !== 0;
  if (wp && (mode & UFFDIO_WRITEPROTECT_MODE_DONTWAKE)) fail('EINVAL', 'MODE_WP with MODE_DONTWAKE');
  if (!mmget_not_zero(ctx.mm)) {
    // cb185d5f1ebf (v5.15): before it the ioctl went on into an mm whose VMAs exit_mmap had freed
    if (!k.has(PATCH.uffdWpMmget)) notModelledOnRelease('uffd', 'UFFDIO_WRITEPROTECT after the process of the userfaultfd exited, before cb185d5f1ebf (v5.15): the kernel walked the VMAs exit_mmap had freed (CVE-2021-47461)');
    fail('ESRCH', 'the process of this userfaultfd has exited (mmget_not_zero)');
  }
  mwriteprotect_range(k, ctx, start, len, wp);
  // before "userfaultfd: wp: don't wake up when doing write protect" (v5.7) a WP request woke too
  const wakes = !(mode & UFFDIO_WRITEPROTECT_MODE_DONTWAKE) && (!wp || !k.has(PATCH.uffdWpIoctl));
  if (wakes) wake_userfault(k, ctx, start, len);
}

/** the output field of struct uffdio_copy as the caller sees it after the ioctl (unset: never written) */
export interface UffdioCopyUser {
  copy?: number;
}
/** the output field of struct uffdio_zeropage as the caller sees it after the ioctl (unset: never written) */
export interface UffdioZeropageUser {
  zeropage?: number;
}

/**
 * mfill_atomic's result as userfaultfd_copy()/userfaultfd_zeropage() hand it back (fs/userfaultfd.c @v4.19,
 * the same @v6.18): put_user() of the bytes filled, or of -errno when not even the first page was (the
 * checks before mfill_atomic write nothing); only the filled range is woken; short of len is -EAGAIN
 */
function mfill_result(k: Kernel, ctx: UserfaultfdCtx, dst: number, len: number, wake: boolean, put: (v: number) => void, fill: () => number): number {
  let ret: number;
  try {
    ret = fill();
  } catch (e) {
    if (e instanceof SyscallError) put(-e.errno);
    throw e;
  }
  put(ret);
  // len == 0 would wake all: range.len is what was filled
  if (wake) wake_userfault(k, ctx, dst, ret);
  if (ret !== len) fail('EAGAIN', `filled ${ret} of ${len} bytes`);
  return ret;
}

/** fs/userfaultfd.c userfaultfd_copy() @v6.18 (UFFDIO_COPY); `user` receives uffdio_copy.copy */
export function userfaultfd_copy(k: Kernel, ctx: UserfaultfdCtx, dst: number, src: number, len: number, mode: number, user: UffdioCopyUser = {}): number {
  needApi(ctx);
  // mmap_changing: from 95567729173e (v6.15, in 6.12.29) the -EAGAIN is written into uffdio_copy.copy too
  if (ctx.mmap_changing) {
    if (k.has(PATCH.uffdEagainOutput)) user.copy = -11;
    fail('EAGAIN', 'mmap_changing: a non-cooperative event is under way');
  }
  // from 2ef5d7245d9c (v6.6) the source range is checked as the destination's is, but for its alignment
  // (validate_unaligned_range), and first; before, only against wrapping past the end of the address space, after
  // the destination's: a source past TASK_SIZE failed later, in copy_from_user (EFAULT, written into copy)
  if (k.has(PATCH.uffdCopySrcRangeCheck)) validate_unaligned_range(k, src, len, 'source');
  validate_range(k, dst, len);
  if (!k.has(PATCH.uffdCopySrcRangeCheck) && src + len >= 2 ** 64) fail('EINVAL', 'the source range wraps');
  if (mode & ~(UFFDIO_COPY_MODE_DONTWAKE | UFFDIO_COPY_MODE_WP)) fail('EINVAL', 'unknown mode bits');
  if ((mode & UFFDIO_COPY_MODE_WP) && !k.has(PATCH.uffdWpIoctl)) fail('EINVAL', 'UFFDIO_COPY_MODE_WP is unknown to this kernel');
  // (the ESRCH returns before uffdio_copy.copy is written)
  if (!mmget_not_zero(ctx.mm)) fail('ESRCH', 'the process of this userfaultfd has exited (mmget_not_zero)');
  return mfill_result(k, ctx, dst, len, !(mode & UFFDIO_COPY_MODE_DONTWAKE), (v) => { user.copy = v; },
    () => mfill_atomic_copy(k, ctx, dst, src, len, (mode & UFFDIO_COPY_MODE_WP) !== 0));
}

/** fs/userfaultfd.c userfaultfd_zeropage() @v6.18 (UFFDIO_ZEROPAGE); `user` receives uffdio_zeropage.zeropage */
export function userfaultfd_zeropage(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number, mode: number, user: UffdioZeropageUser = {}): number {
  needApi(ctx);
  if (ctx.mmap_changing) {
    if (k.has(PATCH.uffdEagainOutput)) user.zeropage = -11;
    fail('EAGAIN', 'mmap_changing: a non-cooperative event is under way');
  }
  validate_range(k, start, len);
  if (mode & ~UFFDIO_ZEROPAGE_MODE_DONTWAKE) fail('EINVAL', 'unknown mode bits');
  if (!mmget_not_zero(ctx.mm)) fail('ESRCH', 'the process of this userfaultfd has exited (mmget_not_zero)');
  return mfill_result(k, ctx, start, len, !(mode & UFFDIO_ZEROPAGE_MODE_DONTWAKE), (v) => { user.zeropage = v; },
    () => mfill_atomic_zeropage(k, ctx, start, len));
}

/** the output field of struct uffdio_continue as the caller sees it after the ioctl (unset: never written) */
export interface UffdioContinueUser {
  mapped?: number;
}

/**
 * fs/userfaultfd.c userfaultfd_continue() @v5.13, @v6.1, @v6.18 (UFFDIO_CONTINUE, 7677f7fd8be7; an unknown
 * ioctl, EINVAL, before): `user` receives uffdio_continue.mapped, the bytes mapped or the -errno of
 * mfill_atomic_continue; MODE_WP from 0289184476c8 (v6.4); only the mapped range is woken; short of len is
 * -EAGAIN. The ioctl returns 0, not the byte count
 */
export function userfaultfd_continue(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number, mode: number, user: UffdioContinueUser = {}): number {
  if (!k.has(PATCH.uffdMinorHugetlbfs)) fail('EINVAL', 'UFFDIO_CONTINUE is unknown to this kernel');
  needApi(ctx);
  if (ctx.mmap_changing) {
    if (k.has(PATCH.uffdEagainOutput)) user.mapped = -11;
    fail('EAGAIN', 'mmap_changing: a non-cooperative event is under way');
  }
  validate_range(k, start, len);
  const known = UFFDIO_CONTINUE_MODE_DONTWAKE | (k.has(PATCH.uffdContinueModeWp) ? UFFDIO_CONTINUE_MODE_WP : 0);
  if (mode & ~known) fail('EINVAL', 'unknown mode bits');
  if (!mmget_not_zero(ctx.mm)) fail('ESRCH', 'the process of this userfaultfd has exited (mmget_not_zero)');
  mfill_result(k, ctx, start, len, !(mode & UFFDIO_CONTINUE_MODE_DONTWAKE), (v) => { user.mapped = v; },
    () => mfill_atomic_continue(k, ctx, start, len, (mode & UFFDIO_CONTINUE_MODE_WP) !== 0));
  return 0;
}

/** the output field of struct uffdio_poison as the caller sees it after the ioctl (unset: never written) */
export interface UffdioPoisonUser {
  updated?: number;
}

/**
 * fs/userfaultfd.c userfaultfd_poison() @v6.6, @v6.12, @v6.18 (UFFDIO_POISON, fc71884a5f59; an unknown ioctl,
 * EINVAL, before): the range checked (validate_range), any mode bit but DONTWAKE EINVAL, then
 * mfill_atomic_poison; `user` receives uffdio_poison.updated, the bytes poisoned or the -errno; only that
 * range is woken; short of len is -EAGAIN. The ioctl does not ask for UFFD_FEATURE_POISON: the feature bit
 * only tells that the ioctl exists. Returns 0
 */
export function userfaultfd_poison(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number, mode: number, user: UffdioPoisonUser = {}): number {
  if (!k.has(PATCH.uffdPoison)) fail('EINVAL', 'UFFDIO_POISON is unknown to this kernel');
  needApi(ctx);
  // mmap_changing: from 95567729173e (v6.15, in 6.12.29) the -EAGAIN is written into uffdio_poison.updated too
  if (ctx.mmap_changing) {
    if (k.has(PATCH.uffdEagainOutput)) user.updated = -11;
    fail('EAGAIN', 'mmap_changing: a non-cooperative event is under way');
  }
  validate_range(k, start, len);
  if (mode & ~UFFDIO_POISON_MODE_DONTWAKE) fail('EINVAL', 'unknown mode bits');
  if (!mmget_not_zero(ctx.mm)) fail('ESRCH', 'the process of this userfaultfd has exited (mmget_not_zero)');
  mfill_result(k, ctx, start, len, !(mode & UFFDIO_POISON_MODE_DONTWAKE), (v) => { user.updated = v; },
    () => mfill_atomic_poison(k, ctx, start, len));
  return 0;
}

/** the output field of struct uffdio_move as the caller sees it after the ioctl (unset: never written) */
export interface UffdioMoveUser {
  move?: number;
}

/**
 * fs/userfaultfd.c userfaultfd_move() @v6.8, @v6.18 (UFFDIO_MOVE, adef440691ba; an unknown ioctl, EINVAL,
 * before): `user` receives uffdio_move.move, the bytes moved or the -errno of move_pages (not of the
 * checks before it); only the moved range is woken; short of len is -EAGAIN
 */
export function userfaultfd_move(k: Kernel, ctx: UserfaultfdCtx, dst: number, src: number, len: number, mode: number, user: UffdioMoveUser = {}, task: Task = k.current!): number {
  if (!k.has(PATCH.uffdMove)) fail('EINVAL', 'UFFDIO_MOVE is unknown to this kernel');
  needApi(ctx);
  if (ctx.mmap_changing) {
    if (k.has(PATCH.uffdEagainOutput)) user.move = -11;
    fail('EAGAIN', 'mmap_changing: a non-cooperative event is under way');
  }
  if (ctx.mm !== task.mm) fail('EINVAL', 'UFFDIO_MOVE across mms');
  validate_range(k, dst, len);
  validate_range(k, src, len);
  if (mode & ~(UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES | UFFDIO_MOVE_MODE_DONTWAKE)) fail('EINVAL', 'unknown mode bits');
  if (!mmget_not_zero(ctx.mm)) fail('ESRCH', 'the process of this userfaultfd has exited (mmget_not_zero)');
  return mfill_result(k, ctx, dst, len, !(mode & UFFDIO_MOVE_MODE_DONTWAKE), (v) => { user.move = v; },
    () => move_pages(k, ctx, dst, src, len, mode));
}

/**
 * include/linux/sched/mm.h mmget_not_zero() @v6.18: does the mm still have users? A context holds its mm
 * with mmgrab only (d2005e3f41d4, v4.7), so once the process exits (exit_mmap) the ioctls that would touch
 * the address space find none: UFFDIO_COPY, ZEROPAGE, CONTINUE, POISON, MOVE and (from cb185d5f1ebf)
 * WRITEPROTECT are ESRCH, REGISTER and UNREGISTER ENOMEM; the release only wakes (checked on this 6.18)
 */
export function mmget_not_zero(mm: MmStruct): boolean {
  return mm.users > 0;
}

/** UFFDIO_WAKE */
export function userfaultfd_wake(k: Kernel, ctx: UserfaultfdCtx, start: number, len: number): void {
  needApi(ctx);
  validate_range(k, start, len);
  wake_userfault(k, ctx, start, len);
}

/** read(2) on the uffd: the oldest unread message, or null when there is none (the caller blocks or gets EAGAIN) */
export const POLLIN = 0x1, POLLERR = 0x8;

/**
 * fs/userfaultfd.c userfaultfd_poll() @v6.18 (the same rules @v4.19): EPOLLERR before UFFDIO_API and on a
 * blocking file (poll cannot promise that read will not block); otherwise EPOLLIN while a fault
 * message or an event waits to be read
 */
export function userfaultfd_poll(ctx: UserfaultfdCtx): number {
  if (!ctx.apiDone) return POLLERR;
  if (!ctx.nonblock) return POLLERR;
  return ctx.pending.nonEmpty || ctx.events.nonEmpty ? POLLIN : 0;
}

/**
 * fs/userfaultfd.c userfaultfd_ctx_read() @v6.18 (the same order @v4.19): the oldest unread fault message,
 * else the oldest event, whose task is then let go (userfaultfd_event_complete); a FORK message installs
 * the child's context as a file of the reader's process (resolve_userfault_fork) and names it `forkName`.
 * null when there is nothing to read (the caller blocks or gets EAGAIN).
 */
export function userfaultfd_ctx_read(k: Kernel, ctx: UserfaultfdCtx, bufLen: number, reader?: Task, forkName?: string): { msg: UffdMsg; fork: UserfaultfdCtx | null } | null {
  if (bufLen < 32) fail('EINVAL', 'read buffer smaller than struct uffd_msg');
  if (!ctx.apiDone) fail('EINVAL', 'UFFDIO_API has not been done on this uffd');
  const uwq = ctx.pending.shift();
  if (uwq) {
    ctx.waiting.push(uwq);
    const msg = uwq.msg;
    k.tr?.emit('uffd_read', 'userfaultfd_ctx_read', { uffd: ctx.name, event: msg.event, flags: msg.flags, address: msg.address });
    return { msg, fork: null };
  }
  const ewq = ctx.events.shift();
  if (!ewq) return null;
  const msg = ewq.msg;
  let fork: UserfaultfdCtx | null = null;
  if (msg.event === UFFD_EVENT_FORK) {
    // resolve_userfault_fork: a new file for the child's context in the reader's fd table
    fork = k.uffds[msg.flags - 1]!;
    fork.files = (fork.files | fileBit((reader ?? k.current!).mm)) >>> 0;
    fork.forkOrig = null;
    if (forkName) fork.rename(forkName);
    msg.flags = 0;
  }
  // userfaultfd_event_complete: the waiting task may go on
  ewq.waken = true;
  ewq.release();
  k.tr?.emit('uffd_read', 'userfaultfd_ctx_read', { uffd: ctx.name, event: msg.event, flags: msg.flags, address: msg.address });
  return { msg, fork };
}

// ---- non-cooperative events (fs/userfaultfd.c @v4.19..v6.18) ------------------------------------

/** the context of an event's waiter: its name, for traces */
function eventName(ev: number): string {
  return ev === UFFD_EVENT_FORK ? 'FORK' : ev === UFFD_EVENT_REMAP ? 'REMAP' : ev === UFFD_EVENT_REMOVE ? 'REMOVE' : 'UNMAP';
}

/**
 * userfaultfd_event_wait_completion, its first half: the event is queued on ctx's event_wqh with the
 * calling task as its waiter, and the task sleeps (task.uwq) until read(2) takes the event or the context
 * is released; userfaultfd_event_finish is the second half, when the task runs again. The caller
 * incremented ctx.mmap_changing when it prepared the event.
 */
export function userfaultfd_event_wait(k: Kernel, ctx: UserfaultfdCtx, task: Task, msg: UffdMsg): void {
  if (ctx.released || task.fatal) {
    // the loop's first check (the context released, or fatal_signal_pending): the event is taken off the
    // queue at once, unread (finish does the rest)
    const u = Uwq.create(k, ctx, task, msg);
    task.uwq = u;
    k.tr?.emit('uffd_event_wait', 'userfaultfd_event_wait_completion', { uffd: ctx.name, event: eventName(msg.event), dropped: true, ...(task.fatal ? { killed: true } : {}) });
    return;
  }
  const u = Uwq.create(k, ctx, task, msg);
  ctx.events.push(u);
  task.uwq = u;
  k.tr?.emit('uffd_event', 'userfaultfd_event_wait_completion', { uffd: ctx.name, event: eventName(msg.event), arg0: msg.flags, arg1: msg.address, arg2: msg.ptid });
}

/** may the task sleeping on an event go on (its event read, or its context released)? */
export function userfaultfd_event_done(u: Uwq): boolean {
  return u.waken || u.ctx.released || u.task.fatal;
}

/**
 * userfaultfd_event_wait_completion, its second half: the task wakes; an event still queued (its context
 * was released) is withdrawn, and a FORK event's child context then loses its VMAs
 * (userfaultfd_release_new); ctx.mmap_changing drops (to 0 before a759a909d42d). Returns whether the event was read.
 */
export function userfaultfd_event_finish(k: Kernel, task: Task): boolean {
  const u = task.uwq!;
  const ctx = u.ctx, msg = u.msg, read = u.waken;
  if (ctx.events.has(u)) ctx.events.remove(u);
  task.uwq = null;
  if (!read && msg.event === UFFD_EVENT_FORK) userfaultfd_release_new(k, k.uffds[msg.flags - 1]!);
  // atomic_dec from a759a909d42d (v5.15); before, WRITE_ONCE(ctx->mmap_changing, false): the first waiter to
  // go on cleared it for every event still unread (the model's count stands for the bool: nonzero is true)
  ctx.mmap_changing = k.has(PATCH.uffdMmapChangingCount) ? ctx.mmap_changing - 1 : 0;
  return read;
}

/**
 * mm/userfaultfd.c userfaultfd_release_new() @v6.18: a child's context whose FORK event was never read leaves
 * the child's VMAs (userfaultfd_reset_ctx: a shared one leaving WP mode gets its vm_page_prot again)
 */
function userfaultfd_release_new(k: Kernel, nctx: UserfaultfdCtx): void {
  nctx.forkOrig = null;
  nctx.released = true;
  for (const v of nctx.mm.vmas) {
    if (v.uffd !== nctx) continue;
    userfaultfd_reset_ctx(k, v);
  }
}

/**
 * fs/userfaultfd.c dup_userfaultfd() @v6.18 (@v4.19): a child's VMA registered with a context that has
 * UFFD_FEATURE_EVENT_FORK gets a new context for the child (one per parent context: the first VMA makes
 * it), with the parent's features and flags, its FORK event to be sent; without the feature the child's
 * VMA is not registered. Returns the VMA's context in the child.
 */
export function dup_userfaultfd(k: Kernel, octx: UserfaultfdCtx, child: MmStruct): UserfaultfdCtx | null {
  if (!(octx.features & UFFD_FEATURE.event_fork)) return null;
  for (const c of k.uffds) if (c.forkOrig === octx && c.mm === child) return c;
  const ctx = k.newUffdCtx();
  ctx.init(child, octx.nonblock, octx.userModeOnly, `${octx.name}:fork`, child);
  ctx.files = 0;
  ctx.features = octx.features;
  ctx.apiDone = true;
  ctx.forkOrig = octx;
  octx.mmap_changing = octx.mmap_changing + 1;
  return ctx;
}

/**
 * dup_userfaultfd_complete (dup_fctx): the next FORK event of a fork into `child` to send (the parent's
 * context, and the message naming the child's context), or null when all were sent
 */
export function dup_userfaultfd_next(k: Kernel, child: MmStruct): { octx: UserfaultfdCtx; msg: UffdMsg } | null {
  for (const c of k.uffds) {
    if (c.mm !== child || !c.forkOrig) continue;
    return { octx: c.forkOrig, msg: { event: UFFD_EVENT_FORK, flags: c.id + 1, address: 0, ptid: 0 } };
  }
  return null;
}

/**
 * fs/userfaultfd.c userfaultfd_remove() @v6.18 (@v4.19): before MADV_DONTNEED zaps a VMA's part of the
 * range, a context with UFFD_FEATURE_EVENT_REMOVE is sent REMOVE [start, end) and the caller waits for
 * it to be read (the mmap lock dropped meanwhile). Returns the message, or null (no event: zap at once).
 */
export function userfaultfd_remove(vma: VmArea, start: number, end: number): { ctx: UserfaultfdCtx; msg: UffdMsg } | null {
  const ctx = vma.uffd;
  if (!ctx || !(ctx.features & UFFD_FEATURE.event_remove)) return null;
  ctx.mmap_changing = ctx.mmap_changing + 1;
  return { ctx, msg: { event: UFFD_EVENT_REMOVE, flags: start, address: end, ptid: 0 } };
}

/**
 * fs/userfaultfd.c userfaultfd_unmap_prep() @v6.18 (@v4.19), for every VMA of an munmap: each context with
 * UFFD_FEATURE_EVENT_UNMAP gets one UNMAP event for the whole range (the same context and range once);
 * the events go out after the unmap (userfaultfd_unmap_complete). Returns the contexts, in VMA order.
 */
export function userfaultfd_unmap_prep(mm: MmStruct, start: number, end: number): UserfaultfdCtx[] {
  const out: UserfaultfdCtx[] = [];
  for (const v of mm.vmas) {
    if (v.vm_end <= start || v.vm_start >= end) continue;
    userfaultfd_unmap_prep_vma(v, out);
  }
  return out;
}

/** fs/userfaultfd.c userfaultfd_unmap_prep() @v6.18, of one VMA the munmap gathered (vms_gather_munmap_vmas, after its splits): its context joins `out` */
export function userfaultfd_unmap_prep_vma(v: VmArea, out: UserfaultfdCtx[]): void {
  const ctx = v.uffd;
  if (!ctx || !(ctx.features & UFFD_FEATURE.event_unmap) || out.includes(ctx)) return;
  ctx.mmap_changing = ctx.mmap_changing + 1;
  out.push(ctx);
}

/**
 * the UNMAP events one do_vmi_munmap prepared (a run of the kernel's struct userfaultfd_unmap_ctx list
 * with the same range): the contexts, in VMA order, and the range each message carries
 */
export interface UnmapEvents {
  ctxs: UserfaultfdCtx[];
  start: number;
  end: number;
}

/** the UNMAP message of userfaultfd_unmap_complete */
export function unmap_msg(start: number, end: number): UffdMsg {
  return { event: UFFD_EVENT_UNMAP, flags: start, address: end, ptid: 0 };
}


// Footprints of steps, for the partial-order reduction: what a step may read and what it wrote.
//
// Two steps enabled in the same state are *independent* there when neither writes anything the other
// reads or writes. Independent steps commute (either order reaches the same state, and neither
// enables or disables the other), so the sleep sets of search.ts need not try both orders.
//
// - The write set is exact: the state after the step is compared with the state before it,
//   container by container (page-table entries, folio slots, page contents, the allocator, VMAs,
//   uffd queues, tasks, threads, variables). Copy-on-write tables and pages make this cheap.
// - The read set is an over-approximation from what the step is about, computed in the state
//   before it: a memory access or uffd ioctl reads the page-table entries on the walk of every page
//   in its range, the folios and page contents mapped there, the VMA list and mm flags of its mm,
//   the uffd context of the VMAs it touches; a thread always reads its own thread, task and
//   variables. Operations that reshape the address space or look at all of it (mmap, munmap,
//   mprotect, madvise, fork, register, clear_refs, checkpoint, ...) are *global*: dependent on every
//   other step. Anything the estimate cannot resolve (an expression naming a variable not yet set,
//   a range over 64 pages) is global too.
import type { Machine, ThreadState, VarValue } from '../sched/machine.js';
import type { MmStruct } from '../kernel/include/mm_types.js';
import type { Kernel } from '../kernel/kernel.js';
import type { UserfaultfdCtx, Uwq } from '../kernel/fs/userfaultfd.js';
import { PageTable } from '../kernel/mm/pgtable.js';
import type { Segment } from '../state/store.js';
import { LEVEL_PGD, LEVEL_PMD, LEVEL_PUD, levelIndex, childTable } from '../kernel/mm/pgtable.js';
import { Pte } from '../kernel/arch/x86/include/pte.js';
import { PAGE_SIZE } from '../kernel/arch/x86/include/pgtable_types.js';
import { envOf } from '../sched/exec.js';
import { OWNER } from '../sched/cells.js';
import { evalExpr, exprSymbols, Expr } from '../scenario/expr.js';
import type { CompiledOp } from '../scenario/ops.js';

/** resource kinds; a resource key is kind * 2^44 + value */
export const RES = {
  /** one page-table entry: table pfn * 512 + index */
  entry: 1,
  /** a whole page-table page (created or freed): its pfn */
  table: 2,
  /** folio metadata: slot */
  folio: 3,
  /** page contents: pfn */
  data: 4,
  /** the page allocator */
  alloc: 5,
  /** an mm's VMA list (and every VMA field): mm id */
  vmas: 6,
  /** an mm's flags (mmap_changing, pinned, users): mm id */
  mmFlags: 7,
  /** an mm's RSS counter: mm id */
  mmRss: 8,
  /** a userfaultfd context's flags (API done, features, released): index in kernel.uffds */
  ctx: 9,
  /** a task (signal, sleeping fault entry): tid */
  task: 10,
  /** a scenario thread (position, status, results): index */
  thread: 11,
  /** a scenario variable: interned name */
  var: 12,
  /** kernel-wide scalars (huge zero folio, id counters, object lists) */
  kernel: 13,
  /** the process table */
  procs: 14,
  /** checkpoints */
  snapshots: 15,
  // A uffd queue (fault_pending_wqh or fault_wqh of context i: queue id q = 2i or 2i + 1) is a FIFO:
  // handle_userfault appends, read(2) takes the head, a wake removes the entries of a range. Appends
  // commute with taking the head (of a non-empty queue) and with removals of other entries, so the
  // queue is not one resource but these:
  /** the queue's head (which entry is first): q */
  qFront: 16,
  /** the queue's tail (appends; emptiness): q */
  qBack: 17,
  /** the entries for one page (fault address >> 12): q * 2^35 + page */
  qAddr: 18,
  /** the whole queue: read by steps that look at all of it; every write of the queue meets it */
  qAny: 19,
} as const;

const KIND = 2 ** 44;
const key = (kind: number, v: number) => kind * KIND + v;
const kindOf = (k: number) => Math.floor(k / KIND);
/** pages per queue in qAddr keys (user addresses are below 2^47) */
const Q_PAGES = 2 ** 35;
/** contexts beyond this index are not told apart by queue part: steps on them are global */
const MAX_QUEUED_CTX = 256;

/** variable names -> small integers (per process; names are few) */
const varIds = new Map<string, number>();
function varKey(name: string): number {
  let id = varIds.get(name);
  if (id === undefined) {
    id = varIds.size;
    varIds.set(name, id);
  }
  return key(RES.var, id);
}

/** the resources a step reads and writes (short lists: a step touches a handful of things) */
export class Footprint {
  /** sorted, without duplicates */
  readonly r: number[] = [];
  /** sorted, without duplicates */
  readonly w: number[] = [];
  /** page tables with an entry in r or w (for whole-table writes) */
  readonly tables: number[] = [];
  global = false;
  // the rare kinds of keys that meet other keys than themselves (see writesHit)
  /** w has a whole-table key (meets every entry of the table) */
  wTable = false;
  /** r or w has a whole-table key (met by writes of the table's entries) */
  anyTable = false;
  /** r has a queue-wide key (met by every write of the queue) */
  rQueueAny = false;
  /** w has a queue key */
  wQueue = false;

  read(k: number): void {
    if (!insertSorted(this.r, k)) return;
    const kind = kindOf(k);
    if (kind === RES.table) this.anyTable = true;
    else if (kind === RES.qAny) this.rQueueAny = true;
  }
  readEntry(t: PageTable, i: number): void {
    this.read(key(RES.entry, t.pfn * 512 + i));
    if (!this.tables.includes(t.pfn)) this.tables.push(t.pfn);
  }
  write(k: number): void {
    if (!insertSorted(this.w, k)) return;
    const kind = kindOf(k);
    if (kind === RES.entry) {
      const t = Math.floor((k - RES.entry * KIND) / 512);
      if (!this.tables.includes(t)) this.tables.push(t);
    } else if (kind === RES.table) this.wTable = this.anyTable = true;
    else if (kind === RES.qFront || kind === RES.qBack || kind === RES.qAddr) this.wQueue = true;
  }
}

/** put k into the sorted array a unless it is there; whether it was added */
function insertSorted(a: number[], k: number): boolean {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = a[mid]!;
    if (x === k) return false;
    if (x < k) lo = mid + 1;
    else hi = mid;
  }
  if (lo === a.length) a.push(k);
  else a.splice(lo, 0, k);
  return true;
}

/** may x and y not commute? (x and y are footprints of two steps enabled in the same state) */
export function dependent(x: Footprint, y: Footprint): boolean {
  if (x.global || y.global) return true;
  return writesHit(x, y) || writesHit(y, x);
}

/** do two sorted arrays share an element? */
function meet(a: number[], b: number[]): boolean {
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!, y = b[j]!;
    if (x === y) return true;
    if (x < y) i++;
    else j++;
  }
  return false;
}

/** does something x wrote meet what y read or wrote? */
function writesHit(x: Footprint, y: Footprint): boolean {
  // the same key
  if (meet(x.w, y.r) || meet(x.w, y.w)) return true;
  // keys that meet others: an entry and its whole table, a queue part and the whole queue
  if (!x.wTable && !y.anyTable && !(x.wQueue && y.rQueueAny)) return false;
  for (const k of x.w) {
    if (y.r.includes(k) || y.w.includes(k)) return true;
    const kind = kindOf(k);
    if (kind === RES.entry) {
      const t = key(RES.table, Math.floor((k - RES.entry * KIND) / 512));
      if (y.r.includes(t) || y.w.includes(t)) return true;
    } else if (kind === RES.table) {
      if (y.tables.includes(k - RES.table * KIND)) return true;
    } else if (kind === RES.qFront || kind === RES.qBack) {
      if (y.r.includes(key(RES.qAny, k - kind * KIND))) return true;
    } else if (kind === RES.qAddr) {
      if (y.r.includes(key(RES.qAny, Math.floor((k - RES.qAddr * KIND) / Q_PAGES)))) return true;
    }
  }
  // a read of x is only a conflict with a write of y, which the call with (y, x) checks
  return false;
}

/** the largest range, in pages, a non-global step may cover */
const MAX_RANGE_PAGES = 64;

const GLOBAL_OPS = new Set<CompiledOp['op']>([
  'mmap', 'munmap', 'mprotect', 'madvise', 'fork', 'userfaultfd', 'uffdio_api', 'uffdio_register',
  'uffdio_unregister', 'clear_refs', 'setuid', 'poll_uffd', 'checkpoint', 'swapon', 'swapoff', 'close',
  // the reclaim device (oldfile): shrink_folio_list and the rmap walk reach every mm
  'reclaim',
  // migration: the rmap walk reaches every mm
  'migrate',
  'khugepaged',
  // device: move_pages(2) takes references in folios; the HMM driver's migration reaches its device memory
  'move_pages', 'hmm_migrate',
  // GUP: pins and their release, /proc/PID/mem and vmsplice (a fault of their own, references in folios)
  'pin', 'unpin', 'pin_read', 'vmsplice', 'read_pipe', 'proc_mem_write', 'proc_mem_read',
  // mremap reshapes the address space and moves page tables
  'mremap',
  // shmem and tmpfs files: the page cache is shared by every mm that maps the file
  'memfd_create', 'open', 'ftruncate', 'fallocate', 'pwrite', 'pread',
  // UFFDIO_CONTINUE maps what a file's page cache holds
  'uffdio_continue',
  // a process's exit kills its threads and takes its address space and files down
  'exit',
]);

/** what thread ti's next step may read, in state m (before the step) */
export function readSet(m: Machine, ti: number): Footprint {
  const f = new Footprint();
  const t = m.threads[ti]!;
  const task = t.task!;
  f.read(key(RES.thread, ti));
  f.read(key(RES.task, task.tid));
  f.read(key(RES.kernel, 0));
  f.read(key(RES.procs, 0));
  const op = t.ops[t.pc]!;
  if (t.status === 'blocked' && t.waitKind === 'uffd_read') {
    readHead(f, m.k.uffds, t.waitCtx);
    readOpVars(f, op);
    return f;
  }
  if (GLOBAL_OPS.has(op.op)) {
    f.global = true;
    return f;
  }
  readOpVars(f, op);
  try {
    opRanges(m, t, op, f);
  } catch {
    f.global = true;
  }
  return f;
}

/** the variables an operation names (in expressions, uffd operands) and the one it defines */
function readOpVars(f: Footprint, op: CompiledOp): void {
  let keys = opVarKeys.get(op);
  if (keys === undefined) {
    const ks: number[] = [];
    const add = (k: number) => {
      if (!ks.includes(k)) ks.push(k);
    };
    for (const v of Object.values(op)) {
      if (v && typeof v === 'object' && 'k' in (v as object)) for (const s of exprSymbols(v as Expr)) add(varKey(s));
    }
    if ('uffd' in op) add(varKey(op.uffd));
    if ('as' in op && op.as) add(varKey(op.as));
    if (op.op === 'read') add(varKey(`\0buf:${op.id}`));
    keys = ks;
    opVarKeys.set(op, keys);
  }
  for (let i = 0; i < keys.length; i++) f.read(keys[i]!);
}
/** operations never change: the keys of the variables each names */
const opVarKeys = new WeakMap<CompiledOp, number[]>();

/**
 * The value of an operand in state m, as exec.ts computes it. Variables are replaced, never changed,
 * so the value is kept per expression with the variable objects it was computed from.
 */
function evalOperand(m: Machine, e: Expr): number {
  let c = operandCache.get(e);
  if (c === undefined) {
    c = { syms: [...exprSymbols(e)], vals: [], v: 0 };
    operandCache.set(e, c);
  } else {
    let same = c.vals.length === c.syms.length;
    for (let i = 0; same && i < c.syms.length; i++) if (m.vars.get(c.syms[i]!) !== c.vals[i]) same = false;
    if (same) return c.v;
  }
  const v = Number(evalExpr(e, envOf(m)));
  c.vals.length = 0;
  for (const name of c.syms) {
    const x = m.vars.get(name);
    // a uffd variable is re-made by every clone; expressions never read one, but do not keep it
    if (x === undefined || x.kind === 'uffd') {
      c.vals.length = 0;
      return v;
    }
    c.vals.push(x);
  }
  c.v = v;
  return v;
}
const operandCache = new WeakMap<Expr, { syms: string[]; vals: VarValue[]; v: number }>();

function opRanges(m: Machine, t: ThreadState, op: CompiledOp, f: Footprint): void {
  const n = (e: Expr) => evalOperand(m, e);
  const mm = t.task!.mm;
  switch (op.op) {
    case 'write': {
      const a = n(op.addr);
      readRange(f, m.k, mm, a, a + op.size);
      break;
    }
    case 'memset': case 'read': {
      const a = n(op.addr);
      readRange(f, m.k, mm, a, a + n(op.len));
      break;
    }
    case 'read_uffd':
      readHead(f, m.k.uffds, ctxOf(m, op.uffd));
      break;
    case 'uffdio_writeprotect': case 'uffdio_zeropage': case 'uffdio_wake': case 'uffdio_poison': {
      const ctx = ctxOf(m, op.uffd);
      const a = n(op.addr), len = n(op.len);
      readWake(f, m.k.uffds, ctx, a, a + len);
      readRange(f, m.k, ctx.mm, a, a + len);
      break;
    }
    case 'uffdio_copy': {
      const ctx = ctxOf(m, op.uffd);
      const d = n(op.dst), len = n(op.len);
      readWake(f, m.k.uffds, ctx, d, d + len);
      readRange(f, m.k, ctx.mm, d, d + len);
      const s = n(op.src);
      readRange(f, m.k, ctx.mm, s, s + len);
      break;
    }
    default:
      f.global = true;
  }
}

function ctxOf(m: Machine, name: string) {
  const v = m.vars.get(name);
  if (!v || v.kind !== 'uffd') throw new Error('not a uffd');
  return v.ctx;
}

/** read(2) of a uffd: its flags, and the head of the pending queue (or, when empty, its emptiness) */
function readHead(f: Footprint, uffds: readonly UserfaultfdCtx[], ctx: UserfaultfdCtx): void {
  const i = uffds.indexOf(ctx);
  f.read(key(RES.ctx, i));
  if (i < 0 || i >= MAX_QUEUED_CTX) {
    f.global = true;
    return;
  }
  // an event is read only when no fault message waits (its queue and waiter are not tracked finely)
  if (ctx.events.length > 0) {
    f.global = true;
    return;
  }
  const q = 2 * i;
  f.read(key(RES.qFront, q));
  const head = ctx.pending.at(0);
  if (head) f.read(key(RES.qAddr, q * Q_PAGES + pageOf(head.address)));
  else {
    f.read(key(RES.qBack, q));
    f.read(key(RES.qAny, q));
  }
}

/** an ioctl that may wake the faults of [lo, hi): the flags, and both queues' entries for those pages */
function readWake(f: Footprint, uffds: readonly UserfaultfdCtx[], ctx: UserfaultfdCtx, lo: number, hi: number): void {
  const i = uffds.indexOf(ctx);
  f.read(key(RES.ctx, i));
  const first = Math.floor(lo / PAGE_SIZE), last = Math.floor((hi - 1) / PAGE_SIZE);
  if (i < 0 || i >= MAX_QUEUED_CTX || !(hi > lo) || last - first >= MAX_RANGE_PAGES) {
    f.global = true;
    return;
  }
  for (let q = 2 * i; q <= 2 * i + 1; q++) for (let p = first; p <= last; p++) f.read(key(RES.qAddr, q * Q_PAGES + p));
}

const pageOf = (address: number) => Math.floor(address / PAGE_SIZE);

const scratch = new Pte();

/** the walk of every page in [lo, hi): entries, folios, contents; plus the mm's VMA list and flags */
function readRange(f: Footprint, k: Kernel, mm: MmStruct, lo: number, hi: number): void {
  f.read(key(RES.vmas, mm.id));
  f.read(key(RES.mmFlags, mm.id));
  if (!(hi > lo)) hi = lo + 1;
  for (const v of mm.vmas) if (v.vm_start < hi && v.vm_end > lo && v.uffd) f.read(key(RES.ctx, k.uffds.indexOf(v.uffd)));
  // a fault in a file mapping (shmem) reads and writes the file's page cache, which other mms map: no
  // finer footprint for it yet
  for (const v of mm.vmas) {
    if (v.vm_start < hi && v.vm_end > lo && v.vm_file !== 0) {
      f.global = true;
      return;
    }
  }
  const first = Math.floor(lo / PAGE_SIZE) * PAGE_SIZE;
  if ((hi - first) / PAGE_SIZE > MAX_RANGE_PAGES) {
    f.global = true;
    return;
  }
  const g = k.pgt;
  for (let a = first; a < hi; a += PAGE_SIZE) {
    f.readEntry(mm.pgd, levelIndex(LEVEL_PGD, a));
    const pud = childTable(k, mm, mm.pgd, levelIndex(LEVEL_PGD, a));
    if (!pud) continue;
    f.readEntry(pud, levelIndex(LEVEL_PUD, a));
    const pmd = childTable(k, mm, pud, levelIndex(LEVEL_PUD, a));
    if (!pmd) continue;
    const pi = levelIndex(LEVEL_PMD, a);
    f.readEntry(pmd, pi);
    pmd.get(pi, scratch);
    if (g.pmd_trans_huge(scratch)) {
      const base = g.pmd_pfn(scratch);
      f.read(key(RES.folio, k.folios.slotOf(base)));
      f.read(key(RES.data, base + (Math.floor(a / PAGE_SIZE) & 511)));
      continue;
    }
    const pt = childTable(k, mm, pmd, pi);
    if (!pt) continue;
    const i = Math.floor(a / PAGE_SIZE) & 511;
    f.readEntry(pt, i);
    pt.get(i, scratch);
    if (!g.pte_present(scratch)) continue;
    const pfn = g.pte_pfn(scratch);
    f.read(key(RES.folio, k.folios.slotOf(pfn)));
    f.read(key(RES.data, pfn));
  }
}

/** what the step from a to b wrote (exact: b is a's clone after one step) */
export function writeSet(a: Machine, b: Machine, f: Footprint): void {
  machineWrites(a, b, f);
  kernelWrites(a.k, b.k, f);
}

/** the scenario machine's cells the step changed (sched/cells.ts), as the resources they belong to */
function machineWrites(a: Machine, b: Machine, f: Footprint): void {
  const l = b.layout;
  const ch = changedCells;
  ch.length = 0;
  b.segs.C.changed(a.segs.C, ch);
  for (let j = 0; j < ch.length; j++) {
    const c = ch[j]!, i = l.ownerIndex[c]!;
    switch (l.ownerKind[c]) {
      case OWNER.thread: f.write(key(RES.thread, i > 0 ? i - 1 : 0xffff)); break;
      case OWNER.record: f.write(key(RES.thread, l.opThread[i]!)); break;
      case OWNER.variable: f.write(varKey(l.varNames[i]!)); break;
      case OWNER.process: f.write(key(RES.procs, 0)); break;
      case OWNER.copy: f.write(varKey(l.copyChecks[i]!.buffer)); break;
      case OWNER.snapshot: f.write(key(RES.snapshots, 0)); break;
      // deadlock is set on terminal states only, and no step reads it
    }
  }
}
const changedCells: number[] = [];

function kernelWrites(a: Kernel, b: Kernel, f: Footprint): void {
  const fa = a.folios, fb = b.folios;
  const slots: number[] = [];
  fb.changedSlots(fa, slots);
  for (const s of slots) f.write(key(RES.folio, s));
  // page-table entries written, and tables made or freed (by the pfn of their page, in either state)
  const tablePfn = (slot: number) => {
    const p = fb.pfn(slot);
    return p !== 0 ? p : fa.pfn(slot);
  };
  // a table made or freed is one write of the table (its entries need no keys of their own)
  const ch = PageTable.changes(b.pgtE, b.pgtM, a.pgtE, a.pgtM);
  for (const slot of ch.tables) f.write(key(RES.table, tablePfn(slot)));
  for (const x of ch.entries) f.write(key(RES.entry, tablePfn(x.slot) * 512 + x.i));
  if (!fa.sameAllocator(fb)) f.write(key(RES.alloc, 0));
  const pfns: number[] = [];
  b.data.changedPfns(a.data, pfns);
  for (const p of pfns) f.write(key(RES.data, p));
  if (a.hugeZeroSlot !== b.hugeZeroSlot || a.nextTid !== b.nextTid || a.mms.length !== b.mms.length ||
      a.uffds.length !== b.uffds.length || a.tasks.length !== b.tasks.length) f.write(key(RES.kernel, 0));
  // (the objects below are views of cells: where their segments did not change, nothing did)
  const mmsSame = unchanged(a.mmSeg, b.mmSeg) && unchanged(a.vmaSeg, b.vmaSeg);
  const uffdSame = unchanged(a.uffdSeg, b.uffdSeg), tasksSame = unchanged(a.taskSeg, b.taskSeg);
  for (let i = 0; i < b.mms.length && !mmsSame; i++) {
    const x = a.mms[i], y = b.mms[i]!;
    if (!x) continue;
    mmWrites(x, y, f);
  }
  for (let i = 0; i < b.uffds.length && !uffdSame; i++) {
    const x = a.uffds[i], y = b.uffds[i]!;
    if (!x) continue;
    if (x.apiDone !== y.apiDone || x.features !== y.features || x.released !== y.released || x.files !== y.files ||
        x.mmap_changing !== y.mmap_changing || x.forkOrig !== y.forkOrig || !sameQueue(x.events.toArray(), y.events.toArray())) f.write(key(RES.ctx, i));
    ctxQueueWrites(x, y, i, f);
  }
  for (let i = 0; i < b.tasks.length && !(uffdSame && tasksSame); i++) {
    const x = a.tasks[i], y = b.tasks[i]!;
    if (!x) continue;
    const u = x.uwq, v = y.uwq;
    const sameUwq = !u || !v ? u === v : sameEntry(u, v);
    if (x.signal?.sig !== y.signal?.sig || x.exiting !== y.exiting || !sameUwq) f.write(key(RES.task, y.tid));
  }
}

/** what a step did to the queues of context i (x before, y after) */
function ctxQueueWrites(x: UserfaultfdCtx, y: UserfaultfdCtx, i: number, f: Footprint): void {
  if (i >= MAX_QUEUED_CTX) {
    if (!sameQueue(x.pending.toArray(), y.pending.toArray()) || !sameQueue(x.waiting.toArray(), y.waiting.toArray())) f.write(key(RES.ctx, i));
    return;
  }
  queueWrites(x.pending.toArray(), y.pending.toArray(), 2 * i, f);
  queueWrites(x.waiting.toArray(), y.waiting.toArray(), 2 * i + 1, f);
}

// ---- queue footprints of recorded steps (step reuse) ----
//
// A recorded step's footprint is exact, cell by cell (state/reuse.ts), but a uffd queue is a compact
// list in cells: taking its head moves every entry and the count, appending writes the count, so two
// steps that commute on the queue (an append and a take of the head of a non-empty queue, a wake of one
// page and an append of another) would meet in cells. For a recorded step, the queue cells are left
// out of its cell footprint and the queue is described by what it holds, as above: the queue keys of
// readSet() before the step and of the queue writes after it.

/** what a recorded step did to the uffd queues, by what they hold */
export interface QueueFootprint {
  /** queue keys only (qFront, qBack, qAddr, qAny) */
  readonly fp: Footprint;
  /**
   * the step's reads could not be told by queue part (readSet() said global): its queue cells stay in
   * its cell footprint, and it meets every step that touched a queue
   */
  readonly global: boolean;
  /** the step read or wrote a queue cell */
  cells: boolean;
}

const QUEUE_KINDS: readonly number[] = [RES.qFront, RES.qBack, RES.qAddr, RES.qAny];

/** before thread ti's step in m: its queue reads (complete with queueStepWrites after the step) */
export function queueStepReads(m: Machine, ti: number): QueueFootprint {
  const all = readSet(m, ti);
  const fp = new Footprint();
  if (!all.global) for (const k of all.r) if (QUEUE_KINDS.includes(kindOf(k))) fp.read(k);
  return { fp, global: all.global, cells: false };
}

/** after the step from a to b: its queue writes, added to q */
export function queueStepWrites(a: Machine, b: Machine, q: QueueFootprint): void {
  const x = a.k.uffds, y = b.k.uffds;
  for (let i = 0; i < y.length && i < x.length; i++) {
    ctxQueueWrites(x[i]!, y[i]!, i, q.fp);
    // a context past MAX_QUEUED_CTX has no queue keys: its queue writes are a write of the context
    if (q.fp.w.includes(key(RES.ctx, i))) q.fp.global = true;
  }
}

/** may two recorded steps not commute on the uffd queues? (their cell footprints are checked apart) */
export function queuesDependent(x: QueueFootprint, y: QueueFootprint): boolean {
  if (x.global && y.global) return false; // both kept their queue cells: the cell check decides
  const touches = (q: QueueFootprint) => q.global || q.cells || q.fp.global || q.fp.r.length > 0 || q.fp.w.length > 0;
  if (x.global || y.global) return touches(x.global ? y : x);
  if (x.fp.global || y.fp.global) return touches(x) && touches(y);
  return dependent(x.fp, y.fp);
}

const segCells: number[] = [];
/** no cell differs between a segment and its copy */
function unchanged(x: Segment, y: Segment): boolean {
  segCells.length = 0;
  y.changed(x, segCells);
  return segCells.length === 0;
}

/** the same entry (an entry's slot is its task's) with the same message */
function sameMsg(x: Uwq, y: Uwq): boolean {
  return x.index === y.index && x.sameMsg(y);
}

function sameEntry(x: Uwq, y: Uwq): boolean {
  return sameMsg(x, y) && x.waken === y.waken && x.sleepRet === y.sleepRet;
}

function sameQueue(p: Uwq[], q: Uwq[]): boolean {
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (!sameEntry(p[i]!, q[i]!)) return false;
  return true;
}

/**
 * What a step did to uffd queue `qid` (p before, q after; entries are told apart by their task and
 * message): the pages of entries removed, added or changed; the head when the first entry
 * was removed or the queue was empty; the tail when something was appended. Removals do not write
 * the tail (an append commutes with them), appends to a non-empty queue do not write the head.
 * Anything else (an entry inserted before others, a reordering) writes the whole queue.
 */
function queueWrites(p: Uwq[], q: Uwq[], qid: number, f: Footprint): void {
  if (sameQueue(p, q)) return;
  const base = qid * Q_PAGES;
  // entries of p kept in q, in order: q must be (p minus removed entries) followed by appended ones
  let j = 0;
  let tidy = true;
  for (let i = 0; i < p.length; i++) {
    const x = p[i]!;
    const k = q.findIndex((y) => sameMsg(y, x));
    if (k < 0) {
      // removed
      f.write(key(RES.qAddr, base + pageOf(x.msg.address)));
      if (i === 0) f.write(key(RES.qFront, qid));
      continue;
    }
    if (k !== j) tidy = false;
    if (!sameEntry(x, q[k]!)) f.write(key(RES.qAddr, base + pageOf(x.msg.address)));
    j = k + 1;
  }
  for (let k = j; k < q.length; k++) {
    const y = q[k]!;
    if (p.some((x) => sameMsg(x, y))) {
      tidy = false;
      continue;
    }
    f.write(key(RES.qAddr, base + pageOf(y.msg.address)));
    f.write(key(RES.qBack, qid));
    if (p.length === 0) f.write(key(RES.qFront, qid));
  }
  // kept entries must fill q[0..j) exactly (nothing inserted between or before them)
  if (tidy) for (let k = 0; k < j; k++) if (!p.some((x) => sameMsg(x, q[k]!))) tidy = false;
  if (!tidy) {
    f.write(key(RES.qFront, qid));
    f.write(key(RES.qBack, qid));
    for (const x of p) f.write(key(RES.qAddr, base + pageOf(x.msg.address)));
    for (const y of q) f.write(key(RES.qAddr, base + pageOf(y.msg.address)));
  }
}

function mmWrites(x: MmStruct, y: MmStruct, f: Footprint): void {
  if (x.vmas.length !== y.vmas.length) f.write(key(RES.vmas, y.id));
  else {
    for (let i = 0; i < x.vmas.length; i++) {
      const v = x.vmas[i]!, w = y.vmas[i]!;
      if (v.vm_start !== w.vm_start || v.vm_end !== w.vm_end || v.vm_flags !== w.vm_flags || v.vm_flags_hi !== w.vm_flags_hi ||
          !v.vm_page_prot.equals(w.vm_page_prot) || v.vm_pgoff !== w.vm_pgoff || (v.anon_vma?.id ?? 0) !== (w.anon_vma?.id ?? 0) ||
          (v.uffd === null) !== (w.uffd === null) || (v.uffd && w.uffd && v.uffd.id !== w.uffd.id)) {
        f.write(key(RES.vmas, y.id));
        break;
      }
    }
  }
  if (x.mmap_changing !== y.mmap_changing || x.hasPinned !== y.hasPinned || x.users !== y.users || x.pgd.pfn !== y.pgd.pfn) f.write(key(RES.mmFlags, y.id));
  if (x.anonPages !== y.anonPages) f.write(key(RES.mmRss, y.id));
}

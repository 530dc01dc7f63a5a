// The model of one running Linux kernel: its profile (patches + config), physical memory, address
// spaces, tasks, userfaultfd contexts, counters and trace. Model functions take this as `k`.
import { X86Pgtable } from './arch/x86/include/pgtable.js';
import { FolioStore, FOLIO_SEGMENTS, PG_zero, PG_reserved } from './mm/folio.js';
import { Store, type Segment, type SegmentSpec } from '../state/store.js';
import { VmStat, VMSTAT_SEGMENTS } from './mm/vmstat.js';
import { PageData, PAGE_DATA_SEGMENTS } from './mm/page_data.js';
import { PGTABLE_SEGMENTS, allocTable, LEVEL_PGD, type PageTable } from './mm/pgtable.js';
import { MmStruct, type AnonVma, type FingerprintIds } from './include/mm_types.js';
import { Task } from './include/sched.js';
import type { UserfaultfdCtx, Uwq } from './fs/userfaultfd.js';
import type { StateHasher } from '../state/hasher.js';
import { Patch, PATCH_LIST } from '../profiles/patches.js';
import { fastPathBits, x86PgtableOptions } from '../profiles/fastpath.js';
import type { KernelConfig } from '../profiles/config.js';
import type { KernelSpec } from '../profiles/profiles.js';
import { Tracer, TraceValue, type EventType } from '../trace/events.js';

export type { KernelSpec } from '../profiles/profiles.js';

export { VmStat } from './mm/vmstat.js';

/** the segments of the kernel's Store, in order */
const KERNEL_SEGMENTS = [...FOLIO_SEGMENTS, ...PGTABLE_SEGMENTS, ...VMSTAT_SEGMENTS, ...PAGE_DATA_SEGMENTS,
  { name: 'kernel', flat: true }, { name: 'mm', flat: true }, { name: 'task', flat: true }, { name: 'task.stats', counter: true, flat: true }];
const SEG_FOLIO = 0;
const SEG_PGTABLE = FOLIO_SEGMENTS.length;
const SEG_VMSTAT = SEG_PGTABLE + PGTABLE_SEGMENTS.length;
const SEG_DATA = SEG_VMSTAT + VMSTAT_SEGMENTS.length;
const SEG_KERNEL = SEG_DATA + PAGE_DATA_SEGMENTS.length;
const K_HUGE_ZERO = 0, K_NEXT_MM = 1, K_NEXT_TID = 2;

export class Kernel {
  readonly spec: KernelSpec;
  readonly config: KernelConfig;
  private readonly patchBits: Uint8Array;
  /** FP_* bits of the fast paths (src/profiles/fastpath.ts), derived from the profile like patchBits */
  readonly fp: number;
  readonly pgt: X86Pgtable;
  /** the state kept in cells (src/state/store.ts): folios and the allocator so far */
  st: Store;
  folios: FolioStore;
  /** what is written in physical pages (cells of st) */
  data: PageData;
  /** ZERO_PAGE(0): my_zero_pfn() */
  zero_pfn: number;
  zeroSlot: number;
  /** huge_zero_folio, allocated on first use (mm/huge_memory.ts mm_get_huge_zero_folio) */
  get hugeZeroSlot(): number { return this.K.get(K_HUGE_ZERO) - 1; }
  set hugeZeroSlot(slot: number) { this.K.set(K_HUGE_ZERO, slot + 1); }
  mms: MmStruct[];
  tasks: Task[];
  uffds: UserfaultfdCtx[];
  /** /proc/vmstat (counter cells of st) */
  vmstat: VmStat;
  /** the task whose system call or fault is running */
  current: Task | null;
  tr: Tracer | null;
  /** the kernel's own cells: the huge zero folio, the next mm id and pid */
  private readonly K: Segment;
  private get nextMmId(): number { return this.K.get(K_NEXT_MM) + 1; }
  private set nextMmId(v: number) { this.K.set(K_NEXT_MM, v - 1); }
  get nextTid(): number { return this.K.get(K_NEXT_TID) + 1000; }
  set nextTid(v: number) { this.K.set(K_NEXT_TID, v - 1000); }
  /** the segments of mm_struct and task_struct fields */
  readonly mmSeg: Segment;
  readonly taskSeg: Segment;
  readonly taskStats: Segment;
  /** the page tables' segments: entries and per-table data (mm/pgtable.ts) */
  readonly pgtE: Segment;
  readonly pgtM: Segment;

  /**
   * A new kernel of this spec, or (`from`) the copy Kernel.clone() makes: one constructor for both, and
   * no field with an initializer, so the compiler sees every field set on either path.
   */
  constructor(spec: KernelSpec, from?: { o: Kernel; st: Store; mms: MmStruct[]; tasks: Task[]; uffds: UserfaultfdCtx[] } | null,
    extra: readonly SegmentSpec[] = []) {
    this.spec = spec;
    this.config = spec.config;
    const st = (this.st = from ? from.st : new Store(extra.length ? [...KERNEL_SEGMENTS, ...extra] : KERNEL_SEGMENTS));
    // a plain run never asks for a fingerprint: the lanes are brought up to date by the first one
    if (!from) st.hashing = false;
    this.folios = new FolioStore(st, SEG_FOLIO);
    this.vmstat = new VmStat(st.segs[SEG_VMSTAT]!);
    this.data = new PageData(st.segs[SEG_DATA]!);
    this.K = st.segs[SEG_KERNEL]!;
    this.mmSeg = st.segs[SEG_KERNEL + 1]!;
    this.taskSeg = st.segs[SEG_KERNEL + 2]!;
    this.taskStats = st.segs[SEG_KERNEL + 3]!;
    this.pgtE = st.segs[SEG_PGTABLE]!;
    this.pgtM = st.segs[SEG_PGTABLE + 1]!;
    this.mms = from ? from.mms : [];
    this.tasks = from ? from.tasks : [];
    this.uffds = from ? from.uffds : [];
    // a copy is not running anything, and is not traced
    this.current = null;
    this.tr = null;
    if (from) {
      // the profile's derived tables are immutable: shared
      this.patchBits = from.o.patchBits;
      this.fp = from.o.fp;
      this.pgt = from.o.pgt;
      this.zeroSlot = from.o.zeroSlot;
      this.zero_pfn = from.o.zero_pfn;
      return;
    }
    this.patchBits = new Uint8Array(PATCH_LIST.length);
    for (const p of spec.patches) this.patchBits[p.index] = 1;
    this.fp = fastPathBits((p) => this.has(p));
    this.pgt = new X86Pgtable(x86PgtableOptions(this.fp, spec.config));
    // empty_zero_page (arch/x86/kernel/head_64.S): in the kernel image, so PG_reserved and nothing else
    this.zeroSlot = this.folios.alloc(0, PG_zero | PG_reserved);
    this.zero_pfn = this.folios.pfn(this.zeroSlot);
  }

  /**
   * A copy of the whole kernel state, for the explorer: page tables and page contents are shared
   * copy-on-write, folio arrays copied, mm/uffd/task objects duplicated and re-linked (the clone's
   * mms, uffds and tasks are at the same indices as the originals). The profile, config and pgtable
   * helpers are immutable and shared. The clone is not traced.
   */
  clone(): Kernel {
    const mms0 = this.mms, uffds0 = this.uffds, tasks0 = this.tasks;
    const st = this.st.clone();
    const E = st.segs[SEG_PGTABLE]!, M = st.segs[SEG_PGTABLE + 1]!;
    const rebind = (t: PageTable) => t.rebind(E, M);
    const mms: MmStruct[] = new Array(mms0.length);
    const mmSeg = st.segs[SEG_KERNEL + 1]!, taskSeg = st.segs[SEG_KERNEL + 2]!, taskStats = st.segs[SEG_KERNEL + 3]!;
    for (let i = 0; i < mms0.length; i++) mms[i] = mms0[i]!.clone(rebind, mmSeg);
    const uffds: UserfaultfdCtx[] = new Array(uffds0.length);
    for (let i = 0; i < uffds0.length; i++) {
      const x = uffds0[i]!;
      uffds[i] = x.clone(mms[mms0.indexOf(x.mm)] ?? x.mm);
    }
    const tasks: Task[] = new Array(tasks0.length);
    for (let i = 0; i < tasks0.length; i++) {
      const t = tasks0[i]!;
      tasks[i] = t.dup(mms[mms0.indexOf(t.mm)] ?? t.mm, taskSeg, taskStats);
    }
    const c = new Kernel(this.spec, { o: this, st, mms, tasks, uffds });
    // a sleeping fault's queue entry is referenced by its task and (until woken) by a uffd queue
    let olds: Uwq[] | null = null, news: Uwq[] | null = null;
    const uwq = (u: Uwq): Uwq => {
      if (olds === null || news === null) {
        olds = [];
        news = [];
      }
      const i = olds.indexOf(u);
      if (i >= 0) return news[i]!;
      const n = u.clone(uffds[uffds0.indexOf(u.ctx)] ?? u.ctx, tasks[tasks0.indexOf(u.task)] ?? u.task);
      olds.push(u);
      news.push(n);
      return n;
    };
    for (let i = 0; i < uffds.length; i++) {
      const x = uffds0[i]!, y = uffds[i]!;
      for (let j = 0; j < x.pending.length; j++) y.pending.push(uwq(x.pending[j]!));
      for (let j = 0; j < x.waiting.length; j++) y.waiting.push(uwq(x.waiting[j]!));
    }
    for (let i = 0; i < tasks.length; i++) {
      const u = tasks0[i]!.uwq;
      if (u) tasks[i]!.uwq = uwq(u);
    }
    if (uffds.length) {
      for (let i = 0; i < mms.length; i++) {
        const vs = mms[i]!.vmas;
        for (let j = 0; j < vs.length; j++) {
          const v = vs[j]!;
          if (v.uffd) v.uffd = uffds[uffds0.indexOf(v.uffd)] ?? v.uffd;
        }
      }
    }
    return c;
  }

  /**
   * Fingerprint (explorer): folios and the allocator, page contents, every mm, uffd and task;
   * vmstat goes to the counter lane. Objects whose ids depend on history (uffd contexts, anon_vmas)
   * are numbered by position.
   */
  fingerprint(h: StateHasher): void {
    const st = this.st;
    if (!st.hashing) st.startHashing();
    h.pair(st.f1, st.f2);
    const uffds = this.uffds;
    const ids = fpIds;
    ids.uffds = uffds;
    ids.nAnon = 0;
    const mms = this.mms, tasks = this.tasks;
    h.u32(mms.length);
    for (let i = 0; i < mms.length; i++) mms[i]!.fingerprint(h, ids);
    h.u32(uffds.length);
    for (let i = 0; i < uffds.length; i++) uffds[i]!.fingerprint(h, ids);
    h.u32(tasks.length);
    for (let i = 0; i < tasks.length; i++) tasks[i]!.fingerprint(h, ids);
    // (the numbered anon_vmas stay in ids.anon until overwritten: a few small objects)
    ids.uffds = NO_UFFDS;
    ids.nAnon = 0;
    // the store's counter lane: vmstat
    h.counter(st.c1);
  }

  /**
   * The segments a user of the kernel asked for (the constructor's `extra`: the scenario machine's),
   * in the same Store, so that one copy and one fingerprint cover both
   */
  extraSegments(): Segment[] {
    return this.st.segs.slice(KERNEL_SEGMENTS.length);
  }

  /** Is this behaviour (patch) part of the running kernel? */
  has(p: Patch): boolean {
    return this.patchBits[p.index] === 1;
  }

  // ---- trace -------------------------------------------------------------------------------
  trace(type: EventType, fn: string, fields?: Record<string, TraceValue>): void {
    this.tr?.emit(type, fn, fields);
  }
  /** printk(): a line the kernel log would show */
  printk(fn: string, text: string): void {
    this.tr?.emit('klog', fn, { text });
  }

  // ---- address spaces ----------------------------------------------------------------------
  newMm(): MmStruct {
    const pgd = allocTable(this, LEVEL_PGD, 0);
    const mm = new MmStruct(this.nextMmId++, pgd, this.mmSeg);
    mm.users = 1;
    mm.tables.set(pgd.pfn, pgd);
    this.mms.push(mm);
    return mm;
  }

  newTask(comm: string, mm: MmStruct, pid?: number): Task {
    const tid = this.nextTid++;
    const t = new Task(tid, comm, mm, pid ?? tid, this.tasks.length, this.taskSeg, this.taskStats);
    // a thread shares its process's credentials (glibc changes them in every thread at once)
    if (pid !== undefined) {
      const peer = this.tasks.find((x) => x.pid === pid);
      if (peer) t.uid = peer.uid;
    }
    this.tasks.push(t);
    return t;
  }

}


const NO_UFFDS: UserfaultfdCtx[] = [];

/** canonical numbers of uffd contexts (by position) and anon_vmas (by first use) during one fingerprint */
class FpIds implements FingerprintIds {
  uffds: UserfaultfdCtx[] = NO_UFFDS;
  /** anon_vmas numbered so far: anon[0, nAnon) */
  readonly anon: AnonVma[] = [];
  nAnon = 0;
  ctx(c: UserfaultfdCtx | null): number {
    return c ? this.uffds.indexOf(c) : -1;
  }
  private indexOf(a: AnonVma): number {
    const anon = this.anon;
    for (let i = 0; i < this.nAnon; i++) if (anon[i] === a) return i;
    return -1;
  }
  anonVma(a: AnonVma | null): number {
    if (!a) return -1;
    let i = this.indexOf(a);
    if (i < 0) {
      i = this.nAnon++;
      this.anon[i] = a;
      if (a.root) this.anonVma(a.root);
    }
    return a.root ? (i << 8) | (this.indexOf(a.root) & 0xff) : (i << 8) | 0xff;
  }
}
const fpIds = new FpIds();

// The model of one running Linux kernel: its profile (patches + config), physical memory, address
// spaces, tasks, userfaultfd contexts, counters and trace. Model functions take this as `k`.
import { notModelled } from './include/errno.js';
import type { Pgtable } from './arch/pgtable.js';
import { archRules } from './arch/arch.js';
import { FolioStore, FOLIO_SEGMENTS, PG_zero, PG_reserved } from './mm/folio.js';
import { Store, type Segment, type SegmentSpec } from '../state/store.js';
import { VmStat, VMSTAT_SEGMENTS } from './mm/vmstat.js';
import { PageData, PAGE_DATA_SEGMENTS } from './mm/page_data.js';
import { PGTABLE_SEGMENTS, allocTable, LEVEL_PGD, PageTable } from './mm/pgtable.js';
import { AnonVma, MmStruct, SlotAllocator } from './include/mm_types.js';
import { Task, TASK_MAX } from './include/sched.js';
import { SwapInfo, SWAP_SEGMENTS } from './mm/swapfile.js';
import { UserfaultfdCtx, Uwq, UFFD_MAX } from './fs/userfaultfd.js';
import { AddressSpace, INODE_SEGMENTS } from './mm/filemap.js';
import type { StateHasher } from '../state/hasher.js';
import { internHash } from '../state/intern.js';
import { Patch, PATCH_LIST } from '../profiles/patches.js';
import { fastPathBits } from '../profiles/fastpath.js';
import type { KernelConfig } from '../profiles/config.js';
import type { KernelSpec } from '../profiles/profiles.js';
import { Tracer, TraceValue, type EventType } from '../trace/events.js';
import { HState, HUGETLB_SEGMENTS, hugetlb_init } from './mm/hugetlb.js';
import { DevMem, DEVMEM_SEGMENTS } from './mm/memremap.js';

export type { KernelSpec } from '../profiles/profiles.js';

export { VmStat } from './mm/vmstat.js';

/** the segments of the kernel's Store, in order */
const KERNEL_SEGMENTS: readonly SegmentSpec[] = [...FOLIO_SEGMENTS, ...PGTABLE_SEGMENTS, ...VMSTAT_SEGMENTS, ...PAGE_DATA_SEGMENTS,
  { name: 'kernel', flat: true }, { name: 'mm', flat: true }, { name: 'task', flat: true }, { name: 'task.stats', counter: true, flat: true },
  { name: 'vma' }, { name: 'uffd', flat: true },
  // display only (names: interned strings), in no fingerprint lane
  { name: 'names', display: true, hashValue: internHash },
  // the swap device and the swap cache (mm/swapfile.ts)
  ...SWAP_SEGMENTS,
  // inodes, their page caches, folio->mapping and index (mm/filemap.ts)
  ...INODE_SEGMENTS,
  // the hugetlb pool and the VMAs' reservation maps (mm/hugetlb.ts)
  ...HUGETLB_SEGMENTS,
  // device: the HMM test driver's device-coherent memory (mm/memremap.ts)
  ...DEVMEM_SEGMENTS];
const SEG_FOLIO = 0;
const SEG_PGTABLE = FOLIO_SEGMENTS.length;
const SEG_VMSTAT = SEG_PGTABLE + PGTABLE_SEGMENTS.length;
const SEG_DATA = SEG_VMSTAT + VMSTAT_SEGMENTS.length;
const SEG_KERNEL = SEG_DATA + PAGE_DATA_SEGMENTS.length;
const SEG_MM = SEG_KERNEL + 1, SEG_TASK = SEG_KERNEL + 2, SEG_TASK_STATS = SEG_KERNEL + 3, SEG_VMA = SEG_KERNEL + 4;
const SEG_UFFD = SEG_KERNEL + 5, SEG_NAMES = SEG_KERNEL + 6, SEG_SWAP = SEG_KERNEL + 7;
const SEG_INODE = SEG_SWAP + SWAP_SEGMENTS.length;
const SEG_HUGETLB = SEG_INODE + INODE_SEGMENTS.length;
const SEG_DEVMEM = SEG_HUGETLB + HUGETLB_SEGMENTS.length;
/** the kernel segment's cells: the huge zero folio, the next mm id (the number of mms) and pid, the numbers of tasks and uffds */
const K_HUGE_ZERO = 0, K_NEXT_MM = 1, K_NEXT_TID = 2, K_NR_TASKS = 3, K_NR_UFFDS = 4;
/** fs/proc/task_mmu.c soft_dirty_cleared (v3.11 .. v4.2): 1 once any clear_refs got 4 (pagemap's "v2" flags from then on) */
const K_SOFT_DIRTY_CLEARED = 5;
/**
 * ... and the anon_vma and VMA slot allocators (each a mark, a depth and a stack: the anon_vma stack is
 * emptied by every renumbering, the VMA one last, as it may grow)
 */
const K_ANON_ALLOC = 64, K_VMA_ALLOC = 128;

export class Kernel {
  readonly spec: KernelSpec;
  readonly config: KernelConfig;
  private readonly patchBits: Uint8Array;
  /** FP_* bits of the fast paths (src/profiles/fastpath.ts), derived from the profile like patchBits */
  readonly fp: number;
  /** the architecture's page-table rules (the row of src/kernel/arch/arch.ts the profile names) */
  readonly pgt: Pgtable;
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
  /** soft_dirty_cleared of fs/proc/task_mmu.c before deb945441b94 (v4.3): a write of 4 to any clear_refs happened */
  get softDirtyCleared(): boolean { return this.K.get(K_SOFT_DIRTY_CLEARED) !== 0; }
  set softDirtyCleared(v: boolean) { this.K.set(K_SOFT_DIRTY_CLEARED, v ? 1 : 0); }
  /** /proc/vmstat (counter cells of st) */
  vmstat: VmStat;
  /** the swap device (type 0) and the swap cache (cells of st) */
  swap: SwapInfo;
  /** the hugetlb pool's counters (default_hstate) and mms' hugetlb_usage (cells of st) */
  hstate: HState;
  /** the HMM test driver's device-coherent memory (mm/memremap.ts): its counters and free list */
  devmem: DevMem;
  /** the reservation maps of hugetlb VMAs, by VMA slot (mm/hugetlb.ts) */
  readonly hugetlbResv: Segment;
  /** the task whose system call or fault is running */
  current: Task | null;
  /**
   * migration_entry_wait (not state: set and read within one step): the address whose fault met a migration
   * entry, -1 when none; a CPU access that may sleep sets migrationWaitOk around its fault
   */
  migrationWait = -1;
  migrationWaitOk = false;
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
  /** the segments of VMAs, anon_vmas, uffd contexts, their queues and entries (include/mm_types.ts, fs/userfaultfd.ts) */
  readonly vmaSeg: Segment;
  /** anon_vmas' cells are in the vma segment (below the VMAs') */
  readonly anonSeg: Segment;
  readonly uffdSeg: Segment;
  /** the display segment: VMA labels, task comms, uffd names (interned), uffd_wp_left */
  readonly names: Segment;
  readonly vmaAlloc: SlotAllocator;
  readonly anonAlloc: SlotAllocator;
  /** inodes (flat), their page caches by index, and each folio's mapping and index (mm/filemap.ts) */
  readonly inodeSeg: Segment;
  readonly inodePages: Segment;
  readonly folioMap: Segment;
  private inodeViews: (AddressSpace | undefined)[];
  // Views of the objects in cells, one per object (so that `===` compares objects), made on first use
  // and dropped by resync(). Nothing here is state: a copy of the kernel starts with none.
  private mmList: MmStruct[];
  private taskList: Task[];
  private uffdList: UserfaultfdCtx[];
  private anonViews: (AnonVma | undefined)[];
  private uwqViews: (Uwq | undefined)[];
  private tableViews: (PageTable | undefined)[];

  /**
   * A new kernel of this spec, or (`from`) the copy Kernel.clone() makes: one constructor for both, and
   * no field with an initializer, so the compiler sees every field set on either path.
   */
  constructor(spec: KernelSpec, from?: { o: Kernel; st: Store } | null, extra: readonly SegmentSpec[] = []) {
    this.spec = spec;
    this.config = spec.config;
    const st = (this.st = from ? from.st : new Store(extra.length ? [...KERNEL_SEGMENTS, ...extra] : KERNEL_SEGMENTS));
    // a plain run never asks for a fingerprint: the lanes are brought up to date by the first one
    if (!from) st.hashing = false;
    this.folios = new FolioStore(st, SEG_FOLIO);
    this.vmstat = new VmStat(st.segs[SEG_VMSTAT]!);
    this.data = new PageData(st.segs[SEG_DATA]!);
    const sw = st.segs;
    this.swap = new SwapInfo(sw[SEG_SWAP]!, sw[SEG_SWAP + 1]!, sw[SEG_SWAP + 2]!, sw[SEG_SWAP + 3]!, sw[SEG_SWAP + 4]!);
    this.K = st.segs[SEG_KERNEL]!;
    this.mmSeg = st.segs[SEG_MM]!;
    this.taskSeg = st.segs[SEG_TASK]!;
    this.taskStats = st.segs[SEG_TASK_STATS]!;
    this.pgtE = st.segs[SEG_PGTABLE]!;
    this.pgtM = st.segs[SEG_PGTABLE + 1]!;
    this.vmaSeg = st.segs[SEG_VMA]!;
    this.names = st.segs[SEG_NAMES]!;
    this.anonSeg = this.vmaSeg;
    this.uffdSeg = st.segs[SEG_UFFD]!;
    this.inodeSeg = st.segs[SEG_INODE]!;
    this.inodePages = st.segs[SEG_INODE + 1]!;
    this.folioMap = st.segs[SEG_INODE + 2]!;
    this.inodeViews = [];
    this.hstate = new HState(st.segs[SEG_HUGETLB]!);
    this.devmem = new DevMem(st.segs[SEG_DEVMEM]!);
    this.hugetlbResv = st.segs[SEG_HUGETLB + 1]!;
    this.vmaAlloc = new SlotAllocator(this.K, K_VMA_ALLOC);
    this.anonAlloc = new SlotAllocator(this.K, K_ANON_ALLOC);
    this.mmList = [];
    this.taskList = [];
    this.uffdList = [];
    this.anonViews = [];
    this.uwqViews = [];
    this.tableViews = [];
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
    this.fp = fastPathBits((p) => this.has(p), spec.arch ?? 'x86_64');
    this.pgt = archRules(spec.arch).make(this.fp, (p) => this.has(p), spec.config);
    // empty_zero_page (arch/x86/kernel/head_64.S): in the kernel image, so PG_reserved and nothing else
    this.zeroSlot = this.folios.alloc(0, PG_zero | PG_reserved);
    this.zero_pfn = this.folios.pfn(this.zeroSlot);
    hugetlb_init(this);
  }

  /**
   * A copy of the whole kernel state, for the explorer: the Store copied (copy-on-write), new views
   * over it made as they are used. The profile, config and pgtable helpers are immutable and shared.
   * The clone is not traced.
   */
  clone(): Kernel {
    return new Kernel(this.spec, { o: this, st: this.st.clone() });
  }

  /** a kernel like clone()'s copy, over `st`: a copy of this kernel's store that no other kernel uses */
  over(st: Store): Kernel {
    st.ownAll();
    return new Kernel(this.spec, { o: this, st });
  }

  /**
   * Drop every view, so that they are made again from the cells: after cells were written other than
   * through the kernel's code (a step's recorded writes replayed on another state)
   */
  resync(): void {
    this.mmList = [];
    this.taskList = [];
    this.uffdList = [];
    this.anonViews = [];
    this.uwqViews = [];
    this.tableViews = [];
    this.inodeViews = [];
    this.current = null;
  }

  /** Fingerprint (explorer): the store's lanes; vmstat and the other counters go to the counter lane */
  fingerprint(h: StateHasher): void {
    const st = this.st;
    if (!st.hashing) st.startHashing();
    h.pair(st.f1, st.f2);
    h.counter(st.c1);
  }

  // ---- the views of objects in cells --------------------------------------------------------

  /** the address spaces, by id - 1 (a view: Kernel.newMm adds one) */
  get mms(): readonly MmStruct[] {
    const n = this.K.get(K_NEXT_MM), l = this.mmList;
    for (let i = l.length; i < n; i++) l.push(new MmStruct(this, i + 1, this.mmSeg));
    return l;
  }
  /** the tasks, by index (a view: Kernel.newTask adds one) */
  get tasks(): readonly Task[] {
    const n = this.K.get(K_NR_TASKS), l = this.taskList;
    for (let i = l.length; i < n; i++) l.push(new Task(this, i, this.taskSeg, this.taskStats, this.names));
    return l;
  }
  /**
   * mms[id - 1] and tasks[index], without the getters' read of the count they make views up to where the
   * view is made already and no recorder listens (the read decides nothing then); task.mm and a thread's
   * task ask on every step, several times
   */
  mmAt(id: number): MmStruct {
    const l = this.mmList;
    return id <= l.length && this.st.rec === null ? l[id - 1]! : this.mms[id - 1]!;
  }
  taskAt(index: number): Task {
    const l = this.taskList;
    return index < l.length && this.st.rec === null ? l[index]! : this.tasks[index]!;
  }
  /** the userfaultfd contexts, by id (a view: newUffdCtx adds one) */
  get uffds(): readonly UserfaultfdCtx[] {
    const n = this.K.get(K_NR_UFFDS), l = this.uffdList;
    for (let i = l.length; i < n; i++) {
      l.push(new UserfaultfdCtx(this, this.uffdSeg, this.names, i));
    }
    return l;
  }
  /** the context with this id (-1: none) */
  uffdCtx(id: number): UserfaultfdCtx | null {
    return id < 0 ? null : this.uffds[id] ?? null;
  }
  /** a new userfaultfd context, its cells zero (sys_userfaultfd fills them) */
  newUffdCtx(): UserfaultfdCtx {
    const n = this.K.get(K_NR_UFFDS);
    if (n >= UFFD_MAX) notModelled('op', `model limit: more than ${UFFD_MAX} userfaultfd contexts`);
    this.K.set(K_NR_UFFDS, n + 1);
    return this.uffds[n]!;
  }
  /** the inode with this id (0: none; mm/filemap.ts) */
  inode(ino: number): AddressSpace | null {
    if (ino === 0) return null;
    let a = this.inodeViews[ino];
    if (a === undefined) this.inodeViews[ino] = a = new AddressSpace(this, this.inodeSeg, this.inodePages, this.names, ino);
    return a;
  }
  /** the number of inodes ever made (ids 1 ..) */
  get nrInodes(): number { return this.inodeSeg.get(0); }

  /** the anon_vma with this id (0: none) */
  anonVma(id: number): AnonVma | null {
    if (id === 0) return null;
    let a = this.anonViews[id];
    if (a === undefined) this.anonViews[id] = a = new AnonVma(this, this.anonSeg, id);
    return a;
  }
  forgetAnonVma(id: number): void {
    this.anonViews[id] = undefined;
  }
  /** the anon_vmas renumbered (canonAnonVmas): the view of old id i is now that of newOf[i] */
  renumberAnonVmas(newOf: Int32Array): void {
    const old = this.anonViews, views: (AnonVma | undefined)[] = [];
    for (let i = 1; i < old.length; i++) {
      const a = old[i];
      if (a === undefined) continue;
      const n = newOf[i] ?? 0;
      if (n === 0) throw new Error(`BUG: anon_vma ${i} has a view but is not live`);
      a.id = n;
      views[n] = a;
    }
    this.anonViews = views;
  }
  /** the userfaultfd wait-queue entry of the task at index */
  uwqOf(index: number): Uwq {
    let u = this.uwqViews[index];
    if (u === undefined) this.uwqViews[index] = u = new Uwq(this, this.uffdSeg, index);
    return u;
  }
  /** the page table at pfn, or null when that page is none */
  pageTable(pfn: number): PageTable | null {
    const slot = this.folios.slotOf(pfn);
    if (slot < 0) return null;
    return this.pageTableBySlot(slot, pfn);
  }
  /** the page table in the page of folio slot (-1: none) */
  pageTableBySlot(slot: number, pfn?: number): PageTable | null {
    if (slot < 0) return null;
    // (the same reads whether the view is cached or not: a step's reads are a function of the cells)
    if (pfn === undefined) pfn = this.folios.pfn(slot);
    const t = this.tableViews[slot];
    if (t !== undefined) {
      PageTable.noteLookup(this.pgtM, slot);
      return t;
    }
    const v = PageTable.at(this.pgtE, this.pgtM, slot, pfn);
    if (v !== null) this.tableViews[slot] = v;
    return v;
  }
  /** a new table's view (allocTable) */
  tableMade(t: PageTable): PageTable {
    this.tableViews[t.slot] = t;
    return t;
  }
  /** a freed table's view dropped (freeTable) */
  tableFreed(t: PageTable): void {
    this.tableViews[t.slot] = undefined;
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
    const id = this.nextMmId++;
    const mm = this.mms[id - 1]!;
    mm.pgd = pgd;
    mm.users = 1;
    return mm;
  }

  newTask(comm: string, mm: MmStruct, pid?: number): Task {
    const tid = this.nextTid++;
    const n = this.K.get(K_NR_TASKS);
    if (n >= TASK_MAX) notModelled('op', `model limit: more than ${TASK_MAX} tasks`);
    this.K.set(K_NR_TASKS, n + 1);
    const t = this.tasks[n]!;
    t.init(tid, comm, mm, pid ?? tid);
    // a thread shares its process's credentials (glibc changes them in every thread at once)
    if (pid !== undefined) {
      const peer = this.tasks.find((x) => x.pid === pid && x !== t);
      if (peer) t.uid = peer.uid;
    }
    return t;
  }
}

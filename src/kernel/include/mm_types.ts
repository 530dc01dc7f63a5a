// struct mm_struct, struct vm_area_struct, struct anon_vma (include/linux/mm_types.h, rmap.h), reduced
// to the fields the model reads. All three are views over cells of the kernel's Store (docs/state.md):
// they keep no state of their own, a copy of the Store copies them, and the fingerprint follows every
// field written. One view per object per kernel (Kernel's caches), so `===` compares objects.
import { notModelled } from '../include/errno.js';
import { Pte } from '../arch/x86/include/pte.js';
import { childTable, type PageTable } from '../mm/pgtable.js';
import type { UserfaultfdCtx } from '../fs/userfaultfd.js';
import type { Kernel } from '../kernel.js';
import type { Segment } from '../../state/store.js';
import { internString, internedValue } from '../../state/intern.js';
import { shmem_evict_inode } from '../mm/shmem.js';
import { VM_HUGETLB } from './vm_flags.js';
import { hugetlb_resv_clear, hugetlb_resv_copy, hugetlb_resv_move } from '../mm/hugetlb.js';

const TWO32 = 4294967296;
/** a 64-bit field (addresses, offsets) in two cells */
export function get64(S: Segment, i: number): number {
  return (S.get(i) >>> 0) + (S.get(i + 1) >>> 0) * TWO32;
}
export function set64(S: Segment, i: number, v: number): void {
  S.set(i, v % TWO32);
  S.set(i + 1, Math.floor(v / TWO32));
}

/** a segment that throws on any use: the cells of a view whose object was freed */
export const FREED = {
  get(): number { throw new Error('BUG: use of a freed kernel object (its slot may have been reused)'); },
  set(): void { throw new Error('BUG: use of a freed kernel object (its slot may have been reused)'); },
} as unknown as Segment;

/**
 * An allocator of slots (VMAs, anon_vmas) in cells: a high-water mark and a LIFO stack of freed slots,
 * so that the next slot is a function of the state. Freeing the highest slot lowers the mark instead
 * (and pops freed slots just under it), so that an allocation undone leaves the cells as they were.
 */
export class SlotAllocator {
  /** S: the segment, base: its first cell ([base] the mark, [base + 1] the stack depth, the stack after) */
  constructor(private readonly S: Segment, private readonly base: number) {}
  alloc(): number {
    const S = this.S, b = this.base;
    const n = S.get(b + 1);
    if (n > 0) {
      const s = S.get(b + 1 + n);
      S.set(b + 1 + n, 0);
      S.set(b + 1, n - 1);
      return s;
    }
    const hw = S.get(b);
    S.set(b, hw + 1);
    return hw;
  }
  /** the high-water mark: slots below it are live or on the stack */
  mark(): number {
    return this.S.get(this.base);
  }
  /** slots 0 .. n - 1 live, none free (after a renumbering that made them dense) */
  reset(n: number): void {
    const S = this.S, b = this.base;
    const depth = S.get(b + 1);
    for (let i = 1; i <= depth; i++) S.set(b + 1 + i, 0);
    S.set(b + 1, 0);
    S.set(b, n);
  }
  free(s: number): void {
    const S = this.S, b = this.base;
    let hw = S.get(b);
    if (s !== hw - 1) {
      const n = S.get(b + 1) + 1;
      S.set(b + 1 + n, s);
      S.set(b + 1, n);
      return;
    }
    hw--;
    let n = S.get(b + 1);
    while (n > 0 && S.get(b + 1 + n) === hw - 1) {
      S.set(b + 1 + n, 0);
      n--;
      hw--;
    }
    S.set(b + 1, n);
    S.set(b, hw);
  }
}

/** the cells of one anon_vma in the vma segment (at id * AV_CELLS, below VMA_BASE; ids from 1) */
export const AV_CELLS = 4;
/** the first cell of the VMAs in the vma segment (anon_vmas below it) */
const VMA_BASE = 1 << 16;
const AV_LIVE = 0, AV_PARENT = 1, AV_ROOT = 2, AV_REFS = 3;

/**
 * struct anon_vma (include/linux/rmap.h): VMAs split from one another share it; fork gives the child a
 * new one whose parent is the parent VMA's. Immutable once made: the kernel's counters (num_children,
 * num_active_vmas) and whether its interval tree is empty are counted from the VMAs' anon_vma and
 * anon_vma_chain when needed (mm/vma.ts). A view of cells (live, parent id, root id, and how many
 * references the model holds: VMAs' anon_vma and anon_vma_chain, children's parent), freed when the
 * last reference goes. Ids are canonical (canonAnonVmas): an anon_vma's id is its place in the order
 * VMAs first refer to it, so it changes when that order does (the view follows: compare views, or
 * ids within one state).
 */
export class AnonVma {
  /** S: the anon_vma segment of k's Store */
  constructor(private readonly k: Kernel, private S: Segment, public id: number) {}
  /** null: this is a root (its own root and parent) */
  get root(): AnonVma | null { return this.k.anonVma(this.S.get(this.id * AV_CELLS + AV_ROOT)); }
  get parent(): AnonVma | null { return this.k.anonVma(this.S.get(this.id * AV_CELLS + AV_PARENT)); }

  /** mm/rmap.c anon_vma_alloc() @v6.18 (with the parent and root anon_vma_fork/__anon_vma_prepare give it) */
  static alloc(k: Kernel, parent: AnonVma | null): AnonVma {
    const S = k.anonSeg;
    const id = k.anonAlloc.alloc() + 1;
    const b = id * AV_CELLS;
    if (b >= VMA_BASE) notModelled('op', `model limit: more than ${VMA_BASE / AV_CELLS - 1} anon_vmas`);
    if (S.get(b + AV_LIVE) !== 0) throw new Error(`BUG: anon_vma ${id} allocated twice`);
    S.set(b + AV_LIVE, 1);
    if (parent !== null) {
      S.set(b + AV_PARENT, parent.id);
      S.set(b + AV_ROOT, (parent.root ?? parent).id);
      parent.get();
    }
    const a = k.anonVma(id)!;
    canonAnonVmas(k);
    return a;
  }
  /** a reference taken */
  get(): void {
    const i = this.id * AV_CELLS + AV_REFS;
    this.S.set(i, this.S.get(i) + 1);
  }
  /** a reference dropped: the last one frees it (and drops its parent) */
  put(): void {
    const S = this.S, b = this.id * AV_CELLS;
    const n = S.get(b + AV_REFS) - 1;
    if (n > 0) {
      S.set(b + AV_REFS, n);
      return;
    }
    const parent = this.parent;
    S.clear(b, AV_CELLS);
    this.k.anonAlloc.free(this.id - 1);
    this.k.forgetAnonVma(this.id);
    this.S = FREED;
    if (parent !== null) parent.put();
    canonAnonVmas(this.k);
  }
}

/**
 * Number the live anon_vmas canonically: 1, 2, ... in the order the VMAs refer to them (mms in order,
 * each one's VMAs in address order, a VMA's anon_vma then its chain; an anon_vma's root and parent
 * right after it; then those of VMAs in no mm yet, then any other), so that equal address spaces made
 * in another order have equal cells. The cells, the VMAs' references, the allocator and the views are
 * renumbered when the order is not already 1 .. n.
 */
export function canonAnonVmas(k: Kernel): void {
  const hw = k.anonAlloc.mark();
  if (hw === 0) return;
  const A = k.anonSeg, V = k.vmaSeg;
  const newOf = new Int32Array(hw + 1);
  const order: number[] = [];
  const visit = (id: number): void => {
    if (id === 0 || newOf[id] !== 0) return;
    order.push(id);
    newOf[id] = order.length;
    visit(A.get(id * AV_CELLS + AV_ROOT));
    visit(A.get(id * AV_CELLS + AV_PARENT));
  };
  const blocks = vmaBlocks(k);
  for (const b of blocks) {
    visit(V.get(b + V_ANON));
    for (let i = 0, n = V.get(b + V_CHAIN_N); i < n; i++) visit(V.get(b + V_CHAIN + i));
  }
  for (let id = 1; id <= hw; id++) if (A.get(id * AV_CELLS + AV_LIVE) !== 0) visit(id);
  const n = order.length;
  let same = n === hw;
  for (let i = 0; same && i < n; i++) if (order[i] !== i + 1) same = false;
  if (same) return;
  const cells = order.map((id) => [A.get(id * AV_CELLS + AV_PARENT), A.get(id * AV_CELLS + AV_ROOT), A.get(id * AV_CELLS + AV_REFS)] as const);
  A.clear(AV_CELLS, hw * AV_CELLS);
  for (let i = 0; i < n; i++) {
    const b = (i + 1) * AV_CELLS, [parent, root, refs] = cells[i]!;
    A.set(b + AV_LIVE, 1);
    A.set(b + AV_PARENT, newOf[parent]!);
    A.set(b + AV_ROOT, newOf[root]!);
    A.set(b + AV_REFS, refs);
  }
  for (const b of blocks) {
    V.set(b + V_ANON, newOf[V.get(b + V_ANON)]!);
    for (let i = 0, m = V.get(b + V_CHAIN_N); i < m; i++) V.set(b + V_CHAIN + i, newOf[V.get(b + V_CHAIN + i)]!);
  }
  k.anonAlloc.reset(n);
  k.renumberAnonVmas(newOf);
}

/** the first cell of every VMA: those of each mm in order, then those in no mm (being made or freed) */
function vmaBlocks(k: Kernel): number[] {
  const out: number[] = [];
  for (const mm of k.mms) {
    const base = mm.id * MM_VMA_MAX;
    for (let i = 0, n = mm.vmas.length; i < n; i++) out.push(VMA_BASE + (base + i) * VMA_CELLS);
  }
  for (let s = 0, m = k.vmaAlloc.mark(); s < m; s++) out.push(VMA_BASE + s * VMA_CELLS);
  return out;
}

/**
 * the cells of one VMA in the vma segment (at slot * VMA_CELLS). A VMA of an mm is kept at the slot of
 * its place in the mm's list (mm.id * MM_VMA_MAX + index), so that where a VMA's cells are is a function
 * of the address space, not of the order VMAs were made in; a VMA in no mm (vm_area_dup before it is
 * inserted, a VMA taken out before it is freed) is at a slot below MM_VMA_MAX, from an allocator.
 */
export const VMA_CELLS = 32;
const V_START = 0, V_END = 2, V_FLAGS = 4, V_FLAGS_HI = 5, V_PROT = 6, V_PGOFF = 8, V_ANON = 10, V_UFFD = 11;
/** vm_file: the inode id of the file mapped (mm/filemap.ts), 0 for anonymous memory */
const V_FILE = 12;
const V_CHAIN_N = 13, V_CHAIN = 14, CHAIN_MAX = VMA_CELLS - V_CHAIN;
/** its display cells (in the names segment, at VMA_NAMES + slot * VMA_DISPLAY): the label's interned id, uffd_wp_left */
export const VMA_DISPLAY = 2;
const VMA_NAMES = 1 << 12;
/** VMAs per mm (mm ids start at 1: the slots of mm id 0 are those of VMAs in no mm) */
export const MM_VMA_MAX = 1024;

export class VmArea {
  /** the VMA's slot (it moves when VMAs before it in its mm come or go: the view follows) */
  slot: number;
  private b: number;
  /** S: the vma segment of k's Store, D: the display segment */
  constructor(private readonly k: Kernel, private S: Segment, private D: Segment, slot: number) {
    this.slot = slot;
    this.b = VMA_BASE + slot * VMA_CELLS;
  }

  /** vma->vm_mm: the mm whose list holds it (null for a VMA in no mm, made by vm_area_dup or taken out) */
  get vm_mm(): MmStruct | null {
    return this.slot >= MM_VMA_MAX ? this.k.mmAt(Math.floor(this.slot / MM_VMA_MAX)) ?? null : null;
  }
  get vm_start(): number { return get64(this.S, this.b + V_START); }
  set vm_start(v: number) { set64(this.S, this.b + V_START, v); }
  get vm_end(): number { return get64(this.S, this.b + V_END); }
  set vm_end(v: number) { set64(this.S, this.b + V_END, v); }
  /**
   * vm_start <= addr and vm_end <= addr, the same reads as the fields' (find_vma's and vma_lookup's tests):
   * the address compared where it is read, so that no double leaves a call that is not inlined (a new heap
   * number each time)
   */
  startsAtOrBelow(addr: number): boolean { return get64(this.S, this.b + V_START) <= addr; }
  endsAtOrBelow(addr: number): boolean { return get64(this.S, this.b + V_END) <= addr; }
  get vm_flags(): number { return this.S.get(this.b + V_FLAGS) >>> 0; }
  set vm_flags(v: number) { this.S.set(this.b + V_FLAGS, v); }
  /** vm_flags bits 32..63 (VM_UFFD_MINOR...) */
  get vm_flags_hi(): number { return this.S.get(this.b + V_FLAGS_HI) >>> 0; }
  set vm_flags_hi(v: number) { this.S.set(this.b + V_FLAGS_HI, v); }
  /** a new Pte each time (writing into it does not change the VMA: assign vm_page_prot) */
  get vm_page_prot(): Pte { return Pte.of(this.S.get(this.b + V_PROT), this.S.get(this.b + V_PROT + 1)); }
  /** vm_page_prot read into `out` (the same cells read, no new Pte: for the fault path) */
  pageProt(out: Pte): Pte { return out.set(this.S.get(this.b + V_PROT), this.S.get(this.b + V_PROT + 1)); }
  set vm_page_prot(p: Pte) {
    this.S.set(this.b + V_PROT, p.lo);
    this.S.set(this.b + V_PROT + 1, p.hi);
  }
  get vm_pgoff(): number { return get64(this.S, this.b + V_PGOFF); }
  set vm_pgoff(v: number) { set64(this.S, this.b + V_PGOFF, v); }
  get anon_vma(): AnonVma | null { return this.k.anonVma(this.S.get(this.b + V_ANON)); }
  set anon_vma(a: AnonVma | null) {
    const old = this.anon_vma;
    if (old === a) return;
    a?.get();
    this.S.set(this.b + V_ANON, a === null ? 0 : a.id);
    old?.put();
    canonAnonVmas(this.k);
  }
  /**
   * the anon_vmas of vma->anon_vma_chain, newest first (anon_vma_chain_link adds at the head): its own
   * anon_vma and, in a forked child, those of its ancestors; empty until the VMA is first faulted. A
   * new array each time: assign the whole chain to change it.
   */
  get anon_vma_chain(): AnonVma[] {
    const S = this.S, b = this.b, n = S.get(b + V_CHAIN_N);
    const out: AnonVma[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.k.anonVma(S.get(b + V_CHAIN + i))!;
    return out;
  }
  set anon_vma_chain(c: AnonVma[]) {
    if (c.length > CHAIN_MAX) notModelled('op', `model limit: an anon_vma_chain of more than ${CHAIN_MAX} links`);
    for (const a of c) a.get();
    const old = this.anon_vma_chain;
    const S = this.S, b = this.b;
    S.set(b + V_CHAIN_N, c.length);
    for (let i = 0, n = Math.max(c.length, old.length); i < n; i++) S.set(b + V_CHAIN + i, i < c.length ? c[i]!.id : 0);
    for (const a of old) a.put();
    canonAnonVmas(this.k);
  }
  /**
   * vma->vm_file, as the id of its inode (0: none, anonymous memory); each VMA holds a reference, and the
   * inode goes when the last reference (a VMA or an fd table) does (shmem_evict_inode)
   */
  get vm_file(): number { return this.S.get(this.b + V_FILE); }
  set vm_file(ino: number) {
    const old = this.S.get(this.b + V_FILE);
    if (old === ino) return;
    if (ino !== 0) { const m = this.k.inode(ino)!; m.maps = m.maps + 1; }
    this.S.set(this.b + V_FILE, ino);
    if (old !== 0) {
      const m = this.k.inode(old)!;
      m.maps = m.maps - 1;
      if (m.maps === 0 && m.files === 0) shmem_evict_inode(this.k, m);
    }
  }
  /** vm_userfaultfd_ctx.ctx */
  get uffd(): UserfaultfdCtx | null { return this.k.uffdCtx(this.S.get(this.b + V_UFFD) - 1); }
  set uffd(c: UserfaultfdCtx | null) { this.S.set(this.b + V_UFFD, c === null ? 0 : c.id + 1); }
  /** the scenario's name for the mapping this VMA came from (display only: not part of the state's identity) */
  get label(): string { return internedValue<string>(this.D.get(VMA_NAMES + this.slot * VMA_DISPLAY)) ?? ''; }
  set label(s: string) { this.D.set(VMA_NAMES + this.slot * VMA_DISPLAY, internString(s)); }
  /**
   * model bookkeeping for the debug checks, no kernel field (display cells, as it never was part of
   * a state's identity): a registration without WP mode took VM_UFFD_WP from this range and left its
   * uffd-wp bits and markers in place, as the kernel does (a later fault clears a marker,
   * pte_marker_handle_uffd_wp)
   */
  get uffd_wp_left(): boolean { return this.D.get(VMA_NAMES + this.slot * VMA_DISPLAY + 1) !== 0; }
  set uffd_wp_left(v: boolean) { this.D.set(VMA_NAMES + this.slot * VMA_DISPLAY + 1, v ? 1 : 0); }

  /** kernel/fork.c vm_area_alloc() @v6.18, with the fields a new mapping gives it; in no mm yet */
  static alloc(k: Kernel, start: number, end: number, flags: number, prot: Pte, pgoff: number, label: string): VmArea {
    const slot = k.vmaAlloc.alloc();
    if (slot >= MM_VMA_MAX) notModelled('op', `model limit: more than ${MM_VMA_MAX} VMAs outside an mm at once`);
    const v = new VmArea(k, k.vmaSeg, k.names, slot);
    v.vm_start = start;
    v.vm_end = end;
    v.vm_flags = flags;
    v.vm_page_prot = prot;
    v.vm_pgoff = pgoff;
    v.label = label;
    return v;
  }

  /** kernel/fork.c vm_area_dup() @v6.18: a copy (same anon_vma and chain, context, label), in no mm yet */
  dup(): VmArea {
    const v = VmArea.alloc(this.k, this.vm_start, this.vm_end, this.vm_flags, this.vm_page_prot, this.vm_pgoff, this.label);
    v.vm_flags_hi = this.vm_flags_hi;
    v.anon_vma = this.anon_vma;
    v.anon_vma_chain = this.anon_vma_chain;
    v.uffd = this.uffd;
    v.uffd_wp_left = this.uffd_wp_left;
    v.vm_file = this.vm_file;
    if (this.vm_flags & VM_HUGETLB) hugetlb_resv_copy(this.k, this.slot, v.slot);
    return v;
  }

  /** kernel/fork.c vm_area_free() @v6.18 (a VMA in no mm): its references dropped, its cells zeroed, its slot free */
  free(): void {
    if (this.slot >= MM_VMA_MAX) throw new Error('BUG: freeing a VMA that is still in an mm');
    this.anon_vma = null;
    this.anon_vma_chain = [];
    this.vm_file = 0;
    if (this.vm_flags & VM_HUGETLB) hugetlb_resv_clear(this.k, this.slot);
    this.S.clear(this.b, VMA_CELLS);
    this.D.clear(VMA_NAMES + this.slot * VMA_DISPLAY, VMA_DISPLAY);
    this.k.vmaAlloc.free(this.slot);
    this.S = FREED;
    this.D = FREED;
  }

  /** the VMA's cells moved to slot `to` (zero there), and the view with them */
  moveTo(to: number): void {
    const S = this.S, D = this.D, from = this.b, t = VMA_BASE + to * VMA_CELLS;
    if (S.get(from + V_FLAGS) & VM_HUGETLB) hugetlb_resv_move(this.k, this.slot, to);
    for (let i = 0, n = V_CHAIN + S.get(from + V_CHAIN_N); i < n; i++) S.set(t + i, S.get(from + i));
    S.clear(from, VMA_CELLS);
    const df = VMA_NAMES + this.slot * VMA_DISPLAY, dt = VMA_NAMES + to * VMA_DISPLAY;
    for (let i = 0; i < VMA_DISPLAY; i++) D.set(dt + i, D.get(df + i));
    D.clear(df, VMA_DISPLAY);
    this.slot = to;
    this.b = t;
  }
}

/** the cells of one mm_struct in the mm segment (at id * MM_CELLS) */
const MM_CELLS = 8;
const MM_ANON = 0, MM_CHANGING = 1, MM_PINNED = 2, MM_USERS = 3, MM_PGD = 4, MM_NR_VMAS = 5, MM_SWAPENTS = 6, MM_SHMEM = 7;

/** the page tables of an mm: the table at a pfn, and every table reachable from the pgd */
export interface MmTables {
  get(pfn: number): PageTable | undefined;
  values(): Iterable<PageTable>;
}

export class MmStruct {
  /** MM_ANONPAGES rss counter */
  get anonPages(): number { return this.S.get(this.id * MM_CELLS + MM_ANON); }
  set anonPages(v: number) { this.S.set(this.id * MM_CELLS + MM_ANON, v); }
  /** add_mm_counter(mm, MM_ANONPAGES, d): `anonPages += d` with one lookup of the cell */
  addAnonPages(d: number): void { this.S.inc(this.id * MM_CELLS + MM_ANON, d); }
  /** MM_SHMEMPAGES rss counter: shmem (and tmpfs file) pages mapped */
  get shmemPages(): number { return this.S.get(this.id * MM_CELLS + MM_SHMEM); }
  set shmemPages(v: number) { this.S.set(this.id * MM_CELLS + MM_SHMEM, v); }
  /** MM_SWAPENTS rss counter: swap entries in this mm's page tables */
  get swapEnts(): number { return this.S.get(this.id * MM_CELLS + MM_SWAPENTS); }
  set swapEnts(v: number) { this.S.set(this.id * MM_CELLS + MM_SWAPENTS, v); }
  /** userfaultfd: non-zero while a uffd event (fork/remap/remove) is being delivered */
  get mmap_changing(): number { return this.S.get(this.id * MM_CELLS + MM_CHANGING); }
  set mmap_changing(v: number) { this.S.set(this.id * MM_CELLS + MM_CHANGING, v); }
  /** MMF_HAS_PINNED */
  get hasPinned(): boolean { return this.S.get(this.id * MM_CELLS + MM_PINNED) !== 0; }
  set hasPinned(v: boolean) { this.S.set(this.id * MM_CELLS + MM_PINNED, v ? 1 : 0); }
  /** mm_users */
  get users(): number { return this.S.get(this.id * MM_CELLS + MM_USERS); }
  set users(v: number) { this.S.set(this.id * MM_CELLS + MM_USERS, v); }
  /** mm->pgd */
  get pgd(): PageTable { return this.k.pageTableBySlot(this.S.get(this.id * MM_CELLS + MM_PGD) - 1)!; }
  set pgd(t: PageTable) { this.S.set(this.id * MM_CELLS + MM_PGD, t.slot + 1); }
  /** the model's walk cache: the PMD table covering the 1 GiB pmdCacheKey (not kernel state: views only) */
  pmdCacheKey: number;
  pmdCacheTable: PageTable | null;
  /** ... and the last PTE table found (checked against the PMD entry's pfn on every use) */
  pteCacheTable: PageTable | null;
  /** the page-table pages of this mm, by pfn */
  readonly tables: MmTables;
  /** the VMA views in address order (made from the cells when null) */
  private list: VmArea[] | null;

  /** S: the kernel's mm segment */
  constructor(readonly k: Kernel, readonly id: number, private readonly S: Segment) {
    this.pmdCacheKey = -1;
    this.pmdCacheTable = null;
    this.pteCacheTable = null;
    this.list = null;
    this.tables = {
      get: (pfn) => k.pageTable(pfn) ?? undefined,
      values: () => this.walkTables(),
    };
  }

  /** the VMAs in address order (a view: change it with insertVma/removeVma) */
  get vmas(): readonly VmArea[] {
    const l = this.list;
    // (the count is read for a recorder all the same: the list is a function of it)
    if (l !== null && this.S.store.rec === null) return l;
    const n = this.S.get(this.id * MM_CELLS + MM_NR_VMAS);
    return l ?? this.makeList(n);
  }
  /** the views of the n VMAs in the list (made once, then kept up to date by insertVma and removeVma) */
  private makeList(n: number): VmArea[] {
    const l: VmArea[] = new Array(n);
    for (let i = 0; i < n; i++) l[i] = new VmArea(this.k, this.k.vmaSeg, this.k.names, this.id * MM_VMA_MAX + i);
    this.list = l;
    return l;
  }
  /** the VMA (in no mm) put in the list at index i, the ones after it moved up (vma_iter_store) */
  insertVma(i: number, v: VmArea): void {
    if (v.slot >= MM_VMA_MAX) throw new Error('BUG: inserting a VMA that is already in an mm');
    const l = this.vmas as VmArea[], n = l.length, base = this.id * MM_VMA_MAX;
    if (n + 1 >= MM_VMA_MAX) notModelled('op', `model limit: more than ${MM_VMA_MAX - 1} VMAs in one mm`);
    for (let j = n - 1; j >= i; j--) l[j]!.moveTo(base + j + 1);
    const s = v.slot;
    v.moveTo(base + i);
    this.k.vmaAlloc.free(s);
    l.splice(i, 0, v);
    this.S.set(this.id * MM_CELLS + MM_NR_VMAS, n + 1);
    canonAnonVmas(this.k);
  }
  /** the VMA taken out of the list (vma_iter_clear), the ones after it moved down; it is in no mm then */
  removeVma(v: VmArea): void {
    const l = this.vmas as VmArea[], n = l.length, base = this.id * MM_VMA_MAX;
    const i = l.indexOf(v);
    if (i < 0) throw new Error('BUG: removing a VMA that is not in the mm');
    const s = this.k.vmaAlloc.alloc();
    if (s >= MM_VMA_MAX) notModelled('op', `model limit: more than ${MM_VMA_MAX} VMAs outside an mm at once`);
    v.moveTo(s);
    for (let j = i + 1; j < n; j++) l[j]!.moveTo(base + j - 1);
    l.splice(i, 1);
    this.S.set(this.id * MM_CELLS + MM_NR_VMAS, n - 1);
    canonAnonVmas(this.k);
  }

  /** every page table reachable from the pgd, parents before children */
  private *walkTables(): Generator<PageTable> {
    const stack: PageTable[] = [this.pgd];
    while (stack.length) {
      const t = stack.pop()!;
      yield t;
      if (t.level <= 1) continue;
      for (let i = 511; i >= 0; i--) {
        const c = childTable(this.k, this, t, i);
        if (c !== null) stack.push(c);
      }
    }
  }
}

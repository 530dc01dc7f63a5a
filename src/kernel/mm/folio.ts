// struct page / struct folio state the model keeps: include/linux/page-flags.h flags, refcount,
// mapcounts (mm/rmap.c), and the allocator that hands out pfns (mm/page_alloc.c, reduced to what
// is observable). The state is cells of the kernel's Store (src/state/store.ts), indexed by a folio slot,
// so a terabyte of THPs costs a few cells per folio, a copy of the Store copies none of them, and its
// fingerprint follows every change; per-subpage state of a large folio exists only once it is PTE-mapped.
import { HPAGE_PMD_NR } from '../arch/x86/include/pgtable_types.js';
import type { Leaf, Segment, SegmentSpec, Store } from '../../state/store.js';

// folio-level flags (PG_*), stored per slot
export const PG_locked = 1 << 0;
export const PG_referenced = 1 << 1;
export const PG_uptodate = 1 << 2;
export const PG_dirty = 1 << 3;
export const PG_lru = 1 << 4;
export const PG_active = 1 << 5;
export const PG_swapbacked = 1 << 6;
export const PG_anon = 1 << 7; // folio->mapping has PAGE_MAPPING_ANON
export const PG_zero = 1 << 8; // the zero page / huge zero folio (not a real flag: is_zero_pfn)
export const PG_table = 1 << 9; // page-table page (PageTable / KPF_PGTABLE)
export const PG_unevictable = 1 << 10;
export const PG_mlocked = 1 << 11;
export const PG_idle = 1 << 12;
/** PG_anon_exclusive (v5.19): on an order-0 folio kept here; on a large folio per subpage */
export const PG_anon_exclusive = 1 << 13;
export const PG_deferred_split = 1 << 14;
/** PG_reserved: the zero page lives in the kernel image and is reserved */
export const PG_reserved = 1 << 15;
/** PG_swapcache (PG_owner_priv_1 on a swap-backed folio): the folio is in the swap cache (mm/swapfile.ts) */
export const PG_swapcache = 1 << 16;

export const PG_NAMES: ReadonlyArray<[number, string]> = [
  [PG_locked, 'locked'], [PG_referenced, 'referenced'], [PG_uptodate, 'uptodate'], [PG_dirty, 'dirty'],
  [PG_lru, 'lru'], [PG_active, 'active'], [PG_swapbacked, 'swapbacked'], [PG_anon, 'anon'],
  [PG_zero, 'zero'], [PG_table, 'table'], [PG_unevictable, 'unevictable'], [PG_mlocked, 'mlocked'],
  [PG_anon_exclusive, 'anon_exclusive'], [PG_reserved, 'reserved'], [PG_swapcache, 'swapcache'],
];

const SECTION_SHIFT = 9; // a section is 512 pfns = 2 MiB
const KIND_FREE = 0, KIND_LARGE = 1, KIND_SMALL = 2;
/** first pfn handed out: 4 GiB into "physical" memory, as a machine with low memory reserved */
export const FIRST_PFN = 0x100000;


/**
 * CONFIG_MM_ID state of a large folio (6af8cb80d3a9, v6.15), kept per slot (FolioStore.mmTrack) as
 * MM_TRACK words, stored as the kernel stores them in struct folio:
 * [0] _large_mapcount (starts at -1: one per PTE and per PMD mapping of any page),
 * [1] _mm_id[0], [2] _mm_id[1] with FOLIO_MM_IDS_SHARED_BIT as its top bit,
 * [3] _mm_id_mapcount[0], [4] _mm_id_mapcount[1] (-1 while the slot is free).
 */
export const MM_TRACK = 5;
/** MM_ID_DUMMY: a free slot */
export const MM_ID_DUMMY = 0;
/** MM_ID_MASK: the id bits of an _mm_id[] word (its top bit holds a flag) */
export const MM_ID_MASK = 0x7fffffff;
/** FOLIO_MM_IDS_SHARED_BIT: bit 2 * MM_ID_BITS + 1 of _mm_ids, the top bit of _mm_id[1] ("maybe mapped shared") */
export const FOLIO_MM_IDS_SHARED_BIT = 0x80000000 | 0;

/**
 * the cells of one folio slot in the folio segment: what every folio has (its flags are in folio.flags),
 * 16 folios to a leaf, so that a run of first-touch faults makes a leaf per 16 folios
 */
const FC = 4;
const F_PFN = 0, F_ORDER = 1, F_REF = 2, F_MAPCOUNT = 3;
/**
 * the cells of one folio slot in the folio.extra segment, zero for most small folios: a large folio's
 * CONFIG_MM_ID words and whether it has per-page state, the references GUP callers hold (pins and gets,
 * model bookkeeping: the kernel only has them inside the refcount), and a large folio's _pincount
 * (folio->_pincount, 47e29d32afba)
 */
const XC = 8;
const X_MMT = 0, X_HASSUB = 5, X_GUPREF = 6, X_PINCOUNT = 7;
/** the cells of a large folio's per-subpage state: mapcount of each page, then PageAnonExclusive of each */
const SUB = 2 * HPAGE_PMD_NR;
// the allocator's cells
const A_NSLOTS = 0, A_LIVE = 1, A_NSECT = 2, A_NFREE_SLOTS = 3, A_NFREE_SMALL = 4, A_NFREE_SECTS = 5;
/**
 * the next never-used pfn of the last small section (0: none left): a new small section hands out its
 * pfns in order from here, after the freed ones (the free stack first, as if the section's pfns had
 * been pushed under it, without 511 pushes)
 */
const A_FRESH_SMALL = 6;

/** the segments FolioStore keeps its state in (src/state/store.ts), in this order */
export const FOLIO_SEGMENTS: readonly SegmentSpec[] = [
  { name: 'folio' }, { name: 'folio.subpages' }, { name: 'folio.alloc' }, { name: 'folio.free_slots' },
  { name: 'folio.free_small' }, { name: 'folio.free_sects' }, { name: 'folio.sections' }, { name: 'folio.section_map' },
  { name: 'folio.flags' }, { name: 'folio.extra' },
];

/**
 * The folios and the pfn allocator, as cells of a Store: a view that holds nothing but its segments,
 * so a copy of the Store is a copy of every folio. Freed slots and sections are zeroed.
 */
export class FolioStore {
  private readonly F: Segment;
  private readonly S: Segment;
  private readonly A: Segment;
  private readonly freeSlots: Segment;
  private readonly freeSmall: Segment;
  private readonly freeSects: Segment;
  /** per section: kind, and the slot of a large folio */
  private readonly sect: Segment;
  /** per small section, per pfn: slot + 1 (0: free) */
  private readonly smap: Segment;
  /**
   * per slot: folio->flags, one cell each apart from the other fields, so that a bulk path reading the
   * flags of consecutive folios (change_pte_direct's PageAnonExclusive) reads 16 of them per cache line
   */
  private readonly FL: Segment;
  /** per slot: the cells most small folios never write (XC) */
  private readonly X: Segment;
  private readonly firstSect = FIRST_PFN >>> SECTION_SHIFT;

  constructor(st: Store, base: number) {
    const g = st.segs;
    this.F = g[base]!;
    this.S = g[base + 1]!;
    this.A = g[base + 2]!;
    this.freeSlots = g[base + 3]!;
    this.freeSmall = g[base + 4]!;
    this.freeSects = g[base + 5]!;
    this.sect = g[base + 6]!;
    this.smap = g[base + 7]!;
    this.FL = g[base + 8]!;
    this.X = g[base + 9]!;
  }

  // ---- struct folio fields -----------------------------------------------------------------
  pfn(slot: number): number { return this.F.get(slot * FC + F_PFN); }
  order(slot: number): number { return this.F.get(slot * FC + F_ORDER); }
  flags(slot: number): number { return this.FL.get(slot) >>> 0; }
  setFlags(slot: number, v: number): void { this.FL.set(slot, v); }
  /** folio_ref_count */
  refcount(slot: number): number { return this.F.get(slot * FC + F_REF); }
  setRefcount(slot: number, v: number): void { this.F.set(slot * FC + F_REF, v); }
  /** references held by GUP callers (pins count GUP_PIN_COUNTING_BIAS each on a small folio); not a kernel field */
  gupRefs(slot: number): number { return this.X.get(slot * XC + X_GUPREF); }
  setGupRefs(slot: number, v: number): void { this.X.set(slot * XC + X_GUPREF, v); }
  /** folio->_pincount of a large folio */
  pincount(slot: number): number { return this.X.get(slot * XC + X_PINCOUNT); }
  setPincount(slot: number, v: number): void { this.X.set(slot * XC + X_PINCOUNT, v); }
  /** order 0: the page's mapcount; large: the entire (PMD) mapcount */
  mapcount(slot: number): number { return this.F.get(slot * FC + F_MAPCOUNT); }
  setMapcount(slot: number, v: number): void { this.F.set(slot * FC + F_MAPCOUNT, v); }
  /** CONFIG_MM_ID word j of a large folio (see MM_TRACK) */
  mmTrack(slot: number, j: number): number { return this.X.get(slot * XC + X_MMT + j); }
  setMmTrack(slot: number, j: number, v: number): void { this.X.set(slot * XC + X_MMT + j, v); }

  /** slots ever used (live or free) */
  get nslots(): number { return this.A.get(A_NSLOTS); }
  get liveFolios(): number { return this.A.get(A_LIVE); }
  /** total pfn sections ever used (for accounting) */
  get sections(): number { return this.A.get(A_NSECT); }

  // ---- per-subpage state of a large folio --------------------------------------------------
  /** has the large folio per-page state (it is, or was, PTE-mapped)? */
  hasSub(slot: number): boolean { return this.X.get(slot * XC + X_HASSUB) !== 0; }
  /** the per-page state exists from now on (zero mapcounts, no PageAnonExclusive) */
  makeSub(slot: number): void { this.X.set(slot * XC + X_HASSUB, 1); }
  /** _mapcount + 1 of page i (PTE mappings) */
  subMapcount(slot: number, i: number): number { return this.S.get(slot * SUB + i); }
  setSubMapcount(slot: number, i: number, v: number): void {
    this.makeSub(slot);
    this.S.set(slot * SUB + i, v);
  }
  subExclusive(slot: number, i: number): boolean { return this.S.get(slot * SUB + HPAGE_PMD_NR + i) !== 0; }
  setSubExclusive(slot: number, i: number, on: boolean): void {
    this.makeSub(slot);
    this.S.set(slot * SUB + HPAGE_PMD_NR + i, on ? 1 : 0);
  }
  /** the mapcounts of every page of a large folio (a copy) */
  subMapcounts(slot: number): Int32Array {
    const n = this.nrPages(slot), out = new Int32Array(n);
    if (this.hasSub(slot)) for (let i = 0; i < n; i++) out[i] = this.S.get(slot * SUB + i);
    return out;
  }

  // ---- the allocator ------------------------------------------------------------------------
  // The allocator's own cells (A_*) are in one leaf, which every allocation and free writes: they take
  // it once (the allocator's leaf L, A.leafW(0)) and read and write its cells directly, reporting each
  // read and write as A.get and A.set would (aR, aW), in the same order.
  /** A.get(c) on the allocator's leaf L */
  private aR(L: Leaf, c: number): number {
    this.A.noteRead(c);
    return L[c]!;
  }
  /** A.set(c, v) on the allocator's leaf L */
  private aW(L: Leaf, c: number, v: number): void {
    const old = L[c]!;
    L[c] = v;
    if (this.A.watched) this.A.noted(c, old, v);
  }
  private push(L: Leaf, seg: Segment, lenCell: number, v: number): void {
    const n = this.aR(L, lenCell);
    seg.set(n, v);
    this.aW(L, lenCell, n + 1);
  }
  /** the top of a free stack, removed (its cell zeroed), or -1 when empty */
  private pop(L: Leaf, seg: Segment, lenCell: number): number {
    const n = this.aR(L, lenCell);
    if (n === 0) return -1;
    const v = seg.get(n - 1);
    seg.set(n - 1, 0);
    this.aW(L, lenCell, n - 1);
    return v;
  }

  /** does the allocator (slots, sections, free lists) stand exactly where o's does? (explorer write sets) */
  sameAllocator(o: FolioStore): boolean {
    const d: number[] = [];
    for (const seg of ['A', 'freeSlots', 'freeSmall', 'freeSects', 'sect', 'smap'] as const) {
      this[seg].changed(o[seg], d);
      if (d.length) return false;
    }
    return true;
  }

  /** the slots whose folio differs here and in o, ascending, each once (explorer write sets) */
  changedSlots(o: FolioStore, out: number[]): void {
    const d: number[] = [];
    this.F.changed(o.F, d);
    const slots = new Set<number>();
    for (const i of d) slots.add(Math.floor(i / FC));
    d.length = 0;
    this.X.changed(o.X, d);
    for (const i of d) slots.add(Math.floor(i / XC));
    d.length = 0;
    this.FL.changed(o.FL, d);
    for (const i of d) slots.add(i);
    d.length = 0;
    this.S.changed(o.S, d);
    for (const i of d) slots.add(Math.floor(i / SUB));
    for (const s of [...slots].sort((x, y) => x - y)) out.push(s);
  }

  private newSlot(L: Leaf): number {
    const s = this.pop(L, this.freeSlots, A_NFREE_SLOTS);
    if (s >= 0) return s;
    const n = this.aR(L, A_NSLOTS);
    this.aW(L, A_NSLOTS, n + 1);
    return n;
  }

  private newSection(L: Leaf): number {
    const s = this.pop(L, this.freeSects, A_NFREE_SECTS);
    if (s >= 0) return s;
    const idx = this.aR(L, A_NSECT);
    this.aW(L, A_NSECT, idx + 1);
    return idx;
  }

  /** Allocate a folio of order 0 or HPAGE_PMD_ORDER; returns its slot. Refcount 1, not mapped. */
  alloc(order: number, flags: number): number {
    const L = this.A.leafW(0);
    if (order === 0 && !this.A.watched) return this.allocSmallPlain(L, flags);
    const slot = this.newSlot(L);
    let pfn: number;
    if (order === 0) {
      let p = this.pop(L, this.freeSmall, A_NFREE_SMALL);
      if (p < 0) {
        p = this.aR(L, A_FRESH_SMALL);
        if (p === 0) {
          const sidx = this.newSection(L);
          this.sect.set(2 * sidx, KIND_SMALL);
          p = (this.firstSect + sidx) * HPAGE_PMD_NR;
        }
        this.aW(L, A_FRESH_SMALL, ((p + 1) & (HPAGE_PMD_NR - 1)) === 0 ? 0 : p + 1);
      }
      pfn = p;
      const sidx = (pfn >>> SECTION_SHIFT) - this.firstSect;
      this.smap.set(sidx * HPAGE_PMD_NR + (pfn & (HPAGE_PMD_NR - 1)), slot + 1);
    } else {
      const sidx = this.newSection(L);
      this.sect.set(2 * sidx, KIND_LARGE);
      this.sect.set(2 * sidx + 1, slot);
      pfn = (this.firstSect + sidx) * HPAGE_PMD_NR;
    }
    // the slot's cells (FC of them, in one leaf), written directly as F.set would
    const F = this.F, b = slot * FC, FS = F.leafW(b), j = b & 63, watched = F.watched;
    const oPfn = FS[j + F_PFN]!, oOrder = FS[j + F_ORDER]!;
    FS[j + F_PFN] = pfn;
    FS[j + F_ORDER] = order;
    if (watched) {
      F.noted(b + F_PFN, oPfn, pfn);
      F.noted(b + F_ORDER, oOrder, order);
    }
    this.FL.set(slot, flags);
    const oRef = FS[j + F_REF]!;
    FS[j + F_REF] = 1;
    if (watched) F.noted(b + F_REF, oRef, 1);
    if (order !== 0) this.resetMmTrack(slot);
    this.aW(L, A_LIVE, this.aR(L, A_LIVE) + 1);
    return slot;
  }

  /**
   * alloc(0, flags) in a store that neither hashes nor records (nothing to report): the same cells
   * written with the same values, the allocator's own cells on its leaf L directly
   */
  private allocSmallPlain(L: Leaf, flags: number): number {
    let slot: number;
    const nfs = L[A_NFREE_SLOTS]!;
    if (nfs !== 0) {
      slot = this.freeSlots.get(nfs - 1);
      this.freeSlots.set(nfs - 1, 0);
      L[A_NFREE_SLOTS] = nfs - 1;
    } else {
      slot = L[A_NSLOTS]!;
      L[A_NSLOTS] = slot + 1;
    }
    let p: number;
    const nsm = L[A_NFREE_SMALL]!;
    if (nsm !== 0) {
      p = this.freeSmall.get(nsm - 1);
      this.freeSmall.set(nsm - 1, 0);
      L[A_NFREE_SMALL] = nsm - 1;
    } else {
      p = L[A_FRESH_SMALL]!;
      if (p === 0) {
        const sidx = this.newSection(L);
        this.sect.set(2 * sidx, KIND_SMALL);
        p = (this.firstSect + sidx) * HPAGE_PMD_NR;
      }
      L[A_FRESH_SMALL] = ((p + 1) & (HPAGE_PMD_NR - 1)) === 0 ? 0 : p + 1;
    }
    this.smap.set(((p >>> SECTION_SHIFT) - this.firstSect) * HPAGE_PMD_NR + (p & (HPAGE_PMD_NR - 1)), slot + 1);
    const b = slot * FC, FS = this.F.leafW(b), j = b & 63;
    FS[j + F_PFN] = p;
    FS[j + F_ORDER] = 0;
    this.FL.set(slot, flags);
    FS[j + F_REF] = 1;
    L[A_LIVE] = L[A_LIVE]! + 1;
    return slot;
  }

  /** Return a folio whose refcount dropped to zero (free_unref_folios / free_compound_page). */
  free(slot: number): void {
    const L = this.A.leafW(0);
    const pfn = this.pfn(slot);
    const sidx = Math.floor(pfn / HPAGE_PMD_NR) - this.firstSect;
    if (this.order(slot) === 0) {
      this.smap.set(sidx * HPAGE_PMD_NR + (pfn & (HPAGE_PMD_NR - 1)), 0);
      this.push(L, this.freeSmall, A_NFREE_SMALL, pfn);
    } else {
      this.sect.set(2 * sidx, KIND_FREE);
      this.sect.set(2 * sidx + 1, 0);
      this.push(L, this.freeSects, A_NFREE_SECTS, sidx);
    }
    this.clearSlot(slot);
    this.push(L, this.freeSlots, A_NFREE_SLOTS, slot);
    this.A.set(A_LIVE, this.A.get(A_LIVE) - 1);
  }

  /** every cell of a slot zeroed (a freed slot is only free) */
  private clearSlot(slot: number): void {
    if (this.hasSub(slot)) this.S.clear(slot * SUB, SUB);
    this.F.clear(slot * FC, FC);
    this.X.clear(slot * XC, XC);
    this.FL.clear(slot, 1);
  }

  /** page_folio(pfn_to_page(pfn)): the slot of the folio holding pfn, or -1 */
  slotOf(pfn: number): number {
    const sidx = Math.floor(pfn / HPAGE_PMD_NR) - this.firstSect;
    if (sidx < 0 || sidx >= this.A.get(A_NSECT)) return -1;
    const kind = this.sect.get(2 * sidx);
    if (kind === KIND_LARGE) return this.sect.get(2 * sidx + 1);
    if (kind === KIND_SMALL) return this.smap.get(sidx * HPAGE_PMD_NR + (pfn & (HPAGE_PMD_NR - 1))) - 1;
    return -1;
  }

  /**
   * __split_huge_page: the large folio at slot becomes order-0 folios, one per page, each taking the
   * head's flags, its own mapcount and PageAnonExclusive; a page nobody maps is freed. Returns the
   * new slot of each page (-1 for freed ones).
   */
  splitLarge(slot: number): number[] {
    const L = this.A.leafW(0);
    const n = this.nrPages(slot);
    const base = this.pfn(slot);
    const sidx = Math.floor(base / HPAGE_PMD_NR) - this.firstSect;
    const hasSub = this.hasSub(slot);
    const subMap = hasSub ? this.subMapcounts(slot) : null;
    const subExcl: boolean[] = [];
    if (hasSub) for (let i = 0; i < n; i++) subExcl.push(this.subExclusive(slot, i));
    const entire = this.mapcount(slot);
    const headFlags = this.flags(slot) & ~(PG_anon_exclusive | PG_deferred_split);
    const headExcl = (this.flags(slot) & PG_anon_exclusive) !== 0;
    this.clearSlot(slot);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = i === 0 ? slot : this.newSlot(L);
      const mapped = (subMap ? subMap[i]! : 0) + entire;
      const excl = hasSub ? subExcl[i]! : i === 0 && headExcl;
      const b = s * FC;
      this.F.set(b + F_PFN, base + i);
      this.F.set(b + F_ORDER, 0);
      this.FL.set(s, (headFlags | (excl ? PG_anon_exclusive : 0)) >>> 0);
      this.F.set(b + F_MAPCOUNT, mapped);
      this.F.set(b + F_REF, mapped);
      this.smap.set(sidx * HPAGE_PMD_NR + i, s + 1);
      out.push(s);
    }
    this.sect.set(2 * sidx, KIND_SMALL);
    this.sect.set(2 * sidx + 1, 0);
    this.A.set(A_LIVE, this.A.get(A_LIVE) + n - 1);
    return out;
  }

  /** prep_compound_head (mm/internal.h @v6.15): no mapping yet, both MM id slots free, not shared */
  private resetMmTrack(slot: number): void {
    this.setMmTrack(slot, 0, -1);
    this.setMmTrack(slot, 1, MM_ID_DUMMY);
    this.setMmTrack(slot, 2, MM_ID_DUMMY);
    this.setMmTrack(slot, 3, -1);
    this.setMmTrack(slot, 4, -1);
  }

  /** does pfn lie in a large folio? (one section lookup, no slot) */
  isLargePfn(pfn: number): boolean {
    const sidx = Math.floor(pfn / HPAGE_PMD_NR) - this.firstSect;
    return sidx >= 0 && sidx < this.A.get(A_NSECT) && this.sect.get(2 * sidx) === KIND_LARGE;
  }

  /**
   * For the bulk paths, by section (pfn >> 9): 2 for one large folio's section, 1 for a section of
   * small folios, 0 for a free or unknown one; and the slot of the small folio at index idx of a section
   * of kind 1 (-1: free).
   */
  sectionKind(sect: number): number {
    const sidx = sect - this.firstSect;
    if (sidx < 0 || sidx >= this.A.get(A_NSECT)) return 0;
    const kind = this.sect.get(2 * sidx);
    return kind === KIND_LARGE ? 2 : kind === KIND_SMALL ? 1 : 0;
  }
  smallSlot(sect: number, idx: number): number {
    return this.smap.get((sect - this.firstSect) * HPAGE_PMD_NR + idx) - 1;
  }
  /**
   * Raw reads for the bulk paths (mprotect's change_pte_direct), as PageTable.words: smallSlot's cell is
   * smapLeaf(c)[c & 63] - 1 with c = smapCell(sect, idx); flags' is flagsLeaf(c)[c & 63] >>> 0 with
   * c = flagsCell(slot) (a leaf undefined: zero). Not recorded: the reader calls noteRawRead when a
   * recorder listens (PageTable.recording).
   */
  smapCell(sect: number, idx: number): number { return (sect - this.firstSect) * HPAGE_PMD_NR + idx; }
  smapLeaf(c: number): Leaf | undefined { return this.smap.leafR(c); }
  flagsCell(slot: number): number { return slot; }
  flagsLeaf(c: number): Leaf | undefined { return this.FL.leafR(c); }
  noteSmapRead(c: number): void { this.smap.noteRead(c); }
  noteFlagsRead(c: number): void { this.FL.noteRead(c); }

  /** PageAnon(page) && PageAnonExclusive(page) for the page at pfn */
  anonExclusiveAt(pfn: number): boolean {
    const slot = this.slotOf(pfn);
    if (slot < 0 || (this.flags(slot) & PG_anon) === 0) return false;
    return this.pageAnonExclusive(slot, pfn);
  }

  nrPages(slot: number): number { return 1 << this.order(slot); }
  isLarge(slot: number): boolean { return this.order(slot) > 0; }
  test(slot: number, flag: number): boolean { return (this.flags(slot) & flag) !== 0; }
  setFlag(slot: number, flag: number): void { this.FL.or(slot, flag); }
  clearFlag(slot: number, flag: number): void { this.setFlags(slot, (this.flags(slot) & ~flag) >>> 0); }

  /** PageAnonExclusive(page) */
  pageAnonExclusive(slot: number, pfn: number): boolean {
    if (this.order(slot) === 0) return (this.flags(slot) & PG_anon_exclusive) !== 0;
    const i = pfn - this.pfn(slot);
    // a PMD-mapped THP keeps the bit on its head page only
    if (!this.hasSub(slot)) return i === 0 && (this.flags(slot) & PG_anon_exclusive) !== 0;
    return this.subExclusive(slot, i);
  }
  setPageAnonExclusive(slot: number, pfn: number, on: boolean): void {
    // (the order read once: nothing here changes it)
    const large = this.order(slot) !== 0;
    if (!large || pfn === this.pfn(slot)) {
      if (on) this.setFlag(slot, PG_anon_exclusive);
      else this.clearFlag(slot, PG_anon_exclusive);
    }
    if (large && this.hasSub(slot)) this.setSubExclusive(slot, pfn - this.pfn(slot), on);
  }

  /** page_mapcount(page): PTE mappings of this subpage plus the entire (PMD) mappings of its folio */
  pageMapcount(slot: number, pfn: number): number {
    if (this.order(slot) === 0) return this.mapcount(slot);
    return this.mapcount(slot) + (this.hasSub(slot) ? this.subMapcount(slot, pfn - this.pfn(slot)) : 0);
  }
  /** folio_mapcount(folio): all mappings of all pages */
  folioMapcount(slot: number): number {
    if (this.order(slot) === 0) return this.mapcount(slot);
    let n = this.mapcount(slot) * this.nrPages(slot);
    if (this.hasSub(slot)) for (let i = 0, e = this.nrPages(slot); i < e; i++) n += this.subMapcount(slot, i);
    return n;
  }
  /** folio_mapped / page_mapped */
  folioMapped(slot: number): boolean {
    if (this.mapcount(slot) > 0) return true;
    if (this.hasSub(slot)) for (let i = 0, e = this.nrPages(slot); i < e; i++) if (this.subMapcount(slot, i) > 0) return true;
    return false;
  }
}


// struct page / struct folio state the model keeps: include/linux/page-flags.h flags, refcount,
// mapcounts (mm/rmap.c), and the allocator that hands out pfns (mm/page_alloc.c, reduced to what
// is observable). Storage is struct-of-arrays indexed by a folio slot, so a terabyte of THPs costs a
// few bytes per folio; per-subpage state of a large folio exists only once it is PTE-mapped.
import { HPAGE_PMD_NR } from '../arch/x86/include/pgtable_types.js';
import type { StateHasher } from '../../explore/hash.js';

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

export const PG_NAMES: ReadonlyArray<[number, string]> = [
  [PG_locked, 'locked'], [PG_referenced, 'referenced'], [PG_uptodate, 'uptodate'], [PG_dirty, 'dirty'],
  [PG_lru, 'lru'], [PG_active, 'active'], [PG_swapbacked, 'swapbacked'], [PG_anon, 'anon'],
  [PG_zero, 'zero'], [PG_table, 'table'], [PG_unevictable, 'unevictable'], [PG_mlocked, 'mlocked'],
  [PG_anon_exclusive, 'anon_exclusive'], [PG_reserved, 'reserved'],
];

const SECTION_SHIFT = 9; // a section is 512 pfns = 2 MiB
const KIND_FREE = 0, KIND_LARGE = 1, KIND_SMALL = 2;
/** first pfn handed out: 4 GiB into "physical" memory, as a machine with low memory reserved */
export const FIRST_PFN = 0x100000;

/** sectionMap() of a section without folios, and of a large folio's section */
const NO_FOLIO_MAP = new Int32Array(HPAGE_PMD_NR).fill(-1);
export const LARGE_FOLIO_MAP = new Int32Array(HPAGE_PMD_NR).fill(-2);

/** per-subpage state of a large folio that is (or was) PTE-mapped */
export interface SubpageState {
  /** _mapcount + 1 of each subpage (PTE mappings) */
  mapcount: Int32Array;
  /** PageAnonExclusive of each subpage */
  exclusive: Uint8Array;
}

/**
 * CONFIG_MM_ID state of a large folio (6af8cb80d3a9, v6.15), kept per slot in FolioStore.mmTrack as
 * MM_TRACK Int32 words, stored as the kernel stores them in struct folio:
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

function grow<T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(a: T, n: number): T {
  if (n <= a.length) return a;
  let len = Math.max(16, a.length);
  while (len < n) len *= 2;
  const b = new (a.constructor as new (n: number) => T)(len);
  b.set(a);
  return b;
}

// Copies of the per-slot arrays for a clone, of the used length only: a typed array of up to 64 bytes
// lives on V8's heap and is cheap to make; a bigger one gets its own backing store (about 1 us).
function copyF64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(Math.max(n, 1));
  for (let i = 0; i < n; i++) b[i] = a[i]!;
  return b;
}
function copyU8(a: Uint8Array, n: number): Uint8Array {
  const b = new Uint8Array(Math.max(n, 1));
  for (let i = 0; i < n; i++) b[i] = a[i]!;
  return b;
}
function copyU32(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(Math.max(n, 1));
  for (let i = 0; i < n; i++) b[i] = a[i]!;
  return b;
}
function copyI32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(Math.max(n, 1));
  for (let i = 0; i < n; i++) b[i] = a[i]!;
  return b;
}

export class FolioStore {
  // ---- per slot (folio) ----
  pfn = new Float64Array(16);
  order = new Uint8Array(16);
  flags = new Uint32Array(16);
  refcount = new Int32Array(16);
  /** order 0: the page's mapcount; large: the entire (PMD) mapcount */
  mapcount = new Int32Array(16);
  /** large folios: the CONFIG_MM_ID words (MM_TRACK per slot, see MM_TRACK); kept by mm/rmap.ts when the profile has it */
  mmTrack = new Int32Array(16 * MM_TRACK);
  sub: (SubpageState | undefined)[] = [];
  nslots = 0;
  freeSlots: number[] = [];
  liveFolios = 0;

  // ---- pfn -> slot ----
  private sectKind = new Uint8Array(16);
  private sectSlot = new Int32Array(16); // KIND_LARGE: the slot
  private sectSmall: (Int32Array | undefined)[] = []; // KIND_SMALL: slot per pfn (-1 free)
  private nsect = 0;
  private firstSect = FIRST_PFN >>> SECTION_SHIFT;
  private freeSects: number[] = [];
  private freeSmall: number[] = [];

  // Copy-on-write between clones (explorer): the per-subpage arrays, the per-section slot maps and the
  // free lists are shared by a clone and its original until one of them changes them.
  /** slots whose `sub` arrays this instance may write (others are shared with a clone); made on first use */
  private ownedSub: Set<number> | null = null;
  private get subOwned(): Set<number> {
    return (this.ownedSub ??= new Set<number>());
  }
  /** small sections whose slot map this instance may write; made on first use */
  private ownedSect: Set<number> | null = null;
  private get sectOwned(): Set<number> {
    return (this.ownedSect ??= new Set<number>());
  }
  /** the section ownSect() returned last (-1: none); forgotten with ownedSect */
  private lastOwnedSect = -1;
  /** the free lists are shared with a clone */
  private listsShared = false;
  /** hash of the free lists, valid while listsHashOk: every change of the lists goes through ownLists() */
  private listsHashA = 0;
  private listsHashB = 0;
  private listsHashOk = false;

  clone(): FolioStore {
    // not `new FolioStore()`: its field initializers would allocate arrays only to drop them
    const n = this.nslots, ns = this.nsect;
    const c = new FolioStoreCopy(this, copyF64(this.pfn, n), copyU8(this.order, n), copyU32(this.flags, n), copyI32(this.refcount, n),
      copyI32(this.mapcount, n), copyI32(this.mmTrack, n * MM_TRACK), copyU8(this.sectKind, ns), copyI32(this.sectSlot, ns));
    this.listsShared = true;
    this.ownedSub = null;
    this.ownedSect = null;
    this.lastOwnedSect = -1;
    return c;
  }

  /** the free lists, made private to this instance before a change */
  private ownLists(): void {
    // called before every change of the lists
    this.listsHashOk = false;
    if (!this.listsShared) return;
    this.freeSlots = this.freeSlots.slice();
    this.freeSects = this.freeSects.slice();
    this.freeSmall = this.freeSmall.slice();
    this.listsShared = false;
  }
  /** the slot map of small section sidx, made private to this instance before a change */
  private ownSect(sidx: number): Int32Array {
    // (a section's map is replaced only by a private one: splitLarge, or alloc of a new section)
    if (sidx === this.lastOwnedSect) return this.sectSmall[sidx]!;
    let a = this.sectSmall[sidx]!;
    if (!this.sectOwned.has(sidx)) {
      a = a.slice();
      this.sectSmall[sidx] = a;
      this.sectOwned.add(sidx);
    }
    this.lastOwnedSect = sidx;
    return a;
  }

  /**
   * Fingerprint (explorer): every live folio by slot, the per-subpage state, and the allocator's free
   * lists (their order decides which pfn the next allocation gets). Freed slots count only as free.
   */
  fingerprint(h: StateHasher): void {
    const n = this.nslots;
    const pfn = this.pfn, order = this.order, flags = this.flags, refcount = this.refcount, mapcount = this.mapcount;
    const mmTrack = this.mmTrack;
    const sub = this.sub, owned = this.ownedSub;
    // every slot mixed into two independent 32-bit lanes, then the lanes into h
    let a = n ^ 0x3c6ef372, b = n + 0x2545f491;
    for (let s = 0; s < n; s++) {
      const rc = refcount[s]!, fl = flags[s]!;
      if (rc === 0 && fl === 0) {
        a = Math.imul(a ^ 0xdead, 0x01000193);
        b = (Math.imul(b, 0x2c1b3c6d) + 0xdead) | 0;
        continue;
      }
      const p = pfn[s]!, plo = p | 0, phi = (p / 4294967296) | 0, o = order[s]!, mc = mapcount[s]!;
      // lane a: murmur3-style over the five fields
      let x = mix32(mix32(mix32(mix32(mix32(0x9747b28c, plo), phi ^ (o << 24)), fl), rc), mc);
      // lane b: the same fields through different constants and order
      let y = mix32(mix32(mix32(mix32(mix32(0x5bd1e995, mc ^ 0x6a09e667), fl ^ 0x3c6ef372), rc ^ 0xa54ff53a), plo ^ 0x510e527f), phi + o);
      x ^= x >>> 16;
      x = Math.imul(x, 0x85ebca6b);
      x ^= x >>> 13;
      y ^= y >>> 15;
      y = Math.imul(y, 0xc2b2ae35);
      y ^= y >>> 16;
      if (o !== 0) {
        // CONFIG_MM_ID words of a large folio
        const b5 = s * MM_TRACK;
        for (let j = 0; j < MM_TRACK; j++) {
          x = mix32(x, mmTrack[b5 + j]!);
          y = mix32(y, mmTrack[b5 + j]! ^ 0x7f4a7c15);
        }
      }
      const sb = sub[s];
      if (sb) {
        const sh = owned !== null && owned.has(s) ? subHash(sb) : (subCache.get(sb) ?? cacheSub(sb));
        x = mix32(x, sh[0]);
        y = mix32(y, sh[1]);
      }
      a = (Math.imul(a ^ x, 0x01000193) + s) | 0;
      b = (Math.imul(b + y, 0x2c1b3c6d) ^ (b >>> 11)) | 0;
    }
    h.pair(a, b);
    if (!this.listsHashOk) {
      const lh = listsHash(this);
      this.listsHashA = lh[0];
      this.listsHashB = lh[1];
      this.listsHashOk = true;
    }
    h.pair(this.listsHashA, this.listsHashB);
    const ns = this.nsect, kind = this.sectKind;
    h.u32(ns);
    for (let i = 0; i < ns; i++) h.u32(kind[i]!);
  }

  /** does the allocator (slots, sections, free lists) stand exactly where o's does? (explorer write sets) */
  sameAllocator(o: FolioStore): boolean {
    if (this.nslots !== o.nslots || this.nsect !== o.nsect || this.liveFolios !== o.liveFolios) return false;
    const same = (a: number[], b: number[]) => a.length === b.length && (a.length === 0 || (a[a.length - 1] === b[b.length - 1] && a[0] === b[0]));
    if (!same(this.freeSlots, o.freeSlots) || !same(this.freeSmall, o.freeSmall) || !same(this.freeSects, o.freeSects)) return false;
    for (let i = 0; i < this.nsect; i++) if (this.sectKind[i] !== o.sectKind[i]) return false;
    return true;
  }

  /** is slot s in the same state here and in o? (explorer write sets) */
  sameSlot(o: FolioStore, s: number): boolean {
    if (this.pfn[s] !== o.pfn[s] || this.order[s] !== o.order[s] || this.flags[s] !== o.flags[s] ||
        this.refcount[s] !== o.refcount[s] || this.mapcount[s] !== o.mapcount[s]) return false;
    if (this.order[s] !== 0) {
      for (let j = s * MM_TRACK, e = j + MM_TRACK; j < e; j++) if (this.mmTrack[j] !== o.mmTrack[j]) return false;
    }
    const a = this.sub[s], b = o.sub[s];
    if (a === b) return true;
    if (!a || !b) return false;
    const n = a.mapcount.length;
    for (let i = 0; i < n; i++) if (a.mapcount[i] !== b.mapcount[i] || a.exclusive[i] !== b.exclusive[i]) return false;
    return true;
  }

  private newSlot(): number {
    this.ownLists();
    const s = this.freeSlots.pop();
    if (s !== undefined) return s;
    const n = this.nslots++;
    if (n >= this.pfn.length) {
      const len = n + 1;
      this.pfn = grow(this.pfn, len);
      this.order = grow(this.order, len);
      this.flags = grow(this.flags, len);
      this.refcount = grow(this.refcount, len);
      this.mapcount = grow(this.mapcount, len);
      this.mmTrack = grow(this.mmTrack, len * MM_TRACK);
    }
    return n;
  }

  private newSection(): number {
    this.ownLists();
    const s = this.freeSects.pop();
    if (s !== undefined) return s;
    const idx = this.nsect++;
    this.sectKind = grow(this.sectKind, idx + 1);
    this.sectSlot = grow(this.sectSlot, idx + 1);
    return idx;
  }

  /** Allocate a folio of order 0 or HPAGE_PMD_ORDER; returns its slot. Refcount 1, not mapped. */
  alloc(order: number, flags: number): number {
    const slot = this.newSlot();
    let pfn: number;
    if (order === 0) {
      this.ownLists();
      let p = this.freeSmall.pop();
      if (p === undefined) {
        const sidx = this.newSection();
        this.sectKind[sidx] = KIND_SMALL;
        const map = new Int32Array(HPAGE_PMD_NR).fill(-1);
        this.sectSmall[sidx] = map;
        this.sectOwned.add(sidx);
        const base = (this.firstSect + sidx) * HPAGE_PMD_NR;
        for (let i = HPAGE_PMD_NR - 1; i > 0; i--) this.freeSmall.push(base + i);
        p = base;
      }
      pfn = p;
      const sidx = (pfn >>> SECTION_SHIFT) - this.firstSect;
      this.ownSect(sidx)[pfn & (HPAGE_PMD_NR - 1)] = slot;
    } else {
      const sidx = this.newSection();
      this.sectKind[sidx] = KIND_LARGE;
      this.sectSlot[sidx] = slot;
      pfn = (this.firstSect + sidx) * HPAGE_PMD_NR;
    }
    this.pfn[slot] = pfn;
    this.order[slot] = order;
    this.flags[slot] = flags;
    this.refcount[slot] = 1;
    this.mapcount[slot] = 0;
    if (order !== 0) this.resetMmTrack(slot);
    // sub is only as long as the last slot that ever had subpages: out-of-bounds reads are undefined,
    // and a store of undefined into the long array costs more than this test
    if (this.sub[slot] !== undefined) this.sub[slot] = undefined;
    // (no set yet: nothing to forget)
    if (this.ownedSub !== null) this.ownedSub.delete(slot);
    this.liveFolios++;
    return slot;
  }

  /** Return a folio whose refcount dropped to zero (free_unref_folios / free_compound_page). */
  free(slot: number): void {
    const pfn = this.pfn[slot]!;
    const sidx = Math.floor(pfn / HPAGE_PMD_NR) - this.firstSect;
    this.ownLists();
    if (this.order[slot] === 0) {
      this.ownSect(sidx)[pfn & (HPAGE_PMD_NR - 1)] = -1;
      this.freeSmall.push(pfn);
    } else {
      this.sectKind[sidx] = KIND_FREE;
      this.freeSects.push(sidx);
    }
    this.flags[slot] = 0;
    this.refcount[slot] = 0;
    if (this.sub[slot] !== undefined) this.sub[slot] = undefined;
    this.freeSlots.push(slot);
    this.liveFolios--;
  }

  /** page_folio(pfn_to_page(pfn)): the slot of the folio holding pfn, or -1 */
  slotOf(pfn: number): number {
    const sidx = Math.floor(pfn / HPAGE_PMD_NR) - this.firstSect;
    if (sidx < 0 || sidx >= this.nsect) return -1;
    const kind = this.sectKind[sidx];
    if (kind === KIND_LARGE) return this.sectSlot[sidx]!;
    if (kind === KIND_SMALL) return this.sectSmall[sidx]![pfn & (HPAGE_PMD_NR - 1)]!;
    return -1;
  }

  /**
   * __split_huge_page: the large folio at slot becomes order-0 folios, one per page, each taking the
   * head's flags, its own mapcount and PageAnonExclusive; a page nobody maps is freed. Returns the
   * new slot of each page (-1 for freed ones).
   */
  splitLarge(slot: number): number[] {
    const n = this.nrPages(slot);
    const base = this.pfn[slot]!;
    const sidx = Math.floor(base / HPAGE_PMD_NR) - this.firstSect;
    const sub = this.sub[slot];
    const entire = this.mapcount[slot]!;
    const headFlags = this.flags[slot]! & ~(PG_anon_exclusive | PG_deferred_split);
    const headExcl = (this.flags[slot]! & PG_anon_exclusive) !== 0;
    const map = new Int32Array(HPAGE_PMD_NR).fill(-1);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = i === 0 ? slot : this.newSlot();
      const mapped = (sub ? sub.mapcount[i]! : 0) + entire;
      const excl = sub ? sub.exclusive[i] === 1 : i === 0 && headExcl;
      this.pfn[s] = base + i;
      this.order[s] = 0;
      this.flags[s] = (headFlags | (excl ? PG_anon_exclusive : 0)) >>> 0;
      this.mapcount[s] = mapped;
      this.refcount[s] = mapped;
      if (this.sub[s] !== undefined) this.sub[s] = undefined;
      map[i] = s;
      out.push(s);
    }
    this.sectKind[sidx] = KIND_SMALL;
    this.sectSmall[sidx] = map;
    this.liveFolios += n - 1;
    return out;
  }

  /** prep_compound_head (mm/internal.h @v6.15): no mapping yet, both MM id slots free, not shared */
  private resetMmTrack(slot: number): void {
    const t = this.mmTrack, b = slot * MM_TRACK;
    t[b] = -1;
    t[b + 1] = MM_ID_DUMMY;
    t[b + 2] = MM_ID_DUMMY;
    t[b + 3] = -1;
    t[b + 4] = -1;
  }

  /** does pfn lie in a large folio? (one section lookup, no slot) */
  isLargePfn(pfn: number): boolean {
    const sidx = Math.floor(pfn / HPAGE_PMD_NR) - this.firstSect;
    return sidx >= 0 && sidx < this.nsect && this.sectKind[sidx] === KIND_LARGE;
  }

  /**
   * the pfn -> slot map of one section for the bulk paths (index by pfn & 511): a small section's
   * own map; for a large folio's section a map of -2, for a free or unknown one a map of -1. The
   * caller only reads it, and not across a change of the store.
   */
  sectionMap(sect: number): Int32Array {
    const sidx = sect - this.firstSect;
    if (sidx < 0 || sidx >= this.nsect) return NO_FOLIO_MAP;
    const kind = this.sectKind[sidx];
    if (kind === KIND_SMALL) return this.sectSmall[sidx]!;
    return kind === KIND_LARGE ? LARGE_FOLIO_MAP : NO_FOLIO_MAP;
  }

  /** PageAnon(page) && PageAnonExclusive(page) for the page at pfn */
  anonExclusiveAt(pfn: number): boolean {
    const slot = this.slotOf(pfn);
    if (slot < 0 || (this.flags[slot]! & PG_anon) === 0) return false;
    return this.pageAnonExclusive(slot, pfn);
  }

  nrPages(slot: number): number { return 1 << this.order[slot]!; }
  isLarge(slot: number): boolean { return this.order[slot]! > 0; }
  test(slot: number, flag: number): boolean { return (this.flags[slot]! & flag) !== 0; }
  setFlag(slot: number, flag: number): void { this.flags[slot] = (this.flags[slot]! | flag) >>> 0; }
  clearFlag(slot: number, flag: number): void { this.flags[slot] = (this.flags[slot]! & ~flag) >>> 0; }

  /** the per-subpage arrays of a large folio, created when it is first PTE-mapped */
  subpages(slot: number): SubpageState {
    let s = this.sub[slot];
    if (!s) {
      const n = this.nrPages(slot);
      s = { mapcount: new Int32Array(n), exclusive: new Uint8Array(n) };
      this.setSub(slot, s);
      this.subOwned.add(slot);
    } else if (!this.subOwned.has(slot)) {
      s = { mapcount: s.mapcount.slice(), exclusive: s.exclusive.slice() };
      this.setSub(slot, s);
      this.subOwned.add(slot);
    }
    return s;
  }

  /** sub[slot] = s, padding sub up to slot first (a store far past the end would make it a dictionary) */
  private setSub(slot: number, s: SubpageState): void {
    const sub = this.sub;
    while (sub.length < slot) sub.push(undefined);
    sub[slot] = s;
  }

  /** PageAnonExclusive(page) */
  pageAnonExclusive(slot: number, pfn: number): boolean {
    if (this.order[slot] === 0) return (this.flags[slot]! & PG_anon_exclusive) !== 0;
    const i = pfn - this.pfn[slot]!;
    const s = this.sub[slot];
    // a PMD-mapped THP keeps the bit on its head page only
    if (!s) return i === 0 && (this.flags[slot]! & PG_anon_exclusive) !== 0;
    return s.exclusive[i] === 1;
  }
  setPageAnonExclusive(slot: number, pfn: number, on: boolean): void {
    if (this.order[slot] === 0 || pfn === this.pfn[slot]) {
      if (on) this.setFlag(slot, PG_anon_exclusive);
      else this.clearFlag(slot, PG_anon_exclusive);
    }
    if (this.order[slot]! > 0 && this.sub[slot]) this.subpages(slot).exclusive[pfn - this.pfn[slot]!] = on ? 1 : 0;
  }

  /** page_mapcount(page): PTE mappings of this subpage plus the entire (PMD) mappings of its folio */
  pageMapcount(slot: number, pfn: number): number {
    if (this.order[slot] === 0) return this.mapcount[slot]!;
    const s = this.sub[slot];
    return this.mapcount[slot]! + (s ? s.mapcount[pfn - this.pfn[slot]!]! : 0);
  }
  /** folio_mapcount(folio): all mappings of all pages */
  folioMapcount(slot: number): number {
    if (this.order[slot] === 0) return this.mapcount[slot]!;
    let n = this.mapcount[slot]! * this.nrPages(slot);
    const s = this.sub[slot];
    if (s) for (let i = 0; i < s.mapcount.length; i++) n += s.mapcount[i]!;
    return n;
  }
  /** folio_mapped / page_mapped */
  folioMapped(slot: number): boolean {
    if (this.mapcount[slot]! > 0) return true;
    const s = this.sub[slot];
    if (s) for (let i = 0; i < s.mapcount.length; i++) if (s.mapcount[i]! > 0) return true;
    return false;
  }

  /** total pfn sections ever used (for accounting) */
  get sections(): number { return this.nsect; }
}

/**
 * The constructor of FolioStore clones: the fields of a FolioStore in one go (an object made by
 * Object.create and filled field by field reallocates its property store as it grows).
 */
const FolioStoreCopy = function (this: Record<string, unknown>, o: FolioStore, pfn: Float64Array, order: Uint8Array, flags: Uint32Array,
  refcount: Int32Array, mapcount: Int32Array, mmTrack: Int32Array, sectKind: Uint8Array, sectSlot: Int32Array) {
  const x = o as unknown as Record<string, unknown>;
  this.pfn = pfn;
  this.order = order;
  this.flags = flags;
  this.refcount = refcount;
  this.mapcount = mapcount;
  this.mmTrack = mmTrack;
  this.sub = o.sub.slice();
  this.nslots = o.nslots;
  this.freeSlots = o.freeSlots;
  this.liveFolios = o.liveFolios;
  this.sectKind = sectKind;
  this.sectSlot = sectSlot;
  this.sectSmall = (x.sectSmall as unknown[]).slice();
  this.nsect = x.nsect;
  this.firstSect = x.firstSect;
  this.freeSects = x.freeSects;
  this.freeSmall = x.freeSmall;
  this.ownedSub = null;
  this.ownedSect = null;
  this.lastOwnedSect = -1;
  this.listsShared = true;
  this.listsHashA = x.listsHashA;
  this.listsHashB = x.listsHashB;
  this.listsHashOk = x.listsHashOk;
} as unknown as new (o: FolioStore, pfn: Float64Array, order: Uint8Array, flags: Uint32Array, refcount: Int32Array, mapcount: Int32Array,
  mmTrack: Int32Array, sectKind: Uint8Array, sectSlot: Int32Array) => FolioStore;
FolioStoreCopy.prototype = FolioStore.prototype;

/** one murmur3 round: h mixed with k */
function mix32(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

// hashes of parts shared between clones (never written again while shared)
const subCache = new WeakMap<SubpageState, [number, number]>();

function subHash(sub: SubpageState): [number, number] {
  let a = 0x5b5b, b = 0x1234567;
  const m = sub.mapcount, x = sub.exclusive;
  for (let i = 0; i < m.length; i++) {
    const v = (m[i]! | (x[i]! << 24)) ^ Math.imul(i + 1, 0x9e3779b1);
    a = Math.imul(a ^ v, 0x01000193);
    b = (Math.imul(b, 31) + v) | 0;
  }
  return [a, b];
}
function cacheSub(sub: SubpageState): [number, number] {
  const h = subHash(sub);
  subCache.set(sub, h);
  return h;
}
/** the free lists, in order (their order decides the pfn of the next allocation) */
function listsHash(f: FolioStore): [number, number] {
  const l = f as unknown as { freeSlots: number[]; freeSmall: number[]; freeSects: number[] };
  let a = 0x7e7e, b = 0x2468ace;
  for (let j = 0; j < 3; j++) {
    const xs = j === 0 ? l.freeSlots : j === 1 ? l.freeSmall : l.freeSects;
    a = Math.imul(a ^ xs.length, 0x01000193);
    b = (Math.imul(b, 31) + xs.length) | 0;
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i]!;
      a = Math.imul(a ^ (v | 0), 0x01000193);
      b = (Math.imul(b, 31) + (v | 0) + ((v / 4294967296) | 0)) | 0;
    }
  }
  return [a, b];
}

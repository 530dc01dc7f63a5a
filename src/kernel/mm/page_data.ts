// What is written in physical pages. Pages read as zero until written; only written bytes are kept:
// one byte as a number (offset << 8 | value), a few as (offset, value) pairs, a busy page as a full
// 4 KiB array.
import { PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import { byteMix, type StateHasher } from '../../explore/hash.js';

const DENSE_AFTER = 64;
/** pages are kept in groups of 64 consecutive pfns: a small map of small arrays (a Map of a million
 * pfns costs far more to grow and to probe) */
const GROUP = 64;
type Group = (PageBytes | undefined)[];
function newGroup(): Group {
  return new Array<PageBytes | undefined>(GROUP).fill(undefined);
}

type Sparse = { offs: number[]; vals: number[] };
/** a page with one written byte: offset << 8 | value (no allocation: the common first touch) */
type OneByte = number;
type PageBytes = OneByte | Sparse | Uint8Array;

function sparseOf(b: Sparse | OneByte): Sparse {
  return typeof b === 'number' ? { offs: [b >>> 8], vals: [b & 0xff] } : b;
}

export class PageData {
  /** written pages by pfn group (pfn / GROUP), each an array of GROUP slots */
  private groups = new Map<number, Group>();
  /** pages written (slots not undefined) */
  private count = 0;
  /**
   * false until this instance is cloned (or is a clone): until then every page is its own and none of
   * the copy-on-write bookkeeping below is needed (a plain `mmsim run`)
   */
  private everShared = false;

  /**
   * Pages this instance may change in place. A clone shares every page object with its original;
   * whichever side writes a shared page first gets a private copy (the explorer clones a machine
   * for each step it tries, and most steps touch no page or one).
   */
  private ownedSet: Set<number> | null = null;
  private get owned(): Set<number> {
    return (this.ownedSet ??= new Set<number>());
  }
  /** the last pfn known to be owned (a fast path for byte-by-byte writes) */
  private lastOwned = -1;

  /** `groups` and every group are shared with a clone until either side adds or drops a page */
  private mapsShared = false;
  /** once `groups` is this instance's own again: the groups it may change (null: all of them) */
  private ownedGroups: Set<number> | null = null;

  /**
   * Hash of the contents, valid while hashOk: every change of a page or of the map goes through
   * ownMaps() or writable(), which drop it. A clone starts with its original's.
   */
  private hashA = 0;
  private hashB = 0;
  private hashOk = false;

  clone(): PageData {
    const c = new PageDataCopy(this);
    this.everShared = true;
    this.mapsShared = true;
    this.ownedSet = null;
    this.lastOwned = -1;
    return c;
  }

  private ownMaps(): void {
    // called before every change of the page map
    this.hashOk = false;
    if (!this.mapsShared) return;
    this.groups = new Map(this.groups);
    this.mapsShared = false;
    this.ownedGroups = new Set<number>();
  }

  /** the page of pfn, or undefined if nothing is written there */
  private look(pfn: number): PageBytes | undefined {
    const g = this.groups.get(Math.floor(pfn / GROUP));
    return g === undefined ? undefined : g[pfn % GROUP];
  }
  /** the group of pfn, made this instance's own (after ownMaps()) */
  private groupW(pfn: number): Group {
    const key = Math.floor(pfn / GROUP);
    let g = this.groups.get(key);
    if (g === undefined) {
      g = newGroup();
      this.groups.set(key, g);
      if (this.ownedGroups !== null) this.ownedGroups.add(key);
    } else if (this.ownedGroups !== null && !this.ownedGroups.has(key)) {
      g = g.slice();
      this.groups.set(key, g);
      this.ownedGroups.add(key);
    }
    return g;
  }
  /** pages.set (after ownMaps()) */
  private put(pfn: number, b: PageBytes): void {
    const g = this.groupW(pfn);
    const i = pfn % GROUP;
    if (g[i] === undefined) this.count++;
    g[i] = b;
  }
  /** pages.delete (after ownMaps()) */
  private drop(pfn: number): void {
    const g = this.groupW(pfn);
    const i = pfn % GROUP;
    if (g[i] !== undefined) this.count--;
    g[i] = undefined;
  }

  /** the page of pfn, made private to this instance (copied if it is shared with a clone) */
  private writable(pfn: number, b: Sparse | Uint8Array): Sparse | Uint8Array {
    // called before every change of a page's bytes
    this.hashOk = false;
    if (!this.everShared || pfn === this.lastOwned) return b;
    if (!this.owned.has(pfn)) {
      b = b instanceof Uint8Array ? b.slice() : { offs: b.offs.slice(), vals: b.vals.slice() };
      this.ownMaps();
      this.put(pfn, b);
      this.owned.add(pfn);
    }
    this.lastOwned = pfn;
    return b;
  }

  /** does pfn hold written bytes? */
  has(pfn: number): boolean {
    return this.look(pfn) !== undefined;
  }

  /** Fingerprint (explorer): the contents of every page, independent of how they are stored */
  fingerprint(h: StateHasher): void {
    this.lastOwned = -1;
    if (this.hashOk) {
      h.pair(this.hashA, this.hashB);
      return;
    }
    let a = 0, b = 0;
    for (const [key, g] of this.groups) for (let j = 0; j < GROUP; j++) {
      const p = g[j];
      if (p === undefined) continue;
      const pfn = key * GROUP + j;
      // a page this instance may still change is hashed afresh; shared ones keep their hash
      const mine = !this.everShared || (this.ownedSet !== null && this.ownedSet.has(pfn));
      const ph = mine || typeof p === 'number' ? pageHash(p) : (hashCache.get(p) ?? cacheHash(p));
      if (ph[0] === 0 && ph[1] === 0) continue; // written back to all zeroes: same as never written
      const x = Math.imul(ph[0] ^ Math.imul(pfn | 0, 0x9e3779b1), 0x85ebca6b) ^ Math.floor(pfn / 4294967296);
      a = (a + (x ^ (x >>> 15))) | 0;
      b = (b + Math.imul(ph[1] + (pfn | 0), 0xc2b2ae35)) | 0;
    }
    this.hashA = a;
    this.hashB = b;
    this.hashOk = true;
    h.pair(a, b);
  }

  /** pfns whose contents may differ between this instance and o (explorer write sets) */
  changedPfns(o: PageData, out: number[]): void {
    if (this.groups === o.groups) return;
    for (const [key, g] of this.groups) {
      const h = o.groups.get(key);
      if (h === g) continue;
      for (let j = 0; j < GROUP; j++) {
        const b = g[j], c = h === undefined ? undefined : h[j];
        if (b !== c) out.push(key * GROUP + j);
      }
    }
    for (const [key, h] of o.groups) {
      if (this.groups.has(key)) continue;
      for (let j = 0; j < GROUP; j++) if (h[j] !== undefined) out.push(key * GROUP + j);
    }
  }

  get pageCount(): number { return this.count; }

  readByte(pfn: number, off: number): number {
    const b = this.look(pfn);
    if (b === undefined) return 0;
    if (typeof b === 'number') return b >>> 8 === off ? b & 0xff : 0;
    if (b instanceof Uint8Array) return b[off]!;
    const i = b.offs.indexOf(off);
    return i < 0 ? 0 : b.vals[i]!;
  }

  /** copy n bytes of pfn from off into out at `at` (copy_to_user of a read) */
  readInto(pfn: number, off: number, out: Uint8Array, at: number, n: number): void {
    const b = this.look(pfn);
    out.fill(0, at, at + n);
    if (b === undefined) return;
    if (typeof b === 'number') {
      const o = b >>> 8;
      if (o >= off && o < off + n) out[at + o - off] = b & 0xff;
      return;
    }
    if (b instanceof Uint8Array) {
      out.set(b.subarray(off, off + n), at);
      return;
    }
    for (let j = 0; j < b.offs.length; j++) {
      const o = b.offs[j]!;
      if (o >= off && o < off + n) out[at + o - off] = b.vals[j]!;
    }
  }

  writeByte(pfn: number, off: number, v: number): void {
    const cur = this.look(pfn);
    if (cur === undefined) {
      if (v === 0) return;
      this.ownMaps();
      this.put(pfn, (off << 8) | v);
      return;
    }
    let b: Exclude<typeof cur, number | undefined>;
    if (typeof cur === 'number') {
      if (cur >>> 8 === off) {
        if ((cur & 0xff) === v) return;
        this.ownMaps();
        if (v === 0) this.drop(pfn);
        else this.put(pfn, (off << 8) | v);
        return;
      }
      if (v === 0) return;
      b = { offs: [cur >>> 8], vals: [cur & 0xff] };
      this.ownMaps();
      this.put(pfn, b);
      if (this.everShared) this.owned.add(pfn);
    } else b = this.writable(pfn, cur);
    if (b instanceof Uint8Array) {
      b[off] = v;
      return;
    }
    const i = b.offs.indexOf(off);
    if (i >= 0) {
      b.vals[i] = v;
      return;
    }
    if (v === 0) return;
    b.offs.push(off);
    b.vals.push(v);
    if (b.offs.length > DENSE_AFTER) {
      const d = new Uint8Array(PAGE_SIZE);
      for (let j = 0; j < b.offs.length; j++) d[b.offs[j]!] = b.vals[j]!;
      this.ownMaps();
      this.put(pfn, d);
      if (this.everShared) this.owned.add(pfn);
    }
  }

  /** n bytes from off set to v (a user-space memset over the page): a whole page is replaced at once */
  fillBytes(pfn: number, off: number, n: number, v: number): void {
    if (off !== 0 || n !== PAGE_SIZE) {
      for (let i = 0; i < n; i++) this.writeByte(pfn, off + i, v);
      return;
    }
    if (v === 0) {
      this.clearPage(pfn);
      return;
    }
    const d = new Uint8Array(PAGE_SIZE);
    d.fill(v);
    this.ownMaps();
    this.put(pfn, d);
    if (this.everShared) this.owned.add(pfn);
    if (pfn === this.lastOwned) this.lastOwned = -1;
  }

  /** copy_user_highpage / copy_mc_user_highpage */
  copyPage(dst: number, src: number): void {
    const b = this.look(src);
    this.clearPage(dst);
    if (!b) return;
    this.ownMaps();
    this.put(dst, typeof b === 'number' ? b : b instanceof Uint8Array ? b.slice() : { offs: b.offs.slice(), vals: b.vals.slice() });
    if (this.everShared) this.owned.add(dst);
  }

  /** clear_highpage: the page reads as zero again (freeing or zeroing it) */
  clearPage(pfn: number): void {
    if (this.look(pfn) === undefined) return;
    this.ownMaps();
    this.drop(pfn);
    if (this.everShared) this.owned.delete(pfn);
    if (pfn === this.lastOwned) this.lastOwned = -1;
  }

  /** clear n pages from base (a freed or freshly zeroed folio) */
  clearRange(base: number, n: number): void {
    if (this.count === 0) return;
    for (let p = base; p < base + n; p++) this.clearPage(p);
  }

  /** pages_identical(page, ZERO_PAGE(0)): does the page read as zero throughout? */
  isZero(pfn: number): boolean {
    const p = this.look(pfn);
    if (p === undefined) return true;
    if (typeof p === 'number') return (p & 0xff) === 0;
    if (p instanceof Uint8Array) {
      for (let i = 0; i < p.length; i++) if (p[i]) return false;
      return true;
    }
    for (let j = 0; j < p.vals.length; j++) if (p.vals[j]) return false;
    return true;
  }

  /** all bytes of the page (for comparing snapshots) */
  readPage(pfn: number): Uint8Array {
    const out = new Uint8Array(PAGE_SIZE);
    const p = this.look(pfn);
    if (p === undefined) return out;
    if (p instanceof Uint8Array) out.set(p);
    else {
      const b = sparseOf(p);
      for (let j = 0; j < b.offs.length; j++) out[b.offs[j]!] = b.vals[j]!;
    }
    return out;
  }

  /** a cheap digest of a page's contents (for state fingerprints) */
  digest(pfn: number): number {
    const p = this.look(pfn);
    if (p === undefined) return 0;
    let h = 0x811c9dc5;
    if (p instanceof Uint8Array) {
      for (let i = 0; i < p.length; i++) if (p[i]) h = Math.imul(h ^ (i * 257 + p[i]!), 0x01000193);
    } else {
      const b = sparseOf(p);
      const idx = b.offs.map((_, j) => j).sort((x, y) => b.offs[x]! - b.offs[y]!);
      for (const j of idx) if (b.vals[j]) h = Math.imul(h ^ (b.offs[j]! * 257 + b.vals[j]!), 0x01000193);
    }
    return h >>> 0;
  }

  /** the pfns holding written bytes (by group, in pfn order within a group) */
  *pfns(): IterableIterator<number> {
    for (const [key, g] of this.groups) for (let j = 0; j < GROUP; j++) if (g[j] !== undefined) yield key * GROUP + j;
  }
}

/** the constructor of PageData clones: every field in one go (see FolioStoreCopy) */
const PageDataCopy = function (this: Record<string, unknown>, o: PageData) {
  const x = o as unknown as Record<string, unknown>;
  this.groups = x.groups;
  this.count = x.count;
  this.everShared = true;
  this.ownedSet = null;
  this.lastOwned = -1;
  this.mapsShared = true;
  this.ownedGroups = null;
  this.hashA = x.hashA;
  this.hashB = x.hashB;
  this.hashOk = x.hashOk;
} as unknown as new (o: PageData) => PageData;
PageDataCopy.prototype = PageData.prototype;

/** content hash of a page in either form: the sum of byteMix over its non-zero bytes */
function pageHash(p: PageBytes): [number, number] {
  let x = 0, y = 0;
  if (typeof p === 'number') return (p & 0xff) ? byteMix(p >>> 8, p & 0xff) : [0, 0];
  const b = p;
  if (b instanceof Uint8Array) {
    for (let i = 0; i < b.length; i++) {
      if (!b[i]) continue;
      const m = byteMix(i, b[i]!);
      x = (x + m[0]) | 0;
      y = (y + m[1]) | 0;
    }
  } else {
    for (let j = 0; j < b.offs.length; j++) {
      if (!b.vals[j]) continue;
      const m = byteMix(b.offs[j]!, b.vals[j]!);
      x = (x + m[0]) | 0;
      y = (y + m[1]) | 0;
    }
  }
  return [x, y];
}


/** page objects shared between clones are never written again, so their hash can be kept */
const hashCache = new WeakMap<Sparse | Uint8Array, [number, number]>();
function cacheHash(b: PageBytes): [number, number] {
  if (typeof b === 'number') return pageHash(b);
  const h = pageHash(b);
  hashCache.set(b, h);
  return h;
}

// What is written in physical pages: pfn -> PageContent (src/state/content.ts), an immutable value;
// pages never written (or written back to zeroes) are absent and read as zero. A copy of a page shares
// its content; the fingerprint of all contents is kept up to date as pages change.
import { PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import { PageContent } from '../../state/content.js';
import type { StateHasher } from '../../explore/hash.js';

/** pages are kept in groups of 64 consecutive pfns: a small map of small arrays (a Map of a million
 * pfns costs far more to grow and to probe) */
const GROUP = 64;
type Group = (PageContent | undefined)[];
function newGroup(): Group {
  return new Array<PageContent | undefined>(GROUP).fill(undefined);
}

/** a page's share of the fingerprint, in two lanes (summed over the pages) */
function entryA(pfn: number, c: PageContent): number {
  let x = Math.imul(c.h1 ^ Math.imul(pfn | 0, 0x9e3779b1), 0x85ebca6b) ^ Math.floor(pfn / 4294967296);
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d);
  return x ^ (x >>> 12);
}
function entryB(pfn: number, c: PageContent): number {
  let y = Math.imul(c.h2 + Math.imul(pfn | 0, 0x165667b1), 0xcc9e2d51) ^ Math.imul(c.nz, 0x1b873593);
  y ^= y >>> 16;
  y = Math.imul(y, 0x297a2d39);
  return y ^ (y >>> 13);
}

export class PageData {
  /** written pages by pfn group (pfn / GROUP), each an array of GROUP slots */
  private groups = new Map<number, Group>();
  /** pages written (slots not undefined) */
  private count = 0;
  /** `groups` and every group are shared with a clone until either side adds or drops a page */
  private mapsShared = false;
  /** once `groups` is this instance's own again: the groups it may change (null: all of them) */
  private ownedGroups: Set<number> | null = null;
  /** the fingerprint lanes: the sum over written pages of entryA/entryB */
  private hashA = 0;
  private hashB = 0;

  /** a copy that shares every page and the map until either side changes them */
  clone(): PageData {
    const c = new PageDataCopy(this);
    this.mapsShared = true;
    this.ownedGroups = null;
    return c;
  }

  /** the page of pfn, or undefined if nothing is written there */
  private look(pfn: number): PageContent | undefined {
    const g = this.groups.get(Math.floor(pfn / GROUP));
    return g === undefined ? undefined : g[pfn % GROUP];
  }

  /** replace the page of pfn (undefined: zeroes) */
  private put(pfn: number, c: PageContent | undefined): void {
    const old = this.look(pfn);
    if (old === c) return;
    if (this.mapsShared) {
      this.groups = new Map(this.groups);
      this.mapsShared = false;
      this.ownedGroups = new Set<number>();
    }
    const key = Math.floor(pfn / GROUP);
    let g = this.groups.get(key);
    if (g === undefined) {
      if (c === undefined) return;
      g = newGroup();
      this.groups.set(key, g);
      this.ownedGroups?.add(key);
    } else if (this.ownedGroups !== null && !this.ownedGroups.has(key)) {
      g = g.slice();
      this.groups.set(key, g);
      this.ownedGroups.add(key);
    }
    const i = pfn % GROUP;
    if (old !== undefined) {
      this.count--;
      this.hashA = (this.hashA - entryA(pfn, old)) | 0;
      this.hashB = (this.hashB - entryB(pfn, old)) | 0;
    }
    if (c !== undefined) {
      this.count++;
      this.hashA = (this.hashA + entryA(pfn, c)) | 0;
      this.hashB = (this.hashB + entryB(pfn, c)) | 0;
    }
    g[i] = c;
  }

  /** does pfn hold written bytes? */
  has(pfn: number): boolean {
    return this.look(pfn) !== undefined;
  }

  /** the contents of pfn (null: zeroes) */
  content(pfn: number): PageContent | null {
    return this.look(pfn) ?? null;
  }

  /** Fingerprint (explorer): the contents of every page, kept up to date by every change */
  fingerprint(h: StateHasher): void {
    h.pair(this.hashA, this.hashB);
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
    const c = this.look(pfn);
    return c === undefined ? 0 : c.byte(off);
  }

  /** n bytes of src from `at` written at off of pfn (a user-space store) */
  writeBytes(pfn: number, off: number, src: ArrayLike<number>, at: number, n: number): void {
    const c = this.look(pfn) ?? null;
    const d = PageContent.write(c, off, src, at, n);
    if (d !== c) this.put(pfn, d ?? undefined);
  }

  writeByte(pfn: number, off: number, v: number): void {
    this.writeBytes(pfn, off, [v], 0, 1);
  }

  /** n bytes from off set to v (a user-space memset over the page): a whole page is replaced at once */
  fillBytes(pfn: number, off: number, n: number, v: number): void {
    if (off === 0 && n === PAGE_SIZE) {
      this.put(pfn, v === 0 ? undefined : PageContent.filled(v));
      return;
    }
    this.writeBytes(pfn, off, new Uint8Array(n).fill(v), 0, n);
  }

  /** copy_user_highpage / copy_mc_user_highpage: the copy shares the source's content */
  copyPage(dst: number, src: number): void {
    this.put(dst, this.look(src));
  }

  /** clear_highpage: the page reads as zero again (freeing or zeroing it) */
  clearPage(pfn: number): void {
    this.put(pfn, undefined);
  }

  /** clear n pages from base (a freed or freshly zeroed folio) */
  clearRange(base: number, n: number): void {
    if (this.count === 0) return;
    for (let p = base; p < base + n; p++) this.put(p, undefined);
  }

  /** pages_identical(page, ZERO_PAGE(0)): does the page read as zero throughout? */
  isZero(pfn: number): boolean {
    return this.look(pfn) === undefined;
  }

  /** a digest of a page's contents (observations): equal pages, equal digests */
  digest(pfn: number): string {
    const c = this.look(pfn);
    return c === undefined ? '0' : `${c.h1.toString(16)}.${c.h2.toString(16)}`;
  }

  /** the pfns holding written bytes (by group, in pfn order within a group) */
  *pfns(): IterableIterator<number> {
    for (const [key, g] of this.groups) for (let j = 0; j < GROUP; j++) if (g[j] !== undefined) yield key * GROUP + j;
  }
}

/** the constructor of PageData clones: every field in one go */
const PageDataCopy = function (this: Record<string, unknown>, o: PageData) {
  const x = o as unknown as Record<string, unknown>;
  this.groups = x.groups;
  this.count = x.count;
  this.mapsShared = true;
  this.ownedGroups = null;
  this.hashA = x.hashA;
  this.hashB = x.hashB;
} as unknown as new (o: PageData) => PageData;
PageDataCopy.prototype = PageData.prototype;

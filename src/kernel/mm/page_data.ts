// What is written in physical pages. Pages read as zero until written; only written bytes are kept:
// a few bytes as (offset, value) pairs, a busy page as a full 4 KiB array.
import { PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';

const DENSE_AFTER = 64;

type Sparse = { offs: number[]; vals: number[] };
type PageBytes = Sparse | Uint8Array;

export class PageData {
  private pages = new Map<number, PageBytes>();
  /** 2 MiB sections (pfn >> 9) that hold at least one written page */
  private sections = new Map<number, number>();

  private added(pfn: number): void {
    const s = Math.floor(pfn / 512);
    this.sections.set(s, (this.sections.get(s) ?? 0) + 1);
  }
  private removed(pfn: number): void {
    const s = Math.floor(pfn / 512);
    const n = (this.sections.get(s) ?? 1) - 1;
    if (n <= 0) this.sections.delete(s);
    else this.sections.set(s, n);
  }

  clone(): PageData {
    const c = new PageData();
    for (const [pfn, b] of this.pages) {
      c.pages.set(pfn, b instanceof Uint8Array ? b.slice() : { offs: b.offs.slice(), vals: b.vals.slice() });
    }
    c.sections = new Map(this.sections);
    return c;
  }

  get pageCount(): number { return this.pages.size; }

  readByte(pfn: number, off: number): number {
    const b = this.pages.get(pfn);
    if (!b) return 0;
    if (b instanceof Uint8Array) return b[off]!;
    const i = b.offs.indexOf(off);
    return i < 0 ? 0 : b.vals[i]!;
  }

  writeByte(pfn: number, off: number, v: number): void {
    let b = this.pages.get(pfn);
    if (!b) {
      if (v === 0) return;
      b = { offs: [], vals: [] };
      this.pages.set(pfn, b);
      this.added(pfn);
    }
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
      this.pages.set(pfn, d);
    }
  }

  /** copy_user_highpage / copy_mc_user_highpage */
  copyPage(dst: number, src: number): void {
    const b = this.pages.get(src);
    this.clearPage(dst);
    if (!b) return;
    this.pages.set(dst, b instanceof Uint8Array ? b.slice() : { offs: b.offs.slice(), vals: b.vals.slice() });
    this.added(dst);
  }

  /** clear_highpage: the page reads as zero again (freeing or zeroing it) */
  clearPage(pfn: number): void {
    if (this.pages.delete(pfn)) this.removed(pfn);
  }

  /** clear n pages from base (a freed or freshly zeroed folio) */
  clearRange(base: number, n: number): void {
    if (this.pages.size === 0) return;
    for (let s = Math.floor(base / 512); s <= Math.floor((base + n - 1) / 512); s++) {
      if (!this.sections.has(s)) continue;
      const lo = Math.max(base, s * 512), hi = Math.min(base + n, s * 512 + 512);
      for (let p = lo; p < hi; p++) this.clearPage(p);
    }
  }

  /** all bytes of the page (for comparing snapshots) */
  readPage(pfn: number): Uint8Array {
    const out = new Uint8Array(PAGE_SIZE);
    const b = this.pages.get(pfn);
    if (!b) return out;
    if (b instanceof Uint8Array) out.set(b);
    else for (let j = 0; j < b.offs.length; j++) out[b.offs[j]!] = b.vals[j]!;
    return out;
  }

  /** a cheap digest of a page's contents (for state fingerprints) */
  digest(pfn: number): number {
    const b = this.pages.get(pfn);
    if (!b) return 0;
    let h = 0x811c9dc5;
    if (b instanceof Uint8Array) {
      for (let i = 0; i < b.length; i++) if (b[i]) h = Math.imul(h ^ (i * 257 + b[i]!), 0x01000193);
    } else {
      const idx = b.offs.map((_, j) => j).sort((x, y) => b.offs[x]! - b.offs[y]!);
      for (const j of idx) if (b.vals[j]) h = Math.imul(h ^ (b.offs[j]! * 257 + b.vals[j]!), 0x01000193);
    }
    return h >>> 0;
  }

  pfns(): IterableIterator<number> { return this.pages.keys(); }
}

// What is written in physical pages: a cell per pfn in the kernel's Store holding the id of the page's
// contents (src/state/content.ts: an immutable value; 0 for a page that reads as zero). A copy of a page
// copies the id; a copy of the Store copies no page; the fingerprint takes each content's hash.
import { PAGE_SIZE } from '../arch/x86/include/pgtable_types.js';
import { PageContent, contentHash, contentId, contentOf } from '../../state/content.js';
import type { Segment, SegmentSpec } from '../../state/store.js';

export const PAGE_DATA_SEGMENTS: readonly SegmentSpec[] = [{ name: 'page_data', hashValue: contentHash }];

export class PageData {
  /** one cell per pfn: the content id */
  constructor(private readonly D: Segment) {}

  private put(pfn: number, c: PageContent | null): void {
    this.D.set(pfn, contentId(c));
  }

  /** does pfn hold written bytes? */
  has(pfn: number): boolean {
    return this.D.get(pfn) !== 0;
  }

  /** the contents of pfn (null: zeroes) */
  content(pfn: number): PageContent | null {
    return contentOf(this.D.get(pfn));
  }

  /** pfns whose contents differ between this instance and o (explorer write sets) */
  changedPfns(o: PageData, out: number[]): void {
    this.D.changed(o.D, out);
  }

  readByte(pfn: number, off: number): number {
    return PageContent.byteOf(this.content(pfn), off);
  }

  /** n bytes of src from `at` written at off of pfn (a user-space store) */
  writeBytes(pfn: number, off: number, src: ArrayLike<number>, at: number, n: number): void {
    const c = this.content(pfn);
    const d = PageContent.write(c, off, src, at, n);
    if (d !== c) this.put(pfn, d);
  }

  writeByte(pfn: number, off: number, v: number): void {
    this.writeBytes(pfn, off, [v], 0, 1);
  }

  /** n bytes from off set to v (a user-space memset over the page): a whole page is replaced at once */
  fillBytes(pfn: number, off: number, n: number, v: number): void {
    if (off === 0 && n === PAGE_SIZE) {
      this.put(pfn, v === 0 ? null : PageContent.filled(v));
      return;
    }
    this.writeBytes(pfn, off, new Uint8Array(n).fill(v), 0, n);
  }

  /** copy_user_highpage / copy_mc_user_highpage: the copy shares the source's content */
  copyPage(dst: number, src: number): void {
    this.D.set(dst, this.D.get(src));
  }

  /** the content id of pfn (swap-out writes it to a slot: mm/swapfile.ts) */
  idOf(pfn: number): number {
    return this.D.get(pfn);
  }

  /** pfn holds the content with this id (swap-in reads a slot into a new page) */
  setId(pfn: number, id: number): void {
    this.D.set(pfn, id);
  }

  /** clear_highpage: the page reads as zero again (freeing or zeroing it) */
  clearPage(pfn: number): void {
    this.D.set(pfn, 0);
  }

  /** clear n pages from base (a freed or freshly zeroed folio) */
  clearRange(base: number, n: number): void {
    this.D.clear(base, n);
  }

  /** pages_identical(page, ZERO_PAGE(0)): does the page read as zero throughout? */
  isZero(pfn: number): boolean {
    return this.D.get(pfn) === 0;
  }

  /** a digest of a page's contents (observations): equal pages, equal digests */
  digest(pfn: number): string {
    const c = this.content(pfn);
    return c === null ? '0' : `${c.h1.toString(16)}.${c.h2.toString(16)}`;
  }

  /** the pfns holding written bytes, ascending */
  *pfns(): IterableIterator<number> {
    const out: number[] = [];
    this.D.forEachLeaf((base, leaf) => {
      for (let j = 0; j < 64; j++) if (leaf[j] !== 0) out.push(base | j);
    });
    yield* out;
  }
}

// Page contents as values (src/state/content.ts): every form (sparse, filled, 4 KiB) against a plain byte
// array, the hashes against a recomputation from the bytes, and equality decided exactly.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { PageContent, Bytes, digestBytes } from '../../src/state/content.js';

const PAGE = 4096;
/** a write of some bytes at an offset, or a memset of the page */
const writeArb = fc.oneof(
  fc.record({ off: fc.integer({ min: 0, max: PAGE - 8 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ fill: fc.integer({ min: 0, max: 255 }) }),
  // a run long enough to turn a sparse page into 4 KiB
  fc.record({ off: fc.integer({ min: 0, max: PAGE - 100 }), bytes: fc.uint8Array({ minLength: 70, maxLength: 100, min: 1 }) }),
);

function apply(c: PageContent | null, ref: Uint8Array, w: { off?: number; bytes?: Uint8Array; fill?: number }): PageContent | null {
  if (w.fill !== undefined) {
    ref.fill(w.fill);
    return w.fill === 0 ? null : PageContent.filled(w.fill);
  }
  ref.set(w.bytes!, w.off!);
  return PageContent.write(c, w.off!, w.bytes!, 0, w.bytes!.length);
}

describe('PageContent', () => {
  it('reads back what was written, in every form, with the hash of its bytes', () => {
    fc.assert(fc.property(fc.array(writeArb, { maxLength: 12 }), (ws) => {
      const ref = new Uint8Array(PAGE);
      let c: PageContent | null = null;
      for (const w of ws) c = apply(c, ref, w);
      const got = c === null ? new Uint8Array(PAGE) : c.toBytes();
      expect(Buffer.compare(Buffer.from(got), Buffer.from(ref))).toBe(0);
      // null exactly when the page is all zeroes
      expect(c === null).toBe(ref.every((b) => b === 0));
      if (c !== null) {
        const fresh = PageContent.of(ref)!;
        expect([c.h1, c.h2, c.nz]).toEqual([fresh.h1, fresh.h2, fresh.nz]);
        expect(PageContent.equal(c, fresh)).toBe(true);
        for (let i = 0; i < 20; i++) {
          const o = (i * 211) % PAGE;
          expect(c.byte(o)).toBe(ref[o]);
        }
      }
    }), { numRuns: 300 });
  });

  it('equality is exact: pages that differ in one byte are not equal, whatever their form', () => {
    const a = PageContent.filled(7);
    const b = PageContent.write(a, 100, [8], 0, 1)!;
    expect(PageContent.equal(a, b)).toBe(false);
    expect(PageContent.equal(PageContent.write(b, 100, [7], 0, 1), a)).toBe(true);
    const s = PageContent.write(null, 5, [1, 2, 3], 0, 3)!;
    expect(PageContent.equal(s, PageContent.write(null, 5, [1, 2, 4], 0, 3))).toBe(false);
    expect(PageContent.rangeEqual(s, PageContent.write(null, 5, [1, 2, 4], 0, 3), 0, 7)).toBe(true);
    expect(PageContent.rangeEqual(s, null, 8, 100)).toBe(true);
    expect(PageContent.rangeEqual(s, null, 0, 8)).toBe(false);
  });

  it('a write that changes nothing gives the same value, and writing zeroes back gives the zero page', () => {
    const s = PageContent.write(null, 10, [9], 0, 1)!;
    expect(PageContent.write(s, 10, [9], 0, 1)).toBe(s);
    expect(PageContent.write(s, 10, [0], 0, 1)).toBe(null);
  });
});

describe('Bytes', () => {
  it('a buffer of page segments digests like its bytes, at any offsets', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ w: fc.array(writeArb, { maxLength: 4 }), src: fc.integer({ min: 0, max: PAGE - 1 }), n: fc.integer({ min: 1, max: PAGE }) }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 5000 }),
      (segs, slack) => {
        const total = segs.reduce((a, s) => a + Math.min(s.n, PAGE - s.src), 0) + slack;
        let b = Bytes.empty(total);
        const ref = new Uint8Array(total);
        let at = 0;
        for (const s of segs) {
          const page = new Uint8Array(PAGE);
          let c: PageContent | null = null;
          for (const w of s.w) c = apply(c, page, w);
          const n = Math.min(s.n, PAGE - s.src);
          b = b.append(c, s.src, n);
          ref.set(page.subarray(s.src, s.src + n), at);
          at += n;
        }
        expect(Buffer.compare(Buffer.from(b.toArray()), Buffer.from(ref))).toBe(0);
        expect(b.digest()).toBe(digestBytes(ref));
        expect(b.equals(Bytes.fromArray(ref))).toBe(true);
      }), { numRuns: 200 });
  });

  it('buffers that differ in one byte differ in digest and are not equal', () => {
    const x = new Uint8Array(3 * PAGE);
    x[5000] = 1;
    const y = x.slice();
    y[5001] = 1;
    expect(digestBytes(x)).not.toBe(digestBytes(y));
    expect(Bytes.fromArray(x).equals(Bytes.fromArray(y))).toBe(false);
    // the same bytes one position further are another digest
    const z = new Uint8Array(3 * PAGE);
    z[5001] = 1;
    expect(digestBytes(x)).not.toBe(digestBytes(z));
  });
});

// Page contents as values with an identity. A page's bytes are an immutable PageContent; a write makes a
// new one, a copy (COW, khugepaged, UFFDIO_COPY) shares it, and comparing two pages, hashing a page for a
// state fingerprint or digesting a buffer read from it is a comparison of two hashes, never a loop over
// 4 KiB. Bytes are looped over only where a scenario writes them, or reads part of a page.
//
// The hash of a byte string is a polynomial over its non-zero bytes, in two lanes modulo two primes
// below 2^31: h = sum of v * B^pos (mod P). It is additive (a write changes it in O(1)) and shifts (the
// same bytes at `d` bytes further have the hash times B^d), so a buffer made of whole pages is hashed
// from its pages' hashes. Two different pages of 4 KiB share a lane's value with probability about
// 4096 / 2^31 for inputs that do not depend on B; equality is decided exactly (hashes first, bytes when
// two different objects hash alike).
const PAGE = 4096;
const P1 = 2147483647, P2 = 2147483629;
const B1 = 1103515245 % P1, B2 = 1664525 * 37 % P2;

/** (a * b) mod p for a, b < 2^31, exact in doubles */
function mulmod(a: number, b: number, p: number): number {
  const t = (a * (b >>> 16)) % p;
  return (t * 65536 + a * (b & 0xffff)) % p;
}
function powmod(b: number, e: number, p: number): number {
  let r = 1, x = b;
  while (e > 0) {
    if (e & 1) r = mulmod(r, x, p);
    x = mulmod(x, x, p);
    e = Math.floor(e / 2);
  }
  return r;
}

/** B^i for i < 4096, both lanes */
const POW1 = new Float64Array(PAGE), POW2 = new Float64Array(PAGE);
POW1[0] = 1;
POW2[0] = 1;
for (let i = 1; i < PAGE; i++) {
  POW1[i] = mulmod(POW1[i - 1]!, B1, P1);
  POW2[i] = mulmod(POW2[i - 1]!, B2, P2);
}
/** sum of B^i for i < 4096: the hash of a page of ones */
let S1 = 0, S2 = 0;
for (let i = 0; i < PAGE; i++) {
  S1 = (S1 + POW1[i]!) % P1;
  S2 = (S2 + POW2[i]!) % P2;
}

/** B^d for any buffer offset d (by pages, cached) */
const pagePow1: number[] = [1], pagePow2: number[] = [1];
const PAGE_B1 = powmod(B1, PAGE, P1), PAGE_B2 = powmod(B2, PAGE, P2);
function shift1(d: number): number {
  const q = Math.floor(d / PAGE);
  while (pagePow1.length <= q) pagePow1.push(mulmod(pagePow1[pagePow1.length - 1]!, PAGE_B1, P1));
  return mulmod(pagePow1[q]!, POW1[d % PAGE]!, P1);
}
function shift2(d: number): number {
  const q = Math.floor(d / PAGE);
  while (pagePow2.length <= q) pagePow2.push(mulmod(pagePow2[pagePow2.length - 1]!, PAGE_B2, P2));
  return mulmod(pagePow2[q]!, POW2[d % PAGE]!, P2);
}

const FILLED: (PageContent | undefined)[] = [];
/** oneByte's values: by offset, then by byte (an array per offset written at, made when first needed) */
const ONE_BYTE: ((PageContent | undefined)[] | undefined)[] = new Array<(PageContent | undefined)[] | undefined>(PAGE).fill(undefined);

/** a page with more written bytes than this is kept as 4 KiB */
const SPARSE_MAX = 64;

/**
 * The bytes of one page, immutable. Three forms: a few (offset, value) pairs, one value throughout
 * (memset of a page), or 4 KiB. `h1`, `h2`: the hash lanes; `nz`: the non-zero bytes.
 */
export class PageContent {
  /** its id as a cell value once it has one (contentId); 0 before */
  id = 0;
  private constructor(
    readonly h1: number,
    readonly h2: number,
    readonly nz: number,
    /** sparse: offsets (ascending) and values, all values non-zero */
    private readonly offs: Uint16Array | null,
    private readonly vals: Uint8Array | null,
    /** a page of one non-zero value (0: not that form) */
    private readonly fill: number,
    private readonly dense: Uint8Array | null,
  ) {}

  /** a page of `v` throughout (v non-zero): one shared value per byte value */
  static filled(v: number): PageContent {
    return (FILLED[v] ??= new PageContent(mulmod(v, S1, P1), mulmod(v, S2, P2), PAGE, null, null, v, null));
  }

  /**
   * a page whose only non-zero byte is v at off: one shared value per (off, v), so a page with one byte
   * written (the commonest first touch) costs no object of its own
   */
  static oneByte(off: number, v: number): PageContent {
    let at = ONE_BYTE[off];
    if (at === undefined) ONE_BYTE[off] = at = new Array<PageContent | undefined>(256).fill(undefined);
    let c = at[v];
    if (c === undefined) {
      const offs = new Uint16Array(1), vals = new Uint8Array(1);
      offs[0] = off;
      vals[0] = v;
      at[v] = c = new PageContent(mulmod(v, POW1[off]!, P1), mulmod(v, POW2[off]!, P2), 1, offs, vals, 0, null);
    }
    return c;
  }

  /** a page holding these bytes (at least one non-zero); the form is chosen from the count */
  static of(bytes: Uint8Array): PageContent | null {
    let nz = 0, h1 = 0, h2 = 0;
    for (let i = 0; i < PAGE; i++) {
      const v = bytes[i]!;
      if (v === 0) continue;
      nz++;
      h1 = (h1 + v * POW1[i]!) % P1;
      h2 = (h2 + v * POW2[i]!) % P2;
    }
    if (nz === 0) return null;
    if (nz <= SPARSE_MAX) {
      const offs = new Uint16Array(nz), vals = new Uint8Array(nz);
      for (let i = 0, j = 0; i < PAGE; i++) if (bytes[i]) { offs[j] = i; vals[j++] = bytes[i]!; }
      return new PageContent(h1, h2, nz, offs, vals, 0, null);
    }
    return new PageContent(h1, h2, nz, null, null, 0, bytes.slice(0, PAGE));
  }

  /** the byte at off of a page that may be the zero page (null) */
  static byteOf(c: PageContent | null, off: number): number {
    return c === null ? 0 : c.byte(off);
  }

  byte(off: number): number {
    if (this.fill !== 0) return this.fill;
    if (this.dense !== null) return this.dense[off]!;
    const offs = this.offs!;
    // few entries: a scan beats a binary search
    for (let j = 0; j < offs.length; j++) if (offs[j] === off) return this.vals![j]!;
    return 0;
  }

  /**
   * The page `c` (null: zeroes) with n bytes from off replaced by src[at..at+n); null when the result is
   * all zeroes. Costs the bytes written, plus a copy of the page when it is kept as 4 KiB.
   */
  static write(c: PageContent | null, off: number, src: ArrayLike<number>, at: number, n: number): PageContent | null {
    // a first write of one byte (the commonest first touch): the shared value for it, whose hash oneByte
    // computes once, without the hash update below (the same lanes: mulmod(v, POW[off]) is the update from 0)
    if (c === null && n === 1) {
      const v = src[at]! & 0xff;
      return v === 0 ? null : PageContent.oneByte(off, v);
    }
    let h1 = c === null ? 0 : c.h1, h2 = c === null ? 0 : c.h2, nz = c === null ? 0 : c.nz;
    let changed = false;
    for (let i = 0; i < n; i++) {
      const p = off + i, v = src[at + i]! & 0xff, old = c === null ? 0 : c.byte(p);
      if (v === old) continue;
      changed = true;
      // |v - old| < 256: the product is exact
      h1 = ((h1 + (v - old) * POW1[p]!) % P1 + P1) % P1;
      h2 = ((h2 + (v - old) * POW2[p]!) % P2 + P2) % P2;
      nz += (v !== 0 ? 1 : 0) - (old !== 0 ? 1 : 0);
    }
    if (!changed) return c;
    if (nz === 0) return null;
    if (c === null && nz <= SPARSE_MAX) {
      // a first write: its non-zero bytes, in ascending order already
      if (nz === 1) for (let i = 0; i < n; i++) if ((src[at + i]! & 0xff) !== 0) return PageContent.oneByte(off + i, src[at + i]! & 0xff);
      const offs = new Uint16Array(nz), vals = new Uint8Array(nz);
      for (let i = 0, j = 0; i < n; i++) {
        const v = src[at + i]! & 0xff;
        if (v !== 0) { offs[j] = off + i; vals[j++] = v; }
      }
      return new PageContent(h1, h2, nz, offs, vals, 0, null);
    }
    if (nz <= SPARSE_MAX && (c === null || c.offs !== null)) {
      // stay sparse: merge the old pairs with the new bytes
      const m = new Map<number, number>();
      if (c !== null) for (let j = 0; j < c.offs!.length; j++) m.set(c.offs![j]!, c.vals![j]!);
      for (let i = 0; i < n; i++) {
        const v = src[at + i]! & 0xff;
        if (v === 0) m.delete(off + i);
        else m.set(off + i, v);
      }
      if (m.size === 1) for (const [o, v] of m) return PageContent.oneByte(o, v);
      const keys = [...m.keys()].sort((x, y) => x - y);
      const offs = new Uint16Array(keys.length), vals = new Uint8Array(keys.length);
      for (let j = 0; j < keys.length; j++) {
        offs[j] = keys[j]!;
        vals[j] = m.get(keys[j]!)!;
      }
      return new PageContent(h1, h2, nz, offs, vals, 0, null);
    }
    const d = c === null ? new Uint8Array(PAGE) : c.toBytes();
    for (let i = 0; i < n; i++) d[off + i] = src[at + i]! & 0xff;
    if (nz <= SPARSE_MAX) return PageContent.of(d);
    return new PageContent(h1, h2, nz, null, null, 0, d);
  }

  /** the page's 4 KiB (a new array) */
  toBytes(): Uint8Array {
    const out = new Uint8Array(PAGE);
    this.copyTo(out, 0, 0, PAGE);
    return out;
  }

  /** bytes [off, off + n) of the page into out at `at` */
  copyTo(out: Uint8Array, at: number, off: number, n: number): void {
    if (this.fill !== 0) {
      out.fill(this.fill, at, at + n);
      return;
    }
    if (this.dense !== null) {
      out.set(this.dense.subarray(off, off + n), at);
      return;
    }
    out.fill(0, at, at + n);
    const offs = this.offs!, vals = this.vals!;
    for (let j = 0; j < offs.length; j++) {
      const o = offs[j]!;
      if (o >= off && o < off + n) out[at + o - off] = vals[j]!;
    }
  }

  /** hash lanes and non-zero count of bytes [off, off + n), as if they sat at offset 0 */
  rangeHash(off: number, n: number): [number, number, number] {
    if (off === 0 && n === PAGE) return [this.h1, this.h2, this.nz];
    let h1 = 0, h2 = 0, nz = 0;
    const add = (p: number, v: number) => {
      nz++;
      h1 = (h1 + v * POW1[p - off]!) % P1;
      h2 = (h2 + v * POW2[p - off]!) % P2;
    };
    if (this.offs !== null) {
      for (let j = 0; j < this.offs.length; j++) {
        const o = this.offs[j]!;
        if (o >= off && o < off + n) add(o, this.vals![j]!);
      }
    } else for (let p = off; p < off + n; p++) {
      const v = this.byte(p);
      if (v !== 0) add(p, v);
    }
    return [h1, h2, nz];
  }

  /** exact equality of two pages (null: zeroes): hashes first, then the forms, the bytes only for 4 KiB ones */
  static equal(a: PageContent | null, b: PageContent | null): boolean {
    if (a === b) return true;
    if (a === null || b === null) return false;
    if (a.h1 !== b.h1 || a.h2 !== b.h2 || a.nz !== b.nz) return false;
    if (a.offs !== null || b.offs !== null) {
      // a sparse page against any form with as many non-zero bytes: its pairs decide
      const s = a.offs !== null ? a : b, o = s === a ? b : a;
      for (let j = 0; j < s.offs!.length; j++) if (o.byte(s.offs![j]!) !== s.vals![j]) return false;
      return true;
    }
    if (a.fill !== 0 && b.fill !== 0) return a.fill === b.fill;
    return PageContent.rangeEqual(a, b, 0, PAGE);
  }

  /** exact equality of bytes [off, off + n) of two pages */
  static rangeEqual(a: PageContent | null, b: PageContent | null, off: number, n: number): boolean {
    if (a === b) return true;
    for (let p = off; p < off + n; p++) if (PageContent.byteOf(a, p) !== PageContent.byteOf(b, p)) return false;
    return true;
  }
}

/** one piece of a buffer: n bytes from offset `src` of a page (null: zeroes), at offset `dst` of the buffer */
export interface Segment {
  c: PageContent | null;
  src: number;
  dst: number;
  n: number;
}

/**
 * Bytes read from memory into a scenario's buffer: immutable, a list of page segments (bytes past the
 * last segment read as zero). Its hash is the same polynomial as a page's, over buffer offsets, so two
 * buffers compare by hash and a read record digests without looking at the bytes.
 */
export class Bytes {
  private constructor(
    readonly length: number,
    readonly segments: readonly Segment[],
    /** bytes filled so far (the segments cover [0, filled)) */
    readonly filled: number,
    readonly h1: number,
    readonly h2: number,
    readonly nz: number,
  ) {}

  static empty(length: number): Bytes {
    return new Bytes(length, [], 0, 0, 0, 0);
  }

  /** a buffer holding these bytes (the host's reads, tests) */
  static fromArray(b: Uint8Array): Bytes {
    let x = Bytes.empty(b.length);
    for (let at = 0; at < b.length;) {
      const n = Math.min(PAGE, b.length - at);
      const page = new Uint8Array(PAGE);
      page.set(b.subarray(at, at + n));
      x = x.append(PageContent.of(page), 0, n);
      at += n;
    }
    return x;
  }

  /** this buffer with n more bytes, from offset src of page c (null: zeroes) */
  append(c: PageContent | null, src: number, n: number): Bytes {
    const dst = this.filled;
    let h1 = this.h1, h2 = this.h2, nz = this.nz;
    if (c !== null) {
      const [r1, r2, rn] = c.rangeHash(src, n);
      h1 = (h1 + mulmod(r1, shift1(dst), P1)) % P1;
      h2 = (h2 + mulmod(r2, shift2(dst), P2)) % P2;
      nz += rn;
    }
    return new Bytes(this.length, [...this.segments, { c, src, dst, n }], dst + n, h1, h2, nz);
  }

  /** the buffer's bytes (a new array: for printing, and the rare exact comparison) */
  toArray(): Uint8Array {
    const out = new Uint8Array(this.length);
    for (const s of this.segments) if (s.c !== null) s.c.copyTo(out, s.dst, s.src, s.n);
    return out;
  }

  equals(o: Bytes): boolean {
    if (this === o) return true;
    if (this.length !== o.length || this.h1 !== o.h1 || this.h2 !== o.h2 || this.nz !== o.nz) return false;
    const a = this.segments, b = o.segments;
    if (a.length === b.length && a.every((s, i) => s.c === b[i]!.c && s.src === b[i]!.src && s.dst === b[i]!.dst && s.n === b[i]!.n)) return true;
    const x = this.toArray(), y = o.toArray();
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }

  /** "4096B nonzero=2 h=...": the digest a read record shows (digestBytes of the same bytes) */
  digest(): string {
    return formatDigest(this.length, this.nz, this.h1, this.h2);
  }
}

/** murmur3's finalizer: a bijection of 32-bit values, so that digests of similar buffers look unlike */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function formatDigest(len: number, nz: number, h1: number, h2: number): string {
  return `${len}B nonzero=${nz} h=${fmix(h1).toString(16).padStart(8, '0')}${fmix(h2 ^ 0x5bd1e995).toString(16).padStart(8, '0')}`;
}

/** the digest of plain bytes (the host executor's reads): equal to Bytes.digest() of the same bytes */
export function digestBytes(b: Uint8Array): string {
  let h1 = 0, h2 = 0, nz = 0;
  for (let i = 0; i < b.length; i++) {
    const v = b[i]!;
    if (v === 0) continue;
    nz++;
    h1 = (h1 + mulmod(v, shift1(i), P1)) % P1;
    h2 = (h2 + mulmod(v, shift2(i), P2)) % P2;
  }
  return formatDigest(b.length, nz, h1, h2);
}

// ---- ids: contents as cell values ------------------------------------------------------------------
// A cell holds a content by id (0: zeroes). Ids are handed out once per distinct content (interned:
// equal contents, equal ids), in this process; a fingerprint takes contentHash(id), which does not
// depend on the order ids were handed out in. Interned contents stay for the life of the process.

const byId: (PageContent | null)[] = [null];
const byHash = new Map<number, PageContent[]>();
const ids = new WeakMap<PageContent, number>();

/** the id of a content (null: 0) */
export function contentId(c: PageContent | null): number {
  if (c === null) return 0;
  if (c.id !== 0) return c.id;
  let id = ids.get(c);
  if (id !== undefined) return (c.id = id);
  let bucket = byHash.get(c.h1);
  if (bucket === undefined) byHash.set(c.h1, (bucket = []));
  for (const o of bucket) {
    if (PageContent.equal(o, c)) {
      id = ids.get(o)!;
      ids.set(c, id);
      return (c.id = id);
    }
  }
  bucket.push(c);
  id = byId.length;
  byId.push(c);
  ids.set(c, id);
  return (c.id = id);
}

/** the content of an id (0: null) */
export function contentOf(id: number): PageContent | null {
  return byId[id] ?? null;
}

/** a content's share of a fingerprint, by id: from its hash lanes, never 0 */
export function contentHash(id: number): number {
  const c = byId[id]!;
  let x = Math.imul(c.h1 ^ 0x5bd1e995, 0x85ebca6b) ^ Math.imul(c.h2 + c.nz, 0xc2b2ae35);
  x ^= x >>> 15;
  return x | 1;
}

// State fingerprints: a 64-bit hash of a whole machine state, fed by the Store's lanes (all of the
// state is in cells). Nothing is stringified.
//
// Two views are hashed in one pass, as TLC's VIEW does:
// - the *control* view (lanes a, b): everything that decides what the machine does next;
// - the *counter* lane (c): monotonic statistics (vmstat, fault counts, retry attempts) that only
//   record history. The full fingerprint mixes both; the control fingerprint alone is what makes a
//   fault loop show up as a cycle of states although every lap bumps the counters.

const SEED_A = 0x243f6a88 | 0;
const SEED_B = 0x85a308d3 | 0;
const SEED_C = 0x13198a2e | 0;

/** murmur3 fmix32 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

const TWO32 = 4294967296;
const strCache = new Map<string, [number, number]>();

/**
 * The hasher buffers what it is fed and mixes it when a fingerprint is asked for: a call per value
 * is then a store into a typed array (small enough for V8 to inline everywhere), and the mixing runs
 * in one tight loop. The control view and the counter lane are two buffers.
 */
export class StateHasher {
  /** control view: values fed, in order */
  private buf = new Int32Array(1024);
  private n = 0;
  /** counter lane */
  private cbuf = new Int32Array(256);
  private cn = 0;
  // unordered sets: items are hashed on fresh lanes and summed, so their order does not matter
  private depth = 0;
  private itemStart = 0;
  private sumA = 0;
  private sumB = 0;
  // the mixed lanes, valid while finN/finCn match n/cn (values are only appended after a reset,
  // except inside an item, which a set's end always follows with two more)
  private finA = 0;
  private finB = 0;
  private finC = 0;
  private finN = -1;
  private finCn = -1;

  reset(): this {
    this.n = 0;
    this.cn = 0;
    this.depth = 0;
    this.finN = -1;
    return this;
  }

  private grow(): void {
    const b = new Int32Array(this.buf.length * 2);
    b.set(this.buf);
    this.buf = b;
  }
  private growC(): void {
    const b = new Int32Array(this.cbuf.length * 2);
    b.set(this.cbuf);
    this.cbuf = b;
  }

  /** feed a 32-bit integer into the control view */
  u32(x: number): void {
    const n = this.n;
    if (n === this.buf.length) this.grow();
    this.buf[n] = x;
    this.n = n + 1;
  }

  /** a non-negative number up to 2^53 (addresses, pfns) */
  num(x: number): void {
    if (x >= 0 && x < TWO32 && x === (x | 0) >>> 0) {
      this.u32(x);
      return;
    }
    if (x >= 0 && x <= Number.MAX_SAFE_INTEGER && Number.isInteger(x)) {
      // an exact split without a floating-point remainder
      const hi = (x / TWO32) >>> 0;
      this.u32(x - hi * TWO32);
      this.u32(hi);
      return;
    }
    this.u32(x % TWO32);
    this.u32(Math.floor(x / TWO32));
  }

  bool(x: boolean): void {
    this.u32(x ? 1 : 0);
  }

  str(s: string): void {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) this.u32(s.charCodeAt(i));
  }

  /** a string through a cache of string hashes (names and results repeat in every state) */
  strc(s: string): void {
    let v = strCache.get(s);
    if (v === undefined) {
      let a = 0x811c9dc5, b = s.length;
      for (let i = 0; i < s.length; i++) {
        a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
        b = (Math.imul(b, 31) + s.charCodeAt(i)) | 0;
      }
      v = [a, b];
      if (strCache.size > 100000) strCache.clear();
      strCache.set(s, v);
    }
    this.u32(v[0]);
    this.u32(v[1]);
  }

  /** a statistic: goes to the counter lane only */
  counter(x: number): void {
    let n = this.cn;
    if (n + 2 > this.cbuf.length) this.growC();
    this.cbuf[n++] = x;
    if (x >= TWO32) this.cbuf[n++] = Math.floor(x / TWO32);
    this.cn = n;
  }

  /** a precomputed 64-bit hash (two lanes) */
  pair(x: number, y: number): void {
    const n = this.n;
    if (n + 2 > this.buf.length) this.grow();
    this.buf[n] = x;
    this.buf[n + 1] = y;
    this.n = n + 2;
  }

  /** start an unordered set; every item goes between item() and itemEnd() */
  setBegin(): void {
    if (this.depth !== 0) throw new Error('StateHasher: nested unordered sets');
    this.depth = 1;
    this.sumA = 0;
    this.sumB = 0;
  }
  item(): void {
    this.itemStart = this.n;
  }
  itemEnd(): void {
    const from = this.itemStart;
    mixRange(this.buf, from, this.n, SEED_A, SEED_B);
    this.sumA = (this.sumA + fmix32(mixA)) | 0;
    this.sumB = (this.sumB + fmix32(mixB ^ 0x9e3779b9)) | 0;
    this.n = from;
  }
  setEnd(): void {
    this.depth = 0;
    this.pair(this.sumA, this.sumB);
  }

  private finish(): void {
    if (this.finN === this.n && this.finCn === this.cn) return;
    mixRange(this.buf, 0, this.n, SEED_A, SEED_B);
    this.finA = mixA;
    this.finB = mixB;
    let c = SEED_C;
    const cb = this.cbuf;
    for (let i = 0, cn = this.cn; i < cn; i++) c = (Math.imul(c ^ fmix32(cb[i]!), 0x01000193) + 0x3c6ef372) | 0;
    this.finC = c;
    this.finN = this.n;
    this.finCn = this.cn;
  }

  /** the control fingerprint (hi, lo) */
  controlHi(): number {
    this.finish();
    return fmix32(this.finA ^ 0x68e31da4) >>> 0;
  }
  controlLo(): number {
    this.finish();
    return fmix32(this.finB + Math.imul(this.finA, 0x1b873593)) >>> 0;
  }
  /** the full fingerprint: control view and counters */
  fullHi(): number {
    this.finish();
    return fmix32(this.finA ^ Math.imul(this.finC, 0x85ebca6b)) >>> 0;
  }
  fullLo(): number {
    this.finish();
    return fmix32(this.finB + Math.imul(this.finA, 0x1b873593) + fmix32(this.finC ^ 0x5851f42d)) >>> 0;
  }
}

let mixA = 0, mixB = 0;
/** the two lanes over buf[from, to): murmur3's body on lane a, a multiply-xorshift chain on lane b */
function mixRange(buf: Int32Array, from: number, to: number, a: number, b: number): void {
  for (let i = from; i < to; i++) {
    const x = buf[i]!;
    let k = Math.imul(x, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    a ^= k;
    a = (a << 13) | (a >>> 19);
    a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    let j = Math.imul(x ^ 0x5bd1e995, 0x2c1b3c6d);
    j ^= j >>> 15;
    b = (Math.imul(b ^ j, 0x01000193) + 0x7f4a7c15) | 0;
  }
  mixA = a;
  mixB = b;
}


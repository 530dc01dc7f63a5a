// Typed arrays that grow in place: the explorer's per-state and per-edge arrays live in resizable
// ArrayBuffers (address space reserved, pages committed when first written), so that growing one
// copies nothing and leaves no old buffer behind for the collector (which frees an array buffer only
// when it runs: the old copies of grown arrays were a large part of a search's peak memory).

type Growable = Int32Array | Uint32Array | Uint16Array | Uint8Array;
type Ctor<T extends Growable> = { new (b: ArrayBuffer, off: number, n: number): T; readonly BYTES_PER_ELEMENT: number };

/**
 * Address space reserved for a buffer: 8 times its size, at least 256 KiB. Past it, the buffer moves to a
 * new reservation 8 times its new size (a copy; the old buffer is the collector's, an eighth of the new
 * one at most). Reservations are address space, not memory, but a process may have little of it
 * (RLIMIT_AS), and V8 does not survive a reservation refused: so they stay in proportion to what is used.
 */
export const RESERVE_FACTOR = 8;
const RESERVE_MIN = 256 << 10;
/** the reservation for a buffer of this many bytes */
export function reserveFor(bytes: number): number {
  return Math.max(RESERVE_MIN, bytes * RESERVE_FACTOR);
}

/** a resizable buffer of `bytes` that may grow in place to `reserve` bytes (at least `bytes`) */
export function resizableBuffer(bytes: number, reserve: number): ArrayBuffer {
  return new ArrayBuffer(bytes, { maxByteLength: Math.max(reserve, bytes) });
}

/** a typed array of n elements (zero) that growArray can grow in place */
export function growableArray<T extends Growable>(ctor: Ctor<T>, n: number): T {
  const bytes = n * ctor.BYTES_PER_ELEMENT;
  return new ctor(resizableBuffer(bytes, reserveFor(bytes)), 0, n);
}

/** a's elements followed by n - a.length elements of value fill (default zero), in a's buffer when it can grow */
export function growArray<T extends Growable>(a: T, n: number, fill = 0): T {
  const ctor = a.constructor as Ctor<T>;
  const bytes = n * ctor.BYTES_PER_ELEMENT;
  const b = a.buffer as ArrayBuffer;
  let out: T;
  if (b.resizable && bytes <= b.maxByteLength) {
    b.resize(bytes);
    out = new ctor(b, 0, n);
  } else {
    out = new ctor(resizableBuffer(bytes, reserveFor(bytes)), 0, n);
    out.set(a);
  }
  if (fill !== 0) out.fill(fill, a.length);
  return out;
}

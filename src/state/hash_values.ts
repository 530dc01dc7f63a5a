// Hashing of the plain values a machine state holds besides the kernel: checkpoint snapshots. They
// never change once made, so their hashes are cached.
import { StateHasher } from './hasher.js';

const plainCache = new WeakMap<object, [number, number]>();
const scratch = new StateHasher();

/** feed a JSON-like value (a snapshot) into h; the hash of each top-level object is cached */
export function hashPlain(h: StateHasher, v: object): void {
  let c = plainCache.get(v);
  if (!c) {
    scratch.reset();
    walk(scratch, v);
    c = [scratch.controlHi(), scratch.controlLo()];
    plainCache.set(v, c);
  }
  h.pair(c[0], c[1]);
}

function walk(h: StateHasher, v: unknown): void {
  if (v === null || v === undefined) {
    h.u32(0);
  } else if (typeof v === 'number') {
    h.u32(1);
    if (Number.isInteger(v) && v >= 0) h.num(v);
    else h.str(String(v));
  } else if (typeof v === 'string') {
    h.u32(2);
    h.str(v);
  } else if (typeof v === 'boolean') {
    h.u32(v ? 3 : 4);
  } else if (typeof v === 'bigint') {
    h.u32(5);
    h.str(v.toString(16));
  } else if (Array.isArray(v)) {
    h.u32(6);
    h.u32(v.length);
    for (const x of v) walk(h, x);
  } else if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    h.u32(7);
    h.u32(keys.length);
    for (const key of keys) {
      h.str(key);
      walk(h, (v as Record<string, unknown>)[key]);
    }
  }
}

// Values that are not numbers, as cell values: strings and small immutable objects (an op record's
// errno, a variable's value, a uffd message) are interned under a canonical key, and a cell holds the
// id. Equal keys give equal ids in one process; a fingerprint takes internHash(id), a hash of the key,
// so that workers, which hand ids out in other orders, agree (SegmentSpec.hashValue = internHash).
// Interned values stay for the life of the process, as page contents do (content.ts).

const values: unknown[] = [undefined];
const keys: string[] = [''];
const hashes: number[] = [0];
const byKey = new Map<string, number>();

/** a string's hash, never 0 (FNV-1a then a finalizer) */
function keyHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 1;
}

/**
 * The id of the value with this key (the first value interned under a key is kept: callers give equal
 * values equal keys). Ids start at 1: a cell holding 0 holds no value. `hashKey` (default: the key) is
 * what the id's fingerprint share is a hash of: a value whose parts are kept for people only (a copy
 * check's first mismatch, a signal's fault address) gives the key of the parts that decide outcomes,
 * so that states differing only in the others fingerprint alike; it must be a function of the key.
 */
export function intern<T>(key: string, value: T, hashKey?: string): number {
  let id = byKey.get(key);
  if (id !== undefined) return id;
  id = values.length;
  values.push(value);
  keys.push(key);
  hashes.push(keyHash(hashKey ?? key));
  byKey.set(key, id);
  return id;
}

/** a string's id (the string is its own key) */
export function internString(s: string): number {
  return intern(s, s);
}

/** the value of an id (0: undefined) */
export function internedValue<T>(id: number): T {
  return values[id] as T;
}

/** the key of an id */
export function internedKey(id: number): string {
  return keys[id]!;
}

/** an id's share of a fingerprint: the hash of its key, never 0 */
export function internHash(id: number): number {
  return hashes[id]!;
}

/** how many values have been interned (statistics) */
export function internedCount(): number {
  return values.length - 1;
}

// Values that are not numbers, as cell values: strings and small immutable objects (an op record's
// errno, a variable's value, a uffd message) are interned under a canonical key, and a cell holds the
// id. Equal keys give equal ids in one process; a fingerprint takes internHash(id), a hash of the key,
// so that workers, which hand ids out in other orders, agree (SegmentSpec.hashValue = internHash).
// Interned values stay for the life of the process, as page contents do (content.ts).

const values: unknown[] = [undefined];
const keys: string[] = [''];
const hashes: number[] = [0];
const byKey = new Map<string, number>();
/** the key function of an id internFresh made (undefined for the others), by id: dense, as the arrays above */
const keyFns: (((v: unknown) => string) | undefined)[] = [undefined];
/** ids internFresh made and releaseFresh gave back */
const freeIds: number[] = [];

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
  keyFns.push(undefined);
  byKey.set(key, id);
  return id;
}

/** a string's id (the string is its own key) */
export function internString(s: string): number {
  return intern(s, s);
}

/**
 * A new id for a value, without looking for an equal one: what a plain run uses (it never compares
 * states, so equal values need not share an id, and building keys and looking them up would be most of
 * its cost). Equal values then have different ids, but their fingerprint shares still agree with
 * intern()'s: the hash is computed from keyOf(value), once, when first asked for. The id may be given
 * back (releaseFresh) when no cell holds it any more.
 */
export function internFresh<T>(value: T, keyOf: (v: T) => string): number {
  let id = freeIds.pop();
  if (id === undefined) {
    id = values.length;
    values.push(value);
    keys.push('');
    hashes.push(0);
    keyFns.push(undefined);
  } else {
    values[id] = value;
    hashes[id] = 0;
  }
  keyFns[id] = keyOf as (v: unknown) => string;
  return id;
}

/** an id made by internFresh that nothing holds any more: the next internFresh reuses it */
export function releaseFresh(id: number): void {
  if (keyFns[id] === undefined) return;
  keyFns[id] = undefined;
  values[id] = undefined;
  freeIds.push(id);
}

/** is this an id internFresh made? */
export function isFresh(id: number): boolean {
  return keyFns[id] !== undefined;
}

/** the value of an id (0: undefined) */
export function internedValue<T>(id: number): T {
  return values[id] as T;
}

/** the key of an id */
export function internedKey(id: number): string {
  const f = keyFns[id];
  return f === undefined ? keys[id]! : f(values[id]);
}

/** an id's share of a fingerprint: the hash of its key, never 0 */
export function internHash(id: number): number {
  let h = hashes[id]!;
  if (h === 0) h = hashes[id] = keyHash(keyFns[id]!(values[id]));
  return h;
}

/** how many values are interned (statistics; ids given back excluded) */
export function internedCount(): number {
  return values.length - 1 - freeIds.length;
}

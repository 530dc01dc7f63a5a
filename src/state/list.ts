// An ordered list of distinct non-zero values kept in cells: its length at `base`, its values from
// base + 1 on, the cells past its end zero, so that equal lists are equal cells (the canonical form a
// state's fingerprint needs). Taking a value out moves the ones after it up.
//
// Under a step recorder (state/reuse.ts) a step's use of a list is recorded by meaning, not cell by
// cell:
// - what it asks (the length, the value at i, whether x is in it, or a question of the list's owner
//   such as "the first entry for an address in this range") is one derived read, keyed by its answer;
// - what it does (push x, remove x) is an operation that a replay redoes on the list it finds.
// Read cell by cell, taking the head of a list reads every value after it, so a step's key (and the
// number of effects the cache keeps) would grow with every order the list's values can be in.

import type { Segment, Store } from './store.js';

/** reads cell i of segment seg (recorded or not, as the caller needs) */
export type CellReader = (seg: number, i: number) => number;

/**
 * A question about a list: vals[0, n) its values (a scratch copy: do not keep it), a and b its
 * arguments, seg the list's segment. It may read other cells through `read` (an entry's fields), never
 * write.
 */
export type ListQuestion = (vals: Int32Array, n: number, read: CellReader, a: number, b: number, seg: number) => number;

const questions: ListQuestion[] = [];

/** a question's number, for CellList.ask (register at module load: numbers are per process) */
export function listQuestion(q: ListQuestion): number {
  questions.push(q);
  return questions.length - 1;
}

export const Q_LENGTH = listQuestion((_v, n) => n);
export const Q_AT = listQuestion((v, n, _r, i) => (i >= 0 && i < n ? v[i]! : 0));
export const Q_HAS = listQuestion((v, n, _r, x) => {
  for (let j = 0; j < n; j++) if (v[j] === x) return 1;
  return 0;
});
export const Q_INDEX = listQuestion((v, n, _r, x) => {
  for (let j = 0; j < n; j++) if (v[j] === x) return j;
  return -1;
});
/** before a push: 0 the list is empty, 1 it has values and room, 2 it is full (a is its capacity) */
export const Q_ROOM = listQuestion((_v, n, _r, max) => (n === 0 ? 0 : n < max ? 1 : 2));
/** before a remove: 0 x is not in the list, 1 x is its head, 2 it is further on */
export const Q_WHERE = listQuestion((v, n, _r, x) => {
  for (let j = 0; j < n; j++) if (v[j] === x) return j === 0 ? 1 : 2;
  return 0;
});

export const OP_PUSH = 1;
export const OP_REMOVE = 2;

/** what a recorder that records lists by meaning provides (StepRecorder) */
export interface ListRecorder {
  listAsk(l: CellList, q: number, a: number, b: number): number;
  listOp(l: CellList, op: number, x: number): void;
}

let scratch = new Int32Array(64);

/**
 * The answer to question q about the list at (S, base) as `read` finds it, with `ops` (op, x pairs)
 * applied to it first (null: none).
 */
export function evaluateList(seg: number, base: number, ops: Int32Array | null, q: number, a: number, b: number, read: CellReader): number {
  let n = read(seg, base);
  if (n + 1 > scratch.length) scratch = new Int32Array(2 * (n + 1));
  const v = scratch;
  for (let j = 0; j < n; j++) v[j] = read(seg, base + 1 + j);
  if (ops !== null) {
    for (let o = 0; o < ops.length; o += 2) {
      const x = ops[o + 1]!;
      if (ops[o] === OP_PUSH) {
        if (n + 1 >= scratch.length) {
          const g = new Int32Array(2 * scratch.length);
          g.set(scratch);
          scratch = g;
        }
        scratch[n++] = x;
      } else {
        let j = 0;
        while (j < n && scratch[j] !== x) j++;
        if (j < n) {
          scratch.copyWithin(j, j + 1, n);
          n--;
        }
      }
    }
  }
  return questions[q]!(scratch, n, read, a, b, seg);
}

/**
 * Carry out operation op (OP_PUSH, OP_REMOVE) with value x on the list at (S, base), through S's
 * get and set (a recorder listening to the store sees the cells).
 */
export function applyListOp(S: Segment, base: number, op: number, x: number): void {
  const n = S.get(base);
  if (op === OP_PUSH) {
    S.set(base + 1 + n, x);
    S.set(base, n + 1);
    return;
  }
  let j = 0;
  while (j < n && S.get(base + 1 + j) !== x) j++;
  if (j === n) throw new Error(`BUG: list at ${base} of segment ${S.id}: ${x} taken out but not in it`);
  for (; j < n - 1; j++) S.set(base + 1 + j, S.get(base + 2 + j));
  S.set(base + n, 0);
  S.set(base, n - 1);
}

/** the recorder of st if it records lists by meaning */
function listRecorder(st: Store): ListRecorder | null {
  const r = st.rec as unknown as Partial<ListRecorder> | null;
  return r !== null && r.listAsk !== undefined ? (r as ListRecorder) : null;
}

/** S.get as a CellReader, made once per segment (a closure per question would be garbage per step) */
const readers = new WeakMap<Segment, CellReader>();
function plainRead(S: Segment): CellReader {
  let r = readers.get(S);
  if (r === undefined) readers.set(S, (r = (_seg, i) => S.get(i)));
  return r;
}

/**
 * A list of at most `max` distinct non-zero values at cells base .. base + max of S. A view: it keeps
 * nothing but where the list is. `onFull` is called (and must throw) when a push would go past max.
 */
export class CellList {
  constructor(readonly S: Segment, readonly base: number, readonly max: number, private readonly onFull: () => never) {}

  /** plainRead(S), looked up once per view (the look-up cost more than a short list's question) */
  private reader: CellReader | null = null;

  /** the answer to question q (Q_* or one registered with listQuestion) */
  ask(q: number, a = 0, b = 0): number {
    const r = listRecorder(this.S.store);
    if (r !== null) return r.listAsk(this, q, a, b);
    return evaluateList(this.S.id, this.base, null, q, a, b, this.reader ??= plainRead(this.S));
  }

  get length(): number {
    return listRecorder(this.S.store) === null ? this.S.get(this.base) : this.ask(Q_LENGTH);
  }
  /** the value at i (0 past the end) */
  at(i: number): number {
    if (listRecorder(this.S.store) !== null) return this.ask(Q_AT, i);
    return i >= 0 && i < this.S.get(this.base) ? this.S.get(this.base + 1 + i) : 0;
  }
  has(x: number): boolean {
    if (listRecorder(this.S.store) !== null) return this.ask(Q_HAS, x) === 1;
    return this.indexOf(x) >= 0;
  }
  /** the position of x, or -1 */
  indexOf(x: number): number {
    if (listRecorder(this.S.store) !== null) return this.ask(Q_INDEX, x);
    const S = this.S, b = this.base, n = S.get(b);
    for (let j = 0; j < n; j++) if (S.get(b + 1 + j) === x) return j;
    return -1;
  }

  /** x added at the end */
  push(x: number): void {
    if (x === 0) throw new Error('BUG: a list holds non-zero values');
    const r = listRecorder(this.S.store);
    if (r === null) {
      if (this.S.get(this.base) >= this.max) this.onFull();
      applyListOp(this.S, this.base, OP_PUSH, x);
      return;
    }
    // what the replay's key must hold: there is room (and whether the list was empty, which the
    // owner's footprint of the step may depend on)
    if (r.listAsk(this, Q_ROOM, this.max, 0) === 2) this.onFull();
    r.listOp(this, OP_PUSH, x);
  }
  /** x (which must be in the list) taken out; the values after it move up */
  remove(x: number): void {
    const r = listRecorder(this.S.store);
    if (r !== null) {
      // what the replay's key must hold: x is there to be taken out (and whether it was the head)
      if (r.listAsk(this, Q_WHERE, x, 0) === 0) throw new Error(`BUG: list at ${this.base}: ${x} taken out but not in it`);
      r.listOp(this, OP_REMOVE, x);
    } else applyListOp(this.S, this.base, OP_REMOVE, x);
  }
}

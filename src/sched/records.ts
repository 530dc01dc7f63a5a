// A machine's history without an object per step: the records of its operations and the schedule taken
// as columns (typed arrays, and arrays of the strings the records hold), made into OpRecords and thread
// names only when someone asks for them (Machine.records, taken, opRecords). A run of a million steps
// then allocates no record per step, and the garbage collector has no records to copy out of the young
// generation (they all lived as long as the run: each one was copied, then promoted).
import type { CompiledScenario } from '../scenario/load.js';
import type { OpOut } from '../scenario/values.js';
import type { Layout } from './cells.js';

/** what a run keeps of one operation it carried out (Machine's records; the output shows them) */
export interface OpRecord {
  id: string;
  thread: string;
  op: string;
  errno: string | null;
  result: string | null;
  step: number;
  /** the fields an ioctl wrote back into its argument, when it wrote any (also when it failed) */
  out?: OpOut;
}

/** an operation reference: a thread operation by op index (Layout), a setup operation j as -(j + 1) */
export function opOfRef(sc: CompiledScenario, l: Layout, ref: number): { id: string; op: string; thread: string } {
  if (ref < 0) {
    const op = sc.setup[-ref - 1]!;
    return { id: op.id, op: op.op, thread: 'setup' };
  }
  const ti = l.opThread[ref]!, t = sc.threads[ti]!, op = t.ops[ref - l.opBases[ti]!]!;
  return { id: op.id, op: op.op, thread: t.name };
}

/** a record as exec.ts made it (the same keys in the same order: output is printed from these) */
export function makeRecord(sc: CompiledScenario, l: Layout, ref: number, errno: string | null, result: string | null, step: number, out: OpOut | undefined): OpRecord {
  const o = opOfRef(sc, l, ref);
  return out !== undefined ? { id: o.id, thread: o.thread, op: o.op, errno, result, step, out } : { id: o.id, thread: o.thread, op: o.op, errno, result, step };
}

/**
 * Columns in chunks of CHUNK entries: growing never copies, and never allocates more than a chunk at a
 * time (a doubled typed array is a large array buffer, and each one counts against the external memory
 * that makes V8 collect garbage early).
 */
const CHUNK_SHIFT = 12;
const CHUNK = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK - 1;

/** a growable array of int32s */
export class IntLog {
  private readonly chunks: Int32Array[] = [];
  length = 0;
  push(v: number): void {
    const n = this.length;
    if ((n & CHUNK_MASK) === 0) this.chunks.push(new Int32Array(CHUNK));
    this.chunks[n >>> CHUNK_SHIFT]![n & CHUNK_MASK] = v;
    this.length = n + 1;
  }
  at(i: number): number {
    return this.chunks[i >>> CHUNK_SHIFT]![i & CHUNK_MASK]!;
  }
}

/**
 * The strings of records as numbers: 0 null, 1 "0" (most system calls' result), else 2 + the position
 * of the string in `strs` (errno names and other results; a string a run makes per step, a read_uffd's
 * message, is held once either way).
 */
class Strings {
  private readonly strs: string[] = [];
  /** the codes of errno names (a few), so that each is held once */
  private readonly names = new Map<string, number>();
  code(s: string | null): number {
    if (s === null) return 0;
    if (s === '0') return 1;
    this.strs.push(s);
    return this.strs.length + 1;
  }
  /** code() for a string of a small set (errno names) */
  nameCode(s: string | null): number {
    if (s === null) return 0;
    let c = this.names.get(s);
    if (c === undefined) this.names.set(s, (c = this.code(s)));
    return c;
  }
  of(c: number): string | null {
    return c === 0 ? null : c === 1 ? '0' : this.strs[c - 2]!;
  }
}

/** every record of a machine with history, in order */
export class RecordLog {
  /** per record: its operation reference, errno code and result code (Strings), in chunks of CHUNK records */
  private readonly ints: Int32Array[] = [];
  private readonly steps: Float64Array[] = [];
  private readonly strs = new Strings();
  /** the records with written-back fields, by position */
  private outs: Map<number, OpOut> | null = null;
  length = 0;

  push(ref: number, step: number, errno: string | null, result: string | null, out: OpOut | undefined): void {
    const n = this.length;
    if ((n & CHUNK_MASK) === 0) {
      this.ints.push(new Int32Array(3 * CHUNK));
      this.steps.push(new Float64Array(CHUNK));
    }
    const c = n >>> CHUNK_SHIFT, j = n & CHUNK_MASK, a = this.ints[c]!;
    a[3 * j] = ref;
    a[3 * j + 1] = errno === null ? 0 : this.strs.nameCode(errno);
    a[3 * j + 2] = result === null ? 0 : this.strs.code(result);
    this.steps[c]![j] = step;
    if (out !== undefined) (this.outs ??= new Map()).set(n, out);
    this.length = n + 1;
  }

  private int(i: number, f: number): number {
    return this.ints[i >>> CHUNK_SHIFT]![3 * (i & CHUNK_MASK) + f]!;
  }
  ref(i: number): number {
    return this.int(i, 0);
  }
  errno(i: number): string | null {
    return this.strs.of(this.int(i, 1));
  }
  result(i: number): string | null {
    return this.strs.of(this.int(i, 2));
  }
  out(i: number): OpOut | undefined {
    return this.outs?.get(i);
  }

  /** record i as an object */
  record(sc: CompiledScenario, l: Layout, i: number): OpRecord {
    return makeRecord(sc, l, this.ref(i), this.errno(i), this.result(i), this.steps[i >>> CHUNK_SHIFT]![i & CHUNK_MASK]!, this.outs?.get(i));
  }
}

/** the last record of each thread operation (a machine without history), by op index, and the order they first ran in */
export class LastRecords {
  /** step + 1 of the op index's last record (0: it has not run) */
  private readonly steps: Float64Array;
  private readonly errnos: Int32Array;
  /** (made once, at its full length: stores into it never grow it) */
  private readonly results: (string | null)[];
  private readonly strs = new Strings();
  private outs: Map<number, OpOut> | null = null;
  /** the op indices in the order they first ran */
  readonly order = new IntLog();

  constructor(nOps: number) {
    this.steps = new Float64Array(nOps);
    this.errnos = new Int32Array(nOps);
    this.results = new Array<string | null>(nOps).fill(null);
  }

  note(i: number, step: number, errno: string | null, result: string | null, out: OpOut | undefined): void {
    if (this.steps[i] === 0) this.order.push(i);
    this.steps[i] = step + 1;
    this.errnos[i] = errno === null ? 0 : this.strs.nameCode(errno);
    this.results[i] = result;
    if (out !== undefined) (this.outs ??= new Map()).set(i, out);
    else if (this.outs !== null) this.outs.delete(i);
  }

  errno(i: number): string | null {
    return this.strs.of(this.errnos[i]!);
  }
  result(i: number): string | null {
    return this.results[i]!;
  }
  out(i: number): OpOut | undefined {
    return this.outs?.get(i);
  }

  /** op index i's last record as an object */
  record(sc: CompiledScenario, l: Layout, i: number): OpRecord {
    return makeRecord(sc, l, i, this.errno(i), this.result(i), this.steps[i]! - 1, this.outs?.get(i));
  }
}

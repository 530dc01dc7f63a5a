// A machine's history without an object per step: the records of its operations and the schedule taken
// as columns (typed arrays, and arrays of the strings the records hold), made into OpRecords and thread
// names only when someone asks for them (Machine.records, taken, opRecords). A run of a million steps
// then allocates no record per step, and the garbage collector has no records to copy out of the young
// generation (they all lived as long as the run: each one was copied, then promoted).
import type { CompiledScenario } from '../scenario/load.js';
import type { OpOut } from '../scenario/values.js';
import type { Layout } from './cells.js';

/** what a record holds besides its operation: the operation's thread op index, or -(setup index + 1) */
export interface OpRecordLike {
  id: string;
  thread: string;
  op: string;
  errno: string | null;
  result: string | null;
  step: number;
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
export function makeRecord(sc: CompiledScenario, l: Layout, ref: number, errno: string | null, result: string | null, step: number, out: OpOut | undefined): OpRecordLike {
  const o = opOfRef(sc, l, ref);
  return out !== undefined ? { id: o.id, thread: o.thread, op: o.op, errno, result, step, out } : { id: o.id, thread: o.thread, op: o.op, errno, result, step };
}

/** a growable array of int32s */
export class IntLog {
  private a = new Int32Array(256);
  length = 0;
  push(v: number): void {
    let a = this.a;
    if (this.length === a.length) {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      this.a = a = b;
    }
    a[this.length++] = v;
  }
  at(i: number): number {
    return this.a[i]!;
  }
}

/** every record of a machine with history, in order */
export class RecordLog {
  private refs = new Int32Array(256);
  private steps = new Float64Array(256);
  private readonly errnos: (string | null)[] = [];
  private readonly results: (string | null)[] = [];
  /** the records with written-back fields, by position */
  private outs: Map<number, OpOut> | null = null;
  length = 0;

  push(ref: number, step: number, errno: string | null, result: string | null, out: OpOut | undefined): void {
    const n = this.length;
    if (n === this.refs.length) {
      const r = new Int32Array(n * 2), s = new Float64Array(n * 2);
      r.set(this.refs);
      s.set(this.steps);
      this.refs = r;
      this.steps = s;
    }
    this.refs[n] = ref;
    this.steps[n] = step;
    this.errnos.push(errno);
    this.results.push(result);
    if (out !== undefined) (this.outs ??= new Map()).set(n, out);
    this.length = n + 1;
  }

  ref(i: number): number {
    return this.refs[i]!;
  }
  errno(i: number): string | null {
    return this.errnos[i]!;
  }
  result(i: number): string | null {
    return this.results[i]!;
  }
  out(i: number): OpOut | undefined {
    return this.outs?.get(i);
  }

  /** record i as an object */
  record(sc: CompiledScenario, l: Layout, i: number): OpRecordLike {
    return makeRecord(sc, l, this.refs[i]!, this.errnos[i]!, this.results[i]!, this.steps[i]!, this.outs?.get(i));
  }
}

/** the last record of each thread operation (a machine without history), by op index, and the order they first ran in */
export class LastRecords {
  /** step + 1 of the op index's last record (0: it has not run) */
  private readonly steps: Float64Array;
  private readonly errnos: (string | null)[];
  private readonly results: (string | null)[];
  private outs: Map<number, OpOut> | null = null;
  /** the op indices in the order they first ran */
  readonly order = new IntLog();

  constructor(nOps: number) {
    this.steps = new Float64Array(nOps);
    this.errnos = new Array<string | null>(nOps).fill(null);
    this.results = new Array<string | null>(nOps).fill(null);
  }

  note(i: number, step: number, errno: string | null, result: string | null, out: OpOut | undefined): void {
    if (this.steps[i] === 0) this.order.push(i);
    this.steps[i] = step + 1;
    this.errnos[i] = errno;
    this.results[i] = result;
    if (out !== undefined) (this.outs ??= new Map()).set(i, out);
    else if (this.outs !== null) this.outs.delete(i);
  }

  errno(i: number): string | null {
    return this.errnos[i]!;
  }
  result(i: number): string | null {
    return this.results[i]!;
  }
  out(i: number): OpOut | undefined {
    return this.outs?.get(i);
  }

  /** op index i's last record as an object */
  record(sc: CompiledScenario, l: Layout, i: number): OpRecordLike {
    return makeRecord(sc, l, i, this.errnos[i]!, this.results[i]!, this.steps[i]! - 1, this.outs?.get(i));
  }
}

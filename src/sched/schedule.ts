// The schedule of a run as text, kept as it grows: runs of one thread ("handler*3") and, when a block of
// runs repeats back to back, the block once with its count ("(handler*3 vcpu*2)*16382"). A run that
// loops over a million pages with the same few threads keeps a few words, not one per step, and prints
// a line that `--schedule` takes back (parseSchedule).

/** a run of steps of one thread */
interface Run {
  name: string;
  n: number;
}

/** a block of runs repeated `reps` times in a row */
interface Group {
  body: Run[];
  reps: number;
}

type Term = Run | Group;

/** the longest block (in runs) that is looked for as a repetition */
const MAX_BLOCK = 16;
/** a group of at most this many runs in all is printed flat: "a b a b" rather than "(a b)*2" */
const FLAT_RUNS = 8;

const isGroup = (t: Term): t is Group => (t as Group).body !== undefined;
const sameRun = (a: Run, b: Run) => a.name === b.name && a.n === b.n;

/** the schedule so far, one push per step; its memory grows with the thread switches that do not repeat */
export class ScheduleText {
  private readonly terms: Term[] = [];
  /** index in terms of the last group (-1: none); the runs after it are candidates for repetition */
  private lastGroup = -1;
  /** the run under way (its count is not final until another thread takes a step) */
  private cur: Run | null = null;
  steps = 0;

  push(name: string): void {
    this.steps++;
    const c = this.cur;
    if (c !== null && c.name === name) {
      c.n++;
      return;
    }
    if (c !== null) this.close(c);
    this.cur = { name, n: 1 };
  }

  /** a finished run: it extends the last group, or forms a new one with the runs before it, or stays a run */
  private close(r: Run): void {
    const ts = this.terms;
    ts.push(r);
    const from = this.lastGroup + 1;
    const tail = ts.length - from;
    if (this.lastGroup >= 0) {
      const g = ts[this.lastGroup] as Group;
      const L = g.body.length;
      if (tail <= L) {
        let prefix = true;
        for (let i = 0; i < tail && prefix; i++) prefix = sameRun(ts[from + i] as Run, g.body[i]!);
        if (prefix) {
          if (tail === L) {
            g.reps++;
            ts.length = from;
          }
          return;
        }
      }
    }
    for (let L = 1; L <= MAX_BLOCK && 2 * L <= tail; L++) {
      const a = ts.length - 2 * L, b = ts.length - L;
      let same = true;
      for (let i = 0; i < L && same; i++) same = sameRun(ts[a + i] as Run, ts[b + i] as Run);
      if (!same) continue;
      const body = ts.slice(b) as Run[];
      ts.length = a;
      ts.push({ body, reps: 2 });
      this.lastGroup = a;
      return;
    }
  }

  toString(): string {
    const out: string[] = [];
    const run = (r: Run) => (r.n > 1 ? `${r.name}*${r.n}` : r.name);
    for (const t of this.terms) {
      if (!isGroup(t)) out.push(run(t));
      else if (t.reps * t.body.length <= FLAT_RUNS) for (let i = 0; i < t.reps; i++) for (const r of t.body) out.push(run(r));
      else out.push(`(${t.body.map(run).join(' ')})*${t.reps}`);
    }
    if (this.cur !== null) out.push(run(this.cur));
    return out.join(' ');
  }

  /** words kept (terms and runs inside groups): what the schedule costs in memory */
  get size(): number {
    let n = this.cur ? 1 : 0;
    for (const t of this.terms) n += isGroup(t) ? 1 + t.body.length : 1;
    return n;
  }
}

/** one thread name per step -> "vcpu uffd*3 vcpu", with repeated blocks as "(uffd*3 vcpu)*N" */
export function formatSchedule(steps: readonly string[]): string {
  const s = new ScheduleText();
  for (const x of steps) s.push(x);
  return s.toString();
}

export class ScheduleSyntaxError extends Error {}

/** "vcpu uffd*3 vcpu" / "vcpu,uffd,uffd" / "(uffd*3 vcpu)*2" -> one name per step */
export function parseSchedule(s: string): string[] {
  const toks = s.match(/\(|\)(?:\*\d+)?|[^\s,()]+/g) ?? [];
  let i = 0;
  const seq = (depth: number): string[] => {
    const out: string[] = [];
    while (i < toks.length) {
      const tok = toks[i]!;
      if (tok === '(') {
        i++;
        const body = seq(depth + 1);
        const close = toks[i];
        if (close === undefined) throw new ScheduleSyntaxError(`bad schedule: '(' without ')'`);
        i++;
        const reps = close.length > 1 ? Number(close.slice(2)) : 1;
        for (let r = 0; r < reps; r++) for (const x of body) out.push(x);
        continue;
      }
      if (tok.startsWith(')')) {
        if (depth === 0) throw new ScheduleSyntaxError(`bad schedule: '${tok}' without '('`);
        return out;
      }
      const m = /^([A-Za-z_]\w*)(?:\*(\d+))?$/.exec(tok);
      if (!m) throw new ScheduleSyntaxError(`bad schedule step '${tok}' (expected thread, thread*N or (steps)*N)`);
      for (let r = 0; r < Number(m[2] ?? 1); r++) out.push(m[1]!);
      i++;
    }
    if (depth > 0) throw new ScheduleSyntaxError(`bad schedule: '(' without ')'`);
    return out;
  };
  return seq(0);
}

// Two runs of one scenario side by side, aligned by what happened rather than by step number: a
// weighted longest common subsequence over the frames, where two frames may be paired only when the
// same thread ran the same operation of the scenario, and a pair scores more the more of the kernel
// functions its steps named are shared and when the page-table flags and threads agree. So when one
// kernel takes a step the other does not (a fault retried, a COW before GUP, a split), that step is a
// gap on the other side and the steps after it still line up.
import { frameSignature, type Frame } from './frames.js';

/** one row of the aligned view: a frame of A, of B, or of both (null: that run took no such step) */
export interface AlignedRow {
  a: number | null;
  b: number | null;
  /** both runs took this step and their observed state (flags, threads, the op) is the same */
  same: boolean;
}

/** what a frame did, as far as two kernels can agree on it: the thread and the scenario's operation */
export function stepKey(f: Frame): string {
  return `${f.thread}\u0000${f.state.op ?? ''}\u0000${f.state.op_name ?? ''}`;
}

/** the state two kernels are compared on at a paired step, step numbers left out (a gap shifts them) */
export function stateSignature(f: Frame): string {
  return frameSignature(f).split('|').slice(1).join('|');
}

/** what pairScore needs of a frame, computed once */
interface Prep {
  key: string;
  acting: string;
  fns: Set<string>;
  sig: string;
}

function prep(f: Frame): Prep {
  return { key: stepKey(f), acting: f.acting, fns: new Set(f.fns), sig: stateSignature(f) };
}

function score(a: Prep, b: Prep): number {
  if (a.key !== b.key) return 0;
  let shared = 0;
  for (const f of a.fns) if (b.fns.has(f)) shared++;
  const union = a.fns.size + b.fns.size - shared;
  return 16 + (a.acting === b.acting ? 4 : 0) + (union ? Math.round((8 * shared) / union) : 8) + (a.sig === b.sig ? 2 : 0);
}

/** the score of pairing a with b (0: they may not be paired): 16, +4 for the same acting function, up to +8 for the functions shared, +2 for the same state */
export function pairScore(a: Frame, b: Frame): number {
  return score(prep(a), prep(b));
}

/** the largest middle part ((frames of A + 1) times (frames of B + 1)) aligned by the full dynamic programme: 15 MB of tables */
export const ALIGN_MAX_CELLS = 3_000_000;

/**
 * Align two runs (Needleman-Wunsch with gaps free: the pairing of highest total score, order kept).
 * Equal steps at both ends are paired first; a middle larger than ALIGN_MAX_CELLS is paired by index.
 */
export function alignFrames(A: Frame[], B: Frame[]): AlignedRow[] {
  const pa = A.map(prep), pb = B.map(prep);
  const row = (a: number | null, b: number | null): AlignedRow => ({ a, b, same: a !== null && b !== null && pa[a]!.sig === pb[b]!.sig });
  let lo = 0;
  const eq = (i: number, j: number) => pa[i]!.key === pb[j]!.key && A[i]!.fns.join() === B[j]!.fns.join();
  while (lo < A.length && lo < B.length && eq(lo, lo)) lo++;
  let ea = A.length, eb = B.length;
  while (ea > lo && eb > lo && eq(ea - 1, eb - 1)) { ea--; eb--; }
  const out: AlignedRow[] = [];
  for (let i = 0; i < lo; i++) out.push(row(i, i));
  const n = ea - lo, m = eb - lo;
  if ((n + 1) * (m + 1) > ALIGN_MAX_CELLS) {
    for (let k = 0; k < Math.max(n, m); k++) out.push(row(k < n ? lo + k : null, k < m ? lo + k : null));
  } else if (n > 0 || m > 0) {
    // best[i][j]: the highest total over A[lo+i..] and B[lo+j..]; dir: 1 pair, 2 skip A's step, 3 skip B's
    const w = m + 1;
    const best = new Int32Array((n + 1) * w);
    const dir = new Uint8Array((n + 1) * w);
    for (let i = n; i >= 0; i--) {
      for (let j = m; j >= 0; j--) {
        if (i === n && j === m) continue;
        let v = -1, d = 0;
        if (i < n && j < m && pa[lo + i]!.key === pb[lo + j]!.key) {
          v = score(pa[lo + i]!, pb[lo + j]!) + best[(i + 1) * w + j + 1]!;
          d = 1;
        }
        if (i < n && best[(i + 1) * w + j]! > v) { v = best[(i + 1) * w + j]!; d = 2; }
        if (j < m && best[i * w + j + 1]! > v) { v = best[i * w + j + 1]!; d = 3; }
        best[i * w + j] = v;
        dir[i * w + j] = d;
      }
    }
    let i = 0, j = 0;
    while (i < n || j < m) {
      const d = dir[i * w + j];
      if (d === 1) { out.push(row(lo + i, lo + j)); i++; j++; }
      else if (d === 2) { out.push(row(lo + i, null)); i++; }
      else { out.push(row(null, lo + j)); j++; }
    }
  }
  for (let k = 0; k < A.length - ea; k++) out.push(row(ea + k, eb + k));
  return out;
}

/** the first row where the runs differ: a step only one of them took, or a paired step whose state differs */
export function firstDivergentRow(rows: AlignedRow[]): number | null {
  const i = rows.findIndex((r) => !r.same);
  return i < 0 ? null : i;
}

/** the rows of one run alone (no alignment): row i is frame i */
export function soloRows(n: number): AlignedRow[] {
  return Array.from({ length: n }, (_, i) => ({ a: i, b: null, same: true }));
}

/** the row that shows frame f of A (or the nearest one before it) */
export function rowOfA(rows: AlignedRow[], f: number): number {
  let best = 0;
  for (let r = 0; r < rows.length; r++) {
    const a = rows[r]!.a;
    if (a === null) continue;
    if (a <= f) best = r;
    if (a >= f) break;
  }
  return best;
}

/** the frame of a side shown at row r, or the last frame of that side before it (for "previous step" highlighting) */
export function frameAtOrBefore(rows: AlignedRow[], r: number, side: 'a' | 'b'): number | null {
  for (let k = r; k >= 0; k--) {
    const x = rows[k]?.[side];
    if (x !== null && x !== undefined) return x;
  }
  return null;
}

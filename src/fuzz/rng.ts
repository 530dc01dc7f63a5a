// Seeded generation and shrinking of fast-check values, one run at a time: run i of seed S always gives
// the same case (replayable with --seed S --run i), and a failing case is shrunk the way fast-check
// shrinks (take the first smaller candidate that still fails, start again from it).
import fc from 'fast-check';

/** splitmix32: the RandomGenerator interface fast-check's Random wraps (next, clone, getState) */
class SplitMix32 {
  constructor(private s: number) {}
  next(): number {
    let z = (this.s = (this.s + 0x9e3779b9) | 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  }
  clone(): SplitMix32 {
    return new SplitMix32(this.s);
  }
  getState(): readonly number[] {
    return [this.s];
  }
}

/** the seed of run `run` of a fuzz session started with `seed` */
export function runSeed(seed: number, run: number): number {
  let h = Math.imul(seed ^ 0x2545f491, 0x9e3779b1) ^ Math.imul(run + 1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) | 0;
}

/** the value of run `run`: generated with fast-check's bias for that run index */
export function generate<T>(arb: fc.Arbitrary<T>, seed: number, run: number): fc.Value<T> {
  const mrng = new fc.Random(new SplitMix32(runSeed(seed, run)) as unknown as ConstructorParameters<typeof fc.Random>[0]);
  // fast-check's own bias schedule: stronger toward small values on early runs
  const bias = 2 + Math.floor(Math.log10(run + 1));
  return arb.generate(mrng, bias);
}

/**
 * Shrink a failing value: `fails` is asked about smaller candidates (at most `budget` of them) and
 * the smallest failing one found is returned, with how many candidates were tried.
 */
export async function shrink<T>(arb: fc.Arbitrary<T>, v: fc.Value<T>, fails: (x: T) => Promise<boolean> | boolean, budget: number): Promise<{ value: fc.Value<T>; tried: number; steps: number }> {
  let cur = v, tried = 0, steps = 0;
  outer: for (;;) {
    for (const cand of arb.shrink(cur.value_, cur.context)) {
      if (tried >= budget) break outer;
      tried++;
      if (await fails(cand.value_)) {
        cur = cand;
        steps++;
        continue outer;
      }
    }
    break;
  }
  return { value: cur, tried, steps };
}

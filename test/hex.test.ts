// hex() stands in for toString(16) on the record of every uffd message read: it must agree everywhere.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hex } from '../src/sched/exec.js';

describe('hex', () => {
  it('equals toString(16) for every safe non-negative integer', () => {
    fc.assert(fc.property(fc.maxSafeNat(), (n) => hex(n) === n.toString(16)), { numRuns: 20000 });
  });
  it('at the edges of its byte steps', () => {
    for (const n of [0, 15, 16, 255, 256, 0xffff, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 1, 0x7fff_ffff_f000, Number.MAX_SAFE_INTEGER]) {
      expect(hex(n)).toBe(n.toString(16));
    }
  });
});

// folio_maybe_mapped_shared() (003fde4492c8, v6.15) and the guess before it, folio_likely_mapped_shared(), as
// MADV_COLD, MADV_PAGEOUT and MADV_FREE ask them of a PTE-mapped THP the range covers in part.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { kernel, run, kpfBit, errno, pagemapBit } from './helpers.js';

const HALVES = readFileSync('scenarios/differential/thp-cold-mapped-in-part-by-two-mms.yaml', 'utf8');
const withAdvice = (advice: string, more = '') => HALVES.replace('advice: cold, id: cold }', `advice: ${advice}, id: cold }`).replace(/^expect:[\s\S]*$/m, '') + more;

describe('a PTE-mapped THP two mms map in part, advised in part by one of them', () => {
  for (const advice of ['cold', 'pageout', 'free']) {
    it(`MADV_${advice.toUpperCase()} leaves it whole from v6.15, splits it before (the first page mapped once looked exclusive)`, () => {
      const y = withAdvice(advice);
      const pre = advice === 'pageout' ? y.replace('setup:\n', 'setup:\n  - swapon: { pages: 64 }\n') : y;
      const now = run(pre, kernel('v6.18'));
      expect(errno(now, 'cold')).toBeNull();
      expect(kpfBit(now, 'ram + 0x5000', 22)).toBe(1);
      expect(pagemapBit(now, 'ram + 0x5000', 63)).toBe(1);
      const old = run(pre, kernel('v6.12'));
      // split: a small page, which MADV_PAGEOUT then swaps out
      if (advice === 'pageout') expect([pagemapBit(old, 'ram + 0x5000', 63), pagemapBit(old, 'ram + 0x5000', 62)]).toEqual([0, 1]);
      else expect(kpfBit(old, 'ram + 0x5000', 22)).toBe(0);
    });
  }

  it('v6.12 took a THP whose first page both mms map for shared: the walk leaves it whole there too', () => {
    // the child keeps pages 0..255 as the parent does: 512 mappings still, but page 0 is mapped twice
    const y = withAdvice('cold').replace('- madvise: { addr: ram, len: 1M, advice: dontneed }   # the child keeps pages 256..511', '- madvise: { addr: ram + 1M, len: 1M, advice: dontneed }');
    expect(kpfBit(run(y, kernel('v6.12')), 'ram + 0x5000', 22)).toBe(1);
    expect(kpfBit(run(y, kernel('v6.18')), 'ram + 0x5000', 22)).toBe(1);
  });
});

// `mmsim compare` without --all shows every row whose values differ between the kernels, of whatever
// kind: pagemap, kpageflags and operation results too (issue 7, finding 7).
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { compareTable } from '../src/cli/compare.js';
import { PATCH } from '../src/profiles/patches.js';
import { kernel } from './helpers.js';

// a uffd-wp protected page: the PTE (uffd-wp bit 10) is the same with and without fb8e37f35a2f; only
// /proc/self/pagemap (bit 57 PM_UFFD_WP) tells the two kernels apart
const WP_PAGE = `
name: pagemap-only
observe: { pages: [ram] }
setup:
  - mmap: { as: ram, len: 4K }
  - write: { addr: ram }
  - userfaultfd: { as: uffd }
  - uffdio_register: { uffd: uffd, addr: ram, len: 4K, mode: [wp] }
  - uffdio_writeprotect: { uffd: uffd, addr: ram, len: 4K, mode: [wp] }
`;

describe('mmsim compare', () => {
  const sc = loadScenario('inline.yaml', WP_PAGE);
  const runs = [kernel('v6.18'), kernel('v6.18', { remove: [PATCH.pagemapUffdWp] })].map((k) => runScenario(sc, k, { trace: true }));
  const table = compareTable(sc, runs, false);
  const row = (label: string) => table.split('\n').find((l) => l.startsWith(label + ' '));

  it('shows a pagemap row that differs, though the PTEs agree', () => {
    expect(row('ram @final: pte')).toBeUndefined();
    expect(row('ram @final: pagemap')?.split(/\s{2,}/).slice(1)).toEqual(['0x8300000000000000', '0x8100000000000000']);
    expect(row('ram @setup: pagemap')).toBeDefined();
  });
  it('shows every row that differs, and only those (plus outcomes)', () => {
    const cells = (t: string) => t.split('\n').filter((l) => /^\S/.test(l) && !l.startsWith('pagemap-only:')).map((l) => l.split(/\s{2,}/));
    const differing = cells(compareTable(sc, runs, true)).filter((c) => c.length === 3 && c[1] !== c[2]);
    expect(differing.map((c) => c[0])).toEqual(['ram @setup: pagemap', 'ram @final: pagemap']);
    expect(cells(table).filter((c) => c[0] !== 'expectations')).toEqual(differing);
    expect(row('ram @final: kpageflags')).toBeUndefined();
  });
});

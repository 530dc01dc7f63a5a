// Property: for random small scenarios, the sleep-set reduction finds exactly the final states (and
// cycles) the unreduced search finds. The read sets of footprint.ts are an estimate written by hand;
// a step that reads something its estimate misses would show up here as a lost final state.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadScenario } from '../../src/scenario/load.js';
import { Machine } from '../../src/sched/machine.js';
import { search } from '../../src/explore/search.js';
import { StateHasher } from '../../src/explore/hash.js';
import { kernel } from './helpers.js';

// operations a thread may take: stores and loads on shared and private pages (some not populated
// yet, so faults allocate), a THP region, uffd-registered memory served by a handler, and ops that
// reshape the address space
const OPS = [
  '- write: { addr: a, value: 0x41 }',
  '- write: { addr: a + 4K, value: 0x42 }',
  '- write: { addr: a + 8K, value: 0x43 }',
  '- read: { addr: a, len: 8 }',
  '- read: { addr: a + 4K, len: 4K }',
  '- memset: { addr: a + 4K, len: 8K, value: 7 }',
  '- write: { addr: h + 0x1000, value: 0x44 }',
  '- write: { addr: h + 0x3000, value: 0x45 }',
  '- read: { addr: h + 0x2000, len: 16 }',
  '- write: { addr: u, value: 0x46 }',
  '- write: { addr: u + 4K, value: 0x47 }',
  '- mprotect: { addr: a + 8K, len: 4K, prot: r }',
  '- madvise: { addr: a, len: 4K, advice: dontneed }',
];

function scenarioText(threads: number[][], kernelName: string): string {
  const lines = [
    'name: random', `kernel: ${kernelName}`,
    'setup:',
    '  - mmap: { as: a, len: 16K, prot: rw }',
    '  - write: { addr: a, value: 1 }',
    '  - mmap: { as: h, len: 2M, prot: rw, align: 2M }',
    '  - madvise: { addr: h, len: 2M, advice: hugepage }',
    '  - write: { addr: h, value: 2 }',
    '  - mmap: { as: u, len: 8K, prot: rw }',
    '  - write: { addr: u, value: 3 }',
    '  - write: { addr: u + 4K, value: 4 }',
    '  - userfaultfd: { as: uffd, flags: [cloexec] }',
    '  - uffdio_register: { uffd: uffd, addr: u, len: 8K, mode: [wp] }',
    '  - uffdio_writeprotect: { uffd: uffd, addr: u, len: 8K, mode: [wp] }',
    'threads:',
    '  handler:',
    '    loop: true',
    '    ops:',
    '      - read_uffd: { uffd: uffd, as: msg }',
    '      - uffdio_writeprotect: { uffd: uffd, addr: msg.address, len: 4K, mode: [] }',
  ];
  threads.forEach((ops, i) => {
    lines.push(`  t${i}:`);
    for (const o of ops) lines.push(`    ${OPS[o]}`);
  });
  return lines.join('\n') + '\n';
}

function explore(text: string, k: string, reduction: boolean) {
  const sc = loadScenario('random.yaml', text);
  const m = new Machine(sc, kernel(k), { trace: false });
  m.runSetup();
  const h = new StateHasher();
  const key = (x: Machine, control: boolean) => {
    h.reset();
    x.fingerprint(h);
    return control ? `${h.controlHi()}:${h.controlLo()}` : `${h.fullHi()}:${h.fullLo()}`;
  };
  const finals = new Set<string>(), cycles = new Set<string>();
  const r = search(m, { reduction, onTerminal: (x) => finals.add(key(x, false)), onCycle: (c) => cycles.add(key(c.machine, true)) });
  return { finals, cycles, r };
}

describe('sleep sets lose nothing (random scenarios)', () => {
  for (const k of ['v6.12', 'v4.19-uffd-wp-2018']) {
    it(`on ${k}`, () => {
      fc.assert(
        fc.property(fc.array(fc.array(fc.integer({ min: 0, max: OPS.length - 1 }), { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 3 }), (threads) => {
          const text = scenarioText(threads, k);
          const off = explore(text, k, false), on = explore(text, k, true);
          expect([...on.finals].sort()).toEqual([...off.finals].sort());
          expect([...on.cycles].sort()).toEqual([...off.cycles].sort());
          expect(on.r.stats.distinct).toBe(off.r.stats.distinct);
        }),
        { numRuns: 25, seed: 20180910 },
      );
    });
  }
});

// GUP and PAGEMAP_SCAN on hugetlb VMAs (src/kernel/mm/gup.ts follow_huge_pmd and gup_fast's hugetlb leaf,
// src/kernel/mm/hugetlb.ts hugetlb_wp and fork's copy of a pinned page, src/kernel/fs/proc/task_mmu.ts
// pagemap_scan_hugetlb_entry). The differential scenarios scenarios/differential/hugetlb-gup-*.yaml and
// hugetlb-pagemap-scan.yaml agree with 6.18; these tests pin down what they measured, and the parts the host
// cannot show (read-only pins: the executor pins only through io_uring, FOLL_WRITE; the older profiles).
import { describe, expect, it } from 'vitest';
import { loadScenario, ScenarioError } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { errno, kernel, page, pagemapBit, pmd, result, run } from './helpers.js';
import type { RunResult } from '../src/run.js';
import { PG_hugetlb } from '../src/kernel/mm/hugetlb.js';

const RW = 1n << 1n;
const writable = (r: RunResult, key: string, at = 'final') => (BigInt(pmd(r, key, at)) & RW) !== 0n;
/** the live huge folios of the pool: [slot, _pincount] */
function hugeFolios(r: RunResult): number[][] {
  const f = r.machine.k.folios, out: number[][] = [];
  for (let slot = 0; slot < f.nslots; slot++) if ((f.flags(slot) & PG_hugetlb) && f.refcount(slot) > 0) out.push([slot, f.pincount(slot)]);
  return out;
}
/** every expectation of the run held (each printed when one did not) */
function held(r: RunResult): boolean {
  for (const e of r.expectations) if (e.ok !== true) console.error(`line ${e.line}: ${e.text}\n  ${e.detail}`);
  return r.expectations.every((e) => e.ok === true);
}
/** a profile with the scenario's pool (run() takes the spec as it is) */
const K = (profile: string, pool: number) => kernel(profile, {}, [`nr_hugepages=${pool}`]);
const meminfo = (r: RunResult, n: string, at = 'final') => r.observation.snapshots[at]!.meminfo![n];

describe('GUP on hugetlb', () => {
  it('a FOLL_FORCE write into a read-only private mapping breaks COW and leaves the huge entry read-only', () => {
    const r = run(`
name: force
config: { nr_hugepages: 4 }
observe: { pages: [ro], process: [main, child] }
setup:
  - mmap: { as: ro, len: 2M, prot: [read], flags: [private, anonymous, hugetlb] }
  - proc_mem_write: { addr: ro + 8, value: 0x1122, size: 2, id: absent }
  - checkpoint: first
  - fork: { as: child }
  - checkpoint: forked
  - proc_mem_write: { addr: ro + 8, value: 0x33, id: cow }
expect:
  - { pagemap: ro, new_pfn_since: forked }
  - { pagemap: ro, process: child, same_pfn_as: { process: main, at: forked } }
  - { mem: ro + 8, size: 1, value: 0x33 }
`, K('v6.18', 8));
    expect(held(r)).toBe(true);
    expect([errno(r, 'absent'), result(r, 'absent'), errno(r, 'cow'), result(r, 'cow')]).toEqual([null, '2', null, '1']);
    // hugetlb_no_page + hugetlb_wp reuse: exclusive, not writable (the VMA has no VM_WRITE)
    expect([pagemapBit(r, 'ro', 56, 'first'), writable(r, 'ro', 'first')]).toEqual([1, false]);
    // after fork the page is shared: the forced write copies it, the copy read-only and exclusive
    expect(pagemapBit(r, 'ro', 56, 'forked')).toBe(0);
    expect([pagemapBit(r, 'ro', 56), writable(r, 'ro')]).toEqual([1, false]);
  });

  it('a pinned page of a hugetlb memfd that truncation takes out of the cache lives on until the unpin (debug_vm holds)', () => {
    // (found by the model fuzzer, seed 7702 run 191: assert_hugetlb_state called such a page a leak)
    const sc = loadScenario('t.yaml', `
name: trunc-pinned
config: { nr_hugepages: 2 }
setup:
  - memfd_create: { as: f, flags: [hugetlb] }
  - ftruncate: { fd: f, len: 2M }
  - mmap: { as: m, len: 2M, align: 2M, fd: f, flags: [shared] }
  - pin: { addr: m, len: 4K, flags: [write, longterm, fast], as: p }
  - ftruncate: { fd: f, len: 0 }
  - checkpoint: truncated
  - ftruncate: { fd: f, len: 2M }
  - unpin: p
  - checkpoint: unpinned
`);
    const r = runScenario(sc, K('v6.18', 2), { debug: true, trace: false });
    // held by the pin alone, out of every count but HugePages_Free's; the unpin frees it into the pool
    expect([meminfo(r, 'HugePages_Free', 'truncated'), meminfo(r, 'HugePages_Free', 'unpinned')]).toEqual([1, 2]);
    expect(hugeFolios(r)).toEqual([]);
  });

  it('a pin takes the huge folio as a large folio (_pincount per 4 KiB page), and the unpin gives the page back', () => {
    const r = run(`
name: pincount
config: { nr_hugepages: 2 }
observe: { pages: [a] }
setup:
  - mmap: { as: a, len: 2M, flags: [private, anonymous, hugetlb] }
  - pin: { addr: a + 4K, len: 12K, flags: [write, longterm, fast], as: p, id: pin }
  - checkpoint: pinned
  - madvise: { addr: a, len: 2M, advice: dontneed }
  - checkpoint: zapped
  - unpin: p
  - checkpoint: unpinned
`, K('v6.18', 8));
    expect(result(r, 'pin')).toBe('3');
    // the folio is still held by the pin after the zap; the unpin frees it into the pool
    expect([meminfo(r, 'HugePages_Free', 'pinned'), meminfo(r, 'HugePages_Free', 'zapped'), meminfo(r, 'HugePages_Free', 'unpinned')]).toEqual([7, 7, 8]);
    expect(hugeFolios(r)).toEqual([]);
    const mid = run(`
name: pincount
observe: { pages: [a] }
setup:
  - mmap: { as: a, len: 2M, flags: [private, anonymous, hugetlb] }
  - pin: { addr: a + 4K, len: 12K, flags: [write, longterm, fast], as: p, id: pin }
  - pin: { addr: a, len: 4K, flags: [write, longterm, fast], as: q }
`, K('v6.18', 8));
    expect(hugeFolios(mid).map(([, pins]) => pins)).toEqual([4]);
  });

  it('fork copies a maybe-pinned exclusive page for the child; a vmsplice reference (no pin) is shared', () => {
    const sc = (op: string, same: boolean) => `
name: fork
config: { nr_hugepages: 4 }
observe: { pages: [a], process: [main, child] }
setup:
  - mmap: { as: a, len: 2M, flags: [private, anonymous, hugetlb] }
  - write: { addr: a, value: 5 }
  - ${op}
  - fork: { as: child }
  - checkpoint: forked
expect:
  - { pagemap: a, process: child, ${same ? 'same_pfn_as' : 'new_pfn_since'}: { process: main, at: forked } }
`;
    const pinned = run(sc('pin: { addr: a, len: 4K, flags: [write, longterm, fast], as: p }', false), K('v6.18', 8));
    const spliced = run(sc('vmsplice: { addr: a, len: 4K, as: p }', true), K('v6.18', 8));
    expect([held(pinned), held(spliced)]).toEqual([true, true]);
    // pinned: both exclusive, different pages, the parent's entry still writable
    expect([pagemapBit(pinned, 'a', 56), pagemapBit(pinned, 'child:a', 56), writable(pinned, 'a')]).toEqual([1, 1, true]);
    // spliced: one page mapped twice, write-protected
    expect([pagemapBit(spliced, 'a', 56), writable(spliced, 'a')]).toEqual([0, false]);
  });

  it('a read-only pin of a hugetlb page shared with a child unshares it first (FAULT_FLAG_UNSHARE: a copy, read-only)', () => {
    const r = run(`
name: unshare
config: { nr_hugepages: 4 }
observe: { pages: [a], process: [main, child] }
setup:
  - mmap: { as: a, len: 2M, flags: [private, anonymous, hugetlb] }
  - write: { addr: a, value: 5 }
  - fork: { as: child }
  - checkpoint: forked
  - pin: { addr: a, len: 4K, flags: [longterm], as: p, id: pin }
expect:
  - { pagemap: a, new_pfn_since: forked }
  - { pagemap: a, process: child, same_pfn_as: { process: main, at: forked } }
`, K('v6.18', 8));
    expect(held(r)).toBe(true);
    expect(result(r, 'pin')).toBe('1');
    expect([pagemapBit(r, 'a', 56), writable(r, 'a')]).toEqual([1, false]);
    expect(hugeFolios(r).map(([, pins]) => pins).sort()).toEqual([0, 1]);
  });

  it('gup_fast marks a present hugetlb folio referenced; the slow path after a fault does not', () => {
    const r = run(`
name: referenced
config: { nr_hugepages: 4 }
observe: { pages: [a, b] }
setup:
  - mmap: { as: a, len: 2M, flags: [private, anonymous, hugetlb] }
  - mmap: { as: b, len: 2M, flags: [private, anonymous, hugetlb] }
  - write: { addr: a, value: 1 }
  - vmsplice: { addr: a, len: 4K, as: p }
  - vmsplice: { addr: b, len: 4K, as: q }
`, K('v6.18', 8));
    const KPF_REFERENCED = 2;
    const kpf = (key: string) => Number((BigInt(page(r, key).kpageflags!) >> BigInt(KPF_REFERENCED)) & 1n);
    expect([kpf('a'), kpf('b')]).toEqual([1, 0]);
  });
});

describe('PAGEMAP_SCAN on hugetlb', () => {
  const SCAN = (profile: string, extra: string) => run(`
name: scan
config: { nr_hugepages: 4 }
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4M, flags: [private, anonymous, hugetlb] }
  - write: { addr: m, value: 1 }
  - userfaultfd: { as: uffd, features: [wp_async] }
  - uffdio_register: { uffd: uffd, addr: m, len: 4M, mode: [wp] }
${extra}
`, K(profile, 8));

  it('a huge entry is HUGE; a none one nothing else; WP of a part of a huge page is taken back and sets walk_end', () => {
    const r = SCAN('v6.18', `  - pagemap_scan: { addr: m, len: 4M, return_mask: [written, present, huge, swapped], id: all }
  - pagemap_scan: { addr: m + 1M, len: 3M, flags: [wp_matching], category_mask: [written], return_mask: [written], id: part }
  - pagemap_scan: { addr: m, len: 4M, flags: [wp_matching], category_mask: [written], return_mask: [written], id: whole }
  - pagemap_scan: { addr: m, len: 4M, return_mask: [written, present, huge, swapped], id: after }
expect:
  - { op: all, walk_end: m + 4M, regions: [{ start: m, end: m + 2M, categories: [written, present, huge] }, { start: m + 2M, end: m + 4M, categories: [huge] }] }
  - { op: part, walk_end: m + 1M, regions: [] }
  - { op: whole, walk_end: m + 4M, regions: [{ start: m, end: m + 2M, categories: [written] }] }
  - { op: after, regions: [{ start: m, end: m + 2M, categories: [present, huge] }, { start: m + 2M, end: m + 4M, categories: [huge] }] }
  - { pagemap: m, has: [present, uffd_wp] }`);
    expect(held(r)).toBe(true);
  });

  it('the WP of a hugetlb hole needs the pagemap-scan-none-written backport (before it the kernel deadlocked): refused on v6.9', () => {
    const extra = `  - mmap: { as: h, len: 2M, flags: [private, anonymous, hugetlb], addr: 0x7e0000000000 }
  - uffdio_register: { uffd: uffd, addr: h, len: 2M, mode: [wp] }
  - pagemap_scan: { addr: h, len: 2M, flags: [wp_matching], return_mask: [huge, swapped], id: hole }
  - pagemap_scan: { addr: h, len: 2M, return_mask: [huge, swapped], id: marked }
expect:
  - { op: hole, regions: [{ start: h, end: h + 2M, categories: [] }] }
  - { op: marked, regions: [{ start: h, end: h + 2M, categories: [huge, swapped] }] }`;
    expect(held(SCAN('v6.12', extra))).toBe(true);
    let e: unknown = null;
    try {
      SCAN('v6.9', extra);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(ScenarioError);
    expect(String((e as Error).message)).toMatch(/not modelled on v6\.9: PAGEMAP_SCAN with PM_SCAN_WP_MATCHING over a hugetlb range without page tables/);
  });
});

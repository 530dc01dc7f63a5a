// khugepaged's visit of a shmem block (src/kernel/mm/khugepaged.ts khugepaged_scan_step / khugepaged_collapse_step
// @v6.18): the VMA check with the shmem settings enforced, hpage_collapse_scan_file with max_ptes_none, then, as a
// step of its own, collapse_file (retract_page_tables, no PMD: a fault maps the new folio), or
// collapse_pte_mapped_thp without a PMD install when the block is one PMD-sized folio already; what a pin, a
// punch hole, a uffd registration, a write-protect or a fault between the steps does.
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../src/scenario/error.js';
import { debug_vm_check } from '../src/kernel/mm/debug_vm.js';
import { loadScenario } from '../src/scenario/load.js';
import { checkScenario } from '../src/explore/check.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { events, kernel, kpfBit, pagemapBit, result, run, vmstat } from './helpers.js';
import type { RunResult } from '../src/run.js';

const THP = 22, PRESENT = 63, UFFD_WP = 57;

/** a memfd of 2 MiB mapped shared, `fill` written, MADV_HUGEPAGE (shmem_enabled=advise), then `more`, then `threads` */
const BLOCK = (more: string, threads = '', fill = '- memset: { addr: m, len: 2M, value: 1 }') => `
name: shmem-khugepaged
observe: { pages: [m, m + 4K] }
setup:
  - memfd_create: { as: fd, name: c }
  - ftruncate: { fd: fd, len: 2M }
  - mmap: { as: m, len: 2M, fd: fd, align: 2M }
  ${fill}
  - madvise: { addr: m, len: 2M, advice: hugepage }
  ${more}
${threads}
`;
const ALONE = (more = '') => BLOCK(`${more}\n  - khugepaged: { addr: m + 12K, id: k }`);
const ADVISE = ['shmem_enabled=advise'];
const v618 = (config: string[] = ADVISE) => kernel('v6.18', {}, config);

/** the file's folio at index 0: its order and references */
function cacheHead(r: RunResult): { order: number; refcount: number } {
  const k = r.machine.k;
  const slot = k.inode(1)!.folioAt(0);
  return { order: k.folios.order(slot), refcount: k.folios.refcount(slot) };
}

/** the thread k between the scan and collapse_file, `between` the other thread's operations, then k again */
const RACE = (op: string, more = '', fill?: string) => BLOCK(`${more}\n  - checkpoint: ready`, `threads:
  k:
    - khugepaged: { addr: m, id: k }
  w:
    - ${op}`, fill);

describe('khugepaged on shmem (v6.18)', () => {
  it('replaces the small folios with one PMD-sized folio and frees the PTE table; the next fault maps it with a PMD', () => {
    const r = run(ALONE('- write: { addr: m + 4K, value: 9 }\n  - checkpoint: before'), v618(['shmem_enabled=advise', 'debug_vm=y']));
    expect(result(r, 'k')).toBe('succeeded');
    expect(cacheHead(r)).toEqual({ order: 9, refcount: 512 });
    expect(vmstat(r, 'thp_collapse_alloc')).toBe(1);
    // khugepaged maps nothing: the caller's table went in retract_page_tables
    expect(pagemapBit(r, 'm', PRESENT, 'before')).toBe(1);
    expect(pagemapBit(r, 'm', PRESENT)).toBe(0);
    expect(debug_vm_check(r.machine.k)).toEqual([]);
    expect(events(r, 'collapse').map((e) => e.fn)).toEqual(['hpage_collapse_scan_file', 'retract_page_tables', 'collapse_file']);
    const f = run(ALONE('- write: { addr: m + 4K, value: 9 }').replace('observe: { pages: [m, m + 4K] }',
      'observe: { pages: [m, m + 4K] }\nexpect:\n  - { mem: m + 4K, size: 1, value: 9 }\n  - { mem: m + 2M - 1, size: 1, value: 1 }') + '  - read: { addr: m }\n', v618());
    expect(f.expectations.every((e) => e.ok)).toBe(true);
    expect([pagemapBit(f, 'm', PRESENT), kpfBit(f, 'm', THP)]).toEqual([1, 1]);
    expect(f.observation.snapshots.final!.pages['m']!.pmd).not.toBeNull();
  });

  it('needs the shmem settings (thp_vma_allowable_order with sysfs enforced), unlike MADV_COLLAPSE', () => {
    expect(result(run(ALONE(), v618([])), 'k')).toBe('vma_check_failed');
    expect(result(run(ALONE(), v618(['shmem_enabled=deny'])), 'k')).toBe('vma_check_failed');
    expect(result(run(ALONE().replace('  - madvise: { addr: m, len: 2M, advice: hugepage }\n', ''), v618()), 'k')).toBe('vma_check_failed');
    expect(result(run(ALONE().replace('advice: hugepage', 'advice: nohugepage'), v618(['shmem_enabled=force'])), 'k')).toBe('vma_check_failed');
    expect(result(run(ALONE().replace('  - madvise: { addr: m, len: 2M, advice: hugepage }\n', ''), v618(['shmem_enabled=always'])), 'k')).toBe('succeeded');
    // the anonymous `enabled` knob does not matter to shmem
    expect(result(run(ALONE(), v618(['shmem_enabled=advise', 'thp=never'])), 'k')).toBe('succeeded');
    // a tmpfs file: the model's mount is huge=never; force overrides it
    const tmpfs = ALONE().replace('  - memfd_create: { as: fd, name: c }', '  - open: { as: fd, path: f, flags: [rdwr, create] }');
    expect(result(run(tmpfs, v618()), 'k')).toBe('vma_check_failed');
    expect(result(run(tmpfs, v618(['shmem_enabled=force'])), 'k')).toBe('succeeded');
    // a block the VMA does not hold whole
    const half = ALONE().replace('- khugepaged: { addr: m + 12K, id: k }', '- munmap: { addr: m + 1M, len: 1M }\n  - khugepaged: { addr: m, id: k }');
    expect(result(run(half, v618()), 'k')).toBe('vma_check_failed');
  });

  it('wants 512 - max_ptes_none pages in the cache (khugepaged only)', () => {
    const two = '- write: { addr: m, value: 1 }\n  - write: { addr: m + 1M, value: 2 }';
    const sparse = BLOCK('- khugepaged: { addr: m, id: k }', '', two);
    expect(result(run(sparse, v618()), 'k')).toBe('succeeded');
    expect(result(run(sparse, v618(['shmem_enabled=advise', 'max_ptes_none=510'])), 'k')).toBe('succeeded');
    expect(result(run(sparse, v618(['shmem_enabled=advise', 'max_ptes_none=509'])), 'k')).toBe('exceed_none_pte');
    expect(cacheHead(run(sparse, v618(['shmem_enabled=advise', 'max_ptes_none=509']))).order).toBe(0);
    const madv = run(BLOCK('- madvise: { addr: m, len: 2M, advice: collapse, id: c }', '', two), v618(['max_ptes_none=0']));
    expect(madv.observation.ops.c!.errno).toBeNull();
    // an empty block: nothing present
    expect(result(run(BLOCK('- khugepaged: { addr: m, id: k }', '', '- checkpoint: empty'), v618()), 'k')).toBe('exceed_none_pte');
  });

  it('refuses a pinned folio in the scan (not_suitable_page_count), the cache untouched', () => {
    const r = run(ALONE('- pin: { addr: m + 8K, len: 4K, flags: [write, longterm], as: p }'), v618());
    expect(result(r, 'k')).toBe('not_suitable_page_count');
    expect(vmstat(r, 'thp_collapse_alloc')).toBe(0);
    expect(pagemapBit(r, 'm', PRESENT)).toBe(1);
  });

  it('takes two steps in a thread: the scan, then collapse_file once the other thread ran', () => {
    const yaml = RACE('write: { addr: m + 8K, value: 5 }\n    - checkpoint: between');
    const r = run(yaml, v618(), 'k w w k');
    expect(result(r, 'k')).toBe('succeeded');
    expect(r.observation.schedule).toBe('k w*2 k');
    expect(pagemapBit(r, 'm', PRESENT, 'between')).toBe(1);
    expect(events(r, 'collapse').map((e) => e.fn)).toEqual(['hpage_collapse_scan_file', 'retract_page_tables', 'collapse_file']);
    // the data is there once a fault maps the new folio
    const data = run(yaml.replace('observe: { pages: [m, m + 4K] }', 'observe: { pages: [m, m + 4K] }\nexpect:\n  - { mem: m + 8K, size: 1, value: 5 }')
      .replace('- khugepaged: { addr: m, id: k }', '- khugepaged: { addr: m, id: k }\n    - read: { addr: m }'), v618(), 'k w w k k');
    expect(data.expectations.every((e) => e.ok)).toBe(true);
  });

  it('rolls back when a pin comes between the scan and collapse_file (the folios stay unmapped)', () => {
    const r = run(RACE('pin: { addr: m + 8K, len: 4K, flags: [write, longterm], as: p }'), v618(['shmem_enabled=advise', 'debug_vm=y']), 'k w k');
    expect(result(r, 'k')).toBe('not_suitable_page_count');
    expect(cacheHead(r).order).toBe(0);
    expect(vmstat(r, 'thp_collapse_alloc')).toBe(1);
    // try_to_unmap ran before the reference count was seen
    expect(pagemapBit(r, 'm', PRESENT)).toBe(0);
    expect(debug_vm_check(r.machine.k)).toEqual([]);
  });

  it('sees a block hole-punched between the steps as truncated, and a fault into a hole as one page more', () => {
    const punch = RACE('fallocate: { fd: fd, mode: [punch_hole, keep_size], offset: 0, len: 2M }');
    expect(result(run(punch, v618(), 'k w k'), 'k')).toBe('truncated');
    // punched before the scan: nothing present
    expect(result(run(punch, v618(), 'w k'), 'k')).toBe('exceed_none_pte');
    const holes = '- write: { addr: m, value: 1 }';
    const fill = RACE('write: { addr: m + 1M, value: 3 }', '', holes);
    const r = run(fill.replace('observe: { pages: [m, m + 4K] }', 'observe: { pages: [m, m + 4K] }\nexpect:\n  - { mem: m + 1M, size: 1, value: 3 }')
      .replace('- khugepaged: { addr: m, id: k }', '- khugepaged: { addr: m, id: k }\n    - read: { addr: m }'), v618(), 'k w k k');
    expect(result(r, 'k')).toBe('succeeded');
    expect(r.expectations.every((e) => e.ok)).toBe(true);
  });

  it('rolls back over holes once a VMA of the file is registered for MISSING faults between the steps', () => {
    const holes = '- write: { addr: m, value: 1 }';
    const reg = RACE('uffdio_register: { uffd: u, addr: m, len: 2M, mode: [missing] }', '- userfaultfd: { as: u, api: true }', holes);
    const r = run(reg, v618(), 'k w k');
    expect(result(r, 'k')).toBe('exceed_none_pte');
    expect(cacheHead(r).order).toBe(0);
    expect(events(r, 'collapse').map((e) => e.fn)).toEqual(['hpage_collapse_scan_file', 'collapse_file']);
    // registered after the collapse: nothing to roll back
    expect(result(run(reg, v618(), 'k k w'), 'k')).toBe('succeeded');
  });

  it('keeps a protection set between the steps as a marker, and the protected VMA its PTE table', () => {
    const wp = RACE('uffdio_writeprotect: { uffd: u, addr: m + 4K, len: 4K, mode: [wp] }',
      '- userfaultfd: { as: u, api: true }\n  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }');
    const r = run(wp, v618(['shmem_enabled=advise', 'debug_vm=y']), 'k w k');
    expect(result(r, 'k')).toBe('succeeded');
    expect(cacheHead(r).order).toBe(9);
    expect([pagemapBit(r, 'm + 0x1000', PRESENT), pagemapBit(r, 'm + 0x1000', UFFD_WP)]).toEqual([0, 1]);
    expect(events(r, 'collapse').map((e) => e.fn)).toEqual(['hpage_collapse_scan_file', 'collapse_file']);
    expect(debug_vm_check(r.machine.k)).toEqual([]);
  });

  it('goes to collapse_pte_mapped_thp (no PMD install) when the block is one PMD-sized folio already', () => {
    const again = ALONE('- read: { addr: m + 4K }\n  - checkpoint: mapped').replace('- khugepaged: { addr: m + 12K, id: k }',
      '- khugepaged: { addr: m + 12K, id: k0 }\n  - khugepaged: { addr: m, id: k }');
    const r = run(again, v618());
    expect(result(r, 'k0')).toBe('succeeded');
    expect(result(r, 'k')).toBe('succeeded');
    expect(vmstat(r, 'thp_collapse_alloc')).toBe(1);
    expect(events(r, 'collapse').map((e) => `${e.fn}:${e.result ?? ''}`)).toContain('hpage_collapse_scan_file:pte_mapped_hugepage');
    expect(events(r, 'collapse').map((e) => e.fn)).toContain('collapse_pte_mapped_thp');
    expect(pagemapBit(r, 'm', PRESENT)).toBe(0);
    // in a thread the mmap lock is taken again for it: a step of its own
    const t = run(BLOCK('- khugepaged: { addr: m, id: k0 }\n  - checkpoint: ready', 'threads:\n  k:\n    - khugepaged: { addr: m, id: k }\n  w:\n    - read: { addr: m + 4K }'), v618(), 'k w k');
    expect(result(t, 'k')).toBe('succeeded');
    // the read mapped the folio with a PMD in between: collapse_pte_mapped_thp finds it there
    expect(kpfBit(t, 'm', THP)).toBe(1);
  });

  it('leaves a private mapping written to (an anon_vma) its PTE table', () => {
    const priv = ALONE('- mmap: { as: p, len: 2M, flags: [private], fd: fd, align: 2M }\n  - write: { addr: p + 4K, value: 7 }\n  - read: { addr: p + 8K }');
    const r = run(priv.replace('observe: { pages: [m, m + 4K] }', 'observe: { pages: [m, m + 4K, p + 4K, p + 8K] }'), v618(['shmem_enabled=advise', 'debug_vm=y']));
    expect(result(r, 'k')).toBe('succeeded');
    expect([pagemapBit(r, 'p + 0x1000', PRESENT), pagemapBit(r, 'p + 0x2000', PRESENT)]).toEqual([1, 0]);
    expect(debug_vm_check(r.machine.k)).toEqual([]);
  });

  it('swaps in the pages shmem reclaim swapped out (up to max_ptes_swap for khugepaged), MADV_COLLAPSE too', () => {
    const out = '- write: { addr: m + 8K, value: 7 }\n  - swapon: { pages: 64 }\n  - madvise: { addr: m + 4K, len: 8K, advice: pageout }';
    const expect8K = (y: string) => y.replace('observe: { pages: [m, m + 4K] }', 'observe: { pages: [m, m + 4K] }\nexpect:\n  - { mem: m + 8K, size: 1, value: 7 }') + '  - read: { addr: m }\n';
    const cfg = ['shmem_enabled=advise', 'debug_vm=y'];
    const r = run(expect8K(ALONE(out)), v618(cfg));
    expect(result(r, 'k')).toBe('succeeded');
    expect(r.expectations.every((e) => e.ok)).toBe(true);
    expect(events(r, 'do_swap_page').map((e) => e.fn)).toEqual(['shmem_swapin_folio', 'shmem_swapin_folio']);
    const k = r.machine.k;
    expect([k.inode(1)!.swapped, cacheHead(r).order]).toEqual([0, 9]);
    expect(debug_vm_check(k)).toEqual([]);
    expect(result(run(ALONE(out), v618(['shmem_enabled=advise', 'max_ptes_swap=1'])), 'k')).toBe('exceed_swap_pte');
    const madv = run(expect8K(BLOCK(`${out}\n  - madvise: { addr: m, len: 2M, advice: collapse, id: c }`)), v618(['max_ptes_swap=0', 'debug_vm=y']));
    expect(madv.observation.ops.c!.errno).toBeNull();
    expect(madv.expectations.every((e) => e.ok)).toBe(true);
    expect(madv.machine.k.inode(1)!.swapped).toBe(0);
  });

  it('never visits a hugetlb VMA (VM_NO_KHUGEPAGED), on any release', () => {
    const h = `
name: h
config: { nr_hugepages: 2 }
setup:
  - memfd_create: { as: fd, flags: [hugetlb] }
  - ftruncate: { fd: fd, len: 2M }
  - mmap: { as: m, len: 2M, fd: fd }
  - write: { addr: m }
  - khugepaged: { addr: m, id: k }
`;
    for (const p of ['v6.6', 'v6.18']) expect(result(run(h, kernel(p, {}, ['nr_hugepages=2'])), 'k'), p).toBe('vma_check_failed');
  });

  it('is refused as not modelled before v6.18', () => {
    for (const p of ['v6.1', 'v6.6', 'v6.12']) {
      let e: unknown = null;
      try { run(ALONE(), kernel(p, {}, ADVISE)); } catch (x) { e = x; }
      expect(e, p).toBeInstanceOf(ScenarioError);
      expect((e as ScenarioError).detail).toMatch(/^not modelled on [^:]+: khugepaged on shmem before v6\.18/);
    }
  });

  it('is explored by mmsim check: a punch hole before the scan, between the steps and after the collapse', () => {
    const sc = loadScenario('scenarios/check/khugepaged-shmem-punch.yaml');
    const out = checkScenario(sc, resolveKernel(sc.kernel ?? 'v6.18', [], sc.config));
    expect(out.complete).toBe(true);
    expect(out.conditions.map((c) => [c.name, c.observation, c.ok])).toEqual([
      ['truncated', 'Sometimes', true], ['empty_at_scan', 'Sometimes', true], ['collapsed', 'Sometimes', true],
    ]);
  });
});

// khugepaged as two steps (kernel/mm/khugepaged.ts, the `khugepaged` operation): the scan, then, after the
// mmap lock was dropped, the collapse; what each knob, reference and interleaving does to it.
import { describe, expect, it } from 'vitest';
import { kernel, run, result, thread, vmstat, kpfBit, pagemapBit, anonHuge, events, err } from './helpers.js';
import { checkScenario } from '../src/explore/check.js';
import { loadScenario, ScenarioError } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { missingCapability } from '../src/host/requirements.js';
import type { HostCaps } from '../src/host/probe.js';
import { resolveKernel, SpecError } from '../src/profiles/profiles.js';
import { PATCH } from '../src/profiles/patches.js';

/** 512 small pages written (thp=madvise: no THP before MADV_HUGEPAGE), then `more` in the setup, then `threads` */
const BLOCK = (more: string, threads = '', config = '') => `
name: khugepaged-test
${config}
observe: { pages: [m, m + 4K] }
setup:
  - mmap: { as: m, len: 2M, align: 2M }
  - memset: { addr: m, len: 2M, value: 1 }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  ${more}
${threads}
`;
const ALONE = (config = '', more = '') => BLOCK(`${more}\n  - khugepaged: { addr: m + 12K, id: k }`, '', config);

describe('the khugepaged operation', () => {
  it('collapses 512 written small pages into a THP mapped by a dirty, writable PMD, keeping the data', () => {
    const r = run(ALONE('', '- write: { addr: m + 4K, value: 9 }'), kernel('v6.18'));
    expect(result(r, 'k')).toBe('succeeded');
    expect(kpfBit(r, 'm', 22)).toBe(1);
    expect(anonHuge(r, 'm')).toBe(2048);
    expect(vmstat(r, 'thp_collapse_alloc')).toBe(1);
    expect(r.observation.snapshots.final!.pages['m + 0x1000']!.pmd).toMatch(/^0x8[0-9a-f]*e7$/);
    const mem = run(ALONE('', '- write: { addr: m + 4K, value: 9 }').replace('observe: { pages: [m, m + 4K] }', 'observe: { pages: [m, m + 4K] }\nexpect:\n  - { mem: m + 4K, size: 1, value: 9 }\n  - { mem: m + 2M - 1, size: 1, value: 1 }'), kernel('v6.18'));
    expect(mem.expectations.every((e) => e.ok)).toBe(true);
  });

  it('takes two steps in a thread: blocked between the scan and the collapse, while another thread runs', () => {
    const yaml = BLOCK('- checkpoint: ready', `threads:
  k:
    - khugepaged: { addr: m, id: k }
  w:
    - write: { addr: m + 8K, value: 5 }
    - checkpoint: between`);
    const r = run(yaml, kernel('v6.18'), 'k w w k');
    expect(result(r, 'k')).toBe('succeeded');
    // at `between` the block was scanned but not collapsed
    expect(kpfBit(r, 'm', 22, 'between')).toBe(0);
    expect(kpfBit(r, 'm', 22)).toBe(1);
    expect(r.observation.schedule).toBe('k w*2 k');
    expect(events(r, 'collapse').map((e) => e.fn)).toEqual(['hpage_collapse_scan_pmd', 'collapse_huge_page']);
    // run to the end by the default schedule, the thread is never left blocked
    expect(thread(run(yaml, kernel('v6.18')), 'k').state).toBe('done');
  });

  it('refuses a block without the VMA check: no MADV_HUGEPAGE under thp=madvise, thp=never', () => {
    const plain = ALONE().replace('  - madvise: { addr: m, len: 2M, advice: hugepage }\n', '');
    expect(result(run(plain, kernel('v6.18')), 'k')).toBe('vma_check_failed');
    expect(result(run(ALONE(), kernel('v6.18', {}, ['thp=never'])), 'k')).toBe('vma_check_failed');
    expect(result(run(ALONE(), kernel('v6.18', {}, ['thp=always'])), 'k')).toBe('page_pmd_mapped');
  });

  it('counts empty PTEs against max_ptes_none (khugepaged only: MADV_COLLAPSE ignores it), and none at all in a registered VMA', () => {
    const holes = '- madvise: { addr: m + 64K, len: 8K, advice: dontneed }';
    expect(result(run(ALONE('', holes), kernel('v6.18')), 'k')).toBe('succeeded');
    expect(result(run(ALONE('', holes), kernel('v6.18', {}, ['max_ptes_none=2'])), 'k')).toBe('succeeded');
    expect(result(run(ALONE('', holes), kernel('v6.18', {}, ['max_ptes_none=1'])), 'k')).toBe('exceed_none_pte');
    const collapse = BLOCK(`${holes}\n  - madvise: { addr: m, len: 2M, advice: collapse, id: c }`);
    const c = run(collapse, kernel('v6.18', {}, ['max_ptes_none=0']));
    expect(c.observation.ops.c!.errno).toBeNull();
    expect(kpfBit(c, 'm', 22)).toBe(1);
    // the knob in the scenario file, as mmsim run applies it
    const sc = loadScenario('c.yaml', ALONE('config: { max_ptes_none: 1 }', holes));
    expect(sc.config).toEqual(['max_ptes_none=1']);
    expect(result(runScenario(sc, resolveKernel('v6.18', [], sc.config)), 'k')).toBe('exceed_none_pte');
    const reg = `${holes}\n  - userfaultfd: { as: u, api: true }\n  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [missing] }`;
    expect(result(run(ALONE('', reg), kernel('v6.18')), 'k')).toBe('exceed_none_pte');
  });

  it('swaps pages in up to max_ptes_swap and collapses them with their data; the old pages leave the swap cache', () => {
    const out = '- swapon: { pages: 64 }\n  - write: { addr: m + 8K, value: 7 }\n  - madvise: { addr: m + 4K, len: 8K, advice: pageout }';
    const yaml = ALONE('', out).replace('observe: { pages: [m, m + 4K] }', 'observe: { pages: [m, m + 4K] }\nexpect:\n  - { mem: m + 8K, size: 1, value: 7 }');
    const r = run(yaml, kernel('v6.18', {}, ['debug_vm=y']));
    expect(result(r, 'k')).toBe('succeeded');
    expect(r.expectations.every((e) => e.ok)).toBe(true);
    expect(events(r, 'do_swap_page')).toHaveLength(2);
    // swapoff finds no entry left behind
    const off = run(yaml.replace('id: k }', 'id: k }\n  - swapoff: true\n  - checkpoint: off'), kernel('v6.18', {}, ['debug_vm=y']));
    expect(events(off, 'do_swap_page')).toHaveLength(2);
    expect(result(run(ALONE('', out), kernel('v6.18', {}, ['max_ptes_swap=1'])), 'k')).toBe('exceed_swap_pte');
  });

  it('wants a young PTE or a referenced page (clear_refs 1 ages them all)', () => {
    expect(result(run(ALONE('', '- clear_refs: 1'), kernel('v6.18')), 'k')).toBe('lack_referenced_page');
    expect(result(run(ALONE('', '- clear_refs: 1\n  - read: { addr: m + 1M }'), kernel('v6.18')), 'k')).toBe('succeeded');
  });

  it('refuses a pinned page (its references are not all mappings); MADV_COLLAPSE answers EAGAIN', () => {
    const pin = '- pin: { addr: m + 4K, flags: [write, longterm], as: p }';
    expect(result(run(ALONE('', pin), kernel('v6.18')), 'k')).toBe('not_suitable_page_count');
    const c = run(BLOCK(`${pin}\n  - madvise: { addr: m, len: 2M, advice: collapse, id: c }`), kernel('v6.18'));
    expect(c.observation.ops.c!.errno).toBe('EAGAIN');
    expect(kpfBit(c, 'm', 22)).toBe(0);
  });

  it('counts shared pages against max_ptes_shared after a fork', () => {
    const fork = '- fork: { as: child }\n  - memset: { addr: m + 8K, len: 2M - 8K, value: 2 }';
    expect(result(run(ALONE('', fork), kernel('v6.18')), 'k')).toBe('succeeded');
    expect(result(run(ALONE('', fork), kernel('v6.18', {}, ['max_ptes_shared=1'])), 'k')).toBe('exceed_shared_pte');
    // before v5.8 a page mapped twice was never collapsed
    expect(result(run(ALONE('', fork), kernel('v5.7')), 'k')).toBe('not_suitable_page_count');
  });

  it('counts every PTE of a large folio another mm maps against max_ptes_shared from v6.10 (the guess), v6.15 (the tracking)', () => {
    // a PTE-mapped THP (its PMD split by an mprotect there and back), forked; the child drops `drop`, the parent `mine`
    const thp = (drop: string, mine = '', config = '') => BLOCK('', '', config).replace('  - memset: { addr: m, len: 2M, value: 1 }\n  - madvise: { addr: m, len: 2M, advice: hugepage }',
      '  - madvise: { addr: m, len: 2M, advice: hugepage }\n  - memset: { addr: m, len: 2M, value: 1 }').trimEnd() + `
  - mprotect: { addr: m + 4K, len: 4K, prot: r }
  - mprotect: { addr: m + 4K, len: 4K, prot: rw }
  - fork: { as: child }${mine}
threads:
  kid:
    process: child
    ops:
      - madvise: { addr: ${drop}, len: 1M, advice: dontneed }
  k:
    - khugepaged: { addr: m, id: k }
`;
    // the parent maps all 512 pages, the child the second half: 256 pages mapped twice, not over 256 (v6.9: the scan
    // goes on and ends for want of a writable PTE); from 1bafe96e89f0 all 512 count (768 mappings for 512 pages)
    const all = thp('m');
    expect(result(run(all, kernel('v6.12')), 'k')).toBe('exceed_shared_pte');
    expect(result(run(all, kernel('v6.12', { remove: [PATCH.khugepagedFolioLikelyShared] })), 'k')).toBe('no_writable_page');
    expect(result(run(all, kernel('v6.18')), 'k')).toBe('exceed_shared_pte');
    // each maps one half: the guess (512 mappings, the first page mapped once) says exclusive, the tracking shared
    const halves = thp('m', '\n  - madvise: { addr: m + 1M, len: 1M, advice: dontneed }', 'config: { max_ptes_shared: 255 }');
    expect(result(run(halves, kernel('v6.18', {}, ['max_ptes_shared=255'])), 'k')).toBe('exceed_shared_pte');
    expect(result(run(halves, kernel('v6.18', { remove: [PATCH.folioMaybeMappedShared] }, ['max_ptes_shared=255'])), 'k')).toBe('succeeded');
  });

  it('wants a writable PTE before v6.18 (SCAN_PAGE_RO, in the scan and again in the isolation), not from 62b98015d988', () => {
    const ro = '- mprotect: { addr: m, len: 2M, prot: r }';
    expect(result(run(ALONE('', ro), kernel('v6.18')), 'k')).toBe('succeeded');
    expect(result(run(ALONE('', ro), kernel('v6.12')), 'k')).toBe('no_writable_page');
    expect(result(run(ALONE('', ro), kernel('v6.12', { add: [PATCH.khugepagedCollapseReadOnly] })), 'k')).toBe('succeeded');
    // after a fork every PTE is read-only (COW): MADV_COLLAPSE (no max_ptes_shared) fails there before v6.18,
    // and one written page, whose COW copy is writable, is enough
    const fork = (w: string) => BLOCK(`- fork: { as: child }${w}\n  - madvise: { addr: m, len: 2M, advice: collapse, id: c }`);
    expect(run(fork(''), kernel('v6.12')).observation.ops.c!.errno).toBe('EINVAL');
    expect(run(fork(''), kernel('v6.18')).observation.ops.c!.errno).toBeNull();
    expect(run(fork('\n  - write: { addr: m + 1M, value: 3 }'), kernel('v6.12')).observation.ops.c!.errno).toBeNull();
    // made read-only after the scan: the isolation refuses it before v6.18
    const between = BLOCK('', `threads:
  k:
    - khugepaged: { addr: m, id: k }
  p:
    - mprotect: { addr: m, len: 2M, prot: r }`);
    expect(result(run(between, kernel('v6.12'), 'k p k'), 'k')).toBe('no_writable_page');
    const after = run(between, kernel('v6.18'), 'k p k');
    expect(result(after, 'k')).toBe('succeeded');
    // the new PMD is as read-only as the VMA (dirty in the saved-dirty bit 58, as pmd_mkdirty of a read-only entry sets it)
    expect(after.observation.snapshots.final!.pages['m + 0x1000']!.pmd).toMatch(/^0x84[0-9a-f]*a5$/);
  });

  it('revalidates after the lock was dropped: an munmap in between ends the collapse, the new THP counted and freed', () => {
    const r = run(BLOCK('', `threads:
  k:
    - khugepaged: { addr: m, id: k }
  u:
    - munmap: { addr: m + 1M, len: 4K }`), kernel('v6.18', {}, ['debug_vm=y']), 'k u k');
    expect(result(r, 'k')).toBe('not_suitable_address_range');
    expect(vmstat(r, 'thp_collapse_alloc')).toBe(1);
    expect(kpfBit(r, 'm', 22)).toBe(0);
  });

  it('bug-corpus 12: a page write-protected between the scan and the isolation is collapsed on v6.2 and kept on v6.3', () => {
    const yaml = BLOCK('- userfaultfd: { as: u, api: true }\n  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }', `threads:
  k:
    - khugepaged: { addr: m, id: k }
  h:
    - uffdio_writeprotect: { uffd: u, addr: m + 4K, len: 4K, mode: [wp] }`);
    const before = run(yaml, kernel('v6.2'), 'k h k');
    expect([result(before, 'k'), kpfBit(before, 'm', 22), pagemapBit(before, 'm + 0x1000', 57)]).toEqual(['succeeded', 1, 0]);
    const after = run(yaml, kernel('v6.3'), 'k h k');
    expect([result(after, 'k'), kpfBit(after, 'm', 22), pagemapBit(after, 'm + 0x1000', 57)]).toEqual(['pte_uffd_wp', 0, 1]);
    // the new THP was allocated (and counted) before the isolation refused the block
    expect(vmstat(after, 'thp_collapse_alloc')).toBe(1);
    // protected before the scan: every release since v5.7 refuses it in the scan, without allocating
    const early = run(yaml, kernel('v6.2'), 'h k');
    expect([result(early, 'k'), vmstat(early, 'thp_collapse_alloc')]).toEqual(['pte_uffd_wp', 0]);
  });

  it('is explored by mmsim check: the race on v6.2 (with a counterexample), never on v6.3; --debug and verified step reuse', () => {
    const sc = loadScenario('scenarios/check/khugepaged-uffd-wp.yaml');
    for (const k of ['v6.2', 'v6.3', 'v6.18']) {
      const c = checkScenario(sc, kernel(k), { reuse: 'verify', debug: true });
      expect(c.complete).toBe(true);
      expect(c.conditions.every((x) => x.ok)).toBe(true);
      const lost = c.conditions.find((x) => x.name === 'protection_lost')!;
      expect(lost.observation).toBe(k === 'v6.2' ? 'Sometimes' : 'Never');
      expect(lost.positive > 0).toBe(k === 'v6.2');
    }
  });
});

describe('khugepaged in scenario files and on the host', () => {
  it('a scan: expectation belongs to a khugepaged operation and names a scan result', () => {
    const base = 'name: x\nsetup:\n  - mmap: { as: m, len: 2M }\n  - khugepaged: { addr: m, id: k }\nexpect:\n';
    const e1 = err(base + '  - { op: setup#1, scan: succeeded }\n');
    expect(e1.message).toMatch(/bad\.yaml:\d+:\d+: .*'scan' is a field of khugepaged, and setup#1 is mmap/);
    expect(err(base + '  - { op: k, scan: collapsed }\n').message).toMatch(/bad\.yaml:\d+:\d+:.*scan/);
    expect(() => loadScenario('ok.yaml', base + '  - { op: k, scan: pmd_none }\n')).not.toThrow();
  });

  it('the knobs take 0..511, elsewhere an error with the field', () => {
    expect(err('name: x\nconfig: { max_ptes_none: 512 }\nsetup:\n  - mmap: { as: m, len: 4K }\n').message).toMatch(/bad\.yaml:2:\d+: config\.max_ptes_none: bad value '512'/);
    expect(() => resolveKernel('v6.18', [], ['max_ptes_swap=x'])).toThrow(SpecError);
    expect(resolveKernel('v6.18', [], ['max_ptes_shared=0']).config.max_ptes_shared).toBe(0);
    expect(resolveKernel('v4.19').config).toMatchObject({ max_ptes_none: 511, max_ptes_swap: 64, max_ptes_shared: 256 });
  });

  it('runs in the setup as one step; mmsim host skips a scenario that asks for it, with the reason', () => {
    const sc = loadScenario('scenarios/check/khugepaged-uffd-wp.yaml');
    const caps: HostCaps = {
      release: '6.18.44-test', root: true, thp: 'madvise', use_zero_page: true, unprivileged_userfaultfd: false,
      uffd_syscall: true, uffd_dev: true, uffd_user_mode_only: true, uffd_features: '0x1ffff', uffd_api_ioctls: '0x8000000000000003',
      pagemap_scan: true, pfn: true, kpageflags: true, soft_dirty: false, split_huge_pages: false,
    };
    expect(missingCapability(sc, caps)).toMatch(/collapse \(khugepaged\) cannot be carried out on the host: khugepaged is a kernel thread/);
    const r = runScenario(loadScenario('a.yaml', ALONE()), kernel('v6.18'));
    expect(result(r, 'k')).toBe('succeeded');
  });

  it('a migration entry in the block is a declared limit (exit 2 at the operation), not a made-up result', () => {
    const yaml = BLOCK('', `threads:
  mig:
    - migrate: { addr: m + 4K, len: 4K }
  k:
    - khugepaged: { addr: m, id: k }`);
    expect(() => run(yaml, kernel('v6.18'), 'mig k')).toThrow(ScenarioError);
    try {
      run(yaml, kernel('v6.18'), 'mig k');
    } catch (e) {
      expect((e as Error).message).toMatch(/inline\.yaml:\d+:\d+: .*not modelled: .*migration entry/);
    }
  });
});

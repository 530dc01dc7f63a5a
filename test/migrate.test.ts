// Page migration in two steps (kernel/mm/migrate.ts, the `migrate` operation): what other threads see
// between the unmap and the move, and what each kind of reference does to it.
import { describe, expect, it } from 'vitest';
import { kernel, run, page, pagemapBit, anonHuge } from './helpers.js';
import { checkScenario } from '../src/explore/check.js';
import { loadScenario } from '../src/scenario/load.js';
import { missingCapability } from '../src/host/requirements.js';
import type { HostCaps } from '../src/host/probe.js';

const THREADS = (setup: string, threads: string) => `
name: migrate-test
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4K }
  - write: { addr: m, value: 7 }
  - checkpoint: before
  ${setup}
threads:
${threads}
`;

describe('migrate', () => {
  it('moves a page to a new pfn with its contents; a reader faulting on the migration entry waits for the move', () => {
    const yaml = THREADS('', `  mig:
    - migrate: { addr: m, len: 4K }
  reader:
    - read: { addr: m, len: 1, as: got }
    - checkpoint: read`);
    const r = run(yaml, kernel('v6.18'), 'mig reader mig reader reader');
    expect(r.events.some((e) => e.type === 'migration_entry_wait')).toBe(true);
    expect(page(r, 'm').pfn_id).not.toBe(page(r, 'm', 'before').pfn_id);
    expect(r.observation.threads['reader']!.state).toBe('done');
    // while the entry is there the reader cannot take a step
    expect(() => run(yaml, kernel('v6.18'), 'mig reader reader')).toThrow(/cannot run.*migration/);
  });

  it('shows the migration entry in pagemap (swap, soft-dirty) between the steps', () => {
    const yaml = THREADS('', `  mig:
    - migrate: { addr: m, len: 4K }
  obs:
    - checkpoint: mid`);
    const r = run(yaml, kernel('v6.1'), 'mig obs mig');
    expect([pagemapBit(r, 'm', 62, 'mid'), pagemapBit(r, 'm', 63, 'mid'), pagemapBit(r, 'm', 63)]).toEqual([1, 0, 1]);
  });

  it('leaves a pinned page where it is (the refcount check fails and the entries map the old page again)', () => {
    const r = run(THREADS('- pin: { addr: m, as: p }\n  - migrate: { addr: m, len: 4K }', '  t:\n    - read: { addr: m }'), kernel('v6.18'));
    expect(page(r, 'm').pfn_id).toBe(page(r, 'm', 'before').pfn_id);
    expect(pagemapBit(r, 'm', 63)).toBe(1);
  });

  it('gives a child forked during the migration the new page too', () => {
    const yaml = `
name: fork-mid
observe: { pages: [m, { addr: m, process: child }] }
setup:
  - mmap: { as: m, len: 4K }
  - write: { addr: m, value: 7 }
threads:
  mig:
    - migrate: { addr: m, len: 4K }
  forker:
    - fork: { as: child }
`;
    const r = run(yaml, kernel('v6.18'), 'mig forker mig');
    const keys = Object.keys(r.observation.snapshots.final!.pages);
    const ids = keys.map((k) => r.observation.snapshots.final!.pages[k]!.pfn_id);
    expect(ids.length).toBe(2);
    expect(ids[0]).not.toBeNull();
    expect(ids[0]).toBe(ids[1]);
  });

  it('leaves a page mapped by two processes where it is, as mbind(MPOL_MF_MOVE) does (migrate_folio_add), and moves a THP of one mm', () => {
    const base = (len: string, more: string, fork = '- fork: { as: child }') => `
name: shared
observe: { pages: [m, m + 0x1000] }
setup:
  - mmap: { as: m, len: ${len}, align: 2M }
  - madvise: { addr: m, len: ${len}, advice: hugepage }
  - memset: { addr: m, len: 8K, value: 1 }
  ${fork}
  ${more}
  - checkpoint: before
  - migrate: { addr: m, len: ${len} }
`;
    // two small pages: the one the parent wrote again after the fork is its own and moves, the other stays
    const r = run(base('8K', '- write: { addr: m + 4K, value: 2 }'), kernel('v6.18'));
    expect(page(r, 'm').pfn_id).toBe(page(r, 'm', 'before').pfn_id);
    expect(page(r, 'm + 0x1000').pfn_id).not.toBe(page(r, 'm + 0x1000', 'before').pfn_id);
    // a PMD-mapped THP in two mms stays; mapped by one mm only, it moves
    const t = run(base('2M', ''), kernel('v6.18'));
    expect(anonHuge(t, 'm')).toBe(2048);
    expect(page(t, 'm').pfn_id).toBe(page(t, 'm', 'before').pfn_id);
    const u = run(base('2M', '', ''), kernel('v6.18'));
    expect(page(u, 'm').pfn_id).not.toBe(page(u, 'm', 'before').pfn_id);
  });

  it('survives munmap of a page under migration', () => {
    const r = run(THREADS('', `  mig:
    - migrate: { addr: m, len: 4K }
  unmapper:
    - munmap: { addr: m, len: 4K }`), kernel('v6.18'), 'mig unmapper mig');
    expect(Object.values(r.observation.threads).every((t) => t.state === 'done')).toBe(true);
  });

  it('is explored by mmsim check, with --debug and verified step reuse', () => {
    const sc = loadScenario('scenarios/check/migrate-thp-uffd-wp.yaml');
    for (const k of ['v6.2', 'v6.3']) {
      const c = checkScenario(sc, kernel(k), { reuse: 'verify', debug: true });
      expect(c.complete).toBe(true);
      expect(c.conditions.every((x) => x.ok)).toBe(true);
    }
  });
});

describe('migrate on the host (mmsim host)', () => {
  const caps: HostCaps = {
    release: '6.18.44-test', root: true, thp: 'madvise', use_zero_page: true, unprivileged_userfaultfd: false,
    uffd_syscall: true, uffd_dev: true, uffd_user_mode_only: true, uffd_features: '0x1ffff', uffd_api_ioctls: '0x8000000000000003',
    pagemap_scan: true, pfn: true, kpageflags: true, soft_dirty: false, split_huge_pages: false, mbind_migrate: 'moved',
  };
  it('skips a migration where the probe saw mbind fail or leave the page in place, with the reason', () => {
    const sc = loadScenario('scenarios/differential/migrate-4k.yaml');
    expect(missingCapability(sc, { ...caps, mbind_migrate: 'errno 38' })).toMatch(/mbind\(MPOL_LOCAL, MPOL_MF_MOVE\) to move pages; on this machine it failed \(errno 38\)/);
    expect(missingCapability(sc, { ...caps, mbind_migrate: 'stayed' })).toMatch(/left the page where it was/);
    expect(missingCapability(sc, { ...caps, mbind_migrate: undefined })).toMatch(/was not probed/);
  });
  it('runs a setup migration (one mbind call) and skips a migration in a thread, whose two model steps it cannot split', () => {
    expect(missingCapability(loadScenario('scenarios/differential/migrate-4k.yaml'), caps)).toBeNull();
    expect(missingCapability(loadScenario('scenarios/selftests/mkdirty-page-migration-thp.yaml'), caps)).toBeNull();
    expect(missingCapability(loadScenario('scenarios/check/migrate-thp-uffd-wp.yaml'), caps)).toMatch(/migrates in a thread: the model's two steps .* one mbind call on the host/);
  });
});

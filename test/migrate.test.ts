// Page migration in two steps (kernel/mm/migrate.ts, the `migrate` operation): what other threads see
// between the unmap and the move, and what each kind of reference does to it.
import { describe, expect, it } from 'vitest';
import { kernel, run, page, pagemapBit } from './helpers.js';
import { checkScenario } from '../src/explore/check.js';
import { loadScenario } from '../src/scenario/load.js';

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

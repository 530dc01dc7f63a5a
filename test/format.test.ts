// The scenario format says everything the kernel says (issue 7, "What must exist" item 4): fields a failed
// call wrote back, PAGEMAP_SCAN regions, bitwise expressions, a child's pages, PFN identity across
// checkpoints, every pagemap bit, and docs/scenarios.md covering every operation.
import { err } from './helpers.js';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/load.js';
import { kernel, run } from './helpers.js';
import type { RunResult } from '../src/run.js';

const v618 = kernel('v6.18');

/** each expectation's verdict, in order */
const verdicts = (r: RunResult) => r.expectations.map((e) => e.ok);

describe('expectations on what a call wrote back', () => {
  const copies = `
name: t
setup:
  - mmap: { as: ram, len: 64K }
  - mmap: { as: src, len: 8K }
  - write: { addr: ram + 4K }
  - userfaultfd: { as: uffd }
  - uffdio_register: { uffd: uffd, addr: ram, len: 64K, mode: [missing] }
  - uffdio_copy: { uffd: uffd, dst: ram + 4K, src: src, len: 4K, id: first }
  - uffdio_copy: { uffd: uffd, dst: ram, src: src, len: 8K, id: short }
  - uffdio_zeropage: { uffd: uffd, addr: ram + 8K, len: 4K, id: whole }
  - uffdio_copy: { uffd: uffd, dst: ram + 0x800, src: src, len: 4K, id: unaligned }
`;
  it('copy and zeropage: a byte count, an expression, -ERRNO or a negative number', () => {
    const r = run(copies + `expect:
  - { op: short, errno: EAGAIN, copy: 4096 }
  - { op: short, errno: EAGAIN, copy: ram.len / 16 }
  - { op: short, copy: 8K }
  - { op: first, errno: EEXIST, copy: -EEXIST }
  - { op: first, copy: -17 }
  - { op: first, copy: -ENOENT }
  - { op: whole, result: 4096, zeropage: 4K }
  - { op: unaligned, errno: EINVAL, copy: 0 }
  - { op: unaligned, errno: EINVAL }
`, v618);
    expect(verdicts(r)).toEqual([true, true, false, true, true, false, true, false, true]);
    expect(r.expectations[7]!.detail).toMatch(/wrote nothing back/);
  });
  it('{ op, copy } alone does not ask for success; { op } alone does', () => {
    const r = run(copies + 'expect:\n  - { op: short, copy: 4096 }\n  - { op: short }\n', v618);
    expect(verdicts(r)).toEqual([true, false]);
  });
  it('a field the operation does not have is an error at its key', () => {
    const e = err(copies + 'expect:\n  - { op: whole, copy: 4096 }\n');
    expect([e.line, e.field]).toEqual([14, 'expect.0.copy']);
    expect(e.detail).toMatch(/'copy' is a field of uffdio_copy, and whole is uffdio_zeropage/);
    expect(err(copies + 'expect:\n  - { op: short, copy: -EWHAT }\n').detail).toMatch(/unknown errno 'EWHAT'/);
    expect(err(copies + 'expect:\n  - { op: short, copy: nope + 1 }\n').detail).toMatch(/unknown name 'nope'/);
  });
});

describe('PAGEMAP_SCAN regions, region by region', () => {
  const scan = `
name: t
setup:
  - mmap: { as: ram, len: 4M, align: 2M }
  - madvise: { addr: ram, len: 4M, advice: nohugepage, id: nohuge }
  - memset: { addr: ram, len: 8K, value: 1 }
  - write: { addr: ram + 2M }
  - pagemap_scan: { addr: ram, len: 4M, return_mask: [written, present], category_anyof: [present], id: scan }
  - pagemap_scan: { addr: ram, len: 4M, return_mask: [present], category_mask: [present], max_pages: 1, id: one }
  - userfaultfd: { as: uffd, features: [wp_async] }
  - uffdio_register: { uffd: uffd, addr: ram, len: 2M, mode: [wp] }
  - pagemap_scan: { addr: ram, len: 4M, flags: [check_wpasync], return_mask: [present], id: eperm }
`;
  it('start, end and categories of each region, in order, and walk_end', () => {
    const r = run(scan + `expect:
  - { op: scan, result: 2, regions: [{ start: ram, end: ram + 8K, categories: [written, present] }, { start: ram + 2M, end: ram + 2M + 4K, categories: [present, written] }], walk_end: ram + 4M }
  - { op: scan, regions: [{ start: ram, end: ram + 8K, categories: [written, present] }] }
  - { op: scan, regions: [{ start: ram, end: ram + 8K, categories: [present] }, { start: ram + 2M, end: ram + 2M + 4K, categories: [present, written] }] }
  - { op: scan, regions: [{ start: ram, end: ram + 8K, categories: 0xa }, { start: ram + 2M, end: ram + 2M + 4K, categories: 10 }] }
  - { op: one, result: 1, regions: [{ start: ram, end: ram + 4K, categories: [present] }], walk_end: ram + 4K }
  - { op: eperm, errno: EPERM, regions: [{ start: ram, end: ram + 8K, categories: [present] }, { start: ram + 8K, end: ram + 2M, categories: [] }], walk_end: ram + 4M }
  - { op: eperm, errno: EPERM, regions: [] }
`, v618);
    expect(verdicts(r)).toEqual([true, false, false, true, true, true, false]);
  });
  it('regions only for pagemap_scan, with known categories', () => {
    expect(err(scan + 'expect:\n  - { op: nohuge, regions: [] }\n').detail).toMatch(/'regions' is a field of pagemap_scan/);
    expect(err(scan + 'expect:\n  - { op: scan, regions: [{ start: ram, end: ram + 4K, categories: [dirty] }] }\n').field).toBe('expect.0.regions.0.categories');
  });
});

describe("observe: a child process's pages", () => {
  const fork = (observe: string) => `
name: t
observe: ${observe}
setup:
  - mmap: { as: ram, len: 16K }
  - memset: { addr: ram, len: 16K, value: 1 }
  - fork: { as: child }
threads:
  kid:
    process: child
    ops:
      - write: { addr: ram, value: 7 }
`;
  it('per entry ({ addr, process }) or for the whole list (process: a name or a list)', () => {
    const keys = (obs: string) => loadScenario('t.yaml', fork(obs)).pages.map((p) => `${p.key}/${p.process}`);
    expect(keys('{ pages: [ram, { addr: ram + 4K, process: child }] }')).toEqual(['ram/main', 'child:ram + 0x1000/child']);
    expect(keys('{ pages: [ram], process: child }')).toEqual(['child:ram/child']);
    expect(keys('{ pages: [ram, { addr: ram + 4K, process: main }], process: [main, child] }')).toEqual(['ram/main', 'child:ram/child', 'ram + 0x1000/main']);
  });
  it("snapshots read the child's pagemap: the page it wrote is its own, the others are shared with the parent", () => {
    const r = run(fork('{ pages: [ram, ram + 4K], process: [main, child] }'), v618);
    const pm = (key: string) => r.observation.snapshots.final!.pages[key]!.pagemap;
    expect([pm('child:ram'), pm('ram')]).toEqual(['0x8100000000000000', '0x8100000000000000']);
    expect([pm('child:ram + 0x1000'), pm('ram + 0x1000')]).toEqual(['0x8000000000000000', '0x8000000000000000']);
  });
  it('a process that is not one is an error', () => {
    expect(err(fork('{ pages: [ram], process: kid }')).detail).toMatch(/'kid' is not a process \(main, or a name defined by fork\)/);
    const e = err(fork('{ pages: [{ addr: ram, process: nobody }] }'));
    expect([e.line, e.field]).toEqual([3, 'observe.pages.0.process']);
    expect(err(fork('{ pages: [{ address: ram }] }')).detail).toMatch(/unknown field 'address'; expected \{ addr, process \}/);
  });
});

describe('PFN identity: same_pfn_as, new_pfn_since', () => {
  const cow = `
name: t
observe: { pages: [ram, ram + 4K], process: [main, child] }
setup:
  - mmap: { as: ram, len: 16K }
  - memset: { addr: ram, len: 16K, value: 1 }
  - checkpoint: before
  - fork: { as: child }
  - checkpoint: forked
threads:
  kid:
    process: child
    ops:
      - write: { addr: ram, value: 7 }
`;
  it('after fork the child shares the page; its write makes a new one, the parent keeps the old', () => {
    const r = run(cow + `expect:
  - { pagemap: ram, process: child, new_pfn_since: forked }
  - { pagemap: ram, process: child, same_pfn_as: forked }
  - { pagemap: ram, same_pfn_as: before }
  - { pagemap: ram, new_pfn_since: before }
  - { pagemap: ram, process: child, at: forked, same_pfn_as: { process: main, at: before } }
  - { pagemap: ram + 4K, process: child, same_pfn_as: { process: main } }
  - { pagemap: ram + 4K, same_pfn_as: { addr: ram } }
  - { pagemap: ram, process: child, same_pfn_as: before }
`, v618);
    expect(verdicts(r)).toEqual([true, false, true, false, true, true, false, false]);
    expect(r.expectations[7]!.detail).toMatch(/not mapped here or at @before/);
  });
  it('pfn_id numbers PFNs by first appearance, the same number for the same page anywhere in the run', () => {
    const r = run(cow, v618);
    const id = (at: string, key: string) => r.observation.snapshots[at]!.pages[key]!.pfn_id;
    expect([id('before', 'ram'), id('before', 'ram + 0x1000')]).toEqual([1, 2]);
    expect([id('forked', 'ram'), id('forked', 'child:ram'), id('forked', 'child:ram + 0x1000')]).toEqual([1, 1, 2]);
    expect(id('final', 'child:ram')).toBe(3);
    expect(r.observation.snapshots.before!.pages['child:ram']).toBeUndefined(); // no child yet
  });
  it('errors: an unknown checkpoint, both at once, the page itself', () => {
    expect(err(cow + 'expect:\n  - { pagemap: ram, same_pfn_as: nope }\n').detail).toMatch(/unknown checkpoint 'nope'/);
    expect(err(cow + 'expect:\n  - { pagemap: ram, same_pfn_as: before, new_pfn_since: forked }\n').detail).toMatch(/not both/);
    expect(err(cow + 'expect:\n  - { pagemap: ram, at: forked, same_pfn_as: forked }\n').detail).toMatch(/the page itself/);
    expect(err(cow + 'expect:\n  - { pagemap: ram, same_pfn_as: { process: kid } }\n').field).toBe('expect.0.same_pfn_as.process');
  });
});

describe('mmsim host --compare rows for written-back fields and PFN identity', () => {
  it('a failed call shows what it wrote back; PFN identity is compared where an expectation asks', async () => {
    const { compareObservations } = await import('../src/host/compare.js');
    const sc = loadScenario('t.yaml', `
name: t
observe: { pages: [ram] }
setup:
  - mmap: { as: ram, len: 64K }
  - mmap: { as: src, len: 8K }
  - write: { addr: ram + 4K }
  - write: { addr: ram + 16K }
  - checkpoint: before
  - userfaultfd: { as: uffd }
  - uffdio_register: { uffd: uffd, addr: ram, len: 8K, mode: [missing] }
  - uffdio_copy: { uffd: uffd, dst: ram, src: src, len: 8K, id: cp }
  - fork: { as: child }
  - write: { addr: ram + 16K }
expect:
  - { pagemap: ram + 16K, new_pfn_since: before }
`);
    const { runScenario } = await import('../src/run.js');
    const model = runScenario(sc, v618).observation;
    const kernel = structuredClone(model);
    const row = (rows: { field: string; model: string; kernel: string; status: string }[], f: string) => rows.find((r) => r.field === f);
    expect(row(compareObservations(sc, model, kernel), 'op cp')).toMatchObject({ model: '-EAGAIN copy=4096', status: 'agree' });
    expect(row(compareObservations(sc, model, kernel), '@final ram + 0x4000: page vs @before')).toMatchObject({ model: 'new', status: 'agree' });
    kernel.ops.cp!.out = { copy: 8192 };
    kernel.snapshots.final!.pages['ram + 0x4000']!.pfn_id = kernel.snapshots.before!.pages['ram + 0x4000']!.pfn_id;
    const rows = compareObservations(sc, model, kernel);
    expect(row(rows, 'op cp')).toMatchObject({ kernel: '-EAGAIN copy=8192', status: 'differ' });
    expect(row(rows, '@final ram + 0x4000: page vs @before')).toMatchObject({ model: 'new', kernel: 'same', status: 'differ' });
    // a page nobody asks about gets no identity row
    expect(rows.some((r) => r.field.startsWith('@final ram: page vs'))).toBe(false);
  });
});

describe('pagemap bits', () => {
  it('every bit fs/proc/task_mmu.c @v6.18 defines above the PFN has a name', async () => {
    const { PM } = await import('../src/kernel/include/uapi.js');
    expect(Object.entries(PM).sort((a, b) => a[1] - b[1])).toEqual([
      ['soft_dirty', 55], ['mmap_exclusive', 56], ['uffd_wp', 57], ['guard_region', 58], ['file', 61], ['swap', 62], ['present', 63],
    ]);
  });
  it('expectations name them; the model never sets guard_region (it has no guard regions)', () => {
    const r = run(`
name: t
setup:
  - mmap: { as: ram, len: 64K }
  - write: { addr: ram }
expect:
  - { pagemap: ram, has: [present, mmap_exclusive], lacks: [guard_region, uffd_wp, file, swap] }
  - { pagemap: ram, has: [guard_region] }
`, v618);
    expect(verdicts(r)).toEqual([true, false]);
    expect(err('name: t\nsetup:\n  - mmap: { as: ram, len: 4K }\nexpect:\n  - { pagemap: ram, has: [guard] }\n').field).toBe('expect.0.has.0');
  });
});

describe('docs/scenarios.md says everything the loader accepts', async () => {
  const { readFileSync } = await import('node:fs');
  const { OP_NAMES, OP_SCHEMAS } = await import('../src/scenario/ops.js');
  const { PRED_SCHEMAS } = await import('../src/scenario/predicates.js');
  const doc = readFileSync('docs/scenarios.md', 'utf8');
  /** the rows of the table under a heading, by the back-quoted names in their first cell */
  const table = (heading: string): Map<string, string> => {
    const sec = doc.split(/\n## /).find((x) => x.startsWith(heading))!;
    const rows = new Map<string, string>();
    for (const line of sec.split('\n').filter((l) => l.startsWith('| `'))) {
      const first = line.split(' | ')[0]!;
      for (const m of first.matchAll(/`([a-z_]+)[`:]/g)) rows.set(m[1]!, line);
    }
    return rows;
  };
  /** the field names of a zod schema: an object's keys, or those of the objects in a union */
  const fields = (schema: unknown): string[] => {
    const def = (schema as { def: { type: string; shape?: Record<string, unknown>; options?: unknown[]; in?: unknown } }).def;
    if (def.type === 'object') return Object.keys(def.shape!);
    if (def.type === 'union') return def.options!.flatMap(fields);
    if (def.type === 'pipe') return fields(def.in);
    return [];
  };
  const ops = table('Operations');
  it('every operation has a row in the Operations table', () => {
    expect(OP_NAMES.filter((n) => !ops.has(n))).toEqual([]);
  });
  it("each row names every field of its operation (id is said once for all)", () => {
    const missing: string[] = [];
    for (const n of OP_NAMES) {
      for (const f of fields(OP_SCHEMAS[n])) if (f !== 'id' && !ops.get(n)?.includes('`' + f + '`')) missing.push(`${n}.${f}`);
    }
    expect(missing).toEqual([]);
  });
  it('every top-level field has a row in the Top-level fields table', async () => {
    const { TOP_KEYS } = await import('../src/scenario/load.js');
    const top = table('Top-level fields');
    expect(TOP_KEYS.filter((k) => !top.has(k))).toEqual([]);
  });
  it('every field of every expectation appears in the Expectations section', () => {
    const sec = doc.split(/\n## /).find((x) => x.startsWith('Expectations'))!;
    const missing: string[] = [];
    for (const [k, schema] of Object.entries(PRED_SCHEMAS)) for (const f of fields(schema)) if (!new RegExp(`[\`{ ,]${f}[:\`]`).test(sec)) missing.push(`${k}.${f}`);
    expect(missing).toEqual([]);
  });
});

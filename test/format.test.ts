// The scenario format says everything the kernel says (issue 7, "What must exist" item 4): fields a failed
// call wrote back, PAGEMAP_SCAN regions, bitwise expressions, a child's pages, PFN identity across
// checkpoints, every pagemap bit, and docs/scenarios.md covering every operation.
import { describe, expect, it } from 'vitest';
import { loadScenario, ScenarioError } from '../src/scenario/load.js';
import { kernel, run } from './helpers.js';
import type { RunResult } from '../src/run.js';

const v618 = kernel('v6.18');

function err(yaml: string): ScenarioError {
  try {
    loadScenario('bad.yaml', yaml);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('no error');
}
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

// Findings 1 and 2 of issue 7: UFFDIO_COPY / UFFDIO_ZEROPAGE that stop short of len. userfaultfd_copy() and
// userfaultfd_zeropage() (fs/userfaultfd.c, the same at v4.19 and v6.18) put mfill_atomic's result into the
// struct's copy / zeropage field: the bytes filled, or -errno when the first page already failed; they wake
// only the filled range, and a short fill is -EAGAIN.
import { describe, expect, it } from 'vitest';
import { kernel, run, errno, thread } from './helpers.js';
import type { RunResult } from '../src/run.js';

const out = (r: RunResult, id: string) => r.observation.ops[id]?.out ?? null;

function partial(op: string, populated: string, len = '8K', kernelName = 'v6.18'): RunResult {
  return run(`
name: t
setup:
  - mmap: { as: ram, len: 64K }
  - mmap: { as: src, len: 16K }
  - memset: { addr: src, len: 16K, value: 0x5a }
  - write: { addr: ${populated}, value: 7 }
  - userfaultfd: { as: uffd }
  - uffdio_register: { uffd: uffd, addr: ram, len: 64K, mode: [missing] }
  - ${op === 'copy' ? `uffdio_copy: { uffd: uffd, dst: ram, src: src, len: ${len}, id: op }` : `uffdio_zeropage: { uffd: uffd, addr: ram, len: ${len}, id: op }`}
`, kernel(kernelName));
}

describe('a UFFDIO_COPY or UFFDIO_ZEROPAGE that stops short', () => {
  for (const k of ['v4.19', 'v6.18']) {
    it(`${k}: copy stopping at the second page is EAGAIN with copy = 4096`, () => {
      const r = partial('copy', 'ram + 4K', '8K', k);
      expect(errno(r, 'op')).toBe('EAGAIN');
      expect(out(r, 'op')).toEqual({ copy: 4096 });
      expect(r.observation.ops.op!.result).toBe(null);
    });
    it(`${k}: zeropage stopping at the third page is EAGAIN with zeropage = 8192`, () => {
      const r = partial('zeropage', 'ram + 8K', '16K', k);
      expect(errno(r, 'op')).toBe('EAGAIN');
      expect(out(r, 'op')).toEqual({ zeropage: 8192 });
    });
    it(`${k}: a first page already populated is EEXIST, and -EEXIST is what the field says`, () => {
      expect(out(partial('copy', 'ram', '8K', k), 'op')).toEqual({ copy: -17 });
      const z = partial('zeropage', 'ram', '8K', k);
      expect(errno(z, 'op')).toBe('EEXIST');
      expect(out(z, 'op')).toEqual({ zeropage: -17 });
    });
  }
  it('a whole copy succeeds: the result and the field are the length', () => {
    const r = partial('copy', 'ram + 8K', '8K');
    expect(errno(r, 'op')).toBe(null);
    expect(r.observation.ops.op!.result).toBe('8192');
    expect(out(r, 'op')).toEqual({ copy: 8192 });
  });
  it('a refusal before mfill_atomic (an unaligned length) writes nothing into the field', () => {
    const r = partial('copy', 'ram + 8K', '0x1800');
    expect(errno(r, 'op')).toBe('EINVAL');
    expect(out(r, 'op')).toBe(null);
  });
  it('mfill_atomic refusing the destination (not registered) writes -ENOENT', () => {
    const r = run(`
name: t
setup:
  - mmap: { as: ram, len: 64K }
  - mmap: { as: src, len: 4K }
  - userfaultfd: { as: uffd }
  - uffdio_copy: { uffd: uffd, dst: ram, src: src, len: 4K, id: op }
`, kernel('v6.18'));
    expect(errno(r, 'op')).toBe('ENOENT');
    expect(out(r, 'op')).toEqual({ copy: -2 });
  });

  // the reader of the first page is woken; the reader of the third page is not (range.len = bytes copied)
  const twoReaders = `
name: t
setup:
  - mmap: { as: ram, len: 64K }
  - mmap: { as: src, len: 16K }
  - write: { addr: ram + 4K, value: 7 }
  - userfaultfd: { as: uffd }
  - uffdio_register: { uffd: uffd, addr: ram, len: 64K, mode: [missing] }
threads:
  first:
    - read: { addr: ram, len: 1 }
  third:
    - read: { addr: ram + 8K, len: 1 }
  handler:
    - read_uffd: { uffd: uffd, as: m1 }
    - read_uffd: { uffd: uffd, as: m3 }
    - uffdio_copy: { uffd: uffd, dst: ram, src: src, len: 12K, id: op }
`;
  it('only the filled range is woken: the reader of the page after the populated one stays asleep, unretried', () => {
    const r = run(twoReaders, kernel('v6.18'));
    expect(errno(r, 'op')).toBe('EAGAIN');
    expect(out(r, 'op')).toEqual({ copy: 4096 });
    expect(thread(r, 'first').state).toBe('done');
    expect(thread(r, 'third').state).toBe('blocked');
    // woken, `third` would have run again (and faulted again): its one step is the one that blocked
    expect(r.observation.schedule).toBe('first third handler*3 first');
  });
});

// UFFDIO_REGISTER's ioctls answer and UFFDIO_COPY's source across releases: what the ioctls check, and where the
// model once differed from the kernels (docs/fidelity.md, "Bugs beyond the corpus", round seven).
import { describe, expect, it } from 'vitest';
import { errno, kernel, result, run } from './helpers.js';

const REGISTER = `
name: register-ioctls
setup:
  - mmap: { as: a, len: 16K }
  - mmap: { as: b, len: 16K }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: a, len: 16K, mode: [missing], id: missing }
  - uffdio_register: { uffd: u, addr: b, len: 16K, mode: [missing, wp], id: wp }
`;

const COPY_SRC = `
name: copy-src
setup:
  - mmap: { as: m, len: 16K }
  - mmap: { as: src, len: 8K }
  - memset: { addr: src + 0x10, len: 1, value: 2 }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [missing] }
  - uffdio_copy: { uffd: u, dst: m, src: src + 0x10, len: 4K, id: unaligned }
  - read: { addr: m, len: 1, id: first }
  - uffdio_copy: { uffd: u, dst: m + 0x1000, src: 0x100000, len: 4K, id: unmapped }
  - uffdio_copy: { uffd: u, dst: m + 0x2000, src: 0x7ffffffff000, len: 4K, id: past_task_size }
`;

describe('UFFDIO_REGISTER declares UFFDIO_WRITEPROTECT for WP ranges only', () => {
  // 14819305e09f came with the WP ioctl (v5.7); the model masked it from v5.13 only, so v5.7 .. v5.9 said 0x5c
  for (const k of ['v5.7', 'v5.9', 'v5.13', 'v6.18']) {
    it(k, () => {
      const r = run(REGISTER, kernel(k));
      const extra = k === 'v6.18' ? 0x120 : 0; // MOVE and POISON
      expect(result(r, 'missing')).toBe('0x' + (0x1c | extra).toString(16));
      expect(result(r, 'wp')).toBe('0x' + (0x5c | extra).toString(16));
    });
  }
  it('v4.19 has no WRITEPROTECT; the 2018 branch declared it for every range', () => {
    expect(result(run(REGISTER.replace(/\n.*id: wp }/, ''), kernel('v4.19')), 'missing')).toBe('0x1c');
    expect(result(run(REGISTER, kernel('v4.19-uffd-wp-2018')), 'missing')).toBe('0x5c');
  });
});

describe("UFFDIO_COPY's source", () => {
  for (const k of ['v5.7', 'v6.4', 'v6.6', 'v6.18']) {
    it(`${k}: any alignment; nothing mapped is EFAULT; past TASK_SIZE ${k === 'v5.7' || k === 'v6.4' ? 'EFAULT' : 'EINVAL'}`, () => {
      const r = run(COPY_SRC, kernel(k));
      expect(result(r, 'unaligned')).toBe('4096');
      expect(result(r, 'first')).toMatch(/^1B nonzero=1 /);
      expect(errno(r, 'unmapped')).toBe('EFAULT');
      expect(errno(r, 'past_task_size')).toBe(k === 'v5.7' || k === 'v6.4' ? 'EFAULT' : 'EINVAL');
    });
  }
});

// userfaultfd MINOR faults on shmem and UFFDIO_CONTINUE (fs/userfaultfd.c, mm/shmem.c shmem_get_folio_gfp,
// mm/userfaultfd.c mfill_atomic_pte_continue / mfill_atomic_install_pte): the message, the PTE CONTINUE
// installs on each release, its errors and the `mapped` field, the ioctls REGISTER reports, fault-around.
import { describe, expect, it } from 'vitest';
import { kernel, run, pte, errno, result, thread, pagemapBit, events } from './helpers.js';
import { PATCH } from '../src/profiles/patches.js';
import { runScenario, type RunResult } from '../src/run.js';
import { loadScenario } from '../src/scenario/load.js';
import { expectationPasses } from '../src/scenario/outcome.js';

/**
 * a memfd of `pages` pages of 0x11, mapped (shared or private, prot) and registered for MINOR faults
 * (and `mode`); `threads` follows
 */
function minor(opts: { shared?: boolean; prot?: string; mode?: string; pages?: number; pre?: string; threads: string; expect?: string }): string {
  const pages = opts.pages ?? 2;
  return `
name: minor
observe: { pages: [m] }
setup:
  - memfd_create: { as: fd }
  - pwrite: { fd: fd, offset: 0, len: ${pages * 4}K, value: 0x11 }
  - mmap: { as: m, len: ${pages * 4}K, prot: ${opts.prot ?? 'rw'}, flags: [${opts.shared === false ? 'private' : 'shared'}], fd: fd }
  - userfaultfd: { as: u, flags: [cloexec], features: [minor_shmem] }
  - uffdio_register: { uffd: u, addr: m, len: ${pages * 4}K, mode: [${opts.mode ?? 'minor'}], id: reg }
${opts.pre ?? ''}
threads:
${opts.threads}
${opts.expect ? `expect:\n${opts.expect}` : ''}
`;
}
/** a reader of m and a handler that CONTINUEs the page it is told of */
const READ_AND_CONTINUE = (mode = '[]') => `  vcpu:
    - read: { addr: m }
  handler:
    - read_uffd: { uffd: u, as: msg }
    - uffdio_continue: { uffd: u, addr: msg.address, len: 4K, mode: ${mode}, id: c }
`;
const msgOf = (r: RunResult, v: string) => r.observation.messages?.[v] ?? (r.observation as unknown as { msgs: Record<string, unknown> }).msgs?.[v];

describe('MINOR faults on shmem', () => {
  const v618 = kernel('v6.18');
  it('a read of a cached page not mapped here sends PAGEFAULT with FLAG_MINOR; CONTINUE maps the cache page and wakes the reader', () => {
    const r = run(minor({ threads: READ_AND_CONTINUE() }), v618);
    expect(thread(r, 'vcpu').state).toBe('done');
    expect(result(r, 'c')).toBe('0');
    expect(r.observation.ops['c']!.out).toEqual({ mapped: 4096 });
    expect(pagemapBit(r, 'm', 61)).toBe(1); // PM_FILE: the page cache's page, not a copy
    expect(pagemapBit(r, 'm', 63)).toBe(1);
    const ev = events(r, 'handle_userfault').find((e) => e.action === 'sleep')!;
    expect(ev.reason).toBe('MINOR');
    expect(ev.msg_flags).toBe(0x4);
    expect(msgOf(r, 'msg')).toBeDefined();
  });
  it('a write fault says WRITE|MINOR, and a hole still faults as usual (no message: MINOR is about cached pages)', () => {
    const r = run(minor({
      pages: 2, pre: '  - fallocate: { fd: fd, mode: [punch_hole, keep_size], offset: 4K, len: 4K }',
      threads: `  vcpu:
    - write: { addr: m, value: 0x22 }
    - write: { addr: m + 4K, value: 0x33 }
  handler:
    - read_uffd: { uffd: u, as: msg }
    - uffdio_continue: { uffd: u, addr: msg.address, len: 4K, id: c }
`,
      expect: `  - { msg: msg, flags: 0x5, address: m }
  - { mem: m, value: 0x22 }
  - { mem: m + 4K, value: 0x33 }`,
    }), v618);
    expect(r.ok, JSON.stringify(r.expectations)).toBe(true);
    expect(thread(r, 'vcpu').minflt).toBe(2);
  });
  it('fault-around maps nothing in a MINOR range: each page is a message of its own', () => {
    const r = run(minor({ pages: 4, threads: READ_AND_CONTINUE() }), v618);
    expect(pagemapBit(r, 'm', 63)).toBe(1);
    const obs = r.observation.snapshots['final']!.pages['m']!;
    expect(obs).toBeDefined();
    const r2 = run(minor({ pages: 4, threads: `  vcpu:\n    - read: { addr: m }\n    - read: { addr: m + 4K }\n  handler:\n    - read_uffd: { uffd: u, as: a }\n    - uffdio_continue: { uffd: u, addr: a.address, len: 4K }\n    - read_uffd: { uffd: u, as: b }\n    - uffdio_continue: { uffd: u, addr: b.address, len: 4K }\n`, expect: '  - { msg: b, flags: 0x4, address: m + 4K }' }), v618);
    expect(r2.ok, JSON.stringify(r2.expectations)).toBe(true);
  });
  it('REGISTER reports _UFFDIO_CONTINUE only for a MINOR registration', () => {
    const minorIo = BigInt(result(run(minor({ threads: '  t:\n    - read_uffd: { uffd: u }' }), v618), 'reg')!);
    const missingIo = BigInt(result(run(minor({ mode: 'missing', threads: '  t:\n    - read_uffd: { uffd: u }' }), v618), 'reg')!);
    expect((minorIo >> 7n) & 1n).toBe(1n);
    expect((missingIo >> 7n) & 1n).toBe(0n);
  });
  it('private anonymous memory cannot be registered for MINOR faults', () => {
    const r = run(`
name: anon-minor
setup:
  - mmap: { as: m, len: 4K }
  - userfaultfd: { as: u, features: [minor_shmem] }
  - uffdio_register: { uffd: u, addr: m, len: 4K, mode: [minor], id: reg }
`, v618);
    expect(errno(r, 'reg')).toBe('EINVAL');
  });
  it('MINOR on shmem before c949b097ef2e (v5.13: hugetlbfs only) is EINVAL', () => {
    const r = run(minor({ threads: '  t:\n    - read_uffd: { uffd: u }' }).replace('features: [minor_shmem]', 'features: []'), kernel('v5.13'));
    expect(errno(r, 'reg')).toBe('EINVAL');
  });
});

describe('UFFDIO_CONTINUE', () => {
  const v618 = kernel('v6.18');
  const one = (op: string, pre = '') => run(minor({ pre, threads: `  t:\n    - ${op}` }), v618);
  it('errors: EEXIST when mapped (mapped = -EEXIST), EFAULT for a hole, EINVAL past i_size, ENOENT outside a registered VMA', () => {
    const mapped = run(minor({ pre: '  - pread: { fd: fd, offset: 0, len: 1 }', threads: `  t:\n    - uffdio_continue: { uffd: u, addr: m, len: 4K, id: a }\n    - uffdio_continue: { uffd: u, addr: m, len: 4K, id: b }` }), v618);
    expect(errno(mapped, 'a')).toBe(null);
    expect(errno(mapped, 'b')).toBe('EEXIST');
    expect(mapped.observation.ops['b']!.out).toEqual({ mapped: -17 });
    const hole = one('uffdio_continue: { uffd: u, addr: m + 4K, len: 4K, id: op }', '  - fallocate: { fd: fd, mode: [punch_hole, keep_size], offset: 4K, len: 4K }');
    expect([errno(hole, 'op'), hole.observation.ops['op']!.out]).toEqual(['EFAULT', { mapped: -14 }]);
    const past = one('uffdio_continue: { uffd: u, addr: m + 4K, len: 4K, id: op }', '  - ftruncate: { fd: fd, len: 4K }');
    expect([errno(past, 'op'), past.observation.ops['op']!.out]).toEqual(['EINVAL', { mapped: -22 }]);
    const outside = one('uffdio_continue: { uffd: u, addr: m + 8K, len: 4K, id: op }', '  - mmap: { as: other, len: 4K }');
    expect(errno(outside, 'op')).toBe('ENOENT');
  });
  it('a range that meets a mapped page stops there: EAGAIN with mapped = the bytes before it, which are woken', () => {
    const r = run(minor({ pages: 2, threads: `  t:\n    - read: { addr: m + 4K }\n  h:\n    - read_uffd: { uffd: u, as: msg }\n    - uffdio_continue: { uffd: u, addr: m + 4K, len: 4K }\n    - uffdio_continue: { uffd: u, addr: m, len: 8K, id: op }` }), v618);
    expect(errno(r, 'op')).toBe('EAGAIN');
    expect(r.observation.ops['op']!.out).toEqual({ mapped: 4096 });
  });
  it('on a MISSING-only range of anonymous memory it is EINVAL (CONTINUE is for shmem and hugetlb)', () => {
    const r = run(`
name: anon-continue
setup:
  - mmap: { as: m, len: 4K }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 4K, mode: [missing] }
  - uffdio_continue: { uffd: u, addr: m, len: 4K, id: op }
`, v618);
    expect(errno(r, 'op')).toBe('EINVAL');
  });
  it('is an unknown ioctl (EINVAL) before 7677f7fd8be7 (v5.13)', () => {
    const r = run(minor({ threads: '  t:\n    - uffdio_continue: { uffd: u, addr: m, len: 4K, id: op }' }).replace('mode: [minor]', 'mode: [missing]').replace('features: [minor_shmem]', 'features: []'), kernel('v5.9'));
    expect(errno(r, 'op')).toBe('EINVAL');
  });
  it('the PTE: a shared writable mapping gets the page writable and dirty; a private one read-only, dirty only from 9ae0f87d009c (v5.16)', () => {
    const shared = run(minor({ threads: READ_AND_CONTINUE() }), v618);
    // present, RW, user, accessed bit left to the access (set by the retried read), dirty
    expect(BigInt(pte(shared, 'm')) & 0x42n).toBe(0x42n);
    const priv = run(minor({ shared: false, prot: 'r', threads: READ_AND_CONTINUE() }), v618);
    // x86 from v6.6: pte_mkdirty of a read-only entry sets the saved-dirty bit 58, not _PAGE_DIRTY
    expect([BigInt(pte(priv, 'm')) & 0x42n, (BigInt(pte(priv, 'm')) >> 58n) & 1n]).toEqual([0n, 1n]);
    const priv519 = run(minor({ shared: false, prot: 'r', threads: READ_AND_CONTINUE() }), kernel('v5.19'));
    expect(BigInt(pte(priv519, 'm')) & 0x42n).toBe(0x40n);
    expect(pagemapBit(priv, 'm', 61)).toBe(1);
    const privOld = run(minor({ shared: false, prot: 'r', threads: READ_AND_CONTINUE() }), kernel('v6.18', { remove: [PATCH.mfillUnconditionalMkdirty] }));
    expect([BigInt(pte(privOld, 'm')) & 0x42n, (BigInt(pte(privOld, 'm')) >> 58n) & 1n]).toEqual([0n, 0n]);
    const v514 = run(minor({ shared: false, prot: 'r', threads: READ_AND_CONTINUE() }), kernel('v5.14'));
    expect(BigInt(pte(v514, 'm')) & 0x42n).toBe(0x0n);
  });
  it('a write to a private CONTINUE\'d page copies it (COW), leaving the file as it was', () => {
    const r = run(minor({
      shared: false, threads: `  vcpu:\n    - read: { addr: m }\n    - write: { addr: m, value: 0x22 }\n    - pread: { fd: fd, offset: 0, len: 1, as: file }\n  handler:\n    - read_uffd: { uffd: u, as: msg }\n    - uffdio_continue: { uffd: u, addr: msg.address, len: 4K }\n`,
      expect: '  - { mem: m, value: 0x22 }',
    }), v618);
    expect(r.ok, JSON.stringify(r.expectations)).toBe(true);
    expect(pagemapBit(r, 'm', 61)).toBe(0); // an anonymous copy now
  });
  it('MODE_WP (0289184476c8, v6.4) maps the page write-protected with uffd-wp; EINVAL without WP registration or before it', () => {
    const wp = run(minor({ mode: 'minor, wp', threads: READ_AND_CONTINUE('[wp]') }), v618);
    expect(errno(wp, 'c')).toBe(null);
    expect(pagemapBit(wp, 'm', 57)).toBe(1);
    expect(BigInt(pte(wp, 'm')) & 0x2n).toBe(0n);
    const noWpReg = run(minor({ threads: '  t:\n    - uffdio_continue: { uffd: u, addr: m, len: 4K, mode: [wp], id: c }' }), v618);
    expect(errno(noWpReg, 'c')).toBe('EINVAL');
    const v63 = run(minor({ mode: 'minor, wp', threads: '  t:\n    - uffdio_continue: { uffd: u, addr: m, len: 4K, mode: [wp], id: c }' }), kernel('v6.2'));
    expect(errno(v63, 'c')).toBe('EINVAL');
  });
  it('unregister and close drop the MINOR registration: a later read maps the page without a message', () => {
    const r = run(minor({ pre: '  - uffdio_unregister: { uffd: u, addr: m, len: 8K }', threads: '  t:\n    - read: { addr: m }' }), v618);
    expect(thread(r, 't').state).toBe('done');
    const c = run(minor({ pre: '  - close: u', threads: '  t:\n    - read: { addr: m }' }), v618);
    expect(thread(c, 't').state).toBe('done');
  });
});

describe('the MINOR scenarios hold the whole-state invariants (CONFIG_DEBUG_VM checks) after every step', () => {
  const files = ['selftests/uffd-unit-minor-shmem', 'selftests/uffd-unit-minor-wp-shmem', 'differential/minor-continue-errors',
    'differential/minor-private-file-continue', 'differential/minor-shared-write-fallocated', 'bugs/shmem-dirty-cow-uffd-continue'];
  for (const f of files) {
    for (const p of f.startsWith('bugs/') ? ['v5.19', 'v6.0'] : ['v6.18']) {
      it(`${f} on ${p}`, () => {
        const sc = loadScenario(`scenarios/${f}.yaml`);
        const r = runScenario(sc, kernel(p, {}, sc.config), { debug: true });
        expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
      });
    }
  }
});

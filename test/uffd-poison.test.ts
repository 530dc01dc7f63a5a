// UFFDIO_POISON and the poison PTE marker (fs/userfaultfd.c userfaultfd_poison, mm/userfaultfd.c
// mfill_atomic_pte_poison, mm/hugetlb.c hugetlb_mfill_atomic_pte's POISON branch, mm/memory.c handle_pte_marker):
// the marker the ioctl installs, what a fault on it returns, what fork, zap, COPY and WRITEPROTECT do with it on
// each release, the `updated` field, and the loader's errors.
import { describe, expect, it } from 'vitest';
import { kernel, run, pte, errno, result, thread, pagemapBit, events, err } from './helpers.js';

/** private anonymous m (4 pages), `before`, registered with `mode`, `pre` after the registration, then `threads` */
function anon(opts: { mode?: string; features?: string; before?: string; pre?: string; threads?: string }): string {
  return `
name: poison
observe: { pages: [m, m + 4K] }
setup:
  - mmap: { as: m, len: 16K }
${opts.before ?? ''}
  - userfaultfd: { as: u, api: true, features: [${opts.features ?? ''}] }
  - uffdio_register: { uffd: u, addr: m, len: 16K, mode: [${opts.mode ?? 'missing'}] }
${opts.pre ?? ''}
threads:
${opts.threads ?? '  t:\n    - read: { addr: m + 8K }'}
`;
}
/** the poison marker as the model prints a PTE: swap type 31, PTE_MARKER_POISONED (bit 1) in the inverted offset */
const POISON_PTE = '0xfff0000000000a00';

describe('UFFDIO_POISON', () => {
  const v618 = kernel('v6.18');
  it('installs the poison marker in none PTEs and writes the bytes into updated; a read of it is SIGBUS (VM_FAULT_HWPOISON), not a MISSING message', () => {
    const r = run(anon({ pre: '  - uffdio_poison: { uffd: u, addr: m, len: 8K, id: p }', threads: '  t:\n    - read: { addr: m + 4K }' }), v618);
    expect(result(r, 'p')).toBe('0');
    expect(r.observation.ops['p']!.out).toEqual({ updated: 8192 });
    expect(pte(r, 'm')).toBe(POISON_PTE);
    expect(pte(r, 'm + 0x1000')).toBe(POISON_PTE);
    expect(pagemapBit(r, 'm', 62)).toBe(1); // PM_SWAP
    expect(thread(r, 't').state).toBe('signal');
    expect(thread(r, 't').signal).toBe('SIGBUS');
    expect(events(r, 'handle_userfault')).toEqual([]);
    const sig = events(r, 'signal')[0]!;
    expect(sig.fn).toBe('do_sigbus');
    expect(sig.ret_names).toContain('HWPOISON');
    expect(events(r, 'uffdio_poison')[0]).toMatchObject({ fn: 'mfill_atomic_poison', updated: 8192 });
  });

  it('is an unknown ioctl before v6.6 (EINVAL, nothing written back), and no mode bit but DONTWAKE is taken', () => {
    const y = anon({ pre: '  - uffdio_poison: { uffd: u, addr: m, len: 4K, id: p }\n  - uffdio_poison: { uffd: u, addr: m + 4K, len: 4K, mode: [bit1], id: bad }\n  - uffdio_poison: { uffd: u, addr: m + 4K, len: 4K, mode: [dontwake], id: dw }' });
    const old = run(y, kernel('v6.4'));
    expect(errno(old, 'p')).toBe('EINVAL');
    expect(old.observation.ops['p']!.out).toBeUndefined();
    expect(pte(old, 'm')).not.toBe(POISON_PTE);
    const now = run(y, kernel('v6.6'));
    expect(errno(now, 'p')).toBeNull();
    expect(errno(now, 'bad')).toBe('EINVAL');
    expect(now.observation.ops['bad']!.out).toBeUndefined();
    expect(result(now, 'dw')).toBe('0');
  });

  it('refuses any entry that is not none (a page, a uffd-wp marker, a poison marker): EEXIST, -EEXIST in updated; a later one ends it short', () => {
    const r = run(anon({
      mode: 'missing, wp', features: 'wp_unpopulated', before: '  - write: { addr: m + 8K, value: 1 }',
      pre: `  - uffdio_writeprotect: { uffd: u, addr: m + 4K, len: 4K, mode: [wp] }
  - uffdio_poison: { uffd: u, addr: m, len: 4K, id: p }
  - uffdio_poison: { uffd: u, addr: m, len: 4K, id: again }
  - uffdio_poison: { uffd: u, addr: m + 4K, len: 4K, id: wp_marker }
  - uffdio_poison: { uffd: u, addr: m + 8K, len: 4K, id: page }
  - uffdio_poison: { uffd: u, addr: m + 12K, len: 8K, id: outside }`,
      threads: '  t:\n    - read: { addr: m + 8K }',
    }), v618);
    for (const id of ['again', 'wp_marker', 'page']) {
      expect(errno(r, id)).toBe('EEXIST');
      expect(r.observation.ops[id]!.out).toEqual({ updated: -17 });
    }
    expect(errno(r, 'outside')).toBe('ENOENT');
  });

  it('UFFDIO_COPY fills a poisoned PTE (pte_none_mostly), UFFDIO_ZEROPAGE does not', () => {
    const r = run(anon({
      pre: `  - mmap: { as: src, len: 4K }
  - write: { addr: src, value: 0x5a }
  - uffdio_poison: { uffd: u, addr: m, len: 8K }
  - uffdio_zeropage: { uffd: u, addr: m, len: 4K, id: z }
  - uffdio_copy: { uffd: u, dst: m + 4K, src: src, len: 4K, id: c }`,
      threads: '  t:\n    - read: { addr: m + 4K, len: 1, as: b }',
    }), v618);
    expect(errno(r, 'z')).toBe('EEXIST');
    expect(result(r, 'c')).toBe('4096');
    expect(thread(r, 't').state).toBe('done');
    expect(pagemapBit(r, 'm + 0x1000', 63)).toBe(1);
  });

  it('fork copies the marker into a child whose VMA is not registered; MADV_DONTNEED drops it and the page reads as zero', () => {
    const r = run(`
name: poison-fork
observe: { pages: [m, m + 4K], process: [main, child] }
setup:
  - mmap: { as: m, len: 8K }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 8K, mode: [missing] }
  - uffdio_poison: { uffd: u, addr: m, len: 8K }
  - uffdio_unregister: { uffd: u, addr: m, len: 8K }
  - fork: { as: child }
  - madvise: { addr: m + 4K, len: 4K, advice: dontneed }
threads:
  t:
    - read: { addr: m + 4K, len: 1, as: b }
  kid:
    process: child
    ops:
      - read: { addr: m + 4K, len: 1, as: c }
`, v618);
    expect(thread(r, 't').state).toBe('done');
    expect(pte(r, 'm')).toBe(POISON_PTE);
    expect(thread(r, 'kid').signal).toBe('SIGBUS');
  });
});

describe('UFFDIO_POISON on hugetlb', () => {
  const HUGE = (pre: string, threads = '  t:\n    - read: { addr: m + 4K }') => `
name: poison-huge
config: { nr_hugepages: 1 }
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 2M, flags: [private, anonymous, hugetlb] }
  - userfaultfd: { as: u, api: true, features: [wp_hugetlbfs_shmem] }
  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [missing, wp] }
${pre}
threads:
${threads}
`;
  it('takes whole huge pages (EINVAL otherwise), allocates nothing, and a read is SIGBUS (VM_FAULT_HWPOISON_LARGE)', () => {
    const r = run(HUGE('  - uffdio_poison: { uffd: u, addr: m, len: 4K, id: small }\n  - uffdio_poison: { uffd: u, addr: m, len: 2M, id: p }'), kernel('v6.18', {}, ['nr_hugepages=1']));
    expect(errno(r, 'small')).toBe('EINVAL');
    expect(result(r, 'p')).toBe('0');
    expect(r.observation.ops['p']!.out).toEqual({ updated: 2 << 20 });
    expect(thread(r, 't').signal).toBe('SIGBUS');
    expect(events(r, 'signal')[0]!.ret_names).toContain('HWPOISON_LARGE');
    expect(events(r, 'alloc_hugetlb_folio')).toEqual([]);
  });
  it('UFFDIO_WRITEPROTECT leaves the marker from v6.9 (c5977c95dff1); on v6.8 it warns and an un-protect clears it', () => {
    const y = HUGE('  - uffdio_poison: { uffd: u, addr: m, len: 2M }\n  - uffdio_writeprotect: { uffd: u, addr: m, len: 2M, mode: [wp] }\n  - uffdio_writeprotect: { uffd: u, addr: m, len: 2M, mode: [] }',
      '  t:\n    - write: { addr: m + 4K, value: 7 }');
    const fixed = run(y, kernel('v6.9', {}, ['nr_hugepages=1']));
    expect(thread(fixed, 't').signal).toBe('SIGBUS');
    expect(events(fixed, 'klog').filter((e) => String(e.text).includes('WARNING'))).toEqual([]);
    const old = run(y, kernel('v6.8', {}, ['nr_hugepages=1']));
    // the write after the un-protect: a MISSING fault of the none entry (the test has no handler: it blocks)
    expect(thread(old, 't').state).toBe('blocked');
    expect(events(old, 'klog').filter((e) => String(e.text).includes('hugetlb_change_protection')).length).toBe(2);
  });
});

describe('the uffdio_poison operation', () => {
  it('says where a bad mode is, with the names it takes', () => {
    const e = err(anon({ pre: '  - uffdio_poison: { uffd: u, addr: m, len: 4K, mode: [wp] }' }));
    expect(e.message).toMatch(/^bad\.yaml:9:\d+: setup\.3\.uffdio_poison\.mode\.0: /);
    expect(e.message).toMatch(/dontwake/);
  });
  it('rejects an output field of another operation on it, at the field', () => {
    const e = err(`${anon({ pre: '  - uffdio_poison: { uffd: u, addr: m, len: 4K, id: p }' })}expect:\n  - { op: p, mapped: 4K }\n`);
    expect(e.message).toMatch(/bad\.yaml:\d+:\d+: .*'mapped' is a field of uffdio_continue, and p is uffdio_poison/);
  });
});

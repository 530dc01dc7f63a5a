// Behaviour of the model that does not hang on one patch: VMA splits and merges, THP counters, COW,
// MADV_DONTNEED, the huge zero page, and the errno rules the real 6.18 kernel showed
// (host-kernel-probe.md §2, §5, §7).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolveKernel } from '../src/profiles/profiles.js';
import { kernel, run, pte, pmd, pagemapBit, kpfBit, errno, result, thread, vmstat, anonHuge, page } from './helpers.js';

const v618 = kernel('v6.18');
const THP = `
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }`;

describe('VMAs', () => {
  it('mprotect RO then RW of 4 KiB inside a THP: 1 -> 3 -> 1 VMAs, one PMD split, no later write fault', () => {
    const r = run(`
name: t
observe: { pages: [m, m + 0x5000] }
setup:${THP}
  - write: { addr: m }
  - checkpoint: thp
  - mprotect: { addr: m + 0x5000, len: 4K, prot: r }
  - checkpoint: ro
  - mprotect: { addr: m + 0x5000, len: 4K, prot: rw }
threads:
  w:
    - memset: { addr: m, len: 2M, value: 7 }
`, v618);
    const s = r.observation.snapshots;
    expect([s.thp!.vma_count, s.ro!.vma_count, s.setup!.vma_count]).toEqual([2, 4, 2]); // the second 2M is a VMA of its own (no MADV_HUGEPAGE)
    expect(vmstat(r, 'thp_split_pmd', 'thp', 'ro')).toBe(1);
    expect(vmstat(r, 'thp_split_page', 'thp', 'final')).toBe(0);
    expect(anonHuge(r, 'm', 'ro')).toBe(0);
    expect(thread(r, 'w').minflt).toBe(0);
    expect(kpfBit(r, 'm + 0x5000', 4, 'ro')).toBe(1);
  });
  it('munmap frees page tables, so a later THP fault at the same place gets a huge PMD', () => {
    const r = run(`
name: t
observe: { pages: [m] }
setup:
  - mmap: { as: m, addr: 0x7e0000000000, len: 2M }
  - madvise: { addr: m, len: 2M, advice: nohugepage }
  - write: { addr: m }
  - munmap: { addr: m, len: 2M }
  - mmap: { as: m2, addr: 0x7e0000000000, len: 2M }
  - madvise: { addr: m2, len: 2M, advice: hugepage }
  - write: { addr: m2 }
`, v618);
    expect(anonHuge(r, 'm2')).toBe(2048);
  });
});

describe('THP', () => {
  it('a write fault on a MADV_HUGEPAGE range allocates a THP (one fault, thp_fault_alloc +1)', () => {
    const r = run(`name: t\nobserve: { pages: [m, m + 0x1ff000] }\nsetup:${THP}\nthreads:\n  w:\n    - write: { addr: m }\n    - write: { addr: m + 0x1ff000 }\n`, v618);
    expect(thread(r, 'w').minflt).toBe(1);
    expect(vmstat(r, 'thp_fault_alloc')).toBe(1);
    expect(anonHuge(r, 'm')).toBe(2048);
    expect(page(r, 'm').pagemap).toBe('0x8100000000000000');
    expect(page(r, 'm + 0x1ff000').pagemap).toBe('0x81000000000001ff');
    expect(page(r, 'm').kpageflags).toBe('0x40040d828'); // the host's value
    expect(page(r, 'm + 0x1ff000').kpageflags).toBe('0x400415828');
  });
  it('a read first maps the huge zero page; the first write then allocates a THP', () => {
    const r = run(`name: t\nobserve: { pages: [m] }\nsetup:${THP}\n  - read: { addr: m }\n  - checkpoint: zero\n  - write: { addr: m }\n`, v618);
    expect(page(r, 'm', 'zero').pagemap).toBe('0xa000000000000000'); // PRESENT|FILE, not exclusive
    expect(page(r, 'm', 'zero').kpageflags).toBe('0x1408000'); // HEAD|THP|ZERO_PAGE
    expect(anonHuge(r, 'm', 'zero')).toBe(0);
    expect(vmstat(r, 'thp_zero_page_alloc')).toBe(1);
    expect(anonHuge(r, 'm')).toBe(2048);
  });
  it('MADV_DONTNEED of 4 KiB of a THP splits the PMD and drops that page', () => {
    const r = run(`name: t\nobserve: { pages: [m, m + 0x1000] }\nsetup:${THP}\n  - write: { addr: m }\n  - madvise: { addr: m + 0x1000, len: 4K, advice: dontneed }\n`, v618);
    expect(vmstat(r, 'thp_split_pmd')).toBe(1);
    expect(pagemapBit(r, 'm + 0x1000', 63)).toBe(0);
    expect(pagemapBit(r, 'm', 63)).toBe(1);
    expect(r.observation.snapshots.final!.smaps.m!.Rss).toBe(2044);
    expect(vmstat(r, 'thp_deferred_split_page')).toBe(1);
  });
});

describe('split_huge_page', () => {
  const SPLIT = `name: t\nobserve: { pages: [m, m + 0x1000, m + 0x2000, m + 0x3000] }\nsetup:${THP}\n  - write: { addr: m }\n  - write: { addr: m + 0x1000, value: 7 }\n  - checkpoint: thp\n  - madvise: { addr: m + 0x3000, len: 4K, advice: dontneed }\n  - split_huge_page: { addr: m, len: 2M, id: split }\n`;
  it('splits the folio: every written page becomes its own dirty folio, a zero-filled one the zero page, an unmapped one is freed', () => {
    const r = run(SPLIT, v618);
    expect(result(r, 'split')).toBe('1');
    expect(vmstat(r, 'thp_split_page')).toBe(1);
    expect(vmstat(r, 'thp_split_pmd')).toBe(1);
    // the zap left it partly mapped (+1); the split's own unmapping does not queue it again
    expect(vmstat(r, 'thp_deferred_split_page')).toBe(1);
    expect(page(r, 'm + 0x1000').pagemap).toBe('0x8100000000000000'); // index 0: an order-0 folio now
    expect(page(r, 'm + 0x1000').kpageflags).toBe('0x400005838'); // no THP, no HEAD/TAIL; DIRTY from the head
    // try_to_map_unused_to_zeropage (b1f202060afe, v6.12): present, not exclusive, ZERO_PAGE|RESERVED
    expect(page(r, 'm + 0x2000').pagemap).toBe('0x8000000000000000');
    expect(page(r, 'm + 0x2000').kpageflags).toBe('0x101000000');
    expect(page(r, 'm + 0x3000').kpageflags).toBe(null);
    expect(r.observation.snapshots.final!.smaps.m!.Rss).toBe(8);
  });
  it('keeps the zero-filled pages where the zero page is forbidden (zero_page=n), and before v6.12', () => {
    for (const spec of [kernel('v6.18', {}, ['zero_page=n']), kernel('v6.6')]) {
      const r = run(SPLIT, spec);
      expect([pagemapBit(r, 'm + 0x2000', 63), pagemapBit(r, 'm + 0x2000', 56), kpfBit(r, 'm + 0x2000', 24)], spec.name).toEqual([1, 1, 0]);
      expect(r.observation.snapshots.final!.smaps.m!.Rss, spec.name).toBe(2044);
      expect(r.machine.k.folios.liveFolios, spec.name).toBeGreaterThan(500);
    }
  });
});

describe('fork and COW', () => {
  it('after fork every write in the parent and in the child takes one COW fault per 4 KiB', () => {
    const r = run(`
name: t
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 64K }
  - memset: { addr: m, len: 16K, value: 1 }
  - fork: { as: child }
threads:
  parent:
    - memset: { addr: m, len: 16K, value: 2 }
  kid:
    process: child
    ops:
      - memset: { addr: m, len: 16K, value: 3 }
`, v618);
    expect([thread(r, 'parent').minflt, thread(r, 'kid').minflt]).toEqual([4, 4]);
    expect(r.observation.snapshots.final!.pages.m!.pagemap.startsWith('0x81')).toBe(true);
  });
  it('a forked THP is split on the first write, not copied', () => {
    const r = run(`name: t\nobserve: { pages: [m] }\nsetup:${THP}\n  - write: { addr: m }\n  - fork: { as: child }\nthreads:\n  w:\n    - write: { addr: m + 0x3000 }\n`, v618);
    expect(vmstat(r, 'thp_split_pmd')).toBe(1);
    expect(kpfBit(r, 'm', 34)).toBe(0); // not exclusive any more
  });
});

describe('userfaultfd errno rules of the real 6.18 kernel (host-kernel-probe §7)', () => {
  const base = `
name: t
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - mmap: { as: src, len: 4K }
  - write: { addr: m }
  - userfaultfd: { as: u, id: uffd }
`;
  const one = (op: string, extra = '') => run(base + extra + `  - ${op}\n`, v618);
  it('UFFDIO_API reports 0x1ffff; a second UFFDIO_API is EINVAL', () => {
    const r = one('uffdio_api: { uffd: u, id: op }');
    expect(result(r, 'uffd')).toBe('0x1ffff');
    expect(errno(r, 'op')).toBe('EINVAL');
  });
  it('UFFDIO_REGISTER(WP) returns ioctls 0x17c, MISSING 0x13c; MINOR on anon, unknown mode bit, unaligned start: EINVAL', () => {
    expect(result(one('uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp], id: op }'), 'op')).toBe('0x17c');
    expect(result(one('uffdio_register: { uffd: u, addr: m, len: 2M, mode: [missing], id: op }'), 'op')).toBe('0x13c');
    expect(errno(one('uffdio_register: { uffd: u, addr: m, len: 2M, mode: [minor], id: op }'), 'op')).toBe('EINVAL');
    expect(errno(one('uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp, bit3], id: op }'), 'op')).toBe('EINVAL');
    expect(errno(one('uffdio_register: { uffd: u, addr: m + 1, len: 4K, mode: [wp], id: op }'), 'op')).toBe('EINVAL');
  });
  it('registering a range another uffd owns: EBUSY', () => {
    const r = one('uffdio_register: { uffd: v, addr: m, len: 2M, mode: [wp], id: op }',
      '  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }\n  - userfaultfd: { as: v }\n');
    expect(errno(r, 'op')).toBe('EBUSY');
  });
  it('UFFDIO_WRITEPROTECT: unregistered or MISSING-only range ENOENT; WP|DONTWAKE, unknown bit, unaligned: EINVAL', () => {
    expect(errno(one('uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp], id: op }'), 'op')).toBe('ENOENT');
    expect(errno(one('uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp], id: op }', '  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [missing] }\n'), 'op')).toBe('ENOENT');
    const reg = '  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }\n';
    expect(errno(one('uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [wp, dontwake], id: op }', reg), 'op')).toBe('EINVAL');
    expect(errno(one('uffdio_writeprotect: { uffd: u, addr: m, len: 4K, mode: [bit2], id: op }', reg), 'op')).toBe('EINVAL');
    expect(errno(one('uffdio_writeprotect: { uffd: u, addr: m + 8, len: 4K, mode: [wp], id: op }', reg), 'op')).toBe('EINVAL');
  });
  it('UFFDIO_WRITEPROTECT past the registered VMA: ENOENT, the registered part was protected', () => {
    const r = run(base + '  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }\n  - uffdio_writeprotect: { uffd: u, addr: m, len: 4M, mode: [wp], id: op }\nobserve: { pages: [m] }\n', v618);
    expect(errno(r, 'op')).toBe('ENOENT');
    expect(pagemapBit(r, 'm', 57)).toBe(1);
  });
  it('UFFDIO_COPY onto a populated page: EEXIST; UFFDIO_WAKE with nobody waiting: 0; read with nothing pending: EAGAIN', () => {
    const reg = '  - uffdio_register: { uffd: u, addr: m + 2M, len: 2M, mode: [missing] }\n  - uffdio_copy: { uffd: u, dst: m + 2M, src: src, len: 4K }\n';
    expect(errno(one('uffdio_copy: { uffd: u, dst: m + 2M, src: src, len: 4K, id: op }', reg), 'op')).toBe('EEXIST');
    expect(errno(one('uffdio_wake: { uffd: u, addr: m, len: 4K, id: op }'), 'op')).toBe(null);
    expect(errno(one('read_uffd: { uffd: u, id: op }'), 'op')).toBe('EAGAIN');
  });
  it('UFFDIO_REGISTER before UFFDIO_API: EINVAL', () => {
    const r = run(`
name: t
setup:
  - mmap: { as: m, len: 2M }
  - userfaultfd: { as: u, api: false }
  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp], id: op }
`, v618);
    expect(errno(r, 'op')).toBe('EINVAL');
  });
  it('MADV_COLLAPSE is refused (EINVAL) while a PTE is uffd-wp, and works after un-protect', () => {
    const r = run(`
name: t
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - write: { addr: m }
  - userfaultfd: { as: u }
  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m + 0x5000, len: 4K, mode: [wp] }
  - madvise: { addr: m, len: 2M, advice: collapse, id: refused }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 2M, mode: [] }
  - checkpoint: split
  - madvise: { addr: m, len: 2M, advice: collapse, id: ok }
`, v618);
    expect(errno(r, 'refused')).toBe('EINVAL');
    expect(anonHuge(r, 'm', 'split')).toBe(0);
    expect(errno(r, 'ok')).toBe(null);
    expect(anonHuge(r, 'm')).toBe(2048);
    expect(kpfBit(r, 'm', 4)).toBe(0); // the collapsed copy is not PG_dirty
  });
});

describe('WP_UNPOPULATED', () => {
  it('write-protecting empty memory installs markers (pagemap 0x420000000000003f); the first write is reported', () => {
    const r = run(`
name: t
observe: { pages: [m] }
setup:
  - mmap: { as: m, len: 4M, align: 2M }
  - madvise: { addr: m, len: 2M, advice: hugepage }
  - userfaultfd: { as: u, flags: [], features: [wp_unpopulated] }
  - uffdio_register: { uffd: u, addr: m, len: 2M, mode: [wp] }
  - uffdio_writeprotect: { uffd: u, addr: m, len: 2M, mode: [wp] }
threads:
  w:
    - write: { addr: m }
  h:
    - read_uffd: { uffd: u, as: msg }
    - uffdio_writeprotect: { uffd: u, addr: msg.address, len: 4K }
`, v618);
    expect(page(r, 'm', 'setup').pagemap).toBe('0x420000000000003f');
    expect(r.observation.msgs.msg!.flags).toBe(3);
    expect(anonHuge(r, 'm')).toBe(0); // a 4 KiB page, even on MADV_HUGEPAGE
    expect(thread(r, 'w').state).toBe('done');
  });
});

void pte; void pmd;

describe('credentials (setuid) and the userfaultfd permission checks', () => {
  const unpriv = (op: string) => `
name: u
setup:
  - mmap: { as: m, len: 64K }
  - fork: { as: child }
  - setuid: 65534
  - ${op}
threads:
  c:
    process: child
    ops:
      - userfaultfd: { as: cu, id: child_uffd }
`;
  const plain = unpriv('userfaultfd: { as: u, id: uffd }');
  it('v6.18 (sysctl 0): userfaultfd(0) as uid 65534 is EPERM; the child forked while root keeps root', () => {
    const r = run(plain, v618);
    expect(errno(r, 'uffd')).toBe('EPERM');
    expect(errno(r, 'child_uffd')).toBe(null);
  });
  it('vm.unprivileged_userfaultfd=1 lets it through', () => {
    expect(errno(run(plain, kernel('v6.18', {}, ['unprivileged_userfaultfd=y'])), 'uffd')).toBe(null);
  });
  it('v5.7: the sysctl defaults to 1 (cefdca0a86be) and EVENT_FORK needs CAP_SYS_PTRACE (3c1c24d91ffd)', () => {
    const k = kernel('v5.7');
    expect(errno(run(plain, k), 'uffd')).toBe(null);
    expect(errno(run(unpriv('userfaultfd: { as: u, features: [event_fork], id: uffd }'), k), 'uffd')).toBe('EPERM');
  });
  it('the sysctl default follows d0d4730ac2e4: without it a 6.1 tree defaults to 1', () => {
    expect(resolveKernel('v6.1').config.unprivileged_userfaultfd).toBe(false);
    expect(errno(run(plain, resolveKernel('v6.1-uffd-sysctl-user-mode-only')), 'uffd')).toBe(null);
  });
  it('v4.19: no check at all', () => {
    expect(errno(run(unpriv('userfaultfd: { as: u, features: [event_fork], id: uffd }'), kernel('v4.19')), 'uffd')).toBe(null);
  });
  it('a process forked after setuid inherits the uid', () => {
    const r = run(`
name: u
setup:
  - setuid: 65534
  - fork: { as: child }
threads:
  c:
    process: child
    ops:
      - userfaultfd: { as: cu, id: child_uffd }
`, v618);
    expect(errno(r, 'child_uffd')).toBe('EPERM');
  });
});

describe('poll() on a uffd (userfaultfd_poll)', () => {
  const sc = readFileSync('scenarios/differential/uffd-poll.yaml', 'utf8');
  for (const k of ['v5.7', 'v6.1', 'v6.18']) {
    it(`${k}: POLLERR when blocking or before UFFDIO_API, POLLIN while a message waits, 0 after the read`, () => {
      const r = run(sc, kernel(k));
      expect(['poll_blocking', 'poll_before_api', 'poll_idle', 'poll_pending', 'poll_read'].map((id) => result(r, id))).toEqual(['0x8', '0x8', '0x0', '0x1', '0x0']);
      expect(r.ok).toBe(true);
    });
  }
});

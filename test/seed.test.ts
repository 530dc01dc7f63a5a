// The seed thread, replayed: the kernel log of Peter Xu's instrumented 4.19 branch, each proposed fix,
// and what upstream kernels do with the same program.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { loadScenario } from '../src/scenario/load.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { runScenario } from '../src/run.js';
import { formatKlog } from '../src/trace/format.js';
import { pte, pmd, thread, kpfBit, pagemapBit, vmstat, anonHuge, page } from './helpers.js';

const FILE = 'scenarios/seed-thp-split-uffd-wp.yaml';
const sc = loadScenario(FILE);
const seed = (k: string) => runScenario(sc, resolveKernel(k));

describe('seed on v4.19-uffd-wp-2018', () => {
  const r = seed('v4.19-uffd-wp-2018');
  it('prints the thread\'s kernel log, line for line', () => {
    expect(formatKlog(r.events).slice(0, 7)).toEqual([
      'kernel: mwriteprotect_range: vm_flags: 0xa0121073',
      'kernel: mwriteprotect_range: 0x7f205fe00000-0x7f209fe00000 changed 1024 pages (newprot=8000000000000025, wp=1)',
      'kernel: mwriteprotect_range: vm_flags: 0xa0121073',
      'kernel: mwriteprotect_range: 0x7f20aa000000-0x7f20ab000000 changed 512 pages (newprot=8000000000000025, wp=1)',
      'kernel: mwriteprotect_range: vm_flags: 0xa0121073',
      'kernel: mwriteprotect_range: 0x7f205fe7f000-0x7f205fe80000 changed 1 pages (newprot=8000000000000025, wp=0)',
      'kernel: FAULT_FLAG_ALLOW_RETRY missing 71',
    ]);
  });
  it('dumps the stack the thread shows', () => {
    const stack = formatKlog(r.events).filter((l) => /^kernel: {2}\w/.test(l)).map((l) => l.trim().replace('kernel:  ', ''));
    expect(stack).toEqual(['handle_userfault', 'do_wp_page', '__handle_mm_fault', 'handle_mm_fault', '__do_page_fault', 'do_page_fault', 'page_fault']);
  });
  it('kills the vCPU with SIGBUS', () => {
    expect(thread(r, 'vcpu').signal).toBe('SIGBUS');
    expect(r.ok).toBe(true);
  });
  it('leaves the split PTE clean and read-only, the dirty bit only in the head page', () => {
    expect(pmd(r, 'ram', 'populated')).toBe('0x80000000000008e7');
    expect(pmd(r, 'ram', 'setup')).toBe('0x80000000000008e5');
    expect(pte(r, 'ram + 0x7f000', 'unprotected')).toBe('0x8000000000000825');
    expect(kpfBit(r, 'ram', 4, 'unprotected')).toBe(1); // head: PG_dirty
    expect(kpfBit(r, 'ram + 0x7f000', 4, 'unprotected')).toBe(0); // 4.19 reads the tail page's own flags
  });
});

describe('the fixes proposed in the thread', () => {
  it('Peter Xu: pte_mkdirty at split; un-protect gives pfn|0x8000000000000867, no SIGBUS', () => {
    const r = seed('v4.19-uffd-wp-2018+peterx-2018-split-mkdirty');
    expect(pte(r, 'ram + 0x7f000', 'unprotected')).toBe('0x8000000000000867');
    expect(thread(r, 'vcpu').signal).toBe(null);
    expect(r.ok).toBe(true);
  });
  it('Peter Xu: PageDirty() in change_pte_range; pfn|0x8000000000000827, no SIGBUS', () => {
    const r = seed('v4.19-uffd-wp-2018+peterx-2018-pagedirty');
    expect(pte(r, 'ram + 0x7f000', 'unprotected')).toBe('0x8000000000000827');
    expect(thread(r, 'vcpu').signal).toBe(null);
    expect(pte(r, 'ram + 0x7f000')).toBe('0x8000000000000867'); // the CPU sets D on the retried store
  });
  it('Jerome Glisse: dirty_accountable = 0; still SIGBUS', () => {
    const r = seed('v4.19-uffd-wp-2018+glisse-2018-no-dirty-accountable');
    expect(thread(r, 'vcpu').signal).toBe('SIGBUS');
    expect(r.ok).toBe(true);
  });
});

describe('upstream kernels', () => {
  for (const k of ['v5.7', 'v6.1', 'v6.6', 'v6.12', 'v6.18']) {
    it(`${k}: no SIGBUS, the store lands, the scenario's expectations hold`, () => {
      const r = seed(k);
      expect(thread(r, 'vcpu').signal).toBe(null);
      expect(r.ok).toBe(true);
      expect(vmstat(r, 'thp_split_pmd')).toBe(1);
      expect(vmstat(r, 'thp_split_page')).toBe(0);
    });
  }
  it('v6.12: the values of kernel-facts 11.3', () => {
    const r = seed('v6.12');
    expect(pmd(r, 'ram', 'setup')).toBe('0x8400000000000ca5');
    expect(pte(r, 'ram + 0x7f000', 'unprotected')).toBe('0x8000000000000867');
    expect(pte(r, 'ram + 0x80000', 'unprotected')).toBe('0x8400000000000c25');
  });
  it('v6.18: what the real kernel showed (host-kernel-probe 3)', () => {
    const r = seed('v6.18');
    expect(anonHuge(r, 'ram', 'setup')).toBe(4096);
    expect(anonHuge(r, 'ram')).toBe(2048); // the split THP no longer counts
    expect(pagemapBit(r, 'ram + 0x7f000', 57)).toBe(0);
    expect(pagemapBit(r, 'ram + 0x80000', 57)).toBe(1);
    expect(kpfBit(r, 'ram', 4, 'unprotected')).toBe(1);
    expect(kpfBit(r, 'ram + 0x80000', 4, 'unprotected')).toBe(1); // 6.10+: folio flags on every subpage
    expect(kpfBit(r, 'ram + 0x80000', 22, 'unprotected')).toBe(1); // still one THP folio
    expect(r.observation.msgs.msg!.flags).toBe(3);
    expect(thread(r, 'vcpu').minflt).toBe(1);
    expect(page(r, 'ram + 0x7f000').pagemap).toBe('0x810000000000007f');
  });
});

describe('the mmsim command', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/mmsim.js', ...args], { encoding: 'utf8' });
  it('run --format klog prints the thread\'s values and exits 0 when the expectations hold', () => {
    const r = cli(['run', FILE, '--kernel', 'v4.19-uffd-wp-2018', '--format', 'klog']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('mwriteprotect_range: vm_flags: 0xa0121073');
    expect(r.stdout).toContain('changed 1 pages (newprot=8000000000000025, wp=0)');
    expect(r.stdout).toContain('FAULT_FLAG_ALLOW_RETRY missing 71');
  });
  it('run --format json gives versioned JSON lines ending with the outcome', () => {
    const r = cli(['run', FILE, '--kernel', 'v6.18', '--format', 'json']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'header', schema: 'mmsim-trace', version: 12, kernel: 'v6.18' });
    expect(lines.at(-1)).toMatchObject({ type: 'outcome', ok: true });
    expect(lines.at(-1).observation.threads.vcpu.signal).toBe(null);
  });
  it('run exits 1 when an expectation fails', () => {
    const r = cli(['run', FILE, '--kernel', 'v4.19-uffd-wp-2018', '--patch', '-uffd-wp-2018-branch', '-q']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL');
  });
  it('compare puts the 2018 branch, the proposals and v6.18 side by side', () => {
    const r = cli(['compare', FILE, '-k', 'v4.19-uffd-wp-2018', '-k', 'v4.19-uffd-wp-2018+peterx-2018-split-mkdirty', '-k', 'v6.18']);
    expect(r.status).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.startsWith('vcpu: outcome'))!;
    expect(row.split(/\s{2,}/).slice(1)).toEqual(['SIGBUS', 'done', 'done']);
    expect(r.stdout).toMatch(/ram \+ 0x7f000 @unprotected: pte\s+pfn\|0x8000000000000825\s+pfn\|0x8000000000000867\s+pfn\|0x8000000000000067/);
  });
  it('kernels lists profiles and the patch table', () => {
    const r = cli(['kernels']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('v4.19-uffd-wp-2018');
    expect(r.stdout).toMatch(/thp-split-carries-dirty\s+0ccf7f168e17\s+v6\.1\s+mm\/thp: carry over dirty bit/);
  });
});

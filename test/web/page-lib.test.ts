// The page's own code (web/src/lib): bit columns and what changed, the shareable link, frames cut from
// a real trace, the acting function, and the divergence of two kernels on the seed.
import { describe, expect, it } from 'vitest';
import { BIT_COLUMNS, changedColumns, fieldText, flagsOnly, setBitNames } from '../../web/src/lib/bits.js';
import { decodeView, encodeView, EMPTY_VIEW } from '../../web/src/lib/link.js';
import { actingFunction, firstDivergence, klogUpTo, previousEntry, setupEnd, toFrames, type Frame } from '../../web/src/lib/frames.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/run.js';
import { resolveKernel } from '../../src/profiles/profiles.js';
import type { TraceEvent } from '../../src/trace/events.js';

const SEED = 'scenarios/seed-thp-split-uffd-wp.yaml';
function framesOf(kernel: string, schedule?: string): Frame[] {
  const sc = loadScenario(SEED);
  return toFrames(runScenario(sc, resolveKernel(kernel, [], sc.config), { trace: true, states: true, schedule }).events);
}

describe('bit columns', () => {
  it('cover bits 0..63 once each, highest first', () => {
    const bits = BIT_COLUMNS.flatMap((c) => Array.from({ length: c.hi - c.lo + 1 }, (_, i) => c.lo + i)).sort((a, b) => a - b);
    expect(bits).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(BIT_COLUMNS[0]!.lo).toBe(63);
  });

  it('read the seed PTE: present, user, accessed, soft-dirty, NX; not writable, not dirty', () => {
    const v = BigInt('0x800000010027f825');
    const col = (n: string) => fieldText(v, BIT_COLUMNS.find((c) => c.name === n)!);
    expect([col('P'), col('RW'), col('US'), col('A'), col('D'), col('SD'), col('NX'), col('PFN')]).toEqual(['1', '0', '1', '1', '0', '1', '1', '0x10027f']);
    expect(setBitNames(v)).toBe('NX SD A US P');
    expect(flagsOnly('0x800000010027f825')).toBe('0x8000000000000825');
  });

  it('mark the columns that changed, and nothing for a new entry', () => {
    expect([...changedColumns('0x8000000100200867', '0x8000000100200025')].sort()).toEqual(['D', 'RW', 'SD']);
    expect(changedColumns(null, '0x8000000100200825').size).toBe(0);
    expect(changedColumns('0x1', '0x1').size).toBe(0);
    expect([...changedColumns('0x0000000100200000', '0x0000000100201000')]).toEqual(['PFN']);
  });
});

describe('the shareable link', () => {
  it('round-trips every field, pasted YAML included (UTF-8)', () => {
    const v = { scenario: null, yaml: 'name: é\nkernel: v6.18\n', kernel: 'v4.19-uffd-wp-2018', patches: '+peterx-2018-pagedirty,-x', config: 'thp=always', compare: 'v6.18', frame: 17, schedule: 'vcpu0 handler*3 vcpu0' };
    expect(decodeView('#' + encodeView(v))).toEqual(v);
    const w = { ...EMPTY_VIEW, scenario: 'check/live-snapshot.yaml', kernel: 'v6.18', frame: 3 };
    expect(decodeView(encodeView(w))).toEqual(w);
  });

  it('falls back to defaults on junk', () => {
    expect(decodeView('#f=-4&y=%%%')).toMatchObject({ frame: 0, scenario: null });
    expect(decodeView('')).toEqual(EMPTY_VIEW);
  });
});

describe('frames of the seed', () => {
  const a = framesOf('v4.19-uffd-wp-2018');

  it('one per setup operation and per step; the page opens at the end of setup', () => {
    const sc = loadScenario(SEED);
    expect(a.filter((f) => f.step === 0).length).toBe(sc.setup.length);
    expect(setupEnd(a)).toBe(sc.setup.length - 1);
    expect(a.slice(setupEnd(a) + 1).map((f) => f.step)).toEqual(a.slice(setupEnd(a) + 1).map((_, i) => i + 1));
  });

  it('the un-protect is named after __split_huge_pmd_locked, and the split PTE shows the bits it dropped', () => {
    const un = a.find((f) => f.state.op === 'unprotect')!;
    expect(un.acting).toBe('__split_huge_pmd_locked');
    expect(un.fns).toEqual(expect.arrayContaining(['change_protection', 'mwriteprotect_range', 'uffdio_writeprotect']));
    const prev = a[un.index - 1]!.state.pages.find((p) => p.key === 'ram + 0x7f000')!;
    const cur = un.state.pages.find((p) => p.key === 'ram + 0x7f000')!;
    const pte = cur.walk.find((r) => r.level === 'pte')!;
    const was = previousEntry(cur, prev, pte)!;
    expect(was.from).toMatch(/split/);
    // the bits the split and the un-protect changed: dirty dropped (the seed's bug), PSE gone; same page
    expect([...changedColumns(was.entry, pte.entry)].sort()).toEqual(['D', 'PSE']);
  });

  it('the kernel log grows with the steps', () => {
    expect(klogUpTo(a, a.length - 1)).toContain('FAULT_FLAG_ALLOW_RETRY missing 71');
    expect(klogUpTo(a, setupEnd(a))).not.toContain('FAULT_FLAG_ALLOW_RETRY missing 71');
  });

  it('against v6.18 the runs diverge where v6.18 writes the PTE differently; the same kernel never diverges', () => {
    const b = framesOf('v6.18');
    const d = firstDivergence(a, b);
    expect(d).not.toBeNull();
    expect(d!).toBeLessThanOrEqual(a.findIndex((f) => f.state.op === 'unprotect'));
    expect(firstDivergence(a, framesOf('v4.19-uffd-wp-2018'))).toBeNull();
  });

  it('actingFunction prefers a page-table writer, then a split, a fault handler, then the last named function', () => {
    const e = (type: string, fn: string) => ({ seq: 0, step: 1, thread: 't', type, fn }) as unknown as TraceEvent;
    expect(actingFunction([e('syscall', 'uffdio_writeprotect'), e('split_huge_pmd', '__split_huge_pmd_locked'), e('set_pte', 'change_pte_range'), e('klog', 'x')])).toBe('change_pte_range');
    expect(actingFunction([e('page_fault', 'do_user_addr_fault'), e('handle_userfault', 'handle_userfault'), e('klog', 'printk')])).toBe('handle_userfault');
    expect(actingFunction([e('syscall', 'sys_read')])).toBe('sys_read');
    // the seed's last step: the retried fault dies in handle_userfault, not in do_wp_page that called it
    const a = framesOf('v4.19-uffd-wp-2018');
    expect(a[a.length - 1]!.acting).toBe('handle_userfault');
  });
});

// The page's own code (web/src/lib): bit columns and what changed, the shareable link, frames cut from
// a real trace, the acting function, and the divergence of two kernels on the seed.
import { describe, expect, it } from 'vitest';
import { BIT_COLUMNS, archOfKernel, changedColumns, columnsOf, fieldText, flagsOnly, setBitNames } from '../../web/src/lib/bits.js';
import { decodeView, encodeView, EMPTY_VIEW } from '../../web/src/lib/link.js';
import { actingFunction, firstDivergence, klogUpTo, previousEntry, setupEnd, toFrames, type Frame } from '../../web/src/lib/frames.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/run.js';
import { resolveKernel } from '../../src/profiles/profiles.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { ALIGN_MAX_CELLS, alignFrames, firstDivergentRow, frameAtOrBefore, pairScore, rowOfA, soloRows, stateSignature, stepKey } from '../../web/src/lib/align.js';
import { chosenIds, formatEdits, normalizeEdits, parseEdits, profileIds, setPatch } from '../../web/src/lib/patches.js';
import { configValues, formatConfigEdits, parseConfigEdits, setKnob } from '../../web/src/lib/config.js';
import { CONFIG_KEYS, CONFIG_KNOBS, parseConfigValue } from '../../src/profiles/config.js';
import { handle } from '../../web/src/worker.js';
import { readFileSync } from 'node:fs';
import { changedPageFields, changedPages, folioPage, folioPageRows, pageFlagNames } from '../../web/src/lib/folio-pages.js';

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

  it('each architecture\'s columns cover bits 0..63 once each; a kernel spec names its architecture', () => {
    for (const arch of ['x86_64', 'arm64', 'loongarch64'] as const) {
      const cols = columnsOf(arch);
      const bits = cols.flatMap((c) => Array.from({ length: c.hi - c.lo + 1 }, (_, i) => c.lo + i)).sort((a, b) => a - b);
      expect(bits, arch).toEqual(Array.from({ length: 64 }, (_, i) => i));
    }
    expect(archOfKernel('v6.18-arm64')).toBe('arm64');
    expect(archOfKernel('v6.1-rc3-loongarch64+thp-split-dirty-partly-reverted')).toBe('loongarch64');
    expect(archOfKernel('v6.18-x86-pmd-modify-keeps-dirty')).toBe('x86_64');
  });

  it('read the arm64 seed PTE in arm64 names: valid, user, read-only, accessed, uffd-wp, dirty; PFN in bits 12..49', () => {
    const cols = columnsOf('arm64');
    const v = BigInt('0x04e0000100280fc3');
    expect(setBitNames(v, cols)).toBe('UWP DTY UXN PXN nG AF RDO USR TBL V');
    expect(fieldText(v, cols.find((c) => c.name === 'PFN')!)).toBe('0x100280');
    expect([...changedColumns('0x04e0000100280fc3', '0x00e8000100280f43', cols)].sort()).toEqual(['DBM', 'RDO', 'UWP']);
    expect(flagsOnly('0x00e8000100280f43', 'arm64')).toBe('0x00e8000000000f43');
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

describe('two runs aligned by what happened', () => {
  const run = (file: string, kernel: string) => {
    const sc = loadScenario(file);
    return toFrames(runScenario(sc, resolveKernel(kernel, [], sc.config), { trace: true, states: true }).events);
  };

  it('the seed on the 2018 branch against v6.18 and each proposed fix: every step paired, in order; divergence where the state first differs', () => {
    const a = framesOf('v4.19-uffd-wp-2018');
    for (const k of ['v6.18', 'v4.19-uffd-wp-2018+peterx-2018-split-mkdirty', 'v4.19-uffd-wp-2018+peterx-2018-pagedirty', 'v4.19-uffd-wp-2018+glisse-2018-no-dirty-accountable']) {
      const b = framesOf(k);
      const rows = alignFrames(a, b);
      expect(rows.map((r) => [r.a, r.b]), k).toEqual(a.map((_, i) => [i, i]));
      const d = firstDivergentRow(rows);
      if (d !== null) expect(rows.slice(0, d).every((r) => r.same), k).toBe(true);
      // a divergence exactly when some paired step's state differs
      expect(d === null, k).toBe(rows.every((r) => stateSignature(a[r.a!]!) === stateSignature(b[r.b!]!)));
    }
    // v6.18 has soft-dirty compiled out: the first THP's PMD differs (no bit 11) from the first write of setup
    expect(a[firstDivergentRow(alignFrames(a, framesOf('v6.18')))!]!.state.op_name).toBe('write');
    // Peter Xu's fixes leave setup alone: they diverge at the un-protect, where the split PTE differs
    for (const fix of ['peterx-2018-split-mkdirty', 'peterx-2018-pagedirty']) {
      expect(a[firstDivergentRow(alignFrames(a, framesOf(`v4.19-uffd-wp-2018+${fix}`)))!]!.state.op, fix).toBe('unprotect');
    }
    // Jerome Glisse's suggestion changes nothing the seed observes (it still dies of SIGBUS, as the scenario expects)
    expect(firstDivergentRow(alignFrames(a, framesOf('v4.19-uffd-wp-2018+glisse-2018-no-dirty-accountable')))).toBeNull();
    expect(firstDivergentRow(alignFrames(a, framesOf('v4.19-uffd-wp-2018')))).toBeNull();
  });

  it('a step one kernel takes and the other does not is a gap, and the steps after it still pair (gup-cow-wrong-direction, v5.7 against v5.8)', () => {
    const file = 'scenarios/bugs/gup-cow-wrong-direction.yaml';
    const a = run(file, 'v5.7'), b = run(file, 'v5.8');
    expect(b.length).toBe(a.length + 1);
    const rows = alignFrames(a, b);
    // v5.8 breaks COW in GUP first (faultin_page -> wp_page_copy), a step of its own before vmsplice completes:
    // a gap on v5.7's side, and the first divergence
    const extra = rows.findIndex((r) => r.a === null);
    expect(b[rows[extra]!.b!]!.acting).toBe('wp_page_copy');
    expect(rows.slice(0, extra).every((r) => r.a !== null && r.b !== null && r.same)).toBe(true);
    expect(firstDivergentRow(rows)).toBe(extra);
    // then the scheduler runs the parent's memset and the child's munmap in the other order: order kept,
    // one of them pairs and the other is a gap on each side
    expect(rows.filter((r) => r.a === null).length).toBe(2);
    expect(rows.filter((r) => r.b === null).length).toBe(1);
    // every paired step is the same thread's same operation, in order on both sides
    for (const r of rows) if (r.a !== null && r.b !== null) expect(stepKey(a[r.a]!)).toBe(stepKey(b[r.b]!));
    const pa = rows.filter((r) => r.a !== null).map((r) => r.a), pb = rows.filter((r) => r.b !== null).map((r) => r.b);
    expect(pa).toEqual(a.map((_, i) => i));
    expect(pb).toEqual(b.map((_, i) => i));
    // the vmsplice that completes is paired with v5.7's (the same functions), and read_pipe at the end too
    const splice = rows.find((r) => r.a !== null && r.b !== null && a[r.a]!.state.op === 'splice')!;
    expect(b[splice.b!]!.acting).toBe('vmsplice');
    expect(rows[rows.length - 1]).toMatchObject({ a: a.length - 1, b: b.length - 1 });
    // by step index alone, every step after the extra one would be compared with the wrong one
    expect(a.slice(4).some((f, i) => stepKey(f) !== stepKey(b[4 + i]!))).toBe(true);
  });

  it('a middle part too large for the full programme is paired by index; equal ends are paired first', () => {
    const fr = (i: number, thread: string, op: string) => ({ index: i, step: i, thread, acting: op, fns: [op], events: [], klog: [], state: { op, op_name: op, pages: [], threads: [] } }) as unknown as Frame;
    const side = Math.ceil(Math.sqrt(ALIGN_MAX_CELLS)) + 2;
    const A = [fr(0, 's', 'x'), ...Array.from({ length: side }, (_, i) => fr(i + 1, 'a', `a${i}`)), fr(side + 1, 'e', 'end')];
    const B = [fr(0, 's', 'x'), ...Array.from({ length: side + 1 }, (_, i) => fr(i + 1, 'b', `b${i}`)), fr(side + 2, 'e', 'end')];
    const rows = alignFrames(A, B);
    expect(rows.length).toBe(side + 3);
    expect(rows[0]).toMatchObject({ a: 0, b: 0, same: true });
    expect(rows[1]).toMatchObject({ a: 1, b: 1, same: false });
    expect(rows[side + 1]).toMatchObject({ a: null, b: side + 1 });
    expect(rows[side + 2]).toMatchObject({ a: side + 1, b: side + 2 });
  });

  it('pairs only the same thread and operation, preferring the one with the same functions', () => {
    const a = framesOf('v4.19-uffd-wp-2018');
    expect(pairScore(a[0]!, a[1]!)).toBe(0);
    expect(pairScore(a[14]!, a[19]!)).toBeGreaterThan(0); // the vcpu's write, first and retried
    expect(pairScore(a[19]!, a[19]!)).toBeGreaterThan(pairScore(a[14]!, a[19]!));
    expect(rowOfA(soloRows(5), 3)).toBe(3);
    const rows = [{ a: 0, b: 0, same: true }, { a: null, b: 1, same: false }, { a: 1, b: 2, same: true }];
    expect(rowOfA(rows, 1)).toBe(2);
    expect(frameAtOrBefore(rows, 1, 'a')).toBe(0);
    expect(frameAtOrBefore(rows, 1, 'b')).toBe(1);
  });
});

describe('the patch chooser', () => {
  const wp2018 = profileIds('v4.19-uffd-wp-2018');

  it('lists the profile\'s rows, and keeps edits as --patch writes them', () => {
    expect(wp2018.has('uffd-wp-2018-branch')).toBe(true);
    expect(wp2018.has('peterx-2018-split-mkdirty')).toBe(false);
    expect(profileIds('v5.7+gup-force-cow-break')).toEqual(profileIds('v5.7'));
    let e = setPatch(wp2018, '', 'peterx-2018-split-mkdirty', true);
    expect(e).toBe('+peterx-2018-split-mkdirty');
    e = setPatch(wp2018, e, 'soft-dirty-thp-split', false);
    expect(e).toBe('+peterx-2018-split-mkdirty,-soft-dirty-thp-split');
    expect(chosenIds(wp2018, e).has('soft-dirty-thp-split')).toBe(false);
    expect(chosenIds(wp2018, e).has('peterx-2018-split-mkdirty')).toBe(true);
    e = setPatch(wp2018, e, 'soft-dirty-thp-split', true);
    e = setPatch(wp2018, e, 'peterx-2018-split-mkdirty', false);
    expect(e).toBe('');
    // the edits resolve to the same kernel the CLI builds
    const spec = resolveKernel('v4.19-uffd-wp-2018', ['+peterx-2018-split-mkdirty,-soft-dirty-thp-split']);
    expect(new Set([...spec.patches].map((p) => p.id))).toEqual(chosenIds(wp2018, '+peterx-2018-split-mkdirty,-soft-dirty-thp-split'));
  });

  it('drops edits that mean nothing for another profile', () => {
    expect(normalizeEdits(profileIds('v6.18'), '+x86-pmd-modify-keeps-dirty,-peterx-2018-split-mkdirty,+peterx-2018-pagedirty')).toBe('+peterx-2018-pagedirty');
    expect(parseEdits('a -b +c')).toEqual({ add: new Set(['a', 'c']), remove: new Set(['b']) });
    expect(formatEdits(parseEdits('-soft-dirty-thp-split,+peterx-2018-pagedirty'))).toBe('+peterx-2018-pagedirty,-soft-dirty-thp-split');
  });
});

describe('the pages of a folio', () => {
  const a = framesOf('v4.19-uffd-wp-2018');
  const un = a.find((f) => f.state.op === 'unprotect')!;
  const before = a[un.index - 1]!;
  const head = (f: Frame) => f.state.folios.find((x) => x.order === 9 && x.subpages)!;

  it('a PMD-mapped THP: the head has the folio\'s flags and refcount, every tail 0 and _mapcount -1', () => {
    const f = head(before);
    expect(f.subpages!.mapcount.length).toBe(512);
    const h = folioPage(f, 0)!, t = folioPage(f, 511)!;
    expect(h.refcount).toBe(f.refcount);
    expect(pageFlagNames(h.flags)).toBe('uptodate|lru|swapbacked|anon'); // dirty only in the PMD so far
    expect([t.refcount, t.mapcount, t.pageMapcount, t.flags]).toEqual([0, -1, 1, 0]);
    expect(folioPageRows(f, undefined, [127], false)).toEqual([0, 126, 127, 128]);
    expect(folioPageRows(f, undefined, [], true).length).toBe(512);
  });

  it('the split at the un-protect maps every page by a PTE: each _mapcount goes -1 -> 0, page_mapcount stays 1', () => {
    const f = head(un), p = head(before);
    expect(f.entire_mapcount).toBe(0);
    expect(p.entire_mapcount).toBe(1);
    expect(changedPages(f, p).length).toBe(512);
    expect([...changedPageFields(f, p, 300)]).toEqual(['mapcount']);
    // the split moved the PMD's dirty bit into PG_dirty of the head (the seed's bug: its PTEs are clean)
    // and took a reference per PTE mapping on the head (HPAGE_PMD_NR - 1 more)
    expect([...changedPageFields(f, p, 0)].sort()).toEqual(['flags', 'mapcount', 'refcount']);
    expect(folioPage(f, 0)!.refcount - folioPage(p, 0)!.refcount).toBe(511);
    expect(pageFlagNames(folioPage(f, 0)!.flags)).toMatch(/\bdirty\b/);
    expect(folioPage(f, 300)).toMatchObject({ mapcount: 0, pageMapcount: 1, refcount: 0 });
    // folded: the head, the observed page and its neighbours, and the first two and last changed ones
    expect(folioPageRows(f, p, [127], false)).toEqual([0, 1, 126, 127, 128, 511]);
  });
});

describe('config knobs (web/src/lib/config.ts, CONFIG_KNOBS)', () => {
  it('every knob of the model has a control kind, and its values are exactly what --config takes', () => {
    expect(Object.keys(CONFIG_KNOBS).sort()).toEqual([...CONFIG_KEYS].sort());
    for (const key of CONFIG_KEYS) {
      const k = CONFIG_KNOBS[key];
      if (k.kind === 'enum') {
        for (const v of k.values) expect(parseConfigValue(key, v), `${key}=${v}`).toBe(v);
        expect(parseConfigValue(key, 'sometimes')).toBeUndefined();
      } else if (k.kind === 'number') {
        expect(parseConfigValue(key, String(k.min))).toBe(k.min);
        expect(parseConfigValue(key, String(k.max))).toBe(k.max);
        expect(parseConfigValue(key, String(k.max + 1))).toBeUndefined();
        expect(() => resolveKernel('v6.18', [], [`${key}=${k.max + 1}`])).toThrow(/bad value/);
      } else {
        expect([parseConfigValue(key, 'y'), parseConfigValue(key, 'n')]).toEqual([true, false]);
      }
    }
    expect(CONFIG_KNOBS.thp).toMatchObject({ kind: 'enum', values: ['always', 'madvise', 'never'] });
    expect(CONFIG_KNOBS.zero_page.kind).toBe('bool');
    expect(CONFIG_KNOBS.max_ptes_none).toMatchObject({ kind: 'number', min: 0, max: 511 });
  });

  it('overrides parse, print in CONFIG_KEYS order as --config writes them, and report what cannot apply', () => {
    const e = parseConfigEdits('zero_page=no, thp=always max_ptes_none=7');
    expect(formatConfigEdits(e.values)).toBe('thp=always,zero_page=n,max_ptes_none=7');
    expect(e.errors).toEqual([]);
    expect(parseConfigEdits('thp=sometimes,nope=1,zero_page,max_ptes_swap=512').errors).toEqual([
      "thp: 'sometimes' is not always, madvise, never", "unknown config key 'nope'", "'zero_page' is not key=value", "max_ptes_swap: '512' is not a whole number from 0 to 511",
    ]);
  });

  it('setting a knob: a value equal to the default is no override; null goes back to the default; bad parts drop', () => {
    const d = configValues(resolveKernel('v6.18').config);
    expect(d).toMatchObject({ thp: 'madvise', zero_page: 'y', soft_dirty: 'n', max_ptes_none: '511' });
    expect(setKnob('', 'thp', 'always', d)).toBe('thp=always');
    expect(setKnob('thp=always', 'zero_page', 'n', d)).toBe('thp=always,zero_page=n');
    expect(setKnob('thp=always,zero_page=n', 'thp', 'madvise', d)).toBe('zero_page=n');
    expect(setKnob('zero_page=n', 'zero_page', null, d)).toBe('');
    expect(setKnob('nope=1,thp=never', 'max_ptes_none', '0', d)).toBe('thp=never,max_ptes_none=0');
    expect(setKnob('', 'max_ptes_none', '600', d)).toBe('');
    // and the link keeps them as c=
    expect(decodeView('#' + encodeView({ ...EMPTY_VIEW, config: setKnob('', 'zero_page', 'n', d) })).config).toBe('zero_page=n');
  });

  it("the worker reports the defaults (profile, then the scenario's config) and the configuration run with", () => {
    const file = 'scenarios/differential/read-zero-page-4k.yaml';
    const yaml = readFileSync(file, 'utf8').replace('kernel: v6.18\n', 'kernel: v6.18\nconfig: { thp: never }\n');
    const r = handle({ kind: 'run', id: 1, file, yaml, kernel: 'v6.18', patches: '', config: 'zero_page=n', schedule: '' });
    if (r.kind !== 'run') throw new Error(r.kind === 'error' ? r.message : r.kind);
    expect(r.defaults).toMatchObject({ thp: 'never', zero_page: 'y', soft_dirty: 'n' });
    expect(r.config).toMatchObject({ thp: 'never', zero_page: 'n' });
    expect(r.scenarioConfig).toEqual(['thp']);
    // the knob changes what is drawn: the read maps the zero page, or a page of its own
    const page = (c: string) => {
      const x = handle({ kind: 'run', id: 2, file, yaml, kernel: 'v6.18', patches: '', config: c, schedule: '' });
      if (x.kind !== 'run') throw new Error('no run');
      return toFrames(x.events).map((f) => f.state.pages[0]?.page?.zero ?? null);
    };
    expect(page('')).toContain(true);
    expect(page('zero_page=n')).not.toContain(true);
  });
});

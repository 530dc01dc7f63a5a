// The fast-path bits (Kernel.fp) and the x86 page-table helpers' options are derived from the patch
// table in one place (src/profiles/fastpath.ts); here they must agree with Kernel.has() on every
// profile and on every profile with any one patch added or taken out, in a kernel and in its clone.
import { describe, expect, it } from 'vitest';
import { Kernel } from '../src/kernel/kernel.js';
import { PATCH, PATCH_LIST, type Patch } from '../src/profiles/patches.js';
import { PROFILES } from '../src/profiles/profiles.js';
import { FAST_PATH } from '../src/profiles/fastpath.js';
import { Pte } from '../src/kernel/arch/x86/include/pte.js';
import { PAGE_READONLY, X86Pgtable } from '../src/kernel/arch/x86/include/pgtable.js';
import { _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_PSE, _PAGE_RW, _PAGE_USER } from '../src/kernel/arch/x86/include/pgtable_types.js';
import { kernel } from './helpers.js';

function* variants(): Generator<[string, Kernel]> {
  for (const prof of PROFILES) {
    yield [prof.name, new Kernel(kernel(prof.name))];
    const base = kernel(prof.name);
    for (const p of PATCH_LIST) {
      const edit: { add?: Patch[]; remove?: Patch[] } = base.patches.has(p) ? { remove: [p] } : { add: [p] };
      const k = new Kernel(kernel(prof.name, edit));
      yield [k.spec.name, k];
    }
  }
}

describe('fast-path bits agree with has()', () => {
  it('every FAST_PATH row, every profile and single-patch toggle, kernel and clone', () => {
    let checked = 0;
    for (const [name, k0] of variants()) {
      for (const k of [k0, k0.clone()]) {
        const arch = k.spec.arch ?? 'x86_64';
        for (const bit of new Set(FAST_PATH.map((r) => r.bit))) {
          // a bit is set when any row of it for this architecture (or for every architecture) holds
          const rows = FAST_PATH.filter((r) => r.bit === bit && (r.arch === undefined || r.arch === arch));
          const want = rows.some((r) => r.all.every((p) => k.has(p)) && !r.none.some((p) => k.has(p)));
          if (((k.fp & bit) !== 0) !== want) expect.fail(`${name}: fast-path bit ${bit} is ${!want}, has() says ${want}`);
          checked++;
        }
      }
    }
    expect(checked).toBe(PROFILES.length * (PATCH_LIST.length + 1) * 2 * new Set(FAST_PATH.map((r) => r.bit)).size);
  });

  it('every bit is set on some kernel and clear on another (no dead row)', () => {
    let anyOn = 0, anyOff = 0;
    for (const [, k] of variants()) {
      anyOn |= k.fp;
      anyOff |= ~k.fp;
    }
    for (const r of FAST_PATH) {
      expect(anyOn & r.bit).toBe(r.bit);
      expect(anyOff & r.bit).toBe(r.bit);
    }
  });

  it('the x86 page-table helpers follow has() and the config', () => {
    for (const [name, k] of variants()) {
      if (!(k.pgt instanceof X86Pgtable)) continue;
      const g = k.pgt;
      const ctx = `${name}`;
      expect(g.UFFD_WP !== 0, ctx).toBe(k.has(PATCH.uffdWpPteBit));
      expect(g.SOFT_DIRTY !== 0, ctx).toBe(k.config.soft_dirty);
      expect(g.savedDirty, ctx).toBe(k.has(PATCH.x86SavedDirty));
      // a dirty writable huge PMD made read-only: pmd_modify drops its dirtiness only between
      // bb3aadf7d446 (saved-dirty series) and f7491d7c81db
      const pmd = g.pmd_modify(Pte.of(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_DIRTY | _PAGE_PSE | 0x200000, 0), PAGE_READONLY);
      expect(g.pmd_dirty(pmd), ctx).toBe(!(k.has(PATCH.x86SavedDirty) && !k.has(PATCH.x86PmdModifyKeepsDirty)));
    }
  });
});

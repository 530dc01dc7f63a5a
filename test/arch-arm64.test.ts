// The arm64 and loongarch64 rows of the arch table (src/kernel/arch/arm64/include/pgtable.ts): each rule against the
// kernel headers it models (arch/arm64/include/asm/pgtable-hwdef.h, pgtable-prot.h, pgtable.h and
// arch/arm64/mm/mmap.c, fault.c @v6.10..v6.18), then the arch table as mm/ sees it.
import { describe, expect, it } from 'vitest';
import { Pte } from '../src/kernel/arch/x86/include/pte.js';
import {
  Arm64Pgtable, PAGE_NONE, PAGE_READONLY, PAGE_READONLY_EXEC, PAGE_SHARED, PAGE_SHARED_EXEC, protection_map,
} from '../src/kernel/arch/arm64/include/pgtable.js';
import { ARCH_RULES, archRules, entryBitNames } from '../src/kernel/arch/arch.js';
import {
  LoongarchPgtable, PAGE_NONE as LA_PAGE_NONE, PAGE_READONLY as LA_PAGE_READONLY, PAGE_SHARED as LA_PAGE_SHARED,
} from '../src/kernel/arch/loongarch/include/pgtable.js';
import { ARCHS, archOfPatch } from '../src/profiles/arch.js';
import { PATCH, PATCH_LIST } from '../src/profiles/patches.js';
import { PROFILES, resolveKernel, SpecError } from '../src/profiles/profiles.js';
import { Kernel } from '../src/kernel/kernel.js';
import { VM_EXEC, VM_READ, VM_SHARED, VM_WRITE } from '../src/kernel/include/vm_flags.js';
import { spawnSync } from 'node:child_process';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { expectationPasses } from '../src/scenario/outcome.js';
import { refuseForeignArch } from '../src/host/probe.js';

const g = new Arm64Pgtable({ uffdWpBit: true });
const v = (e: Pte) => e.toString();
const P = (x: bigint) => Pte.fromBig(x);
const PFN = 0x12345n;

describe('arm64 bit layout and protections', () => {
  it('protection values of pgtable-prot.h with a 4 KiB granule, no LPA2 (PTE_SHARED kept), MT_NORMAL = 0', () => {
    // PAGE_NONE = (_PAGE_DEFAULT & ~PTE_VALID) | PTE_PRESENT_INVALID | PTE_RDONLY | PTE_NG | PTE_PXN | PTE_UXN
    expect(v(PAGE_NONE)).toBe('0x0060000000000f82');
    // _PAGE_SHARED = _PAGE_DEFAULT | PTE_USER | PTE_RDONLY | PTE_NG | PTE_PXN | PTE_UXN | PTE_WRITE
    expect(v(PAGE_SHARED)).toBe('0x0068000000000fc3');
    // _PAGE_SHARED_EXEC: as PAGE_SHARED without PTE_UXN
    expect(v(PAGE_SHARED_EXEC)).toBe('0x0028000000000fc3');
    // _PAGE_READONLY = _PAGE_DEFAULT | PTE_USER | PTE_RDONLY | PTE_NG | PTE_PXN | PTE_UXN
    expect(v(PAGE_READONLY)).toBe('0x0060000000000fc3');
    // _PAGE_READONLY_EXEC: without PTE_UXN
    expect(v(PAGE_READONLY_EXEC)).toBe('0x0020000000000fc3');
  });
  it('protection_map of arch/arm64/mm/mmap.c: private writable is PAGE_READONLY (COW), no EPAN', () => {
    expect(v(protection_map[VM_READ | VM_WRITE]!)).toBe(v(PAGE_READONLY));
    expect(v(protection_map[VM_SHARED | VM_READ | VM_WRITE]!)).toBe(v(PAGE_SHARED));
    expect(v(protection_map[VM_EXEC]!)).toBe(v(PAGE_READONLY_EXEC));
    expect(v(g.vm_get_page_prot(0))).toBe(v(PAGE_NONE));
  });
  it('the output address is bits 12..49 (PTE_ADDR_LOW): DBM (51) and GP (50) are not part of the pfn', () => {
    const e = g.pfn_pte(new Pte(), 0x3ffffffff, PAGE_SHARED);
    expect(g.pte_pfn(e)).toBe(0x3ffffffff);
    expect(g.pte_write(e)).toBe(true);
    expect(g.pte_pfn(P(0x000c000000001000n))).toBe(1);
  });
});

describe('arm64 dirty and write (asm/pgtable.h)', () => {
  const clean = () => g.pfn_pte(new Pte(), Number(PFN), PAGE_SHARED);
  it('pte_mkdirty on a writable entry clears PTE_RDONLY: hardware dirty (PTE_WRITE && !PTE_RDONLY)', () => {
    const e = g.pte_mkdirty(clean());
    expect(v(e)).toBe('0x00e8000012345f43');
    expect(g.pte_dirty(e) && g.pte_write(e)).toBe(true);
  });
  it('pte_mkdirty never makes an entry writable: a read-only entry keeps PTE_RDONLY and gets PTE_DIRTY only', () => {
    const e = g.pte_mkdirty(g.pfn_pte(new Pte(), Number(PFN), PAGE_READONLY));
    expect(v(e)).toBe('0x00e0000012345fc3');
    expect(g.pte_write(e)).toBe(false);
    expect(g.pte_dirty(e)).toBe(true);
  });
  it('pte_wrprotect moves hardware dirtiness to PTE_DIRTY, clears PTE_WRITE, sets PTE_RDONLY', () => {
    const hw = P(0x0068000012345f43n); // PTE_WRITE, PTE_RDONLY clear, PTE_DIRTY clear: hardware dirty
    expect(g.pte_dirty(hw)).toBe(true);
    const e = g.pte_wrprotect(hw);
    expect(v(e)).toBe('0x00e0000012345fc3');
    expect(g.pte_dirty(e)).toBe(true);
  });
  it('pte_mkwrite_novma sets PTE_WRITE and, on a software-dirty entry, clears PTE_RDONLY', () => {
    expect(v(g.pte_mkwrite(P(0x00e0000012345fc3n)))).toBe('0x00e8000012345f43');
    expect(v(g.pte_mkwrite(P(0x0060000012345fc3n)))).toBe('0x0068000012345fc3');
  });
  it('pte_mkclean clears PTE_DIRTY and sets PTE_RDONLY: a writable entry becomes clean-writable', () => {
    const e = g.pte_mkclean(P(0x00e8000012345f43n));
    expect(v(e)).toBe('0x0068000012345fc3');
    expect(g.pte_dirty(e)).toBe(false);
  });
  it('pte_modify keeps hardware dirtiness across a read-only protection and gives it back', () => {
    const ro = g.pte_modify(P(0x0068000012345f43n), PAGE_READONLY);
    expect(v(ro)).toBe('0x00e0000012345fc3');
    const rw = g.pte_modify(ro, PAGE_SHARED);
    expect(v(rw)).toBe('0x00e8000012345f43');
  });
  it('pte_modify to PAGE_NONE: PTE_VALID clear, PTE_PRESENT_INVALID set, still present, protnone', () => {
    const e = g.pte_modify(P(0x0068000012345fc3n), PAGE_NONE);
    expect(v(e)).toBe('0x0060000012345f82');
    expect(g.pte_present(e)).toBe(true);
    expect(g.pte_protnone(e)).toBe(true);
    expect(g.pte_pfn(e)).toBe(Number(PFN)); // no pfn inversion on arm64
  });
  it('young: PTE_AF (bit 10)', () => {
    expect(v(g.pte_mkold(P(0x0060000012345fc3n)))).toBe('0x0060000012345bc3');
    expect(g.pte_young(g.pte_mkyoung(P(0x0060000012345bc3n)))).toBe(true);
  });
});

describe('arm64 uffd-wp, soft-dirty and swap entries', () => {
  it('pte_mkuffd_wp sets PTE_UFFD_WP (bit 58) and write-protects', () => {
    const e = g.pte_mkuffd_wp(P(0x00e8000012345f43n));
    expect(v(e)).toBe('0x04e0000012345fc3');
    expect(g.pte_uffd_wp(e)).toBe(true);
    expect(v(g.pte_clear_uffd_wp(e))).toBe('0x00e0000012345fc3');
  });
  it('without HAVE_ARCH_USERFAULTFD_WP (before 5b32510af77b) there is no bit: PTE_UFFD_WP is 0', () => {
    const old = new Arm64Pgtable({ uffdWpBit: false });
    expect(old.pte_uffd_wp(old.pte_mkuffd_wp(P(0x00e8000012345f43n)))).toBe(false);
    expect(old.haveArchUffdWp).toBe(false);
  });
  it('no soft-dirty bit at all (no HAVE_ARCH_SOFT_DIRTY): the generic stubs', () => {
    const e = P(0x00e8000012345f43n);
    expect(v(g.pte_mksoft_dirty(e.clone()))).toBe(v(e));
    expect(g.pte_soft_dirty(e)).toBe(false);
    expect(g.SOFT_DIRTY).toBe(0);
  });
  it('swap entry: type in bits 6..10, offset in bits 12..61, bits 0, 1 and 11 clear', () => {
    const e = g.swp_entry_to_pte(new Pte(), 3, 0x1234);
    expect(v(e)).toBe('0x00000000012340c0');
    expect(g.swp_type(e)).toBe(3);
    expect(g.swp_offset(e)).toBe(0x1234);
    expect(g.is_swap_pte(e)).toBe(true);
    // PTE_SWP_EXCLUSIVE bit 2, PTE_SWP_UFFD_WP bit 3
    expect(v(g.pte_swp_mkexclusive(e.clone()))).toBe('0x00000000012340c4');
    expect(v(g.pte_swp_mkuffd_wp(e.clone()))).toBe('0x00000000012340c8');
    const big = g.swp_entry_to_pte(new Pte(), 31, 2 ** 49 + 5);
    expect([g.swp_type(big), g.swp_offset(big)]).toEqual([31, 2 ** 49 + 5]);
  });
});

describe('arm64 huge PMDs, tables and the MMU', () => {
  it('mk_huge_pmd = pmd_mkhuge(pfn_pmd()): PMD_TABLE_BIT clear, a section; pmd_trans_huge', () => {
    const e = g.mk_huge_pmd(new Pte(), 0x200, PAGE_READONLY);
    expect(v(e)).toBe('0x0060000000200fc1');
    expect(g.pmd_trans_huge(e)).toBe(true);
    expect(g.pmd_leaf_lo(e.lo)).toBe(true);
    // a PROT_NONE huge PMD is present-invalid and still trans-huge
    const none = g.pmd_modify(e.clone(), PAGE_NONE);
    expect([g.pmd_present(none), g.pmd_trans_huge(none), g.pmd_protnone(none)]).toEqual([true, true, true]);
  });
  it('pmd_populate: PMD_TYPE_TABLE | PMD_TABLE_PXN (bit 59) | the table address', () => {
    const t = g.mk_table_entry(new Pte(), 0x4321);
    expect(v(t)).toBe('0x0800000004321003');
    expect(g.table_entry_points(t.lo, t.hi)).toBe(true);
    expect(g.table_pfn(t.lo, t.hi)).toBe(0x4321);
    expect(g.pmd_trans_huge(t)).toBe(false);
  });
  it('FEAT_HAFDBS: a write to PTE_RDONLY|PTE_DBM clears PTE_RDONLY; without DBM it is a permission fault', () => {
    const e = P(0x0068000012345bc3n); // clean writable, old
    expect(g.hw_access(e, true)).toBe(0);
    expect(v(e)).toBe('0x0068000012345f43'); // AF set, RDONLY clear: hardware dirty
    expect(g.hw_access(P(0x0060000012345fc3n), true)).toBe(-2);
    expect(g.hw_access(P(0x0060000012345fc3n), false)).toBe(0);
    expect(g.hw_access(P(0x0060000012345f82n), false)).toBe(-1); // PROT_NONE: invalid, a translation fault
    expect(g.hw_access(P(0x0060000012345f81n), false)).toBe(-2); // PTE_USER clear (AP[1] = 0)
  });
  it('__ptep_set_access_flags stores any change and takes the more permissive PTE_RDONLY', () => {
    const cur = P(0x0068000012345bc3n);
    const entry = g.pte_mkdirty(g.pte_mkyoung(cur.clone()));
    expect(v(g.set_access_flags(cur, entry, true)!)).toBe('0x00e8000012345f43');
    expect(g.set_access_flags(cur, cur.clone(), false)).toBeNull();
    expect(v(g.set_access_flags(cur, g.pte_mkyoung(cur.clone()), false)!)).toBe('0x0068000012345fc3');
  });
});

describe('the arch table', () => {
  it('every profile names an arch with rules; v6.18-arm64 builds the arm64 row', () => {
    for (const p of PROFILES) expect(ARCH_RULES.some((a) => a.name === (p.arch ?? 'x86_64')), p.name).toBe(true);
    const k = new Kernel(resolveKernel('v6.18-arm64'));
    expect(k.pgt.arch).toBe('arm64');
    expect(k.pgt).toBeInstanceOf(Arm64Pgtable);
    expect(new Kernel(resolveKernel('v6.18')).pgt.arch).toBe('x86_64');
  });
  it('a row of one architecture is in no profile of another', () => {
    for (const p of PROFILES) {
      const s = resolveKernel(p.name);
      for (const x of s.patches) {
        const a = archOfPatch(x);
        if (a !== null) expect(a, `${p.name}: ${x.id}`).toBe(s.arch);
      }
    }
    const arm = resolveKernel('v6.18-arm64');
    expect(arm.patches.has(PATCH.arm64UffdWp) && arm.patches.has(PATCH.arm64VmaLockFault) && arm.patches.has(PATCH.arm64MovePmd)).toBe(true);
    expect(arm.patches.has(PATCH.x86SavedDirty) || arm.patches.has(PATCH.uffdWpPteBit)).toBe(false);
    // every arch-owned row is a real row
    for (const a of ARCHS) for (const x of a.own) expect(PATCH_LIST).toContain(x);
  });
  it('refuses another arch\'s row and soft_dirty=y on arm64, with a message', () => {
    expect(() => resolveKernel('v6.18', ['+arm64-uffd-wp'])).toThrow(SpecError);
    expect(() => resolveKernel('v6.18-arm64', ['+x86-saved-dirty'])).toThrow(/x86_64 row/);
    expect(() => resolveKernel('v6.18-arm64', [], ['soft_dirty=y'])).toThrow(/no soft-dirty/);
  });
  it('names the set bits of an entry in the arch\'s words', () => {
    expect(entryBitNames('arm64', 0x04e0000012345fc3n)).toBe('UWP DTY UXN PXN nG AF RDO USR TBL V');
    expect(entryBitNames('x86_64', 0x8000000000000867n)).toBe('NX SD D A US RW P');
    expect(archRules('arm64').fields.find((f) => f.name === 'PFN')).toMatchObject({ lo: 12, hi: 49 });
  });
});

describe('the loongarch64 row (arch/loongarch/include/asm/pgtable-bits.h, pgtable.h @v6.0..v6.1)', () => {
  const before = new LoongarchPgtable({ mkdirtyNeedsWrite: false, mkwriteNeedsModified: false });
  const after = new LoongarchPgtable({ mkdirtyNeedsWrite: true, mkwriteNeedsModified: true });
  it('protection_map of arch/loongarch/mm/cache.c: VALID|USER|PRESENT|CC, NO_EXEC; shared writable adds WRITE', () => {
    expect(v(LA_PAGE_READONLY)).toBe('0x400000000000009d');
    expect(v(LA_PAGE_SHARED)).toBe('0x400000000000019d');
    expect(v(LA_PAGE_NONE)).toBe('0x600000000000041c');
    expect(v(after.vm_get_page_prot(VM_READ | VM_WRITE))).toBe('0x400000000000009d');
  });
  it('pte_mkdirty set _PAGE_DIRTY (the TLB write bit) on a read-only entry before bf2f34a506e6, not after', () => {
    const ro = () => after.pfn_pte(new Pte(), 0x12345, LA_PAGE_READONLY);
    expect(v(before.pte_mkdirty(ro()))).toBe('0x400000001234529f');
    expect(v(after.pte_mkdirty(ro()))).toBe('0x400000001234529d');
    // on a writable entry both set it
    expect(v(after.pte_mkdirty(after.pfn_pte(new Pte(), 0x12345, LA_PAGE_SHARED)))).toBe('0x400000001234539f');
    // and the TLB lets the write through when V and D are set, whatever _PAGE_WRITE says
    expect(before.hw_access(before.pte_mkdirty(ro()), true)).toBe(0);
    expect(after.hw_access(after.pte_mkdirty(ro()), true)).toBe(-2);
  });
  it('pte_mkwrite set _PAGE_DIRTY on a clean entry before 54e6cd42a183, only on a modified one after', () => {
    const clean = () => after.pfn_pte(new Pte(), 0x12345, LA_PAGE_READONLY);
    expect(v(before.pte_mkwrite(clean()))).toBe('0x400000001234519f');
    expect(v(after.pte_mkwrite(clean()))).toBe('0x400000001234519d');
  });
  it('pte_wrprotect keeps the dirtiness in _PAGE_MODIFIED; pte_modify keeps _PAGE_CHG_MASK', () => {
    expect(v(after.pte_wrprotect(P(0x400000001234539fn)))).toBe('0x400000001234529d');
    expect(v(after.pte_modify(P(0x400000001234539fn), LA_PAGE_READONLY))).toBe('0x400000001234529d');
  });
  it('huge PMD: _PAGE_HUGE (bit 6); swap entry: type bits 16..23, offset from bit 24', () => {
    const h = after.mk_huge_pmd(new Pte(), 0x200, LA_PAGE_READONLY);
    expect(v(h)).toBe('0x40000000002000dd');
    expect(after.pmd_trans_huge(h)).toBe(true);
    const s = after.swp_entry_to_pte(new Pte(), 26, 0x100005);
    expect(v(s)).toBe('0x00001000051a0000');
    expect([after.swp_type(s), after.swp_offset(s)]).toEqual([26, 0x100005]);
  });
  it('the TLB refill handlers: a load makes a present entry valid (young); a store needs PRESENT|WRITE or V|D', () => {
    const e = P(0x400000001234519cn);
    expect(after.hw_access(e, false)).toBe(0);
    expect(v(e)).toBe('0x400000001234519d');
    expect(after.hw_access(e, true)).toBe(0);
    expect(v(e)).toBe('0x400000001234539f');
    expect(after.hw_access(P(0x600000000000041cn), false)).toBe(-1); // PROT_NONE: not present
  });
  it('no uffd-wp: UFFDIO_REGISTER_MODE_WP is refused on loongarch64 (no HAVE_ARCH_USERFAULTFD_WP)', () => {
    expect(new Kernel(resolveKernel('v6.1-loongarch64')).pgt.haveArchUffdWp).toBe(false);
  });
});

describe('the arm64 seed scenario and the commands', () => {
  it('the seed on v6.18-arm64 holds its own PTE values; the x86 seed\'s values are not arm64\'s', () => {
    const sc = loadScenario('scenarios/seed-thp-split-uffd-wp-arm64.yaml');
    const r = runScenario(sc, resolveKernel('v6.18-arm64'));
    expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
    expect(r.observation.snapshots.unprotected!.pages['ram + 0x7f000']!.pte).toMatch(/^0x00e8[0-9a-f]{9}f43$/);
    // the same steps on x86 v6.18 write x86 entries: the arm64 expectations of the PMD do not hold there
    const x = runScenario(sc, resolveKernel('v6.18'));
    expect(x.expectations.filter((e) => !expectationPasses(e)).map((e) => e.line)).toContain(50);
  });
  it('mmsim host refuses a scenario of another architecture with exit 2 and says why', () => {
    const r = spawnSync(process.execPath, ['bin/mmsim.js', 'host', 'scenarios/seed-thp-split-uffd-wp-arm64.yaml'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/kernel v6\.18-arm64 models arm64; this machine is x86_64/);
    expect(() => refuseForeignArch('v6.1-loongarch64')).toThrow(/models loongarch64/);
    expect(() => refuseForeignArch('v6.18')).not.toThrow();
  });
  it('mmsim kernels shows each profile\'s architecture and the arch table; --json has archs', () => {
    const r = spawnSync(process.execPath, ['bin/mmsim.js', 'kernels'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/v6\.18-arm64\s+arm64\s+6\.18\.44/);
    expect(r.stdout).toMatch(/ {2}arm64 +arm64, 4 KiB granule/);
    const j = JSON.parse(spawnSync(process.execPath, ['bin/mmsim.js', 'kernels', '--json'], { encoding: 'utf8' }).stdout);
    expect(j.archs.map((a: { name: string }) => a.name)).toEqual(['x86_64', 'arm64', 'loongarch64']);
    expect(j.profiles.find((p: { name: string }) => p.name === 'v6.18').arch).toBe('x86_64');
  });
  it('run and compare accept the arm64 and loongarch64 profiles; compare masks each kernel\'s own pfn field', () => {
    const r = spawnSync(process.execPath, ['bin/mmsim.js', 'compare', 'scenarios/bugs/mkdirty-implies-write-ro-vma.yaml', '--kernel', 'v6.0-loongarch64', '--kernel', 'v6.18-arm64', '--kernel', 'v6.18'], { encoding: 'utf8' });
    expect(r.stdout).toContain('pfn|0x400000000000029f');
    expect(r.stdout).toMatch(/pfn\|0x00e0000000000fc3/);
    expect(r.stdout).toMatch(/pfn\|0x8400000000000025/); // x86 v6.18: dirty kept in bit 58 of a read-only entry
  });
});

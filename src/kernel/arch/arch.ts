// The arch table: one row per architecture, like the patch table. A row gives the entry layout (named
// fields, for the trace, `mmsim kernels` and the page) and builds the architecture's rules (the Pgtable
// that mm/ calls) for a kernel of a profile. A third architecture is a new row and a Pgtable class; mm/
// does not change. The profile side of a row (its own patch rows, uname -m) is src/profiles/arch.ts.
import type { KernelConfig } from '../../profiles/config.js';
import type { ArchName } from '../../profiles/arch.js';
import { PATCH, type Patch } from '../../profiles/patches.js';
import { x86PgtableOptions } from '../../profiles/fastpath.js';
import type { Pgtable } from './pgtable.js';
import { X86Pgtable } from './x86/include/pgtable.js';
import { Arm64Pgtable } from './arm64/include/pgtable.js';
import { LoongarchPgtable } from './loongarch/include/pgtable.js';

export type { ArchName } from '../../profiles/arch.js';

/** one field of a 64-bit entry: bits lo..hi, its kernel name, and what it means */
export interface EntryField {
  readonly lo: number;
  readonly hi: number;
  /** short column name */
  readonly name: string;
  readonly title: string;
  /** zero in every entry the model writes */
  readonly rare?: boolean;
}

export interface ArchRules {
  readonly name: ArchName;
  /** the fields of a present entry, from bit 63 down (the page draws them as columns, the trace names them) */
  readonly fields: readonly EntryField[];
  /** the bits of which one makes an entry present (pte_present), for printing entries as pfn|flags */
  readonly presentMask: bigint;
  /** the kernel's rules for a kernel with these fast-path bits, patches and config */
  make(fp: number, has: (p: Patch) => boolean, config: KernelConfig): Pgtable;
}

export const ARCH_RULES: readonly ArchRules[] = [
  {
    name: 'x86_64',
    // arch/x86/include/asm/pgtable_types.h; bit 58 is _PAGE_DEVMAP on 4.19 and _PAGE_SAVED_DIRTY from v6.6,
    // bit 7 PSE in a PMD and PAT in a PTE; a swap entry reuses bits 1, 2, 3 (soft-dirty, uffd-wp, exclusive)
    fields: [
      { lo: 63, hi: 63, name: 'NX', title: 'bit 63: _PAGE_NX, no execute' },
      { lo: 59, hi: 62, name: 'PKEY', title: 'bits 59-62: protection key', rare: true },
      { lo: 58, hi: 58, name: 'SW5', title: 'bit 58: _PAGE_SAVED_DIRTY (v6.6+) / _PAGE_DEVMAP (4.19)' },
      { lo: 57, hi: 57, name: 'SW4', title: 'bit 57: _PAGE_DEVMAP (v6.6+)', rare: true },
      { lo: 52, hi: 56, name: 'SW', title: 'bits 52-56: software, unused', rare: true },
      { lo: 12, hi: 51, name: 'PFN', title: 'bits 12-51: page frame number' },
      { lo: 11, hi: 11, name: 'SD', title: 'bit 11: _PAGE_SOFT_DIRTY (SOFTW3)' },
      { lo: 10, hi: 10, name: 'UWP', title: 'bit 10: _PAGE_UFFD_WP (SOFTW2)' },
      { lo: 9, hi: 9, name: 'SPC', title: 'bit 9: _PAGE_SPECIAL (SOFTW1)' },
      { lo: 8, hi: 8, name: 'G', title: 'bit 8: _PAGE_GLOBAL (_PAGE_PROTNONE when not present)' },
      { lo: 7, hi: 7, name: 'PSE', title: 'bit 7: _PAGE_PSE in a PMD (huge page), _PAGE_PAT in a PTE' },
      { lo: 6, hi: 6, name: 'D', title: 'bit 6: _PAGE_DIRTY' },
      { lo: 5, hi: 5, name: 'A', title: 'bit 5: _PAGE_ACCESSED' },
      { lo: 4, hi: 4, name: 'PCD', title: 'bit 4: _PAGE_PCD, cache disable' },
      { lo: 3, hi: 3, name: 'PWT', title: 'bit 3: _PAGE_PWT, write through' },
      { lo: 2, hi: 2, name: 'US', title: 'bit 2: _PAGE_USER' },
      { lo: 1, hi: 1, name: 'RW', title: 'bit 1: _PAGE_RW, writable' },
      { lo: 0, hi: 0, name: 'P', title: 'bit 0: _PAGE_PRESENT' },
    ],
    presentMask: 0x101n, // _PAGE_PRESENT | _PAGE_PROTNONE
    make: (fp, _has, config) => new X86Pgtable(x86PgtableOptions(fp, config)),
  },
  {
    name: 'arm64',
    // arch/arm64/include/asm/pgtable-hwdef.h and pgtable-prot.h @v6.10..v6.18 (4 KiB granule); a swap entry
    // reuses bit 2 (exclusive), bit 3 (uffd-wp), bits 6-10 (type) and 12-61 (offset)
    fields: [
      { lo: 63, hi: 63, name: 'SW63', title: 'bit 63: software, unused', rare: true },
      { lo: 60, hi: 62, name: 'PO', title: 'bits 60-62: PTE_PO_IDX (permission overlay)', rare: true },
      { lo: 59, hi: 59, name: 'TPXN', title: 'bit 59: PMD_TABLE_PXN in a table entry; software, unused in a leaf' },
      { lo: 58, hi: 58, name: 'UWP', title: 'bit 58: PTE_UFFD_WP (v6.10+)' },
      { lo: 57, hi: 57, name: 'SW57', title: 'bit 57: PTE_DEVMAP before v6.17, unused', rare: true },
      { lo: 56, hi: 56, name: 'SPC', title: 'bit 56: PTE_SPECIAL' },
      { lo: 55, hi: 55, name: 'DTY', title: 'bit 55: PTE_DIRTY (software dirty)' },
      { lo: 54, hi: 54, name: 'UXN', title: 'bit 54: PTE_UXN, user execute never' },
      { lo: 53, hi: 53, name: 'PXN', title: 'bit 53: PTE_PXN, privileged execute never' },
      { lo: 52, hi: 52, name: 'CONT', title: 'bit 52: PTE_CONT (never set by the model)', rare: true },
      { lo: 51, hi: 51, name: 'DBM', title: 'bit 51: PTE_DBM = PTE_WRITE, writable (hardware dirty when RDONLY is clear)' },
      { lo: 50, hi: 50, name: 'GP', title: 'bit 50: PTE_GP, BTI guarded', rare: true },
      { lo: 12, hi: 49, name: 'PFN', title: 'bits 12-49: output address (PTE_ADDR_LOW)' },
      { lo: 11, hi: 11, name: 'nG', title: 'bit 11: PTE_NG, not global (PTE_PRESENT_INVALID when VALID is clear)' },
      { lo: 10, hi: 10, name: 'AF', title: 'bit 10: PTE_AF, access flag' },
      { lo: 8, hi: 9, name: 'SH', title: 'bits 8-9: PTE_SHARED, inner shareable (3)' },
      { lo: 7, hi: 7, name: 'RDO', title: 'bit 7: PTE_RDONLY, AP[2]' },
      { lo: 6, hi: 6, name: 'USR', title: 'bit 6: PTE_USER, AP[1]' },
      { lo: 5, hi: 5, name: 'NS', title: 'bit 5: non-secure (kernel mappings only)', rare: true },
      { lo: 2, hi: 4, name: 'ATTR', title: 'bits 2-4: AttrIndx (MT_NORMAL = 0)', rare: true },
      { lo: 1, hi: 1, name: 'TBL', title: 'bit 1: PTE_TABLE_BIT (a page or table; clear in a section, a huge PMD)' },
      { lo: 0, hi: 0, name: 'V', title: 'bit 0: PTE_VALID' },
    ],
    presentMask: 0x801n, // PTE_VALID | PTE_PRESENT_INVALID
    make: (_fp, has) => new Arm64Pgtable({ uffdWpBit: has(PATCH.arm64UffdWp) }),
  },
  {
    name: 'loongarch64',
    // arch/loongarch/include/asm/pgtable-bits.h @v6.0..v6.1 (4 KiB pages); a swap entry has its type in bits
    // 16-23 and its offset from bit 24
    fields: [
      { lo: 63, hi: 63, name: 'RPLV', title: 'bit 63: _PAGE_RPLV, restricted privilege level', rare: true },
      { lo: 62, hi: 62, name: 'NX', title: 'bit 62: _PAGE_NO_EXEC' },
      { lo: 61, hi: 61, name: 'NR', title: 'bit 61: _PAGE_NO_READ' },
      { lo: 60, hi: 60, name: 'PINV', title: 'bit 60: _PAGE_PRESENT_INVALID (pmd_mkinvalid)', rare: true },
      { lo: 48, hi: 59, name: 'SW', title: 'bits 48-59: unused', rare: true },
      { lo: 12, hi: 47, name: 'PFN', title: 'bits 12-47: page frame number (bit 12 is _PAGE_HGLOBAL in a huge PMD)' },
      { lo: 11, hi: 11, name: 'SPC', title: 'bit 11: _PAGE_SPECIAL' },
      { lo: 10, hi: 10, name: 'PNON', title: 'bit 10: _PAGE_PROTNONE' },
      { lo: 9, hi: 9, name: 'MOD', title: 'bit 9: _PAGE_MODIFIED (software dirty: pte_dirty)' },
      { lo: 8, hi: 8, name: 'W', title: 'bit 8: _PAGE_WRITE (software write permission: pte_write)' },
      { lo: 7, hi: 7, name: 'P', title: 'bit 7: _PAGE_PRESENT' },
      { lo: 6, hi: 6, name: 'G/H', title: 'bit 6: _PAGE_GLOBAL in a PTE, _PAGE_HUGE in a PMD' },
      { lo: 4, hi: 5, name: 'MAT', title: 'bits 4-5: cache attribute (_CACHE_CC = 1)' },
      { lo: 2, hi: 3, name: 'PLV', title: 'bits 2-3: privilege level (3: user)' },
      { lo: 1, hi: 1, name: 'D', title: 'bit 1: _PAGE_DIRTY, the TLB\'s D: writes allowed' },
      { lo: 0, hi: 0, name: 'V', title: 'bit 0: _PAGE_VALID, also _PAGE_ACCESSED' },
    ],
    presentMask: 0x480n, // _PAGE_PRESENT | _PAGE_PROTNONE
    make: (_fp, has) => new LoongarchPgtable({
      mkdirtyNeedsWrite: has(PATCH.loongarchMkdirtyNeedsWrite), mkwriteNeedsModified: has(PATCH.loongarchMkwriteNeedsModified),
    }),
  },
];

export function archRules(name: ArchName | undefined): ArchRules {
  return ARCH_RULES.find((a) => a.name === (name ?? 'x86_64'))!;
}

/** the mask of an entry's PFN field (what `flags:` expectations and compare leave out) */
export function pfnMask(arch: ArchName | undefined): bigint {
  const f = archRules(arch).fields.find((x) => x.name === 'PFN')!;
  return ((1n << BigInt(f.hi + 1)) - 1n) & ~((1n << BigInt(f.lo)) - 1n);
}

/** the names of the single-bit fields set in a raw entry: "V USR RDO AF nG DTY" */
export function entryBitNames(arch: ArchName | undefined, v: bigint): string {
  const out: string[] = [];
  for (const f of archRules(arch).fields) if (f.lo === f.hi && ((v >> BigInt(f.lo)) & 1n) === 1n) out.push(f.name);
  return out.join(' ');
}

// Fast paths: the patches that every user fault tests, and those that fix the x86 page-table helpers'
// layout once per kernel, are kept as bits of one number (Kernel.fp) instead of a patch lookup at
// each use. This table is the only place those bits are derived from the patch table: a bit is set
// exactly when the kernel has every patch of `all` and none of `none` (test/fastpath.test.ts checks
// it against Kernel.has() for every profile and every single-patch toggle).
import { PATCH, type Patch } from './patches.js';
import type { KernelConfig } from './config.js';
import type { ArchName } from './arch.js';

export const FP_INTERRUPTIBLE = 1 << 0;
export const FP_VMA_LOCK = 1 << 1;
export const FP_VMA_LOCK_DELAY_ANON = 1 << 2;
export const FP_UFFD_UNDER_VMA_LOCK = 1 << 3;
export const FP_ACCOUNTING_IN_CORE = 1 << 4;
export const FP_PTE_MARKERS = 1 << 5;
export const FP_ANON_EXCLUSIVE = 1 << 6;
/** _PAGE_UFFD_WP exists (arch/x86/include/asm/pgtable_types.h) */
export const FP_UFFD_WP_BIT = 1 << 7;
/** _PAGE_SAVED_DIRTY (bit 58) and the x86 6.x _PAGE_CHG_MASK layout */
export const FP_SAVED_DIRTY = 1 << 8;
/** pmd_modify masks the hardware dirty bit off */
export const FP_PMD_MODIFY_DROPS_DIRTY = 1 << 9;
/** x86 swap PTEs in the L1TF-safe layout (958f338e96f8, v4.19); else the v3.11 layout */
export const FP_SWAP_L1TF = 1 << 10;

export interface FastPathRow {
  readonly bit: number;
  /** patches that must all be present */
  readonly all: readonly Patch[];
  /** patches none of which may be present */
  readonly none: readonly Patch[];
  /** a row for one architecture only (the same bit may have a row per architecture) */
  readonly arch?: ArchName;
}

export const FAST_PATH: readonly FastPathRow[] = [
  { bit: FP_INTERRUPTIBLE, all: [PATCH.faultFlagInterruptible], none: [] },
  { bit: FP_VMA_LOCK, all: [PATCH.x86VmaLockFault], none: [], arch: 'x86_64' },
  { bit: FP_VMA_LOCK_DELAY_ANON, all: [PATCH.vmaLockDelayAnonVmaCheck], none: [] },
  { bit: FP_UFFD_UNDER_VMA_LOCK, all: [PATCH.uffdUnderVmaLock], none: [] },
  { bit: FP_ACCOUNTING_IN_CORE, all: [PATCH.faultAccountingInCore], none: [] },
  { bit: FP_PTE_MARKERS, all: [PATCH.pteMarkers], none: [] },
  { bit: FP_ANON_EXCLUSIVE, all: [PATCH.anonExclusive], none: [] },
  { bit: FP_UFFD_WP_BIT, all: [PATCH.uffdWpPteBit], none: [], arch: 'x86_64' },
  { bit: FP_SAVED_DIRTY, all: [PATCH.x86SavedDirty], none: [], arch: 'x86_64' },
  // bb3aadf7d446 (with the saved-dirty series, v6.6) until f7491d7c81db
  { bit: FP_PMD_MODIFY_DROPS_DIRTY, all: [PATCH.x86SavedDirty], none: [PATCH.x86PmdModifyKeepsDirty], arch: 'x86_64' },
  { bit: FP_SWAP_L1TF, all: [PATCH.x86SwapL1tf], none: [], arch: 'x86_64' },
  // arm64 rows (src/profiles/arch.ts)
  { bit: FP_VMA_LOCK, all: [PATCH.arm64VmaLockFault], none: [], arch: 'arm64' },
  { bit: FP_UFFD_WP_BIT, all: [PATCH.arm64UffdWp], none: [], arch: 'arm64' },
];

/** Kernel.fp of a kernel of this architecture whose patches answer `has` */
export function fastPathBits(has: (p: Patch) => boolean, arch: ArchName = 'x86_64'): number {
  let fp = 0;
  for (const r of FAST_PATH) if ((r.arch === undefined || r.arch === arch) && r.all.every(has) && !r.none.some(has)) fp |= r.bit;
  return fp;
}

/** the options of the kernel's X86Pgtable (arch/x86/include/pgtable.ts X86PgtableOptions), from its fast-path bits */
export function x86PgtableOptions(fp: number, config: KernelConfig) {
  return {
    softDirty: config.soft_dirty,
    uffdWpBit: (fp & FP_UFFD_WP_BIT) !== 0,
    savedDirty: (fp & FP_SAVED_DIRTY) !== 0,
    chgMaskHasPat: (fp & FP_SAVED_DIRTY) !== 0,
    pmdModifyDropsDirty: (fp & FP_PMD_MODIFY_DROPS_DIRTY) !== 0,
    swapL1tf: (fp & FP_SWAP_L1TF) !== 0,
  };
}

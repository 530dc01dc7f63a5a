// The architectures of the model, as the profiles see them: which patch rows belong to one architecture
// only (a profile of another architecture leaves them out), what `uname -m` says, and which config knobs
// the architecture cannot have. The rules themselves (bit layout, pte_* helpers, the MMU) are the
// matching row of src/kernel/arch/arch.ts; docs/arch.md describes both.
import { PATCH, type Patch } from './patches.js';

export type ArchName = 'x86_64' | 'arm64' | 'loongarch64';

export interface ArchDef {
  readonly name: ArchName;
  /** uname -m */
  readonly machine: string;
  readonly description: string;
  /** patch rows that exist only on this architecture */
  readonly own: readonly Patch[];
  /** HAVE_ARCH_SOFT_DIRTY: CONFIG_MEM_SOFT_DIRTY can be set */
  readonly softDirty: boolean;
  /** [x86 row, this arch's row that stands for it]: a row that requires the first is satisfied by the second */
  readonly standsFor?: readonly (readonly [Patch, Patch])[];
  /** x86 rows this architecture has nothing for: a row that requires one needs nothing here */
  readonly waives?: readonly Patch[];
}

export const ARCHS: readonly ArchDef[] = [
  {
    name: 'x86_64', machine: 'x86_64', softDirty: true,
    description: 'x86-64, 4-level paging, NX, no PKEYs/SME (arch/x86/include/asm/pgtable_types.h)',
    own: [PATCH.uffdWpPteBit, PATCH.x86VmaLockFault, PATCH.x86SavedDirty, PATCH.x86PmdModifyKeepsDirty, PATCH.x86MovePmd, PATCH.x86MovePud, PATCH.x86SwapL1tf,
      PATCH.x86PtReclaim],
  },
  {
    name: 'arm64', machine: 'aarch64', softDirty: false,
    description: 'arm64, 4 KiB granule, 4 levels, 48-bit VA and PA, FEAT_HAFDBS, no contiguous bit (arch/arm64/include/asm/pgtable*.h)',
    own: [PATCH.arm64MovePmd, PATCH.arm64MovePud, PATCH.arm64VmaLockFault, PATCH.arm64UffdWp],
    standsFor: [[PATCH.x86MovePmd, PATCH.arm64MovePmd], [PATCH.x86MovePud, PATCH.arm64MovePud], [PATCH.x86VmaLockFault, PATCH.arm64VmaLockFault], [PATCH.uffdWpPteBit, PATCH.arm64UffdWp]],
  },
  {
    name: 'loongarch64', machine: 'loongarch64', softDirty: false,
    description: 'LoongArch64, 4 KiB pages, 4 levels (CONFIG_4KB_4LEVEL), software-refilled TLB (arch/loongarch/include/asm/pgtable*.h): pte_mkdirty set the TLB write bit until bf2f34a506e6',
    own: [PATCH.loongarchMkdirtyNeedsWrite, PATCH.loongarchMkwriteNeedsModified],
    // no HAVE_ARCH_USERFAULTFD_WP: rows that require x86's uffd-wp bit need nothing here (the feature is refused)
    waives: [PATCH.uffdWpPteBit],
  },
];

export function archByName(name: string): ArchDef | undefined {
  return ARCHS.find((a) => a.name === name);
}

/** the row that stands on `arch` for the x86 row with this id (the id itself where none does; null when the arch waives it) */
export function archRequirement(arch: ArchName, id: string): string | null {
  const a = archByName(arch);
  for (const [x, mine] of a?.standsFor ?? []) if (x.id === id) return mine.id;
  if (a?.waives?.some((x) => x.id === id)) return null;
  return id;
}

/** the architecture a patch row belongs to, or null when it is common code */
export function archOfPatch(p: Patch): ArchName | null {
  for (const a of ARCHS) if (a.own.includes(p)) return a.name;
  return null;
}

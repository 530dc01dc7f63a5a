// Kernel profiles: a release name resolves to the set of patches landed by then (plus, for the stable
// series we compare against, the backports they carry), and a default configuration.
import { PATCH, PATCH_LIST, Patch, patchById } from './patches.js';
import type { KernelConfig } from './config.js';
import { CONFIG_KEYS, CONFIG_KNOBS, HUGETLB_DEFAULTS, KHUGEPAGED_DEFAULTS, SHMEM_THP_DEFAULTS, parseConfigValue } from './config.js';
import { archByName, archOfPatch, archRequirement, type ArchName } from './arch.js';

/** a kernel to run: a profile with its patches and configuration resolved (resolveKernel) */
export interface KernelSpec {
  /** e.g. "v6.18" or "v4.19-uffd-wp-2018+peterx-2018-pagedirty" */
  name: string;
  /** the profile it was built from, e.g. "v4.19-uffd-wp-2018" */
  profile: string;
  /** the release the profile claims fidelity to (uname -r of the model) */
  release: string;
  patches: ReadonlySet<Patch>;
  config: KernelConfig;
  /** the architecture (src/profiles/arch.ts, src/kernel/arch/arch.ts) */
  arch: ArchName;
  /** what the model does not carry out on this profile's release (ProfileDef.outOfScope) */
  outOfScope: Readonly<Partial<Record<ScopeArea, string>>>;
}

/**
 * Areas of the model a profile may leave out: the operations of the area end the run with
 * `not modelled on <kernel>: <why>` (exit 2) instead of behaving as a newer release would. For the
 * releases older than the 4.19 baseline, where the source was not read far enough to vouch for them.
 */
export type ScopeArea = 'userfaultfd' | 'mremap' | 'khugepaged' | 'migrate' | 'gup-pin' | 'shmem' | 'hugetlb' | 'swap' | 'shmem-collapse';

/**
 * Areas within operations (the kernel asks for them where it takes such a path, through
 * KernelSpec.outOfScope): not a whole operation, so exec.ts's per-operation look-up skips them.
 */
export const PATH_AREAS: ReadonlySet<ScopeArea> = new Set<ScopeArea>(['shmem-collapse']);

/**
 * Paths of the model read at one release only: refused on every profile of an older release (the newer
 * ones have none). Unlike ProfileDef.outOfScope, which the pre-4.19 profiles declare one by one, these
 * follow from the release alone.
 */
const READ_AT: readonly { area: ScopeArea; from: string; why: string }[] = [
  {
    area: 'shmem-collapse', from: 'v6.18',
    // (the kernel names the path in front: "MADV_COLLAPSE of shmem before v6.18 (...)")
    why: 'before v6.18 (hpage_collapse_scan_file, collapse_file, retract_page_tables and collapse_pte_mapped_thp were read at v6.18 only; collapse_pte_mapped_thp took the mmap lock for write before v6.6, among other differences)',
  },
];

/** what the model leaves out on a profile: what it declares, and the paths read at a newer release only */
export function scopeOf(p: Pick<ProfileDef, 'release' | 'outOfScope'>): Readonly<Partial<Record<ScopeArea, string>>> {
  const v = 'v' + p.release;
  const late = READ_AT.filter((r) => !releaseLE(r.from, v));
  if (late.length === 0) return p.outOfScope ?? {};
  const out: Partial<Record<ScopeArea, string>> = { ...(p.outOfScope ?? {}) };
  for (const r of late) out[r.area] ??= r.why;
  return out;
}

export interface ProfileDef {
  name: string;
  /** what the profile claims fidelity to */
  release: string;
  description: string;
  /** every upstream patch whose release is at or below this one */
  upTo: string | null;
  /** patches beyond `upTo` that the modelled tree carries (stable backports, out-of-tree branches) */
  extra: readonly Patch[];
  config: KernelConfig;
  /** the architecture; x86_64 when not given */
  arch?: ArchName;
  outOfScope?: Readonly<Partial<Record<ScopeArea, string>>>;
}

// unprivileged_userfaultfd here is a placeholder: resolveKernel sets the default from the patches
const base419: KernelConfig = {
  soft_dirty: true, thp: 'always', zero_page: true, use_zero_page: true, debug_vm: false, pte_marker_uffd_wp: false,
  unprivileged_userfaultfd: true, ...KHUGEPAGED_DEFAULTS, ...HUGETLB_DEFAULTS, ...SHMEM_THP_DEFAULTS,
};
const modern: KernelConfig = {
  soft_dirty: true, thp: 'madvise', zero_page: true, use_zero_page: true, debug_vm: false, pte_marker_uffd_wp: true,
  unprivileged_userfaultfd: false, ...KHUGEPAGED_DEFAULTS, ...HUGETLB_DEFAULTS, ...SHMEM_THP_DEFAULTS,
};

// ---- releases older than the 4.19 baseline (corpus 19, 21, 22, 23, 28, 29): what each leaves out ----
// The model's code is read from 4.19 and later; a row of the patch table says what an older release lacks.
// What was not read at those releases is refused on them (docs/fidelity.md, "What a profile is").
const OLD_UFFD = 'userfaultfd of 4.3 .. 4.18 (its features, events, ioctls and fault paths before 4.19 were not read; the syscall itself is modelled, ENOSYS before v4.3)';
const oldScope = (uffd: boolean, shmem = uffd, swapLayout = false): Partial<Record<ScopeArea, string>> => ({
  ...(uffd ? { userfaultfd: OLD_UFFD } : {}),
  mremap: 'mremap before 4.19 (move_ptes, move_huge_pmd and their soft-dirty handling were not read at this release; an old_len of 0, which moves nothing, is modelled)',
  khugepaged: 'khugepaged before 4.19 (its scan and collapse rules changed in 4.5 .. 4.18 and were not read at this release)',
  migrate: 'page migration before 4.19 (THP migration came in 4.14; migration entries of this release were not read)',
  'gup-pin': 'pins and vmsplice before 4.19 (get_user_pages(_fast) and FOLL_LONGTERM of this release were not read; /proc/PID/mem is modelled)',
  // oldfile: shmem (tmpfs files, memfd, MAP_SHARED|MAP_ANONYMOUS) was read at v4.9 and v4.14 and is modelled on the
  // v4.7 .. v4.15 profiles; before v4.5 shmem pages were counted as MM_FILEPAGES (eca56ff906bd), not read further
  ...(shmem ? {} : { shmem: 'shared memory, memfd and files before 4.5 (the v3.x profiles were read for private anonymous memory only; MM_SHMEMPAGES came in v4.5)' }),
  hugetlb: 'hugetlb before 4.19 (MAP_HUGETLB, hugetlbfs and its pool were not read at this release)',
  // oldfile: the model has the x86 swap PTE layouts of v3.11 and of v4.19 on (row x86-swap-l1tf); those between are not modelled
  ...(swapLayout ? {} : { swap: 'swap-out (the reclaim operation) on 3.12 .. 4.18: the x86 swap PTE layouts of those releases (NUMA balancing\'s from 3.13, 00839ee3b299 in 4.8) were not read' }),
});
// CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS (Kconfig's default) and soft-dirty compiled in, as on v4.19
const oldConfig: KernelConfig = { ...base419 };
const OLD: readonly ProfileDef[] = [
  {
    // oldfile: corpus 20. 179ef71cbc08 was still under review on linux-mm on 2013-08-07 .. 08-10 (after v3.11-rc4 of
    // 2013-08-04), so every tag up to rc4 has soft-dirty (0f8975ec4db2, rc1) without it; the v3.11 rows are that one
    name: 'v3.11-rc4', release: '3.11.0-rc4', upTo: 'v3.10', extra: [], config: oldConfig, outOfScope: oldScope(false, false, true),
    description: 'Linux 3.11-rc4: soft-dirty without its swap bit (179ef71cbc08 came after rc4): a page swapped out loses soft-dirty (corpus 20)',
  },
  {
    name: 'v3.11', release: '3.11.0', upTo: 'v3.11', extra: [], config: oldConfig, outOfScope: oldScope(false, false, true),
    description: 'Linux 3.11: soft-dirty (0f8975ec4db2), no VM_SOFTDIRTY yet: a new VMA reads clean (corpus 21); no THP (before the v4.5 rework), no userfaultfd',
  },
  {
    name: 'v3.12', release: '3.12.0', upTo: 'v3.12', extra: [], config: oldConfig, outOfScope: oldScope(false),
    description: 'Linux 3.12: VM_SOFTDIRTY on new VMAs (d9104d1ca966, corpus 21)',
  },
  {
    name: 'v3.16', release: '3.16.0', upTo: 'v3.16', extra: [], config: oldConfig, outOfScope: oldScope(false),
    description: 'Linux 3.16: the last release where an address with no page table ignores VM_SOFTDIRTY (corpus 22)',
  },
  {
    name: 'v3.17', release: '3.17.0', upTo: 'v3.17', extra: [], config: oldConfig, outOfScope: oldScope(false),
    description: 'Linux 3.17: page-table holes report VM_SOFTDIRTY (68b5a6524856), those below a VMA too (corpus 23)',
  },
  {
    name: 'v3.18', release: '3.18.0', upTo: 'v3.18', extra: [], config: oldConfig, outOfScope: oldScope(false),
    description: 'Linux 3.18: an unmapped address between VMAs reads clean (81d0fa623c5b, corpus 23)',
  },
  {
    name: 'v4.7', release: '4.7.0', upTo: 'v4.7', extra: [], config: oldConfig, outOfScope: oldScope(true),
    description: 'Linux 4.7: a PMD split drops soft-dirty (corpus 19)',
  },
  {
    name: 'v4.8', release: '4.8.0', upTo: 'v4.8', extra: [], config: oldConfig, outOfScope: oldScope(true),
    description: 'Linux 4.8: a PMD split keeps soft-dirty (804dd150468c, corpus 19; the id unconfirmed); before Dirty COW\'s fix',
  },
  {
    name: 'v4.9', release: '4.9.0', upTo: 'v4.9', extra: [], config: oldConfig, outOfScope: oldScope(true),
    description: 'Linux 4.9: FOLL_COW (19be0eaffa3a); a FOLL_FORCE write into a read-only THP loops for ever (corpus 29)',
  },
  {
    name: 'v4.10', release: '4.10.0', upTo: 'v4.10', extra: [], config: oldConfig, outOfScope: oldScope(true),
    description: 'Linux 4.10: can_follow_write_pmd (8310d48b125d, corpus 29); touch_pmd still dirties on every GUP (corpus 28)',
  },
  {
    name: 'v4.14', release: '4.14.0', upTo: 'v4.14', extra: [], config: oldConfig, outOfScope: oldScope(true),
    description: 'Linux 4.14: the last release where touch_pmd dirties a huge PMD on a read GUP (Huge Dirty COW, corpus 28)',
  },
  {
    name: 'v4.15', release: '4.15.0', upTo: 'v4.15', extra: [], config: oldConfig, outOfScope: oldScope(true),
    description: 'Linux 4.15: touch_pmd dirties only for FOLL_WRITE (a8f97366452e, corpus 28)',
  },
];

export const PROFILES: readonly ProfileDef[] = [
  ...OLD,
  {
    name: 'v4.19', release: '4.19.0', upTo: 'v4.19', extra: [], config: base419,
    description: 'Linux 4.19: no userfaultfd write-protect',
  },
  {
    name: 'v4.19-uffd-wp-2018', release: '4.19.0-rc2+', upTo: 'v4.19', extra: [PATCH.uffdWp2018Branch],
    config: { ...base419, debug_vm: true },
    description: "4.19-rc2 plus Andrea Arcangeli's 2018 userfault write-protect branch, as Peter Xu ran it in the seed thread (CONFIG_DEBUG_VM=y)",
  },
  {
    name: 'v5.7', release: '5.7.0', upTo: 'v5.7', extra: [], config: { ...modern, pte_marker_uffd_wp: false },
    description: 'Linux 5.7: uffd-wp upstream (per-PTE _PAGE_UFFD_WP), unlimited fault retries',
  },
  // ---- release profiles for the bug corpus: each bug of it shown on the last release before its fix and the
  // first after (docs/fidelity.md says which bugs each pair is for). PTE markers (CONFIG_PTE_MARKER_UFFD_WP) exist
  // from v5.19 on; before, the option does not exist (config false).
  {
    name: 'v5.8', release: '5.8.0', upTo: 'v5.8', extra: [], config: { ...modern, pte_marker_uffd_wp: false },
    description: 'Linux 5.8: THP COW splits the PMD (3917c80280c9); the first release after "COW can break either way" (17839856fd58, corpus 31)',
  },
  {
    name: 'v5.9', release: '5.9.0', upTo: 'v5.9', extra: [], config: { ...modern, pte_marker_uffd_wp: false },
    description: 'Linux 5.9: page_count-based COW reuse (09854ba94c6a) and early COW of pinned pages at fork (70e806e4e645, corpus 32)',
  },
  {
    name: 'v5.13', release: '5.13.0', upTo: 'v5.13', extra: [], config: { ...modern, pte_marker_uffd_wp: false },
    description: 'Linux 5.13: the last release where fork tests the parent\'s VMA for uffd-wp and rebuilds a huge zero PMD (corpus 9)',
  },
  {
    name: 'v5.14', release: '5.14.0', upTo: 'v5.14', extra: [], config: { ...modern, pte_marker_uffd_wp: false },
    description: 'Linux 5.14: fork\'s uffd-wp special cases fixed (8f34f1eac382, 5fc7a5f6fd04), pagemap PM_UFFD_WP, MADV_POPULATE',
  },
  {
    name: 'v5.17', release: '5.17.0', upTo: 'v5.17', extra: [], config: { ...modern, pte_marker_uffd_wp: false },
    description: 'Linux 5.17: the last release where reclaim discards a clean MADV_FREE page that direct I/O still holds (corpus 37, fixed by 6c8e2a256915)',
  },
  {
    name: 'v5.18', release: '5.18.0', upTo: 'v5.18', extra: [], config: { ...modern, pte_marker_uffd_wp: false },
    description: 'Linux 5.18: the last release before PG_anon_exclusive, PTE markers and the swapoff bit fix (corpus 24, 33)',
  },
  {
    name: 'v5.19', release: '5.19.0', upTo: 'v5.19', extra: [], config: modern,
    description: 'Linux 5.19: PG_anon_exclusive and GUP unsharing, PTE markers (CONFIG_PTE_MARKER_UFFD_WP=y), uffd-wp on shmem',
  },
  {
    name: 'v6.0', release: '6.0.0', upTo: 'v6.0', extra: [], config: modern,
    description: 'Linux 6.0: can_change_pte_writable() and its soft-dirty fix (76aefad628aa), FOLL_FORCE needs an exclusive anon page (5535be309971)',
  },
  {
    // oldrel: corpus 1 on a real tree. 0ccf7f168e17 came with the v6.1 merge window and was taken partly back by
    // 624a2c94f5b7 after rc4; the other v6.1 rows of the table are of the merge window too
    name: 'v6.1-rc1', release: '6.1.0-rc1', upTo: 'v6.0',
    extra: [PATCH.thpSplitCarriesDirty, PATCH.migrationKeepsYoungDirty, PATCH.madvCollapse, PATCH.uffdDevNode,
      // device: f7091ed64ec8 came with the mm pull of the v6.1 merge window (corpus 38), and ca3d76b0aa80 with it
      PATCH.followPageNonLruPut, PATCH.mremapMergeAfterResize],
    config: modern,
    description: 'Linux 6.1-rc1: split PTEs carry the PMD\'s dirty bit (0ccf7f168e17), before the partial revert of rc5 (624a2c94f5b7; corpus 1)',
  },
  {
    name: 'v6.1', release: '6.1.0', upTo: 'v6.1', extra: [], config: modern,
    description: 'Linux 6.1 (the split carries no dirty bit after the partial revert)',
  },
  {
    name: 'v6.2', release: '6.2.0', upTo: 'v6.2', extra: [], config: modern,
    description: 'Linux 6.2: the last release where migrating a THP drops its uffd-wp bit (corpus 10, fixed by 24bf08c43760)',
  },
  {
    name: 'v6.3', release: '6.3.0', upTo: 'v6.3', extra: [], config: modern,
    description: 'Linux 6.3: PMD migration entries keep uffd-wp and take UFFDIO_WRITEPROTECT (24bf08c43760, corpus 10)',
  },
  {
    name: 'v6.4', release: '6.4.0', upTo: 'v6.4', extra: [], config: modern,
    description: 'Linux 6.4: vma_merge() case 3 adjusts vm_pgoff again (7e7757876f25, corpus 35)',
  },
  {
    name: 'v6.6', release: '6.6.0', upTo: 'v6.6', extra: [], config: modern,
    description: 'Linux 6.6: saved-dirty bit 58, VMA-lock faults, eager write upgrade on un-protect',
  },
  {
    name: 'v6.7-rc4', release: '6.7.0-rc4', upTo: 'v6.6',
    extra: [PATCH.uffdWpAsync, PATCH.pagemapScan, PATCH.mprotectUnaccountUnfaulted, PATCH.mremapRealign,
      // e8e17ee90eaf came with the same mm pull of the v6.7 merge window as PAGEMAP_SCAN
      PATCH.vmaSharedMaywrite],
    config: modern,
    description: 'Linux 6.7-rc4: PAGEMAP_SCAN and UFFD_FEATURE_WP_ASYNC from the merge window, before the two PAGEMAP_SCAN fixes of rc5 (corpus 15, 16)',
  },
  {
    name: 'v6.7', release: '6.7.0', upTo: 'v6.7', extra: [], config: modern,
    description: 'Linux 6.7: PAGEMAP_SCAN with the rc5 fixes (0dff1b407def, 4980e837cab7), the VMA-lock retry counted as major',
  },
  {
    name: 'v6.8', release: '6.8.0', upTo: 'v6.8', extra: [], config: modern,
    description: 'Linux 6.8: UFFDIO_MOVE; the last release before the PAGEMAP_SCAN swap-entry fix (corpus 17, 26)',
  },
  {
    name: 'v6.9', release: '6.9.0', upTo: 'v6.9', extra: [], config: modern,
    description: 'Linux 6.9: PAGEMAP_SCAN reads uffd-wp of swap entries right (2c7ad9a590d1), batched zap of PTE-mapped THPs',
  },
  // shmthp: corpus 18 (PM_FILE and per-page PM_MMAP_EXCLUSIVE of PMD-mapped file THPs, 3f9f022e975d and
  // 2c1f057e5be6, the v6.11 merge window)
  {
    name: 'v6.10', release: '6.10.0', upTo: 'v6.10', extra: [], config: modern,
    description: 'Linux 6.10: the last release where pagemap reports a PMD-mapped shmem THP without PM_FILE, and PM_MMAP_EXCLUSIVE by its head page (corpus 18)',
  },
  {
    name: 'v6.11', release: '6.11.0', upTo: 'v6.11', extra: [], config: modern,
    description: 'Linux 6.11: PM_FILE for PMD-mapped file THPs (3f9f022e975d) and PM_MMAP_EXCLUSIVE per page of a PMD-mapped THP (2c1f057e5be6)',
  },
  {
    name: 'v6.12', release: '6.12.117', upTo: 'v6.12',
    extra: [PATCH.x86PmdModifyKeepsDirty, PATCH.pagemapScanNoneWritten, PATCH.thpSplitZeropageKeepsWp, PATCH.uffdReleaseRetry, PATCH.uffdMoveSoftDirty,
      PATCH.uffdEagainOutput, PATCH.uffdBelowMmapMinAddr, PATCH.mremapClearUffdWp, PATCH.pagemapScanHugeZeroPfnzero,
      // Cc: stable, taken by 6.16.10 with no change; no 6.12 review mail was found (docs/fidelity.md)
      PATCH.pagemapScanVecBufNull],
    config: modern,
    description: 'Linux 6.12 stable as of 6.12.117 (Debian 12 backports), with the stable fixes it carries',
  },
  {
    name: 'v6.18', release: '6.18.44', upTo: 'v6.18', extra: [PATCH.x86PmdModifyKeepsDirty, PATCH.pagemapScanNoneWritten, PATCH.uffdMoveHugeZeroPmdKeep,
      PATCH.uffdBelowMmapMinAddr,
      // the VM_MAYBE_GUARD series, taken by 6.18.y after the 2026-06-25 review (smaps shows "gu" here)
      PATCH.guardVmaFlag],
    config: { ...modern, soft_dirty: false },
    description: 'Linux 6.18 stable as of 6.18.44, configured like this machine (soft-dirty compiled out, THP madvise)',
  },
  // ---- other architectures (src/profiles/arch.ts; docs/arch.md) -------------------------------------
  {
    name: 'v6.18-arm64', release: '6.18.44', upTo: 'v6.18', arch: 'arm64',
    extra: [PATCH.pagemapScanNoneWritten, PATCH.uffdMoveHugeZeroPmdKeep, PATCH.uffdBelowMmapMinAddr, PATCH.guardVmaFlag],
    config: { ...modern, soft_dirty: false },
    description: 'Linux 6.18 stable as of 6.18.44 on arm64 (4 KiB granule, 4 levels, FEAT_HAFDBS): uffd-wp in PTE bit 58, no soft-dirty',
  },
  // loongarch64 with 4 KiB pages: pte_mkdirty made entries writable until bf2f34a506e6 (v6.1), corpus 2 and 3
  {
    name: 'v6.0-loongarch64', release: '6.0.0', upTo: 'v6.0', arch: 'loongarch64', extra: [],
    config: { ...modern, soft_dirty: false, pte_marker_uffd_wp: false },
    description: 'Linux 6.0 on loongarch64 (4 KiB pages, 4 levels): pte_mkdirty sets the TLB write bit; UFFDIO_COPY into a read-only VMA maps a writable page (corpus 3)',
  },
  {
    name: 'v6.1-rc3-loongarch64', release: '6.1.0-rc3', upTo: 'v6.0', arch: 'loongarch64',
    extra: [PATCH.thpSplitCarriesDirty, PATCH.migrationKeepsYoungDirty, PATCH.madvCollapse, PATCH.uffdDevNode,
      // device: f7091ed64ec8 came with the mm pull of the v6.1 merge window (corpus 38), and ca3d76b0aa80 with it
      PATCH.followPageNonLruPut, PATCH.mremapMergeAfterResize],
    config: { ...modern, soft_dirty: false, pte_marker_uffd_wp: false },
    description: 'Linux 6.1-rc3 on loongarch64: the PMD split carries the dirty bit (0ccf7f168e17) and pte_mkdirty still makes the PTEs writable (corpus 2)',
  },
  {
    name: 'v6.1-loongarch64', release: '6.1.0', upTo: 'v6.1', arch: 'loongarch64', extra: [],
    config: { ...modern, soft_dirty: false, pte_marker_uffd_wp: false },
    description: 'Linux 6.1 on loongarch64: bf2f34a506e6 and 54e6cd42a183 (and the partial revert 624a2c94f5b7)',
  },
];

/** "v6.1" -> [6, 1]; releases that are not vX.Y sort after every version */
export function releaseKey(r: string): [number, number] | null {
  const m = /^v(\d+)\.(\d+)/.exec(r);
  return m ? [Number(m[1]), Number(m[2])] : null;
}
export function releaseLE(a: string, b: string): boolean {
  const x = releaseKey(a), y = releaseKey(b);
  if (!x || !y) return false;
  return x[0] < y[0] || (x[0] === y[0] && x[1] <= y[1]);
}

export function profileByName(name: string): ProfileDef | undefined {
  return PROFILES.find((p) => p.name === name);
}

export function profilePatches(p: ProfileDef): Set<Patch> {
  const s = new Set<Patch>();
  const arch = p.arch ?? 'x86_64';
  // a row of one architecture only goes into that architecture's profiles
  const mine = (x: Patch) => { const a = archOfPatch(x); return a === null || a === arch; };
  if (p.upTo) for (const x of PATCH_LIST) if (x.kind === 'upstream' && releaseLE(x.release, p.upTo) && mine(x)) s.add(x);
  for (const x of p.extra) s.add(x);
  return s;
}

export class SpecError extends Error {}

/** does kernel `spec` have the sysfs or sysctl file of config knob `key`? (CONFIG_KNOBS[key].since) */
export function hasKnob(spec: KernelSpec, key: keyof KernelConfig): boolean {
  const since = CONFIG_KNOBS[key].since;
  return since === undefined || [...spec.patches].some((p) => p.id === since);
}

/** a config override of a knob whose file the kernel does not have (CONFIG_KNOBS[key].since) */
export class MissingKnobError extends SpecError {
  constructor(readonly key: string, message: string) {
    super(message);
  }
}

/**
 * Resolve "v4.19-uffd-wp-2018+peterx-2018-pagedirty-x86-saved-dirty" style specs, plus --patch edits
 * ("+a,-b") and --config overrides ("thp=always,soft_dirty=n").
 */
export function resolveKernel(spec: string, patchEdits: string[] = [], configEdits: string[] = []): KernelSpec {
  const names = PROFILES.map((p) => p.name).sort((a, b) => b.length - a.length);
  const baseName = names.find((n) => spec === n || spec.startsWith(n + '+') || spec.startsWith(n + '-'));
  if (!baseName) {
    throw new SpecError(`unknown kernel profile '${spec}'; known: ${PROFILES.map((p) => p.name).join(', ')}`);
  }
  const prof = profileByName(baseName)!;
  const patches = profilePatches(prof);
  const edits: string[] = [];
  const rest = spec.slice(baseName.length);
  // split "+a+b-c" into signed ids; ids contain '-', so split only on a sign that starts a known id
  let i = 0;
  while (i < rest.length) {
    const sign = rest[i]!;
    let j = i + 1;
    let found = '';
    for (let e = rest.length; e > j; e--) {
      if (patchById(rest.slice(j, e)) && (e === rest.length || rest[e] === '+' || rest[e] === '-')) {
        found = rest.slice(j, e);
        break;
      }
    }
    if (!found) throw new SpecError(`cannot read patch list '${rest.slice(i)}' in kernel '${spec}'`);
    edits.push(sign + found);
    i = j + found.length;
  }
  for (const e of patchEdits) for (const part of e.split(',').map((x) => x.trim()).filter(Boolean)) edits.push(part);
  for (const e of edits) {
    const sign = e[0];
    const id = sign === '+' || sign === '-' ? e.slice(1) : e;
    const p = patchById(id);
    if (!p) throw new SpecError(`unknown patch '${id}' (see: mmsim kernels)`);
    const pa = archOfPatch(p), ka = prof.arch ?? 'x86_64';
    if (sign !== '-' && pa !== null && pa !== ka) throw new SpecError(`patch '${p.id}' is an ${pa} row; kernel '${spec}' is ${ka}`);
    if (sign === '-') patches.delete(p);
    else patches.add(p);
  }
  for (const p of patches) {
    for (const r0 of p.requires ?? []) {
      const r = archRequirement(prof.arch ?? 'x86_64', r0);
      if (r !== null && ![...patches].some((q) => q.id === r)) throw new SpecError(`patch '${p.id}' needs '${r}', which kernel '${spec}' does not have`);
    }
  }
  const config: KernelConfig = { ...prof.config };
  // vm.unprivileged_userfaultfd's compiled-in default follows the patches: 1 from cefdca0a86be, 0 from d0d4730ac2e4
  config.unprivileged_userfaultfd = !patches.has(PATCH.uffdSysctlUserModeOnly);
  const fixed: KernelConfig = { ...config };
  for (const e of configEdits) {
    for (const kv of e.split(',').map((x) => x.trim()).filter(Boolean)) {
      const m = /^([a-z_]+)=(.+)$/.exec(kv);
      if (!m) throw new SpecError(`config override '${kv}' is not key=value`);
      const key = m[1] as keyof KernelConfig;
      if (!CONFIG_KEYS.includes(key)) throw new SpecError(`unknown config key '${m[1]}'; known: ${CONFIG_KEYS.join(', ')}`);
      const v = parseConfigValue(key, m[2]!);
      if (v === undefined) throw new SpecError(`bad value '${m[2]}' for config ${key}`);
      (config as unknown as Record<string, unknown>)[key] = v;
    }
  }
  // a knob whose file this kernel lacks keeps the profile's value (what the kernel does without the file)
  for (const key of CONFIG_KEYS) {
    const since = CONFIG_KNOBS[key].since;
    if (since === undefined || config[key] === fixed[key] || [...patches].some((p) => p.id === since)) continue;
    const row = patchById(since)!;
    const text = (v: unknown) => (v === true ? 'y' : v === false ? 'n' : String(v));
    throw new MissingKnobError(key, `config ${key}=${text(config[key])}: kernel '${spec}' has no ${CONFIG_KNOBS[key].title.split(' ')[0]} ` +
      `(it came with ${row.commit} "${row.subject}", ${row.release}); without it the kernel behaves as ${key}=${text(fixed[key])}`);
  }
  const archDef = archByName(prof.arch ?? 'x86_64')!;
  if (config.soft_dirty && !archDef.softDirty) {
    throw new SpecError(`config soft_dirty=y: ${archDef.name} has no soft-dirty bit (no HAVE_ARCH_SOFT_DIRTY, so no CONFIG_MEM_SOFT_DIRTY)`);
  }
  const editsStr = patchEdits.length ? edits.filter((x) => !rest.includes(x)).join('') : '';
  return { name: spec + editsStr, profile: prof.name, release: prof.release, patches, config, arch: archDef.name, outOfScope: scopeOf(prof) };
}

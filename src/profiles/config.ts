// Kernel configuration and sysfs settings that change behaviour. A profile gives defaults; a user
// can override them (--config thp=always,soft_dirty=n).

export type ThpMode = 'always' | 'madvise' | 'never';
/** /sys/kernel/mm/transparent_hugepage/shmem_enabled (mm/shmem.c shmem_parse_huge @v6.18) */
export type ShmemHugeMode = 'never' | 'always' | 'within_size' | 'advise' | 'deny' | 'force';

export interface KernelConfig {
  /** CONFIG_MEM_SOFT_DIRTY */
  soft_dirty: boolean;
  /** /sys/kernel/mm/transparent_hugepage/enabled */
  thp: ThpMode;
  /**
   * the shared zero pages may be mapped: false models a kernel whose mm_forbids_zeropage() holds for
   * every mm (s390 KVM hosts; some vendor builds), where a read fault allocates a page of its own
   */
  zero_page: boolean;
  /** /sys/kernel/mm/transparent_hugepage/use_zero_page (the huge zero page; only where zero_page holds) */
  use_zero_page: boolean;
  /** CONFIG_DEBUG_VM (handle_userfault prints "FAULT_FLAG_ALLOW_RETRY missing") */
  debug_vm: boolean;
  /** CONFIG_PTE_MARKER_UFFD_WP */
  pte_marker_uffd_wp: boolean;
  /** /proc/sys/vm/unprivileged_userfaultfd */
  unprivileged_userfaultfd: boolean;
  /**
   * /sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none, max_ptes_swap, max_ptes_shared: how
   * many none (or zero-page) PTEs, swap PTEs and pages mapped more than once a block may have for
   * khugepaged to collapse it (defaults HPAGE_PMD_NR - 1, HPAGE_PMD_NR / 8, HPAGE_PMD_NR / 2; MADV_COLLAPSE
   * ignores them)
   */
  max_ptes_none: number;
  max_ptes_swap: number;
  max_ptes_shared: number;
  /**
   * /proc/sys/vm/nr_hugepages: the 2 MiB huge pages of the hugetlb pool when the scenario starts (all free;
   * vm.nr_overcommit_hugepages is 0, so no surplus page is ever made). `mmsim host` sets the pool to this
   * many pages for the run and gives the previous value back afterwards
   */
  nr_hugepages: number;
  /**
   * /sys/kernel/mm/transparent_hugepage/shmem_enabled: PMD-sized folios in the page cache of the internal
   * shm mount (memfds, MAP_SHARED|MAP_ANONYMOUS) per its huge= policy; deny and force override every mount
   * (the model's tmpfs files are on a mount with huge=never). Default never, as the kernel boots. `mmsim
   * host` sets the host's value to the scenario's for the run and gives the previous one back afterwards
   */
  shmem_enabled: ShmemHugeMode;
}

/** the khugepaged knobs' defaults (mm/khugepaged.c khugepaged_init @v5.8..v6.18), for every profile */
export const KHUGEPAGED_DEFAULTS = { max_ptes_none: 511, max_ptes_swap: 64, max_ptes_shared: 256 } as const;
/** vm.nr_hugepages of every profile: an empty pool, as a kernel booted without hugepages= */
export const HUGETLB_DEFAULTS = { nr_hugepages: 0 } as const;
/** shmem_enabled of every profile: never (shmem_huge's initial SHMEM_HUGE_NEVER; no transparent_hugepage_shmem= on the command line) */
export const SHMEM_THP_DEFAULTS = { shmem_enabled: 'never' } as const;

/** what values a config knob takes: y/n, one of a few words, or a whole number in a range */
export type ConfigKnob = (
  | { kind: 'bool'; title: string }
  | { kind: 'enum'; values: readonly string[]; title: string }
  | { kind: 'number'; min: number; max: number; title: string }
) & {
  /**
   * the patch row (its id) that brought the sysfs or sysctl file: a kernel without it has no such file, so
   * an override that changes the knob there is refused (src/profiles/profiles.ts resolveKernel); the
   * profile's own value stands for what that kernel does without the file
   */
  since?: string;
};

/**
 * every knob's values and what it is (the page draws a control for each from this; parseConfigValue
 * checks against it). The numeric ones stop at 511: max_ptes_*_store refuses more than HPAGE_PMD_NR - 1.
 */
export const CONFIG_KNOBS: { readonly [K in keyof KernelConfig]: ConfigKnob } = {
  soft_dirty: { kind: 'bool', title: 'CONFIG_MEM_SOFT_DIRTY' },
  thp: { kind: 'enum', values: ['always', 'madvise', 'never'], title: '/sys/kernel/mm/transparent_hugepage/enabled' },
  zero_page: { kind: 'bool', title: 'the shared zero pages may be mapped (n: mm_forbids_zeropage() holds, a read fault allocates a page)' },
  use_zero_page: { kind: 'bool', title: '/sys/kernel/mm/transparent_hugepage/use_zero_page (the huge zero page; only where zero_page holds)' },
  debug_vm: { kind: 'bool', title: 'CONFIG_DEBUG_VM' },
  pte_marker_uffd_wp: { kind: 'bool', title: 'CONFIG_PTE_MARKER_UFFD_WP' },
  unprivileged_userfaultfd: { kind: 'bool', title: '/proc/sys/vm/unprivileged_userfaultfd', since: 'uffd-sysctl-unprivileged' },
  max_ptes_none: { kind: 'number', min: 0, max: 511, title: '/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none' },
  max_ptes_swap: { kind: 'number', min: 0, max: 511, title: '/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_swap' },
  max_ptes_shared: { kind: 'number', min: 0, max: 511, title: '/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_shared', since: 'khugepaged-max-ptes-shared' },
  nr_hugepages: { kind: 'number', min: 0, max: 1024, title: '/proc/sys/vm/nr_hugepages (2 MiB pages in the hugetlb pool)' },
  shmem_enabled: { kind: 'enum', values: ['never', 'always', 'within_size', 'advise', 'deny', 'force'], title: '/sys/kernel/mm/transparent_hugepage/shmem_enabled (PMD-sized folios of memfds and shared anonymous memory)', since: 'shmem-huge' },
};

export const CONFIG_KEYS: ReadonlyArray<keyof KernelConfig> = [
  'soft_dirty', 'thp', 'zero_page', 'use_zero_page', 'debug_vm', 'pte_marker_uffd_wp', 'unprivileged_userfaultfd',
  'max_ptes_none', 'max_ptes_swap', 'max_ptes_shared', 'nr_hugepages', 'shmem_enabled',
];

export function parseConfigValue(key: keyof KernelConfig, raw: string): KernelConfig[typeof key] | undefined {
  const knob = CONFIG_KNOBS[key];
  if (knob.kind === 'enum') return knob.values.includes(raw) ? (raw as ThpMode & ShmemHugeMode) : undefined;
  if (knob.kind === 'number') {
    if (!/^\d+$/.test(raw)) return undefined;
    const n = Number(raw);
    return n >= knob.min && n <= knob.max ? n : undefined;
  }
  if (/^(y|yes|1|true|on)$/i.test(raw)) return true;
  if (/^(n|no|0|false|off)$/i.test(raw)) return false;
  return undefined;
}

/** the configuration as `--config` takes it: `soft_dirty=y,thp=madvise,...` (every key, in CONFIG_KEYS order) */
export function formatConfig(c: KernelConfig): string {
  return CONFIG_KEYS.map((k) => {
    const v = c[k];
    return `${k}=${typeof v === 'boolean' ? (v ? 'y' : 'n') : String(v)}`;
  }).join(',');
}

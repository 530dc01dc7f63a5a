// Kernel configuration and sysfs settings that change behaviour. A profile gives defaults; a user
// can override them (--config thp=always,soft_dirty=n).

export type ThpMode = 'always' | 'madvise' | 'never';

export interface KernelConfig {
  /** CONFIG_MEM_SOFT_DIRTY */
  soft_dirty: boolean;
  /** /sys/kernel/mm/transparent_hugepage/enabled */
  thp: ThpMode;
  /** /sys/kernel/mm/transparent_hugepage/use_zero_page */
  use_zero_page: boolean;
  /** CONFIG_DEBUG_VM (handle_userfault prints "FAULT_FLAG_ALLOW_RETRY missing") */
  debug_vm: boolean;
  /** CONFIG_PTE_MARKER_UFFD_WP */
  pte_marker_uffd_wp: boolean;
  /** /proc/sys/vm/unprivileged_userfaultfd */
  unprivileged_userfaultfd: boolean;
}

export const CONFIG_KEYS: ReadonlyArray<keyof KernelConfig> = [
  'soft_dirty', 'thp', 'use_zero_page', 'debug_vm', 'pte_marker_uffd_wp', 'unprivileged_userfaultfd',
];

export function parseConfigValue(key: keyof KernelConfig, raw: string): KernelConfig[typeof key] | undefined {
  if (key === 'thp') return raw === 'always' || raw === 'madvise' || raw === 'never' ? raw : undefined;
  if (/^(y|yes|1|true|on)$/i.test(raw)) return true;
  if (/^(n|no|0|false|off)$/i.test(raw)) return false;
  return undefined;
}

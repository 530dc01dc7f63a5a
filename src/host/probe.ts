// What this machine's kernel offers (`mmsim host --probe`), and the model profile and configuration a
// comparison with it uses.
import { runExecutor, HostError } from './executor.js';
import { PROFILES, resolveKernel, releaseKey } from '../profiles/profiles.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { UFFD_FEATURE } from '../kernel/include/uapi.js';

export interface HostCaps {
  release: string;
  root: boolean;
  thp: 'always' | 'madvise' | 'never' | 'none';
  use_zero_page: boolean;
  unprivileged_userfaultfd: boolean;
  uffd_syscall: boolean;
  uffd_dev: boolean;
  uffd_user_mode_only: boolean;
  /** UFFDIO_API features, hex */
  uffd_features: string;
  uffd_api_ioctls: string;
  pagemap_scan: boolean;
  /** pagemap shows PFNs (root) */
  pfn: boolean;
  /** /proc/kpageflags is readable */
  kpageflags: boolean;
  /** clear_refs 4 + a write sets pagemap bit 55 (CONFIG_MEM_SOFT_DIRTY) */
  soft_dirty: boolean;
  /** /sys/kernel/debug/split_huge_pages is writable (debugfs mounted) */
  split_huge_pages: boolean;
  /** /proc/sys/vm/nr_hugepages (-1: unreadable) */
  nr_hugepages?: number;
}

let cached: HostCaps | null = null;

export async function probeHost(): Promise<HostCaps> {
  if (cached) return cached;
  if (process.platform !== 'linux') throw new HostError(`the host executor needs Linux, this is ${process.platform}`);
  const r = await runExecutor(['--probe'], '', 10_000);
  if (r.kind !== 'exit' || r.code !== 0) throw new HostError(`the executor's probe failed (${r.kind === 'exit' ? `exit ${r.code}` : r.kind}): ${r.stderr.trim()}`);
  cached = JSON.parse(r.stdout) as HostCaps;
  return cached;
}

/** "6.18.44-fc-v782" -> "v6.18" */
export function releaseProfileName(release: string): string {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? `v${m[1]}.${m[2]}` : release;
}

/**
 * The model profile for this kernel: the profile of its release, or else the newest profile at or below
 * it (with a note), and the configuration the probe found.
 */
export function hostSpec(caps: HostCaps): { spec: KernelSpec; note: string | null } {
  const want = releaseProfileName(caps.release);
  const key = releaseKey(want);
  let profile = PROFILES.find((p) => p.name === want)?.name ?? null;
  let note: string | null = null;
  if (!profile && key) {
    const older = PROFILES.filter((p) => {
      const k = releaseKey(p.name);
      return k && /^v\d+\.\d+$/.test(p.name) && (k[0] < key[0] || (k[0] === key[0] && k[1] <= key[1]));
    });
    profile = older.at(-1)?.name ?? null;
    if (profile) note = `no model profile for Linux ${caps.release}; comparing with ${profile}`;
  }
  if (!profile) throw new HostError(`no model profile for Linux ${caps.release}`);
  const features = Number(BigInt(caps.uffd_features));
  const config = [
    `soft_dirty=${caps.soft_dirty ? 'y' : 'n'}`,
    `thp=${caps.thp === 'none' ? 'never' : caps.thp}`,
    `use_zero_page=${caps.use_zero_page ? 'y' : 'n'}`,
    `unprivileged_userfaultfd=${caps.unprivileged_userfaultfd ? 'y' : 'n'}`,
    `pte_marker_uffd_wp=${features & UFFD_FEATURE.wp_unpopulated ? 'y' : 'n'}`,
  ];
  return { spec: resolveKernel(profile, [], config), note };
}

export function formatCaps(c: HostCaps): string[] {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const features = BigInt(c.uffd_features);
  const names = Object.entries(UFFD_FEATURE).filter(([, bit]) => features & BigInt(bit)).map(([n]) => n);
  return [
    `kernel             ${c.release}`,
    `root               ${yes(c.root)}  (PFNs in pagemap: ${yes(c.pfn)}, /proc/kpageflags: ${yes(c.kpageflags)})`,
    `THP                ${c.thp} (use_zero_page ${c.use_zero_page ? 1 : 0})`,
    `soft-dirty         ${c.soft_dirty ? 'works' : 'not available (CONFIG_MEM_SOFT_DIRTY off)'}`,
    `userfaultfd        syscall ${yes(c.uffd_syscall)}, /dev/userfaultfd ${yes(c.uffd_dev)}, UFFD_USER_MODE_ONLY ${yes(c.uffd_user_mode_only)}; vm.unprivileged_userfaultfd=${c.unprivileged_userfaultfd ? 1 : 0}`,
    `UFFDIO_API         features ${c.uffd_features} (${names.join(' ') || 'none'}), ioctls ${c.uffd_api_ioctls}`,
    `PAGEMAP_SCAN       ${yes(c.pagemap_scan)}`,
    `split_huge_pages   ${c.split_huge_pages ? 'yes' : 'no (debugfs not mounted)'}`,
  ];
}

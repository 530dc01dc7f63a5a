// What this machine's kernel offers (`mmsim host --probe`), and the model profile and configuration a
// comparison with it uses.
import { runExecutor, HostError } from './executor.js';
import { PROFILES, resolveKernel, releaseKey } from '../profiles/profiles.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { formatConfig, parseConfigValue } from '../profiles/config.js';
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
  /** an io_uring fixed buffer could be registered (the host's long-term pins); else the errno it got */
  io_uring_buffers?: boolean;
  io_uring_errno?: number;
  /** /proc/sys/vm/nr_hugepages (-1: unreadable) */
  nr_hugepages?: number;
  // ---- what the kernel was seen to do (native/mmsim-exec.c probe_behaviour) ----
  /** a read fault of untouched 4 KiB memory mapped the shared zero page, or a page of its own */
  read_fault_maps?: PageKind;
  read_fault_pagemap?: string;
  read_fault_kpageflags?: string | null;
  /** a read fault of a MADV_HUGEPAGE range */
  thp_read_fault_maps?: PageKind | 'huge_zero_page' | 'thp';
  thp_read_fault_pagemap?: string;
  thp_read_fault_kpageflags?: string | null;
  /** whether a write fault got a THP, in a MADV_HUGEPAGE range and in a plain one (null: not measurable) */
  thp_write_fault?: { madvised: boolean | null; plain: boolean | null };
  /** what UFFDIO_ZEROPAGE mapped */
  uffd_zeropage_maps?: PageKind;
  /** MADV_GUARD_INSTALL works and shows pagemap bit 58 (null: could not tell) */
  guard_regions?: boolean | null;
  thp_defrag?: string;
  shmem_enabled?: string;
  max_ptes_none?: number;
  khugepaged_defrag?: number;
  /** what mbind(MPOL_LOCAL, MPOL_MF_MOVE) did to a written page: 'moved' (new PFN, data kept), 'stayed', 'errno N', 'unknown' */
  mbind_migrate?: string;
}

/** what a probed page was: the shared zero page, a page of its own, nothing, or not measurable */
export type PageKind = 'zero' | 'page' | 'none' | 'unknown';

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

/** the model configuration that behaves as the probed kernel did, with a line per knob saying why */
export function measuredConfig(caps: HostCaps): { config: string[]; why: string[] } {
  const features = Number(BigInt(caps.uffd_features));
  const why: string[] = [];
  // the zero page: what a read fault did, else (an old executor) assume it is allowed
  const zero = caps.read_fault_maps === undefined || caps.read_fault_maps === 'unknown' ? true : caps.read_fault_maps === 'zero';
  if (caps.read_fault_maps !== undefined) {
    why.push(`zero_page=${zero ? 'y' : 'n'}: a read fault of untouched memory mapped ${caps.read_fault_maps === 'zero' ? 'the shared zero page' : `a page of its own (pagemap ${caps.read_fault_pagemap}; mm_forbids_zeropage() holds)`}`);
  }
  // THP: which write faults got a THP; sysfs only where that could not be seen
  let thp: string = caps.thp === 'none' ? 'never' : caps.thp;
  const w = caps.thp_write_fault;
  if (w && w.madvised !== null && w.plain !== null) {
    const seen = w.plain ? 'always' : w.madvised ? 'madvise' : 'never';
    why.push(`thp=${seen}: a write fault got a THP ${w.plain ? 'with and without MADV_HUGEPAGE' : w.madvised ? 'only with MADV_HUGEPAGE' : 'in neither range'}${seen !== thp ? ` (sysfs says ${caps.thp})` : ''}`);
    thp = seen;
  }
  // the huge zero page: what a read fault of a MADV_HUGEPAGE range did, where the zero page is allowed
  let huge = caps.use_zero_page;
  const t = caps.thp_read_fault_maps;
  if (zero && t && t !== 'unknown' && thp !== 'never') {
    huge = t === 'huge_zero_page';
    why.push(`use_zero_page=${huge ? 'y' : 'n'}: a read fault of a MADV_HUGEPAGE range mapped ${t === 'huge_zero_page' ? 'the huge zero page' : t === 'thp' ? 'a THP' : t}${huge !== caps.use_zero_page ? ` (sysfs says ${caps.use_zero_page ? 1 : 0})` : ''}`);
  }
  const config = [
    `soft_dirty=${caps.soft_dirty ? 'y' : 'n'}`,
    `thp=${thp}`,
    `zero_page=${zero ? 'y' : 'n'}`,
    `use_zero_page=${huge ? 'y' : 'n'}`,
    `unprivileged_userfaultfd=${caps.unprivileged_userfaultfd ? 'y' : 'n'}`,
    `pte_marker_uffd_wp=${features & UFFD_FEATURE.wp_unpopulated ? 'y' : 'n'}`,
  ];
  // shmem_enabled as sysfs says (the executor sets it for a scenario that names one)
  const shmem = caps.shmem_enabled;
  if (shmem !== undefined && parseConfigValue('shmem_enabled', shmem) !== undefined) config.push(`shmem_enabled=${shmem}`);
  // khugepaged/max_ptes_none as sysfs says (the model's khugepaged operation reads it; the host never runs one)
  if (caps.max_ptes_none !== undefined && caps.max_ptes_none >= 0 && caps.max_ptes_none <= 511) config.push(`max_ptes_none=${caps.max_ptes_none}`);
  why.push(`soft_dirty=${caps.soft_dirty ? 'y' : 'n'}: clear_refs 4 then a write ${caps.soft_dirty ? 'set' : 'did not set'} pagemap bit 55`);
  return { config, why };
}

/** overrides of what the probe found: another profile, patches, or config knobs (mmsim host --kernel/--patch/--config) */
export interface SpecOverrides {
  kernel?: string;
  patches?: string[];
  config?: string[];
}

/**
 * The model profile for this kernel: the profile of its release, or else the newest profile at or below
 * it (with a note), configured as the kernel was seen to behave; `over` replaces any of it.
 */
export function hostSpec(caps: HostCaps, over: SpecOverrides = {}): { spec: KernelSpec; note: string | null } {
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
  if (over.kernel) {
    profile = over.kernel;
    note = `profile ${over.kernel} given on the command line`;
  }
  if (!profile) throw new HostError(`no model profile for Linux ${caps.release}`);
  refuseForeignArch(profile);
  const { config } = measuredConfig(caps);
  return { spec: resolveKernel(profile, over.patches ?? [], [...config, ...(over.config ?? [])]), note };
}

/** this machine's architecture as the arch table names it */
export function hostArch(): string {
  return process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'arm64' : process.arch;
}

/**
 * `mmsim host` compares the model with the kernel this machine runs: a profile (given with -k, or a
 * scenario's `kernel:`) of another architecture cannot be compared here (HostError: exit 2)
 */
export function refuseForeignArch(profileSpec: string, where = 'profile'): void {
  const base = PROFILES.filter((p) => profileSpec === p.name || profileSpec.startsWith(p.name + '+') || profileSpec.startsWith(p.name + '-'))
    .sort((a, b) => b.name.length - a.name.length)[0];
  const arch = base?.arch ?? 'x86_64';
  if (base && arch !== hostArch()) {
    throw new HostError(`${where} ${profileSpec} models ${arch}; this machine is ${hostArch()}, so its kernel cannot be compared with it (run the scenario on the model alone: mmsim run)`);
  }
}

/** the probed kernel as a command line: `v6.18 --config zero_page=n,...` */
export function specCommandLine(spec: KernelSpec): string {
  return `${spec.name} --config ${formatConfig(spec.config)}`;
}

function seen(b: boolean | null | undefined): string {
  return b === undefined || b === null ? 'unknown' : b ? 'yes' : 'no';
}
function pageKind(k: string | undefined): string {
  return ({ zero: 'the shared zero page', page: 'a page of its own', none: 'nothing', huge_zero_page: 'the huge zero page', thp: 'a THP' } as Record<string, string>)[k ?? ''] ?? 'unknown';
}

export function formatCaps(c: HostCaps): string[] {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const features = BigInt(c.uffd_features);
  const names = Object.entries(UFFD_FEATURE).filter(([, bit]) => features & BigInt(bit)).map(([n]) => n);
  return [
    `kernel             ${c.release}`,
    `root               ${yes(c.root)}  (PFNs in pagemap: ${yes(c.pfn)}, /proc/kpageflags: ${yes(c.kpageflags)})`,
    `THP (sysfs)        enabled ${c.thp}, defrag ${c.thp_defrag ?? '?'}, use_zero_page ${c.use_zero_page ? 1 : 0}, khugepaged max_ptes_none ${c.max_ptes_none ?? '?'}, shmem_enabled ${c.shmem_enabled ?? '?'}`,
    `THP (seen)         a write fault got a THP: with MADV_HUGEPAGE ${seen(c.thp_write_fault?.madvised)}, without ${seen(c.thp_write_fault?.plain)}`,
    `zero pages (seen)  a read fault mapped ${pageKind(c.read_fault_maps)}; of a MADV_HUGEPAGE range ${pageKind(c.thp_read_fault_maps)}; UFFDIO_ZEROPAGE ${pageKind(c.uffd_zeropage_maps)}`,
    `guard regions      ${c.guard_regions === undefined || c.guard_regions === null ? 'unknown' : c.guard_regions ? 'yes (pagemap bit 58)' : 'no'}`,
    `soft-dirty         ${c.soft_dirty ? 'works' : 'not available (CONFIG_MEM_SOFT_DIRTY off)'}`,
    `userfaultfd        syscall ${yes(c.uffd_syscall)}, /dev/userfaultfd ${yes(c.uffd_dev)}, UFFD_USER_MODE_ONLY ${yes(c.uffd_user_mode_only)}; vm.unprivileged_userfaultfd=${c.unprivileged_userfaultfd ? 1 : 0}`,
    `UFFDIO_API         features ${c.uffd_features} (${names.join(' ') || 'none'}), ioctls ${c.uffd_api_ioctls}`,
    `PAGEMAP_SCAN       ${yes(c.pagemap_scan)}`,
    `split_huge_pages   ${c.split_huge_pages ? 'yes' : 'no (debugfs not mounted)'}`,
    `mbind migration    ${c.mbind_migrate === 'moved' ? 'yes (MPOL_LOCAL + MPOL_MF_MOVE moved a page: migrate operations run)' : `no (${c.mbind_migrate ?? 'not probed'}): migrate operations are skipped`}`,
    `io_uring buffers   ${c.io_uring_buffers ? 'yes (pin: IORING_REGISTER_BUFFERS)' : c.io_uring_buffers === false ? `no (errno ${c.io_uring_errno ?? '?'}): pin operations are skipped` : 'unknown'}`,
  ];
}

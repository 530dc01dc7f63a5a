// What a scenario needs of the real kernel, and whether this one has it: a scenario that needs a
// missing capability is skipped with a one-line reason.
import { readFileSync } from 'node:fs';
import { scenarioShmemEnabled } from './shmem-thp.js';
import type { CompiledScenario } from '../scenario/load.js';
import type { CompiledOp } from '../scenario/ops.js';
import { hostSpec, type HostCaps } from './probe.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { PATCH } from '../profiles/patches.js';
import { MAP_HUGETLB, UFFD_FEATURE } from '../kernel/include/uapi.js';
import { foreignSwaps, HOST_MAX_SWAP_PAGES } from './swap.js';
import { FOLL_FORCE, FOLL_GET, FOLL_LONGTERM, FOLL_PIN, FOLL_WRITE } from '../kernel/include/foll.js';

/** what IORING_REGISTER_BUFFERS takes: pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) */
export const HOST_PIN_FOLL = FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM;
function pinFlagNames(foll: number): string {
  return [foll & FOLL_WRITE && 'write', foll & FOLL_FORCE && 'force', foll & FOLL_LONGTERM && 'longterm', foll & FOLL_GET && 'get'].filter(Boolean).join(', ');
}

/** device: the nodes with memory (/sys/devices/system/node/has_memory, e.g. "0" or "0-1"), or null */
export function memoryNodes(): string | null {
  try {
    return readFileSync('/sys/devices/system/node/has_memory', 'utf8').trim();
  } catch {
    return null;
  }
}

function allOps(sc: CompiledScenario): CompiledOp[] {
  return [...sc.setup, ...sc.threads.flatMap((t) => t.ops)];
}

function featureNames(bits: number): string {
  return Object.entries(UFFD_FEATURE).filter(([, b]) => bits & b).map(([n]) => n).join(', ');
}

/**
 * what the model configured as `spec` predicts UFFDIO_ZEROPAGE maps (mfill_atomic_pte_zeropage): the zero
 * page, unless the zero page is forbidden and the release has 90a7592da149
 */
function modelUffdZeropage(spec: KernelSpec): 'zero' | 'page' {
  return !spec.config.zero_page && spec.patches.has(PATCH.uffdZeropageForbidden) ? 'page' : 'zero';
}

/**
 * null when the executor can run the scenario's forks that send UFFD_EVENT_FORK (or it has none), else why
 * not (the fuzzers draw only the shapes this lets through: src/fuzz/gen.ts, FuzzCase.fork)
 */
export function eventForkLimit(sc: CompiledScenario): string | null {
  // a fork that sends UFFD_EVENT_FORK sleeps in the kernel until the event is read. The executor forks in
  // the process's controller, one fork at a time per process, while the forking thread waits (its step
  // blocked, as the model's): a fork in the setup (no thread reads the event before it returns) or forks
  // in two threads of one process (the second would wait for the controller) it cannot run
  const eventFork = allOps(sc).find((op) => (op.op === 'userfaultfd' || op.op === 'uffdio_api') && (op.features & UFFD_FEATURE.event_fork));
  if (!eventFork) return null;
  const setupFork = sc.setup.find((op) => op.op === 'fork');
  if (setupFork) return `operations ${eventFork.id} and ${setupFork.id}: a fork in the setup with UFFD_FEATURE_EVENT_FORK waits for its event to be read, which no thread can do before the setup ends`;
  const forkers = new Map<string, string>();
  for (const t of sc.threads) {
    const fork = t.ops.find((op) => op.op === 'fork');
    if (!fork) continue;
    // while the fork waits, the process's memory is copy-on-write shared with the child: the scheduler
    // breaks that in its own process (the main one) so that no other step faults on executor memory
    if (t.process !== 'main') return `operation ${fork.id} forks process ${t.process} with UFFD_FEATURE_EVENT_FORK (${eventFork.id}): while the fork waits for its event the executor can settle only the main process's own memory (its other threads' steps would take faults on executor memory)`;
    const other = forkers.get(t.process);
    if (other !== undefined) return `threads ${other} and ${t.name} of process ${t.process} both fork, with UFFD_FEATURE_EVENT_FORK (${eventFork.id}): the executor forks for a process in one controller, one fork at a time, and a fork waiting for its event would hold up the other`;
    forkers.set(t.process, t.name);
  }
  return null;
}

/**
 * null when the scenario can run here, or the reason it cannot. `spec` is the model the kernel is compared
 * with (default: the probed profile and configuration); its config answers the scenario's `config:`.
 */
export function missingCapability(sc: CompiledScenario, caps: HostCaps, spec: KernelSpec = hostSpec(caps).spec): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (sc.pages.length > 0 && (!caps.pfn || !caps.kpageflags)) {
    return 'needs root: pagemap PFNs and /proc/kpageflags are what the snapshots compare';
  }
  // the executor sets shmem_enabled to the scenario's for the run (src/host/shmem-thp.ts): root only
  if (scenarioShmemEnabled(sc) !== null && !caps.root) return `the scenario sets shmem_enabled=${scenarioShmemEnabled(sc)}: mmsim host writes it to /sys/kernel/mm/transparent_hugepage/shmem_enabled for the run, which needs root`;
  const offered = Number(BigInt(caps.uffd_features));
  const forkLimit = eventForkLimit(sc);
  if (forkLimit) return forkLimit;
  // migrate is one mbind(MPOL_MF_MOVE) call on the host; in a thread the model splits it in two steps
  // (the unmap, then the move) that other threads run between, which no schedule of the host can reproduce
  const threadMigrate = sc.threads.flatMap((t) => t.ops).find((op) => op.op === 'migrate');
  if (threadMigrate) return `operation ${threadMigrate.id} migrates in a thread: the model's two steps (migration entries, then the move) are one mbind call on the host (only setup migrations run here; docs/fidelity.md)`;
  for (const op of allOps(sc)) {
    if (op.op === 'userfaultfd') {
      if (op.via === 'dev' && !caps.uffd_dev) return `operation ${op.id} needs /dev/userfaultfd, which this machine does not offer`;
      if (op.via === 'syscall' && !caps.uffd_syscall && !(op.user_mode_only && caps.uffd_user_mode_only)) {
        return `operation ${op.id} needs the userfaultfd syscall (root, or vm.unprivileged_userfaultfd=1)`;
      }
      if (op.user_mode_only && !caps.uffd_user_mode_only) return `operation ${op.id} needs UFFD_USER_MODE_ONLY`;
    }
    if (op.op === 'userfaultfd' || op.op === 'uffdio_api') {
      const missing = op.features & ~offered & ((1 << 17) - 1);
      if (missing) return `operation ${op.id} needs userfaultfd features ${featureNames(missing)}, which this kernel does not offer`;
    }
    if (op.op === 'pagemap_scan' && !caps.pagemap_scan) return `operation ${op.id} needs the PAGEMAP_SCAN ioctl (Linux 6.7+)`;
    // the executor sets vm.nr_hugepages to the scenario's pool for the run (src/host/hugetlb.ts): root only
    if (op.op === 'mmap' && (op.flags & MAP_HUGETLB) && !caps.root) {
      return `operation ${op.id} maps hugetlb memory: mmsim host sets vm.nr_hugepages to the scenario's pool for the run, which needs root`;
    }
    // a pin on the host is an io_uring fixed buffer: pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM), nothing else
    if (op.op === 'pin') {
      if (op.foll !== HOST_PIN_FOLL || !op.fast) return `operation ${op.id} pins with flags [${[pinFlagNames(op.foll), op.fast ? 'fast' : ''].filter(Boolean).join(', ')}]; on the host a pin is an io_uring fixed buffer, flags [write, longterm, fast] only`;
      if (caps.io_uring_buffers === false) return `operation ${op.id} needs io_uring fixed buffers, which this kernel refuses (errno ${caps.io_uring_errno ?? '?'}: io_uring_disabled, RLIMIT_MEMLOCK?)`;
      if (caps.io_uring_buffers === undefined) return `operation ${op.id} needs io_uring fixed buffers; the executor's probe did not say whether they work (rebuild it)`;
    }
    if (op.op === 'migrate' && caps.mbind_migrate !== 'moved') {
      return `operation ${op.id} (migrate) needs mbind(MPOL_LOCAL, MPOL_MF_MOVE) to move pages; on this machine it ${caps.mbind_migrate === undefined ? 'was not probed (rebuild the executor)' : caps.mbind_migrate === 'stayed' ? 'left the page where it was' : `failed (${caps.mbind_migrate})`}`;
    }
    // device: the HMM test driver's coherent device is not on this machine; move_pages reports nodes, and the model has one
    if (op.op === 'hmm_migrate') return `operation ${op.id} (hmm_migrate) needs the HMM test driver (lib/test_hmm.c) loaded with device-coherent memory (spm_addr_dev0, spm_addr_dev1), which this machine does not have; the model carries it out alone (docs/fidelity.md)`;
    if (op.op === 'move_pages') {
      const nodes = memoryNodes();
      if (nodes !== '0') return `operation ${op.id} (move_pages) reports the node of each page; this machine has memory on node(s) ${nodes ?? '(unknown: no /sys/devices/system/node/has_memory)'}, the model on node 0 only`;
    }
    if (op.op === 'khugepaged') return `operation ${op.id} (khugepaged) cannot be carried out on the host: khugepaged is a kernel thread whose scan and collapse no process can start or pause (MADV_COLLAPSE is the whole collapse in one call; docs/fidelity.md)`;
    if (op.op === 'swapon' || op.op === 'swapoff') {
      if (!caps.root) return `operation ${op.id} (${op.op}) needs root: mmsim host makes a swap file and enables it`;
      const other = foreignSwaps();
      if (other.length) return `operation ${op.id} (${op.op}): another swap device is enabled on this machine (${other[0]!.path}); the swap type and slots would not be the scenario's alone`;
      if (op.op === 'swapon' && op.pages > HOST_MAX_SWAP_PAGES) return `operation ${op.id} asks for a swap file of ${op.pages} pages; mmsim host makes at most ${HOST_MAX_SWAP_PAGES} (1 GiB)`;
    }
    if (op.op === 'split_huge_page' && !caps.split_huge_pages) return `operation ${op.id} needs /sys/kernel/debug/split_huge_pages (debugfs is not mounted)`;
    if (op.op === 'uffdio_zeropage' && (caps.uffd_zeropage_maps === 'zero' || caps.uffd_zeropage_maps === 'page') && caps.uffd_zeropage_maps !== modelUffdZeropage(spec)) {
      return `operation ${op.id}: UFFDIO_ZEROPAGE on this kernel maps ${caps.uffd_zeropage_maps === 'zero' ? 'the zero page' : 'a page of its own'} while its read faults map ${caps.read_fault_maps === 'zero' ? 'the zero page' : 'pages of their own'}; no configuration of ${spec.name} does that`;
    }
  }
  return configMismatch(sc, spec);
}

/**
 * null when the model configured as the host (`spec`) can run the scenario as written, or why not: the
 * scenario sets a config knob the host does not have, or asks for THPs where THP is `never`
 */
export function configMismatch(sc: CompiledScenario, spec: KernelSpec): string | null {
  for (const kv of sc.config) {
    const [key, val] = kv.split('=') as [string, string];
    const want = val === 'y' ? true : val === 'n' ? false : /^\d+$/.test(val) ? Number(val) : val;
    const have: Record<string, unknown> = {
      soft_dirty: spec.config.soft_dirty, thp: spec.config.thp, zero_page: spec.config.zero_page, use_zero_page: spec.config.use_zero_page,
      unprivileged_userfaultfd: spec.config.unprivileged_userfaultfd, pte_marker_uffd_wp: spec.config.pte_marker_uffd_wp,
      max_ptes_none: spec.config.max_ptes_none,
    };
    if (key in have && have[key] !== want) return `the scenario sets ${key}=${val}; this machine has ${key}=${String(have[key])}`;
    if (key === 'debug_vm' && want === true) return 'the scenario needs CONFIG_DEBUG_VM, which mmsim cannot detect on this machine';
  }
  if (spec.config.thp === 'never') {
    const thp = allOps(sc).find((op) => op.op === 'madvise' && op.advice.some((a) => a === 'hugepage' || a === 'collapse'));
    if (thp) return `operation ${thp.id} asks for THPs, and THP is 'never' on this machine`;
  }
  return null;
}

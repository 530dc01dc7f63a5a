// The hugetlb pool of a scenario on the real kernel. vm.nr_hugepages is system-wide: the executor
// (native/mmsim-exec.c hugepages_setup) sets it to the scenario's `config: { nr_hugepages: N }` for the
// run and writes the previous value back before it exits, on every path it controls; it also leaves the
// previous value and its pid in a state file while the run lasts. Should the executor be killed (a hang,
// mmsim's timeout, SIGKILL), mmsim writes the value back from that file once the executor is gone
// (restoreHugetlbPool, after every run, and before a run for a file an earlier mmsim left).
import { restoreFromStateFile } from './statefile.js';
import type { CompiledScenario } from '../scenario/load.js';
import { MAP_HUGETLB } from '../kernel/include/uapi.js';
/** include/uapi/linux/memfd.h MFD_HUGETLB */
const MFD_HUGETLB = 0x4;

export const HUGETLB_SYSCTL = '/proc/sys/vm/nr_hugepages';

/** where the executor keeps the previous vm.nr_hugepages during a run (MMSIM_HUGETLB_STATE overrides, as for the executor) */
export function hugetlbStatePath(): string {
  return process.env.MMSIM_HUGETLB_STATE ?? '/tmp/mmsim-hugetlb.prev';
}

/** the scenario's nr_hugepages config (0 when it sets none) */
export function scenarioHugepages(sc: CompiledScenario): number {
  const kv = sc.config.find((c) => c.startsWith('nr_hugepages='));
  return kv ? Number(kv.slice('nr_hugepages='.length)) : 0;
}

/** the config the model runs with for the host's run: the scenario's pool, which the executor sets the machine's to */
export function hugetlbPoolConfig(sc: CompiledScenario): string[] {
  return needsHugetlbPool(sc) ? [`nr_hugepages=${scenarioHugepages(sc)}`] : [];
}

/** does the scenario need a pool of its own on the host: it maps hugetlb memory or sets nr_hugepages */
export function needsHugetlbPool(sc: CompiledScenario): boolean {
  const ops = [...sc.setup, ...sc.threads.flatMap((t) => t.ops)];
  return sc.config.some((c) => c.startsWith('nr_hugepages=')) || ops.some((o) => (o.op === 'mmap' && (o.flags & MAP_HUGETLB) !== 0) ||
    (o.op === 'memfd_create' && (o.flags & MFD_HUGETLB) !== 0) || (o.op === 'open' && o.hugetlbfs === true));
}

/**
 * the previous vm.nr_hugepages written back from the state file an executor left, if that executor is gone
 * (`pid`: the one that just ended, whatever /proc says). Returns the value restored, or null. (`sysctl`: the
 * file written, for tests)
 */
export function restoreHugetlbPool(pid?: number, sysctl = HUGETLB_SYSCTL): number | null {
  const prev = restoreFromStateFile(hugetlbStatePath(), /\d+/, sysctl, pid);
  return prev === null ? null : Number(prev);
}

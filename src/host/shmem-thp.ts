// shmem_enabled of a scenario on the real kernel (shmthp). /sys/kernel/mm/transparent_hugepage/shmem_enabled
// is system-wide, as vm.nr_hugepages is (src/host/hugetlb.ts): the executor (native/mmsim-exec.c
// shmem_thp_setup) sets it to the scenario's `config: { shmem_enabled: X }` for the run and writes the
// previous value back before it exits, on every path it controls; while the run lasts it keeps the previous
// value and its pid in a state file, from which mmsim gives the value back should the executor be killed.
import { restoreFromStateFile } from './statefile.js';
import type { CompiledScenario } from '../scenario/load.js';

export const SHMEM_THP_SYSFS = '/sys/kernel/mm/transparent_hugepage/shmem_enabled';

/** where the executor keeps the previous shmem_enabled during a run (MMSIM_SHMEM_THP_STATE overrides, as for the executor) */
export function shmemThpStatePath(): string {
  return process.env.MMSIM_SHMEM_THP_STATE ?? '/tmp/mmsim-shmem-thp.prev';
}

/** the scenario's shmem_enabled config (null: it sets none, and the host's own value is the model's) */
export function scenarioShmemEnabled(sc: CompiledScenario): string | null {
  const kv = sc.config.find((c) => c.startsWith('shmem_enabled='));
  return kv ? kv.slice('shmem_enabled='.length) : null;
}

/** the config the model runs with for the host's run: the scenario's shmem_enabled, which the executor sets the machine's to */
export function shmemThpConfig(sc: CompiledScenario): string[] {
  const v = scenarioShmemEnabled(sc);
  return v === null ? [] : [`shmem_enabled=${v}`];
}

/**
 * the previous shmem_enabled written back from the state file an executor left, if that executor is gone
 * (`pid`: the one that just ended). Returns the value restored, or null. (`sysfs`: the file written, for tests)
 */
export function restoreShmemEnabled(pid?: number, sysfs = SHMEM_THP_SYSFS): string | null {
  return restoreFromStateFile(shmemThpStatePath(), /[a-z_]+/, sysfs, pid);
}

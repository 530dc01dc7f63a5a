// The machine every schedule of `mmsim check` starts from. Apart from check.ts, so that the explorer's
// worker threads (worker.ts) load the model and not the scenario language's validators (zod).
import type { CompiledScenario } from '../scenario/load.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { budgetDoing } from '../sched/budget.js';
import { Machine } from '../sched/machine.js';
import { debugVmAfterStep } from '../sched/states.js';

/** the machine after the scenario's setup, untraced: where every schedule starts */
export function checkRoot(sc: CompiledScenario, spec: KernelSpec, debug: boolean): Machine {
  const root = new Machine(sc, spec, { trace: false, afterStep: debug ? debugVmAfterStep : undefined });
  budgetDoing(() => root.describeNow());
  root.runSetup();
  return root;
}

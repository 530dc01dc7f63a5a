// kernel/sched/core.c cond_resched(): long loops of the model (page by page over a range) call it, as the
// kernel's do, so that whoever runs the model can look at the clock and the memory in between (mmsim's
// budgets, sched/budget.ts). The model itself never sleeps; the hook may throw to stop the work.

let hook: (() => void) | null = null;
let ticks = 0;

/** kernel/sched/core.c cond_resched() @v6.18: a point where a long loop may be stopped (every 1024 calls) */
export function cond_resched(): void {
  if (hook !== null && (++ticks & 1023) === 0) hook();
}

/** install (or remove, with null) what cond_resched() runs */
export function setReschedHook(f: (() => void) | null): void {
  hook = f;
  ticks = 0;
}

// Budgets that bound a whole command, setup included: wall-clock time, scheduler steps, and memory.
// A budget that runs out stops the work with BudgetExceeded, which the CLI reports as incomplete
// (exit 3). The model's long loops reach it through cond_resched(); the scheduler through step().
import { getHeapStatistics } from 'node:v8';
import { setReschedHook } from '../kernel/kernel/sched/core.js';

export type Limit = 'max-time' | 'max-steps' | 'max-memory';

/** the default --max-steps of `mmsim run` and `compare`, and the bound of a default schedule */
export const DEFAULT_STEP_LIMIT = 1_000_000;

export class BudgetExceeded extends Error {
  constructor(readonly limit: Limit, message: string) {
    super(message);
  }
}

export interface Limits {
  /** wall-clock ms for the whole command */
  maxTimeMs?: number;
  /** scheduler steps of one execution */
  maxSteps?: number;
  /** resident memory of this process, bytes (page contents live outside the JS heap) */
  maxMemoryBytes?: number;
  /** how the time limit is named in messages (default: --max-time N s) */
  timeLabel?: string;
}

/** what the progress line shows */
export interface ProgressInfo {
  elapsedMs: number;
  /** e.g. "setup#2 memset (line 5) 37%" */
  what: string;
}

/** the default memory budget: most of the JS heap limit, at most half of this machine's memory */
export function defaultMemoryBytes(): number {
  return Math.floor(getHeapStatistics().heap_size_limit * 0.85);
}

let active: Budget | null = null;

/** a scheduler step of whatever runs under the active budget (Machine.stepThread) */
export function budgetStep(): void {
  if (active !== null) active.step();
}

/** the active budget's --max-steps, if it sets one (the default schedule's own bound gives way to it) */
export function budgetStepLimit(): number | undefined {
  return active?.limits.maxSteps;
}

/** what the active budget's progress line and messages say the work is doing */
export function budgetDoing(f: () => string): void {
  if (active !== null) active.doing = f;
}

export class Budget {
  private readonly t0 = performance.now();
  private lastProgress = 0;
  /** when the memory was last looked at (ms; process.memoryUsage() costs tens of microseconds) */
  private lastMemory = -Infinity;
  steps = 0;
  /** what the work is doing now, for the progress line and the message when a limit is hit */
  doing: () => string = () => '';

  constructor(readonly limits: Limits, private readonly onProgress?: (p: ProgressInfo) => void) {}

  elapsedMs(): number {
    return performance.now() - this.t0;
  }

  /** run f with this budget active (cond_resched() and scheduler steps check it); not nested */
  run<T>(f: () => T): T {
    setReschedHook(() => this.check());
    active = this;
    try {
      return f();
    } finally {
      setReschedHook(null);
      active = null;
    }
  }

  /** the same, for work that awaits (mmsim host) */
  async runAsync<T>(f: () => Promise<T>): Promise<T> {
    setReschedHook(() => this.check());
    active = this;
    try {
      return await f();
    } finally {
      setReschedHook(null);
      active = null;
    }
  }

  /** one scheduler step */
  step(): void {
    this.steps++;
    if (this.limits.maxSteps !== undefined && this.steps > this.limits.maxSteps) {
      throw new BudgetExceeded('max-steps', `the execution did not end within ${this.limits.maxSteps} steps${this.where()} (a loop thread that never blocks?)`);
    }
    if ((this.steps & 1023) === 0) this.check();
  }

  /** the clock, the memory, and the progress line */
  check(): void {
    const now = this.elapsedMs();
    if (this.limits.maxTimeMs !== undefined && now > this.limits.maxTimeMs) {
      throw new BudgetExceeded('max-time', `${this.limits.timeLabel ?? `--max-time ${fmtSecs(this.limits.maxTimeMs)} s`} ran out${this.where()}`);
    }
    if (this.limits.maxMemoryBytes !== undefined && now - this.lastMemory >= MEMORY_CHECK_MS) {
      this.lastMemory = now;
      const m = process.memoryUsage();
      const used = m.heapUsed + m.arrayBuffers;
      if (used > this.limits.maxMemoryBytes) {
        throw new BudgetExceeded('max-memory', `the memory budget (${Math.round(this.limits.maxMemoryBytes / 2 ** 20)} MiB, --max-memory) ran out${this.where()}`);
      }
    }
    if (this.onProgress && now > 1000 && now - this.lastProgress >= 250) {
      this.lastProgress = now;
      this.onProgress({ elapsedMs: now, what: this.doing() });
    }
  }

  private where(): string {
    const d = this.doing();
    return d ? ` during ${d}` : '';
  }
}

/**
 * the memory is looked at no more often than this (ms): a check every 1024 steps or cond_resched() calls
 * read it every half millisecond of a plain run, a tenth of its time (run -q of a 1 GiB touch)
 */
const MEMORY_CHECK_MS = 10;

function fmtSecs(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/** "2", "2s", "500ms", "1m" -> ms (null: not a duration) */
export function parseSeconds(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!m) return null;
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  return ms > 0 && Number.isFinite(ms) ? Math.round(ms) : null;
}

/** "512", "512M", "2G" (MiB without a unit) -> bytes (null: not a size) */
export function parseMemory(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?)?\s*$/i.exec(text);
  if (!m) return null;
  const unit = (m[2] ?? 'M')[0]!.toUpperCase();
  const v = Number(m[1]) * (unit === 'K' ? 2 ** 10 : unit === 'G' ? 2 ** 30 : 2 ** 20);
  return v > 0 && Number.isFinite(v) ? Math.round(v) : null;
}

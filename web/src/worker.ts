// The page's Web Worker: the model itself (the same modules `mmsim run` and `mmsim check` use), so the
// server only serves files and a static copy of the page works anywhere.
import { loadScenario, ScenarioError } from '../../src/scenario/load.js';
import { profileByName, profilePatches, resolveKernel, SpecError, type KernelSpec } from '../../src/profiles/profiles.js';
import { PATCH_LIST } from '../../src/profiles/patches.js';
import { runScenario } from '../../src/run.js';
import { checkScenario } from '../../src/explore/check.js';
import { Budget, BudgetExceeded } from '../../src/sched/budget.js';
import type { Observation } from '../../src/scenario/outcome.js';
import { configValues } from './lib/config.js';
import type { CheckReply, ErrorReply, Reply, Request, RunReply, ThreadOutcome } from './lib/protocol.js';

/** steps one run in the page may take: each step keeps a state event for the slider */
export const PAGE_MAX_STEPS = 5_000;
/** seconds one check in the page may take */
export const PAGE_CHECK_SECONDS = 20;

function splitList(s: string): string[] {
  return s.split(/[\s,]+/).filter(Boolean);
}

function threadsOf(o: Observation): Record<string, ThreadOutcome> {
  const out: Record<string, ThreadOutcome> = {};
  for (const [n, t] of Object.entries(o.threads)) out[n] = { state: t.state, signal: t.signal, minflt: t.minflt, majflt: t.majflt };
  return out;
}

function errorReply(id: number, e: unknown): ErrorReply {
  if (e instanceof ScenarioError) return { kind: 'error', id, error: { file: e.file, line: e.line, col: e.col, field: e.field, message: e.detail }, message: e.message };
  if (e instanceof BudgetExceeded && e.limit === 'max-steps') {
    return { kind: 'error', id, error: null, message: `the page draws at most ${PAGE_MAX_STEPS} steps of a run, and this one takes more: mmsim run -q FILE runs it whole` };
  }
  if (e instanceof SpecError || e instanceof BudgetExceeded) return { kind: 'error', id, error: null, message: (e as Error).message };
  const err = e as Error;
  const user = ['MachineError', 'ScheduleSyntaxError', 'CheckError', 'ExprError', 'EvalError'].includes(err?.constructor?.name ?? '');
  return { kind: 'error', id, error: null, message: user ? err.message : `internal error of mmsim (a bug): ${err?.message ?? String(e)}` };
}

/** the spec's patches as edits of its profile: "+a,-b" in patch-table order */
export function editsOf(spec: KernelSpec): string {
  const base = profilePatches(profileByName(spec.profile)!);
  const add = PATCH_LIST.filter((p) => spec.patches.has(p) && !base.has(p)).map((p) => '+' + p.id);
  const del = PATCH_LIST.filter((p) => base.has(p) && !spec.patches.has(p)).map((p) => '-' + p.id);
  return [...add, ...del].join(',');
}

export function handle(req: Request): Reply {
  const t0 = performance.now();
  try {
    const sc = loadScenario(req.file, req.yaml);
    const k = req.kernel || sc.kernel;
    if (!k) throw new ScenarioError(sc.file, 1, 1, 'kernel', "no kernel given (choose a profile, or 'kernel:' in the scenario)");
    const spec = resolveKernel(k, splitList(req.patches), [...sc.config, ...splitList(req.config)]);
    // what each knob would be without the page's overrides: the profile's, after the scenario's config
    const defaults = configValues(resolveKernel(k, splitList(req.patches), sc.config).config);
    if (req.kind === 'run') {
      const r = new Budget({ maxSteps: PAGE_MAX_STEPS }).run(() => runScenario(sc, spec, { trace: true, states: true, schedule: req.schedule || undefined }));
      const reply: RunReply = {
        kind: 'run', id: req.id, kernel: spec.name, profile: spec.profile, edits: editsOf(spec), release: spec.release, events: r.events, mappings: r.observation.mappings, threads: threadsOf(r.observation),
        schedule: r.observation.schedule, deadlock: r.observation.deadlock,
        expectations: r.expectations.map((x) => ({ line: x.line, text: x.text, ok: x.ok, detail: x.detail })), ok: r.ok,
        ms: performance.now() - t0, truncated: null,
        config: configValues(spec.config), defaults, scenarioConfig: sc.config.map((kv) => kv.split('=')[0]!),
      };
      return reply;
    }
    const r = new Budget({ maxTimeMs: (PAGE_CHECK_SECONDS + 5) * 1000 }).run(() => checkScenario(sc, spec, { maxStates: req.maxStates, maxTime: PAGE_CHECK_SECONDS }));
    const reply: CheckReply = {
      kind: 'check', id: req.id, kernel: r.kernel, release: r.release, complete: r.complete, stopped: r.stopped,
      states: 'distinct' in r.stats ? r.stats.distinct : 0,
      outcomes: r.outcomes.map((o) => ({
        key: o.key, kind: o.kind, count: o.count, threads: threadsOf(o.observation),
        conditions: Object.fromEntries(r.conditions.map((c, i) => [c.name, o.holds[i]!])),
      })),
      conditions: r.conditions.map((c) => ({
        name: c.name, kind: c.kind, text: c.text, line: c.line, positive: c.positive, negative: c.negative, observation: c.observation,
        expected: c.expected, ok: c.ok, counterexample: c.counterexample && { schedule: c.counterexample.schedule, steps: c.counterexample.steps },
      })),
      deadlocks: r.deadlocks, livelocks: r.livelocks, deadlockSchedule: r.deadlockSchedule, livelockSchedule: r.livelockSchedule, ok: r.ok,
      ms: performance.now() - t0,
    };
    return reply;
  } catch (e) {
    return errorReply(req.id, e);
  }
}

declare const self: { onmessage: ((ev: { data: Request }) => void) | null; postMessage(m: Reply): void } | undefined;
if (typeof self !== 'undefined' && typeof (globalThis as { document?: unknown }).document === 'undefined' && 'postMessage' in (self as object)) {
  self!.onmessage = (ev) => self!.postMessage(handle(ev.data));
}

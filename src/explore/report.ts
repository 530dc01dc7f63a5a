// What `mmsim check` prints: herd7's shape (States, Witnesses, Observation, Hash) per condition, a
// shortest counterexample with its replay command and trace, the search statistics; and the same
// as one JSON document with --json.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pc from 'picocolors';
import type { CheckResult, ConditionResult } from './check.js';
import type { SearchStats } from './search.js';
import type { RandomStats } from './random.js';
import { formatText } from '../trace/format.js';

/** 2: order-dependent figures and timing moved from `stats` to `run`; `reduction` is a name; `workers` */
export const CHECK_SCHEMA_VERSION = 2;

/** herd7's Hash=: a digest of the test's text, so tooling can tell when a test changed */
export function scenarioHash(file: string): string {
  try {
    return createHash('md5').update(readFileSync(file)).digest('hex');
  } catch {
    return '-';
  }
}

const n = (x: number) => x.toLocaleString('en-US');
const secs = (ms: number) => (ms / 1000).toFixed(ms < 10000 ? 2 : 1);

function quote(s: string): string {
  return /^[\w.\-/+]+$/.test(s) ? s : `"${s}"`;
}

export function replayCommand(r: CheckResult, schedule: string): string {
  return `mmsim run ${quote(r.file)} -k ${quote(r.kernel)} --schedule ${quote(schedule)}`;
}

function violates(r: CheckResult, c: ConditionResult, holds: boolean): boolean {
  return c.kind === 'never' ? holds : c.kind === 'forall' ? !holds : false;
}

/** the text report of one check */
export function formatCheck(r: CheckResult, opts: { traces?: boolean; stats?: boolean } = {}): string[] {
  const out: string[] = [];
  const mode = r.mode === 'random'
    ? `${(r.stats as RandomStats).scheduler === 'pct' ? 'PCT' : 'random'} walks, seed ${r.seed}`
    : `exhaustive${r.reduction === 'sleep' ? ', sleep sets' : r.reduction === 'none' ? ', no reduction' : `, ${r.reduction}`}`;
  out.push(pc.bold(`Test ${r.scenario} on ${r.kernel} (${r.release})`) + `  [${mode}]${r.complete ? '' : pc.yellow(`  INCOMPLETE (${r.stopped ?? 'sampled'})`)}`);
  // herd7: "States N" then one line per final state; here one line per outcome (how the threads
  // ended, and whether each condition's named property held there), with the number of final states;
  // '*>' marks outcomes that violate a condition
  out.push(`States ${r.outcomes.length}`);
  for (const o of r.outcomes) {
    const bad = r.conditions.filter((c, i) => violates(r, c, o.holds[i]!)).map((c) => c.name);
    const mark = bad.length ? pc.red('*>') : ':>';
    const kind = o.kind === 'final' ? '' : ` [${o.kind}]`;
    // name=T: the property the condition names holds in this outcome (for `never: P`, P is false)
    const marks = r.conditions.length ? ' ' + pc.dim(r.conditions.map((c, i) => `${c.name}=${(c.kind === 'never' ? !o.holds[i] : o.holds[i]) ? 'T' : 'F'}`).join(' ')) : '';
    out.push(`${String(o.count).padStart(8)} ${mark} ${o.key}${kind}${marks}`);
  }
  if (r.deadlocks) {
    out.push(pc.red(`Deadlock: ${n(r.deadlocks)} final state(s) with every live thread blocked`));
    if (r.deadlockSchedule !== null) out.push(`  shortest: ${pc.bold(r.deadlockSchedule || '(the setup alone)')}   replay: ${replayCommand(r, r.deadlockSchedule)}`);
  }
  if (r.livelocks) {
    out.push(pc.red(`Livelock: ${n(r.livelocks)} cycle(s) in which a thread keeps stepping without finishing an operation`));
    if (r.livelockSchedule !== null) out.push(`  shortest: ${pc.bold(r.livelockSchedule)}   replay: ${replayCommand(r, r.livelockSchedule)}`);
  }
  if (r.conditions.length === 0) {
    out.push(`No condition: the scenario asks that every schedule ends (no deadlock, no livelock): ${r.ok ? pc.green('Ok') : pc.red('No')}`);
  }
  for (const c of r.conditions) {
    out.push('');
    out.push(`Condition ${pc.bold(c.name)} ${c.kind} ${c.text}   ${pc.dim(`(line ${c.line})`)}`);
    out.push(c.holds ? pc.green('Ok') : pc.red('No'));
    out.push('Witnesses');
    out.push(`Positive: ${c.positive} Negative: ${c.negative}`);
    const exp = c.expected ? `expected ${c.expected.join(' or ')}: ${c.ok ? pc.green('as expected') : pc.red('NOT as expected')}` : `no verdict expected: ${c.ok ? pc.green('holds') : pc.red('does not hold')}`;
    out.push(`Observation ${r.scenario}/${c.name} ${pc.bold(c.observation)} ${c.positive} ${c.negative}${r.complete ? '' : ' (incomplete)'}   ${exp}`);
    const cx = c.counterexample;
    if (cx) {
      const what = c.kind === 'never' ? 'a state where it happens' : 'a state where it fails';
      out.push(`Counterexample (shortest, ${cx.steps} steps, ${what}): ${pc.bold(cx.schedule)}${cx.walk !== undefined ? `  (walk ${cx.walk} of seed ${r.seed})` : ''}`);
      if (cx.loop) out.push(`  the last ${cx.loop.split(/\s+/).length > 1 ? 'steps repeat' : 'step repeats'} forever: (${cx.loop})^ω`);
      out.push(`  outcome: ${cx.outcome}`);
      out.push(`  replay:  ${replayCommand(r, cx.schedule)}`);
      if (cx.replay) {
        out.push(`  replayed outcome: ${cx.replay.outcome} ${cx.replay.reproduced ? pc.green('(reproduced)') : pc.red('(NOT reproduced)')}`);
        if (opts.traces !== false) {
          out.push('  trace:');
          for (const l of formatText(cx.replay.events.filter((e) => e.step > 0), cx.replay.observation.mappings)) {
            for (const x of l.split('\n')) out.push('    ' + x);
          }
        }
      }
    }
  }
  out.push('');
  out.push(searchLine(r));
  if (opts.stats) {
    // figures of this run: they depend on the order of the search (and the workers) and on the machine
    out.push(runLine(r));
    out.push(`Time ${r.scenario} ${secs(r.stats.elapsedMs)}`);
  }
  out.push(`Hash=${scenarioHash(r.file)}`);
  out.push(r.ok ? pc.green('PASS') : pc.red('FAIL'));
  return out;
}

/**
 * The search in figures that do not depend on the order of the search or on the number of workers:
 * distinct states, final states, and (without a reduction, the search complete and no cycle) the
 * number of complete interleavings.
 */
export function searchLine(r: CheckResult): string {
  if (r.mode === 'random') {
    const s = r.stats as RandomStats;
    return `Search: ${n(s.walks)} ${s.scheduler} walks (seed ${s.seed}), ${n(s.transitions)} steps, ${n(s.distinct)} distinct states, ` +
      `longest walk ${s.maxDepth}${s.cut ? `, ${s.cut} cut at the depth bound` : ''}`;
  }
  const s = r.stats as SearchStats;
  const ip = r.interleavings && interleavingsShown(r) ? `, ${n(r.interleavings.paths)} interleavings` : '';
  return `Search: ${n(s.distinct)} distinct states, ${n(s.terminal)} final${ip}`;
}

/** the interleaving count is a property of the state graph only when the whole graph was explored */
export function interleavingsShown(r: CheckResult): boolean {
  return r.mode === 'exhaustive' && r.reduction === 'none' && r.complete && r.interleavings !== null && !r.interleavings.cyclic;
}

/** --stats: the figures of this run (order of the search, workers, time) */
export function runLine(r: CheckResult): string {
  if (r.mode === 'random') {
    const s = r.stats as RandomStats;
    const rate = s.elapsedMs > 0 ? (s.transitions / s.elapsedMs) * 1000 : 0;
    return `Run: ${secs(s.elapsedMs)} s, ${n(Math.round(rate))} steps/s` + (r.firstViolationMs !== null ? `; first violation after ${secs(r.firstViolationMs)} s` : '');
  }
  const s = r.stats as SearchStats;
  const tried = s.transitions + s.pruned;
  const saved = r.reduction === 'sleep' ? `, ${n(s.pruned)} not taken by sleep sets (${tried ? ((s.pruned / tried) * 100).toFixed(1) : '0'}% of ${n(tried)})` : '';
  const rate = s.elapsedMs > 0 ? (s.distinct / s.elapsedMs) * 1000 : 0;
  const ip = r.interleavings ? `; ${n(r.interleavings.paths)} interleavings in the explored graph${r.interleavings.cyclic ? ' (+ cycles)' : ''}` : '';
  const handed = s.handedOver !== undefined ? `, ${n(s.handedOver)} sub-trees handed over` : '';
  const u = s.reuse;
  const reuse = u ? `; step reuse: ${n(u.hits)} steps replayed, ${n(u.misses)} run (${n(u.effects)} effects, ${n(u.nodes)} nodes kept${u.flushes ? `, emptied ${n(u.flushes)} times` : ''})` : '';
  return `Run: ${r.workers} worker${r.workers === 1 ? '' : 's'}${r.workersNote ? ` (${r.workersNote})` : ''}${handed}; ${n(s.explored)} expansions, ${n(s.transitions)} transitions${saved}, ${n(s.revisits)} revisits, ` +
    `${n(s.cycles)} cycles closed, depth ${s.maxDepth}${ip}${reuse}; ${secs(s.elapsedMs)} s, ${n(Math.round(rate))} states/s` +
    (r.firstViolationMs !== null ? `; first violation after ${secs(r.firstViolationMs)} s` : '');
}

/** the JSON document of --json (one per kernel, in a list) */
export function checkJson(r: CheckResult): unknown {
  return {
    schema: 'mmsim-check', version: CHECK_SCHEMA_VERSION, hash: scenarioHash(r.file),
    scenario: r.scenario, file: r.file, kernel: r.kernel, release: r.release, mode: r.mode, reduction: r.reduction,
    complete: r.complete, stopped: r.stopped, ...(r.seed !== undefined ? { seed: r.seed } : {}),
    stats: stableStats(r), interleavings: interleavingsShown(r) ? r.interleavings!.paths : null,
    // what depends on the order of the search, the workers or the machine
    run: { workers: r.workers, workersNote: r.workersNote, ...r.stats, interleavings: r.interleavings, firstViolationMs: r.firstViolationMs },
    outcomes: r.outcomes.map((o) => ({
      key: o.key, kind: o.kind, count: o.count,
      conditions: Object.fromEntries(r.conditions.map((c, i) => [c.name, o.holds[i]])),
      observation: o.observation,
    })),
    conditions: r.conditions.map((c) => ({
      name: c.name, kind: c.kind, text: c.text, line: c.line, positive: c.positive, negative: c.negative,
      observation: c.observation, holds: c.holds, expected: c.expected, ok: c.ok,
      counterexample: c.counterexample && {
        schedule: c.counterexample.schedule, steps: c.counterexample.steps, outcome: c.counterexample.outcome,
        loop: c.counterexample.loop ?? null, walk: c.counterexample.walk ?? null,
        replay: replayCommand(r, c.counterexample.schedule),
        replayed: c.counterexample.replay && {
          outcome: c.counterexample.replay.outcome, reproduced: c.counterexample.replay.reproduced, trace: c.counterexample.replay.events,
        },
      },
    })),
    deadlocks: r.deadlocks, livelocks: r.livelocks, deadlock_schedule: r.deadlockSchedule, livelock_schedule: r.livelockSchedule, ok: r.ok,
  };
}

/** the figures of --json's `stats`: those that do not depend on the order of the search */
function stableStats(r: CheckResult): Record<string, number> {
  if (r.mode === 'random') {
    const s = r.stats as RandomStats;
    return { walks: s.walks, distinct: s.distinct };
  }
  const s = r.stats as SearchStats;
  return { distinct: s.distinct, terminal: s.terminal };
}

/** the progress line on a terminal: states, states/s, depth, frontier */
export function progressLine(p: { distinct: number; transitions: number; depth: number; maxDepth: number; frontier: number; elapsedMs: number; statesPerSec: number }, label: string): string {
  return `${label}: ${n(p.distinct)} states, ${n(Math.round(p.statesPerSec))} states/s, ${n(p.transitions)} transitions, depth ${p.depth} (max ${p.maxDepth}), frontier ${n(p.frontier)}, ${secs(p.elapsedMs)} s`;
}

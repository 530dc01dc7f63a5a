// `mmsim host`: run a scenario on this machine's kernel; with --compare, next to the model.
import pc from 'picocolors';
import type { CompiledScenario } from '../scenario/load.js';
import { readScenarioArg } from './input.js';
import type { Observation, ExpectResult } from '../scenario/outcome.js';
import { probeHost, hostSpec, formatCaps, measuredConfig, specCommandLine, SpecOverrides, refuseForeignArch } from '../host/probe.js';
import { HostError } from '../host/executor.js';
import { parseSeconds } from '../sched/budget.js';
import { missingCapability } from '../host/requirements.js';
import { runOnHost, modelPlacement, type HostRun } from '../host/run.js';
import { runScenario } from '../run.js';
import { differential, withScenarioPools } from '../host/differential.js';
import { compareSummary, relativize, CompareRow } from '../host/compare.js';
import { loadKnownDifferences } from '../host/known.js';
import { evalExpectations, expectationPasses, formatOutObs, deadlockExpected } from '../scenario/outcome.js';

function out(lines: string[] | string): void {
  process.stdout.write((Array.isArray(lines) ? lines.join('\n') : lines) + '\n');
}

function printObservation(sc: CompiledScenario, o: Observation): void {
  out(pc.bold('Threads'));
  for (const [n, t] of Object.entries(o.threads)) out(`  ${n}: ${t.state}${t.signal ? ` (${t.signal})` : ''}, minflt ${t.minflt}, majflt ${t.majflt}`);
  if (o.deadlock) out(pc.red('  deadlock: every live thread is blocked'));
  out(`  schedule: ${o.schedule || '(none)'}`);
  out(pc.bold('Operations'));
  for (const op of [...sc.setup, ...sc.threads.flatMap((t) => t.ops)]) {
    const r = o.ops[op.id];
    if (!r) continue;
    out(`  ${op.id.padEnd(16)} ${op.op.padEnd(20)} ${r.errno ? pc.yellow('-' + r.errno) + (r.out ? ' ' + relativize(formatOutObs(r.out), o.mappings) : '') : relativize(r.result ?? '0', o.mappings)}`);
  }
  if (Object.keys(o.msgs).length) {
    out(pc.bold('uffd messages'));
    for (const [n, m] of Object.entries(o.msgs)) out(`  ${n}: event 0x${m.event.toString(16)} flags 0x${m.flags.toString(16)} address ${m.where}`);
  }
  if (Object.keys(o.buffers).length) {
    out(pc.bold('Buffers'));
    for (const [n, b] of Object.entries(o.buffers)) out(`  ${n}: ${b.addr} ${b.digest} ${b.hex}`);
  }
  for (const [name, s] of Object.entries(o.snapshots)) {
    out(pc.bold(`Snapshot ${name}`));
    for (const [k, p] of Object.entries(s.pages)) out(`  ${k.padEnd(24)} pagemap ${p.pagemap}  kpageflags ${p.kpageflags ?? 'none'}`);
    for (const [k, v] of Object.entries(s.mem)) out(`  mem ${k.padEnd(20)} ${v ?? 'unmapped'}`);
    for (const [m, x] of Object.entries(s.smaps)) out(`  ${m}: AnonHugePages ${x.AnonHugePages} kB, Rss ${x.Rss} kB`);
    const vm = Object.entries(s.vmstat).filter(([n, v]) => v && n.startsWith('thp_')).map(([n, v]) => `${n} +${v}`).join(', ');
    out(`  VMAs ${s.vma_count}${vm ? `; ${vm}` : ''}`);
  }
}

function printExpectations(list: ExpectResult[]): boolean {
  if (!list.length) return true;
  out(pc.bold('Expectations (on the kernel)'));
  for (const e of list) {
    const mark = e.modelOnly ? pc.dim('-') : e.ok === null ? pc.red('?') : e.ok ? pc.green('✓') : pc.red('✗');
    out(`  ${mark} line ${e.line}: ${e.text}\n      ${e.modelOnly ? 'model only: the kernel shows no such thing to user space' : e.detail}`);
  }
  return list.every(expectationPasses);
}

/** the comparison table: every row with `all`, else the rows that disagree or are known differences */
export function formatCompare(rows: CompareRow[], all: boolean): string[] {
  const shown = all ? rows : rows.filter((r) => r.status !== 'agree');
  if (shown.length === 0) return [pc.green(`all ${rows.length} fields agree`) + pc.dim(' (--all prints them)')];
  const w0 = Math.max(10, ...shown.map((r) => r.field.length));
  const w1 = Math.max(5, ...shown.map((r) => r.model.length));
  const w2 = Math.max(6, ...shown.map((r) => r.kernel.length));
  const lines = [pc.bold(`${'field'.padEnd(w0)}  ${'model'.padEnd(w1)}  ${'kernel'.padEnd(w2)}`)];
  for (const r of shown) {
    const mark = r.status === 'agree' ? pc.green('agree') : r.status === 'known' ? pc.yellow('known difference') : pc.red('DISAGREE');
    const line = `${r.field.padEnd(w0)}  ${r.model.padEnd(w1)}  ${r.kernel.padEnd(w2)}  ${mark}`;
    lines.push(line + (r.reason ? pc.dim(`  (${r.reason})`) : ''));
  }
  return lines;
}

/** a duration in ms from "30" (seconds), "30s", "500ms" or "2m"; null when it is not one */
export const parseDuration = parseSeconds;

/**
 * a run on the kernel that gave no observation: the watchdog (--timeout, a budget) ran out: 3; the
 * executor crashed or answered nothing: a failure of mmsim's own executor, 4
 */
function failedExit(r: HostRun & { kind: 'failed' }): number {
  return r.hung ? 3 : 4;
}

export interface HostOpts {
  kernel?: string;
  patch: string[];
  config: string[];
  probe?: boolean;
  compare?: boolean;
  all?: boolean;
  timeout: string;
  schedule?: string;
  json?: boolean;
}

/** `mmsim host [FILE]` with its options (registered in commands.ts): the exit status; a HostError is printed here, exit 2 */
export async function hostAction(file: string | undefined, o: HostOpts): Promise<number> {
  try {
    return await hostCommand(file, o);
  } catch (e) {
    if (e instanceof HostError) {
      process.stderr.write(`mmsim host: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

async function hostCommand(file: string | undefined, o: HostOpts): Promise<number> {
  const timeoutMs = parseDuration(o.timeout);
  if (timeoutMs === null) throw new HostError(`--timeout must be a positive duration (30, 30s, 500ms, 2m), not '${o.timeout}'`);
  const over: SpecOverrides = { kernel: o.kernel, patches: o.patch, config: o.config };
  if (o.probe) {
    const caps = await probeHost();
    const { spec, note } = hostSpec(caps, over);
    if (o.json) out(JSON.stringify({ ...caps, model: { kernel: spec.name, profile: spec.profile, config: spec.config, command_line: specCommandLine(spec) } }, null, 2));
    else {
      out(formatCaps(caps));
      out('');
      out(pc.bold(`model              ${specCommandLine(spec)}`) + (note ? pc.dim(`  (${note})`) : ''));
      for (const w of measuredConfig(caps).why) out(pc.dim(`                   ${w}`));
    }
    if (!file) return 0;
  }
  if (!file) throw new HostError('give a scenario file (or --probe)');
  const sc = readScenarioArg(file);
  if (sc.kernel && !o.kernel) refuseForeignArch(sc.kernel, `${file}: kernel`);
  if (!o.compare) {
    const caps = await probeHost();
    // (with the scenario's hugetlb pool: without it the model's hugetlb mappings fail and its placement of
    // the others is not the one the run should follow)
    const { spec } = hostSpec(caps, withScenarioPools(sc, over));
    const why = missingCapability(sc, caps, spec);
    if (why) {
      process.stderr.write(`mmsim host: skipped ${file}: ${why}\n`);
      return 3;
    }
    // the model's placement of the mappings within 2 MiB, which the executor follows (as --compare does)
    let placement: Record<string, number> | undefined;
    try {
      placement = modelPlacement(runScenario(sc, spec, { schedule: o.schedule }).observation);
    } catch {
      placement = undefined;
    }
    const r = await runOnHost(sc, spec.name, caps.release, { timeoutMs, schedule: o.schedule, placement });
    if (r.kind === 'skipped') {
      process.stderr.write(`mmsim host: skipped ${file}: ${r.reason}\n`);
      return 3;
    }
    if (r.kind !== 'ok') {
      if (o.json) out(JSON.stringify({ ok: false, reason: r.reason }));
      else out(pc.red(`${sc.name} on Linux ${caps.release}: ${r.reason}`));
      return failedExit(r);
    }
    const exps = evalExpectations(sc, spec, { obs: r.observation, events: null });
    // a deadlock is not a success unless the scenario expects a thread to stay blocked
    const deadlockOk = !r.observation.deadlock || deadlockExpected(sc, spec);
    const ok = exps.every(expectationPasses) && deadlockOk;
    if (o.json) {
      out(JSON.stringify({ ok, observation: r.observation, expectations: exps }, null, 2));
      return ok ? 0 : 1;
    }
    out(pc.bold(`${sc.name} on Linux ${caps.release} (${r.ms} ms)`));
    printObservation(sc, r.observation);
    if (!deadlockOk) out(pc.red('the run ended in a deadlock that no expectation asks for ({ thread: T, state: blocked })'));
    return printExpectations(exps) && deadlockOk ? 0 : 1;
  }
  const d = await differential(sc, loadKnownDifferences(file), { timeoutMs, schedule: o.schedule, over });
  if (d.kind === 'skipped') {
    process.stderr.write(`mmsim host: skipped ${file}: ${d.reason}\n`);
    return 3;
  }
  if (d.host.kind === 'skipped') {
    process.stderr.write(`mmsim host: skipped ${file}: ${d.host.reason}\n`);
    return 3;
  }
  if (d.host.kind !== 'ok') {
    if (o.json) out(JSON.stringify({ ok: false, reason: d.host.reason }));
    else out(pc.red(`${sc.name} on Linux ${d.caps.release}: ${d.host.reason}`));
    return failedExit(d.host);
  }
  const sum = compareSummary(d.rows);
  if (o.json) {
    out(JSON.stringify({ spec: { kernel: d.spec.name, config: d.spec.config, command_line: specCommandLine(d.spec) }, model: d.model.observation, kernel: d.host.observation, rows: d.rows, summary: sum, vmstat_runs: d.vmstatRuns }, null, 2));
  } else {
    out(pc.bold(`${sc.name}: model ${d.spec.name} (${d.spec.release}) vs. Linux ${d.caps.release}`) + (d.note ? pc.dim(`  ${d.note}`) : ''));
    out(pc.dim(`model: ${specCommandLine(d.spec)}`));
    out(formatCompare(d.rows, !!o.all));
    out('');
    if (d.vmstatRuns > 1) out(pc.dim(`a field disagreed at first, so the kernel ran the scenario ${d.vmstatRuns} times: each counter (vmstat, minflt) is its smallest value, and a run that agreed on every field is the one shown`));
    out(`${sum.agree} fields agree, ${sum.differ} disagree${sum.known ? `, ${sum.known} known difference(s) (docs/fidelity.md)` : ''}`);
  }
  return sum.differ + sum.known > 0 ? 1 : 0;
}

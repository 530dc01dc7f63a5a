// The implementation of `mmsim run` and `mmsim compare`, imported by their actions in main.ts when they
// run (the scenario loader, the model and the trace formats are not loaded at start-up).
import pc from 'picocolors';
import { ScenarioError, scenarioKernel, type CompiledScenario } from '../scenario/load.js';
import type { RunResult } from '../run.js';
import { formatJson, formatKlog, formatText } from '../trace/format.js';
import type { KernelSpec } from '../kernel/kernel.js';
export { readScenarioArg } from './input.js';
export { runScenario } from '../run.js';
export { compareTable, compareJson } from './compare.js';

function out(lines: string[] | string): void {
  process.stdout.write((Array.isArray(lines) ? lines.join('\n') : lines) + '\n');
}

export function kernelFor(sc: CompiledScenario, name: string | undefined, patches: string[], config: string[]): KernelSpec {
  const k = name ?? sc.kernel;
  if (!k) throw new ScenarioError(sc.file, 1, 1, 'kernel', "no kernel given (use --kernel, or 'kernel:' in the scenario)");
  return scenarioKernel(sc, k, patches, config);
}

export function printRun(r: RunResult, sc: CompiledScenario, format: string, quiet: boolean): void {
  const mappings = r.observation.mappings;
  if (format === 'json') {
    out(formatJson(r.events, { scenario: sc.name, file: sc.file, kernel: r.spec.name, release: r.spec.release },
      { ok: r.ok, observation: r.observation, expectations: r.expectations, conditions: r.conditions }));
    return;
  }
  if (format === 'klog') {
    out(formatKlog(r.events));
    return;
  }
  out(pc.bold(`${sc.name} on ${r.spec.name} (${r.spec.release})`));
  if (!quiet) out(formatText(r.events, mappings));
  out(pc.bold('\nOutcome'));
  for (const [n, t] of Object.entries(r.observation.threads)) {
    out(`  ${n}: ${t.state}${t.signal ? ` (${t.signal})` : ''}, minflt ${t.minflt}, majflt ${t.majflt}`);
  }
  if (r.observation.deadlock) out(pc.red('  deadlock: every live thread is blocked'));
  out(`  schedule: ${r.observation.schedule || '(none)'}`);
  if (r.expectations.length) {
    out(pc.bold('\nExpectations'));
    for (const e of r.expectations) {
      const mark = e.ok === null ? pc.red('?') : e.ok ? pc.green('✓') : pc.red('✗');
      out(`  ${mark} line ${e.line}: ${e.text}\n      ${e.detail}`);
    }
  }
  if (r.conditions.length) {
    out(pc.bold('\nConditions (this one execution)'));
    for (const c of r.conditions) {
      const p = c.p === null ? 'cannot be evaluated' : c.p ? 'P holds' : 'P does not hold';
      const exp = c.expected ? `expected ${c.expected.join(' or ')}` : `${c.kind}: P`;
      out(`  ${c.ok ? pc.green('✓') : pc.red('✗')} ${c.name} (line ${c.line}): ${c.kind} ${c.text}\n      ${p} here; ${exp}: ${c.ok ? 'consistent' : pc.red('contradicted by this execution')}`);
    }
  }
  out(r.ok ? pc.green('\nPASS') : pc.red('\nFAIL'));
}


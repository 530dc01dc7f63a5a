// `mmsim bugs`: the bug corpus (scenarios/bugs/*.yaml) on every profile. A scenario of the corpus says
// what the fixed kernel does (its expectations under `when: { has: [FIX] }`) and what the buggy one does
// (`lacks: [FIX]`). On a kernel K the bug is shown when K's own expectations hold and K's outcome breaks
// what the scenario promises for K with the fix; absent when that promise holds; `n/a` when K's own
// expectations fail (the scenario needs something K does not have, e.g. uffd-wp before v5.7).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pc from 'picocolors';
import { loadScenario, type CompiledScenario } from '../scenario/load.js';
import { evalExpectations, expectationPasses } from '../scenario/outcome.js';
import { runScenario } from '../run.js';
import { PROFILES, resolveKernel, SpecError } from '../profiles/profiles.js';
import { patchById } from '../profiles/patches.js';
import type { KernelSpec } from '../kernel/kernel.js';

export type BugVerdict = 'shown' | 'absent' | 'n/a';

/** the bug of scenario sc on kernel spec */
export function bugVerdict(sc: CompiledScenario, spec: KernelSpec): { verdict: BugVerdict; detail: string } {
  const fix = patchById(sc.bug!.fixed_by)!;
  let r;
  try {
    r = runScenario(sc, spec, { trace: false });
  } catch (e) {
    return { verdict: 'n/a', detail: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
  const own = r.expectations.filter((e) => !expectationPasses(e));
  if (own.length) return { verdict: 'n/a', detail: `its own expectations fail here (line ${own[0]!.line}: ${own[0]!.detail})` };
  if (spec.patches.has(fix)) return { verdict: 'absent', detail: `has ${fix.id}` };
  const withFix: KernelSpec = { ...spec, name: `${spec.name}+${fix.id}`, patches: new Set([...spec.patches, fix]) };
  const promised = evalExpectations(sc, withFix, { obs: r.observation, events: r.events });
  const broken = promised.filter((e) => e.ok === false);
  return broken.length
    ? { verdict: 'shown', detail: `line ${broken[0]!.line}: ${broken[0]!.detail}` }
    : { verdict: 'absent', detail: 'the outcome is what the fixed kernel gives' };
}

export interface BugRow {
  file: string;
  name: string;
  corpus: string;
  fix: string;
  patch: string;
  release: string;
  before: string | null;
  after: string | null;
  /** the pair is two real releases, not a profile with the fix taken out */
  real: boolean;
  verdicts: Record<string, BugVerdict>;
}

export function bugFiles(dir = 'scenarios/bugs'): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f));
}

export function bugRow(file: string, profiles: string[] = PROFILES.map((p) => p.name)): BugRow | null {
  const sc = loadScenario(file);
  if (!sc.bug) return null;
  const fix = patchById(sc.bug.fixed_by)!;
  const verdicts: Record<string, BugVerdict> = {};
  // a scenario states PTE values of its own kernel's architecture: profiles of another one are n/a
  const scArch = sc.kernel ? resolveKernel(sc.kernel).arch ?? 'x86_64' : 'x86_64';
  for (const p of profiles) {
    if ((PROFILES.find((x) => x.name === p)?.arch ?? 'x86_64') !== scArch) { verdicts[p] = 'n/a'; continue; }
    let spec: KernelSpec;
    try {
      spec = resolveKernel(p, [], sc.config);
    } catch (e) {
      // the scenario's config cannot be had on this profile (soft_dirty=y on arm64)
      if (e instanceof SpecError) { verdicts[p] = 'n/a'; continue; }
      throw e;
    }
    verdicts[p] = bugVerdict(sc, spec).verdict;
  }
  const isProfile = (k: string | null) => k !== null && PROFILES.some((p) => p.name === k);
  return {
    file, name: sc.name, corpus: sc.bug.corpus, fix: fix.commit || fix.ref || '-', patch: fix.id, release: fix.release,
    before: sc.bug.before, after: sc.bug.after, real: isProfile(sc.bug.before) && isProfile(sc.bug.after), verdicts,
  };
}

const MARK: Record<BugVerdict, string> = { shown: 'B', absent: '.', 'n/a': ' ' };

/** the table as text (markdown with `markdown`): one row per bug, one column per profile */
export function formatBugs(rows: BugRow[], profiles: string[], markdown = false): string {
  const lines: string[] = [];
  if (markdown) {
    lines.push(`| # | bug | fix | before → after | ${profiles.join(' | ')} |`);
    lines.push(`|---|---|---|---|${profiles.map(() => '---').join('|')}|`);
    for (const r of rows) {
      const pair = `${r.before ?? '-'} → ${r.after ?? '-'}${r.real ? '' : ' (counterfactual)'}`;
      lines.push(`| ${r.corpus} | \`${r.name}\` | ${r.fix} (${r.release}) | ${pair} | ${profiles.map((p) => MARK[r.verdicts[p]!]).join(' | ')} |`);
    }
    lines.push('');
    lines.push('B: the bug is shown; .: absent; blank: the scenario does not apply (its own expectations fail: the kernel lacks what it needs).');
    return lines.join('\n');
  }
  const w = Math.max(8, ...rows.map((r) => r.name.length));
  const pairOf = (r: BugRow) => `${r.before ?? '-'} -> ${r.after ?? '-'}${r.real ? '' : ' *'}`;
  const pw = Math.max(15, ...rows.map((r) => pairOf(r).length));
  lines.push(pc.bold(`${'#'.padStart(3)}  ${'bug'.padEnd(w)}  ${'fix'.padEnd(12)}  ${'release'.padEnd(8)}  ${'before -> after'.padEnd(pw)}  profiles: B shown, . absent, blank n/a`));
  profiles.forEach((p, i) => lines.push(pc.dim(`${''.padStart(3)}  ${''.padEnd(w)}  ${''.padEnd(12)}  ${''.padEnd(8)}  ${''.padEnd(pw)}  ${'|'.repeat(i)}${p}`)));
  for (const r of rows) {
    lines.push(`${r.corpus.padStart(3)}  ${r.name.padEnd(w)}  ${r.fix.padEnd(12)}  ${r.release.padEnd(8)}  ${pairOf(r).padEnd(pw)}  ${profiles.map((p) => MARK[r.verdicts[p]!]).join('')}`);
  }
  lines.push('');
  lines.push(pc.dim('* counterfactual: no tagged release had the bug where the model can run the scenario (docs/fidelity.md); shown on a profile with the fix taken out'));
  return lines.join('\n');
}

export function bugsJson(rows: BugRow[]): unknown {
  return rows.map((r) => ({ ...r }));
}

// `mmsim bisect FILE --good P1 --bad P2`: which upstream commit changed this scenario's outcome? The patch
// rows that differ between the two kernels are applied one at a time, in the order they landed (release,
// then table order; a row only after the rows it `requires`), the scenario is run on every kernel of that
// path, and each row after which the outcome differs from the one before it is named. It is `git bisect`
// over the patch table, except that every step is run, so a row that changes the outcome back is seen too.
import pc from 'picocolors';
import type { CompiledScenario } from '../scenario/load.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { PATCH, type Patch } from '../profiles/patches.js';
import { releaseKey, resolveKernel, SpecError } from '../profiles/profiles.js';
import type { KernelConfig } from '../profiles/config.js';
import { CONFIG_KEYS, formatConfig } from '../profiles/config.js';
import { runScenario, type RunResult } from '../run.js';
import { compareRows } from './compare.js';

/** rows of `mmsim compare` that are not the outcome: fault counts change with accounting rows, log lines and the expectations' verdict with every scenario's own `when:` */
const NOT_OUTCOME = /: minflt\/majflt$|^kernel log lines$|^expectations$/;

/** the outcome of one run, as `mmsim compare`'s rows (label -> value) */
export function outcomeOf(sc: CompiledScenario, r: RunResult): Map<string, string> {
  const m = new Map<string, string>();
  for (const row of compareRows(sc, [r])) if (!NOT_OUTCOME.test(row.label)) m.set(row.label, row.values[0]!);
  return m;
}

export interface OutcomeChange {
  label: string;
  from: string;
  to: string;
}

function diff(a: Map<string, string>, b: Map<string, string>): OutcomeChange[] {
  const out: OutcomeChange[] = [];
  for (const label of new Set([...a.keys(), ...b.keys()])) {
    const from = a.get(label) ?? '-', to = b.get(label) ?? '-';
    if (from !== to) out.push({ label, from, to });
  }
  return out;
}

export interface BisectStep {
  /** 1-based position on the path */
  n: number;
  action: 'add' | 'remove' | 'config';
  patch: Patch | null;
  /** for the config step: what changed */
  config?: string;
  kernel: string;
  /** how the outcome differs from the step before (empty: the same) */
  changed: OutcomeChange[];
  /** the run failed: its error (the outcome is that error) */
  error?: string;
}

export interface BisectResult {
  good: KernelSpec;
  bad: KernelSpec;
  steps: BisectStep[];
  /** the steps that changed the outcome */
  culprits: BisectStep[];
  /** good and bad differ in outcome */
  differ: boolean;
}

function landedKey(p: Patch): [number, number, number] {
  const k = p.kind === 'upstream' ? releaseKey(p.release) : null;
  return k ? [k[0], k[1], p.index] : [Number.MAX_SAFE_INTEGER, 0, p.index];
}
function cmpLanded(a: Patch, b: Patch): number {
  const x = landedKey(a), y = landedKey(b);
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/**
 * the path from good to bad: rows good has and bad lacks are taken out, newest first (never one another
 * present row requires), then rows bad has and good lacks are added, oldest first (each after what it requires)
 */
export function bisectPath(good: ReadonlySet<Patch>, bad: ReadonlySet<Patch>): { action: 'add' | 'remove'; patch: Patch }[] {
  const cur = new Set(good);
  const ids = () => new Set([...cur].map((p) => p.id));
  const path: { action: 'add' | 'remove'; patch: Patch }[] = [];
  const removals = [...good].filter((p) => !bad.has(p)).sort(cmpLanded).reverse();
  while (removals.length) {
    const i = removals.findIndex((p) => ![...cur].some((q) => q !== p && (q.requires ?? []).includes(p.id)));
    const [p] = removals.splice(i < 0 ? 0 : i, 1);
    cur.delete(p!);
    path.push({ action: 'remove', patch: p! });
  }
  const additions = [...bad].filter((p) => !good.has(p)).sort(cmpLanded);
  while (additions.length) {
    const have = ids();
    const i = additions.findIndex((p) => (p.requires ?? []).every((r) => have.has(r)));
    const [p] = additions.splice(i < 0 ? 0 : i, 1);
    cur.add(p!);
    path.push({ action: 'add', patch: p! });
  }
  return path;
}

function specWith(base: KernelSpec, patches: Set<Patch>, config: KernelConfig, name: string): KernelSpec {
  return { name, profile: base.profile, release: base.release, patches: new Set(patches), config: { ...config }, arch: base.arch, outOfScope: base.outOfScope };
}

/** resolve one side of a bisect; a bad name is the user's error, said with the option */
export function bisectKernel(option: string, name: string, config: string[]): KernelSpec {
  try {
    return resolveKernel(name, [], config);
  } catch (e) {
    if (e instanceof SpecError) throw new SpecError(`${option}: ${e.message}`);
    throw e;
  }
}

export function bisectScenario(sc: CompiledScenario, good: KernelSpec, bad: KernelSpec): BisectResult {
  if (good.arch !== bad.arch) {
    throw new SpecError(`--good ${good.name} is ${good.arch} and --bad ${bad.name} is ${bad.arch}: bisect walks the patch rows between two kernels of one architecture`);
  }
  const scenarioSetsUnpriv = sc.config.some((c) => c.startsWith('unprivileged_userfaultfd='));
  const run = (spec: KernelSpec): { outcome: Map<string, string>; error?: string } => {
    try {
      return { outcome: outcomeOf(sc, runScenario(sc, spec, { trace: false })) };
    } catch (e) {
      // a kernel of the path where the scenario cannot run (an operation it does not know yet, a model limit)
      const msg = e instanceof Error ? e.message : String(e);
      return { outcome: new Map([['error', msg]]), error: msg };
    }
  };
  const cur = new Set(good.patches);
  let config: KernelConfig = { ...good.config };
  let prev = run(good).outcome;
  const first = prev;
  const steps: BisectStep[] = [];
  const names: string[] = [];
  for (const { action, patch } of bisectPath(good.patches, bad.patches)) {
    if (action === 'add') cur.add(patch);
    else cur.delete(patch);
    names.push((action === 'add' ? '+' : '-') + patch.id);
    // vm.unprivileged_userfaultfd's default follows d0d4730ac2e4, as resolveKernel sets it
    if (!scenarioSetsUnpriv) config = { ...config, unprivileged_userfaultfd: !cur.has(PATCH.uffdSysctlUserModeOnly) };
    const name = `${good.name}${names.length > 3 ? `(${names.length} rows)${names.at(-1)}` : names.join('')}`;
    const r = run(specWith(good, cur, config, name));
    steps.push({ n: steps.length + 1, action, patch, kernel: name, changed: diff(prev, r.outcome), ...(r.error ? { error: r.error } : {}) });
    prev = r.outcome;
  }
  // the configuration (a profile's defaults are no patch row): switched last
  const cfgDiff = CONFIG_KEYS.filter((k) => config[k] !== bad.config[k]);
  if (cfgDiff.length) {
    const r = run(specWith(good, cur, bad.config, bad.name));
    const before = formatConfig(config).split(','), after = formatConfig(bad.config).split(',');
    const what = CONFIG_KEYS.map((k, i) => (cfgDiff.includes(k) ? `${before[i]} -> ${after[i]!.split('=')[1]}` : '')).filter(Boolean).join(', ');
    steps.push({ n: steps.length + 1, action: 'config', patch: null, config: what, kernel: bad.name, changed: diff(prev, r.outcome), ...(r.error ? { error: r.error } : {}) });
    prev = r.outcome;
  }
  return { good, bad, steps, culprits: steps.filter((s) => s.changed.length > 0), differ: diff(first, prev).length > 0 };
}

function stepTitle(s: BisectStep): string {
  if (!s.patch) return `config ${s.config}`;
  const p = s.patch;
  return `${s.action === 'add' ? '+' : '-'}${p.id}  ${p.commit || p.ref || '-'}  ${p.release}  ${p.subject}`;
}

export function formatBisect(sc: CompiledScenario, r: BisectResult): string {
  const lines: string[] = [];
  const adds = r.steps.filter((s) => s.action === 'add').length, removes = r.steps.filter((s) => s.action === 'remove').length;
  lines.push(pc.bold(`${sc.name}: bisect from ${r.good.name} (${r.good.release}) to ${r.bad.name} (${r.bad.release})`));
  lines.push(`  ${r.steps.length} step${r.steps.length === 1 ? '' : 's'}: ${adds} row${adds === 1 ? '' : 's'} added, ${removes} taken out${r.steps.some((s) => s.action === 'config') ? ', then the configuration' : ''}; the scenario ran on each`);
  if (!r.culprits.length) {
    lines.push('');
    lines.push(`the outcome is the same on every kernel between them: no row changes it`);
    return lines.join('\n');
  }
  lines.push('');
  lines.push(pc.bold(`the outcome changed at ${r.culprits.length} step${r.culprits.length === 1 ? '' : 's'}:`));
  for (const s of r.culprits) {
    lines.push(pc.yellow(`  [${s.n}/${r.steps.length}] ${stepTitle(s)}`));
    if (s.patch) lines.push(pc.dim(`      ${s.patch.summary}`));
    for (const c of s.changed.slice(0, 12)) lines.push(`      ${c.label}: ${c.from} -> ${c.to}`);
    if (s.changed.length > 12) lines.push(`      ... and ${s.changed.length - 12} more`);
  }
  const first = r.culprits[0]!;
  lines.push('');
  lines.push(first.patch ? `first: ${first.patch.commit || first.patch.ref} (${first.patch.id})` : `first: the configuration (${first.config})`);
  if (!r.differ) lines.push(pc.dim('(the outcomes of the two ends are the same: the changes above cancel out)'));
  return lines.join('\n');
}

export function bisectJson(sc: CompiledScenario, r: BisectResult): unknown {
  const patch = (p: Patch | null) => (p ? { id: p.id, commit: p.commit, subject: p.subject, release: p.release, kind: p.kind } : null);
  return {
    scenario: sc.name, file: sc.file,
    good: { kernel: r.good.name, release: r.good.release }, bad: { kernel: r.bad.name, release: r.bad.release },
    differ: r.differ,
    steps: r.steps.map((s) => ({ n: s.n, action: s.action, patch: patch(s.patch), ...(s.config ? { config: s.config } : {}), changed: s.changed, ...(s.error ? { error: s.error } : {}) })),
    commits: r.culprits.map((s) => (s.patch ? s.patch.commit || s.patch.id : 'config')),
    first: r.culprits.length ? (r.culprits[0]!.patch ? patch(r.culprits[0]!.patch) : { config: r.culprits[0]!.config }) : null,
  };
}

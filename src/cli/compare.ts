// `mmsim compare`: the outcome of one scenario on several kernels, side by side.
import pc from 'picocolors';
import type { CompiledScenario } from '../scenario/load.js';
import type { RunResult } from '../run.js';
import { expectationPasses, formatOutObs } from '../scenario/outcome.js';
import { archRules, pfnMask, type ArchName } from '../kernel/arch/arch.js';

/** an entry as pfn|flags when present on its kernel's architecture, else the raw value */
function flagsOf(raw: string | null | undefined, arch: ArchName | undefined): string {
  if (!raw) return 'none';
  const v = BigInt(raw);
  if (v === 0n) return 'none';
  return v & archRules(arch).presentMask ? 'pfn|0x' + (v & ~pfnMask(arch)).toString(16).padStart(16, '0') : '0x' + v.toString(16);
}

export interface CompareRow {
  label: string;
  values: string[];
  always?: boolean;
}

export function compareRows(sc: CompiledScenario, runs: RunResult[]): CompareRow[] {
  const rows: CompareRow[] = [];
  const obs = runs.map((r) => r.observation);
  for (const t of sc.threads) {
    rows.push({ label: `${t.name}: outcome`, values: obs.map((o) => { const x = o.threads[t.name]!; return x.signal ? `${x.signal}` : x.state; }), always: true });
    rows.push({ label: `${t.name}: minflt/majflt`, values: obs.map((o) => `${o.threads[t.name]!.minflt}/${o.threads[t.name]!.majflt}`) });
  }
  const opIds = new Set<string>();
  for (const o of obs) for (const id of Object.keys(o.ops)) opIds.add(id);
  for (const id of opIds) rows.push({ label: `op ${id}`, values: obs.map((o) => { const r = o.ops[id]; return !r ? '-' : r.errno ? `-${r.errno}${r.out ? ' ' + formatOutObs(r.out) : ''}` : r.result ?? '0'; }) });
  const snaps = ['setup', ...sc.checkpoints.filter((c) => c !== 'setup'), 'final'];
  for (const s of snaps) {
    for (const { key } of sc.pages) {
      const get = (f: (p: NonNullable<RunResult['observation']['snapshots'][string]['pages'][string]>, arch: ArchName | undefined) => string) =>
        obs.map((o, i) => { const p = o.snapshots[s]?.pages[key]; return p ? f(p, runs[i]!.spec.arch) : '-'; });
      rows.push({ label: `${key} @${s}: pmd`, values: get((p, a) => flagsOf(p.pmd, a)) });
      rows.push({ label: `${key} @${s}: pte`, values: get((p, a) => flagsOf(p.pte, a)) });
      rows.push({ label: `${key} @${s}: pagemap`, values: get((p) => p.pagemap) });
      rows.push({ label: `${key} @${s}: kpageflags`, values: get((p) => p.kpageflags ?? 'none') });
    }
    // device: where a run used device memory, the pages' refcounts and the driver's counters (model only)
    if (obs.some((o) => Object.values(o.snapshots).some((x) => x.devmem))) {
      for (const { key } of sc.pages) {
        rows.push({ label: `${key} @${s}: refcount`, values: obs.map((o) => { const p = o.snapshots[s]?.pages[key]; return p?.refcount === undefined ? '-' : String(p.refcount ?? 'none'); }) });
      }
      rows.push({ label: `device memory @${s}: allocated/freed/in use`, values: obs.map((o) => { const d = o.snapshots[s]?.devmem; return d ? `${d.allocated}/${d.freed}/${d.in_use}` : '-'; }) });
    }
    for (const m of sc.mappings) {
      rows.push({ label: `${m} @${s}: AnonHugePages kB`, values: obs.map((o) => String(o.snapshots[s]?.smaps[m]?.AnonHugePages ?? '-')) });
    }
    rows.push({ label: `VMAs @${s}`, values: obs.map((o) => String(o.snapshots[s]?.vma_count ?? '-')) });
  }
  const counters = new Set<string>();
  for (const o of obs) for (const [n, v] of Object.entries(o.snapshots.final?.vmstat ?? {})) if (v) counters.add(n);
  for (const n of counters) {
    rows.push({ label: `vmstat ${n} (setup -> final)`, values: obs.map((o) => `+${(o.snapshots.final?.vmstat[n] ?? 0) - (o.snapshots.setup?.vmstat[n] ?? 0)}`) });
  }
  rows.push({
    label: 'kernel log lines', values: runs.map((r) => String(r.events.filter((e) => e.type === 'klog').length)),
  });
  rows.push({ label: 'expectations', values: runs.map((r) => (r.expectations.length === 0 ? '-' : r.ok ? 'PASS' : 'FAIL')), always: true });
  return rows;
}

export function compareTable(sc: CompiledScenario, runs: RunResult[], all: boolean): string {
  // every row whose values differ, whatever its kind (pagemap and kpageflags rows included), and the outcomes
  const rows = compareRows(sc, runs).filter((r) => all || r.always || new Set(r.values).size > 1);
  const heads = runs.map((_, i) => `[${i + 1}]`);
  const w0 = Math.max(10, ...rows.map((r) => r.label.length));
  const ws = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => r.values[i]!.length)));
  const lines: string[] = [];
  lines.push(pc.bold(`${sc.name}: ${runs.length} kernels${all ? '' : ' (rows that differ, plus outcomes; --all for every row)'}`));
  runs.forEach((r, i) => lines.push(`  [${i + 1}] ${r.spec.name} (${r.spec.release})`));
  lines.push('');
  lines.push((''.padEnd(w0) + '  ' + heads.map((h, i) => h.padEnd(ws[i]!)).join('  ')).trimEnd());
  for (const r of rows) {
    const differ = new Set(r.values).size > 1;
    const vals = r.values.map((v, i) => v.padEnd(ws[i]!));
    const line = (r.label.padEnd(w0) + '  ' + vals.join('  ')).trimEnd();
    lines.push(differ ? pc.yellow(line) : line);
  }
  // which expectations failed, per kernel
  runs.forEach((r, i) => {
    const failed = r.expectations.filter((e) => !expectationPasses(e));
    if (failed.length === 0) return;
    lines.push('');
    lines.push(pc.red(`[${i + 1}] ${r.spec.name}: ${failed.length} expectation${failed.length > 1 ? 's' : ''} not as expected`));
    for (const e of failed) lines.push(`  line ${e.line}: ${e.text}\n      ${e.detail}`);
  });
  return lines.join('\n');
}

/** `mmsim compare --json`: every row, each kernel's expectations, and whether all held */
export function compareJson(sc: CompiledScenario, runs: RunResult[]): unknown {
  return {
    scenario: sc.name, file: sc.file,
    kernels: runs.map((r) => ({ kernel: r.spec.name, release: r.spec.release, ok: r.ok, expectations: r.expectations })),
    rows: compareRows(sc, runs).map((r) => ({ label: r.label, values: r.values, differ: new Set(r.values).size > 1 })),
    ok: runs.every((r) => r.ok),
  };
}

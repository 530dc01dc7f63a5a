// `mmsim fuzz --host`: random scenarios on this machine's kernel and on the model configured as the
// probe says, compared field by field. A new disagreement is confirmed by running the case again,
// shrunk with fast-check to the smallest case that still shows one of its new signature lines, and
// written as a scenario file that `mmsim host FILE --compare` and `mmsim run FILE` replay.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type fc from 'fast-check';
import { loadScenario, CompiledScenario, ScenarioError } from '../scenario/load.js';
import { probeHost, hostSpec, HostCaps } from '../host/probe.js';
import { memoryNodes, missingCapability } from '../host/requirements.js';
import { foreignSwaps } from '../host/swap.js';
import { differential } from '../host/differential.js';
import { resolveKernel } from '../profiles/profiles.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { caseArb, FuzzCase, FuzzTarget, renderCase } from './gen.js';
import { generate, shrink } from './rng.js';
import { signature, KnownLine, explained } from './signature.js';
import { expectationsFromRows } from './expect.js';

export interface HostFuzzOptions {
  runs: number;
  seed: number;
  outDir: string;
  known: KnownLine[];
  /** most candidates tried when shrinking one disagreement */
  shrinkBudget?: number;
  /** only this run (replay of one case) */
  only?: number;
  onProgress?: (s: HostFuzzStats, run: number) => void;
  onFinding?: (g: Finding) => void;
}

export interface Finding {
  /** the shrunk case's signature lines that are new */
  lines: string[];
  /** all signature lines of the shrunk case */
  all: string[];
  run: number;
  /** later runs with the same new lines */
  count: number;
  /** the runs of the session that showed it (the first, then the recurring ones) */
  runs: number[];
  file: string | null;
  ops: number;
  originalOps: number;
  /** the disagreement did not show again when the case ran again */
  unreproducible: boolean;
}

export interface HostFuzzStats {
  runs: number;
  ops: number;
  agree: number;
  disagree: number;
  /** disagreements explained by a known line (known-differences.yaml, known-fuzz.yaml) */
  known: number;
  /** cases this machine cannot run (missingCapability) */
  skipped: number;
  /** runs that reached an operation the model does not carry out (`not modelled: ...`), by the refusal's text */
  refused: Record<string, number>;
  findings: Finding[];
  ms: number;
}

/** the target the generator may use on this kernel */
export function hostTarget(caps: HostCaps): FuzzTarget {
  return {
    features: Number(BigInt(caps.uffd_features)), pagemapScan: caps.pagemap_scan, splitHugePages: caps.split_huge_pages,
    // swap files need root and no other swap device (host/requirements.ts); pins are io_uring fixed buffers
    swap: caps.root && foreignSwaps().length === 0,
    pins: caps.io_uring_buffers ? 'io_uring' : 'none',
    // the executor migrates (mbind) only in the setup, and fuzz cases migrate in threads (host/requirements.ts);
    // their ranges may also end inside a THP, where mbind splits the VMA and the PMD and the model does not
    migrate: false,
    // khugepaged is a kernel thread: no process can start its scan or hold it between its steps
    khugepaged: false,
    // move_pages reports each page's node: comparable where node 0 alone has memory, as in the model
    movePages: memoryNodes() === '0',
    // mmap(MAP_FIXED) over a range of a scenario's mapping (never past it: the executor's own memory is there)
    mmapFixed: true,
    // MADV_GUARD_INSTALL / REMOVE where the probe saw the advice work (v6.13+)
    guardRegions: caps.guard_regions === true,
    // exit(2) of the forked child at the end of its thread (the executor waits for the process to be gone)
    exit: true,
    // UFFD_FEATURE_EVENT_FORK where the kernel offers it: the generator's only fork is the worker's, in the main
    // process, never in the setup (the shapes host/requirements.ts lets the executor run)
    eventFork: true,
    // shared memory, memfds and tmpfs files (the executor's files live under /dev/shm), hugetlb memory (private
    // anonymous, a hugetlbfs memfd) where the executor may set the pool (root)
    backings: caps.root ? ['shared', 'memfd', 'memfd_private', 'hugetlb', 'tmpfs', 'tmpfs_private', 'memfd_hugetlb'] : ['shared', 'memfd', 'memfd_private', 'tmpfs', 'tmpfs_private'],
  };
}

/** the config lines (for the scenario file) where the probed spec differs from its profile's defaults */
export function configDiff(spec: KernelSpec): Record<string, string> {
  const base = resolveKernel(spec.profile).config as unknown as Record<string, unknown>;
  const have = spec.config as unknown as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(have)) {
    if (base[k] !== v) out[k] = v === true ? 'y' : v === false ? 'n' : String(v);
  }
  return out;
}

type Outcome =
  | { kind: 'skip'; why: string; refused?: true }
  | { kind: 'agree' }
  | { kind: 'differ'; lines: string[]; rows: import('../host/compare.js').CompareRow[]; sc: CompiledScenario };

async function runCase(c: FuzzCase, name: string, spec: KernelSpec, caps: HostCaps): Promise<Outcome & { ops: number }> {
  const r = renderCase(c, { name, kernel: spec.profile, config: configDiff(spec) });
  const sc = loadScenario(`${name}.yaml`, r.yaml);
  const why = missingCapability(sc, caps);
  if (why) return { kind: 'skip', why, ops: r.ops };
  let d;
  try {
    d = await differential(sc, []);
  } catch (e) {
    // an operation the model declares it does not carry out (`not modelled: ...`, exit 2): a limit, not a disagreement
    if (e instanceof ScenarioError && /^not modelled( on [^:]+)?:/.test(e.detail)) return { kind: 'skip', why: e.detail, refused: true, ops: r.ops };
    return { kind: 'differ', lines: [`model threw ${(e as Error).constructor.name}: ${(e as Error).message.split('\n')[0]!.replace(/0x[0-9a-f]{6,}/g, 'ADDR')}`], rows: [], sc, ops: r.ops };
  }
  if (d.kind === 'skipped') return { kind: 'skip', why: d.reason, ops: r.ops };
  if (d.host.kind !== 'ok') return { kind: 'differ', lines: [`the kernel run failed: ${d.host.reason.replace(/\d+ ms/g, 'N ms')}`], rows: [], sc, ops: r.ops };
  const lines = signature(sc, d.rows);
  return lines.length ? { kind: 'differ', lines, rows: d.rows, sc, ops: r.ops } : { kind: 'agree', ops: r.ops };
}

export async function hostFuzz(o: HostFuzzOptions): Promise<HostFuzzStats> {
  const caps = await probeHost();
  const { spec } = hostSpec(caps);
  const arb = caseArb(hostTarget(caps));
  const stats: HostFuzzStats = { runs: 0, ops: 0, agree: 0, disagree: 0, known: 0, skipped: 0, refused: {}, findings: [], ms: 0 };
  const t0 = Date.now();
  const isNew = (l: string, known: Set<string>) => !known.has(l) && !stats.findings.some((f) => f.lines.includes(l));
  const first = o.only ?? 0, last = o.only !== undefined ? o.only + 1 : o.runs;
  for (let run = first; run < last; run++) {
    const v = generate(arb, o.seed, run);
    const name = `fuzz-${o.seed}-${run}`;
    const out = await runCase(v.value_, name, spec, caps);
    stats.runs++;
    stats.ops += out.ops;
    if (out.kind === 'skip' && out.refused) stats.refused[out.why] = (stats.refused[out.why] ?? 0) + 1;
    else if (out.kind === 'skip') stats.skipped++;
    else if (out.kind === 'agree') stats.agree++;
    else {
      stats.disagree++;
      const known = explained(o.known, out.lines);
      const fresh = out.lines.filter((l) => isNew(l, known));
      if (fresh.length === 0) {
        const f = stats.findings.find((x) => out.lines.some((l) => x.lines.includes(l)));
        if (f) {
          f.count++;
          f.runs.push(run);
        }
        else stats.known++;
      } else {
        const finding = await investigate(arb, v, fresh, run, name, spec, caps, o);
        stats.findings.push(finding);
        o.onFinding?.(finding);
      }
    }
    stats.ms = Date.now() - t0;
    o.onProgress?.(stats, run);
  }
  stats.ms = Date.now() - t0;
  return stats;
}

/** confirm a new disagreement, shrink it, write it */
async function investigate(arb: fc.Arbitrary<FuzzCase>, v: fc.Value<FuzzCase>, fresh: string[], run: number, name: string, spec: KernelSpec,
  caps: HostCaps, o: HostFuzzOptions): Promise<Finding> {
  const still = async (c: FuzzCase): Promise<string[] | null> => {
    try {
      const r = await runCase(c, name, spec, caps);
      if (r.kind !== 'differ') return null;
      return r.lines.some((l) => fresh.includes(l)) ? r.lines : null;
    } catch {
      return null; // a candidate the loader refuses does not count
    }
  };
  const originalOps = renderCase(v.value_, { name, kernel: spec.profile }).ops;
  // system-wide state (other work on the machine) can make a kernel run differ once: a disagreement counts
  // as new only when it shows again both times the case runs again
  const first = await still(v.value_);
  const again = first ? await still(v.value_) : null;
  if (!first || !again) {
    const file = write(o.outDir, `${name}-unreproducible`, v.value_, spec, fresh, run, o.seed, 'did not show again every time the case ran twice more', null);
    return { lines: fresh, all: fresh, run, count: 1, runs: [run], file, ops: originalOps, originalOps, unreproducible: true };
  }
  const s = await shrink(arb, v, async (c) => (await still(c)) !== null, o.shrinkBudget ?? 200);
  const final = await runCase(s.value.value_, name, spec, caps);
  const lines = final.kind === 'differ' ? final.lines : again;
  const kept = lines.filter((l) => fresh.includes(l));
  const expect = final.kind === 'differ' ? expectationsFromRows(final.sc, final.rows) : null;
  const file = write(o.outDir, name, s.value.value_, spec, lines, run, o.seed, `shrunk from ${originalOps} to ${final.ops} operations (${s.tried} candidates tried)`, expect);
  return { lines: kept.length ? kept : fresh, all: lines, run, count: 1, runs: [run], file, ops: final.ops, originalOps, unreproducible: false };
}

function write(dir: string, name: string, c: FuzzCase, spec: KernelSpec, lines: string[], run: number, seed: number, note: string,
  expect: string[] | null): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  const r = renderCase(c, {
    name, kernel: spec.profile, config: configDiff(spec),
    comment: [
      `mmsim fuzz --host --seed ${seed} --run ${run}: the model (${spec.name}) and this kernel disagree; ${note}.`,
      'The disagreement (signature lines):',
      ...lines.map((l) => `  ${l}`),
      ...(expect && expect.length ? ['The expectations below are what the kernel did in the differing fields: `mmsim host FILE` passes them, `mmsim run FILE` fails until the model agrees.'] : []),
      `Replay: mmsim host ${file} --compare`,
    ],
    expect: expect ?? undefined,
  });
  writeFileSync(file, r.yaml);
  return file;
}

// Fuzzing of scenario files (`mmsim fuzz --files`): the project's own scenarios, mutated as a person
// editing them by hand would (lines deleted, duplicated, swapped; values replaced by edge values; a key
// renamed), plus hostile inputs (alias bombs, deep nesting, binary junk, files of megabytes). Each input
// goes through the whole `mmsim run` command in this process, under a time budget; the only acceptable
// exits are 0, 1, 2 (with file:line:column) and 3, within the budget. Exit 4, an unpositioned exit 2, or
// an input that overruns its budget is a finding, printed with the seed and run that give it again.
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from './rng.js';
import { isScenarioName } from '../scenario/files.js';

export interface FileInput {
  /** what was done to which scenario, in a few words */
  what: string;
  text: string;
}

/** every scenario file under dir, recursively, with its text */
export function corpus(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (isScenarioName(e)) out.push({ file: p, text: readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

/** values a hand-edit or a careless generator might put in a scenario */
const EDGE_VALUES = [
  '0', '1', '-1', '4095', '4097', '0x_', '0x', '1T', '127T', '1G', '2M', '0xffffffffffffffff', '0x10000000000000000',
  '18446744073709551615', '-4K', '3.5', '1e9', 'null', '~', "''", '[]', '{}', 'yes', 'no', 'ram + ram', 'ram * 0',
  '(((1)))', 'msg.address', 'nope', '0x7ffffffff000', '0xffff800000000000', '"4K"', '0b102', '1_000_', '&a', '*a',
];
const HOSTILE = [
  // an alias bomb
  'name: bomb\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\nsetup: []\n',
  // an alias to nothing
  'name: t\nkernel: v6.18\nsetup:\n  - mmap: { as: m, len: *nope }\n',
  // deep flow nesting
  'name: t\nkernel: v6.18\nsetup: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n',
  // deep expression nesting
  'name: t\nkernel: v6.18\nsetup:\n  - mmap: { as: m, len: 4K }\n  - write: { addr: ' + '('.repeat(3000) + 'm' + ')'.repeat(3000) + ' }\n',
  // binary junk and invalid UTF-8
  '\u0000\u0001\u0002\ufffd\ufffd name: t\n\u0007',
  '',
  '\t\tname: t\n\tsetup: []\n',
  'name: t\nname: t\nsetup: []\n',
];

/** a mutation of one corpus text (fast-check arbitrary: shrinkable, seeded) */
function mutationArb(texts: { file: string; text: string }[]): fc.Arbitrary<FileInput> {
  const pick = fc.nat({ max: texts.length - 1 });
  const lineOp = fc.record({
    // values most often: a file that still loads exercises the run; the rest breaks its shape
    kind: fc.oneof(
      { weight: 8, arbitrary: fc.constant('value' as const) },
      { weight: 2, arbitrary: fc.constantFrom('delete' as const, 'duplicate' as const, 'swap' as const) },
      { weight: 1, arbitrary: fc.constantFrom('key' as const, 'indent' as const, 'truncate' as const) },
    ),
    a: fc.nat(), b: fc.nat(), v: fc.nat({ max: EDGE_VALUES.length - 1 }),
  });
  const mutated = fc.tuple(pick, fc.array(lineOp, { minLength: 1, maxLength: 3 })).map(([i, ops]) => {
    const src = texts[i]!;
    let lines = src.text.split('\n');
    const done: string[] = [];
    for (const o of ops) {
      if (lines.length === 0) break;
      const a = o.a % lines.length, b = o.b % lines.length;
      switch (o.kind) {
        case 'delete': lines.splice(a, 1); break;
        case 'duplicate': lines.splice(a, 0, lines[a]!); break;
        case 'swap': [lines[a], lines[b]] = [lines[b]!, lines[a]!]; break;
        case 'indent': lines[a] = ' ' + lines[a]; break;
        case 'truncate': lines = lines.slice(0, a + 1); lines[a] = lines[a]!.slice(0, Math.floor(lines[a]!.length / 2)); break;
        case 'key': lines[a] = lines[a]!.replace(/(\w+):/, (_m, k: string) => `${k.slice(1) || 'x'}:`); break;
        case 'value': {
          // replace the n-th value (after a colon or a dash) on that line
          const vals = [...lines[a]!.matchAll(/(:\s*|-\s+|\[\s*|,\s*)([^,\]}\s][^,\]}]*)/g)];
          if (vals.length) {
            const m = vals[o.b % vals.length]!;
            const at = m.index! + m[1]!.length;
            lines[a] = lines[a]!.slice(0, at) + EDGE_VALUES[o.v]! + lines[a]!.slice(at + m[2]!.length);
          }
          break;
        }
      }
      done.push(`${o.kind} line ${a + 1}`);
    }
    return { what: `${src.file}: ${done.join(', ')}`, text: lines.join('\n') };
  });
  const hostile = fc.nat({ max: HOSTILE.length - 1 }).map((i) => ({ what: `hostile input ${i}`, text: HOSTILE[i]! }));
  // many megabytes: a scenario whose setup repeats an operation tens of thousands of times
  const big = fc.tuple(pick, fc.integer({ min: 20_000, max: 120_000 })).map(([i, n]) => {
    const head = texts[i]!.text.split('\n').filter((l) => !/^(threads|expect|condition|conditions|verdict):/.test(l));
    const setupAt = head.findIndex((l) => /^setup:/.test(l));
    const extra = '  - mmap: { len: 4K }\n'.repeat(n);
    const text = setupAt < 0 ? `name: big\nkernel: v6.18\nsetup:\n${extra}` : [...head.slice(0, setupAt + 1), extra].join('\n');
    return { what: `${texts[i]!.file} with ${n} extra mmaps (${(text.length / 2 ** 20).toFixed(1)} MB)`, text };
  });
  return fc.oneof({ weight: 90, arbitrary: mutated }, { weight: 7, arbitrary: hostile }, { weight: 3, arbitrary: big });
}

/** the text of input `run` of seed `seed` (to keep a finding as a file) */
export function generateFileInput(dir: string, seed: number, run: number): string {
  return generate(mutationArb(corpus(dir)), seed, run).value.text;
}

export interface FileFuzzResult {
  exit: number;
  ms: number;
  stderr: string;
}

export interface FileFinding {
  run: number;
  what: string;
  why: string;
  exit: number;
  stderr: string;
  file: string;
}

export interface FileFuzzStats {
  runs: number;
  byExit: Record<number, number>;
  findings: FileFinding[];
  /** the most CPU time one input took, in ms */
  slowestMs: number;
}

/** a positioned error line: `mmsim: FILE:LINE:COL: ...` */
export function positioned(stderr: string, file: string): boolean {
  const first = stderr.split('\n').find((l) => l.startsWith('mmsim: ')) ?? '';
  return first.startsWith(`mmsim: ${file}:`) && /^mmsim: .+?:\d+:\d+: /.test(first);
}

/**
 * run `runs` mutated inputs of seed `seed` through `mmsim run FILE` (each under `maxTimeS` seconds and
 * `maxMemory`); `exec` runs the command and returns its exit status and stderr
 */
export async function fileFuzz(opts: {
  dir: string; seed: number; runs: number; only?: number; maxTimeS: number; maxMemory: string;
  exec: (argv: string[]) => Promise<{ exit: number; stderr: string }>;
  onRun?: (run: number, stats: FileFuzzStats) => void;
}): Promise<FileFuzzStats> {
  const texts = corpus(opts.dir);
  const arb = mutationArb(texts);
  const tmp = mkdtempSync(join(tmpdir(), 'mmsim-fuzz-files-'));
  const stats: FileFuzzStats = { runs: 0, byExit: {}, findings: [], slowestMs: 0 };
  // the budget bounds the work; setup and output around it get a margin before an input counts as a hang
  // (the exec is in this process, so its CPU time is this process's)
  const hangMs = opts.maxTimeS * 1000 * 2 + 5000;
  try {
    for (let run = 0; run < opts.runs; run++) {
      if (opts.only !== undefined && run !== opts.only) continue;
      const input = generate(arb, opts.seed, run).value;
      const file = join(tmp, `in-${run}.yaml`);
      writeFileSync(file, input.text);
      // the work an input costs is the CPU time it takes (exec runs the command in this process): wall time
      // would also count what other processes of a busy machine take from it
      const c0 = process.cpuUsage();
      const r = await opts.exec(['run', file, '-q', '--max-time', String(opts.maxTimeS), '--max-memory', opts.maxMemory, '--no-progress']);
      const cpu = process.cpuUsage(c0);
      const ms = (cpu.user + cpu.system) / 1000;
      stats.runs++;
      stats.byExit[r.exit] = (stats.byExit[r.exit] ?? 0) + 1;
      stats.slowestMs = Math.max(stats.slowestMs, ms);
      let why: string | null = null;
      if (r.exit === 4) why = 'internal error (exit 4)';
      else if (![0, 1, 2, 3].includes(r.exit)) why = `exit ${r.exit}`;
      else if (r.exit === 2 && !positioned(r.stderr, file)) why = 'exit 2 without file:line:column';
      else if (ms > hangMs) why = `took ${(ms / 1000).toFixed(1)} s of CPU (budget ${opts.maxTimeS} s)`;
      if (why) stats.findings.push({ run, what: input.what, why, exit: r.exit, stderr: r.stderr.trim().split('\n').slice(0, 3).join(' | ').replaceAll(tmp, '<tmp>'), file });
      rmSync(file, { force: true });
      opts.onRun?.(run, stats);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return stats;
}

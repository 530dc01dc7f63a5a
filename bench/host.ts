// Benchmarks of the model against the real kernel of this machine, in the same run (npm run bench).
//
// Each workload runs in the model (a compiled scenario on a Machine, trace off, only the measured steps
// timed) and natively (mmsim-exec --bench, the same work as a tight C loop, only the measured part
// timed), after warm-ups (the model: at least 3 runs and 300 ms; the kernel: one run); then 5 measured
// runs each, back to back (freed memory goes back to the hypervisor after about 2 s on these machines,
// so the kernel's memory stays warm). Prints the medians and the ratio model/kernel, and the model's heap for a fully populated 1 TiB THP-backed VMA.
//
//   node --expose-gc dist/bench/host.js [--runs N] [--only W1,W3] [--json] [--model-only]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { cpus, totalmem } from 'node:os';
import type { CompiledScenario, CompiledThread } from '../src/scenario/load.js';
import type { CompiledOp } from '../src/scenario/ops.js';
import type { Expr } from '../src/scenario/expr.js';
import { Machine } from '../src/sched/machine.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { executorPath } from '../src/host/executor.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, UFFDIO_REGISTER_MODE_WP, UFFDIO_WRITEPROTECT_MODE_WP } from '../src/kernel/include/uapi.js';

const GiB = 1 << 30;
const PAGE = 4096;
const num = (v: number): Expr => ({ k: 'num', v: String(v) });
const sym = (name: string, field?: string): Expr => (field ? { k: 'sym', name, field } : { k: 'sym', name });
const add = (a: Expr, b: Expr): Expr => ({ k: 'bin', op: '+', a, b });
let ids = 0;
const op = <T extends Omit<CompiledOp, 'id' | 'line'>>(o: T): CompiledOp => ({ id: `b${++ids}`, line: 0, ...o } as unknown as CompiledOp);

function scenario(name: string, setup: CompiledOp[], threads: CompiledThread[]): CompiledScenario {
  return {
    version: 1, file: `<bench ${name}>`, name, description: '', kernel: null, config: [], pages: [], mems: [], bug: null, mappings: ['ram'],
    setup, threads, expect: [], condition: null, verdicts: [], checkpoints: ['setup'], names: { ram: 'mmap', uffd: 'userfaultfd', msg: 'read_uffd' },
  };
}

/** mmap `len` at 2 MiB alignment, THP or not, populated for writing */
function populated(len: number, huge: boolean): CompiledOp[] {
  return [
    op({ op: 'mmap', as: 'ram', addr: null, len: num(len), prot: PROT_READ | PROT_WRITE, flags: MAP_PRIVATE | MAP_ANONYMOUS, align: 2 << 20 }),
    op({ op: 'madvise', addr: sym('ram'), len: num(len), advice: [huge ? 'hugepage' : 'nohugepage', 'populate_write'] }),
  ];
}
function registerWp(len: number, nonblock: boolean): CompiledOp[] {
  return [
    op({ op: 'userfaultfd', as: 'uffd', nonblock, user_mode_only: false, via: 'syscall', api: true, features: 0 }),
    op({ op: 'uffdio_register', uffd: 'uffd', addr: sym('ram'), len: num(len), mode: UFFDIO_REGISTER_MODE_WP, as: null }),
  ];
}

interface Workload {
  id: string;
  what: string;
  pages: number;
  target: number;
  model: () => CompiledScenario;
}

const W1_PAGES = 65536;
export const WORKLOADS: Workload[] = [
  {
    id: 'W1', what: 'uffd-wp synchronous round trip, 65,536 pages (every write faults, a handler un-protects that page)', pages: W1_PAGES, target: 0.1,
    model: () => {
      const len = W1_PAGES * PAGE;
      const vcpu: CompiledOp[] = [];
      const handler: CompiledOp[] = [];
      for (let i = 0; i < W1_PAGES; i++) {
        vcpu.push(op({ op: 'write', addr: add(sym('ram'), num(i * PAGE)), value: num(2), size: 1 }));
        handler.push(op({ op: 'read_uffd', uffd: 'uffd', as: 'msg' }));
        handler.push(op({ op: 'uffdio_writeprotect', uffd: 'uffd', addr: sym('msg', 'address'), len: num(PAGE), mode: 0 }));
      }
      return scenario('W1', [
        ...populated(len, false), ...registerWp(len, false),
        op({ op: 'uffdio_writeprotect', uffd: 'uffd', addr: sym('ram'), len: num(len), mode: UFFDIO_WRITEPROTECT_MODE_WP }),
      ], [{ name: 'vcpu', process: 'main', ops: vcpu }, { name: 'handler', process: 'main', ops: handler }]);
    },
  },
  {
    id: 'W2', what: 'UFFDIO_WRITEPROTECT of 1 GiB populated with 4 KiB pages', pages: GiB / PAGE, target: 1.0,
    model: () => scenario('W2', [...populated(GiB, false), ...registerWp(GiB, true)], [{
      name: 't', process: 'main', ops: [op({ op: 'uffdio_writeprotect', uffd: 'uffd', addr: sym('ram'), len: num(GiB), mode: UFFDIO_WRITEPROTECT_MODE_WP })],
    }]),
  },
  {
    id: 'W3', what: 'UFFDIO_WRITEPROTECT of 1 GiB populated with THPs', pages: GiB / PAGE, target: 1.0,
    model: () => scenario('W3', [...populated(GiB, true), ...registerWp(GiB, true)], [{
      name: 't', process: 'main', ops: [op({ op: 'uffdio_writeprotect', uffd: 'uffd', addr: sym('ram'), len: num(GiB), mode: UFFDIO_WRITEPROTECT_MODE_WP })],
    }]),
  },
  {
    id: 'W4', what: 'mprotect RO then RW of 1 GiB of 4 KiB pages', pages: GiB / PAGE, target: 1.0,
    model: () => scenario('W4', populated(GiB, false), [{
      name: 't', process: 'main', ops: [
        op({ op: 'mprotect', addr: sym('ram'), len: num(GiB), prot: PROT_READ }),
        op({ op: 'mprotect', addr: sym('ram'), len: num(GiB), prot: PROT_READ | PROT_WRITE }),
      ],
    }]),
  },
  {
    id: 'W5', what: 'first touch of 1 GiB with 4 KiB pages (a 1-byte write per page)', pages: GiB / PAGE, target: 0.5,
    model: () => {
      const writes: CompiledOp[] = [];
      for (let i = 0; i < GiB / PAGE; i++) writes.push(op({ op: 'write', addr: add(sym('ram'), num(i * PAGE)), value: num(1), size: 1 }));
      return scenario('W5', [
        op({ op: 'mmap', as: 'ram', addr: null, len: num(GiB), prot: PROT_READ | PROT_WRITE, flags: MAP_PRIVATE | MAP_ANONYMOUS, align: 2 << 20 }),
        op({ op: 'madvise', addr: sym('ram'), len: num(GiB), advice: ['nohugepage'] }),
      ], [{ name: 't', process: 'main', ops: writes }]);
    },
  },
];

const spec = resolveKernel('v6.18', [], ['soft_dirty=n', 'thp=madvise']);

/** one model run: setup untimed, the threads timed (ms) */
export function modelRun(sc: CompiledScenario): number {
  const m = new Machine(sc, spec, { trace: false });
  m.runSetup();
  const t0 = process.hrtime.bigint();
  m.runDefault();
  const ns = Number(process.hrtime.bigint() - t0);
  if (m.deadlock || m.threads.some((t) => t.status !== 'done')) throw new Error(`${sc.name}: the model run did not finish (${m.threads.map((t) => `${t.name} ${t.status}`).join(', ')})`);
  return ns / 1e6;
}

/** one native run (ms of the measured part) */
function kernelRun(w: Workload): number {
  const r = spawnSync(executorPath(), ['--bench', w.id, String(w.pages)], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${w.id}: the executor failed: ${r.stderr || r.stdout}`);
  return (JSON.parse(r.stdout) as { ns: number }).ns / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3)) + ' ms';

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) { g(); g(); }
}

/** the model's heap for a fully populated 1 TiB THP-backed VMA (MiB) */
function heapOf1TiB(): { mib: number; ms: number } {
  const TiB = 1024 * GiB;
  const sc = scenario('heap', populated(TiB, true), []);
  gc();
  const before = process.memoryUsage();
  const t0 = Date.now();
  const m = new Machine(sc, spec, { trace: false });
  m.runSetup();
  const ms = Date.now() - t0;
  gc();
  const after = process.memoryUsage();
  const smaps = m.snapshots.get('setup')!.smaps.ram!;
  if (smaps.AnonHugePages !== TiB / 1024) throw new Error(`1 TiB VMA: AnonHugePages ${smaps.AnonHugePages} kB, not fully THP-populated`);
  const bytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  void m;
  return { mib: bytes / 2 ** 20, ms };
}

export async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1] ?? 5) || 5;
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : null;
  const json = args.includes('--json');
  // --model-only: no kernel runs (for profiling the model)
  const native = !args.includes('--model-only') && process.platform === 'linux' && existsSync(executorPath());
  const out: Record<string, unknown>[] = [];
  const log = (s: string) => { if (!json) process.stdout.write(s + '\n'); };
  log(`mmsim bench (host): model v6.18 vs. this kernel; medians of ${runs} runs after warm-ups; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / GiB).toFixed(0)} GiB`);
  if (!native) log(args.includes('--model-only') ? '--model-only: kernel columns are empty' : 'the native executor is not built or this is not Linux: kernel columns are empty');
  const canGc = !!(globalThis as { gc?: unknown }).gc;
  if (!canGc) log('the heap figure is skipped: it needs node --expose-gc (npm run bench passes it)');
  for (const w of WORKLOADS) {
    if (only && !only.includes(w.id)) continue;
    const sc = w.model();
    // warm-up (JIT): at least 3 runs and 300 ms of runs, so that a sub-millisecond workload (W3) is
    // measured in optimized code too, and not in what the workloads before it left behind
    const w0 = Date.now();
    for (let i = 0; i < 3 || (Date.now() - w0 < 300 && i < 2000); i++) modelRun(sc);
    const m: number[] = [];
    for (let i = 0; i < runs; i++) m.push(modelRun(sc));
    const k: number[] = [];
    if (native) {
      kernelRun(w); // warm-up (memory)
      for (let i = 0; i < runs; i++) k.push(kernelRun(w));
    }
    const mm = median(m), km = k.length ? median(k) : NaN;
    const ratio = mm / km;
    out.push({ id: w.id, what: w.what, model_ms: mm, kernel_ms: km, ratio, target: w.target, model_runs: m, kernel_runs: k });
    log(`${w.id}  ${w.what}`);
    log(`    model ${fmt(mm).padStart(10)}   kernel ${k.length ? fmt(km).padStart(10) : '-'.padStart(10)}   model/kernel ${k.length ? ratio.toFixed(3) : '-'}   target <= ${w.target}  ${k.length ? (ratio <= w.target ? 'met' : 'NOT met') : ''}`);
  }
  if (canGc && (!only || only.includes('heap'))) {
    const h = heapOf1TiB();
    out.push({ id: 'heap', what: 'model heap, fully populated 1 TiB THP-backed VMA', mib: h.mib, populate_ms: h.ms, target_mib: 64 });
    log(`heap  model heap for a fully populated 1 TiB THP-backed VMA: ${h.mib.toFixed(1)} MiB (populated in ${h.ms} ms)   target <= 64 MiB  ${h.mib <= 64 ? 'met' : 'NOT met'}`);
  }
  if (json) process.stdout.write(JSON.stringify({ date: new Date().toISOString(), results: out }, null, 2) + '\n');
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  main().catch((e) => {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}

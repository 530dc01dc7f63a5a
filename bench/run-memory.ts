// The memory of an untraced `mmsim run` (run -q) against the number of steps it takes (issue 9, item 3).
//
// The scenario writes one byte into each 4 KiB page of a large range with a fixed number of operations:
// the range is registered with a userfaultfd (missing mode), a vCPU thread in a loop stores one byte just
// past the page of the last message read, and a handler thread in a loop reads each message and maps the
// zero page there (UFFDIO_ZEROPAGE), which wakes the vCPU: 5 steps and 3 operation records per page, until
// the vCPU runs off the end of the mapping (SIGSEGV). Two messages alternate (m1, m2) so that the address
// of a sleeping store is not re-evaluated from a message read meanwhile.
//
// Measured in the same run: the same scenario untraced as `run -q` runs it now (no history: the last
// record of each operation, the schedule as text) and with the history an untraced run kept before (every
// record and one schedule entry per step, `history: true`), as bytes of heap and array buffers per page,
// after a GC, with the machine alive. What remains without history is the kernel state of the pages.
import { loadScenario } from '../src/scenario/load.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { Machine } from '../src/sched/machine.js';
import { Budget } from '../src/sched/budget.js';

/** the scenario for a range of `len` bytes ("256M", "16G") */
export function touchEachPage(len: string): string {
  return `name: touch-each-page
kernel: v6.18
config: { thp: never }
setup:
  - mmap: { as: ram, len: ${len}, prot: rw }
  - userfaultfd: { as: uffd, flags: [], api: true }
  - uffdio_register: { uffd: uffd, addr: ram, len: ${len}, mode: [missing] }
threads:
  kick:
    - write: { addr: ram, value: 1 }
  handler:
    loop: true
    ops:
      - read_uffd: { uffd: uffd, as: m1 }
      - uffdio_zeropage: { uffd: uffd, addr: m1.address, len: 4K }
      - read_uffd: { uffd: uffd, as: m2 }
      - uffdio_zeropage: { uffd: uffd, addr: m2.address, len: 4K }
  vcpu:
    loop: true
    ops:
      - write: { addr: m1.address + 4K, value: 1 }
      - write: { addr: m2.address + 4K, value: 1 }
expect:
  - { thread: vcpu, signal: SIGSEGV }
`;
}

export interface RunMemory {
  pages: number;
  steps: number;
  bytes: number;
  ms: number;
  history: { records: number; schedule: number };
  /** operations of the scenario (setup's and the threads') */
  ops: number;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) { g(); g(); }
}

/** run the scenario once, untraced, keeping a history or not; memory retained per page with the machine alive */
export function measureRun(len: string, history: boolean): RunMemory {
  const sc = loadScenario('<bench touch-each-page>', touchEachPage(len));
  const spec = resolveKernel('v6.18', [], sc.config);
  gc();
  const m0 = process.memoryUsage();
  const t0 = performance.now();
  const m = new Machine(sc, spec, { trace: false, history });
  new Budget({ maxSteps: 2 ** 40 }).run(() => {
    m.runSetup();
    m.runDefault();
    m.finish();
  });
  const ms = performance.now() - t0;
  const vcpu = m.threads.find((t) => t.name === 'vcpu')!;
  if (vcpu.status !== 'signal') throw new Error(`touch-each-page ${len}: the vCPU ended ${vcpu.status}, not with SIGSEGV`);
  gc();
  const m1 = process.memoryUsage();
  const pages = vcpu.task!.min_flt + 1;
  const bytes = m1.heapUsed - m0.heapUsed + m1.arrayBuffers - m0.arrayBuffers;
  return { pages, steps: m.step, bytes, ms, history: m.historySize(), ops: sc.setup.length + sc.threads.reduce((n, t) => n + t.ops.length, 0) };
}

export function runMemoryBench(log: (s: string) => void = (s) => console.log(s), len = '1G'): { ok: boolean } {
  if (!(globalThis as { gc?: unknown }).gc) {
    log('run memory: skipped, it needs node --expose-gc (npm run bench passes it)');
    return { ok: true };
  }
  const before = measureRun(len, true);
  const after = measureRun(len, false);
  const per = (r: RunMemory) => r.bytes / r.pages;
  const line = (what: string, r: RunMemory) =>
    `  ${what.padEnd(34)} ${per(r).toFixed(0).padStart(6)} B/page   ${(r.bytes / 2 ** 20).toFixed(0).padStart(5)} MiB   ${(r.ms / 1000).toFixed(1)} s   kept: ${r.history.records} records, ${r.history.schedule} schedule entries`;
  log(`run -q, one byte into each 4 KiB page of ${len} (${after.pages} pages, ${after.steps} steps, untraced)`);
  log(line('history kept (baseline, before)', before));
  log(line('no history (run -q now)', after));
  // the target: without history the records kept do not depend on the steps (one per operation of the
  // scenario; the schedule repeats), and the run keeps less than with history; what it keeps per page
  // is then the kernel state of the page (page table entry, folio, contents)
  const ok = after.history.records <= after.ops && after.history.schedule <= 16 && per(after) < per(before);
  log(`${ok ? 'OK  ' : 'MISS'} run -q memory per page${' '.repeat(18)} ${per(after).toFixed(0)} B against ${per(before).toFixed(0)} B with history (${(per(after) / per(before)).toFixed(2)}x, ${(per(before) - per(after)).toFixed(0)} B of records and schedule per page)   target: records and schedule O(1)`);
  return { ok };
}

// Model benchmarks (the kernel-model targets of "The kernel model ... mmsim run"): bulk range
// operations per PTE, first-touch faults, and the heap of a fully populated 1 TiB THP VMA.
// Run with `npm run bench` (node --expose-gc). Numbers are medians of repeated runs; each is printed
// with its target and, where one is known, the real kernel's figure on these machines.
import { Kernel } from '../src/kernel/kernel.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { do_mmap } from '../src/kernel/mm/mmap.js';
import { do_madvise } from '../src/kernel/mm/madvise.js';
import type { MadviseName } from '../src/kernel/include/uapi.js';
import { do_mprotect } from '../src/kernel/mm/mprotect.js';
import { memfd_create, shmem_setattr_size } from '../src/kernel/mm/shmem.js';
import { mmu_access } from '../src/kernel/arch/x86/mmu.js';
import { do_user_addr_fault } from '../src/kernel/arch/x86/mm/fault.js';
import { sys_userfaultfd, userfaultfd_api, userfaultfd_register, userfaultfd_writeprotect } from '../src/kernel/fs/userfaultfd.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE, UFFDIO_REGISTER_MODE_WP, UFFDIO_WRITEPROTECT_MODE_WP } from '../src/kernel/include/uapi.js';
import { X86_PF_USER, X86_PF_WRITE } from '../src/kernel/include/fault.js';

const GiB = 2 ** 30;
const TiB = 2 ** 40;
const PAGE = 4096;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function now(): number {
  return Number(process.hrtime.bigint()) / 1e6; // ms
}
function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

interface Setup {
  k: Kernel;
  addr: number;
}

/** a kernel with one private anonymous mapping of len bytes */
function mapping(profile: string, len: number, thp: boolean): Setup {
  const k = new Kernel(resolveKernel(profile));
  k.tr = null;
  const mm = k.newMm();
  k.current = k.newTask('bench', mm);
  const addr = do_mmap(k, mm, { addr: 0, len, prot: PROT_READ | PROT_WRITE, flags: MAP_PRIVATE | MAP_ANONYMOUS, align: 2 ** 21, label: 'bench' });
  do_madvise(k, mm, addr, len, thp ? 'hugepage' : 'nohugepage');
  return { k, addr };
}

/** touch every page (4 KiB) or every THP (2 MiB) with a write, the way a CPU store would */
function touch(s: Setup, len: number, step: number): number {
  const { k, addr } = s;
  const task = k.current!;
  let faults = 0;
  for (let a = addr; a < addr + len; a += step) {
    if (mmu_access(k, task.mm, a, true) < 0) {
      do_user_addr_fault(k, task, a, X86_PF_USER | X86_PF_WRITE);
      faults++;
      mmu_access(k, task.mm, a, true);
    }
  }
  return faults;
}

export interface BenchLine {
  name: string;
  value: number;
  unit: string;
  target: number;
  kernel?: number;
  ok: boolean;
}

function line(name: string, value: number, unit: string, target: number, kernel?: number): BenchLine {
  return { name, value, unit, target, kernel, ok: value <= target };
}

export function runModelBench(reps = 5, log: (s: string) => void = (s) => console.log(s)): BenchLine[] {
  const out: BenchLine[] = [];
  const profile = 'v6.18';
  const npte = GiB / PAGE;

  // ---- first touch of 1 GiB with 4 KiB pages ----
  {
    const times: number[] = [];
    for (let r = 0; r < reps + 2; r++) {
      const s = mapping(profile, GiB, false);
      gc();
      const t0 = now();
      const faults = touch(s, GiB, PAGE);
      if (r >= 2) times.push(now() - t0); // two warm-up runs let the JIT settle
      if (faults !== npte) throw new Error(`expected ${npte} faults, got ${faults}`);
    }
    const ms = median(times);
    log(`first touch 1 GiB, 4 KiB pages: ${ms.toFixed(1)} ms for ${npte} faults`);
    out.push(line('first-touch fault (4 KiB)', (ms * 1e3) / npte, 'µs/fault', 0.5, 1.31));
  }

  // ---- UFFDIO_WRITEPROTECT and mprotect over 1 GiB of 4 KiB pages / of THPs ----
  for (const thp of [false, true]) {
    const s = mapping(profile, GiB, thp);
    touch(s, GiB, thp ? 2 ** 21 : PAGE);
    const { k, addr } = s;
    const ctx = sys_userfaultfd(k, k.current!, { nonblock: true, userModeOnly: false }, false, 'u');
    userfaultfd_api(k, ctx, 0xaa, 0);
    userfaultfd_register(k, ctx, addr, GiB, UFFDIO_REGISTER_MODE_WP);
    const wp: number[] = [], unwp: number[] = [], ro: number[] = [], rw: number[] = [];
    for (let r = 0; r < reps + 1; r++) {
      gc();
      let t0 = now();
      userfaultfd_writeprotect(k, ctx, addr, GiB, UFFDIO_WRITEPROTECT_MODE_WP);
      const t1 = now();
      userfaultfd_writeprotect(k, ctx, addr, GiB, 0);
      const t2 = now();
      do_mprotect(k, k.current!.mm, addr, GiB, PROT_READ);
      const t3 = now();
      do_mprotect(k, k.current!.mm, addr, GiB, PROT_READ | PROT_WRITE);
      const t4 = now();
      if (r === 0) continue; // warm-up
      wp.push(t1 - t0); unwp.push(t2 - t1); ro.push(t3 - t2); rw.push(t4 - t3);
      t0 = t4;
    }
    const kind = thp ? 'THP' : '4 KiB';
    const per = (ms: number) => (thp ? ms : (ms * 1e6) / npte);
    const unit = thp ? 'ms/GiB' : 'ns/PTE';
    log(`1 GiB of ${kind}: UFFDIO_WRITEPROTECT wp ${median(wp).toFixed(2)} ms, un-wp ${median(unwp).toFixed(2)} ms; mprotect RO ${median(ro).toFixed(2)} ms, RW ${median(rw).toFixed(2)} ms`);
    if (thp) {
      out.push(line('UFFDIO_WRITEPROTECT 1 GiB THP (wp)', median(wp), 'ms', 1, 0.014));
      out.push(line('mprotect RO 1 GiB THP', median(ro), 'ms', 1, 0.013));
    } else {
      out.push(line('UFFDIO_WRITEPROTECT 1 GiB 4K (wp)', per(median(wp)), unit, 20, 19));
      out.push(line('UFFDIO_WRITEPROTECT 1 GiB 4K (un-wp)', per(median(unwp)), unit, 20, 20));
      out.push(line('mprotect RO 1 GiB 4K', per(median(ro)), unit, 20, 19));
      out.push(line('mprotect RW 1 GiB 4K', per(median(rw)), unit, 20, 21));
    }
  }

  // ---- range operations over huge mappings: one step per PMD-mapped THP, not 512 ----
  // The same madvise per 2 MiB over 16 GiB of THPs and over 1 GiB of 4 KiB pages: GUP steps over a
  // huge page at once (populate), the zap takes a huge PMD whole (dontneed). Before 1fababa the
  // populate walked every 4 KiB under a huge mapping, as the 4 KiB column does.
  {
    const thpLen = 16 * GiB, smallLen = GiB;
    const per2M = (ms: number, len: number) => (ms * 1e6) / (len / 2 ** 21); // ns per 2 MiB
    const ops: { name: string; prep: MadviseName[]; op: MadviseName }[] = [
      { name: 'MADV_POPULATE_WRITE, populated', prep: ['populate_write'], op: 'populate_write' },
      { name: 'MADV_POPULATE_READ, populated', prep: ['populate_write'], op: 'populate_read' },
      { name: 'MADV_DONTNEED', prep: ['populate_write'], op: 'dontneed' },
    ];
    for (const o of ops) {
      const t = { thp: [] as number[], small: [] as number[] };
      for (let r = 0; r < reps + 1; r++) {
        for (const thp of [true, false]) {
          const len = thp ? thpLen : smallLen;
          const s = mapping(profile, len, thp);
          for (const p of o.prep) do_madvise(s.k, s.k.current!.mm, s.addr, len, p);
          gc();
          const t0 = now();
          do_madvise(s.k, s.k.current!.mm, s.addr, len, o.op);
          if (r > 0) (thp ? t.thp : t.small).push(per2M(now() - t0, len));
        }
      }
      const a = median(t.thp), b = median(t.small);
      log(`${o.name} per 2 MiB: ${a.toFixed(0)} ns over a THP, ${b.toFixed(0)} ns over 512 PTEs (${(b / a).toFixed(0)}x)`);
      out.push(line(`${o.name} per THP / per 512 PTEs`, a / b, 'ratio', 1 / 16));
    }
  }

  // ---- heap of a fully populated 1 TiB THP-backed VMA (only measurable with --expose-gc) ----
  if (!(globalThis as { gc?: unknown }).gc) log('heap of a populated 1 TiB THP VMA: skipped, it needs node --expose-gc (npm run bench passes it)');
  else {
    gc();
    const before = process.memoryUsage();
    const s = mapping(profile, TiB, true);
    const t0 = now();
    const faults = touch(s, TiB, 2 ** 21);
    const t1 = now();
    gc();
    const after = process.memoryUsage();
    const mib = (after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers) / 2 ** 20;
    log(`1 TiB THP-backed VMA: ${faults} THP faults in ${(t1 - t0).toFixed(0)} ms, heap + array buffers ${mib.toFixed(1)} MiB (folios ${s.k.folios.liveFolios})`);
    out.push(line('heap of a populated 1 TiB THP VMA', mib, 'MiB', 64));
  }

  // ---- heap of a 1 TiB memfd-backed guest, fully populated with shmem THPs (shmthp) ----
  // MAP_SHARED of a 1 TiB memfd, shmem_enabled advise + MADV_HUGEPAGE, populated with MADV_POPULATE_WRITE
  // (GUP steps over each huge PMD in one go): one PMD-sized page-cache folio per 2 MiB, mapped by a PMD
  if ((globalThis as { gc?: unknown }).gc) {
    gc();
    const before = process.memoryUsage();
    const k = new Kernel(resolveKernel(profile, [], ['shmem_enabled=advise']));
    k.tr = null;
    const mm = k.newMm();
    const task = (k.current = k.newTask('bench', mm));
    const f = memfd_create(k, task, 'guest', 0);
    shmem_setattr_size(k, f, TiB);
    const addr = do_mmap(k, mm, { addr: 0, len: TiB, prot: PROT_READ | PROT_WRITE, flags: MAP_SHARED, align: 2 ** 21, label: 'guest', file: { m: f, read: true, write: true } });
    do_madvise(k, mm, addr, TiB, 'hugepage');
    const t0 = now();
    do_madvise(k, mm, addr, TiB, 'populate_write');
    const t1 = now();
    gc();
    const after = process.memoryUsage();
    const mib = (after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers) / 2 ** 20;
    log(`1 TiB memfd guest: MADV_POPULATE_WRITE in ${(t1 - t0).toFixed(0)} ms, ${f.nrpages / 512} shmem THPs, heap + array buffers ${mib.toFixed(1)} MiB (folios ${k.folios.liveFolios})`);
    out.push(line('heap of a populated 1 TiB memfd guest (shmem THPs)', mib, 'MiB', 64));
  }
  return out;
}

export function printLines(lines: BenchLine[], log: (s: string) => void = (s) => console.log(s)): void {
  for (const l of lines) {
    const k = l.kernel !== undefined ? `  kernel ${l.kernel} ${l.unit}, model/kernel ${(l.value / l.kernel).toFixed(2)}` : '';
    log(`${l.ok ? 'OK  ' : 'MISS'} ${l.name.padEnd(40)} ${l.value.toFixed(3).padStart(10)} ${l.unit.padEnd(8)} target <= ${l.target}${k}`);
  }
}

// The kernel's objects kept in cells (docs/state.md): VMAs, anon_vmas, VMA lists, page-table index,
// userfaultfd contexts, their queues and entries, tasks. A copy is independent, equal states reached by
// different histories have equal cells (so equal fingerprints), and a state made by replaying a step's
// recorded cell writes is the state the step made, once its views are rebuilt (Kernel.resync).
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/kernel.js';
import type { MmStruct } from '../../src/kernel/include/mm_types.js';
import { do_mmap, do_munmap } from '../../src/kernel/mm/mmap.js';
import { do_mprotect } from '../../src/kernel/mm/mprotect.js';
import { do_user_addr_fault } from '../../src/kernel/arch/x86/mm/fault.js';
import { dup_mmap } from '../../src/kernel/kernel/fork.js';
import {
  Uwq, sys_userfaultfd, userfaultfd_api, userfaultfd_ctx_read, wake_userfault,
} from '../../src/kernel/fs/userfaultfd.js';
import { loadScenario } from '../../src/scenario/load.js';
import { Machine } from '../../src/sched/machine.js';
import { stepOnce, enabledThreads } from '../../src/explore/search.js';
import type { Recorder } from '../../src/state/store.js';
import { afterSetup, kernel, scenario, LIVE } from '../explore/helpers.js';

const X86_PF_WRITE_USER = 6;
const PROT_R = 1, PROT_RW = 3;
const MAP_PRIVATE_ANON = 0x22;

function world(profile = 'v6.18'): { k: Kernel; mm: MmStruct } {
  const k = new Kernel(kernel(profile));
  const mm = k.newMm();
  k.current = k.newTask('main', mm);
  return { k, mm };
}

/** the control lanes, checked against a recomputation from the cells */
function lanes(k: Kernel): [number, number] {
  k.st.startHashing();
  const r = k.st.recompute();
  expect([k.st.f1, k.st.f2, k.st.c1]).toEqual([r.f1, r.f2, r.c1]);
  return [k.st.f1, k.st.f2];
}

/** everything the kernel's views show, as plain data */
function dump(k: Kernel): unknown {
  return {
    mms: k.mms.map((mm) => ({
      id: mm.id, pgd: mm.pgd.pfn, anon: mm.anonPages, users: mm.users,
      tables: [...mm.tables.values()].map((t) => [t.pfn, t.level, t.base, t.nr]),
      vmas: mm.vmas.map((v) => ({
        slot: v.slot, start: v.vm_start, end: v.vm_end, flags: v.vm_flags, hi: v.vm_flags_hi, prot: v.vm_page_prot.big().toString(16),
        pgoff: v.vm_pgoff, anon: v.anon_vma && [v.anon_vma.id, v.anon_vma.parent?.id ?? 0, v.anon_vma.root?.id ?? 0],
        chain: v.anon_vma_chain.map((a) => a.id), uffd: v.uffd?.id ?? -1, label: v.label, left: v.uffd_wp_left,
      })),
    })),
    tasks: k.tasks.map((t) => ({
      tid: t.tid, pid: t.pid, comm: t.comm, mm: t.mm.id, signal: t.signal, uid: t.uid,
      uwq: t.uwq && { ctx: t.uwq.ctx.id, msg: t.uwq.msg, waken: t.uwq.waken, ret: t.uwq.sleepRet },
    })),
    uffds: k.uffds.map((c) => ({
      mm: c.mm.id, api: c.apiDone, features: c.features, name: c.name, nonblock: c.nonblock,
      pending: c.pending.toArray().map((u) => [u.task.tid, u.msg]), waiting: c.waiting.toArray().map((u) => [u.task.tid, u.msg]),
    })),
  };
}

describe('kernel objects in cells', () => {
  it('a copy is independent: VMAs and uffd queues written in the copy do not change the original', () => {
    const m = afterSetup(scenario(LIVE), 'v6.12');
    const vcpu0 = m.threads.findIndex((t) => t.name === 'vcpu0');
    stepOnce(m, vcpu0); // faults and sleeps in handle_userfault
    const before = dump(m.k), fp = lanes(m.k);
    const c = m.clone();
    expect(dump(c.k)).toEqual(before);
    const ctx = c.k.uffds[0]!;
    expect(ctx.pending.length).toBe(1);
    expect(userfaultfd_ctx_read(c.k, ctx, 32)).not.toBeNull();
    expect(ctx.waiting.length).toBe(1);
    const v = c.k.mms[0]!.vmas[0]!;
    v.vm_flags = v.vm_flags ^ 0x100;
    do_mmap(c.k, c.k.mms[0]!, { addr: 0, len: 0x4000, prot: PROT_RW, flags: MAP_PRIVATE_ANON, align: 0, label: 'more' });
    expect(c.k.mms[0]!.vmas.length).toBe(2);
    expect(dump(c.k)).not.toEqual(before);
    expect(dump(m.k)).toEqual(before);
    expect(lanes(m.k)).toEqual(fp);
    expect(m.k.uffds[0]!.pending.length).toBe(1);
    expect(m.k.mms[0]!.vmas.length).toBe(1);
  });

  it('an mprotect that splits a faulted VMA and one that merges it back leave the cells as they were', () => {
    const { k, mm } = world();
    const ram = do_mmap(k, mm, { addr: 0, len: 0x4000, prot: PROT_RW, flags: MAP_PRIVATE_ANON, align: 0, label: 'ram' });
    for (let a = ram; a < ram + 0x4000; a += 0x1000) do_user_addr_fault(k, k.current!, a, X86_PF_WRITE_USER);
    expect(mm.vmas[0]!.anon_vma).not.toBeNull();
    const fp = lanes(k), before = dump(k);
    do_mprotect(k, mm, ram + 0x1000, 0x1000, PROT_R);
    expect(mm.vmas.length).toBe(3);
    expect(mm.vmas[1]!.anon_vma).toBe(mm.vmas[0]!.anon_vma);
    expect(lanes(k)).not.toEqual(fp);
    do_mprotect(k, mm, ram + 0x1000, 0x1000, PROT_RW);
    expect(mm.vmas.length).toBe(1);
    expect(dump(k)).toEqual(before);
    expect(lanes(k)).toEqual(fp);
  });

  it('a fork and an munmap of everything free the anon_vmas and VMAs they made', () => {
    const { k, mm } = world();
    const ram = do_mmap(k, mm, { addr: 0, len: 0x2000, prot: PROT_RW, flags: MAP_PRIVATE_ANON, align: 0, label: 'ram' });
    do_user_addr_fault(k, k.current!, ram, X86_PF_WRITE_USER);
    const child = dup_mmap(k, mm);
    const cv = child.vmas[0]!;
    expect(cv.anon_vma!.parent).toBe(mm.vmas[0]!.anon_vma);
    expect(cv.anon_vma_chain).toEqual([cv.anon_vma, mm.vmas[0]!.anon_vma]);
    const parentAnon = mm.vmas[0]!.anon_vma!;
    do_munmap(k, child, ram, 0x2000);
    expect(() => cv.vm_start).toThrow(/freed/);
    // the child's anon_vma is gone, the parent's stays (its VMA holds it)
    expect(mm.vmas[0]!.anon_vma).toBe(parentAnon);
    const cellsOf = (name: string, from = 0, to = Infinity) => {
      const seg = k.st.segs.find((x) => k.st.specs[x.id]!.name === name)!;
      const out: number[] = [];
      seg.forEachLeaf((base, leaf) => { for (let j = 0; j < 64; j++) if (leaf[j] !== 0 && base + j >= from && base + j < to) out.push(base + j); });
      return out;
    };
    // one anon_vma left (in the vma segment, below the VMAs): its live flag and its references (the VMA's anon_vma and its chain)
    expect(cellsOf('vma', 0, 1 << 16).map((i) => Math.floor(i / 4))).toEqual([parentAnon.id, parentAnon.id]);
    do_munmap(k, mm, ram, 0x2000);
    // nothing is left of VMAs and anon_vmas (and the allocators are back at 0); in the names segment, the task's comm only
    expect(cellsOf('vma')).toEqual([]);
    expect(cellsOf('names')).toEqual([0]);
  });

  it('VMAs and anon_vmas made in another order have the same cells (places and ids are canonical)', () => {
    const cells = (k: Kernel, names: string[]) => names.map((name) => {
      const seg = k.st.segs.find((x) => k.st.specs[x.id]!.name === name)!;
      const out: number[] = [];
      seg.forEachLeaf((base, leaf) => { for (let j = 0; j < 64; j++) if (leaf[j] !== 0) out.push(base + j, leaf[j]!); });
      return out;
    });
    const A = 0x7f0000000000, B = 0x7f0000100000, MAP_FIXED = 0x10;
    const make = (order: number[]) => {
      const { k, mm } = world();
      const child = k.newMm();
      for (const x of order) {
        const addr = x === 0 ? A : B;
        do_mmap(k, mm, { addr, len: 0x4000, prot: PROT_RW, flags: MAP_PRIVATE_ANON | MAP_FIXED, align: 0, label: x === 0 ? 'a' : 'b' });
        do_user_addr_fault(k, k.current!, addr, X86_PF_WRITE_USER);
      }
      void child;
      return k;
    };
    const x = make([0, 1]), y = make([1, 0]);
    expect(x.mms[0]!.vmas.map((v) => v.anon_vma!.id)).toEqual([1, 2]);
    expect(y.mms[0]!.vmas.map((v) => v.anon_vma!.id)).toEqual([1, 2]);
    expect(cells(y, ['vma', 'names', 'kernel'])).toEqual(cells(x, ['vma', 'names', 'kernel']));
  });

  it('a uffd message queued, read and woken leaves the cells as if it had never been queued', () => {
    const { k } = world();
    const task = k.current!;
    const ctx = sys_userfaultfd(k, task, { nonblock: false, userModeOnly: false }, false, 'u');
    userfaultfd_api(k, ctx, 0xaa, 0);
    const fp = lanes(k), before = dump(k);
    const msg = { event: 0x12, flags: 3, address: 0x7f0000003000, ptid: 0 };
    const u = Uwq.create(k, ctx, task, msg);
    ctx.pending.push(u);
    task.uwq = u;
    expect(lanes(k)).not.toEqual(fp);
    expect(userfaultfd_ctx_read(k, ctx, 32)).toEqual({ msg, fork: null });
    expect([ctx.pending.length, ctx.waiting.length]).toEqual([0, 1]);
    expect(wake_userfault(k, ctx, 0x7f0000003000, 0x1000)).toBe(1);
    expect(u.waken).toBe(true);
    expect(task.uwq).toBe(u);
    task.uwq = null; // the task goes on: the entry is freed
    expect(dump(k)).toEqual(before);
    expect(lanes(k)).toEqual(fp);
  });

  it('two entries of one task at once are refused', () => {
    const { k } = world();
    const task = k.current!;
    const ctx = sys_userfaultfd(k, task, { nonblock: false, userModeOnly: false }, false, 'u');
    const msg = { event: 0x12, flags: 0, address: 0x7f0000000000, ptid: 0 };
    ctx.pending.push(Uwq.create(k, ctx, task, msg));
    expect(() => Uwq.create(k, ctx, task, msg)).toThrow(/two userfaultfd queue entries/);
  });
});

/** records the cell writes of a step (a statistic's change as a delta: add) */
class Writes implements Recorder {
  readonly w: [number, number, number, boolean][] = [];
  read(): void {}
  write(seg: number, i: number, _old: number, now: number): void {
    this.w.push([seg, i, now, false]);
  }
  add(seg: number, i: number, delta: number): void {
    this.w.push([seg, i, delta, true]);
  }
}

const CHURN = `
name: churn
setup:
  - mmap: { as: a, len: 64K, prot: rw }
  - write: { addr: a, value: 1 }
  - userfaultfd: { as: uffd, flags: [cloexec] }
  - uffdio_register: { uffd: uffd, addr: a, len: 64K, mode: [wp] }
  - uffdio_writeprotect: { uffd: uffd, addr: a, len: 8K, mode: [wp] }
threads:
  t1:
    - mprotect: { addr: a + 16K, len: 4K, prot: r }
    - mmap: { as: b, len: 16K, prot: rw }
    - write: { addr: b + 4K, value: 2 }
    - fork: { as: child }
    - write: { addr: a + 4K, value: 3 }
    - munmap: { addr: a + 32K, len: 8K }
    - mprotect: { addr: a + 16K, len: 4K, prot: rw }
  h:
    - read_uffd: { uffd: uffd, as: msg }
    - uffdio_writeprotect: { uffd: uffd, addr: msg.address, len: 4K, mode: [] }
`;

const MREMAPS = `
name: mremaps
setup:
  - mmap: { as: a, len: 2M, align: 2M }
  - madvise: { addr: a, len: 2M, advice: nohugepage }
  - memset: { addr: a, len: 16K, value: 1 }
  - mmap: { as: t, len: 2M, align: 2M }
  - madvise: { addr: t, len: 2M, advice: hugepage }
  - write: { addr: t, value: 1 }
  - mmap: { as: res, len: 8M, align: 2M, prot: none }
  - userfaultfd: { as: uffd, flags: [cloexec], features: [event_remap] }
  - uffdio_register: { uffd: uffd, addr: t, len: 2M, mode: [wp] }
threads:
  t1:
    - mremap: { addr: a, old_len: 2M, new_len: 2M, flags: [maymove, fixed], new_addr: res, as: b }
    - mremap: { addr: t, old_len: 2M, new_len: 2M, flags: [maymove, fixed], new_addr: res + 4M, as: c }
    - mremap: { addr: b, old_len: 8K, new_len: 8K, flags: [maymove, dontunmap], as: d }
    - mremap: { addr: b + 16K, old_len: 16K, new_len: 4K }
  h:
    - read_uffd: { uffd: uffd, as: msg }
`;

const UNMAP_EVENTS = `
name: unmap-events
setup:
  - mmap: { as: src, len: 16K }
  - memset: { addr: src, len: 16K, value: 5 }
  - mprotect: { addr: src + 4K, len: 8K, prot: [read] }
  - mmap: { as: dst, len: 16K }
  - mmap: { as: m, len: 64K }
  - memset: { addr: m, len: 64K, value: 1 }
  - userfaultfd: { as: a, flags: [cloexec], features: [event_unmap] }
  - userfaultfd: { as: b, flags: [cloexec], features: [event_unmap] }
  - uffdio_register: { uffd: a, addr: dst + 4K, len: 4K, mode: [missing] }
  - uffdio_register: { uffd: b, addr: dst + 8K, len: 8K, mode: [missing] }
  - uffdio_register: { uffd: a, addr: m, len: 32K, mode: [missing] }
  - uffdio_register: { uffd: b, addr: m + 32K, len: 32K, mode: [missing] }
threads:
  w:
    - mremap: { addr: src, old_len: 16K, new_len: 16K, flags: [maymove, fixed], new_addr: dst }
    - mmap: { addr: m + 16K, len: 32K, flags: [private, anonymous, fixed] }
  ha:
    - read_uffd: { uffd: a }
    - read_uffd: { uffd: a }
  hb:
    - read_uffd: { uffd: b }
    - read_uffd: { uffd: b }
    - read_uffd: { uffd: b }
`;

describe('Kernel.resync', () => {
  for (const [name, sc, profile] of [
    ['live-snapshot', scenario(LIVE), 'v6.12'],
    ['VMA churn, fork and a uffd round trip', loadScenario('churn.yaml', CHURN), 'v6.18'],
    ['mremap: a PTE table and a huge PMD moved whole, DONTUNMAP, a shrink, a REMAP event', loadScenario('mremaps.yaml', MREMAPS), 'v6.12'],
    ['UNMAP events of several VMAs moved by one mremap and of an mmap(MAP_FIXED)', loadScenario('unmap-events.yaml', UNMAP_EVENTS), 'v6.18'],
  ] as const) {
    it(`replaying a step's cell writes on a copy gives the step's state (${name})`, () => {
      let m: Machine = afterSetup(sc, profile);
      let steps = 0;
      for (let en = enabledThreads(m); en.length && steps < 40; en = enabledThreads(m), steps++) {
        const t = en[steps % en.length]!;
        const a = m.clone(), b = m.clone();
        // b's views exist before the replay: resync must drop them
        dump(b.k);
        const rec = new Writes();
        a.k.st.rec = rec;
        stepOnce(a, t);
        a.k.st.rec = null;
        for (const [seg, i, v, add] of rec.w) if (add) b.k.st.segs[seg]!.add(i, v); else b.k.st.segs[seg]!.set(i, v);
        b.k.resync();
        expect(dump(b.k)).toEqual(dump(a.k));
        expect([b.k.st.f1, b.k.st.f2, b.k.st.c1]).toEqual([a.k.st.f1, a.k.st.f2, a.k.st.c1]);
        m = a;
      }
      expect(steps).toBeGreaterThan(5);
      // every thread ran to its end (or, a server loop, to a wait)
      expect(m.threads.map((t) => t.status).filter((s) => s !== 'done' && s !== 'blocked')).toEqual([]);
      if (name.startsWith('VMA')) expect(m.k.mms.length).toBe(2);
    });
  }
});

// The direct (untraced) write path of change_pte_range against the general one: the same random
// sequence of faults, forks, mprotect, UFFDIO_WRITEPROTECT, clear_refs and madvise runs on two
// kernels of one spec, one untraced (direct path where it applies) and one traced (general path
// only); their page tables and folio flags must stay identical word for word.
import { describe, expect, it } from 'vitest';
import { Kernel, type KernelSpec } from '../src/kernel/kernel.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { Tracer } from '../src/trace/events.js';
import { do_mmap } from '../src/kernel/mm/mmap.js';
import { do_madvise } from '../src/kernel/mm/madvise.js';
import { do_mprotect } from '../src/kernel/mm/mprotect.js';
import { mmu_access } from '../src/kernel/arch/x86/mmu.js';
import { do_user_addr_fault } from '../src/kernel/arch/x86/mm/fault.js';
import { dup_mmap } from '../src/kernel/kernel/fork.js';
import { clear_refs_write } from '../src/kernel/fs/proc/task_mmu.js';
import { sys_userfaultfd, userfaultfd_api, userfaultfd_register, userfaultfd_writeprotect, type UserfaultfdCtx } from '../src/kernel/fs/userfaultfd.js';
import type { MmStruct } from '../src/kernel/include/mm_types.js';
import { mm_find_pmd } from '../src/kernel/mm/rmap.js';
import { pte_offset_map } from '../src/kernel/mm/pagewalk.js';

const PAGE = 4096, LEN = 8 * 2 ** 21;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface World { k: Kernel; mm: MmStruct; addr: number; ctx: UserfaultfdCtx | null; kids: MmStruct[] }

function world(spec: KernelSpec, traced: boolean): World {
  const k = new Kernel(spec);
  k.tr = traced ? new Tracer() : null;
  if (k.tr) k.tr.keep = false;
  const mm = k.newMm();
  k.current = k.newTask('t', mm);
  const addr = do_mmap(k, mm, { addr: 0, len: LEN, prot: 3, flags: 0x22, align: 2 ** 21, label: 'm' });
  let ctx: UserfaultfdCtx | null = null;
  try {
    ctx = sys_userfaultfd(k, k.current, { nonblock: true, userModeOnly: false }, false, 'u');
    userfaultfd_api(k, ctx, 0xaa, 0);
    userfaultfd_register(k, ctx, addr, LEN, 2);
  } catch {
    ctx = null;
  }
  return { k, mm, addr, ctx, kids: [] };
}

/** one random operation, as a closure applied to either world */
function randomOp(r: () => number, fork: boolean): (w: World) => void {
  const x = r();
  const page = Math.floor(r() * (LEN / PAGE));
  const len = (1 + Math.floor(r() * 1200)) * PAGE;
  const at = (w: World) => w.addr + page * PAGE;
  const span = (w: World) => Math.min(len, LEN - page * PAGE);
  if (x < 0.3) {
    const write = r() < 0.6, n = 1 + Math.floor(r() * 64);
    return (w) => {
      for (let j = 0; j < n && page + j < LEN / PAGE; j++) {
        const a = at(w) + j * PAGE;
        if (mmu_access(w.k, w.mm, a, write) < 0) do_user_addr_fault(w.k, w.k.current!, a, write ? 6 : 4);
      }
    };
  }
  if (x < 0.5) {
    const prot = [0, 1, 3, 3, 5, 7][Math.floor(r() * 6)]!;
    return (w) => do_mprotect(w.k, w.mm, at(w), span(w), prot);
  }
  if (x < 0.7) {
    const mode = r() < 0.5 ? 1 : 0;
    return (w) => { if (w.ctx) userfaultfd_writeprotect(w.k, w.ctx, at(w), span(w), mode); };
  }
  // a fork leaves the pages shared (not PageAnonExclusive) for good: only in some runs
  if (x < 0.76) return fork ? (w) => { w.kids.push(dup_mmap(w.k, w.mm)); } : () => {};
  if (x < 0.8) return (w) => clear_refs_write(w.k, w.mm, 4);
  const adv = (['hugepage', 'nohugepage', 'dontneed', 'collapse', 'free', 'free', 'cold'] as const)[Math.floor(r() * 7)]!;
  return (w) => do_madvise(w.k, w.mm, at(w), span(w), adv);
}

/** where the two worlds' PMD entries, PTE tables (words and counts) or folio flags first differ, or null */
function firstDifference(a: World, b: World): string | null {
  for (let off = 0; off < LEN; off += 2 ** 21) {
    const pa = mm_find_pmd(a.k, a.mm, a.addr + off), pb = mm_find_pmd(b.k, b.mm, b.addr + off);
    if (!pa || !pb) {
      if (pa || pb) return `PMD table at +${off}: one world has none`;
      continue;
    }
    if (pa.t.lo(pa.i) !== pb.t.lo(pb.i) || pa.t.hi(pa.i) !== pb.t.hi(pb.i)) return `PMD entry at +${off}`;
    const ta = pte_offset_map(a.k, a.mm, pa), tb = pte_offset_map(b.k, b.mm, pb);
    if (!ta || !tb) {
      if (ta || tb) return `PTE table at +${off}: one world has none`;
      continue;
    }
    if (ta.nr !== tb.nr) return `PTE table at +${off}: nr ${ta.nr} vs ${tb.nr}`;
    for (let i = 0; i < 1024; i++) {
      const x = i & 1 ? ta.hi(i >> 1) : ta.lo(i >> 1), y = i & 1 ? tb.hi(i >> 1) : tb.lo(i >> 1);
      if (x !== y) return `PTE ${i >> 1} of the table at +${off}: word ${i & 1} ${x} vs ${y}`;
    }
  }
  const fa = a.k.folios, fb = b.k.folios;
  if (fa.nslots !== fb.nslots) return `folio slots ${fa.nslots} vs ${fb.nslots}`;
  for (let s = 0; s < fa.nslots; s++) if (fa.flags(s) !== fb.flags(s)) return `flags of folio slot ${s}`;
  return null;
}

const SPECS: [string, string[]][] = [
  ['v4.19', []], ['v4.19-uffd-wp-2018', []], ['v4.19-uffd-wp-2018+peterx-2018-split-mkdirty', []],
  ['v4.19-uffd-wp-2018+peterx-2018-pagedirty', []], ['v4.19-uffd-wp-2018+glisse-2018-no-dirty-accountable', []], ['v5.7', []], ['v6.1', []], ['v6.6', []], ['v6.12', []], ['v6.18', []],
  ['v6.18', ['soft_dirty=y']], ['v6.12', ['thp=always']], ['v6.1', ['soft_dirty=n']],
];

describe('change_pte_range direct path = general path', () => {
  for (const [profile, config] of SPECS) {
    it(`${profile} ${config.join(',')}`, () => {
      const spec = resolveKernel(profile, [], config);
      for (let seed = 1; seed <= 8; seed++) {
        const a = world(spec, false), b = world(spec, true);
        const r = rng(seed * 7919 + profile.length);
        for (let step = 0; step < 120; step++) {
          const op = randomOp(r, seed % 2 === 1);
          let ea = '', eb = '';
          try { op(a); } catch (e) { ea = String(e); }
          try { op(b); } catch (e) { eb = String(e); }
          expect(ea).toBe(eb);
          expect(firstDifference(a, b), `seed ${seed} step ${step}`).toBeNull();
        }
      }
    });
  }
});

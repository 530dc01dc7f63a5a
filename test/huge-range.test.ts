// MADV_POPULATE_(READ|WRITE) over PMD-mapped THPs takes each huge page in one step (issue 9, item 3),
// as __get_user_pages does at v6.18: follow_page_mask returns the PMD's page with ctx.page_mask set,
// and the walk advances by the rest of the huge page (page_increm). The walk's iterations are counted
// through cond_resched(), which __get_user_pages (and the model's) calls once per iteration; no time is
// measured. A walk by 4 KiB pages would take 512 iterations per huge page.
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel } from '../src/kernel/kernel.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { do_mmap } from '../src/kernel/mm/mmap.js';
import { do_madvise } from '../src/kernel/mm/madvise.js';
import type { MadviseName } from '../src/kernel/include/uapi.js';
import { smaps_counters } from '../src/kernel/fs/proc/task_mmu.js';
import { setReschedHook } from '../src/kernel/kernel/sched/core.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../src/kernel/include/uapi.js';

const MiB = 2 ** 20;
const HPAGE = 2 * MiB;
/** cond_resched() runs its hook every 1024 calls */
const TICKS_PER_HOOK = 1024;

function mapping(len: number, thp: boolean, config: string[] = ['thp=madvise']) {
  const k = new Kernel(resolveKernel('v6.18', [], config));
  k.tr = null;
  const mm = k.newMm();
  k.current = k.newTask('t', mm);
  const addr = do_mmap(k, mm, { addr: 0, len, prot: PROT_READ | PROT_WRITE, flags: MAP_PRIVATE | MAP_ANONYMOUS, align: HPAGE, label: 'ram' });
  do_madvise(k, mm, addr, len, thp ? 'hugepage' : 'nohugepage');
  return { k, mm, addr };
}

/** GUP iterations of one madvise, to within TICKS_PER_HOOK: [at least, at most] */
function iterations(f: () => void): [number, number] {
  let hooks = 0;
  setReschedHook(() => { hooks++; });
  f();
  setReschedHook(null);
  return [hooks * TICKS_PER_HOOK, (hooks + 1) * TICKS_PER_HOOK - 1];
}

afterEach(() => setReschedHook(null));

describe('MADV_POPULATE_* over PMD-mapped THPs', () => {
  const len = 4096 * MiB; // 2,048 huge pages, 1,048,576 small ones
  const huge = len / HPAGE;

  for (const advice of ['populate_write', 'populate_read'] as MadviseName[]) {
    it(`${advice}: at most two GUP iterations per huge page (a fault, then the follow), one once populated`, () => {
      const { k, mm, addr } = mapping(len, true);
      const [, first] = iterations(() => do_madvise(k, mm, addr, len, advice));
      expect(first).toBeLessThan(2 * huge + TICKS_PER_HOOK);
      // every 2 MiB is mapped by one PMD (the huge zero page for a read, where the config maps it)
      const s = smaps_counters(k, mm, addr, addr + len);
      if (advice === 'populate_write') expect(s.AnonHugePages).toBe(len / 1024);
      const [, again] = iterations(() => do_madvise(k, mm, addr, len, advice));
      expect(again).toBeLessThan(huge + TICKS_PER_HOOK);
    });
  }

  it('a range that starts and ends inside huge pages steps to each one\'s end', () => {
    const { k, mm, addr } = mapping(len, true);
    do_madvise(k, mm, addr, len, 'populate_write');
    const [, n] = iterations(() => do_madvise(k, mm, addr + 0x1000, len - 0x3000, 'populate_write'));
    expect(n).toBeLessThan(huge + TICKS_PER_HOOK);
    expect(smaps_counters(k, mm, addr, addr + len).AnonHugePages).toBe(len / 1024);
  });

  it('the count sees a walk by 4 KiB pages: without THPs, one iteration per page', () => {
    const small = 64 * MiB;
    const { k, mm, addr } = mapping(small, false);
    const [atLeast] = iterations(() => do_madvise(k, mm, addr, small, 'populate_write'));
    expect(atLeast).toBeGreaterThanOrEqual(small / 4096 - TICKS_PER_HOOK);
  });
});

// The machine's state after a step, as a trace event (`state`), for readers that draw it step by step
// (`mmsim serve`'s page, `mmsim run --format json --states`): the page-table walk of each observed
// address with raw entries, the folios mapped there, the VMAs, the uffd contexts and their queues, and
// the threads. Read through the kernel's public functions only; nothing here changes the state.
import type { Machine, ThreadState } from './machine.js';
import type { TraceValue } from '../trace/events.js';
import type { MmStruct } from '../kernel/include/mm_types.js';
import type { PageTable } from '../kernel/mm/pgtable.js';
import { childTable, LEVEL_PGD, LEVEL_PMD, LEVEL_PTE, LEVEL_PUD, levelIndex } from '../kernel/mm/pgtable.js';
import { Pte, hex64 } from '../kernel/arch/x86/include/pte.js';
import { stable_page_flags } from '../kernel/fs/proc/page.js';
import { vmFlagsToString } from '../kernel/include/vm_flags.js';
import { SIGNAL_NAME } from '../kernel/include/signal.js';
import { observedPages } from '../scenario/observe.js';
import { varsEnv } from '../scenario/values.js';
import { pfnMask } from '../kernel/arch/arch.js';
import { assert_vm_state } from '../kernel/mm/debug_vm.js';

/** PTE entries of one table sent in full (every entry of it that is not none); beyond, only the observed ones */
const LEVEL_NAME: Record<number, string> = { [LEVEL_PGD]: 'pgd', [LEVEL_PUD]: 'pud', [LEVEL_PMD]: 'pmd', [LEVEL_PTE]: 'pte' };

const hex = (n: number) => '0x' + n.toString(16);

/** the entries of a table that are not none, index -> raw value */
function nonNone(t: PageTable): Record<string, TraceValue> {
  const out: Record<string, TraceValue> = {};
  if (t.nr === 0) return out;
  for (let i = 0; i < 512; i++) {
    const lo = t.lo(i), hi = t.hi(i);
    if (lo !== 0 || hi !== 0) out[i] = hex64(lo, hi);
  }
  return out;
}

/**
 * pgd_offset .. pte_offset (include/linux/pgtable.h): one row per level down to a leaf or a hole; P4D is
 * folded into the PGD on 4-level x86-64 (the row says so). The last table (the PTE table, or the PMD
 * table of a PMD leaf) carries all of its entries that are not none, so a reader can open all 512.
 */
function walk(m: Machine, mm: MmStruct, addr: number): TraceValue[] {
  const rows: TraceValue[] = [];
  const e = new Pte();
  let t: PageTable | null = mm.pgd;
  while (t) {
    const i = levelIndex(t.level, addr);
    t.get(i, e);
    const leaf: boolean = t.level === LEVEL_PTE || (t.level === LEVEL_PMD && (e.lo & m.k.pgt.validLo) !== 0 && m.k.pgt.pmd_leaf_lo(e.lo));
    const row: Record<string, TraceValue> = { level: LEVEL_NAME[t.level]!, index: i, table: hex(t.pfn), entry: e.toString(), leaf };
    const child: PageTable | null = leaf ? null : childTable(m.k, mm, t, i);
    if (leaf || !child) row.entries = nonNone(t);
    rows.push(row);
    if (t.level === LEVEL_PGD) rows.push({ level: 'p4d', index: 0, table: hex(t.pfn), entry: e.toString(), leaf: false, folded: true });
    t = child;
  }
  return rows;
}

/** the folio behind a pfn: head, order, flags, counts (kpageflags of the page itself) */
function folioOf(m: Machine, pfn: number): Record<string, TraceValue> | null {
  const f = m.k.folios;
  const slot = f.slotOf(pfn);
  if (slot < 0) return null;
  const head = f.pfn(slot);
  return {
    head: hex(head), pfn: hex(pfn), index: pfn - head, order: f.order(slot), flags: hex(f.flags(slot)),
    refcount: f.refcount(slot), mapcount: f.folioMapcount(slot), page_mapcount: f.pageMapcount(slot, pfn),
    kpageflags: '0x' + stable_page_flags(m.k, pfn).toString(16), zero: pfn === m.k.zero_pfn,
  };
}

/**
 * What a large folio keeps per page, besides the head's struct folio fields (include/linux/mm_types.h
 * struct page / struct folio @v6.18): the entire (PMD) mapcount and the pin count of the folio; per page
 * its _mapcount + 1 (the PTE mappings of that page: 0 for every tail while the folio is only PMD-mapped)
 * and whether it is PageAnonExclusive (per page from v5.19; the head's only while the folio is PMD-mapped).
 * A tail page's refcount is 0 (the folio's count lives in the head) and it keeps no other flag the model has.
 */
function subpagesOf(m: Machine, pfn: number): Record<string, TraceValue> {
  const f = m.k.folios;
  const slot = f.slotOf(pfn);
  if (slot < 0 || !f.isLarge(slot)) return {};
  const n = f.nrPages(slot), head = f.pfn(slot);
  const exclusive: number[] = [];
  for (let i = 0; i < n; i++) if (f.pageAnonExclusive(slot, head + i)) exclusive.push(i);
  return {
    entire_mapcount: f.mapcount(slot), pincount: f.pincount(slot),
    subpages: { mapcount: Array.from(f.subMapcounts(slot)), anon_exclusive: exclusive },
  };
}

/** a thread's state as a reader sees it after this step (afterStep runs before the machine files the op's result) */
function threadState(m: Machine, t: ThreadState, acting: boolean): Record<string, TraceValue> {
  let state: string = t.status;
  let pc = t.pc;
  if (acting && t.status === 'ready') {
    if (t.wait) state = 'blocked';
    else if (++pc >= t.ops.length && !t.loop) state = 'done';
  }
  if (t.loop && pc >= t.ops.length) pc = 0;
  const op = t.ops[pc];
  const row: Record<string, TraceValue> = { name: t.name, process: t.process, state, op: op && state !== 'done' ? op.id : null };
  if (state === 'blocked' && t.wait) {
    row.wait = t.wait.kind === 'uffd_read' ? `read(${t.wait.ctx.name}), no message yet` : t.wait.kind === 'fault' ? 'handle_userfault' : 'handle_userfault (GUP)';
  }
  const sig = t.status === 'signal' ? t.signal?.sig : t.status === 'killed' ? t.killedBy : 0;
  if (sig) row.signal = SIGNAL_NAME[sig] ?? String(sig);
  if (t.task) {
    row.minflt = t.task.min_flt;
    row.majflt = t.task.maj_flt;
  }
  return row;
}

/** the state after the step thread t just took, as the fields of a `state` event */
export function stateFields(m: Machine, t: ThreadState): Record<string, TraceValue> {
  const env = varsEnv(m.vars);
  const pages: TraceValue[] = [];
  const folios = new Map<string, TraceValue>();
  for (const { key, process, mm, addr } of observedPages(m, env)) {
    const rows = walk(m, mm, addr);
    const last = rows[rows.length - 1] as Record<string, TraceValue>;
    const entry = BigInt(last.entry as string);
    let pfn: number | null = null;
    if (last.leaf && (entry & 1n)) {
      const base = Number((entry & pfnMask(m.k.spec.arch)) >> 12n);
      pfn = last.level === 'pmd' ? base + ((addr >>> 12) & 511) : base;
      const f = folioOf(m, pfn);
      if (f && !folios.has(f.head as string)) {
        folios.set(f.head as string, { ...f, pfn: f.head, index: 0, page_mapcount: null, kpageflags: '0x' + stable_page_flags(m.k, Number(BigInt(f.head as string))).toString(16), ...subpagesOf(m, pfn) });
      }
    }
    pages.push({ key, process, addr: hex(addr), walk: rows, pfn: pfn === null ? null : hex(pfn), page: pfn === null ? null : folioOf(m, pfn) });
  }
  const vmas: TraceValue[] = [];
  for (const [pname, p] of m.procs) {
    for (const v of p.mm.vmas) {
      const flags = (BigInt(v.vm_flags_hi >>> 0) << 32n) | BigInt(v.vm_flags >>> 0);
      vmas.push({
        process: pname, start: hex(v.vm_start), end: hex(v.vm_end), label: v.label, vm_flags: '0x' + flags.toString(16),
        names: vmFlagsToString(v.vm_flags) + (v.vm_flags_hi ? '|VM_UFFD_MINOR' : ''), uffd: v.uffd?.name ?? null, page_prot: v.vm_page_prot.toString(),
      });
    }
  }
  const uffds: TraceValue[] = [];
  const seen = new Set<unknown>();
  for (const v of m.vars.values()) {
    if (v.kind !== 'uffd' || seen.has(v.ctx.id)) continue;
    seen.add(v.ctx.id);
    const c = v.ctx;
    const msg = (u: { msg: { event: number; flags: number; address: number }; task: { comm: string } }) => ({ event: hex(u.msg.event), flags: hex(u.msg.flags), address: hex(u.msg.address), thread: u.task.comm });
    const ranges: TraceValue[] = [];
    for (const p of m.procs.values()) for (const vma of p.mm.vmas) if (vma.uffd?.id === c.id) ranges.push({ start: hex(vma.vm_start), end: hex(vma.vm_end), wp: (vma.vm_flags & 0x1000) !== 0, missing: (vma.vm_flags & 0x200) !== 0, minor: vma.vm_flags_hi !== 0 });
    uffds.push({ name: c.name, features: hex(c.features), api: c.apiDone, released: c.released, registered: ranges, pending: c.pending.toArray().map(msg), waiting: c.waiting.toArray().map(msg) });
  }
  const op = t.ops[t.pc];
  return {
    op: op?.id ?? null, op_name: op?.op ?? null, line: op?.line ?? null,
    pages, folios: [...folios.values()], vmas, uffds,
    threads: m.threads.map((x) => threadState(m, x, x === t)),
  };
}

/** Machine.afterStep for a traced run with states: a `state` event closes every step, setup's included */
export function traceStateAfterStep(m: Machine, t: ThreadState): void {
  m.k.tr?.emit('state', 'mmsim', stateFields(m, t));
}

/** Machine.afterStep for --debug: the whole-state invariants, named by the step that broke them */
export function debugVmAfterStep(m: Machine, t: ThreadState): void {
  const op = t.ops[t.pc];
  const step = t === m.setup ? 'setup' : `step ${m.step}`;
  assert_vm_state(m.k, `after ${step} (thread ${t.name}${op ? `, op ${op.id} (${op.op}), line ${op.line}` : ''}) on ${m.k.spec.name}`);
}

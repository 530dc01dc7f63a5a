// The model's observation next to the real kernel's, field by field. Addresses differ between the two
// (the kernel places mappings where it likes), so every address is written relative to the scenario's
// mapping it lies in; everything else must be equal. Fields the kernel cannot show (raw PTE/PMD values,
// the model's PFNs, trace and klog) are not compared; masks are explained in docs/fidelity.md.
import type { CompiledScenario } from '../scenario/load.js';
import { MEMINFO_NAMES } from '../scenario/predicates.js';
import { formatOutObs, pfnRelation, type Observation } from '../scenario/outcome.js';
import { KPF } from '../kernel/include/uapi.js';

export type RowStatus = 'agree' | 'differ' | 'known';
export interface CompareRow {
  field: string;
  model: string;
  kernel: string;
  status: RowStatus;
  /** for a known difference: why */
  reason?: string;
}

/** a difference documented in docs/fidelity.md: the test asserts it is still there */
export interface KnownDifference {
  field: string;
  model: string;
  kernel: string;
  reason: string;
}

/**
 * kpageflags bits not compared (docs/fidelity.md): KPF_IDLE (25) is set on this host by DAMON's
 * sampling, a background activity the model does not have; KPF_REFERENCED (2) of the zero pages is
 * shared with every other process. KPF_LRU (5) is compared: the executor drains every CPU's folio
 * batches after each step, as the model has none.
 */
export const KPF_COMPARE_MASK = ~(1n << BigInt(KPF.idle));
const KPF_ZERO_REFERENCED = (1n << BigInt(KPF.zero_page)) | (1n << BigInt(KPF.referenced));

/** vmstat counters compared (deltas since the start of the run); see docs/fidelity.md for the others */
export const VMSTAT_COMPARED = ['thp_fault_alloc', 'thp_fault_fallback', 'thp_split_pmd', 'thp_split_page', 'thp_collapse_alloc', 'thp_deferred_split_page'];

function relAddr(mappings: Observation['mappings'], v: bigint): string | null {
  let below: [string, bigint] | null = null;
  for (const [n, m] of Object.entries(mappings)) {
    const a = BigInt(m.addr), l = BigInt(m.len);
    if (v >= a && v <= a + l) return v === a ? n : `${n}+0x${(v - a).toString(16)}`;
    if (a < v && (below === null || a > below[1])) below = [n, a];
  }
  // past every mapping's end (the end of an UNMAP event's range that runs over a mapping, say): from the
  // nearest mapping below it, within 4 GiB; the model and the executor place the mappings in the same order
  if (below !== null && v - below[1] < 1n << 32n) return `${below[0]}+0x${(v - below[1]).toString(16)}`;
  return null;
}

/** replace every hex number that points into (or just past, or past the end of) a scenario mapping by name+offset */
export function relativize(text: string, mappings: Observation['mappings']): string {
  return text.replace(/0x[0-9a-f]+/gi, (h) => {
    const v = BigInt(h);
    if (v < 0x10000n) return h;
    return relAddr(mappings, v) ?? h;
  });
}

function opValue(o: Observation, id: string): string {
  const r = o.ops[id];
  if (!r) return '(did not run)';
  // a failed call says what it wrote back (uffdio_copy.copy after a partial copy, PAGEMAP_SCAN's walk_end)
  if (r.errno) return r.out ? `-${r.errno} ${relativize(formatOutObs(r.out), o.mappings)}` : `-${r.errno}`;
  if (r.op === 'fork') return 'pid';
  return relativize(r.result ?? '0', o.mappings);
}

const PM_SWAP = 1n << 62n, PM_PRESENT = 1n << 63n, PM_FRAME = (1n << 55n) - 1n, MAX_SWAPFILES_SHIFT = 5n;

/**
 * pagemap values as compared: a swap entry's frame field (type | offset << 5) is shown as its type and an
 * identity for its slot (`swp0#1`: the first slot the run's snapshots show, in checkpoint and page order),
 * so that sharing a slot (fork) and getting the same slot back compare, while the offset the kernel's
 * swap allocator picks (per-CPU clusters, the order of a split THP's pages; docs/fidelity.md) does not
 */
function pagemapShown(sc: CompiledScenario, o: Observation, snaps: string[]): (snap: string, key: string) => string {
  const ids = new Map<bigint, number>();
  const shown = new Map<string, string>();
  for (const s of snaps) {
    for (const { key } of sc.pages) {
      const v = o.snapshots[s]?.pages[key]?.pagemap;
      if (v === undefined) continue;
      const x = BigInt(v);
      if (!(x & PM_SWAP) || x & PM_PRESENT) {
        shown.set(`${s}\0${key}`, v);
        continue;
      }
      const frame = x & PM_FRAME, type = frame & ((1n << MAX_SWAPFILES_SHIFT) - 1n), off = frame >> MAX_SWAPFILES_SHIFT;
      const id = ids.get(frame) ?? ids.size + 1;
      ids.set(frame, id);
      shown.set(`${s}\0${key}`, `0x${(x & ~PM_FRAME).toString(16).padStart(16, '0')} swp${type}#${id}${off === 0n ? ' (offset 0)' : ''}`);
    }
  }
  return (snap, key) => shown.get(`${snap}\0${key}`) ?? '-';
}

function kpf(v: string | null | undefined): string {
  if (v === undefined) return '-';
  if (v === null) return 'none';
  let x = BigInt(v) & KPF_COMPARE_MASK;
  if (x & (1n << BigInt(KPF.zero_page))) x &= ~(KPF_ZERO_REFERENCED & ~(1n << BigInt(KPF.zero_page)));
  return '0x' + x.toString(16);
}

export function compareObservations(sc: CompiledScenario, model: Observation, kernel: Observation, known: KnownDifference[] = []): CompareRow[] {
  const rows: CompareRow[] = [];
  const add = (field: string, m: string, k: string) => {
    const kd = known.find((x) => x.field === field);
    let status: RowStatus = m === k ? 'agree' : 'differ';
    if (kd && m !== k && kd.model === m && kd.kernel === k) status = 'known';
    rows.push({ field, model: m, kernel: k, status, ...(status === 'known' ? { reason: kd!.reason } : {}) });
  };
  for (const t of sc.threads) {
    const m = model.threads[t.name], k = kernel.threads[t.name];
    add(`thread ${t.name}: state`, m?.state ?? '-', k?.state ?? '-');
    add(`thread ${t.name}: signal`, m?.signal ?? 'none', k?.signal ?? 'none');
    add(`thread ${t.name}: minflt`, String(m?.minflt ?? '-'), String(k?.minflt ?? '-'));
    add(`thread ${t.name}: majflt`, String(m?.majflt ?? '-'), String(k?.majflt ?? '-'));
  }
  add('deadlock', String(model.deadlock), String(kernel.deadlock));
  add('schedule', model.schedule || '(none)', kernel.schedule || '(none)');
  const ids = [...sc.setup, ...sc.threads.flatMap((t) => t.ops)].map((o) => o.id);
  for (const id of ids) {
    if (!model.ops[id] && !kernel.ops[id]) continue;
    add(`op ${id}`, opValue(model, id), opValue(kernel, id));
  }
  const msgNames = new Set([...Object.keys(model.msgs), ...Object.keys(kernel.msgs)]);
  for (const n of msgNames) {
    const show = (o: Observation) => {
      const x = o.msgs[n];
      // REMAP, REMOVE and UNMAP carry an address in the first word too (from, start)
      const w0 = x && x.event >= 0x14 && x.event <= 0x16 ? relativize('0x' + x.flags.toString(16), o.mappings) : x ? `0x${x.flags.toString(16)}` : '';
      return x ? `event=0x${x.event.toString(16)} flags=${w0} at ${relativize(x.address, o.mappings)}` : '(none)';
    };
    add(`msg ${n}`, show(model), show(kernel));
  }
  const bufNames = new Set([...Object.keys(model.buffers), ...Object.keys(kernel.buffers)]);
  for (const n of bufNames) {
    const show = (o: Observation) => {
      const x = o.buffers[n];
      return x ? `${x.addr}: ${x.digest}` : '(none)';
    };
    add(`buffer ${n}`, show(model), show(kernel));
  }
  const snaps = ['setup', ...sc.checkpoints.filter((c) => c !== 'setup'), 'final'];
  const pmModel = pagemapShown(sc, model, snaps), pmKernel = pagemapShown(sc, kernel, snaps);
  for (const s of snaps) {
    const ms = model.snapshots[s], ks = kernel.snapshots[s];
    if (!ms && !ks) continue;
    for (const { key } of sc.pages) {
      const mp = ms?.pages[key], kp = ks?.pages[key];
      if (!mp && !kp) continue;
      add(`@${s} ${key}: pagemap`, mp ? pmModel(s, key) : '-', kp ? pmKernel(s, key) : '-');
      add(`@${s} ${key}: kpageflags`, kpf(mp?.kpageflags), kpf(kp?.kpageflags));
    }
    for (const { key } of sc.mems) {
      const a = ms?.mem[key], b = ks?.mem[key];
      if (a === undefined && b === undefined) continue;
      add(`@${s} mem ${key}`, a === undefined ? '-' : a ?? 'unmapped', b === undefined ? '-' : b ?? 'unmapped');
    }
    for (const m of sc.mappings) {
      const a = ms?.smaps[m], b = ks?.smaps[m];
      add(`@${s} ${m}: AnonHugePages kB`, String(a?.AnonHugePages ?? '-'), String(b?.AnonHugePages ?? '-'));
      add(`@${s} ${m}: Rss kB`, String(a?.Rss ?? '-'), String(b?.Rss ?? '-'));
    }
    add(`@${s} VMAs`, String(ms?.vma_count ?? '-'), String(ks?.vma_count ?? '-'));
    // PFN identity, where the expectations ask about it (same_pfn_as, new_pfn_since): elsewhere a freed
    // page's PFN may come back or not, as the allocator pleases
    for (const c of sc.pfnChecks ?? []) {
      if (c.at === s) add(`@${s} ${c.key}: page vs ${c.other === c.key ? '' : c.other + ' '}@${c.since}`, pfnRelation(model, c.key, c.at, c.other, c.since), pfnRelation(kernel, c.key, c.at, c.other, c.since));
    }
    for (const v of VMSTAT_COMPARED) add(`@${s} vmstat ${v}`, String(ms?.vmstat[v] ?? '-'), String(ks?.vmstat[v] ?? '-'));
    // the hugetlb pool, where the run set one (the kernel's snapshot has /proc/meminfo's lines then)
    if (ks?.meminfo) for (const n of MEMINFO_NAMES) add(`@${s} meminfo ${n}`, String(ms?.meminfo?.[n] ?? '-'), String(ks.meminfo[n] ?? '-'));
  }
  return rows;
}

export function compareSummary(rows: CompareRow[]): { agree: number; differ: number; known: number } {
  return {
    agree: rows.filter((r) => r.status === 'agree').length,
    differ: rows.filter((r) => r.status === 'differ').length,
    known: rows.filter((r) => r.status === 'known').length,
  };
}

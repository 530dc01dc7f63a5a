// The outcome of one execution (an Observation, comparable with the real kernel's) and the evaluation of
// a scenario's expectations against it.
import type { KernelSpec } from '../kernel/kernel.js';
import type { TraceEvent } from '../trace/events.js';
import type { CompiledScenario, When } from './load.js';
import type { Snapshot } from './observe.js';
import type { Pred, Signed } from './predicates.js';
import { evalExpr, Env, EvalError, exprToString } from './expr.js';
import type { OpOut } from './values.js';
import { KPF, PM } from '../kernel/include/uapi.js';
import { formatKlog, whereIs, type Mappings } from '../trace/format.js';
import { pfnMask } from '../kernel/arch/arch.js';

/**
 * predicates the real kernel cannot observe (host comparisons skip them); here, not beside the predicates'
 * schema, so that evaluating outcomes (the explorer's worker threads) does not load the validators
 */
export const MODEL_ONLY = new Set(['pte', 'pmd', 'klog', 'event', 'refcount', 'devmem']);

export interface ThreadObs {
  state: string;
  signal: string | null;
  minflt: number;
  majflt: number;
}
/**
 * the fields an ioctl wrote back into its argument struct, also when it failed: uffdio_copy.copy,
 * uffdio_zeropage.zeropage (bytes, or -errno when not even the first page was filled), pm_scan_arg.walk_end
 * and the regions written to its vector (addresses in hex)
 */
export interface OutObs {
  copy?: number;
  zeropage?: number;
  move?: number;
  /** uffdio_continue.mapped */
  mapped?: number;
  /** uffdio_poison.updated */
  updated?: number;
  walk_end?: string;
  regions?: { start: string; end: string; categories: number }[];
}
export interface OpObs {
  thread: string;
  op: string;
  errno: string | null;
  result: string | null;
  /** absent when the call wrote nothing back (it has no such fields, or failed before writing them) */
  out?: OutObs;
}

/** an OpOut of the model as an observation */
export function outObs(o: OpOut): OutObs {
  const r: OutObs = {};
  if (o.copy !== undefined) r.copy = o.copy;
  if (o.zeropage !== undefined) r.zeropage = o.zeropage;
  if (o.move !== undefined) r.move = o.move;
  if (o.mapped !== undefined) r.mapped = o.mapped;
  if (o.updated !== undefined) r.updated = o.updated;
  if (o.regions) r.regions = o.regions.map((x) => ({ start: '0x' + x.start.toString(16), end: '0x' + x.end.toString(16), categories: x.categories }));
  if (o.walk_end !== undefined) r.walk_end = '0x' + o.walk_end.toString(16);
  return r;
}

/** an OutObs as text, addresses relative to the scenario's mappings: "copy=4096", "ram-ram+0x2000:0xa walk_end=ram+0x10000" */
export function formatOutObs(o: OutObs, rel: (hex: string) => string = (h) => h): string {
  const parts: string[] = [];
  if (o.copy !== undefined) parts.push(`copy=${o.copy}`);
  if (o.zeropage !== undefined) parts.push(`zeropage=${o.zeropage}`);
  if (o.move !== undefined) parts.push(`move=${o.move}`);
  if (o.mapped !== undefined) parts.push(`mapped=${o.mapped}`);
  if (o.updated !== undefined) parts.push(`updated=${o.updated}`);
  for (const x of o.regions ?? []) parts.push(`${rel(x.start)}-${rel(x.end)}:0x${x.categories.toString(16)}`);
  if (o.walk_end !== undefined) parts.push(`walk_end=${rel(o.walk_end)}`);
  return parts.join(' ');
}

export interface Observation {
  scenario: string;
  kernel: string;
  release: string;
  source: 'model' | 'host';
  threads: Record<string, ThreadObs>;
  ops: Record<string, OpObs>;
  mappings: Mappings;
  msgs: Record<string, { event: number; flags: number; address: string; where: string }>;
  buffers: Record<string, { addr: string; digest: string; hex: string }>;
  snapshots: Record<string, Snapshot>;
  deadlock: boolean;
  schedule: string;
  /** model only: data_at tallies, "buffer@checkpoint" -> copies compared and mismatches (scenario/copies.ts) */
  copies?: Record<string, { copies: number; mismatches: number; detail: string | null }>;
}

/** "ram+0x7f000" for an address inside a named mapping (trace/format.ts) */
export { whereIs };

/** whereIs, and "ram+0x10000" for the end of a 64 KiB ram too (walk_end, region ends) */
export function whereIsOrEnd(mappings: Observation['mappings'], addr: bigint): string {
  for (const [n, m] of Object.entries(mappings)) if (addr > BigInt(m.addr) && addr === BigInt(m.addr) + BigInt(m.len)) return `${n}+0x${BigInt(m.len).toString(16)}`;
  return whereIs(mappings, addr);
}

/** the first non-zero bytes of a buffer, in hex (at most 16) */
export function shortHex(b: Uint8Array): string {
  let last = b.length;
  while (last > 0 && b[last - 1] === 0) last--;
  const n = Math.min(last, 16);
  return Array.from(b.slice(0, n), (x) => x.toString(16).padStart(2, '0')).join('');
}

export function whenMatches(w: When | null, spec: KernelSpec): boolean {
  if (!w) return true;
  if (w.kernel && !w.kernel.includes(spec.profile) && !w.kernel.includes(spec.name)) return false;
  const ids = new Set([...spec.patches].map((p) => p.id));
  if (w.has && !w.has.every((id) => ids.has(id))) return false;
  if (w.lacks && w.lacks.some((id) => ids.has(id))) return false;
  if (w.config) {
    for (const [key, val] of Object.entries(w.config)) {
      const cur = (spec.config as unknown as Record<string, unknown>)[key];
      const s = cur === true ? 'y' : cur === false ? 'n' : String(cur);
      if (s !== val && !(val === 'true' && s === 'y') && !(val === 'false' && s === 'n')) return false;
    }
  }
  if (w.not && whenMatches(w.not, spec)) return false;
  return true;
}

export interface EvalCtx {
  obs: Observation;
  /** trace events, or null for a real-kernel observation (model-only predicates are then skipped) */
  events: TraceEvent[] | null;
  /** the PFN field of the kernel's architecture (evalExpectations sets it; x86-64's when absent) */
  pfnMask?: bigint;
}

export interface PredResult {
  ok: boolean | null; // null: cannot be evaluated here (model-only on the host, missing snapshot)
  detail: string;
  /** null because it looks at what only the model has (PTE values, trace, klog): not applicable to a kernel */
  modelOnly?: boolean;
}

function obsEnv(obs: Observation): Env {
  return (name, field) => {
    const mp = obs.mappings[name];
    if (mp) return field === 'len' ? BigInt(mp.len) : BigInt(mp.addr);
    const msg = obs.msgs[name];
    if (msg) return field === 'flags' || field === 'start' || field === 'from' ? BigInt(msg.flags) : field === 'event' ? BigInt(msg.event) : BigInt(msg.address);
    return undefined;
  };
}

const hex = (v: bigint) => '0x' + v.toString(16);

function pageObs(ctx: EvalCtx, at: string, key: string) {
  const snap = ctx.obs.snapshots[at];
  return { snap, page: snap?.pages[key] };
}

/**
 * the page `key` at checkpoint `at` against page `other` at `since`: 'same' physical page, 'new' (another)
 * page, or 'absent' (not mapped, or not observed, at one of them)
 */
export function pfnRelation(obs: Observation, key: string, at: string, other: string, since: string): 'same' | 'new' | 'absent' {
  const a = obs.snapshots[at]?.pages[key]?.pfn_id, b = obs.snapshots[since]?.pages[other]?.pfn_id;
  if (a === null || a === undefined || b === null || b === undefined) return 'absent';
  return a === b ? 'same' : 'new';
}

export function evalPred(p: Pred, ctx: EvalCtx): PredResult {
  const obs = ctx.obs;
  if (MODEL_ONLY.has(p.p) && !ctx.events) return { ok: null, detail: 'model-only', modelOnly: true };
  switch (p.p) {
    case 'not': {
      const r = evalPred(p.x, ctx);
      return r.ok === null ? r : { ok: !r.ok, detail: `not (${r.detail})` };
    }
    case 'all': case 'any': {
      const rs = p.xs.map((x) => evalPred(x, ctx));
      const nulls = rs.filter((r) => r.ok === null);
      if (nulls.length) return { ok: null, detail: rs.map((r) => r.detail).join('; '), modelOnly: nulls.every((r) => r.modelOnly) };
      const ok = p.p === 'all' ? rs.every((r) => r.ok) : rs.some((r) => r.ok);
      return { ok, detail: rs.map((r) => r.detail).join(p.p === 'all' ? '; ' : ' | ') };
    }
    case 'signal': {
      const t = obs.threads[p.thread]!;
      return { ok: t.signal === p.sig, detail: `${p.thread} ${t.signal ? `ended with ${t.signal} (${t.state})` : `got no signal (${t.state})`}` };
    }
    case 'state': {
      const t = obs.threads[p.thread]!;
      return { ok: t.state === p.state, detail: `${p.thread} is ${t.state}` };
    }
    case 'faults': {
      const t = obs.threads[p.thread]!;
      const ok = (p.minflt === undefined || t.minflt === p.minflt) && (p.majflt === undefined || t.majflt === p.majflt);
      return { ok, detail: `${p.thread}: minflt ${t.minflt}, majflt ${t.majflt}` };
    }
    case 'errno': {
      const r = obs.ops[p.op];
      if (!r) return { ok: false, detail: `operation ${p.op} did not run` };
      return { ok: r.errno === p.errno, detail: `${p.op}: ${r.errno ?? 'success'}` };
    }
    case 'result': {
      const r = obs.ops[p.op];
      if (!r || r.result === null) return { ok: false, detail: `operation ${p.op} has no result` };
      const want = evalExpr(p.value, obsEnv(obs));
      let got: bigint | null = null;
      // a result may carry details after its number (PAGEMAP_SCAN: "2 0x...-0x...:0xa walk_end=...")
      try { got = BigInt(r.result.split(' ')[0]!); } catch { got = null; }
      return { ok: got === want, detail: `${p.op} returned ${r.result}` };
    }
    case 'status': {
      const r = obs.ops[p.op];
      if (!r || r.result === null) return { ok: false, detail: `operation ${p.op} has no result` };
      const m = / status=(\S*)/.exec(r.result);
      const got = m ? m[1]!.split(',') : [];
      return { ok: got.join(',') === p.value.join(','), detail: `${p.op}: ${r.result}` };
    }
    case 'refcount': {
      const { snap, page } = pageObs(ctx, p.at, p.key);
      if (!snap || !page) return { ok: null, detail: `no refcount of ${exprToString(p.addr)} at ${p.at}` };
      if (page.refcount === undefined) return { ok: null, detail: `no refcount in this observation (model only)` };
      if (page.refcount === null) return { ok: false, detail: `${exprToString(p.addr)}: no page mapped` };
      return { ok: page.refcount === p.value, detail: `refcount ${exprToString(p.addr)} = ${page.refcount} (at ${p.at})` };
    }
    case 'devmem': {
      const snap = obs.snapshots[p.at];
      if (!snap) return { ok: null, detail: `no snapshot ${p.at}` };
      const d = snap.devmem ?? (obs.source === 'model' ? { allocated: 0, freed: 0, in_use: 0 } : undefined);
      if (!d) return { ok: null, detail: 'no device memory in this observation (model only)' };
      const ok = (p.allocated === undefined || d.allocated === p.allocated) && (p.freed === undefined || d.freed === p.freed) && (p.in_use === undefined || d.in_use === p.in_use);
      return { ok, detail: `device memory: ${d.allocated} pages allocated, ${d.freed} freed, ${d.in_use} in use (at ${p.at})` };
    }
    case 'scan': {
      const r = obs.ops[p.op];
      if (!r || r.result === null) return { ok: false, detail: `operation ${p.op} has no result` };
      return { ok: r.result === p.value, detail: `${p.op}: ${r.result}` };
    }
    case 'out': {
      const r = obs.ops[p.op];
      if (!r) return { ok: false, detail: `operation ${p.op} did not run` };
      const o = r.out;
      const detail = `${p.op}: ${o ? formatOutObs(o, (h) => whereIsOrEnd(obs.mappings, BigInt(h))) : 'wrote nothing back'}`;
      if (!o) return { ok: false, detail };
      const env = obsEnv(obs);
      const signed = (s: Signed) => (s.neg ? -evalExpr(s.e, env) : evalExpr(s.e, env));
      let ok = true;
      if (p.copy !== undefined) ok &&= o.copy !== undefined && BigInt(o.copy) === signed(p.copy);
      if (p.zeropage !== undefined) ok &&= o.zeropage !== undefined && BigInt(o.zeropage) === signed(p.zeropage);
      if (p.move !== undefined) ok &&= o.move !== undefined && BigInt(o.move) === signed(p.move);
      if (p.mapped !== undefined) ok &&= o.mapped !== undefined && BigInt(o.mapped) === signed(p.mapped);
      if (p.updated !== undefined) ok &&= o.updated !== undefined && BigInt(o.updated) === signed(p.updated);
      if (p.walk_end !== undefined) ok &&= o.walk_end !== undefined && BigInt(o.walk_end) === evalExpr(p.walk_end, env);
      if (p.regions !== undefined) {
        const got = o.regions ?? [];
        ok &&= got.length === p.regions.length && p.regions.every((w, i) => {
          const g = got[i]!;
          return BigInt(g.start) === evalExpr(w.start, env) && BigInt(g.end) === evalExpr(w.end, env) && g.categories === w.categories;
        });
      }
      return { ok, detail };
    }
    case 'pagemap': {
      const { snap, page } = pageObs(ctx, p.at, p.key);
      if (!snap || !page) return { ok: null, detail: `no pagemap of ${exprToString(p.addr)} at ${p.at}` };
      const v = BigInt(page.pagemap);
      const missing = p.has.filter((b) => !((v >> BigInt(PM[b])) & 1n));
      const extra = p.lacks.filter((b) => (v >> BigInt(PM[b])) & 1n);
      const idx = Number(v & ((1n << 55n) - 1n));
      const idxOk = p.index === undefined || idx === p.index;
      let pfnOk = true, pfnDetail = '';
      if (p.pfn) {
        const rel = pfnRelation(ctx.obs, p.key, p.at, p.pfn.other, p.pfn.since);
        pfnOk = rel === (p.pfn.same ? 'same' : 'new');
        const them = `${p.pfn.other === p.key ? '' : p.pfn.other + ' '}@${p.pfn.since}`;
        pfnDetail = `, ${rel === 'same' ? 'the same page as' : rel === 'new' ? 'another page than' : 'not mapped here or at'} ${them}`;
      }
      return { ok: missing.length === 0 && extra.length === 0 && idxOk && pfnOk, detail: `pagemap ${exprToString(p.addr)} = ${page.pagemap}${missing.length ? ` lacks ${missing.join(',')}` : ''}${extra.length ? ` has ${extra.join(',')}` : ''}${idxOk ? '' : ` index ${idx}`}${pfnDetail}` };
    }
    case 'kpageflags': {
      const { snap, page } = pageObs(ctx, p.at, p.key);
      if (!snap || !page) return { ok: null, detail: `no kpageflags of ${exprToString(p.addr)} at ${p.at}` };
      if (page.kpageflags === null) return { ok: false, detail: `${exprToString(p.addr)}: no page mapped` };
      const v = BigInt(page.kpageflags);
      const missing = p.has.filter((b) => !((v >> BigInt(KPF[b])) & 1n));
      const extra = p.lacks.filter((b) => (v >> BigInt(KPF[b])) & 1n);
      return { ok: missing.length === 0 && extra.length === 0, detail: `kpageflags ${exprToString(p.addr)} = ${page.kpageflags}${missing.length ? ` lacks ${missing.join(',')}` : ''}${extra.length ? ` has ${extra.join(',')}` : ''}` };
    }
    case 'pte': case 'pmd': {
      const { snap, page } = pageObs(ctx, p.at, p.key);
      if (!snap || !page) return { ok: null, detail: `no ${p.p} of ${exprToString(p.addr)} at ${p.at}` };
      const raw = p.p === 'pte' ? page.pte : page.pmd;
      const v = raw ? BigInt(raw) : 0n;
      const PFN = ctx.pfnMask ?? 0x000ffffffffff000n;
      let ok: boolean;
      if (p.none) ok = v === 0n;
      else if (p.flags !== undefined) ok = (v & ~PFN) === p.flags && v !== 0n;
      else if (p.mask !== undefined) ok = (v & p.mask) === (p.value ?? 0n);
      else ok = v === (p.value ?? 0n);
      return { ok, detail: `${p.p} of ${exprToString(p.addr)} = ${raw ?? 'none'} (flags ${hex(v & ~PFN)})` };
    }
    case 'smaps': {
      const snap = obs.snapshots[p.at];
      const s = snap?.smaps[p.mapping];
      if (!s) return { ok: null, detail: `no smaps of ${p.mapping} at ${p.at}` };
      const ok = (p.AnonHugePages === undefined || s.AnonHugePages === p.AnonHugePages) && (p.Rss === undefined || s.Rss === p.Rss);
      return { ok, detail: `${p.mapping}: AnonHugePages ${s.AnonHugePages} kB, Rss ${s.Rss} kB (at ${p.at})` };
    }
    case 'vma_count': {
      const snap = obs.snapshots[p.at];
      if (!snap) return { ok: null, detail: `no snapshot ${p.at}` };
      return { ok: snap.vma_count === p.value, detail: `${snap.vma_count} VMAs (at ${p.at})` };
    }
    case 'vmstat': {
      const snap = obs.snapshots[p.at];
      const base = p.since ? obs.snapshots[p.since] : null;
      if (!snap || (p.since && !base)) return { ok: null, detail: `no snapshot ${p.at}` };
      const d = (snap.vmstat[p.name] ?? 0) - (base ? base.vmstat[p.name] ?? 0 : 0);
      return { ok: d === p.delta, detail: `${p.name} +${d}${p.since ? ` since ${p.since}` : ''}` };
    }
    case 'meminfo': {
      const snap = obs.snapshots[p.at];
      if (!snap) return { ok: null, detail: `no snapshot ${p.at}` };
      const v = snap.meminfo?.[p.name];
      if (v === undefined) return { ok: null, detail: `no /proc/meminfo in snapshot ${p.at}` };
      return { ok: v === p.value, detail: `${p.name} ${v} (at ${p.at})` };
    }
    case 'msg': {
      const msg = obs.msgs[p.var];
      if (!msg) return { ok: false, detail: `no message in ${p.var}` };
      let ok = true;
      if (p.flags !== undefined && msg.flags !== p.flags) ok = false;
      if (p.event !== undefined && msg.event !== p.event) ok = false;
      if (p.address !== undefined) {
        try {
          if (BigInt(msg.address) !== evalExpr(p.address, obsEnv(obs))) ok = false;
        } catch (e) {
          if (!(e instanceof EvalError)) throw e;
          ok = false;
        }
      }
      return { ok, detail: `${p.var}: event 0x${msg.event.toString(16)} flags 0x${msg.flags.toString(16)} address ${msg.where}` };
    }
    case 'same_data': {
      const a = obs.buffers[p.a], b = obs.buffers[p.b];
      if (!a || !b) return { ok: false, detail: 'buffer missing' };
      return { ok: a.digest === b.digest, detail: `${p.a} ${a.digest} / ${p.b} ${b.digest}` };
    }
    case 'data_at': {
      // every copy made into each buffer matched the memory image of checkpoint p.at
      if (!obs.copies) return { ok: null, detail: 'data_at needs the model (no copy tallies in this observation)' };
      let ok = true;
      const parts: string[] = [];
      for (const v of p.vars) {
        const c = obs.copies[`${v}@${p.at}`];
        if (!c) return { ok: null, detail: `no tally for ${v}@${p.at}` };
        if (c.mismatches > 0) {
          ok = false;
          parts.push(`${v}: ${c.mismatches} of ${c.copies} copies differ from ${p.at} (${c.detail})`);
        } else parts.push(`${v}: ${c.copies} ${c.copies === 1 ? 'copy' : 'copies'} match ${p.at}`);
      }
      return { ok, detail: parts.join('; ') };
    }
    case 'klog': {
      const lines = formatKlog(ctx.events!).filter((l) => l.includes(p.text));
      const ok = p.count === undefined ? lines.length > 0 : lines.length === p.count;
      return { ok, detail: `klog "${p.text}" printed ${lines.length} time(s)` };
    }
    case 'event': {
      const evs = ctx.events!.filter((e) => e.type === p.type && (!p.fn || e.fn === p.fn));
      const ok = p.count === undefined ? evs.length > 0 : evs.length === p.count;
      return { ok, detail: `event ${p.type}${p.fn ? ' in ' + p.fn : ''}: ${evs.length}` };
    }
    case 'mem': {
      const snap = obs.snapshots[p.at];
      if (!snap || !(p.key in snap.mem)) return { ok: null, detail: `no memory read of ${exprToString(p.addr)} at ${p.at}` };
      const got = snap.mem[p.key];
      if (got === null) return { ok: false, detail: `${exprToString(p.addr)} is not mapped` };
      const want = evalExpr(p.value, obsEnv(obs));
      return { ok: BigInt(got) === want, detail: `${exprToString(p.addr)} = ${got} (${p.size} bytes)` };
    }
  }
}

export interface ExpectResult {
  line: number;
  text: string;
  /** null: it could not be evaluated (which fails a run), unless modelOnly */
  ok: boolean | null;
  detail: string;
  /** it looks at what only the model shows (raw entries, trace, klog) and this is a kernel's observation */
  modelOnly?: boolean;
}

/** an expectation that holds, or that only the model can answer while this is the kernel's observation */
/** some expectation that applies to this kernel asks for a thread to end blocked: a deadlock is what the scenario expects */
export function deadlockExpected(sc: CompiledScenario, spec: KernelSpec): boolean {
  const blocked = (p: Pred): boolean => (p.p === 'state' && p.state === 'blocked') || ((p.p === 'all' || p.p === 'any') && p.xs.some(blocked));
  return sc.expect.some((e) => whenMatches(e.when, spec) && blocked(e.pred));
}

export function expectationPasses(e: ExpectResult): boolean {
  return e.ok === true || (e.ok === null && e.modelOnly === true);
}

export function evalExpectations(sc: CompiledScenario, spec: KernelSpec, ctx: EvalCtx): ExpectResult[] {
  ctx = { ...ctx, pfnMask: pfnMask(spec.arch) };
  const out: ExpectResult[] = [];
  for (const e of sc.expect) {
    if (!whenMatches(e.when, spec)) continue;
    const r = evalPred(e.pred, ctx);
    out.push({ line: e.line, text: e.text, ok: r.ok, detail: r.ok === null && !r.modelOnly ? `cannot be evaluated: ${r.detail}` : r.detail, ...(r.modelOnly ? { modelOnly: true } : {}) });
  }
  return out;
}

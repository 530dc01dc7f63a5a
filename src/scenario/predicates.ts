// Outcome predicates: what a scenario expects of one execution (run) or asks of all of them (check).
import { VM_EVENT_NAMES } from '../kernel/mm/vmstat.js';
/** the /proc/meminfo lines an expectation can name: the hugetlb pool's (hugetlb_report_meminfo) */
export const MEMINFO_NAMES = ['HugePages_Total', 'HugePages_Free', 'HugePages_Rsvd', 'HugePages_Surp'] as const;
export type MeminfoName = (typeof MEMINFO_NAMES)[number];
import { z } from 'zod';
import { zInt, SCAN_CATEGORY_NAMES } from './ops.js';
import { Expr } from './expr.js';
import { KPF, KpfName, PM, PagemapBitName } from '../kernel/include/uapi.js';
import { ERRNO } from '../kernel/include/errno.js';
import { SCAN_RESULT_NAMES } from '../kernel/mm/khugepaged.js';

export type Pred =
  | { p: 'signal'; thread: string; sig: string | null }
  | { p: 'faults'; thread: string; minflt?: number; majflt?: number }
  | { p: 'state'; thread: string; state: string }
  | { p: 'errno'; op: string; errno: string | null }
  | { p: 'result'; op: string; value: Expr }
  /** a khugepaged operation's scan_result, by name (`succeeded`, `pte_uffd_wp`, ...) */
  | { p: 'scan'; op: string; value: string }
  /** what a call wrote back into its argument struct, whether or not it failed (scenario/outcome.ts OutObs) */
  | { p: 'out'; op: string; copy?: Signed; zeropage?: Signed; move?: Signed; mapped?: Signed; updated?: Signed; walk_end?: Expr; regions?: RegionPred[] }
  | { p: 'mem'; key: string; addr: Expr; size: number; value: Expr; at: string }
  /** pfn: the page at `at` is (same) or is not (new) the physical page that page `other` was at checkpoint `since` */
  | { p: 'pagemap'; key: string; addr: Expr; has: PagemapBitName[]; lacks: PagemapBitName[]; index?: number; at: string; pfn?: { same: boolean; other: string; since: string } }
  | { p: 'kpageflags'; key: string; addr: Expr; has: KpfName[]; lacks: KpfName[]; at: string }
  | { p: 'pte' | 'pmd'; key: string; addr: Expr; flags?: bigint; mask?: bigint; value?: bigint; none?: boolean; at: string }
  | { p: 'smaps'; mapping: string; AnonHugePages?: number; Rss?: number; at: string }
  | { p: 'vma_count'; value: number; at: string }
  | { p: 'vmstat'; name: string; delta: number; since: string | null; at: string }
  /** a hugetlb line of /proc/meminfo (HugePages_Total, _Free, _Rsvd, _Surp) */
  | { p: 'meminfo'; name: MeminfoName; value: number; at: string }
  | { p: 'msg'; var: string; flags?: number; address?: Expr; event?: number }
  | { p: 'same_data'; a: string; b: string }
  /** every copy read into each buffer equals what its source range held at checkpoint `at` (scenario/copies.ts) */
  | { p: 'data_at'; vars: string[]; at: string }
  | { p: 'klog'; text: string; count?: number }
  /** device: the statuses move_pages(2) wrote, as its result shows them ("0", "-EFAULT", "?"); mincore(2)'s bytes ("1", "0") */
  | { p: 'status'; op: string; value: string[] }
  /** device: folio_ref_count() of the page mapped at addr (model only) */
  | { p: 'refcount'; key: string; addr: Expr; value: number; at: string }
  /** device: the HMM test driver's counters of its device-coherent memory (model only) */
  | { p: 'devmem'; allocated?: number; freed?: number; in_use?: number; at: string }
  | { p: 'event'; type: string; fn?: string; count?: number }
  | { p: 'not'; x: Pred }
  | { p: 'all'; xs: Pred[] }
  | { p: 'any'; xs: Pred[] };

/** a value that may be negative: `-EEXIST` or `-17` is { neg: true, e: 17 } */
export interface Signed {
  neg: boolean;
  e: Expr;
}
/** one PAGEMAP_SCAN region as an expectation names it: start and end expressions, PAGE_IS_ bits */
export interface RegionPred {
  start: Expr;
  end: Expr;
  categories: number;
}

/** the first predicate inside p that reads the trace of the run rather than its state ('klog', 'event'), or null */
export function traceKind(p: Pred): 'klog' | 'event' | null {
  if (p.p === 'klog' || p.p === 'event') return p.p;
  if (p.p === 'not') return traceKind(p.x);
  if (p.p === 'all' || p.p === 'any') {
    for (const x of p.xs) {
      const r = traceKind(x);
      if (r) return r;
    }
  }
  return null;
}

const zExpr = z.union([z.bigint(), zInt, z.string().min(1)]);
/** a byte count or -errno: an expression, a negative integer, or `-ENAME` */
const zSigned = z.union([z.bigint(), z.number().int(), z.string().min(1)]);
const zName = z.string().regex(/^[A-Za-z_]\w*$/);
const pmNames = Object.keys(PM) as [PagemapBitName, ...PagemapBitName[]];
const kpfNames = Object.keys(KPF) as [KpfName, ...KpfName[]];
// SKIPPED: the operation named what a failed operation never produced (docs/scenarios.md)
const errnos = [...Object.keys(ERRNO), 'SKIPPED', 'none'] as unknown as [string, ...string[]];
const zBig = z.union([z.bigint(), z.number().int()]);
/** a checkpoint, or another page at a checkpoint: { at?, process?, addr? } (each defaults to the expectation's own) */
const zPfnRef = z.union([zName, z.object({ at: zName.optional(), process: zName.optional(), addr: zExpr.optional() }).strict()]);
const at = { at: zName.optional() };

/** the raw YAML shapes, keyed by the subject key that identifies each predicate */
export const PRED_SCHEMAS = {
  thread: z.object({
    thread: zName, signal: z.enum(['SIGBUS', 'SIGSEGV', 'SIGKILL', 'none']).optional(),
    minflt: zInt.optional(), majflt: zInt.optional(),
    state: z.enum(['done', 'signal', 'killed', 'blocked', 'livelock', 'idle']).optional(),
  }).strict(),
  op: z.object({
    // an operation's id: its own `id:`, or the default `thread#N` / `setup#N`
    op: z.string().regex(/^[A-Za-z_]\w*(#\d+)?$/, 'an operation id: a name, or thread#N / setup#N'), errno: z.enum(errnos).optional(), result: zExpr.optional(),
    copy: zSigned.optional(), zeropage: zSigned.optional(), move: zSigned.optional(), mapped: zSigned.optional(), updated: zSigned.optional(), walk_end: zExpr.optional(),
    scan: z.enum(SCAN_RESULT_NAMES).optional(),
    // device: move_pages(2)'s status array: node numbers, -ENAME, or '?' (not written)
    status: z.array(z.union([zInt, z.string().regex(/^(-E[A-Z0-9]+|\?)$/, 'a node number, -ENAME or ?')])).min(1).optional(),
    regions: z.array(z.object({ start: zExpr, end: zExpr, categories: z.union([z.array(z.enum(SCAN_CATEGORY_NAMES as unknown as [string, ...string[]])), zInt]) }).strict()).optional(),
  }).strict(),
  mem: z.object({ mem: zExpr, size: zInt.pipe(z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)])).default(1), value: zExpr, ...at }).strict(),
  pagemap: z.object({
    process: zName.optional(), pagemap: zExpr, has: z.array(z.enum(pmNames)).default([]), lacks: z.array(z.enum(pmNames)).default([]), index: zInt.optional(),
    same_pfn_as: zPfnRef.optional(), new_pfn_since: zPfnRef.optional(), ...at,
  }).strict(),
  kpageflags: z.object({ process: zName.optional(), kpageflags: zExpr, has: z.array(z.enum(kpfNames)).default([]), lacks: z.array(z.enum(kpfNames)).default([]), ...at }).strict(),
  pte: z.object({ process: zName.optional(), pte: zExpr, flags: zBig.optional(), mask: zBig.optional(), value: zBig.optional(), none: z.boolean().optional(), ...at }).strict(),
  pmd: z.object({ process: zName.optional(), pmd: zExpr, flags: zBig.optional(), mask: zBig.optional(), value: zBig.optional(), none: z.boolean().optional(), ...at }).strict(),
  smaps: z.object({ smaps: zName, AnonHugePages: zInt.optional(), Rss: zInt.optional(), ...at }).strict(),
  vma_count: z.object({ vma_count: zInt, ...at }).strict(),
  vmstat: z.object({ vmstat: z.string(), delta: zInt, since: zName.optional(), ...at }).strict(),
  meminfo: z.object({ meminfo: z.enum(MEMINFO_NAMES), value: zInt, ...at }).strict(),
  msg: z.object({ msg: zName, flags: zInt.optional(), address: zExpr.optional(), event: z.enum(['pagefault', 'fork', 'remap', 'remove', 'unmap']).optional() }).strict(),
  same_data: z.object({ same_data: z.tuple([zName, zName]) }).strict(),
  data_at: z.object({ data_at: z.union([zName, z.array(zName).min(1)]), at: zName }).strict(),
  klog: z.object({ klog: z.string(), count: zInt.optional() }).strict(),
  // device (model only): a page's folio_ref_count, and the HMM test driver's device memory
  refcount: z.object({ process: zName.optional(), refcount: zExpr, value: zInt, ...at }).strict(),
  devmem: z.object({ devmem: z.enum(['coherent']), allocated: zInt.optional(), freed: zInt.optional(), in_use: zInt.optional(), ...at }).strict(),
  event: z.object({ event: z.string(), fn: z.string().optional(), count: zInt.optional() }).strict(),
} as const;
export type PredKey = keyof typeof PRED_SCHEMAS;
// 'process' qualifies a page expectation; the subject key comes after it
export const PRED_KEYS = (Object.keys(PRED_SCHEMAS) as PredKey[]);
/** the vmstat counters an expectation can name: the model's (mm/vmstat.ts) */
export const VMSTAT_NAMES: readonly string[] = VM_EVENT_NAMES;
export const EVENT_CODES: Record<string, number> = { pagefault: 0x12, fork: 0x13, remap: 0x14, remove: 0x15, unmap: 0x16 };

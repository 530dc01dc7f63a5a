// A run's trace cut into frames, one per `state` event (one per setup operation and scheduler step):
// what the slider steps through. Pure functions over the JSON trace, shared by the page and its tests.
import type { TraceEvent } from '../../../src/trace/events.js';
import { flagsOnly } from './bits.js';

export interface WalkRow {
  level: string;
  index: number;
  table: string;
  entry: string;
  leaf: boolean;
  folded?: boolean;
  /** every entry of this table that is not none (the last table of the walk) */
  entries?: Record<string, string>;
}

export interface FolioInfo {
  head: string; pfn: string; index: number; order: number; flags: string; refcount: number; mapcount: number;
  page_mapcount: number | null; kpageflags: string; zero: boolean;
  /** a large folio's entire (PMD) mapcount and pin count */
  entire_mapcount?: number;
  pincount?: number;
  /** a large folio, per page: _mapcount + 1 (its PTE mappings), and the pages that are PageAnonExclusive */
  subpages?: { mapcount: number[]; anon_exclusive: number[] };
}

export interface PageState {
  key: string;
  process: string;
  addr: string;
  walk: WalkRow[];
  pfn: string | null;
  page: FolioInfo | null;
}

export interface VmaState { process: string; start: string; end: string; label: string; vm_flags: string; names: string; uffd: string | null; page_prot: string }
export interface UffdMsgState { event: string; flags: string; address: string; thread: string }
export interface UffdState {
  name: string; features: string; api: boolean; released: boolean;
  registered: { start: string; end: string; wp: boolean; missing: boolean; minor: boolean }[];
  pending: UffdMsgState[]; waiting: UffdMsgState[];
}
export interface ThreadView { name: string; process: string; state: string; op: string | null; wait?: string; signal?: string; minflt?: number; majflt?: number }

/** a `state` event of the trace (src/sched/states.ts) */
export interface StateEvent {
  seq: number;
  step: number;
  thread: string;
  type: 'state';
  op: string | null;
  op_name: string | null;
  line: number | null;
  pages: PageState[];
  folios: FolioInfo[];
  vmas: VmaState[];
  uffds: UffdState[];
  threads: ThreadView[];
}

export interface Frame {
  index: number;
  /** scheduler step (0: setup) */
  step: number;
  thread: string;
  state: StateEvent;
  /** the events of this step, the state event left out */
  events: TraceEvent[];
  /** the kernel function that acted: the one that wrote a page-table entry last, else the deepest one named */
  acting: string;
  /** every kernel function named by the step's events, in order, once each */
  fns: string[];
  /** kernel log lines of this step */
  klog: string[];
}

const NOT_ACTING = new Set(['syscall', 'access', 'klog', 'dump_stack', 'errno', 'state']);

/**
 * The event types that name a step, most telling first: a page-table entry written, a PMD or folio
 * split, handle_userfault (a fault that sleeps, or dies of SIGBUS there), a fault's handler, a
 * protection change. A step with none of them is named after its last
 * event that is not bookkeeping, else its system call.
 */
export const ACTING_ORDER = [
  'set_pte', 'set_pmd', 'split_huge_pmd', 'split_huge_page', 'collapse', 'zap_huge_pmd', 'handle_userfault', 'signal', 'wp_page_copy', 'do_wp_page',
  'do_huge_pmd_wp_page', 'wp_huge_pmd', 'do_anonymous_page', 'do_huge_pmd_anonymous_page', 'change_protection', 'mwriteprotect_range',
  'uffdio_copy', 'uffdio_zeropage', 'madvise_free',
];

/** the function a frame is named after */
export function actingFunction(events: TraceEvent[]): string {
  for (const t of ACTING_ORDER) {
    const e = events.find((x) => x.type === t);
    if (e) return e.fn;
  }
  for (let i = events.length - 1; i >= 0; i--) if (!NOT_ACTING.has(events[i]!.type)) return events[i]!.fn;
  const sys = events.find((e) => e.type === 'syscall');
  return sys ? String(sys.fn) : events[0]?.fn ?? '-';
}

export function toFrames(events: TraceEvent[]): Frame[] {
  const frames: Frame[] = [];
  let cur: TraceEvent[] = [];
  for (const e of events) {
    if (e.type !== 'state') {
      cur.push(e);
      continue;
    }
    const fns: string[] = [];
    for (const x of cur) if (x.type !== 'access' && !fns.includes(x.fn)) fns.push(x.fn);
    frames.push({
      index: frames.length, step: e.step, thread: e.thread, state: e as unknown as StateEvent, events: cur, acting: actingFunction(cur), fns,
      klog: cur.flatMap((x) => (x.type === 'klog' ? [String(x.text)] : x.type === 'dump_stack' ? ['Call Trace: ' + (x.frames as string[]).join(' <- ')] : [])),
    });
    cur = [];
  }
  return frames;
}

/** what two kernels are compared on at a step: the PTE/PMD flags of each observed address (PFNs differ), the threads, the op */
export function frameSignature(f: Frame | undefined): string {
  if (!f) return '(none)';
  const pages = f.state.pages.map((p) => `${p.key}:${p.walk.map((r) => `${r.level}=${r.leaf ? flagsOnly(r.entry) : BigInt(r.entry) & 1n}`).join(',')}`);
  const threads = f.state.threads.map((t) => `${t.name}:${t.state}:${t.signal ?? ''}:${t.op ?? ''}`);
  return [f.step, f.thread, f.state.op ?? '', ...pages, ...threads].join('|');
}

/** the first frame index where the two runs differ (null: they agree to the end) */
export function firstDivergence(a: Frame[], b: Frame[]): number | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (frameSignature(a[i]) !== frameSignature(b[i])) return i;
  return null;
}

/** the frame that ends setup (where the page opens by default) */
export function setupEnd(frames: Frame[]): number {
  let i = 0;
  while (i + 1 < frames.length && frames[i + 1]!.step === 0) i++;
  return i;
}

/** the kernel log up to and including frame i */
export function klogUpTo(frames: Frame[], i: number): string[] {
  return frames.slice(0, i + 1).flatMap((f) => f.klog);
}

/**
 * the entry a row is compared with: the same level at the previous step; for a PTE that a PMD split
 * made, the huge PMD it came from (its PFN moved to this page), so the bits the split dropped show
 */
export function previousEntry(page: PageState, prev: PageState | undefined, r: WalkRow): { entry: string; from?: string } | undefined {
  const same = prev?.walk.find((x) => x.level === r.level);
  if (same) return same;
  const pmd = prev?.walk.find((x) => x.level === 'pmd' && x.leaf);
  if (r.level !== 'pte' || !pmd || (BigInt(pmd.entry) & 1n) === 0n) return undefined;
  const offset = BigInt((Number(BigInt(page.addr) >> 12n)) & 511) << 12n;
  const v = (BigInt(pmd.entry) & ~0x000ffffffffff000n) | ((BigInt(pmd.entry) & 0x000ffffffffff000n) + offset);
  return { entry: '0x' + v.toString(16).padStart(16, '0'), from: 'the huge PMD it was split from' };
}


// The pages of a large folio one by one, as the kernel keeps them per struct page: the head holds the
// folio's flags and refcount; a tail holds a refcount of 0, its own _mapcount (-1: no PTE maps it) and
// its own PG_anon_exclusive, nothing else the model keeps (src/sched/states.ts sends `subpages`).
import { PG_anon_exclusive, PG_NAMES } from '../../../src/kernel/mm/folio.js';
import type { FolioInfo } from './frames.js';

export interface FolioPage {
  /** index in the folio (0: the head) */
  i: number;
  pfn: string;
  /** page->flags as the model keeps them for this page (PG_head not included: `i === 0` says it) */
  flags: number;
  /** page_ref_count(page): the folio's count on the head, 0 on a tail */
  refcount: number;
  /** page->_mapcount as stored: -1 when no PTE maps the page */
  mapcount: number;
  /** page_mapcount(page): the page's PTE mappings plus the folio's entire (PMD) mappings */
  pageMapcount: number;
  exclusive: boolean;
}

/** one page of a folio (null: the folio has no per-page state in the trace, i.e. it is order 0) */
export function folioPage(f: FolioInfo, i: number): FolioPage | null {
  if (!f.subpages || f.order === 0) return null;
  const exclusive = f.subpages.anon_exclusive.includes(i);
  const sub = f.subpages.mapcount[i] ?? 0;
  const head = Number(BigInt(f.head));
  const base = i === 0 ? Number(BigInt(f.flags)) & ~PG_anon_exclusive : 0;
  return {
    i, pfn: '0x' + (head + i).toString(16), flags: (base | (exclusive ? PG_anon_exclusive : 0)) >>> 0,
    refcount: i === 0 ? f.refcount : 0, mapcount: sub - 1, pageMapcount: sub + (f.entire_mapcount ?? 0), exclusive,
  };
}

/** the names of page flags: "uptodate|dirty|anon" ('-' for none) */
export function pageFlagNames(flags: number): string {
  const n = PG_NAMES.filter(([b]) => (flags & b) !== 0).map(([, name]) => name);
  return n.length ? n.join('|') : '-';
}

/** the fields of page i that differ from the previous step's folio (empty when there is none) */
export function changedPageFields(f: FolioInfo, prev: FolioInfo | undefined, i: number): Set<string> {
  const out = new Set<string>();
  if (!prev) return out;
  const a = folioPage(prev, i), b = folioPage(f, i);
  if (!a || !b) return out;
  for (const k of ['flags', 'refcount', 'mapcount', 'pageMapcount'] as const) if (a[k] !== b[k]) out.add(k);
  return out;
}

/** the pages of f that changed since the previous step */
export function changedPages(f: FolioInfo, prev: FolioInfo | undefined): number[] {
  const out: number[] = [];
  if (!prev || !f.subpages) return out;
  for (let i = 0, n = 1 << f.order; i < n; i++) if (changedPageFields(f, prev, i).size) out.push(i);
  return out;
}

/**
 * The pages listed when folded: the head, the pages at observed addresses and their neighbours, and the
 * first two and the last of the pages that changed since the previous step (a split changes all 512);
 * every page when `all`.
 */
export function folioPageRows(f: FolioInfo, prev: FolioInfo | undefined, observed: number[], all: boolean): number[] {
  const n = 1 << f.order;
  if (all) return Array.from({ length: n }, (_, i) => i);
  const keep = new Set<number>([0]);
  for (const o of observed) for (const d of [-1, 0, 1]) if (o + d >= 0 && o + d < n) keep.add(o + d);
  const ch = changedPages(f, prev);
  for (const i of [...ch.slice(0, 2), ...ch.slice(-1)]) keep.add(i);
  return [...keep].sort((a, b) => a - b);
}

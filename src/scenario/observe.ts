// What a run can be compared on: per-address pagemap / kpageflags (and, in the model, the raw PMD and
// PTE), smaps counters per mapping, the VMA count and vmstat deltas, at each checkpoint and at the end.
// PFNs are replaced by the page's index inside its folio, so runs (and the real kernel) compare.
import { evalExpr, EvalError } from './expr.js';
import { hugetlb_meminfo } from '../kernel/mm/hugetlb.js';
import { varsEnv, type VarValue } from './values.js';
import type { CompiledScenario } from './load.js';
import type { MmStruct } from '../kernel/include/mm_types.js';
import { pagemap_entry, smaps_counters } from '../kernel/fs/proc/task_mmu.js';
import { stable_page_flags } from '../kernel/fs/proc/page.js';
import { Pte } from '../kernel/arch/x86/include/pte.js';
import { follow_pfn } from '../kernel/mm/memory.js';
import { PAGE_SIZE } from '../kernel/arch/x86/include/pgtable_types.js';
import type { Kernel, VmStat } from '../kernel/kernel.js';
import { HPAGE_PMD_SIZE } from '../kernel/arch/x86/include/pgtable_types.js';
import { MemoryImage } from './copies.js';
import type { PageContent } from '../state/content.js';
import { mm_find_pmd } from '../kernel/mm/rmap.js';
import { pteSlot, pte_offset_map } from '../kernel/mm/pagewalk.js';

export interface PageObs {
  /** the address this key evaluated to (model address; differs on the real kernel) */
  addr: string;
  /** the pagemap entry, with the PFN field replaced by the page's index inside its folio */
  pagemap: string;
  /** /proc/kpageflags of the mapped page, or null when nothing is mapped */
  kpageflags: string | null;
  /** model only: the raw PMD and PTE (0x0 when absent) */
  pmd?: string;
  pte?: string | null;
  /** model only: the pfn */
  pfn?: number | null;
  /** model only (device): folio_ref_count() of the mapped page, null when nothing is mapped */
  refcount?: number | null;
  /**
   * the PFN's identity within the run: pages that show the same number (at any checkpoint, in any process)
   * are the same physical page; null when nothing is mapped. The numbers are handed out in order of
   * first appearance (numberPfns), so PFNs themselves never have to be compared.
   */
  pfn_id?: number | null;
}

export interface Snapshot {
  pages: Record<string, PageObs>;
  smaps: Record<string, { AnonHugePages: number; Rss: number }>;
  vma_count: number;
  vmstat: Record<string, number>;
  /** the hugetlb pool's lines of /proc/meminfo (HugePages_Total, _Free, _Rsvd, _Surp) */
  meminfo?: Record<string, number>;
  /** model only (device): the HMM test driver's counters of its device-coherent memory */
  devmem?: { allocated: number; freed: number; in_use: number };
  /** contents digest of each observed page (for data_at) */
  data: Record<string, string>;
  /** memory values read at the snapshot (little-endian, hex), or null when not mapped */
  mem: Record<string, string | null>;
  /**
   * model only, at checkpoints a data_at predicate names: the written bytes of every page mapped in
   * the main process, by page address (hex) -> "offset:hexbytes,..." (scenario/copies.ts)
   */
  memory?: MemoryImage;
}

const PM_PFN_MASK = (1n << 55n) - 1n;
const PM_PRESENT = 1n << 63n;

/**
 * snapshots (in the order they were taken) with pfn_id set on every page, from the raw PFN `pfnOf` gives (the
 * model's or the kernel's; null when nothing is mapped): 1 for the first PFN seen, 2 for the next new one...
 */
export function numberPfns(snapshots: Record<string, Snapshot>, pfnOf: (snap: string, key: string, p: PageObs) => string | number | null | undefined): Record<string, Snapshot> {
  const ids = new Map<string, number>();
  const out: Record<string, Snapshot> = {};
  for (const [name, s] of Object.entries(snapshots)) {
    const pages: Record<string, PageObs> = {};
    for (const [key, p] of Object.entries(s.pages)) {
      const raw = pfnOf(name, key, p);
      let id: number | null = null;
      if (raw !== null && raw !== undefined) {
        const k = String(raw);
        id = ids.get(k) ?? ids.size + 1;
        ids.set(k, id);
      }
      pages[key] = { ...p, pfn_id: id };
    }
    out[name] = { ...s, pages };
  }
  return out;
}

/** what a snapshot reads of a running machine (sched/machine.ts's Machine is one) */
export interface ObservedMachine {
  readonly k: Kernel;
  readonly sc: CompiledScenario;
  readonly procs: ReadonlyMap<string, { readonly mm: MmStruct }>;
  readonly vars: ReadonlyMap<string, VarValue>;
  mainMm(): MmStruct;
}

/**
 * The scenario's observed pages (`observe: pages`) of processes that exist and have not exited, with their addresses in
 * this state; a page whose address names a variable not set yet is left out
 */
export function observedPages(m: Pick<ObservedMachine, 'sc' | 'procs'>, env: ReturnType<typeof varsEnv>): { key: string; process: string; mm: MmStruct; addr: number }[] {
  const out: { key: string; process: string; mm: MmStruct; addr: number }[] = [];
  for (const { key, expr, process } of m.sc.pages) {
    const proc = m.procs.get(process);
    // (a process that exited has no pages: its pagemap cannot be read, on the host either)
    if (!proc || proc.mm.users === 0) continue;
    try {
      out.push({ key, process, mm: proc.mm, addr: Number(evalExpr(expr, env)) });
    } catch (e) {
      if (e instanceof EvalError) continue;
      throw e;
    }
  }
  return out;
}

export function takeSnapshot(m: ObservedMachine): Snapshot {
  const k = m.k;
  const env = varsEnv(m.vars);
  const pages: Record<string, PageObs> = {};
  const data: Record<string, string> = {};
  for (const { key, mm, addr } of observedPages(m, env)) {
    const pm = pagemap_entry(k, mm, addr);
    let entry = pm;
    let kpf: string | null = null;
    let pfn: number | null = null;
    if (pm & PM_PRESENT) {
      pfn = Number(pm & PM_PFN_MASK);
      const slot = k.folios.slotOf(pfn);
      const index = slot >= 0 ? pfn - k.folios.pfn(slot) : 0;
      entry = (pm & ~PM_PFN_MASK) | BigInt(index);
      kpf = '0x' + stable_page_flags(k, pfn).toString(16);
      data[key] = k.data.digest(pfn);
    } else data[key] = '0';
    const pmdE = mm_find_pmd(k, mm, addr);
    const pmd = pmdE ? pmdE.t.get(pmdE.i, new Pte()) : new Pte();
    const pteE = pteSlot(k, mm, addr);
    pages[key] = {
      addr: '0x' + addr.toString(16),
      pagemap: '0x' + entry.toString(16).padStart(16, '0'),
      kpageflags: kpf,
      pmd: pmd.toString(),
      pte: pteE ? pteE.t.get(pteE.i, new Pte()).toString() : null,
      pfn,
      refcount: pfn === null || k.folios.slotOf(pfn) < 0 ? null : k.folios.refcount(k.folios.slotOf(pfn)),
    };
  }
  const mm = m.mainMm();
  const smaps: Snapshot['smaps'] = {};
  const ranges: [number, number][] = [];
  for (const name of m.sc.mappings) {
    const v = m.vars.get(name);
    if (!v || v.kind !== 'mapping') continue;
    const s = Number(v.addr), e = s + Number(v.len);
    ranges.push([s, e]);
    smaps[name] = smaps_counters(k, mm, s, e);
  }
  const vma_count = mm.vmas.filter((v) => ranges.some(([s, e]) => v.vm_start < e && v.vm_end > s)).length;
  const vmstat: Record<string, number> = {};
  for (const [n, val] of Object.entries(k.vmstat.toRecord())) vmstat[n] = val;
  void PAGE_SIZE;
  const mem: Record<string, string | null> = {};
  for (const { key, expr, size } of m.sc.mems) {
    let addr: number;
    try {
      addr = Number(evalExpr(expr, env));
    } catch (e) {
      if (e instanceof EvalError) continue;
      throw e;
    }
    let v = 0n;
    let mapped = true;
    for (let i = size - 1; i >= 0; i--) {
      const pfn = follow_pfn(k, mm, addr + i);
      if (pfn < 0) { mapped = false; break; }
      v = (v << 8n) | BigInt(k.data.readByte(pfn, (addr + i) % PAGE_SIZE));
    }
    mem[key] = mapped ? '0x' + v.toString(16) : null;
  }
  // (only once the driver handed out a page: a run without device memory shows none)
  const devmem = k.devmem.calloc > 0 ? { devmem: { allocated: k.devmem.calloc, freed: k.devmem.cfree, in_use: k.devmem.inUse } } : {};
  return { pages, smaps, vma_count, vmstat, data, mem, meminfo: hugetlb_meminfo(k), ...devmem };
}

/** the memory image for data_at: every mapped page of the main process that holds written bytes */
export function takeMemoryImage(m: ObservedMachine): MemoryImage {
  const k = m.k;
  const mm = m.mainMm();
  const g = k.pgt;
  const out = new Map<number, PageContent>();
  const e = new Pte();
  for (const v of mm.vmas) {
    for (let a = v.vm_start; a < v.vm_end;) {
      const next = Math.min(v.vm_end, Math.floor(a / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE + HPAGE_PMD_SIZE);
      const pmd = mm_find_pmd(k, mm, a);
      if (pmd) {
        pmd.t.get(pmd.i, e);
        const huge = g.pmd_trans_huge(e) && (e.lo & 1) !== 0;
        const t = huge ? null : pte_offset_map(k, mm, pmd);
        for (let p = a; p < next && (huge || t); p += PAGE_SIZE) {
          let pfn = -1;
          if (huge) pfn = g.pmd_pfn(e) + (Math.floor(p / PAGE_SIZE) & 511);
          else if (t) {
            const pte = t.get(Math.floor(p / PAGE_SIZE) & 511, new Pte());
            if (pte.lo & 1) pfn = g.pte_pfn(pte);
          }
          const c = pfn >= 0 ? k.data.content(pfn) : null;
          if (c !== null) out.set(p, c);
        }
      }
      a = next;
    }
  }
  return new MemoryImage(out);
}

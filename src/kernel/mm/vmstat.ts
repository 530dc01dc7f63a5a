// /proc/vmstat: the event counters the model maintains (mm/vmstat.c vmstat_text, include/linux/vm_event_item.h @v6.18),
// as cells of a counter segment of the kernel's Store: statistics, outside the control fingerprint.
import type { Segment, SegmentSpec } from '../../state/store.js';

export const VMSTAT_SEGMENTS: readonly SegmentSpec[] = [{ name: 'vmstat', counter: true }];

/** the counters, in /proc/vmstat's names */
export const VM_EVENT_NAMES = ['pgfault', 'pgmajfault', 'thp_fault_alloc', 'thp_fault_fallback', 'thp_split_pmd', 'thp_split_page', 'thp_zero_page_alloc', 'thp_collapse_alloc', 'thp_deferred_split_page'] as const;
export type VmEventName = (typeof VM_EVENT_NAMES)[number];

/** count_vm_event(): `k.vmstat.thp_split_pmd++` reads and writes one counter cell */
export class VmStat {
  constructor(private readonly C: Segment) {}
  get pgfault(): number { return this.C.get(0); }
  set pgfault(v: number) { this.C.set(0, v); }
  get pgmajfault(): number { return this.C.get(1); }
  set pgmajfault(v: number) { this.C.set(1, v); }
  get thp_fault_alloc(): number { return this.C.get(2); }
  set thp_fault_alloc(v: number) { this.C.set(2, v); }
  get thp_fault_fallback(): number { return this.C.get(3); }
  set thp_fault_fallback(v: number) { this.C.set(3, v); }
  get thp_split_pmd(): number { return this.C.get(4); }
  set thp_split_pmd(v: number) { this.C.set(4, v); }
  get thp_split_page(): number { return this.C.get(5); }
  set thp_split_page(v: number) { this.C.set(5, v); }
  get thp_zero_page_alloc(): number { return this.C.get(6); }
  set thp_zero_page_alloc(v: number) { this.C.set(6, v); }
  get thp_collapse_alloc(): number { return this.C.get(7); }
  set thp_collapse_alloc(v: number) { this.C.set(7, v); }
  get thp_deferred_split_page(): number { return this.C.get(8); }
  set thp_deferred_split_page(v: number) { this.C.set(8, v); }

  /** every counter by name (an observation) */
  toRecord(): Record<VmEventName, number> {
    const out = {} as Record<VmEventName, number>;
    VM_EVENT_NAMES.forEach((n, i) => (out[n] = this.C.get(i)));
    return out;
  }
}

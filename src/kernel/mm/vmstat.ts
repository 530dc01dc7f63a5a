// /proc/vmstat: the event counters the model maintains (mm/vmstat.c vmstat_text, include/linux/vm_event_item.h @v6.18),
// as cells of a counter segment of the kernel's Store: statistics, outside the control fingerprint.
import type { Segment, SegmentSpec } from '../../state/store.js';

export const VMSTAT_SEGMENTS: readonly SegmentSpec[] = [{ name: 'vmstat', counter: true, flat: true }];

/** the counters, in /proc/vmstat's names */
export const VM_EVENT_NAMES = ['pgfault', 'pgmajfault', 'thp_fault_alloc', 'thp_fault_fallback', 'thp_split_pmd', 'thp_split_page', 'thp_zero_page_alloc', 'thp_collapse_alloc', 'thp_deferred_split_page',
  'pswpin', 'pswpout', 'swpin_zero', 'swpout_zero', 'thp_swpout_fallback'] as const;
export type VmEventName = (typeof VM_EVENT_NAMES)[number];
/** enum vm_event_item (include/linux/vm_event_item.h): the index of a counter in VM_EVENT_NAMES */
export const PGFAULT = 0, PGMAJFAULT = 1;

/**
 * count_vm_event(): `k.vmstat.thp_split_pmd++` adds one to a counter cell (Segment.add: statistics are
 * never decided on, so the old count is not a read of the step)
 */
export class VmStat {
  constructor(private readonly C: Segment) {}
  get pgfault(): number { return this.C.peek(0); }
  set pgfault(v: number) { this.C.add(0, v - this.C.peek(0)); }
  get pgmajfault(): number { return this.C.peek(1); }
  set pgmajfault(v: number) { this.C.add(1, v - this.C.peek(1)); }
  get thp_fault_alloc(): number { return this.C.peek(2); }
  set thp_fault_alloc(v: number) { this.C.add(2, v - this.C.peek(2)); }
  get thp_fault_fallback(): number { return this.C.peek(3); }
  set thp_fault_fallback(v: number) { this.C.add(3, v - this.C.peek(3)); }
  get thp_split_pmd(): number { return this.C.peek(4); }
  set thp_split_pmd(v: number) { this.C.add(4, v - this.C.peek(4)); }
  get thp_split_page(): number { return this.C.peek(5); }
  set thp_split_page(v: number) { this.C.add(5, v - this.C.peek(5)); }
  get thp_zero_page_alloc(): number { return this.C.peek(6); }
  set thp_zero_page_alloc(v: number) { this.C.add(6, v - this.C.peek(6)); }
  get thp_collapse_alloc(): number { return this.C.peek(7); }
  set thp_collapse_alloc(v: number) { this.C.add(7, v - this.C.peek(7)); }
  get thp_deferred_split_page(): number { return this.C.peek(8); }
  set thp_deferred_split_page(v: number) { this.C.add(8, v - this.C.peek(8)); }
  get pswpin(): number { return this.C.peek(9); }
  set pswpin(v: number) { this.C.add(9, v - this.C.peek(9)); }
  get pswpout(): number { return this.C.peek(10); }
  set pswpout(v: number) { this.C.add(10, v - this.C.peek(10)); }
  get swpin_zero(): number { return this.C.peek(11); }
  set swpin_zero(v: number) { this.C.add(11, v - this.C.peek(11)); }
  get swpout_zero(): number { return this.C.peek(12); }
  set swpout_zero(v: number) { this.C.add(12, v - this.C.peek(12)); }
  get thp_swpout_fallback(): number { return this.C.peek(13); }
  set thp_swpout_fallback(v: number) { this.C.add(13, v - this.C.peek(13)); }

  /** include/linux/vmstat.h count_vm_event() @v6.18: counter `item` (PGFAULT...) goes up by one */
  count(item: number): void { this.C.add(item, 1); }

  /** every counter by name (an observation) */
  toRecord(): Record<VmEventName, number> {
    const out = {} as Record<VmEventName, number>;
    VM_EVENT_NAMES.forEach((n, i) => (out[n] = this.C.get(i)));
    return out;
  }
}

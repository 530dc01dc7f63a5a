// The trace: one stream of structured events, emitted where the kernel has a tracepoint, a printk or a
// decision worth seeing. Formatters (text, json, klog) render the same stream.

export const TRACE_SCHEMA_VERSION = 1;

/** A value a formatter may print: numbers, strings, booleans, or 64-bit entries as 0x-hex strings. */
export type TraceValue = string | number | boolean | null | TraceValue[] | { [k: string]: TraceValue };

export interface TraceEvent {
  /** position in the stream */
  seq: number;
  /** scheduler step the event belongs to (0 = setup) */
  step: number;
  /** scenario thread name, or 'setup' */
  thread: string;
  /** event type, e.g. 'fault', 'handle_userfault', 'split_huge_pmd', 'klog' */
  type: string;
  /** the kernel function that emitted it */
  fn: string;
  [field: string]: TraceValue;
}

export class Tracer {
  readonly events: TraceEvent[] = [];
  thread = 'setup';
  step = 0;
  /** Set to false to count events without keeping them (the explorer). */
  keep = true;
  count = 0;

  emit(type: string, fn: string, fields: Record<string, TraceValue> = {}): void {
    this.count++;
    if (!this.keep) return;
    this.events.push({ seq: this.events.length, step: this.step, thread: this.thread, type, fn, ...fields });
  }
}

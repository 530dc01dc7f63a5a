// The trace: one stream of structured events, emitted where the kernel has a tracepoint, a printk or a
// decision worth seeing. Formatters (text, json, klog) render the same stream.

/**
 * The version of `run --format json`'s schema: in the header line of every output (`"version"`) and in
 * the schema's `$id` (`trace-v2.schema.json`). It goes up by one whenever traceSchema() changes (an event
 * type, a field, a required property); test/trace-schema.test.ts keeps a digest of the schema of each
 * version and fails when the schema changes under the same version. Version 2 added the `state` event
 * (run --format json --states, src/sched/states.ts); version 3 the swap events; version 4 the uffd lifecycle's events; version 5 uffdio_move;
 * version 6 the migration events; version 7 mremap; version 8 shmem, memfd and the page cache; version 9 hugetlb; version 10 uffdio_continue; version 11 uffdio_poison; version 12 a process's exit (exit, exit_mmap).
 */
export const TRACE_SCHEMA_VERSION = 12;

/**
 * Every event type the model emits (test/trace-schema.test.ts checks this list against the emit calls
 * of src/, and the JSON Schema of `--format json`, `mmsim schema trace`, enumerates it).
 */
export const EVENT_TYPES = [
  'access', 'change_protection', 'clear_refs', 'collapse', 'do_anonymous_page', 'do_huge_pmd_anonymous_page',
  'do_huge_pmd_wp_page', 'do_wp_page', 'dump_stack', 'errno', 'fault_done', 'fault_resume', 'fault_retry',
  'fault_return', 'fork', 'handle_mm_fault', 'handle_userfault', 'klog', 'livelock', 'madvise', 'madvise_free',
  'mmap', 'mprotect', 'munmap', 'mwriteprotect_range', 'page_fault', 'pagemap_scan', 'set_pmd', 'set_pte', 'setuid',
  'signal', 'skipped', 'state', 'split_huge_page', 'split_huge_pmd', 'syscall', 'uffd_close', 'uffd_event', 'uffd_event_wait',
  'uffd_poll', 'uffd_read', 'uffd_read_wait', 'uffd_release', 'uffd_wake', 'uffdio_api', 'uffdio_copy', 'uffdio_register', 'uffdio_unregister', 'uffdio_zeropage', 'userfaultfd',
  'vma_merge', 'wp_huge_pmd', 'wp_page_copy', 'zap_huge_pmd',
  // swap (v3)
  'swapon', 'swapoff', 'do_swap_page', 'shrink_folio_list', 'try_to_unmap_one',
  // UFFDIO_MOVE (v5)
  'uffdio_move',
  // migration (v6)
  'migrate', 'migration_entry_wait',
  // mremap (v7)
  'mremap',
  // shmem, memfd and the page cache (v8)
  'memfd_create', 'shmem_evict_inode', 'shmem_alloc_folio', 'shmem_setattr', 'shmem_fallocate', 'shmem_write',
  'do_read_fault', 'do_cow_fault', 'do_shared_fault',
  // hugetlb (v9)
  'alloc_hugetlb_folio', 'hugetlb_no_page', 'hugetlb_wp',
  // UFFDIO_CONTINUE (v10)
  'uffdio_continue',
  // UFFDIO_POISON (v11)
  'uffdio_poison',
  // a process's exit (v12)
  'exit', 'exit_mmap',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A value a formatter may print: numbers, strings, booleans, or 64-bit entries as 0x-hex strings. */
export type TraceValue = string | number | boolean | null | TraceValue[] | { [k: string]: TraceValue };

export interface TraceEvent {
  /** position in the stream */
  seq: number;
  /** scheduler step the event belongs to (0 = setup) */
  step: number;
  /** scenario thread name, or 'setup' */
  thread: string;
  /** event type, e.g. 'handle_userfault', 'split_huge_pmd', 'klog' (EVENT_TYPES) */
  type: EventType;
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

  emit(type: EventType, fn: string, fields: Record<string, TraceValue> = {}): void {
    this.count++;
    if (!this.keep) return;
    this.events.push({ seq: this.events.length, step: this.step, thread: this.thread, type, fn, ...fields });
  }
}

/**
 * The JSON Schema of `mmsim run --format json`: JSON lines, a header (schema mmsim-trace, version), one
 * line per event (seq, step, thread, type, fn, then the event's own fields), and the outcome last.
 * Validate a line against `#/$defs/header`, `#/$defs/event` or `#/$defs/outcome` by its `type`.
 */
export function traceSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://mmsim.invalid/schema/trace-v${TRACE_SCHEMA_VERSION}.schema.json`,
    title: `mmsim trace (mmsim run --format json), version ${TRACE_SCHEMA_VERSION}, one JSON document per line`,
    oneOf: [{ $ref: '#/$defs/header' }, { $ref: '#/$defs/event' }, { $ref: '#/$defs/outcome' }],
    $defs: {
      header: {
        type: 'object',
        properties: {
          type: { const: 'header' }, schema: { const: 'mmsim-trace' }, version: { const: TRACE_SCHEMA_VERSION },
          scenario: { type: 'string' }, file: { type: 'string' }, kernel: { type: 'string' }, release: { type: 'string' },
        },
        required: ['type', 'schema', 'version', 'scenario', 'kernel', 'release'],
      },
      event: {
        type: 'object',
        properties: {
          seq: { type: 'integer', minimum: 0 }, step: { type: 'integer', minimum: 0 }, thread: { type: 'string' },
          type: { enum: [...EVENT_TYPES] }, fn: { type: 'string' },
        },
        required: ['seq', 'step', 'thread', 'type', 'fn'],
        additionalProperties: { $ref: '#/$defs/value' },
      },
      outcome: {
        type: 'object',
        properties: {
          type: { const: 'outcome' }, ok: { type: 'boolean' },
          observation: { type: 'object', required: ['scenario', 'kernel', 'threads', 'ops', 'snapshots'] },
          expectations: { type: 'array', items: { type: 'object', required: ['line', 'text', 'ok', 'detail'] } },
          conditions: { type: 'array' },
        },
        required: ['type', 'ok', 'observation', 'expectations'],
      },
      value: {
        anyOf: [
          { type: ['string', 'number', 'boolean', 'null'] },
          { type: 'array', items: { $ref: '#/$defs/value' } },
          { type: 'object', additionalProperties: { $ref: '#/$defs/value' } },
        ],
      },
    },
  };
}

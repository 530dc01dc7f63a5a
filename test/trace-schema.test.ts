// The trace: every event type the model emits is one of EVENT_TYPES (the emit calls are typed; this also
// reads the sources), and every line `mmsim run --format json` prints validates against the published
// JSON Schema (schema/trace.schema.json, kept current).
import { scenarioFiles } from './helpers.js';
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { createHash } from 'node:crypto';
import { EVENT_TYPES, TRACE_SCHEMA_VERSION, traceSchema } from '../src/trace/events.js';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { formatJson } from '../src/trace/format.js';

function files(d: string, ext: string): string[] {
  return readdirSync(d).sort().flatMap((e) => {
    const p = join(d, e);
    return statSync(p).isDirectory() ? files(p, ext) : e.endsWith(ext) ? [p] : [];
  });
}

const schema = traceSchema();

/**
 * The digest of the trace schema of each version (sha256 of its JSON with sorted keys). A change of
 * traceSchema() raises TRACE_SCHEMA_VERSION (src/trace/events.ts) and adds its line here; a version's
 * digest never changes.
 */
const SCHEMA_DIGESTS: Record<number, string> = {
  1: 'fb279d9324040283b0304cc74f3075ac079040bb552b6c61cbf5d15e8d3dfafd',
  // v2: the state event (run --format json --states; the page of mmsim serve)
  2: '9ba1c474b28da681dcf823faf59c792b7b50bf85c80ed1239214846c87dc7ece',
  // v3: the swap events (swapon, swapoff, do_swap_page, shrink_folio_list, try_to_unmap_one)
  3: '17987d904ca1600fa8d17d69e61be6065d195a5e61523360651a7cb412ebad19',
  // v4: the uffd lifecycle's events (uffd_close, uffd_release, uffd_event, uffd_event_wait), with v3's swap events
  4: '29a093e26e9de0bb2a4699e63c21aa09fcda3f98829b429ec9e7c0ebd7209649',
  // v5: uffdio_move (UFFDIO_MOVE)
  5: '7f017a223832964e229305b427a318ea70485958c5b85c37c7d81b3f22655bb6',
  // v6: the migration events (migrate, migration_entry_wait)
  6: 'ee4201edce1d3559df7289c27c644d93a3b22165bb98aa52670c86019de1930d',
  // v7: mremap (move_vma, move_ptes, move_normal_pmd, vma_merge_extend)
  7: '8f4b800b8bb7dd4fe55891983a2a371ee6789fa6ad272bd9dca6db00b5fbbdf1',
  // v8: shmem, memfd and the page cache (memfd_create, shmem_*, do_read_fault, do_cow_fault, do_shared_fault)
  8: '79420209c17858e60abc025c5c768d25752d5b416a37ffc02801142d43f944b0',
  // v9: hugetlb (alloc_hugetlb_folio, hugetlb_no_page, hugetlb_wp)
  9: 'c82678f642cfa9decc4f8e185e6d670f6caafca86973eef95afca1639eb81216',
  // v10: uffdio_continue (UFFDIO_CONTINUE)
  10: '0b6f8fef3dde032c654bd5e65420034b2d16481b1ed5e5f4a37a67834d149a32',
  // v11: uffdio_poison (UFFDIO_POISON)
  11: '7d6cba285a14d54bbc8dbd4a5e0ade60333800035b5c71d55722a3352d921443',
  // v12: a process's exit (exit, exit_mmap)
  12: 'b0fbe2704588060e776e4ce7896ce542ac6748e4d64575f0ef8e61f292c1825d',
};

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

describe('the trace and its JSON Schema', () => {
  it('schema/trace.schema.json is the schema mmsim builds (npm run schema writes it)', () => {
    expect(JSON.parse(readFileSync('schema/trace.schema.json', 'utf8'))).toEqual(schema);
  });

  it(`is versioned: version ${TRACE_SCHEMA_VERSION} in its $id and in the header line, and a changed schema has a new version`, () => {
    expect(schema.$id).toMatch(new RegExp(`/trace-v${TRACE_SCHEMA_VERSION}\\.schema\\.json$`));
    const header = JSON.parse(formatJson([], { scenario: 's', kernel: 'k', release: 'r' }, {})[0]!);
    expect(header).toMatchObject({ type: 'header', schema: 'mmsim-trace', version: TRACE_SCHEMA_VERSION });
    expect(validate(header)).toBe(true);
    const digest = createHash('sha256').update(canonical(schema)).digest('hex');
    expect(digest, `the trace schema changed under version ${TRACE_SCHEMA_VERSION}: raise TRACE_SCHEMA_VERSION and record the new digest in SCHEMA_DIGESTS`).toBe(SCHEMA_DIGESTS[TRACE_SCHEMA_VERSION]);
  });

  it('EVENT_TYPES is exactly the set of types the sources emit', () => {
    const used = new Set<string>();
    for (const f of files('src', '.ts')) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\b(?:tr\??\.emit|k\.trace|this\.trace)\('([a-z_]+)'/g)) used.add(m[1]!);
    }
    expect([...used].sort()).toEqual([...EVENT_TYPES].sort());
  });

  const scenarios = scenarioFiles();
  for (const f of scenarios) {
    it(`--format json of ${f} validates`, () => {
      const sc = loadScenario(f);
      if (!sc.kernel) return;
      const r = runScenario(sc, resolveKernel(sc.kernel, [], sc.config), { trace: true });
      const lines = formatJson(r.events, { scenario: sc.name, file: sc.file, kernel: r.spec.name, release: r.spec.release },
        { ok: r.ok, observation: r.observation, expectations: r.expectations, conditions: r.conditions });
      const bad: string[] = [];
      for (const l of lines) {
        if (!validate(JSON.parse(l))) bad.push(`${l.slice(0, 120)}: ${ajv.errorsText(validate.errors)}`);
        if (bad.length > 3) break;
      }
      expect(bad).toEqual([]);
    });
  }

  it('refuses a line of another shape', () => {
    expect(validate({ seq: 0, step: 0, thread: 't', type: 'no_such_event', fn: 'x' })).toBe(false);
    expect(validate({ type: 'header', schema: 'mmsim-trace', version: 99, scenario: 's', kernel: 'k', release: 'r' })).toBe(false);
  });
});

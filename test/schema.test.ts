// The JSON Schema of scenario files: built from the loader's own definitions, published in
// schema/scenario.schema.json (kept current), and every scenario of the project validates against it.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { scenarioFiles } from './helpers.js';
import { parse } from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import { scenarioSchema } from '../src/scenario/schema.js';

const schema = scenarioSchema();
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

describe('the scenario JSON Schema', () => {
  it('schema/scenario.schema.json is the schema mmsim builds (npm run schema writes it)', () => {
    expect(JSON.parse(readFileSync('schema/scenario.schema.json', 'utf8'))).toEqual(schema);
  });

  for (const f of scenarioFiles('scenarios')) {
    it(`${f} validates`, () => {
      const ok = validate(parse(readFileSync(f, 'utf8')));
      expect(ok ? [] : validate.errors!.slice(0, 5).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)).toEqual([]);
    });
  }

  it('refuses what the loader refuses: an unknown operation, a misspelt field, a bad enum value', () => {
    const base = { name: 't', kernel: 'v6.18', setup: [{ mmap: { as: 'm', len: '4K' } }] };
    expect(validate(base)).toBe(true);
    expect(validate({ ...base, setup: [{ mremapp: { addr: 'm' } }] })).toBe(false);
    expect(validate({ ...base, setup: [{ mmap: { as: 'm', lenght: '4K' } }] })).toBe(false);
    expect(validate({ ...base, setup: [{ madvise: { addr: 'm', len: '4K', advice: 'hugepages' } }] })).toBe(false);
    expect(validate({ ...base, kernel: 'v9.9' })).toBe(false);
    expect(validate({ ...base, config: { zero_pages: 'n' } })).toBe(false);
    expect(validate({ ...base, expect: [{ pagemap: 'm', has: ['presnt'] }] })).toBe(false);
    expect(validate({ ...base, expect: [{ when: { kernel: 'v6.18' }, that: [{ vma_count: 1 }] }] })).toBe(true);
  });
});

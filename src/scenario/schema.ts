// The JSON Schema of scenario files, built from the same definitions the loader validates with (the zod
// schemas of operations and expectations, the config keys, the profiles and patch ids), so that the two
// cannot drift. `mmsim schema scenario` prints it; schema/scenario.schema.json is the published copy
// (test/schema.test.ts checks it is current and that every scenario of the project validates). Editors
// with the YAML language server complete and check a scenario that starts with
//   # yaml-language-server: $schema=../schema/scenario.schema.json
// The schema checks the shape; the loader also checks what a schema cannot say (names defined before use,
// checkpoints that exist, expressions, processes), so a file can pass the schema and still be refused.
import { z, type ZodType } from 'zod';
import { OP_SCHEMAS, OP_HELP } from './ops.js';
import { PRED_SCHEMAS } from './predicates.js';
import { CONFIG_KEYS } from '../profiles/config.js';
import { PROFILES } from '../profiles/profiles.js';
import { PATCH_LIST } from '../profiles/patches.js';

type Json = Record<string, unknown>;

export const SCHEMA_ID = 'https://mmsim.invalid/schema/scenario.schema.json';

/** a zod schema as JSON Schema (input side), integers of any size for YAML's big integers */
function fromZod(s: ZodType<unknown>): Json {
  const j = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete j.$schema;
  return fixBigInts(j) as Json;
}

/** zod's bigint is unrepresentable (an empty schema); a YAML big integer is an integer */
function fixBigInts(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fixBigInts);
  if (!v || typeof v !== 'object') return v;
  const o = v as Json;
  const out: Json = {};
  for (const [k, x] of Object.entries(o)) {
    if ((k === 'anyOf' || k === 'oneOf') && Array.isArray(x)) {
      out[k] = x.map((y) => (y && typeof y === 'object' && Object.keys(y).length === 0 ? { type: 'integer' } : fixBigInts(y)));
    } else out[k] = fixBigInts(x);
  }
  // integer bounds from Number.MIN/MAX_SAFE_INTEGER say nothing a scenario author needs
  if (out.type === 'integer') {
    delete out.minimum;
    delete out.maximum;
  }
  return out;
}

const NAME = { type: 'string', pattern: '^[A-Za-z_]\\w*$' };

/** one operation: a map with one key, the operation's name */
function operationSchema(): Json {
  return {
    oneOf: Object.entries(OP_SCHEMAS).map(([name, s]) => ({
      type: 'object',
      properties: { [name]: { ...fromZod(s as ZodType<unknown>), description: OP_HELP[name as keyof typeof OP_HELP] } },
      required: [name],
      additionalProperties: false,
    })),
  };
}

function whenSchema(): Json {
  const patchIds = PATCH_LIST.map((p) => p.id);
  const kernel = { type: 'string', pattern: `^(${PROFILES.map((p) => p.name.replace(/\./g, '\\.')).join('|')})([+-][a-z0-9-]+)*$` };
  return {
    type: 'object',
    properties: {
      kernel: { anyOf: [kernel, { type: 'array', items: kernel }] },
      has: { anyOf: [{ enum: patchIds }, { type: 'array', items: { enum: patchIds } }] },
      lacks: { anyOf: [{ enum: patchIds }, { type: 'array', items: { enum: patchIds } }] },
      config: configSchema(),
      not: { $ref: '#/$defs/when' },
    },
    additionalProperties: false,
  };
}

function configSchema(): Json {
  const value = { anyOf: [{ type: 'boolean' }, { type: 'string' }, { type: 'integer' }] };
  return { type: 'object', properties: Object.fromEntries(CONFIG_KEYS.map((k) => [k, k === 'thp' ? { enum: ['always', 'madvise', 'never'] } : value])), additionalProperties: false };
}

/** an expectation: a predicate (identified by its subject key), or not / all / any of expectations */
function expectationSchema(): Json {
  return {
    anyOf: [
      ...Object.values(PRED_SCHEMAS).map((s) => fromZod(s as ZodType<unknown>)),
      { type: 'object', properties: { not: { $ref: '#/$defs/expectation' } }, required: ['not'], additionalProperties: false },
      { type: 'object', properties: { all: { type: 'array', items: { $ref: '#/$defs/expectation' } } }, required: ['all'], additionalProperties: false },
      { type: 'object', properties: { any: { type: 'array', items: { $ref: '#/$defs/expectation' } } }, required: ['any'], additionalProperties: false },
    ],
  };
}

function verdictSchema(): Json {
  const v = { enum: ['Always', 'Sometimes', 'Never'] };
  return {
    type: 'array',
    items: {
      type: 'object',
      properties: { when: { $ref: '#/$defs/when' }, is: { anyOf: [v, { type: 'array', items: v, minItems: 1 }] } },
      required: ['is'],
      additionalProperties: false,
    },
  };
}

/** a kernel as --kernel takes it: PROFILE, then +patch / -patch edits */
function kernelSpec(): { type: string; pattern: string } {
  return { type: 'string', pattern: `^(${PROFILES.map((p) => p.name.replace(/\./g, '\\.')).join('|')})([+-][a-z0-9-]+)*$` };
}

function conditionBody(): Json {
  return { $ref: '#/$defs/expectation' };
}

export function scenarioSchema(): Json {
  const ops = { type: 'array', items: { $ref: '#/$defs/operation' } };
  const page = { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'object', properties: { addr: { anyOf: [{ type: 'string' }, { type: 'integer' }] }, process: NAME }, required: ['addr'], additionalProperties: false }] };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'mmsim scenario',
    description: 'A scenario file of mmsim (docs/scenarios.md): a setup, threads, and expectations.',
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', description: 'shown in outputs' },
      description: { type: 'string' },
      schedule: { type: 'string', description: 'the schedule mmsim run follows without --schedule, e.g. "writer reader*3 writer"' },
      kernel: { type: 'string', description: 'the profile mmsim run uses when --kernel is not given', pattern: `^(${PROFILES.map((p) => p.name.replace(/\./g, '\\.')).join('|')})([+-][a-z0-9-]+)*$` },
      config: configSchema(),
      observe: {
        type: 'object',
        properties: {
          pages: { type: 'array', items: page },
          mappings: { type: 'array', items: NAME },
          process: { anyOf: [NAME, { type: 'array', items: NAME }] },
        },
        additionalProperties: false,
      },
      setup: ops,
      threads: {
        type: 'object',
        additionalProperties: {
          anyOf: [ops, { type: 'object', properties: { process: NAME, loop: { type: 'boolean' }, ops }, required: ['ops'], additionalProperties: false }],
        },
      },
      expect: {
        type: 'array',
        items: {
          anyOf: [
            { $ref: '#/$defs/expectation' },
            { type: 'object', properties: { when: { $ref: '#/$defs/when' }, that: { type: 'array', items: { $ref: '#/$defs/expectation' } } }, required: ['that'], additionalProperties: false },
          ],
        },
      },
      condition: {
        type: 'object',
        properties: { exists: conditionBody(), forall: conditionBody(), never: conditionBody() },
        minProperties: 1, maxProperties: 1, additionalProperties: false,
      },
      verdict: verdictSchema(),
      conditions: {
        type: 'array',
        items: {
          type: 'object',
          properties: { name: { type: 'string', pattern: '^[A-Za-z_][\\w-]*$' }, exists: conditionBody(), forall: conditionBody(), never: conditionBody(), verdict: verdictSchema() },
          required: ['name'],
          additionalProperties: false,
        },
      },
      bug: {
        type: 'object',
        properties: {
          corpus: { anyOf: [{ type: 'string' }, { type: 'integer' }] }, fixed_by: { enum: PATCH_LIST.map((p) => p.id) },
          fix: { type: 'string', pattern: '^[0-9a-f]{12}$', description: 'the commit of the fixed_by row' },
          before: { ...kernelSpec(), description: 'a kernel the bug is shown on (the last release before the fix where a profile exists)' },
          after: { ...kernelSpec(), description: 'a kernel the bug is absent on (the first release after the fix)' },
        },
        required: ['corpus', 'fixed_by'],
        additionalProperties: false,
      },
    },
    $defs: { operation: operationSchema(), expectation: expectationSchema(), when: whenSchema() },
  };
}

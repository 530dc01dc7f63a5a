// Known differences between the model and the real kernel: a scenario directory may hold a
// `known-differences.yaml` that lists, per scenario file, the fields that differ today and why
// (each is explained in docs/fidelity.md). The differential test asserts that each is still there,
// so it fails the day the model catches up and the entry can go.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { KnownDifference } from './compare.js';

export const KNOWN_FILE = 'known-differences.yaml';

export function loadKnownDifferences(scenarioFile: string): KnownDifference[] {
  const f = join(dirname(scenarioFile), KNOWN_FILE);
  if (!existsSync(f)) return [];
  const all = (parse(readFileSync(f, 'utf8')) ?? {}) as Record<string, KnownDifference[] | null>;
  const list = all[basename(scenarioFile)] ?? [];
  for (const k of list) {
    if (typeof k.field !== 'string' || typeof k.reason !== 'string') throw new Error(`${f}: every entry needs field, model, kernel and reason`);
    k.model = String(k.model);
    k.kernel = String(k.kernel);
  }
  return list;
}

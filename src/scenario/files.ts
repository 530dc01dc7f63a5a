// Which YAML files under scenarios/ are scenarios. Beside the scenarios live lists that are not
// (scenarios/differential/known-differences.yaml and known-fuzz.yaml: the known differences with this
// machine's kernel); the differential tests, the file fuzzer and `mmsim serve`'s list tell them apart
// the same way: by name (`known-*`), and, for `mmsim serve`, by shape too.
import { isMap, isScalar, parseDocument } from 'yaml';
import { TOP_KEYS } from './load.js';

/** the name prefix of the lists kept beside the scenarios (known-differences.yaml, known-fuzz.yaml) */
export const NOT_SCENARIO_PREFIX = 'known-';

/** a path whose name may be a scenario's: YAML, not a dot file, not one of the `known-*` lists */
export function isScenarioName(path: string): boolean {
  const name = path.split('/').pop() ?? '';
  return /\.ya?ml$/.test(name) && !name.startsWith('.') && !name.startsWith(NOT_SCENARIO_PREFIX);
}

/**
 * a text shaped like a scenario: its top level is a mapping with at least one of a scenario's fields
 * (name, setup, threads, ...), as loadScenario reads it. A text YAML cannot parse counts as one: it is
 * listed so that opening it shows the error at its line and column.
 */
export function hasScenarioShape(text: string): boolean {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) return true;
  if (!isMap(doc.contents)) return false;
  return doc.contents.items.some((p) => isScalar(p.key) && TOP_KEYS.includes(String(p.key.value)));
}

/** a scenario file: by its name and by its text */
export function isScenarioFile(path: string, text: string): boolean {
  return isScenarioName(path) && hasScenarioShape(text);
}

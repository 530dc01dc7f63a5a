// The config chooser: each knob of the model's configuration (src/profiles/config.ts CONFIG_KNOBS) as a
// control, kept as the overrides `--config thp=always,zero_page=n` makes on the command line (what the
// link stores in `c=`). A knob the user did not touch shows the kernel's default: its profile's, after the
// scenario's own `config:`.
import { CONFIG_KEYS, CONFIG_KNOBS, formatConfig, parseConfigValue, type KernelConfig } from '../../../src/profiles/config.js';

export type ConfigKey = keyof KernelConfig;

export interface ConfigEdits {
  /** the overrides that are valid, by key, as written (y/n for a switch) */
  values: Map<ConfigKey, string>;
  /** what cannot be applied: an unknown key, a bad value, a part that is not key=value */
  errors: string[];
}

/** the value as the command line writes it: y/n for a switch, the word or the number otherwise */
export function canonicalValue(key: ConfigKey, raw: string): string | undefined {
  const v = parseConfigValue(key, raw.trim());
  if (v === undefined) return undefined;
  return typeof v === 'boolean' ? (v ? 'y' : 'n') : String(v);
}

/** a knob's allowed values in words, for an error message */
export function allowedText(key: ConfigKey): string {
  const k = CONFIG_KNOBS[key];
  return k.kind === 'bool' ? 'y or n' : k.kind === 'enum' ? k.values.join(', ') : `a whole number from ${k.min} to ${k.max}`;
}

/** "thp=always,zero_page=n" (commas or spaces) as overrides; the later of two for one key wins */
export function parseConfigEdits(s: string): ConfigEdits {
  const values = new Map<ConfigKey, string>();
  const errors: string[] = [];
  for (const part of s.split(/[\s,]+/).filter(Boolean)) {
    const m = /^([a-z_]+)=(.*)$/.exec(part);
    if (!m) {
      errors.push(`'${part}' is not key=value`);
      continue;
    }
    const key = m[1] as ConfigKey;
    if (!CONFIG_KEYS.includes(key)) {
      errors.push(`unknown config key '${m[1]}'`);
      continue;
    }
    const v = canonicalValue(key, m[2]!);
    if (v === undefined) errors.push(`${key}: '${m[2]}' is not ${allowedText(key)}`);
    else values.set(key, v);
  }
  return { values, errors };
}

/** overrides as --config writes them, in CONFIG_KEYS order */
export function formatConfigEdits(values: Map<ConfigKey, string>): string {
  return CONFIG_KEYS.filter((k) => values.has(k)).map((k) => `${k}=${values.get(k)}`).join(',');
}

/**
 * the overrides after setting knob `key` to `raw` (null: back to the default). A value equal to the
 * default is no override; overrides that cannot be applied are dropped.
 */
export function setKnob(edits: string, key: ConfigKey, raw: string | null, defaults: Record<string, string> | null): string {
  const { values } = parseConfigEdits(edits);
  const v = raw === null ? undefined : canonicalValue(key, raw);
  if (v === undefined || (defaults && defaults[key] === v)) values.delete(key);
  else values.set(key, v);
  return formatConfigEdits(values);
}

/** a configuration's values as the command line writes them, by key */
export function configValues(c: KernelConfig): Record<string, string> {
  return Object.fromEntries(formatConfig(c).split(',').map((kv) => kv.split('=') as [string, string]));
}

// The signature of a disagreement between the model and the kernel: the compared fields that differ,
// with the scenario's own names taken out (operation ids become operation kinds, page keys, checkpoint
// and mapping names disappear, addresses and digests become placeholders) and the values reduced to
// what tells one bug from another (pagemap flag bits, the kpageflags bits that differ, which side of a
// count is larger). Two runs that hit the same model bug give the same lines, so a recurring
// disagreement is counted once; known ones are listed in scenarios/differential/known-fuzz.yaml.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { CompiledScenario } from '../scenario/load.js';
import { loadScenario } from '../scenario/load.js';
import type { CompareRow } from '../host/compare.js';
import { KPF } from '../kernel/include/uapi.js';
import { KNOWN_FILE } from '../host/known.js';

export const KNOWN_FUZZ_FILE = 'known-fuzz.yaml';

const KPF_NAMES = Object.entries(KPF);

function kpfBits(x: bigint): string[] {
  return KPF_NAMES.filter(([, b]) => (x >> BigInt(b)) & 1n).map(([n]) => n);
}

/** 0x8180000000000005 -> "0x818" (bits 55..63: present, swap, file, uffd_wp, exclusive, soft-dirty) */
function pagemapFlags(v: string): string {
  // a swap entry: the value, then its type and slot identity (`0x4000000000000000 swp0#1`): the flags and the type
  const m = /^(0x[0-9a-f]+)(?: swp(\d+)#\d+.*)?$/i.exec(v);
  if (!m) return v;
  return '0x' + (BigInt(m[1]!) >> 52n).toString(16) + (m[2] !== undefined ? ` swp${m[2]}` : '');
}

function placeholders(v: string): string {
  return v
    .replace(/\b(m\d+|src)(\+0x[0-9a-f]+)?/g, 'ADDR')
    .replace(/\d+B nonzero=\d+ fnv=[0-9a-f]+/g, 'DATA')
    .replace(/0x7f[0-9a-f]{8,}/g, 'ADDR');
}

function numeric(m: string, k: string): string {
  const a = Number(m), b = Number(k);
  if (Number.isFinite(a) && Number.isFinite(b)) return a < b ? 'model < kernel' : 'model > kernel';
  return `model ${m}, kernel ${k}`;
}

/** the signature line of one differing row of `sc`'s comparison */
export function signatureLine(sc: CompiledScenario, r: { field: string; model: string; kernel: string }): string {
  const f = r.field;
  let m: RegExpExecArray | null;
  if ((m = /^thread (\w+): (state|signal)$/.exec(f))) return `thread ${m[1]}: ${m[2]}: model ${r.model}, kernel ${r.kernel}`;
  if ((m = /^thread (\w+): (minflt|majflt)$/.exec(f))) return `thread ${m[1]}: ${m[2]}: ${numeric(r.model, r.kernel)}`;
  if (f === 'deadlock') return `deadlock: model ${r.model}, kernel ${r.kernel}`;
  if (f === 'schedule') return 'schedule differs';
  if ((m = /^op (\S+)$/.exec(f))) {
    const op = [...sc.setup, ...sc.threads.flatMap((t) => t.ops)].find((o) => o.id === m![1]);
    const kind = op?.op ?? '?';
    if (kind === 'pagemap_scan') return 'op pagemap_scan: result differs';
    if (kind === 'read') return 'op read: data differs';
    return `op ${kind}: model ${placeholders(r.model)}, kernel ${placeholders(r.kernel)}`;
  }
  if (f.startsWith('msg ')) {
    const strip = (v: string) => v.replace(/ at .*$/, '');
    return strip(r.model) === strip(r.kernel) ? 'msg: address differs' : `msg: model ${strip(r.model)}, kernel ${strip(r.kernel)}`;
  }
  if (f.startsWith('buffer ')) return 'buffer differs';
  if ((m = /^@\S+ (.*): pagemap$/.exec(f))) {
    const a = pagemapFlags(r.model), b = pagemapFlags(r.kernel);
    return a === b ? (/ swp/.test(a) ? 'pagemap: swap slot differs' : 'pagemap: page index in folio differs') : `pagemap: model ${a}, kernel ${b}`;
  }
  if ((m = /^@\S+ (.*): kpageflags$/.exec(f))) {
    if (!/^0x/.test(r.model) || !/^0x/.test(r.kernel)) return `kpageflags: model ${r.model === 'none' ? 'none' : 'page'}, kernel ${r.kernel === 'none' ? 'none' : 'page'}`;
    const x = BigInt(r.model), y = BigInt(r.kernel);
    const plus = kpfBits(x & ~y), minus = kpfBits(y & ~x);
    return `kpageflags: model only [${plus.join(' ')}], kernel only [${minus.join(' ')}]`;
  }
  if (/^@\S+ mem /.test(f)) return `mem: ${r.model === 'unmapped' || r.kernel === 'unmapped' ? `model ${r.model === 'unmapped' ? 'unmapped' : 'value'}, kernel ${r.kernel === 'unmapped' ? 'unmapped' : 'value'}` : 'value differs'}`;
  if ((m = /^@\S+ \S+: (AnonHugePages|Rss) kB$/.exec(f))) return `${m[1]}: ${numeric(r.model, r.kernel)}`;
  if (/^@\S+ VMAs$/.test(f)) return `VMAs: ${numeric(r.model, r.kernel)}`;
  if ((m = /^@\S+ vmstat (\w+)$/.exec(f))) return `vmstat ${m[1]}: ${numeric(r.model, r.kernel)}`;
  return `${f}: model ${placeholders(r.model)}, kernel ${placeholders(r.kernel)}`;
}

/** the distinct signature lines of a comparison's differing rows, sorted */
export function signature(sc: CompiledScenario, rows: CompareRow[]): string[] {
  return [...new Set(rows.filter((r) => r.status === 'differ').map((r) => signatureLine(sc, r)))].sort();
}

export interface KnownLine {
  line: string;
  /** lines (with * for any text) explained too when `line` is among a run's lines (consequences of the same difference) */
  also?: string[];
  reason: string;
  /** where it is pinned */
  source: string;
}

/**
 * The disagreements already explained: every entry of known-differences.yaml (as the signature line
 * its scenario gives it) and every line of known-fuzz.yaml (`- { line: "...", reason: "..." }`), both
 * in the differential corpus directory.
 */
export function loadKnownLines(dir: string): KnownLine[] {
  const out: KnownLine[] = [];
  const kd = join(dir, KNOWN_FILE);
  if (existsSync(kd)) {
    const all = (parse(readFileSync(kd, 'utf8')) ?? {}) as Record<string, { field: string; model: unknown; kernel: unknown; reason: string }[] | null>;
    for (const [file, list] of Object.entries(all)) {
      if (!list?.length) continue;
      const path = join(dir, file);
      if (!existsSync(path)) continue;
      const sc = loadScenario(path);
      for (const k of list) out.push({ line: signatureLine(sc, { field: k.field, model: String(k.model), kernel: String(k.kernel) }), reason: k.reason, source: `${KNOWN_FILE}: ${file}` });
    }
  }
  const kf = join(dir, KNOWN_FUZZ_FILE);
  if (existsSync(kf)) {
    const list = (parse(readFileSync(kf, 'utf8')) ?? []) as { line: string; also?: string[]; reason: string }[];
    for (const k of list) {
      if (typeof k?.line !== 'string' || typeof k.reason !== 'string') throw new Error(`${kf}: every entry needs line and reason`);
      out.push({ line: k.line, also: k.also?.map(String), reason: k.reason, source: KNOWN_FUZZ_FILE });
    }
  }
  return out;
}

/** the lines of a run that known entries explain: each entry's line, and its `also` lines where its line is present */
export function explained(known: KnownLine[], lines: string[]): Set<string> {
  const out = new Set<string>();
  for (const k of known) {
    out.add(k.line);
    if (!k.also || !lines.includes(k.line)) continue;
    // `also` lines may use * for any text ("*" alone: every other line of the run)
    const pats = k.also.map((a) => new RegExp('^' + a.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$'));
    for (const l of lines) if (pats.some((p) => p.test(l))) out.add(l);
  }
  return out;
}

/** the directory of the differential corpus, next to the package's scenarios */
export function differentialDir(root: string): string {
  return join(root, 'scenarios', 'differential');
}
void dirname;

// Expectations that pin what the kernel did in the fields where the model disagreed: a shrunk fuzz case
// is written with them, so `mmsim host FILE` passes and `mmsim run FILE` fails until the model agrees
// (then the file can join scenarios/differential/ as it is).
import type { CompiledScenario } from '../scenario/load.js';
import type { CompareRow } from '../host/compare.js';
import { PM, KPF } from '../kernel/include/uapi.js';

const STATES = new Set(['done', 'signal', 'killed', 'blocked', 'livelock', 'idle']);

function bits(x: bigint, table: Record<string, number>): string[] {
  return Object.entries(table).filter(([, b]) => (x >> BigInt(b)) & 1n).map(([n]) => n);
}

/** a page key ("m0 + 0x1000", "child:m0") as the fields of a page expectation */
function page(key: string): string {
  const m = /^(\w+):(.*)$/.exec(key);
  return m ? `process: ${m[1]}, KEY: ${m[2]}` : `KEY: ${key}`;
}

/** one expectation (a YAML flow map) per differing row that the scenario format can state */
export function expectationsFromRows(sc: CompiledScenario, rows: CompareRow[]): string[] {
  const out: string[] = [];
  const at = (s: string) => (s === 'final' ? '' : `, at: ${s}`);
  for (const r of rows) {
    if (r.status !== 'differ') continue;
    const k = r.kernel;
    let m: RegExpExecArray | null;
    if ((m = /^thread (\w+): (state|signal|minflt|majflt)$/.exec(r.field))) {
      if (m[2] === 'state' && !STATES.has(k)) continue;
      if (m[2] === 'signal' && !['SIGBUS', 'SIGSEGV', 'SIGKILL', 'none'].includes(k)) continue;
      if ((m[2] === 'minflt' || m[2] === 'majflt') && !/^\d+$/.test(k)) continue;
      out.push(`{ thread: ${m[1]}, ${m[2]}: ${k} }`);
    } else if ((m = /^op (\S+)$/.exec(r.field))) {
      // (an ioctl's result may follow its errno: `-ENOENT copy=-2`; the expectation states the errno)
      if (k.startsWith('-')) out.push(`{ op: ${m[1]}, errno: ${k.slice(1).split(' ')[0]} }`);
      else if (/^(0x[0-9a-f]+|\d+)$/.test(k)) out.push(`{ op: ${m[1]}, result: ${k} }`);
      else if (r.model.startsWith('-') && k !== '(did not run)') out.push(`{ op: ${m[1]}, errno: none }`);
    } else if ((m = /^@(\S+) (.*): (pagemap|kpageflags)$/.exec(r.field))) {
      if (!/^0x/.test(k)) continue;
      const table = m[3] === 'pagemap' ? PM : KPF;
      // a swap entry's pagemap is shown with its slot identity after the value (`0x4000000000000000 swp0#1`)
      const hexOf = (v: string) => /^0x[0-9a-f]+/i.exec(v)?.[0];
      const kv = BigInt(hexOf(k)!), mv = hexOf(r.model) ? BigInt(hexOf(r.model)!) : 0n;
      const has = bits(kv, table), lacks = bits(mv & ~kv, table);
      const idx = m[3] === 'pagemap' && (kv & 1n << 63n) ? Number(kv & ((1n << 55n) - 1n)) : null;
      const fields = [`has: [${has.join(', ')}]`, ...(lacks.length ? [`lacks: [${lacks.join(', ')}]`] : []), ...(idx !== null && idx !== Number(mv & ((1n << 55n) - 1n)) ? [`index: ${idx}`] : [])];
      out.push(`{ ${page(m[2]!).replace('KEY', m[3]!)}, ${fields.join(', ')}${at(m[1]!)} }`);
    } else if ((m = /^@(\S+) mem (.*)\/(\d+)$/.exec(r.field))) {
      if (k === 'unmapped' || k === '-') continue;
      out.push(`{ mem: ${m[2]}, size: ${m[3]}, value: ${k}${at(m[1]!)} }`);
    } else if ((m = /^@(\S+) (\w+): (AnonHugePages|Rss) kB$/.exec(r.field))) {
      if (/^\d+$/.test(k)) out.push(`{ smaps: ${m[2]}, ${m[3]}: ${k}${at(m[1]!)} }`);
    } else if ((m = /^@(\S+) VMAs$/.exec(r.field))) {
      if (/^\d+$/.test(k)) out.push(`{ vma_count: ${k}${at(m[1]!)} }`);
    } else if ((m = /^@(\S+) vmstat (\w+)$/.exec(r.field))) {
      if (/^\d+$/.test(k)) out.push(`{ vmstat: ${m[2]}, delta: ${k}${at(m[1]!)} }`);
    }
  }
  void sc;
  return out;
}

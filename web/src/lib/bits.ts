// The bits of a page-table entry, as named columns of its architecture, and which of them changed between two steps.
import { archRules, pfnMask, type ArchName } from '../../../src/kernel/arch/arch.js';
import { PROFILES } from '../../../src/profiles/profiles.js';

export interface BitColumn {
  /** lowest bit of the field */
  lo: number;
  /** highest bit (a single bit: lo === hi) */
  hi: number;
  name: string;
  title: string;
  /** a field that is zero in every entry the model writes on x86-64 (hidden when two kernels share the width) */
  rare?: boolean;
}

/**
 * The columns of each architecture, from bit 63 down to bit 0: the fields of its row of the arch table
 * (src/kernel/arch/arch.ts). On x86-64 software bits are named after what mmsim's profiles use them for;
 * bit 58 is _PAGE_DEVMAP on 4.19 and _PAGE_SAVED_DIRTY from v6.6, bit 7 is PSE in a PMD and PAT in a PTE.
 * In a non-present entry (swap entry, PTE marker) the same positions hold other fields.
 */
export function columnsOf(arch: ArchName | undefined): readonly BitColumn[] {
  return archRules(arch).fields;
}

/** the x86-64 columns */
export const BIT_COLUMNS: readonly BitColumn[] = columnsOf('x86_64');

/** the architecture of a kernel spec (a profile name, perhaps with +patch-patch edits) */
export function archOfKernel(spec: string): ArchName {
  const p = PROFILES.filter((x) => spec === x.name || spec.startsWith(x.name + '+') || spec.startsWith(x.name + '-'))
    .sort((a, b) => b.name.length - a.name.length)[0];
  return p?.arch ?? 'x86_64';
}

/** a raw entry "0x..." (or null: no entry) as a 64-bit value */
export function entryValue(hex: string | null | undefined): bigint {
  return hex ? BigInt(hex) : 0n;
}

/** the field of a column in v */
export function field(v: bigint, c: BitColumn): bigint {
  return (v >> BigInt(c.lo)) & ((1n << BigInt(c.hi - c.lo + 1)) - 1n);
}

/** the column's value as printed: 0/1 for a bit, hex for a wider field */
export function fieldText(v: bigint, c: BitColumn): string {
  const f = field(v, c);
  return c.lo === c.hi ? String(f) : '0x' + f.toString(16);
}

/** the columns whose value differs between prev and cur (prev null: the entry is new, nothing is marked) */
export function changedColumns(prev: string | null | undefined, cur: string | null | undefined, cols: readonly BitColumn[] = BIT_COLUMNS): Set<string> {
  const out = new Set<string>();
  if (prev === undefined || prev === null) return out;
  const x = entryValue(prev) ^ entryValue(cur);
  if (x === 0n) return out;
  for (const c of cols) if (field(x, c) !== 0n) out.add(c.name);
  return out;
}

/** the names of the single bits set in v (for a title or a screen reader): "P US A SD" */
export function setBitNames(v: bigint, cols: readonly BitColumn[] = BIT_COLUMNS): string {
  return cols.filter((c) => c.lo === c.hi && field(v, c) === 1n).map((c) => c.name).join(' ');
}

/** the entry without its PFN: what compare prints as pfn|0x8000000000000825 */
export function flagsOnly(hex: string | null | undefined, arch?: ArchName): string {
  const v = entryValue(hex) & ~pfnMask(arch);
  return '0x' + v.toString(16).padStart(16, '0');
}

// The bits of an x86-64 page-table entry, as named columns, and which of them changed between two steps.

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
 * Columns from bit 63 down to bit 0 (arch/x86/include/asm/pgtable_types.h). Software bits are named
 * after what mmsim's profiles use them for; bit 58 is _PAGE_DEVMAP on 4.19 and _PAGE_SAVED_DIRTY from
 * v6.6, bit 7 is PSE in a PMD and PAT in a PTE. In a non-present entry (swap entry, PTE marker) the same
 * positions hold other fields (bit 1 swap soft-dirty, 2 swap uffd-wp, 3 swap exclusive).
 */
export const BIT_COLUMNS: readonly BitColumn[] = [
  { lo: 63, hi: 63, name: 'NX', title: 'bit 63: _PAGE_NX, no execute' },
  { lo: 59, hi: 62, name: 'PKEY', title: 'bits 59-62: protection key', rare: true },
  { lo: 58, hi: 58, name: 'SW5', title: 'bit 58: _PAGE_SAVED_DIRTY (v6.6+) / _PAGE_DEVMAP (4.19)' },
  { lo: 57, hi: 57, name: 'SW4', title: 'bit 57: _PAGE_DEVMAP (v6.6+)', rare: true },
  { lo: 52, hi: 56, name: 'SW', title: 'bits 52-56: software, unused', rare: true },
  { lo: 12, hi: 51, name: 'PFN', title: 'bits 12-51: page frame number' },
  { lo: 11, hi: 11, name: 'SD', title: 'bit 11: _PAGE_SOFT_DIRTY (SOFTW3)' },
  { lo: 10, hi: 10, name: 'UWP', title: 'bit 10: _PAGE_UFFD_WP (SOFTW2)' },
  { lo: 9, hi: 9, name: 'SPC', title: 'bit 9: _PAGE_SPECIAL (SOFTW1)' },
  { lo: 8, hi: 8, name: 'G', title: 'bit 8: _PAGE_GLOBAL (_PAGE_PROTNONE when not present)' },
  { lo: 7, hi: 7, name: 'PSE', title: 'bit 7: _PAGE_PSE in a PMD (huge page), _PAGE_PAT in a PTE' },
  { lo: 6, hi: 6, name: 'D', title: 'bit 6: _PAGE_DIRTY' },
  { lo: 5, hi: 5, name: 'A', title: 'bit 5: _PAGE_ACCESSED' },
  { lo: 4, hi: 4, name: 'PCD', title: 'bit 4: _PAGE_PCD, cache disable' },
  { lo: 3, hi: 3, name: 'PWT', title: 'bit 3: _PAGE_PWT, write through' },
  { lo: 2, hi: 2, name: 'US', title: 'bit 2: _PAGE_USER' },
  { lo: 1, hi: 1, name: 'RW', title: 'bit 1: _PAGE_RW, writable' },
  { lo: 0, hi: 0, name: 'P', title: 'bit 0: _PAGE_PRESENT' },
];

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
export function changedColumns(prev: string | null | undefined, cur: string | null | undefined): Set<string> {
  const out = new Set<string>();
  if (prev === undefined || prev === null) return out;
  const x = entryValue(prev) ^ entryValue(cur);
  if (x === 0n) return out;
  for (const c of BIT_COLUMNS) if (field(x, c) !== 0n) out.add(c.name);
  return out;
}

/** the names of the single bits set in v (for a title or a screen reader): "P US A SD" */
export function setBitNames(v: bigint): string {
  return BIT_COLUMNS.filter((c) => c.lo === c.hi && field(v, c) === 1n).map((c) => c.name).join(' ');
}

/** the entry without its PFN: what compare prints as pfn|0x8000000000000825 */
export function flagsOnly(hex: string | null | undefined): string {
  const v = entryValue(hex) & ~0x000ffffffffff000n;
  return '0x' + v.toString(16).padStart(16, '0');
}

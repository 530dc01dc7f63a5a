// data_at: "every copy read into this buffer equals what its source range held at that checkpoint".
// A checkpoint named by a data_at predicate records a memory image (the bytes of every written page
// mapped in the main process, by virtual address); each time a `read` op fills a watched buffer the
// copy is compared with the image, and the machine keeps the tally (Machine.copies). A buffer that
// was never filled has made no inconsistent copy. This is what a live snapshot (QEMU background
// snapshot, CRIU pre-dump) promises: the saved page is the page as it was when tracking started.
import type { Machine } from '../sched/machine.js';
import type { Snapshot } from './observe.js';
import { PAGE_SIZE } from '../kernel/arch/x86/include/pgtable_types.js';

/** page address (hex) -> decoded bytes, per snapshot */
const decoded = new WeakMap<Snapshot, Map<number, Uint8Array>>();

/** the image's page at a page-aligned address, or null when it read as zero */
function imagePage(snap: Snapshot, page: number): Uint8Array | null {
  let m = decoded.get(snap);
  if (!m) {
    m = new Map();
    for (const [a, enc] of Object.entries(snap.memory ?? {})) m.set(parseInt(a, 16), decodePage(enc));
    decoded.set(snap, m);
  }
  return m.get(page) ?? null;
}

/** compare a finished copy with every checkpoint it is checked against; update the machine's tallies */
export function checkCopy(m: Machine, buffer: string, addr: number, bytes: Uint8Array): void {
  for (const c of m.copies.values()) {
    if (c.buffer !== buffer) continue;
    const snap = m.snapshots.get(c.at);
    let bad: string | null = null;
    if (!snap || !snap.memory) bad = `copy at 0x${addr.toString(16)} was made before checkpoint ${c.at}`;
    else {
      for (let i = 0; i < bytes.length && !bad;) {
        const a = addr + i;
        const page = a - (a % PAGE_SIZE);
        const img = imagePage(snap, page);
        const n = Math.min(bytes.length - i, page + PAGE_SIZE - a);
        for (let j = 0; j < n; j++) {
          const want = img ? img[a - page + j]! : 0;
          if (bytes[i + j] !== want) {
            bad = `copy of 0x${(a + j).toString(16)} holds 0x${bytes[i + j]!.toString(16)}, memory held 0x${want.toString(16)} at ${c.at}`;
            break;
          }
        }
        i += n;
      }
    }
    m.noteCopy(`${c.buffer}@${c.at}`, {
      ...c, copies: c.copies + 1, mismatches: c.mismatches + (bad ? 1 : 0), detail: c.detail ?? bad,
    });
  }
}

/** non-zero runs as "offset:hexbytes" joined by ',' (offsets in hex) */
export function encodePage(b: Uint8Array): string {
  const runs: string[] = [];
  for (let i = 0; i < b.length;) {
    if (!b[i]) {
      i++;
      continue;
    }
    let j = i;
    let hex = '';
    while (j < b.length && b[j]) hex += b[j++]!.toString(16).padStart(2, '0');
    runs.push(`${i.toString(16)}:${hex}`);
    i = j;
  }
  return runs.join(',');
}

export function decodePage(s: string): Uint8Array {
  const out = new Uint8Array(PAGE_SIZE);
  if (!s) return out;
  for (const run of s.split(',')) {
    const [off, hex] = run.split(':') as [string, string];
    const o = parseInt(off, 16);
    for (let k = 0; k < hex.length / 2; k++) out[o + k] = parseInt(hex.slice(2 * k, 2 * k + 2), 16);
  }
  return out;
}

// data_at: "every copy read into this buffer equals what its source range held at that checkpoint".
// A checkpoint named by a data_at predicate records a memory image (the bytes of every written page
// mapped in the main process, by virtual address); each time a `read` op fills a watched buffer the
// copy is compared with the image, and the machine keeps the tally (Machine.copies). A buffer that
// was never filled has made no inconsistent copy. This is what a live snapshot (QEMU background
// snapshot, CRIU pre-dump) promises: the saved page is the page as it was when tracking started.
import { PageContent, type Bytes } from '../state/content.js';
import type { CopyTallies } from './values.js';
import { PAGE_SIZE } from '../kernel/arch/x86/include/pgtable_types.js';

/**
 * The memory image of a checkpoint (data_at): the contents of every written page mapped in the main
 * process, by page-aligned virtual address. Contents are values (src/state/content.ts), so taking an
 * image and checking a copy against it compare identities and hashes, not bytes. As JSON (and for
 * the snapshot's fingerprint) it is the pages' non-zero runs, "offset:hexbytes,..." by address (hex).
 */
export class MemoryImage {
  /** the image's hash lanes: the sum over its pages of a hash of (address, contents) */
  readonly h1: number;
  readonly h2: number;
  constructor(readonly pages: ReadonlyMap<number, PageContent>) {
    let a = 0, b = 0;
    for (const [addr, c] of pages) {
      const lo = addr % 4294967296, hi = Math.floor(addr / 4294967296);
      a = (a + Math.imul(c.h1 ^ Math.imul(lo | 0, 0x9e3779b1), 0x85ebca6b) + hi) | 0;
      b = (b + Math.imul((c.h2 + Math.imul(lo | 0, 0x165667b1)) | 0, 0xcc9e2d51) + c.nz) | 0;
    }
    this.h1 = a;
    this.h2 = b;
  }
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [addr, c] of this.pages) out[addr.toString(16)] = encodePage(c.toBytes());
    return out;
  }
}

/** compare a finished copy with every checkpoint it is checked against; update the machine's tallies */
export function checkCopy(m: CopyTallies, buffer: string, addr: number, bytes: Bytes): void {
  for (const c of m.copies.values()) {
    if (c.buffer !== buffer) continue;
    const snap = m.snapshots.get(c.at);
    let bad: string | null = null;
    if (!snap || !snap.memory) bad = `copy at 0x${addr.toString(16)} was made before checkpoint ${c.at}`;
    else {
      const img = snap.memory.pages;
      // each segment of the buffer is a piece of one page: the image's page at the same address
      for (const sg of bytes.segments) {
        const a = addr + sg.dst;
        const page = a - sg.src;
        const want = img.get(page) ?? null;
        const same = sg.n === PAGE_SIZE ? PageContent.equal(sg.c, want) : PageContent.rangeEqual(sg.c, want, sg.src, sg.n);
        if (same) continue;
        for (let j = 0; j < sg.n; j++) {
          const got = PageContent.byteOf(sg.c, sg.src + j), exp = PageContent.byteOf(want, sg.src + j);
          if (got !== exp) {
            bad = `copy of 0x${(a + j).toString(16)} holds 0x${got.toString(16)}, memory held 0x${exp.toString(16)} at ${c.at}`;
            break;
          }
        }
        break;
      }
      // bytes not read yet (a buffer longer than its reads) are zeroes: compare them too
      if (!bad && bytes.filled < bytes.length) {
        for (let i = bytes.filled; i < bytes.length && !bad;) {
          const a = addr + i, page = a - (a % PAGE_SIZE), off = a - page;
          const n = Math.min(bytes.length - i, PAGE_SIZE - off);
          const want = img.get(page) ?? null;
          if (!PageContent.rangeEqual(null, want, off, n)) bad = `copy at 0x${a.toString(16)} holds zeroes, memory did not at ${c.at}`;
          i += n;
        }
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

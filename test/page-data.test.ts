// Page contents: a whole-page memset replaces the page at once, and stays copy-on-write against clones.
import { describe, expect, it } from 'vitest';
import { PageData } from '../src/kernel/mm/page_data.js';

describe('PageData.fillBytes', () => {
  it('fills a whole page, a part of one, and zero drops the page', () => {
    const d = new PageData();
    d.fillBytes(7, 0, 4096, 0xab);
    expect(d.readByte(7, 0)).toBe(0xab);
    expect(d.readByte(7, 4095)).toBe(0xab);
    d.fillBytes(7, 100, 10, 1);
    expect([d.readByte(7, 99), d.readByte(7, 100), d.readByte(7, 109), d.readByte(7, 110)]).toEqual([0xab, 1, 1, 0xab]);
    d.fillBytes(7, 0, 4096, 0);
    expect(d.has(7)).toBe(false);
  });
  it('a fill after a clone leaves the clone as it was, either way round', () => {
    const a = new PageData();
    a.writeByte(3, 5, 9);
    const b = a.clone();
    a.fillBytes(3, 0, 4096, 2);
    expect(b.readByte(3, 5)).toBe(9);
    expect(b.readByte(3, 6)).toBe(0);
    b.fillBytes(4, 0, 4096, 6);
    expect(a.has(4)).toBe(false);
    expect(a.readByte(3, 6)).toBe(2);
    // the original can still write its filled page in place without touching the clone
    a.writeByte(3, 6, 1);
    expect(b.readByte(3, 6)).toBe(0);
  });
});

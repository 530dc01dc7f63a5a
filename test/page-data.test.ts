// Page contents: a whole-page memset replaces the page at once, and stays copy-on-write against clones.
import { describe, expect, it } from 'vitest';
import { PageData, PAGE_DATA_SEGMENTS } from '../src/kernel/mm/page_data.js';
import { Store } from '../src/state/store.js';

const pages = (st = new Store(PAGE_DATA_SEGMENTS)) => ({ st, d: new PageData(st.segs[0]!) });

describe('PageData.fillBytes', () => {
  it('fills a whole page, a part of one, and zero drops the page', () => {
    const { d } = pages();
    d.fillBytes(7, 0, 4096, 0xab);
    expect(d.readByte(7, 0)).toBe(0xab);
    expect(d.readByte(7, 4095)).toBe(0xab);
    d.fillBytes(7, 100, 10, 1);
    expect([d.readByte(7, 99), d.readByte(7, 100), d.readByte(7, 109), d.readByte(7, 110)]).toEqual([0xab, 1, 1, 0xab]);
    d.fillBytes(7, 0, 4096, 0);
    expect(d.has(7)).toBe(false);
  });
  it('a fill after a clone leaves the clone as it was, either way round', () => {
    const { st, d: a } = pages();
    a.writeByte(3, 5, 9);
    const b = new PageData(st.clone().segs[0]!);
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

describe('PageData in cells', () => {
  it('equal contents reached by different writes have one id, and equal stores one fingerprint', () => {
    const x = pages(), y = pages();
    x.d.writeBytes(9, 10, [1, 2, 3], 0, 3);
    y.d.writeByte(9, 12, 3);
    y.d.writeByte(9, 10, 1);
    y.d.writeByte(9, 11, 2);
    x.st.startHashing();
    y.st.startHashing();
    expect([x.st.f1, x.st.f2]).toEqual([y.st.f1, y.st.f2]);
    y.d.writeByte(9, 11, 4);
    expect([x.st.f1, x.st.f2]).not.toEqual([y.st.f1, y.st.f2]);
    y.d.writeByte(9, 11, 2);
    expect([x.st.f1, x.st.f2]).toEqual([y.st.f1, y.st.f2]);
    // a copy of a page shares its content; the pages written are listed in order
    x.d.copyPage(20, 9);
    expect(x.d.digest(20)).toBe(x.d.digest(9));
    expect([...x.d.pfns()]).toEqual([9, 20]);
    x.d.clearRange(0, 64);
    expect([...x.d.pfns()]).toEqual([]);
  });
});

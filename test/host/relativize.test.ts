// Addresses in compared values are written relative to the scenario's mappings (src/host/compare.ts), so
// that the model's layout and the executor's compare: inside or just past a mapping, and past every
// mapping's end from the nearest one below (the end of an UNMAP event's range over a mapping's end).
import { describe, expect, it } from 'vitest';
import { relativize } from '../../src/host/compare.js';

const maps = { m0: { addr: '0x7f0000200000', len: 0x200000 }, m1: { addr: '0x7f0000000000', len: 0x10000 } } as never;

describe('relativize', () => {
  it('names an address inside a mapping, its start and its end', () => {
    expect(relativize('at 0x7f0000201000', maps)).toBe('at m0+0x1000');
    expect(relativize('0x7f0000200000-0x7f0000400000', maps)).toBe('m0-m0+0x200000');
    expect(relativize('0x7f0000008000', maps)).toBe('m1+0x8000');
  });
  it('names an address past every mapping from the nearest mapping below it, within 4 GiB', () => {
    expect(relativize('end 0x7f0000403000', maps)).toBe('end m0+0x203000');
    expect(relativize('0x7f0000100000', maps)).toBe('m1+0x100000');
    expect(relativize('0x7f0100300000', maps)).toBe('0x7f0100300000');
  });
  it('leaves small numbers and addresses below every mapping alone', () => {
    expect(relativize('len=0x1000 at 0x7e0000000000', maps)).toBe('len=0x1000 at 0x7e0000000000');
  });
});

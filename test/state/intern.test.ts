import { describe, expect, it } from 'vitest';
import { intern, internString, internedValue, internedKey, internHash } from '../../src/state/intern.js';
import { Store } from '../../src/state/store.js';

describe('state/intern: values as cell ids', () => {
  it('equal keys give one id, different keys different ids, never 0', () => {
    const a = internString('EAGAIN'), b = internString('EAGAIN'), c = internString('EEXIST');
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toBeGreaterThan(0);
    expect(internedValue<string>(c)).toBe('EEXIST');
    const o = { event: 0x12, address: 4096 };
    const id = intern('msg:18:4096', o);
    expect(intern('msg:18:4096', { event: 0x12, address: 4096 })).toBe(id);
    expect(internedValue(id)).toBe(o);
    expect(internedKey(id)).toBe('msg:18:4096');
  });

  it('a fingerprint over interned ids does not depend on the order they were handed out in', () => {
    // two segments holding the same strings, interned in opposite orders under different keys first
    const x1 = internString('intern-test-x'), y1 = internString('intern-test-y');
    const st = new Store([{ name: 'a', hashValue: internHash }]);
    st.segs[0]!.set(0, x1);
    st.segs[0]!.set(1, y1);
    const lanes = st.recompute();
    // the same cells written with the ids' hashes recomputed: equal lanes; swapping values changes them
    const st2 = new Store([{ name: 'a', hashValue: internHash }]);
    st2.segs[0]!.set(0, y1);
    st2.segs[0]!.set(1, x1);
    expect(st.f1).toBe(lanes.f1);
    expect(st2.f1).not.toBe(st.f1);
    expect(internHash(x1)).not.toBe(0);
    expect(internHash(x1)).not.toBe(internHash(y1));
  });
});

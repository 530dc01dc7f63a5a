// Shared memory and tmpfs files on the v4.7 .. v4.15 profiles (read at v4.9), and Dirty COW (bug-corpus 27)
// on v4.8 -> v4.9 in its own form; docs/fidelity.md, "The releases before 4.19".
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/load.js';
import { checkScenario } from '../src/explore/check.js';
import { kernel, run, result } from './helpers.js';

describe('shmem on the old profiles', () => {
  it('a private file mapping copies on write and a shared one writes the page cache, on v4.8 as on v4.19', () => {
    const yaml = `
name: file-faults
observe: { pages: [p, s] }
setup:
  - open: { as: fd, path: f, flags: [rdwr, create] }
  - pwrite: { fd: fd, offset: 0, len: 8K, value: 0x11 }
  - pread: { fd: fd, offset: 0, len: 1, as: orig, id: r0 }
  - mmap: { as: p, len: 8K, flags: [private], fd: fd }
  - mmap: { as: s, len: 8K, flags: [shared], fd: fd }
  - read: { addr: p }
  - write: { addr: p, value: 0x22 }
  - write: { addr: s + 4K, value: 0x33 }
  - pread: { fd: fd, offset: 0, len: 1, as: a, id: ra }
  - pread: { fd: fd, offset: 4K, len: 1, as: b, id: rb }
  - read: { addr: p + 4K, id: pb }
`;
    const outs = ['v4.8', 'v4.9', 'v4.15', 'v4.19'].map((k) => {
      const r = run(yaml, kernel(k));
      return [result(r, 'r0'), result(r, 'ra'), result(r, 'rb'), result(r, 'pb')];
    });
    for (const o of outs) expect(o).toEqual(outs[3]);
    // the private write stayed private (the file keeps 0x11); the shared write reached the file and the
    // private mapping's page it had not copied
    const [orig, a, b, pb] = outs[0]!;
    expect(a).toBe(orig);
    expect(b).not.toBe(orig);
    expect(pb).toBe(b);
  });
});

describe('Dirty COW (bug-corpus 27) on v4.8 and v4.9', () => {
  it('mmsim check finds the write into the file by itself on v4.8, and no interleaving does on v4.9', () => {
    const sc = loadScenario('scenarios/check/dirty-cow.yaml');
    for (const k of ['v4.8', 'v4.9']) {
      const c = checkScenario(sc, kernel(k), { debug: true });
      expect(c.complete).toBe(true);
      expect(c.conditions.every((x) => x.ok)).toBe(true);
      const w = c.conditions.find((x) => x.name === 'file_written')!;
      expect(w.observation).toBe(k === 'v4.8' ? 'Sometimes' : 'Never');
      expect(w.positive > 0).toBe(k === 'v4.8');
    }
  });
});

// A thread's memory operation runs from the form Layout compiles for it (a variable plus a constant
// address, a constant value: sched/cells.ts MemCompile, exec.ts memoryOp) where its expressions have that
// form, and from its expressions otherwise. The same accesses written both ways give the same run: the
// same trace events, results and final observation (including a write whose address names a variable no
// operation has set yet, which is skipped, and one whose sum runs past the user address space).
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/load.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { runScenario } from '../src/run.js';
import { Layout, MEM_MEMSET, MEM_READ, MEM_WRITE } from '../src/sched/cells.js';

/** the scenario with its accesses written as `addrs` (compiled or not) */
function scenario(addrs: string[], value: string): string {
  return `name: compiled-ops
kernel: v6.18
setup:
  - mmap: { as: ram, len: 64K, prot: rw }
  - userfaultfd: { as: uffd }
  - uffdio_register: { uffd: uffd, addr: ram + 32K, len: 12K, mode: [missing] }
threads:
  vcpu:
    - write: { addr: ${addrs[8]}, value: 5 }
    - write: { addr: ${addrs[0]}, value: ${value} }
    - write: { addr: ${addrs[1]}, value: ${value}, size: 8 }
    - write: { addr: ${addrs[2]}, value: 7 }
    - read: { addr: ${addrs[3]}, len: 8K, as: buf }
    - memset: { addr: ${addrs[4]}, len: 4K, value: 9 }
    - write: { addr: ${addrs[5]}, value: 1 }
    - write: { addr: ${addrs[7]}, value: 3 }
    - write: { addr: ${addrs[6]}, value: 2 }
  handler:
    ops:
      - read_uffd: { uffd: uffd, as: msg }
      - uffdio_zeropage: { uffd: uffd, addr: msg.address, len: 4K }
`;
}

// the same addresses, compiled (variable plus constant) and not (sums the compiler leaves to evalExpr)
const COMPILED = ['ram', 'ram + 4K', '8K + ram', 'ram + 12K', 'ram + 20K', 'ram + 40K', 'ram + 0x7fffffffffff', 'msg.address + 4K', 'msg.address'];
const GENERAL = ['ram + 0', 'ram + 2K + 2K', '4K + 4K + ram', 'ram + 4K * 3', 'ram + 16K + 4K', 'ram + 32K + 8K', 'ram + 0x7fffffffff00 + 0xff', 'msg.address + 2K + 2K', 'msg.address + 2K - 2K'];

describe('memory operations from their compiled form', () => {
  it('compiles what has the form and leaves the rest', () => {
    const c = Layout.of(loadScenario('c.yaml', scenario(COMPILED, '0x1234')));
    const g = Layout.of(loadScenario('g.yaml', scenario(GENERAL, '0x1000 + 0x234')));
    const ram = c.varIndex.get('ram')! + 1, msg = c.varIndex.get('msg')! + 1;
    expect([...c.memKind]).toEqual([MEM_WRITE, MEM_WRITE, MEM_WRITE, MEM_WRITE, MEM_READ, MEM_MEMSET, MEM_WRITE, MEM_WRITE, MEM_WRITE, 0, 0]);
    expect([...c.addrVar]).toEqual([-msg, ram, ram, ram, ram, ram, ram, -msg, ram, 0, 0]);
    expect([c.addrField[0], c.addrField[7]]).toEqual(['address', 'address']);
    expect([...c.addrConst]).toEqual([0, 0, 4096, 8192, 12288, 20480, 40960, 4096, 0x7fffffffffff, 0, 0]);
    // a constant value of at most 4 bytes; not an 8-byte write's
    expect([...c.writeValue]).toEqual([5, 0x1234, -1, 7, -1, -1, 1, 3, 2, -1, -1]);
    // `ram + 0` has the form; the others not
    expect([...g.addrVar].filter((v, i) => i !== 1 && v !== 0)).toEqual([]);
    expect(g.writeValue[1]).toBe(-1);
  });

  for (const trace of [true, false]) {
    it(`runs as from the expressions (${trace ? 'traced' : 'untraced'})`, () => {
      const spec = resolveKernel('v6.18');
      const a = runScenario(loadScenario('c.yaml', scenario(COMPILED, '0x1234')), spec, { trace });
      const b = runScenario(loadScenario('g.yaml', scenario(GENERAL, '0x1000 + 0x234')), spec, { trace });
      expect(a.observation.ops).toEqual(b.observation.ops);
      expect(a.observation.threads).toEqual(b.observation.threads);
      expect(a.observation.snapshots).toEqual(b.observation.snapshots);
      expect(a.events).toEqual(b.events);
      // the write before msg was read is skipped, the one at ram + 40K waits for the handler's zeropage,
      // the one at msg.address + 4K goes through, the one past the user address space dies of SIGSEGV
      const ops = Object.values(a.observation.ops);
      expect(ops.filter((o) => o.thread === 'vcpu').map((o) => o.errno)).toEqual(['SKIPPED', null, null, null, null, null, null, null]);
      expect(a.observation.threads.vcpu).toMatchObject({ state: 'signal', signal: 'SIGSEGV' });
      expect(ops.filter((o) => o.thread === 'handler').map((o) => [o.op, o.errno])).toEqual([['read_uffd', null], ['uffdio_zeropage', null]]);
    });
  }
});

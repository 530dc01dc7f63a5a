// Scenario expressions: C's operators and precedence over 64-bit unsigned values, the same on the plain-number
// hot path (sched/exec.ts) as with BigInt, and printed back with the parentheses the precedence needs.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { andNotNum, binNum, binU64, BinOp, evalExpr, Expr, exprToString, parseExpr } from '../src/scenario/expr.js';
import { loadScenario, ScenarioError } from '../src/scenario/load.js';

const env = (vars: Record<string, bigint>) => (name: string, field: string | undefined) => vars[field ? `${name}.${field}` : name];
const ev = (src: string, vars: Record<string, bigint> = {}) => evalExpr(parseExpr(src), env(vars));
const M64 = (1n << 64n) - 1n;

describe('expressions', () => {
  it('follow C precedence: ~ before * / %, before + -, before << >>, before &, before ^, before |', () => {
    expect(ev('1 + 2 * 3')).toBe(7n);
    expect(ev('1 << 2 + 1')).toBe(8n);
    expect(ev('0xff & 0x0f | 0x30')).toBe(0x3fn);
    expect(ev('1 | 2 ^ 3 & 1')).toBe(1n | (2n ^ (3n & 1n)));
    expect(ev('6 ^ 3 & 2')).toBe(6n ^ (3n & 2n));
    expect(ev('~0 >> 60')).toBe(0xfn);
    expect(ev('17 % 5 * 2')).toBe(4n);
    expect(ev('100 / 7 / 2')).toBe(7n);
    expect(ev('(1 + 2) * 3')).toBe(9n);
    expect(ev('~~5')).toBe(5n);
  });
  it('page-align an address; the K/M/G suffixes still work', () => {
    expect(ev('msg.address & ~0xfff', { 'msg.address': 0x7f205fe7f123n })).toBe(0x7f205fe7f000n);
    expect(ev('a & ~(2M - 1)', { a: 0x7f205fe7f123n })).toBe(0x7f205fe00000n);
    expect(ev('4K << 1 | 1')).toBe(0x2001n);
  });
  it('are 64-bit unsigned: ~ and - wrap as unsigned long does, shifts of 64 or more give 0', () => {
    expect(ev('~0xfff')).toBe(0xfffffffffffff000n);
    expect(ev('0 - 1')).toBe(M64);
    expect(ev('~0 + 2')).toBe(1n);
    expect(ev('1 << 63')).toBe(1n << 63n);
    expect(ev('1 << 64')).toBe(0n);
    expect(ev('~0 >> 64')).toBe(0n);
    expect(ev('0x8000000000000000 * 2')).toBe(0n);
  });
  it('division by zero is an error (at load time when the expression is constant)', () => {
    expect(() => ev('4K / (1 - 1)')).toThrow(/division by zero/);
    expect(() => ev('a % 0', { a: 5n })).toThrow(/division by zero/);
    let e: unknown;
    try {
      loadScenario('bad.yaml', 'name: t\nsetup:\n  - mmap: { as: m, len: 4K / 0 }\n');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as ScenarioError).message).toMatch(/^bad\.yaml:3:25: setup\.0\.mmap\.len: bad expression '4K \/ 0': division by zero/);
  });
  it('reject what C would not parse', () => {
    for (const bad of ['a &', '& a', 'a << << 1', 'a < 1', '(a | b', 'a ~ b', 'a && b']) expect(() => parseExpr(bad), bad).toThrow();
  });
  it('print with the parentheses precedence needs, and parse back to the same value', () => {
    expect(exprToString(parseExpr('ram + 0x7f000'))).toBe('ram + 0x7f000');
    expect(exprToString(parseExpr('msg.address & ~0xfff'))).toBe('msg.address & ~0xfff');
    expect(exprToString(parseExpr('(a + b) * 3'))).toBe('(a + b) * 3');
    expect(exprToString(parseExpr('a - (b - c)'))).toBe('a - (b - c)');
    expect(exprToString(parseExpr('a - b - c'))).toBe('a - b - c');
    expect(exprToString(parseExpr('~(a | 0xf0)'))).toBe('~(a | 0xf0)');
    expect(exprToString(parseExpr('(a | b) & c ^ d'))).toBe('(a | b) & c ^ d');
    const vars = { a: 0x7f205fe7f123n, b: 0x1234n, c: 77n, d: 5n };
    const gen: fc.Arbitrary<string> = fc.letrec((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('a', 'b', 'c', 'd', '0', '1', '12', '4K', '0xfff'),
        fc.tuple(tie('e') as fc.Arbitrary<string>, fc.constantFrom('+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>'), tie('e') as fc.Arbitrary<string>).map(([x, op, y]) => `(${x} ${op} ${y})`),
        (tie('e') as fc.Arbitrary<string>).map((x) => `~${x}`),
      ),
    })).e;
    fc.assert(fc.property(gen, (src) => {
      let want: bigint;
      try {
        want = ev(src, vars);
      } catch {
        return true; // a division by zero
      }
      const printed = exprToString(parseExpr(src));
      return ev(printed, vars) === want && exprToString(parseExpr(printed)) === printed;
    }), { numRuns: 3000 });
  });
});

describe('the plain-number hot path', () => {
  const ops: BinOp[] = ['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>'];
  const operand = fc.oneof(fc.maxSafeNat(), fc.nat(64), fc.constantFrom(0, 1, 4095, 4096, 2 ** 32 - 1, 2 ** 32, 2 ** 52, Number.MAX_SAFE_INTEGER));
  it('binNum equals binU64 (modulo 2^64: 1 - 2 stays -1 on the number path) wherever it gives a number', () => {
    fc.assert(fc.property(fc.constantFrom(...ops), operand, operand, (op, a, b) => {
      const n = binNum(op, a, b);
      let want: bigint | null;
      try {
        want = binU64(op, BigInt(a), BigInt(b));
      } catch {
        want = null;
      }
      if (Number.isNaN(n)) return true; // the caller falls back to BigInt
      return want !== null && BigInt.asUintN(64, BigInt(n)) === want;
    }), { numRuns: 50000 });
    // a number for the common cases
    for (const op of ops) expect(binNum(op, op === '<<' ? 0x7f205fe7f : 0x7f205fe7f123, 12), op).not.toBeNaN();
    expect(binNum('&', 0x7f205fe7f123, 0xfff)).toBe(0x123);
    expect(binNum('|', 0x7f205fe00000, 0x1000)).toBe(0x7f205fe01000);
    expect(binNum('>>', 0x7f205fe7f123, 12)).toBe(0x7f205fe7f);
    expect(binNum('/', 0x7f205fe7f123, 4096)).toBe(0x7f205fe7f);
  });
  it('a & ~x equals the 64-bit value for every safe a and x', () => {
    fc.assert(fc.property(fc.maxSafeNat(), fc.oneof(fc.maxSafeNat(), fc.nat(0xffff)), (a, x) => {
      return BigInt(andNotNum(a, x)) === (BigInt(a) & (~BigInt(x) & M64));
    }), { numRuns: 20000 });
  });
  it('binNum refuses negative operands of bitwise operators (they stand for u64 values past 2^53)', () => {
    expect(binNum('&', -1, 0xfff)).toBeNaN();
    expect(binNum('>>', -4096, 12)).toBeNaN();
    expect(binNum('-', 1, 2)).toBe(-1); // + - * stay exact: later wrap-around is the same modulo 2^64
  });
});

// the hot path of a run and the BigInt evaluation agree on a scenario's addresses
describe('expressions in a run', () => {
  it('a handler aligns a message address without leaving the number path wrong', async () => {
    const { run, kernel } = await import('./helpers.js');
    const r = run(`
name: t
setup:
  - mmap: { as: ram, len: 16K }
  - mmap: { as: src, len: 4K }
  - userfaultfd: { as: uffd, features: [exact_address] }
  - uffdio_register: { uffd: uffd, addr: ram, len: 16K, mode: [missing] }
threads:
  reader:
    - read: { addr: ram + 0x2abc, len: 1 }
  handler:
    - read_uffd: { uffd: uffd, as: msg }
    - uffdio_copy: { uffd: uffd, dst: msg.address & ~0xfff, src: src, len: 4K, id: cp }
    - write: { addr: msg.address ^ 0x3, value: ~0 >> 32, size: 8 }
expect:
  - { op: cp, result: 4K }
  - { mem: ram + 0x2abf, size: 8, value: 0xffffffff }
`, kernel('v6.18'));
    expect(r.expectations.map((e) => e.ok)).toEqual([true, true]);
    const e: Expr = parseExpr('msg.address & ~0xfff');
    expect(exprToString(e)).toBe('msg.address & ~0xfff');
  });
});

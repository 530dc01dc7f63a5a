// Address and value expressions of scenario files: `ram + 0x7f000`, `msg.address + 4K`, `2M * 3`,
// `msg.address & ~0xfff`. The operators and their precedence are C's (`~`; `* / %`; `+ -`; `<< >>`; `&`;
// `^`; `|`), over 64-bit unsigned values. Parsed once into a small tree (also what the native host
// executor evaluates).

export type BinOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>';
export type Expr =
  | { k: 'num'; v: string } // decimal string of a non-negative integer (may exceed 2^53 for 64-bit values)
  | { k: 'sym'; name: string; field?: string }
  | { k: 'bin'; op: BinOp; a: Expr; b: Expr }
  /** `~x`, the bitwise complement (64 bits) */
  | { k: 'un'; op: '~'; x: Expr };

export class ExprError extends Error {
  constructor(msg: string, readonly offset: number) {
    super(msg);
  }
}

const SUFFIX: Record<string, bigint> = { K: 1024n, M: 1024n ** 2n, G: 1024n ** 3n, T: 1024n ** 4n };

/** "4K", "0x7f000", "2M", "1_000" -> bigint */
export function parseNumber(tok: string): bigint | null {
  // at least one digit after 0x / 0b ('0x_' is not a number)
  const m = /^(0x_*[0-9a-fA-F][0-9a-fA-F_]*|0b_*[01][01_]*|\d[\d_]*)([KMGT])?$/.exec(tok);
  if (!m) return null;
  const v = BigInt(m[1]!.replace(/_/g, ''));
  return m[2] ? v * SUFFIX[m[2]]! : v;
}

/** the largest value of a 64-bit expression */
export const U64_MAX = (1n << 64n) - 1n;
/** how deeply parentheses and ~ may nest in one expression */
export const MAX_EXPR_DEPTH = 64;

/** binary operators by C precedence, loosest first (| ^ & are below the shifts, which are below + -) */
const LEVELS: BinOp[][] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
/** the binding strength of an operator (1 loosest); unary ~ binds tighter than all of them */
const PREC: Record<string, number> = Object.fromEntries(LEVELS.flatMap((ops, i) => ops.map((o) => [o, i + 1])));

export function parseExpr(src: string): Expr {
  const toks: { t: string; at: number }[] = [];
  const re = /\s*([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)?|0x[0-9a-fA-F_]+|0b[01_]+|\d[\d_]*[KMGT]?|<<|>>|[-+*/%&|^~()])/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new ExprError(`unexpected '${src.slice(pos).trim()[0]}'`, pos);
    toks.push({ t: m[1]!, at: pos + m[0].length - m[1]!.length });
    pos = re.lastIndex;
  }
  let i = 0;
  let depth = 0;
  const peek = () => toks[i]?.t;
  const expect = (t: string) => {
    if (toks[i]?.t !== t) throw new ExprError(`expected '${t}'`, toks[i]?.at ?? src.length);
    i++;
  };
  const unary = (): Expr => {
    const tok = toks[i];
    if (!tok) throw new ExprError('expression ends too early', src.length);
    if (tok.t === '~' || tok.t === '(') {
      if (++depth > MAX_EXPR_DEPTH) throw new ExprError(`nested more than ${MAX_EXPR_DEPTH} deep`, tok.at);
      i++;
      const e: Expr = tok.t === '~' ? { k: 'un', op: '~', x: unary() } : binary(0);
      if (tok.t === '(') expect(')');
      depth--;
      return e;
    }
    const n = parseNumber(tok.t);
    if (n !== null) {
      if (n > U64_MAX) throw new ExprError(`${tok.t} does not fit in 64 bits`, tok.at);
      i++;
      return { k: 'num', v: n.toString() };
    }
    if (/^[A-Za-z_]/.test(tok.t)) {
      i++;
      const [name, field] = tok.t.split('.');
      return field ? { k: 'sym', name: name!, field } : { k: 'sym', name: name! };
    }
    throw new ExprError(`unexpected '${tok.t}'`, tok.at);
  };
  // precedence climbing over LEVELS, every level left-associative
  const binary = (level: number): Expr => {
    if (level === LEVELS.length) return unary();
    let e = binary(level + 1);
    while (LEVELS[level]!.includes(peek() as BinOp)) {
      const op = toks[i++]!.t as BinOp;
      e = { k: 'bin', op, a: e, b: binary(level + 1) };
    }
    return e;
  };
  const e = binary(0);
  if (i < toks.length) throw new ExprError(`unexpected '${toks[i]!.t}'`, toks[i]!.at);
  return e;
}

/** names an expression refers to (for checking them before the run) */
export function exprSymbols(e: Expr, out: Set<string> = new Set()): Set<string> {
  if (e.k === 'sym') out.add(e.name);
  else if (e.k === 'bin') {
    exprSymbols(e.a, out);
    exprSymbols(e.b, out);
  } else if (e.k === 'un') exprSymbols(e.x, out);
  return out;
}

export type Env = (name: string, field: string | undefined) => bigint | undefined;

export class EvalError extends Error {}

const U64 = (v: bigint) => BigInt.asUintN(64, v);

/** one binary operation on 64-bit unsigned values, as C does it on unsigned long (shifts of 64 or more give 0) */
export function binU64(op: BinOp, a: bigint, b: bigint): bigint {
  switch (op) {
    case '+': return U64(a + b);
    case '-': return U64(a - b);
    case '*': return U64(a * b);
    case '/':
      if (b === 0n) throw new EvalError('division by zero');
      return a / b;
    case '%':
      if (b === 0n) throw new EvalError('division by zero');
      return a % b;
    case '&': return a & b;
    case '|': return a | b;
    case '^': return a ^ b;
    case '<<': return b >= 64n ? 0n : U64(a << b);
    case '>>': return b >= 64n ? 0n : a >> b;
  }
}

/** the value of an expression: 64-bit unsigned arithmetic, wrapping as C's unsigned long does */
export function evalExpr(e: Expr, env: Env): bigint {
  switch (e.k) {
    case 'num':
      return U64(BigInt(e.v));
    case 'sym': {
      const v = env(e.name, e.field);
      if (v === undefined) throw new EvalError(`'${e.name}${e.field ? '.' + e.field : ''}' has no value here`);
      return U64(v);
    }
    case 'bin':
      return binU64(e.op, evalExpr(e.a, env), evalExpr(e.b, env));
    case 'un':
      return U64(~evalExpr(e.x, env));
  }
}

const TWO32 = 4294967296;

/**
 * a binary operation over plain numbers, for the hot path (sched/exec.ts): the exact result while both
 * operands and the result are safe integers (bitwise operators and shifts also want them non-negative, as
 * the u64 values they stand for), else NaN (the caller then evaluates with evalExpr)
 */
export function binNum(op: BinOp, a: number, b: number): number {
  let r: number;
  switch (op) {
    case '+': r = a + b; break;
    case '-': r = a - b; break;
    case '*': r = a * b; break;
    default:
      if (!(a >= 0 && b >= 0)) return NaN;
      switch (op) {
        case '/': case '%': {
          if (b === 0) return NaN;
          const rem = a % b; // exact for integers (fmod)
          r = op === '%' ? rem : (a - rem) / b;
          break;
        }
        case '&': case '|': case '^': {
          // two 32-bit halves: the high one is below 2^21 for a safe integer
          const ha = Math.floor(a / TWO32), hb = Math.floor(b / TWO32), la = a >>> 0, lb = b >>> 0;
          const h = op === '&' ? ha & hb : op === '|' ? ha | hb : ha ^ hb;
          const l = op === '&' ? la & lb : op === '|' ? la | lb : la ^ lb;
          r = (h >>> 0) * TWO32 + (l >>> 0);
          break;
        }
        case '<<': r = b < 64 ? a * 2 ** b : NaN; break;
        default: r = b < 64 ? Math.floor(a / 2 ** b) : 0; break; // '>>': a power of two divides exactly
      }
  }
  return Number.isSafeInteger(r) ? r : NaN;
}

/** `a & ~x` over plain numbers (the page-alignment idiom: `msg.address & ~0xfff`): a - (a & x), or NaN */
export function andNotNum(a: number, x: number): number {
  const both = binNum('&', a, x);
  return both === both ? a - both : NaN;
}

function numText(v: bigint, bitwise: boolean): string {
  return v >= 4096n || (bitwise && v >= 16n) ? '0x' + v.toString(16) : v.toString();
}
const BITWISE = new Set(['&', '|', '^', '<<', '>>']);

/** the text of an expression, parenthesised where C precedence needs it (`ram + 0x7f000`, `msg.address & ~0xfff`) */
export function exprToString(e: Expr, bitwise = false): string {
  switch (e.k) {
    case 'num':
      return numText(BigInt(e.v), bitwise);
    case 'sym':
      return e.field ? `${e.name}.${e.field}` : e.name;
    case 'un': {
      const x = exprToString(e.x, true);
      return e.x.k === 'bin' ? `~(${x})` : `~${x}`;
    }
    case 'bin': {
      const p = PREC[e.op]!, bw = BITWISE.has(e.op);
      const side = (x: Expr, right: boolean) => {
        const t = exprToString(x, bw);
        if (x.k !== 'bin') return t;
        const q = PREC[x.op]!;
        return q < p || (right && q === p) ? `(${t})` : t;
      };
      return `${side(e.a, false)} ${e.op} ${side(e.b, true)}`;
    }
  }
}

/**
 * Number(s) without the runtime's string-to-number conversion for the common case, a string of 1..15
 * decimal digits (exact: below 2 ** 53); anything else goes to Number()
 */
export function decimal(s: string): number {
  const n = s.length;
  if (n === 0 || n > 15) return Number(s);
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number(s);
    v = v * 10 + d;
  }
  return v;
}

// Address and value expressions of scenario files: `ram + 0x7f000`, `msg.address + 4K`, `2M * 3`.
// Parsed once into a small tree (also what the native host executor evaluates).

export type Expr =
  | { k: 'num'; v: string } // decimal string of a non-negative integer (may exceed 2^53 for 64-bit values)
  | { k: 'sym'; name: string; field?: string }
  | { k: 'bin'; op: '+' | '-' | '*'; a: Expr; b: Expr };

export class ExprError extends Error {
  constructor(msg: string, readonly offset: number) {
    super(msg);
  }
}

const SUFFIX: Record<string, bigint> = { K: 1024n, M: 1024n ** 2n, G: 1024n ** 3n, T: 1024n ** 4n };

/** "4K", "0x7f000", "2M", "1_000" -> bigint */
export function parseNumber(tok: string): bigint | null {
  const m = /^(0x[0-9a-fA-F_]+|0b[01_]+|\d[\d_]*)([KMGT])?$/.exec(tok);
  if (!m) return null;
  const v = BigInt(m[1]!.replace(/_/g, ''));
  return m[2] ? v * SUFFIX[m[2]]! : v;
}

export function parseExpr(src: string): Expr {
  const toks: { t: string; at: number }[] = [];
  const re = /\s*([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)?|0x[0-9a-fA-F_]+|0b[01_]+|\d[\d_]*[KMGT]?|[-+*()])/y;
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
  const peek = () => toks[i]?.t;
  const expect = (t: string) => {
    if (toks[i]?.t !== t) throw new ExprError(`expected '${t}'`, toks[i]?.at ?? src.length);
    i++;
  };
  const factor = (): Expr => {
    const tok = toks[i];
    if (!tok) throw new ExprError('expression ends too early', src.length);
    if (tok.t === '(') {
      i++;
      const e = sum();
      expect(')');
      return e;
    }
    const n = parseNumber(tok.t);
    if (n !== null) {
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
  const product = (): Expr => {
    let e = factor();
    while (peek() === '*') {
      i++;
      e = { k: 'bin', op: '*', a: e, b: factor() };
    }
    return e;
  };
  const sum = (): Expr => {
    let e = product();
    while (peek() === '+' || peek() === '-') {
      const op = toks[i++]!.t as '+' | '-';
      e = { k: 'bin', op, a: e, b: product() };
    }
    return e;
  };
  const e = sum();
  if (i < toks.length) throw new ExprError(`unexpected '${toks[i]!.t}'`, toks[i]!.at);
  return e;
}

/** names an expression refers to (for checking them before the run) */
export function exprSymbols(e: Expr, out: Set<string> = new Set()): Set<string> {
  if (e.k === 'sym') out.add(e.name);
  else if (e.k === 'bin') {
    exprSymbols(e.a, out);
    exprSymbols(e.b, out);
  }
  return out;
}

export type Env = (name: string, field: string | undefined) => bigint | undefined;

export class EvalError extends Error {}

export function evalExpr(e: Expr, env: Env): bigint {
  switch (e.k) {
    case 'num':
      return BigInt(e.v);
    case 'sym': {
      const v = env(e.name, e.field);
      if (v === undefined) throw new EvalError(`'${e.name}${e.field ? '.' + e.field : ''}' has no value here`);
      return v;
    }
    case 'bin': {
      const a = evalExpr(e.a, env), b = evalExpr(e.b, env);
      return e.op === '+' ? a + b : e.op === '-' ? a - b : a * b;
    }
  }
}

export function exprToString(e: Expr): string {
  switch (e.k) {
    case 'num': {
      const v = BigInt(e.v);
      return v >= 4096n ? '0x' + v.toString(16) : v.toString();
    }
    case 'sym':
      return e.field ? `${e.name}.${e.field}` : e.name;
    case 'bin':
      return `${exprToString(e.a)} ${e.op} ${exprToString(e.b)}`;
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

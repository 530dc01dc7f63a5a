// Scenario files: YAML with positions -> validated, compiled scenario. Every user error names the file,
// line, column and field, and what was expected.
import { readFileSync } from 'node:fs';
import { parseDocument, LineCounter, Document, isMap, isSeq, isScalar, Node as YNode, visit } from 'yaml';
import type { ZodType } from 'zod';
import { CompiledOp, OP_HELP, OP_NAMES, OP_SCHEMAS, OpName } from './ops.js';
import { Expr, ExprError, EvalError, evalExpr, exprSymbols, exprToString, parseExpr, U64_MAX } from './expr.js';
import { EVENT_CODES, PRED_KEYS, PRED_SCHEMAS, Pred, PredKey, Signed, VMSTAT_NAMES } from './predicates.js';
import { ERRNO } from '../kernel/include/errno.js';
import { FOLL_FORCE, FOLL_GET, FOLL_LONGTERM, FOLL_PIN, FOLL_WRITE } from '../kernel/include/foll.js';
import {
  MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_HUGETLB, MAP_NORESERVE, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_READ,
  PROT_WRITE, UFFD_FEATURE, UFFDIO_COPY_MODE_DONTWAKE, UFFDIO_COPY_MODE_WP, UFFDIO_REGISTER_MODE_MINOR,
  UFFDIO_REGISTER_MODE_MISSING, UFFDIO_REGISTER_MODE_WP, UFFDIO_WRITEPROTECT_MODE_DONTWAKE, UFFDIO_WRITEPROTECT_MODE_WP,
  UFFDIO_ZEROPAGE_MODE_DONTWAKE, UFFDIO_CONTINUE_MODE_DONTWAKE, UFFDIO_CONTINUE_MODE_WP, UFFDIO_POISON_MODE_DONTWAKE, UFFDIO_MOVE_MODE_DONTWAKE, UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES, MadviseName, UffdFeatureName, PAGE_IS, PageIsName, PM_SCAN_WP_MATCHING, PM_SCAN_CHECK_WPASYNC,
} from '../kernel/include/uapi.js';
import { patchById } from '../profiles/patches.js';
import { CONFIG_KEYS, parseConfigValue } from '../profiles/config.js';
import { MissingKnobError, PROFILES, resolveKernel, SpecError } from '../profiles/profiles.js';
import type { KernelSpec } from '../kernel/kernel.js';

import { ScenarioError } from './error.js';
export { ScenarioError };

export interface CompiledThread {
  name: string;
  process: string;
  ops: CompiledOp[];
  /** a server thread: it starts again at its first op after the last (`loop: true`) */
  loop?: boolean;
}
export interface When {
  kernel?: string[];
  has?: string[];
  lacks?: string[];
  config?: Record<string, string>;
  /** matches where this one does not (e.g. `not: { config: { zero_page: y, use_zero_page: y } }`) */
  not?: When;
}
export interface Expectation {
  when: When | null;
  pred: Pred;
  line: number;
  text: string;
}
/** the page `key` at checkpoint `at`, against page `other` (often the same key) at checkpoint `since` */
export interface PfnCheck {
  key: string;
  at: string;
  other: string;
  since: string;
}
export type Verdict = 'Always' | 'Sometimes' | 'Never';
export interface Condition {
  kind: 'exists' | 'forall' | 'never';
  pred: Pred;
  line: number;
  text: string;
  /** `conditions:` entries have names; the single `condition:` is called 'condition' */
  name?: string;
  /** expected verdicts of this condition, per kernel (the first entry whose `when` matches applies) */
  verdicts?: VerdictExpectation[];
}
export interface VerdictExpectation {
  when: When | null;
  verdict: Verdict;
  /** `is: [Sometimes, Always]`: any of these (verdict is the first) */
  anyOf?: Verdict[];
  line: number;
}
export interface CompiledScenario {
  version: 1;
  file: string;
  name: string;
  description: string;
  kernel: string | null;
  config: string[];
  /** where each key of `config:` is written (a kernel that refuses the override is reported there) */
  configAt?: Record<string, { line: number; col: number }>;
  /** addresses every snapshot reports, keyed by their text ("child:ram + 4K" for a forked process) */
  pages: { key: string; expr: Expr; process: string }[];
  /** memory values every snapshot reads: key "ram + 0x7fed0/4" */
  mems: { key: string; expr: Expr; size: number }[];
  mappings: string[];
  setup: CompiledOp[];
  threads: CompiledThread[];
  expect: Expectation[];
  condition: Condition | null;
  verdicts: VerdictExpectation[];
  /** every condition `check` evaluates: `condition:` (with `verdict:`) and the named `conditions:` */
  conditions?: Condition[];
  /** checkpoints that record a memory image (named by data_at predicates) */
  images?: string[];
  /** data_at checks: copies read into `buffer` compared with the image at checkpoint `at` */
  copyChecks?: { buffer: string; at: string }[];
  checkpoints: string[];
  /** PFN identities the expectations ask about (same_pfn_as, new_pfn_since): compared on the host too */
  pfnChecks?: PfnCheck[];
  /**
   * for scenarios of the bug corpus: its entry, the patch row that fixed it (and that row's commit), and the
   * kernels it is shown on: `before` (bug shown) and `after` (bug absent); real releases where profiles allow
   */
  bug: { corpus: string; fixed_by: string; fix: string; before: string | null; after: string | null } | null;
  /** the schedule `mmsim run` follows when --schedule is not given (`check` explores every one) */
  schedule?: string;
  /** where the schedule is written (an error of one of its steps is reported there) */
  scheduleAt?: { line: number; col: number };
  /** names defined by `as:` (mappings, uffds, messages, buffers), with the op kind that defines them */
  names: Record<string, OpName>;
}

export const TOP_KEYS = ['name', 'description', 'kernel', 'config', 'observe', 'setup', 'threads', 'expect', 'condition', 'verdict', 'conditions', 'bug', 'schedule'];

class Positions {
  constructor(readonly file: string, readonly doc: Document, readonly lc: LineCounter, readonly src = '') {}
  /**
   * the text of the node at path as the file has it (quotes and spacing kept); a block over several
   * lines comes back as its lines joined with '; '
   */
  source(path: (string | number)[], fallback: unknown): string {
    const node = (path.length === 0 ? this.doc.contents : this.doc.getIn(path, true)) as YNode | undefined;
    const r = node?.range;
    if (!r || !this.src) return textOf(fallback);
    const t = this.src.slice(r[0], r[1]).trim();
    return t.includes('\n') ? t.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).join('; ') : t;
  }
  node(path: (string | number)[]): YNode | null {
    for (let n = path.length; n >= 0; n--) {
      const node = path.length === 0 ? this.doc.contents : (this.doc.getIn(path.slice(0, n), true) as YNode | undefined);
      if (node && (node as { range?: unknown }).range) return node;
      if (n === 0) return (this.doc.contents as YNode) ?? null;
    }
    return null;
  }
  /** the key node of the last path element, when it names a key of a map */
  keyNode(path: (string | number)[]): YNode | null {
    const last = path[path.length - 1];
    if (typeof last !== 'string') return null;
    const parent = path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
    if (!isMap(parent)) return null;
    for (const it of parent.items) {
      const k = it.key as YNode & { value?: unknown };
      if (k && isScalar(k) && k.value === last && k.range) return k;
    }
    return null;
  }
  errorAtKey(path: (string | number)[], detail: string): ScenarioError {
    const k = this.keyNode(path);
    if (!k) return this.error(path, detail);
    const { line, col } = this.lc.linePos(k.range![0]);
    return new ScenarioError(this.file, line, col, path.join('.'), detail);
  }
  error(path: (string | number)[], detail: string, offset = 0): ScenarioError {
    const node = this.node(path);
    const at = (node?.range?.[0] ?? 0) + offset;
    const { line, col } = this.lc.linePos(at);
    const field = path.filter((x) => typeof x === 'string' || typeof x === 'number').join('.');
    return new ScenarioError(this.file, line, col, field, detail);
  }
  line(path: (string | number)[]): number {
    const node = this.node(path);
    return this.lc.linePos(node?.range?.[0] ?? 0).line;
  }
  col(path: (string | number)[]): number {
    const node = this.node(path);
    return this.lc.linePos(node?.range?.[0] ?? 0).col;
  }
}

function describeType(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'bigint' || typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return 'a map';
  return typeof v;
}

/** validate raw with a zod schema; the first issue becomes a positioned error */
/**
 * exit: the calling thread's process ends (kernel/exit.c do_group_exit), so it is the last operation of its
 * thread, and only a forked process may do it: the main process holds the scenario (and on the host the
 * executor). What the host executor cannot show the way the model has it is refused here: a process that
 * pins or vmsplices (the io_uring and pipe files that hold those references there are the process's and close
 * with it). Its children live on (the model keeps no parent links: nothing of theirs changes)
 */
function checkExits(pos: Positions, setup: CompiledOp[], threads: CompiledThread[], raw: Record<string, unknown> | undefined): void {
  const bodyPath = (t: CompiledThread): (string | number)[] => (Array.isArray(raw?.[t.name]) ? ['threads', t.name] : ['threads', t.name, 'ops']);
  setup.forEach((op, i) => {
    if (op.op === 'exit') throw pos.error(['setup', i, 'exit'], 'exit in the setup: the main process may not exit (exit a process made by fork, from one of its threads)');
  });
  const exiting = new Set<string>();
  for (const t of threads) {
    t.ops.forEach((op, i) => {
      if (op.op !== 'exit') return;
      const at = [...bodyPath(t), i, 'exit'];
      if (t.process === 'main') throw pos.error(at, `exit in thread '${t.name}' of the main process: only a process made by fork may exit (give the thread process: NAME)`);
      if (i !== t.ops.length - 1) throw pos.error(at, `exit must be the last operation of thread '${t.name}' (nothing runs after it)`);
      exiting.add(t.process);
    });
  }
  for (const t of threads) {
    if (!exiting.has(t.process)) continue;
    t.ops.forEach((op, i) => {
      if (op.op === 'pin' || op.op === 'vmsplice') {
        const why = 'the references it holds belong to a file of the process on the host (io_uring or a pipe), closed when it exits';
        throw pos.error([...bodyPath(t), i, op.op], `not modelled: ${op.op} in process '${t.process}', which exits: ${why}`);
      }
    });
  }
}

function check<T>(pos: Positions, path: (string | number)[], schema: ZodType<T>, raw: unknown, help?: string): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues.find((i) => i.code === 'unrecognized_keys') ?? r.error.issues[0]!;
  const ipath = issue.path.map((x) => (typeof x === 'symbol' ? String(x) : x)) as (string | number)[];
  let got: unknown = raw;
  for (const p of ipath) got = (got as Record<string | number, unknown> | undefined)?.[p];
  let msg: string;
  if (issue.code === 'unrecognized_keys') {
    msg = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    const target = [...path, ...ipath, issue.keys[0]!];
    throw pos.errorAtKey(target, msg + (help ? `; expected ${help}` : ''));
  }
  if (got === undefined) msg = 'missing required field';
  else if (issue.code === 'invalid_value') msg = `expected one of ${issue.values.map((v) => String(v)).join(', ')}, got ${describeType(got)}`;
  else if (issue.code === 'invalid_type' && got === undefined) msg = `missing required field`;
  else if (issue.code === 'invalid_type') msg = `expected ${issue.expected}, got ${describeType(got)}`;
  else if (issue.code === 'invalid_union') msg = `unexpected value ${describeType(got)}`;
  else msg = issue.message;
  throw pos.error([...path, ...ipath], msg + (help ? ` (${help})` : ''));
}

/** a long text shortened for a one-line message */
function clip(t: string, n = 60): string {
  return t.length <= n ? t : `${t.slice(0, n)}… (${t.length} characters)`;
}

function expr(pos: Positions, path: (string | number)[], v: unknown): Expr {
  if (typeof v === 'bigint') {
    if (v < 0n) throw pos.error(path, `expected a non-negative integer, got ${v}`);
    if (v > U64_MAX) throw pos.error(path, `${v} does not fit in 64 bits`);
    return { k: 'num', v: v.toString() };
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) throw pos.error(path, `expected a non-negative integer, got ${v}`);
    return { k: 'num', v: String(v) };
  }
  if (typeof v !== 'string') throw pos.error(path, `expected an address or number, got ${describeType(v)}`);
  let e: Expr;
  try {
    e = parseExpr(v);
  } catch (x) {
    if (x instanceof ExprError) throw pos.error(path, `bad expression '${clip(v)}': ${x.message}`);
    throw x;
  }
  // an expression of constants only is checked now (a division by zero is the scenario's error)
  if (exprSymbols(e).size === 0) {
    try {
      evalExpr(e, () => undefined);
    } catch (x) {
      if (x instanceof EvalError) throw pos.error(path, `bad expression '${clip(v)}': ${x.message}`);
      throw x;
    }
  }
  return e;
}

function protBits(p: string | string[]): number {
  if (Array.isArray(p)) return (p.includes('read') ? PROT_READ : 0) | (p.includes('write') ? PROT_WRITE : 0) | (p.includes('exec') ? PROT_EXEC : 0);
  if (p === 'none') return 0;
  return (p.includes('r') ? PROT_READ : 0) | (p.includes('w') ? PROT_WRITE : 0) | (p.includes('x') ? PROT_EXEC : 0);
}
function features(list: UffdFeatureName[]): number {
  return list.reduce((a, f) => a | (UFFD_FEATURE[f] ?? (f === ('bit17' as string) ? 1 << 17 : 0)), 0) >>> 0;
}

export function loadScenario(file: string, text?: string): CompiledScenario {
  const src = text ?? readFileSync(file, 'utf8');
  const lc = new LineCounter();
  const doc = parseDocument(src, { lineCounter: lc, intAsBigInt: true, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const { line, col } = lc.linePos(e.pos[0]);
    throw new ScenarioError(file, line, col, '', `YAML: ${e.message.split('\n')[0]}`);
  }
  const pos = new Positions(file, doc, lc, src);
  let raw: Record<string, unknown> | null;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null;
  } catch (e) {
    // an alias to no anchor, or an alias bomb: reported at the first alias of the file
    let at: [number, number] = [0, 0];
    visit(doc, { Alias(_k, node) { if (node.range) at = [node.range[0], node.range[1]]; return visit.BREAK; } });
    const { line, col } = lc.linePos(at[0]);
    const why = /Excessive alias count/.test((e as Error).message) ? 'too many aliases (more than 100 expansions: an alias bomb?)' : (e as Error).message.split('\n')[0]!;
    throw new ScenarioError(file, line, col, '', `YAML: ${why}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw pos.error([], 'a scenario is a map with name, setup, threads and expect');
  for (const key of Object.keys(raw)) {
    if (!TOP_KEYS.includes(key)) throw pos.errorAtKey([key], `unknown top-level field '${key}'; expected one of ${TOP_KEYS.join(', ')}`);
  }
  if (typeof raw.name !== 'string' || !raw.name) throw pos.error(['name'], 'missing: a scenario needs a name');
  const names: Record<string, OpName> = {};
  const checkpoints: string[] = ['setup'];
  const definedOrder: string[] = [];

  const compileOps = (list: unknown, path: (string | number)[], thread: string): CompiledOp[] => {
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw pos.error(path, `expected a list of operations, got ${describeType(list)}`);
    return list.map((item, i) => {
      const op = compileOp(item, [...path, i], `${thread}#${i + 1}`);
      op.col = pos.col([...path, i]);
      op.field = [...path, i, op.op].join('.');
      return op;
    });
  };

  const compileOp = (item: unknown, path: (string | number)[], defaultId: string): CompiledOp => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw pos.error(path, `expected an operation like '- mmap: {...}', got ${describeType(item)}`);
    const keys = Object.keys(item);
    if (keys.length !== 1) throw pos.error(path, `an operation is a map with one key (the operation), got ${keys.map((k) => `'${k}'`).join(', ')}`);
    const name = keys[0] as OpName;
    if (!OP_NAMES.includes(name)) throw pos.errorAtKey([...path, name], `unknown operation '${name}'; known: ${OP_NAMES.join(', ')}`);
    const fpath = [...path, name];
    const v = check(pos, fpath, OP_SCHEMAS[name] as ZodType<unknown>, (item as Record<string, unknown>)[name], OP_HELP[name]) as Record<string, unknown>;
    const line = pos.line(path);
    const id = (typeof v === 'object' && v && typeof v.id === 'string' ? v.id : defaultId);
    const E = (f: string) => expr(pos, [...fpath, f], v[f]);
    const def = (n: unknown, f = 'as') => {
      if (typeof n !== 'string') return null;
      if (names[n]) throw pos.error([...fpath, f], `'${n}' is already defined`);
      names[n] = name;
      definedOrder.push(n);
      return n;
    };
    const fileName = (h: string): string => {
      if (names[h] !== 'memfd_create' && names[h] !== 'open') throw pos.error([...fpath, 'fd'], `'${h}' is not a file defined by memfd_create or open`);
      return h;
    };
    switch (name) {
      case 'mmap': {
        const fd = v.fd as string | undefined;
        if (fd !== undefined && names[fd] !== 'memfd_create' && names[fd] !== 'open') throw pos.error([...fpath, 'fd'], `'${fd}' is not a file defined by memfd_create or open`);
        const flagsList = (v.flags as string[] | undefined) ?? (fd !== undefined ? ['shared'] : ['private', 'anonymous']);
        let flags = 0;
        for (const f of flagsList) {
          flags |= f === 'private' ? MAP_PRIVATE : f === 'shared' ? MAP_SHARED : f === 'anonymous' ? MAP_ANONYMOUS : f === 'fixed' ? MAP_FIXED
            : f === 'fixed_noreplace' ? MAP_FIXED_NOREPLACE : f === 'noreserve' ? MAP_NORESERVE : f === 'hugetlb' ? MAP_HUGETLB : MAP_POPULATE;
        }
        // what the model does not carry out (do_mmap refuses it too, for operations built without this loader)
        if (fd !== undefined && (flags & MAP_ANONYMOUS)) throw pos.error([...fpath, 'flags'], 'a mapping of a file (fd) is not anonymous: flags [shared] or [private]');
        if (fd === undefined && !(flags & MAP_ANONYMOUS)) throw pos.error([...fpath, 'flags'], 'a mapping without anonymous needs a file: fd (from memfd_create or open)');
        if (fd === undefined && v.offset !== undefined) throw pos.error([...fpath, 'offset'], 'offset is the file offset of a mapping of a file (fd)');
        if (flags & MAP_POPULATE) throw pos.error([...fpath, 'flags'], 'not modelled: MAP_POPULATE (the model does not prefault a new mapping; madvise populate_read and populate_write are modelled)');
        const addr = v.addr === undefined ? null : E('addr');
        if (addr && !(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))) flags |= MAP_FIXED_NOREPLACE;
        let align = 4096;
        if (v.align !== undefined) {
          try {
            align = Number(evalExpr(E('align'), () => undefined));
          } catch {
            throw pos.error([...fpath, 'align'], 'align must be a constant such as 2M');
          }
          // a power of two from 4K to 1T (exact in a double; no 32-bit bit tricks)
          if (!(align >= 4096 && align <= 2 ** 40 && Number.isInteger(Math.log2(align)))) {
            throw pos.error([...fpath, 'align'], `align must be a power of two from 4K to 1T, got 0x${align.toString(16)}`);
          }
        }
        const o: CompiledOp = { id, line, op: 'mmap', as: def(v.as), addr, len: E('len'), prot: protBits(v.prot as string), flags, align };
        if (fd !== undefined) {
          o.fd = fd;
          o.offset = v.offset === undefined ? { k: 'num', v: '0' } : E('offset');
        }
        return o;
      }
      case 'munmap': return { id, line, op: 'munmap', addr: E('addr'), len: E('len') };
      case 'mremap': {
        const fl = v.flags as string[];
        const flags = (fl.includes('maymove') ? MREMAP_MAYMOVE : 0) | (fl.includes('fixed') ? MREMAP_FIXED : 0) |
          (fl.includes('dontunmap') ? MREMAP_DONTUNMAP : 0) | (fl.includes('bit3') ? 8 : 0);
        if ((flags & MREMAP_FIXED) && v.new_addr === undefined) {
          throw pos.error([...fpath, 'new_addr'], 'flags [fixed] needs new_addr (the destination)');
        }
        const new_addr = v.new_addr === undefined ? null : E('new_addr');
        const as = def(v.as);
        // the new mapping is a mapping like mmap's (observe.mappings, smaps)
        if (as) names[as] = 'mmap';
        return { id, line, op: 'mremap', addr: E('addr'), old_len: E('old_len'), new_len: E('new_len'), flags, new_addr, as };
      }
      case 'mprotect': return { id, line, op: 'mprotect', addr: E('addr'), len: E('len'), prot: protBits(v.prot as string) };
      case 'reclaim': return { id, line, op: 'reclaim', addr: E('addr'), len: E('len') };
      case 'madvise': {
        const a = v.advice as MadviseName | MadviseName[];
        return { id, line, op: 'madvise', addr: E('addr'), len: E('len'), advice: Array.isArray(a) ? a : [a] };
      }
      case 'write': return { id, line, op: 'write', addr: E('addr'), value: E('value'), size: v.size as number };
      case 'memset': return { id, line, op: 'memset', addr: E('addr'), len: E('len'), value: v.value as number };
      case 'read': return { id, line, op: 'read', addr: E('addr'), len: E('len'), as: def(v.as) };
      case 'fork': return { id, line, op: 'fork', as: def(v.as)! };
      case 'exit': return { id, line, op: 'exit', status: typeof v === 'object' ? (v as { status: number }).status : (v as unknown as number) };
      case 'userfaultfd': {
        const fl = v.flags as string[];
        return {
          id, line, op: 'userfaultfd', as: def(v.as)!, nonblock: fl.includes('nonblock'), user_mode_only: fl.includes('user_mode_only'),
          via: v.via as 'syscall' | 'dev', api: v.api as boolean, features: features(v.features as UffdFeatureName[]),
          ...(fl.includes('bit1') ? { extra_flags: 2 } : {}),
        };
      }
      case 'uffdio_api': return { id, line, op: 'uffdio_api', uffd: v.uffd as string, api: v.api as number, features: features(v.features as UffdFeatureName[]) };
      case 'uffdio_register': {
        const m = v.mode as string[];
        const mode = (m.includes('missing') ? UFFDIO_REGISTER_MODE_MISSING : 0) | (m.includes('wp') ? UFFDIO_REGISTER_MODE_WP : 0) |
          (m.includes('minor') ? UFFDIO_REGISTER_MODE_MINOR : 0) | (m.includes('bit3') ? 8 : 0);
        return { id, line, op: 'uffdio_register', uffd: v.uffd as string, addr: E('addr'), len: E('len'), mode, as: def(v.as) };
      }
      case 'uffdio_unregister': return { id, line, op: 'uffdio_unregister', uffd: v.uffd as string, addr: E('addr'), len: E('len') };
      case 'uffdio_writeprotect': {
        const m = v.mode as string[];
        const mode = (m.includes('wp') ? UFFDIO_WRITEPROTECT_MODE_WP : 0) | (m.includes('dontwake') ? UFFDIO_WRITEPROTECT_MODE_DONTWAKE : 0) | (m.includes('bit2') ? 4 : 0);
        return { id, line, op: 'uffdio_writeprotect', uffd: v.uffd as string, addr: E('addr'), len: E('len'), mode };
      }
      case 'uffdio_copy': {
        const m = v.mode as string[];
        const mode = (m.includes('dontwake') ? UFFDIO_COPY_MODE_DONTWAKE : 0) | (m.includes('wp') ? UFFDIO_COPY_MODE_WP : 0);
        return { id, line, op: 'uffdio_copy', uffd: v.uffd as string, dst: E('dst'), src: E('src'), len: E('len'), mode };
      }
      case 'uffdio_zeropage': {
        const m = v.mode as string[];
        return { id, line, op: 'uffdio_zeropage', uffd: v.uffd as string, addr: E('addr'), len: E('len'), mode: m.includes('dontwake') ? UFFDIO_ZEROPAGE_MODE_DONTWAKE : 0 };
      }
      case 'uffdio_move': {
        const m = v.mode as string[];
        const mode = (m.includes('dontwake') ? UFFDIO_MOVE_MODE_DONTWAKE : 0) | (m.includes('allow_src_holes') ? UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES : 0) | (m.includes('bit2') ? 4 : 0);
        return { id, line, op: 'uffdio_move', uffd: v.uffd as string, dst: E('dst'), src: E('src'), len: E('len'), mode };
      }
      case 'uffdio_continue': {
        const m = v.mode as string[];
        const mode = (m.includes('dontwake') ? UFFDIO_CONTINUE_MODE_DONTWAKE : 0) | (m.includes('wp') ? UFFDIO_CONTINUE_MODE_WP : 0) | (m.includes('bit2') ? 4 : 0);
        return { id, line, op: 'uffdio_continue', uffd: v.uffd as string, addr: E('addr'), len: E('len'), mode };
      }
      case 'uffdio_poison': {
        const m = v.mode as string[];
        const mode = (m.includes('dontwake') ? UFFDIO_POISON_MODE_DONTWAKE : 0) | (m.includes('bit1') ? 2 : 0);
        return { id, line, op: 'uffdio_poison', uffd: v.uffd as string, addr: E('addr'), len: E('len'), mode };
      }
      case 'uffdio_wake': return { id, line, op: 'uffdio_wake', uffd: v.uffd as string, addr: E('addr'), len: E('len') };
      case 'read_uffd': {
        const fu = v.fork_uffd === undefined ? null : def(v.fork_uffd, 'fork_uffd');
        // a uffd, for the operations that name one
        if (fu) names[fu] = 'userfaultfd';
        return { id, line, op: 'read_uffd', uffd: v.uffd as string, as: def(v.as), size: v.size as number, ...(fu ? { fork_uffd: fu } : {}) };
      }
      case 'pagemap_scan': {
        const cats = (f: string) => (v[f] as string[]).reduce((acc, n) => acc | (n === 'bit9' ? 1 << 9 : PAGE_IS[n as PageIsName]), 0);
        const fl = v.flags as string[];
        return {
          id, line, op: 'pagemap_scan', addr: E('addr'), len: E('len'),
          flags: (fl.includes('wp_matching') ? PM_SCAN_WP_MATCHING : 0) | (fl.includes('check_wpasync') ? PM_SCAN_CHECK_WPASYNC : 0) | (fl.includes('bit2') ? 4 : 0),
          category_mask: cats('category_mask'), category_inverted: cats('category_inverted'), category_anyof_mask: cats('category_anyof'),
          return_mask: cats('return_mask'), max_pages: v.max_pages as number, vec_len: v.vec_len as number, size: v.size as number,
        };
      }
      case 'clear_refs': {
        const x = typeof v === 'object' ? (v as { value: number | string }).value : (v as unknown as number | string);
        return typeof x === 'string' ? { id, line, op: 'clear_refs', value: 0, text: x } : { id, line, op: 'clear_refs', value: x };
      }
      case 'split_huge_page': return { id, line, op: 'split_huge_page', addr: E('addr'), len: E('len') };
      case 'pin': {
        const fl = v.flags as string[];
        const foll = (fl.includes('write') ? FOLL_WRITE : 0) | (fl.includes('force') ? FOLL_FORCE : 0) | (fl.includes('longterm') ? FOLL_LONGTERM : 0) |
          (fl.includes('get') ? FOLL_GET : FOLL_PIN);
        return { id, line, op: 'pin', addr: E('addr'), len: E('len'), foll, fast: fl.includes('fast'), as: def(v.as)! };
      }
      case 'unpin': {
        const h = typeof v === 'string' ? v : (v as { pin: string }).pin;
        if (names[h] !== 'pin') throw pos.error(typeof v === 'string' ? fpath : [...fpath, 'pin'], `'${h}' is not a handle defined by pin`);
        return { id, line, op: 'unpin', pin: h };
      }
      case 'pin_read': {
        const h = v.pin as string;
        if (names[h] !== 'pin' && names[h] !== 'vmsplice') throw pos.error([...fpath, 'pin'], `'${h}' is not a handle defined by pin or vmsplice`);
        return { id, line, op: 'pin_read', pin: h, as: def(v.as) };
      }
      case 'vmsplice': return { id, line, op: 'vmsplice', addr: E('addr'), len: E('len'), as: def(v.as)! };
      case 'read_pipe': {
        const h = v.pipe as string;
        if (names[h] !== 'vmsplice') throw pos.error([...fpath, 'pipe'], `'${h}' is not a pipe defined by vmsplice`);
        return { id, line, op: 'read_pipe', pipe: h, as: def(v.as) };
      }
      case 'proc_mem_write': return { id, line, op: 'proc_mem_write', addr: E('addr'), value: E('value'), size: v.size as number };
      case 'proc_mem_read': return { id, line, op: 'proc_mem_read', addr: E('addr'), len: E('len'), as: def(v.as) };
      case 'swapon': return { id, line, op: 'swapon', pages: typeof v === 'object' ? (v as { pages: number }).pages : (v as unknown as number) };
      case 'swapoff': return { id, line, op: 'swapoff' };
      case 'migrate': return { id, line, op: 'migrate', addr: E('addr'), len: E('len') };
      case 'khugepaged': return { id, line, op: 'khugepaged', addr: E('addr') };
      case 'move_pages': {
        const pages = (v.pages as unknown[]).map((x, i) => expr(pos, [...fpath, 'pages', i], x));
        const nv = v.nodes as number | number[];
        const nodes = Array.isArray(nv) ? nv : pages.map(() => nv);
        if (nodes.length !== pages.length) throw pos.error([...fpath, 'nodes'], `one node per page: ${pages.length} pages, ${nodes.length} nodes`);
        const fl = v.flags as string[];
        const flags = (fl.includes('bit0') ? 1 : 0) | (fl.includes('move') ? 2 : 0) | (fl.includes('move_all') ? 4 : 0);
        return { id, line, op: 'move_pages', pages, nodes, flags };
      }
      case 'hmm_migrate': return { id, line, op: 'hmm_migrate', addr: E('addr'), len: E('len'), to: 'coherent' };
      case 'mincore': return { id, line, op: 'mincore', addr: E('addr'), len: E('len') };
      case 'poll_uffd': return { id, line, op: 'poll_uffd', uffd: typeof v === 'string' ? v : (v as { uffd: string }).uffd };
      case 'close': {
        // a uffd or a file: the name says which (a file's close is checked here, a uffd's with the other uffd fields)
        const h = typeof v === 'string' ? v : (v as { uffd?: string; fd?: string }).uffd ?? (v as { fd: string }).fd;
        const file = names[h] === 'memfd_create' || names[h] === 'open';
        if (!file && typeof v === 'object' && (v as { fd?: string }).fd !== undefined) throw pos.error([...fpath, 'fd'], `'${h}' is not a file defined by memfd_create or open`);
        return file ? { id, line, op: 'close', uffd: h, file: true } : { id, line, op: 'close', uffd: h };
      }
      case 'memfd_create': {
        let flags = 0;
        for (const f of v.flags as string[]) flags |= f === 'cloexec' ? 1 : f === 'allow_sealing' ? 2 : f === 'hugetlb' ? 4 : f === 'noexec_seal' ? 8 : f === 'exec' ? 0x10 : 0x20;
        return { id, line, op: 'memfd_create', as: def(v.as)!, name: v.name as string, flags };
      }
      case 'open': {
        const fl = v.flags as string[];
        const acc = fl.filter((f) => f !== 'create');
        if (acc.length !== 1) throw pos.error([...fpath, 'flags'], 'exactly one of rdonly, wronly and rdwr');
        const flags = (acc[0] === 'rdonly' ? 0 : acc[0] === 'wronly' ? 1 : 2) | (fl.includes('create') ? 0x40 : 0);
        return v.fs === 'hugetlbfs' ? { id, line, op: 'open', as: def(v.as)!, path: v.path as string, flags, hugetlbfs: true } : { id, line, op: 'open', as: def(v.as)!, path: v.path as string, flags };
      }
      case 'ftruncate': return { id, line, op: 'ftruncate', fd: fileName(v.fd as string), len: E('len') };
      case 'fallocate': {
        const md = v.mode as string[];
        const mode = (md.includes('keep_size') ? 1 : 0) | (md.includes('punch_hole') ? 2 : 0) | (md.includes('bit2') ? 4 : 0);
        return { id, line, op: 'fallocate', fd: fileName(v.fd as string), mode, offset: E('offset'), len: E('len') };
      }
      case 'pwrite': return { id, line, op: 'pwrite', fd: fileName(v.fd as string), offset: E('offset'), len: E('len'), value: v.value as number };
      case 'pread': return { id, line, op: 'pread', fd: fileName(v.fd as string), offset: E('offset'), len: E('len'), as: def(v.as) };
      case 'setuid': {
        const o = typeof v === 'object' ? (v as { uid: number; gid?: number }) : { uid: v as unknown as number };
        return { id, line, op: 'setuid', uid: o.uid, gid: o.gid ?? o.uid };
      }
      case 'checkpoint': {
        const n = typeof v === 'string' ? v : (v as { name: string }).name;
        if (checkpoints.includes(n)) throw pos.error(fpath, `checkpoint '${n}' is already defined`);
        checkpoints.push(n);
        return { id, line, op: 'checkpoint', name: n };
      }
    }
  };

  const setup = compileOps(raw.setup, ['setup'], 'setup');
  // fixed mappings in the setup must not overlap (a scenario error, not an outcome)
  const fixed: { name: string; start: bigint; end: bigint }[] = [];
  setup.forEach((op, i) => {
    if (op.op === 'munmap' || op.op === 'mremap') fixed.length = 0; // a later mapping may reuse the space
    if (op.op !== 'mmap' || !op.addr) return;
    let start: bigint, len: bigint;
    try {
      start = evalExpr(op.addr, () => undefined);
      len = evalExpr(op.len, () => undefined);
    } catch {
      return;
    }
    const end = start + ((len + 4095n) / 4096n) * 4096n;
    const other = fixed.find((f) => start < f.end && end > f.start);
    if (other) {
      throw pos.error(['setup', i, 'mmap', 'addr'], `mapping [0x${start.toString(16)}, 0x${end.toString(16)}) overlaps '${other.name}' [0x${other.start.toString(16)}, 0x${other.end.toString(16)})`);
    }
    fixed.push({ name: op.as ?? op.id, start, end });
  });
  const threads: CompiledThread[] = [];
  if (raw.threads !== undefined) {
    if (!raw.threads || typeof raw.threads !== 'object' || Array.isArray(raw.threads)) throw pos.error(['threads'], 'expected a map of thread name -> list of operations');
    for (const [tname, body] of Object.entries(raw.threads as Record<string, unknown>)) {
      if (!/^[A-Za-z_]\w*$/.test(tname)) throw pos.error(['threads', tname], `thread name '${tname}' must be letters, digits and _`);
      if (tname === 'setup') throw pos.error(['threads', tname], "'setup' is reserved");
      let ops: unknown = body, proc = 'main', loop = false;
      const bpath: (string | number)[] = ['threads', tname];
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        const b = body as Record<string, unknown>;
        for (const k of Object.keys(b)) if (k !== 'process' && k !== 'ops' && k !== 'loop') throw pos.error([...bpath, k], `unknown field '${k}'; a thread is a list of operations or { process, ops, loop }`);
        if (b.loop !== undefined && typeof b.loop !== 'boolean') throw pos.error([...bpath, 'loop'], 'expected true or false');
        ops = b.ops;
        proc = typeof b.process === 'string' ? b.process : 'main';
        loop = b.loop === true;
        bpath.push('ops');
      }
      const compiled = compileOps(ops, bpath, tname);
      if (loop && compiled.length === 0) throw pos.error(bpath, 'a loop thread needs at least one operation');
      threads.push(loop ? { name: tname, process: proc, ops: compiled, loop } : { name: tname, process: proc, ops: compiled });
    }
  }
  // every name an operation refers to must be defined by some operation
  const allOps: { op: CompiledOp; path: (string | number)[] }[] = [];
  setup.forEach((op, i) => allOps.push({ op, path: ['setup', i] }));
  for (const t of threads) {
    const base = (raw.threads as Record<string, unknown>)[t.name];
    const bp: (string | number)[] = Array.isArray(base) ? ['threads', t.name] : ['threads', t.name, 'ops'];
    t.ops.forEach((op, i) => allOps.push({ op, path: [...bp, i] }));
    if (t.process !== 'main' && names[t.process] !== 'fork') throw pos.error(['threads', t.name, 'process'], `process '${t.process}' is not defined by a fork`);
  }
  checkExits(pos, setup, threads, raw.threads as Record<string, unknown> | undefined);
  const ids = new Set<string>();
  const opKinds = new Map<string, OpName>();
  for (const { op, path } of allOps) {
    if (ids.has(op.id)) throw pos.error([...path, op.op, 'id'], `operation id '${op.id}' is used twice`);
    ids.add(op.id);
    opKinds.set(op.id, op.op);
    for (const [f, val] of Object.entries(op)) {
      if (val && typeof val === 'object' && 'k' in (val as object)) {
        for (const s of exprSymbols(val as Expr)) {
          if (!names[s]) throw pos.error([...path, op.op, f], `unknown name '${s}' (define it with 'as:' in an earlier operation)`);
        }
      }
      if (f === 'uffd' && typeof val === 'string' && names[val] !== 'userfaultfd' && !(op.op === 'close' && 'file' in op)) {
        throw pos.error([...path, op.op, f], `'${val}' is not a userfaultfd (create one with userfaultfd: { as: ${val} })`);
      }
    }
  }

  // expectations
  const pages = new Map<string, { expr: Expr; process: string }>();
  const mems = new Map<string, { expr: Expr; size: number }>();
  const mappings: string[] = [];
  const copyChecks: { buffer: string; at: string }[] = [];
  const pfnChecks: PfnCheck[] = [];
  const preds = { pages, mems, mappings, names, checkpoints, ids, opKinds, threads: threads.map((t) => t.name), copyChecks, pfnChecks };
  const expect: Expectation[] = [];
  if (raw.expect !== undefined) {
    if (!Array.isArray(raw.expect)) throw pos.error(['expect'], 'expected a list of expectations');
    raw.expect.forEach((item, i) => {
      const path = ['expect', i];
      if (item && typeof item === 'object' && ('when' in item || 'that' in item)) {
        const it = item as Record<string, unknown>;
        for (const k of Object.keys(it)) if (k !== 'when' && k !== 'that') throw pos.error([...path, k], `unknown field '${k}'; expected when, that`);
        const when = compileWhen(pos, [...path, 'when'], it.when);
        const that = it.that;
        if (!Array.isArray(that)) throw pos.error([...path, 'that'], 'expected a list of expectations');
        that.forEach((p, j) => expect.push({ when, pred: compilePred(pos, [...path, 'that', j], p, preds), line: pos.line([...path, 'that', j]), text: pos.source([...path, 'that', j], p) }));
      } else {
        expect.push({ when: null, pred: compilePred(pos, path, item, preds), line: pos.line(path), text: pos.source(path, item) });
      }
    });
  }
  let condition: Condition | null = null;
  if (raw.condition !== undefined) {
    const c = raw.condition as Record<string, unknown>;
    const keys = c && typeof c === 'object' ? Object.keys(c) : [];
    if (keys.length !== 1 || !['exists', 'forall', 'never'].includes(keys[0]!)) throw pos.error(['condition'], 'expected { exists | forall | never: <expectation> }');
    const kind = keys[0] as Condition['kind'];
    condition = { kind, pred: compilePred(pos, ['condition', kind], c[kind], preds), line: pos.line(['condition']), text: pos.source(['condition', kind], c[kind]), name: 'condition' };
  }
  const verdicts = compileVerdicts(pos, ['verdict'], raw.verdict);
  if (condition) condition.verdicts = verdicts;
  else if (verdicts.length) throw pos.error(['verdict'], "a top-level 'verdict' belongs to a 'condition' (or give each of 'conditions' its own)");
  // conditions: [{ name, exists|forall|never: <expectation>, verdict?: [{ when?, is }] }]
  const conditions: Condition[] = condition ? [condition] : [];
  if (raw.conditions !== undefined) {
    if (!Array.isArray(raw.conditions)) throw pos.error(['conditions'], 'expected a list of { name, exists | forall | never: <expectation>, verdict? }');
    raw.conditions.forEach((item, i) => {
      const path = ['conditions', i];
      if (!item || typeof item !== 'object' || Array.isArray(item)) throw pos.error(path, 'expected { name, exists | forall | never: <expectation>, verdict? }');
      const c = item as Record<string, unknown>;
      const kinds = Object.keys(c).filter((k) => ['exists', 'forall', 'never'].includes(k));
      for (const k of Object.keys(c)) if (!['name', 'verdict', 'exists', 'forall', 'never'].includes(k)) throw pos.error([...path, k], `unknown field '${k}'; expected name, exists | forall | never, verdict`);
      if (kinds.length !== 1) throw pos.error(path, 'a condition has exactly one of exists, forall, never');
      if (typeof c.name !== 'string' || !/^[A-Za-z_][\w-]*$/.test(c.name)) throw pos.error([...path, 'name'], 'a condition needs a name (letters, digits, _ and -)');
      if (conditions.some((x) => x.name === c.name)) throw pos.error([...path, 'name'], `condition '${c.name}' is already defined`);
      const kind = kinds[0] as Condition['kind'];
      conditions.push({
        kind, pred: compilePred(pos, [...path, kind], c[kind], preds), line: pos.line(path), text: pos.source([...path, kind], c[kind]), name: c.name,
        verdicts: compileVerdicts(pos, [...path, 'verdict'], c.verdict),
      });
    });
  }
  // observe: extra addresses and mappings reported in every snapshot
  if (raw.observe !== undefined) {
    const o = raw.observe as Record<string, unknown>;
    if (!o || typeof o !== 'object') throw pos.error(['observe'], 'expected { pages: [...], mappings: [...], process? }');
    for (const k of Object.keys(o)) if (k !== 'pages' && k !== 'mappings' && k !== 'process') throw pos.error(['observe', k], `unknown field '${k}'; expected pages, mappings, process`);
    if (o.pages !== undefined && !Array.isArray(o.pages)) throw pos.error(['observe', 'pages'], 'expected a list of addresses (or { addr, process })');
    if (o.mappings !== undefined && o.mappings !== null && !Array.isArray(o.mappings)) throw pos.error(['observe', 'mappings'], 'expected a list of mapping names');
    // a process name: main, or one defined by fork
    const procName = (v: unknown, path: (string | number)[]) => {
      if (typeof v !== 'string' || (v !== 'main' && names[v] !== 'fork')) throw pos.error(path, `'${String(v)}' is not a process (main, or a name defined by fork)`);
      return v;
    };
    // process: the processes whose pages every plain entry of `pages` stands for (default main)
    const procs = o.process === undefined ? ['main'] : Array.isArray(o.process)
      ? o.process.map((p, i) => procName(p, ['observe', 'process', i])) : [procName(o.process, ['observe', 'process'])];
    const observePage = (e: Expr, proc: string) => pages.set(proc === 'main' ? exprToString(e) : `${proc}:${exprToString(e)}`, { expr: e, process: proc });
    ((o.pages as unknown[]) ?? []).forEach((p, i) => {
      const path = ['observe', 'pages', i];
      let e: Expr;
      let these = procs;
      if (p && typeof p === 'object' && !Array.isArray(p)) {
        const q = p as Record<string, unknown>;
        for (const k of Object.keys(q)) if (k !== 'addr' && k !== 'process') throw pos.error([...path, k], `unknown field '${k}'; expected { addr, process }`);
        if (q.addr === undefined) throw pos.error(path, 'missing required field addr ({ addr, process })');
        e = expr(pos, [...path, 'addr'], q.addr);
        if (q.process !== undefined) these = [procName(q.process, [...path, 'process'])];
        for (const s of exprSymbols(e)) if (!names[s]) throw pos.error([...path, 'addr'], `unknown name '${s}'`);
      } else {
        e = expr(pos, path, p);
        for (const s of exprSymbols(e)) if (!names[s]) throw pos.error(path, `unknown name '${s}'`);
      }
      for (const proc of these) observePage(e, proc);
    });
    ((o.mappings as unknown[]) ?? []).forEach((m, i) => {
      if (typeof m !== 'string' || names[m] !== 'mmap') throw pos.error(['observe', 'mappings', i], `'${String(m)}' is not a mapping defined by mmap`);
      if (!mappings.includes(m)) mappings.push(m);
    });
  }
  for (const [n, kind] of Object.entries(names)) if (kind === 'mmap' && !mappings.includes(n)) mappings.push(n);
  if (raw.kernel !== undefined && typeof raw.kernel !== 'string') throw pos.error(['kernel'], 'expected a kernel profile name');
  if (typeof raw.kernel === 'string') {
    try {
      resolveKernel(raw.kernel);
    } catch (e) {
      if (e instanceof SpecError) throw pos.error(['kernel'], e.message);
      throw e;
    }
  }
  const config: string[] = [];
  const configAt: Record<string, { line: number; col: number }> = {};
  if (raw.config !== undefined) {
    if (!raw.config || typeof raw.config !== 'object' || Array.isArray(raw.config)) throw pos.error(['config'], 'expected a map of config overrides');
    for (const [k, v] of Object.entries(raw.config as Record<string, unknown>)) {
      if (!CONFIG_KEYS.includes(k as never)) throw pos.error(['config', k], `unknown config key '${k}'; known: ${CONFIG_KEYS.join(', ')}`);
      const text = v === true ? 'y' : v === false ? 'n' : String(v);
      if (parseConfigValue(k as (typeof CONFIG_KEYS)[number], text) === undefined) throw pos.error(['config', k], `bad value '${text}' for config ${k}`);
      config.push(`${k}=${text}`);
      const at = pos.errorAtKey(['config', k], '');
      configAt[k] = { line: at.line, col: at.col };
    }
  }
  let bug: CompiledScenario['bug'] = null;
  if (raw.bug !== undefined) {
    const b = raw.bug as Record<string, unknown>;
    if (!b || typeof b !== 'object' || typeof b.fixed_by !== 'string' || b.corpus === undefined) throw pos.error(['bug'], 'expected { corpus: <entry>, fixed_by: <patch id>, fix: <commit>, before: <kernel>, after: <kernel> }');
    for (const k of Object.keys(b)) if (!['corpus', 'fixed_by', 'fix', 'before', 'after'].includes(k)) throw pos.errorAtKey(['bug', k], `unknown field '${k}'; known: corpus, fixed_by, fix, before, after`);
    const row = patchById(b.fixed_by);
    if (!row) throw pos.error(['bug', 'fixed_by'], `unknown patch '${b.fixed_by}'`);
    if (b.fix !== undefined && String(b.fix) !== row.commit) throw pos.error(['bug', 'fix'], `'${String(b.fix)}' is not the commit of patch '${row.id}' (${row.commit || 'none'})`);
    const side = (k: 'before' | 'after'): string | null => {
      const v = b[k];
      if (v === undefined) return null;
      if (typeof v !== 'string') throw pos.error(['bug', k], 'expected a kernel profile (PROFILE or PROFILE-patch)');
      let has: boolean;
      try {
        has = resolveKernel(v).patches.has(row);
      } catch (e) {
        if (e instanceof SpecError) throw pos.error(['bug', k], e.message);
        throw e;
      }
      if (k === 'before' && has) throw pos.error(['bug', k], `kernel '${v}' already has the fix '${row.id}'`);
      if (k === 'after' && !has) throw pos.error(['bug', k], `kernel '${v}' does not have the fix '${row.id}'`);
      return v;
    };
    bug = { corpus: String(b.corpus), fixed_by: row.id, fix: row.commit, before: side('before'), after: side('after') };
  }
  let schedule: string | undefined;
  if (raw.schedule !== undefined) {
    if (typeof raw.schedule !== 'string') throw pos.error(['schedule'], 'expected a schedule such as "writer reader*3 writer" (as --schedule takes)');
    // the thread names it uses (sched/schedule.ts parses the rest when the run starts)
    const steps = raw.schedule.match(/[A-Za-z_]\w*/g) ?? [];
    if (steps.length === 0) throw pos.error(['schedule'], 'expected a schedule such as "writer reader*3 writer" (as --schedule takes)');
    for (const n of steps) if (!threads.some((t) => t.name === n)) throw pos.error(['schedule'], `'${n}' is not a thread of this scenario`);
    schedule = raw.schedule;
  }
  return {
    ...(schedule !== undefined ? { schedule, scheduleAt: { line: pos.line(['schedule']), col: pos.col(['schedule']) } } : {}),
    bug, version: 1, file, name: raw.name, description: typeof raw.description === 'string' ? raw.description.trim() : '',
    kernel: (raw.kernel as string | undefined) ?? null, config, ...(config.length ? { configAt } : {}), pages: [...pages].map(([key, v]) => ({ key, expr: v.expr, process: v.process })),
    mems: [...mems].map(([key, v]) => ({ key, expr: v.expr, size: v.size })),
    mappings, setup, threads, expect, condition, verdicts, checkpoints, names, conditions, pfnChecks,
    images: [...new Set(copyChecks.map((c) => c.at))], copyChecks: dedupeChecks(copyChecks),
  };
}

function dedupeChecks(cs: { buffer: string; at: string }[]): { buffer: string; at: string }[] {
  const seen = new Set<string>();
  return cs.filter((c) => !seen.has(`${c.buffer}@${c.at}`) && seen.add(`${c.buffer}@${c.at}`) !== undefined);
}

const VERDICTS = ['Always', 'Sometimes', 'Never'];

/** verdict: [{ when?, is: Always | Sometimes | Never | [Sometimes, Always] }] */
function compileVerdicts(pos: Positions, path: (string | number)[], raw: unknown): VerdictExpectation[] {
  const out: VerdictExpectation[] = [];
  if (raw === undefined) return out;
  if (!Array.isArray(raw)) throw pos.error(path, 'expected a list of { when, is: Always|Sometimes|Never }');
  raw.forEach((v, i) => {
    const r = v as Record<string, unknown>;
    if (!r || typeof r !== 'object') throw pos.error([...path, i], 'expected { when, is: Always|Sometimes|Never }');
    for (const k of Object.keys(r)) if (k !== 'when' && k !== 'is') throw pos.error([...path, i, k], `unknown field '${k}'; expected when, is`);
    const list = Array.isArray(r.is) ? r.is.map(String) : [String(r.is)];
    if (list.length === 0 || !list.every((x) => VERDICTS.includes(x))) throw pos.error([...path, i, 'is'], 'expected is: Always | Sometimes | Never (or a list of them)');
    const anyOf = list as Verdict[];
    out.push({ when: compileWhen(pos, [...path, i, 'when'], r.when), verdict: anyOf[0]!, anyOf, line: pos.line([...path, i]) });
  });
  return out;
}

function textOf(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? (x >= 4096n ? '0x' + x.toString(16) : Number(x)) : x)).replace(/"/g, '').replace(/,/g, ', ').replace(/:/g, ': ');
}

/** a profile with patch edits ("v4.19-uffd-wp-2018+peterx-2018-pagedirty") that resolves */
function isKernelSpec(name: string): boolean {
  try {
    resolveKernel(name);
    return true;
  } catch {
    return false;
  }
}

function compileWhen(pos: Positions, path: (string | number)[], w: unknown): When | null {
  if (w === undefined || w === null) return null;
  if (typeof w !== 'object' || Array.isArray(w)) throw pos.error(path, 'expected { kernel?, has?, lacks?, config?, not? }');
  const o = w as Record<string, unknown>;
  const out: When = {};
  for (const [k, v] of Object.entries(o)) {
    const list = (x: unknown) => (Array.isArray(x) ? x.map(String) : [String(x)]);
    if (k === 'kernel') {
      out.kernel = list(v);
      out.kernel.forEach((name, i) => {
        if (!PROFILES.some((p) => p.name === name) && !isKernelSpec(name)) throw pos.error([...path, k, ...(Array.isArray(v) ? [i] : [])], `unknown kernel profile '${name}'; known: ${PROFILES.map((p) => p.name).join(', ')}`);
      });
    }
    else if (k === 'has' || k === 'lacks') {
      out[k] = list(v);
      out[k]!.forEach((id, i) => { if (!patchById(id)) throw pos.error([...path, k, i], `unknown patch '${id}'`); });
    } else if (k === 'config') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw pos.error([...path, k], 'expected a map of config keys, e.g. { zero_page: n }');
      for (const a of Object.keys(v)) {
        if (!CONFIG_KEYS.includes(a as never)) throw pos.error([...path, k, a], `unknown config key '${a}'; known: ${CONFIG_KEYS.join(', ')}`);
      }
      out.config = Object.fromEntries(Object.entries(v as object).map(([a, b]) => [a, b === true ? 'y' : b === false ? 'n' : String(b)]));
    } else if (k === 'not') {
      const inner = compileWhen(pos, [...path, k], v);
      if (inner) out.not = inner;
    } else throw pos.error([...path, k], `unknown field '${k}'; expected kernel, has, lacks, config, not`);
  }
  return out;
}

interface PredCtx {
  copyChecks: { buffer: string; at: string }[];
  pages: Map<string, { expr: Expr; process: string }>;
  mems: Map<string, { expr: Expr; size: number }>;
  mappings: string[];
  names: Record<string, OpName>;
  checkpoints: string[];
  ids: Set<string>;
  /** the operation kind of each id */
  opKinds: Map<string, OpName>;
  threads: string[];
  pfnChecks: PfnCheck[];
}

function compilePred(pos: Positions, path: (string | number)[], item: unknown, c: PredCtx): Pred {
  if (!item || typeof item !== 'object' || Array.isArray(item)) throw pos.error(path, `expected an expectation map, got ${describeType(item)}`);
  const o = item as Record<string, unknown>;
  if ('not' in o) {
    if (Object.keys(o).length !== 1) throw pos.error(path, "'not' stands alone");
    return { p: 'not', x: compilePred(pos, [...path, 'not'], o.not, c) };
  }
  for (const comb of ['all', 'any'] as const) {
    if (comb in o) {
      if (!Array.isArray(o[comb])) throw pos.error([...path, comb], 'expected a list');
      return { p: comb, xs: (o[comb] as unknown[]).map((x, i) => compilePred(pos, [...path, comb, i], x, c)) };
    }
  }
  const key = PRED_KEYS.find((k) => k in o) as PredKey | undefined;
  if (!key) throw pos.error(path, `unknown expectation; it needs one of: ${PRED_KEYS.join(', ')}, not, all, any`);
  const v = check(pos, path, PRED_SCHEMAS[key] as ZodType<unknown>, o) as Record<string, unknown>;
  const atName = (v.at as string | undefined) ?? 'final';
  if (atName !== 'final' && !c.checkpoints.includes(atName)) throw pos.error([...path, 'at'], `unknown checkpoint '${atName}'`);
  const proc = (v.process as string | undefined) ?? 'main';
  if (proc !== 'main' && c.names[proc] !== 'fork') throw pos.error([...path, 'process'], `'${proc}' is not a process defined by fork`);
  let pageKey = '';
  const addr = (f: string) => {
    const e = expr(pos, [...path, f], v[f]);
    for (const s of exprSymbols(e)) if (!c.names[s]) throw pos.error([...path, f], `unknown name '${s}'`);
    pageKey = proc === 'main' ? exprToString(e) : `${proc}:${exprToString(e)}`;
    c.pages.set(pageKey, { expr: e, process: proc });
    return e;
  };
  const big = (x: unknown) => (x === undefined ? undefined : BigInt(x as bigint | number));
  switch (key) {
    case 'thread': {
      const t = v.thread as string;
      if (!c.threads.includes(t)) throw pos.error([...path, 'thread'], `unknown thread '${t}'; threads: ${c.threads.join(', ')}`);
      const parts: Pred[] = [];
      if (v.signal !== undefined) parts.push({ p: 'signal', thread: t, sig: v.signal === 'none' ? null : (v.signal as string) });
      if (v.minflt !== undefined || v.majflt !== undefined) parts.push({ p: 'faults', thread: t, minflt: v.minflt as number | undefined, majflt: v.majflt as number | undefined });
      if (v.state !== undefined) parts.push({ p: 'state', thread: t, state: v.state as string });
      if (parts.length === 0) throw pos.error(path, 'say what of the thread: signal, minflt, majflt or state');
      return parts.length === 1 ? parts[0]! : { p: 'all', xs: parts };
    }
    case 'op': {
      const id = v.op as string;
      if (!c.ids.has(id)) throw pos.error([...path, 'op'], `unknown operation id '${id}'`);
      // which fields the operation writes back into its argument struct (also when it fails)
      const kind = c.opKinds.get(id)!;
      const OUT_FIELDS: Record<string, OpName> = { copy: 'uffdio_copy', zeropage: 'uffdio_zeropage', move: 'uffdio_move', mapped: 'uffdio_continue', updated: 'uffdio_poison', walk_end: 'pagemap_scan', regions: 'pagemap_scan' };
      if (v.scan !== undefined && kind !== 'khugepaged') throw pos.errorAtKey([...path, 'scan'], `'scan' is a field of khugepaged, and ${id} is ${kind}`);
      const outs = Object.keys(OUT_FIELDS).filter((f) => v[f] !== undefined);
      for (const f of outs) if (OUT_FIELDS[f] !== kind) throw pos.errorAtKey([...path, f], `'${f}' is a field of ${OUT_FIELDS[f]}, and ${id} is ${kind}`);
      const parts: Pred[] = [];
      if (v.status !== undefined && kind !== 'move_pages' && kind !== 'mincore') throw pos.errorAtKey([...path, 'status'], `'status' is a field of move_pages and mincore, and ${id} is ${kind}`);
      if (v.errno !== undefined || (v.result === undefined && v.scan === undefined && v.status === undefined && outs.length === 0)) {
        parts.push({ p: 'errno', op: id, errno: v.errno === undefined || v.errno === 'none' ? null : (v.errno as string) });
      }
      if (v.result !== undefined) parts.push({ p: 'result', op: id, value: expr(pos, [...path, 'result'], v.result) });
      if (v.scan !== undefined) parts.push({ p: 'scan', op: id, value: v.scan as string });
      if (v.status !== undefined) {
        const value = (v.status as (number | string)[]).map((x, i) => {
          if (typeof x === 'number') return String(x);
          if (x !== '?' && (ERRNO as Record<string, number>)[x.slice(1)] === undefined) throw pos.error([...path, 'status', i], `unknown errno '${x.slice(1)}'; known: ${Object.keys(ERRNO).join(', ')}`);
          return x;
        });
        parts.push({ p: 'status', op: id, value });
      }
      if (outs.length) {
        const checked = (f: string, e: Expr) => {
          for (const sym of exprSymbols(e)) if (!c.names[sym]) throw pos.error([...path, f], `unknown name '${sym}'`);
          return e;
        };
        const signed = (f: string): Signed => {
          const x = v[f];
          if (typeof x === 'string' && /^\s*-\s*E[A-Z0-9]+\s*$/.test(x)) {
            const name = x.replace(/[\s-]/g, '');
            const n = (ERRNO as Record<string, number>)[name];
            if (n === undefined) throw pos.error([...path, f], `unknown errno '${name}'; known: ${Object.keys(ERRNO).join(', ')}`);
            return { neg: true, e: { k: 'num', v: String(n) } };
          }
          if ((typeof x === 'number' || typeof x === 'bigint') && x < 0) return { neg: true, e: { k: 'num', v: (-BigInt(x)).toString() } };
          return { neg: false, e: checked(f, expr(pos, [...path, f], x)) };
        };
        const out: Extract<Pred, { p: 'out' }> = { p: 'out', op: id };
        if (v.copy !== undefined) out.copy = signed('copy');
        if (v.zeropage !== undefined) out.zeropage = signed('zeropage');
        if (v.move !== undefined) out.move = signed('move');
        if (v.mapped !== undefined) out.mapped = signed('mapped');
        if (v.updated !== undefined) out.updated = signed('updated');
        if (v.walk_end !== undefined) out.walk_end = checked('walk_end', expr(pos, [...path, 'walk_end'], v.walk_end));
        if (v.regions !== undefined) {
          out.regions = (v.regions as { start: unknown; end: unknown; categories: string[] | number }[]).map((r, i) => ({
            start: checked(`regions.${i}.start`, expr(pos, [...path, 'regions', i, 'start'], r.start)),
            end: checked(`regions.${i}.end`, expr(pos, [...path, 'regions', i, 'end'], r.end)),
            categories: typeof r.categories === 'number' ? r.categories : r.categories.reduce((a, n) => a | (n === 'bit9' ? 1 << 9 : PAGE_IS[n as PageIsName]), 0),
          }));
        }
        parts.push(out);
      }
      return parts.length === 1 ? parts[0]! : { p: 'all', xs: parts };
    }
    case 'mem': {
      const e = expr(pos, [...path, 'mem'], v.mem);
      for (const sym of exprSymbols(e)) if (!c.names[sym]) throw pos.error([...path, 'mem'], `unknown name '${sym}'`);
      const mkey = `${exprToString(e)}/${v.size as number}`;
      c.mems.set(mkey, { expr: e, size: v.size as number });
      return { p: 'mem', key: mkey, addr: e, size: v.size as number, value: expr(pos, [...path, 'value'], v.value), at: atName };
    }
    case 'pagemap': {
      const e = addr('pagemap');
      const pred: Extract<Pred, { p: 'pagemap' }> = { p: 'pagemap', addr: e, key: pageKey, has: v.has as never, lacks: v.lacks as never, index: v.index as number | undefined, at: atName };
      if (v.same_pfn_as !== undefined && v.new_pfn_since !== undefined) throw pos.error(path, 'say same_pfn_as or new_pfn_since, not both');
      const f = v.same_pfn_as !== undefined ? 'same_pfn_as' : v.new_pfn_since !== undefined ? 'new_pfn_since' : null;
      if (f) {
        // a checkpoint name, or { at?, process?, addr? }: another page, or the same one elsewhen
        const ref = (typeof v[f] === 'string' ? { at: v[f] } : v[f]) as { at?: string; process?: string; addr?: unknown };
        const since = ref.at ?? atName;
        const fpath = typeof v[f] === 'string' ? [...path, f] : [...path, f, 'at'];
        if (since !== 'final' && !c.checkpoints.includes(since)) throw pos.error(fpath, `unknown checkpoint '${since}'`);
        const oproc = ref.process ?? proc;
        if (oproc !== 'main' && c.names[oproc] !== 'fork') throw pos.error([...path, f, 'process'], `'${oproc}' is not a process defined by fork`);
        let other = pageKey;
        if (ref.addr !== undefined || oproc !== proc) {
          const oe = ref.addr === undefined ? e : expr(pos, [...path, f, 'addr'], ref.addr);
          for (const sym of exprSymbols(oe)) if (!c.names[sym]) throw pos.error([...path, f, 'addr'], `unknown name '${sym}'`);
          other = oproc === 'main' ? exprToString(oe) : `${oproc}:${exprToString(oe)}`;
          c.pages.set(other, { expr: oe, process: oproc });
        }
        if (other === pageKey && since === atName) throw pos.error(fpath, `that is the page itself at '${since}': name another checkpoint, process or addr`);
        pred.pfn = { same: f === 'same_pfn_as', other, since };
        if (!c.pfnChecks.some((x) => x.key === pageKey && x.at === atName && x.other === other && x.since === since)) c.pfnChecks.push({ key: pageKey, at: atName, other, since });
      }
      return pred;
    }
    case 'kpageflags': return { p: 'kpageflags', addr: addr('kpageflags'), key: pageKey, has: v.has as never, lacks: v.lacks as never, at: atName };
    case 'pte': case 'pmd':
      return { p: key, addr: addr(key), key: pageKey, flags: big(v.flags), mask: big(v.mask), value: big(v.value), none: v.none as boolean | undefined, at: atName };
    case 'smaps': {
      const m = v.smaps as string;
      if (c.names[m] !== 'mmap') throw pos.error([...path, 'smaps'], `'${m}' is not a mapping defined by mmap`);
      return { p: 'smaps', mapping: m, AnonHugePages: v.AnonHugePages as number | undefined, Rss: v.Rss as number | undefined, at: atName };
    }
    case 'vma_count': return { p: 'vma_count', value: v.vma_count as number, at: atName };
    case 'vmstat': {
      const n = v.vmstat as string;
      if (!VMSTAT_NAMES.includes(n)) throw pos.error([...path, 'vmstat'], `unknown counter '${n}'; known: ${VMSTAT_NAMES.join(', ')}`);
      const since = (v.since as string | undefined) ?? null;
      if (since && !c.checkpoints.includes(since)) throw pos.error([...path, 'since'], `unknown checkpoint '${since}'`);
      return { p: 'vmstat', name: n, delta: v.delta as number, since, at: atName };
    }
    case 'meminfo': return { p: 'meminfo', name: v.meminfo as never, value: v.value as number, at: atName };
    case 'refcount': return { p: 'refcount', addr: addr('refcount'), key: pageKey, value: v.value as number, at: atName };
    case 'devmem': {
      if (v.allocated === undefined && v.freed === undefined && v.in_use === undefined) throw pos.error(path, 'say what of the device memory: allocated, freed or in_use');
      return { p: 'devmem', allocated: v.allocated as number | undefined, freed: v.freed as number | undefined, in_use: v.in_use as number | undefined, at: atName };
    }
    case 'msg': {
      const m = v.msg as string;
      if (c.names[m] !== 'read_uffd') throw pos.error([...path, 'msg'], `'${m}' is not a message read by read_uffd`);
      return {
        p: 'msg', var: m, flags: v.flags as number | undefined, address: v.address === undefined ? undefined : expr(pos, [...path, 'address'], v.address),
        event: v.event === undefined ? undefined : EVENT_CODES[v.event as string],
      };
    }
    case 'same_data': {
      const [a, b] = v.same_data as [string, string];
      const buffers = ['read', 'pin_read', 'read_pipe', 'proc_mem_read', 'pread'];
      for (const n of [a, b]) if (!buffers.includes(c.names[n] ?? '')) throw pos.error([...path, 'same_data'], `'${n}' is not a buffer read by read, pin_read, read_pipe, proc_mem_read or pread`);
      return { p: 'same_data', a, b };
    }
    case 'data_at': {
      const list = Array.isArray(v.data_at) ? (v.data_at as string[]) : [v.data_at as string];
      list.forEach((n, i) => {
        if (c.names[n] !== 'read') throw pos.error([...path, 'data_at', ...(Array.isArray(v.data_at) ? [i] : [])], `'${n}' is not a buffer read by read`);
      });
      const at = v.at as string;
      if (at === 'final' || !c.checkpoints.includes(at)) throw pos.error([...path, 'at'], `unknown checkpoint '${at}' (data_at needs a checkpoint taken before the copies)`);
      for (const n of list) c.copyChecks.push({ buffer: n, at });
      return { p: 'data_at', vars: list, at };
    }
    case 'klog': return { p: 'klog', text: v.klog as string, count: v.count as number | undefined };
    case 'event': return { p: 'event', type: v.event as string, fn: v.fn as string | undefined, count: v.count as number | undefined };
  }
  void isMap; void isSeq; void isScalar;
  throw pos.error(path, 'unhandled expectation');
}

/**
 * the kernel `name` with the scenario's config overrides, then `config` (the command line's): an override
 * of the scenario's own that the kernel refuses (a knob whose file it does not have) is reported at its
 * key in the file
 */
export function scenarioKernel(sc: CompiledScenario, name: string, patches: string[] = [], config: string[] = []): KernelSpec {
  try {
    return resolveKernel(name, patches, [...sc.config, ...config]);
  } catch (e) {
    if (!(e instanceof MissingKnobError)) throw e;
    const key = e.key;
    const at = sc.configAt?.[key];
    if (at && !config.some((c) => c.split(',').some((kv) => kv.trim().startsWith(key + '=')))) {
      throw new ScenarioError(sc.file, at.line, at.col, `config.${key}`, e.message);
    }
    throw e;
  }
}

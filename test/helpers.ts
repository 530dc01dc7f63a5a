// Test helpers: build kernels with exact patch sets, run inline scenarios, read observations.
import { expect } from 'vitest';
import type { PageTable } from '../src/kernel/mm/pgtable.js';
import { Pte } from '../src/kernel/arch/x86/include/pte.js';
import { loadScenario } from '../src/scenario/load.js';
import { PROFILES, resolveKernel } from '../src/profiles/profiles.js';
import { patchById, Patch } from '../src/profiles/patches.js';
import { runScenario, RunResult } from '../src/run.js';
import type { KernelSpec } from '../src/kernel/kernel.js';
import { ScenarioError } from '../src/scenario/load.js';
import { corpus } from '../src/fuzz/files.js';

/** every scenario file of the project under dir (known-*.yaml lists left out), sorted */
export function scenarioFiles(dir = 'scenarios'): string[] {
  return corpus(dir).map((c) => c.file);
}

/** the ScenarioError loading yaml gives (the test fails if it loads) */
export function err(yaml: string): ScenarioError {
  try {
    loadScenario('bad.yaml', yaml);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('no error');
}

/** a profile with patches added/removed, without the `requires` check (tests isolate one patch) */
export function kernel(profile: string, edit: { add?: Patch[]; remove?: Patch[] } = {}, config: string[] = []): KernelSpec {
  const s = resolveKernel(profile, [], config);
  const patches = new Set(s.patches);
  for (const p of edit.remove ?? []) patches.delete(p);
  for (const p of edit.add ?? []) patches.add(p);
  const tag = [...(edit.add ?? []).map((p) => '+' + p.id), ...(edit.remove ?? []).map((p) => '-' + p.id)].join('');
  return { ...s, name: s.name + tag, patches };
}

export function run(yaml: string, spec: KernelSpec, schedule?: string): RunResult {
  const sc = loadScenario('inline.yaml', yaml);
  return runScenario(sc, spec, { schedule });
}

export function page(r: RunResult, key: string, at = 'final') {
  const p = r.observation.snapshots[at]?.pages[key];
  if (!p) throw new Error(`no observation of ${key} at ${at}`);
  return p;
}
/** PTE or PMD flags with the pfn masked out, as 0x%016x */
export function flags(raw: string | null | undefined): string {
  if (!raw) return 'none';
  const v = BigInt(raw) & ~0x000ffffffffff000n;
  return '0x' + v.toString(16).padStart(16, '0');
}
export const pte = (r: RunResult, key: string, at = 'final') => flags(page(r, key, at).pte);
export const pmd = (r: RunResult, key: string, at = 'final') => flags(page(r, key, at).pmd);
export function pagemapBit(r: RunResult, key: string, bit: number, at = 'final'): number {
  return Number((BigInt(page(r, key, at).pagemap) >> BigInt(bit)) & 1n);
}
export function kpfBit(r: RunResult, key: string, bit: number, at = 'final'): number {
  const v = page(r, key, at).kpageflags;
  return v === null ? -1 : Number((BigInt(v) >> BigInt(bit)) & 1n);
}
export const errno = (r: RunResult, id: string) => r.observation.ops[id]?.errno ?? null;
export const result = (r: RunResult, id: string) => r.observation.ops[id]?.result ?? null;
export const thread = (r: RunResult, name: string) => r.observation.threads[name]!;
/** a vmstat counter at `to` (the model starts at zero), or its change since checkpoint `from` */
export function vmstat(r: RunResult, name: string, from: string | null = null, to = 'final'): number {
  const base = from === null ? 0 : r.observation.snapshots[from]!.vmstat[name] ?? 0;
  return (r.observation.snapshots[to]!.vmstat[name] ?? 0) - base;
}
export const anonHuge = (r: RunResult, m: string, at = 'final') => r.observation.snapshots[at]!.smaps[m]!.AnonHugePages;
export function events(r: RunResult, type: string) {
  return r.events.filter((e) => e.type === type);
}
export function P(id: string): Patch {
  const p = patchById(id);
  if (!p) throw new Error(`no patch ${id}`);
  return p;
}

/** a table's 512 entries as words (lo, hi at 2i, 2i + 1): the direct-path tests compare two paths' tables */
export function tableWords(t: PageTable): Int32Array {
  const w = new Int32Array(1024);
  for (let i = 0; i < 512; i++) {
    w[2 * i] = t.lo(i);
    w[2 * i + 1] = t.hi(i);
  }
  return w;
}
/** the table's entries set back to words taken by tableWords */
export function restoreTable(t: PageTable, w: Int32Array): void {
  for (let i = 0; i < 512; i++) t.setRaw(i, w[2 * i]!, w[2 * i + 1]!);
}
/** the same entries in a (the direct path) and b (the general one), else a failure naming the first that differs */
export function expectSameEntries(what: string, e0: Int32Array, ea: Int32Array, eb: Int32Array): void {
  for (let i = 0; i < 1024; i++) {
    if (ea[i] === eb[i]) continue;
    const j = i >> 1;
    const show = (e: Int32Array) => new Pte().set(e[2 * j]!, e[2 * j + 1]!).toString();
    expect.fail(`${what}: entry ${j} (was ${show(e0)}) is ${show(ea)} on the direct path, ${show(eb)} by the x86 rules`);
  }
}

/**
 * The kernels a direct-path test runs on: every x86 profile with soft-dirty on and off, and each with one of
 * `toggles` added or removed (the patches the copied rules read), those `keep` accepts, each patch set once
 */
export function x86DirectSpecs(toggles: Patch[], keep: (s: KernelSpec) => boolean = () => true): KernelSpec[] {
  const out = new Map<string, KernelSpec>();
  const add = (s: KernelSpec) => {
    const key = [...s.patches].map((x) => x.index).sort((x, y) => x - y).join(',') + ':' + s.config.soft_dirty;
    if (keep(s) && !out.has(key)) out.set(key, s);
  };
  for (const p of PROFILES.filter((q) => (q.arch ?? 'x86_64') === 'x86_64')) {
    for (const sd of ['soft_dirty=y', 'soft_dirty=n']) {
      const base = kernel(p.name, {}, [sd]);
      add(base);
      for (const x of toggles) add(kernel(p.name, base.patches.has(x) ? { remove: [x] } : { add: [x] }, [sd]));
    }
  }
  return [...out.values()];
}

/** a process a whose uffd its child b keeps; a exits, then b calls `op` on the uffd */
export function orphanUffd(op: string, mode = '[missing]'): string {
  return `
name: k
setup:
  - mmap: { as: ram, len: 64K }
  - mmap: { as: src, len: 4K }
  - write: { addr: src, value: 5 }
threads:
  main:
    - fork: { as: a }
  ta:
    process: a
    ops:
      - write: { addr: ram, value: 1 }
      - userfaultfd: { as: u }
      - uffdio_register: { uffd: u, addr: ram, len: 64K, mode: ${mode} }
      - fork: { as: b }
      - exit: 0
  tb:
    process: b
    ops:
      - ${op}
`;
}

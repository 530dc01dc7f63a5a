// The folders of src/ import each other without a circle (issue 9, item 4), and src/kernel is
// self-contained: it imports nothing from the explorer, the machine, the scenario language, the CLI or
// the host runner. The graph is built from the sources (every import, export-from, `import type` and
// dynamic `import()`, as TypeScript's own pre-processor lists them); a failure names the imports.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

interface Edge {
  from: string;
  to: string;
  /** "sched/machine.ts imports ../scenario/load.js" */
  why: string;
  /** the imported file, relative to src/ */
  target: string;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (f.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** a file's folder under src/ ("kernel", "sched"; "(src)" for src/run.ts) */
function folderOf(rel: string): string {
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[0]! : '(src)';
}

/** every import between two different folders of src/ */
function folderEdges(): Edge[] {
  const src = resolve('src');
  const edges: Edge[] = [];
  for (const file of sources(src)) {
    const rel = relative(src, file);
    for (const imp of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!imp.fileName.startsWith('.')) continue;
      const target = relative(src, resolve(dirname(file), imp.fileName.replace(/\.js$/, '.ts')));
      const from = folderOf(rel), to = folderOf(target);
      if (from !== to) edges.push({ from, to, why: `${rel} imports ${imp.fileName}`, target });
    }
  }
  return edges;
}

/** the circles of a folder graph (strongly connected components of more than one folder), each with its imports */
function circles(edges: Edge[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    next.get(e.from)!.add(e.to);
  }
  let n = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const sccs: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) sccs.push(c.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return sccs.map((c) => {
    const inside = edges.filter((e) => c.includes(e.from) && c.includes(e.to));
    const pairs = [...new Set(inside.map((e) => `${e.from} -> ${e.to}`))].sort();
    const whys = (p: string) => {
      const w = inside.filter((e) => `${e.from} -> ${e.to}` === p).map((e) => e.why);
      return w.slice(0, 3).join('; ') + (w.length > 3 ? `; and ${w.length - 3} more` : '');
    };
    return `circle ${c.join(', ')}: ${pairs.map((p) => `${p} (${whys(p)})`).join(', ')}`;
  });
}

describe('the import graph of src/ between folders', () => {
  const edges = folderEdges();

  it('is read from the sources: static, type-only and dynamic imports', () => {
    const has = (from: string, to: string, file: string) => edges.some((e) => e.from === from && e.to === to && e.why.startsWith(file.split('/').join(sep)));
    expect(has('sched', 'scenario', 'sched/exec.ts')).toBe(true);
    expect(has('cli', 'explore', 'cli/check.ts')).toBe(true); // import('../explore/check.js') when check runs
    expect(has('explore', '(src)', 'explore/check.ts')).toBe(true);
    // a circle is found when there is one
    expect(circles([...edges, { from: 'kernel', to: 'cli', why: 'test', target: 'cli/main.ts' }])).not.toEqual([]);
  });

  it('has no circle', () => {
    expect(circles(edges)).toEqual([]);
  });
});

describe('src/kernel is self-contained', () => {
  const forbidden = ['explore', 'sched', 'scenario', 'cli', 'host'];
  const offenders = folderEdges().filter((e) => e.from === 'kernel' && forbidden.includes(e.to)).map((e) => e.why);

  it('imports nothing from src/explore, src/sched, src/scenario, src/cli, src/host', () => {
    expect(offenders).toEqual([]);
  });
});

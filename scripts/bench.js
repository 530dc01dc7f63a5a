#!/usr/bin/env node
// npm run bench: dist/bench/run.js (the model alone, then the model against this machine's kernel, then the
// explorer), with --expose-gc for heap figures.
// Arguments after `--` go to every suite.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const suites = ['run.js'].map((f) => join(root, 'dist', 'bench', f)).filter((f) => existsSync(f));
if (!suites.length) {
  console.error('bench: nothing built under dist/bench (run npm run build)');
  process.exit(1);
}
let status = 0;
for (const s of suites) {
  const r = spawnSync(process.execPath, ['--expose-gc', s, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);

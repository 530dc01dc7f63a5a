#!/usr/bin/env node
// Build the native host executor (native/mmsim-exec.c) with gcc into native/build/. Part of `npm run
// build` (and so of `npm install` through `prepare`). Without gcc the model still works: print one
// line and carry on; `mmsim host` then says the executor is missing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native', 'mmsim-exec.c');
const outDir = join(root, 'native', 'build');
const out = join(outDir, 'mmsim-exec');
const cc = process.env.CC || 'gcc';

if (process.platform !== 'linux') {
  console.warn(`build-native: not Linux (${process.platform}); the host executor is not built, the model works as usual`);
  process.exit(0);
}
const probe = spawnSync(cc, ['--version'], { stdio: 'ignore' });
if (probe.error || probe.status !== 0) {
  console.warn(`build-native: ${cc} not found; the host executor is not built (mmsim host will not work), the model works as usual`);
  process.exit(0);
}
if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs && !process.argv.includes('--force')) process.exit(0);
mkdirSync(outDir, { recursive: true });
const args = ['-O2', '-g', '-std=gnu11', '-Wall', '-Wextra', '-Wno-clobbered', '-pthread', src, '-o', out];
const r = spawnSync(cc, args, { stdio: 'inherit' });
if (r.status !== 0) {
  console.error(`build-native: ${cc} ${args.join(' ')} failed`);
  process.exit(1);
}

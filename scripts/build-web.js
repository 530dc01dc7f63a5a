#!/usr/bin/env node
// Builds the page of `mmsim serve` into dist/web/ (run by `npm run build`, so by `npm install` too):
// esbuild bundles web/src/main.tsx (Preact) and web/src/worker.ts (the model: src/scenario, src/sched,
// src/kernel, src/profiles, src/trace, src/explore's one-thread search), and copies index.html and
// style.css. `node:*` imports resolve to web/src/shims/node.ts: none of their paths runs in the page.
// Without esbuild (a production install without devDependencies) it keeps an existing dist/web.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  if (existsSync(join(out, 'index.html'))) process.exit(0);
  console.warn('build-web: esbuild is not installed (npm install with devDependencies); mmsim serve has no page');
  process.exit(0);
}

const t0 = performance.now();
const nodeShim = {
  name: 'node-shim',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, () => ({ path: join(root, 'web', 'src', 'shims', 'node.ts') }));
  },
};
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
const common = {
  bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, sourcemap: 'linked', legalComments: 'none',
  jsx: 'automatic', jsxImportSource: 'preact', plugins: [nodeShim], logLevel: 'warning', metafile: true,
  define: { 'process.env.NODE_ENV': '"production"' },
};
const [page, worker] = await Promise.all([
  esbuild.build({ ...common, entryPoints: [join(root, 'web', 'src', 'main.tsx')], outfile: join(out, 'assets', 'main.js') }),
  esbuild.build({ ...common, entryPoints: [join(root, 'web', 'src', 'worker.ts')], outfile: join(out, 'assets', 'worker.js') }),
]);
cpSync(join(root, 'web', 'index.html'), join(out, 'index.html'));
cpSync(join(root, 'web', 'style.css'), join(out, 'assets', 'style.css'));
const size = (m) => Object.values(m.metafile.outputs).filter((o) => !o.entryPoint?.endsWith('.map')).reduce((s, o) => s + o.bytes, 0);
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
writeFileSync(join(out, 'build.json'), JSON.stringify({ version }) + '\n');
if (process.env.MMSIM_BUILD_VERBOSE) {
  console.log(`build-web: dist/web in ${Math.round(performance.now() - t0)} ms (page ${Math.round(size(page) / 1024)} KiB, worker ${Math.round(size(worker) / 1024)} KiB with source maps)`);
}

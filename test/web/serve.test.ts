// `mmsim serve`: the server answers only with the built page and the scenario files (path traversal
// gets 404), GET and HEAD only, bodies capped at 1 MiB, a CSP without inline scripts on every answer,
// loopback unless --host (with a warning); --export writes a static copy with the scenario list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { CSP, exportSite, listScenarios, MAX_BODY, route, serveFiles, startServer } from '../../src/cli/serve.js';
import { hasScenarioShape, isScenarioName } from '../../src/scenario/files.js';
import { loadScenario } from '../../src/scenario/load.js';
import { corpus } from '../../src/fuzz/files.js';

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** a raw request: the path is sent as written (no normalisation of .. by a client library) */
function get(base: string, path: string, method = 'GET', body?: Buffer): Promise<Answer> {
  const u = new URL(base);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers: body ? { 'Content-Length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? ok({ status: -1, headers: {}, body: '' }) : fail(e)));
    if (body) req.end(body);
    else req.end();
  });
}

const built = existsSync('dist/web/index.html');
let server: Server;
let url = '';

beforeAll(async () => {
  if (!built) return;
  ({ server, url } = await startServer(serveFiles(undefined), '127.0.0.1', 0));
});
afterAll(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

describe('mmsim serve', () => {
  it('serves the page and its assets with the CSP, and the scenario list', async (ctx) => {
    if (!built) return ctx.skip('dist/web is not built (npm run build)');
    const page = await get(url, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toBe(CSP);
    expect(CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.body).toMatch(/<script type="module" src="assets\/main.js"><\/script>/);
    expect(page.body).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*src=)[^>]*>[^<]/); // no inline script
    expect((await get(url, '/assets/main.js')).status).toBe(200);
    expect((await get(url, '/assets/worker.js')).headers['content-type']).toMatch(/javascript/);
    const list = JSON.parse((await get(url, '/scenarios/index.json')).body) as { scenarios: string[] };
    expect(list.scenarios).toContain('seed-thp-split-uffd-wp.yaml');
    expect(list.scenarios).toEqual(listScenarios('scenarios'));
    const seed = await get(url, '/scenarios/seed-thp-split-uffd-wp.yaml');
    expect(seed.status).toBe(200);
    expect(seed.body).toBe(readFileSync('scenarios/seed-thp-split-uffd-wp.yaml', 'utf8'));
    expect((await get(url, '/scenarios/check/live-snapshot.yaml')).status).toBe(200);
  });

  it('answers 404 for everything else: traversal in every spelling, sources, dot files, directories', async (ctx) => {
    if (!built) return ctx.skip('dist/web is not built (npm run build)');
    for (const p of [
      '/package.json', '/src/cli/serve.ts', '/dist/src/cli/main.js', '/scenarios/../package.json', '/scenarios/%2e%2e/package.json',
      '/scenarios/..%2fpackage.json', '/scenarios/..%2f..%2fetc%2fpasswd', '/assets/../../package.json', '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/scenarios/%2fetc%2fpasswd', '/scenarios//etc/passwd', '/scenarios/check', '/scenarios/check/', '/scenarios/README.md', '/assets/',
      '/scenarios/.hidden.yaml', '/scenarios/x%00.yaml', '/scenarios/./seed-thp-split-uffd-wp.yaml', '/scenarios/check/../seed-thp-split-uffd-wp.yaml', '/scenarios/..\\package.json', '/%2e%2e/package.json', '/etc/passwd', '/index.html/..',
    ]) {
      const a = await get(url, p);
      expect(a.status, p).toBe(404);
      expect(a.body, p).not.toMatch(/"name": "mmsim"|root:/);
    }
  });

  it('takes GET and HEAD only, and no body over 1 MiB', async (ctx) => {
    if (!built) return ctx.skip('dist/web is not built (npm run build)');
    const head = await get(url, '/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await get(url, '/', 'POST', Buffer.from('x'))).status).toBe(405);
    expect((await get(url, '/scenarios/seed-thp-split-uffd-wp.yaml', 'PUT', Buffer.from('x'))).status).toBe(405);
    const big = await get(url, '/', 'POST', Buffer.alloc(MAX_BODY + 64 * 1024, 0x61));
    expect([413, -1]).toContain(big.status); // 413, or the connection closed under the upload
    expect((await get(url, '/')).status).toBe(200); // and the server is still there
  });

  it('--export writes a static copy: the page, every scenario, the list', (ctx) => {
    if (!built) return ctx.skip('dist/web is not built (npm run build)');
    const dir = mkdtempSync(join(tmpdir(), 'mmsim-export-'));
    try {
      const n = exportSite(serveFiles(undefined), dir);
      expect(n).toBe(listScenarios('scenarios').length);
      for (const f of ['index.html', 'assets/main.js', 'assets/worker.js', 'assets/style.css', 'scenarios/index.json', 'scenarios/seed-thp-split-uffd-wp.yaml']) {
        expect(existsSync(join(dir, f)), f).toBe(true);
      }
      expect(JSON.parse(readFileSync(join(dir, 'scenarios/index.json'), 'utf8')).scenarios).toEqual(listScenarios('scenarios'));
      // the static copy carries its CSP in the page itself
      expect(readFileSync(join(dir, 'index.html'), 'utf8')).toMatch(/http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a FILE outside scenarios/ is served as scenarios/local/NAME, and only that file', async (ctx) => {
    if (!built) return ctx.skip('dist/web is not built (npm run build)');
    const dir = mkdtempSync(join(tmpdir(), 'mmsim-serve-'));
    const f = join(dir, 'mine.yaml');
    writeFileSync(f, 'name: mine\n');
    writeFileSync(join(dir, 'other.yaml'), 'name: other\n');
    const s = await startServer(serveFiles(f), '127.0.0.1', 0);
    try {
      expect((await get(s.url, '/scenarios/local/mine.yaml')).body).toBe('name: mine\n');
      expect((await get(s.url, '/scenarios/local/other.yaml')).status).toBe(404);
      expect(JSON.parse((await get(s.url, '/scenarios/index.json')).body).scenarios[0]).toBe('local/mine.yaml');
    } finally {
      await new Promise((done) => s.server.close(done));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the command: listens on 127.0.0.1 and prints its URL; --host warns; bad input exits 2', async (ctx) => {
    if (!built) return ctx.skip('dist/web is not built (npm run build)');
    // until: stop the server once its output matches (null: wait for it to exit by itself)
    const run = (args: string[], until: RegExp | null) => new Promise<{ out: string; err: string; code: number | null }>((ok) => {
      const c = spawn(process.execPath, ['bin/mmsim.js', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      let stopping = false;
      const check = () => {
        if (stopping || !until?.test(out + err)) return;
        stopping = true;
        c.kill('SIGTERM');
        setTimeout(() => c.kill('SIGKILL'), 10_000).unref(); // a server that ignores SIGTERM fails the test, it does not hang it
      };
      c.stdout.on('data', (d: Buffer) => { out += d; check(); });
      c.stderr.on('data', (d: Buffer) => { err += d; check(); });
      c.on('close', (code) => ok({ out, err, code }));
    });
    const a = await run(['--port', '0'], /http:\/\/[^\s]+\n/);
    expect(a.out).toMatch(/^mmsim serve: http:\/\/127\.0\.0\.1:\d+\/\n/);
    expect(a.code).toBe(0); // SIGTERM stops it: the server closes and the command exits 0
    const b = await run(['--port', '0', '--host', '0.0.0.0'], /http:\/\/[^\s]+\n/);
    expect(b.err).toMatch(/warning: listening on 0\.0\.0\.0/);
    expect(b.out).toMatch(/http:\/\/0\.0\.0\.0:\d+\//);
    const c = await run(['nonexistent.yaml'], null);
    expect(c.code).toBe(2);
    expect(c.err).toBe('mmsim: nonexistent.yaml: no such file\n');
    const d = await run(['--port', 'x'], null);
    expect(d.code).toBe(2);
    const e = await run(['scenarios/seed-thp-split-uffd-wp.yaml', '--port', '0'], /http:\/\/[^\s]+\n/);
    expect(e.out).toMatch(/#s=seed-thp-split-uffd-wp\.yaml\n/);
  });

  it('--open hands the printed URL to the desktop opener (xdg-open), and says so when there is none', async (ctx) => {
    if (!built) return ctx.skip('dist/web is not built (npm run build)');
    if (process.platform !== 'linux') return ctx.skip('the opener checked here is xdg-open (Linux)');
    const dir = mkdtempSync(join(tmpdir(), 'mmsim-open-'));
    try {
      const got = join(dir, 'opened');
      // a stand-in for xdg-open that records what it was asked to open
      writeFileSync(join(dir, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${got}'\n`, { mode: 0o755 });
      const serve = (path: string, until: (out: string, err: string) => boolean) => new Promise<{ out: string; err: string }>((ok) => {
        const c = spawn(process.execPath, ['bin/mmsim.js', 'serve', 'scenarios/seed-thp-split-uffd-wp.yaml', '--port', '0', '--open'],
          { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: path } });
        let out = '', err = '';
        const poll = setInterval(() => {
          if (!until(out, err)) return;
          clearInterval(poll);
          c.kill('SIGTERM');
        }, 20);
        setTimeout(() => { clearInterval(poll); c.kill('SIGKILL'); }, 20_000).unref();
        c.stdout.on('data', (d: Buffer) => { out += d; });
        c.stderr.on('data', (d: Buffer) => { err += d; });
        c.on('close', () => ok({ out, err }));
      });
      const a = await serve(`${dir}:${process.env.PATH}`, () => existsSync(got) && readFileSync(got, 'utf8').length > 0);
      const url = /^mmsim serve: (\S+)\n/.exec(a.out)?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#s=seed-thp-split-uffd-wp\.yaml$/);
      expect(readFileSync(got, 'utf8')).toBe(url);
      // no opener on PATH: the server still serves, and says what to open
      const b = await serve(dir + '/none', (_out, err) => /could not start/.test(err));
      expect(b.err).toMatch(/mmsim serve: --open: could not start xdg-open; open http:\/\/127\.0\.0\.1:\d+\/#s=seed-thp-split-uffd-wp\.yaml yourself/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('listens on the loopback only: the same port on this machine\'s other addresses refuses the connection', async (ctx) => {
    if (!built) return ctx.skip('dist/web is not built (npm run build)');
    const port = Number(new URL(url).port);
    expect(server.address()).toMatchObject({ address: '127.0.0.1', port });
    const others = Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === 'IPv4').map((a) => a!.address);
    if (others.length === 0) return ctx.skip('this machine has no address but the loopback');
    for (const host of others) {
      const r = await new Promise<string>((ok) => {
        const s = connect({ host, port });
        s.setTimeout(5000, () => { s.destroy(); ok('timeout'); });
        s.on('connect', () => { s.destroy(); ok('connected'); });
        s.on('error', (e: NodeJS.ErrnoException) => ok(e.code ?? 'error'));
      });
      expect(r, host).not.toBe('connected');
    }
  });

  it('a symbolic link out of the scenarios directory, or to a directory, is not served', (ctx) => {
    if (!built) return ctx.skip('dist/web is not built (npm run build)');
    const dir = mkdtempSync(join(tmpdir(), 'mmsim-links-'));
    try {
      mkdirSync(join(dir, 'scenarios'));
      mkdirSync(join(dir, 'outside'));
      writeFileSync(join(dir, 'outside', 'secret.yaml'), 'secret: 1\n');
      writeFileSync(join(dir, 'scenarios', 'mine.yaml'), 'name: mine\n');
      symlinkSync(join(dir, 'outside', 'secret.yaml'), join(dir, 'scenarios', 'link.yaml'));
      symlinkSync(join(dir, 'outside'), join(dir, 'scenarios', 'dir.yaml'));
      symlinkSync(join(dir, 'scenarios', 'mine.yaml'), join(dir, 'scenarios', 'inside.yaml'));
      const f = { web: serveFiles(undefined).web, scenarios: join(dir, 'scenarios'), extra: null };
      expect(route(f, '/scenarios/mine.yaml')).toEqual({ path: join(dir, 'scenarios', 'mine.yaml') });
      expect(route(f, '/scenarios/link.yaml')).toBeNull();
      expect(route(f, '/scenarios/dir.yaml')).toBeNull();
      expect(route(f, '/scenarios/dir.yaml/secret.yaml')).toBeNull();
      expect(route(f, '/scenarios/inside.yaml')).not.toBeNull(); // a link that stays inside is the file it names
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists and serves scenarios only: not the known-* lists beside them, nor YAML of another shape', async (ctx) => {
    // the tree itself: every YAML under scenarios/ is listed but the two lists of known differences, and
    // every file listed loads as a scenario (as mmsim run reads it); the file fuzzer's corpus is the same set
    const list = listScenarios('scenarios');
    expect(list).not.toContain('differential/known-differences.yaml');
    expect(list).not.toContain('differential/known-fuzz.yaml');
    expect(list).toContain('differential/gup-touch-fast-path.yaml');
    expect(list).toContain('seed-thp-split-uffd-wp.yaml');
    expect(list.filter((f) => /(^|\/)known-/.test(f))).toEqual([]);
    for (const f of list) expect(() => loadScenario(join('scenarios', f)), f).not.toThrow();
    // (the list leaves out symbolic links: differential/seed-thp-split-uffd-wp.yaml is the seed itself)
    expect(corpus('scenarios').filter((c) => !lstatSync(c.file).isSymbolicLink()).map((c) => c.file.slice('scenarios/'.length)).sort()).toEqual([...list].sort());
    // the two lists are not scenario-shaped either: a mapping of file names, a sequence
    for (const k of ['known-differences.yaml', 'known-fuzz.yaml']) {
      expect(hasScenarioShape(readFileSync(join('scenarios/differential', k), 'utf8')), k).toBe(false);
      expect(isScenarioName(`differential/${k}`), k).toBe(false);
    }
    // a tree of every kind: a scenario, a known-* list, a list, a mapping of other keys, a broken file (kept:
    // opening it shows its error), a flow-style scenario
    const dir = mkdtempSync(join(tmpdir(), 'mmsim-list-'));
    try {
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'a.yaml'), 'name: a\nsetup: []\n');
      writeFileSync(join(dir, 'sub', 'known-things.yaml'), 'name: looks like one\nsetup: []\n');
      writeFileSync(join(dir, 'sub', 'list.yaml'), '- line: x\n  reason: y\n');
      writeFileSync(join(dir, 'sub', 'table.yaml'), 'a.yaml:\n  - field: f\n');
      writeFileSync(join(dir, 'sub', 'broken.yaml'), 'name: [unclosed\n');
      writeFileSync(join(dir, 'sub', 'flow.yml'), '{ name: f, setup: [] }\n');
      writeFileSync(join(dir, 'sub', 'empty.yaml'), '');
      expect(listScenarios(dir)).toEqual(['a.yaml', 'sub/broken.yaml', 'sub/flow.yml']);
      const f = { web: built ? serveFiles(undefined).web : dir, scenarios: dir, extra: null };
      expect(route(f, '/scenarios/a.yaml')).not.toBeNull();
      for (const p of ['/scenarios/sub/known-things.yaml', '/scenarios/sub/list.yaml', '/scenarios/sub/table.yaml', '/scenarios/sub/empty.yaml']) expect(route(f, p), p).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (!built) return ctx.skip('dist/web is not built (npm run build): the server and --export parts');
    expect((await get(url, '/scenarios/differential/known-differences.yaml')).status).toBe(404);
    expect((await get(url, '/scenarios/differential/known-fuzz.yaml')).status).toBe(404);
    expect((await get(url, '/scenarios/differential/gup-touch-fast-path.yaml')).status).toBe(200);
    const served = JSON.parse((await get(url, '/scenarios/index.json')).body) as { scenarios: string[] };
    expect(served.scenarios).toEqual(list);
    const out = mkdtempSync(join(tmpdir(), 'mmsim-export-'));
    try {
      exportSite(serveFiles(undefined), out);
      expect(existsSync(join(out, 'scenarios/differential/known-differences.yaml'))).toBe(false);
      expect(existsSync(join(out, 'scenarios/differential/known-fuzz.yaml'))).toBe(false);
      expect(existsSync(join(out, 'scenarios/differential/gup-touch-fast-path.yaml'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

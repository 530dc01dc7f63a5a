// `mmsim serve [FILE]`: an HTTP server for the page built ahead of time (dist/web, scripts/build-web.js)
// and the scenario files, and nothing else. The model runs in the page (a Web Worker), never here: the
// server reads files and answers GET and HEAD. `--export DIR` writes the same files as a static copy.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { InputError } from './input.js';
import { isScenarioFile, isScenarioName } from '../scenario/files.js';

/** the largest request body read (and thrown away: no route takes one) */
export const MAX_BODY = 1024 * 1024;

/** the Content-Security-Policy of every answer: scripts only from the server, none inline */
export const CSP = "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.map': 'application/json; charset=utf-8', '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml',
};

/** the package's root (dist/src/cli/serve.js is three levels down, src/cli/serve.ts under a test runner two) */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    const r = resolve(here, up);
    if (existsSync(join(r, 'package.json')) && existsSync(join(r, 'scenarios'))) return r;
  }
  return resolve(here, '../..');
}

export interface ServeFiles {
  /** the built page (index.html, assets/) */
  web: string;
  /** the scenarios directory */
  scenarios: string;
  /** a scenario file given on the command line outside scenarios/: served as scenarios/<extra.name> */
  extra: { name: string; path: string } | null;
}

/** what isScenarioFile said of a file, by path, as long as its size and mtime stay (parsing 180 files takes 0.3 s) */
const shapeCache = new Map<string, { size: number; mtimeMs: number; ok: boolean }>();

/** the file at path is a scenario (isScenarioFile), parsed again only when it changed */
function isScenarioAt(path: string): boolean {
  if (!isScenarioName(path)) return false;
  const st = statSync(path);
  const c = shapeCache.get(path);
  if (c && c.size === st.size && c.mtimeMs === st.mtimeMs) return c.ok;
  const ok = isScenarioFile(path, readFileSync(path, 'utf8'));
  shapeCache.set(path, { size: st.size, mtimeMs: st.mtimeMs, ok });
  return ok;
}

/**
 * every scenario file under dir, as paths relative to it with '/' separators, sorted; the YAML lists kept
 * beside them (differential/known-differences.yaml, known-fuzz.yaml) are not scenarios and are left out
 */
export function listScenarios(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (e.isFile() && isScenarioAt(join(d, e.name))) out.push(r);
    }
  };
  walk(dir, '');
  return out;
}

function indexJson(f: ServeFiles): string {
  const list = listScenarios(f.scenarios);
  if (f.extra && !list.includes(f.extra.name)) list.unshift(f.extra.name);
  return JSON.stringify({ scenarios: list }) + '\n';
}

/** the file under root that a URL path names, or null (outside root, a dot file, not a regular file) */
function fileUnder(root: string, urlPath: string): string | null {
  const parts = urlPath.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith('.') || p.includes('\\') || p.includes('\0'))) return null;
  const p = resolve(root, ...parts);
  let real: string, realRoot: string;
  try {
    real = realpathSync(p);
    realRoot = realpathSync(root);
  } catch {
    return null;
  }
  if (real !== realRoot && !real.startsWith(realRoot + sep)) return null;
  try {
    return statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

/** what a GET of url answers: a file's path, a generated body, or null (404) */
export function route(f: ServeFiles, url: string): { path: string } | { body: string; type: string } | null {
  // a dot segment, raw or percent-encoded, is refused before the URL parser would resolve it
  if (/(^|\/|%2f|\\|%5c)(\.|%2e)(\.|%2e)?($|\/|%2f|\\|%5c|\?|#)/i.test(url)) return null;
  let path: string;
  try {
    path = decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return null;
  }
  if (path === '/' || path === '/index.html') return fileOrNull(join(f.web, 'index.html'));
  if (path === '/scenarios/index.json') return { body: indexJson(f), type: TYPES['.json']! };
  if (path.startsWith('/assets/')) return wrap(fileUnder(join(f.web, 'assets'), path.slice('/assets/'.length)));
  if (path.startsWith('/scenarios/')) {
    const rel = path.slice('/scenarios/'.length);
    if (f.extra && rel === f.extra.name) return { path: f.extra.path };
    if (!isScenarioName(rel)) return null;
    const p = fileUnder(f.scenarios, rel);
    return p && isScenarioAt(p) ? { path: p } : null;
  }
  return null;
}

function fileOrNull(p: string): { path: string } | null {
  return existsSync(p) ? { path: p } : null;
}
function wrap(p: string | null): { path: string } | null {
  return p ? { path: p } : null;
}

function headers(type: string, length: number): Record<string, string | number> {
  return {
    'Content-Type': type, 'Content-Length': length, 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer', 'Cross-Origin-Opener-Policy': 'same-origin', 'Cache-Control': 'no-cache',
  };
}

function answer(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(text + '\n');
  res.writeHead(status, headers('text/plain; charset=utf-8', body.length));
  res.end(body);
}

function handle(f: ServeFiles, req: IncomingMessage, res: ServerResponse): void {
  // no route takes a body: read at most MAX_BODY of one and answer 413 past that
  let size = 0;
  let over = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY && !over) {
      over = true;
      res.setHeader('Connection', 'close');
      answer(res, 413, 'request body too large (1 MiB at most)');
      req.destroy();
    }
  });
  req.on('end', () => {
    if (over) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      answer(res, 405, 'only GET and HEAD');
      return;
    }
    const r = route(f, req.url ?? '/');
    if (!r) {
      answer(res, 404, 'not found');
      return;
    }
    const body = 'body' in r ? Buffer.from(r.body) : readFileSync(r.path);
    const type = 'body' in r ? r.type : TYPES[extname(r.path)] ?? 'application/octet-stream';
    res.writeHead(200, headers(type, body.length));
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  req.on('error', () => res.destroy());
}

export interface ServeOptions {
  port?: string;
  host?: string;
  open?: boolean;
  export?: string;
}

/** the files to serve: the built page, scenarios/, and FILE */
export function serveFiles(file: string | undefined): ServeFiles {
  const root = packageRoot();
  const web = join(root, 'dist', 'web');
  if (!existsSync(join(web, 'index.html'))) throw new InputError(`the page is not built (${web}/index.html is missing): run npm run build`);
  const scenarios = join(root, 'scenarios');
  let extra: ServeFiles['extra'] = null;
  if (file !== undefined) {
    let st;
    try {
      st = statSync(file);
    } catch {
      throw new InputError(`${file}: no such file`);
    }
    if (!st.isFile()) throw new InputError(`${file}: not a file; give a scenario file (YAML)`);
    const real = realpathSync(file);
    const rel = relative(realpathSync(scenarios), real);
    extra = !rel.startsWith('..') && !rel.startsWith(sep) && /\.ya?ml$/.test(rel) ? null : { name: `local/${basename(file).replace(/[^\w.-]/g, '_')}`, path: real };
    if (extra && !/\.ya?ml$/.test(extra.name)) extra.name += '.yaml';
  }
  return { web, scenarios, extra };
}

/** the page's path for FILE: the scenario it opens */
export function scenarioPathOf(f: ServeFiles, file: string | undefined): string | null {
  if (file === undefined) return null;
  if (f.extra) return f.extra.name;
  return relative(realpathSync(f.scenarios), realpathSync(file)).split(sep).join('/');
}

/** `mmsim serve --export DIR`: the page and the scenarios as static files */
export function exportSite(f: ServeFiles, dir: string): number {
  mkdirSync(dir, { recursive: true });
  cpSync(f.web, dir, { recursive: true });
  // the scenarios only: not the known-* lists beside them, nothing the server would not serve
  cpSync(f.scenarios, join(dir, 'scenarios'), {
    recursive: true,
    filter: (s) => !basename(s).startsWith('.') && (statSync(s).isDirectory() || isScenarioAt(s)),
  });
  if (f.extra) {
    mkdirSync(join(dir, 'scenarios', dirname(f.extra.name)), { recursive: true });
    cpSync(f.extra.path, join(dir, 'scenarios', f.extra.name));
  }
  writeFileSync(join(dir, 'scenarios', 'index.json'), indexJson(f));
  return listScenarios(join(dir, 'scenarios')).length;
}

function parsePort(s: string | undefined): number {
  if (s === undefined) return 8080;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InputError(`--port must be a port number from 0 to 65535, not '${s}'`);
  return n;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** start the server; resolves once it listens, with the server and its URL */
export function startServer(f: ServeFiles, host: string, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => handle(f, req, res));
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return new Promise((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EADDRINUSE' ? new InputError(`port ${port} on ${host} is in use: give another with --port (0 picks a free one)`)
      : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? new InputError(`--host ${host}: no such address on this machine`) : e));
    server.listen(port, host, () => {
      const a = server.address();
      const p = typeof a === 'object' && a ? a.port : port;
      const h = host.includes(':') ? `[${host}]` : host;
      ok({ server, url: `http://${h}:${p}/` });
      // read every scenario's shape once now, so the page's first request of the list is quick
      setImmediate(() => { try { listScenarios(f.scenarios); } catch { /* answered (or not) when asked */ } });
    });
  });
}

/** `mmsim serve` (registered in commands.ts): runs until interrupted; returns the exit status */
export async function serveCommand(file: string | undefined, o: ServeOptions): Promise<number> {
  const f = serveFiles(file);
  if (o.export !== undefined) {
    const n = exportSite(f, o.export);
    process.stdout.write(`mmsim serve: wrote the page and ${n} scenarios to ${o.export}/ (open index.html through any static web server)\n`);
    return 0;
  }
  const host = o.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) process.stderr.write(`mmsim serve: warning: listening on ${host}, not only on this machine's loopback: anyone who can reach it can read the scenario files\n`);
  // the signal handlers first: a SIGTERM right after the URL is printed stops the server cleanly
  const stop = new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  const { server, url } = await startServer(f, host, parsePort(o.port));
  const s = scenarioPathOf(f, file);
  const full = url + (s ? `#s=${encodeURIComponent(s)}` : '');
  process.stdout.write(`mmsim serve: ${full}\n(the model runs in the page; Ctrl-C stops the server)\n`);
  if (o.open) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    const c = spawn(opener, [full], { stdio: 'ignore', detached: true });
    c.on('error', () => process.stderr.write(`mmsim serve: --open: could not start ${opener}; open ${full} yourself\n`));
    c.unref();
  }
  await stop;
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  return 0;
}

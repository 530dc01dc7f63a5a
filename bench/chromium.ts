// Debian's chromium, driven by playwright-core, for the page's browser tests (test/web/browser.test.ts)
// and `npm run bench` (bench/page.ts):
// headless, --no-sandbox, a fresh profile directory, no network but loopback. `chromiumPath()` says
// why not when there is none (the tests then skip with that one line).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

/** the chromium to drive (MMSIM_CHROMIUM, else Debian's), or a one-line reason there is none */
export function chromiumPath(): { path: string } | { why: string } {
  const env = process.env.MMSIM_CHROMIUM;
  if (env) return existsSync(env) ? { path: env } : { why: `MMSIM_CHROMIUM=${env} does not exist` };
  const p = CANDIDATES.find((c) => existsSync(c));
  return p ? { path: p } : { why: 'no chromium on this machine (apt-get install chromium; .ci/run installs it)' };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions', '--mute-audio',
  // no network: every host but loopback resolves nowhere
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

export interface Browser {
  ctx: BrowserContext;
  close(): Promise<void>;
}

/** a fresh profile, a persistent context with one page of the given size */
export async function launch(path: string, viewport = { width: 1280, height: 800 }, colorScheme: 'light' | 'dark' = 'light'): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'mmsim-chromium-'));
  try {
    const ctx = await chromium.launchPersistentContext(dir, { executablePath: path, headless: true, args: CHROMIUM_ARGS, viewport, colorScheme, timeout: 60_000 });
    return { ctx, close: async () => { await ctx.close(); rmSync(dir, { recursive: true, force: true }); } };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

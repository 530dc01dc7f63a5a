// The page of `mmsim serve` in chromium: how long it takes to open (navigation to the seed's run drawn,
// the `mmsim:open` measure) and to redraw one step (key press to the DOM committed, `mmsim:step`),
// stepping through the whole seed alone and side by side with v6.18. Targets: open < 1 s, a step < 50 ms.
// Skipped, with the reason, where chromium cannot run.
import { serveFiles, startServer } from '../src/cli/serve.js';
import { chromiumPath, launch } from './chromium.js';
import type { Page } from 'playwright-core';

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? NaN; };
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN; };
const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;

async function stepAll(p: Page): Promise<number[]> {
  await p.locator('body').click({ position: { x: 1, y: 1 } });
  await p.keyboard.press('Home');
  await p.waitForFunction(() => document.body.dataset.frame === '0');
  await p.evaluate(() => performance.clearMeasures('mmsim:step'));
  const n = Number((await p.locator('[data-testid="position"]').textContent())!.split('/')[1]);
  for (let i = 1; i < n; i++) {
    await p.keyboard.press('ArrowRight');
    await p.waitForFunction((f) => Number(document.body.dataset.frame) === f, i);
  }
  return p.evaluate(() => performance.getEntriesByName('mmsim:step').map((e) => e.duration));
}

async function open(p: Page, url: string): Promise<number> {
  await p.goto(url);
  await p.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
  return p.evaluate(() => performance.getEntriesByName('mmsim:open')[0]?.duration ?? NaN);
}

export async function main(): Promise<void> {
  const c = chromiumPath();
  if ('why' in c) {
    console.log(`page: skipped: ${c.why}`);
    return;
  }
  let files;
  try {
    files = serveFiles(undefined);
  } catch (e) {
    console.log(`page: skipped: ${(e as Error).message}`);
    return;
  }
  const { server, url } = await startServer(files, '127.0.0.1', 0);
  const b = await launch(c.path);
  try {
    const seed = url + '#s=seed-thp-split-uffd-wp.yaml&k=v4.19-uffd-wp-2018';
    const opens: number[] = [];
    for (let i = 0; i < 6; i++) {
      const p = await b.ctx.newPage();
      const d = await open(p, seed);
      if (i > 0) opens.push(d); // the first fills the browser's cache
      await p.close();
    }
    const p = await b.ctx.newPage();
    await open(p, seed);
    const alone = await stepAll(p);
    if (process.env.MMSIM_BENCH_VERBOSE) console.log(alone.map((x) => x.toFixed(1)).join(' '));
    await p.close();
    const q = await b.ctx.newPage();
    await open(q, seed + '&b=v6.18');
    const two = await stepAll(q);
    console.log(`page open (navigation to the seed's run drawn), median of ${opens.length}: ${ms(median(opens))} (max ${ms(Math.max(...opens))}); target < 1000 ms — ${median(opens) < 1000 ? 'met' : 'NOT met'}`);
    console.log(`step redraw (key to DOM), the seed on v4.19-uffd-wp-2018, ${alone.length} steps: median ${ms(median(alone))}, p95 ${ms(pct(alone, 0.95))}, max ${ms(Math.max(...alone))}; target < 50 ms — ${Math.max(...alone) < 50 ? 'met' : pct(alone, 0.95) < 50 ? 'met at p95' : 'NOT met'}`);
    console.log(`step redraw, side by side with v6.18, ${two.length} steps: median ${ms(median(two))}, p95 ${ms(pct(two, 0.95))}, max ${ms(Math.max(...two))}`);
  } finally {
    await b.close();
    await new Promise((done) => server.close(done));
  }
}

if (process.argv[1]?.endsWith('/page.js')) await main();

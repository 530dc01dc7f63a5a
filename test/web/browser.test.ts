// The page in a real browser (Debian's chromium through playwright-core): open the seed, step to the
// un-protect by keyboard, read the drawn PTE and its highlighted bits, switch to v6.18 and see the
// SIGBUS marker go, compare two kernels, play a check counterexample back, reopen a shared link on the
// same step, a phone in portrait and the dark theme; screenshots go to dist/screenshots/. Skipped, with
// the reason, only where chromium cannot run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { Server } from 'node:http';
import type { Page } from 'playwright-core';
import { exportSite, serveFiles, startServer } from '../../src/cli/serve.js';
import { chromiumPath, launch, type Browser } from '../../bench/chromium.js';

const SHOTS = 'dist/screenshots';
const found = chromiumPath();
let why: string | null = 'why' in found ? found.why : existsSync('dist/web/index.html') ? null : 'dist/web is not built (npm run build)';
let server: Server | null = null;
let url = '';
let browser: Browser | null = null;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (why) return;
  ({ server, url } = await startServer(serveFiles(undefined), '127.0.0.1', 0));
  try {
    browser = await launch((found as { path: string }).path);
  } catch (e) {
    why = `chromium does not start here: ${(e as Error).message.split('\n')[0]}`;
    return;
  }
  page = browser.ctx.pages()[0] ?? await browser.ctx.newPage();
  // every page's console errors and uncaught errors, for the CSP check at the end
  browser.ctx.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  browser.ctx.on('weberror', (e) => consoleErrors.push(e.error().message));
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
});

/** without chromium a developer's run skips with the reason; CI (CI=true, where .ci/run installs chromium) fails */
function skipOrFail(ctx: { skip: (why: string) => void }): void {
  if (process.env.CI === 'true') expect.fail(`CI must run the browser tests, but: ${why}`);
  ctx.skip(why!);
}

async function ready(p: Page): Promise<void> {
  await p.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
}

/** open the page on a view (from another document: a fragment change alone reloads the page by itself) */
async function openView(p: Page, hash: string): Promise<void> {
  await p.goto('about:blank');
  await p.goto(url + hash);
  await ready(p);
}

/** Tab (forwards) until the focused element matches sel; false when it never does */
async function tabTo(p: Page, sel: string, max = 80): Promise<boolean> {
  for (let i = 0; i < max; i++) {
    await p.keyboard.press('Tab');
    if (await p.evaluate((s) => document.activeElement?.matches(s) ?? false, sel)) return true;
  }
  return false;
}

/** the step shown: frame index and header text */
async function shown(p: Page): Promise<{ frame: number; head: string }> {
  return p.evaluate(() => ({ frame: Number(document.body.dataset.frame), head: document.querySelector('[data-testid="step-view"] h3')?.textContent ?? '' }));
}

/** wait until a run of `kernel` is drawn */
async function drawn(p: Page, kernel: string): Promise<void> {
  await p.waitForFunction((k) => document.querySelector('[data-testid="outcome"] b')?.textContent?.trim().endsWith(k) === true && !document.querySelector('.busy'), kernel, { timeout: 60_000 });
}

describe('the page in chromium', () => {
  it('opens the seed at the end of its setup, with the 2018 branch SIGBUS as the outcome', async (ctx) => {
    if (why) return skipOrFail(ctx);
    await page.goto(url);
    await ready(page);
    expect(await page.locator('[data-testid="scenario"]').inputValue()).toBe('seed-thp-split-uffd-wp.yaml');
    expect(await page.locator('[data-testid="kernel"]').inputValue()).toBe('v4.19-uffd-wp-2018');
    expect(await page.locator('[data-testid="outcome"] [data-testid="signal-marker"]').textContent()).toBe('SIGBUS');
    expect((await shown(page)).head).toMatch(/^setup/);
    expect(await page.locator('[data-testid="pagetable"]').count()).toBe(3);
  });

  it('steps to the un-protect by keyboard: the split PTE is 0x...825, its D and PSE bits marked as changed', async (ctx) => {
    if (why) return skipOrFail(ctx);
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    for (let i = 0; i < 30 && !(await shown(page)).head.includes('(unprotect'); i++) await page.keyboard.press('ArrowRight');
    const s = await shown(page);
    expect(s.head).toMatch(/uffd · uffdio_writeprotect \(unprotect/);
    expect(await page.locator('[data-testid="acting"]').textContent()).toBe('__split_huge_pmd_locked');
    const pt = page.locator('[data-testid="pagetable"][data-key="ram + 0x7f000"]');
    const pte = (await pt.locator('[data-testid="entry-pte"]').textContent())!;
    expect(BigInt(pte) & ~0x000ffffffffff000n).toBe(0x8000000000000825n);
    const marked = await pt.locator('tr[data-level="pte"] td.bit.chg').evaluateAll((tds) => tds.map((td) => (td as HTMLElement).dataset.bit));
    expect(marked.sort()).toEqual(['D', 'PSE']);
    // the bit columns as drawn: present, user, accessed, soft-dirty; not writable, not dirty
    const bit = async (b: string) => pt.locator(`tr[data-level="pte"] td[data-bit="${b}"]`).textContent();
    expect([await bit('P'), await bit('RW'), await bit('D'), await bit('SD')]).toEqual(['1', '0', '0', '1']);
    // the PTE table is folded, and opens to all 512 entries
    expect(await pt.locator('table.entries tbody tr').count()).toBeLessThan(20);
    await pt.locator('[data-testid="open-all"]').click();
    expect(await pt.locator('table.entries tbody tr').count()).toBe(512);
    await pt.locator('[data-testid="open-all"]').click();
    await page.screenshot({ path: `${SHOTS}/unprotect-v4.19.png`, fullPage: false });
    // Home and End
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await page.keyboard.press('Home');
    expect((await shown(page)).frame).toBe(0);
    await page.keyboard.press('End');
    const last = await shown(page);
    expect(await page.locator('[data-testid="step-view"] [data-thread="vcpu"] [data-testid="signal-marker"]').textContent()).toBe('SIGBUS');
    for (let i = 0; i < 30 && !(await shown(page)).head.includes('(unprotect'); i++) await page.keyboard.press('ArrowLeft');
    expect((await shown(page)).frame).toBeLessThan(last.frame);
    // the page's own measures of this walk, kept with the screenshots (npm run bench reports them; never asserted)
    const perf = await page.evaluate(() => ({ open: performance.getEntriesByName('mmsim:open').map((e) => e.duration), steps: performance.getEntriesByName('mmsim:step').map((e) => e.duration) }));
    writeFileSync(`${SHOTS}/perf.json`, JSON.stringify(perf) + '\n');
  });

  it('a shared link opens the same scenario, kernel and step', async (ctx) => {
    if (why) return skipOrFail(ctx);
    const here = await shown(page);
    const link = page.url();
    expect(link).toMatch(/#.*s=seed-thp-split-uffd-wp\.yaml.*k=v4\.19-uffd-wp-2018.*f=\d+/);
    const other = await browser!.ctx.newPage();
    await other.goto(link);
    await ready(other);
    expect(await shown(other)).toEqual(here);
    expect(await other.locator('[data-testid="pagetable"][data-key="ram + 0x7f000"] [data-testid="entry-pte"]').textContent())
      .toBe(await page.locator('[data-testid="pagetable"][data-key="ram + 0x7f000"] [data-testid="entry-pte"]').textContent());
    await other.close();
  });

  it('side by side with v6.18: the first divergence is marked; alone on v6.18 the SIGBUS marker is gone', async (ctx) => {
    if (why) return skipOrFail(ctx);
    await page.locator('[data-testid="compare"]').selectOption('v6.18');
    await page.waitForSelector('[data-testid="divergence"]', { timeout: 60_000 });
    await page.locator('[data-testid="divergence"]').click();
    expect(await page.locator('[data-testid="divergence"]').textContent()).toMatch(/\(here\)/);
    expect(await page.locator('.side.diverged').count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/compare-v4.19-v6.18.png` });
    await page.locator('[data-testid="compare"]').selectOption('');
    await page.locator('[data-testid="kernel"]').selectOption('v6.18');
    await drawn(page, 'v6.18');
    expect(await page.locator('[data-testid="signal-marker"]').count()).toBe(0);
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await page.keyboard.press('End');
    expect(await page.locator('[data-testid="signal-marker"]').count()).toBe(0);
    expect(await page.locator('[data-testid="step-view"] [data-thread="vcpu"]').textContent()).toMatch(/done/);
  });

  it('check: herd7-style verdicts, and a counterexample played back step by step', async (ctx) => {
    if (why) return skipOrFail(ctx);
    await page.locator('[data-testid="scenario"]').selectOption('check/live-snapshot.yaml');
    await drawn(page, 'v4.19-uffd-wp-2018');
    await page.locator('[data-testid="check-button"]').click();
    await page.waitForSelector('[data-testid="verdicts"]', { timeout: 60_000 });
    expect(await page.locator('[data-testid="verdicts"]').textContent()).toMatch(/Observation no_sigbus Always \d+ 0/);
    const first = await shown(page);
    await page.locator('[data-testid="play-counterexample"]').first().click();
    await page.waitForSelector('[data-testid="step-view"] [data-testid="signal-marker"]', { timeout: 60_000 });
    const end = await shown(page);
    expect(end.frame).toBeGreaterThan(first.frame);
    expect(page.url()).toMatch(/sched=vcpu0\+handler\*3\+vcpu0|sched=vcpu0%20handler/);
    await page.screenshot({ path: `${SHOTS}/check-counterexample.png` });
  });

  it('a bad scenario in the editor shows its error at line and column', async (ctx) => {
    if (why) return skipOrFail(ctx);
    const ta = page.locator('[data-testid="yaml"]');
    const text = await ta.inputValue();
    await ta.fill(text.replace(/len: [^,}\s]+/, 'len: 1Q'));
    await page.locator('[data-testid="run"]').click();
    await page.waitForSelector('[data-testid="error"]', { timeout: 60_000 });
    expect(await page.locator('[data-testid="error"]').textContent()).toMatch(/^scenarios\/check\/live-snapshot\.yaml:\d+:\d+: setup\.\d+\.mmap\.len: bad expression '1Q'/);
    expect(await page.locator('.gutter .errline').count()).toBe(1);
  });

  it('keyboard only: Tab reaches the controls and the slider, and the slider steps with the arrows', async (ctx) => {
    if (why) return skipOrFail(ctx);
    await openView(page, '#s=seed-thp-split-uffd-wp.yaml&k=v4.19-uffd-wp-2018&f=3');
    const seen = new Set<string>();
    for (let i = 0; i < 40 && !seen.has('slider'); i++) {
      await page.keyboard.press('Tab');
      seen.add(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid ?? document.activeElement?.id ?? ''));
    }
    expect([...seen]).toEqual(expect.arrayContaining(['scenario', 'yaml', 'kernel', 'run', 'slider']));
    const before = (await shown(page)).frame;
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((b) => Number(document.body.dataset.frame) === b + 1, before);
  });

  it('reads on a phone in portrait and in the dark theme', async (ctx) => {
    if (why) return skipOrFail(ctx);
    const phone = await launch((found as { path: string }).path, { width: 390, height: 844 }, 'dark');
    try {
      const p = phone.ctx.pages()[0] ?? await phone.ctx.newPage();
      await p.goto(url + '#s=seed-thp-split-uffd-wp.yaml&k=v4.19-uffd-wp-2018&f=17');
      await ready(p);
      // nothing wider than the screen but the tables' own scrolling boxes
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [r, g, b] = bg.match(/\d+/g)!.map(Number);
      expect(r! + g! + b!).toBeLessThan(150); // the dark theme follows the system
      await p.screenshot({ path: `${SHOTS}/phone-dark.png` });
      await p.locator('select[aria-label="theme"]').selectOption('light');
      // the theme is applied after the redraw: wait for a light background
      await p.waitForFunction(() => getComputedStyle(document.body).backgroundColor.match(/\d+/g)!.map(Number).reduce((s, x) => s + x, 0) > 600);
    } finally {
      await phone.close();
    }
  });

  it('a static copy (--export) works from a plain static file server', async (ctx) => {
    if (why) return skipOrFail(ctx);
    const dir = mkdtempSync(join(tmpdir(), 'mmsim-site-'));
    exportSite(serveFiles(undefined), dir);
    // any static host: files by path, a content type by extension, no headers of mmsim's
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
    const host = createServer((req, res) => {
      const p = join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname).replace(/\/$/, '/index.html'));
      if (!p.startsWith(dir) || !existsSync(p) || !statSync(p).isFile()) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'Content-Type': types[extname(p)] ?? 'text/plain' }).end(readFileSync(p));
    });
    await new Promise<void>((ok) => host.listen(0, '127.0.0.1', ok));
    try {
      const p = await browser!.ctx.newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(e.message));
      await p.goto(`http://127.0.0.1:${(host.address() as { port: number }).port}/#s=bugs/thp-split-pte-dirty-not-carried.yaml`);
      await ready(p);
      expect(await p.locator('[data-testid="scenario"]').inputValue()).toBe('bugs/thp-split-pte-dirty-not-carried.yaml');
      expect(await p.locator('[data-testid="pagetable"]').count()).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      await p.close();
    } finally {
      await new Promise((done) => host.close(done));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the page in chromium: patches, folio pages, runs aligned by what happened', () => {
  it('patches chosen one by one by keyboard: a row added, a row of the profile taken out, both in the link', async (ctx) => {
    if (why) return skipOrFail(ctx);
    await openView(page, '#s=seed-thp-split-uffd-wp.yaml&k=v4.19-uffd-wp-2018');
    expect(await page.locator('[data-testid="outcome"] [data-testid="signal-marker"]').textContent()).toBe('SIGBUS');
    // the chooser is folded: one Tab stop; Enter opens it
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    expect(await tabTo(page, '[data-testid="patch-chooser"] > summary')).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.locator('[data-testid="patch-chooser"]').getAttribute('open')).not.toBeNull();
    // the profile's rows, each with its 12-hex commit, subject and release, all on
    const rows = page.locator('[data-testid="patch-chooser"] li[data-patch]');
    const ids = await rows.evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.patch));
    expect(ids).toContain('uffd-wp-2018-branch');
    expect(ids).toContain('soft-dirty-thp-split');
    expect(ids).not.toContain('peterx-2018-split-mkdirty');
    expect(await page.locator('li[data-patch="soft-dirty-thp-split"]').textContent()).toMatch(/^804dd150468c soft_dirty: fix soft_dirty during THP split v4\.8$/);
    expect(await page.locator('[data-testid="patch-chooser"] input[type="checkbox"]:not(:checked)').count()).toBe(0);
    // take a row of the profile out: filter to it, Tab to its checkbox, Space
    await page.locator('[data-testid="patch-filter"]').focus();
    await page.keyboard.type('804dd150468c');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.testid)).toBe('patch-soft-dirty-thp-split');
    await page.keyboard.press('Space');
    await drawn(page, 'v4.19-uffd-wp-2018-soft-dirty-thp-split');
    expect(await page.locator('li[data-patch="soft-dirty-thp-split"]').getAttribute('class')).toBe('removed');
    // without 804dd150468c the split PTEs lose the soft-dirty bit the PMD had (the arrows step from a checkbox too)
    const sd = page.locator('[data-testid="pagetable"][data-key="ram + 0x7f000"] tr[data-level="pte"] td[data-bit="SD"]');
    for (let i = 0; i < 30 && !(await shown(page)).head.includes('(unprotect'); i++) await page.keyboard.press('ArrowRight');
    expect(await sd.textContent()).toBe('0');
    expect(await page.locator('[data-testid="outcome"] [data-testid="signal-marker"]').textContent()).toBe('SIGBUS');
    // add Peter Xu's split-mkdirty proposal: the select, then Tab to Add and Enter
    await page.locator('[data-testid="patch-filter"]').fill('');
    expect(await tabTo(page, '[data-testid="patch-add"]')).toBe(true);
    await page.locator('[data-testid="patch-add"]').selectOption('peterx-2018-split-mkdirty');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.testid)).toBe('patch-add-button');
    await page.keyboard.press('Enter');
    await drawn(page, 'v4.19-uffd-wp-2018+peterx-2018-split-mkdirty-soft-dirty-thp-split');
    expect(await page.locator('[data-testid="outcome"] [data-testid="signal-marker"]').count()).toBe(0); // the fix works
    expect(await page.locator('li[data-patch="peterx-2018-split-mkdirty"]').getAttribute('class')).toBe('added');
    expect(await page.locator('[data-testid="patch-peterx-2018-split-mkdirty"]').isChecked()).toBe(true);
    expect(await page.locator('[data-testid="patch-edits"]').textContent()).toBe('--patch +peterx-2018-split-mkdirty,-soft-dirty-thp-split');
    expect(decodeURIComponent(page.url())).toMatch(/&p=\+peterx-2018-split-mkdirty,-soft-dirty-thp-split/);
    expect((await shown(page)).head).toMatch(/\(unprotect/); // the same step, rerun
    expect(await sd.textContent()).toBe('1'); // pte_mkdirty sets _PAGE_SOFT_DIRTY too on x86
    // the link reopens the same choice
    const other = await browser!.ctx.newPage();
    await other.goto(page.url());
    await ready(other);
    await other.locator('[data-testid="patch-chooser"] > summary').click();
    expect(await other.locator('[data-testid="patch-soft-dirty-thp-split"]').isChecked()).toBe(false);
    expect(await other.locator('[data-testid="patch-peterx-2018-split-mkdirty"]').isChecked()).toBe(true);
    expect(await other.locator('[data-testid="outcome"] [data-testid="signal-marker"]').count()).toBe(0);
    expect(await shown(other)).toEqual(await shown(page));
    await other.close();
    await page.screenshot({ path: `${SHOTS}/patches.png` });
  });

  it('config knobs by keyboard: zero_page off makes the read map a page of its own; thp a select; a bad number shows its error; the link keeps them', async (ctx) => {
    if (why) return skipOrFail(ctx);
    // a page of its own: the tests after this one go on from where the patches test left `page`
    const p = await browser!.ctx.newPage();
    await openView(p, '#s=differential/read-zero-page-4k.yaml');
    for (let i = 0; i < 10 && !/ · read \(/.test((await shown(p)).head); i++) await p.keyboard.press('ArrowRight');
    expect((await shown(p)).head).toMatch(/ · read \(/);
    const folio = p.locator('[data-testid="pagetable"] p.folio');
    const pte = p.locator('[data-testid="pagetable"] [data-testid="entry-pte"]');
    expect(await folio.textContent()).toMatch(/the zero page/);
    const zeroPte = await pte.textContent();
    const frame = (await shown(p)).frame;
    // the chooser: one Tab stop, Enter opens it; each knob shows the kernel's default
    await p.locator('body').click({ position: { x: 1, y: 1 } });
    expect(await tabTo(p, '[data-testid="config-chooser"] > summary')).toBe(true);
    await p.keyboard.press('Enter');
    expect(await p.locator('[data-testid="config-chooser"]').getAttribute('open')).not.toBeNull();
    expect(await p.locator('[data-testid="knob-zero_page"]').isChecked()).toBe(true);
    expect(await p.locator('#knob-zero_page-def').textContent()).toBe('default y');
    expect(await p.locator('[data-testid="knob-thp"]').inputValue()).toBe('madvise');
    expect(await p.locator('[data-testid="knob-soft_dirty"]').isChecked()).toBe(false); // v6.18 as this machine: compiled out
    expect(await p.locator('[data-testid="knob-max_ptes_none"]').inputValue()).toBe('511');
    // zero_page off, by keyboard: the same step rerun, the read now maps a page of its own
    expect(await tabTo(p, '[data-testid="knob-zero_page"]')).toBe(true);
    await p.keyboard.press('Space');
    await p.waitForFunction(() => location.hash.includes('c=zero_page%3Dn') && !document.querySelector('.busy')
      && !/the zero page/.test(document.querySelector('[data-testid="pagetable"] p.folio')?.textContent ?? 'the zero page'), null, { timeout: 60_000 });
    expect((await shown(p)).frame).toBe(frame);
    expect(await pte.textContent()).not.toBe(zeroPte);
    expect(await p.locator('[data-testid="config-edits"]').textContent()).toBe('--config zero_page=n');
    expect(await p.locator('#knob-zero_page-def').textContent()).toBe('changed · default y');
    // thp from its select, by keyboard
    await p.locator('[data-testid="knob-thp"]').focus();
    await p.keyboard.press('ArrowUp'); // madvise -> always
    await p.waitForFunction(() => location.hash.includes('c=thp%3Dalways%2Czero_page%3Dn') && !document.querySelector('.busy'), null, { timeout: 60_000 });
    expect(await p.locator('[data-testid="config-edits"]').textContent()).toBe('--config thp=always,zero_page=n');
    // a number out of its range: its error shown, nothing applied
    await p.locator('[data-testid="knob-max_ptes_none"]').fill('600');
    await p.keyboard.press('Enter');
    await p.locator('[data-testid="knob-max_ptes_none"]').blur();
    expect(await p.locator('[data-testid="knob-max_ptes_none-error"]').textContent()).toMatch(/max_ptes_none: '600' is not a whole number from 0 to 511/);
    expect(await p.locator('[data-testid="knob-max_ptes_none"]').getAttribute('aria-invalid')).toBe('true');
    expect(decodeURIComponent(p.url())).not.toMatch(/max_ptes_none/);
    // the link reopens the same knobs on the same step
    const other = await browser!.ctx.newPage();
    await other.goto(p.url());
    await ready(other);
    await other.locator('[data-testid="config-chooser"] > summary').click();
    expect(await other.locator('[data-testid="knob-zero_page"]').isChecked()).toBe(false);
    expect(await other.locator('[data-testid="knob-thp"]').inputValue()).toBe('always');
    expect(await other.locator('[data-testid="pagetable"] p.folio').textContent()).not.toMatch(/the zero page/);
    expect(await shown(other)).toEqual(await shown(p));
    await other.close();
    await p.screenshot({ path: `${SHOTS}/config.png` });
    // reset: back to the default, the zero page again
    await p.locator('[data-testid="knob-zero_page-reset"]').click();
    await p.waitForFunction(() => !location.hash.includes('zero_page') && !document.querySelector('.busy')
      && /the zero page/.test(document.querySelector('[data-testid="pagetable"] p.folio')?.textContent ?? ''), null, { timeout: 60_000 });
    expect(await pte.textContent()).toBe(zeroPte);
    // a bad knob in a link is shown, not applied silently
    // (the run refuses it too: the page draws no run, and says why)
    await p.goto('about:blank');
    await p.goto(url + '#s=differential/read-zero-page-4k.yaml&c=zero_page%3Dmaybe');
    await p.locator('[data-testid="config-error"]').waitFor({ timeout: 60_000 });
    expect(await p.locator('[data-testid="config-error"]').textContent()).toMatch(/zero_page: 'maybe' is not y or n/);
    await p.locator('[data-testid="error"]').waitFor({ timeout: 60_000 });
    expect(await p.locator('[data-testid="error"]').textContent()).toMatch(/bad value 'maybe' for config zero_page/);
    await p.close();
  });

  it('the scenario list holds scenarios only: not differential/known-differences.yaml nor known-fuzz.yaml', async (ctx) => {
    if (why) return skipOrFail(ctx);
    const opts = await page.locator('[data-testid="scenario"] option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(opts).toContain('differential/read-zero-page-4k.yaml');
    expect(opts.filter((o) => /known-/.test(o))).toEqual([]);
  });

  it('an arm64 kernel draws its entries in arm64 names (DBM, RDO, UWP at bit 58), the x86 one beside it in x86 names', async (ctx) => {
    if (why) return skipOrFail(ctx);
    const p = await browser!.ctx.newPage();
    await p.goto(url + '#s=seed-thp-split-uffd-wp-arm64.yaml&b=v6.18');
    await ready(p);
    await p.locator('body').click({ position: { x: 1, y: 1 } });
    await p.keyboard.press('End');
    const a = p.locator('[data-testid="step-view"] [data-testid="pagetable"][data-key="ram + 0x80000"]');
    const bit = async (b: string) => a.locator(`tr[data-level="pte"] td[data-bit="${b}"]`).first().textContent();
    // the split PTE of a still-protected page: valid, user, read-only, accessed, uffd-wp (58), dirty (55), not writable (DBM)
    expect([await bit('V'), await bit('USR'), await bit('RDO'), await bit('AF'), await bit('UWP'), await bit('DTY'), await bit('DBM')]).toEqual(['1', '1', '1', '1', '1', '1', '0']);
    expect(await a.locator('thead th[title^="bit 58"]').first().textContent()).toBe('UWP');
    // the x86 side keeps its own columns
    const b = p.locator('[data-testid="step-view-b"] [data-testid="pagetable"][data-key="ram + 0x80000"]');
    expect(await b.locator('tr[data-level="pte"] td[data-bit="RW"]').count()).toBeGreaterThan(0);
    expect(await b.locator('tr[data-level="pte"] td[data-bit="DBM"]').count()).toBe(0);
    await p.screenshot({ path: `${SHOTS}/arm64-beside-x86.png`, fullPage: false });
    await p.close();
  });

  it("a scenario whose kernel: carries a patch opens as its profile with that row added", async (ctx) => {
    if (why) return skipOrFail(ctx);
    const p = await browser!.ctx.newPage();
    await p.goto(url + '#s=bugs/gup-cow-wrong-direction.yaml');
    await ready(p);
    expect(await p.locator('[data-testid="kernel"]').inputValue()).toBe('v5.7');
    expect(await p.locator('[data-testid="patch-edits"]').textContent()).toBe('--patch +gup-force-cow-break');
    expect(decodeURIComponent(p.url())).toMatch(/k=v5\.7&p=\+gup-force-cow-break/);
    await p.locator('[data-testid="patch-chooser"] > summary').click();
    expect(await p.locator('[data-testid="patch-gup-force-cow-break"]').isChecked()).toBe(true);
    // and another profile chosen afterwards keeps the row only where it means something (v5.8 has it)
    await p.locator('[data-testid="kernel"]').selectOption('v5.8');
    await drawn(p, 'v5.8');
    expect(await p.locator('[data-testid="patch-edits"]').count()).toBe(0);
    await p.close();
  });

  it("a second profile beside the first runs without the first one's patch edits (they need the 2018 branch)", async (ctx) => {
    if (why) return skipOrFail(ctx);
    await page.locator('[data-testid="compare"]').selectOption('v6.18');
    await page.waitForSelector('[data-testid="step-view-b"]', { timeout: 60_000 });
    expect(await page.locator('[data-testid="error"]').count()).toBe(0);
    expect(await page.locator('.sidehead').allTextContents()).toEqual(['[A] v4.19-uffd-wp-2018+peterx-2018-split-mkdirty-soft-dirty-thp-split', '[B] v6.18']);
    // a new profile keeps only the edits that mean something for it
    await page.locator('[data-testid="compare"]').selectOption('');
    await page.locator('[data-testid="kernel"]').selectOption('v6.18');
    await page.waitForSelector('[data-testid="error"]', { timeout: 60_000 });
    expect(await page.locator('[data-testid="error"]').textContent()).toMatch(/patch 'peterx-2018-split-mkdirty' needs 'uffd-wp-2018-branch'/);
  });

  it('the pages of the THP one by one: tails with refcount 0 and _mapcount -1 until the split maps each by a PTE', async (ctx) => {
    if (why) return skipOrFail(ctx);
    await openView(page, '#s=seed-thp-split-uffd-wp.yaml&k=v4.19-uffd-wp-2018&f=17');
    expect((await shown(page)).head).toMatch(/\(unprotect/);
    const fp = page.locator('[data-testid="step-view"] [data-testid="folio-pages"]').first();
    // folded: the head, the observed pages and their neighbours, the first and last that changed
    const listed = async () => fp.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.page)));
    expect(await listed()).toEqual([0, 1, 126, 127, 128, 129, 511]);
    expect(await fp.locator('button[data-testid="open-all-pages"]').textContent()).toMatch(/7 of 512 listed, 512 changed since the previous step/);
    const cell = (i: number, f: string) => fp.locator(`tr[data-page="${i}"] td[data-field="${f}"]`);
    expect([await cell(127, 'refcount').textContent(), await cell(127, 'mapcount').textContent(), await cell(127, 'page_mapcount').textContent()]).toEqual(['0', '0', '1']);
    expect(await cell(127, 'mapcount').getAttribute('class')).toBe('chg');
    expect(await cell(0, 'flags').textContent()).toMatch(/^head\|.*\bdirty\b/); // the split put the PMD's dirty bit in PG_dirty
    expect(await cell(0, 'refcount').textContent()).toBe('512');
    // all 512, by keyboard
    await fp.locator('button[data-testid="open-all-pages"]').focus();
    await page.keyboard.press('Enter');
    expect(await fp.locator('tbody tr').count()).toBe(512);
    expect(await cell(300, 'mapcount').textContent()).toBe('0');
    await fp.screenshot({ path: `${SHOTS}/folio-pages.png` });
    // one step back: still PMD-mapped, every tail's _mapcount -1, the head's refcount 1
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.body.dataset.frame === '16');
    expect(await fp.locator('tbody tr').count()).toBe(512);
    expect([await cell(300, 'mapcount').textContent(), await cell(300, 'page_mapcount').textContent(), await cell(0, 'refcount').textContent()]).toEqual(['-1', '1', '1']);
    expect(await cell(0, 'flags').textContent()).not.toMatch(/\bdirty\b/);
  });

  it('side by side on the seed, against v6.18 and each proposed fix: every step paired, the first divergence marked', async (ctx) => {
    if (why) return skipOrFail(ctx);
    const fixes: [string, RegExp | null][] = [
      ['v6.18', /setup · setup · write/],
      ['v4.19-uffd-wp-2018+peterx-2018-split-mkdirty', /\(unprotect/],
      ['v4.19-uffd-wp-2018+peterx-2018-pagedirty', /\(unprotect/],
      ['v4.19-uffd-wp-2018+glisse-2018-no-dirty-accountable', null], // it changes nothing the seed observes: still SIGBUS
    ];
    for (const [b, where] of fixes) {
      await openView(page, `#s=seed-thp-split-uffd-wp.yaml&k=v4.19-uffd-wp-2018&b=${encodeURIComponent(b)}`);
      expect(await page.locator('[data-testid="alignment"]').textContent(), b).toBe('aligned by what happened: 20 steps paired, 0 only on A, 0 only on B');
      if (!where) {
        expect(await page.locator('[data-testid="divergence"]').count(), b).toBe(0);
        continue;
      }
      await page.locator('[data-testid="divergence"]').click();
      expect(await page.locator('[data-testid="divergence"]').textContent(), b).toMatch(/\(here\)$/);
      expect((await shown(page)).head, b).toMatch(where);
      expect(await page.locator('[data-testid="step-view-b"] h3').first().textContent(), b).toBe((await shown(page)).head);
      if (b.includes('split-mkdirty')) await page.screenshot({ path: `${SHOTS}/compare-split-mkdirty.png` });
    }
  });

  it('a step only one kernel takes is a gap, and the steps after it still line up (gup-cow-wrong-direction, v5.7 against v5.8)', async (ctx) => {
    if (why) return skipOrFail(ctx);
    await openView(page, '#s=bugs/gup-cow-wrong-direction.yaml&k=v5.7&b=v5.8');
    expect(await page.locator('[data-testid="alignment"]').textContent()).toBe('aligned by what happened: 7 steps paired, 1 only on A, 2 only on B');
    // the first divergence: v5.8 breaks COW in GUP (faultin_page -> wp_page_copy) in a step v5.7 does not take
    await page.locator('[data-testid="divergence"]').click();
    expect(await page.locator('[data-testid="divergence"]').textContent()).toMatch(/\(B only\) \(here\)$/);
    expect(await page.locator('[data-testid="gap-a"]').textContent()).toMatch(/\[A\] took no step here: .*step 1 · child · vmsplice, wp_page_copy/);
    expect(await page.locator('[data-testid="acting-b"]').textContent()).toBe('wp_page_copy');
    // the next step is vmsplice completing on both: v5.7's step 1 beside v5.8's step 2
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await page.keyboard.press('ArrowRight');
    const heads = async () => [await page.locator('[data-testid="step-view"] h3').first().textContent(), await page.locator('[data-testid="step-view-b"] h3').first().textContent()];
    expect(await heads()).toEqual(['step 1 · child · vmsplice (splice, line 20)', 'step 2 · child · vmsplice (splice, line 20)']);
    expect([await page.locator('[data-testid="acting"]').textContent(), await page.locator('[data-testid="acting-b"]').textContent()]).toEqual(['vmsplice', 'vmsplice']);
    await page.screenshot({ path: `${SHOTS}/compare-gap-v5.7-v5.8.png` });
    // the rows as a list: the extra step is "B only", the reordered munmap and memset one of each
    await page.locator('[data-testid="alignment-list"] > summary').click();
    await page.waitForSelector('[data-testid="alignment-list"] tbody tr[data-row="9"]'); // drawn once opened
    const states = await page.locator('[data-testid="alignment-list"] tbody td:last-child').allTextContents();
    expect(states.filter((x) => x === 'B only').length).toBe(2);
    expect(states.filter((x) => x === 'A only').length).toBe(1);
    expect(states[0]).toBe('same');
    expect(await page.locator('[data-testid="alignment-list"] tr[data-row="5"] td').nth(0).textContent()).toMatch(/step 1 · child · vmsplice vmsplice/);
    await page.locator('[data-testid="alignment-list"] tr[data-row="4"] button').click();
    expect(await page.locator('[data-testid="gap-a"]').count()).toBe(1);
    await page.locator('[data-testid="alignment-list"] tr[data-row="5"] button').click();
    await page.locator('[data-testid="alignment-list"] > summary').click();
    // and the last step is the child's read_pipe on both, though v5.8 took one step more
    await page.keyboard.press('End');
    const [ha, hb] = await heads();
    expect(ha).toMatch(/^step 4 · child · read_pipe/);
    expect(hb).toMatch(/^step 5 · child · read_pipe/);
    // the link keeps the aligned row
    const link = page.url();
    const other = await browser!.ctx.newPage();
    await other.goto(link);
    await ready(other);
    expect(await other.locator('[data-testid="step-view-b"] h3').first().textContent()).toBe(hb);
    await other.close();
  });

  it('a link pasted into the same tab (only the fragment changes) opens its view', async (ctx) => {
    if (why) return skipOrFail(ctx);
    await openView(page, '#s=seed-thp-split-uffd-wp.yaml&k=v4.19-uffd-wp-2018&f=3');
    await page.evaluate(() => { location.hash = '#s=seed-thp-split-uffd-wp.yaml&k=v6.18&f=17'; });
    await page.waitForFunction(() => document.body.dataset.ready === '1' && document.body.dataset.frame === '17', undefined, { timeout: 60_000 });
    expect(await page.locator('[data-testid="kernel"]').inputValue()).toBe('v6.18');
    expect((await shown(page)).head).toMatch(/\(unprotect/);
  });

  it('side by side fits 1280x800 and a phone in portrait: nothing wider than the window but the tables in their boxes', async (ctx) => {
    if (why) return skipOrFail(ctx);
    await openView(page, '#s=seed-thp-split-uffd-wp.yaml&k=v4.19-uffd-wp-2018&b=v6.18&f=17');
    for (const state of ['controls hidden', 'controls shown']) {
      expect(await page.evaluate(() => document.documentElement.scrollWidth), state).toBeLessThanOrEqual(1280);
      await page.locator('[data-testid="toggle-controls"]').click();
    }
    const phone = await launch((found as { path: string }).path, { width: 390, height: 844 });
    try {
      const p = phone.ctx.pages()[0] ?? await phone.ctx.newPage();
      await p.goto(url + '#s=seed-thp-split-uffd-wp.yaml&k=v4.19-uffd-wp-2018&b=v6.18&f=17');
      await ready(p);
      await p.locator('[data-testid="toggle-controls"]').click();
      await p.locator('[data-testid="patch-chooser"] > summary').click();
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    } finally {
      await phone.close();
    }
  });

  it('no page of this run broke its Content-Security-Policy or threw', async (ctx) => {
    if (why) return skipOrFail(ctx);
    // chromium reports a refused script, style or worker as a console error; the page's own errors are none
    expect(consoleErrors).toEqual([]);
    // and it would: an inline script put into the page is refused, and said so
    const p = await browser!.ctx.newPage();
    await p.goto(url + '#s=seed-thp-split-uffd-wp.yaml');
    await ready(p);
    const ran = await p.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'document.body.dataset.inline = "ran"';
      document.body.append(s);
      return document.body.dataset.inline ?? 'refused';
    });
    await p.close();
    expect(ran).toBe('refused');
    expect(consoleErrors.some((e) => /Content Security Policy/.test(e))).toBe(true);
  });
});

/**
 * `gaf-lab serve` in a real browser, as a user meets it: a tiny sweep (SGD and SGD+GAF, two
 * seeds) trains with `gaf-lab sweep` while `gaf-lab serve` serves its folder and headless
 * Chromium (Debian's, driven by playwright-core) shows the dashboard. Checked: the runs appear in
 * the table, a live curve gains points while a run trains, the compare view shows the numbers
 * `gaf-lab results --json` prints for the folder, and the page loads nothing from elsewhere.
 *
 * The CLI is run from this build (`<build>/src/cli/main.js`). Screenshots of the runs, curves and
 * compare tabs are left in build/browser-dashboard/ (on failure too, with the page's HTML).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { assertChromium, launchChromium } from './chromium';
import { ROOT } from './repo-root';

const WORK = path.join(ROOT, 'build', 'browser-dashboard');
const CLI = path.join(__dirname, '..', 'src', 'cli', 'main.js');
const STEPS_PER_EPOCH = 80;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The sweep: 1280 images in 80 batches of 16, 3 epochs, a step line every step; 2 optimizers x 2
 * seeds. A run must outlast several of the page's 2-second refreshes for a growing curve to be
 * seen: at about 30 ms a step here, 240 steps take 7 s or more (with 12 batches an epoch took
 * 0.4 s and a whole run fell between two refreshes).
 */
function sweepConfig(outDir: string): object {
  return {
    name: 'dashboard browser test',
    outDir,
    base: {
      dataset: { name: 'fashion-mnist', subset: { first: STEPS_PER_EPOCH * 16 }, testSubset: { first: 96 } },
      model: { name: 'smallcnn' },
      optimizer: { name: 'sgd', options: { learningRate: 0.01, momentum: 0.9 } },
      epochs: 3,
      batchSize: 16,
      gradStats: { every: 4 },
      stepMetrics: { every: 1 },
      backend: 'wasm',
    },
    grid: { optimizers: [{ gaf: null }, { gaf: { kind: 'atan', alpha: 0.1, beta: 20 } }], seeds: [1, 2] },
  };
}

/** Starts `gaf-lab serve DIR --port 0` and resolves with its URL (the line it prints). */
async function startServe(dir: string, log: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [CLI, 'serve', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr!.on('data', (d: Buffer) => fs.appendFileSync(log, d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gaf-lab serve printed no URL in 30 s: ${out}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      fs.appendFileSync(log, d);
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.on('exit', (c) => reject(new Error(`gaf-lab serve exited (${c}): ${out}`)));
  });
  return { proc, url };
}

async function stop(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** The summary or comparison table of the compare view as rows of column -> raw value. */
const READ_TABLE = (cls: string): string => `(() => [...document.querySelectorAll('#compare table.${cls} tbody tr')].map((tr) =>
  Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.col, td.dataset.value]))))()`;

test(
  'gaf-lab serve in Chromium: runs appear, a curve grows while training, compare equals gaf-lab results --json',
  { timeout: 300_000 },
  async (t) => {
    assertChromium();
    assert.ok(fs.existsSync(CLI), `${CLI} not found: build the tests first (npm run build:test)`);
    fs.rmSync(WORK, { recursive: true, force: true });
    const sweepDir = path.join(WORK, 'sweep');
    fs.mkdirSync(sweepDir, { recursive: true });
    const cfg = path.join(WORK, 'sweep.json');
    fs.writeFileSync(cfg, JSON.stringify(sweepConfig(sweepDir)));
    const log = path.join(WORK, 'serve.log');
    const sweepLog = path.join(WORK, 'sweep.log');

    let serve: { proc: ChildProcess; url: string } | undefined;
    let sweep: ChildProcess | undefined;
    let browser: Browser | undefined;
    let page: Page | undefined;
    const consoleErrors: string[] = [];
    const offHost: string[] = [];
    const shot = async (name: string): Promise<string> => {
      const file = path.join(WORK, `${name}.png`);
      await page!.screenshot({ path: file, fullPage: true });
      return file;
    };
    try {
      serve = await startServe(sweepDir, log);
      const t0 = Date.now();
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith(serve!.url) && !/^(data|blob|about):/.test(r.url())) offHost.push(r.url());
      });
      await page.goto(serve.url, { waitUntil: 'load', timeout: 30_000 });
      await page.waitForFunction(`document.body.dataset.ready === '1'`, null, { timeout: 30_000 });
      t.diagnostic(`page ready ${Date.now() - t0} ms after the server started (empty folder)`);

      // The sweep starts after the page is open: its runs must appear by themselves.
      const out = fs.openSync(sweepLog, 'w');
      sweep = spawn(process.execPath, [CLI, 'sweep', cfg, '--workers', '1'], { stdio: ['ignore', out, out] });
      fs.closeSync(out);
      const sweepDone = new Promise<number | null>((r) => sweep!.on('exit', (c) => r(c)));
      await page.waitForFunction(`Number(document.body.dataset.runs) >= 1`, null, { timeout: 120_000, polling: 200 });
      t.diagnostic(`first run in the table ${Date.now() - t0} ms after the server started`);

      // Curves tab, nothing selected: it follows the running runs. Sample the points drawn.
      await page.click('nav button[data-tab="curves"]');
      const samples: { key: string; points: number; running: boolean }[] = [];
      const until = Date.now() + 120_000;
      let grew = false;
      while (!grew && Date.now() < until && sweep.exitCode === null) {
        const s = (await page.evaluate(`(() => {
        const el = document.getElementById('curves');
        return { key: el.dataset.viewKey || '', points: Number(el.dataset.stepPoints || 0),
          running: [...document.querySelectorAll('#runs tbody tr')].some((tr) => tr.dataset.status === 'running') || (state.runs || []).some((r) => r.status === 'running') };
      })()`)) as { key: string; points: number; running: boolean };
        samples.push(s);
        grew = samples.some((a, i) =>
          samples.slice(i + 1).some((b) => b.key === a.key && a.key !== '' && a.points > 0 && b.points > a.points),
        );
        await sleep(500);
      }
      assert.ok(grew, `no curve gained points while the sweep trained; samples: ${JSON.stringify(samples.slice(-20))}`);
      const curvesShot = await shot('curves');
      t.diagnostic(`curve grew: ${JSON.stringify(samples.filter((s) => s.points > 0).slice(0, 6))}; screenshot ${curvesShot}`);

      assert.equal(await sweepDone, 0, `gaf-lab sweep failed; ${sweepLog}:\n${fs.readFileSync(sweepLog, 'utf8').slice(-3000)}`);
      await page.click('nav button[data-tab="runs"]');
      await page.waitForFunction(`document.querySelectorAll('#runs tbody tr[data-status="completed"]').length === 4`, null, {
        timeout: 30_000,
        polling: 250,
      });
      await shot('runs');

      // Compare view against the CLI on the same folder.
      const cli = spawnSync(process.execPath, [CLI, 'results', sweepDir, '--json'], { encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
      const expected = JSON.parse(cli.stdout) as { summary: Record<string, unknown>[]; comparison: Record<string, unknown>[] | null };
      await page.click('nav button[data-tab="compare"]');
      await page.waitForFunction(`document.querySelectorAll('#compare table.summary tbody tr').length > 0`, null, { timeout: 30_000 });
      const shown = (await page.evaluate(READ_TABLE('summary'))) as Record<string, string>[];
      const asShown = (v: unknown): string => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
      assert.deepEqual(
        shown,
        expected.summary.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, asShown(v)]))),
        'summary table of the compare view vs gaf-lab results --json',
      );
      assert.ok(expected.comparison && expected.comparison.length > 0, 'the sweep has SGD and SGD+GAF: a comparison');
      const cmp = (await page.evaluate(READ_TABLE('comparison'))) as Record<string, string>[];
      assert.deepEqual(
        cmp,
        expected.comparison.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, asShown(v)]))),
        'comparison table vs gaf-lab results --json',
      );
      // The numbers a reader sees: the shown text of the final mean is the JSON value rounded.
      const finalText = (await page.evaluate(
        `document.querySelector('#compare table.summary td[data-col="finalMean"]').textContent`,
      )) as string;
      assert.equal(Number(finalText), Number(Number(expected.summary[0]!.finalMean).toFixed(4)));
      await shot('compare');

      // Every run selected: the curves tab draws all their step lines (the README's screenshot).
      const totalSteps = 4 * 3 * STEPS_PER_EPOCH;
      await page.click('nav button[data-tab="runs"]');
      await page.click('#select-visible');
      await page.click('nav button[data-tab="curves"]');
      await page.waitForFunction(`Number(document.getElementById('curves').dataset.stepPoints) === ${totalSteps}`, null, {
        timeout: 30_000,
        polling: 250,
      });
      await shot('curves-all');

      assert.deepEqual(offHost, [], 'the page loads nothing from outside the server');
      assert.deepEqual(consoleErrors, [], 'no errors in the browser console');
    } catch (e) {
      if (page) {
        try {
          await page.screenshot({ path: path.join(WORK, 'failure.png'), fullPage: true });
          fs.writeFileSync(path.join(WORK, 'failure.html'), await page.content());
        } catch {
          // the page is gone; the error below says why
        }
      }
      throw new Error(
        `${(e as Error).message}\nartifacts in ${WORK}; browser console errors: ${consoleErrors.slice(0, 5).join(' | ') || 'none'}`,
        {
          cause: e,
        },
      );
    } finally {
      await browser?.close();
      await stop(sweep);
      await stop(serve?.proc);
    }
  },
);

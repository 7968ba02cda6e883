/**
 * The first notebook of the series runs in a real browser: Debian's classic Jupyter Notebook
 * server (6.4) with the project's tslab kernel, driven by headless Chromium through playwright-core,
 * cells run through the UI (Cell > Run All). Checks what a reader sees: no error output, no
 * TypeScript error on stderr, a rendered figure and a rendered gaf-lab HTML table.
 *
 * Needs `npm run build` (the notebook imports dist/ through the package name), the tslab kernel
 * (`bash scripts/setup-jupyter.sh`) and the apt packages jupyter-notebook and chromium
 * (`bash scripts/setup.sh`). When any is missing this test fails with the command to run; it
 * never skips. It runs the notebook in smoke mode (GAF_NOTEBOOK_MODE=smoke) to stay fast.
 *
 * On failure it leaves a screenshot, the page's HTML and the server's log in build/browser-test/
 * and names them in the message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { assertChromium, launchChromium } from './chromium';
import { ROOT } from './repo-root';

/**
 * The notebook this test opens: the first notebooks/00-*.ipynb (GAF_BROWSER_TEST_NOTEBOOK, a
 * path, picks another one, e.g. while writing a notebook).
 */
const NOTEBOOK: string | undefined =
  process.env.GAF_BROWSER_TEST_NOTEBOOK ??
  fs
    .readdirSync(path.join(ROOT, 'notebooks'))
    .filter((f) => /^00-.*\.ipynb$/.test(f))
    .sort()
    .map((f) => path.join(ROOT, 'notebooks', f))[0];

/**
 * Everything the test writes. The notebook folder must be inside the repository: the kernel runs
 * there, and `import ... from 'gaf-lab'` resolves through <repo>/node_modules/gaf-lab.
 */
const WORK = path.join(ROOT, 'build', 'browser-test');
const NOTEBOOK_ROOT = path.join(WORK, 'notebook');
const KERNELS = path.join(ROOT, '.jupyter-kernels', 'share', 'jupyter');
const PYTHON = process.env.JUPYTER_PYTHON ?? '/usr/bin/python3';

const SERVER_START_MS = 40_000;
const KERNEL_READY_MS = 60_000;
const RUN_ALL_MS = 120_000;

/** Fails (never skips) with the command that fixes a missing prerequisite. */
function assertPrerequisites(): void {
  assert.ok(NOTEBOOK, `no notebooks/00-*.ipynb to open in the browser`);
  assert.ok(fs.existsSync(NOTEBOOK), `notebook not found: ${NOTEBOOK}`);
  assertChromium();
  const nb = spawnSync(PYTHON, ['-c', 'import notebook; print(notebook.__version__)'], { encoding: 'utf8' });
  assert.equal(
    nb.status,
    0,
    `${PYTHON} cannot import the classic Jupyter Notebook server: run 'bash scripts/setup.sh' (apt package jupyter-notebook)\n${nb.stderr ?? ''}`,
  );
  assert.match(nb.stdout, /^6\./, `this test drives the classic Notebook 6 UI, but ${PYTHON} has notebook ${nb.stdout.trim()}`);
  assert.ok(
    fs.existsSync(path.join(KERNELS, 'kernels', 'tslab', 'kernel.json')),
    `no tslab kernel in ${KERNELS}: run 'bash scripts/setup-jupyter.sh'`,
  );
  assert.ok(
    fs.existsSync(path.join(ROOT, 'node_modules', 'gaf-lab')),
    `node_modules/gaf-lab link missing: run 'node scripts/link-self.js' (or 'bash scripts/setup-jupyter.sh')`,
  );
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'index.js')), `dist/index.js not found: run 'npm run build' first`);
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const tail = (file: string, chars = 3000): string => {
  try {
    return fs.readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '(no log)';
  }
};

interface Server {
  proc: ChildProcess;
  base: string;
  token: string;
  log: string;
}

/** Starts `python3 -m notebook` on a random port with a random token; resolves when its API answers. */
async function startServer(): Promise<Server> {
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const log = path.join(WORK, 'server.log');
  const jupyterDir = path.join(WORK, 'jupyter');
  for (const d of ['runtime', 'config', 'data']) fs.mkdirSync(path.join(jupyterDir, d), { recursive: true });
  const out = fs.openSync(log, 'w');
  const args = [
    '-m',
    'notebook',
    '--no-browser',
    '--ip=127.0.0.1',
    `--port=${port}`,
    '--port-retries=0',
    `--notebook-dir=${NOTEBOOK_ROOT}`,
    `--NotebookApp.token=${token}`,
    ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
  ];
  const proc = spawn(PYTHON, args, {
    cwd: NOTEBOOK_ROOT,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      // Project-local kernels and Jupyter state only; nothing in the user's home is read or written.
      JUPYTER_PATH: KERNELS,
      JUPYTER_RUNTIME_DIR: path.join(jupyterDir, 'runtime'),
      JUPYTER_CONFIG_DIR: path.join(jupyterDir, 'config'),
      JUPYTER_DATA_DIR: path.join(jupyterDir, 'data'),
      PYDEVD_DISABLE_FILE_VALIDATION: '1',
      GAF_NOTEBOOK_MODE: 'smoke',
    },
  });
  fs.closeSync(out);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + SERVER_START_MS;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      assert.fail(`the Jupyter Notebook server exited at start (code ${proc.exitCode}, signal ${proc.signalCode}); ${log}:\n${tail(log)}`);
    }
    try {
      const res = await fetch(`${base}/api/status`, { headers: { Authorization: `token ${token}` } });
      if (res.ok) return { proc, base, token, log };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      assert.fail(`the Jupyter Notebook server did not answer within ${SERVER_START_MS / 1000} s; ${log}:\n${tail(log)}`);
    }
    await sleep(250);
  }
}

/** Shuts the kernels down through the API, then the server (SIGTERM, which also stops kernels; SIGKILL after 10 s). */
async function stopServer(s: Server): Promise<void> {
  const auth = { Authorization: `token ${s.token}` };
  try {
    const res = await fetch(`${s.base}/api/kernels`, { headers: auth });
    const kernels = (await res.json()) as { id: string }[];
    await Promise.all(kernels.map((k) => fetch(`${s.base}/api/kernels/${k.id}`, { method: 'DELETE', headers: auth })));
  } catch {
    // the server is already gone; SIGTERM below is then a no-op
  }
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => s.proc.once('exit', () => r()));
  s.proc.kill('SIGTERM');
  const timer = setTimeout(() => s.proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** What the page shows after Run All (read in the browser; no DOM types on this side). */
interface PageState {
  codeCells: number;
  prompts: string[];
  errors: string[];
  tsErrors: string[];
  exceptions: string[];
  figures: number;
  tableRows: number[];
  kernelIdle: boolean;
}

const READ_STATE = `(() => {
  const prompts = [...document.querySelectorAll('.cell.code_cell .input_prompt')].map((e) => e.textContent.replace(/\\s+/g, ' ').trim());
  const errors = [...document.querySelectorAll('.output_error')].map((e) => e.textContent.slice(0, 500));
  const stderr = [...document.querySelectorAll('.output_stderr')].map((e) => e.textContent);
  const tsErrors = stderr.filter((t) => /^\\d+:\\d+ - /m.test(t)).map((t) => t.slice(0, 1000));
  // An uncaught exception: tslab prints its stack on stderr (the UI shows no error box for it).
  const exceptions = stderr.filter((t) => /^\\w*Error\\b.*\\n\\s+at /m.test(t)).map((t) => t.slice(0, 1000));
  const pngs = [...document.querySelectorAll('.output_png img')].filter((i) => i.complete && i.naturalWidth > 0).length;
  const svgs = document.querySelectorAll('.output_svg svg').length;
  const tableRows = [...document.querySelectorAll('table.gaf-lab-table')].map((t) => t.querySelectorAll('tbody tr').length);
  const icon = document.querySelector('#kernel_indicator_icon');
  return { codeCells: prompts.length, prompts, errors, tsErrors, exceptions, figures: pngs + svgs, tableRows, kernelIdle: !!icon && icon.classList.contains('kernel_idle_icon') };
})()`;

/** Saves a screenshot and the page's HTML; returns where (for the failure message). */
async function saveArtifacts(page: Page | undefined): Promise<string> {
  if (!page) return '(no page to save)';
  const png = path.join(WORK, 'failure.png');
  const html = path.join(WORK, 'failure.html');
  try {
    await page.screenshot({ path: png, fullPage: true });
    fs.writeFileSync(html, await page.content());
    return `screenshot ${png}, page HTML ${html}`;
  } catch (e) {
    return `(could not save the page: ${(e as Error).message})`;
  }
}

test(
  'the first notebook runs in Jupyter Notebook in Chromium (Cell > Run All) and shows a figure and a table',
  { timeout: 240_000 },
  async () => {
    assertPrerequisites();
    const name = path.basename(NOTEBOOK!);
    fs.rmSync(WORK, { recursive: true, force: true });
    fs.mkdirSync(NOTEBOOK_ROOT, { recursive: true });
    fs.copyFileSync(NOTEBOOK!, path.join(NOTEBOOK_ROOT, name));

    let server: Server | undefined;
    let browser: Browser | undefined;
    let page: Page | undefined;
    const consoleErrors: string[] = [];
    const offHost: string[] = [];
    const replies: { status: string }[] = [];
    let saved = false; // artifacts already saved and named in the failure
    let failContext: ((e: Error) => Promise<Error>) | undefined;
    try {
      server = await startServer();
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
      // The kernel's execute_reply messages (JSON text frames of notebook 6's kernel websocket).
      page.on('websocket', (ws) =>
        ws.on('framereceived', ({ payload }) => {
          if (typeof payload !== 'string' || !payload.includes('"execute_reply"')) return;
          try {
            const msg = JSON.parse(payload) as { header?: { msg_type?: string }; content?: { status?: string } };
            if (msg.header?.msg_type === 'execute_reply') replies.push({ status: String(msg.content?.status) });
          } catch {
            // not a Jupyter message
          }
        }),
      );
      page.on('request', (r) => {
        if (!r.url().startsWith(server!.base) && !/^(data|blob|about):/.test(r.url())) offHost.push(r.url());
      });
      const s = server;
      const p = page;
      const context = (): string => `\nserver log: ${s.log}\nbrowser console errors: ${consoleErrors.slice(0, 10).join(' | ') || 'none'}`;
      const fail = async (message: string): Promise<never> => {
        saved = true;
        return assert.fail(`${message}\n${await saveArtifacts(p)}${context()}`);
      };
      failContext = async (e: Error) => new Error(`${e.message}\n${await saveArtifacts(p)}${context()}`, { cause: e });

      await p.goto(`${s.base}/notebooks/${encodeURIComponent(name)}?token=${s.token}`, { waitUntil: 'load', timeout: 30_000 });
      // Ready: the notebook's kernel answered kernel_info over its websocket and the indicator is idle.
      await p
        .waitForFunction(
          `(() => { const k = window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel;
          return !!k && k.is_connected() && !!k.info_reply && !!document.querySelector('#kernel_indicator_icon.kernel_idle_icon'); })()`,
          null,
          { timeout: KERNEL_READY_MS, polling: 250 },
        )
        .catch(() => fail(`the tslab kernel of ${name} was not ready within ${KERNEL_READY_MS / 1000} s`));

      // Run All the way a reader does it: the Cell menu.
      await p.locator('#menus').getByRole('link', { name: 'Cell', exact: true }).click();
      await p.locator('#run_all_cells > a').click();

      // Started: Run All queues every code cell at once and marks it "[*]". Finished: no "[*]"
      // left and the kernel idle (after a failing cell the rest are cancelled: "[ ]" again).
      const t0 = Date.now();
      const prompts = `${READ_STATE}.prompts`;
      await p
        .waitForFunction(`${prompts}.some((t) => /\\[(\\*|\\d+)\\]/.test(t))`, null, { timeout: 15_000, polling: 100 })
        .catch(() => fail(`Cell > Run All did not start any cell of ${name} within 15 s`));
      await p
        .waitForFunction(`(() => { const s = ${READ_STATE}; return s.kernelIdle && !s.prompts.some((t) => t.includes('[*]')); })()`, null, {
          timeout: RUN_ALL_MS,
          polling: 500,
        })
        .catch(() => fail(`Run All of ${name} did not finish within ${RUN_ALL_MS / 1000} s`));
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);

      const state = (await p.evaluate(READ_STATE)) as PageState;
      const problems: string[] = [];
      if (state.codeCells === 0) problems.push('the page shows no code cells');
      const unrun = state.prompts.map((t, i) => [t, i + 1] as const).filter(([t]) => !/\[\d+\]/.test(t));
      if (unrun.length) problems.push(`code cells not executed: ${unrun.map(([t, i]) => `#${i} "${t}"`).join(', ')}`);
      if (state.errors.length) problems.push(`error outputs: ${state.errors.join(' || ')}`);
      if (state.tsErrors.length) problems.push(`TypeScript errors on stderr: ${state.tsErrors.join(' || ')}`);
      if (state.exceptions.length) problems.push(`uncaught exceptions on stderr: ${state.exceptions.join(' || ')}`);
      // What the kernel said about each cell (the classic UI shows no error box for tslab's failures).
      const failedReplies = replies.filter((r) => r.status !== 'ok');
      if (failedReplies.length) {
        const counts = new Map<string, number>();
        for (const r of failedReplies) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
        problems.push(
          `the kernel did not answer "ok" to ${failedReplies.length} of ${replies.length} cells: ${[...counts].map(([k, n]) => `${n} x "${k}"`).join(', ')}`,
        );
      }
      if (replies.length !== state.codeCells) problems.push(`${replies.length} execute replies for ${state.codeCells} code cells`);
      // Everything the page needs comes from the local server (readers may be offline).
      if (offHost.length) problems.push(`the page requested ${offHost.length} URL(s) off 127.0.0.1: ${offHost.slice(0, 5).join(' ')}`);
      if (state.figures === 0) problems.push('no rendered figure (.output_png img with naturalWidth > 0, or .output_svg svg)');
      if (!state.tableRows.some((n) => n > 0)) {
        problems.push(
          `no rendered gaf-lab table with body rows (table.gaf-lab-table: ${state.tableRows.length ? `row counts ${state.tableRows.join(', ')}` : 'none'})`,
        );
      }
      if (problems.length) await fail(`${name} in the browser after Run All (${seconds} s):\n- ${problems.join('\n- ')}`);
    } catch (e) {
      // Anything else that broke once the page existed (a menu click that timed out, ...).
      throw !saved && failContext && e instanceof Error ? await failContext(e) : e;
    } finally {
      await browser?.close().catch(() => undefined);
      if (server) await stopServer(server);
    }
  },
);

/**
 * How `gaf-lab serve` copes with a large folder: builds N synthetic run folders (manifest,
 * metrics.jsonl, steps.jsonl with per-layer gradient figures; a mix of statuses), serves them
 * and measures the API's answer times cold and warm, the server's memory, and with --browser
 * the time to first paint and to the full runs table in headless Chromium.
 *
 * Run: npm run build:test && node build/scripts/bench-serve.js [--runs 300] [--steps 500] [--browser]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCommandLine, intOption, scriptArgs } from '../src/cli/args';
import { startServer } from '../src/serve/index';

const BENCH_SERVE_USAGE = `bench-serve.js [--runs N] [--steps S] [--epochs E] [--browser]

  --runs N     run folders to build (default 300)
  --steps S    step lines per run (default 500; 6 layers of gradient figures each)
  --epochs E   epochs (metrics lines) per run (default 30)
  --browser    also open the dashboard in /usr/bin/chromium and time the first paint`;

const STATUSES = ['completed', 'completed', 'completed', 'diverged', 'failed', 'interrupted', 'running'] as const;

/** Writes one synthetic run folder. */
function writeRun(root: string, i: number, steps: number, epochs: number): void {
  const seed = i % 5;
  const gaf = i % 2 ? { kind: 'atan', alpha: 0.1, beta: 20 } : null;
  const runId = `fashion-mnist-smallcnn-sgd${gaf ? '-atan' : ''}-lr${i % 7}-s${seed}-${String(i).padStart(6, '0')}`;
  const dir = path.join(root, `sweep-${Math.floor(i / 50)}`, runId);
  fs.mkdirSync(dir, { recursive: true });
  const status = STATUSES[i % STATUSES.length]!;
  const config = {
    name: null,
    dataset: { name: 'fashion-mnist', subset: null, testSubset: null, validation: null, dataDir: null, augment: false, imageSize: null },
    model: { name: 'smallcnn', options: { init: 'pytorch', numClasses: 10, inputShape: [28, 28, 1] } },
    optimizer: {
      name: 'sgd',
      options: { learningRate: 0.01 * (1 + (i % 7)), momentum: 0.9, weightDecay: 5e-4 },
      gaf,
      placement: 'gradient',
    },
    schedule: { kind: 'cosine', warmupEpochs: 0, tMax: epochs, etaMin: 0 },
    epochs,
    batchSize: 128,
    evalBatchSize: 256,
    seed,
    evalEvery: 1,
    gradStats: { every: 10, tinyThreshold: 1e-3 },
    stepMetrics: { every: 10 },
    backend: 'wasm',
    outDir: root,
    keepCheckpoints: 'last',
  };
  const done = status === 'completed' ? epochs : Math.floor(epochs / 2);
  const manifest = {
    format: 'gaf-lab-run/1',
    runId,
    status,
    config,
    seed,
    gitCommit: '0123456789abcdef',
    gitDirty: i % 3 === 0,
    backend: 'wasm',
    packages: {},
    host: { hostname: 'bench', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: '', node: process.version },
    pid: 1,
    startedAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T01:00:00.000Z',
    epochsDone: done,
    resumes: [],
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const stepsPerEpoch = Math.max(1, Math.floor((steps * 10) / epochs));
  const metrics = Array.from({ length: done }, (_, e) => ({
    epoch: e + 1,
    trainLoss: 2 / (e + 2),
    trainTop1: 1 - 1 / (e + 2),
    trainTop5: 0.99,
    testLoss: 2.1 / (e + 2),
    testTop1: 0.9 - 0.5 / (e + 2) + 0.001 * (i % 13),
    testTop5: 0.99,
    lr: 0.01,
    epochSeconds: 30,
    imagesPerSecond: 2000,
    step: (e + 1) * stepsPerEpoch,
    diverged: false,
  }));
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), metrics.map((m) => JSON.stringify(m) + '\n').join(''));
  const layers = ['conv1/kernel', 'conv1/bias', 'conv2/kernel', 'conv2/bias', 'dense/kernel', 'dense/bias'];
  const n = status === 'completed' ? steps : Math.floor(steps / 2);
  const lines: string[] = [];
  for (let s = 0; s < n; s++) {
    const step = 1 + 10 * s;
    lines.push(
      JSON.stringify({
        step,
        epoch: Math.floor((step - 1) / stepsPerEpoch) + 1,
        batch: ((step - 1) % stepsPerEpoch) + 1,
        batches: stepsPerEpoch,
        loss: 2.3 * Math.exp(-s / 200) + 0.1,
        lr: 0.01,
        stepMs: 60,
        imagesPerSec: 2133,
        time: Date.parse('2025-01-01T00:00:00Z') + step * 60,
        knee: gaf ? 0.1166 : null,
        grads: layers.map((variable) => ({ variable, rawL2: 0.5, actL2: 0.4, enlarged: gaf ? 0.9 : null, restricted: gaf ? 0.1 : null })),
      }) + '\n',
    );
  }
  fs.writeFileSync(path.join(dir, 'steps.jsonl'), lines.join(''));
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, performance.now() - t0];
}

const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const args = scriptArgs('bench-serve', BENCH_SERVE_USAGE, (argv) => {
    const { values: v } = parseCommandLine(
      argv,
      { runs: 'string', steps: 'string', epochs: 'string', browser: 'boolean' },
      { min: 0, max: 0, what: 'options only' },
    );
    return {
      runs: intOption(v.runs, 'runs', 300),
      steps: intOption(v.steps, 'steps', 500),
      epochs: intOption(v.epochs, 'epochs', 30),
      browser: v.browser === true,
    };
  });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-bench-serve-'));
  try {
    const t0 = performance.now();
    for (let i = 0; i < args.runs; i++) writeRun(root, i, args.steps, args.epochs);
    let bytes = 0;
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else bytes += fs.statSync(path.join(d, e.name)).size;
      }
    };
    walk(root);
    console.log(
      `${args.runs} runs, ${args.steps} step lines each (${mb(bytes)} on disk), built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const rss0 = process.memoryUsage().rss;
    const server = await startServer({ dirs: [root], port: 0 });
    const get = async (p: string): Promise<number> => (await (await fetch(server.url + p.replace(/^\//, ''))).text()).length;
    try {
      const [size, cold] = await timed(() => get('/api/runs'));
      await new Promise((r) => setTimeout(r, 1100));
      const warm: number[] = [];
      for (let k = 0; k < 5; k++) {
        await new Promise((r) => setTimeout(r, 1100)); // past the folder-scan cache: a full poll each time
        warm.push((await timed(() => get('/api/runs')))[1]);
      }
      warm.sort((a, b) => a - b);
      const runs = (JSON.parse(await (await fetch(server.url + 'api/runs')).text()) as { runs: { key: string }[] }).runs;
      const keys = runs.slice(0, 12).map((r) => r.key);
      const [, curvesCold] = await timed(() => get(`/api/curves?keys=${encodeURIComponent(keys.join(','))}`));
      const [, curvesWarm] = await timed(() => get(`/api/curves?keys=${encodeURIComponent(keys.join(','))}`));
      const [, compare] = await timed(() => get('/api/compare?root=0'));
      if (global.gc) global.gc();
      const mem = process.memoryUsage();
      console.log(
        `/api/runs: ${(size / 1024).toFixed(0)} KiB; first ${cold.toFixed(0)} ms, then median ${warm[2]!.toFixed(0)} ms (cached rows, fresh folder scan)`,
      );
      console.log(`/api/curves (12 runs): first ${curvesCold.toFixed(0)} ms, then ${curvesWarm.toFixed(0)} ms`);
      console.log(`/api/compare (all ${args.runs} runs, the results tables): ${compare.toFixed(0)} ms`);
      console.log(`server process: rss ${mb(mem.rss)} (${mb(mem.rss - rss0)} more than before it started), heap used ${mb(mem.heapUsed)}`);
      if (args.browser) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- playwright-core is a dev dependency loaded only here
        const { chromium } = require('playwright-core') as typeof import('playwright-core');
        const browser = await chromium.launch({
          executablePath: '/usr/bin/chromium',
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
        });
        try {
          const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
          const start = Date.now();
          await page.goto(server.url, { waitUntil: 'load' });
          await page.waitForFunction(`document.querySelectorAll('#runs tbody tr').length === ${args.runs}`, null, {
            timeout: 120_000,
            polling: 50,
          });
          const table = Date.now() - start;
          const fcp = (await page.evaluate(`(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null`)) as
            number | null;
          const c0 = Date.now();
          await page.click('nav button[data-tab="curves"]');
          await page.waitForFunction(
            `Number(document.getElementById('curves').dataset.stepPoints) > 0 && !!document.querySelector('#curves svg')`,
            null,
            {
              timeout: 60_000,
              polling: 50,
            },
          );
          const curves = Date.now() - c0;
          console.log(
            `Chromium: first contentful paint ${fcp === null ? '?' : fcp.toFixed(0)} ms; table of ${args.runs} runs shown ${table} ms after navigation; curves of 12 runs drawn ${curves} ms after the click`,
          );
        } finally {
          await browser.close();
        }
      }
    } finally {
      await server.close();
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

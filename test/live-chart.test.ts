/**
 * liveChart in a notebook: while a run trains in another process (as `gaf-lab train` started
 * from a notebook), the chart is redrawn in place with more points each time, and it stops by
 * itself when the run ends, having drawn every step line the run wrote.
 */
import { test, after } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { liveChart, type LiveChartUpdate } from '../src/notebook/live-chart';
import { readStepLines } from '../src/run-format/index';
import { resolveConfig, runDirOf } from '../src/config/index';
import { resumeConfig } from './resume-fixtures';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-live-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

test('liveChart redraws in place while a run trains and stops when it ends', async () => {
  const out = path.join(scratch, 'runs');
  const drawn: string[] = [];
  const updates: LiveChartUpdate[] = [];
  const chart = liveChart(out, {
    everySeconds: 0.2,
    timeoutSeconds: 120,
    display: { html: (s) => drawn.push(s), text: () => undefined },
    onUpdate: (u) => updates.push(u),
  });
  // 4 epochs of 6 steps, a line per step.
  const config = { ...resumeConfig(out), epochs: 4, gradStats: null, stepMetrics: { every: 1 } };
  const cfgFile = path.join(scratch, 'config.json');
  fs.writeFileSync(cfgFile, JSON.stringify(config));
  const child = spawn(process.execPath, [path.join(__dirname, 'train-child.js'), cfgFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 0, stderr);
  const last = await chart.done;
  const steps = readStepLines(runDirOf(resolveConfig(config))).length;
  assert.equal(steps, 24);
  assert.deepEqual(last, { runs: 1, running: 0, stepPoints: steps, epochPoints: 4 });
  // Drawn while training: some redraws saw the run running with only part of its steps.
  const during = updates.filter((u) => u.running === 1 && u.stepPoints > 0);
  assert.ok(during.length >= 2, `redraws during training: ${JSON.stringify(updates)}`);
  const counts = updates.map((u) => u.stepPoints);
  assert.ok(
    counts.every((c, i) => i === 0 || c >= counts[i - 1]!),
    `point counts never shrink: ${counts.join(',')}`,
  );
  assert.ok(
    counts.some((c) => c > 0 && c < steps),
    `a redraw saw part of the run: ${counts.join(',')}`,
  );
  assert.ok(drawn.length >= 2 && drawn.every((h) => h.includes('<svg')), 'each redraw is an SVG chart');
  // Stopped: no redraw comes after done.
  const n = drawn.length;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(drawn.length, n);
});

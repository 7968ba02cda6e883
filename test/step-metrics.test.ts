/**
 * Per-step metrics (`steps.jsonl`): the GAF's knee against an independent Newton solve, the
 * observer's knee fractions against hand counts, the writer inside real training (cadence,
 * content, no leaked tensors), a stopped-and-resumed run whose step lines equal an
 * uninterrupted run's, and the reader's tolerance of a torn last line.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/gaf';
import { gafKnee } from '../src/gaf/knee';
import { sgd, type GradientStats } from '../src/optim/index';
import { readJsonLines, readStepLines, readStepLinesFrom, type StepLine } from '../src/run-format/index';
import { resolveConfig, runIdOf } from '../src/config/index';
import { resumeRun, runExperiment, type GradStatsLine } from '../src/train/runner';
import { resumeConfig } from './resume-fixtures';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-steps-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/**
 * Newton's method on h(x) = alpha*f(beta*x) - x from x0 = a point above the knee (where h < 0
 * and h is concave, so the iteration approaches the root monotonically from the right).
 */
function newtonKnee(alpha: number, beta: number, f: (u: number) => number, df: (u: number) => number, x0: number): number {
  let x = x0;
  for (let i = 0; i < 100; i++) x -= (alpha * f(beta * x) - x) / (alpha * beta * df(beta * x) - 1);
  return x;
}

test('gafKnee: the positive fixed point g(x) = x of each built-in kind, 0 when alpha*beta <= 1, undefined for custom', () => {
  const cases = [
    { g: gafs.atan({ alpha: 0.1, beta: 20 }), f: Math.atan, df: (u: number) => 1 / (1 + u * u), x0: 0.1 * (Math.PI / 2) },
    { g: gafs.tanh({ alpha: 0.3, beta: 4.5 }), f: Math.tanh, df: (u: number) => 1 / Math.cosh(u) ** 2, x0: 0.3 },
    {
      g: gafs.log({ alpha: 0.5, beta: 10 }),
      f: (u: number) => Math.log1p(u),
      df: (u: number) => 1 / (1 + u),
      x0: 10,
    },
  ];
  for (const c of cases) {
    const { alpha, beta } = c.g.config as { alpha: number; beta: number };
    const expected = newtonKnee(alpha, beta, c.f, c.df, c.x0);
    const k = gafKnee(c.g)!;
    assert.ok(Math.abs(k - expected) <= 1e-12 * expected, `${c.g.name}: knee ${k} vs Newton ${expected}`);
    // Enlarges just below it, restricts just above.
    assert.ok(c.g.value(0.99 * k) > 0.99 * k && c.g.value(1.01 * k) < 1.01 * k, c.g.name);
  }
  // 0.1*atan(20x): g'(0) = 2; the knee lies between where g' = 1 (x = 1/20) and the bound 0.157.
  const k = gafKnee(gafs.atan({ alpha: 0.1, beta: 20 }))!;
  assert.ok(k > 0.05 && k < 0.1 * (Math.PI / 2), String(k));
  assert.equal(gafKnee(gafs.tanh({ alpha: 0.5, beta: 2 })), 0, 'alpha*beta = 1: g(x) < x for all x > 0');
  assert.equal(gafKnee(gafs.custom({ name: 'knee-test-identity', fn: (x) => x.clone() })), undefined);
});

test('the observer counts the raw components below and above a knee', async () => {
  await tf.setBackend('cpu');
  const w = tf.variable(tf.zeros([6]), true, 'knee_w');
  // Gradient [0.1, 0.2, 0.6, 0.9, -0.3, -0.7] against knee 0.5: below 0.1, 0.2, -0.3 (3 of 6), above the other 3.
  const grad = tf.tensor1d([0.1, 0.2, 0.6, 0.9, -0.3, -0.7]);
  const opt = sgd({ learningRate: 0.1, gaf: gafs.atan({ alpha: 0.1, beta: 20 }) });
  const seen: GradientStats[][] = [];
  opt.observeGradients({ onStats: (s) => seen.push(s), knee: 0.5 });
  opt.applyGradients({ [w.name]: grad });
  assert.equal(seen[0]![0]!.raw.belowKnee, 0.5);
  assert.equal(seen[0]![0]!.raw.aboveKnee, 0.5);
  assert.equal(seen[0]![0]!.activated.belowKnee, undefined, 'the knee counts are of the raw gradient only');
  // Without a knee the summary has no knee fields.
  const plain: GradientStats[][] = [];
  opt.observeGradients({ onStats: (s) => plain.push(s) });
  opt.applyGradients({ [w.name]: grad });
  assert.equal(plain[0]![0]!.raw.belowKnee, undefined);
  assert.throws(() => opt.observeGradients({ onStats: () => undefined, knee: -1 }), /knee/);
  tf.dispose([w, grad]);
  opt.dispose();
});

/** 6 batches of 32 per epoch, 3 epochs: 18 steps; a line at steps 1, 3, 5, ... (every 2). */
const EVERY = 2;
const config = (outDir: string): ReturnType<typeof resumeConfig> => ({ ...resumeConfig(outDir), stepMetrics: { every: EVERY } });
const EXPECTED_STEPS = Array.from({ length: 9 }, (_, i) => 1 + EVERY * i);

let straightDir = '';

test('step metrics are observed, not trained: they do not change the run id', () => {
  const ids = [config('x'), { ...config('x'), stepMetrics: null }, { ...config('x'), stepMetrics: undefined }].map((c) =>
    runIdOf(resolveConfig(c)),
  );
  assert.equal(new Set(ids).size, 1, ids.join(', '));
  assert.deepEqual(resolveConfig({ ...config('x'), stepMetrics: undefined }).stepMetrics, { every: 10 }, 'the default');
});

test('a run writes a step line every `every` steps, with gradient norms and knee fractions, and leaks no tensors', async () => {
  const counts: number[] = [];
  const res = await runExperiment(config(path.join(scratch, 'straight')), {
    handleSignals: false,
    onProgress: (e) => {
      if (e.type === 'batch') counts.push(tf.memory().numTensors);
    },
  });
  assert.equal(res.status, 'completed');
  straightDir = res.runDir;
  // The first step creates the momentum slots; from then on every step (logging or not) leaves the count as it was.
  const steady = counts.slice(1);
  assert.equal(steady.length, 17);
  assert.deepEqual(new Set(steady).size, 1, `tensor counts per step: ${counts.join(',')}`);

  const lines = readStepLines(res.runDir);
  assert.deepEqual(
    lines.map((l) => l.step),
    EXPECTED_STEPS,
  );
  // Step s is batch ((s-1) mod 6)+1 of epoch floor((s-1)/6)+1.
  assert.deepEqual(
    lines.map((l) => [l.epoch, l.batch, l.batches]),
    EXPECTED_STEPS.map((s) => [Math.floor((s - 1) / 6) + 1, ((s - 1) % 6) + 1, 6]),
  );
  const knee = gafKnee(gafs.atan({ alpha: 0.1, beta: 20 }))!;
  for (const l of lines) {
    assert.ok(Number.isFinite(l.loss) && l.loss > 0, `loss ${l.loss}`);
    assert.ok(l.stepMs > 0 && l.imagesPerSec > 0);
    assert.ok(typeof l.lr === 'number' && l.lr > 0);
    assert.equal(l.knee, knee);
    assert.ok(l.grads && l.grads.length > 0, 'gradient figures on every logging step (gradStats is on)');
    for (const g of l.grads) {
      assert.ok(g.rawL2 > 0 && g.actL2 > 0, g.variable);
      // A component is below, above or exactly at the knee; exact hits have probability ~0.
      assert.ok(Math.abs(g.enlarged! + g.restricted! - 1) < 1e-6, `${g.variable}: ${g.enlarged} + ${g.restricted}`);
    }
  }
  // The gradient statistics keep their own cadence (every 5: steps 1, 6, 11, 16), though the observer now runs every step.
  const gs = readJsonLines<GradStatsLine>(path.join(res.runDir, 'gradstats.jsonl'));
  assert.deepEqual([...new Set(gs.map((g) => g.step))], [1, 6, 11, 16]);
});

test('stopped mid-epoch and resumed: step numbers strictly increasing, complete, and equal to the uninterrupted run', async () => {
  assert.ok(straightDir, 'needs the previous test');
  const controller = new AbortController();
  const stopped = await runExperiment(config(path.join(scratch, 'stopped')), {
    handleSignals: false,
    signal: controller.signal,
    onProgress: (e) => {
      if (e.type === 'batch' && e.epoch === 2 && e.batch === 4) controller.abort();
    },
  });
  assert.equal(stopped.status, 'interrupted');
  // Epoch 2 wrote steps 7 and 9 before the stop (steps 7..10 ran): they are redone on resume.
  assert.deepEqual(
    readStepLines(stopped.runDir).map((l) => l.step),
    [1, 3, 5, 7, 9],
  );
  // A torn line left by a crash is dropped too.
  fs.appendFileSync(path.join(stopped.runDir, 'steps.jsonl'), '{"step":11,"epo');
  const again = await resumeRun(stopped.runDir, { handleSignals: false });
  assert.equal(again.status, 'completed');
  const lines = readStepLines(stopped.runDir);
  const steps = lines.map((l) => l.step);
  assert.deepEqual(steps, EXPECTED_STEPS);
  const numbers = (ls: StepLine[]): unknown[] => ls.map((l) => [l.step, l.epoch, l.batch, l.loss, l.lr, l.grads]);
  assert.deepEqual(numbers(lines), numbers(readStepLines(straightDir)), 'the same losses and gradient figures as without the stop');
});

test('readStepLinesFrom follows a growing file by offset, ignores a torn last line, and restarts when it shrinks', () => {
  const dir = path.join(scratch, 'follow');
  fs.mkdirSync(dir);
  const file = path.join(dir, 'steps.jsonl');
  const line = (step: number): string => JSON.stringify({ step, epoch: 1 }) + '\n';
  fs.writeFileSync(file, line(1) + line(2) + '{"step":3,');
  const a = readStepLinesFrom(dir, 0);
  assert.deepEqual(
    a.lines.map((l) => l.step),
    [1, 2],
  );
  assert.equal(a.next, Buffer.byteLength(line(1) + line(2)));
  fs.appendFileSync(file, '"epoch":1}\n' + line(4));
  const b = readStepLinesFrom(dir, a.next);
  assert.deepEqual(
    b.lines.map((l) => l.step),
    [3, 4],
  );
  assert.equal(b.reset, false);
  fs.writeFileSync(file, line(1));
  const c = readStepLinesFrom(dir, b.next);
  assert.equal(c.reset, true);
  assert.deepEqual(
    c.lines.map((l) => l.step),
    [1],
  );
  assert.deepEqual(readStepLinesFrom(path.join(scratch, 'none'), 0), { lines: [], next: 0, reset: false });
});

/**
 * Builds run folders in the exact format of docs/run-format.md (manifest.json, metrics.jsonl,
 * gradstats.jsonl), for the results and plots tests. Nothing here computes a statistic.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type Status = 'running' | 'completed' | 'diverged' | 'failed' | 'interrupted';

export interface GafConfig {
  kind: 'atan' | 'tanh' | 'log';
  alpha: number;
  beta: number;
}

/** One metrics.jsonl line of the contract. */
export interface MetricLine {
  epoch: number;
  trainLoss: number | null;
  trainTop1: number | null;
  trainTop5: number | null;
  testLoss: number | null;
  testTop1: number | null;
  testTop5: number | null;
  lr: number;
  epochSeconds: number;
  imagesPerSecond: number;
  diverged: boolean;
}

export interface FixtureRun {
  model?: string;
  dataset?: string;
  optimizer?: string;
  gaf?: GafConfig | null;
  placement?: 'gradient' | 'update';
  seed: number;
  status?: Status;
  /** Test top-1 per epoch; the other metrics are derived from it deterministically. */
  testTop1: (number | null)[];
  /** Extra characters appended after the last complete line (an unfinished write). */
  unfinishedTail?: string;
  gradstats?: { epoch: number; step: number; variable: string; rawL2: number; actL2: number | null }[];
  /** Sub-folder of the root the run lives in (sweeps nest runs). */
  under?: string;
  message?: string;
  gitCommit?: string;
  /** Learning rate of the optimizer (default 0.1); a non-default one is part of the run id. */
  learningRate?: number;
  /** Config `name` (default `fixture`); a non-default one is part of the run id. */
  name?: string;
  /** Config `outDir` (default `runs`) and `evalBatchSize` (default 256). */
  outDir?: string;
  evalBatchSize?: number;
  /** Config `epochs` (default: the length of testTop1, i.e. a run that did all its epochs). */
  epochs?: number;
  /** Manifest `endedAt` (default 2025-01-01T00:10:00.000Z). */
  endedAt?: string;
  /** Validation top-1 per epoch (written as valTop1, with valLoss = 2.3 * (1 - valTop1)); none by default. */
  valTop1?: number[];
}

/** A resolved config with every field docs/run-format.md lists. */
export function fixtureConfig(r: FixtureRun): Record<string, unknown> {
  return {
    name: r.name ?? 'fixture',
    dataset: {
      name: r.dataset ?? 'fashion-mnist',
      subset: { first: 512, perClass: null },
      testSubset: { first: 256, perClass: null },
      dataDir: 'data',
      augment: false,
    },
    model: { name: r.model ?? 'small-cnn', options: {} },
    optimizer: {
      name: r.optimizer ?? 'sgd',
      options: { learningRate: r.learningRate ?? 0.1, momentum: 0.9, weightDecay: 5e-4 },
      gaf: r.gaf ?? null,
      placement: r.placement ?? 'gradient',
    },
    schedule: { kind: 'cosine', warmupEpochs: 0, milestones: [30, 60], gamma: 0.1 },
    epochs: r.epochs ?? r.testTop1.length,
    batchSize: 64,
    evalBatchSize: r.evalBatchSize ?? 256,
    seed: r.seed,
    evalEvery: 1,
    gradStats: { every: 10, tinyThreshold: 1e-6 },
    backend: 'wasm',
    outDir: r.outDir ?? 'runs',
  };
}

export function runIdOf(r: FixtureRun): string {
  const gaf = r.gaf ? `${r.gaf.kind}-a${r.gaf.alpha}-b${r.gaf.beta}` : 'none';
  const extra = `${r.learningRate !== undefined ? `-lr${r.learningRate}` : ''}${r.name !== undefined ? `-${r.name}` : ''}`;
  return `${r.dataset ?? 'fmnist'}-${r.model ?? 'small-cnn'}-${r.optimizer ?? 'sgd'}-${gaf}${extra}-s${r.seed}-abc123`;
}

/** Writes one run folder under `root` and returns its path. */
export function writeRun(root: string, r: FixtureRun): string {
  const runId = runIdOf(r);
  const dir = path.join(root, ...(r.under ? [r.under] : []), runId);
  fs.mkdirSync(dir, { recursive: true });
  const lines: (MetricLine & { step: number })[] = r.testTop1.map((acc, i) => ({
    epoch: i + 1,
    step: 8 * (i + 1),
    trainLoss: acc === null ? null : 2.3 * (1 - acc) + 0.01,
    trainTop1: acc === null ? null : Math.min(1, acc + 0.02),
    trainTop5: acc === null ? null : 0.99,
    testLoss: acc === null ? null : 2.3 * (1 - acc) + 0.05,
    testTop1: acc,
    testTop5: acc === null ? null : 0.98,
    lr: 0.1 * 0.5 * (1 + Math.cos((Math.PI * i) / r.testTop1.length)),
    epochSeconds: 10,
    imagesPerSecond: 51.2,
    diverged: acc === null,
    ...(r.valTop1 ? { valTop1: r.valTop1[i]!, valLoss: 2.3 * (1 - r.valTop1[i]!) } : {}),
  }));
  const status = r.status ?? 'completed';
  const manifest = {
    format: 'gaf-lab-run/1',
    runId,
    status,
    config: fixtureConfig(r),
    seed: r.seed,
    gitCommit: r.gitCommit ?? '1e5a0c3d9b',
    gitDirty: false,
    backend: 'wasm',
    packages: { '@tensorflow/tfjs': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0' },
    host: { hostname: 'test', platform: 'linux', arch: 'x64', cpus: 2, node: 'v20.20.2' },
    startedAt: '2025-01-01T00:00:00.000Z',
    ...(status === 'running' ? {} : { endedAt: r.endedAt ?? '2025-01-01T00:10:00.000Z' }),
    epochsDone: lines.length,
    ...(r.message ? { message: r.message } : {}),
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  const body = lines.map((l) => `${JSON.stringify(l)}\n`).join('') + (r.unfinishedTail ?? '');
  if (body !== '') fs.writeFileSync(path.join(dir, 'metrics.jsonl'), body);
  if (r.gradstats) {
    const g = r.gradstats.map((s) =>
      JSON.stringify({
        epoch: s.epoch,
        step: s.step,
        variable: s.variable,
        size: 288,
        rawL2: s.rawL2,
        rawMaxAbs: s.rawL2 / 4,
        rawTinyFraction: 0.1,
        actL2: s.actL2,
        actMaxAbs: s.actL2 === null ? null : s.actL2 / 4,
        actTinyFraction: s.actL2 === null ? null : 0.01,
      }),
    );
    fs.writeFileSync(path.join(dir, 'gradstats.jsonl'), g.map((l) => `${l}\n`).join(''));
  }
  // A checkpoint folder, which is not a run and must not be mistaken for one.
  fs.mkdirSync(path.join(dir, 'checkpoints', 'last'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'checkpoints', 'last', 'state.json'), JSON.stringify({ epoch: lines.length }));
  return dir;
}

/** A fresh temp folder, removed by the caller (or left for the OS on a failed test). */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `gaf-lab-${prefix}-`));
}

/**
 * Five-epoch accuracy curves that end at `final`: a rising curve, so "best" equals "final"
 * unless a dip is asked for.
 */
export function curve(final: number, epochs = 5): number[] {
  return Array.from({ length: epochs }, (_, i) => Number((final - 0.08 * (epochs - 1 - i)).toFixed(6)));
}

/**
 * The standard sweep of the tests: small-cnn and lenet, SGD (finals 0.90, 0.92, 0.94) and
 * SGD+atan (finals 0.94, 0.95, 0.96), seeds 1-3, nested under sweep folders.
 */
export function standardSweep(root: string): void {
  const finals: Record<string, { base: number[]; gaf: number[] }> = {
    'small-cnn': { base: [0.9, 0.92, 0.94], gaf: [0.94, 0.95, 0.96] },
    lenet: { base: [0.8, 0.84, 0.88], gaf: [0.83, 0.85, 0.87] },
  };
  for (const [model, f] of Object.entries(finals)) {
    [1, 2, 3].forEach((seed, i) => {
      writeRun(root, { model, seed, testTop1: curve(f.base[i]!), under: `sweep-a/${model}` });
      writeRun(root, { model, seed, gaf: { kind: 'atan', alpha: 0.1, beta: 20 }, testTop1: curve(f.gaf[i]!), under: `sweep-a/${model}` });
    });
  }
}

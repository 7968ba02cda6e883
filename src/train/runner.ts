/**
 * Runs an experiment config into a run folder (docs/run-format.md), and resumes an interrupted
 * one from its last checkpoint with the same final numbers as an uninterrupted run.
 *
 * Per epoch, in this order: train; evaluate; append the gradient statistics and the metrics
 * line; write the checkpoint; update the manifest. A process killed anywhere in between leaves
 * a checkpoint of epoch k and metrics lines up to k or k+1; resuming drops lines after k.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../backend/init';
import { registerWasmGradientKernels } from '../backend/wasm-kernels/index';
import type { GafOptimizer } from '../optim/gaf-optimizer';
import { buildData, buildModel, type RunData } from './build';
import { optimizerFromSettings } from '../optim/settings';
import { findCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { evaluate, trainEpoch, type EvalResult, type TrainEpochResult } from './classifier';
import { resolveConfig, runDirOf, runIdOf, type ResolvedConfig } from '../config/index';
import {
  appendJsonLine,
  appendJsonLines,
  filterJsonLines,
  readManifest,
  readMetrics,
  RUN_FILES,
  writeManifest,
  type EpochMetrics,
  type RunManifest,
  type RunStatus,
} from '../run-format/index';
import { gitState, hostInfo, ownVersion, packageVersions, processAlive } from '../provenance/index';
import type { ProgressEvent } from './progress';
import { learningRateAt } from './schedule';

/** Options of {@link runExperiment} and {@link resumeRun}. */
export interface RunOptions {
  /** Receives progress events (see {@link progressPrinter}). */
  onProgress?: (e: ProgressEvent) => void;
  /** Aborting it stops the run after the step in flight, with status `interrupted`. */
  signal?: AbortSignal;
  /**
   * Stop after the step in flight on SIGINT/SIGTERM (status `interrupted`; a second signal
   * exits at once). Default true; turn off when the caller handles signals itself.
   */
  handleSignals?: boolean;
}

/** How a call of {@link runExperiment} / {@link resumeRun} ended. */
export interface RunResult {
  runId: string;
  runDir: string;
  status: RunStatus;
  epochsDone: number;
  message?: string;
  /** The last metrics line (undefined before the first epoch). */
  final?: EpochMetrics;
  /** Completed epochs the call started from (0 for a fresh run). */
  startEpoch: number;
  /** True when nothing was trained because the run had already ended (completed or diverged). */
  alreadyDone: boolean;
}

/** One gradient-statistics line of `gradstats.jsonl`. */
export interface GradStatsLine {
  epoch: number;
  step: number;
  variable: string;
  size: number;
  rawL2: number;
  rawMaxAbs: number;
  rawTinyFraction: number;
  actL2: number;
  actMaxAbs: number;
  actTinyFraction: number;
}

/** The packages whose versions decide a run's numbers. */
const RUN_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

function runPackages(): Record<string, string> {
  const found = Object.entries({ 'gaf-lab': ownVersion(), ...packageVersions(RUN_PACKAGES) }).filter((e): e is [string, string] => e[1] !== null);
  return Object.fromEntries(found);
}

function gitStateFields(): { gitCommit: string | null; gitDirty: boolean | null } {
  const g = gitState();
  return { gitCommit: g.commit, gitDirty: g.dirty };
}

/**
 * Trains a config from scratch into `<outDir>/<runId>/`. Throws when that folder already holds
 * a run (use {@link resumeRun} or {@link runOrResume}); config errors throw a ConfigError
 * before anything is written.
 */
export async function runExperiment(config: unknown, options: RunOptions = {}): Promise<RunResult> {
  const resolved = resolveConfig(config);
  const runDir = runDirOf(resolved);
  const manifestFile = path.join(runDir, RUN_FILES.manifest);
  if (fs.existsSync(manifestFile)) {
    const m = readManifest(runDir);
    throw new Error(
      `Run ${m.runId} already exists in ${runDir} (status ${m.status}, ${m.epochsDone} epochs done). ` +
        'Resume it (gaf-lab resume RUN_DIR, or resumeRun/runOrResume), or change seed, name or outDir for a new run.',
    );
  }
  const backend = await startBackend(resolved);
  const data = buildData(resolved);
  // A folder without a manifest is the debris of a start that died before writing it.
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  const now = new Date().toISOString();
  const manifest: RunManifest<ResolvedConfig> = {
    format: 'gaf-lab-run/1',
    runId: runIdOf(resolved),
    status: 'running',
    config: resolved,
    seed: resolved.seed,
    ...gitStateFields(),
    backend,
    packages: runPackages(),
    host: hostInfo(),
    pid: process.pid,
    startedAt: now,
    updatedAt: now,
    epochsDone: 0,
    resumes: [],
  };
  writeManifest(runDir, manifest);
  fs.writeFileSync(path.join(runDir, RUN_FILES.metrics), '');
  return train(runDir, resolved, manifest, data, { resume: false }, options);
}

/**
 * Continues the run in `runDir` from its last checkpoint (or from the start when it has none).
 * A completed or diverged run is left as it is. Refuses a run that a live process on this host
 * is still training.
 */
export async function resumeRun(runDir: string, options: RunOptions = {}): Promise<RunResult> {
  if (!fs.existsSync(path.join(runDir, RUN_FILES.manifest))) {
    throw new Error(`${runDir} is not a run folder (no manifest.json). Start the run with runExperiment / gaf-lab train CONFIG.`);
  }
  const manifest = readManifest<ResolvedConfig>(runDir);
  const done = { runId: manifest.runId, runDir, status: manifest.status, epochsDone: manifest.epochsDone, startEpoch: manifest.epochsDone };
  if (manifest.status === 'completed' || manifest.status === 'diverged') {
    return { ...done, message: manifest.message, final: manifest.final, alreadyDone: true };
  }
  if (manifest.status === 'running' && manifest.host.hostname === os.hostname() && manifest.pid !== process.pid && processAlive(manifest.pid)) {
    throw new Error(`Run ${manifest.runId} is being trained by process ${manifest.pid} on this host; not resuming it twice.`);
  }
  const resolved = resolveConfig(manifest.config);
  const backend = await startBackend(resolved);
  const data = buildData(resolved);
  const ckpt = findCheckpoint(path.join(runDir, RUN_FILES.checkpoints));
  manifest.status = 'running';
  manifest.backend = backend;
  manifest.pid = process.pid;
  delete manifest.endedAt;
  delete manifest.message;
  return train(runDir, resolved, manifest, data, { resume: true, checkpoint: ckpt }, options);
}

/**
 * What a sweep worker and `gaf-lab train` want: start the run if its folder does not exist,
 * resume it if it was interrupted, leave it alone if it ended.
 */
export async function runOrResume(config: unknown, options: RunOptions = {}): Promise<RunResult> {
  const resolved = resolveConfig(config);
  const runDir = runDirOf(resolved);
  if (fs.existsSync(path.join(runDir, RUN_FILES.manifest))) return resumeRun(runDir, options);
  return runExperiment(resolved, options);
}

/**
 * The backend the config asks for. One already active is kept when it is the one asked for, or
 * for `auto` when it is not the slow `cpu` (a notebook or the CLI chose it); only otherwise is
 * {@link initBackend} called, so a sweep worker does not re-initialise for every run.
 */
async function startBackend(r: ResolvedConfig): Promise<string> {
  const active = (tf.engine() as unknown as { backendName: string | null }).backendName;
  if (active && (active === r.backend || (r.backend === 'auto' && active !== 'cpu'))) {
    // A wasm backend set up without initBackend lacks the gradient kernels conv nets need
    // (only added: what tfjs has is left as the user set it up).
    if (active === 'wasm') registerWasmGradientKernels();
    return active;
  }
  const report = await initBackend(r.backend === 'auto' ? undefined : r.backend);
  return report.backend;
}

/** Stops the run after the step in flight on SIGINT/SIGTERM or when `external` aborts. */
function stopSignal(options: RunOptions): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) controller.abort();
  let count = 0;
  const handler = (sig: NodeJS.Signals): void => {
    if (++count > 1) process.exit(130);
    process.stderr.write(`\ngaf-lab: ${sig}: stopping after the current step (send it again to quit at once)\n`);
    controller.abort();
  };
  const handle = options.handleSignals ?? true;
  if (handle) {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }
  return {
    signal: controller.signal,
    release: () => {
      options.signal?.removeEventListener('abort', onAbort);
      if (handle) {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      }
    },
  };
}

/** True when every weight of the model is finite (a step can blow weights up after a finite loss). */
function weightsFinite(model: tf.LayersModel): boolean {
  const bad = tf.tidy(() => tf.addN(model.weights.map((w) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(w.read())), 'float32')))));
  const n = bad.dataSync()[0]!;
  bad.dispose();
  return n === 0;
}

/** The training loop shared by a fresh run and a resumed one. */
async function train(
  runDir: string,
  r: ResolvedConfig,
  manifest: RunManifest<ResolvedConfig>,
  data: RunData,
  from: { resume: boolean; checkpoint?: string },
  options: RunOptions,
): Promise<RunResult> {
  const files = {
    metrics: path.join(runDir, RUN_FILES.metrics),
    gradstats: path.join(runDir, RUN_FILES.gradstats),
    checkpoints: path.join(runDir, RUN_FILES.checkpoints),
  };
  const model = buildModel(r);
  const optimizer = optimizerFromSettings(r.optimizer);
  const stop = stopSignal(options);
  const emit = options.onProgress ?? (() => undefined);
  let startEpoch = 0;
  let final: EpochMetrics | undefined;
  const finish = (status: RunStatus, message?: string): RunResult => {
    manifest.status = status;
    manifest.endedAt = new Date().toISOString();
    if (message !== undefined) manifest.message = message;
    if (final && status === 'completed') manifest.final = final;
    writeManifest(runDir, manifest);
    emit({ type: 'end', runId: manifest.runId, status, epochsDone: manifest.epochsDone, message });
    return { runId: manifest.runId, runDir, status, epochsDone: manifest.epochsDone, message, final, startEpoch, alreadyDone: false };
  };
  try {
    if (from.checkpoint) {
      const state = await loadCheckpoint(from.checkpoint, { model, optimizer });
      data.trainLoader.setState(state.loader);
      startEpoch = state.epoch;
    }
    if (from.resume) {
      manifest.resumes.push({ at: new Date().toISOString(), fromEpoch: startEpoch, pid: process.pid, hostname: os.hostname() });
    }
    // Lines of epochs after the checkpoint belong to work that is about to be redone.
    filterJsonLines<{ epoch: number }>(files.metrics, (l) => l.epoch <= startEpoch);
    filterJsonLines<{ epoch: number }>(files.gradstats, (l) => l.epoch <= startEpoch);
    manifest.epochsDone = startEpoch;
    writeManifest(runDir, manifest);
    final = readMetrics(runDir).at(-1);

    const originalName = new Map(model.weights.map((w) => [w.name, w.originalName]));
    const baseLr = optimizer.learningRate;
    const batches = data.trainLoader.batchesPerEpoch;
    emit({
      type: 'start',
      runId: manifest.runId,
      runDir,
      backend: manifest.backend,
      epochs: r.epochs,
      startEpoch,
      batchesPerEpoch: batches,
      trainSize: data.train.size,
      testSize: data.test.size,
    });
    for (let e = startEpoch; e < r.epochs; e++) {
      if (stop.signal.aborted) return finish('interrupted', `stopped by a signal after epoch ${e}; resuming continues after epoch ${manifest.epochsDone}`);
      const t0 = performance.now();
      const grads: GradStatsLine[] = [];
      const unobserve = r.gradStats ? observe(optimizer, r.gradStats, e + 1, originalName, grads) : undefined;
      const tr = await trainEpoch(model, optimizer, data.trainLoader, e, {
        learningRate: (b) => learningRateAt(r.schedule, baseLr, e, b, batches),
        signal: stop.signal,
        onBatch: (b, _loss, info) =>
          emit({ type: 'batch', epoch: e + 1, epochs: r.epochs, batch: b + 1, batches, loss: info.loss, accuracy: info.accuracy, lr: info.learningRate }),
      }).finally(() => unobserve?.());
      if (tr.stopped) return finish('interrupted', `stopped by a signal during epoch ${e + 1}; resuming continues after epoch ${manifest.epochsDone}`);
      const diverged = tr.diverged || !weightsFinite(model);
      const ev = !diverged && ((e + 1) % r.evalEvery === 0 || e + 1 === r.epochs) ? await evaluate(model, data.testLoader) : null;
      const metrics = epochMetrics(e + 1, tr, ev, (performance.now() - t0) / 1000, optimizer.iterations, diverged);
      final = metrics;
      appendJsonLines(files.gradstats, grads);
      appendJsonLine(files.metrics, metrics);
      emit({ type: 'epoch', epochs: r.epochs, metrics });
      if (diverged) return finish('diverged', divergenceMessage(e + 1, tr, batches, manifest.epochsDone));
      const parts = {
        model,
        optimizer,
        state: { epoch: e + 1, step: optimizer.iterations, loader: data.trainLoader.getState(), rng: { dataSeed: r.seed } },
      };
      await saveCheckpoint(files.checkpoints, 'last', parts);
      if (r.keepCheckpoints === 'all') await saveCheckpoint(files.checkpoints, `epoch-${String(e + 1).padStart(4, '0')}`, parts);
      manifest.epochsDone = e + 1;
      writeManifest(runDir, manifest);
    }
    return finish('completed');
  } catch (e) {
    finish('failed', e instanceof Error ? e.message : String(e));
    throw e;
  } finally {
    stop.release();
    model.dispose();
    optimizer.dispose();
  }
}

/** The metrics line of an epoch (`ev` null when it was not evaluated). */
function epochMetrics(epoch: number, tr: TrainEpochResult, ev: EvalResult | null, seconds: number, step: number, diverged: boolean): EpochMetrics {
  const trained = tr.samples > 0;
  return {
    epoch,
    trainLoss: trained ? tr.loss : null,
    trainTop1: trained ? tr.accuracy : null,
    trainTop5: trained ? tr.top5 : null,
    testLoss: ev ? ev.loss : null,
    testTop1: ev ? ev.accuracy : null,
    testTop5: ev ? ev.top5 : null,
    lr: tr.lastLearningRate ?? null,
    epochSeconds: seconds,
    imagesPerSecond: tr.samples / Math.max(1e-9, tr.seconds),
    step,
    diverged,
  };
}

function divergenceMessage(epoch: number, tr: TrainEpochResult, batches: number, epochsDone: number): string {
  const where = tr.divergence
    ? `non-finite training loss (${tr.divergence.loss}) at epoch ${epoch}, batch ${tr.divergence.batch + 1} of ${batches}`
    : `non-finite weights after epoch ${epoch}`;
  const kept = epochsDone > 0 ? `the last good checkpoint (epoch ${epochsDone}) is in checkpoints/last.` : 'no epoch had completed, so there is no checkpoint.';
  return `${where}, learning rate ${tr.lastLearningRate}. Training stopped; ${kept}`;
}

function observe(
  optimizer: GafOptimizer,
  g: NonNullable<ResolvedConfig['gradStats']>,
  epoch: number,
  originalName: Map<string, string>,
  out: GradStatsLine[],
): () => void {
  return optimizer.observeGradients({
    every: g.every,
    tinyThreshold: g.tinyThreshold,
    onStats: (stats) => {
      for (const s of stats) {
        out.push({
          epoch,
          step: s.step,
          variable: originalName.get(s.variable) ?? s.variable,
          size: s.size,
          rawL2: s.raw.l2,
          rawMaxAbs: s.raw.maxAbs,
          rawTinyFraction: s.raw.tinyFraction,
          actL2: s.activated.l2,
          actMaxAbs: s.activated.maxAbs,
          actTinyFraction: s.activated.tinyFraction,
        });
      }
    },
  });
}

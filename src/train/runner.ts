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
import { LAST_CHECKPOINT, saveCheckpoint } from './checkpoint';
import { loadLatestCheckpoint, type RecoveredCheckpoint } from './checkpoint-recovery';
import { evaluate, trainEpoch, type EvalResult, type TrainEpochResult } from './classifier';
import { resolveConfig, runDirOf, runIdOf, type ResolvedConfig } from '../config/index';
import {
  appendJsonLine,
  appendJsonLines,
  filterJsonLines,
  makeDirs,
  readManifest,
  readMetrics,
  reserveSpace,
  RUN_FILES,
  RUN_FORMAT,
  writeFileAtomic,
  writeManifest,
  type EpochMetrics,
  type RunManifest,
  type RunStatus,
  type SpaceReserve,
} from '../run-format/index';
import { gitState, hostInfo, ownVersion, packageVersions } from '../provenance/index';
import type { ProgressEvent } from './progress';
import { lockRun, runLockFile, type RunLock } from './run-lock';
import { learningRateAt } from './schedule';
import { kneeOfConfig, StepMetricsLog } from './step-metrics';

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
  /**
   * The run folder's lock, when the caller holds it (a sweep worker's claim); the call then
   * neither takes nor releases it. Without it the call takes the lock before it looks into
   * the folder and releases it when it ends (see run-lock.ts).
   */
  lock?: RunLock;
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
const RUN_PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
];

function runPackages(): Record<string, string> {
  const found = Object.entries({ 'gaf-lab': ownVersion(), ...packageVersions(RUN_PACKAGES) }).filter(
    (e): e is [string, string] => e[1] !== null,
  );
  return Object.fromEntries(found);
}

function gitStateFields(): { gitCommit: string | null; gitDirty: boolean | null } {
  const g = gitState();
  return { gitCommit: g.commit, gitDirty: g.dirty };
}

/**
 * Runs `body` as the run folder's one owner: with the caller's lock, or with one taken here
 * (a `RunLockedError` naming the holder when another live process has it) and released
 * however `body` ends. A lock found to belong to another process now stops the run like a signal.
 */
async function withRunLock<T>(runDir: string, options: RunOptions, body: (o: RunOptions) => Promise<T>): Promise<T> {
  const given = options.lock;
  if (given && (given.file !== runLockFile(runDir) || !given.held)) {
    throw new Error(
      `RunOptions.lock must be a held lock of ${path.resolve(runDir)}; it is ${given.held ? '' : 'a released lock '}of ${given.runDir}.`,
    );
  }
  const lock = given ?? lockRun(runDir);
  try {
    return await body({ ...options, signal: options.signal ? AbortSignal.any([options.signal, lock.lost]) : lock.lost });
  } finally {
    if (!given) lock.release();
  }
}

/**
 * Trains a config from scratch into `<outDir>/<runId>/`. Throws when that folder already holds
 * a run (use {@link resumeRun} or {@link runOrResume}) or another process is training it
 * (`RunLockedError`); config errors throw a ConfigError before anything is written.
 */
export async function runExperiment(config: unknown, options: RunOptions = {}): Promise<RunResult> {
  const resolved = resolveConfig(config);
  const runDir = runDirOf(resolved);
  return withRunLock(runDir, options, (o) => startRun(resolved, runDir, o));
}

/** {@link runExperiment} once the lock is held. */
async function startRun(resolved: ResolvedConfig, runDir: string, options: RunOptions): Promise<RunResult> {
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
  makeDirs(runDir);
  const now = new Date().toISOString();
  const manifest: RunManifest<ResolvedConfig> = {
    format: RUN_FORMAT,
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
  writeFileAtomic(path.join(runDir, RUN_FILES.metrics), '');
  return train(runDir, resolved, manifest, data, { resume: false }, options);
}

/**
 * Continues the run in `runDir` from its last checkpoint (or from the start when it has none).
 * A completed or diverged run is left as it is. Refuses a run that another live process is
 * training (`RunLockedError`).
 */
export async function resumeRun(runDir: string, options: RunOptions = {}): Promise<RunResult> {
  if (!fs.existsSync(path.join(runDir, RUN_FILES.manifest))) {
    throw new Error(`${runDir} is not a run folder (no manifest.json). Start the run with runExperiment / gaf-lab train CONFIG.`);
  }
  return withRunLock(runDir, options, (o) => resumeLocked(runDir, o));
}

/** {@link resumeRun} once the lock is held: the manifest is read by the folder's one owner. */
async function resumeLocked(runDir: string, options: RunOptions): Promise<RunResult> {
  const manifest = readManifest<ResolvedConfig>(runDir);
  const done = { runId: manifest.runId, runDir, status: manifest.status, epochsDone: manifest.epochsDone, startEpoch: manifest.epochsDone };
  if (manifest.status === 'completed' || manifest.status === 'diverged') {
    return { ...done, message: manifest.message, final: manifest.final, alreadyDone: true };
  }
  const resolved = resolveConfig(manifest.config);
  const backend = await startBackend(resolved);
  const data = buildData(resolved);
  manifest.status = 'running';
  manifest.backend = backend;
  manifest.pid = process.pid;
  delete manifest.endedAt;
  delete manifest.message;
  return train(runDir, resolved, manifest, data, { resume: true }, options);
}

/**
 * What a sweep worker and `gaf-lab train` want: start the run if its folder does not exist,
 * resume it if it was interrupted, leave it alone if it ended.
 */
export async function runOrResume(config: unknown, options: RunOptions = {}): Promise<RunResult> {
  const resolved = resolveConfig(config);
  const runDir = runDirOf(resolved);
  return withRunLock(runDir, options, (o) =>
    fs.existsSync(path.join(runDir, RUN_FILES.manifest)) ? resumeLocked(runDir, o) : startRun(resolved, runDir, o),
  );
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
  const report = await initBackend(r.backend === 'auto' ? undefined : r.backend, { threads: r.threads });
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

/**
 * True when every weight of the model is finite (a step can blow weights up after a finite loss).
 * Read asynchronously: the webgpu backend cannot read synchronously in Node.
 */
async function weightsFinite(model: tf.LayersModel): Promise<boolean> {
  const bad = tf.tidy(() => tf.addN(model.weights.map((w) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(w.read())), 'float32')))));
  const n = (await bad.data())[0]!;
  bad.dispose();
  return n === 0;
}

/**
 * Writes the manifest that records how the run ended. When the disk is full, the space reserve
 * is deleted and the write tried once more, so the status and its message are not lost.
 */
function writeFinalManifest(runDir: string, manifest: RunManifest<ResolvedConfig>, reserve: SpaceReserve | undefined): void {
  try {
    writeManifest(runDir, manifest);
  } catch (e) {
    if (!reserve?.release()) throw e;
    writeManifest(runDir, manifest);
  }
}

/** The training loop shared by a fresh run and a resumed one (which starts from the newest intact checkpoint). */
async function train(
  runDir: string,
  r: ResolvedConfig,
  manifest: RunManifest<ResolvedConfig>,
  data: RunData,
  from: { resume: boolean },
  options: RunOptions,
): Promise<RunResult> {
  const files = {
    metrics: path.join(runDir, RUN_FILES.metrics),
    gradstats: path.join(runDir, RUN_FILES.gradstats),
    steps: path.join(runDir, RUN_FILES.steps),
    checkpoints: path.join(runDir, RUN_FILES.checkpoints),
  };
  const emit = options.onProgress ?? (() => undefined);
  const rel = (p: string): string => path.relative(runDir, p);
  const warn = (message: string): void => {
    process.stderr.write(`gaf-lab: WARNING: run ${manifest.runId}: ${message}\n`);
    emit({ type: 'warning', runId: manifest.runId, message });
  };
  let startEpoch = 0;
  let final: EpochMetrics | undefined;
  let reserve: SpaceReserve | undefined;
  // Set when training starts from a checkpoint that predates checksums (see the divergence check below).
  let unverifiedFrom: string | undefined;
  const finish = (status: RunStatus, message?: string): RunResult => {
    manifest.status = status;
    manifest.endedAt = new Date().toISOString();
    if (message !== undefined) manifest.message = message;
    if (final && status === 'completed') manifest.final = final;
    writeFinalManifest(runDir, manifest, reserve);
    emit({ type: 'end', runId: manifest.runId, status, epochsDone: manifest.epochsDone, message });
    return { runId: manifest.runId, runDir, status, epochsDone: manifest.epochsDone, message, final, startEpoch, alreadyDone: false };
  };
  /** Says loudly that newer checkpoints were damaged and passed over, and records it in the manifest. */
  const recordRecoveries = (found: RecoveredCheckpoint): void => {
    for (const d of found.damaged) {
      const kept = d.movedTo ? `; the damaged folder is kept as ${rel(d.movedTo)}` : '';
      warn(
        `checkpoint ${rel(d.dir)} is damaged (${d.problem}); resuming from ${rel(found.dir)} (epoch ${found.state.epoch}) instead${kept}.`,
      );
      manifest.recoveries = [
        ...(manifest.recoveries ?? []),
        {
          at: new Date().toISOString(),
          damaged: rel(d.dir),
          problem: d.problem,
          movedTo: d.movedTo ? rel(d.movedTo) : null,
          used: rel(found.dir),
          usedEpoch: found.state.epoch,
        },
      ];
    }
  };
  let model: tf.LayersModel;
  let optimizer: GafOptimizer;
  try {
    model = buildModel(r);
    optimizer = optimizerFromSettings(r.optimizer);
  } catch (e) {
    // A config can name a model that does not fit its input (e.g. VGG on 28x28): a failed run, not a stuck one.
    return finish('failed', `could not build the model or the optimizer: ${(e as Error).message}`);
  }
  const stop = stopSignal(options);
  try {
    reserve = reserveSpace(runDir);
    if (from.resume) {
      const found = await loadLatestCheckpoint(files.checkpoints, { model, optimizer });
      if (found) {
        data.trainLoader.setState(found.state.loader);
        startEpoch = found.state.epoch;
        recordRecoveries(found);
        if (!found.verified) {
          unverifiedFrom = rel(found.dir);
          warn(
            `checkpoint ${unverifiedFrom} was written before checkpoints had checksums: it is loaded without verification (only its file sizes are checked).`,
          );
        }
      }
      manifest.resumes.push({
        at: new Date().toISOString(),
        fromEpoch: startEpoch,
        pid: process.pid,
        hostname: os.hostname(),
        checkpoint: found ? rel(found.dir) : null,
        ...(found ? { verified: found.verified } : {}),
      });
    }
    // Lines of epochs after the checkpoint belong to work that is about to be redone.
    filterJsonLines<{ epoch: number }>(files.metrics, (l) => l.epoch <= startEpoch);
    filterJsonLines<{ epoch: number }>(files.gradstats, (l) => l.epoch <= startEpoch);
    filterJsonLines<{ epoch: number }>(files.steps, (l) => l.epoch <= startEpoch);
    manifest.epochsDone = startEpoch;
    writeManifest(runDir, manifest);
    final = readMetrics(runDir).at(-1);

    const originalName = new Map(model.weights.map((w) => [w.name, w.originalName]));
    const stepLog = r.stepMetrics ? new StepMetricsLog(files.steps, r.stepMetrics.every, kneeOfConfig(r), originalName) : undefined;
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
      if (stop.signal.aborted)
        return finish('interrupted', `stopped by a signal after epoch ${e}; resuming continues after epoch ${manifest.epochsDone}`);
      const t0 = performance.now();
      const grads: GradStatsLine[] = [];
      stepLog?.restartClock();
      const unobserve = r.gradStats ? observe(optimizer, r.gradStats, e + 1, originalName, grads, stepLog) : undefined;
      const tr = await trainEpoch(model, optimizer, data.trainLoader, e, {
        learningRate: (b) => learningRateAt(r.schedule, baseLr, e, b, batches),
        signal: stop.signal,
        onBatch: (b, loss, info) => {
          stepLog?.afterStep({
            step: optimizer.iterations,
            epoch: e + 1,
            batch: b + 1,
            batches,
            loss,
            samples: info.samples,
            lr: info.learningRate,
          });
          emit({
            type: 'batch',
            epoch: e + 1,
            epochs: r.epochs,
            batch: b + 1,
            batches,
            loss: info.loss,
            accuracy: info.accuracy,
            lr: info.learningRate,
          });
        },
      }).finally(() => unobserve?.());
      if (tr.stopped)
        return finish('interrupted', `stopped by a signal during epoch ${e + 1}; resuming continues after epoch ${manifest.epochsDone}`);
      const diverged = tr.diverged || !(await weightsFinite(model));
      const evalNow = !diverged && ((e + 1) % r.evalEvery === 0 || e + 1 === r.epochs);
      const ev = evalNow ? await evaluate(model, data.testLoader) : null;
      const val = evalNow && data.validationLoader ? await evaluate(model, data.validationLoader) : null;
      const metrics = epochMetrics(e + 1, tr, ev, val, (performance.now() - t0) / 1000, optimizer.iterations, diverged);
      final = metrics;
      appendJsonLines(files.gradstats, grads);
      appendJsonLine(files.metrics, metrics);
      emit({ type: 'epoch', epochs: r.epochs, metrics });
      if (diverged) {
        const message = divergenceMessage(e + 1, tr, batches, manifest.epochsDone);
        // Divergence is final, so it is recorded only for training that started from verified
        // weights; right after loading unchecked ones it may be the checkpoint's damage instead.
        if (unverifiedFrom !== undefined && e === startEpoch)
          return finish('failed', `${message} ${unverifiedDivergence(unverifiedFrom, files.checkpoints, runDir)}`);
        return finish('diverged', message);
      }
      const parts = {
        model,
        optimizer,
        state: { epoch: e + 1, step: optimizer.iterations, loader: data.trainLoader.getState(), rng: { dataSeed: r.seed } },
      };
      await saveCheckpoint(files.checkpoints, LAST_CHECKPOINT, parts);
      if (r.keepCheckpoints === 'all') await saveCheckpoint(files.checkpoints, `epoch-${String(e + 1).padStart(4, '0')}`, parts);
      manifest.epochsDone = e + 1;
      writeManifest(runDir, manifest);
    }
    return finish('completed');
  } catch (e) {
    const err = withResumeHint(e, runDir, manifest.epochsDone);
    try {
      finish('failed', err instanceof Error ? err.message : String(err));
    } catch (e2) {
      process.stderr.write(
        `gaf-lab: could not record status failed for run ${manifest.runId}: ${e2 instanceof Error ? e2.message : String(e2)}\n`,
      );
    }
    throw err;
  } finally {
    reserve?.release();
    stop.release();
    model.dispose();
    optimizer.dispose();
  }
}

/** The metrics line of an epoch (`ev` null when it was not evaluated; `val` null also without a validation set). */
function epochMetrics(
  epoch: number,
  tr: TrainEpochResult,
  ev: EvalResult | null,
  val: EvalResult | null,
  seconds: number,
  step: number,
  diverged: boolean,
): EpochMetrics {
  const trained = tr.samples > 0;
  return {
    epoch,
    trainLoss: trained ? tr.loss : null,
    trainTop1: trained ? tr.accuracy : null,
    trainTop5: trained ? tr.top5 : null,
    testLoss: ev ? ev.loss : null,
    testTop1: ev ? ev.accuracy : null,
    testTop5: ev ? ev.top5 : null,
    ...(val ? { valLoss: val.loss, valTop1: val.accuracy, valTop5: val.top5 } : {}),
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
  const kept =
    epochsDone > 0
      ? `the last good checkpoint (epoch ${epochsDone}) is in checkpoints/last.`
      : 'no epoch had completed, so there is no checkpoint.';
  return `${where}, learning rate ${tr.lastLearningRate}. Training stopped; ${kept}`;
}

/**
 * A full disk stops a run that can go on once there is space: its error gets how (the epochs
 * already checkpointed are kept). Other errors are returned as they are.
 */
function withResumeHint(e: unknown, runDir: string, epochsDone: number): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (!(e instanceof Error) || (code !== 'ENOSPC' && code !== 'EDQUOT')) return e;
  const kept = epochsDone > 0 ? `epochs 1-${epochsDone} are checkpointed and kept` : 'no epoch was checkpointed yet';
  const err = new Error(
    `${e.message} The run stopped (${kept}); after freeing space, continue it with: gaf-lab resume ${runDir} (or resumeRun).`,
    { cause: e },
  );
  (err as NodeJS.ErrnoException).code = code;
  return err;
}

/** Why a divergence right after loading an unchecked checkpoint is not final, and how to settle it. */
function unverifiedDivergence(checkpoint: string, checkpointsDir: string, runDir: string): string {
  return (
    `It happened in the first epoch after resuming from ${checkpoint}, which was written before checkpoints had checksums and ` +
    'could not be verified, so the run is not marked diverged: the checkpoint may be damaged. To settle it, retrain from epoch 0: ' +
    `rm -r ${checkpointsDir} && gaf-lab resume ${runDir} (or resumeRun).`
  );
}

function observe(
  optimizer: GafOptimizer,
  g: NonNullable<ResolvedConfig['gradStats']>,
  epoch: number,
  originalName: Map<string, string>,
  out: GradStatsLine[],
  stepLog: StepMetricsLog | undefined,
): () => void {
  return optimizer.observeGradients({
    // One observer feeds both files: it observes the steps either of them wants.
    every: stepLog ? stepLog.observationEvery(g.every) : g.every,
    tinyThreshold: g.tinyThreshold,
    knee: stepLog?.knee ?? undefined,
    onStats: (stats) => {
      stepLog?.gradients(stats);
      if (stats.length === 0 || (stats[0]!.step - 1) % g.every !== 0) return;
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

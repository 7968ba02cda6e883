/**
 * Trains a detection config into a run folder of the standard format (docs/run-format.md):
 * `manifest.json`, one `metrics.jsonl` line per epoch, checkpoints, plus `detections.json`
 * (the last evaluation's detections on the test set). The metrics line carries the usual
 * fields (classification ones null) and `testMap`, the mAP of the config's metric, so the
 * `results` code summarises detection runs with `metric: 'testMap'` like any other.
 *
 * It reuses the runner's pieces: the run lock, the optimizer from the config's optimizer
 * section, the learning-rate schedule, checksummed checkpoints with recovery, atomic writes.
 * A run that was interrupted resumes from its last checkpoint: the image order and the
 * augmentation of an epoch depend only on the seed and the epoch.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../backend/init';
import { registerWasmGradientKernels } from '../backend/wasm-kernels/index';
import { loadVoc, type VocSample } from '../data/voc';
import { optimizerFromSettings } from '../optim/settings';
import { gitState, hostInfo, ownVersion, packageVersions } from '../provenance/index';
import {
  appendJsonLine,
  filterJsonLines,
  makeDirs,
  readManifest,
  readMetrics,
  RUN_FILES,
  RUN_FORMAT,
  writeFileAtomic,
  writeManifest,
  type EpochMetrics,
  type RunManifest,
} from '../run-format/index';
import { fileIO, LAST_CHECKPOINT, saveCheckpoint } from '../train/checkpoint';
import { loadLatestCheckpoint } from '../train/checkpoint-recovery';
import { lockRun } from '../train/run-lock';
import { learningRateAt } from '../train/schedule';
import { buildDetector, detectionLoss } from './centernet';
import { detectionRunDir, detectionRunId, resolveDetectionConfig, scheduleOf, type DetectionConfig } from './config';
import { detectionImages, epochOrder, epochRng, groundTruthOf, makeBatch, type DetectionImage } from './data';
import { evaluateVocDetections, type Detection, type VocEvaluation } from './evaluate';
import { detectImages } from './predict';

/** File of a detection run with the last evaluation's test-set detections. */
export const DETECTIONS_FILE = 'detections.json';

/** A metrics line of a detection run. */
export interface DetectionEpochMetrics extends EpochMetrics {
  /** mAP on the test set with the config's metric (null on epochs without evaluation). */
  testMap: number | null;
  /** AP per class on the test set. */
  testAp: Record<string, number> | null;
  /** Mean heatmap (focal) and box (L1) losses of the epoch. */
  trainHeatmapLoss: number | null;
  trainBoxLoss: number | null;
}

/** The manifest of a detection run: the standard one plus how the backbone started. */
export type DetectionManifest = RunManifest<DetectionConfig> & {
  task: 'detection';
  /** True when backbone weights were loaded from `model.backboneWeights`. */
  pretrainedBackbone: boolean;
  /** How many layers received loaded weights. */
  pretrainedLayers: number;
};

/** Options of {@link runDetection}. */
export interface DetectionRunOptions {
  /** Called after every epoch with its metrics line. */
  onEpoch?: (m: DetectionEpochMetrics) => void;
  /** Stops after the step in flight (status `interrupted`). */
  signal?: AbortSignal;
}

/** How {@link runDetection} ended. */
export interface DetectionRunResult {
  runId: string;
  runDir: string;
  status: RunManifest['status'];
  epochsDone: number;
  final?: DetectionEpochMetrics;
  /** The last evaluation (undefined when none ran in this call). */
  evaluation?: VocEvaluation;
  message?: string;
  alreadyDone: boolean;
}

/** The images of a config's training and test sets (loaded through the VOC loader). */
export async function loadDetectionData(c: DetectionConfig): Promise<{ train: DetectionImage[]; test: DetectionImage[] }> {
  const dataDir = c.data.dataDir ?? undefined;
  const samples = async (sets: DetectionConfig['data']['train'], limit: number | null): Promise<VocSample[]> => {
    const all: VocSample[] = [];
    for (const s of sets) all.push(...(await loadVoc({ year: s.year, imageSet: s.imageSet, dataDir })).samples);
    return limit === null ? all : all.slice(0, limit);
  };
  const train = await detectionImages(await samples(c.data.train, c.data.limitTrain), c.data.classes, c.data.cache);
  const test = await detectionImages(await samples([c.data.test], c.data.limitTest), c.data.classes, c.data.cache);
  return { train, test };
}

/**
 * Copies the weights of a tfjs layers model saved in `dir` into the layers of `model` that have
 * the same name and weight shapes (the backbone); returns how many layers got weights. No
 * matching layer is an error naming the folder.
 */
export async function loadBackboneWeights(model: tf.LayersModel, dir: string): Promise<number> {
  if (!fs.existsSync(path.join(dir, 'model.json'))) {
    throw new Error(
      `model.backboneWeights: ${dir} has no model.json; give a folder saved by model.save (e.g. gaf-lab's ImageNet ResNet18).`,
    );
  }
  const source = await tf.loadLayersModel(fileIO(dir));
  let copied = 0;
  try {
    for (const layer of source.layers) {
      const weights = layer.getWeights();
      if (weights.length === 0) continue;
      let target: tf.layers.Layer;
      try {
        target = model.getLayer(layer.name);
      } catch {
        continue;
      }
      const mine = target.getWeights();
      if (mine.length !== weights.length || mine.some((w, i) => !tf.util.arraysEqual(w.shape, weights[i]!.shape))) continue;
      target.setWeights(weights);
      copied++;
    }
  } finally {
    source.dispose();
  }
  if (copied === 0)
    throw new Error(`model.backboneWeights: no layer of ${dir} matches a backbone layer of the detector by name and shape.`);
  return copied;
}

async function startBackend(c: DetectionConfig): Promise<string> {
  const active = (tf.engine() as unknown as { backendName: string | null }).backendName;
  if (active && (active === c.backend || (c.backend === 'auto' && active !== 'cpu'))) {
    if (active === 'wasm') registerWasmGradientKernels();
    return active;
  }
  return (await initBackend(c.backend === 'auto' ? undefined : c.backend)).backend;
}

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { setLearningRate(v: number): void }).setLearningRate(lr);
}

/** Scores `model` on `images` with the config's evaluation settings. */
export async function evaluateDetector(
  model: tf.LayersModel,
  images: readonly DetectionImage[],
  c: DetectionConfig,
): Promise<{ detections: Detection[]; evaluation: VocEvaluation }> {
  const detections = await detectImages(model, images, {
    inputSize: c.model.inputSize,
    classNames: c.data.classes,
    batchSize: c.batchSize,
    topK: c.eval.topK,
    minScore: c.eval.minScore,
    nmsIoU: c.eval.nmsIoU,
  });
  const evaluation = evaluateVocDetections(groundTruthOf(images, c.data.classes), detections, {
    metric: c.eval.metric,
    iouThreshold: c.eval.iouThreshold,
  });
  return { detections, evaluation };
}

/**
 * Trains `config` (a detection config, validated here) into `<outDir>/<runId>/`, resuming an
 * interrupted run and leaving a completed or diverged one as it is.
 */
export async function runDetection(config: unknown, options: DetectionRunOptions = {}): Promise<DetectionRunResult> {
  const c = resolveDetectionConfig(config);
  const runDir = detectionRunDir(c);
  const lock = lockRun(runDir);
  try {
    return await trainLocked(c, runDir, options);
  } finally {
    lock.release();
  }
}

async function trainLocked(c: DetectionConfig, runDir: string, options: DetectionRunOptions): Promise<DetectionRunResult> {
  const runId = detectionRunId(c);
  const manifestFile = path.join(runDir, RUN_FILES.manifest);
  const metricsFile = path.join(runDir, RUN_FILES.metrics);
  const checkpoints = path.join(runDir, RUN_FILES.checkpoints);
  let manifest: DetectionManifest;
  const resuming = fs.existsSync(manifestFile);
  if (resuming) {
    manifest = readManifest<DetectionConfig>(runDir) as DetectionManifest;
    if (manifest.status === 'completed' || manifest.status === 'diverged') {
      return {
        runId,
        runDir,
        status: manifest.status,
        epochsDone: manifest.epochsDone,
        final: manifest.final as DetectionEpochMetrics | undefined,
        alreadyDone: true,
      };
    }
  }
  const backend = await startBackend(c);
  const data = await loadDetectionData(c);
  if (data.train.length === 0 || data.test.length === 0) throw new Error(`detection run ${runId}: the training or test set is empty.`);
  const model = buildDetector({
    backbone: c.model.backbone,
    numClasses: c.data.classes.length,
    inputSize: c.model.inputSize,
    seed: c.seed,
  });
  const optimizer = optimizerFromSettings(c.optimizer);
  try {
    const pretrainedLayers = c.model.backboneWeights !== null ? await loadBackboneWeights(model, c.model.backboneWeights) : 0;
    const now = new Date().toISOString();
    const git = gitState();
    if (!resuming) {
      fs.rmSync(runDir, { recursive: true, force: true });
      makeDirs(runDir);
      writeFileAtomic(metricsFile, '');
    }
    manifest = {
      ...(resuming ? readManifest<DetectionConfig>(runDir) : { startedAt: now, resumes: [] }),
      format: RUN_FORMAT,
      runId,
      status: 'running',
      config: c,
      seed: c.seed,
      gitCommit: git.commit,
      gitDirty: git.dirty,
      backend,
      packages: Object.fromEntries(
        Object.entries({ 'gaf-lab': ownVersion(), ...packageVersions(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) }).filter(
          (e): e is [string, string] => e[1] !== null,
        ),
      ),
      host: hostInfo(),
      pid: process.pid,
      updatedAt: now,
      epochsDone: 0,
      task: 'detection',
      pretrainedBackbone: pretrainedLayers > 0,
      pretrainedLayers,
    } as DetectionManifest;
    delete manifest.endedAt;
    delete manifest.message;
    let startEpoch = 0;
    if (resuming) {
      const found = await loadLatestCheckpoint(checkpoints, { model, optimizer });
      startEpoch = found ? found.state.epoch : 0;
      manifest.resumes.push({
        at: now,
        fromEpoch: startEpoch,
        pid: process.pid,
        hostname: manifest.host.hostname,
        checkpoint: found ? path.relative(runDir, found.dir) : null,
      });
      filterJsonLines<{ epoch: number }>(metricsFile, (l) => l.epoch <= startEpoch);
    }
    manifest.epochsDone = startEpoch;
    writeManifest(runDir, manifest);

    const schedule = scheduleOf(c);
    const baseLr = optimizer.learningRate;
    const varList = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const batches = Math.ceil(data.train.length / c.batchSize);
    let final = readMetrics(runDir).at(-1) as DetectionEpochMetrics | undefined;
    let evaluation: VocEvaluation | undefined;
    const end = (status: RunManifest['status'], message?: string): DetectionRunResult => {
      manifest.status = status;
      manifest.endedAt = new Date().toISOString();
      if (message !== undefined) manifest.message = message;
      if (final && status === 'completed') manifest.final = final;
      writeManifest(runDir, manifest);
      return { runId, runDir, status, epochsDone: manifest.epochsDone, final, evaluation, message, alreadyDone: false };
    };
    try {
      for (let e = startEpoch; e < c.epochs; e++) {
        const t0 = performance.now();
        const order = epochOrder(data.train.length, c.seed, e);
        const rng = epochRng(c.seed, e);
        let sums = [0, 0, 0];
        let seen = 0;
        let lr = baseLr;
        let trainSeconds = 0;
        for (let b = 0; b < batches; b++) {
          if (options.signal?.aborted)
            return end('interrupted', `stopped during epoch ${e + 1}; resuming continues after epoch ${manifest.epochsDone}`);
          const images = Array.from(order.subarray(b * c.batchSize, (b + 1) * c.batchSize), (i) => data.train[i]!);
          const batch = await makeBatch(images, {
            inputSize: c.model.inputSize,
            numClasses: c.data.classes.length,
            augment: c.augment ? { rng } : null,
          });
          const ts = performance.now();
          lr = learningRateAt(schedule, baseLr, e, b, batches);
          setLearningRate(optimizer, lr);
          let parts: tf.Scalar[] = [];
          try {
            const loss = optimizer.minimize(
              () => {
                const out = model.apply(batch.x, { training: true }) as tf.Tensor4D;
                const l = detectionLoss(out, batch.heat, batch.box, batch.mask);
                parts = [tf.keep(l.heatmap), tf.keep(l.box)];
                return l.total;
              },
              true,
              varList,
            ) as tf.Scalar;
            const [lv, hv, bv] = [loss, ...parts].map((t) => t.dataSync()[0]!);
            tf.dispose([loss, ...parts]);
            trainSeconds += (performance.now() - ts) / 1000;
            if (!Number.isFinite(lv!)) {
              const line = lineOf(e + 1, null, null, lr, (performance.now() - t0) / 1000, 0, optimizer.iterations, true);
              appendJsonLine(metricsFile, line);
              final = line;
              return end('diverged', `non-finite training loss at epoch ${e + 1}, batch ${b + 1} of ${batches}, learning rate ${lr}.`);
            }
            sums = [sums[0]! + lv! * images.length, sums[1]! + hv! * images.length, sums[2]! + bv! * images.length];
            seen += images.length;
          } finally {
            batch.dispose();
          }
        }
        const evalNow = (e + 1) % c.evalEvery === 0 || e + 1 === c.epochs;
        let scored: { detections: Detection[]; evaluation: VocEvaluation } | null = null;
        if (evalNow) {
          scored = await evaluateDetector(model, data.test, c);
          evaluation = scored.evaluation;
          writeFileAtomic(
            path.join(runDir, DETECTIONS_FILE),
            JSON.stringify({ epoch: e + 1, metric: c.eval.metric, detections: scored.detections }),
          );
        }
        const losses = sums.map((s) => s / Math.max(1, seen)) as [number, number, number];
        const line = lineOf(
          e + 1,
          losses,
          scored?.evaluation ?? null,
          lr,
          (performance.now() - t0) / 1000,
          seen / Math.max(1e-9, trainSeconds),
          optimizer.iterations,
          false,
        );
        appendJsonLine(metricsFile, line);
        final = line;
        options.onEpoch?.(line);
        await saveCheckpoint(checkpoints, LAST_CHECKPOINT, {
          model,
          optimizer,
          state: { epoch: e + 1, step: optimizer.iterations, loader: { seed: c.seed, epoch: e + 1, batch: 0 }, rng: { dataSeed: c.seed } },
        });
        manifest.epochsDone = e + 1;
        writeManifest(runDir, manifest);
      }
      return end('completed');
    } catch (e) {
      // The folder says how the run ended, then the error goes on to the caller.
      end('failed', e instanceof Error ? e.message : String(e));
      throw e;
    }
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

function lineOf(
  epoch: number,
  losses: [number, number, number] | null,
  ev: VocEvaluation | null,
  lr: number,
  seconds: number,
  imagesPerSecond: number,
  step: number,
  diverged: boolean,
): DetectionEpochMetrics {
  return {
    epoch,
    trainLoss: losses ? losses[0] : null,
    trainTop1: null,
    trainTop5: null,
    testLoss: null,
    testTop1: null,
    testTop5: null,
    testMap: ev ? ev.mAP : null,
    testAp: ev ? Object.fromEntries(Object.entries(ev.perClass).map(([k, v]) => [k, v.ap])) : null,
    trainHeatmapLoss: losses ? losses[1] : null,
    trainBoxLoss: losses ? losses[2] : null,
    lr,
    epochSeconds: seconds,
    imagesPerSecond,
    step,
    diverged,
  };
}

/** Runs every config in order (a detection sweep's runs), each started, resumed or left as it is. */
export async function runDetectionSweep(
  configs: readonly DetectionConfig[],
  options: DetectionRunOptions & { onRun?: (r: DetectionRunResult) => void } = {},
): Promise<DetectionRunResult[]> {
  const out: DetectionRunResult[] = [];
  for (const c of configs) {
    const r = await runDetection(c, options);
    options.onRun?.(r);
    out.push(r);
    if (options.signal?.aborted) break;
  }
  return out;
}

/** Printers for {@link runDetectionSweep}: one line per epoch and one per finished run. */
export function detectionProgress(
  log: (line: string) => void = (l) => console.log(l),
): Required<Pick<DetectionRunOptions, 'onEpoch'>> & { onRun: (r: DetectionRunResult) => void } {
  return {
    onEpoch: (m) =>
      log(
        `  epoch ${m.epoch}: loss ${m.trainLoss?.toFixed(3) ?? '-'}${m.testMap !== null ? `, test mAP ${m.testMap.toFixed(3)}` : ''}, ${m.epochSeconds.toFixed(1)} s`,
      ),
    onRun: (r) =>
      log(
        `${r.runId}: ${r.status}${r.alreadyDone ? ' (already done, not retrained)' : ''}, ${r.epochsDone} epochs, final test mAP ${r.final?.testMap?.toFixed(3) ?? '-'}`,
      ),
  };
}

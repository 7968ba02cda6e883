/**
 * Checkpoints on disk: a tfjs IO handler for folders (pure tfjs has no `file://`), the
 * optimizer's state, the loader's position, all written under a temporary name and renamed
 * into place so that a process killed at any moment leaves either the old or the new
 * checkpoint, never a mix.
 *
 * A checkpoint folder holds `model.json` + `weights.bin` (tfjs layers format, every weight
 * including the batch-norm moving statistics), `optimizer.json` + `optimizer.bin`, and
 * `state.json`, written last.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LoaderState } from '../data/dataset';
import { syncFolder, writeFileAtomic, writeJsonAtomic } from '../run-format/index';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';
const OPTIMIZER_JSON = 'optimizer.json';
const OPTIMIZER_BIN = 'optimizer.bin';
const STATE_JSON = 'state.json';

/**
 * An IO handler that saves a LayersModel into a folder (`model.json` and one `weights.bin`) and
 * loads it back: `await model.save(fileIO(dir))`, `await tf.loadLayersModel(fileIO(dir))`.
 * `model.save` writes every weight, trainable or not, so batch-norm moving statistics survive.
 */
export function fileIO(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fileIO: binary (GraphDef) model topologies are not supported; save a tf.LayersModel.');
      }
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
      writeFileAtomic(path.join(dir, WEIGHTS_BIN), new Uint8Array(weights));
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      writeFileAtomic(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const file = path.join(dir, MODEL_JSON);
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(fs.readFileSync(file, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        throw new Error(`fileIO: cannot read ${file}: ${(e as Error).message}`);
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => readWeights(dir, manifest));
    },
  };
}

function readWeights(dir: string, manifest: tf.io.WeightsManifestConfig): [tf.io.WeightsManifestEntry[], ArrayBuffer] {
  const specs = manifest.flatMap((g) => g.weights);
  const buffers = manifest.flatMap((g) =>
    g.paths.map((p) => {
      const b = fs.readFileSync(path.join(dir, p));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    }),
  );
  return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
}

function readModelWeights(dir: string): tf.NamedTensorMap {
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
  const [specs, data] = readWeights(dir, modelJson.weightsManifest);
  checkByteCount(dir, WEIGHTS_BIN, specs, data.byteLength);
  return tf.io.decodeWeights(data, specs);
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

function checkByteCount(dir: string, file: string, specs: tf.io.WeightsManifestEntry[], bytes: number): void {
  const want = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[w.dtype] ?? 4), 0);
  if (want !== bytes) {
    throw new Error(`Checkpoint ${dir}: ${file} has ${bytes} bytes, its manifest describes ${want}; the file is damaged.`);
  }
}

/** Saved name of an optimizer slot `variable/slot`: the model weight's original (process-independent) name. */
function renameSlots(weights: { name: string; tensor: tf.Tensor }[], names: Map<string, string>): { name: string; tensor: tf.Tensor }[] {
  return weights.map(({ name, tensor }) => {
    const cut = name.lastIndexOf('/');
    const variable = cut > 0 ? name.slice(0, cut) : name;
    const to = names.get(variable);
    return { name: to !== undefined ? `${to}${name.slice(cut)}` : name, tensor };
  });
}

/**
 * Writes the optimizer's `getWeights()` to `optimizer.json` (class, config, names, shapes and
 * dtypes) and `optimizer.bin` (the values). Slot names use the model's original weight names
 * (`conv1/kernel/m`), not the process's unique variable names (`conv1/kernel_3/m`).
 */
export async function saveOptimizerState(optimizer: tf.Optimizer, model: tf.LayersModel, dir: string): Promise<void> {
  const weights = await optimizer.getWeights();
  try {
    const names = new Map(model.weights.map((w) => [w.name, w.originalName]));
    const { data, specs } = await tf.io.encodeWeights(renameSlots(weights, names));
    writeFileAtomic(path.join(dir, OPTIMIZER_BIN), new Uint8Array(tf.io.CompositeArrayBuffer.join(data)));
    const json = { format: 'gaf-lab-optimizer/1', className: optimizer.getClassName(), config: optimizer.getConfig(), weights: specs };
    writeFileAtomic(path.join(dir, OPTIMIZER_JSON), JSON.stringify(json, null, 1));
  } finally {
    tf.dispose(weights.map((w) => w.tensor));
  }
}

/** Restores what {@link saveOptimizerState} wrote, mapping slot names to `model`'s variables. */
export async function loadOptimizerState(optimizer: tf.Optimizer, model: tf.LayersModel, dir: string): Promise<void> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, OPTIMIZER_JSON), 'utf8')) as { className: string; weights: tf.io.WeightsManifestEntry[] };
  if (json.className !== optimizer.getClassName()) {
    throw new Error(`Checkpoint ${dir}: optimizer state was saved from ${json.className}, cannot restore it into ${optimizer.getClassName()}.`);
  }
  const b = fs.readFileSync(path.join(dir, OPTIMIZER_BIN));
  checkByteCount(dir, OPTIMIZER_BIN, json.weights, b.byteLength);
  const map = tf.io.decodeWeights(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, json.weights);
  const names = new Map(model.weights.map((w) => [w.originalName, w.name]));
  const list = renameSlots(json.weights.map((s) => ({ name: s.name, tensor: map[s.name]! })), names);
  try {
    await optimizer.setWeights(list);
  } catch (e) {
    throw new Error(`Checkpoint ${dir}: the optimizer state does not fit this optimizer: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(map));
  }
}

/** `state.json` of a checkpoint: where training stands. */
export interface CheckpointState {
  format: 'gaf-lab-checkpoint/1';
  /** Epochs completed (1-based number of the last completed epoch). */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  /** Where the training loader stands (its order and augmentation are functions of seed and epoch). */
  loader: LoaderState;
  /**
   * Random state: gaf-lab's data pipeline derives every random choice from (seed, epoch,
   * sample), so the loader state is all there is; tfjs's own unseeded RNG (dropout) is not
   * captured, which is why resumable runs use models without dropout.
   */
  rng: { dataSeed: number };
  savedAt: string;
}

/** What a checkpoint is made of. */
export interface CheckpointParts {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  state: Omit<CheckpointState, 'format' | 'savedAt'>;
}

function tempName(kind: string, name: string): string {
  return `.${kind}-${name}-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Writes a checkpoint to `<root>/<name>/` atomically: everything goes into a temporary folder
 * first; then an existing `<name>` is renamed aside, the new folder renamed in, and the old one
 * deleted. A crash leaves a complete `<name>` (or, between the two renames, the complete old one
 * aside, which {@link findCheckpoint} picks up), plus perhaps a temporary folder that is ignored
 * and cleaned on the next save.
 * @returns the checkpoint folder.
 */
export async function saveCheckpoint(root: string, name: string, parts: CheckpointParts): Promise<string> {
  fs.mkdirSync(root, { recursive: true });
  removeLeftovers(root, name);
  const tmp = path.join(root, tempName('tmp', name));
  await parts.model.save(fileIO(tmp));
  await saveOptimizerState(parts.optimizer, parts.model, tmp);
  const state: CheckpointState = { format: 'gaf-lab-checkpoint/1', ...parts.state, savedAt: new Date().toISOString() };
  // Every file above went through writeFileAtomic, which flushes the file and the folder, so the
  // folder is complete on disk before it is renamed in.
  writeJsonAtomic(path.join(tmp, STATE_JSON), state);
  const final = path.join(root, name);
  let old: string | undefined;
  if (fs.existsSync(final)) {
    old = path.join(root, tempName('old', name));
    fs.renameSync(final, old);
  }
  fs.renameSync(tmp, final);
  syncFolder(root);
  if (old) fs.rmSync(old, { recursive: true, force: true });
  removeLeftovers(root, name);
  return final;
}

/** Deletes temporary folders of `name` left by a crash (never a complete set-aside copy while `name` is missing). */
function removeLeftovers(root: string, name: string): void {
  const hasFinal = isComplete(path.join(root, name));
  for (const e of fs.readdirSync(root)) {
    if (e.startsWith(`.tmp-${name}-`) || (hasFinal && e.startsWith(`.old-${name}-`))) {
      fs.rmSync(path.join(root, e), { recursive: true, force: true });
    }
  }
}

function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, STATE_JSON));
}

/**
 * The folder of checkpoint `name` under `root`, or undefined when there is none. A process
 * killed between the two renames of {@link saveCheckpoint} leaves the previous checkpoint set
 * aside under a temporary name: it is found here. Unfinished temporary folders are ignored.
 */
export function findCheckpoint(root: string, name = 'last'): string | undefined {
  const final = path.join(root, name);
  if (isComplete(final)) return final;
  if (!fs.existsSync(root)) return undefined;
  const aside = fs
    .readdirSync(root)
    .filter((e) => e.startsWith(`.old-${name}-`) && isComplete(path.join(root, e)))
    .map((e) => path.join(root, e));
  if (aside.length === 0) return undefined;
  return aside.sort((a, b) => readCheckpointState(b).epoch - readCheckpointState(a).epoch)[0];
}

/** Reads `state.json` of a checkpoint folder. */
export function readCheckpointState(dir: string): CheckpointState {
  const file = path.join(dir, STATE_JSON);
  let s: CheckpointState;
  try {
    s = JSON.parse(fs.readFileSync(file, 'utf8')) as CheckpointState;
  } catch (e) {
    throw new Error(`Cannot read checkpoint state ${file}: ${(e as Error).message}`);
  }
  if (s.format !== 'gaf-lab-checkpoint/1') throw new Error(`${file}: unknown checkpoint format ${JSON.stringify(s.format)}.`);
  return s;
}

/**
 * Loads a checkpoint into an existing model (weights matched by their original names; every
 * weight of the model must be present) and optimizer. Returns the checkpoint's state.
 */
export async function loadCheckpoint(dir: string, parts: { model: tf.LayersModel; optimizer?: tf.Optimizer }): Promise<CheckpointState> {
  const state = readCheckpointState(dir);
  const weights = readModelWeights(dir);
  try {
    parts.model.loadWeights(weights, true);
  } catch (e) {
    throw new Error(`Checkpoint ${dir} does not fit model ${parts.model.name}: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(weights));
  }
  if (parts.optimizer) await loadOptimizerState(parts.optimizer, parts.model, dir);
  return state;
}

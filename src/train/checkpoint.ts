/**
 * Checkpoints on disk: a tfjs IO handler for folders (pure tfjs has no `file://`), the
 * optimizer's state, the loader's position, all written under a temporary name and renamed
 * into place so that a process killed at any moment leaves either the old or the new
 * checkpoint, never a mix.
 *
 * A checkpoint folder holds `model.json` + `weights.bin` (tfjs layers format, every weight
 * including the batch-norm moving statistics), `optimizer.json` + `optimizer.bin`, and
 * `state.json`, written last with the size and SHA-256 of the others (checkpoint-files.ts).
 * `last` keeps the checkpoint before it as `previous`, so a damaged `last` has a fallback
 * (checkpoint-recovery.ts).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeDirs, syncFolder, writeError, writeFileAtomic } from '../run-format/index';
import {
  CHECKPOINT_FILES,
  CheckpointDamagedError,
  readCheckpointContents,
  readCheckpointFile,
  readCheckpointState,
  writeCheckpointState,
  type CheckpointPosition,
  type CheckpointState,
} from './checkpoint-files';

export {
  readCheckpointState,
  CheckpointDamagedError,
  isVerified,
  CHECKPOINT_FORMAT,
  UNVERIFIED_CHECKPOINT_FORMAT,
} from './checkpoint-files';
export type { CheckpointState, FileDigest } from './checkpoint-files';

const MODEL_JSON = CHECKPOINT_FILES.model;
const WEIGHTS_BIN = CHECKPOINT_FILES.weights;
const OPTIMIZER_JSON = CHECKPOINT_FILES.optimizer;
const OPTIMIZER_BIN = CHECKPOINT_FILES.optimizerData;
const STATE_JSON = CHECKPOINT_FILES.state;

/** The checkpoint a run resumes from. */
export const LAST_CHECKPOINT = 'last';
/** The checkpoint `last` replaced, kept until the next one is written. */
export const PREVIOUS_CHECKPOINT = 'previous';

/** Reads a file of a folder; the error names the file and, when it is missing, what the folder should hold. */
type FileReader = (name: string) => Buffer;

/**
 * The reader of a folder's files: a checkpoint (it has `state.json`) is read and checked as a
 * whole; a plain model folder is read file by file.
 */
function readerFor(dir: string): FileReader {
  if (fs.existsSync(path.join(dir, STATE_JSON))) return readCheckpointContents(dir).read;
  return (name) => readCheckpointFile(dir, name);
}

function parseJson<T>(dir: string, name: string, b: Buffer): T {
  try {
    return JSON.parse(b.toString('utf8')) as T;
  } catch (e) {
    throw new CheckpointDamagedError(dir, name, `is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * An IO handler that saves a LayersModel into a folder (`model.json` and one `weights.bin`) and
 * loads it back: `await model.save(fileIO(dir))`, `await tf.loadLayersModel(fileIO(dir))`.
 * `model.save` writes every weight, trainable or not, so batch-norm moving statistics survive.
 * Loading a checkpoint folder checks its digests first.
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
      let read: FileReader;
      let modelJson: tf.io.ModelJSON;
      try {
        read = readerFor(dir);
        modelJson = parseJson<tf.io.ModelJSON>(dir, MODEL_JSON, read(MODEL_JSON));
      } catch (e) {
        if (e instanceof CheckpointDamagedError && e.file === MODEL_JSON && e.problem === 'is missing') {
          throw new Error(
            `fileIO: ${path.join(dir, MODEL_JSON)} does not exist; a model folder holds model.json and weights.bin (written by model.save(fileIO(dir))).`,
          );
        }
        throw e;
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => readWeights(read, manifest));
    },
  };
}

function readWeights(read: FileReader, manifest: tf.io.WeightsManifestConfig): [tf.io.WeightsManifestEntry[], ArrayBuffer] {
  const specs = manifest.flatMap((g) => g.weights);
  const buffers = manifest.flatMap((g) =>
    g.paths.map((p) => {
      const b = read(p);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    }),
  );
  return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Checks that a weights file holds as many bytes as its manifest describes (the one check a checkpoint without digests gets). */
function checkByteCount(dir: string, file: string, specs: tf.io.WeightsManifestEntry[], bytes: number): void {
  const want = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[w.dtype] ?? 4), 0);
  if (want !== bytes)
    throw new CheckpointDamagedError(dir, file, `has ${bytes} bytes, its manifest describes ${want}; the file is damaged`);
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

/** The optimizer part of a checkpoint, parsed and size-checked but not yet applied. */
interface OptimizerData {
  json: { className: string; weights: tf.io.WeightsManifestEntry[] };
  bin: Buffer;
}

function readOptimizerData(dir: string, read: FileReader): OptimizerData {
  const json = parseJson<OptimizerData['json']>(dir, OPTIMIZER_JSON, read(OPTIMIZER_JSON));
  if (typeof json?.className !== 'string' || !Array.isArray(json.weights)) {
    throw new CheckpointDamagedError(dir, OPTIMIZER_JSON, 'lacks className or weights');
  }
  const bin = read(OPTIMIZER_BIN);
  checkByteCount(dir, OPTIMIZER_BIN, json.weights, bin.byteLength);
  return { json, bin };
}

async function applyOptimizerData(
  optimizer: tf.Optimizer,
  model: tf.LayersModel,
  dir: string,
  { json, bin }: OptimizerData,
): Promise<void> {
  if (json.className !== optimizer.getClassName()) {
    throw new Error(
      `Checkpoint ${dir}: optimizer state was saved from ${json.className}, cannot restore it into ${optimizer.getClassName()}.`,
    );
  }
  const map = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer, json.weights);
  const names = new Map(model.weights.map((w) => [w.originalName, w.name]));
  const list = renameSlots(
    json.weights.map((s) => ({ name: s.name, tensor: map[s.name]! })),
    names,
  );
  try {
    await optimizer.setWeights(list);
  } catch (e) {
    throw new Error(`Checkpoint ${dir}: the optimizer state does not fit this optimizer: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(map));
  }
}

/**
 * Restores what {@link saveOptimizerState} wrote, mapping slot names to `model`'s variables.
 * In a checkpoint folder the digests of `state.json` are checked first.
 */
export async function loadOptimizerState(optimizer: tf.Optimizer, model: tf.LayersModel, dir: string): Promise<void> {
  await applyOptimizerData(optimizer, model, dir, readOptimizerData(dir, readerFor(dir)));
}

/** What a checkpoint is made of. */
export interface CheckpointParts {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  state: CheckpointPosition;
}

function tempName(kind: string, name: string): string {
  return `.${kind}-${name}-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

function removeQuietly(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // a folder that cannot be removed (read-only now) is debris the next save or resume ignores
  }
}

/**
 * A system error while writing a checkpoint, said about the checkpoint (`Cannot write checkpoint
 * <root>/last: disk full: ...`) rather than about a file in the temporary folder that is gone.
 */
function checkpointWriteError(checkpoint: string, e: unknown): unknown {
  if ((e as NodeJS.ErrnoException).code === undefined) return e;
  return writeError(checkpoint, (e as Error).cause ?? e, 'write checkpoint');
}

function rename(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    throw writeError(to, e, `rename ${from} to`);
  }
}

/**
 * Writes a checkpoint to `<root>/<name>/` atomically: everything goes into a temporary folder
 * first, `state.json` with the digests last; then the folder is renamed in. For
 * `name = 'last'` an existing `last` becomes `previous` (the old `previous` is set aside and
 * deleted only once the new `last` is in place); for other names the old folder is set aside
 * and deleted. A crash leaves complete checkpoints under `last`, `previous` or a set-aside name,
 * which {@link findCheckpoint} and the recovery find, plus perhaps a temporary folder that is
 * ignored and cleaned on the next save. A failed save (a full disk) removes its temporary
 * folder and throws an error naming the file and the fix.
 * @returns the checkpoint folder.
 */
export async function saveCheckpoint(root: string, name: string, parts: CheckpointParts): Promise<string> {
  makeDirs(root);
  removeLeftovers(root, name, false);
  const tmp = path.join(root, tempName('tmp', name));
  try {
    await parts.model.save(fileIO(tmp));
    await saveOptimizerState(parts.optimizer, parts.model, tmp);
    // Every file above went through writeFileAtomic, which flushes the file and the folder, so
    // the folder is complete on disk before it is renamed in.
    writeCheckpointState(tmp, parts.state);
  } catch (e) {
    removeQuietly(tmp);
    throw checkpointWriteError(path.join(root, name), e);
  }
  const final = path.join(root, name);
  const drop: string[] = [];
  try {
    if (fs.existsSync(final)) {
      if (name === LAST_CHECKPOINT && isComplete(final)) {
        const previous = path.join(root, PREVIOUS_CHECKPOINT);
        if (fs.existsSync(previous)) {
          const aside = path.join(root, tempName('old', PREVIOUS_CHECKPOINT));
          rename(previous, aside);
          drop.push(aside);
        }
        rename(final, previous);
      } else {
        // (an incomplete `last` is not worth keeping as `previous`: it would push out a complete one)
        const aside = path.join(root, tempName('old', name));
        rename(final, aside);
        drop.push(aside);
      }
    }
    rename(tmp, final);
  } catch (e) {
    removeQuietly(tmp);
    throw e;
  }
  syncFolder(root);
  drop.forEach(removeQuietly);
  removeLeftovers(root, name, true);
  return final;
}

/**
 * Deletes temporary folders of `name` left by a crash; after a save (`saved`) also set-aside
 * copies, once the folders that replace them exist (`last` and `previous` for `last`).
 */
function removeLeftovers(root: string, name: string, saved: boolean): void {
  const family = name === LAST_CHECKPOINT ? [LAST_CHECKPOINT, PREVIOUS_CHECKPOINT] : [name];
  const replaced = saved && family.every((f) => isComplete(path.join(root, f)));
  for (const e of fs.readdirSync(root)) {
    const old = family.some((f) => e.startsWith(`.old-${f}-`));
    if (e.startsWith(`.tmp-${name}-`) || (replaced && old)) removeQuietly(path.join(root, e));
  }
}

function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, STATE_JSON));
}

/** Epoch recorded in a checkpoint's state, or -1 when it cannot be read (such a folder is tried last). */
function epochOf(dir: string): number {
  try {
    return readCheckpointState(dir).epoch;
  } catch {
    return -1;
  }
}

/**
 * The checkpoint folders under `root` a run may resume from, best first: `last` (when the
 * folder exists at all, complete or not: a damaged `last` is reported, not skipped), then by
 * epoch, newest first, `previous`, copies set aside by an interrupted save and, with
 * `includeEpochs`, the `epoch-NNNN` folders of `keepCheckpoints: all`. Set-aside copies without
 * `state.json` are half-deleted debris and left out, as are temporary and `damaged-*` folders.
 */
export function checkpointCandidates(root: string, includeEpochs = true): string[] {
  if (!fs.existsSync(root)) return [];
  const rank = (e: string): number => {
    if (e === PREVIOUS_CHECKPOINT) return 0;
    if (e.startsWith(`.old-${LAST_CHECKPOINT}-`)) return 1;
    if (e.startsWith(`.old-${PREVIOUS_CHECKPOINT}-`)) return 2;
    if (includeEpochs && /^epoch-\d+$/.test(e)) return 3;
    return -1;
  };
  const entries = fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory());
  const others = entries
    .map((e) => e.name)
    .filter((e) => rank(e) >= 0 && (!e.startsWith('.old-') || isComplete(path.join(root, e))))
    .map((e) => ({ dir: path.join(root, e), epoch: epochOf(path.join(root, e)), rank: rank(e) }))
    .sort((a, b) => b.epoch - a.epoch || a.rank - b.rank)
    .map((c) => c.dir);
  const last = entries.some((e) => e.name === LAST_CHECKPOINT) ? [path.join(root, LAST_CHECKPOINT)] : [];
  return [...last, ...others];
}

/**
 * The folder of checkpoint `name` under `root`, or undefined when there is none. For `last`
 * this is the newest complete checkpoint of the rotation: `last`, or after a crash in the middle
 * of a save, `previous` or a copy set aside under a temporary name. Nothing is verified here
 * (see {@link loadCheckpoint} and {@link loadLatestCheckpoint}); unfinished temporary folders are ignored.
 */
export function findCheckpoint(root: string, name = LAST_CHECKPOINT): string | undefined {
  const final = path.join(root, name);
  if (isComplete(final)) return final;
  if (name === LAST_CHECKPOINT) return checkpointCandidates(root, false).find(isComplete);
  if (!fs.existsSync(root)) return undefined;
  const aside = fs
    .readdirSync(root)
    .filter((e) => e.startsWith(`.old-${name}-`) && isComplete(path.join(root, e)))
    .map((e) => path.join(root, e));
  return aside.sort((a, b) => epochOf(b) - epochOf(a))[0];
}

/**
 * Loads a checkpoint into an existing model (weights matched by their original names; every
 * weight of the model must be present) and optimizer, and returns its state. Every file is
 * read and checked against the digests in `state.json` before anything is loaded: a missing,
 * cut short or altered file throws {@link CheckpointDamagedError} and leaves model and
 * optimizer untouched. A checkpoint of format /1 (written before checksums) loads with only
 * its sizes checked; {@link isVerified} of the returned state tells which it was.
 */
export async function loadCheckpoint(dir: string, parts: { model: tf.LayersModel; optimizer?: tf.Optimizer }): Promise<CheckpointState> {
  const contents = readCheckpointContents(dir);
  const modelJson = parseJson<tf.io.ModelJSON>(dir, MODEL_JSON, contents.read(MODEL_JSON));
  if (!Array.isArray(modelJson?.weightsManifest)) throw new CheckpointDamagedError(dir, MODEL_JSON, 'lacks weightsManifest');
  const [specs, data] = readWeights(contents.read, modelJson.weightsManifest);
  checkByteCount(dir, WEIGHTS_BIN, specs, data.byteLength);
  const optimizerData = parts.optimizer ? readOptimizerData(dir, contents.read) : undefined;
  const weights = tf.io.decodeWeights(data, specs);
  try {
    parts.model.loadWeights(weights, true);
  } catch (e) {
    throw new Error(`Checkpoint ${dir} does not fit model ${parts.model.name}: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(weights));
  }
  if (parts.optimizer && optimizerData) await applyOptimizerData(parts.optimizer, parts.model, dir, optimizerData);
  return contents.state;
}

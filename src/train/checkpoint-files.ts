/**
 * The files of one checkpoint folder and their integrity. `state.json`, written last, records
 * the size and SHA-256 of every other file and a checksum of itself; reading a checkpoint
 * checks all of them before anything is loaded, so a file that changed after it was written
 * (a bad disk, a partial copy, a stray edit) is found instead of trained on.
 * @module
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LoaderState } from '../data/dataset';
import { toJson, writeFileAtomic } from '../run-format/index';

/** Names of the files in a checkpoint folder. */
export const CHECKPOINT_FILES = {
  model: 'model.json',
  weights: 'weights.bin',
  optimizer: 'optimizer.json',
  optimizerData: 'optimizer.bin',
  state: 'state.json',
} as const;

/** The files whose sizes and digests `state.json` records. */
const DATA_FILES: readonly string[] = [
  CHECKPOINT_FILES.model,
  CHECKPOINT_FILES.weights,
  CHECKPOINT_FILES.optimizer,
  CHECKPOINT_FILES.optimizerData,
];

/** The format of checkpoints with checksums, which this code writes. */
export const CHECKPOINT_FORMAT = 'gaf-lab-checkpoint/2';
/** The format of checkpoints written before checksums: still read, but nothing can be verified. */
export const UNVERIFIED_CHECKPOINT_FORMAT = 'gaf-lab-checkpoint/1';

/** Size and SHA-256 (hex) of a file. */
export interface FileDigest {
  bytes: number;
  sha256: string;
}

/** `state.json` of a checkpoint: where training stands, and the digests of the other files. */
export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT | typeof UNVERIFIED_CHECKPOINT_FORMAT;
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
  /** Size and SHA-256 of model.json, weights.bin, optimizer.json and optimizer.bin (absent in format /1). */
  files?: Record<string, FileDigest>;
  /** SHA-256 of this object's JSON (2-space indented) without this field (absent in format /1). */
  checksum?: string;
}

/** The training position a checkpoint stores (what the trainer hands to the writer). */
export type CheckpointPosition = Pick<CheckpointState, 'epoch' | 'step' | 'loader' | 'rng'>;

/**
 * A checkpoint whose files are missing, cut short or changed since they were written. `file`
 * is the file at fault and `problem` what is wrong with it; the runner falls back to an earlier
 * checkpoint on this error, and only on this one.
 */
export class CheckpointDamagedError extends Error {
  constructor(
    readonly dir: string,
    readonly file: string,
    readonly problem: string,
  ) {
    super(`Checkpoint ${dir} is damaged: ${file} ${problem}.`);
    this.name = 'CheckpointDamagedError';
  }

  /** `weights.bin: sha256 mismatch ...`: the file and the problem, without the folder. */
  get summary(): string {
    return `${this.file} ${this.problem}`;
  }
}

/** SHA-256 of `data` in hex. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const stateText = (state: Omit<CheckpointState, 'checksum'>): string => toJson(state, 2);

/**
 * Writes `<dir>/state.json` for the files already in `dir`, with their sizes and digests read
 * back from disk (what a later reader will see) and the state's own checksum. Call it after
 * every other file is written: its presence marks the folder complete.
 */
export function writeCheckpointState(dir: string, position: CheckpointPosition): CheckpointState {
  const files: Record<string, FileDigest> = {};
  for (const name of DATA_FILES) {
    const data = fs.readFileSync(path.join(dir, name));
    files[name] = { bytes: data.byteLength, sha256: sha256(data) };
  }
  const body: Omit<CheckpointState, 'checksum'> = {
    format: CHECKPOINT_FORMAT,
    epoch: position.epoch,
    step: position.step,
    loader: position.loader,
    rng: position.rng,
    savedAt: new Date().toISOString(),
    files,
  };
  const state: CheckpointState = { ...body, checksum: sha256(stateText(body)) };
  // No trailing newline: then every byte of the file is part of the JSON, and any cut is an error.
  writeFileAtomic(path.join(dir, CHECKPOINT_FILES.state), toJson(state, 2));
  return state;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Reads a file of checkpoint `dir`: a missing file is damage, other read errors name the file. */
export function readCheckpointFile(dir: string, name: string): Buffer {
  const file = path.join(dir, name);
  try {
    return fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointDamagedError(dir, name, 'is missing');
    throw new Error(`Cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Reads and checks `state.json` of a checkpoint folder: a missing, unparsable or altered file
 * (its checksum does not match) is a {@link CheckpointDamagedError}. A state of format /1 has
 * no checksums to check; one that claims /1 but carries checksum fields is checked all the same
 * (a damaged format field must not switch verification off).
 */
export function readCheckpointState(dir: string): CheckpointState {
  const name = CHECKPOINT_FILES.state;
  const text = readCheckpointFile(dir, name).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CheckpointDamagedError(dir, name, `is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(parsed)) throw new CheckpointDamagedError(dir, name, 'does not hold a JSON object');
  const { checksum, ...body } = parsed;
  const checked = parsed.format !== UNVERIFIED_CHECKPOINT_FORMAT || 'files' in parsed || checksum !== undefined;
  if (checked) {
    if (typeof checksum !== 'string') throw new CheckpointDamagedError(dir, name, 'has no checksum field');
    if (sha256(stateText(body as Omit<CheckpointState, 'checksum'>)) !== checksum) {
      throw new CheckpointDamagedError(dir, name, 'does not match its own checksum (it changed after it was written)');
    }
    if (parsed.format !== CHECKPOINT_FORMAT) {
      throw new Error(
        `${path.join(dir, name)}: checkpoint format ${JSON.stringify(parsed.format)} is not one this version of gaf-lab reads ` +
          `(${CHECKPOINT_FORMAT}, ${UNVERIFIED_CHECKPOINT_FORMAT}); it was written by another version: resume it with that version.`,
      );
    }
    if (!isObject(parsed.files) || DATA_FILES.some((f) => !isObject((parsed.files as Record<string, unknown>)[f]))) {
      throw new CheckpointDamagedError(dir, name, `does not record the digests of ${DATA_FILES.join(', ')}`);
    }
  }
  const s = parsed as unknown as CheckpointState;
  if (!Number.isInteger(s.epoch) || s.epoch < 0 || !isObject(s.loader)) {
    throw new CheckpointDamagedError(dir, name, 'lacks a valid epoch or loader state');
  }
  return s;
}

/** Whether the state carries checksums (format /2), i.e. whether its checkpoint was verified when read. */
export function isVerified(state: CheckpointState): boolean {
  return state.files !== undefined;
}

/** A checkpoint read into memory, every recorded digest checked. */
export interface CheckpointContents {
  dir: string;
  state: CheckpointState;
  /** False for a checkpoint of format /1 (no digests to check). */
  verified: boolean;
  /** The bytes of a file of the folder (read once; files that state.json records were checked). */
  read(name: string): Buffer;
}

/**
 * Reads a checkpoint folder and checks it: `state.json` (see {@link readCheckpointState}), then
 * the size and SHA-256 of each file it records. Throws {@link CheckpointDamagedError} naming
 * the first file that is missing, cut short or altered.
 */
export function readCheckpointContents(dir: string): CheckpointContents {
  const state = readCheckpointState(dir);
  const verified = isVerified(state);
  const data = new Map<string, Buffer>();
  for (const name of DATA_FILES) {
    const b = readCheckpointFile(dir, name);
    const want = state.files?.[name];
    if (want) {
      if (b.byteLength !== want.bytes) {
        throw new CheckpointDamagedError(
          dir,
          name,
          `has ${b.byteLength} bytes, ${want.bytes} were written (${b.byteLength < want.bytes ? 'cut short' : 'grown'})`,
        );
      }
      const got = sha256(b);
      if (got !== want.sha256)
        throw new CheckpointDamagedError(dir, name, `sha256 mismatch: ${got}, ${want.sha256} was written (its contents changed)`);
    }
    data.set(name, b);
  }
  return { dir, state, verified, read: (name) => data.get(name) ?? readCheckpointFile(dir, name) };
}

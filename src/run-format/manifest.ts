/**
 * A run folder's records: `manifest.json` (what ran, where, with which code, and how it ended)
 * and the per-epoch lines of `metrics.jsonl`. See docs/run-format.md.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from './atomic-write';
import { readJsonLines } from './json-lines';
import { RUN_FILES } from './run-files';

/** The `format` field of every manifest this code writes and reads. */
export const RUN_FORMAT = 'gaf-lab-run/1';

/** The statuses a run's manifest may carry. `running` in a folder whose process is gone means it was killed. */
export const RUN_STATUSES = ['running', 'completed', 'diverged', 'failed', 'interrupted'] as const;

/** How a run stands. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The statuses after which a run is not trained further. */
export const FINAL_STATUSES: readonly RunStatus[] = ['completed', 'diverged'];

/** One line of `metrics.jsonl`. Accuracies are fractions in [0, 1]; null where not measured. */
export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  /** Mean training cross-entropy over the epoch (training mode; without weight decay). */
  trainLoss: number | null;
  trainTop1: number | null;
  trainTop5: number | null;
  /** Null on epochs without evaluation (`evalEvery`) and on a diverged epoch. */
  testLoss: number | null;
  testTop1: number | null;
  testTop5: number | null;
  /** On the validation set (`dataset.validation`), when the run has one and the epoch was evaluated. */
  valLoss?: number;
  valTop1?: number;
  valTop5?: number | null;
  /** Learning rate of the epoch's last step. */
  lr: number | null;
  /** Wall time of the epoch: training plus evaluation. */
  epochSeconds: number;
  /** Training images per second (training time only). */
  imagesPerSecond: number;
  /** Optimizer steps taken by the end of the epoch. */
  step: number;
  /** True on the line of the epoch where the loss became non-finite (the run's last line). */
  diverged: boolean;
}

/** Where a run was started or resumed. */
export interface HostInfo {
  hostname: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  node: string;
}

/**
 * `manifest.json` of a run folder. `C` is the type of the resolved config (the trainer's
 * `ResolvedConfig`); code that only reads run folders leaves it as a plain object.
 */
export interface RunManifest<C = Record<string, unknown>> {
  format: typeof RUN_FORMAT;
  runId: string;
  status: RunStatus;
  /** The resolved config: every default filled in. */
  config: C;
  seed: number;
  /** `git rev-parse HEAD` of the gaf-lab checkout, null when not in a git checkout. */
  gitCommit: string | null;
  /** Whether the checkout had uncommitted changes (null when unknown). */
  gitDirty: boolean | null;
  /** The tfjs backend actually used. */
  backend: string;
  packages: Record<string, string>;
  host: HostInfo;
  /** Process that trains (or last trained) the run. */
  pid: number;
  startedAt: string;
  /** Set when the run stops for any reason (completed, diverged, failed, interrupted). */
  endedAt?: string;
  updatedAt: string;
  /** Epochs completed and checkpointed. */
  epochsDone: number;
  /** Why the run diverged, failed or was interrupted. */
  message?: string;
  /**
   * Each resume: when, from which completed epoch, by which process; `checkpoint` is the folder
   * resumed from (relative to the run folder; null when none was left and training restarted at
   * epoch 0) and `verified` whether its checksums were checked (false for checkpoints written
   * before checkpoints had checksums). Entries written before these two fields existed lack them.
   */
  resumes: { at: string; fromEpoch: number; pid: number; hostname: string; checkpoint?: string | null; verified?: boolean }[];
  /** Damaged checkpoints found on resume and passed over for an earlier one (absent when none ever was). */
  recoveries?: CheckpointRecovery[];
  /** The last metrics line of a completed run. */
  final?: EpochMetrics;
}

/** A damaged checkpoint that a resume passed over, recorded in the manifest's `recoveries`. */
export interface CheckpointRecovery {
  /** When it was found. */
  at: string;
  /** The damaged checkpoint folder, relative to the run folder (e.g. `checkpoints/last`). */
  damaged: string;
  /** What is wrong with it (e.g. `weights.bin: sha256 mismatch ...`). */
  problem: string;
  /** Where the damaged folder was moved to be kept for inspection (null when it could not be moved). */
  movedTo: string | null;
  /** The checkpoint used instead, relative to the run folder, and its epoch. */
  used: string;
  usedEpoch: number;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Reads `<runDir>/manifest.json` and checks the fields that identify a run (`format`, `runId`,
 * `status`, `config`); errors name the file, the field and what is allowed. The other fields
 * are returned as the trainer wrote them, and fields this code does not know are kept.
 */
export function readManifest<C = Record<string, unknown>>(runDir: string): RunManifest<C> {
  const file = path.join(runDir, RUN_FILES.manifest);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `${file} does not exist: ${runDir} is not a run folder. Pass a folder that holds manifest.json (made by \`gaf-lab train\`).`,
      );
    }
    throw new Error(`Cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `${file}: not valid JSON (${(e as Error).message}). A manifest is rewritten atomically, so this file was edited or damaged by hand.`,
    );
  }
  if (!isObject(parsed))
    throw new Error(
      `${file}: expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}.`,
    );
  if (parsed.format !== RUN_FORMAT) {
    throw new Error(`${file}: field "format" is ${JSON.stringify(parsed.format)}; this version of gaf-lab reads "${RUN_FORMAT}".`);
  }
  if (typeof parsed.runId !== 'string' || parsed.runId === '') {
    throw new Error(`${file}: field "runId" must be a non-empty string, got ${JSON.stringify(parsed.runId)}.`);
  }
  if (!RUN_STATUSES.includes(parsed.status as RunStatus)) {
    throw new Error(`${file}: field "status" is ${JSON.stringify(parsed.status)}; allowed: ${RUN_STATUSES.join(', ')}.`);
  }
  if (!isObject(parsed.config)) {
    throw new Error(`${file}: field "config" must be the resolved config object, got ${JSON.stringify(parsed.config)}.`);
  }
  return parsed as unknown as RunManifest<C>;
}

/** Rewrites `<runDir>/manifest.json` atomically, stamping `updatedAt` (on `m` too). */
export function writeManifest<C>(runDir: string, m: RunManifest<C>): void {
  m.updatedAt = new Date().toISOString();
  writeJsonAtomic(path.join(runDir, RUN_FILES.manifest), m);
}

/** The complete lines of `<runDir>/metrics.jsonl` (none when the file does not exist yet). */
export function readMetrics(runDir: string): EpochMetrics[] {
  return readJsonLines<EpochMetrics>(path.join(runDir, RUN_FILES.metrics));
}

/**
 * The run folder's records: `manifest.json` (what ran, where, with which code, and how it
 * ended) and the per-epoch metrics line. See docs/run-format.md.
 * @module
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../data/paths';
import type { ResolvedConfig } from './config';
import { readJson, readJsonLines, writeJsonAtomic } from './files';

/** How a run stands. `running` in a folder whose process is gone means it was killed. */
export type RunStatus = 'running' | 'completed' | 'diverged' | 'failed' | 'interrupted';

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

/** `manifest.json` of a run folder. */
export interface RunManifest {
  format: 'gaf-lab-run/1';
  runId: string;
  status: RunStatus;
  /** The resolved config: every default filled in. */
  config: ResolvedConfig;
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
  /** Each resume: when, from which completed epoch, by which process. */
  resumes: { at: string; fromEpoch: number; pid: number; hostname: string }[];
  /** The last metrics line of a completed run. */
  final?: EpochMetrics;
}

/** Files of a run folder. */
export const RUN_FILES = {
  manifest: 'manifest.json',
  metrics: 'metrics.jsonl',
  gradstats: 'gradstats.jsonl',
  checkpoints: 'checkpoints',
} as const;

/** Host facts recorded in the manifest. */
export function hostInfo(): HostInfo {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
  };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: packageRoot(), timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** The git commit of the gaf-lab checkout and whether it has uncommitted changes. */
export function gitState(): { gitCommit: string | null; gitDirty: boolean | null } {
  const gitCommit = git(['rev-parse', 'HEAD']);
  if (gitCommit === null) return { gitCommit: null, gitDirty: null };
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return { gitCommit, gitDirty: status === null ? null : status.length > 0 };
}

function versionOf(name: string): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const p = require(`${name}/package.json`) as { name: string; version: string };
    // node_modules/@tensorflow/tfjs-node may be an alias of pure tfjs (FACTS.md): record what it is.
    return p.name === name ? p.version : `${p.name}@${p.version} (alias)`;
  } catch {
    return undefined;
  }
}

/** Versions of the packages that decide a run's numbers. */
export function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    out['gaf-lab'] = readJson<{ version: string }>(path.join(packageRoot(), 'package.json')).version;
  } catch {
    // running from a copy without package.json: leave it out
  }
  for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
    const v = versionOf(name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Reads `manifest.json` of a run folder, with an error that says what the folder is not. */
export function readManifest(runDir: string): RunManifest {
  const m = readJson<RunManifest>(path.join(runDir, RUN_FILES.manifest));
  if (m.format !== 'gaf-lab-run/1') throw new Error(`${runDir}/manifest.json: unknown format ${JSON.stringify(m.format)}.`);
  return m;
}

/** Rewrites `manifest.json` atomically, stamping `updatedAt`. */
export function writeManifest(runDir: string, m: RunManifest): void {
  m.updatedAt = new Date().toISOString();
  writeJsonAtomic(path.join(runDir, RUN_FILES.manifest), m);
}

/** The complete lines of `metrics.jsonl`. */
export function readMetrics(runDir: string): EpochMetrics[] {
  return readJsonLines<EpochMetrics>(path.join(runDir, RUN_FILES.metrics));
}

/** True when process `pid` exists on this host. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

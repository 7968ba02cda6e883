/**
 * Sweeps: a base config and a grid (optimizer variants x GAF kind x alpha x beta x models x
 * seeds) expanded into run configs, run by one or several worker processes sharing the sweep
 * folder. A run is claimed with a lock file created exclusively (`open(..., 'wx')`), so no two
 * workers train the same run; completed runs are skipped and interrupted ones resumed.
 *
 * Sweep folder:
 * - `sweep.json`: the sweep config and the list of run ids;
 * - `configs/<runId>.json`: each run's resolved config, trainable on its own
 *   (`gaf-lab train <sweep>/configs/<runId>.json`) by an external scheduler;
 * - `<runId>/`: the run folders (docs/run-format.md);
 * - `locks/<runId>.lock`: held while a worker trains the run ({pid, hostname, startedAt});
 * - `claims.jsonl`: one line per claim, takeover and release, for auditing.
 * @module
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { GAF_KINDS, readConfigFile, resolveConfig, runIdOf, validateWith, ConfigError, type ResolvedConfig } from './config';
import { appendJsonLine, readJson, readJsonLines, writeJsonAtomic } from './files';
import { processAlive, readManifest, RUN_FILES, type RunStatus } from './manifest';
import type { ProgressEvent } from './progress';
import { resumeRun, runExperiment, type RunResult } from './runner';

const record = z.record(z.unknown());

/** The zod schema of a sweep config. */
export const sweepConfigSchema = z
  .object({
    name: z.string().min(1).nullable().default(null),
    /** The sweep folder. */
    outDir: z.string().min(1),
    /** An experiment config (its outDir and name are replaced per run). */
    base: record,
    grid: z
      .object({
        /**
         * Optimizer sections merged over `base.optimizer` (options merged too when the name is the
         * same). A variant with a `gaf` key (an object, or null for none) keeps it; one without
         * is crossed with gafKinds x alphas x betas when any of those is given.
         */
        optimizers: z.array(record).min(1).optional(),
        gafKinds: z.array(z.enum(GAF_KINDS)).min(1).optional(),
        alphas: z.array(z.number().finite().positive()).min(1).optional(),
        betas: z.array(z.number().finite().positive()).min(1).optional(),
        /** Model names (replacing base.model.name; the model options stay). */
        models: z.array(z.string().min(1)).min(1).optional(),
        seeds: z.array(z.number().int().min(0)).min(1).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

/** A sweep config as written by hand. */
export type SweepConfigInput = z.input<typeof sweepConfigSchema>;
/** A validated sweep config. */
export type SweepConfig = z.output<typeof sweepConfigSchema>;

/** One run of a sweep. */
export interface SweepRun {
  runId: string;
  config: ResolvedConfig;
  /** Which grid values made it (for display). */
  point: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function mergeOptimizer(base: unknown, variant: Obj): Obj {
  const b = isObj(base) ? base : {};
  const sameName = variant.name === undefined || variant.name === b.name;
  const merged: Obj = sameName ? { ...b, ...variant } : { ...variant };
  if (sameName && isObj(b.options) && isObj(variant.options)) merged.options = { ...b.options, ...variant.options };
  // A different optimizer family does not inherit the base's GAF placement or reference variant.
  return merged;
}

/**
 * The run configs of a sweep, in grid order (model, optimizer variant, GAF kind, alpha, beta,
 * seed), each resolved, with duplicates (same run id) removed. Run folders go straight into
 * the sweep folder. Errors name the grid point.
 */
export function expandSweep(sweep: SweepConfig): SweepRun[] {
  const base = sweep.base;
  const g = sweep.grid;
  const baseModel = isObj(base.model) ? base.model : {};
  const models = g.models ?? [baseModel.name];
  const variants: Obj[] = g.optimizers ?? [isObj(base.optimizer) ? base.optimizer : {}];
  const gridGaf = g.gafKinds !== undefined || g.alphas !== undefined || g.betas !== undefined;
  const seeds = g.seeds ?? [base.seed];
  const out: SweepRun[] = [];
  const seen = new Set<string>();
  models.forEach((model) => {
    variants.forEach((variant, vi) => {
      const opt = mergeOptimizer(base.optimizer, variant);
      const crossed = gridGaf && !('gaf' in variant) && opt.name !== 'sgdAdaptiveGaf' && opt.name !== 'reference';
      const g0 = isObj(opt.gaf) ? opt.gaf : {};
      const gafs: (Obj | undefined)[] = crossed
        ? (g.gafKinds ?? [g0.kind ?? 'atan']).flatMap((kind) =>
            (g.alphas ?? [g0.alpha]).flatMap((alpha) => (g.betas ?? [g0.beta]).map((beta) => ({ kind, alpha, beta }))),
          )
        : [undefined];
      for (const gaf of gafs) {
        for (const seed of seeds) {
          const optimizer = gaf ? { ...opt, gaf: Object.fromEntries(Object.entries(gaf).filter(([, v]) => v !== undefined)) } : opt;
          const config = { ...base, name: null, outDir: sweep.outDir, model: { ...baseModel, name: model }, optimizer, ...(seed !== undefined ? { seed } : {}) };
          const point = { model, optimizer: vi, ...(gaf ? { gaf } : {}), seed };
          let resolved: ResolvedConfig;
          try {
            resolved = resolveConfig(config);
          } catch (e) {
            if (e instanceof ConfigError) {
              throw new ConfigError(
                e.issues.map((i) => ({ ...i, path: `base.${i.path}` })),
                `sweep grid point ${JSON.stringify(point)}`,
              );
            }
            throw e;
          }
          const runId = runIdOf(resolved);
          if (seen.has(runId)) continue;
          seen.add(runId);
          out.push({ runId, config: resolved, point });
        }
      }
    });
  });
  return out;
}

/** Validates a sweep config (object or JSON/YAML file); errors name the field and allowed values. */
export function parseSweepConfig(config: unknown): SweepConfig {
  if (typeof config === 'string') return validateWith(sweepConfigSchema, readConfigFile(config), config);
  return validateWith(sweepConfigSchema, config);
}

/** `sweep.json`. */
export interface SweepFile {
  format: 'gaf-lab-sweep/1';
  name: string | null;
  createdAt: string;
  config: SweepConfig;
  runs: { runId: string; config: string; point: Record<string, unknown> }[];
}

const SWEEP_JSON = 'sweep.json';

/**
 * Creates (or checks) the sweep folder: `sweep.json` and one config file per run. Preparing
 * the same sweep again is harmless; a folder holding a different sweep is an error.
 * @returns the absolute sweep folder and its runs.
 */
export function prepareSweep(config: unknown): { sweepDir: string; runs: SweepRun[] } {
  const sweep = parseSweepConfig(config);
  const sweepDir = path.resolve(sweep.outDir);
  const runs = expandSweep({ ...sweep, outDir: sweepDir });
  const file = path.join(sweepDir, SWEEP_JSON);
  if (fs.existsSync(file)) {
    const existing = readJson<SweepFile>(file);
    const a = existing.runs.map((r) => r.runId).join(',');
    const b = runs.map((r) => r.runId).join(',');
    if (a !== b) {
      throw new Error(
        `${sweepDir} already holds a different sweep (${existing.runs.length} runs; this config expands to ${runs.length}). ` +
          'Use another outDir for the new sweep.',
      );
    }
    return { sweepDir, runs };
  }
  fs.mkdirSync(path.join(sweepDir, 'configs'), { recursive: true });
  fs.mkdirSync(path.join(sweepDir, 'locks'), { recursive: true });
  for (const r of runs) writeJsonAtomic(path.join(sweepDir, 'configs', `${r.runId}.json`), r.config);
  const body: SweepFile = {
    format: 'gaf-lab-sweep/1',
    name: sweep.name,
    createdAt: new Date().toISOString(),
    config: sweep,
    runs: runs.map((r) => ({ runId: r.runId, config: `configs/${r.runId}.json`, point: r.point })),
  };
  writeJsonAtomic(file, body);
  return { sweepDir, runs };
}

/** Reads `sweep.json` of a sweep folder. */
export function readSweep(sweepDir: string): SweepFile {
  const file = path.join(sweepDir, SWEEP_JSON);
  if (!fs.existsSync(file)) throw new Error(`${sweepDir} is not a sweep folder (no sweep.json). Create it with runSweep / gaf-lab sweep SWEEP_CONFIG.`);
  return readJson<SweepFile>(file);
}

/** What a lock file holds. */
export interface LockInfo {
  runId: string;
  pid: number;
  hostname: string;
  startedAt: string;
}

/** One line of `claims.jsonl`. */
export interface ClaimRecord {
  event: 'claim' | 'takeover' | 'release';
  runId: string;
  pid: number;
  hostname: string;
  at: string;
  /** takeover: the dead holder; release: how the run stood. */
  previousPid?: number;
  status?: RunStatus;
}

const lockFile = (sweepDir: string, runId: string): string => path.join(sweepDir, 'locks', `${runId}.lock`);

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return typeof v.pid === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

function createLock(file: string, runId: string): LockInfo | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw e;
  }
  const info: LockInfo = { runId, pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
  try {
    fs.writeFileSync(fd, JSON.stringify(info));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return info;
}

/** A lock whose holder is certainly gone: same host and dead pid, or unreadable and older than a minute. */
function isStale(file: string, info: LockInfo | undefined): boolean {
  if (info) return info.hostname === os.hostname() && !processAlive(info.pid);
  try {
    return Date.now() - fs.statSync(file).mtimeMs > 60_000;
  } catch {
    return false;
  }
}

/**
 * Claims a run for this process. Returns the lock info, or undefined when another live
 * process holds it. A stale lock (its process is dead on this host) is taken over under a
 * second exclusive lock (`.takeover`), so that two workers cannot both take it over.
 */
export function claimRun(sweepDir: string, runId: string): LockInfo | undefined {
  const file = lockFile(sweepDir, runId);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const mine = createLock(file, runId);
  if (mine) return mine;
  const holder = readLock(file);
  if (!isStale(file, holder)) return undefined;
  const guard = `${file}.takeover`;
  const guardInfo = createLock(guard, runId);
  if (!guardInfo) {
    // A takeover in progress, or one whose process died: clear the latter for the next try.
    if (isStale(guard, readLock(guard))) fs.rmSync(guard, { force: true });
    return undefined;
  }
  try {
    const now = readLock(file);
    // Someone else may have replaced the stale lock since we read it.
    if (now?.pid !== holder?.pid || now?.startedAt !== holder?.startedAt) return undefined;
    fs.rmSync(file, { force: true });
    const taken = createLock(file, runId);
    if (taken) logClaim(sweepDir, { event: 'takeover', runId, previousPid: holder?.pid });
    return taken;
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** Releases a run claimed by this process. */
export function releaseRun(sweepDir: string, runId: string, status?: RunStatus): void {
  const file = lockFile(sweepDir, runId);
  const holder = readLock(file);
  if (holder && holder.pid !== process.pid) throw new Error(`releaseRun: ${runId} is held by process ${holder.pid}, not by this one (${process.pid}).`);
  if (status !== undefined) logClaim(sweepDir, { event: 'release', runId, status });
  fs.rmSync(file, { force: true });
}

function logClaim(sweepDir: string, r: Omit<ClaimRecord, 'pid' | 'hostname' | 'at'>): void {
  appendJsonLine(path.join(sweepDir, 'claims.jsonl'), { ...r, pid: process.pid, hostname: os.hostname(), at: new Date().toISOString() });
}

/** The records of `claims.jsonl`. */
export function readClaims(sweepDir: string): ClaimRecord[] {
  return readJsonLines<ClaimRecord>(path.join(sweepDir, 'claims.jsonl'));
}

function statusOf(runDir: string): RunStatus | undefined {
  return fs.existsSync(path.join(runDir, RUN_FILES.manifest)) ? readManifest(runDir).status : undefined;
}

/** Options of {@link runSweepWorker}. */
export interface SweepWorkerOptions {
  onProgress?: (e: ProgressEvent) => void;
  /** Stops after the step in flight; the run is left interrupted and released. */
  signal?: AbortSignal;
  /** Train runs whose status is `failed` again (default false: a failure is reported, not retried). */
  retryFailed?: boolean;
}

/** What one worker did. */
export interface SweepWorkerReport {
  /** Runs this worker trained (or resumed), with their outcome. */
  trained: RunResult[];
  /** Runs that had ended before (completed, diverged, or failed without retryFailed). */
  alreadyDone: string[];
  /** Runs held by other live workers when this one looked. */
  busy: string[];
  interrupted: boolean;
}

/**
 * One worker of a sweep: goes through the runs in order, claims each that is not done, trains
 * or resumes it, and releases it. Any number of workers (processes) can share a folder. Ends
 * when no run is left to claim; runs held by other workers are left to them.
 */
export async function runSweepWorker(sweepDir: string, options: SweepWorkerOptions = {}): Promise<SweepWorkerReport> {
  const dir = path.resolve(sweepDir);
  const sweep = readSweep(dir);
  const report: SweepWorkerReport = { trained: [], alreadyDone: [], busy: [], interrupted: false };
  const terminal = (s: RunStatus | undefined): boolean => s === 'completed' || s === 'diverged' || (s === 'failed' && !options.retryFailed);
  for (const { runId, config } of sweep.runs) {
    if (options.signal?.aborted) {
      report.interrupted = true;
      break;
    }
    const runDir = path.join(dir, runId);
    if (terminal(statusOf(runDir))) {
      report.alreadyDone.push(runId);
      continue;
    }
    if (!claimRun(dir, runId)) {
      report.busy.push(runId);
      continue;
    }
    // Set once the claim is logged, so that the release line records how the run stood.
    let outcome: RunStatus | undefined;
    try {
      // Re-read under the lock: another worker may have finished it since we looked.
      const status = statusOf(runDir);
      if (terminal(status)) {
        report.alreadyDone.push(runId);
        continue;
      }
      logClaim(dir, { event: 'claim', runId });
      outcome = 'failed';
      const result = await trainClaimed(dir, runId, config, status !== undefined, options);
      outcome = result.status;
      report.trained.push(result);
      if (result.status === 'interrupted') report.interrupted = true;
    } finally {
      releaseRun(dir, runId, outcome);
    }
    if (report.interrupted) break;
  }
  return report;
}

/** Trains (or resumes) a claimed run; any error becomes a `failed` result, so the worker goes on. */
async function trainClaimed(dir: string, runId: string, configFile: string, exists: boolean, options: SweepWorkerOptions): Promise<RunResult> {
  const runDir = path.join(dir, runId);
  const runOptions = { onProgress: options.onProgress, signal: options.signal };
  try {
    // The run lands in this sweep folder even if the folder was moved since it was created.
    const runConfig = { ...readJson<ResolvedConfig>(path.join(dir, configFile)), outDir: dir };
    const nowId = runIdOf(resolveConfig(runConfig));
    if (nowId !== runId) {
      throw new Error(
        `${configFile} now resolves to run id ${nowId}, not ${runId} (gaf-lab's config defaults changed since the sweep was created); ` +
          'create the sweep again in a new folder.',
      );
    }
    return exists ? await resumeRun(runDir, runOptions) : await runExperiment(runConfig, runOptions);
  } catch (e) {
    const epochsDone = statusOf(runDir) ? readManifest(runDir).epochsDone : 0;
    return { runId, runDir, status: 'failed', epochsDone, message: (e as Error).message, startEpoch: 0, alreadyDone: false };
  }
}

/** Status of every run of a sweep (`pending` when its folder does not exist yet). */
export function sweepStatus(sweepDir: string): { runId: string; status: RunStatus | 'pending'; epochsDone: number }[] {
  const dir = path.resolve(sweepDir);
  return readSweep(dir).runs.map(({ runId }) => {
    const runDir = path.join(dir, runId);
    if (!fs.existsSync(path.join(runDir, RUN_FILES.manifest))) return { runId, status: 'pending' as const, epochsDone: 0 };
    const m = readManifest(runDir);
    return { runId, status: m.status, epochsDone: m.epochsDone };
  });
}

/** Options of {@link runSweep}. */
export interface SweepOptions extends SweepWorkerOptions {
  /** Worker processes (default 1: the runs are trained in this process). */
  workers?: number;
  /** Extra environment for worker processes. */
  env?: NodeJS.ProcessEnv;
  /**
   * Drop the worker processes' stdout (their per-epoch lines), e.g. in a notebook, where it
   * would not reach the cell anyway and floods the kernel's log; stderr still passes. Default false.
   */
  quietWorkers?: boolean;
}

/** Path of the worker script next to this module (`node sweep-worker.js SWEEP_DIR`). */
export const SWEEP_WORKER_SCRIPT = path.join(__dirname, 'sweep-worker.js');

/**
 * Runs a sweep: prepares the folder, then trains its runs with `workers` processes (each runs
 * {@link runSweepWorker}; with 1 worker, in this process). Returns every run's status at the end.
 */
export async function runSweep(
  config: unknown,
  options: SweepOptions = {},
): Promise<{
  sweepDir: string;
  runs: ReturnType<typeof sweepStatus>;
  workerExitCodes: (number | null)[];
  /** With 1 worker (in this process): what it did, including why runs failed before their folder existed. */
  report?: SweepWorkerReport;
}> {
  const { sweepDir } = prepareSweep(config);
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`runSweep: workers must be an integer >= 1, got ${String(workers)}.`);
  if (workers === 1) {
    const report = await runSweepWorker(sweepDir, options);
    return { sweepDir, runs: sweepStatus(sweepDir), workerExitCodes: [], report };
  }
  // Ctrl-C reaches the workers through the process group; this process waits for them.
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  try {
    const codes = await Promise.all(
      Array.from({ length: workers }, (_, i) =>
        new Promise<number | null>((resolve, reject) => {
          const child = spawn(process.execPath, [SWEEP_WORKER_SCRIPT, sweepDir], {
            stdio: ['ignore', options.quietWorkers ? 'ignore' : 'inherit', 'inherit'],
            env: { ...process.env, ...options.env, GAF_SWEEP_WORKER: String(i + 1) },
          });
          child.on('error', reject);
          child.on('exit', (code) => resolve(code));
        }),
      ),
    );
    return { sweepDir, runs: sweepStatus(sweepDir), workerExitCodes: codes };
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', ignore);
  }
}

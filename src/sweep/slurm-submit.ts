/**
 * Submitting a sweep to Slurm: prepares the sweep folder as a local sweep does, writes
 * `<sweep>/slurm/sweep.sbatch` (slurm-script.ts) for the runs that have not ended, submits it
 * with `sbatch --parsable` and records the job id in `<sweep>/slurm/jobs.jsonl`. Runs that
 * have ended get no task, so submitting the same sweep again continues it.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendJsonLine, readJsonLines, writeFileAtomic } from '../run-format/index';
import { prepareSweep, readSweep, sweepStatus } from './folder';
import { slurmCommand } from './slurm-commands';
import { SLURM_FILES, slurmScript, type SlurmOptions } from './slurm-script';

/** Options of {@link submitSweepToSlurm}. */
export interface SubmitSweepOptions extends SlurmOptions {
  /** Write the folder and the script, but do not call sbatch (default false). */
  dryRun?: boolean;
  /** The node binary the tasks run (default: this process's). */
  node?: string;
  /** gaf-lab's CLI script (default: `cli/main.js` of this build). */
  cli?: string;
  /** The folder tasks run in (default: the current folder). */
  workDir?: string;
  /** Environment for sbatch (default: this process's; Slurm passes it on to the tasks). */
  env?: NodeJS.ProcessEnv;
}

/** One line of `slurm/jobs.jsonl`. */
export type SlurmJobRecord =
  { event: 'submit'; jobId: string; tasks: number[]; at: string } | { event: 'cancel'; jobIds: string[]; at: string };

/** What {@link submitSweepToSlurm} did. */
export interface SlurmSubmission {
  sweepDir: string;
  /** The batch script (absolute path) and its text. */
  script: string;
  scriptText: string;
  /** The sbatch command line (run, or to run after a dry run). */
  command: string[];
  /** Task indices submitted (runs that had not ended). */
  tasks: number[];
  /** The array job's id; undefined for a dry run or when every run had ended. */
  jobId?: string;
  /** Notes for the user (e.g. GPUs asked for while the runs want the wasm backend). */
  warnings: string[];
}

/** The CLI script of this build, which the tasks run. */
export function defaultCliScript(): string {
  return path.resolve(__dirname, '..', 'cli', 'main.js');
}

/**
 * Prepares the sweep folder of `config` (object or file), writes its batch script and, unless
 * `dryRun`, submits it. Throws on bad options (naming them), on a sweep config error, and when
 * sbatch fails (with its message).
 */
export function submitSweepToSlurm(config: unknown, options: SubmitSweepOptions = {}): SlurmSubmission {
  const cli = path.resolve(options.cli ?? defaultCliScript());
  if (!fs.existsSync(cli)) throw new Error(`gaf-lab's CLI script ${cli} does not exist: build it first (npm run build).`);
  const { sweepDir, runs } = prepareSweep(config);
  const status = new Map(sweepStatus(sweepDir).map((r) => [r.runId, r.status]));
  const tasks = runs.map((r, i) => ({ i, s: status.get(r.runId) })).filter(({ s }) => s !== 'completed' && s !== 'diverged');
  const indices = tasks.map((t) => t.i);
  const warnings: string[] = [];
  if (options.gpus !== undefined) {
    const cpuOnly = [...new Set(runs.map((r) => r.config.backend).filter((b) => b === 'wasm' || b === 'cpu'))];
    if (cpuOnly.length)
      warnings.push(
        `--gpus ${options.gpus}: the runs ask for the ${cpuOnly.join('/')} backend, so they will not use the GPU; set base.backend to "auto" (or "tensorflow"/"webgpu") in the sweep config.`,
      );
  }
  const script = path.join(sweepDir, SLURM_FILES.script);
  const name = readSweep(sweepDir).name;
  const jobName = options.jobName ?? `gaf-${(name ?? path.basename(sweepDir)).replace(/[^A-Za-z0-9_.-]+/g, '-')}`;
  const command = ['sbatch', '--parsable', script];
  if (indices.length === 0) {
    return { sweepDir, script, scriptText: '', command, tasks: [], warnings: [...warnings, 'every run has ended: nothing to submit.'] };
  }
  const scriptText = slurmScript(
    indices,
    { ...options, jobName },
    { sweepDir, node: options.node ?? process.execPath, cli, workDir: path.resolve(options.workDir ?? process.cwd()) },
  );
  fs.mkdirSync(path.join(sweepDir, SLURM_FILES.logs), { recursive: true });
  writeFileAtomic(script, scriptText);
  const result: SlurmSubmission = { sweepDir, script, scriptText, command, tasks: indices, warnings };
  if (options.dryRun) return result;
  const out = slurmCommand(command[0]!, command.slice(1), options.env).trim();
  // --parsable prints "jobid" or "jobid;cluster".
  const jobId = out.split(';')[0]!.trim();
  if (!/^\d+$/.test(jobId)) throw new Error(`${command.join(' ')} printed "${out}", not a job id.`);
  appendJsonLine(path.join(sweepDir, SLURM_FILES.jobs), { event: 'submit', jobId, tasks: indices, at: new Date().toISOString() });
  return { ...result, jobId };
}

/** The records of `slurm/jobs.jsonl` (empty when the sweep was never submitted). */
export function readSlurmJobs(sweepDir: string): SlurmJobRecord[] {
  return readJsonLines<SlurmJobRecord>(path.join(path.resolve(sweepDir), SLURM_FILES.jobs));
}

/** For each task index, the array job of its latest submission. */
export function latestJobOfTask(jobs: readonly SlurmJobRecord[]): Map<number, string> {
  const m = new Map<number, string>();
  for (const j of jobs) if (j.event === 'submit') for (const t of j.tasks) m.set(t, j.jobId);
  return m;
}

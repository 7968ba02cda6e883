/**
 * The Slurm side of `gaf-lab sweep`: `--slurm` (submit a sweep as a job array), `sweep status`
 * (every run with its task's state), `sweep cancel`, and `sweep task` (what each array task
 * runs). docs/cluster.md describes the workflow.
 * @module
 */
import * as path from 'node:path';
import { ConfigError } from '../config/index';
import { readManifest } from '../run-format/index';
import {
  cancelSlurmSweep,
  DEFAULT_SIGNAL_LEAD_S,
  readSweep,
  runSweepTask,
  slurmSweepStatus,
  submitSweepToSlurm,
  type SlurmRunRow,
  type SlurmSweepStatus,
} from '../sweep/index';
import { progressPrinter } from '../train/progress';
import { InputError, intOption, parseCommandLine, UsageError } from './args';
import { shellQuote } from '../sweep/slurm-script';
import { configInputError, readConfigArg } from './train';

/** The options that go with `--slurm`. */
export const SLURM_OPTIONS = {
  partition: 'string',
  time: 'string',
  'cpus-per-task': 'string',
  gpus: 'string',
  mem: 'string',
  'max-parallel': 'string',
  account: 'string',
  'signal-lead': 'string',
  'dry-run': 'boolean',
} as const;

export const SWEEP_SLURM_USAGE = `gaf-lab sweep SWEEP_CONFIG --slurm [--partition P] [--time HH:MM:SS] [--cpus-per-task N]
      [--gpus N] [--mem M] [--max-parallel K] [--account A] [--signal-lead S] [--dry-run]
gaf-lab sweep status SWEEP_DIR
gaf-lab sweep cancel SWEEP_DIR

On a Slurm cluster (docs/cluster.md), --slurm expands the sweep into its folder as above,
writes SWEEP_DIR/slurm/sweep.sbatch, a job array with one task per run that has not ended
(logs in SWEEP_DIR/slurm/logs/), and submits it with sbatch --parsable. Each task trains its
run, resuming from the run's checkpoint; runs that have ended are skipped, so submitting the
same sweep again is safe. S seconds (default ${DEFAULT_SIGNAL_LEAD_S}) before the time limit, or on
preemption, Slurm's USR1 stops the run after its current step and the task requeues itself
to resume. --dry-run writes the folder and the script and prints them and the sbatch command
without submitting. The sweep folder must be on a filesystem every node shares.

status prints every run: the task's state (from sacct, else squeue and the sweep's own task
records, said which), the run's status and epochs, and the log of each failed task.
cancel cancels the sweep's array jobs (running runs stop after their current step).

gaf-lab sweep task SWEEP_DIR [INDEX] trains run INDEX (default $SLURM_ARRAY_TASK_ID): what
each array task runs. exit code 0 ended or skipped, 1 failed, 130 stopped`;

type SlurmValues = { [K in keyof typeof SLURM_OPTIONS]?: (typeof SLURM_OPTIONS)[K] extends 'boolean' ? true : string };

/** `gaf-lab sweep SWEEP_CONFIG --slurm ...` */
export function sweepSlurmSubmit(configFile: string, v: SlurmValues): number {
  const int = (name: keyof typeof SLURM_OPTIONS): number | undefined => {
    const raw = v[name];
    return typeof raw === 'string' ? intOption(raw, name, 0) : undefined;
  };
  const config = readConfigArg(configFile, 'sweep config');
  let sub: ReturnType<typeof submitSweepToSlurm>;
  try {
    sub = submitSweepToSlurm(config, {
      partition: v.partition,
      time: v.time,
      cpusPerTask: int('cpus-per-task'),
      gpus: int('gpus'),
      mem: v.mem,
      maxParallel: int('max-parallel'),
      account: v.account,
      signalLeadSeconds: int('signal-lead'),
      dryRun: v['dry-run'] === true,
    });
  } catch (e) {
    if (e instanceof ConfigError) throw configInputError(e, configFile, 'sweep');
    if (e instanceof Error && /^--|^time limit/.test(e.message)) throw new UsageError(e.message);
    throw e;
  }
  for (const w of sub.warnings) console.error(`gaf-lab sweep: ${w}`);
  if (sub.tasks.length === 0) return 0;
  const cmd = sub.command.map(shellQuote).join(' ');
  if (v['dry-run']) {
    console.log(`${sub.scriptText}\n# dry run: nothing submitted. To submit:\n${cmd}`);
    return 0;
  }
  console.log(
    `gaf-lab sweep: submitted ${sub.script} as job ${sub.jobId} (${sub.tasks.length} task(s) of ${readSweep(sub.sweepDir).runs.length} runs; ${cmd})`,
  );
  console.log(`watch it with: gaf-lab sweep status ${shellQuote(sub.sweepDir)}`);
  return 0;
}

const pct = (v: number | null | undefined): string => (typeof v === 'number' ? `${(100 * v).toFixed(2)}%` : '–');

/** The status table: one line per run (see {@link SWEEP_SLURM_USAGE}). */
export function formatSlurmStatus(s: SlurmSweepStatus): string {
  const submitted = s.source !== 'not submitted';
  const top1 = (r: SlurmRunRow): string =>
    r.status === 'pending' ? '–' : pct(readManifest(path.join(s.sweepDir, r.runId)).final?.testTop1 ?? null);
  const bad = (r: SlurmRunRow): boolean =>
    r.state !== undefined && !['PENDING', 'RUNNING', 'COMPLETED', 'REQUEUED', 'COMPLETING', 'CONFIGURING'].includes(r.state);
  const header = [
    '#',
    ...(submitted ? ['task', 'slurm'] : []),
    'run status',
    'epochs',
    'test top-1',
    'run',
    ...(submitted ? ['log / note'] : []),
  ];
  const rows = s.rows.map((r) => [
    String(r.index),
    ...(submitted ? [r.task ?? '–', r.state ?? '–'] : []),
    r.status,
    `${r.epochsDone}/${Number.isFinite(r.epochs) ? r.epochs : '?'}`,
    top1(r),
    r.runId,
    ...(submitted ? [[bad(r) ? r.log : undefined, r.note].filter(Boolean).join('  ')] : []),
  ]);
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: string[]): string =>
    c
      .map((x, i) => (i === c.length - 1 ? x : x.padEnd(w[i]!)))
      .join('  ')
      .trimEnd();
  const count = (key: (r: SlurmRunRow) => string | undefined): string => {
    const m = new Map<string, number>();
    for (const r of s.rows) {
      const k = key(r);
      if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
    }
    return [...m].map(([k, n]) => `${n} ${k}`).join(', ');
  };
  const head = [`sweep ${s.sweepDir}: ${s.rows.length} runs (${count((r) => r.status)})`];
  if (submitted) head.push(`Slurm job(s) ${s.jobIds.join(', ')}: tasks ${count((r) => r.state)}; ${s.sourceNote}`);
  else head.push('not submitted to Slurm');
  return [...head, line(header), ...s.rows.map((_, i) => line(rows[i]!))].join('\n');
}

function sweepDirArg(argv: string[], what: string): string {
  const args = parseCommandLine(argv, {}, { min: 1, max: 1, what: `the sweep folder (gaf-lab sweep ${what} SWEEP_DIR)` });
  const dir = args.positional[0]!;
  try {
    readSweep(dir);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  return dir;
}

/** `gaf-lab sweep status SWEEP_DIR` */
export function sweepStatusCommand(argv: string[]): number {
  const dir = sweepDirArg(argv, 'status');
  console.log(formatSlurmStatus(slurmSweepStatus(dir)));
  return 0;
}

/** `gaf-lab sweep cancel SWEEP_DIR` */
export function sweepCancelCommand(argv: string[]): number {
  const dir = sweepDirArg(argv, 'cancel');
  const ids = cancelSlurmSweep(dir);
  if (ids.length === 0) {
    console.error(`gaf-lab sweep: ${dir} was never submitted to Slurm (no ${path.join(dir, 'slurm', 'jobs.jsonl')}); nothing to cancel.`);
    return 1;
  }
  console.log(`gaf-lab sweep: cancelled Slurm job(s) ${ids.join(', ')}; running runs stop after their current step.`);
  console.log(`To continue later, submit the same sweep again: gaf-lab sweep SWEEP_CONFIG --slurm ...`);
  return 0;
}

/** `gaf-lab sweep task SWEEP_DIR [INDEX]` */
export async function sweepTaskCommand(argv: string[]): Promise<number> {
  const args = parseCommandLine(
    argv,
    {},
    { min: 1, max: 2, what: 'the sweep folder and the run index (gaf-lab sweep task SWEEP_DIR [INDEX])' },
  );
  const dir = args.positional[0]!;
  const raw = args.positional[1] ?? process.env['SLURM_ARRAY_TASK_ID'];
  if (raw === undefined) throw new UsageError('give the run index, or run this as a Slurm array task (SLURM_ARRAY_TASK_ID).');
  const index = intOption(raw, 'index', 0, 0);
  try {
    readSweep(dir);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const out = await runSweepTask(dir, index, {
      onProgress: progressPrinter({ tty: false }),
      signal: controller.signal,
      onBusy: (h) =>
        console.log(
          `gaf-lab sweep task: run ${index} is held by pid ${h.pid} on host ${h.hostname} (last heartbeat ${h.heartbeatAt}); waiting until it ends or its lock is free or stale`,
        ),
    });
    if (out.action === 'skipped') {
      console.log(`gaf-lab sweep task: run ${index} (${out.runId}) has ended (${out.status}); nothing to do.`);
      return 0;
    }
    if (out.action === 'stopped-waiting') {
      console.log(`gaf-lab sweep task: stopped while waiting for run ${index} (${out.runId}).`);
      return 130;
    }
    const r = out.result;
    const msg = r.message ? `: ${r.message}` : '';
    console.log(`gaf-lab sweep task: run ${index} (${r.runId}) ${r.status} after ${r.epochsDone} epoch(s)${msg}`);
    if (r.status === 'failed') console.error(`gaf-lab sweep task: run ${r.runId} failed${msg}`);
    return r.status === 'failed' ? 1 : r.status === 'interrupted' ? 130 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

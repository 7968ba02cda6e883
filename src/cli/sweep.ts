import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config/index';
import { readManifest } from '../run-format/index';
import { progressPrinter } from '../train/progress';
import { readSweep, runSweep, runSweepWorker, sweepStatus, unfinishedRuns, type UnfinishedRun, type WorkerExit } from '../sweep/index';
import { checkPositionals, intOption, parseCommandLine, UsageError } from './args';
import {
  SLURM_OPTIONS,
  SWEEP_SLURM_USAGE,
  sweepCancelCommand,
  sweepSlurmSubmit,
  sweepStatusCommand,
  sweepTaskCommand,
} from './sweep-slurm';
import { configInputError, readConfigArg } from './train';

export const SWEEP_USAGE = `gaf-lab sweep SWEEP_CONFIG [--workers N]
gaf-lab sweep --join SWEEP_DIR
${SWEEP_SLURM_USAGE.split('\n\n')[0]}

The first form expands the sweep config (a base experiment config and a grid; see
src/sweep/grid.ts) into the folder of its outDir and trains every run with N worker
processes (default 1). Completed runs are skipped and interrupted ones resumed, so the same
command continues a sweep.

--join adds one more worker (this process) to an existing sweep folder: for external
schedulers, or other machines sharing the folder's filesystem. Workers claim runs with the
run folders' locks (the ones gaf-lab train and resume take), so no run is trained twice.

A worker process that dies (killed, crashed) is replaced, and its run is taken over and
resumed from its last checkpoint. If this command itself is stopped or killed, its workers
stop after their current step; running it again continues the sweep.

Both print the status of every run at the end, and list the runs that are not done with how
to continue.

exit code: 0 every run of the sweep completed or diverged (with --join: or is being trained by
           another live process), 1 a run failed or is not done, 2 bad command line or invalid
           sweep config, 130 interrupted

${SWEEP_SLURM_USAGE.split('\n\n').slice(1).join('\n\n')}`;

const pct = (v: number | null | undefined): string => (typeof v === 'number' ? `${(100 * v).toFixed(2)}%` : '–');

/** One line per run: status, epochs, final test top-1 and the run id. */
export function formatSweepStatus(sweepDir: string): string {
  const runs = sweepStatus(sweepDir);
  const rows = runs.map((r) => {
    let top1 = '–';
    if (r.status !== 'pending') {
      const m = readManifest(path.join(sweepDir, r.runId));
      top1 = pct(m.final?.testTop1 ?? null);
    }
    return [r.status, String(r.epochsDone), top1, r.runId];
  });
  const header = ['status', 'epochs', 'test top-1', 'run'];
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(w[i]!))).join('  ');
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const total = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  return [`sweep ${sweepDir}: ${runs.length} runs (${total})`, line(header), ...rows.map(line)].join('\n');
}

/** One line per worker process that died: the run it held, how it ended, who took over. */
export function formatWorkerDeaths(exits: WorkerExit[]): string[] {
  return exits
    .filter((e) => e.died)
    .map((e) => {
      const how = e.signal ? `was killed by ${e.signal} (no exit code)` : `exited with code ${e.code}`;
      const held = e.heldRuns.length ? ` while training ${e.heldRuns.join(', ')}` : ' holding no run';
      const next =
        e.replacedBy !== undefined ? `; worker ${e.replacedBy} was started in its place` : '; no worker was started in its place';
      return `gaf-lab sweep: worker ${e.worker} (pid ${e.pid}) ${how}${held}${next}.`;
    });
}

/** The runs that are not done, each with what holds it up, and how to continue. */
export function formatUnfinished(sweepDir: string, runs: UnfinishedRun[], continueWith: string): string[] {
  if (!runs.length) return [];
  const total = sweepStatus(sweepDir).length;
  const lines = [`gaf-lab sweep: ${runs.length} of ${total} run(s) not done:`];
  for (const r of runs) {
    const holder = r.holder
      ? `, being trained by pid ${r.holder.pid} on host ${r.holder.hostname} since ${r.holder.startedAt}`
      : r.status === 'running'
        ? ' (no process trains it: the one that did has died)'
        : '';
    lines.push(`  ${r.runId}: ${r.status}, ${r.epochsDone} epoch(s) done${holder}${r.message ? `: ${r.message}` : ''}`);
  }
  if (runs.some((r) => r.status === 'failed' && !r.holder)) {
    lines.push(
      `A failed run is not retried by the sweep: fix what its message says, then gaf-lab resume ${path.join(sweepDir, 'RUN_ID')}.`,
    );
  }
  if (runs.some((r) => r.holder)) lines.push('A run being trained by another process is finished by that process.');
  if (runs.some((r) => r.status !== 'failed' && !r.holder)) lines.push(`To continue: ${continueWith}`);
  return lines;
}

/**
 * Exit code from the runs: 1 when a run failed, else 130 when the command was stopped, else 1
 * when a run is not done (for a joining worker, one that no other live process trains), else 0.
 */
function exitCode(runs: UnfinishedRun[], interrupted: boolean, joining: boolean): number {
  if (runs.some((r) => r.status === 'failed' && !r.holder)) return 1;
  if (interrupted) return 130;
  return runs.some((r) => !(joining && r.holder)) ? 1 : 0;
}

/** `gaf-lab sweep SWEEP_CONFIG [--workers N]` and `gaf-lab sweep --join SWEEP_DIR`. */
export async function sweepCommand(argv: string[]): Promise<number> {
  const sub = argv[0];
  if (sub === 'status') return sweepStatusCommand(argv.slice(1));
  if (sub === 'cancel') return sweepCancelCommand(argv.slice(1));
  if (sub === 'task') return sweepTaskCommand(argv.slice(1));
  const args = parseCommandLine(argv, { workers: 'string', join: 'string', slurm: 'boolean', ...SLURM_OPTIONS });
  if (args.values.slurm) {
    if (args.values.workers !== undefined || args.values.join !== undefined)
      throw new UsageError('--slurm does not go with --workers or --join: Slurm runs one task per run.');
    checkPositionals(args.positional, { min: 1, max: 1, what: 'the sweep config file (gaf-lab sweep SWEEP_CONFIG --slurm)' });
    return sweepSlurmSubmit(args.positional[0]!, args.values);
  }
  const given = Object.keys(SLURM_OPTIONS).find((k) => (args.values as Record<string, unknown>)[k] !== undefined);
  if (given !== undefined) throw new UsageError(`--${given} goes with --slurm (gaf-lab sweep SWEEP_CONFIG --slurm --${given} ...).`);
  const dir = args.values.join;
  if (dir !== undefined) {
    if (args.values.workers !== undefined) throw new UsageError('--workers does not go with --join: a joining process is one worker.');
    checkPositionals(args.positional, { min: 0, max: 0, what: 'nothing besides --join SWEEP_DIR' });
    if (!fs.existsSync(path.join(dir, 'sweep.json'))) {
      throw new UsageError(`${dir} is not a sweep folder (no sweep.json). Create it first with gaf-lab sweep SWEEP_CONFIG.`);
    }
    readSweep(dir);
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      const report = await runSweepWorker(dir, {
        onProgress: progressPrinter({ prefix: `[worker ${process.pid}] `, tty: false }),
        signal: controller.signal,
      });
      console.log(
        `\nthis worker trained ${report.trained.length} run(s); ${report.alreadyDone.length} had ended; ${report.busy.length} held by other workers`,
      );
      for (const f of report.trained.filter((r) => r.status === 'failed')) console.error(`run ${f.runId} failed: ${f.message}`);
      const sweepDir = path.resolve(dir);
      console.log(`\n${formatSweepStatus(sweepDir)}`);
      const left = unfinishedRuns(sweepDir);
      for (const l of formatUnfinished(sweepDir, left, `gaf-lab sweep --join ${dir}`)) console.error(l);
      return report.trained.some((r) => r.status === 'failed') ? 1 : exitCode(left, report.interrupted, true);
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }
  checkPositionals(args.positional, { min: 1, max: 1, what: 'the sweep config file (gaf-lab sweep SWEEP_CONFIG), or --join SWEEP_DIR' });
  const workers = intOption(args.values.workers, 'workers', 1);
  const config = readConfigArg(args.positional[0]!, 'sweep config');
  let result: Awaited<ReturnType<typeof runSweep>>;
  try {
    const onProgress = progressPrinter({ tty: workers === 1 ? undefined : false });
    result = await runSweep(config, { workers, onProgress });
  } catch (e) {
    if (e instanceof ConfigError) throw configInputError(e, args.positional[0]!, 'sweep');
    throw e;
  }
  for (const l of formatWorkerDeaths(result.workerExits)) console.error(l);
  console.log(`\n${formatSweepStatus(result.sweepDir)}`);
  const left = unfinishedRuns(result.sweepDir);
  const again = `gaf-lab sweep ${args.positional[0]!}${workers > 1 ? ` --workers ${workers}` : ''} (or gaf-lab sweep --join ${result.sweepDir} from more processes)`;
  for (const l of formatUnfinished(result.sweepDir, left, again)) console.error(l);
  const failedHere = (result.report?.trained ?? []).filter((r) => r.status === 'failed');
  for (const f of failedHere)
    if (!left.some((r) => r.runId === f.runId && r.status === 'failed'))
      console.error(`gaf-lab sweep: run ${f.runId} failed: ${f.message}`);
  return failedHere.length ? 1 : exitCode(left, result.interrupted, false);
}

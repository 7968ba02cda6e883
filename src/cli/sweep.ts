import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config/index';
import { readManifest } from '../run-format/index';
import { progressPrinter } from '../train/progress';
import { readSweep, runSweep, runSweepWorker, sweepStatus } from '../sweep/index';
import { checkPositionals, intOption, parseCommandLine, UsageError } from './args';
import { configInputError, readConfigArg } from './train';

export const SWEEP_USAGE = `gaf-lab sweep SWEEP_CONFIG [--workers N]
gaf-lab sweep --join SWEEP_DIR

The first form expands the sweep config (a base experiment config and a grid; see
src/sweep/grid.ts) into the folder of its outDir and trains every run with N worker
processes (default 1). Completed runs are skipped and interrupted ones resumed, so the same
command continues a sweep.

--join adds one more worker (this process) to an existing sweep folder: for external
schedulers, or other machines sharing the folder's filesystem. Workers claim runs with lock
files, so no run is trained twice.

Both print the status of every run at the end.

exit code: 0 every run this command waited for completed or diverged, 1 a run failed,
           2 bad command line or invalid sweep config, 130 interrupted`;

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

/** Exit code from the runs' statuses: a failed run is 1, an interrupted or pending one (when all were waited for) 130. */
function exitCode(sweepDir: string, waitedForAll: boolean, interrupted: boolean): number {
  const runs = sweepStatus(sweepDir);
  if (runs.some((r) => r.status === 'failed')) return 1;
  if (interrupted) return 130;
  if (waitedForAll && runs.some((r) => r.status === 'interrupted' || r.status === 'pending')) return 130;
  return 0;
}

/** `gaf-lab sweep SWEEP_CONFIG [--workers N]` and `gaf-lab sweep --join SWEEP_DIR`. */
export async function sweepCommand(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv, { workers: 'string', join: 'string' });
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
      const report = await runSweepWorker(dir, { onProgress: progressPrinter({ prefix: `[worker ${process.pid}] `, tty: false }), signal: controller.signal });
      console.log(`\nthis worker trained ${report.trained.length} run(s); ${report.alreadyDone.length} had ended; ${report.busy.length} held by other workers`);
      for (const f of report.trained.filter((r) => r.status === 'failed')) console.error(`run ${f.runId} failed: ${f.message}`);
      console.log(`\n${formatSweepStatus(path.resolve(dir))}`);
      return report.trained.some((r) => r.status === 'failed') ? 1 : report.interrupted ? 130 : 0;
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
  const bad = result.workerExitCodes.filter((c) => c !== 0 && c !== 130);
  if (bad.length) console.error(`gaf-lab sweep: ${bad.length} worker process(es) exited with an error (codes ${bad.join(', ')}).`);
  console.log(`\n${formatSweepStatus(result.sweepDir)}`);
  const interrupted = result.workerExitCodes.some((c) => c === 130);
  const code = exitCode(result.sweepDir, true, interrupted);
  return code === 0 && bad.length ? 1 : code;
}

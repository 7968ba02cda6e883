#!/usr/bin/env node
/**
 * The main job (`npm run main`): the reduced-scale version of the paper's figure set on the
 * embedded Fashion-MNIST data. Trains the sweep `configs/main/fashion-mnist-sweep.json`
 * (SGD vs SGD+GAF atan and tanh and their lr-matched and clip-at-bound controls, small CNN, 3
 * paired seeds each) with two worker processes into
 * `runs/main/`, then draws the figures and tables into `figures/`, and prints the accuracy
 * table and the total wall time. Running it again skips completed runs and resumes
 * interrupted ones, so an interrupted main job continues where it stopped.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../provenance/index';
import { formatDuration } from '../train/progress';
import { readConfigFile } from '../config/index';
import { runSweep, sweepStatus } from '../sweep/index';
import { regenerateFigures } from '../reports/figure-set';
import { formatResultsTables } from '../reports/results-tables';
import { intOption, parseCommandLine, UsageError } from './args';
import { formatSweepStatus } from './sweep';

export const MAIN_JOB_USAGE = `npm run main [-- [--workers N] [--runs DIR] [--out DIR] [--config FILE] [--fresh]]
(node dist/cli/main-job.js [options])

Trains the main sweep (default configs/main/fashion-mnist-sweep.json) with N worker processes
(default 2) into --runs (default runs/main), then regenerates the figure set into --out
(default figures). Completed runs are kept: running it again only redraws the figures.
--fresh deletes the runs folder first (needed after editing the sweep config).`;

async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(
    argv,
    { workers: 'string', runs: 'string', out: 'string', config: 'string', fresh: 'boolean' },
    { min: 0, max: 0, what: 'options only' },
  );
  if (args.help) {
    console.log(MAIN_JOB_USAGE);
    return 0;
  }
  const t0 = performance.now();
  const workers = intOption(args.values.workers, 'workers', 2);
  const configFile = args.values.config ?? path.join(packageRoot(), 'configs', 'main', 'fashion-mnist-sweep.json');
  const runsDir = path.resolve(args.values.runs ?? 'runs/main');
  const outDir = args.values.out ?? 'figures';
  if (!fs.existsSync(configFile)) throw new UsageError(`sweep config ${configFile} does not exist.`);
  const config = readConfigFile(configFile) as Record<string, unknown>;
  if (args.values.fresh === true) fs.rmSync(runsDir, { recursive: true, force: true });

  console.log(
    `main job: sweep ${path.relative(process.cwd(), configFile) || configFile} -> ${path.relative(process.cwd(), runsDir)}/ with ${workers} worker(s)\n`,
  );
  // Runs that ended before this invocation are not retrained; say so next to the wall time.
  const endedBefore = fs.existsSync(path.join(runsDir, 'sweep.json'))
    ? sweepStatus(runsDir).filter((r) => r.status === 'completed' || r.status === 'diverged').length
    : 0;
  let sweep: Awaited<ReturnType<typeof runSweep>>;
  try {
    sweep = await runSweep({ ...config, outDir: runsDir }, { workers });
  } catch (e) {
    if (/already holds a different sweep/.test((e as Error).message)) {
      throw new Error(
        `${(e as Error).message} The main sweep's config changed since ${runsDir} was trained: run again with --fresh to retrain it.`,
      );
    }
    throw e;
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  console.log(`\n${formatSweepStatus(sweep.sweepDir)}\n`);
  const notDone = sweep.runs.filter((r) => r.status !== 'completed' && r.status !== 'diverged');
  if (notDone.length)
    console.log(
      `warning: ${notDone.length} run(s) did not finish (${notDone.map((r) => `${r.runId}: ${r.status}`).join('; ')}); the figures use the completed ones.\n`,
    );

  const figures = await regenerateFigures({
    runsDir: path.relative(process.cwd(), runsDir) || runsDir,
    outDir,
    log: (s) => console.log(s),
  });
  for (const s of figures.skipped) console.log(`skipped ${s.figure}: ${s.reason}`);
  const total = (performance.now() - t0) / 1000;
  console.log('');
  if (figures.tables) console.log(formatResultsTables(figures.tables));
  const reused = endedBefore > 0 ? `; ${endedBefore} of ${sweep.runs.length} runs had ended before and were not retrained` : '';
  console.log(
    `\nwall time: ${formatDuration(total)} in total (${total.toFixed(1)} s: sweep ${trainSeconds.toFixed(1)} s, figures ${(total - trainSeconds).toFixed(1)} s) ` +
      `with ${workers} worker(s)${reused}`,
  );
  console.log(`figures and results.md in ${outDir}/`);
  return notDone.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`main job: ${e.message}\n\n${MAIN_JOB_USAGE}`);
      process.exit(2);
    }
    console.error(`main job: ${e instanceof Error ? (process.env['GAF_DEBUG'] ? e.stack : e.message) : String(e)}`);
    process.exit(1);
  },
);

import * as fs from 'node:fs';
import { regenerateFigures } from '../reports/figure-set';
import { parseCommandLine, UsageError } from './args';

/** Where the main job writes its runs, and so where `gaf-lab figures` looks by default. */
export const DEFAULT_RUNS_DIR = 'runs/main';

export const FIGURES_USAGE = `gaf-lab figures [--runs DIR] [--out DIR]

Regenerates the figure set into --out (default figures/): gaf-functions and gaf-conditions
(need no runs), and from the runs under --runs (default ${DEFAULT_RUNS_DIR}, where npm run main
puts them) training-curves, final-accuracy, grad-norms, results.md and results.csv. Each
figure is a PNG and an SVG with <name>.provenance.json naming the runs and the commit.
Without runs only the first two are drawn, and the command says so.`;

/** `gaf-lab figures [--runs DIR] [--out DIR]` */
export async function figuresCommand(argv: string[]): Promise<number> {
  const args = parseCommandLine(
    argv,
    { runs: 'string', out: 'string' },
    { min: 0, max: 0, what: 'no positional arguments (use --runs DIR --out DIR)' },
  );
  const given = args.values.runs;
  const runsDir = given ?? DEFAULT_RUNS_DIR;
  if (given !== undefined && !fs.existsSync(given)) throw new UsageError(`--runs ${given} does not exist.`);
  const outDir = args.values.out ?? 'figures';
  const r = await regenerateFigures({ runsDir: fs.existsSync(runsDir) ? runsDir : undefined, outDir, log: (s) => console.log(s) });
  if (!fs.existsSync(runsDir))
    console.log(`\nno runs in ${runsDir}: drew only the GAF figures. Train the main job (npm run main) or pass --runs DIR.`);
  else for (const s of r.skipped) console.log(`skipped ${s.figure}: ${s.reason}`);
  console.log(`\n${r.figures.length} figures in ${outDir}/ from ${r.runCount} runs.`);
  return 0;
}

import * as fs from 'node:fs';
import { writeArrow, writeCsv } from '../results/export';
import { describeMixedFields, mixedFields } from '../results/grouping';
import { loadRuns } from '../results/load';
import { formatValidationSelection, selectByValidation, type ValidationSelection } from '../results/select-by-validation';
import { NON_TRAINING_FIELDS } from '../results/run-config';
import { findRunDirs } from '../run-format/index';
import { DEFAULT_BY, formatResultsTables, resultsTables, tableRows } from '../reports/results-tables';
import { parseCommandLine, UsageError } from './args';

export const RESULTS_USAGE = `gaf-lab results DIR [--by COL,COL] [--metric testTop1] [--target X]
                   [--detect D] [--select-by valTop1] [--json] [--csv FILE] [--arrow FILE]

Loads every run under DIR (a sweep folder, an outDir, or one run folder) and prints the
summary across seeds: per group, the final and best value of the metric as mean ± 95%
confidence half-width (Student t) and n, with diverged and unfinished runs counted. When the
runs contain plain SGD and SGD+GAF, it also prints each GAF variant's difference from SGD
with its Welch 95% interval, matched on the --by columns that do not name the optimizer,
and the tests: the paired difference over runs that share a seed (primary when every SGD
seed has a partner, else Welch), p-values with Holm and Benjamini-Hochberg adjustments
within each group's family of comparisons, Bonferroni simultaneous intervals, and the seeds
per arm (unpaired) and seed pairs (paired) needed for 80% power at two-sided alpha 0.05.

A row holds runs that differ only in the seed and in fields that change nothing trained:
  ${Object.keys(NON_TRAINING_FIELDS).join(', ')}.
Copies of a run (same config and seed, e.g. in two folders) are named in a warning and
counted once: a completed copy before a diverged or failed one, then the newest.

  --by COL,COL   group columns; any column of the runs table, e.g.
                 optimizer.gaf.alpha,optimizer.gaf.beta. Default:
                 ${DEFAULT_BY.join(',')} and every other config field
                 that differs between the runs. A --by that would put runs differing in
                 other fields in one row is refused, naming them
  --metric M     testTop1 (default), testTop5, testLoss, trainLoss, trainTop1, ...
  --target X     also report the epochs each group needed to reach X (e.g. 0.85)
  --detect D     also give the seeds needed to detect a difference of D in the metric's
                 units (0.005 = half a point of top-1 accuracy)
  --select-by M  per-method learning rates: for a sweep with grid.learningRates and a
                 validation set (dataset.validation), keep each method at the rate with
                 the best mean final M (valTop1 or valLoss) and compare those runs, each
                 method at its own best rate; the choices are printed first
  --json         print {summary, comparison, ...} as JSON instead of the tables
  --csv FILE     write the summary table as CSV (the comparison, when there is one, to
                 FILE with .comparison.csv)
  --arrow FILE   write the full table (one row per run and epoch, config columns
                 flattened) as an Apache Arrow file, for pandas/polars/arquero`;

/** `gaf-lab results DIR ...` */
export async function resultsCommand(argv: string[]): Promise<number> {
  const args = parseCommandLine(
    argv,
    {
      by: 'string',
      metric: 'string',
      target: 'string',
      detect: 'string',
      'select-by': 'string',
      json: 'boolean',
      csv: 'string',
      arrow: 'string',
    },
    { min: 1, max: 1, what: 'the folder of runs (gaf-lab results DIR)' },
  );
  const dir = args.positional[0]!;
  if (!fs.existsSync(dir)) throw new UsageError(`${dir} does not exist.`);
  if (!fs.statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder; give the folder that holds the runs.`);
  const byText = args.values.by;
  const by = byText
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (by !== undefined && by.length === 0)
    throw new UsageError('--by needs at least one column name, e.g. --by model.name,optimizerLabel.');
  const metric = args.values.metric ?? 'testTop1';
  const targetText = args.values.target;
  const target = targetText === undefined ? undefined : Number(targetText);
  if (target !== undefined && !Number.isFinite(target))
    throw new UsageError(`--target must be a number (e.g. 0.85 for 85% top-1), got "${targetText}".`);
  const detectText = args.values.detect;
  const detect = detectText === undefined ? undefined : Number(detectText);
  if (detect !== undefined && !(Number.isFinite(detect) && detect !== 0))
    throw new UsageError(
      `--detect must be a nonzero number in the metric's units (e.g. 0.005 for half a point of top-1), got "${detectText}".`,
    );
  if (findRunDirs(dir).length === 0) {
    console.error(
      `gaf-lab results: no runs under ${dir} (no folder with a manifest.json). Train some with gaf-lab train or gaf-lab sweep.`,
    );
    return 1;
  }
  const loaded = loadRuns(dir);
  const selectBy = args.values['select-by'];
  let selection: ValidationSelection | null = null;
  if (selectBy !== undefined) {
    if (!/^val/.test(selectBy))
      throw new UsageError(`--select-by chooses on the validation set: give valTop1, valTop5 or valLoss, not "${selectBy}".`);
    try {
      selection = selectByValidation(loaded, { metric: selectBy });
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/^selectByValidation: /, '--select-by: '));
    }
  }
  const runs = selection ? selection.runs : loaded;
  const columns = runs.columnNames();
  for (const c of [...(by ?? []), metric]) {
    if (!columns.includes(c)) {
      const near = columns.filter((k) => k.toLowerCase().includes(c.toLowerCase().split('.').pop()!)).slice(0, 8);
      throw new UsageError(
        `the runs have no column "${c}".${near.length ? ` Similar: ${near.join(', ')}.` : ''} Config columns are dotted paths such as model.name, optimizer.gaf.kind; metrics: testTop1, testLoss, trainLoss, ...`,
      );
    }
  }
  if (by !== undefined) {
    const mixed = mixedFields(runs, by);
    if (mixed.length > 0) {
      const fix = [...by, ...mixed.map((f) => f.column)].join(',');
      throw new UsageError(
        `--by ${by.join(',')} would average runs that differ in more than the seed: ${describeMixedFields(mixed)}. ` +
          `Group by these fields too (--by ${fix}), or leave out --by to group by every field that differs.`,
      );
    }
  }
  const methodColumns = selection ? [selection.tuned] : undefined;
  const tables = resultsTables(runs, { by, metric, target, detect, methodColumns });
  const csv = args.values.csv;
  const arrow = args.values.arrow;
  if (csv !== undefined) {
    writeCsv(tables.summary, csv);
    if (tables.comparison) writeCsv(tables.comparison, csv.replace(/(\.csv)?$/i, '.comparison.csv'));
  }
  if (arrow !== undefined) writeArrow(runs, arrow);
  if (args.values.json === true) {
    const out = {
      dir,
      runCount: tables.runCount,
      duplicates: tables.duplicates,
      metric: tables.metric,
      by: tables.by,
      summary: tableRows(tables.summary),
      comparison: tables.comparison ? tableRows(tables.comparison) : null,
      comparisonBy: tables.comparisonBy,
      comparisonNote: tables.comparisonNote,
      selection: selection ? { metric: selection.metric, tuned: selection.tuned, choices: selection.choices } : null,
    };
    console.log(JSON.stringify(out, null, 2));
    return 0;
  }
  if (selection) {
    console.log(`Learning rate per method, chosen on the validation set (${selection.metric}):\n`);
    console.log(`${formatValidationSelection(selection)}\n`);
  }
  console.log(formatResultsTables(tables));
  const written = [csv, csv !== undefined && tables.comparison ? csv.replace(/(\.csv)?$/i, '.comparison.csv') : undefined, arrow].filter(
    (f): f is string => f !== undefined,
  );
  if (written.length) console.log(`\nwrote ${written.join(', ')}`);
  return 0;
}

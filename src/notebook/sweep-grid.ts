/**
 * A sweep's grid as a table a person can read before starting it: one row per model and
 * optimizer, with the seeds, the number of runs, and the recipe's epochs and batch size.
 * @module
 */
import { flattenObject } from '../results/flatten';
import { optimizerLabel } from '../results/load';
import { expandSweep, parseSweepConfig } from '../sweep/index';

/** One row of {@link sweepGridTable} (a type alias, so it passes as a table row). */
export type SweepGridRow = {
  dataset: string;
  model: string;
  optimizer: string;
  seeds: string;
  runs: number;
  epochs: number;
  batchSize: number;
};

/**
 * The runs of a sweep config (object or file) grouped by dataset, model and optimizer, in grid
 * order. The optimizer is named as in the results tables (`reference SGD_atan (alpha 0.1, beta 20)`).
 */
export function sweepGridTable(config: unknown): SweepGridRow[] {
  const rows = new Map<string, SweepGridRow>();
  for (const r of expandSweep(parseSweepConfig(config))) {
    const c = r.config;
    const optimizer = optimizerLabel(flattenObject(c as unknown as Record<string, unknown>));
    const k = JSON.stringify([c.dataset.name, c.model.name, optimizer, c.epochs, c.batchSize]);
    const row = rows.get(k);
    if (row) {
      row.seeds += `, ${c.seed}`;
      row.runs++;
    } else {
      rows.set(k, {
        dataset: c.dataset.name,
        model: c.model.name,
        optimizer,
        seeds: String(c.seed),
        runs: 1,
        epochs: c.epochs,
        batchSize: c.batchSize,
      });
    }
  }
  return [...rows.values()];
}

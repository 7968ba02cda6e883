/**
 * Per-method learning-rate selection on a validation split: every method trained at every rate
 * of one grid, and each method kept at its own best rate, chosen on the validation metric (never
 * the test set). What remains is compared as usual, so a GAF is weighed against SGD at SGD's
 * best step size, not at the GAF's.
 * @module
 */
import { arquero, type ColumnTable } from './arquero';
import type { Cell } from './flatten';
import { mean } from './stats';

/** Options of {@link selectByValidation}. */
export interface SelectByValidationOptions {
  /** The validation metric the choice is made on; default `valTop1`. */
  metric?: string;
  /** Whether larger is better; default: false for a metric whose name contains `loss`, else true. */
  higher?: boolean;
  /** The tuned column; default `optimizer.options.learningRate`. */
  tuned?: string;
  /** Columns that name a method; default `dataset.name`, `model.name`, `optimizerLabel`. */
  method?: string[];
}

/** One tuned value of one method: its validation score, mean over seeds. */
export interface Candidate {
  value: number;
  /** Mean final validation metric over the completed seeds; -Infinity (or +Infinity for a loss) when any seed diverged. */
  score: number;
  /** Seeds with a final validation value. */
  n: number;
  /** Seeds that diverged at this value. */
  diverged: number;
}

/** The choice for one method. */
export interface MethodChoice {
  /** The method's key, e.g. `fashion-mnist / smallcnn / sgd + 0.1*atan(20x)`. */
  method: string;
  /** The chosen value of the tuned column. */
  chosen: number;
  /** Every value tried, in increasing order. */
  candidates: Candidate[];
}

/** What {@link selectByValidation} returns. */
export interface ValidationSelection {
  metric: string;
  tuned: string;
  choices: MethodChoice[];
  /** The runs table keeping only each method's runs at its chosen value. */
  runs: ColumnTable;
}

const finalRows = (rows: Record<string, unknown>[]): Map<string, Record<string, unknown>> => {
  const last = new Map<string, Record<string, unknown>>();
  for (const r of rows) {
    const id = String(r.runId);
    const prev = last.get(id);
    if (!prev || Number(r.epoch ?? 0) >= Number(prev.epoch ?? 0)) last.set(id, r);
  }
  return last;
};

/**
 * For each method (rows with equal `method` columns), the value of `tuned` whose runs have the
 * best mean final validation metric across seeds; a value where any seed diverged counts as
 * worst, and ties go to the smaller value. Throws, naming the column, when the runs have no
 * validation metric (train with `dataset.validation`) or no tuned column.
 */
export function selectByValidation(runs: ColumnTable, options: SelectByValidationOptions = {}): ValidationSelection {
  const metric = options.metric ?? 'valTop1';
  const higher = options.higher ?? !metric.toLowerCase().includes('loss');
  const tuned = options.tuned ?? 'optimizer.options.learningRate';
  const methodCols = options.method ?? ['dataset.name', 'model.name', 'optimizerLabel'];
  const names = runs.columnNames();
  for (const c of [tuned, ...methodCols]) {
    if (!names.includes(c)) throw new Error(`selectByValidation: the runs have no column "${c}".`);
  }
  const rows = runs.objects() as Record<string, unknown>[];
  if (!names.includes(metric) || !rows.some((r) => typeof r[metric] === 'number')) {
    throw new Error(
      `selectByValidation: no run has a ${metric} value. Give the runs a validation set (dataset.validation: {perClass: N}) ` +
        'so the choice is made on data carved from the training set, never on the test set.',
    );
  }
  const methodOf = (r: Record<string, unknown>): string => methodCols.map((c) => String((r[c] ?? null) as Cell)).join(' / ');
  const worst = higher ? -Infinity : Infinity;
  // method -> tuned value -> final validation values (worst for a diverged seed)
  const scores = new Map<string, Map<number, { values: number[]; diverged: number }>>();
  for (const r of finalRows(rows).values()) {
    const value = r[tuned];
    if (typeof value !== 'number') throw new Error(`selectByValidation: run ${String(r.runId)} has no number in "${tuned}".`);
    const m = methodOf(r);
    let byValue = scores.get(m);
    if (!byValue) scores.set(m, (byValue = new Map()));
    let cell = byValue.get(value);
    if (!cell) byValue.set(value, (cell = { values: [], diverged: 0 }));
    const v = r[metric];
    if (r.status === 'diverged' || r.diverged === true) cell.diverged++;
    else if (typeof v === 'number') cell.values.push(v);
  }
  const chosen = new Map<string, number>();
  const choices: MethodChoice[] = [...scores.entries()].map(([method, byValue]) => {
    const candidates = [...byValue.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([value, c]) => ({
        value,
        score: c.diverged > 0 || c.values.length === 0 ? worst : mean(c.values),
        n: c.values.length,
        diverged: c.diverged,
      }));
    let best = candidates[0]!;
    for (const c of candidates) if (higher ? c.score > best.score : c.score < best.score) best = c;
    chosen.set(method, best.value);
    return { method, chosen: best.value, candidates };
  });
  const kept = rows.filter((r) => chosen.get(methodOf(r)) === r[tuned]);
  return { metric, tuned, choices, runs: arquero().from(kept) };
}

/** The choices as a text table: one line per method, each tried value with its score, the chosen one marked. */
export function formatValidationSelection(s: ValidationSelection, options: { percent?: boolean } = {}): string {
  const pct = options.percent ?? !s.metric.toLowerCase().includes('loss');
  const f = (v: number): string => (Number.isFinite(v) ? (pct ? (v * 100).toFixed(2) : v.toFixed(4)) : 'diverged');
  const lines = [`| method | ${s.tuned} chosen | ${s.metric} per value (mean over seeds; * chosen) |`, '|---|---|---|'];
  for (const c of s.choices) {
    const cells = c.candidates.map(
      (k) => `${k.value}: ${f(k.score)} (n=${k.n}${k.diverged ? `, ${k.diverged} diverged` : ''})${k.value === c.chosen ? ' *' : ''}`,
    );
    lines.push(`| ${c.method} | ${c.chosen} | ${cells.join('; ')} |`);
  }
  return lines.join('\n');
}

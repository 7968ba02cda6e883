/**
 * A chart in a notebook cell that follows runs while they train: every few seconds it reads the
 * new lines of the runs' `steps.jsonl` and `metrics.jsonl`, redraws the loss per step and the
 * test top-1 per epoch, and replaces the cell's previous drawing; it stops by itself once every
 * run has ended. The training runs in another process (`gaf-lab train`/`sweep`, e.g. started
 * from the notebook with child_process): training in the kernel itself holds its event loop, so
 * the chart would redraw only now and then.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderSvg } from '../plots/render';
import type { VlSpec } from '../plots/spec';
import { findRunDirs, readJson } from '../run-format/index';
import { epochPoints, StepFollower, thin } from '../serve/curves';
import { RunSummaries, type RunSummary } from '../serve/run-summary';
import { tslabModule, type TslabDisplay } from '../train/tslab';

/** Options of {@link liveChart}. */
export interface LiveChartOptions {
  /** Seconds between redraws (default 2). */
  everySeconds?: number;
  /** Give up following after this many seconds even if runs still train (default: no limit). */
  timeoutSeconds?: number;
  /** Points per run and curve drawn (default 500). */
  maxPoints?: number;
  /** Where to draw (default: a new display of the tslab cell; outside a notebook, a text line per redraw on stdout). */
  display?: Pick<TslabDisplay, 'html' | 'text'>;
  /** Called after every redraw with what it drew. */
  onUpdate?: (u: LiveChartUpdate) => void;
}

/** What one redraw drew. */
export interface LiveChartUpdate {
  runs: number;
  running: number;
  stepPoints: number;
  epochPoints: number;
}

/** The handle {@link liveChart} returns. */
export interface LiveChart {
  /** Stops following (the last drawing stays). */
  stop(): void;
  /** Resolves with the last update once following stops (every run ended, timeout, or stop()). */
  readonly done: Promise<LiveChartUpdate>;
}

const ENDED = new Set(['completed', 'diverged', 'failed', 'interrupted', 'stale', 'unreadable']);

/** The run ids a sweep folder's sweep.json lists, or null when `dir` is not a sweep folder. */
function sweepRunIds(dir: string): string[] | null {
  const file = path.join(dir, 'sweep.json');
  if (!fs.existsSync(file)) return null;
  try {
    return readJson<{ runs: { runId: string }[] }>(file).runs.map((r) => r.runId);
  } catch {
    return null;
  }
}

function spec(steps: object[], epochs: object[]): VlSpec {
  const color = { field: 'run', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1, labelLimit: 500 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    hconcat: [
      {
        width: 380,
        height: 220,
        title: 'training loss per step',
        data: { values: steps },
        mark: 'line',
        encoding: {
          x: { field: 'step', type: 'quantitative' },
          y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'loss' },
          color,
        },
      },
      {
        width: 280,
        height: 220,
        title: 'test top-1 per epoch',
        data: { values: epochs },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative' },
          y: { field: 'testTop1', type: 'quantitative', scale: { zero: false }, title: 'test top-1' },
          color,
        },
      },
    ],
  } as VlSpec;
}

/**
 * Shows the runs under `dir` (one run folder, a sweep folder or an outDir) as a chart that
 * updates in place while they train, and stops when they have all ended (for a sweep folder:
 * every run its sweep.json lists). Returns at once; `await chart.done` waits for the end.
 */
export function liveChart(dir: string, options: LiveChartOptions = {}): LiveChart {
  const everyMs = 1000 * (options.everySeconds ?? 2);
  if (!(everyMs > 0)) throw new Error(`liveChart: everySeconds must be > 0, got ${options.everySeconds}.`);
  const maxPoints = options.maxPoints ?? 500;
  const out = options.display ?? tslabModule()?.newDisplay() ?? { html: () => undefined, text: (s: string) => console.log(s) };
  const summaries = new RunSummaries();
  const follower = new StepFollower();
  const started = Date.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let last: LiveChartUpdate = { runs: 0, running: 0, stepPoints: 0, epochPoints: 0 };
  let resolveDone!: (u: LiveChartUpdate) => void;
  const done = new Promise<LiveChartUpdate>((r) => (resolveDone = r));
  const finish = (): void => {
    if (timer) clearTimeout(timer);
    if (!stopped) {
      stopped = true;
      resolveDone(last);
    }
  };

  const tick = async (): Promise<void> => {
    const runDirs = fs.existsSync(dir) ? findRunDirs(dir) : [];
    const rows: RunSummary[] = runDirs.map((d) => summaries.get(d, 0, path.relative(dir, d), d));
    const steps: object[] = [];
    const epochs: object[] = [];
    for (const [i, d] of runDirs.entries()) {
      const run = rows[i]!.runId;
      for (const p of thin(follower.points(d, d), maxPoints)) steps.push({ run, step: p.step, loss: p.loss });
      for (const p of epochPoints(d)) if (p.testTop1 !== null) epochs.push({ run, epoch: p.epoch, testTop1: p.testTop1 });
    }
    const running = rows.filter((r) => !ENDED.has(r.status)).length;
    last = { runs: rows.length, running, stepPoints: steps.length, epochPoints: epochs.length };
    if (rows.length > 0) {
      const svg = await renderSvg(spec(steps, epochs), { onWarning: () => undefined });
      if (stopped) return;
      const note = `${rows.length} runs, ${running} training · ${steps.length} step points · ${new Date().toLocaleTimeString()}`;
      out.html(`<div class="gaf-lab-live-chart">${svg}<div style="font-size:12px;color:#555">${note}</div></div>`);
      if (!options.display && !tslabModule()) out.text(`liveChart: ${note}`);
    }
    options.onUpdate?.(last);
    const listed = sweepRunIds(dir);
    const allThere = listed === null ? rows.length > 0 : listed.every((id) => rows.some((r) => r.runId === id));
    const timedOut = options.timeoutSeconds !== undefined && Date.now() - started > 1000 * options.timeoutSeconds;
    if ((allThere && running === 0) || timedOut) finish();
  };
  const loop = (): void => {
    if (stopped) return;
    tick().then(
      () => {
        if (!stopped) timer = setTimeout(loop, everyMs);
      },
      (e: unknown) => {
        out.text(`liveChart stopped: ${(e as Error).message}`);
        finish();
      },
    );
  };
  loop();
  return { stop: finish, done };
}

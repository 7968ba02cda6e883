/**
 * Training an ablation study: its sweep with worker processes, progress as one line that
 * updates in place, and a rerun that skips finished runs.
 * @module
 */
import { progressLine } from '../train/progress-line';
import { prepareSweep, runSweep, sweepStatus } from '../sweep/index';
import type { AblationPlan } from './plan';

/** Options of {@link runAblations}. */
export interface RunAblationsOptions {
  /** Worker processes (default 2; each trains one run at a time). */
  workers?: number;
  /** Seconds between progress updates (default 5). */
  pollSeconds?: number;
  /** Drop the workers' per-epoch lines (default true: the progress line says enough; each run's log is in its folder). */
  quietWorkers?: boolean;
}

/**
 * Trains every run of the plan that has not ended yet (completed or diverged runs are kept, an
 * interrupted one resumes from its checkpoint), showing `done/total` as it goes. Returns each
 * run's status at the end; throws when a run failed, naming it and its folder.
 */
export async function runAblations(plan: AblationPlan, options: RunAblationsOptions = {}): Promise<{ runId: string; status: string }[]> {
  const { sweepDir } = prepareSweep(plan.sweep);
  const total = plan.runs.length;
  const ended = (): number => sweepStatus(sweepDir).filter((r) => r.status === 'completed' || r.status === 'diverged').length;
  const bar = progressLine('ablation runs', total);
  const endedBefore = ended();
  bar.update(endedBefore);
  const timer = setInterval(() => bar.update(ended()), (options.pollSeconds ?? 5) * 1000);
  let result: Awaited<ReturnType<typeof runSweep>>;
  try {
    result = await runSweep(plan.sweep, { workers: options.workers ?? 2, quietWorkers: options.quietWorkers ?? true });
  } finally {
    clearInterval(timer);
  }
  const status = result.runs.map((r) => ({ runId: r.runId, status: r.status }));
  const reused = endedBefore > 0 ? ` (${endedBefore} had ended before and were reused)` : '';
  bar.done(
    `${status.filter((r) => r.status === 'completed').length} completed, ${status.filter((r) => r.status === 'diverged').length} diverged${reused}`,
  );
  const bad = status.filter((r) => r.status !== 'completed' && r.status !== 'diverged');
  if (bad.length) {
    throw new Error(
      `runAblations: ${bad.length} run(s) did not finish: ${bad.map((r) => `${r.runId} (${r.status})`).join(', ')}; see their manifest.json in ${sweepDir}. Run runAblations again to resume them.`,
    );
  }
  return status;
}

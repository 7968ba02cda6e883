/**
 * What `gaf-lab train` and `gaf-lab resume` print when a run ends, and the exit code that goes
 * with it: 0 completed or diverged (a diverged run is a result, said loudly), 1 failed,
 * 130 interrupted (the shell's code for Ctrl-C; `gaf-lab resume RUN_DIR` continues it).
 * @module
 */
import type { RunResult } from '../train/runner';
import type { EpochMetrics } from '../run-format/index';

const pct = (v: number | null | undefined): string => (typeof v === 'number' ? `${(100 * v).toFixed(2)}%` : '–');
const num = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(4) : '–');

/** The final metrics in one line. */
export function formatFinalMetrics(m: EpochMetrics | undefined): string {
  if (!m) return 'no epoch finished';
  return (
    `epoch ${m.epoch}: test top-1 ${pct(m.testTop1)}, top-5 ${pct(m.testTop5)}, test loss ${num(m.testLoss)}; ` +
    `train top-1 ${pct(m.trainTop1)}, train loss ${num(m.trainLoss)}`
  );
}

/** The exit code of a run's outcome. */
export function exitCodeOf(r: Pick<RunResult, 'status'>): number {
  switch (r.status) {
    case 'completed':
    case 'diverged':
      return 0;
    case 'interrupted':
      return 130;
    default:
      return 1;
  }
}

/** Prints where the run is, how it ended and its final numbers; returns the exit code. */
export function reportRun(r: RunResult, log: (s: string) => void = (s) => console.log(s)): number {
  log('');
  log(`run dir:  ${r.runDir}`);
  const already = r.alreadyDone ? ' (already ended before this command; nothing trained)' : '';
  if (r.status === 'diverged') {
    log(`status:   DIVERGED${already}`);
    log('');
    log('*** THE RUN DIVERGED ***');
    log(`*** ${r.message ?? 'non-finite loss'} ***`);
    log('*** It stays in the results as diverged (it is counted, not dropped). ***');
    log('');
  } else {
    log(`status:   ${r.status}${already}${r.message && r.status !== 'completed' ? `: ${r.message}` : ''}`);
  }
  log(`epochs:   ${r.epochsDone} done`);
  log(`final:    ${formatFinalMetrics(r.final)}`);
  if (r.status === 'interrupted') log(`continue: gaf-lab resume ${r.runDir}`);
  return exitCodeOf(r);
}

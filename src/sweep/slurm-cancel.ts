/**
 * Cancelling a sweep's Slurm jobs: `scancel` of every array job the sweep was submitted as,
 * recorded in `slurm/jobs.jsonl` so that `gaf-lab sweep status` shows the tasks as cancelled
 * even after Slurm has forgotten them. Running tasks get SIGTERM from Slurm, which stops their
 * runs after the step in flight (left `interrupted`); submitting the sweep again resumes them.
 * @module
 */
import * as path from 'node:path';
import { appendJsonLine } from '../run-format/index';
import { readSweep } from './folder';
import { runSlurmCommand } from './slurm-commands';
import { SLURM_FILES } from './slurm-script';
import { readSlurmJobs } from './slurm-submit';

/** Cancels the sweep's array jobs; returns their ids (empty when it was never submitted). */
export function cancelSlurmSweep(sweepDir: string, env?: NodeJS.ProcessEnv): string[] {
  const dir = path.resolve(sweepDir);
  readSweep(dir);
  const jobs = readSlurmJobs(dir);
  const jobIds = [...new Set(jobs.flatMap((j) => (j.event === 'submit' ? [j.jobId] : [])))];
  if (jobIds.length === 0) return [];
  const r = runSlurmCommand('scancel', jobIds, env);
  // A job that has ended (or that Slurm has forgotten) needs no cancelling.
  const benign = /already completing or completed|Invalid job id/i;
  const problems = r.stderr.split('\n').filter((l) => l.trim() && !benign.test(l));
  if (!r.ok && problems.length) throw new Error(`${r.line} failed (exit ${r.code}): ${problems.join('; ')}`);
  appendJsonLine(path.join(dir, SLURM_FILES.jobs), { event: 'cancel', jobIds, at: new Date().toISOString() });
  return jobIds;
}

/**
 * Where each run of a Slurm-submitted sweep stands: the run's own status and epochs (its
 * manifest) next to its array task's state. The task's state comes from `sacct` where Slurm's
 * accounting works; where it is off (`sacct` says so, as on many small clusters and on
 * scripts/slurm-local.sh's), from `squeue` for the tasks Slurm still lists and otherwise from
 * the sweep's own records: the batch script's `slurm/tasks.jsonl` (start, exit code, requeue)
 * and `slurm/jobs.jsonl` (cancellations). The result says which source was used.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, readJsonLines, type RunStatus } from '../run-format/index';
import { readSweep, sweepStatus } from './folder';
import { runSlurmCommand } from './slurm-commands';
import { SLURM_FILES, taskLogFile } from './slurm-script';
import { latestJobOfTask, readSlurmJobs } from './slurm-submit';

/** One line of `slurm/tasks.jsonl` (written by the batch script). */
export interface SlurmTaskRecord {
  task: number;
  /** `<arrayJobId>_<task>`. */
  job: string;
  event: 'start' | 'exit' | 'requeue';
  code: number | null;
  host: string;
  restarts: number;
  at: string;
}

/** One run of the sweep with its task. */
export interface SlurmRunRow {
  index: number;
  runId: string;
  status: RunStatus | 'pending';
  epochsDone: number;
  /** Epochs the run's config asks for. */
  epochs: number;
  /** `<arrayJobId>_<index>`, when the run was submitted. */
  task?: string;
  /** The task's state: Slurm's word (PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, PREEMPTED, CANCELLED, REQUEUED, ...), or UNKNOWN. */
  state?: string;
  /** The task's log (absolute; it may not exist yet). */
  log?: string;
  /** Why the state is what it is, where the records alone tell (e.g. `exit 1`). */
  note?: string;
}

/** What {@link slurmSweepStatus} found. */
export interface SlurmSweepStatus {
  sweepDir: string;
  /** Array job ids, in submission order. */
  jobIds: string[];
  /** Where the task states come from. */
  source: 'sacct' | 'squeue+records' | 'not submitted';
  /** One sentence on the source (why sacct was not used, when it was not). */
  sourceNote: string;
  rows: SlurmRunRow[];
}

/** `12_3` -> [3]; `12_[0-3%2]`, `12_[1,4-5]` -> the listed indices; anything else -> []. */
export function arrayTasksOf(jobField: string, jobId: string): number[] {
  const m = new RegExp(`^${jobId}_(\\d+|\\[([^\\]]+)\\])$`).exec(jobField);
  if (!m) return [];
  if (m[2] === undefined) return [Number(m[1])];
  const out: number[] = [];
  for (const part of m[2].split('%')[0]!.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isFinite(a)) continue;
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** Task states by `<jobId>_<index>` from sacct, or the reason sacct cannot be used. */
function fromSacct(jobIds: string[], env: NodeJS.ProcessEnv): Map<string, string> | string {
  let r;
  try {
    r = runSlurmCommand('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '--format=JobID,State'], env);
  } catch (e) {
    return (e as Error).message;
  }
  if (!r.ok) return `${r.line} failed: ${(r.stderr.trim() || r.stdout.trim() || `exit ${r.code}`).split('\n')[0]}`;
  const states = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [jobField, stateField] = line.split('|');
    if (!jobField || !stateField) continue;
    const state = stateField.split(' ')[0]!; // "CANCELLED by 0"
    for (const jobId of jobIds) for (const i of arrayTasksOf(jobField, jobId)) states.set(`${jobId}_${i}`, state);
  }
  return states;
}

/** Task states squeue lists (pending, running, and finished ones it has not forgotten yet). */
function fromSqueue(jobIds: string[], env: NodeJS.ProcessEnv): Map<string, string> {
  const r = runSlurmCommand('squeue', ['--me', '-h', '-r', '-t', 'all', '-o', '%i|%T'], env);
  if (!r.ok) throw new Error(`${r.line} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  const states = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [jobField, state] = line.trim().split('|');
    if (!jobField || !state) continue;
    for (const jobId of jobIds) for (const i of arrayTasksOf(jobField, jobId)) states.set(`${jobId}_${i}`, state);
  }
  return states;
}

/** A task's state from the sweep's records alone (Slurm no longer lists it). */
function fromRecords(task: string, records: SlurmTaskRecord[], cancelledAt: string | undefined): { state: string; note?: string } {
  const last = records.filter((r) => r.job === task).at(-1);
  if (cancelledAt !== undefined && !(last?.event === 'exit' && last.code === 0))
    return { state: 'CANCELLED', note: `gaf-lab sweep cancel at ${cancelledAt}` };
  if (!last) return { state: 'UNKNOWN', note: 'not listed by squeue and never started' };
  if (last.event === 'exit') return last.code === 0 ? { state: 'COMPLETED' } : { state: 'FAILED', note: `exit ${last.code}` };
  if (last.event === 'requeue') return { state: 'REQUEUED', note: `stopped for requeue at ${last.at}` };
  return { state: 'UNKNOWN', note: `started ${last.at} on ${last.host}, no exit recorded (killed: time limit, node failure or cancel)` };
}

/**
 * Every run of the sweep with its Slurm task (see the module's description). A sweep never
 * submitted gives its runs without tasks, with source `not submitted`.
 */
export function slurmSweepStatus(sweepDir: string, env: NodeJS.ProcessEnv = process.env): SlurmSweepStatus {
  const dir = path.resolve(sweepDir);
  const sweep = readSweep(dir);
  const runs = sweepStatus(dir);
  const jobs = readSlurmJobs(dir);
  const jobOf = latestJobOfTask(jobs);
  const jobIds = [...new Set(jobs.flatMap((j) => (j.event === 'submit' ? [j.jobId] : [])))];
  const epochsOf = (i: number): number => {
    try {
      return readJson<{ epochs: number }>(path.join(dir, sweep.runs[i]!.config)).epochs;
    } catch {
      return Number.NaN;
    }
  };
  const rows: SlurmRunRow[] = runs.map((r, index) => ({ index, ...r, epochs: epochsOf(index) }));
  if (jobIds.length === 0)
    return { sweepDir: dir, jobIds, source: 'not submitted', sourceNote: 'the sweep was never submitted to Slurm', rows };

  const sacct = fromSacct(jobIds, env);
  let states: Map<string, string>;
  let source: SlurmSweepStatus['source'];
  let sourceNote: string;
  const records = readJsonLines<SlurmTaskRecord>(path.join(dir, SLURM_FILES.tasks));
  const cancelled = new Map<string, string>();
  for (const j of jobs) if (j.event === 'cancel') for (const id of j.jobIds) cancelled.set(id, j.at);
  const notes = new Map<string, string>();
  if (typeof sacct !== 'string') {
    states = sacct;
    source = 'sacct';
    sourceNote = 'task states from sacct (Slurm accounting)';
  } else {
    states = fromSqueue(jobIds, env);
    source = 'squeue+records';
    sourceNote = `task states from squeue and the sweep's task records (${SLURM_FILES.tasks}), since sacct does not work here: ${sacct}`;
    for (const [index, jobId] of jobOf) {
      const task = `${jobId}_${index}`;
      if (states.has(task)) continue;
      const r = fromRecords(task, records, cancelled.get(jobId));
      states.set(task, r.state);
      if (r.note) notes.set(task, r.note);
    }
  }
  for (const row of rows) {
    const jobId = jobOf.get(row.index);
    if (jobId === undefined) continue;
    row.task = `${jobId}_${row.index}`;
    row.state = states.get(row.task) ?? 'UNKNOWN';
    row.log = path.join(dir, taskLogFile(jobId, row.index));
    const note = notes.get(row.task);
    if (note) row.note = note;
  }
  return { sweepDir: dir, jobIds, source, sourceNote, rows };
}

/** Whether a task log exists (a task that never started has none). */
export function logExists(row: SlurmRunRow): boolean {
  return row.log !== undefined && fs.existsSync(row.log);
}

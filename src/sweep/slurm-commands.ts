/**
 * Calling Slurm's commands (sbatch, squeue, sacct, scancel): one place that runs them and turns
 * a missing command or a failure into an error that says which command, what it said, and what
 * to do.
 * @module
 */
import { spawnSync } from 'node:child_process';

/** What a Slurm command printed. */
export interface SlurmCommandResult {
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command line, for messages. */
  line: string;
}

/** Runs `cmd args` and returns what it printed; a command not on PATH throws, saying where Slurm's commands are found. */
export function runSlurmCommand(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): SlurmCommandResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 60_000 });
  const line = [cmd, ...args].join(' ');
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `${cmd} is not on PATH: run this on a Slurm login node (or install Slurm's client commands; ` +
          'scripts/slurm-local.sh starts a one-node cluster on this machine).',
      );
    }
    throw new Error(`${line} could not run: ${r.error.message}`);
  }
  return { ok: r.status === 0, code: r.status, stdout: r.stdout, stderr: r.stderr, line };
}

/** Like {@link runSlurmCommand}, but a non-zero exit throws with the command's own message. */
export function slurmCommand(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): string {
  const r = runSlurmCommand(cmd, args, env);
  if (!r.ok) throw new Error(`${r.line} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim() || 'no message'}`);
  return r.stdout;
}

/**
 * The Slurm batch script of a sweep (`<sweep>/slurm/sweep.sbatch`): a job array with one task
 * per run, task i running `gaf-lab sweep task <sweep> i` (see task.ts), with the node binary,
 * the CLI script and the working folder written out in full, since a compute node's PATH may
 * differ from the login node's.
 *
 * Time limits and preemption: the script asks Slurm for USR1 some seconds before the limit
 * (`--signal=B:USR1@<lead>`, to the batch shell only). The shell passes it on to the run as
 * SIGTERM, which stops the run after the step in flight like a Ctrl-C (the run is left
 * `interrupted`, its last checkpoint on disk), and then requeues the task with `scontrol
 * requeue`; the task starts again later and resumes the run. (Node itself must not get USR1: it
 * starts the inspector on it.) SIGTERM from Slurm (scancel, a requeue from outside, the limit
 * itself) reaches every process of the task anyway, so the shell only notes it.
 *
 * Each task appends its start, exit code and requeue to `<sweep>/slurm/tasks.jsonl`, which is
 * what `gaf-lab sweep status` reads where Slurm's accounting (sacct) is off.
 * @module
 */
import * as path from 'node:path';

/** What `gaf-lab sweep --slurm` asks Slurm for. */
export interface SlurmOptions {
  partition?: string;
  /** Time limit per task in one of Slurm's formats (`MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`). */
  time?: string;
  cpusPerTask?: number;
  /** GPUs per task (`--gpus`); the run then uses the GPU backend `initBackend` finds on the node. */
  gpus?: number;
  /** Memory per node, as Slurm takes it (`--mem`, e.g. `8G`, `16000M`). */
  mem?: string;
  /** At most this many tasks run at once (the array's `%K`). */
  maxParallel?: number;
  account?: string;
  /** Seconds before the time limit at which Slurm sends the warning signal (default {@link DEFAULT_SIGNAL_LEAD_S}). */
  signalLeadSeconds?: number;
  /** Job name (default `gaf-<sweep name>`, else `gaf-sweep`). */
  jobName?: string;
}

/** Where the task runs gaf-lab from. */
export interface SlurmPaths {
  /** The sweep folder (absolute). */
  sweepDir: string;
  /** The node binary (absolute). */
  node: string;
  /** gaf-lab's CLI script, `dist/cli/main.js` (absolute). */
  cli: string;
  /** The folder the task runs in (relative paths in the configs, such as a dataDir, are taken from there). */
  workDir: string;
}

/**
 * Default lead of the warning signal: enough for the step in flight and the run's last writes,
 * plus the slack of Slurm's timing (it looks at time limits every 30 s or so, so the signal
 * can come that much later or, by its documentation, up to a minute earlier).
 */
export const DEFAULT_SIGNAL_LEAD_S = 120;

/** The sweep's Slurm files, relative to the sweep folder. */
export const SLURM_FILES = {
  dir: 'slurm',
  script: 'slurm/sweep.sbatch',
  logs: 'slurm/logs',
  /** One line per submission and cancellation (job ids and task indices). */
  jobs: 'slurm/jobs.jsonl',
  /** One line per task start, exit and requeue (written by the batch script). */
  tasks: 'slurm/tasks.jsonl',
} as const;

/** The log of array task `index` of job `arrayJobId` (Slurm's `%A_%a`), relative to the sweep folder. */
export function taskLogFile(arrayJobId: string, index: number): string {
  return `${SLURM_FILES.logs}/${arrayJobId}_${index}.log`;
}

/**
 * Parses a Slurm time limit into seconds; throws naming the value and the accepted forms.
 * Forms: `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`.
 */
export function parseSlurmTime(value: string): number {
  const bad = (): Error =>
    new Error(
      `time limit "${value}" is not one Slurm takes: use MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (e.g. 02:00:00 for two hours).`,
    );
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(value.trim());
  if (!m) throw bad();
  const [, d, a, b, c] = m;
  const n = (s: string | undefined): number => (s === undefined ? 0 : Number(s));
  let seconds: number;
  if (d !== undefined) seconds = n(d) * 86400 + n(a) * 3600 + n(b) * 60 + n(c);
  else if (c !== undefined) seconds = n(a) * 3600 + n(b) * 60 + n(c);
  else if (b !== undefined) seconds = n(a) * 60 + n(b);
  else seconds = n(a) * 60;
  if (!(seconds > 0)) throw bad();
  return seconds;
}

/** The `--array` value: task indices as ranges (`0-3,7,9-10`), with `%K` when given. */
export function arraySpec(indices: readonly number[], maxParallel?: number): string {
  if (indices.length === 0) throw new Error('arraySpec: no task indices.');
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0]!;
  let prev = start;
  for (const i of [...sorted.slice(1), Number.NaN]) {
    if (i === prev + 1) {
      prev = i;
      continue;
    }
    parts.push(start === prev ? String(start) : `${start}-${prev}`);
    start = prev = i;
  }
  return parts.join(',') + (maxParallel !== undefined ? `%${maxParallel}` : '');
}

const PLAIN = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** Single-quotes a word for bash. */
export function shellQuote(s: string): string {
  return PLAIN.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A `#SBATCH` value: sbatch reads these lines itself and understands double quotes only. */
function directiveValue(v: string): string {
  if (PLAIN.test(v)) return v;
  if (/["\n]/.test(v))
    throw new Error(`${JSON.stringify(v)} cannot go into an #SBATCH line (it holds a double quote or a line break); rename it.`);
  return `"${v}"`;
}

/** Checks the options; errors name the option, the value and what to give instead. */
export function checkSlurmOptions(o: SlurmOptions): void {
  const word = (name: string, v: string | undefined): void => {
    if (v !== undefined && !/^[A-Za-z0-9_.,:+-]+$/.test(v))
      throw new Error(`--${name} "${v}" is not a Slurm name (letters, digits, _ . , : + -).`);
  };
  word('partition', o.partition);
  word('account', o.account);
  if (o.mem !== undefined && !/^\d+[KMGT]?$/i.test(o.mem))
    throw new Error(`--mem "${o.mem}" is not a memory size Slurm takes: a number of megabytes, or with a unit, e.g. 8G or 16000M.`);
  const lead = o.signalLeadSeconds ?? DEFAULT_SIGNAL_LEAD_S;
  if (!Number.isInteger(lead) || lead < 1 || lead > 65535)
    throw new Error(`--signal-lead must be a whole number of seconds from 1 to 65535 (Slurm's limit), got ${lead}.`);
  if (o.time !== undefined) {
    const limit = parseSlurmTime(o.time);
    if (lead >= limit) {
      throw new Error(
        `--signal-lead ${lead} s is not shorter than the time limit --time ${o.time} (${limit} s): the warning would come at the start. ` +
          'Give a longer --time or a shorter --signal-lead.',
      );
    }
  }
  for (const [name, v] of [
    ['cpus-per-task', o.cpusPerTask],
    ['gpus', o.gpus],
    ['max-parallel', o.maxParallel],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`--${name} must be an integer >= 1, got ${v}.`);
  }
}

/**
 * The batch script for the tasks `indices` of the sweep in `paths.sweepDir` (see the module's
 * description). Options are checked first ({@link checkSlurmOptions}).
 */
export function slurmScript(indices: readonly number[], options: SlurmOptions, paths: SlurmPaths): string {
  checkSlurmOptions(options);
  const q = shellQuote;
  const lead = options.signalLeadSeconds ?? DEFAULT_SIGNAL_LEAD_S;
  const sweepDir = path.resolve(paths.sweepDir);
  const directives: [string, string | number | undefined][] = [
    ['job-name', options.jobName ?? 'gaf-sweep'],
    ['array', arraySpec(indices, options.maxParallel)],
    ['output', path.join(sweepDir, SLURM_FILES.logs, '%A_%a.log')],
    ['open-mode', 'append'],
    ['requeue', ''],
    ['signal', `B:USR1@${lead}`],
    ['time', options.time],
    ['partition', options.partition],
    ['account', options.account],
    ['cpus-per-task', options.cpusPerTask],
    ['gpus', options.gpus],
    ['mem', options.mem],
  ];
  const sbatch = directives
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `#SBATCH --${k}${v === '' ? '' : `=${typeof v === 'string' ? directiveValue(v) : v}`}`);
  return `#!/bin/bash
${sbatch.join('\n')}
#
# Written by gaf-lab sweep --slurm (again at each submission). Task i trains run i of the
# sweep's sweep.json: skipped when it has ended, resumed from its checkpoint when it has
# started, trained otherwise. On USR1 (the time limit or a preemption is near) the run stops
# after the step in flight and the task is requeued, to resume later.
set -u
SWEEP=${q(sweepDir)}
NODE=${q(paths.node)}
CLI=${q(paths.cli)}
TASK="\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"
cd ${q(paths.workDir)} || exit 1

# One line per event in ${SLURM_FILES.tasks}: how gaf-lab sweep status follows the tasks where sacct is off.
record() {
  printf '{"task":%d,"job":"%s","event":"%s","code":%s,"host":"%s","restarts":%d,"at":"%s"}\\n' \\
    "$SLURM_ARRAY_TASK_ID" "$TASK" "$1" "\${2:-null}" "$(hostname)" "\${SLURM_RESTART_COUNT:-0}" \\
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$SWEEP/${SLURM_FILES.tasks}"
}

warned=0
child=
on_warning() {
  warned=1
  echo "gaf-lab: task $TASK: USR1 from Slurm (time limit or preemption ahead): stopping the run after the current step, then requeueing"
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; fi
}
trap on_warning USR1
# Slurm signals every process of the task itself (scancel, requeue, the time limit): only say so.
trap 'echo "gaf-lab: task $TASK: SIGTERM from Slurm"' TERM

record start
echo "gaf-lab: task $TASK on $(hostname) (restart \${SLURM_RESTART_COUNT:-0}): $NODE $CLI sweep task $SWEEP $SLURM_ARRAY_TASK_ID"
"$NODE" "$CLI" sweep task "$SWEEP" "$SLURM_ARRAY_TASK_ID" &
child=$!
if [ "$warned" = 1 ]; then kill -TERM "$child" 2>/dev/null; fi
# wait returns early when a trapped signal arrives: wait again until the run's process has ended.
while :; do
  wait "$child"
  code=$?
  kill -0 "$child" 2>/dev/null || break
done

# Requeue after the warning unless the run ended (0) or failed (1); 130 is a stopped run.
if [ "$warned" = 1 ] && [ "$code" -ge 128 ]; then
  record requeue "$code"
  echo "gaf-lab: task $TASK: run stopped (exit $code); requeueing it: scontrol requeue $TASK"
  if scontrol requeue "$TASK"; then
    # Slurm ends this attempt now and queues the task again.
    sleep 600 &
    wait $!
    exit 0
  fi
  echo "gaf-lab: task $TASK: scontrol requeue failed; the run stays interrupted: submit the sweep again to continue it"
fi
record exit "$code"
exit "$code"
`;
}

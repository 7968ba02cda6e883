#!/usr/bin/env node
/**
 * The `gaf-lab` command. Each subcommand lives in its own module; this file only dispatches and
 * turns errors into one readable message and an exit code.
 */
import { InputError, UsageError, wantsHelp } from './args';
import { DATA_USAGE, dataCommand } from './data';
import { DOCTOR_USAGE, doctorCommand } from './doctor';
import { EXPORT_USAGE, exportCommand } from './export';
import { FIGURES_USAGE, figuresCommand } from './figures';
import { RESULTS_USAGE, resultsCommand } from './results';
import { RESUME_USAGE, resumeCommand } from './resume';
import { SERVE_USAGE, serveCommand } from './serve';
import { SWEEP_USAGE, sweepCommand } from './sweep';
import { TRAIN_USAGE, trainCommand } from './train';

interface Command {
  summary: string;
  usage: string;
  run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  train: { summary: 'train an experiment config into a run folder (resumes it if interrupted)', usage: TRAIN_USAGE, run: trainCommand },
  resume: { summary: 'continue an interrupted run from its last checkpoint', usage: RESUME_USAGE, run: resumeCommand },
  sweep: {
    summary: 'train a grid of configs with worker processes, or join a sweep as one more worker',
    usage: SWEEP_USAGE,
    run: sweepCommand,
  },
  results: {
    summary: 'summary across seeds (mean ± 95% CI) and SGD vs SGD+GAF comparison of a folder of runs',
    usage: RESULTS_USAGE,
    run: resultsCommand,
  },
  figures: {
    summary: 'regenerate the figure set (PNG, SVG, provenance) and results.md from runs',
    usage: FIGURES_USAGE,
    run: figuresCommand,
  },
  serve: { summary: 'local read-only dashboard: runs table, live curves, compare, sweeps, figures', usage: SERVE_USAGE, run: serveCommand },
  export: { summary: 'write the runs as TensorBoard event files (--tensorboard OUT)', usage: EXPORT_USAGE, run: exportCommand },
  data: { summary: 'check which datasets are present, or download them', usage: DATA_USAGE, run: dataCommand },
  doctor: { summary: 'Node, backends, GPU libraries, Jupyter/tslab and datasets on this machine', usage: DOCTOR_USAGE, run: doctorCommand },
};

function help(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'gaf-lab: gradient activation functions for TensorFlow.js',
    '',
    'usage: gaf-lab <command> [options]      gaf-lab <command> --help',
    '',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
  ].join('\n');
}

/** Runs the CLI on `argv` (without node and script); resolves to the exit code. */
export async function cli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`gaf-lab: unknown command "${name}".\n\n${help()}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    console.log(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`gaf-lab ${name}: ${e.message}\n\nusage:\n${cmd.usage}`);
      return 2;
    }
    if (e instanceof InputError) {
      console.error(`gaf-lab ${name}: ${e.message}`);
      return 2;
    }
    console.error(`gaf-lab ${name}: ${e instanceof Error ? (process.env['GAF_DEBUG'] ? e.stack : e.message) : String(e)}`);
    return 1;
  }
}

if (require.main === module) {
  cli(process.argv.slice(2)).then((code) => process.exit(code));
}

export { COMMANDS };

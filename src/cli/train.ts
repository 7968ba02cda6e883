import * as fs from 'node:fs';
import { ConfigError, readConfigFile } from '../config/index';
import { progressPrinter } from '../train/progress';
import { runOrResume } from '../train/runner';
import { InputError, parseCommandLine, UsageError } from './args';
import { reportRun } from './run-outcome';

export const TRAIN_USAGE = `gaf-lab train CONFIG [--out DIR]

Trains the experiment config CONFIG (JSON; see docs/run-format.md) into <outDir>/<runId>/,
where outDir is the config's (default runs/) or DIR. Run it again to resume the same run if it
was interrupted; a run that ended is left alone.

  --out DIR   put the run folder under DIR instead of the config's outDir

exit code: 0 completed or diverged (a diverged run says so loudly), 1 failed,
           2 bad command line or invalid config, 130 interrupted (Ctrl-C; resume continues it)`;

/**
 * Reads a config file named on the command line. A file that is not there is a mistake in the
 * command line (usage error); one that is not valid JSON/YAML is a bad input (exit 2 as well).
 */
export function readConfigArg(file: string, what: string): unknown {
  if (!fs.existsSync(file)) throw new UsageError(`${what} ${file} does not exist.`);
  if (fs.statSync(file).isDirectory()) throw new UsageError(`${what} ${file} is a folder; give the config file (.json).`);
  try {
    return readConfigFile(file);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

/** A config validation error as an input error naming the file. */
export function configInputError(e: ConfigError, file: string, kind: 'experiment' | 'sweep'): InputError {
  return new InputError(e.message.replace(/^Invalid experiment config/, `Invalid ${kind} config ${file}`));
}

/** `gaf-lab train CONFIG [--out DIR]` */
export async function trainCommand(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv, { out: 'string' }, { min: 1, max: 1, what: 'the config file (gaf-lab train CONFIG)' });
  const out = args.values.out;
  const raw = readConfigArg(args.positional[0]!, 'config file');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError(`${args.positional[0]} must hold a JSON object (an experiment config).`);
  const config = out !== undefined ? { ...(raw as Record<string, unknown>), outDir: out } : raw;
  try {
    const result = await runOrResume(config, { onProgress: progressPrinter() });
    return reportRun(result);
  } catch (e) {
    if (e instanceof ConfigError) throw configInputError(e, args.positional[0]!, 'experiment');
    throw e;
  }
}

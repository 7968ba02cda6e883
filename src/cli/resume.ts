import * as fs from 'node:fs';
import * as path from 'node:path';
import { progressPrinter } from '../train/progress';
import { resumeRun } from '../train/runner';
import { parseCommandLine, UsageError } from './args';
import { reportRun } from './run-outcome';

export const RESUME_USAGE = `gaf-lab resume RUN_DIR

Continues the run in RUN_DIR (a folder with manifest.json) from its last checkpoint, with the
same final numbers as an uninterrupted run. A completed or diverged run is left as it is.

exit code: 0 completed or diverged, 1 failed, 2 not a run folder, 130 interrupted`;

/** `gaf-lab resume RUN_DIR` */
export async function resumeCommand(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv, {}, { min: 1, max: 1, what: 'the run folder (gaf-lab resume RUN_DIR)' });
  const dir = args.positional[0]!;
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new UsageError(
      fs.existsSync(dir)
        ? `${dir} is not a run folder (no manifest.json). Give a folder <outDir>/<runId>/ that gaf-lab train or a sweep created.`
        : `${dir} does not exist.`,
    );
  }
  return reportRun(await resumeRun(dir, { onProgress: progressPrinter() }));
}

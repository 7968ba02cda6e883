/**
 * Child process of test/reliability-lock.test.ts: `node run-race-child.js train|resume PATH`
 * loads the runner, writes `ready` and waits for a line on stdin (the test sends it to two
 * children at once when both are ready, so that they begin at the same instant whatever their
 * start-up times), then trains the config file PATH with
 * runOrResume (what `gaf-lab train` does) or resumes the run folder PATH with resumeRun (what
 * `gaf-lab resume` does). Prints the outcome as one JSON line; an error goes to stderr, exit 1.
 */
import { readFileSync } from 'node:fs';
import { resumeRun, runOrResume } from '../src/train/runner';

async function main(): Promise<void> {
  const [mode, target] = process.argv.slice(2);
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
  const options = { handleSignals: false };
  const r = mode === 'resume' ? await resumeRun(target!, options) : await runOrResume(JSON.parse(readFileSync(target!, 'utf8')), options);
  process.stdout.write(
    JSON.stringify({ status: r.status, alreadyDone: r.alreadyDone, startEpoch: r.startEpoch, epochsDone: r.epochsDone }) + '\n',
  );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);

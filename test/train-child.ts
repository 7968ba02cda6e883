/**
 * Child process of test/train-resume.test.ts: `node train-child.js CONFIG.json` trains that
 * config with runExperiment (the test kills it part-way).
 */
import { readFileSync } from 'node:fs';
import { runExperiment } from '../src/train/runner';

runExperiment(JSON.parse(readFileSync(process.argv[2]!, 'utf8'))).then(
  (r) => process.exit(r.status === 'completed' ? 0 : 2),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);

/**
 * `gaf-lab results` as a user runs it: the paired difference, corrected p-values and seed
 * counts in the printed tables and in --json, and a bad --detect refused with the fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { standardSweep, tempDir } from './results-fixtures';

const CLI = path.resolve(__dirname, '../src/cli/main.js');
const root = tempDir('cli-results-paired');
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

function gafLab(...args: string[]): { code: number | null; out: string; err: string } {
  const p = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, cwd: root });
  return { code: p.status, out: p.stdout, err: p.stderr };
}

test('results prints paired differences, Holm/BH and the seeds needed, and gives them in --json', () => {
  const dir = path.join(root, 'sweep');
  standardSweep(dir);
  const r = gafLab('results', dir, '--detect', '0.01');
  assert.equal(r.code, 0, r.err);
  // small-cnn (derivations in results-paired.test.ts): paired +3.00 [+0.52, +5.48] over 3 pairs,
  // p = 0.0351, alone in its family (default: one family per model), so Holm = BH = p;
  // 6 seeds per arm / 4 pairs for the observed difference, 41 / 10 for 1 point.
  assert.match(r.out, /Paired seeds, corrected tests and power:/);
  assert.match(
    r.out,
    /small-cnn .*\| \+3\.00 \[\+0\.52, \+5\.48\] \| 3 +\| paired +\| 0\.035 \| 0\.035 +\| 0\.035 \|.*\| 6, 4 +\| 41, 10 /,
  );
  assert.match(r.out, /Families: 1 comparison in fashion-mnist\/lenet; 1 comparison in fashion-mnist\/small-cnn\./);
  const j = JSON.parse(gafLab('results', dir, '--json', '--detect', '0.01').out) as { comparison: Record<string, unknown>[] };
  const cnn = j.comparison.find((c) => c['model.name'] === 'small-cnn')!;
  assert.equal(cnn.primary, 'paired');
  assert.equal(cnn.pairedN, 3);
  assert.equal(cnn.nPairsDetect, 10);
  assert.ok(Math.abs((cnn.pairedDiff as number) - 0.03) < 1e-12);
  const bad = gafLab('results', dir, '--detect', 'half');
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--detect must be a nonzero number in the metric's units \(e\.g\. 0\.005 for half a point of top-1\), got "half"/);
});

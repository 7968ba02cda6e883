/**
 * `gaf-lab results` as a user runs it (a child process) on run folders written in the run
 * format: copies of a run are named in the printed output, not only in --json; runs at two
 * learning rates get a row each; a --by that would average them is refused with the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runIdOf, tempDir, writeRun } from './results-fixtures';

const CLI = path.resolve(__dirname, '../src/cli/main.js');
const root = tempDir('cli-results');
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

function gafLab(...args: string[]): { code: number | null; out: string; err: string } {
  const p = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, cwd: root });
  return { code: p.status, out: p.stdout, err: p.stderr };
}

test('results prints a warning naming duplicate runs and counts them once (without --json)', () => {
  const dir = path.join(root, 'dup');
  // Seeds 1 and 2 in folder a (finals 0.80, 0.84); seed 1 again in folder b, final 0.90, ended later.
  // Counted once with b's copy: mean (0.90 + 0.84) / 2 = 87.00 %.
  writeRun(dir, { seed: 1, testTop1: [0.5, 0.8], under: 'a' });
  writeRun(dir, { seed: 2, testTop1: [0.5, 0.84], under: 'a' });
  writeRun(dir, { seed: 1, testTop1: [0.5, 0.9], under: 'b', endedAt: '2025-02-01T00:00:00.000Z' });
  const id = runIdOf({ seed: 1, testTop1: [] });
  const r = gafLab('results', dir);
  assert.equal(r.code, 0, r.err);
  assert.ok(
    r.out.includes(`warning: 2 runs have the same config and seed 1: b/${id}, a/${id}; counted once, using b/${id} (completed).`),
    r.out,
  );
  assert.match(r.out, /Summary across seeds \(2 runs, metric testTop1\)/);
  assert.match(r.out, /\| sgd +\| 87\.00 ± \S+ \(n=2\) \|/);
  const j = JSON.parse(gafLab('results', dir, '--json').out) as {
    runCount: number;
    duplicates: { kept: string; dropped: string[] }[];
    summary: { n: number; duplicates: number }[];
  };
  assert.equal(j.runCount, 2);
  assert.deepEqual(
    j.duplicates.map((d) => [d.kept, d.dropped]),
    [[`b/${id}`, [`a/${id}`]]],
  );
  assert.deepEqual([j.summary[0]!.n, j.summary[0]!.duplicates], [2, 1]);
});

test('results keeps learning rates apart by default and refuses a --by that would mix them', () => {
  const dir = path.join(root, 'lr');
  writeRun(dir, { seed: 1, learningRate: 0.025, testTop1: [0.5, 0.84] });
  writeRun(dir, { seed: 1, learningRate: 1e-6, testTop1: [0.1, 0.12] });
  const r = gafLab('results', dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\| dataset +\| model +\| optimizer +\| learningRate +\| final testTop1/);
  assert.match(r.out, /\| sgd +\| 0\.000001 +\| 12\.00 \(n=1, no CI\)/);
  assert.match(r.out, /\| sgd +\| 0\.025 +\| 84\.00 \(n=1, no CI\)/);
  assert.doesNotMatch(r.out, /warning/);

  const bad = gafLab('results', dir, '--by', 'model.name,optimizerLabel');
  assert.equal(bad.code, 2);
  assert.match(
    bad.err,
    /--by model\.name,optimizerLabel would average runs that differ in more than the seed: optimizer\.options\.learningRate \(0\.000001, 0\.025\) in the row model\.name=small-cnn, optimizerLabel=sgd\. Group by these fields too \(--by model\.name,optimizerLabel,optimizer\.options\.learningRate\)/,
  );
  const ok = gafLab('results', dir, '--by', 'model.name,optimizerLabel,optimizer.options.learningRate');
  assert.equal(ok.code, 0, ok.err);
});

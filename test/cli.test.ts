import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '../src/cli/main.js');
const gafLab = (...args: string[]): { code: number | null; out: string; err: string } => {
  const p = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: p.status, out: p.stdout, err: p.stderr };
};

test('gaf-lab --help lists the commands; no command is a usage error', () => {
  const h = gafLab('--help');
  assert.equal(h.code, 0);
  assert.match(h.out, /data\s+check which datasets/);
  assert.match(h.out, /doctor/);
  assert.equal(gafLab().code, 2);
});

test('an unknown command or subcommand exits 2 and says what is valid', () => {
  const u = gafLab('trian');
  assert.equal(u.code, 2);
  assert.match(u.err, /unknown command "trian"/);
  const d = gafLab('data', 'download', 'imagenet');
  assert.equal(d.code, 2);
  assert.match(d.err, /unknown dataset "imagenet"; choose from mnist, fashion-mnist, cifar-10, cifar-100/);
  assert.match(d.err, /usage:\ngaf-lab data check/);
});

test('data check finds the embedded Fashion-MNIST and explains how to get the rest', () => {
  const r = gafLab('data', 'check');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\[found\] {3}fashion-mnist: .*t10k-images-idx3-ubyte/);
  // Nothing else ships with the machine: each missing set names the download command.
  assert.match(r.out, /\[missing\] cifar-10: .*gaf-lab data download cifar-10/s);
});

test('doctor reports Node, the backend in use and the datasets', () => {
  const r = gafLab('doctor');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\[ok\] {2}Node\.js: v\d+/);
  assert.match(r.out, /backend: (wasm|tensorflow) \(automatic choice\)/);
  assert.match(r.out, /Datasets\n\[found\] {3}fashion-mnist/);
});

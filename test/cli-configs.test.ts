/**
 * Every config file in configs/ parses, and every sweep expands to the runs it is meant to
 * have, with the recipe it claims (so a GPU machine does not find a typo after a day).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveConfig, type ResolvedConfig } from '../src/config/index';
import { expandSweep, parseSweepConfig } from '../src/sweep/index';
import { packageRoot } from '../src/provenance/index';
import { expandDetectionSweep } from '../src/detect/config';

const root = path.join(packageRoot(), 'configs');

function configFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return configFiles(p);
    // configs/schema/ holds the configs' JSON Schemas (test/config-schema.test.ts), not configs.
    return /\.json$/.test(e.name) && !e.name.endsWith('.schema.json') ? [p] : [];
  });
}

/** Each file: a sweep (base + grid) or a single experiment config. */
function load(file: string): { kind: 'sweep'; runs: ReturnType<typeof expandSweep> } | { kind: 'run'; config: ResolvedConfig } {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  if ('base' in raw || 'grid' in raw) return { kind: 'sweep', runs: expandSweep(parseSweepConfig(file)) };
  return { kind: 'run', config: resolveConfig(file) };
}

test('every config file in configs/ parses, and every sweep expands without error', () => {
  const files = configFiles(root);
  assert.ok(files.length >= 4, `config files found: ${files.join(', ')}`);
  // Detection sweeps (`"task": "detection"`) have their own format and expander.
  const isDetection = (f: string): boolean => (JSON.parse(fs.readFileSync(f, 'utf8')) as { task?: unknown }).task === 'detection';
  for (const f of files) {
    assert.doesNotThrow(
      () => (isDetection(f) ? expandDetectionSweep(JSON.parse(fs.readFileSync(f, 'utf8')), f) : load(f)),
      `${path.relative(root, f)}`,
    );
  }
});

const count = (runs: ReturnType<typeof expandSweep>, pick: (r: ResolvedConfig) => unknown): Map<unknown, number> => {
  const m = new Map<unknown, number>();
  for (const r of runs) m.set(pick(r.config), (m.get(pick(r.config)) ?? 0) + 1);
  return m;
};
const gafOf = (r: ResolvedConfig): string => {
  const o = r.optimizer as {
    name: string;
    variant?: string;
    options: { alpha?: number; beta?: number };
    gaf?: { kind: string; alpha: number; beta: number } | null;
  };
  if (o.name === 'reference') return o.variant === 'SGD_ori' ? 'none' : `${o.variant} ${o.options.alpha}/${o.options.beta}`;
  return o.gaf ? `${o.gaf.kind} ${o.gaf.alpha}/${o.gaf.beta}` : 'none';
};

test('the main job: SGD, SGD+atan, SGD+tanh and their controls x 3 paired seeds of the small CNN on Fashion-MNIST', () => {
  const s = load(path.join(root, 'main', 'fashion-mnist-sweep.json'));
  assert.equal(s.kind, 'sweep');
  // 3 optimizer variants (SGD, SGD+atan, SGD+tanh); lr-matched: one run for both GAFs (alpha*beta = 2 for each);
  // clip at the bound: atan's 0.1*pi/2 and tanh's 0.2 are two. 3 + 1 + 2 = 6 arms x 3 seeds = 18.
  assert.equal(s.runs.length, 18);
  const arm = (r: ResolvedConfig): string => {
    const o = r.optimizer as { control?: { kind: string; of: { kind: string } } | null };
    return o.control ? `${o.control.kind} of ${o.control.of.kind}` : gafOf(r);
  };
  assert.deepEqual([...count(s.runs, arm)].sort(), [
    ['atan 0.1/20', 3],
    ['clipValueAtBound of atan', 3],
    ['clipValueAtBound of tanh', 3],
    ['lrMatched of atan', 3],
    ['none', 3],
    ['tanh 0.2/10', 3],
  ]);
  for (const { config: c } of s.runs) {
    assert.equal(c.dataset.name, 'fashion-mnist');
    assert.equal(c.model.name, 'smallcnn');
    assert.deepEqual(c.optimizer.options, { learningRate: 0.025, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 5e-4 });
    assert.equal(c.gradStats?.every, 20);
  }
  // Every arm has the same seeds, so results pair them.
  for (const n of count(s.runs, (c) => `${arm(c)} ${c.seed}`).values()) assert.equal(n, 1);
  assert.deepEqual([...count(s.runs, (c) => c.seed).keys()].sort(), [1, 2, 3]);
});

test('the tuned main job: each method at every rate of one grid, with a validation split to choose on', () => {
  const s = load(path.join(root, 'main', 'lr-grid-sweep.json'));
  assert.equal(s.kind, 'sweep');
  // 3 methods x 4 rates x 3 seeds.
  assert.equal(s.runs.length, 36);
  assert.deepEqual(
    [...count(s.runs, (c) => c.optimizer.options.learningRate).keys()].sort((a, b) => Number(a) - Number(b)),
    [0.0125, 0.025, 0.05, 0.1],
  );
  for (const { config: c } of s.runs) assert.deepEqual(c.dataset.validation, { perClass: 50 });
});

// The ImageNet configs are checked against the authors' ImageNet script in test/paper-recipes.test.ts.
test('the paper configs: CIFAR-10/100 zoo, SGD_ori vs two SGD_atan, 3 seeds, the reference recipe', () => {
  const gafs = ['SGD_atan 0.1/20', 'SGD_atan 0.2/10', 'none'];
  for (const ds of ['cifar10', 'cifar100'] as const) {
    const s = load(path.join(root, 'paper', `${ds}-zoo-sweep.json`));
    assert.equal(s.kind, 'sweep');
    // 16 models x 3 optimizers x 3 seeds = 144.
    assert.equal(s.runs.length, 144, ds);
    const models = count(s.runs, (c) => c.model.name);
    assert.equal(models.size, 16);
    for (const m of ['ResNet18', 'VGG16', 'MobileNetV2', 'DenseNet121', 'GoogLeNet', 'PreActResNet18'])
      assert.equal(models.get(m), 9, `${ds} ${m}`);
    // The authors' CIFAR-100 model file narrows ShuffleNetV2's head conv to 24 channels.
    assert.equal(models.get(ds === 'cifar10' ? 'ShuffleNetV2' : 'ShuffleNetV2_head24'), 9, `${ds} ShuffleNetV2`);
    assert.deepEqual([...count(s.runs, gafOf).keys()].sort(), gafs);
    for (const { config: c } of s.runs) {
      assert.equal(c.dataset.name, ds);
      assert.equal(c.dataset.augment, true);
      assert.equal(c.model.options.numClasses, ds === 'cifar10' ? 10 : 100);
      assert.equal(c.epochs, 200);
      assert.equal(c.batchSize, 256);
      assert.deepEqual(c.schedule, { kind: 'cosine', warmupEpochs: 1, tMax: 200, etaMin: 0 });
      const eff = c.optimizer.effective as { learningRate: number; momentum: number; weightDecay: number; gafPlacement: string };
      assert.deepEqual([eff.learningRate, eff.momentum, eff.weightDecay, eff.gafPlacement], [0.1, 0.9, 5e-4, 'gradient']);
    }
  }
});

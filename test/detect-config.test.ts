/**
 * The detection configs: the committed sweeps expand to the runs they claim (the paper's VOC
 * protocol with the CIFAR sweeps' GAF; the CPU-sized synthetic one), and bad configs are
 * refused with the field named.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectionRunId, expandDetectionSweep, resolveDetectionConfig } from '../src/detect/config';
import { packageRoot } from '../src/provenance/index';

const read = (rel: string): unknown => JSON.parse(fs.readFileSync(path.join(packageRoot(), rel), 'utf8'));

test("configs/paper/voc-*.json: VOC07+12 trainval, VOC07 test, mAP@0.5 VOC07, SGD vs the CIFAR sweeps' GAF, 3 paired seeds", () => {
  const runs = expandDetectionSweep(read('configs/paper/voc-centernet-resnet18-sweep.json'));
  assert.equal(runs.length, 6);
  // The GAF of the CIFAR sweeps: their SGD_atan entry.
  const cifar = read('configs/paper/cifar10-zoo-sweep.json') as {
    grid: { optimizers: { variant?: string; options?: { alpha: number; beta: number } }[] };
  };
  const cifarGaf = cifar.grid.optimizers.find((o) => o.variant === 'SGD_atan')!.options!;
  const arms = new Map<string, number[]>();
  for (const c of runs) {
    assert.deepEqual(c.data.train, [
      { year: '2007', imageSet: 'trainval' },
      { year: '2012', imageSet: 'trainval' },
    ]);
    assert.deepEqual(c.data.test, { year: '2007', imageSet: 'test' });
    assert.equal(c.data.classes.length, 20);
    assert.deepEqual([c.eval.metric, c.eval.iouThreshold], ['voc07', 0.5]);
    assert.equal(c.model.backbone, 'resnet18');
    const o = c.optimizer as { name: string; variant: string; options: { alpha?: number; beta?: number } };
    assert.equal(o.name, 'reference');
    if (o.variant === 'SGD_atan') assert.deepEqual([o.options.alpha, o.options.beta], [cifarGaf.alpha, cifarGaf.beta]);
    else assert.equal(o.variant, 'SGD_ori');
    arms.set(o.variant, [...(arms.get(o.variant) ?? []), c.seed]);
  }
  assert.deepEqual([...arms.keys()].sort(), ['SGD_atan', 'SGD_ori']);
  for (const seeds of arms.values()) assert.deepEqual(seeds, [1, 2, 3]);
  assert.equal(new Set(runs.map(detectionRunId)).size, 6, 'distinct run ids');
});

test('configs/main/voc-synthetic-sweep.json: the synthetic set, SGD vs SGD+atan, 3 seeds', () => {
  const runs = expandDetectionSweep(read('configs/main/voc-synthetic-sweep.json'));
  assert.equal(runs.length, 6);
  for (const c of runs) {
    assert.deepEqual(c.data.classes, ['pottedplant', 'boat', 'tvmonitor']);
    assert.equal(c.model.backbone, 'tiny');
  }
});

test('bad detection configs are refused with the field named', () => {
  const base = {
    name: 'x',
    data: { train: [{ year: '2007', imageSet: 'trainval' }], test: { year: '2007', imageSet: 'test' } },
    model: { backbone: 'tiny', inputSize: 64 },
    optimizer: { name: 'sgd', options: { learningRate: 0.1 } },
    epochs: 2,
    batchSize: 4,
  };
  assert.doesNotThrow(() => resolveDetectionConfig(base));
  assert.throws(() => resolveDetectionConfig({ ...base, model: { backbone: 'vgg', inputSize: 64 } }), /model\.backbone/);
  assert.throws(() => resolveDetectionConfig({ ...base, data: { ...base.data, classes: ['cat', 'cat'] } }), /data\.classes/);
  assert.throws(() => resolveDetectionConfig({ ...base, data: { ...base.data, classes: ['triangle'] } }), /data\.classes/);
  assert.throws(() => expandDetectionSweep({ name: 's', base, methods: [], seeds: [1] }), /task/);
});

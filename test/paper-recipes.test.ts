/**
 * configs/paper/imagenet-*.json against the authors' ImageNet script (`ImageNet/main_cosine.py`
 * and its run list) field by field, and the CIFAR constants against their CIFAR script.
 *
 * The authors' run list, as launched (8 GPUs each; the batch is per GPU, gaf-lab's is global):
 *   resnet18     -bs 256 --lr 0.4: SGD_ori, SGD_atanMom (0.2, 10), SGD_atanMom (0.1, 20)
 *   resnet34     -bs 128 --lr 0.2: SGD_ori, SGD_atanMom (0.2, 10), SGD_atanMom (0.1, 20)
 *   resnet50     -bs 64  --lr 0.1: SGD_ori --clip norm --alpha 0.1, SGD_ori --clip value --alpha 0.1
 *   se_resnet50  -bs 64  --lr 0.1: the same two clip runs
 *   resnet18     -bs 128 --lr 0.2: SGD_atanMom (0.1, 20)
 *   se_resnet18  -bs 128 --lr 0.2: "SGD_ori" (launched as SGD_atanMom --alpha 9999 --beta 9999),
 *                                  SGD_atanMom (0.1, 20), SGD_atanMom (0.2, 10)
 * The script: momentum 0.9, weight decay 4e-5 on conv and linear weights only (no --wd-all),
 * 150 epochs, cosine to 0 stepped per iteration after a 5-epoch per-iteration linear warm-up,
 * clip by norm at max_norm = alpha and by value at alpha*pi/2, DALI random crop of area
 * [0.1, 1] and aspect ratio [0.8, 1.25] resized to 224 + flip, validation resize 256 + centre
 * crop 224, ImageNet mean/std; its models (torchvision's and the SE-ResNet module it imports)
 * initialise every convolution with kaiming_normal (fan_out).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedConfig } from '../src/config/index';
import { CIFAR100_MEAN, CIFAR100_STD, CIFAR10_MEAN, CIFAR10_STD } from '../src/data/augment';
import { IMAGENET_MEAN, IMAGENET_STD } from '../src/data/imagefolder';
import { SHUFFLENETV2_CONFIGS } from '../src/models/shufflenetv2';
import { packageRoot } from '../src/provenance/index';
import { expandSweep, parseSweepConfig } from '../src/sweep/index';

const paperDir = path.join(packageRoot(), 'configs', 'paper');
const GPUS = 8;

/** Model names of the script (`--arch`) in gaf-lab's zoo. */
const ARCH: Record<string, string> = {
  resnet18: 'imagenet_resnet18',
  resnet34: 'imagenet_resnet34',
  resnet50: 'imagenet_resnet50',
  se_resnet18: 'imagenet_se_resnet18',
  se_resnet50: 'imagenet_se_resnet50',
};

const CLIP_NORM = 'clip norm 0.1';
const CLIP_VALUE = 'clip value 0.1*pi/2';
const ORI = 'SGD_ori';
const A2B10 = 'SGD_atanMom 0.2/10';
const A1B20 = 'SGD_atanMom 0.1/20';

/** One run as `arch per-GPU-batch lr optimizer`. */
const key = (arch: string, perGpu: number, lr: number, opt: string): string => `${ARCH[arch]} ${perGpu}x${GPUS} lr${lr} ${opt}`;

const RUN_LIST = [
  ...[ORI, A2B10, A1B20].map((o) => key('resnet18', 256, 0.4, o)),
  ...[ORI, A2B10, A1B20].map((o) => key('resnet34', 128, 0.2, o)),
  ...[CLIP_NORM, CLIP_VALUE].flatMap((o) => [key('resnet50', 64, 0.1, o), key('se_resnet50', 64, 0.1, o)]),
  key('resnet18', 128, 0.2, A1B20),
  ...[ORI, A1B20, A2B10].map((o) => key('se_resnet18', 128, 0.2, o)),
];

/**
 * Runs gaf-lab adds on purpose (configs/README.md says why): the arms the run list lacks at a
 * batch size where it has other runs, so that every group is a full comparison.
 */
const ADDED = [
  ...[ORI, A2B10].map((o) => key('resnet18', 128, 0.2, o)),
  ...[ORI, A2B10, A1B20].flatMap((o) => [key('resnet50', 64, 0.1, o), key('se_resnet50', 64, 0.1, o)]),
];

interface Eff {
  learningRate: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  weightDecayOn?: string;
  gaf: { kind: string; alpha: number; beta: number } | null;
  gafPlacement: string;
  clip: { kind: string; value?: number; maxNorm?: number } | null;
}

function optimizerLabel(c: ResolvedConfig): string {
  const o = c.optimizer as { name: string; variant?: string; options: { alpha?: number; beta?: number } };
  const eff = c.optimizer.effective as unknown as Eff;
  if (eff.clip) {
    assert.equal(o.name, 'sgd', 'a clip run is plain SGD (the script clips before SGD_ori steps)');
    assert.equal(eff.gaf, null);
    if (eff.clip.kind === 'norm') return eff.clip.maxNorm === 0.1 ? CLIP_NORM : `clip norm ${eff.clip.maxNorm}`;
    assert.equal(eff.clip.kind, 'value');
    return Math.abs(eff.clip.value! - (0.1 * Math.PI) / 2) < 1e-15 ? CLIP_VALUE : `clip value ${eff.clip.value}`;
  }
  assert.equal(o.name, 'reference');
  if (o.variant === 'SGD_ori') {
    assert.equal(eff.gaf, null);
    return ORI;
  }
  assert.equal(o.variant, 'SGD_atanMom');
  // SGD_atanMom: atan on the momentum output.
  assert.deepEqual([eff.gaf?.kind, eff.gafPlacement], ['atan', 'update']);
  assert.deepEqual([eff.gaf?.alpha, eff.gaf?.beta], [o.options.alpha, o.options.beta]);
  return `SGD_atanMom ${o.options.alpha}/${o.options.beta}`;
}

function imagenetFiles(): string[] {
  return fs
    .readdirSync(paperDir)
    .filter((f) => /^imagenet-.*\.json$/.test(f))
    .map((f) => path.join(paperDir, f));
}

test("configs/paper/imagenet-*.json: the runs of the authors' run list (plus the documented additions), 3 paired seeds each", () => {
  const files = imagenetFiles();
  assert.ok(files.length >= 3, `imagenet configs: ${files.join(', ')}`);
  const seen = new Map<string, number[]>();
  for (const f of files) {
    // Expanding resolves (and so validates) every run config.
    for (const { config: c } of expandSweep(parseSweepConfig(f))) {
      assert.equal(c.batchSize % GPUS, 0, `${f}: batch ${c.batchSize} is per-GPU batch x ${GPUS}`);
      const k = key(
        Object.keys(ARCH).find((a) => ARCH[a] === c.model.name)!,
        c.batchSize / GPUS,
        (c.optimizer.effective as unknown as Eff).learningRate,
        optimizerLabel(c),
      );
      seen.set(k, [...(seen.get(k) ?? []), c.seed]);
    }
  }
  assert.deepEqual([...seen.keys()].sort(), [...RUN_LIST, ...ADDED].sort());
  for (const [k, seeds] of seen) assert.deepEqual(seeds.sort(), [1, 2, 3], k);
});

test("every ImageNet run has the script's recipe: batch/lr pairs, 150 epochs, per-iteration cosine, 5 warm-up epochs, 4e-5 on kernels", () => {
  // Linear scaling as in the run list: lr 0.1 per 64 images per GPU, i.e. per 512 of the global
  // batch (256 x 8 = 2048 -> 0.4, 128 x 8 = 1024 -> 0.2, 64 x 8 = 512 -> 0.1): half the usual
  // 0.1 per 256.
  const lrOfBatch = new Map([
    [2048, 0.4],
    [1024, 0.2],
    [512, 0.1],
  ]);
  for (const f of imagenetFiles()) {
    for (const { config: c } of expandSweep(parseSweepConfig(f))) {
      const where = `${path.basename(f)} ${c.model.name} seed ${c.seed}`;
      const eff = c.optimizer.effective as unknown as Eff;
      assert.equal(eff.learningRate, lrOfBatch.get(c.batchSize), `${where}: lr of batch ${c.batchSize}`);
      assert.equal(eff.learningRate, (0.1 * c.batchSize) / 512, where);
      assert.deepEqual(
        [eff.momentum, eff.dampening, eff.nesterov, eff.weightDecay, eff.weightDecayOn],
        [0.9, 0, false, 4e-5, 'kernels'],
        `${where}: momentum 0.9, weight decay 4e-5 on conv/linear weights only`,
      );
      assert.equal(c.epochs, 150, where);
      assert.deepEqual(c.schedule, { kind: 'cosine', warmupEpochs: 5, tMax: 150, etaMin: 0, per: 'iteration' }, where);
      assert.equal(c.dataset.name, 'imagenet', where);
      assert.equal(c.dataset.augment, true, where);
      assert.equal(c.dataset.imageSize, 224, where);
      assert.deepEqual(c.dataset.randomResizedCrop, { scale: [0.1, 1], ratio: [0.8, 1.25] }, `${where}: DALI's random crop ranges`);
      // torchvision's ResNet init (kaiming_normal, fan_out, on every convolution), as the script's models.
      assert.deepEqual(c.model.options, { init: 'torchvision', numClasses: 1000, inputShape: [224, 224, 3] }, where);
    }
  }
});

test('the clip baselines: ResNet-50 and SE-ResNet-50 only, by norm at 0.1 and by value at 0.1*pi/2, on plain SGD', () => {
  const clipRuns = imagenetFiles()
    .flatMap((f) => expandSweep(parseSweepConfig(f)))
    .filter((r) => (r.config.optimizer.effective as unknown as Eff).clip !== null);
  assert.deepEqual([...new Set(clipRuns.map((r) => r.config.model.name))].sort(), ['imagenet_resnet50', 'imagenet_se_resnet50']);
  const clips = clipRuns.map((r) => (r.config.optimizer.effective as unknown as Eff).clip);
  assert.equal(clips.filter((c) => c?.kind === 'norm' && c.maxNorm === 0.1).length, 6, 'norm: 2 models x 3 seeds');
  assert.equal(clips.filter((c) => c?.kind === 'value' && Math.abs(c.value! - 0.15707963267948966) < 1e-15).length, 6);
});

test("evaluation and normalisation constants: ImageNet mean/std; CIFAR-10/100 as in the authors' CIFAR script", () => {
  assert.deepEqual([...IMAGENET_MEAN], [0.485, 0.456, 0.406]);
  assert.deepEqual([...IMAGENET_STD], [0.229, 0.224, 0.225]);
  assert.deepEqual([...CIFAR10_MEAN], [0.4914, 0.4822, 0.4465]);
  assert.deepEqual([...CIFAR10_STD], [0.2023, 0.1994, 0.201]);
  assert.deepEqual([...CIFAR100_MEAN], [0.5071, 0.4867, 0.4408]);
  assert.deepEqual([...CIFAR100_STD], [0.2675, 0.2565, 0.2761]);
  // net_size 0.5 (the scripts' ShuffleNetV2(net_size=0.5)): stages 48/96/192.
  assert.deepEqual(SHUFFLENETV2_CONFIGS[0.5].outChannels.slice(0, 3), [48, 96, 192]);
});

/**
 * The model zoo's entry point: {@link createModel} builds a model by name, {@link listModels}
 * says what exists and how many trainable parameters each has.
 *
 * Names are spelled as the reference CIFAR zoo spells them (`ResNet18`, `VGG16`,
 * `densenet_cifar`, `MobileNetV2`, ...) and matched ignoring case and the separators
 * `-`, `_` and spaces (`resnet-18`, `RESNET18` and `ResNet18` are the same model).
 * The GAF training scripts' spellings `MobileV1` and `MobileV2` are accepted as aliases.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { buildCifarResNet, CifarResNetDepth } from './cifar-resnet';
import { buildDenseNet } from './densenet';
import { buildDpn, DPN26 } from './dpn';
import { buildEfficientNetB0 } from './efficientnet';
import { buildGoogLeNet } from './googlenet';
import { buildImageNetResNet } from './imagenet-resnet';
import { BuildOptions, INIT_MODES, InitMode } from './layers';
import { buildLeNet } from './lenet';
import { buildMobileNet } from './mobilenet';
import { buildMobileNetV2 } from './mobilenetv2';
import { buildPreActResNet } from './preact-resnet';
import { buildRegNet, REGNETX_200MF } from './regnet';
import { buildResNet, ResNetDepth } from './resnet';
import { buildResNeXt29 } from './resnext';
import { buildSENet18 } from './senet';
import { buildSeResNet } from './se-resnet';
import { buildShuffleNetV2 } from './shufflenetv2';
import { buildSmallCnn } from './small-cnn';
import { buildVgg, VggDepth } from './vgg';

/** Options of {@link createModel}. Every field is optional. */
export interface CreateModelOptions {
  /** Number of classes (size of the logits). Default: the model's (10; 1000 for ImageNet ResNets). */
  numClasses?: number;
  /** Input [height, width, channels]. Default: the model's ([32,32,3]; [28,28,1] for smallcnn; [224,224,3] for ImageNet ResNets). */
  inputShape?: [number, number, number];
  /** `'pytorch'` (default; PyTorch's default init), `'glorot'` (tfjs defaults) or `'torchvision'` (its ResNet init); see {@link InitMode}. */
  init?: InitMode;
  /** Seed for reproducible weight initialisation. Default: unseeded. */
  seed?: number;
}

/** What {@link listModels} reports about one model. */
export interface ModelInfo {
  /** Canonical name (the reference's spelling). */
  name: string;
  /** Source file / architecture family, e.g. `resnet`, `vgg`. */
  family: string;
  /** Trainable parameters with 10 classes at the default input shape. */
  params10: number;
  /** Trainable parameters with 100 classes at the default input shape. */
  params100: number;
  /** One line on the architecture and its origin. */
  description: string;
  /** Default input shape [height, width, channels]. */
  inputShape: [number, number, number];
  /** Default number of classes. */
  numClasses: number;
}

interface ModelEntry extends ModelInfo {
  build: (opts: BuildOptions) => tf.LayersModel;
}

/** Other spellings accepted for a model (the GAF training scripts' `--arch` values). */
const ALIASES: Record<string, string> = {
  MobileV1: 'MobileNet',
  MobileV2: 'MobileNetV2',
};

const CIFAR: [number, number, number] = [32, 32, 3];

/**
 * Every model with its cached parameter counts. The counts are what building gives
 * (test/models-params.test.ts builds each model and checks them against this table, against
 * the counts of the authors' PyTorch models and against hand derivations).
 */
const ENTRIES: ModelEntry[] = [
  cifar('LeNet', 'lenet', 62006, 69656, 'LeNet-5 style: conv6-conv16 (5x5, ReLU, maxpool) fc120-fc84-fc', buildLeNet),
  ...([11, 13, 16, 19] as VggDepth[]).map((d, i) =>
    cifar(
      `VGG${d}`,
      'vgg',
      [9231114, 9416010, 14728266, 20040522][i],
      [9277284, 9462180, 14774436, 20086692][i],
      `VGG-${d} with BN, conv bias, single Linear(512) head`,
      (o) => buildVgg(d, o),
    ),
  ),
  ...([18, 34, 50, 101, 152] as ResNetDepth[]).map((d, i) =>
    cifar(
      `ResNet${d}`,
      'resnet',
      [11173962, 21282122, 23520842, 42512970, 58156618][i],
      [11220132, 21328292, 23705252, 42697380, 58341028][i],
      `ResNet-${d} for CIFAR (3x3 stem, ${d < 50 ? 'basic' : 'bottleneck'} blocks, 1x1 conv+BN projection shortcuts)`,
      (o) => buildResNet(d, o),
    ),
  ),
  cifar('PreActResNet18', 'preact-resnet', 11171146, 11217316, 'pre-activation ResNet-18 (bare 1x1 conv projection shortcuts)', (o) =>
    buildPreActResNet([2, 2, 2, 2], o),
  ),
  cifar('DenseNet121', 'densenet', 6956298, 7048548, 'DenseNet-BC-121, growth 32, compression 0.5', (o) =>
    buildDenseNet({ blocks: [6, 12, 24, 16], growth: 32 }, o, 'DenseNet121'),
  ),
  cifar('densenet_cifar', 'densenet', 1000618, 1035268, 'DenseNet-BC-121 layout with growth 12', (o) =>
    buildDenseNet({ blocks: [6, 12, 24, 16], growth: 12 }, o, 'densenet_cifar'),
  ),
  cifar('MobileNet', 'mobilenet', 3217226, 3309476, 'MobileNet v1, 13 depthwise-separable blocks, stride-1 stem', buildMobileNet),
  cifar('MobileNetV2', 'mobilenetv2', 2296922, 2412212, 'MobileNetV2 with the CIFAR strides of the reference', buildMobileNetV2),
  cifar('GoogLeNet', 'googlenet', 6166250, 6258500, 'Inception v1 with BN, 3x3 stem, stacked-3x3 "5x5" branch', buildGoogLeNet),
  cifar(
    'ShuffleNetV2',
    'shufflenetv2',
    352042,
    444292,
    'ShuffleNetV2 net_size 0.5 (48/96/192 channels, 1024-wide head), the size the GAF scripts train',
    (o) => buildShuffleNetV2(0.5, o),
  ),
  cifar(
    'ShuffleNetV2_head24',
    'shufflenetv2',
    148042,
    150292,
    "ShuffleNetV2 net_size 0.5 with the 24-channel head conv of the GAF authors' CIFAR-100 model file",
    (o) => buildShuffleNetV2(0.5, o, 24, 'ShuffleNetV2_head24'),
  ),
  cifar('EfficientNetB0', 'efficientnet', 3598598, 3627488, 'EfficientNet-B0 MBConv+SE, swish, no 1280 head conv', buildEfficientNetB0),
  cifar('RegNetX_200MF', 'regnet', 2321946, 2355156, 'RegNetX-200MF (group width 8), stride-1 stem', (o) =>
    buildRegNet(REGNETX_200MF, o, 'RegNetX_200MF'),
  ),
  cifar('SENet18', 'senet', 11260354, 11306524, 'pre-activation ResNet-18 with squeeze-excitation', buildSENet18),
  cifar('ResNeXt29_2x64d', 'resnext', 9128778, 9221028, 'ResNeXt-29, cardinality 2, bottleneck width 64', (o) => buildResNeXt29(2, 64, o)),
  cifar('DPN26', 'dpn', 11574842, 11793812, 'Dual Path Network 26 (32-group 3x3 convs)', (o) => buildDpn(DPN26, o, 'DPN26')),
  ...([20, 32, 44, 56, 110] as CifarResNetDepth[]).map((d, i) =>
    cifar(
      `resnet${d}`,
      'cifar-resnet',
      [269722, 464154, 658586, 853018, 1727962][i],
      [275572, 470004, 664436, 858868, 1733812][i],
      `He et al. 2016 CIFAR ResNet-${d} (16/32/64 filters, parameter-free option-A shortcuts)`,
      (o) => buildCifarResNet(d, o),
    ),
  ),
  {
    name: 'smallcnn',
    family: 'small-cnn',
    params10: 50282,
    params100: 332612,
    description: 'conv32-BN-ReLU-pool-conv64-BN-ReLU-pool-dense for Fashion-MNIST (also runs on 32x32x3)',
    inputShape: [28, 28, 1],
    numClasses: 10,
    build: buildSmallCnn,
  },
  {
    name: 'imagenet_resnet18',
    family: 'imagenet-resnet',
    params10: 11181642,
    params100: 11227812,
    description: 'torchvision ResNet-18 for ImageNet (7x7/2 stem + maxpool); 11,689,512 params with 1000 classes',
    inputShape: [224, 224, 3],
    numClasses: 1000,
    build: (o) => buildImageNetResNet(18, o),
  },
  {
    name: 'imagenet_resnet34',
    family: 'imagenet-resnet',
    params10: 21289802,
    params100: 21335972,
    description: 'torchvision ResNet-34 for ImageNet (7x7/2 stem + maxpool); 21,797,672 params with 1000 classes',
    inputShape: [224, 224, 3],
    numClasses: 1000,
    build: (o) => buildImageNetResNet(34, o),
  },
  {
    name: 'imagenet_resnet50',
    family: 'imagenet-resnet',
    params10: 23528522,
    params100: 23712932,
    description: 'torchvision ResNet-50 for ImageNet (7x7/2 stem + maxpool); 25,557,032 params with 1000 classes',
    inputShape: [224, 224, 3],
    numClasses: 1000,
    build: (o) => buildImageNetResNet(50, o),
  },
  {
    name: 'imagenet_se_resnet18',
    family: 'se-resnet',
    params10: 11270722,
    params100: 11316892,
    description:
      'SE-ResNet-18 for ImageNet (torchvision ResNet-18 body, squeeze-excitation r=16 per block); 11,778,592 params with 1000 classes',
    inputShape: [224, 224, 3],
    numClasses: 1000,
    build: (o) => buildSeResNet(18, o),
  },
  {
    name: 'imagenet_se_resnet50',
    family: 'se-resnet',
    params10: 26059514,
    params100: 26243924,
    description:
      'SE-ResNet-50 for ImageNet (torchvision ResNet-50 body, squeeze-excitation r=16 per block); 28,088,024 params with 1000 classes',
    inputShape: [224, 224, 3],
    numClasses: 1000,
    build: (o) => buildSeResNet(50, o),
  },
];

function cifar(
  name: string,
  family: string,
  params10: number,
  params100: number,
  description: string,
  build: (o: BuildOptions) => tf.LayersModel,
): ModelEntry {
  return { name, family, params10, params100, description, inputShape: CIFAR, numClasses: 10, build };
}

/** Lower case without `-`, `_` or spaces: the key names are matched by. */
export function normalizeModelName(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

const BY_KEY = new Map<string, ModelEntry>(ENTRIES.map((e) => [normalizeModelName(e.name), e]));
for (const [alias, target] of Object.entries(ALIASES)) {
  const entry = BY_KEY.get(normalizeModelName(target));
  if (entry) BY_KEY.set(normalizeModelName(alias), entry);
}

/** Every model: name, family, cached parameter counts (10 and 100 classes), description, defaults. */
export function listModels(): ModelInfo[] {
  return ENTRIES.map(({ build: _build, ...info }) => ({ ...info, inputShape: [...info.inputShape] }));
}

/** Canonical names of every model, in listing order. */
export function modelNames(): string[] {
  return ENTRIES.map((e) => e.name);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The canonical name closest to `name` (edit distance on normalised names). */
export function closestModelName(name: string): string {
  const key = normalizeModelName(name);
  let best = ENTRIES[0].name;
  let bestD = Infinity;
  for (const e of ENTRIES) {
    const d = editDistance(key, normalizeModelName(e.name));
    if (d < bestD) {
      bestD = d;
      best = e.name;
    }
  }
  return best;
}

function findEntry(name: unknown): ModelEntry {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new Error(
      `createModel: the model name must be a non-empty string, got ${JSON.stringify(name)}. ` + `Valid names: ${modelNames().join(', ')}`,
    );
  }
  const entry = BY_KEY.get(normalizeModelName(name));
  if (!entry) {
    throw new Error(
      `createModel: unknown model "${name}". Did you mean "${closestModelName(name)}"? ` +
        `Valid names (case-insensitive): ${modelNames().join(', ')}`,
    );
  }
  return entry;
}

const OPTION_KEYS = new Set(['numClasses', 'inputShape', 'init', 'seed']);

function resolveOptions(entry: ModelEntry, options: CreateModelOptions): BuildOptions {
  if (options === null || typeof options !== 'object') {
    throw new Error(`createModel("${entry.name}"): options must be an object, got ${JSON.stringify(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.has(k)) {
      throw new Error(`createModel("${entry.name}"): unknown option "${k}"; valid options: ${[...OPTION_KEYS].join(', ')}`);
    }
  }
  const numClasses = options.numClasses ?? entry.numClasses;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`createModel("${entry.name}"): numClasses must be a positive integer, got ${String(numClasses)}`);
  }
  const inputShape = options.inputShape ?? entry.inputShape;
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(
      `createModel("${entry.name}"): inputShape must be [height, width, channels] of positive ` +
        `integers (NHWC without the batch), got ${JSON.stringify(inputShape)}`,
    );
  }
  const init = options.init ?? 'pytorch';
  if (!(INIT_MODES as readonly string[]).includes(init)) {
    throw new Error(
      `createModel("${entry.name}"): init must be one of ${INIT_MODES.map((m) => `"${m}"`).join(', ')}, got ${JSON.stringify(init)}`,
    );
  }
  if (options.seed !== undefined && !Number.isFinite(options.seed)) {
    throw new Error(`createModel("${entry.name}"): seed must be a finite number, got ${String(options.seed)}`);
  }
  return { numClasses, inputShape: [inputShape[0], inputShape[1], inputShape[2]], init, seed: options.seed };
}

function assertPositiveShapes(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as (number | null)[][];
    for (const s of shapes) {
      if (s.some((d) => d != null && d < 1)) {
        throw new Error(`layer "${layer.name}" would output shape [${s.map((d) => d ?? 'N').join(', ')}]`);
      }
    }
  }
}

/**
 * Builds a fresh, untrained model by name (see {@link listModels} for the names).
 * The model maps a float32 NHWC batch to logits (no softmax); compile it or train it with
 * a custom loop. The caller owns it: call `model.dispose()` when done.
 * @throws on an unknown name (with the closest valid name and the full list), on invalid
 *   options, or when the input is too small for the architecture's down-sampling.
 */
export function createModel(name: string, options: CreateModelOptions = {}): tf.LayersModel {
  const entry = findEntry(name);
  const opts = resolveOptions(entry, options);
  let model: tf.LayersModel | undefined;
  try {
    model = entry.build(opts);
    assertPositiveShapes(model);
    return model;
  } catch (err) {
    model?.dispose();
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(
      `createModel("${entry.name}"): cannot build it for inputShape [${opts.inputShape.join(', ')}]: ` +
        `${msg}. Its default input is [${entry.inputShape.join(', ')}]; use a larger input.`,
    );
  }
}

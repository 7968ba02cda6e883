/**
 * The detector: CenterNet ("Objects as Points", Zhou et al. 2019), a single-stage anchor-free
 * design chosen because it needs no anchors, no IoU matching and (in principle) no NMS, so its
 * every part is small and testable, and it trains well from scratch on small inputs.
 *
 * The network maps a square input of `size` pixels to a map of `size / 4` cells with
 * `classes + 4` channels per cell: a heatmap logit per class (an object's centre is a peak),
 * then the centre's sub-cell offset (x, y) and the box's log width and log height in cells.
 *
 * - Targets: each object puts a Gaussian on its class's heatmap around its centre cell (peak 1;
 *   standard deviations box width / 6 and height / 6 times 0.54, TTFNet's elliptical form);
 *   where Gaussians meet the larger value wins. The centre cell also gets the offset and the log
 *   size. Difficult objects are not trained on (they are not scored either).
 * - Loss: the penalty-reduced focal loss on the heatmap (alpha 2, beta 4) plus L1 on offset and
 *   log size at centre cells, each divided by the number of objects.
 * - Decoding: heatmap peaks (a cell equal to the maximum of its 3x3 neighbourhood), the top K
 *   over classes and cells, boxes from offset and size, then per-class NMS.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { NetBuilder, type Sym } from '../models/layers';
import { RESNET_CONFIGS, resnetStages } from '../models/resnet';
import { nmsPerClass, type EdgeBox, type ScoredBox } from './geometry';

/** Backbones the detector can be built on. */
export const DETECTOR_BACKBONES = ['tiny', 'resnet18'] as const;
/** One of {@link DETECTOR_BACKBONES}. */
export type DetectorBackbone = (typeof DETECTOR_BACKBONES)[number];

/** Input pixels per output cell. */
export const OUTPUT_STRIDE = 4;

/** Heatmap bias at initialisation: sigmoid(-2.19) = 0.1, so early training is not swamped by negatives. */
const HEAT_PRIOR_BIAS = -2.19;
/** Gaussian standard deviation per box side, as a fraction of side / 6. */
const GAUSSIAN_ALPHA = 0.54;

/** What {@link buildDetector} builds. */
export interface DetectorSpec {
  backbone: DetectorBackbone;
  numClasses: number;
  /** Side of the square input in pixels; a multiple of 32 for resnet18, of 16 for tiny. */
  inputSize: number;
  seed?: number;
}

function tinyBackbone(b: NetBuilder, input: Sym): Sym {
  const c1 = b.convBnRelu(input, { filters: 16, kernel: 3, stride: 2, padding: 1, name: 'tiny_c1' });
  const c2 = b.convBnRelu(c1, { filters: 32, kernel: 3, padding: 1, name: 'tiny_c2' });
  const c3 = b.convBnRelu(c2, { filters: 48, kernel: 3, stride: 2, padding: 1, name: 'tiny_c3' });
  const c4 = b.convBnRelu(c3, { filters: 48, kernel: 3, padding: 1, name: 'tiny_c4' });
  const c5 = b.convBnRelu(c4, { filters: 64, kernel: 3, stride: 2, padding: 1, name: 'tiny_c5' });
  const c6 = b.convBnRelu(c5, { filters: 64, kernel: 3, padding: 1, name: 'tiny_c6' });
  // The stride-8 features, brought back to stride 4 and joined with the finer ones.
  const up = tf.layers.upSampling2d({ size: [2, 2], name: 'tiny_up' }).apply(c6) as Sym;
  return b.convBnRelu(b.concat([c4, up], 'tiny_join'), { filters: 64, kernel: 3, padding: 1, name: 'tiny_fuse' });
}

/** ImageNet ResNet-18 (layer names as in the model zoo, so its weights can be loaded) and three 2x upsampling stages to stride 4. */
function resnet18Backbone(b: NetBuilder, input: Sym): Sym {
  let x = b.convBnRelu(input, { filters: 64, kernel: 7, stride: 2, padding: 3, name: 'conv1' });
  x = b.maxPool(x, 3, 2, 1, 'maxpool');
  x = resnetStages(b, x, RESNET_CONFIGS[18].kind, RESNET_CONFIGS[18].blocks);
  [256, 128, 64].forEach((filters, i) => {
    x = tf.layers.upSampling2d({ size: [2, 2], name: `neck_up${i + 1}` }).apply(x) as Sym;
    x = b.convBnRelu(x, { filters, kernel: 3, padding: 1, name: `neck_conv${i + 1}` });
  });
  return x;
}

/** The detector as one layers model: input `[size, size, 3]`, output `[size/4, size/4, classes + 4]`. */
export function buildDetector(spec: DetectorSpec): tf.LayersModel {
  const { backbone, numClasses, inputSize } = spec;
  const multiple = backbone === 'resnet18' ? 32 : 16;
  if (!Number.isInteger(inputSize) || inputSize < multiple || inputSize % multiple !== 0) {
    throw new Error(`detector: inputSize must be a positive multiple of ${multiple} for backbone ${backbone}, got ${inputSize}.`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new Error(`detector: numClasses must be a positive integer, got ${numClasses}.`);
  if (!DETECTOR_BACKBONES.includes(backbone))
    throw new Error(`detector: backbone must be one of ${DETECTOR_BACKBONES.join(', ')}, got ${JSON.stringify(backbone)}.`);
  const b = new NetBuilder({ seed: spec.seed });
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input' });
  const features = backbone === 'tiny' ? tinyBackbone(b, input) : resnet18Backbone(b, input);
  const width = backbone === 'tiny' ? 64 : 64;
  const seed = spec.seed;
  const headIn = (name: string): Sym =>
    tf.layers
      .conv2d({
        filters: width,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name,
        kernelInitializer: tf.initializers.heNormal({ seed }),
      })
      .apply(features) as Sym;
  const heat = tf.layers
    .conv2d({
      filters: numClasses,
      kernelSize: 1,
      name: 'head_heatmap',
      kernelInitializer: tf.initializers.randomNormal({ stddev: 0.01, seed }),
      biasInitializer: tf.initializers.constant({ value: HEAT_PRIOR_BIAS }),
    })
    .apply(headIn('head_heatmap_conv')) as Sym;
  const reg = tf.layers
    .conv2d({ filters: 4, kernelSize: 1, name: 'head_box', kernelInitializer: tf.initializers.randomNormal({ stddev: 0.01, seed }) })
    .apply(headIn('head_box_conv')) as Sym;
  const out = tf.layers.concatenate({ axis: -1, name: 'head' }).apply([heat, reg]) as Sym;
  return tf.model({ inputs: input, outputs: out, name: `centernet_${backbone}` });
}

/** An object in input coordinates (continuous edges). */
export interface InputObject {
  classIndex: number;
  box: EdgeBox;
  difficult: boolean;
}

/** Training targets of one image, laid out like the output map (row-major cells). */
export interface ImageTargets {
  /** cells * classes values in [0, 1]; exactly 1 at centre cells. */
  heat: Float32Array;
  /** cells * 4: offset x, offset y, log width, log height (in cells) at centre cells. */
  box: Float32Array;
  /** cells: 1 at centre cells. */
  mask: Float32Array;
}

/** The targets of one image's objects on a `mapSize` x `mapSize` output (see the module comment). */
export function encodeTargets(objects: readonly InputObject[], numClasses: number, mapSize: number, stride = OUTPUT_STRIDE): ImageTargets {
  const cells = mapSize * mapSize;
  const heat = new Float32Array(cells * numClasses);
  const box = new Float32Array(cells * 4);
  const mask = new Float32Array(cells);
  for (const o of objects) {
    if (o.difficult) continue;
    const w = (o.box[2] - o.box[0]) / stride;
    const h = (o.box[3] - o.box[1]) / stride;
    if (!(w > 0 && h > 0)) continue;
    const cx = (o.box[0] + o.box[2]) / 2 / stride;
    const cy = (o.box[1] + o.box[3]) / 2 / stride;
    const ix = Math.min(mapSize - 1, Math.max(0, Math.floor(cx)));
    const iy = Math.min(mapSize - 1, Math.max(0, Math.floor(cy)));
    const sx = Math.max(1e-3, (GAUSSIAN_ALPHA * w) / 6);
    const sy = Math.max(1e-3, (GAUSSIAN_ALPHA * h) / 6);
    const rx = Math.ceil(3 * sx);
    const ry = Math.ceil(3 * sy);
    for (let y = Math.max(0, iy - ry); y <= Math.min(mapSize - 1, iy + ry); y++) {
      for (let x = Math.max(0, ix - rx); x <= Math.min(mapSize - 1, ix + rx); x++) {
        const g = Math.exp(-((x - ix) ** 2) / (2 * sx * sx) - (y - iy) ** 2 / (2 * sy * sy));
        const k = (y * mapSize + x) * numClasses + o.classIndex;
        if (g > heat[k]!) heat[k] = g;
      }
    }
    const c = iy * mapSize + ix;
    heat[c * numClasses + o.classIndex] = 1;
    box.set([cx - ix, cy - iy, Math.log(w), Math.log(h)], c * 4);
    mask[c] = 1;
  }
  return { heat, box, mask };
}

/** The parts of the loss, each a scalar (the caller disposes them). */
export interface DetectionLoss {
  total: tf.Scalar;
  heatmap: tf.Scalar;
  box: tf.Scalar;
}

/**
 * The loss of a batch: focal loss on the heatmap logits plus L1 on the box channels at centre
 * cells, both divided by the number of objects (at least 1). `heat` `[n, m, m, classes]`,
 * `box` `[n, m, m, 4]`, `mask` `[n, m, m, 1]`.
 */
export function detectionLoss(output: tf.Tensor4D, heat: tf.Tensor4D, box: tf.Tensor4D, mask: tf.Tensor4D): DetectionLoss {
  return tf.tidy(() => {
    const classes = heat.shape[3];
    const logits = output.slice([0, 0, 0, 0], [-1, -1, -1, classes]);
    const predBox = output.slice([0, 0, 0, classes], [-1, -1, -1, 4]);
    const p = tf.sigmoid(logits);
    const logP = tf.neg(tf.softplus(tf.neg(logits)));
    const log1mP = tf.neg(tf.softplus(logits));
    const pos = tf.cast(tf.equal(heat, 1), 'float32');
    const neg = tf.sub(1, pos);
    const posTerm = tf.mul(tf.mul(tf.square(tf.sub(1, p)), logP), pos);
    const negWeight = tf.pow(tf.sub(1, heat), 4);
    const negTerm = tf.mul(tf.mul(tf.mul(tf.square(p), log1mP), negWeight), neg);
    const count = tf.maximum(tf.sum(mask), 1);
    const heatmap = tf.div(tf.neg(tf.add(tf.sum(posTerm), tf.sum(negTerm))), count) as tf.Scalar;
    const boxLoss = tf.div(tf.sum(tf.mul(tf.abs(tf.sub(predBox, box)), mask)), count) as tf.Scalar;
    return { total: tf.add(heatmap, boxLoss) as tf.Scalar, heatmap, box: boxLoss };
  });
}

/** Options of {@link decodeDetections}. */
export interface DecodeOptions {
  /** Peaks kept per image before NMS (default 100). */
  topK?: number;
  /** Peaks below this score are dropped (default 0.01). */
  minScore?: number;
  /** Per-class NMS IoU threshold (default 0.5). */
  nmsIoU?: number;
}

/** Boxes in input coordinates per image of a batch's output `[n, m, m, classes + 4]`. */
export function decodeDetections(
  output: tf.Tensor4D,
  numClasses: number,
  options: DecodeOptions = {},
  stride = OUTPUT_STRIDE,
): ScoredBox[][] {
  const [n, m] = output.shape;
  const k = Math.min(options.topK ?? 100, m * m * numClasses);
  const minScore = options.minScore ?? 0.01;
  const [values, indices, boxes] = tf.tidy(() => {
    const heat = tf.sigmoid(output.slice([0, 0, 0, 0], [-1, -1, -1, numClasses]));
    const pooled = tf.maxPool(heat, 3, 1, 'same');
    const peaks = tf.mul(heat, tf.cast(tf.equal(heat, pooled), 'float32'));
    const top = tf.topk(peaks.reshape([n, m * m * numClasses]), k);
    return [top.values, top.indices, output.slice([0, 0, 0, numClasses], [-1, -1, -1, 4])];
  });
  const v = values.dataSync();
  const idx = indices.dataSync();
  const b = boxes.dataSync();
  tf.dispose([values, indices, boxes]);
  const out: ScoredBox[][] = [];
  for (let i = 0; i < n; i++) {
    const found: ScoredBox[] = [];
    for (let j = 0; j < k; j++) {
      const score = v[i * k + j]!;
      if (score < minScore) break;
      const flat = idx[i * k + j]!;
      const classIndex = flat % numClasses;
      const cell = (flat - classIndex) / numClasses;
      const x = cell % m;
      const y = (cell - x) / m;
      const o = (i * m * m + cell) * 4;
      const cx = (x + b[o]!) * stride;
      const cy = (y + b[o + 1]!) * stride;
      const w = Math.exp(Math.min(10, b[o + 2]!)) * stride;
      const h = Math.exp(Math.min(10, b[o + 3]!)) * stride;
      found.push({ classIndex, score, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
    }
    out.push(nmsPerClass(found, options.nmsIoU ?? 0.5));
  }
  return out;
}

/**
 * Vanishing and exploding gradients in deep plain MLPs on flattened images: how the gradient
 * norm of each layer depends on depth, activation and initialisation, and what a GAF does to
 * the per-layer gradients during training (through the optimizer's `observeGradients`).
 *
 * Why depth matters: back-propagation multiplies the gradient by W_k^T diag(act'(z_k)) once
 * per layer. With weights N(0, (s/sqrt(fan_in))^2) the typical gain per layer is about
 * s*E[act'] (times 1/sqrt 2 for ReLU, which zeroes half the units), so the first layers'
 * gradients scale like that gain to the power depth: they vanish when it is below 1 (small
 * init, or sigmoid, whose derivative is at most 1/4) and explode when it is above 1 (large
 * init with ReLU). A GAF multiplies tiny components by up to g'(0) = alpha*beta and caps large
 * ones at sup|g|: it rescales each layer's step but cannot undo a factor gain^depth much larger
 * or smaller than alpha*beta.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradientStats, ObserveOptions } from '../optim/observe';
import { accuracyOf, batchOrder, checkFlatData, softmaxCrossEntropy, type FlatData } from './flat-data';
import { checkNum, checkOneOf, fail } from './validate';

/** Hidden-layer activations of {@link deepMlp}. */
export type DeepActivation = 'sigmoid' | 'tanh' | 'relu';
/** Initialisations of {@link deepMlp}. */
export type DeepInit = 'small' | 'large' | 'glorot';

/** Default weight scale s (weights N(0, (s/sqrt(fan_in))^2)) of the `small` and `large` inits. */
export const DEEP_INIT_SCALES: Readonly<Record<'small' | 'large', number>> = Object.freeze({ small: 0.1, large: 4 });

/** Options of {@link deepMlp}. */
export interface DeepMlpOptions {
  /** Hidden layers (>= 1). */
  depth: number;
  /** Units per hidden layer (>= 1). */
  width: number;
  activation: DeepActivation;
  /**
   * `glorot`: tfjs's glorotUniform (variance 2/(fan_in+fan_out), the sane default);
   * `small`: N(0, (s/sqrt(fan_in))^2) with s = {@link DEEP_INIT_SCALES}.small (0.1): vanishing;
   * `large`: the same with s = 4: exploding (ReLU) or saturating (sigmoid/tanh).
   */
  init: DeepInit;
  /** Overrides s of the `small`/`large` inits. */
  scale?: number;
  /** Input features (default 784: flattened 28x28 images). */
  inputSize?: number;
  /** Output classes (default 10). */
  classes?: number;
  /** Seed of the weight initialisers (default 0). */
  seed?: number;
}

/**
 * A plain MLP: `depth` dense hidden layers of `width` units named `h1..h<depth>` and a linear
 * output layer `out` producing logits. Biases start at zero.
 *
 * @example deepMlp({depth: 20, width: 64, activation: 'sigmoid', init: 'glorot'})
 */
export function deepMlp(options: DeepMlpOptions): tf.Sequential {
  const where = 'deepMlp';
  if (options === null || typeof options !== 'object') fail(where, 'options', options, "an object like {depth: 10, width: 64, activation: 'tanh', init: 'glorot'}");
  const depth = checkNum(where, 'depth', options.depth, { min: 1, integer: true, hint: 'Number of hidden layers, e.g. 10.' });
  const width = checkNum(where, 'width', options.width, { min: 1, integer: true });
  const activation = checkOneOf(where, 'activation', options.activation, ['sigmoid', 'tanh', 'relu'] as const);
  const init = checkOneOf(where, 'init', options.init, ['small', 'large', 'glorot'] as const);
  const inputSize = checkNum(where, 'inputSize', options.inputSize ?? 784, { min: 1, integer: true });
  const classes = checkNum(where, 'classes', options.classes ?? 10, { min: 2, integer: true });
  const seed = checkNum(where, 'seed', options.seed ?? 0, { integer: true, min: 0 });
  const scale = init === 'glorot' ? 0 : checkNum(where, 'scale', options.scale ?? DEEP_INIT_SCALES[init], { min: 0, minOpen: true });
  const kernel = (fanIn: number, k: number): ReturnType<typeof tf.initializers.glorotUniform> =>
    init === 'glorot' ? tf.initializers.glorotUniform({ seed: seed * 1009 + k }) : tf.initializers.randomNormal({ mean: 0, stddev: scale / Math.sqrt(fanIn), seed: seed * 1009 + k });
  const model = tf.sequential();
  for (let i = 1; i <= depth; i++) {
    const fanIn = i === 1 ? inputSize : width;
    model.add(
      tf.layers.dense({
        units: width,
        activation,
        name: `h${i}`,
        kernelInitializer: kernel(fanIn, i),
        biasInitializer: 'zeros',
        ...(i === 1 ? { inputShape: [inputSize] } : {}),
      }),
    );
  }
  model.add(tf.layers.dense({ units: classes, name: 'out', kernelInitializer: kernel(width, depth + 1), biasInitializer: 'zeros' }));
  return model;
}

/** Which layer a variable belongs to. */
interface VariableInfo {
  /** 1-based layer index (the output layer is depth+1). */
  layer: number;
  layerName: string;
  /** `kernel` or `bias`. */
  param: string;
}

function variableMap(model: tf.LayersModel): Map<string, VariableInfo> {
  const m = new Map<string, VariableInfo>();
  model.layers.forEach((layer, i) => {
    for (const w of layer.trainableWeights) {
      const original = w.originalName;
      m.set((w.read() as tf.Variable).name, { layer: i + 1, layerName: layer.name, param: original.slice(original.lastIndexOf('/') + 1) });
    }
  });
  return m;
}

/** One variable's gradient at one point. */
export interface LayerGradientRow {
  layer: number;
  layerName: string;
  param: string;
  /** tfjs variable name. */
  variable: string;
  size: number;
  /** Euclidean norm of the gradient. */
  l2: number;
  /** l2/sqrt(size): comparable across layers of different sizes. */
  rms: number;
  maxAbs: number;
  /** Fraction of components with |g| < tinyThreshold. */
  tinyFraction: number;
}

/**
 * Per-layer gradient of the mean cross-entropy on one batch, at the model's current weights
 * (typically at initialisation): rows ordered from the first layer to the output layer.
 */
export function gradientNormsByLayer(model: tf.LayersModel, batch: FlatData | { x: tf.Tensor2D; y: tf.Tensor1D }, options: { tinyThreshold?: number } = {}): LayerGradientRow[] {
  const where = 'gradientNormsByLayer';
  checkFlatData(where, batch as FlatData, model.inputs[0]?.shape[1] ?? undefined);
  const threshold = checkNum(where, 'tinyThreshold', options.tinyThreshold ?? 1e-3, { min: 0, minOpen: true });
  const info = variableMap(model);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const stats = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => softmaxCrossEntropy(model.apply(batch.x, { training: true }) as tf.Tensor, batch.y), vars);
    const parts = vars.map((v) => {
      const g = grads[v.name]!;
      const a = tf.abs(g);
      return tf.stack([tf.sqrt(tf.sum(tf.square(g))), tf.max(a), tf.mean(tf.cast(tf.less(a, threshold), 'float32'))]);
    });
    return tf.concat(parts).dataSync();
  });
  return vars
    .map((v, i) => {
      const inf = info.get(v.name) ?? { layer: i + 1, layerName: v.name, param: '' };
      const l2 = stats[3 * i]!;
      return { ...inf, variable: v.name, size: v.size, l2, rms: l2 / Math.sqrt(v.size), maxAbs: stats[3 * i + 1]!, tinyFraction: stats[3 * i + 2]! };
    })
    .sort((a, b) => a.layer - b.layer || a.param.localeCompare(b.param));
}

/** An optimizer that reports gradient statistics (gaf-lab's `sgd`, `adam`, `withGaf`, ...). */
export type ObservableOptimizer = tf.Optimizer & { observeGradients(options: ObserveOptions): () => void };

/** Options of {@link trainWithStats}. */
export interface TrainWithStatsOptions {
  model: tf.LayersModel;
  /** A fresh gaf-lab optimizer; it is not disposed here (the caller may inspect it). */
  optimizer: ObservableOptimizer;
  /** Training data (minibatches are drawn from it in a seeded order). */
  data: FlatData;
  /** Minibatch size (default 64). */
  batchSize?: number;
  /** Optimizer steps (default 200). */
  steps: number;
  /** Record gradient statistics every k-th step (default 10; step 1 is always recorded). */
  every?: number;
  /** |g| below this counts as tiny (default 1e-3). */
  tinyThreshold?: number;
  /** Seed of the batch order (default 0). */
  seed?: number;
  /** Data on which loss and accuracy are measured at step 0 and at the end (default `data`). */
  evalData?: FlatData;
}

/** Gradient statistics of one variable at one step (field names as `gradNormSpec` expects). */
export interface LayerStatsRow {
  step: number;
  layer: number;
  layerName: string;
  param: string;
  variable: string;
  rawL2: number;
  actL2: number;
  rawMaxAbs: number;
  actMaxAbs: number;
  rawTinyFraction: number;
  actTinyFraction: number;
  /** Minibatch loss of this step (before its update). */
  loss: number;
}

/** Minibatch loss of one step. */
export interface StepLossRow {
  step: number;
  loss: number;
}

/** What {@link trainWithStats} returns. */
export interface TrainWithStatsResult {
  stats: LayerStatsRow[];
  losses: StepLossRow[];
  /** True when the loss became non-finite (training stopped there). */
  diverged: boolean;
  /** Steps completed. */
  steps: number;
  /** Full-set loss and accuracy on `evalData` before training and at the end. */
  initial: { loss: number; accuracy: number };
  final: { loss: number; accuracy: number };
}

/** Mean cross-entropy and accuracy of `model` on `data`, in chunks of 1000 to bound memory. */
export function evaluateModel(model: tf.LayersModel, data: FlatData): { loss: number; accuracy: number } {
  let lossSum = 0;
  let hits = 0;
  const n = data.x.shape[0];
  for (let i = 0; i < n; i += 1000) {
    const k = Math.min(1000, n - i);
    const [l, a] = tf.tidy(() => {
      const xb = data.x.slice([i, 0], [k, -1]);
      const yb = data.y.slice([i], [k]);
      const logits = model.apply(xb) as tf.Tensor;
      return [softmaxCrossEntropy(logits, yb).dataSync()[0]!, accuracyOf(logits, yb)];
    });
    lossSum += l! * k;
    hits += a! * k;
  }
  return { loss: lossSum / n, accuracy: hits / n };
}

/**
 * Minibatch training that records, per layer, the raw and activated gradient norms, largest
 * components and tiny fractions reported by the optimizer's `observeGradients`, and the loss of
 * every step. Stops at a non-finite loss.
 */
export function trainWithStats(options: TrainWithStatsOptions): TrainWithStatsResult {
  const where = 'trainWithStats';
  const { model, optimizer, data } = options;
  if (!model || typeof (model as tf.LayersModel).apply !== 'function') fail(where, 'model', typeof model, 'a tf.LayersModel (e.g. deepMlp(...))');
  if (!optimizer || typeof optimizer.observeGradients !== 'function') {
    fail(where, 'optimizer', optimizer?.getClassName?.() ?? typeof optimizer, 'a gaf-lab optimizer with observeGradients (sgd, adam, rmsprop, withGaf)');
  }
  checkFlatData(where, data, model.inputs[0]?.shape[1] ?? undefined);
  const steps = checkNum(where, 'steps', options.steps, { min: 1, integer: true });
  const batchSize = checkNum(where, 'batchSize', options.batchSize ?? 64, { min: 1, integer: true });
  const every = checkNum(where, 'every', options.every ?? 10, { min: 1, integer: true });
  const seed = checkNum(where, 'seed', options.seed ?? 0, { min: 0, integer: true });
  const evalData = options.evalData ?? data;
  checkFlatData(where, evalData, model.inputs[0]?.shape[1] ?? undefined);

  const info = variableMap(model);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const initial = evaluateModel(model, evalData);
  const stats: LayerStatsRow[] = [];
  const losses: StepLossRow[] = [];
  let pending: GradientStats[] = [];
  const stop = optimizer.observeGradients({ every, tinyThreshold: options.tinyThreshold, onStats: (s) => (pending = s) });
  let diverged = false;
  let step = 0;
  try {
    const n = data.x.shape[0];
    for (let epoch = 0; step < steps && !diverged; epoch++) {
      for (const idx of batchOrder(n, batchSize, seed, epoch)) {
        if (step >= steps) break;
        pending = [];
        const cost = tf.tidy(() => {
          const ids = tf.tensor1d(idx, 'int32');
          const xb = tf.gather(data.x, ids);
          const yb = tf.gather(data.y, ids);
          return optimizer.minimize(() => softmaxCrossEntropy(model.apply(xb, { training: true }) as tf.Tensor, yb), true, vars)!;
        });
        const loss = cost.dataSync()[0]!;
        cost.dispose();
        step++;
        losses.push({ step, loss });
        for (const s of pending) {
          const inf = info.get(s.variable) ?? { layer: 0, layerName: s.variable, param: '' };
          stats.push({
            step,
            ...inf,
            variable: s.variable,
            rawL2: s.raw.l2,
            actL2: s.activated.l2,
            rawMaxAbs: s.raw.maxAbs,
            actMaxAbs: s.activated.maxAbs,
            rawTinyFraction: s.raw.tinyFraction,
            actTinyFraction: s.activated.tinyFraction,
            loss,
          });
        }
        if (!Number.isFinite(loss)) {
          diverged = true;
          break;
        }
      }
    }
  } finally {
    stop();
  }
  return { stats, losses, diverged, steps: step, initial, final: evaluateModel(model, evalData) };
}

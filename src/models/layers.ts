/**
 * Building blocks shared by the model zoo: PyTorch-style convolution, batch norm and
 * linear layers expressed with tf.layers, with PyTorch's padding and (optionally) its
 * default initialisation.
 *
 * Why a builder instead of calling tf.layers directly in every family file:
 * - PyTorch pads symmetrically (`padding=p` on both sides). tfjs `'same'` pads
 *   asymmetrically when the stride is 2 (the extra row/column goes at the bottom/right, none
 *   at the top/left), which shifts the sampling grid. Parameter counts are unaffected, but a
 *   model whose weights were ported from PyTorch would compute something else. So every
 *   strided padded convolution/pool is built as `zeroPadding2d(p)` + `'valid'`; `'same'` is
 *   used only where it is provably identical (stride 1, odd kernel, p = (k-1)/2).
 * - PyTorch's default init for Conv2d/Linear is kaiming-uniform with a = sqrt(5), i.e.
 *   U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for the weight, and the same range for the bias.
 *   tfjs computes fanIn of a depthwise kernel [k,k,C,1] as k*k*C, where PyTorch uses k*k,
 *   so the bound is computed here from the layer's real fan-in rather than with
 *   `varianceScaling`.
 * - Batch norm follows PyTorch's defaults (eps 1e-5, running-stat momentum 0.1, which is
 *   tfjs momentum 0.9), instead of tfjs's (eps 1e-3, momentum 0.99).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { GroupedConv2D } from './custom-layers';
import { LeanBatchNormalization } from './lean-batch-norm';

/** A symbolic tensor flowing through a functional tf.LayersModel under construction. */
export type Sym = tf.SymbolicTensor;

/**
 * How weights are initialised.
 * - `'pytorch'` (default): PyTorch's defaults (conv/linear weight and bias uniform in
 *   ±1/sqrt(fanIn); BN gamma 1, beta 0).
 * - `'glorot'`: tfjs defaults (glorot-uniform kernels, zero biases).
 * - `'torchvision'`: torchvision's ResNet init: convolution weights normal with standard
 *   deviation sqrt(2 / fanOut), fanOut = k*k*filters (kaiming_normal, mode fan_out, ReLU);
 *   everything else as `'pytorch'`.
 */
export type InitMode = (typeof INIT_MODES)[number];

/** The {@link InitMode}s, default first. */
export const INIT_MODES = ['pytorch', 'glorot', 'torchvision'] as const;

/** tfjs does not export its Initializer class type by name. */
type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** Options common to every model builder. */
export interface BuildOptions {
  /** Number of output classes (logits, no softmax). */
  numClasses: number;
  /** Input shape [height, width, channels] (NHWC without the batch dimension). */
  inputShape: [number, number, number];
  /** Weight initialisation; default `'pytorch'`. */
  init?: InitMode;
  /** Seed for reproducible initialisation; each layer gets `seed + k` for its k-th initialiser. */
  seed?: number;
}

/** Options of {@link NetBuilder.conv}. PyTorch's Conv2d arguments, with its defaults. */
export interface ConvSpec {
  filters: number;
  kernel: number;
  stride?: number;
  /** PyTorch padding (both sides). Default 0. */
  padding?: number;
  /** PyTorch's default is bias=True; the zoo passes false before batch norm as the reference does. */
  bias?: boolean;
  groups?: number;
  name?: string;
}

function channelsOf(x: Sym): number {
  const c = x.shape[x.shape.length - 1];
  if (c == null) throw new Error(`internal: channel dimension of ${x.name} is unknown`);
  return c;
}

/**
 * Creates the layers of one model, keeping the initialisation mode and seed counter.
 * One builder per model; layer names are given by the family files and must be unique
 * within the model.
 */
export class NetBuilder {
  private readonly init: InitMode;
  private seedCounter: number | undefined;

  constructor(opts: Pick<BuildOptions, 'init' | 'seed'> = {}) {
    this.init = opts.init ?? 'pytorch';
    this.seedCounter = opts.seed;
  }

  private nextSeed(): number | undefined {
    if (this.seedCounter === undefined) return undefined;
    return this.seedCounter++;
  }

  /** PyTorch default init range for a layer with this fan-in, or tfjs default when 'glorot'. */
  private uniform(fanIn: number): Initializer {
    const bound = 1 / Math.sqrt(fanIn);
    return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.nextSeed() });
  }

  private kernelInit(fanIn: number): Initializer {
    return this.init === 'glorot' ? tf.initializers.glorotUniform({ seed: this.nextSeed() }) : this.uniform(fanIn);
  }

  /** A convolution's kernel: as {@link kernelInit}, or torchvision's kaiming_normal (fan_out). */
  private convKernelInit(fanIn: number, fanOut: number): Initializer {
    if (this.init !== 'torchvision') return this.kernelInit(fanIn);
    return tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / fanOut), seed: this.nextSeed() });
  }

  private biasInit(fanIn: number): Initializer {
    return this.init === 'glorot' ? tf.initializers.zeros() : this.uniform(fanIn);
  }

  /** Symmetric zero padding of height and width (PyTorch `padding=p`). */
  zeroPad(x: Sym, p: number, name?: string): Sym {
    if (p === 0) return x;
    return tf.layers
      .zeroPadding2d({
        padding: [
          [p, p],
          [p, p],
        ],
        name,
      })
      .apply(x) as Sym;
  }

  /**
   * PyTorch `nn.Conv2d(cin, filters, kernel, stride, padding, groups, bias)`.
   * groups = 1: tf.layers.conv2d; groups = cin = filters: depthwiseConv2d; otherwise the
   * {@link GroupedConv2D} layer. The weight count is k*k*(cin/groups)*filters (+ filters).
   */
  conv(x: Sym, spec: ConvSpec): Sym {
    const { filters, kernel } = spec;
    const stride = spec.stride ?? 1;
    const padding = spec.padding ?? 0;
    const useBias = spec.bias ?? true;
    const groups = spec.groups ?? 1;
    const cin = channelsOf(x);
    if (cin % groups !== 0 || filters % groups !== 0) {
      throw new Error(`conv ${spec.name ?? ''}: groups=${groups} must divide in=${cin} and out=${filters}`);
    }
    const fanIn = (cin / groups) * kernel * kernel;
    // PyTorch's fan_out of a [filters, cin/groups, k, k] weight, whatever the groups.
    const fanOut = filters * kernel * kernel;
    // 'same' equals PyTorch's symmetric padding only for stride 1 and p = (k-1)/2.
    const sameOk = stride === 1 && kernel % 2 === 1 && padding === (kernel - 1) / 2;
    let input = x;
    let pad: 'same' | 'valid' = 'valid';
    if (padding > 0) {
      if (sameOk) pad = 'same';
      else input = this.zeroPad(x, padding, spec.name ? `${spec.name}_pad` : undefined);
    }
    const common = {
      kernelSize: kernel,
      strides: stride,
      padding: pad,
      useBias,
      name: spec.name,
    };
    if (groups === 1) {
      return tf.layers
        .conv2d({
          ...common,
          filters,
          kernelInitializer: this.convKernelInit(fanIn, fanOut),
          biasInitializer: useBias ? this.biasInit(fanIn) : undefined,
        })
        .apply(input) as Sym;
    }
    if (groups === cin && filters === cin) {
      return tf.layers
        .depthwiseConv2d({
          ...common,
          depthMultiplier: 1,
          depthwiseInitializer: this.convKernelInit(fanIn, fanOut),
          biasInitializer: useBias ? this.biasInit(fanIn) : undefined,
        })
        .apply(input) as Sym;
    }
    return new GroupedConv2D({
      ...common,
      filters,
      groups,
      kernelInitializer: this.convKernelInit(fanIn, fanOut),
      biasInitializer: useBias ? this.biasInit(fanIn) : undefined,
    }).apply(input) as Sym;
  }

  /**
   * PyTorch `nn.BatchNorm2d` defaults: eps 1e-5, running stats updated with weight 0.1.
   * (PyTorch's running variance uses the unbiased batch variance, tfjs the biased one: this
   * only shifts evaluation-mode outputs slightly for small batches.)
   * The layer is tfjs's BatchNormalization with a leaner training step ({@link LeanBatchNormalization}).
   */
  bn(x: Sym, name?: string): Sym {
    return new LeanBatchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5, name }).apply(x) as Sym;
  }

  /** Element-wise activation (relu, sigmoid, swish, ...). */
  act(x: Sym, activation: 'relu' | 'sigmoid' | 'swish', name?: string): Sym {
    return tf.layers.activation({ activation, name }).apply(x) as Sym;
  }

  relu(x: Sym, name?: string): Sym {
    return this.act(x, 'relu', name);
  }

  /** conv -> BN, the unit every modern family repeats. */
  convBn(x: Sym, spec: ConvSpec): Sym {
    const y = this.conv(x, { bias: false, ...spec });
    return this.bn(y, spec.name ? `${spec.name}_bn` : undefined);
  }

  /** conv -> BN -> ReLU. */
  convBnRelu(x: Sym, spec: ConvSpec): Sym {
    return this.relu(this.convBn(x, spec), spec.name ? `${spec.name}_relu` : undefined);
  }

  add(xs: Sym[], name?: string): Sym {
    return tf.layers.add({ name }).apply(xs) as Sym;
  }

  multiply(xs: Sym[], name?: string): Sym {
    return tf.layers.multiply({ name }).apply(xs) as Sym;
  }

  /** Channel concatenation (PyTorch `torch.cat(xs, 1)`). */
  concat(xs: Sym[], name?: string): Sym {
    return tf.layers.concatenate({ axis: -1, name }).apply(xs) as Sym;
  }

  /**
   * PyTorch `max_pool2d(kernel, stride, padding)`. With padding, PyTorch pads with -inf;
   * callers only pad after a ReLU (values >= 0), where zero padding gives the same maxima.
   */
  maxPool(x: Sym, kernel: number, stride: number, padding = 0, name?: string): Sym {
    const input = this.zeroPad(x, padding, name ? `${name}_pad` : undefined);
    return tf.layers.maxPooling2d({ poolSize: kernel, strides: stride, padding: 'valid', name }).apply(input) as Sym;
  }

  /** Max pooling with stride 1 and p = (k-1)/2: 'same' ignores the border like PyTorch's -inf. */
  maxPoolSame(x: Sym, kernel: number, name?: string): Sym {
    return tf.layers.maxPooling2d({ poolSize: kernel, strides: 1, padding: 'same', name }).apply(x) as Sym;
  }

  /** PyTorch `avg_pool2d(kernel, stride)` without padding. */
  avgPool(x: Sym, kernel: number, stride: number = kernel, name?: string): Sym {
    return tf.layers.averagePooling2d({ poolSize: kernel, strides: stride, padding: 'valid', name }).apply(x) as Sym;
  }

  /**
   * Global average pooling to a vector. The reference writes `avg_pool2d(out, 4)` (or 8, 2)
   * where the feature map is exactly that size on 32x32 inputs, which is the same thing;
   * global pooling also keeps the model usable on other input sizes.
   */
  globalAvgPool(x: Sym, name?: string): Sym {
    return tf.layers.globalAveragePooling2d({ name }).apply(x) as Sym;
  }

  /** Global average pooling keeping a 1x1 spatial map (for squeeze-excitation). */
  globalAvgPoolKeep(x: Sym, name?: string): Sym {
    const c = channelsOf(x);
    const v = this.globalAvgPool(x, name);
    return tf.layers.reshape({ targetShape: [1, 1, c], name: name ? `${name}_reshape` : undefined }).apply(v) as Sym;
  }

  flatten(x: Sym, name?: string): Sym {
    return tf.layers.flatten({ name }).apply(x) as Sym;
  }

  /** PyTorch `nn.Linear(in, units)` (bias included). */
  dense(x: Sym, units: number, name?: string): Sym {
    const fanIn = channelsOf(x);
    return tf.layers
      .dense({
        units,
        kernelInitializer: this.kernelInit(fanIn),
        biasInitializer: this.biasInit(fanIn),
        name,
      })
      .apply(x) as Sym;
  }

  /** Dropout (PyTorch `F.dropout` under `if self.training`): active only while training. */
  dropout(x: Sym, rate: number, name?: string): Sym {
    return tf.layers.dropout({ rate, name }).apply(x) as Sym;
  }
}

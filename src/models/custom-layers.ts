/**
 * The few layers the zoo needs that tf.layers does not provide: grouped convolution
 * (ResNeXt, RegNet, DPN), channel slicing (ShuffleNetV2 split, DPN's dual path), zero
 * padding of channels (the parameter-free "option A" shortcut of He et al.'s CIFAR ResNets).
 *
 * Each is registered with tf.serialization so a model using it can be saved and loaded.
 * The serialized config holds the structure only: a reloaded layer gets tfjs's default
 * initialisers, which do not matter once the saved weights are loaded.
 * @module
 */
import * as tf from '@tensorflow/tfjs';

type Shape = (number | null)[];
/** tfjs does not export its Initializer class type by name. */
type Initializer = ReturnType<typeof tf.initializers.zeros>;

function singleShape(inputShape: Shape | Shape[]): Shape {
  if (Array.isArray(inputShape[0])) {
    const shapes = inputShape as Shape[];
    if (shapes.length !== 1) throw new Error(`expected one input, got ${shapes.length}`);
    return shapes[0];
  }
  return inputShape as Shape;
}

function singleTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor4D {
  const x = Array.isArray(inputs) ? inputs[0] : inputs;
  if (x.rank !== 4) throw new Error(`expected a rank-4 NHWC tensor, got shape [${x.shape.join(', ')}]`);
  return x as tf.Tensor4D;
}

/** Output length of a convolution along one axis (tfjs/Keras semantics). */
function convLength(n: number | null, k: number, stride: number, padding: 'same' | 'valid'): number | null {
  if (n == null) return null;
  return padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1;
}

/** Configuration of {@link GroupedConv2D}. */
export interface GroupedConv2DArgs {
  filters: number;
  kernelSize: number;
  strides?: number;
  padding?: 'same' | 'valid';
  groups: number;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  name?: string;
}

/**
 * PyTorch `Conv2d(..., groups=g)`: input channels are cut into g equal groups and group i
 * produces output channels [i*filters/g, (i+1)*filters/g) from input group i only.
 * The kernel is stored compactly as [k, k, cin/g, filters] (k*k*(cin/g)*filters weights,
 * PyTorch's count), and the call runs one convolution per group.
 */
export class GroupedConv2D extends tf.layers.Layer {
  static readonly className = 'GafLabGroupedConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'same' | 'valid';
  readonly groups: number;
  readonly useBias: boolean;
  private readonly kernelInitializer: Initializer;
  private readonly biasInitializer: Initializer;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: GroupedConv2DArgs) {
    super({ name: args.name });
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.padding = args.padding ?? 'valid';
    this.groups = args.groups;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? tf.initializers.glorotUniform({});
    this.biasInitializer = args.biasInitializer ?? tf.initializers.zeros();
    if (this.filters % this.groups !== 0) {
      throw new Error(`GroupedConv2D: groups=${this.groups} must divide filters=${this.filters}`);
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape);
    const cin = shape[shape.length - 1];
    if (cin == null || cin % this.groups !== 0) {
      throw new Error(`GroupedConv2D: groups=${this.groups} must divide the input channels (${cin})`);
    }
    const k = this.kernelSize;
    this.kernel = this.addWeight('kernel', [k, k, cin / this.groups, this.filters], 'float32', this.kernelInitializer);
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.filters], 'float32', this.biasInitializer);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(inputShape);
    return [
      s[0],
      convLength(s[1], this.kernelSize, this.strides, this.padding),
      convLength(s[2], this.kernelSize, this.strides, this.padding),
      this.filters,
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor(inputs);
      if (this.kernel == null) throw new Error('GroupedConv2D called before build');
      const kernel = this.kernel.read() as tf.Tensor4D;
      const xs = tf.split(x, this.groups, 3) as tf.Tensor4D[];
      const ks = tf.split(kernel, this.groups, 3) as tf.Tensor4D[];
      const ys = xs.map((xi, i) => tf.conv2d(xi, ks[i], this.strides, this.padding));
      const y = ys.length === 1 ? ys[0] : tf.concat(ys, 3);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      groups: this.groups,
      useBias: this.useBias,
    };
  }
}

/** Configuration of {@link ChannelSlice}. */
export interface ChannelSliceArgs {
  start: number;
  size: number;
  name?: string;
}

/** Channels [start, start+size) of an NHWC tensor (PyTorch `x[:, start:start+size]`). */
export class ChannelSlice extends tf.layers.Layer {
  static readonly className = 'GafLabChannelSlice';
  readonly start: number;
  readonly size: number;

  constructor(args: ChannelSliceArgs) {
    super({ name: args.name });
    this.start = args.start;
    this.size = args.size;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(inputShape);
    const c = s[3];
    if (c != null && this.start + this.size > c) {
      throw new Error(`ChannelSlice: [${this.start}, ${this.start + this.size}) exceeds ${c} channels`);
    }
    return [s[0], s[1], s[2], this.size];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.slice(singleTensor(inputs), [0, 0, 0, this.start], [-1, -1, -1, this.size]));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), start: this.start, size: this.size };
  }
}

/** Configuration of {@link ChannelZeroPad}. */
export interface ChannelZeroPadArgs {
  before: number;
  after: number;
  name?: string;
}

/** Appends zero channels before and after (the identity "option A" shortcut of He et al.). */
export class ChannelZeroPad extends tf.layers.Layer {
  static readonly className = 'GafLabChannelZeroPad';
  readonly before: number;
  readonly after: number;

  constructor(args: ChannelZeroPadArgs) {
    super({ name: args.name });
    this.before = args.before;
    this.after = args.after;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(inputShape);
    return [s[0], s[1], s[2], s[3] == null ? null : s[3] + this.before + this.after];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() =>
      tf.pad(singleTensor(inputs), [
        [0, 0],
        [0, 0],
        [0, 0],
        [this.before, this.after],
      ]),
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), before: this.before, after: this.after };
  }
}

tf.serialization.registerClass(GroupedConv2D);
tf.serialization.registerClass(ChannelSlice);
tf.serialization.registerClass(ChannelZeroPad);

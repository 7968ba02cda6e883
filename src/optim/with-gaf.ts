import * as tf from '@tensorflow/tfjs';
import { gafFromJSON, type Gaf, type GafJSON } from '../gaf/gaf';
import { checkNewLearningRate } from './learning-rate';
import { gradientList, type NamedTensor } from './named-grads';
import { ObservationHub, type ObserveOptions } from './observe';
import { checkGaf } from './validate';

/** The parts of tfjs optimizers that expose a learning rate (all built-in ones do). */
interface HasLearningRate {
  learningRate?: unknown;
  setLearningRate?: (lr: number) => void;
}

/**
 * Any tfjs optimizer with a GAF in front: gradients are activated element-wise with g, then
 * handed to the inner optimizer (so weight decay or momentum inside the inner optimizer see the
 * activated gradient, as in SGD_atan). Step counter, state (`getWeights`/`setWeights`) and
 * disposal are the inner optimizer's.
 */
export class WithGafOptimizer extends tf.Optimizer {
  /** Name under which the class is registered with `tf.serialization`. */
  static get className(): string {
    return 'WithGafOptimizer';
  }

  private readonly hub = new ObservationHub();

  /** Prefer {@link withGaf}, which checks its arguments. */
  constructor(
    /** The optimizer that receives the activated gradients. */
    readonly inner: tf.Optimizer,
    /** The gradient activation function. */
    readonly gaf: Gaf,
  ) {
    super();
  }

  /** The inner optimizer's step counter. */
  override get iterations(): number {
    return this.inner.iterations;
  }

  /** The inner optimizer's learning rate (NaN if it has none). */
  get learningRate(): number {
    const lr = (this.inner as unknown as HasLearningRate).learningRate;
    return typeof lr === 'number' ? lr : NaN;
  }

  /**
   * Sets the inner optimizer's learning rate, through `setLearningRate` where it exists
   * (tfjs's SGD and momentum optimizers cache `-lr` in a tensor and ignore the bare field).
   */
  set learningRate(v: number) {
    const lr = checkNewLearningRate('WithGafOptimizer', v);
    const inner = this.inner as unknown as HasLearningRate;
    if (typeof inner.setLearningRate === 'function') inner.setLearningRate(lr);
    else if ('learningRate' in inner) inner.learningRate = lr;
    else throw new Error(`WithGafOptimizer: the inner ${this.inner.getClassName()} optimizer has no learning rate to set.`);
  }

  /** Same as assigning `learningRate`. */
  setLearningRate(v: number): void {
    this.learningRate = v;
  }

  /** As {@link GafOptimizer.observeGradients}; "activated" is g(raw gradient). */
  observeGradients(options: ObserveOptions): () => void {
    return this.hub.observe('WithGafOptimizer', options);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries = gradientList('WithGafOptimizer', variableGradients);
    const collector = this.hub.collectorFor(this.iterations + 1);
    const activated: NamedTensor[] = [];
    try {
      for (const { name, grad } of entries) {
        if (grad == null) continue;
        const tensor = this.gaf.apply(grad);
        activated.push({ name, tensor });
        collector?.add(name, grad, tensor);
      }
      this.inner.applyGradients(activated);
    } catch (e) {
      collector?.discard();
      throw e;
    } finally {
      tf.dispose(activated.map((a) => a.tensor));
    }
    collector?.finish();
  }

  /**
   * The inner optimizer's weights, with its live state variables replaced by copies, so that the
   * result is a snapshot (as with {@link GafOptimizer.getWeights}); the caller owns the tensors.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const weights = await this.inner.getWeights();
    return weights.map(({ name, tensor }) => ({ name, tensor: tensor instanceof tf.Variable ? tf.clone(tensor) : tensor }));
  }

  /** Hands the weights to the inner optimizer's `setWeights`. */
  override setWeights(weightValues: NamedTensor[]): Promise<void> {
    return this.inner.setWeights(weightValues);
  }

  /** `{inner: {className, config}, gaf: GafJSON}`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      inner: { className: this.inner.getClassName(), config: this.inner.getConfig() },
      gaf: { ...this.gaf.toJSON() } as tf.serialization.ConfigDict,
    };
  }

  /** Rebuilds the inner optimizer from its registered class, and the GAF from its JSON. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const inner = config.inner as { className?: unknown; config?: tf.serialization.ConfigDict } | null;
    const className = inner?.className;
    const entry = typeof className === 'string' ? tf.serialization.SerializationMap.getMap().classNameMap[className] : undefined;
    if (!entry) {
      throw new Error(
        `WithGafOptimizer.fromConfig: inner optimizer class ${JSON.stringify(className)} is not registered with ` +
          'tf.serialization; register it (tf.serialization.registerClass) before loading.',
      );
    }
    const [innerCls, innerFromConfig] = entry;
    const innerOpt = innerFromConfig(innerCls, inner!.config ?? {});
    return new cls(innerOpt, gafFromJSON(config.gaf as unknown as GafJSON));
  }

  /** Disposes the inner optimizer. */
  override dispose(): void {
    this.inner.dispose();
  }
}

tf.serialization.registerClass(WithGafOptimizer);

/**
 * Wraps any tfjs optimizer (`tf.train.sgd(0.1)`, `tf.train.adam()`, ...) so that it receives
 * GAF-activated gradients: `withGaf(tf.train.momentum(0.1, 0.9), gafs.atan({alpha: 0.1, beta: 20}))`.
 */
export function withGaf(optimizer: tf.Optimizer, gaf: Gaf): WithGafOptimizer {
  if (!(optimizer instanceof tf.Optimizer)) {
    throw new Error(`withGaf: optimizer must be a tf.Optimizer (e.g. tf.train.sgd(0.1)), got ${String(optimizer)}.`);
  }
  const g = checkGaf('withGaf', gaf);
  if (g === null) throw new Error('withGaf: gaf is required, e.g. gafs.atan({alpha: 0.1, beta: 20}).');
  return new WithGafOptimizer(optimizer, g);
}

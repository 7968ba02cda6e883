import * as tf from '@tensorflow/tfjs';
import { globalNormCap, globalNormScale } from './clip';
import { checkNewLearningRate } from './learning-rate';
import { findVariable, gradientList, type NamedTensor } from './named-grads';
import { ObservationHub, type ObserveOptions, type StepCollector } from './observe';
import { buildChain, recipeFromConfig, recipeToConfig, type Recipe } from './recipes';
import { SlotStore } from './slot-store';
import type { StepContext, Transform, TransformResult } from './transform';

/**
 * A tfjs optimizer that runs a chain of small transforms (GAF, weight decay, momentum, Adam or
 * RMS scaling, learning rate) on each variable's gradient and adds the result to the variable.
 * Made by {@link sgd}, {@link sgdAdaptiveGaf}, {@link adam}, {@link rmsprop} and
 * {@link fromReference}; works with `model.compile({optimizer})`, `optimizer.minimize(f)` and
 * `optimizer.applyGradients(grads)`.
 *
 * State (momentum buffers, Adam moments, ...) is one tf.Variable per slot per model variable,
 * created on that variable's first step. `getWeights()` returns the step counter first (named
 * `iter`, as tfjs does) and then copies of every slot named `${variable}/${slot}`;
 * `setWeights()` restores exactly that.
 */
export class GafOptimizer extends tf.Optimizer {
  /** Name under which the class is registered with `tf.serialization`. */
  static get className(): string {
    return 'GafOptimizer';
  }

  /** The resolved, validated settings (without the learning rate). */
  readonly recipe: Recipe;
  private readonly chain: readonly Transform[];
  private readonly store: SlotStore;
  private readonly hub = new ObservationHub();
  private lr: number;

  /**
   * Prefer the factories (`sgd`, `adam`, ...), which validate their options; this constructor
   * takes an already resolved recipe.
   */
  constructor(learningRate: number, recipe: Recipe) {
    super();
    this.lr = checkNewLearningRate('GafOptimizer', learningRate);
    this.recipe = recipe;
    this.chain = buildChain(recipe);
    this.store = new SlotStore('GafOptimizer', this.chain);
  }

  /** Learning rate used by the next step; set it between steps (schedulers do, per epoch). */
  get learningRate(): number {
    return this.lr;
  }

  set learningRate(v: number) {
    this.lr = checkNewLearningRate('GafOptimizer', v);
  }

  /** Same as assigning `learningRate` (the method tfjs's SGD optimizers have). */
  setLearningRate(v: number): void {
    this.learningRate = v;
  }

  /** Names of the transforms of the chain, in order (for display and tests). */
  get stages(): string[] {
    return this.chain.map((t) => t.name);
  }

  /**
   * Reports statistics of the raw and the activated gradients of every variable at every
   * `every`-th step through `onStats` (one call per observed step, all variables read back with
   * one `dataSync`). Only one observer is active at a time: a new call replaces the previous one.
   * Returns the function that stops observing. Costs nothing while no observer is active.
   */
  observeGradients(options: ObserveOptions): () => void {
    return this.hub.observe('GafOptimizer', options);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries = gradientList('GafOptimizer', variableGradients).filter((e) => e.grad != null);
    // Check every gradient before touching any variable, so a bad call changes nothing.
    const params = entries.map(({ name, grad }) => {
      const param = findVariable('GafOptimizer', name);
      if (!tf.util.arraysEqual(grad!.shape, param.shape)) {
        throw new Error(
          `GafOptimizer.applyGradients: gradient of "${name}" has shape ${JSON.stringify(grad!.shape)}, ` +
            `the variable has ${JSON.stringify(param.shape)}.`,
        );
      }
      return param;
    });
    this.store.reconcile(entries.map((e, i) => ({ name: e.name, shape: params[i]!.shape })));
    const step = this.iterations + 1;
    const collector = this.hub.collectorFor(step);
    const grads = entries.map((e) => e.grad!);
    const normCap = this.recipe.clip ? globalNormCap(this.recipe.clip, grads) : null;
    const normScale = normCap !== null ? globalNormScale(grads, normCap) : null;
    try {
      entries.forEach((entry, i) => this.updateVariable(entry.name, params[i]!, entry.grad!, step, collector, normScale));
    } catch (e) {
      collector?.discard();
      throw e;
    } finally {
      normScale?.dispose();
    }
    this.incrementIterations();
    collector?.finish();
  }

  /** Runs the chain for one variable and applies the result; all temporaries die in the tidy. */
  private updateVariable(
    name: string,
    param: tf.Variable,
    grad: tf.Tensor,
    step: number,
    collector: StepCollector | null,
    normScale: tf.Scalar | null,
  ): void {
    tf.tidy(() => {
      const ctx: StepContext = { param, step, learningRate: this.lr };
      const state = this.store.get(name);
      const firstSlots: tf.Tensor[][] = [];
      let update: tf.Tensor = normScale ? tf.mul(grad, normScale) : grad;
      let activated: tf.Tensor | null = null;
      this.chain.forEach((t, k) => {
        let result: TransformResult;
        if (state) {
          result = t.update(update, state.slots[k]!, ctx);
          // Safe to assign now: a transform reads only its own slots.
          state.slots[k]!.forEach((v, j) => v.assign(result.slots[j]!));
        } else {
          result = t.first
            ? t.first(update, ctx)
            : t.update(
                update,
                t.slots.map(() => tf.zerosLike(param)),
                ctx,
              );
          firstSlots.push(result.slots);
        }
        update = result.update;
        if (t.activates) activated = update;
      });
      if (!state && this.store.stateful) this.store.create(name, firstSlots);
      collector?.add(name, grad, activated);
      param.assign(tf.add(param, update));
    });
  }

  /** Step counter (`iter`) first, then copies of all slots; the caller owns the copies. */
  override async getWeights(): Promise<NamedTensor[]> {
    return [await this.saveIterations(), ...this.store.snapshot()];
  }

  /** Restores what {@link GafOptimizer.getWeights} returned (the tensors are copied). */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    if (!Array.isArray(weightValues) || weightValues.length === 0) {
      throw new Error('GafOptimizer.setWeights: expected the array from getWeights(), starting with the step counter "iter".');
    }
    const rest = await this.extractIterations(weightValues);
    this.store.restore(rest);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return recipeToConfig(this.lr, this.recipe);
  }

  /** Rebuilds an optimizer from {@link GafOptimizer.getConfig} (validating it again). */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { learningRate, recipe } = recipeFromConfig(config);
    return new cls(learningRate, recipe);
  }

  /** Frees all state variables. */
  override dispose(): void {
    this.store.dispose();
  }
}

tf.serialization.registerClass(GafOptimizer);

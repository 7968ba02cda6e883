import * as tf from '@tensorflow/tfjs';

/** What a transform may read besides the incoming update and its own state. */
export interface StepContext {
  /** The parameter being updated, with its value before this step. */
  readonly param: tf.Variable;
  /** 1-based number of the optimizer step being taken (tfjs `iterations` + 1). */
  readonly step: number;
  /** The learning rate in force for this step. */
  readonly learningRate: number;
}

/** Output of one transform for one variable at one step. */
export interface TransformResult {
  /** The update handed to the next transform of the chain. */
  update: tf.Tensor;
  /** New values of the transform's slots, in the order of {@link Transform.slots}. */
  slots: tf.Tensor[];
}

/**
 * One small, composable stage of an optimizer (in the manner of Optax): it maps the incoming
 * update of one variable to an outgoing one, possibly reading and rewriting per-variable state.
 *
 * Transforms are called by {@link GafOptimizer} inside `tf.tidy`; they only build tensors and
 * never assign or dispose anything themselves, so the runner alone owns the state variables.
 */
export interface Transform {
  /** Short name used in error messages and diagnostics. */
  readonly name: string;
  /**
   * Names of the per-variable state tensors this transform keeps. They appear in
   * `getWeights()` as `${variableName}/${slot}`, so they must be unique within a chain and
   * contain no '/'.
   */
  readonly slots: readonly string[];
  /**
   * True for the stage that applies the gradient activation function: the observer reports
   * its output as the "activated" gradient.
   */
  readonly activates?: boolean;
  /**
   * The variable's first step, when no state exists yet. When absent, the runner calls
   * {@link Transform.update} with zero-filled slots.
   */
  first?(incoming: tf.Tensor, ctx: StepContext): TransformResult;
  /** Every later step. `slots` hold the state left by the previous step. */
  update(incoming: tf.Tensor, slots: readonly tf.Tensor[], ctx: StepContext): TransformResult;
}

/** A stateless transform from an element-wise function of the incoming update. */
export function stateless(name: string, fn: (incoming: tf.Tensor, ctx: StepContext) => tf.Tensor, activates = false): Transform {
  return {
    name,
    slots: [],
    activates,
    update: (incoming, _slots, ctx) => ({ update: fn(incoming, ctx), slots: [] }),
  };
}

/** Checks that slot names are unique within a chain (they key the saved state). */
export function assertDistinctSlots(chain: readonly Transform[]): void {
  const seen = new Map<string, string>();
  for (const t of chain) {
    for (const s of t.slots) {
      if (s.includes('/')) throw new Error(`optimizer chain: slot name "${s}" of ${t.name} contains '/'.`);
      const other = seen.get(s);
      if (other !== undefined) {
        throw new Error(`optimizer chain: slot "${s}" is used by both ${other} and ${t.name}; slot names must be unique.`);
      }
      seen.set(s, t.name);
    }
  }
}

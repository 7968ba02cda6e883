/**
 * The loss and the optimizer step of a classifier that outputs logits: the experiment runner
 * and the theory studies train through these two functions, so a result of one is a result of
 * the same training step as the other.
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/**
 * What maps a batch of inputs to logits `[n, classes]`: a layers model, or a function of the
 * inputs over variables of the caller's own (`training` says whether layers such as batch
 * normalisation and dropout would run in training mode; a plain function may ignore it).
 */
export type Classifier = tf.LayersModel | ((x: tf.Tensor, training: boolean) => tf.Tensor);

/** Mean softmax cross-entropy of logits `[n, classes]` against integer class labels `[n]`. */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.rank - 1]!;
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels.toInt() as tf.Tensor1D, classes), logits) as tf.Scalar;
  });
}

/** Logits of `model` on `x`. */
export function logitsOf(model: Classifier, x: tf.Tensor, training: boolean): tf.Tensor {
  return typeof model === 'function' ? model(x, training) : (model.apply(x, { training }) as tf.Tensor);
}

/** Options of {@link classifierLoss}. */
export interface ClassifierLossOptions {
  /** Run layers in training mode (default false). */
  training?: boolean;
  /** A term added to the cross-entropy, e.g. an L2 penalty on the caller's weights. */
  penalty?: () => tf.Scalar;
}

function objective(logits: tf.Tensor, labels: tf.Tensor, penalty: (() => tf.Scalar) | undefined): tf.Scalar {
  const ce = crossEntropy(logits, labels);
  return penalty ? (tf.add(ce, penalty()) as tf.Scalar) : ce;
}

/** The loss {@link trainStep} minimises, without a step: cross-entropy of `model` on a batch, plus the penalty. */
export function classifierLoss(model: Classifier, x: tf.Tensor, labels: tf.Tensor, options: ClassifierLossOptions = {}): tf.Scalar {
  return tf.tidy(() => objective(logitsOf(model, x, options.training ?? false), labels, options.penalty));
}

/** The variables behind a layers model's trainable weights, in the model's order. */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Options of {@link trainStep}. */
export interface TrainStepOptions<M extends tf.Tensor = tf.Tensor> {
  /**
   * Variables the step updates. Default: the trainable weights of a layers model (pass them
   * when stepping many times, to look them up once); required when the model is a function.
   */
  varList?: tf.Variable[];
  /** A term added to the cross-entropy inside the step (so it is differentiated too). */
  penalty?: () => tf.Scalar;
  /**
   * Computed from the step's own logits and the labels, and returned as `measured` (the step's
   * logits are freed when it ends, so figures such as hit counts are taken here to avoid a
   * second forward pass).
   */
  measure?: (logits: tf.Tensor, labels: tf.Tensor) => M;
}

/** What {@link trainStep} returns; the caller disposes both tensors. */
export interface TrainStepResult<M extends tf.Tensor = tf.Tensor> {
  /** The loss at the weights before the step (cross-entropy plus penalty). */
  loss: tf.Scalar;
  /** The result of `measure`, when given. */
  measured: M | undefined;
}

/**
 * One optimizer step on the mean softmax cross-entropy of `model`'s logits (training mode)
 * against integer labels `y`, plus an optional penalty. Leaves no tensors behind except the
 * two it returns, so the loss can be read back synchronously or not, as the caller prefers.
 */
export function trainStep<M extends tf.Tensor = tf.Tensor>(
  model: Classifier,
  optimizer: tf.Optimizer,
  x: tf.Tensor,
  y: tf.Tensor,
  options: TrainStepOptions<M> = {},
): TrainStepResult<M> {
  let varList = options.varList;
  if (varList === undefined) {
    if (typeof model === 'function')
      throw new Error('trainStep: a model given as a function needs options.varList, the variables the step updates.');
    varList = trainableVariables(model);
  }
  let measured: M | undefined;
  try {
    const loss = optimizer.minimize(
      () => {
        const logits = logitsOf(model, x, true);
        if (options.measure) measured = tf.keep(tf.tidy(() => options.measure!(logits, y)));
        return objective(logits, y, options.penalty);
      },
      true,
      varList,
    ) as tf.Scalar;
    return { loss, measured };
  } catch (e) {
    measured?.dispose();
    throw e;
  }
}

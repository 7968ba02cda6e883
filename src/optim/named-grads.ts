import * as tf from '@tensorflow/tfjs';

/** A tensor with a name (tfjs's `NamedTensor`, which `@tensorflow/tfjs` does not re-export). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** One gradient as handed to `applyGradients`; null/undefined gradients are skipped, as in tfjs. */
export interface GradEntry {
  name: string;
  grad: tf.Tensor | null | undefined;
}

/** Both forms tfjs uses (`NamedTensorMap` from `minimize`, `NamedTensor[]` with a varList). */
export function gradientList(where: string, grads: tf.NamedTensorMap | NamedTensor[]): GradEntry[] {
  if (grads === null || typeof grads !== 'object') {
    throw new Error(`${where}.applyGradients: expected a {name: gradient} map or an array of {name, tensor}, got ${String(grads)}.`);
  }
  if (Array.isArray(grads)) return grads.map((g) => ({ name: g.name, grad: g.tensor }));
  return Object.keys(grads).map((name) => ({ name, grad: grads[name] }));
}

/** The registered variable of that name (tfjs keys gradients by variable name). */
export function findVariable(where: string, name: string): tf.Variable {
  const v = tf.engine().registeredVariables[name];
  if (v === undefined) {
    throw new Error(
      `${where}.applyGradients: no variable named "${name}" is registered. Gradients must be keyed by the ` +
        'names of tf.variable()s (as tf.variableGrads and optimizer.computeGradients produce).',
    );
  }
  return v;
}

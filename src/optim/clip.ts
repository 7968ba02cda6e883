import * as tf from '@tensorflow/tfjs';
import { checkKnownKeys, checkNumber, fail } from './validate';

/**
 * Gradient clipping, the GAF's natural competitor (both bound the step):
 * - `{kind: 'value', value: c}` clips every gradient component to [-c, c] (PyTorch's
 *   `clip_grad_value_`, Optax's `clip`);
 * - `{kind: 'norm', maxNorm: m}` rescales all gradients together so that their global L2 norm
 *   is at most m: factor `min(1, m / (norm + 1e-6))` (PyTorch's `clip_grad_norm_`, Optax's
 *   `clip_by_global_norm` without the epsilon).
 * - `{kind: 'rms', maxRms: r}` is clipping by global L2 norm with the cap stated per component:
 *   the cap is `r * sqrt(P)`, P the number of gradient components of the step (all variables
 *   together), i.e. the root-mean-square of the components is brought down to at most r. It is
 *   how a norm clip is matched to a per-component bound (see `clipNormAtBound` in `controls.ts`).
 * Each acts on the raw gradient, before the GAF, weight decay and momentum.
 */
export type GradientClip = { kind: 'value'; value: number } | { kind: 'norm'; maxNorm: number } | { kind: 'rms'; maxRms: number };

/** The kinds of {@link GradientClip}. */
export const CLIP_KINDS = ['value', 'norm', 'rms'] as const;

/** The field holding each kind's cap, e.g. `maxNorm` of `{kind: 'norm', maxNorm: 1}`. */
export const CLIP_CAP_FIELD = Object.freeze({ value: 'value', norm: 'maxNorm', rms: 'maxRms' } as const);

/** Every cap must be > 0 (the config schema uses this rule too). */
export const CLIP_CAP_RULE = Object.freeze({ min: 0, minOpen: true } as const);

/** PyTorch's clip_grad_norm_ adds this to the norm before dividing. */
export const CLIP_NORM_EPSILON = 1e-6;

/** Validates an optional {@link GradientClip}; undefined/null mean no clipping. */
export function checkClip(where: string, v: unknown): GradientClip | null {
  if (v === undefined || v === null) return null;
  const hint = "Use {kind: 'value', value: 0.1}, {kind: 'norm', maxNorm: 1} or {kind: 'rms', maxRms: 0.1}.";
  if (typeof v !== 'object' || Array.isArray(v)) fail(where, 'clip', v, 'must be an object or null', hint);
  const o = v as Record<string, unknown>;
  if (!(CLIP_KINDS as readonly unknown[]).includes(o.kind)) {
    fail(where, 'clip.kind', o.kind, `must be one of ${CLIP_KINDS.map((k) => `'${k}'`).join(', ')}`, hint);
  }
  const kind = o.kind as GradientClip['kind'];
  const field = CLIP_CAP_FIELD[kind];
  checkKnownKeys(`${where}: clip`, o, ['kind', field]);
  return { kind, [field]: checkNumber(where, `clip.${field}`, o[field], { ...CLIP_CAP_RULE, hint }) } as GradientClip;
}

/**
 * The factor that brings the global L2 norm of `grads` down to `maxNorm` (1 when it is already
 * there). A scalar tensor the caller disposes.
 */
export function globalNormScale(grads: readonly tf.Tensor[], maxNorm: number): tf.Scalar {
  return tf.tidy(() => {
    const squares = grads.map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(squares.length === 1 ? squares[0]! : tf.addN(squares));
    return tf.minimum(1, tf.div(maxNorm, tf.add(norm, CLIP_NORM_EPSILON))) as tf.Scalar;
  });
}

/**
 * The global-norm cap a clip puts on the gradients `grads` of one step, or null for a clip by
 * value (which is per component, not global).
 */
export function globalNormCap(c: GradientClip, grads: readonly tf.Tensor[]): number | null {
  if (c.kind === 'norm') return c.maxNorm;
  if (c.kind === 'rms') return c.maxRms * Math.sqrt(grads.reduce((n, g) => n + g.size, 0));
  return null;
}

/** Short label, e.g. `clip value 0.1`, `clip norm 1`, `clip rms 0.157`. */
export function clipLabel(c: GradientClip): string {
  if (c.kind === 'value') return `clip value ${c.value}`;
  return c.kind === 'norm' ? `clip norm ${c.maxNorm}` : `clip rms ${c.maxRms}`;
}

/**
 * Controls: plain-SGD variants that each copy one property of a GAF, so that a GAF run can be
 * compared with what that property alone gives. In its linear range `g(x) ~ g'(0) x` a GAF
 * multiplies the learning rate by g'(0); far out it caps each component at its bound U.
 *
 * - `lrMatched`: plain SGD at `learningRate * g'(0)` (`alpha * beta` for the built-in GAFs): the
 *   GAF's small-gradient step without its cap.
 * - `clipValueAtBound`: plain SGD with every raw gradient component clipped to [-U, U]: the GAF's
 *   cap without its slope (atan: U = alpha*pi/2, tanh: U = alpha).
 * - `clipNormAtBound`: plain SGD with the global L2 norm of the raw gradient clipped at
 *   `U * sqrt(P)`, P the number of gradient components in the step (a `{kind: 'rms', maxRms: U}`
 *   clip). Why this norm: the GAF's output lies in the cube [-U, U]^P, whose largest vector has
 *   global L2 norm exactly U*sqrt(P), so the GAF's step is never longer than this and the norm clip
 *   allows the same longest step; the two differ only in that the clip keeps the gradient's
 *   direction where the GAF bends it component by component. It equals the value clip only when
 *   all components have the same size; since the root-mean-square of the components never
 *   exceeds their largest, this clip acts only on steps the value clip also changes. A cap of U
 *   on the global norm itself would instead shrink every step of a large network far below
 *   anything the GAF does, and a per-layer norm would depend on how the model splits its
 *   weights; the global norm is also what `clip_grad_norm_` users clip.
 * - `signSgd`: scaled sign-SGD, `U * sign(.)` where the GAF would act (same placement): the limit
 *   of an atan or tanh GAF as beta grows with alpha fixed, with the same cap U.
 * @module
 */
import type { Gaf } from '../gaf/gaf';
import type { GradientClip } from './clip';

/** The kinds of control (see the module comment for what each keeps of the GAF). */
export const CONTROL_KINDS = Object.freeze(['lrMatched', 'clipValueAtBound', 'clipNormAtBound', 'signSgd'] as const);

/** One of {@link CONTROL_KINDS}. */
export type ControlKind = (typeof CONTROL_KINDS)[number];

/** What a control changes in plain SGD's settings. */
export interface ControlEffect {
  /** The learning rate it runs with. */
  learningRate: number;
  /** The clip it adds (null: none). */
  clip: GradientClip | null;
  /** Scaled sign-SGD's scale, when the control is sign-SGD. */
  signScale?: number;
}

function boundOf(kind: ControlKind, gaf: Gaf, where: string): number {
  const u = gaf.bound;
  if (u === undefined || !Number.isFinite(u)) {
    const what = u === undefined ? 'has no declared bound' : 'is unbounded';
    throw new Error(
      `${where}: control.of: ${kind} caps at the GAF's bound U, but ${gaf.kind === 'custom' ? gaf.name : gaf.kind} ${what}. ` +
        'Use a bounded GAF (atan: U = alpha*pi/2, tanh: U = alpha), or the lrMatched control.',
    );
  }
  return u;
}

/**
 * What control `kind` of `gaf` changes in plain SGD whose own learning rate is `learningRate`.
 * Errors name the field: a clip or sign control needs a GAF with a finite bound.
 */
export function controlEffect(kind: ControlKind, gaf: Gaf, learningRate: number, where = 'sgd'): ControlEffect {
  switch (kind) {
    case 'lrMatched':
      return { learningRate: learningRate * gaf.derivative(0), clip: null };
    case 'clipValueAtBound':
      return { learningRate, clip: { kind: 'value', value: boundOf(kind, gaf, where) } };
    case 'clipNormAtBound':
      return { learningRate, clip: { kind: 'rms', maxRms: boundOf(kind, gaf, where) } };
    case 'signSgd':
      return { learningRate, clip: null, signScale: boundOf(kind, gaf, where) };
  }
}

/** Short slug of a control for run ids, e.g. `lrmatch`, `clipvbound`, `clipnbound`, `sign`. */
export const CONTROL_SLUGS: Readonly<Record<ControlKind, string>> = Object.freeze({
  lrMatched: 'lrmatch',
  clipValueAtBound: 'clipvbound',
  clipNormAtBound: 'clipnbound',
  signSgd: 'sign',
});

/**
 * Readable label of a control of a GAF named `gafName` (e.g. `0.1*atan(20x)`), e.g.
 * `lr x g'(0) of 0.1*atan(20x)`, `clip value at bound of ...`, `clip norm at bound of ...`,
 * `sign x bound of ...`.
 */
export function controlLabel(kind: ControlKind, gafName: string): string {
  const what: Record<ControlKind, string> = {
    lrMatched: "lr x g'(0)",
    clipValueAtBound: 'clip value at bound',
    clipNormAtBound: 'clip norm at bound',
    signSgd: 'sign x bound',
  };
  return `${what[kind]} of ${gafName}`;
}

/**
 * Backpropagation that frees each tensor as soon as the backward pass is done with it.
 *
 * tfjs-core's `engine.gradients` (behind `tf.grad`, `tf.variableGrads` and
 * `optimizer.minimize`) keeps, until the whole backward pass has finished:
 * - every tensor saved for backprop (the tape's clones), although a tape node's saved tensors
 *   are read by that node's gradient only;
 * - the gradient of every intermediate tensor, although the gradient of a tensor is read only
 *   once, by the gradient of the op that produced it;
 * - each partial gradient that was added into an accumulated one.
 * So the memory of a training step peaks at the end of the backward pass at about the forward
 * pass's saved activations plus one gradient per intermediate tensor. Measured on the wasm
 * backend (docs/performance.md): MobileNetV2 at batch 32 holds 1.08 GB at the end of the
 * forward pass and 2.38 GB at the peak of the backward pass; at batch 64 the peak exceeds the
 * 4 GiB a wasm32 heap can have.
 *
 * {@link leanGradients} is the same reverse-mode algorithm (same tape, same pruning, same
 * order of gradient calls and additions, so the same arithmetic and bit-identical results)
 * that, after each tape node's gradient has been computed, frees
 * - that node's saved tensors (first-order gradients only: with an outer tape recording, the
 *   engine keeps them and so does this),
 * - the gradients of that node's outputs (unless requested as a result),
 * - a partial gradient once it has been added into the accumulated one.
 * A tensor is only freed when the backward pass created it (it belongs to the backward scope,
 * is not kept) and no accumulated gradient still refers to it; saved tensors only when no
 * gradient refers to them. The backward pass's live memory is then the saved tensors of the
 * nodes not yet processed plus the gradients at the frontier.
 *
 * tfjs exposes no hook for this, so {@link setLeanBackprop} installs it as the engine's own
 * `gradients` method (an own property shadowing the prototype's) and removes it again.
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** What the engine records per executed kernel while a tape is on (tfjs-core's TapeNode). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
}

type GradientsResult = { value: tf.Tensor; grads: tf.Tensor[] };
type GradientsFn = (f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor | null, allowNoGradients?: boolean) => GradientsResult;

/** The parts of tfjs-core's Engine this module uses. */
interface EngineInternals {
  state: {
    activeTape: TapeNode[] | null;
    gradientDepth: number;
    activeScope: { id: number } | null;
  };
  gradients: GradientsFn;
  scopedRun<R>(start: () => void, end: () => void, f: () => R): R;
  startTape(): void;
  endTape(): void;
  tidy<R>(name: string, fn: () => R): R;
  tidy<R>(fn: () => R): R;
}

function engineInternals(): EngineInternals {
  const e = tf.engine() as unknown as Partial<EngineInternals>;
  for (const m of ['gradients', 'scopedRun', 'startTape', 'endTape', 'tidy'] as const) {
    if (typeof e[m] !== 'function') {
      throw new Error(
        `gaf-lab lean backprop: this tfjs engine has no '${m}' method (tfjs ${tf.version.tfjs}); call setLeanBackprop(false).`,
      );
    }
  }
  if (typeof e.state !== 'object' || e.state === null)
    throw new Error(`gaf-lab lean backprop: this tfjs engine has no state (tfjs ${tf.version.tfjs}).`);
  return e as EngineInternals;
}

/**
 * The tape nodes on a path from some x to y, in tape order, each with its inputs reduced to
 * those that depend on an x (the other inputs get no gradient). Same selection as tfjs-core.
 */
export function nodesOnPaths(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      nodeFromX.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    const inputs = Object.values(node.inputs);
    if (inputs.length === 0 || !node.outputs.some((o) => toY.has(o.id))) continue;
    nodeToY.add(node.id);
    for (const t of inputs) toY.add(t.id);
  }
  const kept: TapeNode[] = [];
  for (const node of tape) {
    if (!nodeFromX.has(node.id) || !nodeToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(node.inputs)) if (fromX.has(t.id)) inputs[name] = t;
    kept.push({ ...node, inputs });
  }
  return kept;
}

/** Accumulated gradients by tensor id, counting how many entries refer to each gradient tensor. */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly refs = new Map<tf.Tensor, number>();

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  set(id: number, t: tf.Tensor): void {
    this.delete(id);
    this.byId.set(id, t);
    this.refs.set(t, (this.refs.get(t) ?? 0) + 1);
  }

  /** Removes the entry; returns the tensor it held. */
  delete(id: number): tf.Tensor | undefined {
    const t = this.byId.get(id);
    if (t === undefined) return undefined;
    this.byId.delete(id);
    const n = (this.refs.get(t) ?? 1) - 1;
    if (n > 0) this.refs.set(t, n);
    else this.refs.delete(t);
    return t;
  }

  referenced(t: tf.Tensor): boolean {
    return this.refs.has(t);
  }
}

/** tfjs-core's error texts, so that callers see the same messages. */
function checkGradient(node: TapeNode, name: string, dx: tf.Tensor, x: tf.Tensor): void {
  if (dx.dtype !== 'float32') {
    throw new Error(
      `Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`,
    );
  }
  if (!tf.util.arraysEqual(dx.shape, x.shape)) {
    throw new Error(
      `Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
    );
  }
}

/**
 * Drop-in for tfjs-core's `Engine.gradients` (called with the engine as `this`): gradients of
 * `f()` with respect to `xs`, freeing tensors during the backward pass (see the module notes).
 */
export function leanGradients(
  this: EngineInternals,
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy?: tf.Tensor | null,
  allowNoGradients = false,
): GradientsResult {
  if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
  if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
  const y = this.scopedRun(
    () => this.startTape(),
    () => this.endTape(),
    () => this.tidy('forward', f),
  );
  if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
  const tape = this.state.activeTape ?? [];
  const path = nodesOnPaths(tape, xs, y);
  if (!allowNoGradients && path.length === 0 && xs.length > 0) {
    throw new Error(
      'Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.',
    );
  }
  // Only a first-order backward pass owns the saved tensors (tfjs-core frees them at its end only then).
  const ownsSaved = this.state.gradientDepth === 0;
  return this.tidy('backward', () => {
    const scopeId = this.state.activeScope?.id;
    const wanted = new Set<number>(xs.map((x) => x.id));
    const grads = new GradientMap();
    grads.set(y.id, dy ?? tf.ones(y.shape));
    // Frees t if this backward pass created it and no accumulated gradient refers to it.
    const release = (t: tf.Tensor | undefined): void => {
      if (t === undefined || t.isDisposed || t.kept || t.scopeId !== scopeId || grads.referenced(t)) return;
      t.dispose();
    };
    for (let i = path.length - 1; i >= 0; i--) {
      const node = path[i]!;
      if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      // null for outputs that do not lead to y; the engine's wrapper turns them into zeros.
      const dys = node.outputs.map((o) => grads.get(o.id) ?? null) as tf.Tensor[];
      const inputGradients = node.gradient(dys);
      for (const name of Object.keys(node.inputs)) {
        if (!(name in inputGradients)) {
          throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`);
        }
        const dx = this.tidy(() => inputGradients[name]!());
        const x = node.inputs[name]!;
        checkGradient(node, name, dx, x);
        const current = grads.get(x.id);
        if (current === undefined) {
          grads.set(x.id, dx);
        } else {
          grads.set(x.id, tf.add(current, dx));
          release(current);
          release(dx);
        }
      }
      // This node's gradient is done: nothing reads its outputs' gradients or its saved tensors again.
      for (const o of node.outputs) {
        if (wanted.has(o.id)) continue;
        release(grads.delete(o.id));
      }
      if (ownsSaved) for (const t of node.saved ?? []) if (!grads.referenced(t)) t.dispose();
    }
    const result = xs.map((x) => grads.get(x.id)) as tf.Tensor[];
    if (ownsSaved) {
      for (const node of tape) for (const t of node.saved ?? []) t.dispose();
      this.state.activeTape = null;
    }
    return { value: y, grads: result };
  });
}

let original: GradientsFn | undefined;

/**
 * Installs (true) or removes (false) {@link leanGradients} as the engine's `gradients`.
 * Idempotent. @returns true when this call changed something.
 */
export function setLeanBackprop(on: boolean): boolean {
  const engine = engineInternals();
  const own = Object.prototype.hasOwnProperty.call(engine, 'gradients');
  const installed = own && engine.gradients === (leanGradients as unknown as GradientsFn);
  if (on) {
    if (installed) return false;
    original = own ? engine.gradients : undefined;
    engine.gradients = leanGradients as unknown as GradientsFn;
    return true;
  }
  if (!installed) return false;
  if (original !== undefined) engine.gradients = original;
  else delete (engine as Partial<EngineInternals>).gradients;
  original = undefined;
  return true;
}

/** True while {@link leanGradients} is the engine's `gradients`. */
export function leanBackpropOn(): boolean {
  const engine = tf.engine() as unknown as { gradients?: unknown };
  return Object.prototype.hasOwnProperty.call(engine, 'gradients') && engine.gradients === leanGradients;
}

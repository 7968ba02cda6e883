/**
 * Identity, and Cast to the dtype a tensor already has, for the wasm backend without a copy:
 * the output shares the input's memory, as on the cpu backend.
 *
 * The engine clones every tensor it saves for the backward pass (`saveTensorsForBackwardMode`
 * runs Identity on each), and tfjs-backend-wasm's Identity copies the data. So on wasm every
 * activation kept for backpropagation existed twice: 486 activation copies in one ResNet-20
 * step, and a MobileNetV2 step at batch 8 peaked at about 1 GB. tfjs tensors are immutable
 * (a variable's `assign` swaps in new data rather than writing into the old), so sharing is
 * safe; the shared memory is freed when its last user is disposed (reference counted, as for
 * Reshape). Likewise `tf.moments` (batch norm in training) casts its float32 input to float32,
 * which on wasm was one more activation-sized copy per batch-norm layer, saved for backprop.
 * String tensors and real conversions keep the original kernels.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { KernelReplacement, WasmKernelFunc } from './replace-kernel';

/** The one backend method this kernel needs. */
interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

function hasIncRef(b: unknown): b is RefCounting {
  return typeof b === 'object' && b !== null && typeof (b as Record<string, unknown>)['incRef'] === 'function';
}

/** The input itself as a new reference, or undefined when it cannot be shared. */
function share(args: Parameters<WasmKernelFunc>[0]): tf.TensorInfo | undefined {
  const x = args.inputs['x'];
  if (x === undefined || x.dtype === 'string' || !hasIncRef(args.backend)) return undefined;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/** Replacement for wasm 'Identity'. */
export const identityReplacement: KernelReplacement = {
  name: 'Identity',
  make:
    (original: WasmKernelFunc): WasmKernelFunc =>
    (args) =>
      share(args) ?? original(args),
};

/** Replacement for wasm 'Cast': a cast to the same dtype shares; real conversions go to the original. */
export const castReplacement: KernelReplacement = {
  name: 'Cast',
  make:
    (original: WasmKernelFunc): WasmKernelFunc =>
    (args) =>
      (args.inputs['x']?.dtype === (args.attrs ?? {})['dtype'] ? share(args) : undefined) ?? original(args),
};

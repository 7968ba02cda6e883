/**
 * A fix to one tfjs-backend-webgpu kernel that training needs.
 *
 * tfjs-backend-webgpu 4.22's AddN binds every input to one shader, but a shader may bind only
 * `maxStorageBuffersPerShaderStage` storage buffers (8 unless the device was created asking for
 * more, and tfjs does not ask), output included: `tf.addN` of more than 7 tensors fails device
 * validation and yields garbage. gaf-lab sums over all of a model's weights (the global norm of
 * gradient clipping, the finite-weights check), so every model with more than 7 weight tensors
 * hit it. The replacement sums at most (limit - 1) inputs per shader, then sums the partial sums
 * the same way; with fewer inputs it is tfjs's own kernel.
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** What the replacement says in the backend report. */
export const WEBGPU_ADDN_FIX = 'AddN in chunks of at most (maxStorageBuffersPerShaderStage - 1) inputs';

type KernelFunc = (params: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) => tf.TensorInfo;

/** The limit the device was created with (8, WebGPU's default, when the backend does not say). */
function storageBufferLimit(backend: tf.KernelBackend): number {
  const limits = (backend as unknown as { device?: { limits?: { maxStorageBuffersPerShaderStage?: number } } }).device?.limits;
  return limits?.maxStorageBuffersPerShaderStage ?? 8;
}

let installed: tf.KernelConfig | undefined;

/**
 * Installs the chunked AddN for backend 'webgpu' (idempotent; after
 * `@tensorflow/tfjs-backend-webgpu` is loaded).
 * @returns the kernel names replaced by this call.
 */
export function registerWebGpuKernelFixes(): string[] {
  const current = tf.getKernel('AddN', 'webgpu');
  if (!current || current === installed) return [];
  const tfjsAddN = current.kernelFunc as KernelFunc;
  const config: tf.KernelConfig = {
    kernelName: 'AddN',
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend: b, attrs }) => {
      const backend = b as tf.KernelBackend;
      const all = inputs as unknown as tf.TensorInfo[];
      const most = Math.max(2, storageBufferLimit(backend) - 1);
      if (all.length <= most) return tfjsAddN({ inputs, backend, attrs });
      const partials: tf.TensorInfo[] = [];
      let level = all;
      while (level.length > most) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < level.length; i += most) {
          const chunk = level.slice(i, i + most);
          if (chunk.length === 1) {
            next.push(chunk[0]!);
            continue;
          }
          const sum = tfjsAddN({ inputs: chunk as unknown as tf.NamedTensorInfoMap, backend, attrs });
          partials.push(sum);
          next.push(sum);
        }
        level = next;
      }
      const out = tfjsAddN({ inputs: level as unknown as tf.NamedTensorInfoMap, backend, attrs });
      for (const p of partials) backend.disposeData(p.dataId);
      return out;
    },
  };
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel(config);
  installed = config;
  return ['AddN'];
}

/** The error a synchronous read on webgpu gives in Node. */
export const WEBGPU_SYNC_READ_ERROR =
  'gaf-lab: a synchronous read (dataSync, arraySync, bufferSync) cannot work on the webgpu backend in Node: ' +
  'tfjs-backend-webgpu reads synchronously through OffscreenCanvas, which Node does not have. Read with ' +
  "`await tensor.data()`. In a run config, gradient statistics (gradStats) read synchronously today: set gradStats to null or use backend 'wasm'.";

/**
 * Makes a synchronous read on the active webgpu backend fail with {@link WEBGPU_SYNC_READ_ERROR}
 * instead of "OffscreenCanvas is not defined" (only where OffscreenCanvas is missing).
 */
export function explainWebGpuSyncReads(): void {
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined') return;
  const backend = tf.findBackend('webgpu') as unknown as { readSync?: (dataId: object) => unknown; gafLabSyncReadError?: true } | null;
  if (!backend?.readSync || backend.gafLabSyncReadError) return;
  const tfjsReadSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object): unknown => {
    // Values tfjs still holds on the CPU (and strings) are returned without the canvas.
    const data = (backend as unknown as { tensorMap?: Map<object, { values?: unknown; dtype?: string }> }).tensorMap?.get(dataId);
    if (data && (data.values != null || data.dtype === 'string')) return tfjsReadSync(dataId);
    throw new Error(WEBGPU_SYNC_READ_ERROR);
  };
  backend.gafLabSyncReadError = true;
}

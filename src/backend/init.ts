import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { fastTrainingParts, setFastTraining } from './fast-training';
import { registerWasmGradientKernels } from './wasm-kernels/index';
import { explainWebGpuSyncReads, registerWebGpuKernelFixes, WEBGPU_ADDN_FIX } from './webgpu-kernels';
import { decideWebGpu, discoverWebGpu, installWebGpu, probeWebGpu, WebGpuAdapterReport } from './webgpu';
import { formatWasmThreads, resolveThreadCount, startWasmBackend, WasmThreadsReport } from './wasm-threads';

/** The TensorFlow.js backends gaf-lab can run on, best first. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** Why one candidate backend was or was not chosen. */
export interface BackendCandidate {
  /** Backend name as tfjs knows it. */
  backend: BackendName;
  /** The npm package that provides it. */
  package: string;
  /** True for the one in use. */
  chosen: boolean;
  /** Plain-language reason: what was found, what failed, or why it was not tried. */
  reason: string;
}

/** What {@link initBackend} decided. */
export interface BackendReport {
  /** The backend now active in tfjs. */
  backend: BackendName;
  /** Where the request came from: an argument, the GAF_BACKEND variable, or automatic choice. */
  requestedBy: 'argument' | 'GAF_BACKEND' | 'auto';
  /** Every candidate considered, in order of preference. */
  candidates: BackendCandidate[];
  /** Warnings the user must see (e.g. the cpu backend is unfit for training). */
  warnings: string[];
  /** Names of gradient kernels gaf-lab registered for wasm in this process. */
  registeredKernels: string[];
  /** gaf-lab's replacements of tfjs kernels, gradients and engine parts (see `setFastTraining`). */
  fastTraining: FastTrainingReport;
  /** The WebGPU adapter found, whether used or not (null when WebGPU was not looked at or has no adapter). */
  webgpuAdapter: WebGpuAdapterReport | null;
  /** Threads of the wasm backend and how they run (null when wasm was not started). */
  wasmThreads: WasmThreadsReport | null;
}

/** Whether gaf-lab's replacements of tfjs internals are on, why, and what they replace. */
export interface FastTrainingReport {
  on: boolean;
  /** Where the decision came from and why. */
  reason: string;
  /** Every kernel, gradient and engine part that acts on this backend and is (when on) or would be replaced. */
  parts: string[];
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /**
   * gaf-lab's training speed-ups, which replace some tfjs kernels, gradients and the engine's
   * backward pass (`setFastTraining`): `'auto'` (default) turns them on for the backends they
   * are tested on (wasm, cpu) and off elsewhere; `true`/`false` force them. The variable
   * GAF_FAST_TRAINING (1/0) applies when this is left at 'auto'.
   */
  fastTraining?: boolean | 'auto';
  /**
   * Threads the wasm backend trains with (XNNPACK's pool): default GAF_THREADS, else every core
   * the process may use (`os.availableParallelism()`); 1 for the single-threaded build. Fixed for
   * the process once wasm has started.
   */
  threads?: number;
}

/** Backends the speed-ups are tested on (bit-identical or within float rounding of tfjs's own). */
const FAST_TRAINING_TESTED: readonly BackendName[] = ['wasm', 'cpu', 'webgpu'];

function decideFastTraining(backend: BackendName, option: boolean | 'auto'): { on: boolean; reason: string } {
  if (option !== 'auto') return { on: option, reason: `${option ? 'on' : 'off'}: requested by the fastTraining option` };
  const env = process.env['GAF_FAST_TRAINING'];
  if (env !== undefined && env !== '') {
    if (env !== '0' && env !== '1') throw new Error(`gaf-lab: GAF_FAST_TRAINING is "${env}"; use 1 (on), 0 (off) or leave it unset.`);
    return { on: env === '1', reason: `${env === '1' ? 'on' : 'off'}: GAF_FAST_TRAINING=${env}` };
  }
  return FAST_TRAINING_TESTED.includes(backend)
    ? {
        on: true,
        reason: `on: tested on ${backend} against tfjs's own kernels and gradients; off with fastTraining: false or GAF_FAST_TRAINING=0`,
      }
    : { on: false, reason: `off: not tested on ${backend}; on with fastTraining: true or GAF_FAST_TRAINING=1` };
}

const BACKENDS: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

const CPU_WARNING =
  'gaf-lab: the pure-JS "cpu" backend is hundreds of times too slow to train conv nets ' +
  '(one step of a 2-conv CNN took 260 s on this kind of machine). Use it only for tiny checks; ' +
  'unset GAF_BACKEND to get wasm or native TensorFlow.';

/**
 * Runs `fn` with tfjs's public PROD flag set, which silences tfjs's console warnings: the cpu
 * backend's advert for its native binding, printed on its first tensor in Node, is noise when
 * cpu was chosen on purpose.
 */
function quietly<T>(fn: () => T): T {
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    return fn();
  } finally {
    tf.env().set('PROD', prod);
  }
}

/** The result of trying to load one backend: an error message, or success. */
type Attempt = { ok: true; detail: string } | { ok: false; detail: string };

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.slice(0, 300);
}

/** Reads the package.json a module name resolves to, or undefined when not installed. */
function installedPackage(name: string): { name: string; version: string } | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(`${name}/package.json`) as { name: string; version: string };
  } catch {
    return undefined;
  }
}

function gpuVisible(): boolean {
  try {
    execFileSync('nvidia-smi', ['-L'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** A backend only counts as working if it runs an op and returns the right number. */
async function smokeTest(name: BackendName): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
  const t = quietly(() => tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2))));
  const v = (await t.data())[0];
  t.dispose();
  if (v !== 3) throw new Error(`test op 1+2 gave ${v}`);
}

async function tryTensorflow(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<Attempt> {
  const meta = installedPackage(pkg);
  if (!meta) {
    return { ok: false, detail: `${pkg} is not installed (see environment.md: "npm run gpu:install")` };
  }
  if (meta.name !== pkg) {
    // danfojs-node's dependency on tfjs-node is overridden with an alias of pure tfjs, which npm
    // hoists to node_modules/@tensorflow/tfjs-node: present by name, but not the native binding.
    return { ok: false, detail: `node_modules/${pkg} is an alias of ${meta.name}@${meta.version}, not the native binding` };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(pkg);
  } catch (e) {
    return { ok: false, detail: `${pkg}@${meta.version} is installed but its native binding did not load: ${errorText(e)}` };
  }
  if (!tf.findBackend('tensorflow')) {
    return { ok: false, detail: `${pkg}@${meta.version} loaded but did not register the 'tensorflow' backend` };
  }
  try {
    await smokeTest('tensorflow');
  } catch (e) {
    return { ok: false, detail: `${pkg}@${meta.version} registered but could not run an op: ${errorText(e)}` };
  }
  const gpuNote = pkg === '@tensorflow/tfjs-node-gpu' && !gpuVisible() ? ' (no GPU visible to nvidia-smi: TensorFlow runs on the CPU)' : '';
  return { ok: true, detail: `${pkg}@${meta.version} native TensorFlow${gpuNote}` };
}

/**
 * WebGPU when asked for (any adapter, Dawn loaded in this process), or automatically on a
 * hardware adapter (looked for in a child process first, see probeWebGpu).
 */
async function tryWebGpu(requested: boolean, seen: (a: WebGpuAdapterReport) => void): Promise<Attempt> {
  const found = requested ? await discoverWebGpu() : await probeWebGpu();
  if (found.found) seen(found.adapter);
  const decision = decideWebGpu(found, requested);
  if (!decision.use) return { ok: false, detail: decision.reason };
  try {
    if (!requested) installWebGpu();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers the backend only once navigator.gpu exists
    require('@tensorflow/tfjs-backend-webgpu');
    if (!tf.findBackendFactory('webgpu')) {
      return {
        ok: false,
        detail: `${decision.reason}; but @tensorflow/tfjs-backend-webgpu registered no backend (it was loaded before navigator.gpu existed)`,
      };
    }
    registerWebGpuKernelFixes();
    await smokeTest('webgpu');
    explainWebGpuSyncReads();
  } catch (e) {
    return { ok: false, detail: `${decision.reason}; but the webgpu backend failed to start: ${errorText(e)}` };
  }
  return { ok: true, detail: `${decision.reason}; gaf-lab's fix: ${WEBGPU_ADDN_FIX}` };
}

async function tryWasm(threads: number | undefined, seen: (t: WasmThreadsReport) => void): Promise<Attempt> {
  const request = resolveThreadCount(threads);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-wasm');
    const t = await startWasmBackend(request, () => smokeTest('wasm'));
    seen(t);
    return {
      ok: true,
      detail: `@tensorflow/tfjs-backend-wasm (SIMD, ${t.threads === 1 ? '1 thread' : `${t.threads} threads`}) with gaf-lab gradient kernels`,
    };
  } catch (e) {
    return { ok: false, detail: `wasm backend failed to start: ${errorText(e)}` };
  }
}

async function tryCpu(): Promise<Attempt> {
  try {
    await smokeTest('cpu');
    return { ok: true, detail: 'pure-JS cpu backend (explicitly requested)' };
  } catch (e) {
    return { ok: false, detail: `cpu backend failed: ${errorText(e)}` };
  }
}

function parseRequest(preferred: string | undefined): { want?: BackendName; by: BackendReport['requestedBy'] } {
  const env = process.env['GAF_BACKEND'];
  const raw = preferred ?? (env !== undefined && env !== '' ? env : undefined);
  const by = preferred !== undefined ? 'argument' : raw !== undefined ? 'GAF_BACKEND' : 'auto';
  if (raw === undefined || raw === 'auto') return { by };
  const want = raw.trim().toLowerCase();
  if (!(BACKENDS as readonly string[]).includes(want)) {
    throw new Error(
      `gaf-lab: unknown backend "${raw}"${by === 'GAF_BACKEND' ? ' in GAF_BACKEND' : ''}; ` +
        `use one of ${BACKENDS.join(', ')} (or leave it unset for automatic choice).`,
    );
  }
  return { want: want as BackendName, by };
}

/**
 * Chooses and activates the TensorFlow.js backend.
 *
 * Without a preference: native TensorFlow (`@tensorflow/tfjs-node-gpu`, then
 * `@tensorflow/tfjs-node`) when it loads and runs an op, then `webgpu` on a hardware GPU adapter
 * (`@tensorflow/tfjs-backend-webgpu` on Dawn; a software adapter such as llvmpipe only when
 * asked for, see {@link decideWebGpu}), otherwise `wasm` (with the gradient
 * kernels gaf-lab adds so that conv nets train). `cpu` is used only when asked for, with a
 * warning. A preference (argument, else the `GAF_BACKEND` environment variable) forces that
 * backend and throws if it cannot load.
 *
 * It then takes one more named step, reported in `fastTraining`: gaf-lab's training speed-ups,
 * which replace some of tfjs's kernels, gradients and its backward pass (see
 * {@link InitBackendOptions.fastTraining}).
 *
 * @param preferred 'tensorflow' | 'webgpu' | 'wasm' | 'cpu' | 'auto'; overrides GAF_BACKEND.
 * @returns the backend in use and why each better one was not used.
 */
export async function initBackend(preferred?: BackendName | 'auto', options: InitBackendOptions = {}): Promise<BackendReport> {
  const { want, by } = parseRequest(preferred);
  const candidates: BackendCandidate[] = [];
  const warnings: string[] = [];
  let chosen: BackendName | undefined;
  const registeredKernels = registerWasmGradientKernels();
  let webgpuAdapter: WebGpuAdapterReport | null = null;

  const consider = async (backend: BackendName, pkg: string, attempt: () => Promise<Attempt>): Promise<void> => {
    if (chosen) {
      candidates.push({ backend, package: pkg, chosen: false, reason: `not tried: ${chosen} was already chosen` });
      return;
    }
    if (want && want !== backend) {
      candidates.push({ backend, package: pkg, chosen: false, reason: `not tried: ${want} was requested by ${by}` });
      return;
    }
    const r = await attempt();
    candidates.push({ backend, package: pkg, chosen: r.ok, reason: r.detail });
    if (r.ok) chosen = backend;
  };

  await consider('tensorflow', '@tensorflow/tfjs-node-gpu', () => tryTensorflow('@tensorflow/tfjs-node-gpu'));
  await consider('tensorflow', '@tensorflow/tfjs-node', () => tryTensorflow('@tensorflow/tfjs-node'));
  await consider('webgpu', '@tensorflow/tfjs-backend-webgpu', () => tryWebGpu(want === 'webgpu', (a) => (webgpuAdapter = a)));
  let wasmThreads: WasmThreadsReport | null = null;
  await consider('wasm', '@tensorflow/tfjs-backend-wasm', () => tryWasm(options.threads, (t) => (wasmThreads = t)));
  if (want === 'cpu') {
    await consider('cpu', '@tensorflow/tfjs', tryCpu);
  } else {
    candidates.push({
      backend: 'cpu',
      package: '@tensorflow/tfjs',
      chosen: false,
      reason: chosen
        ? 'not used: only on explicit request (unfit for training)'
        : 'not used automatically: unfit for training; request it with GAF_BACKEND=cpu',
    });
  }

  if (!chosen) {
    const why = candidates.map((c) => `  - ${c.package}: ${c.reason}`).join('\n');
    const hint =
      want === 'tensorflow'
        ? 'Install native TensorFlow with "npm run gpu:install" (environment.md lists what it needs), or unset GAF_BACKEND.'
        : want === 'webgpu'
          ? 'WebGPU needs a GPU driver with Vulkan (Linux), Metal (macOS) or D3D12 (Windows); environment.md, "GPU routes", lists what to install. Or unset GAF_BACKEND.'
          : 'Reinstall dependencies with "npm ci", or set GAF_BACKEND to another backend.';
    throw new Error(`gaf-lab: could not start the ${want ?? 'any'} backend.\n${why}\n${hint}`);
  }
  if (chosen === 'cpu') {
    // Chosen in code (a notebook's small dense experiments), the report's line is enough; chosen
    // by GAF_BACKEND, it may be a leftover setting, so it is also shouted on stderr.
    warnings.push(CPU_WARNING);
    if (by !== 'argument') console.warn(`\n*** ${CPU_WARNING} ***\n`);
  }
  const fast = decideFastTraining(chosen, options.fastTraining ?? 'auto');
  setFastTraining(fast.on);
  const fastTraining = { ...fast, parts: fastTrainingParts(chosen) };
  return { backend: chosen, requestedBy: by, candidates, warnings, registeredKernels, fastTraining, webgpuAdapter, wasmThreads };
}

/** A few readable lines: the backend in use and why each other candidate was not. */
export function formatBackendReport(r: BackendReport): string {
  const lines = [`backend: ${r.backend} (${r.requestedBy === 'auto' ? 'automatic choice' : `requested by ${r.requestedBy}`})`];
  for (const c of r.candidates) lines.push(`  ${c.chosen ? '*' : '-'} ${c.package}: ${c.reason}`);
  const f = r.fastTraining;
  if (r.wasmThreads) lines.push(formatWasmThreads(r.wasmThreads));
  lines.push(`fast training: ${f.reason}`);
  if (f.on) lines.push(`  replaces: ${f.parts.join(', ')}`);
  for (const w of r.warnings) lines.push(`  ! ${w}`);
  return lines.join('\n');
}

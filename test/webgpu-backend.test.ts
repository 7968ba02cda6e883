/**
 * Choosing the WebGPU backend: a hardware adapter is used automatically, a software one only
 * on request, and the report says what the adapter is and why it was or was not used.
 *
 * Each case runs in a fresh Node process (backend choice is process-global in tfjs). The stubbed
 * cases give the process a `navigator.gpu` of their own, as a browser would: its adapter claims
 * to be hardware or software (or is absent) while the device underneath is Dawn's real one, so a
 * chosen backend really starts and computes. The unstubbed cases use whatever this machine has:
 * in CI, Mesa's software Vulkan driver (llvmpipe).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { adapterReport, decideWebGpu, isSoftwareAdapter, type WebGpuDiscovery } from '../src/backend/webgpu';
import { resolveConfig } from '../src/config/index';
import { resumeConfig } from './resume-fixtures';

const entry = path.resolve(__dirname, '../src/backend/init.js');
const dawn = require.resolve('webgpu');

interface Report {
  backend: string;
  requestedBy: string;
  candidates: { backend: string; package: string; chosen: boolean; reason: string }[];
  webgpuAdapter: {
    vendor: string;
    architecture: string;
    description: string;
    isSoftware: boolean;
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
  } | null;
  fastTraining: { on: boolean; parts: string[] };
}
interface Outcome {
  report?: Report;
  error?: string;
  /** tf.getBackend() after initBackend, and 3x4 @ 4x2 of small integers computed there. */
  active?: string;
  product?: number[];
}

/** What a stubbed `navigator.gpu` answers: an adapter claiming these facts, or none. */
type Stub = { info: { vendor: string; architecture: string; description: string }; isFallbackAdapter: boolean } | 'no adapter';

/** Runs initBackend(arg) in a fresh process, with `stub` as the host's navigator.gpu when given. */
function run(arg: string | undefined, env: Record<string, string> = {}, stub?: Stub): Outcome {
  const stubSetup =
    stub === undefined
      ? ''
      : `
    const { create, globals } = require(${JSON.stringify(dawn)});
    Object.assign(globalThis, globals);
    const real = create([]);
    const stub = ${JSON.stringify(stub)};
    globalThis.navigator = { gpu: { requestAdapter: async (o) => {
      if (stub === 'no adapter') return null;
      const a = await real.requestAdapter(o);
      return { features: a.features, limits: a.limits, info: stub.info, isFallbackAdapter: stub.isFallbackAdapter,
        requestDevice: (d) => a.requestDevice(d) };
    } } };`;
  const script = `${stubSetup}
    const tf = require('@tensorflow/tfjs');
    require(${JSON.stringify(entry)}).initBackend(${arg === undefined ? '' : JSON.stringify(arg)})
      .then(async (r) => {
        const p = tf.matMul(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 4]), tf.tensor2d([1, 0, 0, 1, 1, 1, 2, -1], [4, 2]));
        process.stdout.write(JSON.stringify({ report: r, active: tf.getBackend(), product: Array.from(await p.data()) }));
      })
      .catch((e) => process.stdout.write(JSON.stringify({ error: e.message })));`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (env['GAF_BACKEND'] === undefined) delete childEnv['GAF_BACKEND'];
  const p = spawnSync(process.execPath, ['-e', script], { env: childEnv, encoding: 'utf8', timeout: 120_000 });
  assert.equal(p.status, 0, `child failed: ${p.stderr}`);
  return JSON.parse(p.stdout) as Outcome;
}

// [1..12] as 3x4 times [[1,0],[0,1],[1,1],[2,-1]]: row i = (a+c+2d, b+c-d) for the row's a, b, c, d.
const PRODUCT = [1 + 3 + 8, 2 + 3 - 4, 5 + 7 + 16, 6 + 7 - 8, 9 + 11 + 24, 10 + 11 - 12];

const webgpuCandidate = (r: Report): Report['candidates'][number] => r.candidates.find((c) => c.backend === 'webgpu')!;

const HARDWARE: Stub = {
  info: { vendor: 'nvidia', architecture: 'ampere', description: 'stub hardware adapter' },
  isFallbackAdapter: false,
};
const SWIFTSHADER: Stub = {
  info: { vendor: 'google', architecture: '', description: 'SwiftShader Device (Subzero)' },
  isFallbackAdapter: false,
};

test('software adapters are recognised by architecture, fallback flag or a known CPU rasteriser', () => {
  assert.equal(isSoftwareAdapter({ architecture: 'software', description: 'llvmpipe (LLVM 15)' }), true);
  assert.equal(isSoftwareAdapter({ architecture: '', description: 'SwiftShader Device (Subzero)' }), true);
  assert.equal(isSoftwareAdapter({ architecture: '', description: 'Microsoft Basic Render Driver' }), true);
  assert.equal(isSoftwareAdapter({ architecture: 'ampere', description: 'NVIDIA GeForce RTX 3090' }, true), true);
  assert.equal(isSoftwareAdapter({ architecture: 'ampere', description: 'NVIDIA GeForce RTX 3090' }), false);
  assert.equal(isSoftwareAdapter({ architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' }), false);
  assert.equal(isSoftwareAdapter({ architecture: 'metal-3', description: 'Apple M2' }), false);
});

test('decision table: requested -> used; hardware -> used; software -> not automatically; none -> the reason', () => {
  const limits = { maxBufferSize: 2 ** 32 - 1, maxStorageBufferBindingSize: 2 ** 27 };
  const found = (architecture: string): WebGpuDiscovery => ({
    found: true,
    source: 'test',
    adapter: adapterReport({ info: { vendor: 'v', architecture, description: 'd' }, limits }),
  });
  assert.equal(decideWebGpu(found('ampere'), false).use, true);
  assert.equal(decideWebGpu(found('software'), false).use, false);
  assert.match(decideWebGpu(found('software'), false).reason, /not used automatically.*GAF_BACKEND=webgpu/);
  assert.equal(decideWebGpu(found('software'), true).use, true);
  const none = decideWebGpu({ found: false, source: 'test', reason: 'no adapter here' }, true);
  assert.deepEqual(none, { use: false, reason: 'no adapter here' });
  // 128 MiB binding limit, 4 GiB - 1 buffer limit, reported in MiB.
  assert.match(decideWebGpu(found('ampere'), false).reason, /maxBufferSize 4096 MiB, maxStorageBufferBindingSize 128 MiB/);
});

test('a hardware adapter is chosen automatically, and the backend computes on it', () => {
  const o = run(undefined, {}, HARDWARE);
  assert.equal(o.error, undefined, o.error);
  const r = o.report!;
  assert.equal(r.backend, 'webgpu');
  assert.equal(o.active, 'webgpu');
  assert.equal(r.requestedBy, 'auto');
  assert.deepEqual(o.product, PRODUCT);
  assert.equal(r.webgpuAdapter?.isSoftware, false);
  assert.equal(r.webgpuAdapter?.vendor, 'nvidia');
  assert.match(webgpuCandidate(r).reason, /nvidia ampere "stub hardware adapter".*a hardware adapter/);
  assert.equal(r.candidates.find((c) => c.backend === 'wasm')!.reason, 'not tried: webgpu was already chosen');
  // gaf-lab's wasm kernels do not act on webgpu; the report lists only what does.
  assert.deepEqual(
    r.fastTraining.parts.filter((p) => p.startsWith('wasm kernel')),
    [],
  );
});

test('a software adapter is not chosen automatically; on request (GAF_BACKEND or argument) it is', () => {
  const auto = run(undefined, {}, SWIFTSHADER);
  assert.equal(auto.report?.backend, 'wasm', auto.error);
  assert.equal(auto.report!.webgpuAdapter?.isSoftware, true);
  assert.match(webgpuCandidate(auto.report!).reason, /SwiftShader.*software: runs on the CPU.*not used automatically/);

  const env = run(undefined, { GAF_BACKEND: 'webgpu' }, SWIFTSHADER);
  assert.equal(env.report?.backend, 'webgpu', env.error);
  assert.equal(env.report!.requestedBy, 'GAF_BACKEND');
  assert.deepEqual(env.product, PRODUCT);

  const arg = run('webgpu', {}, SWIFTSHADER);
  assert.equal(arg.report?.backend, 'webgpu', arg.error);
  assert.equal(arg.report!.requestedBy, 'argument');
});

test('no adapter: automatic choice falls back to wasm with the reason; a request fails naming what to install', () => {
  const auto = run(undefined, {}, 'no adapter');
  assert.equal(auto.report?.backend, 'wasm', auto.error);
  assert.equal(auto.report!.webgpuAdapter, null);
  const reason = webgpuCandidate(auto.report!).reason;
  assert.match(reason, /no adapter/);
  if (process.platform === 'linux') assert.match(reason, /libvulkan1.*mesa-vulkan-drivers/);

  const asked = run('webgpu', {}, 'no adapter');
  assert.match(asked.error ?? '', /could not start the webgpu backend/);
  assert.match(asked.error ?? '', /Vulkan \(Linux\), Metal \(macOS\) or D3D12 \(Windows\)/);
});

test('this machine: initBackend() leaves a software adapter alone; initBackend("webgpu") reports it and computes', () => {
  const auto = run(undefined);
  assert.equal(auto.error, undefined, auto.error);
  const seen = auto.report!.webgpuAdapter;
  // Automatic choice takes webgpu only on hardware; CI machines have llvmpipe (or no Vulkan at all).
  assert.equal(auto.report!.backend, seen !== null && !seen.isSoftware ? 'webgpu' : 'wasm');

  const asked = run('webgpu');
  assert.equal(asked.error, undefined, `initBackend('webgpu') failed (is mesa-vulkan-drivers 25 installed?): ${asked.error}`);
  const r = asked.report!;
  assert.equal(r.backend, 'webgpu');
  assert.deepEqual(asked.product, PRODUCT);
  const a = r.webgpuAdapter!;
  for (const k of ['vendor', 'architecture', 'description'] as const) assert.ok(a[k].length > 0, `${k} is empty`);
  assert.equal(a.isSoftware, a.architecture === 'software' || /llvmpipe|lavapipe|swiftshader/i.test(a.description));
  assert.ok(
    a.maxStorageBufferBindingSize >= 2 ** 27,
    `WebGPU guarantees at least 128 MiB per binding, got ${a.maxStorageBufferBindingSize}`,
  );
  assert.ok(a.maxBufferSize >= a.maxStorageBufferBindingSize);
  assert.match(webgpuCandidate(r).reason, new RegExp(`${a.vendor} ${a.architecture}.*maxBufferSize \\d+ MiB.*requested`));
  assert.equal(r.fastTraining.on, true);
});

test("a config's backend field takes webgpu", () => {
  const r = resolveConfig({ ...resumeConfig('runs'), backend: 'webgpu' });
  assert.equal(r.backend, 'webgpu');
  assert.throws(() => resolveConfig({ ...resumeConfig('runs'), backend: 'webgl' }), /backend.*webgpu/s);
});

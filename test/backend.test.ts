import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// Backend choice is process-global in tfjs, so each case runs in a fresh Node process.
const entry = path.resolve(__dirname, '../src/backend/init.js');

interface Outcome {
  ok: boolean;
  report?: {
    backend: string;
    requestedBy: string;
    warnings: string[];
    registeredKernels: string[];
    candidates: { package: string; chosen: boolean; reason: string }[];
    webgpuAdapter: { isSoftware: boolean } | null;
  };
  error?: string;
  stderr: string;
}

function run(arg: string | undefined, env: Record<string, string | undefined>): Outcome {
  const script = `
    require(${JSON.stringify(entry)}).initBackend(${arg === undefined ? '' : JSON.stringify(arg)})
      .then(r => { process.stdout.write(JSON.stringify({ ok: true, report: r })); })
      .catch(e => { process.stdout.write(JSON.stringify({ ok: false, error: e.message })); });`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv['GAF_BACKEND'];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  const p = spawnSync(process.execPath, ['-e', script], { env: childEnv, encoding: 'utf8', timeout: 60_000 });
  assert.equal(p.status, 0, `child failed: ${p.stderr}`);
  return { ...(JSON.parse(p.stdout) as Omit<Outcome, 'stderr'>), stderr: p.stderr };
}

/** What is really installed, found independently of the module under test. */
function realPackage(name: string): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a package name known only at run time
    return (require(`${name}/package.json`) as { name: string }).name;
  } catch {
    return undefined;
  }
}

test('automatic choice: native TensorFlow when its binding is installed, otherwise wasm, with a reason for each', () => {
  const o = run(undefined, {});
  assert.ok(o.ok, o.error);
  const r = o.report!;
  const gpu = realPackage('@tensorflow/tfjs-node-gpu');
  const node = realPackage('@tensorflow/tfjs-node');
  const nativeInstalled = gpu === '@tensorflow/tfjs-node-gpu' || node === '@tensorflow/tfjs-node';
  // A hardware WebGPU adapter comes before wasm (test/webgpu-backend.test.ts); CI machines have none.
  const hardwareGpu = r.webgpuAdapter !== null && !r.webgpuAdapter.isSoftware;
  if (!nativeInstalled && !hardwareGpu) {
    assert.equal(r.backend, 'wasm');
    const byPkg = Object.fromEntries(r.candidates.map((c) => [c.package, c]));
    assert.match(byPkg['@tensorflow/tfjs-node-gpu']!.reason, gpu === undefined ? /not installed.*gpu:install/ : /alias/);
    // danfojs-node's override hoists an alias of pure tfjs under the tfjs-node name.
    if (node === '@tensorflow/tfjs')
      assert.match(byPkg['@tensorflow/tfjs-node']!.reason, /alias of @tensorflow\/tfjs@4\.22\.0, not the native binding/);
    assert.equal(byPkg['@tensorflow/tfjs-backend-wasm']!.chosen, true);
    assert.match(byPkg['@tensorflow/tfjs']!.reason, /unfit for training/);
  }
  assert.equal(r.requestedBy, 'auto');
  assert.deepEqual(r.warnings, []);
  // wasm lacks the conv filter gradient; the report lists what gaf-lab registered for it.
  assert.ok(r.registeredKernels.includes('Conv2DBackpropFilter'), `registered: ${r.registeredKernels.join(',')}`);
});

test('GAF_BACKEND=cpu uses cpu with a loud warning; an argument overrides the variable', () => {
  const o = run(undefined, { GAF_BACKEND: 'cpu' });
  assert.ok(o.ok, o.error);
  assert.equal(o.report!.backend, 'cpu');
  assert.equal(o.report!.requestedBy, 'GAF_BACKEND');
  assert.match(o.report!.warnings[0]!, /too slow to train/);
  assert.match(o.stderr, /too slow to train/);
  const w = run('wasm', { GAF_BACKEND: 'cpu' });
  assert.equal(w.report!.backend, 'wasm');
  assert.equal(w.report!.requestedBy, 'argument');
});

test('forcing a backend that cannot load fails with every reason and the fix', () => {
  const nativeInstalled =
    realPackage('@tensorflow/tfjs-node-gpu') === '@tensorflow/tfjs-node-gpu' ||
    realPackage('@tensorflow/tfjs-node') === '@tensorflow/tfjs-node';
  const o = run(undefined, { GAF_BACKEND: 'tensorflow' });
  if (nativeInstalled) {
    assert.equal(o.report?.backend, 'tensorflow');
  } else {
    assert.equal(o.ok, false);
    assert.match(o.error!, /could not start the tensorflow backend/);
    assert.match(o.error!, /@tensorflow\/tfjs-node-gpu: /);
    assert.match(o.error!, /gpu:install/);
  }
});

test('an unknown backend name is rejected with the valid names', () => {
  const o = run(undefined, { GAF_BACKEND: 'webgl' });
  assert.equal(o.ok, false);
  assert.match(o.error!, /unknown backend "webgl" in GAF_BACKEND; use one of tensorflow, webgpu, wasm, cpu/);
});

test('calling initBackend again leaves no tensors behind', () => {
  const script = `
    const tf = require('@tensorflow/tfjs');
    const { initBackend } = require(${JSON.stringify(entry)});
    (async () => {
      await initBackend('wasm');
      const before = tf.memory().numTensors;
      await initBackend('wasm');
      await initBackend();
      process.stdout.write(String(tf.memory().numTensors - before));
    })();`;
  const p = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(p.status, 0, p.stderr);
  assert.equal(p.stdout, '0');
});

/** Runs `body` (an async function body) in a fresh process with tfjs as `tf` and initBackend; returns its JSON output. */
function probe(body: string, env: Record<string, string> = {}): Record<string, unknown> {
  const script = `
    const tf = require('@tensorflow/tfjs');
    const { initBackend } = require(${JSON.stringify(entry)});
    const { registerWasmGradientKernels } = require(${JSON.stringify(path.resolve(__dirname, '../src/backend/wasm-kernels/index.js'))});
    const patched = () => ({
      engineGradients: Object.prototype.hasOwnProperty.call(tf.engine(), 'gradients'),
      mean: tf.getGradient('Mean') !== tfjsMean,
    });
    const tfjsMean = tf.getGradient('Mean');
    (async () => { ${body} })().then(
      (r) => process.stdout.write(JSON.stringify(r)),
      (e) => process.stdout.write(JSON.stringify({ error: e.message })));`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv['GAF_BACKEND'];
  if (env['GAF_FAST_TRAINING'] === undefined) delete childEnv['GAF_FAST_TRAINING'];
  const p = spawnSync(process.execPath, ['-e', script], { env: childEnv, encoding: 'utf8', timeout: 60_000 });
  assert.equal(p.status, 0, p.stderr);
  return JSON.parse(p.stdout) as Record<string, unknown>;
}

test('registering the wasm gradient kernels patches nothing of tfjs: no engine method, no gradient replaced', () => {
  const r = probe(`registerWasmGradientKernels(); return patched();`);
  assert.deepEqual(r, { engineGradients: false, mean: false });
});

test('initBackend takes the fast-training step on wasm, reports what it replaces, and can be switched off', () => {
  const on = probe(`const r = await initBackend('wasm'); return { ...patched(), f: r.fastTraining };`);
  const f = on['f'] as { on: boolean; reason: string; parts: string[] };
  assert.equal(f.on, true);
  assert.match(f.reason, /tested on wasm/);
  assert.ok(f.parts.includes('engine.gradients (lean backprop)') && f.parts.includes('gradient of Mean'), f.parts.join(', '));
  assert.equal(on['engineGradients'], true);
  assert.equal(on['mean'], true);

  const off = probe(
    `const r = await initBackend('wasm', { fastTraining: false }); return { ...patched(), on: r.fastTraining.on, reason: r.fastTraining.reason };`,
  );
  assert.deepEqual(off, { engineGradients: false, mean: false, on: false, reason: 'off: requested by the fastTraining option' });

  const env = probe(`const r = await initBackend('wasm'); return { ...patched(), on: r.fastTraining.on };`, { GAF_FAST_TRAINING: '0' });
  assert.deepEqual(env, { engineGradients: false, mean: false, on: false });

  const bad = probe(`return await initBackend('wasm');`, { GAF_FAST_TRAINING: 'yes' });
  assert.match(String(bad['error']), /GAF_FAST_TRAINING is "yes"; use 1 \(on\), 0 \(off\)/);
});

test('on cpu the fast-training report lists only what acts there (gradients and engine parts, no wasm kernels)', () => {
  const r = probe(`const r = await initBackend('cpu'); return r.fastTraining;`, {});
  const parts = r['parts'] as string[];
  assert.equal(r['on'], true);
  assert.ok(parts.includes('gradient of Mean') && parts.includes('engine.gradients (lean backprop)'), parts.join(', '));
  assert.deepEqual(
    parts.filter((p) => p.startsWith('wasm kernel')),
    [],
  );
});

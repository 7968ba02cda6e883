import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig, runIdOf } from '../src/config/index';
import { findWasmThreadInternals, resolveThreadCount, threadsPerWorker, WASM_THREADS_TFJS_VERSION } from '../src/backend/wasm-threads';

// The wasm backend and its pool are fixed for a process, so each case that starts one runs in a
// fresh Node process.
const initEntry = path.resolve(__dirname, '../src/backend/init.js');
const threadsEntry = path.resolve(__dirname, '../src/backend/wasm-threads.js');
const tileThreadsEntry = path.resolve(__dirname, '../src/backend/simd/tile-threads.js');
const accessEntry = path.resolve(__dirname, '../src/backend/wasm-kernels/wasm-backend-access.js');
const templateEntry = path.resolve(__dirname, '../src/backend/simd/job-template.js');

interface Child {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs an async function body in a fresh process with tf, initBackend and the threads module; a hang fails at the timeout. */
function child(body: string, env: Record<string, string | undefined>, timeout = 120_000): Child {
  const script = `
    const tf = require('@tensorflow/tfjs');
    const { initBackend, formatBackendReport } = require(${JSON.stringify(initEntry)});
    const threads = require(${JSON.stringify(threadsEntry)});
    const tileThreads = require(${JSON.stringify(tileThreadsEntry)});
    const access = require(${JSON.stringify(accessEntry)});
    const templates = require(${JSON.stringify(templateEntry)});
    (async () => {
${body}
})().catch((e) => { process.stderr.write('child error: ' + e.stack); process.exitCode = 1; });`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['GAF_BACKEND', 'GAF_THREADS', 'GAF_FAST_TRAINING']) delete childEnv[k];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  const p = spawnSync(process.execPath, ['-e', script], { env: childEnv, encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
  assert.notEqual(p.error?.message.includes('ETIMEDOUT'), true, `child hung past ${timeout} ms: ${p.stderr}`);
  return { status: p.status, signal: p.signal, stdout: p.stdout, stderr: p.stderr };
}

/**
 * A few SGD steps of a small conv net that uses every kind of kernel a CNN step runs on wasm
 * (strided and 3x3 convolutions and their gradients, depthwise, batch norm, max pool, dense),
 * with seeded weights and data; prints the weights after training as base64 float32.
 */
const TRAIN_STEPS = `
  const report = await initBackend('wasm');
  const seeded = (n, seed) => { let a = seed >>> 0; const out = new Float32Array(n); for (let i = 0; i < n; i++) { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1; } return out; };
  const init = (seed) => tf.initializers.glorotUniform({ seed });
  const m = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [32, 32, 8], filters: 32, kernelSize: 3, padding: 'same', kernelInitializer: init(1) }),
    tf.layers.batchNormalization(),
    tf.layers.reLU(),
    tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: init(2) }),
    tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init(3) }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 64, kernelSize: 1, kernelInitializer: init(4) }),
    tf.layers.globalAveragePooling2d({}),
    tf.layers.dense({ units: 10, kernelInitializer: init(5) }),
  ] });
  const x = tf.tensor4d(seeded(16 * 32 * 32 * 8, 7), [16, 32, 32, 8]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 10), 'int32'), 10);
  const opt = tf.train.sgd(0.1);
  const steps = () => { for (let s = 0; s < 3; s++) tf.dispose(opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true })), true)); };
  steps();
  const before = tf.memory().numTensors;
  steps();
  const leaked = tf.memory().numTensors - before;
  const weights = Buffer.concat(m.getWeights().map((w) => Buffer.from(w.dataSync().buffer))).toString('base64');
  process.stdout.write(JSON.stringify({ weights, leaked, threads: report.wasmThreads, line: formatBackendReport(report), pool: threads.wasmPoolThreadCount() }));
`;

test('training gives bit-identical weights with 1 and 2 threads, and the process ends when training does', () => {
  const runs = ['1', '2'].map((n) => child(TRAIN_STEPS, { GAF_THREADS: n }));
  const out = runs.map((r) => {
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as {
      weights: string;
      leaked: number;
      threads: { threads: number; how: string };
      line: string;
      pool: number;
    };
  });
  const [one, two] = out as [(typeof out)[0], (typeof out)[0]];
  assert.equal(one.threads.threads, 1);
  assert.match(one.threads.how, /single-threaded SIMD build/);
  assert.equal(one.pool, 0);
  assert.equal(two.threads.threads, 2);
  assert.match(two.line, /threads: 2 \(threaded SIMD build, XNNPACK pool of 2 threads/);
  assert.equal(two.pool, 1, 'one worker besides the calling thread; the idle ones are ended');
  assert.equal(one.leaked, 0);
  assert.equal(two.leaked, 0);
  // XNNPACK splits work by output tiles, each computed by the same code whatever thread runs it,
  // and gaf-lab's own kernels run on the calling thread: no sum changes its order.
  assert.ok(one.weights.length > 1000);
  assert.equal(two.weights, one.weights);
});

test('a notebook that initialises and trains twice reuses the one pool', () => {
  const r = child(
    `
    await initBackend('wasm');
    const first = threads.wasmPoolThreadCount();
    const runner = tileThreads.tileRunnerFor(access.wasmMemoryOf(tf.backend()));
    const x = tf.randomNormal([8, 16, 16, 16], 0, 1, 'float32', 1);
    const w = tf.variable(tf.randomNormal([3, 3, 16, 16], 0, 1, 'float32', 2));
    const train = () => tf.dispose(tf.train.sgd(0.01).minimize(() => tf.conv2d(x, w, 1, 'same').square().mean(), true));
    train();
    const again = await initBackend('wasm', { threads: 1 });
    train();
    const sameRunner = tileThreads.tileRunnerFor(access.wasmMemoryOf(tf.backend())) === runner;
    process.stdout.write(JSON.stringify({ first, after: threads.wasmPoolThreadCount(), again: again.wasmThreads, sameRunner, kernelThreads: runner.threads }));`,
    { GAF_THREADS: '2' },
  );
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout) as {
    first: number;
    after: number;
    again: { threads: number; how: string };
    sameRunner: boolean;
    kernelThreads: number;
  };
  assert.equal(o.first, 1);
  assert.equal(o.kernelThreads, 2, "gaf-lab's kernel threads: the calling thread and one worker");
  assert.ok(o.sameRunner, "the second initBackend keeps gaf-lab's kernel workers (no second set of threads)");
  assert.equal(o.after, 1);
  assert.equal(o.again.threads, 2);
  assert.match(o.again.how, /1 asked for, but the pool of a process is fixed: start a new process/);
});

test('a pool thread that dies ends the process with a message instead of a hang', () => {
  const r = child(
    `
    await initBackend('wasm');
    setInterval(() => {}, 1000); // a notebook kernel stays alive on its own
    await threads.wasmPoolWorkersForTest()[0].terminate();
    const x = tf.ones([8, 32, 32, 32]);
    tf.conv2d(x, tf.ones([3, 3, 32, 32]), 1, 'same').dataSync();`,
    { GAF_THREADS: '2' },
  );
  assert.equal(r.status, 70, r.stderr);
  assert.match(r.stderr, /a thread of the wasm backend's pool exited \(code 1\); the pool cannot continue without it/);
  assert.match(r.stderr, /GAF_THREADS=1/);
});

test('a pool thread that crashes while the main thread waits for it ends the whole process', () => {
  // The prelude every pool worker runs first; the throw stands for a wasm trap in the thread.
  const r = child(
    `
    const { Worker } = require('node:worker_threads');
    new Worker(threads.POOL_WORKER_PRELUDE + "throw new Error('trap in a pool thread')", { eval: true });
    const end = Date.now() + 60000;
    while (Date.now() < end) {} // the main thread is busy, as inside a pooled kernel`,
    {},
  );
  assert.equal(r.signal, 'SIGKILL', `status ${r.status}: ${r.stderr}`);
  assert.match(r.stderr, /a thread of the wasm backend's pool crashed: [^]*Error: trap in a pool thread/);
  assert.match(r.stderr, /the process ends \(run with GAF_THREADS=1/);
});

test("a failing thread of gaf-lab's own kernels (a wasm trap) fails the job with the trap's message, no hang; a failed worker fails later jobs at once", () => {
  const r = child(
    `
    const report = await initBackend('wasm');
    const memory = access.wasmMemoryOf(tf.backend());
    const runner = tileThreads.tileRunnerFor(memory);
    // Unit 0 a long valid tile call (4 x 8 channels over 2 M pixels of a zeroed buffer), unit 1 a
    // call whose x address lies past the end of the memory (-64 as an unsigned address): the
    // thread that takes it traps. Which thread takes which unit is a race; both cases are checked.
    const buf = tf.zeros([2 * 1024 * 1024 * 8]);
    const b = access.heapAddress(tf.backend(), buf);
    const long = tileThreads.callRecord('k4x2', [b, b, b, 1, 1, 1, 0, 0, 2048, 0, 0, 1024, 4, 4, 32]);
    const trap = tileThreads.callRecord('k4x2', [-64, b, b, 1, 1, 1, 0, 0, 1, 0, 0, 1, 4, 4, 32]);
    const jobs = [new templates.JobTemplate([long, trap], 0), new templates.JobTemplate([long], 0)];
    const table = tf.zeros([jobs[0].slots], 'int32');
    const at = access.heapAddress(tf.backend(), table) / 4;
    const messages = [];
    for (const job of jobs) { // the second: the long unit alone
      try { runner.run(job.write(new Int32Array(memory.buffer), at, [])); messages.push('no error'); } catch (e) { messages.push(e.message); }
    }
    process.stdout.write(JSON.stringify({ messages, line: formatBackendReport(report) }));`,
    { GAF_THREADS: '2' },
  );
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout) as { messages: string[]; line: string };
  assert.match(o.line, /gaf-lab's SIMD convolution kernels on 2 threads \(the calling thread and 1 worker of its own\)/);
  assert.match(
    o.messages[0]!,
    /gaf-lab's (kernel worker thread 1|SIMD kernel) failed( on the calling thread)?: RuntimeError: memory access out of bounds/,
  );
  if (/worker thread 1 failed:/.test(o.messages[0]!)) {
    assert.match(o.messages[1]!, /worker thread 1 failed earlier in this process .*restart the process/);
  } else {
    // The calling thread took the trapping unit: the worker is sound and the next job runs.
    assert.equal(o.messages[1], 'no error');
  }
});

test('threading is refused with a reason for another tfjs-backend-wasm version or worker source', () => {
  const real = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  assert.equal(typeof findWasmThreadInternals(real), 'object', 'the installed version is the one the patch was written for');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-wasm-threads-'));
  try {
    fs.mkdirSync(path.join(dir, 'wasm-out'));
    for (const f of ['tfjs-backend-wasm-threaded-simd.js', 'tfjs-backend-wasm-threaded-simd.wasm'])
      fs.copyFileSync(path.join(real, 'wasm-out', f), path.join(dir, 'wasm-out', f));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: '4.23.0' }));
    assert.equal(
      findWasmThreadInternals(dir),
      `@tensorflow/tfjs-backend-wasm is 4.23.0; gaf-lab's threading patch was written for ${WASM_THREADS_TFJS_VERSION} and is not applied to other versions`,
    );
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: WASM_THREADS_TFJS_VERSION }));
    fs.writeFileSync(
      path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js'),
      'module.exports.wasmWorkerContents = "self.onmessage = () => {}";',
    );
    assert.match(String(findWasmThreadInternals(dir)), /does not export the worker source this patch expects/);
    fs.rmSync(path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.wasm'));
    assert.match(String(findWasmThreadInternals(dir)), /the threaded SIMD build is missing/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the thread count: argument, then GAF_THREADS, then every core; bad values name where they came from', () => {
  const saved = process.env['GAF_THREADS'];
  try {
    delete process.env['GAF_THREADS'];
    assert.deepEqual(resolveThreadCount(), { count: os.availableParallelism(), requestedBy: 'default (os.availableParallelism())' });
    process.env['GAF_THREADS'] = '3';
    assert.deepEqual(resolveThreadCount(), { count: 3, requestedBy: 'GAF_THREADS' });
    assert.deepEqual(resolveThreadCount(1), { count: 1, requestedBy: 'argument' });
    process.env['GAF_THREADS'] = 'all';
    assert.throws(() => resolveThreadCount(), /GAF_THREADS is "all"; use a whole number of threads >= 1/);
    assert.throws(() => resolveThreadCount(0), /threads is 0; use a whole number of threads >= 1/);
    assert.throws(() => resolveThreadCount(1.5), /threads is 1.5/);
  } finally {
    if (saved === undefined) delete process.env['GAF_THREADS'];
    else process.env['GAF_THREADS'] = saved;
  }
});

test('sweep workers share the cores: floor(cores / workers) threads each, at least 1', () => {
  assert.equal(threadsPerWorker(2, 2), 1);
  assert.equal(threadsPerWorker(1, 8), 8);
  assert.equal(threadsPerWorker(3, 8), 2);
  assert.equal(threadsPerWorker(4, 2), 1);
});

test('a bad GAF_THREADS stops initBackend with the fix, not a fallback', () => {
  const r = child(`await initBackend('wasm');`, { GAF_THREADS: '-2' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /GAF_THREADS is "-2"; use a whole number of threads >= 1/);
});

test('the wasm kernel tests against the cpu backend also pass at the thread count the default run does not use', () => {
  // The suite's own run uses the default (every core); this covers the other of 1 and 2.
  const other = os.availableParallelism() >= 2 ? '1' : '2';
  const files = ['wasm-kernels.test.js', 'wasm-fast-kernels.test.js'].map((f) => path.join(__dirname, f));
  const env: NodeJS.ProcessEnv = { ...process.env, GAF_THREADS: other };
  delete env['NODE_TEST_CONTEXT'];
  const p = spawnSync(process.execPath, ['--test', ...files], { env, encoding: 'utf8', timeout: 600_000 });
  assert.equal(p.status, 0, `kernel tests failed with GAF_THREADS=${other}:\n${p.stdout.slice(-4000)}\n${p.stderr}`);
  assert.match(p.stdout, /# fail 0/);
  assert.match(p.stdout, /# pass [1-9]/);
});

test('a config can set the thread count; it changes no run id, and a bad count names the field', () => {
  const base = {
    dataset: { name: 'fashion-mnist' },
    model: { name: 'smallcnn' },
    optimizer: { name: 'sgd', options: { learningRate: 0.1 } },
    epochs: 1,
    batchSize: 32,
  };
  const two = resolveConfig({ ...base, threads: 2 });
  assert.equal(two.threads, 2);
  assert.equal(runIdOf(two), runIdOf(resolveConfig(base)));
  assert.throws(() => resolveConfig({ ...base, threads: 0 }), /threads: got 0; allowed: a number > 0/);
});

test('a count above the pool is capped, and the report says so', () => {
  const r = child(
    `const rep = await initBackend('wasm'); process.stdout.write(JSON.stringify({ t: rep.wasmThreads, pool: threads.wasmPoolThreadCount() }));`,
    {
      GAF_THREADS: '12',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout) as { t: { threads: number; requested: number; how: string }; pool: number };
  assert.equal(o.t.requested, 12);
  assert.equal(o.t.threads, 8);
  assert.equal(o.pool, 7);
  assert.match(o.t.how, /12 asked for, capped at the pool's 8/);
});

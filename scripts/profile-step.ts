/**
 * Per-kernel profile of one training step (forward in training mode, softmax cross-entropy,
 * backward, SGD momentum update) of a zoo model on the wasm backend: which kernels the step
 * runs, how often, and how many milliseconds each takes in total.
 *
 * Timing comes from `tf.profile`: the engine times every kernel it dispatches (the wasm
 * backend's timer is a wall clock around the synchronous kernel call). Kernels that gaf-lab's
 * composite kernels call internally are counted inside their caller, not separately. Entries
 * named `<op>__op` (ops with a custom gradient, e.g. fusedConv2d__op) wrap kernels that are
 * listed themselves, so they are left out of the table and of the kernel sum. The difference
 * between the step's wall time and the kernel sum is the engine's and JavaScript's own time
 * (op dispatch, tape, tidy, garbage collection).
 *
 * Run: npx tsc -p tsconfig.test.json && node build/scripts/profile-step.js
 *        [--models smallcnn,resnet20,MobileNetV2] [--batches 128,128,64] [--input 32x32x3]
 *        [--steps 3] [--top 15] [--baseline] [--compare] [--json]
 * `--batches` gives one batch size per model (or one for all). Each profiled step is preceded
 * by one warm-up step; with `--steps N` the kernel times are the per-kernel medians over N
 * profiled steps. `--baseline` profiles with gaf-lab's fast kernels and gradients switched
 * off (tfjs-backend-wasm's own kernels, tfjs-core's gradients, the naive gradient kernels);
 * `--compare` profiles both, in that order, in the same process, and prints them side by side.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/init';
import { setFastTraining } from '../src/backend/fast-training';
import { createModel } from '../src/models/index';
import { sgd } from '../src/optim/index';
import { intListOption, intOption, listOption, parseCommandLine, scriptArgs, UsageError } from '../src/cli/args';

/** Time and call count of one kernel in one step. */
export interface KernelStat {
  kernel: string;
  calls: number;
  ms: number;
}

/** Profile of one model configuration. */
export interface StepProfile {
  model: string;
  batch: number;
  mode: 'fast' | 'baseline';
  /** Median wall time of an un-profiled step, ms. */
  stepMs: number;
  /** Sum of all kernel times of the (median) profiled step, ms. */
  kernelMs: number;
  kernels: KernelStat[];
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Profiles `steps` training steps of `name` and returns per-kernel medians. */
export async function profileStep(
  name: string,
  batch: number,
  inputShape: [number, number, number],
  steps: number,
  mode: 'fast' | 'baseline',
): Promise<StepProfile> {
  setFastTraining(mode === 'fast');
  const numClasses = 10;
  const model = createModel(name, { inputShape, numClasses, seed: 1 });
  const optimizer = sgd({ learningRate: 0.01, momentum: 0.9 });
  const x = tf.randomNormal([batch, ...inputShape], 0, 1, 'float32', 1);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, numClasses, 'int32', 2) as tf.Tensor1D, numClasses));
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = async (): Promise<void> => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
      vars,
    );
    await loss?.data();
    loss?.dispose();
  };
  try {
    await step(); // warm-up: first-call allocations, optimizer slots
    const wall: number[] = [];
    const perStep: Map<string, KernelStat>[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await step();
      wall.push(performance.now() - t0);
      const info = await tf.profile(step);
      const byName = new Map<string, KernelStat>();
      for (const k of info.kernels) {
        if (k.name.endsWith('__op')) continue;
        const s = byName.get(k.name) ?? { kernel: k.name, calls: 0, ms: 0 };
        s.calls += 1;
        s.ms += Number(k.kernelTimeMs) || 0;
        byName.set(k.name, s);
      }
      perStep.push(byName);
    }
    const names = new Set(perStep.flatMap((m) => [...m.keys()]));
    const kernels = [...names]
      .map((kernel) => ({
        kernel,
        calls: perStep[0]!.get(kernel)?.calls ?? 0,
        ms: median(perStep.map((m) => m.get(kernel)?.ms ?? 0)),
      }))
      .sort((a, b) => b.ms - a.ms);
    return { model: name, batch, mode, stepMs: median(wall), kernelMs: kernels.reduce((a, k) => a + k.ms, 0), kernels };
  } finally {
    x.dispose();
    y.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

const f0 = (v: number): string => v.toFixed(0);

/** Markdown table of the top kernels of one profile, or of two (baseline, fast) side by side. */
export function formatProfiles(profiles: StepProfile[], top: number): string {
  const [a, b] = profiles;
  if (!a) return '';
  const lines: string[] = [];
  if (!b) {
    lines.push(`${a.model}, batch ${a.batch} (${a.mode}): step ${f0(a.stepMs)} ms, kernels ${f0(a.kernelMs)} ms`, '');
    lines.push('| kernel | calls | total ms | share |', '|---|---|---|---|');
    for (const k of a.kernels.slice(0, top))
      lines.push(`| ${k.kernel} | ${k.calls} | ${k.ms.toFixed(1)} | ${((100 * k.ms) / a.kernelMs).toFixed(1)}% |`);
    const rest = a.kernels.slice(top);
    if (rest.length)
      lines.push(
        `| (${rest.length} others) | ${rest.reduce((s, k) => s + k.calls, 0)} | ${rest.reduce((s, k) => s + k.ms, 0).toFixed(1)} | |`,
      );
    return lines.join('\n');
  }
  lines.push(
    `${a.model}, batch ${a.batch}: step ${f0(a.stepMs)} ms (${a.mode}) -> ${f0(b.stepMs)} ms (${b.mode}); ` +
      `kernel sum ${f0(a.kernelMs)} -> ${f0(b.kernelMs)} ms`,
    '',
  );
  lines.push(`| kernel | calls ${a.mode} | ms ${a.mode} | calls ${b.mode} | ms ${b.mode} |`, '|---|---|---|---|---|');
  const names = [...new Set([...a.kernels, ...b.kernels].map((k) => k.kernel))];
  const ms = (p: StepProfile, n: string): KernelStat | undefined => p.kernels.find((k) => k.kernel === n);
  names.sort((x, y) => Math.max(ms(a, y)?.ms ?? 0, ms(b, y)?.ms ?? 0) - Math.max(ms(a, x)?.ms ?? 0, ms(b, x)?.ms ?? 0));
  for (const n of names.slice(0, top)) {
    const ka = ms(a, n);
    const kb = ms(b, n);
    lines.push(`| ${n} | ${ka?.calls ?? 0} | ${ka ? ka.ms.toFixed(1) : '-'} | ${kb?.calls ?? 0} | ${kb ? kb.ms.toFixed(1) : '-'} |`);
  }
  const rest = names.slice(top);
  if (rest.length) {
    const sum = (p: StepProfile): string => rest.reduce((s, n) => s + (ms(p, n)?.ms ?? 0), 0).toFixed(1);
    lines.push(`| (${rest.length} others) | | ${sum(a)} | | ${sum(b)} |`);
  }
  return lines.join('\n');
}

/** Usage of `node build/scripts/profile-step.js`. */
export const PROFILE_STEP_USAGE = `node build/scripts/profile-step.js [options]     (build first: npm run build:test)

Per-kernel profile (tf.profile) of one training step of zoo models on the wasm backend.

  --models A,B,C     models (default smallcnn,resnet20,MobileNetV2)
  --batches N,M,K    one batch size per model, or one for all (default 128,128,64)
  --input HxWxC      input shape (default 32x32x3)
  --steps N          profiled steps; kernel times are per-kernel medians (default 1)
  --top N            kernels listed per model (default 15)
  --baseline         profile with gaf-lab's fast kernels and gradients switched off
  --compare          profile both (baseline, then fast) and print them side by side
  --json             print the profiles as JSON`;

interface ProfileArgs {
  models: string[];
  batchList: number[];
  input: [number, number, number];
  steps: number;
  top: number;
  modes: ('fast' | 'baseline')[];
  json: boolean;
}

function readProfileArgs(argv: readonly string[]): ProfileArgs {
  const { values: v } = parseCommandLine(
    argv,
    {
      models: 'string',
      batches: 'string',
      input: 'string',
      steps: 'string',
      top: 'string',
      baseline: 'boolean',
      compare: 'boolean',
      json: 'boolean',
    },
    { min: 0, max: 0, what: 'options only' },
  );
  const input = (v.input ?? '32x32x3').split('x').map(Number);
  if (input.length !== 3 || input.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new UsageError(`--input must look like 32x32x3 (height x width x channels), got "${v.input}".`);
  }
  if (v.baseline && v.compare) throw new UsageError('--compare already profiles the baseline; give one of --baseline and --compare.');
  return {
    models: listOption(v.models, 'models') ?? ['smallcnn', 'resnet20', 'MobileNetV2'],
    batchList: intListOption(v.batches, 'batches') ?? [128, 128, 64],
    input: input as [number, number, number],
    steps: intOption(v.steps, 'steps', 1),
    top: intOption(v.top, 'top', 15),
    modes: v.compare ? ['baseline', 'fast'] : v.baseline ? ['baseline'] : ['fast'],
    json: v.json === true,
  };
}

async function main(args: ProfileArgs): Promise<void> {
  const { models, batchList, input, steps, top, modes, json } = args;
  const report = await initBackend('wasm');
  if (!json)
    console.log(`backend ${report.backend}; tfjs ${tf.version.tfjs}; per-kernel median of ${steps} profiled step(s) after 1 warm-up`);
  const all: StepProfile[] = [];
  for (const [i, name] of models.entries()) {
    const batch = batchList[Math.min(i, batchList.length - 1)]!;
    const profiles: StepProfile[] = [];
    for (const mode of modes) profiles.push(await profileStep(name, batch, input, steps, mode));
    all.push(...profiles);
    if (!json) console.log(`\n${formatProfiles(profiles, top)}`);
  }
  if (json) console.log(JSON.stringify(all, null, 2));
}

if (require.main === module) {
  main(scriptArgs('profile-step', PROFILE_STEP_USAGE, readProfileArgs)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}

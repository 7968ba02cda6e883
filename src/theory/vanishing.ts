/**
 * What a GAF does to vanishing gradients, as numbers a notebook can show: per-layer gradient
 * profiles before and after g, their dynamic range across layers, a sweep over the steepness
 * beta of an atan GAF, and side-by-side training runs with gradient statistics.
 *
 * The one idea behind these helpers. SGD with a GAF moves component i by lr*g(d_i), i.e. with
 * the per-component learning rate lr*g(d_i)/d_i. For g = alpha*atan(beta*x) that is
 * lr*alpha*beta for |d| << 1/beta (the linear range) and about lr*alpha*pi/(2|d|) for
 * |d| >> 1/beta (saturation). Two consequences:
 * - lr and alpha only appear as the product lr*alpha: once lr is tuned, the shape parameter
 *   beta is the only knob, and g'(0) = alpha*beta by itself decides nothing.
 * - A gradient whose components all lie below 1/beta is just rescaled by alpha*beta: plain SGD
 *   with lr*alpha*beta does the same. Only components above the knee 1/beta are pulled
 *   together: with the small components in the linear range, the ratio between the largest
 *   gradient d_max and the small ones shrinks by beta*d_max / atan(beta*d_max), about
 *   (2/pi)*beta*d_max when beta*d_max >> 1 and about 1 when beta*d_max << 1.
 *   {@link profileSpread} measures that narrowing on a real network; {@link steepnessSweep}
 *   puts the measured and the predicted factor side by side.
 *
 * Measured (notebook 03: Fashion-MNIST, 1000 images, 6 tanh layers of 64 units, weights
 * N(0, 0.1^2/fan_in), batch 64, 300 steps, no momentum): plain SGD stays at loss 2.300 for lr
 * 0.1-3; SGD + 0.1*atan(beta x) stays there for beta = 20, 200, 2000 and trains from beta = 2e4
 * on (loss 1.08 / 60.5% at lr 0.1; 0.93-0.94 for beta = 2e5, 2e6). The narrowing of the layer
 * spread at initialisation matched beta d / atan(beta d): 1.04, 14.8, 140, 1.39e4 measured for
 * beta = 20, 2e3, 2e4, 2e6 (d = 1.1e-2, the output-bias rms).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Gaf } from '../gaf/gaf';
import { gafs } from '../gaf/gaf';
import { sgd } from '../optim/factories';
import { classifierLoss, trainableVariables } from '../train/step';
import {
  compareOnDeepNet,
  deepMlp,
  trainWithStats,
  variableMap,
  type DeepComparisonMethod,
  type DeepComparisonRow,
  type DeepMlpOptions,
  type ObservableOptimizer,
  type TrainWithStatsResult,
} from './deep-net';
import { checkFlatData, type FlatData } from './flat-data';
import { checkNum, checkNumArray, fail } from './validate';

/** A network configuration with a label for tables and legends. */
export interface NetCase {
  label: string;
  net: DeepMlpOptions;
}

/** A GAF with a label for tables and legends. */
export interface LabelledGaf {
  label: string;
  gaf: Gaf;
}

/** Options of {@link layerProfiles}. */
export interface LayerProfileOptions {
  /** Networks to profile, each built fresh from its options (so from its seed) and disposed. */
  nets: readonly NetCase[];
  /** The gradient is that of the mean cross-entropy on the first `batchSize` samples. */
  data: FlatData;
  /** Samples used (default 256, at most all). */
  batchSize?: number;
  /** Also report g(gradient) for each of these (default none: raw only). */
  gafs?: readonly LabelledGaf[];
  /** |component| below this counts as tiny (default 1e-3). */
  tinyThreshold?: number;
}

/** One variable's gradient (raw or after a GAF) in one network at initialisation. */
export interface LayerProfileRow {
  /** The {@link NetCase} label. */
  net: string;
  /** `raw`, or the label of the GAF applied. */
  gradient: string;
  /** 1-based layer index (the output layer is depth+1). */
  layer: number;
  layerName: string;
  /** `kernel` or `bias`. */
  param: string;
  size: number;
  /** l2/sqrt(size): comparable across layers of different sizes. */
  rms: number;
  maxAbs: number;
  tinyFraction: number;
}

/**
 * Per-layer gradient statistics of freshly initialised networks, for the raw gradient and for
 * g(gradient) under each GAF: the "gradient norm against layer" picture of vanishing and
 * exploding gradients. Rows are ordered by network, gradient, layer, then `bias` before `kernel`.
 */
export function layerProfiles(options: LayerProfileOptions): LayerProfileRow[] {
  const where = 'layerProfiles';
  if (!Array.isArray(options.nets) || options.nets.length === 0) fail(where, 'nets', options.nets, 'a non-empty array of {label, net}');
  checkFlatData(where, options.data);
  const n = options.data.x.shape[0];
  const batch = Math.min(n, checkNum(where, 'batchSize', options.batchSize ?? 256, { min: 1, integer: true }));
  const threshold = checkNum(where, 'tinyThreshold', options.tinyThreshold ?? 1e-3, { min: 0, minOpen: true });
  const transforms: { label: string; apply: (g: tf.Tensor) => tf.Tensor }[] = [{ label: 'raw', apply: (g) => g }];
  for (const g of options.gafs ?? []) {
    if (!g || typeof g.gaf?.apply !== 'function') fail(where, 'gafs', g, 'an array of {label, gaf} with gaf from gafs.atan(...) etc.');
    if (g.label === 'raw') fail(where, 'gafs label', g.label, "a label other than 'raw' (that one names the untransformed gradient)");
    transforms.push({ label: g.label, apply: (t) => g.gaf.apply(t) });
  }
  const rows: LayerProfileRow[] = [];
  for (const c of options.nets) {
    const model = deepMlp(c.net);
    try {
      checkFlatData(where, options.data, model.inputs[0]?.shape[1] ?? undefined);
      const info = variableMap(model);
      const vars = trainableVariables(model);
      // One read-back per network: [transform][variable][l2, maxAbs, tiny].
      const stats = tf.tidy(() => {
        const x = options.data.x.slice([0, 0], [batch, -1]);
        const y = options.data.y.slice([0], [batch]);
        const { grads } = tf.variableGrads(() => classifierLoss(model, x, y, { training: true }), vars);
        const parts: tf.Tensor[] = [];
        for (const t of transforms) {
          for (const v of vars) {
            const a = tf.abs(t.apply(grads[v.name]!));
            parts.push(tf.stack([tf.sqrt(tf.sum(tf.square(a))), tf.max(a), tf.mean(tf.cast(tf.less(a, threshold), 'float32'))]));
          }
        }
        return tf.concat(parts).dataSync();
      });
      transforms.forEach((t, ti) => {
        const block = vars.map((v, vi) => {
          const at = 3 * (ti * vars.length + vi);
          const inf = info.get(v.name) ?? { layer: vi + 1, layerName: v.name, param: '' };
          return {
            net: c.label,
            gradient: t.label,
            ...inf,
            size: v.size,
            rms: stats[at]! / Math.sqrt(v.size),
            maxAbs: stats[at + 1]!,
            tinyFraction: stats[at + 2]!,
          };
        });
        rows.push(...block.sort((a, b) => a.layer - b.layer || a.param.localeCompare(b.param)));
      });
    } finally {
      model.dispose();
    }
  }
  return rows;
}

/** The spread of per-variable gradient sizes in one network, for one gradient (raw or a GAF's). */
export interface SpreadRow {
  net: string;
  gradient: string;
  /** Largest rms over the variables, and where. */
  maxRms: number;
  maxAt: string;
  /** Smallest non-zero rms over the variables, and where. */
  minRms: number;
  minAt: string;
  /** maxRms / minRms: how many times larger the largest layer gradient is than the smallest. */
  spread: number;
  /** The raw gradient's spread divided by this one (1 for `raw`): how much g narrowed it. */
  narrowing: number;
}

/**
 * Per network and gradient: the ratio between the largest and the smallest per-variable rms of
 * {@link layerProfiles} rows (variables with an exactly zero gradient are left out), and how
 * much each GAF narrowed the raw spread. SGD must use one learning rate for all layers; the
 * spread says how unequal the steps it then takes are.
 */
export function profileSpread(rows: readonly LayerProfileRow[]): SpreadRow[] {
  if (!Array.isArray(rows) || rows.length === 0) fail('profileSpread', 'rows', rows, 'the non-empty rows of layerProfiles(...)');
  const groups = new Map<string, LayerProfileRow[]>();
  for (const r of rows) {
    const k = JSON.stringify([r.net, r.gradient]);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const out: SpreadRow[] = [];
  for (const g of groups.values()) {
    const live = g.filter((r) => r.rms > 0 && Number.isFinite(r.rms));
    if (live.length === 0) fail('profileSpread', `rms of ${g[0]!.net} / ${g[0]!.gradient}`, 0, 'non-zero in at least one variable');
    let lo = live[0]!;
    let hi = live[0]!;
    for (const r of live) {
      if (r.rms < lo.rms) lo = r;
      if (r.rms > hi.rms) hi = r;
    }
    out.push({
      net: hi.net,
      gradient: hi.gradient,
      maxRms: hi.rms,
      maxAt: `${hi.layerName}/${hi.param}`,
      minRms: lo.rms,
      minAt: `${lo.layerName}/${lo.param}`,
      spread: hi.rms / lo.rms,
      narrowing: NaN,
    });
  }
  for (const r of out) {
    const raw = out.find((q) => q.net === r.net && q.gradient === 'raw');
    r.narrowing = raw ? raw.spread / r.spread : NaN;
  }
  return out;
}

/** Options shared by the method builders. */
export interface DeepMethodOptions {
  /** Heavy-ball momentum of gaf-lab's `sgd` (default 0). */
  momentum?: number;
  /** Legend label (default `SGD` / `SGD + <gaf name>`). */
  label?: string;
}

/** Plain SGD (gaf-lab `sgd`, no GAF) tried at each of `lrs`, for {@link compareOnDeepNet}. */
export function sgdDeepMethod(lrs: readonly number[], options: DeepMethodOptions = {}): DeepComparisonMethod {
  const rates = checkNumArray('sgdDeepMethod', 'lrs', lrs, { min: 0, minOpen: true });
  const momentum = checkNum('sgdDeepMethod', 'momentum', options.momentum ?? 0, { min: 0, max: 0.9999 });
  return { label: options.label ?? 'SGD', make: (lr) => sgd({ learningRate: lr, momentum }), lrs: rates };
}

/** SGD with `gaf` on the raw gradient, tried at each of `lrs`, for {@link compareOnDeepNet}. */
export function gafDeepMethod(gaf: Gaf, lrs: readonly number[], options: DeepMethodOptions = {}): DeepComparisonMethod {
  if (!gaf || typeof gaf.apply !== 'function') fail('gafDeepMethod', 'gaf', gaf, 'a Gaf such as gafs.atan({alpha: 0.1, beta: 20})');
  const rates = checkNumArray('gafDeepMethod', 'lrs', lrs, { min: 0, minOpen: true });
  const momentum = checkNum('gafDeepMethod', 'momentum', options.momentum ?? 0, { min: 0, max: 0.9999 });
  return { label: options.label ?? `SGD + ${gaf.name}`, make: (lr) => sgd({ learningRate: lr, momentum, gaf }), lrs: rates };
}

/** Options of {@link steepnessSweep}. */
export interface SteepnessSweepOptions {
  net: DeepMlpOptions;
  data: FlatData;
  /** alpha of every atan GAF g = alpha*atan(beta x) (default 0.1, the paper's). */
  alpha?: number;
  /** The betas to try (e.g. 20, 2e2, ..., 2e6). */
  betas: readonly number[];
  /** Learning rates tried for each GAF. */
  lrs: readonly number[];
  /** Learning rates tried for plain SGD. */
  sgdLrs: readonly number[];
  /** Steps per run (default 300). */
  steps?: number;
  /** Minibatch size (default 64). */
  batchSize?: number;
  /** Seed of the batch order (default 0). */
  seed?: number;
  /** Samples for the gradient spread at initialisation (default 256). */
  profileBatch?: number;
  /**
   * A run "trains" when its final loss is below this fraction (default 0.9) of ln(classes), the
   * loss of predicting every class with equal probability, which a net with vanishing gradients
   * cannot get away from.
   */
  trainsBelow?: number;
  /** Called after each training run, for progress output. */
  onRun?: (row: DeepComparisonRow, done: number, total: number) => void;
}

/** One method of a {@link steepnessSweep}: its GAF, its spread at initialisation, its best run. */
export interface SteepnessRow {
  method: string;
  /** beta of the GAF (null for plain SGD). */
  beta: number | null;
  /** g'(0) = alpha*beta (1 for plain SGD). */
  gPrime0: number;
  /** 1/beta: components above it saturate (Infinity for plain SGD). */
  knee: number;
  /** Spread of per-variable gradient rms at initialisation after g (see {@link profileSpread}). */
  spread: number;
  /** Raw spread / this spread (1 for plain SGD). */
  narrowing: number;
  /**
   * The narrowing predicted from the largest raw rms d alone, assuming the smallest components
   * sit in g's linear range: g multiplies them by alpha*beta and the largest by
   * atan(beta d)/(beta d), so the spread shrinks by beta d / atan(beta d) (1 for plain SGD;
   * about (2/pi) beta d when beta d >> 1, about 1 when beta d << 1).
   */
  predictedNarrowing: number;
  /** Learning rate of the best run (lowest final loss), null when every run diverged. */
  bestLr: number | null;
  finalLoss: number;
  finalAccuracy: number;
  /** Whether the best run trains: final loss below `trainsBelow` times ln(classes). */
  trains: boolean;
  /** Runs that diverged (non-finite loss), out of those tried. */
  diverged: number;
  runs: number;
}

/** What {@link steepnessSweep} returns. */
export interface SteepnessSweepResult {
  /** Every (method, learning rate) run. */
  runs: DeepComparisonRow[];
  /** Per method (plain SGD first, then by beta): the best run and the spread at initialisation. */
  summary: SteepnessRow[];
  alpha: number;
  initialLoss: number;
  /** The loss below which a run counts as training: `trainsBelow` * ln(classes). */
  trainsBelow: number;
}

/**
 * Plain SGD and SGD with alpha*atan(beta x) for each beta, each at its own best learning rate,
 * on the same deep MLP (same initial weights and batches), next to the spread of per-layer
 * gradient sizes that each g leaves at initialisation: which steepness, if any, lets SGD train
 * a net whose layers receive gradients of very different sizes.
 */
export function steepnessSweep(options: SteepnessSweepOptions): SteepnessSweepResult {
  const where = 'steepnessSweep';
  checkFlatData(where, options.data);
  const alpha = checkNum(where, 'alpha', options.alpha ?? 0.1, { min: 0, minOpen: true });
  const betas = checkNumArray(where, 'betas', options.betas, { min: 0, minOpen: true, hint: 'e.g. [20, 2e3, 2e5].' });
  const trainsBelow =
    checkNum(where, 'trainsBelow', options.trainsBelow ?? 0.9, { min: 0, minOpen: true, max: 1 }) * Math.log(options.data.classes);
  const labelled = betas.map((beta) => {
    const gaf = gafs.atan({ alpha, beta });
    return { beta, gaf, label: `SGD + ${gaf.name}` };
  });
  const spreads = profileSpread(
    layerProfiles({
      nets: [{ label: 'net', net: options.net }],
      data: options.data,
      batchSize: options.profileBatch,
      gafs: labelled.map((l) => ({ label: l.label, gaf: l.gaf })),
    }),
  );
  const methods = [sgdDeepMethod(options.sgdLrs), ...labelled.map((l) => gafDeepMethod(l.gaf, options.lrs, { label: l.label }))];
  const total = methods.reduce((s, m) => s + m.lrs.length, 0);
  let done = 0;
  const { rows } = compareOnDeepNet({
    net: options.net,
    data: options.data,
    methods,
    steps: options.steps,
    batchSize: options.batchSize,
    seed: options.seed,
    onRun: (row) => options.onRun?.(row, ++done, total),
  });
  const initialLoss = rows[0]!.initialLoss;
  const summary = methods.map((m, i): SteepnessRow => {
    const mine = rows.filter((r) => r.method === m.label);
    const ok = mine.filter((r) => !r.diverged);
    const best = ok.reduce<DeepComparisonRow | null>((b, r) => (b === null || r.finalLoss < b.finalLoss ? r : b), null);
    const beta = i === 0 ? null : labelled[i - 1]!.beta;
    const spread = spreads.find((s) => s.gradient === (i === 0 ? 'raw' : m.label))!.spread;
    const raw = spreads.find((s) => s.gradient === 'raw')!;
    const bd = beta === null ? 0 : beta * raw.maxRms;
    return {
      method: m.label,
      beta,
      gPrime0: beta === null ? 1 : alpha * beta,
      knee: beta === null ? Infinity : 1 / beta,
      spread,
      narrowing: raw.spread / spread,
      predictedNarrowing: bd > 0 ? bd / Math.atan(bd) : 1,
      bestLr: best?.lr ?? null,
      finalLoss: best?.finalLoss ?? NaN,
      finalAccuracy: best?.finalAccuracy ?? NaN,
      trains: best !== null && best.finalLoss < trainsBelow,
      diverged: mine.length - ok.length,
      runs: mine.length,
    };
  });
  return { runs: rows, summary, alpha, initialLoss, trainsBelow };
}

/**
 * One line per finding of a {@link steepnessSweep}: how plain SGD did, the smallest beta whose
 * best run trains (and the spread it leaves), and how the largest beta that does not train did.
 */
export function describeSteepness(result: SteepnessSweepResult): string[] {
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : String(v));
  const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a');
  const s = result.summary[0]!;
  const sgdRuns = result.runs.filter((r) => r.method === s.method);
  const lines = [
    `${s.method}: best final loss ${f(s.finalLoss)} (${pct(s.finalAccuracy)} accuracy) at lr ${s.bestLr} over lr ${sgdRuns.map((r) => r.lr).join(', ')}; ` +
      `initial loss ${f(result.initialLoss)}; ${s.trains ? 'trains' : 'does not train'}${s.diverged ? `; ${s.diverged} of ${s.runs} runs diverged` : ''}.`,
  ];
  const gafRows = result.summary.slice(1);
  const first = gafRows.find((r) => r.trains);
  const failing = gafRows.filter((r) => !r.trains && (first === undefined || (r.beta ?? 0) < (first.beta ?? 0)));
  if (first && failing.length) {
    const last = failing[failing.length - 1]!;
    lines.push(
      `Largest beta below the threshold: ${last.method} (g'(0) = ${last.gPrime0}): best loss ${f(last.finalLoss)} (${pct(last.finalAccuracy)}); layer-gradient spread ${last.spread.toExponential(1)} vs ${s.spread.toExponential(1)} raw.`,
    );
  }
  lines.push(
    first
      ? `Smallest beta that trains: ${first.method} (g'(0) = ${first.gPrime0}, knee 1/beta = ${first.knee.toExponential(1)}): loss ${f(first.finalLoss)} (${pct(first.finalAccuracy)}) at lr ${first.bestLr}; layer-gradient spread ${first.spread.toExponential(1)} vs ${s.spread.toExponential(1)} raw.`
      : `No beta tried trains (a best loss below ${f(result.trainsBelow)} would count).`,
  );
  return lines;
}

/** A labelled method at one learning rate, for {@link trainSideBySide}. */
export interface SideBySideMethod {
  label: string;
  /** A fresh gaf-lab optimizer. */
  make: () => ObservableOptimizer;
}

/** Options of {@link trainSideBySide}. */
export interface SideBySideOptions {
  net: DeepMlpOptions;
  data: FlatData;
  methods: readonly SideBySideMethod[];
  steps: number;
  batchSize?: number;
  /** Record gradient statistics every k-th step (default 10). */
  every?: number;
  /** |component| below this counts as tiny (default 1e-3). */
  tinyThreshold?: number;
  seed?: number;
  onRun?: (label: string, done: number, total: number) => void;
}

/** Minibatch loss of one step of one method. */
export interface MethodLossRow {
  method: string;
  step: number;
  loss: number;
}

/** Fraction of tiny gradient components over the whole network at one observed step. */
export interface TinyFractionRow {
  method: string;
  /** `raw gradient` or `g(gradient)` (the latter only for methods with a GAF). */
  gradient: string;
  /** `<method>: <gradient>`, one legend entry per line. */
  series: string;
  step: number;
  /** Size-weighted fraction over all variables: tiny components / all components. */
  tinyFraction: number;
}

/** What {@link trainSideBySide} returns. */
export interface SideBySideResult {
  losses: MethodLossRow[];
  tiny: TinyFractionRow[];
  /** The per-variable statistics of every method, with its label. */
  stats: (TrainWithStatsResult['stats'][number] & { method: string })[];
  summary: { method: string; initialLoss: number; finalLoss: number; finalAccuracy: number; diverged: boolean; steps: number }[];
  /** The threshold below which a component counted as tiny. */
  tinyThreshold: number;
}

/**
 * Trains the same deep MLP (same initial weights and batches) once per method, recording the
 * loss of every step and per-layer gradient statistics (raw and after the GAF), and aggregates
 * the fraction of tiny components over the whole network per observed step.
 */
export function trainSideBySide(options: SideBySideOptions): SideBySideResult {
  const where = 'trainSideBySide';
  if (!Array.isArray(options.methods) || options.methods.length === 0)
    fail(where, 'methods', options.methods, 'a non-empty array of {label, make}');
  const tinyThreshold = checkNum(where, 'tinyThreshold', options.tinyThreshold ?? 1e-3, { min: 0, minOpen: true });
  const out: SideBySideResult = { losses: [], tiny: [], stats: [], summary: [], tinyThreshold };
  options.methods.forEach((m, i) => {
    const model = deepMlp(options.net);
    const optimizer = m.make();
    try {
      const r = trainWithStats({
        model,
        optimizer,
        data: options.data,
        steps: options.steps,
        batchSize: options.batchSize,
        every: options.every,
        tinyThreshold,
        seed: options.seed,
      });
      const hasGaf = r.stats.some((s) => s.actL2 !== s.rawL2 || s.actTinyFraction !== s.rawTinyFraction);
      out.losses.push(...r.losses.map((l) => ({ method: m.label, step: l.step, loss: l.loss })));
      out.stats.push(...r.stats.map((s) => ({ ...s, method: m.label })));
      const steps = [...new Set(r.stats.map((s) => s.step))];
      for (const step of steps) {
        const at = r.stats.filter((s) => s.step === step);
        const total = at.reduce((s, v) => s + v.size, 0);
        const frac = (key: 'rawTinyFraction' | 'actTinyFraction'): number => at.reduce((s, v) => s + v[key] * v.size, 0) / total;
        out.tiny.push({
          method: m.label,
          gradient: 'raw gradient',
          series: `${m.label}: raw gradient`,
          step,
          tinyFraction: frac('rawTinyFraction'),
        });
        if (hasGaf)
          out.tiny.push({
            method: m.label,
            gradient: 'g(gradient)',
            series: `${m.label}: g(gradient)`,
            step,
            tinyFraction: frac('actTinyFraction'),
          });
      }
      out.summary.push({
        method: m.label,
        initialLoss: r.initial.loss,
        finalLoss: r.diverged ? NaN : r.final.loss,
        finalAccuracy: r.diverged ? NaN : r.final.accuracy,
        diverged: r.diverged,
        steps: r.steps,
      });
    } finally {
      optimizer.dispose();
      model.dispose();
    }
    options.onRun?.(m.label, i + 1, options.methods.length);
  });
  return out;
}

/** Options of {@link describeComparison}. */
export interface DescribeComparisonOptions {
  /** A best run "trains" when its final loss is below this fraction of ln(classes) (default 0.9). */
  trainsBelow?: number;
  /** Number of classes (default 10). */
  classes?: number;
}

/**
 * One line per method of {@link compareOnDeepNet} rows: its best learning rate and final loss
 * and accuracy, whether that trains (final loss below `trainsBelow` * ln(classes), the loss of a
 * uniform prediction), and at which learning rates it diverged.
 */
export function describeComparison(rows: readonly DeepComparisonRow[], options: DescribeComparisonOptions = {}): string[] {
  const classes = checkNum('describeComparison', 'classes', options.classes ?? 10, { min: 2, integer: true });
  const trainsBelow =
    checkNum('describeComparison', 'trainsBelow', options.trainsBelow ?? 0.9, { min: 0, minOpen: true, max: 1 }) * Math.log(classes);
  const methods = [...new Set(rows.map((r) => r.method))];
  return methods.map((m) => {
    const mine = rows.filter((r) => r.method === m);
    const ok = mine.filter((r) => !r.diverged);
    const bad = mine.filter((r) => r.diverged).map((r) => r.lr);
    const best = ok.reduce<DeepComparisonRow | null>((b, r) => (b === null || r.finalLoss < b.finalLoss ? r : b), null);
    const div = bad.length ? `; diverged at lr ${bad.join(', ')}` : '; never diverged';
    if (!best) return `${m}: every run diverged (lr ${bad.join(', ')}).`;
    const trains = best.finalLoss < trainsBelow;
    return `${m}: best lr ${best.lr}: loss ${best.initialLoss.toFixed(3)} -> ${best.finalLoss.toFixed(3)}, ${(100 * best.finalAccuracy).toFixed(1)}% accuracy (${trains ? 'trains' : 'does not train'})${div}.`;
  });
}

/** A point of {@link layerNormRows}: one variable's raw gradient rms at one moment of one run. */
export interface LayerNormRow {
  /** `start (all methods)` for step 1, else `<method>, step <n>`. */
  series: string;
  method: string;
  step: number;
  layer: number;
  layerName: string;
  param: string;
  /** Raw gradient l2/sqrt(size). */
  rms: number;
}

/**
 * Per-layer raw gradient rms at the first observed step (identical for every method: same
 * weights, same batch, before any update, so shown once) and at each method's last observed
 * step: how each run changed the gradient profile across layers. Within each series rows are
 * ordered by layer, `bias` before `kernel`.
 */
export function layerNormRows(result: SideBySideResult): LayerNormRow[] {
  if (!result || !Array.isArray(result.stats) || result.stats.length === 0)
    fail('layerNormRows', 'result', typeof result, 'the result of trainSideBySide(...) with gradient statistics');
  const methods = [...new Set(result.stats.map((s) => s.method))];
  const row = (series: string, s: SideBySideResult['stats'][number]): LayerNormRow => ({
    series,
    method: s.method,
    step: s.step,
    layer: s.layer,
    layerName: s.layerName,
    param: s.param,
    rms: s.rawL2 / Math.sqrt(s.size),
  });
  const first = result.stats.filter((s) => s.method === methods[0]);
  const step1 = Math.min(...first.map((s) => s.step));
  const byLayer = (a: LayerNormRow, b: LayerNormRow): number => a.layer - b.layer || a.param.localeCompare(b.param);
  const out = first
    .filter((s) => s.step === step1)
    .map((s) => row('start (all methods)', s))
    .sort(byLayer);
  for (const m of methods) {
    const mine = result.stats.filter((s) => s.method === m);
    const last = Math.max(...mine.map((s) => s.step));
    out.push(
      ...mine
        .filter((s) => s.step === last)
        .map((s) => row(`${m}, step ${last}`, s))
        .sort(byLayer),
    );
  }
  return out;
}

/**
 * The methods of a {@link steepnessSweep} to train again side by side, each at its best
 * learning rate: plain SGD (`null`) and the atan GAFs with the given betas.
 */
export function sweepWinners(result: SteepnessSweepResult, betas: readonly (number | null)[]): SideBySideMethod[] {
  return betas.map((beta) => {
    const r = result.summary.find((s) => s.beta === beta);
    if (!r)
      fail(
        'sweepWinners',
        'beta',
        beta,
        `one of the swept values (${result.summary.map((s) => String(s.beta)).join(', ')}; null = plain SGD)`,
      );
    const lr = r.bestLr;
    if (lr === null)
      fail('sweepWinners', `best lr of ${r.method}`, null, 'a learning rate that did not diverge', 'Sweep smaller learning rates.');
    const gaf = beta === null ? undefined : gafs.atan({ alpha: result.alpha, beta });
    return { label: `${r.method}, lr ${lr}`, make: () => sgd({ learningRate: lr, ...(gaf ? { gaf } : {}) }) };
  });
}

/**
 * One line per network of {@link profileSpread} rows for the raw gradient: the largest and the
 * smallest per-variable gradient rms and their ratio; for each GAF, how much it narrowed that.
 */
export function describeSpread(rows: readonly SpreadRow[]): string[] {
  const e = (v: number): string => v.toExponential(1);
  return rows.map((r) =>
    r.gradient === 'raw'
      ? `${r.net}: layer gradients span ${e(r.spread)}x (largest rms ${e(r.maxRms)} at ${r.maxAt}, smallest ${e(r.minRms)} at ${r.minAt}).`
      : `${r.net}, after g = ${r.gradient}: span ${e(r.spread)}x, narrowed ${r.narrowing.toPrecision(3)}-fold (largest ${e(r.maxRms)} at ${r.maxAt}, smallest ${e(r.minRms)} at ${r.minAt}).`,
  );
}

/**
 * One line per method of a {@link trainSideBySide} result: the loss from start to end and the
 * share of tiny raw gradient components (over the whole network) at the first and last
 * observed steps.
 */
export function describeSideBySide(result: SideBySideResult): string[] {
  return result.summary.map((s) => {
    const tiny = result.tiny.filter((t) => t.method === s.method && t.gradient === 'raw gradient');
    const first = tiny[0];
    const last = tiny[tiny.length - 1];
    const share =
      first && last
        ? `; raw components below ${result.tinyThreshold.toExponential(0)}: ${(100 * first.tinyFraction).toFixed(1)}% at step ${first.step}, ${(100 * last.tinyFraction).toFixed(1)}% at step ${last.step}`
        : '';
    const end = s.diverged
      ? `diverged after ${s.steps} steps`
      : `${s.finalLoss.toFixed(3)} (${(100 * s.finalAccuracy).toFixed(1)}% accuracy)`;
    return `${s.method}: loss ${s.initialLoss.toFixed(3)} -> ${end}${share}.`;
  });
}

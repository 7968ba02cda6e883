/**
 * The CPU ablation study of notebook 6 as one sweep: which optimizer variants to train, in
 * which comparison groups, with which labels. Every variant is a full optimizer config, so a
 * run's folder says exactly what was trained; a variant shared by several groups (the SGD
 * baseline) is trained once.
 * @module
 */
import { gafs, type BuiltinGafKind } from '../gaf/gaf';
import { CONTROL_KINDS, controlLabel, type ControlKind } from '../optim/controls';
import { expandSweep, parseSweepConfig, type SweepConfigInput } from '../sweep/index';

/** A GAF as configs name it. */
export interface GafSetting {
  kind: BuiltinGafKind;
  alpha: number;
  beta: number;
}

/** The comparison groups of an ablation study. */
export const ABLATION_GROUPS = ['alpha-beta', 'kind', 'placement', 'adaptive', 'adam', 'rmsprop', 'controls'] as const;
/** One comparison group. */
export type AblationGroup = (typeof ABLATION_GROUPS)[number];

/** Settings of {@link planAblations}; a group set to null is left out. */
export interface AblationSettings {
  /** Everything of the experiment config except `optimizer` and `seed` (dataset, model, epochs, batchSize, schedule, ...). */
  base: Record<string, unknown>;
  /** Folder of the sweep (its run folders go inside). */
  outDir: string;
  /** Seeds; every variant is trained once per seed. */
  seeds: number[];
  /** The baseline: SGD with these options (PyTorch conventions). */
  sgd: { learningRate: number; momentum?: number; weightDecay?: number };
  /** The GAF the groups share (kind, placement, adam, rmsprop and the controls use it). */
  gaf: GafSetting;
  /** alpha x beta grid of the atan GAF on the gradient. */
  alphaBeta: { alphas: number[]; betas: number[] } | null;
  /** Other GAFs compared with `gaf` (e.g. tanh and log with the same slope at 0). */
  kinds: GafSetting[] | null;
  /** Compare `gaf` on the gradient with `gaf` on the momentum output. */
  placement: boolean;
  /** The reference's adaptive GAF (SGD_atanMom_Ada). */
  adaptive: { shrink: number; gamma: number } | null;
  /** Adam and Adam + `gaf`. */
  adam: { learningRate: number } | null;
  /** RMSprop and RMSprop + `gaf`. */
  rmsprop: { learningRate: number } | null;
  /**
   * Plain-SGD variants that each copy one property of the shared GAF (see `optim/controls.ts`):
   * `kinds` of {@link CONTROL_KINDS} (lr x g'(0), clip by value or norm at its bound, scaled
   * sign-SGD); `linearTwin`, the lr-matched step clipped by value at the atan GAF's knee
   * pi/(2 beta) (a piecewise-linear twin of alpha*atan(beta x): same slope at 0, same bound
   * alpha*pi/2); and optional clips at hand-set thresholds (`clipValue`, `clipNorm`, e.g. from
   * the gradients' measured size).
   */
  controls: { kinds: ControlKind[]; linearTwin: boolean; clipValue: number | null; clipNorm: number | null } | null;
}

/** One optimizer variant of the study. */
export interface AblationVariant {
  /** Readable and unique: the row label of every table. */
  label: string;
  /** The groups it appears in. */
  groups: AblationGroup[];
  /** The config's `optimizer` section. */
  optimizer: Record<string, unknown>;
}

/** One run of the study. */
export interface AblationRun {
  runId: string;
  label: string;
  seed: number;
}

/** What {@link planAblations} returns. */
export interface AblationPlan {
  settings: AblationSettings;
  /** The sweep config that trains every run (give it to `runSweep`). */
  sweep: SweepConfigInput;
  variants: AblationVariant[];
  /** The baseline label of each group present. */
  baselines: Partial<Record<AblationGroup, string>>;
  /** The label of SGD with the shared GAF (`settings.gaf`), e.g. `SGD + 0.1*atan(20x)`. */
  gafLabel: string;
  runs: AblationRun[];
}

const gafName = (g: GafSetting): string => gafs[g.kind]({ alpha: g.alpha, beta: g.beta }).name;

/**
 * Builds the study: the variants of every group that is not null, each once, and the sweep
 * that trains them for every seed. Errors name the setting to fix.
 */
export function planAblations(settings: AblationSettings): AblationPlan {
  const s = settings;
  if (!Array.isArray(s.seeds) || s.seeds.length === 0)
    throw new Error('planAblations: seeds must list at least one seed, e.g. [1, 2, 3] (one seed gives no confidence interval).');
  if ('optimizer' in s.base || 'seed' in s.base)
    throw new Error('planAblations: base must not set optimizer or seed; the study sets them (use sgd, seeds and the group settings).');
  const sgdOptions = { momentum: 0, weightDecay: 0, ...s.sgd };
  const sgdOpt = (extra: Record<string, unknown> = {}, options: Record<string, unknown> = {}): Record<string, unknown> => ({
    name: 'sgd',
    options: { ...sgdOptions, ...options },
    gaf: null,
    placement: 'gradient',
    clip: null,
    ...extra,
  });
  const variants: AblationVariant[] = [];
  const add = (label: string, group: AblationGroup, optimizer: Record<string, unknown>): string => {
    const key = JSON.stringify(optimizer);
    const same = variants.find((v) => JSON.stringify(v.optimizer) === key);
    if (same) {
      if (!same.groups.includes(group)) same.groups.push(group);
      return same.label;
    }
    if (variants.some((v) => v.label === label))
      throw new Error(`planAblations: two different variants are labelled "${label}"; check the group settings for duplicates.`);
    variants.push({ label, groups: [group], optimizer });
    return label;
  };
  const baselines: Partial<Record<AblationGroup, string>> = {};
  const sgdBase = (group: AblationGroup): void => {
    baselines[group] = add('SGD', group, sgdOpt());
  };
  const withGaf = (g: GafSetting, group: AblationGroup): string => add(`SGD + ${gafName(g)}`, group, sgdOpt({ gaf: { ...g } }));

  if (s.alphaBeta) {
    sgdBase('alpha-beta');
    for (const alpha of s.alphaBeta.alphas) for (const beta of s.alphaBeta.betas) withGaf({ kind: 'atan', alpha, beta }, 'alpha-beta');
  }
  if (s.kinds) {
    sgdBase('kind');
    withGaf(s.gaf, 'kind');
    for (const g of s.kinds) withGaf(g, 'kind');
  }
  if (s.placement) {
    sgdBase('placement');
    withGaf(s.gaf, 'placement');
    add(`SGD + ${gafName(s.gaf)} on update`, 'placement', sgdOpt({ gaf: { ...s.gaf }, placement: 'update' }));
  }
  if (s.adaptive) {
    sgdBase('adaptive');
    withGaf(s.gaf, 'adaptive');
    const { shrink, gamma } = s.adaptive;
    add(`SGD + adaptive atan (shrink ${shrink}, gamma ${gamma})`, 'adaptive', {
      name: 'sgdAdaptiveGaf',
      options: { ...sgdOptions, shrink, gamma },
      clip: null,
    });
  }
  const family = (name: 'adam' | 'rmsprop', title: string, lr: number, group: AblationGroup): void => {
    const opt = (gaf: GafSetting | null): Record<string, unknown> => ({
      name,
      options: { learningRate: lr, weightDecay: sgdOptions.weightDecay },
      gaf: gaf ? { ...gaf } : null,
      clip: null,
    });
    baselines[group] = add(title, group, opt(null));
    add(`${title} + ${gafName(s.gaf)}`, group, opt(s.gaf));
  };
  if (s.adam) family('adam', 'Adam', s.adam.learningRate, 'adam');
  if (s.rmsprop) family('rmsprop', 'RMSprop', s.rmsprop.learningRate, 'rmsprop');
  if (s.controls) {
    const c = s.controls;
    const unknown = c.kinds.filter((k) => !CONTROL_KINDS.includes(k));
    if (unknown.length) throw new Error(`planAblations: controls.kinds has ${unknown.join(', ')}; allowed: ${CONTROL_KINDS.join(', ')}.`);
    if (c.linearTwin && s.gaf.kind !== 'atan')
      throw new Error(`planAblations: the linear twin mirrors an atan GAF; gaf.kind is ${s.gaf.kind}. Set controls.linearTwin to false.`);
    sgdBase('controls');
    withGaf(s.gaf, 'controls');
    for (const kind of c.kinds)
      add(`SGD, ${controlLabel(kind, gafName(s.gaf))}`, 'controls', sgdOpt({ control: { kind, of: { ...s.gaf } } }));
    if (c.clipValue !== null) add(`SGD + clip value ${c.clipValue}`, 'controls', sgdOpt({ clip: { kind: 'value', value: c.clipValue } }));
    if (c.clipNorm !== null) add(`SGD + clip norm ${c.clipNorm}`, 'controls', sgdOpt({ clip: { kind: 'norm', maxNorm: c.clipNorm } }));
    if (c.linearTwin) {
      const slope = s.gaf.alpha * s.gaf.beta;
      const knee = Math.PI / (2 * s.gaf.beta);
      add(
        `SGD, lr x ${fmt(slope)} + clip value ${fmt(knee)} (linear twin)`,
        'controls',
        sgdOpt({ clip: { kind: 'value', value: knee } }, { learningRate: sgdOptions.learningRate * slope }),
      );
    }
  }
  if (variants.length === 0) throw new Error(`planAblations: every group is off; turn on at least one of ${ABLATION_GROUPS.join(', ')}.`);

  const sweep: SweepConfigInput = {
    name: 'ablations',
    outDir: s.outDir,
    base: { ...s.base, optimizer: variants[0]!.optimizer },
    grid: { optimizers: variants.map((v) => v.optimizer), seeds: s.seeds },
  } as SweepConfigInput;
  const runs = expandSweep(parseSweepConfig(sweep)).map((r) => ({
    runId: r.runId,
    label: variants[r.point.optimizer as number]!.label,
    seed: r.config.seed,
  }));
  if (runs.length !== variants.length * s.seeds.length) {
    throw new Error(
      `planAblations: expected ${variants.length * s.seeds.length} runs, the sweep has ${runs.length}; two variants resolve to the same run (e.g. a GAF given twice with equal values).`,
    );
  }
  return { settings: s, sweep, variants, baselines, gafLabel: `SGD + ${gafName(s.gaf)}`, runs };
}

const fmt = (v: number): string => String(Number(v.toPrecision(3)));

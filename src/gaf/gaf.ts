import * as tf from '@tensorflow/tfjs';

/**
 * The built-in GAF kinds: the one list that configs, sweeps, JSON and the factories' table
 * ({@link BUILTIN_GAFS}) are made from.
 */
export const GAF_KINDS = Object.freeze(['atan', 'tanh', 'log'] as const);

/** One of {@link GAF_KINDS}: a GAF made from alpha and beta alone, so a config can name it. */
export type BuiltinGafKind = (typeof GAF_KINDS)[number];

/** The kinds of gradient activation function gaf-lab knows how to rebuild from JSON. */
export type GafKind = BuiltinGafKind | 'custom';

/** JSON form of a GAF: enough to rebuild it with {@link gafFromJSON}. */
export interface GafJSON {
  kind: GafKind;
  /** Scale of the output (all built-in kinds). */
  alpha?: number;
  /** Scale of the input (all built-in kinds). */
  beta?: number;
  /** Name of a custom GAF, looked up in the custom registry on load. */
  name?: string;
}

/**
 * A gradient activation function g: applied element-wise to a gradient (or to an optimizer's
 * update) to enlarge tiny components and restrict large ones.
 */
export interface Gaf {
  /** Which family this GAF belongs to. */
  readonly kind: GafKind;
  /** Readable formula, e.g. `0.1*atan(20x)`. */
  readonly name: string;
  /** Hyper-parameters as given at construction. */
  readonly config: Readonly<GafJSON>;
  /**
   * sup |g(x)| over all x: `alpha*pi/2` for atan, `alpha` for tanh, `Infinity` for log.
   * `undefined` when unknown (custom GAFs without a declared bound).
   */
  readonly bound: number | undefined;
  /** g applied element-wise. Does not dispose `x`; the caller owns the result. */
  apply(x: tf.Tensor): tf.Tensor;
  /** g at one number. */
  value(x: number): number;
  /** g'(x) at one number. */
  derivative(x: number): number;
  /** JSON form; `gafFromJSON(g.toJSON())` rebuilds an equivalent GAF. */
  toJSON(): GafJSON;
}

/** Hyper-parameters of the built-in GAF kinds: g(x) = alpha * f(beta * x). */
export interface GafParams {
  /** Output scale, > 0. */
  alpha: number;
  /** Input scale, > 0. */
  beta: number;
}

/** Both parameters of a built-in GAF must be > 0 (the config schema uses this rule too). */
export const GAF_PARAM_RULE = Object.freeze({ min: 0, minOpen: true } as const);

function checkParam(kind: string, field: 'alpha' | 'beta', v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(
      `gafs.${kind}: ${field} must be a finite number, got ${String(v)}. ` + `Example: gafs.${kind}({alpha: 0.1, beta: 20}).`,
    );
  }
  if (v <= GAF_PARAM_RULE.min) {
    throw new Error(
      `gafs.${kind}: ${field} must be > 0, got ${v}. A non-positive ${field} flips or zeroes ` +
        `the gradient; the paper uses e.g. alpha=0.1, beta=20.`,
    );
  }
  return v;
}

function checkParams(kind: string, p: Partial<GafParams> | undefined, defaults: GafParams): GafParams {
  const alpha = checkParam(kind, 'alpha', p?.alpha ?? defaults.alpha);
  const beta = checkParam(kind, 'beta', p?.beta ?? defaults.beta);
  return { alpha, beta };
}

const fmt = (v: number): string => String(Number(v.toPrecision(6)));

/** Defaults of the reference code (alpha=0.3, beta=4.5) when a parameter is omitted. */
export const DEFAULT_GAF_PARAMS: Readonly<GafParams> = Object.freeze({ alpha: 0.3, beta: 4.5 });

function builtin(
  kind: BuiltinGafKind,
  p: GafParams,
  f: (x: tf.Tensor) => tf.Tensor,
  fv: (x: number) => number,
  dfv: (x: number) => number,
  bound: number,
): Gaf {
  const { alpha, beta } = p;
  const config = Object.freeze({ kind, alpha, beta });
  return Object.freeze({
    kind,
    name: `${fmt(alpha)}*${kind}(${fmt(beta)}x)`,
    config,
    bound,
    apply: (x: tf.Tensor) => tf.tidy(() => tf.mul(f(tf.mul(x, beta)), alpha)),
    value: (x: number) => alpha * fv(beta * x),
    derivative: (x: number) => alpha * beta * dfv(beta * x),
    toJSON: () => ({ ...config }),
  });
}

/** g(x) = alpha * atan(beta x); bounded by alpha*pi/2, g'(0) = alpha*beta. */
export function atan(params?: Partial<GafParams>): Gaf {
  const p = checkParams('atan', params, DEFAULT_GAF_PARAMS);
  return builtin(
    'atan',
    p,
    (x) => tf.atan(x),
    Math.atan,
    (u) => 1 / (1 + u * u),
    (p.alpha * Math.PI) / 2,
  );
}

/** g(x) = alpha * tanh(beta x); bounded by alpha, g'(0) = alpha*beta. */
export function tanh(params?: Partial<GafParams>): Gaf {
  const p = checkParams('tanh', params, DEFAULT_GAF_PARAMS);
  return builtin(
    'tanh',
    p,
    (x) => tf.tanh(x),
    Math.tanh,
    (u) => {
      const c = Math.cosh(u);
      return Number.isFinite(c) ? 1 / (c * c) : 0;
    },
    p.alpha,
  );
}

/**
 * g(x) = alpha * sign(x) * ln(1 + beta |x|); unbounded (grows logarithmically), g'(0) = alpha*beta.
 * Computed as sign(x)*log1p(|beta x|), which equals the reference's
 * ln(relu(beta x)+1) - ln(relu(-beta x)+1) exactly and is accurate for tiny x.
 */
export function log(params?: Partial<GafParams>): Gaf {
  const p = checkParams('log', params, DEFAULT_GAF_PARAMS);
  return builtin(
    'log',
    p,
    (x) => tf.mul(tf.sign(x), tf.log1p(tf.abs(x))),
    (u) => Math.sign(u) * Math.log1p(Math.abs(u)),
    (u) => 1 / (1 + Math.abs(u)),
    Infinity,
  );
}

/** Options of a user-defined GAF. */
export interface CustomGafOptions {
  /** Unique name; also the key under which {@link gafFromJSON} finds it again. */
  name: string;
  /** g on tensors, element-wise, built from differentiable tf ops. */
  fn: (x: tf.Tensor) => tf.Tensor;
  /** g'(x) at a number. If omitted, it is obtained from `fn` by automatic differentiation. */
  derivative?: (x: number) => number;
  /** sup |g(x)| if known (Infinity for unbounded); leave out if unknown. */
  bound?: number;
}

const customRegistry = new Map<string, Gaf>();

/**
 * A user-defined GAF from a tensor function. It is registered under `name` so that JSON
 * that names it can be loaded in this process (JSON cannot carry a function: in a new
 * process, define it again before loading).
 */
export function custom(opts: CustomGafOptions): Gaf {
  if (!opts || typeof opts.name !== 'string' || opts.name.length === 0) {
    throw new Error('gafs.custom: give a non-empty `name`, e.g. gafs.custom({name: "softsign", fn: x => ...}).');
  }
  if (typeof opts.fn !== 'function') {
    throw new Error(`gafs.custom(${opts.name}): \`fn\` must be a function from tf.Tensor to tf.Tensor.`);
  }
  if (opts.bound !== undefined && !(opts.bound > 0)) {
    throw new Error(`gafs.custom(${opts.name}): bound must be > 0 (or Infinity), got ${opts.bound}.`);
  }
  const { name, fn } = opts;
  const value = (x: number): number => tf.tidy(() => fn(tf.scalar(x)).dataSync()[0]!);
  const autoGrad = tf.grad((x: tf.Tensor) => fn(x));
  const derivative = opts.derivative ?? ((x: number): number => tf.tidy(() => autoGrad(tf.scalar(x)).dataSync()[0]!));
  const config = Object.freeze({ kind: 'custom' as const, name });
  const g: Gaf = Object.freeze({
    kind: 'custom' as const,
    name,
    config,
    bound: opts.bound,
    apply: (x: tf.Tensor) => tf.tidy(() => fn(x)),
    value,
    derivative,
    toJSON: () => ({ ...config }),
  });
  customRegistry.set(name, g);
  return g;
}

/** The factory of each built-in kind. */
export const BUILTIN_GAFS: Readonly<Record<BuiltinGafKind, (params?: Partial<GafParams>) => Gaf>> = Object.freeze({ atan, tanh, log });

const isBuiltin = (kind: unknown): kind is BuiltinGafKind => (GAF_KINDS as readonly unknown[]).includes(kind);

/** Rebuilds a GAF from its JSON form (as written by `gaf.toJSON()`, or a config's `gaf` field). */
export function gafFromJSON(json: GafJSON | string): Gaf {
  const j: unknown = typeof json === 'string' ? JSON.parse(json) : json;
  if (j === null || typeof j !== 'object' || !('kind' in j)) {
    throw new Error(`gafFromJSON: expected an object like {"kind":"atan","alpha":0.1,"beta":20}, got ${JSON.stringify(j)}.`);
  }
  const o = j as GafJSON;
  if (isBuiltin(o.kind)) return BUILTIN_GAFS[o.kind]({ alpha: o.alpha, beta: o.beta });
  if (o.kind === 'custom') {
    const g = o.name !== undefined ? customRegistry.get(o.name) : undefined;
    if (!g) {
      throw new Error(
        `gafFromJSON: custom GAF "${o.name}" is not defined in this process. ` +
          `Call gafs.custom({name: "${o.name}", fn}) before loading.`,
      );
    }
    return g;
  }
  throw new Error(`gafFromJSON: unknown kind "${String((o as { kind: unknown }).kind)}"; expected ${[...GAF_KINDS, 'custom'].join(', ')}.`);
}

/** Factories of the GAF kinds: `gafs.atan({alpha, beta})`, `gafs.tanh`, `gafs.log`, `gafs.custom`. */
export const gafs = Object.freeze({ atan, tanh, log, custom, fromJSON: gafFromJSON });

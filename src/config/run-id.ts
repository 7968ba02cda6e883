/**
 * The run id: a readable slug of the resolved config and a hash of its content, so equal
 * configs share a folder and different ones never do.
 * @module
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { GradientClip } from '../optim/clip';
import { CONTROL_SLUGS } from '../optim/controls';
import type { ResolvedConfig } from './resolve';

/** JSON with object keys sorted, so equal configs give equal text (and equal hashes). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Six hex digits of the SHA-256 of a resolved config, leaving out where things are (outDir, dataDir). */
export function configHash(r: ResolvedConfig): string {
  // Step metrics are observed, not trained, and the thread count changes no number: runs that
  // differ only in them share an id.
  const { outDir: _o, stepMetrics: _s, threads: _t, ...rest } = r;
  const { validation, ...dataset } = r.dataset;
  // Like an absent clip, an absent validation set is left out, so runs made before it keep their ids.
  const content = {
    ...rest,
    dataset: { ...dataset, dataDir: null, ...(validation != null ? { validation } : {}) },
    optimizer: withoutNullClip(r.optimizer),
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 6);
}

/**
 * Gradient clipping came after the first runs were made: an absent clip is left out of the
 * hash, so those runs keep their ids (and resume, and count as done in their sweeps).
 */
function withoutNullClip(o: ResolvedConfig['optimizer']): Record<string, unknown> {
  const { clip, effective, ...rest } = o as ResolvedConfig['optimizer'] & { clip?: unknown };
  const { clip: effClip, ...effRest } = effective as Record<string, unknown>;
  return { ...rest, ...(clip != null ? { clip } : {}), effective: effClip != null ? effective : effRest };
}

const fmtNum = (v: number): string => String(Number(v.toPrecision(4)));

function clipSlug(c: GradientClip): string {
  if (c.kind === 'value') return `clipv${fmtNum(c.value)}`;
  return c.kind === 'norm' ? `clipn${fmtNum(c.maxNorm)}` : `clipr${fmtNum(c.maxRms)}`;
}

/** A readable slug of the config: dataset, model, optimizer, GAF, seed. */
export function configSlug(r: ResolvedConfig): string {
  const o = r.optimizer;
  const parts = [r.dataset.name, r.model.name];
  if (o.name === 'reference') parts.push(`ref-${o.variant}`);
  else if (o.name === 'sgdAdaptiveGaf') parts.push(`sgdada-sh${fmtNum(o.options.shrink)}-g${fmtNum(o.options.gamma)}`);
  else {
    parts.push(o.name);
    const gafSlug = (g: { kind: string; alpha: number; beta: number }): string => `${g.kind}-a${fmtNum(g.alpha)}-b${fmtNum(g.beta)}`;
    if (o.gaf) parts.push(`${gafSlug(o.gaf)}${o.placement === 'update' ? '-upd' : ''}`);
    // Of the controls only sign-SGD acts where the GAF would, so only its slug names the placement.
    const control = o.name === 'sgd' ? o.control : undefined;
    if (control) {
      const upd = control.kind === 'signSgd' && o.placement === 'update' ? '-upd' : '';
      parts.push(`${CONTROL_SLUGS[control.kind]}-${gafSlug(control.of)}${upd}`);
    }
  }
  if (o.name !== 'reference' && o.clip) parts.push(clipSlug(o.clip));
  parts.push(`s${r.seed}`);
  return parts.join('-');
}

function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

/**
 * The run id: a readable slug (the config's `name` if set, else {@link configSlug}) and the
 * {@link configHash}, e.g. `fashion-mnist-smallcnn-sgd-atan-a0.1-b20-s1-3f9c2a`.
 */
export function runIdOf(r: ResolvedConfig): string {
  return `${slugify(r.name ?? configSlug(r))}-${configHash(r)}`;
}

/** The folder of a run: `<outDir>/<runId>`. */
export function runDirOf(r: ResolvedConfig): string {
  return path.resolve(r.outDir, runIdOf(r));
}

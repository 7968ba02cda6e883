import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../run-format/index';
import { buildProvenance, type Provenance, type ProvenanceInput } from './provenance';
import { renderSvg, svgToPng, type PngOptions } from './render';
import type { VlSpec } from './spec';

/** Options of {@link saveFigure}. */
export interface SaveFigureOptions extends PngOptions {
  /** What the figure was drawn from; recorded in `<name>.provenance.json`. */
  provenance?: ProvenanceInput;
  /** Also write the Vega-Lite spec as `<name>.vl.json`, to re-render or edit later; default false. */
  writeSpec?: boolean;
}

/** The files {@link saveFigure} wrote. */
export interface SavedFigure {
  png: string;
  svg: string;
  provenance: string;
  spec?: string;
  record: Provenance;
}

function titleText(spec: VlSpec): string | null {
  const t = (spec as { title?: unknown }).title;
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object' && typeof (t as { text?: unknown }).text === 'string') return (t as { text: string }).text;
  return null;
}

/**
 * Renders `spec` and writes `<name>.svg`, `<name>.png` and `<name>.provenance.json` (the runs it
 * was drawn from, git commit, date, package versions, file hashes). `file` is the path without
 * extension, or with `.png`/`.svg`. Each file is written atomically; the sidecar comes last, so
 * its presence means the images are complete.
 */
export async function saveFigure(spec: VlSpec, file: string, options: SaveFigureOptions = {}): Promise<SavedFigure> {
  const name = path.basename(file).replace(/\.(png|svg)$/i, '');
  const base = path.join(path.dirname(file), name);
  if (name === '' || name.startsWith('.') || /[\\/]$/.test(file))
    throw new Error(`saveFigure: "${file}" has no figure name; pass e.g. figures/accuracy-bars.`);
  const svgText = await renderSvg(spec, options);
  const png = svgToPng(svgText, options);
  const paths = { png: `${base}.png`, svg: `${base}.svg`, provenance: `${base}.provenance.json` };
  writeFileAtomic(paths.svg, svgText);
  writeFileAtomic(paths.png, png);
  const files = [paths.png, paths.svg];
  let specFile: string | undefined;
  if (options.writeSpec) {
    specFile = `${base}.vl.json`;
    writeFileAtomic(specFile, `${JSON.stringify(spec, null, 1)}\n`);
    files.push(specFile);
  }
  const record = buildProvenance(name, titleText(spec), files, options.provenance);
  writeFileAtomic(paths.provenance, `${JSON.stringify(record, null, 2)}\n`);
  return { ...paths, ...(specFile ? { spec: specFile } : {}), record };
}

/** Reads a figure's provenance sidecar. */
export function readProvenance(file: string): Provenance {
  return JSON.parse(
    fs.readFileSync(file.replace(/\.(png|svg)$/i, '') + (file.endsWith('.provenance.json') ? '' : '.provenance.json'), 'utf8'),
  ) as Provenance;
}

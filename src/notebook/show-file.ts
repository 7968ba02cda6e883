/**
 * Showing figures that are already on disk (PNG files), e.g. the committed figure set, in a
 * tslab cell; outside a notebook their paths are printed.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readProvenance } from '../plots/save';
import { tslabDisplay } from './show';

type TslabPng = { png(b: Uint8Array): void; markdown(s: string): void };

/** Options of {@link showSavedFigures}. */
export interface ShowSavedFiguresOptions {
  /** Figure names (without extension) to show, in this order; default: every PNG in the folder. */
  names?: readonly string[];
  /** Only figures whose name starts with this (e.g. `06-`). */
  prefix?: string;
  /** Print the figure's title (from its provenance) above it (default true). */
  captions?: boolean;
}

/**
 * Shows PNG figures of a folder inline, each under a caption with its name and title. A missing
 * folder or no match shows nothing (the caller says what makes them); a name in `names` without
 * a PNG is an error naming the folder. Returns nothing, so a cell ending with it shows only the
 * figures.
 */
export function showSavedFigures(dir: string, options: ShowSavedFiguresOptions = {}): void {
  const all = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.png'))
        .map((f) => f.slice(0, -4))
        .sort()
    : [];
  const missing = (options.names ?? []).filter((n) => !all.includes(n));
  if (missing.length) throw new Error(`showSavedFigures: no ${missing.map((n) => `${n}.png`).join(', ')} in ${dir}.`);
  const names = (options.names ?? all).filter((n) => n.startsWith(options.prefix ?? ''));
  const d = tslabDisplay() as unknown as TslabPng | null;
  for (const name of names) {
    const png = path.join(dir, `${name}.png`);
    let title = '';
    try {
      title = readProvenance(png).title ?? '';
    } catch {
      // A PNG without a sidecar is shown with its name only.
    }
    if (d) {
      if (options.captions ?? true) d.markdown(`**${name}**${title ? `: ${title}` : ''}`);
      d.png(fs.readFileSync(png));
    } else {
      console.log(`${path.relative(process.cwd(), png)}${title ? ` - ${title}` : ''}`);
    }
  }
}

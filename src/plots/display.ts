import { renderPng, renderSvg, type PngOptions } from './render';
import type { VlSpec } from './spec';

/** Options of {@link display}. */
export interface DisplayOptions extends PngOptions {
  /** PNG (default: looks the same in every notebook viewer) or SVG (crisp, browser fonts). */
  format?: 'png' | 'svg';
}

/**
 * Shows a figure in a tslab notebook cell. tslab is loaded only here, so the library works
 * outside notebooks; outside a tslab kernel this throws and names the alternatives.
 */
export async function display(spec: VlSpec, options: DisplayOptions = {}): Promise<void> {
  let tslab: typeof import('tslab');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (optional, native or ES-only package)
    tslab = require('tslab') as typeof import('tslab');
  } catch {
    throw new Error(
      'display() needs tslab (a devDependency of gaf-lab, run inside a tslab notebook). Elsewhere use saveFigure(spec, path) or renderSvg(spec).',
    );
  }
  const format = options.format ?? 'png';
  if (format !== 'png' && format !== 'svg') throw new Error(`display: format must be 'png' or 'svg', got ${JSON.stringify(format)}.`);
  const show = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      throw new Error(
        `display() works only inside a running tslab notebook cell (${(e as Error).message}). Elsewhere use saveFigure(spec, path) or renderSvg(spec).`,
      );
    }
  };
  if (format === 'svg') {
    const svg = await renderSvg(spec, options);
    show(() => tslab.display.svg(svg));
  } else {
    const png = await renderPng(spec, { scale: 1.5, ...options });
    show(() => tslab.display.png(png));
  }
}

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { VlSpec } from './spec';

/** Options of {@link renderSvg} and {@link compileSpec}. */
export interface RenderOptions {
  /**
   * Called with every warning of vega-lite's compiler and of the vega view (e.g. a channel
   * dropped for a wrong type, an infinite extent). Default: `console.warn`.
   */
  onWarning?: (message: string) => void;
}

/** Collects warnings the way vega's logger interface expects; errors are thrown. */
class CapturingLogger {
  private lvl = 2; // vega.Warn
  constructor(private readonly sink: (message: string) => void) {}
  level(l?: number): number | this {
    if (l === undefined) return this.lvl;
    this.lvl = l;
    return this;
  }
  error(...args: unknown[]): this {
    throw new Error(`vega: ${args.map(String).join(' ')}`);
  }
  warn(...args: unknown[]): this {
    this.sink(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
    return this;
  }
  info(): this {
    return this;
  }
  debug(): this {
    return this;
  }
}

/**
 * vega-lite and vega are ES modules whose graph has a top-level await (vega-canvas probes for
 * the optional `canvas` package), so CommonJS cannot `require()` them: `import()` it is, which
 * TypeScript keeps as a real dynamic import under module node16. Their types are inferred from
 * these calls (a type position naming the ES module would need a resolution-mode attribute).
 */
const importVegaLite = () => import('vega-lite');
const importVega = () => import('vega');
type VegaLiteModule = Awaited<ReturnType<typeof importVegaLite>>;
type VegaModule = Awaited<ReturnType<typeof importVega>>;

async function loadVega(): Promise<{ vl: VegaLiteModule; vega: VegaModule }> {
  const [vl, vega] = await Promise.all([importVegaLite(), importVega()]);
  return { vl, vega };
}

type VlLogger = NonNullable<Parameters<VegaLiteModule['compile']>[1]>['logger'];

/** Compiles a Vega-Lite spec to a Vega spec; returns the Vega spec and vega-lite's warnings. */
export async function compileSpec(spec: VlSpec): Promise<{ vega: object; warnings: string[] }> {
  const { vl } = await loadVega();
  const warnings: string[] = [];
  const logger = new CapturingLogger((m) => warnings.push(m));
  const out = vl.compile(spec, { logger: logger as unknown as VlLogger });
  return { vega: out.spec as object, warnings };
}

/**
 * Renders a Vega-Lite spec to SVG text headless (vega-lite compile, then a vega View without a
 * DOM). Text widths are estimated (no canvas), which leaves labels a little more room than they need.
 */
export async function renderSvg(spec: VlSpec, options: RenderOptions = {}): Promise<string> {
  const { vl, vega } = await loadVega();
  const sink = options.onWarning ?? ((m: string) => console.warn(`[gaf-lab plots] ${m}`));
  const logger = new CapturingLogger(sink);
  const compiled = vl.compile(spec, { logger: logger as unknown as VlLogger });
  const view = new vega.View(vega.parse(compiled.spec as Parameters<VegaModule['parse']>[0]), { renderer: 'none', logger: logger as unknown as VlLogger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Options of {@link renderPng} and {@link svgToPng}. */
export interface PngOptions extends RenderOptions {
  /** Pixel density: 2 (default) draws a 600 px wide figure 1200 px wide. */
  scale?: number;
  /** Extra font files to load (e.g. when the system has none); system fonts are always loaded. */
  fontFiles?: string[];
}

const FONT_DIRS = [
  '/usr/share/fonts',
  '/usr/local/share/fonts',
  path.join(os.homedir(), '.fonts'),
  path.join(os.homedir(), '.local/share/fonts'),
  '/Library/Fonts',
  '/System/Library/Fonts',
  path.join(process.env.WINDIR ?? 'C:\\Windows', 'Fonts'),
];

/** Font files (.ttf, .otf, .ttc) in the folders where resvg looks for system fonts. */
export function findSystemFonts(): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 5) walk(p, depth + 1);
      else if (/\.(ttf|otf|ttc)$/i.test(e.name)) out.push(p);
    }
  };
  for (const d of FONT_DIRS) walk(d, 0);
  return out;
}

let fontCache: { files: string[]; sans: string | undefined } | undefined;

/**
 * Which fonts resvg will have: without any, resvg silently drops every text element, so a
 * figure would lose its axis titles and legend. Then this throws with the package to install.
 */
function fontSetup(extra: string[] | undefined): { sans: string | undefined } {
  if (!fontCache) {
    const files = findSystemFonts();
    const sans = files.some((f) => /DejaVuSans\.ttf$/i.test(f)) ? 'DejaVu Sans' : files.some((f) => /LiberationSans-Regular/i.test(f)) ? 'Liberation Sans' : undefined;
    fontCache = { files, sans };
  }
  if (fontCache.files.length === 0 && !(extra && extra.length)) {
    throw new Error(
      `renderPng: no font files found (looked in ${FONT_DIRS.join(', ')}), so the PNG would have no text. ` +
        'Install a font, e.g. on Debian/Ubuntu `apt-get install fonts-dejavu-core`, or pass {fontFiles: ["/path/to/font.ttf"]}.',
    );
  }
  return { sans: fontCache.sans };
}

/** Rasterizes SVG text to PNG bytes with resvg (system fonts, white background). */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const scale = options.scale ?? 2;
  if (!(scale > 0 && scale <= 10)) throw new Error(`renderPng: scale must be in (0, 10], got ${scale}.`);
  const { sans } = fontSetup(options.fontFiles);
  // Loaded on first use: a native addon that only figure rendering needs.
  const { Resvg } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: true,
      ...(options.fontFiles ? { fontFiles: options.fontFiles } : {}),
      ...(sans ? { sansSerifFamily: sans, defaultFontFamily: sans } : {}),
    },
  });
  return r.render().asPng();
}

/** Renders a Vega-Lite spec to PNG bytes: {@link renderSvg}, then resvg. */
export async function renderPng(spec: VlSpec, options: PngOptions = {}): Promise<Buffer> {
  return svgToPng(await renderSvg(spec, options), options);
}

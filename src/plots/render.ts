import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readFontMetrics, type FontMetrics } from './font-metrics';
import type { VlSpec } from './spec';

/** Options of {@link renderSvg} and {@link compileSpec}. */
export interface RenderOptions {
  /**
   * Called with every warning of vega-lite's compiler and of the vega view (e.g. a channel
   * dropped for a wrong type, an infinite extent). Default: `console.warn`.
   */
  onWarning?: (message: string) => void;
}

/** The logger interface of vega and vega-lite. */
interface Logger {
  level(l?: number): number | Logger;
  error(...args: unknown[]): Logger;
  warn(...args: unknown[]): Logger;
  info(...args: unknown[]): Logger;
  debug(...args: unknown[]): Logger;
}

/**
 * A logger that hands warnings to `sink` and throws errors. Built from closures because vega's
 * View calls the methods detached from the logger object.
 */
function capturingLogger(sink: (message: string) => void): Logger {
  let lvl = 2; // vega.Warn
  const text = (args: unknown[]): string => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  const logger: Logger = {
    level: (l?: number) => {
      if (l === undefined) return lvl;
      lvl = l;
      return logger;
    },
    error: (...args: unknown[]) => {
      throw new Error(`vega: ${text(args)}`);
    },
    warn: (...args: unknown[]) => {
      sink(text(args));
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return logger;
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
  const logger = capturingLogger((m) => warnings.push(m));
  const out = vl.compile(spec, { logger: logger as unknown as VlLogger });
  return { vega: out.spec as object, warnings };
}

/**
 * Renders a Vega-Lite spec to SVG text headless (vega-lite compile, then a vega View without a
 * DOM). Text widths are estimated (no canvas), which leaves labels a little more room than they need.
 */
export async function renderSvg(spec: VlSpec, options: RenderOptions = {}): Promise<string> {
  const { vl, vega } = await loadVega();
  installTextMetrics(vega);
  const sink = options.onWarning ?? ((m: string) => console.warn(`[gaf-lab plots] ${m}`));
  const logger = capturingLogger(sink);
  const compiled = vl.compile(spec, { logger: logger as unknown as VlLogger });
  const view = new vega.View(vega.parse(compiled.spec as Parameters<VegaModule['parse']>[0]), {
    renderer: 'none',
    logger: logger as unknown as VlLogger,
  });
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

/** The fonts found on this machine and the one `sans-serif` is drawn with. */
interface FontChoice {
  files: string[];
  /** Family resvg uses for `sans-serif`, when a known one is installed. */
  sans: string | undefined;
  /** Metrics of that family (regular and bold), for vega's text layout. */
  metrics: { regular: FontMetrics; bold: FontMetrics } | undefined;
}

let fontCache: FontChoice | undefined;

function fontChoice(): FontChoice {
  if (fontCache) return fontCache;
  const files = findSystemFonts();
  const regular = files.find((f) => /[\\/]DejaVuSans\.ttf$/i.test(f));
  const bold = files.find((f) => /[\\/]DejaVuSans-Bold\.ttf$/i.test(f));
  let metrics: FontChoice['metrics'];
  try {
    metrics = regular ? { regular: readFontMetrics(regular), bold: readFontMetrics(bold ?? regular) } : undefined;
  } catch {
    metrics = undefined; // an unreadable font file: fall back to vega's estimate
  }
  fontCache = { files, sans: regular ? 'DejaVu Sans' : undefined, metrics };
  return fontCache;
}

/**
 * Which fonts resvg will have: without any, resvg silently drops every text element, so a
 * figure would lose its axis titles and legend. Then this throws with the package to install.
 */
function fontSetup(extra: string[] | undefined): { sans: string | undefined } {
  const choice = fontChoice();
  if (choice.files.length === 0 && !(extra && extra.length)) {
    throw new Error(
      `renderPng: no font files found (looked in ${FONT_DIRS.join(', ')}), so the PNG would have no text. ` +
        'Install a font, e.g. on Debian/Ubuntu `apt-get install fonts-dejavu-core`, or pass {fontFiles: ["/path/to/font.ttf"]}.',
    );
  }
  return { sans: choice.sans };
}

interface TextItem {
  fontSize?: number | string;
  fontWeight?: number | string;
  limit?: number;
}

/**
 * Makes vega measure text with the advance widths of the font resvg draws `sans-serif` with
 * (vega supports a user-defined `textMetrics.width`; without a canvas it would guess 0.8 em per
 * character). Leaves vega's estimate in place when that font is not installed.
 */
function installTextMetrics(vega: VegaModule): void {
  const tm = (vega as unknown as { textMetrics?: { width: (item: TextItem, text: unknown) => number } }).textMetrics;
  const m = fontChoice().metrics;
  if (!tm || !m) return;
  tm.width = (item: TextItem, text: unknown): number => {
    const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
    const w = item.fontWeight;
    const bold = w === 'bold' || w === 'bolder' || Number(w) >= 600;
    const width = (bold ? m.bold : m.regular).width(text == null ? '' : String(text).trim(), size);
    // A label longer than its limit is drawn truncated to the limit.
    return item.limit && item.limit > 0 ? Math.min(width, item.limit) : width;
  };
}

/** Rasterizes SVG text to PNG bytes with resvg (system fonts, white background). */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const scale = options.scale ?? 2;
  if (!(scale > 0 && scale <= 10)) throw new Error(`renderPng: scale must be in (0, 10], got ${scale}.`);
  const { sans } = fontSetup(options.fontFiles);
  // Loaded on first use: a native addon that only figure rendering needs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (optional, native or ES-only package)
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

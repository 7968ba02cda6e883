/**
 * Showing tables and figures in a tslab notebook cell (HTML tables, PNG/SVG figures), with a
 * plain-text fallback outside notebooks so the same calls work in scripts and tests.
 * @module
 */
import * as path from 'node:path';
import { isTable, type ColumnTable } from '../results/arquero';
import { display, type DisplayOptions } from '../plots/display';
import { saveFigure, type SaveFigureOptions } from '../plots/save';
import type { ProvenanceInput } from '../plots/provenance';
import { packageRoot } from '../provenance/index';
import type { VlSpec } from '../plots/spec';
import { tslabModule, type TslabDisplay } from '../train/tslab';

type Row = Record<string, unknown>;

/** tslab's display when this code runs inside a tslab kernel, else null. */
export function tslabDisplay(): TslabDisplay | null {
  return tslabModule()?.display ?? null;
}

/** Options of {@link showTable}. */
export interface ShowTableOptions {
  /** Caption above the table. */
  title?: string;
  /** Columns to show, in order (default: all). */
  columns?: readonly string[];
  /** Significant digits of non-integer numbers (default 4). */
  digits?: number;
  /** Rows shown at most (default 50); the caption says how many were left out. */
  limit?: number;
  /** Columns holding fractions to show as percentages (0.8512 -> `85.12 %`). */
  percent?: readonly string[];
  /** Header text per column name, e.g. `{finalMean: 'final top-1'}`. */
  headers?: Record<string, string>;
}

function rowsOf(input: ColumnTable | readonly object[]): Row[] {
  if (isTable(input)) return input.objects() as Row[];
  if (Array.isArray(input)) return input as unknown as Row[];
  throw new Error('showTable: expected an arquero table or an array of row objects.');
}

/** A cell as text: integers as they are, other numbers to `digits` significant digits. */
export function formatCell(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(digits - 1) : String(Number(v.toPrecision(digits)));
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function cellText(column: string, v: unknown, options: ShowTableOptions): string {
  if (options.percent?.includes(column) && typeof v === 'number') return Number.isFinite(v) ? `${(v * 100).toFixed(2)} %` : '–';
  return formatCell(v, options.digits);
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The table as an HTML fragment (what {@link showTable} displays). */
export function tableHtml(input: ColumnTable | readonly object[], options: ShowTableOptions = {}): string {
  const rows = rowsOf(input);
  const columns = options.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const limit = options.limit ?? 50;
  const shown = rows.slice(0, limit);
  const numeric = columns.map((c) => shown.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number'));
  const caption = [options.title, rows.length > limit ? `(first ${limit} of ${rows.length} rows)` : ''].filter(Boolean).join(' ');
  // Explicit alignment both ways: Jupyter's stylesheet right-aligns every table cell.
  const cell = (tag: string, text: string, right: boolean): string =>
    `<${tag} style="text-align:${right ? 'right' : 'left'}">${escapeHtml(text)}</${tag}>`;
  return [
    '<table class="gaf-lab-table">',
    caption ? `<caption style="caption-side:top;text-align:left">${escapeHtml(caption)}</caption>` : '',
    `<thead><tr>${columns.map((c, i) => cell('th', options.headers?.[c] ?? c, numeric[i]!)).join('')}</tr></thead>`,
    '<tbody>',
    ...shown.map((r) => `<tr>${columns.map((c, i) => cell('td', cellText(c, r[c], options), numeric[i]!)).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

/** The table as aligned plain text (the fallback outside notebooks). */
export function tableText(input: ColumnTable | readonly object[], options: ShowTableOptions = {}): string {
  const rows = rowsOf(input);
  const columns = options.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const limit = options.limit ?? 50;
  const cells = rows.slice(0, limit).map((r) => columns.map((c) => cellText(c, r[c], options)));
  const heads = columns.map((c) => options.headers?.[c] ?? c);
  const widths = heads.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (vals: string[]): string =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    ...(options.title ? [options.title] : []),
    line(heads),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
    ...(rows.length > limit ? [`(first ${limit} of ${rows.length} rows)`] : []),
  ].join('\n');
}

/**
 * Shows a table (arquero table or array of rows) as an HTML table in a tslab cell, or as text
 * on stdout elsewhere.
 */
export function showTable(input: ColumnTable | readonly object[], options: ShowTableOptions = {}): void {
  const d = tslabDisplay();
  if (d) d.html(tableHtml(input, options));
  else console.log(tableText(input, options));
}

/** Options of {@link showFigure}. */
export interface ShowFigureOptions extends DisplayOptions {
  /** Also save it (PNG, SVG and provenance sidecar) as this path without extension, e.g. `${P.figuresDir}/saddle-escape`. */
  saveAs?: string;
  /** What the figure was drawn from (runs, source folder, settings), recorded in the saved figure's sidecar. */
  provenance?: ProvenanceInput;
  /** Rendering options of the saved files. */
  save?: SaveFigureOptions;
}

/**
 * Shows a Vega-Lite figure inline (PNG by default) and, with `saveAs`, writes it through
 * {@link saveFigure} with its provenance. Outside a notebook it only saves (and says where).
 */
export async function showFigure(spec: VlSpec, options: ShowFigureOptions = {}): Promise<void> {
  const { saveAs, save, provenance, ...displayOptions } = options;
  const saved = saveAs ? await saveFigure(spec, saveAs, { ...save, ...(provenance ? { provenance } : {}) }) : null;
  if (tslabDisplay()) await display(spec, displayOptions);
  else if (!saved)
    throw new Error('showFigure: not inside a tslab notebook and no saveAs given, so the figure would go nowhere; pass saveAs.');
  // Nothing is returned, so a cell ending in `await showFigure(...)` shows only the figure.
  if (saved) console.log(`saved ${path.relative(packageRoot(), saved.png)} (+ .svg, .provenance.json)`);
}

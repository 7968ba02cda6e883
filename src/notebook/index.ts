/**
 * What notebook cells call besides the science: parameters with a smoke mode, HTML tables,
 * figures shown and saved, and progress lines that update in place.
 * @packageDocumentation
 */
export { notebookParams, notebookMode, NOTEBOOK_MODE_ENV } from './mode';
export type { NotebookMode, NotebookParams, NotebookParamsOptions } from './mode';
export { showTable, showFigure, tableHtml, tableText, formatCell, tslabDisplay } from './show';
export type { ShowTableOptions, ShowFigureOptions } from './show';
export { progressLine, formatProgress } from './progress';
export type { ProgressLine, ProgressLineOptions } from './progress';

/**
 * What notebook cells call besides the science: parameters with a smoke mode, HTML tables,
 * figures shown and saved, and progress lines that update in place.
 * @packageDocumentation
 */
export { notebookParams, notebookMode, NOTEBOOK_MODE_ENV } from './mode';
export type { NotebookMode, NotebookParams, NotebookParamsOptions } from './mode';
export { showTable, showFigure, tableHtml, tableText, formatCell, tslabDisplay } from './show';
export type { ShowTableOptions, ShowFigureOptions } from './show';
export { progressLine, formatProgress } from '../train/progress-line';
export type { ProgressLine, ProgressLineOptions } from '../train/progress-line';
export { sweepProgress } from './sweep-progress';
export type { SweepProgress, SweepProgressOptions } from './sweep-progress';
export { sweepGridTable } from './sweep-grid';
export type { SweepGridRow } from './sweep-grid';
export { paperTable } from './paper-table';
export type { PaperTableOptions } from './paper-table';
export { showSavedFigures } from './show-file';
export type { ShowSavedFiguresOptions } from './show-file';
export { runFoldersTable } from './run-folders';
export type { RunFolderEntry, RunFolderRow } from './run-folders';
export { powerTable } from './power-table';
export type { PowerTableOptions } from './power-table';
export { liveChart } from './live-chart';
export type { LiveChart, LiveChartOptions, LiveChartUpdate } from './live-chart';
export { showImages } from './show-images';
export type { ShownImage } from './show-images';

/**
 * The CPU ablation study (notebook 6): plan, train, compare.
 * @packageDocumentation
 */
export { planAblations, ABLATION_GROUPS } from './plan';
export type { AblationSettings, AblationPlan, AblationVariant, AblationRun, AblationGroup, GafSetting } from './plan';
export { runAblations } from './run';
export type { RunAblationsOptions } from './run';
export {
  loadAblationRuns,
  ablationTable,
  alphaBetaSummary,
  formatAblationRows,
  verdictOf,
  adjustedVerdict,
  groupSummary,
  ablationOverview,
  ablationDifferences,
  formatAblationPower,
} from './analyze';
export type { AblationRow, AblationOverviewRow } from './analyze';

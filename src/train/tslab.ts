/**
 * Whether this process runs inside a tslab (Jupyter) kernel, and tslab's display module when
 * it does: progress lines and the notebook helpers write into the cell then, and print plain
 * text elsewhere (scripts, tests, worker processes).
 * @module
 */

/** What tslab's display objects offer (the subset gaf-lab writes with). */
export type TslabDisplay = { html(s: string): void; markdown(s: string): void; text(s: string): void };

/** tslab's module when running inside a tslab kernel (it has a cell to write to), else null. */
export function tslabModule(): { display: TslabDisplay; newDisplay(): TslabDisplay } | null {
  try {
    // tslab's display throws "Not ready" outside a kernel; its jupyter module says whether one runs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- tslab exists only inside a notebook kernel
    const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };
    if (jupyter.lastWriteDisplayData == null) return null;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- tslab exists only inside a notebook kernel
    return require('tslab') as { display: TslabDisplay; newDisplay(): TslabDisplay };
  } catch {
    return null;
  }
}

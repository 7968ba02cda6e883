/**
 * Loads arquero for a CommonJS package.
 *
 * arquero 8 is published as an ES module only. Node >= 20.19 can `require()` an ES module
 * graph without top-level await (arquero has none), so the table functions stay synchronous.
 * The import below is type-only and erased at compile time; the TypeScript the project compiles
 * with (5.0, shared with tslab) cannot spell `resolution-mode` for a type import yet, hence the
 * suppression: the types resolve correctly, only the CommonJS/ESM mode check complains.
 */
// @ts-expect-error TS1479: type-only import of an ES module from CommonJS (erased at runtime).
import type * as Arquero from 'arquero';
// @ts-expect-error TS1479: see above.
import type { ColumnTable } from 'arquero';

export type { ColumnTable };
/** The arquero module's namespace type. */
export type ArqueroModule = typeof Arquero;

let cached: ArqueroModule | undefined;

/** The arquero module, loaded on first use. Throws a clear error on Node versions that cannot load it. */
export function arquero(): ArqueroModule {
  if (cached) return cached;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (optional, native or ES-only package)
    cached = require('arquero') as ArqueroModule;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') {
      throw new Error(
        `gaf-lab results need Node >= 20.19 to load arquero (an ES module) from CommonJS; this is ` +
          `Node ${process.versions.node}. Upgrade Node (nvm install 20).`,
      );
    }
    throw e;
  }
  return cached;
}

/** True when `x` looks like an arquero table (duck-typed, so tables from another copy of arquero work). */
export function isTable(x: unknown): x is ColumnTable {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { objects?: unknown }).objects === 'function' &&
    typeof (x as { columnNames?: unknown }).columnNames === 'function'
  );
}

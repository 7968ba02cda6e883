/** A cell value of a flattened config: what a table column can hold. */
export type Cell = string | number | boolean | null;

/**
 * Flattens nested objects into dotted keys: `{optimizer: {gaf: {kind: 'atan'}}}` becomes
 * `{'optimizer.gaf.kind': 'atan'}`. Arrays become their JSON text (a schedule's milestones
 * `[30,60]` stay one comparable cell); `null` stays `null` under its own key.
 */
export function flattenObject(obj: Record<string, unknown>, prefix = '', out: Record<string, Cell> = {}): Record<string, Cell> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v === null || v === undefined) out[key] = null;
    else if (Array.isArray(v)) out[key] = JSON.stringify(v);
    else if (typeof v === 'object') flattenObject(v as Record<string, unknown>, key, out);
    else if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[key] = v;
    else out[key] = String(v);
  }
  return out;
}

/**
 * The union of keys over records, in first-seen order, without a key that is `null` in every
 * record while other records have fields under it: `optimizer.gaf` is `null` for plain SGD and an
 * object for SGD+GAF, and the table should then have `optimizer.gaf.kind` (null for SGD), not an
 * extra always-null `optimizer.gaf` column.
 */
export function unionKeys(records: Record<string, Cell>[]): string[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        keys.push(k);
      }
    }
  }
  const dropped = (k: string): boolean =>
    keys.some((c) => c.startsWith(`${k}.`)) && records.every((r) => r[k] === null || r[k] === undefined);
  // A dropped key's children take its place, so `optimizer.gaf.kind` sits next to `optimizer.name`
  // even when the first run seen had no GAF.
  const out: string[] = [];
  const placed = new Set<string>();
  for (const k of keys) {
    if (placed.has(k)) continue;
    if (dropped(k)) {
      for (const c of keys) {
        if (c.startsWith(`${k}.`) && !placed.has(c) && !dropped(c)) {
          placed.add(c);
          out.push(c);
        }
      }
    } else {
      placed.add(k);
      out.push(k);
    }
  }
  return out;
}

import * as fs from 'node:fs';

/**
 * Advance widths of a TrueType font, read from its `cmap`, `hmtx`, `hhea` and `head` tables,
 * so that vega can lay out text for the font resvg will draw it with. Without a canvas, vega
 * guesses 0.8 em per character, which is about a third too wide for DejaVu Sans: figures get
 * empty margins and axes drop labels that would fit.
 */
export interface FontMetrics {
  /** Width of `text` in pixels at `fontSize`, without kerning. */
  width(text: string, fontSize: number): number;
}

/** Reads the advance widths of a .ttf/.otf file with a Unicode cmap; throws on anything else. */
export function readFontMetrics(file: string): FontMetrics {
  const buf = fs.readFileSync(file);
  const u16 = (o: number): number => buf.readUInt16BE(o);
  const u32 = (o: number): number => buf.readUInt32BE(o);
  const tables = new Map<string, number>();
  const numTables = u16(4);
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    tables.set(buf.toString('latin1', rec, rec + 4), u32(rec + 8));
  }
  const need = (tag: string): number => {
    const o = tables.get(tag);
    if (o === undefined) throw new Error(`${file}: no '${tag}' table; not a TrueType/OpenType font gaf-lab can measure.`);
    return o;
  };
  const unitsPerEm = u16(need('head') + 18);
  const numberOfHMetrics = u16(need('hhea') + 34);
  const hmtx = need('hmtx');
  const advance = (gid: number): number => u16(hmtx + 4 * Math.min(gid, numberOfHMetrics - 1));

  // Pick a Unicode subtable: format 12 (full range) if present, else format 4 (BMP).
  const cmap = need('cmap');
  let fmt4 = -1;
  let fmt12 = -1;
  for (let i = 0; i < u16(cmap + 2); i++) {
    const rec = cmap + 4 + 8 * i;
    const platform = u16(rec);
    const encoding = u16(rec + 2);
    const sub = cmap + u32(rec + 4);
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    if (!unicode) continue;
    if (u16(sub) === 12) fmt12 = sub;
    else if (u16(sub) === 4 && fmt4 < 0) fmt4 = sub;
  }
  if (fmt4 < 0 && fmt12 < 0) throw new Error(`${file}: no Unicode character map (cmap format 4 or 12).`);

  const glyphOf = (c: number): number => {
    if (fmt12 >= 0) {
      const groups = u32(fmt12 + 12);
      for (let g = 0; g < groups; g++) {
        const o = fmt12 + 16 + 12 * g;
        if (c >= u32(o) && c <= u32(o + 4)) return u32(o + 8) + (c - u32(o));
      }
      return 0;
    }
    if (c > 0xffff) return 0;
    const segCount = u16(fmt4 + 6) / 2;
    const ends = fmt4 + 14;
    const starts = ends + 2 * segCount + 2;
    const deltas = starts + 2 * segCount;
    const ranges = deltas + 2 * segCount;
    for (let i = 0; i < segCount; i++) {
      if (u16(ends + 2 * i) < c) continue;
      const start = u16(starts + 2 * i);
      if (start > c) return 0;
      const delta = u16(deltas + 2 * i);
      const rangeOffset = u16(ranges + 2 * i);
      if (rangeOffset === 0) return (c + delta) & 0xffff;
      const gid = u16(ranges + 2 * i + rangeOffset + 2 * (c - start));
      return gid === 0 ? 0 : (gid + delta) & 0xffff;
    }
    return 0;
  };

  const cache = new Map<number, number>();
  const unitsOf = (c: number): number => {
    let w = cache.get(c);
    if (w === undefined) {
      w = advance(glyphOf(c));
      cache.set(c, w);
    }
    return w;
  };
  return {
    width(text: string, fontSize: number): number {
      let units = 0;
      for (const ch of text) units += unitsOf(ch.codePointAt(0)!);
      return (units / unitsPerEm) * fontSize;
    },
  };
}

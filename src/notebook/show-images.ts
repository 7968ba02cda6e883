/**
 * Showing images made in memory (PNG bytes, e.g. detections drawn on a picture) in a tslab
 * cell, each under a caption; outside a notebook, or with `saveDir`, they are written as files.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../run-format/index';
import { tslabDisplay } from './show';

type TslabPng = { png(b: Uint8Array): void; markdown(s: string): void };

/** One image to show. */
export interface ShownImage {
  png: Uint8Array;
  caption: string;
  /** File name (without `.png`) when saved. */
  name: string;
}

/**
 * Shows the images inline (caption, then picture) and, with `saveDir`, also writes each as
 * `<saveDir>/<name>.png`. Outside a notebook `saveDir` is required (the images would go
 * nowhere otherwise) and the saved paths are printed.
 */
export function showImages(images: readonly ShownImage[], options: { saveDir?: string } = {}): void {
  const d = tslabDisplay() as unknown as TslabPng | null;
  if (!d && options.saveDir === undefined)
    throw new Error('showImages: not inside a tslab notebook and no saveDir given, so the images would go nowhere; pass saveDir.');
  if (options.saveDir !== undefined) fs.mkdirSync(options.saveDir, { recursive: true });
  for (const im of images) {
    if (options.saveDir !== undefined) {
      const file = path.join(options.saveDir, `${im.name}.png`);
      writeFileAtomic(file, im.png);
      if (!d) console.log(`${file} - ${im.caption}`);
    }
    if (d) {
      d.markdown(im.caption);
      d.png(im.png);
    }
  }
}

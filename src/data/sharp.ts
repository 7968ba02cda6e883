/**
 * Loads the `sharp` image codec on first use, so that importing gaf-lab works (and the
 * in-memory loaders run) even where sharp's prebuilt native library cannot load.
 */
type SharpModule = typeof import('sharp');

let cached: SharpModule | undefined;

/** The sharp module; throws an error saying how to install it when it is not available. */
export function loadSharp(): SharpModule {
  if (cached === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (optional, native or ES-only package)
      cached = require('sharp') as SharpModule;
    } catch (e) {
      throw new Error(
        `Decoding images (image folders, PASCAL VOC) needs the sharp package, which did not load: ` +
          `${(e as Error).message}. Install it with \`npm install sharp@0.34\` (prebuilt, works offline ` +
          'once in the npm cache).',
      );
    }
  }
  return cached;
}

/**
 * The data a sweep needs, checked before any run starts (and, for smoke runs, generated): a
 * sweep over a dataset that is not there should stop at once with the loader's message on how
 * to get it, not fail 144 runs one after another.
 * @module
 */
import * as path from 'node:path';
import { loadCifar10, loadCifar100 } from '../data/cifar';
import { imagenetDataset } from '../data/imagefolder';
import { loadFashionMnist, loadMnist } from '../data/mnist';
import { writeSyntheticCifar, writeSyntheticImageFolder } from '../data/synthetic';
import type { ResolvedConfig } from '../config/index';
import { expandSweep, parseSweepConfig } from './grid';

/** Sizes of the synthetic data {@link prepareSweepData} writes in smoke runs. */
export interface SyntheticDataSpec {
  /** Training images per class. */
  trainPerClass: number;
  /** Test (ImageNet: validation) images per class. */
  testPerClass: number;
  /** Seed of the images (default 0). */
  seed?: number;
  /** ImageNet-style folders only: number of classes (default 4). */
  classes?: number;
  /** ImageNet-style folders only: range of the image sides in pixels (default [40, 72]). */
  sides?: [number, number];
}

/** One split of one dataset a sweep reads. */
export type SweepDataRow = {
  dataset: string;
  split: string;
  images: number;
  classes: number;
  /** Where it was found. */
  location: string;
  /** `synthetic (official CIFAR binary format)` etc. when written now, else `as found`. */
  kind: string;
};

function describe(r: ResolvedConfig['dataset'], synthetic: boolean): SweepDataRow[] {
  const dataDir = r.dataDir ?? undefined;
  const kind = (format: string): string => (synthetic ? `synthetic (${format})` : 'as found');
  const rel = (p: string): string => path.relative(process.cwd(), p) || p;
  switch (r.name) {
    case 'cifar10':
    case 'cifar100': {
      const load = r.name === 'cifar10' ? loadCifar10 : loadCifar100;
      return (['train', 'test'] as const).map((split) => {
        const set = load({ split, dataDir, pixels: 'uint8' });
        return {
          dataset: r.name,
          split,
          images: set.count,
          classes: set.classNames.length,
          location: rel(path.dirname(set.files[0]!)),
          kind: kind('official CIFAR binary format'),
        };
      });
    }
    case 'fashion-mnist':
    case 'mnist': {
      const load = r.name === 'mnist' ? loadMnist : loadFashionMnist;
      return (['train', 'test'] as const).map((split) => {
        const set = load({ split, dataDir, pixels: 'uint8' });
        return {
          dataset: r.name,
          split,
          images: set.count,
          classes: set.classNames.length,
          location: rel(path.dirname(set.files[0]!)),
          kind: kind('IDX'),
        };
      });
    }
    case 'imagenet':
      return (['train', 'val'] as const).map((split) => {
        // Creating the dataset finds the folder (or throws the not-found message) and lists the images.
        const ds = imagenetDataset({ split, dataDir, size: r.imageSize ?? 224 });
        const first = ds.items[0]!;
        const classDir = `${path.sep}${ds.classNames[first.label]}${path.sep}`;
        const splitDir = first.file.slice(0, first.file.lastIndexOf(classDir));
        return {
          dataset: r.name,
          split,
          images: ds.size,
          classes: ds.classNames.length,
          location: rel(splitDir),
          kind: kind('ImageNet folder layout, JPEG'),
        };
      });
  }
}

/**
 * Makes sure the data of every run of a sweep is there and says what was found: one row per
 * dataset and split (images, classes, folder). With `synthetic`, first writes tiny synthetic
 * data in the official format into each run's `dataset.dataDir` (which must then be set, so
 * synthetic data can never land where the real data is looked for): CIFAR-10/100 binary files
 * or an ImageNet-style JPEG tree under `<dataDir>/imagenet`. Without it, missing data throws
 * the loader's error, which lists the places searched and how to get the data (for CIFAR:
 * `gaf-lab data download cifar-10` / `cifar-100`).
 */
export async function prepareSweepData(config: unknown, synthetic: SyntheticDataSpec | null): Promise<SweepDataRow[]> {
  const runs = expandSweep(parseSweepConfig(config));
  const seen = new Map<string, ResolvedConfig['dataset']>();
  for (const r of runs)
    seen.set(JSON.stringify([r.config.dataset.name, r.config.dataset.dataDir, r.config.dataset.imageSize]), r.config.dataset);
  const rows: SweepDataRow[] = [];
  for (const d of seen.values()) {
    if (synthetic !== null) {
      if (d.dataDir === null) {
        throw new Error(
          `prepareSweepData: synthetic data needs the runs' dataset.dataDir (e.g. build/smoke/data), so that it never lands in the real data folder; ` +
            `the ${d.name} runs have none. Set dataDir in the reduction (reduceSweep(..., {dataDir})).`,
        );
      }
      const seed = synthetic.seed ?? 0;
      if (d.name === 'cifar10' || d.name === 'cifar100') {
        writeSyntheticCifar(d.dataDir, {
          variant: d.name,
          trainPerClass: synthetic.trainPerClass,
          testPerClass: synthetic.testPerClass,
          seed,
        });
      } else if (d.name === 'imagenet') {
        await writeSyntheticImageFolder(path.join(d.dataDir, 'imagenet'), {
          classes: synthetic.classes ?? 4,
          trainPerClass: synthetic.trainPerClass,
          valPerClass: synthetic.testPerClass,
          seed,
          ...(synthetic.sides ? { sides: synthetic.sides } : {}),
        });
      } else {
        throw new Error(
          `prepareSweepData: no synthetic ${d.name} is written (it is installed offline: see data/README.md); pass null for the real data.`,
        );
      }
    }
    rows.push(...describe(d, synthetic !== null));
  }
  return rows;
}

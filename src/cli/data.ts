import { loadFashionMnist, loadMnist } from '../data/mnist';
import { loadCifar10, loadCifar100 } from '../data/cifar';
import { downloadDataset, DATASET_SOURCES, type DownloadableDataset } from '../data/download';
import { defaultDataDir } from '../data/paths';
import { writeSyntheticVoc } from '../data/synthetic-voc';
import { parseCommandLine, UsageError } from './args';

export const DATA_USAGE = `gaf-lab data check [--data-dir DIR]
gaf-lab data download NAME... [--data-dir DIR] [--force]
gaf-lab data synth-voc DIR [--seed N]

check     says, for each dataset, where it was found or where it was looked for
download  fetches ${Object.keys(DATASET_SOURCES).join(', ')} from their official addresses
          and verifies the checksums (default folder: $GAF_DATA_DIR, else <repo>/data)
synth-voc writes the synthetic detection set (three shape classes, VOCdevkit layout) to
          DIR/VOCdevkit/VOC2007 (train 400, val 50, test 150 images; same seed, same files)`;

/** One line per dataset: found (with the files), or the loader's not-found message. */
function check(dataDir: string | undefined): number {
  const probes: [string, () => { files: string[]; count: number }][] = [
    ['fashion-mnist', () => loadFashionMnist({ split: 'test', limit: 1, dataDir, pixels: 'uint8' })],
    ['mnist', () => loadMnist({ split: 'test', limit: 1, dataDir, pixels: 'uint8' })],
    ['cifar-10', () => loadCifar10({ split: 'test', limit: 1, dataDir, pixels: 'uint8' })],
    ['cifar-100', () => loadCifar100({ split: 'test', limit: 1, dataDir, pixels: 'uint8' })],
  ];
  let found = 0;
  for (const [name, probe] of probes) {
    try {
      const set = probe();
      found++;
      console.log(`[found]   ${name}: ${set.files.join(', ')}`);
    } catch (e) {
      const msg = (e instanceof Error ? e.message : String(e))
        .split('\n')
        .map((l, i) => (i ? `          ${l}` : l))
        .join('\n');
      console.log(`[missing] ${name}: ${msg}`);
    }
  }
  console.log(`\n${found} of ${probes.length} datasets found. ImageNet and PASCAL VOC are read from folders you name: see data/README.md.`);
  return 0;
}

async function download(names: string[], dataDir: string | undefined, force: boolean): Promise<number> {
  if (names.length === 0) throw new UsageError(`name at least one dataset to download: ${Object.keys(DATASET_SOURCES).join(', ')}.`);
  for (const n of names) {
    if (!(n in DATASET_SOURCES)) throw new UsageError(`unknown dataset "${n}"; choose from ${Object.keys(DATASET_SOURCES).join(', ')}.`);
  }
  for (const n of names as DownloadableDataset[]) {
    const r = await downloadDataset(n, { dataDir, force, log: (m) => console.log(m) });
    console.log(`${n}: ${r.files.length} files in ${r.dir}${r.extracted ? `, extracted to ${r.extracted}` : ''}`);
  }
  return 0;
}

async function synthVoc(rest: string[], seedText: string | undefined): Promise<number> {
  if (rest.length !== 1) throw new UsageError('data synth-voc takes one folder: gaf-lab data synth-voc DIR [--seed N].');
  const seed = seedText === undefined ? 1 : Number(seedText);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got "${seedText}".`);
  const r = await writeSyntheticVoc(rest[0]!, { seed });
  console.log(`${r.images} images, ${r.objects} objects (${r.difficult} difficult) in ${r.root}`);
  return 0;
}

/** `gaf-lab data ...` */
export async function dataCommand(argv: readonly string[]): Promise<number> {
  const args = parseCommandLine(argv, { 'data-dir': 'string', force: 'boolean', seed: 'string' });
  const [sub, ...rest] = args.positional;
  const dataDir = args.values['data-dir'];
  if (sub === 'check') {
    if (args.values.force) throw new UsageError('--force applies to data download only.');
    if (rest.length) throw new UsageError(`data check takes no dataset names (it checks them all), got "${rest[0]}".`);
    return check(dataDir);
  }
  if (sub === 'download') return download(rest, dataDir ?? defaultDataDir(), args.values.force === true);
  if (sub === 'synth-voc') return synthVoc(rest, args.values.seed);
  throw new UsageError(sub ? `unknown subcommand "${sub}"; say check, download or synth-voc.` : 'say check, download or synth-voc.');
}

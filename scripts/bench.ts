/**
 * `npm run bench`: the CIFAR data pipeline's throughput next to the training-step throughput of
 * small models on this machine's backend (and PyTorch's, when Debian's python3-torch is
 * installed), so one run shows whether the loader could ever be the bottleneck.
 * Options: --models smallcnn,resnet20 --batches 128 --runs 3
 */
import * as os from 'node:os';
import { benchData, formatDataBench } from './bench-data';
import { benchModels, formatRow, TABLE_HEADER } from './bench-models';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
};

async function main(): Promise<void> {
  console.log(`gaf-lab bench: Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})\n`);
  const data = await benchData({ samples: 2560, repeats: 3 });
  console.log('CIFAR pipeline (generated 32x32x3 images):');
  console.log(formatDataBench(data));
  const models = arg('models', 'smallcnn,resnet20').split(',');
  const batches = arg('batches', '128').split(',').map(Number);
  console.log(`\nTraining step (SGD+GAF), median of ${arg('runs', '3')} after 1 warm-up:`);
  console.log(TABLE_HEADER);
  const rows = await benchModels({ models, batches, runs: Number(arg('runs', '3')), gaf: true, onRow: (r) => console.log(formatRow(r)) });
  const augmented = data.filter((r) => /crop/.test(r.pipeline) && !/tf ops/.test(r.pipeline));
  const loader = Math.min(...augmented.map((r) => r.samplesPerSec));
  const fastest = Math.max(...rows.map((r) => r.imagesPerSec ?? 0));
  if (fastest > 0) {
    console.log(
      `\nloader with augmentation: ${loader.toFixed(0)} samples/s; fastest training step: ${fastest.toFixed(0)} img/s; ` +
        `the loader is ${(loader / fastest).toFixed(0)}x faster than training needs.`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

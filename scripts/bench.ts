/**
 * `npm run bench`: the CIFAR data pipeline's throughput next to the training-step throughput of
 * small models on this machine's backend (and PyTorch's, when Debian's python3-torch is
 * installed), so one run shows whether the loader could ever be the bottleneck.
 */
import * as os from 'node:os';
import { intListOption, intOption, listOption, parseCommandLine, scriptArgs } from '../src/cli/args';
import { benchData, formatDataBench } from './bench-data';
import { benchModels, formatRow, TABLE_HEADER } from './bench-models';

/** Usage of `npm run bench`. */
export const BENCH_USAGE = `npm run bench [-- [--models smallcnn,resnet20] [--batches 128] [--runs 3]]
(node build/scripts/bench.js [options], after npm run build:test)

The CIFAR data pipeline's throughput next to the training-step throughput (SGD+GAF) of small
models on this machine's backend, so one run shows whether the loader could be the bottleneck.

  --models A,B     models to time (default smallcnn,resnet20)
  --batches N,M    batch sizes (default 128)
  --runs N         timed steps per model; the median is reported (default 3)`;

const args = scriptArgs('bench', BENCH_USAGE, (argv) => {
  const { values: v } = parseCommandLine(
    argv,
    { models: 'string', batches: 'string', runs: 'string' },
    { min: 0, max: 0, what: 'options only' },
  );
  return {
    models: listOption(v.models, 'models') ?? ['smallcnn', 'resnet20'],
    batches: intListOption(v.batches, 'batches') ?? [128],
    runs: intOption(v.runs, 'runs', 3),
  };
});

async function main(): Promise<void> {
  console.log(`gaf-lab bench: Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})\n`);
  const data = await benchData({ samples: 2560, repeats: 3 });
  console.log('CIFAR pipeline (generated 32x32x3 images):');
  console.log(formatDataBench(data));
  const { models, batches, runs } = args;
  console.log(`\nTraining step (SGD+GAF), median of ${runs} after 1 warm-up:`);
  console.log(TABLE_HEADER);
  const rows = await benchModels({ models, batches, runs, gaf: true, onRow: (r) => console.log(formatRow(r)) });
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

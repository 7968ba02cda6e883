/**
 * The main job until the experiment runner exists: trains the small CNN on the embedded
 * Fashion-MNIST data with SGD and with SGD+GAF from the same initial weights and data order,
 * and prints both. Options: --train N --test N --epochs E --batch B --lr LR --seed S.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, formatBackendReport } from '../backend/init';
import { gafs } from '../gaf/gaf';
import { sgd } from '../optim/index';
import { createModel } from '../models/index';
import { loadFashionMnist } from '../data/mnist';
import { ArrayDataset, DataLoader } from '../data/dataset';
import { trainEpoch, evaluate, EvalResult } from '../train/classifier';

interface Options {
  train: number;
  test: number;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
}

const DEFAULTS: Options = { train: 3000, test: 1000, epochs: 3, batch: 64, lr: 0.02, seed: 1 };

function parseArgs(argv: string[]): Options {
  const o = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!.replace(/^--/, '');
    const raw = argv[i + 1];
    if (!(key in o) || raw === undefined || !Number.isFinite(Number(raw))) {
      throw new Error(`main: bad option "${argv[i]} ${raw ?? ''}". Options: ${Object.keys(DEFAULTS).map((k) => `--${k} N`).join(' ')}`);
    }
    o[key as keyof Options] = Number(raw);
  }
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  console.log(formatBackendReport(await initBackend()));
  const train = new ArrayDataset(loadFashionMnist({ split: 'train', limit: o.train }));
  const test = new ArrayDataset(loadFashionMnist({ split: 'test', limit: o.test }));
  console.log(`Fashion-MNIST: ${train.size} training and ${test.size} test images; small CNN; ${o.epochs} epochs, batch ${o.batch}, lr ${o.lr}, seed ${o.seed}\n`);

  const gaf = gafs.atan({ alpha: 0.1, beta: 20 });
  const variants = [
    { label: 'SGD (momentum 0.9, wd 5e-4)', make: () => sgd({ learningRate: o.lr, momentum: 0.9, weightDecay: 5e-4 }) },
    { label: `SGD + GAF ${gaf.name}`, make: () => sgd({ learningRate: o.lr, momentum: 0.9, weightDecay: 5e-4, gaf }) },
  ];
  const results: { label: string; final: EvalResult; seconds: number }[] = [];
  for (const v of variants) {
    // Same seed for weights and data order: the only difference between the runs is the GAF.
    const model = createModel('smallcnn', { inputShape: [28, 28, 1], seed: o.seed });
    const optimizer = v.make();
    const trainLoader = new DataLoader(train, { batchSize: o.batch, seed: o.seed });
    const testLoader = new DataLoader(test, { batchSize: 500, shuffle: false });
    console.log(v.label);
    let final: EvalResult = { loss: NaN, accuracy: NaN, top5: NaN, samples: 0 };
    let seconds = 0;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const tr = await trainEpoch(model, optimizer, trainLoader, epoch);
      final = await evaluate(model, testLoader);
      seconds += tr.seconds;
      console.log(
        `  epoch ${epoch + 1}: train loss ${tr.loss.toFixed(4)} acc ${(100 * tr.accuracy).toFixed(2)}% | ` +
          `test loss ${final.loss.toFixed(4)} acc ${(100 * final.accuracy).toFixed(2)}% | ${tr.seconds.toFixed(1)} s` +
          `${tr.diverged ? ' | DIVERGED (non-finite loss)' : ''} | tensors ${tf.memory().numTensors}`,
      );
      if (tr.diverged) break;
    }
    results.push({ label: v.label, final, seconds });
    model.dispose();
    optimizer.dispose();
  }
  console.log('\nresult (one seed: a demonstration, not evidence)');
  for (const r of results) {
    console.log(`  ${r.label.padEnd(34)} test acc ${(100 * r.final.accuracy).toFixed(2)}%  test loss ${r.final.loss.toFixed(4)}  train time ${r.seconds.toFixed(1)} s`);
  }
}

main().catch((e: unknown) => {
  console.error(process.env.GAF_DEBUG && e instanceof Error ? e.stack : e instanceof Error ? e.message : e);
  process.exit(1);
});

/**
 * gaf-lab's wasm training step at 1 thread and at every core, side by side with PyTorch at 1
 * thread and at every core, for the models and batches of the threading targets.
 *
 * A shared machine's load moves these numbers more than the differences measured, so the four
 * sides (gaf-lab 1 thread, PyTorch 1 thread, gaf-lab N threads, PyTorch N threads) run one after
 * the other in rounds, in reversed order every other round, each in its own process (the wasm
 * pool is fixed per process); each side's figure is the median over rounds of its per-round
 * median step. The 1-minute load average is printed before every round, and once more at the
 * end: figures taken with a load average above 1 are marked "under load".
 *
 * One step = forward in training mode, softmax cross-entropy, backward, SGD (lr 0.01, momentum
 * 0.9) update on a fixed random batch; the loss is read back each step. gaf-lab runs the zoo
 * model, PyTorch the twin of scripts/bench_models_torch.py. Also printed: gaf-lab's peak RSS at
 * each thread count (the process's maxRSS) and the speed-up from 1 to N threads.
 *
 * Run: node node_modules/typescript/bin/tsc -p tsconfig.test.json && node build/scripts/bench-threads.js
 *        [--models smallcnn,resnet20,ResNet18,MobileNetV2] [--batches 128,128,64,64]
 *        [--threads N (default os.availableParallelism())] [--rounds 5] [--warmup 2] [--runs 3] [--json]
 * @module
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/backend/init';
import { createModel } from '../src/models/index';
import { sgd } from '../src/optim/index';
import { timedStep } from './lib/timed-step';
import { intListOption, intOption, listOption, parseCommandLine, scriptArgs, UsageError } from '../src/cli/args';

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = path.resolve(__dirname, '../../scripts/bench_models_torch.py');

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** What one gaf-lab child measured. */
interface GafSample {
  ms: number;
  threads: number;
  peakRssMb: number;
}

interface ChildArgs {
  model: string;
  batch: number;
  warmup: number;
  runs: number;
}

async function childMain(a: ChildArgs): Promise<void> {
  const report = await initBackend('wasm');
  const shape: [number, number, number] = [32, 32, 3];
  const model = createModel(a.model, { inputShape: shape, numClasses: 10, seed: 1 });
  const opt = sgd({ learningRate: 0.01, momentum: 0.9 });
  const { step } = timedStep(model, a.batch, shape, 10);
  for (let i = 0; i < a.warmup; i++) await step(opt);
  const times: number[] = [];
  for (let i = 0; i < a.runs; i++) times.push(await step(opt));
  const out: GafSample = {
    ms: median(times),
    threads: report.wasmThreads?.threads ?? 1,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  console.log(JSON.stringify(out));
}

function gafSide(a: ChildArgs, threads: number): GafSample {
  const out = execFileSync(process.execPath, [__filename, '--child', JSON.stringify(a)], {
    encoding: 'utf8',
    env: { ...process.env, GAF_THREADS: String(threads) },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as GafSample;
}

function torchSide(a: ChildArgs, threads: number): number {
  const args = [TORCH_SCRIPT, 'bench', '--model', a.model, '--batch', String(a.batch), '--side', '32', '--channels', '3'];
  args.push('--warmup', String(a.warmup), '--runs', String(a.runs), '--threads', String(threads));
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return (JSON.parse(out.trim().split('\n').pop()!) as { median_ms: number }).median_ms;
}

/** One model's result: per side, the median over rounds. */
export interface ThreadBenchRow {
  model: string;
  batch: number;
  threads: number;
  gaf1: number;
  gafN: number;
  torch1: number | null;
  torchN: number | null;
  peakRss1Mb: number;
  peakRssNMb: number;
  /** Highest 1-minute load average seen before a round of this row. */
  maxLoad: number;
}

const load = (): number => os.loadavg()[0]!;

function benchRow(a: ChildArgs, threads: number, rounds: number, torch: boolean, log: (s: string) => void): ThreadBenchRow {
  const s: Record<'gaf1' | 'gafN' | 'torch1' | 'torchN', number[]> = { gaf1: [], gafN: [], torch1: [], torchN: [] };
  const rss = { 1: [] as number[], N: [] as number[] };
  let maxLoad = 0;
  for (let r = 0; r < rounds; r++) {
    const l = load();
    maxLoad = Math.max(maxLoad, l);
    const sides: (keyof typeof s)[] = torch ? ['gaf1', 'torch1', 'gafN', 'torchN'] : ['gaf1', 'gafN'];
    if (r % 2 === 1) sides.reverse();
    const parts: string[] = [];
    for (const side of sides) {
      if (side === 'torch1' || side === 'torchN') {
        const ms = torchSide(a, side === 'torch1' ? 1 : threads);
        s[side].push(ms);
        parts.push(`${side} ${ms.toFixed(0)}`);
      } else {
        const g = gafSide(a, side === 'gaf1' ? 1 : threads);
        if (g.threads !== (side === 'gaf1' ? 1 : threads))
          throw new Error(`gaf-lab ran ${g.threads} threads where ${side} asked for another count`);
        s[side].push(g.ms);
        rss[side === 'gaf1' ? 1 : 'N'].push(g.peakRssMb);
        parts.push(`${side} ${g.ms.toFixed(0)}`);
      }
    }
    log(`  ${a.model} b${a.batch} round ${r + 1}/${rounds} (load ${l.toFixed(2)}): ${parts.join(', ')} ms`);
  }
  return {
    model: a.model,
    batch: a.batch,
    threads,
    gaf1: median(s.gaf1),
    gafN: median(s.gafN),
    torch1: torch ? median(s.torch1) : null,
    torchN: torch ? median(s.torchN) : null,
    peakRss1Mb: Math.max(...rss[1]),
    peakRssNMb: Math.max(...rss.N),
    maxLoad,
  };
}

function formatRow(r: ThreadBenchRow): string {
  const ratio = (a: number, b: number | null): string => (b === null ? '-' : (a / b).toFixed(2));
  const t = (v: number | null): string => (v === null ? '-' : v.toFixed(0));
  return [
    `${r.model} b${r.batch}`,
    t(r.gaf1),
    t(r.torch1),
    ratio(r.gaf1, r.torch1),
    t(r.gafN),
    t(r.torchN),
    ratio(r.gafN, r.torchN),
    (r.gaf1 / r.gafN).toFixed(2),
    `${r.peakRss1Mb} / ${r.peakRssNMb} (${(r.peakRssNMb / r.peakRss1Mb).toFixed(2)}x)`,
    `${r.maxLoad.toFixed(2)}${r.maxLoad >= 1 ? ' under load' : ''}`,
  ].join(' | ');
}

/** Usage, printed by --help. */
export const BENCH_THREADS_USAGE = `node build/scripts/bench-threads.js [options]
  --models a,b      zoo models (default smallcnn,resnet20,ResNet18,MobileNetV2)
  --batches n,...   one batch for all, or one per model (default 128,128,64,64)
  --threads N       the many-thread side (default os.availableParallelism())
  --rounds R        rounds of alternating sides (default 5)
  --warmup W        untimed steps per child (default 2)
  --runs K          timed steps per child (default 3)
  --no-torch        gaf-lab sides only
  --json            rows as JSON`;

interface BenchArgs {
  models: string[];
  batches: number[];
  threads: number;
  rounds: number;
  warmup: number;
  runs: number;
  torch: boolean;
  json: boolean;
}

function readArgs(argv: readonly string[]): BenchArgs {
  const { values: v } = parseCommandLine(
    argv,
    {
      models: 'string',
      batches: 'string',
      threads: 'string',
      rounds: 'string',
      warmup: 'string',
      runs: 'string',
      'no-torch': 'boolean',
      json: 'boolean',
    },
    { min: 0, max: 0, what: 'options only' },
  );
  const models = listOption(v.models, 'models') ?? ['smallcnn', 'resnet20', 'ResNet18', 'MobileNetV2'];
  const batches = intListOption(v.batches, 'batches') ?? [128, 128, 64, 64];
  if (batches.length !== 1 && batches.length !== models.length)
    throw new UsageError(`--batches has ${batches.length} values for ${models.length} models; give one, or one per model.`);
  return {
    models,
    batches,
    threads: intOption(v.threads, 'threads', os.availableParallelism()),
    rounds: intOption(v.rounds, 'rounds', 5),
    warmup: intOption(v.warmup, 'warmup', 2, 0),
    runs: intOption(v.runs, 'runs', 3),
    torch: v['no-torch'] !== true,
    json: v.json === true,
  };
}

async function main(args: BenchArgs): Promise<void> {
  const { threads, rounds } = args;
  let torch = args.torch;
  if (torch) {
    try {
      execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    } catch {
      torch = false;
      console.error(`(PyTorch not importable by ${PYTHON}: gaf-lab sides only)`);
    }
  }
  const log = (line: string): void => console.error(line);
  const loads = (): string =>
    os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ');
  log(
    `bench-threads: ${threads} threads vs 1, ${rounds} rounds, ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}), load ${loads()}`,
  );
  const rows: ThreadBenchRow[] = [];
  for (const [i, model] of args.models.entries()) {
    const a: ChildArgs = {
      model,
      batch: args.batches.length === 1 ? args.batches[0]! : args.batches[i]!,
      warmup: args.warmup,
      runs: args.runs,
    };
    rows.push(benchRow(a, threads, rounds, torch, log));
  }
  log(`load at the end: ${loads()}`);
  if (args.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const N = threads;
  console.log(
    `| model | gaf-lab 1 thr ms | PyTorch 1 thr ms | ratio 1 thr | gaf-lab ${N} thr ms | PyTorch ${N} thr ms | ratio ${N} thr | gaf-lab speed-up 1->${N} | gaf-lab peak RSS MB 1 / ${N} thr | max load |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${formatRow(r)} |`);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const run =
    argv[0] === '--child' ? childMain(JSON.parse(argv[1]!) as ChildArgs) : main(scriptArgs('bench-threads', BENCH_THREADS_USAGE, readArgs));
  run.catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}

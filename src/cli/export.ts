import * as fs from 'node:fs';
import { exportTensorBoard } from '../results/export-tensorboard';
import { findRunDirs } from '../run-format/index';
import { parseCommandLine, UsageError } from './args';

export const EXPORT_USAGE = `gaf-lab export DIR [DIR ...] --tensorboard OUT

Writes the runs under each DIR (run or sweep folders) as TensorBoard event files into OUT,
one folder per run: the per-step scalars of steps.jsonl (step/loss, step/lr, step/stepMs,
step/imagesPerSec, and with gradient statistics grad/rawL2/<layer>, grad/actL2/<layer>,
grad/enlarged/<layer>, grad/restricted/<layer>) and the per-epoch metrics of metrics.jsonl
(epoch/testTop1, epoch/trainLoss, ...). Open them with: tensorboard --logdir OUT
Exporting again replaces the files.`;

/** `gaf-lab export DIR ... --tensorboard OUT` */
export async function exportCommand(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv, { tensorboard: 'string' }, { min: 1, max: 64, what: 'the run or sweep folders to export' });
  const out = args.values.tensorboard;
  if (out === undefined) throw new UsageError('say what to export to: --tensorboard OUT (the only format so far).');
  for (const d of args.positional) {
    if (!fs.existsSync(d) || !fs.statSync(d).isDirectory())
      throw new UsageError(`${d} is not a folder. Give the folder that holds the runs.`);
    if (findRunDirs(d).length === 0) throw new UsageError(`no runs under ${d} (no folder with a manifest.json).`);
  }
  const r = exportTensorBoard(args.positional, out);
  console.log(`wrote ${r.files.length} event files (${r.events} events) under ${out}; open them with: tensorboard --logdir ${out}`);
  return 0;
}

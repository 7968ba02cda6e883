/**
 * Script entry of a sweep worker process: `node worker-main.js SWEEP_DIR`. {@link runSweep}
 * starts these; an external scheduler may too. Exit code 0 when the worker ran out of work,
 * 130 when a signal stopped it, 1 on an error.
 * @module
 */
import { progressPrinter } from '../train/progress';
import { runSweepWorker } from './worker';

async function main(): Promise<number> {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node worker-main.js SWEEP_DIR');
    return 1;
  }
  const id = process.env['GAF_SWEEP_WORKER'] ?? String(process.pid);
  // Several workers share one terminal: lines, not a rewritten bar.
  const onProgress = progressPrinter({ prefix: `[worker ${id}] `, tty: false });
  const controller = new AbortController();
  let signals = 0;
  const stop = (): void => {
    if (++signals > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const report = await runSweepWorker(dir, { onProgress, signal: controller.signal });
  const failed = report.trained.filter((r) => r.status === 'failed');
  for (const f of failed) console.error(`[worker ${id}] run ${f.runId} failed: ${f.message}`);
  return report.interrupted ? 130 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);

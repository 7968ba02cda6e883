/**
 * Script entry of a sweep worker process: `node worker-main.js SWEEP_DIR`. {@link runSweep}
 * starts these; an external scheduler may too. Exit code 0 when the worker ran out of work,
 * 130 when a signal stopped it, 1 on an error.
 *
 * Started by {@link runSweep}, the worker has an IPC channel to its parent. When the channel
 * closes (the parent died, even by SIGKILL) or the parent sends `stop`, the worker stops after
 * the step in flight, like on a first Ctrl-C: the run is left `interrupted` and its lock
 * released, and running the sweep again resumes it. So no worker outlives its sweep. `stop-now`
 * exits at once (a second Ctrl-C); the run is then resumed from its last checkpoint.
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
  if (process.send) {
    process.on('disconnect', () => {
      if (!controller.signal.aborted) console.error(`[worker ${id}] the sweep's parent process is gone: stopping after the current step`);
      controller.abort();
    });
    process.on('message', (m: unknown) => {
      if (m === 'stop') controller.abort();
      if (m === 'stop-now') process.exit(130);
    });
  }
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

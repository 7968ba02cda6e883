/**
 * Child process of test/reliability-lock.test.ts: `node lock-race-child.js RUN_DIR` loads the
 * run lock, writes `ready`, and on the first line from stdin tries to lock RUN_DIR; writes
 * `won` or `lost`, then holds what it got until stdin ends and exits with process.exit
 * (without releasing: the lock's exit hook must).
 */
import { tryLockRun } from '../src/train/run-lock';

process.stdout.write('ready\n');
process.stdin.once('data', () => {
  const lock = tryLockRun(process.argv[2]!);
  process.stdout.write(lock ? 'won\n' : 'lost\n');
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
});

/**
 * Child process of test/reliability-lock.test.ts: `node lock-race-child.js RUN_DIR [PAUSE_MS]`
 * loads the run lock, writes `ready`, and on the first line from stdin tries to lock RUN_DIR;
 * writes `won` or `lost`, then holds what it got until stdin ends and exits with process.exit
 * (without releasing: the lock's exit hook must). With PAUSE_MS, every removal of a `.lock`
 * file waits that long first, which widens the moment between judging a lock stale and
 * replacing it, where two processes taking over one dead lock would both win without the guard.
 */
import type * as FS from 'node:fs';

// The module object itself (what run-lock.ts's namespace import reads through), not a copy.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs') as typeof FS;
const pause = Number(process.argv[3] ?? 0);
if (pause > 0) {
  const rmSync = fs.rmSync;
  const wait = new Int32Array(new SharedArrayBuffer(4));
  fs.rmSync = (p: FS.PathLike, options?: FS.RmOptions): void => {
    if (String(p).endsWith('.lock')) Atomics.wait(wait, 0, 0, pause);
    rmSync(p, options);
  };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the patch above
const { tryLockRun } = require('../src/train/run-lock') as typeof import('../src/train/run-lock');

process.stdout.write('ready\n');
process.stdin.once('data', () => {
  const lock = tryLockRun(process.argv[2]!);
  process.stdout.write(lock ? 'won\n' : 'lost\n');
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
});

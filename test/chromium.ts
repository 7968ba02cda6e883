/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core,
 * which downloads no browser of its own. A missing piece fails the test with the command that
 * installs it; nothing skips.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** Flags Chromium needs on these machines: no sandbox as root, no GPU, no calls home (the closed network refuses them). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** playwright-core, or a failure naming the fix. */
function loadPlaywright(): typeof import('playwright-core') {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- playwright-core is a dev dependency loaded only here
    return require('playwright-core') as typeof import('playwright-core');
  } catch (e) {
    assert.fail(`playwright-core cannot be loaded (${(e as Error).message.split('\n')[0]}): run 'npm ci' (it is a devDependency)`);
  }
}

/** Asserts Debian's Chromium is installed (or names the fix). */
export function assertChromium(): void {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: run 'bash scripts/setup.sh' (apt package chromium)`);
}

/** Starts headless Chromium. */
export async function launchChromium(): Promise<Browser> {
  assertChromium();
  return loadPlaywright().chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

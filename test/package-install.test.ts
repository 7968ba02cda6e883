/**
 * gaf-lab installed as another project's dependency: `npm pack` gives the tarball a registry
 * install would fetch; a fresh project installs it with npm and uses the library and the
 * `gaf-lab` command from it.
 *
 * Offline: the fresh project gets a lockfile derived from this repository's, so npm takes
 * every package from its cache (filled by the `npm ci` that set up this checkout) instead of
 * asking the registry to resolve version ranges. The versions are the ones this repository is
 * tested with. Needs dist/ (npm run build; `npm test` builds first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { packageRoot } from '../src/provenance/index';

const ROOT = packageRoot();
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  dependencies: Record<string, string>;
  overrides?: Record<string, unknown>;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
}
interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  dev?: boolean;
  link?: boolean;
  [key: string]: unknown;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): SpawnSyncReturns<string> {
  // An enclosing `npm test` exports npm_* variables, among them npm_config_local_prefix (this
  // checkout), which would make the inner npm work on this repository instead of the fresh
  // project. Keep only those that say where npm's cache and configuration are.
  const keep = /^npm_config_(cache|userconfig|globalconfig|registry)$/i;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.test(k)));
  const r = spawnSync(cmd, args, {
    cwd,
    env: { ...env, NO_UPDATE_NOTIFIER: '1' },
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw r.error;
  return r;
}

/**
 * The lockfile of a project that depends only on the tarball: gaf-lab's own entry, and this
 * repository's locked packages minus its development-only ones. They sit at the same paths,
 * because in both trees they are hoisted dependencies of the root's one package. Registry
 * packages get their tarball URL, which the repository's lock leaves out, so that npm finds
 * them in its cache by URL and integrity without fetching the package metadata.
 */
function consumerLock(project: PackageJson, tarball: string, consumerName: string): object {
  const lock = readJson<{ packages: Record<string, LockEntry> }>(path.join(ROOT, 'package-lock.json'));
  const pkg = readJson<PackageJson>(path.join(ROOT, 'package.json'));
  const packages: Record<string, object> = {
    '': { name: consumerName, version: '1.0.0', dependencies: project.dependencies },
    'node_modules/gaf-lab': {
      version: pkg.version,
      resolved: `file:${path.basename(tarball)}`,
      integrity: `sha512-${crypto.createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [at, entry] of Object.entries(lock.packages)) {
    if (at === '' || entry.dev === true) continue;
    assert.ok(!entry.link && entry.version, `package-lock.json ${at}: expected a registry package`);
    // An alias (danfojs-node's tfjs-node) records the real package name.
    const name = entry.name ?? at.slice(at.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const resolved = entry.resolved ?? `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
    packages[at] = { ...entry, resolved };
  }
  return { name: consumerName, version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

test('npm pack + npm install of the tarball in a fresh project: the library and the gaf-lab command work', { timeout: 240_000 }, () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'index.js')), 'dist/ is missing: npm run build first');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-lab-install-'));
  try {
    // --ignore-scripts: dist/ is already built; `prepare` would rebuild it in the shared checkout.
    const pack = run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT, 60_000);
    assert.equal(pack.status, 0, pack.stderr);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path);
    for (const f of [
      'package.json',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'configs/schema/sweep.schema.json',
      'configs/main/fashion-mnist-sweep.json',
    ]) {
      assert.ok(files.includes(f), `the tarball has ${f}`);
    }
    const outside = files.filter((f) => /^(src|test|scripts|notebooks|runs|build|node_modules|data|figures)\//.test(f));
    assert.deepEqual(outside, [], 'only what a user of the library needs');

    const project = path.join(tmp, 'consumer');
    fs.mkdirSync(project);
    const tarball = path.join(project, packed!.filename);
    fs.renameSync(path.join(tmp, packed!.filename), tarball);
    const pkg = readJson<PackageJson>(path.join(ROOT, 'package.json'));
    // What README.md tells a user to write: the dependency, and gaf-lab's overrides (npm applies
    // only the root project's), without which npm would fetch packages the registry lacks.
    const consumer: PackageJson = {
      name: 'consumer',
      version: '1.0.0',
      dependencies: { 'gaf-lab': `file:${packed!.filename}` },
      overrides: pkg.overrides,
    };
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify(consumer, null, 2));
    fs.writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(consumerLock(consumer, tarball, 'consumer'), null, 2));

    const t0 = performance.now();
    const install = run(NPM, ['install', '--offline', '--no-audit', '--no-fund'], project, 180_000);
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(install.status, 0, `npm install --offline (${seconds.toFixed(0)} s):\n${install.stdout}\n${install.stderr}`);
    // gaf-lab itself has no install script for the user to approve (npm 11's allowScripts).
    assert.doesNotMatch(`${install.stdout}\n${install.stderr}`, /install-scripts\s+gaf-lab@/);
    const installed = path.join(project, 'node_modules', 'gaf-lab');
    assert.ok(!fs.lstatSync(installed).isSymbolicLink(), 'a copy from the tarball, not a link to this checkout');

    const script = `
      const lab = require('gaf-lab');
      const atan = lab.gafs.atan({ alpha: 0.1, beta: 20 });
      const weak = lab.gafs.atan({ alpha: 0.1, beta: 5 });
      const report = lab.checkConditions(atan);
      const failed = lab.checkConditions(weak).conditions.filter((c) => !c.holds).map((c) => c.id);
      const internals = typeof require('gaf-lab/internals').setFastTraining;
      console.log(JSON.stringify({ from: require.resolve('gaf-lab'), value: atan.value(1), allHold: report.allHold, slope: report.slopeAtZero, failed, internals }));`;
    const used = run(process.execPath, ['-e', script], project, 60_000);
    assert.equal(used.status, 0, used.stderr);
    const out = JSON.parse(used.stdout.trim().split('\n').pop()!) as {
      from: string;
      value: number;
      allHold: boolean;
      slope: number;
      failed: string[];
      internals: string;
    };
    assert.equal(out.from, path.join(fs.realpathSync(project), 'node_modules', 'gaf-lab', 'dist', 'index.js'));
    // g(x) = alpha * atan(beta x): g(1) = 0.1 atan(20), g'(0) = alpha beta = 2 > 1, so all four
    // conditions hold; with beta 5, g'(0) = 0.5 < 1 and only "enlarges tiny gradients" fails.
    assert.ok(Math.abs(out.value - 0.1 * Math.atan(20)) < 1e-12, `g(1) = ${out.value}`);
    assert.ok(Math.abs(out.slope - 2) < 1e-12, `g'(0) = ${out.slope}`);
    assert.equal(out.allHold, true);
    assert.deepEqual(out.failed, ['enlargesTiny']);
    assert.equal(out.internals, 'function', "the second entry point, 'gaf-lab/internals'");

    const help = run(path.join(project, 'node_modules', '.bin', 'gaf-lab'), ['--help'], project, 60_000);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /usage: gaf-lab <command> \[options\]/);
    console.log(`npm install --offline of the packed tarball: ${seconds.toFixed(1)} s`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

/**
 * What notebooks print and commit carries no noise and no machine's folders: a backend chosen in
 * code prints no tfjs advert and no stderr shout (the report still says it), the doctor shows
 * paths inside the repository relative to it, and figure provenance stores its source relative.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { doctor } from '../src/cli/doctor';
import { buildProvenance } from '../src/plots/provenance';
import { packageRoot } from '../src/provenance/index';

const INDEX = path.join(__dirname, '..', 'src', 'index.js');

function initCpu(env: Record<string, string | undefined>, arg: string): { stdout: string; stderr: string } {
  const code = `require(${JSON.stringify(INDEX)}).initBackend(${arg}).then((r) => console.log(require(${JSON.stringify(INDEX)}).formatBackendReport(r)))`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, GAF_BACKEND: undefined, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

test('cpu chosen in code: no tfjs advert and no stderr warning; the report keeps the note', () => {
  const inCode = initCpu({}, "'cpu'");
  assert.equal(inCode.stderr, '');
  assert.match(inCode.stdout, /backend: cpu \(requested by argument\)/);
  assert.match(inCode.stdout, /! gaf-lab: the pure-JS "cpu" backend is hundreds of times too slow/);
  // Chosen by the environment variable it may be a leftover setting: then it is shouted on stderr, still without the advert.
  const byEnv = initCpu({ GAF_BACKEND: 'cpu' }, '');
  assert.match(byEnv.stderr, /\*\*\* gaf-lab: the pure-JS "cpu" backend/);
  assert.doesNotMatch(byEnv.stderr, /looks like you are running TensorFlow\.js/);
});

test('doctor() shows paths inside the repository relative to it; relativePaths: false keeps them absolute', async () => {
  const root = packageRoot();
  const capture = async (relativePaths: boolean): Promise<string> => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
    try {
      await doctor({ relativePaths });
    } finally {
      console.log = log;
    }
    return lines.join('\n');
  };
  const rel = await capture(true);
  assert.ok(
    !rel.includes(root),
    rel.split('\n').find((l) => l.includes(root)),
  );
  assert.match(rel, /^gaf-lab \S+ at \.$/m);
  const abs = await capture(false);
  assert.ok(abs.includes(`at ${root}`));
});

test('figure provenance stores a source inside the repository relative to it, one outside as given', () => {
  const root = packageRoot();
  const file = path.join(root, 'package.json');
  assert.ok(fs.existsSync(file));
  const inside = buildProvenance('x', null, [file], { source: path.join(root, 'runs', 'notebooks', '06-ablations') });
  assert.equal(inside.source, path.join('runs', 'notebooks', '06-ablations'));
  assert.equal(buildProvenance('x', null, [file], { source: '/srv/shared/runs' }).source, '/srv/shared/runs');
});

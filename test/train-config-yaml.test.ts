import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readConfigFile, resolveConfig, runIdOf } from '../src/config/index';

const YAML_TEXT = `# the same experiment as the JSON object below
dataset:
  name: fashion-mnist
  subset: { first: 128 }
model:
  name: smallcnn
optimizer:
  name: sgd
  options: { learningRate: 0.05, momentum: 0.9 }
  gaf: { kind: atan, alpha: 0.1, beta: 20 }
epochs: 2
batchSize: 32
seed: 7
`;

const JSON_OBJECT = {
  dataset: { name: 'fashion-mnist', subset: { first: 128 } },
  model: { name: 'smallcnn' },
  optimizer: { name: 'sgd', options: { learningRate: 0.05, momentum: 0.9 }, gaf: { kind: 'atan', alpha: 0.1, beta: 20 } },
  epochs: 2,
  batchSize: 32,
  seed: 7,
};

test('a YAML config resolves to the same experiment (and run id) as its JSON twin', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-yaml-'));
  const y = path.join(dir, 'exp.yaml');
  const j = path.join(dir, 'exp.json');
  fs.writeFileSync(y, YAML_TEXT);
  fs.writeFileSync(j, JSON.stringify(JSON_OBJECT));
  const fromYaml = resolveConfig(readConfigFile(y));
  const fromJson = resolveConfig(readConfigFile(j));
  assert.deepEqual(fromYaml, fromJson);
  assert.equal(runIdOf(fromYaml), runIdOf(fromJson));
  fs.writeFileSync(path.join(dir, 'bad.yml'), 'epochs: [1, 2\n');
  assert.throws(() => readConfigFile(path.join(dir, 'bad.yml')), /bad\.yml is not valid YAML/);
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * The JSON Schemas of the config files (configs/schema/): they are what the zod schemas
 * generate today, every config in configs/ names its schema and passes it, they reject what
 * gaf-lab rejects, and the `$schema` key changes no run id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- ajv 6 is a CommonJS export= module
import Ajv = require('ajv');
import { configSchemaFiles, EXPERIMENT_SCHEMA_FILE, SWEEP_SCHEMA_FILE } from '../scripts/write-config-schemas';
import { resolveConfig, runIdOf } from '../src/config/index';
import { expandSweep, parseSweepConfig } from '../src/sweep/index';
import { packageRoot } from '../src/provenance/index';

const root = packageRoot();
const configsDir = path.join(root, 'configs');
const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

function configFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return configFiles(p);
    if (!e.name.endsWith('.json') || e.name.endsWith('.schema.json')) return [];
    // Detection sweeps have their own format, checked by test/cli-configs.test.ts and test/detect-config.test.ts.
    return readJson(p).task === 'detection' ? [] : [p];
  });
}

/** A validator of one committed schema file; returns the error list as text ('' when valid). */
function validator(schemaFile: string): (data: unknown) => string {
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile(readJson(path.join(root, schemaFile)));
  return (data) => (validate(data) ? '' : ajv.errorsText(validate.errors, { separator: '\n' }));
}

test('the committed schemas are the ones the zod schemas generate (run `npm run schema` after changing a config schema)', () => {
  const files = configSchemaFiles();
  assert.deepEqual([...files.keys()].sort(), [EXPERIMENT_SCHEMA_FILE, SWEEP_SCHEMA_FILE].sort());
  for (const [file, text] of files) {
    const committed = path.join(root, file);
    assert.ok(fs.existsSync(committed), `${file} is missing: run npm run schema`);
    assert.equal(fs.readFileSync(committed, 'utf8'), text, `${file} is stale: run npm run schema`);
  }
});

test('every config in configs/ names its schema by a relative "$schema" that resolves to the committed file, and passes it', () => {
  const sweepValid = validator(SWEEP_SCHEMA_FILE);
  const files = configFiles(configsDir);
  assert.ok(files.length >= 4, `config files found: ${files.join(', ')}`);
  for (const file of files) {
    const config = readJson(file);
    const rel = path.relative(root, file);
    // All committed configs are sweeps (base + grid); an experiment config would name the other schema.
    assert.ok('base' in config && 'grid' in config, `${rel} is a sweep`);
    assert.equal(typeof config.$schema, 'string', `${rel} has a "$schema" key`);
    const target = path.resolve(path.dirname(file), config.$schema as string);
    assert.equal(target, path.join(root, SWEEP_SCHEMA_FILE), `${rel}: "$schema" points at ${target}`);
    assert.equal(sweepValid(config), '', `${rel} against ${SWEEP_SCHEMA_FILE}`);
  }
});

test('every run config the committed sweeps expand to passes the experiment schema', () => {
  const experimentValid = validator(EXPERIMENT_SCHEMA_FILE);
  let checked = 0;
  for (const file of configFiles(configsDir)) {
    for (const run of expandSweep(parseSweepConfig(file))) {
      // What a sweep writes to <sweep>/configs/<runId>.json, as JSON text would carry it.
      const written = JSON.parse(JSON.stringify(run.config)) as unknown;
      assert.equal(experimentValid(written), '', `${path.relative(root, file)}: run ${run.runId}`);
      checked++;
    }
  }
  // 18 (main) + 36 (main, learning-rate grid) + 144 (CIFAR-10) + 144 (CIFAR-100) + 9 + 27 + 30
  // (ImageNet batches 2048, 1024, 512), see configs/README.md.
  assert.equal(checked, 18 + 36 + 144 + 144 + 9 + 27 + 30);
});

test('the schemas reject what gaf-lab rejects: unknown fields, wrong types, unknown names', () => {
  const sweepValid = validator(SWEEP_SCHEMA_FILE);
  const experimentValid = validator(EXPERIMENT_SCHEMA_FILE);
  const main = readJson(path.join(configsDir, 'main', 'fashion-mnist-sweep.json'));
  const base = main.base as Record<string, unknown>;
  const sweepCases: [string, Record<string, unknown>, RegExp][] = [
    ['a misspelled top-level field', { ...main, grd: {} }, /additional properties/],
    ['a misspelled grid field', { ...main, grid: { ...(main.grid as object), seed: [1] } }, /additional properties/],
    ['epochs as text', { ...main, base: { ...base, epochs: 'four' } }, /base\.epochs should be integer/],
    [
      'an unknown dataset',
      { ...main, base: { ...base, dataset: { name: 'svhn' } } },
      /base\.dataset\.name should be equal to one of the allowed values/,
    ],
    [
      'an unknown GAF kind in the grid',
      { ...main, grid: { gafKinds: ['sigmoid'] } },
      /grid\.gafKinds\[0\] should be equal to one of the allowed values/,
    ],
  ];
  for (const [what, config, error] of sweepCases) {
    assert.match(sweepValid(config), error, what);
    // The base is checked when the sweep is expanded into run configs.
    assert.throws(() => expandSweep(parseSweepConfig(config)), `gaf-lab rejects ${what} too`);
  }
  const run = {
    dataset: { name: 'mnist' },
    model: { name: 'smallcnn' },
    optimizer: { name: 'sgd', options: { learningRate: 0.1 } },
    epochs: 1,
    batchSize: 8,
  };
  assert.equal(experimentValid(run), '');
  const { epochs: _left, ...noEpochs } = run;
  assert.match(experimentValid(noEpochs), /should have required property 'epochs'/);
  assert.throws(() => resolveConfig(noEpochs), /epochs/);
  const badOptimizer = { ...run, optimizer: { name: 'sgd', options: { learningRate: 0.1, lr: 0.1 } } };
  assert.notEqual(experimentValid(badOptimizer), '');
  assert.throws(() => resolveConfig(badOptimizer), /lr/);
});

test('"$schema" changes no run id: a config resolves to the same runs with and without it', () => {
  for (const file of configFiles(configsDir)) {
    const { $schema, ...without } = readJson(file);
    assert.equal(typeof $schema, 'string');
    const ids = (config: unknown): string[] => expandSweep(parseSweepConfig(config)).map((r) => r.runId);
    assert.deepEqual(ids({ $schema, ...without }), ids(without), path.relative(root, file));
  }
  const run = {
    dataset: { name: 'mnist' },
    model: { name: 'smallcnn' },
    optimizer: { name: 'sgd', options: { learningRate: 0.1 } },
    epochs: 1,
    batchSize: 8,
  };
  assert.equal(runIdOf(resolveConfig({ $schema: '../schema/experiment.schema.json', ...run })), runIdOf(resolveConfig(run)));
});

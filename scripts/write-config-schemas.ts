/**
 * Writes the JSON Schemas of the config files, generated from the zod schemas that gaf-lab
 * validates configs with, so that an editor completes and checks a config's fields:
 *
 *   configs/schema/experiment.schema.json   one experiment (`gaf-lab train FILE`)
 *   configs/schema/sweep.schema.json        a sweep (`gaf-lab sweep FILE`, `npm run main`)
 *
 * A config names its schema with a relative `"$schema"` key, which gaf-lab ignores.
 * Run: npm run schema (after changing a config schema; test/config-schema.test.ts fails until
 * the committed files match the zod schemas again).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { zodToJsonSchema } from 'zod-to-json-schema';
import type { ZodTypeAny } from 'zod';
import { experimentConfigSchema } from '../src/config/index';
import { sweepConfigSchema } from '../src/sweep/index';
import { modelNames } from '../src/models/index';
import { packageRoot } from '../src/provenance/index';
import { parseCommandLine, scriptArgs } from '../src/cli/args';

/** A JSON Schema node (draft-07), as far as this script reads and edits it. */
type JsonSchema = { [key: string]: unknown; properties?: Record<string, JsonSchema>; required?: string[] };

/** Where the schemas are committed, relative to the repository root. */
export const SCHEMA_DIR = path.join('configs', 'schema');
export const EXPERIMENT_SCHEMA_FILE = path.join(SCHEMA_DIR, 'experiment.schema.json');
export const SWEEP_SCHEMA_FILE = path.join(SCHEMA_DIR, 'sweep.schema.json');

function toJsonSchema(schema: ZodTypeAny): JsonSchema {
  // Inlined (no $ref), so that the experiment schema can be embedded as a sweep's `base`; the
  // input side of every effect, since a schema describes what a person writes in the file.
  return zodToJsonSchema(schema, {
    target: 'jsonSchema7',
    $refStrategy: 'none',
    effectStrategy: 'input',
    pipeStrategy: 'input',
  }) as JsonSchema;
}

/** A copy of `schema` with every `required` list removed, at every depth. */
function withoutRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    // `properties` maps field names to schemas: a field called "required" is not the keyword.
    if (k === 'properties' && v !== null && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, withoutRequired(s)]));
    } else if (k !== 'required') {
      out[k] = withoutRequired(v);
    }
  }
  return out;
}

function property(schema: JsonSchema, ...names: string[]): JsonSchema {
  let node = schema;
  for (const name of names) {
    const next = node.properties?.[name];
    if (!next)
      throw new Error(
        `write-config-schemas: the generated schema has no property ${names.join('.')}; the zod schema changed, update this script.`,
      );
    node = next;
  }
  return node;
}

/** The experiment config's JSON Schema. */
export function experimentJsonSchema(): JsonSchema {
  const s = toJsonSchema(experimentConfigSchema);
  // Model names are matched case-insensitively in code, which JSON Schema cannot say: offer
  // the names as completions instead of an enum that would reject "resnet18".
  property(s, 'model', 'name').examples = modelNames();
  // Resolving writes the optimizer's derived settings into run configs (a sweep's configs/
  // folder), and reading such a file ignores them: allow the key in every optimizer form.
  const forms = property(s, 'optimizer').anyOf;
  if (!Array.isArray(forms))
    throw new Error('write-config-schemas: the optimizer schema is no longer a union of forms; update this script.');
  for (const form of forms as JsonSchema[]) {
    form.properties = {
      ...form.properties,
      effective: {
        type: 'object',
        description: 'Derived when a config is resolved (run configs carry it); ignored when a config is read.',
      },
    };
  }
  return {
    $schema: s.$schema,
    title: 'gaf-lab experiment config',
    description:
      'One training run (gaf-lab train FILE). Generated from experimentConfigSchema by scripts/write-config-schemas.ts; the fields are described in docs/run-format.md.',
    ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$schema')),
  };
}

/** The sweep config's JSON Schema; `base` and the grid's optimizer variants are checked as parts of an experiment config. */
export function sweepJsonSchema(): JsonSchema {
  const s = toJsonSchema(sweepConfigSchema);
  const experiment = experimentJsonSchema();
  const { $schema: _meta, title: _title, description: _description, ...experimentBody } = experiment;
  // A base may leave out what the grid supplies (model names, optimizers, seeds), and a grid
  // optimizer is merged over base.optimizer, so neither has required fields here; each run's
  // full config is checked when the sweep is expanded.
  const base = withoutRequired(experimentBody) as JsonSchema;
  base.description = 'An experiment config (its outDir and name are replaced per run); fields the grid supplies may be left out.';
  property(s, 'base'); // fails loudly if the sweep schema lost its base
  s.properties!.base = base;
  const optimizers = property(s, 'grid', 'optimizers');
  optimizers.items = {
    ...(withoutRequired(property(experiment, 'optimizer')) as JsonSchema),
    description: 'Merged over base.optimizer (options too when the name is the same).',
  };
  return {
    $schema: s.$schema,
    title: 'gaf-lab sweep config',
    description: 'A grid of runs (gaf-lab sweep FILE, npm run main). Generated from sweepConfigSchema by scripts/write-config-schemas.ts.',
    ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$schema')),
  };
}

/** The committed files' contents: repository-relative path -> text. */
export function configSchemaFiles(): Map<string, string> {
  const text = (schema: JsonSchema): string => `${JSON.stringify(schema, null, 2)}\n`;
  return new Map([
    [EXPERIMENT_SCHEMA_FILE, text(experimentJsonSchema())],
    [SWEEP_SCHEMA_FILE, text(sweepJsonSchema())],
  ]);
}

export const WRITE_CONFIG_SCHEMAS_USAGE = `node build/scripts/write-config-schemas.js     (or: npm run schema)

Writes ${EXPERIMENT_SCHEMA_FILE} and ${SWEEP_SCHEMA_FILE} from the zod config schemas.
Takes no options.`;

if (require.main === module) {
  scriptArgs('write-config-schemas', WRITE_CONFIG_SCHEMAS_USAGE, (argv) =>
    parseCommandLine(argv, {}, { min: 0, max: 0, what: 'no arguments' }),
  );
  const root = packageRoot();
  fs.mkdirSync(path.join(root, SCHEMA_DIR), { recursive: true });
  for (const [file, text] of configSchemaFiles()) {
    const target = path.join(root, file);
    const same = fs.existsSync(target) && fs.readFileSync(target, 'utf8') === text;
    if (!same) fs.writeFileSync(target, text);
    console.log(`${same ? 'unchanged' : 'wrote'} ${file}`);
  }
}

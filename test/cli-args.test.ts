/**
 * The one command-line parser of the CLI, the main job and the scripts (src/cli/args.ts): strict
 * options, help before everything, and errors that name the option and what to write instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intListOption, intOption, listOption, parseCommandLine, UsageError, wantsHelp } from '../src/cli/args';

const OPTIONS = { out: 'string', json: 'boolean', target: 'string' } as const;

/** The UsageError message `fn` throws (fails the test when it throws nothing or something else). */
function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected a UsageError, nothing was thrown');
}

test('values, flags and positionals in any order; -- ends the options', () => {
  const r = parseCommandLine(['a', '--out', 'dir', 'b', '--json', '--target=-0.5', '--', '--c'], OPTIONS);
  assert.equal(r.help, false);
  assert.deepEqual(r.positional, ['a', 'b', '--c']);
  assert.deepEqual({ ...r.values }, { out: 'dir', json: true, target: '-0.5' });
  assert.deepEqual({ ...parseCommandLine([], OPTIONS).values }, {}, 'options not given are absent');
});

test('an unknown option is refused with the options the command knows', () => {
  assert.equal(
    usageError(() => parseCommandLine(['--outdir', 'x'], OPTIONS)),
    'unknown option --outdir; options: --out VALUE, --json, --target VALUE.',
  );
  assert.equal(
    usageError(() => parseCommandLine(['-x'], OPTIONS)),
    'unknown option -x; options: --out VALUE, --json, --target VALUE.',
  );
  assert.equal(
    usageError(() => parseCommandLine(['--all'], {})),
    'unknown option --all (this command takes none).',
  );
});

test('a missing value, a value given to a flag and a repeated option are refused', () => {
  assert.equal(
    usageError(() => parseCommandLine(['--out'], OPTIONS)),
    '--out needs a value, e.g. --out VALUE.',
  );
  assert.match(
    usageError(() => parseCommandLine(['--out', '--json'], OPTIONS)),
    /^--out needs a value/,
  );
  assert.equal(
    usageError(() => parseCommandLine(['--target', '-0.5'], OPTIONS)),
    '--target needs a value, e.g. --target VALUE (a value that starts with a dash is written --target=-0.5).',
  );
  assert.equal(
    usageError(() => parseCommandLine(['--json=yes'], OPTIONS)),
    '--json takes no value, got "yes".',
  );
  assert.equal(
    usageError(() => parseCommandLine(['--out', 'a', '--out=b'], OPTIONS)),
    '--out is given twice; give it once.',
  );
});

test('positional counts are checked against [min, max]', () => {
  const spec = { min: 1, max: 2, what: 'one or two files' };
  assert.deepEqual(parseCommandLine(['a', 'b'], OPTIONS, spec).positional, ['a', 'b']);
  assert.equal(
    usageError(() => parseCommandLine(['--json'], OPTIONS, spec)),
    'missing one or two files.',
  );
  assert.equal(
    usageError(() => parseCommandLine(['a', 'b', 'c'], OPTIONS, spec)),
    'unexpected argument "c" (expected one or two files).',
  );
});

test('--help and -h win over everything before --, and nothing else is checked then', () => {
  for (const argv of [['--help'], ['-h'], ['x', 'y', 'z', '--bogus', '-h'], ['--out', '--help']]) {
    assert.equal(wantsHelp(argv), true, argv.join(' '));
    assert.deepEqual(parseCommandLine(argv, OPTIONS, { min: 0, max: 0, what: 'nothing' }), { help: true, positional: [], values: {} });
  }
  assert.equal(wantsHelp(['--', '--help']), false, 'after -- it is a positional');
  assert.deepEqual(parseCommandLine(['--', '-h'], OPTIONS).positional, ['-h']);
});

test('integer and list values', () => {
  assert.equal(intOption(undefined, 'workers', 2), 2);
  assert.equal(intOption('3', 'workers', 2), 3);
  assert.equal(intOption('0', 'warmup', 1, 0), 0);
  for (const bad of ['0', '1.5', 'two', '', ' ']) {
    assert.equal(
      usageError(() => intOption(bad, 'workers', 2)),
      `--workers must be an integer >= 1, got "${bad}".`,
    );
  }
  assert.deepEqual(listOption(' a, b ,,c', 'models'), ['a', 'b', 'c']);
  assert.equal(listOption(undefined, 'models'), undefined);
  assert.equal(
    usageError(() => listOption(',', 'models')),
    '--models needs at least one item, e.g. --models a,b.',
  );
  assert.deepEqual(intListOption('32,128', 'batches'), [32, 128]);
  assert.equal(
    usageError(() => intListOption('32,x', 'batches')),
    '--batches takes integers >= 1, got "32,x".',
  );
});

/**
 * `--help` of every subcommand and the usage errors, run in this process through `cli()` (no
 * child process: nothing here trains). Usage errors must exit 2 and name the problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, COMMANDS } from '../src/cli/main';
import { exitCodeOf, reportRun } from '../src/cli/run-outcome';

/** Runs the CLI with console output captured. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await cli(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-cli-help-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('every new subcommand is listed and prints its own usage with --help (exit 0)', async () => {
  const top = await run('--help');
  assert.equal(top.code, 0);
  for (const name of ['train', 'resume', 'sweep', 'results', 'figures']) {
    assert.match(top.out, new RegExp(`\\n  ${name}\\s+\\S`), `${name} in the command list`);
    const h = await run(name, '--help');
    assert.equal(h.code, 0, `${name} --help`);
    assert.equal(h.out, COMMANDS[name]!.usage);
    assert.match(h.out, new RegExp(`^gaf-lab ${name} `), `${name}'s usage starts with its synopsis`);
    // -h works too, and wherever it stands among the arguments.
    assert.equal((await run(name, 'x', '-h')).out, COMMANDS[name]!.usage);
  }
  assert.match(COMMANDS.sweep!.usage, /--join SWEEP_DIR/);
  assert.match(COMMANDS.results!.usage, /--csv FILE.*\n.*\n.*--arrow FILE/s);
});

test('usage errors exit 2, name the problem and show the usage', async () => {
  const cases: [string[], RegExp][] = [
    [['train'], /missing the config file/],
    [['train', 'a.json', 'b.json'], /unexpected argument "b\.json"/],
    [['train', path.join(tmp, 'nope.json')], /config file .*nope\.json does not exist/],
    [['train', tmp], /is a folder; give the config file/],
    [['train', 'x.json', '--outdir', 'runs'], /unknown option --outdir; options: --out/],
    [['train', 'x.json', '--out'], /--out needs a value/],
    [['resume'], /missing the run folder/],
    [['resume', tmp], /is not a run folder \(no manifest\.json\)/],
    [['sweep'], /missing the sweep config file/],
    [['sweep', 'cfg.json', '--workers', '0'], /--workers must be an integer >= 1, got "0"/],
    [['sweep', 'cfg.json', '--worker', '2'], /unknown option --worker; options: --workers/],
    [['sweep', '--join', tmp], /is not a sweep folder \(no sweep\.json\)/],
    [['sweep', '--join', tmp, 'extra'], /unexpected argument "extra"/],
    [['results'], /missing the folder of runs/],
    [['results', path.join(tmp, 'absent')], /absent does not exist/],
    [['results', tmp, '--target', 'high'], /--target must be a number/],
    [['figures', 'runs'], /unexpected argument "runs"/],
    [['figures', '--runs', path.join(tmp, 'absent')], /--runs .*absent does not exist/],
  ];
  for (const [argv, message] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: exit code (stderr: ${r.err})`);
    assert.match(r.err, message, argv.join(' '));
    assert.match(r.err, new RegExp(`usage:\\ngaf-lab ${argv[0]} `), `${argv.join(' ')} shows the usage`);
  }
});

test('an invalid config exits 2 naming the file, the field and the allowed values; nothing is written', async () => {
  const file = path.join(tmp, 'bad.json');
  const out = path.join(tmp, 'bad-runs');
  fs.writeFileSync(file, JSON.stringify({ dataset: { name: 'fashion-mnist' }, model: { name: 'smallcnn' }, optimizer: { name: 'sgd', options: { learningRate: 0.1, momentum: 1.5 } }, epochs: 1, batchSize: 8 }));
  const r = await run('train', file, '--out', out);
  assert.equal(r.code, 2);
  assert.match(r.err, /Invalid experiment config .*bad\.json/);
  assert.match(r.err, /optimizer\.options\.momentum: got 1\.5; allowed: a number < 1/);
  assert.equal(fs.existsSync(out), false);
  fs.writeFileSync(file, '{"dataset": ');
  const j = await run('train', file);
  assert.equal(j.code, 2);
  assert.match(j.err, /bad\.json is not valid JSON/);
  assert.doesNotMatch(j.err, /usage:/, 'a bad file is not a bad command line');

  const sweep = path.join(tmp, 'bad-sweep.json');
  fs.writeFileSync(sweep, JSON.stringify({ outDir: path.join(tmp, 'bad-sweep'), base: {}, grid: { seed: [1] } }));
  const s = await run('sweep', sweep);
  assert.equal(s.code, 2);
  assert.match(s.err, /Invalid sweep config .*bad-sweep\.json:\n {2}- grid: unknown field "seed" \(did you mean "seeds"\?\)/);
  fs.writeFileSync(sweep, JSON.stringify({ outDir: path.join(tmp, 'bad-sweep'), base: { dataset: { name: 'fashion-mnist' }, model: { name: 'smallcnn' }, optimizer: { name: 'sgd', options: { learningRate: 0.1 } }, epochs: 1, batchSize: 8 }, grid: { models: ['smallcnn', 'resnt18'] } }));
  const g = await run('sweep', sweep);
  assert.equal(g.code, 2);
  assert.match(g.err, /Invalid sweep config .*bad-sweep\.json \(sweep grid point .*resnt18.*\):\n {2}- base\.model\.name: unknown model "resnt18"/);
  assert.equal(fs.existsSync(path.join(tmp, 'bad-sweep')), false);
});

test('results on a folder without runs says so (exit 1)', async () => {
  const r = await run('results', tmp);
  assert.equal(r.code, 1);
  assert.match(r.err, /no runs under .* \(no folder with a manifest\.json\)/);
});

test('exit codes: completed and diverged 0, failed 1, interrupted 130; a diverged run is reported loudly', () => {
  assert.equal(exitCodeOf({ status: 'completed' }), 0);
  assert.equal(exitCodeOf({ status: 'diverged' }), 0);
  assert.equal(exitCodeOf({ status: 'failed' }), 1);
  assert.equal(exitCodeOf({ status: 'interrupted' }), 130);
  const lines: string[] = [];
  const code = reportRun(
    { runId: 'r', runDir: '/runs/r', status: 'diverged', epochsDone: 1, message: 'non-finite training loss (NaN) at epoch 2, batch 3 of 4', startEpoch: 0, alreadyDone: false },
    (s) => lines.push(s),
  );
  assert.equal(code, 0);
  const text = lines.join('\n');
  assert.match(text, /status: {3}DIVERGED/);
  assert.match(text, /\*\*\* THE RUN DIVERGED \*\*\*\n\*\*\* non-finite training loss \(NaN\) at epoch 2, batch 3 of 4 \*\*\*/);
  const stopped: string[] = [];
  assert.equal(reportRun({ runId: 'r', runDir: '/runs/r', status: 'interrupted', epochsDone: 2, startEpoch: 0, alreadyDone: false }, (s) => stopped.push(s)), 130);
  assert.match(stopped.join('\n'), /continue: gaf-lab resume \/runs\/r/);
});

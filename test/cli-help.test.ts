/**
 * `--help` of every subcommand and the usage errors, run in this process through `cli()` (no
 * child process: nothing here trains). Usage errors must exit 2 and name the problem.
 * Then `--help` and an unknown option of the main job and of every file in scripts/, each in a
 * child process: they must answer without starting their work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, COMMANDS } from '../src/cli/main';
import { exitCodeOf, reportRun } from '../src/cli/run-outcome';
import { satisfiesEngines } from '../src/cli/doctor';
import { ROOT } from './repo-root';

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

test('every subcommand is listed and prints its own usage with --help (exit 0)', async () => {
  const top = await run('--help');
  assert.equal(top.code, 0);
  const names = Object.keys(COMMANDS);
  assert.deepEqual([...names].sort(), ['data', 'doctor', 'export', 'figures', 'results', 'resume', 'serve', 'sweep', 'train']);
  for (const name of names) {
    assert.match(top.out, new RegExp(`\\n  ${name}\\s+\\S`), `${name} in the command list`);
    const h = await run(name, '--help');
    assert.equal(h.code, 0, `${name} --help`);
    assert.equal(h.out, COMMANDS[name]!.usage);
    assert.match(h.out, new RegExp(`^gaf-lab ${name}\\s`), `${name}'s usage starts with its synopsis`);
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
    [['serve', path.join(tmp, 'absent')], /absent does not exist/],
    [['serve', tmp, '--port', '99999'], /--port must be an integer 0-65535, got "99999"/],
    [['export', tmp], /--tensorboard OUT/],
    [['export', tmp, '--tensorboard', path.join(tmp, 'tb')], /no runs under/],
    [['figures', '--runs', path.join(tmp, 'absent')], /--runs .*absent does not exist/],
    [['data', 'check', '--datadir', tmp], /unknown option --datadir; options: --data-dir VALUE, --force, --seed VALUE\./],
    [['data', 'check', '--data-dir'], /--data-dir needs a value/],
    [['data', 'check', '--force'], /--force applies to data download only/],
    [['data', 'check', 'mnist'], /data check takes no dataset names/],
    [['data', 'download'], /name at least one dataset to download: mnist, fashion-mnist/],
    [['data', 'download', 'imagenet'], /unknown dataset "imagenet"; choose from mnist/],
    [['data', 'fetch'], /unknown subcommand "fetch"; say check, download or synth-voc/],
    [['data'], /say check, download or synth-voc/],
    [['doctor', '--verbose'], /unknown option --verbose \(this command takes none\)/],
    [['doctor', 'now'], /unexpected argument "now"/],
    [['results', tmp, '--json=yes'], /--json takes no value, got "yes"/],
    [['results', tmp, '--target', '-1'], /--target needs a value.*written --target=-1/],
    [['train', 'x.json', '--out', 'a', '--out', 'b'], /--out is given twice/],
    [['sweep', '--join', tmp, '--workers', '2'], /--workers does not go with --join/],
  ];
  for (const [argv, message] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: exit code (stderr: ${r.err})`);
    assert.match(r.err, message, argv.join(' '));
    assert.match(r.err, new RegExp(`usage:\\ngaf-lab ${argv[0]}\\s`), `${argv.join(' ')} shows the usage`);
  }
});

test('every subcommand refuses an option it does not know (exit 2, with its usage), before doing anything', async () => {
  // Each subcommand's required positional is given, so the unknown option is the only problem.
  const positionals: Record<string, string[]> = {
    train: ['x.json'],
    resume: [tmp],
    sweep: ['x.json'],
    results: [tmp],
    figures: [],
    data: ['check'],
    doctor: [],
    serve: [tmp],
    export: [tmp],
  };
  assert.deepEqual(Object.keys(positionals).sort(), Object.keys(COMMANDS).sort(), 'a case for every subcommand');
  for (const [name, args] of Object.entries(positionals)) {
    const r = await run(name, ...args, '--no-such-option');
    assert.equal(r.code, 2, `${name}: exit code (stderr: ${r.err})`);
    assert.match(r.err, new RegExp(`^gaf-lab ${name}: unknown option --no-such-option`), name);
    assert.ok(r.err.endsWith(`usage:\n${COMMANDS[name]!.usage}`), `${name} shows its usage`);
    assert.equal(r.out, '', `${name} printed nothing else`);
  }
});

test('an invalid config exits 2 naming the file, the field and the allowed values; nothing is written', async () => {
  const file = path.join(tmp, 'bad.json');
  const out = path.join(tmp, 'bad-runs');
  fs.writeFileSync(
    file,
    JSON.stringify({
      dataset: { name: 'fashion-mnist' },
      model: { name: 'smallcnn' },
      optimizer: { name: 'sgd', options: { learningRate: 0.1, momentum: 1.5 } },
      epochs: 1,
      batchSize: 8,
    }),
  );
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
  fs.writeFileSync(
    sweep,
    JSON.stringify({
      outDir: path.join(tmp, 'bad-sweep'),
      base: {
        dataset: { name: 'fashion-mnist' },
        model: { name: 'smallcnn' },
        optimizer: { name: 'sgd', options: { learningRate: 0.1 } },
        epochs: 1,
        batchSize: 8,
      },
      grid: { models: ['smallcnn', 'resnt18'] },
    }),
  );
  const g = await run('sweep', sweep);
  assert.equal(g.code, 2);
  assert.match(
    g.err,
    /Invalid sweep config .*bad-sweep\.json \(sweep grid point .*resnt18.*\):\n {2}- base\.model\.name: unknown model "resnt18"/,
  );
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
    {
      runId: 'r',
      runDir: '/runs/r',
      status: 'diverged',
      epochsDone: 1,
      message: 'non-finite training loss (NaN) at epoch 2, batch 3 of 4',
      startEpoch: 0,
      alreadyDone: false,
    },
    (s) => lines.push(s),
  );
  assert.equal(code, 0);
  const text = lines.join('\n');
  assert.match(text, /status: {3}DIVERGED/);
  assert.match(text, /\*\*\* THE RUN DIVERGED \*\*\*\n\*\*\* non-finite training loss \(NaN\) at epoch 2, batch 3 of 4 \*\*\*/);
  const stopped: string[] = [];
  assert.equal(
    reportRun({ runId: 'r', runDir: '/runs/r', status: 'interrupted', epochsDone: 2, startEpoch: 0, alreadyDone: false }, (s) =>
      stopped.push(s),
    ),
    130,
  );
  assert.match(stopped.join('\n'), /continue: gaf-lab resume \/runs\/r/);
});

/** The folder of the compiled scripts next to this compiled test (build/scripts). */
const BUILT_SCRIPTS = path.join(__dirname, '..', 'scripts');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/**
 * A PATH with only the tools the scripts' argument handling uses (no npm, apt-get, sudo,
 * dpkg-query, python): a script whose --help or option check were broken would fail on the
 * missing tool instead of installing anything.
 */
function sandboxPath(): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'bin-'));
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean);
  for (const tool of ['bash', 'sh', 'awk', 'sed', 'grep', 'cat', 'dirname', 'basename', 'uname', 'env', 'id', 'mkdir']) {
    const found = dirs.map((d) => path.join(d, tool)).find((f) => fs.existsSync(f));
    if (found) fs.symlinkSync(found, path.join(dir, tool));
  }
  fs.symlinkSync(process.execPath, path.join(dir, 'node'));
  return dir;
}

interface ScriptCase {
  /** How to start it: command and the arguments before the ones under test. */
  cmd: string;
  args: string[];
  /** Arguments that reach the option check (e.g. a subcommand), before the unknown option. */
  before?: string[];
}

/** How each file of scripts/ is started; a new script fails the coverage check until it is added here. */
function scriptCases(): Record<string, ScriptCase> {
  const ts = (name: string): ScriptCase => ({ cmd: process.execPath, args: [path.join(BUILT_SCRIPTS, `${name}.js`)] });
  const sh = (name: string): ScriptCase => ({ cmd: 'bash', args: [path.join(ROOT, 'scripts', name)] });
  const py = (name: string): ScriptCase => ({ cmd: PYTHON, args: [path.join(ROOT, 'scripts', name)] });
  return {
    'bench.ts': ts('bench'),
    'bench-data.ts': ts('bench-data'),
    'bench-models.ts': ts('bench-models'),
    'bench-serve.ts': ts('bench-serve'),
    'bench-threads.ts': ts('bench-threads'),
    'probe-wasm-training-kernels.ts': ts('probe-wasm-training-kernels'),
    'profile-step.ts': ts('profile-step'),
    'write-config-schemas.ts': ts('write-config-schemas'),
    'link-self.js': { cmd: process.execPath, args: [path.join(ROOT, 'scripts', 'link-self.js')] },
    'bench_models_torch.py': { ...py('bench_models_torch.py'), before: ['count'] },
    'bundle-gpu.sh': sh('bundle-gpu.sh'),
    'bundle-gpu-run.sh': sh('bundle-gpu-run.sh'),
    'execute_notebook.py': py('execute_notebook.py'),
    'strip-notebook.py': py('strip-notebook.py'),
    'install-gpu-backend.sh': sh('install-gpu-backend.sh'),
    'render-html.sh': sh('render-html.sh'),
    'run-notebook.sh': sh('run-notebook.sh'),
    'run-notebooks.sh': sh('run-notebooks.sh'),
    'setup-jupyter.sh': sh('setup-jupyter.sh'),
    'setup.sh': sh('setup.sh'),
    'slurm-local.sh': sh('slurm-local.sh'),
  };
}

function spawnScript(
  c: ScriptCase,
  extra: string[],
  env: NodeJS.ProcessEnv,
): { status: number | null; stdout: string; stderr: string; seconds: number } {
  const t0 = performance.now();
  // A script that ignored --help would start its work (hours for the benchmarks): cut it off.
  const r = spawnSync(c.cmd, [...c.args, ...extra], { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000, killSignal: 'SIGKILL' });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds: (performance.now() - t0) / 1000 };
}

test('every file in scripts/ has a --help and unknown-option case here', () => {
  const files = fs
    .readdirSync(path.join(ROOT, 'scripts'))
    .filter((f) => /\.(ts|js|sh|py)$/.test(f))
    .sort();
  assert.deepEqual(Object.keys(scriptCases()).sort(), files);
});

test('every script answers --help with its usage (exit 0, within seconds) and refuses an unknown option (exit 2)', () => {
  // Safety nets for a regression: no reinstall, no apt, no GPU package, whatever a broken script does.
  const env = { ...process.env, PATH: sandboxPath(), SKIP_NPM_CI: '1', SKIP_APT: '1', GAF_DATA_DIR: tmp };
  for (const [file, c] of Object.entries(scriptCases())) {
    const invoked = file.replace(/\.ts$/, '.js');
    if (file.endsWith('.ts')) assert.ok(fs.existsSync(c.args[0]!), `${c.args[0]} missing: compile with tsconfig.test.json first`);
    const help = spawnScript(c, ['--help'], env);
    assert.equal(help.status, 0, `${file} --help: exit ${help.status}\n${help.stderr}`);
    assert.ok(help.stdout.includes(invoked), `${file} --help names the script:\n${help.stdout}`);
    assert.ok(help.seconds < 30, `${file} --help took ${help.seconds.toFixed(1)} s`);
    if (file.endsWith('.ts')) assert.match(help.stdout, /^usage: /, `${file} --help starts with its usage`);
    if (file === 'setup.sh') assert.doesNotMatch(help.stdout, /\[setup\] ==/, 'setup.sh --help runs no phase');
    const bad = spawnScript(c, [...(c.before ?? []), '--no-such-option'], env);
    assert.equal(bad.status, 2, `${file} --no-such-option: exit ${bad.status}\n${bad.stdout}\n${bad.stderr}`);
    assert.match(bad.stderr, /--no-such-option/, `${file} names the unknown option`);
  }
});

test('the main job answers --help without training and refuses an unknown option', () => {
  const c: ScriptCase = { cmd: process.execPath, args: [path.join(__dirname, '..', 'src', 'cli', 'main-job.js')] };
  const env = { ...process.env };
  const help = spawnScript(c, ['--help'], env);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^npm run main \[-- \[--workers N\]/);
  assert.ok(help.seconds < 30, `--help took ${help.seconds.toFixed(1)} s`);
  const bad = spawnScript(c, ['--worker', '3'], env);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^main job: unknown option --worker; options: --workers VALUE, /);
  assert.match(bad.stderr, /\n\nnpm run main /, 'with the usage');
});

test("doctor's Node check reads package.json engines: require(esm) of arquero needs 20.19+, 22.12+ or 23+", () => {
  const range = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  // Expected from the meaning of ^A.B.C (same major, at least A.B.C) and >=A.
  const expected: [string, boolean][] = [
    ['18.20.4', false],
    ['20.0.0', false],
    ['20.18.3', false],
    ['20.19.0', true],
    ['20.20.2', true],
    ['21.7.3', false],
    ['22.11.0', false],
    ['22.12.0', true],
    ['23.0.0', true],
    ['24.4.1', true],
  ];
  for (const [version, ok] of expected) assert.equal(satisfiesEngines(version, range), ok, `${version} against ${range}`);
  assert.equal(satisfiesEngines(process.versions.node, range), true, 'the Node running the tests is in the range');
  assert.equal(satisfiesEngines('20.20.2', '>=20 || weird'), true, 'an unknown part counts as satisfied');
});

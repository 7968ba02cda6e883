import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
// The module object itself (not the namespace copy), so that test doubles of its functions are seen by the code under test.
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  appendJsonLine,
  appendJsonLines,
  filterJsonLines,
  findRunDirs,
  makeDirs,
  readJson,
  readJsonLines,
  readManifest,
  readMetrics,
  toJson,
  writeError,
  writeFileAtomic,
  writeJsonAtomic,
  writeManifest,
  type RunManifest,
} from '../src/run-format/index';
import { ROOT } from './repo-root';

const tempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `gaf-lab-run-format-${prefix}-`));

test('writeFileAtomic: writes, overwrites and creates the folder, leaving no temporary file', () => {
  const dir = tempDir('write');
  const file = path.join(dir, 'a.txt');
  writeFileAtomic(file, 'first');
  writeFileAtomic(file, new Uint8Array([104, 105])); // "hi"
  assert.equal(fs.readFileSync(file, 'utf8'), 'hi');
  assert.deepEqual(fs.readdirSync(dir), ['a.txt']);
  const nested = path.join(dir, 'x', 'y', 'b.json');
  writeJsonAtomic(nested, { a: 1, bad: Number.NaN, big: -Infinity });
  assert.deepEqual(readJson(nested), { a: 1, bad: null, big: null });
  assert.deepEqual(fs.readdirSync(path.dirname(nested)), ['b.json']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('writeFileAtomic: a rename that fails (the target is a folder) removes the temporary file and names the path', () => {
  // Fails for root too: rename(2) of a file over a non-empty folder is refused whoever asks.
  const dir = tempDir('fail-late');
  const target = path.join(dir, 'taken');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'inside'), 'x');
  assert.throws(
    () => writeFileAtomic(target, 'data'),
    (e: NodeJS.ErrnoException) =>
      e.message.startsWith(`Cannot write ${target}: `) && e.message.includes('is a folder') && typeof e.code === 'string',
  );
  assert.deepEqual(fs.readdirSync(dir), ['taken'], 'no temporary file left beside the target');
  assert.deepEqual(fs.readdirSync(target), ['inside'], 'the folder in the way is untouched');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('writeFileAtomic: a folder that is a file fails before anything is written, naming the path', () => {
  const dir = tempDir('fail-early');
  const blocker = path.join(dir, 'plain-file');
  fs.writeFileSync(blocker, 'x');
  const target = path.join(blocker, 'out.json');
  assert.throws(
    () => writeJsonAtomic(target, { a: 1 }),
    (e: Error) => e.message.startsWith(`Cannot write ${target}: `) && /is a file, not a folder/.test(e.message),
  );
  assert.deepEqual(fs.readdirSync(dir), ['plain-file']);
  assert.equal(fs.readFileSync(blocker, 'utf8'), 'x');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('writeError: a full disk and a read-only folder get advice; the code and cause are kept', () => {
  const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: system text`), { code });
  const full = writeError('/out/runs/manifest.json', errno('ENOSPC')) as NodeJS.ErrnoException;
  assert.equal(
    full.message,
    'Cannot write /out/runs/manifest.json: disk full: free space on the disk of /out/runs or choose another output folder (--out on the command line, outDir in a config) (ENOSPC: system text).',
  );
  assert.equal(full.code, 'ENOSPC');
  assert.equal((full.cause as Error).message, 'ENOSPC: system text');
  const why = { EROFS: 'read-only file system', EACCES: 'permission denied', EPERM: 'permission denied' };
  for (const [code, reason] of Object.entries(why)) {
    assert.equal(
      writeError('/out/runs/a.csv', errno(code)).message,
      `Cannot write /out/runs/a.csv: /out/runs is not writable (${reason}): choose another output folder (--out on the command line, outDir in a config) (${code}: system text).`,
    );
  }
  // A folder the system refused to create: the folder named is its parent, where the write was refused.
  const mkdirErr = Object.assign(errno('EROFS'), { syscall: 'mkdir', path: '/ro/runs' });
  assert.match(
    writeError('/ro/runs/r1', mkdirErr, 'create folder').message,
    /^Cannot create folder \/ro\/runs\/r1: \/ro is not writable \(read-only file system\)/,
  );
  assert.equal(writeError('/x/y', new Error('odd failure')).message, 'Cannot write /x/y: odd failure.');
});

test('makeDirs: the error names the level that could not be made and its real cause (not the ENOENT of a recursive mkdir)', (t) => {
  const dir = tempDir('mkdirs');
  makeDirs(path.join(dir, 'a', 'b'));
  makeDirs(path.join(dir, 'a', 'b')); // exists: nothing to do
  assert.ok(fs.statSync(path.join(dir, 'a', 'b')).isDirectory());
  // A read-only folder, simulated (root may write anywhere): mkdir refuses every level below dir/ro.
  const ro = path.join(dir, 'ro');
  fs.mkdirSync(ro);
  const real = fs.mkdirSync;
  t.mock.method(nodeFs, 'mkdirSync', (p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
    if (String(p).startsWith(ro + path.sep))
      throw Object.assign(new Error(`EROFS: read-only file system, mkdir '${String(p)}'`), {
        code: 'EROFS',
        syscall: 'mkdir',
        path: String(p),
      });
    return real(p, o);
  });
  const target = path.join(ro, 'runs', 'r1');
  assert.throws(
    () => makeDirs(target),
    (e: NodeJS.ErrnoException) =>
      e.code === 'EROFS' &&
      e.message.startsWith(`Cannot create folder ${target}: ${ro} is not writable (read-only file system): choose another output folder`),
  );
  assert.throws(
    () => writeFileAtomic(path.join(target, 'manifest.json'), '{}'),
    (e: Error) => e.message.includes(`${ro} is not writable (read-only file system)`),
  );
  t.mock.restoreAll();
  // A level that is a file.
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  assert.throws(
    () => makeDirs(path.join(dir, 'file', 'sub')),
    (e: Error) =>
      e.message.startsWith(`Cannot create folder ${path.join(dir, 'file', 'sub')}: a part of ${path.join(dir, 'file')} is a file`),
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

test('appendJsonLine: a write that fails part-way (full disk) is cut back, so no half line stays for the next append to glue onto', (t) => {
  const dir = tempDir('append-full');
  const file = path.join(dir, 'm.jsonl');
  appendJsonLine(file, { epoch: 1 });
  const before = fs.readFileSync(file, 'utf8');
  const real = fs.writeFileSync;
  // A disk that takes 5 bytes of the line, then is full.
  t.mock.method(nodeFs, 'writeFileSync', (target: number | string, data: string) => {
    real(target, data.slice(0, 5));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
  });
  assert.throws(
    () => appendJsonLine(file, { epoch: 2, trainLoss: 0.5 }),
    (e: NodeJS.ErrnoException) => e.code === 'ENOSPC' && e.message.startsWith(`Cannot write ${file}: disk full`),
  );
  t.mock.restoreAll();
  assert.equal(fs.readFileSync(file, 'utf8'), before, 'the torn part was cut off');
  appendJsonLine(file, { epoch: 2 });
  assert.deepEqual(readJsonLines(file), [{ epoch: 1 }, { epoch: 2 }]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('toJson: non-finite numbers become null, indentation as asked', () => {
  assert.equal(toJson({ a: Number.NaN, b: [1, Infinity], c: 'NaN' }), '{"a":null,"b":[1,null],"c":"NaN"}');
  assert.equal(toJson({ a: 1 }, 2), '{\n  "a": 1\n}');
});

test('readJsonLines: a torn last line is ignored, blank lines skipped, a missing file gives none', () => {
  const dir = tempDir('lines');
  const file = path.join(dir, 'm.jsonl');
  assert.deepEqual(readJsonLines(file), []);
  appendJsonLine(file, { epoch: 1, loss: Number.NaN });
  appendJsonLines(file, []);
  appendJsonLines(file, [{ epoch: 2 }, { epoch: 3 }]);
  fs.appendFileSync(file, '\n{"epoch": 4, "los'); // a blank line, then a write cut short
  assert.deepEqual(readJsonLines(file), [{ epoch: 1, loss: null }, { epoch: 2 }, { epoch: 3 }]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('readJsonLines: a bad complete line is an error naming file:line', () => {
  const dir = tempDir('bad-lines');
  const file = path.join(dir, 'm.jsonl');
  fs.writeFileSync(file, '{"epoch": 1}\n{"epoch": 2, oops\n{"epoch": 3}\n');
  assert.throws(
    () => readJsonLines(file),
    (e: Error) => e.message.startsWith(`${file}:2: not valid JSON`) && e.message.endsWith('{"epoch": 2, oops'),
  );
  fs.writeFileSync(file, '{"epoch": 1}\n[1, 2]\n');
  assert.throws(
    () => readJsonLines(file),
    (e: Error) => e.message.startsWith(`${file}:2: expected a JSON object per line`),
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

test('filterJsonLines: keeps the passing lines, drops a torn tail, leaves no temporary file', () => {
  const dir = tempDir('filter');
  const file = path.join(dir, 'm.jsonl');
  fs.writeFileSync(file, '{"epoch":1}\n{"epoch":2}\n{"epoch":3}\n{"epo');
  filterJsonLines<{ epoch: number }>(file, (l) => l.epoch <= 2);
  assert.equal(fs.readFileSync(file, 'utf8'), '{"epoch":1}\n{"epoch":2}\n');
  assert.deepEqual(fs.readdirSync(dir), ['m.jsonl']);
  filterJsonLines(path.join(dir, 'absent.jsonl'), () => true);
  assert.deepEqual(fs.readdirSync(dir), ['m.jsonl'], 'a missing file stays missing');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('readJson: the error names the file for a missing and for a broken file', () => {
  const dir = tempDir('json');
  const file = path.join(dir, 'x.json');
  assert.throws(
    () => readJson(file),
    (e: Error) => e.message.startsWith(`Cannot read ${file}: ENOENT`),
  );
  fs.writeFileSync(file, '{"a": ');
  assert.throws(
    () => readJson(file),
    (e: Error) => e.message.startsWith(`${file}: not valid JSON`),
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

function manifest(runId: string): RunManifest<{ lr: number }> {
  return {
    format: 'gaf-lab-run/1',
    runId,
    status: 'running',
    config: { lr: 0.1 },
    seed: 1,
    gitCommit: null,
    gitDirty: null,
    backend: 'wasm',
    packages: {},
    host: { hostname: 'h', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'cpu', node: 'v20' },
    pid: 1,
    startedAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    epochsDone: 0,
    resumes: [],
  };
}

test('writeManifest / readManifest / readMetrics: a round trip that stamps updatedAt and keeps unknown fields', () => {
  const dir = tempDir('manifest');
  const m = manifest('r1');
  writeManifest(dir, m);
  assert.notEqual(m.updatedAt, '2025-01-01T00:00:00.000Z');
  const back = readManifest<{ lr: number }>(dir);
  assert.deepEqual(back, m);
  assert.equal(back.config.lr, 0.1);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, addedLater: [1] }));
  assert.deepEqual((readManifest(dir) as unknown as Record<string, unknown>).addedLater, [1]);
  assert.deepEqual(readMetrics(dir), []);
  appendJsonLine(path.join(dir, 'metrics.jsonl'), { epoch: 1, testTop1: 0.5 });
  assert.deepEqual(readMetrics(dir), [{ epoch: 1, testTop1: 0.5 }]);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['manifest.json', 'metrics.jsonl']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('readManifest: each bad field gives an error naming the file and the field', () => {
  const dir = tempDir('manifest-bad');
  const file = path.join(dir, 'manifest.json');
  assert.throws(
    () => readManifest(dir),
    (e: Error) => e.message.startsWith(`${file} does not exist: ${dir} is not a run folder`),
  );
  const good = manifest('r1') as unknown as Record<string, unknown>;
  const cases: [string, RegExp][] = [
    ['{"runId": ', /: not valid JSON \(.*\)\. A manifest is rewritten atomically/],
    ['[1]', /: expected a JSON object, got an array\.$/],
    [
      JSON.stringify({ ...good, format: 'gaf-lab-run/2' }),
      /: field "format" is "gaf-lab-run\/2"; this version of gaf-lab reads "gaf-lab-run\/1"\.$/,
    ],
    [JSON.stringify({ ...good, format: undefined }), /: field "format" is undefined;/],
    [JSON.stringify({ ...good, runId: '' }), /: field "runId" must be a non-empty string, got ""\.$/],
    [
      JSON.stringify({ ...good, status: 'done' }),
      /: field "status" is "done"; allowed: running, completed, diverged, failed, interrupted\.$/,
    ],
    [JSON.stringify({ ...good, config: [1] }), /: field "config" must be the resolved config object, got \[1\]\.$/],
  ];
  for (const [text, want] of cases) {
    fs.writeFileSync(file, text);
    assert.throws(
      () => readManifest(dir),
      (e: Error) => e.message.startsWith(`${file}:`) && want.test(e.message),
      text,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('findRunDirs: nested runs sorted; not into runs, hidden folders or links; the root may be a run', () => {
  const root = tempDir('find');
  const run = (...parts: string[]): string => {
    const d = path.join(root, ...parts);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'manifest.json'), '{}');
    return d;
  };
  const b = run('sweep', 'b');
  const a = run('sweep', 'a');
  const top = run('top');
  run('top', 'checkpoints', 'inner'); // inside a run: not a run of its own
  run('.hidden', 'c');
  fs.mkdirSync(path.join(root, 'empty'));
  fs.symlinkSync(path.join(root, 'sweep'), path.join(root, 'link'));
  assert.deepEqual(findRunDirs(root), [a, b, top]);
  assert.deepEqual(findRunDirs(top), [top]);
  assert.deepEqual(findRunDirs(path.join(root, 'empty')), []);
  assert.throws(
    () => findRunDirs(path.join(root, 'nope')),
    (e: Error) => e.message.includes(`folder ${path.join(root, 'nope')} does not exist`) && /outDir of a run or sweep/.test(e.message),
  );
  assert.throws(() => findRunDirs(path.join(top, 'manifest.json')), /is not a folder\. Pass the outDir of a run or sweep, not a file/);
  fs.rmSync(root, { recursive: true, force: true });
});

test('src/run-format imports only node: modules and its own files', () => {
  const dir = path.join(ROOT, 'src', 'run-format');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 5, `expected the module's files in ${dir}, found ${files.join(', ')}`);
  for (const f of files) {
    const specifiers = [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/\bfrom\s+'([^']+)'|\brequire\('([^']+)'\)/g)].map(
      (m) => m[1] ?? m[2]!,
    );
    for (const s of specifiers) assert.ok(s.startsWith('node:') || /^\.\/[\w-]+$/.test(s), `${f} imports ${s}`);
  }
});

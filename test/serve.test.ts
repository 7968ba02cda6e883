/**
 * The `gaf-lab serve` server without a browser: it never serves outside its folders (traversal
 * by `..`, encoded `..`, encoded slashes and backslashes, NUL, sibling prefixes, symbolic links),
 * is read-only and bound to 127.0.0.1, shows every status (a `running` run without a live
 * process as stale), progress and ETA from steps.jsonl, keeps serving while runs are corrupted
 * or deleted under it, and its compare endpoint gives what `gaf-lab results --json` prints.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { startServer, type RunningServer, type RunSummary } from '../src/serve/index';
import { lockRun } from '../src/train/run-lock';
import { standardSweep, tempDir, writeRun } from './results-fixtures';

const base = tempDir('serve');
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** A GET (or other method) with the path sent exactly as given: no URL normalisation on the way. */
function request(
  port: number,
  rawPath: string,
  method = 'GET',
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function runsOf(s: RunningServer): Promise<RunSummary[]> {
  const r = await request(s.port, '/api/runs');
  assert.equal(r.status, 200, r.body);
  return (JSON.parse(r.body) as { runs: RunSummary[] }).runs;
}

test('serves only inside its folders: traversal, encoded traversal and symbolic links are refused', async () => {
  const root = path.join(base, 'root');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'sub', 'ok.txt'), 'inside');
  // Outside the root: a sibling whose name starts with the root's, and a plain secret.
  fs.mkdirSync(path.join(base, 'root-secret'));
  fs.writeFileSync(path.join(base, 'root-secret', 'key.txt'), 'SECRET-1');
  fs.writeFileSync(path.join(base, 'secret.txt'), 'SECRET-2');
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'link-out.txt'));
  fs.symlinkSync(path.join(base, 'root-secret'), path.join(root, 'dir-out'));
  fs.symlinkSync(path.join(root, 'sub', 'ok.txt'), path.join(root, 'link-in.txt'));
  const s = await startServer({ dirs: [root], port: 0 });
  try {
    assert.equal((s.server.address() as { address: string }).address, '127.0.0.1', 'bound to this machine only by default');
    assert.equal((await request(s.port, '/files/0/sub/ok.txt')).body, 'inside');
    assert.equal((await request(s.port, '/files/0/link-in.txt')).body, 'inside', 'a link that stays inside is fine');
    const refused = [
      '/files/0/../secret.txt',
      '/files/0/sub/../../secret.txt',
      '/files/0/%2e%2e/secret.txt',
      '/files/0/%2E%2E/root-secret/key.txt',
      '/files/0/..%2fsecret.txt',
      '/files/0/sub%2f..%2f..%2fsecret.txt',
      '/files/0/..%5csecret.txt',
      '/files/0/%252e%252e/secret.txt',
      '/files/0/sub/ok.txt%00',
      '/files/0/%c0%ae%c0%ae/secret.txt',
      '/files/0/%/secret.txt',
      '/files/0/link-out.txt',
      '/files/0/dir-out/key.txt',
      '/files/0/dir-out/',
      '/files/1/secret.txt',
      '/files/0' + path.join(base, 'secret.txt'),
    ];
    for (const p of refused) {
      const r = await request(s.port, p);
      assert.equal(r.status, 404, `${p}: status ${r.status}`);
      assert.doesNotMatch(r.body, /SECRET/, p);
    }
    // Read-only.
    for (const m of ['POST', 'PUT', 'DELETE']) assert.equal((await request(s.port, '/files/0/sub/ok.txt', m)).status, 405, m);
    // A folder is listed with escaped names; the listing's links stay relative.
    fs.writeFileSync(path.join(root, 'sub', '<b>x.txt'), '');
    const listing = await request(s.port, '/files/0/sub/');
    assert.match(listing.body, /&lt;b&gt;x\.txt/);
    assert.doesNotMatch(listing.body, /<b>x/);
  } finally {
    await s.close();
  }
});

test('runs table: each status, stale runs, progress and ETA from steps.jsonl; survives corrupt and deleted runs', async () => {
  const root = path.join(base, 'statuses');
  const dirs = {
    completed: writeRun(root, { seed: 1, testTop1: [0.5, 0.7] }),
    diverged: writeRun(root, { seed: 2, testTop1: [0.5, null], status: 'diverged', message: 'non-finite loss' }),
    failed: writeRun(root, { seed: 3, testTop1: [0.4], status: 'failed', epochs: 4, message: 'out of memory' }),
    interrupted: writeRun(root, { seed: 4, testTop1: [0.4], status: 'interrupted', epochs: 4 }),
    stale: writeRun(root, { seed: 5, testTop1: [0.4], status: 'running', epochs: 4 }),
    running: writeRun(root, { seed: 6, testTop1: [0.6], status: 'running', epochs: 4 }),
  };
  // The live one: this process holds its lock. 16 batches per epoch, 4 epochs = 64 steps; the last
  // two step lines are 10 steps and 2 s apart, 200 ms per step, so 64 - 24 = 40 steps left are 8 s.
  const lock = lockRun(dirs.running);
  const line = (step: number, time: number): string =>
    JSON.stringify({ step, epoch: 2, batch: step - 16, batches: 16, loss: 1.5, lr: 0.1, stepMs: 150, imagesPerSec: 400, time }) + '\n';
  fs.writeFileSync(path.join(dirs.running, 'steps.jsonl'), line(14, 1000) + line(24, 3000) + '{"step":25');
  const s = await startServer({ dirs: [root], port: 0 });
  try {
    let rows = await runsOf(s);
    const by = (dir: string): RunSummary => rows.find((r) => r.runId === path.basename(dir))!;
    for (const st of ['completed', 'diverged', 'failed', 'interrupted', 'running'] as const) assert.equal(by(dirs[st]).status, st, st);
    assert.equal(by(dirs.stale).status, 'stale', 'running in the manifest but no live process');
    assert.equal(by(dirs.completed).progress, 1);
    assert.equal(by(dirs.completed).final, 0.7);
    assert.equal(by(dirs.diverged).message, 'non-finite loss');
    assert.equal(by(dirs.failed).progress, 0.25, '1 of 4 epochs');
    const live = by(dirs.running);
    assert.equal(live.step, 24);
    assert.equal(live.progress, 24 / 64);
    assert.ok(Math.abs(live.etaSeconds! - 8) < 1e-9, String(live.etaSeconds));

    // Corrupt a manifest and a metrics file, delete a run: the table shows the problems and goes on.
    fs.writeFileSync(path.join(dirs.failed, 'manifest.json'), '{"format": "gaf-lab-run/1", "runId": ');
    fs.writeFileSync(path.join(dirs.interrupted, 'metrics.jsonl'), 'not json\n');
    fs.rmSync(dirs.completed, { recursive: true });
    await new Promise((r) => setTimeout(r, 1100)); // past the one-second folder scan cache
    rows = await runsOf(s);
    assert.equal(rows.length, 5);
    const broken = rows.find((r) => r.rel === path.basename(dirs.failed))!;
    assert.equal(broken.status, 'unreadable');
    assert.match(broken.problem!, /manifest\.json: not valid JSON/);
    assert.match(by(dirs.interrupted).problem!, /metrics\.jsonl:1: not valid JSON/);
    assert.equal(
      rows.find((r) => r.runId === path.basename(dirs.completed)),
      undefined,
    );
    // Its files are gone from the file view too, and the curves endpoint skips what it cannot read.
    assert.equal((await request(s.port, `/files/0/${path.basename(dirs.completed)}/manifest.json`)).status, 404);
    const curves = await request(s.port, `/api/curves?keys=${encodeURIComponent(live.key)},0:nope`);
    const c = JSON.parse(curves.body) as { runs: { key: string; steps: { step: number }[] }[] };
    assert.deepEqual(
      c.runs.map((r) => [r.key, r.steps.map((p) => p.step)]),
      [[live.key, [14, 24]]],
    );
  } finally {
    lock.release();
    await s.close();
  }
});

test('sweep grid and figures gallery with provenance', async () => {
  const root = path.join(base, 'sweep');
  const a = writeRun(root, { seed: 1, testTop1: [0.9], under: 'grid' });
  fs.writeFileSync(
    path.join(root, 'grid', 'sweep.json'),
    JSON.stringify({
      format: 'gaf-lab-sweep/1',
      name: 'tiny',
      runs: [
        { runId: path.basename(a), point: { seed: 1, lr: 0.1 } },
        { runId: 'not-started-yet', point: { seed: 2, lr: 0.1 } },
      ],
    }),
  );
  fs.mkdirSync(path.join(root, 'figures'));
  fs.writeFileSync(path.join(root, 'figures', 'acc.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  fs.writeFileSync(
    path.join(root, 'figures', 'acc.provenance.json'),
    JSON.stringify({
      figure: 'acc',
      title: 'Accuracy',
      createdAt: '2025-01-02T00:00:00Z',
      gitCommit: 'abc',
      gitDirty: true,
      runCount: 1,
      command: 'gaf-lab figures',
    }),
  );
  const s = await startServer({ dirs: [root], port: 0 });
  try {
    const d = JSON.parse((await request(s.port, '/api/runs')).body) as {
      sweeps: { name: string; axes: string[]; cells: { runId: string; status: string }[] }[];
      figures: { image: string; title: string; gitDirty: boolean }[];
    };
    assert.equal(d.sweeps.length, 1);
    assert.deepEqual(d.sweeps[0]!.axes, ['seed'], 'lr takes one value: not an axis');
    assert.deepEqual(
      d.sweeps[0]!.cells.map((c) => c.status),
      ['completed', 'pending'],
    );
    assert.deepEqual(
      d.figures.map((f) => [f.image, f.title, f.gitDirty]),
      [[path.join('figures', 'acc.png'), 'Accuracy', true]],
    );
    const img = await request(s.port, '/files/0/figures/acc.png');
    assert.equal(img.headers['content-type'], 'image/png');
  } finally {
    await s.close();
  }
});

test('the compare endpoint gives the numbers `gaf-lab results --json` prints for the same folder', async () => {
  const root = path.join(base, 'compare');
  standardSweep(root);
  const cliMain = path.join(__dirname, '..', 'src', 'cli', 'main.js');
  const cli = spawnSync(process.execPath, [cliMain, 'results', root, '--json'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const expected = JSON.parse(cli.stdout) as { summary: unknown[]; comparison: unknown[]; runCount: number };
  const s = await startServer({ dirs: [root], port: 0 });
  try {
    const got = JSON.parse((await request(s.port, '/api/compare?root=0')).body) as typeof expected;
    assert.equal(got.runCount, 12);
    assert.deepEqual(got.summary, expected.summary);
    assert.deepEqual(got.comparison, expected.comparison);
    // A selection: the lenet runs only (keys from the runs table) give lenet's rows only.
    const rows = await runsOf(s);
    const lenet = rows.filter((r) => r.rel.includes('lenet')).map((r) => r.key);
    const sel = JSON.parse((await request(s.port, `/api/compare?root=0&keys=${encodeURIComponent(lenet.join(','))}`)).body) as {
      summary: { 'model.name': string }[];
      runCount: number;
    };
    assert.equal(sel.runCount, 6);
    assert.deepEqual([...new Set(sel.summary.map((r) => r['model.name']))], ['lenet']);
  } finally {
    await s.close();
  }
});

test('startServer refuses a folder that does not exist, naming it', async () => {
  await assert.rejects(startServer({ dirs: [path.join(base, 'absent')], port: 0 }), /absent is not a folder/);
});

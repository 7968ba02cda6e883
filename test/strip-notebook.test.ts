/**
 * scripts/strip-notebook.py removes exactly the volatile metadata of an executed notebook (run
 * timestamps, language version, widget state), keeps everything else, and is idempotent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'gaf-lab') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no gaf-lab package.json above ${__dirname}`);
  }
}
const SCRIPT = path.join(findRoot(), 'scripts', 'strip-notebook.py');
const PYTHON = process.env.JUPYTER_PYTHON ?? '/usr/bin/python3';

const strip = (...args: string[]) => spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8' });

/** An executed notebook as nbclient leaves it (shape of build/notebooks/*.ipynb). */
const executed = {
  cells: [
    { cell_type: 'markdown', id: 'title', metadata: {}, source: ['# Title'] },
    {
      cell_type: 'code',
      execution_count: 1,
      id: 'code',
      metadata: {
        execution: { 'iopub.execute_input': '2026-01-01T00:00:00.000Z', 'shell.execute_reply': '2026-01-01T00:00:01.000Z' },
        tags: ['keep-me'],
      },
      outputs: [
        { name: 'stdout', output_type: 'stream', text: ['héllo\n'] },
        { data: { 'image/png': 'iVBORw0KGgo=', 'text/plain': ['<figure>'] }, metadata: {}, output_type: 'display_data' },
      ],
      source: ["console.log('héllo')"],
    },
  ],
  metadata: {
    kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' },
    language_info: { file_extension: '.ts', mimetype: 'text/typescript', name: 'typescript', version: '5.0.4' },
    widgets: { 'application/vnd.jupyter.widget-state+json': { state: {} } },
  },
  nbformat: 4,
  nbformat_minor: 5,
};

test('strip-notebook.py removes timestamps, language version and widget state, and keeps the rest', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-strip-'));
  try {
    const file = path.join(dir, 'nb.ipynb');
    fs.writeFileSync(file, JSON.stringify(executed, null, 1));
    const run = strip(file);
    assert.equal(run.status, 0, `strip-notebook.py failed: ${run.stderr}`);
    assert.match(run.stdout, /removed 3 volatile metadata entries/);

    type Loose = {
      cells: { metadata: Record<string, unknown> }[];
      metadata: Record<string, unknown> & { language_info: Record<string, unknown> };
    };
    const want = structuredClone(executed) as unknown as Loose;
    delete want.metadata.widgets;
    delete want.metadata.language_info.version;
    delete want.cells[1]!.metadata.execution;
    const text = fs.readFileSync(file, 'utf8');
    assert.deepEqual(JSON.parse(text), want);
    // nbformat's layout: indent 1, non-ASCII kept as is, final newline.
    assert.ok(text.includes('"héllo\\n"') && text.endsWith('}\n') && text.startsWith('{\n "cells": [\n  {'), text.slice(0, 80));

    // Idempotent: a second run changes nothing (not a byte, not even the file's time).
    const mtime = fs.statSync(file).mtimeMs;
    const again = strip(file);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /already clean/);
    assert.equal(fs.readFileSync(file, 'utf8'), text);
    assert.equal(fs.statSync(file).mtimeMs, mtime);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('strip-notebook.py --check reports without writing; bad input is an error naming the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-strip-'));
  try {
    const file = path.join(dir, 'nb.ipynb');
    const original = JSON.stringify(executed);
    fs.writeFileSync(file, original);
    const check = strip('--check', file);
    assert.equal(check.status, 1, 'a notebook with volatile metadata fails --check');
    assert.match(check.stdout, /would remove 3 entries/);
    assert.equal(fs.readFileSync(file, 'utf8'), original, '--check must not write');

    const bad = path.join(dir, 'bad.ipynb');
    fs.writeFileSync(bad, '{"not": "a notebook"}');
    const res = strip(bad);
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a notebook`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

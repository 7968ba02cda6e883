/**
 * `gaf-lab serve`: a read-only local web app over run and sweep folders. Plain node:http; the
 * browser polls small JSON endpoints and draws with Vega-Lite (the vega and vega-lite browser
 * builds of node_modules, served by this server: nothing is fetched from elsewhere).
 *
 * Routes (GET and HEAD only):
 *   /                      the app (app.ts)
 *   /app.js, /vendor/...   its script and the vega builds
 *   /api/runs              the runs table, sweeps and figures, and problems found
 *   /api/curves?keys=K,K   step and epoch points of the selected runs
 *   /api/compare?root=I&keys=K,K&metric=M   the tables of `gaf-lab results --json` for those runs
 *   /files/I/PATH          a file or folder listing inside served folder I (safe-path.ts)
 * @module
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { loadRuns } from '../results/load';
import { resultsTables, tableRows } from '../reports/results-tables';
import { APP_HTML, APP_JS } from './app';
import { epochPoints, StepFollower, thin } from './curves';
import { figureEntry, scanFolders, sweepGrid, type Root } from './folders';
import { RunSummaries, type RunSummary } from './run-summary';
import { resolveInside } from './safe-path';

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** Run or sweep folders to serve (at least one). */
  dirs: readonly string[];
  /** Port; 0 picks a free one (default {@link DEFAULT_PORT}). */
  port?: number;
  /** Address to listen on; default 127.0.0.1 (this machine only). */
  host?: string;
  /** Points per run and curve sent to the browser (default 1500). */
  maxPoints?: number;
}

/** The port `gaf-lab serve` listens on unless told otherwise. */
export const DEFAULT_PORT = 8642;
/** The address it binds unless told otherwise: this machine only. */
export const DEFAULT_HOST = '127.0.0.1';

/** A running server. */
export interface RunningServer {
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.yml': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
};

// Vega compiles its expressions with `new Function`, hence 'unsafe-eval'; nothing else is allowed off this server.
const CSP =
  "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

/** The browser build of a vega package, found where Node would find the package. */
function vendorFile(pkg: string, file: string): string | null {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const p = path.join(dir, pkg, 'build', file);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

const VENDOR: Record<string, [string, string]> = {
  '/vendor/vega.js': ['vega', 'vega.min.js'],
  '/vendor/vega-lite.js': ['vega-lite', 'vega-lite.min.js'],
};

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The dashboard's state: roots, the cached runs table and the followed step files. */
class Dashboard {
  readonly roots: Root[];
  private readonly summaries = new RunSummaries();
  private readonly follower = new StepFollower();
  private lastScan: { at: number; scan: ReturnType<typeof scanFolders> } | null = null;
  /** Run id of each key, from the last runs table. */
  private runIds = new Map<string, string>();

  constructor(
    dirs: readonly string[],
    private readonly maxPoints: number,
  ) {
    this.roots = dirs.map((given, index) => ({ index, given, abs: path.resolve(given) }));
  }

  /** The folder scan, reused for a second (every open page polls). */
  private scan(): ReturnType<typeof scanFolders> {
    const now = Date.now();
    if (!this.lastScan || now - this.lastScan.at > 1000) this.lastScan = { at: now, scan: scanFolders(this.roots) };
    return this.lastScan.scan;
  }

  runs(): object {
    const scan = this.scan();
    const rows: RunSummary[] = scan.runs.map((r) => this.summaries.get(`${r.root}:${r.rel}`, r.root, r.rel, r.dir));
    this.summaries.keepOnly(new Set(rows.map((r) => r.key)));
    this.runIds = new Map(rows.map((r) => [r.key, r.runId]));
    const byKey = new Map(rows.map((r) => [r.key, r]));
    const sweeps = scan.sweeps.map(sweepGrid).map((g) => ({
      ...g,
      cells: g.cells.map((c) => {
        const row = c.key ? byKey.get(c.key) : undefined;
        return { ...c, status: row?.status ?? 'pending', final: row?.final ?? null, progress: row?.progress ?? 0 };
      }),
    }));
    return {
      roots: this.roots.map((r) => ({ index: r.index, given: r.given })),
      runs: rows,
      sweeps,
      figures: scan.figures.map(figureEntry),
      problems: scan.problems,
      time: new Date().toISOString(),
    };
  }

  private dirOf(key: string): string | null {
    const m = /^(\d+):(.*)$/.exec(key);
    const root = m ? this.roots[Number(m[1])] : undefined;
    return root ? resolveInside(root.abs, m![2]!.split(path.sep).map(encodeURIComponent).join('/')) : null;
  }

  curves(keys: string[]): object {
    return {
      runs: keys.flatMap((key) => {
        const dir = this.dirOf(key);
        if (!dir) return [];
        return [{ key, steps: thin(this.follower.points(key, dir), this.maxPoints), epochs: epochPoints(dir) }];
      }),
    };
  }

  compare(rootIndex: number, keys: string[] | null, metric: string): object {
    const root = this.roots[rootIndex];
    if (!root) return { error: `no served folder ${rootIndex}` };
    // Run ids name a config and seed, so they pick the same runs as the folders do.
    if (keys && this.runIds.size === 0) this.runs();
    const wanted = keys ? new Set(keys.map((k) => this.runIds.get(k)).filter((d): d is string => d !== undefined)) : null;
    try {
      const runs = loadRuns(root.abs, wanted ? { filter: (m) => wanted.has(m.runId) } : {});
      const t = resultsTables(runs, { metric });
      return {
        dir: root.given,
        runCount: t.runCount,
        duplicates: t.duplicates,
        metric: t.metric,
        by: t.by,
        summary: tableRows(t.summary),
        comparison: t.comparison ? tableRows(t.comparison) : null,
        comparisonBy: t.comparisonBy,
        comparisonNote: t.comparisonNote,
      };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  /** A file (streamed) or a folder listing inside root `rootIndex`, or a 404. */
  file(req: http.IncomingMessage, res: http.ServerResponse, rootIndex: number, rest: string): void {
    const root = this.roots[rootIndex];
    const target = root ? resolveInside(root.abs, rest) : null;
    if (!target) return send(res, 404, 'text/plain; charset=utf-8', 'not found (or outside the served folders)\n');
    let st: fs.Stats;
    try {
      st = fs.statSync(target);
    } catch {
      return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
    if (st.isDirectory()) {
      if (!rest.endsWith('/') && rest !== '') {
        res.writeHead(301, { Location: `/files/${rootIndex}/${rest}/` });
        return void res.end();
      }
      let names: fs.Dirent[];
      try {
        names = fs.readdirSync(target, { withFileTypes: true });
      } catch {
        return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      }
      const items = names
        .filter((e) => !e.name.startsWith('.'))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((e) => {
          const n = e.name + (e.isDirectory() ? '/' : '');
          return `<li><a href="${encodeURIComponent(e.name)}${e.isDirectory() ? '/' : ''}">${escapeHtml(n)}</a></li>`;
        });
      const title = escapeHtml(path.join(root!.given, decodeURIComponent(rest)));
      const body = `<!doctype html><meta charset="utf-8"><title>${title}</title><p><a href="/">dashboard</a> · <a href="../">up</a></p><h1>${title}</h1><ul>${items.join('')}</ul>`;
      return send(res, 200, TYPES['.html']!, body);
    }
    if (!st.isFile()) return send(res, 404, 'text/plain; charset=utf-8', 'not a file\n');
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': st.size,
    });
    if (req.method === 'HEAD') return void res.end();
    const stream = fs.createReadStream(target);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

const json = (res: http.ServerResponse, v: unknown): void => send(res, 200, TYPES['.json']!, JSON.stringify(v));

const keysOf = (u: URL): string[] =>
  (u.searchParams.get('keys') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);

/**
 * Starts the dashboard over `options.dirs`. Refuses a folder that does not exist. Resolves once
 * it listens; `close()` stops it.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  if (options.dirs.length === 0) throw new Error('serve: give at least one run or sweep folder.');
  for (const d of options.dirs) {
    if (!fs.existsSync(d) || !fs.statSync(d).isDirectory())
      throw new Error(`serve: ${d} is not a folder. Give the outDir of runs or a sweep folder (e.g. runs/).`);
  }
  const board = new Dashboard(options.dirs, options.maxPoints ?? 1500);
  const server = http.createServer((req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'read-only: GET and HEAD only\n');
    }
    try {
      // The raw path is kept (not URL-normalised) so that safe-path.ts sees every `..` the client sent.
      const raw = (req.url ?? '/').split('?')[0]!;
      const u = new URL(req.url ?? '/', 'http://localhost');
      if (raw === '/' || raw === '/index.html') return send(res, 200, TYPES['.html']!, APP_HTML);
      if (raw === '/app.js') return send(res, 200, TYPES['.js']!, APP_JS);
      const vendor = VENDOR[raw];
      if (vendor) {
        const file = vendorFile(vendor[0], vendor[1]);
        if (!file) return send(res, 500, 'text/plain; charset=utf-8', `${vendor[0]} is not installed: run npm ci\n`);
        res.writeHead(200, { 'Content-Type': TYPES['.js']!, 'Cache-Control': 'max-age=3600' });
        return void fs.createReadStream(file).pipe(res);
      }
      if (raw === '/api/runs') return json(res, board.runs());
      if (raw === '/api/curves') return json(res, board.curves(keysOf(u)));
      if (raw === '/api/compare') {
        const keys = keysOf(u);
        return json(
          res,
          board.compare(Number(u.searchParams.get('root') ?? 0), keys.length ? keys : null, u.searchParams.get('metric') ?? 'testTop1'),
        );
      }
      const m = /^\/files\/(\d+)(?:\/(.*))?$/.exec(raw);
      if (m && m[2] === undefined) {
        // A folder's links are relative: its URL must end with a slash.
        res.writeHead(301, { Location: `/files/${m[1]}/` });
        return void res.end();
      }
      if (m) return board.file(req, res, Number(m[1]), m[2]!);
      return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    } catch (e) {
      // Whatever a folder holds, the server answers and keeps serving.
      return send(res, 500, 'text/plain; charset=utf-8', `error: ${(e as Error).message}\n`);
    }
  });
  const host = options.host ?? DEFAULT_HOST;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (options.port ?? DEFAULT_PORT);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Downloads MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100 from their official addresses into
 * the data folder, verifying the official MD5 checksums. Each file is written to a temporary
 * name and renamed into place only once complete and verified, so an interrupted or corrupted
 * download never leaves a file that looks valid. Files already present with the right checksum
 * are not downloaded again. CIFAR archives are kept and also extracted (atomically) next to
 * them, so loading does not have to decompress 160 MB each time.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bytes } from './errors';
import { gunzipIfNeeded } from './gzip';
import { defaultDataDir } from './paths';
import { readTar } from './tar';

/** Names accepted by {@link downloadDataset}. */
export type DownloadableDataset = 'mnist' | 'fashion-mnist' | 'cifar-10' | 'cifar-100';

/** Where a dataset comes from and where it goes. */
export interface DatasetSource {
  title: string;
  /** Official base address; file URLs are base + file name. */
  baseUrl: string;
  /** Folder under the data folder the files go to (`''`: the data folder itself). */
  folder: string;
  /** File names and their official MD5 checksums. */
  files: readonly { name: string; md5: string }[];
  /** For archives: the folder inside the archive to extract. */
  extract?: string;
  /** An extra way to get the data, for the offline message. */
  alternative?: string;
}

/**
 * The official sources. MD5s: MNIST and Fashion-MNIST as listed in torchvision's dataset
 * classes; CIFAR as published on https://www.cs.toronto.edu/~kriz/cifar.html.
 */
export const DATASET_SOURCES: Readonly<Record<DownloadableDataset, DatasetSource>> = Object.freeze({
  mnist: {
    title: 'MNIST',
    baseUrl: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
    folder: 'mnist',
    files: [
      { name: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
      { name: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
      { name: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3' },
      { name: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
    ],
  },
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    baseUrl: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    folder: 'fashion-mnist',
    files: [
      { name: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
      { name: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe' },
      { name: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79' },
      { name: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
    ],
    alternative:
      'On Debian/Ubuntu, `apt-get install dataset-fashion-mnist` installs it in /usr/share/datasets/fashion-mnist/, ' +
      'where loadFashionMnist finds it without downloading.',
  },
  'cifar-10': {
    title: 'CIFAR-10',
    baseUrl: 'https://www.cs.toronto.edu/~kriz/',
    folder: '',
    files: [{ name: 'cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530' }],
    extract: 'cifar-10-batches-bin',
  },
  'cifar-100': {
    title: 'CIFAR-100',
    baseUrl: 'https://www.cs.toronto.edu/~kriz/',
    folder: '',
    files: [{ name: 'cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8' }],
    extract: 'cifar-100-binary',
  },
});

/** Options of {@link downloadDataset}. */
export interface DownloadOptions {
  /** Data folder (default `$GAF_DATA_DIR`, else `<repo>/data`). */
  dataDir?: string;
  /** Replaces the official base address (a mirror, or a local server in tests). */
  baseUrl?: string;
  /** Replaces the official MD5 of the named files (for mirrors serving other files, and tests). */
  checksums?: Record<string, string>;
  /** Abort when no data arrives for this long (default 60,000 ms). */
  idleTimeoutMs?: number;
  /** Download again even when a file with the right checksum is present. */
  force?: boolean;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
}

/** One file of a download. */
export interface DownloadedFile {
  path: string;
  url: string;
  md5: string;
  bytes: number;
  /** True when the file was already present with the right checksum. */
  reused: boolean;
}

/** What {@link downloadDataset} did. */
export interface DownloadResult {
  dataset: DownloadableDataset;
  /** Folder holding the files. */
  dir: string;
  files: DownloadedFile[];
  /** The folder extracted from the archive (CIFAR). */
  extracted?: string;
}

/** The files to fetch: URL, destination and expected MD5, after applying the options. */
export function downloadPlan(
  name: DownloadableDataset,
  opts: Pick<DownloadOptions, 'dataDir' | 'baseUrl' | 'checksums'> = {},
): { source: DatasetSource; dir: string; files: { url: string; dest: string; md5: string; name: string }[] } {
  const source = (DATASET_SOURCES as Record<string, DatasetSource | undefined>)[name];
  if (!source) {
    throw new Error(`downloadDataset: unknown dataset ${JSON.stringify(name)}; known: ${Object.keys(DATASET_SOURCES).join(', ')}.`);
  }
  const dir = path.join(path.resolve(opts.dataDir ?? defaultDataDir()), source.folder);
  const base = (opts.baseUrl ?? source.baseUrl).replace(/\/?$/, '/');
  const files = source.files.map((f) => ({
    name: f.name,
    url: base + f.name,
    dest: path.join(dir, f.name),
    md5: (opts.checksums?.[f.name] ?? f.md5).toLowerCase(),
  }));
  return { source, dir, files };
}

async function md5File(file: string): Promise<string> {
  const h = crypto.createHash('md5');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function tempName(dest: string): string {
  return `${dest}.part-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

/** The reason a fetch failed, in words (undici hides the network error in `cause`). */
function networkReason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return 'timed out waiting for data';
  const code = err.cause?.code;
  const known: Record<string, string> = {
    ENOTFOUND: 'host name not found (no network or no DNS)',
    EAI_AGAIN: 'host name lookup failed (no network or no DNS)',
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'connection timed out',
    ENETUNREACH: 'network unreachable',
    EHOSTUNREACH: 'host unreachable',
  };
  if (code && known[code]) return `${known[code]} (${code})`;
  return err.cause?.message ?? err.message;
}

/** Fetches `url` into `dest` via a temporary file, checking the MD5 before renaming. */
async function fetchVerified(url: string, dest: string, md5: string, idleMs: number, log: (m: string) => void): Promise<number> {
  const tmp = tempName(dest);
  const ctrl = new AbortController();
  let timer = setTimeout(() => ctrl.abort(), idleMs);
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => ctrl.abort(), idleMs);
  };
  let fh: fs.promises.FileHandle | undefined;
  try {
    const res = await fetch(url, { signal: ctrl.signal, redirect: 'follow' });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    const expected = Number(res.headers.get('content-length') ?? NaN);
    const hash = crypto.createHash('md5');
    fh = await fs.promises.open(tmp, 'w');
    let n = 0;
    let lastLog = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      touch();
      hash.update(chunk);
      await fh.write(chunk);
      n += chunk.length;
      if (n - lastLog >= 16 << 20) {
        lastLog = n;
        log(`  ${path.basename(dest)}: ${(n / 1048576).toFixed(0)} MiB${Number.isFinite(expected) ? ` of ${(expected / 1048576).toFixed(0)}` : ''}`);
      }
    }
    await fh.close();
    fh = undefined;
    if (Number.isFinite(expected) && n !== expected) throw new Error(`incomplete: got ${bytes(n)} of ${bytes(expected)}`);
    const got = hash.digest('hex');
    if (got !== md5) {
      throw new Error(
        `checksum mismatch: MD5 ${got}, expected ${md5} (${bytes(n)} received). The file was corrupted in ` +
          'transit or the server sent something else; try again',
      );
    }
    await fs.promises.rename(tmp, dest);
    return n;
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Extracts the members under `folder/` of a (gzipped) tar into `root/folder`, atomically. */
async function extractFolder(archive: string, root: string, folder: string): Promise<string> {
  const entries = readTar(gunzipIfNeeded(await fs.promises.readFile(archive), archive), archive);
  const target = path.join(root, folder);
  const tmp = tempName(target);
  try {
    let n = 0;
    for (const e of entries) {
      if (e.type !== 'file' || !e.name.startsWith(`${folder}/`)) continue;
      const rel = e.name.slice(folder.length + 1);
      // Never write outside the target folder, whatever the archive says.
      if (rel === '' || rel.split('/').some((p) => p === '..' || p === '') || path.isAbsolute(rel)) continue;
      const out = path.join(tmp, ...rel.split('/'));
      await fs.promises.mkdir(path.dirname(out), { recursive: true });
      await fs.promises.writeFile(out, e.data);
      n++;
    }
    if (n === 0) throw new Error(`${archive} has no files under ${folder}/; is it the official archive?`);
    await fs.promises.rm(target, { recursive: true, force: true });
    await fs.promises.rename(tmp, target);
    return target;
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Downloads a dataset into the data folder and verifies it. Offline (or on any failure), the
 * error says which URLs to fetch by hand, their MD5s, and where to put the files.
 *
 * @example
 * await downloadDataset('cifar-10', { log: console.log });
 * const train = loadCifar10({ split: 'train', pixels: 'uint8' });
 */
export async function downloadDataset(name: DownloadableDataset, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const { source, dir, files } = downloadPlan(name, opts);
  const log = opts.log ?? ((): void => undefined);
  const idle = opts.idleTimeoutMs ?? 60000;
  await fs.promises.mkdir(dir, { recursive: true });
  const done: DownloadedFile[] = [];
  for (const f of files) {
    if (!opts.force && fs.existsSync(f.dest)) {
      if ((await md5File(f.dest)) === f.md5) {
        log(`${f.dest}: present, checksum OK`);
        done.push({ path: f.dest, url: f.url, md5: f.md5, bytes: fs.statSync(f.dest).size, reused: true });
        continue;
      }
      log(`${f.dest}: present but its checksum is wrong; downloading it again`);
    }
    log(`downloading ${f.url}`);
    try {
      const n = await fetchVerified(f.url, f.dest, f.md5, idle, log);
      done.push({ path: f.dest, url: f.url, md5: f.md5, bytes: n, reused: false });
    } catch (e) {
      const manual = files.map((x) => `  ${x.url}  (MD5 ${x.md5})`).join('\n');
      throw new Error(
        `Could not download ${source.title}: ${f.url}: ${networkReason(e)}.\n` +
          `If this machine is offline, download these files by hand on one that is not:\n${manual}\n` +
          `and put them in ${dir}/` +
          (source.extract ? ` (the archive is read as it is; extracting it there is optional).` : '.') +
          (source.alternative ? `\n${source.alternative}` : ''),
      );
    }
  }
  const result: DownloadResult = { dataset: name, dir, files: done };
  if (source.extract) {
    const target = path.join(dir, source.extract);
    if (opts.force || done.some((d) => !d.reused) || !fs.existsSync(target)) {
      log(`extracting ${source.extract}/`);
      result.extracted = await extractFolder(done[0].path, dir, source.extract);
    } else {
      result.extracted = target;
    }
  }
  return result;
}

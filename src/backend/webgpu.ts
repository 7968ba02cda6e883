/**
 * The WebGPU route: finding the GPU adapter, saying what it is, and deciding whether gaf-lab
 * may use it without being asked.
 *
 * In Node the GPU comes from the `webgpu` package (Google's Dawn, prebuilt inside the npm
 * tarball: Vulkan on Linux, Metal on macOS, D3D12 on Windows), which `@tensorflow/tfjs-backend-webgpu`
 * runs on. Where the host already provides `navigator.gpu` (a browser, Deno, or a caller that set
 * one up) that one is used as it is.
 *
 * A software adapter (Mesa's llvmpipe/lavapipe, SwiftShader, WARP) computes correctly but far
 * slower than wasm on the same CPU, so it is used only on explicit request.
 * @module
 */
import { spawnSync } from 'node:child_process';

/** What the WebGPU adapter is and the limits that decide which tensors fit. */
export interface WebGpuAdapterReport {
  /** e.g. "nvidia", "apple", "mesa". */
  vendor: string;
  /** e.g. "ampere", "common-3", or "software" for a CPU rasteriser. */
  architecture: string;
  /** The driver's description, e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)". */
  description: string;
  /** True for an adapter that computes on the CPU (see {@link isSoftwareAdapter}). */
  isSoftware: boolean;
  /** Largest single GPU buffer, bytes: the largest tensor the backend can hold. */
  maxBufferSize: number;
  /** Largest buffer one shader may bind, bytes: the largest tensor one kernel may read or write. */
  maxStorageBufferBindingSize: number;
}

/** The outcome of looking for a WebGPU adapter. */
export type WebGpuDiscovery =
  { found: true; adapter: WebGpuAdapterReport; source: string } | { found: false; reason: string; source: string };

/** The slice of the WebGPU API this module reads (the `webgpu` package and browsers both have it). */
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; device?: string };
  isFallbackAdapter?: boolean;
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

/** Descriptions of the CPU rasterisers WebGPU implementations fall back to. */
const SOFTWARE_DESCRIPTION = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bwarp\b/i;

/**
 * True when the adapter computes on the CPU: WebGPU's own flags (architecture "software",
 * `isFallbackAdapter`), or a description naming a known CPU rasteriser.
 */
export function isSoftwareAdapter(info: { architecture?: string; description?: string; device?: string }, isFallback = false): boolean {
  return (
    isFallback ||
    (info.architecture ?? '').toLowerCase() === 'software' ||
    SOFTWARE_DESCRIPTION.test(info.description ?? '') ||
    SOFTWARE_DESCRIPTION.test(info.device ?? '')
  );
}

/** The adapter's report from what the WebGPU API returns. */
export function adapterReport(adapter: GpuAdapterLike): WebGpuAdapterReport {
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor || 'unknown',
    architecture: info.architecture || 'unknown',
    description: info.description || info.device || 'unknown',
    isSoftware: isSoftwareAdapter(info, adapter.isFallbackAdapter === true),
    maxBufferSize: Number(adapter.limits.maxBufferSize),
    maxStorageBufferBindingSize: Number(adapter.limits.maxStorageBufferBindingSize),
  };
}

/** One line for reports: what the adapter is and its limits. */
export function describeAdapter(a: WebGpuAdapterReport): string {
  const mib = (b: number): string => `${Math.round(b / 2 ** 20)} MiB`;
  return (
    `${a.vendor} ${a.architecture} "${a.description}"${a.isSoftware ? ' (software: runs on the CPU)' : ''}; ` +
    `maxBufferSize ${mib(a.maxBufferSize)}, maxStorageBufferBindingSize ${mib(a.maxStorageBufferBindingSize)}`
  );
}

/** What to install when no adapter is found, for this platform. */
export function noAdapterHint(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'linux') {
    return (
      "Dawn found no Vulkan adapter: it needs the Vulkan loader (libvulkan1) and a Vulkan driver, the GPU vendor's " +
      "(NVIDIA driver, mesa-vulkan-drivers for AMD/Intel) or, to test without a GPU, Mesa 25's software driver " +
      "(apt-get install -t bookworm-backports mesa-vulkan-drivers; Debian 12's own Mesa 22 is rejected by Dawn)"
    );
  }
  if (platform === 'darwin') return 'Dawn found no Metal adapter (macOS 10.15 or newer with a Metal GPU is needed)';
  if (platform === 'win32') return 'Dawn found no D3D12 adapter (Windows 10 or newer with a D3D12 driver is needed)';
  return `the webgpu package has no Dawn build for ${platform}`;
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}

/** The `webgpu` package's version, or undefined when it is not installed. */
function webgpuPackageVersion(): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional at run time; absent means "not installed"
    return (require('webgpu/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

function hostGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu;
}

/**
 * Makes `navigator.gpu` (and the WebGPU constants such as `GPUBufferUsage` that
 * tfjs-backend-webgpu reads) available in this process, from the `webgpu` package unless the
 * host already has them. Must run before `@tensorflow/tfjs-backend-webgpu` is loaded: it registers
 * its backend only when `navigator.gpu` exists at that moment.
 * @returns where the GPU comes from.
 */
export function installWebGpu(): string {
  if (hostGpu()) return 'navigator.gpu of the host';
  const version = webgpuPackageVersion();
  if (version === undefined) throw new Error('the webgpu package is not installed (reinstall dependencies with "npm ci")');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the native Dawn module only when WebGPU is wanted
  const dawn = require('webgpu') as { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const g = globalThis as { navigator?: object };
  // Node 21+ has a global navigator without gpu; Node 20 has none.
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return `webgpu@${version} (Dawn)`;
}

/** Asks `gpu` for its high-performance adapter (what tfjs-backend-webgpu asks for too). */
async function queryAdapter(gpu: GpuLike, source: string): Promise<WebGpuDiscovery> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { found: false, source, reason: `${source}: no adapter. ${noAdapterHint()}` };
  return { found: true, source, adapter: adapterReport(adapter) };
}

/**
 * Finds the adapter in this process, installing Dawn first when the host has no
 * `navigator.gpu`. Used when WebGPU was asked for; {@link probeWebGpu} is the safe look for
 * automatic choice.
 */
export async function discoverWebGpu(): Promise<WebGpuDiscovery> {
  let source: string;
  try {
    source = installWebGpu();
  } catch (e) {
    return { found: false, source: 'webgpu', reason: errorText(e) };
  }
  try {
    return await queryAdapter(hostGpu()!, source);
  } catch (e) {
    return { found: false, source, reason: `${source}: requesting an adapter failed: ${errorText(e)}` };
  }
}

/** Runs in a child Node process: loads Dawn, asks for the adapter, prints one JSON line. */
const PROBE_SCRIPT = `
const { create, globals } = require(process.argv[1]);
Object.assign(globalThis, globals);
create([]).requestAdapter({ powerPreference: 'high-performance' }).then(
  (a) => { process.stdout.write(JSON.stringify(a ? { info: { vendor: a.info.vendor, architecture: a.info.architecture,
    description: a.info.description, device: a.info.device }, isFallbackAdapter: a.isFallbackAdapter === true,
    limits: { maxBufferSize: a.limits.maxBufferSize, maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize } } : null)); process.exit(0); },
  (e) => { process.stdout.write(JSON.stringify({ error: String(e && e.message || e) })); process.exit(0); });`;

/** How long the probe may take: lavapipe answers in about 0.1 s; a GPU driver's first start can take seconds. */
const PROBE_TIMEOUT_MS = 30_000;

/**
 * Looks for an adapter without touching this process: when the host has `navigator.gpu` it is
 * asked directly; otherwise Dawn is loaded in a child Node process. A driver that crashes or
 * hangs then costs a reason in the report instead of the process, and the messages Dawn and
 * the Vulkan driver print stay out of every command that only wanted a backend chosen.
 */
export async function probeWebGpu(): Promise<WebGpuDiscovery> {
  const host = hostGpu();
  if (host) {
    try {
      return await queryAdapter(host, 'navigator.gpu of the host');
    } catch (e) {
      return { found: false, source: 'navigator.gpu of the host', reason: `requesting an adapter failed: ${errorText(e)}` };
    }
  }
  const version = webgpuPackageVersion();
  if (version === undefined)
    return { found: false, source: 'webgpu', reason: 'the webgpu package is not installed (reinstall dependencies with "npm ci")' };
  const source = `webgpu@${version} (Dawn)`;
  const p = spawnSync(process.execPath, ['-e', PROBE_SCRIPT, require.resolve('webgpu')], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (p.error || p.status !== 0) {
    const why = p.error ? errorText(p.error) : p.signal ? `killed by ${p.signal}` : `exit code ${p.status}`;
    const stderr = (p.stderr ?? '').trim().split('\n').slice(-1)[0] ?? '';
    return { found: false, source, reason: `${source}: the adapter probe failed (${why})${stderr ? `: ${stderr.slice(0, 200)}` : ''}` };
  }
  let answer: (GpuAdapterLike & { error?: string }) | null;
  try {
    answer = JSON.parse(p.stdout) as (GpuAdapterLike & { error?: string }) | null;
  } catch {
    return { found: false, source, reason: `${source}: the adapter probe printed no answer` };
  }
  if (answer === null) return { found: false, source, reason: `${source}: no adapter. ${noAdapterHint()}` };
  if (answer.error !== undefined) return { found: false, source, reason: `${source}: requesting an adapter failed: ${answer.error}` };
  return { found: true, source, adapter: adapterReport(answer) };
}

/**
 * Whether WebGPU is to be used, and why: always when asked for and an adapter exists; without
 * a request only on a hardware adapter (a software one is slower than wasm on the same CPU).
 */
export function decideWebGpu(d: WebGpuDiscovery, requested: boolean): { use: boolean; reason: string } {
  if (!d.found) return { use: false, reason: d.reason };
  const what = `${d.source}: ${describeAdapter(d.adapter)}`;
  if (requested) return { use: true, reason: `${what}; requested` };
  if (d.adapter.isSoftware) {
    return {
      use: false,
      reason: `${what}; not used automatically: a software adapter is slower than wasm (request it with GAF_BACKEND=webgpu, e.g. for correctness tests)`,
    };
  }
  return { use: true, reason: `${what}; a hardware adapter` };
}

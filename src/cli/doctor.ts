import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, formatBackendReport } from '../backend/init';
import { describeAdapter, probeWebGpu } from '../backend/webgpu';
import { packageRoot } from '../provenance/index';
import { parseCommandLine } from './args';
import { dataCommand } from './data';

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

/**
 * Whether `version` (e.g. 20.20.2) is in an engines range made of `^A.B.C` and `>=A.B.C` parts
 * joined by `||`, the shape package.json uses. A part of another shape counts as satisfied: the
 * doctor reports, npm enforces.
 */
export function satisfiesEngines(version: string, range: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  const key = (a: number, b: number, c: number): number => (a * 1000 + b) * 1000 + c;
  return range.split('||').some((part) => {
    const m = /^(\^|>=)\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(part.trim());
    if (!m) return true;
    const [a, b, c] = [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)];
    const atLeast = key(major, minor, patch) >= key(a, b, c);
    return m[1] === '^' ? major === a && atLeast : atLeast;
  });
}

const line = (ok: boolean, what: string, detail: string): void => console.log(`${ok ? '[ok]  ' : '[--]  '}${what}: ${detail}`);

/** Usage of `gaf-lab doctor`. */
export const DOCTOR_USAGE = `gaf-lab doctor

Prints what this machine has for gaf-lab and what to do about what it lacks: Node, the
TensorFlow.js backends, the WebGPU adapter, GPU libraries, Jupyter and the tslab kernel, and
the datasets.`;

/** Vulkan ICD manifests the loader reads (VK_ICD_FILENAMES / VK_DRIVER_FILES replace the defaults). */
function vulkanDrivers(): string[] {
  const given = process.env['VK_DRIVER_FILES'] ?? process.env['VK_ICD_FILENAMES'];
  if (given)
    return given
      .split(path.delimiter)
      .filter(Boolean)
      .map((f) => path.basename(f));
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.json')) : []));
}

/** The WebGPU adapter (looked for in a child process, as automatic backend choice does) and, on Linux, its Vulkan parts. */
async function webgpuSection(): Promise<void> {
  console.log('\nWebGPU (@tensorflow/tfjs-backend-webgpu on Dawn: Vulkan, Metal or D3D12)');
  const d = await probeWebGpu();
  if (d.found) {
    const a = d.adapter;
    line(!a.isSoftware, 'adapter', `${describeAdapter(a)}${a.isSoftware ? '; used only with GAF_BACKEND=webgpu (tests, not speed)' : ''}`);
  } else {
    line(false, 'adapter', d.reason);
  }
  if (os.platform() !== 'linux') return;
  const ld = run('ldconfig', ['-p']) ?? '';
  line(ld.includes('libvulkan.so.1'), 'libvulkan.so.1', ld.includes('libvulkan.so.1') ? 'found' : 'missing: apt-get install libvulkan1');
  const icds = vulkanDrivers();
  line(icds.length > 0, 'Vulkan drivers', icds.length > 0 ? icds.join(', ') : 'none: install the GPU driver (or mesa-vulkan-drivers)');
}

/** `gaf-lab doctor`: what this machine has for gaf-lab, and what to do about what it lacks. */
export async function doctorCommand(argv: readonly string[] = []): Promise<number> {
  parseCommandLine(argv, {}, { min: 0, max: 0, what: 'no arguments (gaf-lab doctor)' });
  const root = packageRoot();
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; engines?: { node?: string } };
  console.log(`gaf-lab ${pkg.version} at ${root}`);
  const range = pkg.engines?.node ?? '';
  const nodeOk = satisfiesEngines(process.versions.node, range);
  line(
    nodeOk,
    'Node.js',
    `${process.version} on ${os.platform()}-${os.arch()}, ${os.cpus().length} CPUs${nodeOk ? '' : `; package.json needs ${range} (see .nvmrc)`}`,
  );
  console.log('\nBackends');
  try {
    console.log(formatBackendReport(await initBackend()));
  } catch (e) {
    line(false, 'backend', e instanceof Error ? e.message : String(e));
  }
  await webgpuSection();
  console.log('\nGPU libraries (needed only for @tensorflow/tfjs-node-gpu: CUDA 11.2, cuDNN 8.1)');
  const smi = run('nvidia-smi', ['-L']);
  line(smi !== undefined, 'NVIDIA GPU', smi ?? 'nvidia-smi not found');
  const ld = run('ldconfig', ['-p']) ?? '';
  for (const lib of ['libcudart.so.11.0', 'libcudnn.so.8'])
    line(ld.includes(lib), lib, ld.includes(lib) ? 'found' : 'not on the library path');
  console.log('\nJupyter and the tslab kernel');
  const nb = run('/usr/bin/python3', ['-c', 'import nbclient, nbconvert; print(nbconvert.__version__)']);
  line(nb !== undefined, "Debian's Jupyter (nbconvert)", nb ? `nbconvert ${nb}` : 'missing: bash scripts/setup-jupyter.sh');
  const kernel = path.join(root, '.jupyter-kernels', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json');
  const kernelAlt = path.join(root, '.jupyter-kernels', 'kernels', 'tslab', 'kernel.json');
  const hasKernel = fs.existsSync(kernel) || fs.existsSync(kernelAlt);
  line(hasKernel, 'tslab kernel', hasKernel ? 'registered in .jupyter-kernels/' : 'not registered: bash scripts/setup-jupyter.sh');
  const link = fs.existsSync(path.join(root, 'node_modules', 'gaf-lab'));
  line(link, "notebooks' link node_modules/gaf-lab", link ? 'present' : 'missing: node scripts/link-self.js');
  console.log('\nDatasets');
  await dataCommand(['check']);
  return 0;
}

/**
 * {@link doctorCommand} for notebooks and scripts: prints the report and returns nothing. Paths
 * inside the repository are shown relative to it (`relativePaths`, default true), so an output
 * committed with a notebook does not name the folders of the machine that ran it.
 */
export async function doctor(options: { relativePaths?: boolean } = {}): Promise<void> {
  if (options.relativePaths === false) return void (await doctorCommand());
  const root = packageRoot();
  const relative = (v: unknown): unknown => (typeof v === 'string' ? v.split(`${root}${path.sep}`).join('').split(root).join('.') : v);
  const log = console.log;
  console.log = (...args: unknown[]) => log(...args.map(relative));
  try {
    await doctorCommand();
  } finally {
    console.log = log;
  }
}

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, formatBackendReport } from '../backend/init';
import { packageRoot } from '../data/paths';
import { dataCommand } from './data';

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

const line = (ok: boolean, what: string, detail: string): void => console.log(`${ok ? '[ok]  ' : '[--]  '}${what}: ${detail}`);

/** `gaf-lab doctor`: what this machine has for gaf-lab, and what to do about what it lacks. */
export async function doctorCommand(): Promise<number> {
  const root = packageRoot();
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  console.log(`gaf-lab ${pkg.version} at ${root}`);
  line(Number(process.versions.node.split('.')[0]) >= 20, 'Node.js', `${process.version} on ${os.platform()}-${os.arch()}, ${os.cpus().length} CPUs`);
  console.log('\nBackends');
  try {
    console.log(formatBackendReport(await initBackend()));
  } catch (e) {
    line(false, 'backend', e instanceof Error ? e.message : String(e));
  }
  console.log('\nGPU libraries (needed only for @tensorflow/tfjs-node-gpu: CUDA 11.2, cuDNN 8.1)');
  const smi = run('nvidia-smi', ['-L']);
  line(smi !== undefined, 'NVIDIA GPU', smi ?? 'nvidia-smi not found');
  const ld = run('ldconfig', ['-p']) ?? '';
  for (const lib of ['libcudart.so.11.0', 'libcudnn.so.8']) line(ld.includes(lib), lib, ld.includes(lib) ? 'found' : 'not on the library path');
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

/** {@link doctorCommand} for notebooks and scripts: prints the report and returns nothing. */
export async function doctor(): Promise<void> {
  await doctorCommand();
}

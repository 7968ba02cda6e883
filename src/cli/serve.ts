import * as fs from 'node:fs';
import { DEFAULT_HOST, DEFAULT_PORT, startServer } from '../serve/index';
import { parseCommandLine, UsageError } from './args';

export const SERVE_USAGE = `gaf-lab serve [DIR ...] [--port P] [--host ADDR]

A local web dashboard over run and sweep folders (default: runs/), read-only: the runs table
(status, progress and ETA, backend, final and best test top-1, commit), live curves (loss,
test accuracy, learning rate, gradient norms; updated every 2 s as the runs write
steps.jsonl), the compare view (the tables of gaf-lab results --json for the selected runs),
each sweep's grid with every cell's state, and the figures with their provenance.

  --port P      port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host ADDR   address to listen on (default ${DEFAULT_HOST}: this machine only; 0.0.0.0
                shows your runs to everyone who can reach this machine)

It serves only files inside the given folders. Stop it with Ctrl-C.`;

/** `gaf-lab serve [DIR ...]` */
export async function serveCommand(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv, { port: 'string', host: 'string' }, { min: 0, max: 64, what: 'the run or sweep folders to serve' });
  const dirs = args.positional.length ? args.positional : ['runs'];
  for (const d of dirs) {
    if (!fs.existsSync(d)) throw new UsageError(`${d} does not exist. Give the folder that holds the runs (an outDir or a sweep folder).`);
    if (!fs.statSync(d).isDirectory()) throw new UsageError(`${d} is not a folder. Give the folder that holds the runs, not a file.`);
  }
  const portText = args.values.port;
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer 0-65535, got "${portText}".`);
  const host = args.values.host ?? DEFAULT_HOST;
  let server;
  try {
    server = await startServer({ dirs, port, host });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is in use; pick another with --port (0: any free one).`);
    if (code === 'EADDRNOTAVAIL') throw new UsageError(`--host ${host} is not an address of this machine.`);
    throw e;
  }
  // The URL line is what scripts and tests wait for.
  console.log(`gaf-lab serve: ${server.url} (serving ${dirs.join(', ')}; read-only; Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

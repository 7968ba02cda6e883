/** Minimal argument parsing: positionals, `--flag value`, `--flag=value` and boolean `--flag`. */
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/** Splits argv into positionals and flags; `booleans` lists flags that take no value. */
export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (booleans.includes(name) || name === 'help' || argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) flags.set(name, true);
    else flags.set(name, argv[++i]!);
  }
  return { positional, flags };
}

/** A flag's string value, or undefined; a boolean flag given where a value is needed is an error. */
export function flagValue(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value, e.g. --${name} VALUE.`);
  return v;
}

/** A flag's integer value (>= min), or the default. */
export function intFlag(args: ParsedArgs, name: string, dflt: number, min = 1): number {
  const raw = flagValue(args, name);
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}".`);
  return v;
}

/** An error in how the command was called: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

/** A bad input file (unreadable or invalid config): printed without the usage, exit code 2. */
export class InputError extends Error {}

/**
 * Refuses flags the command does not know (a typo such as `--worker` would otherwise be
 * ignored silently) and a positional count outside [min, max].
 */
export function checkArgs(args: ParsedArgs, known: readonly string[], positionals: { min: number; max: number; what: string }): void {
  for (const name of args.flags.keys()) {
    if (name === 'help') continue;
    if (!known.includes(name)) {
      throw new UsageError(`unknown option --${name}${known.length ? `; options: ${known.map((k) => `--${k}`).join(', ')}` : ' (this command takes none)'}.`);
    }
  }
  const n = args.positional.length;
  if (n < positionals.min) throw new UsageError(`missing ${positionals.what}.`);
  if (n > positionals.max) throw new UsageError(`unexpected argument "${args.positional[positionals.max]}" (expected ${positionals.what}).`);
}

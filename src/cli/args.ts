/**
 * Command-line parsing for every `gaf-lab` subcommand, the main job and the scripts in
 * `scripts/`: one wrapper around node:util `parseArgs` in strict mode, so an option a command
 * does not know (a typo such as `--datadir`) is refused with the usage instead of being
 * dropped, and every command treats `--help`/`-h`, missing values and repeated options alike.
 * @module
 */
import { parseArgs } from 'node:util';

/** What an option takes: a value (`--out DIR`, `--out=DIR`) or nothing (`--json`). */
export type OptionKind = 'string' | 'boolean';

/** Option names of a command and what each takes. `help`/`-h` is always known. */
export type OptionSpec = Readonly<Record<string, OptionKind>>;

/** How many positional arguments a command takes, and how to name them in an error. */
export interface PositionalSpec {
  min: number;
  max: number;
  /** e.g. `the config file (gaf-lab train CONFIG)`. */
  what: string;
}

/** The parsed values: a string for a value option, `true` for a flag, absent when not given. */
export type OptionValues<O extends OptionSpec> = { [K in keyof O]?: O[K] extends 'boolean' ? true : string };

/** The result of {@link parseCommandLine}. */
export interface ParsedCommandLine<O extends OptionSpec> {
  /** True when `--help` or `-h` was given: the caller prints its usage and does nothing else. */
  help: boolean;
  positional: string[];
  values: OptionValues<O>;
}

/** An error in how the command was called: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

/** A bad input file (unreadable or invalid config): printed without the usage, exit code 2. */
export class InputError extends Error {}

/** True when `argv` asks for help (`--help` or `-h` before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const opts = end < 0 ? argv : argv.slice(0, end);
  return opts.includes('--help') || opts.includes('-h');
}

function optionList(options: OptionSpec): string {
  const names = Object.keys(options);
  return names.length
    ? `; options: ${names.map((n) => (options[n] === 'string' ? `--${n} VALUE` : `--${n}`)).join(', ')}`
    : ' (this command takes none)';
}

/**
 * Parses `argv` (without node and the script) against `options`. `--help`/`-h` anywhere before
 * `--` wins over everything else: the result then has `help: true` and nothing is checked, so
 * a command asked for help never starts work. Otherwise throws a {@link UsageError} naming the
 * problem for an unknown option, a value option without a value (`--out` last, or followed by
 * another option; a value that starts with a dash is written `--target=-0.5`), a value given
 * to a flag (`--json=1`), an option given twice, and, when `positionals` is given, a
 * positional count outside [min, max]. Everything after `--` is positional.
 */
export function parseCommandLine<O extends OptionSpec>(
  argv: readonly string[],
  options: O,
  positionals?: PositionalSpec,
): ParsedCommandLine<O> {
  if (wantsHelp(argv)) return { help: true, positional: [], values: {} };
  let parsed: ReturnType<typeof strictParse>;
  try {
    parsed = strictParse(argv, options);
  } catch (e) {
    throw new UsageError(describeParseError(e, argv, options));
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option') continue;
    if (seen.has(t.name)) throw new UsageError(`--${t.name} is given twice; give it once.`);
    seen.add(t.name);
  }
  if (positionals) checkPositionals(parsed.positionals, positionals);
  return { help: false, positional: parsed.positionals, values: parsed.values as OptionValues<O> };
}

function parseConfig(options: OptionSpec): Record<string, { type: OptionKind }> {
  return Object.fromEntries(Object.entries(options).map(([name, type]) => [name, { type }]));
}

function strictParse(argv: readonly string[], options: OptionSpec) {
  return parseArgs({ args: [...argv], options: parseConfig(options), strict: true, allowPositionals: true, tokens: true });
}

/** Throws a {@link UsageError} when the number of positional arguments is outside [min, max]. */
export function checkPositionals(positional: readonly string[], spec: PositionalSpec): void {
  if (positional.length < spec.min) throw new UsageError(`missing ${spec.what}.`);
  if (positional.length > spec.max) throw new UsageError(`unexpected argument "${positional[spec.max]}" (expected ${spec.what}).`);
}

/**
 * Turns node's parse error into a message in this CLI's words. The offending token is found
 * again with a lenient pass (strict mode's error only carries English text), so the message
 * names the option as typed and lists the ones the command knows.
 */
function describeParseError(e: unknown, argv: readonly string[], options: OptionSpec): string {
  const { tokens } = parseArgs({ args: [...argv], options: parseConfig(options), strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const kind = options[t.name];
    if (kind === undefined) return `unknown option ${t.rawName}${optionList(options)}.`;
    if (kind === 'boolean' && t.value !== undefined) return `${t.rawName} takes no value, got "${t.value}".`;
    if (kind === 'string' && (t.value === undefined || (!t.inlineValue && t.value.startsWith('-')))) {
      const dash = t.value === undefined ? '' : ` (a value that starts with a dash is written ${t.rawName}=${t.value})`;
      return `${t.rawName} needs a value, e.g. ${t.rawName} VALUE${dash}.`;
    }
  }
  return e instanceof Error ? e.message : String(e);
}

/** An integer option's value (>= min), or `dflt` when it was not given. */
export function intOption(raw: string | undefined, name: string, dflt: number, min = 1): number {
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}".`);
  return v;
}

/** A list option (`--models a,b`): the comma-separated items, or undefined when not given. */
export function listOption(raw: string | undefined, name: string): string[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError(`--${name} needs at least one item, e.g. --${name} a,b.`);
  return items;
}

/** A list of integers >= min (`--batches 32,128`), or undefined when not given. */
export function intListOption(raw: string | undefined, name: string, min = 1): number[] | undefined {
  return listOption(raw, name)?.map((item) => {
    const v = Number(item);
    if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} takes integers >= ${min}, got "${raw}".`);
    return v;
  });
}

/**
 * The command line of a script in `scripts/`: `--help`/`-h` prints `usage: <usage>` and exits 0 before
 * `read` runs (so asking for help never starts work); a {@link UsageError} thrown by `read`
 * (which parses with {@link parseCommandLine} and checks values) prints the problem and the
 * usage and exits 2. Returns what `read` returns.
 */
export function scriptArgs<T>(
  name: string,
  usage: string,
  read: (argv: readonly string[]) => T,
  argv: readonly string[] = process.argv.slice(2),
): T {
  if (wantsHelp(argv)) {
    console.log(`usage: ${usage}`);
    process.exit(0);
  }
  try {
    return read(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${name}: ${e.message}\n\nusage: ${usage}`);
    process.exit(2);
  }
}

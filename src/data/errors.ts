/**
 * Error types of the data loaders. Each says which file or folder is at fault and what to do,
 * so that a notebook user never has to read a stack trace to find the cause.
 */

/** A dataset could not be found in any of the places searched. */
export class DatasetNotFoundError extends Error {
  /** Every place that was looked in, in search order. */
  readonly searched: readonly string[];

  constructor(dataset: string, searched: readonly string[], howToGet: string, wanted?: string) {
    const places = searched.map((p) => `  - ${p}`).join('\n');
    super(
      `${dataset} not found${wanted ? ` (looked for ${wanted})` : ''}. Searched:\n${places}\n` +
        `How to get it: ${howToGet}`,
    );
    this.name = 'DatasetNotFoundError';
    this.searched = searched;
  }
}

/**
 * A data file exists but its content is not what the official format says: wrong magic
 * number, wrong size (truncated or padded), labels out of range, malformed XML...
 */
export class DataFormatError extends Error {
  /** The file at fault. */
  readonly file: string;

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'DataFormatError';
    this.file = file;
  }
}

/** Formats a byte count with thousands separators, for messages a person reads. */
export function bytes(n: number): string {
  return `${n.toLocaleString('en-US')} bytes`;
}

/**
 * The one error base class of the project. Every failure a user can cause
 * (bad file, bad argument, bad image) is a `DeepPoseError` subclass with a
 * stable machine-readable `code`; its message names the thing, what was
 * expected and what was found. The CLI prints `message` as one line and
 * exits non-zero; the HTTP service maps `code` to a status.
 */
export class DeepPoseError extends Error {
  /** Stable identifier, e.g. `E_SHAPE`, `E_NOT_CHECKPOINT`. */
  readonly code: string;
  /** Extra detail shown with `--verbose`. */
  readonly detail: string | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; detail?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.detail = options?.detail;
  }
}

/** A caller passed an argument of the wrong type or out of range. */
export class InvalidArgumentError extends DeepPoseError {
  constructor(message: string) {
    super('E_INVALID_ARGUMENT', message);
  }
}

/** A command line that does not parse: unknown option, missing option argument, unknown command. */
export class UsageError extends DeepPoseError {
  constructor(message: string) {
    super('E_USAGE', message);
  }
}

/**
 * The one helper for bad-argument messages (in the manner of sharp's
 * `invalidParameterError`), used by the library API, the CLI's option
 * parsers and the HTTP parameters alike: `<name>: expected <expected>, found <actual>`
 * (`--stages: expected an integer from 1 to 10, found "x"`).
 */
export function invalidArgument(name: string, expected: string, actual: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`${name}: expected ${expected}, found ${describeValue(actual)}`);
}

/** Short human description of any value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of ${value.byteLength} bytes`;
  return typeof value;
}

/** `[4096, 9216]` → `4096×9216`. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

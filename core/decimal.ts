/**
 * Plain decimal numbers from text, the one rule for every number a user
 * types (CLI options, HTTP query and form fields): optional minus sign,
 * digits, optional fraction, optional exponent. `0x10`, `0b1`, `+1`, `01`,
 * `1_000`, `Infinity`, empty strings and surrounding spaces are refused,
 * where `Number()` would accept most of them.
 */
const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;
const INTEGER = /^-?(0|[1-9]\d*)$/;

/** The number `text` spells, or undefined when it is not a plain (finite) decimal. */
export function parseDecimal(text: string, options: { integer?: boolean } = {}): number | undefined {
  if (!(options.integer ? INTEGER : DECIMAL).test(text)) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) return undefined;
  if (options.integer && !Number.isSafeInteger(n)) return undefined;
  return n;
}

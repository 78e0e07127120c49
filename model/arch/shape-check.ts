/** Shape assertions with messages that name the tensor, the expectation and what was found. */
import { formatShape } from '../../core/errors.js';
import { ShapeMismatchError } from '../errors.js';

/** Shape of `name`, or a ShapeMismatchError if it has the wrong rank. */
export function shapeOf(shapes: ReadonlyMap<string, readonly number[]>, name: string, rank: number, what: string): readonly number[] {
  const s = shapes.get(name);
  if (!s) throw new ShapeMismatchError(`${name}: missing`);
  if (s.length !== rank) {
    throw new ShapeMismatchError(`${name}: expected a ${rank}-d ${what}, found shape ${formatShape(s)}`);
  }
  return s;
}

/** Asserts `shapes[name]` equals `expected`; `why` explains where the expectation comes from. */
export function expectShape(shapes: ReadonlyMap<string, readonly number[]>, name: string, expected: readonly number[], why: string): void {
  const s = shapes.get(name);
  if (!s) throw new ShapeMismatchError(`${name}: missing`);
  if (s.length !== expected.length || s.some((d, i) => d !== expected[i])) {
    throw new ShapeMismatchError(`${name}: expected ${formatShape(expected)} ${why}, found ${formatShape(s)}`);
  }
}

/**
 * A Linear layer `name` fed `inFeatures` values from `fedBy` (a phrase for
 * messages, e.g. `conv5 output 256×6×6`): checks W `(out, in)` and b `(out)`,
 * returns `out`.
 */
export function checkLinear(shapes: ReadonlyMap<string, readonly number[]>, name: string, inFeatures: number, fedBy: string): number {
  const w = shapeOf(shapes, `${name}/W`, 2, 'linear weight (out, in)');
  const [out, cin] = w as [number, number];
  if (cin !== inFeatures) throw new ShapeMismatchError(`${name}/W: expected ${out}×${inFeatures} to match ${fedBy}, found ${formatShape(w)}`);
  expectShape(shapes, `${name}/b`, [out], `(one bias per ${name} output)`);
  return out;
}

/** The regression head's output count must be 2 × joints (x, y per joint). */
export function checkRegressionOutputs(head: string, outputs: number): void {
  if (outputs % 2 !== 0) throw new ShapeMismatchError(`${head}/W: expected an even number of outputs (x, y per joint), found ${outputs}`);
}

/** `ignorable` for a batch-normalisation sample count (`…/N`, or only those matching `pattern`): needed only while training. */
export function batchNormCountIgnorable(pattern: RegExp = /(^|\/)N$/): (name: string) => string | undefined {
  return (name) => (pattern.test(name) ? 'batch-normalisation sample count, used only while training' : undefined);
}

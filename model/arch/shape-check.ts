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

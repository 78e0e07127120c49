/**
 * Parsers for CLI option values. Each failure is the library's own
 * `invalidArgument` (core/errors.ts): one line naming the option, what was
 * expected and what was found, code E_INVALID_ARGUMENT. Concepts with
 * their own checks (the person box, the cascade depth) are parsed where
 * they live; these are thin adapters.
 */
import { invalidArgument } from '../core/errors.js';
import { parseDecimal } from '../core/decimal.js';
import { parseBboxText } from '../data/bbox.js';
import { ARCH_IDS, isArchId } from '../model/arch/index.js';
import type { ArchId } from '../model/arch/types.js';
import { SKELETON_IDS, isSkeletonId, type SkeletonId } from '../data/skeletons.js';

export function parseInt10(name: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = parseDecimal(v, { integer: true });
    if (n === undefined || n < min || n > max) throw invalidArgument(name, `an integer from ${min} to ${max}`, v);
    return n;
  };
}

export function parseFloatIn(name: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = parseDecimal(v);
    if (n === undefined || n < min || n > max) throw invalidArgument(name, `a number from ${min} to ${max}`, v);
    return n;
  };
}

export function parseChoice<T extends string>(name: string, choices: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!(choices as readonly string[]).includes(v)) throw invalidArgument(name, `one of ${choices.join(', ')}`, v);
    return v as T;
  };
}

export function parseArch(v: string): ArchId {
  if (!isArchId(v)) throw invalidArgument('--arch', `one of ${ARCH_IDS.join(', ')}`, v);
  return v;
}

export function parseSkeleton(v: string): SkeletonId {
  if (!isSkeletonId(v)) throw invalidArgument('--skeleton', `one of ${SKELETON_IDS.join(', ')}`, v);
  return v;
}

/** `x,y,w,h` in pixels (data/bbox.ts holds the rule). */
export function parseBbox(v: string): [number, number, number, number] {
  return parseBboxText(v, '--bbox');
}

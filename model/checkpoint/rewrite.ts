/**
 * Writing cleaned or re-keyed checkpoints as ordinary numpy npz files (same
 * dtypes and shapes as the input; the input is never modified).
 */
import type { NdArray } from '../io/npy.js';
import { writeNpz } from '../io/npz.js';
import { describeNonFinite, totalNonFinite, zeroNonFinite, countNonFinite, type NonFiniteCount } from './nonfinite.js';
import { readCheckpoint } from './read.js';
import { resolveCheckpoint } from './resolve.js';
import type { ArchId } from '../arch/types.js';
import { NotACheckpointError } from '../errors.js';

export interface ScrubReport {
  readonly input: string;
  readonly output: string;
  readonly tensors: number;
  /** Tensors in which values were replaced, with the counts replaced. */
  readonly replaced: readonly NonFiniteCount[];
  readonly totalReplaced: number;
}

/** Copies every tensor of `input` to an npz at `output`, NaN/±Inf replaced by 0, keys unchanged. */
export async function scrubCheckpoint(input: string, output: string): Promise<ScrubReport> {
  const raw = await readCheckpoint(input);
  const unicode = raw.tensors.find((t) => t.array.dtype === 'unicode');
  if (unicode) throw new NotACheckpointError(`${input}: ${unicode.key} is a text array; checkpoints hold numbers only`);
  const counts = raw.tensors.map((t) => countNonFinite(t.key, t.array));
  await writeNpz(output, raw.tensors.map((t) => [t.key, zeroNonFinite(t.array)] as const));
  const replaced = counts.filter((c) => totalNonFinite(c) > 0);
  return { input, output, tensors: raw.tensors.length, replaced, totalReplaced: replaced.reduce((a, c) => a + totalNonFinite(c), 0) };
}

export { describeNonFinite };

export type RemapTarget = 'bare' | 'predictor';

export interface RemapReport {
  readonly input: string;
  readonly output: string;
  readonly fromLayout: string;
  readonly fromPrefix: string;
  readonly to: RemapTarget;
  readonly written: readonly string[];
  readonly dropped: readonly { key: string; reason: string }[];
}

/**
 * Re-keys the model's entries (every key under the model prefix, including
 * persistent values such as batch normalisation's `N` that Chainer's strict
 * `load_npz` expects) to `conv1/W` (bare) or `predictor/conv1/W`; optimizer,
 * iterator and extension entries are dropped and listed.
 */
export async function remapCheckpoint(input: string, output: string, to: RemapTarget, options: { prefix?: string; arch?: ArchId } = {}): Promise<RemapReport> {
  const raw = await readCheckpoint(input);
  const resolved = resolveCheckpoint(raw, options);
  const prefix = resolved.layout.prefix;
  const target = to === 'bare' ? '' : 'predictor/';
  const entries: [string, NdArray][] = [];
  const dropped: { key: string; reason: string }[] = [];
  for (const t of raw.tensors) {
    if (t.key.startsWith(prefix)) entries.push([target + t.key.slice(prefix.length), t.array]);
    else dropped.push({ key: t.key, reason: resolved.unused.find((u) => u.key === t.key)?.reason ?? 'outside the model prefix' });
  }
  await writeNpz(output, entries);
  return { input, output, fromLayout: resolved.layout.layout, fromPrefix: prefix, to, written: entries.map((e) => e[0]), dropped };
}

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
 *
 * A Chainer 1.x pickle becomes what Chainer ≥ 1.5's links store: its
 * batch-norm statistics (1, C, 1) become (C,), each batch-norm layer gets
 * the `N` counter `load_npz` expects, and `eps` and the gradients are
 * dropped (listed).
 */
export async function remapCheckpoint(input: string, output: string, to: RemapTarget, options: { prefix?: string; arch?: ArchId } = {}): Promise<RemapReport> {
  const raw = await readCheckpoint(input);
  const resolved = resolveCheckpoint(raw, options);
  const prefix = resolved.layout.prefix;
  const target = to === 'bare' ? '' : 'predictor/';
  const entries: [string, NdArray][] = [];
  const dropped: { key: string; reason: string }[] = [];
  const reasons = new Map(resolved.unused.map((u) => [u.key, u.reason]));
  const reasonOf = (key: string) => reasons.get(key) ?? 'outside the model prefix';
  const pickle = raw.container === 'pickle';
  const bnLayers = new Set<string>();
  for (const t of raw.tensors) {
    if (!t.key.startsWith(prefix)) {
      dropped.push({ key: t.key, reason: reasonOf(t.key) });
      continue;
    }
    const param = t.key.slice(prefix.length);
    if (pickle && param.endsWith('/eps')) {
      dropped.push({ key: t.key, reason: 'Chainer 1.4 batch-norm eps (modern links hold it as a constructor argument, not in the file)' });
      continue;
    }
    let array = t.array;
    const bn = /^(.*)\/(gamma|beta|avg_mean|avg_var)$/.exec(param);
    if (pickle && bn) {
      bnLayers.add(bn[1]!);
      if (array.shape.length === 3) array = { ...array, shape: [array.shape[1]!] };
    }
    entries.push([target + param, array]);
  }
  for (const layer of bnLayers) {
    if (!entries.some(([k]) => k === `${target}${layer}/N`)) entries.push([`${target}${layer}/N`, { dtype: 'int64', shape: [], data: BigInt64Array.of(0n) }]);
  }
  for (const s of raw.skipped) dropped.push({ key: s.key, reason: reasonOf(s.key) });
  await writeNpz(output, entries);
  return { input, output, fromLayout: resolved.layout.layout, fromPrefix: prefix, to, written: entries.map((e) => e[0]), dropped };
}

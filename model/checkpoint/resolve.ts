/**
 * Interprets a raw checkpoint: key layout, architecture and its widths, the
 * map from model parameter to file key, keys it does not use (with why), and
 * non-finite counts. Throws a named error for anything it cannot accept.
 */
import { formatShape } from '../../core/errors.js';
import { ARCHITECTURES, recogniseArchitecture } from '../arch/index.js';
import type { ArchDescription, ArchId, Architecture } from '../arch/types.js';
import type { NdArray } from '../io/npy.js';
import { MissingKeyError, ShapeMismatchError, UnusedWeightsError } from '../errors.js';
import { detectLayout, type LayoutInfo } from './layout.js';
import { countNonFinite, type NonFiniteCount } from './nonfinite.js';
import type { RawCheckpoint } from './read.js';

export interface UnusedKey {
  readonly key: string;
  readonly reason: string;
}

export interface ResolvedCheckpoint {
  readonly raw: RawCheckpoint;
  readonly layout: LayoutInfo;
  readonly arch: Architecture;
  readonly desc: ArchDescription;
  /** Model parameter (`conv1/W`) → file key (`predictor/conv1/W`), in forward order. */
  readonly keyMap: Readonly<Record<string, string>>;
  /** Model parameter → its array, as found in the file. */
  readonly params: ReadonlyMap<string, NdArray>;
  readonly unused: readonly UnusedKey[];
  /** Weight tensors left unused (only non-empty when `unusedWeights: 'allow'`). */
  readonly unusedWeights: readonly string[];
  /** Counts for every float tensor the model uses. */
  readonly nonFinite: readonly NonFiniteCount[];
}

export interface ResolveOptions {
  readonly prefix?: string;
  /** The layout already detected from the file's listing (detection is not repeated). */
  readonly layout?: LayoutInfo;
  readonly arch?: ArchId;
  readonly inputSize?: number;
  /**
   * Weight tensors (W, b, gamma, beta, avg_mean, avg_var, PReLU slopes) under
   * the model prefix that the architecture leaves unused: `refuse` (default)
   * throws UnusedWeightsError; `allow` converts anyway (the caller records it).
   */
  readonly unusedWeights?: 'refuse' | 'allow';
}

const NATURAL = new Intl.Collator('en', { numeric: true });

/** Leaf names of tensors that carry weights (as opposed to gradients, counters, flags). */
const WEIGHT_LEAF = /(^|\/)(W|b|gamma|beta|avg_mean|avg_var)$/;

/** Whether a key (relative to the model prefix) names a weight tensor. */
export function isWeightKey(param: string): boolean {
  return WEIGHT_LEAF.test(param);
}

/** One line naming unused weight keys: up to `max` of them, then a count. */
export function describeUnusedWeights(keys: readonly string[], max = 12): string {
  const shown = keys.slice(0, max).join(', ');
  return keys.length > max ? `${shown} and ${keys.length - max} more` : shown;
}

/** Why a key outside the model's parameters is in the file. */
function unusedReason(key: string, prefix: string): string {
  if (key.startsWith('updater/optimizer:')) return 'optimizer state';
  if (key.startsWith('updater/iterator:')) return 'iterator state';
  if (key.startsWith('extension') || key.startsWith('stop_trigger')) return 'trainer extension state';
  if (key.startsWith('updater/')) return 'updater state';
  if (!key.includes('/')) return 'trainer state';
  if (!key.startsWith(prefix)) return `outside the model prefix ${prefix || '(none)'}`;
  return 'not a parameter of this architecture';
}

export function resolveCheckpoint(raw: RawCheckpoint, options: ResolveOptions = {}): ResolvedCheckpoint {
  const allKeys = raw.listing ? raw.listing.map((e) => e.key) : [...raw.tensors.map((t) => t.key), ...raw.skipped.map((s) => s.key)];
  const layout = options.layout ?? detectLayout(allKeys, raw.path, options.prefix);
  const kinds = new Map((raw.listing ?? []).map((e) => [e.key, e.kind]));
  const byParam = new Map<string, { key: string; array: NdArray }>();
  for (const t of raw.tensors) {
    if (t.key.startsWith(layout.prefix)) byParam.set(t.key.slice(layout.prefix.length), { key: t.key, array: t.array });
  }
  for (const s of raw.skipped) {
    if (s.key.startsWith(layout.prefix)) byParam.set(s.key.slice(layout.prefix.length), { key: s.key, array: { dtype: 'float32', shape: [], data: new Float32Array(0) } });
  }
  const names = new Set(byParam.keys());
  const arch = options.arch ? ARCHITECTURES[options.arch] : recogniseArchitecture(names, raw.path);
  const required = arch.required(names);
  const missing = required.filter((p) => !names.has(p));
  if (missing.length > 0) {
    const first = `${layout.prefix}${missing[0]}`;
    throw new MissingKeyError(
      `${raw.path}: ${first}: missing (${arch.title} needs ${required.length} parameters, found ${required.length - missing.length}` +
        `${missing.length > 1 ? `; also missing ${missing.slice(1, 5).map((m) => layout.prefix + m).join(', ')}${missing.length > 5 ? ', …' : ''}` : ''})`,
    );
  }
  const shapes = new Map<string, readonly number[]>();
  for (const p of required) {
    const { key, array } = byParam.get(p)!;
    if (array.dtype !== 'float32' && array.dtype !== 'float64' && array.dtype !== 'float16') {
      throw new ShapeMismatchError(`${key}: expected a floating-point tensor, found dtype ${array.dtype} with shape ${formatShape(array.shape)}`);
    }
    shapes.set(p, array.shape);
  }
  let desc: ArchDescription;
  try {
    desc = arch.describe(shapes, options.inputSize ?? 220);
  } catch (err) {
    if (err instanceof ShapeMismatchError && layout.prefix) {
      // Name the tensor as the file spells it.
      throw new ShapeMismatchError(`${raw.path}: ${layout.prefix}${err.message}`);
    }
    if (err instanceof ShapeMismatchError) throw new ShapeMismatchError(`${raw.path}: ${err.message}`);
    throw err;
  }
  const requiredSet = new Set(required);
  const keyMap: Record<string, string> = {};
  const params = new Map<string, NdArray>();
  for (const p of desc.params) {
    keyMap[p] = byParam.get(p)!.key;
    params.set(p, byParam.get(p)!.array);
  }
  const unused: UnusedKey[] = [];
  for (const k of allKeys) {
    const inPrefix = k.startsWith(layout.prefix);
    const param = inPrefix ? k.slice(layout.prefix.length) : undefined;
    if (param !== undefined && requiredSet.has(param)) continue;
    const kind = kinds.get(k);
    const reason = kind === 'gradient' ? 'gradient (training only; not loaded)' : kind === 'state' && param !== undefined && !isWeightKey(param) && !arch.ignorable(param) ? 'training state (not loaded)' : undefined;
    unused.push({ key: k, reason: reason ?? ((param !== undefined && arch.ignorable(param)) || unusedReason(k, layout.prefix)) });
  }
  const unusedWeights = unused.filter((u) => u.key.startsWith(layout.prefix) && isWeightKey(u.key.slice(layout.prefix.length))).map((u) => u.key)
    .sort(NATURAL.compare);
  if (unusedWeights.length > 0 && options.unusedWeights !== 'allow') {
    throw new UnusedWeightsError(
      `${raw.path}: ${unusedWeights.length} weight tensor${unusedWeights.length > 1 ? 's are' : ' is'} not used by ${desc.title} as recognised ` +
        `(converting without them would compute something else): ${describeUnusedWeights(unusedWeights)}; ` +
        'pass --allow-unused-weights to convert anyway (recorded in the metadata)',
      unusedWeights.join('\n'),
    );
  }
  const nonFinite = desc.params.map((p) => countNonFinite(keyMap[p]!, params.get(p)!));
  return { raw, layout, arch, desc, keyMap, params, unused, unusedWeights, nonFinite };
}

/**
 * Legacy checkpoint → ONNX. Reads the file (only the keys the model needs),
 * resolves layout and architecture, applies the non-finite policy, builds the
 * inference graph `x [N,3,S,S] → y [N,2K]` (the raw regression output, before
 * any decoding) and records everything serving and evaluation need in the
 * model's metadata.
 */
import { SKELETONS, skeletonForJointCount, type SkeletonId } from '../data/skeletons.js';
import type { ArchId } from './arch/types.js';
import { NonFiniteWeightsError, OptionMismatchError } from './errors.js';
import { describeNonFinite, totalNonFinite, zeroNonFinite } from './checkpoint/nonfinite.js';
import { openCheckpoint, readFrom, type RawCheckpoint } from './checkpoint/read.js';
import { isWeightKey, resolveCheckpoint, type ResolvedCheckpoint, type ResolveOptions } from './checkpoint/resolve.js';
import { toFloat32 } from './io/float.js';
import { writeFileAtomic } from '../core/write-atomic.js';
import { GraphBuilder } from './onnx/builder.js';
import { encodeMetadata, METADATA_VERSION, type ModelMetadata } from './onnx/metadata.js';
import { detectLayout, type LayoutInfo } from './checkpoint/layout.js';

/** Opset of converted inference graphs. */
export const INFERENCE_OPSET = 13;
import { CONVERTER_ID } from './converter-id.js';
export { CONVERTER_ID };

export interface ConvertOptions {
  readonly arch?: ArchId;
  readonly prefix?: string;
  /** Expected joint count; must agree with the output layer. */
  readonly joints?: number;
  readonly skeleton?: SkeletonId;
  readonly inputSize?: number;
  readonly channels?: 'bgr' | 'rgb';
  readonly nonfinite?: 'refuse' | 'zero';
  readonly cascade?: { readonly stage: number; readonly sigma?: number };
  /** Weight tensors the architecture does not use: refuse (default) or allow (recorded in the metadata). */
  readonly unusedWeights?: 'refuse' | 'allow';
  /**
   * Batch normalisation statistics: `running` (default; avg_mean/avg_var) or
   * `batch` (mean and variance of the batch being run, exactly as the 2015
   * FunctionSet models' own forward computed its predictions).
   */
  readonly bnStatistics?: 'running' | 'batch';
  /** The file's SHA-256 when the caller already has it (e.g. a cache keyed by it): not computed again. */
  readonly sha256?: string;
  /** convertCheckpointToFile: replace an existing output (default true); false fails with E_OUTPUT_EXISTS. */
  readonly overwrite?: boolean;
}

export interface ConversionResult {
  /** The ONNX model as chunks (weights are views, not copies); `Buffer.concat` for one buffer. */
  readonly chunks: readonly Uint8Array[];
  /** Total size of the model in bytes. */
  readonly bytes: number;
  readonly metadata: ModelMetadata;
  readonly resolved: ResolvedCheckpoint;
}

/**
 * Opens the file once, lists its keys without reading data, and reads only
 * the weights under the model prefix (a trainer snapshot's optimizer moments
 * stay compressed; a pickle's gradients stay in the file). Hashes once.
 */
export async function readForConversion(
  file: string,
  prefix?: string,
  knownSha256?: string,
  precheck?: ResolveOptions,
): Promise<{ raw: RawCheckpoint; layout: LayoutInfo }> {
  const src = await openCheckpoint(file);
  try {
    const listing = src.list();
    const layout = detectLayout(listing.map((e) => e.key), file, prefix);
    const keep = (k: string) => k.startsWith(layout.prefix) && isNeededLeaf(k.slice(layout.prefix.length));
    if (precheck) {
      // Shapes, names and unused weights are checked against the architecture from the
      // headers alone, before any tensor is inflated (a crafted entry cannot cost memory).
      const shapes = await src.shapes(keep);
      const tensors = [...shapes].map(([key, s]) => ({ key, compression: '', array: { dtype: s.dtype, shape: s.shape, data: new Float32Array(0) } }));
      const skipped = listing.filter((e) => !shapes.has(e.key)).map((e) => ({ key: e.key, bytes: e.bytes }));
      resolveCheckpoint({ path: file, name: src.name, container: src.container, fileBytes: src.fileBytes, sha256: '', tensors, skipped, listing }, { ...precheck, layout });
    }
    const raw = await readFrom(src, keep, { hash: knownSha256 === undefined });
    return { raw: knownSha256 === undefined ? raw : { ...raw, sha256: knownSha256 }, layout };
  } finally {
    await src.close();
  }
}

/** Weights and the scalars the forward pass reads (batch normalisation's eps). */
function isNeededLeaf(param: string): boolean {
  return isWeightKey(param) || /(^|\/)(eps)$/.test(param);
}

/** The whole model in one buffer (for loading straight into a session). */
export function modelBytes(result: ConversionResult): Uint8Array {
  return Buffer.concat(result.chunks as Uint8Array[]);
}

export async function convertCheckpoint(file: string, options: ConvertOptions = {}): Promise<ConversionResult> {
  const inputSize = options.inputSize ?? 220;
  const resolveOptions: ResolveOptions = { arch: options.arch, inputSize, unusedWeights: options.unusedWeights };
  const { raw, layout } = await readForConversion(file, options.prefix, options.sha256, resolveOptions);
  const resolved = resolveCheckpoint(raw, { ...resolveOptions, layout });
  const { desc } = resolved;
  if (options.joints !== undefined && options.joints !== desc.joints) {
    throw new OptionMismatchError(`${raw.path}: --joints ${options.joints} does not match the output layer (${desc.joints * 2} outputs = ${desc.joints} joints)`);
  }
  const skeletonId = options.skeleton ?? skeletonForJointCount(desc.joints)?.id ?? null;
  if (skeletonId && SKELETONS[skeletonId].joints.length !== desc.joints) {
    throw new OptionMismatchError(`${raw.path}: --skeleton ${skeletonId} has ${SKELETONS[skeletonId].joints.length} joints but the model regresses ${desc.joints}`);
  }
  const affected = resolved.nonFinite.filter((c) => totalNonFinite(c) > 0);
  const policy = options.nonfinite ?? 'refuse';
  if (affected.length > 0 && policy === 'refuse') {
    const lines = describeNonFinite(affected);
    throw new NonFiniteWeightsError(
      `${raw.path}: non-finite weights in ${affected.length} tensor${affected.length > 1 ? 's' : ''} (${lines.join('; ')}); ` +
        'pass --nonfinite zero to replace them by 0, or `deeppose scrub` to write a cleaned checkpoint',
      lines.join('\n'),
    );
  }
  const params = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, arr] of resolved.params) {
    const clean = policy === 'zero' ? zeroNonFinite(arr) : arr;
    params.set(name, { shape: clean.shape, data: toFloat32(clean, resolved.keyMap[name]!) });
  }
  const g = new GraphBuilder(`deeppose_${desc.arch}`);
  const x = g.input('x', 'float32', ['N', 3, inputSize, inputSize]);
  const bnStatistics = options.bnStatistics ?? 'running';
  const y = resolved.arch.build(g, params, desc, x, { bnStatistics });
  g.node('Identity', [y], {}, ['y']);
  g.output('y', 'float32', ['N', desc.joints * 2]);
  const jointNames = skeletonId ? [...SKELETONS[skeletonId].joints] : Array.from({ length: desc.joints }, (_, i) => `joint${i}`);
  const metadata: ModelMetadata = {
    formatVersion: METADATA_VERSION,
    source: { name: raw.name, sha256: raw.sha256, container: raw.container, bytes: raw.fileBytes },
    layout: resolved.layout.layout,
    prefix: resolved.layout.prefix,
    arch: desc.arch,
    archTitle: desc.title,
    widths: desc.widths,
    parameterCount: desc.parameterCount,
    keyMap: resolved.keyMap,
    nonFinite: {
      policy,
      replaced: affected.reduce((a, c) => a + totalNonFinite(c), 0),
      tensors: affected.map((c) => ({ key: c.key, nan: c.nan, posInf: c.posInf, negInf: c.negInf })),
    },
    skeleton: skeletonId,
    joints: desc.joints,
    jointNames,
    inputSize,
    channels: options.channels ?? 'bgr',
    normalisation: {
      kind: 'gcn',
      epsilon: 1e-5,
      description: 'per image and channel: subtract the mean, divide by (standard deviation + 1e-5), on the crop resized to inputSize×inputSize',
    },
    output: {
      name: 'y',
      shape: `[N, ${desc.joints * 2}]`,
      description: `raw regression (x0, y0, x1, y1, …) in joint order; crop pixels p = ${inputSize / 2} + ${inputSize}·y`,
    },
    cascade: options.cascade ?? { stage: 1 },
    converter: CONVERTER_ID,
    ...(desc.batchNorm?.length ? { bnStatistics } : {}),
    ...(resolved.unusedWeights.length > 0 ? { unusedWeights: { policy: 'allow' as const, keys: resolved.unusedWeights } } : {}),
  };
  const chunks = g.encodeChunks({
    opset: INFERENCE_OPSET,
    docString: `DeepPose ${desc.title} converted from ${raw.name} (sha256 ${raw.sha256})`,
    metadata: encodeMetadata(metadata),
  });
  return { chunks, bytes: chunks.reduce((a, c) => a + c.byteLength, 0), metadata, resolved };
}

/** Converts and writes the model atomically; nothing is left behind on failure. */
export async function convertCheckpointToFile(file: string, out: string, options: ConvertOptions = {}): Promise<ConversionResult> {
  const result = await convertCheckpoint(file, options);
  await writeFileAtomic(out, result.chunks, { overwrite: options.overwrite ?? true });
  return result;
}

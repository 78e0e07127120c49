/**
 * The metadata a converted model carries (ONNX `metadata_props`, key
 * `deeppose`, one JSON document), so serving, evaluation and the cascade need
 * nothing but the .onnx file.
 */
import { DeepPoseError } from '../../core/errors.js';
import type { SkeletonId } from '../../data/skeletons.js';

export const METADATA_KEY = 'deeppose';
export const METADATA_VERSION = 1;

export interface NonFiniteEntry {
  readonly key: string;
  readonly nan: number;
  readonly posInf: number;
  readonly negInf: number;
}

export interface ModelMetadata {
  readonly formatVersion: number;
  readonly source: { readonly name: string; readonly sha256: string; readonly container: string; readonly bytes: number };
  readonly layout: string;
  readonly prefix: string;
  readonly arch: string;
  readonly archTitle: string;
  readonly widths: Readonly<Record<string, number>>;
  readonly parameterCount: number;
  /** Model parameter → file key. */
  readonly keyMap: Readonly<Record<string, string>>;
  readonly nonFinite: { readonly policy: 'refuse' | 'zero'; readonly replaced: number; readonly tensors: readonly NonFiniteEntry[] };
  readonly skeleton: SkeletonId | null;
  readonly joints: number;
  readonly jointNames: readonly string[];
  /** Side of the square input, pixels. */
  readonly inputSize: number;
  readonly channels: 'bgr' | 'rgb';
  /** How the input tensor is made from the crop. */
  readonly normalisation: { readonly kind: 'gcn'; readonly epsilon: number; readonly description: string };
  /** What the first output holds. */
  readonly output: { readonly name: string; readonly shape: string; readonly description: string };
  /** Cascade position: stage 1 regresses from the person crop; stage ≥ 2 refines from joint crops of side sigma × torso diameter. */
  readonly cascade: { readonly stage: number; readonly sigma?: number };
  readonly converter: string;
  /**
   * Weight tensors of the checkpoint the architecture did not use, present
   * only when the conversion was forced with `--allow-unused-weights`.
   */
  readonly unusedWeights?: { readonly policy: 'allow'; readonly keys: readonly string[] };
  /**
   * Which statistics batch normalisation uses: `running` (avg_mean/avg_var,
   * inference) or `batch` (mean and variance of the batch being run, as the
   * 2015 FunctionSet models' own forward did). Absent when there is no BN.
   */
  readonly bnStatistics?: 'running' | 'batch';
  /** Set on int8 models written by `deeppose quantize` (model/quantize/metadata.ts): format, calibration set, source model hash. */
  readonly quantization?: Readonly<Record<string, unknown>>;
}

export class ModelMetadataError extends DeepPoseError {
  constructor(message: string) {
    super('E_MODEL_METADATA', message);
  }
}

export function encodeMetadata(m: ModelMetadata): Record<string, string> {
  return { [METADATA_KEY]: JSON.stringify(m) };
}

function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new ModelMetadataError('ONNX model truncated while reading a varint');
    const b = buf[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [result, pos];
    shift += 7;
    if (shift > 63) throw new ModelMetadataError('ONNX model has a malformed varint');
  }
}

/**
 * A StringStringEntryProto (field 1 key, field 2 value), decoded by hand so
 * that reading a model's metadata needs no protobuf schema (start-up time).
 */
function decodeStringPair(buf: Uint8Array): [string, string] {
  const text = new TextDecoder();
  let key = '';
  let value = '';
  let pos = 0;
  while (pos < buf.length) {
    let tag: number;
    [tag, pos] = readVarint(buf, pos);
    if ((tag & 7) !== 2) throw new ModelMetadataError(`ONNX metadata entry has an unexpected wire type ${tag & 7}`);
    let len: number;
    [len, pos] = readVarint(buf, pos);
    if (pos + len > buf.length) throw new ModelMetadataError('ONNX model truncated: a metadata entry runs past its end');
    const s = text.decode(buf.subarray(pos, pos + len));
    if (tag >> 3 === 1) key = s;
    else if (tag >> 3 === 2) value = s;
    pos += len;
  }
  return [key, value];
}

/**
 * Reads `metadata_props` of an encoded ModelProto by scanning its top-level
 * fields only: the (possibly huge) graph is skipped, not decoded.
 */
export function readMetadataProps(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < bytes.length) {
    let tag: number;
    [tag, pos] = readVarint(bytes, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) [, pos] = readVarint(bytes, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      let len: number;
      [len, pos] = readVarint(bytes, pos);
      if (pos + len > bytes.length) throw new ModelMetadataError('ONNX model truncated: a field runs past the end of the file');
      if (field === 14) {
        const [key, value] = decodeStringPair(bytes.subarray(pos, pos + len));
        out[key] = value;
      }
      pos += len;
    } else throw new ModelMetadataError(`not an ONNX model (unexpected protobuf wire type ${wire})`);
  }
  return out;
}

/** The project's metadata of a converted model, validated. */
export function parseModelMetadata(props: Record<string, string>, name: string): ModelMetadata {
  const raw = props[METADATA_KEY];
  if (raw === undefined) {
    throw new ModelMetadataError(`${name}: ONNX model has no "${METADATA_KEY}" metadata (convert it with \`deeppose convert\`)`);
  }
  let m: ModelMetadata;
  try {
    m = JSON.parse(raw) as ModelMetadata;
  } catch {
    throw new ModelMetadataError(`${name}: "${METADATA_KEY}" metadata is not valid JSON`);
  }
  if (m.formatVersion !== METADATA_VERSION) {
    throw new ModelMetadataError(`${name}: metadata format version ${String(m.formatVersion)} is not supported (expected ${METADATA_VERSION})`);
  }
  for (const k of ['inputSize', 'joints'] as const) {
    if (!Number.isInteger(m[k]) || m[k] <= 0) throw new ModelMetadataError(`${name}: metadata ${k} must be a positive integer, found ${String(m[k])}`);
  }
  if (m.channels !== 'bgr' && m.channels !== 'rgb') throw new ModelMetadataError(`${name}: metadata channels must be bgr or rgb, found ${String(m.channels)}`);
  return m;
}

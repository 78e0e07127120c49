/**
 * What an int8 model records about its making (metadata key `deeppose`,
 * field `quantization`), and a one-line summary for `inspect`, the service
 * and reports.
 */
import type { ModelMetadata } from '../onnx/metadata.js';

export const QUANTIZER_ID = 'deeppose-resurrected quantize 1';

export interface QuantizationInfo {
  readonly format: 'qdq';
  readonly weights: string;
  readonly activations: string;
  /** Range method, e.g. `percentile 99.99` or `minmax`. */
  readonly calibration: string;
  /** Ops left in float32 (node names) and why. */
  readonly floatLayers: readonly string[];
  readonly quantizedLayers: readonly string[];
  /** LRN rewritten as a 1×1 band-matrix convolution (float). */
  readonly lrn: 'band-matrix' | 'none';
  readonly calibrationSet: {
    readonly dataset: string;
    readonly split: string;
    readonly count: number;
    readonly first: string;
    readonly last: string;
    /** sha256 of the calibration image names joined by newlines. */
    readonly imagesSha256: string;
    readonly preprocessing: string;
  };
  /** The float model this was made from. */
  readonly source: { readonly file: string; readonly onnxSha256: string; readonly checkpointSha256: string };
  readonly tool: string;
  readonly created: string;
}

export function quantizationOf(m: ModelMetadata): QuantizationInfo | undefined {
  return m.quantization as QuantizationInfo | undefined;
}

/** e.g. `int8 QDQ (percentile 99.99; 256 images of lspet/legacy-train; float: fc8) from epoch-48.model onnx sha256 1234abcd…` */
export function describeQuantization(q: QuantizationInfo): string {
  const c = q.calibrationSet;
  return `int8 QDQ (${q.calibration}; ${c.count} images of ${c.dataset.replace(/\/+$/, '').split('/').pop()}/${c.split}; float: ${q.floatLayers.length ? q.floatLayers.join(', ') : 'none'}) `
    + `from ${q.source.file.split('/').pop()} onnx sha256 ${q.source.onnxSha256.slice(0, 12)}`;
}

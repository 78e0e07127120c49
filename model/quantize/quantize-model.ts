/**
 * Static int8 quantisation of a model or a whole cascade: one calibration
 * pass over a dataset split through the same preprocessing inference uses
 * (stage 1: the legacy crop of the annotated joints' box; stage s ≥ 2: the
 * K joint crops around the estimate of the float stages before it), then
 * for each requested range method a QDQ graph per stage (model/quantize/qdq.ts)
 * with the band-matrix LRN (model/quantize/lrn-band.ts) and metadata saying
 * how it was made.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PoseDataset } from '../../data/dataset.js';
import { createBatchIterator } from '../../data/iterator.js';
import { SKELETONS, type SkeletonId } from '../../data/skeletons.js';
import { decodeJoints, type BoxXyxy } from '../../data/transforms/legacy.js';
import { cascadeCrops, jointCropsInput, refineJoints } from '../cascade.js';
import type { StageModel } from '../model-source.js';
import { encodeMetadata, type ModelMetadata } from '../onnx/metadata.js';
import { OrtModel } from '../runtime/ort.js';
import { describeMethod, RangeCollector, type CalibrationMethod } from './calibrate.js';
import { decodeModel, encodeModel, type ModelProto } from './graph.js';
import { rewriteLrnAsBand } from './lrn-band.js';
import { QUANTIZER_ID, type QuantizationInfo } from './metadata.js';
import { applyQdq, calibrationTargets, exposeValues, type QdqOptions } from './qdq.js';

/** Layers kept float by default: the last regression layer (28 outputs; measured more accurate, no speed cost). */
export const DEFAULT_FLOAT_LAYERS: readonly string[] = ['fc8'];

export interface QuantizeRequest {
  /** The float stages, in order (model-source.ts). */
  readonly stages: readonly StageModel[];
  /** Calibration images: every sample of this dataset view is used. */
  readonly dataset: PoseDataset;
  readonly methods: readonly CalibrationMethod[];
  /** Layer names (`fc8`, `conv1` …) kept float. */
  readonly floatLayers?: readonly string[];
  readonly batch?: number;
  /** onnxruntime intra-op threads for calibration. */
  readonly threads?: number;
  readonly onProgress?: (images: number) => void;
}

export interface QuantizedStage {
  readonly bytes: Uint8Array;
  readonly metadata: ModelMetadata;
}

interface PreparedStage {
  readonly stage: StageModel;
  readonly band: Uint8Array;
  readonly onnxSha256: string;
  readonly options: QdqOptions;
  readonly targets: string[];
  readonly session: OrtModel;
  readonly collector: RangeCollector;
}

async function prepare(stage: StageModel, floatLayers: readonly string[], calls: number, threads: number): Promise<PreparedStage> {
  const bytes = await readFile(stage.onnxPath);
  const m = decodeModel(bytes);
  rewriteLrnAsBand(m);
  const band = encodeModel(m);
  const options: QdqOptions = {
    excludeNodes: new Set((m.graph!.node ?? []).filter((n) => n.opType === 'Conv' && /_band_node/.test(n.name ?? '')).map((n) => n.name!)),
    floatNodes: new Set(floatLayers.map((l) => `${l}_node`)),
  };
  const targets = calibrationTargets(m, options);
  const cal = decodeModel(band);
  exposeValues(cal, targets);
  const session = await OrtModel.load(encodeModel(cal), `${path.basename(stage.source)} (calibration)`, { threads });
  return {
    stage, band, options, targets, session,
    onnxSha256: createHash('sha256').update(bytes).digest('hex'),
    collector: new RangeCollector(Math.max(2048, Math.floor(2 ** 19 / Math.max(1, calls)))),
  };
}

async function runAndCollect(p: PreparedStage, x: Float32Array, dims: readonly number[]): Promise<Float32Array> {
  const out = await p.session.run({ x: { data: x, dims } });
  for (const t of p.targets) p.collector.add(t, out[t]!.data);
  return out.y!.data;
}

/**
 * Calibrates every stage on `dataset` and returns, per method (keyed by
 * `describeMethod`), the quantized stages in order.
 */
export async function quantizeCascade(req: QuantizeRequest): Promise<Map<string, QuantizedStage[]>> {
  const batch = req.batch ?? 16;
  const threads = req.threads ?? 2;
  const n = req.dataset.samples.length;
  const floatLayers = req.floatLayers ?? DEFAULT_FLOAT_LAYERS;
  const prepared: PreparedStage[] = [];
  try {
    for (const [i, s] of req.stages.entries()) prepared.push(await prepare(s, floatLayers, i === 0 ? Math.ceil(n / batch) : n, threads));
    const first = req.stages[0]!.metadata;
    const skeleton = SKELETONS[(first.skeleton ?? 'lsp14') as SkeletonId];
    const k = first.joints;
    // Stage ≥ 2 crops come from the pixels the iterator decoded for stage 1 (keepPixels), as in evaluation.
    const it = createBatchIterator(req.dataset, { batchSize: batch, mode: 'eval', size: first.inputSize, channels: first.channels, keepPixels: prepared.length > 1 });
    try {
      for await (const b of it) {
        const s1 = first.inputSize;
        const y = await runAndCollect(prepared[0]!, b.x, [b.size, 3, s1, s1]);
        if (prepared.length > 1) {
          for (let j = 0; j < b.size; j++) {
            const box = Array.from(b.cropBoxes.subarray(j * 4, j * 4 + 4)) as BoxXyxy;
            let joints = decodeJoints(y.subarray(j * 2 * k, (j + 1) * 2 * k), box, s1);
            const img = b.images![j]!;
            for (const p of prepared.slice(1)) {
              const md = p.stage.metadata;
              const crops = cascadeCrops(joints, skeleton, md.cascade.sigma!, Math.max(box[2] - box[0], box[3] - box[1]) / 2);
              const yk = await runAndCollect(p, jointCropsInput(img, crops, md.inputSize, md.channels), [k, 3, md.inputSize, md.inputSize]);
              joints = refineJoints(crops, yk, k);
            }
          }
        }
        req.onProgress?.(b.size);
      }
    } finally {
      await it.close();
    }
    const names = req.dataset.samples.map((s) => s.image);
    const out = new Map<string, QuantizedStage[]>();
    for (const method of req.methods) {
      out.set(describeMethod(method), prepared.map((p) => build(p, method, {
        dataset: req.dataset.dir,
        split: req.dataset.split,
        count: n,
        first: names[0] ?? '',
        last: names[n - 1] ?? '',
        imagesSha256: createHash('sha256').update(names.join('\n')).digest('hex'),
        preprocessing: p.stage.metadata.cascade.stage === 1
          ? 'legacy evaluation crop: annotated joints box ×1.5, resized as cv2.INTER_LINEAR, GCN'
          : `joint crops of side σ=${p.stage.metadata.cascade.sigma} × torso diameter around the float stages' estimates, GCN (as inference)`,
      }, floatLayers)));
    }
    return out;
  } finally {
    for (const p of prepared) await p.session.close();
  }
}

function build(p: PreparedStage, method: CalibrationMethod, calibrationSet: QuantizationInfo['calibrationSet'], floatLayers: readonly string[]): QuantizedStage {
  const m: ModelProto = decodeModel(p.band);
  const { quantized, float } = applyQdq(m, (v) => p.collector.range(v, method), p.options);
  const info: QuantizationInfo = {
    format: 'qdq',
    weights: 'int8, symmetric, per output channel',
    activations: 'uint8, per tensor, calibrated',
    calibration: describeMethod(method),
    floatLayers: float.map((f) => f.replace(/_node$/, '')).filter((f) => floatLayers.includes(f)),
    quantizedLayers: quantized.map((q) => q.replace(/_node$/, '')),
    lrn: 'band-matrix',
    calibrationSet,
    source: { file: p.stage.source, onnxSha256: p.onnxSha256, checkpointSha256: p.stage.metadata.source.sha256 },
    tool: QUANTIZER_ID,
    created: new Date().toISOString(),
  };
  const metadata: ModelMetadata = { ...p.stage.metadata, quantization: info as unknown as Record<string, unknown> };
  const props = encodeMetadata(metadata);
  m.metadataProps = Object.entries(props).map(([key, value]) => ({ key, value })) as ModelProto['metadataProps'];
  m.docString = `${m.docString ?? ''} — int8 QDQ (${info.calibration}) by ${QUANTIZER_ID}`;
  return { bytes: encodeModel(m), metadata };
}

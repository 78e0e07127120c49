/**
 * `deeppose inspect` of a converted model rather than a checkpoint: an
 * `.onnx` file, a `cascade.json` or a cascade directory. Prints each
 * stage's metadata, and for int8 models how they were quantised
 * (calibration set, method, float layers, the source model's hashes).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { StageModel } from '../model/model-source.js';
import { describeQuantization, quantizationOf } from '../model/quantize/metadata.js';

/** Whether `file` names a converted model (ONNX, cascade.json or a directory holding one) rather than a checkpoint. */
export function isModelSpec(file: string): boolean {
  if (file.endsWith('.onnx') || file.endsWith('.json')) return true;
  return existsSync(file) && statSync(file).isDirectory() && existsSync(path.join(file, 'cascade.json'));
}

export function formatModelInspect(spec: string, stages: readonly StageModel[]): string {
  const out: string[] = [];
  out.push(`model      ${spec}${stages.length > 1 ? ` (cascade, ${stages.length} stages)` : ''}`);
  for (const [i, s] of stages.entries()) {
    const m = s.metadata;
    const q = quantizationOf(m);
    out.push(`stage ${i + 1}    ${s.onnxPath}`);
    out.push(`  arch       ${m.archTitle}, ${m.parameterCount.toLocaleString('en-US')} parameters, ${m.joints} joints${m.skeleton ? ` (${m.skeleton})` : ''}, input ${m.inputSize}×${m.inputSize} ${m.channels.toUpperCase()}${m.cascade.sigma !== undefined ? `, σ ${m.cascade.sigma}` : ''}`);
    out.push(`  source     ${m.source.name}, ${m.source.container}, sha256 ${m.source.sha256}`);
    if (!q) {
      out.push('  precision  float32');
      continue;
    }
    const c = q.calibrationSet;
    out.push(`  precision  ${describeQuantization(q)}`);
    out.push(`  weights    ${q.weights}; activations ${q.activations}; LRN ${q.lrn}`);
    out.push(`  layers     int8: ${q.quantizedLayers.join(', ')}; float32: ${q.floatLayers.length ? q.floatLayers.join(', ') : 'none'}`);
    out.push(`  calibrated ${c.count} images of ${c.dataset} split ${c.split} (${c.first} … ${c.last}; names sha256 ${c.imagesSha256.slice(0, 16)}…), ${q.calibration}`);
    out.push(`             ${c.preprocessing}`);
    out.push(`  from       ${q.source.file} (float ONNX sha256 ${q.source.onnxSha256}, checkpoint sha256 ${q.source.checkpointSha256})`);
    out.push(`  made by    ${q.tool}, ${q.created}`);
  }
  return out.join('\n');
}

/**
 * Tiny stage models built for tests: an ONNX graph whose output is a fixed
 * vector whatever the input (y = 0·flatten(x)·W + c), with our metadata, so
 * the cascade's geometry can be checked exactly.
 */
import { writeFileSync } from 'node:fs';
import { LSP14 } from '../../data/skeletons.js';
import { GraphBuilder } from '../../model/onnx/builder.js';
import { encodeMetadata, METADATA_VERSION, type ModelMetadata } from '../../model/onnx/metadata.js';

export function writeConstantStageModel(file: string, options: { stage: number; sigma?: number; inputSize: number; output: Float32Array }): void {
  const k = options.output.length / 2;
  const s = options.inputSize;
  const g = new GraphBuilder('constant_stage');
  const x = g.input('x', 'float32', ['N', 3, s, s]);
  const flat = g.op('Flatten', [x], { axis: 1 });
  const w = g.constFloat('W', new Float32Array(2 * k * 3 * s * s), [2 * k, 3 * s * s]);
  const b = g.constFloat('b', options.output, [2 * k]);
  g.node('Gemm', [flat, w, b], { transB: 1 }, ['y']);
  g.output('y', 'float32', ['N', 2 * k]);
  const metadata: ModelMetadata = {
    formatVersion: METADATA_VERSION,
    source: { name: `constant-stage${options.stage}`, sha256: '0'.repeat(64), container: 'test', bytes: 0 },
    layout: 'bare', prefix: '', arch: 'test', archTitle: 'constant (test)', widths: {}, parameterCount: 0, keyMap: {},
    nonFinite: { policy: 'refuse', replaced: 0, tensors: [] },
    skeleton: 'lsp14', joints: k, jointNames: LSP14.joints,
    inputSize: s, channels: 'bgr',
    normalisation: { kind: 'gcn', epsilon: 1e-5, description: 'test' },
    output: { name: 'y', shape: `[N, ${2 * k}]`, description: 'constant' },
    cascade: options.sigma === undefined ? { stage: options.stage } : { stage: options.stage, sigma: options.sigma },
    converter: 'test',
  };
  writeFileSync(file, g.encode({ opset: 13, metadata: encodeMetadata(metadata) }));
}

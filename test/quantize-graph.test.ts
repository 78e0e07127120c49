/**
 * The int8 graph passes on a real (narrow) legacy AlexNet written by
 * Chainer 7.8.1: the band-matrix LRN reproduces ONNX's LRN, the QDQ model
 * is fused by onnxruntime into int8 kernels and stays close to float, and
 * the small numeric pieces (uint8 parameters, per-channel weights, range
 * methods) give their golden values.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { convertCheckpoint, modelBytes } from '../model/convert.js';
import { readNpz } from '../model/io/npz.js';
import { OrtModel } from '../model/runtime/ort.js';
import { parseMethod, RangeCollector } from '../model/quantize/calibrate.js';
import { decodeModel, encodeModel } from '../model/quantize/graph.js';
import { rewriteLrnAsBand } from '../model/quantize/lrn-band.js';
import { lrnBandMatrix } from '../model/lrn-band-form.js';
import { applyQdq, calibrationTargets, exposeValues, quantizeWeightsPerChannel, uint8Params } from '../model/quantize/qdq.js';
import { DeepPoseError } from '../core/errors.js';
import { CHAINER, scratch } from './helpers/paths.js';

const tmp = scratch();
const sessions: OrtModel[] = [];
after(async () => {
  for (const s of sessions) await s.close();
  tmp.cleanup();
});

const input = (await readNpz(path.join(CHAINER, 'parity-input.npz'))).get('x')!;
const x = { data: input.data as Float32Array, dims: input.shape };
const floatBytes = modelBytes(await convertCheckpoint(path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz')));

async function run(bytes: Uint8Array, name: string, extra: { optimizedModelPath?: string } = {}) {
  const m = await OrtModel.load(bytes, name, { threads: 1, ...extra });
  sessions.push(m);
  return m.run({ x });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

test('LRN band matrix: ONNX window c−2 … c+2 clipped to the channels, scaled by α/size', () => {
  const m = lrnBandMatrix(6, 5, 5e-4);
  const row = (c: number) => Array.from(m.subarray(c * 6, c * 6 + 6)).map((v) => (v === 0 ? 0 : +(v / 1e-4).toFixed(6)));
  assert.deepEqual(row(0), [1, 1, 1, 0, 0, 0]);
  assert.deepEqual(row(3), [0, 1, 1, 1, 1, 1]);
  assert.deepEqual(row(5), [0, 0, 0, 1, 1, 1]);
});

test('band-matrix LRN gives the LRN model\'s output (Chainer 7.8.1 AlexNet, parity input)', async () => {
  const m = decodeModel(floatBytes);
  assert.equal(rewriteLrnAsBand(m), 2);
  assert.ok(!(m.graph!.node ?? []).some((n) => n.opType === 'LRN'));
  const want = (await run(floatBytes, 'lrn')).y!.data;
  const got = (await run(encodeModel(m), 'band')).y!.data;
  const d = maxAbsDiff(want, got);
  assert.ok(d < 1e-6, `max abs difference ${d}`);
});

test('QDQ model: onnxruntime fuses QLinearConv / QGemm, output within 3% of the float range', async () => {
  const m = decodeModel(floatBytes);
  rewriteLrnAsBand(m);
  const band = encodeModel(m);
  const options = {
    excludeNodes: new Set((m.graph!.node ?? []).filter((n) => /_band_node/.test(n.name ?? '')).map((n) => n.name!)),
    floatNodes: new Set(['fc8_node']),
  };
  const targets = calibrationTargets(m, options);
  assert.deepEqual(targets, ['x', 'conv1_relu', 'conv1_lrn', 'conv2_relu', 'conv2_lrn', 'conv3_relu', 'conv4_relu', 'conv5_relu', 'fc6_relu', 'fc7_relu']);
  const cal = decodeModel(band);
  exposeValues(cal, targets);
  const out = await run(encodeModel(cal), 'calibration');
  const collector = new RangeCollector();
  for (const t of targets) collector.add(t, out[t]!.data);
  const q = decodeModel(band);
  const r = applyQdq(q, (v) => collector.range(v, { kind: 'minmax' }), options);
  assert.deepEqual(r.quantized, ['conv1_node', 'conv2_node', 'conv3_node', 'conv4_node', 'conv5_node', 'fc6_node', 'fc7_node']);
  assert.deepEqual(r.float, ['fc8_node']);
  const optimized = path.join(tmp.dir, 'optimized.onnx');
  const got = (await run(encodeModel(q), 'int8', { optimizedModelPath: optimized })).y!.data;
  const ops = new Map<string, number>();
  for (const n of decodeModel(readFileSync(optimized)).graph!.node ?? []) ops.set(n.opType!, (ops.get(n.opType!) ?? 0) + 1);
  assert.equal(ops.get('QLinearConv'), 5, JSON.stringify([...ops]));
  assert.equal(ops.get('QGemm'), 2, JSON.stringify([...ops]));
  const want = out.y!.data;
  let range = 0;
  for (const v of want) range = Math.max(range, Math.abs(v));
  const d = maxAbsDiff(want, got);
  assert.ok(d < 0.03 * range, `max abs difference ${d} vs output range ${range}`);
  assert.ok(d > 0, 'an int8 model that matches float exactly is not quantized');
});

test('uint8 parameters hold 0 exactly; weights are symmetric int8 per output channel', () => {
  assert.deepEqual(uint8Params({ lo: -1, hi: 3 }), { scale: Math.fround(4 / 255), zeroPoint: 64 });
  assert.deepEqual(uint8Params({ lo: 0.5, hi: 2.55 }), { scale: Math.fround(0.01), zeroPoint: 0 });
  assert.deepEqual(uint8Params({ lo: -2, hi: -1 }), { scale: Math.fround(2 / 255), zeroPoint: 255 });
  const { q, scales } = quantizeWeightsPerChannel(Float32Array.of(1, -0.5, 0.25, 0, 0.01, -0.04), 2);
  assert.deepEqual(Array.from(scales), [Math.fround(1 / 127), Math.fround(0.04 / 127)]);
  assert.deepEqual(Array.from(q), [127, -64, 32, 0, 32, -127]);
});

test('ranges: minmax is exact; percentile P clips both tails of the sampled values', () => {
  const c = new RangeCollector();
  const data = new Float32Array(10001);
  for (let i = 0; i <= 10000; i++) data[i] = i - 100;
  c.add('t', data);
  assert.deepEqual(c.range('t', parseMethod('minmax')), { lo: -100, hi: 9900 });
  assert.deepEqual(c.range('t', parseMethod('percentile:99')), { lo: 0, hi: 9800 });
  assert.deepEqual(parseMethod('percentile'), { kind: 'percentile', percentile: 99.99 });
  assert.throws(() => parseMethod('entropy'), (e: unknown) => e instanceof DeepPoseError && e.code === 'E_INVALID_ARGUMENT'
    && e.message === '--calibration: expected minmax, percentile or percentile:P with 90 < P < 100, found "entropy"');
});

test('session-time band LRN on the bytes: same output as LRN, same graph as the schema-based pass; no LRN, same bytes', async () => {
  const { bandLrnBytes } = await import('../model/runtime/band-lrn.js');
  const rewritten = bandLrnBytes(floatBytes);
  const ops = (decodeModel(rewritten).graph!.node ?? []).map((n) => n.opType);
  const viaSchema = decodeModel(floatBytes);
  rewriteLrnAsBand(viaSchema);
  assert.deepEqual(ops, (viaSchema.graph!.node ?? []).map((n) => n.opType));
  assert.equal(ops.filter((o) => o === 'LRN').length, 0);
  const want = (await run(floatBytes, 'lrn')).y!.data;
  const got = (await run(rewritten, 'band bytes')).y!.data;
  const d = maxAbsDiff(want, got);
  assert.ok(d < 1e-6, `max abs difference ${d}`);
  assert.ok(d > 0 || ops.includes('Pow'));
  assert.equal(bandLrnBytes(rewritten), rewritten);
  const viaOption = await OrtModel.load(floatBytes, 'option', { threads: 1, lrn: 'band' });
  sessions.push(viaOption);
  assert.ok(maxAbsDiff(want, (await viaOption.run({ x })).y!.data) < 1e-6);
});

test('band LRN: β = 0.75 runs as two square roots (no Pow), any other β keeps Pow; both give the LRN output, on the bytes and on the schema', async () => {
  const { bandLrnBytes } = await import('../model/runtime/band-lrn.js');
  const opsOf = (bytes: Uint8Array) => (decodeModel(bytes).graph!.node ?? []).map((n) => n.opType!);
  const usual = opsOf(bandLrnBytes(floatBytes));
  assert.equal(usual.filter((o) => o === 'Sqrt').length, 4);
  assert.equal(usual.filter((o) => o === 'Pow').length, 0);
  // The same network with β = 0.5 in both LRNs.
  const m = decodeModel(floatBytes);
  for (const n of m.graph!.node ?? []) if (n.opType === 'LRN') n.attribute!.find((a) => a.name === 'beta')!.f = 0.5;
  const half = encodeModel(m);
  const want = (await run(half, 'lrn β 0.5')).y!.data;
  const rewritten = bandLrnBytes(half);
  assert.deepEqual(opsOf(rewritten).filter((o) => o === 'Pow' || o === 'Sqrt'), ['Pow', 'Pow']);
  const viaSchema = decodeModel(half);
  rewriteLrnAsBand(viaSchema);
  assert.deepEqual(opsOf(encodeModel(viaSchema)), opsOf(rewritten));
  for (const [label, bytes] of [['bytes', rewritten], ['schema', encodeModel(viaSchema)]] as const) {
    const d = maxAbsDiff(want, (await run(bytes, `band β 0.5, ${label}`)).y!.data);
    assert.ok(d < 1e-6, `${label}: max abs difference ${d}`);
  }
  assert.ok(maxAbsDiff(want, (await run(floatBytes, 'lrn β 0.75')).y!.data) > 1e-3, 'β changes the output (the test would see a β ignored)');
});

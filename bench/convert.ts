/**
 * Scale of the converter: writes a legacy-width AlexNet checkpoint (fc6
 * 4096×9216, random weights, Chainer's `predictor/` key layout, compressed
 * like `save_npz`), converts it in a fresh process, and records wall time and
 * peak RSS against the file size. Target: < 5 s and peak RSS < 3 × file size.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeNpz } from '../model/io/npz.js';
import type { NdArray } from '../model/io/npy.js';
import { median, writeResult } from './common.js';

const LEGACY_SHAPES: [string, number[]][] = [
  ['conv1/W', [96, 3, 11, 11]], ['conv1/b', [96]],
  ['conv2/W', [256, 96, 5, 5]], ['conv2/b', [256]],
  ['conv3/W', [384, 256, 3, 3]], ['conv3/b', [384]],
  ['conv4/W', [384, 384, 3, 3]], ['conv4/b', [384]],
  ['conv5/W', [256, 384, 3, 3]], ['conv5/b', [256]],
  ['fc6/W', [4096, 9216]], ['fc6/b', [4096]],
  ['fc7/W', [4096, 4096]], ['fc7/b', [4096]],
  ['fc8/W', [28, 4096]], ['fc8/b', [28]],
];

/** Deterministic pseudo-random weights (xorshift), scaled like a He init. */
function randomArray(shape: number[], seed: number): NdArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const fanIn = shape.length > 1 ? n / shape[0]! : 1;
  const scale = Math.sqrt(2 / fanIn);
  const data = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
  return { dtype: 'float32', shape, data };
}

/** Writes a legacy-width AlexNet checkpoint with random weights (Chainer's predictor/ keys, deflated). */
export async function writeLegacyCheckpoint(file: string): Promise<void> {
  await writeNpz(file, LEGACY_SHAPES.map(([k, s], i) => [`predictor/${k}`, randomArray(s, i + 1)] as const), { compress: true });
}

export async function benchConvert(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'deeppose-bench-convert-'));
  try {
    const input = path.join(dir, 'epoch-legacy.model');
    process.stderr.write('bench convert: writing a legacy-width AlexNet checkpoint (random weights)…\n');
    await writeLegacyCheckpoint(input);
    const fileBytes = statSync(input).size;
    const child = fileURLToPath(new URL('./convert-child.js', import.meta.url));
    const runs: { seconds: number; maxRssBytes: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const out = path.join(dir, `model${i}.onnx`);
      const { stdout } = await promisify(execFile)(process.execPath, [child, input, out], { maxBuffer: 1 << 20 });
      runs.push(JSON.parse(stdout) as { seconds: number; maxRssBytes: number });
      process.stderr.write(`bench convert: run ${i + 1}: ${runs[i]!.seconds.toFixed(2)} s, peak RSS ${(runs[i]!.maxRssBytes / 2 ** 20).toFixed(0)} MiB\n`);
      rmSync(out);
    }
    const result = {
      description: 'deeppose convert of a legacy-width AlexNet checkpoint (fc6 4096×9216, predictor/ keys, deflated npz), fresh process per run',
      fileBytes,
      fileMiB: +(fileBytes / 2 ** 20).toFixed(1),
      runs,
      medianSeconds: +median(runs.map((r) => r.seconds)).toFixed(2),
      maxPeakRssMiB: +(Math.max(...runs.map((r) => r.maxRssBytes)) / 2 ** 20).toFixed(0),
      peakRssOverFileSize: +(Math.max(...runs.map((r) => r.maxRssBytes)) / fileBytes).toFixed(2),
      targets: { seconds: 5, peakRssOverFileSize: 3 },
    };
    await writeResult('convert', result);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(JSON.stringify(await benchConvert(), null, 2));
}

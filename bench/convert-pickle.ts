/**
 * Scale of the pickle reader: writes a legacy-width 2015 `VGG` FunctionSet
 * pickle (conv1…conv13 64…512 channels, fc14 4096×25088, fc15 4096×4096,
 * pred 28×4096; random weights AND their gradients gW/gb, as the legacy
 * train.py saved them) with the same pickle structure as the Chainer 1.4.1
 * fixtures (protocol 2, Python 2 BINSTRING payloads), about 1.07 GB; then
 * converts it in a fresh process and records wall time and peak RSS.
 * Targets (issue 13): < 15 s and peak RSS < 1.5 × the file size.
 */
import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, writeResult } from './common.js';

const CONVS: [number, number][] = [
  [3, 64], [64, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 256],
  [256, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512],
];
const LINEARS: [string, number, number][] = [['fc14', 25088, 4096], ['fc15', 4096, 4096], ['pred', 4096, 28]];

/** Streams pickle opcodes to a file descriptor. */
class PickleOut {
  private buf = Buffer.allocUnsafe(1 << 16);
  private n = 0;
  constructor(private readonly fd: number) {}
  bytes(b: Uint8Array | number[]): this {
    const src = Buffer.isBuffer(b) ? b : Buffer.from(b as Uint8Array);
    if (this.n + src.length > this.buf.length) this.flush();
    if (src.length > this.buf.length) writeSync(this.fd, src);
    else {
      src.copy(this.buf, this.n);
      this.n += src.length;
    }
    return this;
  }
  text(s: string): this {
    return this.bytes(Buffer.from(s, 'latin1'));
  }
  shortStr(s: string): this {
    return this.bytes([0x55, s.length]).text(s);
  }
  int(v: number): this {
    if (v >= 0 && v < 256) return this.bytes([0x4b, v]);
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(v, 1);
    return this.bytes(b);
  }
  flush(): void {
    if (this.n > 0) writeSync(this.fd, this.buf, 0, this.n);
    this.n = 0;
  }
}

/** xorshift32 random floats scaled like a He init, written as a BINSTRING in 4 MiB pieces. */
function writeArray(p: PickleOut, shape: number[], seed: number): void {
  p.text('cnumpy.core.multiarray\n_reconstruct\n').text('cnumpy\nndarray\n').int(0).bytes([0x85]).shortStr('b').bytes([0x87, 0x52]);
  p.bytes([0x28]).int(1).bytes([0x28]);
  for (const d of shape) p.int(d);
  p.bytes([0x74]);
  p.text('cnumpy\ndtype\n').shortStr('f4').bytes([0x89, 0x88, 0x87, 0x52]);
  p.bytes([0x28]).int(3).shortStr('<').bytes([0x4e, 0x4e, 0x4e]).int(-1).int(-1).int(0).bytes([0x74, 0x62]);
  p.bytes([0x89]);
  const count = shape.reduce((a, b) => a * b, 1);
  const head = Buffer.alloc(5);
  head[0] = 0x54; // BINSTRING
  head.writeInt32LE(count * 4, 1);
  p.bytes(head);
  p.flush();
  const fanIn = shape.length > 1 ? count / shape[0]! : 1;
  const scale = Math.sqrt(2 / fanIn);
  const piece = new Float32Array(1 << 20);
  let s = seed >>> 0 || 1;
  for (let done = 0; done < count;) {
    const n = Math.min(piece.length, count - done);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      piece[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * scale;
    }
    p.bytes(new Uint8Array(piece.buffer, 0, n * 4));
    p.flush();
    done += n;
  }
  p.bytes([0x74, 0x62]);
}

/** Writes the legacy-width VGG pickle (weights and gradients) to `file`. */
export function writeLegacyVggPickle(file: string, joints = 14): void {
  const fd = openSync(file, 'w');
  try {
    const p = new PickleOut(fd);
    p.bytes([0x80, 2]).text('cVGG\nVGG\n').bytes([0x29, 0x81, 0x7d, 0x28]);
    let seed = 1;
    const layer = (name: string, cls: string, w: number[], extra: [string, number][]) => {
      p.shortStr(name).text(`c${cls}\n`).bytes([0x29, 0x81, 0x7d, 0x28]);
      for (const [k, v] of extra) p.shortStr(k).int(v);
      p.shortStr('W');
      writeArray(p, w, seed++);
      p.shortStr('b');
      writeArray(p, [w[0]!], seed++);
      p.shortStr('gW');
      writeArray(p, w, seed++);
      p.shortStr('gb');
      writeArray(p, [w[0]!], seed++);
      p.shortStr('use_cudnn').bytes([0x88]);
      p.bytes([0x75, 0x62]);
    };
    CONVS.forEach(([cin, cout], i) => layer(`conv${i + 1}`, 'chainer.functions.connection.convolution_2d\nConvolution2D', [cout, cin, 3, 3],
      [['kh', 3], ['kw', 3], ['sy', 1], ['sx', 1], ['ph', 1], ['pw', 1], ['in_channels', cin], ['out_channels', cout]]));
    for (const [name, cin, cout] of LINEARS) layer(name, 'chainer.functions.connection.linear\nLinear', [name === 'pred' ? joints * 2 : cout, cin], []);
    p.bytes([0x75, 0x62, 0x2e]);
    p.flush();
  } finally {
    closeSync(fd);
  }
}

export async function benchConvertPickle(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'deeppose-bench-pickle-'));
  try {
    const input = path.join(dir, 'VGG_epoch_100.chainermodel');
    process.stderr.write('bench convert-pickle: writing a legacy-width VGG pickle with gradients (random weights)…\n');
    const tw = performance.now();
    writeLegacyVggPickle(input);
    const writeSeconds = (performance.now() - tw) / 1000;
    const fileBytes = statSync(input).size;
    process.stderr.write(`bench convert-pickle: ${(fileBytes / 1e9).toFixed(2)} GB written in ${writeSeconds.toFixed(1)} s\n`);
    const child = fileURLToPath(new URL('./convert-child.js', import.meta.url));
    const runs: { seconds: number; maxRssBytes: number }[] = [];
    for (let i = 0; i < 2; i++) {
      const out = path.join(dir, `model${i}.onnx`);
      const { stdout } = await promisify(execFile)(process.execPath, [child, input, out], { maxBuffer: 1 << 20 });
      runs.push(JSON.parse(stdout) as { seconds: number; maxRssBytes: number });
      process.stderr.write(`bench convert-pickle: run ${i + 1}: ${runs[i]!.seconds.toFixed(2)} s, peak RSS ${(runs[i]!.maxRssBytes / 2 ** 20).toFixed(0)} MiB\n`);
      rmSync(out);
    }
    const peak = Math.max(...runs.map((r) => r.maxRssBytes));
    const result = {
      description: 'deeppose convert of a legacy-width 2015 VGG FunctionSet pickle with gradients (protocol 2, random weights), fresh process per run',
      fileBytes,
      fileGB: +(fileBytes / 1e9).toFixed(3),
      writeSeconds: +writeSeconds.toFixed(1),
      runs,
      medianSeconds: +median(runs.map((r) => r.seconds)).toFixed(2),
      maxPeakRssMiB: +(peak / 2 ** 20).toFixed(0),
      peakRssOverFileSize: +(peak / fileBytes).toFixed(2),
      targets: { seconds: 15, peakRssOverFileSize: 1.5 },
    };
    await writeResult('convert-pickle', result);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(JSON.stringify(await benchConvertPickle(), null, 2));
}

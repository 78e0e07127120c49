/**
 * The safe pickle reader across protocols: the 2015 AlexNet_flic pickle
 * (protocol 2, Python 2) is re-encoded here, opcode by opcode as Python
 * writes them, in protocol 0 (Python 2's text default, `copy_reg`
 * reconstructor, escaped STRING payloads), protocol 4 (Python 3: FRAME,
 * STACK_GLOBAL, MEMOIZE, BINBYTES) and protocol 5 (numpy's `_frombuffer` with
 * BYTEARRAY8), as a Chainer ≥ 1.5 Chain of `Variable` parameters; each
 * converts and reproduces Chainer 1.4.1's output.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { convertCheckpoint, modelBytes } from '../model/convert.js';
import { readCheckpoint } from '../model/checkpoint/read.js';
import type { NdArray } from '../model/io/npy.js';
import { readNpz } from '../model/io/npz.js';
import { OrtModel } from '../model/runtime/ort.js';
import { CHAINER, FIXTURES, scratch } from './helpers/paths.js';

const LEGACY = path.join(FIXTURES, 'chainer-legacy');
const FLIC = path.join(LEGACY, 'c14-AlexNet_flic_epoch_1.chainermodel');
const tmp = scratch();
const models: OrtModel[] = [];
after(async () => {
  for (const m of models) await m.close();
  tmp.cleanup();
});

/** A minimal pickle writer for the tests: opcodes appended as bytes. */
class Writer {
  readonly parts: Buffer[] = [];
  memo = 0;
  op(code: number, ...rest: (Buffer | number[])[]): this {
    this.parts.push(Buffer.from([code]));
    for (const r of rest) this.parts.push(Buffer.isBuffer(r) ? r : Buffer.from(r));
    return this;
  }
  text(s: string): Buffer {
    return Buffer.from(`${s}\n`, 'latin1');
  }
  u32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  }
  u64(n: number): Buffer {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const f32bytes = (a: NdArray) => Buffer.from((a.data as Float32Array).buffer, (a.data as Float32Array).byteOffset, (a.data as Float32Array).byteLength);

/** Python 2 `repr` of a byte string, as protocol 0's STRING writes it. */
function pyRepr(b: Buffer): string {
  let s = "'";
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c === 0x27) s += "\\'";
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${s}'`;
}

type Layers = Map<string, Map<string, NdArray>>;

async function flicLayers(): Promise<Layers> {
  const raw = await readCheckpoint(FLIC);
  const layers: Layers = new Map();
  for (const t of raw.tensors) {
    const [layer, attr] = t.key.split('/') as [string, string];
    if (!layers.has(layer)) layers.set(layer, new Map());
    layers.get(layer)!.set(attr, t.array);
  }
  return layers;
}

/** Protocol 0, as Python 2's cPickle.dump(model, f) wrote it (new-style classes via copy_reg._reconstructor). */
function protocol0(layers: Layers): Buffer {
  const w = new Writer();
  const obj = (module: string, name: string) => {
    w.op(0x63, w.text('copy_reg'), w.text('_reconstructor')).op(0x28).op(0x63, w.text(module), w.text(name));
    w.op(0x63, w.text('__builtin__'), w.text('object')).op(0x4e).op(0x74).op(0x52).op(0x70, w.text(String(w.memo++)));
  };
  const array = (a: NdArray) => {
    w.op(0x63, w.text('numpy.core.multiarray'), w.text('_reconstruct')).op(0x28).op(0x63, w.text('numpy'), w.text('ndarray'));
    w.op(0x28).op(0x49, w.text('0')).op(0x74).op(0x53, w.text("'b'")).op(0x74).op(0x52);
    w.op(0x28).op(0x49, w.text('1')).op(0x28);
    for (const d of a.shape) w.op(0x49, w.text(String(d)));
    w.op(0x74);
    w.op(0x63, w.text('numpy'), w.text('dtype')).op(0x28).op(0x53, w.text("'f4'")).op(0x49, w.text('00')).op(0x49, w.text('01')).op(0x74).op(0x52);
    w.op(0x28).op(0x49, w.text('3')).op(0x53, w.text("'<'")).op(0x4e).op(0x4e).op(0x4e).op(0x49, w.text('-1')).op(0x49, w.text('-1')).op(0x49, w.text('0')).op(0x74).op(0x62);
    w.op(0x49, w.text('00')).op(0x53, w.text(pyRepr(f32bytes(a)))).op(0x74).op(0x62);
  };
  obj('AlexNet_flic', 'AlexNet_flic');
  w.op(0x28).op(0x64);
  for (const [layer, attrs] of layers) {
    w.op(0x53, w.text(`'${layer}'`));
    obj('chainer.functions.connection.linear', 'Linear');
    w.op(0x28).op(0x64);
    for (const [k, a] of attrs) {
      w.op(0x53, w.text(`'${k}'`));
      array(a);
      w.op(0x73);
    }
    w.op(0x53, w.text("'use_cudnn'")).op(0x49, w.text('01')).op(0x73);
    w.op(0x62).op(0x73);
  }
  w.op(0x62).op(0x2e);
  return w.bytes();
}

/** Protocol 4 or 5 as Python 3 writes a Chainer ≥ 1.5 Chain whose parameters are Variables. */
function protocol45(layers: Layers, proto: 4 | 5): Buffer {
  const w = new Writer();
  const str = (s: string) => w.op(0x8c, [Buffer.byteLength(s)], Buffer.from(s)).op(0x94);
  const global = (m: string, n: string) => {
    str(m);
    str(n);
    w.op(0x93).op(0x94);
  };
  const dtype = () => {
    global('numpy', 'dtype');
    str('f4');
    w.op(0x89).op(0x88).op(0x87).op(0x52).op(0x94);
    w.op(0x28, [0x4b, 3]);
    str('<');
    w.op(0x4e).op(0x4e).op(0x4e).op(0x4a, [0xff, 0xff, 0xff, 0xff]).op(0x4a, [0xff, 0xff, 0xff, 0xff]).op(0x4b, [0]).op(0x74).op(0x62);
  };
  const array4 = (a: NdArray) => {
    const data = f32bytes(a);
    global('numpy.core.multiarray', '_reconstruct');
    global('numpy', 'ndarray');
    w.op(0x4b, [0]).op(0x85).op(0x43, [1], Buffer.from('b')).op(0x87).op(0x52).op(0x94);
    w.op(0x28, [0x4b, 1]);
    w.op(0x28);
    for (const d of a.shape) w.op(0x4a, w.u32(d));
    w.op(0x74);
    dtype();
    w.op(0x89).op(0x42, w.u32(data.length), data).op(0x74).op(0x62);
  };
  const array5 = (a: NdArray) => {
    const data = f32bytes(a);
    global('numpy.core.numeric', '_frombuffer');
    w.op(0x28).op(0x96, w.u64(data.length), data).op(0x94);
    dtype();
    w.op(0x28);
    for (const d of a.shape) w.op(0x4a, w.u32(d));
    w.op(0x74);
    str('C');
    w.op(0x74).op(0x52).op(0x94);
  };
  w.op(0x80, [proto]).op(0x95, w.u64(0));
  global('net', 'AlexNetChain');
  w.op(0x29).op(0x81).op(0x94).op(0x7d).op(0x94).op(0x28);
  for (const [layer, attrs] of layers) {
    str(layer);
    global('chainer.links.connection.linear', 'Linear');
    w.op(0x29).op(0x81).op(0x94).op(0x7d).op(0x94).op(0x28);
    for (const [k, a] of attrs) {
      str(k);
      global('chainer.variable', 'Variable');
      w.op(0x29).op(0x81).op(0x94).op(0x7d).op(0x94).op(0x28);
      str('data');
      if (proto === 5) array5(a);
      else array4(a);
      str('grad');
      w.op(0x4e);
      w.op(0x75).op(0x62);
    }
    w.op(0x75).op(0x62);
  }
  w.op(0x75).op(0x62).op(0x2e);
  return w.bytes();
}

const x = (await readNpz(path.join(CHAINER, 'parity-input.npz'))).get('x')!;
const expected = (await readNpz(path.join(LEGACY, 'c14-AlexNet_flic_epoch_1.chainermodel.expected.npz'))).get('y')!.data as Float32Array;

async function parity(file: string): Promise<number> {
  const r = await convertCheckpoint(file);
  assert.equal(r.metadata.arch, 'alexnet');
  assert.equal(r.metadata.source.container, 'pickle');
  const m = await OrtModel.load(modelBytes(r), file);
  models.push(m);
  const y = (await m.run({ x: { data: x.data as Float32Array, dims: x.shape } })).y!.data;
  let err = 0;
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(expected[i]! - y[i]!));
  return err;
}

for (const [name, encode] of [
  ['protocol 0 (Python 2 text, copy_reg reconstructor, escaped STRING data)', protocol0],
  ['protocol 4 (Python 3, FRAME, STACK_GLOBAL, MEMOIZE, BINBYTES; Chain of Variables)', (l: Layers) => protocol45(l, 4)],
  ['protocol 5 (numpy _frombuffer of a BYTEARRAY8; Chain of Variables)', (l: Layers) => protocol45(l, 5)],
] as const) {
  test(`${name} converts and matches Chainer 1.4.1`, async (t) => {
    const file = path.join(tmp.dir, `flic-${name.split(' ')[1]}.pkl`);
    writeFileSync(file, encode(await flicLayers()));
    const err = await parity(file);
    t.diagnostic(`max abs error ${err.toExponential(2)}`);
    assert.ok(err < 1e-4, `max abs error ${err}`);
  });
}

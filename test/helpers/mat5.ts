/** A small MATLAB 5 MAT-file writer for tests (numeric double arrays, optional zlib compression, either byte order). */
import { deflateSync } from 'node:zlib';

export interface MatVar {
  name: string;
  dims: number[];
  /** Column-major values. */
  data: ArrayLike<number>;
}

function element(type: number, payload: Buffer, little: boolean): Buffer {
  const tag = Buffer.alloc(8);
  if (little) {
    tag.writeUInt32LE(type, 0);
    tag.writeUInt32LE(payload.length, 4);
  } else {
    tag.writeUInt32BE(type, 0);
    tag.writeUInt32BE(payload.length, 4);
  }
  const pad = Buffer.alloc((8 - (payload.length % 8)) % 8);
  return Buffer.concat([tag, payload, pad]);
}

/** The small data element form (MATLAB writes short names this way): size in the tag's upper 16 bits, 4 data bytes. */
function smallElement(type: number, payload: Buffer, little: boolean): Buffer {
  const out = Buffer.alloc(8);
  const tag = (payload.length << 16) | type;
  little ? out.writeUInt32LE(tag >>> 0, 0) : out.writeUInt32BE(tag >>> 0, 0);
  payload.copy(out, 4);
  return out;
}

function matrix(v: MatVar, little: boolean): Buffer {
  const u32 = (n: number) => { const b = Buffer.alloc(4); little ? b.writeUInt32LE(n) : b.writeUInt32BE(n); return b; };
  const i32 = (n: number) => { const b = Buffer.alloc(4); little ? b.writeInt32LE(n) : b.writeInt32BE(n); return b; };
  const flags = element(6, Buffer.concat([u32(6 /* double */), u32(0)]), little);
  const dims = element(5, Buffer.concat(v.dims.map(i32)), little);
  const name = v.name.length <= 4 ? smallElement(1, Buffer.from(v.name, 'latin1'), little) : element(1, Buffer.from(v.name, 'latin1'), little);
  const data = Buffer.alloc(v.data.length * 8);
  for (let i = 0; i < v.data.length; i++) little ? data.writeDoubleLE(v.data[i]!, i * 8) : data.writeDoubleBE(v.data[i]!, i * 8);
  return element(14, Buffer.concat([flags, dims, name, element(9, data, little)]), little);
}

/** Bytes of a MAT-file holding `vars`. */
export function writeMat5(vars: MatVar[], options: { compress?: boolean; littleEndian?: boolean; headerText?: string } = {}): Buffer {
  const little = options.littleEndian ?? true;
  const header = Buffer.alloc(128, 0x20);
  header.write(options.headerText ?? 'MATLAB 5.0 MAT-file, written by the deeppose tests', 0, 'latin1');
  header.fill(0, 116, 124);
  header.writeUInt16LE(0x0100, 124);
  header.write(little ? 'IM' : 'MI', 126, 'latin1');
  if (!little) header.writeUInt16BE(0x0100, 124);
  const body = vars.map((v) => {
    const m = matrix(v, little);
    if (!options.compress) return m;
    const z = deflateSync(m);
    const tag = Buffer.alloc(8);
    little ? (tag.writeUInt32LE(15, 0), tag.writeUInt32LE(z.length, 4)) : (tag.writeUInt32BE(15, 0), tag.writeUInt32BE(z.length, 4));
    return Buffer.concat([tag, z]);
  });
  return Buffer.concat([header, ...body]);
}

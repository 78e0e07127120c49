/**
 * Builds small zip archives byte by byte, including ones that a well-behaved
 * writer refuses to make (entry names with `../` or absolute paths), for
 * bad-input tests.
 */
import { crc32 } from 'node:zlib';

/**
 * A zip entry as written: its bytes as stored in the archive (`method` 0:
 * as they are, 8: deflated by the caller), and the CRC-32 and uncompressed
 * size the headers declare, which may lie.
 */
export interface RawZipEntry {
  readonly name: string;
  readonly stored: Uint8Array;
  readonly method: 0 | 8;
  readonly crc: number;
  readonly size: number;
}

/** A zip of `entries` exactly as given (local headers, central directory, end record). */
export function rawZip(entries: readonly RawZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.stored.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.stored.length, 20);
    central.writeUInt32LE(e.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(e.stored));
    centrals.push(central, name);
    offset += local.length + name.length + e.stored.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A zip of uncompressed entries with honest headers. */
export function storedZip(entries: readonly { name: string; data: Uint8Array }[]): Buffer {
  return rawZip(entries.map((e) => ({ name: e.name, stored: e.data, method: 0, crc: crc32(e.data), size: e.data.length })));
}

/** A `.npy` v1.0 payload with a hand-written header (any descr/order/shape) and raw data. */
export function rawNpy(header: string, data: Uint8Array): Buffer {
  let h = header;
  const total = 10 + h.length + 1;
  h += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  head.writeUInt16LE(h.length, 8);
  return Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(data)]);
}

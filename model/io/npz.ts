/**
 * NumPy `.npz` archives (zip files of `.npy` entries), as written by
 * `numpy.savez[_compressed]` and Chainer's `serializers.save_npz`. Reading
 * uses yauzl (a maintained zip reader that validates entry names and sizes);
 * writing uses yazl.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { createInflateRaw, crc32, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { DeepPoseError, formatShape } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/write-atomic.js';
import { checkNpyLength, elementCount, encodeNpy, npyDtype, parseNpy, parseNpyHeader, type NdArray } from './npy.js';

/** The archive itself cannot be read (truncated, not a zip, bad entry). */
export class NpzFormatError extends DeepPoseError {
  constructor(message: string, cause?: unknown) {
    super('E_NPZ_FORMAT', message, cause === undefined ? undefined : { cause });
  }
}

export interface NpzEntry {
  /** Entry name without the `.npy` suffix, e.g. `predictor/conv1/W`. */
  readonly key: string;
  readonly compression: 'stored' | 'deflate';
  readonly compressedBytes: number;
  readonly array: NdArray;
}

/** Entries below this compressed size are read with their local header in one call. */
const SMALL_ENTRY = 64 * 1024;

/** Largest single entry we inflate (protects against zip bombs). */
const MAX_ENTRY_BYTES = 4 * 1024 ** 3;

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (err, zip) => {
      if (err) reject(err);
      else resolve(zip);
    });
  });
}

/**
 * Reads one entry's bytes. yauzl has validated the central directory (names,
 * sizes); the data are read straight into one buffer and inflated into one
 * preallocated output, so a 150 MB weight never leaves a trail of stream
 * chunks behind (peak memory stays near the size of the weights).
 */
async function readEntry(fh: FileHandle, entry: yauzl.Entry): Promise<Buffer> {
  const size = entry.uncompressedSize;
  if (size > MAX_ENTRY_BYTES) throw new Error(`entry claims ${size} bytes, more than the ${MAX_ENTRY_BYTES}-byte limit`);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new Error(`unsupported zip compression method ${entry.compressionMethod} (expected stored or deflate)`);
  }
  if (entry.isEncrypted()) throw new Error('entry is encrypted');
  // Small entries (most keys of a checkpoint): local header and data in one read.
  const guess = 30 + Buffer.byteLength(entry.fileName) + 64 + entry.compressedSize;
  const local = Buffer.allocUnsafe(entry.compressedSize < SMALL_ENTRY ? guess : 30);
  const { bytesRead } = await fh.read(local, 0, local.length, entry.relativeOffsetOfLocalHeader);
  if (bytesRead < 30 || local.readUInt32LE(0) !== 0x04034b50) throw new Error('local file header missing (the archive is damaged)');
  const headerBytes = 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const dataStart = entry.relativeOffsetOfLocalHeader + headerBytes;
  let compressed: Buffer;
  let off = 0;
  if (headerBytes + entry.compressedSize <= bytesRead) {
    compressed = local.subarray(headerBytes, headerBytes + entry.compressedSize);
    off = compressed.length;
  } else compressed = Buffer.allocUnsafe(entry.compressedSize);
  while (off < compressed.length) {
    const r = await fh.read(compressed, off, compressed.length - off, dataStart + off);
    if (r.bytesRead === 0) throw new Error(`entry data end after ${off} of ${compressed.length} bytes (the archive is truncated)`);
    off += r.bytesRead;
  }
  let out: Buffer;
  if (entry.compressionMethod === 0) out = compressed;
  else {
    try {
      // One output chunk larger than the data: zlib returns a view of it, no concatenation.
      // Stops at the declared size: an entry that inflates beyond it is refused, not held.
      out = inflateRawSync(compressed, { chunkSize: Math.max(64, size + 64), maxOutputLength: Math.max(1, size) });
    } catch (err) {
      if (err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new Error(`inflates beyond the ${size} bytes its zip header declares (a damaged or crafted archive)`);
      }
      throw new Error(`corrupt deflate data (${(err as Error).message})`);
    }
  }
  if (out.length !== size) throw new Error(`entry holds ${out.length} bytes, its header declares ${size}`);
  if ((crc32(out) >>> 0) !== entry.crc32) throw new Error('CRC-32 mismatch (the entry is corrupt)');
  return out;
}

/**
 * Inflates the start of a raw deflate stream: output stops at `maxOut`
 * bytes, and a stream that turns invalid later yields what preceded it.
 */
function inflatePrefix(compressed: Uint8Array, maxOut: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let total = 0;
    const z = createInflateRaw({ chunkSize: 1024 });
    const done = () => resolve(Buffer.concat(parts));
    z.on('data', (c: Buffer) => {
      if (total >= maxOut) return;
      parts.push(c);
      total += c.length;
      if (total >= maxOut) {
        z.destroy();
        done();
      }
    });
    z.on('error', done);
    z.on('end', done);
    z.on('close', done);
    z.end(compressed);
  });
}

/** Bytes of compressed data inflated to read an entry's `.npy` header. */
const HEADER_PROBE_BYTES = 4096;

/**
 * The `.npy` header of an entry, read from the first compressed bytes only
 * (nothing else is inflated), checked against the size the zip declares.
 */
async function readEntryHeader(fh: FileHandle, entry: yauzl.Entry, name: string): Promise<{ descr: string; fortran: boolean; shape: number[] }> {
  const local = Buffer.alloc(30);
  const { bytesRead } = await fh.read(local, 0, 30, entry.relativeOffsetOfLocalHeader);
  if (bytesRead !== 30 || local.readUInt32LE(0) !== 0x04034b50) throw new Error('local file header missing (the archive is damaged)');
  const dataStart = entry.relativeOffsetOfLocalHeader + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const probe = Buffer.alloc(Math.min(entry.compressedSize, HEADER_PROBE_BYTES));
  const r = await fh.read(probe, 0, probe.length, dataStart);
  // Inflate only a prefix, keeping whatever output precedes a damaged or crafted continuation.
  const head = entry.compressionMethod === 0 ? probe.subarray(0, r.bytesRead) : await inflatePrefix(probe.subarray(0, r.bytesRead), 64 * 1024);
  const h = parseNpyHeader(head, name);
  const kind = npyDtype(h.descr, name);
  checkNpyLength(h.shape, h.descr, kind.size, entry.uncompressedSize - h.dataOffset, name);
  const need = h.dataOffset + elementCount(h.shape) * kind.size;
  if (need !== entry.uncompressedSize) {
    throw new Error(`its .npy header declares ${formatShape(h.shape)} of '${h.descr}' (${need} bytes with the header) but the zip declares ${entry.uncompressedSize} bytes`);
  }
  return { descr: h.descr, fortran: h.fortran, shape: h.shape };
}

function describeZipError(err: unknown): string {
  const msg = (err as Error)?.message ?? String(err);
  if (/end of central directory record signature not found/i.test(msg)) {
    return 'not a complete zip archive (no central directory: the file is truncated or is not an npz)';
  }
  if (/invalid relative path|absolute path/i.test(msg)) return `unsafe entry name (${msg})`;
  return msg;
}

/** An npz opened once: its directory listed (nothing inflated), entries read on demand. */
export interface NpzArchive {
  /** Entries in archive order: key (name without `.npy`), sizes, compression. */
  readonly entries: readonly { readonly key: string; readonly compression: 'stored' | 'deflate'; readonly compressedBytes: number; readonly uncompressedBytes: number }[];
  /** Inflates and parses one entry. */
  read(key: string): Promise<NpzEntry>;
  /** An entry's dtype and shape from its `.npy` header (only the first compressed bytes are inflated). */
  header(key: string): Promise<{ descr: string; fortran: boolean; shape: number[] }>;
  close(): Promise<void>;
}

/** Opens an npz and reads its central directory (names and sizes only). */
export async function openNpz(path: string): Promise<NpzArchive> {
  const name = path;
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code) throw err;
    throw new NpzFormatError(`${name}: ${describeZipError(err)}`, err);
  }
  const byKey = new Map<string, yauzl.Entry>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (err: unknown) => reject(new NpzFormatError(`${name}: ${describeZipError(err)}`, err)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const fileName = entry.fileName;
        if (fileName.endsWith('/')) return zip.readEntry();
        if (!fileName.endsWith('.npy')) return reject(new NpzFormatError(`${name}: entry ${JSON.stringify(fileName)} is not a .npy array`));
        const key = fileName.slice(0, -4);
        if (byKey.has(key)) return reject(new NpzFormatError(`${name}: entry ${fileName} appears twice (a damaged or crafted archive)`));
        byKey.set(key, entry);
        zip.readEntry();
      });
      zip.readEntry();
    });
  } catch (err) {
    zip.close();
    throw err;
  }
  zip.close();
  const fh = await open(path, 'r');
  return {
    entries: [...byKey.entries()].map(([key, e]) => ({
      key, compression: e.compressionMethod === 0 ? 'stored' as const : 'deflate' as const, compressedBytes: e.compressedSize, uncompressedBytes: e.uncompressedSize,
    })),
    async read(key: string): Promise<NpzEntry> {
      const entry = byKey.get(key);
      if (!entry) throw new NpzFormatError(`${name}: no entry ${key}.npy`);
      let buf: Buffer;
      try {
        buf = await readEntry(fh, entry);
      } catch (err) {
        throw new NpzFormatError(`${name}: entry ${entry.fileName}: ${describeZipError(err)}`, err);
      }
      return {
        key,
        compression: entry.compressionMethod === 0 ? 'stored' : 'deflate',
        compressedBytes: entry.compressedSize,
        array: parseNpy(buf, `${name}: ${entry.fileName}`),
      };
    },
    async header(key: string) {
      const entry = byKey.get(key);
      if (!entry) throw new NpzFormatError(`${name}: no entry ${key}.npy`);
      try {
        return await readEntryHeader(fh, entry, `${name}: ${entry.fileName}`);
      } catch (err) {
        if (err instanceof DeepPoseError) throw err;
        throw new NpzFormatError(`${name}: entry ${entry.fileName}: ${describeZipError(err)}`, err);
      }
    },
    close: () => fh.close(),
  };
}

/**
 * Reads every `.npy` entry of an npz. `filter` (on the key) skips entries
 * without inflating them. Entries that are not `.npy` are reported as errors.
 */
export async function readNpzEntries(
  path: string,
  filter?: (key: string) => boolean,
  onSkip?: (key: string, uncompressedBytes: number) => void,
): Promise<NpzEntry[]> {
  const archive = await openNpz(path);
  try {
    const out: NpzEntry[] = [];
    for (const e of archive.entries) {
      if (filter && !filter(e.key)) onSkip?.(e.key, e.uncompressedBytes);
      else out.push(await archive.read(e.key));
    }
    return out;
  } finally {
    await archive.close();
  }
}

/** Reads an npz into a map from key (without `.npy`) to array. */
export async function readNpz(path: string): Promise<Map<string, NdArray>> {
  const st = await stat(path);
  if (st.isDirectory()) throw new NpzFormatError(`${path}: is a directory, expected an npz file`);
  return new Map((await readNpzEntries(path)).map((e) => [e.key, e.array]));
}

/**
 * Writes arrays as an npz (atomically). `compress` deflates entries like
 * `numpy.savez_compressed` / Chainer's `save_npz` default.
 */
export async function writeNpz(path: string, arrays: Iterable<readonly [string, NdArray]>, options: { compress?: boolean } = {}): Promise<void> {
  const zip = new yazl.ZipFile();
  const mtime = new Date(1980, 0, 1);
  for (const [key, arr] of arrays) {
    const buf = Buffer.concat(encodeNpy(arr));
    zip.addBuffer(buf, `${key}.npy`, { compress: options.compress ?? true, mtime, mode: 0o100644 });
  }
  zip.end();
  await writeFileAtomic(path, zip.outputStream as AsyncIterable<Uint8Array>);
}

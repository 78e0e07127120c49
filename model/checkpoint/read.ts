/**
 * Opens a checkpoint file of any supported container (npz, HDF5, Chainer 1.x
 * pickle) once: its keys are listed without reading tensor data (zip
 * directory, HDF5 tree and headers, the pickle's structure with its array
 * payloads skipped), then only the tensors a caller keeps are read. The file
 * is hashed once (for a pickle, in the same pass that parses it).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { sha256File } from '../../core/file-digest.js';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { openHdf5 } from '../io/hdf5.js';
import { FileByteSource } from '../io/byte-source.js';
import { dtypeOfDescr, dtypeSize, elementCount, type DType, type NdArray } from '../io/npy.js';
import { openNpz } from '../io/npz.js';
import { unpickle } from '../io/pickle.js';
import { NotACheckpointError } from '../errors.js';
import { flattenPickledModel, loadPickleEntry, type EntryKind, type PickleEntry } from './pickle-model.js';

export type Container = 'npz' | 'hdf5' | 'pickle';

export interface CheckpointTensor {
  /** Key in the file, e.g. `predictor/conv1/W`. */
  readonly key: string;
  readonly array: NdArray;
  /** npz: `stored` or `deflate`; HDF5: its filters or `none`; pickle: `numpy` or `cupy (GPU)`. */
  readonly compression: string;
}

/** What the listing knows of an entry before (or without) reading it. */
export interface EntryInfo {
  readonly key: string;
  /** Known for HDF5 and pickles from the listing; for npz only once read. */
  readonly dtype?: string;
  readonly shape?: readonly number[];
  /** Uncompressed size in bytes. */
  readonly bytes: number;
  readonly compression: string;
  /** Pickles: weight, gradient (training only), state (counters, buffers) or a needed scalar (eps). */
  readonly kind?: EntryKind;
}

export interface RawCheckpoint {
  readonly path: string;
  readonly name: string;
  readonly container: Container;
  readonly fileBytes: number;
  readonly sha256: string;
  readonly tensors: readonly CheckpointTensor[];
  /** Keys present in the file but not read (rejected by `keep`), with their size. */
  readonly skipped: readonly { key: string; bytes: number }[];
  /** Every entry of the file, in file order, as listed without reading data. */
  readonly listing?: readonly EntryInfo[];
  /** Pickles: the pickled model's class, e.g. `AlexNet_flic.AlexNet_flic`. */
  readonly pickledClass?: string;
}

/** A checkpoint opened once. */
export interface CheckpointSource {
  readonly path: string;
  readonly name: string;
  readonly container: Container;
  readonly fileBytes: number;
  readonly pickledClass?: string;
  /** Every entry, without reading tensor data. */
  list(): readonly EntryInfo[];
  /** Reads the kept entries (in file order). */
  load(keep: (key: string) => boolean): Promise<CheckpointTensor[]>;
  /**
   * Dtype and shape of the kept entries without reading their data (npz: the
   * `.npy` header from the first compressed bytes, checked against the zip's
   * declared size; HDF5 and pickles: from the listing).
   */
  shapes(keep: (key: string) => boolean): Promise<Map<string, { dtype: DType; shape: readonly number[] }>>;
  /** SHA-256 of the file (computed once). */
  sha256(): Promise<string>;
  close(): Promise<void>;
}

const ZIP_MAGIC = [0x50, 0x4b];
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Which container the first bytes announce, or undefined. */
export async function sniffContainer(file: string): Promise<Container | undefined> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await fh.read(head, 0, 64, 0);
    if (bytesRead >= 4 && ZIP_MAGIC.every((b, i) => head[i] === b)) return 'npz';
    if (bytesRead >= 8 && HDF5_MAGIC.every((b, i) => head[i] === b)) return 'hdf5';
    // Pickle protocol 2–5: PROTO n; protocol 0/1 (Python 2's default): an opening MARK, dict or list, or a GLOBAL line pair.
    if (bytesRead >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return 'pickle';
    const text = head.subarray(0, bytesRead).toString('latin1');
    if (/^[(}\]]/.test(text) || /^c[A-Za-z_][\w.]*\n[A-Za-z_]\w*\n/.test(text)) return 'pickle';
    return undefined;
  } finally {
    await fh.close();
  }
}

const NOT_A_CHECKPOINT = 'not an npz or HDF5 checkpoint, nor a Chainer pickle';

/** Opens a checkpoint after checking that it is a file of a known container. */
export async function openCheckpoint(file: string): Promise<CheckpointSource> {
  const name = path.basename(file);
  const st = await stat(file);
  if (st.isDirectory()) throw new NotACheckpointError(`${file}: is a directory, expected a checkpoint file (npz, HDF5 or pickle)`);
  if (!st.isFile()) throw new NotACheckpointError(`${file}: is not a regular file`);
  if (st.size === 0) throw new NotACheckpointError(`${file}: is empty (0 bytes), expected an npz, HDF5 or pickle checkpoint`);
  const container = await sniffContainer(file);
  if (!container) {
    if (/\.onnx$/i.test(file)) {
      throw new NotACheckpointError(`${file}: is already an ONNX model, not a Chainer checkpoint: use it as it is (--model ${file}), or see it with deeppose inspect`);
    }
    throw new NotACheckpointError(`${file}: ${NOT_A_CHECKPOINT} (its first bytes are neither a zip nor an HDF5 signature nor a pickle opcode)`);
  }
  const base = { path: file, name, container, fileBytes: st.size };
  let hash: Promise<string> | undefined;
  const sha256 = () => (hash ??= sha256File(file));
  if (container === 'npz') {
    const z = await openNpz(file);
    return {
      ...base,
      list: () => z.entries.map((e) => ({ key: e.key, bytes: e.uncompressedBytes, compression: e.compression })),
      async load(keep) {
        const out: CheckpointTensor[] = [];
        for (const e of z.entries) {
          if (!keep(e.key)) continue;
          const r = await z.read(e.key);
          out.push({ key: r.key, array: r.array, compression: r.compression });
        }
        return out;
      },
      async shapes(keep) {
        const out = new Map<string, { dtype: DType; shape: readonly number[] }>();
        for (const e of z.entries) {
          if (!keep(e.key)) continue;
          const h = await z.header(e.key);
          out.set(e.key, { dtype: dtypeOfDescr(h.descr)?.dtype ?? 'unicode', shape: h.shape });
        }
        return out;
      },
      sha256,
      close: () => z.close(),
    };
  }
  if (container === 'hdf5') {
    const h = await openHdf5(file);
    return {
      ...base,
      list: () => h.entries.map((e) => ({
        key: e.key, dtype: e.dtype, shape: e.shape, compression: e.compression,
        bytes: e.dtype === 'unicode' ? 0 : elementCount(e.shape) * dtypeSize(e.dtype),
      })),
      load: async (keep) => h.entries.filter((e) => keep(e.key)).map((e) => h.read(e.key)),
      shapes: async (keep) => new Map(h.entries.filter((e) => keep(e.key)).map((e) => [e.key, { dtype: e.dtype, shape: e.shape }])),
      sha256,
      close: async () => h.close(),
    };
  }
  // A pickle: one sequential pass parses its structure and hashes every byte; payloads are left in the file.
  const hasher = createHash('sha256');
  const src = new FileByteSource(file, (chunk) => hasher.update(chunk));
  let entries: PickleEntry[];
  let className: string;
  try {
    const root = unpickle(src, file);
    src.drain();
    ({ entries, className } = flattenPickledModel(root, file));
  } finally {
    src.close();
  }
  const digest = hasher.digest('hex');
  const fd = openSync(file, 'r');
  return {
    ...base,
    pickledClass: className,
    list: () => entries.map((e) => ({ key: e.key, dtype: e.dtype, shape: e.shape, bytes: e.bytes, compression: e.origin, kind: e.kind })),
    load: async (keep) => entries.filter((e) => keep(e.key)).map((e) => ({ key: e.key, array: loadPickleEntry(fd, e, file), compression: e.origin })),
    shapes: async (keep) => new Map(entries.filter((e) => keep(e.key)).map((e) => [e.key, { dtype: (dtypeOfDescr(`<${e.array?.dtype?.descr ?? 'f8'}`)?.dtype ?? 'unicode'), shape: e.shape }])),
    sha256: async () => digest,
    close: async () => closeSync(fd),
  };
}

/** Keys that are read by default: everything, except a pickle's gradients and state (listed, never loaded). */
export function defaultKeep(listing: readonly EntryInfo[]): (key: string) => boolean {
  const skip = new Set(listing.filter((e) => e.kind === 'gradient' || e.kind === 'state').map((e) => e.key));
  return (k) => !skip.has(k);
}

/**
 * Reads a checkpoint. `keep` (on the file key) lets callers skip reading
 * entries they do not need (optimizer moments of a trainer snapshot, a
 * pickle's gradients).
 */
export async function readCheckpoint(file: string, keep?: (key: string) => boolean, options: { hash?: boolean } = {}): Promise<RawCheckpoint> {
  const src = await openCheckpoint(file);
  try {
    return await readFrom(src, keep, options);
  } finally {
    await src.close();
  }
}

/** Reads the kept entries of an opened checkpoint into a RawCheckpoint. */
export async function readFrom(src: CheckpointSource, keep?: (key: string) => boolean, options: { hash?: boolean } = {}): Promise<RawCheckpoint> {
  const listing = src.list();
  const wanted = keep ?? defaultKeep(listing);
  const [sha256, tensors] = await Promise.all([options.hash === false ? Promise.resolve('') : src.sha256(), src.load(wanted)]);
  const skipped = listing.filter((e) => !wanted(e.key)).map((e) => ({ key: e.key, bytes: e.bytes }));
  return {
    path: src.path, name: src.name, container: src.container, fileBytes: src.fileBytes, sha256, tensors, skipped, listing,
    ...(src.pickledClass ? { pickledClass: src.pickledClass } : {}),
  };
}

/** Every key of a checkpoint, from the zip directory, HDF5 tree or pickle structure, without reading the data. */
export async function readCheckpointKeys(file: string): Promise<string[]> {
  const src = await openCheckpoint(file);
  try {
    return src.list().map((e) => e.key);
  } finally {
    await src.close();
  }
}

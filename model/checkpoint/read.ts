/**
 * Opens a checkpoint file of any supported container (npz, HDF5) into a flat
 * list of named tensors, after checking that it is a file at all.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { readHdf5Datasets } from '../io/hdf5.js';
import type { NdArray } from '../io/npy.js';
import { readNpzEntries } from '../io/npz.js';
import { NotACheckpointError } from '../errors.js';

export type Container = 'npz' | 'hdf5';

export interface CheckpointTensor {
  /** Key in the file, e.g. `predictor/conv1/W`. */
  readonly key: string;
  readonly array: NdArray;
  /** npz: `stored` or `deflate`; HDF5: its filters or `none`. */
  readonly compression: string;
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
}

const ZIP_MAGIC = [0x50, 0x4b];
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Which container the first bytes announce, or undefined. */
export async function sniffContainer(file: string): Promise<Container | undefined> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    if (bytesRead >= 4 && ZIP_MAGIC.every((b, i) => head[i] === b)) return 'npz';
    if (bytesRead >= 8 && HDF5_MAGIC.every((b, i) => head[i] === b)) return 'hdf5';
    return undefined;
  } finally {
    await fh.close();
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Reads a checkpoint. `keep` (on the file key) lets callers skip inflating
 * entries they do not need (optimizer moments of a trainer snapshot).
 */
export async function readCheckpoint(file: string, keep?: (key: string) => boolean, options: { hash?: boolean } = {}): Promise<RawCheckpoint> {
  const name = path.basename(file);
  const st = await stat(file);
  if (st.isDirectory()) throw new NotACheckpointError(`${file}: is a directory, expected a checkpoint file (npz or HDF5)`);
  if (!st.isFile()) throw new NotACheckpointError(`${file}: is not a regular file`);
  if (st.size === 0) throw new NotACheckpointError(`${file}: is empty (0 bytes), expected an npz or HDF5 checkpoint`);
  const container = await sniffContainer(file);
  if (!container) {
    throw new NotACheckpointError(`${file}: not an npz or HDF5 checkpoint (its first bytes are neither a zip nor an HDF5 signature)`);
  }
  const skipped: { key: string; bytes: number }[] = [];
  const [sha256, tensors] = await Promise.all([
    options.hash === false ? Promise.resolve('') : sha256File(file),
    container === 'npz'
      ? readNpzEntries(file, keep, (key, bytes) => skipped.push({ key, bytes })).then((es) =>
          es.map((e) => ({ key: e.key, array: e.array, compression: e.compression })))
      : readHdf5Datasets(file).then((ds) =>
          ds.filter((d) => {
            if (!keep || keep(d.key)) return true;
            skipped.push({ key: d.key, bytes: d.array.data.length });
            return false;
          })),
  ]);
  return { path: file, name, container, fileBytes: st.size, sha256, tensors, skipped };
}

/** Every key of a checkpoint, from the zip directory or HDF5 tree, without reading the data. */
export async function readCheckpointKeys(file: string): Promise<string[]> {
  const raw = await readCheckpoint(file, () => false, { hash: false });
  return [...raw.tensors.map((t) => t.key), ...raw.skipped.map((s) => s.key)];
}

/**
 * HDF5 checkpoints (Chainer's `serializers.save_hdf5`): every dataset of the
 * file, by its path (`conv1/W`), read with h5wasm (the HDF5 C library
 * compiled to WebAssembly), so no native HDF5 install is needed.
 */
import { DeepPoseError } from '../../core/errors.js';
import type { DType, NdArray, NumericData } from './npy.js';

export class Hdf5FormatError extends DeepPoseError {
  constructor(message: string, cause?: unknown) {
    super('E_HDF5_FORMAT', message, cause === undefined ? undefined : { cause });
  }
}

export interface Hdf5Dataset {
  readonly key: string;
  readonly array: NdArray;
  /** HDF5 filters in use, e.g. `deflate`; `none` when contiguous/unfiltered. */
  readonly compression: string;
}

type H5Module = typeof import('h5wasm/node');
let h5: Promise<H5Module> | undefined;

async function loadH5(): Promise<H5Module> {
  h5 ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    return m;
  });
  return h5;
}

function dtypeOf(meta: { type: number; size: number; signed?: boolean }, key: string, file: string): DType {
  // h5wasm type classes: 0 integer, 1 float.
  if (meta.type === 1) {
    if (meta.size === 4) return 'float32';
    if (meta.size === 8) return 'float64';
    if (meta.size === 2) return 'float16';
  } else if (meta.type === 0) {
    const sizes: Record<number, [DType, DType]> = { 1: ['int8', 'uint8'], 2: ['int16', 'uint16'], 4: ['int32', 'uint32'], 8: ['int64', 'uint64'] };
    const pair = sizes[meta.size];
    if (pair) return meta.signed ? pair[0] : pair[1];
  }
  throw new Hdf5FormatError(`${file}: dataset ${key} has an unsupported HDF5 type (class ${meta.type}, ${meta.size} bytes)`);
}

/** An HDF5 file opened once: datasets listed from the tree and their headers (no data decoded), read on demand. */
export interface Hdf5Archive {
  readonly entries: readonly { readonly key: string; readonly dtype: DType; readonly shape: readonly number[]; readonly compression: string }[];
  read(key: string): Hdf5Dataset;
  close(): void;
}

export async function openHdf5(path: string): Promise<Hdf5Archive> {
  const m = await loadH5();
  let f: InstanceType<H5Module['File']>;
  try {
    f = new m.File(path, 'r');
  } catch (err) {
    throw new Hdf5FormatError(`${path}: cannot be opened as HDF5 (${(err as Error).message})`, err);
  }
  const datasets = new Map<string, { ds: InstanceType<H5Module['Dataset']>; dtype: DType; shape: number[]; compression: string }>();
  try {
    const walk = (group: InstanceType<H5Module['Group']>, prefix: string): void => {
      for (const k of group.keys()) {
        const obj = group.get(k);
        const key = `${prefix}${k}`;
        if (obj instanceof m.Group) walk(obj, `${key}/`);
        else if (obj instanceof m.Dataset) {
          const meta = obj.metadata as unknown as { type: number; size: number; signed?: boolean };
          const filters = (obj.filters as { name?: string }[] | undefined)?.map((x) => x.name ?? 'filter') ?? [];
          datasets.set(key, { ds: obj, dtype: dtypeOf(meta, key, path), shape: (obj.shape ?? []) as number[], compression: filters.length ? filters.join('+') : 'none' });
        }
      }
    };
    walk(f, '');
  } catch (err) {
    f.close();
    throw err;
  }
  return {
    entries: [...datasets.entries()].map(([key, d]) => ({ key, dtype: d.dtype, shape: d.shape, compression: d.compression })),
    read(key: string): Hdf5Dataset {
      const d = datasets.get(key);
      if (!d) throw new Hdf5FormatError(`${path}: no dataset ${key}`);
      const count = d.shape.reduce((a, b) => a * b, 1);
      const itemBytes = (d.ds.metadata as unknown as { size: number }).size;
      if (count * itemBytes > MAX_DATASET_BYTES) {
        throw new Hdf5FormatError(`${path}: dataset ${key} declares ${d.shape.join('×')} (${count * itemBytes} bytes), more than the ${MAX_DATASET_BYTES}-byte limit for one tensor`);
      }
      const value = d.ds.value as unknown;
      let data: NumericData;
      if (ArrayBuffer.isView(value)) data = value as NumericData;
      else if (typeof value === 'number' || typeof value === 'bigint') {
        data = d.dtype === 'float64' ? Float64Array.of(Number(value)) : d.dtype === 'int64' ? BigInt64Array.of(BigInt(value)) : Float32Array.of(Number(value));
      } else throw new Hdf5FormatError(`${path}: dataset ${key} could not be read as a numeric array`);
      return { key, array: { dtype: d.dtype, shape: d.shape, data }, compression: d.compression };
    },
    close: () => f.close(),
  };
}

/** Largest dataset read into memory (a crafted file can declare any size). */
const MAX_DATASET_BYTES = 4 * 1024 ** 3;

/** Reads every dataset of an HDF5 file. */
export async function readHdf5Datasets(path: string): Promise<Hdf5Dataset[]> {
  const h = await openHdf5(path);
  try {
    return h.entries.map((e) => h.read(e.key));
  } finally {
    h.close();
  }
}

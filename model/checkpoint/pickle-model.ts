/**
 * Chainer 1.x pickled models (`cPickle.dump(model, f, -1)`): the unpickled
 * description (model/io/pickle.ts) flattened into named entries such as
 * `conv1/W`, whatever module and class names the user's model file had.
 *
 * - a 2015 FunctionSet: each layer is a Chainer `Function` whose attribute
 *   dictionary holds its arrays (`W`, `b`, gradients `gW`, `gb`; batch norm
 *   `gamma`, `beta`, `avg_mean`, `avg_var`, `N`, and the float `eps`);
 * - a Chainer ≥ 1.5 Link/Chain: parameters are `Variable` objects whose
 *   `data` is the weight and `grad` its gradient; children nest.
 *
 * Gradients, counters and flags are listed, never loaded. Arrays may be
 * numpy or CuPy (`device: 'gpu'`); their bytes stay in the file until read.
 */
import { readSync } from 'node:fs';
import { formatShape } from '../../core/errors.js';
import { PickleError } from '../errors.js';
import { decodeArray, dtypeOfDescr, elementCount, type NdArray } from '../io/npy.js';
import { LazyBytes, PyArray, PyDict, PyObject, PyTuple, type PyValue } from '../io/pickle.js';

export type EntryKind = 'weight' | 'gradient' | 'state' | 'scalar';

export interface PickleEntry {
  readonly key: string;
  readonly kind: EntryKind;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly bytes: number;
  /** Where the array came from: `numpy` or `cupy (GPU)`; `attribute` for scalars. */
  readonly origin: string;
  readonly array?: PyArray;
  readonly scalar?: number;
}

const WEIGHT_NAMES = new Set(['W', 'b', 'gamma', 'beta', 'avg_mean', 'avg_var']);
/** Scalar attributes the forward pass needs (batch normalisation's eps). */
const NEEDED_SCALARS = new Set(['eps']);
const MAX_DEPTH = 32;

function stateDict(o: PyObject): PyDict | undefined {
  if (o.state instanceof PyDict) return o.state;
  // (dict, slotstate) as pickled for classes with __slots__.
  if (o.state instanceof PyTuple && o.state.items[0] instanceof PyDict) return o.state.items[0];
  return undefined;
}

function dtypeName(a: PyArray): string {
  const d = a.dtype ? dtypeOfDescr(a.dtype.descr) : undefined;
  return d?.dtype ?? (a.dtype?.descr ?? 'unknown');
}

function arrayBytes(a: PyArray): number {
  const d = a.dtype ? dtypeOfDescr(a.dtype.descr) : undefined;
  return d ? d.size * elementCount(a.shape) : a.data instanceof LazyBytes ? a.data.length : a.data?.length ?? 0;
}

/** Flattens the unpickled model into named entries. */
export function flattenPickledModel(root: PyValue, file: string): { entries: PickleEntry[]; className: string } {
  const entries: PickleEntry[] = [];
  const seen = new Set<object>();
  const add = (key: string, a: PyArray, kind: EntryKind) => {
    entries.push({
      key, kind, dtype: dtypeName(a), shape: a.shape, bytes: arrayBytes(a),
      origin: a.device === 'gpu' ? 'cupy (GPU)' : 'numpy', array: a,
    });
  };
  const walk = (v: PyValue, path: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new PickleError(`${file}: objects nested deeper than ${MAX_DEPTH} levels at ${path}`);
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (v instanceof PyObject) {
      const d = stateDict(v);
      if (!d) return;
      const data = d.get('data');
      if (data instanceof PyArray && v.cls.name === 'Variable') {
        add(path, data, kindOf(path));
        const grad = d.get('grad') ?? d.get('_grad');
        if (grad instanceof PyArray) add(`${path}/grad`, grad, 'gradient');
        return;
      }
      walkDict(d, path, depth);
      return;
    }
    if (v instanceof PyDict) walkDict(v, path, depth);
  };
  const kindOf = (key: string, siblings?: ReadonlySet<string>): EntryKind => {
    const leaf = key.slice(key.lastIndexOf('/') + 1);
    if (siblings && leaf.startsWith('g') && siblings.has(leaf.slice(1))) return 'gradient';
    if (leaf === 'grad') return 'gradient';
    return WEIGHT_NAMES.has(leaf) ? 'weight' : 'state';
  };
  const walkDict = (d: PyDict, path: string, depth: number) => {
    const arrays = new Set(d.entries.filter(([k, v]) => typeof k === 'string' && v instanceof PyArray).map(([k]) => k as string));
    for (const [k, v] of d.entries) {
      if (typeof k !== 'string') continue;
      const key = path ? `${path}/${k}` : k;
      if (v instanceof PyArray) add(key, v, kindOf(key, arrays));
      else if (typeof v === 'number' && NEEDED_SCALARS.has(k) && path) {
        entries.push({ key, kind: 'scalar', dtype: 'float64', shape: [], bytes: 8, origin: 'attribute', scalar: v });
      } else if (v instanceof PyObject || v instanceof PyDict) walk(v, key, depth + 1);
    }
  };
  walk(root, '', 0);
  const className = root instanceof PyObject ? root.cls.qualified : root === null ? 'None' : (root as object).constructor.name;
  if (entries.length === 0) {
    throw new PickleError(`${file}: the pickle holds ${className} with no arrays; expected a Chainer model (FunctionSet or Chain)`);
  }
  return { entries, className };
}

/** Reads an entry's array from the file (`fd`), as an NdArray. */
export function loadPickleEntry(fd: number, e: PickleEntry, file: string): NdArray {
  if (e.kind === 'scalar') return { dtype: 'float64', shape: [], data: Float64Array.of(e.scalar!) };
  const a = e.array!;
  const name = `${file}: ${e.key}`;
  if (!a.dtype) throw new PickleError(`${name}: array without a dtype`);
  const descr = a.dtype.descr.match(/^[<>|=]/) ? a.dtype.descr : `${a.dtype.order === '=' ? '<' : a.dtype.order}${a.dtype.descr}`;
  const need = e.bytes;
  let raw: Uint8Array;
  if (a.data instanceof LazyBytes) {
    if (a.data.length < need) throw new PickleError(`${name}: holds ${a.data.length} bytes, its shape ${formatShape(a.shape)} of ${a.dtype.descr} needs ${need}`);
    raw = new Uint8Array(need);
    let off = 0;
    while (off < need) {
      const n = readSync(fd, raw, off, need - off, a.data.offset + off);
      if (n === 0) throw new PickleError(`${name}: the file ends inside the array data`);
      off += n;
    }
  } else if (a.data instanceof Uint8Array) {
    raw = a.data;
  } else throw new PickleError(`${name}: array without data`);
  return decodeArray(descr, a.fortran, [...a.shape], raw, name);
}

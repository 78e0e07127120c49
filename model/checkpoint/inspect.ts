/**
 * Everything `deeppose inspect` shows about a checkpoint, as data: container,
 * every tensor with its non-finite counts, the layout, the architecture and
 * its widths, the key map and the unused keys. A checkpoint that cannot be
 * converted still gets its tensors listed, with the problem beside them.
 */
import { DeepPoseError } from '../../core/errors.js';
import { skeletonForJointCount } from '../../data/skeletons.js';
import type { ArchId } from '../arch/types.js';
import { dtypeSize, elementCount } from '../io/npy.js';
import { detectLayout, type Layout } from './layout.js';
import { countNonFinite } from './nonfinite.js';
import { defaultKeep, openCheckpoint, readFrom, type Container, type RawCheckpoint } from './read.js';
import { resolveCheckpoint, type ResolveOptions } from './resolve.js';

export interface TensorReport {
  readonly key: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly bytes: number;
  readonly compression: string;
  readonly nan: number;
  readonly posInf: number;
  readonly negInf: number;
  /** Model parameter this key feeds, if any. */
  readonly parameter: string | null;
  /** False for entries listed but never read (a pickle's gradients and training state). */
  readonly loaded: boolean;
}

export interface InspectReport {
  readonly file: string;
  readonly container: Container;
  readonly fileBytes: number;
  readonly sha256: string;
  /** Pickles: the pickled model's class as the user's model file named it. */
  readonly pickledClass: string | null;
  readonly layout: Layout | null;
  readonly prefix: string | null;
  readonly arch: { readonly id: ArchId; readonly name: string; readonly title: string; readonly widths: Readonly<Record<string, number>>; readonly parameterCount: number } | null;
  /** Batch-normalisation layers, if the architecture has any (see convert --bn-statistics). */
  readonly bnStatistics: readonly string[] | null;
  readonly joints: number | null;
  readonly skeleton: string | null;
  readonly tensors: readonly TensorReport[];
  readonly keyMap: Readonly<Record<string, string>>;
  readonly unused: readonly { key: string; reason: string }[];
  /** Why this checkpoint cannot be converted as it is, if it cannot. */
  readonly problem: { readonly code: string; readonly message: string } | null;
}

/** Declared npz payload size above which inspect checks the headers before inflating anything. */
const PRECHECK_ABOVE_BYTES = 64 * 1024 ** 2;

/**
 * Reads the checkpoint for inspection. An npz whose `.npy` headers already
 * contradict the architecture (a wrong or crafted shape) is listed from its
 * headers alone: no payload is inflated.
 */
async function readForInspection(file: string, options: ResolveOptions): Promise<{ raw: RawCheckpoint; notLoaded: string | undefined; shapeOnly?: RawCheckpoint }> {
  const src = await openCheckpoint(file);
  try {
    const listing = src.list();
    const keep = defaultKeep(listing);
    // Only worth a first pass over the headers when the payloads could cost real memory.
    if (src.container === 'npz' && listing.reduce((a, e) => a + e.bytes, 0) > PRECHECK_ABOVE_BYTES) {
      const shapes = await src.shapes(keep);
      const tensors = [...shapes].map(([key, sh]) => ({ key, compression: '', array: { dtype: sh.dtype, shape: sh.shape, data: new Float32Array(0) } }));
      const shapeOnly: RawCheckpoint = { path: file, name: src.name, container: src.container, fileBytes: src.fileBytes, sha256: '', tensors, skipped: [], listing };
      try {
        resolveCheckpoint(shapeOnly, { ...options, unusedWeights: 'allow' });
      } catch (err) {
        if (err instanceof DeepPoseError && err.code === 'E_SHAPE') {
          const raw = await readFrom(src, () => false);
          return { raw: { ...raw, listing: listing.map((e) => ({ ...e, ...shapes.get(e.key) })) }, notLoaded: 'shape does not fit the architecture: data not read', shapeOnly };
        }
      }
    }
    return { raw: await readFrom(src, keep), notLoaded: undefined };
  } finally {
    await src.close();
  }
}

export async function inspectCheckpoint(file: string, options: { prefix?: string; arch?: ArchId; inputSize?: number } = {}): Promise<InspectReport> {
  const { raw, notLoaded, shapeOnly } = await readForInspection(file, options);
  const base = {
    file,
    container: raw.container,
    fileBytes: raw.fileBytes,
    sha256: raw.sha256,
    pickledClass: raw.pickledClass ?? null,
  };
  const loaded = new Map(raw.tensors.map((t) => [t.key, t]));
  const order = raw.listing ?? raw.tensors.map((t) => ({ key: t.key, bytes: 0, compression: t.compression, kind: undefined, dtype: undefined, shape: undefined }));
  const tensorsWith = (paramOf: (key: string) => string | null): TensorReport[] =>
    order.map((e) => {
      const t = loaded.get(e.key);
      if (!t) {
        return {
          key: e.key, dtype: e.dtype ?? 'unknown', shape: e.shape ?? [], bytes: e.bytes, compression: `${e.compression}; not loaded (${notLoaded ?? e.kind ?? 'skipped'})`,
          nan: 0, posInf: 0, negInf: 0, parameter: paramOf(e.key), loaded: false,
        };
      }
      const c = countNonFinite(t.key, t.array);
      const bytes = t.array.dtype === 'unicode' ? 0 : elementCount(t.array.shape) * dtypeSize(t.array.dtype);
      return {
        key: t.key, dtype: t.array.dtype, shape: t.array.shape, bytes, compression: t.compression,
        nan: c.nan, posInf: c.posInf, negInf: c.negInf, parameter: paramOf(t.key), loaded: true,
      };
    });
  try {
    const r = resolveCheckpoint(shapeOnly ?? raw, options);
    const paramOfKey = new Map(Object.entries(r.keyMap).map(([p, k]) => [k, p]));
    return {
      ...base,
      layout: r.layout.layout,
      prefix: r.layout.prefix,
      arch: { id: r.arch.id, name: r.desc.arch, title: r.desc.title, widths: r.desc.widths, parameterCount: r.desc.parameterCount },
      bnStatistics: r.desc.batchNorm?.length ? r.desc.batchNorm : null,
      joints: r.desc.joints,
      skeleton: skeletonForJointCount(r.desc.joints)?.id ?? null,
      tensors: tensorsWith((k) => paramOfKey.get(k) ?? null),
      keyMap: r.keyMap,
      unused: r.unused,
      problem: null,
    };
  } catch (err) {
    if (!(err instanceof DeepPoseError)) throw err;
    let layout: Layout | null = null;
    let prefix: string | null = null;
    try {
      const l = detectLayout(order.map((t) => t.key), file, options.prefix);
      layout = l.layout;
      prefix = l.prefix;
    } catch {
      layout = err.code === 'E_OPTIMIZER_STATE' ? 'optimizer-state' : null;
    }
    return {
      ...base, layout, prefix, arch: null, bnStatistics: null, joints: null, skeleton: null,
      tensors: tensorsWith(() => null), keyMap: {},
      unused: order.map((t) => ({ key: t.key, reason: 'not used: the checkpoint cannot be converted (see problem)' })),
      problem: { code: err.code, message: err.message },
    };
  }
}

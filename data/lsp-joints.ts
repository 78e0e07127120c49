/**
 * LSP / LSPET `joints.mat`: one double array `joints` holding, per image,
 * x, y and a third value for the 14 LSP joints.
 *
 * - LSP (2,000 images) stores it 3 × 14 × N; every joint is annotated (the
 *   third row is an occlusion flag), so all joints are visible here.
 * - LSPET (10,000 images) stores it 14 × 3 × N; the third column is 1 where
 *   the joint is annotated and 0 where it is not (its x, y are junk then).
 *
 * Image `n` (0-based) of the file is `im%04d.jpg` (LSP) / `im%05d.jpg`
 * (LSPET) with number `n + 1`; `jointsMatIndex` maps a name to `n`.
 */
import { readFile } from 'node:fs/promises';
import { MatFileError } from './dataset-errors.js';
import { formatShape } from '../core/errors.js';
import { matIndex, readMat5 } from './mat.js';
import { LSP14 } from './skeletons.js';

export type JointsMatLayout = 'lsp' | 'lspet';

/** All annotations of a `joints.mat`, flat. */
export interface JointsTable {
  readonly layout: JointsMatLayout;
  /** Number of images N. */
  readonly count: number;
  /** `[N, 14, 2]` joint positions in pixels, row-major. */
  readonly jointsPx: Float64Array;
  /** `[N, 14]` explicit mask, 1 where annotated. */
  readonly visible: Uint8Array;
}

/** Parses the `joints` variable of an LSP or LSPET `joints.mat` held in memory. */
export function parseJointsMat(bytes: Uint8Array, source = 'joints.mat'): JointsTable {
  const mat = readMat5(bytes, source);
  const v = mat.variables.get('joints');
  const K = LSP14.joints.length;
  if (!v) {
    const names = [...mat.variables.keys()];
    throw new MatFileError(`${source}: no variable "joints" (found ${names.length ? names.map((n) => JSON.stringify(n)).join(', ') : 'no variables'}); expected the LSP/LSPET joints array`);
  }
  if (!v.data) throw new MatFileError(`${source}: variable "joints" is a ${v.className} array, expected a numeric (double) array`);
  const dims = v.dims.length === 2 ? [...v.dims, 1] : [...v.dims];
  let layout: JointsMatLayout;
  if (dims.length === 3 && dims[0] === 3 && dims[1] === K) layout = 'lsp';
  else if (dims.length === 3 && dims[0] === K && dims[1] === 3) layout = 'lspet';
  else {
    throw new MatFileError(`${source}: variable "joints" has shape ${formatShape(v.dims)}, expected 3×${K}×N (LSP) or ${K}×3×N (LSPET)`);
  }
  const n = dims[2]!;
  const jointsPx = new Float64Array(n * K * 2);
  const visible = new Uint8Array(n * K);
  const d = v.data;
  // Column-major strides of value c (x, y, flag) of joint k in image i, for either layout.
  const cStride = layout === 'lsp' ? 1 : matIndex(dims, 0, 1);
  const kStride = layout === 'lsp' ? matIndex(dims, 0, 1) : 1;
  const iStride = matIndex(dims, 0, 0, 1);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const at = i * iStride + k * kStride;
      jointsPx[(i * K + k) * 2] = d[at]!;
      jointsPx[(i * K + k) * 2 + 1] = d[at + cStride]!;
      visible[i * K + k] = layout === 'lsp' ? 1 : d[at + 2 * cStride] === 1 ? 1 : 0;
    }
  }
  return { layout, count: n, jointsPx, visible };
}

/** Reads and parses a `joints.mat` file. */
export async function readJointsMat(path: string): Promise<JointsTable> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new MatFileError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err);
  }
  return parseJointsMat(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/** `im00042.jpg` → 41: the row of `joints.mat` an LSP-style image name refers to, or undefined. */
export function jointsMatIndex(image: string): number | undefined {
  const m = /(\d+)\.[A-Za-z]+$/.exec(image);
  return m ? Number(m[1]) - 1 : undefined;
}

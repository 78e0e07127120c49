/**
 * Parameters for training: initialised like Chainer (LeCun normal weights,
 * zero biases) from a seed, or read from a legacy checkpoint (fine-tuning);
 * written back as legacy npz checkpoints (`predictor/conv1/W` …) and as
 * trainer snapshots in Chainer's snapshot layout, which the converter and
 * `--resume` both read.
 */
import { createRng } from '../../core/random.js';
import { readCheckpoint } from '../checkpoint/read.js';
import { resolveCheckpoint } from '../checkpoint/resolve.js';
import { toFloat32 } from '../io/float.js';
import type { NdArray } from '../io/npy.js';
import { readNpz, writeNpz } from '../io/npz.js';
import { DeepPoseError } from '../../core/errors.js';
import type { AlexNetDims } from './alexnet-step.js';

export type ParamMap = Map<string, { data: Float32Array; shape: number[] }>;

export class TrainStateError extends DeepPoseError {
  constructor(message: string) {
    super('E_TRAIN_STATE', message);
  }
}

/** The embedded default's topology: conv 32, 96, 128, 128, 96; fc 1024, 1024. */
export function liteDims(batch: number, joints: number, inputSize = 220): AlexNetDims {
  return {
    batch, inputSize,
    widths: { conv1: 32, conv2: 96, conv3: 128, conv4: 128, conv5: 96, fc6: 1024, fc7: 1024, fc8: 2 * joints },
    kernels: { conv1: 11, conv2: 5, conv3: 3, conv4: 3, conv5: 3 },
  };
}

/** LeCun normal weights (std √(1/fan_in), Chainer's default initialiser) and zero biases. */
export function initParams(shapes: readonly [string, number[]][], seed: number): ParamMap {
  const out: ParamMap = new Map();
  shapes.forEach(([name, shape], li) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (!name.endsWith('/b')) {
      const rng = createRng(seed, 7919, li);
      const std = Math.sqrt(1 / (n / shape[0]!));
      for (let i = 0; i < n; i += 2) {
        // Box–Muller
        const u = Math.max(rng.next(), 1e-12);
        const v = rng.next();
        const r = Math.sqrt(-2 * Math.log(u)) * std;
        data[i] = r * Math.cos(2 * Math.PI * v);
        if (i + 1 < n) data[i + 1] = r * Math.sin(2 * Math.PI * v);
      }
    }
    out.set(name, { data, shape: [...shape] });
  });
  return out;
}

/** Dims and parameters of a legacy AlexNet checkpoint (any layout), for fine-tuning. */
export async function loadParams(file: string, batch: number, inputSize: number): Promise<{ dims: AlexNetDims; params: ParamMap }> {
  const resolved = resolveCheckpoint(await readCheckpoint(file), { inputSize });
  if (resolved.desc.arch !== 'alexnet') throw new TrainStateError(`${file}: training supports the AlexNet family, this is ${resolved.desc.title}`);
  // The training graph has no batch norm or PReLU: fine-tuning would silently drop those layers.
  const extra = [...resolved.params.keys()].filter((n) => /^(bn\d|prelu\d)/.test(n));
  if (extra.length > 0) throw new TrainStateError(`${file}: ${resolved.desc.title} has batch-norm or PReLU layers (${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''}), which training does not support; only the plain legacy AlexNet can be fine-tuned`);
  const params: ParamMap = new Map();
  for (const [name, arr] of resolved.params) params.set(name, { data: Float32Array.from(toFloat32(arr, name)), shape: [...arr.shape] });
  const k = (n: string) => params.get(`${n}/W`)!.shape[2]!;
  const w = resolved.desc.widths;
  return {
    params,
    dims: {
      batch, inputSize,
      widths: { conv1: w.conv1!, conv2: w.conv2!, conv3: w.conv3!, conv4: w.conv4!, conv5: w.conv5!, fc6: w.fc6!, fc7: w.fc7!, fc8: w.fc8! },
      kernels: { conv1: k('conv1'), conv2: k('conv2'), conv3: k('conv3'), conv4: k('conv4'), conv5: k('conv5') },
    },
  };
}

const f32 = (p: { data: Float32Array; shape: number[] }): NdArray => ({ dtype: 'float32', shape: p.shape, data: p.data });

/** The legacy `epoch-N.model`: the loss-wrapped model's parameters, `predictor/…`. */
export async function writeLegacyModel(file: string, params: ParamMap): Promise<void> {
  await writeNpz(file, [...params].map(([k, v]) => [`predictor/${k}`, f32(v)] as const));
}

export interface TrainerState {
  readonly params: ParamMap;
  /** Optimizer slots: `m`, `v` per parameter. */
  readonly slots: Map<string, ParamMap>;
  readonly iteration: number;
  readonly epoch: number;
  readonly optimizer: string;
}

/** A resumable snapshot in Chainer's trainer layout (`updater/model:main/predictor/…`, `updater/optimizer:main/…`). */
export async function writeSnapshot(file: string, s: TrainerState): Promise<void> {
  const entries: (readonly [string, NdArray])[] = [];
  for (const [k, v] of s.params) entries.push([`updater/model:main/predictor/${k}`, f32(v)]);
  for (const [slot, m] of s.slots) for (const [k, v] of m) entries.push([`updater/optimizer:main/predictor/${k}/${slot}`, f32(v)]);
  entries.push(['updater/iteration', { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(s.iteration)) }]);
  entries.push(['updater/optimizer:main/t', { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(s.iteration)) }]);
  entries.push(['updater/optimizer:main/epoch', { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(s.epoch)) }]);
  entries.push(['deeppose/optimizer', { dtype: 'uint8', shape: [s.optimizer.length], data: new TextEncoder().encode(s.optimizer) }]);
  await writeNpz(file, entries);
}

export async function readSnapshot(file: string, slots: readonly string[]): Promise<TrainerState> {
  const m = await readNpz(file);
  const params: ParamMap = new Map();
  const slotMaps = new Map<string, ParamMap>(slots.map((s) => [s, new Map()]));
  const prefix = 'updater/model:main/predictor/';
  const opt = 'updater/optimizer:main/predictor/';
  for (const [k, v] of m) {
    if (k.startsWith(prefix)) params.set(k.slice(prefix.length), { data: toFloat32(v, k), shape: [...v.shape] });
    else if (k.startsWith(opt)) {
      const rest = k.slice(opt.length);
      const slot = rest.slice(rest.lastIndexOf('/') + 1);
      slotMaps.get(slot)?.set(rest.slice(0, rest.lastIndexOf('/')), { data: toFloat32(v, k), shape: [...v.shape] });
    }
  }
  const scalar = (k: string) => {
    const a = m.get(k);
    if (!a) throw new TrainStateError(`${file}: not a deeppose training snapshot (missing ${k})`);
    return Number((a.data as BigInt64Array)[0]);
  };
  const optimizer = new TextDecoder().decode((m.get('deeppose/optimizer')?.data as Uint8Array | undefined) ?? new Uint8Array());
  for (const [slot, sm] of slotMaps) {
    for (const k of params.keys()) if (!sm.has(k)) throw new TrainStateError(`${file}: optimizer state ${slot} of ${k} missing (was it written with another optimizer? it says ${optimizer || 'unknown'})`);
  }
  return { params, slots: slotMaps, iteration: scalar('updater/iteration'), epoch: scalar('updater/optimizer:main/epoch'), optimizer };
}

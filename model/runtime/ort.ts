/**
 * The one module that imports onnxruntime-node. Everything else runs models
 * through `OrtModel`. Note that `run` is a blocking native call on the
 * calling thread: callers on an HTTP event loop go through the worker pool
 * (model/runtime/pool.ts), never call this directly.
 */
import ort from 'onnxruntime-node';
import { readFile } from 'node:fs/promises';
import { bandLrnBytes } from './band-lrn.js';
import { DeepPoseError } from '../../core/errors.js';

export class InferenceError extends DeepPoseError {
  constructor(message: string, cause?: unknown) {
    super('E_INFERENCE', message, cause === undefined ? undefined : { cause });
  }
}

export interface OrtOptions {
  /** Intra-op threads of this session (default 1). Keep workers × threads ≤ cores. */
  readonly threads?: number;
  /** Diagnostics: where onnxruntime writes the model after its graph optimisations (fused ops such as QLinearConv). */
  readonly optimizedModelPath?: string;
  /**
   * `band`: every LRN runs as its band-matrix form (model/runtime/band-lrn.ts;
   * same output to float rounding, faster above batch 1); `onnx` (default):
   * the graph as it is.
   */
  readonly lrn?: 'band' | 'onnx';
}

/** A float32 tensor: data and dims. */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export class OrtModel {
  private closed = false;

  private constructor(private readonly session: ort.InferenceSession, readonly name: string) {}

  static async load(model: string | Uint8Array, name: string, options: OrtOptions = {}): Promise<OrtModel> {
    const opts: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: Math.max(1, options.threads ?? 1),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' } } },
      ...(options.optimizedModelPath ? { optimizedModelFilePath: options.optimizedModelPath } : {}),
    };
    try {
      if (options.lrn === 'band') {
        const bytes = typeof model === 'string' ? await readFile(model) : model; // a Buffer is a Uint8Array: no copy
        const rewritten = bandLrnBytes(bytes);
        if (rewritten !== bytes || typeof model !== 'string') model = rewritten;
      }
      const session = typeof model === 'string'
        ? await ort.InferenceSession.create(model, opts)
        : await ort.InferenceSession.create(model, opts);
      return new OrtModel(session, name);
    } catch (err) {
      throw new InferenceError(`${name}: onnxruntime could not load the model (${(err as Error).message.split('\n')[0]})`, err);
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs the model; returns every output as float32 (other dtypes are refused). */
  async run(feeds: Record<string, FloatTensor>): Promise<Record<string, FloatTensor>> {
    if (this.closed) throw new InferenceError(`${this.name}: session is closed`);
    const inputs: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) inputs[k] = new ort.Tensor('float32', v.data, v.dims as number[]);
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(inputs);
    } catch (err) {
      throw new InferenceError(`${this.name}: inference failed (${(err as Error).message.split('\n')[0]})`, err);
    }
    const result: Record<string, FloatTensor> = {};
    for (const [k, t] of Object.entries(out)) {
      if (t.type !== 'float32') throw new InferenceError(`${this.name}: output ${k} is ${t.type}, expected float32`);
      result[k] = { data: t.data as Float32Array, dims: t.dims };
    }
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}

/**
 * The one module that imports onnxruntime-node. Everything else runs models
 * through `OrtModel`. Note that `run` is a blocking native call on the
 * calling thread: callers on an HTTP event loop go through the worker pool
 * (model/runtime/pool.ts), never call this directly.
 */
import type * as Ort from 'onnxruntime-node';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tempPathFor } from '../../core/write-atomic.js';
import { recordSessionCache, sessionCacheEntry, sessionCacheUsable } from './session-cache.js';
import { bandLrnBytes } from './band-lrn.js';
import { InferenceError } from './inference-error.js';
import { requireCommonJs } from '../../core/require-commonjs.js';
import { disableRuntimeTelemetry } from './telemetry.js';

let api: typeof Ort | undefined;

/**
 * onnxruntime's JavaScript API, loaded on first use (CommonJS, required: see
 * core/require-commonjs.ts): a thread that imports this module without
 * opening a session — `deeppose eval`'s main thread, whose worker threads
 * run the model — never loads the native library.
 */
function ort(): typeof Ort {
  if (api) return api;
  disableRuntimeTelemetry();
  try {
    api = requireCommonJs<typeof Ort>('onnxruntime-node');
  } catch (err) {
    // The runtime itself, not a model: named as such (a failed load is retried on the next call).
    throw new InferenceError(`onnxruntime-node: the inference runtime could not be loaded (${String((err as Error)?.message ?? err).split('\n')[0]}); expected its native library for ${process.platform}-${process.arch} under node_modules/onnxruntime-node/bin`, err);
  }
  return api;
}

export { InferenceError };

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
  /**
   * Keep the optimised graph of a model given by path in this directory and
   * open later sessions from it (model/runtime/session-cache.ts): a start
   * then skips the graph optimisation. Default: none.
   */
  readonly sessionCacheDir?: string;
  /**
   * Pre-pack the weights of matrix products when the session opens (default
   * true): a few per cent faster at batch 16, but 60–80 ms per session to
   * open (and slower at batch 1). A short-lived process that predicts a few
   * images (\`deeppose predict\`) opens its sessions without it.
   */
  readonly prepackWeights?: boolean;
}

/** A float32 tensor: data and dims. */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Intra-op threads sleep when idle instead of spinning: the data workers and the event loop share the cores. */
const SPIN_OFF = { intra_op: { allow_spinning: '0' } };
const NO_PREPACK = { disable_prepacking: '1' };

export class OrtModel {
  private closed = false;

  /**
   * @param keepAlive bytes the session reads its graph and weights from in
   * place (an ORT-format cache entry): held as long as the session lives.
   */
  private constructor(private readonly session: Ort.InferenceSession, readonly name: string, private keepAlive?: Uint8Array) {}

  static async load(model: string | Uint8Array, name: string, options: OrtOptions = {}): Promise<OrtModel> {
    ort(); // the runtime first: its failure is its own error, not this model's
    const opts: Ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: Math.max(1, options.threads ?? 1),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { ...SPIN_OFF, ...(options.prepackWeights === false ? NO_PREPACK : {}) } },
      ...(options.optimizedModelPath ? { optimizedModelFilePath: options.optimizedModelPath } : {}),
    };
    if (typeof model === 'string' && options.sessionCacheDir && !options.optimizedModelPath) {
      const cached = await OrtModel.loadThroughCache(model, name, opts, options.lrn ?? 'onnx', options.sessionCacheDir);
      if (cached) return cached;
    }
    try {
      if (options.lrn === 'band') {
        const bytes = typeof model === 'string' ? await readFile(model) : model; // a Buffer is a Uint8Array: no copy
        const rewritten = bandLrnBytes(bytes);
        if (rewritten !== bytes || typeof model !== 'string') model = rewritten;
      }
      const session = typeof model === 'string'
        ? await ort().InferenceSession.create(model, opts)
        : await ort().InferenceSession.create(model, opts);
      return new OrtModel(session, name);
    } catch (err) {
      throw new InferenceError(`${name}: onnxruntime could not load the model (${(err as Error).message.split('\n')[0]})`, err);
    }
  }

  /**
   * A session from the optimised graph in the cache, written there first if
   * it is missing or unusable. Undefined when the cache cannot be used at all
   * (an unwritable directory): the caller opens the model as usual.
   */
  private static async loadThroughCache(file: string, name: string, opts: Ort.InferenceSession.SessionOptions, lrn: 'band' | 'onnx', dir: string): Promise<OrtModel | undefined> {
    let entry: Awaited<ReturnType<typeof sessionCacheEntry>>;
    try {
      entry = await sessionCacheEntry(dir, file, ort().env.versions.node ?? 'unknown', `lrn=${lrn}`);
    } catch {
      return undefined;
    }
    if (await sessionCacheUsable(entry)) {
      try {
        // ORT format, used in place: no parsing into a second copy of the weights.
        const bytes = await readFile(entry.path);
        const session = await ort().InferenceSession.create(bytes, {
          ...opts,
          graphOptimizationLevel: 'disabled',
          extra: { session: { ...(opts.extra as { session?: object } | undefined)?.session, use_ort_model_bytes_directly: '1', use_ort_model_bytes_for_initializers: '1' } },
        });
        return new OrtModel(session, name, bytes);
      } catch {
        // Refused (another runtime build, a damaged entry): written anew below.
      }
    }
    const tmp = tempPathFor(entry.path);
    let session: Ort.InferenceSession;
    try {
      await mkdir(dir, { recursive: true });
      const bytes = await readFile(file);
      const prepared = lrn === 'band' ? bandLrnBytes(bytes) : bytes;
      // Severity 3: the runtime's warning that such a graph belongs to this machine is what the key encodes.
      session = await ort().InferenceSession.create(prepared, {
        ...opts,
        optimizedModelFilePath: tmp,
        logSeverityLevel: 3,
        extra: { session: { ...(opts.extra as { session?: object } | undefined)?.session, save_model_format: 'ORT' } },
      });
    } catch {
      await rm(tmp, { force: true }).catch(() => undefined);
      return undefined;
    }
    try {
      await rename(tmp, entry.path);
      await recordSessionCache(entry);
    } catch {
      await rm(tmp, { force: true }).catch(() => undefined);
    }
    return new OrtModel(session, name);
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
    const inputs: Record<string, Ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) inputs[k] = new (ort().Tensor)('float32', v.data, v.dims as number[]);
    let out: Ort.InferenceSession.ReturnType;
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
    this.keepAlive = undefined; // the session no longer reads it
  }
}

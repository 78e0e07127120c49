/**
 * The onnxruntime sessions of one thread, by model path: opened on first use
 * (or all at once by `open`), kept open between runs. What an inference
 * worker holds (model/runtime/inference-worker.ts), and what a model loaded
 * in the calling thread holds (model/runtime/in-thread.ts).
 */
import { OrtModel } from './ort.js';

export interface SessionSetOptions {
  /** Intra-op threads per session. */
  readonly threads: number;
  readonly lrn: 'band' | 'onnx';
  readonly sessionCacheDir?: string;
  /** See OrtOptions.prepackWeights (default true). */
  readonly prepackWeights?: boolean;
}

export class SessionSet {
  private readonly sessions = new Map<string, Promise<OrtModel>>();

  constructor(private readonly options: SessionSetOptions) {}

  session(modelPath: string): Promise<OrtModel> {
    let m = this.sessions.get(modelPath);
    if (!m) {
      const { threads, lrn, sessionCacheDir, prepackWeights } = this.options;
      m = OrtModel.load(modelPath, modelPath, { threads, lrn, ...(sessionCacheDir ? { sessionCacheDir } : {}), ...(prepackWeights === false ? { prepackWeights } : {}) });
      this.sessions.set(modelPath, m);
      // A session that failed to open is tried again on the next use (which reports why).
      m.catch(() => this.sessions.delete(modelPath));
    }
    return m;
  }

  /** Opens every model's session, all at once. */
  async open(modelPaths: readonly string[]): Promise<void> {
    await Promise.all(modelPaths.map((p) => this.session(p)));
  }

  /** Runs `x` (`[N, 3, S, S]`) through the model at `modelPath`; its output `[N, 2K]` and the time inside the run. */
  async run(modelPath: string, x: Float32Array, dims: readonly number[]): Promise<{ y: Float32Array; dims: readonly number[]; ms: number }> {
    const model = await this.session(modelPath);
    const t0 = performance.now();
    const out = await model.run({ x: { data: x, dims } });
    const y = out.y!;
    return { y: y.data, dims: y.dims, ms: performance.now() - t0 };
  }

  async close(): Promise<void> {
    const open = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(open.map((m) => m.then((s) => s.close(), () => undefined)));
  }
}

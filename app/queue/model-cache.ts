/**
 * The models a worker holds: loaded on the first task that names them
 * (from the paths in the task, on storage every worker shares; a legacy
 * checkpoint is converted once into $DEEPPOSE_CACHE_DIR), shared by the
 * tasks running at once, and closed when idle and more than `maxIdle`
 * others are loaded, or on shutdown.
 */
import { loadPoseModel, type PoseModel } from '../../model/pose-model.js';
import type { PoolOptions } from '../../model/runtime/pool.js';
import type { JobModel } from './types.js';

interface Entry {
  readonly model: Promise<PoseModel>;
  users: number;
  lastUsed: number;
}

export class ModelCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly pool: PoolOptions, private readonly log: (line: string) => void, private readonly maxIdle = 1) {}

  /** The loaded model for `m` (load failures propagate and are not cached). Pair with release(). */
  async acquire(m: JobModel): Promise<PoseModel> {
    const key = JSON.stringify(m.specs);
    let e = this.entries.get(key);
    if (!e) {
      this.log(`loading model ${m.specs ? m.specs.join(' + ') : '(embedded default)'}`);
      const model = loadPoseModel({ ...this.pool, model: m.specs ?? undefined, log: this.log });
      e = { model, users: 0, lastUsed: Date.now() };
      this.entries.set(key, e);
      model.catch(() => this.entries.delete(key));
    }
    e.users++;
    try {
      return await e.model;
    } catch (err) {
      e.users--;
      throw err;
    }
  }

  release(m: JobModel): void {
    const e = this.entries.get(JSON.stringify(m.specs));
    if (!e) return;
    e.users--;
    e.lastUsed = Date.now();
    this.evict();
  }

  private evict(): void {
    const idle = [...this.entries].filter(([, e]) => e.users === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    while (idle.length > this.maxIdle) {
      const [key, e] = idle.shift()!;
      this.entries.delete(key);
      void e.model.then((m) => m.close(), () => undefined);
    }
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.model.then((m) => m.close(), () => undefined)));
  }
}

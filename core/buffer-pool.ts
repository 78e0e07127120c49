/**
 * Reusable Float32Array buffers, by length. A fresh multi-megabyte typed
 * array costs a page fault per 4 KiB page on first write (filling a fresh
 * 8 MB array — one image's 14 joint crops — took 22 ms on this machine, one
 * filled before 0.3 ms; in the int8 cascade reuse saves about a tenth of
 * the CPU per image, README "int8"). `acquire`, use,
 * `release`; a buffer given away (transferred to another thread) is simply
 * not released. Its contents are whatever the last user left: callers
 * overwrite every element.
 */
export class Float32BufferPool {
  private readonly free = new Map<number, Float32Array[]>();

  /** `maxPerLength`: buffers of one length kept for reuse (the rest are left to the collector). */
  constructor(private readonly maxPerLength = 4) {}

  /** A buffer of `length` elements: one released before, else a new one (its contents are not cleared). */
  acquire(length: number): Float32Array {
    return this.free.get(length)?.pop() ?? new Float32Array(length);
  }

  /** Gives `buffer` back for a later `acquire`; the caller must not touch it afterwards. */
  release(buffer: Float32Array): void {
    // Only whole, unshared buffers: a view into a larger one, or one already transferred (detached), is not reusable.
    if (buffer.byteOffset !== 0 || buffer.byteLength !== buffer.buffer.byteLength || buffer.byteLength === 0) return;
    const list = this.free.get(buffer.length) ?? [];
    if (list.length >= this.maxPerLength || list.includes(buffer)) return;
    list.push(buffer);
    this.free.set(buffer.length, list);
  }
}

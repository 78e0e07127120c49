/**
 * A forward-only reader over a file, in fixed windows: `read(n)` returns the
 * next n bytes, `skip(n)` moves past n bytes without keeping them. Every byte
 * passes through `onChunk` exactly once, in order (the file is hashed in the
 * same pass that parses it), and memory stays at one window however large
 * the file or the skipped payloads.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export class TruncatedError extends Error {
  constructor(readonly position: number, readonly wanted: number) {
    super(`the file ends at byte ${position} (${wanted} more bytes expected)`);
  }
}

export class FileByteSource {
  private readonly fd: number;
  private window: Buffer;
  /** Bytes of `window` that hold data. */
  private filled = 0;
  /** Offset in `window` of the next unread byte. */
  private cursor = 0;
  /** File offset of window[0]. */
  private windowStart = 0;
  private eof = false;

  constructor(path: string, private readonly onChunk?: (chunk: Uint8Array) => void, windowBytes = 4 << 20) {
    this.fd = openSync(path, 'r');
    this.window = Buffer.allocUnsafe(windowBytes);
  }

  /** File offset of the next byte. */
  get position(): number {
    return this.windowStart + this.cursor;
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Refills the window keeping the unread tail; returns false at end of file. */
  private fill(need: number): boolean {
    if (this.eof) return false;
    const tail = this.filled - this.cursor;
    if (need > this.window.length) {
      const bigger = Buffer.allocUnsafe(need);
      this.window.copy(bigger, 0, this.cursor, this.filled);
      this.window = bigger;
    } else if (tail > 0) {
      this.window.copy(this.window, 0, this.cursor, this.filled);
    }
    this.windowStart += this.cursor;
    this.cursor = 0;
    this.filled = tail;
    while (this.filled < this.window.length) {
      const n = readSync(this.fd, this.window, this.filled, this.window.length - this.filled, this.windowStart + this.filled);
      if (n === 0) {
        this.eof = true;
        break;
      }
      this.onChunk?.(this.window.subarray(this.filled, this.filled + n));
      this.filled += n;
    }
    return this.filled > tail;
  }

  /** The next n bytes (a view, valid until the next call). */
  read(n: number): Uint8Array {
    while (this.filled - this.cursor < n) {
      if (!this.fill(n)) throw new TruncatedError(this.position + (this.filled - this.cursor), n - (this.filled - this.cursor));
    }
    const out = this.window.subarray(this.cursor, this.cursor + n);
    this.cursor += n;
    return out;
  }

  /** One byte, or -1 at end of file. */
  byte(): number {
    if (this.cursor >= this.filled && !this.fill(1)) return -1;
    return this.window[this.cursor++]!;
  }

  /** Bytes up to and excluding the next `\n` (protocol 0 arguments). */
  line(max = 1 << 20): Uint8Array {
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      if (this.cursor >= this.filled && !this.fill(1)) throw new TruncatedError(this.position, 1);
      const nl = this.window.indexOf(0x0a, this.cursor);
      const end = nl >= 0 && nl < this.filled ? nl : this.filled;
      parts.push(Buffer.from(this.window.subarray(this.cursor, end)));
      total += end - this.cursor;
      if (total > max) throw new RangeError(`a text argument longer than ${max} bytes`);
      this.cursor = end;
      if (end < this.filled) {
        this.cursor++;
        return Buffer.concat(parts);
      }
    }
  }

  /** Moves past n bytes without keeping them (they are still passed to `onChunk`). */
  skip(n: number): void {
    let left = n;
    while (left > 0) {
      const avail = this.filled - this.cursor;
      if (avail === 0) {
        if (!this.fill(1)) throw new TruncatedError(this.position, left);
        continue;
      }
      const step = Math.min(avail, left);
      this.cursor += step;
      left -= step;
    }
  }

  /** Reads the rest of the file (so `onChunk` has seen every byte). */
  drain(): void {
    this.cursor = this.filled;
    while (this.fill(1)) this.cursor = this.filled;
  }
}

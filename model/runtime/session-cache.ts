/**
 * Where an ONNX model's *optimised* graph is kept between runs, so that a
 * start opens a session in tens of milliseconds instead of hundreds.
 *
 * onnxruntime spends most of a session's creation optimising the graph
 * (constant folding, fusions, the blocked NCHWc layout for this CPU's vector
 * width) and parsing the protobuf. The first session of a model writes the
 * optimised graph to the cache in onnxruntime's own flat format (ORT); later
 * ones load those bytes in place with optimisation off — the same kernels on
 * the same graph, so the same outputs to the bit. Because that graph is specific
 * to the hardware and the runtime, the entry's key covers the model file's
 * stamp (core/file-digest.ts: any write to it changes the key), the
 * onnxruntime version, the CPU (model name and feature flags), how the
 * graph was prepared (the LRN form) and `SESSION_CACHE_ID`. An entry is used only while its own
 * stamp matches the one recorded when it was written; anything else (a
 * partial or edited entry, a runtime that refuses it) rebuilds it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileStamp, readStampRecord, writeStampRecord } from '../../core/file-digest.js';

/** This machine's CPU as the optimised graph depends on it: model name, architecture and (Linux) feature flags. */
function cpuSignature(): string {
  let flags = '';
  try {
    flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    // Not Linux: the model name and architecture stand for it.
  }
  return `${os.cpus()[0]?.model ?? 'unknown'}|${process.arch}|${flags}`;
}

let cpu: string | undefined;

/**
 * How this code prepares and optimises a graph for the cache (the band-matrix
 * LRN rewrite, the session options): change it whenever they change, and
 * every entry written before is rebuilt.
 */
export const SESSION_CACHE_ID = 'session 2';

/** A cache entry: the optimised graph's path and the key it must have been written under. */
export interface SessionCacheEntry {
  readonly path: string;
  readonly key: string;
}

/** The cache entry for `modelPath` prepared as `variant`, under runtime `runtimeVersion`. */
export async function sessionCacheEntry(dir: string, modelPath: string, runtimeVersion: string, variant: string): Promise<SessionCacheEntry> {
  const real = await realpath(modelPath);
  cpu ??= cpuSignature();
  const key = createHash('sha256').update(JSON.stringify({ SESSION_CACHE_ID, real, stamp: await fileStamp(real), runtimeVersion, cpu, variant })).digest('hex').slice(0, 32);
  return { path: path.join(dir, `session-${key}.ort`), key };
}

function recordPath(entry: SessionCacheEntry): string {
  return `${entry.path}.stamp`;
}

/** Whether the entry was written whole under its key and is unchanged since. */
export async function sessionCacheUsable(entry: SessionCacheEntry): Promise<boolean> {
  const rec = await readStampRecord(recordPath(entry));
  if (!rec || rec.value !== entry.key) return false;
  try {
    return rec.stamp === (await fileStamp(entry.path));
  } catch {
    return false;
  }
}

/** Records a freshly written entry. */
export async function recordSessionCache(entry: SessionCacheEntry): Promise<void> {
  await writeStampRecord(recordPath(entry), await fileStamp(entry.path), entry.key);
}

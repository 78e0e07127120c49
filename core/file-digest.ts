/**
 * File digests and file stamps, for the caches (converted checkpoints,
 * optimised sessions): a file's sha256, streamed; and its *stamp*, the
 * identity and change times the kernel keeps for it (device, inode, size,
 * modification and status-change times in nanoseconds). Any write to a file
 * — even one that puts its old modification time back — changes its
 * status-change time, which no user call can set, so an unchanged stamp
 * means unchanged bytes for every purpose short of disk corruption. A
 * digest remembered with the stamp it was computed under is reused while
 * the stamp holds (`sha256FileRemembered`): a 20 MB checkpoint is then not
 * read at every start.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './write-atomic.js';

/** sha256 of a file's bytes, hex, streamed in 4 MiB chunks. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A file's stamp: `dev:ino:size:mtimeNs:ctimeNs`. */
export async function fileStamp(file: string): Promise<string> {
  const s = await stat(file, { bigint: true });
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

/** The stamp recorded in `recordFile`, or undefined when there is none (or it is unreadable). */
export async function readStampRecord(recordFile: string): Promise<{ stamp: string; value: string } | undefined> {
  try {
    const doc = JSON.parse(await readFile(recordFile, 'utf8')) as { stamp?: unknown; value?: unknown };
    return typeof doc.stamp === 'string' && typeof doc.value === 'string' ? { stamp: doc.stamp, value: doc.value } : undefined;
  } catch {
    return undefined;
  }
}

/** Records `value` as valid for `file` while its stamp stays `stamp` (atomic write). */
export async function writeStampRecord(recordFile: string, stamp: string, value: string): Promise<void> {
  await writeFileAtomic(recordFile, `${JSON.stringify({ stamp, value })}\n`);
}

/**
 * sha256 of `file`, remembered in `memoDir` (one small record per file,
 * named by a hash of its real path) and reused while the file's stamp is
 * unchanged; computed and recorded otherwise.
 */
export async function sha256FileRemembered(file: string, memoDir: string): Promise<string> {
  const real = await realpath(file);
  const record = path.join(memoDir, `${createHash('sha256').update(real).digest('hex').slice(0, 32)}.json`);
  const before = await fileStamp(real);
  const known = await readStampRecord(record);
  if (known && known.stamp === before && /^[0-9a-f]{64}$/.test(known.value)) return known.value;
  const sha = await sha256File(real);
  // Only a file that did not change while it was read is remembered; a cache that cannot be
  // written (a read-only mount) only costs the next start the reading.
  if ((await fileStamp(real)) === before) {
    try {
      await mkdir(memoDir, { recursive: true });
      await writeStampRecord(record, before, sha);
    } catch {
      // not remembered
    }
  }
  return sha;
}

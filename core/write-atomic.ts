/**
 * Atomic file writes for every layer: data goes to a temporary file beside
 * the target (same directory, same file system), is synced, and only then
 * becomes the target — by rename (replacing), or, with `overwrite: false`,
 * by link() (create-exclusive: fails if the target appeared meanwhile, so
 * two runs writing the same path cannot silently replace each other). A
 * failure leaves no output behind. Temporary files carry the writer's pid;
 * those of runs that died (SIGKILL, power loss) are removed by the next
 * write beside them (`cleanStaleTemps`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DeepPoseError } from './errors.js';

/** The target of a create-exclusive write exists (another run wrote it first). */
export class OutputExistsError extends DeepPoseError {
  constructor(target: string) {
    super('E_OUTPUT_EXISTS', `${target}: already exists (another run wrote it meanwhile); pass --force to replace it`);
  }
}

const TEMP = /^\.(.+)\.tmp-(\d+)-[0-9a-f]{8}$/;

/** Temporary path beside `target`. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files in `dir` left by writers that are gone (their pid
 * is not running, or the file is over a day old); only those of `target`
 * when given. Returns the paths removed.
 */
export async function cleanStaleTemps(dir: string, target?: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const base = target === undefined ? undefined : path.basename(target);
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || (base !== undefined && m[1] !== base)) continue;
    const file = path.join(dir, name);
    const old = await stat(file).then((s) => Date.now() - s.mtimeMs > 24 * 3600_000, () => false);
    if (processAlive(Number(m[2])) && !old) continue;
    if (await unlink(file).then(() => true, () => false)) removed.push(file);
  }
  return removed;
}

export interface WriteOptions {
  /** Replace an existing target (default true); false: create-exclusive, OutputExistsError if it exists. */
  readonly overwrite?: boolean;
}

export interface WriteResult {
  readonly bytes: number;
  /** sha256 of what was written, hex. */
  readonly sha256: string;
}

/**
 * Writes `content` (text, bytes, or chunks — a converted model streams its
 * weight buffers without concatenating them) to `target` atomically.
 */
export async function writeFileAtomic(target: string, content: string | Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<WriteResult> {
  const chunks = typeof content === 'string' ? [Buffer.from(content)] : content instanceof Uint8Array ? [content] : content;
  await cleanStaleTemps(path.dirname(path.resolve(target)), target);
  const tmp = tempPathFor(target);
  const hash = createHash('sha256');
  let bytes = 0;
  const fh = await open(tmp, 'wx');
  try {
    for await (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      let off = 0;
      while (off < chunk.byteLength) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off);
        off += bytesWritten;
      }
    }
    await fh.sync();
    await fh.close();
    if (options.overwrite === false) await linkExclusive(tmp, target);
    else await rename(tmp, target);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** `tmp` becomes `target` only if `target` does not exist (link, then unlink the temp). */
async function linkExclusive(tmp: string, target: string): Promise<void> {
  try {
    await link(tmp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutputExistsError(target);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err;
    // No hard links on this file system: reserve the name exclusively, then rename over the reservation.
    const reserve = await open(target, 'wx').catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EEXIST' ? new OutputExistsError(target) : e;
    });
    await reserve.close();
    await rename(tmp, target);
    return;
  }
  await unlink(tmp);
}

/**
 * Where a model comes from: a converted `.onnx`, a legacy checkpoint
 * (converted through the toolkit on first use and cached by content hash), a
 * cascade description (`cascade.json`, or a directory holding one), or the
 * embedded default. Every path ends in ONNX files with our metadata.
 *
 * A cache entry is `<checkpoint sha256>-<options>.onnx` with the sha256 of
 * its bytes recorded at conversion beside it (`….onnx.sha256`, in
 * `sha256sum` format). Its bytes are verified against it whenever the
 * file's stamp (core/file-digest.ts: inode, size, modification and
 * status-change times) differs from the one recorded at its last
 * verification (`….onnx.verified`), i.e. after any write to it; a corrupt,
 * truncated or unrecorded entry is rebuilt from the checkpoint with one
 * warning line naming its path. A checkpoint's own sha256 (its cache key)
 * is remembered the same way (`files/`), so a start reads neither file
 * whole.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { cleanStaleTemps, writeFileAtomic } from '../core/write-atomic.js';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeepPoseError } from '../core/errors.js';
// The converter (protobuf schema, zip readers) loads only when a checkpoint is not in the cache yet.
import { CONVERTER_ID } from './converter-id.js';
import { parseModelMetadata, readMetadataProps, type ModelMetadata } from './onnx/metadata.js';
import { createHash } from 'node:crypto';
import { fileStamp, readStampRecord, sha256FileRemembered, writeStampRecord } from '../core/file-digest.js';

/** The embedded default cascade description, shipped in the repository. */
export const DEFAULT_CASCADE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../model/default/cascade.json');

export class ModelSourceError extends DeepPoseError {
  constructor(message: string) {
    super('E_MODEL_SOURCE', message);
  }
}

export interface StageModel {
  /** Path of the ONNX file a session loads. */
  readonly onnxPath: string;
  readonly metadata: ModelMetadata;
  /** Where it came from (the user's file, or the checkpoint it was converted from). */
  readonly source: string;
}

export interface CascadeFile {
  readonly stages: readonly { readonly file: string; readonly stage?: number; readonly sigma?: number }[];
  /**
   * A person finder: a stage-1 model trained on whole frames (`deeppose train
   * --box-from whole`), whose joints give the person box when none is given;
   * `boxScale` widens the box of its joints (its regression shrinks poses).
   * `rounds` (default 0) runs it again that many times on a square crop
   * around its last box, of side the box's longer side ÷ `roundFraction`
   * (default 0.45: the person at the size it was trained on), re-centring
   * the box at a finer scale.
   */
  readonly finder?: { readonly file: string; readonly boxScale?: number; readonly rounds?: number; readonly roundFraction?: number };
}

/** The person finder of a cascade (see `CascadeFile.finder`). */
export interface FinderModel {
  readonly model: StageModel;
  readonly boxScale: number;
  /** Re-centring rounds on a crop around the last box (see `CascadeFile.finder`). */
  readonly rounds: number;
  readonly roundFraction: number;
}

/** Cache directory for converted checkpoints: $DEEPPOSE_CACHE_DIR, else $XDG_CACHE_HOME/deeppose, else ~/.cache/deeppose. */
export function cacheDir(): string {
  return process.env.DEEPPOSE_CACHE_DIR
    ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'deeppose');
}

async function loadOnnx(file: string): Promise<StageModel> {
  const bytes = (await metadataFieldsOf(file)) ?? await readFile(file);
  return { onnxPath: file, metadata: parseModelMetadata(readMetadataProps(bytes), file), source: file };
}

/** The digest file of a cache entry. */
export function digestPathFor(cached: string): string {
  return `${cached}.sha256`;
}

/** The record of a cache entry's last verification: its stamp then, and the digest it matched. */
function verifiedPathFor(cached: string): string {
  return `${cached}.verified`;
}

/** Why the cache entry at `cached` cannot be used, or its metadata when it can. */
async function verifyCached(cached: string): Promise<{ ok: true; model: StageModel } | { ok: false; why: string }> {
  let recorded: string;
  try {
    recorded = (await readFile(digestPathFor(cached), 'utf8')).split(/\s/)[0]!;
  } catch {
    return { ok: false, why: 'no digest was recorded for it' };
  }
  // Unchanged since it last matched its digest: only the metadata is read.
  const stamp = await fileStamp(cached);
  const last = await readStampRecord(verifiedPathFor(cached));
  if (last && last.stamp === stamp && last.value === recorded) {
    const fields = await metadataFieldsOf(cached);
    if (fields) {
      try {
        return { ok: true, model: { onnxPath: cached, metadata: parseModelMetadata(readMetadataProps(fields), cached), source: cached } };
      } catch {
        // Read it whole below, which names what is wrong.
      }
    }
  }
  const bytes = await readFile(cached);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== recorded) return { ok: false, why: `sha256 ${actual.slice(0, 12)}… of its ${bytes.length} bytes differs from ${recorded.slice(0, 12)}… recorded at conversion` };
  let model: StageModel;
  try {
    model = { onnxPath: cached, metadata: parseModelMetadata(readMetadataProps(bytes), cached), source: cached };
  } catch (err) {
    return { ok: false, why: `its metadata is unreadable (${(err as Error).message})` };
  }
  if ((await fileStamp(cached)) === stamp) await writeStampRecord(verifiedPathFor(cached), stamp, recorded).catch(() => undefined);
  return { ok: true, model };
}

/**
 * The metadata_props fields (14) of an ONNX file, found by reading only the
 * tag and length of each top-level field (the graph and its weights are
 * skipped, not read): start-up time. Undefined when the file does not scan
 * cleanly; the caller then reads it whole (and reports what is wrong).
 */
async function metadataFieldsOf(file: string): Promise<Uint8Array | undefined> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(20);
    const parts: Uint8Array[] = [];
    let pos = 0;
    while (pos < size) {
      const n = (await fh.read(head, 0, Math.min(head.length, size - pos), pos)).bytesRead;
      let p = 0;
      const varint = (): number | undefined => {
        let v = 0;
        for (let shift = 0; p < n && shift < 64; shift += 7) {
          const b = head[p++]!;
          v += (b & 0x7f) * 2 ** shift;
          if (b < 0x80) return v;
        }
        return undefined;
      };
      const tag = varint();
      if (tag === undefined) return undefined;
      const wire = tag & 7;
      const len = wire === 2 ? varint() : wire === 0 ? (varint() === undefined ? undefined : 0) : wire === 1 ? 8 : wire === 5 ? 4 : undefined;
      if (len === undefined || pos + p + len > size) return undefined;
      if (tag >>> 3 === 14) {
        const field = Buffer.alloc(p + len);
        await fh.read(field, 0, field.length, pos);
        parts.push(field);
      }
      pos += p + len;
    }
    return Buffer.concat(parts);
  } finally {
    await fh.close();
  }
}

/**
 * Converts a legacy checkpoint once; later calls find it in the cache by the
 * file's sha256, verified against the digest recorded at conversion.
 */
async function loadCheckpoint(file: string, cascade: { stage: number; sigma?: number }, log?: (line: string) => void): Promise<StageModel> {
  const dir = cacheDir();
  const sha = await sha256FileRemembered(file, path.join(dir, 'files'));
  const optionsKey = createHash('sha256').update(JSON.stringify({ CONVERTER_ID, cascade })).digest('hex').slice(0, 12);
  mkdirSync(dir, { recursive: true });
  await cleanStaleTemps(dir);
  const cached = path.join(dir, `${sha}-${optionsKey}.onnx`);
  const rebuilding = existsSync(cached);
  if (rebuilding) {
    const v = await verifyCached(cached);
    if (v.ok) return { ...v.model, source: file };
    (log ?? ((l: string) => process.stderr.write(`deeppose: ${l}\n`)))(`warning: cached model ${cached} failed verification (${v.why}); rebuilding it from ${file}`);
  }
  const t0 = performance.now();
  const { convertCheckpoint } = await import('./convert.js');
  const result = await convertCheckpoint(file, { cascade, sha256: sha });
  // The digest is recorded before the model is in place: a reader never finds a model without one.
  const digest = createHash('sha256');
  for (const c of result.chunks) digest.update(c);
  const hex = digest.digest('hex');
  await writeFileAtomic(digestPathFor(cached), `${hex}  ${path.basename(cached)}\n`);
  const written = await writeFileAtomic(cached, result.chunks);
  if (written.sha256 !== hex) throw new ModelSourceError(`${cached}: the bytes written (sha256 ${written.sha256}) differ from those converted (${hex})`);
  await writeStampRecord(verifiedPathFor(cached), await fileStamp(cached), hex);
  // Said once the file has proved to be a checkpoint (a text file fails above without a word about converting).
  if (!rebuilding) log?.(`converted ${file} in ${((performance.now() - t0) / 1000).toFixed(1)} s (first use; cached as ${cached})`);
  const m = await loadOnnx(cached);
  return { ...m, source: file };
}

function parseCascade(file: string): CascadeFile {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelSourceError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const stages = (doc as CascadeFile | null)?.stages;
  if (!Array.isArray(stages) || stages.length === 0 || stages.some((s) => typeof s?.file !== 'string')) {
    throw new ModelSourceError(`${file}: expected {"stages": [{"file": …}, …]} with at least one stage`);
  }
  const finder = (doc as CascadeFile).finder;
  const bad = finder !== undefined && (typeof finder?.file !== 'string'
    || (finder.boxScale !== undefined && !(typeof finder.boxScale === 'number' && finder.boxScale > 0 && finder.boxScale < 10))
    || (finder.rounds !== undefined && !(Number.isInteger(finder.rounds) && finder.rounds >= 0 && finder.rounds <= 3))
    || (finder.roundFraction !== undefined && !(typeof finder.roundFraction === 'number' && finder.roundFraction > 0 && finder.roundFraction <= 1)));
  if (bad) {
    throw new ModelSourceError(`${file}: expected "finder": {"file": …, "boxScale": a number from 0 to 10, "rounds": 0 to 3, "roundFraction": a number from 0 to 1}, found ${JSON.stringify(finder)}`);
  }
  return doc as CascadeFile;
}

/**
 * Resolves model specs to stage models, in stage order. `specs` empty or
 * undefined means the embedded default. Each spec is an .onnx file, a legacy
 * checkpoint, a cascade.json, or a directory containing cascade.json.
 */
export async function resolveStageModels(specs: readonly string[] | undefined, log?: (line: string) => void): Promise<StageModel[]> {
  return (await resolveModels(specs, log)).stages;
}

/** Like `resolveStageModels`, with the person finder a cascade file names (the first one found). */
export async function resolveModels(specs: readonly string[] | undefined, log?: (line: string) => void): Promise<{ stages: StageModel[]; finder?: FinderModel }> {
  const list = specs && specs.length > 0 ? specs : [DEFAULT_CASCADE];
  const out: StageModel[] = [];
  let finder: FinderModel | undefined;
  for (const spec of list) {
    if (!existsSync(spec)) throw new ModelSourceError(`${spec}: no such model file or directory`);
    const st = statSync(spec);
    const cascadeFile = st.isDirectory() ? path.join(spec, 'cascade.json') : spec.endsWith('.json') ? spec : undefined;
    if (cascadeFile) {
      if (!existsSync(cascadeFile)) throw new ModelSourceError(`${spec}: a directory without cascade.json (expected a model file or a cascade directory)`);
      const c = parseCascade(cascadeFile);
      for (const [i, s] of c.stages.entries()) {
        const file = path.resolve(path.dirname(cascadeFile), s.file);
        out.push(await loadOne(file, { stage: s.stage ?? out.length + 1, sigma: s.sigma }, log, `${cascadeFile} stage ${i + 1}`));
      }
      if (c.finder && !finder) {
        const file = path.resolve(path.dirname(cascadeFile), c.finder.file);
        finder = { model: await loadOne(file, { stage: 1 }, log, `${cascadeFile} finder`), boxScale: c.finder.boxScale ?? 1, rounds: c.finder.rounds ?? 0, roundFraction: c.finder.roundFraction ?? 0.45 };
      }
    } else {
      out.push(await loadOne(spec, { stage: out.length + 1 }, log, spec));
    }
  }
  validateCascade(out);
  if (finder && finder.model.metadata.joints !== out[0]!.metadata.joints) {
    throw new ModelSourceError(`${finder.model.source}: the person finder regresses ${finder.model.metadata.joints} joints, stage 1 regresses ${out[0]!.metadata.joints}`);
  }
  return finder ? { stages: out, finder } : { stages: out };
}

async function loadOne(file: string, cascade: { stage: number; sigma?: number }, log: ((l: string) => void) | undefined, what: string): Promise<StageModel> {
  if (!existsSync(file)) throw new ModelSourceError(`${what}: ${file} does not exist`);
  if (file.endsWith('.onnx')) return loadOnnx(file);
  if (cascade.stage > 1 && cascade.sigma === undefined) {
    throw new ModelSourceError(`${what}: a stage ${cascade.stage} checkpoint needs "sigma" (crop side as a multiple of the torso diameter)`);
  }
  return loadCheckpoint(file, cascade.stage > 1 ? { stage: cascade.stage, sigma: cascade.sigma } : { stage: 1 }, log);
}

/** Stage numbers 1, 2, … in order; all stages regress the same joints; stages ≥ 2 carry sigma. */
export function validateCascade(stages: readonly StageModel[]): void {
  const first = stages[0]!.metadata;
  stages.forEach((s, i) => {
    const m = s.metadata;
    if (m.cascade.stage !== i + 1) throw new ModelSourceError(`${s.source}: is a stage ${m.cascade.stage} model but stands at position ${i + 1} of the cascade`);
    if (m.joints !== first.joints) throw new ModelSourceError(`${s.source}: regresses ${m.joints} joints, stage 1 regresses ${first.joints}`);
    if (i > 0 && !(m.cascade.sigma && m.cascade.sigma > 0)) throw new ModelSourceError(`${s.source}: stage ${i + 1} model has no cascade sigma in its metadata`);
  });
}

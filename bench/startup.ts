/**
 * Start-up: wall time of whole `deeppose` processes as a user runs them
 * (node alone, `--help`, `inspect` of a model and of a checkpoint,
 * `predict one.jpg` with the conversion cache warm, stage 1 and the
 * default cascade, float32 and int8), interleaved over rounds so a busy
 * machine slows all alike; and where one `predict` process spends its time
 * (node start, imports, model resolution, worker start, session creation
 * per stage, the prediction, shutdown), measured in a fresh child process.
 * `npm run bench -- startup`; writes bench/results/startup.json.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasShared, median, REPO, SHARED, writeResult } from './common.js';

const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 5);
const CLI = path.join(REPO, 'dist', 'tools', 'cli.js');
const SELF = fileURLToPath(import.meta.url);

function image(): string {
  const dir = hasShared() ? path.join(SHARED, 'datasets', 'lspet', 'images') : path.join(REPO, 'test', 'fixtures', 'lspet', 'images');
  return path.join(dir, readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort()[0]!);
}

function wall(args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return performance.now() - t0;
}

/** In a fresh process: the phases of `deeppose predict one.jpg` (what tools/predict.ts does), cumulative ms since process start. */
async function phases(model: string | undefined): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const mark = (name: string) => {
    out[name] = +performance.now().toFixed(1);
  };
  mark('nodeStarted');
  const { createProgram, registerFor } = await import('../tools/cli.js');
  await registerFor(createProgram(), ['predict']);
  mark('importsDone');
  const { readFile } = await import('node:fs/promises');
  const { resolveStageModels, cacheDir } = await import('../model/model-source.js');
  const { InferencePool } = await import('../model/runtime/pool.js');
  const { loadSharp } = await import('../data/sharp-module.js');
  const stages = await resolveStageModels(model ? [model] : undefined);
  mark('modelsResolved');
  // One after the other here; a real start overlaps them (the worker and its sessions on
  // one core, sharp and the image on the other).
  const pool = new InferencePool({ sessionCacheDir: cacheDir() });
  await pool.ping();
  mark('workerStarted');
  await pool.open(stages.map((s) => s.onnxPath));
  mark('sessionsOpen');
  await pool.close();
  await loadSharp();
  mark('imageLibraryLoaded');
  const { loadPoseModel } = await import('../model/pose-model.js');
  const m = await loadPoseModel({ model });
  const t = performance.now();
  await m.predict([{ image: new Uint8Array(await readFile(image())) }]);
  out.predictMs = +(performance.now() - t).toFixed(1);
  const c = performance.now();
  await m.close();
  out.closeMs = +(performance.now() - c).toFixed(1);
  return out;
}

export async function benchStartup(): Promise<Record<string, unknown>> {
  const img = image();
  const { resolveStageModels, DEFAULT_CASCADE } = await import('../model/model-source.js');
  const [stage1] = await resolveStageModels([DEFAULT_CASCADE]); // warms the conversion cache
  const int8 = process.env.BENCH_STARTUP_INT8; // an int8 cascade directory from deeppose quantize, if given
  const runs: Record<string, string[]> = {
    nodeAlone: ['-e', '0'],
    help: [CLI, '--help'],
    inspectOnnx: [CLI, 'inspect', stage1!.onnxPath],
    inspectCheckpoint: [CLI, 'inspect', stage1!.source],
    predictStage1: [CLI, 'predict', '--stages', '1', img],
    predictCascade: [CLI, 'predict', img],
    ...(int8 ? { predictInt8Cascade: [CLI, 'predict', '--model', int8, img] } : {}),
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [k, args] of Object.entries(runs)) times[k]!.push(wall(args));
  // Phases of the default (float32) cascade and, when given, the int8 one; interleaved.
  const phaseRuns: Record<string, Record<string, number>[]> = { defaultCascade: [], ...(int8 ? { int8Cascade: [] } : {}) };
  for (let r = 0; r < 3; r++) {
    for (const which of Object.keys(phaseRuns)) {
      const p = spawnSync(process.execPath, [SELF, '--phases', ...(which === 'int8Cascade' ? [int8!] : [])], { encoding: 'utf8' });
      if (p.status !== 0) throw new Error(`phases failed: ${p.stderr}`);
      phaseRuns[which]!.push(JSON.parse(p.stdout) as Record<string, number>);
    }
  }
  const phaseMedians = Object.fromEntries(Object.entries(phaseRuns).map(([which, runs]) => [which,
    Object.fromEntries(Object.keys(runs[0]!).map((k) => [k, +median(runs.map((p) => p[k]!)).toFixed(1)]))]));
  const result = {
    description: 'wall time of whole deeppose processes (spawn to exit), conversion and session caches warm; phases = cumulative ms since process start of one predict process run one phase after another (median of 3; a real start overlaps the worker and its sessions with sharp and the image), default float32 cascade and the int8 cascade',
    rounds: ROUNDS,
    image: path.relative(REPO, img),
    wallMsMedian: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(median(v))])),
    wallMsAll: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((x) => Math.round(x))])),
    predictPhasesMs: phaseMedians,
    note: 'interleaved rounds on a 2-core machine shared with other developers',
    target: { predictCascadeMs: 1000 },
  };
  await writeResult('startup', result);
  return result;
}

if (process.argv[1] && SELF === path.resolve(process.argv[1])) {
  if (process.argv[2] === '--phases') process.stdout.write(JSON.stringify(await phases(process.argv[3])));
  else console.log(JSON.stringify(await benchStartup(), null, 2));
}

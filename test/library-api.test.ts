/**
 * The package as a library: another TypeScript project (a scratch directory
 * with this package linked under node_modules by its name) imports
 * `deeppose-resurrected`, type-checks against its declarations under
 * strict settings, runs, and gets the same numbers as the CLI.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FIXTURES, ROOT, scratch } from './helpers/paths.js';

const run = promisify(execFile);
const tmp = scratch('deeppose-consumer-');
after(tmp.cleanup);

const CONSUMER = `
import { loadPoseModel, evaluateModel, openDataset, inspectCheckpoint, poseJson, pcpCounts, summarisePcp, SKELETONS, DeepPoseError, type ModelEvaluation } from 'deeppose-resurrected';

const [datasetDir, checkpoint] = process.argv.slice(2) as [string, string];
const report = await inspectCheckpoint(checkpoint);
const dataset = await openDataset(datasetDir, 'legacy-test');
const model = await loadPoseModel();
try {
  const ev: ModelEvaluation = await evaluateModel(model, { ...dataset, samples: dataset.samples.slice(0, 4) }, { stages: 1, threads: 0 });
  const strict = summarisePcp(pcpCounts({ predPx: ev.images.map((i) => i.predPx), gtPx: ev.images.map((i) => i.gtPx), visible: ev.images.map((i) => i.visible) }, SKELETONS.lsp14, 'strict'));
  const first = poseJson((await model.predict([{ image: new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(ev.images[0]!.imagePath!))), stages: 1 }]))[0]!, model.info.id);
  let refused = '';
  try {
    await openDataset(datasetDir, 'no-such-split');
  } catch (err) {
    if (err instanceof DeepPoseError) refused = err.code;
  }
  console.log(JSON.stringify({ arch: report.arch?.id ?? null, images: ev.images.length, strict: strict.total, collector: ev.result.pcp.strict.total, joints: first.joints.length, refused }));
} finally {
  await model.close();
}
`;

test('another TypeScript project imports the package by name, type-checks and runs it', { timeout: 120_000 }, async () => {
  const dir = tmp.dir;
  mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(ROOT, path.join(dir, 'node_modules', 'deeppose-resurrected'), 'dir');
  symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, types: ['node'], outDir: 'out', skipLibCheck: false },
    files: ['consumer.ts'],
  }));
  writeFileSync(path.join(dir, 'consumer.ts'), CONSUMER);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch((e: { stdout: string; stderr: string }) => assert.fail(`tsc: ${e.stdout}${e.stderr}`));
  const { stdout } = await run(process.execPath, [path.join(dir, 'out', 'consumer.js'), path.join(FIXTURES, 'lspet'), path.join(FIXTURES, 'chainer', 'c7-alexnet-lsp14-bare.npz')], {
    cwd: dir, env: { ...process.env, DEEPPOSE_CACHE_DIR: path.join(dir, 'cache') },
  });
  const r = JSON.parse(stdout.trim()) as { arch: string | null; images: number; strict: number; collector: number; joints: number; refused: string };
  assert.equal(r.images, 4);
  assert.equal(r.joints, 14);
  assert.equal(r.strict, r.collector, 'the metric functions agree with evaluateModel');
  assert.equal(r.arch, 'alexnet');
  assert.equal(r.refused, 'E_DATASET_LAYOUT');
});

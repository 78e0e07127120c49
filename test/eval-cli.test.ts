/** `deeppose eval` as a user runs it, on the vendored LSPET subset. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parsePoseFile, PoseFileError } from '../eval/predictions-file.js';
import { cliRunner } from './helpers/cli.js';
import { FIXTURES, scratch } from './helpers/paths.js';

const tmp = scratch();
after(tmp.cleanup);
const DATASET = path.join(FIXTURES, 'lspet');
const env = { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') };

const cli = cliRunner({ env, cwd: tmp.dir });

type Report = { pcp: { strict: { total: number; parts: Record<string, number | null> }; loose: { total: number; parts: Record<string, number> } }; pdj: { thresholds: number[]; curve: number[]; joints: Record<string, number[]> }; counts: { images: number }; model: { id: string } | null };
const report = (dir: string) => JSON.parse(readFileSync(path.join(tmp.dir, dir, 'report.json'), 'utf8')) as Report;

test('model mode: the default model on a split, through the iterators; report.json, .md and .html', async () => {
  const r = await cli('eval', '--dataset', DATASET, '--split', 'legacy-test', '--out', 'model-report', '--threads', '1', '--save-predictions', 'pred.json');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /strict PCP \d+\.\d%/);
  const j = report('model-report');
  assert.equal(j.counts.images, 16);
  assert.match(j.model!.id, /^epoch-48\.model@/);
  assert.equal(j.pdj.thresholds.length, 51);
  assert.equal(j.pdj.curve.length, 51);
  assert.equal(j.pdj.joints.rightAnkle!.length, 51);
  for (const k of ['torso', 'head', 'upperLegs', 'lowerLegs', 'upperArms', 'lowerArms', 'limbMean']) assert.ok(k in j.pcp.strict.parts && k in j.pcp.loose.parts, k);
  assert.ok(j.pcp.strict.total >= 0 && j.pcp.strict.total <= 1);
  const html = readFileSync(path.join(tmp.dir, 'model-report', 'report.html'), 'utf8');
  assert.match(html, /<svg[^>]*>.*PDJ/s);
  assert.match(html, /data:image\/jpeg;base64,/, 'overlay grid embedded');
  // Four best, four median, four worst (16 images), each group in the ranking's order.
  assert.equal(html.match(/<img src="data:image\/jpeg;base64,/g)?.length, 12);
  const shown = [...html.matchAll(/<img src="data:image\/jpeg;base64,[^"]*" alt="([^"]+)"/g)].map((m) => m[1]);
  const ranking = (j as unknown as { ranking: { best: { image: string }[]; worst: { image: string }[] } }).ranking;
  assert.deepEqual(shown.slice(0, 4), ranking.best.slice(0, 4).map((x) => x.image), 'best first, in rank order');
  assert.deepEqual(shown.slice(8), ranking.worst.slice(0, 4).map((x) => x.image), 'worst last, worst first');
  assert.doesNotMatch(html, /<script|src="http/, 'self-contained');
  assert.match(readFileSync(path.join(tmp.dir, 'model-report', 'report.md'), 'utf8'), /\| strict PCP, all sticks \|/);
  // The saved predictions score the same through the file mode.
  const gt = await cli('eval', '--dataset', DATASET, '--split', 'legacy-test', '--export-ground-truth', 'gt.json');
  assert.equal(gt.code, 0, gt.stderr);
  const again = await cli('eval', '--predictions', 'pred.json', '--ground-truth', 'gt.json', '--out', 'file-report');
  assert.equal(again.code, 0, again.stderr);
  assert.ok(Math.abs(report('file-report').pcp.strict.total - j.pcp.strict.total) < 1e-9);
  assert.ok(Math.abs(report('file-report').pdj.curve[20]! - j.pdj.curve[20]!) < 1e-9);
});

test('ground truth scored against itself is perfect; the mean pose is a weak baseline', async () => {
  await cli('eval', '--dataset', DATASET, '--split', 'legacy-test', '--export-ground-truth', 'gt2.json');
  const r = await cli('eval', '--predictions', 'gt2.json', '--ground-truth', 'gt2.json', '--out', 'self');
  assert.equal(r.code, 0, r.stderr);
  const j = report('self');
  assert.equal(j.pcp.strict.total, 1);
  assert.equal(j.pdj.curve[0], 1);
  const m = await cli('eval', '--dataset', DATASET, '--split', 'legacy-test', '--mean-pose-from', 'legacy-train', '--out', 'mean');
  assert.equal(m.code, 0, m.stderr);
  assert.ok(report('mean').pcp.strict.total < 0.5);
});

test('malformed interchange files fail with the file, the image index and the problem', async () => {
  const bad = (doc: unknown, re: RegExp) => assert.throws(() => parsePoseFile(JSON.stringify(doc), 'p.json'), (e) => e instanceof PoseFileError && re.test(e.message));
  bad({ skeleton: 'coco', images: [] }, /p\.json: "skeleton" must be one of lsp14, mpii16, flic7, found "coco"/);
  bad({ skeleton: 'lsp14', images: [{ image: 'a.jpg', joints: [[1, 2]] }] }, /images\[0\] \(a\.jpg\): "joints" must list 14 joints for lsp14, found 1/);
  bad({ skeleton: 'flic7', images: [{ image: 'a.jpg', joints: [[1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], 'x'] }] }, /joints\[6\] must be \[x, y\] or null, found "x"/);
  bad({ skeleton: 'flic7', images: [{ image: 'a.jpg', joints: Array(7).fill(null), headBox: [1, 2] }] }, /"headBox" must be \[x0, y0, x1, y1\]/);
  assert.throws(() => parsePoseFile('{', 'p.json'), (e) => e instanceof PoseFileError && /p\.json: not valid JSON/.test(e.message));
  writeFileSync(path.join(tmp.dir, 'broken.json'), '{"skeleton": "lsp14", "images": [{"image": ""}]}');
  const r = await cli('eval', '--predictions', 'broken.json', '--ground-truth', 'broken.json');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /broken\.json: images\[0\]: "image" must be a non-empty string \[E_POSE_FILE\]/);
  const noSplit = await cli('eval', '--dataset', DATASET, '--split', 'nope');
  assert.equal(noSplit.code, 1);
  assert.equal(noSplit.stderr.trim().split('\n').length, 1);
});

test('every output path is checked before the work starts (an existing file as --out, an existing report, --save-predictions)', async () => {
  writeFileSync(path.join(tmp.dir, 'a-file'), 'keep me');
  const asFile = await cli('eval', '--dataset', DATASET, '--split', 'legacy-test', '--out', 'a-file');
  assert.equal(asFile.code, 1);
  assert.equal(asFile.stderr.trim(), 'deeppose eval: a-file: is a file, expected a report directory (--out) [E_OUTPUT_PATH]');
  assert.equal(readFileSync(path.join(tmp.dir, 'a-file'), 'utf8'), 'keep me');
  const first = await cli('eval', '--dataset', DATASET, '--split', 'legacy-test', '--stages', '1', '--limit', '2', '--threads', '0', '--out', 'twice');
  assert.equal(first.code, 0, first.stderr);
  const second = await cli('eval', '--dataset', DATASET, '--split', 'legacy-test', '--stages', '1', '--limit', '2', '--threads', '0', '--out', 'twice');
  assert.equal(second.code, 1);
  assert.equal(second.stderr.trim(), 'deeppose eval: twice: already holds a report (pass --force to replace it) [E_OUTPUT_PATH]');
  const pred = await cli('eval', '--dataset', DATASET, '--split', 'legacy-test', '--out', 'fresh', '--save-predictions', 'a-file');
  assert.equal(pred.code, 1);
  assert.match(pred.stderr, /a-file: already exists \(pass --force to replace it\) \(--save-predictions\) \[E_OUTPUT_PATH\]/);
  assert.throws(() => readFileSync(path.join(tmp.dir, 'fresh', 'report.json')), /ENOENT/);
});

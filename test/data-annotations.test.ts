/** Legacy CSV (read, write, bad rows), COCO → LSP14, MPII-style JSON, dataset directories. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { AnnotationFormatError, DatasetLayoutError } from '../data/dataset-errors.js';
import { formatLegacyCsv, parseLegacyCsv, readLegacyCsv, writeLegacyCsv } from '../data/legacy-csv.js';
import { cocoToLsp14 } from '../data/coco.js';
import { parseMpiiJson } from '../data/mpii.js';
import { listSplits, openDataset } from '../data/dataset.js';
import { LSP14 } from '../data/skeletons.js';
import { FIXTURES, scratch } from './helpers/paths.js';

const LSPET = path.join(FIXTURES, 'lspet');

test('legacy CSV: -1 becomes an explicit mask, and writing reproduces the legacy file byte for byte', async () => {
  const file = path.join(LSPET, 'splits', 'legacy-test.csv');
  const rows = await readLegacyCsv(file);
  assert.equal(rows.length, 16);
  assert.equal(rows[0]!.jointsPx.length, 14);
  const missing = rows.flatMap((r) => r.visible).filter((v) => !v).length;
  assert.ok(missing > 0);
  assert.equal(formatLegacyCsv(rows), readFileSync(file, 'utf8'));
  const { dir, cleanup } = scratch();
  try {
    const out = path.join(dir, 'copy.csv');
    await writeLegacyCsv(out, rows);
    assert.deepEqual(await readLegacyCsv(out), rows);
  } finally {
    cleanup();
  }
});

test('BAD CALL: a CSV row with the wrong field count or a non-number names the line and field', () => {
  const good = `a.jpg,${new Array(28).fill(1).join(',')}`;
  assert.throws(() => parseLegacyCsv(`${good}\nb.jpg,1,2,3\n`, { source: 's.csv' }),
    (e) => e instanceof AnnotationFormatError && /s\.csv line 2: expected 1 \+ 2×14 = 29 fields \(image name, then x,y per joint\), found 4/.test(e.message));
  assert.throws(() => parseLegacyCsv(`${good}\n${good.replace(/,1$/, ',abc')}\n`, { source: 's.csv' }),
    (e) => e instanceof AnnotationFormatError && /s\.csv line 2: field 29 \(joint 13 y\) is "abc", expected a number \(or -1 for missing\)/.test(e.message));
  assert.throws(() => formatLegacyCsv([{ image: 'a,b.jpg', jointsPx: [[1, 2]], visible: [true] }]), (e) => e instanceof AnnotationFormatError && /contains a comma/.test(e.message));
});

test('COCO keypoints map to LSP14 by name; neck = mid-shoulders, head top never visible', () => {
  const names = ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle'];
  const kp = names.flatMap((_, i) => [i * 10, i * 10 + 1, i === 7 ? 0 : 2]); // left_elbow unlabelled
  const doc = {
    images: [{ id: 7, file_name: 'p.jpg' }],
    categories: [{ id: 1, name: 'person', keypoints: names }],
    annotations: [{ image_id: 7, category_id: 1, keypoints: kp, bbox: [1, 2, 30, 40] }, { image_id: 7, category_id: 1, keypoints: kp, iscrowd: 1 }],
  };
  const [a, ...rest] = cocoToLsp14(doc, 'c.json');
  assert.equal(rest.length, 0, 'crowd annotation skipped');
  const j = (n: string) => LSP14.joints.indexOf(n);
  assert.deepEqual(a!.jointsPx[j('rightAnkle')], [160, 161]);
  assert.deepEqual(a!.jointsPx[j('leftWrist')], [90, 91]);
  assert.equal(a!.visible[j('leftElbow')], false);
  assert.deepEqual(a!.jointsPx[j('neck')], [55, 56]);
  assert.equal(a!.visible[j('headTop')], false);
  assert.deepEqual(a!.personBoxXywh, [1, 2, 30, 40]);
  assert.throws(() => cocoToLsp14({ ...doc, annotations: [{ image_id: 7, keypoints: [1, 2] }] }, 'c.json'),
    (e) => e instanceof AnnotationFormatError && /c\.json: annotations\[0\]\.keypoints has 2 values, expected 3×17 = 51/.test(e.message));
});

test('MPII-style JSON: legacy data.json lines and the array form, with head boxes', () => {
  const jp: Record<string, number[]> = {};
  for (let k = 0; k < 16; k++) if (k !== 9) jp[String(k)] = [k, 2 * k];
  const [a] = parseMpiiJson(`${JSON.stringify({ filename: 'm.jpg', train: 1, head_rect: [1, 2, 3, 4], joint_pos: jp, is_visible: {} })}\n`);
  assert.equal(a!.image, 'm.jpg');
  assert.deepEqual(a!.headBoxXyxy, [1, 2, 3, 4]);
  assert.equal(a!.visible[9], false);
  assert.deepEqual(a!.jointsPx[15], [15, 30]);
  const [b] = parseMpiiJson(JSON.stringify([{ image: 'n.jpg', joints: new Array(16).fill([5, 6]), head_box: [0, 0, 10, 10] }]));
  assert.equal(b!.visible.every(Boolean), true);
  assert.throws(() => parseMpiiJson('{"filename":"x.jpg","joints":[[1,2]]}', 'm.jsonl'), (e) => e instanceof AnnotationFormatError && /m\.jsonl line 1: "joints" has 1 entries, expected 16/.test(e.message));
});

test('a dataset directory: membership from the split CSV, joints and visibility from joints.mat', async () => {
  assert.deepEqual(listSplits(LSPET), ['legacy-test', 'legacy-train']);
  const d = await openDataset(LSPET, 'legacy-train');
  assert.equal(d.skeleton.id, 'lsp14');
  assert.equal(d.samples.length, 16);
  assert.match(d.annotationSource, /joints\.mat \(lspet\) \+ splits\/legacy-train\.csv/);
  const s = d.samples.find((x) => x.image === 'im00005.jpg')!;
  assert.equal(s.imagePath, path.join(LSPET, 'images', 'im00005.jpg'));
  assert.deepEqual(s.visible.map(Number).join(''), '11011100011111');
  assert.deepEqual(s.splitVisible!.map(Number).join(''), '11011100011111');
});

test('a dataset directory without joints.mat, and with a COCO split', async () => {
  const { dir, cleanup } = scratch();
  try {
    mkdirSync(path.join(dir, 'images'));
    mkdirSync(path.join(dir, 'splits'));
    copyFileSync(path.join(LSPET, 'images', 'im00001.jpg'), path.join(dir, 'images', 'im00001.jpg'));
    writeFileSync(path.join(dir, 'splits', 'flic.csv'), `im00001.jpg,${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -1, -1, 13, 14].join(',')}\n`);
    const flic = await openDataset(dir, 'flic');
    assert.equal(flic.skeleton.id, 'flic7');
    assert.deepEqual(flic.samples[0]!.visible, [true, true, true, true, true, false, true]);
    const names = ['left_shoulder', 'right_shoulder'];
    writeFileSync(path.join(dir, 'splits', 'coco.json'), JSON.stringify({ images: [{ id: 1, file_name: 'im00001.jpg' }], categories: [{ id: 1, name: 'person', keypoints: names }], annotations: [{ image_id: 1, category_id: 1, keypoints: [10, 10, 2, 30, 10, 2] }] }));
    const coco = await openDataset(dir, 'coco');
    assert.equal(coco.skeleton.id, 'lsp14');
    assert.deepEqual(coco.samples[0]!.jointsPx[LSP14.joints.indexOf('neck')], [20, 10]);
    await assert.rejects(openDataset(dir, 'val'), (e) => e instanceof DatasetLayoutError && /no split "val" \(expected splits\/val\.csv, \.json or \.jsonl; available: coco, flic\)/.test(e.message));
    await assert.rejects(openDataset(path.join(dir, 'images'), 'x'), (e) => e instanceof DatasetLayoutError && /no images\/ folder/.test(e.message));
  } finally {
    cleanup();
  }
});

/** Composite scenes for finding the person: geometry of the paste, the person-free scene region, the CLI's dataset. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { composite, personFreeRegion, type CompositeParams } from '../data/composite.js';
import { openDataset } from '../data/dataset.js';
import { decodeImage, type DecodedImage } from '../data/image.js';
import { CLI, FIXTURES, scratch } from './helpers/paths.js';

const run = promisify(execFile);
const tmp = scratch();
after(tmp.cleanup);

function solid(width: number, height: number, rgb: [number, number, number]): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, 3 * i);
  return { data, width, height, channels: 3 };
}

test('personFreeRegion: the largest strip beside the scene\'s own person, or none when every strip is small', () => {
  assert.deepEqual(personFreeRegion(300, 200, [200, 0, 300, 200]), [0, 0, 200, 200]);
  assert.deepEqual(personFreeRegion(300, 200, [0, 0, 300, 150]), [0, 150, 300, 200]);
  assert.equal(personFreeRegion(300, 200, [20, 10, 290, 195]), null);
  assert.deepEqual(personFreeRegion(300, 200, null), [0, 0, 300, 200]);
});

test('composite: the joints move with the pasted person (a marked joint lands on its mark), the box has the asked share of the frame', async () => {
  // A grey "person" image with a red 5×5 mark at joint 0 and joints spanning 60×120 px.
  const person = solid(160, 200, [128, 128, 128]);
  const mark: [number, number] = [62, 81];
  for (let y = mark[1] - 2; y <= mark[1] + 2; y++) for (let x = mark[0] - 2; x <= mark[0] + 2; x++) person.data.set([255, 0, 0], 3 * (y * 160 + x));
  const joints: [number, number][] = [mark, [50, 40], [110, 160], [80, 100]];
  const visible = [true, true, true, true];
  const scene = solid(300, 300, [0, 90, 200]);
  const p: CompositeParams = { personFraction: 0.4, aspect: 1.2, placeX: 0.25, placeY: 0.7, blurSigma: 0, featherPx: 4 };
  const c = await composite(person, joints, visible, scene, null, null, p);
  assert.equal(c.width, 300);
  assert.equal(c.height, 250);
  assert.ok(Math.abs(Math.max(c.personBoxXywh[2], c.personBoxXywh[3]) / Math.max(c.width, c.height) - 0.4) < 0.01);
  const img = await decodeImage(new Uint8Array(c.jpeg));
  const [jx, jy] = c.jointsPx[0]!.map(Math.round) as [number, number];
  const at = (x: number, y: number) => Array.from(img.data.subarray(3 * (y * img.width + x), 3 * (y * img.width + x) + 3));
  const red = at(jx, jy);
  assert.ok(red[0]! > 180 && red[1]! < 90 && red[2]! < 90, `the mark at (${jx}, ${jy}) is ${red}`);
  // Joints keep their offsets (scale 1), and the background is the scene's blue far from the person.
  assert.ok(Math.abs(c.jointsPx[1]![0] - c.jointsPx[0]![0] - (50 - 62)) < 1e-9);
  const corner = at(c.personBoxXywh[0] > 180 ? 5 : c.width - 5, 5);
  assert.ok(corner[2]! > 150 && corner[0]! < 60, `scene colour ${corner}`);
});

test('CLI: deeppose composites writes a dataset that opens like any other; people cycle through the split', async () => {
  const out = path.join(tmp.dir, 'comp');
  const { stdout } = await run(process.execPath, [CLI, 'composites', '--dataset', path.join(FIXTURES, 'lspet'), '--people', 'legacy-test', '--scenes', 'legacy-train', '--count', '5', '--seed', '3', '--out', out]);
  assert.match(stdout, /5 composites of legacy-test people in legacy-train scenes/);
  const ds = await openDataset(out, 'composites');
  assert.equal(ds.samples.length, 5);
  const meta = JSON.parse(readFileSync(path.join(out, 'composites.json'), 'utf8')) as { images: { person: string; personBoxXywh: number[] }[] };
  const firstPeople = (await openDataset(path.join(FIXTURES, 'lspet'), 'legacy-test')).samples.slice(0, 5).map((s) => s.image);
  assert.deepEqual(meta.images.map((m) => m.person), firstPeople);
  for (const [i, s] of ds.samples.entries()) {
    const { width, height } = await sharp(s.imagePath).metadata();
    const b = meta.images[i]!.personBoxXywh;
    const share = Math.max(b[2]!, b[3]!) / Math.max(width!, height!);
    assert.ok(share > 0.29 && share < 0.61, `${s.image}: person share ${share}`);
    s.jointsPx.forEach(([x, y], j) => {
      if (s.visible[j]) assert.ok(x >= b[0]! - 0.01 && x <= b[0]! + b[2]! + 0.01 && y >= b[1]! - 0.01 && y <= b[1]! + b[3]! + 0.01, `${s.image} joint ${j} inside the person box`);
    });
  }
  const again = await run(process.execPath, [CLI, 'composites', '--dataset', path.join(FIXTURES, 'lspet'), '--people', 'legacy-test', '--scenes', 'legacy-train', '--out', out]).catch((e: { code: number; stderr: string }) => e);
  assert.equal((again as { code: number }).code, 1);
  assert.match((again as { stderr: string }).stderr, /comp: is not empty \(pass --force to write into it\) \[E_OUTPUT_PATH\]/);
});

/**
 * The web page end to end in headless Chromium (Debian's package, driven by
 * playwright-core): upload an LSPET photo, press Estimate, see the overlay
 * and the joint table; with a model that has a person finder, the box it
 * found drawn over the overlay at its place, and no such box for a dragged
 * one. Without Chromium the tests are skipped, except under CI (CI=true),
 * where .ci/run installs it and its absence is a failure. playwright-core
 * gives the browser a fresh temporary profile.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES, ROOT, scratch } from './helpers/paths.js';
import { startServeProcess } from './helpers/serve-process.js';
import { STAGE1_CHECKPOINT, writeCascade } from './helpers/cascades.js';
import { CHROMIUM, SKIP, boxLayer, dragBox, launch, openServicePage, screenRect } from './helpers/web-page.js';

const tmp = scratch();
after(tmp.cleanup);

test('upload a photo, drag a box, see the overlay and the joint table', { skip: SKIP }, async () => {
  assert.ok(CHROMIUM, 'chromium must be installed under CI (.ci/run installs it)');
  // The default stages without a person finder: a request without a box takes the whole image.
  const s = await startServeProcess(['--model', writeCascade(tmp.dir, 'no-finder.json', undefined)], { DEEPPOSE_CACHE_DIR: tmp.dir });
  const browser = await launch();
  try {
    const { page, errors } = await openServicePage(browser, s.url);
    await page.setInputFiles('#file', path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00003.jpg'));
    await page.waitForFunction("document.getElementById('photo').naturalWidth > 0");
    // This model has no person finder: the hint says the whole image is used without a box.
    assert.match(await page.locator('#drag-hint').textContent() ?? '', /Without a box the whole image is used/);
    await dragBox(page, [0.25, 0.25], [0.6, 0.55]);
    assert.match(await page.locator('#box-text').textContent() ?? '', /^box \d+, \d+, \d+, \d+$/);
    const posts: string[] = [];
    page.on('request', (r) => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname + new URL(r.url()).search); });
    await page.click('#estimate');
    // Busy while the request runs: the button disabled, the indicator shown.
    assert.equal(await page.locator('#estimate').isDisabled(), true);
    assert.equal(await page.locator('#busy').isVisible(), true);
    await page.waitForFunction("document.getElementById('overlay').naturalWidth > 0", undefined, { timeout: 30_000 });
    assert.deepEqual(posts, ['/v1/pose?overlay=svg'], 'one inference per click');
    assert.equal(await page.locator('#busy').isHidden(), true);
    const size = await page.evaluate("[document.getElementById('overlay').naturalWidth, document.getElementById('overlay').naturalHeight]");
    assert.deepEqual(size, [320, 427]);
    assert.equal(await page.locator('#joints tbody tr').count(), 14);
    assert.equal(await page.locator('#joints tbody tr').first().locator('td').first().textContent(), 'rightAnkle');
    assert.match(await page.locator('#timing').textContent() ?? '', /Box used \d+, \d+, \d+, \d+ \(given\)/);
    assert.equal(await page.locator('#error').isHidden(), true);
    // A dragged box: no "found" box over the overlay, and the page says the dragged box was used.
    assert.deepEqual(await boxLayer(page), { viewBox: '0 0 320 427', rects: [], labels: [] });
    assert.match(await page.locator('#box-note').textContent() ?? '', /^Box used: the one you dragged \(\d+, \d+, \d+, \d+\)\.$/);
    // The overlay fits the available width.
    const [shown, panel] = await page.evaluate("[document.getElementById('overlay').getBoundingClientRect().width, document.getElementById('result-panel').clientWidth]") as [number, number];
    assert.ok(shown <= panel, `overlay ${shown} px wide in a ${panel} px panel`);
    // No box and no finder: the whole image, no "found" box, and the advice to drag one.
    await page.click('#clear-box');
    await page.click('#estimate');
    await page.waitForFunction("/\\(whole\\)/.test(document.getElementById('timing').textContent)", undefined, { timeout: 30_000 });
    assert.deepEqual(posts, ['/v1/pose?overlay=svg', '/v1/pose?overlay=svg'], 'one inference per click');
    assert.deepEqual(await boxLayer(page), { viewBox: '0 0 320 427', rects: [], labels: [] });
    assert.equal(await page.locator('#box-note').textContent(), 'No person box was found or given, so the whole image was used. Dragging a box around the person on the photo gives better results.');
    // A new photo clears the previous result.
    await page.setInputFiles('#file', path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00004.jpg'));
    assert.equal(await page.locator('#result-panel').isHidden(), true);
    assert.equal(await page.locator('#joints tbody tr').count(), 0);
    assert.equal(await page.locator('#box-note').textContent(), '');
    assert.deepEqual(await boxLayer(page), { viewBox: '0 0 320 427', rects: [], labels: [] });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    // SIGINT (Ctrl-C) shuts down as gracefully as SIGTERM (tested in app-real-model).
    s.child.kill('SIGINT');
  }
  assert.equal(await s.exited, 0);
  assert.match(s.log(), /SIGINT: finishing in-flight requests \(at most 5000 ms\) and shutting down[\s\S]*stopped/);
});

/** The default cascade with a stand-in person finder (its stage 1 on the whole image, as in person-finder.test.ts): a finder whose boxes the test can predict. */
const finderCascade = (dir: string) => writeCascade(dir, 'finder-cascade.json', { file: STAGE1_CHECKPOINT, boxScale: 1.3 });

const near = (actual: readonly number[], expected: readonly number[], tol: number, what: string) => {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tol, `${what}[${i}]: ${v} vs ${expected[i]} (±${tol})\n${actual.join(', ')} vs ${expected.join(', ')}`));
};

test('with a person finder: the found box drawn over the overlay where it is, labelled "found"; a dragged box overrides it', { skip: SKIP }, async () => {
  assert.ok(CHROMIUM, 'chromium must be installed under CI (.ci/run installs it)');
  const s = await startServeProcess(['--model', finderCascade(tmp.dir)], { DEEPPOSE_CACHE_DIR: tmp.dir });
  const browser = await launch();
  try {
    const { page, errors } = await openServicePage(browser, s.url);
    assert.match(await page.locator('#drag-hint').textContent() ?? '', /Without a box the service looks for the person itself; a dragged box overrides the box it finds\./);
    await page.setInputFiles('#file', path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00003.jpg'));
    await page.waitForFunction("document.getElementById('photo').naturalWidth > 0");
    const estimate = async () => {
      const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST', { timeout: 30_000 }), page.click('#estimate')]);
      const pose = await response.json() as { imageSize: { width: number; height: number }; boxPx: number[]; boxSource: string };
      await page.waitForFunction(`/\\(${pose.boxSource}\\)/.test(document.getElementById('timing').textContent) && !document.getElementById('result-panel').hidden`, undefined, { timeout: 30_000 });
      return pose;
    };

    // No box: the finder's box, drawn in the SVG layer at the response's coordinates.
    const found = await estimate();
    assert.equal(found.boxSource, 'found');
    assert.deepEqual(found.imageSize, { width: 320, height: 427 });
    const [x, y, w, h] = found.boxPx as [number, number, number, number];
    assert.ok(w < 320 - 1 || h < 427 - 1, `the found box ${found.boxPx.join(', ')} is not the whole image`);
    const layer = await boxLayer(page);
    assert.equal(layer.viewBox, '0 0 320 427');
    assert.equal(layer.rects.length, 1);
    near(layer.rects[0]!, found.boxPx, 0.01, 'found rect (image px)');
    assert.deepEqual(layer.labels, ['found']);
    // On screen: the overlay is scaled to fit (object-fit: contain) and the layer with it.
    const [il, it, iw, ih] = await screenRect(page, '#overlay') as [number, number, number, number];
    const scale = Math.min(iw / 320, ih / 427);
    const [ox, oy] = [il + (iw - 320 * scale) / 2, it + (ih - 427 * scale) / 2];
    near(await screenRect(page, '#found-box'), [ox + x * scale, oy + y * scale, w * scale, h * scale], 1, 'found rect (screen px)');
    // The label sits at the box's top-left corner.
    const [ll, lt, , lh] = await screenRect(page, '#found-label') as [number, number, number, number];
    assert.ok(ll >= ox + x * scale && ll <= ox + x * scale + 12 && Math.abs(lt - (oy + y * scale)) <= lh + 2, `label at ${ll}, ${lt}; box at ${ox + x * scale}, ${oy + y * scale}`);
    const note = await page.locator('#box-note').textContent() ?? '';
    assert.equal(note, `Dashed box “found” (${found.boxPx.map(Math.round).join(', ')}): the service found the person by itself. Drag a box around the person on the photo to override it, then estimate again.`);
    assert.match(await page.locator('#timing').textContent() ?? '', /Box used \d+, \d+, \d+, \d+ \(found\)/);

    // A dragged box wins: it is the box used, and no "found" box is drawn.
    await dragBox(page, [0.2, 0.1], [0.7, 0.9]);
    const dragged = (await page.locator('#box-text').textContent() ?? '').replace(/^box /, '').split(', ').map(Number);
    const given = await estimate();
    assert.equal(given.boxSource, 'given');
    assert.deepEqual(given.boxPx, dragged);
    assert.deepEqual(await boxLayer(page), { viewBox: '0 0 320 427', rects: [], labels: [] });
    assert.equal(await page.locator('#found-box').count(), 0);
    assert.equal(await page.locator('#box-note').textContent(), `Box used: the one you dragged (${dragged.join(', ')}).`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    s.child.kill('SIGTERM');
  }
  assert.equal(await s.exited, 0);
});

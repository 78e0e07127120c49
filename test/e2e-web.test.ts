/**
 * The web page end to end in headless Chromium (Debian's package, driven by
 * playwright-core): upload an LSPET photo, press Estimate, see the overlay
 * and the joint table. Without Chromium the test is skipped, except under CI
 * (CI=true), where .ci/run installs it and its absence is a failure.
 * playwright-core gives the browser a fresh temporary profile.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { FIXTURES, scratch } from './helpers/paths.js';
import { startServeProcess } from './helpers/serve-process.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const tmp = scratch();
after(tmp.cleanup);

test('upload a photo, drag a box, see the overlay and the joint table', { skip: !CHROMIUM && !process.env.CI ? 'Debian chromium is not installed (apt-get install chromium)' : false }, async () => {
  assert.ok(CHROMIUM, 'chromium must be installed under CI (.ci/run installs it)');
  const s = await startServeProcess([], { DEEPPOSE_CACHE_DIR: tmp.dir });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(s.url);
    await page.waitForFunction("/Model epoch-48/.test(document.getElementById('model-line').textContent)");
    await page.setInputFiles('#file', path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00003.jpg'));
    await page.waitForFunction("document.getElementById('photo').naturalWidth > 0");
    const frame = (await page.locator('#frame').boundingBox())!;
    await page.mouse.move(frame.x + frame.width * 0.25, frame.y + frame.height * 0.25);
    await page.mouse.down();
    await page.mouse.move(frame.x + frame.width * 0.6, frame.y + frame.height * 0.55, { steps: 5 });
    await page.mouse.up();
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
    assert.match(await page.locator('#timing').textContent() ?? '', /Box used \d+, \d+, \d+, \d+/);
    assert.equal(await page.locator('#error').isHidden(), true);
    // The overlay fits the available width.
    const [shown, panel] = await page.evaluate("[document.getElementById('overlay').getBoundingClientRect().width, document.getElementById('result-panel').clientWidth]") as [number, number];
    assert.ok(shown <= panel, `overlay ${shown} px wide in a ${panel} px panel`);
    // A new photo clears the previous result.
    await page.setInputFiles('#file', path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00004.jpg'));
    assert.equal(await page.locator('#result-panel').isHidden(), true);
    assert.equal(await page.locator('#joints tbody tr').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    // SIGINT (Ctrl-C) shuts down as gracefully as SIGTERM (tested in app-real-model).
    s.child.kill('SIGINT');
  }
  assert.equal(await s.exited, 0);
  assert.match(s.log(), /SIGINT: finishing in-flight requests \(at most 5000 ms\) and shutting down[\s\S]*stopped/);
});

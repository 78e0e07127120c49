/** The web page in headless Chromium (Debian's package, driven by playwright-core): launching it and reading the page. */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
/** Skipped without Chromium, except under CI (CI=true), where its absence is a failure. */
export const SKIP = !CHROMIUM && !process.env.CI ? 'Debian chromium is not installed (apt-get install chromium)' : false;

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM!,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Drags a box on the photo from one corner to the other, each a fraction [fx, fy] of the photo's displayed size. */
/** A new page on the service's web page, once it shows the default model; page errors are collected. */
export async function openServicePage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction("/Model epoch-48/.test(document.getElementById('model-line').textContent)");
  return { page, errors };
}

export async function dragBox(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const frame = (await page.locator('#frame').boundingBox())!;
  await page.mouse.move(frame.x + frame.width * from[0], frame.y + frame.height * from[1]);
  await page.mouse.down();
  await page.mouse.move(frame.x + frame.width * to[0], frame.y + frame.height * to[1], { steps: 5 });
  await page.mouse.up();
}

export interface BoxLayer {
  readonly viewBox: string | null;
  /** Each rectangle's x, y, width, height attributes (image pixels). */
  readonly rects: number[][];
  /** Each label's text. */
  readonly labels: string[];
}

/** What the SVG layer over the overlay holds (the page's script, read as a string: tsconfig has no DOM types). */
export function boxLayer(page: Page): Promise<BoxLayer> {
  return page.evaluate(`(() => {
    const layer = document.getElementById('box-layer');
    return {
      viewBox: layer.getAttribute('viewBox'),
      rects: [...layer.querySelectorAll('rect')].map((r) => ['x', 'y', 'width', 'height'].map((a) => Number(r.getAttribute(a)))),
      labels: [...layer.querySelectorAll('text')].map((t) => t.textContent),
    };
  })()`) as Promise<BoxLayer>;
}

/** Screen rectangle [left, top, width, height] of the element `selector` names, in CSS pixels. */
export function screenRect(page: Page, selector: string): Promise<number[]> {
  return page.evaluate(`(() => { const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`) as Promise<number[]>;
}

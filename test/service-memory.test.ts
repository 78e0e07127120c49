/**
 * Peak RSS of `deeppose serve` with default settings under the memory
 * attacks of issue 16 item 2 (fewer of the slow ones than bench/service.ts
 * runs, to keep the suite fast: a 40 MP WebP takes seconds to go through): truncated 6000×6600 JPEG headers, tiny
 * lossless 6000×6600 WebPs, concurrent big bodies, an endless chunked upload.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runAttacks } from '../bench/service-attacks.js';
import { FIXTURES, scratch } from './helpers/paths.js';
import { startServeProcess } from './helpers/serve-process.js';

const tmp = scratch();
after(tmp.cleanup);

test('peak RSS under the attacks stays under 1 GB with default settings; every request answered', async () => {
  const s = await startServeProcess([], { DEEPPOSE_CACHE_DIR: tmp.dir });
  try {
    const r = await runAttacks(s.url, s.child.pid!, path.join(FIXTURES, 'service-bombs'), { truncatedJpegs: 16, losslessWebps: 2, bigBodies: 8, bigBodyBytes: 9.5 * 1024 * 1024 });
    const [jpegs, webps, bodies, chunked] = r.attacks as { statuses: Record<string, number>; codes: Record<string, number>; status?: string; seconds: number }[];
    assert.deepEqual(jpegs!.codes, { E_IMAGE_DECODE: 16 });
    assert.equal((webps!.statuses['200'] ?? 0) + (webps!.statuses['503'] ?? 0), 2, JSON.stringify(webps));
    assert.ok((webps!.statuses['200'] ?? 0) >= 1);
    assert.equal(bodies!.codes['network error'], undefined, JSON.stringify(bodies));
    assert.equal((bodies!.codes.E_IMAGE_DECODE ?? 0) + (bodies!.codes.E_BUSY ?? 0), 8, JSON.stringify(bodies));
    assert.equal(chunked!.status, '413');
    assert.ok(r.peakRssMiB < 1024, `peak RSS ${r.peakRssMiB} MiB (${r.peakMeasuredBy}); ${JSON.stringify(r.attacks)}`);
  } finally {
    s.child.kill('SIGTERM');
    await s.exited;
  }
});

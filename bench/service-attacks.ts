/**
 * The memory attacks of issue 16 item 2 against a running `deeppose serve`
 * (loopback): concurrent truncated JPEGs whose header claims 6000×6600,
 * concurrent tiny lossless WebPs of 6000×6600, many concurrent 9.5 MB bodies,
 * and an endless chunked upload. Reports each attack's statuses and time and
 * the service's peak RSS (VmHWM, reset before the attacks). Used by
 * bench/service.ts (full size) and test/service-memory.test.ts (smaller).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface AttackCounts {
  readonly truncatedJpegs: number;
  readonly losslessWebps: number;
  readonly bigBodies: number;
  readonly bigBodyBytes: number;
}

export const FULL_ATTACKS: AttackCounts = { truncatedJpegs: 16, losslessWebps: 16, bigBodies: 100, bigBodyBytes: 9.5 * 1024 * 1024 };

export interface AttackReport {
  readonly name: string;
  readonly requests: number;
  readonly statuses: Record<string, number>;
  readonly codes: Record<string, number>;
  readonly seconds: number;
}

function status(pid: number, key: string): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Resets the peak RSS of `pid` (Linux: writing 5 to clear_refs); false where not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

async function burst(name: string, url: string, n: number, body: () => Uint8Array, type: string): Promise<AttackReport> {
  const t0 = performance.now();
  const statuses: Record<string, number> = {};
  const codes: Record<string, number> = {};
  await Promise.all(Array.from({ length: n }, async () => {
    let key = 'network error';
    try {
      const r = await fetch(`${url}/v1/pose`, { method: 'POST', body: body(), headers: { 'Content-Type': type } });
      key = String(r.status);
      const text = await r.text();
      const code = /"code":"(E_[A-Z_]+)"/.exec(text)?.[1] ?? (r.ok ? 'ok' : 'other');
      codes[code] = (codes[code] ?? 0) + 1;
    } catch {
      codes['network error'] = (codes['network error'] ?? 0) + 1;
    }
    statuses[key] = (statuses[key] ?? 0) + 1;
  }));
  return { name, requests: n, statuses, codes, seconds: +((performance.now() - t0) / 1000).toFixed(2) };
}

/**
 * An endless chunked upload (64 KiB chunks as fast as the socket takes them):
 * when the 413 arrives, after how many bytes. With `readAfterMs` the client
 * reads nothing for that long (it keeps sending).
 */
export async function endlessChunked(port: number, capSeconds = 20, readAfterMs = 0): Promise<{ status: string; bytesSent: number; seconds: number }> {
  const t0 = performance.now();
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let sent = 0;
    let answer = '';
    let done = false;
    const finish = (why: string) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ status: why, bytesSent: sent, seconds: +((performance.now() - t0) / 1000).toFixed(2) });
    };
    const pump = () => {
      while (!done && socket.writable) {
        sent += chunk.length;
        if (!socket.write(frame)) return;
      }
    };
    socket.on('connect', () => {
      socket.write('POST /v1/pose HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n');
      pump();
      // A client busy elsewhere: the answer waits in its socket buffer until it reads.
      if (readAfterMs > 0) {
        socket.pause();
        setTimeout(() => socket.resume(), readAfterMs).unref();
      }
    });
    socket.on('drain', pump);
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d+)/.exec(answer);
      if (m) finish(m[1]!);
    });
    socket.on('error', () => finish('connection closed without an answer'));
    socket.on('close', () => finish('connection closed without an answer'));
    setTimeout(() => finish(`no answer within ${capSeconds} s`), capSeconds * 1000).unref();
  });
}

/** Runs the attacks one after another against `url` (service pid `pid`); `fixtures` holds test/fixtures/service-bombs. */
export async function runAttacks(url: string, pid: number, fixtures: string, counts: AttackCounts): Promise<{ peakRssMiB: number; rssBeforeMiB: number; peakMeasuredBy: string; attacks: (AttackReport | Record<string, unknown>)[] }> {
  const truncated = readFileSync(path.join(fixtures, 'truncated-6000x6600.jpg'));
  const webp = readFileSync(path.join(fixtures, 'uniform-6000x6600-lossless.webp'));
  const big = Buffer.alloc(counts.bigBodyBytes);
  const rssBefore = status(pid, 'VmRSS');
  const reset = resetPeak(pid);
  // Fallback where clear_refs is not allowed: sample VmRSS every 10 ms.
  let sampled = rssBefore;
  const sampler = setInterval(() => {
    try {
      sampled = Math.max(sampled, status(pid, 'VmRSS'));
    } catch {
      // the process is gone
    }
  }, 10);
  const attacks: (AttackReport | Record<string, unknown>)[] = [];
  try {
    attacks.push(await burst(`${counts.truncatedJpegs} concurrent 5 KB JPEGs whose header claims 6000×6600`, url, counts.truncatedJpegs, () => truncated, 'image/jpeg'));
    attacks.push(await burst(`${counts.losslessWebps} concurrent ${webp.length}-byte lossless WebPs of 6000×6600`, url, counts.losslessWebps, () => webp, 'image/webp'));
    attacks.push(await burst(`${counts.bigBodies} concurrent ${(counts.bigBodyBytes / 1024 / 1024).toFixed(1)} MB bodies`, url, counts.bigBodies, () => big, 'image/jpeg'));
    attacks.push({ name: 'an endless chunked upload', ...(await endlessChunked(Number(new URL(url).port))) });
  } finally {
    clearInterval(sampler);
  }
  const peak = reset ? status(pid, 'VmHWM') : sampled;
  return { peakRssMiB: Math.round(peak), rssBeforeMiB: Math.round(rssBefore), peakMeasuredBy: reset ? 'VmHWM after clear_refs' : 'VmRSS sampled every 10 ms', attacks };
}

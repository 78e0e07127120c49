/** Child process of bench/convert.ts: converts one file and reports wall time and peak RSS. */
import { readFileSync } from 'node:fs';
import { convertCheckpointToFile } from '../model/convert.js';

/**
 * Peak RSS of this process from /proc (VmHWM). `process.resourceUsage().maxRSS`
 * is not used: on Linux it carries over the parent's peak across fork/exec.
 */
function peakRssBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

const [input, output] = process.argv.slice(2);
const t0 = performance.now();
await convertCheckpointToFile(input!, output!, {});
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ seconds, maxRssBytes: peakRssBytes() })}\n`);

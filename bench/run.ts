/**
 * `npm run bench [-- name …]`: runs the benchmarks (all by default), each
 * writing bench/results/<name>.json. Benchmarks read ../shared when present.
 */
type Bench = () => Promise<unknown>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  convert: async () => (await import('./convert.js')).benchConvert,
  'convert-pickle': async () => (await import('./convert-pickle.js')).benchConvertPickle,
  inference: async () => (await import('./inference.js')).benchInference,
  data: async () => (await import('./data.js')).benchData,
  service: async () => (await import('./service.js')).benchService,
  train: async () => (await import('./train.js')).benchTrain,
  quantize: async () => (await import('./quantize.js')).benchQuantize,
  'quantize-methods': async () => (await import('./quantize.js')).benchQuantizeMethods,
  'quantize-cpu': async () => (await import('./quantize.js')).benchQuantizeCpu,
  startup: async () => (await import('./startup.js')).benchStartup,
  eval: async () => (await import('./eval.js')).benchEval,
  jpeg: async () => (await import('./jpeg.js')).benchJpeg,
  queue: async () => (await import('./queue.js')).benchQueue,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length) {
  process.stderr.write(`npm run bench: unknown benchmark ${unknown.join(', ')} (expected ${Object.keys(BENCHES).join(', ')})\n`);
  process.exit(1);
}
let failed = 0;
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  process.stderr.write(`\n== bench ${name}\n`);
  try {
    const fn = await BENCHES[name]!();
    const result = await fn();
    process.stdout.write(`${name}: ${JSON.stringify(result)}\n`);
  } catch (err) {
    failed++;
    process.stderr.write(`bench ${name} failed: ${(err as Error).stack ?? String(err)}\n`);
  }
}
process.exitCode = failed ? 1 : 0;

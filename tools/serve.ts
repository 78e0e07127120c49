/** `deeppose serve [--model M] [--port N]`: the HTTP pose service (also `npm start`). */
import type { Command } from 'commander';
import { startService } from '../app/server.js';
import { loadPoseModel } from '../model/pose-model.js';
import { action } from './action.js';
import { parseInt10 } from './options.js';
import { InvalidArgumentError } from '../core/errors.js';

interface ServeOptions {
  model?: string[];
  port: number;
  host: string;
  workers?: number;
  threads?: number;
  stages?: number;
  maxBodyMb: number;
  maxPixels: number;
  queue: number;
  batch: number;
  timeoutMs: number;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a model over HTTP: POST /v1/pose, /v1/pose/overlay, GET /v1/models, /healthz, /readyz, /metrics, and a web page at /')
    .option('--model <path>', 'model: .onnx, legacy checkpoint, cascade.json or directory (repeat for stages; default: embedded model)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--port <n>', 'TCP port (default: $PORT or 3000)', parseInt10('--port', 0, 65535), Number(process.env.PORT ?? 3000))
    .option('--host <addr>', 'address to listen on', '0.0.0.0')
    .option('--workers <n>', 'inference worker threads (default 1)', parseInt10('--workers', 1, 256))
    .option('--threads <n>', 'onnxruntime intra-op threads per worker (default: cores / workers)', parseInt10('--threads', 1, 256))
    .option('--max-body-mb <n>', 'largest request body in MB', parseInt10('--max-body-mb', 1, 1024), 10)
    .option('--max-pixels <n>', 'largest image in pixels, refused before decoding', parseInt10('--max-pixels', 1, 1_000_000_000), 40_000_000)
    .option('--queue <n>', 'requests waiting for inference before 503', parseInt10('--queue', 1, 100000), 64)
    .option('--batch <n>', 'most requests per batched inference', parseInt10('--batch', 1, 256), 16)
    .option('--stages <n>', 'cascade stages a request runs when it does not say (default: all; 1 = stage 1 alone, several times faster)', parseInt10('--stages', 1, 100))
    .option('--timeout-ms <n>', 'per-request inference deadline', parseInt10('--timeout-ms', 100, 3_600_000), 30_000)
    .action(action(async (opts: ServeOptions) => {
      const log = (l: string) => process.stderr.write(`${l}\n`);
      const service = await startService({
        port: opts.port,
        host: opts.host,
        maxBodyBytes: opts.maxBodyMb * 1024 * 1024,
        maxPixels: opts.maxPixels,
        maxQueue: opts.queue,
        maxBatch: opts.batch,
        timeoutMs: opts.timeoutMs,
        ...(opts.stages ? { defaultStages: opts.stages } : {}),
        log,
        loadModel: async () => {
          const m = await loadPoseModel({ model: opts.model, workers: opts.workers, threads: opts.threads, log: (l) => log(`deeppose serve: ${l}`) });
          if (opts.stages !== undefined && opts.stages > m.info.stages) {
            await m.close();
            throw new InvalidArgumentError(`--stages ${opts.stages}: the model has ${m.info.stages} stage${m.info.stages > 1 ? 's' : ''}`);
          }
          return m;
        },
      });
      log(`deeppose serve: listening on http://localhost:${service.port} (loading the model…)`);
      service.ready.catch(() => {
        process.exitCode = 1;
        void service.close();
      });
      const stop = (signal: string) => {
        log(`deeppose serve: ${signal}: finishing in-flight requests and shutting down`);
        service.close().then(
          () => {
            log('deeppose serve: stopped');
            process.exit(process.exitCode ?? 0);
          },
          (err: unknown) => {
            log(`deeppose serve: shutdown failed: ${(err as Error).message}`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    }));
}

/** `deeppose serve [--model M] [--port N] [--host A]`: the HTTP pose service (also `npm start`). */
import type { Command } from 'commander';
import { SERVICE_DEFAULTS, startService } from '../app/server.js';
import { loadPoseModel } from '../model/pose-model.js';
import { MAX_CASCADE_STAGES } from '../model/cascade.js';
import { action } from './action.js';
import { parseInt10, parseSkeleton } from './options.js';
import type { SkeletonId } from '../data/skeletons.js';
import { InvalidArgumentError, invalidArgument } from '../core/errors.js';

interface ServeOptions {
  model?: string[];
  port?: number;
  host?: string;
  workers?: number;
  threads?: number;
  stages?: number;
  skeleton?: SkeletonId;
  maxBodyMb: number;
  maxPixels: number;
  maxDecodeMp: number;
  maxBufferedMb: number;
  queue: number;
  batch: number;
  timeoutMs: number;
  drainMs: number;
}

const DEFAULT_PORT = 3000;
const DEFAULT_HOST = '127.0.0.1';

/** `--port`, else $PORT, else 3000. */
function portFrom(opt: number | undefined): number {
  if (opt !== undefined) return opt;
  const env = process.env.PORT;
  if (env === undefined || env === '') return DEFAULT_PORT;
  if (!/^(0|[1-9]\d{0,4})$/.test(env) || Number(env) > 65535) throw invalidArgument('PORT', 'an integer from 0 to 65535', env);
  return Number(env);
}

/** How to reach `host:port` in a URL (IPv6 in brackets). */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a model over HTTP: POST /v1/pose, /v1/pose/overlay, GET /v1/models, /healthz, /readyz, /metrics, /openapi.json, and a web page at /')
    .option('--model <path>', 'model: .onnx, legacy checkpoint, cascade.json or directory (repeat for stages; default: embedded model)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--skeleton <id>', 'the skeleton the model\'s joints follow, when its metadata names none or names it wrongly (lsp14, mpii16, flic7)', parseSkeleton)
    .option('--port <n>', `TCP port (default: $PORT, else ${DEFAULT_PORT}; 0 = any free port)`, parseInt10('--port', 0, 65535))
    .option('--host <addr>', `address to listen on (default: $HOST, else ${DEFAULT_HOST}, this machine only; 0.0.0.0 opens it to the network)`)
    .option('--workers <n>', 'inference worker threads (default 1)', parseInt10('--workers', 1, 256))
    .option('--threads <n>', 'onnxruntime intra-op threads per worker (default: cores / workers)', parseInt10('--threads', 1, 256))
    .option('--max-body-mb <n>', 'largest request body in MB (413 beyond, cut off as it streams)', parseInt10('--max-body-mb', 1, 1024), SERVICE_DEFAULTS.maxBodyBytes / 1024 / 1024)
    .option('--max-pixels <n>', 'largest image in pixels, refused from its header before decoding', parseInt10('--max-pixels', 1, 1_000_000_000), SERVICE_DEFAULTS.maxPixels)
    .option('--max-decode-mp <n>', 'megapixels of all images being decoded at once (more wait in the queue)', parseInt10('--max-decode-mp', 1, 10_000), SERVICE_DEFAULTS.maxDecodePixels / 1e6)
    .option('--max-buffered-mb <n>', 'MB of request bodies held at once (503 beyond)', parseInt10('--max-buffered-mb', 1, 100_000), SERVICE_DEFAULTS.maxBufferedBytes / 1024 / 1024)
    .option('--queue <n>', 'requests waiting for inference before 503', parseInt10('--queue', 1, 100000), SERVICE_DEFAULTS.maxQueue)
    .option('--batch <n>', 'most requests per batched inference', parseInt10('--batch', 1, 256), SERVICE_DEFAULTS.maxBatch)
    .option('--stages <n>', 'cascade stages a request runs when it does not say (default: all; 1 = stage 1 alone, several times faster)', parseInt10('--stages', 1, MAX_CASCADE_STAGES))
    .option('--timeout-ms <n>', 'per-request inference deadline', parseInt10('--timeout-ms', 100, 3_600_000), SERVICE_DEFAULTS.timeoutMs)
    .option('--drain-ms <n>', 'on SIGTERM/SIGINT, longest wait for in-flight requests before their connections are closed', parseInt10('--drain-ms', 0, 600_000), SERVICE_DEFAULTS.drainMs)
    .action(action(async (opts: ServeOptions) => {
      const log = (l: string) => process.stderr.write(`${l}\n`);
      const port = portFrom(opts.port);
      const host = opts.host ?? (process.env.HOST || DEFAULT_HOST);
      const service = await startService({
        port,
        host,
        maxBodyBytes: opts.maxBodyMb * 1024 * 1024,
        maxPixels: opts.maxPixels,
        maxDecodePixels: Math.max(opts.maxDecodeMp * 1e6, opts.maxPixels),
        maxBufferedBytes: Math.max(opts.maxBufferedMb, opts.maxBodyMb) * 1024 * 1024,
        maxQueue: opts.queue,
        maxBatch: opts.batch,
        timeoutMs: opts.timeoutMs,
        drainMs: opts.drainMs,
        ...(opts.stages ? { defaultStages: opts.stages } : {}),
        log,
        loadModel: async () => {
          const m = await loadPoseModel({ model: opts.model, workers: opts.workers, threads: opts.threads, ...(opts.skeleton ? { skeleton: opts.skeleton } : {}), log: (l) => log(`deeppose serve: ${l}`) });
          if (opts.stages !== undefined && opts.stages > m.info.stages) {
            await m.close();
            throw new InvalidArgumentError(`--stages ${opts.stages}: the model has ${m.info.stages} stage${m.info.stages > 1 ? 's' : ''}`);
          }
          return m;
        },
      });
      const everywhere = service.host === '0.0.0.0' || service.host === '::';
      log(`deeppose serve: listening on http://${urlHost(service.host)}:${service.port}${everywhere ? ' (all interfaces)' : ''}, pid ${process.pid} (loading the model…)`);
      service.ready.catch(() => {
        process.exitCode = 1;
        void service.close();
      });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log(`deeppose serve: ${signal}: finishing in-flight requests (at most ${opts.drainMs} ms) and shutting down`);
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
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    }));
}

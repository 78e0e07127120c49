/**
 * The pose service: `createApp` builds the Express app around a model
 * (injected, so tests can use fakes); `startService` listens at once, loads
 * the model in the background (`/readyz` turns true when it is loaded), and
 * shuts down within a bounded drain time without a request ever reaching a
 * closed model.
 *
 * Memory is bounded by configuration: request bodies are counted against a
 * byte budget while held (503 beyond), images against a pixel budget from
 * their header until the response is sent (they wait in a bounded line,
 * 503 beyond), and the inference queue is bounded (503 beyond).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeepPoseError, invalidArgument } from '../core/errors.js';
import { probeImage, DEFAULT_MAX_PIXELS } from '../data/image.js';
import { drawOverlay, skeletonSvg } from '../data/overlay.js';
import type { PosePrediction, PoseRequest } from '../model/pose-model.js';
import { personBoxIn } from '../data/bbox.js';
import { poseJson } from '../model/pose-json.js';
import { Batcher } from './batcher.js';
import { Budget } from './budget.js';
import { errorHandler, MethodNotAllowedError, NotFoundError, NotReadyError, ShuttingDownError, statusOf } from './errors.js';
import { discardBody, imageRequest, negotiate, OVERLAY_TYPES, POSE_TYPES, readImageBody } from './request-image.js';
import { Metrics } from './metrics.js';
import type { ServedModel } from './model-port.js';
import { openApiDocument } from './openapi.js';

export const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../app/public');

/** Defaults of the service's limits (README "Reliability"). */
export const SERVICE_DEFAULTS = {
  maxBodyBytes: 10 * 1024 * 1024,
  maxPixels: DEFAULT_MAX_PIXELS,
  maxDecodePixels: 64_000_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxQueue: 64,
  maxBatch: 16,
  timeoutMs: 30_000,
  drainMs: 5_000,
} as const;

export interface ServiceLimits {
  /** Largest request body, bytes (default 10 MB). */
  readonly maxBodyBytes?: number;
  /** Largest image, pixels; refused from the header, before decoding (default 40 MP). */
  readonly maxPixels?: number;
  /** Pixels of all images being decoded or drawn at once (default 64 MP); more wait in line. */
  readonly maxDecodePixels?: number;
  /** Bytes of request bodies held at once (default 64 MB); beyond, 503. */
  readonly maxBufferedBytes?: number;
  /** Requests waiting for inference (and for decoding capacity) before 503 (default 64). */
  readonly maxQueue?: number;
  /** Requests per predict call at most (default 16). */
  readonly maxBatch?: number;
  /** Per-request inference deadline, ms (default 30 s). */
  readonly timeoutMs?: number;
  /** Cascade stages a request runs when it names none (default: all the model has; at most that many). */
  readonly defaultStages?: number;
}

export interface AppOptions extends ServiceLimits {
  /** The model, or a getter returning undefined while it loads. */
  readonly model: ServedModel | (() => ServedModel | undefined);
  readonly log?: (line: string) => void;
}

interface Job {
  readonly request: PoseRequest;
}

export interface PoseApp {
  readonly app: express.Express;
  readonly metrics: Metrics;
  /** Resolves when no request is waiting or running. */
  drain(): Promise<void>;
  /** From now on: new requests 503 E_SHUTTING_DOWN, every response `Connection: close`, no new inference. */
  beginShutdown(): void;
  /** HTTP requests received and not yet answered. */
  readonly requestsInFlight: number;
  /** Answers the requests still waiting for inference with 503 E_SHUTTING_DOWN. */
  abortQueued(): void;
  /** Resolves once no inference batch is running (after beginShutdown, none will start again). */
  modelIdle(): Promise<void>;
}

export function createApp(options: AppOptions): PoseApp {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const getModel = typeof options.model === 'function' ? options.model : () => options.model as ServedModel;
  const maxBody = options.maxBodyBytes ?? SERVICE_DEFAULTS.maxBodyBytes;
  const maxPixels = options.maxPixels ?? SERVICE_DEFAULTS.maxPixels;
  const maxQueue = options.maxQueue ?? SERVICE_DEFAULTS.maxQueue;
  const timeoutMs = options.timeoutMs ?? SERVICE_DEFAULTS.timeoutMs;
  const metrics = new Metrics();
  const bytes = new Budget({ capacity: options.maxBufferedBytes ?? SERVICE_DEFAULTS.maxBufferedBytes, what: 'request bytes being buffered' });
  const pixels = new Budget({ capacity: options.maxDecodePixels ?? SERVICE_DEFAULTS.maxDecodePixels, what: 'image pixels being decoded', maxWaiting: maxQueue, maxWaitMs: timeoutMs });
  let shuttingDown = false;
  let inFlight = 0;
  let batcher: Batcher<Job, PosePrediction> | undefined;
  const batcherFor = (model: ServedModel) => {
    batcher ??= new Batcher<Job, PosePrediction>({
      maxBatch: options.maxBatch ?? SERVICE_DEFAULTS.maxBatch,
      maxQueue,
      timeoutMs,
      // One batch more than there are inference workers: the next batch's decoding and
      // cropping (sharp, on libuv's threads) overlaps the current batch's inference.
      concurrency: (model.concurrency ?? 1) + 1,
      run: async (jobs) => {
        const t0 = performance.now();
        metrics.batchSize.observe(jobs.length);
        try {
          return await model.predict(jobs.map((j) => j.request));
        } catch {
          // Isolate the failing request: the others still get answers.
          return Promise.all(jobs.map((j) => model.predict([j.request]).then((r) => r[0]!, (e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
        } finally {
          metrics.inference.observe(performance.now() - t0);
        }
      },
    });
    if (shuttingDown) batcher.close();
    return batcher;
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const t0 = performance.now();
    inFlight++;
    res.once('close', () => inFlight--);
    if (req.path.startsWith('/v1/pose')) {
      metrics.poseRequestsInFlight++;
      res.once('close', () => metrics.poseRequestsInFlight--);
    }
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : req.path);
      metrics.record(route, req.method, res.statusCode, performance.now() - t0);
    });
    // During shutdown every response asks the client to close (Node then closes the socket).
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: unknown[]) {
      if (shuttingDown && !this.headersSent) this.setHeader('Connection', 'close');
      return (writeHead as (...a: unknown[]) => Response).apply(this, args);
    } as typeof res.writeHead;
    if (shuttingDown) {
      next(new ShuttingDownError());
      return;
    }
    next();
  });

  const ready = (): ServedModel => {
    const m = getModel();
    if (!m) throw new NotReadyError();
    return m;
  };

  /** Reads the body, checks the header, holds its pixels until the response is sent, runs inference. */
  const estimate = async (req: Request, res: Response): Promise<{ model: ServedModel; prediction: PosePrediction; image: Uint8Array }> => {
    const model = ready();
    const body = await readImageBody(req, res, maxBody, bytes);
    whenClosed(res, body.release);
    const r = await imageRequest(req, body, model.info.stages);
    // Header only: format, pixel limit and plausibility are checked before anything is decoded.
    const size = await probeImage(r.image, { maxPixels, name: 'image' });
    personBoxIn(r.bboxPx, size); // refuses a box outside the image before queueing
    whenClosed(res, await pixels.take(size.width * size.height));
    if (res.destroyed || res.closed) throw new DeepPoseError('E_ABORTED', 'the client went away');
    const stages = r.stages ?? options.defaultStages;
    const prediction = await batcherFor(model).submit({ request: { image: { encoded: r.image, width: size.width, height: size.height }, bboxPx: r.bboxPx, ...(r.box ? { box: r.box } : {}), stages } });
    return { model, prediction, image: r.image };
  };

  const json = (model: ServedModel, p: PosePrediction) => poseJson(p, model.info.id);

  const sendOverlay = async (res: Response, model: ServedModel, image: Uint8Array, p: PosePrediction, format: 'png' | 'jpeg') => {
    const img = await drawOverlay(image, p.jointsPx, model.skeleton, { box: p.boxPx, format });
    res.type(format === 'jpeg' ? 'image/jpeg' : 'image/png').setHeader('X-Pose', JSON.stringify(json(model, p).joints.map((j) => [j.x, j.y])));
    res.send(img);
  };

  app.post('/v1/pose', async (req, res) => {
    const type = negotiate(req, POSE_TYPES);
    const overlay = req.query.overlay;
    if (overlay !== undefined && overlay !== 'svg') throw invalidArgument('overlay', '"svg" (the skeleton as an SVG layer in the JSON)', overlay);
    const { model, prediction, image } = await estimate(req, res);
    if (type === 'application/json' && overlay === 'svg') {
      const p = prediction;
      res.json({ ...json(model, p), overlaySvg: skeletonSvg(p.imageSize.width, p.imageSize.height, p.jointsPx, model.skeleton, { box: p.boxPx }) });
    } else if (type === 'application/json') res.json(json(model, prediction));
    else await sendOverlay(res, model, image, prediction, type === 'image/jpeg' ? 'jpeg' : 'png');
  });
  app.post('/v1/pose/overlay', async (req, res) => {
    const format = req.query.format === 'jpeg' ? 'jpeg' : req.query.format === 'png' ? 'png' : negotiate(req, OVERLAY_TYPES) === 'image/jpeg' ? 'jpeg' : 'png';
    const { model, prediction, image } = await estimate(req, res);
    await sendOverlay(res, model, image, prediction, format);
  });
  app.get('/v1/models', (_req, res) => {
    const m = ready();
    res.json({ models: [{ ...m.info, skeleton: m.info.skeleton, limbs: m.skeleton.limbs.map((l) => ({ name: l.name, from: l.from, to: l.to, colour: l.colour })) }] });
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', (_req, res) => {
    const m = getModel();
    res.status(m ? 200 : 503).json({ ready: Boolean(m), model: m?.info.id ?? null });
  });
  app.get('/metrics', (_req, res) => {
    res.type('text/plain; version=0.0.4').send(metrics.render({ queueDepth: batcher?.depth ?? 0, inFlight: batcher?.inFlight ?? 0, ready: Boolean(getModel()) }));
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).setHeader('Cache-Control', 'public, max-age=86400');
    res.end();
  });
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', fallthrough: true }));

  const allowed: Record<string, string> = {
    '/v1/pose': 'POST', '/v1/pose/overlay': 'POST', '/v1/models': 'GET', '/healthz': 'GET', '/readyz': 'GET', '/metrics': 'GET', '/openapi.json': 'GET', '/favicon.ico': 'GET', '/': 'GET',
  };
  app.use((req, _res, next) => {
    const allow = allowed[req.path];
    if (allow && !(req.method === allow || (allow === 'GET' && req.method === 'HEAD'))) {
      next(new MethodNotAllowedError(req.method, req.path, allow));
      return;
    }
    next(new NotFoundError(req.method, req.path));
  });
  app.use(errorHandler(log, (req, res) => discardBody(req, res, maxBody)));
  return {
    app,
    metrics,
    drain: async () => batcher?.drain(),
    beginShutdown: () => {
      shuttingDown = true;
      batcher?.close();
    },
    get requestsInFlight() {
      return inFlight;
    },
    abortQueued: () => batcher?.abortQueued(new ShuttingDownError()),
    modelIdle: async () => batcher?.idle(),
  };
}

/** Runs `fn` once the response is closed (at once if it already is): budgets are given back even when the client left early. */
function whenClosed(res: Response, fn: () => void): void {
  if (res.closed) fn();
  else res.once('close', fn);
}

/** `listen` failed: the port is taken or not ours to use. */
export class ListenError extends DeepPoseError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

export interface ServiceHandle {
  readonly server: Server;
  readonly port: number;
  /** The address actually bound (e.g. 127.0.0.1, ::, 0.0.0.0). */
  readonly host: string;
  /** Resolves once the model is loaded (rejects if loading failed). */
  readonly ready: Promise<ServedModel>;
  /**
   * Stops accepting, answers new requests 503 with `Connection: close`,
   * closes idle keep-alive sockets, finishes in-flight requests for at most
   * `drainMs`, then closes every connection, waits for a running inference
   * batch, and closes the model. Resolves true when everything in flight
   * was answered within the drain time.
   */
  close(): Promise<boolean>;
}

export interface ServiceOptions extends ServiceLimits {
  readonly port: number;
  readonly host?: string;
  /** Longest wait for in-flight requests on shutdown, ms (default 5 s). */
  readonly drainMs?: number;
  readonly loadModel: () => Promise<ServedModel>;
  readonly log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Listens at once; the model loads in the background. */
export async function startService(options: ServiceOptions): Promise<ServiceHandle> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const host = options.host ?? '127.0.0.1';
  const drainMs = options.drainMs ?? SERVICE_DEFAULTS.drainMs;
  let model: ServedModel | undefined;
  const pose = createApp({ ...options, model: () => model, log });
  // http.createServer, not app.listen: Express 5 calls listen's callback on an error too.
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(pose.app);
    s.once('listening', () => resolve(s));
    s.listen(options.port, host);
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new ListenError('E_PORT_IN_USE', `port ${options.port} on ${host} is already in use: stop the other server or choose another port with --port`));
      else if (err.code === 'EACCES') reject(new ListenError('E_LISTEN', `port ${options.port} on ${host}: permission denied (ports below 1024 need privileges)`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new ListenError('E_LISTEN', `--host ${host}: not an address of this machine`));
      else reject(err);
    });
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const boundHost = typeof address === 'object' && address ? address.address : host;
  const ready = options.loadModel().then(async (m) => {
    if (closing) {
      await m.close();
      throw new ShuttingDownError();
    }
    model = m;
    log(`deeppose serve: model ${m.info.id} ready (${m.info.stages} stage${m.info.stages > 1 ? 's' : ''}, ${m.info.jointNames.length} joints${m.concurrency ? `, ${m.concurrency} inference worker${m.concurrency > 1 ? 's' : ''}${m.threadsPerWorker ? ` × ${m.threadsPerWorker} intra-op thread${m.threadsPerWorker > 1 ? 's' : ''}` : ''}` : ''})`);
    return m;
  });
  ready.catch((err: unknown) => {
    if (err instanceof ShuttingDownError) return;
    const code = (err as { code?: unknown }).code;
    log(`deeppose serve: the model failed to load: ${(err as Error).message}${typeof code === 'string' ? ` [${code}]` : ''}`);
  });
  let closing: Promise<boolean> | undefined;
  return {
    server,
    port,
    host: boundHost,
    ready,
    close: () => {
      closing ??= (async () => {
        const deadline = Date.now() + drainMs;
        pose.beginShutdown();
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        while (pose.requestsInFlight > 0 && Date.now() < deadline) {
          await sleep(10);
          server.closeIdleConnections();
        }
        const drained = pose.requestsInFlight === 0;
        if (!drained) {
          log(`deeppose serve: drain time of ${drainMs} ms passed with ${pose.requestsInFlight} request(s) unanswered: closing their connections`);
          pose.abortQueued();
        }
        // A running batch is in native code: it finishes before the model closes.
        await pose.modelIdle();
        server.closeAllConnections();
        await closed;
        const m = model ?? (await Promise.race([ready.catch(() => undefined), sleep(Math.max(0, deadline - Date.now())).then(() => undefined)]));
        await m?.close();
        return drained;
      })();
      return closing;
    },
  };
}

export { statusOf };

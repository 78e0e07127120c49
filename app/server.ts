/**
 * The pose service: `createApp` builds the Express app around a model
 * (injected, so tests can use fakes); `startService` listens at once, loads
 * the model in the background (`/readyz` turns true when it is loaded), and
 * shuts down gracefully.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeImage, DEFAULT_MAX_PIXELS } from '../data/image.js';
import { drawOverlay } from '../data/overlay.js';
import type { PosePrediction, PoseRequest } from '../model/pose-model.js';
import { personBox } from '../model/pose-model.js';
import { Batcher } from './batcher.js';
import { errorHandler, HttpError, statusOf } from './errors.js';
import { imageBodyParser, imageRequest } from './request-image.js';
import { Metrics } from './metrics.js';
import type { ServedModel } from './model-port.js';

export const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../app/public');

export interface ServiceLimits {
  /** Largest request body, bytes (default 10 MB). */
  readonly maxBodyBytes?: number;
  /** Largest image, pixels; refused from the header, before decoding (default 40 MP). */
  readonly maxPixels?: number;
  /** Requests waiting for inference before 503 (default 64). */
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
}

export function createApp(options: AppOptions): PoseApp {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const getModel = typeof options.model === 'function' ? options.model : () => options.model as ServedModel;
  const maxBody = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const metrics = new Metrics();
  let batcher: Batcher<Job, PosePrediction> | undefined;
  const batcherFor = (model: ServedModel) => {
    batcher ??= new Batcher<Job, PosePrediction>({
      maxBatch: options.maxBatch ?? 16,
      maxQueue: options.maxQueue ?? 64,
      timeoutMs: options.timeoutMs ?? 30_000,
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
    return batcher;
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const t0 = performance.now();
    if (req.path.startsWith('/v1/pose')) {
      metrics.poseRequestsInFlight++;
      res.once('close', () => metrics.poseRequestsInFlight--);
    }
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : req.path);
      metrics.record(route, req.method, res.statusCode, performance.now() - t0);
    });
    next();
  });

  const ready = (): ServedModel => {
    const m = getModel();
    if (!m) throw new HttpError(503, 'E_NOT_READY', 'the model is still loading; retry shortly', { 'Retry-After': '2' });
    return m;
  };

  const estimate = async (req: Request): Promise<{ model: ServedModel; prediction: PosePrediction; image: Uint8Array; overlayFormat?: 'png' | 'jpeg' }> => {
    const model = ready();
    const r = imageRequest(req, model.info.stages);
    // Header only: format and pixel limit are checked before anything is decoded.
    const size = await probeImage(r.image, { maxPixels, name: 'image' });
    personBox(r.bboxPx, size); // refuses a box outside the image before queueing
    const stages = r.stages ?? options.defaultStages;
    const prediction = await batcherFor(model).submit({ request: { image: { encoded: r.image, width: size.width, height: size.height }, bboxPx: r.bboxPx, stages } });
    return { model, prediction, image: r.image, overlayFormat: r.overlayFormat };
  };

  const json = (model: ServedModel, p: PosePrediction) => ({
    model: model.info.id,
    imageSize: p.imageSize,
    boxPx: p.boxPx,
    cropBoxXyxy: p.cropBoxXyxy,
    stages: p.stagesRun,
    joints: p.names.map((name, i) => ({ name, x: round2(p.jointsPx[i]![0]), y: round2(p.jointsPx[i]![1]) })),
    timingsMs: p.timingsMs,
  });

  const sendOverlay = async (res: Response, model: ServedModel, image: Uint8Array, p: PosePrediction, format: 'png' | 'jpeg') => {
    const img = await drawOverlay(image, p.jointsPx, model.skeleton, { box: p.boxPx, format });
    res.type(format === 'jpeg' ? 'image/jpeg' : 'image/png').setHeader('X-Pose', JSON.stringify(json(model, p).joints.map((j) => [j.x, j.y])));
    res.send(img);
  };

  const body = imageBodyParser(maxBody);
  app.post('/v1/pose', body, async (req, res) => {
    const { model, prediction, image, overlayFormat } = await estimate(req);
    if (overlayFormat && !/application\/json/.test(String(req.headers.accept))) await sendOverlay(res, model, image, prediction, overlayFormat);
    else res.json(json(model, prediction));
  });
  app.post('/v1/pose/overlay', body, async (req, res) => {
    const { model, prediction, image, overlayFormat } = await estimate(req);
    await sendOverlay(res, model, image, prediction, overlayFormat ?? (req.query.format === 'jpeg' ? 'jpeg' : 'png'));
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
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', fallthrough: true }));

  const allowed: Record<string, string> = { '/v1/pose': 'POST', '/v1/pose/overlay': 'POST', '/v1/models': 'GET', '/healthz': 'GET', '/readyz': 'GET', '/metrics': 'GET', '/': 'GET' };
  app.use((req, res, next) => {
    const allow = allowed[req.path];
    if (allow && !(req.method === allow || (allow === 'GET' && req.method === 'HEAD'))) {
      res.setHeader('Allow', allow);
      next(new HttpError(405, 'E_METHOD_NOT_ALLOWED', `${req.method} ${req.path}: method not allowed (allowed: ${allow})`));
      return;
    }
    next(new HttpError(404, 'E_NOT_FOUND', `${req.method} ${req.path}: no such route`));
  });
  app.use(errorHandler(log));
  return { app, metrics, drain: async () => batcher?.drain() };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

export interface ServiceHandle {
  readonly server: Server;
  readonly port: number;
  /** Resolves once the model is loaded (rejects if loading failed). */
  readonly ready: Promise<ServedModel>;
  /** Stops accepting, finishes in-flight requests, closes the model. */
  close(): Promise<void>;
}

export interface ServiceOptions extends ServiceLimits {
  readonly port: number;
  readonly host?: string;
  readonly loadModel: () => Promise<ServedModel>;
  readonly log?: (line: string) => void;
}

/** Listens at once; the model loads in the background. */
export async function startService(options: ServiceOptions): Promise<ServiceHandle> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  let model: ServedModel | undefined;
  const pose = createApp({ ...options, model: () => model, log });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = pose.app.listen(options.port, options.host ?? '0.0.0.0', () => resolve(s));
    s.once('error', reject);
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const ready = options.loadModel().then((m) => {
    model = m;
    log(`deeppose serve: model ${m.info.id} ready (${m.info.stages} stage${m.info.stages > 1 ? 's' : ''}, ${m.info.jointNames.length} joints${m.concurrency ? `, ${m.concurrency} inference worker${m.concurrency > 1 ? 's' : ''}${m.threadsPerWorker ? ` × ${m.threadsPerWorker} intra-op thread${m.threadsPerWorker > 1 ? 's' : ''}` : ''}` : ''})`);
    return m;
  });
  ready.catch((err: unknown) => {
    const code = (err as { code?: unknown }).code;
    log(`deeppose serve: the model failed to load: ${(err as Error).message}${typeof code === 'string' ? ` [${code}]` : ''}`);
  });
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    ready,
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        await pose.drain();
        await closed;
        await (model ?? (await ready.catch(() => undefined)))?.close();
      })();
      return closing;
    },
  };
}

export { statusOf };

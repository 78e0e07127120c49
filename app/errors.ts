/**
 * The HTTP side of the error convention: the service's own DeepPoseError
 * classes, the one table mapping error codes to statuses (and the headers a
 * status carries), and the JSON error body `{error: {code, message}}`.
 */
import type { NextFunction, Request, Response } from 'express';
import { DeepPoseError } from '../core/errors.js';

/** The model is still loading (503, Retry-After). */
export class NotReadyError extends DeepPoseError {
  constructor() {
    super('E_NOT_READY', 'the model is still loading; retry shortly');
  }
}

/** The service is shutting down: no new work is accepted (503, Connection: close). */
export class ShuttingDownError extends DeepPoseError {
  constructor() {
    super('E_SHUTTING_DOWN', 'the service is shutting down; retry on another instance or after it restarts');
  }
}

/** A bounded resource (inference queue, pixel or byte budget) is full (503, Retry-After). */
export class BusyError extends DeepPoseError {
  constructor(code: 'E_QUEUE_FULL' | 'E_BUSY', message: string) {
    super(code, message);
  }
}

/** Inference did not finish within the per-request deadline (504). */
export class InferenceTimeoutError extends DeepPoseError {
  constructor(ms: number) {
    super('E_TIMEOUT', `inference did not finish within ${ms} ms`);
  }
}

/** The request body (declared or streamed) passed the size limit (413). */
export class BodyTooLargeError extends DeepPoseError {
  constructor(message: string) {
    super('E_BODY_TOO_LARGE', message);
  }
}

/** A Content-Type the service does not read (415). */
export class UnsupportedMediaTypeError extends DeepPoseError {
  constructor(message: string) {
    super('E_UNSUPPORTED_MEDIA_TYPE', message);
  }
}

/** No image in the request (400). */
export class EmptyBodyError extends DeepPoseError {
  constructor(message: string) {
    super('E_EMPTY_BODY', message);
  }
}

/** A multipart body the service cannot use (400). */
export class MultipartError extends DeepPoseError {
  constructor(message: string) {
    super('E_MULTIPART', message);
  }
}

/** An Accept header naming none of the types the route produces (406). */
export class NotAcceptableError extends DeepPoseError {
  constructor(accept: string, produces: readonly string[]) {
    super('E_NOT_ACCEPTABLE', `Accept ${JSON.stringify(accept.slice(0, 120))}: this route produces ${produces.join(', ')}`);
  }
}

/** No such route (404). */
export class NotFoundError extends DeepPoseError {
  constructor(method: string, path: string) {
    super('E_NOT_FOUND', `${method} ${path.slice(0, 200)}: no such route`);
  }
}

/** The route exists, the method does not (405, Allow). */
export class MethodNotAllowedError extends DeepPoseError {
  constructor(method: string, path: string, readonly allow: string) {
    super('E_METHOD_NOT_ALLOWED', `${method} ${path}: method not allowed (allowed: ${allow})`);
  }
}

/** The one table: error code → HTTP status. Codes not listed are internal errors (500). */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  E_INVALID_ARGUMENT: 400,
  E_BBOX: 400,
  E_CROP: 400,
  E_IMAGE_DECODE: 400,
  E_EMPTY_BODY: 400,
  E_MULTIPART: 400,
  E_ABORTED: 400,
  E_NOT_FOUND: 404,
  E_METHOD_NOT_ALLOWED: 405,
  E_NOT_ACCEPTABLE: 406,
  E_BODY_TOO_LARGE: 413,
  E_IMAGE_TOO_LARGE: 413,
  E_IMAGE_FORMAT: 415,
  E_UNSUPPORTED_MEDIA_TYPE: 415,
  E_NOT_READY: 503,
  E_QUEUE_FULL: 503,
  E_BUSY: 503,
  E_SHUTTING_DOWN: 503,
  E_CLOSED: 503,
  E_TIMEOUT: 504,
};

/** Retry-After (seconds) sent with a code. */
const RETRY_AFTER_BY_CODE: Readonly<Record<string, string>> = { E_NOT_READY: '2', E_QUEUE_FULL: '1', E_BUSY: '1' };

export function statusOf(err: unknown): number {
  if (err instanceof DeepPoseError) return STATUS_BY_CODE[err.code] ?? 500;
  const e = err as { status?: number };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return e.status; // express's own (e.g. a malformed URL)
  return 500;
}

/** `{error: {code, message}}` for any error; internal errors say little (they are logged). */
export function errorBody(err: unknown, status: number): { error: { code: string; message: string } } {
  if (err instanceof DeepPoseError && status !== 500) return { error: { code: err.code, message: err.message } };
  if (status >= 400 && status < 500) return { error: { code: 'E_BAD_REQUEST', message: (err as Error)?.message ?? 'bad request' } };
  return { error: { code: 'E_INTERNAL', message: 'internal error' } };
}

/** The headers an error's status carries (Retry-After, Allow). */
export function errorHeaders(err: unknown): Record<string, string> {
  const h: Record<string, string> = {};
  if (err instanceof DeepPoseError && RETRY_AFTER_BY_CODE[err.code]) h['Retry-After'] = RETRY_AFTER_BY_CODE[err.code]!;
  if (err instanceof MethodNotAllowedError) h.Allow = err.allow;
  return h;
}

/**
 * The error middleware. `beforeReply` runs first (the service drops a
 * request body nobody read, up to its limit, so the client sees the answer).
 */
export function errorHandler(log: (line: string) => void, beforeReply?: (req: Request, res: Response) => Promise<void>) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const status = statusOf(err);
    if (status === 500) log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    if (res.headersSent) {
      res.end();
      return;
    }
    const reply = () => {
      if (res.headersSent || res.destroyed) return;
      for (const [k, v] of Object.entries(errorHeaders(err))) res.setHeader(k, v);
      res.status(status).json(errorBody(err, status));
    };
    if (beforeReply) void beforeReply(req, res).then(reply, reply);
    else reply();
  };
}

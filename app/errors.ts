/** One place mapping error codes to HTTP statuses, and the JSON error body. */
import type { NextFunction, Request, Response } from 'express';
import { DeepPoseError } from '../core/errors.js';

export class HttpError extends DeepPoseError {
  constructor(readonly status: number, code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(code, message);
  }
}

const STATUS_BY_CODE: Record<string, number> = {
  E_INVALID_ARGUMENT: 400,
  E_BBOX: 400,
  E_CROP: 400,
  E_IMAGE_DECODE: 400,
  E_EMPTY_BODY: 400,
  E_IMAGE_FORMAT: 415,
  E_UNSUPPORTED_MEDIA_TYPE: 415,
  E_IMAGE_TOO_LARGE: 413,
  E_BODY_TOO_LARGE: 413,
  E_QUEUE_FULL: 503,
  E_NOT_READY: 503,
  E_TIMEOUT: 504,
  E_NOT_FOUND: 404,
  E_METHOD_NOT_ALLOWED: 405,
};

export function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof DeepPoseError) return STATUS_BY_CODE[err.code] ?? 500;
  const e = err as { type?: string; status?: number; code?: string };
  if (e?.type === 'entity.too.large' || e?.code === 'LIMIT_FILE_SIZE') return 413;
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 600) return e.status;
  return 500;
}

/** `{error: {code, message}}` for any error; internal errors say little and are logged. */
export function errorBody(err: unknown, status: number): { error: { code: string; message: string } } {
  if (err instanceof DeepPoseError) return { error: { code: err.code, message: err.message } };
  const e = err as { type?: string; code?: string; message?: string };
  if (status === 413) return { error: { code: 'E_BODY_TOO_LARGE', message: 'request body exceeds the size limit' } };
  if (e?.code?.startsWith?.('LIMIT_')) return { error: { code: 'E_MULTIPART', message: `multipart body refused: ${e.message}` } };
  if (status === 400) return { error: { code: 'E_BAD_REQUEST', message: e?.message ?? 'bad request' } };
  return { error: { code: 'E_INTERNAL', message: 'internal error' } };
}

export function errorHandler(log: (line: string) => void) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const status = statusOf(err);
    if (status >= 500 && status !== 503 && status !== 504) log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    if (err instanceof HttpError) for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(errorBody(err, status));
  };
}

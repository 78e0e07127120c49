/**
 * Getting the image and options out of a request: a raw `image/jpeg|png|webp`
 * body or a `multipart/form-data` field `image`, with `bbox` and `stages`
 * from the query string or form fields. Every refusal is an HttpError with
 * the right status.
 */
import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import multer from 'multer';
import { HttpError } from './errors.js';

export const RAW_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

export interface ImageRequest {
  readonly image: Uint8Array;
  readonly bboxPx?: [number, number, number, number];
  readonly stages?: number;
  readonly overlayFormat?: 'png' | 'jpeg';
}

/** Parses both body kinds, refusing others with 415, oversize bodies with 413. */
export function imageBodyParser(maxBytes: number) {
  const raw = express.raw({ type: [...RAW_IMAGE_TYPES], limit: maxBytes });
  const multipart = multer({ storage: multer.memoryStorage(), limits: { fileSize: maxBytes, files: 1, fields: 16, fieldSize: 4096, parts: 20 } }).single('image');
  return (req: Request, res: Response, next: NextFunction): void => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const length = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(length) && length > maxBytes) {
      next(new HttpError(413, 'E_BODY_TOO_LARGE', `request body of ${length} bytes exceeds the limit of ${maxBytes} bytes`));
      return;
    }
    if ((RAW_IMAGE_TYPES as readonly string[]).includes(type)) raw(req, res, next);
    else if (type === 'multipart/form-data') multipart(req, res, (err?: unknown) => next(err && !(err instanceof HttpError) ? multerError(err, maxBytes) : err));
    else next(new HttpError(415, 'E_UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type ? JSON.stringify(type) : '(none)'} is not supported: send image/jpeg, image/png, image/webp, or multipart/form-data with an "image" field`));
  };
}

function multerError(err: unknown, maxBytes: number): HttpError {
  const e = err as { code?: string; message?: string; field?: string };
  if (e.code === 'LIMIT_FILE_SIZE') return new HttpError(413, 'E_BODY_TOO_LARGE', `image exceeds the limit of ${maxBytes} bytes`);
  if (e.code === 'LIMIT_UNEXPECTED_FILE') return new HttpError(400, 'E_MULTIPART', `unexpected file field ${JSON.stringify(e.field)}: send the image in the field "image"`);
  return new HttpError(400, 'E_MULTIPART', `malformed multipart body (${e.message ?? String(err)})`);
}

function field(req: Request, name: string): string | undefined {
  const q = req.query[name];
  if (typeof q === 'string') return q;
  if (Array.isArray(q)) throw new HttpError(400, 'E_INVALID_ARGUMENT', `${name}: given more than once`);
  const b = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof b === 'string' ? b : undefined;
}

export function parseBboxParam(v: string | undefined): [number, number, number, number] | undefined {
  if (v === undefined || v === '') return undefined;
  const parts = v.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n)) || parts[2]! <= 0 || parts[3]! <= 0) {
    throw new HttpError(400, 'E_BBOX', `bbox: expected x,y,w,h in pixels with w > 0 and h > 0, found ${JSON.stringify(v.slice(0, 80))}`);
  }
  return parts as [number, number, number, number];
}

export function parseStagesParam(v: string | undefined, max: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > max) {
    throw new HttpError(400, 'E_INVALID_ARGUMENT', `stages: expected an integer from 1 to ${max}, found ${JSON.stringify(v.slice(0, 40))}`);
  }
  return n;
}

/** The image and options of a parsed request. */
export function imageRequest(req: Request, maxStages: number): ImageRequest {
  const file = (req as Request & { file?: { buffer: Buffer } }).file;
  const body = file ? file.buffer : Buffer.isBuffer(req.body) ? req.body : undefined;
  if (!body || body.length === 0) {
    throw new HttpError(400, 'E_EMPTY_BODY', file === undefined && !Buffer.isBuffer(req.body) ? 'no image: send the image as the body or as the multipart field "image"' : 'the image is empty (0 bytes)');
  }
  const accept = String(req.headers.accept ?? '');
  const overlayFormat = /image\/jpeg/.test(accept) ? 'jpeg' : /image\/png/.test(accept) ? 'png' : undefined;
  return {
    image: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    bboxPx: parseBboxParam(field(req, 'bbox')),
    stages: parseStagesParam(field(req, 'stages'), maxStages),
    overlayFormat,
  };
}

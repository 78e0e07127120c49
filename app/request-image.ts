/**
 * Getting the image and options out of a request: a raw `image/jpeg|png|webp`
 * body or a `multipart/form-data` field `image`, with `bbox` and `stages`
 * from the query string or form fields (each at most once, plain decimals),
 * and the response type from `Accept`. The body is read with a hard limit
 * (a declared or streamed body past it is refused with 413 at once, the
 * connection closed) and its bytes are counted against the service's byte
 * budget while it is held. Every refusal is a DeepPoseError subclass.
 */
import type { BoxMode } from '../model/pose-model.js';
import type { Request, Response } from 'express';
import { invalidArgument } from '../core/errors.js';
import { parseDecimal } from '../core/decimal.js';
import { parseBboxText } from '../data/bbox.js';
import type { Budget } from './budget.js';
import { BodyTooLargeError, EmptyBodyError, MultipartError, NotAcceptableError, UnsupportedMediaTypeError } from './errors.js';

export const RAW_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

/** What `POST /v1/pose` can answer, in order of preference. */
export const POSE_TYPES = ['application/json', 'image/png', 'image/jpeg'] as const;
/** What `POST /v1/pose/overlay` can answer. */
export const OVERLAY_TYPES = ['image/png', 'image/jpeg'] as const;

export interface ImageRequest {
  readonly image: Uint8Array;
  readonly bboxPx?: [number, number, number, number];
  /** Without a bbox: find the person (`auto`) or take the whole image. */
  readonly box?: BoxMode;
  readonly stages?: number;
}

/** A body read into memory, and the release of its bytes from the budget. */
export interface ReadBody {
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly release: () => void;
}

/** Requests whose connection closes after the response (their body is not read further). */
const closing = new WeakSet<Request>();

/** Asks the client to close once this response is sent (the request body was not read to its end). */
export function closeAfterResponse(req: Request, res: Response): void {
  closing.add(req);
  if (!res.headersSent) res.setHeader('Connection', 'close');
  req.unpipe();
  const socket = req.socket;
  // Node ends a `Connection: close` response with `socket.destroySoon()`: the
  // socket closes as soon as the response is flushed. With the client still
  // sending, a close over unread bytes is a TCP reset, and a reset can make
  // the client's kernel drop the response before the client has read it (an
  // endless upload then sees "connection closed" instead of its 413). So
  // this socket only half-closes there (FIN after the response); the rest
  // of the body is not read, and the socket closes 2 s later.
  socket.destroySoon = () => {
    socket.end();
  };
  // Half-closed whether or not Node calls destroySoon (it does not when the headers went out before this was called).
  res.once('finish', () => {
    socket.end();
    setTimeout(() => socket.destroy(), 2000).unref();
  });
}

/**
 * Reads the rest of the body and drops it (nothing is held), so that a
 * refusal reaches a client still sending; past `maxBytes` it stops reading
 * and the connection closes after the response.
 */
export async function discardBody(req: Request, res: Response, maxBytes: number): Promise<void> {
  if (req.complete || closing.has(req) || req.readableEnded) return;
  const complete = await new Promise<boolean>((resolve) => {
    let n = 0;
    const done = (ok: boolean) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onFail);
      req.off('aborted', onFail);
      resolve(ok);
    };
    const onData = (c: Buffer) => {
      n += c.length;
      if (n > maxBytes) {
        req.pause();
        done(false);
      }
    };
    const onEnd = () => done(true);
    const onFail = () => done(false);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onFail);
    req.once('aborted', onFail);
  });
  if (!complete) closeAfterResponse(req, res);
}

/**
 * Reads the request body: 415 for other Content-Types, 413 as soon as the
 * declared length or the streamed bytes pass `maxBytes` (the rest is not
 * read; the connection closes), 503 when the byte budget cannot hold it (the
 * declared length, or `maxBytes` when chunked; that body is read and dropped).
 */
export async function readImageBody(req: Request, res: Response, maxBytes: number, budget: Budget): Promise<ReadBody> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!(RAW_IMAGE_TYPES as readonly string[]).includes(contentType) && contentType !== 'multipart/form-data') {
    await discardBody(req, res, maxBytes);
    throw new UnsupportedMediaTypeError(`Content-Type ${contentType ? JSON.stringify(contentType.slice(0, 80)) : '(none)'} is not supported: send image/jpeg, image/png, image/webp, or multipart/form-data with an "image" field`);
  }
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (declared !== undefined && declared > maxBytes) {
    closeAfterResponse(req, res);
    throw new BodyTooLargeError(`request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`);
  }
  let release: () => void;
  try {
    release = budget.tryTake(declared ?? maxBytes);
  } catch (err) {
    // Refused without holding it: the body is read and dropped, so the client sees the 503.
    await discardBody(req, res, maxBytes);
    throw err;
  }
  try {
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let n = 0;
      const done = (err?: Error) => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        req.off('aborted', onAborted);
        if (err) reject(err);
        else resolve(Buffer.concat(chunks, n));
      };
      const onData = (c: Buffer) => {
        n += c.length;
        if (n > maxBytes) {
          req.pause();
          closeAfterResponse(req, res);
          done(new BodyTooLargeError(`request body exceeds the limit of ${maxBytes} bytes (cut off at ${n} bytes)`));
          return;
        }
        chunks.push(c);
      };
      const onEnd = () => done();
      const onError = (e: Error) => done(e);
      const onAborted = () => done(new Error('request aborted'));
      req.on('data', onData);
      req.once('end', onEnd);
      req.once('error', onError);
      req.once('aborted', onAborted);
    });
    return { bytes, contentType, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** The image and its fields from a body: raw image bytes, or the multipart field "image". */
async function imageAndFields(body: ReadBody, req: Request): Promise<{ image: Uint8Array; fields: Map<string, string[]> }> {
  const fields = new Map<string, string[]>();
  if (body.contentType !== 'multipart/form-data') return { image: body.bytes, fields };
  let form: FormData;
  try {
    form = await new Response(body.bytes, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
  } catch (err) {
    throw new MultipartError(`malformed multipart body (${(err as Error).message}): send the image in the field "image"`);
  }
  let image: Uint8Array | undefined;
  for (const [name, value] of form) {
    if (typeof value === 'string') {
      fields.set(name, [...(fields.get(name) ?? []), value]);
    } else if (name === 'image' && image === undefined) {
      image = new Uint8Array(await value.arrayBuffer());
    } else {
      throw new MultipartError(`unexpected file field ${JSON.stringify(name.slice(0, 40))}: send one image in the field "image"`);
    }
  }
  if (!image) throw new EmptyBodyError('no image: send the image as the body or as the multipart field "image"');
  return { image, fields };
}

/** One value of `name` from the query string or the form; given more than once (anywhere) is refused. */
function field(req: Request, fields: Map<string, string[]>, name: string): string | undefined {
  const q = req.query[name];
  const values = [...(q === undefined ? [] : Array.isArray(q) ? q : [q]), ...(fields.get(name) ?? [])];
  if (values.length > 1) throw invalidArgument(name, 'one value (given in the query string or the form, once)', `${values.length} values`);
  const v = values[0];
  if (v !== undefined && typeof v !== 'string') throw invalidArgument(name, 'a plain value', v);
  return v;
}

/** `x,y,w,h` (plain decimals, data/bbox.ts) or undefined when absent. */
export function parseBboxParam(v: string | undefined): [number, number, number, number] | undefined {
  if (v === undefined || v === '') return undefined;
  return parseBboxText(v, 'bbox');
}

/** A plain decimal integer from 1 to `max`, or undefined when absent. */
export function parseStagesParam(v: string | undefined, max: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = parseDecimal(v, { integer: true });
  if (n === undefined || n < 1 || n > max) throw invalidArgument('stages', `an integer from 1 to ${max} (plain decimal)`, v.slice(0, 40));
  return n;
}

/** The response type for `Accept` among `produces` (first on a tie); 406 when none is acceptable. */
export function negotiate<T extends string>(req: Request, produces: readonly T[]): T {
  const t = req.accepts([...produces]);
  if (!t) throw new NotAcceptableError(String(req.headers.accept ?? ''), produces);
  return t as T;
}

/** The image and options of a read body. */
export async function imageRequest(req: Request, body: ReadBody, maxStages: number): Promise<ImageRequest> {
  if (body.bytes.length === 0) throw new EmptyBodyError('no image: send the image as the body or as the multipart field "image"');
  const { image, fields } = await imageAndFields(body, req);
  if (image.length === 0) throw new EmptyBodyError('the image is empty (0 bytes)');
  return { image, bboxPx: parseBboxParam(field(req, fields, 'bbox')), box: parseBoxParam(field(req, fields, 'box')), stages: parseStagesParam(field(req, fields, 'stages'), maxStages) };
}

/** `box=auto` (the person finder, when the model has one) or `box=whole`; undefined when absent. */
export function parseBoxParam(v: string | undefined): BoxMode | undefined {
  if (v === undefined || v === '') return undefined;
  if (v !== 'auto' && v !== 'whole') throw invalidArgument('box', 'auto or whole', v.slice(0, 40));
  return v;
}

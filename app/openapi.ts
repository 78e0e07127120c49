/**
 * The OpenAPI 3.1 description of the HTTP API, served at `/openapi.json`.
 * The service's tests validate the document with an OpenAPI validator and
 * every response they receive against it (test/helpers/openapi-check.ts),
 * so it cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { STATUS_BY_CODE } from './errors.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A plain decimal (no sign `+`, no leading zeros, no hex, binary or exponent). */
const DECIMAL = '-?(0|[1-9][0-9]*)(\\.[0-9]+)?';
const BBOX_PATTERN = `^${DECIMAL},${DECIMAL},${DECIMAL},${DECIMAL}$`;

const error = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'string', pattern: '^[0-9]+$' } } };
const allowHeader = { Allow: { description: 'The methods the route accepts.', schema: { type: 'string' } } };

const imageBody = {
  required: true,
  description: 'The photo: a raw JPEG, PNG or WebP body, or a multipart form with the file in "image" and optional "bbox" and "stages" fields (each given once, in the form or the query string).',
  content: {
    'image/jpeg': { schema: { type: 'string', contentMediaType: 'image/jpeg' } },
    'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
    'image/webp': { schema: { type: 'string', contentMediaType: 'image/webp' } },
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: ['image'],
        properties: {
          image: { type: 'string', contentMediaType: 'application/octet-stream' },
          bbox: { $ref: '#/components/schemas/BboxParam' },
          stages: { $ref: '#/components/schemas/StagesParam' },
        },
      },
    },
  },
};

const poseErrors = {
  400: error('Bad input: no image, a corrupt or truncated image, a malformed multipart body, a bad bbox or stages (E_EMPTY_BODY, E_IMAGE_DECODE, E_MULTIPART, E_BBOX, E_INVALID_ARGUMENT).'),
  405: error('Another method than POST (E_METHOD_NOT_ALLOWED).', allowHeader),
  406: error('The Accept header names none of the types the route produces (E_NOT_ACCEPTABLE).'),
  413: error('The body or the image is over its limit (E_BODY_TOO_LARGE, E_IMAGE_TOO_LARGE).'),
  415: error('Not a JPEG, PNG or WebP body or multipart form (E_UNSUPPORTED_MEDIA_TYPE, E_IMAGE_FORMAT).'),
  503: error('Not ready, busy (byte or pixel budget, inference queue) or shutting down (E_NOT_READY, E_BUSY, E_QUEUE_FULL, E_SHUTTING_DOWN).', retryAfter),
  504: error('Inference did not finish within the deadline (E_TIMEOUT).'),
};

const imageParams = [
  { name: 'bbox', in: 'query', required: false, description: 'Person box x,y,w,h in pixels (plain decimals); it always wins. Without it, the model\'s person finder finds the box when the model has one (see box), else the whole image is the box.', schema: { $ref: '#/components/schemas/BboxParam' } },
  { name: 'box', in: 'query', required: false, description: 'Without bbox: auto (default; the person finder when the model has one) or whole (the whole image).', schema: { type: 'string', enum: ['auto', 'whole'] } },
  { name: 'stages', in: 'query', required: false, description: 'Cascade stages to run (1 = stage 1 alone); default the server\'s --stages or all.', schema: { $ref: '#/components/schemas/StagesParam' } },
];

const overlayImage = {
  'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
  'image/jpeg': { schema: { type: 'string', contentMediaType: 'image/jpeg' } },
};
const xPose = { 'X-Pose': { description: 'The joints as a JSON array of [x, y] pixel pairs, in the model\'s joint order.', schema: { type: 'string' } } };

const DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'DeepPose, resurrected: pose service',
    version: VERSION,
    description: 'Human pose estimation with legacy Chainer DeepPose checkpoints converted to ONNX. Errors are JSON {"error": {"code", "message"}}; the README lists the codes and limits.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  paths: {
    '/v1/pose': {
      post: {
        operationId: 'estimatePose',
        summary: 'Estimate the pose of the person in a photo.',
        description: 'Answers JSON by default; an Accept header preferring image/png or image/jpeg gets the overlay image instead (as /v1/pose/overlay).',
        parameters: [...imageParams, { name: 'overlay', in: 'query', required: false, description: 'svg: add the skeleton as an SVG layer of the image\'s size (overlaySvg) to the JSON, for clients that draw it over their own copy of the photo (the web page does).', schema: { type: 'string', enum: ['svg'] } }],
        requestBody: imageBody,
        responses: {
          200: {
            description: 'The joints in image pixels, or the overlay image when Accept asks for one.',
            headers: xPose,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/PoseResult' } }, ...overlayImage },
          },
          ...poseErrors,
        },
      },
    },
    '/v1/pose/overlay': {
      post: {
        operationId: 'poseOverlay',
        summary: 'The photo with the estimated skeleton drawn over it.',
        parameters: [...imageParams, { name: 'format', in: 'query', required: false, description: 'Image type; default from Accept, else PNG.', schema: { type: 'string', enum: ['png', 'jpeg'] } }],
        requestBody: imageBody,
        responses: {
          200: { description: 'The overlay image; the joints are in the X-Pose header.', headers: xPose, content: overlayImage },
          ...poseErrors,
        },
      },
    },
    '/v1/models': {
      get: {
        operationId: 'listModels',
        summary: 'The model being served.',
        responses: {
          200: { description: 'One model.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Models' } } } },
          503: error('The model is still loading (E_NOT_READY) or the service is shutting down (E_SHUTTING_DOWN).', retryAfter),
        },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Liveness: the process answers.',
        responses: {
          200: { description: 'Alive.', content: { 'application/json': { schema: { type: 'object', required: ['ok'], properties: { ok: { const: true } }, additionalProperties: false } } } },
          503: error('Shutting down (E_SHUTTING_DOWN).'),
        },
      },
    },
    '/readyz': {
      get: {
        operationId: 'ready',
        summary: 'Readiness: the model is loaded.',
        responses: {
          200: { description: 'Ready.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Readiness' } } } },
          503: { description: 'Loading ({"ready": false}) or shutting down (an error body, E_SHUTTING_DOWN).', content: { 'application/json': { schema: { oneOf: [{ $ref: '#/components/schemas/Readiness' }, { $ref: '#/components/schemas/Error' }] } } } },
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format 0.0.4).',
        responses: {
          200: { description: 'Counters, histograms and gauges.', content: { 'text/plain': { schema: { type: 'string' } } } },
          503: error('Shutting down (E_SHUTTING_DOWN).'),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This description.',
        responses: {
          200: { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'paths'] } } } },
          503: error('Shutting down (E_SHUTTING_DOWN).'),
        },
      },
    },
    '/favicon.ico': {
      get: {
        operationId: 'favicon',
        summary: 'No icon: answered 204 so browsers stop asking.',
        responses: { 204: { description: 'No content.' }, 503: error('Shutting down (E_SHUTTING_DOWN).') },
      },
    },
    '/': {
      get: {
        operationId: 'webPage',
        summary: 'The web page: upload a photo, draw a box, see the skeleton.',
        responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: { type: 'string' } } } }, 503: error('Shutting down (E_SHUTTING_DOWN).') },
      },
    },
  },
  components: {
    schemas: {
      BboxParam: { type: 'string', pattern: BBOX_PATTERN, examples: ['100,120,80,100'] },
      StagesParam: { type: 'string', pattern: '^[1-9][0-9]*$', examples: ['1'] },
      Error: {
        type: 'object',
        required: ['error'],
        additionalProperties: false,
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            additionalProperties: false,
            properties: {
              code: { type: 'string', enum: [...Object.keys(STATUS_BY_CODE), 'E_BAD_REQUEST', 'E_INTERNAL'] },
              message: { type: 'string', minLength: 1 },
            },
          },
        },
      },
      Box: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4 },
      PoseResult: {
        type: 'object',
        required: ['model', 'imageSize', 'boxPx', 'boxSource', 'cropBoxXyxy', 'stages', 'joints', 'timingsMs'],
        additionalProperties: false,
        properties: {
          model: { type: 'string', description: 'Model id: source name @ sha256 prefix (+ refinement stages).' },
          imageSize: { type: 'object', required: ['width', 'height'], additionalProperties: false, properties: { width: { type: 'integer', minimum: 1 }, height: { type: 'integer', minimum: 1 } } },
          boxPx: { $ref: '#/components/schemas/Box', description: 'The person box used, x, y, w, h in pixels.' },
          boxSource: { type: 'string', enum: ['given', 'found', 'whole'], description: 'Where the box came from: the request, the model\'s person finder, or the whole image.' },
          cropBoxXyxy: { $ref: '#/components/schemas/Box', description: 'The stage-1 crop, x0, y0, x1, y1 in pixels.' },
          stages: { type: 'integer', minimum: 1, description: 'Cascade stages run.' },
          joints: {
            type: 'array',
            items: { type: 'object', required: ['name', 'x', 'y'], additionalProperties: false, properties: { name: { type: 'string' }, x: { type: 'number' }, y: { type: 'number' } } },
          },
          timingsMs: { type: 'object', additionalProperties: { type: 'number' } },
          overlaySvg: { type: 'string', description: 'With ?overlay=svg: the skeleton (and box) as an SVG document of the image\'s size.' },
        },
      },
      Models: {
        type: 'object',
        required: ['models'],
        additionalProperties: false,
        properties: {
          models: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['id', 'sha256', 'skeleton', 'jointNames', 'inputSize', 'channels', 'stages', 'limbs'],
              properties: {
                id: { type: 'string' },
                sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
                skeleton: { type: 'string' },
                jointNames: { type: 'array', items: { type: 'string' } },
                inputSize: { type: 'integer' },
                channels: { type: 'string', enum: ['bgr', 'rgb'] },
                stages: { type: 'integer', minimum: 1 },
                source: { type: 'string' },
                metadata: { type: 'object', additionalProperties: { type: 'string' } },
                limbs: {
                  type: 'array',
                  items: { type: 'object', required: ['name', 'from', 'to', 'colour'], properties: { name: { type: 'string' }, from: { type: 'array', items: { type: 'integer' } }, to: { type: 'array', items: { type: 'integer' } }, colour: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
      Readiness: {
        type: 'object',
        required: ['ready', 'model'],
        additionalProperties: false,
        properties: { ready: { type: 'boolean' }, model: { type: ['string', 'null'] } },
      },
    },
  },
} as const;

/** The OpenAPI 3.1 document (a fresh copy). */
export function openApiDocument(): Record<string, unknown> {
  return structuredClone(DOCUMENT) as unknown as Record<string, unknown>;
}

/** A fake ServedModel for service tests: scripted latency and failures, no onnxruntime. */
import { LSP14 } from '../../data/skeletons.js';
import type { ServedModel } from '../../app/model-port.js';
import type { PosePrediction, PoseRequest } from '../../model/pose-model.js';
import { decodeImage, type DecodedImage } from '../../data/image.js';

export function fakeModel(options: { delayMs?: number; never?: boolean } = {}): ServedModel & { batches: number[] } {
  const batches: number[] = [];
  return {
    batches,
    info: {
      id: 'fake@000000000000', sha256: '0'.repeat(64), skeleton: 'lsp14', jointNames: LSP14.joints, inputSize: 220, channels: 'bgr',
      stages: 2, personFinder: false, source: 'fake', metadata: {},
    },
    skeleton: LSP14,
    async predict(requests: PoseRequest[]): Promise<PosePrediction[]> {
      batches.push(requests.length);
      if (options.never) await new Promise(() => undefined);
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      return Promise.all(requests.map(async (r) => {
        const img = r.image instanceof Uint8Array ? await decodeImage(r.image) : 'encoded' in r.image ? await decodeImage(r.image.encoded) : (r.image as DecodedImage);
        const box: [number, number, number, number] = r.bboxPx ? [...r.bboxPx] as [number, number, number, number] : [0, 0, img.width, img.height];
        return {
          jointsPx: LSP14.joints.map((_, i) => [box[0] + (i + 1) * box[2] / 15, box[1] + box[3] / 2] as [number, number]),
          names: LSP14.joints, boxPx: box, cropBoxXyxy: [box[0], box[1], box[0] + box[2], box[1] + box[3]],
          imageSize: { width: img.width, height: img.height }, stagesRun: r.stages ?? 2, boxSource: r.bboxPx ? 'given' : 'whole', timingsMs: { total: 1 },
        };
      }));
    },
    async close() {},
  };
}

/** The supported architectures, and recognition of one from parameter names. */
import { UnknownArchitectureError } from '../errors.js';
import { alexnet } from './alexnet.js';
import { resnet50 } from './resnet.js';
import { vgg16 } from './vgg.js';
import type { ArchId, Architecture } from './types.js';

export const ARCHITECTURES: Readonly<Record<ArchId, Architecture>> = { alexnet, resnet50, vgg16 };
export const ARCH_IDS = Object.keys(ARCHITECTURES) as ArchId[];

export function isArchId(v: unknown): v is ArchId {
  return typeof v === 'string' && (ARCH_IDS as string[]).includes(v);
}

/** The architecture whose parameter names the file holds. */
export function recogniseArchitecture(names: ReadonlySet<string>, file: string): Architecture {
  const found = Object.values(ARCHITECTURES).filter((a) => a.matches(names));
  if (found.length === 1) return found[0]!;
  const sample = [...names].slice(0, 6).join(', ');
  throw new UnknownArchitectureError(
    `${file}: unknown architecture: expected AlexNet (conv1…conv5, fc6, fc7, head), VGG-16 (conv1_1…conv5_3 or conv1…conv13, two hidden fc, head) ` +
      `or ResNet (conv1, res2…res5, head) parameters, found ${names.size} parameters such as ${sample || '(none)'}`,
  );
}

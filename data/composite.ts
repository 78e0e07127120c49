/**
 * Composite scenes for learning to find the person (issue: ordinary photos
 * without a person box). A person from one dataset image — the legacy crop
 * around its annotated joints — is pasted, joints moving with it, into a
 * frame filled from another image's scene, so that the person's box is
 * known exactly and fills a chosen fraction of the frame.
 *
 * The pasted person must be the unambiguous subject: the scene is taken
 * from a region of its image away from that image's own person when one
 * is large enough, otherwise the whole scene is blurred strongly (its
 * person becomes a blur). Half of the frames keep their scene sharp, so
 * that "the sharp rectangle" is not a cue a localiser can learn; the
 * pasted patch is feathered at its edges for the same reason.
 */
import { loadSharp } from './sharp-module.js';
import type { Rng } from '../core/random.js';
import type { DecodedImage } from './image.js';
import { jointsBox, legacyCropBox, type BoxXyxy } from './transforms/legacy.js';

export interface CompositeParams {
  /** Longer side of the joints' box ÷ longer side of the frame (0.3–0.6 by default). */
  readonly personFraction: number;
  /** Frame width ÷ height. */
  readonly aspect: number;
  /** Where the joints' box centre goes, as fractions of the room left for it (0–1 each). */
  readonly placeX: number;
  readonly placeY: number;
  /** Gaussian blur of the scene (0: sharp). */
  readonly blurSigma: number;
  /** Width of the patch's feathered border, pixels. */
  readonly featherPx: number;
}

/** Draws composite parameters; `fraction` is the range of `personFraction`. */
export function drawCompositeParams(rng: Rng, fraction: readonly [number, number] = [0.3, 0.6]): CompositeParams {
  return {
    personFraction: rng.uniform(fraction[0], fraction[1]),
    aspect: Math.exp(rng.uniform(Math.log(0.75), Math.log(1.4))),
    placeX: rng.next(),
    placeY: rng.next(),
    blurSigma: rng.bool(0.5) ? 0 : rng.uniform(2, 6),
    featherPx: rng.uniform(4, 12),
  };
}

export interface CompositeResult {
  /** Encoded JPEG of the frame. */
  readonly jpeg: Buffer;
  readonly width: number;
  readonly height: number;
  /** `[K, 2]` the joints in frame pixels. */
  readonly jointsPx: [number, number][];
  /** The pasted person's joints box `[x, y, w, h]` in frame pixels. */
  readonly personBoxXywh: [number, number, number, number];
  /** How the scene was taken. */
  readonly scene: { readonly region: BoxXyxy; readonly personFree: boolean; readonly blurSigma: number };
}

/**
 * The largest region of `scene` beside its own person's box (left, right,
 * above or below it); null when none holds a quarter of the image.
 */
export function personFreeRegion(width: number, height: number, personXyxy: BoxXyxy | null): BoxXyxy | null {
  if (!personXyxy) return [0, 0, width, height];
  const [x0, y0, x1, y1] = personXyxy.map((v) => Math.round(v)) as BoxXyxy;
  const cands: BoxXyxy[] = [
    [0, 0, Math.max(0, x0), height],
    [Math.min(width, x1), 0, width, height],
    [0, 0, width, Math.max(0, y0)],
    [0, Math.min(height, y1), width, height],
  ];
  let best: BoxXyxy | null = null;
  let bestArea = 0.25 * width * height;
  for (const c of cands) {
    const a = Math.max(0, c[2] - c[0]) * Math.max(0, c[3] - c[1]);
    if (a >= bestArea && c[2] - c[0] >= 16 && c[3] - c[1] >= 16) {
      best = c;
      bestArea = a;
    }
  }
  return best;
}

/** A feathered alpha mask `w × h`: 255 inside, ramping to 0 over `feather` px at the edges. */
function featherMask(w: number, h: number, feather: number): Buffer {
  const m = Buffer.alloc(w * h);
  const f = Math.max(1, feather);
  for (let y = 0; y < h; y++) {
    const dy = Math.min(y + 0.5, h - y - 0.5);
    for (let x = 0; x < w; x++) {
      const d = Math.min(dy, x + 0.5, w - x - 0.5);
      m[y * w + x] = Math.round(255 * Math.min(1, d / f));
    }
  }
  return m;
}

/**
 * Pastes `person` (its legacy crop around the annotated joints) into a frame
 * filled from `scene`. `sceneJoints`/`sceneVisible` locate the scene's own
 * person (to keep it out of the frame), when known.
 */
export async function composite(
  person: DecodedImage, jointsPx: readonly (readonly [number, number])[], visible: readonly boolean[],
  scene: DecodedImage, sceneJointsPx: readonly (readonly [number, number])[] | null, sceneVisible: readonly boolean[] | null,
  p: CompositeParams,
): Promise<CompositeResult> {
  const sharp = await loadSharp();
  const jb = jointsBox(jointsPx, visible);
  if (!jb) throw new RangeError('composite: the person has no annotated joints');
  const patchBox = legacyCropBox(jb, person.width, person.height);
  const long = Math.max(jb.w, jb.h, 8);
  // Frame size: the person keeps about its own resolution.
  const frameLong = Math.round(long / p.personFraction);
  const fw = Math.max(32, Math.round(p.aspect >= 1 ? frameLong : frameLong * p.aspect));
  const fh = Math.max(32, Math.round(p.aspect >= 1 ? frameLong / p.aspect : frameLong));
  const scale = Math.min(1, (0.98 * Math.min(fw / jb.w, fh / jb.h)));
  // Place the joints' box inside the frame.
  const bw = jb.w * scale;
  const bh = jb.h * scale;
  const cx = bw / 2 + p.placeX * Math.max(0, fw - bw);
  const cy = bh / 2 + p.placeY * Math.max(0, fh - bh);
  const ox = cx - jb.cx * scale;
  const oy = cy - jb.cy * scale;

  // The scene: a person-free region when there is one, else all of it, strongly blurred.
  const sceneBox = sceneJointsPx && sceneVisible ? jointsBox(sceneJointsPx, sceneVisible) : undefined;
  const sceneXyxy: BoxXyxy | null = sceneBox ? legacyCropBox(sceneBox, scene.width, scene.height) : null;
  const free = personFreeRegion(scene.width, scene.height, sceneXyxy);
  const region: BoxXyxy = free ?? [0, 0, scene.width, scene.height];
  const blurSigma = free ? p.blurSigma : Math.max(p.blurSigma, 8);
  let bg = sharp(scene.data, { raw: { width: scene.width, height: scene.height, channels: 3 } })
    .extract({ left: region[0], top: region[1], width: region[2] - region[0], height: region[3] - region[1] })
    .resize(fw, fh, { fit: 'cover' });
  if (blurSigma > 0.3) bg = sharp(await bg.raw().toBuffer(), { raw: { width: fw, height: fh, channels: 3 } }).blur(blurSigma);
  const bgRaw = await bg.raw().toBuffer();

  // The person patch, scaled, feathered, clipped to the frame.
  const [px0, py0, px1, py1] = patchBox;
  const left = Math.round(ox + px0 * scale);
  const top = Math.round(oy + py0 * scale);
  const pw = Math.max(1, Math.round((px1 - px0) * scale));
  const ph = Math.max(1, Math.round((py1 - py0) * scale));
  const rgb = await sharp(person.data, { raw: { width: person.width, height: person.height, channels: 3 } })
    .extract({ left: px0, top: py0, width: px1 - px0, height: py1 - py0 })
    .resize(pw, ph, { fit: 'fill' })
    .raw()
    .toBuffer();
  const rgba = Buffer.alloc(pw * ph * 4);
  const mask = featherMask(pw, ph, p.featherPx);
  for (let i = 0; i < pw * ph; i++) {
    rgba[4 * i] = rgb[3 * i]!;
    rgba[4 * i + 1] = rgb[3 * i + 1]!;
    rgba[4 * i + 2] = rgb[3 * i + 2]!;
    rgba[4 * i + 3] = mask[i]!;
  }
  const cl = Math.max(0, -left);
  const ct = Math.max(0, -top);
  const cw = Math.min(pw, fw - left) - cl;
  const ch = Math.min(ph, fh - top) - ct;
  let frame = sharp(bgRaw, { raw: { width: fw, height: fh, channels: 3 } });
  if (cw > 0 && ch > 0) {
    const patch = await sharp(rgba, { raw: { width: pw, height: ph, channels: 4 } }).extract({ left: cl, top: ct, width: cw, height: ch }).png().toBuffer();
    frame = frame.composite([{ input: patch, left: left + cl, top: top + ct }]);
  }
  const jpeg = await frame.jpeg({ quality: 90 }).toBuffer();
  const moved = jointsPx.map(([x, y]) => [ox + x * scale, oy + y * scale] as [number, number]);
  return {
    jpeg, width: fw, height: fh, jointsPx: moved,
    personBoxXywh: [cx - bw / 2, cy - bh / 2, bw, bh],
    scene: { region, personFree: Boolean(free), blurSigma },
  };
}

/**
 * Training targets for a person finder that regresses the person's box
 * (`deeppose train --targets person-box`): each sample's joints are replaced
 * by the corners and edge midpoints of its annotated joints' box, laid out
 * on the skeleton's own joints so that the legacy flip augmentation stays
 * right — the first joint of every left/right pair sits on the box's left
 * edge (x0), its partner on the right edge (x1), unpaired joints on the
 * centre line; mirroring the image and swapping the pairs then gives the
 * encoding of the mirrored box. A finder trained on them outputs a box
 * whose joints' extent is the box itself (`boxFromJoints` with a scale
 * near 1), where a finder trained on poses shrinks it (its limbs regress
 * to the mean).
 */
import type { PoseDataset, PoseSample } from './dataset.js';
import type { Skeleton } from './skeletons.js';
import { jointsBox } from './transforms/legacy.js';

type Y = 'y0' | 'cy' | 'y1';

/**
 * Each joint's row on the box: LSP's lower-body joints on the bottom edge,
 * hips and elbows at mid-height, wrists, shoulders and neck on the top,
 * the head top on the bottom (the table the embedded finder was trained
 * with); other skeletons alternate top and bottom.
 */
const ROWS: Partial<Record<string, readonly Y[]>> = {
  lsp14: ['y1', 'y1', 'cy', 'cy', 'y1', 'y1', 'y0', 'cy', 'y0', 'y0', 'cy', 'y0', 'y0', 'y1'],
};

/**
 * `[K, 2]` targets for the box `[x0, y0, x1, y1]` (pixels) on `skeleton`'s
 * joints (see the module comment).
 */
export function personBoxTargets(boxXyxy: readonly [number, number, number, number], skeleton: Skeleton): [number, number][] {
  const [x0, y0, x1, y1] = boxXyxy;
  const k = skeleton.joints.length;
  const column = new Array<number>(k).fill((x0 + x1) / 2);
  for (const [a, b] of skeleton.flipPairs) {
    column[a] = x0;
    column[b] = x1;
  }
  const rows = ROWS[skeleton.id] ?? alternatingRows(skeleton);
  const at = { y0, cy: (y0 + y1) / 2, y1 };
  return column.map((x, j) => [x, at[rows[j]!]]);
}

/** Rows for a skeleton without a table: pairs alternate top and bottom (both partners on one row), so do the unpaired joints. */
function alternatingRows(skeleton: Skeleton): Y[] {
  const rows = new Array<Y>(skeleton.joints.length);
  skeleton.flipPairs.forEach(([a, b], p) => {
    rows[a] = rows[b] = p % 2 === 0 ? 'y0' : 'y1';
  });
  let n = 0;
  for (let j = 0; j < rows.length; j++) if (rows[j] === undefined) rows[j] = n++ % 2 === 0 ? 'y0' : 'y1';
  return rows;
}

/** The dataset with every sample's joints replaced by its person-box targets (samples without annotated joints left out). */
export function withPersonBoxTargets(ds: PoseDataset): PoseDataset {
  const samples: PoseSample[] = [];
  for (const s of ds.samples) {
    // The annotated joints' extent (the legacy person box, as centre and size).
    const b = jointsBox(s.jointsPx, s.visible);
    if (!b) continue;
    const box: [number, number, number, number] = [b.cx - b.w / 2, b.cy - b.h / 2, b.cx + b.w / 2, b.cy + b.h / 2];
    const { splitVisible: _mask, ...rest } = s;
    samples.push({ ...rest, index: samples.length, jointsPx: personBoxTargets(box, ds.skeleton), visible: ds.skeleton.joints.map(() => true) });
  }
  return { ...ds, samples, annotationSource: `${ds.annotationSource}, as person-box targets` };
}

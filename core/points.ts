/** 2-d points in pixels, where a joint may be missing (null, or a non-finite coordinate). */

export type Point = readonly [number, number];
export type MaybePoint = Point | null;

export function isValidPoint(p: MaybePoint | undefined): p is Point {
  return !!p && Number.isFinite(p[0]) && Number.isFinite(p[1]);
}

/** Mean of the joints `idx` of `points` (a limb endpoint such as mid-hips); null if any is missing. */
export function meanPoint(points: readonly (MaybePoint | undefined)[], idx: readonly number[]): Point | null {
  let x = 0;
  let y = 0;
  for (const i of idx) {
    const p = points[i];
    if (!isValidPoint(p)) return null;
    x += p[0];
    y += p[1];
  }
  return [x / idx.length, y / idx.length];
}

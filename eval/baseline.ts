/**
 * The mean-pose baseline: the training split's mean normalised pose (per
 * joint, over annotated joints), decoded through each test image's crop as
 * if a model had predicted it. A model that learned nothing scores this.
 */

/** Mean of `[N][K][2]` normalised joints over the annotated ones; `[K][2]` (NaN where never annotated). */
export function meanNormalisedPose(jointsNorm: readonly (readonly (readonly [number, number])[])[], visible: readonly (readonly boolean[])[]): [number, number][] {
  const k = jointsNorm[0]?.length ?? 0;
  const sum = Array.from({ length: k }, () => [0, 0, 0]);
  jointsNorm.forEach((pose, n) => pose.forEach(([x, y], j) => {
    if (!visible[n]![j] || !Number.isFinite(x) || !Number.isFinite(y)) return;
    sum[j]![0]! += x;
    sum[j]![1]! += y;
    sum[j]![2]! += 1;
  }));
  return sum.map(([x, y, c]) => (c! > 0 ? [x! / c!, y! / c!] : [Number.NaN, Number.NaN]));
}

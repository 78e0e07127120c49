/**
 * One table per joint set. Flipping (left/right swap), metrics (PCP sticks,
 * PDJ torso diameter, PCKh head) and drawing (limbs, colours) all read these
 * tables; nothing else in the project lists joint names or limbs.
 */

/** Identifier of a supported joint set. */
export type SkeletonId = 'lsp14' | 'mpii16' | 'flic7';

export const SKELETON_IDS: readonly SkeletonId[] = ['lsp14', 'mpii16', 'flic7'];

/** Which side of the body a joint or limb belongs to (drawing colour, flip). */
export type Side = 'left' | 'right' | 'center';

/** Body-part group of a limb; PCP pools left and right sticks of a part. */
export type PartName = 'torso' | 'head' | 'upperLegs' | 'lowerLegs' | 'upperArms' | 'lowerArms';

/** The four limb parts averaged into PCP's "limb mean". */
export const LIMB_PARTS: readonly PartName[] = ['upperLegs', 'lowerLegs', 'upperArms', 'lowerArms'];

/**
 * A stick between two endpoints. Each endpoint is the mean of one or more
 * joints (the LSP torso stick runs from mid-hips to mid-shoulders).
 */
export interface Limb {
  /** Stable name, e.g. `rightUpperLeg`. */
  readonly name: string;
  /** Joint indices averaged into the first endpoint. */
  readonly from: readonly number[];
  /** Joint indices averaged into the second endpoint. */
  readonly to: readonly number[];
  readonly part: PartName;
  readonly side: Side;
  /** Line colour, CSS hex. */
  readonly colour: string;
  /** Whether PCP scores this stick (the drawing may show more lines). */
  readonly pcp: boolean;
}

export interface Skeleton {
  readonly id: SkeletonId;
  /** Human title, e.g. "Leeds Sports Pose (14 joints)". */
  readonly title: string;
  /** Joint names in model output order, camelCase (`rightAnkle`). */
  readonly joints: readonly string[];
  /** Side of each joint, same order as `joints`. */
  readonly sides: readonly Side[];
  /** Limbs to draw; those with `pcp: true` are PCP sticks. */
  readonly limbs: readonly Limb[];
  /** Pairs of joint indices swapped by a horizontal flip. */
  readonly flipPairs: readonly (readonly [number, number])[];
  /**
   * The two joints whose distance is the torso diameter (PDJ's scale and the
   * cascade's crop size). LSP: right hip and left shoulder, as in the DeepPose paper.
   */
  readonly torso: readonly [number, number];
  /** Joint colour by side, CSS hex. */
  readonly sideColours: Readonly<Record<Side, string>>;
}

const SIDE_COLOURS: Readonly<Record<Side, string>> = { left: '#1f77ff', right: '#ff3b30', center: '#34c759' };

/** Limb colours: a hue per side, a shade per part, so left/right and limb type are distinct. */
const LIMB_COLOURS: Readonly<Record<Side, Readonly<Record<PartName, string>>>> = {
  left: { upperLegs: '#0a58ca', lowerLegs: '#3d8bfd', upperArms: '#00a3cc', lowerArms: '#5fd4f4', torso: '#1f77ff', head: '#1f77ff' },
  right: { upperLegs: '#c81e1e', lowerLegs: '#ff6b6b', upperArms: '#e8590c', lowerArms: '#ffa94d', torso: '#ff3b30', head: '#ff3b30' },
  center: { upperLegs: '#34c759', lowerLegs: '#34c759', upperArms: '#34c759', lowerArms: '#34c759', torso: '#2f9e44', head: '#f5c518' },
};

function limb(name: string, from: number | number[], to: number | number[], part: PartName, side: Side, pcp = true): Limb {
  return {
    name,
    from: Array.isArray(from) ? from : [from],
    to: Array.isArray(to) ? to : [to],
    part,
    side,
    colour: LIMB_COLOURS[side][part],
    pcp,
  };
}

function sidesOf(joints: readonly string[]): Side[] {
  return joints.map((j) => (j.startsWith('left') ? 'left' : j.startsWith('right') ? 'right' : 'center'));
}

function flipPairsOf(joints: readonly string[]): [number, number][] {
  const pairs: [number, number][] = [];
  joints.forEach((name, i) => {
    if (!name.startsWith('left')) return;
    const j = joints.indexOf(`right${name.slice(4)}`);
    if (j >= 0) pairs.push([j, i]);
  });
  return pairs.sort((a, b) => a[0] - b[0]);
}

const LSP14_JOINTS = [
  'rightAnkle', 'rightKnee', 'rightHip', 'leftHip', 'leftKnee', 'leftAnkle',
  'rightWrist', 'rightElbow', 'rightShoulder', 'leftShoulder', 'leftElbow', 'leftWrist',
  'neck', 'headTop',
] as const;

/** Leeds Sports Pose order (LSP and LSPET `joints.mat`, the legacy CSV). */
export const LSP14: Skeleton = {
  id: 'lsp14',
  title: 'Leeds Sports Pose (14 joints)',
  joints: LSP14_JOINTS,
  sides: sidesOf(LSP14_JOINTS),
  limbs: [
    limb('rightLowerLeg', 0, 1, 'lowerLegs', 'right'),
    limb('rightUpperLeg', 1, 2, 'upperLegs', 'right'),
    limb('leftUpperLeg', 3, 4, 'upperLegs', 'left'),
    limb('leftLowerLeg', 4, 5, 'lowerLegs', 'left'),
    limb('rightLowerArm', 6, 7, 'lowerArms', 'right'),
    limb('rightUpperArm', 7, 8, 'upperArms', 'right'),
    limb('leftUpperArm', 9, 10, 'upperArms', 'left'),
    limb('leftLowerArm', 10, 11, 'lowerArms', 'left'),
    limb('head', 12, 13, 'head', 'center'),
    limb('torso', [2, 3], [8, 9], 'torso', 'center'),
    // Drawn only: the outline of the torso and the neck.
    limb('hips', 2, 3, 'torso', 'center', false),
    limb('shoulders', 8, 9, 'torso', 'center', false),
    limb('rightFlank', 2, 8, 'torso', 'right', false),
    limb('leftFlank', 3, 9, 'torso', 'left', false),
    limb('neckToShoulders', 12, [8, 9], 'head', 'center', false),
  ],
  flipPairs: flipPairsOf(LSP14_JOINTS),
  torso: [2, 9],
  sideColours: SIDE_COLOURS,
};

const MPII16_JOINTS = [
  'rightAnkle', 'rightKnee', 'rightHip', 'leftHip', 'leftKnee', 'leftAnkle',
  'pelvis', 'thorax', 'upperNeck', 'headTop',
  'rightWrist', 'rightElbow', 'rightShoulder', 'leftShoulder', 'leftElbow', 'leftWrist',
] as const;

/** MPII Human Pose order (16 joints). */
export const MPII16: Skeleton = {
  id: 'mpii16',
  title: 'MPII Human Pose (16 joints)',
  joints: MPII16_JOINTS,
  sides: sidesOf(MPII16_JOINTS),
  limbs: [
    limb('rightLowerLeg', 0, 1, 'lowerLegs', 'right'),
    limb('rightUpperLeg', 1, 2, 'upperLegs', 'right'),
    limb('leftUpperLeg', 3, 4, 'upperLegs', 'left'),
    limb('leftLowerLeg', 4, 5, 'lowerLegs', 'left'),
    limb('rightLowerArm', 10, 11, 'lowerArms', 'right'),
    limb('rightUpperArm', 11, 12, 'upperArms', 'right'),
    limb('leftUpperArm', 13, 14, 'upperArms', 'left'),
    limb('leftLowerArm', 14, 15, 'lowerArms', 'left'),
    limb('head', 8, 9, 'head', 'center'),
    limb('torso', [2, 3], [12, 13], 'torso', 'center'),
    limb('rightHipToPelvis', 2, 6, 'torso', 'right', false),
    limb('leftHipToPelvis', 3, 6, 'torso', 'left', false),
    limb('spine', 6, 7, 'torso', 'center', false),
    limb('neck', 7, 8, 'head', 'center', false),
    limb('rightShoulderToThorax', 12, 7, 'torso', 'right', false),
    limb('leftShoulderToThorax', 13, 7, 'torso', 'left', false),
  ],
  flipPairs: flipPairsOf(MPII16_JOINTS),
  torso: [2, 13],
  sideColours: SIDE_COLOURS,
};

const FLIC7_JOINTS = [
  'leftShoulder', 'leftElbow', 'leftWrist', 'rightShoulder', 'rightElbow', 'rightWrist', 'head',
] as const;

/**
 * FLIC upper body, the 7 joints legacy DeepPose FLIC models regress. FLIC7
 * has no hips, so its torso diameter is the shoulder width (left–right
 * shoulder), and PCP scores the four arm sticks only.
 */
export const FLIC7: Skeleton = {
  id: 'flic7',
  title: 'FLIC upper body (7 joints)',
  joints: FLIC7_JOINTS,
  sides: sidesOf(FLIC7_JOINTS),
  limbs: [
    limb('leftUpperArm', 0, 1, 'upperArms', 'left'),
    limb('leftLowerArm', 1, 2, 'lowerArms', 'left'),
    limb('rightUpperArm', 3, 4, 'upperArms', 'right'),
    limb('rightLowerArm', 4, 5, 'lowerArms', 'right'),
    limb('shoulders', 0, 3, 'torso', 'center', false),
    limb('neck', [0, 3], 6, 'head', 'center', false),
  ],
  flipPairs: flipPairsOf(FLIC7_JOINTS),
  torso: [0, 3],
  sideColours: SIDE_COLOURS,
};

export const SKELETONS: Readonly<Record<SkeletonId, Skeleton>> = { lsp14: LSP14, mpii16: MPII16, flic7: FLIC7 };

export function isSkeletonId(value: unknown): value is SkeletonId {
  return typeof value === 'string' && (SKELETON_IDS as readonly string[]).includes(value);
}

/** The skeleton whose joint count is `k`, if exactly one has it. */
export function skeletonForJointCount(k: number): Skeleton | undefined {
  return Object.values(SKELETONS).find((s) => s.joints.length === k);
}

/**
 * Index permutation for a horizontal flip: `perm[i]` is the joint whose
 * mirrored position becomes joint `i`.
 */
export function flipPermutation(skeleton: Skeleton): number[] {
  const perm = skeleton.joints.map((_, i) => i);
  for (const [a, b] of skeleton.flipPairs) {
    perm[a] = b;
    perm[b] = a;
  }
  return perm;
}

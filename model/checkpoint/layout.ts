/**
 * Key layouts of legacy checkpoints, detected from the keys alone:
 *
 * - `bare`: the plain model (`conv1/W`), `serializers.save_npz(path, model)`;
 * - `predictor`: the loss wrapper (`predictor/conv1/W`), what the legacy
 *   trainer's `snapshot_object(model, 'epoch-{...}.model')` writes;
 * - `snapshot`: a whole trainer (`updater/model:main/predictor/conv1/W`
 *   beside optimizer, iterator and extension state);
 * - `optimizer-state`: Adam/SGD moments only (`predictor/conv1/W/m`), which
 *   holds no weights and is refused.
 */
import { OptimizerStateError } from '../errors.js';

export type Layout = 'bare' | 'predictor' | 'snapshot' | 'optimizer-state';

export interface LayoutInfo {
  readonly layout: Layout;
  /** Prefix stripped from file keys to get model parameter names. */
  readonly prefix: string;
}

/** Trailing names of optimizer state entries (Adam: m, v, t; RMSprop: ms; AdaDelta: msg, msdx; Momentum: v). */
const OPTIMIZER_LEAVES = new Set(['m', 'v', 't', 'msg', 'msdx', 'ms', 'h']);
const OPTIMIZER_SCALARS = new Set(['t', 'epoch']);

/** Whether a key looks like a parameter (`…/W`, `…/b`, batch-norm statistics). */
function isParamLeaf(key: string): boolean {
  return /(^|\/)(W|b|gamma|beta|avg_mean|avg_var|N)$/.test(key);
}

/**
 * Detects the layout. `prefixOverride` (from `--prefix`) wins; the layout is
 * still named from the keys.
 */
export function detectLayout(keys: readonly string[], file: string, prefixOverride?: string): LayoutInfo {
  const snapshotRoot = 'updater/model:main/';
  if (prefixOverride !== undefined) {
    const p = prefixOverride === '' || prefixOverride.endsWith('/') ? prefixOverride : `${prefixOverride}/`;
    const layout: Layout = p.startsWith(snapshotRoot) ? 'snapshot' : p === '' ? 'bare' : 'predictor';
    return { layout, prefix: p };
  }
  if (keys.some((k) => k.startsWith(snapshotRoot))) {
    const under = keys.filter((k) => k.startsWith(snapshotRoot)).map((k) => k.slice(snapshotRoot.length));
    const wrapped = under.some((k) => k.startsWith('predictor/'));
    return { layout: 'snapshot', prefix: wrapped ? `${snapshotRoot}predictor/` : snapshotRoot };
  }
  const nonScalar = keys.filter((k) => !OPTIMIZER_SCALARS.has(k));
  const looksOptimizer = nonScalar.length > 0 && nonScalar.every((k) => {
    const parts = k.split('/');
    return parts.length >= 2 && OPTIMIZER_LEAVES.has(parts[parts.length - 1]!) && isParamLeaf(parts.slice(0, -1).join('/'));
  });
  if (looksOptimizer) {
    throw new OptimizerStateError(
      `${file}: optimizer state, not a model (keys such as ${nonScalar[0]} hold the optimizer's moments, no weights); ` +
        'the weights are in the epoch-N.model written beside it, or under updater/model:main/ in a snapshot_iter_N file',
    );
  }
  if (keys.some((k) => k.startsWith('predictor/'))) return { layout: 'predictor', prefix: 'predictor/' };
  return { layout: 'bare', prefix: '' };
}

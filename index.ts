/**
 * The library API of `deeppose-resurrected`, for other TypeScript/JavaScript
 * projects: `import { loadPoseModel, evaluateModel } from 'deeppose-resurrected'`.
 * Every name here is re-exported from where it lives (model/, data/, eval/,
 * core/); the CLI and the service are built on the same functions.
 */
export { loadPoseModel, PoseModel, type LoadOptions, type PoseModelInfo, type PosePrediction, type PoseRequest } from './model/pose-model.js';
export { poseJson, type PoseJson, type PoseJoint } from './model/pose-json.js';
export type { PoseEstimator, PreparedBatch } from './model/estimator.js';
export { convertCheckpoint, convertCheckpointToFile, type ConvertOptions, type ConversionResult } from './model/convert.js';
export { inspectCheckpoint, type InspectReport } from './model/checkpoint/inspect.js';
export { openDataset, listSplits, type PoseDataset, type PoseSample } from './data/dataset.js';
export { SKELETONS, type Skeleton, type SkeletonId } from './data/skeletons.js';
export { drawOverlay } from './data/overlay.js';
export { BoxError, parseBboxText, personBoxIn } from './data/bbox.js';
export { pcpCounts, pcpPerImage, summarisePcp, type PcpMode, type PcpSummary } from './eval/metrics/pcp.js';
export { pdjCounts, summarisePdj, normalisedErrors, torsoDiameter, PDJ_THRESHOLDS, type PdjSummary } from './eval/metrics/pdj.js';
export { pckh, type PckhResult } from './eval/metrics/pckh.js';
export type { PoseSet } from './eval/metrics/poses.js';
export { EvalCollector, type EvalResult, type EvalImage } from './eval/collector.js';
export { evaluateModel, type EvaluateOptions, type ModelEvaluation } from './eval/evaluate.js';
export { DeepPoseError, InvalidArgumentError } from './core/errors.js';

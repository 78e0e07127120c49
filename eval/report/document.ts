/**
 * The evaluation report as one JSON document (report.json); the Markdown and
 * HTML reports are renderings of it. Fractions in [0, 1]; a value that
 * cannot be computed (nothing scored) is null.
 */
import type { EvalResult } from '../collector.js';
import { PDJ_THRESHOLDS } from '../metrics/pdj.js';

export const PROTOCOL_NOTES: readonly string[] = [
  'strict PCP: a stick is correct when both predicted endpoints are within 0.5 × the ground-truth stick length (ties count); loose PCP: the mean of the two endpoint errors.',
  'LSP torso stick: mid-hips to mid-shoulders; head stick: neck to head top. Parts pool left and right; limbMean is the mean of upper/lower legs and arms.',
  'Sticks touching an unannotated joint are left out (the torso needs both hips and both shoulders).',
  'PDJ: a joint is detected when its error ≤ f × the torso diameter of the ground truth (LSP: right hip to left shoulder), f = 0 … 0.5; images whose torso diameter cannot be measured are left out, a measured diameter of 0 makes all their joints misses.',
  'PCKh@0.5: error ≤ 0.5 × 0.6 × head-box diagonal, where head boxes exist.',
  'Unannotated ground-truth joints are left out of numerator and denominator; missing (null/NaN) predictions count as misses.',
];

export interface ReportContext {
  readonly model?: { readonly id: string; readonly sha256: string; readonly source: string; readonly stages: number; readonly metadata: Record<string, string> };
  readonly predictionsFile?: string;
  readonly groundTruthFile?: string;
  readonly dataset?: string;
  readonly split?: string;
  readonly annotationSource?: string;
  readonly wallSeconds: number;
  readonly skipped?: number;
  readonly command: string;
}

const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);
const nums = (vs: readonly number[]) => vs.map((v) => num(v));

export interface ReportDocument {
  readonly [key: string]: unknown;
}

export function buildReport(r: EvalResult, ctx: ReportContext): ReportDocument {
  const parts = (p: Record<string, number | undefined>) => Object.fromEntries(['torso', 'head', 'upperLegs', 'lowerLegs', 'upperArms', 'lowerArms', 'limbMean'].map((k) => [k, num(p[k])]));
  const pdjAt = (f: number) => num(r.pdj.curve[PDJ_THRESHOLDS.findIndex((t) => Math.abs(t - f) < 1e-9)]);
  return {
    generated: new Date().toISOString(),
    command: ctx.command,
    skeleton: r.skeleton.id,
    model: ctx.model ?? null,
    predictionsFile: ctx.predictionsFile ?? null,
    groundTruthFile: ctx.groundTruthFile ?? null,
    dataset: ctx.dataset ?? null,
    split: ctx.split ?? null,
    annotationSource: ctx.annotationSource ?? null,
    counts: {
      images: r.images,
      annotatedJoints: r.annotatedJoints,
      imagesWithoutTorso: r.pdjCounts.imagesWithoutTorso,
      imagesWithZeroTorso: r.pdjCounts.imagesWithZeroTorso,
      skippedImages: ctx.skipped ?? 0,
      pcpSticksScored: r.pcp.strict.counts.reduce((a, s) => a + s.total, 0),
    },
    wallSeconds: +ctx.wallSeconds.toFixed(3),
    imagesPerSecond: ctx.wallSeconds > 0 ? +(r.images / ctx.wallSeconds).toFixed(2) : null,
    headline: {
      strictPcp: num(r.pcp.strict.total),
      strictPcpLimbMean: num(r.pcp.strict.parts.limbMean),
      loosePcp: num(r.pcp.loose.total),
      pdj10: pdjAt(0.1),
      pdj20: pdjAt(0.2),
    },
    pcp: {
      strict: { total: num(r.pcp.strict.total), parts: parts(r.pcp.strict.parts), sticks: Object.fromEntries(Object.entries(r.pcp.strict.sticks).map(([k, v]) => [k, num(v)])) },
      loose: { total: num(r.pcp.loose.total), parts: parts(r.pcp.loose.parts), sticks: Object.fromEntries(Object.entries(r.pcp.loose.sticks).map(([k, v]) => [k, num(v)])) },
      counts: r.pcp.strict.counts.map((s, i) => ({ stick: s.name, part: s.part, scored: s.total, strictCorrect: s.correct, looseCorrect: r.pcp.loose.counts[i]!.correct })),
    },
    pdj: {
      thresholds: [...r.pdj.thresholds],
      curve: nums(r.pdj.curve),
      joints: Object.fromEntries(Object.entries(r.pdj.joints).map(([k, v]) => [k, nums(v)])),
      scoredPerJoint: Object.fromEntries(r.skeleton.joints.map((j, i) => [j, r.pdjCounts.total[i]])),
    },
    ...(r.pckh ? { pckh: { total: num(r.pckh.total), joints: Object.fromEntries(Object.entries(r.pckh.joints).map(([k, v]) => [k, num(v)])), images: r.pckh.images } } : {}),
    ranking: {
      best: r.ranked.slice(0, 5).map((x) => ({ image: x.image, meanNormalisedError: +x.meanNormalisedError.toFixed(4), pdj20: +x.pdj20.toFixed(4) })),
      worst: r.ranked.slice(-5).reverse().map((x) => ({ image: x.image, meanNormalisedError: +x.meanNormalisedError.toFixed(4), pdj20: +x.pdj20.toFixed(4) })),
    },
    protocol: PROTOCOL_NOTES,
  };
}

/** report.md and a self-contained report.html from the report document. */
import type { Skeleton } from '../../data/skeletons.js';
import { linePlotSvg, type Series } from './svg-plot.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${(100 * v).toFixed(1)}`);
const PART_KEYS = ['torso', 'head', 'upperLegs', 'lowerLegs', 'upperArms', 'lowerArms', 'limbMean'] as const;
const esc = (s: string) => String(s).replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

function at(doc: Doc, f: number): number | null {
  const i = (doc.pdj.thresholds as number[]).findIndex((t) => Math.abs(t - f) < 1e-9);
  return doc.pdj.curve[i] ?? null;
}

function source(doc: Doc): string {
  if (doc.model) return `model \`${doc.model.id}\` (sha256 ${doc.model.sha256}, ${doc.model.stages} stage(s))`;
  return `predictions \`${doc.predictionsFile}\``;
}

export function renderMarkdown(doc: Doc): string {
  const lines: string[] = [];
  lines.push('# DeepPose evaluation report', '');
  lines.push(`- ${source(doc)}`);
  if (doc.dataset) lines.push(`- dataset \`${doc.dataset}\`, split \`${doc.split}\` (${doc.annotationSource ?? ''})`);
  if (doc.groundTruthFile) lines.push(`- ground truth \`${doc.groundTruthFile}\``);
  lines.push(`- ${doc.counts.images} images, ${doc.counts.annotatedJoints} annotated joints, ${doc.counts.imagesWithoutTorso} images without a measurable torso (left out of PDJ)${doc.counts.skippedImages ? `, ${doc.counts.skippedImages} unreadable images skipped` : ''}`);
  lines.push(`- ${doc.wallSeconds} s wall time${doc.imagesPerSecond ? `, ${doc.imagesPerSecond} images/s` : ''}`);
  lines.push(`- command: \`${doc.command}\``, '');
  lines.push('## Headline', '', '| metric | value (%) |', '|---|---|');
  lines.push(`| strict PCP, all sticks | ${pct(doc.pcp.strict.total)} |`, `| strict PCP, mean of the 4 limb parts | ${pct(doc.pcp.strict.parts.limbMean)} |`);
  lines.push(`| loose PCP, all sticks | ${pct(doc.pcp.loose.total)} |`, `| PDJ@0.1 | ${pct(at(doc, 0.1))} |`, `| PDJ@0.2 | ${pct(at(doc, 0.2))} |`);
  if (doc.pckh) lines.push(`| PCKh@0.5 | ${pct(doc.pckh.total)} |`);
  lines.push('', '## PCP per part (%)', '', `| part | ${PART_KEYS.join(' | ')} |`, `|---|${PART_KEYS.map(() => '---').join('|')}|`);
  for (const mode of ['strict', 'loose']) lines.push(`| ${mode} | ${PART_KEYS.map((k) => pct(doc.pcp[mode].parts[k])).join(' | ')} |`);
  lines.push('', '## PDJ per joint (%)', '', '| joint | @0.05 | @0.1 | @0.2 | @0.3 | @0.5 |', '|---|---|---|---|---|---|');
  const idx = (f: number) => (doc.pdj.thresholds as number[]).findIndex((t) => Math.abs(t - f) < 1e-9);
  for (const [name, vals] of Object.entries(doc.pdj.joints as Record<string, (number | null)[]>)) {
    lines.push(`| ${name} | ${[0.05, 0.1, 0.2, 0.3, 0.5].map((f) => pct(vals[idx(f)])).join(' | ')} |`);
  }
  lines.push(`| **all** | ${[0.05, 0.1, 0.2, 0.3, 0.5].map((f) => pct(at(doc, f))).join(' | ')} |`);
  if (doc.pckh) {
    lines.push('', '## PCKh@0.5 per joint (%)', '', '| joint | PCKh@0.5 |', '|---|---|');
    for (const [n, v] of Object.entries(doc.pckh.joints as Record<string, number | null>)) lines.push(`| ${n} | ${pct(v)} |`);
  }
  lines.push('', '## Protocol', '', ...(doc.protocol as string[]).map((p) => `- ${p}`), '');
  return lines.join('\n');
}

export interface OverlayTile {
  readonly group: 'best' | 'median' | 'worst';
  readonly image: string;
  readonly caption: string;
  /** data: URI of the overlay. */
  readonly dataUri: string;
}

export function renderHtml(doc: Doc, skeleton: Skeleton, tiles: readonly OverlayTile[]): string {
  const xs = doc.pdj.thresholds as number[];
  const series: Series[] = [
    { name: 'all joints', values: doc.pdj.curve, colour: '#000000', width: 3 },
    ...skeleton.joints.map((j, i) => ({
      name: j,
      values: doc.pdj.joints[j] as (number | null)[],
      colour: skeleton.sides[i] === 'left' ? ['#0a58ca', '#3d8bfd', '#00a3cc', '#5fd4f4', '#1f77ff', '#6ea8fe'][i % 6]! : skeleton.sides[i] === 'right' ? ['#c81e1e', '#ff6b6b', '#e8590c', '#ffa94d', '#ff3b30', '#d6336c'][i % 6]! : '#2f9e44',
      dashed: skeleton.sides[i] === 'right',
    })),
  ];
  const plot = linePlotSvg(xs, series, { title: 'PDJ: detection rate vs normalised distance', xLabel: 'f (fraction of the torso diameter)', yLabel: 'detection rate' });
  const partRows = ['strict', 'loose'].map((m) => `<tr><th>${m}</th>${PART_KEYS.map((k) => `<td>${pct(doc.pcp[m].parts[k])}</td>`).join('')}<td><b>${pct(doc.pcp[m].total)}</b></td></tr>`).join('');
  const idx = (f: number) => xs.findIndex((t) => Math.abs(t - f) < 1e-9);
  const fs = [0.05, 0.1, 0.2, 0.3, 0.5];
  const jointRows = Object.entries(doc.pdj.joints as Record<string, (number | null)[]>).map(([n, v]) => `<tr><th>${esc(n)}</th>${fs.map((f) => `<td>${pct(v[idx(f)])}</td>`).join('')}</tr>`).join('');
  const groups = (['best', 'median', 'worst'] as const).map((g) => {
    const ts = tiles.filter((t) => t.group === g);
    if (ts.length === 0) return '';
    return `<h3>${g}</h3><div class="grid">${ts.map((t) => `<figure><img src="${t.dataUri}" alt="${esc(t.image)}"><figcaption>${esc(t.image)}<br>${esc(t.caption)}</figcaption></figure>`).join('')}</div>`;
  }).join('');
  const meta = doc.model ? Object.entries(doc.model.metadata as Record<string, string>).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('') : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>DeepPose evaluation report</title><style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1d232b}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{padding:.25rem .6rem;border-bottom:1px solid #e3e6ea;text-align:right}th{text-align:left}
.headline td{font-size:1.3rem;font-weight:600}.grid{display:flex;flex-wrap:wrap;gap:.8rem}figure{margin:0;width:200px}figure img{width:200px;border:1px solid #ccc}figcaption{font-size:.8rem;color:#5b6570}
code{background:#f1f3f5;padding:.1rem .3rem;border-radius:3px}</style></head><body>
<h1>DeepPose evaluation report</h1>
<p>${esc(source(doc)).replace(/`/g, '')}${doc.dataset ? ` · dataset <code>${esc(doc.dataset)}</code>, split <code>${esc(doc.split)}</code>` : ''}${doc.groundTruthFile ? ` · ground truth <code>${esc(doc.groundTruthFile)}</code>` : ''}</p>
<p>${doc.counts.images} images · ${doc.counts.annotatedJoints} annotated joints · ${doc.counts.imagesWithoutTorso} images without a measurable torso · ${doc.wallSeconds} s${doc.imagesPerSecond ? ` · ${doc.imagesPerSecond} images/s` : ''} · <code>${esc(doc.command)}</code></p>
<table class="headline"><tr><th>strict PCP</th><th>strict PCP, limb mean</th><th>loose PCP</th><th>PDJ@0.1</th><th>PDJ@0.2</th>${doc.pckh ? '<th>PCKh@0.5</th>' : ''}</tr>
<tr><td>${pct(doc.pcp.strict.total)}%</td><td>${pct(doc.pcp.strict.parts.limbMean)}%</td><td>${pct(doc.pcp.loose.total)}%</td><td>${pct(at(doc, 0.1))}%</td><td>${pct(at(doc, 0.2))}%</td>${doc.pckh ? `<td>${pct(doc.pckh.total)}%</td>` : ''}</tr></table>
<h2>PDJ curves</h2>${plot}
<h2>PCP per part (%)</h2><table><tr><th></th>${PART_KEYS.map((k) => `<th>${k}</th>`).join('')}<th>all sticks</th></tr>${partRows}</table>
<h2>PDJ per joint (%)</h2><table><tr><th>joint</th>${fs.map((f) => `<th>@${f}</th>`).join('')}</tr>${jointRows}</table>
${tiles.length ? `<h2>Overlays: best, median and worst images</h2><p>Ranked by mean joint error / torso diameter.</p>${groups}` : '<p>No overlays: the image files were not available.</p>'}
${meta ? `<h2>Model metadata</h2><table>${meta}</table>` : ''}
<h2>Protocol</h2><ul>${(doc.protocol as string[]).map((p) => `<li>${esc(p)}</li>`).join('')}</ul>
</body></html>
`;
}

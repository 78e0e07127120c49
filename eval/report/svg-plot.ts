/** A self-contained SVG line plot (PDJ curves): no scripts, no external resources. */

export interface Series {
  readonly name: string;
  readonly values: readonly (number | null)[];
  readonly colour: string;
  readonly width?: number;
  readonly dashed?: boolean;
}

export function linePlotSvg(xs: readonly number[], series: readonly Series[], options: { title: string; xLabel: string; yLabel: string; width?: number; height?: number }): string {
  const W = options.width ?? 640;
  const H = options.height ?? 400;
  const m = { l: 56, r: 170, t: 34, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const x0 = xs[0]!;
  const x1 = xs[xs.length - 1]!;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number) => m.t + (1 - y) * ph;
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const grid: string[] = [];
  for (let i = 0; i <= 10; i++) {
    const y = i / 10;
    grid.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e3e6ea"/>`);
    grid.push(`<text x="${m.l - 6}" y="${sy(y) + 4}" font-size="11" text-anchor="end">${y.toFixed(1)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const x = x0 + ((x1 - x0) * i) / 5;
    grid.push(`<line x1="${sx(x)}" x2="${sx(x)}" y1="${m.t}" y2="${m.t + ph}" stroke="#e3e6ea"/>`);
    grid.push(`<text x="${sx(x)}" y="${m.t + ph + 16}" font-size="11" text-anchor="middle">${x.toFixed(2)}</text>`);
  }
  const lines = series.map((s, i) => {
    const pts = s.values.map((v, j) => (v === null || !Number.isFinite(v) ? null : `${sx(xs[j]!).toFixed(1)},${sy(v).toFixed(1)}`)).filter(Boolean).join(' ');
    const ly = m.t + 8 + i * 16;
    return `<polyline fill="none" stroke="${s.colour}" stroke-width="${s.width ?? 1.5}"${s.dashed ? ' stroke-dasharray="5,3"' : ''} points="${pts}"/>` +
      `<line x1="${m.l + pw + 12}" x2="${m.l + pw + 32}" y1="${ly}" y2="${ly}" stroke="${s.colour}" stroke-width="${s.width ?? 1.5}"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>` +
      `<text x="${m.l + pw + 36}" y="${ly + 4}" font-size="11">${esc(s.name)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">` +
    `<rect width="${W}" height="${H}" fill="#ffffff"/>${grid.join('')}` +
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#5b6570"/>${lines.join('')}` +
    `<text x="${m.l + pw / 2}" y="20" font-size="14" text-anchor="middle" font-weight="bold">${esc(options.title)}</text>` +
    `<text x="${m.l + pw / 2}" y="${H - 10}" font-size="12" text-anchor="middle">${esc(options.xLabel)}</text>` +
    `<text x="14" y="${m.t + ph / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${m.t + ph / 2})">${esc(options.yLabel)}</text></svg>`;
}

/**
 * The overview's chart: an SVG drawn on the server (no script, no external asset, presentation
 * attributes only so the strict CSP allows it). One line per currency of the succeeded volume per
 * day, each scaled to its own maximum — amounts in different currencies do not share a unit —
 * with the day axis below and a text table beside it for screen readers and exact figures.
 */
import { esc } from '../html.js';

export const SERIES_COLOURS = ['#0b5fd4', '#147a3f', '#b45309', '#6d28d9', '#be123c', '#0e7490', '#4b5563'];

export interface Series {
  label: string;
  /** One value per day, oldest first; the same length for every series. */
  values: number[];
}

export function lineChart(days: string[], series: Series[], opts: { title: string; width?: number; height?: number }): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 220;
  const pad = { left: 12, right: 12, top: 12, bottom: 28 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const n = Math.max(days.length, 1);
  const x = (i: number) => pad.left + (n === 1 ? w / 2 : (i * w) / (n - 1));
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = pad.top + h - f * h;
    return `<line x1="${pad.left}" x2="${pad.left + w}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e3e8ef" stroke-width="1"/>`;
  }).join('');
  const ticks = days.map((d, i) => (i % 7 === (n - 1) % 7 ? `<text x="${x(i).toFixed(1)}" y="${height - 8}" font-size="11" fill="#5b6478" text-anchor="middle">${esc(d.slice(5))}</text>` : '')).join('');
  const lines = series.map((s, k) => {
    const max = Math.max(...s.values, 0);
    const colour = SERIES_COLOURS[k % SERIES_COLOURS.length];
    const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${(pad.top + h - (max > 0 ? (v / max) * h : 0)).toFixed(1)}`);
    const dots = s.values.map((v, i) => (v > 0 ? `<circle cx="${x(i).toFixed(1)}" cy="${(pad.top + h - (v / max) * h).toFixed(1)}" r="2.5" fill="${colour}"/>` : '')).join('');
    return `<polyline fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round" points="${pts.join(' ')}"/>${dots}`;
  }).join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(opts.title)}" xmlns="http://www.w3.org/2000/svg">${grid}${lines}${ticks}</svg>`;
}

/** Succeeded and failed counts per day as stacked bars. */
export function barChart(days: string[], ok: number[], bad: number[], opts: { title: string; width?: number; height?: number }): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 160;
  const pad = { left: 12, right: 12, top: 8, bottom: 28 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const n = Math.max(days.length, 1);
  const slot = w / n;
  const max = Math.max(...days.map((_, i) => (ok[i] ?? 0) + (bad[i] ?? 0)), 1);
  const bars = days.map((d, i) => {
    const x = pad.left + i * slot + slot * 0.15;
    const bw = slot * 0.7;
    const okH = ((ok[i] ?? 0) / max) * h;
    const badH = ((bad[i] ?? 0) / max) * h;
    const base = pad.top + h;
    return `<rect x="${x.toFixed(1)}" y="${(base - okH).toFixed(1)}" width="${bw.toFixed(1)}" height="${okH.toFixed(1)}" fill="#147a3f"><title>${esc(d)}: ${ok[i] ?? 0} succeeded</title></rect>`
      + `<rect x="${x.toFixed(1)}" y="${(base - okH - badH).toFixed(1)}" width="${bw.toFixed(1)}" height="${badH.toFixed(1)}" fill="#b42318"><title>${esc(d)}: ${bad[i] ?? 0} failed</title></rect>`;
  }).join('');
  const ticks = days.map((d, i) => (i % 7 === (n - 1) % 7 ? `<text x="${(pad.left + i * slot + slot / 2).toFixed(1)}" y="${height - 8}" font-size="11" fill="#5b6478" text-anchor="middle">${esc(d.slice(5))}</text>` : '')).join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(opts.title)}" xmlns="http://www.w3.org/2000/svg"><line x1="${pad.left}" x2="${pad.left + w}" y1="${pad.top + h}" y2="${pad.top + h}" stroke="#c9d1dc"/>${bars}${ticks}</svg>`;
}

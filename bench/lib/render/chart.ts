/**
 * The summary chart (`docs/benchmarks.svg`): Stowage's speed or size relative to
 * the SDK, the limit or the runtime, as horizontal bars on a log scale around 1×.
 *
 * @module
 */

import type { Comparison } from "./compare.ts";
import { advantage, esc } from "./format.ts";

const CHART_GROUPS: [string, string][] = [
  [
    "small",
    "Small objects, ops/s vs SDK (geometric mean of sequential and ×16)",
  ],
  ["large", "Large objects, MB/s vs SDK (Node)"],
  ["listing", "Listing, speed vs SDK"],
  ["limit", "Stowage vs raw fetch on a null server (the limit)"],
  ["nullsdk", "Stowage vs the SDKs and raw fetch on the null server"],
  ["coldstart", "Cold start vs SDK"],
  ["size", "Bundle size (gzip) vs SDK"],
  ["local", "Local flavor vs the runtime's file API"],
  ["serve", "The http flavor to the Hono server vs curl"],
];

function chartRows(
  cs: Comparison[],
): { group: string; rows: { label: string; value: number }[] }[] {
  const out: { group: string; rows: { label: string; value: number }[] }[] = [];
  for (const [id, title] of CHART_GROUPS) {
    let rows: { label: string; value: number }[] = [];
    const mine = cs.filter((c) => c.section === id);
    if (id === "small") {
      const by = new Map<string, number[]>();
      for (const c of mine) {
        const k = `${c.stowage.backend} ${c.stowage.op} (${c.stowage.runtime})`;
        by.set(k, [...(by.get(k) ?? []), advantage(c.stowage, c.other)]);
      }
      rows = [...by].map(([label, v]) => ({
        label,
        value: Math.exp(v.reduce((a, b) => a + Math.log(b), 0) / v.length),
      }));
    } else {
      rows = mine.map((c) => ({
        label: c.label,
        value: advantage(c.stowage, c.other),
      }));
    }
    if (rows.length) out.push({ group: title, rows });
  }
  return out;
}

/**
 * Draws the ratios as horizontal bars on a log scale around 1×.
 *
 * @param cs the comparisons
 * @param caption the chart's subtitle
 * @returns the SVG text
 */
export function svgChart(cs: Comparison[], caption: string): string {
  const groups = chartRows(cs);
  const W = 960,
    labelW = 330,
    left = labelW + 20,
    right = W - 70,
    rowH = 18,
    headH = 24;
  const all = groups.flatMap((g) => g.rows.map((r) => r.value)).filter((v) =>
    v > 0 && Number.isFinite(v)
  );
  // One spare step on the left, so a value label never runs into the row labels.
  const lo = Math.max(-5, Math.floor(Math.log2(Math.min(0.5, ...all))) - 1);
  const hi = Math.min(7, Math.ceil(Math.log2(Math.max(2, ...all))));
  const x = (v: number) =>
    left +
    (Math.min(hi, Math.max(lo, Math.log2(v))) - lo) / (hi - lo) *
      (right - left);
  let y = 72;
  const parts: string[] = [];
  for (const g of groups) {
    parts.push(`<text x="10" y="${y + 16}" class="h">${esc(g.group)}</text>`);
    y += headH;
    for (const r of g.rows) {
      const x0 = x(1), x1 = x(r.value);
      const good = r.value >= 1;
      parts.push(
        `<text x="${labelW}" y="${y + 13}" class="l" text-anchor="end">${esc(r.label)}</text>`,
        `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 3}" width="${
          Math.max(1, Math.abs(x1 - x0)).toFixed(1)
        }" height="${rowH - 6}" class="${good ? "g" : "b"}"/>`,
        `<text x="${(good ? x1 + 4 : x1 - 4).toFixed(1)}" y="${y + 13}" class="v" text-anchor="${
          good ? "start" : "end"
        }">${r.value.toFixed(2)}×</text>`,
      );
      y += rowH;
    }
    y += 6;
  }
  const grid: string[] = [];
  for (let e = lo; e <= hi; e++) {
    const gx = x(2 ** e);
    const label = e >= 0 ? `${2 ** e}×` : `1/${2 ** -e}×`;
    grid.push(
      `<line x1="${gx.toFixed(1)}" y1="64" x2="${gx.toFixed(1)}" y2="${y}" class="${
        e === 0 ? "one" : "grid"
      }"/>`,
      `<text x="${gx.toFixed(1)}" y="60" class="t" text-anchor="middle">${label}</text>`,
    );
  }
  const H = y + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
.h{font-size:13px;font-weight:600;fill:#222}.l{font-size:11px;fill:#333}.v{font-size:10px;fill:#333}
.t{font-size:10px;fill:#666}.grid{stroke:#ddd;stroke-width:1}.one{stroke:#555;stroke-width:1.5}
.g{fill:#3a8f5c}.b{fill:#d9822b}
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="15" font-weight="700" fill="#111">Stowage relative to the official SDKs, raw fetch and the runtimes</text>
<text x="10" y="36" font-size="11" fill="#555">Log scale. Right of 1×: Stowage is faster (or smaller); left: slower (or bigger). ${
    esc(caption)
  }</text>
${grid.join("\n")}
${parts.join("\n")}
</svg>
`;
}

/**
 * Number formatting and Markdown/SVG text helpers of the benchmark page: values with
 * their unit, median cells with the min–max range, ratios, tables, XML escaping.
 *
 * @module
 */

import type { Measurement, Summary } from "../stats.ts";

/** A value in its unit: bytes as B/KiB, others with 0–2 decimals; "–" when not finite. */
export function num(v: number, unit: string): string {
  if (!Number.isFinite(v)) return "–";
  if (unit === "bytes") {
    return v >= 1024 ? `${(v / 1024).toFixed(1)} KiB` : `${v} B`;
  }
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toLocaleString("en", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

/** A table cell: the median and, small, the min–max range when there were several runs. */
export function cell(s: Summary | undefined, unit: string): string {
  if (!s) return "–";
  if (s.runs.length <= 1) return num(s.median, unit);
  return `${num(s.median, unit)} <sub>${num(s.min, unit)}–${num(s.max, unit)}</sub>`;
}

/** Stowage ÷ other in "goodness": above 1 means Stowage is faster (or smaller). */
export function advantage(s: Measurement, o: Measurement): number {
  return s.higherIsBetter ? s.value.median / o.value.median : o.value.median / s.value.median;
}

/** A ratio as `1.23×`, in bold below 1×; "–" when unknown. */
export function ratioCell(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return "–";
  const t = `${r.toFixed(2)}×`;
  return r < 1 ? `**${t}**` : t;
}

/** True when the min–max ranges of two summaries overlap. */
export function overlap(a: Summary, b: Summary): boolean {
  return a.min <= b.max && b.min <= a.max;
}

/** A Markdown table of the head and the rows. */
export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join(
    "\n",
  ) + "\n";
}

/** Escapes `&`, `<` and `>` for XML text. */
export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

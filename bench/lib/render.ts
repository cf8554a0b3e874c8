/**
 * Renders one run's results into `docs/benchmarks.md` (tables, gaps and their
 * causes, the machine and versions) and `docs/benchmarks.svg` (horizontal bars
 * of Stowage's speed or size relative to the SDK, the limit, or the runtime).
 *
 * @module
 */

import { type Cause, causeOf, CAUSES, type Gap } from "./causes.ts";
import type { MachineInfo } from "./machine.ts";
import type { Measurement, NotMeasured, SectionResult, Summary } from "./stats.ts";

/** Everything one run produced. */
export interface BenchReport {
  /** ISO date of the end of the run. */
  date: string;
  /** `quick` or `full`. */
  tier: string;
  /** Repetitions per measurement. */
  runs: number;
  /** The sections that ran. */
  sectionsRun: string[];
  /** Seconds each section took. */
  sectionSeconds: Record<string, number>;
  /** Seconds the whole run took. */
  totalSeconds: number;
  /** The machine. */
  machine: MachineInfo;
  /** Versions of runtimes, SDKs, emulators. */
  versions: Record<string, string>;
  /** Emulator name → "started" or why not. */
  emulators: Record<string, string>;
  /** The measurements. */
  result: SectionResult;
}

const SECTION_TITLES: Record<string, string> = {
  small: "1. Small objects",
  large: "2. Large objects",
  listing: "3. Listing",
  limit: "4. The physical limit",
  coldstart: "5. Cold start",
  size: "6. Bundle size",
  local: "7. Local files",
};

const BACKEND_NAMES: Record<string, string> = {
  "s3-fauxqs": "S3 on fauxqs",
  "s3-ceph": "S3 on Ceph RGW",
  "azure": "Azure Blob on Azurite",
  "gcs": "GCS on the firebase Storage emulator",
};

// ------------------------------------------------------------------ formatting

function num(v: number, unit: string): string {
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

function cell(s: Summary | undefined, unit: string): string {
  if (!s) return "–";
  if (s.runs.length <= 1) return num(s.median, unit);
  return `${num(s.median, unit)} <sub>${num(s.min, unit)}–${num(s.max, unit)}</sub>`;
}

/** Stowage ÷ other in "goodness": above 1 means Stowage is faster (or smaller). */
function advantage(s: Measurement, o: Measurement): number {
  return s.higherIsBetter ? s.value.median / o.value.median : o.value.median / s.value.median;
}

function ratioCell(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return "–";
  const t = `${r.toFixed(2)}×`;
  return r < 1 ? `**${t}**` : t;
}

function overlap(a: Summary, b: Summary): boolean {
  return a.min <= b.max && b.min <= a.max;
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join(
    "\n",
  ) + "\n";
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// ------------------------------------------------------------------ queries

class Index {
  constructor(readonly all: Measurement[]) {}
  #matches(m: Measurement, q: Partial<Measurement>): boolean {
    return Object.entries(q).every(([k, v]) =>
      v === undefined || (m as unknown as Record<string, unknown>)[k] === v
    );
  }
  find(q: Partial<Measurement>): Measurement | undefined {
    return this.all.find((m) => this.#matches(m, q));
  }
  where(q: Partial<Measurement>): Measurement[] {
    return this.all.filter((m) => this.#matches(m, q));
  }
  values<K extends keyof Measurement>(
    k: K,
    q: Partial<Measurement> = {},
  ): Measurement[K][] {
    return [...new Set(this.where(q).map((m) => m[k]))];
  }
}

/** A comparison the chart and the gap list use. */
interface Comparison {
  section: string;
  label: string;
  stowage: Measurement;
  other: Measurement;
  against: string;
  /** Limit comparisons flag a gap below 0.8, SDK comparisons below 1. */
  threshold: number;
}

/**
 * What each section compares: Stowage's measurements (`mine`, minus `skip`), each with
 * its partner (`partner`), labelled, against an SDK (a gap below 1×) or a limit (below 0.8×).
 */
const RULES: {
  mine: Partial<Measurement>;
  skip?: (m: Measurement) => boolean;
  partner: (s: Measurement) => Partial<Measurement>;
  label: (s: Measurement) => string;
  against: string;
  threshold: number;
}[] = [
  {
    mine: { section: "small", client: "stowage" },
    partner: (s) => ({
      backend: s.backend,
      client: "sdk",
      op: s.op,
      mode: s.mode,
      runtime: s.runtime,
    }),
    label: (s) => `${s.backend} ${s.op} ${s.mode === "c16" ? "×16" : "seq"} (${s.runtime})`,
    against: "sdk",
    threshold: 1,
  },
  {
    mine: { section: "large", client: "stowage" },
    partner: (s) => ({ backend: s.backend, client: "sdk", op: s.op, runtime: s.runtime }),
    label: (s) => `${s.backend} ${s.op} (${s.runtime})`,
    against: "sdk",
    threshold: 1,
  },
  {
    mine: { section: "listing", client: "stowage" },
    partner: (s) => ({ backend: s.backend, client: "sdk", op: s.op, runtime: s.runtime }),
    label: (s) => `${s.backend} ${s.op} (${s.runtime})`,
    against: "sdk",
    threshold: 1,
  },
  {
    mine: { section: "limit" },
    skip: (m) => m.client === "raw",
    partner: (s) => ({ client: "raw", op: s.op, runtime: s.runtime }),
    label: (s) => `${s.client} ${s.op} (${s.runtime})`,
    against: "raw",
    threshold: 0.8,
  },
  {
    mine: { section: "coldstart", client: "stowage", op: "import" },
    partner: (s) => ({ backend: s.backend, client: "sdk", op: "import", runtime: s.runtime }),
    label: (s) => `${s.backend} (${s.runtime})`,
    against: "sdk",
    threshold: 1,
  },
  {
    mine: { section: "size", client: "stowage", op: "gzipped" },
    partner: (s) => ({ backend: s.backend, client: "sdk", op: "gzipped" }),
    label: (s) => `${s.backend} gzipped`,
    against: "sdk",
    threshold: 1,
  },
  {
    mine: { section: "local", client: "stowage" },
    partner: (s) => ({ client: "native", op: s.op, runtime: s.runtime }),
    label: (s) => `${s.op} (${s.runtime})`,
    against: "native",
    threshold: 0.8,
  },
];

function comparisons(ix: Index): Comparison[] {
  const out: Comparison[] = [];
  for (const r of RULES) {
    for (const s of ix.where(r.mine)) {
      if (r.skip?.(s)) continue;
      const o = ix.find({ section: r.mine.section, ...r.partner(s) });
      if (o) {
        out.push({
          section: r.mine.section!,
          label: r.label(s),
          stowage: s,
          other: o,
          against: r.against,
          threshold: r.threshold,
        });
      }
    }
  }
  return out;
}

function gapsOf(cs: Comparison[]): Gap[] {
  return cs.filter((c) => advantage(c.stowage, c.other) < c.threshold).map((
    c,
  ) => ({
    section: c.section,
    backend: c.stowage.backend,
    op: c.stowage.op,
    mode: c.stowage.mode,
    runtime: c.stowage.runtime,
    client: c.stowage.client,
    against: c.against,
    ratio: advantage(c.stowage, c.other),
    overlap: overlap(c.stowage.value, c.other.value),
  }));
}

// ------------------------------------------------------------------ sections

function smallSection(ix: Index): string {
  let md = "";
  for (const backend of ix.values("backend", { section: "small" })) {
    md += `\n**${BACKEND_NAMES[backend] ?? backend}** (ops/s, higher is better)\n\n`;
    const rows: string[][] = [];
    for (const rt of ix.values("runtime", { section: "small", backend })) {
      for (const mode of ["seq", "c16"]) {
        for (const op of ["put", "get", "stat"]) {
          const q = { section: "small", backend, op, mode, runtime: rt };
          const s = ix.find({ ...q, client: "stowage" });
          const k = ix.find({ ...q, client: "sdk" });
          const r = ix.find({ ...q, client: "raw" });
          if (!s && !k && !r) continue;
          rows.push([
            `${op} ${mode === "seq" ? "sequential" : "16 in flight"}`,
            rt,
            cell(s?.value, "ops/s"),
            cell(k?.value, "ops/s"),
            cell(r?.value, "ops/s"),
            ratioCell(s && k ? advantage(s, k) : undefined),
            ratioCell(s && r ? advantage(s, r) : undefined),
          ]);
        }
      }
    }
    md += table([
      "operation",
      "runtime",
      "Stowage",
      "SDK",
      "raw fetch",
      "Stowage/SDK",
      "Stowage/raw",
    ], rows);
  }
  return md;
}

function largeSection(ix: Index): string {
  let md = "";
  for (const backend of ix.values("backend", { section: "large" })) {
    md += `\n**${
      BACKEND_NAMES[backend] ?? backend
    }** (MB/s, higher is better; peak RSS of the process)\n\n`;
    const rows: string[][] = [];
    for (const op of ["write", "read"]) {
      for (const m of ix.where({ section: "large", backend, op })) {
        const sdk = ix.find({
          section: "large",
          backend,
          op,
          client: "sdk",
          runtime: m.runtime,
        });
        const who = m.client === "stowage"
          ? "Stowage"
          : m.client === "sdk"
          ? "SDK (defaults)"
          : "SDK (Stowage's part size)";
        rows.push([
          op,
          who,
          m.runtime,
          cell(m.value, "MB/s"),
          cell(m.rssMiB, "MiB"),
          m.rssBaseMiB ? num(m.rssBaseMiB.median, "MiB") : "–",
          ratioCell(
            m.client === "stowage" && sdk ? advantage(m, sdk) : undefined,
          ),
          m.note ?? "",
        ]);
      }
    }
    md += table([
      "op",
      "client",
      "runtime",
      "MB/s",
      "peak RSS MiB",
      "base RSS MiB",
      "Stowage/SDK",
      "settings",
    ], rows);
  }
  return md;
}

function listingSection(ix: Index): string {
  let md = "";
  for (const backend of ix.values("backend", { section: "listing" })) {
    md += `\n**${BACKEND_NAMES[backend] ?? backend}** (ms, lower is better)\n\n`;
    const rows: string[][] = [];
    for (const rt of ix.values("runtime", { section: "listing", backend })) {
      for (const op of ["walk", "glob", "rmtree"]) {
        const s = ix.find({
          section: "listing",
          backend,
          op,
          runtime: rt,
          client: "stowage",
        });
        const k = ix.find({
          section: "listing",
          backend,
          op,
          runtime: rt,
          client: "sdk",
        });
        if (!s && !k) continue;
        rows.push([
          op,
          rt,
          cell(s?.value, "ms"),
          cell(k?.value, "ms"),
          ratioCell(s && k ? advantage(s, k) : undefined),
        ]);
      }
    }
    md += table([
      "operation",
      "runtime",
      "Stowage ms",
      "SDK ms",
      "Stowage speed/SDK",
    ], rows);
  }
  return md;
}

function limitSection(ix: Index): string {
  const rows: string[][] = [];
  const names: Record<string, string> = {
    raw: "raw fetch (the limit)",
    core: "Stowage core (ObjectStore + HttpClient)",
    "s3-nomd5": "S3 flavor, checksum: false",
    s3: "S3 flavor (SigV4 + Content-MD5)",
  };
  for (const rt of ix.values("runtime", { section: "limit" })) {
    for (const op of ["write", "read"]) {
      const raw = ix.find({ section: "limit", client: "raw", op, runtime: rt });
      for (const client of ["raw", "core", "s3-nomd5", "s3"]) {
        const m = ix.find({ section: "limit", client, op, runtime: rt });
        if (!m) continue;
        rows.push([
          op,
          rt,
          names[client],
          cell(m.value, "MB/s"),
          client === "raw" ? "1.00×" : ratioCell(raw ? advantage(m, raw) : undefined),
        ]);
      }
    }
  }
  return rows.length ? "\n" + table(["op", "runtime", "path", "MB/s", "÷ raw fetch"], rows) : "";
}

function coldSection(ix: Index): string {
  const rows: string[][] = [];
  const ms = (m?: Measurement) =>
    !m
      ? "–"
      : m.value.median < 1
      ? `≈0 <sub>${num(m.value.min, "ms")}–${num(m.value.max, "ms")}</sub>`
      : cell(m.value, "ms");
  for (const rt of ix.values("runtime", { section: "coldstart" })) {
    for (
      const s of ix.where({ section: "coldstart", client: "stowage", runtime: rt, op: "import" })
    ) {
      const q = { section: "coldstart", runtime: rt };
      const sp = ix.find({ ...q, client: "stowage", op: "process", mode: s.mode });
      const k = ix.find({ ...q, client: "sdk", backend: s.backend, op: "import" });
      const kp = ix.find({ ...q, client: "sdk", backend: s.backend, op: "process" });
      rows.push([
        `\`${s.mode}\``,
        rt,
        ms(sp),
        ms(s),
        k ? `\`${k.mode}\`` : "–",
        ms(kp),
        ms(k),
        ratioCell(k ? advantage(s, k) : undefined),
        sp?.note ?? "",
      ]);
    }
  }
  const head = [
    "subpath",
    "runtime",
    "Stowage process ms",
    "Stowage in-process ms",
    "SDK",
    "SDK process ms",
    "SDK in-process ms",
    "Stowage speed/SDK (in-process)",
    "baseline",
  ];
  return rows.length ? "\n" + table(head, rows) : "";
}

function sizeSection(ix: Index): string {
  const rows: string[][] = [];
  for (
    const s of ix.where({ section: "size", client: "stowage", op: "minified" })
  ) {
    const sg = ix.find({
      section: "size",
      client: "stowage",
      op: "gzipped",
      backend: s.backend,
    });
    const k = ix.find({
      section: "size",
      client: "sdk",
      op: "minified",
      backend: s.backend,
    });
    const kg = ix.find({
      section: "size",
      client: "sdk",
      op: "gzipped",
      backend: s.backend,
    });
    rows.push([
      `\`${s.backend}\``,
      num(s.value.median, "bytes"),
      sg ? num(sg.value.median, "bytes") : "–",
      k ? `${k.mode} (${k.note})` : "–",
      k ? num(k.value.median, "bytes") : "–",
      kg ? num(kg.value.median, "bytes") : "–",
      ratioCell(sg && kg ? advantage(sg, kg) : undefined),
    ]);
  }
  return rows.length
    ? "\n" +
      table([
        "subpath",
        "Stowage min",
        "Stowage gzip",
        "SDK",
        "SDK min",
        "SDK gzip",
        "SDK gzip ÷ Stowage gzip",
      ], rows)
    : "";
}

function localSection(ix: Index): string {
  const rows: string[][] = [];
  for (const rt of ix.values("runtime", { section: "local" })) {
    for (const op of ["write", "read", "copy"]) {
      const s = ix.find({
        section: "local",
        client: "stowage",
        op,
        runtime: rt,
      });
      const n = ix.find({
        section: "local",
        client: "native",
        op,
        runtime: rt,
      });
      if (!s && !n) continue;
      rows.push([
        op,
        rt,
        cell(s?.value, "MB/s"),
        cell(n?.value, "MB/s"),
        ratioCell(s && n ? advantage(s, n) : undefined),
      ]);
    }
  }
  return rows.length
    ? "\n" +
      table([
        "op",
        "runtime",
        "Stowage MB/s",
        "runtime's API MB/s",
        "Stowage/runtime",
      ], rows)
    : "";
}

// ------------------------------------------------------------------ chart

const CHART_GROUPS: [string, string][] = [
  [
    "small",
    "Small objects, ops/s vs SDK (geometric mean of sequential and ×16)",
  ],
  ["large", "Large objects, MB/s vs SDK (Node)"],
  ["listing", "Listing, speed vs SDK"],
  ["limit", "Stowage vs raw fetch on a null server (the limit)"],
  ["coldstart", "Cold start vs SDK"],
  ["size", "Bundle size (gzip) vs SDK"],
  ["local", "Local flavor vs the runtime's file API"],
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
function svgChart(cs: Comparison[], caption: string): string {
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

// ------------------------------------------------------------------ the page

function notMeasuredList(list: NotMeasured[]): string {
  if (!list.length) {
    return "Everything in the sections that ran was measured.\n";
  }
  return list.map((n) =>
    `- **${n.section}** — ${n.what}: not measured: ${n.reason.replace(/\n/g, " ")}`
  )
    .join("\n") + "\n";
}

function gapLabel(g: Gap): string {
  const against = g.against === "sdk"
    ? "the SDK"
    : g.against === "raw"
    ? "raw fetch"
    : "the runtime's API";
  const title = SECTION_TITLES[g.section].replace(/^\d+\. /, "");
  const what = [
    title,
    g.backend !== "null" && g.backend !== "local" ? g.backend : "",
    g.client !== "stowage" ? g.client : "",
    g.op,
    g.mode === "c16" ? "16 in flight" : g.mode === "seq" ? "sequential" : g.mode ?? "",
  ].filter(Boolean).join(", ");
  return `${what} on ${g.runtime}: ${g.ratio.toFixed(2)}× ${against}${
    g.overlap ? " (the min–max ranges overlap: possibly noise)" : ""
  }`;
}

/** The gaps grouped under their causes (uninvestigated ones last). */
function gapsByCause(gaps: Gap[]): string {
  if (!gaps.length) return "None in this run.\n";
  const groups = new Map<Cause | undefined, Gap[]>();
  for (const g of gaps) {
    const c = causeOf(g);
    groups.set(c, [...(groups.get(c) ?? []), g]);
  }
  const order = [...groups.keys()].sort((x, y) =>
    (x ? CAUSES.indexOf(x) : CAUSES.length) - (y ? CAUSES.indexOf(y) : CAUSES.length)
  );
  let md = "";
  for (const c of order) {
    md += `\n### ${c?.title ?? "Not investigated yet"}\n\n`;
    md += groups.get(c)!.map((g) => `- ${gapLabel(g)}`).join("\n") + "\n\n";
    md += c ? `Cause: ${c.text}\n` : "No cause has been investigated for these yet.\n";
  }
  return md;
}

/**
 * Renders the page and the chart of a run.
 *
 * @param r the run's report
 * @returns the Markdown and the SVG
 */
export function renderPage(r: BenchReport): { markdown: string; svg: string } {
  const ix = new Index(r.result.measurements);
  const cs = comparisons(ix);
  const gaps = gapsOf(cs);
  const m = r.machine;
  // Other work at the start, or more runnable work during the run than the bench's own
  // (a child and an emulator: about two cores' worth).
  const busy = m.load.start > m.cores * 0.5 || (m.load.mean ?? 0) > m.cores * 1.25;
  const caption = `${r.tier} tier, ${
    r.date.slice(0, 16).replace("T", " ")
  } UTC, ${m.cores} cores, ${m.cpu}; medians of ${r.runs} runs`;
  let md = `# Benchmarks

<!-- Generated by \`deno task bench\` (bench/mod.ts) from bench/results/${
    r.date.slice(0, 10)
  }-all.json. Do not edit by hand: re-run the bench. -->

Stowage side by side with the official SDKs (\`@aws-sdk/client-s3\` + \`@aws-sdk/lib-storage\`,
\`@azure/storage-blob\`, \`@google-cloud/storage\`) and raw signed \`fetch\`, on the same local
emulators and runtimes, in one run. Every number on this page comes from the run of
**${r.date.slice(0, 10)}** (${r.tier} tier, \`deno task bench${
    r.tier === "full" ? " --full" : ""
  }\`, ${
    (r.totalSeconds / 60).toFixed(1)
  } minutes). Cells show the median and, small, the min–max over ${r.runs} runs. Ratios are
"Stowage ÷ other" in speed (or "other ÷ Stowage" in size), so **above 1× Stowage is ahead**;
ratios below 1× are in bold. MB/s are 10⁶ bytes per second.

Emulators are not clouds: they show the client's own cost and behaviour (memory, requests,
parallelism, CPU per byte), not what S3, Azure or GCS would do over a network.

## Machine and versions

- ${m.cores} cores, ${m.memoryGiB} GiB memory, CPU: ${m.cpu}, ${m.os}
- 1-minute load average: ${m.load.start.toFixed(2)} when the run started${
    m.load.mean === undefined ? "" : `, ${m.load.mean.toFixed(2)} on average during it`
  }, ${m.load.end?.toFixed(2) ?? "?"} at the end (the bench itself keeps about two cores busy)${
    busy
      ? ` — **the machine was busy with other work during this run: treat the numbers as rough**`
      : ""
  }
- Sections run: ${
    r.sectionsRun.map((s) => `${s} (${(r.sectionSeconds[s] ?? 0).toFixed(0)} s)`).join(", ")
  }

${
    table(
      ["component", "version"],
      Object.entries(r.versions).map(([k, v]) => [k, v]),
    )
  }
Emulators: ${
    Object.entries(r.emulators).map(([k, v]) => `${k}: ${v}`).join("; ") ||
    "none needed"
  }.

## Summary

![Stowage relative to the SDKs, raw fetch and the runtimes](benchmarks.svg)

## Gaps and their causes

Every measured case where Stowage is slower than the SDK, or more than 20% under the limit
(raw fetch on a null server, or the runtime's own file API):

`;
  md += gapsByCause(gaps);
  for (
    const id of [
      "small",
      "large",
      "listing",
      "limit",
      "coldstart",
      "size",
      "local",
    ]
  ) {
    md += `\n## ${SECTION_TITLES[id]}\n\n`;
    if (!r.sectionsRun.includes(id)) {
      md += "Not run in this run (`--only`).\n";
      continue;
    }
    for (
      const n of r.result.notes.filter((n) => sectionOfNote(n, r.result) === id)
    ) md += `${n}\n\n`;
    const body = {
      small: smallSection,
      large: largeSection,
      listing: listingSection,
      limit: limitSection,
      coldstart: coldSection,
      size: sizeSection,
      local: localSection,
    }[id]!(ix);
    md += body || "No measurements.\n";
    const nm = r.result.notMeasured.filter((n) => n.section === id);
    if (nm.length) md += `\nNot measured:\n\n${notMeasuredList(nm)}`;
  }
  md += `
## How to run

\`\`\`sh
deno task bench                 # quick tier: 256 MiB transfers, 2,000 listed objects, 3 runs
deno task bench --full          # full tier: 1 GiB, 10,000 objects, 5 runs, every runtime and Ceph
deno task bench --only=limit,size --runtimes=deno,node
\`\`\`

The bench installs the SDKs into \`bench/node_modules\` on first use (\`npm ci --prefix bench
--ignore-scripts\`; they are dev-only dependencies of the bench, never of the library),
starts the emulators on 127.0.0.1 with OS-chosen ports, and stops them at the end. Raw
results: \`bench/results/<date>-<runtime>.json\` and \`bench/results/<date>-all.json\`.
`;
  return { markdown: md, svg: svgChart(cs, caption) };
}

/** The section a note belongs to. */
function sectionOfNote(note: string, res: SectionResult): string {
  return res.noteSections?.[note] ?? "";
}

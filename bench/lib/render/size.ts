/**
 * Section 7 of the benchmark page, bundle size: each Stowage entry's minified and
 * gzipped size beside its target and the SDK's, and the inputs that weigh most.
 *
 * @module
 */

import type { Measurement } from "../stats.ts";
import type { Index } from "./compare.ts";
import { advantage, num, ratioCell, table } from "./format.ts";

/**
 * Section 7: minified and gzipped bundle sizes, against the targets and the SDK.
 *
 * @param ix the run's measurements
 * @returns the section's Markdown
 */
export function sizeSection(ix: Index): string {
  const mine = ix.where({ section: "size", client: "stowage", op: "gzipped" });
  // Results from before the targets (one bare entry per subpath) keep their old table.
  const targets = mine.some((m) => m.budget !== undefined);
  return sizeTable(ix, targets) + (targets ? partsList(ix) : "");
}

/** Within the target, or by how much it is over. */
function budgetCell(m: Measurement | undefined): string {
  if (!m || m.budget === undefined) return "–";
  const d = m.budget - m.value.median;
  return d >= 0 ? `within (${num(d, "bytes")} to spare)` : `**over by ${num(-d, "bytes")}**`;
}

/**
 * One row per entry, the SDK of a subpath beside its first entry; with `targets`,
 * the entry's name and its target too.
 */
function sizeTable(ix: Index, targets: boolean): string {
  const rows: string[][] = [];
  const paired = new Set<string>();
  for (
    const s of ix.where({ section: "size", client: "stowage", op: "minified" })
  ) {
    const q = { section: "size", backend: s.backend };
    const sg = ix.find({ ...q, client: "stowage", op: "gzipped", mode: s.mode });
    const first = !paired.has(s.backend);
    paired.add(s.backend);
    const k = first ? ix.find({ ...q, client: "sdk", op: "minified" }) : undefined;
    const kg = k ? ix.find({ ...q, client: "sdk", op: "gzipped", mode: k.mode }) : undefined;
    rows.push([
      `\`${s.backend}\``,
      ...(targets ? [s.note ?? s.mode ?? ""] : []),
      num(s.value.median, "bytes"),
      sg ? num(sg.value.median, "bytes") : "–",
      ...(targets
        ? [sg?.budget !== undefined ? num(sg.budget, "bytes") : "–", budgetCell(sg)]
        : []),
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
        ...(targets ? ["entry"] : []),
        "Stowage min",
        "Stowage gzip",
        ...(targets ? ["target gzip", "vs target"] : []),
        "SDK",
        "SDK min",
        "SDK gzip",
        "SDK gzip ÷ Stowage gzip",
      ], rows)
    : "";
}

/** The biggest inputs of each Stowage bundle, from esbuild's metafile. */
function partsList(ix: Index): string {
  const lines = ix.where({ section: "size", client: "stowage", op: "minified" })
    .filter((m) => m.parts?.length)
    .map((m) =>
      `- \`${m.backend}\` (${m.mode}, ${num(m.value.median, "bytes")}): ` +
      m.parts!.map((p) => `\`${p.path}\` ${num(p.bytes, "bytes")}`).join(", ")
    );
  return lines.length
    ? "\nThe inputs that weigh most in each bundle (bytes each contributes to the minified " +
      "output, from esbuild's metafile):\n\n" + lines.join("\n") + "\n"
    : "";
}

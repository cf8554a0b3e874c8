/**
 * The targets table: issue 13's speed and memory targets, each checked against the
 * run's own measurements (met, missed, or not measured in this run), so that the
 * page says plainly which hold. The causes of the misses are in the gap list.
 *
 * @module
 */

import type { Measurement } from "../stats.ts";
import type { Index } from "./compare.ts";
import { advantage, esc, table } from "./format.ts";

/** One checked target. */
interface Row {
  target: string;
  where: string;
  measured: string;
  met: boolean | undefined;
}

const RUNTIMES = ["deno", "node", "bun"];

function ratioRow(
  target: string,
  where: string,
  s: Measurement | undefined,
  o: Measurement | undefined,
  min: number,
): Row {
  if (!s || !o) {
    return { target, where, measured: "not measured", met: undefined };
  }
  const r = advantage(s, o);
  return { target, where, measured: `${r.toFixed(2)}×`, met: r >= min };
}

/**
 * The targets and how this run measured against them.
 *
 * @param ix the run's measurements
 * @returns the section's markdown
 */
export function targetsSection(ix: Index): string {
  const rows: Row[] = [];
  // Null server: Stowage's S3 flavor with its default integrity against raw fetch.
  for (const rt of RUNTIMES) {
    for (const [op, min] of [["write", 0.8], ["read", 0.95]] as const) {
      rows.push(ratioRow(
        `null server ${op}s ≥ ${min}× raw fetch`,
        `s3 flavor, default checksum, ${rt}`,
        ix.find({ section: "limit", client: "s3", op, runtime: rt }),
        ix.find({ section: "limit", client: "raw", op, runtime: rt }),
        min,
      ));
    }
  }
  // 256 MiB (1 GiB with --full) transfers on Node against the SDK: null server and emulators.
  for (
    const b of ix.values("backend", { section: "nullsdk", client: "stowage" })
  ) {
    for (
      const op of ix.values("op", {
        section: "nullsdk",
        backend: b,
        client: "stowage",
      })
    ) {
      if (!/MiB-1x$/.test(op) || /1KiB/.test(op)) continue;
      rows.push(ratioRow(
        "large transfers ≥ 1.2× the SDK on Node",
        `null server, ${b} ${op}`,
        ix.find({
          section: "nullsdk",
          backend: b,
          client: "stowage",
          op,
          runtime: "node",
        }),
        ix.find({
          section: "nullsdk",
          backend: b,
          client: "sdk",
          op,
          runtime: "node",
        }),
        1.2,
      ));
    }
  }
  for (
    const b of ix.values("backend", { section: "large", client: "stowage" })
  ) {
    for (const op of ["write", "read"]) {
      rows.push(ratioRow(
        "large transfers ≥ 1.2× the SDK on Node",
        `${b} emulator, ${op}`,
        ix.find({
          section: "large",
          backend: b,
          client: "stowage",
          op,
          runtime: "node",
        }),
        ix.find({
          section: "large",
          backend: b,
          client: "sdk",
          op,
          runtime: "node",
        }),
        1.2,
      ));
    }
  }
  // Small operations on Node against the SDK.
  for (
    const b of ix.values("backend", { section: "nullsdk", client: "stowage" })
  ) {
    for (
      const op of ix.values("op", {
        section: "nullsdk",
        backend: b,
        client: "stowage",
      })
    ) {
      if (!/1KiB/.test(op)) continue;
      rows.push(ratioRow(
        "small put/get/stat ≥ 1.0× the SDK on Node",
        `null server, ${b} ${op}`,
        ix.find({
          section: "nullsdk",
          backend: b,
          client: "stowage",
          op,
          runtime: "node",
        }),
        ix.find({
          section: "nullsdk",
          backend: b,
          client: "sdk",
          op,
          runtime: "node",
        }),
        1,
      ));
    }
  }
  for (
    const b of ix.values("backend", { section: "small", client: "stowage" })
  ) {
    for (
      const m of ix.where({
        section: "small",
        backend: b,
        client: "stowage",
        runtime: "node",
      })
    ) {
      rows.push(ratioRow(
        "small put/get/stat ≥ 1.0× the SDK on Node",
        `${b} emulator, ${m.op} ${m.mode === "c16" ? "×16" : "seq"}`,
        m,
        ix.find({
          section: "small",
          backend: b,
          client: "sdk",
          op: m.op,
          mode: m.mode,
          runtime: "node",
        }),
        1,
      ));
    }
  }
  // Peak RSS of a streamed write: 64 MiB + part size × (concurrency + 1).
  for (const m of ix.where({ section: "limit", client: "s3", op: "write" })) {
    if (!m.rssMiB) continue;
    const bound = 64 + 8 * (4 + 1);
    rows.push({
      target: "peak RSS of a streamed write ≤ 64 MiB + part size × (concurrency + 1)",
      where: `null server, s3 flavor, 8 MiB × 4, ${m.runtime}`,
      measured: `${m.rssMiB.median.toFixed(0)} MiB (bound ${bound}; runtime alone ${
        m.rssBaseMiB?.median.toFixed(0) ?? "?"
      })`,
      met: m.rssMiB.median <= bound,
    });
  }
  for (
    const m of ix.where({ section: "large", client: "stowage", op: "write" })
  ) {
    const t = /part (\d+) MiB × (\d+)/.exec(m.note ?? "");
    if (!m.rssMiB || !t) continue;
    const bound = 64 + Number(t[1]) * (Number(t[2]) + 1);
    rows.push({
      target: "peak RSS of a streamed write ≤ 64 MiB + part size × (concurrency + 1)",
      where: `${m.backend} emulator, ${t[1]} MiB × ${t[2]}, ${m.runtime}`,
      measured: `${m.rssMiB.median.toFixed(0)} MiB (bound ${bound}; runtime alone ${
        m.rssBaseMiB?.median.toFixed(0) ?? "?"
      })`,
      met: m.rssMiB.median <= bound,
    });
  }
  const measured = rows.filter((r) => r.met !== undefined);
  const met = measured.filter((r) => r.met).length;
  return `## Targets

Issue 13's targets, checked against this run (default settings: integrity on). ${met} of ${measured.length} measured targets are met${
    rows.length > measured.length
      ? `; ${rows.length - measured.length} were not measured in this run`
      : ""
  }. Each miss is in "Gaps and their causes" above with what was measured about it. Peak RSS includes the
runtime's own baseline ("runtime alone").

${
    table(
      ["target", "where", "measured", "met"],
      rows.map((r) => [
        esc(r.target),
        esc(r.where),
        r.measured,
        r.met === undefined ? "–" : r.met ? "yes" : "**no**",
      ]),
    )
  }`;
}

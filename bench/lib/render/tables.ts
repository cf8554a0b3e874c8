/**
 * The Markdown tables of each section of the benchmark page.
 *
 * @module
 */

import type { Measurement } from "../stats.ts";
import type { Index } from "./compare.ts";
import { advantage, cell, num, ratioCell, table } from "./format.ts";

const BACKEND_NAMES: Record<string, string> = {
  "s3-fauxqs": "S3 on fauxqs",
  "s3-ceph": "S3 on Ceph RGW",
  "azure": "Azure Blob on Azurite",
  "gcs": "GCS on the firebase Storage emulator",
};

/** Section 1: ops/s per backend, runtime and mode, against the SDK and raw fetch. */
export function smallSection(ix: Index): string {
  let md = "";
  for (const backend of ix.values("backend", { section: "small" })) {
    md += `\n**${BACKEND_NAMES[backend] ?? backend}** (ops/s, higher is better)\n\n`;
    const rows: string[][] = [];
    for (const rt of ix.values("runtime", { section: "small", backend })) {
      for (const mode of ["seq", "c16"]) {
        for (const op of ["put", "get", "stat"]) {
          const row = threeWay(ix, { section: "small", backend, op, mode, runtime: rt }, "ops/s");
          if (row) {
            rows.push([`${op} ${mode === "seq" ? "sequential" : "16 in flight"}`, rt, ...row]);
          }
        }
      }
    }
    md += table(["operation", "runtime", ...THREE_WAY_HEAD], rows);
  }
  return md;
}

const THREE_WAY_HEAD = ["Stowage", "SDK", "raw fetch", "Stowage/SDK", "Stowage/raw"];

/**
 * The cells of Stowage, the SDK and raw fetch for one query, and Stowage's ratios
 * to both; undefined when none of the three was measured.
 */
function threeWay(ix: Index, q: Partial<Measurement>, unit: string): string[] | undefined {
  const s = ix.find({ ...q, client: "stowage" });
  const k = ix.find({ ...q, client: "sdk" });
  const r = ix.find({ ...q, client: "raw" });
  if (!s && !k && !r) return undefined;
  return [
    cell(s?.value, unit),
    cell(k?.value, unit),
    cell(r?.value, unit),
    ratioCell(s && k ? advantage(s, k) : undefined),
    ratioCell(s && r ? advantage(s, r) : undefined),
  ];
}

const NULL_NAMES: Record<string, string> = {
  s3: "S3 (`@aws-sdk/client-s3` + `@aws-sdk/lib-storage`)",
  azure: "Azure Blob (`@azure/storage-blob`)",
  gcs: "GCS (`@google-cloud/storage`)",
};

/** Section 5: Stowage, the SDK and raw fetch on the null server, per protocol, by CRT-named workload. */
export function nullSdkSection(ix: Index): string {
  let md = "";
  for (const backend of ix.values("backend", { section: "nullsdk" })) {
    md += `\n**${NULL_NAMES[backend] ?? backend} on the null server** (higher is better)\n\n`;
    const rows: string[][] = [];
    for (const op of ix.values("op", { section: "nullsdk", backend })) {
      for (const rt of ix.values("runtime", { section: "nullsdk", backend, op })) {
        const q = { section: "nullsdk", backend, op, runtime: rt };
        const unit = ix.find(q)!.unit;
        rows.push([`\`${op}\``, rt, unit, ...threeWay(ix, q, unit)!]);
      }
    }
    md += table(["workload", "runtime", "unit", ...THREE_WAY_HEAD], rows);
  }
  return md;
}

/** Section 2: MB/s and RSS per backend, against the SDK. */
export function largeSection(ix: Index): string {
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

/** Section 3: walk, glob and rmtree times per backend, against the SDK. */
export function listingSection(ix: Index): string {
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

/** Section 4: Stowage's layers against raw fetch on a null server. */
export function limitSection(ix: Index): string {
  const rows: string[][] = [];
  const names: Record<string, string> = {
    raw: "raw fetch (the limit)",
    core: "Stowage core (ObjectStore + HttpClient)",
    "s3-nomd5": "S3 flavor, checksum: false",
    "s3-crc32": 'S3 flavor, checksum: "crc32" (what "auto" sends to AWS)',
    s3: 'S3 flavor, default checksum ("auto": Content-MD5 on a custom endpoint)',
  };
  for (const rt of ix.values("runtime", { section: "limit" })) {
    for (const op of ["write", "read"]) {
      const raw = ix.find({ section: "limit", client: "raw", op, runtime: rt });
      for (const client of ["raw", "core", "s3-nomd5", "s3-crc32", "s3"]) {
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

/** Section 6: process and in-process import times, against the SDK. */
export function coldSection(ix: Index): string {
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

/** Section 8: the local flavor against the runtime's file API. */
export function localSection(ix: Index): string {
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

const SERVERS: Record<string, string> = {
  deno: "Deno.serve",
  bun: "Bun.serve",
  node: "@hono/node-server on Node",
};

/** Section 9: the http flavor's upload from each runtime to each runtime's server, against curl. */
export function serveSection(ix: Index): string {
  const rows: string[][] = [];
  for (const backend of ix.values("backend", { section: "serve" })) {
    const curl = ix.find({ section: "serve", backend, client: "curl" });
    if (curl) {
      rows.push([
        SERVERS[backend] ?? backend,
        "curl -T",
        cell(curl.value, "MB/s"),
        "1×",
        curl.note ?? "",
      ]);
    }
    for (const m of ix.where({ section: "serve", backend, client: "stowage" })) {
      rows.push([
        SERVERS[backend] ?? backend,
        `http flavor on ${m.runtime}`,
        cell(m.value, "MB/s"),
        ratioCell(curl ? advantage(m, curl) : undefined),
        m.note ?? "",
      ]);
    }
  }
  return rows.length ? "\n" + table(["server", "client", "MB/s", "vs curl", "note"], rows) : "";
}

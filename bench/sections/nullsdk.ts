/**
 * Section 5, the SDKs on the null server: Stowage's S3, Azure and GCS flavors,
 * the official SDKs (`@aws-sdk/client-s3` + `@aws-sdk/lib-storage`,
 * `@azure/storage-blob`, `@google-cloud/storage`, each with its defaults and its
 * integrity checks) and raw unsigned `fetch`, all against the bench's null
 * server (node:http on loopback, speaking enough of each protocol: multipart
 * uploads, blocks, resumable chunks, ranged reads), so each client's own cost
 * shows without an emulator's limits. Workloads are named as the AWS CRT S3
 * benchmarks name theirs: `upload-256MiB-1x`, `download-256MiB-1x`,
 * `upload-1KiB-1000x`, `download-1KiB-1000x`, `stat-1KiB-1000x`.
 *
 * @module
 */

import {
  type BackendInfo,
  type Client,
  sdkClient,
  stowageClient,
  unsupported,
} from "../lib/backends.ts";
import type { Context } from "../lib/context.ts";
import { drain, MiB, sourceChunk } from "../lib/data.ts";
import { pool, runtimeName, timeMs } from "../lib/proc.ts";
import { runTask } from "../lib/spawn.ts";
import {
  emptyResult,
  errorText,
  type Measurement,
  type SectionResult,
  summarize,
} from "../lib/stats.ts";
import { startNullServer } from "./limit.ts";

/** The backend families, each as a fake backend pointed at the null server. */
const KINDS: BackendInfo["kind"][] = ["s3", "azure", "gcs"];
/** Azurite's well-known development key (the null server checks no signature). */
const AZURE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/**
 * A backend of `kind` whose env points the existing clients at the null server.
 *
 * @param kind the protocol family
 * @param endpoint the null server
 * @returns the backend
 */
export function nullBackend(
  kind: BackendInfo["kind"],
  endpoint: string,
): BackendInfo {
  const env: Record<string, string> = kind === "s3"
    ? {
      STOWAGE_TEST_S3_ENDPOINT: endpoint,
      STOWAGE_TEST_S3_REGION: "us-east-1",
      STOWAGE_TEST_S3_ACCESS_KEY_ID: "NULLKEY",
      STOWAGE_TEST_S3_SECRET_ACCESS_KEY: "nullsecret",
      STOWAGE_TEST_S3_BUCKET: "nullbucket",
    }
    : kind === "azure"
    ? {
      STOWAGE_TEST_AZURE_CONNECTION_STRING:
        `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURE_KEY};` +
        `BlobEndpoint=${endpoint}/devstoreaccount1;`,
      STOWAGE_TEST_AZURE_CONTAINER: "nullcontainer",
      STOWAGE_TEST_AZURE_ACCOUNT: "devstoreaccount1",
      STOWAGE_TEST_AZURE_KEY: AZURE_KEY,
      STOWAGE_TEST_AZURE_ENDPOINT: `${endpoint}/devstoreaccount1`,
    }
    : {
      STOWAGE_TEST_GCS_ENDPOINT: endpoint,
      STOWAGE_TEST_GCS_PROJECT: "null-project",
      STOWAGE_TEST_GCS_BUCKET: "nullbucket",
    };
  return { id: kind, kind, emulator: "null", env };
}

/** Raw-fetch upload settings: the limit section's (8 MiB requests, 4 in flight). */
const RAW_PART = 8 * MiB;
const RAW_CONCURRENCY = 4;

/**
 * Raw unsigned `fetch` in each protocol's request shapes (the null server checks
 * no signature): the limit of the runtime's `fetch` on loopback.
 *
 * @param b the null backend
 * @returns the client (put, get, stat, upload, download)
 */
export function nullRaw(b: BackendInfo): Client {
  const ep = b.kind === "s3"
    ? b.env.STOWAGE_TEST_S3_ENDPOINT
    : b.kind === "azure"
    ? b.env.STOWAGE_TEST_AZURE_ENDPOINT
    : b.env.STOWAGE_TEST_GCS_ENDPOINT;
  const azure = { "x-ms-version": "2025-11-05" };
  const name = (key: string) => encodeURIComponent(`bench/${key}`);
  const objectUrl = (key: string) =>
    b.kind === "s3"
      ? `${ep}/nullbucket/bench/${key}`
      : b.kind === "azure"
      ? `${ep}/nullcontainer/bench/${key}`
      : `${ep}/storage/v1/b/nullbucket/o/${name(key)}?alt=media`;
  const ok = async (res: Response, what: string) => {
    if (!res.ok) {
      throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
    }
    return res;
  };
  /** One body PUT (POST for a GCS media upload); `part` ≥ 1 is a multipart part or block. */
  const send = async (key: string, body: Uint8Array, part = 0) => {
    const url = b.kind === "gcs"
      ? `${ep}/upload/storage/v1/b/nullbucket/o?uploadType=media&name=${name(key)}`
      : part === 0
      ? objectUrl(key)
      : b.kind === "s3"
      ? `${objectUrl(key)}?partNumber=${part}&uploadId=u`
      : `${objectUrl(key)}?comp=block&blockid=${btoa(String(part).padStart(8, "0"))}`;
    const headers: Record<string, string> = b.kind !== "azure"
      ? {}
      : part === 0
      ? { ...azure, "x-ms-blob-type": "BlockBlob" }
      : azure;
    const res = await ok(
      await fetch(url, {
        method: b.kind === "gcs" ? "POST" : "PUT",
        headers,
        body: body as BodyInit,
      }),
      "upload",
    );
    await res.body?.cancel();
  };
  const get = async (key: string, method = "GET") =>
    await ok(
      await fetch(objectUrl(key), {
        method,
        headers: b.kind === "azure" ? azure : {},
      }),
      method,
    );
  return {
    put: (key, data) => send(key, data),
    async get(key) {
      return (await (await get(key)).arrayBuffer()).byteLength;
    },
    async stat(key) {
      if (b.kind === "gcs") {
        const url = `${ep}/storage/v1/b/nullbucket/o/${name(key)}`;
        return Number((await (await ok(await fetch(url), "stat")).json()).size);
      }
      const res = await get(key, "HEAD");
      await res.body?.cancel();
      return Number(res.headers.get("content-length"));
    },
    walk: () => unsupported("walk"),
    glob: () => unsupported("glob"),
    rmtree: () => unsupported("rmtree"),
    async upload(key, total) {
      const buf = new Uint8Array(RAW_PART);
      for (let off = 0; off < RAW_PART; off += MiB) buf.set(sourceChunk(), off);
      const parts = Math.ceil(total / RAW_PART);
      await pool(parts, RAW_CONCURRENCY, (i) => {
        const n = Math.min(RAW_PART, total - i * RAW_PART);
        return send(key, n === RAW_PART ? buf : buf.subarray(0, n), i + 1);
      });
    },
    async download(key) {
      return await drain((await get(key)).body!);
    },
  };
}

/** What a measurement child is told. */
interface Args {
  kind: BackendInfo["kind"];
  endpoint: string;
  /** Bytes of the large transfer. */
  total: number;
  /** Small objects: how many, how big, how many in flight. */
  count: number;
  size: number;
  inFlight: number;
  runs: number;
}

/** A size as the CRT benchmarks write it: `256MiB`, `1GiB`, `1KiB`. */
export function sizeName(bytes: number): string {
  for (
    const [unit, n] of [["GiB", 1024 ** 3], ["MiB", MiB], [
      "KiB",
      1024,
    ]] as const
  ) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return `${bytes}B`;
}

/** One workload: its CRT-style name, unit, and the work per client. */
interface Workload {
  name: string;
  unit: "MB/s" | "ops/s";
  /** Divides the elapsed seconds into the value (bytes ÷ 10⁶ or operations). */
  amount: number;
  run(c: Client): Promise<void>;
}

function workloads(a: Args): Workload[] {
  const big = `nullsdk/${a.total}.bin`;
  const small = sizeName(a.size);
  const tag = `${small}-${a.count}x`;
  const data = sourceChunk().subarray(0, a.size);
  const each = (fn: (c: Client, key: string) => Promise<unknown>) => (c: Client) =>
    pool(
      a.count,
      a.inFlight,
      (i) => fn(c, `nullsdk/small/${i}-${a.size}.bin`),
    );
  const expect = (got: number, want: number, what: string) => {
    if (got !== want) {
      throw new Error(`${what}: ${got} bytes, expected ${want}`);
    }
  };
  return [
    {
      name: `upload-${sizeName(a.total)}-1x`,
      unit: "MB/s",
      amount: a.total / 1e6,
      run: (c) => c.upload(big, a.total),
    },
    {
      name: `download-${sizeName(a.total)}-1x`,
      unit: "MB/s",
      amount: a.total / 1e6,
      run: async (c) => expect(await c.download(big), a.total, "download"),
    },
    {
      name: `upload-${tag}`,
      unit: "ops/s",
      amount: a.count,
      run: each((c, k) => c.put(k, data)),
    },
    {
      name: `download-${tag}`,
      unit: "ops/s",
      amount: a.count,
      run: each(async (c, k) => expect(await c.get(k), a.size, "get")),
    },
    {
      name: `stat-${tag}`,
      unit: "ops/s",
      amount: a.count,
      run: each(async (c, k) => expect(await c.stat(k), a.size, "stat")),
    },
  ];
}

/** Tasks run in a child process. */
export const tasks = {
  /** Every client × workload of one backend family, interleaved over the runs after a warm-up pass. */
  async measure(a: Args): Promise<SectionResult> {
    const out = emptyResult();
    const rt = runtimeName();
    const b = nullBackend(a.kind, a.endpoint);
    const clients: [string, Client][] = [];
    for (
      const [who, make] of [
        ["stowage", () => stowageClient(b)],
        ["sdk", () => sdkClient(b)],
        ["raw", () => Promise.resolve(nullRaw(b))],
      ] as const
    ) {
      try {
        clients.push([who, await make()]);
      } catch (err) {
        out.notMeasured.push({
          section: "nullsdk",
          what: `${who} on ${a.kind} on ${rt}`,
          reason: errorText(err),
        });
      }
    }
    const ws = workloads(a);
    const failed = new Set<string>();
    const runs = new Map<string, number[]>();
    for (let r = -1; r < a.runs; r++) {
      for (const w of ws) {
        for (const [who, c] of clients) {
          const k = `${who}|${w.name}`;
          if (failed.has(k)) continue;
          try {
            const ms = await timeMs(() => w.run(c));
            if (r >= 0) {
              runs.set(k, [...(runs.get(k) ?? []), w.amount / (ms / 1000)]);
            }
          } catch (err) {
            failed.add(k);
            runs.delete(k);
            out.notMeasured.push({
              section: "nullsdk",
              what: `${who} ${w.name} on ${a.kind} on ${rt}`,
              reason: errorText(err),
            });
          }
        }
      }
    }
    for (const w of ws) {
      for (const [who] of clients) {
        const v = runs.get(`${who}|${w.name}`);
        if (!v) continue;
        out.measurements.push(
          {
            section: "nullsdk",
            backend: a.kind,
            client: who,
            op: w.name,
            runtime: rt,
            unit: w.unit,
            higherIsBetter: true,
            value: summarize(v),
          } satisfies Measurement,
        );
      }
    }
    return out;
  },
};

/**
 * Runs the section: one child per runtime and backend family.
 *
 * @param ctx the run's context
 * @returns the measurements
 */
export async function run(ctx: Context): Promise<SectionResult> {
  const out = emptyResult();
  const total = (ctx.full ? 1024 : 256) * MiB;
  const small = { count: 1000, size: 1024, inFlight: 16 };
  out.notes.push(
    `Every client against the bench's null server (node:http on 127.0.0.1, in its own process: ` +
      `it discards uploads and serves bytes from memory, speaking enough S3, Azure Blob and GCS ` +
      `JSON API for each client's large and small requests, and checking no signature), so ` +
      `the differences are the clients' own costs. Workloads are named as the AWS CRT S3 ` +
      `benchmarks name theirs: \`upload-${sizeName(total)}-1x\` is one streamed ${
        sizeName(total)
      } write from 1 MiB chunks, \`download-…\` one streamed read (bytes counted), ` +
      `\`upload|download|stat-${
        sizeName(small.size)
      }-${small.count}x\` ${small.count} small puts, ` +
      `gets or stats of ${sizeName(small.size)} objects, ${small.inFlight} in flight. Stowage ` +
      `and the SDKs run with their defaults (part size, concurrency, integrity: the AWS SDK's ` +
      `CRC32, the GCS SDK's CRC32C of every upload and whole read, Stowage's "auto" checksum); ` +
      `"raw" is unsigned \`fetch\` sending ${RAW_PART / MiB} MiB requests, ${RAW_CONCURRENCY} in ` +
      `flight (the protocol's parts or blocks; GCS media uploads) and reading with one GET. ` +
      `The null server serves no S3 checksum headers, so no client verifies S3 reads.`,
  );
  const server = await startNullServer();
  try {
    for (const rt of ctx.runtimes) {
      for (const kind of KINDS) {
        ctx.log(`nullsdk: ${kind} on ${rt}`);
        try {
          const r = await runTask<SectionResult>(
            rt,
            "sections/nullsdk.ts",
            "measure",
            {
              kind,
              endpoint: server.endpoint,
              total,
              ...small,
              runs: ctx.runs,
            } satisfies Args,
          );
          out.measurements.push(...r.measurements);
          out.notMeasured.push(...r.notMeasured);
        } catch (err) {
          out.notMeasured.push({
            section: "nullsdk",
            what: `${kind} on ${rt}`,
            reason: errorText(err),
          });
        }
      }
    }
  } finally {
    await server.stop();
  }
  return out;
}

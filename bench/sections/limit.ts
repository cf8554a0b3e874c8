/**
 * Section 4, the physical limit: the same 256 MiB (1 GiB with `--full`)
 * transfers against a null server on loopback (node:http: accepts and discards
 * uploads, serves bytes from memory), through raw `fetch` (the limit), through
 * Stowage's object-store core + HttpClient (no signing, no checksums), and
 * through the S3 flavor (SigV4, its default checksum, CRC32, none), on each runtime. The
 * ratios to raw fetch are Stowage's own overhead.
 *
 * @module
 */

import type { Context } from "../lib/context.ts";
import { drain, MiB, writeBytes } from "../lib/data.ts";
import { NullStore } from "../lib/null_store.ts";
import { hwmBytes, pool, rssBytes, rssSampler, runtimeName, timeMs } from "../lib/proc.ts";
import { BENCH, runTask, startServerProcess } from "../lib/spawn.ts";
import {
  emptyResult,
  errorText,
  type Measurement,
  type SectionResult,
  summarize,
} from "../lib/stats.ts";

interface Args {
  endpoint: string;
  total: number;
  partSize: number;
  concurrency: number;
  runs: number;
  only?: string[];
}

type Variant = { client: string; op: "write" | "read"; fn: () => Promise<unknown> };

/** Every path, each as a function that does one whole transfer. */
async function makeVariants(a: Args): Promise<Variant[]> {
  const { S3ArtifactStore } = await import("../../flavors/s3/mod.ts");
  const tuning = { partSize: a.partSize, concurrency: a.concurrency };
  const core = new NullStore({ path: "null://nullbucket", endpoint: a.endpoint, ...tuning });
  const s3 = (checksum: boolean | "crc32") =>
    new S3ArtifactStore({
      path: "s3://nullbucket",
      endpoint: a.endpoint,
      region: "us-east-1",
      accessKeyId: "NULLKEY",
      secretAccessKey: "nullsecret",
      forcePathStyle: true,
      checksum,
      ...tuning,
    });
  const s3md5 = s3(true);
  const s3plain = s3(false);
  const s3crc = s3("crc32");
  const key = `obj/${a.total}.bin`;
  const part = new Uint8Array(a.partSize).fill(7);
  const parts = Math.ceil(a.total / a.partSize);
  const variants: Variant[] = [
    {
      client: "raw",
      op: "write",
      fn: () =>
        pool(parts, a.concurrency, async (i) => {
          const n = Math.min(a.partSize, a.total - i * a.partSize);
          const url = `${a.endpoint}/nullbucket/${key}?partNumber=${i + 1}&uploadId=u`;
          const body = n === part.length ? part : part.subarray(0, n);
          const res = await fetch(url, { method: "PUT", body });
          await res.body?.cancel();
        }),
    },
    {
      client: "core",
      op: "write",
      fn: async () => writeBytes(await core.open(`null://nullbucket/${key}`, "wb"), a.total),
    },
    {
      client: "s3-nomd5",
      op: "write",
      fn: async () => writeBytes(await s3plain.open(`s3://nullbucket/${key}`, "wb"), a.total),
    },
    {
      client: "s3-crc32",
      op: "write",
      fn: async () => writeBytes(await s3crc.open(`s3://nullbucket/${key}`, "wb"), a.total),
    },
    {
      client: "s3",
      op: "write",
      fn: async () => writeBytes(await s3md5.open(`s3://nullbucket/${key}`, "wb"), a.total),
    },
    {
      client: "raw",
      op: "read",
      fn: async () => drain((await fetch(`${a.endpoint}/nullbucket/${key}`)).body!),
    },
    {
      client: "core",
      op: "read",
      fn: async () => drain(await core.open(`null://nullbucket/${key}`, "rb")),
    },
    {
      client: "s3",
      op: "read",
      fn: async () => drain(await s3md5.open(`s3://nullbucket/${key}`, "rb")),
    },
  ];
  return variants.filter((v) => !a.only || a.only.includes(v.client));
}

/** Tasks run in a child process. */
export const tasks = {
  /** Every variant, interleaved over the runs (after one warm-up pass), on this runtime. */
  async measure(a: Args): Promise<SectionResult> {
    const out = emptyResult();
    const variants = await makeVariants(a);
    for (const v of variants) await v.fn().catch(() => {});
    const rt = runtimeName();
    const res = new Map<string, number[]>();
    for (let r = 0; r < a.runs; r++) {
      for (const v of variants) {
        try {
          const ms = await timeMs(v.fn);
          const k = `${v.client}|${v.op}`;
          res.set(k, [...(res.get(k) ?? []), a.total / 1e6 / (ms / 1000)]);
        } catch (err) {
          out.notMeasured.push({
            section: "limit",
            what: `${v.client} ${v.op} on ${rt}`,
            reason: errorText(err),
          });
        }
      }
    }
    for (const [k, runs] of res) {
      const [client, op] = k.split("|");
      out.measurements.push(
        {
          section: "limit",
          backend: "null",
          client,
          op,
          runtime: rt,
          unit: "MB/s",
          higherIsBetter: true,
          value: summarize(runs),
        } satisfies Measurement,
      );
    }
    return out;
  },
  /** Peak RSS of one write path, alone in this (fresh) process. */
  async rssOf(a: Args & { client: string }): Promise<{ peak: number; base: number }> {
    const v = (await makeVariants({ ...a, only: [a.client] })).find((v) => v.op === "write")!;
    const base = rssBytes();
    const sampler = rssSampler(10);
    await v.fn();
    return { peak: Math.max(sampler.stop(), hwmBytes() ?? 0), base };
  },
};

/** Starts the null server in a `node` child; resolves its endpoint and a stop function. */
export async function startNullServer(): Promise<
  { endpoint: string; stop(): Promise<void> }
> {
  const server = await startServerProcess("node", [`${BENCH}/lib/null_server.mjs`], 10_000);
  return { endpoint: server.url, stop: server.stop };
}

/**
 * Runs the section on every runtime.
 *
 * @param ctx the run's context
 * @returns the measurements
 */
export async function run(ctx: Context): Promise<SectionResult> {
  const out = emptyResult();
  const total = (ctx.full ? 1024 : 256) * MiB;
  const partSize = 8 * MiB;
  const concurrency = 4;
  out.notes.push(
    `${total / MiB} MiB per transfer against a node:http null server on 127.0.0.1 (in its own ` +
      `process); writes in ${partSize / MiB} MiB parts, ${concurrency} in flight, on every path ` +
      `(raw fetch sends the parts from one preallocated buffer); "core" = ObjectStore + ` +
      `HttpClient with no signing or checksums; "s3" = the S3 flavor with its default checksum ` +
      `("auto": Content-MD5 per part on a custom endpoint such as this one), "s3-crc32" the ` +
      `same with checksum: "crc32" (what "auto" sends to AWS), "s3-nomd5" with checksum: ` +
      `false. The peak RSS of each write path is ` +
      `measured once more, alone in a fresh process.`,
  );
  const server = await startNullServer();
  const args = { endpoint: server.endpoint, total, partSize, concurrency, runs: ctx.runs };
  try {
    for (const rt of ctx.runtimes) {
      ctx.log(`limit: ${rt}`);
      try {
        const r = await runTask<SectionResult>(rt, "sections/limit.ts", "measure", args);
        for (const m of r.measurements.filter((m) => m.op === "write")) {
          try {
            const x = await runTask<{ peak: number; base: number }>(
              rt,
              "sections/limit.ts",
              "rssOf",
              { ...args, client: m.client },
            );
            m.rssMiB = summarize([x.peak / MiB]);
            m.rssBaseMiB = summarize([x.base / MiB]);
          } catch (err) {
            out.notMeasured.push({
              section: "limit",
              what: `peak RSS of ${m.client} write on ${rt}`,
              reason: errorText(err),
            });
          }
        }
        out.measurements.push(...r.measurements);
        out.notMeasured.push(...r.notMeasured);
      } catch (err) {
        out.notMeasured.push({ section: "limit", what: `on ${rt}`, reason: errorText(err) });
      }
    }
  } finally {
    await server.stop();
  }
  return out;
}

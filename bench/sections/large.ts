/**
 * Section 2, large objects: a streamed write and read of 256 MiB (1 GiB with
 * `--full`), in MB/s and peak RSS, each measurement in a fresh process: Stowage
 * on Deno, Node and Bun, and the SDKs' streamed uploads (`@aws-sdk/lib-storage`
 * Upload, Azure `uploadStream`, GCS `createWriteStream`) and downloads on Node,
 * with their default part size and concurrency and with Stowage's.
 *
 * @module
 */

import {
  type BackendInfo,
  flavorMissing,
  rawClient,
  sdkClient,
  stowageClient,
  stowageStore,
  type Tuning,
} from "../lib/backends.ts";
import type { Context } from "../lib/context.ts";
import { MiB } from "../lib/data.ts";
import { hwmBytes, rssBytes, rssSampler } from "../lib/proc.ts";
import { runTask, type Runtime } from "../lib/spawn.ts";
import {
  emptyResult,
  errorText,
  type Measurement,
  type SectionResult,
  summarize,
} from "../lib/stats.ts";

interface Args {
  backend: BackendInfo;
  who: "stowage" | "sdk" | "raw";
  op: "write" | "read";
  key: string;
  total: number;
  tuning?: Tuning;
}

/** One transfer's outcome. */
interface Transfer {
  ms: number;
  bytes: number;
  peak: number;
  base: number;
}

/** Tasks run in a child process. */
export const tasks = {
  /** One streamed write or read, timed, with the process's RSS sampled. */
  async transfer(a: Args): Promise<Transfer> {
    const client = a.who === "stowage"
      ? await stowageClient(a.backend, a.tuning)
      : a.who === "raw"
      ? await rawClient(a.backend)
      : await sdkClient(a.backend);
    const base = rssBytes();
    const sampler = rssSampler(10);
    const t0 = performance.now();
    let bytes = a.total;
    if (a.op === "write") {
      await client.upload(a.key, a.total, a.who === "sdk" ? a.tuning : undefined);
    } else bytes = await client.download(a.key);
    const ms = performance.now() - t0;
    const peak = Math.max(sampler.stop(), hwmBytes() ?? 0);
    if (bytes !== a.total) throw new Error(`read ${bytes} bytes, expected ${a.total}`);
    return { ms, bytes, peak, base };
  },
  /** Stowage's default part size and concurrency for a backend. */
  async defaults(a: { backend: BackendInfo }): Promise<Tuning> {
    const s = await stowageStore(a.backend, "bench") as unknown as Tuning;
    return { partSize: s.partSize, concurrency: s.concurrency };
  },
  /** Removes the bench's large objects. */
  async cleanup(a: { backend: BackendInfo; keys: string[] }): Promise<void> {
    const s = await stowageStore(a.backend, "bench");
    for (const k of a.keys) await s.remove(`${s.path}/${k}`).catch(() => {});
  },
};

const mib = (b: number) => b / MiB;
/** The largest object the GCS emulator takes in one request (it refuses bodies over 130 MB). */
const GCS_MAX = 120 * MiB;

/** One client on one runtime. */
interface Job {
  client: string;
  runtime: Runtime;
  who: "stowage" | "sdk" | "raw";
  tuning?: Tuning;
  note?: string;
}

/**
 * Runs the section.
 *
 * @param ctx the run's context
 * @returns the measurements
 */
export async function run(ctx: Context): Promise<SectionResult> {
  const out = emptyResult();
  const fullTotal = (ctx.full ? 1024 : 256) * MiB;
  for (const m of ctx.missing) {
    out.notMeasured.push({ section: "large", what: m.id, reason: m.reason });
  }
  out.notes.push(
    `${mib(fullTotal)} MiB per transfer, streamed from/into 1 MiB chunks; every measurement in a ` +
      `fresh process; peak RSS = the larger of RSS sampled every 10 ms and the kernel's ` +
      `high-water mark (VmHWM), so it includes the runtime's own baseline (given as "base"). ` +
      `"raw fetch" reads the object Stowage wrote with the runtime's plain \`fetch\` (signed the ` +
      `same way), to show what the runtime's fetch itself costs.`,
  );
  const backends = ctx.backends.filter((b) => ctx.full || b.id !== "s3-ceph");
  if (!ctx.full && ctx.backends.some((b) => b.id === "s3-ceph")) {
    out.notMeasured.push({
      section: "large",
      what: "s3-ceph",
      reason: "quick tier: Ceph RGW is measured with --full only (fauxqs stands for S3)",
    });
  }
  for (const b of backends) {
    const missing = flavorMissing(b.kind);
    // The GCS emulator takes single requests of at most 130 MB (and no multi-chunk uploads).
    const total = b.kind === "gcs" ? Math.min(fullTotal, GCS_MAX) : fullTotal;
    let ours: Tuning;
    try {
      ours = missing
        ? { partSize: 8 * MiB, concurrency: 4 }
        : await runTask<Tuning>("deno", "sections/large.ts", "defaults", { backend: b });
    } catch (err) {
      out.notMeasured.push({ section: "large", what: b.id, reason: errorText(err) });
      continue;
    }
    let gcsNote = "";
    if (b.kind === "gcs") {
      // The firebase emulator finalizes a resumable upload at its first chunk:
      // writes there must be one request (part size above the object size).
      ours = { partSize: total + 256 * 1024, concurrency: ours.concurrency };
      gcsNote = `GCS emulator: ${mib(total)} MiB, part size above the object size (one ` +
        "request; the whole object is buffered)";
      out.notes.push(
        `GCS (firebase emulator): multi-chunk resumable uploads do not work there and it refuses ` +
          `single requests over 130 MB, so GCS transfers are ${mib(total)} MiB on every tier, ` +
          `Stowage writes with a part size above the object size (${mib(ours.partSize)} MiB: one ` +
          `request, the whole object buffered in memory) and the SDK's "ours" run uses the same ` +
          `chunkSize; the SDK's default createWriteStream is one streaming resumable request.`,
      );
    }
    // Stowage: per runtime (quick: every runtime on S3, elsewhere Node only, the SDKs' runtime).
    const runtimes: Runtime[] = ctx.full || b.kind === "s3"
      ? ctx.runtimes
      : ctx.runtimes.filter((r) => r === "node").slice(0, 1);
    if (runtimes.length < ctx.runtimes.length) {
      out.notMeasured.push({
        section: "large",
        what: `${b.id} stowage on ${ctx.runtimes.filter((r) => !runtimes.includes(r)).join(", ")}`,
        reason:
          "quick tier: backends other than S3 run Stowage on Node only, beside the SDK (all runtimes with --full)",
      });
    }
    const jobs: Job[] = [];
    if (missing) {
      out.notMeasured.push({ section: "large", what: `${b.id} stowage`, reason: missing });
    } else {
      for (const rt of runtimes) {
        jobs.push({
          client: "stowage",
          runtime: rt,
          who: "stowage",
          tuning: ours,
          note: gcsNote || `part ${mib(ours.partSize)} MiB × ${ours.concurrency} in flight`,
        });
      }
      // Raw fetch reads the object Stowage wrote: what the runtime's fetch itself does.
      jobs.push({ client: "raw", runtime: "node", who: "raw" });
    }
    jobs.push({ client: "sdk", runtime: "node", who: "sdk", note: "SDK defaults" });
    jobs.push({
      client: "sdk-ours",
      runtime: "node",
      who: "sdk",
      tuning: ours,
      note: `SDK with Stowage's part ${mib(ours.partSize)} MiB × ${ours.concurrency}`,
    });
    const res = new Map<string, { ms: number[]; peak: number[]; base: number[]; job: Job }>();
    const keys = new Set<string>();
    for (let r = 0; r < ctx.runs; r++) {
      for (const job of jobs) {
        for (const op of ["write", "read"] as const) {
          // The SDK's read does not depend on its upload settings: read once per run.
          if (op === "read" && job.client === "sdk-ours") continue;
          if (op === "write" && job.who === "raw") continue;
          // One key for every client: each write replaces the last (the emulators keep
          // objects in memory; Ceph's memstore holds 4 GiB), and raw fetch reads the
          // object the last Stowage job wrote.
          const key = "large/object.bin";
          keys.add(key);
          ctx.log(
            `large: ${b.id} ${job.client} ${op} on ${job.runtime} (run ${r + 1}/${ctx.runs})`,
          );
          const id = `${job.client}|${job.runtime}|${op}`;
          try {
            const t = await runTask<Transfer>(
              job.runtime,
              "sections/large.ts",
              "transfer",
              {
                backend: b,
                who: job.who,
                op,
                key,
                total,
                tuning: job.tuning,
              } satisfies Args,
            );
            const e = res.get(id) ?? { ms: [], peak: [], base: [], job };
            e.ms.push(t.ms);
            e.peak.push(mib(t.peak));
            e.base.push(mib(t.base));
            res.set(id, e);
          } catch (err) {
            out.notMeasured.push({
              section: "large",
              what: `${b.id} ${job.client} ${op} on ${job.runtime} (run ${r + 1})`,
              reason: errorText(err),
            });
          }
        }
      }
    }
    for (const [id, e] of res) {
      const op = id.split("|")[2];
      out.measurements.push(
        {
          section: "large",
          backend: b.id,
          client: e.job.client,
          op,
          runtime: e.job.runtime,
          unit: "MB/s",
          higherIsBetter: true,
          value: summarize(e.ms.map((ms) => total / 1e6 / (ms / 1000))),
          rssMiB: summarize(e.peak),
          rssBaseMiB: summarize(e.base),
          note: op === "write" ? e.job.note : b.kind === "gcs" ? `${mib(total)} MiB` : undefined,
        } satisfies Measurement,
      );
    }
    if (!missing) {
      await runTask("deno", "sections/large.ts", "cleanup", { backend: b, keys: [...keys] })
        .catch(() => {});
    }
  }
  return out;
}

/**
 * Section 3, listing: walk (one delimiter listing per directory, like
 * `os.walk`) and glob (`**\/f1*.bin`: one flat listing, filtered) over 10,000
 * objects (2,000 in the quick tier), and rmtree of as many, for Stowage and the
 * official SDK (the same algorithms written with the SDK: recursive delimiter
 * listings; a flat listing + regex; list + batch delete — S3 DeleteObjects by
 * 1,000, Azure blob batch by 256, GCS `bucket.deleteFiles`).
 *
 * @module
 */

import process from "node:process";
import {
  type BackendInfo,
  type Client,
  flavorMissing,
  GLOB_RE,
  sdkClient,
  stowageClient,
  stowageStore,
} from "../lib/backends.ts";
import type { Context } from "../lib/context.ts";
import { pool, runtimeName, timeMs } from "../lib/proc.ts";
import { runTask } from "../lib/spawn.ts";
import {
  emptyResult,
  errorText,
  type Measurement,
  type SectionResult,
  summarize,
} from "../lib/stats.ts";

interface Args {
  backend: BackendInfo;
  runs: number;
  count: number;
  /** Measure rmtree too (it needs two fresh populations per run). */
  rmtree: boolean;
  /** Objects in each rmtree population (the quick tier's 2,000 on every tier). */
  rmtreeCount: number;
}

/** The key of object i in a tree: 10 × 10 directories, count/100 files in each. */
function keyOf(prefix: string, i: number): string {
  return `${prefix}/d${i % 10}/e${Math.floor(i / 10) % 10}/f${i}.bin`;
}

/** Tasks run in a child process. */
export const tasks = {
  /** Walk, glob and rmtree for Stowage and the SDK against one backend. */
  async measure(a: Args): Promise<SectionResult> {
    const out = emptyResult();
    const rt = runtimeName();
    const stowage = await stowageClient(a.backend);
    const store = await stowageStore(a.backend, "bench");
    let sdk: Client | undefined;
    try {
      sdk = await sdkClient(a.backend);
    } catch (err) {
      out.notMeasured.push({
        section: "listing",
        what: `${a.backend.id} sdk`,
        reason: errorText(err),
      });
    }
    const body = new Uint8Array(16);
    const t0 = performance.now();
    const trace = (msg: string) => {
      if (process.env.BENCH_VERBOSE) {
        console.error(
          `${((performance.now() - t0) / 1000).toFixed(1)}s ${a.backend.id} ${msg}`,
        );
      }
    };
    const populate = async (prefix: string, count = a.count) => {
      await pool(count, 32, (i) => stowage.put(keyOf(prefix, i), body));
      trace(`populated ${prefix}`);
    };
    const expectGlob = Array.from({ length: a.count }, (_, i) => keyOf("x", i))
      .filter((k) => GLOB_RE.test(k)).length;
    const tag = `${Date.now().toString(36)}`;
    const tree = `list/${tag}/tree`;
    await populate(tree);
    const res = new Map<string, number[]>();
    const add = (k: string, ms: number) => res.set(k, [...(res.get(k) ?? []), ms]);
    const clients: [string, Client][] = [["stowage", stowage]];
    if (sdk) clients.push(["sdk", sdk]);
    const fail = (what: string, err: unknown) =>
      out.notMeasured.push({
        section: "listing",
        what: `${a.backend.id} ${what} on ${rt}`,
        reason: errorText(err),
      });
    for (let r = 0; r < a.runs; r++) {
      for (const [name, c] of clients) {
        try {
          let n = 0;
          add(
            `${name}|walk`,
            await timeMs(async () => (n = await c.walk(tree))),
          );
          if (n !== a.count) {
            throw new Error(`walk saw ${n} files, expected ${a.count}`);
          }
        } catch (err) {
          fail(`${name} walk`, err);
        }
        try {
          let n = 0;
          add(
            `${name}|glob`,
            await timeMs(async () => (n = await c.glob(tree, GLOB_RE))),
          );
          if (n !== expectGlob) {
            throw new Error(`glob found ${n}, expected ${expectGlob}`);
          }
        } catch (err) {
          fail(`${name} glob`, err);
        }
      }
      for (const [name, c] of a.rmtree ? clients : []) {
        const doomed = `list/${tag}/rm-${name}-${r}`;
        try {
          await populate(doomed, a.rmtreeCount);
          add(`${name}|rmtree`, await timeMs(() => c.rmtree(doomed)));
          trace(`${name} rmtree`);
          if (await store.exists(`${store.path}/${doomed}`)) {
            throw new Error("objects remain after rmtree");
          }
        } catch (err) {
          fail(`${name} rmtree`, err);
        }
      }
    }
    await store.rmtree(`${store.path}/list/${tag}`).catch(() => {});
    for (const [k, runs] of res) {
      const [client, op] = k.split("|");
      out.measurements.push(
        {
          section: "listing",
          backend: a.backend.id,
          client,
          op,
          runtime: rt,
          unit: "ms",
          higherIsBetter: false,
          value: summarize(runs),
        } satisfies Measurement,
      );
    }
    return out;
  },
};

/**
 * Runs the section: one child per backend and runtime.
 *
 * @param ctx the run's context
 * @returns the measurements
 */
export async function run(ctx: Context): Promise<SectionResult> {
  const out = emptyResult();
  const count = ctx.full ? 10_000 : 2_000;
  // rmtree needs two fresh populations per run; at 10,000 objects that is 100,000
  // writes per backend, and the in-memory emulators slow down as they fill.
  const rmtreeCount = Math.min(count, 2_000);
  out.notes.push(
    `${count.toLocaleString("en")} objects of 16 bytes in 100 directories (2 levels of 10)` +
      (ctx.full ? "" : " — the quick tier lists 2,000 objects instead of 10,000") +
      `; walk = a delimiter listing per directory, glob = \`**/f1*.bin\` with one flat listing, ` +
      `rmtree = list + batch deletes of a tree of ${rmtreeCount.toLocaleString("en")} objects ` +
      `shaped the same way; the objects are written before each timed step, untimed.`,
  );
  for (const m of ctx.missing) {
    out.notMeasured.push({ section: "listing", what: m.id, reason: m.reason });
  }
  const backends = ctx.backends.filter((b) => ctx.full || b.id !== "s3-ceph");
  if (backends.length < ctx.backends.length) {
    out.notMeasured.push({
      section: "listing",
      what: "s3-ceph",
      reason: "quick tier: Ceph RGW is measured with --full only (fauxqs stands for S3)",
    });
  }
  const runtimes = ctx.full ? ctx.runtimes : ctx.runtimes.filter((r) => r === "node").slice(0, 1);
  if (!ctx.full) {
    out.notes.push(
      "Quick tier: listing runs on Node only (every runtime with --full).",
    );
  }
  // rmtree writes the objects twice per run: measure it on one runtime (Node if there).
  const rmtreeOn = runtimes.includes("node") ? "node" : runtimes[0];
  if (runtimes.length > 1) {
    out.notes.push(
      `rmtree is measured on ${rmtreeOn} only (each run writes its ${
        rmtreeCount.toLocaleString("en")
      } ` +
        "objects twice); walk and glob on every runtime.",
    );
  }
  for (const b of backends) {
    const missing = flavorMissing(b.kind);
    if (missing) {
      out.notMeasured.push({ section: "listing", what: b.id, reason: missing });
      continue;
    }
    for (const rt of runtimes) {
      ctx.log(`listing: ${b.id} on ${rt}`);
      try {
        const r = await runTask<SectionResult>(
          rt,
          "sections/listing.ts",
          "measure",
          {
            backend: b,
            runs: ctx.runs,
            count,
            rmtree: rt === rmtreeOn,
            rmtreeCount,
          } satisfies Args,
        );
        out.measurements.push(...r.measurements);
        out.notMeasured.push(...r.notMeasured);
      } catch (err) {
        out.notMeasured.push({
          section: "listing",
          what: `${b.id} on ${rt}`,
          reason: errorText(err),
        });
      }
    }
  }
  return out;
}

/**
 * Section 1, small objects: 1 KiB put, get and stat, sequential and 16 in
 * flight, in ops/s, for Stowage, the official SDK and raw signed `fetch`, on the
 * same emulator in the same process (runs interleaved, so drift hits all three).
 *
 * @module
 */

import {
  type BackendInfo,
  type Client,
  flavorMissing,
  rawClient,
  sdkClient,
  stowageClient,
  stowageStore,
} from "../lib/backends.ts";
import type { Context } from "../lib/context.ts";
import { bytesOf } from "../lib/data.ts";
import { runtimeName, timeMs } from "../lib/proc.ts";
import { runTask } from "../lib/spawn.ts";
import {
  emptyResult,
  errorText,
  type Measurement,
  type SectionResult,
  summarize,
} from "../lib/stats.ts";

const SIZE = 1024;
const INFLIGHT = 16;
/** Round trips per client before measuring (connections, JIT). */
const WARMUP = 100;

interface Args {
  backend: BackendInfo;
  runs: number;
  seqOps: number;
  concOps: number;
  /** No new operation starts after this many ms (slow emulators). */
  maxMs: number;
}

/**
 * Runs `fn` over up to `count` indexes, `limit` at a time, starting none after
 * `deadline` (a `performance.now()` value).
 *
 * @returns how many ran
 */
async function poolUntil(
  count: number,
  limit: number,
  deadline: number,
  fn: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < count && (next < limit || performance.now() < deadline)) {
      const i = next++;
      try {
        await fn(i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failed !== undefined) throw failed;
  return next;
}

/** Tasks run in a child process. */
export const tasks = {
  /** All clients, ops and modes against one backend. */
  async measure(a: Args): Promise<SectionResult> {
    const out = emptyResult();
    const clients: [string, Client][] = [];
    const makers: [string, () => Promise<Client>][] = [
      ["stowage", () => stowageClient(a.backend)],
      ["sdk", () => sdkClient(a.backend)],
      ["raw", () => rawClient(a.backend)],
    ];
    for (const [name, make] of makers) {
      try {
        const c = await make();
        // Warm up (connections, JIT) and prove the round trip works.
        const data = bytesOf(SIZE);
        for (let i = 0; i < WARMUP; i++) await c.put(`small/${name}/w${i}`, data);
        for (let i = 0; i < WARMUP; i++) {
          if ((await c.get(`small/${name}/w${i}`)) !== SIZE) {
            throw new Error("short read");
          }
          await c.stat(`small/${name}/w${i}`);
        }
        clients.push([name, c]);
      } catch (err) {
        out.notMeasured.push({
          section: "small",
          what: `${a.backend.id} ${name}`,
          reason: errorText(err),
        });
      }
    }
    const rt = runtimeName();
    const data = bytesOf(SIZE);
    const results = new Map<string, number[]>();
    const add = (k: string, v: number) => results.set(k, [...(results.get(k) ?? []), v]);
    for (let r = 0; r < a.runs; r++) {
      // Rotate the order every run, so no client always goes first.
      const order = clients.map((_, i) => clients[(i + r) % clients.length]);
      for (const [name, c] of order) {
        for (
          const [mode, n, limit] of [["seq", a.seqOps, 1], [
            "c16",
            a.concOps,
            INFLIGHT,
          ]] as const
        ) {
          const key = (i: number) => `small/${name}/${mode}${i}`;
          // Gets and stats go round the keys the put step wrote.
          let written = n;
          const ops: [string, (i: number) => Promise<unknown>][] = [
            ["put", (i) => c.put(key(i), data)],
            ["get", (i) => c.get(key(i % written))],
            ["stat", (i) => c.stat(key(i % written))],
          ];
          for (const [op, fn] of ops) {
            try {
              let done = 0;
              const ms = await timeMs(async () => {
                done = await poolUntil(n, limit, performance.now() + a.maxMs, fn);
              });
              if (op === "put") written = Math.max(1, done);
              add(`${name}|${op}|${mode}`, done / (ms / 1000));
            } catch (err) {
              out.notMeasured.push({
                section: "small",
                what: `${a.backend.id} ${name} ${op} ${mode}`,
                reason: errorText(err),
              });
            }
          }
        }
      }
    }
    // Leave the emulator as it was: later sections list and time it.
    await stowageStore(a.backend, "bench")
      .then((s) => s.rmtree(`${s.path}/small`))
      .catch(() => {});
    for (const [k, runs] of results) {
      const [client, op, mode] = k.split("|");
      out.measurements.push(
        {
          section: "small",
          backend: a.backend.id,
          client,
          op,
          mode,
          runtime: rt,
          unit: "ops/s",
          higherIsBetter: true,
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
  const seqOps = ctx.full ? 200 : 100;
  const concOps = ctx.full ? 800 : 320;
  const maxMs = ctx.full ? 2000 : 1500;
  out.notes.push(
    `${SIZE}-byte objects; each run does ${seqOps} sequential operations and ${concOps} with ` +
      `${INFLIGHT} in flight per client and operation, or as many as start within ` +
      `${maxMs / 1000} s on a slow emulator (after ${WARMUP} warm-up round trips); ` +
      `${ctx.runs} runs, interleaved across the three clients, in a rotating order.`,
  );
  for (const m of ctx.missing) {
    out.notMeasured.push({ section: "small", what: m.id, reason: m.reason });
  }
  // Quick tier: Node only (the SDKs' home runtime) and no Ceph; --full: everything.
  const runtimes = ctx.full ? ctx.runtimes : ctx.runtimes.filter((r) => r === "node").slice(0, 1);
  const backends = ctx.backends.filter((b) => ctx.full || b.id !== "s3-ceph");
  if (!ctx.full) {
    out.notes.push("Quick tier: small objects run on Node only (every runtime with --full).");
    if (backends.length < ctx.backends.length) {
      out.notMeasured.push({
        section: "small",
        what: "s3-ceph",
        reason: "quick tier: Ceph RGW is measured with --full only (fauxqs stands for S3)",
      });
    }
  }
  if (backends.some((b) => b.id === "s3-ceph")) {
    out.notes.push(
      "Ceph RGW answers each sequential small GET after ~45 ms, for all three clients alike (a " +
        "delay on the server side): its sequential get rate is the emulator's, not the clients'.",
    );
  }
  for (const b of backends) {
    const missing = flavorMissing(b.kind);
    for (const rt of runtimes) {
      ctx.log(`small: ${b.id} on ${rt}`);
      try {
        const r = await runTask<SectionResult>(
          rt,
          "sections/small.ts",
          "measure",
          {
            backend: b,
            runs: ctx.runs,
            seqOps,
            concOps,
            maxMs,
          } satisfies Args,
        );
        out.measurements.push(...r.measurements);
        out.notMeasured.push(
          ...r.notMeasured.map((n) => ({ ...n, what: `${n.what} on ${rt}` })),
        );
      } catch (err) {
        out.notMeasured.push({
          section: "small",
          what: `${b.id} on ${rt}`,
          reason: errorText(err),
        });
      }
    }
    if (missing) {
      // The child reported the flavor's import error; say plainly why.
      for (const n of out.notMeasured) {
        if (n.what.startsWith(`${b.id} stowage`)) n.reason = missing;
      }
    }
  }
  return out;
}

/**
 * Section 9, the `http` flavor to the Hono server: one 256 MiB upload (1 GiB
 * with `--full`) through the `http` flavor (1 MiB writes, one streamed PUT) from
 * each runtime to `artifactStoreApp` served by each runtime's server (Deno.serve,
 * Bun.serve, @hono/node-server), beside `curl -T` of the same number of bytes
 * from a file to the same server in the same run. The served store counts and
 * discards what it receives (`tests/hono/_sink_server.ts`, the streaming test's
 * server), so the figures are the client's and the server's HTTP path alone;
 * the server's CPU time per upload is read from `/proc`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import type { Context } from "../lib/context.ts";
import { MiB, sourceChunk } from "../lib/data.ts";
import { timeMs } from "../lib/proc.ts";
import {
  commandFor,
  ROOT,
  runProcess,
  runTask,
  type Runtime,
  type ServerProcess,
  startServerProcess,
} from "../lib/spawn.ts";
import { emptyResult, errorText, type SectionResult, summarize } from "../lib/stats.ts";

/** Tasks run in a child process. */
export const tasks = {
  /**
   * Uploads `total` bytes through the http flavor `runs` times (after a 16 MiB
   * warm-up) and returns each upload's milliseconds.
   */
  async upload(a: { url: string; total: number; runs: number }): Promise<number[]> {
    const { upload } = await import("../../tests/hono/_upload.ts");
    await upload(a.url, "warmup.bin", 16 * MiB);
    const times: number[] = [];
    for (let i = 0; i < a.runs; i++) {
      times.push(await timeMs(() => upload(a.url, `run-${i}.bin`, a.total)));
    }
    return times;
  },
};

/** User + system CPU seconds of a process so far (Linux), or NaN. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
  } catch {
    return NaN;
  }
}

/** Bytes the sink received since its last reset. */
async function received(url: string, reset = false): Promise<number> {
  const res = await fetch(`${url}/${reset ? "__reset" : "__stats"}`);
  const j = await res.json() as { received?: number };
  return j.received ?? 0;
}

/** One file of `total` bytes for curl to send. */
async function curlSource(dir: string, total: number): Promise<string> {
  const path = `${dir}/serve-${total}.bin`;
  const f = await open(path, "w");
  const chunk = sourceChunk();
  for (let n = 0; n < total; n += chunk.length) {
    await f.write(chunk, 0, Math.min(chunk.length, total - n));
  }
  await f.close();
  return path;
}

/**
 * Measures every client runtime and curl against every server runtime.
 *
 * @param ctx the run's context
 * @returns the measurements
 */
export async function run(ctx: Context): Promise<SectionResult> {
  const out = emptyResult();
  const total = (ctx.full ? 1024 : 256) * MiB;
  const op = `upload-${total / MiB}MiB-1x`;
  out.notes.push(
    `One ${total / MiB} MiB upload per run through the \`http\` flavor (1 MiB writes: one ` +
      `streamed PUT, chunked) from each runtime, and \`curl -T\` of a ${total / MiB} MiB file ` +
      `(Content-Length, from the page cache), to \`artifactStoreApp\` on each runtime's server ` +
      `(Deno.serve, Bun.serve, @hono/node-server) over a store that counts and discards the ` +
      `bytes, so both ends' HTTP paths are all that is measured; "server CPU" is the server ` +
      `process's user + system time per upload (median over the runs). Every upload's bytes ` +
      `are checked to have arrived in full.`,
  );
  const file = await curlSource(ctx.tmp, total);
  for (const serverRt of ctx.runtimes) {
    ctx.log(`serve: ${serverRt} server`);
    let server: ServerProcess;
    try {
      server = await startServerProcess(
        ...commandFor(serverRt, `${ROOT}/tests/hono/_sink_server.ts`, []),
      );
    } catch (err) {
      out.notMeasured.push({
        section: "serve",
        what: `the ${serverRt} server`,
        reason: errorText(err),
      });
      continue;
    }
    const backend = serverRt;
    try {
      const clients: (Runtime | "curl")[] = ["curl", ...ctx.runtimes];
      for (const client of clients) {
        try {
          await received(server.url, true);
          const cpu0 = cpuSeconds(server.pid);
          let times: number[];
          if (client === "curl") {
            times = [];
            for (let i = 0; i < ctx.runs + 1; i++) {
              const r = await runProcess("curl", [
                "-sS",
                "-T",
                file,
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{time_total}",
                `${server.url}/files/curl-${i}.bin`,
              ], { timeoutMs: 600_000 });
              const [status, secs] = r.stdout.trim().split(" ");
              if (r.code !== 0 || status !== "201") {
                throw new Error(`curl: exit ${r.code}, HTTP ${status}: ${r.stderr.trim()}`);
              }
              if (i > 0) times.push(Number(secs) * 1000); // the first warms the server up
            }
          } else {
            times = await runTask<number[]>(client, "sections/serve.ts", "upload", {
              url: server.url,
              total,
              runs: ctx.runs,
            }, { timeoutMs: 900_000 });
          }
          const got = await received(server.url);
          // The server's CPU over every byte it took in (warm-up included), per upload.
          const cpu = (cpuSeconds(server.pid) - cpu0) * total / got;
          const warm = client === "curl" ? total : 16 * MiB;
          if (got !== warm + total * times.length) {
            throw new Error(`the server received ${got} bytes, not ${warm + total * times.length}`);
          }
          out.measurements.push({
            section: "serve",
            backend,
            client: client === "curl" ? "curl" : "stowage",
            op,
            runtime: client,
            unit: "MB/s",
            higherIsBetter: true,
            value: summarize(times.map((ms) => total / 1e6 / (ms / 1000))),
            note: Number.isFinite(cpu) ? `server CPU ${cpu.toFixed(2)} s per upload` : undefined,
          });
        } catch (err) {
          out.notMeasured.push({
            section: "serve",
            what: `${client} → ${serverRt} server`,
            reason: errorText(err),
          });
        }
      }
    } finally {
      await server.stop();
    }
  }
  return out;
}

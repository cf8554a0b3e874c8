// A 100 MiB PUT streams through the adapter: the server never holds the body.
// Proved two ways on the runtime running this file:
// - in-process: the store's sink receives the bytes while the client is still
//   producing them (the lag between the two stays bounded);
// - out of process: a server child process's RSS grows far less than what passes
//   through it: after a 100 MiB warm-up, 300 MiB more move it by less than a
//   third of that (a buffering server would grow by 300 MiB). What growth there
//   is is garbage not yet collected: measured here, Bun +5, Node +1 to +30 and
//   Deno +40 to +85 MiB, flat after that (2 GiB through Deno: +110 MiB).
// The client is the http flavor (a streamed PUT with `redirect: "error"`), in a
// process of its own for the RSS measurement (tests/hono/_sink_client.ts).

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { MemoryArtifactStore, type WriteKind, type WriteOptions } from "../../mod.ts";
import { artifactStoreApp } from "../../src/hono/mod.ts";
import { MiB, upload } from "./_upload.ts";
import { runtimeName } from "../_env.ts";
import { tsxImport } from "../_deps.ts";
import { serveOnRuntime } from "./_serve.ts";

const TOTAL = 100 * MiB;
const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(
  /\/$/,
  "",
);

test("100 MiB PUT: the sink receives bytes while the client still sends (bounded lag)", async () => {
  let produced = 0;
  let consumed = 0;
  let maxLag = 0;
  let writes = 0;
  class Sink extends MemoryArtifactStore {
    protected override openWrite(
      _rel: string,
      _kind: WriteKind,
      options: WriteOptions,
    ): Promise<WritableStream<Uint8Array>> {
      return Promise.resolve(
        new WritableStream<Uint8Array>({
          write(chunk) {
            writes++;
            consumed += chunk.length;
            maxLag = Math.max(maxLag, produced - consumed);
            options.onProgress?.(consumed);
          },
        }),
      );
    }
  }
  const store = new Sink({ path: `memory://sink-lag-${Date.now()}` });
  const server = await serveOnRuntime(
    artifactStoreApp(store, { hostname: "127.0.0.1" }).fetch,
  );
  try {
    await upload(server.url, "big.bin", TOTAL, (p) => {
      produced = p;
      maxLag = Math.max(maxLag, produced - consumed);
    });
  } finally {
    await server.close();
  }
  assert.equal(consumed, TOTAL);
  assert.ok(writes > 10, `the body arrived in ${writes} pieces`);
  console.log(
    `${server.kind}: max lag between client and store ${
      (maxLag / MiB).toFixed(1)
    } MiB over ${writes} writes`,
  );
  assert.ok(
    maxLag < 32 * MiB,
    `the store fell ${(maxLag / MiB).toFixed(1)} MiB behind the client`,
  );
});

/** The command that runs `script` on `runtime` (the one running this file). */
function scriptCommand(script: string, args: string[] = []): [string, string[]] {
  const runtime = runtimeName();
  return runtime === "deno"
    ? [
      // deno-lint-ignore no-explicit-any
      (globalThis as any).Deno.execPath(),
      ["run", "-A", "--no-check", script, ...args],
    ]
    : runtime === "bun"
    ? [process.execPath, [script, ...args]]
    : [process.execPath, ["--import", tsxImport(), script, ...args]];
}

/** Runs the client script against `url` and returns its RSS growth in MiB. */
async function clientGrowth(url: string): Promise<number> {
  const [cmd, args] = scriptCommand("tests/hono/_sink_client.ts", [url]);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (err += d));
  const code = await new Promise((r) => child.once("exit", r));
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (code !== 0 || !line) throw new Error(`client script failed (${code}): ${err}`);
  const { base, peak } = JSON.parse(line) as { base: number; peak: number };
  return (peak - base) / MiB;
}

test("100 + 300 MiB PUT: neither the server's nor the client's process grows with the data", async () => {
  const runtime = runtimeName();
  const [cmd, args] = scriptCommand("tests/hono/_sink_server.ts");
  const child = spawn(cmd, args, {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => reject(new Error(`sink server did not start: ${stderr}`)),
        30_000,
      );
      child.stdout?.on("data", (d) => {
        out += d;
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line && out.includes("\n")) {
          clearTimeout(timer);
          resolve(JSON.parse(line).port);
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`sink server exited (${code}): ${stderr}`));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    // The client script warms up with 100 MiB (loads every module on the write path
    // and lets the garbage collectors find their pace), resets the server's
    // measurement, then sends 300 MiB more.
    const measured = 3 * TOTAL;
    // The client (the http flavor streams its PUT body; Node's fetch keeps a streamed
    // body only when it may have to replay it for a redirect) runs in a process of
    // its own, so its RSS is its own.
    const growthClient = await clientGrowth(url);
    const stats = await (await fetch(`${url}/__stats`)).json() as {
      baseline: number;
      peak: number;
      received: number;
    };
    const growth = (stats.peak - stats.baseline) / MiB;
    console.log(
      `${runtime} server process: RSS ${(stats.baseline / MiB).toFixed(0)} MiB → peak ${
        (stats.peak / MiB).toFixed(0)
      } MiB (+${growth.toFixed(1)} MiB) while 300 MiB passed through`,
    );
    console.log(
      `${runtime} client (http flavor): RSS +${growthClient.toFixed(1)} MiB while sending 300 MiB`,
    );
    assert.equal(stats.received, measured);
    assert.ok(
      growthClient < 100,
      `the client's RSS grew ${growthClient.toFixed(1)} MiB while sending 300 MiB`,
    );
    assert.ok(
      growth < 100,
      `the server's RSS grew ${growth.toFixed(1)} MiB while 300 MiB passed through`,
    );
  } finally {
    child.stdin?.end();
    child.kill();
    await new Promise((r) => child.exitCode !== null ? r(null) : child.once("exit", r));
  }
});

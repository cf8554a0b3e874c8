// A child process for the streaming test: serves a "sink" store (every write is
// counted and thrown away) through the adapter on this runtime's server, samples
// its own RSS, and prints {"port": N}. GET /__reset starts a measurement,
// GET /__stats reports { baseline, peak, received }. Exits when stdin closes.

import process from "node:process";
import { MemoryArtifactStore, type WriteKind, type WriteOptions } from "../../mod.ts";
import { artifactStoreApp } from "../../src/hono/mod.ts";
import { serveOnRuntime } from "./_serve.ts";

let received = 0;
let baseline = process.memoryUsage().rss;
let peak = baseline;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage().rss);
};
setInterval(sample, 20);

class SinkStore extends MemoryArtifactStore {
  protected override openWrite(
    _rel: string,
    _kind: WriteKind,
    options: WriteOptions,
  ): Promise<WritableStream<Uint8Array>> {
    let n = 0;
    return Promise.resolve(
      new WritableStream<Uint8Array>({
        write(chunk) {
          n += chunk.length;
          received += chunk.length;
          options.onProgress?.(n);
          sample();
        },
      }),
    );
  }
}

const store = new SinkStore({ path: `memory://sink-${process.pid}` });
const app = artifactStoreApp(store, { hostname: "127.0.0.1" });
const server = await serveOnRuntime((req) => {
  const path = new URL(req.url).pathname;
  if (path === "/__reset") {
    received = 0;
    baseline = process.memoryUsage().rss;
    peak = baseline;
    return Response.json({ baseline });
  }
  if (path === "/__stats") {
    sample();
    return Response.json({ baseline, peak, received });
  }
  return app.fetch(req);
});
console.log(JSON.stringify({ port: server.port, kind: server.kind }));
process.stdin.on("data", () => {});
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));

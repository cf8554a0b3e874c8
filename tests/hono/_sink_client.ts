// A child process for the streaming test: the client side of the RSS measurement,
// in a process of its own (a test runner that runs every file in one process, as
// Bun's does, carries the other files' garbage into any RSS it samples). Writes
// 100 MiB through the http flavor to warm up, then 300 MiB more while sampling its
// own RSS, and prints {"base": bytes, "peak": bytes}.

import process from "node:process";
import { HttpArtifactStore } from "../../flavors/http/mod.ts";

const MiB = 1024 * 1024;
const url = process.argv[process.argv.length - 1];

async function upload(name: string, total: number, onChunk?: () => void): Promise<void> {
  const client = new HttpArtifactStore({ path: url });
  const w = (await client.open(`${url}/${name}`, "wb")).getWriter();
  const chunk = new Uint8Array(MiB).fill(0x5a);
  for (let sent = 0; sent < total; sent += MiB) {
    onChunk?.();
    await w.write(chunk);
  }
  await w.close();
}

await upload("warmup.bin", 100 * MiB);
await (await fetch(`${url}/__reset`)).json();
const base = process.memoryUsage().rss;
let peak = base;
await upload("big.bin", 300 * MiB, () => {
  peak = Math.max(peak, process.memoryUsage().rss);
});
peak = Math.max(peak, process.memoryUsage().rss);
console.log(JSON.stringify({ base, peak }));

// A child process for the streaming test: the client side of the RSS measurement,
// in a process of its own (a test runner that runs every file in one process, as
// Bun's does, carries the other files' garbage into any RSS it samples). Writes
// 100 MiB through the http flavor to warm up, then 300 MiB more while sampling its
// own RSS, and prints {"base": bytes, "peak": bytes}.

import process from "node:process";
import { MiB, upload } from "./_upload.ts";

const url = process.argv[process.argv.length - 1];

await upload(url, "warmup.bin", 100 * MiB);
await (await fetch(`${url}/__reset`)).json();
const base = process.memoryUsage().rss;
let peak = base;
await upload(url, "big.bin", 300 * MiB, () => {
  peak = Math.max(peak, process.memoryUsage().rss);
});
peak = Math.max(peak, process.memoryUsage().rss);
console.log(JSON.stringify({ base, peak }));

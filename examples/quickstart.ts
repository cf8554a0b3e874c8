// Quickstart: write, list, glob, copy and read artifacts in the default local store
// ($STOWAGE_HOME/local, default ~/.stowage/local), then print what happened.
//
//   deno run -A examples/quickstart.ts      (or: npx tsx examples/quickstart.ts, bun examples/quickstart.ts)

import { createArtifactStore, fileio } from "../mod.ts";
import { getEnv, homeDir } from "../src/_runtime.ts";

const home = getEnv("STOWAGE_HOME") ?? `${homeDir() ?? "."}/.stowage`;
const store = await createArtifactStore({ flavor: "local", path: `${home}/local` });
const root = store.path;
const run = `${root}/quickstart/run-${new Date().toISOString().replace(/[:.]/g, "-")}`;

// Write a text artifact and a binary one; each is visible only once close() resolves.
const w = (await store.open(`${run}/metrics.json`, "w", { contentType: "application/json" }))
  .getWriter();
await w.write(JSON.stringify({ accuracy: 0.93, loss: 0.21 }));
await w.close();
await fileio.writeBytes(`${run}/model/weights.bin`, new Uint8Array(4096).map((_, i) => i % 251));
console.log(`wrote ${run}/metrics.json and ${run}/model/weights.bin`);

console.log(`listdir(run)   -> ${JSON.stringify(await store.listdir(run))}`);
console.log(`glob(**/*.bin) -> ${JSON.stringify(await store.glob(`${run}/**/*.bin`))}`);

await store.copyfile(`${run}/model/weights.bin`, `${run}/model/weights.backup.bin`);
const st = await store.stat(`${run}/model/weights.backup.bin`);
console.log(`copied weights -> ${st.path} (${st.size} bytes)`);

for await (const [dir, dirs, files] of store.walk(run)) {
  console.log(`walk ${dir}: dirs=${JSON.stringify(dirs)} files=${JSON.stringify(files)}`);
}
console.log(`metrics: ${await fileio.readText(`${run}/metrics.json`)}`);

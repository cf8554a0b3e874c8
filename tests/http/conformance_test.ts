// The http flavor against the Hono adapter served over a real socket (Deno.serve,
// Bun.serve or @hono/node-server, whichever runtime runs this file), over a memory
// store and over a local store: the whole conformance suite.

import { test } from "node:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { LocalArtifactStore, MemoryArtifactStore } from "../../mod.ts";
import { artifactStoreApp } from "../../src/hono/mod.ts";
import { HttpArtifactStore } from "../../flavors/http/mod.ts";
import { conformance } from "../conformance/suite.ts";
import { testTmp } from "../_env.ts";
import { serveOnRuntime } from "../hono/_serve.ts";

const token = `conf-${crypto.randomUUID()}`;
const memory = new MemoryArtifactStore({
  path: `memory://http-conformance-${Date.now()}`,
});
const dir = mkdtempSync(`${testTmp() ?? tmpdir()}/stowage-http-`);
const local = new LocalArtifactStore({ path: `${dir}/store` });

const servers = await Promise.all(
  [memory, local].map((store) =>
    serveOnRuntime(
      artifactStoreApp(store, { tokens: [token], hostname: "127.0.0.1" }).fetch,
    )
  ),
);

conformance({
  name: `http (memory, ${servers[0].kind})`,
  store: new HttpArtifactStore({
    path: servers[0].url,
    token,
    capabilities: { directories: true, atomicRename: true },
  }),
});

conformance({
  name: `http (local, ${servers[1].kind})`,
  store: new HttpArtifactStore({
    path: servers[1].url,
    token,
    capabilities: { directories: true, atomicRename: true },
  }),
});

test("http conformance: stop the servers", async () => {
  await Promise.all(servers.map((s) => s.close()));
});

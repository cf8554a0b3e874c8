/**
 * Serves a store with `Bun.serve`:
 *
 * ```sh
 * bun examples/bun_server.ts [store-uri]
 * ```
 *
 * The store is the URI or path given (credentials from the environment), else
 * `$STOWAGE_HOME/local`. Binds 127.0.0.1 (`PORT`, default 8000); the token is
 * `STOWAGE_TOKEN` or a new one printed at start. Bun refuses request bodies over
 * 128 MiB by default: the limit is lifted so big uploads stream through.
 *
 * @module
 */

import process from "node:process";
import { artifactStoreApp } from "../src/hono/mod.ts";
import { banner, portFromEnv, storeFromArgs, tokenFromEnv } from "./_shared.ts";

// deno-lint-ignore no-explicit-any
const Bun = (globalThis as any).Bun;
const hostname = "127.0.0.1";
const store = await storeFromArgs(process.argv.slice(2));
const token = tokenFromEnv();
const app = artifactStoreApp(store, { tokens: [token], hostname });

const server = Bun.serve({
  hostname,
  port: portFromEnv(),
  fetch: app.fetch,
  maxRequestBodySize: Number.MAX_SAFE_INTEGER,
  idleTimeout: 120,
});
console.log(banner(store.path, server.port, token));

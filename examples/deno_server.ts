/**
 * Serves a store with `Deno.serve`:
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-write --allow-env examples/deno_server.ts [store-uri]
 * ```
 *
 * The store is the URI or path given (credentials from the environment), else
 * `$STOWAGE_HOME/local`. Binds 127.0.0.1 (`PORT`, default 8000); the token is
 * `STOWAGE_TOKEN` or a new one printed at start.
 *
 * @module
 */

import { artifactStoreApp } from "../src/hono/mod.ts";
import { banner, portFromEnv, storeFromArgs, tokenFromEnv } from "./_shared.ts";

const hostname = "127.0.0.1";
const store = await storeFromArgs(Deno.args);
const token = tokenFromEnv();
const app = artifactStoreApp(store, { tokens: [token], hostname });

Deno.serve({
  hostname,
  port: portFromEnv(),
  onListen: ({ port }) => console.log(banner(store.path, port, token)),
}, app.fetch);

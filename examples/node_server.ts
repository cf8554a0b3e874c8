/**
 * Serves a store on Node with `@hono/node-server`:
 *
 * ```sh
 * node --import tsx examples/node_server.ts [store-uri]
 * ```
 *
 * The store is the URI or path given (credentials from the environment), else
 * `$STOWAGE_HOME/local`. Binds 127.0.0.1 (`PORT`, default 8000); the token is
 * `STOWAGE_TOKEN` or a new one printed at start.
 *
 * @module
 */

import process from "node:process";
import { serve } from "@hono/node-server";
import { artifactStoreApp } from "../src/hono/mod.ts";
import { banner, portFromEnv, storeFromArgs, tokenFromEnv } from "./_shared.ts";

const hostname = "127.0.0.1";
const store = await storeFromArgs(process.argv.slice(2));
const token = tokenFromEnv();
const app = artifactStoreApp(store, { tokens: [token], hostname });

serve(
  { fetch: app.fetch, hostname, port: portFromEnv() },
  (info) => console.log(banner(store.path, info.port, token)),
);

/**
 * `deno task start`: serves the default local store (`$STOWAGE_HOME/local`, default
 * `~/.stowage/local`) on 127.0.0.1 (`PORT`, default 8000) with a bearer token
 * (`STOWAGE_TOKEN`, else a new one for this run), and prints how to reach it.
 *
 * ```sh
 * deno task start
 * # Stowage serving /home/me/.stowage/local at http://127.0.0.1:8000
 * # Token: 3q2-…
 * # curl -H "Authorization: Bearer 3q2-…" http://127.0.0.1:8000/files/README.md -T README.md
 * ```
 *
 * A store URI or path as the first argument serves that store instead.
 *
 * @module
 */

import { artifactStoreApp } from "../src/hono/mod.ts";
import { banner, portFromEnv, storeFromArgs, tokenFromEnv } from "./_shared.ts";

const hostname = "127.0.0.1";
const store = await storeFromArgs(Deno.args);
const token = tokenFromEnv();
const app = artifactStoreApp(store, { tokens: [token], hostname });

try {
  Deno.serve({
    hostname,
    port: portFromEnv(),
    onListen: ({ port }) => console.log(banner(store.path, port, token)),
  }, app.fetch);
} catch (err) {
  if (err instanceof Deno.errors.AddrInUse) {
    console.error(
      `Port ${portFromEnv()} is taken: set PORT to a free one (PORT=8080 deno task start)`,
    );
    Deno.exit(1);
  }
  throw err;
}

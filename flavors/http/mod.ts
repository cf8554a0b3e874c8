/**
 * The `http` flavor (`http://`, `https://`): a store whose root is the URL of a
 * Stowage server — the Hono adapter (`./hono`, {@linkcode artifactStoreApp}) serving
 * any store, on any runtime. Every operation is one request; reads and writes
 * stream both ways. The protocol both sides speak is written once, in
 * `src/http_wire.ts`; this subpath loads no Hono code.
 *
 * The root is the server's base URL (its `basePath` included): with the server at
 * `http://127.0.0.1:8000`, `http://127.0.0.1:8000/runs/1/model.bin` is the file
 * `runs/1/model.bin` of the served store. The bearer token comes from the `token`
 * field, else from `STOWAGE_TOKEN`.
 *
 * Writes up to `bufferBytes` (1 MiB) go as one request with a length, retried on
 * failures; bigger writes stream as one chunked `PUT` (with `redirect: "error"`,
 * which keeps Node's `fetch` from holding the whole body in memory). Reads resume
 * after a broken connection with a ranged `GET` and `If-Match`. Appending is not
 * offered over HTTP.
 *
 * @example
 * ```ts ignore
 * import { HttpArtifactStore } from "./mod.ts";
 *
 * const store = new HttpArtifactStore({ path: "http://127.0.0.1:8000", token: "s3cret" });
 * const w = (await store.open("http://127.0.0.1:8000/hello.txt", "w")).getWriter();
 * await w.write("hello");
 * await w.close();
 * console.log(await store.listdir("http://127.0.0.1:8000"));
 * ```
 *
 * @module
 */

export { HttpArtifactStore, httpFlavor } from "./store.ts";
export { httpConfigSchema, type HttpStoreConfig } from "./config.ts";

import { registerBuiltin } from "../../src/flavor_registry.ts";
import { httpFlavor as flavor } from "./store.ts";

// Importing this subpath registers the flavor: its URIs work with createArtifactStore and fileio.
registerBuiltin(flavor);

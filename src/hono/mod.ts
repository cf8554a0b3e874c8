/**
 * The Hono adapter: {@linkcode artifactStoreApp} serves any artifact store over
 * HTTP, on every runtime Hono runs on (Deno, Bun, Node with `@hono/node-server`,
 * Cloudflare Workers). The `http` flavor (`./http`) is its client.
 *
 * Routes (paths relative to the store root, each segment percent-encoded):
 *
 * | route | operation |
 * |---|---|
 * | `GET /files/{path}` | read, streamed; `Range` → 206, `If-None-Match` → 304 |
 * | `HEAD /files/{path}` | stat as headers |
 * | `PUT /files/{path}` | write, streamed; `If-None-Match: *` = create only |
 * | `DELETE /files/{path}` | remove; `?recursive=true` → rmtree |
 * | `GET /stat/{path}`, `/exists/{path}`, `/list/{path}` | JSON |
 * | `GET /walk/{path}?topdown=` | NDJSON, one `[dir, dirs, files]` a line |
 * | `GET /glob?pattern=` | JSON |
 * | `POST /copy`, `POST /rename` | JSON body `{ src, dst, overwrite }` |
 * | `POST /mkdir/{path}?parents=true` | mkdir / makedirs |
 *
 * Paths in requests and responses are relative to the store root (the root itself
 * is `""`), so the server's own root never shows. Errors answer with a status and
 * `{ error: { code, message } }`; no stack trace leaves the server.
 *
 * @example Serve a memory store on Deno
 * ```ts ignore
 * import { MemoryArtifactStore } from "../../mod.ts";
 * import { artifactStoreApp } from "./mod.ts";
 *
 * const store = new MemoryArtifactStore({ path: "memory://served" });
 * const app = artifactStoreApp(store, { hostname: "127.0.0.1", tokens: ["s3cret"] });
 * Deno.serve({ hostname: "127.0.0.1", port: 8000 }, app.fetch);
 * ```
 *
 * @module
 */

import { Hono } from "hono";
import { cors as honoCors } from "hono/cors";
import type { BaseArtifactStore } from "../base.ts";
import { ConfigError } from "../errors.ts";
import { KEYLESS_ROUTES, ROUTES } from "../http_wire.ts";
import { parseRoot } from "../path.ts";
import { Access, bearerAuth, hostGuard } from "./_auth.ts";
import { fileRoutes } from "./_files.ts";
import { listingRoutes } from "./_listing.ts";
import { operationRoutes } from "./_operations.ts";
import type { ArtifactStoreAppOptions, CorsOptions } from "./_options.ts";
import { isLoopbackHost } from "./_request.ts";
import { errorResponse, jsonError, Served } from "./_served.ts";

export { isLoopbackHost } from "./_request.ts";
export {
  ERROR_HEADER,
  type ErrorBody,
  METADATA_HEADER_PREFIX,
  type StatJson,
} from "../http_wire.ts";
export {
  type ArtifactStoreAppOptions,
  type CorsOptions,
  type Operation,
  WRITE_OPERATIONS,
} from "./_options.ts";

/** The routes, as the 404 answer lists them: `/files/, …, /rename or /mkdir/`. */
const ROUTE_LIST = (() => {
  const all = ROUTES.map((r) => KEYLESS_ROUTES.includes(r) ? `/${r}` : `/${r}/`);
  return `${all.slice(0, -1).join(", ")} or ${all.at(-1)}`;
})();

/**
 * Builds a Hono app that serves a store over HTTP (see the module docs for the
 * routes). Mount it on any runtime: `Deno.serve(app.fetch)`, `Bun.serve({ fetch:
 * app.fetch })`, `serve(app)` from `@hono/node-server`, or `export default app` on
 * Cloudflare Workers.
 *
 * @param store the store to serve
 * @param options authentication, read-only mode, base path, CORS, redirects and the bind address
 * @returns the app
 * @throws {ConfigError} when the app would serve without authentication on a
 *   non-loopback (or unknown) address and `allowAnonymous` is not set
 *
 * @example Requests without a socket
 * ```ts
 * import { MemoryArtifactStore } from "../../mod.ts";
 * import { artifactStoreApp } from "./mod.ts";
 *
 * const store = new MemoryArtifactStore({ path: "memory://hono-doc" });
 * const app = artifactStoreApp(store, { tokens: ["t0k3n"] });
 * const auth = { authorization: "Bearer t0k3n" };
 * await app.request("/files/a.txt", { method: "PUT", body: "hi", headers: auth });
 * const res = await app.request("/files/a.txt", { headers: auth });
 * console.assert((await res.text()) === "hi");
 * ```
 */
export function artifactStoreApp(
  store: BaseArtifactStore,
  options: ArtifactStoreAppOptions = {},
): Hono {
  const tokens = typeof options.tokens === "string"
    ? [options.tokens]
    : [...(options.tokens ?? [])];
  if (tokens.some((t) => typeof t !== "string" || t === "")) {
    throw new ConfigError("Every token must be a non-empty string");
  }
  const hasAuth = tokens.length > 0 || typeof options.authorize === "function";
  const loopbackBind = options.hostname !== undefined &&
    isLoopbackHost(options.hostname);
  if (!hasAuth && !loopbackBind && !options.allowAnonymous) {
    const where = options.hostname === undefined
      ? "without a known loopback address"
      : `on '${options.hostname}'`;
    throw new ConfigError(
      `Refusing to serve '${store.path}' ${where} without authentication: ` +
        "pass tokens or authorize, bind 127.0.0.1 (hostname option), or set allowAnonymous: true",
    );
  }
  const basePath = options.basePath ?? "";
  if (basePath !== "" && !/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) {
    throw new ConfigError(
      `Invalid basePath '${basePath}': use '/name' or '/a/b' (letters, digits, '.', '_', '~', '-')`,
    );
  }
  const allowedHosts = new Set(
    (options.allowedHosts ?? []).map((h) => h.toLowerCase()),
  );
  const onError = options.onError ?? ((err) => console.error(err));
  const served = new Served(store, parseRoot(store.path));
  const access = new Access(served, options);

  const app = (basePath ? new Hono().basePath(basePath) : new Hono()) as unknown as Hono;

  app.onError((err, c) => errorResponse(c, err, served, onError));
  app.notFound((c) =>
    jsonError(
      c,
      404,
      "NotFound",
      `No route for '${c.req.method} ${new URL(c.req.url).pathname}': use ${ROUTE_LIST}${
        basePath ? ` below '${basePath}'` : ""
      }`,
    )
  );

  if (loopbackBind || allowedHosts.size > 0) {
    app.use("*", hostGuard(loopbackBind, allowedHosts));
  }
  if (options.cors) app.use("*", cors(options.cors === true ? { origin: "*" } : options.cors));
  if (tokens.length > 0) app.use("*", bearerAuth(tokens));

  fileRoutes(app, access, options.redirect);
  listingRoutes(app, access, onError);
  operationRoutes(app, access);
  return app;
}

/** Hono's CORS middleware, with the methods and the response headers the routes use. */
function cors(o: CorsOptions) {
  return honoCors({
    origin: typeof o.origin === "string" ? o.origin : [...o.origin],
    maxAge: o.maxAge,
    credentials: o.credentials,
    allowMethods: ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"],
    exposeHeaders: [
      "ETag",
      "Last-Modified",
      "Content-Range",
      "Content-Length",
      "Accept-Ranges",
      "Content-Type",
    ],
  });
}

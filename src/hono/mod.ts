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

import { type Context, Hono } from "hono";
import { cors as honoCors } from "hono/cors";
import type { BaseArtifactStore, WalkEntry } from "../base.ts";
import {
  ArtifactStoreError,
  AuthenticationError,
  ConfigError,
  InvalidArgumentError,
  IsADirectoryError,
  PermissionDeniedError,
  PreconditionFailedError,
} from "../errors.ts";
import { joinUri, parseRoot } from "../path.ts";
import {
  boolQuery,
  constantTimeEqual,
  decodeTail,
  etagMatches,
  etagOf,
  fileHeaders,
  isLoopbackHost,
  metadataFromHeaders,
  notModifiedSince,
  parseRange,
  readJson,
  sha256,
} from "./_request.ts";
import {
  ClientAuthenticationError,
  ERROR_HEADER,
  type ErrorBody,
  errorResponse,
  jsonError,
  Served,
} from "./_served.ts";

export { isLoopbackHost } from "./_request.ts";
export { ERROR_HEADER, type ErrorBody, METADATA_HEADER_PREFIX, type StatJson } from "./_served.ts";

/** What a request asks the store to do; `authorize` receives one of these. */
export type Operation =
  | "read"
  | "stat"
  | "exists"
  | "list"
  | "walk"
  | "glob"
  | "write"
  | "delete"
  | "copy"
  | "rename"
  | "mkdir";

/** The operations that change the store; a read-only app refuses them (403). */
export const WRITE_OPERATIONS: readonly Operation[] = [
  "write",
  "delete",
  "copy",
  "rename",
  "mkdir",
];

/** CORS settings for {@linkcode ArtifactStoreAppOptions.cors}. */
export interface CorsOptions {
  /** Allowed origins (`"*"` for any). */
  origin: string | readonly string[];
  /** How long browsers may cache a preflight answer, seconds. */
  maxAge?: number;
  /** Allow credentials (cookies); not needed for bearer tokens. */
  credentials?: boolean;
}

/** Options of {@linkcode artifactStoreApp}. */
export interface ArtifactStoreAppOptions {
  /**
   * Bearer tokens accepted in `Authorization: Bearer <token>` (compared in constant
   * time). A request without one of them gets 401.
   */
  tokens?: string | readonly string[];
  /**
   * Decides whether a request may do `operation` on `path` (relative to the store
   * root, normalized; `""` is the root; for `glob`, the pattern). Called after the
   * token check, once per path (twice for copy and rename: source and destination).
   * `false` answers 403; throwing an `AuthenticationError` answers 401.
   */
  authorize?: (
    c: Context,
    operation: Operation,
    path: string,
  ) => boolean | Promise<boolean>;
  /** Refuse every operation that changes the store (403). */
  readOnly?: boolean;
  /** A path prefix for every route, e.g. `"/store"`. */
  basePath?: string;
  /** Answer CORS requests: `true` for any origin, or the allowed origins. */
  cors?: boolean | CorsOptions;
  /**
   * Answer `GET /files/…` with a 302 to a short-lived presigned URL where the store
   * can presign (`capabilities.presign`); `expiresIn` in seconds (default 300).
   */
  redirect?: boolean | { expiresIn?: number };
  /**
   * The address the server binds. On a loopback address (`127.0.0.1`, `::1`,
   * `localhost`) requests whose `Host` is not a loopback name are refused (DNS
   * rebinding guard). Any other address, or none, needs `tokens` or `authorize`
   * unless `allowAnonymous` is set.
   */
  hostname?: string;
  /** More `Host` names to accept (a reverse proxy in front of a loopback bind). */
  allowedHosts?: readonly string[];
  /** Serve without authentication on a non-loopback (or unknown) address. */
  allowAnonymous?: boolean;
  /** Called with unexpected (non-store) errors; default `console.error`. */
  onError?: (error: unknown) => void;
}

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
  const guardHosts = loopbackBind || allowedHosts.size > 0;
  const onError = options.onError ?? ((err) => console.error(err));
  const root = parseRoot(store.path);
  const ctx = new Served(store, root);
  const digests = tokens.length > 0 ? Promise.all(tokens.map(sha256)) : null;

  const app = basePath ? new Hono().basePath(basePath) : new Hono();

  app.onError((err, c) => errorResponse(c, err, ctx, onError));
  app.notFound((c) =>
    jsonError(
      c,
      404,
      "NotFound",
      `No route for '${c.req.method} ${
        new URL(c.req.url).pathname
      }': use /files/, /stat/, /exists/, /list/, /walk/, /glob, /copy, /rename or /mkdir/${
        basePath ? ` below '${basePath}'` : ""
      }`,
    )
  );

  if (guardHosts) {
    app.use("*", async (c, next) => {
      const names = [new URL(c.req.url).host, c.req.header("host")].filter(
        (h): h is string => h !== undefined && h !== "",
      );
      const ok = names.length > 0 && names.every((h) =>
        (loopbackBind && isLoopbackHost(h)) ||
        allowedHosts.has(h.toLowerCase()) ||
        allowedHosts.has(h.toLowerCase().replace(/:\d+$/, ""))
      );
      if (!ok) {
        const which = loopbackBind
          ? "this server listens on a loopback address and answers only loopback host names"
          : "this server answers only the host names in allowedHosts";
        return jsonError(
          c,
          403,
          "PermissionDenied",
          `Host '${
            names.at(-1) ?? ""
          }' is not allowed: ${which} (add it to allowedHosts to accept it)`,
        );
      }
      await next();
    });
  }

  if (options.cors) {
    const o: CorsOptions = options.cors === true ? { origin: "*" } : options.cors;
    app.use(
      "*",
      honoCors({
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
      }),
    );
  }

  if (digests) {
    app.use("*", async (c, next) => {
      const header = c.req.header("authorization") ?? "";
      const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
      if (!m) {
        c.header("WWW-Authenticate", 'Bearer realm="stowage"');
        return jsonError(
          c,
          401,
          "Unauthenticated",
          "Missing bearer token: send 'Authorization: Bearer <token>'",
        );
      }
      const given = await sha256(m[1]);
      let ok = false;
      for (const d of await digests) ok = constantTimeEqual(given, d) || ok;
      if (!ok) {
        c.header("WWW-Authenticate", 'Bearer realm="stowage", error="invalid_token"');
        return jsonError(
          c,
          401,
          "Unauthenticated",
          "The bearer token was refused: check the token the server printed",
        );
      }
      await next();
    });
  }

  /** Checks read-only mode and the authorize hook for one path. */
  const allow = async (c: Context, op: Operation, rel: string) => {
    if (options.readOnly && WRITE_OPERATIONS.includes(op)) {
      throw new PermissionDeniedError(
        `This server is read-only: '${op}' on '${rel}' is refused`,
      );
    }
    if (!options.authorize) return;
    let ok: boolean;
    try {
      ok = await options.authorize(c, op, rel);
    } catch (err) {
      // The hook's AuthenticationError is about the client's credentials: 401.
      if (err instanceof AuthenticationError) {
        throw new ClientAuthenticationError(err.message, { cause: err });
      }
      throw err;
    }
    if (!ok) {
      throw new PermissionDeniedError(
        `Not allowed to ${op} '${rel}' with these credentials`,
      );
    }
  };

  /** The target of a `/{route}/{path}` request, checked. */
  const target = async (c: Context, op: Operation) => {
    const rel = ctx.resolveRel(decodeTail(c));
    await allow(c, op, rel);
    return { rel, uri: joinUri(root, rel) };
  };

  // -------------------------------------------------------------- files

  app.get("/files/*", async (c) => {
    const { rel, uri } = await target(c, "read");
    const head = c.req.raw.method === "HEAD";
    if (options.redirect && !head && store.capabilities.presign) {
      const expiresIn = options.redirect === true ? 300 : options.redirect.expiresIn ?? 300;
      const url = await store.presign(uri, { method: "GET", expiresIn });
      return c.redirect(url, 302);
    }
    const st = await store.stat(uri);
    if (st.isDirectory) {
      throw new IsADirectoryError(
        `Cannot read '${rel}': it is a directory; list it with GET /list/`,
      );
    }
    const etag = etagOf(st);
    const headers = new Headers(fileHeaders(st, etag, rel));
    const ifMatch = c.req.header("if-match");
    if (ifMatch !== undefined && !etagMatches(ifMatch, etag, false)) {
      throw new PreconditionFailedError(
        `'${rel}' changed: its ETag is no longer ${ifMatch}`,
      );
    }
    const ifNoneMatch = c.req.header("if-none-match");
    const ims = c.req.header("if-modified-since");
    if (
      ifNoneMatch !== undefined
        ? etagMatches(ifNoneMatch, etag, true)
        : ims !== undefined && notModifiedSince(st.mtime, ims)
    ) {
      headers.delete("content-length");
      headers.delete("content-type");
      return new Response(null, { status: 304, headers });
    }
    let start = 0;
    let end = st.size;
    let status = 200;
    const range = c.req.header("range");
    const ifRange = c.req.header("if-range");
    if (
      range !== undefined &&
      (ifRange === undefined || etagMatches(ifRange, etag, false) ||
        (st.mtime !== null && ifRange === st.mtime.toUTCString()))
    ) {
      const r = parseRange(range, st.size);
      if (r === "unsatisfiable") {
        headers.set("content-range", `bytes */${st.size}`);
        headers.set("content-type", "application/json");
        headers.delete("content-length");
        headers.set(ERROR_HEADER, "InvalidArgument");
        const body: ErrorBody = {
          error: {
            code: "InvalidArgument",
            message: `Range '${range}' is outside '${rel}' (${st.size} bytes)`,
          },
        };
        return new Response(JSON.stringify(body), { status: 416, headers });
      }
      if (r) {
        [start, end] = r;
        status = 206;
        headers.set(
          "content-range",
          `bytes ${start}-${end - 1}/${st.size}`,
        );
      }
    }
    headers.set("content-length", String(end - start));
    if (head) return new Response(null, { status, headers });
    // No request.signal here: when the client goes away the runtime cancels the
    // response body, which cancels the store's stream.
    const body = await store.open(uri, "rb", {
      range: status === 206 ? { start, end } : undefined,
    });
    return new Response(body, { status, headers });
  });

  app.put("/files/*", async (c) => {
    const { rel, uri } = await target(c, "write");
    const inm = c.req.header("if-none-match");
    if (inm !== undefined && inm.trim() !== "*") {
      throw new InvalidArgumentError(
        `Only 'If-None-Match: *' (create only) is supported on PUT, got '${inm}'`,
      );
    }
    let size = 0;
    const sink = await store.open(uri, inm === undefined ? "wb" : "xb", {
      contentType: c.req.header("content-type") || undefined,
      metadata: metadataFromHeaders(c.req.raw.headers),
      onProgress: (n) => (size = n),
    });
    const body = c.req.raw.body;
    if (!body) {
      await sink.close();
    } else {
      const declared = c.req.header("content-length");
      const expected = declared === undefined ? undefined : Number(declared);
      let got = 0;
      const short = () =>
        new ArtifactStoreError(
          `The upload of '${rel}' ended after ${got} of ${expected} bytes: nothing was written`,
          { retryable: true },
        );
      const count = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          got += chunk.length;
          if (expected !== undefined && got > expected) throw short();
          controller.enqueue(chunk);
        },
        flush() {
          if (expected !== undefined && got !== expected) throw short();
        },
      });
      try {
        // A client that goes away errors the request body, which aborts the sink.
        await body.pipeThrough(count).pipeTo(sink);
      } catch (err) {
        if (err instanceof ArtifactStoreError) throw err;
        throw new ArtifactStoreError(
          `The upload of '${rel}' was interrupted after ${got} bytes: nothing was written`,
          { retryable: true, cause: err },
        );
      }
    }
    return c.json({ path: rel, size }, 201);
  });

  app.delete("/files/*", async (c) => {
    const { uri } = await target(c, "delete");
    if (boolQuery(c, "recursive", false)) await store.rmtree(uri);
    else await store.remove(uri);
    return c.body(null, 204);
  });

  // -------------------------------------------------------------- JSON reads

  app.get("/stat/*", async (c) => {
    const { uri } = await target(c, "stat");
    return c.json(ctx.statJson(await store.stat(uri)));
  });

  app.get("/exists/*", async (c) => {
    const { uri } = await target(c, "exists");
    return c.json({ exists: await store.exists(uri) });
  });

  app.get("/list/*", async (c) => {
    const { uri } = await target(c, "list");
    return c.json(await store.listdir(uri));
  });

  app.get("/glob", async (c) => {
    const pattern = c.req.query("pattern");
    if (pattern === undefined) {
      throw new InvalidArgumentError(
        "Missing 'pattern': ask GET /glob?pattern=<pattern relative to the root>",
      );
    }
    const dirsOnly = /[/\\]$/.test(pattern);
    const rel = ctx.resolveRel(pattern);
    await allow(c, "glob", rel);
    const found = await store.glob(joinUri(root, rel) + (dirsOnly ? "/" : ""));
    return c.json(found.map((u) => ctx.relOf(u)));
  });

  app.get("/walk/*", async (c) => {
    const { uri } = await target(c, "walk");
    const topdown = boolQuery(c, "topdown", true);
    const errors: unknown[] = [];
    const it = store.walk(uri, { topdown, onerror: (e) => errors.push(e) });
    const enc = new TextEncoder();
    const line = (x: unknown) => enc.encode(JSON.stringify(x) + "\n");
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let next: IteratorResult<WalkEntry>;
        try {
          next = await it.next();
        } catch (err) {
          errors.push(err);
          next = { done: true, value: undefined };
        }
        for (const e of errors.splice(0)) {
          controller.enqueue(line(ctx.errorBody(e, onError)));
        }
        if (next.done) {
          controller.close();
          return;
        }
        const [dir, dirs, files] = next.value;
        controller.enqueue(line([ctx.relOf(dir), dirs, files]));
      },
      async cancel() {
        await it.return(undefined);
      },
    }, { highWaterMark: 0 });
    return new Response(body, {
      headers: {
        "content-type": "application/x-ndjson; charset=utf-8",
        "cache-control": "no-store",
      },
    });
  });

  // -------------------------------------------------------------- JSON writes

  const copyOrRename = (op: "copy" | "rename") => async (c: Context) => {
    const body = await readJson(c.req.raw);
    const { src, dst, overwrite } = (body ?? {}) as Record<string, unknown>;
    if (typeof src !== "string" || typeof dst !== "string") {
      throw new InvalidArgumentError(
        `POST /${op} takes a JSON body { "src": "<path>", "dst": "<path>", "overwrite": false }`,
      );
    }
    if (overwrite !== undefined && typeof overwrite !== "boolean") {
      throw new InvalidArgumentError(
        `'overwrite' must be true or false, got ${JSON.stringify(overwrite)}`,
      );
    }
    const s = ctx.resolveRel(src);
    const d = ctx.resolveRel(dst);
    await allow(c, op, s);
    await allow(c, op, d);
    const opts = { overwrite: overwrite ?? false };
    if (op === "copy") {
      await store.copyfile(joinUri(root, s), joinUri(root, d), opts);
    } else {
      await store.rename(joinUri(root, s), joinUri(root, d), opts);
    }
    return c.body(null, 204);
  };
  app.post("/copy", copyOrRename("copy"));
  app.post("/rename", copyOrRename("rename"));

  app.post("/mkdir/*", async (c) => {
    const { uri } = await target(c, "mkdir");
    if (boolQuery(c, "parents", false)) await store.makedirs(uri);
    else await store.mkdir(uri);
    return c.body(null, 204);
  });

  return app as unknown as Hono;
}

// The file routes: `GET`/`HEAD /files/{path}` (ranges, conditional requests, the
// presign redirect), `PUT /files/{path}` (streamed, create-only with
// `If-None-Match: *`) and `DELETE /files/{path}` (`?recursive=true` → rmtree).

import type { Context, Hono } from "hono";
import {
  ArtifactStoreError,
  InvalidArgumentError,
  IsADirectoryError,
  PreconditionFailedError,
} from "../errors.ts";
import {
  ERROR_HEADER,
  type ErrorBody,
  metadataFromHeaders,
  type PutJson,
  QUERY,
} from "../http_wire.ts";
import { concatBytes } from "../streams.ts";
import type { Access } from "./_auth.ts";
import type { ArtifactStoreAppOptions } from "./_options.ts";
import {
  boolQuery,
  etagMatches,
  etagOf,
  fileHeaders,
  notModifiedSince,
  parseRange,
} from "./_request.ts";

/** Adds the `/files/*` routes. */
export function fileRoutes(
  app: Hono,
  access: Access,
  redirect: ArtifactStoreAppOptions["redirect"],
): void {
  const store = access.served.store;

  app.get("/files/*", async (c) => {
    const { rel, uri } = await access.target(c, "read");
    const head = c.req.raw.method === "HEAD";
    if (redirect && !head && store.capabilities.presign) {
      const expiresIn = redirect === true ? 300 : redirect.expiresIn ?? 300;
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
    const { rel, uri } = await access.target(c, "write");
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
    if (!body) await sink.close();
    else await receive(c, body, sink, rel);
    const answer: PutJson = { path: rel, size };
    return c.json(answer, 201);
  });

  app.delete("/files/*", async (c) => {
    const { uri } = await access.target(c, "delete");
    if (boolQuery(c, QUERY.recursive, false)) await store.rmtree(uri);
    else await store.remove(uri);
    return c.body(null, 204);
  });
}

/**
 * How many bytes of an upload are read ahead of the store while it writes. The
 * body keeps flowing while the store writes what came before, in batches: Deno's
 * server spends most of its CPU moving bytes around when a chunked body of
 * 32–64 KiB frames (what Deno's `fetch` sends) is read a chunk at a time behind
 * each write (a 200 MiB upload: 20 s of CPU, against 1 s read this way).
 */
const READ_AHEAD = 8 * 1024 * 1024;

/**
 * Writes an upload into the store's sink, checking its length against
 * `Content-Length`: a short or broken upload aborts the sink (nothing is written).
 * The body is read while the sink writes (up to {@linkcode READ_AHEAD} bytes held),
 * and what arrived during a write goes to the sink as one chunk.
 */
async function receive(
  c: Context,
  body: ReadableStream<Uint8Array>,
  sink: WritableStream<Uint8Array>,
  rel: string,
): Promise<void> {
  const declared = c.req.header("content-length");
  const expected = declared === undefined ? undefined : Number(declared);
  let got = 0;
  const short = () =>
    new ArtifactStoreError(
      `The upload of '${rel}' ended after ${got} of ${expected} bytes: nothing was written`,
      { retryable: true },
    );
  const reader = body.getReader();
  const writer = sink.getWriter();
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let writing: Promise<void> | undefined;
  let sinkError: { err: unknown } | undefined;
  const failed = () => sinkError; // read after awaits, which TypeScript does not follow
  // Writes what is held, batch after batch, until nothing is; a failed write stops
  // the reading (the error is the sink's).
  const drain = async () => {
    try {
      while (heldBytes > 0) {
        const batch = concatBytes(held, heldBytes);
        held = [];
        heldBytes = 0;
        await writer.write(batch);
      }
    } catch (err) {
      sinkError = { err };
      await reader.cancel(err).catch(() => {});
    } finally {
      writing = undefined;
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (sinkError) throw sinkError.err;
      if (done) break;
      got += value.length;
      if (expected !== undefined && got > expected) throw short();
      held.push(value);
      heldBytes += value.length;
      writing ??= drain();
      if (heldBytes >= READ_AHEAD) await writing;
    }
    if (expected !== undefined && got !== expected) throw short();
    await writing;
    const late = failed();
    if (late) throw late.err;
    await writer.close();
  } catch (err) {
    // A client that goes away errors the request body, which aborts the sink.
    if (!failed()) await reader.cancel(err).catch(() => {});
    await writing;
    await writer.abort(err).catch(() => {});
    if (err instanceof ArtifactStoreError) throw err;
    throw new ArtifactStoreError(
      `The upload of '${rel}' was interrupted after ${got} bytes: nothing was written`,
      { retryable: true, cause: err },
    );
  }
}

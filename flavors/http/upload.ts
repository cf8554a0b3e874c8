/**
 * The body of an http write: up to `bufferBytes` held and sent as one request with a
 * length (which the caller may retry); past that, one chunked `PUT` streamed as it
 * is written, committed when the server answers.
 *
 * @module
 */

import { ArtifactStoreError } from "../../src/errors.ts";
import { type HttpRequest, readLimited } from "../../src/http/mod.ts";
import { concatBytes } from "../../src/streams.ts";

/** What {@linkcode uploadStream} needs of the store. */
export interface UploadOptions {
  /** The `fetch` of the streamed request. */
  fetch: typeof fetch;
  /** The URL of `PUT /files/{path}`. */
  url: string;
  /** Every header of the request. */
  headers: Record<string, string>;
  /** The store path written, for messages. */
  path: string;
  /** Bodies up to this many bytes go whole through `sendWhole`. */
  bufferBytes: number;
  /** Cancels the write. */
  signal?: AbortSignal;
  /** Called with the bytes written so far. */
  onProgress?: (bytes: number) => void;
  /** The error for a refused streamed request. */
  mapError: (
    status: number,
    headers: Headers,
    body: string,
    req: HttpRequest,
  ) => ArtifactStoreError;
  /** Sends a buffered body as one request. */
  sendWhole: (body: Uint8Array) => Promise<void>;
}

interface StreamedUpload {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  done: Promise<void>;
  ac: AbortController;
}

/**
 * The writable side of an http write.
 *
 * @param o the request, the buffering limit and how to send
 * @returns the stream; its `close` resolves once the server has stored the file
 */
export function uploadStream(o: UploadOptions): WritableStream<Uint8Array> {
  const { url, headers, path, signal } = o;
  let buffered: Uint8Array[] = [];
  let bufferedBytes = 0;
  let total = 0;
  let upload: StreamedUpload | null = null;

  const startStream = (): StreamedUpload => {
    const ac = new AbortController();
    const onAbort = () => ac.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    const writer = pipe.writable.getWriter();
    const done = (async () => {
      try {
        const res = await o.fetch(url, {
          method: "PUT",
          headers,
          body: pipe.readable,
          signal: ac.signal,
          // Node's fetch keeps a streamed body for redirects unless told there
          // are none; "error" lets it send the body in bounded memory.
          redirect: "error",
          duplex: "half",
        } as RequestInit);
        if (!res.ok) {
          throw o.mapError(
            res.status,
            res.headers,
            await readLimited(res, 64 * 1024),
            { method: "PUT", url, path, op: "write" },
          );
        }
        await res.body?.cancel();
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (err instanceof ArtifactStoreError) throw err;
        throw new ArtifactStoreError(
          `The upload of '${path}' failed: ${(err as Error)?.message ?? err}; nothing was written`,
          { path, flavor: "http", retryable: true, cause: err },
        );
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    })();
    // A failed request fails the writes still waiting for it.
    done.catch((err) => writer.abort(err).catch(() => {}));
    return { writer, done, ac };
  };

  /** One chunk to the streamed request; a refused request's error wins over the write's. */
  const send = async (up: StreamedUpload, chunk: Uint8Array) => {
    await up.writer.write(chunk).catch(async (err) => {
      throw await up.done.then(() => err, (e) => e);
    });
  };

  return new WritableStream<Uint8Array>({
    write: async (chunk) => {
      signal?.throwIfAborted();
      total += chunk.length;
      if (upload) {
        await send(upload, chunk.slice());
      } else {
        buffered.push(chunk.slice());
        bufferedBytes += chunk.length;
        if (bufferedBytes > o.bufferBytes) {
          upload = startStream();
          const parts = buffered;
          buffered = [];
          bufferedBytes = 0;
          for (const part of parts) await send(upload, part);
        }
      }
      o.onProgress?.(total);
    },
    close: async () => {
      signal?.throwIfAborted();
      if (upload) {
        await upload.writer.close().catch(() => {});
        await upload.done;
        return;
      }
      const body = concatBytes(buffered, bufferedBytes);
      buffered = [];
      await o.sendWhole(body);
    },
    abort: async (reason) => {
      buffered = [];
      if (upload) {
        upload.ac.abort(reason);
        await upload.writer.abort(reason).catch(() => {});
        await upload.done.catch(() => {});
      }
    },
  });
}

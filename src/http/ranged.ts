/**
 * Ranged downloads, written once: {@linkcode rangeHeader} asks, {@linkcode rangedAnswer}
 * reads any service's answer the same way, and {@linkcode resumableBody} resumes a body
 * that broke or was cut short from where it stopped.
 *
 * @module
 */

import { ArtifactStoreError } from "../errors.ts";
import { emptyBody, sliceBody } from "../streams.ts";
import { DEFAULT_IDLE_TIMEOUT_MS, readWithin } from "./client.ts";

/** A response body for a byte range, as a flavor's reopen function returns it. */
export interface BodyPart {
  /** The bytes. */
  body: ReadableStream<Uint8Array>;
  /** How many bytes this body should carry, when the service said so. */
  length: number | null;
  /**
   * The whole object's size, when a partial answer (`206`) named it in its
   * `Content-Range`; absent otherwise.
   */
  size?: number;
}

/**
 * Streams a download, resuming after a broken connection or a body cut short: it
 * asks `reopen(offset)` for the rest (a flavor sends a ranged GET with `If-Match`
 * so the object cannot change underneath). Never yields silently wrong bytes: a
 * body longer than announced, or one that cannot be resumed, errors the stream.
 *
 * @param first the first response body and its expected length
 * @param reopen fetches the bytes from `offset` (relative to the first body's start)
 * @param options `maxResumes` (default 5), `idleMs` (the longest wait for the next
 *   bytes, default 30 s: a stall past it counts as a break and is resumed), `path`
 *   and `flavor` for errors
 * @returns the stream
 *
 * @example
 * ```ts
 * import { resumableBody } from "./ranged.ts";
 * const s = resumableBody(
 *   { body: new Response("abc").body!, length: 3 },
 *   () => Promise.reject(new Error("not needed")),
 * );
 * console.assert((await new Response(s).text()) === "abc");
 * ```
 */
export function resumableBody(
  first: BodyPart,
  reopen: (offset: number) => Promise<BodyPart>,
  options: { maxResumes?: number; idleMs?: number; path?: string; flavor?: string } = {},
): ReadableStream<Uint8Array> {
  const idleMs = options.idleMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const expected = first.length;
  let reader = first.body.getReader();
  let received = 0;
  let resumes = 0;
  const max = options.maxResumes ?? 5;
  const fail = (msg: string, cause?: unknown, retryable = true) =>
    new ArtifactStoreError(msg, {
      path: options.path,
      flavor: options.flavor,
      retryable,
      cause,
    });
  const resume = async (cause: unknown) => {
    // A body of unknown length (chunked) that broke is resumed too: its real end is
    // the chunked terminator, so only a break, never a clean end, brings us here.
    if (resumes >= max) {
      throw fail(
        `Download of '${options.path}' broke after ${received} bytes and could not be resumed`,
        cause,
      );
    }
    resumes++;
    reader.cancel().catch(() => {});
    let next: BodyPart;
    try {
      next = await reopen(received);
    } catch (err) {
      if (err instanceof ArtifactStoreError) throw err;
      throw fail(
        `Download of '${options.path}' broke after ${received} bytes and could not be resumed`,
        err,
      );
    }
    if (next.length !== null && expected !== null && next.length !== expected - received) {
      next.body.cancel().catch(() => {});
      throw fail(
        `Download of '${options.path}' changed size while resuming`,
        cause,
        false,
      );
    }
    reader = next.body.getReader();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          // A stall cancels the reader (closing the connection) and is resumed.
          result = await readWithin(reader, idleMs);
        } catch (err) {
          await resume(err);
          continue;
        }
        if (result.done) {
          if (expected !== null && received < expected) {
            await resume(
              new Error(`body ended after ${received} of ${expected} bytes`),
            );
            continue;
          }
          controller.close();
          return;
        }
        received += result.value.length;
        if (expected !== null && received > expected) {
          throw fail(
            `Download of '${options.path}' sent more bytes (${received}) than announced (${expected})`,
            undefined,
            false,
          );
        }
        controller.enqueue(result.value);
        return;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * The `Range` header value of a byte range (`end` exclusive, open-ended when absent).
 *
 * @param start the first byte
 * @param end one past the last byte, or `undefined` for the rest
 * @returns e.g. `bytes=5-9`, `bytes=5-`
 *
 * @example
 * ```ts
 * import { rangeHeader } from "./ranged.ts";
 * console.assert(rangeHeader(5, 10) === "bytes=5-9" && rangeHeader(5) === "bytes=5-");
 * ```
 */
export function rangeHeader(start: number, end?: number): string {
  return `bytes=${start}-${end === undefined ? "" : end - 1}`;
}

/**
 * The headers of a ranged GET: the range (none for a whole-object read, so that no
 * service is asked for a range of an empty object) and `If-Match` when pinned to a
 * version.
 *
 * @param range the byte range (`end` exclusive), or `undefined` for all
 * @param options `ifMatch`, and `header`, the range header's name (default `Range`;
 *   Azure's is `x-ms-range`)
 * @returns the headers
 *
 * @example
 * ```ts
 * import { rangeRequestHeaders } from "./ranged.ts";
 * console.assert(rangeRequestHeaders({ start: 0 }).Range === undefined);
 * console.assert(rangeRequestHeaders({ start: 2, end: 4 }, { ifMatch: '"e"' }).Range === "bytes=2-3");
 * ```
 */
export function rangeRequestHeaders(
  range: { start: number; end?: number } | undefined,
  options: { ifMatch?: string; header?: string } = {},
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (range && (range.start > 0 || range.end !== undefined)) {
    headers[options.header ?? "Range"] = rangeHeader(range.start, range.end);
  }
  if (options.ifMatch) headers["If-Match"] = options.ifMatch;
  return headers;
}

/** How {@linkcode rangedAnswer} reads a service's answer. */
export interface RangedAnswerOptions {
  /** The store path, for errors. */
  path?: string;
  /** The flavor, for errors. */
  flavor?: string;
  /** A header naming the stored size when `Content-Length` is absent (GCS). */
  sizeHeader?: string;
}

/**
 * Interprets the answer to a (possibly) ranged GET the same way for every service:
 * 416 → nothing to read (`null`); the length from `Content-Length` unless the body is
 * content-encoded, else from `Content-Range`; a 200 to a ranged request (the service
 * or a proxy ignored `Range`) → the range cut out of the whole body; a 206 that starts
 * elsewhere than asked → a retryable error, never shifted bytes; an empty object's
 * `bytes 0--1/0` (Azure) → nothing to read. A `206` also gives the object's `size`
 * from its `Content-Range`.
 *
 * @param res the response (2xx or 416)
 * @param range the range asked for, or `undefined` for the whole object
 * @param options path, flavor and a size header for errors and lengths
 * @returns the body part, or `null` when there is nothing to read
 *
 * @example
 * ```ts
 * import { rangedAnswer } from "./ranged.ts";
 * const part = await rangedAnswer(new Response("abcdef"), { start: 2, end: 4 });
 * console.assert(part !== null && (await new Response(part.body).text()) === "cd");
 * ```
 */
export async function rangedAnswer(
  res: Response,
  range: { start: number; end?: number } | undefined,
  options: RangedAnswerOptions = {},
): Promise<BodyPart | null> {
  const start = range?.start ?? 0;
  const end = range?.end;
  const ranged = start > 0 || end !== undefined;
  if (res.status === 416) {
    await res.body?.cancel().catch(() => {});
    return null;
  }
  const encoding = (res.headers.get("content-encoding") ?? "").trim();
  const encoded = encoding !== "" && encoding !== "identity";
  const cl = res.headers.get("content-length");
  let length = cl !== null && /^\d+$/.test(cl) && !encoded ? Number(cl) : null;
  let body = res.body ?? emptyBody();
  const contentRange = res.headers.get("content-range") ?? "";
  const cr = /^bytes (\d+)-(-?\d+)\/(\d+|\*)$/.exec(contentRange);
  if (cr && cr[3] === "0") {
    await body.cancel().catch(() => {});
    return null;
  }
  if (ranged && res.status === 200) {
    const stored = options.sizeHeader ? res.headers.get(options.sizeHeader) : null;
    const size = length ?? (stored !== null && /^\d+$/.test(stored) ? Number(stored) : null);
    if (size !== null && start >= size) {
      await body.cancel().catch(() => {});
      return null;
    }
    body = sliceBody(body, start, end === undefined ? null : end - start);
    length = size === null ? null : Math.max(0, Math.min(size, end ?? size) - start);
  } else if (res.status === 206 && cr) {
    if (Number(cr[1]) !== start) {
      await body.cancel().catch(() => {});
      throw new ArtifactStoreError(
        `Cannot read '${options.path}': asked for bytes from ${start}, the service sent '${contentRange}'`,
        { path: options.path, flavor: options.flavor, status: 206, retryable: true },
      );
    }
    if (length === null && !encoded) length = Number(cr[2]) - Number(cr[1]) + 1;
    if (cr[3] !== "*" && !encoded) return { body, length, size: Number(cr[3]) };
  }
  return { body, length };
}

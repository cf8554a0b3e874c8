/**
 * Ranged downloads, written once: {@linkcode resumableBody} resumes a body that broke
 * or was cut short from where it stopped.
 *
 * @module
 */

import { ArtifactStoreError } from "../errors.ts";

/** A response body for a byte range, as a flavor's reopen function returns it. */
export interface BodyPart {
  /** The bytes. */
  body: ReadableStream<Uint8Array>;
  /** How many bytes this body should carry, when the service said so. */
  length: number | null;
}

/**
 * Streams a download, resuming after a broken connection or a body cut short: it
 * asks `reopen(offset)` for the rest (a flavor sends a ranged GET with `If-Match`
 * so the object cannot change underneath). Never yields silently wrong bytes: a
 * body longer than announced, or one that cannot be resumed, errors the stream.
 *
 * @param first the first response body and its expected length
 * @param reopen fetches the bytes from `offset` (relative to the first body's start)
 * @param options `maxResumes` (default 5), `path` and `flavor` for errors
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
  options: { maxResumes?: number; path?: string; flavor?: string } = {},
): ReadableStream<Uint8Array> {
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
    if (expected === null || resumes >= max) {
      throw fail(
        `Download of '${options.path}' broke after ${received} bytes and could not be resumed`,
        cause,
      );
    }
    resumes++;
    reader.cancel().catch(() => {});
    const next = await reopen(received);
    if (next.length !== null && next.length !== expected - received) {
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
          result = await reader.read();
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

/**
 * How an object store reads an object: {@linkcode readObject} makes one GET and
 * resumes it after a broken body, or — with a read concurrency above 1 and a read
 * longer than one part — asks the first part first and, when its `Content-Range`
 * shows more, reads the rest as parallel ranges ({@linkcode parallelRead}) pinned to
 * the first answer's entity tag. A small object costs one GET either way; the first
 * answer's whole-object check (`GetResult.verify`) covers a read of the whole object.
 *
 * @module
 */

import { resumableBody } from "./http/mod.ts";
import type { GetResult } from "./object_types.ts";
import { parallelRead } from "./parallel_read.ts";

/** A byte range (`end` exclusive; absent: to the end). */
type Range = { start: number; end?: number };

/** What {@linkcode readObject} reads and how. */
export interface ReadObjectOptions {
  /** The bytes to read; absent: the whole object. */
  range?: Range;
  /** Bytes per range of a parallel read. */
  partSize: number;
  /** Ranges in flight at once (1: one GET). */
  concurrency: number;
  /** The longest wait for the next bytes of a body, ms; a stall past it resumes (default 30 s). */
  idleMs?: number;
  /** True when the backend's whole-object check needs an unranged GET (then: one GET). */
  unrangedOnly: () => Promise<boolean> | boolean;
  /** The first GET, its errors already those of the store (a directory, a missing file). */
  first: (range: Range | undefined) => Promise<GetResult>;
  /** A later GET, pinned to `ifMatch`. */
  get: (range: Range, options: { ifMatch?: string; signal?: AbortSignal }) => Promise<GetResult>;
  /** Cancels the read. */
  signal?: AbortSignal;
  /** The store path, for errors. */
  path: string;
  /** The flavor, for errors. */
  flavor: string;
}

/**
 * Reads an object (or a range of it) as one stream: one resumed GET, or parallel
 * ranges after the first part where that is asked for and the answer allows it (it
 * gives the size and an entity tag to pin the ranges to; else one GET, as asked).
 *
 * @param o the range, the limits and the GETs
 * @returns the bytes
 *
 * @example
 * ```ts
 * import { readObject } from "./object_read.ts";
 *
 * const data = new TextEncoder().encode("hello, ranges");
 * const answer = (r?: { start: number; end?: number }) => {
 *   const bytes = data.slice(r?.start ?? 0, r?.end);
 *   return Promise.resolve({ body: new Response(bytes).body!, length: bytes.length, size: data.length, etag: "e1" });
 * };
 * const body = await readObject({
 *   partSize: 4, concurrency: 2, unrangedOnly: () => false,
 *   first: answer, get: answer, path: "memory://doc/x", flavor: "doc",
 * });
 * console.assert(await new Response(body).text() === "hello, ranges");
 * ```
 */
export async function readObject(o: ReadObjectOptions): Promise<ReadableStream<Uint8Array>> {
  const { range, partSize: part, signal } = o;
  const start = range?.start ?? 0;
  const end = range?.end;
  const where = { path: o.path, flavor: o.flavor, idleMs: o.idleMs };
  const parallel = o.concurrency > 1 && (end === undefined || end - start > part) &&
    !await o.unrangedOnly();
  let asked = parallel ? { start, end: start + part } : range;
  let first = await o.first(asked);
  const size = first.size;
  const stop = size === undefined ? undefined : Math.min(end ?? size, size);
  // The read ends within the first range when the answer says so, or sent less than asked.
  const endsHere = stop !== undefined
    ? stop - start <= part
    : first.length !== null && first.length < part;
  if (parallel && !endsHere) {
    if (stop === undefined || first.length === null || first.etag === undefined) {
      // No size (or no version to pin ranges to) in the answer: one GET, as asked.
      await first.body.cancel().catch(() => {});
      asked = range;
      first = await o.first(asked);
    } else {
      const etag = first.etag;
      const body = parallelRead({
        start,
        end: stop,
        partSize: part,
        concurrency: o.concurrency,
        first,
        get: (r, s) => o.get(r, { ifMatch: etag, signal: s }),
        signal,
        ...where,
      });
      return verified(first, start, end, body);
    }
  }
  const pinned = first;
  const body = resumableBody(
    pinned,
    (offset) => o.get({ start: start + offset, end: asked?.end }, { ifMatch: pinned.etag, signal }),
    where,
  );
  return verified(pinned, start, end, body);
}

/** The read with the first answer's whole-object check, when it reads the whole object. */
function verified(
  first: GetResult,
  start: number,
  end: number | undefined,
  body: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  const whole = start === 0 &&
    (end === undefined || (first.size !== undefined && end >= first.size));
  return whole && first.verify ? first.verify(body) : body;
}

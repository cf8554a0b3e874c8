/**
 * Parallel ranged reads: {@linkcode parallelRead} streams a byte range of one object
 * version as consecutive ranges fetched up to `concurrency` at once and delivered in
 * order. The stream is pulled: a range is fetched only while it lies within the
 * window of `concurrency` ranges that starts at the one being read, so memory stays
 * near `partSize × concurrency`; each range is resumed on its own after a broken
 * body; the first failure errors the stream and aborts every range in flight, and
 * `cancel()` does the same.
 *
 * @module
 */

import { ArtifactStoreError } from "./errors.ts";
import { type BodyPart, resumableBody } from "./http/mod.ts";

/** What {@linkcode parallelRead} reads and how. */
export interface ParallelReadOptions {
  /** The first byte delivered. */
  start: number;
  /** One past the last byte delivered (within the object). */
  end: number;
  /** Bytes per range. */
  partSize: number;
  /** Ranges in flight at once, the one being read included. */
  concurrency: number;
  /** The answer to the first range (`start` to `start + partSize`), already received. */
  first: BodyPart;
  /**
   * Fetches one range (`end` exclusive), pinned to the version the first answer
   * came from (`If-Match`), so that no range mixes in bytes of another version.
   */
  get(range: { start: number; end: number }, signal: AbortSignal): Promise<BodyPart>;
  /** Aborts the read. */
  signal?: AbortSignal;
  /** The store path, for errors. */
  path?: string;
  /** The flavor, for errors. */
  flavor?: string;
  /** The longest wait for the next bytes of a range, ms; a stall past it resumes it. */
  idleMs?: number;
}

/** One range: the chunks received and not yet delivered. */
interface Range {
  chunks: Uint8Array[];
  done: boolean;
  reader?: ReadableStreamDefaultReader<Uint8Array>;
}

/**
 * Streams `start` to `end` of an object as ranges of `partSize` bytes fetched up to
 * `concurrency` at once, in order. Every range must carry exactly its bytes (a
 * shorter body is resumed, a longer one or another length is an error); a range's
 * failure (e.g. `PreconditionFailedError`: the object changed) errors the stream
 * with that typed error, never with bytes of another version.
 *
 * @param o the range, the first answer, the range fetcher and the limits
 * @returns the stream
 *
 * @example
 * ```ts
 * import { parallelRead } from "./parallel_read.ts";
 * const data = new TextEncoder().encode("abcdefgh");
 * const part = (s: number, e: number) => ({ body: new Response(data.slice(s, e)).body!, length: e - s });
 * const s = parallelRead({
 *   start: 0, end: 8, partSize: 3, concurrency: 2, first: part(0, 3),
 *   get: (r) => Promise.resolve(part(r.start, r.end)),
 * });
 * console.assert((await new Response(s).text()) === "abcdefgh");
 * ```
 */
export function parallelRead(o: ParallelReadOptions): ReadableStream<Uint8Array> {
  const ac = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, ac.signal]) : ac.signal;
  const partSize = Math.max(1, o.partSize);
  const concurrency = Math.max(1, o.concurrency);
  const count = Math.max(1, Math.ceil((o.end - o.start) / partSize));
  const ranges: (Range | undefined)[] = [];
  let head = 0;
  let launched = 0;
  let failed: unknown;
  let cancelled = false;
  let waiter: (() => void) | undefined;
  const notify = () => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  const fail = (err: unknown) => {
    if (cancelled || failed !== undefined) return;
    failed = o.signal?.aborted ? o.signal.reason : typed(err, o);
    stop(failed);
    notify();
  };
  const stop = (reason: unknown) => {
    ac.abort(reason);
    for (const r of ranges) {
      if (!r) continue;
      r.chunks.length = 0;
      r.reader?.cancel(reason).catch(() => {});
    }
  };
  const fetchRange = async (i: number, r: Range) => {
    // A signal of its own per range, unlinked when the range is done: the read's signal
    // then holds listeners for the ranges in flight only (the HTTP tier adds one per
    // request and keeps it for the body).
    const own = new AbortController();
    const onAbort = () => own.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    try {
      await readRange(i, r, own.signal);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  };
  const readRange = async (i: number, r: Range, signal: AbortSignal) => {
    const s = o.start + i * partSize;
    const e = Math.min(o.end, s + partSize);
    const answer = i === 0 ? o.first : await o.get({ start: s, end: e }, signal);
    if (cancelled || failed !== undefined) {
      await answer.body.cancel().catch(() => {});
      return;
    }
    if (answer.length !== null && answer.length !== e - s) {
      await answer.body.cancel().catch(() => {});
      throw new ArtifactStoreError(
        `Cannot read '${o.path}': bytes ${s}-${e - 1} came back as ${answer.length} bytes`,
        { path: o.path, flavor: o.flavor, retryable: true },
      );
    }
    r.reader = resumableBody(
      { body: answer.body, length: e - s },
      (offset) => {
        // A cancelled read ends the body early: that is no break to resume from.
        if (signal.aborted) return Promise.reject(signal.reason);
        return o.get({ start: s + offset, end: e }, signal);
      },
      { path: o.path, flavor: o.flavor, idleMs: o.idleMs },
    ).getReader();
    for (;;) {
      const next = await r.reader.read();
      if (next.done) break;
      r.chunks.push(next.value);
      notify();
    }
    r.done = true;
    notify();
  };
  const launch = () => {
    while (launched < count && launched < head + concurrency && failed === undefined) {
      const r: Range = { chunks: [], done: false };
      ranges[launched] = r;
      fetchRange(launched, r).catch(fail);
      launched++;
    }
  };
  return new ReadableStream<Uint8Array>({
    start() {
      launch();
    },
    async pull(controller) {
      for (;;) {
        if (failed !== undefined) throw failed;
        if (head >= count) {
          controller.close();
          return;
        }
        const r = ranges[head]!;
        const chunk = r.chunks.shift();
        if (chunk) {
          controller.enqueue(chunk);
          return;
        }
        if (r.done) {
          ranges[head++] = undefined;
          launch();
          continue;
        }
        await new Promise<void>((resolve) => waiter = resolve);
      }
    },
    cancel(reason) {
      cancelled = true;
      stop(reason);
      notify();
    },
  }, { highWaterMark: 0 });
}

/** A failure as a typed error: store errors as they are, anything else wrapped. */
function typed(err: unknown, o: ParallelReadOptions): ArtifactStoreError {
  if (err instanceof ArtifactStoreError) return err;
  return new ArtifactStoreError(
    `Cannot read '${o.path}': ${err instanceof Error ? err.message : String(err)}`,
    { path: o.path, flavor: o.flavor, retryable: true, cause: err },
  );
}

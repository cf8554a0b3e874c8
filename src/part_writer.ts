/**
 * {@linkcode partWriter}: the byte sink every object store writes through — a single
 * request for small data, else equal parts sent in parallel and committed on close.
 *
 * @module
 */

import type { MultipartUpload } from "./object_types.ts";

/** Options for {@linkcode partWriter}. */
export interface PartWriterOptions {
  /** Bytes per part (every part but the last has exactly this size). */
  partSize: number;
  /** Parts in flight at once. */
  concurrency: number;
  /** Aborting it aborts the upload. */
  signal?: AbortSignal;
  /** Called with the bytes accepted so far. */
  onProgress?: (bytes: number) => void;
  /** Writes data of at most one part in one request. */
  single: (data: Uint8Array) => Promise<void>;
  /** Starts a multipart upload (called when the data passes one part). */
  start: () => Promise<MultipartUpload>;
  /** Runs just before the multipart commit (e.g. a create-only check); `single` checks itself. */
  beforeComplete?: () => Promise<void>;
}

/**
 * A byte sink that uploads in equal parts: a single request for data up to one
 * part, else a multipart upload with up to `concurrency` parts in flight, committed
 * on `close()` and aborted on `abort()` or any error, so nothing half-written is
 * ever visible. Each part is a byte array, so it can be retried, and memory stays
 * near `partSize × (concurrency + 1)`.
 *
 * @param o sizes, callbacks and signal
 * @returns the sink
 *
 * @example
 * ```ts
 * import { partWriter } from "./part_writer.ts";
 * let stored = 0;
 * const sink = partWriter({
 *   partSize: 4,
 *   concurrency: 2,
 *   single: (d) => Promise.resolve(void (stored = d.length)),
 *   start: () => Promise.reject(new Error("not needed for 3 bytes")),
 * });
 * const w = sink.getWriter();
 * await w.write(new Uint8Array(3));
 * await w.close();
 * console.assert(stored === 3);
 * ```
 */
export function partWriter(o: PartWriterOptions): WritableStream<Uint8Array> {
  const partSize = Math.max(1, o.partSize);
  let buf: Uint8Array | null = null;
  let filled = 0;
  let written = 0;
  let upload: MultipartUpload | null = null;
  let starting: Promise<MultipartUpload> | null = null;
  let partNo = 0;
  const receipts: string[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  let finished = false;
  // Buffers of parts whose upload finished, reused for later parts: no fresh
  // part-size allocation (and no garbage left for the collector) per part.
  const spare: Uint8Array[] = [];

  const flush = async (data: Uint8Array) => {
    upload ??= await (starting ??= o.start());
    const n = ++partNo;
    const up = upload;
    const p = up.uploadPart(n, data, o.signal).then(
      (r) => {
        receipts[n - 1] = r;
        // A detached buffer (a fetch that transferred it) has length 0: not reused.
        if (data.length === partSize) spare.push(data);
      },
      (err) => void (failure ??= err),
    );
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    const limit = up.sequential ? 1 : o.concurrency;
    while (inflight.size >= limit) await Promise.race(inflight);
    if (failure !== undefined) throw failure;
  };

  const discard = async () => {
    if (finished) return;
    finished = true;
    await Promise.allSettled([...inflight]);
    buf = null;
    // An abort (through the signal) may arrive while the upload is being started.
    const started = upload ?? await starting?.catch(() => null);
    if (started) await started.abort().catch(() => {});
  };

  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      o.signal?.throwIfAborted();
      return await fn();
    } catch (err) {
      await discard();
      throw o.signal?.aborted ? o.signal.reason : err;
    }
  };

  const onAbort = () => void discard();
  o.signal?.addEventListener("abort", onAbort, { once: true });

  return new WritableStream<Uint8Array>({
    write: (chunk) =>
      guard(async () => {
        let off = 0;
        while (off < chunk.length) {
          if (buf && filled === partSize) {
            // A full part is sent only once more data follows, so data of exactly
            // one part stays a single request.
            await flush(buf);
            buf = null;
            filled = 0;
          }
          const take = Math.min(partSize - filled, chunk.length - off);
          // Until the first part is full the data may be small: grow the buffer by
          // doubling instead of allocating (and zeroing) a whole part per write.
          buf ??= spare.pop() ?? new Uint8Array(
            partNo > 0 ? partSize : Math.min(partSize, Math.max(64 * 1024, take)),
          );
          if (filled + take > buf.length) {
            const bigger = new Uint8Array(
              Math.min(partSize, Math.max(buf.length * 2, filled + take)),
            );
            bigger.set(buf.subarray(0, filled));
            buf = bigger;
          }
          buf.set(chunk.subarray(off, off + take), filled);
          filled += take;
          off += take;
        }
        written += chunk.length;
        o.onProgress?.(written);
      }),
    close: () =>
      guard(async () => {
        const rest = buf ? buf.subarray(0, filled) : new Uint8Array(0);
        if (!upload) {
          await o.single(rest);
        } else {
          if (rest.length > 0) await flush(rest);
          await Promise.all([...inflight]);
          if (failure !== undefined) throw failure;
          o.signal?.throwIfAborted();
          await o.beforeComplete?.();
          await upload.complete(receipts, o.signal);
        }
        finished = true;
        buf = null;
        o.signal?.removeEventListener("abort", onAbort);
      }),
    abort: async () => {
      o.signal?.removeEventListener("abort", onAbort);
      await discard();
    },
  });
}

/**
 * The `memory` flavor's writer: a sink that keeps the chunks written (copies, so
 * the caller may reuse its buffers), reports progress, honours the signal, and
 * hands them all to a commit function on `close()`; an abort drops them, so
 * nothing of an unfinished write is ever seen.
 *
 * @example
 * ```ts
 * import { memoryWriter } from "./writer.ts";
 *
 * let got = 0;
 * const sink = memoryWriter({}, (chunks) => {
 *   got = chunks.reduce((n, c) => n + c.length, 0);
 * });
 * const w = sink.getWriter();
 * await w.write(new Uint8Array(3));
 * await w.close();
 * console.assert(got === 3);
 * ```
 *
 * @module
 */

import type { WriteOptions } from "../../src/types.ts";

/**
 * A sink whose chunks are committed together on `close()`.
 *
 * @param options the signal and the progress callback
 * @param commit stores the chunks (its throw fails the `close()`)
 * @returns the sink
 */
export function memoryWriter(
  options: WriteOptions,
  commit: (chunks: readonly Uint8Array[]) => void,
): WritableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  return new WritableStream<Uint8Array>({
    write: (chunk) => {
      options.signal?.throwIfAborted();
      chunks.push(chunk.slice());
      total += chunk.length;
      options.onProgress?.(total);
    },
    close: () => {
      options.signal?.throwIfAborted();
      commit(chunks);
    },
    abort: () => {
      chunks.length = 0;
    },
  });
}

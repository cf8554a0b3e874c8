/**
 * The `local` flavor's read path: a file (or a byte range of it) as a byte stream,
 * read in 256 KiB chunks on demand, the file closed at the end, on an error, on
 * cancel or when the signal aborts.
 *
 * @example
 * ```ts
 * import { readFileStream } from "./read.ts";
 * import { loadFs } from "./fs.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/f`, "hello");
 * const body = await readFileStream(await loadFs(), `${dir}/f`, { range: { start: 1 } }, {
 *   path: `${dir}/f`,
 *   flavor: "local",
 * });
 * console.assert((await new Response(body).text()) === "ello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import { clampRange } from "../../src/range.ts";
import type { ReadOptions } from "../../src/types.ts";
import { type At, isADirectoryError } from "../../src/fs_errors.ts";
import { fsError } from "./errors.ts";
import type { FileHandle, Fs } from "./fs.ts";

const READ_CHUNK = 256 * 1024;

/**
 * Opens a file for reading, as a stream of its bytes (or of `options.range`).
 *
 * @param fs the file-system module
 * @param path the OS path of the file
 * @param options the range and the signal
 * @param at the file's full URI and the flavor, for errors
 * @returns the stream
 */
export async function readFileStream(
  fs: Fs,
  path: string,
  options: ReadOptions,
  at: At,
): Promise<ReadableStream<Uint8Array>> {
  let fh: FileHandle;
  try {
    fh = await fs.open(path, "r");
  } catch (err) {
    throw fsError(err, at, "read");
  }
  let pos: number;
  let end: number;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw isADirectoryError(at, "read");
    [pos, end] = clampRange(options.range, st.size);
  } catch (err) {
    await fh.close();
    throw fsError(err, at, "read");
  }
  const signal = options.signal;
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await fh.close();
    }
  };
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      try {
        signal?.throwIfAborted();
        const want = Math.min(READ_CHUNK, end - pos);
        if (want <= 0) {
          await close();
          controller.close();
          return;
        }
        const buf = new Uint8Array(want);
        const { bytesRead } = await fh.read(buf, 0, want, pos);
        if (bytesRead === 0) {
          await close();
          controller.close();
          return;
        }
        pos += bytesRead;
        controller.enqueue(bytesRead === want ? buf : buf.subarray(0, bytesRead));
      } catch (err) {
        await close().catch(() => {});
        controller.error(signal?.aborted ? signal.reason : fsError(err, at, "read"));
      }
    },
    cancel: close,
  }, { highWaterMark: 1 });
}

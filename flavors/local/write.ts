/**
 * The `local` flavor's atomic write path. Bytes go to a hidden temporary file
 * beside the target (`.stowage-<16 hex>.partial`, never listed), which is published
 * on `close()`: renamed over the target, or, for a create-only write, hard-linked
 * to it (`link()` fails atomically when the target exists) and then removed. An
 * abort, a failed write or the signal removes the temporary file, so a half-written
 * file is never visible and nothing is left behind.
 *
 * @example
 * ```ts
 * import { openAtomicWrite } from "./write.ts";
 * import { loadFs } from "./fs.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const target = `${dir}/f`;
 * const sink = await openAtomicWrite(await loadFs(), {
 *   dir,
 *   target,
 *   kind: "create",
 *   appendTo: false,
 *   options: {},
 *   at: { path: target, flavor: "local" },
 * });
 * const w = sink.getWriter();
 * await w.write(new TextEncoder().encode("hi"));
 * await w.close();
 * console.assert((await Deno.readTextFile(target)) === "hi");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import type { WriteKind } from "../../src/open_mode.ts";
import type { WriteOptions } from "../../src/types.ts";
import type { At } from "../../src/fs_errors.ts";
import { fsError } from "./errors.ts";
import type { FileHandle, Fs } from "./fs.ts";

const TEMP_RE = /^\.stowage-[0-9a-f]{16}\.partial$/;

/**
 * Tells whether a file name is one of a write in progress (listings hide them).
 *
 * @param name a file name
 * @returns true for a temporary file of a write
 *
 * @example
 * ```ts
 * import { isTempName, tempPath } from "./write.ts";
 * console.assert(isTempName(tempPath("/d").slice(3)) && !isTempName("a.partial"));
 * ```
 */
export function isTempName(name: string): boolean {
  return TEMP_RE.test(name);
}

/**
 * A fresh temporary file's OS path in a directory.
 *
 * @param dir the OS path of the directory (the target's)
 * @returns the temporary file's OS path
 */
export function tempPath(dir: string): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${dir}/.stowage-${hex}.partial`;
}

/** What {@linkcode openAtomicWrite} writes. */
export interface AtomicWrite {
  /** The OS path of the target's directory, which exists. */
  dir: string;
  /** The OS path of the target. */
  target: string;
  /** Overwrite, create only, or append. */
  kind: WriteKind;
  /** Whether an append starts from the target's current bytes (it exists). */
  appendTo: boolean;
  /** The signal and the progress callback (content type and metadata are not kept). */
  options: WriteOptions;
  /** The target's full URI and the flavor, for errors. */
  at: At;
}

/**
 * A sink that writes a temporary file and publishes it on `close()`; an abort, a
 * failed write or the signal discards it.
 *
 * @param fs the file-system module
 * @param w the target and how to write it
 * @returns the sink
 */
export async function openAtomicWrite(fs: Fs, w: AtomicWrite): Promise<WritableStream<Uint8Array>> {
  const { target, kind, at } = w;
  const tmp = tempPath(w.dir);
  let fh: FileHandle;
  try {
    if (w.appendTo) await fs.copyFile(target, tmp, fs.constants.COPYFILE_EXCL);
    fh = await fs.open(tmp, kind === "append" ? "a" : "wx");
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw fsError(err, at, "write");
  }
  let written = 0;
  let done = false;
  // One discard, however many callers (the signal, the stream's abort, a failed write):
  // each awaits the same removal, so an aborted write returns only once nothing is left.
  let discarding: Promise<void> | undefined;
  const discard = (): Promise<void> => {
    if (done && !discarding) return Promise.resolve();
    done = true;
    discarding ??= (async () => {
      await fh.close().catch(() => {});
      await fs.rm(tmp, { force: true }).catch(() => {});
    })();
    return discarding;
  };
  const signal = w.options.signal;
  const onAbort = () => void discard();
  signal?.addEventListener("abort", onAbort, { once: true });
  return new WritableStream<Uint8Array>({
    write: async (chunk) => {
      try {
        signal?.throwIfAborted();
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
        written += chunk.length;
        w.options.onProgress?.(written);
      } catch (err) {
        await discard();
        throw signal?.aborted ? signal.reason : fsError(err, at, "write");
      }
    },
    close: async () => {
      try {
        signal?.throwIfAborted();
        await fh.close();
        done = true;
        if (kind === "create") {
          await fs.link(tmp, target);
          await fs.rm(tmp, { force: true });
        } else {
          await fs.rename(tmp, target);
        }
      } catch (err) {
        done = false;
        await discard();
        throw signal?.aborted ? signal.reason : fsError(err, at, "write");
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    },
    abort: async () => {
      signal?.removeEventListener("abort", onAbort);
      await discard();
    },
  });
}

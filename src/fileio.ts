/**
 * `fileio`: the file functions that dispatch any path to the right store, as
 * `zenml.io.fileio` does. A path goes to the registered store whose root is its
 * longest prefix; otherwise to a store made for its scheme (with credentials from
 * the environment); plain paths go to the local file system. Which store serves a
 * path is decided in `fileio_stores.ts`; this module holds the functions.
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 *
 * await fileio.writeText("memory://fileio-doc/a.txt", "hi");
 * console.assert((await fileio.readText("memory://fileio-doc/a.txt")) === "hi");
 * ```
 *
 * @module
 */

import type {
  BinaryReadMode,
  BinaryWriteMode,
  OpenMode,
  TextReadMode,
  TextWriteMode,
} from "./open_mode.ts";
import type {
  CopyOptions,
  OpenOptions,
  ReadOptions,
  StatResult,
  WalkEntry,
  WalkOptions,
  WriteOptions,
} from "./types.ts";
import { FileExistsError } from "./errors.ts";
import { absolute, storeFor } from "./fileio_stores.ts";
import { intoDirectory } from "./keys.ts";
import { readAllBytes, readAllText, writeAll, wrongChunk } from "./streams.ts";

export { register, storeFor, unregister } from "./fileio_stores.ts";

/** Opens a file for reading text. */
export function open(
  path: string,
  mode?: TextReadMode,
  options?: ReadOptions,
): Promise<ReadableStream<string>>;
/** Opens a file for reading bytes. */
export function open(
  path: string,
  mode: BinaryReadMode,
  options?: ReadOptions,
): Promise<ReadableStream<Uint8Array>>;
/** Opens a file for writing text. */
export function open(
  path: string,
  mode: TextWriteMode,
  options?: WriteOptions,
): Promise<WritableStream<string>>;
/** Opens a file for writing bytes. */
export function open(
  path: string,
  mode: BinaryWriteMode,
  options?: WriteOptions,
): Promise<WritableStream<Uint8Array>>;
/**
 * Opens a file in the store that serves it (see `BaseArtifactStore.open`).
 *
 * @param path the file
 * @param mode the mode (default `"r"`)
 * @param options read or write options
 * @returns a readable or writable stream
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * const w = (await fileio.open("memory://open-doc/a.bin", "wb")).getWriter();
 * await w.write(new Uint8Array([1, 2]));
 * await w.close();
 * ```
 */
export async function open(
  path: string,
  mode: OpenMode = "r",
  options?: OpenOptions,
): Promise<
  | ReadableStream<string>
  | ReadableStream<Uint8Array>
  | WritableStream<string>
  | WritableStream<Uint8Array>
> {
  return (await storeFor(path)).open(absolute(path), mode, options);
}

/**
 * Copies a file; between two stores the bytes stream through with bounded memory.
 *
 * @param src the source file
 * @param dst the destination file
 * @param options `overwrite` (default false)
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeText("memory://copy-doc/a", "x");
 * await fileio.copy("memory://copy-doc/a", "memory://copy-doc/b");
 * ```
 */
export async function copy(
  src: string,
  dst: string,
  options: CopyOptions = {},
): Promise<void> {
  dst = intoDirectory(src, dst);
  const [a, b] = await Promise.all([storeFor(src), storeFor(dst)]);
  if (a === b) return a.copyfile(absolute(src), absolute(dst), options);
  const overwrite = options.overwrite ?? false;
  if (!overwrite && await b.exists(absolute(dst))) {
    throw new FileExistsError(
      `Destination '${dst}' already exists: pass { overwrite: true } to replace it`,
      { path: dst, flavor: b.flavor },
    );
  }
  const source = await a.open(absolute(src), "rb");
  let sink: WritableStream<Uint8Array>;
  try {
    sink = await b.open(absolute(dst), overwrite ? "wb" : "xb");
  } catch (err) {
    await source.cancel().catch(() => {});
    throw err;
  }
  await source.pipeTo(sink);
}

/**
 * Renames a file; between two stores it is a streamed copy, then a remove.
 *
 * @param src the source
 * @param dst the destination
 * @param options `overwrite` (default false)
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeText("memory://mv-doc/a", "x");
 * await fileio.rename("memory://mv-doc/a", "memory://mv-doc/b");
 * ```
 */
export async function rename(
  src: string,
  dst: string,
  options: CopyOptions = {},
): Promise<void> {
  dst = intoDirectory(src, dst);
  const [a, b] = await Promise.all([storeFor(src), storeFor(dst)]);
  if (a === b) return a.rename(absolute(src), absolute(dst), options);
  await copy(src, dst, options);
  await a.remove(absolute(src));
}

/**
 * Tells whether a path exists.
 *
 * @param path the path
 * @returns true when a file or directory is there
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * console.assert(!(await fileio.exists("memory://nothing-here/x")));
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  return (await storeFor(path)).exists(absolute(path));
}

/**
 * Finds the paths matching a glob pattern.
 *
 * @param pattern the pattern
 * @returns the matching full URIs, sorted
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeText("memory://glob-doc/a.txt", "x");
 * console.assert((await fileio.glob("memory://glob-doc/*.txt")).length === 1);
 * ```
 */
export async function glob(pattern: string): Promise<string[]> {
  return (await storeFor(pattern)).glob(absolute(pattern));
}

/**
 * Tells whether a path is a directory.
 *
 * @param path the path
 * @returns true for a directory
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.makedirs("memory://isdir-doc/d");
 * console.assert(await fileio.isdir("memory://isdir-doc/d"));
 * ```
 */
export async function isdir(path: string): Promise<boolean> {
  return (await storeFor(path)).isdir(absolute(path));
}

/**
 * Lists a directory's children (base names, sorted).
 *
 * @param path the directory
 * @returns the names
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeText("memory://ls-doc/a", "x");
 * console.assert((await fileio.listdir("memory://ls-doc")).join() === "a");
 * ```
 */
export async function listdir(path: string): Promise<string[]> {
  return (await storeFor(path)).listdir(absolute(path));
}

/**
 * Creates a directory and its parents.
 *
 * @param path the directory
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.makedirs("memory://mk-doc/a/b");
 * ```
 */
export async function makedirs(path: string): Promise<void> {
  return (await storeFor(path)).makedirs(absolute(path));
}

/**
 * Creates a directory whose parent exists.
 *
 * @param path the directory
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.mkdir("memory://mkdir-doc");
 * ```
 */
export async function mkdir(path: string): Promise<void> {
  return (await storeFor(path)).mkdir(absolute(path));
}

/**
 * Removes a file.
 *
 * @param path the file
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeText("memory://rm-doc/a", "x");
 * await fileio.remove("memory://rm-doc/a");
 * ```
 */
export async function remove(path: string): Promise<void> {
  return (await storeFor(path)).remove(absolute(path));
}

/**
 * Removes a directory tree.
 *
 * @param path the directory
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeText("memory://rmtree-doc/d/a", "x");
 * await fileio.rmtree("memory://rmtree-doc/d");
 * ```
 */
export async function rmtree(path: string): Promise<void> {
  return (await storeFor(path)).rmtree(absolute(path));
}

/**
 * Describes a file or directory.
 *
 * @param path the path
 * @returns its stat
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeText("memory://stat-doc/a", "abc");
 * console.assert((await fileio.stat("memory://stat-doc/a")).size === 3);
 * ```
 */
export async function stat(path: string): Promise<StatResult> {
  return (await storeFor(path)).stat(absolute(path));
}

/**
 * The size of a file in bytes.
 *
 * @param path the file
 * @returns the size
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeText("memory://size-doc/a", "abcd");
 * console.assert((await fileio.size("memory://size-doc/a")) === 4);
 * ```
 */
export async function size(path: string): Promise<number> {
  return (await storeFor(path)).size(absolute(path));
}

/**
 * Walks a directory tree like `os.walk`.
 *
 * @param top the directory
 * @param options `topdown` and `onerror`
 * @returns the walk
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeText("memory://walk-doc/d/a", "x");
 * for await (const [dir, dirs, files] of fileio.walk("memory://walk-doc")) {
 *   console.log(dir, dirs, files);
 * }
 * ```
 */
export async function* walk(
  top: string,
  options?: WalkOptions,
): AsyncGenerator<WalkEntry> {
  yield* (await storeFor(top)).walk(absolute(top), options);
}

/**
 * Reads a whole file as text (UTF-8).
 *
 * @param path the file
 * @param options range and signal
 * @returns the text
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeText("memory://rt-doc/a", "hello");
 * console.assert((await fileio.readText("memory://rt-doc/a")) === "hello");
 * ```
 */
export async function readText(
  path: string,
  options?: ReadOptions,
): Promise<string> {
  return readAllText(await open(path, "r", options));
}

/**
 * Writes a whole file from text (UTF-8), replacing it.
 *
 * @param path the file
 * @param text the text
 * @param options write options; `mode: "x"` to create only
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeText("memory://wt-doc/a", "hello");
 * ```
 */
export async function writeText(
  path: string,
  text: string,
  options: WriteOptions & { mode?: TextWriteMode } = {},
): Promise<void> {
  // Checked before opening: a local write creates parent directories on open.
  if (typeof text !== "string") throw wrongChunk("text", text, path);
  await writeAll(await open(path, options.mode ?? "w", options), text);
}

/**
 * Reads a whole file as bytes.
 *
 * @param path the file
 * @param options range and signal
 * @returns the bytes
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeBytes("memory://rb-doc/a", new Uint8Array([1]));
 * console.assert((await fileio.readBytes("memory://rb-doc/a"))[0] === 1);
 * ```
 */
export async function readBytes(
  path: string,
  options?: ReadOptions,
): Promise<Uint8Array> {
  return readAllBytes(await open(path, "rb", options));
}

/**
 * Writes a whole file from bytes, replacing it.
 *
 * @param path the file
 * @param bytes the bytes
 * @param options write options; `mode: "xb"` to create only
 *
 * @example
 * ```ts
 * import { fileio } from "../mod.ts";
 * await fileio.writeBytes("memory://wb-doc/a", new Uint8Array([1, 2, 3]));
 * ```
 */
export async function writeBytes(
  path: string,
  bytes: Uint8Array,
  options: WriteOptions & { mode?: BinaryWriteMode } = {},
): Promise<void> {
  if (!(bytes instanceof Uint8Array)) throw wrongChunk("bytes", bytes, path);
  await writeAll(await open(path, options.mode ?? "wb", options), bytes);
}

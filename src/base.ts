/**
 * {@linkcode BaseArtifactStore}: ZenML's artifact-store abstraction, asynchronous and
 * typed, with the shared parts (path resolution, modes, text streams, glob, walk)
 * written once.
 *
 * A flavor implements a small core — {@linkcode BaseArtifactStore.openRead},
 * {@linkcode BaseArtifactStore.openWrite} and the file-system operations — and gets
 * `open`, `glob`, `walk` and `size` from this class (or overrides them).
 *
 * @module
 */

import { FileExistsError, InvalidPathError, NotSupportedError, toStoreError } from "./errors.ts";
import { guardOperations } from "./boundary.ts";
import { type CompiledGlob, compileGlob } from "./glob.ts";
import {
  type BinaryReadMode,
  type BinaryWriteMode,
  checkWriteTarget,
  type OpenMode,
  parseMode,
  type TextReadMode,
  type TextWriteMode,
  type WriteKind,
} from "./open_mode.ts";
import { joinUri, parseRoot, resolvePath, type StoreRoot } from "./path.ts";
import { validateRange } from "./range.ts";
import { binaryToTextWritable } from "./streams.ts";
import { globResult, globTree, listdirEntries, type StoreTree, walkTree } from "./traverse.ts";
import type {
  ArtifactStoreConfig,
  Capabilities,
  CopyOptions,
  DirEntries,
  OpenOptions,
  PresignOptions,
  ReadOptions,
  StatResult,
  WalkEntry,
  WalkOptions,
  WriteOptions,
} from "./types.ts";
import { configuredRoot, splitScheme } from "./uri.ts";

/**
 * The base class of every artifact store.
 *
 * Every method takes a full URI inside the store's root (or a path relative to the
 * root); paths outside the root are refused with {@linkcode InvalidPathError}.
 *
 * @example A store in use
 * ```ts
 * import { MemoryArtifactStore } from "../flavors/memory/mod.ts";
 *
 * const store = new MemoryArtifactStore({ path: "memory://doc-base" });
 * const w = (await store.open("memory://doc-base/a.txt", "w")).getWriter();
 * await w.write("hello");
 * await w.close();
 * console.assert((await store.listdir("memory://doc-base")).join() === "a.txt");
 * ```
 */
export abstract class BaseArtifactStore {
  /** The flavor name (override in subclasses). */
  static FLAVOR: string = "";
  /** The URI schemes (`"s3://"`) the flavor serves (override in subclasses). */
  static SUPPORTED_SCHEMES: readonly string[] = [];

  /** The parsed root. */
  protected readonly root: StoreRoot;
  /** The configuration the store was created with. */
  readonly config: ArtifactStoreConfig;

  /**
   * Creates the store; the root is parsed and normalized at once.
   *
   * @param config the configuration; `path` is the root
   */
  constructor(config: ArtifactStoreConfig) {
    // The same checks as createArtifactStore, however the store is made.
    const path = configuredRoot(config?.path, this.flavor, this.supportedSchemes);
    this.config = { ...config, path };
    try {
      this.root = parseRoot(this.normalizeRoot(this.config.path));
    } catch (err) {
      throw toStoreError(err, {
        flavor: this.flavor,
        op: "create the store at",
        path: config?.path,
      });
    }
    guardOperations(this);
  }

  /** The root URI of the store (`s3://bucket/prefix`, `/abs/dir`). */
  get path(): string {
    return this.root.uri;
  }

  /** The flavor name. */
  get flavor(): string {
    return (this.constructor as typeof BaseArtifactStore).FLAVOR;
  }

  /** The schemes this store serves. */
  get supportedSchemes(): readonly string[] {
    return (this.constructor as typeof BaseArtifactStore).SUPPORTED_SCHEMES;
  }

  /** What this store can do. */
  get capabilities(): Capabilities {
    return {
      append: false,
      atomicRename: false,
      conditionalWrite: false,
      presign: false,
      directories: false,
    };
  }

  // ---------------------------------------------------------------- paths

  /** Hook: rewrite the configured root before parsing (e.g. make a local path absolute). */
  protected normalizeRoot(path: string): string {
    return path;
  }

  /** Hook: rewrite an input path before resolution (e.g. map `abfs://` forms to `az://`). */
  protected normalizePath(path: string): string {
    return path;
  }

  /**
   * Resolves a path to a key relative to the root, refusing anything outside it.
   *
   * @param path a full URI inside the root, or a path relative to it
   * @returns the relative key (`""` for the root)
   */
  protected resolve(path: string): string {
    if (typeof path !== "string") {
      throw new InvalidPathError(`Path must be a string, got ${typeof path}`, {
        flavor: this.flavor,
      });
    }
    return resolvePath(this.root, this.normalizePath(path), {
      schemes: this.supportedSchemes,
      flavor: this.flavor,
    });
  }

  /**
   * Tells whether a full URI (or an absolute local path) lies inside this store's
   * root. Relative paths are not judged: they return false.
   *
   * @param path the path
   * @returns true when every operation of this store accepts it
   */
  contains(path: string): boolean {
    if (typeof path !== "string") return false;
    const p = this.normalizePath(path).replaceAll("\\", "/");
    if (!splitScheme(p) && !(this.root.scheme === "" && p.startsWith("/"))) {
      return false;
    }
    try {
      this.resolve(path);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The full URI of a relative key.
   *
   * @param rel a key relative to the root
   * @returns the URI
   */
  protected uri(rel: string): string {
    return joinUri(this.root, rel);
  }

  // ---------------------------------------------------------------- open

  /** Opens a file for reading text. */
  open(path: string, mode?: TextReadMode, options?: ReadOptions): Promise<ReadableStream<string>>;
  /** Opens a file for reading bytes. */
  open(
    path: string,
    mode: BinaryReadMode,
    options?: ReadOptions,
  ): Promise<ReadableStream<Uint8Array>>;
  /** Opens a file for writing text; visible once `close()` resolves. */
  open(
    path: string,
    mode: TextWriteMode,
    options?: WriteOptions,
  ): Promise<WritableStream<string>>;
  /** Opens a file for writing bytes; visible once `close()` resolves. */
  open(
    path: string,
    mode: BinaryWriteMode,
    options?: WriteOptions,
  ): Promise<WritableStream<Uint8Array>>;
  /** Opens a file in any mode. */
  open(path: string, mode?: OpenMode, options?: OpenOptions): Promise<
    | ReadableStream<string>
    | ReadableStream<Uint8Array>
    | WritableStream<string>
    | WritableStream<Uint8Array>
  >;
  /**
   * Opens a file. Read modes (`r`, `rb`) return a `ReadableStream`; write modes
   * (`w`/`wb` overwrite, `x`/`xb` create only, `a`/`ab` append) return a
   * `WritableStream` whose data becomes visible only when `close()` resolves;
   * `abort()` or an error leaves nothing behind.
   *
   * @param path the file
   * @param mode the mode (default `"r"`)
   * @param options range and signal for reads; content type, metadata, signal and progress for writes
   * @returns a stream of strings (text modes) or bytes (binary modes)
   */
  async open(path: string, mode: OpenMode = "r", options: OpenOptions = {}): Promise<
    | ReadableStream<string>
    | ReadableStream<Uint8Array>
    | WritableStream<string>
    | WritableStream<Uint8Array>
  > {
    const { binary, kind } = parseMode(mode, path, this.flavor);
    const rel = this.resolve(path);
    if (kind === "read") {
      if (options.range) validateRange(options.range, this.uri(rel), this.flavor);
      const stream = await this.openRead(rel, options);
      return binary ? stream : stream.pipeThrough(
        new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>,
      );
    }
    checkWriteTarget(path, rel, this.path, this.flavor);
    if (kind === "append" && !this.capabilities.append) {
      throw new NotSupportedError(
        `The ${this.flavor} store cannot append ('${mode}' on '${this.uri(rel)}'): ` +
          `read the file and write it again with 'w'`,
        { path: this.uri(rel), flavor: this.flavor },
      );
    }
    options.signal?.throwIfAborted();
    const stream = await this.openWrite(rel, kind, options);
    return binary ? stream : binaryToTextWritable(stream, this.uri(rel));
  }

  /**
   * Flavor core: a byte stream of the file at `rel` (or of `options.range`).
   * Throws `FileNotFoundError` / `IsADirectoryError` before returning.
   *
   * @param rel the key relative to the root
   * @param options range and signal
   * @returns the bytes
   */
  protected abstract openRead(
    rel: string,
    options: ReadOptions,
  ): Promise<ReadableStream<Uint8Array>>;

  /**
   * Flavor core: a byte sink for the file at `rel`, committed on `close()`,
   * discarded on `abort()` or error. `create` fails with `FileExistsError` if the
   * file exists (at the latest on close); `append` adds to the existing file.
   *
   * @param rel the key relative to the root
   * @param kind overwrite, create only, or append
   * @param options content type, metadata, signal, progress
   * @returns the sink
   */
  protected abstract openWrite(
    rel: string,
    kind: WriteKind,
    options: WriteOptions,
  ): Promise<WritableStream<Uint8Array>>;

  // ---------------------------------------------------------------- the operations

  /**
   * Copies a file inside this store.
   *
   * @param src the source file
   * @param dst the destination file
   * @param options `overwrite` (default false: `FileExistsError` when dst exists)
   */
  abstract copyfile(src: string, dst: string, options?: CopyOptions): Promise<void>;

  /**
   * Tells whether a file or directory exists at the path.
   *
   * @param path the path
   * @returns true when something is there
   */
  abstract exists(path: string): Promise<boolean>;

  /**
   * Tells whether the path is a directory (on object stores: a prefix with objects, or a marker).
   *
   * @param path the path
   * @returns true for a directory
   */
  abstract isdir(path: string): Promise<boolean>;

  /**
   * Lists the base names of a directory's direct children, sorted by code point.
   *
   * @param path the directory
   * @returns the names
   */
  abstract listdir(path: string): Promise<string[]>;

  /**
   * Creates a directory and its missing parents; never fails because it exists.
   *
   * @param path the directory
   */
  abstract makedirs(path: string): Promise<void>;

  /**
   * Creates a directory whose parent exists (exist-ok).
   *
   * @param path the directory
   */
  abstract mkdir(path: string): Promise<void>;

  /**
   * Removes one file.
   *
   * @param path the file
   */
  abstract remove(path: string): Promise<void>;

  /**
   * Renames a file (atomic where the backend is, else copy + delete).
   *
   * @param src the source
   * @param dst the destination
   * @param options `overwrite` (default false)
   */
  abstract rename(src: string, dst: string, options?: CopyOptions): Promise<void>;

  /**
   * Removes a directory and everything below it.
   *
   * @param path the directory
   */
  abstract rmtree(path: string): Promise<void>;

  /**
   * Describes a file or directory.
   *
   * @param path the path
   * @returns its stat
   */
  abstract stat(path: string): Promise<StatResult>;

  /**
   * The size of a file in bytes (0 for a directory).
   *
   * @param path the file
   * @returns its size
   */
  async size(path: string): Promise<number> {
    return (await this.stat(path)).size;
  }

  /**
   * A URL that grants access to one object for a while, without credentials.
   *
   * @param path the file
   * @param options method and lifetime
   * @returns the URL
   */
  presign(path: string, options?: PresignOptions): Promise<string> {
    void options;
    return Promise.reject(
      new NotSupportedError(
        `The ${this.flavor} store cannot presign URLs ('${path}'): serve it through the HTTP adapter instead`,
        { path, flavor: this.flavor },
      ),
    );
  }

  // ---------------------------------------------------------------- derived: scandir, walk, glob

  /**
   * Lists one directory as subdirectory and file names (sorted). The default uses
   * `listdir` and `isdir`; flavors override it with one listing call.
   *
   * @param rel the directory key relative to the root
   * @returns its entries
   */
  protected scandir(rel: string): Promise<DirEntries> {
    return listdirEntries(this.#tree(), rel);
  }

  /**
   * Walks a directory tree like Python's `os.walk`: yields `[dir, dirnames,
   * filenames]` with `dir` a full URI without trailing slash and sorted names. With
   * `topdown` (the default) a directory comes before its subdirectories and removing
   * names from `dirnames` prunes the walk. Errors go to `onerror`, else are skipped;
   * a missing `top` yields nothing.
   *
   * @param top the directory to walk
   * @param options `topdown` and `onerror`
   * @returns the walk
   */
  async *walk(top: string, options: WalkOptions = {}): AsyncGenerator<WalkEntry> {
    // An invalid path is the caller's mistake, not a walk error: it throws.
    const rel = this.resolve(top);
    yield* walkTree(this.#tree(), rel, options);
  }

  /**
   * Finds paths matching a glob pattern (fsspec rules: `*`, `?`, `[abc]`, `[!a]`
   * within a segment, `**` for zero or more segments, trailing `/` for directories
   * only). Results are full URIs, sorted by code point.
   *
   * @param pattern the pattern, a URI inside the root or relative to it
   * @returns the matching paths
   */
  async glob(pattern: string): Promise<string[]> {
    const dirsOnly = /[/\\]$/.test(pattern);
    const g = compileGlob(this.resolve(pattern) + (dirsOnly ? "/" : ""));
    return await globResult(this.#tree(), g, await this.globKeys(g));
  }

  /**
   * The relative keys matching a compiled pattern. The default walks the tree from
   * the pattern's literal directory, descending only where a match is possible.
   *
   * @param g the compiled pattern
   * @returns the matching keys
   */
  protected globKeys(g: CompiledGlob): Promise<string[]> {
    return globTree(this.#tree(), g);
  }

  /** This store as the tree algorithms see it (they reach its protected listing). */
  #tree(): StoreTree {
    return {
      scandir: (rel) => this.scandir(rel),
      uri: (rel) => this.uri(rel),
      isdir: (uri) => this.isdir(uri),
      exists: (uri) => this.exists(uri),
      listdir: (uri) => this.listdir(uri),
    };
  }

  // ---------------------------------------------------------------- helpers for subclasses

  /**
   * Throws `FileExistsError` for a destination that exists when overwriting is off.
   *
   * @param dstRel the destination key
   * @param exists whether it exists
   * @param overwrite whether overwriting is allowed
   */
  protected checkOverwrite(dstRel: string, exists: boolean, overwrite: boolean): void {
    if (exists && !overwrite) {
      throw new FileExistsError(
        `Destination '${this.uri(dstRel)}' already exists: pass { overwrite: true } to replace it`,
        { path: this.uri(dstRel), flavor: this.flavor },
      );
    }
  }
}

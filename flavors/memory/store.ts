/**
 * The `memory` flavor's store class: the operations of a store rooted in the
 * process-wide memory file system of `tree.ts`, writing through
 * {@linkcode memoryWriter}. Every operation settles as a promise (a bad path is a
 * rejection, never a synchronous throw), like the other flavors'.
 *
 * @example
 * ```ts
 * import { MemoryArtifactStore } from "./store.ts";
 *
 * const store = new MemoryArtifactStore({ path: "memory://store-doc" });
 * await store.makedirs("memory://store-doc/a/b");
 * console.assert(await store.isdir("memory://store-doc/a"));
 * ```
 *
 * @module
 */

import { BUILTINS } from "../../src/builtins.ts";
import { BaseArtifactStore } from "../../src/base.ts";
import type {
  Capabilities,
  CopyOptions,
  DirEntries,
  ReadOptions,
  StatResult,
  WriteOptions,
} from "../../src/types.ts";
import { clampRange } from "../../src/range.ts";
import type { WriteKind } from "../../src/open_mode.ts";
import { FileExistsError, NotADirectoryError } from "../../src/errors.ts";
import {
  type At,
  fileExistsError,
  fileThereError,
  intoItselfError,
  isADirectoryError,
  notFoundError,
  parentMissingError,
} from "../../src/fs_errors.ts";
import { baseName, parentKey } from "../../src/keys.ts";
import { sortNames } from "../../src/order.ts";
import { bytesToStream, concatBytes } from "../../src/streams.ts";
import { parseConfig, plainConfigSchema } from "../../src/flavor.ts";
import {
  type DirNode,
  emptyDir,
  type FileNode,
  findDir,
  lookup,
  makeDirs,
  nextEtag,
  type Node,
  removeTree,
} from "./tree.ts";
import { memoryWriter } from "./writer.ts";

/** Runs `fn`, turning a synchronous throw into a rejected promise. */
function settle<T>(fn: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(fn()));
}

/** Configuration of a memory store. */
export interface MemoryStoreConfig {
  /** The root, `memory://` or `memory://some/prefix`. */
  path: string;
  /** The flavor name (`"memory"`), as stored configurations carry it. */
  flavor?: string;
  /** Other fields are refused with a `ConfigError`. */
  [key: string]: unknown;
}

/**
 * A store in the process-wide memory file system. Two stores with overlapping
 * roots see the same files.
 *
 * @example
 * ```ts
 * import { MemoryArtifactStore } from "./store.ts";
 * const s = new MemoryArtifactStore({ path: "memory://m1" });
 * console.assert(s.flavor === "memory" && s.path === "memory://m1");
 * ```
 */
export class MemoryArtifactStore extends BaseArtifactStore {
  /** The flavor name. */
  static override FLAVOR: string = BUILTINS.memory.name;
  /** The schemes served. */
  static override SUPPORTED_SCHEMES: readonly string[] = BUILTINS.memory.supportedSchemes;

  /**
   * Creates a store in the process-wide memory file system.
   *
   * @param config `path` is the root
   */
  constructor(config: MemoryStoreConfig) {
    super(parseConfig(plainConfigSchema, config, "memory") as MemoryStoreConfig);
    this.#makeDirs("");
  }

  /** Memory stores append, rename atomically, enforce create-only, and keep empty directories. */
  override get capabilities(): Capabilities {
    return {
      append: true,
      atomicRename: true,
      conditionalWrite: true,
      presign: false,
      directories: true,
    };
  }

  #segs(rel: string): string[] {
    return rel === "" ? [...this.root.segments] : [...this.root.segments, ...rel.split("/")];
  }

  #lookup(rel: string): Node | undefined {
    return lookup(this.#segs(rel));
  }

  /** The full URI of a relative key and the flavor, for errors. */
  #at(rel: string): At {
    return { path: this.uri(rel), flavor: this.flavor };
  }

  /** The parent directory node of `rel`, creating it (and its parents) when asked. */
  #parentDir(rel: string, create: boolean): DirNode {
    const segs = this.#segs(parentKey(rel));
    const dir = create ? makeDirs(segs) ?? "file" : findDir(segs);
    if (dir === "missing") throw parentMissingError(this.#at(rel));
    if (dir === "file") throw this.#notDir(rel);
    return dir;
  }

  /** The directory node of `rel`, creating it and its parents where missing. */
  #makeDirs(rel: string): DirNode {
    const dir = makeDirs(this.#segs(rel));
    if (!dir) throw this.#notDir(rel);
    return dir;
  }

  #notDir(rel: string): NotADirectoryError {
    return new NotADirectoryError(
      `Cannot use '${this.uri(rel)}': a parent in the path is a file, not a directory`,
      this.#at(rel),
    );
  }

  #file(rel: string, what: string): FileNode {
    const node = this.#lookup(rel);
    if (!node) throw notFoundError(this.#at(rel));
    if (node.kind === "dir") throw isADirectoryError(this.#at(rel), what);
    return node;
  }

  /** Streams the bytes of a file (or a range of it); the flavor core of `open` for reading. */
  protected override openRead(
    rel: string,
    options: ReadOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    options.signal?.throwIfAborted();
    const node = this.#file(rel, "read");
    const [start, end] = clampRange(options.range, node.data.length);
    return Promise.resolve(bytesToStream(node.data.subarray(start, end)));
  }

  /** A sink committed on close and discarded on abort; the flavor core of `open` for writing. */
  protected override openWrite(
    rel: string,
    kind: WriteKind,
    options: WriteOptions,
  ): Promise<WritableStream<Uint8Array>> {
    const existing = this.#lookup(rel);
    if (existing?.kind === "dir") throw isADirectoryError(this.#at(rel), "write");
    if (kind === "create" && existing) throw fileExistsError(this.#at(rel));
    return Promise.resolve(memoryWriter(options, (chunks) => {
      const now = this.#lookup(rel);
      if (now?.kind === "dir") throw isADirectoryError(this.#at(rel), "write");
      if (kind === "create" && now) throw fileExistsError(this.#at(rel));
      const prefix = kind === "append" && now?.kind === "file" ? [now.data] : [];
      const data = concatBytes([...prefix, ...chunks]);
      this.#parentDir(rel, true).children.set(baseName(rel), {
        kind: "file",
        data,
        mtime: new Date(),
        etag: nextEtag(),
        contentType: options.contentType,
        metadata: options.metadata ? { ...options.metadata } : undefined,
      });
    }));
  }

  /** Copies a file. */
  override copyfile(
    src: string,
    dst: string,
    options: CopyOptions = {},
  ): Promise<void> {
    return settle(() => {
      const s = this.resolve(src);
      const d = this.resolve(dst);
      return Promise.resolve().then(() => {
        const node = this.#file(s, "copy");
        const target = this.#lookup(d);
        if (target?.kind === "dir") throw isADirectoryError(this.#at(d), "copy onto");
        this.checkOverwrite(d, !!target, options.overwrite ?? false);
        this.#parentDir(d, true).children.set(baseName(d), {
          ...node,
          mtime: new Date(),
          etag: nextEtag(),
        });
      });
    });
  }

  /** Tells whether a file or directory exists. */
  override exists(path: string): Promise<boolean> {
    return settle(() => {
      const rel = this.resolve(path);
      return Promise.resolve(this.#lookup(rel) !== undefined);
    });
  }

  /** Tells whether the path is a directory. */
  override isdir(path: string): Promise<boolean> {
    return settle(() => {
      const rel = this.resolve(path);
      return Promise.resolve(this.#lookup(rel)?.kind === "dir");
    });
  }

  /** Lists a directory. */
  override listdir(path: string): Promise<string[]> {
    return settle(() => {
      const rel = this.resolve(path);
      return Promise.resolve().then(() => {
        const node = this.#lookup(rel);
        if (!node) throw notFoundError(this.#at(rel));
        if (node.kind !== "dir") {
          throw new NotADirectoryError(
            `Cannot list '${this.uri(rel)}': it is a file`,
            this.#at(rel),
          );
        }
        return sortNames([...node.children.keys()]);
      });
    });
  }

  /** Lists one directory as subdirectory and file names, in one call. */
  protected override scandir(rel: string): Promise<DirEntries> {
    return Promise.resolve().then(() => {
      const node = this.#lookup(rel);
      if (!node) throw notFoundError(this.#at(rel));
      if (node.kind !== "dir") throw this.#notDir(rel);
      const dirs: string[] = [];
      const files: string[] = [];
      for (const [name, child] of node.children) {
        (child.kind === "dir" ? dirs : files).push(name);
      }
      return { dirs, files };
    });
  }

  /** Creates a directory and its parents. */
  override makedirs(path: string): Promise<void> {
    return settle(() => {
      const rel = this.resolve(path);
      return Promise.resolve().then(() => {
        if (this.#lookup(rel)?.kind === "file") throw fileThereError(this.#at(rel));
        this.#makeDirs(rel);
      });
    });
  }

  /** Creates a directory whose parent exists. */
  override mkdir(path: string): Promise<void> {
    return settle(() => {
      const rel = this.resolve(path);
      return Promise.resolve().then(() => {
        const node = this.#lookup(rel);
        if (node?.kind === "dir") return;
        if (node) throw fileThereError(this.#at(rel));
        this.#parentDir(rel, false).children.set(baseName(rel), emptyDir());
      });
    });
  }

  /** Removes a file. */
  override remove(path: string): Promise<void> {
    return settle(() => {
      const rel = this.resolve(path);
      return Promise.resolve().then(() => {
        this.#file(rel, "remove");
        this.#parentDir(rel, false).children.delete(baseName(rel));
      });
    });
  }

  /** Renames a file or directory atomically. */
  override rename(
    src: string,
    dst: string,
    options: CopyOptions = {},
  ): Promise<void> {
    return settle(() => {
      const s = this.resolve(src);
      const d = this.resolve(dst);
      return Promise.resolve().then(() => {
        const node = this.#lookup(s);
        if (!node) throw notFoundError(this.#at(s));
        if (s === d) return;
        if (node.kind === "dir" && (d === s || d.startsWith(s + "/"))) {
          throw intoItselfError(this.#at(s), this.uri(d));
        }
        const target = this.#lookup(d);
        if (target?.kind === "dir" && node.kind === "file") {
          throw isADirectoryError(this.#at(d), "replace");
        }
        if (target?.kind === "dir" && target.children.size > 0) {
          throw new FileExistsError(
            `Cannot replace non-empty directory '${this.uri(d)}'`,
            this.#at(d),
          );
        }
        this.checkOverwrite(d, !!target, options.overwrite ?? false);
        this.#parentDir(d, true).children.set(baseName(d), node);
        this.#parentDir(s, false).children.delete(baseName(s));
      });
    });
  }

  /** Removes a directory tree. */
  override rmtree(path: string): Promise<void> {
    return settle(() => {
      const rel = this.resolve(path);
      return Promise.resolve().then(() => {
        const node = this.#lookup(rel);
        if (!node) throw notFoundError(this.#at(rel));
        if (node.kind !== "dir") {
          throw new NotADirectoryError(
            `Cannot rmtree '${this.uri(rel)}': it is a file; use remove`,
            this.#at(rel),
          );
        }
        const segs = this.#segs(rel);
        if (segs.length > 0) this.#parentDir(rel, false);
        removeTree(segs);
      });
    });
  }

  /** Describes a file or directory. */
  override stat(path: string): Promise<StatResult> {
    return settle(() => {
      const rel = this.resolve(path);
      return Promise.resolve().then(() => {
        const node = this.#lookup(rel);
        if (!node) throw notFoundError(this.#at(rel));
        if (node.kind === "dir") {
          return {
            path: this.uri(rel),
            size: 0,
            isDirectory: true,
            mtime: node.mtime,
          };
        }
        return {
          path: this.uri(rel),
          size: node.data.length,
          isDirectory: false,
          mtime: node.mtime,
          etag: node.etag,
          contentType: node.contentType,
          metadata: node.metadata ? { ...node.metadata } : undefined,
        };
      });
    });
  }
}

/**
 * The `memory` flavor (`memory://`): one process-wide in-memory file system, like
 * fsspec's. It behaves like a local file system (empty directories exist, renames
 * are atomic) and uses no runtime APIs, so it works on the edge too.
 *
 * @example
 * ```ts
 * import { MemoryArtifactStore } from "./memory.ts";
 *
 * const store = new MemoryArtifactStore({ path: "memory://example" });
 * await store.makedirs("memory://example/a/b");
 * console.assert(await store.isdir("memory://example/a"));
 * ```
 *
 * @module
 */

import { BUILTINS } from "../src/builtins.ts";
import { BaseArtifactStore } from "../src/base.ts";
import type { WriteKind } from "../src/open_mode.ts";
import { clampRange } from "../src/range.ts";
import type {
  Capabilities,
  CopyOptions,
  DirEntries,
  ReadOptions,
  StatResult,
  WriteOptions,
} from "../src/types.ts";
import {
  FileExistsError,
  FileNotFoundError,
  InvalidArgumentError,
  IsADirectoryError,
  NotADirectoryError,
} from "../src/errors.ts";
import { baseName, parentKey } from "../src/keys.ts";
import { sortNames } from "../src/order.ts";
import { bytesToStream, concatBytes } from "../src/streams.ts";
import {
  type Flavor,
  flavorFromClass,
  parseConfig,
  plainConfigSchema,
  type StandardSchemaV1,
} from "../src/flavor.ts";

interface FileNode {
  kind: "file";
  data: Uint8Array;
  mtime: Date;
  etag: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

interface DirNode {
  kind: "dir";
  children: Map<string, Node>;
  mtime: Date;
}

type Node = FileNode | DirNode;

/** Runs `fn`, turning a synchronous throw into a rejected promise. */
function settle<T>(fn: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(fn()));
}

const TOP: DirNode = { kind: "dir", children: new Map(), mtime: new Date() };
let generation = 0;

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
 * import { MemoryArtifactStore } from "./memory.ts";
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
    this.#mkdirs(this.root.segments, "");
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
    let node: Node = TOP;
    for (const s of this.#segs(rel)) {
      if (node.kind !== "dir") return undefined;
      const next = node.children.get(s);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  /** The parent directory node of `rel`, creating it (and its parents) when asked. */
  #parentDir(rel: string, create: boolean): DirNode {
    const segs = this.#segs(parentKey(rel));
    if (create) return this.#mkdirs(segs, rel);
    let node: Node = TOP;
    for (const s of segs) {
      const next: Node | undefined = node.kind === "dir" ? node.children.get(s) : undefined;
      if (!next) {
        throw new FileNotFoundError(
          `Parent directory of '${this.uri(rel)}' does not exist: create it with makedirs`,
          { path: this.uri(rel), flavor: this.flavor },
        );
      }
      if (next.kind !== "dir") throw this.#notDir(rel);
      node = next;
    }
    return node as DirNode;
  }

  #mkdirs(segs: readonly string[], rel: string): DirNode {
    let node: DirNode = TOP;
    for (const s of segs) {
      let next = node.children.get(s);
      if (!next) {
        next = { kind: "dir", children: new Map(), mtime: new Date() };
        node.children.set(s, next);
      } else if (next.kind !== "dir") {
        throw this.#notDir(rel);
      }
      node = next;
    }
    return node;
  }

  #notDir(rel: string): NotADirectoryError {
    return new NotADirectoryError(
      `Cannot use '${this.uri(rel)}': a parent in the path is a file, not a directory`,
      { path: this.uri(rel), flavor: this.flavor },
    );
  }

  #notFound(rel: string): FileNotFoundError {
    return new FileNotFoundError(
      `No such file or directory: '${this.uri(rel)}'`,
      {
        path: this.uri(rel),
        flavor: this.flavor,
      },
    );
  }

  #isDirError(rel: string, what: string): IsADirectoryError {
    return new IsADirectoryError(
      `Cannot ${what} '${this.uri(rel)}': it is a directory`,
      { path: this.uri(rel), flavor: this.flavor },
    );
  }

  #file(rel: string, what: string): FileNode {
    const node = this.#lookup(rel);
    if (!node) throw this.#notFound(rel);
    if (node.kind === "dir") throw this.#isDirError(rel, what);
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
    if (existing?.kind === "dir") throw this.#isDirError(rel, "write");
    if (kind === "create" && existing) throw this.#exists_(rel);
    const chunks: Uint8Array[] = [];
    let total = 0;
    const onAbort = () => {
      chunks.length = 0;
    };
    return Promise.resolve(
      new WritableStream<Uint8Array>({
        write: (chunk) => {
          options.signal?.throwIfAborted();
          chunks.push(chunk.slice());
          total += chunk.length;
          options.onProgress?.(total);
        },
        close: () => {
          options.signal?.throwIfAborted();
          const now = this.#lookup(rel);
          if (now?.kind === "dir") throw this.#isDirError(rel, "write");
          if (kind === "create" && now) throw this.#exists_(rel);
          const prefix = kind === "append" && now?.kind === "file" ? [now.data] : [];
          const data = concatBytes([...prefix, ...chunks]);
          const dir = this.#parentDir(rel, true);
          dir.children.set(baseName(rel), {
            kind: "file",
            data,
            mtime: new Date(),
            etag: `"m${++generation}"`,
            contentType: options.contentType,
            metadata: options.metadata ? { ...options.metadata } : undefined,
          });
        },
        abort: onAbort,
      }),
    );
  }

  #exists_(rel: string): FileExistsError {
    return new FileExistsError(
      `File '${this.uri(rel)}' already exists: open it with 'w' to overwrite`,
      { path: this.uri(rel), flavor: this.flavor },
    );
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
        if (target?.kind === "dir") throw this.#isDirError(d, "copy onto");
        this.checkOverwrite(d, !!target, options.overwrite ?? false);
        this.#parentDir(d, true).children.set(baseName(d), {
          ...node,
          mtime: new Date(),
          etag: `"m${++generation}"`,
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
        if (!node) throw this.#notFound(rel);
        if (node.kind !== "dir") {
          throw new NotADirectoryError(
            `Cannot list '${this.uri(rel)}': it is a file`,
            {
              path: this.uri(rel),
              flavor: this.flavor,
            },
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
      if (!node) throw this.#notFound(rel);
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
        const node = this.#lookup(rel);
        if (node?.kind === "file") {
          throw new FileExistsError(
            `Cannot create directory '${this.uri(rel)}': a file is there`,
            {
              path: this.uri(rel),
              flavor: this.flavor,
            },
          );
        }
        this.#mkdirs(this.#segs(rel), rel);
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
        if (node) {
          throw new FileExistsError(
            `Cannot create directory '${this.uri(rel)}': a file is there`,
            {
              path: this.uri(rel),
              flavor: this.flavor,
            },
          );
        }
        const parent = this.#parentDir(rel, false);
        parent.children.set(baseName(rel), {
          kind: "dir",
          children: new Map(),
          mtime: new Date(),
        });
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
        if (!node) throw this.#notFound(s);
        if (s === d) return;
        if (node.kind === "dir" && (d === s || d.startsWith(s + "/"))) {
          throw new InvalidArgumentError(
            `Cannot move directory '${this.uri(s)}' into itself ('${this.uri(d)}')`,
            { path: this.uri(s), flavor: this.flavor },
          );
        }
        const target = this.#lookup(d);
        if (target?.kind === "dir" && node.kind === "file") {
          throw this.#isDirError(d, "replace");
        }
        if (target?.kind === "dir" && target.children.size > 0) {
          throw new FileExistsError(
            `Cannot replace non-empty directory '${this.uri(d)}'`,
            {
              path: this.uri(d),
              flavor: this.flavor,
            },
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
        if (!node) throw this.#notFound(rel);
        if (node.kind !== "dir") {
          throw new NotADirectoryError(
            `Cannot rmtree '${this.uri(rel)}': it is a file; use remove`,
            {
              path: this.uri(rel),
              flavor: this.flavor,
            },
          );
        }
        const segs = this.#segs(rel);
        if (segs.length === 0) {
          TOP.children.clear();
          return;
        }
        this.#parentDir(rel, false);
        let parent: DirNode = TOP;
        for (const s of segs.slice(0, -1)) {
          parent = parent.children.get(s) as DirNode;
        }
        parent.children.delete(segs[segs.length - 1]);
      });
    });
  }

  /** Describes a file or directory. */
  override stat(path: string): Promise<StatResult> {
    return settle(() => {
      const rel = this.resolve(path);
      return Promise.resolve().then(() => {
        const node = this.#lookup(rel);
        if (!node) throw this.#notFound(rel);
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

/**
 * The `memory` flavor object.
 *
 * @example
 * ```ts
 * import { memoryFlavor } from "./memory.ts";
 * const store = await memoryFlavor.create({ path: "memory://flavor-doc" });
 * console.assert(store.flavor === "memory");
 * ```
 */
export const memoryFlavor: Flavor<MemoryStoreConfig> = {
  ...flavorFromClass<MemoryStoreConfig>(
    MemoryArtifactStore,
    plainConfigSchema as StandardSchemaV1<unknown, MemoryStoreConfig>,
  ),
  description: BUILTINS.memory.description,
};

/**
 * The shapes the store API speaks in: what its operations take (read, write, copy,
 * walk and presign options; a store's configuration) and what they return (a stat,
 * a walk step, one directory's entries), and the capability flags a store reports.
 *
 * @example A store's configuration and what it can do
 * ```ts
 * import type { ArtifactStoreConfig, Capabilities } from "./types.ts";
 * import { MemoryArtifactStore } from "../flavors/memory/mod.ts";
 *
 * const config: ArtifactStoreConfig = { path: "memory://types-doc" };
 * const can: Capabilities = new MemoryArtifactStore(config).capabilities;
 * console.assert(can.directories);
 * ```
 *
 * @module
 */

import type { ByteRange } from "./range.ts";

/** Options for reading. */
export interface ReadOptions {
  /** Read only this byte range. */
  range?: ByteRange;
  /** Cancels the read. */
  signal?: AbortSignal;
}

/** Options for writing. */
export interface WriteOptions {
  /** The content type to store (object stores). */
  contentType?: string;
  /** User metadata to store (object stores). */
  metadata?: Record<string, string>;
  /** Aborting it aborts the write: nothing is left behind. */
  signal?: AbortSignal;
  /** Called with the number of bytes accepted so far. */
  onProgress?: (bytesWritten: number) => void;
}

/** Options for `open`: read options for read modes, write options for write modes. */
export type OpenOptions = ReadOptions & WriteOptions;

/** What `stat` returns. */
export interface StatResult {
  /** The full URI. */
  path: string;
  /** Size in bytes (0 for a directory). */
  size: number;
  /** True for a directory (or a prefix on object stores). */
  isDirectory: boolean;
  /** Last modification time, when known. */
  mtime: Date | null;
  /** The entity tag, when the backend has one. */
  etag?: string;
  /** The stored content type, when the backend has one. */
  contentType?: string;
  /** User metadata, when the backend has it. */
  metadata?: Record<string, string>;
}

/** Coarse capability flags; conformance tests skip steps a store cannot do. */
export interface Capabilities {
  /** `open` in `a`/`ab` mode. */
  append: boolean;
  /** `rename` is atomic (not copy + delete). */
  atomicRename: boolean;
  /** Create-only writes (`x`) are enforced by a real precondition. */
  conditionalWrite: boolean;
  /** `presign` returns URLs. */
  presign: boolean;
  /** Empty directories exist on their own (a real file system). */
  directories: boolean;
}

/** Options for `copyfile` and `rename`. */
export interface CopyOptions {
  /** Replace an existing destination (default false: `FileExistsError`). */
  overwrite?: boolean;
}

/** Options for `walk`. */
export interface WalkOptions {
  /** Yield a directory before its subdirectories (default true). */
  topdown?: boolean;
  /** Called with errors met while walking; without it they are skipped. */
  onerror?: (error: Error) => void;
}

/** One step of `walk`: the directory URI, its subdirectory names and file names. */
export type WalkEntry = [dir: string, dirnames: string[], filenames: string[]];

/** Options for `presign`. */
export interface PresignOptions {
  /** The HTTP method the URL is for (default `"GET"`). */
  method?: "GET" | "PUT" | "HEAD" | "DELETE";
  /** Lifetime in seconds (default 3600). */
  expiresIn?: number;
}

/** The entries of one directory, as flavors report them to the shared algorithms. */
export interface DirEntries {
  /** Names of subdirectories. */
  dirs: string[];
  /** Names of files. */
  files: string[];
}

/** The configuration every store takes: at least its root `path`. */
export interface ArtifactStoreConfig {
  /** The root of the store: a URI (`s3://bucket/prefix`) or an absolute directory. */
  path: string;
  /** Flavor-specific fields. */
  [key: string]: unknown;
}

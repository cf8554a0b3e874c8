/**
 * The vocabulary between an object backend and the base: an object's metadata, a
 * listing page and its options, put options, a multipart upload in progress, a
 * ranged read's result, a batch delete's failures, and the settings every object
 * store takes (upload parts, read ranges and how many of each are in flight).
 *
 * @module
 */

import type { ArtifactStoreConfig } from "./types.ts";
import type { ArtifactStoreError } from "./errors.ts";
import type { BodyPart } from "./http/mod.ts";

/** What a backend knows about one object. */
export interface ObjectMeta {
  /** The full object key (with the store's prefix). */
  key: string;
  /** Size in bytes. */
  size: number;
  /** Last modification time, when known. */
  mtime: Date | null;
  /** Entity tag, when known. */
  etag?: string;
  /** Content type, when known. */
  contentType?: string;
  /** User metadata, when known. */
  metadata?: Record<string, string>;
}

/** One page of a listing: objects, and common prefixes when a delimiter was used. */
export interface ListPage {
  /** Objects (full keys). */
  objects: ObjectMeta[];
  /** Common prefixes (full keys ending in `/`), with a delimiter only. */
  prefixes: string[];
  /** The token of the next page; absent on the last page. */
  next?: string;
  /** The service says more pages follow (then `next` must be given). */
  truncated?: boolean;
}

/** Options of a backend listing. */
export interface ListOptions {
  /** Group keys by `/` below the prefix (one directory level). */
  delimiter?: boolean;
  /** Stop after about this many keys (a hint: one page is enough). */
  limit?: number;
  /** Cancels the listing. */
  signal?: AbortSignal;
}

/** Options of one backend listing request ({@linkcode ObjectBackend.listPage}). */
export interface ListPageOptions {
  /** Group keys by `/` below the prefix (one directory level). */
  delimiter?: boolean;
  /** At most this many keys on the page (absent: the service's default). */
  limit?: number;
  /** The token the previous page gave (absent for the first page). */
  token?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** A key a batch delete did not delete, with the typed error it met. */
export interface DeleteFailure {
  /** The full key. */
  key: string;
  /** What the service said, typed; `retryable` ones are deleted again one by one. */
  error: ArtifactStoreError;
}

/** Options of a backend put or multipart upload. */
export interface PutOptions {
  /** Create only: fail with `FileExistsError` if the key exists. */
  ifNoneMatch?: boolean;
  /** Content type. */
  contentType?: string;
  /** User metadata. */
  metadata?: Record<string, string>;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** A multipart upload in progress (S3 multipart, Azure blocks, GCS resumable). */
export interface MultipartUpload {
  /**
   * Sends part `n` (1-based, in order of the data; parts may be in flight at once
   * unless `sequential` is set).
   *
   * @returns the part's receipt (ETag, block id …) for `complete`
   */
  uploadPart(
    n: number,
    data: Uint8Array,
    signal?: AbortSignal,
  ): Promise<string>;
  /** Commits the parts (receipts in part order) into the object. */
  complete(receipts: string[], signal?: AbortSignal): Promise<void>;
  /** Discards the upload; nothing remains. Must not throw for an upload already gone. */
  abort(): Promise<void>;
  /** True when parts must be sent one at a time, in order (GCS resumable sessions). */
  readonly sequential?: boolean;
  /**
   * Copies part `n` from a byte range of another object server side (S3's
   * UploadPartCopy), pinned to the source's entity tag when given. Without it, a
   * copy in parts reads each range and sends it with `uploadPart`.
   *
   * @returns the part's receipt for `complete`
   */
  copyPart?(
    n: number,
    src: string,
    range: { start: number; end: number },
    ifMatch?: string,
  ): Promise<string>;
}

/** A ranged read as a backend returns it. */
export interface GetResult extends BodyPart {
  /** The object's entity tag, used to resume with `If-Match`. */
  etag?: string;
  /**
   * Checks the whole object's bytes as they pass (e.g. its CRC32C), given on an
   * answer from byte 0 when the service sent the whole object's checksum (ranged
   * answer or not). `openRead` applies it once, to the whole download (every range,
   * resumed pieces included), and only when it reads the whole object.
   */
  verify?: (body: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
}

/** Settings every object store takes besides its credentials. */
export interface ObjectStoreConfig extends ArtifactStoreConfig {
  /** Part size for streamed uploads, bytes. */
  partSize?: number;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  /** Bytes per range of a parallel read (default 8 MiB). */
  readPartSize?: number;
  /**
   * Ranges in flight at once when reading an object larger than `readPartSize`
   * (default 1: one GET, resumed where it breaks).
   */
  readConcurrency?: number;
  /**
   * Time limit of one request until its response headers arrive, ms (default
   * 60 000); a request past it is tried again like a lost one.
   */
  timeoutMs?: number;
  /**
   * The longest wait for the next bytes of a response body, ms (default 30 000). A
   * read that stalls longer is resumed from its last byte (a ranged GET pinned to
   * the object's version); a stalled listing or other answer is tried again.
   */
  idleTimeoutMs?: number;
}

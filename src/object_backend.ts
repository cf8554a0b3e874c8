/**
 * {@linkcode ObjectBackend}: the object calls an object-store flavor fills in (head,
 * ranged get, one listing page, put, multipart upload, delete, batch delete,
 * server-side copy, URL signing) and what runs over them once for every flavor:
 * pagination (a repeated token or a cut listing is an error, prefixes repeated
 * across pages are dropped), the batch-delete failure policy, copy in parts, the
 * presign checks and the bucket check. {@linkcode ObjectStore} builds the file
 * system on top.
 *
 * @module
 */

import { BaseArtifactStore } from "./base.ts";
import type { PresignOptions } from "./types.ts";
import {
  type ArtifactStoreError,
  type ArtifactStoreErrorOptions,
  ConfigError,
  type FileExistsError,
  type FileNotFoundError,
  InvalidArgumentError,
  InvalidPathError,
} from "./errors.ts";
import { DEFAULT_IDLE_TIMEOUT_MS, paginate } from "./http/mod.ts";
import { joinKey } from "./keys.ts";
import { type At, fileExistsError, notFoundError } from "./fs_errors.ts";
import { mapLimit } from "./concurrency.ts";
import { concatBytes, readAllBytes } from "./streams.ts";
import type {
  DeleteFailure,
  GetResult,
  ListOptions,
  ListPage,
  ListPageOptions,
  MultipartUpload,
  ObjectMeta,
  ObjectStoreConfig,
  PutOptions,
} from "./object_types.ts";

/** The default bytes per range of a parallel read. */
const DEFAULT_READ_PART_SIZE = 8 * 1024 * 1024;
/**
 * The default ranges in flight at once: 1, one GET (resumed). Measured on the
 * emulators (loopback, 2 cores), parallel ranges read slower than one GET; set
 * `readConcurrency` for a remote service where one connection is the limit.
 */
const DEFAULT_READ_CONCURRENCY = 1;

/**
 * The object calls of a backend and the algorithms the base runs over them. Extend
 * {@linkcode ObjectStore} (which adds the file system), not this class.
 */
export abstract class ObjectBackend extends BaseArtifactStore {
  /** Part size of streamed uploads. */
  readonly partSize: number;
  /** Parts in flight at once. */
  readonly concurrency: number;
  /** Bytes per range of a parallel read. */
  readonly readPartSize: number;
  /** Ranges in flight at once in a read larger than `readPartSize` (1: one GET). */
  readonly readConcurrency: number;
  /** The longest wait for the next bytes of a read, ms; a stall past it resumes the read. */
  readonly idleTimeoutMs: number;
  /** Keys per batch delete request (the backend's limit). */
  protected deleteBatchSize = 1000;
  /** Batch delete requests in flight at once. */
  protected deleteConcurrency = 4;
  /** Most keys one listing request may ask for (the backend's limit). */
  protected maxListPage = 1000;
  /** Most parts in one multipart upload (the backend's limit). */
  protected maxParts = 10_000;
  /** Longest lifetime of a presigned URL, seconds (the backend's limit). */
  protected maxPresignSeconds = 604_800;

  /**
   * Creates the store; a root without a bucket (container) is a `ConfigError`
   * where {@linkcode bucketNoun} says the backend needs one.
   *
   * @param config the root `path`, `partSize` and `concurrency`, `readPartSize`
   *   (default 8 MiB) and `readConcurrency` (default 1: one GET)
   * @param defaultPartSize the backend's default part size
   */
  constructor(config: ObjectStoreConfig, defaultPartSize = 8 * 1024 * 1024) {
    super(config);
    this.partSize = config.partSize ?? defaultPartSize;
    this.concurrency = Math.max(1, config.concurrency ?? 4);
    this.readPartSize = Math.max(1, config.readPartSize ?? DEFAULT_READ_PART_SIZE);
    this.readConcurrency = Math.max(1, config.readConcurrency ?? DEFAULT_READ_CONCURRENCY);
    this.idleTimeoutMs = config.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const noun = this.bucketNoun;
    if (noun && !this.bucket) {
      const base = `${this.root.scheme}://${noun}`;
      throw new ConfigError(
        `The ${this.flavor} store path '${config.path}' names no ${noun}: use '${base}' or '${base}/prefix'`,
        { flavor: this.flavor, path: config.path },
      );
    }
  }

  /**
   * What the root's first segment names (`"bucket"`, `"container"`), which a root
   * must have; `null` when the backend needs none.
   */
  protected get bucketNoun(): string | null {
    return "bucket";
  }

  // ------------------------------------------------------------ the calls a flavor fills in

  /** The object's metadata, or `null` when no object has this exact key. */
  protected abstract headObject(
    key: string,
    signal?: AbortSignal,
  ): Promise<ObjectMeta | null>;

  /**
   * The object's bytes, or `range` of them (`end` exclusive and past `start` — empty
   * ranges never reach a backend —, may pass the size; a `start` at or past the size
   * gives an empty body). `rangedAnswer` (src/http/ranged.ts) reads a service's answer. Throws `FileNotFoundError`
   * when missing; `PreconditionFailedError` when `ifMatch` no longer matches.
   */
  protected abstract getObject(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifMatch?: string; signal?: AbortSignal },
  ): Promise<GetResult>;

  /**
   * One page of the keys starting with `prefix` (a raw string prefix), with the
   * token of the next; {@linkcode listObjects} walks the pages.
   */
  protected abstract listPage(prefix: string, options: ListPageOptions): Promise<ListPage>;

  /** Writes a whole object in one request. */
  protected abstract putObject(
    key: string,
    data: Uint8Array,
    options: PutOptions,
  ): Promise<void>;

  /**
   * Starts a multipart upload. The default gathers the parts and writes them with
   * one `putObject` on commit (fine for small objects); cloud flavors override it.
   */
  protected createMultipartUpload(key: string, options: PutOptions): Promise<MultipartUpload> {
    const parts: Uint8Array[] = [];
    return Promise.resolve({
      sequential: true,
      uploadPart: (n: number, data: Uint8Array) => {
        parts[n - 1] = data.slice();
        return Promise.resolve(String(n));
      },
      complete: () => this.putObject(key, concatBytes(parts), options),
      abort: () => Promise.resolve(void (parts.length = 0)),
    });
  }

  /** Deletes one object; a missing key is not an error. */
  protected abstract deleteObject(key: string): Promise<void>;

  /**
   * Deletes up to `deleteBatchSize` objects and returns the keys it could not
   * delete (a missing key is not a failure); {@linkcode deleteKeys} applies the one
   * failure policy. The default deletes one by one, eight at a time; cloud flavors
   * use batch calls.
   */
  protected async deleteObjects(keys: string[]): Promise<DeleteFailure[]> {
    await mapLimit(keys, 8, (k) => this.deleteObject(k));
    return [];
  }

  /**
   * Copies an object inside the store. The default streams it through: one read
   * and one put up to a part, else {@linkcode copyInParts}; cloud flavors copy
   * server side.
   */
  protected async copyObject(
    src: string,
    dst: string,
    options: { ifNoneMatch?: boolean; srcMeta?: ObjectMeta },
  ): Promise<void> {
    const meta = options.srcMeta ?? await this.headObject(src);
    if (!meta) throw this.notFound(this.relOf(src));
    if (meta.size > this.partSize) return await this.copyInParts(src, dst, meta, options);
    const { body } = await this.getObject(src, undefined, { ifMatch: meta.etag });
    await this.putObject(dst, await readAllBytes(body), {
      ifNoneMatch: options.ifNoneMatch,
      contentType: meta.contentType,
      metadata: meta.metadata,
    });
  }

  /**
   * A presigned URL for the file `rel` (checked: not the root, a known method, a
   * lifetime within `maxPresignSeconds`). The default: `NotSupportedError`.
   */
  protected signUrl(rel: string, method: string, expiresIn: number): Promise<string> {
    void method, expiresIn;
    return super.presign(this.uri(rel));
  }

  // ------------------------------------------------------------ keys

  /** The key prefix of the root (`""` for a bucket root). */
  protected get rootPrefix(): string {
    return this.root.segments.slice(1).join("/");
  }

  /** The bucket (container) name: the root's first segment. */
  protected get bucket(): string {
    return this.root.segments[0] ?? "";
  }

  /** The object key of a relative key. */
  protected key(rel: string): string {
    return joinKey(this.rootPrefix, rel);
  }

  /** The listing prefix of a directory (`key/`, or `""` for a bucket root). */
  protected dirPrefix(rel: string): string {
    const k = this.key(rel);
    return k === "" ? "" : k + "/";
  }

  /** The relative key of an object key (inverse of `key`). */
  protected relOf(key: string): string {
    const p = this.rootPrefix;
    return p === "" ? key : key.slice(p.length + 1);
  }

  /**
   * An error of class `kind` about `rel`, carrying its URI and this store's flavor.
   *
   * @param kind the error class
   * @param rel the relative key the error concerns
   * @param message what went wrong and what to do
   * @returns the error, to throw
   */
  protected errorAt<E extends ArtifactStoreError>(
    kind: new (message: string, options: ArtifactStoreErrorOptions) => E,
    rel: string,
    message: string,
  ): E {
    return new kind(message, { path: this.uri(rel), flavor: this.flavor });
  }

  /** Where an error about `rel` happened: its URI and this store's flavor. */
  protected at(rel: string): At {
    return { path: this.uri(rel), flavor: this.flavor };
  }

  /** A `FileNotFoundError` for `rel`. */
  protected notFound(rel: string): FileNotFoundError {
    return notFoundError(this.at(rel));
  }

  /** A `FileExistsError` for a create-only write. */
  protected existsError(rel: string): FileExistsError {
    return fileExistsError(this.at(rel));
  }

  // ------------------------------------------------------------ what the base runs

  /**
   * Lists keys starting with `prefix`, page by page ({@linkcode listPage}): a
   * repeated token or a page cut short without one is an error, a common prefix
   * repeated on a later page (the firebase emulator) is dropped, and with a
   * `limit` the listing stops once that many entries arrived.
   */
  protected async *listObjects(prefix: string, options: ListOptions = {}): AsyncIterable<ListPage> {
    const limit = options.limit === undefined
      ? undefined
      : Math.min(this.maxListPage, Math.max(1, options.limit));
    const seen = new Set<string>();
    let count = 0;
    const pages = paginate(async (token) => {
      options.signal?.throwIfAborted();
      const page = await this.listPage(prefix, {
        delimiter: options.delimiter,
        limit,
        token,
        signal: options.signal,
      });
      return { items: [page], next: page.next, truncated: page.truncated };
    }, `'${this.root.scheme}://${this.bucket}/${prefix}'`);
    for await (const page of pages) {
      const prefixes = page.prefixes.filter((p) => !seen.has(p) && seen.add(p));
      yield { objects: page.objects, prefixes };
      count += page.objects.length + prefixes.length;
      if (options.limit !== undefined && count >= options.limit) return;
    }
  }

  /**
   * Deletes keys in batches of `deleteBatchSize`, `deleteConcurrency` batches at
   * once. The one failure policy: a key that failed for a passing reason
   * (`retryable`) is deleted again on its own (with the client's retries); any
   * other failure is thrown, typed.
   */
  protected async deleteKeys(keys: string[]): Promise<void> {
    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += this.deleteBatchSize) {
      batches.push(keys.slice(i, i + this.deleteBatchSize));
    }
    const failures: DeleteFailure[] = [];
    await mapLimit(batches, this.deleteConcurrency, async (b) => {
      failures.push(...await this.deleteObjects(b));
    });
    const fatal = failures.find((f) => !f.error.retryable);
    if (fatal) throw fatal.error;
    await mapLimit(failures, 8, (f) => this.deleteObject(f.key));
  }

  /** The part size of a copy in parts of `size` bytes (at most `maxParts` parts). */
  protected copyPartSize(size: number): number {
    return Math.max(this.partSize, Math.ceil(size / this.maxParts));
  }

  /**
   * Copies an object part by part into a multipart upload, `concurrency` parts at
   * once, each pinned to the source's entity tag: server side where the upload
   * has `copyPart`, else each range read and sent. Create-only copies check the
   * destination before the commit; on error the upload is aborted.
   *
   * @param src the source key
   * @param dst the destination key
   * @param meta the source's metadata (size, entity tag, content type, metadata)
   * @param options `ifNoneMatch`: create only
   */
  protected async copyInParts(
    src: string,
    dst: string,
    meta: ObjectMeta,
    options: { ifNoneMatch?: boolean },
  ): Promise<void> {
    const partSize = this.copyPartSize(meta.size);
    const count = Math.max(1, Math.ceil(meta.size / partSize));
    const up = await this.createMultipartUpload(dst, {
      ifNoneMatch: options.ifNoneMatch,
      contentType: meta.contentType,
      metadata: meta.metadata,
    });
    const receipts: string[] = new Array(count);
    try {
      const parts = Array.from({ length: count }, (_, i) => i);
      await mapLimit(parts, up.sequential ? 1 : this.concurrency, async (i) => {
        const range = { start: i * partSize, end: Math.min(meta.size, (i + 1) * partSize) };
        if (up.copyPart) {
          receipts[i] = await up.copyPart(i + 1, src, range, meta.etag);
          return;
        }
        const { body } = await this.getObject(src, range, { ifMatch: meta.etag });
        receipts[i] = await up.uploadPart(i + 1, await readAllBytes(body));
      });
      if (options.ifNoneMatch && await this.headObject(dst)) {
        throw this.existsError(this.relOf(dst));
      }
      await up.complete(receipts);
    } catch (err) {
      await up.abort().catch(() => {});
      throw err;
    }
  }

  /**
   * A URL that grants `method` on one object for `expiresIn` seconds without
   * credentials, where the store can sign (see `capabilities.presign`).
   *
   * @param path the file
   * @param options `method` (default GET) and `expiresIn` (seconds, default 3600)
   * @returns the URL
   */
  override async presign(path: string, options: PresignOptions = {}): Promise<string> {
    const rel = this.resolve(path);
    if (rel === "") {
      throw new InvalidPathError(`Cannot presign the store root '${this.path}': name a file`, {
        path,
        flavor: this.flavor,
      });
    }
    const method = options.method ?? "GET";
    if (!["GET", "PUT", "HEAD", "DELETE"].includes(method)) {
      throw new InvalidArgumentError(`Cannot presign '${method}': use GET, PUT, HEAD or DELETE`, {
        path,
        flavor: this.flavor,
      });
    }
    const expiresIn = options.expiresIn ?? 3600;
    const max = this.maxPresignSeconds;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > max) {
      throw new InvalidArgumentError(
        `Cannot presign for ${expiresIn} seconds: use a whole number from 1 to ${max} (${
          max / 86_400
        } days)`,
        { path, flavor: this.flavor },
      );
    }
    return await this.signUrl(rel, method, expiresIn);
  }
}

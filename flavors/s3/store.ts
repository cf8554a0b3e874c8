/**
 * {@linkcode S3ArtifactStore}: the `s3` flavor (`s3://bucket/prefix`) for Amazon S3
 * and S3-compatible services (Cloudflare R2, MinIO, Ceph RGW), on the shared
 * {@linkcode ObjectStore} algorithms.
 *
 * Directories are key prefixes (a `dir/` marker object counts too); `makedirs` creates
 * nothing; `rename` is copy + delete, not atomic. Writes below one part are a
 * single PUT, bigger ones a multipart upload of equal parts with up to
 * `concurrency` parts in flight; `abort()` or an error aborts the upload so
 * nothing is left behind. Create-only writes send `If-None-Match: *` and are
 * checked again just before the multipart commit (Ceph ignores the header there).
 *
 * @module
 */

import { mapLimit } from "../../src/concurrency.ts";
import { BUILTINS } from "../../src/builtins.ts";
import type { Capabilities, PresignOptions } from "../../src/base.ts";
import {
  ArtifactStoreError,
  ConfigError,
  InvalidArgumentError,
  InvalidPathError,
} from "../../src/errors.ts";
import { type Flavor, parseConfig } from "../../src/flavor.ts";
import { Backoff, paginate, sleep } from "../../src/http/mod.ts";
import {
  type GetResult,
  type ListOptions,
  type ListPage,
  type MultipartUpload,
  type ObjectMeta,
  ObjectStore,
  type PutOptions,
} from "../../src/object_store.ts";
import { S3Client } from "./client.ts";
import {
  DEFAULT_PART_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
  s3ConfigSchema,
  s3Schema,
  type S3StoreConfig,
} from "./config.ts";
import { resolveS3Settings, type S3Settings } from "./credentials.ts";
import { FLAVOR, mapS3Error } from "./errors.ts";
import { xmlSafe } from "../../src/xml.ts";

const GiB = 1024 * 1024 * 1024;

/** Validates a configuration with the schema, throwing one `ConfigError` that lists every problem. */
function validate(config: S3StoreConfig): S3StoreConfig {
  return parseConfig(s3Schema, config, FLAVOR);
}

/**
 * A store in an S3 bucket (or below a prefix of one).
 *
 * @example A store on a custom endpoint (MinIO, Ceph, an emulator)
 * ```ts
 * import { S3ArtifactStore } from "./store.ts";
 * const store = new S3ArtifactStore({
 *   path: "s3://my-bucket/artifacts",
 *   endpoint: "http://127.0.0.1:9000",
 *   accessKeyId: "minioadmin",
 *   secretAccessKey: "minioadmin",
 * });
 * console.assert(store.flavor === "s3" && store.path === "s3://my-bucket/artifacts");
 * ```
 */
export class S3ArtifactStore extends ObjectStore {
  /** The flavor name. */
  static override FLAVOR: string = BUILTINS.s3.name;
  /** The schemes served. */
  static override SUPPORTED_SCHEMES: readonly string[] = BUILTINS.s3.supportedSchemes;

  /** Objects bigger than this are copied with UploadPartCopy (CopyObject's limit: 5 GiB). */
  protected multipartCopyThreshold: number = 5 * GiB;
  /** Part size of multipart copies (grown to stay within 10,000 parts). */
  protected copyPartSize: number = GiB / 2;

  readonly #client: S3Client;
  /** Region, endpoint and credentials, resolved when the store is created. */
  protected readonly settings: Promise<S3Settings>;

  /**
   * Creates a store; credentials, region and endpoint start resolving at once
   * (a problem with them surfaces on the first operation).
   *
   * @param config the root `path` (`s3://bucket/prefix`) and the S3 settings;
   *   credentials, region and endpoint fall back to the environment
   * @throws {ConfigError} for an invalid configuration or a path without a bucket
   */
  constructor(config: S3StoreConfig) {
    const valid = validate(config);
    super(valid, DEFAULT_PART_SIZE);
    if (!this.bucket) {
      throw new ConfigError(
        `The S3 store path '${valid.path}' names no bucket: use 's3://bucket' or 's3://bucket/prefix'`,
        { flavor: FLAVOR, path: valid.path },
      );
    }
    this.settings = resolveS3Settings(valid, { fetch: valid.fetch });
    // Failures surface on the first request; keep them from being unhandled now.
    this.settings.catch(() => {});
    this.#client = new S3Client({
      bucket: this.bucket,
      settings: this.settings,
      forcePathStyle: valid.forcePathStyle,
      checksum: valid.checksum ?? true,
      fetch: valid.fetch,
      retry: valid.retry,
    });
  }

  /** S3 stores presign URLs and enforce create-only writes; no empty directories, no append. */
  override get capabilities(): Capabilities {
    return { ...super.capabilities, presign: true, conditionalWrite: true };
  }

  // ------------------------------------------------------------ the core

  /** HeadObject: the object's metadata, or null when the key does not exist. */
  protected override headObject(
    key: string,
    signal?: AbortSignal,
  ): Promise<ObjectMeta | null> {
    return this.#client.headObject(key, signal);
  }

  /** GetObject, ranged, pinned with `If-Match` when resuming. */
  protected override getObject(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifMatch?: string; signal?: AbortSignal },
  ): Promise<GetResult> {
    return this.#client.getObject(key, range, options);
  }

  /** ListObjectsV2 page by page, following continuation tokens. */
  protected override async *listObjects(
    prefix: string,
    options: ListOptions,
  ): AsyncIterable<ListPage> {
    const maxKeys = options.limit === undefined
      ? undefined
      : Math.min(1000, Math.max(1, options.limit));
    yield* paginate(async (token) => {
      const page = await this.#client.listObjectsV2(prefix, {
        delimiter: options.delimiter,
        maxKeys,
        token,
        signal: options.signal,
      });
      return {
        items: [{ objects: page.objects, prefixes: page.prefixes }],
        next: page.next,
        truncated: page.truncated,
      };
    }, `'${this.#client.uri(prefix)}'`);
  }

  /** PutObject with Content-MD5 (and `If-None-Match: *` for create-only). */
  protected override putObject(
    key: string,
    data: Uint8Array,
    options: PutOptions,
  ): Promise<void> {
    return this.#client.putObject(key, data, options);
  }

  /** CreateMultipartUpload; parts, commit and abort bound to the upload id. */
  protected override async createMultipartUpload(
    key: string,
    options: PutOptions,
  ): Promise<MultipartUpload> {
    const client = this.#client;
    const uploadId = await client.createMultipartUpload(key, options);
    const partSize = this.partSize;
    return {
      uploadPart(n, data, signal) {
        if (n > MAX_PARTS) {
          return Promise.reject(
            new InvalidArgumentError(
              `Cannot write '${
                client.uri(key)
              }': it passes ${MAX_PARTS} parts of ${partSize} bytes; ` +
                "raise 'partSize' for objects this big",
              { path: client.uri(key), flavor: FLAVOR },
            ),
          );
        }
        return client.uploadPart(key, uploadId, n, data, signal);
      },
      complete(receipts, signal) {
        return client.completeMultipartUpload(key, uploadId, receipts, {
          ifNoneMatch: options.ifNoneMatch,
          signal,
        });
      },
      abort() {
        return client.abortMultipartUpload(key, uploadId);
      },
    };
  }

  /** DeleteObject (a missing key is not an error). */
  protected override deleteObject(key: string): Promise<void> {
    return this.#client.deleteObject(key);
  }

  /**
   * DeleteObjects for up to 1,000 keys; per-key failures that a retry may cure
   * are retried, others are thrown as one typed error naming a failed key.
   */
  protected override async deleteObjects(keys: string[]): Promise<void> {
    // Keys XML cannot carry (control characters) go one by one.
    const odd = keys.filter((k) => !xmlSafe(k));
    let batch = odd.length ? keys.filter((k) => xmlSafe(k)) : keys;
    await mapLimit(odd, 4, (k) => this.#client.deleteObject(k));
    const backoff = new Backoff(this.#client.http.options.retry, 3);
    while (batch.length > 0) {
      const failures = await this.#client.deleteObjects(batch);
      if (failures.length === 0) return;
      const retry = failures.filter((f) =>
        f.code === "InternalError" || f.code === "SlowDown" ||
        f.code === "ServiceUnavailable"
      );
      const wait = retry.length < failures.length ? undefined : backoff.next();
      if (wait === undefined) {
        const f = failures.find((x) => !retry.includes(x)) ?? failures[0];
        throw mapS3Error({
          status: f.code === "AccessDenied" ? 403 : 500,
          headers: new Headers(),
          body: "",
          request: {
            method: "POST",
            url: "",
            path: this.#client.uri(f.key),
            op: `delete ${failures.length} of ${batch.length} keys, among them`,
          },
        }, { code: f.code, message: f.message });
      }
      await sleep(wait);
      batch = retry.map((f) => f.key);
    }
  }

  /** CopyObject, or UploadPartCopy in parts past `multipartCopyThreshold` (5 GiB). */
  protected override async copyObject(
    src: string,
    dst: string,
    options: { ifNoneMatch?: boolean; srcMeta?: ObjectMeta },
  ): Promise<void> {
    const meta = options.srcMeta;
    if (meta && meta.size > this.multipartCopyThreshold) {
      return await this.multipartCopy(src, dst, meta, options.ifNoneMatch);
    }
    try {
      await this.#client.copyObject(src, dst, {
        ifNoneMatch: options.ifNoneMatch,
      });
    } catch (err) {
      // Without the source's size, a refused copy may be one past CopyObject's limit.
      if (!meta && err instanceof ArtifactStoreError && err.status === 400) {
        const m = await this.#client.headObject(src);
        if (m && m.size > this.multipartCopyThreshold) {
          return await this.multipartCopy(src, dst, m, options.ifNoneMatch);
        }
      }
      throw err;
    }
  }

  /**
   * Copies an object part by part with UploadPartCopy (objects past 5 GiB), up to
   * `concurrency` parts at once, each pinned to the source's ETag; aborted on error.
   *
   * @param src the source key
   * @param dst the destination key
   * @param meta the source's metadata (size, ETag, content type, metadata)
   * @param ifNoneMatch create only
   */
  protected async multipartCopy(
    src: string,
    dst: string,
    meta: ObjectMeta,
    ifNoneMatch?: boolean,
  ): Promise<void> {
    const size = meta.size;
    const partSize = Math.min(
      MAX_PART_SIZE,
      Math.max(MIN_PART_SIZE, this.copyPartSize, Math.ceil(size / MAX_PARTS)),
    );
    const count = Math.max(1, Math.ceil(size / partSize));
    const uploadId = await this.#client.createMultipartUpload(dst, {
      contentType: meta.contentType,
      metadata: meta.metadata,
    });
    try {
      const etags: string[] = new Array(count);
      const parts = Array.from({ length: count }, (_, i) => i);
      await mapLimit(parts, this.concurrency, async (i) => {
        etags[i] = await this.#client.uploadPartCopy(
          dst,
          uploadId,
          i + 1,
          src,
          { start: i * partSize, end: Math.min(size, (i + 1) * partSize) },
          meta.etag,
        );
      });
      if (ifNoneMatch && await this.#client.headObject(dst)) {
        throw this.existsError(this.relOf(dst));
      }
      await this.#client.completeMultipartUpload(dst, uploadId, etags, {
        ifNoneMatch,
      });
    } catch (err) {
      await this.#client.abortMultipartUpload(dst, uploadId).catch(() => {});
      throw err;
    }
  }

  // ------------------------------------------------------------ presign

  /**
   * A URL that grants `method` on one object for `expiresIn` seconds without
   * credentials (SigV4 query signing). With temporary credentials the URL stops
   * working when they expire.
   *
   * @param path the file
   * @param options `method` (default GET) and `expiresIn` (seconds, default 3600, at most 7 days)
   * @returns the URL
   *
   * @example
   * ```ts
   * import { S3ArtifactStore } from "./store.ts";
   * const store = new S3ArtifactStore({
   *   path: "s3://bucket",
   *   region: "eu-west-1",
   *   accessKeyId: "AKIDEXAMPLE",
   *   secretAccessKey: "secret",
   * });
   * const url = await store.presign("s3://bucket/report.pdf", { expiresIn: 600 });
   * console.assert(url.startsWith("https://bucket.s3.eu-west-1.amazonaws.com/report.pdf?"));
   * ```
   */
  override async presign(
    path: string,
    options: PresignOptions = {},
  ): Promise<string> {
    const rel = this.resolve(path);
    if (rel === "") {
      throw new InvalidPathError(
        `Cannot presign the store root '${this.path}': name a file`,
        { path, flavor: FLAVOR },
      );
    }
    const method = options.method ?? "GET";
    if (!["GET", "PUT", "HEAD", "DELETE"].includes(method)) {
      throw new InvalidArgumentError(
        `Cannot presign '${method}': use GET, PUT, HEAD or DELETE`,
        { path, flavor: FLAVOR },
      );
    }
    const expiresIn = options.expiresIn ?? 3600;
    if (
      !Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604_800
    ) {
      throw new InvalidArgumentError(
        `Cannot presign for ${expiresIn} seconds: use a whole number from 1 to 604800 (7 days)`,
        { path, flavor: FLAVOR },
      );
    }
    return await this.#client.presign(this.key(rel), method, expiresIn);
  }
}

/**
 * The `s3` flavor object (`s3://`), as the registry loads it.
 *
 * @example
 * ```ts
 * import { s3Flavor } from "./store.ts";
 * const store = await s3Flavor.create({
 *   path: "s3://bucket/prefix",
 *   region: "us-east-1",
 *   accessKeyId: "AKIDEXAMPLE",
 *   secretAccessKey: "secret",
 * });
 * console.assert(store.flavor === "s3");
 * ```
 */
export const s3Flavor: Flavor<S3StoreConfig> = {
  name: "s3",
  type: "artifact_store",
  supportedSchemes: S3ArtifactStore.SUPPORTED_SCHEMES,
  configSchema: s3ConfigSchema,
  description: BUILTINS.s3.description,
  create: (config: S3StoreConfig) => new S3ArtifactStore(config),
};

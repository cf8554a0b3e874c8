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
import type { Capabilities } from "../../src/types.ts";
import { ArtifactStoreError, InvalidArgumentError } from "../../src/errors.ts";
import { type Flavor, parseConfig } from "../../src/flavor.ts";
import { ObjectStore } from "../../src/object_store.ts";
import type {
  DeleteFailure,
  GetResult,
  ListPage,
  ListPageOptions,
  MultipartUpload,
  ObjectMeta,
  PutOptions,
} from "../../src/object_types.ts";
import { S3Client, type S3PartReceipt } from "./client.ts";
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
  protected copyPartBytes: number = GiB / 2;

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
    this.settings = resolveS3Settings(valid, { fetch: valid.fetch });
    // Failures surface on the first request; keep them from being unhandled now.
    this.settings.catch(() => {});
    this.#client = new S3Client({
      bucket: this.bucket,
      settings: this.settings,
      forcePathStyle: valid.forcePathStyle,
      checksum: valid.checksum ?? "auto",
      fetch: valid.fetch,
      retry: valid.retry,
      timeoutMs: valid.timeoutMs,
      idleTimeoutMs: valid.idleTimeoutMs,
    });
  }

  /**
   * S3 returns an object's full checksum only to an unranged GET: where flexible
   * checksums are in use (CRC32 or CRC32C on the resolved endpoint), reads stay one
   * GET so the check is kept; with MD5 (custom endpoints under `"auto"`) or `false`
   * there is nothing to check on a read, and large reads may go in parallel ranges.
   */
  protected override async checksumOnlyUnranged(): Promise<boolean> {
    const algorithm = await this.#client.checksum;
    return algorithm === "crc32" || algorithm === "crc32c";
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

  /** One ListObjectsV2 page. */
  protected override async listPage(prefix: string, options: ListPageOptions): Promise<ListPage> {
    const page = await this.#client.listObjectsV2(prefix, {
      delimiter: options.delimiter,
      maxKeys: options.limit,
      token: options.token,
      signal: options.signal,
    });
    return {
      objects: page.objects,
      prefixes: page.prefixes,
      next: page.next,
      truncated: page.truncated,
    };
  }

  /** PutObject with its checksum (and `If-None-Match: *` for create-only). */
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
    // Flexible checksums of the parts, by part number, for the commit's part list.
    const checksums: (string | undefined)[] = [];
    const receipt = (r: S3PartReceipt, n: number) => {
      checksums[n - 1] = r.checksum;
      return r.etag;
    };
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
        return client.uploadPart(key, uploadId, n, data, signal).then((r) => receipt(r, n));
      },
      copyPart(n, src, range, ifMatch) {
        return client.uploadPartCopy(key, uploadId, n, src, range, ifMatch).then((r) =>
          receipt(r, n)
        );
      },
      complete(receipts, signal) {
        const parts = receipts.map((etag, i) => ({ etag, checksum: checksums[i] }));
        return client.completeMultipartUpload(key, uploadId, parts, {
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

  /** DeleteObjects for up to 1,000 keys; each key it did not delete, with its typed error. */
  protected override async deleteObjects(keys: string[]): Promise<DeleteFailure[]> {
    // Keys XML cannot carry (control characters) go one by one.
    await mapLimit(keys.filter((k) => !xmlSafe(k)), 4, (k) => this.#client.deleteObject(k));
    const batch = keys.filter((k) => xmlSafe(k));
    if (batch.length === 0) return [];
    const failures = await this.#client.deleteObjects(batch);
    return failures.map((f) => ({
      key: f.key,
      error: mapS3Error({
        status: f.code === "AccessDenied" ? 403 : 500,
        headers: new Headers(),
        body: "",
        request: { method: "POST", url: "", path: this.#client.uri(f.key), op: "delete" },
      }, { code: f.code, message: f.message }),
    }));
  }

  /** CopyObject, or UploadPartCopy in parts past `multipartCopyThreshold` (5 GiB). */
  protected override async copyObject(
    src: string,
    dst: string,
    options: { ifNoneMatch?: boolean; srcMeta?: ObjectMeta },
  ): Promise<void> {
    const meta = options.srcMeta;
    if (meta && meta.size > this.multipartCopyThreshold) {
      return await this.copyInParts(src, dst, meta, options);
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
          return await this.copyInParts(src, dst, m, options);
        }
      }
      throw err;
    }
  }

  /** Parts of a copy in parts: at least `copyPartSize`, at most 10,000 of them, each ≤ 5 GiB. */
  protected override copyPartSize(size: number): number {
    return Math.min(
      MAX_PART_SIZE,
      Math.max(MIN_PART_SIZE, this.copyPartBytes, Math.ceil(size / MAX_PARTS)),
    );
  }

  // ------------------------------------------------------------ presign

  /**
   * Signs a URL (SigV4 query signing) that grants `method` on one object for
   * `expiresIn` seconds without credentials; `presign` checks the arguments first.
   * With temporary credentials the URL stops working when they expire.
   *
   * @param rel the file, relative to the root
   * @param method GET, PUT, HEAD or DELETE
   * @param expiresIn seconds, at most 7 days
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
  protected override signUrl(rel: string, method: string, expiresIn: number): Promise<string> {
    return this.#client.presign(this.key(rel), method, expiresIn);
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

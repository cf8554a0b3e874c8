/**
 * The S3 REST client of one bucket, over the shared {@linkcode HttpClient}: SigV4
 * signing by aws4fetch on every attempt (so retries are re-signed with current
 * credentials), the S3 error mapper, path-style or virtual-hosted URLs, the
 * checksum of every body the service can verify (`integrity.ts`), and presigned URLs. Each
 * REST call is one small method (with a link to its AWS API page), written in
 * the file of its concept: the object calls in `objects.ts`, ListObjectsV2 in
 * `listing.ts`, multipart uploads in `multipart.ts`, DeleteObjects in `batch.ts`.
 *
 * @example
 * ```ts
 * import { encodeKey } from "./client.ts";
 * console.assert(encodeKey("a b/c+d?.txt") === "a%20b/c%2Bd%3F.txt");
 * ```
 *
 * @module
 */

import { AwsClient } from "aws4fetch";
import { FileNotFoundError } from "../../src/errors.ts";
import type { ChecksumAlgorithm, ChecksumSetting } from "../../src/digest.ts";
import {
  encodeKeyPath,
  HttpClient,
  type HttpRequest,
  type PreparedRequest,
  type RetryOptions,
} from "../../src/http/mod.ts";
import type { GetResult, ObjectMeta } from "../../src/object_types.ts";
import { type DeleteFailure, deleteObjects } from "./batch.ts";
import type { S3Settings } from "./credentials.ts";
import { FLAVOR, mapS3Error, okAnswerError } from "./errors.ts";
import { type BodyChecksum, bodyChecksum, pickS3Checksum } from "./integrity.ts";
import { listObjectsV2, type S3ListOptions, type S3ListPage } from "./listing.ts";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  type S3PartReceipt,
  uploadPart,
  uploadPartCopy,
} from "./multipart.ts";
import {
  copyObject,
  deleteObject,
  getObject,
  headObject,
  putObject,
  type S3WriteOptions,
} from "./objects.ts";
import { parseXml, type XmlElement } from "../../src/xml.ts";

export { encodeKeyPath as encodeKey } from "../../src/http/mod.ts";
export type { DeleteFailure } from "./batch.ts";
export type { S3ListOptions, S3ListPage } from "./listing.ts";
export type { S3PartReceipt } from "./multipart.ts";
export type { S3WriteOptions } from "./objects.ts";

/** Options of {@linkcode S3Client}. */
export interface S3ClientOptions {
  /** The bucket. */
  bucket: string;
  /** Region, endpoint and credentials (resolved asynchronously). */
  settings: Promise<S3Settings>;
  /** Path-style URLs; default: path-style on a custom endpoint, virtual-hosted on AWS. */
  forcePathStyle?: boolean;
  /** The checksum of every PUT and part, checked on whole reads too (default `"auto"`). */
  checksum?: ChecksumSetting;
  /** The fetch to use. */
  fetch?: typeof fetch;
  /** Time limit of a request until its response headers arrive, ms. */
  timeoutMs?: number;
  /** The longest wait for the next bytes of an answer, ms. */
  idleTimeoutMs?: number;
  /** Retry settings. */
  retry?: RetryOptions;
}

/**
 * The S3 REST client of one bucket.
 */
export class S3Client {
  /** The bucket. */
  readonly bucket: string;
  /** The HTTP client (retries, signing, error mapping). */
  readonly http: HttpClient;
  readonly #settings: Promise<S3Settings>;
  readonly #forcePathStyle?: boolean;
  /** The algorithm `checksum` means on the resolved endpoint, or null for none. */
  readonly checksum: Promise<ChecksumAlgorithm | null>;
  #signer?: { creds: unknown; region: string; aws: AwsClient };
  readonly #keyCache = new Map<string, ArrayBuffer>();

  /** @param options bucket, settings, URL style, checksums, fetch and retry */
  constructor(options: S3ClientOptions) {
    this.bucket = options.bucket;
    this.#settings = options.settings;
    this.#forcePathStyle = options.forcePathStyle;
    const setting = options.checksum ?? "auto";
    // A failure to resolve the settings surfaces on the first request.
    this.checksum = options.settings.then((s) => pickS3Checksum(setting, s.endpoint), () => null);
    this.http = new HttpClient({
      flavor: FLAVOR,
      fetch: options.fetch,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      sign: (req) => this.#sign(req),
      mapError: (res) => {
        const err = mapS3Error(res);
        if (err.code === "Unauthenticated" && err.retryable) {
          // The service says the session expired: fetch new credentials.
          void this.#settings.then((s) => s.credentials.invalidate());
        }
        return err;
      },
    });
  }

  /** The store URI of a key, for messages. */
  uri(key: string): string {
    return `s3://${this.bucket}${key ? `/${key}` : ""}`;
  }

  async #aws(): Promise<AwsClient> {
    const s = await this.#settings;
    const creds = await s.credentials.get();
    if (this.#signer?.creds !== creds || this.#signer.region !== s.region) {
      if (this.#keyCache.size > 16) this.#keyCache.clear();
      this.#signer = {
        creds,
        region: s.region,
        aws: new AwsClient({
          accessKeyId: creds.accessKeyId,
          secretAccessKey: creds.secretAccessKey,
          sessionToken: creds.sessionToken,
          service: "s3",
          region: s.region,
          cache: this.#keyCache,
        }),
      };
    }
    return this.#signer.aws;
  }

  async #sign(req: PreparedRequest): Promise<PreparedRequest> {
    const aws = await this.#aws();
    // Signed without the body (UNSIGNED-PAYLOAD): bodies carry their checksum instead.
    const signed = await aws.sign(req.url, {
      method: req.method,
      headers: req.headers,
    });
    return {
      method: req.method,
      url: signed.url,
      headers: signed.headers,
      body: req.body,
    };
  }

  /**
   * The URL of a key (`""` for the bucket itself) with a query string.
   *
   * @param key the object key
   * @param q the query string, with its `?`
   * @returns the URL
   */
  async url(key: string, q = ""): Promise<string> {
    const s = await this.#settings;
    const path = key === "" ? "" : encodeKeyPath(key);
    const bucket = this.bucket;
    if (s.endpoint) {
      const ep = new URL(s.endpoint);
      const base = ep.pathname.replace(/\/+$/, "");
      if (this.#forcePathStyle === false) {
        return `${ep.protocol}//${bucket}.${ep.host}${base}/${path}${q}`;
      }
      return `${ep.protocol}//${ep.host}${base}/${bucket}/${path}${q}`;
    }
    const domain = s.region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    const host = `s3.${s.region}.${domain}`;
    // Dotted bucket names do not match the wildcard TLS certificate.
    if (this.#forcePathStyle || bucket.includes(".")) {
      return `https://${host}/${bucket}/${path}${q}`;
    }
    return `https://${bucket}.${host}/${path}${q}`;
  }

  /**
   * The checksum headers of a body (none when checksums are off); see
   * {@linkcode bodyChecksum}.
   *
   * @param data the body
   * @returns the headers, and the flexible checksum a commit lists
   */
  async bodyChecksum(data: Uint8Array): Promise<BodyChecksum> {
    return bodyChecksum(await this.checksum, data);
  }

  /**
   * Sends a request whose 200 response may still carry an `<Error>` document
   * (CompleteMultipartUpload, CopyObject, UploadPartCopy), retrying those that
   * say a retry helps, and returns the parsed success document.
   *
   * @param req the request
   * @returns the success document
   */
  sendXml(req: HttpRequest): Promise<XmlElement> {
    return this.http.sendAndRead(req, (text, res) => {
      // An empty or cut answer is a broken one (retried like a lost answer).
      if (!text.trim()) throw okAnswerError(res.headers, req, "", "empty response body");
      const doc = parseXml(text);
      if (doc.name === "Error") throw okAnswerError(res.headers, req, text);
      return doc;
    });
  }

  // ---------------------------------------------------------------- objects

  /**
   * Metadata of an object, or null when there is none; see {@linkcode headObject}.
   *
   * @param key the object key
   * @param signal cancels the request
   * @returns the metadata, or null
   */
  headObject(key: string, signal?: AbortSignal): Promise<ObjectMeta | null> {
    return headObject(this, key, signal);
  }

  /**
   * The bytes of an object or of a range (`end` exclusive); see {@linkcode getObject}.
   *
   * @param key the object key
   * @param range the range, or the whole object
   * @param options the entity tag to pin the read to, signal
   * @returns the bytes, their length and the entity tag
   */
  getObject(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifMatch?: string; signal?: AbortSignal } = {},
  ): Promise<GetResult> {
    return getObject(this, key, range, options);
  }

  /**
   * Writes a whole object; see {@linkcode putObject}.
   *
   * @param key the object key
   * @param data the bytes
   * @param options create-only, content type, metadata, signal
   */
  putObject(key: string, data: Uint8Array, options: S3WriteOptions = {}): Promise<void> {
    return putObject(this, key, data, options);
  }

  /**
   * Deletes an object (a missing key is not an error); see {@linkcode deleteObject}.
   *
   * @param key the object key
   */
  deleteObject(key: string): Promise<void> {
    return deleteObject(this, key);
  }

  /**
   * Deletes up to 1,000 objects in one request and returns the keys that failed;
   * see {@linkcode deleteObjects}.
   *
   * @param keys the keys
   * @returns the per-key failures
   */
  deleteObjects(keys: string[]): Promise<DeleteFailure[]> {
    return deleteObjects(this, keys);
  }

  /**
   * Copies an object inside the bucket (up to 5 GiB); see {@linkcode copyObject}.
   *
   * @param src the source key
   * @param dst the destination key
   * @param options create-only
   */
  copyObject(src: string, dst: string, options: { ifNoneMatch?: boolean } = {}): Promise<void> {
    return copyObject(this, src, dst, options);
  }

  // ---------------------------------------------------------------- listing

  /**
   * One page of keys below a prefix; see {@linkcode listObjectsV2}.
   *
   * @param prefix the key prefix
   * @param options delimiter, page size, continuation token, signal
   * @returns the page
   */
  listObjectsV2(prefix: string, options: S3ListOptions = {}): Promise<S3ListPage> {
    return listObjectsV2(this, prefix, options);
  }

  // ---------------------------------------------------------------- multipart

  /**
   * Multipart uploads in progress below a prefix (first 1,000); see
   * {@linkcode listMultipartUploads}.
   *
   * @param prefix the key prefix
   * @returns the uploads' keys and ids
   */
  listMultipartUploads(prefix: string): Promise<{ key: string; uploadId: string }[]> {
    return listMultipartUploads(this, prefix);
  }

  /**
   * Starts a multipart upload and returns its id; see {@linkcode createMultipartUpload}.
   *
   * @param key the object key
   * @param options content type, metadata, signal
   * @returns the upload id
   */
  createMultipartUpload(key: string, options: S3WriteOptions = {}): Promise<string> {
    return createMultipartUpload(this, key, options);
  }

  /**
   * Sends one part with its checksum and returns its ETag and flexible checksum;
   * see {@linkcode uploadPart}.
   *
   * @param key the object key
   * @param uploadId the upload
   * @param partNumber the part's number (1-based)
   * @param data the bytes
   * @param signal cancels the request
   * @returns the part's ETag and checksum
   */
  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    data: Uint8Array,
    signal?: AbortSignal,
  ): Promise<S3PartReceipt> {
    return uploadPart(this, key, uploadId, partNumber, data, signal);
  }

  /**
   * Copies a byte range of another object as one part and returns its ETag (and checksum); see
   * {@linkcode uploadPartCopy}.
   *
   * @param key the object key
   * @param uploadId the upload
   * @param partNumber the part's number (1-based)
   * @param src the source key
   * @param range the source's bytes (`end` exclusive)
   * @param srcEtag the source's entity tag the copy is pinned to
   * @returns the part's ETag and checksum
   */
  uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    src: string,
    range: { start: number; end: number },
    srcEtag?: string,
  ): Promise<S3PartReceipt> {
    return uploadPartCopy(this, key, uploadId, partNumber, src, range, srcEtag);
  }

  /**
   * Commits a multipart upload from its parts' receipts (in part order); see
   * {@linkcode completeMultipartUpload}.
   *
   * @param key the object key
   * @param uploadId the upload
   * @param parts the parts' ETags (and checksums), in part order
   * @param options create-only, signal
   */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: S3PartReceipt[],
    options: { ifNoneMatch?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    return completeMultipartUpload(this, key, uploadId, parts, options);
  }

  /**
   * Discards a multipart upload and its parts (a missing upload is not an error);
   * see {@linkcode abortMultipartUpload}.
   *
   * @param key the object key
   * @param uploadId the upload
   */
  abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    return abortMultipartUpload(this, key, uploadId);
  }

  // ---------------------------------------------------------------- presign

  /**
   * A presigned URL (SigV4 query signing) for one object.
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
   */
  async presign(
    key: string,
    method: string,
    expiresIn: number,
  ): Promise<string> {
    const aws = await this.#aws();
    const url = new URL(await this.url(key));
    url.searchParams.set("X-Amz-Expires", String(expiresIn));
    const signed = await aws.sign(url.toString(), {
      method,
      aws: { signQuery: true },
    });
    return signed.url;
  }

  /** A `FileNotFoundError` for a key. */
  notFound(key: string): FileNotFoundError {
    return new FileNotFoundError(`No such file: '${this.uri(key)}'`, {
      path: this.uri(key),
      flavor: FLAVOR,
    });
  }
}

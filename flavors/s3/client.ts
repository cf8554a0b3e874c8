/**
 * The S3 REST calls the flavor makes, one small method each (with a link to its
 * AWS API page), over the shared {@linkcode HttpClient}: SigV4 signing by
 * aws4fetch on every attempt (so retries are re-signed with current
 * credentials), the S3 error mapper, path-style or virtual-hosted URLs, and
 * `Content-MD5` on every body the service can verify.
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
import {
  type ArtifactStoreError,
  FileNotFoundError,
  InvalidArgumentError,
} from "../../src/errors.ts";
import { md5, toBase64, toHex } from "../../src/checksum.ts";
import {
  Backoff,
  encodeKeyPath,
  HttpClient,
  type HttpRequest,
  type PreparedRequest,
  queryString,
  rangedAnswer,
  rangeRequestHeaders,
  type RetryOptions,
} from "../../src/http/mod.ts";
import { emptyBody } from "../../src/streams.ts";
import type { GetResult, ObjectMeta } from "../../src/object_backend.ts";
import type { S3Settings } from "./credentials.ts";
import { FLAVOR, mapS3Error } from "./errors.ts";
import { escapeXml, parseXml, type XmlElement } from "../../src/xml.ts";

export { encodeKeyPath as encodeKey } from "../../src/http/mod.ts";

/** A page of ListObjectsV2. */
export interface S3ListPage {
  /** Objects (full keys). */
  objects: ObjectMeta[];
  /** Common prefixes (with a delimiter). */
  prefixes: string[];
  /** The continuation token of the next page. */
  next?: string;
  /** The service says more pages follow. */
  truncated: boolean;
}

/** A per-key failure of DeleteObjects. */
export interface DeleteFailure {
  /** The key. */
  key: string;
  /** The S3 error code. */
  code: string;
  /** The message. */
  message: string;
}

/** Headers of a write. */
export interface S3WriteOptions {
  /** Send `If-None-Match: *`. */
  ifNoneMatch?: boolean;
  /** Content type (default `application/octet-stream`). */
  contentType?: string;
  /** User metadata (`x-amz-meta-*`), ASCII values. */
  metadata?: Record<string, string>;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** Options of {@linkcode S3Client}. */
export interface S3ClientOptions {
  /** The bucket. */
  bucket: string;
  /** Region, endpoint and credentials (resolved asynchronously). */
  settings: Promise<S3Settings>;
  /** Path-style URLs; default: path-style on a custom endpoint, virtual-hosted on AWS. */
  forcePathStyle?: boolean;
  /** Send `Content-MD5` on every PUT and part (default true). */
  checksum?: boolean;
  /** The fetch to use. */
  fetch?: typeof fetch;
  /** Retry settings. */
  retry?: RetryOptions;
}

/** An empty byte stream. */

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
  readonly #checksum: boolean;
  #signer?: { creds: unknown; region: string; aws: AwsClient };
  readonly #keyCache = new Map<string, ArrayBuffer>();

  /** @param options bucket, settings, URL style, checksums, fetch and retry */
  constructor(options: S3ClientOptions) {
    this.bucket = options.bucket;
    this.#settings = options.settings;
    this.#forcePathStyle = options.forcePathStyle;
    this.#checksum = options.checksum ?? true;
    this.http = new HttpClient({
      flavor: FLAVOR,
      fetch: options.fetch,
      retry: options.retry,
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
    // Signed without the body (UNSIGNED-PAYLOAD): bodies carry Content-MD5.
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

  #md5(data: Uint8Array | string): Record<string, string> {
    if (!this.#checksum) return {};
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    return { "Content-MD5": toBase64(md5(bytes)) };
  }

  #writeHeaders(o: S3WriteOptions): Record<string, string> {
    const h: Record<string, string> = {
      "Content-Type": o.contentType ?? "application/octet-stream",
    };
    if (o.ifNoneMatch) h["If-None-Match"] = "*";
    for (const [k, v] of Object.entries(o.metadata ?? {})) {
      if (!/^[\x20-\x7e]*$/.test(v) || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k)) {
        throw new InvalidArgumentError(
          `Metadata '${k}' cannot be sent as an S3 header: use ASCII names and values (encode others, e.g. with encodeURIComponent)`,
          { flavor: FLAVOR },
        );
      }
      h[`x-amz-meta-${k.toLowerCase()}`] = v;
    }
    return h;
  }

  /**
   * Sends a request whose 200 response may still carry an `<Error>` document
   * (CompleteMultipartUpload, CopyObject, UploadPartCopy), retrying those that
   * say a retry helps, and returns the parsed success document.
   */
  async #sendXml(req: HttpRequest): Promise<XmlElement> {
    const backoff = new Backoff(this.http.options.retry, 3);
    for (;;) {
      const res = await this.http.send(req);
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        if (!req.signal?.aborted && await backoff.wait(req.signal)) continue;
        throw err;
      }
      const doc = text.trim() ? parseXml(text) : undefined;
      if (doc?.name !== "Error") {
        if (!doc) {
          throw mapS3Error({
            status: 200,
            headers: res.headers,
            body: "",
            request: req,
          }, { code: "InternalError", message: "empty response body" });
        }
        return doc;
      }
      const err = mapS3Error({
        status: 200,
        headers: res.headers,
        body: text,
        request: req,
      });
      if (!err.retryable || !await backoff.wait(req.signal)) throw err;
    }
  }

  // ---------------------------------------------------------------- objects

  /**
   * Metadata of an object, or null when there is no object with this key.
   * A HEAD error has no body, so a refusal is asked again with a one-byte GET to
   * learn its code (a wrong secret and a missing permission both answer 403).
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
   */
  async headObject(key: string, signal?: AbortSignal): Promise<ObjectMeta | null> {
    let res: Response;
    try {
      res = await this.http.send({
        method: "HEAD",
        url: await this.url(key),
        signal,
        path: this.uri(key),
        op: "stat",
        accept: [404],
      });
    } catch (err) {
      const e = err as ArtifactStoreError;
      if (e.status === 403 || e.status === 400 || e.status === 301) {
        await this.#diagnose(key, signal);
      }
      throw err;
    }
    await res.body?.cancel();
    if (res.status === 404) return null;
    return metaFromHeaders(key, res.headers);
  }

  /** Repeats a refused HEAD as a ranged GET, whose error body names the cause. */
  async #diagnose(key: string, signal?: AbortSignal): Promise<void> {
    const res = await this.http.send({
      method: "GET",
      url: await this.url(key),
      headers: { Range: "bytes=0-0" },
      signal,
      path: this.uri(key),
      op: "stat",
      accept: [404, 416],
    });
    await res.body?.cancel();
  }

  /**
   * The bytes of an object or of a range (`end` exclusive).
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
   */
  async getObject(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifMatch?: string; signal?: AbortSignal } = {},
  ): Promise<GetResult> {
    const res = await this.http.send({
      method: "GET",
      url: await this.url(key),
      headers: rangeRequestHeaders(range, { ifMatch: options.ifMatch }),
      signal: options.signal,
      path: this.uri(key),
      op: "read",
      accept: [416],
    });
    const etag = res.headers.get("etag") ?? undefined;
    const part = await rangedAnswer(res, range, { path: this.uri(key), flavor: FLAVOR });
    return part ? { ...part, etag } : { body: emptyBody(), length: 0, etag };
  }

  /**
   * Writes a whole object.
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
   */
  async putObject(
    key: string,
    data: Uint8Array,
    options: S3WriteOptions = {},
  ): Promise<void> {
    const res = await this.http.send({
      method: "PUT",
      url: await this.url(key),
      headers: { ...this.#writeHeaders(options), ...this.#md5(data) },
      body: data,
      signal: options.signal,
      path: this.uri(key),
      op: "write",
    });
    await res.body?.cancel();
  }

  /**
   * Deletes an object (a missing key is not an error).
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
   */
  async deleteObject(key: string): Promise<void> {
    const res = await this.http.send({
      method: "DELETE",
      url: await this.url(key),
      path: this.uri(key),
      op: "remove",
      accept: [404],
    });
    await res.body?.cancel();
  }

  /**
   * Deletes up to 1,000 objects in one request and returns the keys that failed.
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
   */
  async deleteObjects(keys: string[]): Promise<DeleteFailure[]> {
    const body = `<?xml version="1.0" encoding="UTF-8"?>` +
      `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>` +
      keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join("") +
      `</Delete>`;
    const bytes = new TextEncoder().encode(body);
    const res = await this.http.send({
      method: "POST",
      url: await this.url("", queryString({ delete: "" }, { bareEmpty: true })),
      headers: {
        "Content-Type": "application/xml",
        // Required by the API whatever the checksum setting.
        "Content-MD5": toBase64(md5(bytes)),
      },
      body: bytes,
      path: this.uri(keys[0] ?? ""),
      op: "delete",
    });
    const text = await res.text();
    const doc = parseXml(text);
    if (doc.name === "Error") {
      throw mapS3Error({
        status: 200,
        headers: res.headers,
        body: text,
        request: { method: "POST", url: "", path: this.uri(""), op: "delete" },
      });
    }
    return doc.all("Error").map((e) => ({
      key: e.text("Key") ?? "",
      code: e.text("Code") ?? "",
      message: e.text("Message") ?? "",
    }));
  }

  /**
   * Copies an object inside the bucket (up to 5 GiB).
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
   */
  async copyObject(
    src: string,
    dst: string,
    options: { ifNoneMatch?: boolean } = {},
  ): Promise<void> {
    const headers: Record<string, string> = {
      "x-amz-copy-source": `/${this.bucket}/${encodeKeyPath(src)}`,
    };
    if (options.ifNoneMatch) headers["If-None-Match"] = "*";
    await this.#sendXml({
      method: "PUT",
      url: await this.url(dst),
      headers,
      path: this.uri(dst),
      op: "copy",
    });
  }

  // ---------------------------------------------------------------- listing

  /**
   * One page of keys below a prefix.
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
   */
  async listObjectsV2(
    prefix: string,
    options: {
      delimiter?: boolean;
      maxKeys?: number;
      token?: string;
      signal?: AbortSignal;
    } = {},
  ): Promise<S3ListPage> {
    const res = await this.http.send({
      method: "GET",
      url: await this.url(
        "",
        queryString({
          "list-type": 2,
          prefix: prefix || undefined,
          delimiter: options.delimiter ? "/" : undefined,
          "max-keys": options.maxKeys,
          "continuation-token": options.token,
          "encoding-type": "url",
        }, { bareEmpty: true }),
      ),
      signal: options.signal,
      path: this.uri(prefix.replace(/\/$/, "")),
      op: "list",
    });
    const doc = parseXml(await res.text());
    // Keys come URL-encoded only when the service honoured encoding-type.
    const decode = doc.text("EncodingType")?.toLowerCase() === "url"
      ? (s: string) => decodeURIComponent(s.replace(/\+/g, " "))
      : (s: string) => s;
    const objects: ObjectMeta[] = [];
    for (const c of doc.all("Contents")) {
      const key = decode(c.text("Key") ?? "");
      if (!key.startsWith(prefix)) continue;
      const lm = c.text("LastModified");
      objects.push({
        key,
        size: Number(c.text("Size") ?? 0),
        mtime: lm ? new Date(lm) : null,
        etag: c.text("ETag"),
      });
    }
    const prefixes = doc.all("CommonPrefixes")
      .map((p) => decode(p.text("Prefix") ?? ""))
      .filter((p) => p.startsWith(prefix) && p !== "");
    return {
      objects,
      prefixes,
      next: doc.text("NextContinuationToken") || undefined,
      truncated: doc.text("IsTruncated") === "true",
    };
  }

  /**
   * Multipart uploads in progress below a prefix (first 1,000).
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
   */
  async listMultipartUploads(
    prefix: string,
  ): Promise<{ key: string; uploadId: string }[]> {
    const res = await this.http.send({
      method: "GET",
      url: await this.url(
        "",
        queryString({ uploads: "", prefix: prefix || undefined }, { bareEmpty: true }),
      ),
      path: this.uri(prefix),
      op: "list uploads of",
    });
    const doc = parseXml(await res.text());
    return doc.all("Upload").map((u) => ({
      key: u.text("Key") ?? "",
      uploadId: u.text("UploadId") ?? "",
    }));
  }

  // ---------------------------------------------------------------- multipart

  /**
   * Starts a multipart upload and returns its id.
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
   */
  async createMultipartUpload(
    key: string,
    options: S3WriteOptions = {},
  ): Promise<string> {
    const { ifNoneMatch: _, ...rest } = options;
    const res = await this.http.send({
      method: "POST",
      url: await this.url(key, queryString({ uploads: "" }, { bareEmpty: true })),
      headers: this.#writeHeaders(rest),
      signal: options.signal,
      path: this.uri(key),
      op: "write",
    });
    const id = parseXml(await res.text()).text("UploadId");
    if (!id) {
      throw mapS3Error({
        status: 200,
        headers: res.headers,
        body: "",
        request: { method: "POST", url: "", path: this.uri(key), op: "write" },
      }, { code: "InternalError", message: "no UploadId in the answer" });
    }
    return id;
  }

  /**
   * Sends one part and returns its ETag.
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
   */
  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    data: Uint8Array,
    signal?: AbortSignal,
  ): Promise<string> {
    const res = await this.http.send({
      method: "PUT",
      url: await this.url(key, queryString({ partNumber, uploadId }, { bareEmpty: true })),
      headers: this.#md5(data),
      body: data,
      signal,
      path: this.uri(key),
      op: "write",
    });
    await res.body?.cancel();
    const etag = res.headers.get("etag");
    if (!etag) {
      throw mapS3Error({
        status: 200,
        headers: res.headers,
        body: "",
        request: { method: "PUT", url: "", path: this.uri(key), op: "write" },
      }, { code: "InternalError", message: `no ETag for part ${partNumber}` });
    }
    return etag;
  }

  /**
   * Copies a byte range of another object as one part and returns its ETag.
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
   */
  async uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    src: string,
    range: { start: number; end: number },
    srcEtag?: string,
  ): Promise<string> {
    const headers: Record<string, string> = {
      "x-amz-copy-source": `/${this.bucket}/${encodeKeyPath(src)}`,
      "x-amz-copy-source-range": `bytes=${range.start}-${range.end - 1}`,
    };
    if (srcEtag) headers["x-amz-copy-source-if-match"] = srcEtag;
    const doc = await this.#sendXml({
      method: "PUT",
      url: await this.url(key, queryString({ partNumber, uploadId }, { bareEmpty: true })),
      headers,
      path: this.uri(key),
      op: "copy",
    });
    const etag = doc.text("ETag");
    if (!etag) {
      throw new FileNotFoundError(
        `Copy of part ${partNumber} of '${this.uri(src)}' returned no ETag`,
        { path: this.uri(src), flavor: FLAVOR },
      );
    }
    return etag;
  }

  /**
   * Commits a multipart upload from its parts' ETags (in part order). A retry
   * that finds the upload already gone checks whether the object it made is there.
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
   */
  async completeMultipartUpload(
    key: string,
    uploadId: string,
    etags: string[],
    options: { ifNoneMatch?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    const body = `<?xml version="1.0" encoding="UTF-8"?>` +
      `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      etags.map((e, i) =>
        `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(e)}</ETag></Part>`
      ).join("") +
      `</CompleteMultipartUpload>`;
    const headers: Record<string, string> = {
      "Content-Type": "application/xml",
    };
    if (options.ifNoneMatch) headers["If-None-Match"] = "*";
    try {
      await this.#sendXml({
        method: "POST",
        url: await this.url(key, queryString({ uploadId }, { bareEmpty: true })),
        headers,
        body,
        signal: options.signal,
        path: this.uri(key),
        op: "write",
      });
    } catch (err) {
      // A retried commit whose first attempt succeeded finds no upload: the object
      // with this upload's multipart ETag is the proof it went through.
      if (err instanceof FileNotFoundError) {
        const expected = multipartEtag(etags);
        const meta = expected ? await this.headObject(key) : null;
        if (meta?.etag && unquote(meta.etag) === expected) return;
      }
      throw err;
    }
  }

  /**
   * Discards a multipart upload and its parts (a missing upload is not an error).
   *
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
   */
  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    const res = await this.http.send({
      method: "DELETE",
      url: await this.url(key, queryString({ uploadId }, { bareEmpty: true })),
      path: this.uri(key),
      op: "abort the upload of",
      accept: [404],
    });
    await res.body?.cancel();
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

function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}

/** The ETag S3 gives a multipart object: MD5 of the parts' MD5s, `-N`. */
function multipartEtag(etags: string[]): string | undefined {
  const parts = etags.map(unquote);
  if (!parts.every((e) => /^[0-9a-f]{32}$/i.test(e))) return undefined;
  const all = new Uint8Array(parts.length * 16);
  parts.forEach((e, i) => {
    for (let j = 0; j < 16; j++) {
      all[i * 16 + j] = parseInt(e.slice(j * 2, j * 2 + 2), 16);
    }
  });
  return `${toHex(md5(all))}-${parts.length}`;
}

function metaFromHeaders(key: string, h: Headers): ObjectMeta {
  const metadata: Record<string, string> = {};
  for (const [k, v] of h) {
    if (k.startsWith("x-amz-meta-")) metadata[k.slice(11)] = v;
  }
  const lm = h.get("last-modified");
  return {
    key,
    size: Number(h.get("content-length") ?? 0),
    mtime: lm ? new Date(lm) : null,
    etag: h.get("etag") ?? undefined,
    contentType: h.get("content-type") ?? undefined,
    metadata: Object.keys(metadata).length ? metadata : undefined,
  };
}

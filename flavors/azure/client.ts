/**
 * The Blob service REST calls the Azure flavor makes, one small method each
 * (with a link to its API page), over the shared {@linkcode HttpClient}: SharedKey
 * signing (fresh `x-ms-date`) or the SAS token or a bearer token on every attempt,
 * the Azure error mapper, and `Content-MD5` on every body the service verifies.
 *
 * @example
 * ```ts
 * import { encodeBlobName } from "./client.ts";
 * console.assert(encodeBlobName("a b/c+d?#.txt") === "a%20b/c%2Bd%3F%23.txt");
 * ```
 *
 * @module
 */

import { toBase64 } from "../../src/checksum.ts";
import { hasher } from "../../src/digest.ts";
import {
  type ArtifactStoreError,
  AuthenticationError,
  FileNotFoundError,
} from "../../src/errors.ts";
import {
  encodeKeyPath,
  type ErrorResponse,
  HttpClient,
  type PreparedRequest,
  queryString,
  rangedAnswer,
  rangeRequestHeaders,
  type RetryOptions,
} from "../../src/http/mod.ts";
import { emptyBody } from "../../src/streams.ts";
import type { GetResult } from "../../src/object_types.ts";
import { API_VERSION, signSharedKey } from "./auth.ts";
import { batchDelete, type BatchFailure } from "./batch.ts";
import type { AzureSettings } from "./credentials.ts";
import { FLAVOR, mapAzureError } from "./errors.ts";
import {
  type BlobListPage,
  type BlobProperties,
  metaFromHeaders,
  metaFromXml,
} from "./properties.ts";
import {
  appendBlock,
  type BlobWriteOptions,
  getBlockList,
  putBlob,
  putBlock,
  putBlockList,
} from "./upload.ts";
import { parseXml } from "../../src/xml.ts";

export { encodeKeyPath as encodeBlobName } from "../../src/http/mod.ts";
export type { BatchFailure } from "./batch.ts";
export type { BlobListPage, BlobProperties } from "./properties.ts";
export type { BlobWriteOptions } from "./upload.ts";

const EMPTY = new Uint8Array(0);

/** Options of {@linkcode AzureBlobClient}. */
export interface AzureBlobClientOptions {
  /** The container. */
  container: string;
  /** Account, endpoint and credentials. */
  settings: AzureSettings;
  /** Send `Content-MD5` on bodies (default true). */
  checksum?: boolean;
  /** The fetch to use. */
  fetch?: typeof fetch;
  /** Time limit of a request until its response headers arrive, ms. */
  timeoutMs?: number;
  /** The longest wait for the next bytes of an answer, ms. */
  idleTimeoutMs?: number;
  /** Retry settings. */
  retry?: RetryOptions;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * The Blob service REST client of one container.
 */
export class AzureBlobClient {
  /** The container. */
  readonly container: string;
  /** Account, endpoint and credentials. */
  readonly settings: AzureSettings;
  /** The HTTP client (retries, signing, error mapping). */
  readonly http: HttpClient;
  readonly #checksum: boolean;

  /**
   * Creates the client.
   *
   * @param options container, settings, checksums, fetch and retry
   */
  constructor(options: AzureBlobClientOptions) {
    this.container = options.container;
    this.settings = options.settings;
    this.#checksum = options.checksum ?? true;
    this.http = new HttpClient({
      flavor: FLAVOR,
      fetch: options.fetch,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      sign: (req) => this.#sign(req),
      mapError: (res) => this.#mapError(res),
    });
  }

  /** The store URI of a blob, for messages. */
  uri(key: string): string {
    return `az://${this.container}${key ? `/${key}` : ""}`;
  }

  /**
   * The URL of a blob (`""` for the container) with a query string.
   *
   * @param key the blob name
   * @param q the query string, with its `?`
   * @returns the URL
   */
  url(key: string, q = ""): string {
    const name = key === "" ? "" : `/${encodeKeyPath(key)}`;
    // Container names are validated (lower-case letters, digits, dashes, `$root`…).
    return `${this.settings.endpoint}/${this.container}${name}${q}`;
  }

  #mapError(res: ErrorResponse) {
    const err = mapAzureError(res);
    const auth = this.settings.auth;
    if (auth.kind === "bearer" && err instanceof AuthenticationError) {
      // An expired or revoked token: the next attempt fetches a new one.
      auth.tokens.invalidate();
      if (/expired|lifetime/i.test(err.message)) {
        return new AuthenticationError(err.message, {
          path: err.path,
          flavor: FLAVOR,
          status: err.status,
          retryable: true,
        });
      }
    }
    return err;
  }

  async #sign(req: PreparedRequest): Promise<PreparedRequest> {
    const headers = req.headers;
    headers.set("x-ms-version", API_VERSION);
    const auth = this.settings.auth;
    let url = req.url;
    if (auth.kind === "sharedKey") {
      const body = req.body;
      const length = body === undefined
        ? 0
        : typeof body === "string"
        ? utf8(body).length
        : body.byteLength;
      await signSharedKey(
        req.method,
        new URL(url),
        headers,
        length,
        auth.accountName,
        auth.accountKey,
      );
    } else {
      headers.set("x-ms-date", new Date().toUTCString());
      if (auth.kind === "sas") url += (url.includes("?") ? "&" : "?") + auth.token;
      else headers.set("authorization", `Bearer ${await auth.tokens.get()}`);
    }
    return { method: req.method, url, headers, body: req.body };
  }

  /**
   * A URL with the SAS token appended, for batch sub-requests and copy sources.
   *
   * @param url the URL
   * @returns the URL, with the token when the auth is a SAS
   */
  sasSuffix(url: string): string {
    const auth = this.settings.auth;
    return auth.kind === "sas" ? `${url}${url.includes("?") ? "&" : "?"}${auth.token}` : url;
  }

  /**
   * The `Content-MD5` header of a body, when checksums are on: MD5 in the
   * runtime's native code where it has it (`node:crypto`, loaded lazily), else in
   * JavaScript.
   *
   * @param data the body
   * @returns the header, or none
   */
  async md5Header(data: Uint8Array): Promise<Record<string, string>> {
    return this.#checksum ? { "Content-MD5": toBase64((await hasher("md5")).digest(data)) } : {};
  }

  #notFound(key: string): FileNotFoundError {
    return new FileNotFoundError(`No such file or directory: '${this.uri(key)}'`, {
      path: this.uri(key),
      flavor: FLAVOR,
      status: 404,
    });
  }

  // ---------------------------------------------------------------- blobs

  /**
   * The properties of a blob, or null when there is none. A refused HEAD has no
   * body, so it is asked again as a one-byte GET whose error body names the cause
   * (a wrong key and a missing permission both answer 403).
   *
   * https://learn.microsoft.com/rest/api/storageservices/get-blob-properties
   */
  async getProperties(key: string, signal?: AbortSignal): Promise<BlobProperties | null> {
    let res: Response;
    try {
      res = await this.http.send({
        method: "HEAD",
        url: this.url(key),
        signal,
        path: this.uri(key),
        op: "stat",
        accept: [404],
      });
    } catch (err) {
      if ((err as ArtifactStoreError).status === 403) {
        const r = await this.http.send({
          method: "GET",
          url: this.url(key),
          headers: { "x-ms-range": "bytes=0-0" },
          signal,
          path: this.uri(key),
          op: "stat",
          accept: [404, 416],
        });
        await r.body?.cancel();
      }
      throw err;
    }
    await res.body?.cancel();
    if (res.status === 404) return null;
    return metaFromHeaders(key, res.headers);
  }

  /**
   * The bytes of a blob or of a range (`end` exclusive). Never sends a suffix
   * range, and no range at all for a whole-blob read (Azurite answers a range on
   * an empty blob with `bytes 0--1/0` or a 416 without metadata: a 416 to a range
   * from byte 0 is asked again without one). A directory marker reads as not found.
   *
   * https://learn.microsoft.com/rest/api/storageservices/get-blob
   */
  async getBlob(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifMatch?: string; signal?: AbortSignal } = {},
  ): Promise<GetResult> {
    const headers = rangeRequestHeaders(range, { ifMatch: options.ifMatch, header: "x-ms-range" });
    const res = await this.http.send({
      method: "GET",
      url: this.url(key),
      headers,
      signal: options.signal,
      path: this.uri(key),
      op: "read",
      accept: [416],
    });
    if (res.status === 416 && range && range.start === 0) {
      // An empty blob: the 416 carries no metadata, so ask once more without a range
      // (an ADLS Gen2 directory marker must read as not found, not as an empty file).
      await res.body?.cancel();
      return await this.getBlob(key, undefined, options);
    }
    const etag = res.headers.get("etag") ?? options.ifMatch;
    if (res.headers.get("x-ms-meta-hdi_isfolder")?.toLowerCase() === "true") {
      await res.body?.cancel();
      throw this.#notFound(key);
    }
    const part = await rangedAnswer(res, range, { path: this.uri(key), flavor: FLAVOR });
    return part ? { ...part, etag } : { body: emptyBody(), length: 0, etag };
  }

  /**
   * Lists blobs below a prefix, one page (with `delimiter`, one level: virtual
   * directories come back as prefixes). Metadata is included so that ADLS Gen2
   * directory markers can be told from files.
   *
   * https://learn.microsoft.com/rest/api/storageservices/list-blobs
   */
  async listBlobs(
    prefix: string,
    options: { delimiter?: boolean; maxResults?: number; marker?: string; signal?: AbortSignal } =
      {},
  ): Promise<BlobListPage> {
    const doc = await this.http.sendAndRead({
      method: "GET",
      url: this.url(
        "",
        queryString({
          restype: "container",
          comp: "list",
          prefix: prefix || undefined,
          delimiter: options.delimiter ? "/" : undefined,
          marker: options.marker,
          maxresults: options.maxResults,
          include: "metadata",
        }),
      ),
      signal: options.signal,
      path: this.uri(prefix.replace(/\/$/, "")),
      op: "list",
    }, parseXml);
    const blobs = doc.child("Blobs");
    return {
      blobs: (blobs?.all("Blob") ?? []).map(metaFromXml),
      prefixes: (blobs?.all("BlobPrefix") ?? []).map((p) => {
        const n = p.child("Name");
        return n?.attrs.Encoded === "true" ? decodeURIComponent(n.content) : n?.content ?? "";
      }),
      next: doc.text("NextMarker") || undefined,
    };
  }

  /**
   * Writes a whole block blob (or creates an empty append blob); see {@linkcode putBlob}.
   *
   * @param key the blob name
   * @param data the bytes
   * @param options create-only, content type, metadata, blob type, signal
   */
  putBlob(
    key: string,
    data: Uint8Array,
    options: BlobWriteOptions & { blobType?: "BlockBlob" | "AppendBlob" } = {},
  ): Promise<void> {
    return putBlob(this, key, data, options);
  }

  /**
   * Stages one block of a block blob; see {@linkcode putBlock}.
   *
   * @param key the blob name
   * @param blockId the block id (base64)
   * @param data the bytes
   * @param signal cancels the request
   */
  putBlock(key: string, blockId: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    return putBlock(this, key, blockId, data, signal);
  }

  /**
   * Commits staged blocks, in order, as the blob's content; see {@linkcode putBlockList}.
   *
   * @param key the blob name
   * @param blockIds the block ids, in order
   * @param options create-only, content type, metadata, signal
   */
  putBlockList(key: string, blockIds: string[], options: BlobWriteOptions = {}): Promise<void> {
    return putBlockList(this, key, blockIds, options);
  }

  /**
   * The ids of a blob's committed blocks; see {@linkcode getBlockList}.
   *
   * @param key the blob name
   * @param signal cancels the request
   * @returns the ids, in order
   */
  getBlockList(key: string, signal?: AbortSignal): Promise<string[]> {
    return getBlockList(this, key, signal);
  }

  /**
   * Appends one block to an append blob at `position`; see {@linkcode appendBlock}.
   *
   * @param key the blob name
   * @param data the bytes (at most 4 MiB)
   * @param position the blob's size now
   * @param signal cancels the request
   * @returns `"appended"`, or `"moved"` when the blob's size is not `position` any more
   */
  appendBlock(
    key: string,
    data: Uint8Array,
    position: number,
    signal?: AbortSignal,
  ): Promise<"appended" | "moved"> {
    return appendBlock(this, key, data, position, signal);
  }

  /**
   * Deletes a blob and its snapshots (a missing blob is not an error);
   * `ifUnmodifiedSince` leaves one written since then alone (412).
   *
   * https://learn.microsoft.com/rest/api/storageservices/delete-blob
   */
  async deleteBlob(key: string, options: { ifUnmodifiedSince?: Date } = {}): Promise<void> {
    const headers: Record<string, string> = { "x-ms-delete-snapshots": "include" };
    if (options.ifUnmodifiedSince) {
      headers["If-Unmodified-Since"] = options.ifUnmodifiedSince.toUTCString();
    }
    const res = await this.http.send({
      method: "DELETE",
      url: this.url(key),
      headers,
      path: this.uri(key),
      op: "remove",
      accept: [404],
    });
    await res.body?.cancel();
  }

  /**
   * Deletes up to 256 blobs in one Blob Batch request and returns those that
   * failed; see {@linkcode batchDelete}.
   *
   * @param keys the blobs
   * @returns the failed deletes
   */
  batchDelete(keys: string[]): Promise<BatchFailure[]> {
    return batchDelete(this, keys);
  }

  /**
   * Starts a server-side copy inside the account and returns its status
   * (`success` when it finished at once, else `pending` with its id).
   *
   * https://learn.microsoft.com/rest/api/storageservices/copy-blob
   */
  async copyBlob(
    src: string,
    dst: string,
    options: { ifNoneMatch?: boolean } = {},
  ): Promise<{ status: string; copyId?: string; source: string }> {
    const source = this.url(src);
    const headers: Record<string, string> = { "x-ms-copy-source": this.sasSuffix(source) };
    if (options.ifNoneMatch) headers["If-None-Match"] = "*";
    const res = await this.http.send({
      method: "PUT",
      url: this.url(dst),
      headers,
      body: EMPTY,
      path: this.uri(dst),
      op: "copy to",
    });
    await res.body?.cancel();
    return {
      status: res.headers.get("x-ms-copy-status") ?? "success",
      copyId: res.headers.get("x-ms-copy-id") ?? undefined,
      source,
    };
  }
}

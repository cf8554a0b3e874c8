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

import { md5, toBase64 } from "../../src/checksum.ts";
import {
  ArtifactStoreError,
  AuthenticationError,
  FileExistsError,
  FileNotFoundError,
  InvalidArgumentError,
  PreconditionFailedError,
} from "../../src/errors.ts";
import {
  encodeKeyPath,
  type ErrorResponse,
  HttpClient,
  type PreparedRequest,
  queryString,
  rangedAnswer,
  rangeHeader,
  type RetryOptions,
} from "../../src/http/mod.ts";
import { emptyBody } from "../../src/streams.ts";
import type { GetResult, ObjectMeta } from "../../src/object_store.ts";
import { API_VERSION, signSharedKey } from "./auth.ts";
import type { AzureSettings } from "./credentials.ts";
import { FLAVOR, mapAzureError } from "./errors.ts";
import { escapeXml, parseXml, type XmlElement } from "../../src/xml.ts";

export { encodeKeyPath as encodeBlobName } from "../../src/http/mod.ts";

const EMPTY = new Uint8Array(0);

/** An empty byte stream. */

/** What the service says about one blob. */
export interface BlobProperties extends ObjectMeta {
  /** `BlockBlob`, `AppendBlob` or `PageBlob`. */
  blobType?: string;
  /** An ADLS Gen2 directory (metadata `hdi_isfolder=true`). */
  isFolder: boolean;
  /** The stored `Content-MD5`, base64, when the blob has one. */
  contentMd5?: string;
  /** `x-ms-copy-status` of the last copy into this blob. */
  copyStatus?: string;
  /** `x-ms-copy-status-description`. */
  copyStatusDescription?: string;
  /** `x-ms-copy-source`. */
  copySource?: string;
  /** `x-ms-copy-id`. */
  copyId?: string;
}

/** One page of List Blobs. */
export interface BlobListPage {
  /** Blobs (full names). */
  blobs: BlobProperties[];
  /** Virtual directories (with a delimiter), ending in `/`. */
  prefixes: string[];
  /** The marker of the next page. */
  next?: string;
}

/** Headers of a write. */
export interface BlobWriteOptions {
  /** Send `If-None-Match: *` (create only). */
  ifNoneMatch?: boolean;
  /** Content type (default `application/octet-stream`). */
  contentType?: string;
  /** User metadata (`x-ms-meta-*`): names are C# identifiers, values ASCII. */
  metadata?: Record<string, string>;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** A delete that failed inside a batch. */
export interface BatchFailure {
  /** The blob. */
  key: string;
  /** The sub-response status. */
  status: number;
  /** Its `x-ms-error-code`. */
  code?: string;
}

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
  /** Retry settings. */
  retry?: RetryOptions;
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function metaFromHeaders(key: string, h: Headers): BlobProperties {
  const metadata: Record<string, string> = {};
  h.forEach((value, name) => {
    const n = name.toLowerCase();
    if (n.startsWith("x-ms-meta-")) metadata[n.slice(10)] = value;
  });
  const lm = h.get("last-modified");
  const mtime = lm ? new Date(lm) : null;
  return {
    key,
    size: Number(h.get("content-length") ?? 0),
    mtime: mtime && !Number.isNaN(mtime.getTime()) ? mtime : null,
    etag: h.get("etag") ?? undefined,
    contentType: h.get("content-type") ?? undefined,
    metadata: Object.keys(metadata).length ? metadata : undefined,
    blobType: h.get("x-ms-blob-type") ?? undefined,
    isFolder: metadata.hdi_isfolder?.toLowerCase() === "true",
    contentMd5: h.get("content-md5") ?? undefined,
    copyStatus: h.get("x-ms-copy-status") ?? undefined,
    copyStatusDescription: h.get("x-ms-copy-status-description") ?? undefined,
    copySource: h.get("x-ms-copy-source") ?? undefined,
    copyId: h.get("x-ms-copy-id") ?? undefined,
  };
}

function metaFromXml(blob: XmlElement): BlobProperties {
  const nameEl = blob.child("Name");
  let key = nameEl?.content ?? "";
  if (nameEl?.attrs.Encoded === "true") {
    try {
      key = decodeURIComponent(key);
    } catch {
      // Keep it as sent.
    }
  }
  const p = blob.child("Properties");
  const metadata: Record<string, string> = {};
  for (const m of blob.child("Metadata")?.children ?? []) {
    metadata[m.name.toLowerCase()] = m.content;
  }
  const lm = p?.text("Last-Modified");
  const mtime = lm ? new Date(lm) : null;
  return {
    key,
    size: Number(p?.text("Content-Length") ?? 0),
    mtime: mtime && !Number.isNaN(mtime.getTime()) ? mtime : null,
    etag: p?.text("Etag") ?? undefined,
    contentType: p?.text("Content-Type") || undefined,
    metadata: Object.keys(metadata).length ? metadata : undefined,
    blobType: p?.text("BlobType") ?? undefined,
    isFolder: metadata.hdi_isfolder?.toLowerCase() === "true",
    contentMd5: p?.text("Content-MD5") || undefined,
  };
}

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

  /** A header value for the batch sub-requests and copy sources with SAS. */
  #sasSuffix(url: string): string {
    const auth = this.settings.auth;
    return auth.kind === "sas" ? `${url}${url.includes("?") ? "&" : "?"}${auth.token}` : url;
  }

  #md5(data: Uint8Array): Record<string, string> {
    return this.#checksum ? { "Content-MD5": toBase64(md5(data)) } : {};
  }

  #writeHeaders(o: BlobWriteOptions): Record<string, string> {
    const h: Record<string, string> = {
      "x-ms-blob-content-type": o.contentType ?? "application/octet-stream",
    };
    if (o.ifNoneMatch) h["If-None-Match"] = "*";
    for (const [k, v] of Object.entries(o.metadata ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || !/^[\x20-\x7e]*$/.test(v)) {
        throw new InvalidArgumentError(
          `Metadata '${k}' cannot be stored on an Azure blob: names must be C# identifiers ` +
            "(letters, digits, '_') and values ASCII (encode others, e.g. with encodeURIComponent)",
          { flavor: FLAVOR },
        );
      }
      h[`x-ms-meta-${k.toLowerCase()}`] = v;
    }
    return h;
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
   * an empty blob with `bytes 0--1/0`). A directory marker reads as not found.
   *
   * https://learn.microsoft.com/rest/api/storageservices/get-blob
   */
  async getBlob(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifMatch?: string; signal?: AbortSignal } = {},
  ): Promise<GetResult> {
    const headers: Record<string, string> = {};
    if (range && (range.start > 0 || range.end !== undefined)) {
      headers["x-ms-range"] = rangeHeader(range.start, range.end);
    }
    if (options.ifMatch) headers["If-Match"] = options.ifMatch;
    const res = await this.http.send({
      method: "GET",
      url: this.url(key),
      headers,
      signal: options.signal,
      path: this.uri(key),
      op: "read",
      accept: [416],
    });
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
    const res = await this.http.send({
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
    });
    const text = await res.text();
    let doc: XmlElement;
    try {
      doc = parseXml(text);
    } catch (err) {
      throw new ArtifactStoreError(
        `Cannot list '${this.uri(prefix)}': the service sent a listing that is not XML`,
        { path: this.uri(prefix), flavor: FLAVOR, retryable: true, cause: err },
      );
    }
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
   * Writes a whole block blob (or creates an empty append blob). A create-only
   * write that finds the blob already there after a retry checks whether the
   * blob holds exactly these bytes (its `Content-MD5`): then the first attempt
   * went through.
   *
   * https://learn.microsoft.com/rest/api/storageservices/put-blob
   */
  async putBlob(
    key: string,
    data: Uint8Array,
    options: BlobWriteOptions & { blobType?: "BlockBlob" | "AppendBlob" } = {},
  ): Promise<void> {
    const md5Header = options.blobType === "AppendBlob" ? {} : this.#md5(data);
    try {
      const res = await this.http.send({
        method: "PUT",
        url: this.url(key),
        headers: {
          "x-ms-blob-type": options.blobType ?? "BlockBlob",
          ...this.#writeHeaders(options),
          ...md5Header,
        },
        body: data,
        signal: options.signal,
        path: this.uri(key),
        op: "write",
      });
      await res.body?.cancel();
    } catch (err) {
      if (err instanceof FileExistsError && options.ifNoneMatch && md5Header["Content-MD5"]) {
        const now = await this.getProperties(key, options.signal);
        if (
          now && !now.isFolder && now.contentMd5 === md5Header["Content-MD5"] &&
          now.size === data.length
        ) return;
      }
      throw err;
    }
  }

  /**
   * Stages one block of a block blob (invisible until the block list commits it).
   *
   * https://learn.microsoft.com/rest/api/storageservices/put-block
   */
  async putBlock(
    key: string,
    blockId: string,
    data: Uint8Array,
    signal?: AbortSignal,
  ): Promise<void> {
    const res = await this.http.send({
      method: "PUT",
      url: this.url(key, queryString({ comp: "block", blockid: blockId })),
      headers: this.#md5(data),
      body: data,
      signal,
      path: this.uri(key),
      op: "write",
    });
    await res.body?.cancel();
  }

  /**
   * Commits staged blocks, in order, as the blob's content. A create-only commit
   * that finds the blob there after a retry checks whether the committed blocks
   * are these (their ids are unique to this upload): then the first attempt went
   * through.
   *
   * https://learn.microsoft.com/rest/api/storageservices/put-block-list
   */
  async putBlockList(
    key: string,
    blockIds: string[],
    options: BlobWriteOptions = {},
  ): Promise<void> {
    const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList>` +
      blockIds.map((id) => `<Latest>${escapeXml(id)}</Latest>`).join("") + `</BlockList>`;
    const body = utf8(xml);
    try {
      const res = await this.http.send({
        method: "PUT",
        url: this.url(key, queryString({ comp: "blocklist" })),
        headers: {
          "Content-Type": "application/xml",
          ...this.#writeHeaders(options),
          ...this.#md5(body),
        },
        body,
        signal: options.signal,
        path: this.uri(key),
        op: "write",
      });
      await res.body?.cancel();
    } catch (err) {
      if (err instanceof FileExistsError && options.ifNoneMatch) {
        const committed = await this.getBlockList(key, options.signal).catch(() => null);
        if (committed && committed.join() === blockIds.join()) return;
      }
      throw err;
    }
  }

  /**
   * The ids of a blob's committed blocks.
   *
   * https://learn.microsoft.com/rest/api/storageservices/get-block-list
   */
  async getBlockList(key: string, signal?: AbortSignal): Promise<string[]> {
    const res = await this.http.send({
      method: "GET",
      url: this.url(key, queryString({ comp: "blocklist", blocklisttype: "committed" })),
      signal,
      path: this.uri(key),
      op: "stat",
    });
    const doc = parseXml(await res.text());
    return (doc.child("CommittedBlocks")?.all("Block") ?? []).map((b) => b.text("Name") ?? "");
  }

  /**
   * Appends one block (at most 4 MiB) to an append blob at `position`, its size
   * now (`x-ms-blob-condition-appendpos`), so that a retried request can never
   * append the same bytes twice.
   *
   * https://learn.microsoft.com/rest/api/storageservices/append-block
   *
   * @returns `"appended"`, or `"moved"` when the blob's size is not `position`
   *   any more (another writer, or a first attempt that went through — the caller
   *   tells them apart)
   */
  async appendBlock(
    key: string,
    data: Uint8Array,
    position: number,
    signal?: AbortSignal,
  ): Promise<"appended" | "moved"> {
    try {
      const res = await this.http.send({
        method: "PUT",
        url: this.url(key, queryString({ comp: "appendblock" })),
        headers: { "x-ms-blob-condition-appendpos": String(position), ...this.#md5(data) },
        body: data,
        signal,
        path: this.uri(key),
        op: "append to",
      });
      await res.body?.cancel();
      return "appended";
    } catch (err) {
      if (err instanceof PreconditionFailedError) return "moved";
      throw err;
    }
  }

  /**
   * Deletes a blob and its snapshots (a missing blob is not an error).
   *
   * https://learn.microsoft.com/rest/api/storageservices/delete-blob
   */
  async deleteBlob(key: string): Promise<void> {
    const res = await this.http.send({
      method: "DELETE",
      url: this.url(key),
      headers: { "x-ms-delete-snapshots": "include" },
      path: this.uri(key),
      op: "remove",
      accept: [404],
    });
    await res.body?.cancel();
  }

  /**
   * Deletes up to 256 blobs in one Blob Batch request (`multipart/mixed`, each
   * sub-request authorized on its own) and returns those that failed; a missing
   * blob is not a failure.
   *
   * https://learn.microsoft.com/rest/api/storageservices/blob-batch
   */
  async batchDelete(keys: string[]): Promise<BatchFailure[]> {
    const boundary = `batch_${crypto.randomUUID()}`;
    const auth = this.settings.auth;
    const bearer = auth.kind === "bearer" ? await auth.tokens.get() : undefined;
    const parts: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      const url = new URL(this.#sasSuffix(this.url(keys[i])));
      const headers = new Headers({ "x-ms-delete-snapshots": "include" });
      if (auth.kind === "sharedKey") {
        await signSharedKey("DELETE", url, headers, 0, auth.accountName, auth.accountKey);
      } else {
        headers.set("x-ms-date", new Date().toUTCString());
        if (bearer) headers.set("authorization", `Bearer ${bearer}`);
      }
      let sub =
        `--${boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n` +
        `Content-ID: ${i}\r\n\r\nDELETE ${url.pathname}${url.search} HTTP/1.1\r\n`;
      headers.forEach((value, name) => (sub += `${name}: ${value}\r\n`));
      parts.push(`${sub}Content-Length: 0\r\n\r\n`);
    }
    const body = utf8(parts.join("") + `--${boundary}--\r\n`);
    const res = await this.http.send({
      method: "POST",
      url: this.url("", queryString({ restype: "container", comp: "batch" })),
      headers: { "Content-Type": `multipart/mixed; boundary=${boundary}` },
      body,
      path: this.uri(keys[0] ?? ""),
      op: "delete",
    });
    const text = await res.text();
    const m = /boundary=("?)([^";]+)\1/i.exec(res.headers.get("content-type") ?? "");
    if (!m) {
      throw new ArtifactStoreError(
        `Cannot delete ${keys.length} blobs in '${
          this.uri("")
        }': the batch response is not multipart`,
        { path: this.uri(""), flavor: FLAVOR, retryable: true },
      );
    }
    const seen = new Set<number>();
    const failures: BatchFailure[] = [];
    for (const part of text.split(`--${m[2]}`)) {
      const id = /^Content-ID:\s*(\d+)/im.exec(part);
      const status = /^HTTP\/1\.[01] (\d{3})/m.exec(part);
      if (!id || !status) continue;
      const i = Number(id[1]);
      const code = /^x-ms-error-code:\s*(\S+)/im.exec(part)?.[1];
      const st = Number(status[1]);
      if (i >= keys.length) continue;
      seen.add(i);
      if (st >= 300 && st !== 404) failures.push({ key: keys[i], status: st, code });
    }
    // A sub-response that is missing is a failure too: try those again on their own.
    for (let i = 0; i < keys.length; i++) {
      if (!seen.has(i)) failures.push({ key: keys[i], status: 500, code: "MissingSubResponse" });
    }
    return failures;
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
    const headers: Record<string, string> = { "x-ms-copy-source": this.#sasSuffix(source) };
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

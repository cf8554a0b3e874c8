/**
 * The GCS JSON API calls the `gcp` flavor makes, one small method per call, each
 * with a link to its reference page. Requests go through the shared
 * {@linkcode HttpClient} (bearer token per attempt, retries, error mapping).
 *
 * Retries follow Google's idempotency rules (`retry_tests.json` of
 * googleapis/conformance-tests): reads, listings and resumable-session chunks and
 * status queries are always retried; uploads, rewrites, compose and move only
 * when they carry `ifGenerationMatch` (or with `retryStrategy: "always"`);
 * deletes always (a repeated delete can only find the object gone, which counts
 * as done — as Google's Python client does).
 *
 * The firebase Storage emulator serves `rewriteTo`, `compose`, `moveTo` and
 * PATCH only without the `/storage/v1` prefix: on a custom endpoint, a 501 for
 * the prefixed form is retried once without it, and the working form remembered.
 *
 * @module
 */

import {
  ArtifactStoreError,
  FileExistsError,
  FileNotFoundError,
  NotSupportedError,
} from "../../src/errors.ts";
import {
  Backoff,
  HttpClient,
  type HttpRequest,
  rangedAnswer,
  rangeHeader,
  type RetryOptions,
} from "../../src/http/mod.ts";
import { emptyBody } from "../../src/streams.ts";
import type { GetResult, ListPage, MultipartUpload, ObjectMeta } from "../../src/object_store.ts";
import { crc32c, crc32cBytes, fromBase64, toBase64 } from "../../src/checksum.ts";
import { CHUNK_GRANULARITY, type GcsRetryStrategy } from "./config.ts";
import type { GcsAuth } from "./credentials.ts";
import { FLAVOR, mapGcsError, parseGcsError } from "./errors.ts";

/** An object as the JSON API describes it. */
export interface GcsObject extends ObjectMeta {
  /** The generation (a decimal string). */
  generation: string;
  /** The metageneration. */
  metageneration?: string;
  /** Base64 big-endian CRC32C of the data. */
  crc32c?: string;
  /** Base64 MD5 of the data (absent for composite objects). */
  md5Hash?: string;
  /** Components of a composite object. */
  componentCount?: number;
}

/** Options of {@linkcode GcsClient}. */
export interface GcsClientOptions {
  /** The bucket. */
  bucket: string;
  /** Endpoint and credentials. */
  auth: GcsAuth;
  /** The `fetch` to use. */
  fetch?: typeof fetch;
  /** Retry settings. */
  retry?: RetryOptions;
  /** Time limit until response headers, ms. */
  timeoutMs?: number;
  /** Which mutations are retried. */
  retryStrategy?: GcsRetryStrategy;
  /** Send and verify CRC32C. */
  checksum?: boolean;
}

const enc = new TextEncoder();

/** A query string from defined values, encoded with `encodeURIComponent` (space as `%20`). */
function qs(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

/** The `crc32c=` value of an `x-goog-hash` header, as a number. */
export function parseGoogHash(header: string | null): number | undefined {
  const m = /(?:^|,)\s*crc32c=([A-Za-z0-9+/=]+)/.exec(header ?? "");
  if (!m) return undefined;
  const b = fromBase64(m[1]);
  return b.length === 4 ? new DataView(b.buffer, b.byteOffset, 4).getUint32(0, false) : undefined;
}

/** The object JSON of the API as a {@linkcode GcsObject}. */
export function parseObject(j: Record<string, unknown>): GcsObject {
  const updated = typeof j.updated === "string" ? new Date(j.updated) : null;
  return {
    key: String(j.name ?? ""),
    size: Number(j.size ?? 0),
    mtime: updated && !Number.isNaN(updated.getTime()) ? updated : null,
    etag: typeof j.etag === "string"
      ? j.etag
      : j.generation !== undefined
      ? String(j.generation)
      : undefined,
    contentType: typeof j.contentType === "string" ? j.contentType : undefined,
    metadata: typeof j.metadata === "object" && j.metadata !== null
      ? Object.fromEntries(Object.entries(j.metadata).map(([k, v]) => [k, String(v)]))
      : undefined,
    generation: String(j.generation ?? ""),
    metageneration: j.metageneration !== undefined ? String(j.metageneration) : undefined,
    crc32c: typeof j.crc32c === "string" ? j.crc32c : undefined,
    md5Hash: typeof j.md5Hash === "string" ? j.md5Hash : undefined,
    componentCount: j.componentCount !== undefined ? Number(j.componentCount) : undefined,
  };
}

function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** One result of a batch delete. */
export interface BatchResult {
  /** The key. */
  key: string;
  /** The sub-response's status. */
  status: number;
  /** Its body (for errors). */
  body: string;
}

/** The REST calls of the GCS JSON API for one bucket. */
export class GcsClient {
  /** The shared HTTP client (bearer token, retries, error mapping). */
  readonly http: HttpClient;
  /** The bucket. */
  readonly bucket: string;
  /** Endpoint and credentials. */
  readonly auth: GcsAuth;
  /** Send and verify CRC32C. */
  readonly checksum: boolean;
  /** Which mutations are retried. */
  readonly retryStrategy: GcsRetryStrategy;
  /** Retry settings (for the resumable-session loop). */
  readonly retry: RetryOptions;
  /** `false` once the batch endpoint answered 404/501 (emulators): deletes go one by one. */
  batchSupported = true;
  /** `false` once objects.move answered 501 (emulators): rename is rewrite + delete. */
  moveSupported = true;
  #altPrefixed = true;

  /** @param options bucket, credentials, fetch, retry settings, strategy, checksum */
  constructor(options: GcsClientOptions) {
    this.bucket = options.bucket;
    this.auth = options.auth;
    this.checksum = options.checksum ?? true;
    this.retryStrategy = options.retryStrategy ?? "conditional";
    this.retry = options.retry ?? {};
    const auth = options.auth;
    this.http = new HttpClient({
      flavor: FLAVOR,
      fetch: options.fetch,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      sign: async (req) => {
        const token = await auth.token();
        if (token) req.headers.set("Authorization", `Bearer ${token}`);
        return req;
      },
      mapError: (res) => {
        if (res.status === 401) auth.invalidate();
        return mapGcsError(res);
      },
    });
  }

  /** The full URI of a key, for messages. */
  uri(key: string): string {
    return `gs://${this.bucket}/${key}`;
  }

  /** `{endpoint}/storage/v1` */
  get api(): string {
    return `${this.auth.endpoint}/storage/v1`;
  }

  /** `{endpoint}/upload/storage/v1` */
  get upload(): string {
    return `${this.auth.endpoint}/upload/storage/v1`;
  }

  #objectPath(key: string): string {
    return `/b/${encodeURIComponent(this.bucket)}/o/${encodeURIComponent(key)}`;
  }

  /** Retry a mutation? Conditional ones always; others per the strategy. */
  #mutationRetry(conditional: boolean): boolean {
    return conditional || this.retryStrategy === "always";
  }

  /**
   * Sends a call of the rewrite/compose/move family, which the firebase emulator
   * serves only without the `/storage/v1` prefix: on a custom endpoint a 501 is
   * retried once without it, and that form is kept if it works.
   */
  async #sendAlt(build: (base: string) => HttpRequest): Promise<Response> {
    const prefixed = `${this.auth.endpoint}/storage/v1`;
    const bare = this.auth.endpoint;
    try {
      return await this.http.send(build(this.#altPrefixed ? prefixed : bare));
    } catch (err) {
      if (!(err instanceof NotSupportedError) || !this.#altPrefixed || !this.auth.customEndpoint) {
        throw err;
      }
      const res = await this.http.send(build(bare));
      this.#altPrefixed = false;
      return res;
    }
  }

  // ------------------------------------------------------------ reads

  /**
   * The object's metadata, or `null` when it does not exist.
   * https://cloud.google.com/storage/docs/json_api/v1/objects/get
   */
  async getMetadata(key: string, signal?: AbortSignal): Promise<GcsObject | null> {
    const res = await this.http.send({
      method: "GET",
      url: `${this.api}${this.#objectPath(key)}`,
      signal,
      path: this.uri(key),
      op: "stat",
      accept: [404],
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    return parseObject(await res.json());
  }

  /**
   * The object's bytes or a range of them (`alt=media`), checking the CRC32C of
   * whole-object reads as the bytes pass. `ifGenerationMatch` pins a resumed read
   * to the generation first read.
   * https://cloud.google.com/storage/docs/json_api/v1/objects/get
   */
  async getMedia(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifGenerationMatch?: string; signal?: AbortSignal } = {},
  ): Promise<GetResult> {
    const start = range?.start ?? 0;
    const end = range?.end;
    const path = this.uri(key);
    const ranged = start > 0 || end !== undefined;
    const headers: Record<string, string> = {};
    if (ranged) headers.Range = rangeHeader(start, end);
    const res = await this.http.send({
      method: "GET",
      url: `${this.api}${this.#objectPath(key)}${
        qs({ alt: "media", ifGenerationMatch: options.ifGenerationMatch })
      }`,
      headers,
      signal: options.signal,
      path,
      op: "read",
      accept: [416],
    });
    const generation = res.headers.get("x-goog-generation") ?? undefined;
    // The firebase emulator ignores an unsatisfiable range and sends the whole object:
    // its stored size tells that nothing is to be read.
    const part = await rangedAnswer(res, range, {
      path,
      flavor: FLAVOR,
      sizeHeader: "x-goog-stored-content-length",
    });
    if (!part) return { body: emptyBody(), length: 0, etag: generation };
    const encoding = (res.headers.get("content-encoding") ?? "").trim();
    const encoded = encoding !== "" && encoding !== "identity";
    const { body, length } = part;
    const result: GetResult = { body, length, etag: generation };
    const storedEncoding = (res.headers.get("x-goog-stored-content-encoding") ?? "").trim();
    const expected = parseGoogHash(res.headers.get("x-goog-hash"));
    if (
      this.checksum && !ranged && res.status === 200 && expected !== undefined && !encoded &&
      (storedEncoding === "" || storedEncoding === "identity")
    ) {
      result.verify = (s) => verifyCrc32c(s, expected, path);
    }
    return result;
  }

  /**
   * One page of a listing.
   * https://cloud.google.com/storage/docs/json_api/v1/objects/list
   */
  async list(
    prefix: string,
    options: { delimiter?: boolean; maxResults?: number; pageToken?: string; signal?: AbortSignal },
  ): Promise<ListPage & { next?: string }> {
    const res = await this.http.send({
      method: "GET",
      url: `${this.api}/b/${encodeURIComponent(this.bucket)}/o${
        qs({
          prefix,
          delimiter: options.delimiter ? "/" : undefined,
          maxResults: options.maxResults,
          pageToken: options.pageToken,
        })
      }`,
      signal: options.signal,
      path: this.uri(prefix),
      op: "list",
    });
    const j = await res.json() as {
      items?: Record<string, unknown>[];
      prefixes?: string[];
      nextPageToken?: string;
    };
    return {
      objects: (j.items ?? []).map(parseObject),
      prefixes: j.prefixes ?? [],
      next: j.nextPageToken || undefined,
    };
  }

  // ------------------------------------------------------------ writes

  /**
   * Writes a whole object in one multipart request (metadata + media), with its
   * CRC32C in the metadata so the service verifies the bytes. `createOnly` sends
   * `ifGenerationMatch=0`.
   * https://cloud.google.com/storage/docs/json_api/v1/objects/insert
   */
  async insert(
    key: string,
    data: Uint8Array,
    options: {
      createOnly?: boolean;
      contentType?: string;
      metadata?: Record<string, string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<GcsObject> {
    const ct = options.contentType || "application/octet-stream";
    const crc = this.checksum ? crc32c(data) : undefined;
    const meta: Record<string, unknown> = { name: key, contentType: ct };
    if (options.metadata && Object.keys(options.metadata).length) meta.metadata = options.metadata;
    if (crc !== undefined) meta.crc32c = toBase64(crc32cBytes(crc));
    const boundary = `stowage-${randomId()}`;
    const head = enc.encode(
      `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${
        JSON.stringify(meta)
      }\r\n` +
        `--${boundary}\r\nContent-Type: ${ct}\r\n\r\n`,
    );
    const tail = enc.encode(`\r\n--${boundary}--\r\n`);
    const body = new Uint8Array(head.length + data.length + tail.length);
    body.set(head, 0);
    body.set(data, head.length);
    body.set(tail, head.length + data.length);
    const res = await this.http.send({
      method: "POST",
      url: `${this.upload}/b/${encodeURIComponent(this.bucket)}/o${
        qs({ uploadType: "multipart", ifGenerationMatch: options.createOnly ? "0" : undefined })
      }`,
      headers: { "Content-Type": `multipart/related; boundary=${boundary}` },
      body,
      signal: options.signal,
      path: this.uri(key),
      op: "write",
      retry: this.#mutationRetry(!!options.createOnly),
    });
    const obj = parseObject(await res.json());
    if (crc !== undefined) await this.checkStored(obj, crc);
    return obj;
  }

  /**
   * Throws when the service stored other bytes than were sent (its CRC32C differs),
   * removing that generation so nothing wrong stays visible.
   */
  async checkStored(obj: GcsObject, crc: number): Promise<void> {
    if (!obj.crc32c) return;
    const got = parseGoogHash(`crc32c=${obj.crc32c}`);
    if (got === undefined || got === crc) return;
    await this.delete(obj.key, { ifGenerationMatch: obj.generation }).catch(() => {});
    throw new ArtifactStoreError(
      `The upload of '${
        this.uri(obj.key)
      }' was corrupted on the way: the service stored CRC32C '${obj.crc32c}', ` +
        `the data has '${toBase64(crc32cBytes(crc))}'; the object was removed, write it again`,
      { path: this.uri(obj.key), flavor: FLAVOR, retryable: true },
    );
  }

  /**
   * Starts a resumable upload session (`ifGenerationMatch=0` for create-only:
   * the precondition is checked when the session finalizes).
   * https://cloud.google.com/storage/docs/performing-resumable-uploads
   */
  async startResumable(
    key: string,
    options: {
      createOnly?: boolean;
      contentType?: string;
      metadata?: Record<string, string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<ResumableUpload> {
    const ct = options.contentType || "application/octet-stream";
    const meta: Record<string, unknown> = { name: key, contentType: ct };
    if (options.metadata && Object.keys(options.metadata).length) meta.metadata = options.metadata;
    const res = await this.http.send({
      method: "POST",
      url: `${this.upload}/b/${encodeURIComponent(this.bucket)}/o${
        qs({ uploadType: "resumable", ifGenerationMatch: options.createOnly ? "0" : undefined })
      }`,
      headers: {
        "Content-Type": "application/json; charset=UTF-8",
        "X-Upload-Content-Type": ct,
      },
      body: JSON.stringify(meta),
      signal: options.signal,
      path: this.uri(key),
      op: "start the upload of",
      // Starting a session changes nothing: always safe to repeat.
      retry: true,
    });
    await res.body?.cancel();
    const location = res.headers.get("location");
    if (!location) {
      throw new ArtifactStoreError(
        `Cannot write '${
          this.uri(key)
        }': the service started no upload session (no Location header)`,
        { path: this.uri(key), flavor: FLAVOR, status: res.status },
      );
    }
    return new ResumableUpload(
      this,
      new URL(location, this.auth.endpoint).href,
      key,
      !!options.createOnly,
    );
  }

  /**
   * Deletes an object; a missing one is not an error.
   * https://cloud.google.com/storage/docs/json_api/v1/objects/delete
   */
  async delete(
    key: string,
    options: { ifGenerationMatch?: string; signal?: AbortSignal } = {},
  ): Promise<void> {
    const res = await this.http.send({
      method: "DELETE",
      url: `${this.api}${this.#objectPath(key)}${
        qs({ ifGenerationMatch: options.ifGenerationMatch })
      }`,
      signal: options.signal,
      path: this.uri(key),
      op: "delete",
      accept: [404],
    });
    await res.body?.cancel();
  }

  /**
   * Deletes up to 100 objects in one batch request; `null` when the service has
   * no batch endpoint (404/501: the firebase emulator), so the caller deletes one
   * by one.
   * https://cloud.google.com/storage/docs/batch
   */
  async deleteBatch(keys: string[], signal?: AbortSignal): Promise<BatchResult[] | null> {
    const boundary = `batch_stowage_${randomId()}`;
    const b = encodeURIComponent(this.bucket);
    let body = "";
    keys.forEach((k, i) => {
      body +=
        `--${boundary}\r\nContent-Type: application/http\r\nContent-ID: <item${i + 1}>\r\n\r\n` +
        `DELETE /storage/v1/b/${b}/o/${encodeURIComponent(k)} HTTP/1.1\r\n\r\n\r\n`;
    });
    body += `--${boundary}--\r\n`;
    let res: Response;
    try {
      res = await this.http.send({
        method: "POST",
        url: `${this.auth.endpoint}/batch/storage/v1`,
        headers: { "Content-Type": `multipart/mixed; boundary=${boundary}` },
        body,
        signal,
        path: this.uri(keys[0] ?? ""),
        op: `delete ${keys.length} objects, the first`,
      });
    } catch (err) {
      if (err instanceof NotSupportedError || err instanceof FileNotFoundError) {
        this.batchSupported = false;
        return null;
      }
      throw err;
    }
    const ct = res.headers.get("content-type") ?? "";
    const text = await res.text();
    const bm = /boundary="?([^";]+)"?/i.exec(ct);
    if (!bm) {
      throw new ArtifactStoreError(
        `Cannot delete ${keys.length} objects below '${
          this.uri("")
        }': the batch answer is not multipart ('${ct}')`,
        { flavor: FLAVOR, retryable: true },
      );
    }
    return parseBatchResponse(text, bm[1], keys);
  }

  /**
   * Copies an object server side, looping on `rewriteToken` until done;
   * `createOnly` sends `ifGenerationMatch=0`.
   * https://cloud.google.com/storage/docs/json_api/v1/objects/rewrite
   */
  async rewrite(
    src: string,
    dst: string,
    options: { createOnly?: boolean; maxBytesRewrittenPerCall?: number; signal?: AbortSignal } = {},
  ): Promise<GcsObject> {
    let token: string | undefined;
    for (let call = 0; call < 100_000; call++) {
      const query = qs({
        ifGenerationMatch: options.createOnly ? "0" : undefined,
        rewriteToken: token,
        maxBytesRewrittenPerCall: options.maxBytesRewrittenPerCall,
      });
      const res = await this.#sendAlt((base) => ({
        method: "POST",
        url: `${base}${this.#objectPath(src)}/rewriteTo${this.#objectPath(dst)}${query}`,
        headers: { "Content-Type": "application/json" },
        body: "{}",
        signal: options.signal,
        path: this.uri(dst),
        op: `copy '${this.uri(src)}' to`,
        retry: this.#mutationRetry(!!options.createOnly),
      }));
      const j = await res.json() as {
        done?: boolean;
        rewriteToken?: string;
        resource?: Record<string, unknown>;
      };
      if (j.done) return parseObject(j.resource ?? {});
      if (!j.rewriteToken) {
        throw new ArtifactStoreError(
          `Cannot copy '${this.uri(src)}' to '${
            this.uri(dst)
          }': the rewrite is not done and gave no token`,
          { path: this.uri(dst), flavor: FLAVOR },
        );
      }
      token = j.rewriteToken;
    }
    throw new ArtifactStoreError(`Cannot copy '${this.uri(src)}': the rewrite did not finish`, {
      path: this.uri(dst),
      flavor: FLAVOR,
    });
  }

  /**
   * Concatenates objects into `dst` (at most 32 sources), pinned to the
   * destination's generation with `ifGenerationMatch`.
   * https://cloud.google.com/storage/docs/json_api/v1/objects/compose
   */
  async compose(
    dst: string,
    sources: { name: string; generation?: string }[],
    options: {
      ifGenerationMatch?: string;
      contentType?: string;
      metadata?: Record<string, string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<GcsObject> {
    const destination: Record<string, unknown> = {};
    if (options.contentType) destination.contentType = options.contentType;
    if (options.metadata) destination.metadata = options.metadata;
    const body = JSON.stringify({
      sourceObjects: sources.map((
        s,
      ) => (s.generation ? { name: s.name, generation: s.generation } : { name: s.name })),
      destination,
    });
    const res = await this.#sendAlt((base) => ({
      method: "POST",
      url: `${base}${this.#objectPath(dst)}/compose${
        qs({ ifGenerationMatch: options.ifGenerationMatch })
      }`,
      headers: { "Content-Type": "application/json" },
      body,
      signal: options.signal,
      path: this.uri(dst),
      op: "append to",
      retry: this.#mutationRetry(options.ifGenerationMatch !== undefined),
    }));
    return parseObject(await res.json());
  }

  /**
   * Renames an object atomically; `null` when the service has no objects.move
   * (501, or a 404 that is not the API's: emulators).
   * https://cloud.google.com/storage/docs/json_api/v1/objects/move
   */
  async move(
    src: string,
    dst: string,
    options: { createOnly?: boolean; ifSourceGenerationMatch?: string; signal?: AbortSignal } = {},
  ): Promise<GcsObject | null> {
    const query = qs({
      ifGenerationMatch: options.createOnly ? "0" : undefined,
      ifSourceGenerationMatch: options.ifSourceGenerationMatch,
    });
    const bases = this.auth.customEndpoint
      ? [`${this.auth.endpoint}/storage/v1`, this.auth.endpoint]
      : [`${this.auth.endpoint}/storage/v1`];
    for (const base of bases) {
      const res = await this.http.send({
        method: "POST",
        url: `${base}${this.#objectPath(src)}/moveTo/o/${encodeURIComponent(dst)}${query}`,
        signal: options.signal,
        path: this.uri(dst),
        op: `rename '${this.uri(src)}' to`,
        accept: [400, 404, 501],
        retry: this.#mutationRetry(!!options.createOnly || !!options.ifSourceGenerationMatch),
      });
      if (res.ok) return parseObject(await res.json());
      const text = await res.text();
      const e = parseGcsError(text);
      if (res.status === 404 && e.json) throw this.#notFound(src, "rename");
      if (
        res.status === 400 &&
        !/not (?:supported|enabled|allowed)|hierarchical/i.test(e.message ?? "")
      ) {
        throw mapGcsError({
          status: 400,
          headers: res.headers,
          body: text,
          request: {
            method: "POST",
            url: "",
            path: this.uri(dst),
            op: `rename '${this.uri(src)}' to`,
          },
        });
      }
    }
    this.moveSupported = false;
    return null;
  }

  #notFound(key: string, what: string): FileNotFoundError {
    return new FileNotFoundError(`Cannot ${what} '${this.uri(key)}': no such object`, {
      path: this.uri(key),
      flavor: FLAVOR,
      status: 404,
    });
  }
}

/** Splits a `multipart/mixed` batch answer into per-key statuses. */
export function parseBatchResponse(text: string, boundary: string, keys: string[]): BatchResult[] {
  const results: BatchResult[] = [];
  const parts = text.split(`--${boundary}`).slice(1);
  let order = 0;
  for (const part of parts) {
    if (part.startsWith("--")) break;
    const idm = /Content-ID:\s*<response-item(\d+)>/i.exec(part);
    const sm = /HTTP\/[\d.]+\s+(\d{3})/.exec(part);
    if (!sm) continue;
    const index = idm ? Number(idm[1]) - 1 : order;
    order++;
    const key = keys[index];
    if (key === undefined) continue;
    const bodyStart = part.indexOf("\r\n\r\n", sm.index);
    results.push({
      key,
      status: Number(sm[1]),
      body: bodyStart >= 0 ? part.slice(bodyStart + 4).trim() : "",
    });
  }
  // Keys the answer did not mention failed without a word: retry them.
  const seen = new Set(results.map((r) => r.key));
  for (const k of keys) if (!seen.has(k)) results.push({ key: k, status: 503, body: "" });
  return results;
}

/** A stream that passes the bytes through and errors at the end when their CRC32C is not `expected`. */
function verifyCrc32c(
  body: ReadableStream<Uint8Array>,
  expected: number,
  path: string,
): ReadableStream<Uint8Array> {
  let crc = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        crc = crc32c(chunk, crc);
        controller.enqueue(chunk);
      },
      flush() {
        if (crc !== expected) {
          throw new ArtifactStoreError(
            `The download of '${path}' is corrupt: its CRC32C is '${
              toBase64(crc32cBytes(crc))
            }', ` +
              `the service says '${toBase64(crc32cBytes(expected))}'; read it again`,
            { path, flavor: FLAVOR, retryable: true },
          );
        }
      },
    }),
  );
}

/** `Range: bytes=0-N` of a 308 answer → bytes persisted (N + 1); none → 0. */
function persistedBytes(range: string | null): number {
  const m = /bytes=0-(\d+)/.exec(range ?? "");
  return m ? Number(m[1]) + 1 : 0;
}

/**
 * A resumable upload session as a {@linkcode MultipartUpload}: chunks are sent
 * one at a time, in order (`sequential`), each a multiple of 256 KiB; the last,
 * shorter chunk is held until `complete`, which sends it with the total size (or,
 * when the data ends on a chunk boundary, an empty request declaring the total) to
 * finalize. After a failed chunk the session is asked how much it has (an empty
 * PUT whose `Content-Range` has `*` for both range and total → 308 + `Range`) and
 * the rest is sent from there. `abort` cancels the session (DELETE).
 */
export class ResumableUpload implements MultipartUpload {
  /** Chunks go one at a time, in order. */
  readonly sequential = true;
  readonly #client: GcsClient;
  readonly #url: string;
  readonly #key: string;
  readonly #createOnly: boolean;
  #offset = 0;
  #crc = 0;
  #held: Uint8Array | null = null;
  #finished = false;

  /**
   * @param client the client
   * @param url the session URL
   * @param key the object key
   * @param createOnly whether the session carries `ifGenerationMatch=0`
   */
  constructor(client: GcsClient, url: string, key: string, createOnly: boolean) {
    this.#client = client;
    this.#url = url;
    this.#key = key;
    this.#createOnly = createOnly;
  }

  /** The session URL. */
  get url(): string {
    return this.#url;
  }

  /** Bytes the service has confirmed. */
  get persisted(): number {
    return this.#offset;
  }

  /** Sends one chunk (a multiple of 256 KiB), or holds a shorter last one for `complete`. */
  async uploadPart(n: number, data: Uint8Array, signal?: AbortSignal): Promise<string> {
    if (this.#held) {
      throw new ArtifactStoreError(
        `Cannot write '${this.#client.uri(this.#key)}': a chunk followed the short last chunk`,
        { path: this.#client.uri(this.#key), flavor: FLAVOR },
      );
    }
    this.#crc = crc32c(data, this.#crc);
    if (data.length % CHUNK_GRANULARITY !== 0) {
      this.#held = data;
      return String(n);
    }
    await this.#send(data, false, signal);
    return String(n);
  }

  /** Sends the last chunk with the total size, finalizing the object. */
  async complete(_receipts: string[], signal?: AbortSignal): Promise<void> {
    const last = this.#held ?? new Uint8Array(0);
    this.#held = null;
    const obj = await this.#send(last, true, signal);
    if (obj && this.#client.checksum) await this.#client.checkStored(obj, this.#crc);
  }

  /** Cancels the session (DELETE → 499); never throws. */
  async abort(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    try {
      const res = await this.#client.http.send({
        method: "DELETE",
        url: this.#url,
        path: this.#client.uri(this.#key),
        op: "cancel the upload of",
        accept: [404, 410, 499],
        retry: true,
      });
      await res.body?.cancel();
    } catch {
      // Sessions expire on their own after a week; nothing was committed.
    }
  }

  #error(msg: string, retryable = false, cause?: unknown): ArtifactStoreError {
    return new ArtifactStoreError(msg, {
      path: this.#client.uri(this.#key),
      flavor: FLAVOR,
      retryable,
      cause,
    });
  }

  /** Turns a failure of the session into the error the caller should see. */
  #explain(err: unknown): unknown {
    if (!(err instanceof ArtifactStoreError)) return err;
    const uri = this.#client.uri(this.#key);
    if (err.status === 412 && this.#createOnly) {
      return new FileExistsError(`File '${uri}' already exists: open it with 'w' to overwrite`, {
        path: uri,
        flavor: FLAVOR,
        status: 412,
        cause: err,
      });
    }
    if (err.status === 404 || err.status === 410) {
      return this.#error(
        `The upload session of '${uri}' expired or was cancelled (HTTP ${err.status}): write the file again`,
        false,
        err,
      );
    }
    return err;
  }

  #advance(persisted: number, start: number, length: number): void {
    if (persisted < start || persisted > start + length) {
      throw this.#error(
        `The upload session of '${
          this.#client.uri(this.#key)
        }' reports ${persisted} bytes stored where ` +
          `${start} to ${start + length} were expected: write the file again`,
      );
    }
    this.#offset = persisted;
  }

  async #query(total: number | undefined, signal?: AbortSignal): Promise<Response> {
    return await this.#client.http.send({
      method: "PUT",
      url: this.#url,
      headers: { "Content-Range": `bytes */${total ?? "*"}` },
      body: new Uint8Array(0),
      signal,
      path: this.#client.uri(this.#key),
      op: "ask the upload session about",
      accept: [308],
      retry: true,
    });
  }

  async #finish(res: Response, final: boolean): Promise<GcsObject> {
    const obj = parseObject(await res.json());
    this.#finished = true;
    if (!final) {
      // The service committed the object before the last chunk (the firebase
      // emulator does this): remove the partial object and say so.
      await this.#client.delete(obj.key || this.#key, { ifGenerationMatch: obj.generation }).catch(
        () => {},
      );
      throw new NotSupportedError(
        `Cannot write '${
          this.#client.uri(this.#key)
        }' in chunks: the service finalized the resumable upload ` +
          "after its first chunk (an emulator without multi-chunk sessions?); set 'partSize' larger than the file",
        { path: this.#client.uri(this.#key), flavor: FLAVOR },
      );
    }
    return obj;
  }

  /** Sends `data` (from the current offset), resuming after failures; returns the object when final. */
  async #send(
    data: Uint8Array,
    final: boolean,
    signal?: AbortSignal,
  ): Promise<GcsObject | undefined> {
    const client = this.#client;
    const start = this.#offset;
    const total = final ? start + data.length : undefined;
    const backoff = new Backoff(client.retry);
    const maxRetries = client.retry.maxRetries ?? 10;
    let partial = 0;
    const headers = (rest: number): Record<string, string> => {
      const h: Record<string, string> = {
        "Content-Range": rest === 0
          ? `bytes */${total ?? "*"}`
          : `bytes ${this.#offset}-${this.#offset + rest - 1}/${total ?? "*"}`,
      };
      if (final && client.checksum) h["X-Goog-Hash"] = `crc32c=${toBase64(crc32cBytes(this.#crc))}`;
      return h;
    };
    for (;;) {
      const rest = data.subarray(this.#offset - start);
      let res: Response | undefined;
      let failure: unknown;
      try {
        res = await client.http.send({
          method: "PUT",
          url: this.#url,
          headers: headers(rest.length),
          body: rest,
          signal,
          path: client.uri(this.#key),
          op: "write",
          accept: [308],
          // Failures are resumed below, from what the session says it has.
          retry: false,
        });
      } catch (err) {
        failure = err;
      }
      if (res) {
        if (res.status !== 308) return await this.#finish(res, final);
        await res.body?.cancel();
        this.#advance(persistedBytes(res.headers.get("range")), start, data.length);
        if (!final && this.#offset === start + data.length) return undefined;
        // Part of the chunk was not kept (or, on the last chunk, not yet all):
        // send the rest.
        if (++partial > maxRetries) {
          throw this.#error(
            `The upload session of '${client.uri(this.#key)}' keeps refusing bytes: write again`,
          );
        }
        continue;
      }
      if (signal?.aborted) throw signal.reason;
      const retryable = failure instanceof ArtifactStoreError && failure.retryable;
      if (!retryable || !await backoff.wait(signal)) throw this.#explain(failure);
      let status: Response;
      try {
        status = await this.#query(total, signal);
      } catch (err) {
        throw this.#explain(err);
      }
      if (status.status !== 308) return await this.#finish(status, final);
      await status.body?.cancel();
      this.#advance(persistedBytes(status.headers.get("range")), start, data.length);
      if (!final && this.#offset === start + data.length) return undefined;
    }
  }
}

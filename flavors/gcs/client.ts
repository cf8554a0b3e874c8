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

import { ArtifactStoreError, NotSupportedError } from "../../src/errors.ts";
import {
  Backoff,
  HttpClient,
  type HttpRequest,
  rangedAnswer,
  rangeRequestHeaders,
  type RetryOptions,
} from "../../src/http/mod.ts";
import { emptyBody } from "../../src/streams.ts";
import type { GetResult, ListPage } from "../../src/object_types.ts";
import { crc32c, crc32cBytes, toBase64 } from "../../src/checksum.ts";
import { hasher, verifyDigest } from "../../src/digest.ts";
import type { GcsRetryStrategy } from "./config.ts";
import type { GcsAuth } from "./credentials.ts";
import { FLAVOR, mapGcsError } from "./errors.ts";
import { type BatchResult, deleteBatch } from "./batch.ts";
import {
  compose,
  type ComposeOptions,
  move,
  type MoveOptions,
  rewrite,
  type RewriteOptions,
} from "./copy.ts";
import {
  type GcsObject,
  type GcsWriteOptions,
  objectResource,
  parseGoogHash,
  parseObject,
  qs,
} from "./objects.ts";
import { type ResumableUpload, startResumable } from "./resumable.ts";

export type { BatchResult } from "./batch.ts";
export type { GcsObject, GcsWriteOptions } from "./objects.ts";
export type { ResumableUpload } from "./resumable.ts";

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
  /** The longest wait for the next bytes of an answer, ms. */
  idleTimeoutMs?: number;
  /** Which mutations are retried. */
  retryStrategy?: GcsRetryStrategy;
  /** Send and verify CRC32C. */
  checksum?: boolean;
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
      idleTimeoutMs: options.idleTimeoutMs,
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

  /**
   * The path of an object below the API root.
   *
   * @param key the object key
   * @returns `/b/{bucket}/o/{key}`, encoded
   */
  objectPath(key: string): string {
    return `/b/${encodeURIComponent(this.bucket)}/o/${encodeURIComponent(key)}`;
  }

  /**
   * Retry a mutation? Conditional ones always; others per the strategy.
   *
   * @param conditional whether the mutation carries a generation precondition
   * @returns whether to retry it
   */
  mutationRetry(conditional: boolean): boolean {
    return conditional || this.retryStrategy === "always";
  }

  /**
   * Sends a call of the rewrite/compose/move family, which the firebase emulator
   * serves only without the `/storage/v1` prefix: on a custom endpoint a 501 is
   * retried once without it, and that form is kept if it works.
   *
   * @param build the request for an API root
   * @param read parses the answer's JSON (read whole as part of the attempt)
   * @returns what `read` returns
   */
  async sendAlt<T>(build: (base: string) => HttpRequest, read: (json: unknown) => T): Promise<T> {
    const prefixed = `${this.auth.endpoint}/storage/v1`;
    const bare = this.auth.endpoint;
    const send = (req: HttpRequest) => this.http.sendAndRead(req, (text) => read(JSON.parse(text)));
    try {
      return await send(build(this.#altPrefixed ? prefixed : bare));
    } catch (err) {
      if (!(err instanceof NotSupportedError) || !this.#altPrefixed || !this.auth.customEndpoint) {
        throw err;
      }
      const out = await send(build(bare));
      this.#altPrefixed = false;
      return out;
    }
  }

  // ------------------------------------------------------------ reads

  /**
   * The object's metadata, or `null` when it does not exist.
   * https://cloud.google.com/storage/docs/json_api/v1/objects/get
   */
  async getMetadata(key: string, signal?: AbortSignal): Promise<GcsObject | null> {
    return await this.http.sendAndRead({
      method: "GET",
      url: `${this.api}${this.objectPath(key)}`,
      signal,
      path: this.uri(key),
      op: "stat",
      accept: [404],
    }, (text, res) => res.status === 404 ? null : parseObject(JSON.parse(text)));
  }

  /**
   * The object's bytes or a range of them (`alt=media`), with the CRC32C check of
   * the whole object on every answer from byte 0 (`verify`). `ifGenerationMatch` pins a resumed read
   * to the generation first read.
   * https://cloud.google.com/storage/docs/json_api/v1/objects/get
   */
  async getMedia(
    key: string,
    range: { start: number; end?: number } | undefined,
    options: { ifGenerationMatch?: string; signal?: AbortSignal } = {},
  ): Promise<GetResult> {
    const start = range?.start ?? 0;
    const path = this.uri(key);
    const headers = rangeRequestHeaders(range);
    const res = await this.http.send({
      method: "GET",
      url: `${this.api}${this.objectPath(key)}${
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
    const { body, length, size } = part;
    const result: GetResult = { body, length, size, etag: generation };
    const storedEncoding = (res.headers.get("x-goog-stored-content-encoding") ?? "").trim();
    const expected = parseGoogHash(res.headers.get("x-goog-hash"));
    // x-goog-hash is the whole object's, on ranged answers too: offered on any answer
    // from byte 0, for openRead to apply to a read of the whole object.
    if (
      this.checksum && start === 0 && (res.status === 200 || res.status === 206) &&
      expected !== undefined && !encoded && (storedEncoding === "" || storedEncoding === "identity")
    ) {
      const crc = await hasher("crc32c");
      const want = toBase64(crc32cBytes(expected));
      result.verify = (s) => verifyDigest(s, crc, want, { path, flavor: FLAVOR });
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
    const j = await this.http.sendAndRead({
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
    }, (text) =>
      JSON.parse(text) as {
        items?: Record<string, unknown>[];
        prefixes?: string[];
        nextPageToken?: string;
      });
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
  insert(
    key: string,
    data: Uint8Array,
    options: GcsWriteOptions = {},
  ): Promise<GcsObject> {
    if (options.createOnly || this.retryStrategy === "always") {
      return this.#insert(key, data, options, options.createOnly ? "0" : undefined);
    }
    const crc = toBase64(crc32cBytes(crc32c(data)));
    return this.verifiedRetry(
      key,
      (pin) => this.#insert(key, data, options, pin),
      (o) => o.crc32c === crc && o.size === data.length,
      options.signal,
    );
  }

  async #insert(
    key: string,
    data: Uint8Array,
    options: GcsWriteOptions,
    ifGenerationMatch: string | undefined,
  ): Promise<GcsObject> {
    const { contentType: ct, resource: meta } = objectResource(key, options);
    const crc = this.checksum ? crc32c(data) : undefined;
    if (crc !== undefined) meta.crc32c = toBase64(crc32cBytes(crc));
    const boundary = `stowage-${crypto.randomUUID()}`;
    const enc = new TextEncoder();
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
    const obj = await this.http.sendAndRead({
      method: "POST",
      url: `${this.upload}/b/${encodeURIComponent(this.bucket)}/o${
        qs({ uploadType: "multipart", ifGenerationMatch })
      }`,
      headers: { "Content-Type": `multipart/related; boundary=${boundary}` },
      body,
      signal: options.signal,
      path: this.uri(key),
      op: "write",
      retry: this.mutationRetry(ifGenerationMatch !== undefined),
    }, (text) => parseObject(JSON.parse(text)));
    if (crc !== undefined) await this.checkStored(obj, crc);
    return obj;
  }

  /**
   * Runs an unconditional write of `key` (an overwrite, a copy onto it) under the
   * `"conditional"` strategy, where a write that does not name a generation is
   * never repeated blindly: the first attempt goes once; when it fails in a way
   * that may pass (a 429, 5xx, a lost or broken answer), the object as it stands
   * now decides. If it already holds what the call writes (`isOurs`), the first
   * attempt went through and its answer was lost: done. Otherwise the write is
   * sent again pinned to the generation just seen (`ifGenerationMatch`, `0` for
   * none), which makes it safe to retry: it can never replace an object written
   * after that look. A pinned attempt refused with 412 looks again, within the
   * retry policy.
   *
   * @param key the object the call writes
   * @param send one attempt, pinned to a generation or not
   * @param isOurs whether an object is what the call writes
   * @param signal cancels the call
   * @returns the written object
   */
  async verifiedRetry(
    key: string,
    send: (ifGenerationMatch: string | undefined) => Promise<GcsObject>,
    isOurs: (o: GcsObject) => boolean | Promise<boolean>,
    signal?: AbortSignal,
  ): Promise<GcsObject> {
    const backoff = new Backoff(this.retry);
    let pin: string | undefined;
    for (;;) {
      try {
        return await send(pin);
      } catch (err) {
        if (signal?.aborted || !(err instanceof ArtifactStoreError)) throw err;
        const moved = pin !== undefined && err.status === 412;
        if (!err.retryable && !moved) throw err;
        const now = await this.getMetadata(key, signal);
        if (now && await isOurs(now)) return now;
        if (!await backoff.wait(signal)) throw err;
        pin = now?.generation ?? "0";
      }
    }
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
   * Starts a resumable upload session (see {@linkcode startResumable}).
   *
   * @param key the object key
   * @param options create-only, content type, metadata, signal
   * @returns the session
   */
  startResumable(key: string, options: GcsWriteOptions = {}): Promise<ResumableUpload> {
    return startResumable(this, key, options);
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
      url: `${this.api}${this.objectPath(key)}${
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
   * Deletes up to 100 objects in one batch request (see {@linkcode deleteBatch});
   * `null` when the service has no batch endpoint.
   *
   * @param keys the keys
   * @param signal cancels the request
   * @returns one result a key, or `null`
   */
  deleteBatch(keys: string[], signal?: AbortSignal): Promise<BatchResult[] | null> {
    return deleteBatch(this, keys, signal);
  }

  /**
   * Copies an object server side (see {@linkcode rewrite}).
   *
   * @param src the source key
   * @param dst the destination key
   * @param options create-only, bytes per call, signal
   * @returns the new object
   */
  rewrite(
    src: string,
    dst: string,
    options: RewriteOptions = {},
  ): Promise<GcsObject> {
    if (options.createOnly || this.retryStrategy === "always") {
      return rewrite(this, src, dst, options);
    }
    // The source's checksum tells a finished copy from another object (asked only then).
    let source: Promise<GcsObject | null> | undefined;
    return this.verifiedRetry(
      dst,
      (pin) => rewrite(this, src, dst, { ...options, ifGenerationMatch: pin }),
      async (o) => {
        const s = await (source ??= this.getMetadata(src, options.signal));
        return !!s?.crc32c && o.crc32c === s.crc32c && o.size === s.size;
      },
      options.signal,
    );
  }

  /**
   * Concatenates objects into `dst` (see {@linkcode compose}).
   *
   * @param dst the destination key
   * @param sources the source objects, in order
   * @param options the destination's generation, content type, metadata, signal
   * @returns the composed object
   */
  compose(
    dst: string,
    sources: { name: string; generation?: string }[],
    options: ComposeOptions = {},
  ): Promise<GcsObject> {
    return compose(this, dst, sources, options);
  }

  /**
   * Renames an object atomically; `null` when the service has no objects.move
   * (see {@linkcode move}).
   *
   * @param src the source key
   * @param dst the destination key
   * @param options create-only, the source's generation, signal
   * @returns the moved object, or `null`
   */
  move(
    src: string,
    dst: string,
    options: MoveOptions = {},
  ): Promise<GcsObject | null> {
    return move(this, src, dst, options);
  }
}

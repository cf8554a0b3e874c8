/**
 * The HTTP client every cloud flavor shares: injectable `fetch`, a per-attempt
 * timeout and `AbortSignal`, retries with decorrelated-jitter backoff on 408, 429,
 * 5xx, retryable service codes and network errors — only for bodies that can be
 * sent again (bytes or text, never a consumed stream) — re-signing every attempt,
 * one error mapper per flavor, paginated listing, and downloads that resume
 * where a connection broke.
 *
 * @example
 * ```ts
 * import { HttpClient } from "./http.ts";
 * import { ArtifactStoreError } from "./errors.ts";
 *
 * const client = new HttpClient({
 *   flavor: "demo",
 *   fetch: () => Promise.resolve(new Response("ok")),
 *   mapError: (e) => new ArtifactStoreError(`HTTP ${e.status}`, { status: e.status }),
 * });
 * const res = await client.send({ method: "GET", url: "http://127.0.0.1/x" });
 * console.assert((await res.text()) === "ok");
 * ```
 *
 * @module
 */

import {
  ArtifactStoreError,
  AuthenticationError,
  FileExistsError,
  FileNotFoundError,
  InvalidArgumentError,
  NotSupportedError,
  PermissionDeniedError,
  PreconditionFailedError,
} from "./errors.ts";

/** Retry settings (defaults as object_store: 100 ms → 15 s, 10 tries, 3 min). */
export interface RetryOptions {
  /** Attempts after the first (default 10). */
  maxRetries?: number;
  /** First backoff in ms (default 100). */
  initialBackoffMs?: number;
  /** Largest backoff in ms (default 15 000). */
  maxBackoffMs?: number;
  /** No retry starts after this many ms from the first attempt (default 180 000). */
  totalTimeoutMs?: number;
}

/** A request before signing. Bodies are bytes or text so they can be sent again. */
export interface HttpRequest {
  /** The method. */
  method: string;
  /** The full URL. */
  url: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** The body: bytes or text (replayable). */
  body?: Uint8Array | string;
  /** Cancels the request (and its retries). */
  signal?: AbortSignal;
  /** The store path concerned, for error messages. */
  path?: string;
  /** A short verb for error messages (`"read"`, `"list"`). */
  op?: string;
  /** Statuses that count as success besides 2xx (e.g. 304, 416). */
  accept?: readonly number[];
  /** Set false for requests that must not be repeated (non-idempotent). */
  retry?: boolean;
}

/** A request as the signer sees it; the signer returns it with auth applied. */
export interface PreparedRequest {
  /** The method. */
  method: string;
  /** The URL (a signer may add query parameters). */
  url: string;
  /** Mutable headers. */
  headers: Headers;
  /** The body. */
  body?: Uint8Array | string;
}

/** A failed response as the error mapper sees it. */
export interface ErrorResponse {
  /** The HTTP status (0 for a network error). */
  status: number;
  /** The response headers. */
  headers: Headers;
  /** Up to 64 KiB of the response body, as text. */
  body: string;
  /** The request. */
  request: HttpRequest;
}

/** Options for {@linkcode HttpClient}. */
export interface HttpClientOptions {
  /** The flavor, for errors. */
  flavor: string;
  /** The `fetch` to use (tests inject faults; workers pass their own). */
  fetch?: typeof fetch;
  /** Applies authentication to each attempt (re-signing on retries). */
  sign?: (req: PreparedRequest) => Promise<PreparedRequest> | PreparedRequest;
  /** Turns a failed response into a typed error; `retryable` on it allows a retry. */
  mapError: (res: ErrorResponse) => ArtifactStoreError;
  /** Time limit for one attempt until response headers arrive, ms (default 60 000). */
  timeoutMs?: number;
  /** Retry settings. */
  retry?: RetryOptions;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Tells whether an HTTP status is worth retrying (408, 429, 500, 502, 503, 504).
 *
 * @param status the status
 * @returns true when a retry may succeed
 *
 * @example
 * ```ts
 * import { isRetryableStatus } from "./http.ts";
 * console.assert(isRetryableStatus(503) && !isRetryableStatus(404));
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The shared HTTP client of the cloud flavors.
 */
export class HttpClient {
  /** The options it was made with. */
  readonly options: HttpClientOptions;
  #fetch: typeof fetch;

  /** @param options flavor, fetch, signer, error mapper, timeout and retry settings */
  constructor(options: HttpClientOptions) {
    this.options = options;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /**
   * Sends a request, retrying what can be retried, and returns a successful
   * response (2xx or an accepted status) whose body the caller must consume or
   * cancel. Failures throw the flavor's typed error.
   *
   * @param req the request
   * @returns the response
   */
  async send(req: HttpRequest): Promise<Response> {
    const retry = this.options.retry ?? {};
    const maxRetries = req.retry === false ? 0 : retry.maxRetries ?? 10;
    const base = retry.initialBackoffMs ?? 100;
    const cap = retry.maxBackoffMs ?? 15_000;
    const deadline = Date.now() + (retry.totalTimeoutMs ?? 180_000);
    let backoff = base;
    for (let attempt = 0;; attempt++) {
      req.signal?.throwIfAborted();
      let error: ArtifactStoreError;
      let retryAfterMs: number | undefined;
      try {
        const res = await this.#attempt(req);
        if (res.ok || req.accept?.includes(res.status)) return res;
        const body = await readLimited(res, 64 * 1024);
        error = this.options.mapError({
          status: res.status,
          headers: res.headers,
          body,
          request: req,
        });
        retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason;
        if (err instanceof ArtifactStoreError) throw err;
        error = new ArtifactStoreError(
          `Network error during ${req.op ?? req.method} of '${req.path ?? redact(req.url)}': ${
            (err as Error)?.message ?? err
          }`,
          {
            path: req.path,
            flavor: this.options.flavor,
            retryable: true,
            cause: err,
          },
        );
      }
      if (!error.retryable || attempt >= maxRetries || Date.now() >= deadline) {
        throw error;
      }
      backoff = Math.min(cap, base + Math.random() * (backoff * 3 - base));
      await sleep(
        Math.min(cap, Math.max(backoff, retryAfterMs ?? 0)),
        req.signal,
      );
    }
  }

  async #attempt(req: HttpRequest): Promise<Response> {
    let prepared: PreparedRequest = {
      method: req.method,
      url: req.url,
      headers: new Headers(req.headers),
      body: req.body,
    };
    if (this.options.sign) prepared = await this.options.sign(prepared);
    // The timeout covers waiting for the response headers only; the caller's signal
    // stays attached so that it can still cancel the body afterwards.
    const ac = new AbortController();
    const outer = req.signal;
    if (outer) {
      if (outer.aborted) ac.abort(outer.reason);
      else {outer.addEventListener("abort", () => ac.abort(outer.reason), {
          once: true,
        });}
    }
    const ms = this.options.timeoutMs ?? 60_000;
    const timer = setTimeout(
      () =>
        ac.abort(
          new DOMException(`no response within ${ms} ms`, "TimeoutError"),
        ),
      ms,
    );
    try {
      return await this.#fetch(prepared.url, {
        method: prepared.method,
        headers: prepared.headers,
        body: prepared.body as BodyInit | undefined,
        signal: ac.signal,
        redirect: "follow",
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Removes query strings (which may hold signatures) from a URL for messages. */
function redact(url: string): string {
  const i = url.indexOf("?");
  return i < 0 ? url : url.slice(0, i);
}

function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const when = Date.parse(v);
  return Number.isFinite(when) ? Math.max(0, when - Date.now()) : undefined;
}

/**
 * Reads at most `limit` bytes of a response body as text and cancels the rest.
 *
 * @param res the response
 * @param limit the most bytes to read
 * @returns the text
 *
 * @example
 * ```ts
 * import { readLimited } from "./http.ts";
 * console.assert((await readLimited(new Response("abcdef"), 3)) === "abc");
 * ```
 */
export async function readLimited(
  res: Response,
  limit: number,
): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < limit) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
  } catch {
    // A broken error body is still an error; keep what arrived.
  } finally {
    reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(Math.min(total, limit));
  let off = 0;
  for (const c of chunks) {
    const take = Math.min(c.length, all.length - off);
    all.set(c.subarray(0, take), off);
    off += take;
  }
  return new TextDecoder().decode(all);
}

/** What a mapper knows about a failure, for {@linkcode errorForStatus}. */
export interface StatusErrorInput {
  /** The HTTP status. */
  status: number;
  /** The provider's error code, if any (`NoSuchKey`, `BlobNotFound`). */
  code?: string;
  /** The provider's message, if any. */
  message?: string;
  /** The store path. */
  path?: string;
  /** The flavor. */
  flavor: string;
  /** The operation, for the message. */
  op?: string;
  /** Whether the request had a create-only precondition (412/409 then mean "exists"). */
  createOnly?: boolean;
  /** Force retryability (e.g. S3 `SlowDown`, `InternalError`). */
  retryable?: boolean;
}

/**
 * The generic status → error mapping (404 → not found, 412 → precondition or, for
 * create-only requests, already exists, 409 → exists, 401 → authentication, 403 →
 * permission, 400/416 → invalid argument, 501 → not supported; 408/429/5xx retryable).
 * Flavors refine it with their service's error codes.
 *
 * @param e the failure
 * @returns a typed error
 *
 * @example
 * ```ts
 * import { errorForStatus } from "./http.ts";
 * import { FileNotFoundError } from "./errors.ts";
 * console.assert(errorForStatus({ status: 404, flavor: "s3", path: "s3://b/k" }) instanceof FileNotFoundError);
 * ```
 */
export function errorForStatus(e: StatusErrorInput): ArtifactStoreError {
  const where = e.path ? ` '${e.path}'` : "";
  const what = e.op ?? "access";
  const detail = [e.code, e.message].filter(Boolean).join(": ");
  const suffix = detail ? ` (${e.status} ${detail})` : ` (HTTP ${e.status})`;
  const opts = {
    path: e.path,
    flavor: e.flavor,
    status: e.status,
    retryable: e.retryable ?? isRetryableStatus(e.status),
  };
  switch (e.status) {
    case 404:
      return new FileNotFoundError(
        `Cannot ${what}${where}: not found${suffix}`,
        opts,
      );
    case 412:
      return e.createOnly
        ? new FileExistsError(
          `Cannot create${where}: it already exists${suffix}`,
          opts,
        )
        : new PreconditionFailedError(
          `Cannot ${what}${where}: a precondition failed (the object changed meanwhile?)${suffix}`,
          opts,
        );
    case 409:
      return e.createOnly
        ? new FileExistsError(
          `Cannot create${where}: it already exists${suffix}`,
          opts,
        )
        : new ArtifactStoreError(
          `Cannot ${what}${where}: conflict${suffix}`,
          opts,
        );
    case 401:
      return new AuthenticationError(
        `Cannot ${what}${where}: the credentials were refused; check the key and secret${suffix}`,
        opts,
      );
    case 403:
      return new PermissionDeniedError(
        `Cannot ${what}${where}: permission denied; check what these credentials may do${suffix}`,
        opts,
      );
    case 400:
    case 416:
      return new InvalidArgumentError(
        `Cannot ${what}${where}: the service refused the request${suffix}`,
        opts,
      );
    case 501:
      return new NotSupportedError(
        `Cannot ${what}${where}: the service does not support this${suffix}`,
        opts,
      );
    default:
      return new ArtifactStoreError(
        `Cannot ${what}${where}: the service failed${suffix}`,
        opts,
      );
  }
}

/** One page of a paginated listing. */
export interface Page<T> {
  /** The items on this page. */
  items: T[];
  /** The token for the next page; absent on the last page. */
  next?: string;
  /** The service says more pages follow (then `next` must be present). */
  truncated?: boolean;
}

/**
 * Iterates a paginated listing page by page. A repeated token, or a page that says
 * it is truncated but gives no token, is an error rather than a loop or a silent cut.
 *
 * @param fetchPage fetches the page for a token (`undefined` for the first)
 * @param what what is listed, for errors
 * @returns the pages' items, in order
 *
 * @example
 * ```ts
 * import { paginate } from "./http.ts";
 * const pages = [{ items: [1, 2], next: "t" }, { items: [3] }];
 * const out: number[] = [];
 * for await (const x of paginate((tok) => Promise.resolve(pages[tok ? 1 : 0]), "numbers")) out.push(x);
 * console.assert(out.join() === "1,2,3");
 * ```
 */
export async function* paginate<T>(
  fetchPage: (token: string | undefined) => Promise<Page<T>>,
  what: string,
): AsyncGenerator<T> {
  const seen = new Set<string>();
  let token: string | undefined;
  for (;;) {
    const page = await fetchPage(token);
    yield* page.items;
    if (page.next === undefined || page.next === "") {
      if (page.truncated) {
        throw new ArtifactStoreError(
          `Listing ${what} stopped: the service said more results follow but sent no continuation token`,
        );
      }
      return;
    }
    if (seen.has(page.next)) {
      throw new ArtifactStoreError(
        `Listing ${what} stopped: the service repeated continuation token '${page.next}'`,
      );
    }
    seen.add(page.next);
    token = page.next;
  }
}

/** A response body for a byte range, as a flavor's reopen function returns it. */
export interface BodyPart {
  /** The bytes. */
  body: ReadableStream<Uint8Array>;
  /** How many bytes this body should carry, when the service said so. */
  length: number | null;
}

/**
 * Streams a download, resuming after a broken connection or a body cut short: it
 * asks `reopen(offset)` for the rest (a flavor sends a ranged GET with `If-Match`
 * so the object cannot change underneath). Never yields silently wrong bytes: a
 * body longer than announced, or one that cannot be resumed, errors the stream.
 *
 * @param first the first response body and its expected length
 * @param reopen fetches the bytes from `offset` (relative to the first body's start)
 * @param options `maxResumes` (default 5), `path` and `flavor` for errors
 * @returns the stream
 *
 * @example
 * ```ts
 * import { resumableBody } from "./http.ts";
 * const s = resumableBody(
 *   { body: new Response("abc").body!, length: 3 },
 *   () => Promise.reject(new Error("not needed")),
 * );
 * console.assert((await new Response(s).text()) === "abc");
 * ```
 */
export function resumableBody(
  first: BodyPart,
  reopen: (offset: number) => Promise<BodyPart>,
  options: { maxResumes?: number; path?: string; flavor?: string } = {},
): ReadableStream<Uint8Array> {
  const expected = first.length;
  let reader = first.body.getReader();
  let received = 0;
  let resumes = 0;
  const max = options.maxResumes ?? 5;
  const fail = (msg: string, cause?: unknown, retryable = true) =>
    new ArtifactStoreError(msg, {
      path: options.path,
      flavor: options.flavor,
      retryable,
      cause,
    });
  const resume = async (cause: unknown) => {
    if (expected === null || resumes >= max) {
      throw fail(
        `Download of '${options.path}' broke after ${received} bytes and could not be resumed`,
        cause,
      );
    }
    resumes++;
    reader.cancel().catch(() => {});
    const next = await reopen(received);
    if (next.length !== null && next.length !== expected - received) {
      next.body.cancel().catch(() => {});
      throw fail(
        `Download of '${options.path}' changed size while resuming`,
        cause,
        false,
      );
    }
    reader = next.body.getReader();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (err) {
          await resume(err);
          continue;
        }
        if (result.done) {
          if (expected !== null && received < expected) {
            await resume(
              new Error(`body ended after ${received} of ${expected} bytes`),
            );
            continue;
          }
          controller.close();
          return;
        }
        received += result.value.length;
        if (expected !== null && received > expected) {
          throw fail(
            `Download of '${options.path}' sent more bytes (${received}) than announced (${expected})`,
            undefined,
            false,
          );
        }
        controller.enqueue(result.value);
        return;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Percent-encodes a string per RFC 3986: every byte but the unreserved characters
 * (`A-Z a-z 0-9 - . _ ~`), as SigV4 and SharedKey canonicalize.
 *
 * @param s the string
 * @returns the encoded string
 *
 * @example
 * ```ts
 * import { encodeRfc3986 } from "./http.ts";
 * console.assert(encodeRfc3986("a b(1)!") === "a%20b%281%29%21");
 * ```
 */
export function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/**
 * Percent-encodes an object key for a URL path, segment by segment, keeping the `/`
 * between segments.
 *
 * @param key the object key
 * @returns the encoded path
 *
 * @example
 * ```ts
 * import { encodeKeyPath } from "./http.ts";
 * console.assert(encodeKeyPath("日本/x(1)!") === "%E6%97%A5%E6%9C%AC/x%281%29%21");
 * ```
 */
export function encodeKeyPath(key: string): string {
  return key.split("/").map(encodeRfc3986).join("/");
}

/**
 * A query string (`?a=1&b=2`, or `""`) from the defined values, RFC 3986-encoded.
 *
 * @param params the parameters; `undefined` values are left out
 * @param options `bareEmpty`: write an empty value as a bare key (`?uploads`), as S3 expects
 * @returns the query string
 *
 * @example
 * ```ts
 * import { queryString } from "./http.ts";
 * console.assert(queryString({ uploads: "", x: undefined }, { bareEmpty: true }) === "?uploads");
 * console.assert(queryString({ prefix: "a b" }) === "?prefix=a%20b");
 * ```
 */
export function queryString(
  params: Record<string, string | number | undefined>,
  options: { bareEmpty?: boolean } = {},
): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    parts.push(v === "" && options.bareEmpty ? k : `${k}=${encodeRfc3986(String(v))}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

/**
 * An empty byte stream (the body of a read past the end).
 *
 * @returns the stream
 *
 * @example
 * ```ts
 * import { emptyBody } from "./http.ts";
 * console.assert((await new Response(emptyBody()).arrayBuffer()).byteLength === 0);
 * ```
 */
export function emptyBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.close() });
}

/**
 * Skips `skip` bytes of a stream and passes at most `take` bytes of the rest (`null`:
 * all), cancelling the source once done — for a server that ignored a `Range` header
 * and sent the whole object.
 *
 * @param body the stream
 * @param skip bytes to drop first
 * @param take bytes to pass, or `null` for the rest
 * @returns the slice
 *
 * @example
 * ```ts
 * import { sliceBody } from "./http.ts";
 * const s = sliceBody(new Response("abcdef").body!, 2, 3);
 * console.assert((await new Response(s).text()) === "cde");
 * ```
 */
export function sliceBody(
  body: ReadableStream<Uint8Array>,
  skip: number,
  take: number | null,
): ReadableStream<Uint8Array> {
  let pos = 0;
  const stop = take === null ? Infinity : skip + take;
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (pos >= stop) {
          reader.cancel().catch(() => {});
          controller.close();
          return;
        }
        const { value, done } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        const from = Math.max(0, skip - pos);
        const to = Math.min(value.length, stop - pos);
        pos += value.length;
        if (to > from) {
          controller.enqueue(value.subarray(from, to));
          return;
        }
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

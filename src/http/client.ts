/**
 * The HTTP client every cloud flavor shares: injectable `fetch`, a per-attempt
 * timeout and `AbortSignal`, retries with decorrelated-jitter backoff on 408, 429,
 * 5xx, retryable service codes and network errors — only for bodies that can be
 * sent again (bytes or text, never a consumed stream) — re-signing every attempt,
 * one error mapper per flavor.
 *
 * @example
 * ```ts
 * import { HttpClient } from "./client.ts";
 * import { ArtifactStoreError } from "../errors.ts";
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

import { ArtifactStoreError } from "../errors.ts";
import { Backoff, type RetryOptions } from "./backoff.ts";
import { isNode } from "../_runtime.ts";
import { concatBytes } from "../streams.ts";

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
  /**
   * Called after each failed attempt (before the next, or before the error is
   * thrown), with the error and whether any attempt so far may have been carried
   * out by the service although its answer was lost (so that a caller can clean up
   * what a lost answer left behind, e.g. a second multipart upload).
   */
  onRetry?: (error: ArtifactStoreError, uncertain: boolean) => void;
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
  /**
   * The longest wait for the next bytes of an answer read by
   * {@linkcode HttpClient.sendAndRead}, ms (default 30 000).
   */
  idleTimeoutMs?: number;
  /** Retry settings. */
  retry?: RetryOptions;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** The default longest wait for the next bytes of a response body, ms. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** An answer that arrived but could not be read whole (internal: becomes a network error). */
class AnswerError extends ArtifactStoreError {}

function withUncertainty(error: ArtifactStoreError, uncertain: boolean): ArtifactStoreError {
  if (uncertain) error.uncertain = true;
  return error;
}

/**
 * Tells whether an HTTP status is worth retrying (408, 429, 500, 502, 503, 504).
 *
 * @param status the status
 * @returns true when a retry may succeed
 *
 * @example
 * ```ts
 * import { isRetryableStatus } from "./client.ts";
 * console.assert(isRetryableStatus(503) && !isRetryableStatus(404));
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

let nodeTransport: Promise<typeof fetch> | undefined;

/**
 * The `fetch` a flavor uses when its config names none: on Node, the keep-alive
 * transport of `./node_transport.ts` (loaded on the first request; where it cannot
 * load, the runtime's `fetch`); elsewhere the runtime's `fetch`.
 *
 * @param input the URL or request
 * @param init the request's settings
 * @returns the response
 *
 * @example
 * ```ts
 * import { defaultFetch } from "./client.ts";
 * const res = await defaultFetch("data:text/plain,ok").catch(() => null);
 * console.assert(res === null || (await res.text()) === "ok");
 * ```
 */
export function defaultFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  if (!isNode) return fetch(input, init);
  nodeTransport ??= import("./node_transport.ts").then((m) => m.nodeFetch()).catch(() => fetch);
  return nodeTransport.then((f) => f(input, init));
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
    this.#fetch = options.fetch ?? defaultFetch;
  }

  /**
   * Sends a request, retrying what can be retried, and returns a successful
   * response (2xx or an accepted status) whose body the caller must consume or
   * cancel. Failures throw the flavor's typed error. For an answer the caller
   * reads whole (a listing, a JSON or XML document), use
   * {@linkcode HttpClient.sendAndRead}: a broken answer is then retried too.
   *
   * @param req the request
   * @returns the response
   */
  send(req: HttpRequest): Promise<Response> {
    return this.#loop(req, (res) => Promise.resolve(res));
  }

  /**
   * Sends a request and reads its whole answer as part of the attempt: a body that
   * breaks, stalls for longer than the idle timeout, ends short of its
   * `Content-Length`, or that `read` cannot parse (a `SyntaxError`, a missing
   * element) fails the attempt, which is retried like a lost answer where the
   * request may be repeated, and otherwise becomes a typed, retryable error. An
   * {@linkcode ArtifactStoreError} thrown by `read` is retried when it says it is
   * `retryable` (a 200 answer that holds an error document), else thrown.
   *
   * @param req the request
   * @param read parses the answer's text (UTF-8)
   * @returns what `read` returns
   */
  sendAndRead<T>(
    req: HttpRequest,
    read: (text: string, res: Response) => T | Promise<T>,
  ): Promise<T> {
    return this.#loop(req, async (res) => {
      const body = await readAnswer(res, {
        idleMs: this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
        signal: req.signal,
      });
      try {
        return await read(new TextDecoder().decode(body), res);
      } catch (err) {
        if (err instanceof ArtifactStoreError) throw err;
        throw new AnswerError(`it could not be parsed: ${(err as Error)?.message ?? err}`, {
          cause: err,
        });
      }
    });
  }

  async #loop<T>(req: HttpRequest, onAnswer: (res: Response) => Promise<T>): Promise<T> {
    const backoff = new Backoff(this.options.retry, req.retry === false ? 0 : undefined);
    // Whether an attempt may have been carried out without its answer reaching us.
    let uncertain = false;
    for (;;) {
      req.signal?.throwIfAborted();
      let error: ArtifactStoreError;
      let retryAfterMs: number | undefined;
      try {
        const res = await this.#attempt(req);
        if (res.ok || req.accept?.includes(res.status)) {
          try {
            return await onAnswer(res);
          } catch (err) {
            // The service said yes; only its answer broke: it was carried out.
            if (!(err instanceof ArtifactStoreError) || err instanceof AnswerError) {
              uncertain = true;
            }
            throw err;
          }
        }
        const body = await readLimited(
          res,
          64 * 1024,
          this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
        );
        error = this.options.mapError({
          status: res.status,
          headers: res.headers,
          body,
          request: req,
        });
        // A 5xx may come after the service did the work; a 4xx, 408 and 429 do not.
        if (res.status >= 500) uncertain = true;
        retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason;
        if (err instanceof ArtifactStoreError && !(err instanceof AnswerError)) {
          if (!err.retryable) throw withUncertainty(err, uncertain);
          error = err;
        } else {
          // No answer, or a broken one: the request may have been carried out.
          uncertain = true;
          const what = `${req.op ?? req.method} of '${req.path ?? redact(req.url)}'`;
          const message = (err as Error)?.message ?? String(err);
          error = new ArtifactStoreError(
            err instanceof AnswerError
              ? `Broken answer to the ${what}: ${message}`
              : `Network error during ${what}: ${message}`,
            {
              path: req.path,
              flavor: this.options.flavor,
              retryable: true,
              cause: err instanceof AnswerError ? err.cause : err,
            },
          );
        }
      }
      req.onRetry?.(error, uncertain);
      if (!error.retryable || !await backoff.wait(req.signal, retryAfterMs)) {
        throw withUncertainty(error, uncertain);
      }
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
 * @param idleMs the longest wait for the next bytes (default 30 s)
 * @returns the text
 *
 * @example
 * ```ts
 * import { readLimited } from "./client.ts";
 * console.assert((await readLimited(new Response("abcdef"), 3)) === "abc");
 * ```
 */
export async function readLimited(
  res: Response,
  limit: number,
  idleMs = DEFAULT_IDLE_TIMEOUT_MS,
): Promise<string> {
  if (!res.body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    // A stalled error body must not hang the request: the idle bound ends the read.
    for await (const chunk of idleRead(res.body, idleMs)) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= limit) break;
    }
  } catch {
    // A broken error body is still an error; keep what arrived.
  }
  return new TextDecoder().decode(concatBytes(chunks, total).subarray(0, limit));
}

/**
 * Reads a whole response body, failing when it breaks, when no bytes come for
 * `idleMs`, or when it ends short of (or past) its `Content-Length` (unless the
 * runtime decoded a `Content-Encoding`, which changes the length).
 *
 * @param res the response
 * @param options the idle timeout and a signal that cancels the read
 * @returns the bytes
 *
 * @example
 * ```ts
 * import { readAnswer } from "./client.ts";
 * const bytes = await readAnswer(new Response("abc"), { idleMs: 1000 });
 * console.assert(bytes.length === 3);
 * ```
 */
export async function readAnswer(
  res: Response,
  options: { idleMs: number; signal?: AbortSignal },
): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of idleRead(res.body, options.idleMs, options.signal)) {
    chunks.push(chunk);
    total += chunk.length;
  }
  const announced = res.headers.get("content-length");
  if (announced !== null && !res.headers.get("content-encoding")) {
    const n = Number(announced);
    if (Number.isFinite(n) && n !== total) {
      throw new TypeError(`the answer ended after ${total} of its ${n} bytes`);
    }
  }
  return concatBytes(chunks, total);
}

/**
 * The chunks of a body, failing with a `TimeoutError` when no chunk arrives for
 * `idleMs` (the body is cancelled then, which closes a stalled connection).
 *
 * @param body the body
 * @param idleMs the longest wait for a chunk
 * @param signal cancels the read
 * @returns the chunks
 *
 * @example
 * ```ts
 * import { idleRead } from "./client.ts";
 * let n = 0;
 * for await (const c of idleRead(new Response("abc").body!, 1000)) n += c.length;
 * console.assert(n === 3);
 * ```
 */
export async function* idleRead(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await readWithin(reader, idleMs, signal);
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    if (!finished) reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * One read of a stream reader that fails with a `TimeoutError` when nothing arrives
 * for `idleMs` (or with the signal's reason when it aborts); the reader is
 * cancelled then.
 *
 * @param reader the reader
 * @param idleMs the longest wait
 * @param signal cancels the wait
 * @returns the read's result
 *
 * @example
 * ```ts
 * import { readWithin } from "./client.ts";
 * const r = await readWithin(new Response("a").body!.getReader(), 1000);
 * console.assert(r.value?.length === 1);
 * ```
 */
export function readWithin<T>(
  reader: ReadableStreamDefaultReader<T>,
  idleMs: number,
  signal?: AbortSignal,
): Promise<ReadableStreamReadResult<T>> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const stop = (reason: unknown) => {
      cleanup();
      reader.cancel(reason).catch(() => {});
      reject(reason);
    };
    const timer = setTimeout(
      () => stop(new DOMException(`no bytes for ${idleMs} ms`, "TimeoutError")),
      idleMs,
    );
    const onAbort = () => stop(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    reader.read().then((r) => {
      cleanup();
      resolve(r);
    }, (e) => {
      cleanup();
      reject(e);
    });
  });
}

// A seeded, reproducible fault-injecting `fetch` for the cloud flavors' tests: put in
// a store's config (`fetch: faults.fetch`), it answers a share of the requests with a
// fault instead of (or after) the real answer — the faults a service and a network
// really produce:
//
// - `503`, `503-retry-after`, `500`, `500-retry-after`, `429`: an error status, with or
//   without a `Retry-After` (in seconds), and no request reaches the server;
// - `network`: the fetch rejects with a TypeError before sending (refused, reset), as
//   runtimes' fetch does;
// - `cut-body`: the real response, whose body errors with a TypeError after a
//   seeded number of bytes (a connection reset mid-body); counted only when the body
//   breaks (an empty or short body ends first);
// - `lost-response`: the request reaches the server and is carried out, then the
//   caller gets a TypeError instead of the answer.
//
// Every random choice of a request is drawn when the request starts, from one
// seeded generator: the same seed and the same sequence of requests give the same
// faults (requests sent concurrently, such as an upload's parts, draw in the order
// they start).

import { defaultFetch } from "../../src/http/client.ts";

/** The faults {@linkcode faultyFetch} injects. */
export const FAULT_KINDS = [
  "503",
  "503-retry-after",
  "500",
  "500-retry-after",
  "429",
  "network",
  "cut-body",
  "lost-response",
] as const;

/** One kind of fault. */
export type FaultKind = typeof FAULT_KINDS[number];

/** Options for {@linkcode faultyFetch}. */
export interface FaultOptions {
  /** Seeds the generator (same seed, same requests: same faults). */
  seed: number;
  /** The probability that a request gets a fault, 0 to 1. */
  rate: number;
  /** The faults to choose from, uniformly (default all of {@linkcode FAULT_KINDS}). */
  kinds?: readonly FaultKind[];
  /** The `Retry-After` of the `*-retry-after` faults, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** The fetch that carries the requests (default the flavors' own: on Node, the keep-alive transport). */
  inner?: typeof fetch;
}

/** A fault-injecting fetch and what it has done so far. */
export interface FaultyFetch {
  /** The fetch to give a store. */
  fetch: typeof fetch;
  /** Requests seen. */
  requests: number;
  /** Faults injected, by kind (a `cut-body` counts once its body breaks). */
  injected: Record<FaultKind, number>;
  /** Faults injected in all. */
  total(): number;
  /** Off: every request passes untouched (the counts stay). */
  enabled: boolean;
}

/**
 * A small seeded generator of floats in [0, 1) (mulberry32).
 *
 * @param seed the seed
 * @returns the generator
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A response whose body errors with a TypeError (a reset connection) once `cut`
 * bytes have been delivered; every byte before the cut reaches the reader first.
 *
 * @param res the real response
 * @param cut how many bytes pass
 * @param onCut called when the body breaks
 * @returns the damaged response
 */
export function cutBody(res: Response, cut: number, onCut?: () => void): Response {
  const reader = res.body!.getReader();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (sent >= cut) {
        // Error on the next read, so the bytes before the cut are delivered first.
        reader.cancel().catch(() => {});
        onCut?.();
        c.error(new TypeError("connection reset (injected)"));
        return;
      }
      const { value, done } = await reader.read();
      if (done) return c.close();
      const take = Math.min(value.length, cut - sent);
      sent += take;
      c.enqueue(take === value.length ? value : value.subarray(0, take));
    },
    cancel: (r) => reader.cancel(r),
  });
  return new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}

function errorStatus(status: number, retryAfter: number | null, method: string): Response {
  const headers: Record<string, string> = { "content-type": "text/plain" };
  if (retryAfter !== null) headers["retry-after"] = String(retryAfter);
  const body = method === "HEAD" ? null : `injected fault: HTTP ${status}`;
  return new Response(body, { status, headers });
}

/**
 * A fetch that injects, per request and with probability `rate`, one of the faults
 * of `kinds` (see the module comment), drawn from a generator seeded with `seed`.
 *
 * @param options seed, rate, kinds, Retry-After and the inner fetch
 * @returns the fetch and its counts
 */
export function faultyFetch(options: FaultOptions): FaultyFetch {
  const random = seededRandom(options.seed);
  const kinds = options.kinds ?? FAULT_KINDS;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const inner = options.inner ?? defaultFetch;
  const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<
    FaultKind,
    number
  >;
  const state: FaultyFetch = {
    requests: 0,
    injected,
    enabled: true,
    total: () => Object.values(injected).reduce((a, b) => a + b, 0),
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      state.requests++;
      // Every draw of this request now, so that the sequence does not depend on timing.
      const hit = random() < options.rate;
      const kind = kinds[Math.floor(random() * kinds.length)];
      const where = random();
      if (!state.enabled || !hit) return inner(input, init);
      const method = (init?.method ?? "GET").toUpperCase();
      const status = /^\d+/.exec(kind);
      if (status) {
        injected[kind]++;
        return errorStatus(
          Number(status[0]),
          kind.endsWith("retry-after") ? retryAfter : null,
          method,
        );
      }
      if (kind === "network") {
        injected[kind]++;
        throw new TypeError("fetch failed: connection refused (injected)");
      }
      const res = await inner(input, init);
      if (kind === "lost-response") {
        injected[kind]++;
        await res.body?.cancel().catch(() => {});
        throw new TypeError("fetch failed: connection reset after the request was sent (injected)");
      }
      // cut-body: somewhere inside the announced length, else inside the first 4 KiB
      // (a body known to be empty cannot break).
      const length = Number(res.headers.get("content-length") ?? NaN);
      if (!res.body || method === "HEAD" || length === 0) return res;
      const cut = Math.floor(where * (Number.isFinite(length) ? length : 4096));
      return cutBody(res, cut, () => injected["cut-body"]++);
    }) as typeof fetch,
  };
  return state;
}
